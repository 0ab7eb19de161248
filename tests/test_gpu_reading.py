"""The GPU reading recipe, as far as a CPU can check it: the carried
lexicon round-trips, the carried (subset) fonts render the same pixels as
the packaged ones, the crops are packed as documented, the GPU configs
parse and build models of the stated shapes, and the driver's timeline
fits the budget."""
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmocr_mms.utils.lexicon import read_lexicon, write_lexicon

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN = osp.join(ROOT, 'configs/mms/mms_text-vit-s_h200-3min_str-real.py')
FINETUNE = osp.join(
    ROOT, 'configs/textrecog/svtr/svtr_text-vit-s_h200-4min_str-real-synth.py')


def _load(name, rel):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def pack():
    return _load('pack_gpu_reading', 'tools/misc/pack_gpu_reading.py')


@pytest.fixture(scope='module')
def driver():
    return _load('reading_gpu', 'tools/recipes/reading_gpu.py')


# -- lexicon -----------------------------------------------------------------
def test_wordfreq_lexicon_round_trips(tmp_path):
    from mmocr_mms.datasets.synth_text import wordfreq_lexicon
    words = wordfreq_lexicon(100000)  # what the pack script exports
    path = tmp_path / 'lexicon.txt'
    assert write_lexicon(path, words) == len(words)
    assert read_lexicon(path) == tuple(words)
    text = path.read_text(encoding='utf-8')
    assert text.endswith('\n') and text.count('\n') == len(words)


def test_lexicon_order_and_characters_kept(tmp_path):
    words = ['the', 'Zebra', 'café', "don't", '42', 'the']
    path = tmp_path / 'w.txt'
    write_lexicon(path, words)
    assert path.read_bytes() == "the\nZebra\ncafé\ndon't\n42\nthe\n".encode()
    assert read_lexicon(path) == tuple(words)


@pytest.mark.parametrize('words,match', [
    (['two words'], 'entry 0'),
    (['ok', ''], 'entry 1'),
    (['ok', 3], 'entry 1 is not a str'),
])
def test_write_lexicon_refuses_bad_words(tmp_path, words, match):
    with pytest.raises(ValueError, match=match):
        write_lexicon(tmp_path / 'w.txt', words)


@pytest.mark.parametrize('content,match', [
    ('', 'holds no word'),
    ('a\n\nb\n', 'line 2'),
    ('a\nb c\n', 'line 2'),
])
def test_read_lexicon_refuses_bad_files(tmp_path, content, match):
    path = tmp_path / 'w.txt'
    path.write_text(content, encoding='utf-8')
    with pytest.raises(ValueError, match=match):
        read_lexicon(path)
    with pytest.raises(ValueError, match='not a file'):
        read_lexicon(tmp_path / 'missing.txt')


# -- fonts and crops -------------------------------------------------------------
def test_subset_font_renders_the_same_pixels(tmp_path, pack):
    from mmocr_mms.datasets.synth_render import (WordRenderer,
                                                 dejavu_font_paths)
    fonts = dejavu_font_paths()
    if not fonts:
        pytest.skip('matplotlib DejaVu fonts not installed')
    src = min(fonts, key=osp.getsize)
    dst = str(tmp_path / osp.basename(src))
    pack.subset_font(src, dst)
    assert osp.getsize(dst) < osp.getsize(src) / 3
    a = WordRenderer(fonts=[src], lexicon='builtin')
    b = WordRenderer(fonts=[dst], lexicon='builtin')
    assert a.lexicon == b.lexicon and not b.skipped_fonts
    for i in range(12):
        img_a, text_a, fg_a = a.render(3, i)
        img_b, text_b, fg_b = b.render(3, i)
        assert text_a == text_b
        np.testing.assert_array_equal(img_a, img_b)
        np.testing.assert_array_equal(fg_a, fg_b)


def test_pack_split_resizes_to_height_and_keeps_labels(tmp_path, pack):
    src = tmp_path / 'src' / 'demo'
    (src / 'IMG').mkdir(parents=True)
    cv2.imwrite(str(src / 'IMG' / 'a.png'),
                np.full((64, 200, 3), 200, np.uint8))
    cv2.imwrite(str(src / 'IMG' / 'b.jpg'),
                np.full((16, 40, 3), 50, np.uint8))
    (src / 'labels.tsv').write_text('IMG/a.png\tHello World\nIMG/b.jpg\t42\n',
                                    encoding='utf-8')
    dst = tmp_path / 'dst'
    assert pack.pack_split(str(tmp_path / 'src'), 'demo', str(dst), 32,
                           85) == 2
    assert (dst / 'demo' / 'labels.tsv').read_text(encoding='utf-8') == \
        'IMG/a.jpg\tHello World\nIMG/b.jpg\t42\n'
    a = cv2.imread(str(dst / 'demo' / 'IMG' / 'a.jpg'))
    b = cv2.imread(str(dst / 'demo' / 'IMG' / 'b.jpg'))
    assert a.shape == (32, 100, 3) and b.shape == (32, 80, 3)
    assert abs(int(a.mean()) - 200) <= 2 and abs(int(b.mean()) - 50) <= 2
    # height 0: the original files, byte for byte
    assert pack.pack_split(str(tmp_path / 'src'), 'demo',
                           str(tmp_path / 'orig'), 0, 85) == 2
    assert (tmp_path / 'orig' / 'demo' / 'IMG' / 'a.png').read_bytes() == \
        (src / 'IMG' / 'a.png').read_bytes()


# -- configs -------------------------------------------------------------------
def test_pretrain_config_builds_text_vit_s_mms():
    from mmocr.registry import MODELS
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(PRETRAIN)
    init_default_scope('mmocr')
    import mmocr_mms  # noqa: F401
    # the recipe sets the deadline as custom_hooks.0.deadline
    assert cfg.custom_hooks[0].type == 'TrainTimeBudgetHook'
    assert {h.type for h in cfg.custom_hooks} >= {'MaskEpochHook'}
    copies = cfg.train_dataloader.dataset.datasets
    seeds = [c.dataset.pipeline[2].seed for c in copies]
    assert len(copies) == cfg.mask_copies == 10
    assert len(set(seeds)) == 10  # a fresh mask per pass over the crops
    assert all(c.splits == ['iiit5k_train', 'svt_train', 'ic15_train']
               for c in copies)
    model = MODELS.build(cfg.model)
    enc = model.backbone
    assert (enc.patch_size, enc.embed_dims, len(enc.blocks)) == (4, 384, 12)
    n = sum(p.numel() for p in enc.parameters())
    assert 21e6 < n < 22e6


def test_finetune_config_builds_text_vit_s_ctc():
    from mmocr.registry import MODELS
    from mmengine.registry import init_default_scope
    import mmocr_mms  # noqa: F401
    cfg = Config.fromfile(FINETUNE)
    init_default_scope('mmocr')
    assert cfg.custom_hooks[0].type == 'TrainTimeBudgetHook'
    assert cfg.train_dataloader.batch_size == 512
    ds = cfg.train_dataloader.dataset.datasets
    assert [d.type for d in ds] == ['TSVSplitsDataset', 'LabelledLMDBDataset']
    assert cfg.train_dataloader.sampler.type == 'MixedSourceSampler'
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        feat = model.extract_feat(torch.zeros(2, 3, 32, 128))
        out = model.encoder(feat)
    assert tuple(feat.shape) == (2, 384, 8, 32)
    assert tuple(out.shape) == (2, 384, 1, 32)  # 32 CTC frames


# -- driver --------------------------------------------------------------------
def test_timeline_fits_the_budget(driver):
    d = driver.plan(1000.0, 540.0)
    assert d == pytest.approx(dict(pretrain=1205.2, finetune=1469.8,
                                   evaluate=1515.7))
    with pytest.raises(ValueError, match='budget'):
        driver.plan(0.0, 0)


def test_small_settings_are_tiny(driver):
    args = driver.parse_args(['--out', 'x', '--small', '--device', 'cpu'])
    s = driver.settings(args)
    assert s['pre_batch'] == s['ft_batch'] == 8
    assert s['render_workers'] == 2 and s['eval_limit'] == 40
    full = driver.settings(driver.parse_args(['--out', 'x']))
    assert (full['pre_batch'], full['ft_batch']) == (1024, 512)
    assert full['render_workers'] == max(1, (os.cpu_count() or 1) - 4)


# -- GPU protocol ----------------------------------------------------------------
def test_finetune_config_keeps_the_gpu_stem_and_amp():
    """The H200 fine-tuning inherits the CPU recipe's config but keeps the
    linear patch embedding of its MMS TextViT-S pretraining and mmengine's
    AMP (the recipe passes --amp and optim_wrapper.dtype=bfloat16)."""
    cfg = Config.fromfile(FINETUNE)
    assert cfg.model.backbone.stem == 'linear'
    assert cfg.optim_wrapper.type == 'GuardedOptimWrapper'


@pytest.mark.parametrize('arm,masks', [
    ('mms', {'MultiMasking'}), ('mae', {'RandomPatchMasking'})])
def test_arm_pretrain_configs_share_the_corpus(driver, arm, masks):
    """mms and mae pretrain on the same 10 passes over the real crops plus
    the rendered-words LMDB, with the same mask seeds; only the masks
    differ. scratch does not pretrain."""
    cfg = Config.fromfile(osp.join(ROOT, driver.ARM_CONFIGS[arm]))
    ds = cfg.train_dataloader.dataset.datasets
    assert [d.type for d in ds] == ['TSVSplitsDataset'] * 10 + [
        'UnlabeledLMDBDataset']
    assert ds[-1].data_root.endswith('pretrain_words')
    pipes = [d.dataset.pipeline if 'dataset' in d else d.pipeline
             for d in ds]
    found = {t.type for p in pipes for t in p if 'Mask' in t.type}
    assert found == masks
    seeds = [t.seed for p in pipes for t in p if 'Mask' in t.type]
    assert seeds == [1000 + k for k in range(10)] + [2000]
    assert driver.ARM_CONFIGS['scratch'] is None


@pytest.mark.parametrize('arm', ['mms', 'mae'])
def test_arm_pretrain_datasets_build_and_load(driver, arm, tmp_path,
                                              monkeypatch, str_real_root):
    """The pretraining corpus of each arm builds (real TSV splits + the
    unlabelled words LMDB, whose metainfo differs) and yields masked
    samples from both kinds of part."""
    from mmocr.registry import DATASETS
    from mmengine.registry import init_default_scope
    import mmocr_mms  # noqa: F401
    from mmocr_mms.datasets import collect_items, write_lmdb
    words = tmp_path / 'words'
    words.mkdir()
    for i in range(3):
        cv2.imwrite(str(words / f'{i}.png'),
                    np.full((32, 90 + 10 * i, 3), 60 * i, np.uint8))
    write_lmdb(collect_items(str(words)), str(tmp_path / 'lmdb'),
               progress=False)
    monkeypatch.setenv('MMOCR_MMS_STR_REAL', str_real_root)
    monkeypatch.setenv('MMOCR_MMS_PRETRAIN_WORDS', str(tmp_path / 'lmdb'))
    cfg = Config.fromfile(osp.join(ROOT, driver.ARM_CONFIGS[arm]))
    init_default_scope('mmocr')
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(ds.datasets[-1]) == 3
    assert len(ds) == 10 * len(ds.datasets[0]) + 3
    for i in (0, len(ds) - 1):
        out = ds[i]
        assert out['inputs'].shape == (3, 32, 128)
        assert out['data_samples'].mask.shape == (8, 32)


def test_fixed_budget_options(driver):
    assert driver.fixed_pretrain_options(6) == [
        'custom_hooks.0.deadline=None', 'train_cfg.max_epochs=6',
        'param_scheduler.1.T_max=5', 'param_scheduler.1.end=6',
        'default_hooks.checkpoint.interval=6']
    ft = driver.fixed_finetune_options(1000, 150)
    assert 'train_cfg.max_iters=1000' in ft
    assert 'param_scheduler.0.end=100' in ft  # warm-up <= a tenth
    assert 'param_scheduler.1.T_max=900' in ft
    assert 'custom_hooks.0.deadline=None' in ft
    # one epoch = the warm-up only (a fitted run that stopped after one
    # epoch can be matched); the cosine scheduler starts after the end
    assert driver.fixed_pretrain_options(1) == [
        'custom_hooks.0.deadline=None', 'train_cfg.max_epochs=1',
        'param_scheduler.1.T_max=1', 'param_scheduler.1.end=2',
        'default_hooks.checkpoint.interval=1']
    assert driver.parse_args(
        ['--out', 'x', '--pretrain-epochs', '1']).pretrain_epochs == 1
    with pytest.raises(SystemExit):
        driver.parse_args(['--out', 'x', '--pretrain-epochs', '0'])
    with pytest.raises(SystemExit):
        driver.parse_args(['--out', 'x', '--pretrain-synth', '0'])


def _log(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_trained_budget_and_match(driver, tmp_path):
    pre = _log(tmp_path, 'pretrain.log',
               'Epoch(train) [1][ 20/66]  loss: 1\n'
               'Epoch(train) [7][ 60/66]  loss: 1\n'
               'Saving checkpoint at 7 epochs\n')
    ft = _log(tmp_path, 'finetune.log',
              'Iter(train) [ 50/1234] loss: 3\n'
              'Saving checkpoint at 1234 iterations\n')
    assert driver.trained_budget(pre) == dict(epochs=7, iters_per_epoch=66,
                                              iters=462)
    assert driver.trained_budget(ft) == dict(iters=1234)
    assert driver.trained_budget(str(tmp_path / 'missing.log')) is None
    summary = tmp_path / 'summary.json'
    summary.write_text(json.dumps(dict(budget=dict(
        pretrain=driver.trained_budget(pre),
        finetune=driver.trained_budget(ft)))))
    assert driver.matched_budget(str(summary), 'mae') == (7, 1234)
    assert driver.matched_budget(str(summary), 'scratch') == (None, 1234)
    args = driver.parse_args(['--out', 'x', '--arm', 'mae', '--match',
                              str(summary)])
    assert (args.pretrain_epochs, args.finetune_iters) == (7, 1234)
    with pytest.raises(SystemExit):  # --match and a fixed budget
        driver.parse_args(['--out', 'x', '--match', str(summary),
                           '--finetune-iters', '5'])
    summary.write_text(json.dumps(dict(budget=dict(finetune=None))))
    with pytest.raises(SystemExit, match='no trained budget'):
        driver.matched_budget(str(summary), 'mms')


def test_append_results_adds_one_row_per_run(driver, tmp_path, capsys):
    page = tmp_path / 'results.md'
    page.write_text('# Results\n\nsome text\n')
    runs = []
    for arm, acc, ep in (('mms', 0.812, 7), ('mae', 0.799, 7),
                         ('scratch', 0.5, None)):
        s = dict(arm=arm, seed=0, date='2026-12-01 10:00 UTC',
                 commit='0123456789abcdef', machine='NVIDIA H200, 16 CPU '
                 'cores', word_acc=dict(IIIT5K=acc, SVT=acc - 0.1),
                 wall_s=530.2, fixed_budget=dict(
                     pretrain_epochs=None if arm == 'mms' else ep,
                     finetune_iters=None if arm == 'mms' else 900),
                 budget=dict(pretrain=dict(epochs=ep, iters=ep * 66)
                             if ep else None, finetune=dict(iters=900)))
        path = tmp_path / f'{arm}.json'
        path.write_text(json.dumps(s))
        runs.append(str(path))
    driver.append_results_main([*runs[:2], '--page', str(page)])
    driver.append_results_main([*runs, '--page', str(page)])  # 1 new row
    text = page.read_text()
    assert text.startswith('# Results\n\nsome text\n')
    rows = [line for line in text.splitlines() if line.startswith('| 2026')]
    assert rows == [
        '| 2026-12-01 10:00 UTC | 0123456 | NVIDIA H200, 16 CPU cores | mms '
        '| 0 | 7 ep (462 it) | 900 (fitted) | 81.20 | 71.20 | 530.2 |',
        '| 2026-12-01 10:00 UTC | 0123456 | NVIDIA H200, 16 CPU cores | mae '
        '| 0 | 7 ep (462 it) | 900 (fixed) | 79.90 | 69.90 | 530.2 |',
        '| 2026-12-01 10:00 UTC | 0123456 | NVIDIA H200, 16 CPU cores | '
        'scratch | 0 | none | 900 (fixed) | 50.00 | 40.00 | 530.2 |']
    assert text.count(driver.RESULTS_SECTION) == 1
    out = capsys.readouterr().out
    assert '1 row(s) appended' in out
    assert 'WARNING' not in out  # scratch pretrains nothing: not a mismatch
    other = json.loads(open(runs[1]).read())
    other['budget']['finetune']['iters'] = 800
    other['seed'] = 1
    (tmp_path / 'other.json').write_text(json.dumps(other))
    driver.append_results_main([runs[0], str(tmp_path / 'other.json'),
                                '--page', str(page)])
    out = capsys.readouterr().out
    assert 'WARNING' in out and '[800, 900]' in out


def test_pick_fonts_keeps_one_upright_regular_file_per_family(pack):
    from mmocr_mms.datasets.synth_render import dejavu_font_paths
    paths = dejavu_font_paths()
    picked = pack.pick_fonts(paths, 1)
    names = sorted(osp.basename(p) for p in picked)
    # matplotlib's DejaVu: Sans, Sans Mono, Serif (Display variants are
    # not default fonts)
    assert names == ['DejaVuSans.ttf', 'DejaVuSansMono.ttf',
                     'DejaVuSerif.ttf']
    assert [p for p in paths if p in picked] == picked  # order kept
    assert len(pack.pick_fonts(paths, 2)) == 6
    assert pack.pick_fonts(paths, 0) == paths
