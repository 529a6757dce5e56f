"""Stroke-aware augmentation: thicker or thinner pens and elastic bends keep labels, shapes and value ranges."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cnnlab.data.augmentation import Augmentation, augmentation_layers
from cnnlab.data.datasets import load_dataset
from cnnlab.data.strokes import ElasticDistortion, RandomStroke
from cnnlab.train.codegen import training_script
from cnnlab.train.config import ConfigError, TrainConfig, prepare


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_dataset("mnist-sample").x_train[:32].astype("float32") / 255.0


def _run(layer, x) -> np.ndarray:
    return keras.ops.convert_to_numpy(layer(x, training=True))


def test_the_pen_thickens_half_and_thins_half_and_keeps_the_range(digits) -> None:
    out = _run(RandomStroke(1.0, seed=3), digits)
    assert out.shape == digits.shape and out.min() >= 0.0 and out.max() <= 1.0
    ink_before, ink_after = digits.sum(axis=(1, 2, 3)), out.sum(axis=(1, 2, 3))
    thicker, thinner = (ink_after > ink_before).sum(), (ink_after < ink_before).sum()
    assert thicker + thinner == len(digits) and thicker > 4 and thinner > 4
    assert (out.reshape(len(out), -1).max(axis=1) > 0.3).all()  # no digit is wiped out by thinning


def test_no_rate_or_no_training_leaves_the_images_alone(digits) -> None:
    np.testing.assert_array_equal(_run(RandomStroke(0.0, seed=1), digits), digits)
    assert np.array_equal(keras.ops.convert_to_numpy(ElasticDistortion(0.3, seed=1)(digits, training=False)), digits)


def test_elastic_bends_keep_the_range_and_follow_the_seed(digits) -> None:
    a, b = _run(ElasticDistortion(0.2, seed=5), digits), _run(ElasticDistortion(0.2, seed=5), digits)
    assert a.shape == digits.shape and a.min() >= 0.0 and a.max() <= 1.0 + 1e-6
    np.testing.assert_allclose(a, b)
    moved = np.abs(a - digits).mean(axis=(1, 2, 3))
    assert (moved > 0).all()
    kept = a.sum(axis=(1, 2, 3)) / digits.sum(axis=(1, 2, 3))  # the ink is bent, not lost
    assert kept.mean() > 0.85 and kept.min() > 0.3, kept


def test_the_settings_are_checked_and_make_layers() -> None:
    layers = augmentation_layers(Augmentation(stroke=0.3, elastic=0.2), seed=0)
    assert [type(layer).__name__ for layer in layers] == ["RandomStroke", "ElasticDistortion"]
    with pytest.raises(ConfigError, match="stroke"):
        prepare(TrainConfig(dataset="mnist-sample", epochs=1, augmentation={"stroke": 0.9}))


def test_the_exported_script_defines_the_same_pen_layers(digits) -> None:
    cfg = TrainConfig(dataset="mnist-sample", epochs=1, augmentation={"stroke": 0.5, "elastic": 0.2})
    script = training_script(cfg.to_dict())
    assert "RandomStroke(0.5, seed=SEED)" in script and "ElasticDistortion(0.2, seed=SEED)" in script
    start = script.index("from keras import ops")
    end = script.index("def augmentation_layers")
    namespace: dict = {"keras": keras}
    exec(compile(script[start:end], "script", "exec"), namespace)  # the classes exactly as the script has them
    pairs = ((namespace["RandomStroke"](0.5, seed=9), RandomStroke(0.5, seed=9)),
             (namespace["ElasticDistortion"](0.2, seed=9), ElasticDistortion(0.2, seed=9)))  # fmt: skip
    for theirs, ours in pairs:
        np.testing.assert_allclose(_run(theirs, digits), _run(ours, digits))
