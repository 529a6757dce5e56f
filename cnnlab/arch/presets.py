"""Named architectures (MLP, simple CNN, LeNet-5, AlexNet, small VGG and ResNet, transfer learning), each
adapted to a dataset's image shape and class count. Pure Python: a preset is a spec, not a model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from cnnlab.arch.spec import TRANSFER_BASES, ArchSpec, LayerSpec, SpecError


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
        raise SpecError("engine.spec.lenet_flavour", value=flavour)
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
        raise SpecError("engine.spec.alexnet_variant", value=variant)
    w = float(width if width is not None else (1.0 if variant == "original" else 0.25))
    if not 0.05 <= w <= 2.0:
        raise SpecError("engine.spec.alexnet_width", value=w)

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
        raise SpecError("engine.spec.vgg_blocks", value=blocks)
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
        raise SpecError("engine.spec.transfer_mode", value=mode)
    if base not in TRANSFER_BASES:
        raise SpecError("engine.spec.transfer_base", choices=", ".join(TRANSFER_BASES), value=base)
    if weights not in ("imagenet", "none", None):
        raise SpecError("engine.spec.transfer_weights", value=weights)
    params: dict[str, Any] = {
        "base": base,
        "weights": None if base == "run" or weights in (None, "none") else "imagenet",
        "trainable_layers": 0 if mode == "feature_extraction" else int(fine_tune_layers),
    }
    flat_output = False
    if base == "run":
        if not model_path:
            raise SpecError("engine.spec.transfer_run")
        from cnnlab.arch.kerasfile import inspect_keras_file  # pure Python: reads the file's config

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
        raise SpecError("engine.spec.unknown_preset", name=name, names=", ".join(PRESETS))
    known = {o.name for o in PRESET_OPTIONS[name]}
    unknown = sorted(set(options) - known)
    if unknown:
        if not known:
            raise SpecError("engine.spec.preset_no_options", name=name, options=", ".join(unknown))
        known_text = ", ".join(sorted(known))
        raise SpecError("engine.spec.preset_option", name=name, options=", ".join(unknown), known=known_text)
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
