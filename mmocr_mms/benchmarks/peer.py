"""Latency and word accuracy of word-crop recognizers on the same crops:
ours (PyTorch, onnxruntime) and the PP-OCR recognizer shipped in the
``rapidocr`` wheel (optional benchmark dependency,
requirements/peer.txt). The logic behind ``tools/benchmark_infer.py``.

Every recognizer is a "reader" with ``readtext(crops, batch_size) ->
[(text, score)]`` on decoded BGR uint8 crops (H, W, 3): the time measured
includes each recognizer's own preprocessing (resize, normalisation,
padding), the network and the decoding, not reading the file.

Word accuracy follows the common protocol: label and prediction are
normalised with ``re.sub('[^0-9a-z]', '', s.lower())``; labels empty after
normalisation are skipped (and counted).
"""
import os.path as osp
import statistics
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..utils.text import normalize_label

__all__ = [
    'normalize', 'load_benchmark', 'word_accuracy', 'measure_latency',
    'RapidOCRRecReader', 'plot_speed_accuracy'
]

def normalize(text: str) -> str:
    """The protocol normalisation: lower case, keep [0-9a-z] only."""
    return normalize_label(text)


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
    """Median wall time and median process CPU time of
    ``reader.readtext(batch, batch_size)`` over ``num_batches`` consecutive
    batches of ``crops`` (after one warm-up batch).

    The CPU time (all threads of this process) equals the wall time of a
    one-thread run on an idle core, and stays meaningful when other
    processes compete for the CPU (the wall time then grows, the CPU time
    does not); with several threads it is their sum.

    Returns:
        dict(ms_per_batch, ms_per_crop, crops_per_s, cpu_ms_per_crop).
    """
    if batch_size < 1 or num_batches < 1:
        raise ValueError('batch_size and num_batches must be >= 1')
    need = batch_size * (num_batches + 1)
    pool = [crops[i % len(crops)] for i in range(need)]
    reader.readtext(pool[:batch_size], batch_size)  # warm-up
    times, cpu = [], []
    for b in range(1, num_batches + 1):
        part = pool[b * batch_size:(b + 1) * batch_size]
        start, start_cpu = time.perf_counter(), time.process_time()
        reader.readtext(part, batch_size)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    t = statistics.median(times)
    return dict(ms_per_batch=1e3 * t, ms_per_crop=1e3 * t / batch_size,
                crops_per_s=batch_size / t,
                cpu_ms_per_crop=1e3 * statistics.median(cpu) / batch_size)


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
    """Latency (process CPU ms per crop at batch 1, 1 thread, i.e. the
    latency on an idle core; log x) against word accuracy, one marker per recognizer and benchmark, from the table rows
    of ``tools/benchmark_infer.py``; a recognizer measured without accuracy
    (random weights) is a dashed vertical line at its latency."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    points = {r['recognizer']: r for r in rows
              if r['batch'] == 1 and r['threads'] == 1}
    if not points:
        raise ValueError('no batch-1, 1-thread rows to plot')
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    markers = dict(IIIT5K='o', SVT='s')
    for i, (name, r) in enumerate(sorted(points.items())):
        color = f'C{i}'
        if not r['accuracy']:
            ax.axvline(r['cpu_ms_per_crop'], color=color, ls='--', lw=1.2,
                       label=f'{name} (accuracy not measured)')
            continue
        for bench, acc in sorted(r['accuracy'].items()):
            ax.scatter(r['cpu_ms_per_crop'], 100 * acc, color=color,
                       marker=markers.get(bench, '^'), s=50,
                       label=f'{name} - {bench}')
    ax.set_xscale('log')
    ax.set_xlabel('latency, ms per crop (batch 1, 1 thread, CPU time; '
                  'log scale)')
    ax.set_ylabel('word accuracy, % (protocol normalisation)')
    ax.set_ylim(-2, 102)
    ax.grid(True, alpha=.3)
    ax.legend(fontsize=6.5, loc='lower left')
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)
