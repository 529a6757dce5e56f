"""A learner's progress: ticked steps, answered questions, visited pages and tried sandbox settings.

Why a JSON file per learner name in `<data home>/learn/`: progress survives a restart and a second browser tab,
needs no schema in the run store, and a teacher can look at it. Every change is a locked read-modify-write with an
atomic replace (cnnlab.fsutil), so two tabs never lose each other's ticks and a crash never leaves half a file.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from cnnlab import paths
from cnnlab.fsutil import atomic_write, file_lock

DEFAULT_NAME = "me"
MAX_SANDBOX = 50  # sandbox settings remembered (the newest)
_NAME = re.compile(r"[^A-Za-z0-9_\-\u4e00-\u9fff]+")


def safe_name(name: str) -> str:
    """A learner name usable as a file name ("" -> the default)."""
    cleaned = _NAME.sub("_", str(name or "").strip())[:40].strip("_")
    return cleaned or DEFAULT_NAME


def path(name: str) -> Path:
    return paths.data_home() / "learn" / f"{safe_name(name)}.json"


def load(name: str) -> dict[str, Any]:
    """The progress of `name` (empty when new or unreadable: a damaged file starts over rather than breaking Learn)."""
    try:
        data = json.loads(path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update(name: str, change) -> dict[str, Any]:
    """Apply change(data) under the learner's lock and write atomically; returns the new contents."""
    target = path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.with_suffix(".lock")):
        data = load(name)
        change(data)
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
        atomic_write(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return data


def tick(name: str, lesson: str, step: str) -> dict[str, Any]:
    """Mark a step done (kept even if the run it needed is deleted later)."""
    return update(name, lambda d: d.setdefault("done", {}).setdefault(f"{lesson}/{step}", time.time()))


def untick(name: str, lesson: str) -> dict[str, Any]:
    """Start a lesson over: its ticks and answers go, and so do the remembered sandbox settings and page visits
    (else the checks would tick the steps again at once); runs stay."""

    def change(d: dict[str, Any]) -> None:
        for part in ("done", "answered"):
            d[part] = {k: v for k, v in d.get(part, {}).items() if not k.startswith(f"{lesson}/")}
        d["sandbox"], d["visited"] = [], []

    return update(name, change)


def answered(name: str, question: str, value: Any) -> dict[str, Any]:
    return update(name, lambda d: d.setdefault("answered", {}).__setitem__(question, str(value)))


def visited(name: str, page: str) -> dict[str, Any]:
    """Remember a page visit; a page already remembered costs a read, not a locked write (a class of thirty
    opening Predict under one learner name would otherwise queue on the learner's file lock)."""
    known = load(name)
    if page in known.get("visited", []):
        return known

    def change(d: dict[str, Any]) -> None:
        pages = d.setdefault("visited", [])
        if page not in pages:
            pages.append(page)

    return update(name, change)


def tried(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Remember sandbox settings the learner looked at (checks like `sandbox: {stride: 2}` read them)."""
    plain = {k: v for k, v in settings.items() if isinstance(v, (str, int, float, bool))}

    def change(d: dict[str, Any]) -> None:
        seen = [s for s in d.get("sandbox", []) if s != plain]
        d["sandbox"] = [*seen, plain][-MAX_SANDBOX:]

    return update(name, change)


def is_done(data: dict[str, Any], lesson: str, step: str) -> bool:
    return f"{lesson}/{step}" in data.get("done", {})
