"""Transforms (TRANSFORMS registry, scope ``mmocr``)."""
from .formatting import PackMIMInputs
from .masking import (BaseMaskGenerator, BlockwiseMasking, MultiMasking,
                      RandomPatchMasking, SpanMasking)

__all__ = [
    'BaseMaskGenerator', 'RandomPatchMasking', 'BlockwiseMasking',
    'SpanMasking', 'MultiMasking', 'PackMIMInputs'
]
from .seg_transforms import FgMaskToSegMap, PackTextSegInputs  # noqa: E402
from .sr_transforms import (MakeLRHRPair, PackTextSRInputs,  # noqa: E402
                            ResizeSRPair)
__all__ += ['FgMaskToSegMap', 'PackTextSegInputs', 'MakeLRHRPair',
            'ResizeSRPair', 'PackTextSRInputs']
from .text_label import ApplyTextLabelRule  # noqa: E402
__all__ += ['ApplyTextLabelRule']
