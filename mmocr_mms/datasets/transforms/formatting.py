"""Packing of masked-image-modeling samples."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import LabelData
from mmocr.registry import TRANSFORMS
from mmocr.structures import TextRecogDataSample

__all__ = ['PackMIMInputs']


@TRANSFORMS.register_module()
class PackMIMInputs(BaseTransform):
    """Pack an image and its patch mask for masked image modeling.

    MMOCR's ``PackTextRecogInputs`` drops keys it does not know, among them
    the ``mask`` written by the mask transforms; this one keeps it. Works
    for unlabeled samples; a transcription (``gt_texts`` from
    ``LoadOCRAnnotations``) is packed as ``gt_text`` when present, so one
    pipeline can serve pretraining and probing.

    Output ``dict(inputs, data_samples)``:
        - ``inputs``: uint8 tensor (C, H, W), channel order as loaded (BGR
          for MMOCR loaders; the data preprocessor converts).
        - ``data_samples``: :class:`TextRecogDataSample` with data field
          ``mask`` (bool tensor (H/p, W/p), True = masked), metainfo
          ``mask_type``, ``valid_ratio`` (1.0 unless set) and
          ``meta_keys``; optional ``gt_text``.

    Args:
        meta_keys (Sequence[str]): Keys copied to the metainfo when present.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_path', 'ori_shape',
                                             'img_shape', 'sample_idx',
                                             'mask_type')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if 'img' not in results:
            raise KeyError('PackMIMInputs needs results["img"]; load the '
                           'image first')
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0,
                                                                     1)))
        sample = TextRecogDataSample()
        if 'mask' in results:
            sample.set_field(
                torch.from_numpy(np.ascontiguousarray(results['mask'],
                                                      bool)), 'mask')
        if 'gt_texts' in results:
            gt_text = LabelData()
            gt_text.item = results['gt_texts'][0] if results[
                'gt_texts'] else ''
            sample.gt_text = gt_text
        meta = {k: results[k] for k in self.meta_keys if k in results}
        # MMOCR's TextRecogDataPreprocessor reads it; 1.0 unless a
        # padding resize recorded otherwise (as PackTextRecogInputs does).
        meta['valid_ratio'] = results.get('valid_ratio', 1.0)
        sample.set_metainfo(meta)
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
