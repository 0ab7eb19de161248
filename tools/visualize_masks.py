"""Draw each masking strategy over word images into one PNG grid.

    python tools/visualize_masks.py --out masks.png                 # synthetic words
    python tools/visualize_masks.py --images ../shared/data/str_real/svt_test/IMG --num 6

Columns: the word, then one per strategy (grey = masked patches). Each
strategy uses its defaults unless overridden (--random-ratio, ...).
"""
import argparse
import os
import os.path as osp

import cv2

import mmocr_mms  # noqa: F401
from mmocr_mms.datasets.transforms import (BlockwiseMasking,
                                           RandomPatchMasking, SpanMasking)
from mmocr_mms.visualization import make_grid, overlay_mask, word_images


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--images', help='image folder (default: synthetic words)')
    p.add_argument('--num', type=int, default=6, help='number of words')
    p.add_argument('--out', default='work_dirs/masks.png', help='output PNG')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--size', type=int, nargs=2, default=(32, 128),
                   metavar=('H', 'W'))
    p.add_argument('--patch-size', type=int, default=4)
    p.add_argument('--random-ratio', type=float, default=0.75)
    p.add_argument('--block-ratio', type=float, default=0.5)
    p.add_argument('--span-ratio', type=float, default=0.4)
    p.add_argument('--scale', type=int, default=3)
    return p.parse_args()


def main():
    args = parse_args()
    common = dict(input_size=tuple(args.size), patch_size=args.patch_size,
                  seed=args.seed)
    strategies = [
        (f'random {args.random_ratio}',
         RandomPatchMasking(mask_ratio=args.random_ratio, **common)),
        (f'blockwise {args.block_ratio}',
         BlockwiseMasking(mask_ratio=args.block_ratio, **common)),
        (f'span {args.span_ratio}',
         SpanMasking(mask_ratio=args.span_ratio, **common)),
    ]
    rows = []
    for i, img in enumerate(
            word_images(args.num, tuple(args.size), args.images,
                        args.seed)):
        row = [img]
        for _, t in strategies:
            row.append(overlay_mask(img, t.transform({'sample_idx': i})['mask']))
        rows.append(row)
    grid = make_grid(rows, ['word'] + [n for n, _ in strategies],
                     scale=args.scale)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if not cv2.imwrite(args.out, grid):
        raise SystemExit(f'could not write {args.out}')
    print(f'saved {args.out} ({len(rows)} words x {len(strategies)} '
          'strategies)')


if __name__ == '__main__':
    main()
