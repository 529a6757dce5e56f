"""canvas_to_mnist: re-drawn MNIST digits come out centred like MNIST and are recognised."""

from __future__ import annotations

import numpy as np
import pytest
from drawing import redraw

from cnnlab.data import datasets as data
from cnnlab.data.preprocess import CENTRE, NothingToRecognise, canvas_to_mnist, preprocess_steps

VARIANTS = {
    "white on black": {},
    "black on white": {"polarity": "black_on_white"},
    "transparent canvas": {"transparent": True},
    "coloured ink": {"color": (230, 40, 40)},
    "thick strokes": {"stroke": 11, "min_height": 120},  # a marker pen on a normal-size digit
    "thin strokes": {"stroke": -7},
    "small": {"height": 50},
    "large": {"height": 260},
}


@pytest.fixture(scope="module")
def digits():
    ds = data.load_dataset("mnist-sample")
    return ds


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    rows, cols = np.mgrid[: img.shape[0], : img.shape[1]]
    return float((rows * img).sum() / img.sum()), float((cols * img).sum() / img.sum())


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_redrawn_digits_come_out_centred_and_boxed(digits, variant):
    rng = np.random.default_rng(1)
    for x in digits.x_test[:20]:
        out = canvas_to_mnist(redraw(x[..., 0], rng, **VARIANTS[variant]))
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() == pytest.approx(1.0)
        r, c = centre_of_mass(out)
        assert abs(r - CENTRE) <= 1.5 and abs(c - CENTRE) <= 1.5  # clipped at the border at worst
        rows, cols = np.flatnonzero(out.max(1) > 0.05), np.flatnonzero(out.max(0) > 0.05)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 22  # fits MNIST's 20-pixel box (+blur)


def test_steps_show_each_stage(digits):
    steps = preprocess_steps(redraw(digits.x_test[0, ..., 0], np.random.default_rng(0), height=200))
    assert steps.ink.shape == (140, 140)  # a 280-pixel canvas is box-reduced by 2 first
    assert max(steps.scaled.shape) == 20
    assert max(steps.cropped.shape) == 60 and steps.cropped.shape[0] == 60  # a tall digit, cropped to its ink
    assert steps.centred.shape == (28, 28)


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((280, 280, 4), np.uint8),  # empty, transparent
        np.full((280, 280, 4), 255, np.uint8),  # empty, white paper
    ],
)
def test_empty_canvas_is_nothing_to_recognise(canvas):
    with pytest.raises(NothingToRecognise, match="nothing to recognise"):
        canvas_to_mnist(canvas)


def test_single_dot_is_nothing_to_recognise():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255
    yy, xx = np.mgrid[:280, :280]
    canvas[(yy - 100) ** 2 + (xx - 150) ** 2 < 64, :3] = 255  # a brush dab of radius 8
    with pytest.raises(NothingToRecognise, match="dot"):
        canvas_to_mnist(canvas)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="expected"):
        canvas_to_mnist(np.zeros((10, 10, 2), np.uint8))


@pytest.mark.slow
def test_model_recognises_redrawn_digits_nearly_as_well_as_originals(digits):
    """The product promise: drawings anywhere, any size, any pen, work like MNIST digits."""
    import keras

    from cnnlab.arch.build import build_model, to_model_input
    from cnnlab.arch.presets import preset

    keras.utils.set_random_seed(0)
    model = build_model(preset("lenet5"))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(to_model_input(digits.x_train), digits.y_train, epochs=4, batch_size=64, verbose=0)
    xs, ys = digits.x_test[:200], digits.y_test[:200]
    original = (model.predict(to_model_input(xs), verbose=0).argmax(1) == ys).mean()
    rng = np.random.default_rng(7)
    for name, kwargs in VARIANTS.items():
        drawn = np.stack([canvas_to_mnist(redraw(x[..., 0], rng, **kwargs)) for x in xs])[..., None]
        accuracy = (model.predict(drawn, verbose=0).argmax(1) == ys).mean()
        assert accuracy >= original - 0.08, f"{name}: {accuracy:.3f} vs {original:.3f} on the originals"
