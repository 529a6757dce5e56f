"""Inspection engine on real Keras models: feature maps, Grad-CAM, step-throughs, evaluation, embeddings."""

from __future__ import annotations

import numpy as np
import pytest
from drawing import redraw

from cnnlab.arch.analysis import analyze
from cnnlab.arch.build import build_model, to_model_input
from cnnlab.arch.presets import preset
from cnnlab.bench.latency import time_feature_maps, time_prediction
from cnnlab.data.datasets import load_dataset
from cnnlab.imaging import colorize, overlay, tile_channels
from cnnlab.inspection import forward
from cnnlab.inspection.attribution import default_cam_layer, grad_cam, saliency
from cnnlab.inspection.embeddings import embeddings, penultimate_layer
from cnnlab.inspection.evaluation import evaluate
from cnnlab.inspection.features import (
    feature_maps,
    filter_snapshot,
    filters,
    snapshot_change,
    snapshot_images,
    weight_histograms,
)
from cnnlab.inspection.steps import conv_step, pool_step
from cnnlab.metrics import MetricsError, confusion_matrix

# ---------------------------------------------------------------- shared models (built once per module)


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist-sample")


@pytest.fixture(scope="module")
def lenet_sequential(mnist):
    """LeNet-5 by hand as keras.Sequential (no keras.Input: its input is defined by training), trained briefly."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.layers.Conv2D(6, 5, activation="relu", name="c1"),
            keras.layers.MaxPooling2D(2, name="s2"),
            keras.layers.Conv2D(16, 5, activation="relu", name="c3"),
            keras.layers.MaxPooling2D(2, name="s4"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(120, activation="relu", name="f5"),
            keras.layers.Dense(84, activation="relu", name="f6"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(to_model_input(mnist.x_train[:2000]), mnist.y_train[:2000], epochs=2, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def stepper():
    """A Functional model with every stride/padding case the step-throughs must reproduce."""
    import keras

    keras.utils.set_random_seed(1)
    inputs = keras.Input((13, 12, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="s2_same")(inputs)
    x = keras.layers.Conv2D(5, (3, 2), strides=1, padding="valid", activation="tanh", name="s1_valid")(x)
    x = keras.layers.Conv2D(3, 4, strides=2, padding="same", name="s2_same_even")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="max_same")(x)
    x = keras.layers.AveragePooling2D(2, strides=1, padding="same", name="avg_same")(x)
    x = keras.layers.Conv2D(6, 2, dilation_rate=2, padding="same", activation="sigmoid", name="dilated")(x)
    x = keras.layers.AveragePooling2D(2, name="avg_valid")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(4, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs)
    # random biases, so the bias term of the step-through is really tested
    for layer in model.layers:
        if getattr(layer, "use_bias", False):
            layer.bias.assign(np.random.default_rng(2).normal(0, 0.3, layer.bias.shape).astype("float32"))
    return model


# ---------------------------------------------------------------- feature maps


PRESETS = [
    ("lenet5", (28, 28, 1), {}),
    ("simple_cnn", (28, 28, 1), {}),
    ("alexnet", (32, 32, 3), {"variant": "scaled"}),
    ("vgg_small", (32, 32, 3), {"blocks": 2}),
    ("resnet_small", (32, 32, 3), {}),
]


@pytest.mark.parametrize(("name", "shape", "options"), PRESETS, ids=[p[0] for p in PRESETS])
def test_feature_map_shapes_equal_the_analysis_table(name, shape, options):
    spec = preset(name, shape, 10, **options)
    model = build_model(spec)
    image = np.random.default_rng(0).random(shape, dtype=np.float32)
    maps = {m.name: m for m in feature_maps(model, image, kinds="all")}
    rows = analyze(spec).all_rows
    for row in rows:
        assert row.name in maps, f"{row.name} missing from the feature maps"
        assert maps[row.name].shape == tuple(row.output_shape), row.name
        assert maps[row.name].array.shape == tuple(row.output_shape), row.name
    spatial = feature_maps(model, image)
    assert spatial and all(m.spatial and m.type not in forward.PASS_THROUGH for m in spatial)
    # the last map really is the model's computation: the head recomputed from the feature maps' flat output
    assert np.allclose(maps["predictions"].array, forward.predictor(model).predict(image)[0], atol=1e-6)


def test_feature_maps_recurse_into_a_nested_base():
    import keras

    keras.utils.set_random_seed(3)
    inner_in = keras.Input((16, 16, 3))
    y = keras.layers.Conv2D(8, 3, padding="same", name="inner_conv")(inner_in)
    y = keras.layers.BatchNormalization(name="inner_bn")(y)
    y = keras.layers.Activation("relu", name="inner_relu")(y)
    y = keras.layers.MaxPooling2D(name="inner_pool")(y)
    base = keras.Model(inner_in, y, name="base")
    inputs = keras.Input((14, 14, 1))
    x = keras.layers.Resizing(16, 16, name="resize")(inputs)
    x = keras.layers.Conv2D(3, 1, name="adapter")(x)
    x = base(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax", name="predictions")(x))

    image = np.random.default_rng(0).random((14, 14, 1), dtype=np.float32)
    maps = {m.name: m for m in feature_maps(model, image)}
    assert {"inner_conv", "inner_bn", "inner_relu", "inner_pool", "base"} <= set(maps)
    assert maps["inner_conv"].parent == "base" and maps["base"].parent is None
    # inner outputs are the real ones: compare with the nested model's own multi-output view
    probe = keras.Model(base.input, [base.get_layer("inner_conv").output, base.output])
    adapter_out = keras.Model(model.input, model.get_layer("adapter").output)(image[None])
    conv, out = (keras.ops.convert_to_numpy(t)[0] for t in probe(adapter_out))
    assert np.allclose(maps["inner_conv"].array, conv, atol=1e-5)
    assert np.allclose(maps["inner_pool"].array, out, atol=1e-5)
    assert np.array_equal(maps["base"].array, maps["inner_pool"].array)
    cam = grad_cam(model, image, layer_name="inner_relu")
    assert cam.shape == (14, 14)
    assert [f.name for f in filters(model)] == ["adapter", "inner_conv"]


def test_feature_maps_of_a_keras_applications_base():
    spec = preset("transfer", (32, 32, 3), 10, weights=None)
    model = build_model(spec)
    image = np.random.default_rng(0).random((32, 32, 3), dtype=np.float32)
    maps = {m.name: m for m in feature_maps(model, image, kinds="all")}
    for row in analyze(spec).all_rows:
        assert maps[row.name].shape == tuple(row.output_shape), row.name
    assert maps["Conv1"].parent == "transferbase_1" and maps["Conv1"].shape == (16, 16, 32)


def test_tile_channels_makes_one_mosaic():
    maps = np.random.default_rng(0).random((6, 5, 7), dtype=np.float32)
    tiled = tile_channels(maps, columns=3)
    assert tiled.shape == (3 * 7 - 1, 3 * 6 - 1)
    assert np.isnan(tiled[6, 0]) and np.nanmax(tiled) == 1.0 and np.nanmin(tiled) == 0.0


# ---------------------------------------------------------------- prediction


def test_predictor_equals_the_model(lenet_sequential, mnist):
    x = to_model_input(mnist.x_test[:300])
    expected = np.asarray(lenet_sequential(x, training=False))
    predictor = forward.predictor(lenet_sequential)
    assert np.allclose(predictor.predict(x, batch_size=128), expected, atol=1e-6)
    assert np.allclose(predictor.predict(mnist.x_test[:300]), expected, atol=1e-6)  # uint8 accepted
    assert np.allclose(predictor.predict_one(x[0, :, :, 0]), expected[0], atol=1e-6)
    with pytest.raises(forward.InspectionError, match="28x28x1"):
        predictor.predict(np.zeros((2, 32, 32, 3), np.float32))


def test_predictor_sees_weight_updates():
    model = build_model(preset("lenet5"))
    image = np.random.default_rng(0).random((28, 28, 1), dtype=np.float32)
    before = forward.predictor(model).predict(image)
    for v in model.trainable_variables:
        v.assign(v.value * 1.5)
    after = forward.predictor(model).predict(image)
    assert not np.allclose(before, after)
    assert np.allclose(after, np.asarray(model(image[None])), atol=1e-6)


# ---------------------------------------------------------------- Grad-CAM, saliency, overlay


def test_grad_cam_on_a_sequential_lenet(lenet_sequential, mnist):
    image = mnist.x_test[0]
    cam = grad_cam(lenet_sequential, image)
    assert cam.shape == (28, 28) and cam.dtype == np.float32
    assert cam.min() >= 0.0 and np.isclose(cam.max(), 1.0) and cam.std() > 0.05
    assert default_cam_layer(lenet_sequential) == "c3"
    other = grad_cam(lenet_sequential, image, class_index=(int(mnist.y_test[0]) + 1) % 10, layer_name="c1")
    assert other.shape == (28, 28) and not np.allclose(other, cam)
    sal = saliency(lenet_sequential, image)
    assert sal.shape == (28, 28) and np.isclose(sal.max(), 1.0) and sal.std() > 0.01
    rgb = overlay(image, cam)
    assert rgb.shape == (28, 28, 3) and rgb.dtype == np.uint8
    with pytest.raises(forward.InspectionError, match="out of range"):
        grad_cam(lenet_sequential, image, class_index=10)
    with pytest.raises(forward.InspectionError, match="Grad-CAM needs"):
        grad_cam(lenet_sequential, image, layer_name="f5")


def test_grad_cam_and_saliency_point_at_the_evidence():
    """A fixed 'detector' whose class-1 score is the mean brightness of the top-left quarter; class 0 ignores it."""
    import keras

    inputs = keras.Input((8, 8, 1))
    conv = keras.layers.Conv2D(1, 1, use_bias=False, name="conv")
    x = conv(inputs)
    x = keras.layers.Cropping2D(((0, 4), (0, 4)))(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    head = keras.layers.Dense(2, activation="softmax", name="predictions")
    model = keras.Model(inputs, head(x))
    conv.set_weights([np.ones((1, 1, 1, 1), np.float32)])
    head.set_weights([np.array([[0.0, 1.0]], np.float32), np.zeros(2, np.float32)])
    image = np.zeros((8, 8, 1), np.float32)
    image[:4, :4] = 1.0
    image[6:, 6:] = 0.5  # bright, but outside what class 1 looks at
    assert np.allclose(grad_cam(model, image, class_index=1, layer_name="conv"), image[:, :, 0])
    assert np.all(grad_cam(model, image, class_index=0, layer_name="conv") == 0)  # no support at all
    sal = saliency(model, image, class_index=1)
    assert np.allclose(sal[:4, :4], 1.0) and np.all(sal[4:] == 0) and np.all(sal[:, 4:] == 0)


def test_colorize_is_jet():
    colours = colorize(np.array([0.0, 0.5, 1.0]))
    assert colours[0].tolist() == [0, 0, 128] and colours[2].tolist() == [128, 0, 0]
    assert colours[1, 1] == 255


# ---------------------------------------------------------------- step-throughs


@pytest.mark.parametrize(
    ("layer", "positions"),
    [
        ("s2_same", [(0, 0, 0), (6, 5, 3), (3, 2, 1)]),
        ("s1_valid", [(0, 0, 4), (4, 4, 2), (2, 1, 0)]),
        ("s2_same_even", [(0, 0, 0), (2, 1, 2), (1, 2, 1)]),
        ("dilated", [(0, 0, 5), (1, 1, 2), (0, 1, 0)]),
    ],
)
def test_conv_step_reproduces_the_layer(stepper, layer, positions):
    image = np.random.default_rng(4).random((13, 12, 3), dtype=np.float32)
    for row, col, f in positions:
        step = conv_step(stepper, image, layer, f, row, col)
        assert abs(step.value - step.actual) < 1e-5, (layer, row, col, f, step.value, step.actual)
        assert np.isclose(step.total, step.products.sum(), atol=1e-5)
        assert np.isclose(step.pre_activation, step.total + step.bias)
        assert step.patch.shape == step.kernel.shape == step.products.shape
        assert step.output_map[row, col] == pytest.approx(step.actual)
        # padding cells hold zeros and are flagged
        assert np.all(step.patch[~step.in_image] == 0)
    # 13x12 input, 3x3 kernel, stride 2, 'same': 2 padding rows (1 top, 1 bottom) but 1 padding column, which
    # TensorFlow puts on the right, not the left
    first = conv_step(stepper, image, "s2_same", 0, 0, 0)
    assert first.input_rows == (-1, 1) and first.input_cols == (0, 2)
    assert not first.in_image[0].any() and first.in_image[1:].all()
    last = conv_step(stepper, image, "s2_same", 0, 6, 5)
    assert last.input_rows == (11, 13) and last.input_cols == (10, 12)
    assert not last.in_image[2].any() and not last.in_image[:, 2].any() and last.in_image[:2, :2].all()


def test_conv_step_on_a_depthwise_layer():
    import keras

    keras.utils.set_random_seed(5)
    inputs = keras.Input((9, 9, 3))
    x = keras.layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, name="dw")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(x)))
    image = np.random.default_rng(6).random((9, 9, 3), dtype=np.float32)
    for f, (row, col) in [(0, (0, 0)), (3, (4, 4)), (5, (2, 3))]:
        step = conv_step(model, image, "dw", f, row, col)
        assert step.input_channels == (f // 2,)
        assert abs(step.value - step.actual) < 1e-5


@pytest.mark.parametrize(
    ("layer", "positions"),
    [
        ("max_same", [(0, 0, 0), (1, 1, 1), (1, 0, 2)]),
        ("avg_same", [(0, 0, 0), (1, 1, 2), (0, 1, 1)]),
        ("avg_valid", [(0, 0, 3), (0, 0, 5)]),
    ],
)
def test_pool_step_reproduces_the_layer(stepper, layer, positions):
    image = np.random.default_rng(7).random((13, 12, 3), dtype=np.float32)
    for row, col, channel in positions:
        step = pool_step(stepper, image, layer, channel, row, col)
        assert abs(step.value - step.actual) < 1e-5, (layer, row, col, channel, step.value, step.actual)
        assert step.count == int(step.in_image.sum()) and np.isnan(step.window[~step.in_image]).all()
        if step.kind == "max":
            assert step.window[step.winner] == pytest.approx(step.value)
    corner = pool_step(stepper, image, "avg_same", 0, 1, 1)
    assert corner.count == 1  # 'same' average pooling ignores the padding instead of counting zeros


def test_step_through_errors_name_the_fix(stepper):
    image = np.zeros((13, 12, 3), np.float32)
    with pytest.raises(forward.InspectionError, match="has 4 filters"):
        conv_step(stepper, image, "s2_same", 4, 0, 0)
    with pytest.raises(forward.InspectionError, match="outside"):
        conv_step(stepper, image, "s2_same", 0, 7, 0)
    with pytest.raises(forward.InspectionError, match="not a convolution"):
        conv_step(stepper, image, "max_same", 0, 0, 0)
    with pytest.raises(forward.InspectionError, match=r"no pooling layer named 'nope'.*max_same"):
        pool_step(stepper, image, "nope", 0, 0, 0)
    with pytest.raises(forward.InspectionError, match="one image"):
        conv_step(stepper, np.zeros((2, 13, 12, 3), np.float32), "s2_same", 0, 0, 0)


# ---------------------------------------------------------------- filters and weights


def test_filters_histograms_and_snapshots():
    colour = build_model(preset("simple_cnn", (32, 32, 3), 10))
    found = filters(colour)
    assert [f.name for f in found] == ["conv2d_1", "conv2d_3"]
    assert found[0].first and found[0].rgb and found[0].images().shape == (32, 3, 3, 3)
    assert found[1].images().shape == (64, 32, 3, 3)
    for f in found:
        imgs = f.images()
        assert imgs.min() >= 0.0 and imgs.max() <= 1.0
    snap = filter_snapshot(colour)
    assert snap.dtype == np.float16 and snap.shape == (3, 3, 3, 32)
    moved = snap.astype(np.float32) * 2.0
    frames = snapshot_images([snap, moved])
    assert frames.shape == (2, 32, 3, 3, 3)
    assert np.abs(frames[1] - 0.5).max() > np.abs(frames[0] - 0.5).max()  # one common scale across epochs
    assert snapshot_change([snap, moved])[1] == pytest.approx(1.0, rel=1e-3)
    hists = weight_histograms(colour)
    kernel = next(h for h in hists if h.layer == "conv2d_1" and h.variable == "kernel")
    assert kernel.counts.sum() == kernel.size == 3 * 3 * 3 * 32
    assert filter_snapshot(build_model(preset("mlp"))) is None


# ---------------------------------------------------------------- evaluation and embeddings


def test_evaluation_counts_and_metrics(lenet_sequential, mnist):
    result = evaluate(lenet_sequential, mnist.x_test, mnist.y_test, mnist.class_names)
    cm = result.confusion
    assert cm.sum() == len(mnist.y_test)
    assert np.array_equal(cm.sum(axis=1), np.bincount(mnist.y_test, minlength=10))
    for k in range(10):
        in_class = mnist.y_test == k
        assert result.recall[k] == pytest.approx(np.mean(result.y_pred[in_class] == k))
        assert result.precision[k] == pytest.approx(cm[k, k] / max(1, cm[:, k].sum()))
        p, r = result.precision[k], result.recall[k]
        assert result.f1[k] == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)
    # per class there are precision, recall and F1, named as such; no "accuracy" that is really recall
    rows = result.per_class()
    assert set(rows[0]) == {"class", "name", "support", "precision", "recall", "f1"}
    assert not hasattr(result, "accuracy")
    assert result.overall_accuracy == pytest.approx(np.mean(result.y_pred == mnist.y_test))
    assert result.overall_accuracy > 0.6  # far above chance (0.1) after two short epochs
    wrong = result.misclassified
    assert len(wrong) == cm.sum() - np.trace(cm)
    confidence = result.probabilities[wrong, result.y_pred[wrong]]
    assert np.all(np.diff(confidence) <= 0)
    mistakes = result.most_confident_mistakes(5)
    assert [m.index for m in mistakes] == wrong[:5].tolist()
    true, pred = mistakes[0].true, mistakes[0].predicted
    assert len(result.cell(true, pred)) == cm[true, pred]
    summary = result.to_dict()
    assert summary["test_size"] == len(mnist.y_test) and len(summary["per_class"]) == 10


def test_confusion_matrix_rejects_bad_labels():
    assert confusion_matrix([0, 1, 1], [0, 1, 0], 2).tolist() == [[1, 0], [1, 1]]
    with pytest.raises(MetricsError, match=r"0\.\.1"):
        confusion_matrix([0, 2], [0, 1], 2)


def test_embeddings(lenet_sequential, mnist):
    emb = embeddings(lenet_sequential, mnist.x_test, max_points=400)
    assert emb.coords.shape == (400, 2) and emb.layer == "f6" and emb.dimensions == 84
    assert np.isfinite(emb.coords).all() and emb.coords.std(axis=0).min() > 0
    assert np.allclose(emb.probabilities, forward.predictor(lenet_sequential).predict(mnist.x_test[:400]), atol=1e-6)
    # penultimate looks through Dropout to the layer that computes the features
    vgg = preset("vgg_small", (32, 32, 3), 10, blocks=1)
    last_dense = [row.name for row in analyze(vgg).rows if row.type == "Dense"][-1]
    assert analyze(vgg).rows[-1].type == "Dropout"
    assert penultimate_layer(build_model(vgg)).name == last_dense
    tsne = embeddings(lenet_sequential, mnist.x_test, method="tsne", max_points=60)
    assert tsne.coords.shape == (60, 2) and tsne.method == "tsne"
    with pytest.raises(forward.InspectionError, match="'pca' or 'tsne'"):
        embeddings(lenet_sequential, mnist.x_test, method="umap")


# ---------------------------------------------------------------- timing


def test_timing_helpers_return_seconds(mnist):
    """One positive duration per repeat; how long they are is the benchmark script's business, not a test's."""
    model = build_model(preset("lenet5"))
    times = time_feature_maps(model, mnist.x_test[0], repeats=5)
    assert len(times) == 5 and all(np.isfinite(t) and t > 0 for t in times)
    canvas = redraw(mnist.x_test[0, :, :, 0], np.random.default_rng(0), canvas=280)
    times = time_prediction(model, canvas, repeats=5)
    assert len(times) == 5 and all(np.isfinite(t) and t > 0 for t in times)


# ---------------------------------------------------------------- CLI: python -m cnnlab inspect


@pytest.fixture(scope="module")
def saved_lenet(lenet_sequential, tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "lenet.keras"
    lenet_sequential.save(path)
    return path


def _inspect_json(capsys, argv):
    import json

    from cnnlab import cli

    assert cli.main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_inspect_a_model_file(saved_lenet, lenet_sequential, mnist, capsys):
    out = _inspect_json(capsys, ["inspect", "--model", str(saved_lenet), "--dataset", "mnist-sample", "--index", "3",
                                 "--json"])  # fmt: skip
    assert out["run"] is None and out["index"] == 3 and out["label"] == int(mnist.y_test[3])
    probs = forward.predictor(lenet_sequential).predict_one(mnist.x_test[3])
    assert out["prediction"]["class"] == int(probs.argmax()) and out["prediction"]["name"] == str(probs.argmax())
    assert np.allclose(out["prediction"]["probabilities"], probs, atol=1e-5)
    shapes = {layer["name"]: layer["shape"] for layer in out["layers"]}
    assert shapes == {"c1": [24, 24, 6], "s2": [12, 12, 6], "c3": [8, 8, 16], "s4": [4, 4, 16], "flat": [256],
                      "f5": [120], "f6": [84], "out": [10]}  # fmt: skip


def test_cli_inspect_a_run_from_the_store(saved_lenet, mnist, capsys, cnnlab_home):
    import shutil

    from cnnlab import cli
    from cnnlab.runs.store import RunStore

    store = RunStore()
    run_id = store.create_run(name="lenet by hand", arch={"name": "lenet5"}, dataset="mnist-sample",
                              config={"val_fraction": 0.1}, seed=0)  # fmt: skip
    best = store.run_dir(run_id) / "best.keras"
    best.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(saved_lenet, best)
    store.add_artifact(run_id, "best_model", best)
    out = _inspect_json(capsys, ["inspect", run_id[:12], "--index", "7", "--json"])
    assert out["run"] == run_id and out["label"] == int(mnist.y_test[7]) and len(out["layers"]) == 8
    assert cli.main(["inspect", run_id, "--index", "5000"]) == 2
    assert "between 0 and 999" in capsys.readouterr().err
    assert cli.main(["inspect", "no-such-run"]) == 2
    assert "no run matches" in capsys.readouterr().err
    empty = store.create_run(name="queued", arch={}, dataset="mnist-sample", config={})
    assert cli.main(["inspect", empty]) == 2
    assert "no saved model yet" in capsys.readouterr().err
