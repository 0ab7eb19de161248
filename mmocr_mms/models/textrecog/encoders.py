"""Glue between :class:`~mmocr_mms.models.backbones.TextViT` feature maps and
stock MMOCR recognition decoders.

MMOCR's ``EncoderDecoderRecognizer`` calls ``encoder(feat, data_samples)``
and hands the result to the decoder as ``out_enc``. Two stock decoder
families need two different layouts of the ViT output (N, C, h, w)
(h x w = 8 x 32 for a 32x128 crop):

* attention / transformer decoders (``NRTRDecoder``, ``MASTERDecoder``,
  ...) attend over a token sequence ``out_enc`` (N, T, D) ->
  :class:`ViTSequenceEncoder`;
* CTC heads that read ``out_enc`` (``SVTRDecoder``) want one feature per
  image column, (N, D, 1, w) -> :class:`ViTColumnPoolEncoder`.

Neither adds attention layers: the ViT already mixes all tokens, so the
modules only reorder / pool and optionally project to the decoder width.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from mmocr.registry import MODELS

__all__ = ['ViTSequenceEncoder', 'ViTColumnPoolEncoder']


def _as_featmap(feat: torch.Tensor) -> torch.Tensor:
    """Check a backbone output is a (N, C, h, w) tensor (a 1-tuple is
    unwrapped)."""
    if isinstance(feat, (tuple, list)):
        if len(feat) != 1:
            raise ValueError(f'expected one feature map, got {len(feat)}')
        feat = feat[0]
    if not torch.is_tensor(feat) or feat.dim() != 4:
        raise ValueError(
            'expected a (N, C, h, w) feature map (TextViT with '
            f"out_type='featmap'), got "
            f'{tuple(feat.shape) if torch.is_tensor(feat) else type(feat)}')
    return feat


@MODELS.register_module()
class ViTSequenceEncoder(BaseModule):
    """Flatten a ViT feature map into the token sequence a transformer
    decoder attends to (MAERec-style: decoder directly on the ViT tokens).

    Args:
        in_channels: Channels C of the backbone map (TextViT
            ``embed_dims``).
        d_model: Width of the decoder (``NRTRDecoder.d_model``). None or
            equal to ``in_channels``: no projection; otherwise a Linear
            C -> d_model.
        order: 'column' (default) lists the tokens column by column
            (token t = column t // h, row t % h); 'row' row by row.
            ``NRTRDecoder`` masks the source sequence with a *prefix* of
            length ceil(T * valid_ratio); only the column order makes that
            prefix the unpadded columns of a right-padded image. With the
            fixed-size resize of our pipelines (valid_ratio 1) both orders
            are equivalent (position is already embedded in the tokens).
        with_norm: Apply a LayerNorm(d_model) after the projection (the
            TextViT output is already normalised, so off by default).
        dropout: Dropout on the output tokens.
        init_cfg: mmengine init config.

    Shapes: ``forward`` maps (N, C, h, w) to (N, h*w, d_model).
    """

    def __init__(self,
                 in_channels: int,
                 d_model: Optional[int] = None,
                 order: str = 'column',
                 with_norm: bool = False,
                 dropout: float = 0.,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = dict(
                     type='TruncNormal', layer='Linear', std=.02)) -> None:
        super().__init__(init_cfg=init_cfg)
        if order not in ('column', 'row'):
            raise ValueError(f"order must be 'column' or 'row', got {order!r}")
        self.in_channels = int(in_channels)
        self.d_model = int(d_model or in_channels)
        self.order = order
        self.proj = nn.Identity() if self.d_model == self.in_channels else \
            nn.Linear(self.in_channels, self.d_model)
        self.norm = nn.LayerNorm(self.d_model) if with_norm else nn.Identity()
        self.dropout = nn.Dropout(dropout)

    def forward(self,
                feat: torch.Tensor,
                data_samples: Optional[Sequence] = None) -> torch.Tensor:
        """Flatten (and project) the map.

        Args:
            feat: (N, C, h, w) backbone output.
            data_samples: Unused (kept for MMOCR's encoder signature).

        Returns:
            (N, h*w, d_model) tokens in ``order``.
        """
        feat = _as_featmap(feat)
        if feat.shape[1] != self.in_channels:
            raise ValueError(f'expected {self.in_channels} channels, got '
                             f'{feat.shape[1]}')
        if self.order == 'column':
            tokens = feat.permute(0, 3, 2, 1).flatten(1, 2)  # N, w*h, C
        else:
            tokens = feat.flatten(2).transpose(1, 2)  # N, h*w, C
        return self.dropout(self.norm(self.proj(tokens)))


@MODELS.register_module()
class ViTColumnPoolEncoder(BaseModule):
    """Pool the rows of a ViT feature map into one feature per column, the
    (N, D, 1, W) layout CTC heads read (``SVTRDecoder`` asserts height 1).

    For a 32x128 crop with 4x4 patches the 8 rows of 32 columns become a
    sequence of 32 CTC frames (enough for words of up to ~25 characters;
    CTC needs len(label) + number of doubled letters <= 32).

    Args:
        in_channels: Channels C of the backbone map.
        out_channels: Width D of the output (the CTC head's
            ``in_channels``). None or equal to ``in_channels``: no
            projection; otherwise a Linear C -> D after pooling.
        pool: 'avg' (mean over rows), 'max', or 'concat' (the h rows of a
            column stacked into one C * h vector: keeps where in the column
            a stroke is, which a mean over rows loses; needs ``height``).
        with_norm: LayerNorm(D) on the pooled features (off by default: the
            TextViT output is normalised and a mean keeps that scale).
        dropout: Dropout on the output.
        frames_per_column: Split every pooled column into this many CTC
            frames with a Linear C -> k * D (k = frames_per_column), so
            coarse patches still give enough frames: 8x8 patches on a 32x128
            crop give 16 columns, k=2 gives 32 frames. 1 (default): no split.
        init_cfg: mmengine init config.

    Shapes: ``forward`` maps (N, C, h, w) to (N, D, 1, w * k).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 pool: str = 'avg',
                 with_norm: bool = False,
                 dropout: float = 0.,
                 frames_per_column: int = 1,
                 height: Optional[int] = None,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = dict(
                     type='TruncNormal', layer='Linear', std=.02)) -> None:
        super().__init__(init_cfg=init_cfg)
        if pool not in ('avg', 'max', 'concat'):
            raise ValueError(
                f"pool must be 'avg', 'max' or 'concat', got {pool!r}")
        if pool == 'concat' and not (isinstance(height, int) and height > 0):
            raise ValueError("pool='concat' needs the feature-map height "
                             f'(rows per column), got height={height!r}')
        if isinstance(frames_per_column, bool) or not isinstance(
                frames_per_column, int) or frames_per_column < 1:
            raise ValueError('frames_per_column must be an int >= 1, got '
                             f'{frames_per_column!r}')
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels or in_channels)
        self.pool = pool
        self.height = height
        self.frames_per_column = frames_per_column
        k = frames_per_column
        pooled = self.in_channels * (height if pool == 'concat' else 1)
        self.proj = nn.Identity() if (self.out_channels == pooled
                                      and k == 1) \
            else nn.Linear(pooled, self.out_channels * k)
        self.norm = nn.LayerNorm(self.out_channels) if with_norm \
            else nn.Identity()
        self.dropout = nn.Dropout(dropout)

    def forward(self,
                feat: torch.Tensor,
                data_samples: Optional[Sequence] = None) -> torch.Tensor:
        """Pool over rows (and project).

        Args:
            feat: (N, C, h, w) backbone output.
            data_samples: Unused (kept for MMOCR's encoder signature).

        Returns:
            (N, D, 1, w): one D-dim frame per column, left to right.
        """
        feat = _as_featmap(feat)
        if feat.shape[1] != self.in_channels:
            raise ValueError(f'expected {self.in_channels} channels, got '
                             f'{feat.shape[1]}')
        if self.pool == 'concat':
            if feat.shape[2] != self.height:
                raise ValueError(f'expected {self.height} rows, got '
                                 f'{feat.shape[2]}')
            cols = feat.flatten(1, 2)  # N, C*h, w (channel-major)
        elif self.pool == 'avg':
            cols = feat.mean(2)  # N, C, w
        else:
            cols = feat.amax(2)
        cols = self.proj(cols.transpose(1, 2))  # N, w, k * D
        n, w = cols.shape[:2]
        # Frame j of column i is frame i * k + j: left to right.
        cols = cols.reshape(n, w * self.frames_per_column, self.out_channels)
        cols = self.dropout(self.norm(cols))
        return cols.transpose(1, 2).unsqueeze(2)
