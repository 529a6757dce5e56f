"""Demo mode (CNNLAB_DEMO=1): visitors explore; only the presenter, with a password, changes things.

Used for live demos where the audience opens the app from phones and laptops. Visitors may browse,
draw, upload images and inspect runs; training, deleting, renaming and model uploads need the
presenter's password (CNNLAB_DEMO_PASSWORD). Uploads and predictions are rationed per session.
"""

from __future__ import annotations

import hmac
import os
import threading
from dataclasses import dataclass

from cnnlab.errors import CnnLabError

# The demo-mode audit: every action that changes what other visitors see (or costs the presenter's machine a
# training), and the engine calls that do it. Visitors need the presenter's password for each; README shows this
# table and tests/ui/test_demo_audit.py checks that every such call in the pages sits behind `require(action)`.
SHARED_STATE_ACTIONS: dict[str, tuple[str, ...]] = {
    "train": ("start_run", "restart", "start_finetune", "start_arena", "start_curve"),  # new runs (Train, Predict,
    # teach it, an arena, a learning curve)
    "stop": ("stop_run", "stop_study"),
    "resume": ("resume_run", "resume_study"),
    "delete": ("delete_run",),
    "rename": ("rename_run",),
    "export": ("export_savedmodel", "export_tflite"),  # files written next to the run
    "add_dataset": ("ingest_upload",),
    "add_drawing": ("add_drawing",),  # the shared "My drawings" set the next fine-tune trains on
    "remove_drawing": ("remove_drawing",),
    "upload_model": ("load_model_file", "_uploaded_model"),  # a model file parsed and loaded by the server (Inspect)
}
RESTRICTED = frozenset(SHARED_STATE_ACTIONS)


def enabled() -> bool:
    return os.environ.get("CNNLAB_DEMO", "").strip().lower() in {"1", "true", "yes", "on"}


def password_configured() -> bool:
    return bool(os.environ.get("CNNLAB_DEMO_PASSWORD"))


def check_password(given: str) -> bool:
    """Constant-time comparison with CNNLAB_DEMO_PASSWORD; never true when no password is set."""
    expected = os.environ.get("CNNLAB_DEMO_PASSWORD", "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def allowed(action: str, unlocked: bool) -> bool:
    """Whether `action` is allowed for a visitor (demo mode locks the RESTRICTED actions)."""
    return not enabled() or unlocked or action not in RESTRICTED


class LimitReached(CnnLabError, RuntimeError):
    """A per-session demo limit was hit; the message says which."""


@dataclass
class SessionQuota:
    """Per-visitor budget in demo mode (outside demo mode nothing is limited)."""

    max_uploads: int = 20
    max_upload_bytes: int = 20 * 1024 * 1024
    uploads: int = 0
    upload_bytes: int = 0

    def spend_upload(self, nbytes: int) -> None:
        if not enabled():
            return
        if self.uploads + 1 > self.max_uploads:
            raise LimitReached("engine.demo.uploads", count=self.max_uploads)
        if self.upload_bytes + nbytes > self.max_upload_bytes:
            raise LimitReached("engine.demo.upload_bytes", mb=self.max_upload_bytes // 2**20)
        self.uploads += 1
        self.upload_bytes += nbytes


class PredictionGate:
    """Caps predictions running at once (process-wide in demo mode), so a crowd can't stall the demo."""

    def __init__(self, limit: int = 4) -> None:
        self._slots = threading.BoundedSemaphore(limit)

    def __enter__(self) -> PredictionGate:
        if enabled() and not self._slots.acquire(timeout=5):
            raise LimitReached("engine.demo.busy")
        self._held = enabled()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._held:
            self._slots.release()


PREDICTIONS = PredictionGate(int(os.environ.get("CNNLAB_DEMO_MAX_PREDICTIONS", "4")))
