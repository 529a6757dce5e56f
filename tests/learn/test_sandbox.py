"""The convolution sandbox equals Keras' Conv2D and pooling layers, and its parameter counts equal the analysis."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.arch.analysis import analyze
from cnnlab.arch.presets import preset
from cnnlab.errors import CnnLabError
from cnnlab.learn import sandbox

CASES = [  # (image H, W, kernel k, padding, stride)
    (28, 28, 3, "valid", 1),
    (28, 28, 3, "same", 1),
    (28, 28, 5, "valid", 2),
    (28, 28, 5, "same", 2),
    (9, 9, 3, "same", 3),
    (10, 7, 3, "valid", 2),
    (7, 10, 5, "same", 3),
    (6, 6, 3, "same", 4),
    (12, 11, 1, "valid", 1),
]


@pytest.mark.parametrize(("h", "w", "k", "padding", "stride"), CASES)
def test_convolve_equals_keras_conv2d(h, w, k, padding, stride):
    import keras

    rng = np.random.default_rng(h * 100 + w * 10 + k + stride)
    image = rng.normal(size=(h, w)).astype(np.float32)
    weights = rng.normal(size=(k, k)).astype(np.float32)
    layer = keras.layers.Conv2D(1, k, strides=stride, padding=padding, use_bias=False)
    layer.build((1, h, w, 1))
    layer.set_weights([weights[:, :, None, None]])
    expected = np.asarray(layer(image[None, :, :, None]))[0, :, :, 0]
    got = sandbox.convolve(image, weights, padding, stride)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    # the arithmetic of every output cell sums to that cell's value
    for r in range(got.shape[0]):
        for c in range(got.shape[1]):
            cell = sandbox.cell(image, weights, padding, stride, r, c)
            assert cell.total == pytest.approx(float(got[r, c]), abs=1e-4)
            assert np.allclose(cell.products, cell.patch * weights)


@pytest.mark.parametrize(
    ("size", "stride", "kind"), [(2, 2, "max"), (3, 2, "max"), (2, 2, "average"), (3, 1, "average")]
)
def test_pool_equals_keras_pooling(size, stride, kind):
    import keras

    image = np.random.default_rng(size + stride).normal(size=(11, 9)).astype(np.float32)
    cls = keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D
    expected = np.asarray(cls(size, strides=stride)(image[None, :, :, None]))[0, :, :, 0]
    np.testing.assert_allclose(sandbox.pool(image, size, stride, kind), expected, rtol=1e-5, atol=1e-6)


def test_cell_marks_the_padding_and_where_the_kernel_sat():
    image = np.arange(49, dtype=np.float32).reshape(7, 7)
    cell = sandbox.cell(image, sandbox.kernel("vertical_edges"), "same", 2, 0, 0)
    assert (cell.rows, cell.cols) == ((-1, 1), (-1, 1))
    assert cell.padded[0].all() and cell.padded[:, 0].all() and not cell.padded[1:, 1:].any()
    assert cell.patch[0].sum() == 0
    assert cell.formula().endswith(f"= {cell.total:.4g}")


def test_parameter_counts_equal_the_build_page_analysis():
    for shape, k, padding, stride in [
        ((28, 28, 1), 3, "valid", 1),
        ((28, 28, 1), 5, "same", 2),
        ((9, 9, 1), 3, "same", 1),
    ]:
        counts = sandbox.parameter_counts(shape, k, padding, stride)
        assert counts["conv"] == k * k * 1 + 1  # one filter: k*k weights + 1 bias, whatever the image size
        out = counts["output_shape"]
        assert counts["dense"] == int(np.prod(shape)) * int(np.prod(out)) + int(np.prod(out))
    # and LeNet-5's first conv in the sandbox's terms is the same number the Build page shows
    lenet = analyze(preset("lenet5")).rows[0]
    assert sandbox.parameter_counts((28, 28, 1), 5, filters=6)["conv"] == lenet.params == 156


def test_parameter_counts_equal_keras_too():
    import keras

    counts = sandbox.parameter_counts((12, 12, 1), 3, "valid", 1)
    conv = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(1, 3)])
    dense = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(), keras.layers.Dense(counts["outputs"])])
    assert (counts["conv"], counts["dense"]) == (conv.count_params(), dense.count_params())


def test_presets_and_refusals():
    assert set(sandbox.KERNELS) >= {"vertical_edges", "horizontal_edges", "blur", "sharpen"}
    assert sandbox.kernel("blur").sum() == pytest.approx(1.0)
    with pytest.raises(CnnLabError) as e:
        sandbox.kernel("nope")
    assert e.value.key == "engine.learn.unknown_kernel"
    with pytest.raises(CnnLabError, match="smaller than"):
        sandbox.convolve(np.zeros((2, 2)), np.ones((3, 3)))
    with pytest.raises(CnnLabError):
        sandbox.convolve(np.zeros((5, 5)), np.ones((3, 3)), "full")
    with pytest.raises(CnnLabError):
        sandbox.convolve(np.zeros((5, 5)), np.ones((3, 3)), stride=0)
