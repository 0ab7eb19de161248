"""Training-loop extensions (HOOKS / OPTIM_WRAPPERS registries, scope
``mmocr``)."""
from . import hooks, optim
from .hooks import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403

__all__ = hooks.__all__ + optim.__all__
