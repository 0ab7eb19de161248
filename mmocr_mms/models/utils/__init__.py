"""Model utilities."""
from .pos_embed import (infer_grid, resize_pos_embed, sincos_pos_embed_1d,
                        sincos_pos_embed_2d)

__all__ = [
    'sincos_pos_embed_1d', 'sincos_pos_embed_2d', 'resize_pos_embed',
    'infer_grid'
]
