"""ONNX export of a tiny TextViT + CTC recognizer: onnxruntime parity with
PyTorch (logits, decoded text), dynamic batch, the export and evaluation
tools."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch

from test_inference import write_crops, write_tiny_ctc

ort = pytest.importorskip('onnxruntime')
pytest.importorskip('onnx')

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _load(rel):
    spec = importlib.util.spec_from_file_location(
        '_tool_' + osp.basename(rel)[:-3], osp.join(ROOT, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    from mmocr_mms.deployment import export_ctc_onnx
    d = tmp_path_factory.mktemp('onnx')
    cfg, ckpt, model = write_tiny_ctc(str(d), seed=3)
    out = str(d / 'tiny.onnx')
    info = export_ctc_onnx(cfg, ckpt, out)
    crops = write_crops(str(d / 'crops'), n=5, seed=2)
    return cfg, ckpt, model, out, info, crops


def test_export_shapes_and_dynamic_batch(exported):
    import onnx
    from mmocr_mms.deployment import CTCExportModule, ONNXCTCRecognizer
    cfg, ckpt, model, out, info, _ = exported
    # 32x128 crop, 4x4 patches -> 32 CTC frames; 36 chars + blank + unknown
    assert info['input_size'] == (32, 128)
    assert info['num_frames'] == 32 and info['num_classes'] == 38
    graph = onnx.load(out).graph
    assert [i.name for i in graph.input] == ['image']
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == 'batch'
    rec = ONNXCTCRecognizer(out, cfg, num_threads=1)
    module = CTCExportModule(model).eval()
    rng = np.random.default_rng(0)
    x3 = rng.uniform(0, 255, (3, 3, 32, 128)).astype(np.float32)
    for x in (x3[:1], x3):  # batch 1 and 3 from one graph
        logits, probs = rec.run(x)
        assert logits.shape == (len(x), 32, 38)
        with torch.no_grad():
            t_logits, t_probs = module(torch.from_numpy(x))
        np.testing.assert_allclose(logits, t_logits.numpy(), atol=1e-4)
        np.testing.assert_allclose(probs, t_probs.numpy(), atol=1e-5)
    # a crop's logits do not depend on its batch-mates
    np.testing.assert_allclose(rec.run(x3[:1])[0], rec.run(x3)[0][:1],
                               atol=1e-5)


def test_onnxruntime_decodes_like_pytorch(exported):
    from mmocr_mms.deployment import ONNXCTCRecognizer, compare_with_pytorch
    cfg, _, model, out, _, crops = exported
    rec = ONNXCTCRecognizer(out, cfg)
    res = compare_with_pytorch(model, rec, crops, batch_size=2)
    assert res['n'] == 5 and res['num_text_equal'] == 5
    assert res['mismatches'] == []
    assert res['max_abs_logit_diff'] < 1e-4
    # readtext == MMOCR's own PyTorch inferencer output
    from mmocr.apis import TextRecInferencer
    inf = TextRecInferencer(model=cfg, weights=exported[1], device='cpu')
    preds = inf(crops, progress_bar=False)['predictions']
    got = rec.readtext(crops, batch_size=3)
    assert [t for t, _ in got] == [p['text'] for p in preds]
    assert any(t for t, _ in got)
    for (text, score), p in zip(got, preds):
        if text:
            assert score == pytest.approx(p['scores'], abs=1e-5)


def test_export_tool_verifies(exported, tmp_path, capsys):
    cfg, ckpt, _, _, _, crops = exported
    tool = _load('tools/deployment/export_onnx.py')
    out = str(tmp_path / 'm.onnx')
    rc = tool.main([cfg, ckpt, out, '--verify', osp.dirname(crops[0])])
    text = capsys.readouterr().out
    assert rc == 0 and osp.isfile(out)
    assert 'identical text 5/5 OK' in text
    # an impossible tolerance fails the check
    assert tool.main([cfg, ckpt, out, '--atol', '-1']) == 1


def test_eval_benchmarks_onnxruntime_backend(exported, tmp_path, capsys):
    import cv2
    cfg, ckpt, model, out, _, crops = exported
    bench = tmp_path / 'bench'
    (bench / 'IMG').mkdir(parents=True)
    lines = []
    for i, c in enumerate(crops):
        cv2.imwrite(str(bench / 'IMG' / f'{i}.png'), cv2.imread(c))
        lines.append(f'IMG/{i}.png\tw{i}rd\n')
    (bench / 'labels.tsv').write_text(''.join(lines))
    tool = _load('tools/eval_benchmarks.py')
    tables = []
    for extra in ([ckpt], ['--backend', 'onnxruntime', '--onnx', out,
                           '--threads', '1']):
        tool.main([cfg, *extra, '--benchmarks', str(bench),
                   '--num-workers', '0', '--batch-size', '2'])
        tables.append([line for line in capsys.readouterr().out.splitlines()
                       if line.startswith(('bench', 'average'))
                       and 'crops/s' not in line])
    # header, the benchmark row, the average row: identical
    assert tables[0] == tables[1] and len(tables[0]) == 3
    with pytest.raises(SystemExit):
        tool.parse_args([cfg, '--backend', 'onnxruntime',
                         '--benchmarks', str(bench)])
