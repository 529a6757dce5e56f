"""The live channel between the training loop and the outside world (the worker's writer thread), and the
ways a run ends early.

The progress record: `runs.progress`, a JSON object the worker rewrites with every heartbeat (at most 0.25 s
apart) and pages poll. Its keys, all optional (a key appears once the worker knows its value):

- `phase`: starting | loading | train | validating | evaluating, then done | failed when the run ended;
  a record with a phase also tells `jobs.stop_run` that the worker handles stop signals.
- `epoch`: the epoch under way (1-based; during `validating` the one being validated); `epochs`: how many in all.
- `step`: batches done in the current epoch; `steps_per_epoch`: batches per epoch.
- `samples_per_s`: training images per second over the last ~2 s of batches (`RATE_WINDOW_S`, restarted at
  each epoch so validation pauses do not count); None until at least `MIN_RATE_SPAN_S` of batches were timed.
- `eta_s`: seconds of training left at that rate; None until it means something (`MIN_ETA_MEASURED_S` of
  timed batches, or one finished epoch).
- `elapsed_s`: seconds since training started (in this attempt; `phase` done: the whole attempt).
- `updated`: when the record was last changed (time.time()).
- `epoch_values`: the last finished epoch's values, written the moment it ends (before its checkpoint commit
  lands in the store): {"epoch": e, "loss": ..., "accuracy": ..., "val_loss": ..., "val_accuracy": ...}
  (val_* only with a validation split).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from cnnlab.errors import CnnLabError

RATE_WINDOW_S = 2.0  # samples_per_s: images over the batches of about the last 2 s
MIN_RATE_SPAN_S = 0.5  # ... once the timed batches span at least this long
MIN_ETA_MEASURED_S = 2.0  # eta_s: once this many seconds of batches were timed (or an epoch finished)


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


def window_rate(marks: Sequence[tuple[float, float]], window_s: float = RATE_WINDOW_S) -> float | None:
    """Images per second over the marks (time, images done so far) of the last `window_s` seconds.

    The window reaches back from the newest mark to the oldest mark inside `window_s` (and always to at least
    one earlier mark); None while the marks span less than MIN_RATE_SPAN_S."""
    if len(marks) < 2:
        return None
    t_last, n_last = marks[-1]
    first = len(marks) - 2
    while first > 0 and t_last - marks[first - 1][0] <= window_s:
        first -= 1
    t0, n0 = marks[first]
    span = t_last - t0
    if span < MIN_RATE_SPAN_S or n_last <= n0:
        return None
    return (n_last - n0) / span


def eta_seconds(images_left: float, rate: float | None, measured_s: float, epochs_finished: int) -> float | None:
    """Seconds of training left: None until the rate means something (enough timed batches or an epoch done)."""
    if not rate or rate <= 0 or (measured_s < MIN_ETA_MEASURED_S and epochs_finished < 1):
        return None
    return max(0.0, images_left / rate)


class Live:
    """What the training loop tells the outside world, and how it learns it must stop.

    The worker's writer thread (worker.LiveWriter) drains `pending` to the store every `batch_metrics_every`
    seconds (at most 0.25 s), together with the progress record (see the module docstring) and the heartbeat;
    `kick()` makes it write at once (the run's first batch, an epoch's values).
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.stop_step: int | None = None  # global step when the stop request was first seen
        self.lost = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[tuple] = []
        self._progress: dict[str, Any] = {}
        self.global_step = 0
        self.wake = threading.Event()  # set: the writer writes now instead of at its next interval

    def kick(self) -> None:
        self.wake.set()

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
