"""The run store: schema, WAL, transactions, incremental reads, and many processes writing at once."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cnnlab.runs import store as st
from cnnlab.runs.store import RunNotFound, RunStore, StoreError

ROOT = Path(__file__).resolve().parents[2]


def _new(store: RunStore, name: str = "r", **kw) -> str:
    return store.create_run(name=name, arch={"name": "lenet5"}, dataset="mnist-sample", config={"epochs": 2}, **kw)


def test_schema_wal_and_version(cnnlab_home: Path) -> None:
    s = RunStore()
    assert s.path == cnnlab_home / "runs.sqlite"
    assert s.journal_mode() == "wal"
    assert s.schema_version() == st.SCHEMA_VERSION
    tables = {r[0] for r in s._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "metrics", "artifacts", "settings"} <= tables
    busy = s._conn.execute("PRAGMA busy_timeout").fetchone()[0]
    assert busy == st.BUSY_TIMEOUT_MS
    s.close()
    again = RunStore()  # opening an up-to-date store migrates nothing and keeps WAL
    assert again.schema_version() == st.SCHEMA_VERSION and again.journal_mode() == "wal"


def test_newer_schema_is_refused(cnnlab_home: Path) -> None:
    RunStore().close()
    conn = sqlite3.connect(cnnlab_home / "runs.sqlite")
    conn.execute(f"PRAGMA user_version = {st.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer CNN Lab"):
        RunStore()


def test_a_store_written_by_the_first_schema_opens_and_upgrades(cnnlab_home: Path) -> None:
    """A runs.sqlite made before failure reasons carried their key (schema 1) keeps its runs and reads them."""
    from cnnlab.errors import CnnLabError
    from cnnlab.runs.schema import MIGRATIONS

    with contextlib.closing(sqlite3.connect(cnnlab_home / "runs.sqlite", isolation_level=None)) as old:
        old.execute("PRAGMA journal_mode = WAL")
        old.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
        old.execute(
            "INSERT INTO runs (id, name, created, status, reason, arch, dataset, config) VALUES (?,?,?,?,?,?,?,?)",
            ("r1", "old run", 1.0, "failed", "out of memory: the batch is too large", '{"name": "lenet5"}', "d", "{}"),
        )
    store = RunStore()
    assert store.schema_version() == st.SCHEMA_VERSION
    run = store.get_run("r1")
    assert (run.name, run.status, run.reason_key) == ("old run", "failed", {})
    assert run.reason_error == "out of memory: the batch is too large"  # shown as it was written
    store.update_run("r1", reason=CnnLabError("engine.run.worker_died", pid=7))
    again = store.get_run("r1")
    assert again.reason == "the worker process (pid 7) ended unexpectedly"
    assert again.reason_error.message("zh") == "训练进程（pid 7）意外结束"


def test_runs_create_get_find_update() -> None:
    s = RunStore()
    a = _new(s, "first", seed=3, epochs=5)
    b = _new(s, "second")
    run = s.get_run(a)
    assert (run.status, run.name, run.seed, run.epochs, run.arch["name"]) == ("queued", "first", 3, 5, "lenet5")
    assert run.config == {"epochs": 2} and run.progress == {} and run.best_model is None
    assert [r.id for r in s.list_runs()] == [b, a]  # newest first
    assert s.find_run(a).id == a and s.find_run("second").id == b
    with pytest.raises(RunNotFound, match="no run"):
        s.get_run("nope")
    # a shared prefix is ambiguous, and the message lists candidates
    common = a[: max(i for i in range(len(a)) if a[:i] == b[:i])]
    if common:
        with pytest.raises(RunNotFound, match="several runs"):
            s.find_run(common)
    # compare-and-set
    assert s.update_run(a, expect_status=["queued"], status="stopped", progress={"epoch": 1})
    assert not s.update_run(a, expect_status=["queued"], status="running")
    assert s.get_run(a).status == "stopped" and s.get_run(a).progress == {"epoch": 1}
    with pytest.raises(ValueError, match="unknown run columns"):
        s.update_run(a, bogus=1)
    s.rename_run(a, "renamed")
    assert s.get_run(a).name == "renamed"
    with pytest.raises(ValueError):
        s.rename_run(a, "  ")
    s.delete_run(a)
    with pytest.raises(RunNotFound):
        s.get_run(a)


def test_claim_respects_slots_and_order() -> None:
    s = RunStore()
    ids = [_new(s, f"r{i}") for i in range(3)]
    first = s.claim_next(1)
    assert first is not None and first.id == ids[0] and first.status == "running" and first.attempts == 1
    assert s.claim_next(1) is None  # the only slot is taken
    second = s.claim_next(2)
    assert second is not None and second.id == ids[1]
    assert s.count("running") == 2 and s.count("queued") == 1


def test_metrics_incremental_reads_and_epoch_uniqueness() -> None:
    s = RunStore()
    rid = _new(s)
    s.add_metrics([(rid, 1, 5, "batch", "train", "loss", 2.0), (rid, 1, 10, "batch", "train", "loss", 1.5)])
    rows = s.metrics(rid)
    assert [m.value for m in rows] == [2.0, 1.5]
    s.add_metrics([(rid, 1, 16, "epoch", "train", "loss", 1.2), (rid, 1, 16, "epoch", "val", "loss", 1.3)])
    new = s.metrics(rid, since_id=rows[-1].id)
    assert [(m.scope, m.split) for m in new] == [("epoch", "train"), ("epoch", "val")]
    assert s.metrics(rid, since_id=new[-1].id) == []
    assert s.metrics(rid, scope="batch", limit=1)[0].step == 5
    with pytest.raises(sqlite3.IntegrityError):  # one value per epoch, split and name
        s.add_metrics([(rid, 1, 16, "epoch", "train", "loss", 9.9)])
    s.add_metrics([(rid, 2, 3, "batch", "train", "loss", 1.0)])
    assert s.epoch_table(rid) == [{"epoch": 1, "loss": 1.2, "val_loss": 1.3}]
    assert s.delete_metrics_after(rid, 1) == 1
    assert all(m.epoch == 1 for m in s.metrics(rid))


def test_artifacts_relative_and_replaced(cnnlab_home: Path) -> None:
    s = RunStore()
    rid = _new(s)
    folder = s.run_dir(rid)
    folder.mkdir(parents=True)
    for e in (1, 2):
        p = folder / f"last-e{e}.keras"
        p.write_bytes(b"x" * e)
        s.add_artifact(rid, "last_model", p, epoch=e, replace_kind=True)
    arts = s.artifacts(rid, "last_model")
    assert len(arts) == 1 and arts[0].epoch == 2 and arts[0].size == 2 and arts[0].path == folder / "last-e2.keras"
    stored = s._conn.execute("SELECT path FROM artifacts").fetchone()[0]
    assert not Path(stored).is_absolute()  # the data folder can move
    (folder / "best.keras").write_bytes(b"b")
    s.add_artifact(rid, "best_model", folder / "best.keras", epoch=2)
    assert s.get_run(rid).best_model == str(folder / "best.keras")
    assert s.artifact(rid, "missing") is None


def test_settings_roundtrip() -> None:
    s = RunStore()
    assert s.get_setting("max_running", 1) == 1
    s.set_setting("max_running", 3)
    assert RunStore().get_setting("max_running") == 3


WRITER = textwrap.dedent(
    """
    import sys, time
    from cnnlab.runs.store import RunStore
    k = int(sys.argv[1])
    s = RunStore()  # all six open (and may create) the same database at the same moment
    rid = s.create_run(name=f"w{k}", arch={"name": "x"}, dataset="d", config={})
    for i in range(60):
        s.add_metrics([(rid, 1, i, "batch", "train", "loss", float(i)), (rid, 1, i, "batch", "train", "acc", 0.5)])
        s.update_run(rid, heartbeat=time.time(), progress={"step": i})
        claimed = s.claim_next(2)
        if claimed is not None:
            s.update_run(claimed.id, status="finished")
        with s.write() as c:
            c.execute("UPDATE settings SET value = value WHERE key = 'none'")
    print("ok", rid)
    """
)


@pytest.mark.parametrize("round_", range(3))
def test_six_processes_write_at_once_without_locking_errors(cnnlab_home: Path, round_: int) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(k)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(6)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert "database is locked" not in err
        assert p.returncode == 0, err
        assert out.startswith("ok")
    s = RunStore()
    assert s.journal_mode() == "wal"
    runs = s.list_runs()
    assert len(runs) == 6
    for run in runs:
        assert len(s.metrics(run.id)) == 120
        # a claim resets the progress record; an unclaimed run keeps its last write
        assert run.progress == {"step": 59} or (run.attempts and run.progress in ({}, {"step": 59}))
    assert sum(r.status == "finished" for r in runs) + s.count("queued") + s.count("running") == 6


def test_store_and_jobs_do_not_import_tensorflow() -> None:
    code = (
        "import sys\n"
        "import cnnlab.runs.store, cnnlab.runs.jobs, cnnlab.train.config, cnnlab.train.launch\n"
        "s = cnnlab.runs.store.RunStore(); cnnlab.runs.jobs.reconcile(s); s.list_runs()\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr


def test_a_page_poll_reads_only_new_rows_and_only_through_indexes() -> None:
    """A page polls get_run and metrics(since_id=...) every second; that stays cheap, checked without a clock:
    an incremental read returns only the rows added since, and every statement of a poll searches an index
    instead of scanning a table (timings belong in the benchmark script)."""
    s = RunStore()
    rid, other = _new(s), _new(s, "other")
    s.add_metrics([(rid, 1, i, "batch", "train", "loss", 1.0) for i in range(2000)])
    last = s.metrics(rid)[-1].id
    assert s.metrics(rid, since_id=last) == []
    s.add_metrics([(other, 1, 0, "batch", "train", "loss", 9.0), (rid, 1, 2000, "batch", "train", "loss", 0.5)])
    assert [(m.run_id, m.step, m.value) for m in s.metrics(rid, since_id=last)] == [(rid, 2000, 0.5)]
    statements: list[str] = []
    s._conn.set_trace_callback(statements.append)
    s.get_run(rid)
    s.metrics(rid, since_id=last)
    s._conn.set_trace_callback(None)
    plans = [[row[3] for row in s._conn.execute(f"EXPLAIN QUERY PLAN {sql}")] for sql in statements]
    assert len(plans) == 2 and not [step for plan in plans for step in plan if step.startswith("SCAN")], plans
    assert any(step.endswith("(run_id=? AND id>?)") for step in plans[1]), plans[1]  # this run's new rows only
