"""Picture helpers: patch masks drawn over word images, image grids.

Pure numpy + OpenCV (no display needed), shared by the mask visualiser, the
reconstruction visualiser and the reconstruction hook.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = ['overlay_mask', 'paste_patches', 'make_grid']


def overlay_mask(img: np.ndarray,
                 mask: np.ndarray,
                 color: Tuple[int, int, int] = (128, 128, 128),
                 alpha: float = 1.0) -> np.ndarray:
    """Paint masked patches over an image.

    Args:
        img: uint8 (H, W, 3).
        mask: bool (H/p, W/p), True = masked.
        color: BGR fill of masked patches.
        alpha: 1 hides masked patches fully; < 1 tints them.

    Returns:
        uint8 (H, W, 3).
    """
    h, w = img.shape[:2]
    gh, gw = mask.shape
    if h % gh or w % gw:
        raise ValueError(f'image {w}x{h} is not a multiple of the mask '
                         f'grid {gw}x{gh}')
    big = np.repeat(np.repeat(mask, h // gh, 0), w // gw, 1)
    out = img.astype(np.float32).copy()
    fill = np.array(color, np.float32)
    out[big] = (1 - alpha) * out[big] + alpha * fill
    return out.clip(0, 255).astype(np.uint8)


def paste_patches(base: np.ndarray, src: np.ndarray,
                  mask: np.ndarray) -> np.ndarray:
    """``base`` with its masked patches replaced by those of ``src``
    (both uint8 (H, W, 3); mask bool (H/p, W/p))."""
    h, w = base.shape[:2]
    gh, gw = mask.shape
    big = np.repeat(np.repeat(mask, h // gh, 0), w // gw, 1)
    out = base.copy()
    out[big] = src[big]
    return out


def _label(text: str, width: int, height: int = 18) -> np.ndarray:
    canvas = np.full((height, width, 3), 255, np.uint8)
    cv2.putText(canvas, text, (3, height - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (0, 0, 0), 1, cv2.LINE_AA)
    return canvas


def make_grid(rows: Sequence[Sequence[np.ndarray]],
              col_titles: Optional[Sequence[str]] = None,
              row_titles: Optional[Sequence[str]] = None,
              scale: int = 2,
              pad: int = 4) -> np.ndarray:
    """Tile equally sized uint8 (H, W, 3) images into one picture.

    Args:
        rows: rows[i][j] is the image in row i, column j.
        col_titles: One title per column, drawn above the first row.
        row_titles: One title per row, drawn left of it.
        scale: Nearest-neighbour upscaling, so 4x4 patches stay visible.
        pad: White gap between tiles, in pixels.

    Returns:
        uint8 (H_total, W_total, 3), BGR like the inputs.
    """
    if not rows or not rows[0]:
        raise ValueError('make_grid needs at least one image')
    h, w = rows[0][0].shape[:2]
    th, tw = h * scale, w * scale
    title_w = 0
    if row_titles:
        title_w = max(8 * len(t) for t in row_titles) + 8
    lines: List[np.ndarray] = []
    if col_titles:
        header = [np.full((18, title_w, 3), 255, np.uint8)] if title_w else []
        for t in col_titles:
            header += [_label(t, tw), np.full((18, pad, 3), 255, np.uint8)]
        lines.append(np.concatenate(header, 1))
    for i, row in enumerate(rows):
        parts = []
        if title_w:
            cell = np.full((th, title_w, 3), 255, np.uint8)
            cv2.putText(cell, row_titles[i], (3, th // 2 + 5),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                        cv2.LINE_AA)
            parts.append(cell)
        for img in row:
            if img.shape[:2] != (h, w):
                img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
            parts.append(
                cv2.resize(img, (tw, th), interpolation=cv2.INTER_NEAREST))
            parts.append(np.full((th, pad, 3), 255, np.uint8))
        lines.append(np.concatenate(parts, 1))
        lines.append(np.full((pad, lines[-1].shape[1], 3), 255, np.uint8))
    width = max(line.shape[1] for line in lines)
    lines = [
        np.pad(line, ((0, 0), (0, width - line.shape[1]), (0, 0)),
               constant_values=255) for line in lines
    ]
    return np.concatenate(lines, 0)
