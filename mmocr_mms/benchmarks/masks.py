"""Per-sample cost of the mask transforms vs mmpretrain's BEiTMaskGenerator.

Every call of our transforms includes deriving the sample's generator from
``(seed, epoch, sample_idx)``, as in training. ``BEiTMaskGenerator`` draws
from the global ``random`` module (no per-sample seeding), so its figure is
a lower bound of what it would cost under the same reproducibility rule.
"""
import os
import statistics
import time
from typing import Callable, Dict, List

__all__ = ['time_per_sample', 'run_mask_benchmark']


def time_per_sample(fn: Callable[[int], object], n: int,
                    repeats: int) -> float:
    """Median over ``repeats`` of the mean seconds per call of fn(i)."""
    fn(0)  # warm caches (placement tables, imports)
    runs = []
    for r in range(repeats):
        start = time.perf_counter()
        base = r * n
        for i in range(base, base + n):
            fn(i)
        runs.append((time.perf_counter() - start) / n)
    return statistics.median(runs)


def run_mask_benchmark(n: int = 20000,
                       repeats: int = 5,
                       pin_core: bool = True) -> List[Dict]:
    """Time each strategy on the 8 x 32 grid at its default ratio and
    ``BEiTMaskGenerator`` at 192 and 96 of 256 patches.

    Returns rows ``dict(name, patches, us_per_sample, beit_ratio)`` where
    ``beit_ratio`` = BEiT's time at 192 patches / this row's time.
    """
    if pin_core and hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import mmocr_mms  # noqa: F401
    from mmocr_mms.datasets.transforms import (BlockwiseMasking,
                                               MultiMasking,
                                               RandomPatchMasking,
                                               SpanMasking)
    from mmocr_mms.utils.optional import import_optional
    BEiTMaskGenerator = import_optional(
        'mmpretrain.datasets.transforms',
        'the mask benchmark (BEiTMaskGenerator)').BEiTMaskGenerator

    ours = [
        ('RandomPatchMasking 0.75', RandomPatchMasking(seed=0)),
        ('BlockwiseMasking 0.5', BlockwiseMasking(seed=0)),
        ('BlockwiseMasking 0.75 (= BEiT work)',
         BlockwiseMasking(mask_ratio=0.75, seed=0)),
        ('SpanMasking 0.4', SpanMasking(seed=0)),
        ('SpanMasking 0.4 partial-height',
         SpanMasking(seed=0, span_height=(2, 6))),
        ('MultiMasking (1/3 each)', MultiMasking(seed=0)),
        ('MultiMasking union 0.6', MultiMasking(mode='union', mask_ratio=0.6,
                                                seed=0)),
    ]
    rows = []
    beit_192 = None
    for count in (192, 96):
        beit = BEiTMaskGenerator(input_size=(8, 32),
                                 num_masking_patches=count)
        t = time_per_sample(lambda i: beit.transform({}),
                            max(200, n // 10), repeats)
        rows.append(dict(name=f'mmpretrain BEiTMaskGenerator {count}/256',
                         patches=count, us_per_sample=t * 1e6))
        beit_192 = beit_192 or t
    for name, transform in ours:
        t = time_per_sample(lambda i: transform.transform({'sample_idx': i}),
                            n, repeats)
        rows.append(dict(name=name,
                         patches=transform.num_masked or 'per strategy',
                         us_per_sample=t * 1e6))
    for row in rows:
        row['beit_ratio'] = beit_192 * 1e6 / row['us_per_sample']
    return rows
