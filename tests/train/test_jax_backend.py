"""The engine on Keras' JAX backend with TensorFlow absent (the GPU machine has JAX + Keras only), the
backend-neutral input pipeline, and mixed precision.

The JAX run is what `python -m cnnlab.worker RUN` does (worker.run_worker on a claimed run), in a process where
`import tensorflow` fails (tests/no_tensorflow/sitecustomize.py); the same process then loads the checkpoint and
inspects it, so Keras and JAX start once. XLA's CPU optimisation level is lowered there: compiling dominates a run
this small on a busy CPU, and these tests check results, not speed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnlab.runs.store import RunStore
from cnnlab.train.config import TrainConfig, prepare
from cnnlab.train.live import Live
from cnnlab.train.trainer import Trainer
from conftest import ROOT, seed_sample

pytestmark = pytest.mark.timeout(300)

NO_TENSORFLOW = ROOT / "tests" / "no_tensorflow"
HAS_JAX = importlib.util.find_spec("jax") is not None
NEEDS_JAX = pytest.mark.skipif(
    not HAS_JAX, reason="JAX is not installed here (pip install -r requirements-dev.txt installs the CPU build)"
)

# one small conv stage: every engine path (kernels, feature maps, Grad-CAM) without compiling a big network
TINY_SPEC = {
    "name": "tiny",
    "input_shape": [28, 28, 1],
    "num_classes": 10,
    "layers": [
        {"type": "Conv2D", "params": {"filters": 4, "kernel_size": 3, "activation": "relu"}},
        {"type": "MaxPooling2D", "params": {"pool_size": 2, "strides": 2}},
        {"type": "Flatten", "params": {}},
    ],
}
TINY = {
    "dataset": "mnist-sample",
    "arch": TINY_SPEC,
    "epochs": 2,
    "max_train_samples": 256,
    "batch_size": 64,
    "augmentation": {"translation": 0.1, "stroke": 0.5, "elastic": 0.2},  # the pen changes run on JAX too
    "batch_metrics_every": 0.2,
}

JAX_SCRIPT = """
import contextlib, io, json, sys
from cnnlab.runs.store import RunStore
from cnnlab.train.config import prepare
from cnnlab.train.worker import run_worker

store = RunStore()
cfg = prepare(json.loads(sys.argv[1]))
rid = store.create_run(name="jax", arch=cfg.arch, dataset=cfg.dataset, config=cfg.to_dict(), epochs=cfg.epochs)
assert store.claim_next(1).id == rid  # what jobs.reconcile does before it starts `python -m cnnlab.worker RID`
log = io.StringIO()
with contextlib.redirect_stdout(log):
    assert run_worker(rid) == 0
run = store.get_run(rid)
out = {"status": run.status, "reason": run.reason, "final": run.final_metrics, "evaluation": run.evaluation,
       "epochs_done": run.epochs_done, "best_model": run.best_model and str(run.best_model),
       "artifacts": sorted(a.kind for a in store.artifacts(run.id)),
       "log": log.getvalue()}
if run.status == "finished":
    import keras
    from cnnlab.data.datasets import load_dataset
    from cnnlab.inspection.attribution import grad_cam
    from cnnlab.inspection.features import feature_maps
    from cnnlab.inspection.forward import predictor

    model = keras.saving.load_model(run.best_model, compile=False, safe_mode=True)
    ds = load_dataset("mnist-sample", seed=0, val_fraction=0.1)
    probs = predictor(model).predict(ds.x_test)
    out.update(
        backend=keras.backend.backend(),
        probs_shape=list(probs.shape),
        probs_sum_error=float(abs(probs.sum(axis=1) - 1).max()),
        inspect_accuracy=float((probs.argmax(axis=1) == ds.y_test).mean()),
        maps={m.name: list(m.array.shape) for m in feature_maps(model, ds.x_test[0])},
        cam=(lambda c: [list(c.shape), float(c.min()), float(c.max()), bool((c == c).all())])(
            grad_cam(model, ds.x_test[0])
        ),
    )
    from cnnlab import export

    out["exports"] = []
    for make in (export.export_savedmodel, export.export_tflite):
        try:
            make(store, run.id)
        except export.ExportError as exc:
            out["exports"].append(str(exc))
out["tensorflow_imported"] = "tensorflow" in sys.modules
print(json.dumps(out))
"""


@NEEDS_JAX
@pytest.mark.slow
def test_worker_trains_evaluates_and_inspects_on_jax_without_tensorflow(cnnlab_home: Path, mnist_sample_cache) -> None:
    seed_sample(cnnlab_home, mnist_sample_cache)
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "PYTHONPATH": os.pathsep.join([str(NO_TENSORFLOW), str(ROOT)]),
        "XLA_FLAGS": "--xla_backend_optimization_level=0",
    }
    proc = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT, json.dumps(TINY)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["status"] == "finished", (res["reason"], res["log"][-3000:])
    assert "backend jax, strategy default" in res["log"] and "dtype policy float32" in res["log"]
    assert "TensorBoard log skipped: writing it needs TensorFlow" in res["log"]
    assert not res["tensorflow_imported"]
    final = res["final"]
    assert res["epochs_done"] == 2
    for key in ("loss", "val_loss", "val_accuracy", "test_loss", "test_accuracy", "test_auc"):
        assert math.isfinite(final[key]), key
    assert final["test_accuracy"] > 0.1  # better than chance on 1,000 test digits after 512 images' worth of steps
    assert Path(res["best_model"]).is_file() and res["best_model"].endswith(".keras")
    assert res["artifacts"].count("kernels") == 3 and {"best_model", "last_model"} <= set(res["artifacts"])
    assert "tensorboard" not in res["artifacts"]
    # the checkpoint, reloaded and run by inspection's jax.jit path, scores what the trainer's evaluation said
    assert res["backend"] == "jax" and res["probs_shape"] == [1000, 10] and res["probs_sum_error"] < 1e-4
    assert abs(res["inspect_accuracy"] - res["evaluation"]["test_accuracy"]) <= 0.002
    assert res["maps"] == {"conv2d_1": [26, 26, 4], "maxpooling2d_2": [13, 13, 4]}
    shape, low, high, finite = res["cam"]
    assert shape == [28, 28] and finite and 0.0 <= low <= high <= 1.0
    saved, lite = res["exports"]  # both refused in words, before any work
    assert saved.startswith("SavedModel export needs TensorFlow, which is not installed here (Keras runs on jax)")
    assert lite.startswith("TensorFlow Lite export needs TensorFlow")


def test_mixed_precision_is_validated() -> None:
    assert TrainConfig(mixed_precision=True).problems() == []
    assert any("mixed_precision must be true or false" in str(p) for p in TrainConfig(mixed_precision="yes").problems())


def _trainer(home: Path, cache: Path, **overrides) -> tuple[RunStore, Trainer]:
    seed_sample(home, cache)
    store = RunStore()
    cfg = prepare({**TINY, **overrides})
    rid = store.create_run(name="x", arch=cfg.arch, dataset=cfg.dataset, config=cfg.to_dict(), epochs=cfg.epochs)
    store.update_run(rid, status="running", pid=os.getpid())
    return store, Trainer(rid, store, Live())


def test_array_batches_shuffle_per_epoch_reproducibly(cnnlab_home: Path, mnist_sample_cache) -> None:
    """The pipeline JAX trains from (run here on this process' backend): every image once per epoch, a new
    order each epoch that the seed and the epoch fix, pixels in [0, 1], one-hot labels for label smoothing."""
    from cnnlab.train.pipeline import ArrayBatches

    _, trainer = _trainer(cnnlab_home, mnist_sample_cache, max_train_samples=100, batch_size=32)
    trainer.load_data()
    batches = ArrayBatches(trainer, initial_epoch=0)
    assert len(batches) == 4  # 32 + 32 + 32 + 4

    def epoch(e: int) -> tuple[np.ndarray, list]:
        batches.start_epoch(e)
        items = [batches[i] for i in range(len(batches))]
        return batches._order.copy(), items

    order0, items = epoch(0)
    assert sorted(order0) == list(range(100))
    xs = [np.asarray(x) for x, _ in items]
    assert [len(x) for x in xs] == [32, 32, 32, 4] and xs[0].shape[1:] == (28, 28, 1)
    assert all(x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0 for x in xs)
    y = np.concatenate([np.asarray(y) for _, y in items])
    assert y.shape == (100, 10) and (y.argmax(axis=1) == trainer.y_train[order0]).all()
    order1, _ = epoch(1)
    assert sorted(order1) == list(range(100)) and (order1 != order0).any()
    assert (epoch(0)[0] == order0).all()  # a resumed run shuffles epoch e as an uninterrupted one did
    # augmentation moves the digits (translation 0.1), so the pixels are not the plain scaled ones
    plain = trainer.x_train[order0[:32]].astype(np.float32) / 255.0
    assert np.abs(xs[0] - plain).mean() > 0.01


@pytest.mark.slow
def test_mixed_precision_trains_a_tiny_run_on_cpu(cnnlab_home: Path, mnist_sample_cache) -> None:
    """mixed_float16 on this process' backend (TensorFlow here): float16 layers, a float32 output, finite metrics,
    a checkpoint that loads and predicts with the policy back at float32."""
    import keras

    from cnnlab.inspection.attribution import grad_cam
    from cnnlab.inspection.features import feature_maps
    from cnnlab.inspection.forward import predictor

    store, trainer = _trainer(cnnlab_home, mnist_sample_cache, mixed_precision=True, kernel_snapshots=False)
    try:
        outcome = trainer.run()
        assert type(trainer.model.optimizer).__name__ == "LossScaleOptimizer"
    finally:
        keras.config.set_dtype_policy("float32")  # the policy is process-wide: leave it as other tests expect
    assert outcome.status == "finished" and outcome.epochs_done == 2
    for key in ("loss", "val_loss", "test_loss", "test_accuracy"):
        assert math.isfinite(outcome.final_metrics[key]), key
    model = keras.saving.load_model(store.artifact(trainer.run_id, "best_model").path, compile=False)
    assert model.get_layer("conv2d_1").compute_dtype == "float16"
    assert model.get_layer("predictions").compute_dtype == "float32"
    probs = predictor(model).predict(trainer.dataset.x_test[:50])
    assert probs.dtype == np.float32 and np.allclose(probs.sum(axis=1), 1, atol=1e-3)
    # Inspect on a mixed-precision checkpoint: float16 feature maps, a finite Grad-CAM
    maps = feature_maps(model, trainer.dataset.x_test[0])
    assert [m.name for m in maps] == ["conv2d_1", "maxpooling2d_2"] and np.isfinite(maps[0].array).all()
    cam = grad_cam(model, trainer.dataset.x_test[0])
    assert cam.shape == (28, 28) and np.isfinite(cam).all() and 0.0 <= cam.min() <= cam.max() <= 1.0
