"""Original | masked | reconstruction of a pretrained MMS model, one row
per image and masking strategy, as a PNG.

    python tools/visualize_reconstruction.py CONFIG CHECKPOINT \
        [--images FOLDER] [--num 4] [--out recon.png] [--full]

Images: the first --num images of FOLDER (any word crops, resized to the
model's input size) or, by default, synthetic words. Strategies: those of
the config's training pipeline (all of MultiMasking's for MMS).
"""
import argparse
import os
import os.path as osp

import cv2

import mmocr_mms  # noqa: F401
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmocr.registry import MODELS, TRANSFORMS

from mmocr_mms.visualization import (find_mask_strategies,
                                     reconstruction_grid, word_images)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--images', help='image folder (default: synthetic words)')
    p.add_argument('--num', type=int, default=4)
    p.add_argument('--seed', type=int, default=1,
                   help='synthetic corpus seed (default differs from the '
                   'training seed 0, so the words are unseen)')
    p.add_argument('--out', default='work_dirs/reconstruction.png')
    p.add_argument('--full', action='store_true',
                   help='add a column with every patch predicted')
    args = p.parse_args()

    init_default_scope('mmocr')
    cfg = Config.fromfile(args.config)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    gh, gw = model.grid
    h, w = gh * model.patch_size, gw * model.patch_size
    imgs = word_images(args.num, (h, w), args.images, args.seed)
    pipeline = [TRANSFORMS.build(t) for t in
                cfg.train_dataloader.dataset.get('pipeline', [])]
    grid, _ = reconstruction_grid(model, imgs, find_mask_strategies(pipeline),
                                  full_prediction=args.full)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    cv2.imwrite(args.out, grid)
    print(f'saved {args.out}')


if __name__ == '__main__':
    main()
