"""TrainTimeBudgetHook fits the schedule to a deadline: measured seconds per
iteration -> max_iters (or whole epochs), cosine end moved so the lr anneals
as a schedule of the fitted length would, last checkpoint written; an iteration
loop that runs late is stopped at the deadline with a checkpoint. Time comes
from a fake clock, so every number below is exact."""
import math
import os.path as osp
import types

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmocr_mms.engine.hooks import TrainTimeBudgetHook
from mmocr_mms.engine.hooks import time_budget_hook

T0 = 1000.0
ETA_MIN = 1e-4


class Linear(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, inputs, labels=None, mode='loss'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        y = torch.stack(labels) if isinstance(labels, list) else labels
        return dict(loss=((self.linear(x).squeeze(-1) - y)**2).mean())


class Data(torch.utils.data.Dataset):

    def __len__(self):
        return 16

    def __getitem__(self, i):
        x = torch.randn(4, generator=torch.Generator().manual_seed(i))
        return dict(inputs=x, labels=x.sum())


def fake_clock(monkeypatch, step):
    """time.time() of the hook: call k (0: before_train, k: after
    iteration k) returns T0 + sum of step(j) for j < k."""
    state = dict(calls=0, now=T0)

    def now():
        value = state['now']
        state['now'] += step(state['calls'])
        state['calls'] += 1
        return value

    monkeypatch.setattr(time_budget_hook, 'time',
                        types.SimpleNamespace(time=now))


def _runner(tmp_path, by_epoch, hook):
    if by_epoch:
        train_cfg = dict(by_epoch=True, max_epochs=100)
        sampler = dict(type='DefaultSampler', shuffle=False)
        schedulers = [
            dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0,
                 end=1, convert_to_iter_based=True),
            dict(type='CosineAnnealingLR', eta_min=ETA_MIN, by_epoch=True,
                 begin=1, end=100, T_max=99, convert_to_iter_based=True)]
        ckpt = dict(type='CheckpointHook', interval=100)
    else:
        train_cfg = dict(by_epoch=False, max_iters=1000)
        sampler = dict(type='InfiniteSampler', shuffle=False)
        schedulers = [
            dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
                 end=5),
            dict(type='CosineAnnealingLR', eta_min=ETA_MIN, by_epoch=False,
                 begin=5, end=1000, T_max=995)]
        ckpt = dict(type='CheckpointHook', by_epoch=False, interval=1000)
    return Runner(
        model=Linear(), work_dir=str(tmp_path),
        train_dataloader=dict(dataset=Data(), batch_size=4, num_workers=0,
                              sampler=sampler),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        param_scheduler=schedulers,
        train_cfg=train_cfg,
        default_hooks=dict(checkpoint=ckpt),
        custom_hooks=[hook],
        log_processor=dict(by_epoch=by_epoch),
        default_scope='mmocr')


def _lr(runner):
    return runner.optim_wrapper.optimizer.param_groups[0]['lr']


def _cosine_last(t_max):
    # lr of the last iteration of an un-fitted cosine of length t_max from
    # the base lr 0.01 (mmengine's last step is t_max - 1)
    return ETA_MIN + (0.01 - ETA_MIN) * (
        1 + math.cos(math.pi * (t_max - 1) / t_max)) / 2


def test_iteration_loop_fitted_to_the_budget(tmp_path, monkeypatch):
    fake_clock(monkeypatch, lambda k: 1.0)  # 1 s per iteration
    runner = _runner(tmp_path, False, dict(
        type='TrainTimeBudgetHook', budget_s=100, skip_iters=2,
        measure_iters=3, reserve_s=10))
    runner.train()
    hook = [h for h in runner.hooks
            if isinstance(h, TrainTimeBudgetHook)][0]
    # fitted after 5 iterations: 100 - 10 - 5 s left at 1 s/iter -> 90;
    # the refits at 1/4, 1/2, 3/4 find the same
    assert hook.fits[0] == (5, 1.0, 90)
    assert [f[2] for f in hook.fits] == [90, 90, 90, 90]
    assert runner.iter == 90
    assert osp.isfile(osp.join(tmp_path, 'iter_90.pth'))
    assert not osp.isfile(osp.join(tmp_path, 'iter_1000.pth'))
    cosine = runner.param_schedulers[1]
    assert (cosine.begin, cosine.end, cosine.T_max) == (5, 90, 85)
    # the lr ends exactly as a schedule configured for 90 iterations would
    assert _lr(runner) == pytest.approx(_cosine_last(85), rel=1e-9)


def test_epoch_loop_fitted_to_whole_epochs(tmp_path, monkeypatch):
    fake_clock(monkeypatch, lambda k: 1.0)
    runner = _runner(tmp_path, True, dict(
        type='TrainTimeBudgetHook', budget_s=100, skip_iters=2,
        measure_iters=3, reserve_s=10))
    runner.train()
    # 90 iterations fit; 4 per epoch -> 22 epochs = 88 iterations
    assert runner.epoch == 22 and runner.iter == 88
    assert osp.isfile(osp.join(tmp_path, 'epoch_22.pth'))
    cosine = runner.param_schedulers[1]
    assert (cosine.begin, cosine.end, cosine.T_max) == (4, 88, 84)
    assert _lr(runner) == pytest.approx(_cosine_last(84), rel=1e-9)


def test_late_iteration_loop_stops_at_the_deadline(tmp_path, monkeypatch):
    # 1 s per iteration for 40 iterations, then 10 s: no refit (recheck
    # empty), so the deadline (T0 + 90) passes after iteration 46
    fake_clock(monkeypatch, lambda k: 1.0 if k < 40 else 10.0)
    runner = _runner(tmp_path, False, dict(
        type='TrainTimeBudgetHook', budget_s=100, skip_iters=2,
        measure_iters=3, reserve_s=10, recheck=()))
    runner.train()
    assert runner.iter == 46
    assert osp.isfile(osp.join(tmp_path, 'iter_46.pth'))


def test_without_deadline_the_config_schedule_runs(tmp_path):
    runner = _runner(tmp_path, False, dict(type='TrainTimeBudgetHook'))
    runner.train_loop._max_iters = 12  # keep the test short
    runner.train()
    assert runner.iter == 12


@pytest.mark.parametrize('kwargs,match', [
    (dict(skip_iters=0), 'skip_iters'),
    (dict(measure_iters=True), 'measure_iters'),
    (dict(budget_s=-5), 'budget_s'),
    (dict(deadline=float('inf')), 'deadline'),
    (dict(reserve_s=-1), 'reserve_s'),
    (dict(recheck=(0.5, 1.0)), 'recheck'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainTimeBudgetHook(**kwargs)
