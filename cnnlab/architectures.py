"""Architecture specs: a JSON-serialisable description of a network, presets, and `build_model`.

Models take float32 images in [0, 1] (`to_model_input` converts uint8 pixels).
A spec lists the body of the network (everything before the classifier); `build_model` always
appends the head, Dense(num_classes, softmax) named "predictions", so a spec adapts to any
dataset's class count. Only the Keras 3 API is used, so models also build on Keras' JAX backend.

Body layer i (1-based) is named f"{type.lower()}_{i}" in Keras, the same name `cnnlab.analysis`
gives its row. Composite layers expand into several Keras layers whose last one carries that name:

* ResidualBlock {filters, strides, batchnorm}: conv3x3-(BN)-relu-conv3x3-(BN) + shortcut (1x1 conv
  when the shape changes), Add, then an Activation("relu") named like the row.
* TransferBase {base, weights, trainable_layers, input_size, model_path}: a pretrained feature
  extractor. For keras.applications bases (MobileNetV2, ResNet50) the model first resizes the image
  to at least 32x32 (Resizing, "<name>_resize") and maps it to the base's 3 input channels and
  pixel scale with a fixed 1x1 convolution ("<name>_preprocess": grey -> RGB, [0,1] -> the scale the
  ImageNet weights expect). The base itself is a nested model named like the row. With base="run"
  the base is an earlier app model (a .keras file) up to its penultimate layer.

This module imports no TensorFlow at import time; `build_model` imports keras lazily.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from dataclasses import asdict, dataclass, field
from typing import Any


class SpecError(ValueError):
    """A spec that cannot be built; the message names the layer and the fix."""


class WeightsUnavailable(SpecError):
    """ImageNet weights were asked for but are neither cached nor downloadable here."""


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

    def __post_init__(self) -> None:  # [28, 28, 1] or NumPy integers -> a plain tuple and int
        if isinstance(self.input_shape, (list, tuple)):
            self.input_shape = tuple(_plain(d) for d in self.input_shape)  # type: ignore[assignment]
        self.num_classes = _plain(self.num_classes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_shape"] = list(self.input_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArchSpec:
        try:
            layers = d["layers"]
            if not isinstance(layers, list):
                raise TypeError("'layers' must be a list")
            return cls(
                name=str(d.get("name", "custom")),
                input_shape=tuple(int(v) for v in d["input_shape"]),  # type: ignore[arg-type]
                num_classes=int(d["num_classes"]),
                layers=[LayerSpec(str(layer["type"]), dict(layer.get("params") or {})) for layer in layers],
                description=str(d.get("description", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SpecError(f"not a valid architecture spec: {exc}") from exc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=_json_value)

    @classmethod
    def from_json(cls, text: str) -> ArchSpec:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise SpecError(f"the spec file is not valid JSON: {exc}") from exc

    def with_layers(self, layers: list[LayerSpec]) -> ArchSpec:
        """This spec with another body, renamed "<name>_custom" when the body really differs from this one."""
        if layers_equal(layers, self.layers):  # unchanged: keep the layers exactly as they were written
            return ArchSpec(self.name, tuple(self.input_shape), self.num_classes, list(self.layers), self.description)
        name = self.name if self.name.endswith("_custom") else f"{self.name}_custom"
        return ArchSpec(name, tuple(self.input_shape), self.num_classes, list(layers), self.description)

    def adapted(self, input_shape: tuple[int, int, int], num_classes: int) -> ArchSpec:
        """The same body for another dataset (the head follows the class count)."""
        return ArchSpec(self.name, tuple(input_shape), int(num_classes), list(self.layers), self.description)


# ---------------------------------------------------------------- layer schema

ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu", "softmax", "linear")
TRANSFER_BASES = ("mobilenet_v2", "resnet50", "run")


@dataclass(frozen=True)
class Field:
    """One setting of a layer type: kind, default and allowed range, for validation and editors."""

    name: str
    kind: str  # "int" | "size2" (int or [h, w]) | "float" | "choice" | "bool" | "str" | "int_or_none"
    default: Any = None
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""


_SIZE_FIELDS = {
    "kernel": Field("kernel_size", "size2", 3, 1, 64, help="kernel height x width, e.g. 3 or 5x3"),
    "conv_strides": Field("strides", "size2", 1, 1, 32, help="step between kernel positions"),
    "pool": Field("pool_size", "size2", 2, 1, 64, help="pooling window"),
    "pool_strides": Field("strides", "size2", None, 1, 64, help="step between windows (default: the pool size)"),
    "padding": Field("padding", "choice", "valid", choices=("valid", "same")),
}

LAYER_TYPES: dict[str, tuple[Field, ...]] = {
    "Conv2D": (
        Field("filters", "int", 32, 1, 8192, help="number of feature maps"),
        _SIZE_FIELDS["kernel"],
        _SIZE_FIELDS["conv_strides"],
        _SIZE_FIELDS["padding"],
        Field("activation", "choice", "relu", choices=ACTIVATIONS),
        Field("use_bias", "bool", True),
    ),
    "MaxPooling2D": (_SIZE_FIELDS["pool"], _SIZE_FIELDS["pool_strides"], _SIZE_FIELDS["padding"]),
    "AveragePooling2D": (_SIZE_FIELDS["pool"], _SIZE_FIELDS["pool_strides"], _SIZE_FIELDS["padding"]),
    "BatchNormalization": (),
    "Dropout": (Field("rate", "float", 0.5, 0.0, 0.95, help="fraction of units dropped while training"),),
    "Flatten": (),
    "GlobalAveragePooling2D": (),
    "Dense": (
        Field("units", "int", 64, 1, 65536, help="number of neurons"),
        Field("activation", "choice", "relu", choices=ACTIVATIONS),
    ),
    "Activation": (Field("activation", "choice", "relu", choices=ACTIVATIONS),),
    "ResidualBlock": (
        Field("filters", "int", 64, 1, 4096),
        Field("strides", "int", 1, 1, 2, help="2 halves the feature map"),
        Field("batchnorm", "bool", True),
    ),
    "TransferBase": (
        Field("base", "choice", "mobilenet_v2", choices=TRANSFER_BASES),
        Field("weights", "choice", "imagenet", choices=("imagenet", None)),
        Field("trainable_layers", "int", 0, 0, 10_000, help="0 freezes the base; N unfreezes its top N layers"),
        Field("input_size", "int_or_none", None, 32, 512, help="resize images to this side (>= 32)"),
        Field("model_path", "str", "", help="a .keras file from an earlier run (base='run')"),
    ),
}
COMPOSITE_TYPES = ("ResidualBlock", "TransferBase")


def layer_fields(layer_type: str) -> dict[str, Field]:
    """The settings a layer type accepts, by name."""
    return {f.name: f for f in LAYER_TYPES.get(layer_type, ())}


def as_pair(value: Any) -> tuple[int, int]:
    """3 -> (3, 3); [5, 3] -> (5, 3) (values must already be validated)."""
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _json_value(value: Any) -> Any:
    """NumPy scalars in layer settings (e.g. from an editor table) serialise as plain numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _plain(value: Any) -> Any:
    """NumPy integers (e.g. from a table) -> int, so shapes and JSON stay plain Python."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value


def resolved_params(layer: LayerSpec) -> dict[str, Any]:
    """The layer's settings with every default filled in (assumes a validated layer)."""
    out = {f.name: f.default for f in LAYER_TYPES.get(layer.type, ())}
    out.update({k: _plain(v) for k, v in layer.params.items() if k in out})
    if out.get("activation") is None and "activation" in out:
        out["activation"] = "linear"
    if layer.type in ("MaxPooling2D", "AveragePooling2D") and out.get("strides") is None:
        out["strides"] = out["pool_size"]
    if layer.type == "TransferBase" and out.get("weights") == "none":
        out["weights"] = None
    return out


def node_name(layer: LayerSpec, index: int) -> str:
    """The Keras name of body layer `index` (1-based); the analysis row uses the same name."""
    return f"{layer.type.lower()}_{index}"


# ---------------------------------------------------------------- presets


def _conv(filters, kernel, strides=1, padding="valid", activation="relu"):
    return LayerSpec(
        "Conv2D",
        {"filters": filters, "kernel_size": kernel, "strides": strides, "padding": padding, "activation": activation},
    )


def _pool(kind="MaxPooling2D", size=2, strides=None):
    return LayerSpec(kind, {"pool_size": size, "strides": strides or size})


def _dense(units, activation="relu"):
    return LayerSpec("Dense", {"units": units, "activation": activation})


def _mlp(shape, units: int = 64, **_):
    return [LayerSpec("Flatten"), _dense(int(units))]


def _simple_cnn(shape, **_):
    return [_conv(32, 3), _pool(), _conv(64, 3), _pool(), LayerSpec("Flatten"), _dense(128)]


def _lenet5(shape, flavour: str = "modern", **_):
    if flavour not in ("modern", "classic"):
        raise SpecError(
            f"lenet5 flavour must be 'modern' (relu, max-pool) or 'classic' (tanh, avg-pool), not {flavour!r}"
        )
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


ALEXNET_ORIGINAL_MIN_SIDE = 150  # "auto" picks the original layout from this input side up


def _alexnet(shape, variant: str = "auto", width: float | None = None, **_):
    """Krizhevsky et al. 2012. "original": 227x227 layout. "scaled": 5x5/stride-1 first conv, width x filters."""
    if variant == "auto":
        variant = "original" if min(shape[0], shape[1]) >= ALEXNET_ORIGINAL_MIN_SIDE else "scaled"
    if variant not in ("original", "scaled"):
        raise SpecError(f"alexnet variant must be 'auto', 'original' or 'scaled', not {variant!r}")
    w = float(width if width is not None else (1.0 if variant == "original" else 0.25))
    if not 0.05 <= w <= 2.0:
        raise SpecError(f"alexnet width multiplier must be between 0.05 and 2, not {w}")

    def n(c: int) -> int:
        return max(1, round(c * w))

    first = _conv(n(96), 11, 4, "valid") if variant == "original" else _conv(n(96), 5, 1, "same")
    return [
        first,
        _pool(size=3, strides=2),  # overlapping pooling: 3x3 windows, stride 2
        _conv(n(256), 5, padding="same"),
        _pool(size=3, strides=2),
        _conv(n(384), 3, padding="same"),
        _conv(n(384), 3, padding="same"),
        _conv(n(256), 3, padding="same"),
        _pool(size=3, strides=2),
        LayerSpec("Flatten"),
        _dense(n(4096)),
        LayerSpec("Dropout", {"rate": 0.5}),
        _dense(n(4096)),
        LayerSpec("Dropout", {"rate": 0.5}),
    ]


def _vgg_small(shape, batchnorm: bool = True, blocks: int = 3, **_):
    if not 1 <= int(blocks) <= 5:
        raise SpecError(f"vgg_small blocks must be between 1 and 5, not {blocks}")
    body: list[LayerSpec] = []
    for b in range(int(blocks)):
        filters = 32 * 2**b
        for _ in range(2):
            if batchnorm:
                body += [
                    _conv(filters, 3, padding="same", activation="linear"),
                    LayerSpec("BatchNormalization"),
                    LayerSpec("Activation", {"activation": "relu"}),
                ]
            else:
                body.append(_conv(filters, 3, padding="same"))
        body.append(_pool())
    return [*body, LayerSpec("Flatten"), _dense(256), LayerSpec("Dropout", {"rate": 0.5})]


def _resnet_small(shape, batchnorm: bool = True, **_):
    return [
        _conv(32, 3, padding="same"),
        LayerSpec("ResidualBlock", {"filters": 32, "strides": 1, "batchnorm": bool(batchnorm)}),
        LayerSpec("ResidualBlock", {"filters": 64, "strides": 2, "batchnorm": bool(batchnorm)}),
        LayerSpec("ResidualBlock", {"filters": 128, "strides": 2, "batchnorm": bool(batchnorm)}),
        LayerSpec("GlobalAveragePooling2D"),
    ]


def _transfer(
    shape,
    base: str = "mobilenet_v2",
    mode: str = "feature_extraction",
    fine_tune_layers: int = 20,
    weights: str | None = "imagenet",
    input_size: int | None = None,
    model_path: str = "",
    dropout: float = 0.2,
    **_,
):
    if mode not in ("feature_extraction", "fine_tuning"):
        raise SpecError(f"transfer mode must be 'feature_extraction' or 'fine_tuning', not {mode!r}")
    if base not in TRANSFER_BASES:
        raise SpecError(f"transfer base must be one of {', '.join(TRANSFER_BASES)}, not {base!r}")
    if weights not in ("imagenet", "none", None):
        raise SpecError(f"transfer weights must be 'imagenet' or 'none' (random), not {weights!r}")
    params: dict[str, Any] = {
        "base": base,
        "weights": None if base == "run" or weights in (None, "none") else "imagenet",
        "trainable_layers": 0 if mode == "feature_extraction" else int(fine_tune_layers),
    }
    flat_output = False
    if base == "run":
        if not model_path:
            raise SpecError("transfer from a run needs model_path: the .keras file of an earlier run")
        from cnnlab.analysis import inspect_keras_file  # pure Python: reads the file's config

        params["model_path"] = str(model_path)
        flat_output = len(inspect_keras_file(str(model_path)).output_shape) == 1
    elif input_size is not None:
        params["input_size"] = int(input_size)
    body = [LayerSpec("TransferBase", params)]
    if not flat_output:
        body.append(LayerSpec("GlobalAveragePooling2D"))
    if dropout:
        body.append(LayerSpec("Dropout", {"rate": float(dropout)}))
    return body


@dataclass(frozen=True)
class PresetOption:
    """A preset's keyword option, so editors can offer it without hard-coding each preset."""

    name: str
    default: Any
    choices: tuple = ()
    kind: str = "choice"  # "choice" | "bool" | "int" | "float" | "str"


PRESETS: dict[str, tuple[str, Any]] = {
    "mlp": ("Flatten → Dense 64 → classes: the classic first TensorFlow example, no convolutions at all.", _mlp),
    "simple_cnn": ("Two conv + max-pool stages and a Dense 128 head: the Keras MNIST convnet example.", _simple_cnn),
    "lenet5": (
        "LeNet-5 (LeCun et al. 1998): two 5x5 conv/pool stages and Dense 120-84. 'modern' uses relu and "
        "max-pooling; 'classic' the original tanh and average-pooling.",
        _lenet5,
    ),
    "alexnet": (
        "AlexNet (Krizhevsky, Sutskever & Hinton 2012): five conv layers (96/256/384/384/256), overlapping "
        "3x3/stride-2 max-pooling, Dense 4096-4096 with Dropout 0.5 (local response normalisation omitted). "
        "'original' is the 227x227 layout (11x11 stride-4 first conv); 'scaled' uses a 5x5 stride-1 first conv "
        "and a width multiplier (default 0.25) so it trains on 28x28 and 32x32 images.",
        _alexnet,
    ),
    "vgg_small": (
        "A small VGG (Simonyan & Zisserman 2014): blocks of two 3x3 convs and a 2x2 max-pool, filters doubling "
        "32→64→128, optional BatchNorm (Ioffe & Szegedy 2015).",
        _vgg_small,
    ),
    "resnet_small": (
        "A small ResNet (He et al. 2015): a conv stem and three residual blocks with identity/1x1 shortcuts, "
        "built with the Functional API, then global average pooling.",
        _resnet_small,
    ),
    "transfer": (
        "Transfer learning: a pretrained base (MobileNetV2 or ResNet50 with ImageNet weights, or a model trained "
        "earlier in this app) plus a new classifier. Feature extraction freezes the base; fine-tuning unfreezes "
        "its top N layers (BatchNorm layers stay frozen).",
        _transfer,
    ),
}

PRESET_OPTIONS: dict[str, tuple[PresetOption, ...]] = {
    "mlp": (PresetOption("units", 64, kind="int"),),
    "simple_cnn": (),
    "lenet5": (PresetOption("flavour", "modern", ("modern", "classic")),),
    "alexnet": (
        PresetOption("variant", "auto", ("auto", "original", "scaled")),
        PresetOption("width", None, kind="float"),
    ),
    "vgg_small": (PresetOption("batchnorm", True, kind="bool"), PresetOption("blocks", 3, (1, 2, 3, 4))),
    "resnet_small": (PresetOption("batchnorm", True, kind="bool"),),
    "transfer": (
        PresetOption("base", "mobilenet_v2", TRANSFER_BASES),
        PresetOption("mode", "feature_extraction", ("feature_extraction", "fine_tuning")),
        PresetOption("fine_tune_layers", 20, kind="int"),
        PresetOption("weights", "imagenet", ("imagenet", "none")),
        PresetOption("input_size", None, kind="int"),
        PresetOption("model_path", "", kind="str"),
    ),
}


def preset(name: str, input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 10, **options) -> ArchSpec:
    """A named preset adapted to the dataset's input shape and class count."""
    if name not in PRESETS:
        raise SpecError(f"unknown architecture {name!r}; choose one of {', '.join(PRESETS)}")
    known = {o.name for o in PRESET_OPTIONS[name]}
    unknown = sorted(set(options) - known)
    if unknown:
        hint = f"; it accepts {', '.join(sorted(known))}" if known else "; it has no options"
        raise SpecError(f"preset {name!r} has no option {', '.join(unknown)}{hint}")
    description, body = PRESETS[name]
    shape = tuple(int(v) for v in input_shape)
    return ArchSpec(name, shape, int(num_classes), body(shape, **options), description)  # type: ignore[arg-type]


def visible_options(name: str, chosen: dict[str, Any]) -> list[PresetOption]:
    """The options worth showing for preset `name` given the current choices (e.g. no model file unless base=run)."""
    hidden: set[str] = set()
    if name == "transfer":
        hidden |= {"fine_tune_layers"} if chosen.get("mode") != "fine_tuning" else set()
        hidden |= {"weights", "input_size"} if chosen.get("base") == "run" else {"model_path"}
    return [o for o in PRESET_OPTIONS.get(name, ()) if o.name not in hidden]


def adapt_to_dataset(spec: ArchSpec, input_shape: tuple[int, int, int], num_classes: int) -> ArchSpec:
    """A spec for another dataset: presets are re-derived (they adapt to the shape), custom bodies are kept."""
    if spec.name in PRESETS:
        try:
            return preset(spec.name, input_shape, num_classes)
        except SpecError:
            pass
    return spec.adapted(input_shape, num_classes)


def saved_run_models() -> list[str]:
    """The best model of every earlier training run (<data home>/runs/<run id>/best.keras): transfer bases."""
    from cnnlab import paths

    return sorted(str(p) for p in paths.subdir("runs").glob("*/best.keras"))


def run_model_label(path: str) -> str:
    """runs/<run id>/best.keras -> "<run id>", for pickers."""
    return os.path.basename(os.path.dirname(path)) or path


# ---------------------------------------------------------------- ImageNet weights

IMAGENET_SIZES = (96, 128, 160, 192, 224)  # MobileNetV2 ships weights for these input sides


def imagenet_weights_file(base: str, side: int = 224) -> str:
    """The file name Keras caches the no-top ImageNet weights of `base` under (in <KERAS_HOME>/models)."""
    if base == "mobilenet_v2":
        rows = side if side in IMAGENET_SIZES else 224
        return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5"
    if base == "resnet50":
        return "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    raise SpecError(f"no ImageNet weights for base {base!r}")


@dataclass
class WeightsStatus:
    """Whether ImageNet weights can be used here, and the sentence to show when not."""

    available: bool
    cached_path: str | None
    message: str


def imagenet_weights_status(base: str, side: int = 224) -> WeightsStatus:
    """Check the Keras cache, then (once per process, with a short timeout) the download host. Never hangs."""
    from cnnlab import paths
    from cnnlab.data import can_download

    name = imagenet_weights_file(base, side)
    path = paths.keras_home() / "models" / name
    if path.is_file():
        return WeightsStatus(True, str(path), f"ImageNet weights found in the Keras cache ({path}).")
    if can_download():
        return WeightsStatus(True, None, "ImageNet weights are not cached; Keras will download them on first build.")
    return WeightsStatus(
        False,
        None,
        f"ImageNet weights for {base} are unavailable: they are not in the Keras cache ({path}) and there is no "
        "network. Copy the file there, or use random weights (weights=None; on the command line --option "
        "weights=none) — the base then starts untrained.",
    )


# ---------------------------------------------------------------- building


@dataclass(frozen=True)
class Budget:
    """Limits checked on the spec before Keras allocates anything."""

    max_params: int = 150_000_000
    max_activation_bytes: int = 512 * 2**20  # forward activations of ONE image (float32)


DEFAULT_BUDGET = Budget()


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
    raise SpecError(f"{name}: unknown layer type {t!r}")


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
        raise SpecError(f"cannot map {in_channels} image channels onto a base that takes {out_channels}")
    bias = np.zeros(out_channels, dtype="float32")
    if base == "mobilenet_v2":
        mapping, bias = mapping * 2.0, bias - 1.0
    elif base == "resnet50":
        mapping = mapping[:, ::-1] * 255.0  # RGB -> BGR
        bias = -np.array([103.939, 116.779, 123.68], dtype="float32")
    return mapping.reshape(1, 1, in_channels, out_channels).copy(), bias


def _transfer_base(keras, x, p: dict[str, Any], name: str, info):
    from cnnlab.analysis import transfer_geometry

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
            raise SpecError(f"{name}: the model file {path!r} does not exist — train a model first or choose another")
        earlier = keras.saving.load_model(path, safe_mode=True, compile=False)
        base = keras.Model(earlier.inputs, earlier.layers[-2].output, name=name)
    else:
        weights = None
        if p.get("weights") == "imagenet":
            status = imagenet_weights_status(kind, base_input[0])
            if not status.available:
                raise WeightsUnavailable(f"{name}: {status.message}")
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


def build_model(spec: ArchSpec, *, budget: Budget = DEFAULT_BUDGET, notes: list[str] | None = None):
    """Build a Keras model for `spec` from keras.Input, so shape errors surface before training.

    The spec is validated (shapes, values, the parameter and activation-memory budget) in pure Python
    first, so a bad spec raises SpecError naming the layer before Keras allocates anything.
    `notes` (optional list) collects sentences worth showing, e.g. where ImageNet weights came from.
    """
    from cnnlab.analysis import check

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


# ---------------------------------------------------------------- editor table <-> layers

TABLE_COLUMNS = ("type", "size", "kernel", "stride", "padding", "activation", "rate")
_COLUMN_FIELDS: dict[str, dict[str, str]] = {  # table column -> setting, per type
    "Conv2D": {
        "size": "filters",
        "kernel": "kernel_size",
        "stride": "strides",
        "padding": "padding",
        "activation": "activation",
    },
    "MaxPooling2D": {"kernel": "pool_size", "stride": "strides", "padding": "padding"},
    "AveragePooling2D": {"kernel": "pool_size", "stride": "strides", "padding": "padding"},
    "Dropout": {"rate": "rate"},
    "Dense": {"size": "units", "activation": "activation"},
    "Activation": {"activation": "activation"},
    "ResidualBlock": {"size": "filters", "stride": "strides"},
}


def _size_text(value: Any) -> str:
    """3 -> "3"; [5, 3] -> "5x3"; [3, 3] -> "3" (the editor shows kernel and stride sizes as text)."""
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value) if len(set(value)) > 1 else str(value[0])
    return str(value)


def layers_to_table(layers: list[LayerSpec]) -> list[dict[str, Any]]:
    """One editable row per layer; cells a type doesn't use are None. Kernel/stride are text ("5" or "5x3")."""
    rows = []
    for layer in layers:
        p = resolved_params(layer) if layer.type in LAYER_TYPES else dict(layer.params)
        row: dict[str, Any] = dict.fromkeys(TABLE_COLUMNS)
        row["type"] = layer.type
        for column, setting in _COLUMN_FIELDS.get(layer.type, {}).items():
            value = p.get(setting)
            row[column] = None if value is None else (_size_text(value) if column in ("kernel", "stride") else value)
        rows.append(row)
    return rows


def _parse_cell(column: str, value: Any) -> Any:
    """Editor text -> spec value; anything unparseable is kept as-is so validation can name it."""
    missing = value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and math.isnan(value))
    if missing or value == "":
        return None
    if column in ("kernel", "stride"):
        text = str(value).strip().lower().replace("×", "x").replace(" ", "")
        parts = text.split("x")
        if all(p.isdigit() for p in parts) and len(parts) in (1, 2):
            nums = [int(p) for p in parts]
            return nums[0] if len(nums) == 1 or nums[0] == nums[1] else nums
        return str(value)
    if column == "size" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def table_to_layers(rows: list[dict[str, Any]], originals: list[LayerSpec | None] | None = None) -> list[LayerSpec]:
    """Editor rows -> layers. `originals[i]` (same type) keeps settings the table doesn't show."""
    layers = []
    for i, row in enumerate(rows):
        layer_type = row.get("type") or ""
        original = originals[i] if originals and i < len(originals) else None
        params = dict(original.params) if original is not None and original.type == layer_type else {}
        for column, setting in _COLUMN_FIELDS.get(layer_type, {}).items():
            value = _parse_cell(column, row.get(column))
            if value is None:
                params.pop(setting, None)
            else:
                params[setting] = value
        layers.append(LayerSpec(str(layer_type), params))
    return layers


def layers_equal(a: list[LayerSpec], b: list[LayerSpec]) -> bool:
    """Whether two layer lists describe the same network (defaults filled in, 3 == [3, 3] for sizes)."""

    def norm(layer: LayerSpec) -> tuple[str, dict[str, Any]]:
        if layer.type not in LAYER_TYPES:
            return layer.type, layer.params
        params = resolved_params(layer)
        for f in LAYER_TYPES[layer.type]:
            if f.kind == "size2":
                try:
                    params[f.name] = as_pair(params[f.name])
                except (TypeError, ValueError, IndexError):
                    pass
        return layer.type, params

    return len(a) == len(b) and all(norm(x) == norm(y) for x, y in zip(a, b, strict=False))
