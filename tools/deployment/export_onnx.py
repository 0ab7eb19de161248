"""Export a CTC recognizer (TextViT + ViTColumnPoolEncoder + SVTR/CTC
linear head) to ONNX and check it with onnxruntime against PyTorch.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT OUT.onnx \
        [--verify DIR [DIR ...]] [--max-verify 0] [--atol 1e-3] \
        [--opset 17] [--cfg-options k=v ...]

The graph takes ``image`` (N, 3, H, W) float32 BGR 0..255 (the test
pipeline's output; N dynamic) and returns ``logits`` and ``probs``
(N, T, C). ``--verify`` runs PyTorch and onnxruntime on the crops of each
folder (a benchmark folder with ``labels.tsv``, or a folder of images;
default: 8 random images) and exits with status 1 unless the logits agree
within --atol and every decoded text is identical.
Logic: :mod:`mmocr_mms.deployment.onnx_ctc`.
"""
import argparse
import os.path as osp
import sys
import time
from typing import List, Optional

import numpy as np
from mmengine.config import DictAction

import mmocr_mms  # noqa: F401  (compat layer + registration, before mmocr)
from mmocr_mms.apis.read_words import list_images
from mmocr_mms.deployment import (ONNXCTCRecognizer, compare_with_pytorch,
                                  export_ctc_onnx)
from mmocr_mms.evaluation.recog_benchmarks import load_recognizer


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('out', help='output .onnx file')
    p.add_argument('--verify', nargs='+', default=[],
                   help='crop folders (labels.tsv benchmarks or images) '
                   'for the onnxruntime check')
    p.add_argument('--max-verify', type=int, default=0,
                   help='at most this many crops per folder (0: all)')
    p.add_argument('--atol', type=float, default=1e-3,
                   help='largest accepted |logit difference|')
    p.add_argument('--opset', type=int, default=17)
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def benchmark_crops(folder: str) -> List[str]:
    """Image paths of a ``labels.tsv`` benchmark folder (every listed
    image) or of a folder of images."""
    tsv = osp.join(folder, 'labels.tsv')
    if not osp.isfile(tsv):
        return list_images(folder)
    with open(tsv, encoding='utf-8') as f:
        return [osp.join(folder, line.split('\t', 1)[0]) for line in f
                if line.strip()]


def main(argv: Optional[List[str]] = None) -> int:
    """Export, verify, print a summary; returns the exit status."""
    args = parse_args(argv)
    start = time.time()
    info = export_ctc_onnx(args.config, args.checkpoint, args.out,
                           opset=args.opset, cfg_options=args.cfg_options)
    print(f'wrote {args.out}: image (N, 3, {info["input_size"][0]}, '
          f'{info["input_size"][1]}) -> logits/probs (N, '
          f'{info["num_frames"]}, {info["num_classes"]}) '
          f'({time.time() - start:.1f} s)')
    model, _ = load_recognizer(args.config, args.checkpoint,
                               args.cfg_options)
    ort_rec = ONNXCTCRecognizer(args.out, args.config,
                                cfg_options=args.cfg_options)
    sets = []
    for folder in args.verify:
        crops = benchmark_crops(folder)
        if args.max_verify:
            crops = crops[:args.max_verify]
        sets.append((folder, crops))
    if not sets:
        h, w = info['input_size']
        rng = np.random.default_rng(0)
        sets.append(('random', [
            rng.integers(0, 256, (h, int(rng.integers(w // 2, 2 * w)), 3),
                         dtype=np.uint8) for _ in range(8)
        ]))
    ok = True
    for name, crops in sets:
        res = compare_with_pytorch(model, ort_rec, crops)
        good = (res['max_abs_logit_diff'] <= args.atol
                and res['num_text_equal'] == res['n'])
        ok &= good
        print(f'{name}: {res["n"]} crops, max |logit diff| '
              f'{res["max_abs_logit_diff"]:.2e}, max |prob diff| '
              f'{res["max_abs_prob_diff"]:.2e}, identical text '
              f'{res["num_text_equal"]}/{res["n"]} '
              f'{"OK" if good else "FAILED"}')
        for idx, a, b in res['mismatches'][:10]:
            print(f'  crop {idx}: torch {a!r} onnx {b!r}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
