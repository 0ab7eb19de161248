"""Skip optimiser steps on non-finite losses or gradients."""
from typing import Dict, Optional

import torch
from mmengine.dist import all_reduce
from mmengine.logging import MessageHub, print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmocr.registry import OPTIM_WRAPPERS

from .bf16_optim_wrapper import BF16OptimWrapper

__all__ = ['GuardedOptimWrapper', 'GuardedAmpOptimWrapper',
           'GuardedBF16OptimWrapper', 'NonFiniteLossError']


class NonFiniteLossError(FloatingPointError):
    """Too many consecutive non-finite steps: training stops before NaN
    weights can be saved."""


class _NonFiniteGuard:
    """Mixin: before backward, a non-finite loss skips the step; after
    backward, a non-finite gradient norm skips it too. Every skip is warned
    and counted (``train/skipped_steps`` in the message hub); after
    ``max_consecutive`` skips in a row training stops with
    :class:`NonFiniteLossError`. The decision is all-reduced across ranks
    so every process skips the same steps (a lone skip would hang DDP).
    """

    def __init__(self, *args, max_consecutive: int = 10, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_guard(max_consecutive)

    def _init_guard(self, max_consecutive: int) -> None:
        if max_consecutive < 1:
            raise ValueError('max_consecutive must be >= 1, got '
                             f'{max_consecutive}')
        self.max_consecutive = max_consecutive
        self.skipped_steps = 0
        self.consecutive_skips = 0

    def _all_finite(self, value: torch.Tensor) -> bool:
        flag = torch.tensor(float(bool(torch.isfinite(value).all())),
                            device=value.device)
        all_reduce(flag, op='min')  # no-op outside distributed runs
        return bool(flag.item() > 0)

    def _skip(self, what: str, value) -> None:
        self.skipped_steps += 1
        self.consecutive_skips += 1
        MessageHub.get_current_instance().update_scalar(
            'train/skipped_steps', self.skipped_steps)
        print_log(f'non-finite {what} ({value}): optimiser step skipped '
                  f'({self.consecutive_skips} in a row, '
                  f'{self.skipped_steps} in total)', logger='current',
                  level=30)
        self.zero_grad()
        if self.consecutive_skips >= self.max_consecutive:
            raise NonFiniteLossError(
                f'{self.consecutive_skips} consecutive non-finite steps; '
                'stopping before NaN weights are saved. Lower the learning '
                'rate, check the data, or raise max_consecutive.')

    def _grad_norm(self) -> torch.Tensor:
        grads = [p.grad for group in self.optimizer.param_groups
                 for p in group['params'] if p.grad is not None]
        if not grads:
            return torch.zeros(())
        return torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(g.float()) for g in grads]))

    def update_params(self, loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        if not self._all_finite(loss.detach()):
            self._skip('loss', float(loss.detach()))
            return
        self.backward(self.scale_loss(loss))  # scale: grad accumulation
        if self.should_update():
            norm = self._grad_norm()
            if not self._all_finite(norm):
                self._skip('gradient norm', float(norm))
                return
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))
        self.consecutive_skips = 0


@OPTIM_WRAPPERS.register_module()
class GuardedOptimWrapper(_NonFiniteGuard, OptimWrapper):
    """``OptimWrapper`` that skips non-finite steps (see module doc).

    Args:
        max_consecutive (int): Consecutive skipped steps that stop
            training. Defaults to 10.
        **kwargs: As ``OptimWrapper`` (``optimizer``, ``clip_grad``, ...).
    """


@OPTIM_WRAPPERS.register_module()
class GuardedBF16OptimWrapper(_NonFiniteGuard, BF16OptimWrapper):
    """:class:`BF16OptimWrapper` (bfloat16 autocast, CPU or GPU) that
    skips non-finite steps (see module doc).

    Args:
        max_consecutive (int): Consecutive skipped steps that stop
            training. Defaults to 10.
        **kwargs: As ``BF16OptimWrapper`` (``fp32_modules``, ...).
    """


@OPTIM_WRAPPERS.register_module()
class GuardedAmpOptimWrapper(_NonFiniteGuard, AmpOptimWrapper):
    """``AmpOptimWrapper`` (GPU) that skips non-finite losses. Gradient
    overflow under fp16 is already handled by the loss scaler, so only the
    loss is checked before backward and steps go through the scaler."""

    def update_params(self, loss, step_kwargs=None, zero_kwargs=None):
        if not self._all_finite(loss.detach()):
            self._skip('loss', float(loss.detach()))
            return
        AmpOptimWrapper.update_params(self, loss, step_kwargs, zero_kwargs)
        self.consecutive_skips = 0


