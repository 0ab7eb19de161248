"""Make MMOCR's inferencers (``mmocr.apis.TextRecInferencer``,
``MMOCRInferencer(rec=...)``, ``TextDetInferencer``) run this package's
configs exactly as they run stock ones.

MMOCR 1.0.1 builds the inference pipeline from
``cfg.test_dataloader.dataset.pipeline`` and the visualiser from
``cfg.visualizer``. Our recognition configs differ from stock ones in two
places that stop it:

* the test set is a wrapper (``TSVSplitsDataset`` / ``ConcatDataset`` /
  ``RepeatDataset``) whose *inner* dataset holds the pipeline, so
  ``test_dataloader.dataset.pipeline`` does not exist (``AttributeError``);
* the shared runtime (``configs/_base_/default_runtime.py``) names the
  task-agnostic mmengine ``Visualizer``, whose ``add_datasample`` draws
  nothing, so ``return_vis`` / ``save_vis`` would yield ``None``.

:func:`install_inferencer_support` (run when ``mmocr_mms`` is imported, i.e.
by the config's ``custom_imports``) wraps two methods of MMOCR's inferencer
classes:

* ``BaseMMOCRInferencer._init_pipeline``: when the test dataset has no
  ``pipeline`` it hands MMOCR the first leaf dataset's pipeline (MMOCR then
  drops ``LoadOCRAnnotations`` and swaps the loader for ``InferencerLoader``
  as it does for stock configs);
* ``_init_visualizer`` of the text recognition / detection inferencers: a
  plain ``Visualizer`` is replaced by the task's MMOCR visualiser
  (``TextRecogLocalVisualizer`` / ``TextDetLocalVisualizer``) with the same
  name and backends.

Configs that already work (stock MMOCR configs) take the original code paths
unchanged.
"""
import copy
from typing import Optional

__all__ = ['leaf_dataset_cfg', 'install_inferencer_support']

_TASK_VISUALIZERS = {
    'TextRecInferencer': 'TextRecogLocalVisualizer',
    'TextDetInferencer': 'TextDetLocalVisualizer',
}
_installed = False


def leaf_dataset_cfg(dataset: Optional[dict]) -> Optional[dict]:
    """The first dataset config holding a ``pipeline``, unwrapping
    ``dataset=`` (TSVSplitsDataset, RepeatDataset, ...) and ``datasets=[...]``
    (ConcatDataset) wrappers; None when there is none."""
    while dataset is not None:
        if 'pipeline' in dataset:
            return dataset
        if dataset.get('datasets'):
            dataset = dataset['datasets'][0]
        else:
            dataset = dataset.get('dataset')
    return None


def _wrap_init_pipeline(orig):

    def _init_pipeline(self, cfg):
        ds = cfg.get('test_dataloader', {}).get('dataset')
        if ds is not None and 'pipeline' not in ds:
            leaf = leaf_dataset_cfg(ds)
            if leaf is None:
                raise ValueError('test_dataloader.dataset has no pipeline, '
                                 'nor has any dataset it wraps')
            cfg = copy.deepcopy(cfg)
            cfg.test_dataloader.dataset = leaf
        return orig(self, cfg)

    _init_pipeline._mmocr_mms_wrapped = True
    return _init_pipeline


def _wrap_init_visualizer(orig, task_type: str):

    def _init_visualizer(self, cfg):
        vis = cfg.get('visualizer')
        if vis is not None and vis.get('type') in (
                'Visualizer', 'mmengine.Visualizer'):
            cfg = copy.deepcopy(cfg)
            cfg.visualizer.type = task_type
        return orig(self, cfg)

    _init_visualizer._mmocr_mms_wrapped = True
    return _init_visualizer


def install_inferencer_support() -> bool:
    """Wrap MMOCR's inferencer methods (idempotent; see the module
    docstring). Returns True when the wrappers are in place."""
    global _installed
    if _installed:
        return True
    try:
        from mmocr.apis.inferencers import (TextDetInferencer,
                                            TextRecInferencer)
        from mmocr.apis.inferencers.base_mmocr_inferencer import \
            BaseMMOCRInferencer
    except ImportError:  # pragma: no cover - MMOCR without inferencers
        return False
    base = BaseMMOCRInferencer._init_pipeline
    if not getattr(base, '_mmocr_mms_wrapped', False):
        BaseMMOCRInferencer._init_pipeline = _wrap_init_pipeline(base)
    for cls in (TextRecInferencer, TextDetInferencer):
        orig = cls._init_visualizer
        if not getattr(orig, '_mmocr_mms_wrapped', False):
            cls._init_visualizer = _wrap_init_visualizer(
                orig, _TASK_VISUALIZERS[cls.__name__])
    _installed = True
    return True
