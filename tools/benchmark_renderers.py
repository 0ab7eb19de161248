"""Images/s per core of our WordRenderer vs SynthTIGER, alternated.

    OMP_NUM_THREADS=1 python tools/benchmark_renderers.py [--num 500]
        [--rounds 3] [--resources work_dirs/synthtiger_res] [--json OUT]

Needs the optional SynthTIGER install (requirements/synthtiger.txt); its
resources are built from our fonts and text sampler into --resources when
missing (mmocr_mms.benchmarks.synthtiger_engine.build_resources).
"""
import argparse
import json
import os.path as osp
import platform

from mmocr_mms.benchmarks.renderers import compare_renderers
from mmocr_mms.benchmarks.synthtiger_engine import build_resources


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--num', type=int, default=500)
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--resources', default='work_dirs/synthtiger_res')
    p.add_argument('--num-texts', type=int, default=100000,
                   help='corpus lines when the resources are built')
    p.add_argument('--json', default=None)
    args = p.parse_args()
    res = dict(fonts=osp.join(args.resources, 'fonts'),
               corpus=osp.join(args.resources, 'corpus.txt'),
               colormap=osp.join(args.resources, 'colormap.txt'),
               textures=osp.join(args.resources, 'textures'))
    if not all(osp.exists(v) for v in res.values()):
        res = build_resources(args.resources, seed=args.seed,
                              num_texts=args.num_texts)
    out = compare_renderers(res, num=args.num, rounds=args.rounds,
                            seed=args.seed)
    print(f'machine: {platform.processor() or platform.machine()}, '
          f'{args.rounds} rounds x {args.num} images per engine, alternated')
    print('| round | ours img/s (wall) | SynthTIGER img/s (wall) | '
          'ours img/CPU-s | SynthTIGER img/CPU-s |')
    print('|---|---|---|---|---|')
    for i, r in enumerate(out['rounds']):
        print(f'| {i + 1} | {r["ours_wall"]:.1f} | {r["synthtiger_wall"]:.1f}'
              f' | {r["ours_cpu"]:.1f} | {r["synthtiger_cpu"]:.1f} |')
    print(f'ours / SynthTIGER (median): wall {out["ratio_wall"]:.2f}x, '
          f'per CPU-second {out["ratio_cpu"]:.2f}x')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=1)


if __name__ == '__main__':
    main()
