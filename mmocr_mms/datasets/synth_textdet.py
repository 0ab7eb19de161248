"""Synthetic text-detection scenes: rendered words pasted on a canvas with
known boxes, so detection configs and tests run with no download."""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmocr.registry import DATASETS

from .base import VirtualDataset
from .synth_render import WordRenderer

__all__ = ['SynthTextDetDataset']


@DATASETS.register_module()
class SynthTextDetDataset(VirtualDataset):
    """Canvases with a few words, deterministic per ``(seed, index)``.

    Each word is rendered by :class:`WordRenderer` (as
    :class:`SynthWordDataset`), scaled to a random height, and its glyph
    pixels (exact fg mask) are drawn onto a smooth random background at a
    free spot; its box is the glyphs' axis-aligned bounds.

    Args:
        num_samples: Virtual length.
        seed: Corpus seed.
        canvas_size: (H, W) of every image.
        max_words: Up to this many words per image (at least one).
        word_height: (min, max) rendered word height in pixels.
        renderer: Keyword arguments of :class:`WordRenderer`.
        **kwargs: ``pipeline``, ``test_mode``, ... of ``BaseDataset``.

    The pipeline receives ``img`` uint8 (H, W, 3) BGR and ``instances`` in
    MMOCR's detection format (``polygon`` [x0, y0, x1, y0, x1, y1, x0, y1],
    ``bbox`` [x0, y0, x1, y1], ``bbox_label`` 0, ``ignore`` False,
    ``text``): the stock ``LoadOCRAnnotations`` parses them; no
    ``LoadImageFromFile`` step is needed.
    """

    METAINFO = dict(
        dataset_type='SynthTextDetDataset', task_name='textdet',
        category=[dict(id=0, name='text')])

    def __init__(self,
                 num_samples: int = 1000,
                 seed: int = 0,
                 canvas_size: Sequence[int] = (320, 320),
                 max_words: int = 4,
                 word_height: Sequence[int] = (16, 48),
                 renderer: Optional[dict] = None,
                 **kwargs) -> None:
        if num_samples < 1 or max_words < 1:
            raise ValueError('num_samples and max_words must be >= 1')
        self._num = int(num_samples)
        self.seed = int(seed)
        self.canvas_size = (int(canvas_size[0]), int(canvas_size[1]))
        self.max_words = int(max_words)
        self.word_height = (int(word_height[0]), int(word_height[1]))
        self.renderer = WordRenderer(**(renderer or {}))
        super().__init__(**kwargs)

    def num_samples(self) -> int:
        """The virtual length."""
        return self._num

    def _background(self, rng: np.random.Generator) -> np.ndarray:
        """Smooth random colour field (H, W, 3) uint8."""
        h, w = self.canvas_size
        coarse = rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)
        bg = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        noise = rng.normal(0, 6, bg.shape)
        return np.clip(bg + noise, 0, 255).astype(np.uint8)

    @staticmethod
    def _overlaps(box: Tuple[int, int, int, int],
                  boxes: List[Tuple[int, int, int, int]], gap: int) -> bool:
        x0, y0, x1, y1 = box
        return any(x0 < b[2] + gap and b[0] < x1 + gap and y0 < b[3] + gap
                   and b[1] < y1 + gap for b in boxes)

    def load_sample(self, results: dict) -> None:
        """Compose scene ``sample_idx`` into ``results`` (see the class)."""
        idx = results['sample_idx']
        rng = np.random.default_rng([self.seed, idx])
        canvas = self._background(rng)
        h, w = self.canvas_size
        n_words = int(rng.integers(1, self.max_words + 1))
        boxes: List[Tuple[int, int, int, int]] = []
        instances = []
        for j in range(n_words):
            img, text, fg = self.renderer.render(
                self.seed, idx * self.max_words + j)
            ys, xs = np.nonzero(fg)
            if len(ys) == 0:
                continue
            img = img[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            fg = fg[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            th = int(rng.integers(self.word_height[0],
                                  self.word_height[1] + 1))
            tw = max(1, int(round(img.shape[1] * th / img.shape[0])))
            if tw >= w - 2 or th >= h - 2:
                continue
            img = cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA)
            fg = cv2.resize(fg.astype(np.uint8), (tw, th),
                            interpolation=cv2.INTER_NEAREST).astype(bool)
            for _ in range(20):  # a few tries at a free spot
                x0 = int(rng.integers(1, w - tw))
                y0 = int(rng.integers(1, h - th))
                box = (x0, y0, x0 + tw, y0 + th)
                if not self._overlaps(box, boxes, gap=4):
                    break
            else:
                continue
            region = canvas[y0:y0 + th, x0:x0 + tw]
            region[fg] = img[fg]
            boxes.append(box)
            x1, y1 = float(x0 + tw), float(y0 + th)
            instances.append(
                dict(
                    polygon=[float(x0), float(y0), x1, float(y0), x1, y1,
                             float(x0), y1],
                    bbox=[float(x0), float(y0), x1, y1],
                    bbox_label=0,
                    ignore=False,
                    text=text))
        results['img'] = canvas
        results['img_shape'] = results['ori_shape'] = canvas.shape[:2]
        results['img_path'] = f'synthdet://{self.seed}/{idx}'
        results['instances'] = instances
