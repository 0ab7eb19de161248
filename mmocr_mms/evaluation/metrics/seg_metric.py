"""Foreground IoU and F-score of text segmentation (the TextSeg metrics:
fgIoU and F-score, as reported by TexRNet and used by the MMS paper)."""
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmocr.registry import METRICS

__all__ = ['TextSegMetric', 'binary_seg_counts', 'seg_scores']


def binary_seg_counts(pred: np.ndarray,
                      gt: np.ndarray,
                      fg_index: int = 1,
                      ignore_index: Optional[int] = 255
                      ) -> Tuple[int, int, int, int]:
    """Pixel confusion counts of the foreground class.

    Args:
        pred: (H, W) predicted labels.
        gt: (H, W) target labels; pixels equal to ``ignore_index`` are not
            counted.
        fg_index: Label of text.
        ignore_index: Ignored target label (None: none).

    Returns:
        (tp, fp, fn, tn) over the valid pixels.
    """
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and target {gt.shape} '
                         'differ in size')
    valid = np.ones(gt.shape, bool) if ignore_index is None else \
        gt != ignore_index
    p = (pred == fg_index) & valid
    g = (gt == fg_index) & valid
    tp = int(np.count_nonzero(p & g))
    fp = int(np.count_nonzero(p & ~g))
    fn = int(np.count_nonzero(~p & g))
    tn = int(np.count_nonzero(valid)) - tp - fp - fn
    return tp, fp, fn, tn


def _ratio(num: float, den: float, empty: bool) -> float:
    """num / den; a 0 denominator gives 1.0 when nothing was to be found
    and nothing was found (``empty``), else 0.0."""
    if den > 0:
        return num / den
    return 1.0 if empty else 0.0


def seg_scores(tp: float, fp: float, fn: float, tn: float) -> Dict[str, float]:
    """Scores from confusion counts.

    Returns:
        ``fgIoU`` = tp / (tp + fp + fn), ``bgIoU`` = tn / (tn + fp + fn),
        ``mIoU`` (their mean), ``precision`` = tp / (tp + fp), ``recall``
        = tp / (tp + fn), ``Fscore`` = 2PR / (P + R); all in [0, 1]. When
        there is no text in target and prediction, the text scores are
        1.0 (likewise for bgIoU without background); other empty
        denominators give 0.0.
    """
    no_fg = tp + fp + fn == 0
    no_bg = tn + fp + fn == 0
    fg_iou = _ratio(tp, tp + fp + fn, no_fg)
    bg_iou = _ratio(tn, tn + fp + fn, no_bg)
    precision = _ratio(tp, tp + fp, no_fg)
    recall = _ratio(tp, tp + fn, no_fg)
    f = 2 * precision * recall / (precision + recall) \
        if precision + recall > 0 else 0.0
    return dict(fgIoU=fg_iou, bgIoU=bg_iou, mIoU=(fg_iou + bg_iou) / 2,
                precision=precision, recall=recall, Fscore=f)


def _get(sample: Any, key: str) -> Any:
    """Field of a data sample or of its ``to_dict()`` form."""
    if isinstance(sample, Mapping):
        return sample.get(key)
    return getattr(sample, key, None) if key in sample else None


def _pixels(field: Any) -> Optional[np.ndarray]:
    """(H, W) numpy labels of a PixelData, its dict, or a tensor."""
    if field is None:
        return None
    data = field['data'] if isinstance(field, Mapping) else getattr(
        field, 'data', field)
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    data = np.asarray(data)
    return data[0] if data.ndim == 3 else data


@METRICS.register_module()
class TextSegMetric(BaseMetric):
    """Text segmentation scores: fgIoU, F-score, precision, recall, bgIoU
    and mIoU.

    ``average='dataset'`` (default, TexRNet's fgIoU) sums the pixel counts
    of all samples before dividing; ``'image'`` averages per-sample scores.
    Scores are fractions in [0, 1] (TexRNet prints fgIoU in %).

    Each prediction ``pred_sem_seg`` is compared with ``ori_gt_sem_seg``
    (original size) when the sample has one, else with ``gt_sem_seg``;
    sizes must match (the segmentor resizes its prediction).

    Args:
        fg_index: Label of text.
        ignore_index: Target label left out of every count.
        average: 'dataset' or 'image'.
        collect_device: 'cpu' or 'gpu', for distributed collection.
        prefix: Metric name prefix; default 'textseg'.
    """

    default_prefix: Optional[str] = 'textseg'

    def __init__(self,
                 fg_index: int = 1,
                 ignore_index: Optional[int] = 255,
                 average: str = 'dataset',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if average not in ('dataset', 'image'):
            raise ValueError(f"average must be 'dataset' or 'image', got "
                             f'{average!r}')
        self.fg_index = fg_index
        self.ignore_index = ignore_index
        self.average = average

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store (tp, fp, fn, tn) of every sample."""
        for sample in data_samples:
            pred = _pixels(_get(sample, 'pred_sem_seg'))
            gt = _pixels(_get(sample, 'ori_gt_sem_seg'))
            if gt is None:
                gt = _pixels(_get(sample, 'gt_sem_seg'))
            if pred is None or gt is None:
                raise KeyError('TextSegMetric needs pred_sem_seg and '
                               'gt_sem_seg (or ori_gt_sem_seg)')
            self.results.append(
                binary_seg_counts(pred, gt, self.fg_index,
                                  self.ignore_index))

    def compute_metrics(self, results: List[Tuple[int, int, int, int]]
                        ) -> Dict[str, float]:
        """Scores of the stored counts (see :func:`seg_scores`)."""
        if not results:
            raise ValueError('TextSegMetric got no samples')
        counts = np.asarray(results, dtype=np.float64)
        if self.average == 'dataset':
            return seg_scores(*counts.sum(0))
        per = [seg_scores(*c) for c in counts]
        return {k: float(np.mean([p[k] for p in per])) for k in per[0]}
