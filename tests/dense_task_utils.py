"""Helpers shared by the dense-task tests (text segmentation,
super-resolution, detection): tiny models, tiny runs, a tiny pretrained
backbone checkpoint."""
import os.path as osp
from typing import Dict, Optional

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmocr.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TINY_ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, mlp_ratio=2)


@pytest.fixture(autouse=True)
def single_thread():
    """Run a test module's tiny models on one intra-op thread (import this
    fixture into the module to activate it). Tiny models gain nothing from
    two threads, and on a busy 2-core machine OpenMP's spinning threads
    made one 30-step test 20x slower (0.8 s vs 22 s)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def config_path(rel: str) -> str:
    """Absolute path of a config under configs/."""
    return osp.join(ROOT, 'configs', rel)


def save_tiny_backbone(path: str, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Save a tiny TextViT as a pretraining runner checkpoint
    (``state_dict`` with ``backbone.`` keys, plus a decoder key that must
    be ignored); returns the backbone's state dict."""
    torch.manual_seed(seed)
    vit = MODELS.build(dict(type='TextViT', arch=TINY_ARCH))
    vit.init_weights()
    sd = {f'backbone.{k}': v for k, v in vit.state_dict().items()}
    sd['decoder.mask_token'] = torch.zeros(1, 1, 32)
    torch.save(dict(state_dict=sd, meta=dict(epoch=1)), path)
    return vit.state_dict()


def tiny_backbone(cfg: Config, checkpoint: Optional[str]) -> None:
    """Shrink the config's TextViT to TINY_ARCH; load ``checkpoint`` (or
    nothing) through its init_cfg."""
    bb = cfg.model.backbone
    bb.arch = dict(TINY_ARCH)
    bb.drop_path_rate = 0.
    if checkpoint is None:
        bb.init_cfg = None
    else:
        bb.init_cfg.checkpoint = checkpoint


def assert_backbone_loaded(backbone: torch.nn.Module,
                           expected: Dict[str, torch.Tensor]) -> None:
    """Every learned tensor of the backbone equals the checkpoint's."""
    got = backbone.state_dict()
    for k, v in expected.items():
        assert torch.equal(got[k], v), k


def tiny_runner(cfg: Config, work_dir: str, iters: int, monkeypatch,
                batch_size: int = 8) -> Runner:
    """A runner that trains ``iters`` iterations then validates once, on
    one process, without workers, checkpoints or schedulers.

    ``monkeypatch`` (pytest's) replaces ``Config.pretty_text``, which the
    runner calls to log and dump the config and which costs about a second
    of yapf formatting per call, by a plain repr for the test's duration.
    """
    monkeypatch.setattr(Config, 'pretty_text',
                        property(lambda self: repr(self.to_dict())))
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg.get(name)
        if dl is None:
            continue
        dl.batch_size = batch_size
        dl.num_workers = 0
        dl.persistent_workers = False
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=iters)
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=0)
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    return Runner.from_cfg(cfg)
