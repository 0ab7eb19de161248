"""Feature pyramid from a plain ViT's single-scale map (ViTDet's "simple
feature pyramid"), so segmentation-based detectors (DBNet & co.) whose
necks expect four backbone stages can use :class:`TextViT`."""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from mmocr.registry import MODELS
from torch import nn

__all__ = ['ViTSimpleFPN']


@MODELS.register_module()
class ViTSimpleFPN(BaseModule):
    """Build maps at several strides from one ViT feature map.

    Each level resamples the input by its scale factor (> 1: stride-2
    transposed convs, 2x each, with norm + GELU between them; 1: identity;
    < 1: max pooling), then applies a 1x1 and a 3x3 :class:`ConvModule`
    (norm, no activation, as ViTDet) to reach its output width.

    With TextViT's patch 4 the map has stride 4, so the default factors
    (1, 1/2, 1/4, 1/8) give strides 4, 8, 16, 32 and the default widths
    (64, 128, 256, 512) are what MMOCR's stock ``FPNC`` neck of the ResNet-18
    DBNet expects. For a stride-16 ViT use factors (4, 2, 1, 0.5).

    Args:
        in_channels: Width C of the ViT map (its ``embed_dims``).
        out_channels: Width of every level (int) or one per level.
        scale_factors: Resampling factor of each level; powers of two.
        norm_cfg: Norm of the convs (MMCV config), BN by default.
        init_cfg: MMEngine init config.

    Shapes: ``forward`` takes (N, C, h, w) (or a tuple/list whose last
    element is used, e.g. TextViT with ``output_tuple=True``) and returns a
    tuple of (N, out_channels[i], h * f_i, w * f_i). h and w must be
    divisible by 1 / min(scale_factors) (the detector's
    ``pad_size_divisor`` of 32 guarantees it for patch 4).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Union[int, Sequence[int]] = (64, 128, 256,
                                                            512),
                 scale_factors: Sequence[float] = (1., 0.5, 0.25, 0.125),
                 norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None
                 ) -> None:
        super().__init__(init_cfg=init_cfg)
        if norm_cfg is None:
            norm_cfg = dict(type='BN', requires_grad=True)
        if isinstance(out_channels, int):
            out_channels = [out_channels] * len(scale_factors)
        if len(out_channels) != len(scale_factors):
            raise ValueError('out_channels and scale_factors differ in '
                             f'length: {out_channels} vs {scale_factors}')
        self.in_channels = in_channels
        self.out_channels = list(out_channels)
        self.scale_factors = [float(f) for f in scale_factors]
        self.resamplers = nn.ModuleList([
            self._resampler(in_channels, f, norm_cfg)
            for f in self.scale_factors
        ])
        self.convs = nn.ModuleList([
            nn.Sequential(
                ConvModule(in_channels, c, 1, norm_cfg=norm_cfg,
                           act_cfg=None, bias=False),
                ConvModule(c, c, 3, padding=1, norm_cfg=norm_cfg,
                           act_cfg=None, bias=False))
            for c in self.out_channels
        ])

    @staticmethod
    def _resampler(channels: int, factor: float,
                   norm_cfg: dict) -> nn.Module:
        """Module that scales a (N, C, h, w) map by ``factor``."""
        steps = math.log2(factor)
        if factor <= 0 or abs(steps - round(steps)) > 1e-6:
            raise ValueError(f'scale factors must be powers of two, got '
                             f'{factor}')
        steps = int(round(steps))
        if steps == 0:
            return nn.Identity()
        if steps < 0:
            k = 2**(-steps)
            return nn.MaxPool2d(kernel_size=k, stride=k)
        layers: List[nn.Module] = []
        for i in range(steps):
            layers.append(nn.ConvTranspose2d(channels, channels, 2, 2))
            if i < steps - 1:
                layers += [build_norm_layer(norm_cfg, channels)[1],
                           nn.GELU()]
        return nn.Sequential(*layers)

    def forward(self, x: Union[torch.Tensor, Sequence[torch.Tensor]]
                ) -> Tuple[torch.Tensor, ...]:
        """(N, C, h, w) -> tuple of (N, out_channels[i], h*f_i, w*f_i)."""
        if isinstance(x, (tuple, list)):
            x = x[-1]
        min_f = min(self.scale_factors)
        if min_f < 1:
            div = int(round(1 / min_f))
            if x.shape[-2] % div or x.shape[-1] % div:
                raise ValueError(
                    f'feature map {tuple(x.shape[-2:])} is not divisible by '
                    f'{div}; pad the input to a multiple of '
                    f'{div} x the patch size')
        return tuple(
            conv(resample(x))
            for resample, conv in zip(self.resamplers, self.convs))
