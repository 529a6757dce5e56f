"""The drawn-digit test set: a dataset's test digits re-drawn the way people draw on the Predict canvas.

People's mouse and finger drawings are thicker or thinner than MNIST's pen strokes, larger or smaller, anywhere on
the canvas, in either polarity, and arrive as RGBA. Each test digit is re-drawn like that (stroke thickness by
dilation/erosion, a random height, a random place on a 280x280 canvas, white-on-black, dark-on-light or paint on a
transparent canvas) and then goes through `canvas_to_mnist` exactly as the Predict page's drawings do. Accuracy on
it says how well a model will do in a live demo; it is deterministic for a seed.
"""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image, ImageFilter

from cnnlab import paths
from cnnlab.data.preprocess import NothingToRecognise, canvas_to_mnist
from cnnlab.fsutil import atomic_write

CANVAS = 280
DIGIT_SHAPE = (28, 28, 1)
STROKES = (-2, 0, 0, 3, 5, 7)  # thinner, as is, thicker: MaxFilter/MinFilter sizes (odd); -2 erodes by 1 px
POLARITIES = ("white_on_black", "dark_on_light", "paint")
VERSION = 1  # of the renderer: a change makes new cached sets
DRAWN_SEED = 0  # every run is measured on the same drawings


def redraw(
    digit: np.ndarray,
    rng: np.random.Generator,
    *,
    canvas: int = CANVAS,
    height: int | None = None,
    min_height: int = 60,
    stroke: int = 0,
    polarity: str = "white_on_black",
    color: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """A 28x28 digit (uint8, white on black) re-drawn as a pen drawing on a canvas: HxWx4 uint8, like the canvas.

    Cropped to its ink, scaled to `height` pixels (random min_height..240 if None), made thicker (`stroke` > 0)
    or thinner (`stroke` < 0), binarised like a pen stroke, and put at a random place. `polarity`: white on black,
    dark ink on a light background, or `color` paint on a transparent canvas.
    """
    d = np.asarray(digit, np.float32).reshape(digit.shape[0], digit.shape[1])
    rows, cols = np.flatnonzero(d.max(1) > 30), np.flatnonzero(d.max(0) > 30)
    if len(rows) == 0:
        return np.zeros((canvas, canvas, 4), np.uint8)
    d = d[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height = height or int(rng.integers(min_height, 240))
    width = max(1, round(d.shape[1] * height / d.shape[0]))
    big = Image.fromarray(d, mode="F").resize((width, height), Image.Resampling.BILINEAR)
    if stroke > 0:
        big = big.filter(ImageFilter.MaxFilter(stroke | 1))
    elif stroke < 0:
        big = big.filter(ImageFilter.MinFilter((-stroke) | 1))
    pen = (np.asarray(big) > 100).astype(np.float32)[:canvas, :canvas]
    h, w = pen.shape
    top, left = int(rng.integers(0, canvas - h + 1)), int(rng.integers(0, canvas - w + 1))
    ink = np.zeros((canvas, canvas), np.float32)
    ink[top : top + h, left : left + w] = pen
    out = np.zeros((canvas, canvas, 4), np.uint8)
    if polarity == "paint":
        out[..., :3] = color
        out[..., 3] = (ink * 255).astype(np.uint8)
    elif polarity == "white_on_black":
        out[..., :3] = (ink[..., None] * np.array(color)).astype(np.uint8)
        out[..., 3] = 255
    else:
        out[..., :3] = (255 - ink[..., None] * (255 - np.array([20, 20, 120]))).astype(np.uint8)
        out[..., 3] = 255
    return out


def applies_to(image_shape: tuple[int, ...]) -> bool:
    """The drawn test set exists for 28x28 grayscale digit datasets (what the Predict canvas draws for)."""
    return tuple(image_shape) == DIGIT_SHAPE


def drawn_digit(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One digit as a person might draw it, through the Predict page's preprocessing: 28x28x1 float32 in [0, 1]."""
    stroke = int(rng.choice(STROKES))
    polarity = str(rng.choice(POLARITIES))
    for attempt_stroke in (stroke, 3):  # an eroded thin digit can vanish: then draw it with a thicker pen
        canvas = redraw(digit, rng, stroke=attempt_stroke, polarity=polarity)
        try:
            return canvas_to_mnist(canvas)[..., None]
        except NothingToRecognise:
            continue
    return np.zeros(DIGIT_SHAPE, np.float32)  # nothing left to draw: counts as a wrong answer, as on the page


def drawn_test_images(x_test: np.ndarray, seed: int = 0) -> np.ndarray:
    """`drawn_test_set` as uint8 images like the dataset's (N, 28, 28, 1), made once and kept in the cache folder
    under a hash of the test digits, the seed and this renderer's version."""
    images = np.ascontiguousarray(x_test)
    digest = hashlib.sha256(images.tobytes() + f"{images.shape}{images.dtype}|{seed}|{VERSION}".encode()).hexdigest()
    path = paths.cache_dir() / f"drawn-{digest[:20]}.npy"
    if path.is_file():
        try:
            cached = np.load(path, allow_pickle=False)
            if cached.shape == (len(images), *DIGIT_SHAPE) and cached.dtype == np.uint8:
                return cached
        except (OSError, ValueError):
            pass  # damaged: made again below
    drawn = np.round(drawn_test_set(images, seed) * 255.0).astype(np.uint8)
    atomic_write(path, lambda tmp: np.save(tmp, drawn, allow_pickle=False), suffix=".npy")
    return drawn


def drawn_test_set(x_test: np.ndarray, seed: int = 0) -> np.ndarray:
    """Every test digit re-drawn once (`drawn_digit`), in order: (N, 28, 28, 1) float32; the same for a seed."""
    rng = np.random.default_rng(seed)
    images = np.asarray(x_test)
    if images.dtype != np.uint8:
        images = np.clip(images * (255.0 if images.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return np.stack([drawn_digit(d, rng) for d in images]) if len(images) else np.zeros((0, *DIGIT_SHAPE), np.float32)
