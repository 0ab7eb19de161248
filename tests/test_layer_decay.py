"""Layer-wise learning-rate decay for MMOCR recognizers with a TextViT."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmocr.registry import MODELS
from torch import nn

import mmocr_mms  # noqa: F401
from mmocr_mms.engine.optim import TextLayerDecayOptimWrapperConstructor
from mmocr_mms.models.backbones import TextViT

CFG = 'configs/textrecog/svtr/svtr_text-vit-mini-p8_20k-iters_str-real-synth.py'


def _recognizer(num_layers=3):
    init_default_scope('mmocr')
    cfg = Config.fromfile(CFG)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.update(arch=dict(embed_dims=32, num_layers=num_layers,
                                        num_heads=2, mlp_ratio=2),
                              init_cfg=None)
    model_cfg.encoder.in_channels = 32
    model_cfg.decoder.in_channels = 32
    torch.manual_seed(0)
    return MODELS.build(model_cfg)


def _optim(model, rate=0.5, lr=1e-3):
    return build_optim_wrapper(model, dict(
        type='OptimWrapper',
        constructor='TextLayerDecayOptimWrapperConstructor',
        optimizer=dict(type='AdamW', lr=lr, weight_decay=0.05),
        paramwise_cfg=dict(layer_decay_rate=rate, norm_decay_mult=0.0,
                           bias_decay_mult=0.0,
                           custom_keys={'pos_embed': dict(decay_mult=0.0)})))


def test_text_vit_layer_depth():
    vit = TextViT(arch=dict(embed_dims=32, num_layers=4, num_heads=2),
                  with_cls_token=True)
    depth = vit.get_layer_depth
    assert depth('backbone.patch_embed.proj.weight', 'backbone.') == (0, 6)
    assert depth('backbone.cls_token', 'backbone.') == (0, 6)
    assert depth('backbone.blocks.0.attn.qkv.weight', 'backbone.') == (1, 6)
    assert depth('backbone.blocks.3.mlp.fc2.bias', 'backbone.') == (4, 6)
    assert depth('backbone.norm.weight', 'backbone.') == (5, 6)
    assert depth('blocks.2.norm1.weight') == (3, 6)
    assert depth('decoder.classifier.weight', 'backbone.') == (5, 6)


def test_recognizer_learning_rates_decay_by_layer():
    model = _recognizer(num_layers=3)
    optim = _optim(model, rate=0.5, lr=1e-3).optimizer
    lr = {g['param_name']: g['lr'] for g in optim.param_groups}
    wd = {g['param_name']: g['weight_decay'] for g in optim.param_groups}
    # every trainable parameter is in exactly one group
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert sorted(lr) == sorted(names)
    # max depth 5: embedding 0.5**4, block i 0.5**(3 - i), norm and head 1
    assert lr['backbone.patch_embed.proj.weight'] == pytest.approx(1e-3 / 16)
    assert lr['backbone.blocks.0.attn.qkv.weight'] == pytest.approx(1e-3 / 8)
    assert lr['backbone.blocks.2.mlp.fc1.weight'] == pytest.approx(1e-3 / 2)
    assert lr['backbone.norm.weight'] == pytest.approx(1e-3)
    head = [n for n in names if not n.startswith('backbone.')]
    assert head and all(lr[n] == pytest.approx(1e-3) for n in head)
    # decay multipliers as the default constructor's
    assert wd['backbone.blocks.0.attn.qkv.weight'] == pytest.approx(0.05)
    assert wd['backbone.blocks.0.attn.qkv.bias'] == 0.0
    assert wd['backbone.blocks.0.norm1.weight'] == 0.0


def test_schedulers_keep_the_layer_ratios():
    from mmengine.optim.scheduler import LinearParamScheduler
    optim = _optim(_recognizer(num_layers=2), rate=0.5)
    sched = LinearParamScheduler(optim.optimizer, 'lr', start_factor=0.1,
                                 end=10, by_epoch=False)
    for _ in range(3):
        optim.optimizer.step()
        sched.step()
    scale = {g['param_name']: g['lr'] / g['initial_lr']
             for g in optim.optimizer.param_groups}
    first = next(iter(scale.values()))
    assert first < 1 and all(v == pytest.approx(first)
                             for v in scale.values())


def test_rate_one_is_the_plain_optimizer():
    optim = _optim(_recognizer(num_layers=2), rate=1.0).optimizer
    assert {g['lr'] for g in optim.param_groups} == {1e-3}


def test_model_without_a_depth_is_refused():
    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = nn.Linear(2, 2)
    with pytest.raises(TypeError, match='backbone Linear'):
        _optim(Plain())
    assert callable(TextLayerDecayOptimWrapperConstructor.backbone_depth(
        _recognizer(num_layers=1)))
