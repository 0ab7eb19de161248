#!/usr/bin/env bash
# The GPU reading recipe: render words, MMS-pretrain TextViT-S, fine-tune a
# CTC recognizer and evaluate IIIT5K + SVT test, within 9 minutes wall on
# one H200-class GPU with 16 CPU cores and no network.
#
#   here:   make gpu-wheels && python tools/misc/pack_gpu_reading.py
#           (fills the git-ignored build/gpu_reading: wheels, subset fonts,
#           lexicon, real crops; prints its size)
#   there:  bash tools/recipes/reading_gpu.sh OUT      (carry build/gpu_reading)
#   GPU protocol (MMS vs MAE vs scratch at equal budget), one run each:
#           bash tools/recipes/reading_gpu.sh OUT_MMS     (budget fitted)
#           ARM=mae PRETRAIN_EPOCHS=E FINETUNE_ITERS=N SEED=0 bash ... OUT_MAE
#           (E, N: what OUT_MMS/summary.json's "budget" says it trained)
#   back here: python tools/recipes/reading_gpu.py append-results OUT*/summary.json
#
# 1. installs the carried wheels into a private folder when the OpenMMLab
#    stack is missing (as tools/benchmark_gpu.sh: the image's own torch and
#    numpy 2; an empty placeholder stands in for imgaug, which does not
#    import under numpy 2 and which nothing here runs);
# 2. runs tools/recipes/reading_gpu.py (stages, timeline and the choice of
#    pre-rendering are described there) under a timeout that ends
#    everything by BUDGET seconds (default 540) after this script started.
# Results in OUT: summary.json (word accuracy, targets, stage times, the
# fitted schedules), results.json, install/render/pretrain/finetune/
# evaluate logs. Checkpoints and the rendered LMDB: WORK (default
# /tmp/reading_gpu).
#
# Dry run on a CPU: SMALL=1 DEVICE=cpu BUDGET=1080 bash tools/recipes/reading_gpu.sh OUT
set -uo pipefail
T0=$(date +%s.%N)
cd "$(dirname "$0")/../.."
OUT=${1:-work_dirs/reading_gpu}
PACK=${PACK:-build/gpu_reading}
BUDGET=${BUDGET:-540}
WORK=${WORK:-/tmp/reading_gpu}
mkdir -p "$OUT"
[ -d "$PACK/wheels" ] || { echo "no $PACK: run tools/misc/pack_gpu_reading.py here first" >&2; exit 1; }
{
    . tools/misc/gpu_site.sh
    gpu_site_install "$PACK/wheels" "mmengine, mmocr, mmdet, mmcv, lmdb" || exit 1
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
    nproc
    python3 -c "import sys, torch, numpy, mmengine, mmocr, cv2, PIL
print(sys.version.split()[0], 'torch', torch.__version__, 'numpy',
      numpy.__version__, 'mmengine', mmengine.__version__, 'mmocr',
      mmocr.__version__, 'opencv', cv2.__version__, 'pillow', PIL.__version__,
      'cuda', torch.cuda.is_available())"
} > "$OUT/install.log" 2>&1 || { cat "$OUT/install.log"; exit 1; }
cat "$OUT/install.log"
echo "installed in $(python3 -c "import time; print(round(time.time() - $T0))") s"
export PYTHONPATH="$PWD:${SITE:+$SITE:}${PYTHONPATH:-}" PYTHONUNBUFFERED=1
LEFT=$(python3 -c "import time; print(max(1, int($T0 + $BUDGET - time.time())))")
ARGS=(--out "$OUT" --pack "$PACK" --work-dir "$WORK" --budget "$BUDGET" --t0 "$T0"
      --device "${DEVICE:-cuda}")
[ "${SMALL:-0}" = 1 ] && ARGS+=(--small)
# GPU protocol: ARM=mms|mae|scratch, SEED, and a fixed budget from an
# earlier run's summary.json (MATCH=path, carried) or given
# (PRETRAIN_EPOCHS, FINETUNE_ITERS)
ARGS+=(--arm "${ARM:-mms}" --seed "${SEED:-0}")
[ -n "${MATCH:-}" ] && ARGS+=(--match "$MATCH")
[ -n "${PRETRAIN_EPOCHS:-}" ] && ARGS+=(--pretrain-epochs "$PRETRAIN_EPOCHS")
[ -n "${FINETUNE_ITERS:-}" ] && ARGS+=(--finetune-iters "$FINETUNE_ITERS")
timeout -k 5 "$LEFT" python3 tools/recipes/reading_gpu.py "${ARGS[@]}"
