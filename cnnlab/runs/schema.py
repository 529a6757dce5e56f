"""The run store's schema and its migrations: each entry upgrades version i to i + 1; append, never edit.

`PRAGMA user_version` holds the version; RunStore applies the missing steps under a file lock when it opens a file.
"""

SCHEMA_VERSION = 3


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
]
