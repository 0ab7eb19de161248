"""Backbones (MODELS registry, scope ``mmocr``)."""
from .text_vit import (TextViT, extract_backbone_state_dict,
                       load_backbone_weights)

__all__ = ['TextViT', 'extract_backbone_state_dict', 'load_backbone_weights']
