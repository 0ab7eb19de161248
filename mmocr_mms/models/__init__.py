"""Models of mmocr_mms; importing this package registers them in MMOCR's
MODELS registry (scope ``mmocr``)."""
from . import layers, utils  # noqa: F401  (no registration, plain modules)
from .algorithms import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .textseg import *  # noqa: F401,F403
from .textsr import *  # noqa: F401,F403
from .textrecog import *  # noqa: F401,F403
