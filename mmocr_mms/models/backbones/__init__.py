"""Backbones (MODELS registry, scope ``mmocr``)."""
from .checkpoint_convert import (adapt_pos_embed, extract_backbone_state_dict,
                                 load_backbone_weights)
from .text_vit import TextViT

__all__ = ['TextViT', 'extract_backbone_state_dict', 'load_backbone_weights',
           'adapt_pos_embed']
