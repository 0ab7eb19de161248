"""MMS: one masking strategy per sample, or their union."""
import bisect
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmocr.registry import TRANSFORMS

from mmocr_mms.utils.rng import mix64, python_rng
from .base import BaseMaskGenerator, bits_to_mask

__all__ = ['MultiMasking']


@TRANSFORMS.register_module()
class MultiMasking(BaseMaskGenerator):
    """MMS: combine random patch, blockwise and span masking.

    ``mode='sample'`` (default) draws one strategy per sample with
    probabilities ``probs`` (uniform by default); each strategy keeps its own
    ratio. ``results['mask_type']`` names the strategy drawn.
    ``mode='union'`` draws every strategy's mask for the sample, takes the
    union, and brings it to exactly ``round(mask_ratio * num_patches)``
    patches: excess patches are removed uniformly at random from the union,
    missing ones are topped up with neighbours; ``mask_type`` is ``'union'``.

    Args:
        strategies (list[dict]): Configs of mask transforms (registered
            ``BaseMaskGenerator`` subclasses). ``input_size`` and
            ``patch_size`` are filled in from this transform and must agree
            when given. A strategy has no seed of its own here: its masks
            are drawn from this transform's ``seed`` (per-sample key hashed
            with the strategy's salt), so a strategy ``seed`` other than
            ``None`` or this transform's seed raises ``ValueError`` (it
            would be ignored); the same holds for built transforms passed
            instead of configs.
        probs (list[float], optional): One probability per strategy, >= 0,
            summing to 1. Defaults to uniform.
        mode (str): ``'sample'`` or ``'union'``.
        mask_ratio (float, optional): Required for (and only used by)
            ``mode='union'``.
        input_size, patch_size, seed: As :class:`BaseMaskGenerator`.
    """

    mask_type = 'multi'
    _salt = 4

    def __init__(self,
                 strategies: Optional[List[dict]] = None,
                 probs: Optional[Sequence[float]] = None,
                 mode: str = 'sample',
                 mask_ratio: Optional[float] = None,
                 input_size: Sequence[int] = (32, 128),
                 patch_size: int = 4,
                 seed: Optional[int] = None) -> None:
        if mode not in ('sample', 'union'):
            raise ValueError(
                f"mode must be 'sample' or 'union', got {mode!r}")
        if mode == 'union' and mask_ratio is None:
            raise ValueError("mask_ratio is required with mode='union'")
        super().__init__(input_size, patch_size,
                         0.5 if mask_ratio is None else mask_ratio, seed)
        if mode == 'sample':
            self.mask_ratio = self.num_masked = None
        if strategies is None:
            strategies = [
                dict(type='RandomPatchMasking', mask_ratio=0.75),
                dict(type='BlockwiseMasking', mask_ratio=0.5),
                dict(type='SpanMasking', mask_ratio=0.4),
            ]
        if not isinstance(strategies, (list, tuple)) or not strategies:
            raise ValueError('strategies must be a non-empty list of mask '
                             f'transform configs, got {strategies!r}')
        self.strategies = [self._build(cfg) for cfg in strategies]
        if probs is None:
            probs = [1.0 / len(self.strategies)] * len(self.strategies)
        probs = [float(p) for p in probs]
        if len(probs) != len(self.strategies):
            raise ValueError(f'probs has {len(probs)} entries for '
                             f'{len(self.strategies)} strategies')
        if any(p < 0 for p in probs) or abs(sum(probs) - 1) > 1e-6:
            raise ValueError('probs must be non-negative and sum to 1, got '
                             f'{probs}')
        self.probs = probs
        self._cum = np.cumsum(probs).tolist()
        self._cum[-1] = 1.0
        self.mode = mode

    def _build(self, cfg: Union[dict, BaseMaskGenerator]) -> BaseMaskGenerator:
        if isinstance(cfg, BaseMaskGenerator):
            strategy = cfg
        else:
            if not isinstance(cfg, dict) or 'type' not in cfg:
                raise ValueError('each of strategies must be a config dict '
                                 f"with a 'type', got {cfg!r}")
            cfg = dict(cfg)
            cls = cfg['type'] if isinstance(cfg['type'], type) else \
                TRANSFORMS.get(cfg['type'])
            if cls is None:
                raise ValueError(
                    f'strategies: unknown strategy type {cfg["type"]!r}')
            if not issubclass(cls, BaseMaskGenerator) or issubclass(
                    cls, MultiMasking):
                raise ValueError(
                    'strategies must be mask generators (e.g. '
                    'RandomPatchMasking, BlockwiseMasking, SpanMasking), '
                    f'got {cls.__name__}')
            for name in ('input_size', 'patch_size'):
                value = getattr(self, name)
                if name in cfg and tuple(np.atleast_1d(cfg[name])) != tuple(
                        np.atleast_1d(value)):
                    raise ValueError(
                        f'strategies: {cfg["type"]} has {name}={cfg[name]} '
                        f'but MultiMasking has {name}={value}')
                cfg[name] = value
            if cfg.get('seed') not in (None, self.seed):
                raise ValueError(self._seed_error(cfg['type'], cfg['seed']))
            cfg['seed'] = self.seed
            strategy = TRANSFORMS.build(cfg)
        if not isinstance(strategy, BaseMaskGenerator) or isinstance(
                strategy, MultiMasking):
            raise ValueError('strategies must be mask generators (e.g. '
                             'RandomPatchMasking, BlockwiseMasking, '
                             f'SpanMasking), got {type(strategy).__name__}')
        if strategy.grid != self.grid:
            raise ValueError(f'strategies: {type(strategy).__name__} uses '
                             f'grid {strategy.grid}, expected {self.grid}')
        if strategy.seed != self.seed:
            raise ValueError(
                self._seed_error(type(strategy).__name__, strategy.seed))
        return strategy

    def _seed_error(self, name: str, seed) -> str:
        return (f'strategies: {name} has seed={seed!r}, but inside '
                'MultiMasking every strategy draws its masks from '
                f"MultiMasking's own seed ({self.seed}); a strategy's seed "
                'would be ignored. Set seed on MultiMasking only (or leave '
                "the strategy's seed out)")

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        for s in self.strategies:
            s.set_epoch(epoch)

    def choose(self, key: int) -> int:
        """Index of the strategy used for ``key`` (mode ``'sample'``)."""
        u = (key >> 11) * (1.0 / (1 << 53))  # key is already well mixed
        return min(bisect.bisect_right(self._cum, u), len(self._cum) - 1)

    @staticmethod
    def sub_key(key: int, strategy: BaseMaskGenerator) -> int:
        """The key a strategy draws its mask from for this sample: the
        sample's (already mixed) key hashed once more with the strategy's
        salt, independent of :meth:`choose`, which reads the key itself."""
        return mix64(key ^ strategy._salt)

    def generate_with_type(self, key: int) -> Tuple[np.ndarray, str]:
        """(mask, mask_type) for one key."""
        if self.mode == 'sample':
            strategy = self.strategies[self.choose(key)]
            return (strategy.generate(self.sub_key(key, strategy)),
                    strategy.mask_type)
        bits = 0
        for s in self.strategies:
            bits |= s.sample_bits(self.sub_key(key, s))
        rng = python_rng(key)
        excess = bits.bit_count() - self.num_masked
        if excess > 0:
            mask = bits_to_mask(bits, self.grid).copy()
            flat = mask.reshape(-1)
            cells = np.flatnonzero(flat)
            flat[cells[rng.sample(range(len(cells)), excess)]] = False
            return mask, 'union'
        bits = self._top_up(bits, -excess, rng)
        return bits_to_mask(bits, self.grid), 'union'

    def generate(self, key: int) -> np.ndarray:
        return self.generate_with_type(key)[0]

    def transform(self, results: dict) -> dict:
        results['mask'], results['mask_type'] = self.generate_with_type(
            self.key_for(results))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode!r}, '
                f'probs={self.probs}, strategies={self.strategies})')
