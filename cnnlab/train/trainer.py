"""One run's training in the worker process: data, model, input pipeline, fit, evaluation.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.data import drawn
from cnnlab.errors import CnnLabError
from cnnlab.fsutil import atomic_write
from cnnlab.imaging import shift_averaged, shifted_copies
from cnnlab.metrics import classification_report
from cnnlab.modelfiles import load_model, load_model_file
from cnnlab.runs.records import to_json
from cnnlab.runs.store import RunStore, summarize
from cnnlab.train.callbacks import make_callback
from cnnlab.train.checkpoints import STAGED_BEST, EpochCommitter, promote_staged_best, staged_best_path
from cnnlab.train.config import ConfigError, TrainConfig, available_memory_bytes, memory_problem, training_memory_bytes
from cnnlab.train.devices import even_shard_count, keras_backend, make_strategy
from cnnlab.train.live import BrokenRun, Live, LostOwnership, OutOfMemory
from cnnlab.train.pipeline import training_input

# settings read only around the traced train step (callbacks, evaluation, checkpoints): a prepared trainer serves
# a run whose config differs from its own in these alone
AFTER_THE_STEP = ("early_stopping", "patience", "monitor", "restore_best", "metrics", "kernel_snapshots",
                  "batch_metrics_every")  # fmt: skip


def as_stored(cfg: TrainConfig) -> dict[str, Any]:
    """A config as the run store gives it back (through JSON)."""
    return json.loads(to_json(cfg.to_dict()))


def same_train_step(config: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two stored configs build the same data, model and traced train step (see AFTER_THE_STEP)."""
    keys = (set(config) | set(other)) - set(AFTER_THE_STEP)
    return all(config.get(k) == other.get(k) for k in keys)


@dataclass
class Outcome:
    """How a training call ended: finished | stopped | early_stopped | budget_reached."""

    status: str
    epochs_done: int
    final_metrics: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)


class Trainer:
    """One run's training in this process: data, model, tf.data pipelines, callbacks, fit, evaluation.

    The bench drives the same object, so what it measures is exactly what workers run.
    """

    def __init__(self, run_id: str, store: RunStore, live: Live | None = None) -> None:
        self.store = store
        self.live = live or Live()
        self.model = None
        self.prepared = False  # data, model and traced train step made ahead (see `prepare_trainer`)
        self._bind(store.get_run(run_id))

    @classmethod
    def ahead(cls, cfg: TrainConfig, store: RunStore) -> Trainer:
        """A trainer for a run that does not exist yet: a standby worker prepares the likeliest next run with it
        (cnnlab.train.standby), then `adopt`s the run if it comes with exactly this config."""
        self = cls.__new__(cls)
        self.store, self.live, self.model, self.prepared = store, Live(), None, False
        self.run_id, self.cfg, self.record, self.dir = None, cfg, None, None
        self.state, self.epochs_done, self._t0, self.timeline = {}, 0, time.perf_counter(), {}
        return self

    def _bind(self, run) -> None:
        self.run_id = run.id
        self.cfg = TrainConfig.from_dict(run.config)
        self.record = run
        self.dir = self.store.run_dir(run.id)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state: dict[str, Any] = dict(run.state or {})
        self.epochs_done = int(run.epochs_done)
        self._t0 = time.perf_counter()
        self.timeline: dict[str, float] = {}

    def adopt(self, run_id: str, store: RunStore, live: Live) -> bool:
        """Take on run `run_id` if this prepared trainer was made for its config (a fresh run, the same settings up to
        AFTER_THE_STEP; see cnnlab.train.standby); False, nothing changed, otherwise."""
        run = store.get_run(run_id)
        if not self.prepared or run.epochs_done or run.state or not same_train_step(run.config, as_stored(self.cfg)):
            return False
        self.store, self.live = store, live
        self._bind(run)
        return True

    def mark(self, what: str) -> None:
        """Note (and log to the worker's log) how long the run took to reach a point."""
        self.timeline[what] = round(time.perf_counter() - self._t0, 3)
        print(f"{time.strftime('%H:%M:%S')} +{self.timeline[what]:.2f}s {what}", flush=True)

    # ------------------------------------------------------------ data

    def load_data(self) -> None:
        from cnnlab.data.datasets import load_dataset

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

    def pipelines(self, initial_epoch: int = 0):
        """A new training input (see `cnnlab.train.pipeline.training_input`)."""
        return training_input(self, initial_epoch)

    def training_data(self, initial_epoch: int = 0):
        """This trainer's training input, made on first use (the bench fits repeatedly; a standby makes it ahead)."""
        if getattr(self, "_train_data", None) is None:
            self._train_data = self.pipelines(initial_epoch)
        return self._train_data

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

        from cnnlab.arch.build import build_model
        from cnnlab.arch.spec import ArchSpec

        cfg = self.cfg
        # before any layer exists; every build sets it, so a process that trains twice never inherits a policy
        keras.config.set_dtype_policy("mixed_float16" if cfg.mixed_precision else "float32")
        self.strategy = make_strategy(cfg.strategy)
        replicas = self.strategy.num_replicas_in_sync
        if replicas > 1 and keras_backend() != "tensorflow":
            if cfg.batch_size % replicas:
                raise ConfigError(CnnLabError("engine.train.mirrored_batch", batch=cfg.batch_size, devices=replicas))
            n = even_shard_count(len(self.y_train), cfg.batch_size, replicas)
            self.steps_per_epoch = math.ceil(n / cfg.batch_size)  # before the schedules count steps
        with self.strategy.scope():
            if resume_from is not None:
                model = load_model(resume_from, compile=True)
                optimizer = model.optimizer
            else:
                if cfg.init_model_path:
                    model, _ = load_model_file(cfg.init_model_path)
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
            from cnnlab.arch.analysis import analyze
            from cnnlab.arch.spec import ArchSpec

            totals = analyze(ArchSpec.from_dict(self.cfg.arch)).totals  # type: ignore[arg-type]
        except Exception:  # (a spec analysis cannot describe: no estimate)
            return
        problem = memory_problem(training_memory_bytes(totals, self.cfg.batch_size), available_memory_bytes())
        if problem:
            raise OutOfMemory(problem.key, **problem.values)

    def _check_model_fits(self, model) -> None:
        shape = tuple(int(d) for d in model.input_shape[1:])
        if shape != tuple(self.dataset.image_shape):
            got, want = "x".join(map(str, shape)), "x".join(map(str, self.dataset.image_shape))
            raise ConfigError(CnnLabError("engine.train.start_shape", got=got, dataset=self.cfg.dataset, shape=want))
        if int(model.output_shape[-1]) != self.num_classes:
            outputs, classes = model.output_shape[-1], self.num_classes
            raise ConfigError(
                CnnLabError("engine.train.start_classes", outputs=outputs, dataset=self.cfg.dataset, classes=classes)
            )

    # ------------------------------------------------------------ inference helpers

    def predict(self, x: np.ndarray, batch: int = 1024) -> np.ndarray:
        """Class probabilities for uint8 images, in batches (one traced function, no Keras predict loop)."""
        if getattr(self, "_forward", None) is None:  # once a run: a new tf.function traces again (30-70 ms a call,
            self._forward = self._make_forward()  # which the recorded latency_ms then measured instead of ~1 ms)
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
        train = self.training_data(initial_epoch)
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

    def _setup(self) -> Path | None:
        """Data and model (fresh, or reloaded from the last checkpoint to resume); returns that checkpoint."""
        if not self.prepared:
            self.load_data()
            self.mark(f"data loaded ({len(self.y_train)} training images)")
        resume_from = None
        if self.epochs_done > 0:
            last = self.store.artifact(self.run_id, "last_model")
            if last is None or not last.path.is_file():
                raise BrokenRun("engine.run.checkpoint_missing")
            resume_from = last.path
        self._cleanup_checkpoints()
        self.store.delete_metrics_after(self.run_id, self.epochs_done)  # rows of a partial epoch
        self._check_memory()
        if self.prepared:
            self.mark("prepared model adopted (data, model and train step made before the run)")
            return None
        import keras

        self.mark("keras imported")
        keras.utils.set_random_seed(self.cfg.seed + self.epochs_done)
        self.build(resume_from)
        self.mark(f"model resumed from epoch {self.epochs_done}" if resume_from else "model built")
        return resume_from

    def run(self) -> Outcome:
        """The whole run: data, model (fresh or resumed), fit to cfg.epochs, evaluation."""
        self.live.set_progress(phase="loading", epoch=self.epochs_done, epochs=self.cfg.epochs)
        resume_from = self._setup()
        if resume_from is not None and self.cfg.schedule == "plateau" and "lr" in self.state:
            self.model.optimizer.learning_rate = float(self.state["lr"])
        if self.epochs_done == 0 and self.cfg.kernel_snapshots:
            self._snapshot_kernels(0)
        cb = None
        if self.epochs_done < self.cfg.epochs and not self.live.stop.is_set():
            cb = self.fit(self.epochs_done, self.cfg.epochs)
            if self.live.lost.is_set():
                raise LostOwnership("engine.run.lost", run=self.run_id)
            if cb.diverged:
                raise cb.diverged
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
        if status == "finished" and cb is not None and cb.budget_reached:
            status = "budget_reached"
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
            for k in ("test_accuracy", "test_loss", "test_precision", "test_recall", "test_auc", "drawn_accuracy",
                      "drawn_ratio", "latency_ms", "drawn_accuracy_shifted", "latency_shifted_ms"):
                if k in evaluation:
                    out[k] = evaluation[k]
        return out

    # ------------------------------------------------------------ evaluation

    def evaluate(self) -> dict[str, Any]:
        """Test metrics of the model users get (best checkpoint when restore_best, else the final weights)."""
        best = self.store.artifact(self.run_id, "best_model")
        source = "last"
        if self.cfg.restore_best and best is not None and best.path.is_file():
            self.model.set_weights(load_model(best.path).get_weights())
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
            **self._drawn_evaluation(rep["accuracy"]),
            "latency_ms": self._latency_ms(ds.x_test[:1]),
        }
        rows = [
            (self.run_id, self.epochs_done, None, "test", "test", name, evaluation[f"test_{name}"])
            for name in ("loss", "accuracy", "precision", "recall", "auc")
        ]
        self.store.record_test_metrics(self.run_id, self.epochs_done, rows)
        return evaluation

    def _latency_ms(self, one: np.ndarray, repeats: int = 15) -> float | None:
        """Median time to classify one image (batch 1) once warm, in ms: what a user waits for on Predict."""
        if not len(one):
            return None
        self.predict(one)  # warm: the batch-1 trace
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            self.predict(one)
            times.append(time.perf_counter() - started)
        return float(np.median(times) * 1000)

    def _drawn_evaluation(self, native_accuracy: float) -> dict[str, float]:
        """Accuracy on the test digits re-drawn as people draw them (digit datasets only) and its ratio to the
        native accuracy: how the model will do on the Predict canvas."""
        ds = self.dataset
        if not drawn.applies_to(ds.x_test.shape[1:]) or not len(ds.y_test):
            return {}
        images = drawn.drawn_test_images(ds.x_test, drawn.DRAWN_SEED)
        accuracy = float((self.predict(images).argmax(axis=1) == ds.y_test).mean())
        shifted = float((shift_averaged(self.predict, images).argmax(axis=1) == ds.y_test).mean())
        return {
            "drawn_accuracy": accuracy,
            "drawn_ratio": accuracy / native_accuracy if native_accuracy else 0.0,
            # averaged over 1-pixel shifts (Predict offers it when it pays) and what it costs per drawing
            "drawn_accuracy_shifted": shifted,
            "latency_shifted_ms": self._latency_ms(shifted_copies(ds.x_test[:1])),
        }

    # ------------------------------------------------------------ epoch bookkeeping

    def _snapshot_kernels(self, epoch: int) -> None:
        layer = self.first_conv()
        if layer is None:
            return
        weights = [np.asarray(w) for w in layer.get_weights()]
        path = self.dir / "kernels" / f"epoch-{epoch:04d}.npz"
        bias = weights[1] if len(weights) > 1 else np.zeros(weights[0].shape[-1], np.float32)
        atomic_write(path, lambda tmp: np.savez(tmp, kernel=weights[0], bias=bias, layer=np.array(layer.name)))
        self.store.add_artifact(self.run_id, "kernels", path, epoch=epoch)
