"""NRTR greedy decoding: MMOCR's NRTRDecoder vs CachedNRTRDecoder (cached
keys / values), whole-recognizer ``predict`` time, one table.

    python tools/benchmark_decoding.py [CONFIG] [--batch 1 32] \
        [--threads 1] [--repeats 2] [--cfg-options k=v ...]

CONFIG defaults to configs/textrecog/nrtr_text-vit-s_10e_str-real.py
(TextViT-S + 6-layer NRTR decoder, 30 steps). Random weights (speed does
not depend on them); both decoders run all max_seq_len steps.
Logic: :mod:`mmocr_mms.benchmarks.decoding`.
"""
import argparse
import glob
import json
import os.path as osp
import platform

import torch
from mmengine.config import DictAction

import mmocr_mms  # noqa: F401
from mmocr_mms.benchmarks.decoding import nrtr_decoding_speed

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', nargs='?')
    p.add_argument('--batch', type=int, nargs='+', default=[1, 32])
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--repeats', type=int, default=2)
    p.add_argument('--json', help='also write the rows here')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = p.parse_args(argv)
    config = args.config or sorted(glob.glob(osp.join(
        ROOT, 'configs', 'textrecog', '**',
        'nrtr_text-vit-s_10e_str-real.py'), recursive=True))[0]
    torch.set_num_threads(args.threads)
    rows = nrtr_decoding_speed(config, args.batch, args.repeats,
                               args.cfg_options)
    print(f'{osp.basename(config)}, {args.threads} thread(s), '
          f'{platform.processor() or platform.machine()}, torch '
          f'{torch.__version__}')
    print(f'{"batch":>5} {"stock ms":>10} {"cached ms":>10} {"speedup":>8} '
          f'{"stock CPU ms":>13} {"cached CPU ms":>14} {"CPU speedup":>11} '
          f'{"max|dp|":>9} same_text')
    for r in rows:
        print(f'{r["batch"]:>5} {r["ms_stock"]:>10.1f} '
              f'{r["ms_cached"]:>10.1f} {r["speedup"]:>7.2f}x '
              f'{r["cpu_ms_stock"]:>13.1f} {r["cpu_ms_cached"]:>14.1f} '
              f'{r["cpu_speedup"]:>10.2f}x '
              f'{r["max_abs_prob_diff"]:>9.1e} {r["same_text"]}')
    print('(ms per batch of predict: TextViT encoder + decoding + '
          'postprocessing; CPU = process CPU time, robust to other load)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=config, threads=args.threads, rows=rows),
                      f, indent=2)
    return rows


if __name__ == '__main__':
    main()
