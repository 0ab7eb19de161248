"""Equal-budget comparison of masking strategies (issue 9).

For each arm and seed: pretrain the same TextViT with the same corpus,
batch size and number of iterations, changing only the masking pipeline;
then measure the frozen encoder with a linear CTC probe
(:mod:`mmocr_mms.evaluation.probe`), the masked-patch reconstruction loss of
every strategy on held-out synthetic words, and optionally full fine-tuning.

Arms::

    mms        MultiMasking, the defaults of configs/_base_/datasets/
               mms_pipeline.py (random 0.75 / blockwise 0.5 / span 0.4)
    mae        RandomPatchMasking 0.75
    blockwise  BlockwiseMasking 0.5
    span       SpanMasking 0.4
    scratch    no pretraining (random-init encoder)

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
import copy
import json
import math
import os
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch

import mmocr_mms  # noqa: F401  (compat layer + registration, before mmocr)
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import init_default_scope
from mmocr.registry import DATASETS, MODELS, TRANSFORMS

from mmocr_mms.evaluation.probe import (extract_features, probe_metrics,
                                        probe_pipeline, train_probe)
from mmocr_mms.models.backbones.text_vit import load_backbone_weights
from mmocr_mms.utils.convert import convert_to_backbone_checkpoint
from mmocr_mms.visualization import reconstruction_grid

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRETRAIN_CFG = osp.join(ROOT, 'configs', 'mms',
                        'mms_text-vit-demo_4e_synth-words.py')
FINETUNE_CFG = osp.join(ROOT, 'configs', 'textrecog', 'svtr',
                        'svtr_text-vit-demo_3e_str-real.py')
REAL_TRAIN = ['iiit5k_train', 'svt_train', 'ic15_train']
REAL_TEST = ['iiit5k_test', 'svt_test']
ARMS = ['mms', 'mae', 'blockwise', 'span', 'scratch']
INPUT = dict(input_size=(32, 128), patch_size=4)
# the strategies (and ratios) of configs/_base_/datasets/mms_pipeline.py
STRATEGIES = dict(
    random=dict(type='RandomPatchMasking', mask_ratio=0.75),
    blockwise=dict(type='BlockwiseMasking', mask_ratio=0.5,
                   min_num_patches=4, max_num_patches=16, min_aspect=0.3),
    span=dict(type='SpanMasking', mask_ratio=0.4, min_span=2, max_span=8,
              distribution='geometric', p=0.3),
)
ARCHS = dict(demo=dict(embed_dims=128, num_layers=4, num_heads=4,
                       mlp_ratio=4))


# --------------------------------------------------------------------------
# arguments
# --------------------------------------------------------------------------
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description='Equal-budget MMS vs MAE (and blockwise, span, scratch)',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
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


def parse_arch(spec: str):
    """'demo' -> the demo dict, a preset name -> itself, 'D,L,H' -> dict."""
    if spec in ARCHS:
        return dict(ARCHS[spec])
    if ',' in spec:
        d, layers, h = (int(v) for v in spec.split(','))
        return dict(embed_dims=d, num_layers=layers, num_heads=h,
                    mlp_ratio=4)
    return spec


# --------------------------------------------------------------------------
# configs
# --------------------------------------------------------------------------
def mask_transform(arm: str, seed: Optional[int] = None) -> Optional[dict]:
    """The mask transform config of an arm (None for 'scratch')."""
    if arm == 'scratch':
        return None
    if arm == 'mms':
        t = dict(type='MultiMasking',
                 strategies=[copy.deepcopy(s) for s in STRATEGIES.values()],
                 probs=[1 / 3] * 3, mode='sample', **INPUT)
    else:
        t = dict(STRATEGIES['random' if arm == 'mae' else arm], **INPUT)
    t['seed'] = seed
    return t


def arm_pipeline(arm: str,
                 seed: Optional[int] = None) -> Optional[List[dict]]:
    """Image -> 32 x 128 -> the arm's mask -> PackMIMInputs (both corpus
    datasets deliver decoded images: no LoadImageFromFile)."""
    mask = mask_transform(arm, seed)
    if mask is None:
        return None
    return [dict(type='Resize', scale=(128, 32), keep_ratio=False), mask,
            dict(type='PackMIMInputs')]


def corpus_cfg(args, arm: str, seed: int) -> dict:
    """The unlabeled pretraining corpus: real training crops + synthetic
    words (each part with its own mask seed)."""
    parts = []
    if not args.no_real:
        for k, split in enumerate(REAL_TRAIN):
            parts.append(dict(
                type='ImageFolderDataset',
                data_root=osp.join(args.str_real, split),
                ann_file='labels.tsv',
                pipeline=arm_pipeline(arm, seed * 10 + k)))
    if args.num_images:
        parts.append(dict(
            type='SynthWordDataset', num_samples=args.num_images, seed=0,
            labelled=False, pipeline=arm_pipeline(arm, seed * 10 + 9)))
    return dict(type='ConcatDataset', verify_meta=False, datasets=parts)


def corpus_mix(args) -> Dict[str, int]:
    """Number of images of each corpus part."""
    mix = {}
    if not args.no_real:
        for split in REAL_TRAIN:
            ds = DATASETS.build(dict(
                type='ImageFolderDataset',
                data_root=osp.join(args.str_real, split),
                ann_file='labels.tsv'))
            mix[f'{split} (real, labels dropped)'] = len(ds)
    if args.num_images:
        mix['SynthWordDataset seed 0'] = args.num_images
    return mix


def pretrain_config(args, arm: str, seed: int, work_dir: str,
                    corpus_size: int) -> Config:
    """configs/mms/pretrain_demo.py with the arm's masking, the corpus and
    the budget of ``args``."""
    cfg = Config.fromfile(PRETRAIN_CFG)
    arch = parse_arch(args.arch)
    cfg.model.backbone.arch = arch
    if args.decoder:
        d, layers, h = (int(v) for v in args.decoder.split(','))
        cfg.model.decoder.update(embed_dims=d, num_layers=layers,
                                 num_heads=h)
    cfg.train_dataloader.batch_size = args.batch
    cfg.train_dataloader.num_workers = args.workers
    cfg.train_dataloader.persistent_workers = False
    cfg.train_dataloader.dataset = ConfigDict(corpus_cfg(args, arm, seed))
    iters_per_epoch = math.ceil(corpus_size / args.batch)
    epochs = max(1, math.ceil(args.iters / iters_per_epoch))
    total = epochs * iters_per_epoch
    warmup = max(1, min(total // 10, 100))
    cfg.train_cfg = ConfigDict(type='EpochBasedTrainLoop',
                               max_epochs=epochs, val_interval=epochs + 1)
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
             end=warmup),
        dict(type='CosineAnnealingLR', T_max=max(1, total - warmup),
             eta_min=1e-5, by_epoch=False, begin=warmup, end=total),
    ]
    lr = args.lr if args.lr is not None else 3e-4 * args.batch / 64
    cfg.optim_wrapper.optimizer.lr = lr
    cfg.default_hooks.logger.interval = max(1, min(20, total))
    cfg.default_hooks.checkpoint = ConfigDict(
        type='CheckpointHook', interval=epochs, max_keep_ckpts=1)
    cfg.custom_hooks = [dict(type='MaskEpochHook')]
    cfg.randomness = dict(seed=seed)
    # a fresh visualizer per run (a fixed name would make every later run
    # of this process log its scalars into the first run's folder)
    cfg.visualizer.name = f'pretrain_{arm}_seed{seed}_{id(cfg)}'
    cfg.work_dir = work_dir
    cfg.experiment = dict(arm=arm, seed=seed, epochs=epochs, iters=total,
                          lr=lr)
    return cfg


# --------------------------------------------------------------------------
# stages
# --------------------------------------------------------------------------
def pretrain(cfg: Config):
    """Train with a Runner (as tools/train.py); returns (runner, last
    checkpoint path, seconds)."""
    from mmengine.runner import Runner
    t0 = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt = osp.join(cfg.work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
    return runner, ckpt, time.time() - t0


def build_backbone(args, pretrain_cfg: Config, seed: int,
                   backbone_ckpt: Optional[str]) -> torch.nn.Module:
    """The encoder: pretrained weights, or (scratch) a seeded random init."""
    cfg = copy.deepcopy(pretrain_cfg.model.backbone)
    torch.manual_seed(seed)
    backbone = MODELS.build(cfg)
    backbone.init_weights()
    if backbone_ckpt:
        load_backbone_weights(backbone, backbone_ckpt)
    return backbone


def probe_sets(args) -> Dict[str, dict]:
    """Labelled dataset configs: 'train' plus each test split."""
    if args.no_real:
        def synth(seed):
            return dict(type='SynthWordDataset', num_samples=args.probe_synth,
                        seed=seed, labelled=True,
                        pipeline=probe_pipeline(from_file=False))
        return dict(train=[synth(2)], synth_test=[synth(3)])

    def real(split, test):
        rule = dict(max_len=25, empty='drop',
                    too_long='keep' if test else 'drop',
                    text_mode='no_space')
        cfg = dict(type='FilteredTSVTextRecogDataset',
                   data_root=osp.join(args.str_real, split),
                   label_rule=rule, test_mode=test,
                   pipeline=probe_pipeline(from_file=True))
        if args.probe_limit:
            cfg['indices'] = args.probe_limit
        return cfg
    sets = dict(train=[real(s, False) for s in REAL_TRAIN])
    sets.update({s: [real(s, True)] for s in REAL_TEST})
    return sets


def run_probe(args, backbone, seed: int, cache_dir: str) -> dict:
    """Train the linear CTC probe on 'train', report accuracy per split."""
    feats = {}
    for name, cfgs in probe_sets(args).items():
        fs, ls = [], []
        for i, cfg in enumerate(cfgs):
            f, lab = extract_features(
                backbone, DATASETS.build(cfg), pool=args.probe_pool,
                cache=osp.join(cache_dir,
                               f'feats_{args.probe_pool}_{name}_{i}.pt'))
            fs.append(f)
            ls.extend(lab)
        feats[name] = (torch.cat(fs), ls)
    # the probe's ops are tiny: one thread is much faster than several
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        probe = train_probe(*feats['train'], epochs=args.probe_epochs,
                            lr=args.probe_lr, batch_size=args.probe_batch,
                            seed=seed, schedule=args.probe_schedule)
        train = probe_metrics(probe, *feats['train'])
        out = dict(train_stats=probe.train_stats,
                   train_acc=train['word_acc'],
                   train_ned=train['one_minus_ned'],
                   train_ctc=train['ctc_loss'])
        tests = [n for n in feats if n != 'train']
        for name in tests:
            m = probe_metrics(probe, *feats[name])
            out[name] = m['word_acc']
            out[f'{name}_ned'] = m['one_minus_ned']
            out[f'{name}_ctc'] = m['ctc_loss']
            out[f'{name}_n'] = m['n']
    finally:
        torch.set_num_threads(threads)
    for suffix in ('', '_ned', '_ctc'):
        out[f'avg{suffix}'] = float(np.mean([out[n + suffix]
                                             for n in tests]))
    return out


def held_out_images(n: int) -> List[np.ndarray]:
    """n synthetic words of seed 1 (the corpus uses seed 0), uint8 BGR
    32 x 128."""
    from mmocr_mms.datasets import SynthWordDataset
    ds = SynthWordDataset(num_samples=n, seed=1)
    imgs = []
    for i in range(n):
        r = ds.get_data_info(i)
        ds.load_sample(r)
        imgs.append(cv2.resize(r['img'], (128, 32),
                               interpolation=cv2.INTER_AREA))
    return imgs


def strategy_transforms(seed: int = 0) -> Dict[str, object]:
    """The three mask generators, built with fixed seeds (same masks for
    every arm)."""
    return {name: TRANSFORMS.build(dict(cfg, seed=seed, **INPUT))
            for name, cfg in STRATEGIES.items()}


@torch.no_grad()
def reconstruction_losses(model, images: List[np.ndarray],
                          batch_size: int = 64) -> Dict[str, float]:
    """Mean masked-patch loss (MMS.forward_loss) of each strategy on the
    images, masks keyed by the image index (identical across arms)."""
    model.eval()
    out = {}
    for name, gen in strategy_transforms().items():
        losses = []
        for start in range(0, len(images), batch_size):
            idx = range(start, min(start + batch_size, len(images)))
            inputs = [torch.from_numpy(np.ascontiguousarray(
                images[i].transpose(2, 0, 1))) for i in idx]
            data = model.data_preprocessor(dict(inputs=inputs), False)
            x = data['inputs']
            mask = torch.stack([
                torch.from_numpy(gen.transform({'sample_idx': i})['mask'])
                for i in idx]).flatten(1).bool()
            pred = model.forward_decoder(model.forward_encoder(x, mask),
                                         mask)
            losses.append(model.forward_loss(x, pred, mask))
        out[name] = float(torch.cat(losses).mean())
    return out


def finetune_config(args, seed: int, backbone_ckpt: Optional[str],
                    work_dir: str) -> Config:
    """The recognition config with the arm's encoder weights
    (``model.backbone.init_cfg.checkpoint``; no init for scratch), the
    str_real root, the seed and no validation before the final test."""
    cfg = Config.fromfile(args.finetune_config)
    arch = parse_arch(args.arch)
    if arch != ARCHS['demo']:
        cfg.model.backbone.arch = arch
        dims = arch['embed_dims'] if isinstance(arch, dict) else \
            MODELS.get('TextViT').arch_zoo[arch]['embed_dims']
        for part in ('encoder', 'decoder'):
            if 'in_channels' in cfg.model.get(part, {}):
                cfg.model[part].in_channels = dims
    if backbone_ckpt:
        cfg.merge_from_dict(
            {'model.backbone.init_cfg.checkpoint': backbone_ckpt})
    else:
        cfg.model.backbone.init_cfg = None
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _set_data_root(cfg[loader].dataset, args.str_real)
    if args.finetune_epochs:
        epochs = args.finetune_epochs
        cfg.train_cfg.max_epochs = epochs
        for sched in cfg.param_scheduler:
            if sched.get('by_epoch', True):
                sched.end = epochs
                if 'T_max' in sched:
                    sched.T_max = epochs
    cfg.train_cfg.val_interval = cfg.train_cfg.max_epochs + 1
    cfg.randomness = dict(seed=seed)
    cfg.visualizer.name = f'finetune_seed{seed}_{id(cfg)}'
    cfg.work_dir = work_dir
    if args.finetune_options:
        cfg.merge_from_dict(args.finetune_options)
    return cfg


def finetune(args, seed: int, backbone_ckpt: Optional[str],
             work_dir: str) -> dict:
    """Fine-tune, then test on iiit5k_test / svt_test; the test metrics."""
    from mmengine.runner import Runner
    cfg = finetune_config(args, seed, backbone_ckpt, work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return {k: float(v) for k, v in runner.test().items()}


def _set_data_root(ds_cfg, root: str) -> None:
    if ds_cfg.get('type') == 'TSVSplitsDataset':
        ds_cfg.data_root = root
    for child in ds_cfg.get('datasets', []) or []:
        _set_data_root(child, root)


def save_side_by_side(models: Dict[str, object], images, path: str) -> None:
    """Span-masked reconstructions of each model, tiled left to right."""
    span = strategy_transforms()['span']
    grids = []
    for name, model in models.items():
        grid, _ = reconstruction_grid(model, images, [span])
        label = np.full((24, grid.shape[1], 3), 255, np.uint8)
        cv2.putText(label, name, (4, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                    (0, 0, 0), 1)
        grids.append(np.vstack([label, grid]))
    h = max(g.shape[0] for g in grids)
    sep = np.full((h, 8, 3), 255, np.uint8)
    tiles = []
    for g in grids:
        g = np.vstack([g, np.full((h - g.shape[0], g.shape[1], 3), 255,
                                  np.uint8)])
        tiles += [g, sep]
    cv2.imwrite(path, np.hstack(tiles[:-1]))


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------
def pretrain_losses(checkpoint: str) -> Dict[int, float]:
    """{iteration: loss} logged by the pretraining run that wrote
    ``checkpoint``, read from its text log (``<work_dir>/<time>/<time>.log``;
    the log is per run, while mmengine's visualizer, a process-wide
    instance, can keep writing into the first run's folder)."""
    import glob
    import re
    line_re = re.compile(r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\]'
                         r'.*?\sloss: ([0-9.eE+-]+|nan|inf)')
    losses = {}
    for path in sorted(glob.glob(osp.join(osp.dirname(checkpoint), '*',
                                          '*.log'))):
        with open(path) as f:
            for line in f:
                m = line_re.search(line)
                if m:
                    epoch, it, per_epoch = (int(g) for g in m.groups()[:3])
                    losses[(epoch - 1) * per_epoch + it] = float(m.group(4))
    return losses


def plot_loss_curves(runs: List[dict], path: str) -> bool:
    """Pretraining loss against iteration, one line per arm (mean over
    seeds, band = min..max). Note that the arms reconstruct different
    masks, so their losses measure different tasks. Returns False when no
    run logged a loss."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    per_arm: Dict[str, List[Dict[int, float]]] = {}
    for r in runs:
        if r.get('checkpoint'):
            curve = pretrain_losses(r['checkpoint'])
            if curve:
                per_arm.setdefault(r['arm'], []).append(curve)
    if not per_arm:
        return False
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    for arm, curves in per_arm.items():
        iters = sorted(set.intersection(*(set(c) for c in curves)))
        vals = np.array([[c[i] for i in iters] for c in curves])
        ax.plot(iters, vals.mean(0), label=f'{arm} ({len(curves)} seeds)')
        if len(curves) > 1:
            ax.fill_between(iters, vals.min(0), vals.max(0), alpha=0.2)
    ax.set_xlabel('iteration')
    ax.set_ylabel('masked-patch loss (own masks)')
    ax.set_title('pretraining loss per arm')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def _mean_std(values: List[float]) -> str:
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.4f}'
    return f'{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}'


def write_report(results: dict, work_dir: str) -> None:
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    runs = results['runs']
    arms = list(dict.fromkeys(r['arm'] for r in runs))
    probe_cols = sorted({k for r in runs for k in (r.get('probe') or {})
                         if not k.startswith('train')
                         and not k.endswith('_n')},
                        key=lambda k: (k.startswith('avg'),
                                       k.endswith('_ctc'),
                                       k.endswith('_ned'), k))
    recon_cols = list(STRATEGIES)
    ft_cols = sorted({k for r in runs for k in (r.get('finetune') or {})
                      if 'ignore_case_symbol' in k})
    head = (['arm', 'seeds'] + [f'probe {c}' for c in probe_cols]
            + [f'recon {c}' for c in recon_cols] + ft_cols)
    lines = [
        '# MMS vs MAE, equal budget', '',
        f"corpus: {results['corpus']}  ", f"budget: {results['budget']}  ",
        'probe: linear CTC on frozen features; <split>: word accuracy '
        'ignoring case and symbols, _ned: 1 - normalised edit distance, '
        '_ctc: CTC loss per character (lower is better); recon: '
        'masked-patch MSE (norm_pix target) on held-out synthetic words; '
        'finetune: MMOCR metrics after full fine-tuning; mean ± std over '
        'seeds', '',
        '| ' + ' | '.join(head) + ' |',
        '|' + '---|' * len(head)
    ]
    for arm in arms:
        rs = [r for r in runs if r['arm'] == arm]
        row = [arm, ' '.join(str(r['seed']) for r in rs)]
        for c in probe_cols:
            row.append(_mean_std([r['probe'][c] for r in rs
                                  if r.get('probe') and c in r['probe']]))
        for c in recon_cols:
            row.append(_mean_std([r['recon_loss'][c] for r in rs
                                  if r.get('recon_loss')]))
        for c in ft_cols:
            row.append(_mean_std([r['finetune'][c] for r in rs
                                  if r.get('finetune')
                                  and c in r['finetune']]))
        lines.append('| ' + ' | '.join(row) + ' |')
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    init_default_scope('mmocr')
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    if not args.no_real and not osp.isdir(args.str_real):
        raise SystemExit(f'str_real not found at {args.str_real} (set '
                         '--str-real or MMOCR_MMS_STR_REAL, or --no-real)')
    mix = corpus_mix(args)
    corpus_size = sum(mix.values())
    results = dict(args=vars(args), corpus=mix, runs=[])
    start = time.time()
    held_out = None if args.no_eval else held_out_images(args.recon_samples)
    for seed in args.seeds:
        recon_models = {}
        for arm in args.arms:
            run_dir = osp.join(work_dir, arm, f'seed{seed}')
            cfg = pretrain_config(args, arm, seed,
                                  osp.join(run_dir, 'pretrain'), corpus_size)
            results['budget'] = dict(
                iters=cfg.experiment['iters'],
                epochs=cfg.experiment['epochs'], batch=args.batch,
                lr=cfg.experiment['lr'], images=corpus_size)
            run = dict(arm=arm, seed=seed)
            backbone_ckpt = None
            model = None
            if arm != 'scratch':
                runner, ckpt, secs = pretrain(cfg)
                backbone_ckpt = osp.join(run_dir, 'backbone.pth')
                convert_to_backbone_checkpoint(ckpt, backbone_ckpt)
                model = runner.model
                run.update(pretrain_seconds=round(secs, 1),
                           checkpoint=ckpt, backbone=backbone_ckpt)
            if not args.no_eval:
                if model is not None:
                    run['recon_loss'] = reconstruction_losses(model,
                                                              held_out)
                    if arm in ('mae', 'mms'):
                        recon_models[arm] = model
                backbone = build_backbone(args, cfg, seed, backbone_ckpt)
                t0 = time.time()
                run['probe'] = run_probe(args, backbone, seed,
                                         osp.join(run_dir, 'probe'))
                run['probe_seconds'] = round(time.time() - t0, 1)
            if args.finetune and (args.finetune_seeds is None
                                  or seed in args.finetune_seeds):
                t0 = time.time()
                run['finetune'] = finetune(args, seed, backbone_ckpt,
                                           osp.join(run_dir, 'finetune'))
                run['finetune_seconds'] = round(time.time() - t0, 1)
            results['runs'].append(run)
            write_report(results, work_dir)  # partial results survive
            print(json.dumps(run, indent=1), flush=True)
        if recon_models:
            path = osp.join(work_dir,
                            f'recon_span_mae_vs_mms_seed{seed}.png')
            save_side_by_side(dict(sorted(recon_models.items(),
                                          key=lambda kv: kv[0] != 'mae')),
                              held_out[:6], path)
            results.setdefault('figures', []).append(path)
    curves = osp.join(work_dir, 'loss_curves.png')
    if plot_loss_curves(results['runs'], curves):
        results.setdefault('figures', []).append(curves)
    results['wall_seconds'] = round(time.time() - start, 1)
    write_report(results, work_dir)
    return results


if __name__ == '__main__':
    main(sys.argv[1:])
