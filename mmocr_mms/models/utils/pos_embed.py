"""Fixed 2D sin-cos position embeddings on rectangular patch grids.

Word crops are 32x128 px; with 4x4 patches the grid is 8 rows x 32 columns.
mmpretrain's MAE and the original MAE code build the sin-cos table from
``sqrt(num_patches)`` and would silently produce a 16x16 table for these 256
tokens, so neighbouring tokens in a row would get codes of different rows.
Everything here takes the true ``(rows, cols)`` grid instead.

Convention (identical to MAE's ``get_2d_sincos_pos_embed`` on square grids):
tokens are row-major (token ``r * gw + c`` is row ``r``, column ``c``); the
first ``embed_dim // 2`` channels encode the column (x) index ``c``, the last
``embed_dim // 2`` the row (y) index ``r``. Each half is a 1D code of width
``D = embed_dim // 2``: with ``omega_i = 1 / 10000 ** (i / (D / 2))`` for
``i in [0, D/2)``, the channels are ``[sin(pos * omega_i) for all i]``
followed by ``[cos(pos * omega_i) for all i]``.
"""
import math
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F

__all__ = ['sincos_pos_embed_1d', 'sincos_pos_embed_2d', 'resize_pos_embed',
           'infer_grid']


def sincos_pos_embed_1d(dim: int, pos: torch.Tensor) -> torch.Tensor:
    """1D sin-cos code.

    Args:
        dim: Code width D (even).
        pos: (M, ) positions.

    Returns:
        (M, D) float64: ``[sin(pos * omega), cos(pos * omega)]``.
    """
    if dim % 2:
        raise ValueError(f'1D sin-cos width must be even, got {dim}')
    half = dim // 2
    # float64 like MAE's numpy code, so tables match it to float32 precision.
    omega = 1. / 10000**(torch.arange(half, dtype=torch.float64) / half)
    angles = pos.to(torch.float64)[:, None] * omega[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def sincos_pos_embed_2d(embed_dim: int,
                        grid: Tuple[int, int],
                        cls_token: bool = False) -> torch.Tensor:
    """2D sin-cos position embedding of a rectangular grid.

    See the module docstring for the channel layout.

    Args:
        embed_dim: Width C, divisible by 4.
        grid: (gh, gw) rows and columns.
        cls_token: Prepend an all-zero row for a class token.

    Returns:
        (gh * gw (+1), C) float32, row-major over the grid.
    """
    if embed_dim % 4:
        raise ValueError(
            f'embed_dim must be divisible by 4 for a 2D sin-cos embedding, '
            f'got {embed_dim}')
    gh, gw = int(grid[0]), int(grid[1])
    rows = torch.arange(gh).repeat_interleave(gw)  # r of token r*gw + c
    cols = torch.arange(gw).repeat(gh)  # c of token r*gw + c
    half = embed_dim // 2
    emb = torch.cat(
        [sincos_pos_embed_1d(half, cols),
         sincos_pos_embed_1d(half, rows)], dim=1).float()
    if cls_token:
        emb = torch.cat([emb.new_zeros(1, embed_dim), emb], dim=0)
    return emb


def resize_pos_embed(pos_embed: torch.Tensor,
                     src_grid: Sequence[int],
                     dst_grid: Sequence[int],
                     num_extra_tokens: int = 0,
                     mode: str = 'bicubic') -> torch.Tensor:
    """Interpolate the grid part of a position embedding to another grid.

    Args:
        pos_embed: (1, num_extra + gh_src * gw_src, C); the extra (cls)
            tokens come first and are kept unchanged.
        src_grid: (gh_src, gw_src).
        dst_grid: (gh_dst, gw_dst).
        num_extra_tokens: Leading non-grid tokens.
        mode: ``F.interpolate`` mode (align_corners=False).

    Returns:
        (1, num_extra + gh_dst * gw_dst, C); the input itself when the grids
        are equal.
    """
    src_grid = (int(src_grid[0]), int(src_grid[1]))
    dst_grid = (int(dst_grid[0]), int(dst_grid[1]))
    if pos_embed.dim() != 3 or pos_embed.shape[0] != 1:
        raise ValueError('pos_embed must have shape (1, L, C), got '
                         f'{tuple(pos_embed.shape)}')
    n_grid = src_grid[0] * src_grid[1]
    if pos_embed.shape[1] != num_extra_tokens + n_grid:
        raise ValueError(
            f'pos_embed has {pos_embed.shape[1]} tokens, expected '
            f'{num_extra_tokens} extra + {src_grid[0]}x{src_grid[1]} grid')
    if src_grid == dst_grid:
        return pos_embed
    extra = pos_embed[:, :num_extra_tokens]
    c = pos_embed.shape[-1]
    grid = pos_embed[:, num_extra_tokens:].reshape(1, *src_grid,
                                                   c).permute(0, 3, 1, 2)
    # Interpolate in float32: bicubic has no half-precision CPU kernel.
    kwargs = {} if mode in ('nearest', 'area') else {'align_corners': False}
    grid = F.interpolate(grid.float(), size=dst_grid, mode=mode, **kwargs)
    grid = grid.to(pos_embed.dtype).permute(0, 2, 3, 1).reshape(
        1, dst_grid[0] * dst_grid[1], c)
    return torch.cat([extra, grid], dim=1)


def infer_grid(num_tokens: int, ref_grid: Sequence[int]) -> Tuple[int, int]:
    """Guess the (rows, cols) grid of ``num_tokens`` patch tokens.

    Candidates, first fit wins:
    1. the aspect ratio of ``ref_grid`` (e.g. 256 tokens, ref (8, 32) ->
       (8, 32); 64 -> (4, 16));
    2. the row count of ``ref_grid`` (crops of the same height but another
       width: 192 tokens, ref (8, 32) -> (8, 24));
    3. the column count of ``ref_grid``;
    4. a square grid (ImageNet-style checkpoints).

    The guess is ambiguous by nature (196 tokens with ref (8, 32) gives
    (7, 28), not timm's 14x14); checkpoints written by ``TextViT`` carry a
    ``pos_grid`` buffer that makes guessing unnecessary.

    Args:
        num_tokens: Number of grid tokens (extra tokens excluded).
        ref_grid: (gh, gw) of the model receiving the checkpoint.

    Returns:
        (gh, gw) with gh * gw == num_tokens.

    Raises:
        ValueError: When no candidate fits.
    """
    n = int(num_tokens)
    rh, rw = int(ref_grid[0]), int(ref_grid[1])
    if n <= 0:
        raise ValueError(f'num_tokens must be positive, got {n}')
    # 1. same aspect ratio: gh = sqrt(n * rh / rw), gw = n / gh.
    gh = round(math.sqrt(n * rh / rw))
    if gh > 0 and n % gh == 0 and (n // gh) * rh == gh * rw:
        return gh, n // gh
    # 2./3. same height or same width.
    if n % rh == 0:
        return rh, n // rh
    if n % rw == 0:
        return n // rw, rw
    # 4. square.
    side = math.isqrt(n)
    if side * side == n:
        return side, side
    raise ValueError(
        f'cannot infer a patch grid for {n} tokens (tried the aspect ratio '
        f'and sides of {(rh, rw)} and a square grid); store the source grid '
        f'in a `pos_grid` entry of the checkpoint')
