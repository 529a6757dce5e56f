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
    # the same drawings with each prediction averaged over 1-pixel shifts, and what that costs a drawing
    assert 0.0 <= metrics["drawn_accuracy_shifted"] <= 1.0
    assert metrics["latency_shifted_ms"] > 0 and metrics["latency_ms"] > 0


def test_shifted_copies_move_every_image_by_each_shift_with_blank_edges() -> None:
    from cnnlab.imaging import SHIFTS, shift_averaged, shifted_copies

    images = np.arange(2 * 5 * 6, dtype=np.uint8).reshape(2, 5, 6, 1) + 1
    copies = shifted_copies(images).reshape(len(SHIFTS), 2, 5, 6, 1)
    assert SHIFTS[0] == (0, 0) and len(set(SHIFTS)) == 9
    np.testing.assert_array_equal(copies[0], images)  # the first copy is the image itself
    for n, (dy, dx) in enumerate(SHIFTS):
        rolled = np.roll(images, (dy, dx), axis=(1, 2))
        rows = slice(1, None) if dy > 0 else slice(None, -1) if dy < 0 else slice(None)
        cols = slice(1, None) if dx > 0 else slice(None, -1) if dx < 0 else slice(None)
        np.testing.assert_array_equal(copies[n][:, rows, cols], rolled[:, rows, cols])  # moved ...
        assert (copies[n] == 0).sum() == 2 * (5 * abs(dx) + 6 * abs(dy) - abs(dx * dy))  # ... and the new edge blank
    # averaging calls the model once on all copies and means their answers per image
    calls = []

    def mean_ink(batch):
        calls.append(len(batch))
        return batch.reshape(len(batch), -1).mean(axis=1, keepdims=True).repeat(3, axis=1)

    averaged = shift_averaged(mean_ink, images)
    assert calls == [9 * 2] and averaged.shape == (2, 3)
    np.testing.assert_allclose(averaged[:, 0], mean_ink(copies.reshape(-1, 5, 6, 1)).reshape(9, 2, 3).mean(0)[:, 0])
