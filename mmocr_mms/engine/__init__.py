"""Training-loop extensions (HOOKS / OPTIM_WRAPPERS registries, scope
``mmocr``)."""
from .hooks import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
