"""The Predict page's engine (no Streamlit): images in a model's terms, the personal dataset of drawings,
fine-tuning a run on it, and the optional ImageNet photo classifier.

- `image_for_model` is the one preprocessing path for uploads, shared by the page and `python -m cnnlab predict`:
  for a 28x28x1 model an image goes through MNIST's own steps (`preprocess_steps`: ink of either polarity,
  cropped, scaled to 20x20, centred by mass), so a photo of a digit on paper looks like a drawing; any other
  model gets the image resized to its input.
- A personal dataset ("my drawings") is kept per training dataset in the run store's data home:
  `<home>/drawings/<dataset>.npz` (uint8 x (N, 28, 28, 1), int64 y, written atomically under a lock) and a
  `drawings.<dataset>` setting in the run store recording its file, size and last change.
- `start_finetune` queues a normal training run that starts from a run's best model and trains on the original
  data plus a snapshot of the drawings (repeated so that a handful of drawings is not drowned by thousands of
  MNIST digits), at a lower learning rate for a few epochs. The snapshot keeps the unique drawings first, so the
  page can show each drawing's prediction before (parent run) and after (the fine-tuned run).
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab import paths
from cnnlab.images import load_image
from cnnlab.preprocess import FIELD, preprocess_steps
from cnnlab.store import Run, RunStore, file_lock

DIGIT_SHAPE = (FIELD, FIELD, 1)
DRAWINGS_DIR = "drawings"
SETTING_PREFIX = "drawings."
MAX_DRAWINGS = 2000  # per dataset: a personal set, not a way to fill the disk
FINETUNE_EPOCHS = 5
FINETUNE_LR_FACTOR = 0.3  # fine-tuning moves trained weights gently
DRAWING_SHARE = 0.1  # the drawings (repeated) make up about this share of the fine-tuning data
MAX_REPEAT = 100


class TeachError(ValueError):
    """A drawing or fine-tune request that cannot be done; the message says why and what to do."""


# ---------------------------------------------------------------- images in a model's terms


def is_digit_model(input_shape: Sequence[int]) -> bool:
    """Whether a model takes 28x28 grayscale images, so drawings and MNIST-style preprocessing apply."""
    return tuple(int(d) for d in input_shape) == DIGIT_SHAPE


def image_for_model(source: Any, input_shape: Sequence[int], *, name: str | None = None) -> np.ndarray:
    """An untrusted image (bytes, path or binary file) as the model's input: float32 (H, W, C) in [0, 1].

    28x28x1 models: decoded as grayscale, then MNIST's steps (a photo of dark ink on paper is inverted and
    centred like a drawing). Other models: resized to (W, H) in the model's colour mode.
    Raises images.ImageError for a file that cannot be used, preprocess.NothingToRecognise for a blank image.
    """
    h, w, c = (int(d) for d in input_shape)
    if is_digit_model(input_shape):
        gray = load_image(source, mode="L", name=name)
        return preprocess_steps(gray[..., 0]).centred[..., None]
    if c not in (1, 3):
        raise TeachError(f"the model takes {c}-channel images; only grayscale (1) or colour (3) images can be fed")
    pixels = load_image(source, mode="L" if c == 1 else "RGB", size=(w, h), name=name)
    return pixels.astype(np.float32) / 255.0


def top_k(probabilities: Sequence[float], class_names: Sequence[str], k: int = 3) -> list[tuple[int, str, float]]:
    """The k most probable classes as (index, name, probability), most probable first."""
    probs = np.asarray(probabilities, dtype=np.float64)
    order = np.argsort(-probs, kind="stable")[:k]
    return [(int(i), class_name(class_names, int(i)), float(probs[i])) for i in order]


def class_name(class_names: Sequence[str], index: int) -> str:
    return str(class_names[index]) if 0 <= index < len(class_names) else str(index)


def class_names_for(dataset: str, num_classes: int) -> list[str]:
    """The class names of a run's dataset, or "0".."K-1" when the dataset is gone or does not match."""
    from cnnlab import data

    try:
        names = list(data.dataset_info(dataset).class_names)
    except KeyError:
        names = []
    return names if len(names) == num_classes else [str(i) for i in range(num_classes)]


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A [0, 1] float image (or uint8) as uint8 (28, 28, 1), the way training data are stored."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape != DIGIT_SHAPE:
        raise TeachError(f"a drawing must be 28x28 (the preprocessed canvas), got shape {arr.shape}")
    return arr


# ---------------------------------------------------------------- the personal dataset


@dataclass
class Drawings:
    """A personal dataset: drawings (uint8 (N, 28, 28, 1)) with their labels, for one training dataset."""

    dataset: str
    x: np.ndarray
    y: np.ndarray
    path: Path

    def __len__(self) -> int:
        return len(self.y)


def _store(store: RunStore | None) -> RunStore:
    return store if store is not None else RunStore()


def _check_dataset_name(dataset: str) -> None:
    if not dataset or "/" in dataset or "\\" in dataset or dataset.startswith("."):
        raise TeachError(f"{dataset!r} is not a dataset name")


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
        raise TeachError(f"the drawings file {path} is damaged ({exc}); delete it to start a new set") from exc
    if x.shape[1:] != DIGIT_SHAPE or len(x) != len(y):
        raise TeachError(f"the drawings file {path} holds x {x.shape} and y {y.shape}; delete it to start a new set")
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
    from cnnlab.training import atomic_write

    atomic_write(drawings.path, lambda tmp: np.savez_compressed(tmp, x=drawings.x, y=drawings.y))
    _store(store).set_setting(
        SETTING_PREFIX + drawings.dataset,
        {"file": f"{DRAWINGS_DIR}/{drawings.path.name}", "count": len(drawings), "updated": time.time()},
    )
    return drawings


def add_drawing(
    dataset: str, image: np.ndarray, label: int, num_classes: int, store: RunStore | None = None
) -> Drawings:
    """Append one preprocessed drawing (28x28 in [0, 1], white on black) with its correct label."""
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) < num_classes:
        raise TeachError(f"the label must be a class number between 0 and {num_classes - 1}, got {label!r}")
    pixels = to_uint8(image)
    if not pixels.any():
        raise TeachError("the drawing is empty; draw a digit first")
    path = drawings_path(dataset, store)
    with _locked(path):
        current = _read(dataset, path)
        if len(current) >= MAX_DRAWINGS:
            raise TeachError(f"your set already holds {MAX_DRAWINGS} drawings; remove some before adding more")
        x = np.concatenate([current.x, pixels[None]])
        y = np.concatenate([current.y, np.array([int(label)], np.int64)])
        return _write(Drawings(dataset, x, y, path), store)


def remove_drawing(dataset: str, index: int, store: RunStore | None = None) -> Drawings:
    """Drop drawing number `index` (e.g. one saved with a wrong label)."""
    path = drawings_path(dataset, store)
    with _locked(path):
        current = _read(dataset, path)
        if not 0 <= index < len(current):
            raise TeachError(f"there is no drawing number {index}; the set has {len(current)}")
        keep = np.arange(len(current)) != index
        return _write(Drawings(dataset, current.x[keep], current.y[keep], path), store)


def drawing_record(dataset: str, store: RunStore | None = None) -> dict[str, Any] | None:
    """What the run store records about a personal dataset: {"file", "count", "updated"}, or None."""
    return _store(store).get_setting(SETTING_PREFIX + dataset)


# ---------------------------------------------------------------- fine-tuning on the drawings


def repeats_for(n_drawings: int, n_train: int) -> int:
    """How often each drawing is repeated so the drawings are about DRAWING_SHARE of the fine-tuning data."""
    if n_drawings <= 0:
        return 0
    return int(min(MAX_REPEAT, max(1, math.ceil(DRAWING_SHARE * max(n_train, 1) / n_drawings))))


def _train_count(run: Run) -> int:
    from cnnlab import data

    try:
        n = int(data.dataset_info(run.dataset).counts.get("train", 0))
    except KeyError:
        n = 0
    limit = run.config.get("max_train_samples")
    return min(n, int(limit)) if limit else n


def finetune_config(
    run: Run,
    model_path: Path | str,
    drawings: Drawings,
    store: RunStore | None = None,
    *,
    epochs: int = FINETUNE_EPOCHS,
) -> dict[str, Any]:
    """The run's own training config, starting from its model, with the drawings added (snapshot written now)."""
    from cnnlab.training import TrainConfig, atomic_write

    if not len(drawings):
        raise TeachError("add at least one drawing with its correct label before fine-tuning")
    shape = tuple(run.arch.get("input_shape", ()))
    if not is_digit_model(shape):
        raise TeachError(f"drawings are 28x28 grayscale; run {run.name!r} takes {'x'.join(map(str, shape))} images")
    store = _store(store)
    repeat = repeats_for(len(drawings), _train_count(run))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    snapshot = store.home / DRAWINGS_DIR / "finetune" / f"{drawings.dataset}-{stamp}-{secrets.token_hex(3)}.npz"
    x = np.concatenate([drawings.x] * repeat)
    y = np.concatenate([drawings.y] * repeat)
    atomic_write(snapshot, lambda tmp: np.savez_compressed(tmp, x=x, y=y, unique=np.int64(len(drawings))))
    known = {f.name for f in fields(TrainConfig)}
    cfg = {k: v for k, v in run.config.items() if k in known}
    cfg.update(
        dataset=run.dataset,
        arch=run.arch or cfg.get("arch"),
        init_model_path=str(model_path),
        extra_data=str(snapshot),
        epochs=int(epochs),
        warmup_epochs=0,
        # the validation split holds none of the drawings, so "best by val_loss" would hand out the epoch before
        # they were learnt; the training loss (MNIST + drawings) picks the checkpoint that fits both
        monitor="loss",
        early_stopping=False,
        learning_rate=float(cfg.get("learning_rate") or TrainConfig().learning_rate) * FINETUNE_LR_FACTOR,
    )
    return cfg


def start_finetune(
    run_ref: str, store: RunStore | None = None, *, epochs: int = FINETUNE_EPOCHS, name: str | None = None
) -> str:
    """Queue a run that fine-tunes `run_ref`'s best model on its training data plus the personal drawings."""
    from cnnlab import jobs
    from cnnlab.export import ExportError, run_model_path

    store = _store(store)
    run = store.find_run(run_ref)
    try:
        model_path = run_model_path(store, run.id)
    except ExportError as exc:
        raise TeachError(str(exc)) from None
    drawings = load_drawings(run.dataset, store)
    config = finetune_config(run, model_path, drawings, store, epochs=epochs)
    return jobs.start_run(config, name=name or f"{run.name} + my drawings", store=store)


def finetune_drawings(run: Run) -> tuple[np.ndarray, np.ndarray] | None:
    """The unique drawings a fine-tune run trained on (x uint8, y), or None for an ordinary run."""
    extra = run.config.get("extra_data")
    if not extra or not run.parent:
        return None
    path = Path(extra)
    if path.parent.name != "finetune" or path.parent.parent.name != DRAWINGS_DIR or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            n = int(f["unique"]) if "unique" in f.files else len(f["y"])
            return np.asarray(f["x"][:n], np.uint8), np.asarray(f["y"][:n], np.int64)
    except (OSError, ValueError, KeyError):
        return None


@dataclass
class BeforeAfter:
    """One saved drawing's prediction by the model before fine-tuning and after."""

    label: int
    before: int
    before_p: float
    after: int
    after_p: float

    @property
    def fixed(self) -> bool:
        return self.before != self.label and self.after == self.label

    @property
    def broken(self) -> bool:
        return self.before == self.label and self.after != self.label


def before_after(before_probs: np.ndarray, after_probs: np.ndarray, labels: np.ndarray) -> list[BeforeAfter]:
    """Pair the two models' predictions on the same drawings."""
    b, a = np.asarray(before_probs), np.asarray(after_probs)
    out = []
    for i, label in enumerate(np.asarray(labels, dtype=np.int64)):
        pb, pa = int(b[i].argmax()), int(a[i].argmax())
        out.append(BeforeAfter(int(label), pb, float(b[i, pb]), pa, float(a[i, pa])))
    return out


# ---------------------------------------------------------------- ImageNet photos (MobileNetV2)

PHOTO_SIZE = 224
PHOTO_WEIGHTS = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{PHOTO_SIZE}.h5"
PHOTO_CLASSES = "imagenet_class_index.json"
PHOTO_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/" + PHOTO_WEIGHTS
PHOTO_CLASSES_URL = "https://storage.googleapis.com/download.tensorflow.org/data/" + PHOTO_CLASSES
PHOTO_CLASSES_MD5 = "c2c37ea517e94d9795004a39431a14cb"


@dataclass
class PhotoStatus:
    """Whether the ImageNet photo classifier can run here, and what is missing when not."""

    available: bool
    cached: bool  # both files are in the Keras cache (no download needed)
    folder: Path  # <KERAS_HOME>/models
    missing: list[str]  # file names not in the cache

    @property
    def message(self) -> str:
        if self.cached:
            return f"MobileNetV2 ImageNet weights found in {self.folder}."
        if self.available:
            return f"MobileNetV2's ImageNet weights will be downloaded into {self.folder} on first use."
        return (
            f"Photo recognition is off: this machine is offline and {', '.join(self.missing)} "
            f"{'is' if len(self.missing) == 1 else 'are'} not in {self.folder}. Copy "
            f"{' and '.join(self.missing)} there (download: {PHOTO_WEIGHTS_URL} and {PHOTO_CLASSES_URL}), "
            "then reload."
        )


def photo_status(online: Callable[[], bool] | None = None) -> PhotoStatus:
    """Check the Keras cache for MobileNetV2's weights and ImageNet's class names, then whether a download works.

    `online` replaces the network probe (`cnnlab.data.can_download`); a page passes a cached one, so the files are
    looked for on every visit (copied in → available at once) but the network is not probed every time.
    """
    from cnnlab.data import can_download

    folder = paths.keras_home() / "models"
    missing = [name for name in (PHOTO_WEIGHTS, PHOTO_CLASSES) if not (folder / name).is_file()]
    if not missing:
        return PhotoStatus(True, True, folder, [])
    return PhotoStatus((online or can_download)(), False, folder, missing)


@dataclass
class PhotoClassifier:
    """MobileNetV2 with its ImageNet head, compiled once, and the 1,000 class names (shared: calls are locked)."""

    model: Any
    class_names: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def classify(
        self, source: Any, k: int = 3, *, name: str | None = None
    ) -> tuple[np.ndarray, list[tuple[int, str, float]]]:
        """(the 224x224 RGB pixels it saw, top-k ImageNet classes as (index, name, probability)) for an image."""
        from cnnlab.inspection import predictor

        pixels = load_image(source, mode="RGB", size=(PHOTO_SIZE, PHOTO_SIZE), name=name)
        with self.lock:
            probs = predictor(self.model).predict_one(pixels.astype(np.float32) / 127.5 - 1.0)  # MobileNetV2: [-1, 1]
        return pixels, top_k(probs, self.class_names, k)


def load_photo_classifier() -> PhotoClassifier:
    """Build MobileNetV2 from the cached weights (or download them when the network allows); TeachError if neither."""
    status = photo_status()
    if not status.available:
        raise TeachError(status.message)
    import keras

    weights = status.folder / PHOTO_WEIGHTS
    classes = status.folder / PHOTO_CLASSES
    if not classes.is_file():
        classes = Path(keras.utils.get_file(PHOTO_CLASSES, PHOTO_CLASSES_URL, cache_subdir="models",
                                            file_hash=PHOTO_CLASSES_MD5))  # fmt: skip
    index = json.loads(classes.read_text(encoding="utf-8"))
    names = [str(index[str(i)][1]).replace("_", " ") for i in range(len(index))]
    model = keras.applications.MobileNetV2(
        input_shape=(PHOTO_SIZE, PHOTO_SIZE, 3), weights=str(weights) if weights.is_file() else "imagenet"
    )
    return PhotoClassifier(model, names)
