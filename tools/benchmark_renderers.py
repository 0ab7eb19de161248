"""Images/s per core of our WordRenderer vs SynthTIGER, alternated.

    OMP_NUM_THREADS=1 python tools/benchmark_renderers.py [--num 500]
        [--rounds 3] [--resources work_dirs/synthtiger_res] [--json OUT]
        [--figure docs/figures/renderers.png]   # samples 0..9, no timing

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


def write_figure(path, res, seed, num=10, height=32, width=160):
    """Samples 0..num-1 of both engines, each resized to height x width
    (the recognizer's input aspect is 32 x 128), ours left."""
    import cv2
    import numpy as np

    from mmocr_mms.benchmarks.synthtiger_engine import (make_template,
                                                        render_synthtiger)
    from mmocr_mms.datasets.synth_render import WordRenderer
    ours, tpl = WordRenderer(), make_template(res)
    rows = []
    for i in range(num):
        a = ours.render(seed, i)[0]
        b = render_synthtiger(tpl, seed, i)[0]
        gap = np.full((height, 8, 3), 255, np.uint8)
        rows.append(np.hstack([cv2.resize(a, (width, height)), gap,
                               cv2.resize(b, (width, height))]))
        rows.append(np.full((4, rows[-1].shape[1], 3), 255, np.uint8))
    cv2.imwrite(path, np.vstack(rows[:-1]))
    print(f'wrote {path}')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--num', type=int, default=500)
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--resources', default='work_dirs/synthtiger_res')
    p.add_argument('--num-texts', type=int, default=100000,
                   help='corpus lines when the resources are built')
    p.add_argument('--json', default=None)
    p.add_argument('--figure', default=None,
                   help='write samples 0..9 of both engines side by side '
                   '(ours left, SynthTIGER right) to this PNG and exit')
    args = p.parse_args()
    res = dict(fonts=osp.join(args.resources, 'fonts'),
               corpus=osp.join(args.resources, 'corpus.txt'),
               colormap=osp.join(args.resources, 'colormap.txt'),
               textures=osp.join(args.resources, 'textures'))
    if not all(osp.exists(v) for v in res.values()):
        res = build_resources(args.resources, seed=args.seed,
                              num_texts=args.num_texts)
    if args.figure:
        write_figure(args.figure, res, args.seed)
        return
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
