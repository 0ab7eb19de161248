"""Transforms of text-image super-resolution: LR/HR pairs and packing."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmocr.registry import TRANSFORMS

from mmocr_mms.structures import TextSRDataSample

__all__ = ['MakeLRHRPair', 'ResizeSRPair', 'PackTextSRInputs']

_INTERP = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
}


def _resize(img: np.ndarray, size: Tuple[int, int],
            interpolation: str) -> np.ndarray:
    """Resize (h, w, C) uint8 to ``size`` = (H, W)."""
    if img.shape[:2] == tuple(size):
        return img
    return cv2.resize(img, (size[1], size[0]),
                      interpolation=_INTERP[interpolation])


def _check_interp(name: str) -> str:
    if name not in _INTERP:
        raise ValueError(f'interpolation must be one of {sorted(_INTERP)}, '
                         f'got {name!r}')
    return name


@TRANSFORMS.register_module()
class MakeLRHRPair(BaseTransform):
    """Synthesise a super-resolution pair from one image (the proxy task
    when no TextZoom is at hand: real or synthetic word crops).

    HR = the image resized to ``hr_size``; LR = HR resized down to
    ``lr_size``, optionally blurred before and given Gaussian noise after
    (the random draws use numpy's global generator, like MMCV transforms).

    Required keys: ``img`` (h, w, 3) uint8.
    Modified keys: ``img`` -> LR (lr_size), ``img_shape``.
    Added keys: ``gt_img`` -> HR (hr_size), ``lr_shape``, ``hr_shape``.

    Args:
        hr_size: (H, W) of the target, (32, 128) as TextZoom.
        lr_size: (H, W) of the input, (16, 64) as TextZoom.
        hr_interpolation: How the image becomes HR.
        lr_interpolation: How HR becomes LR ('bicubic' or 'area').
        blur_sigma: None or (min, max) Gaussian blur sigma on HR before
            downscaling.
        noise_std: None or (min, max) std of additive Gaussian noise on LR
            (pixel units).
    """

    def __init__(self,
                 hr_size: Sequence[int] = (32, 128),
                 lr_size: Sequence[int] = (16, 64),
                 hr_interpolation: str = 'bicubic',
                 lr_interpolation: str = 'bicubic',
                 blur_sigma: Optional[Sequence[float]] = None,
                 noise_std: Optional[Sequence[float]] = None) -> None:
        self.hr_size = (int(hr_size[0]), int(hr_size[1]))
        self.lr_size = (int(lr_size[0]), int(lr_size[1]))
        self.hr_interpolation = _check_interp(hr_interpolation)
        self.lr_interpolation = _check_interp(lr_interpolation)
        self.blur_sigma = tuple(blur_sigma) if blur_sigma else None
        self.noise_std = tuple(noise_std) if noise_std else None

    def transform(self, results: dict) -> dict:
        """``img`` (h, w, 3) -> LR ``img`` + HR ``gt_img``."""
        hr = _resize(results['img'], self.hr_size, self.hr_interpolation)
        src = hr
        if self.blur_sigma is not None:
            sigma = float(np.random.uniform(*self.blur_sigma))
            if sigma > 0:
                src = cv2.GaussianBlur(hr, (0, 0), sigma)
        lr = _resize(src, self.lr_size, self.lr_interpolation)
        if self.noise_std is not None:
            std = float(np.random.uniform(*self.noise_std))
            if std > 0:
                noisy = lr.astype(np.float32) + np.random.normal(
                    0, std, lr.shape).astype(np.float32)
                lr = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
        results['gt_img'] = np.ascontiguousarray(hr)
        results['img'] = np.ascontiguousarray(lr)
        results['img_shape'] = lr.shape[:2]
        results['lr_shape'] = lr.shape[:2]
        results['hr_shape'] = hr.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(hr_size={self.hr_size}, '
                f'lr_size={self.lr_size}, blur_sigma={self.blur_sigma}, '
                f'noise_std={self.noise_std})')


@TRANSFORMS.register_module()
class ResizeSRPair(BaseTransform):
    """Resize a stored LR/HR pair (TextZoom's vary in size) to the model's
    sizes.

    Required keys: ``img`` (LR), ``gt_img`` (HR), (h, w, 3) uint8.
    Modified keys: ``img``, ``gt_img``, ``img_shape``.
    Added keys: ``lr_shape``, ``hr_shape``.

    Args:
        lr_size: (H, W) of the input, (16, 64) for TextZoom.
        hr_size: (H, W) of the target, (32, 128) for TextZoom.
        interpolation: cv2 interpolation of both.
    """

    def __init__(self,
                 lr_size: Sequence[int] = (16, 64),
                 hr_size: Sequence[int] = (32, 128),
                 interpolation: str = 'bicubic') -> None:
        self.lr_size = (int(lr_size[0]), int(lr_size[1]))
        self.hr_size = (int(hr_size[0]), int(hr_size[1]))
        self.interpolation = _check_interp(interpolation)

    def transform(self, results: dict) -> dict:
        """Resize ``img`` to ``lr_size`` and ``gt_img`` to ``hr_size``."""
        if 'gt_img' not in results:
            raise KeyError('ResizeSRPair needs results["gt_img"] (the HR '
                           'image)')
        lr = _resize(results['img'], self.lr_size, self.interpolation)
        hr = _resize(results['gt_img'], self.hr_size, self.interpolation)
        results['img'] = lr
        results['gt_img'] = hr
        results['img_shape'] = results['lr_shape'] = lr.shape[:2]
        results['hr_shape'] = hr.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(lr_size={self.lr_size}, '
                f'hr_size={self.hr_size}, '
                f'interpolation={self.interpolation!r})')


def _chw(img: np.ndarray) -> torch.Tensor:
    """(H, W[, C]) uint8 -> (C, H, W) uint8 tensor."""
    if img.ndim == 2:
        img = img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackTextSRInputs(BaseTransform):
    """Pack an LR/HR pair.

    Output ``dict(inputs, data_samples)``:
        - ``inputs``: LR uint8 tensor (3, h, w), channel order as loaded.
        - ``data_samples``: :class:`TextSRDataSample` with ``gt_img`` =
          PixelData((3, H, W) uint8) when ``gt_img`` is present, and the
          ``meta_keys`` present.

    Args:
        meta_keys: Keys copied to the metainfo when present.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_path', 'ori_shape',
                                             'img_shape', 'lr_shape',
                                             'hr_shape', 'sample_idx',
                                             'text')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack LR ``img`` and HR ``gt_img`` (see the class)."""
        sample = TextSRDataSample()
        if results.get('gt_img') is not None:
            sample.gt_img = PixelData(data=_chw(results['gt_img']))
        sample.set_metainfo(
            {k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=_chw(results['img']), data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
