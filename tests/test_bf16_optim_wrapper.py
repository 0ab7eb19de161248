"""BF16OptimWrapper: bfloat16 autocast training on the CPU."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import LabelData
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample
from torch import nn

import mmocr_mms  # noqa: F401
from mmocr_mms.engine.optim import BF16OptimWrapper

CFG = 'configs/textrecog/svtr/svtr_text-vit-mini-p8_20k-iters_str-real-synth.py'


def _recognizer():
    init_default_scope('mmocr')
    cfg = Config.fromfile(CFG)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.update(arch=dict(embed_dims=32, num_layers=1,
                                        num_heads=2, mlp_ratio=2),
                              init_cfg=None)
    model_cfg.encoder.in_channels = 32
    model_cfg.decoder.in_channels = 32
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model, cfg


def _batch(model, n=4):
    g = torch.Generator().manual_seed(0)
    samples = []
    for word in ['hello', 'world', 'text', 'vit42'][:n]:
        ds = TextRecogDataSample()
        ds.gt_text = LabelData(item=word)
        ds.set_metainfo(dict(valid_ratio=1.0, img_shape=(32, 128)))
        samples.append(ds)
    imgs = [torch.randint(0, 255, (3, 32, 128), generator=g).to(torch.uint8)
            for _ in range(n)]
    return dict(inputs=imgs, data_samples=samples)


def test_backbone_in_bf16_decoder_and_loss_in_fp32():
    model, cfg = _recognizer()
    optim_cfg = dict(cfg.optim_wrapper, type='BF16OptimWrapper')
    wrapper = build_optim_wrapper(model, optim_cfg)
    assert isinstance(wrapper, BF16OptimWrapper)
    seen = {}

    def record(key, value):
        seen.setdefault(key, value)  # a hook must return None

    model.backbone.register_forward_hook(
        lambda m, a, out: record('backbone', out.dtype))
    model.decoder.register_forward_hook(
        lambda m, a, out: record('decoder', out.dtype))
    trained = [p for p in model.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in trained]
    losses = model.train_step(_batch(model), wrapper)
    assert seen['backbone'] == torch.bfloat16
    # our hook runs first (registered at the first optim_context): the
    # decoder runs outside autocast on float32 inputs
    assert seen['decoder'] == torch.float32
    assert torch.isfinite(losses['loss'])
    assert not torch.is_autocast_enabled('cpu')  # restored afterwards
    assert all(p.dtype == torch.float32 for p in model.parameters())
    moved = [not torch.equal(a, b) for a, b in zip(before, trained)]
    assert all(moved)


def test_bf16_loss_close_to_fp32_loss():
    """Same weights, same batch: the bfloat16 forward's CTC loss is a
    float32 tensor within 2% of the float32 forward's."""
    model, cfg = _recognizer()
    data = model.data_preprocessor(_batch(model), training=True)
    with torch.no_grad():
        fp32 = model(**data, mode='loss')['loss_ctc']
        wrapper = BF16OptimWrapper(
            optimizer=torch.optim.SGD(model.parameters(), lr=0.))
        with wrapper.optim_context(model):
            bf16 = model(**data, mode='loss')['loss_ctc']
    assert bf16.dtype == torch.float32
    assert abs(float(bf16) / float(fp32) - 1) < 0.02


def test_fp32_modules_survive_deepcopy_and_missing_names():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = nn.Linear(4, 4)
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            h = self.backbone(x)
            return h, self.head(h)

    net = Net()
    wrapper = BF16OptimWrapper(
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
        fp32_modules=('head', 'no_such_module'))
    for model in (net, copy.deepcopy(net)):
        with wrapper.optim_context(model):
            h, out = model(torch.randn(3, 4))
        assert h.dtype == torch.bfloat16 and out.dtype == torch.float32
    copied = copy.deepcopy(net)
    with wrapper.optim_context(copied):
        _, out = copied(torch.randn(3, 4))
    assert out.dtype == torch.float32


def test_state_dict_round_trip():
    model, cfg = _recognizer()
    wrapper = build_optim_wrapper(
        model, dict(cfg.optim_wrapper, type='BF16OptimWrapper'))
    model.train_step(_batch(model), wrapper)
    state = wrapper.state_dict()
    other = build_optim_wrapper(
        model, dict(cfg.optim_wrapper, type='BF16OptimWrapper'))
    other.load_state_dict(state)
    assert other.state_dict()['state'].keys() == state['state'].keys()


@pytest.mark.parametrize('bad', [('decoder', 3)])
def test_bad_fp32_modules_are_refused(bad):
    with pytest.raises(TypeError):
        BF16OptimWrapper(optimizer=torch.optim.SGD(
            [nn.Parameter(torch.zeros(1))], lr=0.1), fp32_modules=bad)
