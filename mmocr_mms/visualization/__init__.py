"""Pictures of masks and reconstructions."""
from .grid import make_grid, overlay_mask, paste_patches
from .reconstruction import (find_mask_strategies, reconstruction_grid,
                             sample_images, word_images)

__all__ = [
    'make_grid', 'overlay_mask', 'paste_patches', 'find_mask_strategies',
    'reconstruction_grid', 'sample_images', 'word_images'
]
