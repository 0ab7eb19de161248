"""Transforms of text segmentation: label maps from glyph masks, and
packing of image + mask."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmocr.registry import TRANSFORMS

from mmocr_mms.structures import TextSegDataSample

__all__ = ['FgMaskToSegMap', 'PackTextSegInputs']


@TRANSFORMS.register_module()
class FgMaskToSegMap(BaseTransform):
    """Boolean glyph mask -> segmentation label map.

    For :class:`SynthWordDataset` with ``with_fg_mask=True``, whose exact
    glyph pixels arrive as ``gt_fg_mask``.

    Required keys: ``gt_fg_mask`` (H, W) bool, True on text.
    Added keys: ``gt_seg_map`` (H, W) uint8, 0 background / 1 text (what
    ``Resize`` resizes with nearest interpolation), and ``ori_gt_seg_map``
    (the same array, kept at the original size for evaluation).
    """

    def transform(self, results: dict) -> dict:
        """(H, W) bool ``gt_fg_mask`` -> (H, W) uint8 ``gt_seg_map``."""
        if 'gt_fg_mask' not in results:
            raise KeyError('FgMaskToSegMap needs results["gt_fg_mask"]; '
                           'build SynthWordDataset with with_fg_mask=True')
        seg = np.ascontiguousarray(results.pop('gt_fg_mask'), dtype=bool)
        seg = seg.astype(np.uint8)
        results['gt_seg_map'] = seg
        results['ori_gt_seg_map'] = seg
        return results


def _label_tensor(seg: np.ndarray) -> torch.Tensor:
    """(H, W) integer labels -> (1, H, W) uint8 tensor."""
    seg = np.asarray(seg)
    if seg.ndim != 2:
        raise ValueError(f'a label map must be (H, W), got {seg.shape}')
    return torch.from_numpy(np.ascontiguousarray(seg, np.uint8))[None]


@TRANSFORMS.register_module()
class PackTextSegInputs(BaseTransform):
    """Pack a word crop and its label map.

    Output ``dict(inputs, data_samples)``:
        - ``inputs``: uint8 tensor (3, H, W), channel order as loaded.
        - ``data_samples``: :class:`TextSegDataSample` with ``gt_sem_seg``
          (1, H, W) uint8 from ``gt_seg_map`` (the resized target), with
          ``pack_ori_gt`` also ``ori_gt_sem_seg`` (1, h, w) from
          ``ori_gt_seg_map`` (the original-size target the metric scores),
          and the ``meta_keys`` present.

    Args:
        meta_keys: Keys copied to the metainfo when present.
        pack_ori_gt: Pack the original-size target (evaluation pipelines).
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_path', 'ori_shape',
                                             'img_shape', 'sample_idx',
                                             'word_id', 'text'),
                 pack_ori_gt: bool = False) -> None:
        self.meta_keys = tuple(meta_keys)
        self.pack_ori_gt = pack_ori_gt

    def transform(self, results: dict) -> dict:
        """Pack ``img`` (H, W, 3) and the label maps (see the class)."""
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(
            np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = TextSegDataSample()
        if results.get('gt_seg_map') is not None:
            sample.gt_sem_seg = PixelData(
                data=_label_tensor(results['gt_seg_map']))
        if self.pack_ori_gt and results.get('ori_gt_seg_map') is not None:
            sample.ori_gt_sem_seg = PixelData(
                data=_label_tensor(results['ori_gt_seg_map']))
        sample.set_metainfo(
            {k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(meta_keys={self.meta_keys}, '
                f'pack_ori_gt={self.pack_ori_gt})')
