"""Evaluation metrics (METRICS registry, scope ``mmocr``)."""
from . import encoder_stats, metrics, probe, recog_benchmarks
from .encoder_stats import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .probe import *  # noqa: F401,F403
from .recog_benchmarks import *  # noqa: F401,F403

__all__ = (encoder_stats.__all__ + metrics.__all__ + recog_benchmarks.__all__
           + probe.__all__)
