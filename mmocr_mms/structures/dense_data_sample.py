"""Data samples of the pixel-level tasks.

Both are :class:`mmengine.structures.BaseDataElement` subclasses whose
fields are :class:`mmengine.structures.PixelData` (tensors of shape
(C, H, W)); the properties only check the type, as MMEngine's own data
samples do.
"""
from mmengine.structures import BaseDataElement, PixelData

__all__ = ['TextSegDataSample', 'TextSRDataSample']


def _pixel_property(name: str, doc: str) -> property:
    """A typed ``PixelData`` field stored under ``_<name>``."""
    private = f'_{name}'

    def getter(self) -> PixelData:
        return getattr(self, private)

    def setter(self, value: PixelData) -> None:
        self.set_field(value, private, dtype=PixelData)

    def deleter(self) -> None:
        delattr(self, private)

    return property(getter, setter, deleter, doc)


class TextSegDataSample(BaseDataElement):
    """One word crop of text segmentation.

    Fields (all optional):
        gt_sem_seg: ``PixelData(data=(1, H, W) uint8)``, the target at the
            network input size: 0 background, 1 text, 255 ignore.
        ori_gt_sem_seg: the same at the original crop size (evaluation).
        pred_sem_seg: ``PixelData(data=(1, h, w) int64)``, the predicted
            class per pixel at the evaluation size.
    Metainfo: ``img_path``, ``ori_shape``, ``img_shape``, ...
    """

    gt_sem_seg = _pixel_property('gt_sem_seg', 'training target')
    ori_gt_sem_seg = _pixel_property('ori_gt_sem_seg',
                                     'target at the original size')
    pred_sem_seg = _pixel_property('pred_sem_seg', 'predicted classes')


class TextSRDataSample(BaseDataElement):
    """One low-/high-resolution pair of text-image super-resolution.

    Fields (all optional):
        gt_img: ``PixelData(data=(3, H, W) uint8)``, the high-resolution
            target in the channel order of the loaded image (BGR for MMOCR
            loaders).
        pred_img: ``PixelData(data=(3, H, W) float32)`` in [0, 255], same
            channel order as ``gt_img``.
    Metainfo: ``img_path``, ``lr_shape``, ``hr_shape``, ...
    """

    gt_img = _pixel_property('gt_img', 'high-resolution target')
    pred_img = _pixel_property('pred_img', 'super-resolved image')
