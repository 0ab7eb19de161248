"""Render SynthTIGER word crops into an LMDB (the renderer comparison).

    python tools/dataset_converters/render_synthtiger.py OUT --num 3000 \
        [--seed 0] [--resources work_dirs/synthtiger_res] [--format jpg]

Needs the optional SynthTIGER install (requirements/synthtiger.txt). Its
resources are built from this project's fonts, lexicon and text sampler
(`mmocr_mms.benchmarks.synthtiger_engine.build_resources`) into
--resources when that folder has none yet. Sample i is deterministic per
(seed, i); the LMDB has the MMOCR layout (image-%09d, label-%09d,
num-samples) that `LabelledLMDBDataset` reads, like render_words.py.
"""
import argparse
import json
import os.path as osp

from mmocr_mms.benchmarks.synthtiger_engine import (build_resources,
                                                    render_lmdb_synthtiger)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='LMDB folder to create')
    parser.add_argument('--num', type=int, required=True)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--resources', default='work_dirs/synthtiger_res',
                        help='resource folder (built when missing)')
    parser.add_argument('--num-texts', type=int, default=100000,
                        help='corpus lines when the resources are built')
    parser.add_argument('--format', default='jpg', choices=('jpg', 'png'))
    parser.add_argument('--quality', type=int, default=90)
    parser.add_argument('--template', type=json.loads, default=None,
                        help='make_template keyword arguments as JSON')
    return parser.parse_args()


def main():
    args = parse_args()
    res = dict(fonts=osp.join(args.resources, 'fonts'),
               corpus=osp.join(args.resources, 'corpus.txt'),
               colormap=osp.join(args.resources, 'colormap.txt'),
               textures=osp.join(args.resources, 'textures'))
    if not all(osp.exists(p) for p in res.values()):
        res = build_resources(args.resources, seed=args.seed,
                              num_texts=args.num_texts)
    stats = render_lmdb_synthtiger(
        args.out, args.num, res, seed=args.seed, image_format=args.format,
        quality=args.quality, template_kwargs=args.template)
    print(f'{args.out}: {stats["total"]} samples, '
          f'{stats["images_per_s"]:.1f} img/s')


if __name__ == '__main__':
    main()
