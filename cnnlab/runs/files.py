"""A run's files: its model checkpoint and its metrics as CSV.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cnnlab.errors import CnnLabError
from cnnlab.runs.store import RunStore


class ModelMissing(CnnLabError, RuntimeError):
    """The run has no saved model yet (it saves one after its first completed epoch)."""


def run_model_path(store: RunStore, run_id: str) -> Path:
    """The best checkpoint of a run (or its last one); ModelMissing when it has none yet."""
    for kind in ("best_model", "last_model"):
        art = store.artifact(run_id, kind)
        if art and art.path.is_file():
            return art.path
    raise ModelMissing("this run has no saved model yet (it saves one after its first completed epoch)")


def metrics_csv(store: RunStore, run_id: str) -> str:
    """Every stored metric of a run as CSV (epoch, step, scope, split, name, value, time)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["epoch", "step", "scope", "split", "name", "value", "time"])
    for m in store.metrics(run_id):
        writer.writerow([m.epoch, m.step if m.step is not None else "", m.scope, m.split, m.name, m.value, m.time])
    return out.getvalue()
