"""Fault suite (issue #8): repeated SIGKILLs at random moments, many writers at once, refusals that must hold.

The kill test draws its moments from a seeded generator; the seed is in every assertion message, and
CNNLAB_FAULT_SEED=N makes the same choices again (which kills, in which order, at which epoch and step).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_jobs import assert_complete_epochs
from test_store import WRITER

from cnnlab.runs.jobs import pid_alive, reconcile, resume_run, set_max_running, wait_for
from cnnlab.runs.store import RunStore
from cnnlab.train.config import ConfigError
from cnnlab.train.launch import start_run
from conftest import APP_PATH

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- SIGKILL at random moments

EPOCHS = 3
PHASES = ["starting", "loading", "train", "validating", "evaluating"]  # a worker's progress record, in order
# A wide Dense layer makes each checkpoint ~20 MB (weights + Adam moments), so a save lasts long enough to
# be caught in the act; one small conv layer keeps the per-epoch kernel snapshots.
WIDE = {
    "name": "wide",
    "input_shape": [28, 28, 1],
    "num_classes": 10,
    "layers": [
        {"type": "Conv2D", "params": {"filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"}},
        {"type": "MaxPooling2D", "params": {"pool_size": 2}},
        {"type": "Flatten", "params": {}},
        {"type": "Dense", "params": {"units": 1024, "activation": "relu"}},
    ],
}
KILL_CFG = {
    "arch": WIDE,
    "epochs": EPOCHS,
    "max_train_samples": 512,
    "batch_size": 16,
    "batch_metrics_every": 0.05,
    "augmentation": {},
    "warmup_epochs": 0,
}


class KillSequence:
    """Drives one run through a series of SIGKILLs; every message names the seed."""

    def __init__(self, seed: int, store: RunStore, run_id: str) -> None:
        self.seed, self.rng, self.store, self.run_id = seed, random.Random(f"{seed}-moments"), store, run_id
        self.ckpts = store.run_dir(run_id) / "checkpoints"
        self.log: list[str] = []

    def tag(self) -> str:
        return f"[CNNLAB_FAULT_SEED={self.seed}; kills so far: {self.log}]"

    def fail(self, what: str) -> None:
        log = self.store.run_dir(self.run_id) / "worker.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no worker log)"
        raise AssertionError(f"{what} {self.tag()}\n--- worker.log tail ---\n{tail}")

    def wait(self, predicate, what: str, timeout: float = 240, poll: float = 0.02):
        """Poll until predicate() is truthy; fail (with the seed) if the run ends or time runs out first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            run = self.store.get_run(self.run_id)
            if run.status != "running":
                self.fail(f"the run became {run.status} ({run.reason}) while waiting for {what}")
            time.sleep(poll)
        self.fail(f"timed out waiting for {what}")
        return None

    def progress(self) -> tuple[dict, int]:
        run = self.store.get_run(self.run_id)
        return run.progress or {}, run.epochs_done

    def kill(self, kind: str) -> None:
        """Wait for a randomly chosen moment of `kind`, freeze the worker, check the moment, SIGKILL it."""
        run = self.store.get_run(self.run_id)
        pid, done = run.pid, run.epochs_done
        assert run.status == "running" and pid and pid_alive(pid), f"no live worker {run} {self.tag()}"
        target = self.rng.randint(done + 1, min(done + 2, EPOCHS))
        note = kind
        if kind == "start":  # while the worker is still starting up: claim, imports, data, model
            phase = self.rng.choice([None, "starting", "loading"])
            if phase:  # that phase, or any later one if it went by between two looks
                later = PHASES[PHASES.index(phase) :]
                self.wait(lambda: self.progress()[0].get("phase") in later, f"phase {phase}")
            time.sleep(self.rng.uniform(0, 0.5))
            note = f"start/{phase or 'launched'}"
        elif kind == "mid_epoch":  # some batches of an epoch done, the epoch not finished
            step = self.rng.randint(2, 24)

            def mid():
                p, _ = self.progress()
                e, s, steps = p.get("epoch", 0), p.get("step", 0), p.get("steps_per_epoch", 32)
                return p.get("phase") == "train" and 0 < s < steps and (e > target or (e == target and s >= step))

            self.wait(mid, f"epoch {target} step {step}")
            note = f"mid_epoch/e{target}s{step}"
        elif kind == "save":  # the epoch's checkpoint is being written (its temporary file exists)
            while True:
                tmp = self.wait(self._saving(target, pid), f"the checkpoint save of epoch {target}", poll=0.002)
                os.kill(pid, signal.SIGSTOP)  # frozen: check the save is still in progress, then kill
                if tmp.exists():
                    break
                os.kill(pid, signal.SIGCONT)  # it finished between the two looks: catch the next save
                target = min(target + 1, EPOCHS)
            note = f"save/e{target}"
        elif kind == "commit":  # the checkpoint is complete: the kill lands around the store transaction
            name = f"last-e{target:04d}.keras"
            self.wait((self.ckpts / name).exists, f"checkpoint {name}", poll=0.002)
            delay = self.rng.choice([0.0, 0.0, self.rng.uniform(0, 0.3)])
            time.sleep(delay)
            note = f"commit/e{target}+{delay:.2f}s"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not pid_alive(pid), f"worker {pid} survived SIGKILL {self.tag()}"
        after = self.store.get_run(self.run_id)
        self.log.append(f"{note} (epochs_done {done}->{after.epochs_done})")
        if kind == "save":  # the process really died mid-save: its temporary file is still there
            assert tmp.exists() and after.epochs_done < target, f"not killed mid-save {self.tag()}"
        if kind == "mid_epoch":  # the partial epoch's live rows were written, the epoch was not committed
            assert after.epochs_done < after.progress.get("epoch", 0) <= EPOCHS, (after.progress, self.tag())

    def _saving(self, epoch: int, pid: int):
        """A predicate: the temporary file of worker `pid`'s checkpoint save of `epoch`, while it exists."""
        prefix = f".last-e{epoch:04d}.{pid}."

        def find() -> Path | None:
            with os.scandir(self.ckpts) if self.ckpts.is_dir() else contextlib.nullcontext([]) as entries:
                return next((Path(e.path) for e in entries if e.name.startswith(prefix)), None)

        return find


def assert_store_points_at_complete_files(store: RunStore, run_id: str, tag: str) -> None:
    """Every artifact the store records exists, and every .keras one is an intact zip archive."""
    for art in store.artifacts(run_id):
        assert art.path.exists(), (art, tag)
        if art.path.suffix == ".keras":
            with zipfile.ZipFile(art.path) as zf:
                assert zf.testzip() is None, (art, tag)
                assert "config.json" in zf.namelist(), (art, tag)


@pytest.mark.slow
def test_repeated_sigkill_at_random_moments_then_resume(home_with_data: Path) -> None:
    seed = int(os.environ.get("CNNLAB_FAULT_SEED") or random.SystemRandom().randrange(2**32))
    print(f"CNNLAB_FAULT_SEED={seed}")
    order = random.Random(seed)
    # three kills (each worker that gets past start-up pays ~15 s of TensorFlow import here): one while the
    # worker starts, one mid-epoch, one while an epoch is persisted (mid-save or around the commit)
    kinds = ["start", "mid_epoch", order.choice(["save", "commit"])]
    order.shuffle(kinds)
    # Keras for the final check loads in the background while the worker trains
    loader = threading.Thread(target=importlib.import_module, args=("keras",), daemon=True)
    loader.start()
    store = RunStore()
    run_id = start_run({**KILL_CFG, "seed": seed % 1000})
    seq = KillSequence(seed, store, run_id)
    for attempt, kind in enumerate(kinds, start=1):
        seq.kill(kind)
        result = reconcile(store)
        assert run_id in result.interrupted, seq.tag()
        run = store.get_run(run_id)
        assert run.status == "interrupted" and "ended unexpectedly" in run.reason, (run.reason, seq.tag())
        assert run.attempts == attempt, seq.tag()
        assert_store_points_at_complete_files(store, run_id, seq.tag())
        old_pid = run.pid
        resumed = resume_run(run_id, store=store)
        assert resumed.status == "running" and resumed.pid and resumed.pid != old_pid, (resumed, seq.tag())
    run = wait_for(run_id, timeout=300, store=store)
    tag = seq.tag()
    assert run.status == "finished", (run.reason, tag)
    assert run.attempts == len(kinds) + 1 and run.epochs_done == EPOCHS, (run, tag)
    try:
        assert_complete_epochs(store, run_id, EPOCHS)  # every epoch once, finite, no duplicated rows
    except AssertionError as exc:
        raise AssertionError(f"{exc} {tag}") from exc
    assert "test_accuracy" in run.final_metrics, tag
    assert [a.epoch for a in store.artifacts(run_id, "kernels")] == list(range(EPOCHS + 1)), tag
    folder = store.run_dir(run_id)
    assert [p.name for p in (folder / "checkpoints").glob("*.keras")] == [f"last-e{EPOCHS:04d}.keras"], tag
    leftovers = [str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp" in p.name]
    assert leftovers == [], (leftovers, tag)  # no half-written file of a killed attempt stays behind
    assert_store_points_at_complete_files(store, run_id, tag)

    loader.join()
    import keras

    best = store.artifact(run_id, "best_model")
    assert best is not None and run.best_model == str(best.path), tag
    model = keras.saving.load_model(best.path, compile=False, safe_mode=True)
    probs = model.predict(np.zeros((4, 28, 28, 1), np.float32), verbose=0)
    assert probs.shape == (4, 10) and np.isfinite(probs).all(), tag
    assert run.evaluation.get("model") == "best", tag


def test_resume_clears_half_written_files_of_dead_workers_only(cnnlab_home: Path) -> None:
    """A worker killed in the middle of an atomic write (best-model copy, kernel snapshot) leaves its temporary
    file; the next resume removes the files of dead writers and keeps everything else."""
    store = RunStore()
    rid = store.create_run(name="killed", arch={"name": "x"}, dataset="mnist-sample", config={})
    store.update_run(rid, status="interrupted", reason="the worker process ended unexpectedly")
    folder = store.run_dir(rid)
    dead = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # no process can have this pid
    orphans = [folder / f".best.{dead}.140.tmp.keras", folder / "kernels" / f".epoch-0002.{dead}.7.tmp.npz"]
    live = folder / "checkpoints" / f".last-e0003.{os.getpid()}.1.tmp.keras"  # a writer that still exists
    keep = [live, folder / "best.keras", folder / "checkpoints" / "last-e0002.keras", folder / ".notes.tmp"]
    for path in [*orphans, *keep]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
    # the queue is full (a run trains on another machine), so resuming queues the run without starting a worker
    busy = store.create_run(name="elsewhere", arch={}, dataset="mnist-sample", config={})
    store.update_run(busy, status="running", pid=1, host="another-machine", heartbeat=time.time())
    set_max_running(1, store)
    assert resume_run(rid, store=store).status == "queued"
    assert [p for p in orphans if p.exists()] == []
    assert all(p.exists() for p in keep)


# ---------------------------------------------------------------- many writers, many times


def test_six_writers_ten_rounds_never_see_a_locked_database(tmp_path: Path) -> None:
    """Ten rounds of six processes creating one fresh store at once, then hammering it with write transactions."""
    for round_ in range(10):
        home = tmp_path / f"round-{round_}"
        env = {**os.environ, "CNNLAB_HOME": str(home)}
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(k)],
                cwd=ROOT,
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for k in range(6)
        ]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (out, err) in zip(procs, outs, strict=True):
            assert "locked" not in err.lower() and "busy" not in err.lower(), (round_, err)
            assert p.returncode == 0 and out.startswith("ok"), (round_, p.returncode, err)
        s = RunStore(home / "runs.sqlite")
        try:
            assert s.journal_mode() == "wal", round_
            runs = s.list_runs()
            assert len(runs) == 6, round_
            assert all(len(s.metrics(r.id)) == 120 for r in runs), round_
            assert sum(r.status == "finished" for r in runs) + s.count("queued") + s.count("running") == 6
        finally:
            s.close()


# ---------------------------------------------------------------- refusals


def _layers(*specs: tuple[str, dict]) -> dict:
    return {
        "name": "too-deep",
        "input_shape": [28, 28, 1],
        "num_classes": 10,
        "layers": [{"type": t, "params": p} for t, p in specs],
    }


@pytest.mark.parametrize(
    ("arch", "layer"),
    [
        (_layers(*[("MaxPooling2D", {"pool_size": 2})] * 5, ("Flatten", {})), "layer 5 (MaxPooling2D 2x2)"),
        (_layers(*[("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2})] * 4, ("Flatten", {})),
         "layer 4 (Conv2D 3x3)"),
    ],
    ids=["five-poolings", "four-strided-convs"],
)  # fmt: skip
def test_architecture_that_shrinks_the_image_to_nothing_is_refused(arch: dict, layer: str) -> None:
    """28 -> 14 -> 7 -> 3 -> 1 -> nothing: refused before any process, naming the layer and the fix."""
    with pytest.raises(ConfigError) as info:
        start_run({"arch": arch, "epochs": 1})
    text = str(info.value)
    assert "does not fit the data" in text and layer in text and "output would be empty" in text, text
    assert "padding='same'" in text, text
    store = RunStore()
    assert store.list_runs() == []  # nothing queued
    assert not (store.home / "runs").exists()  # and no run folder made


def test_demo_mode_train_page_refuses_without_the_password(monkeypatch, home_with_data: Path) -> None:
    """A visitor's Train click starts nothing; the same click from an unlocked session starts a run."""
    monkeypatch.setenv("CNNLAB_DEMO", "1")
    monkeypatch.setenv("CNNLAB_DEMO_PASSWORD", "s3cret")
    at = AppTest.from_file(APP_PATH, default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, at.exception
    assert any("only the presenter" in i.value for i in at.info)
    assert RunStore().list_runs() == []  # nothing queued, nothing launched
    assert "run" not in at.query_params

    # (AppTest cannot submit the sidebar unlock form under st.navigation; the browser test does that)
    at = AppTest.from_file(APP_PATH, default_timeout=120)
    at.session_state["demo_unlocked"] = True
    at.run()
    at.switch_page("pages/train.py").run()
    at.number_input(key="tr_epochs").set_value(1)
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, at.exception
    assert not any("only the presenter" in i.value for i in at.info)
    runs = RunStore().list_runs()
    assert len(runs) == 1 and runs[0].status == "running" and runs[0].pid, runs
    assert at.query_params.get("run") in (runs[0].id, [runs[0].id])  # the page follows the new run
    with contextlib.suppress(ProcessLookupError):  # its training is not what this test is about: end it
        os.kill(runs[0].pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while pid_alive(runs[0].pid) and time.monotonic() < deadline:
        time.sleep(0.05)
