"""Shared base of the mask transforms: argument checks, grid bitsets
(bit ``r * W + c`` = cell (r, c)), per-sample keys, clipped placements and
the top-up rule. See :mod:`mmocr_mms.datasets.transforms.masking`."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmocr_mms.utils.rng import sample_key

__all__ = ['BaseMaskGenerator', 'bits_to_mask', 'mask_to_bits', 'Rect']

Rect = Tuple[int, int, int, int]  # top, left, height, width (clipped)


def _check_ratio(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f'{name} must be a number in (0, 1), got {value!r}')
    return float(value)


def bits_to_mask(bits: int, grid: Tuple[int, int]) -> np.ndarray:
    """Grid bitset (bit ``r * W + c`` = cell (r, c)) -> bool array (H, W)."""
    h, w = grid
    n = h * w
    raw = np.frombuffer(bits.to_bytes((n + 7) // 8, 'little'), np.uint8)
    return np.unpackbits(raw, bitorder='little')[:n].reshape(h, w).view(bool)


def mask_to_bits(mask: np.ndarray) -> int:
    """Bool array (H, W) -> grid bitset; inverse of :func:`bits_to_mask`."""
    packed = np.packbits(np.asarray(mask, bool).ravel(), bitorder='little')
    return int.from_bytes(packed.tobytes(), 'little')


class BaseMaskGenerator(BaseTransform):
    """Base class of the mask transforms.

    Args:
        input_size (tuple[int, int]): Image (H, W) in pixels the mask is for.
            Defaults to (32, 128).
        patch_size (int): Square patch side in pixels. Defaults to 4.
        mask_ratio (float): Fraction of patches to mask, in (0, 1).
        seed (int, optional): Seed of the per-sample streams. ``None`` draws
            one from numpy's global generator when the transform is built
            (MMEngine seeds it from ``randomness.seed``).

    Output: ``results['mask']`` bool (H/p, W/p), ``results['mask_type']``.
    """

    mask_type = 'base'
    #: Distinguishes this strategy's stream from other strategies' streams
    #: for the same sample.
    _salt = 0

    def __init__(self,
                 input_size: Sequence[int] = (32, 128),
                 patch_size: int = 4,
                 mask_ratio: float = 0.75,
                 seed: Optional[int] = None) -> None:
        if (not isinstance(input_size, (tuple, list)) or len(input_size) != 2
                or not all(isinstance(s, int) and s > 0 for s in input_size)):
            raise ValueError('input_size must be two positive ints (H, W), '
                             f'got {input_size!r}')
        if not isinstance(patch_size, int) or patch_size <= 0:
            raise ValueError(
                f'patch_size must be a positive int, got {patch_size!r}')
        if input_size[0] % patch_size or input_size[1] % patch_size:
            raise ValueError(f'input_size {tuple(input_size)} is not '
                             f'divisible by patch_size {patch_size}')
        self.input_size = tuple(input_size)
        self.patch_size = patch_size
        self.grid = (input_size[0] // patch_size, input_size[1] // patch_size)
        self.num_patches = self.grid[0] * self.grid[1]
        self.mask_ratio = _check_ratio('mask_ratio', mask_ratio)
        self.num_masked = int(round(self.mask_ratio * self.num_patches))
        if not 0 < self.num_masked < self.num_patches:
            raise ValueError(
                f'mask_ratio {mask_ratio} masks {self.num_masked} of '
                f'{self.num_patches} patches; it must leave at least one '
                'patch masked and one visible')
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        if not isinstance(seed, int):
            raise ValueError(f'seed must be an int or None, got {seed!r}')
        self.seed = seed
        self.epoch = 0
        self._calls = 0
        h, w = self.grid
        self._full = (1 << self.num_patches) - 1
        self._row_full = (1 << w) - 1
        # _row_rep[k]: bit 0 of each of k consecutive rows; multiplying a
        # row pattern (< 2**W, so no carries) by it repeats the row k times.
        self._row_rep = [sum(1 << (r * w) for r in range(k))
                         for k in range(h + 1)]
        col0 = self._row_rep[h]
        self._not_first_col = self._full & ~col0
        self._not_last_col = self._full & ~(col0 << (w - 1))
        self._placement_cache: Dict[Tuple[int, int], Tuple[List[int],
                                                           List[Rect]]] = {}

    # -- keys ------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Select the epoch, so every epoch draws fresh masks."""
        self.epoch = int(epoch)

    def key_for(self, results: dict) -> int:
        """Per-sample key from ``(seed, epoch, sample_idx)``.

        Without ``sample_idx`` (a pipeline outside a dataset) a call counter
        is used, which is deterministic within one process only.
        """
        index = results.get('sample_idx')
        if index is None:
            index = self._calls
            self._calls += 1
        return sample_key(self.seed, self.epoch, int(index), self._salt)

    def transform(self, results: dict) -> dict:
        results['mask'] = self.generate(self.key_for(results))
        results['mask_type'] = self.mask_type
        return results

    def generate(self, key: int) -> np.ndarray:
        """Mask for one key: bool array (H/p, W/p), True = masked."""
        return bits_to_mask(self.sample_bits(key), self.grid)

    def sample_bits(self, key: int) -> int:
        """The mask of ``key`` as a grid bitset; subclasses implement."""
        raise NotImplementedError

    # -- helpers on bitsets ----------------------------------------------
    def _rect_bits(self, top: int, left: int, height: int,
                   width: int) -> Tuple[int, Rect]:
        """Bits of a rectangle whose corner may lie outside the grid,
        clipped to the grid; returns (bits, clipped rect)."""
        h, w = self.grid
        bottom, right = min(top + height, h), min(left + width, w)
        top, left = max(top, 0), max(left, 0)
        rows, cols = bottom - top, right - left
        row = ((1 << cols) - 1) << left
        return (row * self._row_rep[rows]) << (top * w), (top, left, rows,
                                                           cols)

    def _placements(self, height: int,
                    width: int) -> Tuple[List[int], List[Rect]]:
        """All placements of a height x width rectangle whose top-left
        corner ranges over [-(h-1), H-1] x [-(w-1), W-1], clipped to the
        grid (so every cell is covered by exactly h*w placements). Cached:
        a draw is then one random index instead of bit arithmetic."""
        key = (height, width)
        if key not in self._placement_cache:
            gh, gw = self.grid
            bits, rects = [], []
            for top in range(-(height - 1), gh):
                for left in range(-(width - 1), gw):
                    b, r = self._rect_bits(top, left, height, width)
                    bits.append(b)
                    rects.append(r)
            self._placement_cache[key] = (bits, rects)
        return self._placement_cache[key]

    def _neighbours(self, bits: int) -> int:
        """Unmasked cells 4-adjacent to ``bits``."""
        w = self.grid[1]
        adj = (((bits << 1) & self._not_first_col)
               | ((bits >> 1) & self._not_last_col) | (bits << w)
               | (bits >> w))
        return adj & self._full & ~bits

    def _top_up(self, bits: int, count: int, rng) -> int:
        """Add ``count`` unmasked cells, preferring neighbours of the mask
        (the documented top-up rule): each round takes cells uniformly at
        random, without repeats, from the neighbours of the mask as it was
        at the start of the round (all unmasked cells when there are none).
        Bounded: each round adds >= 1 cell, and the rejection sampling that
        picks the cells falls back to enumerating them after 32 misses per
        cell."""
        n, rand = self.num_patches, rng.random
        while count > 0:
            cand = self._neighbours(bits) if bits else 0
            if not cand:
                cand = self._full & ~bits
            avail = cand.bit_count()
            take = min(count, avail)
            if take == avail:
                bits |= cand
                count -= take
                continue
            # uniform cells of the grid until `take` distinct candidates:
            # ~n / avail draws each, far cheaper than listing the bits
            chosen, got = 0, 0
            for _ in range(32 * take):
                cell = 1 << int(rand() * n)
                if cand & cell and not chosen & cell:
                    chosen |= cell
                    got += 1
                    if got == take:
                        break
            if got < take:
                rest, cells = cand & ~chosen, []
                while rest:  # set bits, lowest first
                    low = rest & -rest
                    cells.append(low)
                    rest ^= low
                for low in rng.sample(cells, take - got):
                    chosen |= low
            bits |= chosen
            count -= take
        return bits

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'patch_size={self.patch_size}, '
                f'mask_ratio={self.mask_ratio}, seed={self.seed})')
