"""Architecture specs: a JSON-serialisable description of a network and the schema of its layers.

Pure Python (no Keras): the Build page, the CLI and validation read and write specs without TensorFlow.
A spec lists the body of the network (everything before the classifier); `cnnlab.arch.build.build_model`
always appends the head, Dense(num_classes, softmax) named "predictions", so a spec adapts to any dataset's
class count. Body layer i (1-based) is named f"{type.lower()}_{i}" in Keras and in the analysis.
"""

from __future__ import annotations

import json
import numbers
from dataclasses import asdict, dataclass, field
from typing import Any

from cnnlab.errors import CnnLabError, Phrase


class SpecError(CnnLabError, ValueError):
    """A spec that cannot be built; the message names the layer and the fix (keys "engine.spec.*", "build.issue.*")."""


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
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SpecError("engine.spec.invalid", detail=str(exc)) from exc
        if not isinstance(layers, list):
            raise SpecError("engine.spec.invalid", detail=Phrase("engine.word.layers_not_list"))
        try:
            return cls(
                name=str(d.get("name", "custom")),
                input_shape=tuple(int(v) for v in d["input_shape"]),  # type: ignore[arg-type]
                num_classes=int(d["num_classes"]),
                layers=[LayerSpec(str(layer["type"]), dict(layer.get("params") or {})) for layer in layers],
                description=str(d.get("description", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SpecError("engine.spec.invalid", detail=str(exc)) from exc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=_json_value)

    @classmethod
    def from_json(cls, text: str) -> ArchSpec:
        try:
            return cls.from_dict(json.loads(text, parse_constant=_no_constant))
        except json.JSONDecodeError as exc:
            raise SpecError("engine.spec.not_json", detail=str(exc)) from exc
        except RecursionError:
            raise SpecError("engine.spec.too_deep") from None

    def with_layers(self, layers: list[LayerSpec]) -> ArchSpec:
        """This spec with another body, renamed "<name>_custom" when the body really differs from this one."""
        if layers_equal(layers, self.layers):  # unchanged: keep the layers exactly as they were written
            return ArchSpec(self.name, tuple(self.input_shape), self.num_classes, list(self.layers), self.description)
        name = self.name if self.name.endswith("_custom") else f"{self.name}_custom"
        return ArchSpec(name, tuple(self.input_shape), self.num_classes, list(layers), self.description)

    def adapted(self, input_shape: tuple[int, int, int], num_classes: int) -> ArchSpec:
        """The same body for another dataset (the head follows the class count)."""
        return ArchSpec(self.name, tuple(input_shape), int(num_classes), list(self.layers), self.description)


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


def _no_constant(name: str) -> float:
    """json.loads would accept Infinity and NaN, which no spec setting means; refuse them like bad JSON."""
    raise json.JSONDecodeError(f"{name} is not a number a spec can hold", name, 0)


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


@dataclass(frozen=True)
class Budget:
    """Limits checked on the spec before Keras allocates anything."""

    max_params: int = 150_000_000
    max_activation_bytes: int = 512 * 2**20  # forward activations of ONE image (float32)


DEFAULT_BUDGET = Budget()


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
