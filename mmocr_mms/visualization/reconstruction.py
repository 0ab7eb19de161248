"""Original | masked | reconstruction pictures of an MMS model."""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmocr.structures import TextRecogDataSample

from ..utils.image import to_bgr_uint8
from .grid import make_grid, overlay_mask

__all__ = [
    'find_mask_strategies', 'reconstruction_grid', 'sample_images',
    'word_images'
]


def find_mask_strategies(pipeline) -> List:
    """The mask generators of a pipeline (the strategies of a MultiMasking,
    or a single mask transform); the three defaults when there is none."""
    from mmocr_mms.datasets.transforms import (BaseMaskGenerator,
                                               BlockwiseMasking,
                                               MultiMasking,
                                               RandomPatchMasking,
                                               SpanMasking)
    for t in getattr(pipeline, 'transforms', pipeline or []):
        if isinstance(t, MultiMasking):
            return list(t.strategies)
        if isinstance(t, BaseMaskGenerator):
            return [t]
    return [RandomPatchMasking(seed=0), BlockwiseMasking(seed=0),
            SpanMasking(seed=0)]


def _to_bgr_uint8(img_rgb: torch.Tensor) -> np.ndarray:
    """(3, H, W) float RGB 0..255 -> (H, W, 3) uint8 BGR."""
    return to_bgr_uint8(
        img_rgb.detach().float().cpu().permute(1, 2, 0).numpy(), rgb=True)


@torch.no_grad()
def reconstruction_grid(model,
                        images: Sequence[np.ndarray],
                        strategies: Sequence,
                        scale: int = 2,
                        full_prediction: bool = False
                        ) -> Tuple[np.ndarray, List[str]]:
    """Reconstruct each image under each strategy and tile the results.

    Args:
        model: An :class:`MMS` model (unwrapped), any mode; it is put in
            eval mode for the call and restored afterwards.
        images: uint8 (H, W, 3) BGR crops at the model's input size.
        strategies: Mask generators; row ``i * S + s`` is image i masked
            by strategy s (each keyed by the image's position, so a grid
            is reproducible).
        scale: Upscaling of the tiles.
        full_prediction: Add a column with every patch predicted.

    Returns:
        (grid uint8 BGR, row titles). Columns: original | masked |
        reconstruction (visible patches kept, masked ones predicted)
        [| prediction].
    """
    was_training = model.training
    model.eval()
    try:
        inputs, samples, masks, titles = [], [], [], []
        for i, img in enumerate(images):
            for s in strategies:
                mask = s.transform({'sample_idx': i})['mask']
                ds = TextRecogDataSample()
                ds.set_field(torch.from_numpy(mask), 'mask')
                ds.set_metainfo(
                    dict(mask_type=s.mask_type, valid_ratio=1.0,
                         img_shape=img.shape[:2]))
                inputs.append(
                    torch.from_numpy(np.ascontiguousarray(
                        img.transpose(2, 0, 1))))
                samples.append(ds)
                masks.append(mask)
                titles.append(s.mask_type)
        data = model.data_preprocessor(
            dict(inputs=inputs, data_samples=samples), False)
        out = model.predict(data['inputs'], data['data_samples'])
        rows = []
        for img_idx, (ds, mask) in enumerate(zip(out, masks)):
            img = images[img_idx // len(strategies)]
            row = [img, overlay_mask(img, mask), _to_bgr_uint8(ds.mixed_img)]
            if full_prediction:
                row.append(_to_bgr_uint8(ds.recon_img))
            rows.append(row)
        cols = ['original', 'masked', 'reconstruction']
        if full_prediction:
            cols.append('prediction')
        return make_grid(rows, cols, titles, scale=scale), titles
    finally:
        model.train(was_training)


def sample_images(dataset, num: int,
                  size: Optional[Tuple[int, int]] = None) -> List[np.ndarray]:
    """The first ``num`` images of a dataset as packed for training
    (uint8 (H, W, 3) BGR at the input size)."""
    imgs = []
    for i in range(min(num, len(dataset))):
        packed = dataset[i]
        imgs.append(packed['inputs'].permute(1, 2, 0).numpy().copy())
    return imgs


def word_images(num: int, size: Tuple[int, int], folder: Optional[str] = None,
                seed: int = 0) -> List[np.ndarray]:
    """``num`` word crops resized to ``size`` = (H, W): the first images of
    ``folder`` (recursive, sorted), or synthetic words of corpus ``seed``.

    Returns uint8 (H, W, 3) BGR arrays. Raises ``SystemExit`` when the
    folder holds no image (the tools' error for a wrong path).
    """
    import os.path as osp

    import cv2

    from mmocr_mms.datasets import SynthWordDataset
    from mmocr_mms.datasets.image_folder import scan_images
    from mmocr_mms.datasets.image_io import read_image_file
    if folder:
        paths = scan_images(folder)[:num]
        if not paths:
            raise SystemExit(f'no images in {folder}')
        imgs = [read_image_file(osp.join(folder, p)) for p in paths]
    else:
        ds = SynthWordDataset(num_samples=num, seed=seed)
        imgs = []
        for i in range(num):
            results = ds.get_data_info(i)
            ds.load_sample(results)
            imgs.append(results['img'])
    h, w = size
    return [cv2.resize(i, (w, h), interpolation=cv2.INTER_AREA) for i in imgs]
