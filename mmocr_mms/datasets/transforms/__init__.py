"""Transforms (TRANSFORMS registry, scope ``mmocr``)."""
from .formatting import PackMIMInputs
from .masking import (BaseMaskGenerator, BlockwiseMasking, MultiMasking,
                      RandomPatchMasking, SpanMasking)

__all__ = [
    'BaseMaskGenerator', 'RandomPatchMasking', 'BlockwiseMasking',
    'SpanMasking', 'MultiMasking', 'PackMIMInputs'
]
