"""Training: the config (its defaults are the default recipe), its validation, and the Keras training body.

`TrainConfig` and `prepare()` are pure Python, so the page process and the CLI validate a config without
importing TensorFlow; everything from `Trainer` on runs in the worker process (see worker.py).

The default recipe -- what pressing Train without touching anything does -- and how it was chosen are
written down in DEFAULT_RECIPE_NOTES below.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import queue
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from cnnlab.store import RunStore

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "plateau")
METRICS = ("accuracy", "precision", "recall", "auc")
MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")
STRATEGIES = ("default", "mirrored")
MAX_EPOCHS = 10_000
MIN_DELTA = 1e-4  # smaller changes of the monitored value do not reset early-stopping / plateau patience
MAX_BATCH = 65_536

DEFAULT_RECIPE_NOTES = """\
Default recipe: LeNet-5 (ReLU, max-pooling) on the offline MNIST sample (3,500 train / 500 validation /
1,000 test images), 2 CPU cores, TensorFlow 2.21 with oneDNN on.

  Adam, learning rate 0.005 with a 2-epoch linear warm-up then cosine decay (to 1e-6), batch 128, 40 epochs,
  label smoothing 0.1, augmentation translation 0.1 / rotation 0.05 / zoom 0.1 (no flip: digits are not
  mirror-symmetric), 10% validation; the checkpoint with the best validation loss is evaluated and handed out.

  Measured through `python -m cnnlab train` (seed 0): test accuracy 98.3% (best epoch 36, validation 99.6%).
  Wall time from command to result: 69-91 s while other processes kept the load average at 2-4 (13 s of it
  importing TensorFlow); the fastest epochs took 0.75 s, i.e. about 45 s in all on a quiet machine.

Sweep (test accuracy on the 1,000 test images; each seed is its own split, so compare within a seed;
one test image = 0.1%, so differences under ~0.5% are noise):
  Adam 1e-3 constant, batch 64, no augmentation, 30 epochs ............ 96.6
  Adam 3e-3 cosine, batch 64, augmentation, 30 epochs ................. 97.4 (seed 1: 98.0)
  same, batch 128 ...................................................... 97.6 (seed 1: 96.8); 40 epochs: 97.5
  same, batch 32, 20 epochs ............................................ 97.4
  same (batch 64) + label smoothing 0.1 ................................ 97.7
  same with stronger augmentation (0.12 / 0.08 / 0.12) ................. 97.5
  AdamW, weight decay 1e-3 ............................................. 97.4
  SGD Nesterov 0.05 cosine, batch 64, 30 epochs ........................ 97.8
  SGD Nesterov 0.1, warm-up 2, cosine, batch 128, 40 epochs ............ 97.3 (seed 1: 97.0)
  Adam 5e-3, warm-up 2, cosine, batch 128, 40 epochs ................... 98.3 (seed 1: 97.4, seed 2: 98.6)
  same + label smoothing 0.1  (the default) ............................ 98.4 (seed 1: 97.6)
Batch 128 is the cheapest per epoch here (about 0.8 s with augmentation), so 40 epochs fit the minute.

Settings measured for speed (engine throughput, LeNet-5, batch 128, `python -m cnnlab.bench settings`, 2 cores):
  oneDNN on 6,554 vs off 3,113 images/s (2.1x; kept: cnnlab/__init__ sets TF_ENABLE_ONEDNN_OPTS=1);
  TensorFlow's default thread pools beat intra/inter = 1,1 (4,499) and 2,1 (5,479);
  steps_per_execution 8 gave 5,489 (no gain, and it would make a stop wait up to 8 batches): kept at 1;
  XLA (jit_compile) bypasses oneDNN: 80 ms vs 20 ms per LeNet-5 step at batch 128: kept off on TensorFlow;
  Keras on JAX on this CPU: 3,642 (the JAX path is for GPUs);
  tf.data over indices with batched gathers, a float32 copy with per-image elements and uint8 slices with a cast
  measured within noise of each other (5,487 / 5,498 / 5,599); the uint8 copy is a quarter of the memory.
"""


class ConfigError(ValueError):
    """A training config that cannot run; the message lists every problem and how to fix it."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class Diverged(RuntimeError):
    """The loss became NaN or infinite; the run fails and its weights are not saved."""


class OutOfMemory(RuntimeError):
    """Training would not fit in memory; the message says how much it needs and what to change."""


class LostOwnership(RuntimeError):
    """Another process marked this run as no longer running (e.g. interrupted); the worker must quit quietly."""


# ---------------------------------------------------------------- config


@dataclass
class TrainConfig:
    """Everything a run needs. The defaults are the default recipe (see module docstring)."""

    dataset: str = "mnist-sample"
    arch: dict[str, Any] | str | None = None  # ArchSpec dict, a preset name, or None (= lenet5 for the dataset)
    epochs: int = 40
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 0.005
    momentum: float = 0.9  # SGD and RMSprop
    nesterov: bool = True  # SGD
    weight_decay: float = 0.0
    schedule: str = "cosine"  # constant | step | cosine | plateau
    warmup_epochs: int = 2  # cosine: linear warm-up from 0
    step_epochs: int = 10  # step: multiply the rate by decay_factor every step_epochs epochs
    decay_factor: float = 0.1  # step and plateau
    plateau_patience: int = 3  # plateau: epochs without improvement of `monitor` before the rate drops
    min_learning_rate: float = 1e-6
    val_fraction: float = 0.1
    label_smoothing: float = 0.1
    augmentation: dict[str, Any] = field(
        default_factory=lambda: {"translation": 0.1, "rotation": 0.05, "zoom": 0.1, "flip": False}
    )
    early_stopping: bool = False
    monitor: str = "val_loss"  # best checkpoint, early stopping and plateau follow it
    patience: int = 8
    restore_best: bool = True  # evaluate (and hand out) the best checkpoint rather than the last weights
    seed: int = 0
    metrics: list[str] = field(default_factory=lambda: ["accuracy", "precision", "recall", "auc"])
    steps_per_execution: int = 1
    max_train_samples: int | None = None
    init_model_path: str | None = None  # start from this .keras model (fine-tuning)
    extra_data: str | None = None  # .npz with uint8 x (N,H,W,C) and int y, added to the training data
    strategy: str = "default"  # default | mirrored (tf.distribute.MirroredStrategy over local GPUs)
    batch_metrics_every: float = 0.5  # seconds between live per-batch metric writes; 0 turns them off
    kernel_snapshots: bool = True  # save the first conv layer's kernels every epoch (for Inspect)
    mixed_precision: bool = False  # mixed_float16 on GPUs; slower on CPU (the output layer stays float32)

    # ------------------------------------------------------------ (de)serialisation

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> TrainConfig:
        """Build from a dict; unknown keys are refused with the list of known ones."""
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; known settings: {', '.join(sorted(known))}")
        cfg = cls(**d)
        if cfg.augmentation is None:
            cfg.augmentation = {}
        return cfg

    def monitor_mode(self) -> str:
        """ "max" for accuracies, "min" for losses."""
        return "max" if self.monitor.endswith("accuracy") else "min"

    # ------------------------------------------------------------ validation (pure Python)

    def problems(self) -> list[str]:
        """Every problem with the values themselves (no dataset needed)."""
        p: list[str] = []

        def num(name: str, low: float, high: float, *, integer: bool = False, low_open: bool = False) -> None:
            v = getattr(self, name)
            ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
            if isinstance(v, bool) or not ok_type or (not integer and not math.isfinite(v)):
                kind = "a whole number" if integer else "a number"
                p.append(f"{name} must be {kind}, got {v!r}")
                return
            if v < low or v > high or (low_open and v == low):
                lo = f"above {low}" if low_open else f"at least {low}"
                p.append(f"{name} must be {lo} and at most {high}, got {v!r}")

        num("epochs", 1, MAX_EPOCHS, integer=True)
        num("batch_size", 1, MAX_BATCH, integer=True)
        num("learning_rate", 0, 10.0, low_open=True)
        num("momentum", 0, 0.999)
        num("weight_decay", 0, 1.0)
        num("warmup_epochs", 0, MAX_EPOCHS, integer=True)
        num("step_epochs", 1, MAX_EPOCHS, integer=True)
        num("decay_factor", 0, 1.0, low_open=True)
        num("plateau_patience", 1, MAX_EPOCHS, integer=True)
        num("min_learning_rate", 0, 10.0)
        num("val_fraction", 0, 0.5)
        num("label_smoothing", 0, 0.5)
        num("patience", 1, MAX_EPOCHS, integer=True)
        num("seed", 0, 2**31 - 1, integer=True)
        num("steps_per_execution", 1, 1000, integer=True)
        num("batch_metrics_every", 0, 3600)
        if self.max_train_samples is not None:
            num("max_train_samples", 1, 10**9, integer=True)
        for name, choices in (
            ("optimizer", OPTIMIZERS),
            ("schedule", SCHEDULES),
            ("monitor", MONITORS),
            ("strategy", STRATEGIES),
        ):
            if getattr(self, name) not in choices:
                p.append(f"{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}")
        if not isinstance(self.metrics, (list, tuple)) or any(m not in METRICS for m in self.metrics):
            p.append(f"metrics must be a list drawn from {', '.join(METRICS)}, got {self.metrics!r}")
        if self.monitor.startswith("val_") and isinstance(self.val_fraction, (int, float)) and self.val_fraction == 0:
            p.append(f"monitor {self.monitor} needs a validation split: set val_fraction above 0 or monitor loss")
        p += _augmentation_problems(self.augmentation)
        for name in ("early_stopping", "restore_best", "nesterov", "kernel_snapshots", "mixed_precision"):
            if not isinstance(getattr(self, name), bool):
                p.append(f"{name} must be true or false, got {getattr(self, name)!r}")
        return p


def summarize(store: RunStore, run_id: str, epochs_done: int, state: dict[str, Any] | None = None) -> dict[str, Any]:
    """The final-metrics summary of the epochs a run completed (any end state): last and best values."""
    table = store.epoch_table(run_id)
    out: dict[str, Any] = {"epochs_done": epochs_done}
    if table:
        last = table[-1]
        keys = ("loss", "accuracy", "val_loss", "val_accuracy")
        out.update({k: last[k] for k in keys if last.get(k) is not None})
        with_val = [r for r in table if r.get("val_accuracy") is not None]
        if with_val:
            best = max(with_val, key=lambda r: r["val_accuracy"])
            out["best_val_accuracy"] = best["val_accuracy"]
            out["best_val_accuracy_epoch"] = best["epoch"]
    if state and "best_epoch" in state:
        out["best_epoch"] = state["best_epoch"]
    return out


def _augmentation_problems(aug: Any) -> list[str]:
    if not isinstance(aug, dict):
        return [f"augmentation must be a mapping like {{'translation': 0.1}}, got {aug!r}"]
    p = []
    known = ("translation", "rotation", "zoom", "flip")
    for k, v in aug.items():
        if k not in known:
            p.append(f"augmentation has no setting {k!r}; it accepts {', '.join(known)}")
        elif k == "flip":
            if not isinstance(v, bool):
                p.append(f"augmentation flip must be true or false, got {v!r}")
        elif isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 0.5:
            p.append(f"augmentation {k} must be a fraction between 0 and 0.5, got {v!r}")
    return p


def resolve_arch(arch: dict[str, Any] | str | None, image_shape: tuple[int, ...], num_classes: int):
    """The ArchSpec a config means: a preset name (adapted to the data), a spec dict, or lenet5 by default."""
    from cnnlab.architectures import ArchSpec, preset

    if arch is None or isinstance(arch, str):
        return preset(arch or "lenet5", tuple(image_shape), num_classes)  # type: ignore[arg-type]
    return ArchSpec.from_dict(arch)


def prepare(config: TrainConfig | dict[str, Any]) -> TrainConfig:
    """Validate a config against its dataset and architecture, without TensorFlow; fill in the architecture.

    Raises ConfigError listing every problem in words a user can act on. Called before any process starts.
    """
    from cnnlab import data
    from cnnlab.architectures import SpecError

    cfg = TrainConfig.from_dict(config) if isinstance(config, dict) else TrainConfig.from_dict(config.to_dict())
    problems = cfg.problems()
    try:
        info = data.dataset_info(cfg.dataset)
    except KeyError:
        names = ", ".join(i.name for i in data.list_datasets())
        raise ConfigError([*problems, f"unknown dataset {cfg.dataset!r}; choose one of {names}"]) from None
    if not info.available:
        problems.append(f"dataset {cfg.dataset} is not available: {info.reason}")
    n_train = int(info.counts.get("train", 0)) if info.counts else 0
    if cfg.max_train_samples and n_train:
        n_train = min(n_train, int(cfg.max_train_samples))
    if cfg.extra_data:
        problems += _extra_data_problems(cfg.extra_data, info.image_shape, len(info.class_names))
    if (
        n_train
        and isinstance(cfg.batch_size, int)
        and not isinstance(cfg.batch_size, bool)
        and cfg.batch_size > n_train
        and not cfg.extra_data
    ):
        problems.append(
            f"batch_size {cfg.batch_size} is larger than the {n_train} training images; use {n_train} or less"
        )
    if cfg.init_model_path and not Path(cfg.init_model_path).is_file():
        problems.append(f"the starting model {cfg.init_model_path} does not exist")
    try:
        spec = resolve_arch(cfg.arch, info.image_shape, len(info.class_names))
    except SpecError as exc:
        problems.append(f"architecture: {exc}")
    else:
        shape = "x".join(map(str, info.image_shape))
        if tuple(spec.input_shape) != tuple(info.image_shape):
            got = "x".join(map(str, spec.input_shape))
            problems.append(
                f"the architecture takes {got} images but {cfg.dataset} has {shape} images; "
                f"rebuild it for {shape} (presets adapt when you pick them for this dataset)"
            )
        if spec.num_classes != len(info.class_names):
            problems.append(
                f"the architecture has {spec.num_classes} outputs but {cfg.dataset} has {len(info.class_names)} "
                "classes; rebuild it for this dataset"
            )
        else:
            problems += _spec_problems(spec, cfg)
        cfg.arch = spec.to_dict()
    if problems:
        raise ConfigError(problems)
    return cfg


def _spec_problems(spec, cfg: TrainConfig | None = None) -> list[str]:
    try:
        from cnnlab.analysis import check
    except ImportError:  # analysis is optional; the worker's build still reports errors
        return []
    from cnnlab.architectures import SpecError

    try:
        analysis = check(spec)
    except SpecError as exc:
        return [f"the architecture does not fit the data: {exc}"]
    if cfg is not None and isinstance(cfg.batch_size, int):
        problem = memory_problem(training_memory_bytes(analysis.totals, cfg.batch_size), available_memory_bytes())
        if problem:
            return [problem]
    return []


def training_memory_bytes(totals: dict[str, int], batch_size: int) -> int:
    """A deliberately rough estimate of what training needs: weights + gradients + two optimizer slots, and
    the forward activations of one batch kept for the backward pass (x3 for gradients and workspace)."""
    return int(16 * totals.get("params", 0) + 3 * batch_size * totals.get("activation_bytes", 0) + 512 * 2**20)


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux); None where unknown (the check is then skipped)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def memory_problem(needed: int, available: int | None) -> str | None:
    """The out-of-memory message when `needed` exceeds 90% of what is free (CPU training crashes outright
    when an allocation fails, so this is checked before training instead of caught during it)."""
    if available is None or needed <= 0.9 * available:
        return None
    return (
        f"out of memory: training this network at this batch size needs about {needed / 2**30:.1f} GiB "
        f"but only {available / 2**30:.1f} GiB are free; lower the batch size or use a smaller network"
    )


def _extra_data_problems(path: str, image_shape: tuple[int, ...], num_classes: int) -> list[str]:
    if not Path(path).is_file():
        return [f"extra_data file {path} does not exist"]
    try:
        with np.load(path, allow_pickle=False, mmap_mode="r") as f:
            x, y = f["x"], f["y"]
            if tuple(x.shape[1:]) != tuple(image_shape) or len(x) != len(y):
                return [
                    f"extra_data must hold x of shape (N, {', '.join(map(str, image_shape))}) and N labels y, "
                    f"got x {tuple(x.shape)} and y {tuple(y.shape)}"
                ]
            if len(y) and (int(np.min(y)) < 0 or int(np.max(y)) >= num_classes):
                return [f"extra_data labels must be between 0 and {num_classes - 1}"]
    except (OSError, ValueError, KeyError) as exc:
        return [f"cannot read extra_data {path}: {exc} (expected an .npz with arrays x and y)"]
    return []


# ---------------------------------------------------------------- files


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, writer, suffix: str = "") -> Path:
    """Write `path` via writer(tmp_path): temporary file in the same folder, fsync, os.replace, fsync folder.

    A crash at any moment leaves either the old complete file or the new complete file at `path`.
    `suffix` is the ending the temporary name needs (Keras insists on ".keras").
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp{suffix or path.suffix}")
    try:
        writer(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)
    return path


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


def atomic_copy(src: Path, dst: Path) -> Path:
    return atomic_write(dst, lambda tmp: shutil.copyfile(src, tmp))


STAGED_BEST = "best.next-e"


def staged_best_path(best_path: Path, epoch: int | None) -> Path:
    """Where epoch `epoch`'s new best model waits until the store has committed that epoch."""
    return best_path.with_name(f"{STAGED_BEST}{epoch or 0:04d}.keras")


def promote_staged_best(staged: Path, best_path: Path) -> None:
    """Replace the best model with the staged one in one atomic rename (a crash leaves one or the other)."""
    os.replace(staged, best_path)
    fsync_dir(best_path.parent)


# ---------------------------------------------------------------- metrics in NumPy


def classification_report(y_true: np.ndarray, probs: np.ndarray, num_classes: int) -> dict[str, Any]:
    """Accuracy, confusion matrix, per-class and macro precision/recall, macro one-vs-rest AUC."""
    y_true = np.asarray(y_true, dtype=np.int64)
    pred = probs.argmax(axis=1)
    cm = np.bincount(y_true * num_classes + pred, minlength=num_classes * num_classes).reshape(num_classes, -1)
    tp = np.diag(cm).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    actual = cm.sum(axis=1).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    present = actual > 0
    return {
        "accuracy": float((pred == y_true).mean()) if len(y_true) else float("nan"),
        "confusion_matrix": cm.tolist(),
        "precision_per_class": precision.tolist(),
        "recall_per_class": recall.tolist(),
        "support": actual.astype(int).tolist(),
        "precision": float(precision[present].mean()) if present.any() else float("nan"),
        "recall": float(recall[present].mean()) if present.any() else float("nan"),
        "auc": macro_auc(y_true, probs),
        "predicted": pred,
    }


def macro_auc(y_true: np.ndarray, probs: np.ndarray) -> float:
    """Mean one-vs-rest ROC AUC over classes that have positives and negatives (Mann-Whitney, ties averaged)."""
    aucs = []
    for c in range(probs.shape[1]):
        pos = y_true == c
        n_pos, n_neg = int(pos.sum()), int((~pos).sum())
        if n_pos == 0 or n_neg == 0:
            continue
        scores = probs[:, c]
        order = np.argsort(scores, kind="mergesort")
        ranks = np.empty(len(scores), dtype=float)
        sorted_scores = scores[order]
        # average ranks for ties
        _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
        avg = first + (counts - 1) / 2.0 + 1
        ranks[order] = np.repeat(avg, counts)
        aucs.append((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return float(np.mean(aucs)) if aucs else float("nan")


def is_finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def is_oom(exc: BaseException) -> bool:
    """Whether an exception means the machine (or GPU) ran out of memory."""
    if isinstance(exc, (MemoryError, OutOfMemory)):
        return True
    name = type(exc).__name__
    text = str(exc)
    return name == "ResourceExhaustedError" or "OOM when allocating" in text or "out of memory" in text.lower()


# ---------------------------------------------------------------- the live channel to the store


class Live:
    """What the training loop tells the outside world, and how it learns it must stop.

    The worker's writer thread (worker.LiveWriter) drains `pending` to the store every
    `batch_metrics_every` seconds, together with the progress record and the heartbeat.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.stop_step: int | None = None  # global step when the stop request was first seen
        self.lost = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[tuple] = []
        self._progress: dict[str, Any] = {}
        self.global_step = 0

    def request_stop(self) -> None:
        if not self.stop.is_set():
            self.stop_step = self.global_step
            self.stop.set()

    def push(self, rows: list[tuple]) -> None:
        with self._lock:
            self._pending.extend(rows)

    def drain(self) -> list[tuple]:
        with self._lock:
            rows, self._pending = self._pending, []
        return rows

    def set_progress(self, **progress: Any) -> None:
        with self._lock:
            self._progress = {**self._progress, **progress, "updated": time.time()}

    def progress(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._progress)


# ---------------------------------------------------------------- the trainer (worker process only)


@dataclass
class Outcome:
    """How a training call ended: finished | stopped | early_stopped."""

    status: str
    epochs_done: int
    final_metrics: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)


def keras_backend() -> str:
    """The Keras backend of this process, without importing Keras when it is not loaded yet (configure_devices
    runs before the backend's framework starts; cnnlab/__init__ defaults KERAS_BACKEND to tensorflow)."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return str(keras.backend.backend())
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def tensorflow_available() -> bool:
    """Whether TensorFlow can be imported here, without importing it (the JAX GPU machine has none)."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"] is not None
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


class PlainStrategy:
    """make_strategy's answer off TensorFlow, where Keras distributes by itself (JAX) or nothing is distributed:
    the two members of a tf.distribute.Strategy that Trainer uses."""

    def __init__(self, replicas: int = 1) -> None:
        self.num_replicas_in_sync = replicas

    def scope(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()


def configure_compilation_cache() -> None:
    """JAX: keep compiled XLA programs in the data home's cache (unless JAX_COMPILATION_CACHE_DIR says where), so
    the next worker training the same network skips compiling it again (seconds per program on a CPU).

    Call before JAX is imported: it reads the setting from the environment when it starts."""
    if keras_backend() == "jax" and "jax" not in sys.modules:
        from cnnlab.paths import subdir

        os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(subdir("cache") / "jax"))


def configure_devices(strategy: str) -> None:
    """Before the backend starts: split the CPU into logical devices when mirroring without GPUs.

    CNNLAB_LOGICAL_CPUS (default 2) is how many; this is how MirroredStrategy (TensorFlow) or Keras' DataParallel
    distribution (JAX) is exercised on a CPU-only box.
    """
    if strategy != "mirrored":
        return
    n = int(os.environ.get("CNNLAB_LOGICAL_CPUS", "2"))
    backend = keras_backend()
    if backend == "jax":
        if "jax" not in sys.modules:  # XLA reads the flag once, when JAX starts; GPUs, if any, still come first
            flags = os.environ.get("XLA_FLAGS", "")
            os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={n}".strip()
        return
    if backend != "tensorflow":
        return
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:  # TensorFlow already started in this process; keep what it has
        pass


def even_shard_count(n: int, batch_size: int, replicas: int) -> int:
    """How many of `n` images an epoch uses when every batch is split evenly over `replicas` devices: JAX's data
    parallelism refuses uneven shards (tf.distribute pads them), so the last partial batch drops its remainder
    (fewer than `replicas` images, different ones each epoch since the order is shuffled)."""
    return n - (n % batch_size) % max(1, replicas)


def make_strategy(name: str):
    """tf.distribute on TensorFlow; on JAX "mirrored" is Keras' DataParallel over every device (set globally,
    because the JAX trainer looks the distribution up when fit starts, outside any scope)."""
    backend = keras_backend()
    if backend != "tensorflow":
        if name == "mirrored" and backend == "jax":
            import keras

            devices = keras.distribution.list_devices()
            if len(devices) > 1:
                keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
                return PlainStrategy(len(devices))
        return PlainStrategy()
    import tensorflow as tf

    if name != "mirrored":
        return tf.distribute.get_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices=devices)


class Trainer:
    """One run's training in this process: data, model, tf.data pipelines, callbacks, fit, evaluation.

    The bench drives the same object, so what it measures is exactly what workers run.
    """

    def __init__(self, run_id: str, store: RunStore, live: Live | None = None) -> None:
        self.run_id = run_id
        self.store = store
        self.live = live or Live()
        run = store.get_run(run_id)
        self.cfg = TrainConfig.from_dict(run.config)
        self.record = run
        self.dir = store.run_dir(run_id)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state: dict[str, Any] = dict(run.state or {})
        self.epochs_done = int(run.epochs_done)
        self.model = None
        self._t0 = time.perf_counter()
        self.timeline: dict[str, float] = {}

    def mark(self, what: str) -> None:
        """Note (and log to the worker's log) how long the run took to reach a point."""
        self.timeline[what] = round(time.perf_counter() - self._t0, 3)
        print(f"{time.strftime('%H:%M:%S')} +{self.timeline[what]:.2f}s {what}", flush=True)

    # ------------------------------------------------------------ data

    def load_data(self) -> None:
        from cnnlab.data import load_dataset

        cfg = self.cfg
        ds = load_dataset(cfg.dataset, seed=cfg.seed, val_fraction=cfg.val_fraction)
        x, y = ds.x_train, ds.y_train
        if cfg.max_train_samples:
            x, y = x[: cfg.max_train_samples], y[: cfg.max_train_samples]
        if cfg.extra_data:
            with np.load(cfg.extra_data, allow_pickle=False) as f:
                x = np.concatenate([x, np.asarray(f["x"], dtype=np.uint8)])
                y = np.concatenate([y, np.asarray(f["y"], dtype=np.int64)])
        self.dataset = ds
        self.x_train, self.y_train = x, y
        self.num_classes = ds.num_classes
        self.steps_per_epoch = math.ceil(len(y) / cfg.batch_size)

    def _augmenter(self) -> list:
        """Keras preprocessing layers, applied in the input pipeline (so the saved model stays clean).

        They compute in float32 even under mixed precision: the model casts its input itself, and resampling
        images in float16 would only lose detail."""
        import keras

        from cnnlab.augmentation import Augmentation, augmentation_layers

        aug = Augmentation(**dict(self.cfg.augmentation or {}))
        if not aug.enabled:
            return []
        policy = keras.config.dtype_policy()
        keras.config.set_dtype_policy("float32")
        try:
            return augmentation_layers(aug, seed=self.cfg.seed)
        finally:
            keras.config.set_dtype_policy(policy)

    def pipelines(self, initial_epoch: int = 0):
        """The training input: a tf.data pipeline over indices into the images kept in memory as uint8.

        indices -> cache -> shuffle (every epoch) -> batch -> gather the batch's images and labels ->
        scale to [0, 1] (+ augment, + one-hot for label smoothing) -> prefetch. As fast here as a pipeline over
        a float32 copy (see DEFAULT_RECIPE_NOTES), with a quarter of its memory.

        Other backends (JAX, where TensorFlow may not even be installed) get the same work done by
        ArrayBatches, a keras.utils.PyDataset (see `_batches_class`).
        """
        if keras_backend() != "tensorflow":
            return _batches_class()(self, initial_epoch)
        import tensorflow as tf

        cfg = self.cfg
        aug = self._augmenter()
        one_hot = cfg.label_smoothing > 0
        k = self.num_classes
        images = tf.constant(self.x_train)
        labels = tf.constant(self.y_train)

        def gather(idx):
            x = tf.cast(tf.gather(images, idx), tf.float32) / 255.0
            for layer in aug:
                x = layer(x, training=True)
            y = tf.gather(labels, idx)
            if one_hot:
                y = tf.one_hot(y, k)
            return x, y

        n = len(self.y_train)
        train = (
            tf.data.Dataset.range(n)
            .cache()
            .shuffle(n, seed=cfg.seed + initial_epoch, reshuffle_each_iteration=True)
            .batch(cfg.batch_size)
            .map(gather, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE)
        )
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return train.with_options(options)

    # ------------------------------------------------------------ model

    def _optimizer(self):
        import keras

        cfg = self.cfg
        spe = self.steps_per_epoch
        lr: Any = cfg.learning_rate
        if cfg.schedule == "step":
            lr = keras.optimizers.schedules.ExponentialDecay(
                cfg.learning_rate, decay_steps=cfg.step_epochs * spe, decay_rate=cfg.decay_factor, staircase=True
            )
        elif cfg.schedule == "cosine":
            warm = min(cfg.warmup_epochs, cfg.epochs - 1) * spe  # a short run keeps at least one epoch of decay
            total = max(1, cfg.epochs * spe - warm)
            alpha = min(1.0, cfg.min_learning_rate / cfg.learning_rate)
            if warm:
                lr = keras.optimizers.schedules.CosineDecay(
                    0.0, total, alpha=alpha, warmup_target=cfg.learning_rate, warmup_steps=warm
                )
            else:
                lr = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, total, alpha=alpha)
        wd = cfg.weight_decay or None
        if cfg.optimizer == "sgd":
            return keras.optimizers.SGD(lr, momentum=cfg.momentum, nesterov=cfg.nesterov, weight_decay=wd)
        if cfg.optimizer == "adam":
            return keras.optimizers.Adam(lr, weight_decay=wd)
        if cfg.optimizer == "adamw":
            return keras.optimizers.AdamW(lr, weight_decay=cfg.weight_decay)
        return keras.optimizers.RMSprop(lr, momentum=cfg.momentum, weight_decay=wd)

    def _loss(self):
        import keras

        if self.cfg.label_smoothing > 0:
            return keras.losses.CategoricalCrossentropy(label_smoothing=self.cfg.label_smoothing)
        return keras.losses.SparseCategoricalCrossentropy()

    def build(self, resume_from: Path | None = None) -> None:
        """Create (or reload, on resume) the compiled model inside the distribution strategy's scope."""
        import keras

        from cnnlab.architectures import ArchSpec, build_model

        cfg = self.cfg
        # before any layer exists; every build sets it, so a process that trains twice never inherits a policy
        keras.config.set_dtype_policy("mixed_float16" if cfg.mixed_precision else "float32")
        self.strategy = make_strategy(cfg.strategy)
        replicas = self.strategy.num_replicas_in_sync
        if replicas > 1 and keras_backend() != "tensorflow":
            if cfg.batch_size % replicas:
                raise ConfigError(
                    f"batch_size {cfg.batch_size} must be a multiple of the {replicas} devices that the mirrored "
                    "strategy splits every batch over"
                )
            n = even_shard_count(len(self.y_train), cfg.batch_size, replicas)
            self.steps_per_epoch = math.ceil(n / cfg.batch_size)  # before the schedules count steps
        with self.strategy.scope():
            if resume_from is not None:
                model = keras.saving.load_model(resume_from, compile=True, safe_mode=True)
                optimizer = model.optimizer
            else:
                if cfg.init_model_path:
                    model = keras.saving.load_model(cfg.init_model_path, compile=False, safe_mode=True)
                    self._check_model_fits(model)
                else:
                    model = build_model(ArchSpec.from_dict(cfg.arch))  # type: ignore[arg-type]
                optimizer = self._optimizer()
            model.compile(
                optimizer=optimizer,
                loss=self._loss(),
                metrics=["accuracy"],
                steps_per_execution=cfg.steps_per_execution,
                # TensorFlow: XLA on CPU bypasses oneDNN and measured 2-4x slower here. JAX: XLA is how it runs
                # fast at all (an eager JAX train step is orders of magnitude slower)
                jit_compile=False if keras_backend() == "tensorflow" else "auto",
            )
        self.model = model
        self.loss_fn = self._loss()
        self.committer = EpochCommitter(self)
        print(
            f"backend {keras_backend()}, strategy {cfg.strategy}: {replicas} replica{'s' if replicas > 1 else ''}, "
            f"dtype policy {keras.config.dtype_policy().name}",
            flush=True,
        )

    def _check_memory(self) -> None:
        """Fail with "out of memory" before TensorFlow would crash the process (memory may have filled up
        since the config was checked)."""
        try:
            from cnnlab.analysis import analyze
            from cnnlab.architectures import ArchSpec

            totals = analyze(ArchSpec.from_dict(self.cfg.arch)).totals  # type: ignore[arg-type]
        except Exception:  # (a spec analysis cannot describe: no estimate)
            return
        problem = memory_problem(training_memory_bytes(totals, self.cfg.batch_size), available_memory_bytes())
        if problem:
            raise OutOfMemory(problem)

    def _check_model_fits(self, model) -> None:
        shape = tuple(int(d) for d in model.input_shape[1:])
        if shape != tuple(self.dataset.image_shape):
            raise ConfigError(
                f"the starting model takes {'x'.join(map(str, shape))} images but {self.cfg.dataset} has "
                f"{'x'.join(map(str, self.dataset.image_shape))} images"
            )
        if int(model.output_shape[-1]) != self.num_classes:
            raise ConfigError(
                f"the starting model has {model.output_shape[-1]} outputs but {self.cfg.dataset} has "
                f"{self.num_classes} classes"
            )

    # ------------------------------------------------------------ inference helpers

    def predict(self, x: np.ndarray, batch: int = 1024) -> np.ndarray:
        """Class probabilities for uint8 images, in batches (one traced function, no Keras predict loop)."""
        if not hasattr(self, "_forward"):
            self._forward = self._make_forward()
        out = [
            np.asarray(self._forward(x[i : i + batch].astype(np.float32) / 255.0), np.float32)
            for i in range(0, len(x), batch)
        ]
        return np.concatenate(out) if out else np.zeros((0, self.num_classes), np.float32)

    def _make_forward(self):
        """float32 batch -> probabilities: a tf.function on TensorFlow; elsewhere predict_on_batch, which the JAX
        trainer jit-compiles and feeds the current weights (also between epochs of a fit)."""
        model = self.model
        if keras_backend() != "tensorflow":
            return model.predict_on_batch
        import tensorflow as tf

        forward = tf.function(lambda t: model(t, training=False), reduce_retracing=True)
        return lambda a: forward(tf.convert_to_tensor(a)).numpy()

    def current_learning_rate(self) -> float:
        """The optimizer's learning rate now. On JAX a schedule read eagerly compiles its `ops.cond` again on every
        read (~70 ms each on this CPU, per epoch), so there it is read through one jit-compiled function."""
        import keras

        opt = self.model.optimizer
        inner = getattr(opt, "inner_optimizer", opt)  # LossScaleOptimizer (mixed precision) wraps the real one
        schedule = getattr(inner, "_learning_rate", None)
        if keras_backend() == "jax" and isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            cached = getattr(self, "_schedule_jit", None)
            if cached is None or cached[0] is not schedule:
                import jax

                cached = self._schedule_jit = (schedule, jax.jit(schedule))
            return float(cached[1](inner.iterations.value))
        return float(np.asarray(opt.learning_rate))

    def loss_value(self, y: np.ndarray, probs: np.ndarray) -> float:
        if self.cfg.label_smoothing > 0:
            y = np.eye(self.num_classes, dtype=np.float32)[y]
        return float(self.loss_fn(y, probs))

    def first_conv(self):
        for layer in self.model._flatten_layers(include_self=False, recursive=True):
            if type(layer).__name__ == "Conv2D" and layer.trainable_weights:
                return layer
        return None

    # ------------------------------------------------------------ fit

    def fit(self, initial_epoch: int, epochs: int, callbacks: list | None = None):
        """model.fit over epochs [initial_epoch, epochs) with the engine callback (and any extras)."""
        if getattr(self, "_train_data", None) is None:
            self._train_data = self.pipelines(initial_epoch)  # built once: the bench calls fit repeatedly
        train = self._train_data
        cb = make_callback(self)
        self.callback = cb
        self.committer.start()
        try:
            self.model.fit(
                train,
                epochs=epochs,
                initial_epoch=initial_epoch,
                callbacks=[cb, *(callbacks or [])],
                verbose=0,
                shuffle=False,  # the pipeline shuffles
            )
        finally:
            self.committer.flush()  # every completed epoch is on disk and in the store before fit returns
        cb.finished_all = cb.early_stopped or (not cb.user_stopped and not cb.diverged and self.epochs_done >= epochs)
        return cb

    def run(self) -> Outcome:
        """The whole run: data, model (fresh or resumed), fit to cfg.epochs, evaluation."""
        self.live.set_progress(phase="loading", epoch=self.epochs_done, epochs=self.cfg.epochs)
        self.load_data()
        self.mark(f"data loaded ({len(self.y_train)} training images)")
        resume_from = None
        if self.epochs_done > 0:
            last = self.store.artifact(self.run_id, "last_model")
            if last is None or not last.path.is_file():
                raise RuntimeError("the run has completed epochs but its last checkpoint is missing; start it again")
            resume_from = last.path
        self._cleanup_checkpoints()
        self.store.delete_metrics_after(self.run_id, self.epochs_done)  # rows of a partial epoch
        self._check_memory()
        import keras

        self.mark("keras imported")
        keras.utils.set_random_seed(self.cfg.seed + self.epochs_done)
        self.build(resume_from)
        self.mark(f"model resumed from epoch {self.epochs_done}" if resume_from else "model built")
        if resume_from is not None and self.cfg.schedule == "plateau" and "lr" in self.state:
            self.model.optimizer.learning_rate = float(self.state["lr"])
        if self.epochs_done == 0 and self.cfg.kernel_snapshots:
            with self.store.write() as c:
                self._snapshot_kernels(0, c)
        cb = None
        if self.epochs_done < self.cfg.epochs and not self.live.stop.is_set():
            cb = self.fit(self.epochs_done, self.cfg.epochs)
            if self.live.lost.is_set():
                raise LostOwnership(self.run_id)
            if cb.diverged:
                raise Diverged(cb.diverged)
        if self.live.stop.is_set() and (cb is None or not cb.finished_all):
            summary = self._summary()
            if cb is not None and cb.stop_latency_steps is not None:
                # batches that ran between the stop request reaching this process and the stop itself
                summary["stop_latency_steps"] = cb.stop_latency_steps
                summary["stopped_at"] = {"epoch": cb.epoch, "step": cb.step}
            return Outcome("stopped", self.epochs_done, summary)
        self.mark(f"training ended after epoch {self.epochs_done}")
        self.live.set_progress(phase="evaluating")
        evaluation = self.evaluate()
        self.mark("evaluated")
        final = self._summary(evaluation)
        status = "early_stopped" if cb is not None and cb.early_stopped else "finished"
        return Outcome(status, self.epochs_done, final, evaluation)

    def _cleanup_checkpoints(self) -> None:
        """Remove epoch checkpoints newer than the store's record (a crash between save and commit), and finish
        or drop a staged best model: promoted if its epoch was committed as the best, deleted if it never was."""
        keep = self.store.artifact(self.run_id, "last_model")
        for p in (self.dir / "checkpoints").glob("*.keras"):
            if keep is None or p.resolve() != keep.path.resolve():
                p.unlink(missing_ok=True)
        best = self.store.artifact(self.run_id, "best_model")
        for staged in self.dir.glob(f"{STAGED_BEST}*.keras"):
            if best is not None and staged.resolve() == staged_best_path(best.path, best.epoch).resolve():
                promote_staged_best(staged, best.path)
            else:
                staged.unlink(missing_ok=True)

    def _summary(self, evaluation: dict[str, Any] | None = None) -> dict[str, Any]:
        out = summarize(self.store, self.run_id, self.epochs_done, self.state)
        if evaluation:
            for k in ("test_accuracy", "test_loss", "test_precision", "test_recall", "test_auc"):
                if k in evaluation:
                    out[k] = evaluation[k]
        return out

    # ------------------------------------------------------------ evaluation

    def evaluate(self) -> dict[str, Any]:
        """Test metrics of the model users get (best checkpoint when restore_best, else the final weights)."""
        import keras

        best = self.store.artifact(self.run_id, "best_model")
        source = "last"
        if self.cfg.restore_best and best is not None and best.path.is_file():
            self.model.set_weights(keras.saving.load_model(best.path, compile=False, safe_mode=True).get_weights())
            source = "best"
        ds = self.dataset
        probs = self.predict(ds.x_test)
        rep = classification_report(ds.y_test, probs, self.num_classes)
        pred = rep.pop("predicted")
        wrong = np.flatnonzero(pred != ds.y_test)
        evaluation = {
            "model": source,
            "test_loss": self.loss_value(ds.y_test, probs),
            "test_accuracy": rep["accuracy"],
            "test_precision": rep["precision"],
            "test_recall": rep["recall"],
            "test_auc": rep["auc"],
            "class_names": list(ds.class_names),
            "confusion_matrix": rep["confusion_matrix"],
            "precision_per_class": rep["precision_per_class"],
            "recall_per_class": rep["recall_per_class"],
            "support": rep["support"],
            "misclassified": wrong.tolist(),
            "misclassified_pred": pred[wrong].tolist(),
            "n_test": len(ds.y_test),
            "dataset": self.cfg.dataset,
            "seed": self.cfg.seed,
            "val_fraction": self.cfg.val_fraction,
        }
        rows = [
            (self.run_id, self.epochs_done, None, "test", "test", name, evaluation[f"test_{name}"])
            for name in ("loss", "accuracy", "precision", "recall", "auc")
        ]
        with self.store.write() as c:
            self.store.delete_metrics_after(self.run_id, self.epochs_done, conn=c)
            self.store.add_metrics(rows, conn=c)
        return evaluation

    # ------------------------------------------------------------ epoch bookkeeping

    def _snapshot_kernels(self, epoch: int, conn) -> None:
        layer = self.first_conv()
        if layer is None:
            return
        weights = [np.asarray(w) for w in layer.get_weights()]
        path = self.dir / "kernels" / f"epoch-{epoch:04d}.npz"
        bias = weights[1] if len(weights) > 1 else np.zeros(weights[0].shape[-1], np.float32)
        atomic_write(path, lambda tmp: np.savez(tmp, kernel=weights[0], bias=bias, layer=np.array(layer.name)))
        self.store.add_artifact(self.run_id, "kernels", path, epoch=epoch, conn=conn)


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
        from cnnlab.store import RunStore

        self._store = RunStore(self.t.store.path)
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
            raise RuntimeError("the shadow model does not match the trained model; set CNNLAB_SYNC_CHECKPOINTS=1")
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
        with store.write() as c:  # ... then one transaction makes them count
            owner = c.execute("SELECT status, pid FROM runs WHERE id = ?", (run_id,)).fetchone()
            if owner is None or owner["status"] != "running" or owner["pid"] not in (None, os.getpid()):
                t.live.lost.set()
                t.live.request_stop()
                return
            store.add_metrics(t.live.drain(), conn=c)
            store.add_metrics(rows, conn=c)
            store.add_artifact(run_id, "last_model", ckpt, epoch=e, conn=c, replace_kind=True)
            if record.improved:
                store.add_artifact(run_id, "best_model", record.best_path, epoch=e, conn=c, replace_kind=True,
                                   size=staged.stat().st_size if staged else None)  # fmt: skip
            if kernels is not None:
                store.add_artifact(run_id, "kernels", kernels, epoch=e, conn=c)
            c.execute(
                "UPDATE runs SET epochs_done = ?, train_seconds = train_seconds + ?, state = ?, progress = ?"
                " WHERE id = ?",
                (e, record.elapsed, _json(record.state), _json(progress), run_id),
            )
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


def _batches_class():
    """ArrayBatches, the training input off TensorFlow (defined on first use: keras.utils.PyDataset needs Keras)."""
    if "batches" not in _CLASSES:
        import keras

        class ArrayBatches(keras.utils.PyDataset):
            """What the tf.data pipeline does, batch by batch, for backends without tf.data (JAX; no TensorFlow).

            Each epoch's order is a permutation seeded by (seed, epoch), so a resumed run shuffles like one that
            never stopped; the engine callback says which epoch starts (`start_epoch`). A batch's uint8 images are
            gathered on the host and go to the device as uint8 (a quarter of float32); scaling to [0, 1] and the
            same Keras augmentation layers run there in one compiled function (jax.jit on JAX) that threads the
            layers' seed state through, so augmentation is reproducible too. One worker (Keras' default) calls
            `__getitem__` in order, which that state needs; on a GPU, Keras' JAX loop asks for each batch one step
            ahead, so its gather, transfer and augmentation are queued before the previous step runs.
            """

            def __init__(self, trainer: Trainer, initial_epoch: int = 0) -> None:
                super().__init__()
                self.images, self.labels = trainer.x_train, np.asarray(trainer.y_train, np.int64)
                self.batch_size = trainer.cfg.batch_size
                replicas = getattr(getattr(trainer, "strategy", None), "num_replicas_in_sync", 1)
                self.count = even_shard_count(len(self.labels), self.batch_size, replicas)
                self.seed = trainer.cfg.seed
                smooth = trainer.cfg.label_smoothing > 0  # the categorical loss wants one-hot labels
                self.one_hot = np.eye(trainer.num_classes, dtype=np.float32) if smooth else None
                self.start_epoch(initial_epoch)
                self._layers = trainer._augmenter()
                for layer in self._layers:
                    layer.build((None, *self.images.shape[1:]))
                self._state_vars = [v for layer in self._layers for v in layer.variables]  # the seed generators
                self._state = [v.value for v in self._state_vars]
                self._prepare = self._compile()

            def __len__(self) -> int:
                return math.ceil(self.count / self.batch_size)

            def start_epoch(self, epoch: int) -> None:
                self.epoch = epoch
                self._order = np.random.default_rng([self.seed, epoch]).permutation(len(self.labels))[: self.count]

            def __getitem__(self, index: int):
                idx = self._order[index * self.batch_size : (index + 1) * self.batch_size]
                x, self._state = self._prepare(self._state, self.images[idx])
                y = self.labels[idx]
                return x, (self.one_hot[y] if self.one_hot is not None else y)

            def _compile(self):
                layers, state_vars = self._layers, self._state_vars

                def prepare(state: list, images):
                    with keras.StatelessScope(state_mapping=list(zip(state_vars, state, strict=True))) as scope:
                        x = keras.ops.cast(images, "float32") / 255.0
                        for layer in layers:
                            x = layer(x, training=True)
                        new = [scope.get_current_value(v) for v in state_vars]
                    return x, [n if n is not None else s for n, s in zip(new, state, strict=True)]

                if keras.backend.backend() == "jax":
                    import jax

                    return jax.jit(prepare)
                return prepare

        _CLASSES["batches"] = ArrayBatches
    return _CLASSES["batches"]


def make_callback(trainer: Trainer):
    """The engine's Keras callback for `trainer` (the class is defined on first use: Keras loads lazily)."""
    return _callback_class()(trainer)


_CLASSES: dict[str, type] = {}


def _callback_class():
    """The Keras callback class, defined lazily so this module imports without TensorFlow."""
    if "callback" not in _CLASSES:
        import keras

        class _EngineCallback(keras.callbacks.Callback):
            """Live batch metrics, stop checks, NaN checks, and the per-epoch commit to the store."""

            def __init__(self, trainer: Trainer) -> None:
                super().__init__()
                self.t = trainer
                self.live = trainer.live
                self.cfg = trainer.cfg
                self.every = float(self.cfg.batch_metrics_every or 0)
                self.diverged: str | None = None
                self.user_stopped = False
                self.early_stopped = False
                self.finished_all = False
                self.stop_latency_steps: int | None = None

            # ---------------------------------------------------- batches

            def on_train_begin(self, logs=None) -> None:
                self.t_start = time.perf_counter()
                self._last_push = self.t_start
                self._last_step_mark = (self.t_start, 0)
                self._rate = 0.0

            def on_epoch_begin(self, epoch: int, logs=None) -> None:
                self.epoch = epoch + 1
                self.step = 0
                start_epoch = getattr(getattr(self.t, "_train_data", None), "start_epoch", None)
                if start_epoch is not None:  # ArrayBatches: this epoch's shuffle
                    start_epoch(epoch)
                self.epoch_start = time.perf_counter()
                self.live.set_progress(
                    phase="train",
                    epoch=self.epoch,
                    epochs=self.cfg.epochs,
                    step=0,
                    steps_per_epoch=self.t.steps_per_epoch,
                )

            def on_train_batch_end(self, batch: int, logs=None) -> None:
                # with steps_per_execution > 1 Keras reports once per execution, `batch` = its last step
                # (not clipped to the epoch's end by Keras, so clip it here)
                step = min(batch + 1, self.t.steps_per_epoch)
                self.live.global_step += step - self.step
                self.step = step
                if self.live.stop.is_set():
                    self._stop_now()
                    return
                now = time.perf_counter()
                if self.every and now - self._last_push >= self.every:
                    self._push(now, logs or {})

            def _stop_now(self) -> None:
                self.user_stopped = True
                if self.live.stop_step is not None:
                    self.stop_latency_steps = self.live.global_step - self.live.stop_step
                self.model.stop_training = True

            def _push(self, now: float, logs: dict) -> None:
                loss = logs.get("loss")
                if loss is not None and not is_finite(loss):
                    self.diverged = (
                        f"diverged: the loss became {float(loss)} at epoch {self.epoch}, step {self.step}; "
                        "lower the learning rate"
                    )
                    self.model.stop_training = True
                    return
                rows = [
                    (self.t.run_id, self.epoch, self.step, "batch", "train", k, float(v))
                    for k, v in logs.items()
                    if k in ("loss", "accuracy")
                ]
                self.live.push(rows)
                t0, s0 = self._last_step_mark
                steps = self.live.global_step - s0
                if now > t0 and steps:
                    rate = steps * self.cfg.batch_size / (now - t0)
                    self._rate = rate if not self._rate else 0.5 * self._rate + 0.5 * rate
                self._last_step_mark = (now, self.live.global_step)
                self._last_push = now
                remaining = (self.cfg.epochs - self.epoch) * self.t.steps_per_epoch + (
                    self.t.steps_per_epoch - self.step
                )
                self.live.set_progress(
                    step=self.step,
                    samples_per_s=round(self._rate, 1),
                    eta_s=round(remaining * self.cfg.batch_size / self._rate, 1) if self._rate else None,
                    elapsed_s=round(now - self.t_start, 1),
                )

            # ---------------------------------------------------- epochs

            def on_epoch_end(self, epoch: int, logs=None) -> None:
                logs = dict(logs or {})
                if self.diverged:
                    return
                if self.user_stopped or self.step < self.t.steps_per_epoch:
                    return  # a partial epoch is never recorded; resume redoes it
                loss = logs.get("loss")
                if not is_finite(loss):
                    self.diverged = f"diverged: the loss became {loss} in epoch {self.epoch}; lower the learning rate"
                    self.model.stop_training = True
                    return
                self._commit_epoch(logs)
                if self.live.stop.is_set():
                    self._stop_now()  # the request arrived during the epoch's end: stop at this boundary

            def _commit_epoch(self, logs: dict) -> None:
                t, cfg, e = self.t, self.cfg, self.epoch
                self.live.set_progress(phase="validating")
                train_time = time.perf_counter() - self.epoch_start
                values: dict[tuple[str, str], float] = {
                    ("train", "loss"): float(logs["loss"]),
                    ("train", "accuracy"): float(logs.get("accuracy", float("nan"))),
                    ("train", "lr"): t.current_learning_rate(),
                    ("train", "seconds"): train_time,
                    ("train", "samples_per_s"): len(t.y_train) / train_time if train_time > 0 else 0.0,
                }
                ds = t.dataset
                if len(ds.y_val):
                    probs = t.predict(ds.x_val)
                    rep = classification_report(ds.y_val, probs, t.num_classes)
                    values[("val", "loss")] = t.loss_value(ds.y_val, probs)
                    values[("val", "accuracy")] = rep["accuracy"]
                    for m in ("precision", "recall", "auc"):
                        if m in cfg.metrics:
                            values[("val", m)] = rep[m]
                    if not is_finite(values[("val", "loss")]) and not is_finite(values[("train", "loss")]):
                        self.diverged = f"diverged: the loss became NaN in epoch {e}; lower the learning rate"
                        self.model.stop_training = True
                        return
                monitor = values.get(("val" if cfg.monitor.startswith("val_") else "train", cfg.monitor.split("_")[-1]))
                state = t.state
                mode_max = cfg.monitor_mode() == "max"
                best = state.get("best")
                ok = monitor is not None and is_finite(monitor)

                def gain(ref):  # how much better than `ref` this epoch is (positive = better)
                    return float("inf") if ref is None else (monitor - ref if mode_max else ref - monitor)

                improved = ok and gain(best) > 0  # any improvement gives a new best checkpoint
                significant = ok and gain(state.get("patience_best")) > MIN_DELTA  # patience counts these
                if significant:
                    state["patience_best"] = monitor
                best_path = t.dir / "best.keras"
                if improved:
                    state.update(best=monitor, best_epoch=e)
                state["wait"] = 0 if significant else int(state.get("wait", 0)) + 1
                if cfg.schedule == "plateau":
                    self._plateau(significant)
                    values[("train", "lr")] = t.current_learning_rate()
                state["lr"] = values[("train", "lr")]
                if cfg.early_stopping and state["wait"] >= cfg.patience:
                    self.early_stopped = True
                    state["early_stopped_epoch"] = e
                    self.model.stop_training = True
                progress = {
                    **self.live.progress(),
                    "phase": "train",
                    "epoch": e,
                    "step": t.steps_per_epoch,
                    "steps_per_epoch": t.steps_per_epoch,
                    "epochs": cfg.epochs,
                }
                job = EpochRecord(
                    epoch=e,
                    values=values,
                    state=json.loads(_json(state)),
                    progress=progress,
                    improved=improved,
                    train_time=train_time,
                    elapsed=time.perf_counter() - self.epoch_start,
                    best_path=best_path,
                )
                t.committer.submit(job, self.model)
                self.live.set_progress(epoch=e, step=t.steps_per_epoch, phase="train")

            def _plateau(self, improved: bool) -> None:
                cfg, state = self.cfg, self.t.state
                state["plateau_wait"] = 0 if improved else int(state.get("plateau_wait", 0)) + 1
                if state["plateau_wait"] >= cfg.plateau_patience:
                    lr = float(np.asarray(self.model.optimizer.learning_rate))
                    new = max(lr * cfg.decay_factor, cfg.min_learning_rate)
                    if new < lr:
                        self.model.optimizer.learning_rate = new
                    state["plateau_wait"] = 0

        _CLASSES["callback"] = _EngineCallback
    return _CLASSES["callback"]


def _json(value: Any) -> str:
    from cnnlab.store import _dumps

    return _dumps(value)
