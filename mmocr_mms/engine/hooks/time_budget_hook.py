"""Fit a training schedule to a wall-clock budget."""
from __future__ import annotations

import math
import time
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from mmocr.registry import HOOKS

__all__ = ['TrainTimeBudgetHook']


@HOOKS.register_module()
class TrainTimeBudgetHook(Hook):
    """End training by a wall-clock deadline with a complete schedule.

    The config's ``max_iters`` / ``max_epochs`` is a placeholder: after
    ``skip_iters`` iterations (start-up, first batches) this hook times
    ``measure_iters`` more, then sets the loop's length to what fits
    before ``deadline - reserve_s`` (longer or shorter than configured),
    and moves the end of every parameter scheduler that ended with the old
    schedule (``end`` and a cosine's ``T_max``) to the new end, so the
    learning rate anneals as in a schedule configured with the fitted
    length, and the last checkpoint (``CheckpointHook(save_last=True)``)
    is written.
    At each fraction ``recheck`` of the new schedule the estimate is
    refreshed with all iterations timed so far. A scheduler that has
    started continues smoothly (mmengine's schedulers are chainable: the
    value moves from where it is to the new end); warm-up schedulers that
    end earlier are left alone.

    An ``IterBasedTrainLoop`` is fitted to the iteration, and stopped at
    once (the current iteration becomes the last, so it is checkpointed)
    when the deadline passes anyway; an ``EpochBasedTrainLoop`` only to
    whole epochs (the estimate is rounded down), which cannot be cut
    short.

    Args:
        deadline (float, optional): ``time.time()`` by which training
            must be finished. Wins over ``budget_s``.
        budget_s (float, optional): Seconds from the start of training
            (``before_train``). Neither given: the hook does nothing.
        skip_iters (int): Iterations not timed (>= 1). Defaults to 10.
        measure_iters (int): Iterations timed before the first fit.
            Defaults to 20.
        reserve_s (float): Seconds kept free before the deadline (last
            checkpoint, shutdown). Defaults to 10.
        recheck (tuple[float]): Fractions of the fitted schedule at which
            it is fitted again. Defaults to (0.25, 0.5, 0.75).
        min_iters (int): Never fewer iterations than this (if the budget
            is too small for it, the deadline is missed). Defaults to 1.
    """

    priority = 'NORMAL'  # before ParamSchedulerHook and CheckpointHook

    def __init__(self,
                 deadline: Optional[float] = None,
                 budget_s: Optional[float] = None,
                 skip_iters: int = 10,
                 measure_iters: int = 20,
                 reserve_s: float = 10.0,
                 recheck: tuple = (0.25, 0.5, 0.75),
                 min_iters: int = 1) -> None:
        for name, value in (('skip_iters', skip_iters),
                            ('measure_iters', measure_iters),
                            ('min_iters', min_iters)):
            if isinstance(value, bool) or not isinstance(value, int) \
                    or value < 1:
                raise ValueError(f'{name} must be an int >= 1, got {value!r}')
        for name, value in (('deadline', deadline), ('budget_s', budget_s)):
            if value is not None and not (isinstance(value, (int, float))
                                          and math.isfinite(value)
                                          and value > 0):
                raise ValueError(
                    f'{name} must be a positive number or None, got '
                    f'{value!r}')
        if not (isinstance(reserve_s, (int, float)) and reserve_s >= 0):
            raise ValueError(f'reserve_s must be >= 0, got {reserve_s!r}')
        if any(not 0 < f < 1 for f in recheck):
            raise ValueError(f'recheck fractions must lie in (0, 1), got '
                             f'{recheck!r}')
        self.deadline = deadline
        self.budget_s = budget_s
        self.skip_iters = skip_iters
        self.measure_iters = measure_iters
        self.reserve_s = float(reserve_s)
        self.recheck = tuple(sorted(recheck))
        self.min_iters = min_iters
        self._end: Optional[float] = None
        self._t_skip: Optional[float] = None
        self._checks: list = []
        self.fits: list = []  # (iteration, s/iter, new max_iters), for logs

    # -- helpers --------------------------------------------------------
    @staticmethod
    def _schedulers(runner):
        scheds = runner.param_schedulers or []
        if isinstance(scheds, dict):
            return [s for v in scheds.values() for s in v]
        return list(scheds)

    def _fit(self, runner, done: int, now: float) -> None:
        loop = runner.train_loop
        per_iter = (now - self._t_skip) / max(1, done - self.skip_iters)
        left = self._end - self.reserve_s - now
        old_iters, old_epochs = loop.max_iters, loop.max_epochs
        # at least the current iteration (it is then the last one)
        new_iters = max(self.min_iters, done + int(max(0, left) // per_iter))
        if isinstance(loop, EpochBasedTrainLoop):
            per_epoch = len(loop.dataloader)
            epochs = max(runner.epoch + 1, new_iters // per_epoch,
                         math.ceil(self.min_iters / per_epoch))
            new_iters = epochs * per_epoch
            loop._max_epochs = epochs
        elif not isinstance(loop, IterBasedTrainLoop):
            raise TypeError(f'TrainTimeBudgetHook: unsupported train loop '
                            f'{type(loop).__name__}')
        loop._max_iters = new_iters
        for s in self._schedulers(runner):
            if s.by_epoch:
                old, new = old_epochs, loop.max_epochs
            else:
                old, new = old_iters, new_iters
            if s.end == old and s.begin < new:
                if hasattr(s, 'T_max') and s.T_max == old - s.begin:
                    s.T_max = new - s.begin
                s.end = new
        if not self.fits:  # refit points: fractions of the first fit
            self._checks = [done + f * (new_iters - done)
                            for f in self.recheck]
        else:
            self._checks.pop(0)
        self.fits.append((done, per_iter, new_iters))
        print_log(
            f'TrainTimeBudgetHook: {per_iter:.3f} s/iter after {done} '
            f'iterations, {left:.0f} s left -> max_iters {old_iters} -> '
            f'{new_iters}' + (f' ({loop.max_epochs} epochs)' if isinstance(
                loop, EpochBasedTrainLoop) else ''), logger='current')

    # -- hook points ----------------------------------------------------
    def before_train(self, runner) -> None:
        start = time.time()
        if self.deadline is not None:
            self._end = float(self.deadline)
        elif self.budget_s is not None:
            self._end = start + float(self.budget_s)
        if self._end is not None:
            print_log(f'TrainTimeBudgetHook: training must end in '
                      f'{self._end - start:.0f} s', logger='current')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self._end is None:
            return
        done = runner.iter + 1
        now = time.time()
        if done == self.skip_iters:
            self._t_skip = now
        if self._t_skip is None or done <= self.skip_iters:
            return
        if not self.fits:
            if done >= self.skip_iters + self.measure_iters:
                self._fit(runner, done, now)
        elif self._checks and done >= self._checks[0]:
            self._fit(runner, done, now)
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop) and \
                now > self._end - self.reserve_s and \
                done < loop.max_iters and done >= self.min_iters:
            print_log('TrainTimeBudgetHook: deadline reached, stopping '
                      f'after iteration {done}', logger='current',
                      level=30)
            loop._max_iters = done
            self._checks = []
