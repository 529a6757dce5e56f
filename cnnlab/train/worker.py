"""`python -m cnnlab.worker RUN_ID`: one training run in its own process.

jobs.launch() starts this detached (new session), so it outlives the Streamlit script run, the browser
tab and even the server that started it. It owns the run while the store says status=running with its
pid; a background thread writes the heartbeat, the live batch metrics and the progress record at least
every 0.25 s (at once for the run's first batch point and a finished epoch) and notices stop requests.
SIGTERM / SIGINT / SIGUSR1 ask for a stop (within one batch). When it ends it starts the next queued run, so
the queue drains with no page open. A warm standby (cnnlab.train.standby) runs the same code for its run.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING

import cnnlab  # noqa: F401  (sets TF_ENABLE_ONEDNN_OPTS etc. before TensorFlow is imported)
from cnnlab.errors import CnnLabError
from cnnlab.runs import store as st
from cnnlab.train.config import ConfigError
from cnnlab.train.live import BrokenRun, Diverged, Live, LostOwnership, OutOfMemory, is_oom

if TYPE_CHECKING:  # pragma: no cover
    from cnnlab.train.trainer import Outcome, Trainer

WRITE_EVERY_S = 0.25  # the writer's longest interval: heartbeat, live rows and progress at least this often


class LiveWriter(threading.Thread):
    """Heartbeat + live metrics + progress + stop polling, on its own SQLite connection.

    It writes every `interval` seconds (the run's batch_metrics_every, at most WRITE_EVERY_S), and at once when
    the training loop calls `live.kick()` (the run's first batch point, a finished epoch's values)."""

    def __init__(self, run_id: str, live: Live, interval: float = WRITE_EVERY_S, store=None) -> None:
        super().__init__(name=f"live-{run_id}", daemon=True)
        self.run_id = run_id
        self.store = store  # the worker's store: this thread writes through its own connection (`for_thread`)
        self.live = live
        self.interval = max(0.05, min(interval or WRITE_EVERY_S, WRITE_EVERY_S))
        self.pid = os.getpid()
        self._done = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        store = self.store.for_thread() if self.store is not None else st.RunStore()
        try:
            while not self._done.is_set():
                self.live.wake.wait(self.interval)
                self.live.wake.clear()
                if self._done.is_set():
                    break
                if not self.tick(store):
                    return
            self.tick(store)  # final flush
        except BaseException as exc:  # (reported by the worker; training must not die with it)
            self.error = exc
        finally:
            store.close()

    def tick(self, store: st.RunStore) -> bool:
        """One write: returns False when this process no longer owns the run."""
        beat = store.beat(self.run_id, self.pid, self.live.drain(), self.live.progress())
        if not beat.owned:
            self.live.lost.set()
        if beat.stop_requested:
            self.live.request_stop()
        return beat.owned

    def stop(self) -> None:
        self._done.set()
        self.live.kick()
        self.join(timeout=30)


def run_worker(run_id: str, prepared: Trainer | None = None, store: st.RunStore | None = None) -> int:
    """Train one claimed run to its end state; returns the process exit status. A standby passes the trainer it
    prepared ahead (used only if it was made for the run's config: Trainer.adopt). A Ray task passes its store
    proxy (cnnlab.train.ray_runner.RemoteStore): the run store is then on another machine, the process is Ray's
    (its signals stay Ray's), and the store's side starts the next queued run."""
    remote = store is not None
    store = store if remote else st.RunStore()
    if not store.claim_for_worker(run_id, os.getpid()):
        print(f"run {run_id} is not waiting for this worker; nothing to do", flush=True)
        return 0
    run = store.get_run(run_id)
    live = Live()

    def ask_stop(signum, frame) -> None:
        live.request_stop()

    for name in ("SIGTERM", "SIGINT", "SIGUSR1"):
        if hasattr(signal, name) and not remote:
            signal.signal(getattr(signal, name), ask_stop)
    # the first progress record tells stop_run() that signals are handled from now on
    live.set_progress(phase="starting", epoch=run.epochs_done, epochs=run.epochs)
    writer = LiveWriter(run_id, live, float(run.config.get("batch_metrics_every") or WRITE_EVERY_S), store)
    writer.start()
    print(f"{time.strftime('%H:%M:%S')} worker {os.getpid()} starts run {run_id} (attempt {run.attempts})", flush=True)
    t0 = time.perf_counter()
    try:
        outcome, failure = _train(run, store, live, prepared)
    finally:
        writer.stop()
    if not live.lost.is_set():
        _record_end(store, run_id, live, outcome, failure, time.perf_counter() - t0)
    if not remote:
        _start_next()
    return 0


def _train(
    run: st.Run, store: st.RunStore, live: Live, prepared: Trainer | None = None
) -> tuple[Outcome | None, CnnLabError | None]:
    """Run the trainer; every way it can fail becomes an error with a sentence a user can read."""
    try:
        from cnnlab.train.devices import configure_compilation_cache, configure_devices, gpu_count, use_device
        from cnnlab.train.trainer import Trainer

        device = run.config.get("device", "auto")
        use_device(device)
        configure_compilation_cache()
        configure_devices(run.config.get("strategy", "default"))
        if device == "gpu" and gpu_count() == 0:
            how = {"gpu": "GPU", "setting": "device", "value": "gpu", "auto": "auto"}
            return None, BrokenRun("engine.run.no_gpu", host=socket.gethostname(), **how)
        if prepared is not None and prepared.adopt(run.id, store, live):
            return prepared.run(), None
        return Trainer(run.id, store, live).run(), None  # (layers are named by the spec: a second model is alike)
    except LostOwnership:
        print("another process took this run over (it was marked interrupted); quitting", flush=True)
        return None, None
    except (Diverged, OutOfMemory, BrokenRun) as exc:
        return None, exc
    except ConfigError as exc:
        return None, CnnLabError("engine.run.invalid_config", reason=exc)
    except BaseException as exc:  # (every failure becomes a status a user can read)
        traceback.print_exc()
        if is_oom(exc):
            return None, CnnLabError("engine.run.crashed_oom")
        if isinstance(exc, KeyboardInterrupt):
            return None, CnnLabError("engine.run.keyboard")
        return None, CnnLabError("engine.run.crashed", name=type(exc).__name__, detail=str(exc))


def _record_end(
    store: st.RunStore, run_id: str, live: Live, outcome: Outcome | None, failure: CnnLabError | None, elapsed: float
) -> None:
    """Write how the run ended (failed, stopped, finished), if this process still owns it."""
    pid = os.getpid()
    if failure is not None:
        print(f"run {run_id} failed: {failure}", flush=True)
        now = store.get_run(run_id)
        store.finish_run(
            run_id,
            pid,
            status=st.FAILED,
            reason=failure,
            final_metrics=st.summarize(store, run_id, now.epochs_done, now.state),
            progress={**live.progress(), "phase": "failed"},
        )
        return
    if outcome is None:
        return
    final = dict(outcome.final_metrics)
    status, reason = st.FINISHED, None
    if outcome.status == "stopped":
        status, reason = st.STOPPED, CnnLabError("engine.run.stopped")
    elif outcome.status == "early_stopped":
        final["early_stopped"] = True
        reason = CnnLabError("engine.run.early_stopping", epoch=outcome.epochs_done)
    elif outcome.status == "budget_reached":
        final["budget_reached"] = True
        reason = CnnLabError("engine.run.time_budget", seconds=f"{run_budget(store, run_id):g}",
                             epoch=outcome.epochs_done)  # fmt: skip
    store.finish_run(
        run_id,
        pid,
        status=status,
        reason=reason,
        final_metrics=final,
        evaluation=outcome.evaluation or None,
        progress={**live.progress(), "phase": "done", "elapsed_s": round(elapsed, 1)},
    )
    print(f"run {run_id} {status} in {elapsed:.1f}s: {final}", flush=True)


def run_budget(store: st.RunStore, run_id: str) -> float:
    """The run's time budget in seconds (its config's time_budget_s)."""
    return float(store.get_run(run_id).config.get("time_budget_s") or 0.0)


def _start_next() -> None:
    try:
        from cnnlab.runs import jobs

        jobs.reconcile()
    except Exception:  # (the next poll of any page or CLI starts it instead)
        traceback.print_exc()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m cnnlab.worker RUN_ID", file=sys.stderr)
        return 2
    return run_worker(args[0])


if __name__ == "__main__":
    sys.exit(main())
