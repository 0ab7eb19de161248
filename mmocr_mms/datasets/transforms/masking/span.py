"""Span masking: runs of patch columns."""
import bisect
import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmocr.registry import TRANSFORMS

from mmocr_mms.utils.rng import python_rng
from .base import BaseMaskGenerator, Rect

__all__ = ['SpanMasking']


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
