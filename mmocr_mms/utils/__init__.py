from .compat import (CompiledOpsUnavailableError, has_compiled_mmcv_ops,
                     install_mmcv_compat, is_compat_active)
from .rng import mix64, numpy_rng, python_rng, sample_key

__all__ = [
    'CompiledOpsUnavailableError', 'has_compiled_mmcv_ops',
    'install_mmcv_compat', 'is_compat_active', 'mix64', 'numpy_rng',
    'python_rng', 'sample_key'
]
