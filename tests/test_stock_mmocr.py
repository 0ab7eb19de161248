"""A stock MMOCR recognizer config (inherited with `mmocr::`) builds and
computes a loss on batches from our datasets, on mmcv-lite."""
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmocr.registry import DATASETS, MODELS
from mmocr.structures import TextRecogDataSample


def _crnn_cfg(tmp_path):
    path = tmp_path / 'crnn_stock.py'
    path.write_text("_base_ = ['mmocr::textrecog/crnn/_base_crnn_mini-vgg.py']\n")
    return Config.fromfile(str(path))


WORDS = ['cat', 'dog', 'sun', 'pen', 'ship', 'mole']


def _loss_on(cfg, dataset, zero_classifier=False):
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    if zero_classifier:
        last = [m for m in model.decoder.modules()
                if isinstance(m, torch.nn.Linear)][-1]
        assert last.out_features == model.decoder.dictionary.num_classes
        torch.nn.init.zeros_(last.weight)
        torch.nn.init.zeros_(last.bias)
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
    # words without a repeated neighbouring letter (see below)
    ds = DATASETS.build(dict(
        type='SynthWordDataset', num_samples=8, labelled=True,
        renderer=dict(lexicon=WORDS, random_word_prob=0.0),
        pipeline=pipeline))
    loss = _loss_on(cfg, ds)
    assert math.isfinite(loss) and loss > 0

    # Known value: with the last classifier zeroed every frame is uniform
    # over the K classes, so a label of L letters (no letter repeated next
    # to itself) has C(T + L, 2L) CTC alignments of probability K^-T each.
    # MMOCR's CTC loss averages NLL / L over the batch.
    # (the loss lower-cases labels: letter_case='lower')
    texts = [ds[i]['data_samples'].gt_text.item.lower() for i in range(4)]
    assert set(texts) <= set(WORDS)
    loss = _loss_on(cfg, ds, zero_classifier=True)
    k, t = 37, 26  # 36 characters + blank; MiniVGG: 100 px -> 26 frames
    expected = sum((t * math.log(k) - math.log(math.comb(t + n, 2 * n))) / n
                   for n in map(len, texts)) / len(texts)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_stock_crnn_on_real_tsv(tmp_path, str_real_root):
    cfg = _crnn_cfg(tmp_path)
    ds = DATASETS.build(dict(type='TSVTextRecogDataset',
                             data_root=f'{str_real_root}/svt_train',
                             pipeline=cfg.train_pipeline))
    loss = _loss_on(cfg, ds)
    assert math.isfinite(loss) and loss > 0


README = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'README.md')


def _readme_backbone_snippet() -> str:
    """The config snippet of the README's 'Using the weights in any MMOCR
    config' section."""
    with open(README, encoding='utf-8') as f:
        text = f.read()
    start = text.index('Then, in a config that inherits a stock MMOCR')
    m = re.compile(r'```python\n(.*?)```', re.S).search(text, start)
    return m.group(1)


@pytest.mark.parametrize('base', [
    'mmocr::textrecog/nrtr/nrtr_modality-transform_6e_st_mj.py',
    'mmocr::textrecog/svtr/svtr-tiny_20e_st_mj.py',
])
def test_readme_backbone_swap_normalises_like_pretraining(tmp_path, base):
    """The README snippet on a stock base whose preprocessor differs from
    pretraining's (SVTR: 127.5 / 127.5) or matches it in BGR order (NRTR)
    must give exactly MMS's normalisation."""
    snippet = _readme_backbone_snippet()
    assert snippet.startswith('_base_ = [')
    path = tmp_path / 'swap.py'
    path.write_text(re.sub(r"^_base_ = \[.*?\]", f"_base_ = ['{base}']",
                           snippet, flags=re.M))
    cfg = Config.fromfile(str(path))
    assert cfg.model.backbone.type == 'TextViT'
    pre = MODELS.build(cfg.model.data_preprocessor)
    mms_pre = MODELS.build(dict(
        type='MMS',
        backbone=dict(type='TextViT', arch=dict(
            embed_dims=32, num_layers=1, num_heads=2, mlp_ratio=2)),
        decoder=dict(type='MIMPixelDecoder', embed_dims=32, num_layers=1,
                     num_heads=2, mlp_ratio=2))).data_preprocessor
    # one BGR pixel (b, g, r) = (10, 100, 200), as an image is loaded
    img = torch.tensor([10, 100, 200], dtype=torch.uint8).view(3, 1, 1)
    img = img.expand(3, 4, 4).contiguous()
    sample = TextRecogDataSample(metainfo=dict(valid_ratio=1.0,
                                               img_shape=(4, 4)))
    batch = dict(inputs=[img], data_samples=[sample])
    out = pre(batch)['inputs'][0, :, 0, 0]
    expected = torch.tensor([(200 - 123.675) / 58.395,
                             (100 - 116.28) / 57.12,
                             (10 - 103.53) / 57.375])
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(mms_pre(batch)['inputs'][0, :, 0, 0],
                               expected)
