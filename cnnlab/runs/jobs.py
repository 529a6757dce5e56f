"""Training runs as jobs: start, stop, resume, delete, wait, and `reconcile()` (there is no queue daemon).

Whoever touches runs (a page poll, the CLI, start_run, a finishing worker) calls `reconcile()`: it marks
runs whose worker died (dead pid or stale heartbeat) as interrupted, then starts queued runs while fewer
than `max_running()` train. Claiming a queued run happens in one BEGIN IMMEDIATE transaction, so two
processes reconciling at once never start the same run twice or over-fill the slots.

A claimed run goes to a warm standby worker when one is free (see "Standby" below), else to a new worker.
Workers are started with subprocess.Popen([python, -m, cnnlab.worker, RUN_ID], start_new_session=True):
a fresh interpreter (a spawn, nothing inherited but the environment) in its own session, so neither a
Streamlit rerun, a closed tab, a stopped server nor Ctrl-C in the terminal that started it ends it.
multiprocessing's spawn context was not used because its children belong to the parent (joined or
terminated when the parent exits) and it re-imports the parent's __main__, which under Streamlit is the
server itself.

Standby: a process that starts a worker pays 6-8 s (TensorFlow import, model build, train-step trace) before the
first batch. `ensure_standby()` (the Streamlit server calls it) keeps one warm worker per data home waiting
(cnnlab/train/standby.py): `reconcile` hands it the next claimed run (its pid becomes the run's pid) and wakes it
with SIGUSR2; it trains that one run and exits, and the next reconcile (the finishing worker's own) starts a
fresh one. Standbys are rows of the store's `standby` table with a heartbeat: a dead or silent one is removed
and replaced; one nobody has wanted for `standby_idle_limit()` seconds (the server that kept it is gone) exits
by itself. CNNLAB_STANDBY=0 turns all of it off (no standby started, none used).

This module never imports TensorFlow: pages call it on every poll.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from cnnlab.errors import CnnLabError
from cnnlab.fsutil import remove_orphaned_temp_files
from cnnlab.runs import runners, studies
from cnnlab.runs import store as st
from cnnlab.runs.store import open_store, status_word

DEFAULT_STALE_AFTER_S = 30.0  # heartbeat age that means "dead" (workers beat every second)
LAUNCH_GRACE_S = 120.0  # a claimed run whose worker has not reported a pid yet
DEFAULT_MAX_RUNNING = 1
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the cnnlab package
DEFAULT_STANDBY_IDLE_S = 300.0  # a standby nobody has wanted for this long exits (CNNLAB_STANDBY_IDLE_S)
KEEP_STANDBY_EVERY_S = 20.0  # how often ensure_standby's thread says "wanted" and checks on the standby
WANTED = "standby_wanted"  # setting: when a process keeping a standby last said so (time.time())

_children: dict[int, subprocess.Popen] = {}
_children_lock = threading.Lock()
_keepers: dict[Path, tuple[threading.Thread, threading.Event]] = {}  # run store file -> its keeper thread


class JobError(CnnLabError, RuntimeError):
    """A run cannot do what was asked (e.g. resume a finished run); the message says why."""


@dataclass
class Reconciled:
    interrupted: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- capacity


def max_running(store: st.RunStore | None = None) -> int:
    """How many runs may train at once: CNNLAB_MAX_RUNNING, else the stored setting, else 1."""
    env = os.environ.get("CNNLAB_MAX_RUNNING")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    return max(1, int(open_store(store).get_setting("max_running", DEFAULT_MAX_RUNNING)))


def set_max_running(n: int, store: st.RunStore | None = None) -> None:
    if not isinstance(n, int) or n < 1:
        raise JobError("engine.job.bad_max_running", value=repr(n))
    open_store(store).set_setting("max_running", n)


# ---------------------------------------------------------------- processes


def pid_alive(pid: int | None) -> bool:
    """Whether `pid` is a live (not zombie) CNN Lab worker on this machine (a reused pid is not one)."""
    if not pid:
        return False
    with _children_lock:
        child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        proc = psutil.Process(pid)
        if proc.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return False
        return any("cnnlab.worker" in part for part in proc.cmdline())
    except psutil.AccessDenied:
        return True  # someone else's process: it exists, and we cannot tell what it runs
    except psutil.Error:  # NoSuchProcess, ZombieProcess
        return False


def stale_after() -> float:
    """Seconds without a heartbeat after which a worker counts as dead (CNNLAB_STALE_AFTER overrides)."""
    try:
        return float(os.environ.get("CNNLAB_STALE_AFTER", DEFAULT_STALE_AFTER_S))
    except ValueError:
        return DEFAULT_STALE_AFTER_S


def worker_alive(run: st.Run, now: float | None = None) -> bool:
    """A running run's worker is alive: its pid lives (same host) and its heartbeat is recent."""
    now = time.time() if now is None else now
    age = now - (run.heartbeat or 0)
    if run.pid is None:
        return age < LAUNCH_GRACE_S
    if run.host and run.host != socket.gethostname():
        return age < stale_after()
    return pid_alive(run.pid) and age < stale_after()


def launch(run_id: str, store: st.RunStore | None = None) -> int:
    """Start the worker process for a claimed run; returns its pid."""
    store = open_store(store)
    folder = store.run_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    proc = _start_process([run_id], folder / "worker.log", store.home)
    store.set_worker_pid(run_id, proc.pid)
    return proc.pid


def _start_process(args: list[str], log_path: Path, home: Path) -> subprocess.Popen:
    """`python -m cnnlab.worker ARGS`, detached in its own session, output appended to `log_path`."""
    env = os.environ.copy()
    env["CNNLAB_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    kwargs: dict[str, Any] = {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cnnlab.worker", *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            close_fds=True,
            **kwargs,
        )
    with _children_lock:
        _children[proc.pid] = proc
    # reap it when it exits, so a long-lived parent (the Streamlit server) keeps no zombies
    threading.Thread(target=_reap, args=(proc,), daemon=True, name=f"reap-{proc.pid}").start()
    return proc


def _reap(proc: subprocess.Popen) -> None:
    proc.wait()


# ---------------------------------------------------------------- reconcile


def reconcile(store: st.RunStore | None = None) -> Reconciled:
    """Mark dead workers' runs interrupted, then start queued runs while slots are free. Cheap; call often."""
    store = open_store(store)
    result = Reconciled()
    now = time.time()
    for run in store.list_runs([st.RUNNING]):
        if worker_alive(run, now):
            continue
        status, reason = _why_dead(store, run, now)
        if store.mark_ended(run, status, reason, now):
            result.interrupted.append(run.id)
    for run_id in studies.interrupted_in_active_studies(store):  # a study goes on after a crash, by itself
        if store.update_run(run_id, expect_status=[st.INTERRUPTED], status=st.QUEUED, reason=None, finished=None,
                            stop_requested=None, pid=None):  # fmt: skip
            remove_orphaned_temp_files(store.run_dir(run_id))
    if store.count(st.QUEUED):  # the common case of a page poll: none, and no write transaction at all
        _start_queued(store, result)
    if standby_enabled() and standby_wanted(store):
        keep_standby(store)
    return result


def _start_queued(store: st.RunStore, result: Reconciled) -> None:
    limit = max_running(store)
    ray = runners.ray_runner() if runners.selected() == runners.RAY else None  # (says what to install, if missing)
    while True:
        run = store.claim_next(limit)
        if run is None:
            break
        try:
            if ray is not None:
                ray.launch(run.id, store)
            elif not _hand_to_standby(run, store):
                launch(run.id, store)
        except CnnLabError as exc:  # (the Ray cluster cannot be reached)
            store.update_run(run.id, expect_status=[st.RUNNING], status=st.FAILED, reason=exc)
            continue
        except OSError as exc:
            reason = CnnLabError("engine.run.cannot_start", detail=str(exc))
            store.update_run(run.id, expect_status=[st.RUNNING], status=st.FAILED, reason=reason)
            continue
        result.started.append(run.id)


def _why_dead(store: st.RunStore, run: st.Run, now: float) -> tuple[str, CnnLabError]:
    """The end state and reason of a running run whose worker is gone or silent."""
    local = not run.host or run.host == socket.gethostname()
    if run.pid is None:
        return st.INTERRUPTED, CnnLabError("engine.run.never_started")
    if local and not pid_alive(run.pid):
        if _log_says_out_of_memory(store, run.id):
            return st.FAILED, CnnLabError("engine.run.worker_oom")
        return st.INTERRUPTED, CnnLabError("engine.run.worker_died", pid=run.pid)
    silent = f"{now - (run.heartbeat or 0):.0f}"
    return st.INTERRUPTED, CnnLabError("engine.run.no_heartbeat", pid=run.pid, seconds=silent)


OOM_MARKERS = ("std::bad_alloc", "Resource exhausted", "OOM when allocating", "MemoryError", "Cannot allocate memory")


def _log_says_out_of_memory(store: st.RunStore, run_id: str) -> bool:
    """Whether a dead worker's last words were an allocation failure (CPU TensorFlow may crash on one)."""
    try:
        with open(store.run_dir(run_id) / "worker.log", "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 8192))
            tail = fh.read().decode("utf-8", "replace")
    except OSError:
        return False
    last_start = tail.rfind(" starts run ")  # only this attempt's output counts
    return any(m in tail[last_start:] for m in OOM_MARKERS)


# ---------------------------------------------------------------- the warm standby worker


def standby_enabled() -> bool:
    """Whether this process starts and uses standby workers (CNNLAB_STANDBY=0 turns them off; the Ray runner has
    none: its runs train on the cluster)."""
    if runners.selected() != runners.LOCAL:
        return False
    return os.environ.get("CNNLAB_STANDBY", "1").strip().lower() not in ("0", "false", "no", "off")


def standby_idle_limit() -> float:
    """Seconds a standby waits without anybody wanting one before it exits (CNNLAB_STANDBY_IDLE_S overrides)."""
    try:
        return float(os.environ.get("CNNLAB_STANDBY_IDLE_S", DEFAULT_STANDBY_IDLE_S))
    except ValueError:
        return DEFAULT_STANDBY_IDLE_S


def standby_wanted(store: st.RunStore) -> bool:
    """Whether some process said recently that it wants a standby kept for this data home."""
    return time.time() - float(store.get_setting(WANTED, 0) or 0) < standby_idle_limit()


def ensure_standby(store: st.RunStore | None = None) -> None:
    """Keep a warm standby worker for this data home while this process lives: the Streamlit server calls it (any
    number of times; after the first it returns at once). A thread says "wanted" every KEEP_STANDBY_EVERY_S
    seconds and replaces a dead standby; `stop_standby` ends it. Does nothing with CNNLAB_STANDBY=0."""
    if not standby_enabled():
        return
    store = open_store(store)
    key = store.path.resolve()
    with _children_lock:
        if key in _keepers and _keepers[key][0].is_alive():
            return
        stop = threading.Event()
        thread = threading.Thread(target=_keep, args=(store.home, key, stop), daemon=True, name="standby-keeper")
        _keepers[key] = (thread, stop)
    thread.start()


def _keep(home: Path, path: Path, stop: threading.Event) -> None:
    store = st.RunStore(path)
    store.home = home  # (the data home of the process that asked, whatever CNNLAB_HOME says later)
    try:
        while not stop.is_set():
            try:
                store.set_setting(WANTED, time.time())
                keep_standby(store)
            except Exception:  # (a store busy for a minute, a full process table: the next round tries again)
                traceback.print_exc()
            stop.wait(KEEP_STANDBY_EVERY_S)
    finally:
        store.close()


def stop_standby(store: st.RunStore | None = None) -> list[int]:
    """Stop keeping a standby for this data home and end the free ones (a server shutting down, tests); returns
    the pids told to exit. A standby already handed a run trains it to the end."""
    store = open_store(store)
    with _children_lock:
        keeper = _keepers.pop(store.path.resolve(), None)
    if keeper is not None:
        keeper[1].set()
        keeper[0].join(timeout=30)
    store.set_setting(WANTED, 0)
    ended = []
    for standby in store.standbys():
        if store.drop_standby(standby.pid, free_only=True) and pid_alive(standby.pid):
            with contextlib.suppress(OSError):
                os.kill(standby.pid, signal.SIGTERM)
                ended.append(standby.pid)
    return ended


def keep_standby(store: st.RunStore | None = None) -> int | None:
    """Remove dead or silent standbys and start one when none is free and a run could use it now (fewer runs
    train than `max_running`); returns the pid of a free standby (possibly still warming up), else None."""
    store = open_store(store)
    free = free_standbys(store)
    if free:
        return free[0].pid
    if store.count(st.RUNNING) >= max_running(store):
        return None  # it would only slow the training runs down; the run that ends next starts one
    return store.add_standby(time.time() - stale_after(), lambda: _spawn_standby(store.home))


def free_standbys(store: st.RunStore) -> list[st.Standby]:
    """This host's live standbys without a run, idle ones first; dead or silent ones are removed on the way."""
    now, free = time.time(), []
    for standby in store.standbys():
        if pid_alive(standby.pid) and now - standby.heartbeat < stale_after():
            if standby.run_id is None:
                free.append(standby)
        elif store.drop_standby(standby.pid, heartbeat=standby.heartbeat):
            (store.home / "standby" / f"{standby.pid}.log").unlink(missing_ok=True)
    return free


def _spawn_standby(home: Path) -> int:
    folder = home / "standby"
    folder.mkdir(parents=True, exist_ok=True)
    starting = folder / f"starting-{os.getpid()}-{threading.get_ident()}.log"
    proc = _start_process(["--standby", str(folder)], starting, home)
    os.replace(starting, folder / f"{proc.pid}.log")  # the name the standby knows its log by
    return proc.pid


def _hand_to_standby(run: st.Run, store: st.RunStore) -> bool:
    """Give a just-claimed run to a free standby (not for mirrored runs: their devices are set before TensorFlow
    starts). An idle one is woken at once; one still warming up looks for its run when it is ready."""
    if not standby_enabled() or run.config.get("strategy", "default") != "default":
        return False
    for standby in free_standbys(store):
        if store.assign_standby(standby.pid, run.id):
            if standby.state == "idle" and hasattr(signal, "SIGUSR2"):  # (warming: it may not catch it yet)
                with contextlib.suppress(OSError):
                    os.kill(standby.pid, signal.SIGUSR2)
            return True
    return False


# ---------------------------------------------------------------- the public API


def stop_run(run_ref: str, store: st.RunStore | None = None) -> st.Run:
    """Ask a run to stop: a queued run stops at once; a running one ends within one batch (keeps its checkpoint)."""
    store = open_store(store)
    run = store.find_run(run_ref)
    now = time.time()
    if run.status == st.QUEUED:
        if store.update_run(
            run.id,
            expect_status=[st.QUEUED],
            status=st.STOPPED,
            reason=CnnLabError("engine.run.stopped_early"),
            finished=now,
        ):
            return store.get_run(run.id)
        run = store.get_run(run.id)
    if run.status != st.RUNNING:
        raise JobError("engine.job.cannot_stop", run=run.id, status=status_word(run.status))
    store.update_run(run.id, expect_status=[st.RUNNING], stop_requested=now)
    local = not run.host or run.host == socket.gethostname()
    handles_signals = bool(run.progress.get("phase"))  # before its first progress record SIGUSR1 would kill it
    if hasattr(signal, "SIGUSR1") and handles_signals and run.pid and local and pid_alive(run.pid):
        with contextlib.suppress(OSError):
            os.kill(run.pid, signal.SIGUSR1)  # at once; the stored request covers a worker that misses it
    return store.get_run(run.id)


def resume_run(run_ref: str, store: st.RunStore | None = None) -> st.Run:
    """Queue a stopped or interrupted run again; it continues from its last completed epoch."""
    store = open_store(store)
    reconcile(store)
    run = store.find_run(run_ref)
    if run.status not in st.RESUMABLE:
        key = "engine.job.cannot_resume_active" if run.active else "engine.job.cannot_resume"
        raise JobError(key, run=run.id, status=status_word(run.status))
    if not store.update_run(
        run.id,
        expect_status=list(st.RESUMABLE),
        status=st.QUEUED,
        reason=None,
        finished=None,
        stop_requested=None,
        pid=None,
    ):
        raise JobError("engine.job.changed", run=run.id)
    remove_orphaned_temp_files(store.run_dir(run.id))
    reconcile(store)
    return store.get_run(run.id)


def delete_run(run_ref: str, store: st.RunStore | None = None) -> None:
    """Delete a run and its files. A run still training must be stopped first."""
    store = open_store(store)
    reconcile(store)
    run = store.find_run(run_ref)
    if run.status == st.RUNNING:
        raise JobError("engine.job.still_training", run=run.id)
    store.delete_run(run.id)
    shutil.rmtree(store.run_dir(run.id), ignore_errors=True)


def wait_for(
    run_ref: str,
    *,
    timeout: float | None = None,
    poll: float = 0.5,
    store: st.RunStore | None = None,
    on_update=None,
) -> st.Run:
    """Block until the run reaches a final state (reconciling as it goes, so a dead worker is noticed)."""
    store = open_store(store)
    run = store.find_run(run_ref)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        reconcile(store)
        run = store.get_run(run.id)
        if on_update is not None:
            on_update(run)
        if run.status in st.TERMINAL:
            return run
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"run {run.id} is still {run.status} after {timeout:.0f}s")
        time.sleep(poll)


def poll(store: st.RunStore | None = None) -> list[st.Run]:
    """What a page does every second: reconcile, then list runs (no TensorFlow, a few SQLite reads)."""
    store = open_store(store)
    reconcile(store)
    return store.list_runs()
