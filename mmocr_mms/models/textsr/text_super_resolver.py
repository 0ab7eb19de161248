"""Text-image super-resolution (TextZoom: LR 16x64 -> HR 32x128) with a
(pretrained) ViT.

Design (our choice; the paper gives no details): the LR image is first
upsampled bicubically to the HR size, so the encoder runs on exactly the
input it was pretrained on (32x128, patch 4, 8x32 grid, no position
embedding resizing); a :class:`~mmocr_mms.models.heads.PatchDecodeHead`
predicts the p x p x 3 *residual* of every patch, which is added to the
bicubic image. All of it happens in the normalised space of the data
preprocessor; ``predict`` maps back to pixels.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from mmocr.registry import MODELS

from mmocr_mms.structures import TextSRDataSample
from ..textseg import default_dense_preprocessor

__all__ = ['TextSuperResolver']

ForwardResults = Union[Dict[str, torch.Tensor], List[TextSRDataSample],
                       torch.Tensor]


@MODELS.register_module()
class TextSuperResolver(BaseModel):
    """Bicubic upsampling + ViT residual prediction.

    Args:
        backbone: Encoder config, a :class:`TextViT` with
            ``out_type='featmap'`` (load MMS weights with its ``init_cfg``).
        head: Head config, a :class:`PatchDecodeHead`; ``in_channels``,
            ``patch_size`` and ``out_channels`` (= image channels) are
            filled in.
        hr_size: (H, W) of the output, 32x128 for TextZoom.
        upsample_mode: ``F.interpolate`` mode from LR to HR size.
        residual: Add the prediction to the upsampled input (True) or
            predict the image directly.
        loss_type: 'mse' (what PSNR measures) or 'l1'; computed in the
            normalised space.
        data_preprocessor: An ``ImgDataPreprocessor``-like module (its
            ``mean``, ``std`` and channel conversion also map the targets
            and predictions); defaults to
            :func:`~mmocr_mms.models.textseg.default_dense_preprocessor`.
        init_cfg: MMEngine init config.

    Inputs: ``inputs`` (N, 3, h, w) normalised LR images; ``data_samples``
    (:class:`TextSRDataSample`) with ``gt_img`` (3, H, W) uint8 for
    ``loss``.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 hr_size: Sequence[int] = (32, 128),
                 upsample_mode: str = 'bicubic',
                 residual: bool = True,
                 loss_type: str = 'mse',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor or
            default_dense_preprocessor(),
            init_cfg=init_cfg)
        if loss_type not in ('mse', 'l1'):
            raise ValueError(f"loss_type must be 'mse' or 'l1', got "
                             f'{loss_type!r}')
        self.backbone = MODELS.build(backbone)
        in_ch = self.backbone.patch_embed.in_channels
        head = dict(head)
        head.update(
            in_channels=self.backbone.embed_dims,
            patch_size=self.backbone.patch_size,
            out_channels=in_ch)
        self.head = MODELS.build(head)
        self.hr_size: Tuple[int, int] = (int(hr_size[0]), int(hr_size[1]))
        self.upsample_mode = upsample_mode
        self.residual = residual
        self.loss_type = loss_type

    # ------------------------------------------------------------------
    # pixel <-> model space (the data preprocessor's normalisation)
    # ------------------------------------------------------------------
    def _norm_params(self, x: torch.Tensor
                     ) -> Tuple[torch.Tensor, torch.Tensor, bool]:
        dp = self.data_preprocessor
        if getattr(dp, '_enable_normalize', False):
            mean = dp.mean.to(x)
            std = dp.std.to(x)
        else:
            mean = x.new_zeros(1, 1, 1)
            std = x.new_ones(1, 1, 1)
        return mean, std, bool(getattr(dp, '_channel_conversion', False))

    def to_model_space(self, imgs: torch.Tensor) -> torch.Tensor:
        """Pixels (N, 3, H, W), loaded channel order, [0, 255] -> the
        normalised space of ``inputs`` (channel conversion included)."""
        imgs = imgs.float()
        mean, std, swap = self._norm_params(imgs)
        if swap:
            imgs = imgs.flip(1)
        return (imgs - mean) / std

    def to_pixel_space(self, x: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`to_model_space`, clamped to [0, 255]."""
        mean, std, swap = self._norm_params(x)
        x = x * std + mean
        if swap:
            x = x.flip(1)
        return x.clamp(0., 255.)

    # ------------------------------------------------------------------
    # the model
    # ------------------------------------------------------------------
    def upsample(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, 3, h, w) -> (N, 3, H, W) at :attr:`hr_size`."""
        if tuple(inputs.shape[-2:]) == self.hr_size:
            return inputs
        kwargs = {} if self.upsample_mode == 'nearest' else dict(
            align_corners=False)
        return F.interpolate(
            inputs, size=self.hr_size, mode=self.upsample_mode, **kwargs)

    def forward_sr(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalised LR (N, 3, h, w) -> normalised SR (N, 3, H, W)."""
        up = self.upsample(inputs)
        feats = self.backbone(up)
        out = self.head(feats)
        return up + out if self.residual else out

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[TextSRDataSample]] = None,
                mode: str = 'tensor') -> ForwardResults:
        """``'loss'`` -> dict(loss_sr); ``'predict'`` -> data samples with
        ``pred_img``; ``'tensor'`` -> normalised SR images (N, 3, H, W)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.forward_sr(inputs)
        raise RuntimeError(f'Invalid mode "{mode}"')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[TextSRDataSample]) -> Dict[str, torch.Tensor]:
        """Reconstruction loss against the HR targets.

        Returns:
            dict(loss_sr=scalar).
        """
        pred = self.forward_sr(inputs)
        target = self.to_model_space(
            torch.stack([s.gt_img.data for s in data_samples]).to(
                pred.device))
        if target.shape != pred.shape:
            raise ValueError(f'HR target {tuple(target.shape)} differs from '
                             f'the output {tuple(pred.shape)}; resize the '
                             f'pair in the pipeline (hr_size={self.hr_size})')
        if self.loss_type == 'mse':
            loss = F.mse_loss(pred, target)
        else:
            loss = F.l1_loss(pred, target)
        return dict(loss_sr=loss)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[TextSRDataSample]] = None
                ) -> List[TextSRDataSample]:
        """Super-resolved images as ``pred_img`` = PixelData((3, H, W)
        float32 in [0, 255], the loaded channel order)."""
        pixels = self.to_pixel_space(self.forward_sr(inputs))
        if data_samples is None:
            data_samples = [TextSRDataSample() for _ in range(len(pixels))]
        for img, sample in zip(pixels, data_samples):
            sample.pred_img = PixelData(data=img)
        return data_samples
