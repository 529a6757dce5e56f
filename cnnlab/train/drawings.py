"""The user's own drawings with their correct labels: a personal dataset per training dataset, kept in the
data home, for fine-tuning ("teach it").
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab import paths
from cnnlab.data.preprocess import FIELD
from cnnlab.errors import CnnLabError
from cnnlab.fsutil import file_lock
from cnnlab.runs.store import RunStore, open_store

DIGIT_SHAPE = (FIELD, FIELD, 1)


DRAWINGS_DIR = "drawings"


SETTING_PREFIX = "drawings."


MAX_DRAWINGS = 2000  # per dataset: a personal set, not a way to fill the disk


class TeachError(CnnLabError, ValueError):
    """A drawing or fine-tune request that cannot be done; the message says why and what to do."""


def is_digit_model(input_shape: Sequence[int]) -> bool:
    """Whether a model takes 28x28 grayscale images, so drawings and MNIST-style preprocessing apply."""
    return tuple(int(d) for d in input_shape) == DIGIT_SHAPE


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A [0, 1] float image (or uint8) as uint8 (28, 28, 1), the way training data are stored."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape != DIGIT_SHAPE:
        raise TeachError("engine.teach.drawing_shape", shape=str(arr.shape))
    return arr


@dataclass
class Drawings:
    """A personal dataset: drawings (uint8 (N, 28, 28, 1)) with their labels, for one training dataset."""

    dataset: str
    x: np.ndarray
    y: np.ndarray
    path: Path

    def __len__(self) -> int:
        return len(self.y)


def _check_dataset_name(dataset: str) -> None:
    if not dataset or "/" in dataset or "\\" in dataset or dataset.startswith("."):
        raise TeachError("engine.teach.bad_dataset", name=repr(dataset))


def drawings_path(dataset: str, store: RunStore | None = None) -> Path:
    """Where the personal drawings for `dataset` live (inside the run store's data home)."""
    _check_dataset_name(dataset)
    home = store.home if store is not None else paths.data_home()
    return home / DRAWINGS_DIR / f"{dataset}.npz"


def _empty(dataset: str, path: Path) -> Drawings:
    return Drawings(dataset, np.zeros((0, *DIGIT_SHAPE), np.uint8), np.zeros((0,), np.int64), path)


def _read(dataset: str, path: Path) -> Drawings:
    if not path.is_file():
        return _empty(dataset, path)
    try:
        with np.load(path, allow_pickle=False) as f:
            x, y = np.asarray(f["x"], dtype=np.uint8), np.asarray(f["y"], dtype=np.int64)
    except (OSError, ValueError, KeyError) as exc:
        raise TeachError("engine.teach.damaged", path=str(path), detail=str(exc)) from exc
    if x.shape[1:] != DIGIT_SHAPE or len(x) != len(y):
        raise TeachError("engine.teach.wrong_arrays", path=str(path), x=str(x.shape), y=str(y.shape))
    return Drawings(dataset, x, y, path)


def load_drawings(dataset: str, store: RunStore | None = None) -> Drawings:
    """The personal drawings for `dataset` (an empty set when there are none yet)."""
    return _read(dataset, drawings_path(dataset, store))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on the drawings file, so two tabs adding at once both keep their drawing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path.with_name(path.name + ".lock")):
        yield


def _write(drawings: Drawings, store: RunStore | None) -> Drawings:
    from cnnlab.fsutil import atomic_write

    atomic_write(drawings.path, lambda tmp: np.savez_compressed(tmp, x=drawings.x, y=drawings.y))
    open_store(store).set_setting(
        SETTING_PREFIX + drawings.dataset,
        {"file": f"{DRAWINGS_DIR}/{drawings.path.name}", "count": len(drawings), "updated": time.time()},
    )
    return drawings


def add_drawing(
    dataset: str, image: np.ndarray, label: int, num_classes: int, store: RunStore | None = None
) -> Drawings:
    """Append one preprocessed drawing (28x28 in [0, 1], white on black) with its correct label."""
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) < num_classes:
        raise TeachError("engine.teach.label", high=num_classes - 1, value=repr(label))
    pixels = to_uint8(image)
    if not pixels.any():
        raise TeachError("engine.teach.empty")
    path = drawings_path(dataset, store)
    with _locked(path):
        current = _read(dataset, path)
        if len(current) >= MAX_DRAWINGS:
            raise TeachError("engine.teach.full", count=MAX_DRAWINGS)
        x = np.concatenate([current.x, pixels[None]])
        y = np.concatenate([current.y, np.array([int(label)], np.int64)])
        return _write(Drawings(dataset, x, y, path), store)


def remove_drawing(dataset: str, index: int, store: RunStore | None = None) -> Drawings:
    """Drop drawing number `index` (e.g. one saved with a wrong label)."""
    path = drawings_path(dataset, store)
    with _locked(path):
        current = _read(dataset, path)
        if not 0 <= index < len(current):
            raise TeachError("engine.teach.no_such_drawing", index=index, count=len(current))
        keep = np.arange(len(current)) != index
        return _write(Drawings(dataset, current.x[keep], current.y[keep], path), store)


def drawing_record(dataset: str, store: RunStore | None = None) -> dict[str, Any] | None:
    """What the run store records about a personal dataset: {"file", "count", "updated"}, or None."""
    return open_store(store).get_setting(SETTING_PREFIX + dataset)
