"""BEiT-style blockwise masking on rectangular grids."""
import bisect
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmocr.registry import TRANSFORMS

from mmocr_mms.utils.rng import python_rng
from .base import BaseMaskGenerator, Rect

__all__ = ['BlockwiseMasking']


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
    (clipped at the border, see the package doc) until the target count; a
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
