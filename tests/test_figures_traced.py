"""Figures the pages show, each recomputed another way on real data (issue 21: "every figure on every page traced
to its computation by a test"). docs/FIGURES.md maps every figure to its page, the function that computes it and
the test that checks it; the figures not checked here are checked where that table says."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnlab.arch.presets import PRESETS, preset
from cnnlab.data import datasets
from cnnlab.data.datasets import list_datasets, load_dataset, pixel_stats, split, split_counts
from conftest import open_app

# ---------------------------------------------------------------- Home and Data: image counts, pixel statistics


def test_the_counts_home_shows_are_the_splits_load_dataset_makes(home_with_data) -> None:
    infos = {i.name: i for i in list_datasets()}
    # a dataset that ships its own test set: split() carves 10% of each class's training images out; a class of
    # 6,265 sevens gives 626 (626.5 rounded to even), so MNIST has 5,999 validation digits, not 6,000
    assert infos["mnist"].counts == {"train": 54_001, "validation": 5_999, "test": 10_000}
    for name, builtin in datasets.BUILTINS.items():
        per_class, test = builtin.sizes
        y = np.repeat(np.arange(len(per_class)), per_class)
        xt, yt, xv, yv, xs, _ = split(np.zeros((len(y), 1, 1, 1), np.uint8), y, val_fraction=0.1, test_fraction=0.0)
        assert infos[name].counts == {"train": len(yt), "validation": len(yv), "test": test}, name
        assert len(xs) == 0 and len(xt) + len(xv) == sum(per_class)
    checked = 0
    for name, info in infos.items():
        if info.status != "ok":
            continue  # not on this machine: its counts are checked by the arithmetic above
        ds = load_dataset(name)
        assert info.counts == ds.counts() == {"train": len(ds.x_train), "validation": len(ds.x_val),
                                              "test": len(ds.x_test)}, name  # fmt: skip
        if name in datasets.BUILTINS:  # the per-class sizes written down are those of the files
            per_class = np.bincount(np.concatenate([ds.y_train, ds.y_val]), minlength=ds.num_classes)
            assert tuple(per_class) == tuple(datasets.BUILTINS[name].sizes[0]), name
        checked += 1
    assert checked >= 1  # the bundled sample at least


def test_pixel_statistics_cover_every_training_image(home_with_data) -> None:
    sample = load_dataset("mnist-sample").x_train
    tall = np.concatenate([sample, 255 - sample[:2000]])  # more than the 5,000 images it used to stop at
    for x in (sample, tall, tall.astype(np.float32)):
        f = x.astype(np.float64)
        stats = pixel_stats(x)
        assert stats["mean"] == pytest.approx(f.mean(), abs=1e-9) and stats["std"] == pytest.approx(f.std(), abs=1e-9)
        assert (stats["min"], stats["max"]) == (f.min(), f.max())
    assert split_counts([10, 11], val_fraction=0.1, test_fraction=0.2) == {"train": 15, "validation": 2, "test": 4}


def test_the_data_page_shows_the_loaded_splits_class_counts_and_pixel_statistics(home_with_data) -> None:
    ds = load_dataset("mnist-sample")
    at = open_app("pages/data.py", "en")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Training images"] == f"{len(ds.y_train):,}" and shown["Validation images"] == f"{len(ds.y_val):,}"
    assert shown["Test images"] == f"{len(ds.y_test):,}" and shown["Image shape"] == "28×28×1"
    f = ds.x_train.astype(np.float64)
    assert (shown["Mean"], shown["Std. deviation"]) == (f"{f.mean():.1f}", f"{f.std():.1f}")
    assert (shown["Min"], shown["Max"]) == (f"{f.min():.1f}", f"{f.max():.1f}")
    bars = next(c for c in (json.loads(p.proto.spec) for p in at.get("plotly_chart")) if c["data"][0]["type"] == "bar")
    counts = bars["data"][0]["y"]
    counts = counts if isinstance(counts, list) else _plotly_array(counts)
    assert [int(v) for v in counts] == [int((ds.y_train == k).sum()) for k in range(10)]


def _plotly_array(value: dict) -> list:
    """A typed array as plotly.py serialises NumPy data ({"dtype", "bdata"}) back to a list."""
    import base64

    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()


# ---------------------------------------------------------------- Build: activation memory


@pytest.mark.parametrize("name", [name for name in PRESETS if name != "transfer"])
def test_the_activation_memory_build_shows_is_every_output_keras_builds(name) -> None:
    from cnnlab.arch.analysis import analyze
    from cnnlab.arch.build import build_model

    spec = preset(name, (28, 28, 1), 10)
    model = build_model(spec)
    floats = int(np.prod(model.input.shape[1:]))  # the image itself
    for layer in model.layers:
        if type(layer).__name__ != "InputLayer":
            floats += int(np.prod(layer.output.shape[1:]))
    totals = analyze(spec).totals
    assert totals["activation_bytes"] == floats * 4, name  # float32: 4 bytes per value, one image
    assert totals["params"] == model.count_params()
