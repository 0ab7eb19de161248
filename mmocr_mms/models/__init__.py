"""Models of mmocr_mms; importing this package registers them in MMOCR's
MODELS registry (scope ``mmocr``)."""
from . import layers, utils  # noqa: F401  (no registration, plain modules)
from . import (algorithms, backbones, heads, necks, textrecog, textseg,
               textsr)
from .algorithms import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .textrecog import *  # noqa: F401,F403
from .textseg import *  # noqa: F401,F403
from .textsr import *  # noqa: F401,F403

__all__ = (
    algorithms.__all__ + backbones.__all__ + heads.__all__ + necks.__all__ +
    textrecog.__all__ + textseg.__all__ + textsr.__all__)
