"""Linear CTC probe on frozen features (mmocr_mms.evaluation.probe) and the
equal-budget experiment (mmocr_mms.experiments.mms_vs_mae, command line in
tools/experiments/mms_vs_mae.py), issue 9.

Tiny models and a few synthetic words only; the whole file runs in well
under a minute on 2 CPU cores.
"""
import contextlib
import importlib.util
import json
import math
import os.path as osp

import pytest
import torch
from mmocr.registry import DATASETS, MODELS, TRANSFORMS

from mmocr_mms.experiments import mms_vs_mae as lib
from mmocr_mms.evaluation.probe import (LinearCTCProbe, extract_features,
                                        normalize_label, probe_pipeline,
                                        probe_predict, probe_word_accuracy,
                                        train_probe)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
LEXICON = ['cat', 'dog', 'sun', 'red', 'box', 'pen']


@contextlib.contextmanager
def one_thread():
    """Tiny ops are much faster (and steadier) on one thread."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def load_driver():
    path = osp.join(ROOT, 'tools', 'experiments', 'mms_vs_mae.py')
    spec = importlib.util.spec_from_file_location('mms_vs_mae', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def word_dataset(num=64, seed=0):
    return DATASETS.build(dict(
        type='SynthWordDataset', num_samples=num, seed=seed, labelled=True,
        renderer=dict(lexicon=LEXICON, random_word_prob=0.0),
        pipeline=probe_pipeline(from_file=False)))


def tiny_vit(dims=128, layers=2, seed=0):
    torch.manual_seed(seed)
    return MODELS.build(dict(
        type='TextViT', arch=dict(embed_dims=dims, num_layers=layers,
                                  num_heads=2), img_size=(32, 128),
        patch_size=4))


@pytest.fixture(scope='module')
def word_feats():
    with one_thread():
        return extract_features(tiny_vit(), word_dataset(), batch_size=32)


def test_features_shape_and_labels(word_feats):
    feats, labels = word_feats
    assert feats.shape == (64, 128, 32) and feats.dtype == torch.float32
    assert len(labels) == 64
    assert {normalize_label(t) for t in labels} <= set(LEXICON)


def test_probe_learns_above_chance(word_feats):
    """Random-init frozen encoder, 6-word lexicon: chance of an exact
    3-letter greedy decode is ~0; the probe fits its training words."""
    feats, labels = word_feats
    with one_thread():
        probe = train_probe(feats, labels, epochs=1500, lr=3e-2,
                            batch_size=64, seed=0)
    acc = probe_word_accuracy(probe, feats, labels)
    assert acc > 0.5, (acc, probe.train_stats)
    assert probe.train_stats['kept'] == 64


def test_probe_deterministic(word_feats):
    feats, labels = word_feats
    with one_thread():
        a = train_probe(feats, labels, epochs=3, lr=1e-2, batch_size=16,
                        seed=3)
        b = train_probe(feats, labels, epochs=3, lr=1e-2, batch_size=16,
                        seed=3)
        c = train_probe(feats, labels, epochs=3, lr=1e-2, batch_size=16,
                        seed=4)
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k
    assert not torch.equal(a.fc.weight, c.fc.weight)


def test_feature_cache_roundtrip(tmp_path):
    ds = word_dataset(num=6)
    cache = str(tmp_path / 'sub' / 'feats.pt')
    with one_thread():
        feats, labels = extract_features(tiny_vit(32, 1), ds, cache=cache)
    assert osp.isfile(cache)

    class Boom(torch.nn.Module):
        def forward(self, x):
            raise AssertionError('the cache must be used')

    feats2, labels2 = extract_features(Boom(), ds, cache=cache)
    assert torch.equal(feats, feats2) and labels == labels2
    # a DataLoader gives the same features as the dataset
    from mmengine.dataset import pseudo_collate
    loader = torch.utils.data.DataLoader(ds, batch_size=4,
                                         collate_fn=pseudo_collate)
    with one_thread():
        feats3, labels3 = extract_features(tiny_vit(32, 1), loader)
    assert torch.allclose(feats, feats3, atol=1e-5) and labels == labels3


def test_label_normalisation_and_skips():
    assert normalize_label('Hello, World!') == 'helloworld'
    feats = torch.randn(5, 8, 6)
    # 'aab' needs 4 frames (blank between the a's), 'abcdefg' needs 7 > 6
    labels = ['A-b', '!!', 'aab', 'abcdefg', 'x1']
    probe = train_probe(feats, labels, epochs=1, lr=1e-3, seed=0)
    assert probe.train_stats == dict(
        kept=3, skipped_empty=1, skipped_too_long=1,
        final_loss=probe.train_stats['final_loss'])
    # greedy decode: repeats merged, blanks dropped; accuracy ignores case
    # and symbols and leaves out labels empty after normalisation
    probe = LinearCTCProbe(2, charset='ab')
    seq = [1, 1, 0, 1, 2, 2]  # -> 'aab'
    logits = torch.full((1, 6, 3), -10.0)
    logits[0, torch.arange(6), seq] = 10.0
    probe.forward = lambda f: logits.expand(f.shape[0], -1, -1)
    feats = torch.zeros(3, 2, 6)
    assert probe_predict(probe, feats) == ['aab'] * 3
    assert probe_word_accuracy(probe, feats, ['A-A-B', 'ab', '%']) == 0.5


def test_driver_arguments_and_arm_configs(monkeypatch, tmp_path):
    drv = load_driver()
    monkeypatch.setenv('MMOCR_MMS_STR_REAL', '/data/str')
    args = drv.parse_args(['--arch', 'tiny', '--iters', '10', '--seeds',
                           '0', '1', '--arms', 'mms', 'mae', 'blockwise',
                           'span', 'scratch', '--no-real',
                           '--num-images', '100', '--batch', '16'])
    assert args.str_real == '/data/str' and args.seeds == [0, 1]
    assert lib.parse_arch('demo')['embed_dims'] == 128
    assert lib.parse_arch('64,2,4') == dict(embed_dims=64, num_layers=2,
                                            num_heads=4, mlp_ratio=4)
    with pytest.raises(SystemExit):
        drv.parse_args(['--arms', 'nope'])
    expected = dict(mms='multi', mae='random', blockwise='blockwise',
                    span='span')
    for arm, mask_type in expected.items():
        t = TRANSFORMS.build(lib.mask_transform(args, arm, seed=0))
        assert t.mask_type == mask_type
        cfg = lib.pretrain_config(args, arm, 0, str(tmp_path / arm), 100)
        assert cfg.model.backbone.arch == 'tiny'
        assert cfg.experiment['iters'] == 14  # 10 rounded up to 2 epochs
        ds = cfg.train_dataloader.dataset
        assert ds.datasets[0].pipeline[1]['type'] == \
            lib.mask_transform(args, arm)['type']
    assert TRANSFORMS.build(
        lib.mask_transform(args, 'mae')).mask_ratio == 0.75
    assert lib.mask_transform(args, 'scratch') is None
    # the real-data corpus: three ImageFolderDatasets over labels.tsv
    args = drv.parse_args(['--str-real', '/data/str', '--num-images', '5'])
    parts = lib.corpus_cfg(args, 'mms', 1)['datasets']
    assert [p['type'] for p in parts] == ['ImageFolderDataset'] * 3 + [
        'SynthWordDataset']
    assert parts[0]['data_root'] == '/data/str/iiit5k_train'
    assert parts[0]['ann_file'] == 'labels.tsv'
    assert len({p['pipeline'][1]['seed'] for p in parts}) == 4


def test_driver_smoke_synthetic(tmp_path):
    drv = load_driver()
    with one_thread():
        results = drv.main([
            '--no-real', '--arch', '32,1,2', '--decoder', '32,1,2',
            '--iters', '2', '--batch', '8', '--num-images', '16',
            '--arms', 'mae', 'mms', 'scratch', '--recon-samples', '4',
            '--probe-synth', '8', '--probe-epochs', '1',
            '--work-dir', str(tmp_path)])
    assert [r['arm'] for r in results['runs']] == ['mae', 'mms', 'scratch']
    for r in results['runs'][:2]:
        assert set(r['recon_loss']) == {'random', 'blockwise', 'span'}
        assert osp.isfile(r['backbone'])
    assert 'recon_loss' not in results['runs'][2]
    assert all(0 <= r['probe']['avg'] <= 1 for r in results['runs'])
    for r in results['runs']:
        assert 0 <= r['probe']['avg_ned'] <= 1
        assert r['probe']['avg_ctc'] > 0
    assert osp.isfile(tmp_path / 'recon_span_mae_vs_mms_seed0.png')
    assert osp.isfile(tmp_path / 'loss_curves.png')
    curve = lib.pretrain_losses(results['runs'][0]['checkpoint'])
    assert curve and all(v > 0 for v in curve.values())
    with open(tmp_path / 'results.json') as f:
        saved = json.load(f)
    assert saved['corpus'] == {'SynthWordDataset seed 0': 16}
    assert saved['wall_seconds'] > 0
    assert '| mms | 0 |' in (tmp_path / 'results.md').read_text()


def test_driver_finetune_config(tmp_path):
    """Fine-tuning reuses the textrecog demo config with the arm's weights
    (checkpoint override) or none (scratch), and the given data root."""
    drv = load_driver()
    args = drv.parse_args(['--str-real', '/data/str', '--finetune'])
    cfg = lib.finetune_config(args, 1, '/w/backbone.pth', str(tmp_path))
    assert cfg.model.backbone.init_cfg.checkpoint == '/w/backbone.pth'
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    assert cfg.train_dataloader.dataset.data_root == '/data/str'
    assert cfg.test_dataloader.dataset.data_root == '/data/str'
    assert cfg.randomness.seed == 1
    assert cfg.train_cfg.val_interval > cfg.train_cfg.max_epochs
    short = lib.finetune_config(
        drv.parse_args(['--finetune', '--finetune-epochs', '1']), 0, None,
        str(tmp_path))
    assert short.train_cfg.max_epochs == 1
    cosine = [p for p in short.param_scheduler
              if p.type == 'CosineAnnealingLR']
    assert cosine and all(p.T_max == 1 and p.end == 1 for p in cosine)
    cfg = lib.finetune_config(
        drv.parse_args(['--arch', '64,1,2', '--finetune']), 0, None,
        str(tmp_path))
    assert cfg.model.backbone.init_cfg is None
    assert cfg.model.backbone.arch['embed_dims'] == 64
    assert cfg.model.encoder.in_channels == 64
    with pytest.raises(SystemExit):
        drv.parse_args(['--finetune', '--no-real'])


def test_probe_metrics_graded_and_cosine_schedule(word_feats):
    """probe_metrics: exact words, 1 - N.E.D. and per-character CTC loss;
    a trained probe scores better on all three than an untrained one."""
    from mmocr_mms.evaluation.probe import probe_metrics
    feats, labels = word_feats
    with one_thread():
        untrained = train_probe(feats, labels, epochs=0, seed=0)
        trained = train_probe(feats, labels, epochs=300, lr=3e-2,
                              batch_size=64, seed=0, schedule='cosine')
    before = probe_metrics(untrained, feats, labels)
    after = probe_metrics(trained, feats, labels)
    assert before['n'] == after['n'] == 64
    assert after['word_acc'] >= before['word_acc']
    assert after['one_minus_ned'] > before['one_minus_ned']
    assert after['ctc_loss'] < before['ctc_loss']
    assert after['word_acc'] == probe_word_accuracy(trained, feats, labels)
    with pytest.raises(ValueError, match='schedule'):
        train_probe(feats, labels, schedule='step')


def test_concat_pooling_keeps_rows():
    with one_thread():
        feats, _ = extract_features(tiny_vit(dims=32), word_dataset(num=4),
                                    pool='concat')
    assert feats.shape == (4, 32 * 8, 32)
    with pytest.raises(ValueError, match='pool'):
        extract_features(tiny_vit(dims=32), word_dataset(num=4),
                         pool='max')


def test_arm_masks_come_from_the_configs(tmp_path):
    """mms = the pretraining config's MultiMasking, blockwise / span = its
    strategies (with its input and patch size), mae = the MAE config's
    transform; changing the pretraining config changes the arms and the
    reconstruction strategies."""
    from mmengine.config import Config
    drv = load_driver()
    args = drv.parse_args(['--no-real', '--num-images', '4'])
    demo = Config.fromfile(args.pretrain_config)
    multi = demo.train_dataloader.dataset.pipeline[1].to_dict()
    assert multi['type'] == 'MultiMasking'
    assert lib.mask_transform(args, 'mms', seed=5) == dict(multi, seed=5)
    shape = dict(input_size=multi['input_size'],
                 patch_size=multi['patch_size'])
    by_type = {s['type']: s for s in multi['strategies']}
    assert lib.mask_transform(args, 'span', 1) == dict(
        by_type['SpanMasking'], seed=1, **shape)
    assert lib.mask_transform(args, 'blockwise', 1) == dict(
        by_type['BlockwiseMasking'], seed=1, **shape)
    mae = Config.fromfile(args.mae_config)
    assert lib.mask_transform(args, 'mae', 2) == dict(
        mae.train_dataloader.dataset.pipeline[1].to_dict(), seed=2)
    # the arm's pipeline is the config's with the mask swapped
    pipeline = lib.arm_pipeline(args, 'span', 3)
    assert [t['type'] for t in pipeline] == [
        t['type'] for t in demo.train_dataloader.dataset.pipeline[:1]] + [
            'SpanMasking', 'PackMIMInputs']
    assert {k: t.mask_ratio for k, t in
            lib.strategy_transforms(args).items()} == dict(
                random=0.75, blockwise=0.5, span=0.4)
    # another span ratio in the config -> the span arm and the
    # reconstruction strategy follow
    strategies = [dict(s) for s in multi['strategies']]
    strategies[2]['mask_ratio'] = 0.25
    other = tmp_path / 'other_span.py'
    other.write_text(
        f"_base_ = ['{args.pretrain_config}']\n"
        'train_dataloader = dict(dataset=dict(pipeline=[\n'
        "    dict(type='Resize', scale=(128, 32), keep_ratio=False),\n"
        f'    dict({multi!r}, strategies={strategies!r}),\n'
        "    dict(type='PackMIMInputs')]))\n")
    args = drv.parse_args(['--no-real', '--pretrain-config', str(other)])
    assert lib.mask_transform(args, 'span')['mask_ratio'] == 0.25
    assert lib.mask_transform(args, 'mms')['strategies'][2][
        'mask_ratio'] == 0.25
    assert lib.strategy_transforms(args)['span'].mask_ratio == 0.25
    # a config without a mask transform is refused
    plain = tmp_path / 'no_mask.py'
    plain.write_text(
        f"_base_ = ['{args.mae_config}']\n"
        'train_dataloader = dict(dataset=dict(pipeline=[\n'
        "    dict(type='PackMIMInputs')]))\n")
    with pytest.raises(ValueError, match='no mask transform'):
        lib.mask_transform(
            drv.parse_args(['--pretrain-config', str(plain)]), 'mms')


def test_probe_metrics_known_values_on_fixed_logits():
    """Two frames with fixed class probabilities (blank, a, b):
    frame 0 (1/4, 1/2, 1/4), frame 1 (1/4, 1/4, 1/2); greedy decode 'ab'.
    CTC likelihoods summed over the alignments by hand:
    'ab' (a,b) = 1/4; 'a' (a,a)+(a,-)+(-,a) = 1/8+1/8+1/16 = 5/16;
    'b' (b,b)+(b,-)+(-,b) = 1/8+1/16+1/8 = 5/16; 'ba' (b,a) = 1/16."""
    from mmocr_mms.evaluation.probe import probe_metrics
    probe = LinearCTCProbe(2, charset='ab')
    assert probe.encode('ab') == [1, 2]  # 0 is the blank
    probs = torch.tensor([[1 / 4, 1 / 2, 1 / 4], [1 / 4, 1 / 4, 1 / 2]])
    probe.forward = lambda f: probs.log().expand(f.shape[0], -1, -1)
    feats = torch.zeros(4, 2, 2)
    labels = ['ab', 'A', 'b!', 'ba']
    assert probe_predict(probe, feats) == ['ab'] * 4
    m = probe_metrics(probe, feats, labels)
    assert m['n'] == 4
    assert m['word_acc'] == 0.25
    # 1 - Levenshtein / max length: 1, 1/2, 1/2, 0 ('ab' -> 'ba' is 2)
    assert m['one_minus_ned'] == pytest.approx(0.5)
    # negative log-likelihood per character
    nll = [math.log(4) / 2, math.log(16 / 5), math.log(16 / 5),
           math.log(16) / 2]
    assert m['ctc_loss'] == pytest.approx(sum(nll) / 4)
