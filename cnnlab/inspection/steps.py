"""Step-throughs: the arithmetic of one convolution or pooling output, number by number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.errors import Phrase
from cnnlab.inspection.features import layer_kernel
from cnnlab.inspection.forward import (
    CONV_TYPES,
    POOL_TYPES,
    InspectionError,
    LayerInfo,
    cached,
    compile_fn,
    find_layer,
    layer_object,
    one_image,
    run_layers,
    structure_of,
)


def _same_pad(size: int, k_eff: int, stride: int) -> int:
    """Padding before the first row/column for 'same' (TF and XLA put the odd extra pixel after the last one)."""
    out = -(-size // stride)
    return max((out - 1) * stride + k_eff - size, 0) // 2


def _window(inp: np.ndarray, top: int, left: int, kh: int, kw: int, dh: int, dw: int, fill: float):
    """The (kh, kw, C) window of `inp` (H, W, C) starting at (top, left), out-of-range cells set to `fill`."""
    h, w = inp.shape[:2]
    rows = top + dh * np.arange(kh)
    cols = left + dw * np.arange(kw)
    valid = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
    patch = np.full((kh, kw, inp.shape[2]), fill, dtype=np.float32)
    rr, cc = np.nonzero(valid)
    patch[rr, cc] = inp[rows[rr], cols[cc]]
    return patch, valid


def _layer_io(model: Any, info: LayerInfo, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    structure = structure_of(model)

    def build():
        def fn(x):
            _, outs, ins = run_layers(model, x, taps=[info.index], tap_inputs=[info.index])
            return [ins[info.index], outs[info.index]]

        return compile_fn(fn, model, [(None, *structure.input_shape)])

    layer_in, layer_out = cached(model, ("io", info.index), build)(batch)
    return layer_in[0], layer_out[0]


def _check_position(info: LayerInfo, row: int, col: int) -> None:
    h, w = info.output_shape[:2]
    if not (0 <= row < h and 0 <= col < w):
        raise InspectionError("engine.inspect.position", row=row, col=col, name=repr(info.name), h=h, w=w)


@dataclass
class ConvStep:
    """How one output value of a convolution is computed: patch x kernel, summed, plus bias, activated."""

    layer: str
    filter_index: int
    row: int
    col: int
    input_rows: tuple[int, int]  # first and last input row the kernel covers (may lie in the padding: < 0 or >= H)
    input_cols: tuple[int, int]
    patch: np.ndarray  # (kh, kw, Cin) input values under the kernel (0 in the padding)
    in_image: np.ndarray  # (kh, kw) bool: False where the kernel hangs over the zero padding
    kernel: np.ndarray  # (kh, kw, Cin) this filter's weights (for a depthwise filter, its one input channel)
    products: np.ndarray  # patch * kernel, element-wise
    total: float  # sum of the products
    bias: float
    pre_activation: float  # total + bias
    activation: str
    value: float  # activation(pre_activation)
    actual: float  # what the layer really output there
    input_map: np.ndarray  # (H, W, Cin) the layer's whole input
    output_map: np.ndarray  # (Hout, Wout) the filter's whole output map
    strides: tuple[int, int]
    padding: str
    dilation: tuple[int, int]
    input_channels: tuple[int, ...] = ()  # which input channels the patch holds


def _activation_of(layer: Any) -> tuple[str, Callable[[float], float]]:
    import keras

    fn = getattr(layer, "activation", None)
    name = getattr(fn, "__name__", "linear") if fn is not None else "linear"

    def apply(v: float) -> float:
        if fn is None:
            return float(v)
        out = fn(keras.ops.convert_to_tensor(np.array([[v]], dtype=np.float32)))
        return float(np.asarray(keras.ops.convert_to_numpy(out)).ravel()[0])

    return name, apply


def _steppable(
    model: Any, x: Any, layer_name: str, types: frozenset[str], what: Phrase
) -> tuple[np.ndarray, LayerInfo, Any]:
    """The input batch, the layer's info and the layer object for a step-through, or InspectionError."""
    batch = one_image(x, model)
    info = find_layer(model, layer_name, types=types, what=what)
    layer = layer_object(model, info)
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise InspectionError("engine.inspect.data_format", name=repr(layer_name), format=str(layer.data_format))
    return batch, info, layer


def conv_step(model: Any, x: Any, layer_name: str, filter_index: int, row: int, col: int) -> ConvStep:
    """Recompute output (row, col, filter) of a Conv2D/DepthwiseConv2D from the layer's real input, step by step."""
    batch, info, layer = _steppable(model, x, layer_name, CONV_TYPES, Phrase("engine.inspect.word_convolution"))
    kernel = layer_kernel(layer)
    n_filters = info.output_shape[-1]
    if not 0 <= filter_index < n_filters:
        name, last = repr(layer_name), n_filters - 1
        raise InspectionError("engine.inspect.filter_range", name=name, count=n_filters, last=last, index=filter_index)
    _check_position(info, row, col)
    layer_in, layer_out = _layer_io(model, info, batch)
    kh, kw, k_in, _ = kernel.shape
    sh, sw = (int(s) for s in layer.strides)
    dh, dw = (int(d) for d in layer.dilation_rate)
    padding = str(layer.padding).lower()
    pad_t = pad_l = 0
    if padding == "same":
        pad_t = _same_pad(layer_in.shape[0], (kh - 1) * dh + 1, sh)
        pad_l = _same_pad(layer_in.shape[1], (kw - 1) * dw + 1, sw)
    elif padding != "valid":
        raise InspectionError("engine.inspect.padding", name=repr(layer_name), padding=repr(padding))
    top, left = row * sh - pad_t, col * sw - pad_l
    if info.type == "DepthwiseConv2D":
        multiplier = kernel.shape[3]
        channel, m = divmod(filter_index, multiplier)
        channels: tuple[int, ...] = (channel,)
        weights = kernel[:, :, channel : channel + 1, m]
    else:
        groups = int(getattr(layer, "groups", 1) or 1)
        group = filter_index // (n_filters // groups)
        channels = tuple(range(group * k_in, (group + 1) * k_in))
        weights = kernel[:, :, :, filter_index]
    patch, valid = _window(layer_in[:, :, list(channels)], top, left, kh, kw, dh, dw, 0.0)
    products = (patch * weights).astype(np.float32)
    total = float(np.sum(products, dtype=np.float64))
    bias_var = getattr(layer, "bias", None) if getattr(layer, "use_bias", False) else None
    if bias_var is None:
        bias = 0.0
    else:
        import keras

        bias = float(np.asarray(keras.ops.convert_to_numpy(bias_var)).ravel()[filter_index])
    act_name, act = _activation_of(layer)
    pre = total + bias
    return ConvStep(
        layer=layer_name,
        filter_index=int(filter_index),
        row=int(row),
        col=int(col),
        input_rows=(top, top + (kh - 1) * dh),
        input_cols=(left, left + (kw - 1) * dw),
        patch=patch,
        in_image=valid,
        kernel=np.asarray(weights, dtype=np.float32),
        products=products,
        total=total,
        bias=bias,
        pre_activation=pre,
        activation=act_name,
        value=act(pre),
        actual=float(layer_out[row, col, filter_index]),
        input_map=layer_in,
        output_map=layer_out[:, :, filter_index],
        strides=(sh, sw),
        padding=padding,
        dilation=(dh, dw),
        input_channels=channels,
    )


@dataclass
class PoolStep:
    """How one output value of a pooling layer is computed from its window."""

    layer: str
    kind: str  # "max" | "average"
    channel: int
    row: int
    col: int
    input_rows: tuple[int, int]
    input_cols: tuple[int, int]
    window: np.ndarray  # (ph, pw) input values (NaN in the padding, which pooling ignores)
    in_image: np.ndarray  # (ph, pw) bool
    winner: tuple[int, int] | None  # max pooling: where the maximum sits in the window
    count: int  # how many real (non-padding) values were pooled
    value: float  # max, or mean of the real values
    actual: float
    input_map: np.ndarray  # (H, W) the pooled channel of the layer's input
    output_map: np.ndarray  # (Hout, Wout)
    pool_size: tuple[int, int]
    strides: tuple[int, int]
    padding: str


def pool_step(model: Any, x: Any, layer_name: str, channel: int, row: int, col: int) -> PoolStep:
    """Recompute output (row, col, channel) of a MaxPooling2D/AveragePooling2D layer from its real input."""
    batch, info, layer = _steppable(model, x, layer_name, POOL_TYPES, Phrase("engine.inspect.word_pooling"))
    channels = info.output_shape[-1]
    if not 0 <= channel < channels:
        raise InspectionError(
            "engine.inspect.channel_range", name=repr(layer_name), count=channels, last=channels - 1, index=channel
        )
    _check_position(info, row, col)
    layer_in, layer_out = _layer_io(model, info, batch)
    ph, pw = (int(p) for p in layer.pool_size)
    sh, sw = (int(s) for s in layer.strides)
    padding = str(layer.padding).lower()
    pad_t = _same_pad(layer_in.shape[0], ph, sh) if padding == "same" else 0
    pad_l = _same_pad(layer_in.shape[1], pw, sw) if padding == "same" else 0
    top, left = row * sh - pad_t, col * sw - pad_l
    window, valid = _window(layer_in[:, :, channel : channel + 1], top, left, ph, pw, 1, 1, np.nan)
    window = window[:, :, 0]
    real = window[valid]
    if info.type == "MaxPooling2D":
        kind = "max"
        masked = np.where(valid, window, -np.inf)
        winner = tuple(int(v) for v in np.unravel_index(int(np.argmax(masked)), masked.shape))
        value = float(real.max())
    else:
        kind, winner = "average", None
        value = float(np.mean(real, dtype=np.float64))
    return PoolStep(
        layer=layer_name,
        kind=kind,
        channel=int(channel),
        row=int(row),
        col=int(col),
        input_rows=(top, top + ph - 1),
        input_cols=(left, left + pw - 1),
        window=window,
        in_image=valid,
        winner=winner,
        count=int(valid.sum()),
        value=value,
        actual=float(layer_out[row, col, channel]),
        input_map=layer_in[:, :, channel],
        output_map=layer_out[:, :, channel],
        pool_size=(ph, pw),
        strides=(sh, sw),
        padding=padding,
    )
