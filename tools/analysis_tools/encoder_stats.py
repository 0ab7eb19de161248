"""Layer-by-layer token statistics of TextViT encoders: do their tokens
still tell the positions of a word apart before fine-tuning?

    python tools/analysis_tools/encoder_stats.py CONFIG CHECKPOINT [CHECKPOINT ...]
        [--labels A B ...] [--images FOLDER] [--num 256] [--seed 0]
        [--json stats.json] [--out stats.png]

CONFIG gives the encoder (its ``model.backbone``: a pretraining config or a
recognizer config) and the normalisation (its ``model.data_preprocessor``,
else ImageNet mean/std in RGB). Each CHECKPOINT is a pretraining runner
checkpoint, a converted backbone file or a recognizer checkpoint (its
``backbone.`` weights), or ``init`` for the config's random init (seeded
by ``--seed``). Images: the first --num crops of FOLDER (recursive, sorted,
resized to the encoder's input size), else rendered words.

Prints, per encoder and layer: mean token norm, mean cosine between two
tokens of one image (``token_cos``; 1 = every position carries the same
direction), the same after subtracting the mean token of all images
(``c.cos``), the within-image share of the token variance (``within``), the
effective rank of the position-specific part (``w.rank``) and the attention
entropy over log(S) (``attn_H``; 1 = uniform averaging); see
:mod:`mmocr_mms.evaluation.encoder_stats`. ``--out`` draws them against
depth, ``--json`` keeps the numbers.
"""
import argparse
import json
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import torch  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoints', nargs='+',
                   help="checkpoint files, or 'init' for the random init")
    p.add_argument('--labels', nargs='+')
    p.add_argument('--images', help='image folder (default: rendered words)')
    p.add_argument('--num', type=int, default=256, help='number of images')
    p.add_argument('--seed', type=int, default=0,
                   help="seed of 'init' and of the rendered words")
    p.add_argument('--json', help='write the statistics here')
    p.add_argument('--out', help='figure path (.png)')
    return p.parse_args(argv)


def build_encoder(cfg, checkpoint: str, seed: int) -> torch.nn.Module:
    """The config's backbone with the random init (``'init'``) or the
    encoder weights of ``checkpoint`` (strict: a missing or unexpected
    encoder tensor is an error)."""
    from mmocr_mms.experiments.mms_vs_mae import build_backbone
    from mmocr_mms.models.backbones.checkpoint_convert import \
        load_backbone_weights
    cfg.model.backbone.pop('init_cfg', None)
    backbone = build_backbone(None, cfg, seed, None)
    if not all(hasattr(backbone, k) for k in ('blocks', 'img_size',
                                              'patchify_embed')):
        raise SystemExit(f'the config\'s backbone is a '
                         f'{type(backbone).__name__}; this tool needs a '
                         'TextViT')
    if checkpoint != 'init':
        if not osp.isfile(checkpoint):
            raise SystemExit(f'checkpoint not found: {checkpoint}')
        try:
            load_backbone_weights(backbone, checkpoint, strict=True)
        except (RuntimeError, ValueError) as e:
            raise SystemExit(f'{checkpoint} does not fit the config\'s '
                             f'encoder: {e}') from None
    return backbone


def normalised_inputs(cfg, imgs) -> torch.Tensor:
    """(N, 3, H, W) float inputs from uint8 BGR images, normalised by the
    config's data preprocessor (default: ImageNet mean/std, RGB)."""
    from mmocr.registry import MODELS

    from mmocr_mms.evaluation.probe import default_data_preprocessor
    pre_cfg = cfg.model.get('data_preprocessor')
    pre = MODELS.build(pre_cfg) if pre_cfg else default_data_preprocessor()
    batch = dict(inputs=[torch.from_numpy(i).permute(2, 0, 1).contiguous()
                         for i in imgs])
    return pre(batch, False)['inputs'].float()


def plot(stats: dict, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    keys = [('token_cos', 'cosine of two tokens of one image'),
            ('centered_cos', 'the same, all-image mean token removed'),
            ('within_share', 'within-image share of variance'),
            ('attn_entropy', 'attention entropy / log(S)')]
    fig, axes = plt.subplots(1, len(keys), figsize=(3.9 * len(keys), 3.9))
    for ax, (key, title) in zip(axes, keys):
        for name, rows in stats.items():
            pts = [(i, r[key]) for i, r in enumerate(rows)
                   if r[key] is not None]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker='o',
                    label=name)
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels([r['layer'].replace('block', 'b') for r in rows])
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    handles, names = axes[0].get_legend_handles_labels()
    ncol = min(3, len(names))
    nrow = -(-len(names) // ncol)
    fig.legend(handles, names, loc='lower center', ncol=ncol, fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.07 * nrow, 1, 1))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    labels = args.labels or args.checkpoints
    if len(labels) != len(args.checkpoints):
        raise SystemExit(f'{len(labels)} labels for '
                         f'{len(args.checkpoints)} checkpoints')
    if len(set(labels)) != len(labels):
        raise SystemExit('labels must differ (pass --labels when a '
                         'checkpoint is given twice)')
    if args.num < 2:
        raise SystemExit('--num must be at least 2')
    import logging

    import mmocr_mms  # noqa: F401
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    from mmocr_mms.evaluation.encoder_stats import (encoder_token_stats,
                                                    format_token_stats)
    from mmocr_mms.visualization import word_images
    init_default_scope('mmocr')
    # mmengine logs every tensor of an init_weights() call at INFO
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    cfg = Config.fromfile(args.config)
    if 'backbone' not in cfg.get('model', {}):
        raise SystemExit(f'{args.config} has no model.backbone')
    stats = {}
    inputs = None
    for label, ckpt in zip(labels, args.checkpoints):
        backbone = build_encoder(cfg, ckpt, args.seed)
        if inputs is None:
            h, w = backbone.img_size
            imgs = word_images(args.num, (h, w), args.images, args.seed)
            if len(imgs) < 2:
                raise SystemExit(f'{args.images} holds {len(imgs)} image; '
                                 'the statistics need at least 2')
            inputs = normalised_inputs(cfg, imgs)
        stats[label] = encoder_token_stats(backbone, inputs)
    print(f'{inputs.shape[0]} images '
          f'({args.images or "rendered words, seed %d" % args.seed})')
    print(format_token_stats(stats))
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(dict(images=args.images, num=int(inputs.shape[0]),
                           seed=args.seed, stats=stats), f, indent=1)
    if args.out:
        plot(stats, args.out)
        print(f'saved {args.out}')


if __name__ == '__main__':
    main()
