"""TextSeg (Xu et al., CVPR 2021, "Rethinking Text Segmentation") reader.

Layout of the official release (its README)::

    TextSeg/
        image/<id>.jpg
        annotation/<id>_anno.json      word- and character-level polygons
                                       ("bpoly_label/" in the authors' code)
        semantic_label/<id>_maskfg.png word-level foreground mask
        split.json                     {"train": [ids], "val": [...],
                                        "test": [...]}

``<id>_maskfg.png`` values, per the README: 0 background, 100 word (text),
200 word-effect (shadows, outlines, ...), 255 ignore. Masks written by
other tools use 0/255 or 0/1 instead; :func:`decode_fg_mask` reads all of
them (see ``mask_encoding``). A flat folder (``<name>.jpg`` next to
``<name>_maskfg.png``, no split file) also works.

Word-level crops (the MMS paper's encoder sees word crops; CCD evaluates
TextSeg on word crops too): ``<id>_anno.json`` maps word ids to
``{"text": str, "bbox": [x1, y1, x2, y2, ...], "char": {...}}`` where
``bbox`` is the word's bounding polygon as a flat list (a quadrilateral
in the released data; this reader accepts any polygon of >= 3 points).
Assumption: we crop each word by its polygon (axis-aligned bounds, or a
perspective rectification of 4-point polygons with ``crop_mode='quad'``)
from both image and mask; pixels of other words that fall inside the crop
keep their labels.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log
from mmocr.registry import DATASETS

from .base import MMSBaseDataset
from .image_folder import IMAGE_EXTENSIONS, scan_images
from .image_io import BadSample, read_image_file

__all__ = [
    'TextSegDataset', 'decode_fg_mask', 'read_mask_file', 'crop_word',
    'IGNORE_INDEX'
]

IGNORE_INDEX = 255
MASK_ENCODINGS = ('auto', 'textseg', 'binary255', 'binary01')
_EFFECT_VALUES = {'ignore': IGNORE_INDEX, 'fg': 1, 'bg': 0}
# Suffixes of TextSeg's label files, never taken for images in a flat
# folder.
_LABEL_SUFFIXES = ('_maskfg', '_mask', '_maskeff')


def read_mask_file(path: str) -> np.ndarray:
    """Raw label values of a mask image as (H, W) (or (H, W, C)) uint8.

    Pillow keeps the *indices* of palette PNGs (OpenCV would turn them into
    colours). Wider integer masks keep their values when they fit in 8
    bits (labels) and are divided by 257 otherwise (16-bit intensities).

    Raises:
        BadSample: ``'missing'`` or ``'corrupt'``.
    """
    if not osp.isfile(path):
        raise BadSample('missing', path)
    from PIL import Image
    try:
        with Image.open(path) as im:
            arr = np.array(im)
    except Exception as e:  # PIL raises many types on broken files
        raise BadSample('corrupt', f'{path} ({e!r})') from None
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype != bool and arr.size and arr.max() > 255:
        # 16-bit intensities (0..65535), not label values
        return (arr.astype(np.uint32) // 257).astype(np.uint8)
    return arr.astype(np.uint8)  # bool, or small labels in a wider type


def decode_fg_mask(raw: np.ndarray,
                   encoding: str = 'auto',
                   effect_as: str = 'ignore') -> np.ndarray:
    """Turn stored mask values into training labels.

    Args:
        raw: (H, W) or (H, W, C) integer mask (channel 0 is used).
        encoding:
            ``'textseg'``: 0 bg, 100 text, 200 text effect, 255 ignore (any
            other value -> ignore).
            ``'binary255'``: >= 128 text, else bg (0/255 masks, also
            anti-aliased ones).
            ``'binary01'``: 0 bg, 255 ignore, any other value text (0/1
            masks, optionally with an MMSeg-style 255 ignore).
            ``'auto'`` (per file): ``'textseg'`` if the values are within
            {0, 100, 200, 255} and include 100 or 200; ``'binary01'`` if
            they are within {0, 1} or {0, 1, 255}; otherwise
            ``'binary255'``. Caveat: a TextSeg mask holding only 0 and 255
            (no text, some ignore) is then read as a 0/255 text mask; name
            the encoding for the official data.
        effect_as: Label of TextSeg's word-effect pixels (200): 'ignore'
            (default, as the authors' loader), 'fg' or 'bg'.

    Returns:
        (H, W) uint8: 0 background, 1 text, 255 (:data:`IGNORE_INDEX`)
        ignore.
    """
    if encoding not in MASK_ENCODINGS:
        raise ValueError(f'encoding must be one of {MASK_ENCODINGS}, got '
                         f'{encoding!r}')
    if effect_as not in _EFFECT_VALUES:
        raise ValueError(f'effect_as must be one of {sorted(_EFFECT_VALUES)}'
                         f', got {effect_as!r}')
    m = raw[..., 0] if raw.ndim == 3 else raw
    m = np.asarray(m)
    if encoding == 'auto':
        values = set(np.unique(m).tolist())
        if values <= {0, 100, 200, 255} and values & {100, 200}:
            encoding = 'textseg'
        elif values <= {0, 1, 255} and (1 in values or values <= {0}):
            encoding = 'binary01'
        else:
            encoding = 'binary255'
    out = np.zeros(m.shape, np.uint8)
    if encoding == 'textseg':
        out[:] = IGNORE_INDEX  # unknown values -> ignore
        out[m == 0] = 0
        out[m == 100] = 1
        out[m == 200] = _EFFECT_VALUES[effect_as]
    elif encoding == 'binary255':
        out[m >= 128] = 1
    else:  # binary01
        out[m > 0] = 1
        out[m == 255] = IGNORE_INDEX
    return out


def _polygon_bounds(poly: np.ndarray, shape: Tuple[int, int]
                    ) -> Tuple[int, int, int, int]:
    """Integer (x0, y0, x1, y1), end-exclusive, of (K, 2) points clipped to
    an image of (H, W)."""
    h, w = shape
    x0 = int(np.floor(poly[:, 0].min()))
    y0 = int(np.floor(poly[:, 1].min()))
    x1 = int(np.ceil(poly[:, 0].max())) + 1
    y1 = int(np.ceil(poly[:, 1].max())) + 1
    return max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)


def crop_word(img: np.ndarray,
              mask: np.ndarray,
              polygon: Sequence[float],
              mode: str = 'bbox') -> Tuple[np.ndarray, np.ndarray]:
    """Cut one word out of an image and its label mask.

    Args:
        img: (H, W, 3) uint8.
        mask: (H, W) uint8 labels.
        polygon: Flat [x1, y1, x2, y2, ...] word polygon (>= 3 points).
        mode: ``'bbox'``: the polygon's axis-aligned bounds. ``'quad'``:
            4-point polygons (top-left, top-right, bottom-right,
            bottom-left, the order of the released annotations) are
            rectified by a perspective warp (bilinear for the image,
            nearest for the mask, ignore outside the image); other
            polygons fall back to ``'bbox'``.

    Returns:
        (h, w, 3) image crop and (h, w) mask crop.

    Raises:
        BadSample: ``'bad_polygon'`` for fewer than 3 points or an empty
            crop.
    """
    pts = np.asarray(polygon, np.float32).reshape(-1, 2)
    if len(pts) < 3:
        raise BadSample('bad_polygon', f'{len(pts)} points')
    if mode == 'quad' and len(pts) == 4:
        top = np.linalg.norm(pts[1] - pts[0])
        bottom = np.linalg.norm(pts[2] - pts[3])
        left = np.linalg.norm(pts[3] - pts[0])
        right = np.linalg.norm(pts[2] - pts[1])
        w = int(round(max(top, bottom)))
        h = int(round(max(left, right)))
        if w < 1 or h < 1:
            raise BadSample('bad_polygon', f'degenerate quad {polygon}')
        dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]],
                       np.float32)
        mat = cv2.getPerspectiveTransform(pts, dst)
        img_c = cv2.warpPerspective(
            img, mat, (w, h), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE)
        mask_c = cv2.warpPerspective(
            mask, mat, (w, h), flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT, borderValue=IGNORE_INDEX)
        return img_c, mask_c
    if mode not in ('bbox', 'quad'):
        raise ValueError(f"crop mode must be 'bbox' or 'quad', got {mode!r}")
    x0, y0, x1, y1 = _polygon_bounds(pts, img.shape[:2])
    if x1 <= x0 or y1 <= y0:
        raise BadSample('bad_polygon', f'outside the image: {polygon}')
    return img[y0:y1, x0:x1], mask[y0:y1, x0:x1]


@DATASETS.register_module()
class TextSegDataset(MMSBaseDataset):
    """Text segmentation samples (image + foreground mask), optionally cut
    into words.

    Args:
        data_root: TextSeg folder (official layout) or a flat folder of
            images with ``<name>_maskfg.png`` masks.
        split: 'train', 'val', 'test' (ids from ``split_file``; '+' joins
            several, e.g. 'train+val') or None for every image that has a
            mask.
        img_dir: Image folder under ``data_root`` ('' or a missing folder:
            ``data_root`` itself).
        mask_dir: Mask folder (missing: the image folder).
        ann_dir: Folder of ``<id>_anno.json`` (also tried:
            ``bpoly_label``).
        split_file: Split JSON under ``data_root``.
        mask_suffix: Mask name = image stem + suffix.
        mask_encoding: See :func:`decode_fg_mask`; default 'auto'.
        effect_as: Label of TextSeg's word-effect pixels, see
            :func:`decode_fg_mask`.
        word_level: One sample per annotated word (crop); an image without
            an annotation file is used whole (counted in the log).
        crop_mode: 'bbox' or 'quad', see :func:`crop_word`.
        min_word_size: Words whose polygon bounds are smaller (height or
            width, pixels) are left out of the data list.
        **kwargs: ``pipeline``, ``test_mode``, ``indices``, ... of
            ``BaseDataset``.

    The pipeline receives ``img`` uint8 (h, w, 3) BGR, ``gt_seg_map``
    uint8 (h, w) (0 bg, 1 text, 255 ignore; resized with the image by
    MMCV/MMOCR ``Resize``), ``ori_gt_seg_map`` (the same array, left
    untouched by transforms, for evaluation at the original size),
    ``img_path``, ``word_id``, ``text`` (word transcription or '').
    """

    METAINFO = dict(
        dataset_type='TextSegDataset',
        task_name='textseg',
        classes=('background', 'text'))

    def __init__(self,
                 data_root: str,
                 split: Optional[str] = None,
                 img_dir: str = 'image',
                 mask_dir: str = 'semantic_label',
                 ann_dir: str = 'annotation',
                 split_file: str = 'split.json',
                 mask_suffix: str = '_maskfg.png',
                 mask_encoding: str = 'auto',
                 effect_as: str = 'ignore',
                 word_level: bool = True,
                 crop_mode: str = 'bbox',
                 min_word_size: int = 4,
                 **kwargs) -> None:
        if mask_encoding not in MASK_ENCODINGS:
            raise ValueError(f'mask_encoding must be one of '
                             f'{MASK_ENCODINGS}, got {mask_encoding!r}')
        if crop_mode not in ('bbox', 'quad'):
            raise ValueError(f"crop_mode must be 'bbox' or 'quad', got "
                             f'{crop_mode!r}')
        self.split = split
        self.img_dir = img_dir
        self.mask_dir = mask_dir
        self.ann_dir = ann_dir
        self.split_file = split_file
        self.mask_suffix = mask_suffix
        self.mask_encoding = mask_encoding
        self.effect_as = effect_as
        self.word_level = word_level
        self.crop_mode = crop_mode
        self.min_word_size = min_word_size
        super().__init__(data_root=data_root, **kwargs)

    # ------------------------------------------------------------------
    # data list
    # ------------------------------------------------------------------
    def _subdir(self, name: str, fallback: str) -> str:
        path = osp.join(self.data_root, name) if name else ''
        return path if path and osp.isdir(path) else fallback

    def _image_index(self, img_root: str) -> Dict[str, str]:
        """Image stem -> relative path, label files excluded."""
        index: Dict[str, str] = {}
        for rel in scan_images(img_root, IMAGE_EXTENSIONS):
            stem = osp.splitext(osp.basename(rel))[0]
            if rel.endswith(self.mask_suffix) or stem.endswith(
                    _LABEL_SUFFIXES):
                continue
            index.setdefault(stem, rel)
        return index

    def _split_ids(self) -> Optional[List[str]]:
        if self.split is None:
            return None
        path = osp.join(self.data_root, self.split_file)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'split {self.split!r} requested but {path} does not exist')
        with open(path, encoding='utf-8') as f:
            table = json.load(f)
        ids: List[str] = []
        for part in self.split.split('+'):
            if part not in table:
                raise KeyError(f'{path} has no split {part!r} (has '
                               f'{sorted(table)})')
            ids += [str(i) for i in table[part]]
        return ids

    def _words(self, stem: str) -> Optional[List[dict]]:
        """Word entries of ``<stem>_anno.json`` or None without one."""
        for folder in (self.ann_dir, 'bpoly_label'):
            path = osp.join(self.data_root, folder, f'{stem}_anno.json')
            if osp.isfile(path):
                break
        else:
            return None
        with open(path, encoding='utf-8') as f:
            anno = json.load(f)
        words = []
        for word_id in sorted(anno):
            word = anno[word_id]
            poly = word.get('bbox') if isinstance(word, dict) else None
            if not poly or len(poly) < 6 or len(poly) % 2:
                continue
            pts = np.asarray(poly, np.float64).reshape(-1, 2)
            size = pts.max(0) - pts.min(0)
            if min(size) + 1 < self.min_word_size:
                continue
            words.append(
                dict(word_id=str(word_id), polygon=[float(v) for v in poly],
                     text=str(word.get('text', ''))))
        return words

    def load_data_list(self) -> List[dict]:
        """One entry per word crop (or whole image): paths, polygon,
        word id, text."""
        if not osp.isdir(self.data_root):
            raise FileNotFoundError(f'TextSeg folder not found: '
                                    f'{self.data_root}')
        img_root = self._subdir(self.img_dir, self.data_root)
        mask_root = self._subdir(self.mask_dir, img_root)
        index = self._image_index(img_root)
        ids = self._split_ids()
        if ids is None:
            ids = sorted(
                s for s in index
                if osp.isfile(osp.join(mask_root, s + self.mask_suffix)))
        data_list: List[dict] = []
        missing_img = whole = 0
        for stem in ids:
            if stem not in index:
                missing_img += 1
                continue
            base = dict(
                img_path=osp.join(img_root, index[stem]),
                mask_path=osp.join(mask_root, stem + self.mask_suffix),
                image_id=stem)
            words = self._words(stem) if self.word_level else None
            if words is None:
                if self.word_level:
                    whole += 1
                data_list.append(
                    dict(base, word_id='', polygon=None, text=''))
            else:
                data_list += [dict(base, **w) for w in words]
        if missing_img:
            print_log(f'TextSegDataset: {missing_img} split ids have no '
                      f'image in {img_root}', logger='current', level=30)
        if whole:
            print_log(f'TextSegDataset: {whole} images have no word '
                      'annotation and are used whole', logger='current',
                      level=30)
        if not data_list:
            raise ValueError(f'no TextSeg samples found in {self.data_root}'
                             f' (split={self.split!r})')
        return data_list

    # ------------------------------------------------------------------
    # samples
    # ------------------------------------------------------------------
    def load_sample(self, results: dict) -> None:
        """Read image and mask, decode the labels, cut the word."""
        img = read_image_file(results['img_path'])
        mask = decode_fg_mask(
            read_mask_file(results['mask_path']), self.mask_encoding,
            self.effect_as)
        if mask.shape != img.shape[:2]:
            raise BadSample(
                'size_mismatch', f'{results["img_path"]} {img.shape[:2]} vs '
                f'mask {mask.shape}')
        if results.get('polygon') is not None:
            img, mask = crop_word(img, mask, results['polygon'],
                                  self.crop_mode)
            if min(img.shape[:2]) < 2:
                raise BadSample('too_small', f'{results["img_path"]} word '
                                f'{results["word_id"]}')
            img = np.ascontiguousarray(img)
            mask = np.ascontiguousarray(mask)
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        results['gt_seg_map'] = mask
        results['ori_gt_seg_map'] = mask
