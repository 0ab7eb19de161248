"""Pre-norm ViT building blocks.

Attribute names follow timm's ``VisionTransformer`` (``qkv``, ``proj``,
``fc1``, ``fc2``, ``norm1``, ``attn``, ``norm2``, ``mlp``) so that timm / MAE /
MAERec encoder checkpoints load by key without a conversion table.
"""
from typing import Optional, Tuple, Type

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['Attention', 'Mlp', 'DropPath', 'TransformerBlock', 'PatchEmbed']


def padding_mask_to_attn_mask(
        key_padding_mask: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    """Turn a key padding mask into a boolean SDPA ``attn_mask``.

    Args:
        key_padding_mask: (N, S) bool, True = padded key that must not be
            attended to; or None.

    Returns:
        (N, 1, 1, S) bool, True = may attend (SDPA's boolean convention), or
        None when no mask is given. Broadcasts over heads and queries, so a
        padded *query* row still attends to the valid keys and stays finite.
    """
    if key_padding_mask is None:
        return None
    if key_padding_mask.dim() != 2:
        raise ValueError('key_padding_mask must have shape (N, S), got '
                         f'{tuple(key_padding_mask.shape)}')
    return (~key_padding_mask.bool())[:, None, None, :]


class Attention(nn.Module):
    """Multi-head self-attention on top of ``F.scaled_dot_product_attention``.

    Args:
        dim: Token width C.
        num_heads: Number of heads; must divide ``dim``.
        qkv_bias: Bias in the fused qkv projection.
        attn_drop: Dropout on the attention probabilities (train only).
        proj_drop: Dropout after the output projection.
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.) -> None:
        super().__init__()
        if dim % num_heads != 0:
            raise ValueError(f'dim {dim} not divisible by heads {num_heads}')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        # One fused Linear (timm layout: q, k, v stacked on the output dim).
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self,
                x: torch.Tensor,
                key_padding_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        """Self-attention.

        Args:
            x: (N, S, C) tokens.
            key_padding_mask: Optional (N, S) bool, True = padded token that
                no query may attend to. Every sample needs at least one
                valid token, otherwise its rows are NaN (softmax over
                nothing).

        Returns:
            (N, S, C).
        """
        n, s, c = x.shape
        # (N, S, 3C) -> (3, N, heads, S, head_dim)
        qkv = self.qkv(x).reshape(n, s, 3, self.num_heads,
                                  self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        out = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=padding_mask_to_attn_mask(key_padding_mask),
            dropout_p=self.attn_drop if self.training else 0.)
        out = out.transpose(1, 2).reshape(n, s, c)
        return self.proj_drop(self.proj(out))


class Mlp(nn.Module):
    """Two-layer feed-forward network ``fc2(drop(act(fc1(x))))``.

    Args:
        in_features: Input / output width C.
        hidden_features: Hidden width (defaults to C).
        act: Activation class (instantiated without arguments).
        drop: Dropout after the activation and after ``fc2``.

    Shapes: (..., C) -> (..., C).
    """

    def __init__(self,
                 in_features: int,
                 hidden_features: Optional[int] = None,
                 act: Type[nn.Module] = nn.GELU,
                 drop: float = 0.) -> None:
        super().__init__()
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act()
        self.fc2 = nn.Linear(hidden_features, in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C) -> (..., C)."""
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch per sample.

    In training each sample's branch is zeroed with probability
    ``drop_prob`` and the kept ones are scaled by ``1 / keep_prob`` so the
    expectation is unchanged; in eval (or with ``drop_prob == 0``) it is the
    identity.

    Shapes: (N, ...) -> (N, ...).
    """

    def __init__(self, drop_prob: float = 0.) -> None:
        super().__init__()
        if not 0. <= drop_prob < 1.:
            raise ValueError(f'drop_prob must be in [0, 1), got {drop_prob}')
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, ...) -> (N, ...)."""
        if not self.training or self.drop_prob == 0.:
            return x
        keep_prob = 1. - self.drop_prob
        # One Bernoulli draw per sample, broadcast over all other dims.
        shape = (x.shape[0], ) + (1, ) * (x.dim() - 1)
        keep = x.new_empty(shape).bernoulli_(keep_prob)
        return x * keep / keep_prob

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'


class TransformerBlock(nn.Module):
    """Pre-norm ViT block: ``x + dp(attn(norm1(x)))``, then
    ``x + dp(mlp(norm2(x)))``.

    Args:
        dim: Token width C.
        num_heads: Attention heads.
        mlp_ratio: MLP hidden width = ``dim * mlp_ratio``.
        qkv_bias: Bias in the qkv projection.
        drop_path: Stochastic-depth probability of both residual branches.
        norm_eps: LayerNorm epsilon (1e-6 as in timm/MAE ViTs).
        drop: Dropout in the MLP and after the attention projection.
        attn_drop: Dropout on the attention probabilities.
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop_path: float = 0.,
                 norm_eps: float = 1e-6,
                 drop: float = 0.,
                 attn_drop: float = 0.) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = Attention(
            dim,
            num_heads,
            qkv_bias=qkv_bias,
            attn_drop=attn_drop,
            proj_drop=drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else \
            nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)

    def forward(self,
                x: torch.Tensor,
                key_padding_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        """(N, S, C) -> (N, S, C); ``key_padding_mask`` (N, S) bool, True =
        padded key (see :class:`Attention`)."""
        x = x + self.drop_path(self.attn(self.norm1(x), key_padding_mask))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class _ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the channels of an (N, C, H, W) map, per position
    (so a patch-local stem stays patch-local)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class PatchEmbed(nn.Module):
    """Patch embedding: each non-overlapping p x p patch becomes one token.

    ``stem='linear'`` (default, timm / MAE layout): one Conv2d ``proj``
    with kernel = stride = p, a linear map of the patch's pixels.

    ``stem='hmlp'``: a hierarchical MLP stem (Touvron et al., "Three things
    everyone should know about Vision Transformers", 2022): log2(p) stages
    of Conv2d(kernel = stride = 2), the first ones followed by a per-position
    channel LayerNorm and GELU, the last one being ``proj``. Every output
    token still depends on the pixels of its own patch only, so masked
    image modeling that drops masked tokens after the embedding (MAE, MMS)
    sees no pixel of a masked patch, while the stem gives the encoder the
    local, convolution-like features that make text recognizers train
    faster from little data. Needs p a power of two >= 4. Its weights do
    not load from timm / MAE checkpoints (which hold a linear ``proj``).

    Args:
        in_channels: Image channels.
        embed_dims: Token width C.
        patch_size: Square patch side p.
        stem: 'linear' or 'hmlp'.
        stem_channels: Width of the hMLP's hidden stages (default C // 4).

    Shapes: ``forward`` maps (N, in_channels, H, W) to tokens
    (N, H/p * W/p, C) and the grid (H/p, W/p).
    """

    stems = ('linear', 'hmlp')

    def __init__(self, in_channels: int, embed_dims: int, patch_size: int,
                 stem: str = 'linear',
                 stem_channels: Optional[int] = None) -> None:
        super().__init__()
        if stem not in self.stems:
            raise ValueError(f'stem must be one of {self.stems}, got '
                             f'{stem!r}')
        self.patch_size = patch_size
        self.in_channels = in_channels
        self.stem_type = stem
        if stem == 'linear':
            self.stem = nn.Identity()
            self.proj = nn.Conv2d(
                in_channels, embed_dims, kernel_size=patch_size,
                stride=patch_size)
            return
        stages = patch_size.bit_length() - 1
        if patch_size < 4 or patch_size != 1 << stages:
            raise ValueError("stem='hmlp' needs a patch size that is a power "
                             f'of two >= 4, got {patch_size}')
        hidden = int(stem_channels or max(embed_dims // 4, 1))
        layers = []
        ch = in_channels
        for _ in range(stages - 1):
            layers += [
                nn.Conv2d(ch, hidden, kernel_size=2, stride=2),
                _ChannelLayerNorm(hidden, eps=1e-6),
                nn.GELU()
            ]
            ch = hidden
        self.stem = nn.Sequential(*layers)
        self.proj = nn.Conv2d(ch, embed_dims, kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int,
                                                                     int]]:
        """Embed patches.

        Args:
            x: (N, in_channels, H, W) with H, W divisible by the patch size.

        Returns:
            tokens (N, gh*gw, C) in row-major grid order, and (gh, gw).
        """
        h, w = x.shape[-2:]
        p = self.patch_size
        if h % p or w % p:
            # A strided conv would silently crop the border; refuse instead.
            raise ValueError(f'input size {(h, w)} is not divisible by the '
                             f'patch size {p}')
        x = self.proj(self.stem(x))
        grid = (x.shape[-2], x.shape[-1])
        return x.flatten(2).transpose(1, 2), grid
