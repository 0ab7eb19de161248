"""TextViT encoder, its layers and the rectangular sin-cos position table."""
import logging
import math

import pytest
import torch
from mmocr.registry import MODELS

from mmocr_mms.models.backbones import (TextViT, extract_backbone_state_dict,
                                        load_backbone_weights)
from mmocr_mms.models.layers import DropPath, TransformerBlock
from mmocr_mms.models.utils import (infer_grid, resize_pos_embed,
                                    sincos_pos_embed_2d)

TINY = dict(embed_dims=32, num_layers=2, num_heads=2, mlp_ratio=2)
TINY4 = dict(embed_dims=32, num_layers=4, num_heads=2, mlp_ratio=2)


def _vit(**kwargs) -> TextViT:
    kwargs.setdefault('arch', TINY)
    kwargs.setdefault('output_tuple', True)
    model = TextViT(**kwargs)
    model._default_init()  # quiet init (no mmengine init-info dump)
    return model.eval()


# --------------------------------------------------------------------- #
# position embedding
# --------------------------------------------------------------------- #
@pytest.mark.parametrize('grid,dim', [((8, 32), 64), ((14, 14), 768),
                                      ((4, 16), 32), ((8, 40), 384)])
def test_sincos_matches_mmpretrain_reference(grid, dim):
    """Reference: mmpretrain's ``build_2d_sincos_position_embedding`` (the
    table of its MAE). It orders the tokens column-major (token ``c * gh +
    r``, a transpose of MAE's row-major order on square grids), with the
    same channels: sin / cos of the column, then sin / cos of the row, and
    the same frequencies 1 / 10000 ** (i / (C / 4)). Transposed to
    row-major it must equal our table, which follows MAE's order."""
    from mmpretrain.models.utils import build_2d_sincos_position_embedding
    gh, gw = grid
    ref = build_2d_sincos_position_embedding(grid, dim, cls_token=True)[0]
    ref_grid = ref[1:].reshape(gw, gh, dim).transpose(0, 1).reshape(-1, dim)
    pe = sincos_pos_embed_2d(dim, grid)
    assert pe.shape == (gh * gw, dim) and pe.dtype == torch.float32
    # float32 reference: sin/cos of angles up to ~40 differ by ~1e-6
    torch.testing.assert_close(pe, ref_grid, atol=2e-5, rtol=0)
    with_cls = sincos_pos_embed_2d(dim, grid, cls_token=True)
    assert torch.all(with_cls[0] == 0) and torch.equal(with_cls[0], ref[0])
    assert torch.equal(with_cls[1:], pe)
    # known values: channel 0 is sin(column), channel C/4 cos(column),
    # channel C/2 sin(row) (frequency 1 in all three)
    q = dim // 4
    r, c = gh - 1, gw - 1
    assert pe[r * gw + c, 0].item() == pytest.approx(math.sin(c), abs=1e-6)
    assert pe[r * gw + c, q].item() == pytest.approx(math.cos(c), abs=1e-6)
    assert pe[r * gw + c, 2 * q].item() == pytest.approx(math.sin(r),
                                                         abs=1e-6)


def test_sincos_rectangular_differs_from_square():
    rect = sincos_pos_embed_2d(64, (8, 32))
    square = sincos_pos_embed_2d(64, (16, 16))
    assert rect.shape == square.shape
    assert not torch.allclose(rect, square)
    # Token 16 is (row 0, col 16) on 8x32 but (row 1, col 0) on 16x16.
    assert not torch.allclose(rect[16], square[16])
    # (0, 16) and (1, 0) get different codes; (1, 0) agrees across grids.
    assert not torch.allclose(rect[0 * 32 + 16], rect[1 * 32 + 0])
    assert torch.allclose(rect[1 * 32 + 0], square[1 * 16 + 0])
    # Every token of the 8x32 grid gets its own code.
    assert torch.cdist(rect, rect).add(torch.eye(256)).min() > 1e-3


@pytest.mark.parametrize('dim', [30, 34, 6])
def test_sincos_requires_dim_divisible_by_4(dim):
    with pytest.raises(ValueError):
        sincos_pos_embed_2d(dim, (8, 32))


def test_resize_pos_embed_identity_and_shapes():
    pe = torch.randn(1, 1 + 8 * 32, 16)
    assert torch.equal(resize_pos_embed(pe, (8, 32), (8, 32), 1), pe)
    out = resize_pos_embed(pe, (8, 32), (8, 40), num_extra_tokens=1)
    assert out.shape == (1, 1 + 8 * 40, 16)
    assert torch.equal(out[:, :1], pe[:, :1])
    # A constant field stays constant under bicubic interpolation.
    const = torch.ones(1, 8 * 24, 4)
    assert torch.allclose(
        resize_pos_embed(const, (8, 24), (8, 32)), torch.ones(1, 256, 4),
        atol=1e-5)
    with pytest.raises(ValueError):
        resize_pos_embed(pe, (8, 30), (8, 32), 1)


def test_infer_grid():
    assert infer_grid(256, (8, 32)) == (8, 32)
    assert infer_grid(64, (8, 32)) == (4, 16)  # aspect ratio first
    assert infer_grid(192, (8, 32)) == (8, 24)  # then same height
    assert infer_grid(169, (8, 32)) == (13, 13)  # then square
    assert infer_grid(196, (14, 14)) == (14, 14)
    with pytest.raises(ValueError):
        infer_grid(101, (8, 32))


# --------------------------------------------------------------------- #
# shapes and architecture
# --------------------------------------------------------------------- #
@pytest.mark.parametrize('cls_token', [False, True])
def test_output_shapes(cls_token):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 128)
    fm = _vit(with_cls_token=cls_token, arch=TINY4, out_indices=(0, 2, -1))
    outs = fm(x)
    assert isinstance(outs, tuple) and len(outs) == 3
    assert all(o.shape == (2, 32, 8, 32) for o in outs)
    assert fm.grid == (8, 32) and fm.embed_dims == 32
    assert fm.pos_embed.shape == (1, 256 + cls_token, 32)
    assert fm.pos_grid.tolist() == [8, 32] and fm.pos_grid.dtype == torch.long

    seq = _vit(with_cls_token=cls_token, out_type='sequence', out_indices=1)
    (out, ) = seq(x)
    assert out.shape == (2, 256, 32)
    if cls_token:
        (c, ) = _vit(with_cls_token=True, out_type='cls')(x)
        assert c.shape == (2, 32)
    else:
        with pytest.raises(ValueError):
            TextViT(arch=TINY, out_type='cls')


def test_final_norm_only_on_last_layer_and_order():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 128)
    model = _vit(arch=TINY4, out_type='sequence', out_indices=(3, 1))
    last, mid = model(x)
    # Recompute by hand: blocks without norm for layer 1, with for layer 3.
    tokens = model.patchify_embed(x)
    h = tokens
    for i, blk in enumerate(model.blocks):
        h = blk(h)
        if i == 1:
            assert torch.allclose(mid, h, atol=1e-6)
    assert torch.allclose(last, model.norm(h), atol=1e-6)
    # forward_tokens (used by pretraining) equals forward (fine-tuning).
    assert torch.allclose(last, model.forward_tokens(tokens), atol=1e-6)


def test_forward_tokens_cls_position_zero():
    torch.manual_seed(0)
    model = _vit(with_cls_token=True, out_type='cls')
    x = torch.randn(2, 3, 32, 128)
    out = model.forward_tokens(model.patchify_embed(x))
    assert out.shape == (2, 257, 32)
    assert torch.allclose(out[:, 0], model(x)[0], atol=1e-6)


def test_presets_param_counts():
    counts = {
        name: sum(p.numel() for p in TextViT(arch=name).parameters())
        for name in ('tiny', 'small', 'base')
    }
    assert 20e6 < counts['small'] < 23e6
    assert 5e6 < counts['tiny'] < 6.5e6
    assert 84e6 < counts['base'] < 88e6
    small = TextViT(arch='small')
    assert (small.embed_dims, small.num_layers, small.num_heads) == (384, 12,
                                                                      6)
    with pytest.raises(ValueError):
        TextViT(arch='huge-ish')


def test_default_init_follows_mae():
    """MAE's initialize_weights: Linear (qkv included) and the flattened
    patch projection xavier-uniform, i.e. U(-b, b) with b = sqrt(6 / (fan_in
    + fan_out)); biases 0, LayerNorm 1/0, cls token N(0, 0.02)."""
    torch.manual_seed(0)
    model = _vit(arch=dict(embed_dims=64, num_layers=2, num_heads=2),
                 with_cls_token=True)
    weights = [(n, m.weight, m.bias) for n, m in model.named_modules()
               if isinstance(m, torch.nn.Linear)]
    assert {n.rpartition('.')[2] for n, _, _ in weights} == {
        'qkv', 'proj', 'fc1', 'fc2'}
    proj = model.patch_embed.proj
    weights.append(('patch_embed.proj', proj.weight.flatten(1), proj.bias))
    for name, w, b in weights:
        bound = math.sqrt(6 / (w.shape[0] + w.shape[1]))
        # uniform on [-b, b]: max |w| reaches b within a few %, std b/sqrt(3)
        assert w.abs().max() <= bound, name
        assert w.abs().max() > 0.97 * bound, name
        assert w.std().item() == pytest.approx(bound / math.sqrt(3),
                                               rel=0.05), name
        assert torch.all(b == 0), name
    for m in model.modules():
        if isinstance(m, torch.nn.LayerNorm):
            assert torch.all(m.weight == 1) and torch.all(m.bias == 0)
    assert model.cls_token.std().item() == pytest.approx(0.02, rel=0.3)
    assert torch.equal(model.pos_embed[0],
                       sincos_pos_embed_2d(64, (8, 32), cls_token=True))


def test_registry_build():
    model = MODELS.build(dict(type='TextViT', arch=TINY))
    assert isinstance(model, TextViT)


# --------------------------------------------------------------------- #
# key padding mask
# --------------------------------------------------------------------- #
@pytest.mark.parametrize('cls_token', [False, True])
def test_key_padding_mask_matches_unpadded(cls_token):
    torch.manual_seed(0)
    model = _vit(with_cls_token=cls_token)
    c, extra = 32, int(cls_token)
    valid = torch.randn(1, 5, c, requires_grad=True)
    other = torch.randn(1, 9, c, requires_grad=True)
    pad = torch.randn(1, 4, c) * 10  # garbage that must not leak
    batch = torch.cat([torch.cat([valid, pad], 1), other], 0)
    mask = torch.zeros(2, 9, dtype=torch.bool)
    mask[0, 5:] = True

    out_pad = model.forward_tokens(batch, mask)
    out_ref = model.forward_tokens(valid)
    assert torch.isfinite(out_pad).all()  # padded query rows stay finite
    assert torch.allclose(
        out_pad[0, :5 + extra], out_ref[0], atol=1e-5)
    # The unpadded sample is unaffected by the mask of the other sample.
    assert torch.allclose(
        out_pad[1], model.forward_tokens(other)[0], atol=1e-5)

    # Gradients w.r.t. the valid inputs agree, padded inputs get none.
    g = torch.randn_like(out_ref)
    (grad_pad, ) = torch.autograd.grad((out_pad[:1, :5 + extra] * g).sum(),
                                       valid)
    (grad_ref, ) = torch.autograd.grad((out_ref * g).sum(), valid)
    assert torch.allclose(grad_pad, grad_ref, atol=1e-5)


def test_block_mask_blocks_padded_keys():
    torch.manual_seed(0)
    blk = TransformerBlock(16, 2).eval()
    x = torch.randn(1, 6, 16)
    mask = torch.tensor([[False, False, False, True, True, True]])
    y1 = blk(x, mask)
    x2 = x.clone()
    x2[:, 3:] = 100.  # change only padded tokens
    y2 = blk(x2, mask)
    assert torch.allclose(y1[:, :3], y2[:, :3], atol=1e-5)


# --------------------------------------------------------------------- #
# drop path, resizing, freezing
# --------------------------------------------------------------------- #
def test_drop_path_identity_in_eval_stochastic_in_train():
    torch.manual_seed(0)
    dp = DropPath(0.5)
    x = torch.ones(64, 3, 4)
    assert torch.equal(dp.eval()(x), x)
    dp.train()
    y = dp(x)
    per_sample = y.flatten(1)
    # Each sample is either dropped (0) or scaled by 1 / keep_prob (2).
    assert set(per_sample.unique().tolist()) <= {0.0, 2.0}
    assert (per_sample[:, 0] == 0).any() and (per_sample[:, 0] == 2).any()
    assert torch.all(per_sample == per_sample[:, :1])
    assert not torch.equal(dp(x), y)  # fresh draw each call

    model = _vit(drop_path_rate=0.5)
    assert model.blocks[-1].drop_path.drop_prob == pytest.approx(0.5)
    x = torch.randn(2, 3, 32, 128)
    assert torch.equal(model(x)[0], model(x)[0])
    model.train()
    torch.manual_seed(1)
    a = model(x)[0]
    torch.manual_seed(2)
    b = model(x)[0]
    assert not torch.allclose(a, b)


@pytest.mark.parametrize('learnable', [False, True])
def test_other_input_size(learnable):
    torch.manual_seed(0)
    model = _vit(learnable_pos_embed=learnable, with_cls_token=True)
    x = torch.randn(2, 3, 32, 160)
    (out, ) = model(x)
    assert out.shape == (2, 32, 8, 40)
    expected_pe = resize_pos_embed(model.pos_embed[:, 1:].detach(), (8, 32),
                                   (8, 40))
    tokens = model.patchify_embed(x)
    raw = model.patch_embed(x)[0]
    assert torch.allclose(tokens - raw, expected_pe.expand(2, -1, -1),
                          atol=1e-6)
    # Cached table is invalidated when the parameter changes in place.
    model(x)
    with torch.no_grad():
        model.pos_embed.add_(1.)
    assert torch.allclose(model.patchify_embed(x) - raw, expected_pe + 1.,
                          atol=1e-5)
    with pytest.raises(ValueError):
        model(torch.randn(1, 3, 32, 130))


def test_learnable_pos_embed_gets_grad_on_other_size():
    model = _vit(learnable_pos_embed=True).train()
    model(torch.randn(2, 3, 32, 96))[0].sum().backward()
    assert model.pos_embed.grad is not None
    fixed = _vit()
    assert not fixed.pos_embed.requires_grad


def test_frozen_stages():
    model = TextViT(arch=TINY4, frozen_stages=2, with_cls_token=True,
                    learnable_pos_embed=True, drop_path_rate=0.3)
    model.train()
    frozen = ['patch_embed', 'pos_embed', 'cls_token', 'blocks.0.',
              'blocks.1.']
    for name, p in model.named_parameters():
        is_frozen = any(name.startswith(f) for f in frozen)
        assert p.requires_grad != is_frozen, name
    assert not model.blocks[0].training and not model.blocks[1].training
    assert model.blocks[2].training and model.norm.weight.requires_grad
    full = TextViT(arch=TINY, frozen_stages=2)
    assert not any(p.requires_grad for p in full.parameters())
    with pytest.raises(ValueError):
        TextViT(arch=TINY, frozen_stages=3)


# --------------------------------------------------------------------- #
# loading
# --------------------------------------------------------------------- #
def test_init_cfg_pretrained_prefix(tmp_path):
    torch.manual_seed(0)
    src = _vit(learnable_pos_embed=True, with_cls_token=True)
    with torch.no_grad():
        src.pos_embed.add_(torch.randn_like(src.pos_embed))
    path = tmp_path / 'runner.pth'
    torch.save({'state_dict': {'backbone.' + k: v
                               for k, v in src.state_dict().items()},
                'meta': {'epoch': 3}}, path)
    torch.manual_seed(1)
    dst = MODELS.build(
        dict(type='TextViT', arch=TINY, learnable_pos_embed=True,
             with_cls_token=True,
             init_cfg=dict(type='Pretrained', checkpoint=str(path),
                           prefix='backbone.')))
    dst.init_weights()
    src_sd = src.state_dict()
    for k, v in dst.state_dict().items():
        assert torch.equal(v, src_sd[k]), k


def _timm_mae_checkpoint(src: TextViT) -> dict:
    """timm/MAE layout: {'model': encoder keys + decoder keys}, no pos_grid."""
    enc = {k: v for k, v in src.state_dict().items() if k != 'pos_grid'}
    enc['mask_token'] = torch.zeros(1, 1, 16)
    enc['decoder_embed.weight'] = torch.zeros(16, 32)
    enc['decoder_pos_embed'] = torch.zeros(1, 193, 16)
    enc['decoder_blocks.0.norm1.weight'] = torch.zeros(16)
    return {'model': enc}


def test_load_timm_mae_resizes_learnable_pos_embed():
    torch.manual_seed(0)
    src = _vit(img_size=(32, 96), learnable_pos_embed=True,
               with_cls_token=True)
    with torch.no_grad():
        src.pos_embed.add_(torch.randn_like(src.pos_embed))
    ckpt = _timm_mae_checkpoint(src)
    n_enc = sum(1 for k in ckpt['model']
                if not k.startswith(('decoder', 'mask_token')))

    # Model without cls token: the cls row and cls_token are dropped.
    dst = _vit(learnable_pos_embed=True)
    res = load_backbone_weights(dst, ckpt)
    assert res['unexpected'] == ['cls_token'] and res['missing'] == []
    assert res['matched'] == n_enc - 1
    want = resize_pos_embed(src.pos_embed[:, 1:].detach(), (8, 24), (8, 32))
    assert torch.allclose(dst.pos_embed, want)
    assert dst.pos_grid.tolist() == [8, 32]
    assert torch.equal(dst.blocks[1].mlp.fc2.weight,
                       src.blocks[1].mlp.fc2.weight)

    # Model with cls token keeps the checkpoint's cls row.
    dst_cls = _vit(learnable_pos_embed=True, with_cls_token=True)
    res = load_backbone_weights(dst_cls, ckpt)
    assert res['matched'] == n_enc and not res['unexpected']
    assert torch.equal(dst_cls.pos_embed[:, :1], src.pos_embed[:, :1])
    assert torch.allclose(dst_cls.pos_embed[:, 1:], want)


def test_load_uses_pos_grid_and_fixed_table_is_kept():
    torch.manual_seed(0)
    # 4x32 = 128 tokens; without pos_grid it would be guessed as 8x16.
    src = _vit(img_size=(16, 128), learnable_pos_embed=True)
    with torch.no_grad():
        src.pos_embed.add_(torch.randn_like(src.pos_embed))
    dst = _vit(learnable_pos_embed=True, with_cls_token=True)
    sd = {'backbone.' + k: v for k, v in src.state_dict().items()}
    res = load_backbone_weights(dst, {'state_dict': sd})
    assert res['missing'] == ['cls_token']
    want = resize_pos_embed(src.pos_embed.detach(), (4, 32), (8, 32))
    assert torch.allclose(dst.pos_embed[:, 1:], want)
    assert torch.all(dst.pos_embed[:, 0] == 0)  # zero-initialised cls row

    # A fixed sin-cos model ignores the checkpoint's table (no key noise).
    fixed = _vit()
    table = fixed.pos_embed.detach().clone()
    res = load_backbone_weights(fixed, sd, prefix='backbone')
    assert res['missing'] == [] and res['unexpected'] == []
    assert torch.equal(fixed.pos_embed, table)
    assert res['matched'] == len(sd) - 2  # pos_embed, pos_grid not counted
    # torch's own load_state_dict path behaves the same.
    fixed.load_state_dict(src.state_dict())
    assert torch.equal(fixed.pos_embed, table)


def _log_records(fn, level='INFO'):
    """Records (level name, message) that ``fn()`` logs through mmengine's
    current logger."""
    import unittest

    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    with unittest.TestCase().assertLogs(logger, level=level) as cm:
        fn()
        logger.log(logging.getLevelName(level), 'end of capture')
    return [(r.levelname, r.getMessage()) for r in cm.records[:-1]]


def test_dropped_learned_pos_embed_is_a_warning():
    torch.manual_seed(0)
    learned = _vit(learnable_pos_embed=True)
    with torch.no_grad():
        learned.pos_embed.add_(torch.randn_like(learned.pos_embed))
    fixed = _vit()
    table = fixed.pos_embed.detach().clone()
    logs = _log_records(lambda: fixed.load_state_dict(learned.state_dict()))
    pe_logs = [(lv, m) for lv, m in logs if m.startswith('pos_embed')]
    assert len(pe_logs) == 1 and pe_logs[0][0] == 'WARNING', logs
    assert 'DROPPED' in pe_logs[0][1]
    assert torch.equal(fixed.pos_embed, table)

    # another grid's sin-cos table (fp16 copy, as in a half checkpoint):
    # nothing learned is lost, so INFO only
    other = _vit(img_size=(16, 64)).state_dict()
    other['pos_embed'] = other['pos_embed'].half()
    del other['pos_grid']  # grid guessed from the token count (4 x 16)
    logs = _log_records(lambda: fixed.load_state_dict(other))
    pe_logs = [(lv, m) for lv, m in logs if m.startswith('pos_embed')]
    assert pe_logs and {lv for lv, _ in pe_logs} == {'INFO'}, logs
    assert 'sin-cos table of grid (4, 16)' in pe_logs[0][1]
    assert torch.equal(fixed.pos_embed, table)

    # a learnable model without cls drops a timm checkpoint's learned cls
    # row: a warning too
    src = _vit(learnable_pos_embed=True, with_cls_token=True,
               img_size=(32, 96))
    dst = _vit(learnable_pos_embed=True)
    logs = _log_records(lambda: load_backbone_weights(
        dst, _timm_mae_checkpoint(src)), level='WARNING')
    assert any('cls row is dropped' in m for lv, m in logs), logs


def test_load_zero_match_raises_and_extract_keys(tmp_path):
    model = _vit()
    with pytest.raises(ValueError):
        load_backbone_weights(model, {'state_dict': {
            'foo.weight': torch.zeros(3), 'backbone.bar': torch.zeros(1)}})
    sd = {'backbone.' + k: v for k, v in model.state_dict().items()}
    with pytest.raises(ValueError):  # wrong explicit prefix
        load_backbone_weights(model, {'state_dict': sd}, prefix='encoder.')
    with pytest.raises(ValueError):  # only position entries match
        load_backbone_weights(model, {'pos_embed': model.pos_embed.detach()})

    enc = extract_backbone_state_dict({'state_dict': {
        'encoder.blocks.0.norm1.weight': torch.ones(2),
        'module_free.x': torch.ones(1)}})
    assert list(enc) == ['blocks.0.norm1.weight']
    ddp = extract_backbone_state_dict(
        {'model': {'module.norm.weight': torch.ones(2)}})
    assert list(ddp) == ['norm.weight']

    # Path input goes through mmengine's CheckpointLoader.
    path = tmp_path / 'backbone.pth'
    torch.save({'state_dict': sd}, path)
    res = load_backbone_weights(_vit(), str(path), strict=True)
    assert res['matched'] == len(sd) - 2


def test_single_index_returns_a_tensor_by_default():
    x = torch.randn(2, 3, 32, 128)
    model = TextViT(arch=TINY)
    out = model(x)
    assert torch.is_tensor(out) and out.shape == (2, 32, 8, 32)
    multi = TextViT(arch=TINY, out_indices=(0, 1))
    assert isinstance(multi(x), tuple)
    with pytest.raises(ValueError, match='output_tuple'):
        TextViT(arch=TINY, out_indices=(0, 1), output_tuple=False)


def test_init_cfg_with_wrong_prefix_fails_loudly(tmp_path):
    src = _vit()
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': {'backbone.' + k: v
                               for k, v in src.state_dict().items()}}, path)
    ok = TextViT(arch=TINY, init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path),
                                         prefix='backbone.'))
    ok.init_weights()
    assert torch.equal(ok.blocks[0].attn.qkv.weight,
                       src.blocks[0].attn.qkv.weight)
    wrong = TextViT(arch=TINY, init_cfg=dict(type='Pretrained',
                                            checkpoint=str(path),
                                            prefix='encoder.'))
    with pytest.raises(ValueError, match='no layer weight'):
        wrong.init_weights()


# --------------------------------------------------------------------- #
# hMLP stem
# --------------------------------------------------------------------- #
def test_hmlp_stem_is_patch_local():
    """Changing the pixels of one 8x8 patch changes that patch's token
    only: a masked patch can never leak into a visible token (MAE / MMS
    drop masked tokens after the embedding). The linear stem is local by
    construction; an overlapping 3x3 conv stem would fail this test."""
    torch.manual_seed(0)
    model = _vit(patch_size=8, stem='hmlp')
    x = torch.randn(2, 3, 32, 128)
    y = x.clone()
    y[:, :, 8:16, 40:48] = torch.randn(2, 3, 8, 8)  # patch (row 1, col 5)
    with torch.no_grad():
        a = model.patchify_embed(x)
        b = model.patchify_embed(y)
    changed = (a - b).abs().amax(dim=(0, 2)) > 0
    assert changed.nonzero().flatten().tolist() == [1 * 16 + 5]
    out = model(x)[0]
    assert out.shape == (2, 32, 4, 16)
    # log2(8) = 3 stages of 2x2 convolutions, the last one is `proj`
    convs = [m for m in model.patch_embed.modules()
             if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3 and convs[-1] is model.patch_embed.proj
    assert model.patch_embed.in_channels == 3


@pytest.mark.parametrize('patch_size', [2, 6, 12])
def test_hmlp_stem_needs_a_power_of_two(patch_size):
    with pytest.raises(ValueError, match='power of two'):
        TextViT(arch=TINY, img_size=(48, 96), patch_size=patch_size,
                stem='hmlp')


def test_unknown_stem_is_refused():
    with pytest.raises(ValueError, match='stem must be one of'):
        TextViT(arch=TINY, stem='conv3x3')
