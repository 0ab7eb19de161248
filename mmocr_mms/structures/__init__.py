"""Data structures of the dense tasks (text segmentation, super-resolution).

Plain data containers (no registration); MMOCR's own structures
(``TextRecogDataSample``, ``TextDetDataSample``) are used for recognition
and detection.
"""
from .dense_data_sample import TextSegDataSample, TextSRDataSample

__all__ = ['TextSegDataSample', 'TextSRDataSample']
