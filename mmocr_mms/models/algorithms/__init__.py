"""Pretraining algorithms (MODELS registry, scope ``mmocr``)."""
from .mms import MMS

__all__ = ['MMS']
