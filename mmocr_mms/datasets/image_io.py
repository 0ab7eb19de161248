"""Image decoding that never crashes a run.

Every loader of this package goes through :func:`decode_image`, which turns
whatever bytes a dataset holds into a BGR ``uint8`` array (H, W, 3), the
MMOCR convention, or raises :class:`BadSample` with a short reason that the
dataset counts and logs (see :class:`mmocr_mms.datasets.base.SkipCounter`).

Conversions (not failures): grayscale -> 3 channels; BGRA -> composited on
white (transparent text crops); 16-bit -> 8-bit; float in [0, 1] -> 8-bit.
"""
import os.path as osp
from typing import Optional

import cv2
import numpy as np

from ..utils.image import UnsupportedImageError, to_bgr_uint8

__all__ = ['BadSample', 'decode_image', 'read_image_file']


class BadSample(Exception):
    """A sample that cannot be used; ``reason`` is a short counting key
    (``'missing'``, ``'empty'``, ``'corrupt'``, ``'too_small'``, ...)."""

    def __init__(self, reason: str, detail: str = '') -> None:
        super().__init__(f'{reason}: {detail}' if detail else reason)
        self.reason = reason
        self.detail = detail


def _to_bgr_uint8(img: np.ndarray) -> np.ndarray:
    """Decoded array (BGR(A), float in [0, 1]) -> BGR uint8, or
    :class:`BadSample` with the reason."""
    try:
        return to_bgr_uint8(img, float_max=1.0)
    except UnsupportedImageError as e:
        raise BadSample(e.reason, e.detail) from None


#: Longest accepted side ratio: word crops beyond 50:1 (e.g. 10000 x 10)
#: are line fragments or junk and become unreadable at 32 x 128.
MAX_ASPECT = 50.0


def decode_image(data: Optional[bytes],
                 source: str = '',
                 min_size: int = 2,
                 max_aspect: Optional[float] = MAX_ASPECT) -> np.ndarray:
    """Decode image bytes to BGR uint8 (H, W, 3).

    Args:
        data: Encoded image (PNG, JPEG, BMP, TIFF, WebP, ...).
        source: Where the bytes came from, for messages.
        min_size: Smallest accepted height and width in pixels.
        max_aspect: Largest accepted max(w/h, h/w); None = any.

    Raises:
        BadSample: ``'empty'``, ``'corrupt'``, ``'too_small'``,
            ``'extreme_aspect'`` or an unsupported pixel format.
    """
    if not data:
        raise BadSample('empty', source)
    buf = np.frombuffer(data, np.uint8)
    try:
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    except cv2.error as e:  # some malformed headers raise instead of None
        raise BadSample('corrupt', f'{source} ({e})') from None
    if img is None or img.size == 0:
        raise BadSample('corrupt', source)
    img = _to_bgr_uint8(img)
    if min(img.shape[:2]) < min_size:
        raise BadSample('too_small', f'{source} {img.shape[1]}x{img.shape[0]}')
    h, w = img.shape[:2]
    if max_aspect is not None and max(w / h, h / w) > max_aspect:
        raise BadSample('extreme_aspect', f'{source} {w}x{h}')
    return img


def read_image_file(path: str,
                    min_size: int = 2,
                    max_aspect: Optional[float] = MAX_ASPECT) -> np.ndarray:
    """Read and decode one image file; :class:`BadSample` on failure."""
    if not osp.isfile(path):
        raise BadSample('missing', path)
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise BadSample('unreadable', f'{path} ({e})') from None
    return decode_image(data, path, min_size, max_aspect)
