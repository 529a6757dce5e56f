"""build_model against the pure-Python analysis, with real Keras: every preset, transfer learning, one training step.

These tests import TensorFlow; they are kept few and small (tiny batches, weights=None for applications).
"""

from __future__ import annotations

import os
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.arch.analysis import analyze, check
from cnnlab.arch.atoms import conv_output, mobilenet_v2_atoms, resnet50_atoms
from cnnlab.arch.build import build_model, to_model_input
from cnnlab.arch.presets import PRESETS, preset
from cnnlab.arch.spec import ArchSpec, LayerSpec, SpecError, WeightsUnavailable
from cnnlab.arch.weights import imagenet_weights_file, imagenet_weights_status
from cnnlab.data.datasets import load_dataset
from conftest import ROOT


def trainable_count(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def keras_macs(layer) -> int:
    """Multiply-accumulates of a built Keras layer, counted from its real shapes (a nested model: every layer in it).

    Conv2D out_h*out_w*filters*kh*kw*cin/groups, DepthwiseConv2D out_h*out_w*cin*multiplier*kh*kw, Dense
    inputs*units; other layers count none (as in the analysis)."""
    if isinstance(layer, keras.Model):
        return sum(keras_macs(inner) for inner in layer.layers)
    kind = type(layer).__name__
    cin = layer.input.shape[-1] if kind in ("Conv2D", "DepthwiseConv2D", "Dense") else 0
    if kind == "Conv2D":
        _, h, w, filters = layer.output.shape
        kh, kw = layer.kernel_size
        return h * w * filters * kh * kw * cin // layer.groups
    if kind == "DepthwiseConv2D":
        _, h, w, _ = layer.output.shape
        kh, kw = layer.kernel_size
        return h * w * cin * layer.depth_multiplier * kh * kw
    if kind == "Dense":
        return int(np.prod(layer.input.shape[1:-1])) * cin * layer.units
    return 0


def assert_matches_analysis(model, spec: ArchSpec) -> None:
    """Parameter counts, MACs and every row's output shape (looked up by layer name) equal the analysis; each row's
    MACs are those of the Keras layers it names (a transfer base's with everything inside it)."""
    result = check(spec)
    assert model.count_params() == result.totals["params"]
    assert trainable_count(model) == result.totals["trainable_params"]
    assert keras_macs(model) == result.totals["macs"]
    for row in result.all_rows:
        assert tuple(model.get_layer(row.name).output.shape[1:]) == row.output_shape, row.name
        # every Keras layer the analysis names exists in the model, and together they cost what the row says
        assert sum(keras_macs(model.get_layer(name)) for name in row.keras_layers) == row.macs, row.name


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_and_matches_the_analysis(name, shape):
    spec = preset(name, shape, 10, **({"weights": None} if name == "transfer" else {}))
    model = build_model(spec)
    assert model.output.shape[1:] == (10,)
    assert model.get_layer("predictions").activation.__name__ == "softmax"
    assert_matches_analysis(model, spec)


def test_lenet5_has_44426_parameters():
    assert build_model(preset("lenet5", (28, 28, 1), 10)).count_params() == 44_426
    assert build_model(preset("lenet5", (28, 28, 1), 10, flavour="classic")).count_params() == 44_426


def test_scaled_alexnet_trains_one_step_on_mnist_digits():
    data = load_dataset("mnist-sample")
    x, y = to_model_input(data.x_train[:32]), data.y_train[:32]
    spec = preset("alexnet", (28, 28, 1), 10)
    assert spec.layers[0].params["kernel_size"] == 5 and spec.layers[0].params["strides"] == 1
    model = build_model(spec)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    loss = float(model.train_on_batch(x, y))
    assert np.isfinite(loss) and 1.0 < loss < 4.0  # about ln(10) for an untrained 10-way classifier
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_invalid_specs_fail_before_keras_builds_anything():
    spec = ArchSpec(
        "bad", (28, 28, 1), 10, [LayerSpec("Conv2D", {"filters": 8, "kernel_size": 30}), LayerSpec("Flatten")]
    )
    with pytest.raises(SpecError, match=r"layer 1 \(Conv2D 30x30\): the input is 28x28"):
        build_model(spec)
    huge = ArchSpec(
        "huge",
        (28, 28, 1),
        10,
        [LayerSpec("Flatten"), LayerSpec("Dense", {"units": 65536}), LayerSpec("Dense", {"units": 65536})],
    )
    with pytest.raises(SpecError, match="over the 150,000,000 limit"):
        build_model(huge)  # 4.3 billion parameters: refused by arithmetic, nothing allocated


# ---------------------------------------------------------------- transfer learning


def test_transfer_offline_reports_missing_imagenet_weights_and_builds_with_random_ones():
    status = imagenet_weights_status("mobilenet_v2", 32)
    assert not status.available
    assert "unavailable" in str(status.message) and "weights=None" in str(status.message)
    with pytest.raises(WeightsUnavailable, match="ImageNet weights for mobilenet_v2 are unavailable"):
        build_model(preset("transfer", (28, 28, 1), 10))  # never hangs, never crashes: a clear SpecError
    model = build_model(preset("transfer", (28, 28, 1), 10, weights=None))
    base = model.get_layer("transferbase_1")
    assert not base.trainable and trainable_count(model) == 1280 * 10 + 10
    # grey 28x28 digits are resized to 32x32 and mapped to RGB in [-1, 1] inside the model
    probe = model.get_layer("transferbase_1_preprocess")
    images = np.full((1, 28, 28, 1), 0.5, dtype="float32")
    mapped = keras.Model(model.input, probe.output)(images)
    assert mapped.shape == (1, 32, 32, 3)
    assert np.allclose(np.asarray(mapped), 0.0, atol=1e-5)  # 0.5 -> 2 * 0.5 - 1
    assert np.allclose(model.predict(images, verbose=0).sum(), 1.0, atol=1e-5)


def test_imagenet_weights_are_used_from_the_keras_cache(cnnlab_home):
    """A weight file in <KERAS_HOME>/models (here written from a random MobileNetV2) is found and loaded."""
    reference = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3))
    models = os.path.join(os.environ["KERAS_HOME"], "models")
    os.makedirs(models)
    from keras.src.legacy.saving import legacy_h5_format  # the format Keras publishes these weights in

    with h5py.File(os.path.join(models, imagenet_weights_file("mobilenet_v2", 32)), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)
    assert imagenet_weights_status("mobilenet_v2", 32).available
    notes: list = []
    model = build_model(preset("transfer", (32, 32, 3), 10), notes=notes)
    loaded = model.get_layer("transferbase_1").get_layer("Conv1").get_weights()[0]
    assert np.array_equal(loaded, reference.get_layer("Conv1").get_weights()[0])
    assert "Keras cache" in str(notes[0]) and notes[0].key == "engine.spec.weights_cached"


@pytest.mark.parametrize("base", ["mobilenet_v2", "resnet50"])
def test_fine_tuning_unfreezes_top_layers_except_batchnorm(base):
    spec = preset("transfer", (32, 32, 3), 10, base=base, weights=None, mode="fine_tuning", fine_tune_layers=12)
    model = build_model(spec)
    assert_matches_analysis(model, spec)
    layers = model.get_layer("transferbase_1").layers
    top, rest = layers[-12:], layers[:-12]
    assert not any(layer.trainable for layer in rest)
    assert all(layer.trainable != isinstance(layer, keras.layers.BatchNormalization) for layer in top)


def test_transfer_from_a_model_trained_earlier(tmp_path):
    """Pretrain LeNet-5 on MNIST digits, then reuse it as a frozen or fine-tuned base for 32x32 RGB images."""
    data = load_dataset("mnist-sample")
    earlier = build_model(preset("lenet5"))
    earlier.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    earlier.train_on_batch(to_model_input(data.x_train[:32]), data.y_train[:32])
    path = tmp_path / "run" / "model.keras"
    path.parent.mkdir()
    earlier.save(path)

    frozen = preset("transfer", (32, 32, 3), 4, base="run", model_path=str(path))
    assert [layer.type for layer in frozen.layers] == ["TransferBase", "Dropout"]  # the base already ends flat
    model = build_model(frozen)
    assert_matches_analysis(model, frozen)
    assert [layer.name for layer in model.layers[:4]] == [
        "image",
        "transferbase_1_resize",
        "transferbase_1_channels",
        "transferbase_1",
    ]
    base = model.get_layer("transferbase_1")
    assert base.output.shape[1:] == (84,) and not base.trainable
    assert np.array_equal(base.get_layer("conv2d_1").get_weights()[0], earlier.get_layer("conv2d_1").get_weights()[0])
    assert trainable_count(model) == 84 * 4 + 4
    rgb = np.random.default_rng(0).random((8, 32, 32, 3), dtype=np.float32)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert np.isfinite(float(model.train_on_batch(rgb, np.arange(8) % 4)))

    tuned = preset("transfer", (28, 28, 1), 4, base="run", model_path=str(path), mode="fine_tuning", fine_tune_layers=2)
    model = build_model(tuned)
    assert_matches_analysis(model, tuned)
    assert trainable_count(model) == (120 * 84 + 84) + (256 * 120 + 120) + 84 * 4 + 4  # dense_7, dense_6, head


def test_a_transfer_base_counts_its_own_parameters_and_macs(tmp_path):
    """The base's cost is part of the network's: an earlier LeNet-5 (281,640 MACs an image) as a base, an earlier
    model that itself holds a MobileNetV2 base (a model nested in the file), and the keras.applications bases."""
    earlier = build_model(preset("lenet5"))
    lenet = tmp_path / "lenet.keras"
    earlier.save(lenet)
    assert keras_macs(earlier) == 281_640
    spec = preset("transfer", (28, 28, 1), 31, base="run", model_path=str(lenet))
    result = check(spec)
    base = result.rows[0]
    assert base.macs == 281_640 - 84 * 10  # all of LeNet-5 but its classifier
    assert result.totals["macs"] == 281_640 - 84 * 10 + 84 * 31  # (it said 2,604: the new classifier alone)
    assert base.params == 44_426 - 850
    assert_matches_analysis(build_model(spec), spec)

    nested = build_model(preset("transfer", (32, 32, 3), 5, weights=None))
    holder = tmp_path / "mobilenet-run.keras"
    nested.save(holder)
    for shape, options in (((32, 32, 3), {}), ((28, 28, 1), {"mode": "fine_tuning", "fine_tune_layers": 2})):
        spec = preset("transfer", shape, 10, base="run", model_path=str(holder), **options)
        model = build_model(spec)
        assert_matches_analysis(model, spec)
        assert check(spec).rows[0].macs > keras_macs(nested.get_layer("transferbase_1")) > 6_000_000
    for base in ("mobilenet_v2", "resnet50"):
        spec = preset("transfer", (32, 32, 3), 10, base=base, weights=None)
        model = build_model(spec)
        assert_matches_analysis(model, spec)
        adapter = 1 * 1 * 3 * 3 + 3  # the fixed 1x1 conv mapping the image to the base's channels and scale
        assert check(spec).rows[0].params == model.get_layer("transferbase_1").count_params() + adapter


# ---------------------------------------------------------------- the arithmetic mirrors Keras


@pytest.mark.parametrize("side", [32, 75])
def test_application_tables_mirror_keras_layer_by_layer(side):
    for atoms, factory in (
        (mobilenet_v2_atoms, keras.applications.MobileNetV2),
        (resnet50_atoms, keras.applications.ResNet50),
    ):
        model = factory(include_top=False, weights=None, input_shape=(side, side, 3))
        real = [
            (
                layer.name,
                type(layer).__name__,
                tuple(layer.output.shape[1:]),
                layer.count_params(),
                sum(int(np.prod(w.shape)) for w in layer.trainable_weights),
                keras_macs(layer),
            )
            for layer in model.layers[1:]
        ]
        mine = [(a.name, a.type, a.out, a.params, a.trainable_params, a.macs) for a in atoms(side, side)]
        assert mine == real


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 64), k=st.integers(1, 9), s=st.integers(1, 4), padding=st.sampled_from(["valid", "same"]))
def test_output_length_agrees_with_keras(size, k, s, padding):
    layer = keras.layers.Conv2D(1, k, strides=s, padding=padding)
    if padding == "valid" and size < k:
        assert conv_output(size, k, s, padding) == 0
        return
    assert layer.compute_output_shape((None, size, size, 1))[1] == conv_output(size, k, s, padding)
    pool = keras.layers.MaxPooling2D(k, strides=s, padding=padding)
    assert pool.compute_output_shape((None, size, size, 1))[1] == conv_output(size, k, s, padding)


@pytest.mark.slow
def test_models_build_on_the_jax_backend():
    """Keras 3 API only: the same presets build and run on KERAS_BACKEND=jax with TensorFlow hidden (skipped where
    JAX is missing). XLA's CPU optimisation level is lowered: compiling every initializer dominates otherwise
    (about 100 s instead of 35 s on two busy cores)."""
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "PYTHONPATH": str(ROOT / "tests" / "no_tensorflow"),  # its sitecustomize makes `import tensorflow` fail
        "XLA_FLAGS": "--xla_backend_optimization_level=0",
    }
    probe = subprocess.run([sys.executable, "-c", "import jax"], env=env, check=False, capture_output=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("JAX is not installed here")
    code = (
        "import numpy as np, keras\n"
        "from cnnlab.arch.presets import preset\n"
        "from cnnlab.arch.build import build_model\n"
        "from cnnlab.arch.analysis import check\n"
        "assert keras.backend.backend() == 'jax'\n"
        "import sys; assert 'tensorflow' not in sys.modules\n"
        "for name in ('lenet5', 'resnet_small', 'vgg_small', 'alexnet', 'transfer'):\n"
        "    spec = preset(name, (28, 28, 1), 10, **({'weights': None} if name == 'transfer' else {}))\n"
        "    m = build_model(spec)\n"
        "    assert m.count_params() == check(spec).totals['params'], name\n"
        "    if name in ('lenet5', 'resnet_small'):\n"
        "        m.compile('adam', 'sparse_categorical_crossentropy')\n"
        "        assert np.isfinite(float(m.train_on_batch(np.zeros((4, 28, 28, 1), 'float32'), np.arange(4))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=False, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]


def test_analysis_is_consistent_for_a_custom_residual_stack():
    spec = ArchSpec("mine", (20, 20, 3), 5, [
        LayerSpec("Conv2D", {"filters": 8, "padding": "same", "activation": "linear"}),
        LayerSpec("BatchNormalization"),
        LayerSpec("Activation", {"activation": "gelu"}),
        LayerSpec("ResidualBlock", {"filters": 8, "batchnorm": False}),
        LayerSpec("ResidualBlock", {"filters": 12, "strides": 2}),
        LayerSpec("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}),
        LayerSpec("Flatten"),
        LayerSpec("Dropout", {"rate": 0.25}),
        LayerSpec("Dense", {"units": 16, "activation": "elu"}),
    ])  # fmt: skip
    model = build_model(spec)
    assert_matches_analysis(model, spec)
    assert analyze(spec).rows[4].output_shape == (10, 10, 12)
