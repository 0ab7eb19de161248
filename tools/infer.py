"""Read word crops with a recognizer and print ``file<TAB>text<TAB>score``.

    python tools/infer.py CONFIG CHECKPOINT INPUT \
        [--out-tsv F] [--batch-size 32] [--vis-dir D] [--device cpu]

INPUT is an image, a folder of images or a text file listing image paths
(one per line, relative to the list file). Prediction goes through MMOCR's
``TextRecInferencer`` (the config's test pipeline and postprocessor); score
is the mean per-character score. ``--vis-dir`` saves MMOCR's visualisations
under ``D/vis/``. The progress bar goes to stderr, the table to stdout (and
to ``--out-tsv``). Logic: :mod:`mmocr_mms.apis.read_words`.
"""
import argparse
import sys
from typing import List, Optional

import mmocr_mms  # noqa: F401  (compat layer + registration, before mmocr)
from mmocr_mms.apis.read_words import list_images, read_words


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='recognizer config file')
    p.add_argument('checkpoint', help='recognizer checkpoint')
    p.add_argument('input', help='image, folder of images or list file')
    p.add_argument('--out-tsv', help='also write the rows to this file')
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--vis-dir', help='save visualisations under DIR/vis')
    p.add_argument('--device', default='cpu')
    p.add_argument('--no-progress', action='store_true',
                   help='hide the progress bar')
    args = p.parse_args(argv)
    if args.batch_size < 1:
        p.error('--batch-size must be >= 1')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    """Recognise every image of INPUT and print one row per image."""
    args = parse_args(argv)
    paths = list_images(args.input)
    out = open(args.out_tsv, 'w', encoding='utf-8') if args.out_tsv \
        else None
    try:
        for path, text, score in read_words(
                args.config, args.checkpoint, paths,
                batch_size=args.batch_size, device=args.device,
                vis_dir=args.vis_dir, progress=not args.no_progress):
            row = f'{path}\t{text}\t{score:.4f}'
            print(row)
            if out:
                out.write(row + '\n')
        sys.stdout.flush()
    finally:
        if out:
            out.close()


if __name__ == '__main__':
    main()
