"""Give every epoch fresh masks."""
from typing import Iterator

from mmengine.hooks import Hook
from mmocr.registry import HOOKS

__all__ = ['MaskEpochHook', 'iter_epoch_aware_transforms']


def _datasets(dataset) -> Iterator:
    """The dataset and every dataset it wraps (Concat/Repeat/ClassBalanced)."""
    yield dataset
    for attr in ('datasets', ):
        for child in getattr(dataset, attr, []) or []:
            yield from _datasets(child)
    child = getattr(dataset, 'dataset', None)
    if child is not None:
        yield from _datasets(child)


def iter_epoch_aware_transforms(dataset) -> Iterator:
    """Transforms with a ``set_epoch`` method in the dataset's pipelines."""
    for ds in _datasets(dataset):
        pipeline = getattr(ds, 'pipeline', None)
        for t in getattr(pipeline, 'transforms', []) or []:
            if hasattr(t, 'set_epoch'):
                yield t


@HOOKS.register_module()
class MaskEpochHook(Hook):
    """Tell the mask transforms the epoch, so masks change every epoch.

    Masks are keyed by ``(seed, epoch, sample_idx)``; this hook sets the
    epoch before each training epoch. DataLoader workers hold their own copy
    of the dataset, made when they start: with ``persistent_workers=True``
    they would never see the new epoch, so the hook refuses that setting
    (use ``persistent_workers=False``; workers then restart each epoch).
    """

    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        if (getattr(loader, 'persistent_workers', False)
                and any(True for _ in iter_epoch_aware_transforms(
                    loader.dataset))):
            raise ValueError(
                'MaskEpochHook: train_dataloader.persistent_workers=True '
                'keeps the workers\' epoch at 0, so every epoch would reuse '
                'the same masks; set persistent_workers=False')

    def before_train_epoch(self, runner) -> None:
        for t in iter_epoch_aware_transforms(
                runner.train_dataloader.dataset):
            t.set_epoch(runner.epoch)
