"""Non-finite losses: skipped, warned, counted; a run of them stops
training before NaN weights are saved."""
import os.path as osp

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmocr_mms.engine.optim import NonFiniteLossError


class NaNAtSomeSteps(BaseModel):
    """A linear model whose loss is NaN at the listed (0-based) calls."""

    def __init__(self, bad_calls=()):
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)
        self.bad_calls = set(bad_calls)
        self.calls = 0

    def forward(self, inputs, labels=None, mode='loss'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        y = torch.stack(labels) if isinstance(labels, list) else labels
        loss = ((self.linear(x).squeeze(-1) - y)**2).mean()
        if self.calls in self.bad_calls:
            loss = loss * float('nan')
        self.calls += 1
        return dict(loss=loss)


class Data(torch.utils.data.Dataset):

    def __len__(self):
        return 16

    def __getitem__(self, i):
        x = torch.randn(4, generator=torch.Generator().manual_seed(i))
        return dict(inputs=x, labels=x.sum())


def _runner(tmp_path, model, max_consecutive=3, epochs=2,
            wrapper='GuardedOptimWrapper'):
    return Runner(
        model=model, work_dir=str(tmp_path),
        train_dataloader=dict(dataset=Data(), batch_size=4, num_workers=0,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=False)),
        optim_wrapper=dict(type=wrapper,
                           max_consecutive=max_consecutive,
                           optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        default_scope='mmocr')


@pytest.mark.parametrize('wrapper',
                         ['GuardedOptimWrapper', 'GuardedBF16OptimWrapper'])
def test_isolated_nonfinite_steps_are_skipped_and_counted(tmp_path, wrapper):
    model = NaNAtSomeSteps(bad_calls={1, 5})
    runner = _runner(tmp_path, model, wrapper=wrapper)
    runner.train()
    assert runner.optim_wrapper.skipped_steps == 2
    assert runner.message_hub.get_scalar('train/skipped_steps').current() == 2
    assert all(torch.isfinite(p).all() for p in model.parameters())
    ckpt = torch.load(osp.join(tmp_path, 'epoch_2.pth'), weights_only=False)
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values())


def test_a_run_of_nonfinite_steps_stops_before_saving(tmp_path):
    model = NaNAtSomeSteps(bad_calls={5, 6, 7, 8})
    runner = _runner(tmp_path, model, max_consecutive=3)
    with pytest.raises(NonFiniteLossError, match='3 consecutive'):
        runner.train()
    # epoch 1 (calls 0-3) was saved; nothing after the failure
    assert osp.isfile(osp.join(tmp_path, 'epoch_1.pth'))
    assert not osp.isfile(osp.join(tmp_path, 'epoch_2.pth'))
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_guard_validates_its_argument(tmp_path):
    with pytest.raises(ValueError, match='max_consecutive'):
        _runner(tmp_path, NaNAtSomeSteps(), max_consecutive=0).train()
