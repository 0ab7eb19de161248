"""Necks and decoders (MODELS registry, scope ``mmocr``)."""
from .mim_decoder import MIMPixelDecoder

__all__ = ['MIMPixelDecoder']
