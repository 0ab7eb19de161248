"""A stock MMOCR recognizer config (inherited with `mmocr::`) builds and
computes a loss on batches from our datasets, on mmcv-lite."""
import math

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmocr.registry import DATASETS, MODELS


def _crnn_cfg(tmp_path):
    path = tmp_path / 'crnn_stock.py'
    path.write_text("_base_ = ['mmocr::textrecog/crnn/_base_crnn_mini-vgg.py']\n")
    return Config.fromfile(str(path))


def _loss_on(cfg, dataset):
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    batch = pseudo_collate([dataset[i] for i in range(4)])
    data = model.data_preprocessor(batch, training=True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    return float(total)


def test_stock_crnn_on_synthetic_words(tmp_path):
    cfg = _crnn_cfg(tmp_path)
    # the stock pipeline loads from file; synthetic words arrive decoded,
    # so drop LoadImageFromFile and convert to gray like it would
    pipeline = [dict(type='LoadOCRAnnotations', with_text=True),
                dict(type='Resize', scale=(100, 32), keep_ratio=False),
                dict(type='PackTextRecogInputs',
                     meta_keys=('img_path', 'ori_shape', 'img_shape',
                                'valid_ratio'))]
    cfg.model.backbone.input_channels = 3
    cfg.model.data_preprocessor.mean = [127, 127, 127]
    cfg.model.data_preprocessor.std = [127, 127, 127]
    ds = DATASETS.build(dict(type='SynthWordDataset', num_samples=8,
                             labelled=True, pipeline=pipeline))
    loss = _loss_on(cfg, ds)
    assert math.isfinite(loss) and loss > 0


def test_stock_crnn_on_real_tsv(tmp_path, str_real_root):
    cfg = _crnn_cfg(tmp_path)
    ds = DATASETS.build(dict(type='TSVTextRecogDataset',
                             data_root=f'{str_real_root}/svt_train',
                             pipeline=cfg.train_pipeline))
    loss = _loss_on(cfg, ds)
    assert math.isfinite(loss) and loss > 0
