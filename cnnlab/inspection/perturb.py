"""Pushing on the input: shift, rotation, scale, stroke thickness, noise and an occlusion patch, and what the model
says about the result; the occlusion sensitivity map.

Everything here is NumPy on (N, H, W, C) float32 batches in [0, 1], so one image and a whole test split go through
the same code: the geometric part is one bilinear affine warp (source coordinates computed once per transform,
gathered for the whole batch), stroke thickness is greyscale morphology (a 3x3 maximum or minimum, repeated), noise
comes from a seeded generator. `transformed` is what a page's sliders call: one warp and one compiled prediction
(LeNet-5: well under a millisecond each; `python -m cnnlab.bench probe` measures it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cnnlab.errors import Phrase
from cnnlab.inspection.forward import InspectionError, as_batch, one_image, predictor


class ProbeError(InspectionError):
    """A probe (transform, attack, sweep, receptive field, ...) asked for with settings it cannot use."""


def word(setting: str) -> Phrase:
    """A setting's name as it goes into a sentence ("the rotation"), translated with it."""
    return Phrase(f"engine.probe.word_{setting}")


MAX_THICKNESS = 5  # 3x3 dilation or erosion steps either way
MAX_SHIFT = 1000.0
SCALE_RANGE = (0.1, 10.0)
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Transform:
    """A set of changes to an image, applied in this order: warp (rotation, scale, shift), stroke thickness,
    occlusion patch, noise. The default changes nothing."""

    rotation: float = 0.0  # degrees, counter-clockwise on screen, about the image centre
    shift_x: float = 0.0  # pixels, positive to the right
    shift_y: float = 0.0  # pixels, positive downwards
    scale: float = 1.0  # > 1 enlarges, about the image centre
    thickness: int = 0  # > 0: dilate strokes that many 3x3 steps; < 0: erode
    noise: float = 0.0  # standard deviation of added Gaussian noise (pixel values are in [0, 1])
    seed: int = 0  # the noise generator's seed: the same seed gives the same noise
    occlusion: tuple[int, int, int] | None = None  # (row, col, size): a size x size patch centred there
    occlusion_value: float | None = None  # the patch's grey level; None: the image's background (`background`)
    fill: float | None = None  # what the warp brings in from outside the image; None: the image's background

    def __post_init__(self) -> None:
        for name in ("rotation", "shift_x", "shift_y", "scale", "thickness", "noise", "occlusion_value", "fill"):
            value = getattr(self, name)
            if value is None and name in ("occlusion_value", "fill"):
                continue
            if not isinstance(value, (int, float, np.number)) or not math.isfinite(float(value)):
                raise ProbeError("engine.probe.not_number", setting=word(name), value=repr(value))
        if not SCALE_RANGE[0] <= self.scale <= SCALE_RANGE[1]:
            raise ProbeError("engine.probe.range", setting=word("scale"), low=SCALE_RANGE[0], high=SCALE_RANGE[1],
                             value=self.scale)  # fmt: skip
        if max(abs(self.shift_x), abs(self.shift_y)) > MAX_SHIFT:
            raise ProbeError("engine.probe.range", setting=word("shift"), low=-MAX_SHIFT, high=MAX_SHIFT,
                             value=max(self.shift_x, self.shift_y, key=abs))  # fmt: skip
        if int(self.thickness) != self.thickness or abs(self.thickness) > MAX_THICKNESS:
            raise ProbeError("engine.probe.range", setting=word("thickness"), low=-MAX_THICKNESS, high=MAX_THICKNESS,
                             value=self.thickness)  # fmt: skip
        if not 0.0 <= self.noise <= 1.0:
            raise ProbeError("engine.probe.range", setting=word("noise"), low=0, high=1, value=self.noise)
        if not isinstance(self.seed, (int, np.integer)) or not 0 <= self.seed <= MAX_SEED:
            raise ProbeError("engine.probe.range", setting=word("seed"), low=0, high=MAX_SEED, value=repr(self.seed))
        if self.occlusion is not None:
            _check_occlusion(self.occlusion)

    @property
    def geometric(self) -> bool:
        return self.rotation % 360 != 0 or self.shift_x != 0 or self.shift_y != 0 or self.scale != 1

    def with_(self, **changes: Any) -> Transform:
        """A copy with some settings changed (validated again)."""
        return replace(self, **changes)


def _check_occlusion(occlusion: Any) -> None:
    try:
        _, _, size = (int(v) for v in occlusion)
    except (TypeError, ValueError):
        raise ProbeError("engine.probe.occlusion", value=repr(occlusion)) from None
    if size < 1:
        raise ProbeError("engine.probe.occlusion", value=repr(occlusion))


IDENTITY = Transform()


def background(batch: np.ndarray) -> np.ndarray:
    """Each image's background colour: the median of its border pixels per channel, (N, 1, 1, C).

    Hiding part of an MNIST digit under its own black background takes ink away, as covering it with a hand would;
    a mid-grey patch there would add a grey blob of ink instead.
    """
    border = np.concatenate([batch[:, 0], batch[:, -1], batch[:, :, 0], batch[:, :, -1]], axis=1)  # (N, 2H+2W, C)
    return np.median(border, axis=1)[:, None, None, :].astype(np.float32)


def _source_coordinates(h: int, w: int, t: Transform) -> tuple[np.ndarray, np.ndarray]:
    """For each output pixel, where in the input it comes from (the inverse of rotate-scale-shift)."""
    theta = math.radians(t.rotation)
    cos, sin = math.cos(theta), math.sin(theta)
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - cx - t.shift_x, yy - cy - t.shift_y
    src_x = cx + (cos * dx - sin * dy) / t.scale
    src_y = cy + (sin * dx + cos * dy) / t.scale
    return src_y, src_x


def warp(batch: np.ndarray, t: Transform) -> np.ndarray:
    """Rotate, scale and shift every image of an (N, H, W, C) batch (bilinear); `t.fill` (None: each image's
    `background`) comes in at the edges."""
    if not t.geometric:
        return batch
    h, w = batch.shape[1:3]
    fill = background(batch) if t.fill is None else np.float32(t.fill)
    src_y, src_x = _source_coordinates(h, w, t)
    y0, x0 = np.floor(src_y).astype(np.int64), np.floor(src_x).astype(np.int64)
    fy, fx = (src_y - y0)[None, :, :, None], (src_x - x0)[None, :, :, None]
    out = np.zeros_like(batch)
    for dy, dx, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx), (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        yy, xx = y0 + dy, x0 + dx
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        values = batch[:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1), :]
        out += weight * np.where(inside[None, :, :, None], values, fill)
    return out.astype(np.float32, copy=False)


def morph(batch: np.ndarray, steps: int) -> np.ndarray:
    """Greyscale dilation (steps > 0) or erosion (steps < 0) with a 3x3 square, `abs(steps)` times."""
    reduce = np.maximum if steps > 0 else np.minimum
    out = batch
    h, w = batch.shape[1:3]
    for _ in range(abs(int(steps))):
        padded = np.pad(out, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
        acc = out
        for dy in range(3):
            for dx in range(3):
                if (dy, dx) != (1, 1):
                    acc = reduce(acc, padded[:, dy : dy + h, dx : dx + w, :])
        out = acc
    return out


def occlude(batch: np.ndarray, row: int, col: int, size: int, value: float | None = None) -> np.ndarray:
    """A copy with a size x size patch of `value` (None: each image's `background`) centred at (row, col), clipped
    at the edges."""
    out = batch.copy()
    value = background(batch) if value is None else np.float32(value)
    top, left = int(row) - size // 2, int(col) - size // 2
    rows, cols = slice(max(top, 0), max(top + size, 0)), slice(max(left, 0), max(left + size, 0))
    out[:, rows, cols, :] = value
    return out


def add_noise(batch: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(batch + rng.normal(0.0, sigma, batch.shape).astype(np.float32), 0.0, 1.0)


def apply_batch(images: Any, t: Transform = IDENTITY, model: Any | None = None) -> np.ndarray:
    """`t` applied to every image of a batch (uint8 or [0, 1] float; NHWC); float32 (N, H, W, C) in [0, 1]."""
    batch = as_batch(images, model)
    out = warp(batch, t)
    if t.thickness:
        out = morph(out, t.thickness)
    if t.occlusion is not None:
        out = occlude(out, *t.occlusion, value=t.occlusion_value)
    if t.noise > 0:
        out = add_noise(out, t.noise, t.seed)
    return np.clip(out, 0.0, 1.0)


def apply(image: Any, t: Transform = IDENTITY, model: Any | None = None) -> np.ndarray:
    """`t` applied to one image ((H, W) or (H, W, C), uint8 or float): float32 (H, W, C) in [0, 1]."""
    return apply_batch(image, t, model)[0]


@dataclass
class Transformed:
    """One image after a transform, and every class's probability for it."""

    image: np.ndarray  # (H, W, C) float32 in [0, 1]
    probabilities: np.ndarray  # (K,)

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


def transformed(model: Any, image: Any, t: Transform = IDENTITY) -> Transformed:
    """What a slider move costs: the image transformed and the model's probabilities for it (compiled)."""
    batch = one_image(image, model)
    out = apply_batch(batch, t, model)
    return Transformed(out[0], predictor(model).predict(out)[0])


# ---------------------------------------------------------------- occlusion sensitivity


@dataclass
class OcclusionMap:
    """How much hiding each part of the image lowers one class's probability.

    `drop[y, x]` is the mean fall of the class's probability over every patch position covering pixel (y, x)
    (negative where hiding helps the class); `grid` is the fall per patch position (rows x cols of positions).
    """

    drop: np.ndarray  # (H, W)
    grid: np.ndarray  # (rows, cols)
    class_index: int
    probability: float  # the class's probability for the untouched image
    patch: int
    stride: int

    def heat(self) -> np.ndarray:
        """Where hiding hurts, scaled to [0, 1] like `attribution.grad_cam` (helping is 0), for `imaging.overlay`."""
        hurt = np.maximum(self.drop, 0.0)
        peak = float(hurt.max())
        return (hurt / peak if peak > 0 else hurt).astype(np.float32)


def _positions(length: int, patch: int, stride: int) -> list[int]:
    """Top-left offsets of a patch sliding along one axis, the last one flush with the edge."""
    last = max(length - patch, 0)
    starts = list(range(0, last + 1, stride))
    return starts if starts[-1] == last else [*starts, last]


def occlusion_map(
    model: Any,
    image: Any,
    class_index: int | None = None,
    patch: int = 6,
    stride: int = 2,
    value: float | None = None,
) -> OcclusionMap:
    """Slide a `patch` x `patch` square of grey `value` (None: the image's `background`) over the image with
    `stride`, all positions in one batch, and record the drop of `class_index`'s probability (the predicted class by
    default)."""
    batch = one_image(image, model)
    h, w = batch.shape[1:3]
    if not 1 <= patch <= min(h, w) or stride < 1:
        raise ProbeError("engine.probe.patch", patch=patch, stride=stride, h=h, w=w)
    pred = predictor(model)
    base = pred.predict(batch)[0]
    k = int(np.argmax(base)) if class_index is None else int(class_index)
    if not 0 <= k < len(base):
        raise ProbeError("engine.probe.class_range", index=k, count=len(base), last=len(base) - 1)
    rows, cols = _positions(h, patch, stride), _positions(w, patch, stride)
    fill = background(batch)[0, 0, 0] if value is None else np.float32(value)
    copies = np.repeat(batch, len(rows) * len(cols), axis=0)
    for i, (top, left) in enumerate((r, c) for r in rows for c in cols):
        copies[i, top : top + patch, left : left + patch, :] = fill
    grid = (base[k] - pred.predict(copies)[:, k]).reshape(len(rows), len(cols)).astype(np.float32)
    return OcclusionMap(_per_pixel(grid, rows, cols, patch, (h, w)), grid, k, float(base[k]), patch, stride)


def _per_pixel(grid: np.ndarray, rows: list[int], cols: list[int], patch: int, shape: tuple[int, int]) -> np.ndarray:
    """The mean of the patch positions' values over every position covering each pixel."""
    total, count = np.zeros(shape, np.float64), np.zeros(shape, np.float64)
    for i, top in enumerate(rows):
        for j, left in enumerate(cols):
            total[top : top + patch, left : left + patch] += grid[i, j]
            count[top : top + patch, left : left + patch] += 1
    return (total / np.maximum(count, 1)).astype(np.float32)
