"""Recognition glue (MODELS registry, scope ``mmocr``): adapters that feed
TextViT feature maps to stock MMOCR decoders, and a cached-K/V variant of
MMOCR's NRTR decoder for fast greedy decoding."""
from .decoders import CachedNRTRDecoder
from .encoders import ViTColumnPoolEncoder, ViTSequenceEncoder

__all__ = ['ViTSequenceEncoder', 'ViTColumnPoolEncoder', 'CachedNRTRDecoder']
