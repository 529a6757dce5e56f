"""The engine's Keras callback: live batch metrics, stop and NaN checks, and the per-epoch commit.
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import TYPE_CHECKING

import keras
import numpy as np

from cnnlab.metrics import classification_report, is_finite
from cnnlab.runs.records import to_json
from cnnlab.train.checkpoints import EpochRecord
from cnnlab.train.config import MIN_DELTA
from cnnlab.train.live import RATE_WINDOW_S, Diverged, eta_seconds, window_rate

if TYPE_CHECKING:  # pragma: no cover
    from cnnlab.train.trainer import Trainer


class EngineCallback(keras.callbacks.Callback):
    """Live batch metrics, stop checks, NaN checks, and the per-epoch commit to the store."""

    def __init__(self, trainer: Trainer) -> None:
        super().__init__()
        self.t = trainer
        self.live = trainer.live
        self.cfg = trainer.cfg
        self.every = float(self.cfg.batch_metrics_every or 0)
        self.diverged: Diverged | None = None  # why the run failed, once the loss is no longer finite
        self.user_stopped = False
        self.early_stopped = False
        self.budget_reached = False
        self.finished_all = False
        self.stop_latency_steps: int | None = None

    # ---------------------------------------------------- batches

    def on_train_begin(self, logs=None) -> None:
        self.t_start = time.perf_counter()
        self._last_push: float | None = None  # None: this attempt's first batch writes its point at once
        self._marks: deque[tuple[float, float]] = deque()  # (time, images done in the epoch) at batch ends
        self._measured = 0.0  # seconds of timed batches so far (between batch ends of one epoch)
        self._epochs_timed = 0
        self._rate: float | None = None

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.epoch = epoch + 1
        self.step = 0
        self._marks.clear()  # the rate counts batches only: not the validation between two epochs
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
        now = time.perf_counter()
        self._mark(now)
        if self.live.stop.is_set():
            if self.every:
                self._push(now, logs or {})  # the chart's last point is where training stopped
            self._stop_now()
            return
        if self.every and (self._last_push is None or now - self._last_push >= self.every):
            first = self._last_push is None
            self._push(now, logs or {})
            if first:
                self.live.kick()  # the chart's first point: written now, not at the writer's next interval

    def _mark(self, now: float) -> None:
        """Time this batch end for the moving-window rate."""
        if self._marks:
            self._measured += now - self._marks[-1][0]
        self._marks.append((now, self._images_in_epoch()))
        while len(self._marks) > 2 and now - self._marks[1][0] > RATE_WINDOW_S:
            self._marks.popleft()

    def _images_in_epoch(self) -> int:
        return min(self.step * self.cfg.batch_size, len(self.t.y_train))

    def _stop_now(self) -> None:
        self.user_stopped = True
        if self.live.stop_step is not None:
            self.stop_latency_steps = self.live.global_step - self.live.stop_step
        self.model.stop_training = True

    def _push(self, now: float, logs: dict) -> None:
        loss = logs.get("loss")
        if loss is not None and not is_finite(loss):
            where = {"epoch": self.epoch, "step": self.step}
            self.diverged = Diverged("engine.run.diverged_step", loss=str(float(loss)), **where)
            self.model.stop_training = True
            return
        rows = [
            (self.t.run_id, self.epoch, self.step, "batch", "train", k, float(v))
            for k, v in logs.items()
            if k in ("loss", "accuracy")
        ]
        self.live.push(rows)
        self._last_push = now
        rate = window_rate(self._marks)
        if rate is not None:
            self._rate = rate  # between epochs the last rate stands until the new epoch has its own
        n = len(self.t.y_train)
        images_left = (self.cfg.epochs - self.epoch) * n + n - self._images_in_epoch()
        eta = eta_seconds(images_left, self._rate, self._measured, self._epochs_timed)
        self.live.set_progress(
            step=self.step,
            samples_per_s=None if self._rate is None else round(self._rate, 1),
            eta_s=None if eta is None else round(eta, 1),
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
            self.diverged = Diverged("engine.run.diverged", loss=str(loss), epoch=self.epoch)
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
                self.diverged = Diverged("engine.run.diverged", loss="NaN", epoch=e)
                self.model.stop_training = True
                return
        self._epochs_timed += 1
        self.live.set_progress(epoch_values=epoch_values(e, values))
        self.live.kick()  # the epoch chart draws it now; the checkpoint commit lands in the background
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
        state["train_seconds"] = float(state.get("train_seconds", 0.0)) + train_time  # over resumes too
        if cfg.time_budget_s and state["train_seconds"] >= cfg.time_budget_s and e < cfg.epochs:
            self.budget_reached = True  # an arena's budget in seconds: every entry trains this long
            state["budget_epoch"] = e
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
            state=json.loads(to_json(state)),
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


def epoch_values(epoch: int, values: dict[tuple[str, str], float]) -> dict[str, float | int]:
    """A finished epoch's values for the progress record: {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}."""
    out: dict[str, float | int] = {"epoch": epoch}
    for split in ("train", "val"):
        for name in ("loss", "accuracy"):
            value = values.get((split, name))
            if value is not None:
                out[name if split == "train" else f"val_{name}"] = float(value)
    return out


def make_callback(trainer: Trainer) -> EngineCallback:
    """The engine's Keras callback for `trainer`."""
    return EngineCallback(trainer)
