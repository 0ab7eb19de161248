"""Draw rendered training words with their labels into one PNG.

    python tools/visualize_words.py --out docs/figures/rendered_words.png
    python tools/visualize_words.py --num 48 --cols 6 --renderer '{"curve_prob": 1}'

Each tile is sample i of `WordRenderer(**renderer).render(seed, i)`,
resized to --tile H W, with its transcription below.
"""
import argparse
import json
import os
import os.path as osp

import cv2
import numpy as np

from mmocr_mms.datasets.synth_render import WordRenderer


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default='work_dirs/rendered_words.png')
    p.add_argument('--num', type=int, default=32)
    p.add_argument('--cols', type=int, default=4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--tile', type=int, nargs=2, default=(40, 160),
                   metavar=('H', 'W'))
    p.add_argument('--renderer', type=json.loads, default=None,
                   help='WordRenderer keyword arguments as JSON')
    return p.parse_args()


def words_sheet(renderer: WordRenderer, seed: int, num: int, cols: int,
                tile=(40, 160), pad: int = 4) -> np.ndarray:
    """uint8 BGR sheet of ``num`` rendered words with their labels."""
    th, tw = tile
    tiles = []
    for i in range(num):
        img, text, _ = renderer.render(seed, i)
        img = cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA)
        label = np.full((18, tw, 3), 255, np.uint8)
        cv2.putText(label, text, (2, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(np.concatenate([img, label], 0))
    blank = np.full_like(tiles[0], 255)
    tiles += [blank] * (-len(tiles) % cols)
    rows = []
    for r in range(0, len(tiles), cols):
        row = []
        for t in tiles[r:r + cols]:
            row += [t, np.full((t.shape[0], pad, 3), 255, np.uint8)]
        rows += [np.concatenate(row, 1),
                 np.full((pad, (tw + pad) * cols, 3), 255, np.uint8)]
    return np.concatenate(rows, 0)


def main():
    args = parse_args()
    sheet = words_sheet(WordRenderer(**(args.renderer or {})), args.seed,
                        args.num, args.cols, tuple(args.tile))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    cv2.imwrite(args.out, sheet)
    print(f'wrote {args.out} ({args.num} words)')


if __name__ == '__main__':
    main()
