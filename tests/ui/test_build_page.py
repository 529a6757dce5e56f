"""The Build page through Streamlit's AppTest (the real app.py router): presets, editing, messages, languages."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cnnlab.arch.analysis import check
from cnnlab.arch.presets import preset
from cnnlab.arch.spec import ArchSpec, LayerSpec
from cnnlab.i18n import t
from conftest import APP_PATH, open_app, run_python

BROKEN = ArchSpec("mine", (28, 28, 1), 10, [
    LayerSpec("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 3}),  # 28 -> 9
    LayerSpec("MaxPooling2D", {"pool_size": 4}),  # 9 -> 2
    LayerSpec("Conv2D", {"filters": 16, "kernel_size": 5}),  # a 5x5 kernel on 2x2: empty
    LayerSpec("Flatten"),
])  # fmt: skip


def build_page(lang: str = "en", **state) -> AppTest:
    return open_app("pages/build.py", lang, **state)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def analysis_table(at: AppTest):
    return at.dataframe[-1].value  # the first "dataframe" is the layer editor itself


def test_default_is_lenet5_with_live_analysis_and_downloads():
    at = build_page()
    assert at.title[0].value == "Build a network"
    assert at.selectbox(key="build_preset").value == "lenet5"
    assert metrics(at)["Parameters"] == "44,426"
    table = analysis_table(at)
    assert table["Name"].tolist()[0] == "conv2d_1" and table["Output shape"].tolist()[0] == "24×24×6"
    assert table["Name"].tolist()[-1] == "predictions"
    assert len(at.get("plotly_chart")) == 1
    downloads = [d.proto.label for d in at.get("download_button")]
    assert downloads == ["Spec (JSON)", "Script: Sequential", "Script: Functional", "Script: subclassing"]
    assert "keras.Sequential(" in at.code[0].value and "--smoke" in at.code[0].value
    assert at.session_state["arch_spec"] == preset("lenet5").to_dict()  # what the Train page will build
    assert not at.error


def test_picking_a_preset_and_options_updates_everything():
    at = build_page()
    at.selectbox(key="build_preset").set_value("alexnet").run()
    spec = ArchSpec.from_dict(at.session_state["arch_spec"])
    assert spec.name == "alexnet" and spec.layers[0].params["kernel_size"] == 5  # scaled for 28x28
    assert metrics(at)["Parameters"] == f"{check(preset('alexnet')).totals['params']:,}"
    at.number_input(key="build_opt_alexnet_width").set_value(0.5).run()
    assert at.session_state["arch_spec"]["layers"][0]["params"]["filters"] == 48
    at.radio[0].set_value("subclass").run()
    assert "class CnnLabModel(keras.Model)" in at.code[0].value


def test_invalid_layer_gets_the_named_message_next_to_it():
    at = build_page(arch_spec=BROKEN.to_dict())
    expected = (
        "layer 3 (Conv2D 5x5): the input is 2x2, so the output would be empty — use padding='same' or a smaller kernel"
    )
    assert [e.value for e in at.error] == [expected]
    table = analysis_table(at)
    problems = dict(zip(table["#"], table["Problem"], strict=True))
    assert problems[3] == expected and problems[1] == ""  # the message sits in the offending layer's row
    assert not at.get("download_button")  # nothing to export until it is fixed
    assert any("Fix the problems above" in i.value for i in at.info)


def test_moving_a_layer_reorders_the_spec():
    at = build_page()
    at.number_input(key="build_move").set_value(5).run()  # Flatten
    next(b for b in at.button if b.label == "↓ Move down").click().run()
    types = [layer["type"] for layer in at.session_state["arch_spec"]["layers"]]
    assert types == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Dense", "Flatten", "Dense"]
    assert at.session_state["arch_spec"]["name"] == "lenet5_custom"
    # Dense 120 now meets a 4x4x16 feature map: the page says so and names the fix
    assert any("layer 5 (Dense 120): gets a 4x4x16 feature map" in e.value for e in at.error)


def test_the_moved_layer_stays_selected_so_a_second_click_moves_it_further():
    at = build_page()
    at.number_input(key="build_move").set_value(3).run()  # the second Conv2D
    up = next(b for b in at.button if b.label == "↑ Move up")
    up.click().run()
    assert at.number_input(key="build_move").value == 2  # the box follows the layer
    next(b for b in at.button if b.label == "↑ Move up").click().run()
    assert at.number_input(key="build_move").value == 1
    types = [layer["type"] for layer in at.session_state["arch_spec"]["layers"]]
    assert types == ["Conv2D", "Conv2D", "MaxPooling2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert at.session_state["arch_spec"]["layers"][0]["params"]["filters"] == 16  # LeNet-5's second convolution
    next(b for b in at.button if b.label == "↓ Move down").click().run()
    assert at.number_input(key="build_move").value == 2
    assert at.session_state["arch_spec"]["layers"][1]["params"]["filters"] == 16


def test_transfer_preset_offline_warns_and_offers_random_weights():
    at = build_page()
    at.selectbox(key="build_preset").set_value("transfer").run()
    assert any("ImageNet weights are unavailable" in w.value for w in at.warning)
    at.selectbox(key="build_opt_transfer_weights").set_value("none").run()
    assert not at.warning and not at.error
    assert at.session_state["arch_spec"]["layers"][0]["params"]["weights"] is None
    assert metrics(at)["Trainable"] == "12,810"  # feature extraction: only the new classifier trains
    at.selectbox(key="build_opt_transfer_mode").set_value("fine_tuning").run()
    assert at.number_input(key="build_opt_transfer_fine_tune_layers").value == 20
    assert at.session_state["arch_spec"]["layers"][0]["params"]["trainable_layers"] == 20
    at.selectbox(key="build_opt_transfer_base").set_value("run").run()
    picker = at.selectbox(key="build_opt_transfer_model_path")
    assert picker.value is None and picker.placeholder == "no saved models yet — train one first"  # a fresh home
    assert not at.error  # nothing to pick yet is not a mistake: no "needs model_path"


def test_offline_imagenet_offers_two_ways_out_as_buttons():
    at = build_page()
    at.selectbox(key="build_preset").set_value("transfer").run()
    assert any("ImageNet weights are unavailable" in w.value for w in at.warning)
    texts = " ".join(m.value for m in at.markdown)
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in texts  # the file to copy
    assert "/root" not in texts and "/tmp" not in texts  # named by its folder's place, not a server path
    next(b for b in at.button if b.label == "Use random weights").click().run()
    assert at.selectbox(key="build_opt_transfer_weights").value == "none"
    assert not at.warning and not at.error
    assert at.session_state["arch_spec"]["layers"][0]["params"]["weights"] is None


def test_offline_imagenet_buttons_in_chinese():
    at = build_page("zh")
    at.selectbox(key="build_preset").set_value("transfer").run()
    assert {"改用随机权重"} <= {b.label for b in at.button}
    assert any("复制" in m.value for m in at.markdown)


def test_transfer_from_a_run_lists_runs_by_name_and_follows_the_choice_at_once(tiny_run):
    at = build_page(dataset="mnist-sample")
    at.selectbox(key="build_preset").set_value("transfer").run()
    assert any(r["type"] == "TransferBase" for r in at.session_state["arch_spec"]["layers"])
    at.selectbox(key="build_opt_transfer_base").set_value("run").run()
    picker = at.selectbox(key="build_opt_transfer_model_path")
    assert picker.value is None and picker.placeholder == "pick one of your 1 saved models"
    assert not at.error  # no "needs model_path" before the user could pick
    assert any("Pick a saved model" in i.value for i in at.info)
    assert not at.metric and not at.get("download_button")  # no stale MobileNetV2 analysis or code meanwhile
    (label,) = picker.options
    assert label.startswith("tiny lenet · mnist-sample · test ") and label.count("%") == 1, label
    assert tiny_run.run_id not in label and "20" in label.split(" · ")[-1]  # a date, not the bare id
    picker.set_value(str(tiny_run.home / "runs" / tiny_run.run_id / "best.keras")).run()
    assert not at.error, [e.value for e in at.error]
    base = at.session_state["arch_spec"]["layers"][0]
    assert base["params"]["base"] == "run" and base["params"]["model_path"].endswith("best.keras")
    assert metrics(at)["Trainable"] == f"{84 * 10 + 10:,}"  # the analysis follows the pick at once


def test_the_architecture_follows_the_dataset():
    at = build_page(dataset="cifar10")
    spec = ArchSpec.from_dict(at.session_state["arch_spec"])
    assert spec.input_shape == (32, 32, 3) and spec.num_classes == 10
    assert metrics(at)["Parameters"] == "62,006"


def test_chinese_labels_and_messages():
    at = build_page("zh", arch_spec=BROKEN.to_dict())
    assert at.title[0].value == t("build.title", "zh") == "搭建网络"
    assert at.selectbox(key="build_preset").label == "起点"
    assert {m.label for m in at.metric} == {"参数量", "可训练参数", "每张图的乘加次数", "每张图的激活内存"}
    assert at.error[0].value.startswith("第 3 层（Conv2D 5x5）：输入只有 2×2，输出将为空")
    assert "问题" in analysis_table(at).columns


def test_build_page_never_imports_tensorflow():
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP_PATH!r}, default_timeout=120)\n"
        "at.run(); at.switch_page('pages/build.py'); at.run()\n"
        "at.selectbox(key='build_preset').set_value('transfer').run()\n"
        "assert not at.exception, at.exception\n"
        "assert at.metric, 'the page did not render'\n"
        "loaded = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    out = run_python(code, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]


def test_transfer_from_a_saved_run_is_offered_and_analysed(cnnlab_home):
    from cnnlab.arch.build import build_model  # imports Keras: only to write a real model file

    run = cnnlab_home / "runs" / "20260101-lenet5"
    run.mkdir(parents=True)
    build_model(preset("lenet5")).save(run / "best.keras")
    at = build_page(dataset="cifar10")
    at.selectbox(key="build_preset").set_value("transfer").run()
    at.selectbox(key="build_opt_transfer_base").set_value("run").run()
    picker = at.selectbox(key="build_opt_transfer_model_path")
    assert picker.options == ["20260101-lenet5"]
    picker.set_value(str(run / "best.keras")).run()
    assert not at.error, [e.value for e in at.error]
    base = at.session_state["arch_spec"]["layers"][0]
    assert base == {
        "type": "TransferBase",
        "params": {"base": "run", "weights": None, "trainable_layers": 0, "model_path": str(run / "best.keras")},
    }
    table = analysis_table(at)
    assert table["Output shape"].tolist()[:1] == ["84"]  # LeNet-5 up to its penultimate layer (Dense 84)
    assert metrics(at)["Trainable"] == f"{84 * 10 + 10:,}"
