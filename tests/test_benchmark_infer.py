"""tools/benchmark_infer.py and mmocr_mms.benchmarks.peer on a tiny CTC
model and a few generated crops (the PP-OCR peer only when rapidocr is
installed)."""
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from test_inference import write_crops, write_tiny_ctc

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _tool():
    spec = importlib.util.spec_from_file_location(
        '_tool_benchmark_infer', osp.join(ROOT, 'tools',
                                          'benchmark_infer.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _bench(folder, labels, seed):
    paths = write_crops(osp.join(folder, 'IMG'), n=len(labels), seed=seed)
    with open(osp.join(folder, 'labels.tsv'), 'w') as f:
        for p, t in zip(paths, labels):
            f.write(f'IMG/{osp.basename(p)}\t{t}\n')
    return folder


def test_normalize_accuracy_and_loading(tmp_path):
    from mmocr_mms.benchmarks.peer import (load_benchmark, normalize,
                                           word_accuracy)
    assert normalize('Ca-FE 2!') == 'cafe2'
    assert word_accuracy(['CAFE', 'x', 'b.c'], ['cafe!', 'y', 'BC']) == \
        pytest.approx(2 / 3)
    with pytest.raises(ValueError, match='predictions'):
        word_accuracy(['a'], ['a', 'b'])
    folder = _bench(str(tmp_path / 'b'), ['Hello', '...', 'w0rd', 'x'], 0)
    crops, labels, skipped = load_benchmark(folder)
    assert labels == ['Hello', 'w0rd', 'x'] and skipped == 1
    assert all(c.dtype == np.uint8 and c.shape[2] == 3 for c in crops)
    np.testing.assert_array_equal(
        crops[1], cv2.imread(osp.join(folder, 'IMG', '02.jpg')))
    assert len(load_benchmark(folder, max_crops=2)[0]) == 2


def test_measure_latency_counts_batches():
    from mmocr_mms.benchmarks.peer import measure_latency

    class Reader:
        calls = []

        def readtext(self, crops, batch_size):
            self.calls.append(len(crops))
            return [('', 0.0)] * len(crops)

    r = Reader()
    res = measure_latency(r, [np.zeros((4, 4, 3), np.uint8)] * 5, 3,
                          num_batches=4)
    assert r.calls == [3] * 5  # warm-up + 4 timed, crops reused cyclically
    assert res['ms_per_crop'] == pytest.approx(res['ms_per_batch'] / 3)
    assert res['crops_per_s'] > 0 and res['cpu_ms_per_crop'] >= 0


def test_benchmark_tool_ours_pytorch_and_onnx(tmp_path, capsys):
    pytest.importorskip('onnxruntime')
    cfg, ckpt, model = write_tiny_ctc(str(tmp_path), seed=1)
    a = _bench(str(tmp_path / 'a'), ['ab', 'cd', 'ef'], 1)
    b = _bench(str(tmp_path / 'b'), ['gh', '!!', 'ij'], 2)
    out_json, out_png = str(tmp_path / 'r.json'), str(tmp_path / 'r.png')
    rows = _tool().main([
        cfg, ckpt, '--benchmarks', a, b, '--names', 'A', 'B', '--batch',
        '1', '2', '--threads', '1', '--num-batches', '1', '--no-peer',
        '--json', out_json, '--plot', out_png, '--label', 'tiny'])
    text = capsys.readouterr().out
    assert [(r['recognizer'], r['batch']) for r in rows] == [
        ('tiny (PyTorch)', 1), ('tiny (PyTorch)', 2),
        ('tiny (onnxruntime)', 1), ('tiny (onnxruntime)', 2)]
    # accuracy per benchmark (B: the empty label skipped); both backends
    # decode identically, so their accuracies match
    assert all(set(r['accuracy']) == {'A', 'B'} for r in rows)
    assert rows[0]['accuracy'] == rows[2]['accuracy']
    assert rows[0]['accuracy_batch'] == 32
    assert 'tiny (onnxruntime)' in text and 'ms/crop' in text
    with open(out_json) as f:
        res = json.load(f)
    assert res['benchmarks'] == dict(A=dict(n=3, skipped_empty=0),
                                     B=dict(n=2, skipped_empty=1))
    assert osp.getsize(out_png) > 1000
    # rows of an earlier run are added to the table (and the plot)
    rows2 = _tool().main([
        cfg, ckpt, '--benchmarks', a, b, '--names', 'A', 'B', '--batch',
        '1', '--threads', '1', '--num-batches', '1', '--no-peer',
        '--no-accuracy', '--include-json', out_json, '--plot', out_png])
    assert len(rows2) == 2 + 4
    assert rows2[2]['recognizer'].startswith('tiny (PyTorch) [')
    assert rows2[2]['accuracy'] == rows[0]['accuracy']


def test_benchmark_tool_arguments():
    tool = _tool()
    with pytest.raises(SystemExit):
        tool.parse_args(['cfg.py'])  # neither checkpoint nor random
    with pytest.raises(SystemExit):
        tool.parse_args(['--no-ours', '--benchmarks', 'a', '--names', 'A',
                         'B'])
    args = tool.parse_args(['cfg.py', '--random-weights'])
    assert args.batch == [1, 32] and args.threads == [1, 2]


def test_benchmark_tool_random_weights_latency_only(tmp_path, capsys):
    pytest.importorskip('onnxruntime')
    cfg, _, _ = write_tiny_ctc(str(tmp_path), seed=1)
    a = _bench(str(tmp_path / 'a'), ['ab', 'cd'], 1)
    rows = _tool().main([
        cfg, '--random-weights', '--benchmarks', a, '--names', 'A',
        '--batch', '1', '--threads', '1', '--num-batches', '1',
        '--no-peer', '--plot', str(tmp_path / 'p.png')])
    assert [r['recognizer'] for r in rows] == [
        'tiny_ctc [random weights] (PyTorch)',
        'tiny_ctc [random weights] (onnxruntime)']
    assert all(r['accuracy'] == {} for r in rows)  # no accuracy
    assert osp.getsize(tmp_path / 'p.png') > 1000  # latency lines only


def test_rapidocr_reader_reads_a_rendered_word():
    pytest.importorskip('rapidocr')
    from mmocr_mms.benchmarks.peer import RapidOCRRecReader
    img = np.full((48, 200, 3), 255, np.uint8)
    cv2.putText(img, 'HELLO', (10, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                (0, 0, 0), 3)
    reader = RapidOCRRecReader(1)
    assert 'rapidocr' in reader.name
    (text, score), = reader.readtext([img], 1)
    assert text == 'HELLO' and 0.5 < score <= 1.0
