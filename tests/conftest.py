"""Shared fixtures: every test gets its own data home and never touches the network."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["CNNLAB_OFFLINE"] = "1"
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(autouse=True)
def cnnlab_home(tmp_path_factory, monkeypatch) -> Path:
    """A fresh CNNLAB_HOME and an empty Keras cache for each test."""
    home = tmp_path_factory.mktemp("cnnlab-home")
    keras_home = tmp_path_factory.mktemp("keras-home")
    monkeypatch.setenv("CNNLAB_HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    return home

APP_PATH = str(ROOT / "app.py")  # AppTest.from_file(APP_PATH): relative paths resolve against the test file
