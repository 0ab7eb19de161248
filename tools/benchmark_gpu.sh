#!/usr/bin/env bash
# One prepared GPU benchmark run (H100-class, short rentals: < 10 min in all).
#
#   make gpu-wheels                 # here, with network: wheels -> build/wheels
#   bash tools/benchmark_gpu.sh     # on the GPU machine (no network needed)
#
# Measures the MMS pretraining step (TextViT-small, decoder 512 x 8, mask
# ratio 0.75) against mmpretrain's MAE at equal work, with bf16 autocast at
# batch 256 and 1024, its model-FLOPs utilisation against the bf16 matmul
# rate measured in the same run, and writes work_dirs/benchmark_gpu.json.
# The GPU image brings its own torch; OpenMMLab packages come from the
# wheel folder (pure Python, no compilation).
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=${WHEELS:-build/wheels}
if ! python3 -c "import mmengine, mmocr, mmpretrain, mmdet, mmcv" 2>/dev/null; then
    [ -d "$WHEELS" ] || { echo "no $WHEELS: run 'make gpu-wheels' first" >&2; exit 1; }
    python3 -m pip install --no-index --find-links "$WHEELS" --no-deps \
        mmengine mmcv-lite mmdet mmocr mmpretrain addict yapf termcolor \
        rich markdown-it-py mdurl pygments einops modelindex model-index \
        ordered-set mat4py terminaltables lmdb shapely pyclipper rapidfuzz \
        opencv-python "numpy<2" imgaug scikit-image
fi
export PYTHONPATH="$PWD:${PYTHONPATH:-}"
mkdir -p work_dirs
nvidia-smi --query-gpu=name,memory.total --format=csv || true
timeout 540 python3 tools/benchmark.py --device cuda --dtype bf16 \
    --batch 256 1024 --sections step flops memory --rounds 3 --steps 10 \
    --json work_dirs/benchmark_gpu.json
