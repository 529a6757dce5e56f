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
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from cnnlab import paths
from cnnlab.errors import CnnLabError, to_data
from cnnlab.runs.records import (  # noqa: F401  (re-exported: callers import the states and records from here)
    ACTIVE,
    FAILED,
    FINISHED,
    INTERRUPTED,
    JSON_COLUMNS,
    QUEUED,
    RESUMABLE,
    RUN_COLUMNS,
    RUNNING,
    STOPPED,
    TERMINAL,
    Artifact,
    Metric,
    Run,
    Standby,
    new_run_id,
    status_word,
    summarize,
    to_json,
)
from cnnlab.runs.schema import (
    BUSY_TIMEOUT_MS,  # noqa: F401  (re-exported for the store's users)
    SCHEMA_VERSION,
    StoreError,
    connect,
    migrate,
    unusable,
)

DB_NAME = "runs.sqlite"
MAX_REF = 200  # characters of a run reference (an id, a prefix of one, or a name)


class BadRunName(CnnLabError, ValueError):
    """A run name that cannot be used (empty)."""


class RunNotFound(CnnLabError, KeyError):
    """No run has this id (or id prefix)."""

    __str__ = CnnLabError.__str__  # KeyError would quote the sentence


class Beat(NamedTuple):
    """A heartbeat's answer: does the worker still own its run, and has someone asked it to stop?"""

    owned: bool
    stop_requested: bool


@dataclass
class EpochCommit:
    """One completed epoch as the store records it (see RunStore.commit_epoch)."""

    epoch: int
    rows: list[tuple]  # (run_id, epoch, step, scope, split, name, value): the epoch's values and pending live rows
    last_model: Path
    state: dict[str, Any]
    progress: dict[str, Any]
    seconds: float
    best_model: Path | None = None  # set when this epoch is the new best
    best_size: int | None = None
    kernels: Path | None = None


def _with_reason_key(fields: dict[str, Any]) -> dict[str, Any]:
    """A `reason` given as an engine error is stored twice: its English text and its key with values."""
    if "reason" not in fields:
        return fields
    reason = fields["reason"]
    if isinstance(reason, CnnLabError):
        return {**fields, "reason": str(reason), "reason_key": to_data(reason)}
    return {**fields, "reason_key": None}


def _column_values(fields: dict[str, Any]) -> list[Any]:
    return [to_json(v) if k in JSON_COLUMNS and v is not None else v for k, v in fields.items()]


def open_store(store: RunStore | None = None) -> RunStore:
    """`store`, or a new RunStore on the data home when none is given (the engine's functions take an optional one)."""
    return store if store is not None else RunStore()


_MIGRATED: set[Path] = set()  # databases this process already brought up to date


class RunStore:
    """Access to the run store. One instance per thread (each holds its own SQLite connection)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.home = paths.data_home()
        self.path = Path(path) if path is not None else self.home / DB_NAME
        with unusable(self.path):  # a damaged, foreign or read-only file, or a folder in its way: one sentence
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
        return connect(self.path)

    def _migrate(self) -> None:
        """Create or upgrade the schema (serialized across processes by a lock file next to the database)."""
        migrate(self.path)

    def for_thread(self) -> RunStore:
        """The same store through a new connection, for another thread (a worker's heartbeat and committer)."""
        other = RunStore(self.path)
        other.home = self.home
        return other

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query (for the store's companions in cnnlab/runs, e.g. studies)."""
        return self._conn.execute(sql, params).fetchall()

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
                        (rid, name, time.time(), QUEUED, to_json(arch), dataset, to_json(config), seed, epochs, parent),
                    )
                return rid
            except sqlite3.IntegrityError:
                if run_id:
                    raise
        raise StoreError("engine.store.no_free_id")

    def _row_to_run(self, row: sqlite3.Row) -> Run:
        d = {k: row[k] for k in RUN_COLUMNS}
        for k in JSON_COLUMNS:
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
            raise RunNotFound("engine.run.no_such_id", run=run_id)
        return self._row_to_run(row)

    def find_run(self, ref: str) -> Run:
        """A run by id, unique id prefix, or unique name (what users type on the command line)."""
        if not isinstance(ref, str) or not ref.strip() or len(ref) > MAX_REF:
            raise RunNotFound("engine.run.bad_ref", limit=MAX_REF)  # "" would match every id; a huge one, SQLite
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
            raise RunNotFound("engine.run.no_match", ref=ref)
        ids = ", ".join(r["id"] for r in rows[:5])
        raise RunNotFound("engine.run.ambiguous", ref=ref, ids=ids)

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
        fields = _with_reason_key(fields)
        bad = set(fields) - set(RUN_COLUMNS)
        if bad:
            raise ValueError(f"unknown run columns: {sorted(bad)}")
        values = _column_values(fields)
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
            raise BadRunName("engine.run.empty_name")
        if not self.update_run(run_id, name=name):
            raise RunNotFound("engine.run.no_such_id", run=run_id)

    def delete_run(self, run_id: str) -> None:
        """Delete a run's rows (metrics and artifacts cascade). The caller removes its files."""
        with self.write() as c:
            c.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def count(self, status: str) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM runs WHERE status = ?", (status,)).fetchone()[0])

    # ------------------------------------------------------------ a worker's ownership of its run
    # A worker owns a run while the run is `running` with the worker's pid. Each write below checks that in its own
    # transaction, so a worker that lost its run (marked interrupted, then resumed by another) never writes to it.

    def set_worker_pid(self, run_id: str, pid: int) -> bool:
        """Record a just-launched worker's pid (unless its worker already claimed the run itself)."""
        with self.write() as c:
            sql = "UPDATE runs SET pid = ? WHERE id = ? AND status = ? AND (pid IS NULL OR pid = ?)"
            return c.execute(sql, (pid, run_id, RUNNING, pid)).rowcount > 0

    def claim_for_worker(self, run_id: str, pid: int) -> bool:
        """A worker's first act: take its claimed run (running, no other pid) and start the heartbeat."""
        now = time.time()
        with self.write() as c:
            sql = (
                "UPDATE runs SET pid = ?, heartbeat = ?, started = COALESCE(started, ?)"
                " WHERE id = ? AND status = ? AND (pid IS NULL OR pid = ?)"
            )
            return c.execute(sql, (pid, now, now, run_id, RUNNING, pid)).rowcount > 0

    def beat(self, run_id: str, pid: int, rows: list[tuple], progress: dict[str, Any] | None) -> Beat:
        """One heartbeat with the live metric rows and the progress record, written only while `pid` owns the run."""
        with self.write() as c:
            row = c.execute("SELECT status, pid, stop_requested FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None or row["status"] != RUNNING or row["pid"] != pid:
                return Beat(owned=False, stop_requested=True)
            self.add_metrics(rows, conn=c)
            if progress:
                sql, params = "UPDATE runs SET heartbeat = ?, progress = ? WHERE id = ?", (to_json(progress),)
            else:
                sql, params = "UPDATE runs SET heartbeat = ? WHERE id = ?", ()
            c.execute(sql, (time.time(), *params, run_id))
            return Beat(owned=True, stop_requested=bool(row["stop_requested"]))

    def finish_run(self, run_id: str, pid: int, **fields: Any) -> bool:
        """Write a run's end state (status, reason, final metrics, ...), only while `pid` still owns it."""
        fields.setdefault("finished", time.time())
        fields = _with_reason_key(fields)
        sql = f"UPDATE runs SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ? AND status = ? AND pid = ?"
        with self.write() as c:
            return c.execute(sql, [*_column_values(fields), run_id, RUNNING, pid]).rowcount > 0

    def mark_ended(self, run: Run, status: str, reason: CnnLabError, now: float) -> bool:
        """A dead worker's run ends with `status`, only if nothing changed since `run` was read (same pid, beat)."""
        fields = _with_reason_key({"status": status, "reason": reason, "finished": now})
        sql = (
            f"UPDATE runs SET {', '.join(f'{k} = ?' for k in fields)}"
            " WHERE id = ? AND status = ? AND pid IS ? AND heartbeat IS ?"
        )
        with self.write() as c:
            return c.execute(sql, [*_column_values(fields), run.id, RUNNING, run.pid, run.heartbeat]).rowcount > 0

    def commit_epoch(self, run_id: str, pid: int, epoch: EpochCommit) -> bool:
        """Make one completed epoch count, in one transaction: its metrics, its checkpoint artifacts (written to disk
        before this call) and the run's counters and state. False, with nothing written, once `pid` lost the run."""
        e = epoch.epoch
        with self.write() as c:
            owner = c.execute("SELECT status, pid FROM runs WHERE id = ?", (run_id,)).fetchone()
            if owner is None or owner["status"] != RUNNING or owner["pid"] not in (None, pid):
                return False
            self.add_metrics(epoch.rows, conn=c)
            self.add_artifact(run_id, "last_model", epoch.last_model, epoch=e, conn=c, replace_kind=True)
            if epoch.best_model is not None:
                self.add_artifact(
                    run_id, "best_model", epoch.best_model, epoch=e, conn=c, replace_kind=True, size=epoch.best_size
                )
            if epoch.kernels is not None:
                self.add_artifact(run_id, "kernels", epoch.kernels, epoch=e, conn=c)
            c.execute(
                "UPDATE runs SET epochs_done = ?, train_seconds = train_seconds + ?, state = ?, progress = ?"
                " WHERE id = ?",
                (e, epoch.seconds, to_json(epoch.state), to_json(epoch.progress), run_id),
            )
        return True

    def record_test_metrics(self, run_id: str, epochs_done: int, rows: Iterable[tuple]) -> None:
        """Replace a run's test metrics (and any partial epoch's rows) with `rows`, in one transaction."""
        with self.write() as c:
            self.delete_metrics_after(run_id, epochs_done, conn=c)
            self.add_metrics(rows, conn=c)

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

    # ------------------------------------------------------------ this host's standby workers (jobs.ensure_standby)

    def standbys(self) -> list[Standby]:
        """This host's standby workers, idle ones first, then the oldest."""
        sql = "SELECT * FROM standby WHERE host = ? ORDER BY state = 'idle' DESC, started"
        return [Standby(**dict(r)) for r in self._conn.execute(sql, (socket.gethostname(),)).fetchall()]

    def add_standby(self, fresh_after: float, spawn: Callable[[], int]) -> int | None:
        """Start a standby (`spawn()` starts it and returns its pid) unless a free one that beat after `fresh_after`
        exists; the check and the insert share one transaction, so two processes never start two."""
        host = socket.gethostname()
        with self.write() as c:
            sql = "SELECT COUNT(*) FROM standby WHERE host = ? AND run_id IS NULL AND heartbeat > ?"
            if c.execute(sql, (host, fresh_after)).fetchone()[0]:
                return None
            pid, now = spawn(), time.time()
            c.execute(
                "INSERT OR REPLACE INTO standby (host, pid, started, heartbeat, state) VALUES (?, ?, ?, ?, 'warming')",
                (host, pid, now, now),
            )
        return pid

    def standby_beat(self, pid: int, state: str | None = None) -> Standby | None:
        """A standby's heartbeat (and new state); None once its row is gone (it was told to go, or found dead)."""
        host = socket.gethostname()
        with self.write() as c:
            sql = "UPDATE standby SET heartbeat = ?, state = COALESCE(?, state) WHERE host = ? AND pid = ?"
            c.execute(sql, (time.time(), state, host, pid))
            row = c.execute("SELECT * FROM standby WHERE host = ? AND pid = ?", (host, pid)).fetchone()
        return Standby(**dict(row)) if row else None

    def assign_standby(self, pid: int, run_id: str) -> bool:
        """Hand a claimed run (running, no pid yet) to a free standby: the run gets its pid, the standby the run."""
        host = socket.gethostname()
        with self.write() as c:
            free = c.execute("SELECT 1 FROM standby WHERE host = ? AND pid = ? AND run_id IS NULL", (host, pid))
            sql = "UPDATE runs SET pid = ? WHERE id = ? AND status = ? AND pid IS NULL"
            if free.fetchone() is None or not c.execute(sql, (pid, run_id, RUNNING)).rowcount:
                return False
            c.execute("UPDATE standby SET run_id = ? WHERE host = ? AND pid = ?", (run_id, host, pid))
        return True

    def drop_standby(self, pid: int, *, heartbeat: float | None = None, free_only: bool = False) -> bool:
        """Remove a standby's row: only if its heartbeat is still `heartbeat` (found dead), only if it has no run."""
        sql = "DELETE FROM standby WHERE host = ? AND pid = ?"
        params: list[Any] = [socket.gethostname(), pid]
        if heartbeat is not None:
            sql += " AND heartbeat = ?"
            params.append(heartbeat)
        if free_only:
            sql += " AND run_id IS NULL"
        with self.write() as c:
            return c.execute(sql, params).rowcount > 0

    # ------------------------------------------------------------ settings

    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.write() as c:
            c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, to_json(value)))
