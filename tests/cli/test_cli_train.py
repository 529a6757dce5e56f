"""`python -m cnnlab train / runs / stop / resume`: real processes, real store, stable --json shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cnnlab.runs import jobs
from cnnlab.runs.store import RunStore

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("home_with_data")]
ROOT = Path(__file__).resolve().parents[2]
TINY = ["--max-train-samples", "256", "--batch-size", "32", "--batch-metrics-every", "0.2"]


def cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cnnlab", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
        check=False,
    )


@pytest.mark.slow
def test_train_end_to_end_through_store_and_cli(monkeypatch) -> None:
    """Two runs at once (two slots): a mirrored one in the background, and the default one the CLI waits for."""
    import keras

    monkeypatch.setenv("CNNLAB_MAX_RUNNING", "2")
    mirrored = cli("train", "--epochs", "1", *TINY, "--strategy", "mirrored", "--detach", "--json")
    assert mirrored.returncode == 0, mirrored.stderr
    mirrored_id = json.loads(mirrored.stdout)["id"]
    out = cli("train", "--arch", "lenet5", "--dataset", "mnist-sample", "--epochs", "2", *TINY, "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) == {"id", "name", "status", "reason", "pid", "final_metrics", "best_model"}
    assert result["status"] == "finished" and result["pid"] > 0
    fm = result["final_metrics"]
    assert 0 <= fm["test_accuracy"] <= 1 and fm["epochs_done"] == 2 and "best_val_accuracy" in fm
    best = Path(result["best_model"])
    assert best.is_file() and keras.saving.load_model(best).output_shape == (None, 10)

    finished = jobs.wait_for(mirrored_id, timeout=240)
    assert finished.status == "finished", finished.reason
    log = (RunStore().run_dir(mirrored_id) / "worker.log").read_text()
    assert "strategy mirrored: 2 replicas" in log  # MirroredStrategy over two logical CPU devices

    listing = cli("runs", "--json")
    assert listing.returncode == 0, listing.stderr
    runs = json.loads(listing.stdout)
    assert {r["id"] for r in runs} == {result["id"], mirrored_id}
    row = next(r for r in runs if r["id"] == result["id"])
    assert {"id", "status", "pid", "final_metrics", "best_model", "name", "epochs_done", "duration_s"} <= set(row)
    assert row["best_model"] == result["best_model"] and row["pid"] == result["pid"]

    store = RunStore()
    run = store.get_run(result["id"])
    assert run.config["max_train_samples"] == 256 and run.arch["name"] == "lenet5" and run.duration > 0
    table = store.epoch_table(run.id)
    assert [r["epoch"] for r in table] == [1, 2]
    assert all(np.isfinite(r[k]) for r in table for k in ("loss", "accuracy", "val_loss", "val_accuracy", "val_auc"))
    assert store.metrics(run.id, scope="batch"), "live per-batch metrics"
    ev = run.evaluation
    cm = np.array(ev["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == ev["n_test"] == 1000
    assert len(ev["misclassified"]) == ev["n_test"] - np.trace(cm)
    assert len(ev["precision_per_class"]) == len(ev["recall_per_class"]) == 10
    assert ev["seed"] == 0 and ev["val_fraction"] == 0.1 and ev["dataset"] == "mnist-sample"
    last = store.artifact(run.id, "last_model")
    assert last is not None and last.epoch == 2
    assert int(keras.saving.load_model(last.path).optimizer.iterations) == 2 * 8  # optimizer state is saved
    assert [a.epoch for a in store.artifacts(run.id, "kernels")] == [0, 1, 2]
    with np.load(store.artifacts(run.id, "kernels")[-1].path) as f:
        assert f["kernel"].shape == (5, 5, 1, 6)
    assert (store.run_dir(run.id) / "tensorboard" / "train").is_dir()
    assert run.progress["phase"] == "done" and run.progress["steps_per_epoch"] == 8
    assert not list(store.run_dir(run.id).rglob("*.tmp*"))

    text = cli("runs")
    assert result["id"] in text.stdout and "finished" in text.stdout


@pytest.mark.slow
def test_stop_within_one_batch_then_resume_from_the_cli() -> None:
    import keras

    out = cli(
        "train", "--epochs", "5", *TINY, "--max-train-samples", "2048", "--batch-size", "16",
        "--detach", "--json", "--name", "cli run",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    started = json.loads(out.stdout)
    assert started["status"] == "running" and started["name"] == "cli run" and started["pid"] > 0
    store = RunStore()
    deadline = time.monotonic() + 200
    # once epoch 2 is training, epoch 1 is committed before the run can end (its commit may still be in flight)
    while store.get_run(started["id"]).progress.get("epoch", 0) < 2:
        assert time.monotonic() < deadline, "the run never completed an epoch"
        time.sleep(0.05)
    wrong = cli("stop", "x" + started["id"])
    assert wrong.returncode == 2 and "no run matches" in wrong.stderr
    stop = cli("stop", started["id"][:-1], "--wait", "--json")  # a unique id prefix is enough
    assert stop.returncode == 0, stop.stderr
    assert json.loads(stop.stdout)["status"] == "stopped"
    run = store.get_run(started["id"])
    fm = run.final_metrics
    assert fm["stop_latency_steps"] <= 1  # stopped at the first batch boundary after the request arrived
    assert 1 <= run.epochs_done < 5
    at = fm["stopped_at"]
    if at["step"] < 128:  # stopped mid-epoch: that epoch is not recorded (only its live batch rows are)
        assert at["epoch"] == run.epochs_done + 1
        assert any(m.epoch == run.epochs_done + 1 for m in store.metrics(run.id, scope="batch"))
    else:  # the request arrived while an epoch was being committed: stopped at that boundary
        assert at["epoch"] == run.epochs_done
    last = store.artifact(run.id, "last_model")  # the last good checkpoint is kept, and loads
    assert last is not None and last.epoch == run.epochs_done
    assert int(keras.saving.load_model(last.path).optimizer.iterations) == 128 * run.epochs_done

    resume = cli("resume", "cli run", "--wait", "--json")  # by name
    assert resume.returncode == 0, resume.stderr
    resumed = json.loads(resume.stdout)
    assert resumed["status"] == "finished" and Path(resumed["best_model"]).is_file()
    assert [r["epoch"] for r in store.epoch_table(run.id)] == [1, 2, 3, 4, 5]
    epoch_keys = [(m.epoch, m.split, m.name) for m in store.metrics(run.id, scope="epoch")]
    assert len(epoch_keys) == len(set(epoch_keys))
    batch_keys = [(m.epoch, m.step, m.name) for m in store.metrics(run.id, scope="batch")]
    assert len(batch_keys) == len(set(batch_keys))
    again = cli("resume", started["id"])
    assert again.returncode == 2 and "only stopped or interrupted" in again.stderr


def test_bad_values_are_refused_with_a_readable_message() -> None:
    out = cli("train", "--epochs", "0", "--learning-rate", "-1", "--val-fraction", "0.9")
    assert out.returncode == 2
    assert "cannot train" in out.stderr and "epochs must be" in out.stderr and "val_fraction" in out.stderr
    assert "Traceback" not in out.stderr
    assert RunStore().list_runs() == []
    missing = cli("stop", "nope")
    assert missing.returncode == 2 and "no run matches 'nope'" in missing.stderr
    empty = cli("runs", "--json")
    assert empty.returncode == 0 and json.loads(empty.stdout) == []
