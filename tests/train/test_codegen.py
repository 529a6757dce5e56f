"""Exported scripts: they run (tiny slice, one step), save a model, and build the same network as build_model."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnlab.arch.build import build_model
from cnnlab.arch.presets import preset
from cnnlab.arch.spec import ArchSpec, LayerSpec, SpecError
from cnnlab.data.datasets import save_user_dataset
from cnnlab.train.codegen import STYLES, generate_script, hyperparams_with_defaults, script_filename, training_script
from cnnlab.train.config import TrainConfig
from conftest import run_cli

RUNNER = """
import runpy, sys
for script, out in zip(sys.argv[1::2], sys.argv[2::2]):
    sys.argv = [script, "--smoke", "--out", out]
    print("=== " + script, flush=True)
    runpy.run_path(script, run_name="__main__")
"""


def write(tmp_path: Path, spec: ArchSpec, dataset: str, style: str, **hyper) -> Path:
    path = tmp_path / f"{dataset}_{script_filename(spec, style)}"
    path.write_text(generate_script(spec, dataset, style, hyper or None))
    return path


def load_module(path: Path):
    found = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


def test_three_exported_scripts_run_and_match_build_model(tmp_path, cnnlab_home):
    """Each style trains one step on real MNIST digits and saves; a user dataset (32x32 RGB) works too, and so do
    runs' scripts with every option on."""
    rng = np.random.default_rng(0)
    save_user_dataset(
        "tiles",
        rng.integers(0, 256, (120, 32, 32, 3), dtype=np.uint8),
        np.arange(120) % 3,
        ["a", "b", "c"],
        "test tiles",
    )
    jobs = [(preset("lenet5"), "mnist-sample", style) for style in STYLES]
    jobs.append((preset("resnet_small", (32, 32, 3), 3), "tiles", "sequential"))  # the ResidualBlock layer class
    args = []
    for spec, dataset, style in jobs:
        script = write(tmp_path, spec, dataset, style, epochs=3, learning_rate=0.01)
        args += [str(script), str(tmp_path / f"{script.stem}.keras")]
    # runs' scripts with every option on (mixed precision, plateau, step decay, a fine-tune from a saved model)
    start = tmp_path / "start.keras"
    build_model(preset("lenet5")).save(start)
    extra = tmp_path / "drawings.npz"
    np.savez(extra, x=np.zeros((3, 28, 28, 1), np.uint8), y=np.array([1, 2, 3]))
    runs = [
        ({**EVERY_SETTING, "arch": "lenet5"}, "subclass"),
        ({**EVERY_SETTING, "arch": "lenet5", "schedule": "plateau", "mixed_precision": False}, "sequential"),
        ({**EVERY_SETTING, "arch": "lenet5", "schedule": "step", "init_model_path": str(start),
          "extra_data": str(extra), "mixed_precision": False}, "functional"),
    ]  # fmt: skip
    for n, (config, style) in enumerate(runs):
        script = tmp_path / f"run_{n}.py"
        script.write_text(training_script(config, style))
        args += [str(script), str(tmp_path / f"run_{n}.keras")]
        jobs.append((preset("lenet5"), "mnist-sample", style))
    env = {"PATH": "/usr/bin:/bin", "CNNLAB_HOME": str(cnnlab_home), "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        cwd=tmp_path,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    counts = [int(n) for n in re.findall(r"Total parameters: (\d+)", out.stdout)]
    assert counts == [build_model(spec).count_params() for spec, _, _ in jobs]
    assert counts[:3] == [44_426] * 3
    assert len(re.findall(r"Test loss: [\d.]+ +test accuracy: [\d.]+", out.stdout)) == len(jobs)
    assert all(Path(path).is_file() for path in args[1::2])


@pytest.mark.parametrize(
    ("name", "options"),
    [("resnet_small", {}), ("transfer", {"weights": None}), ("transfer", {"base": "resnet50", "weights": None,
                                                                          "mode": "fine_tuning"}),
     ("vgg_small", {"batchnorm": True}), ("alexnet", {})],
)  # fmt: skip
def test_every_style_builds_the_same_network(tmp_path, name, options):
    spec = preset(name, (28, 28, 1), 10, **options)
    reference = build_model(spec)
    trainable = sum(int(np.prod(w.shape)) for w in reference.trainable_weights)
    for style in STYLES:
        model = load_module(write(tmp_path, spec, "mnist-sample", style)).build_model()
        assert model.count_params() == reference.count_params(), style
        assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable, style
        if style == "functional":  # the same graph, layer for layer, with the same names
            assert [layer.name for layer in model.layers] == [layer.name for layer in reference.layers]
        if name == "transfer":
            probe = np.full((1, 28, 28, 1), 0.5, dtype="float32")
            assert np.allclose(
                model.get_layer("transferbase_1_preprocess")(model.get_layer("transferbase_1_resize")(probe)),
                reference.get_layer("transferbase_1_preprocess")(reference.get_layer("transferbase_1_resize")(probe)),
            )


def test_transfer_from_a_run_exports(tmp_path):
    earlier = build_model(preset("lenet5"))
    earlier.save(tmp_path / "earlier.keras")
    spec = preset(
        "transfer",
        (28, 28, 1),
        5,
        base="run",
        model_path=str(tmp_path / "earlier.keras"),
        mode="fine_tuning",
        fine_tune_layers=2,
    )
    reference = build_model(spec)
    for style in STYLES:
        model = load_module(write(tmp_path, spec, "mnist-sample", style)).build_model()
        assert model.count_params() == reference.count_params() == 44_001
        assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 120 * 84 + 84 + 256 * 120 + 120 + 425


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("dataset", ["mnist-sample", "mnist", "fashion_mnist", "cifar10"])
def test_scripts_compile_and_contain_the_chosen_settings(style, dataset):
    spec = preset("simple_cnn", (32, 32, 3) if dataset == "cifar10" else (28, 28, 1), 10)
    hyper = {"optimizer": "sgd", "learning_rate": 0.05, "epochs": 7, "batch_size": 16, "validation_split": 0.2}
    script = generate_script(spec, dataset, style, hyper)
    compile(script, "exported.py", "exec")
    for text in (
        "keras.optimizers.SGD(rate, momentum=MOMENTUM, nesterov=NESTEROV)",
        "LEARNING_RATE = 0.05",
        "EPOCHS = 7",
        "BATCH_SIZE = 16",
        "VAL_FRACTION = 0.2",
        "--smoke",
        "model.save(args.out)",
        "model.evaluate(",
    ):
        assert text in script
    if dataset == "mnist-sample":
        assert "mnist_5k.csv.gz" in script
    else:
        assert f"keras.datasets.{dataset}.load_data()" in script
    marker = {"sequential": "keras.Sequential(", "functional": "keras.Model(inputs, outputs", "subclass": "class "}
    assert marker[style] in script


EVERY_SETTING = {
    "dataset": "mnist-sample", "epochs": 9, "batch_size": 32, "optimizer": "sgd", "learning_rate": 0.03,
    "momentum": 0.8, "nesterov": False, "weight_decay": 0.002, "schedule": "cosine", "warmup_epochs": 3,
    "min_learning_rate": 1e-5, "val_fraction": 0.15, "label_smoothing": 0.05,
    "augmentation": {"translation": 0.12, "rotation": 0.07, "zoom": 0.09, "flip": True}, "early_stopping": True,
    "monitor": "val_accuracy", "patience": 4, "restore_best": True, "seed": 42, "max_train_samples": 777,
    "mixed_precision": True,
}  # fmt: skip


@pytest.mark.parametrize("style", STYLES)
def test_a_runs_script_holds_every_setting_that_changes_training(style):
    """A run's config, every option on: each setting is in the script, written where the engine uses it."""
    spec = preset("lenet5")
    script = training_script({**EVERY_SETTING, "arch": spec.to_dict()}, style)
    compile(script, "run.py", "exec")
    for text in (
        "SEED = 42", "VAL_FRACTION = 0.15", "MAX_TRAIN_SAMPLES = 777", "EPOCHS = 9", "BATCH_SIZE = 32",
        "LEARNING_RATE = 0.03", "MOMENTUM = 0.8", "NESTEROV = False", "WEIGHT_DECAY = 0.002", "WARMUP_EPOCHS = 3",
        "MIN_LEARNING_RATE = 1e-05", "LABEL_SMOOTHING = 0.05", "MONITOR = 'val_accuracy'", "PATIENCE = 4",
        "MIN_DELTA = 0.0001", "RESTORE_BEST = True", "MIXED_PRECISION = True",
        # the schedule, the optimizer, the loss
        "warmup_target=LEARNING_RATE, warmup_steps=warmup",
        "keras.optimizers.SGD(rate, momentum=MOMENTUM, nesterov=NESTEROV, weight_decay=WEIGHT_DECAY)",
        "keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING)",
        # the augmentation, seeded and kept in float32
        'layers.RandomTranslation(0.12, 0.12, fill_mode="constant", seed=SEED, dtype="float32")',
        'layers.RandomRotation(0.07, fill_mode="constant", seed=SEED, dtype="float32")',
        'layers.RandomZoom(0.09, fill_mode="constant", seed=SEED, dtype="float32")',
        'layers.RandomFlip("horizontal", seed=SEED, dtype="float32")',
        # the split, the data order, the best epoch
        "split(x, y, VAL_FRACTION, 0.2)", "x_train[:MAX_TRAIN_SAMPLES]",
        ".shuffle(n, seed=SEED, reshuffle_each_iteration=True)", "keras.utils.set_random_seed(SEED)",
        "keras.callbacks.EarlyStopping(MONITOR, patience=PATIENCE, mode='max', min_delta=MIN_DELTA)",
        "keras.callbacks.ModelCheckpoint(best_file, MONITOR, mode='max', save_best_only=True",
        "model.load_weights(best_file)",
        'keras.config.set_dtype_policy("mixed_float16")', "dtype='float32', name='predictions'",
    ):  # fmt: skip
        assert text in script, text
    plateau = training_script({**EVERY_SETTING, "arch": "lenet5", "schedule": "plateau", "optimizer": "adamw"}, style)
    assert "keras.callbacks.ReduceLROnPlateau(MONITOR, factor=DECAY_FACTOR, patience=PLATEAU_PATIENCE" in plateau
    assert "keras.optimizers.AdamW(rate, weight_decay=WEIGHT_DECAY)" in plateau
    step = training_script({**EVERY_SETTING, "arch": "lenet5", "schedule": "step", "optimizer": "rmsprop"}, style)
    assert "ExponentialDecay(" in step and "STEP_EPOCHS = 10" in step and "momentum=MOMENTUM" in step


def test_a_recipes_script_is_the_default_recipe_with_its_changes():
    """Build and `cnnlab code` export a recipe: what pressing Train does, with the settings given."""
    script = generate_script(preset("lenet5"), "mnist-sample", "functional")
    defaults = TrainConfig()
    assert f"EPOCHS = {defaults.epochs}" in script and f"BATCH_SIZE = {defaults.batch_size}" in script
    assert f"LEARNING_RATE = {defaults.learning_rate}" in script and "WARMUP_EPOCHS = 2" in script
    assert "LABEL_SMOOTHING = 0.1" in script and "RandomRotation(0.05" in script and "RandomFlip" not in script
    assert "RESTORE_BEST = True" in script and "EarlyStopping" not in script
    assert script == training_script({"arch": preset("lenet5").to_dict()}, "functional")
    no_val = generate_script(preset("lenet5"), "mnist-sample", "functional", {"validation_split": 0})
    assert "MONITOR = 'loss'" in no_val and "VAL_FRACTION = 0.0" in no_val


def test_a_fine_tune_starts_from_its_model_with_its_drawings(tmp_path):
    extra = tmp_path / "drawings.npz"
    script = training_script(
        {**EVERY_SETTING, "arch": "lenet5", "init_model_path": "/runs/x/best.keras", "extra_data": str(extra)}
    )
    assert "START_MODEL = '/runs/x/best.keras'" in script
    assert "model = keras.saving.load_model(START_MODEL, compile=False)" in script
    assert f"EXTRA_DATA = {str(extra)!r}" in script and "np.load(EXTRA_DATA, allow_pickle=False)" in script
    compile(script, "tune.py", "exec")


def test_exported_scripts_are_lint_clean(tmp_path):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    for name in ("lenet5", "resnet_small", "transfer"):
        for style in STYLES:
            write(tmp_path, preset(name, (32, 32, 3), 10), "cifar10", style)
            for n, changes in enumerate(({}, {"schedule": "plateau"}, {"schedule": "step", "augmentation": {}})):
                config = {**EVERY_SETTING, **changes, "arch": preset(name, (28, 28, 1), 10).to_dict()}
                (tmp_path / f"run_{name}_{style}_{n}.py").write_text(training_script(config, style))
    out = subprocess.run(
        [ruff, "check", "--isolated", "--line-length", "120", "--select", "E,F,W,B", str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout


def test_bad_requests_are_clear_errors():
    spec = preset("lenet5")
    with pytest.raises(SpecError, match="unknown code style 'keras2'"):
        generate_script(spec, "mnist-sample", "keras2")
    with pytest.raises(SpecError, match="optimizer must be one of adam, sgd, rmsprop"):
        generate_script(spec, "mnist-sample", "functional", {"optimizer": "adagrad"})
    with pytest.raises(SpecError, match="unknown training setting"):
        hyperparams_with_defaults({"epoch": 3})
    with pytest.raises(SpecError, match="epochs=0 is out of range"):
        hyperparams_with_defaults({"epochs": 0})
    with pytest.raises(SpecError, match="unknown dataset 'nope'"):
        generate_script(spec, "nope", "functional")
    bad = ArchSpec("bad", (28, 28, 1), 10, [LayerSpec("Conv2D", {"filters": 4})])
    with pytest.raises(SpecError, match="add Flatten or GlobalAveragePooling2D at the end"):
        generate_script(bad, "mnist-sample", "functional")


def test_cli_code_prints_and_writes_scripts(tmp_path):
    spec_file = tmp_path / "mine.json"
    spec_file.write_text(preset("mlp", (28, 28, 1), 10, units=32).to_json())
    out = run_cli("code", "--spec", str(spec_file), "--style", "subclass", "--epochs", "2")
    assert out.returncode == 0, out.stderr
    assert "class CnnLabModel(keras.Model)" in out.stdout and "EPOCHS = 2" in out.stdout
    compile(out.stdout, "cli.py", "exec")
    target = tmp_path / "lenet.py"
    args = ("--arch", "lenet5", "--dataset", "mnist-sample", "--style", "sequential", "--out", str(target))
    out = run_cli("code", *args)
    assert out.returncode == 0, out.stderr
    assert "keras.Sequential(" in target.read_text()
    out = run_cli("code", "--arch", "lenet5", "--style", "keras2")
    assert out.returncode == 2 and "invalid choice" in out.stderr
    assert json.loads(spec_file.read_text())["layers"][1]["params"]["units"] == 32
