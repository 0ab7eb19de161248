"""Recognition datasets for fine-tuning and evaluation, and their label rule.

:class:`FilteredTSVTextRecogDataset` / :class:`FilteredOCRDataset` apply the
rule below to ``labels.tsv`` folders / MMOCR annotation files;
:class:`TSVSplitsDataset` concatenates several ``labels.tsv`` splits under
one root (one ``data_root`` key to override).

The label rule
--------------

Real word-crop benchmarks hold labels a recognizer cannot or should not be
scored on: labels with nothing left after the evaluation normalisation
(``'...'``, ``'&'``), multi-word labels (no dictionary has a space) and
labels longer than the decoder can emit. :class:`TextLabelRule` decides, per
label, at dataset load time (so counts are exact and logged once):

1. **Protocol text** ``norm = re.sub('[^0-9a-z]', '', label.lower())``
   (``normalize`` pattern). A label whose ``norm`` is empty is *empty*:
   dropped (``empty='drop'``, the default in training and evaluation: the
   common protocol skips such samples) or kept (``'keep'``).
2. **Target text** = what the model is trained / scored against, by
   ``text_mode``: ``'raw'`` the label as written; ``'no_space'`` (default)
   the label without whitespace (multi-word labels such as ``'PLEASE
   DRIVE'`` become ``'PLEASEDRIVE'``: MMOCR dictionaries have no space, and
   exact / ignore-case accuracy then compare like with like);
   ``'normalized'`` the protocol text (for 36-class lowercase alphanumeric
   dictionaries such as CTC's ``lower_english_digits``).
3. **Too long**: ``len(target text) > max_len`` (count on the target text,
   i.e. the characters the decoder must emit; None disables the check).
   Training drops them (``too_long='drop'``: NRTR needs
   ``len + 2 <= max_seq_len`` with its start/end tokens, CTC needs
   ``len + doubled letters <= frames``); evaluation keeps them in the
   denominator and counts them (``too_long='keep'``), so a benchmark's
   accuracy is over every non-empty label, as published numbers are.

Counts (``total``, ``kept``, ``empty``, ``too_long``, ``too_long_kept``,
``rewritten``) are stored in ``dataset.label_stats`` and logged.
"""
import copy
import os.path as osp
import re
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log

from mmocr.datasets import ConcatDataset, OCRDataset
from mmocr.registry import DATASETS

from ..utils.text import PROTOCOL_PATTERN, normalize_label
from .tsv_dataset import TSVTextRecogDataset

__all__ = [
    'TextLabelRule', 'LabelRuleMixin', 'FilteredTSVTextRecogDataset',
    'FilteredOCRDataset', 'TSVSplitsDataset', 'PROTOCOL_PATTERN'
]


class TextLabelRule:
    """Decide, label by label, what a recognition dataset keeps.

    See the module docstring for the full rule.

    Args:
        max_len: Longest target text (characters) kept as-is; None: no
            limit.
        empty: 'drop' or 'keep' labels empty after normalisation.
        too_long: 'drop' (training) or 'keep' (evaluation: counted only).
        text_mode: 'raw', 'no_space' or 'normalized' target text.
        normalize: Regex removed from the lower-cased label to get the
            protocol text.
    """

    text_modes = ('raw', 'no_space', 'normalized')

    def __init__(self,
                 max_len: Optional[int] = 25,
                 empty: str = 'drop',
                 too_long: str = 'drop',
                 text_mode: str = 'no_space',
                 normalize: str = PROTOCOL_PATTERN) -> None:
        if empty not in ('drop', 'keep') or too_long not in ('drop', 'keep'):
            raise ValueError("empty and too_long must be 'drop' or 'keep', "
                             f'got {empty!r}, {too_long!r}')
        if text_mode not in self.text_modes:
            raise ValueError(f'text_mode must be one of {self.text_modes}, '
                             f'got {text_mode!r}')
        if max_len is not None and int(max_len) < 1:
            raise ValueError(f'max_len must be >= 1 or None, got {max_len}')
        self.max_len = None if max_len is None else int(max_len)
        self.empty = empty
        self.too_long = too_long
        self.text_mode = text_mode
        self.pattern = re.compile(normalize)

    def normalize(self, label: str) -> str:
        """Protocol text: lower-case, then remove ``normalize`` matches."""
        return normalize_label(label, self.pattern)

    def target_text(self, label: str) -> str:
        """The text the model is trained / scored against (``text_mode``)."""
        if self.text_mode == 'raw':
            return label
        if self.text_mode == 'no_space':
            return re.sub(r'\s+', '', label)
        return self.normalize(label)

    def apply(self, label: str) -> Tuple[Optional[str], List[str]]:
        """Apply the rule to one label.

        Returns:
            (target text or None when the sample is dropped, flags) with
            flags a subset of ['empty', 'too_long', 'rewritten'].
        """
        flags = []
        if not self.normalize(label):
            flags.append('empty')
            if self.empty == 'drop':
                return None, flags
        text = self.target_text(label)
        if text != label:
            flags.append('rewritten')
        if self.max_len is not None and len(text) > self.max_len:
            flags.append('too_long')
            if self.too_long == 'drop':
                return None, flags
        return text, flags

    def filter(self, data_list: List[dict]) -> Tuple[List[dict], Dict]:
        """Apply the rule to MMOCR recognition data infos.

        Args:
            data_list: dicts with ``instances=[dict(text=...)]``.

        Returns:
            (kept data infos with rewritten ``text``, counts dict with keys
            total, kept, empty, too_long, too_long_kept, rewritten).
        """
        counts: Counter = Counter()
        kept = []
        for info in data_list:
            counts['total'] += 1
            inst = info['instances'][0]
            text, flags = self.apply(inst['text'])
            counts.update(flags)
            if text is None:
                continue
            if 'too_long' in flags:
                counts['too_long_kept'] += 1
            if text != inst['text']:
                info = dict(info, instances=[dict(inst, text=text)])
            kept.append(info)
        counts['kept'] = len(kept)
        stats = {k: int(counts.get(k, 0)) for k in
                 ('total', 'kept', 'empty', 'too_long', 'too_long_kept',
                  'rewritten')}
        return kept, stats

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(max_len={self.max_len}, '
                f'empty={self.empty!r}, too_long={self.too_long!r}, '
                f'text_mode={self.text_mode!r}, '
                f'normalize={self.pattern.pattern!r})')


class LabelRuleMixin:
    """Adds a ``label_rule`` option to an MMEngine dataset with a data list:
    the rule runs in ``filter_data`` (once, at ``full_init``, before
    ``indices`` sub-setting) and its counts land in ``self.label_stats``.

    ``label_rule``: a :class:`TextLabelRule`, its kwargs as a dict, or None
    (no filtering; ``label_stats`` still reports the total).
    """

    label_stats: Dict[str, int]

    def _set_label_rule(self, label_rule) -> None:
        """Store the rule (call before ``BaseDataset.__init__``)."""
        if label_rule is None or isinstance(label_rule, TextLabelRule):
            self.label_rule = label_rule
        else:
            self.label_rule = TextLabelRule(**label_rule)
        self.label_stats = {}

    def filter_data(self) -> List[dict]:
        """Base filtering, then the label rule (logs its counts).

        Returns:
            The kept data infos, texts rewritten by the rule's
            ``text_mode``.
        """
        data_list = super().filter_data()  # type: ignore[misc]
        if self.label_rule is None:
            self.label_stats = dict(total=len(data_list), kept=len(data_list))
            return data_list
        data_list, self.label_stats = self.label_rule.filter(data_list)
        src = getattr(self, 'data_root', '') or getattr(self, 'ann_file', '')
        print_log(
            f'{type(self).__name__}({src}): {self.label_rule}: '
            f'{self.label_stats}',
            logger='current')
        if not data_list:
            raise ValueError(f'{src}: the label rule dropped every sample '
                             f'({self.label_stats})')
        return data_list


@DATASETS.register_module()
class FilteredTSVTextRecogDataset(LabelRuleMixin, TSVTextRecogDataset):
    """:class:`TSVTextRecogDataset` with the recognition label rule.

    Args:
        data_root (str): Split folder (``IMG/`` + ``labels.tsv``).
        label_rule (dict | TextLabelRule | None): See
            :class:`TextLabelRule`. Defaults to the training rule
            ``dict(max_len=25, empty='drop', too_long='drop',
            text_mode='no_space')``; evaluation configs pass
            ``too_long='keep'``.
        **kwargs: ``ann_file``, ``pipeline``, ``test_mode``, ``indices``...

    Samples are what :class:`TSVTextRecogDataset` gives (``img_path``,
    ``instances=[dict(text=target text)]``).
    """

    def __init__(self,
                 data_root: str,
                 label_rule: Optional[dict] = dict(),
                 **kwargs) -> None:
        self._set_label_rule(label_rule)
        super().__init__(data_root=data_root, **kwargs)


@DATASETS.register_module()
class FilteredOCRDataset(LabelRuleMixin, OCRDataset):
    """MMOCR's ``OCRDataset`` (``textrecog_*.json`` annotation files) with
    the recognition label rule; arguments as
    :class:`FilteredTSVTextRecogDataset` plus ``ann_file`` / ``data_prefix``
    of ``OCRDataset``."""

    def __init__(self, label_rule: Optional[dict] = dict(), **kwargs) -> None:
        self._set_label_rule(label_rule)
        super().__init__(**kwargs)


@DATASETS.register_module()
class TSVSplitsDataset(ConcatDataset):
    """Several ``labels.tsv`` splits under one root, concatenated in order
    (MMOCR's ``ConcatDataset``, so ``MultiDatasetsEvaluator`` reports each
    split under its own prefix via ``metainfo['cumulative_sizes']``).

    Args:
        data_root (str): Folder holding the split folders (e.g.
            ``../shared/data/str_real``): the single key to override, e.g.
            ``--cfg-options train_dataloader.dataset.data_root=DIR``.
        splits (Sequence[str]): Split folder names, e.g.
            ``['iiit5k_test', 'svt_test']``.
        dataset (dict): Template config of each split's dataset (type,
            ``pipeline``, ``label_rule``, ``test_mode``, ...);
            ``data_root`` is filled in. Defaults to
            ``FilteredTSVTextRecogDataset`` with the training label rule.
        **kwargs: ``verify_meta``, ``lazy_init``, ... of ``ConcatDataset``.

    Attributes:
        label_stats (dict): split name -> that split's label-rule counts.
    """

    def __init__(self,
                 data_root: str,
                 splits: Sequence[str],
                 dataset: Optional[dict] = None,
                 **kwargs) -> None:
        if isinstance(splits, str) or not splits:
            raise ValueError(f'splits must be a non-empty list of folder '
                             f'names, got {splits!r}')
        template = dict(type='FilteredTSVTextRecogDataset') \
            if dataset is None else dict(dataset)
        self.data_root = data_root
        self.splits = list(splits)
        datasets = []
        for split in self.splits:
            cfg = copy.deepcopy(template)
            cfg['data_root'] = osp.join(data_root, split)
            datasets.append(cfg)
        super().__init__(datasets=datasets, **kwargs)

    @property
    def label_stats(self) -> Dict[str, Dict[str, int]]:
        """Label-rule counts per split (after ``full_init``)."""
        return {
            split: dict(getattr(ds, 'label_stats', {}) or {})
            for split, ds in zip(self.splits, self.datasets)
        }
