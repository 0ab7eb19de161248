"""Apply the recognition label rule inside a pipeline (for datasets that
produce labels on the fly, such as rendered words)."""
from typing import Optional

from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS

__all__ = ['ApplyTextLabelRule']


@TRANSFORMS.register_module()
class ApplyTextLabelRule(BaseTransform):
    """Rewrite ``results['instances'][i]['text']`` with a
    :class:`~mmocr_mms.datasets.recog_datasets.TextLabelRule` and drop the
    sample (return ``None``: our datasets then count it and load the next
    index) when the rule drops it.

    Use it after the labels exist (after ``LoadOCRAnnotations`` for file
    datasets; anywhere for ``SynthWordDataset(labelled=True)`` and
    ``LabelledLMDBDataset``), e.g. with ``text_mode='normalized'`` so that a
    36-class lowercase alphanumeric CTC head is trained only on characters
    it has, exactly as file datasets do with ``label_rule``.

    Args:
        label_rule (dict): Arguments of ``TextLabelRule`` (``max_len``,
            ``empty``, ``too_long``, ``text_mode``, ``normalize``).
    """

    def __init__(self, label_rule: Optional[dict] = None) -> None:
        from ..recog_datasets import TextLabelRule
        self.rule = TextLabelRule(**(label_rule or {}))

    def transform(self, results: dict) -> Optional[dict]:
        for inst in results.get('instances', []):
            text, _ = self.rule.apply(inst['text'])
            if text is None:
                return None
            inst['text'] = text
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(rule={self.rule!r})'
