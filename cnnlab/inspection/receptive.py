"""Which input pixels one unit can see: its theoretical receptive field (from the layers' geometry) and its effective
receptive field (the gradient of the unit with respect to the input, for one image).

The theoretical field is found by walking the model's layers backwards from the unit, in execution order, nested
bases included, carrying per axis the interval of positions each layer's output must provide: a window layer
(convolution, pooling) with kernel k, dilation d, stride s and p padding positions before the first one needs
input positions [a s - p, b s - p + d (k - 1)] for output positions [a, b]; padding and cropping layers shift the
interval, resizing layers scale it (bilinear: each output reads two neighbours); element-wise layers (activations,
normalisation, residual additions, concatenation) pass it to every input. Positions that fall into a layer's
padding are dropped (`clip=True`), so the box holds only pixels the unit really depends on for some weights; the
unclipped walk gives the field's full size and the distance between neighbouring units (the "jump"). A unit
downstream of a layer that mixes all positions (global pooling or Dense feeding a spatial layer, as in
squeeze-and-excitation blocks) sees the whole image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.inspection.forward import (
    LayerInfo,
    cached,
    compile_gradient,
    find_layer,
    is_nested,
    layer_object,
    one_image,
    run_layers,
    structure_of,
)
from cnnlab.inspection.perturb import ProbeError

WINDOW_TYPES = frozenset({"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D"})
RESIZE_TYPES = frozenset({"Resizing", "UpSampling2D"})

Interval = tuple[float, float]  # first and last position, inclusive; empty when first > last


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (list, tuple)):
        return (int(value[0]), int(value[-1])) if len(value) > 1 else (int(value[0]), int(value[0]))
    return int(value), int(value)


def _same_pad(size: int, k_eff: int, stride: int) -> int:
    """'same' padding before the first pixel (TensorFlow's rule: the odd extra pixel goes after the last)."""
    out = -(-size // stride)
    return max((out - 1) * stride + k_eff - size, 0) // 2


def _window(layer: Any, info: LayerInfo, axis: int, span: Interval) -> Interval:
    kernel = _pair(getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", 1))[axis]
    stride = _pair(getattr(layer, "strides", None) or kernel)[axis]
    dilation = _pair(getattr(layer, "dilation_rate", 1))[axis]
    padding = str(getattr(layer, "padding", "valid")).lower()
    if padding not in ("same", "valid"):
        raise ProbeError("engine.probe.rf_padding", name=repr(info.name), padding=repr(padding))
    k_eff = dilation * (kernel - 1) + 1
    pad = _same_pad(int(info.input_shape[axis]), k_eff, stride) if padding == "same" else 0
    return span[0] * stride - pad, span[1] * stride - pad + k_eff - 1


def _before(value: Any, axis: int) -> int:
    """Rows (axis 0) or columns (axis 1) a ZeroPadding2D / Cropping2D setting adds or removes before the first:
    ((t, b), (l, r)), (h, w) or n."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        part = value[axis]
        return int(part[0] if isinstance(part, (list, tuple)) else part)
    return int(value)


def _resized(n_in: int, n_out: int, span: Interval) -> Interval:
    """Bilinear resizing with half-pixel centres: output i reads input (i + 0.5) n_in / n_out - 0.5 and the next."""
    ratio = n_in / n_out
    return math.floor((span[0] + 0.5) * ratio - 0.5), math.floor((span[1] + 0.5) * ratio - 0.5) + 1


def _input_span(model: Any, info: LayerInfo, axis: int, span: Interval) -> Interval:
    """The positions of the layer's input that output positions `span` depend on (before clipping)."""
    if info.type in WINDOW_TYPES:
        return _window(layer_object(model, info), info, axis, span)
    if info.type in ("ZeroPadding2D", "Cropping2D"):
        layer = layer_object(model, info)
        before = _before(layer.padding if info.type == "ZeroPadding2D" else layer.cropping, axis)
        shift = -before if info.type == "ZeroPadding2D" else before
        return span[0] + shift, span[1] + shift
    if info.type in RESIZE_TYPES:
        return _resized(int(info.input_shape[axis]), int(info.output_shape[axis]), span)
    if info.input_shape is not None and info.input_shape[axis] != info.output_shape[axis]:
        raise ProbeError("engine.probe.rf_layer", name=repr(info.name), type=info.type)
    return span  # element-wise: activations, normalisation, dropout, additions, concatenation


def _hull(a: tuple[Interval, Interval] | None, b: tuple[Interval, Interval]) -> tuple[Interval, Interval]:
    if a is None:
        return b
    return (min(a[0][0], b[0][0]), max(a[0][1], b[0][1])), (min(a[1][0], b[1][0]), max(a[1][1], b[1][1]))


def _clipped(spans: tuple[Interval, Interval], shape: tuple[int, ...] | None) -> tuple[Interval, Interval]:
    if shape is None:
        return spans
    return tuple((max(lo, 0), min(hi, int(shape[axis]) - 1)) for axis, (lo, hi) in enumerate(spans))  # type: ignore


def _empty(spans: tuple[Interval, Interval]) -> bool:
    return spans[0][0] > spans[0][1] or spans[1][0] > spans[1][1]


def _walk_back(model: Any, index: int, rows: Interval, cols: Interval, clip: bool):
    """The input rows and columns the positions (rows, cols) of layer `index` depend on: ((r0, r1), (c0, c1)),
    None when they depend on every pixel, or an empty interval when only on padding."""
    structure = structure_of(model)
    need: dict[int, tuple[Interval, Interval]] = {index: (rows, cols)}
    box: tuple[Interval, Interval] | None = None
    for info in reversed(structure.layers[: index + 1]):
        spans = need.pop(info.index, None)
        if spans is None or _empty(spans):
            continue
        if is_nested(layer_object(model, info)):
            need[info.index - 1] = _hull(need.get(info.index - 1), spans)  # its output is its last layer's
            continue
        feeders = structure.producers.get(info.index) or []
        shapes = [structure.layers[f].output_shape for f in feeders] or [structure.input_shape]
        if not info.spatial or any(len(shape) != 3 for shape in shapes):
            return None  # mixes all positions
        inputs = tuple(_input_span(model, info, axis, spans[axis]) for axis in (0, 1))
        inputs = _clipped(inputs, info.input_shape or shapes[0]) if clip else inputs
        if not feeders:
            box = _hull(box, inputs)
        for f in feeders:
            need[f] = _hull(need.get(f), inputs)
    return box if box is not None else ((0, -1), (0, -1))


@dataclass(frozen=True)
class ReceptiveField:
    """The input pixels one unit of a spatial layer can see.

    `top`..`bottom` and `left`..`right` are inclusive pixel bounds inside the image (padding excluded); `size` is the
    field's full height and width as if no layer padded (it may exceed the image), `jump` the input distance between
    this unit and its next neighbour down and to the right.
    """

    layer: str
    row: int
    col: int
    top: int
    left: int
    bottom: int
    right: int
    size: tuple[int, int]
    jump: tuple[float, float]
    whole: bool  # the unit mixes every position (downstream of global pooling or Dense)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive."""
        return self.top, self.left, self.bottom, self.right

    @property
    def height(self) -> int:
        return max(0, self.bottom - self.top + 1)

    @property
    def width(self) -> int:
        return max(0, self.right - self.left + 1)

    def mask(self, height: int, width: int) -> np.ndarray:
        """(H, W) bool: True inside the field."""
        out = np.zeros((height, width), bool)
        if self.height and self.width:
            out[self.top : self.bottom + 1, self.left : self.right + 1] = True
        return out


def _spatial_layer(model: Any, layer_name: str, row: int, col: int) -> LayerInfo:
    info = find_layer(model, layer_name)
    if not info.spatial:
        raise ProbeError("engine.probe.not_spatial", name=repr(layer_name), shape=str(info.output_shape))
    h, w = info.output_shape[:2]
    if not (0 <= row < h and 0 <= col < w):
        raise ProbeError("engine.probe.position", row=row, col=col, name=repr(layer_name), h=h, w=w)
    return info


def receptive_field(model: Any, layer_name: str, row: int, col: int) -> ReceptiveField:
    """The theoretical receptive field of unit (row, col) of `layer_name` (any channel: they all see the same)."""
    info = _spatial_layer(model, layer_name, row, col)
    h, w = structure_of(model).input_shape[:2]

    def walk(r: int, c: int, clip: bool):
        return _walk_back(model, info.index, (r, r), (c, c), clip)

    box = walk(row, col, True)
    if box is None:
        return ReceptiveField(layer_name, row, col, 0, 0, h - 1, w - 1, (h, w), (0.0, 0.0), True)
    (r0, r1), (c0, c1) = walk(row, col, False)
    oh, ow = info.output_shape[:2]
    (n0, _), (m0, _) = walk(row + oh, col + ow, False)  # a layer's length further on: the mean jump, not a rounded one
    (top, bottom), (left, right) = box
    return ReceptiveField(
        layer_name, row, col, int(top), int(left), int(bottom), int(right),
        (int(r1 - r0 + 1), int(c1 - c0 + 1)), (float(n0 - r0) / oh, float(m0 - c0) / ow), False,
    )  # fmt: skip


def effective_receptive_field(
    model: Any, image: Any, layer_name: str, row: int, col: int, channel: int | None = None
) -> np.ndarray:
    """|d unit / d input| for one image, max over the input's colour channels: (H, W), not normalised.

    The unit is the sum over channels at (row, col) of `layer_name`'s output, or one `channel` of it.
    """
    info = _spatial_layer(model, layer_name, row, col)
    channels = int(info.output_shape[2])
    if channel is not None and not 0 <= channel < channels:
        raise ProbeError("engine.probe.channel", channel=channel, name=repr(layer_name), count=channels)
    structure = structure_of(model)

    def build():
        def fn(x, mask):
            import keras

            _, outs, _ = run_layers(model, x, taps=[info.index])
            return keras.ops.sum(outs[info.index] * mask), []

        return compile_gradient(fn, model, [(None, *structure.input_shape), (None, *info.output_shape)])

    mask = np.zeros((1, *info.output_shape), np.float32)
    if channel is None:
        mask[0, row, col, :] = 1.0
    else:
        mask[0, row, col, channel] = 1.0
    _, grad = cached(model, ("erf", info.index), build)(one_image(image, model), mask)
    return np.abs(grad[0]).max(axis=-1).astype(np.float32)
