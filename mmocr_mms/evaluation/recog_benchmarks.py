"""Evaluate a text recognizer on any list of benchmark folders and report one
table (the logic behind ``tools/eval_benchmarks.py``).

A benchmark is a folder in the ``labels.tsv`` layout (``IMG/<file>\\t<label>``,
read by :class:`~mmocr_mms.datasets.FilteredTSVTextRecogDataset`), an MMOCR
recognition annotation file (``textrecog_*.json``, read by
:class:`~mmocr_mms.datasets.FilteredOCRDataset`) or a folder holding one.
Labels go through the evaluation label rule
(:class:`~mmocr_mms.datasets.TextLabelRule` with ``too_long='keep'``):
labels empty after normalisation are skipped and counted, labels longer than
``max_len`` stay in the denominator and are counted.

Metrics are MMOCR's ``WordMetric`` (modes exact, ignore_case,
ignore_case_symbol) and ``CharMetric``, with the protocol's symbol pattern
``[^0-9a-z]`` applied after lower-casing.
"""
import copy
import glob
import json
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from torch import nn
from torch.utils.data import DataLoader

from mmocr.registry import DATASETS, MODELS
from ..datasets.recog_datasets import PROTOCOL_PATTERN, TextLabelRule

__all__ = [
    'EVAL_LABEL_RULE', 'METRIC_COLUMNS', 'benchmark_dataset_cfg',
    'dataset_cfg_of', 'load_recognizer', 'evaluate_dataset',
    'evaluate_benchmarks', 'format_table', 'write_json'
]

#: Default evaluation rule: drop labels empty after normalisation, keep
#: (and count) labels longer than 25 characters, compare without spaces.
EVAL_LABEL_RULE: Dict[str, Any] = dict(
    max_len=25, empty='drop', too_long='keep', text_mode='no_space')

#: (result key, column title) of the table, in order.
METRIC_COLUMNS: List[Tuple[str, str]] = [
    ('word_acc', 'exact'),
    ('word_acc_ignore_case', 'ign_case'),
    ('word_acc_ignore_case_symbol', 'ign_case_sym'),
    ('char_recall', 'char_R'),
    ('char_precision', 'char_P'),
]


def _metric_cfgs() -> List[dict]:
    return [
        dict(type='WordMetric',
             mode=['exact', 'ignore_case', 'ignore_case_symbol'],
             valid_symbol=PROTOCOL_PATTERN),
        dict(type='CharMetric', valid_symbol=PROTOCOL_PATTERN),
    ]


def dataset_cfg_of(cfg: Config, split: str = 'test') -> Optional[dict]:
    """The first leaf dataset config of ``<split>_dataloader`` (unwrapping
    ``ConcatDataset`` / ``RepeatDataset``), or None."""
    loader = cfg.get(f'{split}_dataloader')
    ds = loader.get('dataset') if loader else None
    while ds is not None:
        if 'datasets' in ds:
            ds = ds['datasets'][0]
        elif 'dataset' in ds:
            ds = ds['dataset']
        else:
            return ds
    return None


def benchmark_dataset_cfg(path: str, pipeline: Sequence[dict],
                          label_rule: Optional[dict]) -> dict:
    """Dataset config of one benchmark.

    Args:
        path: A folder with ``labels.tsv``; an MMOCR ``textrecog_*.json``;
            or a folder with such a json (``textrecog_test.json`` preferred).
        pipeline: Test pipeline (loads the image, resizes, packs).
        label_rule: :class:`TextLabelRule` kwargs (None: no rule).

    Returns:
        A config of ``FilteredTSVTextRecogDataset`` or ``FilteredOCRDataset``
        in test mode.
    """
    path = osp.abspath(path)
    # serialize_data=False: mmengine's serialisation pickles every sample
    # and runs gc.collect() (about a second in a large process) for lists
    # that are small and read once here
    common = dict(pipeline=list(copy.deepcopy(pipeline)), test_mode=True,
                  label_rule=copy.deepcopy(label_rule),
                  serialize_data=False)
    if osp.isdir(path) and osp.isfile(osp.join(path, 'labels.tsv')):
        return dict(type='FilteredTSVTextRecogDataset', data_root=path,
                    **common)
    ann = path
    if osp.isdir(path):
        cands = sorted(glob.glob(osp.join(path, 'textrecog_*.json')))
        test = [c for c in cands if c.endswith('textrecog_test.json')]
        if not cands:
            raise FileNotFoundError(
                f'{path}: neither labels.tsv nor textrecog_*.json found')
        if len(cands) > 1 and not test:
            raise ValueError(f'{path}: several annotation files {cands}; '
                             'pass one of them')
        ann = (test or cands)[0]
    if not (osp.isfile(ann) and ann.endswith('.json')):
        raise FileNotFoundError(f'{path}: not a benchmark folder or json')
    return dict(type='FilteredOCRDataset', data_root=osp.dirname(ann),
                ann_file=osp.basename(ann), **common)


def load_recognizer(config: str,
                    checkpoint: Optional[str],
                    cfg_options: Optional[dict] = None,
                    device: str = 'cpu') -> Tuple[nn.Module, Config]:
    """Build the recognizer of ``config`` and load ``checkpoint``.

    No weight initialisation runs (a pretraining checkpoint named in the
    backbone's ``init_cfg`` need not exist); ``checkpoint`` None leaves the
    model randomly initialised (for tests).

    Returns:
        (model in eval mode on ``device``, merged config).
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmocr'))
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                        logger='current')
    return model.to(device).eval(), cfg


def _predict(model, batch: dict) -> list:
    """``model.test_step(batch)``; for MMOCR encoder-decoder recognizers
    the decoder's probabilities are moved to the CPU once before MMOCR's
    postprocessor, which otherwise reads them frame by frame with
    ``.item()`` (one device synchronisation per frame on a GPU). Same
    predictions either way."""
    from mmocr.models.textrecog.decoders.base import BaseDecoder
    from mmocr.models.textrecog.recognizers import EncoderDecoderRecognizer
    decoder = getattr(model, 'decoder', None)
    # only where MMOCR's own predict is exactly the steps below
    if not (isinstance(model, EncoderDecoderRecognizer)
            and type(model).predict is EncoderDecoderRecognizer.predict
            and isinstance(decoder, BaseDecoder)
            and type(decoder).predict is BaseDecoder.predict
            and decoder.postprocessor is not None):
        return model.test_step(batch)
    data = model.data_preprocessor(batch, False)
    samples = data['data_samples']
    feat = model.extract_feat(data['inputs'])
    out_enc = model.encoder(feat, samples) if getattr(
        model, 'with_encoder', False) else None
    probs = decoder(feat, out_enc, samples)  # forward_test in eval mode
    return decoder.postprocessor(probs.float().cpu(), samples)


@torch.no_grad()
def evaluate_dataset(model,
                     dataset,
                     batch_size: int = 64,
                     num_workers: int = 0) -> Dict[str, float]:
    """Word / char metrics of ``model`` on a recognition dataset.

    Args:
        model: An MMOCR recognizer (``test_step`` returns
            ``TextRecogDataSample`` with ``pred_text`` and ``gt_text``) on
            any device, or any object with such a ``test_step`` (e.g.
            :class:`mmocr_mms.deployment.ONNXCTCRecognizer`).
        dataset: Built dataset whose pipeline packs ``inputs`` (3, H, W)
            and ``data_samples``.
        batch_size: Images per forward.
        num_workers: DataLoader workers.

    Returns:
        dict with the keys of :data:`METRIC_COLUMNS` (fractions in [0, 1]).
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f'batch_size must be an int >= 1, got '
                         f'{batch_size!r}')
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f'num_workers must be an int >= 0, got '
                         f'{num_workers!r}')
    evaluator = Evaluator(_metric_cfgs())
    device = next(model.parameters()).device if isinstance(
        model, nn.Module) else torch.device('cpu')
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False,
                        num_workers=num_workers, collate_fn=pseudo_collate,
                        pin_memory=device.type == 'cuda')
    for batch in loader:
        outputs = _predict(model, batch)
        evaluator.process(data_samples=outputs, data_batch=batch)
    res = evaluator.evaluate(len(dataset))
    # MMOCR metrics prefix their keys with 'recog/'
    return {k.split('/')[-1]: float(v) for k, v in res.items()}


def evaluate_benchmarks(model: nn.Module,
                        benchmarks: Sequence[str],
                        pipeline: Sequence[dict],
                        label_rule: Optional[dict] = None,
                        batch_size: int = 64,
                        num_workers: int = 0,
                        names: Optional[Sequence[str]] = None
                        ) -> List[Dict[str, Any]]:
    """Evaluate ``model`` on every benchmark and add an 'average' row.

    Args:
        model: Recognizer in eval mode.
        benchmarks: Paths (see :func:`benchmark_dataset_cfg`).
        pipeline: Test pipeline.
        label_rule: Evaluation rule kwargs; None: :data:`EVAL_LABEL_RULE`.
        batch_size, num_workers: Loader settings.
        names: Row names (default: folder / file names).

    Returns:
        One dict per benchmark: ``name``, ``path``, the metric keys,
        ``num_samples`` (evaluated), ``num_total`` (listed),
        ``num_empty_skipped``, ``num_too_long_kept``, ``label_rule``,
        ``build_s`` (dataset construction, s), ``eval_s`` (loading +
        prediction + metrics, s) and ``crops_per_s``; then
        the row ``name='average'``: metrics averaged over benchmarks with
        equal weight (as papers report), counts summed, and the
        sample-weighted word accuracies under ``weighted_<key>``.
    """
    rule = dict(EVAL_LABEL_RULE if label_rule is None else label_rule)
    rows: List[Dict[str, Any]] = []
    for i, path in enumerate(benchmarks):
        start = time.perf_counter()
        ds = DATASETS.build(benchmark_dataset_cfg(path, pipeline, rule))
        ds.full_init()
        built = time.perf_counter()
        metrics = evaluate_dataset(model, ds, batch_size, num_workers)
        done = time.perf_counter()
        stats = getattr(ds, 'label_stats', {}) or {}
        name = names[i] if names else _bench_name(path)
        rows.append(dict(
            name=name, path=osp.abspath(path), **metrics,
            num_samples=len(ds),
            num_total=int(stats.get('total', len(ds))),
            num_empty_skipped=int(stats.get('empty', 0))
            if rule.get('empty', 'drop') == 'drop' else 0,
            num_too_long_kept=int(stats.get('too_long_kept', 0)),
            label_rule=repr(TextLabelRule(**rule)),
            build_s=built - start, eval_s=done - built,
            crops_per_s=len(ds) / max(done - built, 1e-9)))
    if rows:
        avg: Dict[str, Any] = dict(name='average', path='')
        for key, _ in METRIC_COLUMNS:
            avg[key] = sum(r[key] for r in rows) / len(rows)
        for key in ('num_samples', 'num_total', 'num_empty_skipped',
                    'num_too_long_kept', 'build_s', 'eval_s'):
            avg[key] = sum(r[key] for r in rows)
        n = avg['num_samples']
        avg['crops_per_s'] = n / max(avg['eval_s'], 1e-9)
        for key, _ in METRIC_COLUMNS[:3]:
            avg[f'weighted_{key}'] = sum(
                r[key] * r['num_samples'] for r in rows) / max(n, 1)
        rows.append(avg)
    return rows


def _bench_name(path: str) -> str:
    path = osp.abspath(path)
    if osp.isdir(path):
        return osp.basename(path.rstrip('/'))
    return f'{osp.basename(osp.dirname(path))}/' \
           f'{osp.splitext(osp.basename(path))[0]}'


def format_table(rows: Sequence[Dict[str, Any]]) -> str:
    """One plain-text table: a row per benchmark plus the average; word
    accuracies and char recall / precision in percent, then sample counts
    (n evaluated, empty labels skipped, labels over max_len kept)."""
    header = ['benchmark'] + [t for _, t in METRIC_COLUMNS] + \
        ['n', 'skipped_empty', 'long_kept']
    table = [header]
    for r in rows:
        table.append([r['name']] + [f'{100 * r[k]:.2f}'
                                    for k, _ in METRIC_COLUMNS] +
                     [str(r['num_samples']), str(r['num_empty_skipped']),
                      str(r['num_too_long_kept'])])
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def fmt(row: List[str]) -> str:
        return '  '.join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths)))

    lines = [fmt(table[0]), '  '.join('-' * w for w in widths)]
    lines += [fmt(row) for row in table[1:-1]]
    if len(table) > 2 and rows[-1]['name'] == 'average':
        lines.append('  '.join('-' * w for w in widths))
    lines.append(fmt(table[-1]))
    return '\n'.join(lines)


def write_json(rows: Sequence[Dict[str, Any]], path: str,
               extra: Optional[Dict[str, Any]] = None) -> None:
    """Write ``dict(results=rows, **extra)`` as JSON (fractions, not %)."""
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(dict(results=list(rows), **(extra or {})), f, indent=2)
