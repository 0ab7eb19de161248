"""Runner checkpoints (save, load_from, resume) under torch >= 2.6."""
import os.path as osp
import pickle

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, inputs, labels=None, mode='loss'):
        inputs = torch.stack(inputs) if isinstance(inputs, list) else inputs
        out = self.linear(inputs)
        if mode == 'loss':
            labels = torch.stack(labels) if isinstance(labels, list) else labels
            return dict(loss=((out.squeeze(-1) - labels)**2).mean())
        return out


class ToyData(torch.utils.data.Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        x = torch.randn(4, generator=g)
        return dict(inputs=x, labels=x.sum())


def _runner(work_dir, max_epochs, **kwargs):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToyData(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4,
            num_workers=0),
        optim_wrapper=dict(
            optimizer=dict(type='AdamW', lr=0.01, weight_decay=0.05)),
        param_scheduler=dict(type='CosineAnnealingLR', T_max=4, by_epoch=True),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        default_scope='mmocr',
        **kwargs)


def test_torch_default_refuses_runner_checkpoints(tmp_path):
    """The problem: torch's default weights_only load rejects them."""
    runner = _runner(tmp_path / 'a', 1)
    runner.train()
    ckpt = osp.join(tmp_path / 'a', 'epoch_1.pth')
    assert torch.__version__ >= '2.6'
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt)


def test_load_from_and_resume(tmp_path):
    work = tmp_path / 'run'
    _runner(work, 2).train()
    ckpt = osp.join(work, 'epoch_1.pth')
    final = osp.join(work, 'epoch_2.pth')

    # load_from: weights restored, training starts at epoch 0
    runner = _runner(tmp_path / 'load', 2, load_from=ckpt)
    runner.load_or_resume()
    saved = torch.load(ckpt, weights_only=False)['state_dict']
    assert torch.equal(runner.model.linear.weight, saved['linear.weight'])
    assert runner.epoch == 0

    # resume: continue from epoch 1 to epoch 2 and end where the
    # uninterrupted run ended
    runner = _runner(tmp_path / 'resume', 2, load_from=ckpt, resume=True)
    runner.train()
    assert runner.epoch == 2
    ref = torch.load(final, weights_only=False)
    assert torch.allclose(runner.model.linear.weight,
                          ref['state_dict']['linear.weight'], atol=1e-6)
    assert (runner.optim_wrapper.optimizer.state_dict()['state'][0]['step']
            == ref['optimizer']['state'][0]['step'])


def test_checkpoint_writes_are_atomic(tmp_path, monkeypatch):
    """A write interrupted midway leaves no file under the final name (and
    no temporary file behind); a complete write replaces the old file."""
    from mmengine.fileio import get_file_backend
    from mmengine.runner.checkpoint import save_checkpoint

    from mmocr_mms.utils.checkpoint import AtomicLocalBackend
    target = tmp_path / 'epoch_2.pth'
    assert isinstance(get_file_backend(str(target)), AtomicLocalBackend)
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, str(target))
    assert torch.equal(torch.load(target)['state_dict']['w'], torch.ones(3))

    import os
    real_fsync = os.fsync

    def dies_midway(fd):
        raise KeyboardInterrupt('killed while writing')

    monkeypatch.setattr(os, 'fsync', dies_midway)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({'state_dict': {'w': torch.zeros(3)}}, str(target))
    monkeypatch.setattr(os, 'fsync', real_fsync)
    # the previous complete checkpoint is intact, no temporary left over
    assert torch.equal(torch.load(target)['state_dict']['w'], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_2.pth']
