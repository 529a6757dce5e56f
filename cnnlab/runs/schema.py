"""The run store's file: its schema and migrations, and opening it safely.

`PRAGMA user_version` holds the version; whoever opens the file first applies the missing steps under a file lock.
A file that is not ours (damaged, truncated, another program's database, written by a newer CNN Lab), a read-only
folder or a lock path taken by a folder ends as one StoreError with a sentence, never as SQLite's own exception.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from cnnlab.errors import CnnLabError
from cnnlab.fsutil import file_lock

BUSY_TIMEOUT_MS = 60_000

SCHEMA_VERSION = 4


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
    # 2: why a run ended, with its catalogue key and values (JSON), so pages show it in the visitor's language
    "ALTER TABLE runs ADD COLUMN reason_key TEXT",
    # 3: warm standby workers waiting for a run (cnnlab.runs.jobs.ensure_standby): one row per process,
    # state warming | idle, run_id once a run was handed to it
    """
    CREATE TABLE standby (
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started REAL NOT NULL,
        heartbeat REAL NOT NULL,
        state TEXT NOT NULL,
        run_id TEXT,
        PRIMARY KEY (host, pid)
    )
    """,
    # 4: studies, sets of runs created together (cnnlab.runs.studies): an arena of architectures, say
    """
    CREATE TABLE studies (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        created REAL NOT NULL,
        settings TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active'
    );
    CREATE TABLE study_runs (
        study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        label TEXT NOT NULL,
        PRIMARY KEY (study_id, run_id)
    );
    CREATE INDEX study_runs_run ON study_runs(run_id)
    """,
]


class StoreError(CnnLabError, RuntimeError):
    """The store cannot be used (e.g. it was written by a newer CNN Lab); the message says why."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the store's settings: busy timeout, foreign keys, autocommit (writes use BEGIN IMMEDIATE)."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a power cut loses at most the last commits
    return conn


def migrate(path: Path) -> None:
    """Create or upgrade the schema, under a lock file next to the database."""
    with file_lock(path.with_name(path.name + ".lock")):
        conn = connect(path)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError("engine.store.newer", path=str(path), version=version, known=SCHEMA_VERSION)
            if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise StoreError("engine.store.foreign", path=str(path))  # another program's database: hands off
            if version == 0:
                conn.execute("PRAGMA journal_mode = WAL")  # persistent: set once, when the file is created
            for target in range(version + 1, SCHEMA_VERSION + 1):
                _apply(conn, target)
        finally:
            conn.close()


def _apply(conn: sqlite3.Connection, target: int) -> None:
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


@contextlib.contextmanager
def unusable(path: Path) -> Iterator[None]:
    """Turn SQLite's and the file system's refusals while opening the store at `path` into one StoreError."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text:
            raise StoreError("engine.store.read_only", path=str(path)) from None
        if "unable to open" in text:
            raise StoreError("engine.store.unusable", path=str(path), detail=str(exc)) from None
        raise StoreError("engine.store.damaged", path=str(path)) from None
    except OSError as exc:  # a folder where the lock file or the database goes, a read-only folder
        raise StoreError("engine.store.unusable", path=str(path), detail=exc.strerror or str(exc)) from None
