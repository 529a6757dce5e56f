"""`python -m cnnlab.worker --standby`: a warm worker process waiting for its run (cnnlab.runs.jobs starts it).

Importing TensorFlow, building the model and tracing its train step take 6-8 s on a small machine; a standby
has done all of that before the Train click. Its life:

1. jobs starts it and records it (table `standby`, state `warming`); it beats every BEAT_S seconds;
2. it imports Keras and, on TensorFlow without GPUs, prepares the default recipe as the Train page sends it
   (data, model, compiled, its train step traced and run once on a twin of the input pipeline, then every
   variable put back: `prepare_trainer`), so a run with that config (give or take settings read only around
   the train step: trainer.AFTER_THE_STEP) starts where a fresh process would, minus the waiting; then `idle`;
3. `jobs.reconcile` hands it a claimed run (the standby's pid becomes the run's pid) and wakes it with SIGUSR2
   (its next beat would notice too); it trains that run as `python -m cnnlab.worker RUN_ID` would, with the
   prepared trainer when the config matches (else as a fresh worker would, only without the imports), and
   exits: one clean process per run; jobs starts the next one;
4. without a run it exits when its row is gone (`jobs.stop_standby`, or it was found dead), when nobody has wanted
   a standby for `jobs.standby_idle_limit()` seconds (the server that kept one is gone), or on SIGTERM / SIGINT.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from cnnlab.runs import jobs
from cnnlab.runs import store as st
from cnnlab.train.config import TrainConfig, prepare
from cnnlab.train.worker import run_worker

if TYPE_CHECKING:  # pragma: no cover
    from cnnlab.train.trainer import Trainer

BEAT_S = 2.0  # standby heartbeat; jobs counts it dead after jobs.stale_after() seconds without one
POLL_S = 1.0  # how often an idle standby looks for a run when no SIGUSR2 came
REGISTER_GRACE_S = 30.0  # a standby whose row never appeared (its starter failed to record it) gives up
WAKE = getattr(signal, "SIGUSR2", None)


def default_config() -> TrainConfig:
    """The run a Train click sends when nothing was changed: the default recipe, LeNet-5 on the default dataset."""
    from cnnlab.data.datasets import DEFAULT_DATASET

    return prepare(TrainConfig(dataset=DEFAULT_DATASET, arch="lenet5"))


def prepare_trainer(cfg: TrainConfig, store: st.RunStore) -> Trainer:
    """A Trainer for a future run with config `cfg`, ready to fit: data loaded, model built and compiled the way a
    fresh worker does it, train step traced, shadow model for checkpoints made (TensorFlow backend)."""
    import keras

    from cnnlab.train.trainer import Trainer

    t = Trainer.ahead(cfg, store)
    t.load_data()
    keras.utils.set_random_seed(cfg.seed)  # what a fresh worker does before it builds (epochs_done = 0)
    t.build()
    t.training_data(0)
    _trace_train_step(t)
    t.committer.start()
    t.committer.flush()  # the shadow model exists before the run
    t.prepared = True
    return t


def _trace_train_step(t: Trainer) -> None:
    """Trace and run one train step on a twin of the run's input pipeline, then put back every variable (weights,
    optimizer slots and step count, random generator states) and Python's and NumPy's random states: the run's own
    pipeline is untouched and its first step finds the traced function."""
    import keras
    import numpy as np

    model = t.model
    with t.strategy.scope():
        model.optimizer.build(model.trainable_variables)  # its slots exist now, at their initial values
    saved = [(v, keras.ops.convert_to_numpy(v)) for v in [*model.variables, *model.optimizer.variables]]
    states = random.getstate(), np.random.get_state()
    model.fit(t.pipelines(0), epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
    for variable, value in saved:
        variable.assign(value)
    random.setstate(states[0])
    np.random.set_state(states[1])


class StandbyProcess:
    """This process as a standby: its row in the store, its heartbeat thread, and the run it is handed."""

    def __init__(self, log: Path | None) -> None:
        self.pid = os.getpid()
        self.log = log
        self.store = st.RunStore()
        self.run_id: str | None = None
        self.prepared: Trainer | None = None
        self.gone = threading.Event()  # told to go: row removed, or nobody wants a standby
        self._stop_beating = threading.Event()
        self._seen = False
        self._born = time.monotonic()
        self._beater = threading.Thread(target=self._beat_loop, name="standby-beat", daemon=True)

    # ------------------------------------------------------------ heartbeat thread

    def _beat_loop(self) -> None:
        store = st.RunStore(self.store.path)
        try:
            while not self._stop_beating.is_set():
                try:
                    self.beat(store)
                except Exception:  # (a busy or briefly unreadable store: the next beat tries again)
                    traceback.print_exc()
                    if not self.store.path.exists():  # its data home was deleted: nobody can hand it a run
                        self._go()
                self._stop_beating.wait(BEAT_S)
        finally:
            store.close()

    def beat(self, store: st.RunStore, state: str | None = None) -> None:
        row = store.standby_beat(self.pid, state)
        if row is None:
            if self._seen or time.monotonic() - self._born > REGISTER_GRACE_S:
                self._go()
            return
        self._seen = True
        if row.run_id:  # handed a run: keep its heartbeat fresh until the run's own writer starts
            store.beat(row.run_id, self.pid, [], None)
        elif not jobs.standby_wanted(store) and store.drop_standby(self.pid, free_only=True):
            self._go()  # (its row is gone: no run can be handed to it any more)

    def _go(self) -> None:
        """Leave now, even in the middle of warming up: SIGTERM ends the main thread's work (see run_standby)."""
        if not self.gone.is_set():
            self.gone.set()
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGTERM)

    # ------------------------------------------------------------ main thread

    def warm(self) -> None:
        """Import Keras and prepare the default recipe (unless the run already handed over is another one)."""
        from cnnlab.train.devices import configure_compilation_cache, keras_backend

        configure_compilation_cache()
        t0 = time.perf_counter()
        import keras  # noqa: F401  (the import is the warm-up)

        print(f"{_now()} standby {self.pid}: keras imported in {time.perf_counter() - t0:.1f}s", flush=True)
        if keras_backend() != "tensorflow" or _gpus_visible():
            return  # a prepared model would hold accelerator memory that a worker started beside it may need
        from cnnlab.train.trainer import as_stored, same_train_step

        cfg = default_config()
        handed = self.handed_run()
        if handed is not None and not same_train_step(self.store.get_run(handed).config, as_stored(cfg)):
            return  # the run waiting for this process is another one: no time for the default recipe
        try:
            self.prepared = prepare_trainer(cfg, self.store)
        except Exception:  # (a standby without a prepared model still saves the imports)
            traceback.print_exc()
            return
        print(f"{_now()} standby {self.pid}: default recipe prepared in {time.perf_counter() - t0:.1f}s", flush=True)

    def handed_run(self) -> str | None:
        row = next((s for s in self.store.standbys() if s.pid == self.pid), None)
        return row.run_id if row is not None else None

    def wait(self) -> str | None:
        """Idle until a run is handed over (its id) or this standby should go (None)."""
        if self.store.standby_beat(self.pid, "idle") is None and self._seen:
            return None
        while True:
            run_id = self.handed_run()
            if run_id:
                return run_id
            if self.gone.is_set():
                return None
            _sleep_until_woken(POLL_S)

    def work(self, run_id: str) -> int:
        """Train the handed run in this process, its output in the run's worker.log, then end."""
        self._stop_beating.set()
        self._beater.join(timeout=10)
        _log_to(self.store.run_dir(run_id) / "worker.log", self.log)
        self.store.drop_standby(self.pid)  # from now on the run's row says who works on it
        prepared, self.prepared = self.prepared, None
        return run_worker(run_id, prepared=prepared)

    def leave(self) -> None:
        self._stop_beating.set()
        with contextlib.suppress(Exception):
            self.store.drop_standby(self.pid, free_only=True)
        if self.log is not None:
            self.log.unlink(missing_ok=True)
        print(f"{_now()} standby {self.pid}: not needed any more; exiting", flush=True)


def _gpus_visible() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))  # (lists them without starting them)


def _now() -> str:
    return time.strftime("%H:%M:%S")


def _sleep_until_woken(seconds: float) -> None:
    """Sleep up to `seconds`, returning at once when jobs sends the wake-up signal (blocked, so it waits here)."""
    if WAKE is not None and hasattr(signal, "sigtimedwait"):
        signal.sigtimedwait([WAKE], seconds)
    else:  # (no signal to wait on: poll more often instead)
        time.sleep(min(seconds, 0.1))


def _log_to(run_log: Path, standby_log: Path | None) -> None:
    """Send this process's output (Python's and TensorFlow's own, fds 1 and 2) to the run's worker.log, after what
    it wrote while warming up."""
    run_log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(run_log, "ab") as out:
        if standby_log is not None:
            with contextlib.suppress(OSError):
                out.write(standby_log.read_bytes())
        out.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
    if standby_log is not None:
        standby_log.unlink(missing_ok=True)


def _quit(signum, frame) -> None:
    raise SystemExit(0)


def run_standby(log: Path | None = None) -> int:
    """Be a standby until a run comes (then train it) or nobody needs one; returns the exit status."""
    if WAKE is not None and hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, [WAKE])  # before any thread starts: only sigtimedwait takes it
    for name in ("SIGTERM", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _quit)
    standby = StandbyProcess(log)
    print(f"{_now()} standby {standby.pid} starts", flush=True)
    standby._beater.start()
    try:
        standby.warm()
        run_id = standby.wait()
    except SystemExit:
        run_id = None
    if run_id is None:
        standby.leave()
        return 0
    return standby.work(run_id)


def main(argv: list[str]) -> int:
    """`--standby [FOLDER]`: FOLDER/PID.log is where jobs sends this process's output until it gets a run."""
    return run_standby(Path(argv[1]) / f"{os.getpid()}.log" if len(argv) > 1 else None)
