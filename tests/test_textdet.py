"""Segmentation-based detection with the ViT: the simple feature pyramid,
neck chaining, synthetic scenes, and the stock MMOCR DBNet config
inherited with a TextViT backbone - training a few iterations, evaluating
(HmeanIOU) and predicting polygons with compiled mmcv ops absent."""
import cv2
import numpy as np
import pytest
import torch
from dense_task_utils import single_thread  # noqa: F401  (autouse fixture)
from dense_task_utils import (assert_backbone_loaded, config_path,
                              save_tiny_backbone, tiny_backbone, tiny_runner)
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmocr.registry import DATASETS, METRICS, MODELS
from mmocr.utils import offset_polygon
from shapely.geometry import Polygon

ICDAR_CFG = 'textdet/dbnet/dbnet_text-vit-s-simplefpn_1200e_icdar2015.py'
SYNTH_CFG = 'textdet/dbnet/dbnet_text-vit-s-simplefpn_50e_synth-scenes.py'


def test_simple_fpn_strides_and_channels():
    fpn = MODELS.build(dict(type='ViTSimpleFPN', in_channels=32))
    x = torch.randn(2, 32, 16, 24)  # a stride-4 map of a 64 x 96 image
    outs = fpn(x)
    assert [tuple(o.shape) for o in outs] == [(2, 64, 16, 24),
                                              (2, 128, 8, 12),
                                              (2, 256, 4, 6), (2, 512, 2, 3)]
    assert fpn((x, ))[0].shape == outs[0].shape  # tuple input: last map
    # a stride-16 ViT: deconvolutions upwards
    fpn = MODELS.build(dict(type='ViTSimpleFPN', in_channels=32,
                            out_channels=16, scale_factors=(4, 2, 1, 0.5)))
    outs = fpn(torch.randn(1, 32, 4, 4))
    assert [tuple(o.shape[-2:]) for o in outs] == [(16, 16), (8, 8), (4, 4),
                                                   (2, 2)]
    assert all(o.shape[1] == 16 for o in outs)
    with pytest.raises(ValueError, match='powers of two'):
        MODELS.build(dict(type='ViTSimpleFPN', in_channels=8,
                          out_channels=8, scale_factors=(3, )))
    with pytest.raises(ValueError, match='divisible'):
        MODELS.build(dict(type='ViTSimpleFPN', in_channels=8))(
            torch.randn(1, 8, 12, 12))


def test_sequential_neck_runs_stock_fpnc_with_its_init():
    neck = MODELS.build(dict(
        type='SequentialNeck',
        necks=[dict(type='ViTSimpleFPN', in_channels=32),
               dict(type='FPNC', in_channels=[64, 128, 256, 512],
                    lateral_channels=256)]))
    w = neck.necks[1].lateral_convs[0].conv.weight.clone()
    neck.init_weights()  # reaches FPNC's own init_cfg (Kaiming)
    assert not torch.equal(w, neck.necks[1].lateral_convs[0].conv.weight)
    out = neck(torch.randn(2, 32, 16, 32))
    assert out.shape == (2, 256, 16, 32)


def test_synthetic_scenes_have_boxes_around_pasted_words():
    ds = DATASETS.build(dict(type='SynthTextDetDataset', num_samples=4,
                             canvas_size=(96, 160), max_words=3,
                             word_height=(12, 24), pipeline=[]))
    n_words = 0
    for i in range(4):
        r = ds[i]
        assert r['img'].shape == (96, 160, 3)
        for inst in r['instances']:
            x0, y0, x1, y1 = inst['bbox']
            assert 0 <= x0 < x1 <= 160 and 0 <= y0 < y1 <= 96
            assert inst['polygon'] == [x0, y0, x1, y0, x1, y1, x0, y1]
            assert inst['text'] and inst['bbox_label'] == 0
            n_words += 1
    assert n_words >= 4
    # deterministic per (seed, index)
    again = DATASETS.build(dict(type='SynthTextDetDataset', num_samples=4,
                                canvas_size=(96, 160), max_words=3,
                                word_height=(12, 24), pipeline=[]))
    assert np.array_equal(again[2]['img'], ds[2]['img'])


def _tiny_cfg(cfg_rel, checkpoint=None):
    cfg = Config.fromfile(config_path(cfg_rel))
    tiny_backbone(cfg, checkpoint)
    cfg.model.neck.necks[0].in_channels = 32
    return cfg


def test_stock_config_is_inherited_with_a_vit_backbone(tmp_path):
    cfg = _tiny_cfg(ICDAR_CFG)
    stock_file = tmp_path / 'stock.py'
    stock_file.write_text("_base_ = ['mmocr::textdet/dbnet/"
                          "dbnet_resnet18_fpnc_1200e_icdar2015.py']\n")
    stock = Config.fromfile(str(stock_file))
    assert cfg.model.type == 'DBNet' and cfg.model.backbone.type == 'TextViT'
    assert cfg.model.det_head == stock.model.det_head
    assert cfg.model.neck.necks[1] == stock.model.neck
    assert cfg.train_pipeline == stock.train_pipeline
    assert cfg.test_pipeline == stock.test_pipeline
    assert cfg.val_evaluator == stock.val_evaluator
    ckpt = str(tmp_path / 'mms.pth')
    expected = save_tiny_backbone(ckpt)
    cfg = _tiny_cfg(ICDAR_CFG, ckpt)
    model = MODELS.build(cfg.model)
    model.init_weights()
    assert_backbone_loaded(model.backbone, expected)


def _scene_batch(cfg, n=2):
    ds = DATASETS.build(dict(type='SynthTextDetDataset', num_samples=n,
                             canvas_size=(96, 160), word_height=(16, 28),
                             pipeline=cfg.train_pipeline))
    return pseudo_collate([ds[i] for i in range(n)])


def test_dbnet_loss_and_backward_on_synthetic_scenes():
    torch.manual_seed(0)
    cfg = _tiny_cfg(SYNTH_CFG)
    model = MODELS.build(cfg.model)
    model.init_weights()
    data = model.data_preprocessor(_scene_batch(cfg), True)
    assert data['inputs'].shape[-2:] == (192, 320)  # padded to /32
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert torch.isfinite(total)
    assert model.backbone.blocks[0].attn.qkv.weight.grad is not None


def test_train_evaluate_and_predict_polygons(tmp_path, monkeypatch):
    """The stock pipeline/head/loss/post-processor/metric path with the ViT:
    a few training iterations, HmeanIOU evaluation, polygon predictions.
    With mmcv-lite any compiled op would raise CompiledOpsUnavailableError,
    so finishing proves none is needed."""
    cfg = _tiny_cfg(SYNTH_CFG)
    for dl, n in ((cfg.train_dataloader, 8), (cfg.val_dataloader, 4)):
        dl.dataset.update(num_samples=n, canvas_size=(96, 160),
                          word_height=(16, 28))
    for pipe in (cfg.train_dataloader.dataset.pipeline,
                 cfg.val_dataloader.dataset.pipeline):
        for t in pipe:
            if t['type'] == 'Resize':
                t['scale'] = (160, 96)
    runner = tiny_runner(cfg, str(tmp_path / 'work'), 3, monkeypatch,
                         batch_size=4)
    runner.train()
    # the config's evaluation with known head outputs: probability maps
    # painted from the ground truth find every word, empty maps none
    head = runner.model.det_head
    head.forward = lambda x, data_samples=None, **kw: _gt_probability_maps(
        data_samples, data_samples[0].batch_input_shape)
    assert runner.val() == {'icdar/precision': 1.0, 'icdar/recall': 1.0,
                            'icdar/hmean': 1.0}
    head.forward = lambda x, data_samples=None, **kw: torch.zeros(
        len(data_samples), *data_samples[0].batch_input_shape)
    assert runner.val() == {'icdar/precision': 0.0, 'icdar/recall': 0.0,
                            'icdar/hmean': 0.0}
    del head.forward

    # predictions of the trained model on a handful of images
    model = runner.model.eval()
    batch = next(iter(runner.val_dataloader))
    with torch.no_grad():
        preds = model.test_step(batch)
    assert len(preds) == 4
    for p in preds:
        inst = p.pred_instances
        assert len(inst.polygons) == len(inst.scores)
        assert all(len(poly) >= 8 and len(poly) % 2 == 0
                   for poly in inst.polygons)


def _gt_probability_maps(samples, size):
    """(N, H, W) maps, 1 inside each ground-truth box shrunk as DBNet's
    targets are (polygons in original coordinates, scaled by the sample's
    ``scale_factor``), 0 elsewhere."""
    probs = torch.zeros(len(samples), *size)
    for prob, s in zip(probs, samples):
        sx, sy = s.scale_factor
        for poly in s.gt_instances.polygons:
            pts = poly.reshape(-1, 2) * np.array([sx, sy])
            area = Polygon(pts).area
            # DBNet's shrink: distance = A (1 - r^2) / L, r = 0.4
            dist = area * (1 - 0.4**2) / Polygon(pts).length
            inner = offset_polygon(pts.flatten(), -dist).reshape(-1, 2)
            cv2.fillPoly(prob.numpy(), [np.round(inner).astype(np.int32)],
                         1.0)
    return probs


def test_stock_db_decoding_and_hmean_recover_known_boxes():
    """A probability map painted from the ground truth (each box shrunk as
    DBNet's targets are) goes through the stock DBPostprocessor (contours,
    pyclipper unclip, rescaling) and HmeanIOU metric (shapely): every word
    is found. Pure Python/OpenCV, no compiled mmcv op."""
    cfg = _tiny_cfg(SYNTH_CFG)
    model = MODELS.build(cfg.model)
    ds = DATASETS.build(dict(type='SynthTextDetDataset', num_samples=4,
                             canvas_size=(96, 160), word_height=(16, 28),
                             max_words=3, pipeline=[
                                 dict(type='Resize', scale=(320, 192),
                                      keep_ratio=True),
                                 dict(type='LoadOCRAnnotations',
                                      with_polygon=True, with_bbox=True,
                                      with_label=True),
                                 dict(type='PackTextDetInputs',
                                      meta_keys=('img_path', 'ori_shape',
                                                 'img_shape',
                                                 'scale_factor'))]))
    samples = [ds[i]['data_samples'] for i in range(4)]
    assert all(s.scale_factor == (2.0, 2.0) for s in samples)
    probs = _gt_probability_maps(samples, (192, 320))
    preds = model.det_head.postprocessor(probs, samples)
    metric = METRICS.build(dict(type='HmeanIOUMetric'))
    metric.process({}, preds)
    res = metric.evaluate(4)
    assert res['icdar/hmean'] == 1.0, res
