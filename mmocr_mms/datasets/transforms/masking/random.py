"""MAE's random patch masking."""
import numpy as np
from mmocr.registry import TRANSFORMS

from mmocr_mms.utils.rng import python_rng
from .base import BaseMaskGenerator, mask_to_bits

__all__ = ['RandomPatchMasking']


@TRANSFORMS.register_module()
class RandomPatchMasking(BaseMaskGenerator):
    """MAE's random masking: a uniformly random subset of patches.

    Exactly ``round(mask_ratio * num_patches)`` patches (default ratio 0.75:
    192 of the 256 patches of a 32 x 128 crop). Args as
    :class:`BaseMaskGenerator`.
    """

    mask_type = 'random'
    _salt = 1

    def generate(self, key: int) -> np.ndarray:
        # 32-bit scores from one ``randbytes`` call: ~1 us, against ~7 us
        # for creating a numpy Generator per sample. Ties (probability
        # ~ L^2 / 2^33) would only favour lower indices negligibly.
        scores = np.frombuffer(
            python_rng(key).randbytes(4 * self.num_patches), np.uint32)
        mask = np.zeros(self.num_patches, bool)
        mask[np.argpartition(scores, self.num_masked)[:self.num_masked]] = 1
        return mask.reshape(self.grid)

    def sample_bits(self, key: int) -> int:
        return mask_to_bits(self.generate(key))
