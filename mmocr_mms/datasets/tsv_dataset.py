"""Labelled word crops in the ``labels.tsv`` layout."""
import os.path as osp
from collections import Counter
from typing import List, Optional

from mmengine.logging import print_log
from mmocr.registry import DATASETS

from .base import MMSBaseDataset

__all__ = ['TSVTextRecogDataset', 'read_labels_tsv']


def read_labels_tsv(path: str,
                    skipped: Optional[Counter] = None) -> List[tuple]:
    """(relative image path, label) pairs of a ``labels.tsv``.

    A line is ``IMG/<file><TAB><label>``; the label is everything after the
    first tab (it may contain spaces). A line without a tab or with an empty
    label has no label: it is skipped and counted in ``skipped`` under
    ``'missing_label'``. Blank lines are ignored.
    """
    pairs = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if not line.strip():
                continue
            rel, tab, label = line.partition('\t')
            if not tab or not label:
                if skipped is not None:
                    skipped['missing_label'] += 1
                continue
            pairs.append((rel.strip(), label))
    return pairs


@DATASETS.register_module()
class TSVTextRecogDataset(MMSBaseDataset):
    """Text recognition dataset over ``<data_root>/labels.tsv``.

    Each data info is what MMOCR's recognition pipelines expect:
    ``dict(img_path=..., instances=[dict(text=label)])``, so the stock
    ``LoadImageFromFile`` -> ``LoadOCRAnnotations(with_text=True)`` ->
    ``PackTextRecogInputs`` pipeline and MMOCR's ``WordMetric`` /
    ``CharMetric`` work unchanged. Lines without a label and missing image
    files are dropped at start and counted (``skips``); use
    ``LoadImageFromFile(ignore_empty=True)`` so unreadable images are
    skipped (and counted here) rather than raising.

    Args:
        data_root (str): Split folder (holding ``IMG/`` and the TSV).
        ann_file (str): TSV name, relative to ``data_root``. Defaults to
            ``'labels.tsv'``.
        **kwargs: ``pipeline``, ``test_mode``, ``indices``, ... of
            ``BaseDataset``.
    """

    METAINFO = dict(dataset_type='TSVTextRecogDataset', task_name='textrecog')

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'labels.tsv',
                 **kwargs) -> None:
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'annotation file not found: '
                                    f'{self.ann_file}')
        skipped: Counter = Counter()
        data = []
        for rel, label in read_labels_tsv(self.ann_file, skipped):
            img_path = osp.join(self.data_root, rel)
            if not osp.isfile(img_path):
                skipped['missing'] += 1
                continue
            data.append(dict(img_path=img_path, instances=[dict(text=label)]))
        for reason, n in skipped.items():
            self.skips.counts[reason] += n
        if skipped:
            print_log(f'{self.ann_file}: skipped {dict(skipped)} lines',
                      logger='current', level=30)
        if not data:
            raise ValueError(f'{self.ann_file} lists no usable image '
                             f'(skipped: {dict(skipped)})')
        return data
