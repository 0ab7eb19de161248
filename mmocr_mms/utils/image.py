"""One conversion of any decoded or computed image to the BGR ``uint8``
(H, W, 3) array MMOCR's pipelines expect; used by image decoding, the word
renderer and the reconstruction pictures."""
import cv2
import numpy as np

__all__ = ['UnsupportedImageError', 'to_bgr_uint8']


class UnsupportedImageError(ValueError):
    """An array :func:`to_bgr_uint8` cannot convert; ``reason`` is
    ``'unsupported_dtype'`` or ``'unsupported_channels'``."""

    def __init__(self, reason: str, detail: str = '') -> None:
        super().__init__(f'{reason}: {detail}' if detail else reason)
        self.reason = reason
        self.detail = detail


def to_bgr_uint8(img: np.ndarray,
                 rgb: bool = False,
                 float_max: float = 255.0) -> np.ndarray:
    """Convert an image array to contiguous BGR ``uint8`` (H, W, 3).

    Args:
        img: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array. ``uint8`` is
            kept; ``uint16`` is divided by 257 (65535 -> 255); floats are
            scaled so that ``float_max`` becomes 255, rounded half up and
            clipped to [0, 255].
        rgb: The colour channels are in RGB(A) order (reversed to BGR);
            default BGR(A), OpenCV's order.
        float_max: Full intensity of a float image: 255.0 (default) for
            images computed in 0..255, 1.0 for images in [0, 1].

    Grayscale is repeated over 3 channels; 4 channels are composited over
    white by their alpha (transparent text crops).

    Raises:
        UnsupportedImageError: another dtype (``'unsupported_dtype'``) or
            channel layout (``'unsupported_channels'``).
    """
    if img.dtype == np.uint16:
        img = (img.astype(np.uint32) // 257).astype(np.uint8)
    elif img.dtype.kind == 'f':
        scaled = img * (255.0 / float_max) if float_max != 255.0 else img
        img = np.clip(scaled + 0.5, 0, 255).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise UnsupportedImageError('unsupported_dtype', str(img.dtype))
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise UnsupportedImageError('unsupported_channels', str(img.shape))
    if rgb:
        img = np.concatenate([img[:, :, 2::-1], img[:, :, 3:]], axis=2)
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        white = np.full_like(img[:, :, :3], 255, dtype=np.float32)
        out = img[:, :, :3].astype(np.float32) * alpha + white * (1 - alpha)
        return (out + 0.5).astype(np.uint8)
    return np.ascontiguousarray(img)
