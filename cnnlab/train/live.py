"""The live channel between the training loop and the outside world (the worker's writer thread), and the
ways a run ends early.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from cnnlab.errors import CnnLabError


class Diverged(CnnLabError, RuntimeError):
    """The loss became NaN or infinite; the run fails and its weights are not saved."""


class OutOfMemory(CnnLabError, RuntimeError):
    """Training would not fit in memory; the message says how much it needs and what to change."""


class LostOwnership(CnnLabError, RuntimeError):
    """Another process marked this run as no longer running (e.g. interrupted); the worker must quit quietly."""


class BrokenRun(CnnLabError, RuntimeError):
    """The run's own files or checkpoint machinery are not as training left them; the run fails and says why."""


def is_oom(exc: BaseException) -> bool:
    """Whether an exception means the machine (or GPU) ran out of memory."""
    if isinstance(exc, (MemoryError, OutOfMemory)):
        return True
    name = type(exc).__name__
    text = str(exc)
    return name == "ResourceExhaustedError" or "OOM when allocating" in text or "out of memory" in text.lower()


class Live:
    """What the training loop tells the outside world, and how it learns it must stop.

    The worker's writer thread (worker.LiveWriter) drains `pending` to the store every
    `batch_metrics_every` seconds, together with the progress record and the heartbeat.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.stop_step: int | None = None  # global step when the stop request was first seen
        self.lost = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[tuple] = []
        self._progress: dict[str, Any] = {}
        self.global_step = 0

    def request_stop(self) -> None:
        if not self.stop.is_set():
            self.stop_step = self.global_step
            self.stop.set()

    def push(self, rows: list[tuple]) -> None:
        with self._lock:
            self._pending.extend(rows)

    def drain(self) -> list[tuple]:
        with self._lock:
            rows, self._pending = self._pending, []
        return rows

    def set_progress(self, **progress: Any) -> None:
        with self._lock:
            self._progress = {**self._progress, **progress, "updated": time.time()}

    def progress(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._progress)
