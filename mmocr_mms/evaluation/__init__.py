"""Evaluation metrics (METRICS registry, scope ``mmocr``)."""
from . import metrics, probe, recog_benchmarks
from .metrics import *  # noqa: F401,F403
from .probe import *  # noqa: F401,F403
from .recog_benchmarks import *  # noqa: F401,F403

__all__ = metrics.__all__ + recog_benchmarks.__all__ + probe.__all__
