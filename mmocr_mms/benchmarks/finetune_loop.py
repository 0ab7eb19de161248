"""Does the input pipeline keep the model busy? The whole fine-tuning loop
(DataLoader + step) against the step alone, and the cost of each transform
of the training pipelines.

Both come from a training config as users run it (its model, optimiser,
``train_dataloader`` with its workers, sampler and pipelines), in one
process, so the ratio is measured under the same conditions.
"""
from __future__ import annotations

import copy
import time
from collections import defaultdict

import torch

__all__ = ['finetune_loop', 'transform_costs', 'step_precision']


def _load_cfg(config, cfg_options=None):
    from mmengine.config import Config
    cfg = Config.fromfile(config) if isinstance(config, str) else \
        copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def finetune_loop(config, iters: int = 20, warmup: int = 3,
                  device: str = 'cpu', amp: bool = False,
                  cfg_options: dict | None = None) -> dict:
    """Images/s of the fine-tuning step alone and of the whole loop.

    * step: ``model.train_step`` on one batch already in memory, ``iters``
      times (no data loading at all);
    * loop: ``next(dataloader)`` + ``train_step``, ``iters`` times, with the
      config's DataLoader (workers, sampler, pipelines);
    both after ``warmup`` iterations. ``loop / step`` is the fraction of the
    model's speed the training run reaches; ``data_wait_fraction`` the
    share of loop time spent waiting for data.

    Args:
        config: Config path or ``Config``.
        amp: bf16 autocast (``AmpOptimWrapper``), for GPUs.
        cfg_options: Overrides (e.g. ``{'train_dataloader.batch_size':
            512, 'train_dataloader.num_workers': 15}``).
    """
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import mmocr_mms  # noqa: F401
    from mmocr.registry import MODELS
    cfg = _load_cfg(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmocr'))
    model = MODELS.build(cfg.model).to(device)
    model.train()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp:
        optim_cfg.update(type='AmpOptimWrapper', dtype='bfloat16')
        optim_cfg.pop('loss_scale', None)
    optim = build_optim_wrapper(model, optim_cfg)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batch_size = loader.batch_size
    it = iter(loader)

    def timed(n: int, fetch: bool, batch=None) -> tuple[float, float]:
        wait = 0.0
        _sync(device)
        start = time.perf_counter()
        for _ in range(n):
            if fetch:
                t0 = time.perf_counter()
                batch = next(it)
                wait += time.perf_counter() - t0
            model.train_step(batch, optim)
        _sync(device)
        return time.perf_counter() - start, wait

    first = next(it)
    timed(warmup, fetch=False, batch=first)
    step_s, _ = timed(iters, fetch=False, batch=first)
    timed(warmup, fetch=True)
    loop_s, wait_s = timed(iters, fetch=True)
    step_rate = iters * batch_size / step_s
    loop_rate = iters * batch_size / loop_s
    return dict(batch_size=batch_size, iters=iters,
                num_workers=cfg.train_dataloader.get('num_workers', 0),
                step_img_per_s=step_rate, loop_img_per_s=loop_rate,
                loop_over_step=loop_rate / step_rate,
                data_wait_fraction=wait_s / loop_s)


def step_precision(config, iters: int = 10, warmup: int = 2,
                   rounds: int = 3, device: str = 'cpu',
                   cfg_options: dict | None = None) -> dict:
    """Images/s of the config's training step in float32 and under
    :class:`~mmocr_mms.engine.optim.BF16OptimWrapper` (bfloat16 autocast,
    decoder and loss in float32), alternated ``rounds`` times on the same
    batch in one process; the median of each and their ratio.

    The model is rebuilt for each precision from the same seed, so both
    start from the same weights; the optimiser settings are the config's.
    """
    import statistics

    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import mmocr_mms  # noqa: F401
    from mmocr.registry import MODELS
    cfg = _load_cfg(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmocr'))
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batch = next(iter(loader))
    runs = {}
    for name, wrapper in (('fp32', 'OptimWrapper'),
                          ('bf16', 'BF16OptimWrapper')):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model).to(device)
        model.train()
        optim_cfg = copy.deepcopy(cfg.optim_wrapper)
        optim_cfg.update(type=wrapper)
        for key in ('loss_scale', 'dtype', 'max_consecutive',
                    'fp32_modules', 'device_type'):
            optim_cfg.pop(key, None)
        runs[name] = (model, build_optim_wrapper(model, optim_cfg))
    rates = {name: [] for name in runs}
    for name, (model, optim) in runs.items():
        for _ in range(warmup):
            model.train_step(batch, optim)
    for _ in range(rounds):
        for name, (model, optim) in runs.items():
            _sync(device)
            t0 = time.perf_counter()
            for _ in range(iters):
                model.train_step(batch, optim)
            _sync(device)
            rates[name].append(iters * loader.batch_size /
                               (time.perf_counter() - t0))
    fp32 = statistics.median(rates['fp32'])
    bf16 = statistics.median(rates['bf16'])
    return dict(batch_size=loader.batch_size, iters=iters, rounds=rounds,
                fp32_img_per_s=fp32, bf16_img_per_s=bf16,
                bf16_over_fp32=bf16 / fp32)


def _pipelines(dataset_cfg) -> list:
    """(name, dataset config) of every leaf dataset of a (nested)
    ConcatDataset / TSVSplitsDataset config."""
    out = []
    if 'datasets' in dataset_cfg:
        for sub in dataset_cfg['datasets']:
            out.extend(_pipelines(sub))
    else:  # a dataset, or a wrapper (TSVSplitsDataset) with its `dataset`
        out.append((dataset_cfg['type'], dataset_cfg))
    return out


def transform_costs(config, num: int = 200,
                    cfg_options: dict | None = None) -> list[dict]:
    """Microseconds per image of each transform of each training source.

    Every leaf dataset of ``train_dataloader.dataset`` is built with an
    empty pipeline; ``num`` of its samples are then passed through its
    configured transforms one at a time, timing each transform (a transform
    that drops a sample ends that sample's pass). Loading (reading +
    decoding or rendering) is reported as ``load``.

    Returns:
        One dict per (source, transform): ``source``, ``transform``,
        ``us_per_img``.
    """
    from mmengine.registry import init_default_scope

    import mmocr_mms  # noqa: F401
    from mmocr.registry import DATASETS, TRANSFORMS
    cfg = _load_cfg(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmocr'))
    rows = []
    for name, ds_cfg in _pipelines(cfg.train_dataloader.dataset):
        ds_cfg = copy.deepcopy(ds_cfg)
        holder = ds_cfg['dataset'] if 'dataset' in ds_cfg and \
            'datasets' not in ds_cfg else ds_cfg
        pipeline = holder.get('pipeline', [])
        holder['pipeline'] = []
        transforms = [TRANSFORMS.build(t) for t in pipeline]
        ds = DATASETS.build(ds_cfg)
        n = min(num, len(ds))
        cost = defaultdict(float)
        for i in range(n):
            t0 = time.perf_counter()
            results = ds[i]
            cost['load'] += time.perf_counter() - t0
            for t, t_cfg in zip(transforms, pipeline):
                if results is None:
                    break
                t0 = time.perf_counter()
                results = t(results)
                cost[t_cfg['type'] if t_cfg['type'] != 'RandomApply' else
                     'RandomApply(' + ','.join(
                         s['type'] if s['type'] != 'TorchVisionWrapper'
                         else s['op'] for s in t_cfg['transforms']) + ')'
                     ] += time.perf_counter() - t0
        for key, seconds in cost.items():
            rows.append(dict(source=name, transform=key,
                             us_per_img=seconds / n * 1e6))
    return rows
