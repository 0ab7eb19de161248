"""Make MMOCR importable with ``mmcv-lite`` (mmcv without compiled ops).

Why this exists: ``import mmocr.models`` / ``import mmocr.datasets`` import
mmdet, which imports ``mmcv.ops`` at module level; every ``mmcv.ops`` file
calls ``mmcv.utils.ext_loader.load_ext('_ext', [...])`` which imports the
compiled extension ``mmcv._ext`` and asserts each op name is an attribute.
With ``mmcv-lite`` that module does not exist, so the whole of MMOCR fails
to import although recognizers such as CRNN, NRTR or SATRN never call a
compiled op.

What it does: when (and only when) ``mmcv._ext`` cannot be found, a
placeholder module is put in ``sys.modules['mmcv._ext']``. Any attribute of
it is a function that raises :class:`CompiledOpsUnavailableError` naming the
op and how to get compiled mmcv, so a model that really needs a compiled op
(e.g. ``RoIAlign`` in a two-stage detector) fails loudly the moment the op
is called, never silently. With compiled mmcv installed nothing is touched.
"""
import importlib.machinery
import importlib.util
import sys
import types
from typing import Callable, NoReturn

__all__ = [
    'CompiledOpsUnavailableError', 'has_compiled_mmcv_ops',
    'install_mmcv_compat', 'is_compat_active'
]

_HOW_TO_FIX = (
    'Install mmcv with compiled ops: `make mmcv-full` in the mmocr_mms '
    'checkout builds mmcv 2.0.1 from source (about 45 min on 2 cores), or '
    'install a prebuilt mmcv 2.0.x wheel matching your torch/CUDA from '
    'OpenMMLab (see README, "Compiled mmcv ops").')


class CompiledOpsUnavailableError(RuntimeError):
    """Raised when a compiled mmcv op is called but only mmcv-lite is
    installed."""


class _MissingExtModule(types.ModuleType):
    """Stand-in for ``mmcv._ext``: every op is a function that raises."""

    _mmocr_mms_placeholder = True

    def __getattr__(self, name: str) -> Callable[..., NoReturn]:
        # Dunder look-ups (copy, pickle, inspect) must behave like a normal
        # module and not return an op.
        if name.startswith('__') and name.endswith('__'):
            raise AttributeError(name)

        def missing_op(*args, **kwargs) -> NoReturn:
            raise CompiledOpsUnavailableError(
                f"mmcv op '{name}' was called, but this environment has "
                f'mmcv-lite (no compiled ops). {_HOW_TO_FIX}')

        missing_op.__name__ = name
        missing_op.__qualname__ = f'mmcv._ext.{name}'
        return missing_op


def has_compiled_mmcv_ops() -> bool:
    """Whether a real compiled ``mmcv._ext`` is importable."""
    module = sys.modules.get('mmcv._ext')
    if module is not None:
        return not getattr(module, '_mmocr_mms_placeholder', False)
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except ImportError:  # mmcv itself missing
        return False


def is_compat_active() -> bool:
    """Whether the placeholder ``mmcv._ext`` is installed."""
    module = sys.modules.get('mmcv._ext')
    return bool(getattr(module, '_mmocr_mms_placeholder', False))


def install_mmcv_compat() -> bool:
    """Install the placeholder when compiled mmcv ops are missing.

    Idempotent. Returns True when the placeholder is (now) active, False
    when compiled ops exist and nothing was changed.
    """
    if is_compat_active():
        return True
    if has_compiled_mmcv_ops():
        return False
    import mmcv  # noqa: F401  (the parent package must exist first)
    module = _MissingExtModule('mmcv._ext',
                               'mmocr_mms placeholder for compiled mmcv ops')
    # A spec without a loader: importlib/pkgutil queries work, and
    # mmengine's `mmcv_full_available()` (pkgutil.find_loader) still
    # answers False, which is the truth.
    module.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)
    sys.modules['mmcv._ext'] = module
    return True
