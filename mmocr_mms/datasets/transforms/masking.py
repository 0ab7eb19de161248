"""Mask generators of the Multi-Masking Strategy (MMS), as MMOCR transforms.

Every transform reads an image's sample index from ``results['sample_idx']``
(set by MMEngine's ``BaseDataset``) and writes

* ``results['mask']``: ``np.ndarray`` of bool, shape ``(H/p, W/p)``
  (8 x 32 for a 32 x 128 crop with 4 x 4 patches), ``True`` = masked;
* ``results['mask_type']``: the strategy's name (``'random'``,
  ``'blockwise'``, ``'span'`` or ``'union'``).

Exact counts. Each strategy masks exactly ``round(mask_ratio * num_patches)``
patches. Shape-based samplers never accept a shape that would overshoot the
target; what is left when no further shape fits (fewer patches than the
smallest shape) is *topped up* with unmasked patches that touch the masked
region (4-neighbours), picked at random, so blocks grow by a few patches
rather than scattering isolated ones. Full-height spans are topped up with one
vertical run in a column beside a span.

Reproducibility. The random stream of a sample is keyed by
``(seed, epoch, sample_idx)`` (:func:`mmocr_mms.utils.rng.sample_key`), not
global state, so the same sample gets the same mask whatever the number of
DataLoader workers, and another epoch (``set_epoch``, called by
``MaskEpochHook``) gives another mask.

Uniform coverage. Shapes are placed with their top-left corner drawn so that
a shape may hang over the border and is clipped there; each grid cell is then
covered by equally many placements, which removes the centre bias of
"place fully inside" samplers (on an 8-row grid a 4-row block covers the
middle rows four times as often as the edge rows).
"""
import bisect
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS

from mmocr_mms.utils.rng import mix64, python_rng, sample_key

__all__ = [
    'BaseMaskGenerator', 'RandomPatchMasking', 'BlockwiseMasking',
    'SpanMasking', 'MultiMasking', 'mask_to_bits', 'bits_to_mask'
]

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


@TRANSFORMS.register_module()
class RandomPatchMasking(BaseMaskGenerator):
    """MAE's random masking: a uniformly random subset of patches.

    Exactly ``round(mask_ratio * num_patches)`` patches (default ratio 0.75:
    192 of the 256 patches of a 32 x 128 crop). Args as
    :class:`BaseMaskGenerator`.
    """

    mask_type = 'random'
    _salt = 1

    def generate(self, key: int) -> np.ndarray:
        # 32-bit scores from one ``randbytes`` call: ~1 us, against ~7 us
        # for creating a numpy Generator per sample. Ties (probability
        # ~ L^2 / 2^33) would only favour lower indices negligibly.
        scores = np.frombuffer(
            python_rng(key).randbytes(4 * self.num_patches), np.uint32)
        mask = np.zeros(self.num_patches, bool)
        mask[np.argpartition(scores, self.num_masked)[:self.num_masked]] = 1
        return mask.reshape(self.grid)

    def sample_bits(self, key: int) -> int:
        return mask_to_bits(self.generate(key))


def _shape_table(grid: Tuple[int, int], min_area: int, max_area: int,
                 min_aspect: float, max_aspect: float,
                 max_height: Optional[int] = None
                 ) -> Tuple[List[Tuple[int, int]], List[float]]:
    """Rectangle shapes (h, w) and their cumulative probabilities.

    The distribution is BEiT's: area ~ U(min_area, max_area), log(h/w) ~
    U(log min_aspect, log max_aspect), h = round(sqrt(area * aspect)),
    w = round(sqrt(area / aspect)); shapes that leave the grid or whose
    rounded area/aspect leave the bounds are dropped. Computing it once by
    integration on a fine grid turns every draw into one table look-up.
    """
    gh, gw = grid
    max_height = gh if max_height is None else max_height
    areas = np.linspace(min_area, max_area, 401)
    logs = np.linspace(math.log(min_aspect), math.log(max_aspect), 401)
    a, r = np.meshgrid(areas, np.exp(logs), indexing='ij')
    hs = np.rint(np.sqrt(a * r)).astype(int)
    ws = np.rint(np.sqrt(a / r)).astype(int)
    area = hs * ws
    ok = ((hs >= 1) & (ws >= 1) & (hs <= max_height) & (ws <= gw)
          & (area >= min_area) & (area <= max_area)
          & (hs >= min_aspect * ws - 1e-9) & (hs <= max_aspect * ws + 1e-9))
    counts: Dict[Tuple[int, int], int] = {}
    for h, w in zip(hs[ok].tolist(), ws[ok].tolist()):
        counts[(h, w)] = counts.get((h, w), 0) + 1
    shapes = sorted(counts)
    total = float(sum(counts.values()))
    cum, acc = [], 0.0
    for s in shapes:
        acc += counts[s] / total
        cum.append(acc)
    if cum:
        cum[-1] = 1.0
    return shapes, cum


@TRANSFORMS.register_module()
class BlockwiseMasking(BaseMaskGenerator):
    """BEiT-style blockwise masking adapted to rectangular text grids.

    Rectangles of ``min_num_patches``..``max_num_patches`` patches with
    aspect ratio h/w in [``min_aspect``, ``max_aspect``] are placed at random
    (clipped at the border, see module doc) until the target count; a
    rectangle that would overshoot is rejected; the remainder (fewer patches
    than the smallest rectangle) is topped up with neighbours of the masked
    region. At most ``max_attempts`` rectangles are drawn, so the work per
    sample is bounded (mmpretrain's ``BEiTMaskGenerator`` can loop without
    bound on a rectangular grid).

    The area and aspect bounds hold for the rectangle *drawn*, before it is
    clipped at the border: a clipped rectangle can be smaller than
    ``min_num_patches`` or leave the aspect bounds. With the defaults (3000
    samples) 48% of the accepted rectangles are clipped, 15% end with fewer
    than ``min_num_patches`` patches and 7% outside the aspect bounds.

    Args:
        mask_ratio (float): Defaults to 0.5 (block masking needs lower ratios
            than random masking, LMIM).
        min_num_patches (int): Smallest rectangle area, before clipping at
            the border. Defaults to 4.
        max_num_patches (int, optional): Largest area (before clipping, so
            also the largest masked rectangle). Defaults to 16.
        min_aspect (float): Smallest h/w, before clipping. Defaults to 0.3.
        max_aspect (float, optional): Largest h/w, before clipping; defaults
            to 1/min_aspect.
        max_attempts (int, optional): Cap on rectangles drawn per sample;
            defaults to ``20 * ceil(target / min_num_patches) + 50``.
        Others as :class:`BaseMaskGenerator`.
    """

    mask_type = 'blockwise'
    _salt = 2

    def __init__(self,
                 input_size: Sequence[int] = (32, 128),
                 patch_size: int = 4,
                 mask_ratio: float = 0.5,
                 min_num_patches: int = 4,
                 max_num_patches: Optional[int] = 16,
                 min_aspect: float = 0.3,
                 max_aspect: Optional[float] = None,
                 max_attempts: Optional[int] = None,
                 seed: Optional[int] = None) -> None:
        super().__init__(input_size, patch_size, mask_ratio, seed)
        if not isinstance(min_num_patches, int) or min_num_patches < 1:
            raise ValueError('min_num_patches must be a positive int, got '
                             f'{min_num_patches!r}')
        if max_num_patches is None:
            max_num_patches = self.num_masked
        if not isinstance(max_num_patches, int) or \
                max_num_patches < min_num_patches:
            raise ValueError(f'max_num_patches ({max_num_patches!r}) must be '
                             f'an int >= min_num_patches ({min_num_patches})')
        if min_num_patches > self.num_masked:
            raise ValueError(
                f'min_num_patches {min_num_patches} exceeds the number of '
                f'patches to mask ({self.num_masked} = mask_ratio '
                f'{self.mask_ratio} x {self.num_patches}); lower '
                'min_num_patches or raise mask_ratio')
        if max_aspect is None:
            max_aspect = 1.0 / min_aspect if min_aspect > 0 else min_aspect
        if not min_aspect > 0 or not max_aspect >= min_aspect:
            raise ValueError(f'min_aspect ({min_aspect!r}) must be > 0 and '
                             f'<= max_aspect ({max_aspect!r})')
        self.min_num_patches = min_num_patches
        self.max_num_patches = max_num_patches
        self.min_aspect, self.max_aspect = float(min_aspect), float(max_aspect)
        self.shapes, self._cum = _shape_table(self.grid, min_num_patches,
                                              max_num_patches, self.min_aspect,
                                              self.max_aspect)
        if not self.shapes:
            raise ValueError(
                f'block bounds are impossible for the {self.grid[0]}x'
                f'{self.grid[1]} patch grid: no rectangle with area in '
                f'[min_num_patches={min_num_patches}, max_num_patches='
                f'{max_num_patches}] and aspect in [min_aspect={min_aspect}, '
                f'max_aspect={max_aspect}] fits')
        if max_attempts is None:
            max_attempts = 20 * math.ceil(
                self.num_masked / min_num_patches) + 50
        if not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(
                f'max_attempts must be a positive int, got {max_attempts!r}')
        self.max_attempts = max_attempts
        # The smallest rectangle, used to stop before hopeless attempts.
        self._min_area = min(h * w for h, w in self.shapes)
        # Like BEiT, a rectangle never exceeds what is left to mask: with
        # one table per area cap, every draw fits and none is wasted.
        # Every cap >= the smallest area holds at least that shape.
        self._max_cap = max_num_patches
        self._tables = {}
        for cap in range(self._min_area, max_num_patches + 1):
            shapes, cum = _shape_table(self.grid, min_num_patches, cap,
                                       self.min_aspect, self.max_aspect)
            self._tables[cap] = (cum, [self._placements(*s) for s in shapes])
        # the table of each possible remaining count, one list look-up
        self._by_remaining = [
            self._tables[min(r, self._max_cap)] if r >= self._min_area
            else None for r in range(self.num_masked + 1)]

    def sample_parts(self, key: int,
                     with_rects: bool = True) -> Tuple[int, List[Rect], int]:
        """(mask bits, accepted clipped rectangles, topped-up bits); the
        rectangle list stays empty with ``with_rects=False`` (the hot path
        of :meth:`sample_bits`; the mask is the same)."""
        rng = python_rng(key)
        rand, by_remaining = rng.random, self._by_remaining
        bisect_left, min_area = bisect.bisect_left, self._min_area
        bits, free, count, target = 0, self._full, 0, self.num_masked
        rects: List[Rect] = []
        for _ in range(self.max_attempts):
            remaining = target - count
            if remaining < min_area:
                break
            cum, placements = by_remaining[remaining]
            p_bits, p_rects = placements[bisect_left(cum, rand())]
            i = int(rand() * len(p_bits))
            # every shape of this table has area <= remaining, so a
            # placement never overshoots; it is rejected only when it
            # covers no new cell
            new = (p_bits[i] & free).bit_count()
            if new:
                bits |= p_bits[i]
                free ^= p_bits[i] & free
                count += new
                if with_rects:
                    rects.append(p_rects[i])
        before = bits
        bits = self._top_up(bits, target - count, rng)
        return bits, rects, bits & ~before

    def sample_bits(self, key: int) -> int:
        return self.sample_parts(key, with_rects=False)[0]


@TRANSFORMS.register_module()
class SpanMasking(BaseMaskGenerator):
    """Span masking: runs of whole patch columns, so characters vanish.

    A character of a 32 x 128 word crop spans roughly 4-6 patch columns;
    masking contiguous column runs removes whole characters, which the model
    must infer from the rest of the word. Span lengths (in columns) are drawn
    from a geometric distribution with parameter ``p`` clipped to
    [``min_span``, ``max_span``], or uniformly in that range. Spans are placed
    at random (clipped at the ends of the word) until the target count;
    overlapping spans merge.

    With full-height spans (``span_height=None``) the target is reached with
    ``target // H`` whole columns plus one vertical run of ``target % H``
    patches in a column beside a span. With ``span_height=(lo, hi)`` each span
    covers a random run of lo..hi rows whose top row may lie above the grid
    (or its bottom below it), clipped at the border like blocks, so every row
    is masked equally often; the remainder is topped up with neighbours of
    the masked region.

    Args:
        mask_ratio (float): Defaults to 0.4.
        min_span (int): Shortest span in columns, before clipping at the
            ends of the word (and before the cap to what is left to mask,
            when fewer than ``min_span`` whole columns are left): with the
            defaults (3000 samples) 11% of the accepted spans are clipped at
            an end and 13% end shorter than ``min_span`` (8.5% capped by
            what was left, 4.6% clipped). Defaults to 2.
        max_span (int): Longest span in columns (before clipping, so also
            the longest masked span). Defaults to 8.
        distribution (str): ``'geometric'`` or ``'uniform'``.
        p (float): Geometric parameter in (0, 1]. Defaults to 0.3.
        span_height (tuple[int, int], optional): Rows covered by a span;
            ``None`` = full height.
        max_attempts (int, optional): Cap on spans drawn per sample.
        Others as :class:`BaseMaskGenerator`.
    """

    mask_type = 'span'
    _salt = 3

    def __init__(self,
                 input_size: Sequence[int] = (32, 128),
                 patch_size: int = 4,
                 mask_ratio: float = 0.4,
                 min_span: int = 2,
                 max_span: int = 8,
                 distribution: str = 'geometric',
                 p: float = 0.3,
                 span_height: Optional[Sequence[int]] = None,
                 max_attempts: Optional[int] = None,
                 seed: Optional[int] = None) -> None:
        super().__init__(input_size, patch_size, mask_ratio, seed)
        gh, gw = self.grid
        if not isinstance(min_span, int) or not 1 <= min_span <= gw:
            raise ValueError(
                f'min_span must be an int in [1, {gw}], got {min_span!r}')
        if not isinstance(max_span, int) or not min_span <= max_span <= gw:
            raise ValueError(f'max_span must be an int in [min_span='
                             f'{min_span}, {gw}], got {max_span!r}')
        if distribution not in ('geometric', 'uniform'):
            raise ValueError("distribution must be 'geometric' or 'uniform', "
                             f'got {distribution!r}')
        if not isinstance(p, (int, float)) or not 0 < p <= 1:
            raise ValueError(f'p must be in (0, 1], got {p!r}')
        if span_height is not None:
            if (len(span_height) != 2 or not all(
                    isinstance(v, int) for v in span_height)
                    or not 1 <= span_height[0] <= span_height[1] <= gh):
                raise ValueError('span_height must be None or (lo, hi) with '
                                 f'1 <= lo <= hi <= {gh}, got {span_height!r}')
            span_height = tuple(span_height)
            if min_span * span_height[0] > self.num_masked:
                raise ValueError(
                    f'the smallest span (min_span={min_span} x '
                    f'span_height[0]={span_height[0]}) exceeds the '
                    f'{self.num_masked} patches to mask')
        self.min_span, self.max_span = min_span, max_span
        self.distribution, self.p = distribution, float(p)
        self.span_height = span_height
        # Span-length table: P(L = k) for k in [min_span, max_span].
        ks = np.arange(min_span, max_span + 1)
        if distribution == 'geometric':
            weights = self.p * (1 - self.p)**(ks - min_span)
        else:
            weights = np.ones(len(ks))
        self._lengths = ks.tolist()
        self._cum = (np.cumsum(weights) / weights.sum()).tolist()
        self._cum[-1] = 1.0
        if max_attempts is None:
            max_attempts = 20 * math.ceil(self.num_masked /
                                          (min_span * (span_height or
                                                       (gh, ))[0])) + 50
        if not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(
                f'max_attempts must be a positive int, got {max_attempts!r}')
        self.max_attempts = max_attempts

    def sample_parts(self, key: int,
                     with_rects: bool = True) -> Tuple[int, List[Rect], int]:
        """(mask bits, accepted clipped spans as rects, topped-up bits); the
        span list stays empty with ``with_rects=False`` (the hot path of
        :meth:`sample_bits`; the mask is the same)."""
        rng = python_rng(key)
        rand, lengths, cum = rng.random, self._lengths, self._cum
        cache, bisect_left = self._placement_cache, bisect.bisect_left
        gh, gw = self.grid
        bits, free, count, target = 0, self._full, 0, self.num_masked
        spans: List[Rect] = []
        full = self.span_height is None
        for _ in range(self.max_attempts):
            remaining = target - count
            if full:
                height, start = gh, gh - 1
                # Only whole columns here; clip the span to what is left.
                max_len = remaining // gh
                if max_len == 0:
                    break
            else:
                lo, hi = self.span_height
                height = lo + int(rand() * (hi - lo + 1))
                # Clipped placement, as for blocks: the span's top row
                # ranges over [-(height-1), H-1] and the span is clipped at
                # the top and bottom border, so every row is covered by
                # equally many placements (drawing the top fully inside
                # the grid masked the edge rows half as often as the mean).
                start = int(rand() * (gh + height - 1))
                max_len = remaining // height
                if remaining < self.min_span * lo:
                    break
                if max_len == 0:
                    continue
            length = min(lengths[bisect_left(cum, rand())], max_len)
            # Placements of a (height x length) rect; those with top row
            # ``top`` start at index (top + height - 1) * (W + length - 1),
            # so ``start`` = top + height - 1 (H - 1: the unclipped full
            # height span).
            p_bits, p_rects = cache.get((height, length)) or \
                self._placements(height, length)
            row = gw + length - 1
            i = start * row + int(rand() * row)
            new = (p_bits[i] & free).bit_count()
            if 0 < new <= remaining:
                bits |= p_bits[i]
                free ^= p_bits[i] & free
                count += new
                if with_rects:
                    spans.append(p_rects[i])
        before = bits
        remaining = target - count
        if full and 0 < remaining < gh and bits:
            bits = self._partial_column(bits, remaining, rng)
        bits = self._top_up(bits, target - bits.bit_count(), rng)
        return bits, spans, bits & ~before

    def _partial_column(self, bits: int, rows: int, rng) -> int:
        """Mask ``rows`` vertically contiguous cells of one empty column
        beside a span (the full-height top-up rule)."""
        gh, gw = self.grid
        col_of = [(bits >> c) & self._row_rep[gh] for c in range(gw)]
        filled = [col == self._row_rep[gh] for col in col_of]
        empty = [col == 0 for col in col_of]
        cands = [
            c for c in range(gw) if empty[c] and (
                (c > 0 and filled[c - 1]) or (c + 1 < gw and filled[c + 1]))
        ]
        if not cands:
            return bits
        col = rng.choice(cands)
        top = rng.randrange(gh - rows + 1)
        rect, _ = self._rect_bits(top, col, rows, 1)
        return bits | rect

    def sample_bits(self, key: int) -> int:
        return self.sample_parts(key, with_rects=False)[0]


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
