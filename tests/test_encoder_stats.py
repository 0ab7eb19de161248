"""Token statistics of TextViT encoders (mmocr_mms.evaluation.encoder_stats)
and tools/analysis_tools/encoder_stats.py."""
import importlib.util
import json
import math
import os.path as osp

import pytest
import torch

from mmocr_mms.evaluation.encoder_stats import (_effective_rank,
                                                encoder_token_stats,
                                                format_token_stats)
from mmocr_mms.models.backbones import TextViT

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, mlp_ratio=2)


def _vit(seed=0, **kw):
    torch.manual_seed(seed)
    m = TextViT(arch=ARCH, img_size=(32, 128), patch_size=8, **kw)
    m.init_weights()
    return m


def _inputs(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 128, generator=g)


def test_rows_per_layer_and_ranges():
    rows = encoder_token_stats(_vit(), _inputs())
    assert [r['layer'] for r in rows] == ['block0', 'block1', 'norm']
    for r in rows:
        assert 0 < r['norm']
        assert -1 <= r['token_cos'] <= 1
        assert 0 <= r['within_share'] <= 1
        assert 1 <= r['within_rank'] <= 32
    assert 0 < rows[0]['attn_entropy'] <= 1
    assert rows[-1]['attn_entropy'] is None


def test_same_image_everywhere_puts_all_variance_within_images():
    x = _inputs(1).repeat(4, 1, 1, 1)
    for r in encoder_token_stats(_vit(), x):
        assert r['within_share'] == pytest.approx(1.0, abs=1e-9)


def test_a_vector_shared_by_all_tokens_moves_token_cos_not_within_share():
    x = _inputs()
    m = _vit()
    before = encoder_token_stats(m, x)[1]
    with torch.no_grad():
        m.blocks[1].mlp.fc2.bias += 1000.0 * torch.linspace(-1, 1, 32)
    after = encoder_token_stats(m, x)[1]
    assert after['within_share'] == pytest.approx(before['within_share'],
                                                  rel=1e-4)
    assert after['within_rank'] == pytest.approx(before['within_rank'],
                                                 rel=1e-3)
    assert before['token_cos'] < 0.99 < after['token_cos']
    assert after['norm'] > 10 * before['norm']


def test_attention_entropy_uniform_and_peaked():
    x = _inputs()
    m = _vit()
    default = encoder_token_stats(m, x)[0]['attn_entropy']
    with torch.no_grad():
        m.blocks[0].attn.qkv.weight.zero_()
        m.blocks[0].attn.qkv.bias.zero_()
    assert encoder_token_stats(m, x)[0]['attn_entropy'] == pytest.approx(
        1.0, abs=1e-9)
    m = _vit()
    with torch.no_grad():  # sharper logits: 30x the query projection
        m.blocks[0].attn.qkv.weight[:32] *= 30
    assert encoder_token_stats(m, x)[0]['attn_entropy'] < default - 0.1


def test_matches_a_direct_computation_and_skips_the_cls_token():
    x = _inputs(3)
    m = _vit(with_cls_token=True)
    outs = []
    h = m.blocks[0].register_forward_hook(lambda mod, a, o: outs.append(o))
    rows = encoder_token_stats(m, x)
    h.remove()
    t = outs[0][:, 1:].double()  # the patch tokens (cls token dropped)
    assert t.shape[1] == 4 * 16
    u = torch.nn.functional.normalize(t, dim=-1)
    g = u @ u.transpose(1, 2)
    s = t.shape[1]
    cos = ((g.sum() - g.diagonal(dim1=1, dim2=2).sum()) / (3 * s * (s - 1)))
    within = (t - t.mean(1, keepdim=True)).pow(2).sum()
    total = (t - t.mean((0, 1), keepdim=True)).pow(2).sum()
    assert rows[0]['token_cos'] == pytest.approx(float(cos), rel=1e-9)
    assert rows[0]['within_share'] == pytest.approx(float(within / total),
                                                    rel=1e-9)
    assert rows[0]['norm'] == pytest.approx(float(t.norm(dim=-1).mean()),
                                            rel=1e-6)


def test_effective_rank_and_mode_restored():
    assert _effective_rank(torch.diag(torch.tensor([2.0, 2.0, 0.0]))) == \
        pytest.approx(2.0)
    assert _effective_rank(torch.zeros(3, 3)) == 0.0
    m = _vit()
    m.train()
    encoder_token_stats(m, _inputs(2))
    assert m.training
    with pytest.raises(ValueError, match='inputs must be'):
        encoder_token_stats(m, torch.zeros(3, 32, 128))
    text = format_token_stats({'enc': encoder_token_stats(m, _inputs(2))})
    assert text.splitlines()[0] == 'enc'
    assert 'block1' in text and text.splitlines()[-1].split()[-1] == '-'


def _tool():
    spec = importlib.util.spec_from_file_location(
        'encoder_stats_tool', osp.join(ROOT, 'tools', 'analysis_tools',
                                       'encoder_stats.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _config(tmp_path):
    cfg = tmp_path / 'tiny.py'
    cfg.write_text(
        'model = dict(backbone=dict(type="TextViT", arch=dict('
        'embed_dims=32, num_layers=2, num_heads=2, mlp_ratio=2), '
        'img_size=(32, 128), patch_size=8, init_cfg=dict(type="Pretrained",'
        ' checkpoint="absent.pth")))\n')
    return str(cfg)


def test_tool_init_equals_its_saved_weights_and_writes_outputs(
        tmp_path, capsys):
    tool = _tool()
    cfg = _config(tmp_path)
    # the tool's 'init' for seed 3, saved as a runner checkpoint
    same = tmp_path / 'same.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in
                               _vit(3).state_dict().items()}}, same)
    other = tmp_path / 'other.pth'
    torch.save(_vit(4).state_dict(), other)
    out, js = tmp_path / 'stats.png', tmp_path / 'stats.json'
    tool.main([cfg, 'init', str(same), str(other), '--labels', 'a', 'b', 'c',
               '--num', '4', '--seed', '3', '--json', str(js),
               '--out', str(out)])
    text = capsys.readouterr().out
    assert '4 images (rendered words, seed 3)' in text
    data = json.load(open(js))
    assert data['num'] == 4 and list(data['stats']) == ['a', 'b', 'c']
    assert data['stats']['a'] == data['stats']['b']
    assert data['stats']['a'] != data['stats']['c']
    assert all(len(rows) == 3 for rows in data['stats'].values())
    assert all(math.isfinite(r['token_cos'])
               for rows in data['stats'].values() for r in rows)
    assert open(out, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'


def test_tool_refuses_bad_input(tmp_path):
    tool = _tool()
    cfg = _config(tmp_path)
    with pytest.raises(SystemExit, match='1 labels for 2 checkpoints'):
        tool.main([cfg, 'init', 'init', '--labels', 'x'])
    with pytest.raises(SystemExit, match='checkpoint not found'):
        tool.main([cfg, str(tmp_path / 'missing.pth'), '--num', '2'])
    with pytest.raises(SystemExit, match='--num must be at least 2'):
        tool.main([cfg, 'init', '--num', '1'])
    wrong = tmp_path / 'wrong.pth'  # another width: nothing fits
    torch.manual_seed(0)
    torch.save(TextViT(arch=dict(embed_dims=48, num_layers=2, num_heads=2,
                                 mlp_ratio=2), img_size=(32, 128),
                       patch_size=8).state_dict(), wrong)
    with pytest.raises((RuntimeError, ValueError)):
        tool.main([cfg, str(wrong), '--num', '2'])
