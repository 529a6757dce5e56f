"""`build_model`: a Keras model from a spec (the only part of cnnlab.arch that imports Keras, lazily).

Models take float32 images in [0, 1] (`to_model_input` converts uint8 pixels). Only the Keras 3 API is used, so
models also build on Keras' JAX backend. Composite layers expand into several Keras layers whose last one carries
the row's name:

* ResidualBlock {filters, strides, batchnorm}: conv3x3-(BN)-relu-conv3x3-(BN) + shortcut (1x1 conv when the
  shape changes), Add, then an Activation("relu") named like the row.
* TransferBase {base, weights, trainable_layers, input_size, model_path}: a pretrained feature extractor. For
  keras.applications bases (MobileNetV2, ResNet50) the model first resizes the image to at least 32x32
  (Resizing, "<name>_resize") and maps it to the base's 3 input channels and pixel scale with a fixed 1x1
  convolution ("<name>_preprocess"). With base="run" the base is an earlier app model (a .keras file) up to its
  penultimate layer.
"""

from __future__ import annotations

import os
from typing import Any

from cnnlab.arch.spec import (
    DEFAULT_BUDGET,
    ArchSpec,
    Budget,
    LayerSpec,
    SpecError,
    WeightsUnavailable,
    as_pair,
    node_name,
    resolved_params,
)
from cnnlab.arch.transfer import adapter_weights
from cnnlab.arch.weights import imagenet_weights_status
from cnnlab.modelfiles import load_model_file


def _activation(value: str):
    return None if value in (None, "linear") else value


def _build_layer(keras, layer: LayerSpec, name: str, x, in_shape, info):
    """Apply one body layer to tensor `x`; composite layers add several Keras layers."""
    p = resolved_params(layer)
    L = keras.layers
    t = layer.type
    if t == "Conv2D":
        return L.Conv2D(
            p["filters"],
            as_pair(p["kernel_size"]),
            strides=as_pair(p["strides"]),
            padding=p["padding"],
            activation=_activation(p["activation"]),
            use_bias=bool(p["use_bias"]),
            name=name,
        )(x)
    if t in ("MaxPooling2D", "AveragePooling2D"):
        return getattr(L, t)(as_pair(p["pool_size"]), strides=as_pair(p["strides"]), padding=p["padding"], name=name)(x)
    if t == "BatchNormalization":
        return L.BatchNormalization(name=name)(x)
    if t == "Dropout":
        return L.Dropout(float(p["rate"]), name=name)(x)
    if t == "Flatten":
        return L.Flatten(name=name)(x)
    if t == "GlobalAveragePooling2D":
        return L.GlobalAveragePooling2D(name=name)(x)
    if t == "Dense":
        return L.Dense(p["units"], activation=_activation(p["activation"]), name=name)(x)
    if t == "Activation":
        return L.Activation(p["activation"], name=name)(x)
    if t == "ResidualBlock":
        return _residual_block(keras, x, int(in_shape[-1]), p["filters"], p["strides"], p["batchnorm"], name)
    if t == "TransferBase":
        return _transfer_base(keras, x, p, name, info)
    raise SpecError("engine.spec.unknown_layer", name=name, type=t)


def _residual_block(keras, x, in_channels: int, filters: int, strides: int, batchnorm: bool, name: str):
    L = keras.layers
    y = L.Conv2D(filters, 3, strides=strides, padding="same", use_bias=not batchnorm, name=f"{name}_conv1")(x)
    if batchnorm:
        y = L.BatchNormalization(name=f"{name}_bn1")(y)
    y = L.Activation("relu", name=f"{name}_relu1")(y)
    y = L.Conv2D(filters, 3, padding="same", use_bias=not batchnorm, name=f"{name}_conv2")(y)
    if batchnorm:
        y = L.BatchNormalization(name=f"{name}_bn2")(y)
    shortcut = x
    if strides != 1 or in_channels != filters:
        shortcut = L.Conv2D(filters, 1, strides=strides, use_bias=not batchnorm, name=f"{name}_shortcut")(x)
        if batchnorm:
            shortcut = L.BatchNormalization(name=f"{name}_shortcut_bn")(shortcut)
    y = L.Add(name=f"{name}_add")([shortcut, y])
    return L.Activation("relu", name=name)(y)


def _transfer_base(keras, x, p: dict[str, Any], name: str, info):
    from cnnlab.arch.transfer import transfer_geometry

    geo = transfer_geometry(p, tuple(int(d) for d in x.shape[1:]))
    L = keras.layers
    if geo.resize:
        x = L.Resizing(geo.base_input[0], geo.base_input[1], name=f"{name}_resize")(x)
    adapter = None
    if geo.adapter:
        adapter = L.Conv2D(geo.base_input[2], 1, trainable=False, name=f"{name}_{geo.adapter}")
        x = adapter(x)
        adapter.set_weights(list(adapter_weights(p["base"], geo.in_channels, geo.base_input[2])))
    base = load_base(keras, p, geo.base_input, name, info)
    return base(x, training=False)  # the base's BatchNorm / Dropout stay in inference mode, as in the Keras guide


def load_base(keras, p: dict[str, Any], base_input: tuple[int, int, int], name: str, info=None):
    """The frozen / partly unfrozen base model named `name` (ImageNet weights only when really available)."""
    kind = p["base"]
    if kind == "run":
        path = p.get("model_path") or ""
        if not os.path.isfile(path):
            raise SpecError("engine.spec.run_model_missing", name=name, path=path)
        earlier, _ = load_model_file(path)  # a file from anywhere: through the gate's clean copy
        base = keras.Model(earlier.inputs, earlier.layers[-2].output, name=name)
    else:
        weights = None
        if p.get("weights") == "imagenet":
            status = imagenet_weights_status(kind, base_input[0])
            if not status.available:
                raise WeightsUnavailable("engine.spec.weights_unavailable", name=name, reason=status.message)
            weights = status.cached_path or "imagenet"
            if info is not None:
                info.append(status.message)
        factory = keras.applications.MobileNetV2 if kind == "mobilenet_v2" else keras.applications.ResNet50
        base = factory(include_top=False, weights=weights, input_shape=base_input, name=name)
    set_trainable_layers(base, int(p.get("trainable_layers") or 0))
    return base


def set_trainable_layers(base, n: int) -> None:
    """0: freeze the whole base (feature extraction); N: unfreeze its top N layers except BatchNorm."""
    base.trainable = n > 0
    if n <= 0:
        return
    layers = base.layers
    for i, layer in enumerate(layers):
        top = i >= len(layers) - n
        layer.trainable = top and type(layer).__name__ != "BatchNormalization"


def build_model(spec: ArchSpec, *, budget: Budget = DEFAULT_BUDGET, notes: list | None = None):
    """Build a Keras model for `spec` from keras.Input, so shape errors surface before training.

    The spec is validated (shapes, values, the parameter and activation-memory budget) in pure Python
    first, so a bad spec raises SpecError naming the layer before Keras allocates anything.
    `notes` (optional list) collects sentences worth showing (Phrases), e.g. where ImageNet weights came from.
    """
    from cnnlab.arch.analysis import check

    check(spec, budget=budget)
    import keras

    inputs = keras.Input(shape=tuple(spec.input_shape), name="image")
    x = inputs
    info = notes if notes is not None else []
    for i, layer in enumerate(spec.layers, start=1):
        x = _build_layer(keras, layer, node_name(layer, i), x, tuple(int(d) for d in x.shape[1:]), info)
    # float32 even under mixed precision (same config as the default policy): a float16 softmax rounds small
    # probabilities to 0, and the loss takes their log
    outputs = keras.layers.Dense(spec.num_classes, activation="softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name=_model_name(spec.name))


def _model_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in name).strip("_")
    return cleaned or "model"


def to_model_input(images):
    """uint8 pixels (N, H, W, C) -> the float32 [0, 1] tensor every model here expects."""
    import numpy as np

    return np.asarray(images, dtype=np.float32) / 255.0
