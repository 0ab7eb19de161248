#!/usr/bin/env bash
# Wheels of the OpenMMLab stack for a GPU machine without network whose
# image has Python 3.12 + torch (tools/benchmark_gpu.sh installs them).
#   bash tools/misc/gpu_wheels.sh [DEST] [PYTHON_VERSION]
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST=${1:-build/wheels}
PYV=${2:-3.12}
mkdir -p "$DEST"
PLAT=()
for p in manylinux_2_28 manylinux_2_27 manylinux_2_24 manylinux_2_17 \
         manylinux2014 manylinux1; do PLAT+=(--platform "${p}_x86_64"); done
# pure-Python or binary wheels, no dependencies resolved: the list is the
# closure of what mmocr_mms imports beyond the GPU image's packages. Not
# numpy: the image's SciPy/seaborn need its numpy 2 (numpy 1.26 in front of
# them breaks ``import mmdet``); imgaug, which does not import under numpy 2,
# gets a placeholder from tools/benchmark_gpu.sh instead.
python3 -m pip download -q --no-deps --only-binary=:all: \
    --python-version "$PYV" --implementation cp "${PLAT[@]}" -d "$DEST" \
    mmengine==0.10.7 mmdet==3.1.0 mmocr==1.0.1 mmpretrain==1.2.0 \
    addict yapf platformdirs termcolor mat4py \
    modelindex model-index ordered-set lmdb shapely pyclipper rapidfuzz \
    terminaltables pycocotools "importlib_metadata<8.6" "setuptools<82"
# mmcv-lite 2.0.1 is published as an sdist only: build its (pure) wheel
ls "$DEST"/mmcv_lite-2.0.1-*.whl >/dev/null 2>&1 || \
    python3 -m pip wheel -q --no-deps --no-build-isolation -w "$DEST" \
        mmcv-lite==2.0.1
ls "$DEST"
