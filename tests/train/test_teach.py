"""cnnlab.teach: images in a model's terms, the personal dataset of drawings, a real fine-tune run, photo status.

The real fine-tune is conftest's `finetuned_home`: the session's tiny LeNet-5 run fine-tuned on three saved
drawings, trained once per session and shared with the Predict page and browser tests.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import hostile
import numpy as np
import pytest
from drawing import digit_canvases, redraw
from PIL import Image

from cnnlab.data.images import ImageError
from cnnlab.data.preprocess import NothingToRecognise, canvas_to_mnist, photo_steps
from cnnlab.inspection.photos import PHOTO_CLASSES, PHOTO_WEIGHTS, load_photo_classifier, photo_status
from cnnlab.inspection.prediction import class_names_for, image_for_model, top_k
from cnnlab.runs import store as rs
from cnnlab.runs.store import RunStore
from cnnlab.train import drawings as drawings_
from cnnlab.train.finetune import (
    FINETUNE_LR_FACTOR,
    MAX_REPEAT,
    before_after,
    finetune_config,
    finetune_drawings,
    repeats_for,
    start_finetune,
)

pytestmark = pytest.mark.timeout(300)


# ---------------------------------------------------------------- images in a model's terms


def test_a_photo_of_a_digit_on_paper_becomes_a_centred_white_digit():
    canvas, _ = digit_canvases(1)
    paper = redraw(np.asarray(Image.fromarray(canvas[0][..., 0]).resize((28, 28))), np.random.default_rng(1),
                   polarity="black_on_white")[..., :3]  # fmt: skip
    photo = hostile.encode(Image.fromarray(paper).resize((600, 500)), "JPEG", quality=85)
    x = image_for_model(photo, (28, 28, 1), name="digit.jpg")
    assert x.shape == (28, 28, 1) and x.dtype == np.float32
    assert x[0, 0, 0] == 0 and x.max() > 0.9  # inverted: white ink on a black field
    rows, cols = np.nonzero(x[..., 0] > 0.2)
    assert abs(rows.mean() - 14) < 3 and abs(cols.mean() - 14) < 3  # centred like MNIST
    gray = np.asarray(Image.open(io.BytesIO(photo)).convert("L"))
    np.testing.assert_allclose(x[..., 0], photo_steps(gray).centred, atol=1e-6)  # the Webcam tab's own steps


def test_other_models_get_the_image_resized_to_their_input():
    rgb = hostile.valid_images()["png"]
    x = image_for_model(rgb, (32, 24, 3))
    assert x.shape == (32, 24, 3) and 0 <= x.min() and x.max() <= 1
    assert image_for_model(rgb, (16, 16, 1)).shape == (16, 16, 1)
    with pytest.raises(drawings_.TeachError, match="4-channel"):
        image_for_model(rgb, (16, 16, 4))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (hostile.truncated_png(), "truncated"),
        (hostile.tiff_bytes(), "TIFF image; allowed"),
        (b"%PDF-1.4 not an image", "PDF file"),
        (hostile.png_bomb(20_000, 20_000), "limit"),
        (b"", "empty"),
    ],
    ids=["truncated", "tiff-named-png", "pdf", "pixel-bomb", "empty"],
)
def test_hostile_uploads_are_refused_with_a_reason(data, message):
    with pytest.raises(ImageError, match=message):
        image_for_model(data, (28, 28, 1), name="upload.png")


def test_a_blank_upload_is_nothing_to_recognise():
    with pytest.raises(NothingToRecognise):
        image_for_model(hostile.gray_png(255, (64, 64)), (28, 28, 1))


def test_top_k_and_class_names():
    assert top_k([0.1, 0.7, 0.2], ["a", "b", "c"], 2) == [(1, "b", pytest.approx(0.7)), (2, "c", 0.2)]
    assert class_names_for("mnist-sample", 10) == [str(i) for i in range(10)]
    assert class_names_for("no-such-dataset", 3) == ["0", "1", "2"]


# ---------------------------------------------------------------- the personal dataset


def test_drawings_are_kept_in_the_run_store(cnnlab_home):
    canvases, labels = digit_canvases(2)
    store = RunStore()
    assert len(drawings_.load_drawings("mnist-sample", store)) == 0
    drawings_.add_drawing("mnist-sample", canvas_to_mnist(canvases[0]), labels[0], 10, store)
    drawings = drawings_.add_drawing("mnist-sample", canvas_to_mnist(canvases[1]), 9, 10, store)
    assert drawings.x.shape == (2, 28, 28, 1) and drawings.x.dtype == np.uint8
    assert drawings.y.tolist() == [labels[0], 9]
    assert drawings.path == cnnlab_home / "drawings" / "mnist-sample.npz"
    record = drawings_.drawing_record("mnist-sample", store)
    assert record["count"] == 2 and record["file"] == "drawings/mnist-sample.npz"
    again = drawings_.load_drawings("mnist-sample", RunStore())  # from disk, in a new connection
    np.testing.assert_array_equal(again.x, drawings.x)
    after = drawings_.remove_drawing("mnist-sample", 0, store)
    assert after.y.tolist() == [9] and drawings_.drawing_record("mnist-sample", store)["count"] == 1
    assert not list((cnnlab_home / "drawings").glob(".*tmp*"))  # atomic writes leave no temporaries


def test_bad_drawings_are_refused(cnnlab_home):
    canvas = canvas_to_mnist(digit_canvases(1)[0][0])
    with pytest.raises(drawings_.TeachError, match="between 0 and 9"):
        drawings_.add_drawing("mnist-sample", canvas, 10, 10)
    with pytest.raises(drawings_.TeachError, match="28x28"):
        drawings_.add_drawing("mnist-sample", np.zeros((20, 20)), 1, 10)
    with pytest.raises(drawings_.TeachError, match="empty"):
        drawings_.add_drawing("mnist-sample", np.zeros((28, 28)), 1, 10)
    with pytest.raises(drawings_.TeachError, match="not a dataset name"):
        drawings_.add_drawing("../escape", canvas, 1, 10)
    with pytest.raises(drawings_.TeachError, match="no drawing number 3"):
        drawings_.remove_drawing("mnist-sample", 3)
    (cnnlab_home / "drawings").mkdir(exist_ok=True)
    (cnnlab_home / "drawings" / "mnist-sample.npz").write_bytes(b"not an npz")
    with pytest.raises(drawings_.TeachError, match="damaged"):
        drawings_.load_drawings("mnist-sample")


def test_tabs_adding_at_once_keep_every_drawing(cnnlab_home):
    canvas = canvas_to_mnist(digit_canvases(1)[0][0])
    errors: list[BaseException] = []

    def add(label: int) -> None:
        try:
            drawings_.add_drawing("mnist-sample", canvas, label, 10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i % 10,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sorted(drawings_.load_drawings("mnist-sample").y.tolist()) == sorted(i % 10 for i in range(8))


def test_repeats_keep_the_drawings_a_tenth_of_the_data():
    assert repeats_for(3, 3150) == MAX_REPEAT  # 105 wanted, capped
    assert repeats_for(10, 3150) == 32  # 10 x 32 = 320 of 3,470 images: about a tenth
    assert repeats_for(100, 3150) == 4
    assert repeats_for(5000, 3150) == 1
    assert repeats_for(0, 3150) == 0


# ---------------------------------------------------------------- fine-tuning (real runs)


def test_finetune_is_a_new_run_from_the_model_on_data_plus_drawings(finetuned_home, monkeypatch):
    home, base_id, tuned_id = finetuned_home  # read only: the session's home itself, whose paths the runs name
    monkeypatch.setenv("CNNLAB_HOME", str(home))
    import keras

    from cnnlab.inspection.forward import predictor

    store = RunStore()
    base, tuned = store.get_run(base_id), store.get_run(tuned_id)
    assert tuned.parent == base.id and tuned.name == "tiny lenet + my drawings"
    assert tuned.config["init_model_path"] == base.best_model
    assert tuned.config["learning_rate"] == pytest.approx(base.config["learning_rate"] * FINETUNE_LR_FACTOR)
    assert tuned.config["max_train_samples"] == 1024 and tuned.epochs == 2 and tuned.config["monitor"] == "loss"
    x, y = finetune_drawings(tuned)
    saved = drawings_.load_drawings("mnist-sample", store)
    np.testing.assert_array_equal(x, saved.x)
    np.testing.assert_array_equal(y, saved.y)
    with np.load(tuned.config["extra_data"]) as f:  # the drawings were repeated for the trainer
        assert len(f["y"]) == len(y) * repeats_for(len(y), 1024)
    assert finetune_drawings(base) is None
    models = [keras.saving.load_model(r.best_model, compile=False) for r in (base, tuned)]
    before, after = (predictor(m).predict(x) for m in models)
    rows = before_after(before, after, y)
    assert [r.label for r in rows] == y.tolist()
    # training on the drawings raised the probability of their labels
    assert after[np.arange(len(y)), y].mean() > before[np.arange(len(y)), y].mean()


def test_finetune_refuses_what_it_cannot_do(tiny_run):
    home, base_id = tiny_run  # a trained run, and no drawings yet
    with pytest.raises(drawings_.TeachError, match="at least one drawing"):
        start_finetune(base_id)
    colour = rs.Run(id="x", name="cifar net", created=0, status="finished", arch={"input_shape": [32, 32, 3]},
                    dataset="cifar10", config={})  # fmt: skip
    drawings = drawings_.Drawings("cifar10", np.ones((1, 28, 28, 1), np.uint8), np.zeros(1, np.int64), home / "x.npz")
    with pytest.raises(drawings_.TeachError, match="32x32x3"):
        finetune_config(colour, home / "model.keras", drawings, RunStore())


# ---------------------------------------------------------------- photos (MobileNetV2)


def test_photo_classifier_offline_says_exactly_what_to_copy_where(cnnlab_home):
    status = photo_status()
    assert not status.available and not status.cached
    assert status.missing == [PHOTO_WEIGHTS, PHOTO_CLASSES]
    assert status.folder == Path(os.environ["KERAS_HOME"]) / "models"
    assert PHOTO_WEIGHTS in status.message and str(status.folder) in status.message
    with pytest.raises(drawings_.TeachError, match="offline"):
        load_photo_classifier()


@pytest.mark.slow
def test_photo_classifier_runs_from_the_keras_cache(cnnlab_home):
    """Weights in the cache (here a randomly initialised MobileNetV2 saved the way Keras' download is) are used
    offline: the photo is decoded safely, resized to 224x224 and given top-3 ImageNet class names."""
    import json

    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    folder = Path(os.environ["KERAS_HOME"]) / "models"
    folder.mkdir(parents=True)
    with h5py.File(folder / PHOTO_WEIGHTS, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, keras.applications.MobileNetV2(weights=None))
    index = {str(i): [f"n{i:08d}", f"thing_{i}"] for i in range(1000)}
    (folder / PHOTO_CLASSES).write_text(json.dumps(index))
    status = photo_status()
    assert status.available and status.cached and status.missing == []
    classifier = load_photo_classifier()
    photo = hostile.encode(Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 400, 3), np.uint8)), "JPEG")
    pixels, top = classifier.classify(photo, name="cat.jpg")
    assert pixels.shape == (224, 224, 3)
    assert len(top) == 3 and all(name.startswith("thing ") for _, name, _ in top)
    assert top[0][2] >= top[1][2] >= top[2][2] and sum(p for *_, p in top) <= 1.0 + 1e-6
    with pytest.raises(ImageError, match="TIFF"):
        classifier.classify(hostile.tiff_bytes(), name="x.png")


def test_fine_tuning_on_a_handful_of_drawings_costs_at_most_half_a_point_of_test_accuracy(finetuned):
    """Replay of the run's own training data keeps what the model knew (three drawings, five epochs)."""
    with RunStore() as store:
        base, tuned = store.get_run(finetuned.base), store.get_run(finetuned.tuned)
    before, after = base.final_metrics["test_accuracy"], tuned.final_metrics["test_accuracy"]
    assert after >= before - 0.005, (before, after)
    assert tuned.final_metrics["drawn_accuracy"] is not None and base.final_metrics["drawn_accuracy"] is not None
