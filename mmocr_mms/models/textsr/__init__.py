"""Text-image super-resolution models (MODELS registry, scope ``mmocr``)."""
from .text_super_resolver import TextSuperResolver

__all__ = ['TextSuperResolver']
