"""Convert an image folder, a list file or a labels.tsv folder into an LMDB.

    python tools/dataset_converters/make_lmdb.py SOURCE OUT [--no-check]

SOURCE: a folder with labels.tsv (labelled), a .tsv file, a list file (one
image path per line, relative to its folder) or an image folder (recursive).
OUT: the LMDB folder to create (Union14M / MMOCR layout: `num-samples`,
`image-%09d`, `label-%09d`); read it with `UnlabeledLMDBDataset`.
"""
import argparse

from mmocr_mms.datasets.lmdb_writer import collect_items, write_lmdb


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('source', help='image folder, list file, .tsv, or '
                        'a folder holding labels.tsv')
    parser.add_argument('out', help='output LMDB folder (must not exist)')
    parser.add_argument('--no-check', action='store_true',
                        help='store files without decoding them first')
    parser.add_argument('--limit', type=int, default=None,
                        help='convert only the first N images')
    return parser.parse_args()


def main():
    args = parse_args()
    items = collect_items(args.source)
    if args.limit is not None:
        items = items[:args.limit]
    stats = write_lmdb(items, args.out, check=not args.no_check)
    skipped = {k: v for k, v in stats.items() if k != 'written'}
    print(f'wrote {stats["written"]} images to {args.out}'
          + (f'; skipped {skipped}' if skipped else ''))


if __name__ == '__main__':
    main()
