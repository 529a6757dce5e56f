"""Studies: named sets of runs created together (an arena of architectures, a learning curve, a sweep).

A study is a row in `studies` and its runs' ids in `study_runs`; the runs themselves are ordinary runs, queued and
trained by the same workers, so a study survives reloads, closed tabs and a killed server as runs do. Stopping a
study marks it stopped (its interrupted runs are then left alone); an active study's runs that were interrupted
(a worker or the machine died) are queued again by `jobs.reconcile`, at most MAX_ATTEMPTS times each.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from cnnlab.errors import CnnLabError
from cnnlab.runs import records as rs
from cnnlab.runs.store import RunStore

ACTIVE, STOPPED = "active", "stopped"
MAX_ATTEMPTS = 3  # a run interrupted this often is left for a person to look at
KINDS = ("arena", "sweep", "curve")


class StudyNotFound(CnnLabError, KeyError):
    """No study with that id, prefix or name."""


@dataclass
class StudyRun:
    """One entry of a study: its label (e.g. the architecture) and its run."""

    label: str
    run_id: str


@dataclass
class Study:
    id: str
    name: str
    kind: str
    created: float
    settings: dict[str, Any]
    status: str
    runs: list[StudyRun] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "created": self.created,
            "settings": self.settings, "status": self.status,
            "runs": [{"label": r.label, "run_id": r.run_id} for r in self.runs],
        }  # fmt: skip


def new_study_id() -> str:
    return "s" + rs.new_run_id()


def create_study(store: RunStore, *, name: str, kind: str, settings: dict[str, Any]) -> str:
    """Insert an empty active study and return its id (runs are added with `add_run` as they are queued)."""
    study_id = new_study_id()
    with store.write() as c:
        c.execute(
            "INSERT INTO studies (id, name, kind, created, settings, status) VALUES (?, ?, ?, ?, ?, ?)",
            (study_id, name, kind, time.time(), json.dumps(settings), ACTIVE),
        )
    return study_id


def add_run(store: RunStore, study_id: str, run_id: str, label: str) -> None:
    with store.write() as c:
        position = c.execute("SELECT count(*) FROM study_runs WHERE study_id = ?", (study_id,)).fetchone()[0]
        c.execute(
            "INSERT INTO study_runs (study_id, run_id, position, label) VALUES (?, ?, ?, ?)",
            (study_id, run_id, position, label),
        )


def _study(store: RunStore, row: Any) -> Study:
    runs = store.query(
        "SELECT label, run_id FROM study_runs WHERE study_id = ? ORDER BY position", (row["id"],)
    )
    settings = json.loads(row["settings"]) if row["settings"] else {}
    return Study(row["id"], row["name"], row["kind"], row["created"], settings, row["status"],
                 [StudyRun(r["label"], r["run_id"]) for r in runs])  # fmt: skip


def list_studies(store: RunStore) -> list[Study]:
    """Every study, newest first."""
    rows = store.query("SELECT * FROM studies ORDER BY created DESC, id DESC")
    return [_study(store, row) for row in rows]


def get_study(store: RunStore, ref: str) -> Study:
    """A study by id, unique id prefix or exact name."""
    ref = (ref or "").strip()
    if not ref or len(ref) > 200:
        raise StudyNotFound("engine.study.not_found", ref=ref[:40])
    rows = store.query(
        "SELECT * FROM studies WHERE id = ? OR name = ? OR substr(id, 1, ?) = ?", (ref, ref, len(ref), ref)
    )
    exact = [r for r in rows if r["id"] == ref] or rows
    if len(exact) != 1:
        raise StudyNotFound("engine.study.not_found", ref=ref[:40])
    return _study(store, exact[0])


def study_of(store: RunStore, run_id: str) -> Study | None:
    """The study a run belongs to, if any."""
    rows = store.query(
        "SELECT s.* FROM studies s JOIN study_runs sr ON sr.study_id = s.id WHERE sr.run_id = ?", (run_id,)
    )
    return _study(store, rows[0]) if rows else None


def set_status(store: RunStore, study_id: str, status: str) -> None:
    with store.write() as c:
        c.execute("UPDATE studies SET status = ? WHERE id = ?", (status, study_id))


def interrupted_in_active_studies(store: RunStore) -> list[str]:
    """Runs of active studies that a dead worker left interrupted and that may be tried again."""
    rows = store.query(
        "SELECT r.id FROM runs r JOIN study_runs sr ON sr.run_id = r.id JOIN studies s ON s.id = sr.study_id"
        " WHERE s.status = ? AND r.status = ? AND r.attempts < ?",
        (ACTIVE, rs.INTERRUPTED, MAX_ATTEMPTS),
    )
    return [r["id"] for r in rows]


def study_state(runs: list[rs.Run], status: str) -> str:
    """One word for a study: running (a run queued or training), finished (all), stopped, or failed."""
    states = {r.status for r in runs}
    if states & set(rs.ACTIVE):
        return "running"
    if runs and states == {rs.FINISHED}:
        return "finished"
    if status == STOPPED or states & {rs.STOPPED, rs.INTERRUPTED}:
        return "stopped"
    return "failed" if rs.FAILED in states else "running"
