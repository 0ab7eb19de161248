"""mmocr_mms: Multi-Masking-Strategy (MMS) pretraining for MMOCR 1.x.

Importing the package (or naming it in a config's ``custom_imports``)
1. makes MMOCR importable with mmcv-lite and next to transformers 5
   (:mod:`mmocr_mms.utils.compat`),
2. lets mmengine load runner checkpoints under torch >= 2.6
   (:mod:`mmocr_mms.utils.checkpoint`),
3. registers every module of this package in MMOCR's registries (scope
   ``mmocr``),
4. lets MMOCR's inferencers (``mmocr.apis.TextRecInferencer``,
   ``MMOCRInferencer``) run our configs (:mod:`mmocr_mms.apis`).
"""
from .utils.compat import (disable_broken_mmpretrain_multimodal,
                           install_mmcv_compat)

install_mmcv_compat()
disable_broken_mmpretrain_multimodal()

from .utils.checkpoint import register_checkpoint_loader  # noqa: E402

register_checkpoint_loader()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .apis import install_inferencer_support  # noqa: E402

install_inferencer_support()
from .version import __version__  # noqa: E402,F401

__all__ = [
    '__version__', 'datasets', 'engine', 'evaluation', 'models',
    'install_mmcv_compat', 'disable_broken_mmpretrain_multimodal',
    'register_checkpoint_loader', 'install_inferencer_support'
]
