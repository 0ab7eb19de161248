"""Pictures of masks and reconstructions."""
from .grid import make_grid, overlay_mask, paste_patches

__all__ = ['make_grid', 'overlay_mask', 'paste_patches']
