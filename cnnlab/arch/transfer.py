"""How an image reaches a transfer base (resize, channel and pixel-scale adapter): shared by the analysis,
the Keras builder and the code export. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnnlab.arch.atoms import Shape
from cnnlab.arch.kerasfile import inspect_keras_file
from cnnlab.arch.spec import (
    SpecError,
)


@dataclass
class TransferGeometry:
    """How an image reaches a transfer base: resize? channel/pixel adapter? and the base's input shape."""

    base_input: tuple[int, int, int]
    resize: bool
    adapter: str | None  # "preprocess" (applications), "channels" (run base), or None
    in_channels: int


def transfer_geometry(p: dict[str, Any], in_shape: Shape) -> TransferGeometry:
    """The resize / adapter layers `build_model` puts in front of a TransferBase (p = resolved params)."""
    h, w, c = in_shape
    if p["base"] == "run":
        info = inspect_keras_file(p.get("model_path") or "")
        bh, bw, bc = info.input_shape
        return TransferGeometry((bh, bw, bc), (bh, bw) != (h, w), "channels" if bc != c else None, c)
    side = p.get("input_size")
    target = (int(side), int(side)) if side else (max(32, h), max(32, w))
    return TransferGeometry((target[0], target[1], 3), target != (h, w), "preprocess", c)


def adapter_weights(base: str, in_channels: int, out_channels: int):
    """Kernel (1,1,Cin,Cout) and bias of the fixed 1x1 conv that maps [0,1] images to a base's input.

    mobilenet_v2 expects RGB in [-1, 1]; resnet50 expects BGR in 0..255 minus the ImageNet channel means
    ("caffe" preprocessing); a base from a run expects [0, 1] like every model here. Grey inputs are
    copied to all three channels; RGB -> grey averages the channels.
    """
    import numpy as np

    mapping = np.zeros((in_channels, out_channels), dtype="float32")
    if in_channels == out_channels:
        mapping[:] = np.eye(in_channels)
    elif in_channels == 1:
        mapping[:] = 1.0
    elif out_channels == 1:
        mapping[:] = 1.0 / in_channels
    else:
        raise SpecError("engine.spec.channels", channels=in_channels, base_channels=out_channels)
    bias = np.zeros(out_channels, dtype="float32")
    if base == "mobilenet_v2":
        mapping, bias = mapping * 2.0, bias - 1.0
    elif base == "resnet50":
        mapping = mapping[:, ::-1] * 255.0  # RGB -> BGR
        bias = -np.array([103.939, 116.779, 123.68], dtype="float32")
    return mapping.reshape(1, 1, in_channels, out_channels).copy(), bias
