"""Keras-level layers as shape arithmetic ("atoms"): what each outputs and costs, and the keras.applications
bases (MobileNetV2, ResNet50) described atom by atom, mirroring Keras' source. The vocabulary of the analysis.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from cnnlab.arch.spec import (
    as_pair,
)

Shape = tuple[int, ...]


FLOAT_BYTES = 4


def is_int(x: Any) -> bool:
    """A whole number (Python or NumPy integer), but not a bool."""
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def size_of(shape: Shape | None) -> int:
    return math.prod(shape) if shape else 0


def fmt_shape(shape: tuple[int, ...], sep: str = "x") -> str:
    return sep.join(str(d) for d in shape)


def conv_output(size: int, k: int, s: int, padding: str) -> int:
    """Keras' output length along one axis (0 means empty)."""
    if padding == "same":
        return -(-size // s)
    return (size - k) // s + 1 if size >= k else 0


@dataclass
class Atom:
    """One Keras-level layer: what it outputs and costs. k/s drive the receptive field (main path only)."""

    name: str
    type: str
    out: Shape
    params: int = 0
    trainable: int | None = None  # None: all params trainable
    macs: int = 0
    k: tuple[int, int] | None = None
    s: tuple[int, int] | None = None
    scale: tuple[float, float] | None = None  # resizing: output/input side ratio
    flat: bool = False
    alias: bool = False  # the same tensor as the atom before it (a nested model's output): no extra memory
    nested: bool = False  # a layer inside a nested model (a transfer base), not one of the model's own layers

    @property
    def trainable_params(self) -> int:
        return self.params if self.trainable is None else self.trainable


def conv_atom(name, shape, filters, k, s, padding, use_bias=True, typ="Conv2D"):
    kh, kw = as_pair(k)
    sh, sw = as_pair(s)
    h, w, c = shape
    out = (conv_output(h, kh, sh, padding), conv_output(w, kw, sw, padding), filters)
    params = kh * kw * c * filters + (filters if use_bias else 0)
    return Atom(name, typ, out, params, None, out[0] * out[1] * filters * kh * kw * c, (kh, kw), (sh, sw))


def depthwise_atom(name, shape, k, s, padding):
    h, w, c = shape
    out = (conv_output(h, k, s, padding), conv_output(w, k, s, padding), c)
    return Atom(name, "DepthwiseConv2D", out, k * k * c, None, out[0] * out[1] * c * k * k, (k, k), (s, s))


def bn_atom(name, shape):
    c = shape[-1]
    return Atom(name, "BatchNormalization", tuple(shape), 4 * c, 2 * c)


def same_atom(name, typ, shape):
    return Atom(name, typ, tuple(shape))


def pool_atom(name, typ, shape, k, s, padding):
    kh, kw = as_pair(k)
    sh, sw = as_pair(s)
    h, w, c = shape
    out = (conv_output(h, kh, sh, padding), conv_output(w, kw, sw, padding), c)
    return Atom(name, typ, out, k=(kh, kw), s=(sh, sw))


def pad_atom(name, shape, top, bottom, left, right):
    h, w, c = shape
    return Atom(name, "ZeroPadding2D", (h + top + bottom, w + left + right, c))


def mobilenet_v2_atoms(h: int, w: int) -> list[Atom]:
    """MobileNetV2 (alpha 1.0, include_top=False), layer by layer as keras.applications builds it."""
    atoms: list[Atom] = []

    def add(a: Atom) -> tuple:
        atoms.append(a)
        return a.out

    x = add(conv_atom("Conv1", (h, w, 3), 32, 3, 2, "same", use_bias=False))
    x = add(bn_atom("bn_Conv1", x))
    x = add(same_atom("Conv1_relu", "ReLU", x))
    blocks = [
        (16, 1, 1),
        (24, 2, 6),
        (24, 1, 6),
        (32, 2, 6),
        (32, 1, 6),
        (32, 1, 6),
        (64, 2, 6),
        (64, 1, 6),
        (64, 1, 6),
        (64, 1, 6),
        (96, 1, 6),
        (96, 1, 6),
        (96, 1, 6),
        (160, 2, 6),
        (160, 1, 6),
        (160, 1, 6),
        (320, 1, 6),
    ]
    for block_id, (filters, stride, expansion) in enumerate(blocks):
        inputs = x
        prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
        if block_id:
            x = add(conv_atom(f"{prefix}expand", x, expansion * x[2], 1, 1, "same", use_bias=False))
            x = add(bn_atom(f"{prefix}expand_BN", x))
            x = add(same_atom(f"{prefix}expand_relu", "ReLU", x))
        if stride == 2:
            ah, aw = 1 - x[0] % 2, 1 - x[1] % 2
            x = add(pad_atom(f"{prefix}pad", x, 1 - ah, 1, 1 - aw, 1))
        x = add(depthwise_atom(f"{prefix}depthwise", x, 3, stride, "same" if stride == 1 else "valid"))
        x = add(bn_atom(f"{prefix}depthwise_BN", x))
        x = add(same_atom(f"{prefix}depthwise_relu", "ReLU", x))
        x = add(conv_atom(f"{prefix}project", x, filters, 1, 1, "same", use_bias=False))
        x = add(bn_atom(f"{prefix}project_BN", x))
        if inputs[2] == filters and stride == 1:
            x = add(same_atom(f"{prefix}add", "Add", x))
    x = add(conv_atom("Conv_1", x, 1280, 1, 1, "valid", use_bias=False))
    x = add(bn_atom("Conv_1_bn", x))
    add(same_atom("out_relu", "ReLU", x))
    return atoms


def resnet50_atoms(h: int, w: int) -> list[Atom]:
    """ResNet50 (v1, include_top=False), layer by layer in Keras' own layer order."""
    atoms: list[Atom] = []

    def add(a: Atom) -> tuple:
        atoms.append(a)
        return a.out

    x = add(pad_atom("conv1_pad", (h, w, 3), 3, 3, 3, 3))
    x = add(conv_atom("conv1_conv", x, 64, 7, 2, "valid"))
    x = add(bn_atom("conv1_bn", x))
    x = add(same_atom("conv1_relu", "Activation", x))
    x = add(pad_atom("pool1_pad", x, 1, 1, 1, 1))
    x = add(pool_atom("pool1_pool", "MaxPooling2D", x, 3, 2, "valid"))
    for stage, filters, blocks, stride1 in ((2, 64, 3, 1), (3, 128, 4, 2), (4, 256, 6, 2), (5, 512, 3, 2)):
        for b in range(1, blocks + 1):
            n = f"conv{stage}_block{b}"
            stride = stride1 if b == 1 else 1
            inputs = x
            x = add(conv_atom(f"{n}_1_conv", x, filters, 1, stride, "valid"))
            x = add(bn_atom(f"{n}_1_bn", x))
            x = add(same_atom(f"{n}_1_relu", "Activation", x))
            x = add(conv_atom(f"{n}_2_conv", x, filters, 3, 1, "same"))
            x = add(bn_atom(f"{n}_2_bn", x))
            x = add(same_atom(f"{n}_2_relu", "Activation", x))
            if b == 1:  # Keras lists the projection shortcut here (topological order)
                short = conv_atom(f"{n}_0_conv", inputs, 4 * filters, 1, stride, "valid")
                short.k = short.s = None  # side branch: not on the receptive-field path
                atoms.append(short)
            x = add(conv_atom(f"{n}_3_conv", x, 4 * filters, 1, 1, "valid"))
            if b == 1:
                atoms.append(bn_atom(f"{n}_0_bn", short.out))
            x = add(bn_atom(f"{n}_3_bn", x))
            x = add(same_atom(f"{n}_add", "Add", x))
            x = add(same_atom(f"{n}_out", "Activation", x))
    return atoms


APPLICATION_ATOMS = {"mobilenet_v2": mobilenet_v2_atoms, "resnet50": resnet50_atoms}
