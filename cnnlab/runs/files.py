"""A run's files: its model checkpoint, its metrics as CSV, and its dataset as it was split for training.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from cnnlab.errors import CnnLabError
from cnnlab.runs.store import Run, RunStore

if TYPE_CHECKING:
    from cnnlab.data.datasets import Dataset


class ModelMissing(CnnLabError, RuntimeError):
    """The run has no saved model yet (it saves one after its first completed epoch)."""


def run_model_path(store: RunStore, run_id: str) -> Path:
    """The best checkpoint of a run (or its last one); ModelMissing when it has none yet."""
    for kind in ("best_model", "last_model"):
        art = store.artifact(run_id, kind)
        if art and art.path.is_file():
            return art.path
    raise ModelMissing("engine.export.no_model")


def run_split(run: Run) -> tuple[str, int, float]:
    """(dataset, seed, val_fraction) the run was trained with: together they fix its train/validation/test split."""
    return run.dataset, int(run.seed), float(run.config.get("val_fraction", 0.1))  # 0.1: TrainConfig's default


def run_dataset(run: Run) -> Dataset:
    """The run's dataset reloaded exactly as it was trained, so its test split is the one the run never saw."""
    from cnnlab.data.datasets import load_dataset

    name, seed, val_fraction = run_split(run)
    return load_dataset(name, seed=seed, val_fraction=val_fraction)


def metrics_csv(store: RunStore, run_id: str) -> str:
    """Every stored metric of a run as CSV (epoch, step, scope, split, name, value, time)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["epoch", "step", "scope", "split", "name", "value", "time"])
    for m in store.metrics(run_id):
        writer.writerow([m.epoch, m.step if m.step is not None else "", m.scope, m.split, m.name, m.value, m.time])
    return out.getvalue()
