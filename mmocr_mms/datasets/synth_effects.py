"""Image effects of the synthetic word renderer that real crops have:
curved baselines, outlines / shadows / 3-D extrusion, photo-like textured
backgrounds, motion blur and JPEG artefacts.

All functions take an ``np.random.Generator`` and draw every random number
from it (the renderer's determinism contract). Layers are float32:
coverage maps in [0, 1] of shape (H, W), images RGB (H, W, 3) in [0, 255].
"""
from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = [
    'curve_coverage',
    'decoration_layers',
    'photo_background',
    'motion_blur',
    'jpeg_artefacts',
]


def curve_coverage(rng: np.random.Generator, alpha: np.ndarray,
                   max_bend: float) -> np.ndarray:
    """Bend the text's baseline: every column moves vertically by an arc
    (CUTE80-like, up or down) or a half/whole sine wave.

    Args:
        alpha: uint8 (H, W) text coverage.
        max_bend: Largest vertical displacement as a fraction of H.

    Returns:
        uint8 (H + 2 * pad, W) coverage, the canvas grown so no glyph is cut.
    """
    h, w = alpha.shape
    amp = float(rng.uniform(0.25, 1.0)) * max_bend * h
    pad = int(math.ceil(amp)) + 1
    t = np.linspace(0.0, 1.0, w, dtype=np.float32)
    kind = rng.random()
    if kind < 0.6:  # arc: centre up (or down) by amp, ends at 0
        shift = 4.0 * t * (1.0 - t) * amp
    else:  # sine with a random phase and 0.5-1 periods
        periods = float(rng.uniform(0.5, 1.0))
        phase = float(rng.uniform(0, 2 * np.pi))
        shift = np.sin(2 * np.pi * periods * t + phase) * amp
    if rng.random() < 0.5:
        shift = -shift
    canvas = cv2.copyMakeBorder(alpha, pad, pad, 0, 0, cv2.BORDER_CONSTANT,
                                value=0)
    ys = np.arange(h + 2 * pad, dtype=np.float32)[:, None]
    map_y = ys + shift[None, :]
    map_x = np.broadcast_to(np.arange(w, dtype=np.float32)[None, :],
                            map_y.shape)
    return cv2.remap(canvas, np.ascontiguousarray(map_x), map_y,
                     cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                     borderValue=0)


def decoration_layers(rng: np.random.Generator, alpha: np.ndarray,
                      size: int, kind: str) -> np.ndarray:
    """Coverage of an outline, drop shadow or 3-D extrusion of the text.

    Args:
        alpha: float32 (H, W) text coverage in [0, 1].
        size: Font size in pixels (scales widths and offsets).
        kind: 'outline', 'shadow' or 'extrude'.

    Returns:
        float32 (H, W) coverage of the decoration, drawn *under* the text.
    """
    if kind == 'outline':
        r = max(1, int(round(rng.uniform(0.04, 0.1) * size)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                           (2 * r + 1, 2 * r + 1))
        return cv2.dilate(alpha, kernel)
    dx = rng.uniform(0.04, 0.12) * size * (1 if rng.random() < 0.5 else -1)
    dy = rng.uniform(0.04, 0.12) * size
    if kind == 'shadow':
        shifted = cv2.warpAffine(
            alpha, np.float32([[1, 0, dx], [0, 1, dy]]),
            (alpha.shape[1], alpha.shape[0]))
        sigma = rng.uniform(0.0, 0.08) * size
        if sigma > 0.3:
            shifted = cv2.GaussianBlur(shifted, (0, 0), sigma)
        return shifted * np.float32(rng.uniform(0.5, 1.0))
    if kind != 'extrude':
        raise ValueError(f'unknown decoration {kind!r}')
    steps = max(2, int(round(max(abs(dx), abs(dy)))))
    out = np.zeros_like(alpha)
    for i in range(1, steps + 1):
        f = i / steps
        shifted = cv2.warpAffine(
            alpha, np.float32([[1, 0, dx * f], [0, 1, dy * f]]),
            (alpha.shape[1], alpha.shape[0]))
        np.maximum(out, shifted, out=out)
    return out


def photo_background(rng: np.random.Generator, h: int, w: int,
                     base: np.ndarray, amp: float) -> np.ndarray:
    """A photo-like background: multi-octave smooth noise (walls, paper,
    foliage at low resolution) plus a few straight structures (sign
    borders, bricks, shelf edges), all around colour ``base``.

    Args:
        base: float32 RGB colour, shape (3,).
        amp: Largest luminance deviation in uint8 units.

    Returns:
        float32 (h, w, 3) RGB image; luminance within ``base`` +- amp.
    """
    field = np.zeros((h, w), np.float32)
    total = 0.0
    for octave in range(3):
        cell = max(2, int(rng.integers(2, 20)) >> octave)
        grid = rng.uniform(-1, 1, (h // cell + 2, w // cell + 2))
        layer = cv2.resize(grid.astype(np.float32), (w, h),
                           interpolation=cv2.INTER_CUBIC)
        weight = 0.5 ** octave
        field += weight * layer
        total += weight
    field /= total
    n_lines = int(rng.integers(0, 4))
    for _ in range(n_lines):
        value = float(rng.uniform(-1, 1))
        thickness = int(rng.integers(1, max(2, h // 8)))
        if rng.random() < 0.5:
            y = int(rng.integers(0, h))
            cv2.line(field, (0, y), (w - 1, y + int(rng.integers(-2, 3))),
                     value, thickness)
        else:
            x = int(rng.integers(0, w))
            cv2.line(field, (x, 0), (x + int(rng.integers(-4, 5)), h - 1),
                     value, thickness)
    np.clip(field, -1, 1, out=field)
    tint = rng.uniform(0.6, 1.4, 3).astype(np.float32)
    tint /= float(tint @ np.array([0.299, 0.587, 0.114], np.float32))
    out = np.empty((h, w, 3), np.float32)
    out[:] = base
    out += (field * np.float32(amp))[:, :, None] * tint
    return out


def motion_blur(rng: np.random.Generator, img: np.ndarray,
                size: int) -> np.ndarray:
    """Linear motion blur over 3..~0.25*size pixels in a random direction."""
    length = int(rng.integers(3, max(4, int(0.25 * size)) + 1))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    angle = float(rng.uniform(0, 180))
    rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2),
                                  angle, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    kernel /= max(float(kernel.sum()), 1e-6)
    return cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REFLECT)


def jpeg_artefacts(rng: np.random.Generator, img: np.ndarray,
                   quality: tuple[int, int] = (10, 60)) -> np.ndarray:
    """Encode and decode as JPEG at a random quality in ``quality``.

    Args:
        img: uint8 (H, W, 3) image (any channel order: JPEG's colour
            transform is applied to it as if it were BGR, which is what
            OpenCV does to every image it writes).
    """
    q = int(rng.integers(quality[0], quality[1] + 1))
    ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:  # pragma: no cover - OpenCV always encodes uint8 images
        return img
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)
