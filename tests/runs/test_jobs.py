"""Training runs as real worker processes: end to end, stop, SIGKILL + resume, divergence, queue, fine-tune."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cnnlab.runs.jobs import (
    LAUNCH_GRACE_S,
    JobError,
    delete_run,
    pid_alive,
    reconcile,
    resume_run,
    set_max_running,
    stop_run,
    wait_for,
)
from cnnlab.runs.store import RunStore
from cnnlab.train.config import ConfigError
from cnnlab.train.launch import start_run

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("home_with_data")]

SMALL = {"max_train_samples": 256, "batch_size": 32, "epochs": 1, "batch_metrics_every": 0.2}


def wait_until(predicate, timeout: float = 120, poll: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError("condition not reached in time")


def assert_complete_epochs(store: RunStore, run_id: str, epochs: int) -> None:
    table = store.epoch_table(run_id)
    assert [r["epoch"] for r in table] == list(range(1, epochs + 1))
    for row in table:
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
            assert np.isfinite(row[key]), (row, key)
    epoch_rows = store.metrics(run_id, scope="epoch")
    keys = [(m.epoch, m.split, m.name) for m in epoch_rows]
    assert len(keys) == len(set(keys))  # no duplicated epoch metric
    batch_keys = [(m.epoch, m.step, m.name) for m in store.metrics(run_id, scope="batch")]
    assert len(batch_keys) == len(set(batch_keys))


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_gives_complete_metrics() -> None:
    store = RunStore()
    cfg = {**SMALL, "epochs": 3, "max_train_samples": 512, "batch_size": 16, "batch_metrics_every": 0.05}
    run_id = start_run(cfg)

    def mid_epoch():  # some epoch committed, and the next one under way
        r = store.get_run(run_id)
        p = r.progress
        return 1 <= r.epochs_done < 3 and p.get("epoch") == r.epochs_done + 1 and p.get("step", 0) >= 3 and r

    run = wait_until(mid_epoch)
    killed_in = run.epochs_done + 1
    os.kill(run.pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(run.pid))
    result = reconcile(store)
    assert run_id in result.interrupted
    run = store.get_run(run_id)
    assert run.status == "interrupted" and "ended unexpectedly" in run.reason
    assert any(m.epoch == killed_in for m in store.metrics(run_id, scope="batch"))  # the partial epoch's rows
    resumed = resume_run(run_id)
    assert resumed.status == "running" and resumed.pid != run.pid
    run = wait_for(run_id, timeout=240)
    assert run.status == "finished", run.reason
    assert run.attempts == 2 and run.epochs_done == 3
    assert_complete_epochs(store, run_id, 3)
    assert "test_accuracy" in run.final_metrics
    assert [a.epoch for a in store.artifacts(run_id, "kernels")] == [0, 1, 2, 3]
    assert len(list((store.run_dir(run_id) / "checkpoints").glob("*.keras"))) == 1


@pytest.mark.slow
def test_a_diverging_run_fails_and_keeps_no_bad_weights() -> None:
    cfg = {**SMALL, "epochs": 2, "optimizer": "sgd", "learning_rate": 10.0, "momentum": 0.99, "schedule": "constant"}
    cfg["augmentation"] = {}
    run_id = start_run(cfg)
    run = wait_for(run_id, timeout=240)
    assert run.status == "failed"
    assert run.reason.startswith("diverged") and "learning rate" in run.reason
    assert run.final_metrics["epochs_done"] == run.epochs_done
    store = RunStore()
    for kind in ("best_model", "last_model"):  # whatever was promoted holds finite weights only
        art = store.artifact(run_id, kind)
        if art is not None:
            import keras

            weights = keras.saving.load_model(art.path).get_weights()
            assert all(np.isfinite(w).all() for w in weights)


@pytest.mark.slow
def test_queued_runs_start_when_a_slot_frees() -> None:
    store = RunStore()
    set_max_running(1, store)
    first, second, dropped = (start_run({**SMALL, "max_train_samples": 128, "seed": i}) for i in range(3))
    assert [store.get_run(i).status for i in (first, second, dropped)] == ["running", "queued", "queued"]
    assert stop_run(dropped).status == "stopped"  # a queued run stops without ever starting
    # nobody reconciles from here on: the finishing worker starts the next queued run itself
    wait_until(lambda: store.get_run(second).status == "finished", timeout=280, poll=0.2)
    a, b = store.get_run(first), store.get_run(second)
    assert a.status == "finished" and b.attempts == 1
    assert b.started >= a.finished - 1.0  # never two at once
    assert store.get_run(dropped).status == "stopped" and store.get_run(dropped).attempts == 0


def test_invalid_configs_are_refused_before_any_process() -> None:
    store = RunStore()
    with pytest.raises(ConfigError) as info:
        start_run({"epochs": 0, "learning_rate": -1, "optimizer": "adagrad"})
    text = str(info.value)
    assert "epochs" in text and "learning_rate" in text and "optimizer must be one of" in text
    with pytest.raises(ConfigError, match="unknown dataset"):
        start_run({"dataset": "imagenet"})
    with pytest.raises(ConfigError, match="unknown setting"):
        start_run({"epoch": 3})
    too_deep = {
        "name": "deep",
        "input_shape": [28, 28, 1],
        "num_classes": 10,
        "layers": [{"type": "Conv2D", "params": {"filters": 8, "kernel_size": 9}}] * 4 + [{"type": "Flatten"}],
    }
    with pytest.raises(ConfigError, match="does not fit the data"):
        start_run({"arch": too_deep})
    cifar_shaped = {**too_deep, "input_shape": [32, 32, 3], "layers": [{"type": "Flatten"}]}
    with pytest.raises(ConfigError, match="takes 32x32x3 images"):
        start_run({"arch": cifar_shaped})
    with pytest.raises(ConfigError, match="larger than the 100 training images"):  # (the default 128 adapts)
        start_run({"max_train_samples": 100, "batch_size": 256})
    assert store.list_runs() == []  # nothing queued, nothing launched


def test_resume_and_delete_rules(home_with_data: Path) -> None:
    store = RunStore()
    rid = store.create_run(name="done", arch={"name": "x"}, dataset="mnist-sample", config={})
    store.update_run(rid, status="finished")
    with pytest.raises(JobError, match="only stopped or interrupted"):
        resume_run(rid)
    store.run_dir(rid).mkdir(parents=True)
    (store.run_dir(rid) / "best.keras").write_bytes(b"x")
    delete_run(rid)
    assert not store.run_dir(rid).exists() and store.list_runs() == []


@pytest.mark.slow
def test_fine_tune_from_a_run_with_extra_data(home_with_data: Path) -> None:
    import keras

    from cnnlab.arch.build import build_model
    from cnnlab.arch.presets import preset

    store = RunStore()
    spec = preset("lenet5")
    parent = store.create_run(name="parent", arch=spec.to_dict(), dataset="mnist-sample", config={})
    store.update_run(parent, status="finished")
    model_path = store.run_dir(parent) / "best.keras"
    model_path.parent.mkdir(parents=True)
    model = build_model(spec)
    model.save(model_path)
    store.add_artifact(parent, "best_model", model_path, epoch=1)
    extra = home_with_data / "extra.npz"
    rng = np.random.default_rng(0)
    np.savez(extra, x=rng.integers(0, 255, (40, 28, 28, 1), dtype=np.uint8), y=np.full(40, 7, dtype=np.int64))
    child_id = start_run(
        {**SMALL, "max_train_samples": 128, "init_model_path": str(model_path), "extra_data": str(extra)}
    )
    child = store.get_run(child_id)
    assert child.parent == parent and child.arch == spec.to_dict()  # the architecture comes from the parent
    child = wait_for(child_id, timeout=240)
    assert child.status == "finished", child.reason
    assert child.progress["steps_per_epoch"] == int(np.ceil((128 + 40) / 32))  # extra images were trained on
    tuned = keras.saving.load_model(child.best_model)
    changed = [not np.allclose(a, b) for a, b in zip(model.get_weights(), tuned.get_weights(), strict=True)]
    assert any(changed)
    bad = home_with_data / "bad.npz"
    np.savez(bad, x=np.zeros((3, 32, 32, 3), np.uint8), y=np.zeros(3, np.int64))
    with pytest.raises(ConfigError, match="extra_data must hold x of shape"):
        start_run({**SMALL, "extra_data": str(bad)})
    with pytest.raises(ConfigError, match="give the architecture"):
        start_run({**SMALL, "init_model_path": str(extra)})


def test_dead_or_silent_workers_are_marked_interrupted(monkeypatch) -> None:
    """No worker needed: runs whose worker never started, died, or went silent are found by reconcile()."""
    store = RunStore()
    now = time.time()
    never = store.create_run(name="never", arch={}, dataset="mnist-sample", config={})
    store.update_run(never, status="running", heartbeat=now - LAUNCH_GRACE_S - 1)
    dead = store.create_run(name="dead", arch={}, dataset="mnist-sample", config={})
    corpse = subprocess.Popen([sys.executable, "-c", "pass"])
    corpse.wait()
    store.update_run(dead, status="running", pid=corpse.pid, host=socket.gethostname(), heartbeat=now)
    silent = store.create_run(name="silent", arch={}, dataset="mnist-sample", config={})
    store.update_run(silent, status="running", pid=12345, host="another-machine", heartbeat=now - 31)
    alive = store.create_run(name="alive", arch={}, dataset="mnist-sample", config={})
    store.update_run(alive, status="running", pid=12345, host="another-machine", heartbeat=now)
    result = reconcile(store)
    assert sorted(result.interrupted) == sorted([never, dead, silent])
    reasons = {r.name: r.reason for r in store.list_runs(["interrupted"])}
    assert "never started" in reasons["never"]
    assert "ended unexpectedly" in reasons["dead"]
    assert "no heartbeat for 31s" in reasons["silent"]
    assert store.get_run(alive).status == "running"
    monkeypatch.setenv("CNNLAB_STALE_AFTER", "0.5")
    time.sleep(0.6)
    assert reconcile(store).interrupted == [alive]


def test_out_of_memory_is_refused_or_reported(home_with_data: Path) -> None:
    wide = {
        "name": "wide",
        "input_shape": [28, 28, 1],
        "num_classes": 10,
        "layers": [{"type": "Conv2D", "params": {"filters": 1024, "kernel_size": 3, "padding": "same"}}] * 3
        + [{"type": "GlobalAveragePooling2D"}],
    }
    with pytest.raises(ConfigError, match=r"out of memory: .* needs about .* GiB"):
        start_run({"arch": wide, "batch_size": 3000})
    # a worker that died allocating memory is reported as failed: out of memory, not merely interrupted
    store = RunStore()
    rid = store.create_run(name="oom", arch={}, dataset="mnist-sample", config={})
    corpse = subprocess.Popen([sys.executable, "-c", "pass"])
    corpse.wait()
    store.update_run(rid, status="running", pid=corpse.pid, host=socket.gethostname(), heartbeat=time.time())
    store.run_dir(rid).mkdir(parents=True)
    (store.run_dir(rid) / "worker.log").write_text(
        f"10:00:00 worker {corpse.pid} starts run {rid} (attempt 1)\nterminate called after throwing an instance"
        " of 'std::bad_alloc'\n"
    )
    reconcile(store)
    run = store.get_run(rid)
    assert run.status == "failed" and run.reason.startswith("out of memory")
