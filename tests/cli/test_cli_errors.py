"""Every CLI command, given a broken run store, a broken data home or broken arguments, says one line and exits 2 —
never a traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

RUN = "20260101-000000-abcd"
COMMANDS = {
    "datasets": ["datasets"],
    "summary": ["summary", "--arch", "lenet5"],
    "code": ["code", "--arch", "lenet5"],
    "train": ["train", "--arch", "lenet5", "--epochs", "1", "--detach"],
    "runs": ["runs", "--json"],
    "stop": ["stop", RUN],
    "resume": ["resume", RUN],
    "inspect": ["inspect", RUN, "--index", "0"],
    "predict": ["predict", RUN, "missing.png"],
    "probe": ["probe", RUN, "--index", "0"],
}


def _damaged(home: Path) -> None:
    (home / "runs.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x13" * 5000)


def _truncated(home: Path) -> None:
    with sqlite3.connect(home / "runs.sqlite") as conn:
        conn.execute("CREATE TABLE t (x)")
    data = (home / "runs.sqlite").read_bytes()
    (home / "runs.sqlite").write_bytes(data[:100])


def _foreign(home: Path) -> None:
    with sqlite3.connect(home / "runs.sqlite") as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")


def _newer(home: Path) -> None:
    with sqlite3.connect(home / "runs.sqlite") as conn:
        conn.execute("PRAGMA user_version = 999")


def _lock_is_a_folder(home: Path) -> None:
    (home / "runs.sqlite.lock").mkdir()


HOMES = {"damaged": _damaged, "truncated": _truncated, "foreign": _foreign, "newer": _newer, "lock": _lock_is_a_folder}


def assert_one_sentence(out) -> None:
    lines = [line for line in out.stderr.splitlines() if line.strip() and not _library_log(line)]
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert not lines[0].startswith("error: unexpected"), lines  # a typed error with its sentence, not the safety net


def _library_log(line: str) -> bool:
    """TensorFlow's start-up notes (a command that got as far as loading it), not the command's answer."""
    return line.startswith(("I0000", "W0000", "E0000", "WARNING: All log messages")) or "oneDNN" in line


@pytest.mark.parametrize("home_kind", list(HOMES))
def test_every_command_with_a_broken_run_store(home_kind, cnnlab_home, monkeypatch):
    HOMES[home_kind](cnnlab_home)
    for name, args in COMMANDS.items():
        out = run_cli(*args, timeout=300)
        if name in ("datasets", "summary", "code") and out.returncode == 0:
            continue  # these never open the run store
        assert_one_sentence(out)


def test_every_command_with_a_data_home_that_is_a_file(tmp_path, monkeypatch):
    home = tmp_path / "a-file"
    home.write_text("not a folder")
    monkeypatch.setenv("CNNLAB_HOME", str(home))
    for args in COMMANDS.values():
        assert_one_sentence(run_cli(*args, timeout=300))


@pytest.mark.parametrize("ref", ["", "   ", "x" * 100_000], ids=["empty", "blank", "100k"])
def test_run_references_that_mean_nothing(ref, cnnlab_home):
    for name in ("stop", "resume", "inspect", "predict", "probe"):
        args = [name, ref, *COMMANDS[name][2:]]
        assert_one_sentence(run_cli(*args, timeout=300))


def test_spec_files_that_are_no_spec(tmp_path, cnnlab_home):
    infinite = tmp_path / "infinite.json"
    infinite.write_text('{"name": "x", "input_shape": [Infinity, 28, 1], "num_classes": 10, "layers": []}')
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    binary = tmp_path / "binary.json"
    binary.write_bytes(bytes(range(256)) * 10)
    for spec in (infinite, deep, binary, tmp_path / "missing.json", tmp_path):
        for name in ("summary", "code", "train"):
            assert_one_sentence(run_cli(name, "--spec", str(spec), timeout=300))


def test_datasets_outside_the_data_home_are_not_read(tmp_path, cnnlab_home):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "meta.json").write_text(json.dumps({"name": "x", "class_names": ["a", "b"]}))
    for dataset in ("../../..", "../elsewhere", "/etc", "a/b"):
        assert_one_sentence(run_cli("train", "--dataset", dataset, "--epochs", "1", "--detach", timeout=300))
        assert_one_sentence(run_cli("summary", "--arch", "lenet5", "--dataset", dataset, timeout=300))
