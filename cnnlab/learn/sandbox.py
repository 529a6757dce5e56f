"""The convolution sandbox: one kernel slid over one small image, in NumPy, exactly as Keras' Conv2D does it.

Why NumPy and not Keras: the sandbox answers on every slider move without loading TensorFlow, and it can show the
arithmetic of any one output cell (the patch, the products, their sum). tests/learn/test_sandbox.py checks the
output against `keras.layers.Conv2D` with the same weights, padding and stride. Like Keras (and every deep-learning
library), this is cross-correlation: the kernel is not flipped.

Parameter counts come from `cnnlab.arch.analysis`, so the sandbox says the same numbers as the Build page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.arch.analysis import analyze
from cnnlab.arch.spec import ArchSpec, LayerSpec
from cnnlab.errors import CnnLabError

PADDINGS = ("valid", "same")

# name -> kernel; the names are catalogue keys "learn.kernel.<name>" (the pages word them)
KERNELS: dict[str, list[list[float]]] = {
    "vertical_edges": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],  # Sobel: bright left of dark -> positive
    "horizontal_edges": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "blur": [[1 / 9] * 3] * 3,
    "blur5": [[1 / 25] * 5] * 5,
    "gaussian": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
}

# a few-pixel pattern to edit by hand: a plus sign in a 9x9 square
PATTERN = np.zeros((9, 9), dtype=np.float32)
PATTERN[2:7, 4] = 1.0
PATTERN[4, 2:7] = 1.0


class SandboxError(CnnLabError, ValueError):
    """Settings the sandbox cannot compute (the page shows the sentence)."""


def kernel(name: str) -> np.ndarray:
    """A preset kernel as a float32 array."""
    if name not in KERNELS:
        raise SandboxError("engine.learn.unknown_kernel", value=name, choices=", ".join(KERNELS))
    return np.asarray(KERNELS[name], dtype=np.float32)


def _check(image: np.ndarray, k: np.ndarray, padding: str, stride: int) -> None:
    if image.ndim != 2 or k.ndim != 2 or k.shape[0] != k.shape[1] or k.size == 0:
        shapes = {"image": "×".join(map(str, image.shape)), "kernel": "×".join(map(str, k.shape))}
        raise SandboxError("engine.learn.shapes", **shapes)
    if padding not in PADDINGS:
        raise SandboxError("engine.learn.padding", value=padding)
    if not 1 <= int(stride) <= 8:
        raise SandboxError("engine.learn.stride", value=stride)
    if padding == "valid" and min(image.shape) < k.shape[0]:
        raise SandboxError("engine.learn.too_small", size=min(image.shape), k=k.shape[0])


def _pads(size: int, k: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(pad before, pad after, output size) along one axis, Keras' rule (same: ceil(in/s), extra pad at the end)."""
    if padding == "valid":
        return 0, 0, (size - k) // stride + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2, out


def convolve(image: Any, kernel_: Any, padding: str = "valid", stride: int = 1) -> np.ndarray:
    """The output map of one kernel over one single-channel image (no bias, no activation)."""
    x = np.asarray(image, dtype=np.float32)
    k = np.asarray(kernel_, dtype=np.float32)
    _check(x, k, padding, stride)
    n = k.shape[0]
    (top, bottom, oh), (left, right, ow) = (_pads(x.shape[a], n, int(stride), padding) for a in (0, 1))
    padded = np.pad(x, ((top, bottom), (left, right)))
    out = np.zeros((oh, ow), dtype=np.float32)
    for i in range(n):  # k*k shifted slices: fast for the sandbox's sizes, and plain to read
        for j in range(n):
            out += k[i, j] * padded[i : i + stride * oh : stride, j : j + stride * ow : stride][:oh, :ow]
    return out


@dataclass
class Cell:
    """The arithmetic of one output cell: where the kernel sat, what it multiplied, and the sum."""

    row: int
    col: int
    rows: tuple[int, int]  # input rows under the kernel, inclusive (may reach into the padding: < 0 or >= H)
    cols: tuple[int, int]
    patch: np.ndarray  # the input values under the kernel (0 in the padding)
    padded: np.ndarray  # True where the patch cell is padding
    weights: np.ndarray  # the kernel
    products: np.ndarray  # patch * kernel
    total: float

    def formula(self, decimals: int = 2, limit: int = 12) -> str:
        """ "a×b + c×d + … = sum", the non-zero terms first `limit` of them (the sum is always the whole one)."""
        terms = [
            (p, w) for p, w in zip(self.patch.ravel().tolist(), self.weights.ravel().tolist(), strict=True) if p and w
        ]
        def num(v: float) -> str:
            return f"({v:.{decimals}g})" if v < 0 else f"{v:.{decimals}g}"

        shown = " + ".join(f"{num(p)}×{num(w)}" for p, w in terms[:limit]) or "0"
        more = f" + … ({len(terms) - limit} more)" if len(terms) > limit else ""
        return f"{shown}{more} = {self.total:.{decimals + 2}g}"


def cell(image: Any, kernel_: Any, padding: str, stride: int, row: int, col: int) -> Cell:
    """The arithmetic behind output cell (row, col) of `convolve(image, kernel_, padding, stride)`."""
    x = np.asarray(image, dtype=np.float32)
    k = np.asarray(kernel_, dtype=np.float32)
    _check(x, k, padding, stride)
    n = k.shape[0]
    (top, _, oh), (left, _, ow) = (_pads(x.shape[a], n, int(stride), padding) for a in (0, 1))
    row, col = min(max(int(row), 0), oh - 1), min(max(int(col), 0), ow - 1)
    r0, c0 = row * stride - top, col * stride - left
    rr, cc = np.arange(r0, r0 + n)[:, None], np.arange(c0, c0 + n)[None, :]
    inside = (rr >= 0) & (rr < x.shape[0]) & (cc >= 0) & (cc < x.shape[1])
    patch = np.where(inside, x[np.clip(rr, 0, x.shape[0] - 1), np.clip(cc, 0, x.shape[1] - 1)], 0.0).astype(np.float32)
    products = patch * k
    return Cell(row, col, (r0, r0 + n - 1), (c0, c0 + n - 1), patch, ~inside, k, products, float(products.sum()))


def pool(image: Any, size: int = 2, stride: int | None = None, kind: str = "max") -> np.ndarray:
    """Max or average pooling of one map, valid padding (Keras' MaxPooling2D / AveragePooling2D defaults)."""
    x = np.asarray(image, dtype=np.float32)
    s = int(stride or size)
    oh, ow = (x.shape[0] - size) // s + 1, (x.shape[1] - size) // s + 1
    if oh < 1 or ow < 1:
        raise SandboxError("engine.learn.too_small", size=min(x.shape), k=size)
    windows = np.stack([x[i : i + s * oh : s, j : j + s * ow : s][:oh, :ow] for i in range(size) for j in range(size)])
    return windows.max(axis=0) if kind == "max" else windows.mean(axis=0)


def parameter_counts(input_shape: tuple[int, int, int], kernel_size: int, padding: str = "valid", stride: int = 1,
                     filters: int = 1) -> dict[str, Any]:  # fmt: skip
    """Parameters of this Conv2D against a Dense layer that maps the same input to as many outputs.

    Both numbers come from the Build page's analysis: the conv has kernel×kernel×channels weights per filter (+1
    bias) whatever the image size; the dense layer needs one weight per (input pixel, output value) pair.
    """
    conv = LayerSpec("Conv2D", {"filters": int(filters), "kernel_size": int(kernel_size), "strides": int(stride),
                                "padding": padding, "activation": "linear"})  # fmt: skip
    conv_rows = analyze(ArchSpec("sandbox_conv", tuple(input_shape), 10, [conv])).rows
    out_shape = conv_rows[0].output_shape
    if out_shape is None:
        raise SandboxError("engine.learn.too_small", size=min(input_shape[:2]), k=kernel_size)
    units = int(np.prod(out_shape))
    dense = analyze(
        ArchSpec("sandbox_dense", tuple(input_shape), 10, [LayerSpec("Flatten"), LayerSpec("Dense", {"units": units})])
    ).rows
    return {
        "conv": conv_rows[0].params,
        "dense": dense[1].params,
        "output_shape": tuple(out_shape),
        "outputs": units,
        "inputs": int(np.prod(input_shape)),
        "ratio": dense[1].params / max(conv_rows[0].params, 1),
    }
