"""Loading model files that users hand us (.keras, .h5) without trusting them.

Keras allocates every weight of a model before it reads a single stored value, so a 40 KB
`.keras` that declares a Dense layer of 4 million units on a 784-wide input asks for 12.5 GB.
This module reads the architecture (`config.json`, or the HDF5 `model_config` attribute) with size
caps, walks the layer graph itself to compute every layer's shape and parameter count, and refuses
anything over budget, any layer type it cannot account for, and any code-carrying layer (Lambda,
custom classes) *before* Keras sees the file. Only then is the file loaded, with
`safe_mode=True` (unsafe deserialisation is never enabled anywhere in CNN Lab).
"""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cnnlab import paths
from cnnlab.archives import IngestError, ZipLimits, open_zip, safe_zip_members
from cnnlab.errors import CnnLabError, Phrase

KERAS_MAGIC = b"PK\x03\x04"
H5_MAGIC = b"\x89HDF\r\n\x1a\n"

# Layers that hold no weights and keep the shape.
SHAPE_KEEPING = {
    "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "Dropout", "SpatialDropout2D",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "Identity", "ActivityRegularization",
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "RandomContrast",
    "RandomBrightness", "Rescaling", "Masking",
}  # fmt: skip
CODE_LAYERS = {"Lambda", "TFOpLambda", "SlicingOpLambda", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"}
MODEL_CLASSES = {"Functional", "Sequential", "Model"}


class ModelFileError(CnnLabError, ValueError):
    """A model file that CNN Lab will not load; the message says why in plain words."""


@dataclass(frozen=True)
class ModelLimits:
    """Budgets checked before Keras allocates anything."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_config_bytes: int = 2 * 1024 * 1024
    max_params: int = 30_000_000
    max_layers: int = 1000
    max_activation_values: int = 50_000_000  # per image, summed over layers


@dataclass
class ModelCheck:
    """What the file declares, computed without building the model."""

    format: str  # "keras" or "h5"
    params: int
    layers: int
    input_shape: tuple[int | None, ...]
    output_shape: tuple[int | None, ...]
    layer_types: dict[str, int] = field(default_factory=dict)


def sniff_model_format(head: bytes) -> str | None:
    """'keras' for a zip (the .keras format), 'h5' for HDF5, None otherwise — by content, not name."""
    if head.startswith(KERAS_MAGIC):
        return "keras"
    if head.startswith(H5_MAGIC):
        return "h5"
    return None


def gate_path(source: str | Path, limits: ModelLimits = ModelLimits()) -> bytes:
    """The bytes of a model file named by a path: a regular file only, read no further than the size cap.

    Devices (/dev/zero), fifos, folders and sockets are refused before anything is read, and the read itself stops
    one byte past the cap (a /proc file reports a size of 0).
    """
    path = Path(source)
    try:
        info = path.stat()  # follows links: what is checked is what will be read
    except (OSError, ValueError) as exc:
        raise ModelFileError("engine.model.missing", path=path.name or str(path)) from exc
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError("engine.model.not_regular", path=path.name or str(path))
    if info.st_size > limits.max_file_bytes:
        raise _too_big(info.st_size, limits)
    try:
        with path.open("rb") as fh:
            data = fh.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise ModelFileError("engine.image.cannot_read", label=path.name, detail=str(exc.strerror or exc)) from exc
    if len(data) > limits.max_file_bytes:
        raise _too_big(len(data), limits)
    return data


def _as_bytes(source: bytes | str | Path, limits: ModelLimits) -> bytes:
    if not isinstance(source, (bytes, bytearray, memoryview)):
        return gate_path(source, limits)
    data = bytes(source)
    if len(data) > limits.max_file_bytes:
        raise _too_big(len(data), limits)
    return data


def _too_big(size: int, limits: ModelLimits) -> ModelFileError:
    limit = f"{limits.max_file_bytes / 2**20:.1f}"
    return ModelFileError("engine.model.too_big", size=f"{size / 2**20:.1f}", limit=limit)


def read_config(data: bytes, limits: ModelLimits = ModelLimits()) -> tuple[str, dict[str, Any]]:
    """The model's declared architecture as a dict, read with size caps and nothing executed."""
    fmt = sniff_model_format(data[:8])
    if fmt is None:
        raise ModelFileError("engine.model.not_keras")
    if fmt == "keras":
        zip_limits = ZipLimits(max_members=64, max_total_bytes=limits.max_file_bytes * 4, max_ratio=1000)
        try:
            with open_zip(data, zip_limits, kind=".keras") as zf:
                scan = safe_zip_members(zf, zip_limits)
                if scan.rejected:
                    name, reason = scan.rejected[0]
                    raise ModelFileError("engine.model.unsafe_entry", name=repr(name), reason=reason)
                member = next((i for i in scan.files if i.filename == "config.json"), None)
                if member is None:
                    raise ModelFileError("engine.model.no_config")
                if member.file_size > limits.max_config_bytes:
                    size, limit = f"{member.file_size:,}", f"{limits.max_config_bytes:,}"
                    raise ModelFileError("engine.model.config_too_big", size=size, limit=limit)
                text = scan.read(member)
        except IngestError as exc:
            raise ModelFileError("engine.model.damaged_keras", reason=exc) from exc
    else:
        text = _h5_config(data, limits)
    try:
        config = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError("engine.model.not_json") from exc
    if not isinstance(config, dict):
        raise ModelFileError("engine.model.not_object")
    return fmt, config


def _h5_config(data: bytes, limits: ModelLimits) -> bytes:
    import io

    import h5py

    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            raw = f.attrs.get("model_config")
    except Exception as exc:
        raise ModelFileError("engine.model.damaged_h5", detail=type(exc).__name__) from exc
    if raw is None:
        raise ModelFileError("engine.model.weights_only")
    try:
        text = raw.encode() if isinstance(raw, str) else bytes(raw)
    except (UnicodeError, TypeError, ValueError) as exc:
        raise ModelFileError("engine.model.h5_config_damaged") from exc
    if len(text) > limits.max_config_bytes:
        size, limit = f"{len(text):,}", f"{limits.max_config_bytes:,}"
        raise ModelFileError("engine.model.architecture_too_big", size=size, limit=limit)
    return text


# ---------------------------------------------------------------- shape and parameter walk


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, int):
        return v, v
    a, b = v
    return int(a), int(b)


def _spatial(size: int | None, k: int, s: int, padding: str, dilation: int = 1) -> int | None:
    if size is None:
        return None
    eff = (k - 1) * dilation + 1
    out = math.ceil(size / s) if padding == "same" else math.floor((size - eff) / s) + 1
    if out <= 0:
        raise ModelFileError("engine.model.empty_output", size=size, kernel=k, stride=s)
    return out


Shaped = tuple[tuple, int]  # (output shape, parameter count)


def _layer(class_name: str, cfg: dict[str, Any], shapes: list[tuple], limits: ModelLimits) -> Shaped:
    """(output shape, parameter count) of one layer, from its config and input shapes."""
    shape = shapes[0] if shapes else None
    if class_name in SHAPE_KEEPING:
        return shape, (int(shape[-1]) if class_name == "PReLU" and shape[-1] else 0)
    rule = _LAYER_RULES.get(class_name)
    if rule is None:
        raise ModelFileError("engine.model.unknown_layer", type=class_name)
    return rule(class_name, cfg, shape, shapes)


def _input(_: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    raw = cfg.get("batch_shape") or cfg.get("batch_input_shape")
    if raw is None:
        raise ModelFileError("engine.model.input_no_shape")
    return tuple(raw), 0


def _lora(rank: Any, fan_in: int, fan_out: int) -> int:
    """The weights LoRA adds to a kernel (Keras' lora_kernel_a and lora_kernel_b): rank x (fan_in + fan_out)."""
    return int(rank or 0) * (fan_in + fan_out)


def _dense(_: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    units = int(cfg["units"])
    fan_in = int(shape[-1])
    params = fan_in * units + (units if cfg.get("use_bias", True) else 0) + _lora(cfg.get("lora_rank"), fan_in, units)
    return (*shape[:-1], units), params


def _conv(class_name: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    n, h, w, c = shape
    kh, kw = _pair(cfg["kernel_size"])
    sh, sw = _pair(cfg.get("strides", 1))
    dh, dw = _pair(cfg.get("dilation_rate", 1))
    pad = cfg.get("padding", "valid")
    out_h, out_w = _spatial(h, kh, sh, pad, dh), _spatial(w, kw, sw, pad, dw)
    bias = cfg.get("use_bias", True)
    if class_name == "Conv2D":
        filters = int(cfg["filters"])
        fan_in = kh * kw * (c // int(cfg.get("groups", 1)))
        params = fan_in * filters + (filters if bias else 0) + _lora(cfg.get("lora_rank"), fan_in, filters)
    elif class_name == "DepthwiseConv2D":
        filters = c * int(cfg.get("depth_multiplier", 1))
        params = kh * kw * filters + (filters if bias else 0)
    else:
        mult, filters = int(cfg.get("depth_multiplier", 1)), int(cfg["filters"])
        params = kh * kw * c * mult + c * mult * filters + (filters if bias else 0)
    return (n, out_h, out_w, filters), params


def _pool(_: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    n, h, w, c = shape
    ph, pw = _pair(cfg.get("pool_size", 2))
    sh, sw = _pair(cfg.get("strides") or (ph, pw))
    pad = cfg.get("padding", "valid")
    return (n, _spatial(h, ph, sh, pad), _spatial(w, pw, sw, pad), c), 0


def _global_pool(_: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    return ((shape[0], 1, 1, shape[-1]) if cfg.get("keepdims") else (shape[0], shape[-1])), 0


def _flatten(_: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    rest = shape[1:]
    return (shape[0], None if None in rest else math.prod(rest)), 0


def _normalisation(class_name: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    per_channel = {"BatchNormalization": 4, "LayerNormalization": 2}.get(class_name)
    if per_channel is None:  # Normalization: mean and variance per channel, and a count
        return shape, 2 * int(shape[-1]) + 1
    return shape, per_channel * int(shape[-1])


def _zero_padding(_: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    (t, b), (left, r) = (_pair(p) for p in cfg.get("padding", ((1, 1), (1, 1))))
    n, h, w, c = shape
    return (n, h + t + b if h else None, w + left + r if w else None, c), 0


def _resize(class_name: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    n, h, w, c = shape
    if class_name == "Resizing":
        return (n, int(cfg["height"]), int(cfg["width"]), c), 0
    fh, fw = _pair(cfg.get("size", 2))
    return (n, h * fh if h else None, w * fw if w else None, c), 0


def _reshape(_: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    target = tuple(int(v) for v in cfg["target_shape"])
    if -1 in target:
        known = math.prod(v for v in target if v != -1)
        total = math.prod(shape[1:])
        target = tuple(total // known if v == -1 else v for v in target)
    return (shape[0], *target), 0


def _merge(_: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    return shapes[0], 0


def _concatenate(_: str, cfg: dict[str, Any], shape: tuple, shapes: list[tuple]) -> Shaped:
    axis = int(cfg.get("axis", -1))
    out = list(shapes[0])
    out[axis] = sum(int(s[axis]) for s in shapes)
    return tuple(out), 0


_LAYER_RULES = {
    "InputLayer": _input,
    "Dense": _dense,
    **dict.fromkeys(("Conv2D", "DepthwiseConv2D", "SeparableConv2D"), _conv),
    **dict.fromkeys(("MaxPooling2D", "AveragePooling2D"), _pool),
    **dict.fromkeys(("GlobalAveragePooling2D", "GlobalMaxPooling2D"), _global_pool),
    "Flatten": _flatten,
    **dict.fromkeys(("BatchNormalization", "LayerNormalization", "Normalization"), _normalisation),
    "ZeroPadding2D": _zero_padding,
    **dict.fromkeys(("Resizing", "UpSampling2D"), _resize),
    "Reshape": _reshape,
    **dict.fromkeys(("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"), _merge),
    "Concatenate": _concatenate,
}


def _tensor_refs(node: Any) -> list[str]:
    """Names of the layers whose outputs feed one inbound node (Keras 3 config format)."""
    refs: list[str] = []

    def visit(v: Any) -> None:
        if isinstance(v, dict):
            if v.get("class_name") == "__keras_tensor__":
                refs.append(v["config"]["keras_history"][0])
            else:
                for item in v.values():
                    visit(item)
        elif isinstance(v, list):
            for item in v:
                visit(item)

    visit(node)
    return refs


class _Walker:
    def __init__(self, limits: ModelLimits) -> None:
        self.limits = limits
        self.params = 0
        self.layers = 0
        self.activations = 0
        self.types: dict[str, int] = {}

    def check_entry(self, entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        class_name = str(entry.get("class_name", ""))
        module = entry.get("module")
        registered = entry.get("registered_name")
        if class_name in CODE_LAYERS:
            raise ModelFileError("engine.model.code_layer", type=class_name)
        if (module is not None and not str(module).startswith("keras")) or (
            registered not in (None, class_name) and not str(registered).startswith("keras")
        ):
            raise ModelFileError("engine.model.custom_class", name=str(registered or class_name), module=str(module))
        self.layers += 1
        if self.layers > self.limits.max_layers:
            raise ModelFileError("engine.model.too_many_layers", limit=self.limits.max_layers)
        self.types[class_name] = self.types.get(class_name, 0) + 1
        return class_name, entry.get("config", {})

    def add(self, params: int, shape: tuple) -> None:
        self.params += params
        if self.params > self.limits.max_params:
            limit, gb = f"{self.limits.max_params:,}", f"{self.limits.max_params * 4 / 2**30:.1f}"
            raise ModelFileError("engine.model.too_many_params", limit=limit, gb=gb)
        if shape and None not in shape[1:]:
            self.activations += math.prod(shape[1:])
            if self.activations > self.limits.max_activation_values:
                raise ModelFileError("engine.model.maps_too_large")

    def model(self, entry: dict[str, Any], input_shapes: list[tuple] | None = None) -> tuple[tuple, tuple]:
        """Walk a Sequential or Functional model config; returns (input shape, output shape)."""
        class_name, cfg = self.check_entry(entry)
        layers = cfg.get("layers")
        if not isinstance(layers, list):
            raise ModelFileError("engine.model.no_layers")
        if class_name == "Sequential":
            shape = input_shapes[0] if input_shapes else None
            first = shape
            for layer in layers:
                shape = self.one(layer, [shape] if shape is not None else [])
                first = first or shape
            return first, shape
        outputs: dict[str, tuple] = {}
        first = None
        for layer in layers:
            name = layer.get("name") or layer.get("config", {}).get("name")
            refs = [r for node in layer.get("inbound_nodes", []) for r in _tensor_refs(node)]
            if layer.get("inbound_nodes") and not refs:
                raise ModelFileError("engine.model.old_format")
            if layer.get("class_name") == "InputLayer" and input_shapes:
                shape = input_shapes.pop(0)
                self.check_entry(layer)
            else:
                shape = self.one(layer, [outputs[r] for r in refs])
            first = first or shape
            outputs[name] = shape
        out_refs = _tensor_refs(cfg.get("output_layers", [])) or [
            r[0] for r in cfg.get("output_layers", []) if isinstance(r, list) and r and isinstance(r[0], str)
        ]
        out = outputs[out_refs[0]] if out_refs and out_refs[0] in outputs else list(outputs.values())[-1]
        return first, out

    def one(self, entry: dict[str, Any], shapes: list[tuple]) -> tuple:
        if entry.get("class_name") in MODEL_CLASSES:
            _, out = self.model(entry, list(shapes))
            return out
        class_name, cfg = self.check_entry(entry)
        if class_name != "InputLayer" and not shapes:
            build = entry.get("build_config", {}).get("input_shape")
            if build is None:
                raise ModelFileError("engine.model.unknown_input_size", name=str(cfg.get("name", class_name)))
            shapes = [tuple(build)]
        try:
            shape, params = _layer(class_name, cfg, shapes, self.limits)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            name = str(cfg.get("name", class_name))
            raise ModelFileError("engine.model.bad_layer_config", name=name, detail=str(exc)) from exc
        self.add(params, shape)
        return shape


def check_model_bytes(data: bytes, limits: ModelLimits = ModelLimits()) -> ModelCheck:
    """Everything decidable about a model file without building it; raises ModelFileError."""
    if len(data) > limits.max_file_bytes:
        raise _too_big(len(data), limits)
    fmt, config = read_config(data, limits)
    walker = _Walker(limits)
    try:
        first, out = walker.model(config)
    except RecursionError as exc:
        raise ModelFileError("engine.model.nested") from exc
    except ModelFileError:
        raise
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError) as exc:  # malformed JSON
        raise ModelFileError("engine.model.malformed") from exc
    if first is None or out is None:
        raise ModelFileError("engine.model.input_undeclared")
    return ModelCheck(fmt, walker.params, walker.layers, tuple(first), tuple(out), walker.types)


def load_model(path: str | Path, *, compile: bool = False) -> Any:
    """Load a saved Keras model with safe_mode=True: the one gate every saved model goes through.

    Files users upload are checked by load_model_file first; CNN Lab's own run files come straight here.
    """
    import keras

    return keras.saving.load_model(path, compile=compile, safe_mode=True)


def screen_model(source: bytes | str | Path, limits: ModelLimits = ModelLimits()) -> tuple[bytes, ModelCheck]:
    """A user's model file checked and re-written in a capped child: (a clean copy of it, what it declares).

    The one gate for model files CNN Lab did not write itself (uploads, `inspect --model`, transfer bases,
    `--init-model-path`): the server process never parses them, it loads only the clean copy.
    """
    from dataclasses import asdict

    from cnnlab import untrusted

    data = _as_bytes(source, limits)
    if sniff_model_format(data[:8]) is None:
        raise ModelFileError("engine.model.not_keras")
    label = Path(source).name if isinstance(source, (str, Path)) else Phrase("engine.model.the_file")
    try:
        parsed = untrusted.parse("model", data, label=label, **asdict(limits))
    except untrusted.UntrustedFileError as exc:  # too slow / too much memory: one more refused model file
        raise ModelFileError(exc.key, **exc.values) from None
    meta = parsed.meta
    check = ModelCheck(
        meta["format"], meta["params"], meta["layers"], tuple(meta["input_shape"]), tuple(meta["output_shape"]),
        meta["layer_types"],
    )  # fmt: skip
    return parsed.arrays["clean"].tobytes(), check


def check_model_path(path: str | Path, limits: ModelLimits = ModelLimits()) -> ModelCheck:
    """`screen_model` for a file named by a path, remembered while the file is unchanged (forms re-validate often)."""
    resolved = Path(path).expanduser().resolve()
    try:
        info = resolved.stat()
    except (OSError, ValueError) as exc:
        raise ModelFileError("engine.model.missing", path=resolved.name or str(path)) from exc
    return _check_model_path(str(resolved), info.st_mtime_ns, info.st_size, limits)


@lru_cache(maxsize=32)
def _check_model_path(path: str, _mtime: int, _size: int, limits: ModelLimits) -> ModelCheck:
    return screen_model(path, limits)[1]


def load_model_file(source: bytes | str | Path, limits: ModelLimits = ModelLimits()):
    """Screen a user's model file, then load its clean copy with safe_mode=True; returns (model, ModelCheck)."""
    clean, check = screen_model(source, limits)
    suffix = ".keras" if check.format == "keras" else ".h5"
    folder = paths.subdir("uploads")
    fd, tmp = tempfile.mkstemp(suffix=suffix, dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(clean)
        model = load_clean(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return model, check


def load_clean(path: str | Path) -> Any:
    """`load_model` for a screened clean copy: Keras' refusal is one ModelFileError (code in the file named so)."""
    try:
        return load_model(path)
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason: str | Phrase = message[:300]
        if "safe_mode" in message or "lambda" in message.lower():
            reason = Phrase("engine.model.contains_code")
        raise ModelFileError("engine.model.keras_failed", reason=reason) from exc
