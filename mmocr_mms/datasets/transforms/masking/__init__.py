"""Mask generators of the Multi-Masking Strategy (MMS), as MMOCR transforms.

Modules: :mod:`.base` (``BaseMaskGenerator``: argument checks, grid bitsets,
per-sample keys, clipped placements, the top-up rule), :mod:`.random`
(``RandomPatchMasking``), :mod:`.blockwise` (``BlockwiseMasking``),
:mod:`.span` (``SpanMasking``), :mod:`.multi` (``MultiMasking``).

Every transform reads an image's sample index from ``results['sample_idx']``
(set by MMEngine's ``BaseDataset``) and writes

* ``results['mask']``: ``np.ndarray`` of bool, shape ``(H/p, W/p)``
  (8 x 32 for a 32 x 128 crop with 4 x 4 patches), ``True`` = masked;
* ``results['mask_type']``: the strategy's name (``'random'``,
  ``'blockwise'``, ``'span'`` or ``'union'``).

Exact counts. Each strategy masks exactly ``round(mask_ratio * num_patches)``
patches. Shape-based samplers never accept a shape that would overshoot the
target; what is left when no further shape fits (fewer patches than the
smallest shape) is *topped up* with unmasked patches that touch the masked
region (4-neighbours), picked at random, so blocks grow by a few patches
rather than scattering isolated ones. Full-height spans are topped up with one
vertical run in a column beside a span.

Reproducibility. The random stream of a sample is keyed by
``(seed, epoch, sample_idx)`` (:func:`mmocr_mms.utils.rng.sample_key`), not
global state, so the same sample gets the same mask whatever the number of
DataLoader workers, and another epoch (``set_epoch``, called by
``MaskEpochHook``) gives another mask.

Uniform coverage. Shapes are placed with their top-left corner drawn so that
a shape may hang over the border and is clipped there; each grid cell is then
covered by equally many placements, which removes the centre bias of
"place fully inside" samplers (on an 8-row grid a 4-row block covers the
middle rows four times as often as the edge rows).
"""
from .base import BaseMaskGenerator, bits_to_mask, mask_to_bits
from .blockwise import BlockwiseMasking
from .multi import MultiMasking
from .random import RandomPatchMasking
from .span import SpanMasking

__all__ = [
    'BaseMaskGenerator', 'RandomPatchMasking', 'BlockwiseMasking',
    'SpanMasking', 'MultiMasking', 'mask_to_bits', 'bits_to_mask'
]
