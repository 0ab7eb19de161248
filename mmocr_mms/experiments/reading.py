"""Stages of the reading recipe and of protocol v2 (MMS vs MAE vs scratch by
word accuracy): the functions behind ``tools/experiments/reading_recipe.py``
and ``tools/experiments/reading_protocol.py``.

A run is: MMS (or MAE, ...) pretraining -> backbone extraction -> CTC
fine-tuning -> evaluation on IIIT5K / SVT test. Training stages run as
separate ``tools/train.py`` / ``tools/model_converters/mms_to_backbone.py``
processes, each exactly what a user would type, with its output in a log
file; :func:`run_stage` runs one and returns its wall time.

Besides the stages, this module reads what the runs left behind:

* :func:`training_budget`: iterations, batch size and samples seen by a
  training run, from its mmengine log and dumped config (so that equal
  budgets across arms are checked from what actually ran);
* :func:`loss_curve`: the logged training loss per iteration;
* :func:`predict_benchmark` / :func:`word_scores`: per-sample predictions
  of a recognizer and the protocol's word accuracy (ignoring case and
  symbols) and 1 - normalised edit distance computed from them.
"""
import glob
import math
import os.path as osp
import re
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = [
    'REPO', 'PRETRAIN_CONFIG', 'MAE_CONFIG', 'FINETUNE_CONFIG',
    'run_stage', 'pretrain', 'convert', 'finetune', 'evaluate',
    'finetune_warmup', 'training_budget', 'loss_curve', 'predict_benchmark',
    'word_scores', 'benchmark_names', 'PROTOCOL_ARMS', 'PAIRS',
    'NO_VALIDATION',
    'arm_pretrain_config', 'evaluate_predictions', 'read_predictions',
    'protocol_run', 'check_budgets', 'mean_std', 'mcnemar_exact', 'paired',
    'aggregate', 'machine_info', 'git_commit', 'plot_curves',
    'protocol_runs', 'protocol', 'RECON_IMAGES', 'reconstruction_measures',
    'PROBE', 'probe_backbone', 'probe_sets', 'probe_measures',
    'DOC_PARTS', 'DOC_PREFIX', 'RECIPE_DOC_PREFIX', 'DOC_SECTIONS',
    'doc_section_names', 'doc_figure_name', 'doc_sections',
    'replace_generated', 'write_docs'
]

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRETRAIN_CONFIG = 'configs/mms/mms_text-vit-mini-p8_3e_str-real-synth.py'
MAE_CONFIG = 'configs/mms/mae_text-vit-mini-p8_3e_str-real-synth.py'
FINETUNE_CONFIG = ('configs/textrecog/svtr/'
                   'svtr_text-vit-mini-p8_20k-iters_str-real-synth.py')


# --------------------------------------------------------------------------
# stages (subprocesses)
# --------------------------------------------------------------------------
def run_stage(cmd: Sequence[str], log_path: str) -> float:
    """Run ``cmd`` from the repository root with its output in
    ``log_path``; return its wall time in seconds.

    Raises:
        SystemExit: the command failed (the message holds the log's tail).
    """
    print('$ ' + ' '.join(cmd), flush=True)
    t0 = time.perf_counter()
    with open(log_path, 'w') as log:
        proc = subprocess.run(list(cmd), cwd=REPO, stdout=log,
                              stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-4000:]
        raise SystemExit(f'stage failed (exit {proc.returncode}); end of '
                         f'{log_path}:\n{tail}')
    print(f'  done in {seconds / 60:.1f} min (log: {log_path})', flush=True)
    return seconds


def pretrain(config: str, work_dir: str, log_path: str, *, epochs: int,
             num_synth: int, seed: int,
             options: Sequence[str] = ()) -> Tuple[float, str]:
    """Pretrain with ``config`` (a config of the
    ``mms_text-vit-mini-p8_3e_str-real-synth.py`` layout: the rendered
    words are ``train_dataloader.dataset.datasets.3``) for ``epochs`` over
    the real crops + ``num_synth`` rendered words.

    Args:
        options: Extra ``--cfg-options`` (``key=value``), after the
            recipe's own.

    Returns:
        (seconds, path of the last checkpoint).
    """
    seconds = run_stage([
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        '--cfg-options', f'randomness.seed={seed}',
        f'train_cfg.max_epochs={epochs}',
        f'train_dataloader.dataset.datasets.3.num_samples={num_synth}',
        f'param_scheduler.1.T_max={epochs}',
        f'param_scheduler.1.end={epochs}',
        f'default_hooks.checkpoint.interval={epochs}', *options
    ], log_path)
    return seconds, osp.join(work_dir, f'epoch_{epochs}.pth')


def convert(checkpoint: str, backbone: str, log_path: str) -> float:
    """Extract the encoder of a pretraining checkpoint
    (``tools/model_converters/mms_to_backbone.py``); returns seconds."""
    return run_stage([
        sys.executable, 'tools/model_converters/mms_to_backbone.py',
        checkpoint, backbone
    ], log_path)


def finetune_warmup(iters: int) -> int:
    """Warm-up iterations of a fine-tuning run of ``iters``: a tenth, at
    least 1, at most the config's 300."""
    return min(300, max(1, iters // 10))


def finetune(config: str, work_dir: str, log_path: str, *,
             backbone: Optional[str], iters: int, batch_size: int,
             seed: int,
             options: Sequence[str] = ()) -> Tuple[float, str, str]:
    """Fine-tune ``config`` (iteration-based, a ``MixedSourceSampler``)
    for ``iters`` iterations of ``batch_size`` from ``backbone`` (None:
    random init), warm-up :func:`finetune_warmup` then cosine to the end.

    Returns:
        (seconds, dumped config in the work dir, last checkpoint).
    """
    init = (f'model.backbone.init_cfg.checkpoint={backbone}'
            if backbone else 'model.backbone.init_cfg=None')
    warmup = finetune_warmup(iters)
    seconds = run_stage([
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        '--cfg-options', init, f'randomness.seed={seed}',
        f'train_dataloader.batch_size={batch_size}',
        f'train_dataloader.sampler.seed={seed}',
        f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters + 1}',
        f'param_scheduler.0.end={warmup}',
        f'param_scheduler.1.begin={warmup}',
        f'param_scheduler.1.T_max={iters - warmup}',
        f'param_scheduler.1.end={iters}',
        f'default_hooks.checkpoint.interval={iters}', *options
    ], log_path)
    return (seconds, osp.join(work_dir, osp.basename(config)),
            osp.join(work_dir, f'iter_{iters}.pth'))


def benchmark_names(benchmarks: Sequence[str]) -> List[str]:
    """Row names: ``.../iiit5k_test`` -> ``IIIT5K``."""
    return [osp.basename(b.rstrip('/')).split('_')[0].upper()
            for b in benchmarks]


def evaluate(config: str, checkpoint: str, benchmarks: Sequence[str],
             json_path: str, log_path: str) -> float:
    """``tools/eval_benchmarks.py`` on ``benchmarks`` (names from
    :func:`benchmark_names`), results in ``json_path``; returns seconds."""
    return run_stage([
        sys.executable, 'tools/eval_benchmarks.py', config, checkpoint,
        '--benchmarks', *benchmarks, '--names', *benchmark_names(benchmarks),
        '--json', json_path, '--num-workers', '1'
    ], log_path)


# --------------------------------------------------------------------------
# what the runs left behind
# --------------------------------------------------------------------------
_EPOCH_RE = re.compile(r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\]'
                       r'.*?\sloss: ([0-9.eE+-]+|nan|inf)')
_ITER_RE = re.compile(r'Iter\(train\)\s+\[\s*(\d+)/(\d+)\]'
                      r'.*?\sloss: ([0-9.eE+-]+|nan|inf)')
_SAVED_RE = re.compile(r'Saving checkpoint at (\d+) (epochs|iterations)')


def _run_logs(work_dir: str) -> List[str]:
    """mmengine's text logs of a work dir (``<work_dir>/<time>/<time>.log``),
    oldest first."""
    return sorted(glob.glob(osp.join(work_dir, '*', '*.log')))


def loss_curve(work_dir: str) -> Dict[int, float]:
    """{iteration: logged training loss} of the run(s) in ``work_dir``
    (epoch-based logs are turned into global iterations)."""
    curve: Dict[int, float] = {}
    for path in _run_logs(work_dir):
        with open(path) as f:
            for line in f:
                m = _EPOCH_RE.search(line)
                if m:
                    epoch, it, per_epoch = (int(g) for g in m.groups()[:3])
                    curve[(epoch - 1) * per_epoch + it] = float(m.group(4))
                    continue
                m = _ITER_RE.search(line)
                if m:
                    curve[int(m.group(1))] = float(m.group(3))
    return curve


def training_budget(work_dir: str, config: str) -> dict:
    """What a finished training run consumed, read from its mmengine log
    and the config the runner dumped (``config``, in the work dir).

    Epoch-based runs: the last saved checkpoint's epoch times the
    iterations per epoch of the log lines; samples = epochs x length of the
    training dataset (every sample once per epoch; the last batch of an
    epoch may be smaller). Iteration-based runs: the last saved
    checkpoint's iteration; samples = iterations x batch size (the
    ``MixedSourceSampler`` is endless, every batch is full).

    Returns:
        dict(kind='epochs'|'iters', epochs (epoch-based), iters_per_epoch
        (epoch-based), iters, batch_size, samples).

    Raises:
        ValueError: the log has no saved checkpoint or no training lines.
    """
    from mmengine.config import Config
    saved, per_epoch = None, None
    for path in _run_logs(work_dir):
        with open(path) as f:
            for line in f:
                m = _SAVED_RE.search(line)
                if m:
                    saved = (int(m.group(1)), m.group(2))
                m = _EPOCH_RE.search(line)
                if m:
                    per_epoch = int(m.group(3))
    if saved is None:
        raise ValueError(f'work_dir: no saved checkpoint logged in '
                         f'{work_dir}')
    cfg = Config.fromfile(config)
    batch = int(cfg.train_dataloader.batch_size)
    if saved[1] == 'iterations':
        return dict(kind='iters', iters=saved[0], batch_size=batch,
                    samples=saved[0] * batch)
    if per_epoch is None:
        raise ValueError(f'work_dir: no Epoch(train) lines in the log of '
                         f'{work_dir}')
    size = _dataset_length(cfg.train_dataloader.dataset)
    if per_epoch != math.ceil(size / batch):
        raise ValueError(f'work_dir: {per_epoch} iterations per epoch '
                         f'logged, but {size} samples / batch {batch}')
    return dict(kind='epochs', epochs=saved[0], iters_per_epoch=per_epoch,
                iters=saved[0] * per_epoch, batch_size=batch,
                samples=saved[0] * size)


def _dataset_length(ds_cfg) -> int:
    """Length of a training dataset config without running its pipeline:
    a ``ConcatDataset`` sums its parts, a virtual dataset (rendered words,
    :class:`~mmocr_mms.datasets.base.VirtualDataset`) is ``num_samples``
    (capped by an int ``indices``), anything else is built (an image
    folder is scanned)."""
    import copy

    from mmengine.registry import init_default_scope
    from mmocr.registry import DATASETS

    from ..datasets.base import VirtualDataset
    init_default_scope('mmocr')
    if ds_cfg.get('type') == 'ConcatDataset':
        return sum(_dataset_length(d) for d in ds_cfg['datasets'])
    cls = DATASETS.get(ds_cfg.get('type'))
    if isinstance(cls, type) and issubclass(cls, VirtualDataset) \
            and 'num_samples' in ds_cfg:
        n = int(ds_cfg['num_samples'])
        indices = ds_cfg.get('indices')
        return min(n, int(indices)) if isinstance(indices, int) else n
    return len(DATASETS.build(copy.deepcopy(ds_cfg)))


# --------------------------------------------------------------------------
# evaluation with per-sample predictions
# --------------------------------------------------------------------------
def predict_benchmark(model, path: str, pipeline: Sequence[dict],
                      batch_size: int = 64, num_workers: int = 0,
                      label_rule: Optional[dict] = None
                      ) -> List[Tuple[str, str, str]]:
    """(image path, label, prediction) of every crop of a benchmark, read
    as ``tools/eval_benchmarks.py`` reads it
    (:func:`~mmocr_mms.evaluation.recog_benchmarks.benchmark_dataset_cfg`,
    the evaluation label rule by default).

    Args:
        model: An MMOCR recognizer in eval mode.
        path: Benchmark folder (``labels.tsv``) or MMOCR json.
        pipeline: The test pipeline of the recognizer's config.
    """
    import torch
    from mmengine.dataset import pseudo_collate
    from mmocr.registry import DATASETS
    from torch.utils.data import DataLoader

    from ..evaluation.recog_benchmarks import (EVAL_LABEL_RULE,
                                               benchmark_dataset_cfg)
    rule = dict(EVAL_LABEL_RULE if label_rule is None else label_rule)
    ds = DATASETS.build(benchmark_dataset_cfg(path, pipeline, rule))
    ds.full_init()
    loader = DataLoader(ds, batch_size=batch_size, shuffle=False,
                        num_workers=num_workers, collate_fn=pseudo_collate)
    out = []
    with torch.no_grad():
        for batch in loader:
            for sample in model.test_step(batch):
                out.append((sample.metainfo.get('img_path', ''),
                            sample.gt_text.item, sample.pred_text.item))
    return out


def word_scores(pairs: Sequence[Tuple[str, str]]) -> dict:
    """The protocol's scores of (label, prediction) pairs: both sides
    lower-cased and stripped of everything but ``[0-9a-z]``
    (:func:`~mmocr_mms.utils.text.normalize_label`), as MMOCR's
    ``WordMetric`` (``ignore_case_symbol``) and ``OneMinusNEDMetric`` do.

    Returns:
        dict(word_acc=fraction of exact matches, one_minus_ned=mean of
        1 - Levenshtein distance / max length, n=number of pairs); 0.0 for
        no pairs.
    """
    from rapidfuzz.distance import Levenshtein

    from ..utils.text import normalize_label
    if not pairs:
        return dict(word_acc=0.0, one_minus_ned=0.0, n=0)
    norm = [(normalize_label(t), normalize_label(p)) for t, p in pairs]
    acc = sum(t == p for t, p in norm) / len(norm)
    ned = sum(1 - Levenshtein.normalized_distance(p, t)
              for t, p in norm) / len(norm)
    return dict(word_acc=acc, one_minus_ned=ned, n=len(norm))


# --------------------------------------------------------------------------
# protocol v2: arms x seeds at equal budgets
# --------------------------------------------------------------------------
#: Arms of the protocol. ``mms``: the MultiMasking of the MMS config;
#: ``mae``: the MAE config (random 0.75); ``blockwise`` / ``span``: that
#: MultiMasking with one strategy; ``scratch``: no pretraining.
PROTOCOL_ARMS = ('mms', 'mae', 'blockwise', 'span', 'scratch')
#: Pairs compared seed by seed (first minus second).
PAIRS = (('mms', 'mae'), ('mms', 'scratch'), ('mae', 'scratch'))
#: Fine-tuning options of every protocol run: no validation loop
#: (mmengine's IterBasedTrainLoop validates after the last iteration
#: whatever ``val_interval`` says, which would score the benchmarks twice;
#: :func:`evaluate_predictions` scores them once).
NO_VALIDATION = ('val_dataloader=None', 'val_cfg=None', 'val_evaluator=None')


def arm_pretrain_config(arm: str, run_dir: str, mms_config: str,
                        mae_config: str) -> Optional[str]:
    """The pretraining config of an arm: the MMS config, the MAE config,
    None for ``scratch``; for ``blockwise`` / ``span`` a config written
    into ``run_dir`` that inherits the MMS config and keeps its
    ``MultiMasking`` with that one strategy (probability 1), in every
    corpus part, so that nothing else differs."""
    import os
    import pprint

    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmocr.registry import TRANSFORMS

    from .mms_vs_mae import find_mask_transform
    if arm not in PROTOCOL_ARMS:
        raise ValueError(f'arm must be one of {PROTOCOL_ARMS}, got {arm!r}')
    if arm == 'scratch':
        return None
    if arm == 'mms':
        return mms_config
    if arm == 'mae':
        return mae_config
    init_default_scope('mmocr')
    base = osp.abspath(osp.join(REPO, mms_config))
    multi, _, _ = find_mask_transform(Config.fromfile(base))
    chosen = [s for s in multi['strategies']
              if TRANSFORMS.get(s['type']).mask_type == arm]
    if len(chosen) != 1:
        raise ValueError(f'mms_config: {mms_config} has {len(chosen)} '
                         f'{arm} strategies (need 1)')
    single = dict(multi, strategies=chosen, probs=[1.0])
    os.makedirs(run_dir, exist_ok=True)
    path = osp.join(run_dir, f'pretrain_{arm}.py')
    with open(path, 'w') as f:
        f.write(
            f'# Written by mmocr_mms.experiments.reading: the {arm} arm, '
            f'the MultiMasking of\n# {mms_config} with its {arm} strategy '
            'only.\n'
            f'_base_ = [{base!r}]\n\n'
            f'single_mask = {pprint.pformat(single, sort_dicts=False)}\n'
            'mask_transform = dict(_delete_=True, **single_mask)\n'
            'pipeline = [single_mask if t["type"] == "MultiMasking" else t\n'
            '            for t in _base_.pipeline]\n'
            'train_dataloader = dict(dataset=dict(datasets=[\n'
            '    dict(d, pipeline=[single_mask if t["type"] == '
            '"MultiMasking" else t\n'
            '                      for t in d["pipeline"]])\n'
            '    for d in _base_.train_dataloader.dataset.datasets]))\n')
    return path


def _write_json(obj, path: str) -> None:
    """Write JSON atomically (a crash leaves the old file or none)."""
    import json
    import os
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def evaluate_predictions(config: str, checkpoint: str,
                         benchmarks: Sequence[str], out_dir: str,
                         batch_size: int = 64) -> Dict[str, dict]:
    """Evaluate a fine-tuned recognizer in this process, keeping every
    prediction: ``predictions_<NAME>.tsv`` (image, label, prediction) in
    ``out_dir`` and :func:`word_scores` per benchmark name."""
    from ..evaluation.recog_benchmarks import dataset_cfg_of, load_recognizer
    model, cfg = load_recognizer(config, checkpoint)
    pipeline = dataset_cfg_of(cfg, 'test')['pipeline']
    scores = {}
    for name, path in zip(benchmark_names(benchmarks), benchmarks):
        rows = predict_benchmark(model, path, pipeline, batch_size)
        with open(osp.join(out_dir, f'predictions_{name}.tsv'), 'w',
                  encoding='utf-8') as f:
            for img, label, pred in rows:
                f.write(f'{img}\t{label}\t{pred}\n')
        scores[name] = word_scores([(t, p) for _, t, p in rows])
    return scores


def read_predictions(run_dir: str, name: str) -> Dict[str, Tuple[str, str]]:
    """{image: (label, prediction)} written by :func:`evaluate_predictions`
    for benchmark ``name``."""
    out = {}
    with open(osp.join(run_dir, f'predictions_{name}.tsv'),
              encoding='utf-8') as f:
        for line in f:
            img, label, pred = line.rstrip('\n').split('\t')
            out[img] = (label, pred)
    return out


def run_summary_path(out_dir: str, arm: str, seed: int) -> str:
    """``summary.json`` of one arm and seed of the protocol in
    ``out_dir`` (its run folder is ``out_dir/<arm>/seed<seed>``)."""
    return osp.join(out_dir, arm, f'seed{seed}', 'summary.json')


def protocol_run(arm: str, seed: int, opts: dict, out_dir: str) -> dict:
    """One arm and seed of the protocol, or its stored summary when its
    ``summary.json`` exists with the same budget options.

    Args:
        opts: The budget and data (all JSON values): ``mms_config``,
            ``mae_config``, ``finetune_config``, ``pretrain_epochs``,
            ``pretrain_synth``, ``finetune_iters``, ``batch_size``,
            ``benchmarks`` (paths), ``pretrain_options`` /
            ``finetune_options`` (``key=value`` strings for every arm).
        out_dir: The protocol's folder; the run goes to
            ``out_dir/<arm>/seed<seed>``.

    Returns:
        The run's summary (also in ``summary.json``): ``scores`` by
        benchmark name, ``seconds`` by stage, ``budget`` (pretrain,
        finetune: :func:`training_budget`), ``curves`` (pretrain, finetune:
        [[iteration, loss], ...]), paths.

    A run folder without ``summary.json`` (an interrupted attempt) is
    removed and the run starts again.

    Raises:
        SystemExit: a stored summary has other budget options (use another
            output folder).
    """
    import json
    import os
    summary_path = run_summary_path(out_dir, arm, seed)
    run_dir = osp.dirname(summary_path)
    if osp.isfile(summary_path):
        with open(summary_path) as f:
            done = json.load(f)
        if done.get('opts') != opts:
            raise SystemExit(
                f'{summary_path} was run with other options '
                f'({done.get("opts")}); use another --out or remove it')
        print(f'{arm} seed {seed}: done before ({summary_path})',
              flush=True)
        return done
    if osp.isdir(run_dir):  # an interrupted attempt: start it afresh
        import shutil
        print(f'{arm} seed {seed}: removing the unfinished {run_dir}',
              flush=True)
        shutil.rmtree(run_dir)
    os.makedirs(run_dir, exist_ok=True)
    t_start = time.perf_counter()
    seconds, budget, curves = {}, {}, {}
    backbone = None
    config = arm_pretrain_config(arm, run_dir, opts['mms_config'],
                                 opts['mae_config'])
    if config is not None:
        pre_dir = osp.join(run_dir, 'pretrain')
        seconds['pretrain'], last = pretrain(
            config, pre_dir, osp.join(run_dir, 'pretrain.log'),
            epochs=opts['pretrain_epochs'], num_synth=opts['pretrain_synth'],
            seed=seed, options=opts['pretrain_options'])
        backbone = osp.join(pre_dir, 'backbone.pth')
        seconds['convert'] = convert(last, backbone,
                                     osp.join(run_dir, 'convert.log'))
        budget['pretrain'] = training_budget(
            pre_dir, osp.join(pre_dir, osp.basename(config)))
        curves['pretrain'] = sorted(loss_curve(pre_dir).items())
    ft_dir = osp.join(run_dir, 'finetune')
    seconds['finetune'], ft_config, checkpoint = finetune(
        opts['finetune_config'], ft_dir, osp.join(run_dir, 'finetune.log'),
        backbone=backbone, iters=opts['finetune_iters'],
        batch_size=opts['batch_size'], seed=seed,
        options=[*NO_VALIDATION, *opts['finetune_options']])
    budget['finetune'] = training_budget(ft_dir, ft_config)
    curves['finetune'] = sorted(loss_curve(ft_dir).items())
    t0 = time.perf_counter()
    scores = evaluate_predictions(ft_config, checkpoint, opts['benchmarks'],
                                  run_dir)
    seconds['evaluate'] = time.perf_counter() - t0
    seconds['total'] = time.perf_counter() - t_start
    summary = dict(arm=arm, seed=seed, opts=opts, scores=scores,
                   seconds=seconds, budget=budget, curves=curves,
                   pretrain_config=config, backbone=backbone,
                   config=ft_config, checkpoint=checkpoint, run_dir=run_dir)
    summary = json.loads(json.dumps(summary))  # as a resumed run reads it
    _write_json(summary, summary_path)
    print(f'{arm} seed {seed}: ' + ', '.join(
        f'{n} {100 * s["word_acc"]:.2f}%' for n, s in scores.items())
        + f' ({seconds["total"] / 60:.1f} min)', flush=True)
    return summary


def check_budgets(runs: Sequence[dict]) -> dict:
    """Whether every run trained with the same budget, from what each
    run's logs say (:func:`training_budget`): the same fine-tuning
    iterations, batch and samples for all runs, the same pretraining for
    every run that pretrains, none for ``scratch``.

    Returns:
        dict(equal=bool, pretrain=the common budget or None,
        finetune=the common budget, mismatches=[text, ...]).
    """
    mismatches = []
    common = {}
    for stage in ('pretrain', 'finetune'):
        for r in runs:
            b = r['budget'].get(stage)
            if stage == 'pretrain' and r['arm'] == 'scratch':
                if b is not None:
                    mismatches.append(f'scratch seed {r["seed"]} pretrained')
                continue
            if b is None:
                mismatches.append(f'{r["arm"]} seed {r["seed"]}: no '
                                  f'{stage} budget')
            elif stage not in common:
                common[stage] = b
            elif b != common[stage]:
                mismatches.append(f'{r["arm"]} seed {r["seed"]} {stage}: '
                                  f'{b} != {common[stage]}')
    return dict(equal=not mismatches, pretrain=common.get('pretrain'),
                finetune=common.get('finetune'), mismatches=mismatches)


def mean_std(values: Sequence[float]) -> dict:
    """dict(mean, std (sample, 0 for one value), n)."""
    import statistics
    vals = list(values)
    if not vals:
        return dict(mean=None, std=None, n=0)
    return dict(mean=statistics.mean(vals),
                std=statistics.stdev(vals) if len(vals) > 1 else 0.0,
                n=len(vals))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for ``b`` and ``c`` discordant
    pairs (binomial test of b against n = b + c, p = 1/2)."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired(runs: Sequence[dict], first: str, second: str,
           names: Sequence[str]) -> dict:
    """Seed-by-seed differences ``first - second`` (word accuracy and
    1-N.E.D., in fractions) on every benchmark, over the seeds both arms
    ran; per seed also the discordant crops (``first`` right and
    ``second`` wrong, and the reverse) with the exact McNemar p-value.

    Returns:
        {name: dict(seeds=[...], word_acc=[diff per seed], one_minus_ned=
        [...], word_acc_mean_std=mean_std, seeds_ge_1pt=number of seeds
        where first beats second by >= 1 point of word accuracy,
        discordant=[[b, c, p], ...])}.
    """
    from ..utils.text import normalize_label
    by = {(r['arm'], r['seed']): r for r in runs}
    seeds = sorted(s for a, s in by if a == first and (second, s) in by)
    out = {}
    for name in names:
        acc, ned, disc = [], [], []
        for s in seeds:
            ra, rb = by[(first, s)], by[(second, s)]
            acc.append(ra['scores'][name]['word_acc']
                       - rb['scores'][name]['word_acc'])
            ned.append(ra['scores'][name]['one_minus_ned']
                       - rb['scores'][name]['one_minus_ned'])
            pa = read_predictions(ra['run_dir'], name)
            pb = read_predictions(rb['run_dir'], name)

            def right(pred):
                return normalize_label(pred[0]) == normalize_label(pred[1])
            b = sum(right(pa[k]) and not right(pb[k]) for k in pa if k in pb)
            c = sum(right(pb[k]) and not right(pa[k]) for k in pa if k in pb)
            disc.append([b, c, mcnemar_exact(b, c)])
        out[name] = dict(seeds=seeds, word_acc=acc, one_minus_ned=ned,
                         word_acc_mean_std=mean_std(acc),
                         seeds_ge_1pt=sum(d >= 0.01 - 1e-12 for d in acc),
                         discordant=disc)
    return out


def aggregate(runs: Sequence[dict], names: Sequence[str]) -> dict:
    """Per arm and benchmark: per-seed values and mean / std of word
    accuracy and 1-N.E.D.; per arm the mean seconds of each stage."""
    arms = {}
    for arm in dict.fromkeys(r['arm'] for r in runs):
        rs = sorted((r for r in runs if r['arm'] == arm),
                    key=lambda r: r['seed'])
        entry = dict(seeds=[r['seed'] for r in rs])
        for name in names:
            entry[name] = {}
            for key in ('word_acc', 'one_minus_ned'):
                vals = [r['scores'][name][key] for r in rs]
                entry[name][key] = dict(values=vals, **mean_std(vals))
        stages = dict.fromkeys(k for r in rs for k in r['seconds'])
        entry['seconds'] = {k: mean_std([r['seconds'][k] for r in rs
                                         if k in r['seconds']])['mean']
                            for k in stages}
        arms[arm] = entry
    return arms


def machine_info() -> dict:
    """Where the protocol ran: CPU model, cores, memory, Python, torch."""
    import os
    import platform
    info = dict(system=platform.platform(), cpus=os.cpu_count(),
                python=platform.python_version())
    try:
        import torch
        info['torch'] = torch.__version__
        info['torch_threads'] = torch.get_num_threads()
    except ImportError:  # pragma: no cover
        pass
    try:
        with open('/proc/cpuinfo') as f:
            models = [ln.split(':', 1)[1].strip() for ln in f
                      if ln.startswith('model name')]
        if models:
            info['cpu'] = models[0]
        with open('/proc/meminfo') as f:
            kb = int(f.readline().split()[1])
        info['memory_gib'] = round(kb / 2**20, 1)
    except OSError:  # pragma: no cover
        pass
    return info


def git_commit() -> str:
    """HEAD of the repository (``+dirty`` with uncommitted changes to
    tracked files), or 'unknown'."""
    try:
        head = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO,
                              capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '-uno'],
                               cwd=REPO, capture_output=True,
                               text=True).stdout.strip()
        return head + ('+dirty' if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def plot_curves(runs: Sequence[dict], out_dir: str) -> List[str]:
    """``pretrain_curves.png`` and ``finetune_curves.png`` in ``out_dir``
    (mean over seeds per arm, band = min..max); the paths written."""
    from .mms_vs_mae import plot_loss_curves
    written = []
    for stage, ylabel in (('pretrain', 'masked-patch loss (own masks)'),
                          ('finetune', 'CTC loss')):
        path = osp.join(out_dir, f'{stage}_curves.png')
        if plot_loss_curves(
                list(runs), path,
                curve_of=lambda r, s=stage: {
                    int(i): float(v)
                    for i, v in r.get('curves', {}).get(s) or []},
                ylabel=ylabel, title=f'{stage} loss per arm'):
            written.append(path)
    return written


#: Held-out rendered words (seed 1; the corpora use seed 0) on which the
#: secondary reconstruction measure is taken.
RECON_IMAGES = 256


def reconstruction_measures(runs: Sequence[dict], opts: dict, out_dir: str,
                            num_images: int = RECON_IMAGES,
                            figure_images: int = 6) -> dict:
    """Secondary measure of the pretrained runs: the masked-patch loss
    (per-patch normalised pixels, as in training) of each pretrained model
    on the same ``num_images`` held-out rendered words under the same
    random / blockwise / span masks (the MMS config's strategies, seeded),
    and a figure of span-masked reconstructions (whole characters removed)
    by every arm of the lowest seed, ``recon_span.png`` in ``out_dir``.

    Args:
        runs: Protocol runs (summaries); those without
            ``pretrain_config`` (scratch) are skipped.
        opts: See :func:`protocol_run` (``mms_config``, ``mae_config``,
            ``pretrain_epochs``).

    Returns:
        ``dict(losses={"<arm>/seed<S>": {mask type: loss}},
        images=num_images, figure=path or None, figure_seed=S)``
        (no ``figure_seed`` when no arm pretrained).
    """
    from types import SimpleNamespace

    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmocr.registry import MODELS

    from .mms_vs_mae import (held_out_images, reconstruction_losses,
                             save_side_by_side, strategy_transforms)
    pretrained = [r for r in runs if r.get('pretrain_config')]
    if not pretrained:
        return dict(losses={}, images=num_images, figure=None)
    init_default_scope('mmocr')
    strategies = strategy_transforms(SimpleNamespace(
        pretrain_config=osp.join(REPO, opts['mms_config']),
        mae_config=osp.join(REPO, opts['mae_config'])), seed=0)
    images = held_out_images(num_images)
    figure_seed = min(r['seed'] for r in pretrained)
    losses, shown = {}, {}
    for r in pretrained:
        cfg = Config.fromfile(osp.join(REPO, r['pretrain_config']))
        model = MODELS.build(cfg.model)
        load_checkpoint(model, osp.join(
            r['run_dir'], 'pretrain', f'epoch_{opts["pretrain_epochs"]}.pth'),
            map_location='cpu', logger='silent')
        losses[f'{r["arm"]}/seed{r["seed"]}'] = reconstruction_losses(
            model, images, strategies)
        if r['seed'] == figure_seed:
            shown[r['arm']] = model
    figure = None
    if 'span' in strategies:
        figure = osp.join(out_dir, 'recon_span.png')
        save_side_by_side(shown, images[:figure_images], figure,
                          strategies['span'])
    return dict(losses=losses, images=num_images, figure=figure,
                figure_seed=figure_seed)


#: The frozen-feature probe of the secondary measures: the settings of
#: ``tools/experiments/mms_vs_mae.py`` (protocol v1), a linear CTC layer on
#: each column's stacked rows, trained on the real training crops.
PROBE = dict(epochs=60, lr=2e-2, batch_size=64, pool='concat',
             schedule='cosine')


def probe_backbone(run: dict):
    """The encoder a protocol run fine-tuned from, frozen for the probe:
    the fine-tuning config's backbone with the run's pretrained weights
    (``run['backbone']``), or, for scratch, the random init of
    ``torch.manual_seed(run['seed'])``."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from .mms_vs_mae import build_backbone
    init_default_scope('mmocr')
    cfg = Config.fromfile(run['config'])
    cfg.model.backbone.pop('init_cfg', None)
    return build_backbone(None, cfg, run['seed'], run.get('backbone')).eval()


def _probe_run(run: dict, sets: Dict[str, List[dict]]) -> dict:
    """The probe of one run (:func:`probe_measures`; a worker's task).

    Its folder ``<run_dir>/probe`` holds ``settings.json`` (:data:`PROBE`
    and ``sets``), the cached features and, once done, ``result.json``. A
    done probe with the same settings is not trained again (a resumed
    protocol); features cached under other settings (another
    ``--probe-train-limit``, other benchmarks) are removed first, so they
    are never reused for the wrong crops."""
    import json
    import os
    import shutil
    from types import SimpleNamespace

    from .mms_vs_mae import run_probe
    t0 = time.perf_counter()
    name = f'probe {run["arm"]} seed {run["seed"]}'
    cache_dir = osp.join(run['run_dir'], 'probe')
    settings = json.loads(json.dumps(dict(PROBE, sets=sets), default=str))
    settings_path = osp.join(cache_dir, 'settings.json')
    result_path = osp.join(cache_dir, 'result.json')
    stored = None
    if osp.isfile(settings_path):
        with open(settings_path) as f:
            stored = json.load(f)
    if stored == settings and osp.isfile(result_path):
        with open(result_path) as f:
            out = json.load(f)
        print(f'{name}: done before ({result_path})', flush=True)
        return out
    if stored != settings and osp.isdir(cache_dir):
        print(f'{name}: removing {cache_dir} (other probe settings)',
              flush=True)
        shutil.rmtree(cache_dir)
    os.makedirs(cache_dir, exist_ok=True)
    with open(settings_path, 'w') as f:
        json.dump(settings, f, indent=1)
    args = SimpleNamespace(
        probe_epochs=PROBE['epochs'], probe_lr=PROBE['lr'],
        probe_batch=PROBE['batch_size'], probe_pool=PROBE['pool'],
        probe_schedule=PROBE['schedule'])
    out = run_probe(args, probe_backbone(run), run['seed'], cache_dir,
                    sets=sets)
    out = json.loads(json.dumps(out))  # as a resumed protocol reads it
    with open(result_path, 'w') as f:
        json.dump(out, f, indent=1)
    print(f'{name}: ' + ', '.join(
        f'{n} {100 * out[n]:.2f}%' for n in sets if n != 'train')
        + f' ({time.perf_counter() - t0:.0f} s)', flush=True)
    return out


def probe_measures(runs: Sequence[dict], opts: dict,
                   train_limit: Optional[int] = None,
                   str_real: Optional[str] = None, jobs: int = 1) -> dict:
    """Secondary measure of every run's starting encoder (pretrained, or
    scratch's random init): a linear CTC probe (:data:`PROBE`) trained on
    its frozen features of the real training crops (``str_real``'s
    iiit5k_train + svt_train + ic15_train), scored on the protocol's
    benchmarks. Features are cached in ``<run_dir>/probe``.

    Args:
        runs: Protocol runs (summaries).
        opts: See :func:`protocol_run` (``benchmarks``).
        train_limit: At most this many crops of each training split (None:
            all).
        str_real: Root of the real splits; default ``MMOCR_MMS_STR_REAL``.
        jobs: Probes at a time, as the protocol's runs (worker processes
            with ``cpu_count // jobs`` threads); results do not depend on
            it.

    Returns:
        ``dict(values={"<arm>/seed<S>": {"<bench>": word acc,
        "<bench>_ned": 1 - N.E.D., "<bench>_ctc": CTC loss, "<bench>_n",
        "train_acc", ...}}, settings=PROBE + train splits and limit)``.
    """
    sets = probe_sets(opts, train_limit, str_real)
    outs = _map_jobs(_probe_run, [(r, sets) for r in runs], jobs)[0]
    return _probe_results(runs, outs, train_limit)


def probe_sets(opts: dict, train_limit: Optional[int] = None,
               str_real: Optional[str] = None) -> Dict[str, List[dict]]:
    """The probe's dataset configs (see :func:`probe_measures`)."""
    import os

    from .mms_vs_mae import REAL_TRAIN, real_probe_set
    root = str_real or os.environ.get('MMOCR_MMS_STR_REAL')
    if not root or not osp.isdir(root):
        raise FileNotFoundError(f'probe: real training crops not found at '
                                f'{root!r} (set MMOCR_MMS_STR_REAL)')
    sets = dict(train=[real_probe_set(osp.join(root, s), False, train_limit)
                       for s in REAL_TRAIN])
    for name, bench in zip(benchmark_names(opts['benchmarks']),
                           opts['benchmarks']):
        sets[name] = [real_probe_set(bench, True)]
    return sets


def _probe_results(runs: Sequence[dict], outs: Sequence[dict],
                   train_limit: Optional[int]) -> dict:
    """:func:`probe_measures`' return value from the runs' probes."""
    from .mms_vs_mae import REAL_TRAIN
    return dict(values={f'{r["arm"]}/seed{r["seed"]}': out
                        for r, out in zip(runs, outs)},
                settings=dict(PROBE, train_splits=list(REAL_TRAIN),
                              train_limit=train_limit))


def protocol_runs(arms: Sequence[str], seeds: Sequence[int],
                  extra_arm_seeds: Sequence[int] = (0, )
                  ) -> List[Tuple[str, int]]:
    """The (arm, seed) runs of the protocol, in the order they start:
    seed by seed, arms in the given order; ``blockwise`` and ``span`` only
    for ``extra_arm_seeds``, the others for ``seeds``."""
    runs = []
    for seed in sorted(set(seeds) | set(extra_arm_seeds)):
        for arm in arms:
            arm_seeds = (extra_arm_seeds if arm in ('blockwise', 'span')
                         else seeds)
            if seed in arm_seeds:
                runs.append((arm, seed))
    return runs


def _limit_threads(threads: int) -> None:
    """Initializer of a protocol worker process: its stages (child
    processes, which inherit the environment) and its own evaluation use
    ``threads`` CPU threads."""
    import os
    for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = str(threads)
    import torch
    torch.set_num_threads(threads)


def _map_jobs(fn, calls: Sequence[tuple], jobs: int, then=None,
              then_args=None) -> Tuple[list, Optional[list]]:
    """``[fn(*c) for c in calls]`` and, with ``then``, ``[then(*then_args(r))
    for each result r]``; with ``jobs > 1`` in ``jobs`` spawned worker
    processes with ``cpu_count // jobs`` threads each
    (:func:`_limit_threads`), each follow-up task queued as soon as its
    result arrives (so it fills a worker that the remaining calls leave
    idle). Results in the order of ``calls``; the second list is None
    without ``then``."""
    import os
    if jobs == 1:
        results = [fn(*c) for c in calls]
        return results, ([then(*then_args(r)) for r in results]
                         if then else None)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    threads = max(1, (os.cpu_count() or jobs) // jobs)
    print(f'{len(calls)} tasks, {jobs} at a time with {threads} '
          f'thread(s) each', flush=True)
    with ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context('spawn'),
            initializer=_limit_threads, initargs=(threads, )) as pool:
        futures = [pool.submit(fn, *c) for c in calls]
        follow = {}
        try:
            for f in as_completed(futures):
                if then:
                    follow[f] = pool.submit(then, *then_args(f.result()))
            return ([f.result() for f in futures],
                    [follow[f].result() for f in futures] if then else None)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def protocol(arms: Sequence[str], seeds: Sequence[int], opts: dict,
             out_dir: str, extra_arm_seeds: Sequence[int] = (0, ),
             command: str = '', jobs: int = 1,
             recon_images: int = RECON_IMAGES, probe: bool = True,
             probe_train_limit: Optional[int] = None) -> dict:
    """Run (or resume) the protocol and write ``results.json`` and the
    curve figures into ``out_dir``.

    Args:
        arms: Arms to run; ``blockwise`` and ``span`` run only with
            ``extra_arm_seeds``, the others with ``seeds``.
        opts: See :func:`protocol_run`.
        command: The command line, recorded.
        jobs: Runs at a time. With ``jobs > 1`` each run goes to one of
            ``jobs`` worker processes with ``cpu_count // jobs`` threads
            (``OMP_NUM_THREADS`` of its stages); on the 2-core CPU two
            one-thread runs finish ~1.4x more work per hour than one
            two-thread run. Results do not depend on it (each run is
            seeded and single-process as before).
        recon_images: Held-out words of the secondary reconstruction
            measure (:func:`reconstruction_measures`).
        probe: Take the secondary probe measure (:func:`probe_measures`,
            ~1.5 min per run on one thread; features cached).
        probe_train_limit: Crops of each real training split for the
            probe (None: all).

    Returns:
        The results (as written to ``results.json``); ``wall_seconds`` is
        the sum of the runs' times, ``elapsed_seconds`` the wall time of
        this call, secondary measures included (runs and probes done
        before cost nothing; each run's probe is queued as soon as the run
        ends, so it fills a slot the last runs leave idle). When every run
        was done before, the command, commit, date, machine, jobs and
        elapsed time of the existing ``results.json`` (same options) are
        kept and this call is recorded as ``updated``.
    """
    import datetime
    import os
    for arm in arms:
        if arm not in PROTOCOL_ARMS:
            raise ValueError(f'arms: {arm!r} is not one of {PROTOCOL_ARMS}')
    if not seeds:
        raise ValueError('seeds: give at least one seed')
    if jobs < 1:
        raise ValueError(f'jobs must be >= 1, got {jobs}')
    os.makedirs(out_dir, exist_ok=True)
    names = benchmark_names(opts['benchmarks'])
    todo = protocol_runs(arms, seeds, extra_arm_seeds)
    fresh = [not osp.isfile(run_summary_path(out_dir, arm, seed))
             for arm, seed in todo]
    t0 = time.perf_counter()
    # each run's probe is queued as soon as the run ends
    sets = probe_sets(opts, probe_train_limit) if probe else None
    runs, probes = _map_jobs(
        protocol_run, [(arm, seed, opts, out_dir) for arm, seed in todo],
        jobs, then=_probe_run if probe else None,
        then_args=lambda run: (run, sets))
    now = datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%d %H:%M UTC')
    results = dict(
        protocol='reading protocol v2 (word accuracy after fine-tuning)',
        command=command, commit=git_commit(), date=now,
        machine=machine_info(), opts=opts, benchmarks=names, jobs=jobs,
        budget=check_budgets(runs),
        wall_seconds=sum(r['seconds']['total'] for r in runs),
        arms=aggregate(runs, names),
        paired={f'{a}-{b}': paired(runs, a, b, names) for a, b in PAIRS
                if a in arms and b in arms},
        runs=[{k: v for k, v in r.items() if k != 'opts'} for r in runs])
    # runs done by an earlier call with the same options
    prev = None
    previous = osp.join(out_dir, 'results.json')
    if not all(fresh) and osp.isfile(previous):
        import json
        with open(previous) as f:
            prev = json.load(f)
        if prev.get('opts') != opts:
            prev = None
    if prev and not any(fresh):
        # nothing ran now: keep when, where, how and how long the runs ran
        results.update({k: prev[k] for k in (
            'command', 'commit', 'date', 'machine', 'jobs',
            'elapsed_seconds', 'earlier') if k in prev})
        results['updated'] = dict(commit=git_commit(), date=now,
                                  command=command)
    elif prev:
        # some runs come from earlier calls (e.g. an arm added later):
        # say so, with when and how long those calls took
        results['earlier'] = prev.get('earlier', []) + [
            {k: prev[k] for k in ('command', 'commit', 'date', 'jobs',
                                  'elapsed_seconds') if k in prev}]
    results['reconstruction'] = reconstruction_measures(
        runs, opts, out_dir, recon_images)
    if probe:
        results['probe'] = _probe_results(runs, probes, probe_train_limit)
    results['figures'] = plot_curves(runs, out_dir) + (
        [results['reconstruction']['figure']]
        if results['reconstruction']['figure'] else [])
    # the whole call, secondary measures included (unless kept above)
    results.setdefault('elapsed_seconds', time.perf_counter() - t0)
    _write_json(results, osp.join(out_dir, 'results.json'))
    if not results['budget']['equal']:
        raise SystemExit('unequal budgets: '
                         + '; '.join(results['budget']['mismatches']))
    return results


# --------------------------------------------------------------------------
# docs/results.md sections generated from results.json
# --------------------------------------------------------------------------
#: Parts of a protocol's generated regions on the results page: each is
#: ``<!-- BEGIN generated:PREFIX-PART -->`` ... ``<!-- END
#: generated:PREFIX-PART -->``, one set per protocol scale (``PREFIX``).
DOC_PARTS = ('answer', 'setup', 'table', 'paired', 'curves', 'recon', 'probe')
#: The default protocol's prefix (its regions: :data:`DOC_SECTIONS`).
DOC_PREFIX = 'reading-v2'
#: The recipe-scale run's prefix (`make reading-protocol-recipe`: mms, mae
#: and scratch at the recipe's pretraining and a longer fine-tuning, where
#: arms read).
RECIPE_DOC_PREFIX = 'reading-recipe'


def doc_section_names(prefix: str = DOC_PREFIX) -> Tuple[str, ...]:
    """Names of the generated regions of one protocol scale
    (``PREFIX-answer``, ``PREFIX-setup``, ...).

    Raises:
        ValueError: ``prefix`` is not lower-case letters, digits and
            single dashes (it also names the figures).
    """
    if not re.fullmatch(r'[a-z0-9]+(-[a-z0-9]+)*', prefix or ''):
        raise ValueError(f'docs prefix must be lower-case words joined by '
                         f'dashes (e.g. {DOC_PREFIX}), got {prefix!r}')
    return tuple(f'{prefix}-{part}' for part in DOC_PARTS)


def doc_figure_name(prefix: str, figure: str) -> str:
    """File name of a protocol figure (``pretrain_curves.png``, ...) in
    the results page's figure folder: ``reading_v2_pretrain_curves.png``
    for the default prefix."""
    return f'{prefix.replace("-", "_")}_{osp.basename(figure)}'


DOC_SECTIONS = doc_section_names(DOC_PREFIX)
#: Mask types of the secondary reconstruction columns.
RECON_MASKS = ('random', 'blockwise', 'span')


def _pct(x: Optional[float], signed: bool = False) -> str:
    if x is None:
        return '-'
    return f'{100 * x:+.2f}' if signed else f'{100 * x:.2f}'


def _pm(ms: dict, scale: float = 100, digits: int = 2,
        signed: bool = False) -> str:
    if ms['mean'] is None:
        return '-'
    sign = '+' if signed else ''
    return (f'{scale * ms["mean"]:{sign}.{digits}f} ± '
            f'{scale * ms["std"]:.{digits}f}')


def _budget_text(results: dict) -> str:
    b = results['budget']
    parts = []
    if b.get('pretrain'):
        p = b['pretrain']
        parts.append(f'pretraining {p["epochs"]} epoch(s) = {p["iters"]} '
                     f'iterations of {p["batch_size"]} '
                     f'({p["samples"]:,} samples)')
    f = b['finetune']
    parts.append(f'fine-tuning {f["iters"]} iterations of '
                 f'{f["batch_size"]} ({f["samples"]:,} samples)')
    return '; '.join(parts)


def doc_sections(results: dict, figure_dir: str = 'figures',
                 prefix: str = DOC_PREFIX) -> Dict[str, str]:
    """The markdown of every generated region of one protocol scale
    (:func:`doc_section_names`; :data:`DOC_SECTIONS` for the default
    prefix) from a protocol's results; figures are linked as
    ``<figure_dir>/<prefix>_<stage>_curves.png`` and
    ``<figure_dir>/<prefix>_recon_span.png`` (dashes of the prefix as
    underscores: :func:`doc_figure_name`)."""
    names = results['benchmarks']
    keys = dict(zip(DOC_PARTS, doc_section_names(prefix)))
    arms = results['arms']
    out = {}

    # the answer
    lines = []
    best = max((s['mean'] for a in arms.values() for n in names
                for s in [a[n]['word_acc']] if s['mean'] is not None),
               default=0.0)
    pair = results['paired'].get('mms-mae')
    if best < 0.01:
        lines.append(f'No arm reads at this budget (best mean word accuracy '
                     f'{_pct(best)}%): the comparison says nothing about '
                     'word accuracy.')
    if pair:
        per = []
        for n in names:
            p = pair[n]
            diffs = ', '.join(_pct(d, True) for d in p['word_acc'])
            per.append(f'{n} {_pm(p["word_acc_mean_std"], signed=True)} '
                       f'points (seeds {" ".join(map(str, p["seeds"]))}: '
                       f'{diffs}), MMS ahead by >= 1 point in '
                       f'{p["seeds_ge_1pt"]} of {len(p["seeds"])} seeds')
        lines.append('MMS minus MAE, word accuracy (ignoring case and '
                     'symbols), same seed: ' + '; '.join(per) + '.')
        wins = [pair[n]['seeds_ge_1pt'] == len(pair[n]['seeds'])
                for n in names]
        verdict = ('MMS beats MAE by at least one point in every seed on '
                   + ' and '.join(names) if all(wins) else
                   'MMS does not beat MAE by at least one point in every '
                   'seed on ' + ' and '.join(
                       n for n, w in zip(names, wins) if not w))
        lines.append(f'**{verdict}**, at this scale: {_budget_text(results)}'
                     '.')
        ned = []
        for n in names:
            d = pair[n]['one_minus_ned']
            ned.append(f'{n} {_pm(mean_std(d), 1, 3, signed=True)} (higher '
                       f'in {sum(x > 0 for x in d)} of {len(d)} seeds)')
        lines.append('MMS minus MAE, 1 - N.E.D. (the graded measure when few '
                     'words are read), same seed: ' + '; '.join(ned) + '.')
    else:
        lines.append('The mms and mae arms were not both run: no paired '
                     'comparison.')
    means = []
    for arm, a in arms.items():
        per = ', '.join(f'{n} {_pct(a[n]["word_acc"]["mean"])} / '
                        f'{a[n]["one_minus_ned"]["mean"]:.3f}' for n in names)
        k = len(a['seeds'])
        means.append(f'{arm} {per} ({k} seed{"s" if k > 1 else ""})')
    lines.append('Mean over seeds, word accuracy (%) / 1 - N.E.D.: '
                 + '; '.join(means) + '.')
    out[keys['answer']] = '\n\n'.join(lines)

    # setup
    o = results['opts']
    m = results['machine']
    wall = results['wall_seconds']
    elapsed = results.get('elapsed_seconds')
    jobs = results.get('jobs', 1)
    earlier = results.get('earlier', [])
    label = 'Wall time of this call' if earlier else 'Wall time'
    runs_of = ', those of earlier calls included,' if earlier else ''
    wall_text = (f'**{label}: {elapsed / 60:.1f} min** ({jobs} runs at a '
                 f'time; the runs themselves{runs_of} took '
                 f'{wall / 60:.1f} min in all).'
                 if elapsed is not None and jobs > 1 else
                 f'**Wall time of all runs: {wall / 60:.1f} min.**')
    if earlier:
        wall_text += (' Runs already done were taken from earlier calls: '
                      + '; '.join(
                          f'`{e.get("command", "?")}` (commit '
                          f'`{e.get("commit", "?")}`, {e.get("date", "?")}, '
                          f'{e.get("elapsed_seconds", 0) / 60:.1f} min wall)'
                          for e in earlier) + '.')
    out[keys['setup']] = '\n'.join([
        '```bash', results['command'], '```', '',
        f'- **Code**: commit `{results["commit"]}`; {results["date"]}.'
        + (f' Aggregated again (secondary measures, this page) at commit '
           f'`{results["updated"]["commit"]}`, {results["updated"]["date"]}.'
           if results.get('updated') else ''),
        f'- **Machine**: {m.get("cpu", "?")}, {m.get("cpus", "?")} CPUs, '
        f'{m.get("memory_gib", "?")} GiB, {m.get("system", "")}, Python '
        f'{m.get("python", "?")}, torch {m.get("torch", "?")}. '
        + wall_text,
        f'- **Budget, equal for every arm (checked from the training '
        f'logs: {"equal" if results["budget"]["equal"] else "NOT equal"})**'
        f': {_budget_text(results)}'
        + ('; scratch skips pretraining.' if 'scratch' in arms else '.'),
        f'- **Configs**: pretraining `{o["mms_config"]}` (mms'
        + ('; blockwise and span keep one of its strategies'
           if {'blockwise', 'span'} & set(arms) else '')
        + f'), `{o["mae_config"]}` (mae); '
        f'fine-tuning `{o["finetune_config"]}` with '
        f'{o["pretrain_synth"]:,} rendered words in the pretraining corpus.',
        '- **Seconds per run** (mean over seeds): ' + '; '.join(
            f'{arm} ' + ', '.join(f'{k} {v:.0f}' for k, v in
                                  a['seconds'].items())
            for arm, a in arms.items()) + '.',
    ])

    # table (word accuracy, 1-N.E.D.; reconstruction as secondary columns)
    recon = results.get('reconstruction', {}).get('losses', {})

    def recon_cells(arm, seeds):
        vals = [[recon.get(f'{arm}/seed{s}', {}).get(m) for s in seeds]
                for m in RECON_MASKS]
        if len(seeds) == 1:
            return ['-' if v[0] is None else f'{v[0]:.4f}' for v in vals]
        return ['-' if None in v else _pm(mean_std(v), 1, 4) for v in vals]

    head = ['arm', 'seed'] + [f'{n} word acc (%)' for n in names] + \
        [f'{n} 1-N.E.D.' for n in names] + \
        [f'recon {m}' for m in RECON_MASKS]
    rows = ['| ' + ' | '.join(head) + ' |',
            '|---|---|' + '---:|' * (2 * len(names) + len(RECON_MASKS))]
    for arm, a in arms.items():
        for i, seed in enumerate(a['seeds']):
            rows.append('| ' + ' | '.join(
                [arm, str(seed)]
                + [_pct(a[n]['word_acc']['values'][i]) for n in names]
                + [f'{a[n]["one_minus_ned"]["values"][i]:.3f}'
                   for n in names] + recon_cells(arm, [seed])) + ' |')
        if len(a['seeds']) > 1:
            rows.append('| ' + ' | '.join(
                [f'**{arm}**', f'mean ± std ({len(a["seeds"])})']
                + [_pm(a[n]['word_acc']) for n in names]
                + [_pm(a[n]['one_minus_ned'], 1, 3) for n in names]
                + recon_cells(arm, a['seeds'])) + ' |')
    out[keys['table']] = '\n'.join(rows)

    # paired
    rows = []
    for key, pr in results['paired'].items():
        first, second = key.split('-')
        for n in names:
            p = pr[n]
            for s, d, e, (b, c, pv) in zip(p['seeds'], p['word_acc'],
                                           p['one_minus_ned'],
                                           p['discordant']):
                rows.append(f'| {first} - {second} | {n} | {s} | '
                            f'{_pct(d, True)} | {e:+.3f} | {b} / {c} | '
                            f'{pv:.3g} |')
    out[keys['paired']] = '\n'.join(
        ['| pair | benchmark | seed | word acc diff (points) | 1-N.E.D. '
         'diff | crops only first / only second right | McNemar p |',
         '|---|---|---|---:|---:|---:|---:|'] + rows) if rows else \
        'No pair of arms ran with the same seed.'

    # curves
    figs = []
    for stage, what in (('pretrain', 'Pretraining loss (each arm on its '
                         'own masks, so levels are not comparable across '
                         'arms)'),
                        ('finetune', 'Fine-tuning CTC loss')):
        if any(f.endswith(f'{stage}_curves.png')
               for f in results.get('figures', [])):
            figs.append(f'{what}, mean over seeds, band = min..max:\n\n'
                        f'![{stage} loss curves]({figure_dir}/'
                        f'{doc_figure_name(prefix, stage + "_curves.png")})')
    out[keys['curves']] = '\n\n'.join(figs) or 'No curves logged.'

    # span reconstructions
    rec = results.get('reconstruction') or {}
    if rec.get('figure'):
        out[keys['recon']] = (
            f'Span masks (whole patch columns, so characters vanish) on '
            f'held-out rendered words; per arm of seed '
            f'{rec.get("figure_seed", 0)}: original | masked | '
            f'reconstruction. The "recon" columns above are the masked-patch '
            f'loss of each pretrained model on {rec["images"]} such words '
            f'with the same random / blockwise / span masks for every arm '
            f'(lower is better; scratch has no decoder).\n\n'
            f'![span reconstructions per arm]({figure_dir}/'
            f'{doc_figure_name(prefix, "recon_span.png")})')
    else:
        out[keys['recon']] = 'No pretrained arm ran.'

    # frozen-feature probe
    out[keys['probe']] = _probe_section(results)
    return out


def _probe_section(results: dict) -> str:
    """Markdown of the probe measure: per-seed rows and mean ± std."""
    pr = results.get('probe')
    if not pr or not pr.get('values'):
        return 'The probe measure was not taken (`--no-probe`).'
    names = results['benchmarks']
    vals = pr['values']
    st = pr['settings']
    cols = ([(n, 100, 2) for n in names] + [(f'{n}_ned', 1, 3) for n in names]
            + [('avg_ctc', 1, 3)])
    head = (['arm', 'seed'] + [f'{n} probe word acc (%)' for n in names]
            + [f'{n} probe 1-N.E.D.' for n in names]
            + ['probe CTC loss (benchmark mean)'])
    rows = ['| ' + ' | '.join(head) + ' |', '|---|---|' + '---:|' * len(cols)]
    for arm, a in results['arms'].items():
        seeds = [s for s in a['seeds'] if f'{arm}/seed{s}' in vals]
        for s in seeds:
            v = vals[f'{arm}/seed{s}']
            rows.append('| ' + ' | '.join(
                [arm, str(s)] + [f'{scale * v[k]:.{d}f}'
                                 for k, scale, d in cols]) + ' |')
        if len(seeds) > 1:
            rows.append('| ' + ' | '.join(
                [f'**{arm}**', f'mean ± std ({len(seeds)})'] + [
                    _pm(mean_std([vals[f'{arm}/seed{s}'][k] for s in seeds]),
                        scale, d) for k, scale, d in cols]) + ' |')
    limit = (f'at most {st["train_limit"]:,} crops of each of '
             if st.get('train_limit') else '')
    return (f'A linear CTC layer on the frozen encoder each run fine-tuned '
            f'from (pretrained, or scratch\'s random init; columns of '
            f'{"stacked" if st["pool"] == "concat" else "averaged"} rows), '
            f'trained for {st["epochs"]} epochs (AdamW {st["lr"]:g}, '
            f'{st["schedule"]}, batch {st["batch_size"]}) on {limit}the real '
            f'training crops ({" + ".join(st["train_splits"])}), scored on '
            f'the same test crops (ignoring case and symbols):\n\n'
            + '\n'.join(rows))


def replace_generated(text: str, sections: Dict[str, str]) -> str:
    """``text`` with the body of every ``<!-- BEGIN generated:NAME -->``
    ... ``<!-- END generated:NAME -->`` region replaced by
    ``sections[NAME]``.

    Raises:
        ValueError: a section's markers are missing or out of order.
    """
    for name, body in sections.items():
        begin = f'<!-- BEGIN generated:{name} -->'
        end = f'<!-- END generated:{name} -->'
        i, j = text.find(begin), text.find(end)
        if i < 0 or j < i:
            raise ValueError(f'sections: no {begin} ... {end} region in '
                             'the page')
        text = text[:i + len(begin)] + '\n' + body.strip() + '\n' + text[j:]
    return text


def write_docs(results: dict, doc_path: str,
               prefix: str = DOC_PREFIX) -> List[str]:
    """Regenerate the marked regions of one protocol scale (``prefix``,
    :func:`doc_section_names`) in ``doc_path`` (docs/results.md) from
    ``results`` and copy the figures next to it (``figures/<prefix>_<name>
    .png``: the stages' curves and the span reconstructions); the files
    written. Regions of other prefixes are left as they are."""
    import shutil
    doc_dir = osp.dirname(osp.abspath(doc_path))
    with open(doc_path, encoding='utf-8') as f:
        text = f.read()
    text = replace_generated(text, doc_sections(results, prefix=prefix))
    written = []
    for fig in results.get('figures', []):
        dst = osp.join(doc_dir, 'figures', doc_figure_name(prefix, fig))
        if osp.abspath(fig) != dst:
            shutil.copyfile(fig, dst)
        written.append(dst)
    with open(doc_path, 'w', encoding='utf-8') as f:
        f.write(text)
    return [doc_path] + written
