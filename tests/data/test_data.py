"""Dataset registry: offline behaviour, Keras-cache datasets, the bundled MNIST sample, splits, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from cnnlab import downloads
from cnnlab.data import datasets
from cnnlab.data.datasets import DatasetUnavailable, _read_idx, dataset_info, list_datasets, load_dataset, split
from cnnlab.downloads import can_download


@pytest.fixture(autouse=True)
def no_system_datasets(monkeypatch, tmp_path):
    """Hide Debian's dataset-fashion-mnist so results do not depend on the machine."""
    monkeypatch.setattr(datasets, "FASHION_DEBIAN_DIR", tmp_path / "no-such-dir")


def test_offline_registry_reports_unavailable_with_fix_and_does_not_hang(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError(f"the offline registry tried to connect to {args[0] if args else '?'}")

    monkeypatch.setattr(downloads.socket, "create_connection", no_network)  # offline means no connection to wait on
    can_download.cache_clear()
    infos = {i.name: i for i in list_datasets()}
    assert infos["mnist-sample"].available
    for name in ("mnist", "fashion_mnist", "cifar10"):
        assert not infos[name].available
        assert "no network" in str(infos[name].reason)
    assert "mnist.npz" in str(infos["mnist"].reason)
    with pytest.raises(DatasetUnavailable, match=r"mnist\.npz"):
        load_dataset("mnist")


def test_mnist_sample_is_5000_balanced_real_digits():
    ds = load_dataset("mnist-sample")
    assert ds.image_shape == (28, 28, 1)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    total = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    assert len(total) == 5000
    assert np.bincount(total).tolist() == [500] * 10
    assert ds.counts() == {"train": 3500, "validation": 500, "test": 1000}
    # real digits: mostly black background with bright strokes, like MNIST
    assert 20 < ds.x_train.mean() < 50 and ds.x_train.max() == 255
    assert "5,000 real MNIST digits" in ds.source


def test_mnist_sample_is_cached_after_first_load(cnnlab_home):
    load_dataset("mnist-sample")
    assert (cnnlab_home / "cache" / "mnist-sample.npz").is_file()
    again = load_dataset("mnist-sample")
    assert len(again.y_train) == 3500


def test_split_is_deterministic_stratified_and_disjoint():
    x = np.arange(1000).reshape(-1, 1, 1, 1)
    y = np.repeat(np.arange(10), 100)
    a = split(x, y, seed=3, val_fraction=0.1, test_fraction=0.2)
    b = split(x, y, seed=3, val_fraction=0.1, test_fraction=0.2)
    c = split(x, y, seed=4, val_fraction=0.1, test_fraction=0.2)
    for u, v in zip(a, b, strict=True):
        assert np.array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    train, val, test = (set(a[i].ravel().tolist()) for i in (0, 2, 4))
    assert len(train) == 700 and len(val) == 100 and len(test) == 200
    assert not (train & val or train & test or val & test)
    assert np.bincount(a[5]).tolist() == [20] * 10
    with pytest.raises(ValueError):
        split(x, y, val_fraction=0.6, test_fraction=0.5)


def test_fake_mnist_in_keras_cache_is_used(tmp_path, monkeypatch):
    cache = tmp_path / "kh"
    (cache / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(cache))
    rng = np.random.default_rng(0)
    np.savez(
        cache / "datasets" / "mnist.npz",
        x_train=rng.integers(0, 256, (200, 28, 28), dtype=np.uint8),
        y_train=np.repeat(np.arange(10), 20).astype(np.uint8),
        x_test=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        y_test=np.repeat(np.arange(10), 5).astype(np.uint8),
    )
    info = dataset_info("mnist")
    assert info.available and not info.reason
    ds = load_dataset("mnist", val_fraction=0.1)
    assert ds.image_shape == (28, 28, 1)
    assert ds.counts() == {"train": 180, "validation": 20, "test": 50}


def test_fashion_mnist_from_idx_files(tmp_path, monkeypatch):
    folder = tmp_path / "fm"
    folder.mkdir()
    import gzip

    def idx(path, arr):
        header = bytes([0, 0, 8, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
        with gzip.open(path, "wb") as fh:
            fh.write(header + arr.astype(np.uint8).tobytes())

    rng = np.random.default_rng(1)
    idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (100, 28, 28)))
    idx(folder / "train-labels-idx1-ubyte.gz", np.repeat(np.arange(10), 10))
    idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (20, 28, 28)))
    idx(folder / "t10k-labels-idx1-ubyte.gz", np.repeat(np.arange(10), 2))
    monkeypatch.setattr(datasets, "FASHION_DEBIAN_DIR", folder)
    ds = load_dataset("fashion_mnist")
    assert ds.class_names[0] == "T-shirt/top"
    assert ds.counts()["test"] == 20 and ds.image_shape == (28, 28, 1)


def test_truncated_idx_file_is_refused(tmp_path):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + b"\x01" * 10)
    with pytest.raises(DatasetUnavailable, match="truncated"):
        _read_idx(path)


def test_cli_datasets_json(cnnlab_home):
    out = subprocess.run(
        [sys.executable, "-m", "cnnlab", "datasets", "--json"], capture_output=True, text=True, check=True, timeout=60
    )
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    sample = rows["mnist-sample"]
    assert sample["available"] is True and sample["reason"] is None
    assert sample["counts"] == {"train": 3500, "validation": 500, "test": 1000}
    assert sample["image_shape"] == [28, 28, 1] and len(sample["class_names"]) == 10
    assert "MNIST" in sample["source"]
    assert rows["mnist"]["available"] is False and "mnist.npz" in rows["mnist"]["reason"]
    assert set(sample) >= {"name", "available", "reason", "counts", "image_shape", "class_names", "source"}

