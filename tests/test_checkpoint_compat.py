"""Runner checkpoints (save, load_from, resume) under torch >= 2.6, and
weights-only loading of every local checkpoint mmengine reads."""
import os.path as osp
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader
from mmocr.registry import MODELS

from mmocr_mms.utils.checkpoint import load_local_checkpoint

TORCH_2_6 = tuple(int(x) for x in torch.__version__.split('.')[:2]) >= (2, 6)


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


@pytest.mark.skipif(not TORCH_2_6,
                    reason='torch < 2.6 loads full pickles by default')
def test_torch_default_refuses_runner_checkpoints(tmp_path):
    """The problem: torch's default weights_only load rejects them, and
    the loader mmengine uses for local files loads them (weights only)."""
    runner = _runner(tmp_path / 'a', 1)
    runner.train()
    ckpt = osp.join(tmp_path / 'a', 'epoch_1.pth')
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt)
    loaded = CheckpointLoader.load_checkpoint(ckpt, map_location='cpu')
    assert loaded['meta']['epoch'] == 1
    hub = loaded['message_hub']['log_scalars']
    assert isinstance(hub['train/loss'], HistoryBuffer)
    assert len(hub['train/loss'].data[0]) == 2  # 8 samples / batch 4
    # the extra globals were allowed for that call only
    assert HistoryBuffer not in torch.serialization.get_safe_globals()
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt)


class _Payload:
    """Unpickling this object creates the file ``marker`` (stands for any
    code a malicious checkpoint would run)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, 'w')


def test_backbone_checkpoint_with_a_payload_is_refused(tmp_path):
    """A backbone file loaded through init_cfg is unpickled weights-only:
    the payload's code never runs."""
    marker = tmp_path / 'payload_ran'
    good = MODELS.build(dict(type='TextViT', arch=dict(
        embed_dims=32, num_layers=1, num_heads=2, mlp_ratio=2)))
    evil = tmp_path / 'backbone.pth'
    torch.save(dict(state_dict=good.state_dict(), extra=_Payload(marker)),
               evil)
    # the file really carries a payload: a full unpickle runs it
    torch.load(evil, weights_only=False)
    assert marker.exists()
    marker.unlink()

    backbone = MODELS.build(dict(
        type='TextViT',
        arch=dict(embed_dims=32, num_layers=1, num_heads=2, mlp_ratio=2),
        init_cfg=dict(type='Pretrained', checkpoint=str(evil))))
    with pytest.raises(pickle.UnpicklingError, match='refused'):
        backbone.init_weights()
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match='refused'):
        load_local_checkpoint(str(evil))
    assert not marker.exists()


def test_getattr_is_allowed_only_for_history_buffer_statistics(tmp_path):
    class Sneaky:

        def __reduce__(self):
            return getattr, (HistoryBuffer, '__init__')

    path = tmp_path / 'sneaky.pth'
    torch.save({'x': Sneaky()}, path)
    with pytest.raises(pickle.UnpicklingError, match='not allowed'):
        load_local_checkpoint(str(path))

    class Fine:

        def __reduce__(self):
            return getattr, (HistoryBuffer, 'mean')

    torch.save({'x': Fine()}, path)
    assert load_local_checkpoint(str(path))['x'] is HistoryBuffer.mean


def test_users_own_safe_globals_survive_a_load(tmp_path):
    path = tmp_path / 'w.pth'
    torch.save({'w': torch.ones(2)}, path)
    torch.serialization.add_safe_globals([HistoryBuffer])
    try:
        load_local_checkpoint(str(path))
        assert HistoryBuffer in torch.serialization.get_safe_globals()
    finally:
        torch.serialization.clear_safe_globals()


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
