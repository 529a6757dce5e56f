"""photo_steps: a webcam photo of a handwritten digit (dark ink on light paper, uneven light, noise) comes out
as an MNIST digit, white on black and centred, that a trained model reads as well as the original."""

from __future__ import annotations

import numpy as np
import pytest
from drawing import paper_photo

from cnnlab.data import datasets as data
from cnnlab.data.images import load_image
from cnnlab.data.preprocess import CENTRE, NothingToRecognise, photo_ink, photo_steps, preprocess_steps

N = 12


@pytest.fixture(scope="module")
def digits():
    return data.load_dataset("mnist-sample")


def photo(digits, i: int, seed: int = 0) -> np.ndarray:
    """Test digit i as a decoded grayscale photo (HxWx1 uint8), as the webcam tab reads it."""
    return load_image(paper_photo(digits.x_test[i][..., 0], np.random.default_rng(seed + i)), mode="L")


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    rows, cols = np.mgrid[: img.shape[0], : img.shape[1]]
    return float((rows * img).sum() / img.sum()), float((cols * img).sum() / img.sum())


def test_uneven_light_defeats_the_plain_steps_but_not_the_photo_steps(digits):
    pixels = photo(digits, 0)
    plain = preprocess_steps(pixels)  # the border's median is no background: the dim left half counts as ink
    assert plain.cropped.shape[1] > 1.2 * plain.cropped.shape[0]  # the whole 4:3 picture, not a digit
    steps = photo_steps(pixels)
    assert steps.cropped.shape[0] > steps.cropped.shape[1]  # an upright digit


def test_a_photographed_digit_comes_out_white_on_black_centred_and_boxed(digits):
    for i in range(N):
        out = photo_steps(photo(digits, i)).centred
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert out.max() == pytest.approx(1.0)
        assert np.median(out) == 0 and (out > 0.5).mean() < 0.3  # white ink on black, not the other way round
        r, c = centre_of_mass(out)
        assert abs(r - CENTRE) <= 1.5 and abs(c - CENTRE) <= 1.5
        rows, cols = np.flatnonzero(out.max(1) > 0.05), np.flatnonzero(out.max(0) > 0.05)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 22  # MNIST's 20-pixel box (+blur): no speck
        # of noise, shadow or paper edge left anywhere else


def test_blank_paper_under_uneven_light_is_nothing_to_recognise():
    pixels = load_image(paper_photo(None, np.random.default_rng(3)), mode="L")
    assert photo_ink(pixels).max() == 0
    with pytest.raises(NothingToRecognise):
        photo_steps(pixels)


def test_a_trained_model_reads_photographed_digits_right(digits, tiny_run):
    """The tiny model (2 epochs on 1,024 digits) is right about half the time; the digits it knows for sure in
    their original form it must also read right in a photo, and on the rest it mostly says the same."""
    from cnnlab.inspection.forward import predictor
    from cnnlab.modelfiles import load_model
    from cnnlab.runs.store import RunStore

    with RunStore() as store:
        pred = predictor(load_model(store.get_run(tiny_run.run_id).best_model))
    n = 60
    labels = digits.y_test[:n]
    originals = pred.predict(digits.x_test[:n].astype(np.float32) / 255.0)
    photos = pred.predict(np.stack([photo_steps(photo(digits, i)).centred[..., None] for i in range(n)])).argmax(1)
    known = (originals.argmax(1) == labels) & (originals.max(1) > 0.8)
    assert known.sum() >= 4, "the tiny model should know a few digits for sure"
    assert (photos[known] == labels[known]).sum() >= known.sum() - 1, (photos[known], labels[known])
    assert (photos == originals.argmax(1)).mean() >= 0.8


def test_an_uploaded_photo_goes_through_the_photo_steps_and_an_mnist_like_image_does_not(digits):
    """Uploads on Predict and Inspect (image_for_model): light paper gets its light evened out first; a digit on a
    dark background (a drawing, an MNIST image) keeps the plain steps."""
    import io

    from PIL import Image

    from cnnlab.inspection.prediction import image_for_model

    digit = digits.x_test[0][..., 0]
    shot = paper_photo(digit, np.random.default_rng(3))
    expected = photo_steps(load_image(shot, mode="L")[..., 0]).centred[..., None]
    np.testing.assert_array_equal(image_for_model(shot, (28, 28, 1)), expected)
    buf = io.BytesIO()
    Image.fromarray(digit).save(buf, "PNG")  # white on black, like MNIST
    plain = preprocess_steps(digit).centred[..., None]
    np.testing.assert_array_equal(image_for_model(buf.getvalue(), (28, 28, 1)), plain)
