"""Pure-Python analysis: shapes, parameters, MACs, receptive fields, validation messages, CLI summary.

Nothing here imports TensorFlow (one test proves it in a fresh interpreter); the figures the analysis
produces are checked against hand computations, and against real Keras models in test_architectures.py.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.arch.analysis import analyze, check, validate
from cnnlab.arch.atoms import conv_output
from cnnlab.arch.kerasfile import inspect_keras_file
from cnnlab.arch.presets import PRESETS, preset
from cnnlab.arch.spec import DEFAULT_BUDGET, ArchSpec, Budget, LayerSpec, SpecError, layers_equal
from cnnlab.arch.table import layers_to_table, table_to_layers
from cnnlab.charts import architecture_diagram
from conftest import run_cli, run_python

L = LayerSpec


def spec_of(*layers: LayerSpec, shape=(28, 28, 1), classes=10) -> ArchSpec:
    return ArchSpec("test", shape, classes, list(layers))


# ---------------------------------------------------------------- arithmetic against hand computations


def test_conv2d_macs_and_params_match_hand_computation():
    # 32x32x3 input, 16 filters 3x3, stride 2, same padding: out = ceil(32/2) = 16
    result = analyze(
        spec_of(
            L("Conv2D", {"filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"}),
            L("Flatten"),
            shape=(32, 32, 3),
        )
    )
    conv = result.rows[0]
    assert conv.output_shape == (16, 16, 16)
    assert conv.params == 3 * 3 * 3 * 16 + 16 == 448
    assert conv.macs == 16 * 16 * 16 * (3 * 3 * 3) == 110_592
    # non-square kernel, valid padding, no bias: out = (28-5)//1+1 = 24 rows, (28-3)+1 = 26 columns
    result = analyze(spec_of(L("Conv2D", {"filters": 4, "kernel_size": [5, 3], "use_bias": False}), L("Flatten")))
    conv = result.rows[0]
    assert conv.output_shape == (24, 26, 4)
    assert conv.params == 5 * 3 * 1 * 4 == 60
    assert conv.macs == 24 * 26 * 4 * 15 == 37_440


def test_lenet5_table_by_hand():
    result = check(preset("lenet5"))
    rows = {r.name: r for r in result.all_rows}
    assert [r.name for r in result.all_rows] == [
        "conv2d_1", "maxpooling2d_2", "conv2d_3", "maxpooling2d_4", "flatten_5", "dense_6", "dense_7", "predictions",
    ]  # fmt: skip
    assert rows["conv2d_1"].output_shape == (24, 24, 6) and rows["conv2d_1"].params == 156
    assert rows["conv2d_3"].output_shape == (8, 8, 16) and rows["conv2d_3"].params == 2416
    assert rows["flatten_5"].output_shape == (256,)
    assert rows["dense_6"].params == 256 * 120 + 120 and rows["dense_6"].macs == 256 * 120
    assert rows["predictions"].params == 84 * 10 + 10
    assert result.totals["params"] == 44_426
    assert result.totals["macs"] == 24 * 24 * 6 * 25 + 8 * 8 * 16 * 150 + 256 * 120 + 120 * 84 + 84 * 10
    # receptive field: 5 (conv 5x5), +1 (pool 2, jump 1) = 6, +4*2 = 14 (conv, jump 2), +1*4 = 16 (pool)
    assert [rows[n].receptive_field for n in ("conv2d_1", "maxpooling2d_2", "conv2d_3", "maxpooling2d_4")] == [
        (5, 5), (6, 6), (14, 14), (16, 16),
    ]  # fmt: skip
    assert rows["dense_6"].receptive_field == (28, 28)  # a dense unit sees the whole image
    assert rows["conv2d_1"].activation_bytes == 24 * 24 * 6 * 4


def test_classic_lenet5_uses_tanh_and_average_pooling():
    spec = preset("lenet5", flavour="classic")
    assert {layer.type for layer in spec.layers} >= {"AveragePooling2D"}
    assert all(layer.params.get("activation") in (None, "tanh") for layer in spec.layers)
    assert analyze(spec).totals["params"] == 44_426


@pytest.mark.parametrize(
    ("size", "k", "s", "padding", "expected"),
    [(28, 5, 1, "valid", 24), (28, 5, 1, "same", 28), (227, 11, 4, "valid", 55), (55, 3, 2, "valid", 27),
     (7, 2, 2, "valid", 3), (7, 2, 2, "same", 4), (2, 5, 1, "valid", 0)],
)  # fmt: skip
def test_output_length(size, k, s, padding, expected):
    assert conv_output(size, k, s, padding) == expected


def test_alexnet_layouts():
    original = check(preset("alexnet", (227, 227, 3), 1000))
    convs = [r for r in original.rows if r.type == "Conv2D"]
    assert [r.output_shape[2] for r in convs] == [96, 256, 384, 384, 256]
    assert convs[0].output_shape == (55, 55, 96)
    assert [r.output_shape for r in original.rows if r.type == "MaxPooling2D"] == [
        (27, 27, 96),
        (13, 13, 256),
        (6, 6, 256),
    ]
    assert original.totals["params"] == 62_378_344  # the well-known AlexNet figure (no LRN, single tower)
    scaled = check(preset("alexnet", (28, 28, 1)))
    assert scaled.rows[0].label == "Conv2D 5x5" and scaled.rows[0].output_shape == (28, 28, 24)
    assert sum(r.type == "Dropout" for r in scaled.rows) == 2
    assert check(preset("alexnet", (32, 32, 3))).ok


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_every_preset_is_valid_for_both_shapes(name, shape):
    options = {"weights": None} if name == "transfer" else {}
    result = analyze(preset(name, shape, 10, **options))
    assert result.ok, result.issues
    assert result.head.output_shape == (10,)
    totals = result.totals
    assert totals["params"] == sum(r.params for r in result.all_rows) > 0
    assert 0 < totals["trainable_params"] <= totals["params"]


def test_transfer_base_analysis_reports_frozen_and_unfrozen_parameters():
    frozen = check(preset("transfer", (28, 28, 1), 10, weights=None))
    base = frozen.rows[0]
    assert base.keras_layers == ["transferbase_1_resize", "transferbase_1_preprocess", "transferbase_1"]
    assert base.output_shape == (1, 1, 1280)
    assert base.params == 2_257_984 + 6  # MobileNetV2 without top, plus the fixed 1x1 adapter (1x3 + 3)
    assert base.trainable_params == 0
    tuned = check(preset("transfer", (28, 28, 1), 10, weights=None, mode="fine_tuning", fine_tune_layers=30))
    assert 0 < tuned.rows[0].trainable_params < tuned.rows[0].params
    r50 = check(preset("transfer", (224, 224, 3), 10, base="resnet50", weights=None))
    assert r50.rows[0].output_shape == (7, 7, 2048)
    assert r50.rows[0].params == 23_587_712 + 12


# ---------------------------------------------------------------- validation


def test_empty_output_is_named_with_layer_and_fix():
    spec = spec_of(
        L("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 3}),  # 28 -> 9
        L("MaxPooling2D", {"pool_size": 4}),  # 9 -> 2
        L("Conv2D", {"filters": 16, "kernel_size": 5}),  # 2x2 input, 5x5 kernel: empty
        L("Flatten"),
    )
    issues = validate(spec)
    assert [i.message for i in issues] == [
        "layer 3 (Conv2D 5x5): the input is 2x2, so the output would be empty — use padding='same' or a smaller kernel"
    ]
    assert issues[0].index == 3
    with pytest.raises(SpecError, match=r"layer 3 \(Conv2D 5x5\)"):
        check(spec)
    fixed = spec_of(*spec.layers[:2], L("Conv2D", {"filters": 16, "kernel_size": 5, "padding": "same"}), L("Flatten"))
    assert check(fixed).rows[2].output_shape == (2, 2, 16)


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ([L("Conv2d", {"filters": 8}), L("Flatten")],
         "layer 1 (Conv2d): unknown layer type 'Conv2d' (did you mean 'Conv2D'?)"),
        ([L("Conv2D", {"filter": 8}), L("Flatten")], "unknown setting 'filter' (did you mean 'filters'?)"),
        ([L("Conv2D", {"kernel_size": "abc"}), L("Flatten")], "kernel_size must be a whole number from 1 to 64"),
        ([L("Conv2D", {"padding": "full"}), L("Flatten")], "padding must be one of valid, same, got 'full'"),
        ([L("Conv2D", {"filters": 0}), L("Flatten")], "filters must be a whole number from 1"),
        ([L("Dense", {"activation": "relux"})], "activation must be one of relu, sigmoid, tanh, elu, gelu, softmax"),
        ([L("Flatten"), L("Dropout", {"rate": 1.5})], "layer 2 (Dropout 1.5): rate must be a number from 0.0 to 0.95"),
        ([L("Flatten"), L("Conv2D", {"filters": 8})], "layer 2 (Conv2D 3x3): needs a feature map (H x W x C)"),
        ([L("Conv2D", {"filters": 8}), L("Dense", {"units": 10})], "layer 2 (Dense 10): gets a 26x26x8 feature map"),
        ([L("Conv2D", {"filters": 8})], "the last layer outputs a 26x26x8 feature map"),
        ([], "the network has no layers"),
        ([L("Flatten"), L("TransferBase", {"weights": None})], "TransferBase must be the first layer"),
        ([L("TransferBase", {"base": "run", "model_path": "/nowhere/model.keras"})], "does not exist"),
        ([L("BatchNormalization", {"momentum": 0.9}), L("Flatten")], "BatchNormalization accepts no settings"),
    ],
)  # fmt: skip
def test_invalid_stacks_give_named_errors(layers, expected):
    issues = validate(spec_of(*layers))
    assert any(expected in i.message for i in issues), [i.message for i in issues]
    with pytest.raises(SpecError):
        check(spec_of(*layers))


def test_bad_input_shape_and_classes():
    messages = [i.message for i in validate(ArchSpec("x", (28, 28, 99), 1, [L("Flatten")]))]
    assert any("input shape" in m for m in messages) and any("number of classes" in m for m in messages)


def test_budget_refuses_before_anything_is_allocated():
    huge = spec_of(L("Flatten"), L("Dense", {"units": 60000}), L("Dense", {"units": 60000}))
    messages = [i.message for i in validate(huge)]
    assert any("parameters, over the 150,000,000 limit" in m for m in messages)
    wide = spec_of(L("Conv2D", {"filters": 4096, "padding": "same"}), L("GlobalAveragePooling2D"), shape=(512, 512, 3))
    assert any("MB of activations" in i.message for i in validate(wide))
    assert validate(preset("lenet5"), budget=Budget(max_params=1000))[0].code == "too_many_params"
    assert DEFAULT_BUDGET.max_params >= check(preset("alexnet", (227, 227, 3), 1000)).totals["params"]


def test_softmax_inside_the_body_is_only_a_warning():
    result = analyze(spec_of(L("Flatten"), L("Dense", {"units": 32, "activation": "softmax"})))
    assert result.ok and [i.level for i in result.issues] == ["warning"]


def test_issue_messages_translate():
    issue = validate(spec_of(L("Conv2D", {"filters": 8, "kernel_size": 30}), L("Flatten")))[0]
    assert issue.key == "build.issue.empty_output" and issue.values["h"] == 28
    assert issue.message("en") == issue.message  # one sentence: the catalogue's, as the CLI prints it
    assert issue.message("en").startswith("layer 1 (Conv2D 30x30): the input is 28x28")
    zh = issue.message("zh")
    assert zh.startswith("第 1 层（Conv2D 30x30）：输入只有 28×28") and "padding='same'" in zh
    typo = validate(spec_of(L("Conv2D", {"filter": 8}), L("Flatten")))[0]
    assert typo.message("zh").startswith("第 1 层（Conv2D 3x3）：未知的设置项“filter”（是不是想写“filters”？）")
    with pytest.raises(SpecError) as refused:
        check(spec_of(L("Conv2D", {"filters": 8, "kernel_size": 30}), L("Flatten")))
    assert refused.value.message("zh") == zh and str(refused.value) == issue.message


# ---------------------------------------------------------------- spec JSON and the editor table


@pytest.mark.parametrize("name", list(PRESETS))
def test_spec_json_round_trip(name):
    spec = preset(name, (32, 32, 3), 7)
    again = ArchSpec.from_json(spec.to_json())
    assert again == spec
    assert json.loads(again.to_json()) == spec.to_dict()


def test_bad_json_is_a_spec_error():
    with pytest.raises(SpecError, match="not valid JSON"):
        ArchSpec.from_json("{nope")
    with pytest.raises(SpecError, match="not a valid architecture spec"):
        ArchSpec.from_json('{"layers": []}')
    with pytest.raises(SpecError, match="preset 'lenet5' has no option colour; it accepts flavour"):
        preset("lenet5", colour="red")


layer_strategy = st.one_of(
    st.builds(lambda f, k, s, p: L("Conv2D", {"filters": f, "kernel_size": k, "strides": s, "padding": p}),
              st.integers(1, 64), st.integers(1, 7) | st.tuples(st.integers(1, 7), st.integers(1, 7)).map(list),
              st.integers(1, 3), st.sampled_from(["valid", "same"])),
    st.builds(lambda k: L("MaxPooling2D", {"pool_size": k}), st.integers(1, 4)),
    st.builds(lambda r: L("Dropout", {"rate": r}), st.floats(0, 0.9).map(lambda v: round(v, 2))),
    st.builds(lambda u, a: L("Dense", {"units": u, "activation": a}), st.integers(1, 512),
              st.sampled_from(["relu", "tanh", "linear"])),
    st.just(L("Flatten")),
    st.just(L("BatchNormalization")),
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(layer_strategy, max_size=8))
def test_json_and_table_round_trips_keep_every_layer(layers):
    spec = spec_of(*layers)
    assert ArchSpec.from_json(spec.to_json()) == spec
    rows = layers_to_table(layers)
    assert layers_equal(table_to_layers(rows), layers)
    # analysis never raises, whatever the stack
    result = analyze(spec)
    assert len(result.rows) == len(layers)


def test_editor_cells_are_parsed_and_bad_cells_reported():
    rows = [
        {"type": "Conv2D", "size": 8.0, "kernel": "5x3", "stride": "2", "padding": None, "activation": "tanh"},
        {"type": "Flatten"},
        {"type": "Dense", "size": None, "activation": None},
    ]
    layers = table_to_layers(rows)
    assert layers[0].params == {"filters": 8, "kernel_size": [5, 3], "strides": 2, "activation": "tanh"}
    assert layers[2].params == {}  # empty cells: defaults (64 relu units)
    assert check(spec_of(*layers)).rows[2].output_shape == (64,)
    bad = table_to_layers([{"type": "Conv2D", "kernel": "five"}, {"type": "Flatten"}])
    assert "kernel_size must be a whole number" in validate(spec_of(*bad))[0].message
    # settings the table cannot show survive when the row keeps its type
    original = L("Conv2D", {"filters": 8, "use_bias": False})
    kept = table_to_layers([{"type": "Conv2D", "size": 16}], [original])[0]
    assert kept.params == {"filters": 16, "use_bias": False}


# ---------------------------------------------------------------- files, diagram, CLI, no TensorFlow


def test_unreadable_model_files_are_spec_errors(tmp_path):
    with pytest.raises(SpecError, match="does not exist"):
        inspect_keras_file(str(tmp_path / "missing.keras"))
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    with pytest.raises(SpecError, match="cannot read the model file"):
        inspect_keras_file(str(tmp_path / "junk.keras"))


def test_diagram_shows_maps_shrinking_and_channels_growing():
    result = check(preset("simple_cnn", (28, 28, 1)))
    fig = architecture_diagram(result)
    bars = {trace.name: trace for trace in fig.data}
    assert {"input", "convolution", "pooling", "flatten / dense", "classifier"} <= set(bars)
    conv = bars["convolution"]
    assert list(conv.y) == sorted(conv.y, reverse=True)  # 26x26 then 11x11: heights shrink
    assert list(conv.width) == sorted(conv.width)  # 32 then 64 channels: widths grow
    assert "26×26×32" in {a.text for a in fig.layout.annotations}
    hover = " ".join(conv.hovertext)
    assert "conv2d_1" in hover and "parameters: 320" in hover
    broken = architecture_diagram(analyze(spec_of(L("Conv2D", {"kernel_size": 99}))))  # broken specs still draw
    assert len(broken.data) == 2 and "?" in {a.text for a in broken.layout.annotations}


def test_cli_summary_json_for_a_preset():
    out = run_cli("summary", "--arch", "lenet5", "--dataset", "mnist-sample", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["totals"]["params"] == 44_426
    first = data["layers"][0]
    assert {"name", "type", "output_shape", "params", "macs", "receptive_field"} <= set(first)
    assert first == {
        **first,
        "name": "conv2d_1",
        "type": "Conv2D",
        "output_shape": [24, 24, 6],
        "params": 156,
        "macs": 86_400,
        "receptive_field": [5, 5],
    }
    assert data["layers"][-1]["name"] == "predictions"


def test_cli_summary_options_spec_files_and_errors(tmp_path):
    out = run_cli("summary", "--arch", "alexnet", "--dataset", "cifar10", "--option", "width=0.5", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["layers"][0]["output_shape"] == [32, 32, 48]
    path = tmp_path / "mine.json"
    path.write_text(spec_of(L("Conv2D", {"filters": 4}), L("GlobalAveragePooling2D"), shape=(16, 16, 1)).to_json())
    out = run_cli("summary", "--spec", str(path), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["layers"][0]["output_shape"] == [14, 14, 4]
    out = run_cli("summary", "--spec", str(path))  # plain text table
    assert "conv2d_1" in out.stdout and "total: 90 parameters" in out.stdout
    path.write_text(spec_of(L("Conv2D", {"filters": 4})).to_json())
    out = run_cli("summary", "--spec", str(path), "--json")
    assert out.returncode == 2 and "add Flatten or GlobalAveragePooling2D at the end" in out.stderr
    out = run_cli("summary", "--arch", "lenet6")
    assert out.returncode == 2 and "unknown architecture 'lenet6'" in out.stderr
    out = run_cli("summary", "--arch", "lenet5", "--dataset", "imagenet")
    assert out.returncode == 2 and "unknown dataset 'imagenet'" in out.stderr


def test_analysis_codegen_and_charts_never_import_tensorflow():
    code = (
        "import sys\n"
        "from cnnlab.arch.presets import preset, PRESETS\n"
        "from cnnlab.arch.analysis import analyze\n"
        "from cnnlab.charts import architecture_diagram\n"
        "from cnnlab.train.codegen import generate_script\n"
        "for name in PRESETS:\n"
        "    spec = preset(name, (32, 32, 3), 10)\n"
        "    architecture_diagram(analyze(spec)); generate_script(spec, 'mnist-sample', 'functional')\n"
        "bad = [m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr
