"""Latency and word accuracy of word-crop recognizers on the same crops:
ours (PyTorch, onnxruntime) and the PP-OCR recognizer shipped in the
``rapidocr`` wheel (optional benchmark dependency,
requirements/benchmark.txt). The logic behind ``tools/benchmark_infer.py``.

Every recognizer is a "reader" with ``readtext(crops, batch_size) ->
[(text, score)]`` on decoded BGR uint8 crops (H, W, 3): the time measured
includes each recognizer's own preprocessing (resize, normalisation,
padding), the network and the decoding, not reading the file.

Word accuracy follows the common protocol: label and prediction are
normalised with ``re.sub('[^0-9a-z]', '', s.lower())``; labels empty after
normalisation are skipped (and counted).
"""
import os.path as osp
import re
import statistics
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'normalize', 'load_benchmark', 'word_accuracy', 'measure_latency',
    'RapidOCRRecReader', 'plot_speed_accuracy'
]

_SYMBOLS = re.compile('[^0-9a-z]')


def normalize(text: str) -> str:
    """The protocol normalisation: lower case, keep [0-9a-z] only."""
    return _SYMBOLS.sub('', text.lower())


def load_benchmark(folder: str, max_crops: int = 0
                   ) -> Tuple[List[np.ndarray], List[str], int]:
    """Crops and labels of a ``labels.tsv`` benchmark folder.

    Args:
        folder: Folder with ``labels.tsv`` (``IMG/<file>\\t<label>``).
        max_crops: Keep the first N evaluated crops (0: all).

    Returns:
        (BGR uint8 crops, labels, number of labels skipped as empty).
    """
    import cv2
    tsv = osp.join(folder, 'labels.tsv')
    if not osp.isfile(tsv):
        raise FileNotFoundError(f'folder {folder} has no labels.tsv')
    crops, labels, skipped = [], [], 0
    with open(tsv, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line:
                continue
            path, label = line.split('\t', 1)
            if not normalize(label):
                skipped += 1
                continue
            img = cv2.imread(osp.join(folder, path), cv2.IMREAD_COLOR)
            if img is None:
                raise ValueError(f'{folder}: cannot read {path}')
            crops.append(img)
            labels.append(label)
            if max_crops and len(crops) >= max_crops:
                break
    return crops, labels, skipped


def word_accuracy(predictions: Sequence[str],
                  labels: Sequence[str]) -> float:
    """Fraction of predictions equal to their label after
    :func:`normalize`."""
    if len(predictions) != len(labels):
        raise ValueError(f'{len(predictions)} predictions for '
                         f'{len(labels)} labels')
    if not labels:
        raise ValueError('labels is empty')
    return sum(normalize(p) == normalize(t)
               for p, t in zip(predictions, labels)) / len(labels)


def measure_latency(reader, crops: Sequence[np.ndarray], batch_size: int,
                    num_batches: int = 8) -> Dict[str, float]:
    """Median wall time of ``reader.readtext(batch, batch_size)`` over
    ``num_batches`` consecutive batches of ``crops`` (after one warm-up
    batch).

    Returns:
        dict(ms_per_batch, ms_per_crop, crops_per_s).
    """
    if batch_size < 1 or num_batches < 1:
        raise ValueError('batch_size and num_batches must be >= 1')
    need = batch_size * (num_batches + 1)
    pool = [crops[i % len(crops)] for i in range(need)]
    reader.readtext(pool[:batch_size], batch_size)  # warm-up
    times = []
    for b in range(1, num_batches + 1):
        part = pool[b * batch_size:(b + 1) * batch_size]
        start = time.perf_counter()
        reader.readtext(part, batch_size)
        times.append(time.perf_counter() - start)
    t = statistics.median(times)
    return dict(ms_per_batch=1e3 * t, ms_per_crop=1e3 * t / batch_size,
                crops_per_s=batch_size / t)


class RapidOCRRecReader:
    """The text recognizer of the ``rapidocr`` wheel alone (no detector, no
    angle classifier) on word crops, with onnxruntime.

    ``RapidOCR(...)`` builds its recognizer lazily; ``_load_rec_model()``
    returns it (``rapidocr.ch_ppocr_rec.TextRecognizer``), which resizes
    each crop to height 48 keeping its aspect ratio, pads a batch to its
    widest crop, runs the ONNX model and CTC-decodes with the model's
    character list.

    Args:
        num_threads: onnxruntime intra-op threads.
        params: Extra ``RapidOCR`` parameters (e.g. another model).
    """

    def __init__(self, num_threads: int = 1,
                 params: Optional[dict] = None) -> None:
        import importlib.metadata as md

        from rapidocr import RapidOCR
        if not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f'num_threads must be an int >= 1, got '
                             f'{num_threads!r}')
        p = {
            'Global.use_det': False,
            'Global.use_cls': False,
            'Global.log_level': 'warning',
            'EngineConfig.onnxruntime.intra_op_num_threads': num_threads,
            'EngineConfig.onnxruntime.inter_op_num_threads': 1,
        }
        p.update(params or {})
        engine = RapidOCR(params=p)
        self.rec = engine._load_rec_model()
        rec_cfg = engine.cfg.Rec

        def value(x):
            return str(getattr(x, 'value', x))
        self.name = (f'{value(rec_cfg.ocr_version)} rec '
                     f'{value(rec_cfg.model_type)} '
                     f'(rapidocr {md.version("rapidocr")})')
        ort_session = getattr(self.rec.session, 'session', None)
        self.model_path = str(getattr(ort_session, '_model_path', ''))

    def readtext(self, crops: Sequence[np.ndarray],
                 batch_size: int = 1) -> List[Tuple[str, float]]:
        """[(text, score)] for BGR uint8 crops, ``batch_size`` per run."""
        from rapidocr.ch_ppocr_rec import TextRecInput
        self.rec.rec_batch_num = batch_size
        out = []
        for i in range(0, len(crops), batch_size):
            res = self.rec(TextRecInput(img=list(crops[i:i + batch_size])))
            out.extend(zip(res.txts, (float(s) for s in res.scores)))
        return out


def plot_speed_accuracy(rows: Sequence[Dict], out_file: str,
                        title: str = '') -> None:
    """Scatter of latency (ms per crop, log x) against word accuracy, one
    marker per recognizer and benchmark, from the table rows of
    ``tools/benchmark_infer.py`` (the fastest setting of each recognizer
    at batch 1 / 1 thread if present)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    points = {}
    for r in rows:
        if r['batch'] != 1 or r['threads'] != 1 or not r['accuracy']:
            continue
        points[r['recognizer']] = r
    if not points:
        raise ValueError('no batch-1, 1-thread rows with accuracy to plot')
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    markers = dict(IIIT5K='o', SVT='s')
    bench_names = sorted({k for r in points.values()
                          for k in r['accuracy']})
    for i, (name, r) in enumerate(sorted(points.items())):
        color = f'C{i}'
        for bench in bench_names:
            acc = r['accuracy'].get(bench)
            if acc is None:
                continue
            ax.scatter(r['ms_per_crop'], 100 * acc, color=color,
                       marker=markers.get(bench, '^'), s=50,
                       label=f'{name} - {bench}')
    ax.set_xscale('log')
    ax.set_xlabel('latency, ms per crop (batch 1, 1 thread, log scale)')
    ax.set_ylabel('word accuracy, % (protocol normalisation)')
    ax.set_ylim(-2, 102)
    ax.grid(True, alpha=.3)
    ax.legend(fontsize=7, loc='lower right')
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)
