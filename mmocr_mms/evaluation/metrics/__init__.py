"""Metrics of this package, registered in MMOCR's METRICS registry."""
from .seg_metric import TextSegMetric, binary_seg_counts, seg_scores  # noqa: F401,E501
from .sr_metric import TextSRMetric, psnr, ssim  # noqa: F401
