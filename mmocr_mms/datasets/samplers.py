"""Sampler mixing the sources of a ``ConcatDataset`` by weight."""
from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmocr.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

__all__ = ['MixedSourceSampler']


@DATA_SAMPLERS.register_module()
class MixedSourceSampler(Sampler):
    """Endless stream of ``ConcatDataset`` indices in which source ``k``
    supplies a fraction ``weights[k]`` of the samples, whatever the sizes of
    the sources (6,725 real crops next to millions of rendered words).

    Each sample first draws its source by weight, then takes the next index
    of that source's own shuffled order (a new permutation each time a
    source is used up), so a small source is repeated, never over-drawn
    within one pass. Deterministic per ``seed``; with several processes,
    rank ``r`` of ``w`` takes every ``w``-th sample starting at ``r``
    (disjoint, and together the single-process stream). Made for
    ``IterBasedTrainLoop`` (the stream never ends).

    Args:
        dataset: An ``mmengine.dataset.ConcatDataset`` (``.datasets``).
        weights: One non-negative weight per source (normalised).
        seed: Random seed; ``None`` draws one and syncs it across ranks.
        shuffle: Shuffle within each source (else sequential order).
    """

    def __init__(self, dataset, weights: Sequence[float],
                 seed: int | None = None, shuffle: bool = True) -> None:
        sources = getattr(dataset, 'datasets', None)
        if sources is None:
            raise ValueError('MixedSourceSampler needs a ConcatDataset '
                             f'(with .datasets), got {type(dataset)}')
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(sources),) or np.any(w < 0) or \
                not np.all(np.isfinite(w)) or w.sum() <= 0:
            raise ValueError(
                f'weights must be {len(sources)} non-negative numbers with a '
                f'positive sum (one per source), got {list(weights)}')
        self.sizes = [len(d) for d in sources]
        if any(s == 0 for s, wk in zip(self.sizes, w) if wk > 0):
            raise ValueError(f'a source with positive weight is empty: '
                             f'sizes {self.sizes}')
        self.weights = w / w.sum()
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.shuffle = shuffle

    def _stream(self) -> Iterator[int]:
        rng = np.random.Generator(np.random.PCG64(self.seed))
        orders = [np.empty(0, np.int64) for _ in self.sizes]
        pos = [0] * len(self.sizes)
        cdf = np.cumsum(self.weights)
        while True:
            picks = np.searchsorted(cdf, rng.random(4096), side='right')
            for k in np.minimum(picks, len(cdf) - 1):
                if pos[k] >= len(orders[k]):
                    orders[k] = (rng.permutation(self.sizes[k])
                                 if self.shuffle else
                                 np.arange(self.sizes[k]))
                    pos[k] = 0
                yield int(self.offsets[k] + orders[k][pos[k]])
                pos[k] += 1

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(self._stream(), self.rank, None,
                                self.world_size)

    def __len__(self) -> int:
        # Nominal length (one pass over all sources); the stream is endless.
        return sum(self.sizes) // self.world_size

    def set_epoch(self, epoch: int) -> None:
        """No-op: the stream is endless and not organised in epochs."""
