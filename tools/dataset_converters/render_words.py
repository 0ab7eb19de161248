"""Pre-render synthetic labelled (or unlabelled) words into an LMDB.

    python tools/dataset_converters/render_words.py OUT --num 100000 [--seed 0]
        [--workers N] [--unlabelled] [--format jpg|png] [--quality 90]
        [--renderer '{"font_dir": "/usr/share/fonts", "height": 32}']

Uses every core by default, shows a progress bar, and is deterministic per
(seed, index): sample i is `WordRenderer(**renderer).render(seed, i)`. An
interrupted run continues where it stopped when run again with the same
arguments. Read the result with `LabelledLMDBDataset` (fine-tuning) or
`UnlabeledLMDBDataset` (pretraining); `configs/textrecog/_base_/datasets/
rendered_words_lmdb.py` does it.
"""
import argparse
import json

from mmocr_mms.datasets.render_corpus import render_lmdb


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='LMDB folder to create or continue')
    parser.add_argument('--num', type=int, required=True,
                        help='number of samples wanted in total')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=None,
                        help='processes (default: all cores)')
    parser.add_argument('--unlabelled', action='store_true',
                        help='store images only (pretraining corpora)')
    parser.add_argument('--format', default='jpg', choices=('jpg', 'png'))
    parser.add_argument('--quality', type=int, default=90,
                        help='JPEG quality')
    parser.add_argument('--renderer', type=json.loads, default=None,
                        help='WordRenderer keyword arguments as JSON')
    parser.add_argument('--chunk', type=int, default=256,
                        help='samples per task and per commit')
    return parser.parse_args()


def main():
    args = parse_args()
    stats = render_lmdb(
        args.out, args.num, seed=args.seed, renderer=args.renderer,
        workers=args.workers, labelled=not args.unlabelled,
        image_format=args.format, quality=args.quality, chunk=args.chunk)
    print(f'{args.out}: {stats["total"]} samples '
          f'({stats["written"]} new, resumed from {stats["resumed_from"]}), '
          f'{stats["images_per_s"]:.0f} img/s; failed renders '
          f'{stats["failed"]}, skipped fonts {stats["skipped_fonts"]}')


if __name__ == '__main__':
    main()
