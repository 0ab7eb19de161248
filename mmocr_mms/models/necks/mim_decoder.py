"""The light pixel decoder of MAE-style pretraining, for rectangular grids."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule
from mmocr.registry import MODELS
from torch import nn

from ..layers.transformer import TransformerBlock
from ..utils.pos_embed import sincos_pos_embed_2d

__all__ = ['MIMPixelDecoder']


@MODELS.register_module()
class MIMPixelDecoder(BaseModule):
    """Transformer decoder that predicts the pixels of every patch.

    Takes the encoder's outputs for the visible patches, puts a learned mask
    token at every masked position, adds a fixed 2D sin-cos position
    embedding built on the true rectangular grid (8 x 32 for 32 x 128 crops,
    not the 16 x 16 a square-only helper would give), runs a few transformer
    blocks and projects each token to its ``patch_size**2 * in_channels``
    pixel values.

    Args:
        grid (tuple[int, int]): Patch grid (rows, columns).
        patch_size (int): Patch side p in pixels.
        in_channels (int): Image channels. Defaults to 3.
        encoder_dims (int): Width of the encoder tokens.
        embed_dims (int): Decoder width. Defaults to 512 (paper-sized).
        num_layers (int): Decoder blocks. Defaults to 8.
        num_heads (int): Defaults to 16.
        mlp_ratio (float): Defaults to 4.
        num_extra_tokens (int): Encoder tokens before the patch tokens
            (1 with a class token, else 0); passed through the decoder.
        init_cfg (dict, optional): MMEngine init config.

    Shapes: ``forward(visible (N, E + L, C_enc), mask (N, L))`` -> (N, L,
    p*p*in_channels), where the first E tokens are extra (cls) tokens and the
    L grid tokens hold the visible patches' latents at their positions
    (values at masked positions are ignored and replaced by the mask token).
    """

    def __init__(self,
                 grid: Sequence[int] = (8, 32),
                 patch_size: int = 4,
                 in_channels: int = 3,
                 encoder_dims: int = 384,
                 embed_dims: int = 512,
                 num_layers: int = 8,
                 num_heads: int = 16,
                 mlp_ratio: float = 4.,
                 num_extra_tokens: int = 0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        for name, value in (('patch_size', patch_size),
                            ('in_channels', in_channels),
                            ('encoder_dims', encoder_dims),
                            ('embed_dims', embed_dims),
                            ('num_heads', num_heads)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive int, got '
                                 f'{value!r}')
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(
                f'num_layers must be an int >= 1, got {num_layers!r}')
        if len(tuple(grid)) != 2 or min(grid) < 1:
            raise ValueError(f'grid must be (rows, columns) >= 1, got {grid}')
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} must be divisible by '
                             f'num_heads {num_heads}')
        self.grid = tuple(grid)
        self.patch_size = patch_size
        self.in_channels = in_channels
        self.num_extra_tokens = num_extra_tokens
        self.embed = nn.Linear(encoder_dims, embed_dims)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        # Fixed, not learned (MAE): the decoder must know where each patch
        # is, and a fixed code transfers across grid sizes.
        self.register_buffer(
            'pos_embed',
            sincos_pos_embed_2d(embed_dims, self.grid,
                                cls_token=num_extra_tokens > 0)[None],
            persistent=False)
        self.blocks = nn.ModuleList(
            TransformerBlock(embed_dims, num_heads, mlp_ratio)
            for _ in range(num_layers))
        self.norm = nn.LayerNorm(embed_dims, eps=1e-6)
        self.pred = nn.Linear(embed_dims, patch_size**2 * in_channels)

    def init_weights(self) -> None:
        if self.init_cfg is not None:
            return super().init_weights()
        nn.init.normal_(self.mask_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, latent: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """Predict pixels.

        Args:
            latent: (N, E + L, C_enc) encoder outputs scattered to their
                grid positions (masked positions: anything).
            mask: (N, L) bool, True = masked.

        Returns:
            (N, L, p*p*in_channels) predicted pixels of every patch.
        """
        x = self.embed(latent)
        e = self.num_extra_tokens
        grid_tokens = torch.where(mask[..., None],
                                  self.mask_token.to(x.dtype), x[:, e:])
        x = torch.cat([x[:, :e], grid_tokens], dim=1) if e else grid_tokens
        x = x + self.pos_embed.to(x.dtype)
        for blk in self.blocks:
            x = blk(x)
        return self.pred(self.norm(x))[:, e:]
