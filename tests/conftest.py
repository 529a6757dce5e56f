"""Shared fixtures: every test gets its own data home and never touches the network.

Real trainings are expensive (10-30 s each on a small machine), so the ones many tests look at are trained once
per session in session-scoped homes that no test changes; each test that asks gets a copy in its own fresh
CNNLAB_HOME:

- `tiny_run`: one finished LeNet-5 run (`TINY_RUN`: 2 epochs on 1,024 real MNIST digits, named "tiny lenet");
- `finetuned`: that run, three saved drawings, and a real fine-tune of it on them;
- `home_with_data`: no run, just the MNIST sample already parsed (`mnist_sample_cache`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["CNNLAB_OFFLINE"] = "1"
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CNNLAB_STANDBY", "0")  # no warm standby workers unless a test turns them on (tests/runs)
os.environ.setdefault("CNNLAB_WARM", "0")  # no model service started at app start (a test that wants one asks)

TINY_RUN = {"dataset": "mnist-sample", "arch": "lenet5", "epochs": 2, "max_train_samples": 1024}
TINY_RUN_NAME = "tiny lenet"


class TinyRun(NamedTuple):
    home: Path
    run_id: str


class FineTuned(NamedTuple):
    home: Path
    base: str  # the tiny run
    tuned: str  # its fine-tune on the three drawings


@pytest.fixture(autouse=True)
def cnnlab_home(tmp_path_factory, monkeypatch) -> Path:
    """A fresh CNNLAB_HOME and an empty Keras cache for each test."""
    home = tmp_path_factory.mktemp("cnnlab-home")
    keras_home = tmp_path_factory.mktemp("keras-home")
    monkeypatch.setenv("CNNLAB_HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setenv("CNNLAB_CACHE", str(tmp_path_factory.getbasetemp() / "shared-cache"))  # drawn test set once
    return home


def run_python(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -c CODE ARGS` from the repository in a fresh interpreter (what it imports is its own), output caught."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, check=False, capture_output=True, text=True, timeout=timeout
    )


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m cnnlab ARGS` from the repository, output caught."""
    return subprocess.run(
        [sys.executable, "-m", "cnnlab", *args], cwd=ROOT, check=False, capture_output=True, text=True, timeout=timeout
    )


APP_PATH = str(ROOT / "app.py")  # AppTest.from_file(APP_PATH): relative paths resolve against the test file


def open_app(page: str | None = None, lang: str = "en", *, timeout: float = 120, page_state=None, **state):
    """The real app (app.py's router) through AppTest: run once with `lang` and `state` in session_state, then
    switched to `page` (e.g. "pages/train.py") and run again, with `page_state` put in session_state just before
    that run (the way a page's own widget sends its value). Fails the test on an uncaught exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP_PATH, default_timeout=timeout)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page)
        for key, value in (page_state or {}).items():
            at.session_state[key] = value
        at.run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------- data homes shared by the session


@contextlib.contextmanager
def data_home(home: Path) -> Iterator[Path]:
    """CNNLAB_HOME set to `home` for the duration (for session fixtures, which outlive a test's monkeypatch)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNLAB_HOME", str(home))
        yield home


def copy_home(source: Path, target: Path) -> Path:
    """Copy a data home (run store, run folders, drawings, cache) into `target`, which may exist already.

    Stored artifact paths are relative to the home, so the copy's runs point at the copy's files; lock files
    stay behind.
    """
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock"))
    return target


def seed_sample(home: Path, cache: Path) -> None:
    """Put the parsed MNIST sample into `home`'s cache, so nothing there parses it again."""
    (home / "cache").mkdir(parents=True, exist_ok=True)
    shutil.copy(cache, home / "cache" / cache.name)


def train_run(config: dict, name: str) -> str:
    """Train one run with the real worker (jobs.start_run + jobs.wait_for) in the current data home."""
    from cnnlab.runs.jobs import wait_for
    from cnnlab.runs.store import FINISHED, RunStore
    from cnnlab.train.launch import start_run

    with RunStore() as store:
        run = wait_for(start_run(config, name=name, store=store), timeout=240, store=store)
    assert run.status == FINISHED, run.reason
    return run.id


def checkpoint(home: Path) -> None:
    """Fold the run store's write-ahead log into the database file, so a copy of the home is the file alone."""
    from cnnlab.runs.store import DB_NAME

    with contextlib.closing(sqlite3.connect(home / DB_NAME)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(scope="session")
def mnist_sample_cache(tmp_path_factory) -> Path:
    """The bundled MNIST sample parsed once per session (`cache/mnist-sample.npz` of a home of its own)."""
    from cnnlab.data.datasets import load_dataset

    with data_home(tmp_path_factory.mktemp("sample-home")) as home:
        load_dataset("mnist-sample")
    return home / "cache" / "mnist-sample.npz"


@pytest.fixture(scope="session")
def tiny_run_home(tmp_path_factory, mnist_sample_cache) -> TinyRun:
    """The session's home with one finished `TINY_RUN`. Never change it: use `tiny_run`, a copy."""
    with data_home(tmp_path_factory.mktemp("tiny-run-home")) as home:
        seed_sample(home, mnist_sample_cache)
        run_id = train_run(TINY_RUN, TINY_RUN_NAME)
    checkpoint(home)
    return TinyRun(home, run_id)


@pytest.fixture(scope="session")
def finetuned_home(tmp_path_factory, tiny_run_home) -> FineTuned:
    """The session's home with the tiny run, three saved drawings and a real 2-epoch fine-tune on them.

    Never change it: use `finetuned`, a copy (a fine-tune's config names its starting model and drawings by
    absolute paths into this home, so it must stay as it is for the whole session)."""
    from drawing import digit_canvases

    from cnnlab.data.preprocess import canvas_to_mnist
    from cnnlab.runs.jobs import wait_for
    from cnnlab.runs.store import FINISHED, RunStore
    from cnnlab.train.drawings import add_drawing
    from cnnlab.train.finetune import start_finetune

    home = copy_home(tiny_run_home.home, tmp_path_factory.mktemp("finetuned-home"))
    with data_home(home), RunStore() as store:
        canvases, labels = digit_canvases(3, seed=5)
        for canvas, label in zip(canvases, labels, strict=True):
            add_drawing("mnist-sample", canvas_to_mnist(canvas), label, 10, store)
        tuned = wait_for(start_finetune(tiny_run_home.run_id, store, epochs=2), timeout=240, store=store)
        assert tuned.status == FINISHED, tuned.reason
    checkpoint(home)
    return FineTuned(home, tiny_run_home.run_id, tuned.id)


@pytest.fixture
def tiny_run(tiny_run_home, cnnlab_home) -> TinyRun:
    """This test's fresh CNNLAB_HOME holding a copy of the session's finished tiny run: (home, run id)."""
    return TinyRun(copy_home(tiny_run_home.home, cnnlab_home), tiny_run_home.run_id)


@pytest.fixture
def finetuned(finetuned_home, cnnlab_home) -> FineTuned:
    """This test's fresh CNNLAB_HOME holding a copy of the tiny run, the drawings and the fine-tune of it."""
    return FineTuned(copy_home(finetuned_home.home, cnnlab_home), finetuned_home.base, finetuned_home.tuned)


@pytest.fixture
def home_with_data(cnnlab_home, mnist_sample_cache) -> Iterator[Path]:
    """This test's fresh home with the MNIST sample already parsed in it; no worker outlives the test."""
    from cnnlab.runs.jobs import pid_alive, stop_standby
    from cnnlab.runs.store import RunStore

    seed_sample(cnnlab_home, mnist_sample_cache)
    yield cnnlab_home
    with RunStore() as store:
        stop_standby(store)
        for run in store.list_runs(["running"]):
            if run.pid and pid_alive(run.pid):
                with contextlib.suppress(ProcessLookupError):  # it may end between the check and the kill
                    os.kill(run.pid, signal.SIGKILL)
