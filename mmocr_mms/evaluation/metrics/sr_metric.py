"""PSNR and SSIM of text-image super-resolution (TextZoom's metrics).

:func:`ssim` follows Wang et al. 2004 as ``skimage.metrics.
structural_similarity`` computes it (same window, constants, covariance
normalisation and border crop), so the two agree to float precision
(tested): ``gaussian=True`` with ``use_sample_covariance=False`` is the
paper's setting (11x11 Gaussian, sigma 1.5); ``gaussian=False`` with
``win_size=7`` and ``use_sample_covariance=True`` is skimage's default.
"""
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmocr.registry import METRICS

__all__ = ['psnr', 'ssim', 'TextSRMetric']

Array = Any  # numpy array or torch tensor


def _as_float64(x: Array) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().to(torch.float64)
    return torch.from_numpy(np.asarray(x, dtype=np.float64))


def psnr(pred: Array, target: Array, data_range: float = 255.) -> float:
    """Peak signal-to-noise ratio in dB, over all elements.

    Args:
        pred, target: Arrays or tensors of one shape (any layout).
        data_range: Peak value range (255 for 8-bit pixels).

    Returns:
        ``10 log10(data_range^2 / MSE)``; ``inf`` for identical inputs.
    """
    a, b = _as_float64(pred), _as_float64(target)
    if a.shape != b.shape:
        raise ValueError(f'shapes differ: {tuple(a.shape)} vs '
                         f'{tuple(b.shape)}')
    mse = float(((a - b)**2).mean())
    if mse == 0:
        return math.inf
    return 10. * math.log10(data_range**2 / mse)


def _window_1d(gaussian: bool, sigma: float, win_size: Optional[int],
               truncate: float = 3.5) -> torch.Tensor:
    """Normalised 1-D window; Gaussian radius int(truncate*sigma + 0.5) as
    scipy's ``gaussian_filter``."""
    if gaussian:
        radius = int(truncate * sigma + 0.5)
        x = torch.arange(-radius, radius + 1, dtype=torch.float64)
        w = torch.exp(-0.5 * x**2 / sigma**2)
    else:
        size = 7 if win_size is None else int(win_size)
        if size < 1 or size % 2 == 0:
            raise ValueError(f'win_size must be odd and >= 1, got {size}')
        w = torch.ones(size, dtype=torch.float64)
    return w / w.sum()


def ssim(pred: Array,
         target: Array,
         data_range: float = 255.,
         channel_axis: Optional[int] = 0,
         gaussian: bool = True,
         sigma: float = 1.5,
         win_size: Optional[int] = None,
         use_sample_covariance: bool = False,
         k1: float = 0.01,
         k2: float = 0.03) -> float:
    """Mean structural similarity, averaged over channels.

    Args:
        pred, target: (C, H, W) (``channel_axis=0``), (H, W, C)
            (``channel_axis=-1``) or (H, W) (``channel_axis=None``).
        data_range: Dynamic range of the pixel values.
        channel_axis: Axis of the channels, or None for one channel.
        gaussian: Gaussian window (sigma, radius ``int(3.5 sigma + 0.5)``)
            rather than a uniform ``win_size`` window.
        sigma: Gaussian sigma.
        win_size: Uniform window side (odd; default 7).
        use_sample_covariance: Normalise (co)variances by N - 1 instead of
            N.
        k1, k2: Stability constants.

    Returns:
        The mean of the SSIM map over pixels whose whole window lies in the
        image (skimage crops the same border), then over channels.
    """
    a, b = _as_float64(pred), _as_float64(target)
    if a.shape != b.shape:
        raise ValueError(f'shapes differ: {tuple(a.shape)} vs '
                         f'{tuple(b.shape)}')
    if channel_axis is None:
        a, b = a[None], b[None]
    else:
        a, b = a.movedim(channel_axis, 0), b.movedim(channel_axis, 0)
    w = _window_1d(gaussian, sigma, win_size)
    k = len(w)
    if min(a.shape[-2:]) < k:
        raise ValueError(f'images {tuple(a.shape[-2:])} are smaller than '
                         f'the {k}x{k} SSIM window')
    c = a.shape[0]
    wy = w.view(1, 1, k, 1).expand(c, 1, k, 1)
    wx = w.view(1, 1, 1, k).expand(c, 1, 1, k)

    def filt(x: torch.Tensor) -> torch.Tensor:
        # separable 'valid' filter == skimage's filter + border crop
        return F.conv2d(F.conv2d(x[None], wy, groups=c), wx, groups=c)[0]

    n = k * k
    cov_norm = n / (n - 1) if use_sample_covariance else 1.
    ux, uy = filt(a), filt(b)
    vx = cov_norm * (filt(a * a) - ux * ux)
    vy = cov_norm * (filt(b * b) - uy * uy)
    vxy = cov_norm * (filt(a * b) - ux * uy)
    c1 = (k1 * data_range)**2
    c2 = (k2 * data_range)**2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / \
        ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    return float(s.mean(dim=(1, 2)).mean())


def _image(sample: Any, key: str) -> Optional[torch.Tensor]:
    """(C, H, W) tensor of a PixelData field (or its dict form)."""
    field = sample.get(key) if isinstance(sample, Mapping) else (
        getattr(sample, key) if key in sample else None)
    if field is None:
        return None
    data = field['data'] if isinstance(field, Mapping) else field.data
    return torch.as_tensor(data)


@METRICS.register_module()
class TextSRMetric(BaseMetric):
    """PSNR (dB) and SSIM of super-resolved word images, averaged over
    images.

    Compares ``pred_img`` with ``gt_img`` (both (C, H, W), same channel
    order, pixel range [0, ``data_range``]) on all colour channels, as
    TextZoom papers do (TSRN & co. compute them on RGB).

    Args:
        scores: Subset of ('PSNR', 'SSIM'). (Not named ``metrics``: MMEngine
            would take a metric config with that key for an evaluator.)
        data_range: Pixel range of the images.
        quantize: Round predictions to integers first (as when saved as
            8-bit images).
        ssim_cfg: Keyword arguments of :func:`ssim` (default: Gaussian
            window, sigma 1.5, population covariance - Wang et al.).
        collect_device: 'cpu' or 'gpu'.
        prefix: Metric name prefix; default 'textsr'.
    """

    default_prefix: Optional[str] = 'textsr'

    def __init__(self,
                 scores: Sequence[str] = ('PSNR', 'SSIM'),
                 data_range: float = 255.,
                 quantize: bool = False,
                 ssim_cfg: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        scores = [scores] if isinstance(scores, str) else list(scores)
        unknown = set(scores) - {'PSNR', 'SSIM'}
        if unknown or not scores:
            raise ValueError(f'scores must be a subset of (PSNR, SSIM), got '
                             f'{scores}')
        self.scores = scores
        self.data_range = float(data_range)
        self.quantize = quantize
        self.ssim_cfg = dict(ssim_cfg or {})

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store the per-image scores."""
        for sample in data_samples:
            pred = _image(sample, 'pred_img')
            gt = _image(sample, 'gt_img')
            if pred is None or gt is None:
                raise KeyError('TextSRMetric needs pred_img and gt_img')
            pred = pred.double()
            if self.quantize:
                pred = pred.round().clamp(0, self.data_range)
            scores = {}
            if 'PSNR' in self.scores:
                scores['PSNR'] = psnr(pred, gt, self.data_range)
            if 'SSIM' in self.scores:
                scores['SSIM'] = ssim(
                    pred, gt, self.data_range, channel_axis=0,
                    **self.ssim_cfg)
            self.results.append(scores)

    def compute_metrics(self, results: List[Dict[str, float]]
                        ) -> Dict[str, float]:
        """Mean of each score over images."""
        if not results:
            raise ValueError('TextSRMetric got no samples')
        return {
            k: float(np.mean([r[k] for r in results]))
            for k in self.scores
        }
