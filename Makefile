# mmocr_mms developer entry points. Every target installs what it needs on
# first use into the current Python environment (skipped when satisfied).
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
PYTEST_ARGS ?=
DEMO_DIR ?= work_dirs/demo
export OMP_NUM_THREADS ?= 2

.PHONY: help install force-install demo test benchmark reading-cpu reading-cpu-mms reading-protocol reading-protocol-recipe peer-deps mmcv-full gpu-wheels clean

help:
	@echo "make demo       - install on first use, run the demo (see README)"
	@echo "make test       - install on first use, run the test suite"
	@echo "make benchmark  - mask transform speed vs mmpretrain BEiTMaskGenerator"
	@echo "make reading-cpu - CPU recipe: CTC fine-tuning + IIIT5K/SVT (~1 h, 2 cores)"
	@echo "make reading-cpu-mms - the same with MMS pretraining first (~1 h in all, 2 cores)"
	@echo "make reading-protocol - MMS vs MAE vs scratch x 3 seeds, word accuracy (~2 h, 2 cores)"
	@echo "make reading-protocol-recipe - MMS vs MAE vs scratch x 3 seeds at the recipe's scale (~3 h 45, 2 cores, resumable)"
	@echo "make peer-deps  - optional: rapidocr (PP-OCR peer of tools/benchmark_infer.py)"
	@echo "make mmcv-full  - optional: build compiled mmcv 2.0.1 (~45 min, not in CI)"

# Fast check first (no torch import); full install only when it fails.
install:
	@$(PYTHON) tools/misc/check_install.py >/dev/null 2>&1 || $(MAKE) --no-print-directory force-install

force-install:
	@echo ">> installing mmocr_mms and its tested dependencies (first run takes a few minutes)"
	@MMCV_REQ="-r requirements/lite.txt"; \
	if $(PYTHON) -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('mmcv').startswith('2.0.') else 1)" 2>/dev/null; then \
	  echo ">> compiled mmcv found, not installing mmcv-lite"; MMCV_REQ=""; fi; \
	$(PIP) install -c requirements/constraints.txt -r requirements/runtime.txt \
	  -r requirements/tests.txt -r requirements/benchmark.txt -r requirements/deploy.txt $$MMCV_REQ
	$(PIP) install --no-deps -c requirements/constraints.txt -r requirements/fonts.txt \
	  -r requirements/fonts-google.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	@$(PYTHON) tools/misc/check_install.py

demo: install
	$(PYTHON) tools/demo.py --work-dir $(DEMO_DIR)

# A recognizer that reads, on a 2-core CPU (README "Recognition recipes").
READING_DIR ?= work_dirs/reading_cpu
reading-cpu: install
	$(PYTHON) tools/experiments/reading_recipe.py --work-dir $(READING_DIR)

READING_MMS_DIR ?= work_dirs/reading_cpu_mms
reading-cpu-mms: install
	$(PYTHON) tools/experiments/reading_recipe.py --init mms --work-dir $(READING_MMS_DIR)

# MMS vs MAE (vs scratch) by word accuracy at equal budgets (docs/results.md):
# the 11-run protocol v2, and mms / mae at the reading recipe's scale.
reading-protocol: install
	$(PYTHON) tools/experiments/reading_protocol.py --scale v2

reading-protocol-recipe: install
	$(PYTHON) tools/experiments/reading_protocol.py --scale recipe

# pytest exit code 5 means "no tests collected": report it as a failure.
test: install
	@$(PYTHON) -m pytest tests $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests"; exit 1; fi; \
	exit $$rc

benchmark: install
	$(PYTHON) tools/benchmark_masks.py

# Optional: the PP-OCR recognizer of tools/benchmark_infer.py (never a
# runtime dependency).
peer-deps: install
	$(PIP) install -c requirements/constraints.txt -r requirements/peer.txt

# Optional compiled mmcv 2.0.1 (RoIAlign & co. for detectors). Its setup.py
# forces -std=c++14, which torch >= 2.1 headers reject; patch to C++17.
MMCV_BUILD := build/mmcv
mmcv-full: install
	mkdir -p $(MMCV_BUILD)
	$(PIP) download --no-deps --no-binary :all: --no-build-isolation mmcv==2.0.1 -d $(MMCV_BUILD)
	cd $(MMCV_BUILD) && rm -rf mmcv-2.0.1 && tar xzf mmcv-2.0.1.tar.gz && \
	  sed -i 's/c++14/c++17/g' mmcv-2.0.1/setup.py
	$(PIP) uninstall -y mmcv-lite
	cd $(MMCV_BUILD)/mmcv-2.0.1 && MMCV_WITH_OPS=1 MAX_JOBS=2 $(PIP) install --no-build-isolation -v .
	$(PYTHON) -c "import mmcv.ops, mmocr_mms.utils.compat as c; assert c.has_compiled_mmcv_ops(); print('compiled mmcv ops OK')"

# Wheels for tools/benchmark_gpu.sh (the GPU machine has no network).
gpu-wheels:
	bash tools/misc/gpu_wheels.sh build/wheels 3.12

clean:
	rm -rf build work_dirs .pytest_cache
