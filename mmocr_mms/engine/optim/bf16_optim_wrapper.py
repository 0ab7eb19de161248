"""bfloat16 autocast training on any device, the CPU included.

mmengine's ``AmpOptimWrapper`` refuses to run without a GPU, yet CPUs with
native bfloat16 matrix instructions (AVX512-BF16, AMX) run a ViT's training
step about twice as fast under ``torch.autocast('cpu', torch.bfloat16)``
(TextViT-mini, batch 64, one thread of this project's AMD EPYC machine: 2.3x,
see the README's "Recognition recipes"). bfloat16 keeps float32's exponent
range, so no loss scaling is needed.
"""
import contextlib
from typing import Any, Dict, Optional, Sequence

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from mmocr.registry import OPTIM_WRAPPERS

__all__ = ['BF16OptimWrapper']


def _to_float(obj: Any) -> Any:
    """Cast the low-precision floating tensors inside ``obj`` (tensors,
    lists, tuples, dicts) to float32; leave everything else alone."""
    if isinstance(obj, torch.Tensor):
        return obj.float() if obj.dtype in (torch.bfloat16,
                                            torch.float16) else obj
    if isinstance(obj, (list, tuple)) and not hasattr(obj, '_fields'):
        return type(obj)(_to_float(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_float(v) for k, v in obj.items()}
    return obj


def _fp32_pre_hook(module: nn.Module, args: tuple, kwargs: dict):
    """Leave autocast for this module's forward, inputs in float32."""
    device_type = next(module.parameters(), torch.empty(0)).device.type
    ctx = torch.autocast(device_type=device_type, enabled=False)
    ctx.__enter__()
    module.__dict__.setdefault('_bf16_fp32_contexts', []).append(ctx)
    return _to_float(args), _to_float(kwargs)


def _fp32_post_hook(module: nn.Module, args: tuple, kwargs: dict,
                    output: Any) -> None:
    module.__dict__['_bf16_fp32_contexts'].pop().__exit__(None, None, None)


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward passes run under bfloat16 autocast,
    on CPU or GPU (parameters, gradients and optimiser state stay float32).

    Args:
        device_type: Autocast device ('cpu', 'cuda', ...). None: the device
            of the model's first parameter.
        fp32_modules: Names (dotted, relative to the model, a DDP wrapper's
            ``module`` skipped) of submodules whose forward runs in float32
            outside autocast, inputs cast up: by default MMOCR's
            ``decoder``, so that a CTC / attention head and its loss see
            float32 logits (CPU autocast would otherwise compute the
            log-softmax in bfloat16). Missing names are ignored.
        **kwargs: As ``OptimWrapper`` (``optimizer``, ``clip_grad``, ...).

    Shapes: unchanged; activations inside autocast regions are bfloat16.
    """

    def __init__(self, *args, device_type: Optional[str] = None,
                 fp32_modules: Sequence[str] = ('decoder', ),
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(fp32_modules, str):
            fp32_modules = (fp32_modules, )
        if not all(isinstance(n, str) for n in fp32_modules):
            raise TypeError('fp32_modules must be module names, got '
                            f'{fp32_modules!r}')
        self.device_type = device_type
        self.fp32_modules = tuple(fp32_modules)
        self._hooked: Dict[int, bool] = {}

    def _hook_fp32_modules(self, model: nn.Module) -> None:
        model = getattr(model, 'module', model)  # DDP / MMDDP wrappers
        if self._hooked.get(id(model)):
            return
        for name in self.fp32_modules:
            try:
                sub = model.get_submodule(name)
            except AttributeError:
                continue
            if getattr(sub, '_bf16_fp32_hooked', False):
                continue
            sub.register_forward_pre_hook(_fp32_pre_hook, with_kwargs=True)
            sub.register_forward_hook(_fp32_post_hook, with_kwargs=True,
                                      always_call=True)
            sub._bf16_fp32_hooked = True
        self._hooked[id(model)] = True

    @contextlib.contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient-accumulation context of ``OptimWrapper`` plus bfloat16
        autocast (``fp32_modules`` excepted)."""
        self._hook_fp32_modules(model)
        device_type = self.device_type or next(
            model.parameters()).device.type
        with super().optim_context(model), torch.autocast(
                device_type=device_type, dtype=torch.bfloat16):
            yield
