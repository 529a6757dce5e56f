"""Fine-tuning a run on the user's drawings ("teach it"), and comparing before and after.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.runs.store import Run, RunStore, open_store
from cnnlab.train.drawings import DRAWINGS_DIR, Drawings, TeachError, is_digit_model, load_drawings

FINETUNE_EPOCHS = 5


FINETUNE_LR_FACTOR = 0.3  # fine-tuning moves trained weights gently


DRAWING_SHARE = 0.1  # the drawings (repeated) make up about this share of the fine-tuning data


MAX_REPEAT = 100


def repeats_for(n_drawings: int, n_train: int) -> int:
    """How often each drawing is repeated so the drawings are about DRAWING_SHARE of the fine-tuning data."""
    if n_drawings <= 0:
        return 0
    return int(min(MAX_REPEAT, max(1, math.ceil(DRAWING_SHARE * max(n_train, 1) / n_drawings))))


def _train_count(run: Run) -> int:
    from cnnlab.data import datasets as data

    try:
        n = int(data.dataset_info(run.dataset).counts.get("train", 0))
    except KeyError:
        n = 0
    limit = run.config.get("max_train_samples")
    return min(n, int(limit)) if limit else n


def finetune_config(
    run: Run,
    model_path: Path | str,
    drawings: Drawings,
    store: RunStore | None = None,
    *,
    epochs: int = FINETUNE_EPOCHS,
) -> dict[str, Any]:
    """The run's own training config, starting from its model, with the drawings added (snapshot written now)."""
    from cnnlab.fsutil import atomic_write
    from cnnlab.train.config import TrainConfig

    if not len(drawings):
        raise TeachError("engine.teach.none_yet")
    shape = tuple(run.arch.get("input_shape", ()))
    if not is_digit_model(shape):
        raise TeachError("engine.teach.not_digits", name=repr(run.name), shape="x".join(map(str, shape)))
    store = open_store(store)
    repeat = repeats_for(len(drawings), _train_count(run))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    snapshot = store.home / DRAWINGS_DIR / "finetune" / f"{drawings.dataset}-{stamp}-{secrets.token_hex(3)}.npz"
    x = np.concatenate([drawings.x] * repeat)
    y = np.concatenate([drawings.y] * repeat)
    atomic_write(snapshot, lambda tmp: np.savez_compressed(tmp, x=x, y=y, unique=np.int64(len(drawings))))
    known = {f.name for f in fields(TrainConfig)}
    cfg = {k: v for k, v in run.config.items() if k in known}
    cfg.update(
        dataset=run.dataset,
        arch=run.arch or cfg.get("arch"),
        init_model_path=str(model_path),
        extra_data=str(snapshot),
        epochs=int(epochs),
        warmup_epochs=0,
        # the validation split holds none of the drawings, so "best by val_loss" would hand out the epoch before
        # they were learnt; the training loss (MNIST + drawings) picks the checkpoint that fits both
        monitor="loss",
        early_stopping=False,
        learning_rate=float(cfg.get("learning_rate") or TrainConfig().learning_rate) * FINETUNE_LR_FACTOR,
    )
    return cfg


def start_finetune(
    run_ref: str, store: RunStore | None = None, *, epochs: int = FINETUNE_EPOCHS, name: str | None = None
) -> str:
    """Queue a run that fine-tunes `run_ref`'s best model on its training data plus the personal drawings."""
    from cnnlab.runs.files import ModelMissing, run_model_path
    from cnnlab.train import launch as jobs

    store = open_store(store)
    run = store.find_run(run_ref)
    try:
        model_path = run_model_path(store, run.id)
    except ModelMissing as exc:
        raise TeachError(exc.key, **exc.values) from None
    drawings = load_drawings(run.dataset, store)
    config = finetune_config(run, model_path, drawings, store, epochs=epochs)
    return jobs.start_run(config, name=name or f"{run.name} + my drawings", store=store)


def finetune_drawings(run: Run) -> tuple[np.ndarray, np.ndarray] | None:
    """The unique drawings a fine-tune run trained on (x uint8, y), or None for an ordinary run."""
    extra = run.config.get("extra_data")
    if not extra or not run.parent:
        return None
    path = Path(extra)
    if path.parent.name != "finetune" or path.parent.parent.name != DRAWINGS_DIR or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            n = int(f["unique"]) if "unique" in f.files else len(f["y"])
            return np.asarray(f["x"][:n], np.uint8), np.asarray(f["y"][:n], np.int64)
    except (OSError, ValueError, KeyError):
        return None


@dataclass
class BeforeAfter:
    """One saved drawing's prediction by the model before fine-tuning and after."""

    label: int
    before: int
    before_p: float
    after: int
    after_p: float

    @property
    def fixed(self) -> bool:
        return self.before != self.label and self.after == self.label

    @property
    def broken(self) -> bool:
        return self.before == self.label and self.after != self.label


def before_after(before_probs: np.ndarray, after_probs: np.ndarray, labels: np.ndarray) -> list[BeforeAfter]:
    """Pair the two models' predictions on the same drawings."""
    b, a = np.asarray(before_probs), np.asarray(after_probs)
    out = []
    for i, label in enumerate(np.asarray(labels, dtype=np.int64)):
        pb, pa = int(b[i].argmax()), int(a[i].argmax())
        out.append(BeforeAfter(int(label), pb, float(b[i, pb]), pa, float(a[i, pa])))
    return out
