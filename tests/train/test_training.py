"""Training internals: config validation, metrics, atomic checkpoints, and the Trainer in-process."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cnnlab.fsutil import atomic_write
from cnnlab.metrics import classification_report, macro_auc
from cnnlab.runs.store import RunStore
from cnnlab.train import live as live_
from cnnlab.train.checkpoints import atomic_save_model
from cnnlab.train.config import OPTIMIZERS, SCHEDULES, ConfigError, TrainConfig, prepare
from cnnlab.train.live import Live
from cnnlab.train.trainer import Trainer

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- config


def test_defaults_are_valid_and_resolve_to_lenet5() -> None:
    cfg = prepare(TrainConfig())
    assert cfg.arch["name"] == "lenet5" and cfg.arch["input_shape"] == [28, 28, 1] and cfg.arch["num_classes"] == 10
    assert TrainConfig().problems() == []
    assert prepare({"arch": "simple_cnn"}).arch["name"] == "simple_cnn"  # a preset name adapts to the data
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg  # what the store keeps round-trips


def test_every_bad_value_is_reported_at_once() -> None:
    cfg = TrainConfig(
        epochs=0,
        batch_size=2.5,  # type: ignore[arg-type]
        learning_rate=float("nan"),
        optimizer="adagrad",
        schedule="linear",
        val_fraction=0.0,
        monitor="val_loss",
        label_smoothing=0.9,
        augmentation={"rotation": 2, "shear": 0.1, "flip": "yes"},
        metrics=["accuracy", "f1"],
        early_stopping="on",  # type: ignore[arg-type]
    )
    text = "; ".join(str(p) for p in cfg.problems())
    for fragment in (
        "epochs must be at least 1",
        "batch_size must be a whole number",
        "learning_rate must be a number",
        "optimizer must be one of sgd, adam, adamw, rmsprop",
        "schedule must be one of",
        "monitor val_loss needs a validation split",
        "label_smoothing must be",
        "augmentation rotation must be a fraction",
        "augmentation has no setting 'shear'",
        "augmentation flip must be true or false",
        "metrics must be a list drawn from",
        "early_stopping must be true or false",
    ):
        assert fragment in text, fragment
    with pytest.raises(ConfigError) as info:
        prepare(cfg)
    assert len(info.value.problems) >= 12
    with pytest.raises(ConfigError, match="warmup_epochs must be at least 0"):
        prepare({"warmup_epochs": -1})


# ---------------------------------------------------------------- metrics


def test_classification_report_by_hand() -> None:
    y = np.array([0, 0, 1, 1, 2])
    probs = np.array([[0.9, 0.1, 0], [0.2, 0.8, 0], [0.1, 0.9, 0], [0.6, 0.4, 0], [0.1, 0.1, 0.8]])
    rep = classification_report(y, probs, 3)
    assert rep["confusion_matrix"] == [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    assert rep["accuracy"] == pytest.approx(3 / 5)
    assert rep["precision_per_class"] == pytest.approx([0.5, 0.5, 1.0])
    assert rep["recall_per_class"] == pytest.approx([0.5, 0.5, 1.0])
    assert rep["precision"] == pytest.approx(2 / 3) and rep["support"] == [2, 2, 1]


def test_macro_auc_matches_pairwise_definition() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 60)
    probs = rng.random((60, 4)).round(1)  # rounding creates ties
    expected = []
    for c in range(4):
        pos, neg = probs[y == c, c], probs[y != c, c]
        pairs = [(p > n) + 0.5 * (p == n) for p, n in itertools.product(pos, neg)]
        expected.append(np.mean(pairs))
    assert macro_auc(y, probs) == pytest.approx(np.mean(expected))
    perfect = np.eye(3)[[0, 1, 2, 0]]
    assert macro_auc(np.array([0, 1, 2, 0]), perfect) == 1.0


def test_classification_report_agrees_with_sklearn() -> None:
    """Random labels with class 3 never present and class 4 never predicted, checked against sklearn directly."""
    from sklearn import metrics as sk

    rng = np.random.default_rng(7)
    y = rng.choice([0, 1, 2, 4], 200)
    probs = rng.random((200, 5))
    probs[:, 4] = 0  # class 4 is never the argmax
    probs /= probs.sum(axis=1, keepdims=True)
    rep = classification_report(y, probs, 5)
    pred = probs.argmax(axis=1)
    labels = list(range(5))
    assert 3 not in y and 4 not in pred
    assert rep["confusion_matrix"] == sk.confusion_matrix(y, pred, labels=labels).tolist()
    assert rep["accuracy"] == pytest.approx(sk.accuracy_score(y, pred))
    p, r, _, support = sk.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    assert rep["precision_per_class"] == pytest.approx(p.tolist()) and rep["precision_per_class"][4] == 0
    assert rep["recall_per_class"] == pytest.approx(r.tolist()) and rep["support"] == support.tolist()
    present = [0, 1, 2, 4]  # macro averages count the classes that have test images
    assert rep["precision"] == pytest.approx(p[present].mean()) and rep["recall"] == pytest.approx(r[present].mean())
    aucs = [sk.roc_auc_score(y == c, probs[:, c]) for c in present]
    assert rep["auc"] == pytest.approx(np.mean(aucs))


def test_out_of_memory_is_recognised() -> None:
    import tensorflow as tf

    assert live_.is_oom(MemoryError())
    assert live_.is_oom(tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape"))
    assert not live_.is_oom(ValueError("bad shape"))


# ---------------------------------------------------------------- atomic checkpoints

SAVER = textwrap.dedent(
    """
    import os, sys, time
    import cnnlab
    from cnnlab.arch.build import build_model
    from cnnlab.arch.presets import preset
    from cnnlab.train.checkpoints import atomic_save_model
    path = sys.argv[1]
    model = build_model(preset("lenet5"))
    slow = model.save
    def save_slowly(tmp):  # a slow disk: the kill below lands while the temporary file is being written
        slow(tmp)
        print("tmp-written", flush=True)
        time.sleep(30)
    model.save = save_slowly
    atomic_save_model(model, path)
    """
)


@pytest.mark.slow
def test_a_kill_during_a_checkpoint_save_leaves_the_previous_one_loadable(tmp_path: Path) -> None:
    import keras

    from cnnlab.arch.build import build_model
    from cnnlab.arch.presets import preset

    path = tmp_path / "best.keras"
    previous = build_model(preset("lenet5"))
    atomic_save_model(previous, path)
    before = path.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "tmp-written"
        leftovers = list(tmp_path.glob(".best.*.tmp.keras"))
        assert leftovers, "the new checkpoint was being written next to the old one"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert path.read_bytes() == before
    loaded = keras.saving.load_model(path)
    for a, b in zip(previous.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_atomic_write_cleans_up_after_a_failing_writer(tmp_path: Path) -> None:
    target = tmp_path / "x.npz"
    atomic_write(target, lambda tmp: np.savez(tmp, a=np.arange(3)))

    def broken(tmp):
        Path(tmp).write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, broken)
    with np.load(target) as f:
        assert f["a"].tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["x.npz"]


# ---------------------------------------------------------------- the trainer in this process


def _seed_sample(home: Path) -> None:
    from cnnlab.data.datasets import load_dataset

    load_dataset("mnist-sample")
    assert (home / "cache" / "mnist-sample.npz").is_file()


def test_every_optimizer_and_schedule_builds() -> None:
    import keras

    store = RunStore()
    for optimizer, schedule in itertools.product(OPTIMIZERS, SCHEDULES):
        cfg = prepare(
            {"optimizer": optimizer, "schedule": schedule, "weight_decay": 1e-4, "epochs": 4, "warmup_epochs": 0}
        )
        rid = store.create_run(name="x", arch=cfg.arch, dataset=cfg.dataset, config=cfg.to_dict())
        t = Trainer(rid, store)
        t.steps_per_epoch = 10
        opt = t._optimizer()
        assert type(opt).__name__.lower() == optimizer
        lr = opt.learning_rate
        assert float(keras.ops.convert_to_numpy(lr)) == pytest.approx(cfg.learning_rate, rel=1e-6)
        if schedule in ("step", "cosine"):
            assert isinstance(opt._learning_rate, keras.optimizers.schedules.LearningRateSchedule)
            late = float(keras.ops.convert_to_numpy(opt._learning_rate(150 if schedule == "step" else 39)))
            assert late < cfg.learning_rate / 5
    # the default recipe warms up linearly over two epochs, then decays along a cosine
    cfg = prepare({})
    rid = store.create_run(name="x", arch=cfg.arch, dataset=cfg.dataset, config=cfg.to_dict())
    t = Trainer(rid, store)
    t.steps_per_epoch = 10
    schedule = t._optimizer()._learning_rate
    lrs = [float(keras.ops.convert_to_numpy(schedule(step))) for step in (0, 10, 20, 210, 399)]
    assert lrs[0] == 0 and lrs[1] == pytest.approx(cfg.learning_rate / 2) and lrs[2] == pytest.approx(cfg.learning_rate)
    assert cfg.learning_rate > lrs[3] > lrs[4] and lrs[4] < cfg.learning_rate / 100


@pytest.mark.slow
def test_trainer_in_process_plateau_early_stopping_label_smoothing(cnnlab_home: Path) -> None:
    """Nothing improves at a tiny rate: the plateau halves it, early stopping ends the run, files are readable."""
    import tensorflow as tf

    _seed_sample(cnnlab_home)
    store = RunStore()
    cfg = prepare(
        {
            "epochs": 6,
            "max_train_samples": 128,
            "batch_size": 32,
            "optimizer": "sgd",
            "momentum": 0.0,
            "learning_rate": 1e-9,
            "schedule": "plateau",
            "plateau_patience": 1,
            "min_learning_rate": 0.0,
            "decay_factor": 0.5,
            "early_stopping": True,
            "patience": 2,
            "label_smoothing": 0.1,
            "augmentation": {"translation": 0.1, "flip": True},
        }
    )
    rid = store.create_run(name="x", arch=cfg.arch, dataset=cfg.dataset, config=cfg.to_dict(), epochs=6)
    store.update_run(rid, status="running", pid=os.getpid())
    live = Live()
    trainer = Trainer(rid, store, live)
    outcome = trainer.run()
    assert outcome.status == "early_stopped" and outcome.epochs_done == 3
    forward = trainer._forward  # traced at the first validation; every later call reuses it (a new one per call
    trainer.predict(np.zeros((2, 28, 28, 1), np.uint8))  # traced again each time: validation and the recorded
    assert trainer._forward is forward  # latency_ms measured tracing, 30-70 ms instead of about 1 ms)
    table = store.epoch_table(rid)
    assert [r["lr"] for r in table] == pytest.approx([1e-9, 5e-10, 2.5e-10])
    assert "test_accuracy" in outcome.final_metrics and outcome.evaluation["model"] == "best"
    state = store.get_run(rid).state
    assert state["best_epoch"] >= 1 and state["early_stopped_epoch"] == 3
    events = list((store.run_dir(rid) / "tensorboard" / "val").glob("events.out.tfevents.*"))
    tags = set()
    for event in tf.compat.v1.train.summary_iterator(str(events[0])):
        tags |= {v.tag for v in event.summary.value}
    assert {"loss", "accuracy", "auc"} <= tags
    with np.load(store.artifacts(rid, "kernels")[0].path) as f:
        assert f["kernel"].shape == (5, 5, 1, 6) and str(f["layer"]) == "conv2d_1"
    shutil.rmtree(store.run_dir(rid))
