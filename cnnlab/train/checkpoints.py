"""Saving a run's epochs: atomic .keras checkpoints, the staged best model, kernel snapshots, TensorBoard
scalars, and the one store transaction that makes an epoch count — on a background thread.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnlab.fsutil import atomic_copy, atomic_write, fsync_dir
from cnnlab.runs.store import EpochCommit, RunStore
from cnnlab.train.devices import keras_backend, tensorflow_available
from cnnlab.train.live import BrokenRun

if TYPE_CHECKING:  # pragma: no cover
    from cnnlab.train.trainer import Trainer


def atomic_save_model(model, path: Path) -> Path:
    """model.save to `path` atomically (the previous file stays loadable until the new one is complete)."""
    _prime_keras_saving()
    return atomic_write(path, model.save, suffix=".keras")


_primed = threading.local()


def _prime_keras_saving() -> None:
    """Work around a cache miss in Keras 3 saving that costs ~20 ms per model.save.

    keras.src.saving.saving_lib.get_attr_skipset looks its per-type cache up under "saving_attr_skiplist_*"
    but stores it under "saving_attr_skipset_*", so every save builds throw-away Layer/Optimizer/Metric
    objects again. Storing the sets under the key it reads (Keras' global state is per thread) fixes that;
    if Keras changes, this quietly does nothing.
    """
    if getattr(_primed, "done", False):
        return
    _primed.done = True
    try:
        from keras.src.backend.common import global_state
        from keras.src.saving import saving_lib

        for kind in ("Operation", "Layer", "Functional", "Sequential", "Metric", "Optimizer", "Loss"):
            key = f"saving_attr_skiplist_{kind}"
            if global_state.get_global_attribute(key, None) is None:
                global_state.set_global_attribute(key, saving_lib.get_attr_skipset(kind))
    except Exception:  # (an optimisation only)
        pass


STAGED_BEST = "best.next-e"


def staged_best_path(best_path: Path, epoch: int | None) -> Path:
    """Where epoch `epoch`'s new best model waits until the store has committed that epoch."""
    return best_path.with_name(f"{STAGED_BEST}{epoch or 0:04d}.keras")


def promote_staged_best(staged: Path, best_path: Path) -> None:
    """Replace the best model with the staged one in one atomic rename (a crash leaves one or the other)."""
    os.replace(staged, best_path)
    fsync_dir(best_path.parent)


@dataclass
class EpochRecord:
    """What the training thread hands the committer at the end of an epoch."""

    epoch: int
    values: dict[tuple[str, str], float]
    state: dict[str, Any]
    progress: dict[str, Any]
    improved: bool
    train_time: float
    elapsed: float
    best_path: Path
    weights: list[np.ndarray] = field(default_factory=list)
    optimizer_weights: list[np.ndarray] = field(default_factory=list)
    kernel: tuple[np.ndarray, np.ndarray, str] | None = None


class EpochCommitter:
    """Persists completed epochs on a background thread, in order, while the next epoch trains.

    The training thread snapshots the weights and optimizer state (a few ms); this thread copies them into a
    "shadow" model (same architecture, compiled the same way) and does the slow part: the atomic .keras save
    (~100 ms of Keras serialization here), the best-model copy, the kernel snapshot, TensorBoard, and the one
    store transaction that makes the epoch count. A crash before that transaction leaves the epoch
    uncommitted (resume redoes it); `flush()` waits for everything and re-raises the first error.
    If the shadow cannot be made (an unusual model), epochs are committed synchronously instead.
    """

    def __init__(self, trainer: Trainer) -> None:
        self.t = trainer
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._store: RunStore | None = None
        self.error: BaseException | None = None
        self.shadow = None
        self.synchronous = os.environ.get("CNNLAB_SYNC_CHECKPOINTS") == "1"
        self._tb: TensorBoardWriter | None = None
        self._tb_failed = False

    # ------------------------------------------------------------ training thread side

    def start(self) -> None:
        """Prepare the shadow model in the background while the first epoch trains."""
        if self.synchronous or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="epoch-committer", daemon=True)
        self._thread.start()
        self._queue.put(("shadow", self._make_shadow_spec()))

    def _make_shadow_spec(self):
        model = self.t.model
        return model.to_json(), model.optimizer.get_config(), type(model.optimizer)

    def submit(self, record: EpochRecord, model) -> None:
        if self.error is not None:
            raise self.error
        layer = self.t.first_conv() if self.t.cfg.kernel_snapshots else None
        if layer is not None:
            w = [np.asarray(v) for v in layer.get_weights()]
            record.kernel = (w[0], w[1] if len(w) > 1 else np.zeros(w[0].shape[-1], np.float32), layer.name)
        if self.synchronous or self._thread is None:
            self._persist(self.t.store, record, model)
            return
        record.weights = model.get_weights()
        record.optimizer_weights = [np.asarray(v) for v in model.optimizer.variables]
        self._queue.put(("epoch", record))

    def flush(self) -> None:
        if self._thread is not None:
            self._queue.join()
        if self.error is not None:
            raise self.error

    # ------------------------------------------------------------ committer thread

    def _loop(self) -> None:
        self._store = self.t.store.for_thread()
        while True:
            kind, item = self._queue.get()
            try:
                if self.error is None:
                    if kind == "shadow":
                        self._build_shadow(*item)
                    else:
                        self._commit_from_snapshot(item)
            except BaseException as exc:
                self.error = exc
                self.t.live.request_stop()
            finally:
                self._queue.task_done()

    def _build_shadow(self, model_json: str, optimizer_config: dict, optimizer_cls) -> None:
        import keras

        try:
            shadow = keras.models.model_from_json(model_json)
            shadow.compile(
                optimizer=optimizer_cls.from_config(optimizer_config), loss=self.t._loss(), metrics=["accuracy"]
            )
            shadow.optimizer.build(shadow.trainable_variables)
            self.shadow = shadow
        except Exception as exc:  # (an unusual model: commit synchronously instead)
            print(f"checkpoints are written synchronously ({type(exc).__name__}: {exc})", flush=True)
            self.shadow = None

    def _commit_from_snapshot(self, record: EpochRecord) -> None:
        shadow = self.shadow
        ok = shadow is not None
        if ok:
            targets = [*shadow.weights, *shadow.optimizer.variables]
            values = [*record.weights, *record.optimizer_weights]
            ok = len(targets) == len(values) and all(
                tuple(v.shape) == tuple(np.shape(w)) for v, w in zip(targets, values, strict=True)
            )
            if ok:
                for v, w in zip(targets, values, strict=True):
                    v.assign(w)
        if not ok:
            raise BrokenRun("engine.run.shadow_mismatch")
        self._persist(self._store, record, shadow)

    # ------------------------------------------------------------ the commit itself

    def _persist(self, store: RunStore, record: EpochRecord, model) -> None:
        t, e, run_id = self.t, record.epoch, self.t.run_id
        ckpt = t.dir / "checkpoints" / f"last-e{e:04d}.keras"
        atomic_save_model(model, ckpt)  # files first (atomic) ...
        staged = None
        if record.improved:  # the committed best stays in place until the transaction records the new one
            staged = atomic_copy(ckpt, staged_best_path(record.best_path, e))
        kernels = None
        if record.kernel is not None:
            kernel, bias, name = record.kernel
            kernels = t.dir / "kernels" / f"epoch-{e:04d}.npz"
            atomic_write(kernels, lambda tmp: np.savez(tmp, kernel=kernel, bias=bias, layer=np.array(name)))
        rows = [(run_id, e, t.steps_per_epoch, "epoch", s, n, v) for (s, n), v in record.values.items()]
        # the live record, not the one from the epoch's end: training has moved on meanwhile
        progress = {**record.progress, **t.live.progress(), "updated": time.time()}
        commit = EpochCommit(
            epoch=e,
            rows=[*t.live.drain(), *rows],
            last_model=ckpt,
            state=record.state,
            progress=progress,
            seconds=record.elapsed,
            best_model=record.best_path if record.improved else None,
            best_size=staged.stat().st_size if staged else None,
            kernels=kernels,
        )
        if not store.commit_epoch(run_id, os.getpid(), commit):  # ... then one transaction makes them count
            t.live.lost.set()
            t.live.request_stop()
            return
        t.epochs_done = e
        if staged is not None:
            promote_staged_best(staged, record.best_path)
        t.mark(f"epoch {e} committed (train {record.train_time:.2f}s)")
        for old in (t.dir / "checkpoints").glob("last-e*.keras"):
            if old != ckpt:
                old.unlink(missing_ok=True)
        self._tensorboard(store, e, record.values)

    def _tensorboard(self, store: RunStore, epoch: int, values: dict) -> None:
        """Per-epoch scalars in TensorBoard's format (train/ and val/ folders); never fatal."""
        if self._tb_failed:
            return
        if not tensorflow_available():
            self._tb_failed = True
            print(
                "TensorBoard log skipped: writing it needs TensorFlow, which is not installed here "
                f"(Keras runs on {keras_backend()}); every metric is in the run store all the same",
                flush=True,
            )
            return
        try:
            if self._tb is None:
                logdir = self.t.dir / "tensorboard"
                self._tb = TensorBoardWriter(logdir)
                store.add_artifact(self.t.run_id, "tensorboard", logdir)
            self._tb.write(epoch, values)
        except Exception as exc:  # (a log must not end a run)
            self._tb_failed = True
            print(f"TensorBoard log skipped: {exc}", flush=True)


class TensorBoardWriter:
    """Scalar summaries TensorBoard reads, written with TensorFlow alone.

    tf.summary.scalar needs the tensorboard package (not a runtime dependency), so this writes the same
    records scalar_v2 writes: tf.summary.write with the "scalars" plugin metadata.
    """

    def __init__(self, logdir: Path) -> None:
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        if keras_backend() != "tensorflow":  # only writing files here: leave the GPUs to the backend that trains
            with contextlib.suppress(RuntimeError, ValueError):
                tf.config.set_visible_devices([], "GPU")

        meta = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
            data_class=summary_pb2.DATA_CLASS_SCALAR,
        )
        self._meta = meta.SerializeToString()
        self._writers = {s: tf.summary.create_file_writer(str(Path(logdir) / s)) for s in ("train", "val")}

    def write(self, epoch: int, values: dict[tuple[str, str], float]) -> None:
        import tensorflow as tf

        for (split, name), v in values.items():
            with self._writers[split].as_default(step=epoch):
                tf.summary.write(name, tf.constant(float(v), tf.float32), metadata=self._meta)
        for w in self._writers.values():
            w.flush()

