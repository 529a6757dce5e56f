"""What the run store holds, as Python values: run states, runs, metrics and artifacts, and their JSON form."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cnnlab.errors import CnnLabError, Phrase, from_data

if TYPE_CHECKING:  # pragma: no cover
    from cnnlab.runs.store import RunStore

QUEUED, RUNNING, FINISHED, STOPPED, FAILED, INTERRUPTED = (
    "queued",
    "running",
    "finished",
    "stopped",
    "failed",
    "interrupted",
)


ACTIVE = (QUEUED, RUNNING)


TERMINAL = (FINISHED, STOPPED, FAILED, INTERRUPTED)


RESUMABLE = (STOPPED, INTERRUPTED)


def status_word(status: str) -> Phrase:
    """A run state as a word inside a sentence ("run X is finished"), translated with the sentence."""
    return Phrase(f"engine.status.{status}")


@dataclass
class Run:
    """One row of `runs`, JSON columns decoded. Cheap to build; pages poll it every second."""

    id: str
    name: str
    created: float
    status: str
    arch: dict[str, Any]
    dataset: str
    config: dict[str, Any]
    seed: int = 0
    epochs: int = 0
    epochs_done: int = 0
    train_seconds: float = 0.0
    started: float | None = None
    finished: float | None = None
    reason: str | None = None
    pid: int | None = None
    host: str | None = None
    heartbeat: float | None = None
    stop_requested: float | None = None
    attempts: int = 0
    progress: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    final_metrics: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    parent: str | None = None
    reason_key: dict[str, Any] = field(default_factory=dict)  # `reason` with its catalogue key and values
    best_model: str | None = None  # absolute path of best.keras once it exists (from artifacts)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def reason_error(self) -> CnnLabError | str | None:
        """Why the run ended, as an error the UI translates by key (older rows: the English text only)."""
        if self.reason_key:
            return from_data(self.reason_key)
        return self.reason

    @property
    def duration(self) -> float:
        """Seconds spent training (summed over resumes; waiting in the queue does not count)."""
        return float(self.train_seconds)

    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        """The stable JSON shape used by `python -m cnnlab runs --json` (full adds config and evaluation)."""
        d = {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "pid": self.pid,
            "dataset": self.dataset,
            "arch": self.arch.get("name"),
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "epochs": self.epochs,
            "epochs_done": self.epochs_done,
            "duration_s": round(self.train_seconds, 2),
            "final_metrics": self.final_metrics,
            "best_model": self.best_model,
            "progress": self.progress,
        }
        if full:
            d.update(config=self.config, arch_spec=self.arch, evaluation=self.evaluation, parent=self.parent)
        return d


@dataclass
class Metric:
    """One metric value. scope: 'batch' (throttled running means), 'epoch', or 'test'."""

    id: int
    run_id: str
    epoch: int
    step: int | None
    scope: str
    split: str
    name: str
    value: float | None
    time: float


@dataclass
class Artifact:
    run_id: str
    kind: str
    path: Path
    epoch: int | None
    created: float
    size: int | None


class Standby(NamedTuple):
    """A warm standby worker on this host (a row of `standby`): warming | idle; run_id once it was handed a run."""

    host: str
    pid: int
    started: float
    heartbeat: float
    state: str
    run_id: str | None


JSON_COLUMNS = ("arch", "config", "progress", "state", "final_metrics", "evaluation", "reason_key")


RUN_COLUMNS = (
    "id name created status arch dataset config seed epochs epochs_done train_seconds started finished reason pid "
    "host heartbeat stop_requested attempts progress state final_metrics evaluation parent reason_key"
).split()


def to_json(value: Any) -> str:
    """JSON text for a column: compact, NumPy values as plain numbers and lists, paths as text."""
    return json.dumps(value, separators=(",", ":"), allow_nan=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def new_run_id() -> str:
    """Sortable and short enough to type: 20250101-120000-ab12."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


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
