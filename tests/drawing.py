"""Synthetic drawings for preprocessing tests: real MNIST digits re-drawn large on a canvas."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter


def redraw(
    digit: np.ndarray,
    rng: np.random.Generator,
    *,
    canvas: int = 280,
    height: int | None = None,
    min_height: int = 60,
    stroke: int = 0,
    polarity: str = "white_on_black",
    transparent: bool = False,
    color: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """A 28x28 MNIST digit re-drawn as a pen drawing on a canvas (HxWx4 uint8): the engine's own renderer
    (cnnlab.data.drawn.redraw); `transparent` paints `color` on a transparent canvas."""
    from cnnlab.data.drawn import redraw as engine_redraw

    return engine_redraw(digit, rng, canvas=canvas, height=height, min_height=min_height, stroke=stroke,
                         polarity="paint" if transparent else polarity, color=color)  # fmt: skip


def digit_canvases(n: int, seed: int = 0) -> tuple[list[np.ndarray], list[int]]:
    """Real MNIST test digits re-drawn as pen drawings on a 280x280 canvas (white on black), with labels."""
    from cnnlab.data.datasets import load_dataset

    ds = load_dataset("mnist-sample")
    rng = np.random.default_rng(seed)
    return [redraw(ds.x_test[i][..., 0], rng) for i in range(n)], [int(v) for v in ds.y_test[:n]]


def paper_photo(
    digit: np.ndarray | None, rng: np.random.Generator, *, size: tuple[int, int] = (640, 480), noise: float = 6.0
) -> bytes:
    """A webcam-like JPEG photo of a handwritten digit: dark ink on light paper, lit by a lamp on the right (the
    paper's left side is less than half as bright), with a little sensor noise; `digit` None: blank paper.

    The digit is a real 28x28 MNIST digit re-drawn as a pen stroke (`redraw`), smoothed a little like a camera's
    optics, somewhere in the middle of the picture.
    """
    import io

    w, h = size
    field = np.zeros((h, w), np.float32)
    if digit is not None:
        canvas = redraw(digit, rng, canvas=280, height=int(rng.integers(150, 220)), stroke=3, polarity="black_on_white")
        pen = Image.fromarray(255 - canvas[..., 0]).resize((h, h), Image.Resampling.BILINEAR)
        left = (w - h) // 2
        field[:, left : left + h] = np.asarray(pen.filter(ImageFilter.GaussianBlur(1.2)), np.float32) / 255.0
    rows, cols = np.mgrid[0:h, 0:w] / max(h, w)
    light = 0.4 + 0.6 * np.clip(0.3 + 0.9 * cols - 0.2 * rows, 0, 1)  # brighter to the right
    gray = 235 * light * (1 - 0.8 * field) + rng.normal(0, noise, (h, w))
    rgb = np.clip(np.stack([gray, gray * 0.98, gray * 0.92], axis=-1), 0, 255).astype(np.uint8)  # warm paper
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=85)
    return buf.getvalue()
