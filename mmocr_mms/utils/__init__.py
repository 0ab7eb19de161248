from .compat import (CompiledOpsUnavailableError, has_compiled_mmcv_ops,
                     install_mmcv_compat, is_compat_active)
from .image import UnsupportedImageError, to_bgr_uint8
from .lexicon import read_lexicon, write_lexicon
from .optional import import_optional
from .rng import mix64, numpy_rng, python_rng, sample_key
from .text import (DEFAULT_CHARSET, PROTOCOL_CHARSET, PROTOCOL_PATTERN,
                   normalize_label)

__all__ = [
    'CompiledOpsUnavailableError', 'has_compiled_mmcv_ops',
    'install_mmcv_compat', 'is_compat_active', 'mix64', 'numpy_rng',
    'python_rng', 'sample_key', 'UnsupportedImageError', 'to_bgr_uint8',
    'DEFAULT_CHARSET', 'PROTOCOL_CHARSET', 'PROTOCOL_PATTERN',
    'normalize_label', 'import_optional', 'read_lexicon', 'write_lexicon'
]
