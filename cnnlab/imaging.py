"""Pictures from arrays: scaling, tiling, colour maps, overlays and crisp enlargement for the pages; small shifts of
an image for test-time averaging (training measures it, Predict uses it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cnnlab.errors import CnnLabError


class ImagingError(CnnLabError, ValueError):
    """Arrays that cannot become the picture asked for (a caller's mistake, named in a sentence)."""

def normalise(a: np.ndarray) -> np.ndarray:
    """Min-max scale an (H, W, ...) array to [0, 1] per channel (over H and W); constant maps become 0."""
    a = np.asarray(a, dtype=np.float32)
    lo = a.min(axis=(0, 1), keepdims=True)
    span = a.max(axis=(0, 1), keepdims=True) - lo
    return np.where(span > 0, (a - lo) / np.where(span > 0, span, 1), 0.0).astype(np.float32)


def tile_channels(maps: np.ndarray, columns: int | None = None, max_channels: int = 64, gap: int = 1) -> np.ndarray:
    """A (H, W, C) feature map as one 2-D mosaic of per-channel normalised maps (NaN between tiles),
    so a page draws a whole layer as one heatmap instead of C small figures."""
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ImagingError("engine.imaging.tile_shape", shape=tuple(maps.shape))
    n = min(maps.shape[2], max_channels)
    cols = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = maps.shape[:2]
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    scaled = normalise(maps[:, :, :n])
    for c in range(n):
        r, k = divmod(c, cols)
        out[r * (h + gap) : r * (h + gap) + h, k * (w + gap) : k * (w + gap) + w] = scaled[:, :, c]
    return out


def colorize(values: np.ndarray) -> np.ndarray:
    """A [0, 1] map as uint8 RGB with the "jet" colour scale (blue -> cyan -> yellow -> red), no matplotlib."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)), 0.0, 1.0)[..., None]
    centres = np.array([3.0, 2.0, 1.0], dtype=np.float32)  # red, green, blue peaks at 3/4, 1/2, 1/4
    rgb = np.clip(1.5 - np.abs(4.0 * v - centres), 0.0, 1.0)
    return (rgb * 255.0 + 0.5).astype(np.uint8)


def overlay(image: Any, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The heatmap (resized to the image) blended over the image: uint8 RGB (H, W, 3) for display."""
    img = np.asarray(image)
    img = img.astype(np.float32) / 255.0 if img.dtype == np.uint8 else img.astype(np.float32)
    if img.ndim == 4 and img.shape[0] == 1:
        img = img[0]
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ImagingError("engine.imaging.overlay_shape", shape=tuple(np.shape(image)))
    heat = resize(np.asarray(heatmap, dtype=np.float32), img.shape[0], img.shape[1])
    colour = colorize(heat).astype(np.float32) / 255.0
    blended = (1.0 - alpha) * np.clip(img, 0, 1) + alpha * colour
    return (np.clip(blended, 0, 1) * 255.0 + 0.5).astype(np.uint8)


def diverging(values: np.ndarray) -> np.ndarray:
    """[0, 1] values with 0.5 meaning zero (as `LayerFilters.images` and `snapshot_images` give them) as uint8 RGB:
    blue for negative, white for zero, red for positive, so a weight's sign reads at a glance. NaN is light grey."""
    v = np.asarray(values, dtype=np.float32)
    nan = np.isnan(v)
    s = np.clip(np.nan_to_num(v, nan=0.5) * 2.0 - 1.0, -1.0, 1.0)[..., None]  # -1 .. 1
    white = np.ones(3, np.float32)
    red, blue = np.array([0.70, 0.09, 0.17], np.float32), np.array([0.13, 0.40, 0.67], np.float32)
    rgb = np.where(s >= 0, white + s * (red - white), white - s * (blue - white))
    rgb[nan] = 0.9
    return (rgb * 255.0 + 0.5).astype(np.uint8)


def mosaic(tiles: np.ndarray, columns: int | None = None, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """(N, h, w) or (N, h, w, 3) tiles as one (rows, columns) picture with `gap` cells of `fill` between them.

    A row-major grid of `columns` (default: near-square). Kernels, per-channel filters and per-epoch snapshots all
    become one image this way, which the page then enlarges without smoothing.
    """
    tiles = np.asarray(tiles, dtype=np.float32)
    if tiles.ndim not in (3, 4) or len(tiles) == 0:
        raise ImagingError("engine.imaging.mosaic_shape", shape=tuple(tiles.shape))
    n, h, w = tiles.shape[:3]
    cols = max(1, min(n, columns or int(np.ceil(np.sqrt(n)))))
    rows = int(np.ceil(n / cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, *tiles.shape[3:]), fill, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tiles[i]
    return out


def enlarge(image: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour enlargement of an (H, W) or (H, W, C) picture so its longer side is about `size` pixels
    (a whole-number factor, at least 1): small images stay crisp in the browser instead of blurring."""
    arr = np.asarray(image)
    factor = max(1, int(size) // max(arr.shape[0], arr.shape[1], 1))
    return arr.repeat(factor, axis=0).repeat(factor, axis=1)


def to_display(image: np.ndarray) -> np.ndarray:
    """Any model input (uint8 or [0, 1] float; (H, W), (H, W, 1) or (H, W, 3)) as uint8 for st.image."""
    arr = np.asarray(image)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype != np.uint8:
        arr = (np.clip(np.nan_to_num(arr.astype(np.float32)), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return arr


def resize(a: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of a float (H, W) map (heatmaps onto their image)."""
    from PIL import Image

    if a.shape == (height, width):
        return a.astype(np.float32)
    img = Image.fromarray(np.asarray(a, dtype=np.float32), mode="F")
    return np.asarray(img.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


# ---------------------------------------------------------------- test-time shift averaging

# (rows, columns): the image and its eight 1-pixel moves. On the default recipe's LeNet-5 (mnist-sample, drawn test
# digits) these nine gained 0.6 points (96.4% -> 97.0%) for +0.3-0.5 ms a drawing; the four straight moves alone
# gained 0.4, moves of 2 pixels added nothing (2026-12-02, this 2-core CPU)
SHIFTS = tuple((dy, dx) for dy in (0, -1, 1) for dx in (0, -1, 1))


def shifted_copies(images: np.ndarray, shifts: Sequence[tuple[int, int]] = SHIFTS) -> np.ndarray:
    """(len(shifts) * N, H, W, C): every image moved by each shift, what moves off an edge dropped and the new edge
    left blank (a drawing is ink on an empty canvas, so nothing wraps around), shift by shift."""
    batch = np.asarray(images)
    out = np.zeros((len(shifts), *batch.shape), batch.dtype)
    h, w = batch.shape[1:3]
    for n, (dy, dx) in enumerate(shifts):
        out[n, :, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = batch[
            :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
        ]
    return out.reshape(-1, *batch.shape[1:])


def shift_averaged(predict: Any, images: np.ndarray, shifts: Sequence[tuple[int, int]] = SHIFTS) -> np.ndarray:
    """Class probabilities (N, K) averaged over small shifts of each image: one call of `predict` (images ->
    (M, K)) on all copies. A drawing a pixel off from where the model expects ink then counts less."""
    batch = np.asarray(images)
    probs = np.asarray(predict(shifted_copies(batch, shifts)))
    return probs.reshape(len(shifts), len(batch), -1).mean(axis=0)
