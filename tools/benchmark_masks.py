"""Mask transform speed on one core vs mmpretrain's BEiTMaskGenerator.

    python tools/benchmark_masks.py [--n 20000] [--json out.json]

Prints us/sample for each strategy (8 x 32 grid, default ratios; the
per-sample generator derivation included) and the speed-up over
BEiTMaskGenerator at 192 of 256 patches, measured in the same run.
"""
import argparse
import json
import platform

from mmocr_mms.benchmarks.masks import run_mask_benchmark


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--n', type=int, default=20000, help='samples per run')
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--json', help='also write the rows to this file')
    args = p.parse_args()
    rows = run_mask_benchmark(args.n, args.repeats)
    print(f'machine: {platform.processor() or platform.machine()}, '
          f'{platform.python_version()}, one pinned core')
    print(f'{"transform":42s} {"masked":>12s} {"us/sample":>10s} '
          f'{"BEiT192/this":>13s}')
    for r in rows:
        print(f'{r["name"]:42s} {str(r["patches"]):>12s} '
              f'{r["us_per_sample"]:10.1f} {r["beit_ratio"]:12.1f}x')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=2)


if __name__ == '__main__':
    main()
