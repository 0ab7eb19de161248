"""Metrics of this package, registered in MMOCR's METRICS registry."""
from .seg_metric import TextSegMetric, binary_seg_counts, seg_scores
from .sr_metric import TextSRMetric, psnr, ssim

__all__ = [
    'TextSegMetric', 'binary_seg_counts', 'seg_scores', 'TextSRMetric',
    'psnr', 'ssim'
]
