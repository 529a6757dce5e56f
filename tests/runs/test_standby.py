"""The warm standby worker: real processes, real SQLite. It takes a queued run (the CLI's too) and finishes it, a
fresh one replaces it, a killed one is noticed, a killed one mid-run leaves an interrupted run that resumes, an
unwanted one leaves by itself, and CNNLAB_STANDBY=0 changes nothing."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from test_jobs import assert_complete_epochs, wait_until

from cnnlab.runs import jobs
from cnnlab.runs.store import RunStore
from cnnlab.train.config import TrainConfig
from cnnlab.train.launch import start_run
from conftest import run_cli

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("home_with_data")]

SMALL = {"max_train_samples": 256, "batch_size": 32, "batch_metrics_every": 0.2}
WARM_S = 300  # a standby imports TensorFlow and prepares the default recipe: 10-20 s, more on a busy machine


@pytest.fixture
def standby_on(monkeypatch) -> RunStore:
    """Standbys on (conftest turns them off for every other test); this test's home keeps one; none outlives it."""
    monkeypatch.setenv("CNNLAB_STANDBY", "1")
    store = RunStore()
    yield store
    jobs.stop_standby(store)


def idle_standby(store: RunStore, other_than: int | None = None, timeout: float = WARM_S):
    """Wait for a free standby that finished warming up (not `other_than`)."""

    def ready():
        return next((s for s in jobs.free_standbys(store) if s.state == "idle" and s.pid != other_than), None)

    return wait_until(ready, timeout=timeout, poll=0.2)


def page_default_config() -> dict:
    """What the Train page sends when nothing was changed (cnnlab/ui/train.py): the default recipe, LeNet-5."""
    return {**TrainConfig().to_dict(), "arch": "lenet5"}


def log_of(store: RunStore, run_id: str) -> str:
    return (store.run_dir(run_id) / "worker.log").read_text(errors="replace")


@pytest.mark.slow
def test_standby_takes_runs_and_a_fresh_one_replaces_it(standby_on: RunStore) -> None:
    store = standby_on
    jobs.ensure_standby(store)
    jobs.ensure_standby(store)  # any number of calls keep one
    first = idle_standby(store)
    assert len(store.standbys()) == 1
    rss_mib = psutil.Process(first.pid).memory_info().rss / 2**20
    print(f"idle standby {first.pid}: {rss_mib:.0f} MiB resident")

    # the default recipe, as a Train click sends it: the standby's prepared model trains it; stop it after epoch 1
    run_id = start_run(page_default_config(), store=store)
    assert store.get_run(run_id).pid == first.pid  # handed over, no new process
    wait_until(lambda: store.metrics(run_id, scope="batch", limit=1), timeout=120)
    assert store.metrics(run_id, scope="batch", limit=1)[0].step == 1  # the first batch's point, at once
    wait_until(lambda: store.get_run(run_id).epochs_done >= 1, timeout=240)
    jobs.stop_run(run_id, store)
    run = jobs.wait_for(run_id, timeout=120, store=store)
    assert run.status == "stopped", run.reason
    assert_complete_epochs(store, run_id, run.epochs_done)
    assert run.progress["epoch_values"]["epoch"] >= 1
    log = log_of(store, run_id)
    assert f"standby {first.pid}" in log and "prepared model adopted" in log
    wait_until(lambda: not jobs.pid_alive(first.pid), timeout=60)  # one run per process

    # a fresh standby replaced it; the CLI's run goes to it too (another recipe: trained as a fresh worker would)
    second = idle_standby(store, other_than=first.pid)
    out = run_cli("train", "--epochs", "2", "--max-train-samples", "256", "--batch-size", "32", "--json", timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    run = store.list_runs()[0]
    assert run.status == "finished" and run.pid == second.pid, (run.status, run.reason, run.pid, second.pid)
    assert_complete_epochs(store, run.id, 2)
    assert "prepared model adopted" not in log_of(store, run.id)
    assert "test_accuracy" in run.final_metrics
    wait_until(lambda: not jobs.pid_alive(second.pid), timeout=60)
    third = wait_until(lambda: jobs.free_standbys(store), timeout=60)[0]
    assert third.pid not in (first.pid, second.pid)


@pytest.mark.slow
def test_a_killed_standby_is_replaced_and_its_run_resumes(standby_on: RunStore) -> None:
    store = standby_on
    jobs.ensure_standby(store)
    idle = idle_standby(store)
    os.kill(idle.pid, signal.SIGKILL)  # idle: noticed and replaced by the next reconcile
    wait_until(lambda: not jobs.pid_alive(idle.pid), timeout=60)
    jobs.reconcile(store)
    rows = store.standbys()
    assert len(rows) == 1 and rows[0].pid != idle.pid
    assert not (store.home / "standby" / f"{idle.pid}.log").exists()

    # killed in the middle of a run: the run is interrupted, and resuming finishes it with a complete history
    worker = idle_standby(store, other_than=idle.pid)
    cfg = {**SMALL, "epochs": 3, "max_train_samples": 512, "batch_size": 16, "batch_metrics_every": 0.05}
    run_id = start_run(cfg, store=store)
    assert store.get_run(run_id).pid == worker.pid

    def mid_epoch():
        r = store.get_run(run_id)
        p = r.progress
        return 1 <= r.epochs_done < 3 and p.get("epoch") == r.epochs_done + 1 and p.get("step", 0) >= 3 and r

    wait_until(mid_epoch, timeout=240)
    os.kill(worker.pid, signal.SIGKILL)
    wait_until(lambda: not jobs.pid_alive(worker.pid), timeout=60)
    assert run_id in jobs.reconcile(store).interrupted
    run = store.get_run(run_id)
    assert run.status == "interrupted" and "ended unexpectedly" in run.reason
    resumed = jobs.resume_run(run_id, store=store)  # handed to the standby started meanwhile (maybe still warming)
    assert resumed.status == "running" and resumed.pid not in (None, worker.pid)
    run = jobs.wait_for(run_id, timeout=300, store=store)
    assert run.status == "finished", run.reason
    assert run.attempts == 2 and run.epochs_done == 3
    assert_complete_epochs(store, run_id, 3)


def test_an_unwanted_standby_leaves_by_itself(standby_on: RunStore, monkeypatch) -> None:
    """Nobody keeps one (no server): a standby started anyway exits within seconds of its wanted mark going stale."""
    store = standby_on
    monkeypatch.setenv("CNNLAB_STANDBY_IDLE_S", "3")  # the standby process reads it too
    store.set_setting(jobs.WANTED, time.time())
    pid = jobs.keep_standby(store)
    assert pid and jobs.pid_alive(pid)
    wait_until(lambda: not jobs.pid_alive(pid), timeout=120, poll=0.2)
    assert store.standbys() == []
    jobs.reconcile(store)  # nobody wants one: nothing is started again
    assert store.standbys() == []


def test_standby_off_changes_nothing(monkeypatch, home_with_data: Path) -> None:
    monkeypatch.setenv("CNNLAB_STANDBY", "0")
    store = RunStore()
    jobs.ensure_standby(store)
    assert store.standbys() == [] and store.get_setting(jobs.WANTED) is None
    run_id = start_run({**SMALL, "epochs": 1}, store=store)
    run = store.get_run(run_id)
    try:
        assert run.pid and run_id in psutil.Process(run.pid).cmdline()  # a worker of its own, as before
        assert store.standbys() == []
    finally:
        os.kill(run.pid, signal.SIGKILL)


def test_prepared_trainer_starts_where_a_fresh_one_would(home_with_data: Path) -> None:
    """The standby's warm-up step leaves nothing behind: weights as a fresh build with the seed makes them,
    optimizer slots and step count at zero, and a run of that recipe adopts it (one of another recipe does not)."""
    import keras

    from cnnlab.arch.build import build_model
    from cnnlab.arch.spec import ArchSpec
    from cnnlab.train.live import Live
    from cnnlab.train.standby import default_config, prepare_trainer

    store = RunStore()
    cfg = default_config()
    t = prepare_trainer(cfg, store)
    model = t.model
    assert t.model.train_function is not None  # traced before any run
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 0
    assert all(not np.any(keras.ops.convert_to_numpy(v)) for v in model.optimizer.variables)
    keras.utils.set_random_seed(cfg.seed)
    fresh = build_model(ArchSpec.from_dict(cfg.arch))
    for a, b in zip(fresh.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    other = store.create_run(name="other", arch=cfg.arch, dataset=cfg.dataset, config={**cfg.to_dict(), "epochs": 3})
    assert not t.adopt(other, store, Live())
    same = {**cfg.to_dict(), "early_stopping": True, "patience": 2}  # read only after the step: still the same
    rid = store.create_run(name="same", arch=cfg.arch, dataset=cfg.dataset, config=same)
    assert t.adopt(rid, store, Live()) and t.run_id == rid and t.cfg.early_stopping
