"""Evaluation metrics (METRICS registry, scope ``mmocr``)."""
from .metrics import *  # noqa: F401,F403
from .recog_benchmarks import *  # noqa: F401,F403
from .probe import *  # noqa: F401,F403
