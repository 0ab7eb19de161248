"""Equal-budget comparison of masking strategies: the stages behind
``tools/experiments/mms_vs_mae.py`` (which only parses the command line).

For each arm and seed: pretrain the same TextViT with the same corpus,
batch size and number of iterations, changing only the masking; then
measure the frozen encoder with a linear CTC probe
(:mod:`mmocr_mms.evaluation.probe`), the masked-patch reconstruction loss of
every strategy on held-out synthetic words, and optionally full
fine-tuning.

The masks are read from the configs, never restated here:

* ``mms``: the mask transform of the pretraining config
  (``args.pretrain_config``, a ``MultiMasking``);
* ``blockwise``, ``span`` (and the strategies of the reconstruction
  losses): that ``MultiMasking``'s strategies, each with the
  ``MultiMasking``'s input and patch size;
* ``mae``: the mask transform of the MAE baseline config
  (``args.mae_config``);
* ``scratch``: no pretraining (random-init encoder).

Every stage takes the options namespace of the tool (``args``; see
``tools/experiments/mms_vs_mae.py --help`` for each field).
"""
import copy
import functools
import json
import math
import os
import os.path as osp
import statistics
import time
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmocr.registry import DATASETS, MODELS, TRANSFORMS

from ..datasets.transforms import BaseMaskGenerator, MultiMasking
from ..evaluation.probe import (extract_features, probe_metrics,
                                probe_pipeline, train_probe)
from ..models.backbones import load_backbone_weights
from ..utils.convert import convert_to_backbone_checkpoint
from ..visualization import reconstruction_grid

__all__ = [
    'ARMS', 'ARCHS', 'REAL_TRAIN', 'REAL_TEST', 'parse_arch',
    'find_mask_transform', 'config_mask_transforms', 'mask_transform',
    'arm_pipeline', 'corpus_cfg', 'corpus_mix', 'pretrain_config',
    'pretrain', 'build_backbone', 'real_probe_set', 'probe_sets',
    'run_probe',
    'held_out_images', 'strategy_transforms', 'reconstruction_losses',
    'finetune_config', 'finetune', 'save_side_by_side', 'pretrain_losses',
    'plot_loss_curves', 'write_report', 'run'
]

REAL_TRAIN = ['iiit5k_train', 'svt_train', 'ic15_train']
REAL_TEST = ['iiit5k_test', 'svt_test']
ARMS = ['mms', 'mae', 'blockwise', 'span', 'scratch']
ARCHS = dict(demo=dict(embed_dims=128, num_layers=4, num_heads=4,
                       mlp_ratio=4))


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
# masks, read from the configs
# --------------------------------------------------------------------------
def _is_mask_transform(t) -> bool:
    cls = TRANSFORMS.get(t.get('type')) if isinstance(t, dict) else None
    return isinstance(cls, type) and issubclass(cls, BaseMaskGenerator)


def _pipelines(dataset_cfg) -> List[list]:
    """The pipelines of a dataset config, through wrapper datasets."""
    out = []
    if dataset_cfg.get('pipeline'):
        out.append(dataset_cfg['pipeline'])
    if dataset_cfg.get('dataset'):
        out += _pipelines(dataset_cfg['dataset'])
    for child in dataset_cfg.get('datasets', []) or []:
        out += _pipelines(child)
    return out


def find_mask_transform(cfg: Config):
    """The (first) mask transform of a pretraining config's training
    pipeline, as a plain dict, and the pipeline it sits in.

    Returns:
        (transform, pipeline, index) with ``pipeline[index] is`` the
        transform's config; copies, safe to change.

    Raises:
        ValueError: the config's training data has no mask transform.
    """
    for pipeline in _pipelines(cfg.to_dict()['train_dataloader']['dataset']):
        for i, t in enumerate(pipeline):
            if _is_mask_transform(t):
                pipeline = copy.deepcopy(list(pipeline))
                return pipeline[i], pipeline, i
    raise ValueError(f'cfg: no mask transform in the training pipeline of '
                     f'{cfg.filename}')


@functools.lru_cache(maxsize=8)
def _config_masks(pretrain_config: str, mae_config: str):
    init_default_scope('mmocr')
    multi, pipeline, index = find_mask_transform(
        Config.fromfile(pretrain_config))
    if TRANSFORMS.get(multi['type']) is not MultiMasking:
        raise ValueError(f'pretrain_config: {pretrain_config} masks with '
                         f"{multi['type']}, not MultiMasking")
    shape = {k: multi[k] for k in ('input_size', 'patch_size') if k in multi}
    arms = dict(mms=multi)
    for strategy in multi['strategies']:
        mask_type = TRANSFORMS.get(strategy['type']).mask_type
        arms[mask_type] = dict(strategy, **shape)
    mae, _, _ = find_mask_transform(Config.fromfile(mae_config))
    arms['mae'] = mae
    return arms, pipeline, index


def config_mask_transforms(args) -> Dict[str, dict]:
    """Mask transform configs (no seed) by arm, plus one per strategy
    (``'random'``, ``'blockwise'``, ``'span'``: the pretraining config's
    ``MultiMasking`` strategies with its input and patch size)."""
    arms, _, _ = _config_masks(args.pretrain_config, args.mae_config)
    return copy.deepcopy(arms)


def mask_transform(args, arm: str,
                   seed: Optional[int] = None) -> Optional[dict]:
    """The mask transform config of an arm (None for 'scratch')."""
    if arm == 'scratch':
        return None
    if arm not in ARMS:
        raise ValueError(f'arm must be one of {ARMS}, got {arm!r}')
    t = config_mask_transforms(args)[arm]
    t['seed'] = seed
    return t


def arm_pipeline(args, arm: str,
                 seed: Optional[int] = None) -> Optional[List[dict]]:
    """The pretraining config's pipeline with its mask transform replaced
    by the arm's (both corpus datasets deliver decoded images, as the
    config's synthetic words do)."""
    mask = mask_transform(args, arm, seed)
    if mask is None:
        return None
    _, pipeline, index = _config_masks(args.pretrain_config,
                                       args.mae_config)
    pipeline = copy.deepcopy(pipeline)
    pipeline[index] = mask
    return pipeline


def strategy_transforms(args, seed: int = 0) -> Dict[str, object]:
    """The pretraining config's strategies, built with a fixed seed (the
    same masks for every arm), by mask type."""
    arms = config_mask_transforms(args)
    names = [TRANSFORMS.get(s['type']).mask_type
             for s in arms['mms']['strategies']]
    return {name: TRANSFORMS.build(dict(arms[name], seed=seed))
            for name in names}
# --------------------------------------------------------------------------
# configs
# --------------------------------------------------------------------------
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
                pipeline=arm_pipeline(args, arm, seed * 10 + k)))
    if args.num_images:
        parts.append(dict(
            type='SynthWordDataset', num_samples=args.num_images, seed=0,
            labelled=False,
            pipeline=arm_pipeline(args, arm, seed * 10 + 9)))
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
    """``args.pretrain_config`` with the arm's masking, the corpus and the
    budget of ``args``."""
    cfg = Config.fromfile(args.pretrain_config)
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


def real_probe_set(data_root: str, test: bool,
                   limit: Optional[int] = None) -> dict:
    """Config of one labelled real split (``labels.tsv`` + images) for the
    probe: labels of at most 25 characters without spaces; a test split
    keeps longer ones (they count as errors), a training split drops them.

    Args:
        data_root: The split's folder (e.g. ``str_real/iiit5k_train``).
        test: Whether it is a test split.
        limit: Use at most this many crops (None: all).
    """
    rule = dict(max_len=25, empty='drop', too_long='keep' if test else 'drop',
                text_mode='no_space')
    cfg = dict(type='FilteredTSVTextRecogDataset', data_root=data_root,
               label_rule=rule, test_mode=test,
               pipeline=probe_pipeline(from_file=True))
    if limit:
        cfg['indices'] = limit
    return cfg


def probe_sets(args) -> Dict[str, List[dict]]:
    """Labelled dataset configs: 'train' plus each test split."""
    if args.no_real:
        def synth(seed):
            return dict(type='SynthWordDataset', num_samples=args.probe_synth,
                        seed=seed, labelled=True,
                        pipeline=probe_pipeline(from_file=False))
        return dict(train=[synth(2)], synth_test=[synth(3)])

    def real(split, test):
        return real_probe_set(osp.join(args.str_real, split), test,
                              args.probe_limit)
    sets = dict(train=[real(s, False) for s in REAL_TRAIN])
    sets.update({s: [real(s, True)] for s in REAL_TEST})
    return sets


def run_probe(args, backbone, seed: int, cache_dir: str,
              sets: Optional[Dict[str, List[dict]]] = None) -> dict:
    """Train the linear CTC probe on the frozen features of 'train' and
    report word accuracy, 1 - N.E.D. and CTC loss on every other set.

    Args:
        args: ``probe_pool``, ``probe_epochs``, ``probe_lr``,
            ``probe_batch``, ``probe_schedule`` (and, without ``sets``,
            what :func:`probe_sets` reads).
        backbone: The frozen encoder.
        seed: Seeds the probe.
        cache_dir: Features are cached there per set.
        sets: Dataset configs by name (``'train'`` and the test sets);
            default :func:`probe_sets`.
    """
    feats = {}
    for name, cfgs in (sets or probe_sets(args)).items():
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


@torch.no_grad()
def reconstruction_losses(model, images: List[np.ndarray],
                          strategies: Dict[str, object],
                          batch_size: int = 64) -> Dict[str, float]:
    """Mean masked-patch loss (MMS.forward_loss) of each strategy on the
    images, masks keyed by the image index (identical across arms).

    Args:
        strategies: Built mask transforms by name
            (:func:`strategy_transforms`).
    """
    model.eval()
    out = {}
    for name, gen in strategies.items():
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


def save_side_by_side(models: Dict[str, object], images, path: str,
                      strategy) -> None:
    """Reconstructions of each model under one mask transform (the span
    strategy in the protocol), tiled left to right."""
    grids = []
    for name, model in models.items():
        grid, _ = reconstruction_grid(model, images, [strategy])
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
    from .reading import loss_curve
    return loss_curve(osp.dirname(checkpoint))


def plot_loss_curves(runs: List[dict], path: str,
                     curve_of=None,
                     ylabel: str = 'masked-patch loss (own masks)',
                     title: str = 'pretraining loss per arm',
                     seed_counts: bool = True) -> bool:
    """Loss against iteration, one line per arm (mean over seeds, band =
    min..max). By default the pretraining loss of each run's
    ``checkpoint`` (:func:`pretrain_losses`); note that the arms
    reconstruct different masks, so their losses measure different tasks.

    Args:
        runs: Dicts with ``arm`` (and ``checkpoint`` for the default).
        curve_of: ``run -> {iteration: loss}`` (default: the pretraining
            log next to ``run['checkpoint']``).
        ylabel, title: Axis label and title.
        seed_counts: Add '(n seeds)' to each arm's legend entry.

    Returns False when no run logged a loss."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    if curve_of is None:
        def curve_of(r):
            return pretrain_losses(r['checkpoint']) \
                if r.get('checkpoint') else {}
    per_arm: Dict[str, List[Dict[int, float]]] = {}
    for r in runs:
        curve = curve_of(r)
        if curve:
            per_arm.setdefault(r['arm'], []).append(curve)
    if not per_arm:
        return False
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    for arm, curves in per_arm.items():
        iters = sorted(set.intersection(*(set(c) for c in curves)))
        vals = np.array([[c[i] for i in iters] for c in curves])
        ax.plot(iters, vals.mean(0), label=f'{arm} ({len(curves)} seeds)'
                if seed_counts else arm)
        if len(curves) > 1:
            ax.fill_between(iters, vals.min(0), vals.max(0), alpha=0.2)
    ax.set_xlabel('iteration')
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
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
    """results.json and results.md (one row per arm, mean ± std over
    seeds) in ``work_dir``."""
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
    recon_cols = list(dict.fromkeys(k for r in runs
                                    for k in (r.get('recon_loss') or {})))
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


# --------------------------------------------------------------------------
# the protocol
# --------------------------------------------------------------------------
def run(args) -> dict:
    """Every arm and seed of ``args``: pretraining, probe, reconstruction
    losses, optional fine-tuning; writes the report and figures into
    ``args.work_dir`` and returns the results."""
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
    strategies = None if args.no_eval else strategy_transforms(args)
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
            record = dict(arm=arm, seed=seed)
            backbone_ckpt = None
            model = None
            if arm != 'scratch':
                runner, ckpt, secs = pretrain(cfg)
                backbone_ckpt = osp.join(run_dir, 'backbone.pth')
                convert_to_backbone_checkpoint(ckpt, backbone_ckpt)
                model = runner.model
                record.update(pretrain_seconds=round(secs, 1),
                           checkpoint=ckpt, backbone=backbone_ckpt)
            if not args.no_eval:
                if model is not None:
                    record['recon_loss'] = reconstruction_losses(
                        model, held_out, strategies)
                    if arm in ('mae', 'mms'):
                        recon_models[arm] = model
                backbone = build_backbone(args, cfg, seed, backbone_ckpt)
                t0 = time.time()
                record['probe'] = run_probe(args, backbone, seed,
                                         osp.join(run_dir, 'probe'))
                record['probe_seconds'] = round(time.time() - t0, 1)
            if args.finetune and (args.finetune_seeds is None
                                  or seed in args.finetune_seeds):
                t0 = time.time()
                record['finetune'] = finetune(args, seed, backbone_ckpt,
                                           osp.join(run_dir, 'finetune'))
                record['finetune_seconds'] = round(time.time() - t0, 1)
            results['runs'].append(record)
            write_report(results, work_dir)  # partial results survive
            print(json.dumps(record, indent=1), flush=True)
        if recon_models:
            path = osp.join(work_dir,
                            f'recon_span_mae_vs_mms_seed{seed}.png')
            save_side_by_side(dict(sorted(recon_models.items(),
                                          key=lambda kv: kv[0] != 'mae')),
                              held_out[:6], path, strategies['span'])
            results.setdefault('figures', []).append(path)
    curves = osp.join(work_dir, 'loss_curves.png')
    if plot_loss_curves(results['runs'], curves):
        results.setdefault('figures', []).append(curves)
    results['wall_seconds'] = round(time.time() - start, 1)
    write_report(results, work_dir)
    return results
