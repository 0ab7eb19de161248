"""Transformer building blocks (timm parameter naming)."""
from .transformer import (Attention, DropPath, Mlp, PatchEmbed,
                          TransformerBlock, padding_mask_to_attn_mask)

__all__ = [
    'Attention', 'Mlp', 'DropPath', 'TransformerBlock', 'PatchEmbed',
    'padding_mask_to_attn_mask'
]
