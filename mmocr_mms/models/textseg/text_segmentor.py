"""Pixel-level text segmentation of word crops with a (pretrained) ViT.

The MMS paper evaluates its encoder on TextSeg with foreground IoU; the head
follows CCD's: a few transformer blocks on the encoder tokens and a linear
layer predicting the p x p pixels of each patch
(:class:`~mmocr_mms.models.heads.PatchDecodeHead`).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from mmocr.registry import MODELS

from mmocr_mms.structures import TextSegDataSample

__all__ = ['TextSegmentor', 'default_dense_preprocessor']

ForwardResults = Union[Dict[str, torch.Tensor], List[TextSegDataSample],
                       torch.Tensor]


def default_dense_preprocessor() -> dict:
    """MMEngine ``ImgDataPreprocessor`` with the pretraining normalisation
    (ImageNet mean/std, BGR -> RGB), so the encoder sees the statistics it
    was pretrained on."""
    return dict(
        type='ImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True)


@MODELS.register_module()
class TextSegmentor(BaseModel):
    """ViT encoder + per-patch decode head, text vs background.

    Args:
        backbone: Encoder config, a :class:`TextViT` with
            ``out_type='featmap'`` (load MMS weights with its ``init_cfg``).
        decode_head: Head config, a :class:`PatchDecodeHead`;
            ``in_channels``, ``patch_size`` and ``out_channels`` are filled
            in from the backbone and ``num_classes``.
        num_classes: 2 (background, text).
        ignore_index: Target value excluded from loss and metrics.
        class_weight: Optional cross-entropy weight per class.
        loss_weight: Scale of the loss.
        data_preprocessor: Defaults to
            :func:`default_dense_preprocessor`.
        init_cfg: MMEngine init config.

    Inputs: ``inputs`` (N, 3, H, W) normalised crops (H, W divisible by the
    patch size, all equal in a batch); ``data_samples``
    (:class:`TextSegDataSample`) with ``gt_sem_seg`` (1, H, W) for
    ``loss``, and optionally ``ori_gt_sem_seg`` / ``ori_shape`` to size the
    prediction for ``predict``.
    """

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 num_classes: int = 2,
                 ignore_index: int = 255,
                 class_weight: Optional[Sequence[float]] = None,
                 loss_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor or
            default_dense_preprocessor(),
            init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        decode_head = dict(decode_head)
        decode_head.update(
            in_channels=self.backbone.embed_dims,
            patch_size=self.backbone.patch_size,
            out_channels=num_classes)
        self.decode_head = MODELS.build(decode_head)
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        if class_weight is not None:
            if len(class_weight) != num_classes:
                raise ValueError(f'class_weight needs {num_classes} values')
            self.register_buffer(
                'class_weight',
                torch.tensor(class_weight, dtype=torch.float),
                persistent=False)
        else:
            self.class_weight = None

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, C, H/p, W/p), the last backbone output."""
        feats = self.backbone(inputs)
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        return feats

    def forward_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> class logits (N, num_classes, H, W)."""
        return self.decode_head(self.extract_feat(inputs))

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[TextSegDataSample]] = None,
                mode: str = 'tensor') -> ForwardResults:
        """``'loss'`` -> dict(loss_seg); ``'predict'`` -> data samples with
        ``pred_sem_seg``; ``'tensor'`` -> logits (N, K, H, W)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.forward_logits(inputs)
        raise RuntimeError(f'Invalid mode "{mode}"')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[TextSegDataSample]) -> Dict[str, torch.Tensor]:
        """Pixel cross-entropy, ``ignore_index`` pixels excluded.

        Returns:
            dict(loss_seg=scalar).
        """
        logits = self.forward_logits(inputs)
        target = torch.stack([
            s.gt_sem_seg.data.to(logits.device) for s in data_samples
        ]).squeeze(1).long()  # (N, H, W)
        if target.shape[-2:] != logits.shape[-2:]:
            raise ValueError(
                f'target size {tuple(target.shape[-2:])} differs from the '
                f'input size {tuple(logits.shape[-2:])}; resize the mask '
                'with the image in the pipeline')
        if bool((target == self.ignore_index).all()):
            # cross_entropy would return NaN; keep the graph alive.
            return dict(loss_seg=logits.sum() * 0.)
        loss = F.cross_entropy(
            logits,
            target,
            weight=self.class_weight,
            ignore_index=self.ignore_index)
        return dict(loss_seg=loss * self.loss_weight)

    @staticmethod
    def _eval_size(sample: TextSegDataSample,
                   default: Tuple[int, int]) -> Tuple[int, int]:
        """Size at which the prediction is reported, that of the target the
        metric will compare it with: ``ori_gt_sem_seg``, else
        ``gt_sem_seg``; without a target ``ori_shape``, else the input
        size."""
        for field in ('ori_gt_sem_seg', 'gt_sem_seg'):
            if field in sample:
                return tuple(sample.get(field).shape)
        if 'ori_shape' in sample.metainfo:
            return tuple(sample.metainfo['ori_shape'][:2])
        return default

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[TextSegDataSample]] = None
                ) -> List[TextSegDataSample]:
        """Per-pixel classes at the evaluation size of each sample.

        Logits (N, K, H, W) are resized bilinearly to the size of the
        sample's target (see :meth:`_eval_size`), then arg-maxed into
        ``pred_sem_seg`` = PixelData((1, h, w) int64).
        """
        logits = self.forward_logits(inputs)
        if data_samples is None:
            data_samples = [TextSegDataSample() for _ in range(len(logits))]
        size = tuple(logits.shape[-2:])
        for logit, sample in zip(logits, data_samples):
            out_size = self._eval_size(sample, size)
            if out_size != size:
                logit = F.interpolate(
                    logit[None], size=out_size, mode='bilinear',
                    align_corners=False)[0]
            sample.pred_sem_seg = PixelData(
                data=logit.argmax(0, keepdim=True))
        return data_samples
