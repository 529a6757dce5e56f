"""`python -m cnnlab.worker RUN_ID`: one training run in its own process.

jobs.launch() starts this detached (new session), so it outlives the Streamlit script run, the browser
tab and even the server that started it. It owns the run while the store says status=running with its
pid; a background thread writes the heartbeat, the live batch metrics and the progress record every
half second and notices stop requests. SIGTERM / SIGINT / SIGUSR1 ask for a stop (within one batch).
When it ends it starts the next queued run, so the queue drains with no page open.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback

import cnnlab  # noqa: F401  (sets TF_ENABLE_ONEDNN_OPTS etc. before TensorFlow is imported)
from cnnlab.runs import store as st
from cnnlab.train.config import ConfigError
from cnnlab.train.live import Diverged, Live, LostOwnership, OutOfMemory, is_oom

HEARTBEAT_S = 1.0


class LiveWriter(threading.Thread):
    """Heartbeat + live metrics + progress + stop polling, on its own SQLite connection."""

    def __init__(self, run_id: str, live: Live, interval: float = 0.5) -> None:
        super().__init__(name=f"live-{run_id}", daemon=True)
        self.run_id = run_id
        self.live = live
        self.interval = max(0.05, min(interval or HEARTBEAT_S, HEARTBEAT_S))
        self.pid = os.getpid()
        self._done = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        store = st.RunStore()
        try:
            while not self._done.wait(self.interval):
                if not self.tick(store):
                    return
            self.tick(store)  # final flush
        except BaseException as exc:  # (reported by the worker; training must not die with it)
            self.error = exc
        finally:
            store.close()

    def tick(self, store: st.RunStore) -> bool:
        """One write: returns False when this process no longer owns the run."""
        rows = self.live.drain()
        progress = self.live.progress()
        with store.write() as c:
            row = c.execute("SELECT status, pid, stop_requested FROM runs WHERE id = ?", (self.run_id,)).fetchone()
            if row is None or row["status"] != st.RUNNING or row["pid"] != self.pid:
                self.live.lost.set()
                self.live.request_stop()
                return False
            if row["stop_requested"]:
                self.live.request_stop()
            store.add_metrics(rows, conn=c)
            if progress:
                c.execute(
                    "UPDATE runs SET heartbeat = ?, progress = ? WHERE id = ?",
                    (time.time(), st._dumps(progress), self.run_id),
                )
            else:
                c.execute("UPDATE runs SET heartbeat = ? WHERE id = ?", (time.time(), self.run_id))
        return True

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=30)


def _finish(store: st.RunStore, run_id: str, **fields) -> bool:
    """Write the end state only if this process still owns the run."""
    pid = os.getpid()
    fields.setdefault("finished", time.time())
    names = list(fields)
    values = [st._dumps(v) if k in st._JSON_COLUMNS and v is not None else v for k, v in fields.items()]
    with store.write() as c:
        return (
            c.execute(
                f"UPDATE runs SET {', '.join(f'{k} = ?' for k in names)} WHERE id = ? AND status = ? AND pid = ?",
                [*values, run_id, st.RUNNING, pid],
            ).rowcount
            > 0
        )


def _claim(store: st.RunStore, run_id: str) -> bool:
    now = time.time()
    with store.write() as c:
        return (
            c.execute(
                "UPDATE runs SET pid = ?, heartbeat = ?, started = COALESCE(started, ?)"
                " WHERE id = ? AND status = ? AND (pid IS NULL OR pid = ?)",
                (os.getpid(), now, now, run_id, st.RUNNING, os.getpid()),
            ).rowcount
            > 0
        )


def run_worker(run_id: str) -> int:
    """Train one claimed run to its end state; returns the process exit status."""
    store = st.RunStore()
    if not _claim(store, run_id):
        print(f"run {run_id} is not waiting for this worker; nothing to do", flush=True)
        return 0
    run = store.get_run(run_id)
    live = Live()

    def ask_stop(signum, frame) -> None:
        live.request_stop()

    for name in ("SIGTERM", "SIGINT", "SIGUSR1"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), ask_stop)
    # the first progress record tells stop_run() that signals are handled from now on
    live.set_progress(phase="starting", epoch=run.epochs_done, epochs=run.epochs)
    writer = LiveWriter(run_id, live, float(run.config.get("batch_metrics_every", 0.5) or HEARTBEAT_S))
    writer.start()

    print(f"{time.strftime('%H:%M:%S')} worker {os.getpid()} starts run {run_id} (attempt {run.attempts})", flush=True)
    t0 = time.perf_counter()
    outcome = None
    failure: str | None = None
    try:
        from cnnlab.train.devices import configure_compilation_cache, configure_devices
        from cnnlab.train.trainer import Trainer

        configure_compilation_cache()
        configure_devices(run.config.get("strategy", "default"))
        trainer = Trainer(run_id, store, live)
        outcome = trainer.run()
    except LostOwnership:
        print("another process took this run over (it was marked interrupted); quitting", flush=True)
    except (Diverged, OutOfMemory) as exc:
        failure = str(exc)
    except ConfigError as exc:
        failure = f"invalid configuration: {exc}"
    except BaseException as exc:  # (every failure becomes a status a user can read)
        traceback.print_exc()
        if is_oom(exc):
            failure = (
                "out of memory: the batch or the network is too large for this machine; "
                "lower the batch size or use a smaller network"
            )
        elif isinstance(exc, KeyboardInterrupt):
            failure = "interrupted by the keyboard"
        else:
            failure = f"{type(exc).__name__}: {exc}"
    finally:
        writer.stop()
    if live.lost.is_set():
        return 0
    elapsed = time.perf_counter() - t0
    if failure is not None:
        print(f"run {run_id} failed: {failure}", flush=True)
        now = store.get_run(run_id)
        _finish(
            store,
            run_id,
            status=st.FAILED,
            reason=failure,
            final_metrics=st.summarize(store, run_id, now.epochs_done, now.state),
            progress={**live.progress(), "phase": "failed"},
        )
    elif outcome is not None:
        final = dict(outcome.final_metrics)
        if outcome.status == "stopped":
            status, reason = st.STOPPED, "stopped on request"
        else:
            status, reason = st.FINISHED, None
            if outcome.status == "early_stopped":
                final["early_stopped"] = True
                reason = f"early stopping after epoch {outcome.epochs_done}"
        _finish(
            store,
            run_id,
            status=status,
            reason=reason,
            final_metrics=final,
            evaluation=outcome.evaluation or None,
            progress={**live.progress(), "phase": "done", "elapsed_s": round(elapsed, 1)},
        )
        print(f"run {run_id} {status} in {elapsed:.1f}s: {final}", flush=True)
    _start_next()
    return 0


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
