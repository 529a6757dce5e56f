"""Job runners: where a claimed run's worker runs.

- `local` (the default): a detached worker process on this machine, or a warm standby (cnnlab.runs.jobs).
- `ray`: a Ray task anywhere on a Ray cluster (cnnlab.train.ray_runner), chosen by CNNLAB_RUNNER=ray or
  `python -m cnnlab train --runner ray`; it connects to RAY_ADDRESS, or starts a local Ray instance.

Everything else (the store, reconcile, Stop, Resume, the pages) is the same for both. A Ray run's row has
host "ray:<node>", so reconcile judges it by its heartbeat alone (its pid is on another machine).

This module never imports Ray or TensorFlow: the Ray runner lives in the training layer and is loaded by name when
selected, as the local runner starts `python -m cnnlab.worker` by name.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Protocol

from cnnlab.errors import CnnLabError

LOCAL, RAY = "local", "ray"
RAY_HOST_PREFIX = "ray:"  # a Ray run's `host`: liveness by heartbeat only, no local pid, no signals
RAY_RUNNER_MODULE = "cnnlab.train.ray_runner"


class Runner(Protocol):
    def launch(self, run_id: str, store) -> None:
        """Start the worker of a claimed (running, no pid yet) run; it claims the run itself when it starts."""


def selected() -> str:
    """The runner this process uses: CNNLAB_RUNNER (local | ray), local when unset."""
    name = (os.environ.get("CNNLAB_RUNNER") or LOCAL).strip().lower()
    if name not in (LOCAL, RAY):
        raise CnnLabError("engine.runner.unknown", name=name, choices=f"{LOCAL}, {RAY}")
    return name


def select(name: str) -> None:
    """Use runner `name` in this process from now on (the CLI's --runner); checks that it can be used."""
    os.environ["CNNLAB_RUNNER"] = name
    if selected() == RAY:
        ray_runner()


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def ray_runner() -> Runner:
    """The Ray runner module; one sentence saying what to install when Ray is missing."""
    if not ray_available():
        raise CnnLabError(
            "engine.runner.ray_missing", command="pip install -r requirements-cluster.txt", setting="CNNLAB_RUNNER"
        )
    return importlib.import_module(RAY_RUNNER_MODULE)  # type: ignore[return-value]


def is_ray_run(host: str | None) -> bool:
    return bool(host) and host.startswith(RAY_HOST_PREFIX)  # type: ignore[union-attr]
