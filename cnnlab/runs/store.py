"""The run store: one SQLite file holding every run, its metrics and its artifacts.

Many processes use it at once (the Streamlit server, the CLI, one worker per training run), so:
WAL mode is set once when the file is created, every connection has a busy timeout, and every
write runs inside `BEGIN IMMEDIATE` (the write lock is taken up front, so two writers queue
instead of failing halfway). The schema carries a version (`PRAGMA user_version`) and is migrated
by whoever opens the store first, under a file lock, before any worker starts.

Reads are cheap on purpose: pages poll `get_run` and `metrics(run_id, since_id=...)` every second.
This module never imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnlab import paths
from cnnlab.errors import CnnLabError
from cnnlab.fsutil import file_lock

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000
DB_NAME = "runs.sqlite"

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

# Each entry upgrades the schema from version i to i + 1; append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created REAL NOT NULL,
        started REAL,
        finished REAL,
        status TEXT NOT NULL,
        reason TEXT,
        arch TEXT NOT NULL,
        dataset TEXT NOT NULL,
        config TEXT NOT NULL,
        seed INTEGER NOT NULL DEFAULT 0,
        epochs INTEGER NOT NULL DEFAULT 0,
        epochs_done INTEGER NOT NULL DEFAULT 0,
        train_seconds REAL NOT NULL DEFAULT 0,
        pid INTEGER,
        host TEXT,
        heartbeat REAL,
        stop_requested REAL,
        attempts INTEGER NOT NULL DEFAULT 0,
        progress TEXT,
        state TEXT,
        final_metrics TEXT,
        evaluation TEXT,
        parent TEXT
    );
    CREATE INDEX runs_status ON runs(status, created);
    CREATE TABLE metrics (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        step INTEGER,
        scope TEXT NOT NULL,
        split TEXT NOT NULL,
        name TEXT NOT NULL,
        value REAL,
        time REAL NOT NULL
    );
    CREATE INDEX metrics_run ON metrics(run_id, id);
    CREATE UNIQUE INDEX metrics_one_per_epoch ON metrics(run_id, epoch, split, name) WHERE scope = 'epoch';
    CREATE TABLE artifacts (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        epoch INTEGER,
        created REAL NOT NULL,
        size INTEGER,
        PRIMARY KEY (run_id, path)
    );
    CREATE INDEX artifacts_kind ON artifacts(run_id, kind);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
]


class StoreError(CnnLabError, RuntimeError):
    """The store cannot be used (e.g. it was written by a newer CNN Lab); the message says why."""


class RunNotFound(CnnLabError, KeyError):
    """No run has this id (or id prefix)."""

    __str__ = CnnLabError.__str__  # KeyError would quote the sentence


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
    best_model: str | None = None  # absolute path of best.keras once it exists (from artifacts)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

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


_JSON_COLUMNS = ("arch", "config", "progress", "state", "final_metrics", "evaluation")
_RUN_COLUMNS = (
    "id name created status arch dataset config seed epochs epochs_done train_seconds started finished reason pid "
    "host heartbeat stop_requested attempts progress state final_metrics evaluation parent"
).split()


def _dumps(value: Any) -> str:
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


def open_store(store: RunStore | None = None) -> RunStore:
    """`store`, or a new RunStore on the data home when none is given (the engine's functions take an optional one)."""
    return store if store is not None else RunStore()


_MIGRATED: set[Path] = set()  # databases this process already brought up to date


class RunStore:
    """Access to the run store. One instance per thread (each holds its own SQLite connection)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.home = paths.data_home()
        self.path = Path(path) if path is not None else self.home / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = self.path.resolve()
        if key not in _MIGRATED or not self.path.exists():
            self._migrate()
            _MIGRATED.add(key)
        self._conn = self._connect()
        if self.schema_version() != SCHEMA_VERSION:  # changed under us (e.g. a newer CNN Lab): check again
            self._migrate()

    # ------------------------------------------------------------ connection and schema

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a power cut loses at most the last commits
        return conn

    def _migrate(self) -> None:
        """Create or upgrade the schema; serialized across processes by a lock file next to the database."""
        with file_lock(self.path.with_name(self.path.name + ".lock")):
            conn = self._connect()
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path} was written by a newer CNN Lab (schema {version}, this one knows "
                        f"{SCHEMA_VERSION}); upgrade CNN Lab or set CNNLAB_HOME to another folder"
                    )
                if version == 0:
                    conn.execute("PRAGMA journal_mode = WAL")  # persistent: set once, when the file is created
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        for statement in MIGRATIONS[target - 1].split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {target}")
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
            finally:
                conn.close()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def journal_mode(self) -> str:
        return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    # ------------------------------------------------------------ paths

    def run_dir(self, run_id: str) -> Path:
        """The folder holding a run's files (checkpoints, logs, snapshots)."""
        return self.home / "runs" / run_id

    def _rel(self, path: str | os.PathLike) -> str:
        p = Path(path).resolve()
        try:
            return p.relative_to(self.home).as_posix()
        except ValueError:
            return str(p)

    def _abs(self, stored: str) -> Path:
        p = Path(stored)
        return p if p.is_absolute() else self.home / p

    # ------------------------------------------------------------ runs

    def create_run(
        self,
        *,
        name: str,
        arch: dict[str, Any],
        dataset: str,
        config: dict[str, Any],
        seed: int = 0,
        epochs: int = 0,
        parent: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Insert a queued run and return its id."""
        for _ in range(20):
            rid = run_id or new_run_id()
            try:
                with self.write() as c:
                    c.execute(
                        "INSERT INTO runs (id, name, created, status, arch, dataset, config, seed, epochs, parent)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (rid, name, time.time(), QUEUED, _dumps(arch), dataset, _dumps(config), seed, epochs, parent),
                    )
                return rid
            except sqlite3.IntegrityError:
                if run_id:
                    raise
        raise StoreError("could not find a free run id")

    def _row_to_run(self, row: sqlite3.Row) -> Run:
        d = {k: row[k] for k in _RUN_COLUMNS}
        for k in _JSON_COLUMNS:
            d[k] = json.loads(d[k]) if d[k] else {}
        run = Run(**d)
        best = row["best_path"] if "best_path" in row.keys() else None
        run.best_model = str(self._abs(best)) if best else None
        return run

    _SELECT = (
        "SELECT runs.*, (SELECT path FROM artifacts a WHERE a.run_id = runs.id AND a.kind = 'best_model'"
        " ORDER BY created DESC LIMIT 1) AS best_path FROM runs"
    )

    def get_run(self, run_id: str) -> Run:
        """One run by exact id; raises RunNotFound."""
        row = self._conn.execute(f"{self._SELECT} WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(f"no run with id {run_id!r}")
        return self._row_to_run(row)

    def find_run(self, ref: str) -> Run:
        """A run by id, unique id prefix, or unique name (what users type on the command line)."""
        rows = self._conn.execute(
            f"{self._SELECT} WHERE id = ? OR id LIKE ? ESCAPE '\\' OR name = ? ORDER BY created",
            (ref, ref.replace("%", r"\%").replace("_", r"\_") + "%", ref),
        ).fetchall()
        exact = [r for r in rows if r["id"] == ref]
        if exact:
            return self._row_to_run(exact[0])
        if len(rows) == 1:
            return self._row_to_run(rows[0])
        if not rows:
            raise RunNotFound(f"no run matches {ref!r}; `python -m cnnlab runs` lists them")
        ids = ", ".join(r["id"] for r in rows[:5])
        raise RunNotFound(f"{ref!r} matches several runs ({ids}); give more of the id")

    def list_runs(self, statuses: Iterable[str] | None = None) -> list[Run]:
        """Every run, newest first (optionally only those in `statuses`)."""
        if statuses:
            st = list(statuses)
            rows = self._conn.execute(
                f"{self._SELECT} WHERE status IN ({','.join('?' * len(st))}) ORDER BY created DESC", st
            ).fetchall()
        else:
            rows = self._conn.execute(f"{self._SELECT} ORDER BY created DESC").fetchall()
        return [self._row_to_run(r) for r in rows]

    def update_run(self, run_id: str, *, expect_status: Iterable[str] | None = None, **fields: Any) -> bool:
        """Set columns of one run; with expect_status, only if its status is one of those (compare-and-set).

        Returns whether the row changed. JSON columns accept Python values.
        """
        if not fields:
            return False
        bad = set(fields) - set(_RUN_COLUMNS)
        if bad:
            raise ValueError(f"unknown run columns: {sorted(bad)}")
        values = [_dumps(v) if k in _JSON_COLUMNS and v is not None else v for k, v in fields.items()]
        sql = f"UPDATE runs SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?"
        params = [*values, run_id]
        if expect_status is not None:
            st = list(expect_status)
            sql += f" AND status IN ({','.join('?' * len(st))})"
            params += st
        with self.write() as c:
            return c.execute(sql, params).rowcount > 0

    def rename_run(self, run_id: str, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a run name cannot be empty")
        if not self.update_run(run_id, name=name):
            raise RunNotFound(f"no run with id {run_id!r}")

    def delete_run(self, run_id: str) -> None:
        """Delete a run's rows (metrics and artifacts cascade). The caller removes its files."""
        with self.write() as c:
            c.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def count(self, status: str) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM runs WHERE status = ?", (status,)).fetchone()[0])

    # ------------------------------------------------------------ queue

    def claim_next(self, max_running: int) -> Run | None:
        """Atomically move the oldest queued run to running if fewer than `max_running` are running.

        The claimer then launches its worker. Doing the check and the update in one
        BEGIN IMMEDIATE transaction means two processes reconciling at once never over-fill the slots.
        """
        with self.write() as c:
            running = c.execute("SELECT COUNT(*) FROM runs WHERE status = ?", (RUNNING,)).fetchone()[0]
            if running >= max_running:
                return None
            row = c.execute(
                "SELECT id FROM runs WHERE status = ? ORDER BY created, rowid LIMIT 1", (QUEUED,)
            ).fetchone()
            if row is None:
                return None
            c.execute(
                "UPDATE runs SET status = ?, pid = NULL, host = ?, heartbeat = ?, stop_requested = NULL,"
                " reason = NULL, progress = NULL, attempts = attempts + 1 WHERE id = ?",
                (RUNNING, socket.gethostname(), time.time(), row["id"]),
            )
        return self.get_run(row["id"])

    # ------------------------------------------------------------ metrics

    def add_metrics(self, rows: Iterable[tuple], conn: sqlite3.Connection | None = None) -> None:
        """Insert (run_id, epoch, step, scope, split, name, value) rows; inside `conn`'s transaction if given."""
        now = time.time()
        data = [(*r, now) for r in rows]
        if not data:
            return
        sql = "INSERT INTO metrics (run_id, epoch, step, scope, split, name, value, time) VALUES (?,?,?,?,?,?,?,?)"
        if conn is not None:
            conn.executemany(sql, data)
        else:
            with self.write() as c:
                c.executemany(sql, data)

    def metrics(
        self,
        run_id: str,
        *,
        since_id: int = 0,
        scope: str | None = None,
        split: str | None = None,
        limit: int | None = None,
    ) -> list[Metric]:
        """Metrics with id > since_id in insertion order: pass the last id seen to read only what is new."""
        sql = "SELECT * FROM metrics WHERE run_id = ? AND id > ?"
        params: list[Any] = [run_id, since_id]
        if scope:
            sql += " AND scope = ?"
            params.append(scope)
        if split:
            sql += " AND split = ?"
            params.append(split)
        sql += " ORDER BY id"
        if limit:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [Metric(**dict(r)) for r in self._conn.execute(sql, params).fetchall()]

    def epoch_table(self, run_id: str) -> list[dict[str, Any]]:
        """One dict per completed epoch: {'epoch': 1, 'loss': ..., 'val_loss': ..., 'lr': ...}."""
        rows = self._conn.execute(
            "SELECT epoch, split, name, value FROM metrics WHERE run_id = ? AND scope = 'epoch' ORDER BY epoch, id",
            (run_id,),
        ).fetchall()
        table: dict[int, dict[str, Any]] = {}
        for r in rows:
            key = r["name"] if r["split"] == "train" else f"{r['split']}_{r['name']}"
            table.setdefault(r["epoch"], {"epoch": r["epoch"]})[key] = r["value"]
        return [table[e] for e in sorted(table)]

    def delete_metrics_after(self, run_id: str, epoch: int, conn: sqlite3.Connection | None = None) -> int:
        """Drop metrics of epochs after `epoch` and test metrics (used before a resume). Returns rows removed."""
        sql = "DELETE FROM metrics WHERE run_id = ? AND (epoch > ? OR scope = 'test')"
        if conn is not None:
            return conn.execute(sql, (run_id, epoch)).rowcount
        with self.write() as c:
            return c.execute(sql, (run_id, epoch)).rowcount

    # ------------------------------------------------------------ artifacts

    def add_artifact(
        self,
        run_id: str,
        kind: str,
        path: str | os.PathLike,
        *,
        epoch: int | None = None,
        conn: sqlite3.Connection | None = None,
        replace_kind: bool = False,
        size: int | None = None,
    ) -> None:
        """Record a file that is complete on disk (call only after its atomic replace).

        replace_kind drops other rows of this kind first (e.g. the previous 'last_model'). `size` is for a file
        that lands at `path` right after the commit (a staged best model); by default the file's own size.
        """
        p = Path(path)
        if size is None:
            size = p.stat().st_size if p.is_file() else None

        def _do(c: sqlite3.Connection) -> None:
            if replace_kind:
                c.execute("DELETE FROM artifacts WHERE run_id = ? AND kind = ?", (run_id, kind))
            c.execute(
                "INSERT OR REPLACE INTO artifacts (run_id, kind, path, epoch, created, size) VALUES (?,?,?,?,?,?)",
                (run_id, kind, self._rel(p), epoch, time.time(), size),
            )

        if conn is not None:
            _do(conn)
        else:
            with self.write() as c:
                _do(c)

    def artifacts(self, run_id: str, kind: str | None = None) -> list[Artifact]:
        sql = "SELECT * FROM artifacts WHERE run_id = ?"
        params: list[Any] = [run_id]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        sql += " ORDER BY epoch, created"
        return [
            Artifact(r["run_id"], r["kind"], self._abs(r["path"]), r["epoch"], r["created"], r["size"])
            for r in self._conn.execute(sql, params).fetchall()
        ]

    def artifact(self, run_id: str, kind: str) -> Artifact | None:
        """The newest artifact of a kind (e.g. 'best_model', 'last_model'), or None."""
        found = self.artifacts(run_id, kind)
        return max(found, key=lambda a: a.created) if found else None

    # ------------------------------------------------------------ settings

    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.write() as c:
            c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, _dumps(value)))


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
