"""Results that are a pure function of a model file and settings, kept on disk per checkpoint.

A robustness sweep over a whole test split or the penultimate-layer features of a training split take seconds; the
same checkpoint, data and settings always give the same arrays, so they are stored once under
`<data home>/cache/probe/` and read back by the next page visit or CLI call. The key is the checkpoint's content
(sha256, memoised per path, size and mtime) plus whatever else the caller names (the dataset and its split), and
the settings as JSON: a retrained or fine-tuned model file is a new key, never a stale hit.
Files are plain .npz (no pickle) written atomically; an unreadable one is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab import paths
from cnnlab.fsutil import atomic_write

_DIGESTS: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def checkpoint_key(path: str | os.PathLike, *parts: Any) -> str:
    """A key naming a model file's content (and `parts`, e.g. the dataset name, seed and validation fraction)."""
    p = Path(path).resolve()
    stat = p.stat()
    memo = (str(p), stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        digest = _DIGESTS.get(memo)
    if digest is None:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        digest = h.hexdigest()
        with _LOCK:
            _DIGESTS[memo] = digest
    return ":".join([digest, *(str(part) for part in parts)])


def _file(kind: str, key: str, settings: dict[str, Any]) -> Path:
    name = hashlib.sha256(json.dumps([kind, key, settings], sort_keys=True, default=str).encode()).hexdigest()[:40]
    return paths.subdir("cache") / "probe" / f"{kind}-{name}.npz"


def _read(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as f:
            return {name: f[name] for name in f.files}
    except (OSError, ValueError, KeyError, EOFError):
        return None


def remember(
    kind: str, key: str | None, settings: dict[str, Any], compute: Callable[[], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """`compute()`'s arrays, from the disk cache when `key` names a checkpoint seen with these settings before.

    `key=None` computes without storing (a model that is not a saved file, e.g. one built in a test).
    """
    if key is None:
        return compute()
    path = _file(kind, key, settings)
    if path.is_file():
        hit = _read(path)
        if hit is not None:
            return hit
    arrays = compute()

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **{name: np.asarray(a) for name, a in arrays.items()})

    atomic_write(path, write)
    return arrays
