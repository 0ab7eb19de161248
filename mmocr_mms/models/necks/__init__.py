"""Necks and decoders (MODELS registry, scope ``mmocr``)."""
from .mim_decoder import MIMPixelDecoder

__all__ = ['MIMPixelDecoder']
from .sequential_neck import SequentialNeck  # noqa: E402
from .vit_simple_fpn import ViTSimpleFPN  # noqa: E402
__all__ += ['SequentialNeck', 'ViTSimpleFPN']
