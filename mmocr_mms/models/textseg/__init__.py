"""Text segmentation models (MODELS registry, scope ``mmocr``)."""
from .text_segmentor import TextSegmentor, default_dense_preprocessor

__all__ = ['TextSegmentor', 'default_dense_preprocessor']
