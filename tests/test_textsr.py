"""Text-image super-resolution: PSNR / SSIM against scikit-image, the
metric, the TextZoom LMDB reader, LR/HR pair transforms, the model (a zero
residual reproduces bicubic upsampling exactly, through the
normalisation round trip) and short end-to-end runs of the configs."""
import math

import cv2
import lmdb
import numpy as np
import pytest
import torch
from dense_task_utils import single_thread  # noqa: F401  (autouse fixture)
from dense_task_utils import (assert_backbone_loaded, config_path,
                              save_tiny_backbone, tiny_backbone, tiny_runner)
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.structures import PixelData
from mmocr.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from mmocr_mms.evaluation import psnr, ssim
from mmocr_mms.structures import TextSRDataSample

SYNTH_CFG = 'textsr/vitsr/vitsr_text-vit-s_20e_synth-words.py'
ZOOM_CFG = 'textsr/vitsr/vitsr_text-vit-s_20e_textzoom.py'


# --------------------------------------------------------------------- #
# PSNR / SSIM vs scikit-image
# --------------------------------------------------------------------- #
def _pair(seed=0, h=32, w=128):
    """A structured HR-like image and a noisy, shifted version."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 127 + 80 * np.sin(xx / 5.) * np.cos(yy / 7.)
    a = np.stack([base, base[::-1], 255 - base], -1)
    a = np.clip(a + rng.normal(0, 10, a.shape), 0, 255).astype(np.uint8)
    b = np.roll(a, 1, axis=1).astype(np.float64) + rng.normal(0, 15, a.shape)
    return a, np.clip(b, 0, 255)


@pytest.mark.parametrize('seed', [0, 1])
def test_psnr_matches_skimage(seed):
    a, b = _pair(seed)
    ref = peak_signal_noise_ratio(a.astype(np.float64), b, data_range=255)
    assert psnr(b, a) == pytest.approx(ref, rel=1e-10)
    # layout does not matter, tensors work
    assert psnr(torch.from_numpy(b).permute(2, 0, 1),
                torch.from_numpy(a).permute(2, 0, 1)) == pytest.approx(ref)
    assert psnr(a, a) == math.inf
    # known value: a constant error of 5 -> 20 log10(255 / 5)
    assert psnr(a.astype(float) + 5, a) == pytest.approx(
        20 * math.log10(255 / 5))


@pytest.mark.parametrize('seed', [0, 1])
@pytest.mark.parametrize('setting', ['wang', 'skimage-default'])
def test_ssim_matches_skimage(seed, setting):
    a, b = _pair(seed)
    if setting == 'wang':  # 11x11 Gaussian, sigma 1.5, population cov.
        ref = structural_similarity(
            a.astype(np.float64), b, data_range=255, channel_axis=-1,
            gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
        kw = dict(gaussian=True, sigma=1.5, use_sample_covariance=False)
    else:  # skimage's default: 7x7 uniform, sample covariance
        ref = structural_similarity(
            a.astype(np.float64), b, data_range=255, channel_axis=-1)
        kw = dict(gaussian=False, win_size=7, use_sample_covariance=True)
    got = ssim(b.transpose(2, 0, 1), a.transpose(2, 0, 1), 255.,
               channel_axis=0, **kw)
    assert got == pytest.approx(ref, abs=1e-10)
    assert ssim(b, a, 255., channel_axis=-1, **kw) == pytest.approx(
        ref, abs=1e-10)
    gray = structural_similarity(
        a[..., 0].astype(np.float64), b[..., 0], data_range=255,
        **({} if setting != 'wang' else dict(
            gaussian_weights=True, sigma=1.5,
            use_sample_covariance=False)))
    assert ssim(b[..., 0], a[..., 0], 255., channel_axis=None,
                **kw) == pytest.approx(gray, abs=1e-10)
    assert ssim(a, a, 255., channel_axis=-1) == pytest.approx(1.)


def test_ssim_refuses_tiny_images():
    with pytest.raises(ValueError, match='smaller'):
        ssim(np.zeros((3, 8, 8)), np.zeros((3, 8, 8)))


def _sr_sample(pred, gt):
    s = TextSRDataSample()
    s.pred_img = PixelData(data=torch.as_tensor(pred).permute(2, 0, 1))
    s.gt_img = PixelData(data=torch.as_tensor(gt).permute(2, 0, 1))
    return s


def test_sr_metric_averages_per_image_scores():
    a0, b0 = _pair(0)
    a1, b1 = _pair(1)
    metric = METRICS.build(dict(type='TextSRMetric'))
    metric.process({}, [_sr_sample(b0, a0).to_dict(), _sr_sample(b1, a1)])
    res = metric.evaluate(2)
    ref_psnr = np.mean([
        peak_signal_noise_ratio(a.astype(np.float64), b, data_range=255)
        for a, b in ((a0, b0), (a1, b1))
    ])
    ref_ssim = np.mean([
        structural_similarity(a.astype(np.float64), b, data_range=255,
                              channel_axis=-1, gaussian_weights=True,
                              sigma=1.5, use_sample_covariance=False)
        for a, b in ((a0, b0), (a1, b1))
    ])
    assert res['textsr/PSNR'] == pytest.approx(ref_psnr)
    assert res['textsr/SSIM'] == pytest.approx(ref_ssim)
    # quantize rounds predictions first
    metric = METRICS.build(dict(type='TextSRMetric', scores='PSNR',
                                quantize=True))
    metric.process({}, [_sr_sample(a0 + 0.4, a0)])
    assert metric.evaluate(1) == {'textsr/PSNR': math.inf}


# --------------------------------------------------------------------- #
# data
# --------------------------------------------------------------------- #
def _word(h, w, seed):
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 230, np.uint8)
    img[h // 4:3 * h // 4, w // 8:7 * w // 8] = rng.integers(0, 80, 3)
    return img


def _write_textzoom(path, n=3, missing_hr=None):
    """A TextZoom-layout LMDB; pair i has HR (2h, 2w) and LR (h, w)."""
    env = lmdb.open(str(path), map_size=1 << 24)
    with env.begin(write=True) as txn:
        for i in range(1, n + 1):
            hr = _word(20 + 4 * i, 90 + 10 * i, i)
            lr = cv2.resize(hr, (hr.shape[1] // 2, hr.shape[0] // 2),
                            interpolation=cv2.INTER_AREA)
            if i != missing_hr:
                txn.put(b'image_hr-%09d' % i, cv2.imencode('.png', hr)[1]
                        .tobytes())
            txn.put(b'image_lr-%09d' % i,
                    cv2.imencode('.png', lr)[1].tobytes())
            txn.put(b'label-%09d' % i, f'word{i}'.encode())
        txn.put(b'num-samples', str(n).encode())
    env.close()


def test_textzoom_reader_on_tiny_lmdb(tmp_path):
    _write_textzoom(tmp_path / 'zoom')
    ds = DATASETS.build(dict(type='TextZoomDataset',
                             data_root=str(tmp_path / 'zoom'), pipeline=[]))
    assert len(ds) == 3
    for i in range(3):
        r = ds[i]
        hr = _word(20 + 4 * (i + 1), 90 + 10 * (i + 1), i + 1)
        assert np.array_equal(r['gt_img'], hr)
        assert r['img'].shape[:2] == (hr.shape[0] // 2, hr.shape[1] // 2)
        assert r['text'] == f'word{i + 1}'
        assert r['hr_shape'] == hr.shape[:2]
    # through the config's pipeline: fixed LR / HR sizes
    cfg = Config.fromfile(config_path(ZOOM_CFG))
    ds = DATASETS.build(dict(type='TextZoomDataset',
                             data_root=str(tmp_path / 'zoom'),
                             pipeline=cfg.textzoom_pipeline))
    out = ds[2]
    assert out['inputs'].shape == (3, 16, 64)
    assert out['data_samples'].gt_img.shape == (32, 128)
    assert out['data_samples'].metainfo['text'] == 'word3'


def test_textzoom_reader_skips_incomplete_pairs(tmp_path):
    _write_textzoom(tmp_path / 'zoom', n=3, missing_hr=2)
    ds = DATASETS.build(dict(type='TextZoomDataset',
                             data_root=str(tmp_path / 'zoom'), pipeline=[]))
    assert ds[1]['text'] == 'word3'  # pair 2 has no HR image
    assert ds.skips.counts['missing'] == 1


def test_textzoom_reader_shares_lmdb_across_datasets_and_workers(tmp_path):
    """py-lmdb refuses a second open of one file in a process, and a forked
    worker inherits that bookkeeping: two datasets over one LMDB, and
    workers forked after the main process read it, must still work."""
    _write_textzoom(tmp_path / 'zoom')
    cfg = dict(type='TextZoomDataset', data_root=str(tmp_path / 'zoom'),
               pipeline=[])
    val, test = DATASETS.build(cfg), DATASETS.build(cfg)
    assert val[0]['text'] == test[0]['text'] == 'word1'
    loader = torch.utils.data.DataLoader(
        test, batch_size=3, num_workers=1, collate_fn=list)
    assert [r['text'] for r in next(iter(loader))] == \
        ['word1', 'word2', 'word3']


def test_make_lr_hr_pair():
    img = _word(45, 150, 0)
    t = TRANSFORMS.build(dict(type='MakeLRHRPair'))
    r = t(dict(img=img))
    hr = cv2.resize(img, (128, 32), interpolation=cv2.INTER_CUBIC)
    assert np.array_equal(r['gt_img'], hr)
    assert np.array_equal(
        r['img'], cv2.resize(hr, (64, 16), interpolation=cv2.INTER_CUBIC))
    assert r['img_shape'] == (16, 64) and r['hr_shape'] == (32, 128)
    noisy = TRANSFORMS.build(dict(type='MakeLRHRPair', blur_sigma=(1., 1.),
                                  noise_std=(5., 5.)))(dict(img=img))
    assert noisy['img'].shape == (16, 64, 3)
    assert not np.array_equal(noisy['img'], r['img'])


# --------------------------------------------------------------------- #
# model
# --------------------------------------------------------------------- #
def _tiny_model(cfg_rel=SYNTH_CFG, checkpoint=None):
    cfg = Config.fromfile(config_path(cfg_rel))
    tiny_backbone(cfg, checkpoint)
    cfg.model.head.update(embed_dims=32, num_blocks=1, num_heads=2)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model, cfg


@pytest.mark.parametrize('cfg_rel', [SYNTH_CFG, ZOOM_CFG])
def test_configs_load_pretrained_backbone(tmp_path, cfg_rel):
    ckpt = str(tmp_path / 'mms.pth')
    expected = save_tiny_backbone(ckpt)
    model, _ = _tiny_model(cfg_rel, ckpt)
    assert_backbone_loaded(model.backbone, expected)


def _synth_batch(cfg, n=4):
    ds = DATASETS.build(dict(type='SynthWordDataset', num_samples=n,
                             pipeline=cfg.synth_test_pipeline))
    return pseudo_collate([ds[i] for i in range(n)])


def test_zero_residual_is_bicubic_upsampling():
    """With the residual head zeroed the prediction is the bicubic
    upsampling of the LR input: normalisation, channel swap and their
    inverses cancel exactly."""
    torch.manual_seed(0)
    model, cfg = _tiny_model()
    torch.nn.init.zeros_(model.head.pred.weight)
    torch.nn.init.zeros_(model.head.pred.bias)
    model.eval()
    data = model.data_preprocessor(_synth_batch(cfg, 2))
    preds = model(**data, mode='predict')
    raw = _synth_batch(cfg, 2)
    for sample, lr in zip(preds, raw['inputs']):
        ref = torch.nn.functional.interpolate(
            lr[None].float(), size=(32, 128), mode='bicubic',
            align_corners=False)[0].clamp(0, 255)
        assert sample.pred_img.shape == (32, 128)
        assert torch.allclose(sample.pred_img.data, ref, atol=1e-3)


def _bicubic(lr: torch.Tensor) -> torch.Tensor:
    """(N, 3, 16, 64) pixels -> bicubic (N, 3, 32, 128), unclamped."""
    return torch.nn.functional.interpolate(
        lr.float(), size=(32, 128), mode='bicubic', align_corners=False)


def _zero_residual(model):
    torch.nn.init.zeros_(model.head.pred.weight)
    torch.nn.init.zeros_(model.head.pred.bias)


def test_model_modes_and_loss():
    torch.manual_seed(0)
    model, cfg = _tiny_model()
    data = model.data_preprocessor(_synth_batch(cfg), True)
    out = model(**data, mode='tensor')
    assert out.shape == (4, 3, 32, 128)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_sr'} and losses['loss_sr'] > 0
    losses['loss_sr'].backward()
    assert model.backbone.patch_embed.proj.weight.grad is not None
    # Known value: with a zero residual the output is the bicubic
    # upsampling, so the loss is the bicubic baseline's error against the
    # HR images, measured in the normalised space.
    raw = _synth_batch(cfg)
    lr = torch.stack(raw['inputs'])
    hr = torch.stack([s.gt_img.data for s in raw['data_samples']])
    base = model.to_model_space(_bicubic(lr))
    target = model.to_model_space(hr)
    _zero_residual(model)
    l1 = MODELS.build(dict(cfg.model, loss_type='l1'))
    l1.load_state_dict(model.state_dict())
    with torch.no_grad():
        mse = model(**data, mode='loss')['loss_sr']
        mae = l1(**data, mode='loss')['loss_sr']
    torch.testing.assert_close(mse, ((base - target)**2).mean(),
                               rtol=1e-4, atol=0)
    torch.testing.assert_close(mae, (base - target).abs().mean(),
                               rtol=1e-4, atol=0)
    with pytest.raises(ValueError):
        MODELS.build(dict(cfg.model, loss_type='ssim'))


def _bicubic_baseline_scores(dataset_cfg):
    """Mean PSNR / SSIM of bicubic upsampling against the HR images of a
    dataset, computed with scikit-image."""
    ds = DATASETS.build(dataset_cfg)
    psnrs, ssims = [], []
    for i in range(len(ds)):
        item = ds[i]
        ref = _bicubic(item['inputs'][None])[0].clamp(0, 255)
        ref = ref.permute(1, 2, 0).double().numpy()
        gt = item['data_samples'].gt_img.data.permute(1, 2, 0).double()
        gt = gt.numpy()
        psnrs.append(peak_signal_noise_ratio(gt, ref, data_range=255))
        ssims.append(structural_similarity(
            gt, ref, data_range=255, channel_axis=-1, gaussian_weights=True,
            sigma=1.5, use_sample_covariance=False))
    return float(np.mean(psnrs)), float(np.mean(ssims))


# --------------------------------------------------------------------- #
# end to end with the runner
# --------------------------------------------------------------------- #
def _tiny_cfg(cfg_rel, checkpoint):
    cfg = Config.fromfile(config_path(cfg_rel))
    tiny_backbone(cfg, checkpoint)
    cfg.model.head.update(embed_dims=32, num_blocks=1, num_heads=2)
    return cfg


def test_train_and_evaluate_synthetic_config(tmp_path, monkeypatch):
    ckpt = str(tmp_path / 'mms.pth')
    save_tiny_backbone(ckpt)
    cfg = _tiny_cfg(SYNTH_CFG, ckpt)
    cfg.train_dataloader.dataset.num_samples = 16
    cfg.val_dataloader.dataset.num_samples = 8
    runner = tiny_runner(cfg, str(tmp_path / 'work'), 4, monkeypatch)
    runner.train()
    # the config's evaluation on a model with a known output: a zero
    # residual makes it bicubic upsampling
    _zero_residual(runner.model)
    metrics = runner.val()
    psnr_ref, ssim_ref = _bicubic_baseline_scores(cfg.val_dataloader.dataset)
    assert metrics['textsr/PSNR'] == pytest.approx(psnr_ref, rel=1e-4)
    assert metrics['textsr/SSIM'] == pytest.approx(ssim_ref, rel=1e-4)


def test_train_and_evaluate_textzoom_config_on_tiny_lmdbs(tmp_path,
                                                          monkeypatch):
    root = tmp_path / 'TextZoom'
    for name in ('train1', 'train2', 'test/easy', 'test/medium',
                 'test/hard'):
        (root / name).mkdir(parents=True)
        _write_textzoom(root / name)
    cfg = _tiny_cfg(ZOOM_CFG, None)
    for dl in (cfg.train_dataloader, cfg.val_dataloader,
               cfg.test_dataloader):
        for ds in dl.dataset.datasets:
            ds.data_root = ds.data_root.replace('data/TextZoom', str(root))
    runner = tiny_runner(cfg, str(tmp_path / 'work'), 2, monkeypatch,
                         batch_size=4)
    runner.train()
    _zero_residual(runner.model)
    metrics = runner.test()
    for subset, ds_cfg in zip(('easy', 'medium', 'hard'),
                              cfg.test_dataloader.dataset.datasets):
        psnr_ref, ssim_ref = _bicubic_baseline_scores(ds_cfg)
        assert metrics[f'{subset}/textsr/PSNR'] == pytest.approx(
            psnr_ref, rel=1e-4)
        assert metrics[f'{subset}/textsr/SSIM'] == pytest.approx(
            ssim_ref, rel=1e-4)
