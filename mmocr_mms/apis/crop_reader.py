"""Read decoded word crops with a recognizer config: the config's test
pipeline (without annotation loading) then a ``test_step``; shared by the
PyTorch and the onnxruntime recognizers."""
import copy
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

__all__ = ['CropReader', 'TorchCropReader']


class CropReader:
    """Base class: ``self.cfg`` (recognizer config) and ``test_step``
    (MMOCR test-dataloader batch -> data samples with ``pred_text``) given,
    provides the pipeline and :meth:`readtext`."""

    cfg = None
    _pipeline = None

    @property
    def pipeline(self):
        """The config's test pipeline without ``LoadOCRAnnotations``, its
        loader replaced by MMOCR's ``InferencerLoader`` (input: a path or a
        BGR uint8 array (H, W, 3))."""
        if self._pipeline is None:
            from mmengine.dataset import Compose

            from .inferencer_support import leaf_dataset_cfg
            ds = leaf_dataset_cfg(self.cfg.test_dataloader.dataset)
            if ds is None:
                raise ValueError('the config has no test pipeline')
            pipe = [copy.deepcopy(t) for t in ds['pipeline']
                    if t['type'] != 'LoadOCRAnnotations']
            if pipe and pipe[0]['type'] in ('LoadImageFromFile',
                                            'LoadImageFromNDArray'):
                pipe[0] = dict(type='InferencerLoader')
            self._pipeline = Compose(pipe)
        return self._pipeline

    def test_step(self, data_batch: dict) -> list:
        raise NotImplementedError

    def readtext(self, crops: Sequence[Union[str, np.ndarray]],
                 batch_size: int = 32) -> List[Tuple[str, float]]:
        """Read BGR uint8 crops (H, W, 3) or image paths; returns
        ``[(text, mean char score (0.0 when empty))]`` in order."""
        from mmengine.dataset import pseudo_collate
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'batch_size must be an int >= 1, got '
                             f'{batch_size!r}')
        out = []
        for i in range(0, len(crops), batch_size):
            batch = pseudo_collate(
                [self.pipeline(c) for c in crops[i:i + batch_size]])
            for s in self.test_step(batch):
                score = s.pred_text.score
                out.append((s.pred_text.item,
                            float(np.mean(score)) if len(score) else 0.0))
        return out


class TorchCropReader(CropReader):
    """A PyTorch recognizer (config + checkpoint) as a :class:`CropReader`.

    Args:
        config: Recognizer config.
        checkpoint: Its checkpoint (None: random weights).
        device: Torch device.
        cfg_options: Config overrides.
    """

    def __init__(self, config: str, checkpoint: Optional[str],
                 device: str = 'cpu',
                 cfg_options: Optional[dict] = None) -> None:
        from ..evaluation.recog_benchmarks import load_recognizer
        self.model, self.cfg = load_recognizer(config, checkpoint,
                                               cfg_options, device=device)

    @torch.no_grad()
    def test_step(self, data_batch: dict) -> list:
        return self.model.test_step(data_batch)
