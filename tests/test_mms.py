"""The MMS pretraining algorithm: variable visible counts, loss on masked
patches only, reconstructions."""
import copy

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmocr.registry import DATASETS, MODELS
from mmocr.structures import TextRecogDataSample

TINY = dict(
    type='MMS',
    backbone=dict(type='TextViT',
                  arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                            mlp_ratio=2)),
    decoder=dict(type='MIMPixelDecoder', embed_dims=32, num_layers=1,
                 num_heads=2, mlp_ratio=2))


def _model(**kw):
    torch.manual_seed(0)
    cfg = dict(TINY, **kw)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.double()


def _samples(masks, types):
    out = []
    for m, t in zip(masks, types):
        ds = TextRecogDataSample()
        ds.set_field(m, 'mask')
        ds.set_metainfo(dict(mask_type=t))
        out.append(ds)
    return out


def _mixed_batch(n=5):
    g = torch.Generator().manual_seed(1)
    imgs = torch.randn(n, 3, 32, 128, generator=g, dtype=torch.float64)
    counts = [192, 128, 102, 192, 40][:n]  # different visible counts
    masks = []
    for c in counts:
        perm = torch.randperm(256, generator=g)
        m = torch.zeros(256, dtype=torch.bool)
        m[perm[:c]] = True
        masks.append(m.reshape(8, 32))
    types = ['random', 'blockwise', 'span', 'random', 'other'][:n]
    return imgs, _samples(masks, types)


@pytest.mark.parametrize('batching', ['bucket', 'pad'])
@pytest.mark.parametrize('cls_token', [False, True])
def test_batched_equals_one_by_one(batching, cls_token):
    model = _model(encoder_batching=batching)
    if cls_token:
        model = _model(
            encoder_batching=batching,
            backbone=dict(TINY['backbone'], with_cls_token=True))
    imgs, samples = _mixed_batch()
    params = [(k, p) for k, p in model.named_parameters() if p.requires_grad]
    names, params = [k for k, _ in params], [p for _, p in params]
    loss = model.loss(imgs, samples)['loss']
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    singles, single_grads = [], None
    for i in range(len(samples)):
        li = model.loss(imgs[i:i + 1], samples[i:i + 1])['loss']
        gi = torch.autograd.grad(li, params, allow_unused=True)
        singles.append(li.detach())
        gi = [torch.zeros_like(p) if g is None else g
              for g, p in zip(gi, params)]
        single_grads = gi if single_grads is None else [
            a + b for a, b in zip(single_grads, gi)]
    n = len(samples)
    assert torch.allclose(loss.detach(), torch.stack(singles).mean(),
                          atol=1e-10)
    for g, s, name in zip(grads, single_grads, names):
        g = torch.zeros_like(s) if g is None else g
        assert torch.allclose(g, s / n, atol=1e-9), name


def test_bucket_and_pad_agree():
    imgs, samples = _mixed_batch()
    a = _model(encoder_batching='bucket').loss(imgs, samples)
    b = _model(encoder_batching='pad').loss(imgs, samples)
    assert torch.allclose(a['loss'], b['loss'], atol=1e-10)


@pytest.mark.parametrize('stem', ['linear', 'hmlp'])
def test_encoder_never_sees_masked_pixels(stem):
    model = _model(backbone=dict(TINY['backbone'], stem=stem))
    assert model.decoder.in_channels == 3  # image channels, not proj's
    imgs, samples = _mixed_batch(3)
    mask = torch.stack([s.mask for s in samples]).flatten(1)
    latent = model.forward_encoder(imgs, mask)
    # scribble over the masked patches: visible latents do not change
    big = mask.reshape(3, 8, 1, 32, 1).expand(3, 8, 4, 32, 4).reshape(
        3, 1, 32, 128)
    altered = torch.where(big, torch.randn_like(imgs) * 10, imgs)
    latent2 = model.forward_encoder(altered, mask)
    assert torch.allclose(latent, latent2, atol=1e-10)


def test_loss_touches_only_masked_patches():
    model = _model()
    imgs, samples = _mixed_batch(3)
    mask = torch.stack([s.mask for s in samples]).flatten(1)
    pred = torch.randn(3, 256, 48, dtype=torch.float64)
    base = model.forward_loss(imgs, pred, mask)
    at_visible = pred.clone()
    at_visible[~mask] += 5.0
    assert torch.allclose(model.forward_loss(imgs, at_visible, mask), base)
    at_masked = pred.clone()
    at_masked[mask] += 5.0
    assert (model.forward_loss(imgs, at_masked, mask) > base).all()
    # and equals the direct formula on the masked patches of sample 0
    target = model.target(imgs)
    direct = ((pred[0][mask[0]] - target[0][mask[0]])**2).mean()
    assert torch.allclose(base[0], direct)


def test_norm_pix_target_formula():
    model = _model(norm_pix=True)
    imgs = torch.rand(2, 3, 32, 128, dtype=torch.float64)
    t = model.target(imgs)
    patch = imgs[0, :, 4:8, 8:12].permute(1, 2, 0).reshape(-1)  # patch (1, 2)
    expect = (patch - patch.mean()) / (patch.var() + 1e-6).sqrt()
    assert torch.allclose(t[0, 1 * 32 + 2], expect)


def test_patchify_round_trip_on_rectangle():
    model = _model()
    imgs = torch.rand(2, 3, 32, 128, dtype=torch.float64)
    patches = model.patchify(imgs)
    assert patches.shape == (2, 256, 48)
    assert torch.equal(model.unpatchify(patches), imgs)
    # patch 33 = row 1, column 1 = pixels [4:8, 4:8]
    assert torch.equal(patches[0, 33].reshape(4, 4, 3),
                       imgs[0, :, 4:8, 4:8].permute(1, 2, 0))


def test_per_strategy_losses_logged_not_summed():
    model = _model()
    imgs, samples = _mixed_batch()
    losses = model.loss(imgs, samples)
    assert set(losses) == {'loss', 'recon_random', 'recon_blockwise',
                           'recon_span', 'recon_other'}
    assert not any(v.requires_grad for k, v in losses.items() if k != 'loss')
    per = model.forward_loss(
        imgs, model(imgs, samples, mode='tensor'),
        torch.stack([s.mask for s in samples]).flatten(1))
    assert torch.allclose(losses['recon_random'], per[[0, 3]].mean())


def test_predict_returns_denormalised_reconstructions():
    torch.manual_seed(0)
    model = MODELS.build(TINY)
    ds = DATASETS.build(dict(
        type='SynthWordDataset', num_samples=4, pipeline=[
            dict(type='Resize', scale=(128, 32), keep_ratio=False),
            dict(type='MultiMasking', seed=0),
            dict(type='PackMIMInputs')]))
    batch = pseudo_collate([ds[i] for i in range(4)])
    data = model.data_preprocessor(batch, False)
    out = model(**data, mode='predict')
    raw = batch['inputs'][0].float().flip(0)  # BGR -> RGB, 0..255
    s = out[0]
    assert s.recon_img.shape == (3, 32, 128)
    assert 0 <= s.mixed_img.min() and s.mixed_img.max() <= 255
    visible = ~s.mask.repeat_interleave(4, 0).repeat_interleave(4, 1)
    # visible patches are the input, exactly (up to float round trip)
    assert torch.allclose(s.mixed_img[:, visible], raw[:, visible],
                          atol=1e-3)


def test_mask_shape_mismatch_is_an_error():
    model = _model()
    imgs = torch.zeros(1, 3, 32, 128, dtype=torch.float64)
    with pytest.raises(ValueError, match='grid'):
        model.loss(imgs, _samples([torch.zeros(4, 16, dtype=torch.bool)],
                                  ['random']))
    with pytest.raises(ValueError, match='mask'):
        model.loss(imgs, [TextRecogDataSample()])


@pytest.mark.slow
def test_compile_switch_gives_the_same_loss_and_keys():
    imgs, samples = _mixed_batch(3)
    eager = _model()
    compiled = _model(compile=True)
    compiled.load_state_dict(eager.state_dict())
    assert list(compiled.state_dict()) == list(eager.state_dict())
    a = eager.loss(imgs, samples)['loss']
    b = compiled.loss(imgs, samples)['loss']
    assert torch.allclose(a, b, atol=1e-8)
    b.backward()
    assert compiled.decoder.pred.weight.grad is not None


@pytest.mark.parametrize('batching', ['bucket', 'pad'])
def test_mixed_counts_with_half_encoder_output(batching):
    """AMP on CUDA: the embedded tokens are float32 (float32 position
    embedding added to the half conv output) while the transformer blocks
    return half; merging the buckets of a batch with mixed visible counts
    must keep the blocks' dtype (it once allocated float32 and failed with
    'expected scalar type Float but found Half', found on an H200)."""
    model = _model(encoder_batching=batching).float()
    embed, blocks = model.backbone.patchify_embed, model.backbone.forward_tokens
    model.backbone.patchify_embed = lambda x: embed(x).float()
    model.backbone.forward_tokens = \
        lambda x, pad=None: blocks(x, pad).to(torch.bfloat16)
    imgs, samples = _mixed_batch()
    masks = torch.stack([s.mask for s in samples]).flatten(1)
    latent = model.forward_encoder(imgs.float(), masks)
    assert latent.dtype == torch.bfloat16
    assert latent.shape == (5, 256, model.backbone.embed_dims)
    assert torch.isfinite(latent.float()).all()


def test_compiled_model_deepcopy_runs_the_copys_weights():
    """EMA hooks and model averaging deepcopy the model: the copy of a
    compiled MMS must run compiled code on its own weights. Compiled with
    a counting eager backend (dynamo traces, no C++ compiler needed), so
    the test also shows the copy's calls go through the compiled graphs."""
    graph_calls = []

    def counting_backend(gm, example_inputs):
        def run(*args):
            graph_calls.append(1)
            return gm.forward(*args)
        return run

    imgs, samples = _mixed_batch(2)
    original = _model(compile=dict(backend=counting_backend))
    before = original(imgs, samples).detach()
    assert graph_calls, 'the compiled functions were not used'
    copy_ = copy.deepcopy(original)
    with torch.no_grad():
        for p in copy_.parameters():
            if p.requires_grad:  # not the fixed sin-cos table
                p.add_(0.05 * torch.randn_like(p))
    eager = _model()
    eager.load_state_dict(copy_.state_dict())
    n = len(graph_calls)
    out_copy = copy_(imgs, samples)
    assert len(graph_calls) > n, 'the copy does not run compiled code'
    torch.testing.assert_close(out_copy, eager(imgs, samples))
    assert not torch.allclose(out_copy, before, atol=1e-3)
    # the original is untouched by the copy's update
    torch.testing.assert_close(original(imgs, samples), before)
