"""Light per-patch decoder on top of a ViT: a few transformer blocks, then
one linear layer that predicts every pixel of each patch.

Used for text segmentation (``out_channels`` = number of classes, as the
CCD segmentation head: 3 blocks + per-patch linear) and for
super-resolution (``out_channels`` = 3 image channels).
"""
from typing import Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmocr.registry import MODELS
from torch import nn

from ..layers import TransformerBlock

__all__ = ['PatchDecodeHead', 'tokens_to_image']


def tokens_to_image(x: torch.Tensor, grid: Tuple[int, int],
                    patch_size: int) -> torch.Tensor:
    """Reassemble per-patch pixel predictions into an image.

    Args:
        x: (N, gh*gw, p*p*C) in row-major grid order, pixels inside a patch
            ordered (row, column, channel) - the layout of
            :meth:`mmocr_mms.models.algorithms.MMS.patchify`.
        grid: (gh, gw).
        patch_size: p.

    Returns:
        (N, C, gh*p, gw*p).
    """
    n, length, dims = x.shape
    gh, gw = grid
    p = patch_size
    if length != gh * gw or dims % (p * p):
        raise ValueError(f'cannot unpatchify {tuple(x.shape)} on grid {grid} '
                         f'with patch {p}')
    c = dims // (p * p)
    x = x.reshape(n, gh, gw, p, p, c).permute(0, 5, 1, 3, 2, 4)
    return x.reshape(n, c, gh * p, gw * p)


@MODELS.register_module()
class PatchDecodeHead(BaseModule):
    """Transformer blocks + per-patch linear prediction.

    Args:
        in_channels: Width of the backbone tokens (the ViT's embed_dims).
        out_channels: Channels predicted per pixel (classes or colours).
        patch_size: Side p of the backbone's patches; each token predicts
            its p x p pixels.
        embed_dims: Width of the head; None keeps ``in_channels`` (no input
            projection).
        num_blocks: Transformer blocks (0 gives a pure linear head).
        num_heads: Attention heads per block.
        mlp_ratio: MLP width factor of the blocks.
        init_cfg: MMEngine init config.

    Shapes: ``forward`` takes the backbone output, a feature map
    (N, C, gh, gw) (or a tuple/list of them; the last is used) and returns
    (N, out_channels, gh*p, gw*p).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 patch_size: int = 4,
                 embed_dims: Optional[int] = None,
                 num_blocks: int = 3,
                 num_heads: int = 8,
                 mlp_ratio: float = 4.,
                 init_cfg: Optional[Union[dict, Sequence[dict]]] = None
                 ) -> None:
        super().__init__(init_cfg=init_cfg)
        embed_dims = embed_dims or in_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.patch_size = patch_size
        self.embed_dims = embed_dims
        self.input_proj = nn.Linear(in_channels, embed_dims) \
            if embed_dims != in_channels else nn.Identity()
        self.blocks = nn.ModuleList([
            TransformerBlock(embed_dims, num_heads, mlp_ratio=mlp_ratio)
            for _ in range(num_blocks)
        ])
        self.norm = nn.LayerNorm(embed_dims, eps=1e-6)
        self.pred = nn.Linear(embed_dims, patch_size * patch_size *
                              out_channels)

    def init_weights(self) -> None:
        """Trunc-normal(0.02) Linear weights with zero bias (ViT default),
        unless an ``init_cfg`` is given."""
        if self.init_cfg:
            super().init_weights()
            return
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]
                ) -> torch.Tensor:
        """(N, C, gh, gw) feature map -> (N, out_channels, gh*p, gw*p)."""
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        if feats.dim() != 4:
            raise ValueError('PatchDecodeHead expects a (N, C, gh, gw) '
                             f"feature map (out_type='featmap'), got "
                             f'{tuple(feats.shape)}')
        grid = (feats.shape[2], feats.shape[3])
        x = self.input_proj(feats.flatten(2).transpose(1, 2))  # (N, L, D)
        for block in self.blocks:
            x = block(x)
        x = self.pred(self.norm(x))  # (N, L, p*p*out)
        return tokens_to_image(x, grid, self.patch_size)
