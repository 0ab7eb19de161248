"""Text segmentation: metrics on hand-made masks, the TextSeg reader on
fake folders (official 0/100/200/255 masks, 0/255 and 0/1 masks), the
packing, the model, and short end-to-end runs of the configs (synthetic
words and a fake TextSeg folder) with a pretrained backbone."""
import json

import cv2
import numpy as np
import pytest
import torch
from dense_task_utils import single_thread  # noqa: F401  (autouse fixture)
from dense_task_utils import (assert_backbone_loaded, config_path,
                              save_tiny_backbone, tiny_backbone, tiny_runner)
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.structures import PixelData
from mmocr.registry import DATASETS, METRICS, MODELS
from PIL import Image

from mmocr_mms.datasets.textseg import crop_word, decode_fg_mask
from mmocr_mms.evaluation import binary_seg_counts, seg_scores
from mmocr_mms.structures import TextSegDataSample

SEG_CFG = 'textseg/vitseg/vitseg_text-vit-s_20e_synth-words.py'
TEXTSEG_CFG = 'textseg/vitseg/vitseg_text-vit-s_20e_textseg.py'


# --------------------------------------------------------------------- #
# metrics
# --------------------------------------------------------------------- #
def _hand_made():
    # gt: 4 text pixels, 1 ignored; pred: 3 of them + 2 false positives
    gt = np.array([[0, 1, 1, 0],
                   [0, 1, 1, 0],
                   [0, 0, 255, 0]], np.uint8)
    pred = np.array([[1, 1, 1, 0],
                     [0, 1, 0, 0],
                     [0, 0, 1, 1]], np.int64)
    return pred, gt


def test_counts_and_scores_on_hand_made_masks():
    pred, gt = _hand_made()
    tp, fp, fn, tn = binary_seg_counts(pred, gt)
    # valid = 11 pixels; fg gt 4; pred fg (valid) = 5: tp 3, fp 2, fn 1
    assert (tp, fp, fn, tn) == (3, 2, 1, 5)
    s = seg_scores(tp, fp, fn, tn)
    assert s['fgIoU'] == pytest.approx(3 / 6)
    assert s['bgIoU'] == pytest.approx(5 / 8)
    assert s['mIoU'] == pytest.approx((3 / 6 + 5 / 8) / 2)
    assert s['precision'] == pytest.approx(3 / 5)
    assert s['recall'] == pytest.approx(3 / 4)
    assert s['Fscore'] == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    # without an ignore label the 255 pixel counts as background
    assert binary_seg_counts(pred, gt, ignore_index=None) == (3, 3, 1, 5)


def test_empty_text_conventions():
    assert seg_scores(0, 0, 0, 10)['fgIoU'] == 1.0
    assert seg_scores(0, 0, 0, 10)['Fscore'] == 1.0
    assert seg_scores(0, 0, 5, 10)['precision'] == 0.0
    assert seg_scores(0, 3, 0, 10)['recall'] == 0.0


def _sample(pred, gt, ori=False):
    s = TextSegDataSample()
    s.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None])
    field = 'ori_gt_sem_seg' if ori else 'gt_sem_seg'
    setattr(s, field, PixelData(data=torch.as_tensor(gt)[None]))
    return s


def test_metric_dataset_and_image_average():
    pred1, gt1 = _hand_made()
    pred2 = np.zeros((2, 2), np.int64)
    gt2 = np.array([[1, 0], [0, 0]], np.uint8)  # tp 0 fp 0 fn 1 tn 3
    samples = [_sample(pred1, gt1), _sample(pred2, gt2, ori=True)]
    metric = METRICS.build(dict(type='TextSegMetric'))
    # the runner hands over dicts (to_dict()); elements work too
    metric.process({}, [samples[0].to_dict(), samples[1]])
    res = metric.evaluate(2)
    assert res['textseg/fgIoU'] == pytest.approx(3 / 7)
    assert res['textseg/precision'] == pytest.approx(3 / 5)
    assert res['textseg/recall'] == pytest.approx(3 / 5)
    assert res['textseg/Fscore'] == pytest.approx(0.6)
    metric = METRICS.build(dict(type='TextSegMetric', average='image'))
    metric.process({}, samples)
    res = metric.evaluate(2)
    assert res['textseg/fgIoU'] == pytest.approx((0.5 + 0.) / 2)
    assert res['textseg/bgIoU'] == pytest.approx((5 / 8 + 3 / 4) / 2)


def test_metric_refuses_size_mismatch():
    metric = METRICS.build(dict(type='TextSegMetric'))
    with pytest.raises(ValueError, match='differ in size'):
        metric.process({}, [_sample(np.zeros((2, 3)), np.zeros((3, 2)))])


# --------------------------------------------------------------------- #
# mask decoding and the TextSeg reader
# --------------------------------------------------------------------- #
def test_decode_mask_encodings():
    textseg = np.array([[0, 100, 200, 255, 7]], np.uint8)
    assert decode_fg_mask(textseg, 'textseg').tolist() == \
        [[0, 1, 255, 255, 255]]
    assert decode_fg_mask(textseg[:, :4], 'auto', effect_as='fg').tolist() \
        == [[0, 1, 1, 255]]
    assert decode_fg_mask(np.array([[0, 255, 255]], np.uint8),
                          'auto').tolist() == [[0, 1, 1]]
    assert decode_fg_mask(np.array([[0, 1, 1]], np.uint8),
                          'auto').tolist() == [[0, 1, 1]]
    assert decode_fg_mask(np.array([[0, 1, 255]], np.uint8),
                          'auto').tolist() == [[0, 1, 255]]
    # anti-aliased 0..255 masks are thresholded at 128
    assert decode_fg_mask(np.array([[0, 90, 130, 255]], np.uint8),
                          'auto').tolist() == [[0, 0, 1, 1]]
    # RGB masks use channel 0
    rgb = np.stack([np.array([[0, 255]], np.uint8)] * 3, -1)
    assert decode_fg_mask(rgb).tolist() == [[0, 1]]
    with pytest.raises(ValueError):
        decode_fg_mask(textseg, 'gray')


def _scene(h=40, w=100, seed=0):
    """An image with two dark 'words' on white and their masks."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 255, np.uint8)
    fg = np.zeros((h, w), bool)
    fg[5:15, 10:40] = True   # word 0
    fg[22:35, 55:95] = True  # word 1
    img[fg] = rng.integers(0, 60, (int(fg.sum()), 3))
    return img, fg


def _write_official(root, ids=('a00001', 'a00002', 'a00003')):
    (root / 'image').mkdir(parents=True)
    (root / 'semantic_label').mkdir()
    (root / 'annotation').mkdir()
    for i, tag in enumerate(ids):
        img, fg = _scene(seed=i)
        cv2.imwrite(str(root / 'image' / f'{tag}.jpg'), img)
        mask = np.where(fg, 100, 0).astype(np.uint8)
        mask[30:32, 0:5] = 255          # ignore
        mask[5:15, 40:42] = 200         # effect next to word 0
        # as a palette PNG: the indices are the labels
        im = Image.fromarray(mask, mode='L').convert('P')
        im.putpalette([v for i in range(256) for v in (i, 0, 255 - i)])
        im.save(root / 'semantic_label' / f'{tag}_maskfg.png')
        anno = {
            '0000': dict(text='hello', bbox=[10, 5, 39, 5, 39, 14, 10, 14],
                         char={}),
            '0001': dict(text='world', bbox=[55, 22, 94, 22, 94, 34, 55, 34],
                         char={}),
            '0002': dict(text='x', bbox=[1, 1, 2, 1, 2, 2, 1, 2], char={}),
        }
        (root / 'annotation' / f'{tag}_anno.json').write_text(
            json.dumps(anno))
    (root / 'split.json').write_text(
        json.dumps(dict(train=list(ids[:2]), val=[ids[2]], test=[ids[2]])))


def test_textseg_reader_official_layout_word_crops(tmp_path):
    root = tmp_path / 'TextSeg'
    _write_official(root)
    ds = DATASETS.build(
        dict(type='TextSegDataset', data_root=str(root), split='train',
             mask_encoding='textseg', pipeline=[]))
    # 2 images x 2 words (the 2 x 2 px word is below min_word_size)
    assert len(ds) == 4
    r = ds[0]
    assert r['text'] == 'hello' and r['image_id'] == 'a00001'
    assert r['img'].shape == (10, 30, 3)
    seg = r['gt_seg_map']
    assert seg.dtype == np.uint8 and seg.shape == (10, 30)
    assert (seg == 1).all()  # the crop is the word's box, all text
    r = ds[1]
    assert r['text'] == 'world' and r['gt_seg_map'].shape == (13, 40)
    assert set(np.unique(r['gt_seg_map'])) == {1}
    assert r['ori_gt_seg_map'] is r['gt_seg_map']
    # whole images (word_level=False): effect and ignore pixels -> 255
    ds = DATASETS.build(
        dict(type='TextSegDataset', data_root=str(root), split='val',
             word_level=False, pipeline=[]))
    seg = ds[0]['gt_seg_map']
    assert seg.shape == (40, 100)
    assert (seg[5:15, 40:42] == 255).all() and (seg[30:32, 0:5] == 255).all()
    assert int((seg == 1).sum()) == 30 * 10 + 40 * 13
    ds = DATASETS.build(
        dict(type='TextSegDataset', data_root=str(root), split='val',
             word_level=False, effect_as='fg', pipeline=[]))
    assert (ds[0]['gt_seg_map'][5:15, 40:42] == 1).all()


@pytest.mark.parametrize('encoding', ['0/255', '0/1'])
def test_textseg_reader_flat_folder_both_binary_encodings(tmp_path, encoding):
    fg_value = 255 if encoding == '0/255' else 1
    expected = {}
    for i in range(3):
        img, fg = _scene(seed=i)
        cv2.imwrite(str(tmp_path / f'img{i}.png'), img)
        cv2.imwrite(str(tmp_path / f'img{i}_maskfg.png'),
                    fg.astype(np.uint8) * fg_value)
        expected[f'img{i}'] = fg
    # an image without a mask is not a sample; a wrong-size mask is skipped
    cv2.imwrite(str(tmp_path / 'nomask.png'), _scene()[0])
    ds = DATASETS.build(
        dict(type='TextSegDataset', data_root=str(tmp_path), pipeline=[]))
    assert len(ds) == 3
    for i in range(3):
        r = ds[i]
        assert np.array_equal(r['gt_seg_map'],
                              expected[r['image_id']].astype(np.uint8))
    cv2.imwrite(str(tmp_path / 'img1_maskfg.png'), np.zeros((5, 5),
                                                            np.uint8))
    ds = DATASETS.build(
        dict(type='TextSegDataset', data_root=str(tmp_path), pipeline=[]))
    assert ds[1]['image_id'] == 'img2'  # img1 skipped, next one served
    assert ds.skips.counts['size_mismatch'] == 1


def test_crop_word_quad_rectifies():
    img, fg = _scene()
    mask = fg.astype(np.uint8)
    quad = [55, 22, 94, 22, 94, 34, 55, 34]
    img_c, mask_c = crop_word(img, mask, quad, mode='quad')
    assert img_c.shape[:2] == mask_c.shape == (12, 39)
    assert (mask_c == 1).all()


# --------------------------------------------------------------------- #
# pipeline + model
# --------------------------------------------------------------------- #
def _synth_batch(n=4, test=False):
    cfg = Config.fromfile(config_path(SEG_CFG))
    pipeline = cfg.synth_test_pipeline if test else [
        dict(type='FgMaskToSegMap'),
        dict(type='Resize', scale=(128, 32), keep_ratio=False),
        dict(type='PackTextSegInputs')
    ]
    ds = DATASETS.build(
        dict(type='SynthWordDataset', num_samples=n, with_fg_mask=True,
             pipeline=pipeline))
    return [ds[i] for i in range(n)]


def test_packing_keeps_original_mask_for_evaluation():
    data = _synth_batch(2, test=True)
    s = data[0]['data_samples']
    assert data[0]['inputs'].shape == (3, 32, 128)
    assert s.gt_sem_seg.shape == (32, 128)
    h, w = s.metainfo['ori_shape']
    assert s.ori_gt_sem_seg.shape == (h, w) and (h, w) != (32, 128)
    assert set(s.ori_gt_sem_seg.data.unique().tolist()) <= {0, 1}


def _tiny_model(cfg_rel=SEG_CFG, checkpoint=None):
    cfg = Config.fromfile(config_path(cfg_rel))
    tiny_backbone(cfg, checkpoint)
    cfg.model.decode_head.update(embed_dims=32, num_blocks=1, num_heads=2)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.mark.parametrize('cfg_rel', [SEG_CFG, TEXTSEG_CFG])
def test_configs_load_pretrained_backbone(tmp_path, cfg_rel):
    ckpt = str(tmp_path / 'mms.pth')
    expected = save_tiny_backbone(ckpt)
    model = _tiny_model(cfg_rel, ckpt)
    assert_backbone_loaded(model.backbone, expected)


def test_model_modes_and_prediction_size():
    torch.manual_seed(0)
    model = _tiny_model()
    data = model.data_preprocessor(pseudo_collate(_synth_batch(3, True)))
    logits = model(**data, mode='tensor')
    assert logits.shape == (3, 2, 32, 128)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_seg'} and losses['loss_seg'] > 0
    preds = model(**data, mode='predict')
    for s in preds:
        assert s.pred_sem_seg.shape == s.ori_gt_sem_seg.shape


def test_loss_ignores_ignore_pixels():
    """With part of the pixels set to the ignore label, the loss is the
    (class-weighted) cross-entropy of the other pixels alone, computed here
    by hand from the logits; all ignored gives a zero loss that still
    backpropagates."""
    torch.manual_seed(0)
    model = _tiny_model().eval()  # deterministic: loss and logits agree
    data = model.data_preprocessor(pseudo_collate(_synth_batch(2)))
    samples = data['data_samples']
    with torch.no_grad():
        logits = model(**data, mode='tensor')
    target = torch.stack([s.gt_sem_seg.data for s in samples]).squeeze(1)
    target = target.long()
    assert set(target.unique().tolist()) == {0, 1}

    def loss_with(labels):
        for s, lab in zip(samples, labels):
            s.gt_sem_seg.data[0] = lab
        return model(**data, mode='loss')['loss_seg']

    def by_hand(keep):
        nll = -logits.log_softmax(1).gather(1, target[:, None])[:, 0]
        w = torch.ones(2) if model.class_weight is None else \
            model.class_weight.float()
        w = w[target]
        return (w * nll)[keep].sum() / w[keep].sum() * model.loss_weight

    everything = torch.ones_like(target, dtype=torch.bool)
    with torch.no_grad():
        base = loss_with(target)
        torch.testing.assert_close(base, by_hand(everything))
        g = torch.Generator().manual_seed(0)
        ignored = torch.rand(target.shape, generator=g) < 0.5
        partial = loss_with(target.masked_fill(ignored, 255))
        torch.testing.assert_close(partial, by_hand(~ignored))
        assert not torch.isclose(partial, base)
    # all ignored: zero, and the graph stays alive
    zero = loss_with(torch.full_like(target, 255))
    assert zero.item() == 0. and zero.requires_grad and base > 0


def test_a_few_steps_learn_text_masks():
    """30 AdamW steps on 4 synthetic words lift the training fgIoU well
    above the untrained model's (loss, head and pipeline fit together)."""
    torch.manual_seed(0)
    model = _tiny_model()
    batch = model.data_preprocessor(pseudo_collate(_synth_batch(4)), True)
    metric = METRICS.build(dict(type='TextSegMetric'))

    def fg_iou():
        model.eval()
        with torch.no_grad():
            metric.process({}, model(**batch, mode='predict'))
        model.train()
        return metric.evaluate(4)['textseg/fgIoU']

    before = fg_iou()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
    for _ in range(30):
        loss = model(**batch, mode='loss')['loss_seg']
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = fg_iou()
    assert after > max(0.35, before + 0.15), (before, after)


# --------------------------------------------------------------------- #
# end to end with the runner
# --------------------------------------------------------------------- #
def _fg_and_valid_pixels(dataset_cfg):
    """Text and non-ignored pixels of a dataset's evaluation masks."""
    ds = DATASETS.build(dataset_cfg)
    fg = valid = 0
    for i in range(len(ds)):
        s = ds[i]['data_samples']
        gt = (s.ori_gt_sem_seg if 'ori_gt_sem_seg' in s else s.gt_sem_seg)
        gt = gt.data
        fg += int((gt == 1).sum())
        valid += int((gt != 255).sum())
    assert 0 < fg <= valid
    return fg, valid


def _check_evaluation_on_constant_predictions(runner, evaluate, dataset_cfg):
    """The config's evaluation (loop, resizing to the evaluation size,
    metric) on a model whose logits say 'all text', then 'all background':
    the scores follow from the pixel counts of the masks alone."""
    fg, valid = _fg_and_valid_pixels(dataset_cfg)

    def constant(text):
        def forward_logits(inputs):
            n, _, h, w = inputs.shape
            logits = torch.zeros(n, 2, h, w)
            logits[:, 1 if text else 0] = 1.
            return logits
        return forward_logits

    runner.model.forward_logits = constant(text=True)
    m = evaluate()
    p = fg / valid  # every valid pixel predicted text: tp = fg, fp = bg
    assert m['textseg/fgIoU'] == pytest.approx(p)
    assert m['textseg/precision'] == pytest.approx(p)
    assert m['textseg/recall'] == pytest.approx(1.)
    assert m['textseg/Fscore'] == pytest.approx(2 * p / (p + 1))
    if fg < valid:  # (word crops of the fake TextSeg are all text)
        assert m['textseg/mIoU'] == pytest.approx(p / 2)  # bgIoU 0
    runner.model.forward_logits = constant(text=False)
    m = evaluate()
    assert m['textseg/fgIoU'] == 0. and m['textseg/recall'] == 0.
    assert m['textseg/precision'] == 0.  # no text predicted, some exists
    assert m['textseg/mIoU'] == pytest.approx((1 - p) / 2)
    del runner.model.forward_logits


def test_train_and_evaluate_synthetic_config(tmp_path, monkeypatch):
    cfg = Config.fromfile(config_path(SEG_CFG))
    ckpt = str(tmp_path / 'mms.pth')
    save_tiny_backbone(ckpt)
    tiny_backbone(cfg, ckpt)
    cfg.model.decode_head.update(embed_dims=32, num_blocks=1, num_heads=2)
    cfg.train_dataloader.dataset.num_samples = 16
    cfg.val_dataloader.dataset.num_samples = 8
    runner = tiny_runner(cfg, str(tmp_path / 'work'), 4, monkeypatch)
    runner.train()
    _check_evaluation_on_constant_predictions(
        runner, runner.val, cfg.val_dataloader.dataset)


def test_train_and_evaluate_textseg_config_on_fake_folder(tmp_path,
                                                         monkeypatch):
    root = tmp_path / 'TextSeg'
    _write_official(root)
    cfg = Config.fromfile(config_path(TEXTSEG_CFG))
    tiny_backbone(cfg, None)
    cfg.model.decode_head.update(embed_dims=32, num_blocks=1, num_heads=2)
    for dl in (cfg.train_dataloader, cfg.val_dataloader,
               cfg.test_dataloader):
        dl.dataset.data_root = str(root)
    runner = tiny_runner(cfg, str(tmp_path / 'work'), 2, monkeypatch,
                         batch_size=2)
    runner.train()
    _check_evaluation_on_constant_predictions(
        runner, runner.test, cfg.test_dataloader.dataset)
