"""Dense heads shared by the pixel-level tasks (MODELS registry)."""
from .patch_decode_head import PatchDecodeHead, tokens_to_image

__all__ = ['PatchDecodeHead', 'tokens_to_image']
