"""Probing a real trained LeNet-5 (the session's tiny run): transforms and what the model says about them, attacks,
receptive fields, filter pictures and nearest training images. Geometry is also checked on hand-built models whose
answers are known exactly. No timings here (`python -m cnnlab.bench probe` measures them)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from cnnlab import paths
from cnnlab.inspection import probecache
from cnnlab.inspection.adversarial import attack, fgsm, pgd, smallest_flip
from cnnlab.inspection.forward import layer_infos, predictor
from cnnlab.inspection.maximise import AscentSettings, channel_means, maximise_activation, top_activating
from cnnlab.inspection.neighbours import nearest, neighbour_index
from cnnlab.inspection.perturb import Transform, apply, apply_batch, occlusion_map, transformed, warp
from cnnlab.inspection.receptive import effective_receptive_field, receptive_field
from cnnlab.inspection.robustness import SweepSettings, image_curves, robustness_sweep, sweep_axis
from conftest import copy_home, data_home

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def tiny(tiny_run_home, tmp_path_factory):
    """The tiny run's model (loaded once for the module), its dataset as the run split it, and its confident image."""
    from cnnlab.modelfiles import load_model
    from cnnlab.runs.files import run_dataset, run_model_path, run_split
    from cnnlab.runs.store import RunStore

    home = copy_home(tiny_run_home.home, tmp_path_factory.mktemp("probe-home"))
    with data_home(home), RunStore() as store:
        run = store.get_run(tiny_run_home.run_id)
        path = run_model_path(store, run.id)
        ds = run_dataset(run)
    model = load_model(path)
    probs = predictor(model).predict(ds.x_test)
    confidence = probs[np.arange(len(probs)), ds.y_test]
    best = int(np.argmax(confidence))  # correctly classified, and the model's surest
    assert probs[best].argmax() == ds.y_test[best]
    key = probecache.checkpoint_key(path, *run_split(run))
    return SimpleNamespace(model=model, ds=ds, index=best, label=int(ds.y_test[best]), key=key, probs=probs,
                           image=ds.x_test[best].astype(np.float32) / 255.0)  # fmt: skip


# ---------------------------------------------------------------- transforms (pure NumPy)


def _dot(row: int, col: int) -> np.ndarray:
    a = np.zeros((1, 7, 7, 1), np.float32)
    a[0, row, col, 0] = 1.0
    return a


def test_transforms_move_pixels_as_named():
    a = _dot(3, 5)  # two right of the centre
    assert warp(a, Transform(rotation=90))[0, 1, 3, 0] == pytest.approx(1.0)  # counter-clockwise: now above it
    assert warp(a, Transform(rotation=-90))[0, 5, 3, 0] == pytest.approx(1.0)
    assert warp(a, Transform(shift_x=-2, shift_y=1))[0, 4, 3, 0] == pytest.approx(1.0)
    assert warp(_dot(3, 4), Transform(scale=2.0))[0, 3, 5, 0] == pytest.approx(1.0)  # twice as far from the centre
    thick = apply(_dot(3, 3)[0], Transform(thickness=1))
    assert thick[2:5, 2:5, 0].min() == 1.0 and thick.sum() == 9
    assert apply(thick, Transform(thickness=-1)).sum() == 1  # erosion undoes it
    assert apply(thick, Transform(thickness=2)).sum() == 49
    patch = apply(np.full((7, 7, 1), 0.2, np.float32), Transform(occlusion=(3, 3, 3), occlusion_value=0.9))
    assert (patch[2:5, 2:5] == np.float32(0.9)).all() and patch.sum() == pytest.approx(9 * 0.9 + 40 * 0.2)
    noisy = [apply(np.full((7, 7), 0.5), Transform(noise=0.1, seed=s)) for s in (1, 1, 2)]
    assert np.array_equal(noisy[0], noisy[1]) and not np.array_equal(noisy[0], noisy[2])
    assert 0.0 <= noisy[0].min() and noisy[0].max() <= 1.0
    colour = apply_batch(np.random.default_rng(0).random((3, 9, 8, 3)), Transform(rotation=30, thickness=1))
    assert colour.shape == (3, 9, 8, 3) and colour.dtype == np.float32


def test_rotating_by_zero_degrees_leaves_the_probabilities_unchanged(tiny):
    before = predictor(tiny.model).predict_one(tiny.image)
    for t in (Transform(), Transform(rotation=0), Transform(rotation=360.0), Transform(rotation=0, shift_x=0.0)):
        after = transformed(tiny.model, tiny.image, t)
        assert np.array_equal(after.image, tiny.image)
        assert np.array_equal(after.probabilities, before)
    turned = transformed(tiny.model, tiny.image, Transform(rotation=45))
    assert not np.array_equal(turned.probabilities, before)  # a real rotation does move them
    assert turned.probabilities.shape == (10,) and turned.probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_each_point_of_an_image_curve_is_that_transform(tiny):
    settings = SweepSettings(rotation=(-30, 0, 30), shift_x=(0, 3), shift_y=(), thickness=(1,), noise=(0.2,), seed=4)
    curves = image_curves(tiny.model, tiny.image, settings)
    assert list(curves) == ["rotation", "shift_x", "thickness", "noise"]
    for kind, curve in curves.items():
        for value, probs in zip(curve.values, curve.probabilities, strict=True):
            expected = transformed(tiny.model, tiny.image, settings.transform(kind, value)).probabilities
            assert np.allclose(probs, expected, atol=1e-6), (kind, value)
    assert np.array_equal(curves["rotation"].probabilities[1], tiny.probs[tiny.index])


def test_accuracy_falls_as_the_rotation_grows(tiny):
    settings = sweep_axis(SweepSettings(), "rotation", (0, 20, 40, 60, -20, -40, -60))
    seen: list[tuple[int, int]] = []
    sweep = robustness_sweep(tiny.model, tiny.ds.x_test, tiny.ds.y_test, settings,
                             progress=lambda done, total: seen.append((done, total)), cache_key=tiny.key)  # fmt: skip
    accuracy = sweep.curves["rotation"].accuracy
    assert sweep.count == len(tiny.ds.y_test) and list(sweep.curves) == ["rotation"]
    assert accuracy[0] == pytest.approx((tiny.probs.argmax(axis=1) == tiny.ds.y_test).mean())
    assert (np.diff(accuracy[:4]) < 0).all() and (np.diff(accuracy[[0, 4, 5, 6]]) < 0).all(), accuracy
    assert seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == sorted(d for d, _ in seen)
    calls = len(seen)
    again = robustness_sweep(tiny.model, tiny.ds.x_test, tiny.ds.y_test, settings,
                             progress=lambda done, total: seen.append((done, total)), cache_key=tiny.key)  # fmt: skip
    assert np.array_equal(again.curves["rotation"].accuracy, accuracy)
    assert len(seen) == calls  # read from the checkpoint's cache, not computed again
    assert list((paths.subdir("cache") / "probe").glob("sweep-*.npz"))


# ---------------------------------------------------------------- adversarial examples


def test_fgsm_at_the_reported_epsilon_flips_the_prediction_and_at_half_of_it_does_not(tiny):
    flip = smallest_flip(tiny.model, tiny.image)
    assert flip.epsilon is not None and 0 < flip.epsilon <= 0.5
    assert flip.before == tiny.label and flip.to_class != tiny.label
    at = fgsm(tiny.model, tiny.image, flip.epsilon)
    assert at.succeeded and at.after == flip.to_class
    assert not fgsm(tiny.model, tiny.image, flip.epsilon / 2).succeeded
    assert np.abs(at.difference).max() <= flip.epsilon + 1e-6
    assert 0.0 <= at.image.min() and at.image.max() <= 1.0
    amplified = at.amplified()
    assert amplified.min() >= 0 and amplified.max() <= 1 and np.isclose(np.abs(amplified - 0.5).max(), 0.5)


def test_pgd_and_targeted_attacks(tiny):
    target = (tiny.label + 5) % 10
    flip = smallest_flip(tiny.model, tiny.image, method="pgd", target=target, grid=32)
    assert flip.epsilon is not None and flip.to_class == target
    made = pgd(tiny.model, tiny.image, flip.epsilon, target=target)
    assert made.after == target and made.target == target and made.succeeded
    assert np.abs(made.difference).max() <= flip.epsilon + 1e-6
    untargeted = smallest_flip(tiny.model, tiny.image, method="pgd", grid=32)
    assert untargeted.epsilon is not None and pgd(tiny.model, tiny.image, untargeted.epsilon).succeeded
    assert attack(tiny.model, tiny.image, 0.0).after == tiny.label


# ---------------------------------------------------------------- occlusion


def test_occlusion_map_has_the_image_shape_and_matches_single_patches(tiny):
    om = occlusion_map(tiny.model, tiny.image, class_index=tiny.label, patch=6, stride=4)
    assert om.drop.shape == (28, 28) and om.grid.shape == (7, 7) and om.class_index == tiny.label
    assert om.probability == pytest.approx(float(tiny.probs[tiny.index, tiny.label]), abs=1e-6)
    heat = om.heat()
    assert heat.shape == (28, 28) and heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    # the patch at grid cell (2, 3) covers rows 8..13 and columns 12..17: centred at (11, 15)
    alone = transformed(tiny.model, tiny.image, Transform(occlusion=(11, 15, 6))).probabilities[tiny.label]
    assert om.grid[2, 3] == pytest.approx(om.probability - alone, abs=1e-5)


def test_covering_the_digit_lowers_the_true_class_more_than_covering_the_background(tiny):
    correct = np.flatnonzero(tiny.probs.argmax(axis=1) == tiny.ds.y_test)[:5]
    for i in [tiny.index, *correct]:
        image = tiny.ds.x_test[i].astype(np.float32) / 255.0
        om = occlusion_map(tiny.model, image, class_index=int(tiny.ds.y_test[i]))
        ink = image[..., 0] > 0.5
        far = apply(image, Transform(thickness=3))[..., 0] == 0  # three pixels or more away from any ink
        assert om.drop[ink].mean() > 0.005 and om.drop[ink].mean() > 3 * max(om.drop[far].mean(), 0.0), i
    grey = occlusion_map(tiny.model, tiny.image, value=0.5)  # Zeiler and Fergus' grey square: adds ink on MNIST
    assert grey.class_index == tiny.label and not np.allclose(grey.grid, occlusion_map(tiny.model, tiny.image).grid)


# ---------------------------------------------------------------- receptive fields


def test_the_effective_receptive_field_lies_inside_the_theoretical_one(tiny):
    expected = {"conv2d_1": 5, "maxpooling2d_2": 6, "conv2d_3": 14, "maxpooling2d_4": 16}
    for layer, size in expected.items():
        info = next(i for i in layer_infos(tiny.model) if i.name == layer)
        h, w = info.output_shape[:2]
        for row, col in ((0, 0), (h // 2, w // 3), (h - 1, w - 1)):
            rf = receptive_field(tiny.model, layer, row, col)
            assert rf.size == (size, size) and not rf.whole
            erf = effective_receptive_field(tiny.model, tiny.image, layer, row, col)
            assert erf.shape == (28, 28) and erf.max() > 0, (layer, row, col)
            assert not erf[~rf.mask(28, 28)].any(), (layer, row, col, rf)
    assert receptive_field(tiny.model, "conv2d_3", 3, 4).box == (6, 8, 19, 21)
    assert receptive_field(tiny.model, "maxpooling2d_4", 1, 2).jump == (4.0, 4.0)


def _geometry_model():
    """Padding, strides, dilation, 'same' pooling, a residual branch and cropping, with all-ones weights: a unit then
    depends on exactly the pixels of its receptive field (and on nothing else)."""
    import keras

    inp = keras.Input((33, 31, 2))
    x = keras.layers.ZeroPadding2D(((2, 1), (1, 3)))(inp)
    x = keras.layers.Conv2D(3, 3, strides=2, padding="same", name="a")(x)
    x = keras.layers.Conv2D(3, (3, 2), dilation_rate=2, name="b")(x)
    y = keras.layers.AveragePooling2D(3, strides=2, padding="same", name="c")(x)
    z = keras.layers.Conv2D(3, 1, strides=2, name="d")(x)
    x = keras.layers.Add(name="add")([y, z])
    x = keras.layers.Cropping2D(((1, 0), (0, 1)), name="crop")(x)
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="e")(x)
    x = keras.layers.Conv2D(4, 4, padding="same", name="f")(x)
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x)))
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([np.ones_like(w) if w.ndim > 1 else np.zeros_like(w) for w in layer.get_weights()])
    return model


@pytest.mark.parametrize("layer", ["a", "c", "add", "crop", "e", "f"])
def test_the_theoretical_receptive_field_is_exactly_what_a_unit_depends_on(layer):
    model = _geometry_model()
    ones = np.ones((33, 31, 2), np.float32)
    h, w = model.get_layer(layer).output.shape[1:3]
    for row in range(h):
        for col in range(w):
            rf = receptive_field(model, layer, row, col)
            support = effective_receptive_field(model, ones, layer, row, col) > 0
            assert np.array_equal(support, rf.mask(33, 31)), (layer, row, col, rf)


# ---------------------------------------------------------------- filter pictures


def test_activation_maximisation_excites_its_channel_far_above_noise(tiny):
    pictures = maximise_activation(tiny.model, "conv2d_3")
    assert pictures.channels == list(range(16)) and pictures.images.shape == (16, 28, 28, 1)
    assert pictures.images.min() >= 0 and pictures.images.max() <= 1
    gain, noise = pictures.activation, pictures.noise_activation
    assert gain.mean() >= 2 * noise.mean() > 0
    lively = noise > 0.05
    assert lively.sum() >= 8 and (gain[lively] >= 1.5 * noise[lively]).all(), (gain, noise)
    # the reported activations are the channels' own, and the picture is reproducible for its seed
    means = channel_means(tiny.model, "conv2d_3", pictures.images)
    assert np.allclose(means[np.arange(16), pictures.channels], gain, rtol=1e-4, atol=1e-5)
    again = maximise_activation(tiny.model, "conv2d_3")
    assert np.array_equal(again.images, pictures.images)
    other = maximise_activation(tiny.model, "conv2d_3", channels=[3, 5], settings=AscentSettings(seed=1))
    assert other.images.shape[0] == 2 and not np.array_equal(other.images[0], pictures.images[3])


def test_the_top_images_of_a_channel_activate_it_most(tiny):
    top = top_activating(tiny.model, "conv2d_1", tiny.ds.x_test, k=9)
    means = channel_means(tiny.model, "conv2d_1", tiny.ds.x_test)
    assert top.indices.shape == (6, 9) and top.activation.shape == (6, 9)
    for c in range(6):
        assert np.allclose(top.activation[c], np.sort(means[:, c])[::-1][:9])
        assert np.allclose(means[top.indices[c], c], top.activation[c])
    dense = top_activating(tiny.model, "dense_7", tiny.ds.x_test[:50], k=3, channels=[0, 10])
    assert dense.indices.shape == (2, 3)


# ---------------------------------------------------------------- nearest training images


def test_most_of_the_five_nearest_training_images_share_the_label(tiny):
    index = neighbour_index(tiny.model, tiny.ds.x_train, tiny.ds.y_train, cache_key=tiny.key)
    assert index.features.shape == (len(tiny.ds.y_train), 84) and index.layer == "dense_7"
    near = nearest(tiny.model, tiny.image, index, k=5)
    assert (near.labels == tiny.label).sum() >= 3, near.labels
    assert list(near.distances) == sorted(near.distances) and near.distances[0] >= 0
    assert np.array_equal(near.labels, tiny.ds.y_train[near.indices])
    # brute force agrees
    from cnnlab.inspection.neighbours import penultimate_features

    query = penultimate_features(tiny.model, tiny.image[None])[0]
    brute = np.linalg.norm(index.features - query, axis=1)
    assert np.allclose(np.sort(brute)[:5], near.distances, atol=1e-3)
    # a training image is its own nearest neighbour
    self_near = nearest(tiny.model, tiny.ds.x_train[7], index, k=1)
    assert self_near.indices[0] == 7 and self_near.distances[0] == pytest.approx(0.0, abs=1e-2)
    cached = neighbour_index(tiny.model, tiny.ds.x_train, tiny.ds.y_train, cache_key=tiny.key)
    assert np.array_equal(cached.features, index.features)


def test_a_label_is_doubted_only_when_the_model_and_the_nearest_images_both_say_otherwise():
    from cnnlab.inspection.neighbours import label_doubt

    sure7 = np.full(10, 0.01)
    sure7[7] = 0.91
    sevens = [7] * 9 + [1]
    doubt = label_doubt(sure7, 1, sevens)
    assert doubt is not None and (doubt.label, doubt.model_says, doubt.k) == (1, 7, 10)
    assert (doubt.neighbours_agree, doubt.neighbours_label) == (9, 1)
    assert doubt.confidence == pytest.approx(0.91) and doubt.label_probability == pytest.approx(0.01)
    assert label_doubt(sure7, 7, sevens) is None  # the model's own answer
    unsure = np.full(10, 0.1)
    unsure[7] = 0.19
    assert label_doubt(unsure, 1, sevens) is None  # the model is not sure
    assert label_doubt(sure7, 1, [7, 1, 1, 7, 1, 7, 7, 1, 7, 1]) is None  # the nearest images are mixed
    assert label_doubt(sure7, 1, [7] * 6 + [1] * 4) is None  # 4 of 10 agree with the user
    assert label_doubt(sure7, 11, sevens) is None and label_doubt(sure7, 1, []) is None


def test_a_wrong_label_on_a_real_test_digit_is_doubted_and_its_true_label_is_not(tiny):
    from cnnlab.inspection.neighbours import label_doubt

    index = neighbour_index(tiny.model, tiny.ds.x_train, tiny.ds.y_train, cache_key=tiny.key)
    probs = tiny.probs
    sure = [i for i in range(200) if probs[i].max() > 0.97 and probs[i].argmax() == tiny.ds.y_test[i]][:5]
    assert sure, "the tiny model is sure of none of 200 test digits"
    doubted = 0
    for i in sure:
        near = nearest(tiny.model, tiny.ds.x_test[i].astype(np.float32) / 255.0, index, k=10)
        true = int(tiny.ds.y_test[i])
        assert label_doubt(probs[i], true, near.labels) is None
        doubted += label_doubt(probs[i], (true + 1) % 10, near.labels) is not None
    assert doubted >= len(sure) - 1, (doubted, len(sure))


# ---------------------------------------------------------------- other input shapes


def test_probes_work_on_a_colour_model():
    import keras

    keras.utils.set_random_seed(5)
    inp = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="c1")(inp)
    x = keras.layers.MaxPooling2D(name="p1")(x)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="c2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inp, keras.layers.Dense(4, activation="softmax", name="predictions")(x))
    image = np.random.default_rng(1).random((32, 32, 3), dtype=np.float32)
    moved = transformed(model, image, Transform(rotation=20, thickness=1, noise=0.05))
    assert moved.image.shape == (32, 32, 3) and moved.probabilities.shape == (4,)
    assert occlusion_map(model, image, patch=8, stride=4).drop.shape == (32, 32)
    flip = smallest_flip(model, image, max_epsilon=1.0)
    assert flip.epsilon is None or flip.attack.image.shape == (32, 32, 3)
    rf = receptive_field(model, "c2", 3, 3)
    assert rf.size == (8, 8) and rf.jump == (4.0, 4.0) and rf.box == (11, 11, 18, 18)
    assert receptive_field(model, "c2", 0, 0).box == (0, 0, 6, 6)  # the padding row and column are not pixels
    assert maximise_activation(model, "c2", settings=AscentSettings(steps=8)).images.shape == (8, 32, 32, 3)
