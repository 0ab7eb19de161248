"""Evaluation fast path of mmocr_mms.evaluation.recog_benchmarks: cheap
dataset construction, CPU-side postprocessing with unchanged predictions."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

from mmocr_mms.evaluation.recog_benchmarks import (_predict,
                                                   benchmark_dataset_cfg,
                                                   evaluate_dataset)
from test_cached_decoder import NRTR_BASE
from test_inference import _repo_config


def _tiny(kind):
    if kind == 'ctc':
        cfg = Config.fromfile(_repo_config(
            'svtr_text-vit-demo_3e_str-real.py')).model
        cfg.decoder.in_channels = 32
    else:
        cfg = Config.fromfile(NRTR_BASE).model
        cfg.decoder.update(n_layers=1, d_model=32, d_embedding=32, n_head=2,
                           d_k=16, d_v=16, d_inner=64, max_seq_len=8)
    cfg.backbone.update(arch=dict(embed_dims=32, num_layers=1, num_heads=2),
                        init_cfg=None)
    cfg.encoder.in_channels = 32
    torch.manual_seed(0)
    return MODELS.build(cfg).eval()


@pytest.mark.parametrize('kind', ['ctc', 'nrtr'])
def test_fast_predict_equals_test_step(kind):
    model = _tiny(kind)
    samples = []
    for _ in range(3):
        s = TextRecogDataSample()
        s.set_metainfo(dict(valid_ratio=1.0, img_shape=(32, 128)))
        samples.append(s)
    gen = torch.Generator().manual_seed(1)
    batch = dict(inputs=list((torch.rand(3, 3, 32, 128, generator=gen) *
                              255).to(torch.uint8)), data_samples=samples)
    with torch.no_grad():
        ref = model.test_step(copy.deepcopy(batch))
        fast = _predict(model, copy.deepcopy(batch))
    assert [s.pred_text.item for s in fast] == \
        [s.pred_text.item for s in ref]
    assert any(s.pred_text.item for s in ref)
    for a, b in zip(fast, ref):
        assert list(a.pred_text.score) == pytest.approx(
            list(b.pred_text.score), abs=1e-6)


def test_benchmark_dataset_is_not_serialized(tmp_path):
    (tmp_path / 'labels.tsv').write_text('IMG/a.png\tab\n')
    cfg = benchmark_dataset_cfg(str(tmp_path), [], None)
    assert cfg['serialize_data'] is False and cfg['test_mode'] is True


def test_evaluate_dataset_argument_errors():
    model = _tiny('ctc')
    with pytest.raises(ValueError, match='batch_size'):
        evaluate_dataset(model, [], batch_size=0)
    with pytest.raises(ValueError, match='num_workers'):
        evaluate_dataset(model, [], num_workers=-1)
