"""SynthTIGER adapter (renderer comparison): resources built from our
fonts / text sampler, deterministic samples, MMOCR-layout LMDB that
LabelledLMDBDataset reads. Skipped when SynthTIGER is not installed (it is
optional: requirements/synthtiger.txt)."""
import cv2
import lmdb
import numpy as np
import pytest

from mmocr_mms.datasets.synth_render import dejavu_font_paths

pytest.importorskip(
    'synthtiger', reason='optional SynthTIGER not installed '
    '(pip install -c requirements/constraints.txt '
    '-r requirements/synthtiger.txt)')

from mmocr_mms.benchmarks.synthtiger_engine import (  # noqa: E402
    build_resources, make_template, render_lmdb_synthtiger,
    render_synthtiger)

RENDERER = dict(fonts=dejavu_font_paths()[:3], lexicon='builtin')


@pytest.fixture(scope='module')
def resources(tmp_path_factory):
    root = tmp_path_factory.mktemp('st_res')
    return build_resources(str(root), seed=0, num_texts=40, num_colormaps=10,
                           num_textures=4, renderer=RENDERER)


def test_resources_in_synthtiger_formats(resources):
    assert resources['num_fonts'] == 3
    with open(resources['corpus'], encoding='utf-8') as f:
        texts = f.read().splitlines()
    assert len(texts) == 40 and all(texts)
    with open(resources['colormap'], encoding='utf-8') as f:
        rows = [list(map(float, line.split())) for line in f]
    assert len(rows) == 10
    for g1, s1, g2, s2 in rows:  # k=2: centre std centre std
        assert abs(g1 - g2) >= 50 and s1 > 0 and s2 > 0


def test_adapter_writes_a_readable_deterministic_lmdb(resources, tmp_path):
    from mmocr_mms.datasets import LabelledLMDBDataset
    out = tmp_path / 'st'
    stats = render_lmdb_synthtiger(str(out), 3, resources, seed=5,
                                   image_format='png', chunk=2,
                                   progress=False)
    assert stats['total'] == 3
    env = lmdb.open(str(out), readonly=True, lock=False)
    with env.begin() as txn:
        assert txn.get(b'num-samples') == b'3'
        items = dict(txn.cursor())
    env.close()
    # the same (seed, index) from a fresh template gives the same pixels
    template = make_template(resources)
    with open(resources['corpus'], encoding='utf-8') as f:
        corpus = set(f.read().splitlines())
    for i in range(3):
        img, text = render_synthtiger(template, 5, i)
        got = cv2.imdecode(np.frombuffer(items[b'image-%09d' % (i + 1)],
                                         np.uint8), cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(got, img)  # PNG: lossless
        assert items[b'label-%09d' % (i + 1)].decode() == text
        assert text in corpus
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    # another seed gives another image
    other, _ = render_synthtiger(template, 6, 0)
    first, _ = render_synthtiger(template, 5, 0)
    assert other.shape != first.shape or not np.array_equal(other, first)
    ds = LabelledLMDBDataset(data_root=str(out), pipeline=[])
    assert len(ds) == 3
    sample = ds[1]
    assert sample['instances'][0]['text'] == \
        items[b'label-000000002'].decode()
    img1, _ = render_synthtiger(template, 5, 1)
    np.testing.assert_array_equal(sample['img'], img1)


def test_bad_arguments_name_the_argument(resources, tmp_path):
    with pytest.raises(ValueError, match='num'):
        render_lmdb_synthtiger(str(tmp_path / 'x'), 0, resources)
    with pytest.raises(ValueError, match='curve_prob'):
        make_template(resources, curve_prob=2)
    with pytest.raises(ValueError, match='num_texts'):
        build_resources(str(tmp_path / 'r'), num_texts=0)


def test_renderer_benchmark_reports_both_engines(resources):
    from mmocr_mms.benchmarks.renderers import compare_renderers
    out = compare_renderers(resources, num=2, rounds=2, renderer=RENDERER)
    assert len(out['rounds']) == 2
    for row in out['rounds']:
        assert set(row) == {'ours_wall', 'ours_cpu', 'synthtiger_wall',
                            'synthtiger_cpu'}
        assert all(v > 0 for v in row.values())
    r = out['rounds']
    expected = sorted(x['ours_cpu'] / x['synthtiger_cpu'] for x in r)
    assert out['ratio_cpu'] == (expected[0] + expected[1]) / 2
    with pytest.raises(ValueError, match='rounds'):
        compare_renderers(resources, rounds=0, renderer=RENDERER)
