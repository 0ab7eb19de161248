"""Reading recipe stages and protocol v2 (tools/experiments/reading_*.py,
mmocr_mms/experiments/reading.py)."""
import copy
import importlib.util
import json
import math
import os
import os.path as osp
import re

import pytest
from mmengine.config import Config

from mmocr_mms.experiments import reading

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(ROOT, 'tools', 'experiments', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _diff(a, b, path=''):
    """Paths where two plain config trees differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [p for k in sorted(set(a) | set(b), key=str)
                for p in _diff(a.get(k), b.get(k), f'{path}.{k}')]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) \
            and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b))
                for p in _diff(x, y, f'{path}.{i}')]
    return [] if a == b else [path]


def _mask_paths(diffs):
    """The differing paths with the mask transform's own keys cut off."""
    return sorted({re.sub(r'(pipeline\.1|mask_transform)\..*', r'\1', p)
                   for p in diffs})


MASK_PATHS = ['.mask_transform', '.pipeline.1'] + [
    f'.train_dataloader.dataset.datasets.{i}.pipeline.1' for i in range(4)]


def test_mae_config_differs_from_mms_only_in_the_mask():
    mms = Config.fromfile(osp.join(ROOT, reading.PRETRAIN_CONFIG))
    mae = Config.fromfile(osp.join(ROOT, reading.MAE_CONFIG))
    diffs = _diff(mms.to_dict(), mae.to_dict())
    assert _mask_paths(diffs) == sorted(MASK_PATHS + ['.random_mask'])
    for ds in mae.train_dataloader.dataset.datasets:
        assert ds.pipeline[1] == dict(type='RandomPatchMasking',
                                      mask_ratio=0.75, input_size=(32, 128),
                                      patch_size=8)
    assert mae.mask_transform == mae.train_dataloader.dataset.datasets[
        0].pipeline[1]


@pytest.mark.parametrize('arm', ['blockwise', 'span'])
def test_single_strategy_arm_config(arm, tmp_path):
    path = reading.arm_pretrain_config(arm, str(tmp_path),
                                       reading.PRETRAIN_CONFIG,
                                       reading.MAE_CONFIG)
    mms = Config.fromfile(osp.join(ROOT, reading.PRETRAIN_CONFIG))
    one = Config.fromfile(path)
    diffs = _diff(mms.to_dict(), one.to_dict())
    assert _mask_paths(diffs) == sorted(MASK_PATHS + ['.single_mask'])
    want = [s for s in mms.mask_transform.strategies
            if s.type.lower().startswith(arm)]
    for ds in one.train_dataloader.dataset.datasets:
        mask = ds.pipeline[1]
        assert mask.type == 'MultiMasking'
        assert mask.strategies == want and mask.probs == [1.0]
        assert mask.patch_size == 8 and mask.input_size == (32, 128)
    # the pipeline runs and marks every sample with the arm's mask type
    import numpy as np
    from mmengine.dataset import Compose
    pipe = Compose(one.train_dataloader.dataset.datasets[0].pipeline)
    for idx in range(3):
        out = pipe(dict(img=np.zeros((40, 100, 3), np.uint8),
                        sample_idx=idx))
        assert out['data_samples'].metainfo['mask_type'] == arm
        assert tuple(out['data_samples'].mask.shape) == (4, 16)
    assert reading.arm_pretrain_config('scratch', str(tmp_path), 'a',
                                       'b') is None
    with pytest.raises(ValueError, match='arm must be one of'):
        reading.arm_pretrain_config('random', str(tmp_path), 'a', 'b')


def test_word_scores_match_mmocr_metrics():
    from mmocr.evaluation import OneMinusNEDMetric, WordMetric
    pairs = [('Hello', 'hello!'), ('World', 'word'), ('ab-c', 'ABC'),
             ('xyz', '')]
    s = reading.word_scores(pairs)
    # matches: hello, abc; 1-NED: 1, 1 - 1/5, 1, 0
    assert s == dict(word_acc=0.5, one_minus_ned=pytest.approx(0.7), n=4)
    samples = [dict(gt_text=dict(item=t), pred_text=dict(item=p))
               for t, p in pairs]
    word = WordMetric(mode='ignore_case_symbol', valid_symbol='[^0-9a-z]')
    word.process(None, samples)
    ned = OneMinusNEDMetric(valid_symbol='[^0-9a-z]')
    ned.process(None, samples)
    assert word.compute_metrics(word.results)[
        'word_acc_ignore_case_symbol'] == s['word_acc']
    assert ned.compute_metrics(ned.results)['1-N.E.D'] == \
        pytest.approx(s['one_minus_ned'])
    assert reading.word_scores([]) == dict(word_acc=0.0, one_minus_ned=0.0,
                                           n=0)


def test_mcnemar_and_mean_std():
    assert reading.mcnemar_exact(0, 0) == 1.0
    assert reading.mcnemar_exact(5, 0) == 2 / 32
    assert reading.mcnemar_exact(1, 3) == 2 * 5 / 16
    assert reading.mean_std([0.1, 0.3]) == dict(
        mean=pytest.approx(0.2), std=pytest.approx(0.1414213562), n=2)
    assert reading.mean_std([0.5]) == dict(mean=0.5, std=0.0, n=1)


def _budget(iters, batch, **kw):
    return dict(kind='iters', iters=iters, batch_size=batch,
                samples=iters * batch, **kw)


def test_check_budgets_reports_differences():
    pre = dict(kind='epochs', epochs=1, iters_per_epoch=2, iters=2,
               batch_size=8, samples=16)
    runs = [dict(arm='mms', seed=0, budget=dict(pretrain=pre,
                                                finetune=_budget(3, 4))),
            dict(arm='mae', seed=0, budget=dict(pretrain=pre,
                                                finetune=_budget(3, 4))),
            dict(arm='scratch', seed=0, budget=dict(finetune=_budget(3, 4)))]
    ok = reading.check_budgets(runs)
    assert ok == dict(equal=True, pretrain=pre, finetune=_budget(3, 4),
                      mismatches=[])
    bad = copy.deepcopy(runs)
    bad[1]['budget']['finetune'] = _budget(4, 4)
    bad[2]['budget']['pretrain'] = pre
    res = reading.check_budgets(bad)
    assert not res['equal']
    assert res['mismatches'] == [
        'scratch seed 0 pretrained',
        "mae seed 0 finetune: {'kind': 'iters', 'iters': 4, 'batch_size': "
        "4, 'samples': 16} != {'kind': 'iters', 'iters': 3, 'batch_size': "
        "4, 'samples': 12}"]


def test_recipe_runs_the_same_commands(tmp_path, monkeypatch):
    """reading_recipe.py's CLI and defaults: the stage commands of the
    recipe before its stages moved to mmocr_mms.experiments.reading."""
    recipe = _load_tool('reading_recipe')
    cmds = []

    def fake(cmd, log_path):
        cmds.append([c.replace(str(tmp_path), 'T') for c in cmd[1:]])
        if cmd[1] == 'tools/eval_benchmarks.py':
            with open(cmd[cmd.index('--json') + 1], 'w') as f:
                json.dump(dict(results=[]), f)
            with open(log_path, 'w') as f:
                f.write('table\n')
        return 1.0
    monkeypatch.setattr(reading, 'run_stage', fake)
    str_real = tmp_path / 'str_real'
    str_real.mkdir()
    monkeypatch.setenv('MMOCR_MMS_STR_REAL', str(str_real))
    recipe.main(['--work-dir', str(tmp_path / 'wd'), '--init', 'mms',
                 '--finetune-iters', '3200'])
    pre = 'configs/mms/mms_text-vit-mini-p8_3e_str-real-synth.py'
    ft = 'configs/textrecog/svtr/svtr_text-vit-mini-p8_20k-iters_str-real-' \
        'synth.py'
    assert cmds == [
        ['tools/train.py', pre, '--work-dir', 'T/wd/pretrain',
         '--cfg-options', 'randomness.seed=0', 'train_cfg.max_epochs=3',
         'train_dataloader.dataset.datasets.3.num_samples=20000',
         'param_scheduler.1.T_max=3', 'param_scheduler.1.end=3',
         'default_hooks.checkpoint.interval=3'],
        ['tools/model_converters/mms_to_backbone.py',
         'T/wd/pretrain/epoch_3.pth', 'T/wd/pretrain/backbone.pth'],
        ['tools/train.py', ft, '--work-dir', 'T/wd/finetune',
         '--cfg-options',
         'model.backbone.init_cfg.checkpoint=T/wd/pretrain/backbone.pth',
         'randomness.seed=0', 'train_dataloader.batch_size=64',
         'train_dataloader.sampler.seed=0', 'train_cfg.max_iters=3200',
         'train_cfg.val_interval=3201', 'param_scheduler.0.end=300',
         'param_scheduler.1.begin=300', 'param_scheduler.1.T_max=2900',
         'param_scheduler.1.end=3200',
         'default_hooks.checkpoint.interval=3200'],
        ['tools/eval_benchmarks.py',
         'T/wd/finetune/svtr_text-vit-mini-p8_20k-iters_str-real-synth.py',
         'T/wd/finetune/iter_3200.pth', '--benchmarks',
         'T/str_real/iiit5k_test', 'T/str_real/svt_test', '--names',
         'IIIT5K', 'SVT', '--json', 'T/wd/results.json', '--num-workers',
         '1'],
    ]
    summary = json.loads((tmp_path / 'wd' / 'summary.json').read_text())
    assert summary['seconds'] == dict(pretrain=1.0, convert=1.0,
                                      finetune=1.0, evaluate=1.0,
                                      total=summary['seconds']['total'])
    cmds.clear()
    recipe.main(['--work-dir', str(tmp_path / 'wd2'), '--init', 'scratch',
                 '--finetune-iters', '20', '--seed', '3'])
    assert [c[0] for c in cmds] == ['tools/train.py',
                                    'tools/eval_benchmarks.py']
    assert 'model.backbone.init_cfg=None' in cmds[0]
    assert 'param_scheduler.0.end=2' in cmds[0]
    assert 'randomness.seed=3' in cmds[0]
    # the defaults are the measured recipe: no pretraining, 8,500 updates
    cmds.clear()
    recipe.main(['--work-dir', str(tmp_path / 'wd3')])
    assert [c[0] for c in cmds] == ['tools/train.py',
                                    'tools/eval_benchmarks.py']
    assert 'model.backbone.init_cfg=None' in cmds[0]
    assert 'train_cfg.max_iters=8500' in cmds[0]
    # --init mms alone: 7,200 updates, so pretraining + fine-tuning fit 1 h
    cmds.clear()
    recipe.main(['--work-dir', str(tmp_path / 'wd4'), '--init', 'mms'])
    assert [c[0] for c in cmds] == [
        'tools/train.py', 'tools/model_converters/mms_to_backbone.py',
        'tools/train.py', 'tools/eval_benchmarks.py']
    assert 'train_cfg.max_iters=7200' in cmds[2]
    summary = json.loads((tmp_path / 'wd4' / 'summary.json').read_text())
    assert summary['args']['finetune_iters'] == 7200


# --------------------------------------------------------------------------
# docs generator, from a hand-made results.json
# --------------------------------------------------------------------------
def _scores(acc_i, acc_s, ned_i, ned_s):
    return dict(IIIT5K=dict(word_acc=acc_i, one_minus_ned=ned_i, n=4),
                SVT=dict(word_acc=acc_s, one_minus_ned=ned_s, n=4))


def _probe(acc_i, acc_s, ctc):
    return dict(IIIT5K=acc_i, SVT=acc_s, IIIT5K_ned=acc_i + 0.5,
                SVT_ned=acc_s + 0.5, avg_ctc=ctc, IIIT5K_n=4, SVT_n=4)


def _results(tmp_path):
    """Results of 2 seeds x (mms, mae) with hand-written predictions."""
    runs = []
    preds = {  # (arm, seed): IIIT5K predictions of labels a b c d
        ('mms', 0): 'a b c x', ('mae', 0): 'a b y x',
        ('mms', 1): 'a b c d', ('mae', 1): 'a y c d'}
    for (arm, seed), pred in preds.items():
        run_dir = tmp_path / arm / f'seed{seed}'
        run_dir.mkdir(parents=True)
        for name in ('IIIT5K', 'SVT'):
            with open(run_dir / f'predictions_{name}.tsv', 'w') as f:
                for img, (t, p) in enumerate(zip('abcd', pred.split())):
                    f.write(f'{img}.jpg\t{t}\t{p}\n')
        right = sum(t == p for t, p in zip('abcd', pred.split())) / 4
        runs.append(dict(
            arm=arm, seed=seed, run_dir=str(run_dir),
            scores=_scores(right, right, right, right),
            seconds=dict(pretrain=60.0, convert=2.0, finetune=300.0,
                         evaluate=30.0, total=392.0),
            budget=dict(pretrain=dict(kind='epochs', epochs=1,
                                      iters_per_epoch=131, iters=131,
                                      batch_size=128, samples=16725),
                        finetune=_budget(600, 64)),
            curves=dict(pretrain=[[20, 0.9], [131, 0.5]],
                        finetune=[[50, 3.6], [600, 2.0]])))
    names = ['IIIT5K', 'SVT']
    return dict(
        command='python tools/experiments/reading_protocol.py --seeds 0 1',
        commit='abc1234', date='2026-11-30 03:00 UTC',
        machine=dict(cpu='AMD EPYC', cpus=2, memory_gib=24.0,
                     system='Linux', python='3.11.7', torch='2.14.1'),
        opts=dict(mms_config='M.py', mae_config='A.py',
                  finetune_config='F.py', pretrain_synth=10000),
        benchmarks=names, budget=reading.check_budgets(runs),
        wall_seconds=4 * 392.0, arms=reading.aggregate(runs, names),
        paired={'mms-mae': reading.paired(runs, 'mms', 'mae', names)},
        reconstruction=dict(
            losses={'mms/seed0': dict(random=0.5, blockwise=0.6, span=0.7),
                    'mms/seed1': dict(random=0.3, blockwise=0.4, span=0.5),
                    'mae/seed0': dict(random=0.4, blockwise=0.8, span=0.9)},
            images=256, figure=str(tmp_path / 'recon_span.png'),
            figure_seed=0),
        probe=dict(values={k: _probe(*v) for k, v in {
            'mms/seed0': (0.1, 0.0, 3.5), 'mms/seed1': (0.3, 0.2, 2.5),
            'mae/seed0': (0.05, 0.01, 3.9)}.items()},
            settings=dict(reading.PROBE, train_limit=None,
                          train_splits=['iiit5k_train', 'svt_train'])),
        figures=[str(tmp_path / 'pretrain_curves.png'),
                 str(tmp_path / 'recon_span.png')], runs=runs)


def test_paired_and_aggregate(tmp_path):
    res = _results(tmp_path)
    p = res['paired']['mms-mae']['IIIT5K']
    assert p['seeds'] == [0, 1]
    assert p['word_acc'] == [0.25, 0.25]
    assert p['seeds_ge_1pt'] == 2
    assert p['discordant'] == [[1, 0, 1.0], [1, 0, 1.0]]
    assert res['arms']['mms']['IIIT5K']['word_acc'] == dict(
        values=[0.75, 1.0], mean=0.875, std=pytest.approx(0.1767766953),
        n=2)
    assert res['arms']['mae']['seconds'] == dict(
        pretrain=60.0, convert=2.0, finetune=300.0, evaluate=30.0,
        total=392.0)


def test_doc_sections_from_hand_made_results(tmp_path):
    sec = reading.doc_sections(_results(tmp_path))
    assert set(sec) == set(reading.DOC_SECTIONS)
    assert sec['reading-v2-table'] == '\n'.join([
        '| arm | seed | IIIT5K word acc (%) | SVT word acc (%) | '
        'IIIT5K 1-N.E.D. | SVT 1-N.E.D. | recon random | recon blockwise | '
        'recon span |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|',
        '| mms | 0 | 75.00 | 75.00 | 0.750 | 0.750 | 0.5000 | 0.6000 | '
        '0.7000 |',
        '| mms | 1 | 100.00 | 100.00 | 1.000 | 1.000 | 0.3000 | 0.4000 | '
        '0.5000 |',
        '| **mms** | mean ± std (2) | 87.50 ± 17.68 | 87.50 ± 17.68 | '
        '0.875 ± 0.177 | 0.875 ± 0.177 | 0.4000 ± 0.1414 | '
        '0.5000 ± 0.1414 | 0.6000 ± 0.1414 |',
        '| mae | 0 | 50.00 | 50.00 | 0.500 | 0.500 | 0.4000 | 0.8000 | '
        '0.9000 |',
        '| mae | 1 | 75.00 | 75.00 | 0.750 | 0.750 | - | - | - |',
        '| **mae** | mean ± std (2) | 62.50 ± 17.68 | 62.50 ± 17.68 | '
        '0.625 ± 0.177 | 0.625 ± 0.177 | - | - | - |'])
    assert sec['reading-v2-answer'] == (
        'MMS minus MAE, word accuracy (ignoring case and symbols), same '
        'seed: IIIT5K +25.00 ± 0.00 points (seeds 0 1: +25.00, +25.00), '
        'MMS ahead by >= 1 point in 2 of 2 seeds; SVT +25.00 ± 0.00 points '
        '(seeds 0 1: +25.00, +25.00), MMS ahead by >= 1 point in 2 of 2 '
        'seeds.\n\n**MMS beats MAE by at least one point in every seed on '
        'IIIT5K and SVT**, at this scale: pretraining 1 epoch(s) = 131 '
        'iterations of 128 (16,725 samples); fine-tuning 600 iterations of '
        '64 (38,400 samples).\n\nMMS minus MAE, 1 - N.E.D. (the graded '
        'measure when few words are read), same seed: IIIT5K +0.250 ± 0.000 '
        '(higher in 2 of 2 seeds); SVT +0.250 ± 0.000 (higher in 2 of 2 '
        'seeds).\n\nMean over seeds, word accuracy (%) / 1 - N.E.D.: mms '
        'IIIT5K 87.50 / 0.875, SVT 87.50 / 0.875 (2 seeds); mae IIIT5K '
        '62.50 / 0.625, SVT 62.50 / 0.625 (2 seeds).')
    assert sec['reading-v2-paired'].split('\n')[2] == \
        '| mms - mae | IIIT5K | 0 | +25.00 | +0.250 | 1 / 0 | 1 |'
    assert sec['reading-v2-curves'] == (
        'Pretraining loss (each arm on its own masks, so levels are not '
        'comparable across arms), mean over seeds, band = min..max:\n\n'
        '![pretrain loss curves](figures/reading_v2_pretrain_curves.png)')
    assert sec['reading-v2-recon'].endswith(
        '![span reconstructions per arm]'
        '(figures/reading_v2_recon_span.png)')
    assert 'on 256 such words' in sec['reading-v2-recon']
    probe = sec['reading-v2-probe'].split('\n')
    assert probe[0].startswith(
        'A linear CTC layer on the frozen encoder each run fine-tuned from')
    assert 'trained for 60 epochs (AdamW 0.02, cosine, batch 64) on the ' \
        'real training crops (iiit5k_train + svt_train)' in probe[0]
    assert probe[2:] == [
        '| arm | seed | IIIT5K probe word acc (%) | SVT probe word acc (%) | '
        'IIIT5K probe 1-N.E.D. | SVT probe 1-N.E.D. | probe CTC loss '
        '(benchmark mean) |',
        '|---|---|---:|---:|---:|---:|---:|',
        '| mms | 0 | 10.00 | 0.00 | 0.600 | 0.500 | 3.500 |',
        '| mms | 1 | 30.00 | 20.00 | 0.800 | 0.700 | 2.500 |',
        '| **mms** | mean ± std (2) | 20.00 ± 14.14 | 10.00 ± 14.14 | '
        '0.700 ± 0.141 | 0.600 ± 0.141 | 3.000 ± 0.707 |',
        '| mae | 0 | 5.00 | 1.00 | 0.550 | 0.510 | 3.900 |']
    res = _results(tmp_path / 'no_probe')
    del res['probe']
    assert reading.doc_sections(res)['reading-v2-probe'] == \
        'The probe measure was not taken (`--no-probe`).'
    assert '**Wall time of all runs: 26.1 min.**' in sec['reading-v2-setup']
    res = _results(tmp_path / 'parallel')
    res.update(jobs=2, elapsed_seconds=900.0)
    assert ('**Wall time: 15.0 min** (2 runs at a time; the runs themselves '
            'took 26.1 min in all).') in \
        reading.doc_sections(res)['reading-v2-setup']
    assert '(checked from the training logs: equal)' in \
        sec['reading-v2-setup']
    # only what ran is described: no scratch, blockwise or span here
    assert 'fine-tuning 600 iterations of 64 (38,400 samples).\n' in \
        sec['reading-v2-setup']
    assert 'scratch' not in sec['reading-v2-setup']
    assert 'blockwise' not in sec['reading-v2-setup']


def test_doc_answer_says_when_no_arm_reads(tmp_path):
    res = _results(tmp_path)
    for arm in res['arms'].values():
        for name in ('IIIT5K', 'SVT'):
            arm[name]['word_acc'].update(mean=0.001)
    assert reading.doc_sections(res)['reading-v2-answer'].startswith(
        'No arm reads at this budget (best mean word accuracy 0.10%)')


def test_write_docs_replaces_only_marked_regions(tmp_path):
    res = _results(tmp_path)
    for fig in ('pretrain_curves.png', 'recon_span.png'):
        (tmp_path / fig).write_bytes(b'png')
    (tmp_path / 'docs' / 'figures').mkdir(parents=True)
    page = tmp_path / 'docs' / 'results.md'
    body = ['# Results', 'kept text']
    for name in reading.DOC_SECTIONS:
        body += [f'<!-- BEGIN generated:{name} -->', 'old',
                 f'<!-- END generated:{name} -->', f'after {name}']
    page.write_text('\n'.join(body) + '\n')
    written = reading.write_docs(res, str(page))
    figs = tmp_path / 'docs' / 'figures'
    assert written == [str(page), str(figs / 'reading_v2_pretrain_curves.png'),
                       str(figs / 'reading_v2_recon_span.png')]
    assert (figs / 'reading_v2_recon_span.png').read_bytes() == b'png'
    text = page.read_text()
    sec = reading.doc_sections(res)
    for name in reading.DOC_SECTIONS:
        assert (f'<!-- BEGIN generated:{name} -->\n{sec[name]}\n'
                f'<!-- END generated:{name} -->\nafter {name}') in text
    assert 'old' not in text and text.startswith('# Results\nkept text\n')
    # idempotent
    reading.write_docs(res, str(page))
    assert page.read_text() == text
    with pytest.raises(ValueError, match='reading-v2-table'):
        reading.replace_generated('no markers', {'reading-v2-table': 'x'})


def test_doc_sections_of_another_scale(tmp_path):
    """The recipe-scale run writes its own regions and figures; the
    default protocol's regions stay as they are."""
    res = _results(tmp_path)
    names = reading.doc_section_names(reading.RECIPE_DOC_PREFIX)
    assert names == tuple(f'reading-recipe-{p}' for p in reading.DOC_PARTS)
    sec = reading.doc_sections(res, prefix='reading-recipe')
    assert set(sec) == set(names)
    v2 = reading.doc_sections(res)
    for part in reading.DOC_PARTS:  # same text, other figure names
        assert sec[f'reading-recipe-{part}'] == v2[f'reading-v2-{part}'] \
            .replace('reading_v2_', 'reading_recipe_')
    assert '(figures/reading_recipe_pretrain_curves.png)' in \
        sec['reading-recipe-curves']
    for fig in ('pretrain_curves.png', 'recon_span.png'):
        (tmp_path / fig).write_bytes(b'png')
    (tmp_path / 'docs' / 'figures').mkdir(parents=True)
    page = tmp_path / 'docs' / 'results.md'
    body = []
    for name in reading.DOC_SECTIONS + names:
        body += [f'<!-- BEGIN generated:{name} -->', 'old',
                 f'<!-- END generated:{name} -->']
    page.write_text('\n'.join(body) + '\n')
    written = reading.write_docs(res, str(page), prefix='reading-recipe')
    figs = tmp_path / 'docs' / 'figures'
    assert written[1:] == [str(figs / 'reading_recipe_pretrain_curves.png'),
                           str(figs / 'reading_recipe_recon_span.png')]
    text = page.read_text()
    assert text.count('old') == len(reading.DOC_SECTIONS)
    for name in reading.DOC_SECTIONS:
        assert (f'<!-- BEGIN generated:{name} -->\nold\n'
                f'<!-- END generated:{name} -->') in text
    assert not (figs / 'reading_v2_recon_span.png').exists()
    # a page without the prefix's regions is refused before any figure
    # is copied
    page.write_text('nothing here\n')
    for f in figs.iterdir():
        f.unlink()
    with pytest.raises(ValueError, match='reading-other-answer'):
        reading.write_docs(res, str(page), prefix='reading-other')
    assert list(figs.iterdir()) == []
    for bad in ('', 'Reading', 'reading_v2', 'a--b', '-a', 'a b'):
        with pytest.raises(ValueError, match='docs prefix'):
            reading.doc_section_names(bad)


def test_results_page_has_every_generated_region():
    with open(osp.join(ROOT, 'docs', 'results.md')) as f:
        text = f.read()
    for prefix in (reading.DOC_PREFIX, reading.RECIPE_DOC_PREFIX):
        reading.replace_generated(
            text, {n: '' for n in reading.doc_section_names(prefix)})


# --------------------------------------------------------------------------
# the smallest protocol, end to end
# --------------------------------------------------------------------------
TINY = [
    '--jobs', '2', '--recon-images', '4', '--seeds', '0',
    '--probe-train-limit', '8',
    '--extra-arm-seeds', '--pretrain-synth', '4',
    '--finetune-iters', '3', '--batch-size', '4',
    '--pretrain-options', 'train_dataloader.dataset.datasets.0.indices=4',
    'train_dataloader.dataset.datasets.1.indices=4',
    'train_dataloader.dataset.datasets.2.indices=4',
    'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
    'default_hooks.logger.interval=1',
    '--finetune-options', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'default_hooks.logger.interval=1'
]


@pytest.fixture(scope='module')
def tiny_protocol(tmp_path_factory):
    from conftest import STR_REAL
    if not osp.isdir(STR_REAL):
        pytest.skip(f'real word crops not found at {STR_REAL}')
    root = tmp_path_factory.mktemp('reading_protocol')
    benches = []
    for split in ('iiit5k_test', 'svt_test'):  # 4 crops each
        d = root / 'bench' / split
        d.mkdir(parents=True)
        with open(osp.join(STR_REAL, split, 'labels.tsv')) as f:
            (d / 'labels.tsv').write_text(''.join(f.readlines()[:4]))
        os.symlink(osp.join(osp.abspath(STR_REAL), split, 'IMG'), d / 'IMG')
        benches.append(str(d))
    tool = _load_tool('reading_protocol')
    argv = ['--arms', 'mms', 'mae', 'scratch', '--out', str(root / 'out'),
            '--str-real', STR_REAL, '--benchmarks', *benches] + TINY
    results = tool.main(argv)
    return tool, argv, root / 'out', results


def test_tiny_protocol_writes_results(tiny_protocol, str_real_root):
    _, _, out, results = tiny_protocol
    on_disk = json.loads((out / 'results.json').read_text())
    assert on_disk['benchmarks'] == ['IIIT5K', 'SVT']
    assert [(r['arm'], r['seed']) for r in on_disk['runs']] == [
        ('mms', 0), ('mae', 0), ('scratch', 0)]
    for r in on_disk['runs']:
        for name in ('IIIT5K', 'SVT'):
            s = r['scores'][name]
            assert s['n'] == 4 and 0 <= s['word_acc'] <= 1
            assert 0 <= s['one_minus_ned'] <= 1
            rows = (out / r['arm'] / 'seed0' /
                    f'predictions_{name}.tsv').read_text().splitlines()
            assert len(rows) == 4
            pairs = [row.split('\t')[1:] for row in rows]
            assert reading.word_scores(pairs) == s
        stages = ['finetune', 'evaluate', 'total']
        if r['arm'] != 'scratch':
            stages = ['pretrain', 'convert'] + stages
        assert list(r['seconds']) == stages
        assert [i for i, _ in r['curves']['finetune']] == [1, 2, 3]
    assert set(on_disk['arms']) == {'mms', 'mae', 'scratch'}
    assert on_disk['arms']['mms']['IIIT5K']['word_acc']['n'] == 1
    assert set(on_disk['paired']) == {'mms-mae', 'mms-scratch',
                                      'mae-scratch'}
    assert on_disk['paired']['mms-mae']['SVT']['seeds'] == [0]
    for key in ('commit', 'date', 'machine', 'command', 'wall_seconds'):
        assert on_disk[key]
    assert sorted(osp.basename(f) for f in on_disk['figures']) == [
        'finetune_curves.png', 'pretrain_curves.png', 'recon_span.png']
    # secondary measure: every pretrained model on the same 4 held-out
    # words and masks (scratch has no decoder)
    rec = on_disk['reconstruction']
    assert rec['images'] == 4 and rec['figure_seed'] == 0
    assert set(rec['losses']) == {'mms/seed0', 'mae/seed0'}
    for losses in rec['losses'].values():
        assert set(losses) == {'random', 'blockwise', 'span'}
        assert all(math.isfinite(v) and v > 0 for v in losses.values())
    assert rec['losses']['mms/seed0'] != rec['losses']['mae/seed0']
    # secondary measure: a probe on each run's starting encoder
    probe = on_disk['probe']
    assert probe['settings']['train_limit'] == 8
    assert set(probe['values']) == {'mms/seed0', 'mae/seed0',
                                    'scratch/seed0'}
    for v in probe['values'].values():
        assert v['IIIT5K_n'] == v['SVT_n'] == 4
        assert v['train_stats']['kept'] + \
            v['train_stats']['skipped_too_long'] == 3 * 8
        for k in ('IIIT5K', 'SVT', 'IIIT5K_ned', 'SVT_ned'):
            assert 0 <= v[k] <= 1
        assert math.isfinite(v['avg_ctc']) and v['avg_ctc'] > 0
    # different encoders, different features: the probes differ
    assert len({v['avg_ctc'] for v in probe['values'].values()}) == 3
    assert on_disk['jobs'] == 2
    setup = reading.doc_sections(on_disk)['reading-v2-setup']
    assert '; scratch skips pretraining.' in setup
    assert 'blockwise and span' not in setup
    assert 0 < on_disk['elapsed_seconds']
    assert all(osp.isfile(f) for f in on_disk['figures'])


def test_tiny_protocol_budgets_equal_from_logs(tiny_protocol,
                                                str_real_root):
    _, _, out, results = tiny_protocol
    assert results['budget'] == dict(
        equal=True,
        pretrain=dict(kind='epochs', epochs=1, iters_per_epoch=2, iters=2,
                      batch_size=8, samples=16),
        finetune=dict(kind='iters', iters=3, batch_size=4, samples=12),
        mismatches=[])
    # and straight from each run's mmengine log
    for arm in ('mms', 'mae', 'scratch'):
        logs = [str(p) for p in (out / arm / 'seed0' / 'finetune').glob(
            '*/*.log')]
        text = open(logs[0]).read()
        assert re.findall(r'Iter\(train\) \[(\d)/(\d)\]', text) == [
            ('1', '3'), ('2', '3'), ('3', '3')]
        assert 'batch_size=4' in text
        assert 'Iter(val)' not in text  # scored once, by the protocol
        pre = list((out / arm / 'seed0' / 'pretrain').glob('*/*.log'))
        if arm == 'scratch':
            assert not pre
        else:
            ptext = open(pre[0]).read()
            assert re.findall(r'Epoch\(train\) \[1\]\[(\d)/(\d)\]',
                              ptext) == [('1', '2'), ('2', '2')]
            assert 'batch_size=8' in ptext


def test_tiny_protocol_resumes(tiny_protocol, str_real_root):
    tool, argv, out, results = tiny_protocol
    mtimes = {p: p.stat().st_mtime for p in out.glob('*/seed0/summary.json')}
    again = tool.main(argv)
    assert {p: p.stat().st_mtime for p in mtimes} == mtimes
    assert again['runs'] == results['runs']
    # nothing ran again: when and how long the runs took is kept
    for key in ('commit', 'date', 'command', 'elapsed_seconds', 'jobs'):
        assert again[key] == results[key]
    assert again['updated']['commit'] and 'updated' not in results
    assert 'Aggregated again' in reading.doc_sections(again)[
        'reading-v2-setup']
    with pytest.raises(SystemExit, match='other options'):
        tool.main([a if a != '3' else '4' for a in argv])


def test_tiny_protocol_arm_added_later(tiny_protocol, str_real_root,
                                       tmp_path):
    """An arm added to a finished protocol runs alone; the results say
    which earlier call ran the others, and how long it took."""
    import shutil
    tool, argv, out, results = tiny_protocol
    out2 = tmp_path / 'out'
    shutil.copytree(out, out2)
    argv2 = [str(out2) if a == str(out) else a for a in argv]
    i = argv2.index('--arms')
    assert argv2[i + 1:i + 4] == ['mms', 'mae', 'scratch']
    argv2[i + 1:i + 4] = ['mms', 'scratch', 'span']  # span: new
    argv2.insert(argv2.index('--extra-arm-seeds') + 1, '0')
    first = json.loads((out2 / 'results.json').read_text())
    again = tool.main(argv2)
    assert sorted((r['arm'], r['seed']) for r in again['runs']) == [
        ('mms', 0), ('scratch', 0), ('span', 0)]
    for arm in ('mms', 'scratch'):  # not run again
        assert (out2 / arm / 'seed0' / 'summary.json').read_text() == \
            (out / arm / 'seed0' / 'summary.json').read_text()
    assert (out2 / 'span' / 'seed0' / 'summary.json').is_file()
    assert again['earlier'] == [
        {k: first[k] for k in ('command', 'commit', 'date', 'jobs',
                               'elapsed_seconds')}]
    assert 'updated' not in again
    setup = reading.doc_sections(again)['reading-v2-setup']
    assert '**Wall time of this call: ' in setup
    # the sum of run times covers every run, not only this call's
    assert 'the runs themselves, those of earlier calls included, took' \
        in setup
    assert (f'Runs already done were taken from earlier calls: '
            f'`{first["command"]}` (commit `{first["commit"]}`') in setup
    # called again with nothing to run: the earlier call stays on record
    third = tool.main(argv2)
    assert third['earlier'] == again['earlier']
    assert third['updated'] and third['command'] == again['command']


def test_probe_result_kept_for_the_same_settings(tmp_path, monkeypatch,
                                                capsys):
    """A run's probe is trained once per settings: called again it returns
    the stored result; other settings remove the cached features first."""
    calls = []

    def fake_run_probe(args, backbone, seed, cache_dir, sets):
        calls.append(sorted(sets))
        feats = osp.join(cache_dir, 'feats_concat_train_0.pt')
        found = osp.isfile(feats)
        with open(feats, 'w') as f:
            f.write('features')
        return dict(iiit5k_test=0.25 * len(calls), train_acc=0.5,
                    features_found=found, train_stats=dict(kept=3))

    from mmocr_mms.experiments import mms_vs_mae
    monkeypatch.setattr(mms_vs_mae, 'run_probe', fake_run_probe)
    monkeypatch.setattr(reading, 'probe_backbone', lambda run: None)
    run = dict(arm='mms', seed=0, run_dir=str(tmp_path / 'mms' / 'seed0'))
    sets = dict(train=[dict(type='T', indices=100)],
                iiit5k_test=[dict(type='T')])
    first = reading._probe_run(run, sets)
    assert first == dict(iiit5k_test=0.25, train_acc=0.5,
                         features_found=False, train_stats=dict(kept=3))
    again = reading._probe_run(run, sets)
    assert again == first and len(calls) == 1
    assert 'done before' in capsys.readouterr().out
    # another training limit: trained again on freshly extracted features
    other = dict(sets, train=[dict(type='T', indices=50)])
    third = reading._probe_run(run, other)
    assert len(calls) == 2 and third['iiit5k_test'] == 0.5
    assert third["features_found"] is False
    assert 'other probe settings' in capsys.readouterr().out
    # an interrupted probe (no result.json) with the same settings keeps
    # its features and trains again
    os.remove(osp.join(run['run_dir'], 'probe', 'result.json'))
    fourth = reading._probe_run(run, other)
    assert len(calls) == 3 and fourth["features_found"] is True


def test_plan_of_the_default_protocol(tmp_path):
    """The default budget: 11 runs, two at a time, sized for 120 min on the
    2-core CPU (an empty --out: runs found there are not estimated)."""
    tool = _load_tool('reading_protocol')
    empty = ['--out', str(tmp_path)]
    p = tool.main(['--plan'] + empty)
    assert p['runs'] == [('mms', 0), ('mae', 0), ('scratch', 0),
                         ('blockwise', 0), ('span', 0), ('mms', 1),
                         ('mae', 1), ('scratch', 1), ('mms', 2), ('mae', 2),
                         ('scratch', 2)]
    assert p['corpus'] == 6725 + 10000 and p['pretrain_iters'] == 131
    pre, ft = 131 * 1.02, 1700 * 0.55 + 90
    # two slots, runs started in order on the first free one
    slots = [0.0, 0.0]
    for arm, _ in p['runs']:
        slots[slots.index(min(slots))] += ft + (arm != 'scratch') * pre
    assert max(slots) - min(slots) < ft + pre  # balanced
    assert p['done'] == []
    runs_only = tool.main(['--plan', '--no-probe'] + empty)
    assert runs_only['minutes'] == pytest.approx((max(slots) + 30) / 60)
    # the 11 probes (90 s each on one thread) mostly fill the slot the
    # last run leaves idle: less than their 16.5 min, more than nothing
    assert 0 < p['minutes'] - runs_only['minutes'] < 11 * 90 / 60 / 2
    assert p['minutes'] < 120
    one = tool.main(['--plan', '--jobs', '1'] + empty)
    assert one['minutes'] == pytest.approx(
        (8 * 131 * 0.6 + 11 * (1700 * 0.38 + 90) + 11 * 60 + 30) / 60)
    for bad in (['--finetune-iters', '0'], ['--jobs', '0'],
                ['--scale', 'huge'], ['--docs-prefix', 'Bad_Prefix']):
        with pytest.raises(SystemExit):
            tool.parse_args(bad)


def test_plan_leaves_out_runs_done_before(tmp_path, capsys):
    """Runs with a summary.json in --out are listed as done and not
    estimated again; the estimate is that of the runs left."""
    tool = _load_tool('reading_protocol')
    opts = ['--plan', '--no-probe', '--out', str(tmp_path), '--arms', 'mms',
            'scratch', '--seeds', '0', '1', '--extra-arm-seeds']
    full = tool.main(opts)
    for arm, seed in (('mms', 0), ('scratch', 1)):
        path = tmp_path / arm / f'seed{seed}' / 'summary.json'
        path.parent.mkdir(parents=True)
        path.write_text('{}')
    # an unfinished run (no summary.json) still counts as left
    (tmp_path / 'mms' / 'seed1').mkdir()
    capsys.readouterr()
    p = tool.main(opts)
    out = capsys.readouterr().out
    assert p['runs'] == full['runs']
    assert p['done'] == [('mms', 0), ('scratch', 1)]
    assert '2 done before' in out and 'mms/0, scratch/1' in out
    assert 'for the 2 runs left' in out
    # left: mms/1 (pretraining + fine-tuning) and scratch/0 (fine-tuning),
    # one on each slot
    pre = -(-(6725 + 10000) // 128) * 1.02  # 1 epoch (v2)
    ft = 1700 * 0.55 + 90
    assert p['minutes'] == pytest.approx((pre + ft + 30) / 60)
    assert full['minutes'] > p['minutes']


def test_scales_preset_options_that_the_command_line_overrides(tmp_path):
    tool = _load_tool('reading_protocol')
    v2 = tool.parse_args([])
    assert (v2.scale, v2.arms, v2.seeds, v2.extra_arm_seeds,
            v2.pretrain_epochs, v2.pretrain_synth, v2.finetune_iters,
            v2.probe, v2.out, v2.docs_prefix) == (
        'v2', ['mms', 'mae', 'scratch', 'blockwise', 'span'], [0, 1, 2],
        [0], 1, 10000, 1700, True, 'work_dirs/reading_protocol',
        'reading-v2')
    rec = tool.parse_args(['--scale', 'recipe'])
    assert (rec.arms, rec.seeds, rec.extra_arm_seeds, rec.pretrain_epochs,
            rec.pretrain_synth, rec.finetune_iters, rec.probe, rec.out,
            rec.docs_prefix) == (
        ['mms', 'mae', 'scratch'], [0, 1, 2], [], 3, 20000, 4000, False,
        'work_dirs/reading_protocol_recipe', 'reading-recipe')
    # given options win, wherever --scale stands
    mixed = tool.parse_args(['--finetune-iters', '50', '--scale', 'recipe',
                             '--probe', '--seeds', '3'])
    assert (mixed.finetune_iters, mixed.probe, mixed.seeds,
            mixed.pretrain_epochs) == (50, True, [3], 3)
    assert tool.parse_args(['--no-probe']).probe is False
    # the recipe scale: 9 runs, two at a time
    p = tool.main(['--plan', '--scale', 'recipe', '--out', str(tmp_path)])
    assert p['runs'] == [(arm, seed) for seed in (0, 1, 2)
                         for arm in ('mms', 'mae', 'scratch')]
    assert p['corpus'] == 6725 + 20000
    assert p['pretrain_iters'] == 3 * -(-(6725 + 20000) // 128) == 627
    ft, pre = 4000 * 0.55 + 90, 627 * 1.02
    slots = [0.0, 0.0]
    for arm, _ in p['runs']:
        slots[slots.index(min(slots))] += ft + (arm != 'scratch') * pre
    assert p['minutes'] == pytest.approx((max(slots) + 30) / 60)
