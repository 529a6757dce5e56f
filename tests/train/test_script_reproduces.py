"""The exported training script repeats the engine: the same split, the same initial weights for the same seed, the
same learning rate at every step, and -- trained for a few epochs -- the same losses epoch by epoch, in each style,
for the default recipe and for one with every option on.

Tolerance (measured on this 2-core CPU, TensorFlow 2.21 with oneDNN): the script runs the engine's ops in the
engine's order, so its per-epoch training losses and learning rates came out bit-identical to the engine's in every
style. Its validation and test losses are Keras' evaluate() (the compiled loss, 1,024 images a batch) where the
engine computes the loss once over all predictions: the same numbers summed in another order, which differed by at
most 2.4e-7 (one or two float32 roundings). The test allows a relative 1e-5: room for oneDNN picking other kernels
(another thread count or CPU), while anything that really differs -- another data order, augmentation draw,
initial weight or learning rate -- moves these losses by 1e-3 or more within the first epoch.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from cnnlab.arch.build import build_model
from cnnlab.arch.presets import PRESETS, preset
from cnnlab.data.datasets import load_dataset, split
from cnnlab.train.codegen import STYLES, training_script
from cnnlab.train.config import TrainConfig
from cnnlab.train.trainer import Trainer

RTOL = 1e-5  # see the module docstring

DEFAULT_RECIPE = {"arch": "lenet5", "epochs": 3, "max_train_samples": 1024}  # everything else: the default recipe
EVERY_OPTION = {
    **DEFAULT_RECIPE,
    "epochs": 6,
    "optimizer": "sgd",
    "learning_rate": 0.002,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 0.001,
    "schedule": "cosine",
    "warmup_epochs": 1,
    "batch_size": 64,
    "label_smoothing": 0.1,
    "augmentation": {"translation": 0.1, "rotation": 0.05, "zoom": 0.1, "flip": True},
    "early_stopping": True,
    "patience": 1,
    "monitor": "val_accuracy",  # unchanged at epoch 3: early stopping, and the best (epoch 2) is restored
    "restore_best": True,
}


def load_module(path: Path):
    found = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


def script_module(tmp_path: Path, config: dict, style: str):
    path = tmp_path / f"{style}_{abs(hash(json.dumps(config, sort_keys=True)))}.py"
    path.write_text(training_script(config, style))
    return load_module(path)


# ---------------------------------------------------------------- without training


def test_the_script_splits_the_data_as_the_engine_does(tmp_path, home_with_data):
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 256, (203, 4, 4, 1), dtype=np.uint8), rng.integers(0, 5, 203)
    for seed, val in ((0, 0.1), (7, 0.25), (3, 0.0)):
        module = script_module(tmp_path, {**DEFAULT_RECIPE, "seed": seed, "val_fraction": val}, "functional")
        for test_fraction in (0.2, 0.0):
            mine = module.split(x, y, val, test_fraction)
            theirs = split(x, y, seed=seed, val_fraction=val, test_fraction=test_fraction)
            assert all(np.array_equal(a, b) for a, b in zip(mine, theirs, strict=True))
    module = script_module(tmp_path, {**DEFAULT_RECIPE, "seed": 5, "val_fraction": 0.2}, "sequential")
    (xt, yt), (xv, yv), (xs, ys) = module.load_data()  # the bundled sample, read as the app reads it
    ds = load_dataset("mnist-sample", seed=5, val_fraction=0.2)
    assert len(yt) == 1024 and np.array_equal(xt, ds.x_train[:1024]) and np.array_equal(yt, ds.y_train[:1024])
    assert np.array_equal(xv, ds.x_val) and np.array_equal(yv, ds.y_val)
    assert np.array_equal(xs, ds.x_test) and np.array_equal(ys, ds.y_test)


def _weights(model) -> list[tuple]:
    return sorted((tuple(w.shape), np.asarray(w).tobytes()) for w in model.get_weights())


@pytest.mark.parametrize("name", list(PRESETS))
def test_the_same_seed_gives_the_same_initial_weights_in_every_style(tmp_path, name):
    """Keras draws an initializer's seed when its layer is made: each style makes the layers in the engine's order."""
    spec = preset(name, (28, 28, 1), 10, **({"weights": None} if name == "transfer" else {}))
    config = {"arch": spec.to_dict(), "dataset": "mnist-sample", "seed": 11}
    keras.utils.set_random_seed(11)
    engine = _weights(build_model(spec))
    for style in STYLES:
        module = script_module(tmp_path, config, style)
        keras.utils.set_random_seed(11)
        assert _weights(module.build_model()) == engine, style


def _rates(optimizer, steps: int) -> np.ndarray:
    rate = optimizer._learning_rate  # the schedule itself (or the constant)
    if callable(rate):
        return np.array([float(keras.ops.convert_to_numpy(rate(step))) for step in range(steps)])
    return np.full(steps, float(keras.ops.convert_to_numpy(rate)))


@pytest.mark.parametrize(
    "settings",
    [{}, {"warmup_epochs": 0}, {"epochs": 2, "warmup_epochs": 5}, {"schedule": "step", "step_epochs": 2},
     {"schedule": "constant", "optimizer": "rmsprop"}, {"schedule": "plateau", "optimizer": "adamw"}],
)  # fmt: skip
def test_the_learning_rate_is_the_engines_at_every_step(tmp_path, settings):
    cfg = TrainConfig(**{**DEFAULT_RECIPE, "epochs": 6, "min_learning_rate": 1e-4, **settings})
    steps_per_epoch = 8
    engine = Trainer._optimizer(SimpleNamespace(cfg=cfg, steps_per_epoch=steps_per_epoch))  # the engine's own
    mine = script_module(tmp_path, cfg.to_dict(), "functional").make_optimizer(cfg.epochs, steps_per_epoch)
    assert type(mine) is type(engine)
    same = {"learning_rate": 0, "name": ""}  # (the schedule is compared step by step below)
    assert mine.get_config() | same == engine.get_config() | same  # momentum, nesterov, weight decay, ...
    steps = cfg.epochs * steps_per_epoch + 1
    assert np.array_equal(_rates(mine, steps), _rates(engine, steps))


# ---------------------------------------------------------------- trained: the engine's run and the script's


RUNNER = """
import json, runpy, sys
for script, out in zip(sys.argv[1::2], sys.argv[2::2]):
    sys.argv = [script, "--out", out + ".keras", "--metrics", out]
    print("=== " + script, flush=True)
    runpy.run_path(script, run_name="__main__")
"""


def engine_run(config: dict) -> dict:
    """The engine's run of `config` (a real worker): per-epoch train/validation loss and rate, and the test loss."""
    from cnnlab.runs.jobs import wait_for
    from cnnlab.runs.store import FINISHED, RunStore
    from cnnlab.train.launch import start_run

    with RunStore() as store:
        run = wait_for(start_run({**config, "batch_metrics_every": 0}, store=store), timeout=600, store=store)
        assert run.status == FINISHED, run.reason
        values: dict[str, list[float]] = {}
        for m in store.metrics(run.id, scope="epoch"):
            values.setdefault(f"{m.split}_{m.name}", []).append(m.value)
    return {
        "loss": values["train_loss"],
        "val_loss": values["val_loss"],
        "learning_rate": values["train_lr"],
        "test_loss": run.final_metrics["test_loss"],
        "early_stopped": (run.reason_key or {}).get("$error") == "engine.run.early_stopping",
        "best_epoch": run.final_metrics.get("best_epoch"),
    }


def script_runs(tmp_path: Path, jobs: list[tuple[dict, str]], home: Path, backend: str = "tensorflow") -> list[dict]:
    """Each (config, style) script run to the end in one fresh interpreter, one after the other."""
    args = []
    for config, style in jobs:
        path = tmp_path / f"{style}_{len(args)}.py"
        path.write_text(training_script(config, style))
        args += [str(path), str(tmp_path / f"{path.stem}.json")]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CNNLAB_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "2",
           "TF_ENABLE_ONEDNN_OPTS": "1", "KERAS_BACKEND": backend}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", RUNNER, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=1200, check=False)  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return [json.loads(Path(metrics).read_text()) for metrics in args[1::2]]


def assert_same_run(mine: dict, engine: dict, what: str) -> None:
    epochs = mine["epochs"]
    assert len(epochs["loss"]) == len(engine["loss"]), what  # early stopping stopped both at the same epoch
    np.testing.assert_allclose(epochs["loss"], engine["loss"], rtol=RTOL, err_msg=what)
    np.testing.assert_allclose(epochs["val_loss"], engine["val_loss"], rtol=RTOL, err_msg=what)
    np.testing.assert_allclose(epochs["learning_rate"], engine["learning_rate"], rtol=RTOL, err_msg=what)
    assert mine["test_loss"] == pytest.approx(engine["test_loss"], rel=RTOL), what  # the restored best epoch


@pytest.mark.slow
def test_the_script_repeats_the_engines_run_in_every_style(tmp_path, home_with_data):
    """3 epochs of the default recipe on 1,024 MNIST digits, and 6 (early-stopped after 3) with every option on."""
    engines = {"default recipe": engine_run(DEFAULT_RECIPE), "every option": engine_run(EVERY_OPTION)}
    every = engines["every option"]
    assert every["early_stopped"] and len(every["loss"]) == 3 and every["best_epoch"] == 2
    configs = {"default recipe": DEFAULT_RECIPE, "every option": EVERY_OPTION}
    jobs = [(name, style) for name in configs for style in STYLES]
    (tmp_path / "scripts").mkdir()
    results = script_runs(tmp_path / "scripts", [(configs[name], style) for name, style in jobs], home_with_data)
    for (name, style), mine in zip(jobs, results, strict=True):
        assert_same_run(mine, engines[name], f"{name}, {style}")


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed here")
def test_on_jax_the_script_repeats_the_engines_own_input(tmp_path, home_with_data, monkeypatch):
    """Keras on JAX (the engine's path on GPUs): a permutation per epoch and the augmentation batch by batch, in the
    worker and in the script alike; compared with the same tolerance (measured: equal to float32 display)."""
    config = {**EVERY_OPTION, "epochs": 2, "max_train_samples": 256, "early_stopping": False}
    monkeypatch.setenv("KERAS_BACKEND", "jax")  # the worker inherits it
    engine = engine_run(config)
    (tmp_path / "scripts").mkdir()
    (mine,) = script_runs(tmp_path / "scripts", [(config, "subclass")], home_with_data, backend="jax")
    assert_same_run(mine, engine, "jax")
