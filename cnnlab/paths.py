"""Where CNN Lab keeps its files: one data folder, `./cnnlab-data` unless CNNLAB_HOME moves it."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cnnlab.errors import CnnLabError


class DataHomeError(CnnLabError, OSError):
    """The data folder cannot be used (a file is in its place, or it cannot be created)."""


@lru_cache(maxsize=64)
def _resolved(raw: str, cwd: str) -> Path:
    return (Path(cwd) / Path(raw).expanduser()).resolve()  # (following links costs a system call per part)


def data_home() -> Path:
    """The app's data folder (created on first use); everything the app writes lives below it."""
    home = _resolved(os.environ.get("CNNLAB_HOME") or "cnnlab-data", os.getcwd())
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataHomeError("engine.store.home_unusable", path=str(home), detail=exc.strerror or str(exc)) from None
    return home


def subdir(name: str) -> Path:
    """A named folder inside the data home, e.g. `datasets`, `runs`, `cache`."""
    path = data_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Where derived files that can be made again live (the drawn-digit test set, say): CNNLAB_CACHE, else the
    data home's `cache` folder. Their names carry a hash of what they were made from, so homes may share one."""
    override = os.environ.get("CNNLAB_CACHE")
    if not override:
        return subdir("cache")
    path = Path(override).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def keras_home() -> Path:
    """Keras' cache folder, the same rule Keras itself uses (KERAS_HOME or ~/.keras)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
