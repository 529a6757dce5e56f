"""Turn a drawing or a photo of a digit into what an MNIST model expects, the way MNIST was made.

MNIST digits were size-normalised to fit a 20x20 box (keeping the aspect ratio, anti-aliased) and
placed in a 28x28 field so that their centre of mass sits at the centre. Apps that merely resize a
whole canvas to 28x28 feed the model tiny, off-centre, too-thin digits and get about half of real
drawings wrong; `canvas_to_mnist` repeats MNIST's steps instead, and also evens out stroke width,
so a digit drawn anywhere, at any size, with any brush, looks like an MNIST digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from cnnlab.data.images import ImageError
from cnnlab.errors import CnnLabError

BOX = 20  # MNIST's size-normalisation box
FIELD = 28  # MNIST's image size
CENTRE = 14.0  # where MNIST's centres of mass sit (row, column), measured on the real digits
STROKE = 2.9  # median stroke width of MNIST digits in 20-pixel-box units, measured on the sample
INK_THRESHOLD = 0.2  # fraction of full contrast that counts as ink
WORK_CANVAS = 160  # larger drawings are box-reduced to at most about this size first (speed)
THIN_ABOVE, THIN_TO = 1.5, 1.2  # strokes wider than 1.5x MNIST's are thinned to 1.2x
WORK_CROP = 60  # strokes are evened out on a crop of this size (3x the 20-pixel box is plenty)
MAX_FILTER = 15  # largest dilation or erosion window
PHOTO_WORK = 320  # photos are reduced to about this size before their lighting is evened out
PHOTO_PAPER_WINDOW = 12  # the paper's brightness is looked for within 1/12 of the photo (wider than a pen stroke)
PHOTO_MIN_CONTRAST = 0.15  # ink must be at least this much darker than the paper around it
PHOTO_INK_FLOOR = 0.35  # contrast under this fraction of the ink's own is paper grain, noise or shadow


class NothingToRecognise(CnnLabError, ValueError):
    """The drawing is empty or only a dot: there is no digit to classify."""


@dataclass
class PreprocessSteps:
    """Every stage, for showing users what the model sees: drawn → cropped → 20x20 → centred 28x28."""

    ink: np.ndarray  # HxW float32 in [0, 1]: the drawing as ink on black, any polarity resolved
    cropped: np.ndarray  # the ink's bounding box (stroke width evened out)
    scaled: np.ndarray  # longer side scaled to 20 pixels, aspect ratio kept
    centred: np.ndarray  # 28x28 float32 in [0, 1], centre of mass at the centre


def to_ink(image: np.ndarray) -> np.ndarray:
    """Ink intensity in [0, 1] for any uniform background and either polarity.

    Accepts HxW, HxWx1, HxWx3 or HxWx4 uint8. With an alpha channel whose border is transparent
    (a canvas without a background), the alpha *is* the ink. Otherwise the background is the
    median colour of the image border and ink is the distance from it, so black-on-white paper
    and white-on-black canvases give the same result.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or min(arr.shape[:2]) < 2:
        raise ImageError("engine.draw.bad_shape", shape=str(arr.shape))
    if arr.shape[2] == 4:
        alpha = arr[..., 3].astype(np.float32) / 255.0
        if _border(alpha).mean() < 0.5:
            return np.clip(alpha, 0, 1).astype(np.float32)  # on a transparent canvas, paint is ink
    if arr.shape[2] >= 3:  # channel by channel: numpy reduces a short last axis slowly
        gray = (arr[..., 0].astype(np.float32) + arr[..., 1] + arr[..., 2]) / 3.0
    else:
        gray = arr[..., 0].astype(np.float32)
    background = float(np.median(_border(gray)))
    span = max(background, 255.0 - background, 1.0)
    return np.clip(np.abs(gray - background) / span, 0, 1).astype(np.float32)


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary drawing: twice its area over its boundary length."""
    img = Image.fromarray(mask.astype(np.uint8) * 255)
    eroded = np.asarray(img.filter(ImageFilter.MinFilter(3))) > 0
    boundary = int((mask & ~eroded).sum())
    return 2.0 * float(mask.sum()) / max(boundary, 1)


def _even_strokes(crop: np.ndarray) -> np.ndarray:
    """Thicken thin strokes (and thin very thick ones) to MNIST's width at the 20-pixel scale."""
    mask = crop >= INK_THRESHOLD
    target = STROKE * max(crop.shape) / BOX  # MNIST's stroke width, in this crop's pixels
    width = _stroke_width(mask)
    size = 0
    if width < 0.7 * target:
        size = 2 * round((target - width) / 2) + 1
        filt = ImageFilter.MaxFilter
    elif width > THIN_ABOVE * target:
        size = 2 * round((width - THIN_TO * target) / 2) + 1
        filt = ImageFilter.MinFilter
    if size < 3:
        return crop
    img = Image.fromarray(crop.astype(np.float32), mode="F")
    evened = np.asarray(img.filter(filt(min(size, MAX_FILTER))), dtype=np.float32)
    # thinning must never erase the digit: keep the original if most of the ink would go
    return evened if (evened >= INK_THRESHOLD).sum() >= 0.25 * mask.sum() else crop


def _bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _is_dot(mask: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """A dot: too few pixels, tiny against the canvas, or a small round blob that fills its box."""
    top, bottom, left, right = box
    h, w = bottom - top, right - left
    if mask.sum() < 12 or max(h, w) < 0.04 * min(mask.shape):
        return True
    fill = mask[top:bottom, left:right].mean()
    return bool(fill > 0.7 and 0.5 < h / w < 2.0 and max(h, w) < 0.15 * min(mask.shape))


def _resize(a: np.ndarray, width: int, height: int) -> np.ndarray:
    img = Image.fromarray(a.astype(np.float32), mode="F")
    return np.asarray(img.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=None), dtype=np.float32)


def _reduce(image: np.ndarray) -> np.ndarray:
    """Box-average a big canvas down by an integer factor: the result is 20x20 anyway, so this is lossless
    for our purpose and makes the rest several times faster."""
    arr = np.asarray(image)
    factor = max(arr.shape[:2]) // WORK_CANVAS + (1 if max(arr.shape[:2]) % WORK_CANVAS else 0)
    if factor < 2 or arr.dtype != np.uint8 or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        return arr
    if arr.ndim == 3 and arr.shape[2] == 4:  # as RGBX: Pillow would premultiply RGBA by alpha and back (7x slower)
        h, w = arr.shape[:2]
        img = Image.frombuffer("RGBX", (w, h), np.ascontiguousarray(arr).tobytes(), "raw", "RGBX", 0, 1)
        return np.asarray(img.reduce(factor))
    return np.asarray(Image.fromarray(arr).reduce(factor))


def preprocess_steps(image: np.ndarray) -> PreprocessSteps:
    """All MNIST preprocessing stages for one drawing or photo; raises NothingToRecognise."""
    ink = to_ink(_reduce(image))
    mask = ink >= INK_THRESHOLD
    if not mask.any():
        raise NothingToRecognise("engine.draw.empty")
    box = _bounding_box(mask)
    if _is_dot(mask, box):
        raise NothingToRecognise("engine.draw.dot")
    top, bottom, left, right = box
    cropped = np.where(ink >= INK_THRESHOLD * 0.5, ink, 0.0)[top:bottom, left:right]
    if max(cropped.shape) > WORK_CROP:
        k = WORK_CROP / max(cropped.shape)
        size = (max(1, round(cropped.shape[1] * k)), max(1, round(cropped.shape[0] * k)))
        cropped = np.asarray(Image.fromarray(cropped, mode="F").resize(size, Image.Resampling.BOX), np.float32)
    cropped = _even_strokes(cropped)

    h, w = cropped.shape
    scale = BOX / max(h, w)
    scaled = np.clip(_resize(cropped, max(1, round(w * scale)), max(1, round(h * scale))), 0, None)
    if scaled.max() > 0:
        scaled = scaled / scaled.max()

    rows, cols = np.mgrid[: scaled.shape[0], : scaled.shape[1]]
    total = scaled.sum()
    com_r, com_c = (rows * scaled).sum() / total, (cols * scaled).sum() / total
    top = int(np.clip(round(CENTRE - com_r), 0, FIELD - scaled.shape[0]))
    left = int(np.clip(round(CENTRE - com_c), 0, FIELD - scaled.shape[1]))
    centred = np.zeros((FIELD, FIELD), np.float32)
    centred[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    return PreprocessSteps(ink, cropped, scaled, np.clip(centred, 0, 1).astype(np.float32))


def photo_ink(image: np.ndarray) -> np.ndarray:
    """A photo of dark ink on light paper, under uneven light, as white ink on black (HxW uint8, at most
    about `PHOTO_WORK` pixels a side), ready for `preprocess_steps`.

    A webcam or phone photo has no uniform background for `to_ink` to measure: a lamp on one side makes the
    paper there brighter than the ink is dark on the other. So the paper's own brightness is estimated
    everywhere (the brightest value nearby, which no pen stroke fills, on a reduced copy), and ink is how much
    darker than its paper each pixel is. A median filter removes sensor noise, and contrast under a fraction of
    the ink's own (paper grain, shadows) becomes black. Blank paper gives an all-black image.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        arr = arr[..., 0] if arr.shape[2] == 1 else arr[..., :3].astype(np.float32).mean(axis=2)
    if arr.ndim != 2 or min(arr.shape) < 2:
        raise ImageError("engine.draw.bad_shape", shape=str(np.shape(image)))
    h, w = arr.shape
    k = min(1.0, PHOTO_WORK / max(h, w))
    size = (max(1, round(w * k)), max(1, round(h * k)))
    gray = Image.fromarray(arr.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX)
    small = gray.resize((max(1, size[0] // 4), max(1, size[1] // 4)), Image.Resampling.BOX)
    window = min(2 * (max(small.size) // PHOTO_PAPER_WINDOW) + 1, 2 * MAX_FILTER + 1)
    if window >= 3:  # a closing: dark strokes narrower than the window vanish, the light's gradient stays
        small = small.filter(ImageFilter.MaxFilter(window)).filter(ImageFilter.MinFilter(window))
    paper = np.asarray(small.resize(size, Image.Resampling.BILINEAR), np.float32)
    contrast = np.clip((paper - np.asarray(gray, np.float32)) / np.maximum(paper, 1.0), 0, 1)
    denoised = Image.fromarray((contrast * 255 + 0.5).astype(np.uint8)).filter(ImageFilter.MedianFilter(3))
    contrast = np.asarray(denoised, np.float32) / 255.0
    strength = float(np.percentile(contrast, 99.5))
    if strength < PHOTO_MIN_CONTRAST:
        return np.zeros(contrast.shape, np.uint8)
    floor = PHOTO_INK_FLOOR * strength
    ink = np.clip((contrast - floor) / (strength - floor), 0, 1)
    return (ink * 255 + 0.5).astype(np.uint8)


def on_paper(gray: np.ndarray) -> bool:
    """Whether a greyscale image looks like dark ink on light paper (its border is light) rather than a drawing or
    an MNIST-like digit on a dark background."""
    return float(np.median(_border(np.asarray(gray, np.float32)))) > 127.0


def photo_steps(image: np.ndarray) -> PreprocessSteps:
    """MNIST's steps for a photo of a handwritten digit (dark ink on light paper, any light): `photo_ink`, then
    `preprocess_steps`; `ink` is the photo's ink with its lighting evened out. Raises NothingToRecognise."""
    return preprocess_steps(photo_ink(image))


def canvas_to_mnist(rgba: np.ndarray) -> np.ndarray:
    """A drawing (HxWx4 uint8, any size, any ink colour on a uniform background, either polarity)
    as a 28x28 float32 array in [0, 1], white digit on black, centred like MNIST.

    Raises NothingToRecognise for an empty canvas or a single dot.
    """
    return preprocess_steps(rgba).centred
