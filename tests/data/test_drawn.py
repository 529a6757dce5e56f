"""The drawn-digit test set: test digits re-drawn as people draw, through the Predict page's preprocessing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnlab import cli, paths
from cnnlab.data import drawn
from cnnlab.data.datasets import load_dataset
from cnnlab.data.preprocess import canvas_to_mnist


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    ds = load_dataset("mnist-sample")
    return ds.x_test[:60], ds.y_test[:60]


def test_the_same_seed_draws_the_same_set_and_another_seed_another(digits) -> None:
    x, _ = digits
    a, b, c = drawn.drawn_test_set(x, seed=3), drawn.drawn_test_set(x, seed=3), drawn.drawn_test_set(x, seed=4)
    assert a.shape == (60, 28, 28, 1) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert 0.0 <= a.min() and a.max() <= 1.0
    assert (a.reshape(60, -1).max(axis=1) > 0.5).all()  # every digit still has ink after the pen and the steps


def test_each_drawing_is_made_the_way_the_canvas_sends_it(digits) -> None:
    """RGBA 280x280 in all three polarities, different stroke widths; the Predict steps bring each back to 28x28."""
    x, _ = digits
    rng = np.random.default_rng(0)
    widths = []
    for polarity in drawn.POLARITIES:
        for stroke in (-2, 0, 5):
            canvas = drawn.redraw(x[1], rng, stroke=stroke, polarity=polarity, height=180)
            assert canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8
            ink = canvas[..., 3] > 0 if polarity == "paint" else canvas[..., 0] != canvas[0, 0, 0]
            widths.append(int(ink.sum()))
            assert canvas_to_mnist(canvas).shape == (28, 28)
    assert widths[0] < widths[1] < widths[2]  # thinner < as is < thicker


def test_the_set_is_kept_in_the_cache_and_made_again_when_damaged(digits, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CNNLAB_CACHE", str(tmp_path / "cache"))
    x, _ = digits
    first = drawn.drawn_test_images(x[:20])
    [file] = list(paths.cache_dir().glob("drawn-*.npy"))
    assert first.dtype == np.uint8 and first.shape == (20, 28, 28, 1)
    assert np.array_equal(first, np.round(drawn.drawn_test_set(x[:20]) * 255).astype(np.uint8))
    file.write_bytes(b"damaged")
    assert np.array_equal(drawn.drawn_test_images(x[:20]), first)
    assert np.load(file).shape == (20, 28, 28, 1)


def test_only_digit_datasets_have_a_drawn_set() -> None:
    assert drawn.applies_to((28, 28, 1))
    assert not drawn.applies_to((32, 32, 3)) and not drawn.applies_to((28, 28, 3))


def test_a_trained_digit_model_reports_drawn_accuracy_beside_test_accuracy(tiny_run, capsys) -> None:
    assert cli.main(["runs", "--json"]) == 0
    [run] = json.loads(capsys.readouterr().out)
    metrics = run["final_metrics"]
    assert 0.0 <= metrics["drawn_accuracy"] <= 1.0
    assert metrics["drawn_ratio"] == pytest.approx(metrics["drawn_accuracy"] / metrics["test_accuracy"])
