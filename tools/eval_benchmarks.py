"""Evaluate a recognizer on any list of benchmarks and print one table.

    python tools/eval_benchmarks.py CONFIG CHECKPOINT \
        --benchmarks DIR_OR_JSON [DIR_OR_JSON ...] [--names N ...] \
        [--json OUT.json] [--batch-size 64] [--num-workers N] \
        [--device cuda|cpu] [--max-len 25] [--cfg-options k=v ...]
    python tools/eval_benchmarks.py CONFIG --backend onnxruntime \
        --onnx MODEL.onnx --benchmarks ... [--threads N]

A benchmark is a folder with ``labels.tsv`` (``IMG/<file>\\t<label>``), an
MMOCR ``textrecog_*.json`` annotation file, or a folder holding one. Images
go through the test pipeline of CONFIG's ``test_dataloader``. Labels empty
after ``re.sub('[^0-9a-z]', '', s.lower())`` are skipped and counted; labels
longer than --max-len characters are kept in the denominator and counted;
whitespace is removed from labels before comparison.

Columns: word accuracy exact / ignoring case / ignoring case and symbols,
char recall / precision (MMOCR's WordMetric and CharMetric), samples
evaluated, skipped (empty) and long (kept). The 'average' row is the
unweighted mean over benchmarks (the JSON also has sample-weighted means).
The logic lives in :mod:`mmocr_mms.evaluation.recog_benchmarks`.

``--backend onnxruntime`` evaluates a CTC recognizer exported by
``tools/deployment/export_onnx.py`` (CONFIG gives the test pipeline,
dictionary and postprocessor; no checkpoint is read).
"""
import argparse
import os
import time
from typing import List, Optional

import mmocr_mms  # noqa: F401  (compat layer + registration, before mmocr)
from mmengine.config import DictAction

from mmocr_mms.evaluation.recog_benchmarks import (EVAL_LABEL_RULE,
                                                   dataset_cfg_of,
                                                   evaluate_benchmarks,
                                                   format_table,
                                                   load_recognizer,
                                                   write_json)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='config file (model + test pipeline)')
    p.add_argument('checkpoint', nargs='?',
                   help='trained recognizer checkpoint (pytorch backend)')
    p.add_argument('--backend', choices=['pytorch', 'onnxruntime'],
                   default='pytorch')
    p.add_argument('--onnx', help='exported model (onnxruntime backend)')
    p.add_argument('--threads', type=int, default=0,
                   help='onnxruntime intra-op threads (0: its default)')
    p.add_argument('--benchmarks', nargs='+', required=True,
                   help='benchmark folders (labels.tsv) or MMOCR json files')
    p.add_argument('--names', nargs='+', help='row names (default: folder '
                   'names)')
    p.add_argument('--json', help='also write the results to this file')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--num-workers', type=int,
                   default=min(8, os.cpu_count() or 1),
                   help='loader workers (default: min(8, CPU count))')
    p.add_argument('--device', default=None,
                   help='torch device of the pytorch backend (default: '
                   'cuda when available, else cpu)')
    p.add_argument('--max-len', type=int,
                   default=EVAL_LABEL_RULE['max_len'],
                   help='labels longer than this are counted as long '
                   '(they stay in the denominator)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value')
    args = p.parse_args(argv)
    if args.names and len(args.names) != len(args.benchmarks):
        p.error('--names needs one name per benchmark')
    if args.backend == 'pytorch' and not args.checkpoint:
        p.error('the pytorch backend needs CHECKPOINT')
    if args.backend == 'onnxruntime' and not args.onnx:
        p.error('--backend onnxruntime needs --onnx FILE')
    if args.batch_size < 1 or args.num_workers < 0:
        p.error('--batch-size must be >= 1 and --num-workers >= 0')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    """Load the model, evaluate every benchmark, print (and save) the
    table."""
    args = parse_args(argv)
    start = time.time()
    if args.backend == 'onnxruntime':
        from mmocr_mms.deployment import ONNXCTCRecognizer
        model = ONNXCTCRecognizer(args.onnx, args.config,
                                  num_threads=args.threads,
                                  cfg_options=args.cfg_options)
        cfg = model.cfg
    else:
        import torch
        device = args.device or ('cuda' if torch.cuda.is_available()
                                 else 'cpu')
        model, cfg = load_recognizer(args.config, args.checkpoint,
                                     args.cfg_options, device=device)
    ds_cfg = dataset_cfg_of(cfg, 'test')
    if ds_cfg is None or 'pipeline' not in ds_cfg:
        raise ValueError(f'{args.config} has no test_dataloader pipeline')
    rule = dict(EVAL_LABEL_RULE, max_len=args.max_len)
    rows = evaluate_benchmarks(
        model, args.benchmarks, ds_cfg['pipeline'], label_rule=rule,
        batch_size=args.batch_size, num_workers=args.num_workers,
        names=args.names)
    print(format_table(rows))
    print(f'({time.time() - start:.0f} s; word accuracies and char '
          'recall/precision in %; average = unweighted mean over '
          'benchmarks)')
    for r in rows[:-1] if len(rows) > 1 else rows:
        print(f'{r["name"]}: dataset built in {r["build_s"]:.2f} s, '
              f'{r["num_samples"]} crops evaluated in {r["eval_s"]:.1f} s '
              f'({r["crops_per_s"]:.0f} crops/s)')
    if args.json:
        write_json(rows, args.json, dict(config=args.config,
                                         checkpoint=args.checkpoint,
                                         backend=args.backend,
                                         onnx=args.onnx,
                                         label_rule=rule))
        print(f'wrote {args.json}')


if __name__ == '__main__':
    main()
