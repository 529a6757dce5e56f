"""Every refusal of the probing engine (cnnlab/i18n/engine_probe.py) is produced by the real engine, keyed, and reads
fully in both languages."""

from __future__ import annotations

import numpy as np
import pytest
from errors_check import _error, assert_translated, error_keys

from cnnlab.i18n import engine_probe
from cnnlab.inspection import adversarial, maximise, neighbours, perturb, receptive, robustness
from cnnlab.inspection.forward import predictor
from cnnlab.inspection.perturb import ProbeError, Transform

# Defensive: Keras 2-D layers only accept 'same' and 'valid', so no model built here reaches this one.
NOT_DRIVEN = {"engine.probe.rf_padding"}


@pytest.fixture(scope="module")
def models():
    """An (untrained) LeNet-5, a model with a differently sized penultimate layer, one with Dropout and a transposed
    convolution, and one whose output is a feature map instead of class probabilities."""
    import keras

    from cnnlab.arch.build import build_model
    from cnnlab.arch.presets import preset

    lenet = build_model(preset("lenet5"))
    inp = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(4, 3, name="c")(inp)
    x = keras.layers.Conv2DTranspose(4, 3, strides=2, name="up")(x)
    x = keras.layers.Conv2D(4, 3, name="after")(x)
    x = keras.layers.Dropout(0.5, name="drop")(keras.layers.GlobalAveragePooling2D()(x))
    odd = keras.Model(inp, keras.layers.Dense(10, activation="softmax")(x))
    spatial = keras.Model(inp, keras.layers.Conv2D(2, 3, name="c")(inp))
    return lenet, odd, spatial


def _transform_messages() -> list[ProbeError]:
    nan = float("nan")
    out = [_error(Transform, **{name: nan}) for name in ("rotation", "shift_x", "shift_y", "occlusion_value", "fill")]
    out += [_error(Transform, scale=0.0), _error(Transform, shift_y=-5000), _error(Transform, thickness=9)]
    out += [_error(Transform, noise=2.0), _error(Transform, occlusion=(1, 2)), _error(Transform, occlusion=(3, 3, 0))]
    out += [_error(Transform, seed=-1), _error(Transform, thickness="thick")]
    return out


def _sweep_messages(model) -> list[ProbeError]:
    empty = robustness.SweepSettings(rotation=(), shift_x=(), shift_y=(), thickness=())
    x = np.zeros((3, 28, 28, 1), np.uint8)
    return [
        _error(empty.axes),
        _error(robustness.SweepSettings().transform, "blur", 1),
        _error(robustness.robustness_sweep, model, x, np.zeros(2, int)),
        _error(perturb.occlusion_map, model, x[0], patch=40),
        _error(perturb.occlusion_map, model, x[0], class_index=12),
    ]


def _attack_messages(lenet, spatial) -> list[ProbeError]:
    image = np.random.default_rng(0).random((28, 28, 1), dtype=np.float32)
    predicted = int(predictor(lenet).predict_one(image).argmax())
    return [
        _error(adversarial.fgsm, spatial, image, 0.1),
        _error(adversarial.attack, lenet, image, 0.1, method="deepfool"),
        _error(adversarial.fgsm, lenet, image, 2.0),
        _error(adversarial.pgd, lenet, image, 0.1, steps=0),
        _error(adversarial.fgsm, lenet, image, 0.1, target=12),
        _error(adversarial.smallest_flip, lenet, image, grid=1),
        _error(adversarial.smallest_flip, lenet, image, max_epsilon=0.0),
        _error(adversarial.smallest_flip, lenet, image, target=predicted),
    ]


def _layer_messages(lenet, odd) -> list[ProbeError]:
    image = np.zeros((28, 28, 1), np.float32)
    return [
        _error(receptive.receptive_field, lenet, "flatten_5", 0, 0),
        _error(receptive.receptive_field, lenet, "conv2d_1", 24, 0),
        _error(receptive.effective_receptive_field, lenet, image, "conv2d_1", 0, 0, channel=6),
        _error(receptive.receptive_field, odd, "after", 0, 0),
        _error(maximise.maximise_activation, lenet, "conv2d_1", settings=maximise.AscentSettings(steps=0)),
        _error(maximise.maximise_activation, odd, "drop"),
        _error(maximise.maximise_activation, lenet, "conv2d_1", channels=[]),
        _error(maximise.top_activating, lenet, "conv2d_1", np.zeros((0, 28, 28, 1))),
    ]


def _neighbour_messages(lenet, odd) -> list[ProbeError]:
    x = np.random.default_rng(0).integers(0, 255, (6, 28, 28, 1), dtype=np.uint8)
    index = neighbours.neighbour_index(lenet, x, np.arange(6))
    return [
        _error(neighbours.neighbour_index, lenet, x, np.arange(5)),
        _error(neighbours.nearest, lenet, x[0], index, k=0),
        _error(neighbours.nearest, odd, x[0], index),
    ]


@pytest.fixture(scope="module")
def messages(models) -> list[ProbeError]:
    lenet, odd, spatial = models
    return [*_transform_messages(), *_sweep_messages(lenet), *_attack_messages(lenet, spatial),
            *_layer_messages(lenet, odd), *_neighbour_messages(lenet, odd)]  # fmt: skip


def test_probe_refusals_are_keyed_and_translated(messages):
    assert all(isinstance(e, ProbeError) for e in messages)
    assert_translated(messages)


def test_every_probe_key_is_produced_by_the_engine_or_listed_as_not_driven(messages):
    seen = set().union(*(error_keys(e) for e in messages))
    assert not seen & NOT_DRIVEN, seen & NOT_DRIVEN  # driven now: take it off the list
    assert set(engine_probe.STRINGS) - seen - NOT_DRIVEN == set()


def test_a_probe_refusal_names_the_setting_in_the_visitors_language():
    error = _error(Transform, thickness=9)
    assert str(error) == "the stroke thickness must be between -5 and 5, got 9"
    assert error.message("zh") == "笔画粗细必须在 -5 到 5 之间，实际为 9"
