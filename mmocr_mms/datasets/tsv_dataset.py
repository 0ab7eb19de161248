"""Labelled word crops in the ``labels.tsv`` layout."""
import os.path as osp
from typing import List

from mmocr.registry import DATASETS

from .base import MMSBaseDataset

__all__ = ['TSVTextRecogDataset', 'read_labels_tsv']


def read_labels_tsv(path: str) -> List[tuple]:
    """(relative image path, label) pairs of a ``labels.tsv``.

    A line is ``IMG/<file><TAB><label>``; the label is everything after the
    first tab (it may contain spaces). Lines without a tab raise
    ``ValueError`` naming the line, so a wrong file is never half-read.
    """
    pairs = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip('\r\n')
            if not line.strip():
                continue
            if '\t' not in line:
                raise ValueError(f'{path}:{lineno}: expected '
                                 f'"<image>\\t<label>", got {line!r}')
            rel, label = line.split('\t', 1)
            pairs.append((rel.strip(), label))
    return pairs


@DATASETS.register_module()
class TSVTextRecogDataset(MMSBaseDataset):
    """Text recognition dataset over ``<data_root>/labels.tsv``.

    Each data info is what MMOCR's recognition pipelines expect:
    ``dict(img_path=..., instances=[dict(text=label)])``, so the stock
    ``LoadImageFromFile`` -> ``LoadOCRAnnotations(with_text=True)`` ->
    ``PackTextRecogInputs`` pipeline and MMOCR's ``WordMetric`` /
    ``CharMetric`` work unchanged. Use ``LoadImageFromFile(
    ignore_empty=True)`` so unreadable images are skipped (and counted
    here) rather than raising.

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
        data = [
            dict(img_path=osp.join(self.data_root, rel),
                 instances=[dict(text=label)])
            for rel, label in read_labels_tsv(self.ann_file)
        ]
        if not data:
            raise ValueError(f'{self.ann_file} lists no images')
        return data
