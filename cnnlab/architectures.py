"""Architecture specs: a JSON-serialisable description of a network, and `build_model` for it.

Models take float32 images in [0, 1] (`to_model_input` converts uint8 pixels).
A spec lists the body of the network (everything before the classifier); `build_model` always
appends the head, Dense(num_classes, softmax), so a spec adapts to any dataset's class count.
Only the Keras 3 API is used, so models also build on Keras' JAX backend.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


class SpecError(ValueError):
    """A spec that cannot be built; the message names the layer and the fix."""


@dataclass
class LayerSpec:
    """One layer: its Keras type name (e.g. "Conv2D") and its settings."""

    type: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ArchSpec:
    """A whole network: input shape (H, W, C), class count, and the ordered body layers."""

    name: str
    input_shape: tuple[int, int, int]
    num_classes: int
    layers: list[LayerSpec]
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_shape"] = list(self.input_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArchSpec:
        try:
            return cls(
                name=str(d.get("name", "custom")),
                input_shape=tuple(int(v) for v in d["input_shape"]),  # type: ignore[arg-type]
                num_classes=int(d["num_classes"]),
                layers=[LayerSpec(str(layer["type"]), dict(layer.get("params", {}))) for layer in d["layers"]],
                description=str(d.get("description", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"not a valid architecture spec: {exc}") from exc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> ArchSpec:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise SpecError(f"the spec file is not valid JSON: {exc}") from exc


def _conv(filters, kernel, strides=1, padding="valid", activation="relu"):
    return LayerSpec(
        "Conv2D",
        {"filters": filters, "kernel_size": kernel, "strides": strides, "padding": padding, "activation": activation},
    )


def _pool(kind="MaxPooling2D", size=2, strides=None):
    return LayerSpec(kind, {"pool_size": size, "strides": strides or size})


def _dense(units, activation="relu"):
    return LayerSpec("Dense", {"units": units, "activation": activation})


def preset(name: str, input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 10, **options) -> ArchSpec:
    """A named preset adapted to the dataset's input shape and class count."""
    if name not in PRESETS:
        raise SpecError(f"unknown architecture {name!r}; choose one of {', '.join(PRESETS)}")
    description, body = PRESETS[name]
    return ArchSpec(name, tuple(input_shape), num_classes, body(input_shape, **options), description)


def _mlp(shape, **_):
    return [LayerSpec("Flatten"), _dense(64)]


def _simple_cnn(shape, **_):
    return [_conv(32, 3), _pool(), _conv(64, 3), _pool(), LayerSpec("Flatten"), _dense(128)]


def _lenet5(shape, flavour: str = "modern", **_):
    act, pool = ("tanh", "AveragePooling2D") if flavour == "classic" else ("relu", "MaxPooling2D")
    return [
        _conv(6, 5, activation=act),
        _pool(pool),
        _conv(16, 5, activation=act),
        _pool(pool),
        LayerSpec("Flatten"),
        _dense(120, act),
        _dense(84, act),
    ]


PRESETS: dict[str, tuple[str, Any]] = {
    "mlp": ("Flatten → Dense 64 → classes: the classic first TensorFlow example.", _mlp),
    "simple_cnn": ("Two conv + max-pool stages and a Dense 128 head: the Keras MNIST convnet example.", _simple_cnn),
    "lenet5": ("LeNet-5 (LeCun et al. 1998): two 5x5 conv/pool stages and Dense 120-84.", _lenet5),
}


def _keras_layer(keras, spec: LayerSpec, name: str):
    cls = getattr(keras.layers, spec.type, None)
    if cls is None:
        raise SpecError(f"{name}: unknown layer type {spec.type!r}")
    return cls(name=name, **spec.params)


def build_model(spec: ArchSpec):
    """Build a Keras model for `spec` from keras.Input, so shape errors surface before training."""
    import keras  # noqa: PLC0415  (TensorFlow/JAX are only imported when a model is needed)

    inputs = keras.Input(shape=tuple(spec.input_shape), name="image")
    x = inputs
    for i, layer in enumerate(spec.layers, start=1):
        x = _keras_layer(keras, layer, f"{layer.type.lower()}_{i}")(x)
    outputs = keras.layers.Dense(spec.num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=spec.name)


def to_model_input(images):
    """uint8 pixels (N, H, W, C) -> the float32 [0, 1] tensor every model here expects."""
    import numpy as np  # noqa: PLC0415

    return np.asarray(images, dtype=np.float32) / 255.0
