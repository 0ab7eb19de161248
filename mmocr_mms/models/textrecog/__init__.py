"""Recognition glue (MODELS registry, scope ``mmocr``): adapters that feed
TextViT feature maps to stock MMOCR decoders."""
from .encoders import ViTColumnPoolEncoder, ViTSequenceEncoder

__all__ = ['ViTSequenceEncoder', 'ViTColumnPoolEncoder']
