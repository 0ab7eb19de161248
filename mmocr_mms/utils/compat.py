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
    'install_mmcv_compat', 'is_compat_active',
    'disable_broken_mmpretrain_multimodal'
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


# what mmpretrain 1.2's BLIP language model imports from transformers
_MMPRETRAIN_TRANSFORMERS_NAMES = (
    ('transformers.activations', ('ACT2FN', )),
    ('transformers.modeling_outputs',
     ('BaseModelOutputWithPastAndCrossAttentions',
      'BaseModelOutputWithPoolingAndCrossAttentions',
      'CausalLMOutputWithCrossAttentions')),
    ('transformers.modeling_utils',
     ('PreTrainedModel', 'apply_chunking_to_forward',
      'find_pruneable_heads_and_indices', 'prune_linear_layer')),
    ('transformers.models.bert.configuration_bert', ('BertConfig', )),
)


def disable_broken_mmpretrain_multimodal() -> bool:
    """Keep ``import mmpretrain.models`` (hence ``mmdet.models`` and
    ``mmocr.models``) working next to a transformers release that
    mmpretrain 1.2's multimodal models cannot use.

    mmpretrain imports its BLIP/CLIP/... models whenever pycocotools and
    transformers >= 4.28 are installed, and their module-level class
    definitions fail with ``TypeError: NoneType takes no arguments`` when
    transformers lacks the helpers they import (transformers 5 removed
    ``apply_chunking_to_forward`` and others). When that is the case, or
    transformers is 5 or newer (mmpretrain 1.2 predates it), this
    sets ``mmpretrain.utils.dependency.WITH_MULTIMODAL = False`` before
    ``mmpretrain.models`` is imported, so mmpretrain registers its own
    placeholders for those models (mmocr_mms uses none of them).

    Returns True when multimodal models were switched off.
    """
    if 'mmpretrain.models' in sys.modules:
        return False
    if importlib.util.find_spec('transformers') is None or \
            importlib.util.find_spec('mmpretrain') is None:
        return False
    import mmpretrain.utils.dependency as dependency
    if not dependency.WITH_MULTIMODAL:
        return False
    try:
        from importlib.metadata import version
        if int(version('transformers').split('.')[0]) >= 5:
            raise ImportError('transformers >= 5')
        for module, names in _MMPRETRAIN_TRANSFORMERS_NAMES:
            mod = importlib.import_module(module)
            for name in names:
                getattr(mod, name)
    except Exception:  # what mmpretrain's bare ``except`` would swallow
        dependency.WITH_MULTIMODAL = False
        return True
    return False
