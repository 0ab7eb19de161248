"""Inference entry points: MMOCR inferencer support for our configs, a
folder / file / list reader (``tools/infer.py``)."""
from .crop_reader import CropReader, TorchCropReader
from .inferencer_support import install_inferencer_support, leaf_dataset_cfg

__all__ = [
    'install_inferencer_support', 'leaf_dataset_cfg', 'CropReader',
    'TorchCropReader'
]
