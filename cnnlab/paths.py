"""Where CNN Lab keeps its files: one data folder, `./cnnlab-data` unless CNNLAB_HOME moves it."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """The app's data folder (created on first use); everything the app writes lives below it."""
    home = Path(os.environ.get("CNNLAB_HOME") or "cnnlab-data").expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def subdir(name: str) -> Path:
    """A named folder inside the data home, e.g. `datasets`, `runs`, `cache`."""
    path = data_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def keras_home() -> Path:
    """Keras' cache folder, the same rule Keras itself uses (KERAS_HOME or ~/.keras)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
