"""Equal-budget comparison of masking strategies (issue 9).

For each arm and seed: pretrain the same TextViT with the same corpus,
batch size and number of iterations, changing only the masking pipeline;
then measure the frozen encoder with a linear CTC probe
(:mod:`mmocr_mms.evaluation.probe`), the masked-patch reconstruction loss of
every strategy on held-out synthetic words, and optionally full fine-tuning.

Arms (masks read from the configs, see --pretrain-config / --mae-config)::

    mms        the MultiMasking of the pretraining config (by default
               configs/mms/mms_text-vit-demo_4e_synth-words.py: random 0.75
               / blockwise 0.5 / span 0.4)
    mae        the mask of the MAE config (RandomPatchMasking 0.75)
    blockwise  that MultiMasking's BlockwiseMasking strategy
    span       that MultiMasking's SpanMasking strategy
    scratch    no pretraining (random-init encoder)

The stages live in :mod:`mmocr_mms.experiments.mms_vs_mae`; this file only
parses the command line.

Corpus (unlabeled): the real training crops of str_real (iiit5k_train +
svt_train + ic15_train, labels dropped, ImageFolderDataset over each
labels.tsv) concatenated with ``--num-images`` SynthWordDataset words (seed
0). ``--no-real`` pretrains on the synthetic words only and probes on
labelled synthetic words (seeds 2 / 3): a smoke mode that needs no data.

Probe: trained on the real training crops, evaluated on iiit5k_test and
svt_test (word accuracy ignoring case and symbols).

Budget: ``--iters`` is rounded up to whole epochs over the corpus (masks
change every epoch through MaskEpochHook); the iterations actually run are
in the JSON. Every arm gets the same number.

Outputs in --work-dir: results.json, results.md, per arm/seed work dirs
(pretraining checkpoint, backbone.pth, cached probe features) and
recon_span_mae_vs_mms_seed<S>.png (original | masked | reconstruction for
span-masked held-out words, MAE on the left, MMS on the right).

Example (the CPU protocol)::

    OMP_NUM_THREADS=2 python tools/experiments/mms_vs_mae.py \
        --arch demo --iters 1000 --batch 64 --num-images 10000 \
        --seeds 0 1 2 --arms mms mae blockwise span scratch \
        --work-dir work_dirs/mms_vs_mae
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import mmocr_mms  # noqa: F401  (compat layer + registration, before mmocr)
from mmengine.config import DictAction

from mmocr_mms.experiments.mms_vs_mae import ARMS, run

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRETRAIN_CFG = osp.join(ROOT, 'configs', 'mms',
                        'mms_text-vit-demo_4e_synth-words.py')
MAE_CFG = osp.join(ROOT, 'configs', 'mms', 'mae_text-vit-s_20e_synth-words.py')
FINETUNE_CFG = osp.join(ROOT, 'configs', 'textrecog', 'svtr',
                        'svtr_text-vit-demo_3e_str-real.py')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description='Equal-budget MMS vs MAE (and blockwise, span, scratch)',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--pretrain-config', default=PRETRAIN_CFG,
                   help='pretraining config: model, optimiser and the '
                   'MultiMasking the mms / blockwise / span arms use')
    p.add_argument('--mae-config', default=MAE_CFG,
                   help='config whose mask transform the mae arm uses')
    p.add_argument('--arch', default='demo',
                   help="encoder: 'demo' (128-d x 4, the pretrain_demo "
                   "config), a TextViT preset (tiny/small/base) or "
                   "'DIMS,LAYERS,HEADS'")
    p.add_argument('--decoder', default=None,
                   help="pixel decoder 'DIMS,LAYERS,HEADS' (default: "
                   "pretrain_demo's 64-d x 2 x 4)")
    p.add_argument('--iters', type=int, default=1000,
                   help='pretraining iterations (rounded up to epochs)')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=None,
                   help='pretraining lr (default 3e-4 x batch / 64, the '
                   "demo config's)")
    p.add_argument('--num-images', type=int, default=10000,
                   help='synthetic words in the pretraining corpus')
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--arms', nargs='+', default=ARMS, choices=ARMS)
    p.add_argument('--work-dir', default='work_dirs/mms_vs_mae')
    p.add_argument('--str-real',
                   default=os.environ.get(
                       'MMOCR_MMS_STR_REAL',
                       osp.join(ROOT, '..', 'shared', 'data', 'str_real')),
                   help='str_real root (env MMOCR_MMS_STR_REAL)')
    p.add_argument('--no-real', action='store_true',
                   help='synthetic words only (pretraining and probe)')
    p.add_argument('--workers', type=int, default=1,
                   help='pretraining DataLoader workers')
    p.add_argument('--no-eval', action='store_true',
                   help='pretrain only (no probe, losses, pictures)')
    p.add_argument('--probe-epochs', type=int, default=60)
    p.add_argument('--probe-lr', type=float, default=2e-2)
    p.add_argument('--probe-batch', type=int, default=64)
    p.add_argument('--probe-pool', choices=['mean', 'concat'],
                   default='concat',
                   help="frames from the 8 x 32 map: rows averaged ('mean', "
                   "C features) or stacked ('concat', 8 C features)")
    p.add_argument('--probe-schedule', choices=['constant', 'cosine'],
                   default='cosine')
    p.add_argument('--probe-limit', type=int, default=None,
                   help='use at most this many crops per probe split')
    p.add_argument('--probe-synth', type=int, default=2000,
                   help='labelled synthetic words per probe split with '
                   '--no-real')
    p.add_argument('--recon-samples', type=int, default=256,
                   help='held-out synthetic words (seed 1) for the '
                   'reconstruction losses')
    p.add_argument('--finetune', action='store_true',
                   help='also fine-tune every arm with --finetune-config')
    p.add_argument('--finetune-config', default=FINETUNE_CFG)
    p.add_argument('--finetune-seeds', type=int, nargs='+', default=None,
                   help='fine-tune only these seeds (default: all)')
    p.add_argument('--finetune-epochs', type=int, default=None,
                   help="fine-tuning epochs (default: the config's); the "
                   'epoch-based schedulers are shortened to match')
    p.add_argument('--finetune-options', nargs='+', action=DictAction,
                   default={}, help='extra --cfg-options of fine-tuning')
    args = p.parse_args(argv)
    if args.iters < 1 or args.batch < 1 or args.num_images < 0:
        p.error('--iters and --batch must be >= 1, --num-images >= 0')
    if args.no_real and args.num_images < 1:
        p.error('--no-real needs --num-images >= 1')
    if args.finetune and args.no_real:
        p.error('--finetune needs the real data (drop --no-real)')
    return args


def main(argv: Optional[List[str]] = None) -> dict:
    return run(parse_args(argv))


if __name__ == '__main__':
    main(sys.argv[1:])
