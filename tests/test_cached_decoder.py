"""CachedNRTRDecoder (incremental K/V greedy decoding) against MMOCR's
NRTRDecoder: same weights, same inputs -> same probabilities and texts."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
NRTR_BASE = glob.glob(osp.join(ROOT, 'configs', 'textrecog', '**',
                               'nrtr_text-vit.py'), recursive=True)[0]


def _decoders(seed, stop, n_layers=2, max_seq_len=12):
    """The stock and the cached decoder with identical random weights."""
    cfg = Config.fromfile(NRTR_BASE).model.decoder
    cfg.update(n_layers=n_layers, d_model=32, d_embedding=32, n_head=2,
               d_k=16, d_v=16, d_inner=64, max_seq_len=max_seq_len)
    torch.manual_seed(seed)
    stock = MODELS.build(copy.deepcopy(cfg)).eval()
    cached = MODELS.build(dict(cfg, type='CachedNRTRDecoder',
                               stop_when_all_ended=stop)).eval()
    # NRTRDecoder initialises nothing beyond torch defaults: randomise the
    # norms too so every parameter matters
    with torch.no_grad():
        for p in stock.parameters():
            p.add_(0.1 * torch.randn_like(p))
    cached.load_state_dict(stock.state_dict(), strict=True)
    return stock, cached


def _samples(ratios):
    out = []
    for r in ratios:
        s = TextRecogDataSample()
        s.set_metainfo(dict(valid_ratio=r, img_shape=(32, 128)))
        out.append(s)
    return out


def _decode(decoder, probs, n):
    res = decoder.postprocessor(probs, _samples([1.0] * n))
    return [(s.pred_text.item, list(s.pred_text.score)) for s in res]


@pytest.mark.parametrize('post_norm', [False, True])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_cached_equals_stock_full_length(seed, post_norm):
    stock, cached = _decoders(seed, stop=False)
    if post_norm:  # TFDecoderLayer's other operation order
        order = ('self_attn', 'norm', 'enc_dec_attn', 'norm', 'ffn', 'norm')
        for a, b in zip(stock.layer_stack, cached.layer_stack):
            a.operation_order = b.operation_order = order
    # make the padding token likely so that padded keys get masked
    with torch.no_grad():
        for d in (stock, cached):
            d.classifier.bias[d.padding_idx] += 2.0
    gen = torch.Generator().manual_seed(seed)
    out_enc = torch.randn(4, 24, 32, generator=gen)
    ratios = [1.0, 0.5, 0.75, 0.2]  # masks part of the memory
    with torch.no_grad():
        p_stock = stock.forward_test(None, out_enc, _samples(ratios))
        p_cached = cached.forward_test(None, out_enc, _samples(ratios))
    assert p_stock.shape == p_cached.shape == (4, 12, stock.dictionary
                                               .num_classes)
    torch.testing.assert_close(p_cached, p_stock, atol=1e-5, rtol=0)
    d_stock, d_cached = _decode(stock, p_stock, 4), _decode(cached,
                                                            p_cached, 4)
    assert [t for t, _ in d_stock] == [t for t, _ in d_cached]
    for (_, a), (_, b) in zip(d_stock, d_cached):
        assert a == pytest.approx(b, abs=1e-5)
    if seed == 0 and not post_norm:
        # the padding token was decoded somewhere: the masked-key path ran
        assert (p_stock.argmax(-1) == stock.padding_idx).any()


def test_early_stop_same_texts_and_scores():
    stock, cached = _decoders(7, stop=True, max_seq_len=20)
    end = stock.dictionary.end_idx
    with torch.no_grad():
        # every sequence ends early (here at steps 3 to 9)
        for d in (stock, cached):
            d.classifier.bias[end] += 1.1
    out_enc = torch.randn(6, 24, 32, generator=torch.Generator()
                          .manual_seed(7))
    with torch.no_grad():
        p_stock = stock.forward_test(None, out_enc, _samples([1.0] * 6))
        p_cached = cached.forward_test(None, out_enc, _samples([1.0] * 6))
    first_end = [int((row == end).nonzero()[0]) for row in
                 p_stock.argmax(-1)]
    assert first_end == [4, 4, 9, 3, 5, 5]  # stops after step 9 of 20
    for i, e in enumerate(first_end):  # equal up to each sequence's end
        torch.testing.assert_close(p_cached[i, :e + 1], p_stock[i, :e + 1],
                                   atol=1e-5, rtol=0)
    assert (p_cached[:, max(first_end) + 1:].argmax(-1) == end).all()
    texts_stock = _decode(stock, p_stock, 6)
    texts_cached = _decode(cached, p_cached, 6)
    assert [t for t, _ in texts_stock] == [t for t, _ in texts_cached]
    assert any(t for t, _ in texts_stock)
    for (_, a), (_, b) in zip(texts_stock, texts_cached):
        assert a == pytest.approx(b, abs=1e-5)


def test_recognizer_with_cached_decoder_predicts_like_stock():
    # the whole TextViT + NRTR recognizer, the decoder type swapped
    cfg = Config.fromfile(NRTR_BASE).model
    cfg.backbone.update(arch=dict(embed_dims=32, num_layers=1, num_heads=2),
                        init_cfg=None)
    cfg.encoder.in_channels = 32
    cfg.decoder.update(n_layers=1, d_model=32, d_embedding=32, n_head=2,
                       d_k=16, d_v=16, d_inner=64, max_seq_len=10)
    torch.manual_seed(0)
    stock = MODELS.build(copy.deepcopy(cfg)).eval()
    cfg.decoder.type = 'CachedNRTRDecoder'
    cached = MODELS.build(cfg).eval()
    cached.load_state_dict(stock.state_dict(), strict=True)
    x = torch.rand(3, 3, 32, 128) * 255
    batch = dict(inputs=list(x), data_samples=_samples([1.0] * 3))
    with torch.no_grad():
        a = stock.test_step(copy.deepcopy(batch))
        b = cached.test_step(copy.deepcopy(batch))
    assert [s.pred_text.item for s in a] == [s.pred_text.item for s in b]
    assert any(s.pred_text.item for s in a)


def test_bad_argument():
    cfg = Config.fromfile(NRTR_BASE).model.decoder
    with pytest.raises(ValueError, match='stop_when_all_ended'):
        MODELS.build(dict(cfg, type='CachedNRTRDecoder',
                          stop_when_all_ended='yes'))


def test_decoding_benchmark_runs_on_a_tiny_config():
    from mmocr_mms.benchmarks.decoding import nrtr_decoding_speed
    demo = glob.glob(osp.join(ROOT, 'configs', 'textrecog', '**',
                              'nrtr_text-vit-demo_3e_str-real.py'),
                     recursive=True)[0]
    opts = {'model.backbone.arch.embed_dims': 32,
            'model.backbone.arch.num_layers': 1,
            'model.backbone.arch.num_heads': 2,
            'model.encoder.in_channels': 32, 'model.decoder.n_layers': 1,
            'model.decoder.d_model': 32, 'model.decoder.d_embedding': 32,
            'model.decoder.n_head': 2, 'model.decoder.d_k': 16,
            'model.decoder.d_v': 16, 'model.decoder.d_inner': 64,
            'model.decoder.max_seq_len': 6}
    rows = nrtr_decoding_speed(demo, [1, 3], repeats=1, cfg_options=opts)
    assert [r['batch'] for r in rows] == [1, 3]
    for r in rows:
        assert r['same_text'] and r['max_abs_prob_diff'] < 1e-5
        assert r['speedup'] == pytest.approx(r['ms_stock'] / r['ms_cached'])
        assert r['cpu_ms_stock'] > 0 and r['cpu_ms_cached'] > 0
