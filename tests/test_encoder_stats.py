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


def test_rows_per_layer_and_batching_does_not_matter():
    m = _vit()
    rows = encoder_token_stats(m, _inputs(5), batch_size=64)
    assert [r['layer'] for r in rows] == ['block0', 'block1', 'norm']
    assert rows[-1]['attn_entropy'] is None
    # an uneven last batch (2 + 2 + 1) gives the same numbers
    for a, b in zip(rows, encoder_token_stats(m, _inputs(5), batch_size=2)):
        for k in ('norm', 'token_cos', 'centered_cos', 'within_share',
                  'within_rank', 'attn_entropy'):
            assert a[k] == pytest.approx(b[k], rel=1e-5, abs=1e-9), k
    # every layer is run, whatever out_indices says
    short = _vit(out_indices=0)
    assert [r['layer'] for r in encoder_token_stats(short, _inputs(3))] == \
        ['block0', 'block1', 'norm']


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
    assert after['centered_cos'] == pytest.approx(before['centered_cos'],
                                                  rel=1e-3, abs=1e-6)
    assert before['token_cos'] < 0.99 < after['token_cos']
    assert after['norm'] > 10 * before['norm']


def test_attention_entropy_is_that_of_the_attention_the_block_applies():
    x = _inputs(3)
    m = _vit()
    attn = m.blocks[1].attn
    seen = []
    h = attn.register_forward_hook(lambda mod, a, o: seen.append((a[0], o)))
    rows = encoder_token_stats(m, x)
    h.remove()
    inp, out = seen[0]
    n, s, c = inp.shape
    with torch.no_grad():
        qkv = attn.qkv(inp).reshape(n, s, 3, 2, c // 2).permute(
            2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        p = ((q @ k.transpose(-1, -2)) / math.sqrt(c // 2)).softmax(-1)
        # these probabilities reproduce the block's attention output ...
        mixed = (p @ v).transpose(1, 2).reshape(n, s, c)
        torch.testing.assert_close(attn.proj(mixed), out, rtol=1e-4,
                                   atol=1e-5)
        # ... and their mean row entropy / log(S) is the reported one
        ent = float(-(p * p.log()).sum(-1).mean() / math.log(s))
    assert rows[1]['attn_entropy'] == pytest.approx(ent, rel=1e-5)


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
    w = (t - t.mean(1, keepdim=True)).reshape(-1, t.shape[-1])
    sv2 = torch.linalg.svdvals(w) ** 2
    pr = sv2 / sv2.sum()
    pr = pr[pr > 0]
    assert rows[0]['within_rank'] == pytest.approx(
        float(torch.exp(-(pr * pr.log()).sum())), rel=1e-6)
    c = t - t.mean((0, 1), keepdim=True)
    uc = torch.nn.functional.normalize(c, dim=-1)
    gc = uc @ uc.transpose(1, 2)
    ccos = (gc.sum() - gc.diagonal(dim1=1, dim2=2).sum()) / (3 * s * (s - 1))
    assert rows[0]['centered_cos'] == pytest.approx(float(ccos), rel=1e-6)


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
    with pytest.raises(ValueError, match='N >= 2'):
        encoder_token_stats(m, _inputs(1))
    with pytest.raises(TypeError, match='needs a TextViT'):
        encoder_token_stats(torch.nn.Linear(3, 3), _inputs(2))
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
    with pytest.raises(SystemExit, match='labels must differ'):
        tool.main([cfg, 'init', 'init'])
    folder = tmp_path / 'one'
    folder.mkdir()
    import cv2
    import numpy as np
    cv2.imwrite(str(folder / 'a.png'), np.full((32, 100, 3), 200, np.uint8))
    with pytest.raises(SystemExit, match='holds 1 image'):
        tool.main([cfg, 'init', '--images', str(folder)])
    no_model = tmp_path / 'no_model.py'
    no_model.write_text('x = 1\n')
    with pytest.raises(SystemExit, match='has no model.backbone'):
        tool.main([str(no_model), 'init'])
    cnn = tmp_path / 'cnn.py'
    cnn.write_text('model = dict(backbone=dict(type="MiniVGG"))\n')
    with pytest.raises(SystemExit, match='this tool needs a TextViT'):
        tool.main([str(cnn), 'init'])
    wrong = tmp_path / 'wrong.pth'  # another width: nothing fits
    torch.manual_seed(0)
    torch.save(TextViT(arch=dict(embed_dims=48, num_layers=2, num_heads=2,
                                 mlp_ratio=2), img_size=(32, 128),
                       patch_size=8).state_dict(), wrong)
    with pytest.raises(SystemExit, match='does not fit the config'):
        tool.main([cfg, str(wrong), '--num', '2'])
