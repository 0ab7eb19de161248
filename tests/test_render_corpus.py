"""Pre-rendered corpora (render_lmdb / tools/dataset_converters/
render_words.py), LabelledLMDBDataset, MixedSourceSampler,
ApplyTextLabelRule."""
import itertools
import os
import subprocess
import sys
from pathlib import Path

import cv2
import lmdb
import numpy as np
import pytest

from mmocr_mms.datasets import (LabelledLMDBDataset, MixedSourceSampler,
                                UnlabeledLMDBDataset)
from mmocr_mms.datasets.render_corpus import render_lmdb
from mmocr_mms.datasets.synth_render import WordRenderer, dejavu_font_paths

ROOT = Path(__file__).resolve().parents[1]
# Small, fast renderer: three DejaVu faces, builtin lexicon.
RENDERER = dict(fonts=dejavu_font_paths()[:3], lexicon='builtin')


def _read(path):
    env = lmdb.open(str(path), readonly=True, lock=False)
    with env.begin() as txn:
        items = dict(txn.cursor())
    env.close()
    return items


def test_writes_the_renderer_samples_in_order(tmp_path, capsys):
    out = tmp_path / 'corpus'
    stats = render_lmdb(str(out), 12, seed=3, renderer=RENDERER, workers=1,
                        image_format='png', chunk=5)
    assert (stats['written'], stats['total'], stats['failed']) == (12, 12, 0)
    items = _read(out)
    assert items[b'num-samples'] == b'12'
    r = WordRenderer(**RENDERER)
    for i in range(12):
        img, text, _ = r.render(3, i)
        got = cv2.imdecode(np.frombuffer(items[b'image-%09d' % (i + 1)],
                                         np.uint8), cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(got, img)  # PNG: lossless
        assert items[b'label-%09d' % (i + 1)].decode() == text
    # the progress bar was shown
    assert 'rendering corpus' in capsys.readouterr().err


def test_same_corpus_with_any_number_of_workers(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    render_lmdb(str(a), 20, renderer=RENDERER, workers=1, chunk=4,
                progress=False)
    render_lmdb(str(b), 20, renderer=RENDERER, workers=2, chunk=4,
                progress=False)
    assert _read(a) == _read(b)


def test_interrupted_run_resumes_to_the_same_corpus(tmp_path):
    full, part = tmp_path / 'full', tmp_path / 'part'
    render_lmdb(str(full), 23, renderer=RENDERER, workers=1, chunk=5,
                progress=False)

    def stop(done):
        if done >= 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_lmdb(str(part), 23, renderer=RENDERER, workers=2, chunk=5,
                    progress=False, on_chunk=stop)
    assert _read(part)[b'num-samples'] == b'10'  # committed chunks only
    stats = render_lmdb(str(part), 23, renderer=RENDERER, workers=2,
                        chunk=5, progress=False)
    assert (stats['resumed_from'], stats['written']) == (10, 13)
    assert _read(part) == _read(full)
    # asking for fewer samples than exist writes nothing
    assert render_lmdb(str(part), 5, renderer=RENDERER,
                       progress=False)['written'] == 0


def test_refuses_to_mix_corpora(tmp_path):
    out = tmp_path / 'c'
    render_lmdb(str(out), 4, seed=0, renderer=RENDERER, workers=1,
                progress=False)
    with pytest.raises(ValueError, match='other arguments'):
        render_lmdb(str(out), 8, seed=1, renderer=RENDERER, workers=1,
                    progress=False)
    with pytest.raises(ValueError, match='num'):
        render_lmdb(str(tmp_path / 'd'), 0, renderer=RENDERER)
    with pytest.raises(ValueError, match='image_format'):
        render_lmdb(str(tmp_path / 'd'), 3, renderer=RENDERER,
                    image_format='gif')


def test_bad_font_skipped_and_counted(tmp_path):
    bad = tmp_path / 'html.ttf'
    bad.write_bytes(b'<!doctype html><html></html>')
    renderer = dict(RENDERER, fonts=RENDERER['fonts'] + [str(bad)])
    with pytest.warns(UserWarning, match='skipped 1 of 4 fonts'):
        stats = render_lmdb(str(tmp_path / 'c'), 6, renderer=renderer,
                            workers=1, progress=False)
    assert stats['skipped_fonts'] == 1 and stats['total'] == 6


def test_unlabelled_corpus_and_datasets(tmp_path):
    out = tmp_path / 'u'
    render_lmdb(str(out), 5, renderer=RENDERER, workers=1, labelled=False,
                progress=False)
    assert not any(k.startswith(b'label-') for k in _read(out))
    ds = UnlabeledLMDBDataset(data_root=str(out), pipeline=[])
    assert len(ds) == 5 and ds[0]['img'].ndim == 3
    lab = tmp_path / 'l'
    render_lmdb(str(lab), 5, seed=2, renderer=RENDERER, workers=1,
                progress=False)
    ds = LabelledLMDBDataset(data_root=str(lab), pipeline=[])
    r = WordRenderer(**RENDERER)
    assert [ds[i]['instances'][0]['text'] for i in range(5)] == \
        [r.render(2, i)[1] for i in range(5)]
    with pytest.raises(ValueError, match='label_key'):
        LabelledLMDBDataset(data_root=str(lab), label_key='label')


def test_command_line_tool(tmp_path):
    out = tmp_path / 'cli'
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, 'tools/dataset_converters/render_words.py',
           str(out), '--num', '7', '--workers', '1', '--renderer',
           '{"lexicon": "builtin"}']
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    assert '7 samples (7 new, resumed from 0)' in proc.stdout
    assert 'rendering cli' in proc.stderr  # tqdm progress bar
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    assert '7 samples (0 new, resumed from 7)' in proc.stdout


# -- MixedSourceSampler ---------------------------------------------------
class _Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


class _Concat:
    def __init__(self, *sizes):
        self.datasets = [_Sized(n) for n in sizes]


def test_mixed_sampler_fractions_and_passes():
    s = MixedSourceSampler(_Concat(10, 1000), [0.4, 0.6], seed=0)
    draws = list(itertools.islice(iter(s), 5000))
    small = [i for i in draws if i < 10]
    assert abs(len(small) / 5000 - 0.4) < 0.03
    # the small source is walked in whole shuffled passes
    for k in range(0, len(small) - 10, 10):
        assert sorted(small[k:k + 10]) == list(range(10))
    assert all(10 <= i < 1010 for i in draws if i >= 10)
    assert draws == list(itertools.islice(iter(s), 5000))  # deterministic


def test_mixed_sampler_ranks_split_the_stream(monkeypatch):
    import mmocr_mms.datasets.samplers as mod
    single = list(itertools.islice(
        iter(MixedSourceSampler(_Concat(7, 50), [1, 1], seed=5)), 40))
    parts = []
    for rank in (0, 1):
        monkeypatch.setattr(mod, 'get_dist_info', lambda r=rank: (r, 2))
        s = MixedSourceSampler(_Concat(7, 50), [1, 1], seed=5)
        parts.append(list(itertools.islice(iter(s), 20)))
    assert parts[0] == single[0::2] and parts[1] == single[1::2]


@pytest.mark.parametrize('weights, match', [
    ([1.0], 'one per source'), ([-1, 2], 'non-negative'), ([0, 0], 'sum')])
def test_mixed_sampler_rejects_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        MixedSourceSampler(_Concat(3, 4), weights, seed=0)
    with pytest.raises(ValueError, match='ConcatDataset'):
        MixedSourceSampler(_Sized(3), [1.0], seed=0)


# -- ApplyTextLabelRule / frames per column -------------------------------
def test_apply_text_label_rule():
    from mmocr_mms.datasets.transforms import ApplyTextLabelRule
    t = ApplyTextLabelRule(dict(text_mode='normalized', max_len=5))
    assert t(dict(instances=[dict(text="Don't-$5")]))['instances'][0][
        'text'] == 'dont5'
    assert t(dict(instances=[dict(text='!?')])) is None        # empty
    assert t(dict(instances=[dict(text='abcdefgh')])) is None  # too long


def test_column_pool_frames_per_column_order():
    import torch

    from mmocr_mms.models.textrecog.encoders import ViTColumnPoolEncoder
    enc = ViTColumnPoolEncoder(in_channels=4, out_channels=3,
                               frames_per_column=2, init_cfg=None)
    feat = torch.randn(2, 4, 3, 5)
    out = enc(feat)
    assert out.shape == (2, 3, 1, 10)
    proj = enc.proj(feat.mean(2).transpose(1, 2))  # (2, 5, 6)
    # frame 2*i + j is the j-th half of column i's projection
    torch.testing.assert_close(out[:, :, 0, 2 * 1 + 1], proj[:, 1, 3:])
    torch.testing.assert_close(out[:, :, 0, 2 * 4], proj[:, 4, :3])
    with pytest.raises(ValueError, match='frames_per_column'):
        ViTColumnPoolEncoder(in_channels=4, frames_per_column=0)


def test_loop_benchmark_runs(str_real_root):
    """The loop and per-transform benchmarks run on the recipe config (tiny
    batch) and report consistent figures."""
    from mmocr_mms.benchmarks.finetune_loop import (finetune_loop,
                                                    step_precision,
                                                    transform_costs)
    cfg = ROOT / ('configs/textrecog/svtr/'
                  'svtr_text-vit-mini-p8_20k-iters_str-real-synth.py')
    opts = {'model.backbone.init_cfg': None,
            'train_dataloader.batch_size': 4,
            'train_dataloader.num_workers': 0,
            'train_dataloader.persistent_workers': False,
            'train_dataloader.dataset.datasets.0.data_root': str_real_root}
    r = finetune_loop(str(cfg), iters=2, warmup=1, cfg_options=opts)
    assert r['batch_size'] == 4 and r['iters'] == 2
    assert r['step_img_per_s'] > 0 and r['loop_img_per_s'] > 0
    assert r['loop_over_step'] == pytest.approx(
        r['loop_img_per_s'] / r['step_img_per_s'])
    assert 0 < r['data_wait_fraction'] < 1  # workers=0: loading is waited
    rows = transform_costs(str(cfg), num=3, cfg_options=opts)
    sources = {(x['source'], x['transform']) for x in rows}
    assert ('TSVSplitsDataset', 'LoadImageFromFile') in sources
    assert ('SynthWordDataset', 'load') in sources
    assert ('SynthWordDataset', 'ApplyTextLabelRule') in sources
    assert all(x['us_per_img'] > 0 for x in rows)
    r = step_precision(str(cfg), iters=1, warmup=1, rounds=1,
                       cfg_options=opts)
    assert r['fp32_img_per_s'] > 0 and r['bf16_img_per_s'] > 0
    assert r['bf16_over_fp32'] == pytest.approx(
        r['bf16_img_per_s'] / r['fp32_img_per_s'])


def test_column_pool_concat_keeps_rows():
    import torch

    from mmocr_mms.models.textrecog.encoders import ViTColumnPoolEncoder
    enc = ViTColumnPoolEncoder(in_channels=2, out_channels=3, pool='concat',
                               height=4, init_cfg=None)
    assert enc.proj.in_features == 8
    feat = torch.randn(1, 2, 4, 5)
    # channel-major stacking: input feature c * h + row of column j
    expected = enc.proj(feat.reshape(1, 8, 5).transpose(1, 2))
    torch.testing.assert_close(enc(feat)[:, :, 0].transpose(1, 2), expected)
    # swapping two rows changes the output (a mean would not)
    swapped = feat[:, :, [1, 0, 2, 3]]
    assert not torch.allclose(enc(swapped), enc(feat))
    with pytest.raises(ValueError, match='rows'):
        enc(torch.randn(1, 2, 3, 5))
    with pytest.raises(ValueError, match='height'):
        ViTColumnPoolEncoder(in_channels=2, pool='concat')
