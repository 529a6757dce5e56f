"""The Ray job runner: a run is a Ray task anywhere on a Ray cluster, running the same worker code as a local
worker process (cnnlab.train.worker.run_worker), with a store proxy instead of the SQLite file.

    app's machine                                     any node of the cluster
    ------------------------------------------        -------------------------------------------
    run store (SQLite) + run folders                  Ray task: run_worker(run_id, store=RemoteStore)
    StoreKeeper actor (one per store, detached,  <--  beat / commit_epoch (+ checkpoint bytes) /
      pinned to this node): the real RunStore          finish_run / artifact (+ bytes on resume) ...

Only the keeper opens the SQLite file and the run folders. The worker writes its files (checkpoints, kernels,
TensorBoard) in a node-local scratch folder (<its CNNLAB_HOME>/ray-scratch/RUN) and the proxy ships them as bytes
with the call that makes them count; files it reads (the last checkpoint on resume, the best model, an init model,
extra training data) come back through the keeper. Stop is the stored request that `beat` returns, as for local
workers; a lost node or a killed task leaves the run's heartbeat to go stale, and reconcile marks it interrupted
(the run's host is "ray:...", so it is judged by heartbeat alone). The keeper owns the tasks it starts, so they
outlive the process that asked (a Streamlit server, a CLI); after each run it reconciles, which starts the next
queued run even with no page open. Each task runs in a fresh Ray worker process (max_calls=1): a run leaves no
TensorFlow state behind.

Settings: RAY_ADDRESS (else a Ray instance on this machine, started if none runs), CNNLAB_RAY_CPUS (per run,
default 1), CNNLAB_RAY_GPUS (per run, default 0). This module imports Ray only when it is used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

from cnnlab import paths
from cnnlab.errors import CnnLabError
from cnnlab.fsutil import atomic_write
from cnnlab.runs import store as st
from cnnlab.runs.records import Artifact
from cnnlab.runs.runners import RAY_HOST_PREFIX
from cnnlab.train.checkpoints import promote_staged_best, staged_best_path

NAMESPACE = "cnnlab"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the cnnlab package, shipped to the nodes (job_runtime_env)
# the settings the keeper's reconcile and the tasks it starts go by, taken from the process that started it
PASSED_ENV = ("CNNLAB_MAX_RUNNING", "CNNLAB_STALE_AFTER", "CNNLAB_RAY_CPUS", "CNNLAB_RAY_GPUS")
INPUT_FILES = ("init_model_path", "extra_data")  # config entries naming a file on the app's machine


# ---------------------------------------------------------------- the app's side


def connect() -> None:
    """Join the Ray cluster at RAY_ADDRESS (or this machine's, started if none runs), once per process."""
    import ray

    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS", "")
    if not reachable(address):  # ray.init would wait a minute or more for an address where nothing listens
        how = {"setting": "RAY_ADDRESS", "command": "ray start --head"}
        raise CnnLabError("engine.runner.no_cluster", detail=f"nothing answers at {address}", **how)
    try:
        ray.init(namespace=NAMESPACE, log_to_driver=False, runtime_env=job_runtime_env())
    except Exception as exc:  # (a wrong address, a head node that is down)
        detail, how = f"{type(exc).__name__}: {exc}", {"setting": "RAY_ADDRESS", "command": "ray start --head"}
        raise CnnLabError("engine.runner.no_cluster", detail=detail, **how) from None


REACH_TIMEOUT_S = 3.0


def reachable(address: str) -> bool:
    """Whether something listens at a RAY_ADDRESS of the form host:port (or ray://host:port); other forms ("auto",
    none) are left to Ray."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return True
    try:
        socket.create_connection((host, int(port)), timeout=REACH_TIMEOUT_S).close()
    except OSError:
        return False
    return True


def job_runtime_env(env_vars: dict[str, str] | None = None) -> dict[str, Any]:
    """What the app's Ray job gives every process it starts on the cluster: this cnnlab package's code (uploaded
    once, so nodes need CNN Lab's requirements but no checkout of it) and any `env_vars`."""
    return {"py_modules": [str(PACKAGE_DIR)], **({"env_vars": env_vars} if env_vars else {})}


def keeper_name(store: st.RunStore) -> str:
    return "cnnlab-store-" + hashlib.sha1(str(store.path.resolve()).encode()).hexdigest()[:12]


def keeper(store: st.RunStore):
    """The store's keeper actor, started on this node if it is not running yet."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    connect()
    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    actor = ray.remote(StoreKeeper).options(
        name=keeper_name(store), namespace=NAMESPACE, get_if_exists=True, lifetime="detached",
        num_cpus=0, scheduling_strategy=here,
    )  # fmt: skip
    return actor.remote(str(store.path), str(store.home), env)


def launch(run_id: str, store: st.RunStore) -> None:
    """The Ray runner's launch: hand a claimed run to the keeper, which starts its task (not waited for)."""
    store.update_run(run_id, expect_status=[st.RUNNING], host=f"{RAY_HOST_PREFIX}waiting")
    keeper(store).launch.remote(run_id)


class StoreKeeper:
    """The one Ray actor that holds the real RunStore: every worker's store call arrives here (one at a time)."""

    def __init__(self, path: str, home: str, env: dict[str, str]) -> None:
        os.environ.update(env)
        os.environ["CNNLAB_RUNNER"] = "ray"  # (its reconcile starts queued runs as Ray tasks)
        self.store = st.RunStore(path)
        self.store.home = Path(home)

    def launch(self, run_id: str) -> None:
        import ray

        me = ray.get_runtime_context().current_actor
        cpus, gpus = task_resources(self.store.get_run(run_id).config)
        task = ray.remote(max_calls=1, max_retries=0)(train_task).options(num_cpus=cpus, num_gpus=gpus)
        task.remote(run_id, me)

    def _path(self, run_id: str, rel: str) -> Path:
        folder = self.store.run_dir(run_id).resolve()
        path = (folder / rel).resolve()
        if not path.is_relative_to(folder):
            raise ValueError(f"{rel} is not inside run {run_id}'s folder")
        return path

    def _write(self, run_id: str, files: dict[str, bytes]) -> None:
        for rel, data in files.items():
            atomic_write(self._path(run_id, rel), lambda tmp, data=data: tmp.write_bytes(data))

    # ------------------------------------------------------------ the store calls a worker makes

    def claim_for_worker(self, run_id: str, pid: int, node: str) -> bool:
        ok = self.store.claim_for_worker(run_id, pid)
        if ok:
            self.store.update_run(run_id, host=f"{RAY_HOST_PREFIX}{node}")
        return ok

    def get_run(self, run_id: str) -> st.Run:
        return self.store.get_run(run_id)

    def beat(self, run_id: str, pid: int, rows: list[tuple], progress: dict[str, Any] | None) -> st.Beat:
        return self.store.beat(run_id, pid, rows, progress)

    def commit_epoch(self, run_id: str, pid: int, commit: st.EpochCommit, files: dict[str, bytes]) -> bool:
        """The worker's epoch with its files (paths relative to the run folder): files first, then the one
        transaction, then the staged best model promoted and older checkpoints removed, as the worker does."""
        self._write(run_id, files)
        at = {name: self._path(run_id, str(getattr(commit, name))) if getattr(commit, name) else None
              for name in ("last_model", "best_model", "kernels")}  # fmt: skip
        if not self.store.commit_epoch(run_id, pid, replace(commit, **at)):
            return False
        if at["best_model"] is not None:
            staged = staged_best_path(at["best_model"], commit.epoch)
            if staged.is_file():
                promote_staged_best(staged, at["best_model"])
        for old in (self.store.run_dir(run_id) / "checkpoints").glob("last-e*.keras"):
            if old != at["last_model"]:
                old.unlink(missing_ok=True)
        return True

    def add_artifact(self, run_id: str, kind: str, rel: str, files: dict[str, bytes], epoch: int | None) -> None:
        self._write(run_id, files)
        self.store.add_artifact(run_id, kind, self._path(run_id, rel), epoch=epoch)

    def put_files(self, run_id: str, files: dict[str, bytes]) -> None:
        self._write(run_id, files)

    def artifact(self, run_id: str, kind: str) -> tuple[Artifact, str] | None:
        """The newest artifact of a kind and its path relative to the run folder."""
        found = self.store.artifact(run_id, kind)
        if found is None:
            return None
        folder = self.store.run_dir(run_id).resolve()
        return found, found.path.resolve().relative_to(folder).as_posix()

    def read(self, run_id: str, rel: str | None = None, config_key: str | None = None) -> bytes | None:
        """A file of the run's folder, or the input file its config names under `config_key`; None if missing."""
        if config_key is not None:
            path = Path(self.store.get_run(run_id).config[config_key]) if config_key in INPUT_FILES else Path()
        else:
            path = self._path(run_id, rel or "")
        return path.read_bytes() if path.is_file() else None

    def delete_metrics_after(self, run_id: str, epoch: int) -> int:
        return self.store.delete_metrics_after(run_id, epoch)

    def record_test_metrics(self, run_id: str, epochs_done: int, rows: list[tuple]) -> None:
        self.store.record_test_metrics(run_id, epochs_done, rows)

    def epoch_table(self, run_id: str) -> list[dict[str, Any]]:
        return self.store.epoch_table(run_id)

    def finish_run(self, run_id: str, pid: int, files: dict[str, bytes], fields: dict[str, Any]) -> bool:
        self._write(run_id, files)
        ok = self.store.finish_run(run_id, pid, **fields)
        from cnnlab.runs import jobs

        jobs.reconcile(self.store)  # the next queued run starts now, page or no page
        return ok


# ---------------------------------------------------------------- the worker's side


def task_resources(config: dict[str, Any]) -> tuple[float, float]:
    """(CPUs, GPUs) a run's Ray task asks for: CNNLAB_RAY_CPUS / CNNLAB_RAY_GPUS, and one GPU at least for a run
    whose config says device "gpu" (none for "cpu"): Ray then starts it only on a node that has one."""
    cpus, gpus = float(os.environ.get("CNNLAB_RAY_CPUS", "1")), float(os.environ.get("CNNLAB_RAY_GPUS", "0"))
    device = config.get("device", "auto")
    return cpus, max(gpus, 1.0) if device == "gpu" else 0.0 if device == "cpu" else gpus


def train_task(run_id: str, keeper) -> int:
    """A run as a Ray task: the worker's own code, with the store behind the keeper."""
    from cnnlab.train.worker import run_worker

    store = RemoteStore(keeper, paths.data_home() / "ray-scratch")
    try:
        return run_worker(run_id, store=store)
    finally:
        shutil.rmtree(store.run_dir(run_id), ignore_errors=True)  # everything that counts is on the app's side


class RemoteStore:
    """The RunStore calls a worker makes (cnnlab.train.worker, trainer, checkpoints), sent to the keeper; the run's
    folder is a node-local scratch folder whose files travel with the calls. Thread-safe: one for all threads."""

    def __init__(self, keeper, scratch: Path) -> None:
        self.keeper = keeper
        self.scratch = Path(scratch)
        self.synced: set[Path] = set()  # folders written as they go (TensorBoard): shipped with every commit

    def _call(self, method: str, *args: Any) -> Any:
        import ray

        return ray.get(getattr(self.keeper, method).remote(*args))

    def for_thread(self) -> RemoteStore:
        return self

    def close(self) -> None:
        pass

    def run_dir(self, run_id: str) -> Path:
        return self.scratch / run_id

    def _rel(self, run_id: str, path: Path) -> str:
        return Path(path).resolve().relative_to(self.run_dir(run_id).resolve()).as_posix()

    def _files(self, run_id: str, *paths_: Path | None) -> dict[str, bytes]:
        """The given files and everything in the synced folders, by path relative to the run folder."""
        found = [p for p in paths_ if p is not None and Path(p).is_file()]
        found += [f for folder in self.synced for f in folder.rglob("*") if f.is_file()]
        return {self._rel(run_id, f): f.read_bytes() for f in found}

    def claim_for_worker(self, run_id: str, pid: int) -> bool:
        import ray

        context = ray.get_runtime_context()
        node = f"{ray.util.get_node_ip_address()}/{context.get_node_id()[:8]}"
        return self._call("claim_for_worker", run_id, pid, node)

    def get_run(self, run_id: str) -> st.Run:
        """The run, its config's input files (an init model, extra data) fetched into the scratch folder."""
        run = self._call("get_run", run_id)
        config = dict(run.config)
        for key in INPUT_FILES:
            if config.get(key):
                local = self.run_dir(run_id) / "inputs" / key / Path(config[key]).name
                if not local.is_file():
                    data = self._call("read", run_id, None, key)
                    if data is not None:
                        atomic_write(local, lambda tmp, data=data: tmp.write_bytes(data))
                config[key] = str(local)
        return replace(run, config=config)

    def beat(self, run_id: str, pid: int, rows: list[tuple], progress: dict[str, Any] | None) -> st.Beat:
        return self._call("beat", run_id, pid, rows, progress)

    def commit_epoch(self, run_id: str, pid: int, commit: st.EpochCommit) -> bool:
        staged = staged_best_path(commit.best_model, commit.epoch) if commit.best_model else None
        files = self._files(run_id, commit.last_model, staged, commit.kernels)
        rel = {name: self._rel(run_id, getattr(commit, name)) if getattr(commit, name) else None
               for name in ("last_model", "best_model", "kernels")}  # fmt: skip
        return self._call("commit_epoch", run_id, pid, replace(commit, **rel), files)

    def add_artifact(self, run_id: str, kind: str, path: Path, *, epoch: int | None = None, **_: Any) -> None:
        path = Path(path)
        if path.is_dir():
            self.synced.add(path)
        self._call("add_artifact", run_id, kind, self._rel(run_id, path), self._files(run_id, path), epoch)

    def artifact(self, run_id: str, kind: str) -> Artifact | None:
        """The artifact with its path in the scratch folder; its file fetched from the app's side if not here."""
        found = self._call("artifact", run_id, kind)
        if found is None:
            return None
        art, rel = found
        local = self.run_dir(run_id) / rel
        if not local.is_file() or (art.size is not None and local.stat().st_size != art.size):
            data = self._call("read", run_id, rel)
            if data is not None:
                atomic_write(local, lambda tmp: tmp.write_bytes(data))
        return replace(art, path=local)

    def delete_metrics_after(self, run_id: str, epoch: int) -> int:
        return self._call("delete_metrics_after", run_id, epoch)

    def record_test_metrics(self, run_id: str, epochs_done: int, rows) -> None:
        self._call("record_test_metrics", run_id, epochs_done, list(rows))

    def epoch_table(self, run_id: str) -> list[dict[str, Any]]:
        return self._call("epoch_table", run_id)

    def finish_run(self, run_id: str, pid: int, **fields: Any) -> bool:
        return self._call("finish_run", run_id, pid, self._files(run_id), fields)
