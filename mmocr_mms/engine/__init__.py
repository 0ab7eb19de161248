"""Training-loop extensions (HOOKS registry, scope ``mmocr``)."""
from .hooks import *  # noqa: F401,F403
