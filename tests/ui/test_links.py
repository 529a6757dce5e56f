"""Links that reproduce a view, through the real app (AppTest): Train pre-filled from a shared setup link, a broken
link as one warning, every internal link carrying the view's parameters, one display name per architecture."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from cnnlab.arch.presets import preset
from cnnlab.train.config import TrainConfig
from cnnlab.train.setup_link import FORM_FIELDS, decode_setup, encode_setup, pack
from tests.conftest import APP_PATH

pytestmark = pytest.mark.usefixtures("cnnlab_home")


def _open(path: str, query: dict[str, str], lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP_PATH, default_timeout=120)
    for k, v in {"lang": lang, **query}.items():
        at.query_params[k] = v
    at.run()
    if path:
        at.switch_page(path)
        for k, v in {"lang": lang, **query}.items():
            at.query_params[k] = v
        at.run()
    assert not at.exception, at.exception
    return at


def _by_key(at: AppTest, key: str):
    return next(w for w in at.main if getattr(w, "key", None) == key)


SHARED = {
    "dataset": "mnist-sample", "arch": "vgg_small", "epochs": 7, "batch_size": 32, "optimizer": "sgd",
    "learning_rate": 0.0125, "schedule": "step", "warmup_epochs": 3, "step_epochs": 4, "decay_factor": 0.5,
    "weight_decay": 0.001, "label_smoothing": 0.2, "val_fraction": 0.25,
    "augmentation": {"translation": 0.05, "rotation": 0.0, "zoom": 0.2, "flip": True}, "early_stopping": True,
    "monitor": "val_accuracy", "patience": 5, "restore_best": False, "seed": 1234, "steps_per_execution": 4,
    "momentum": 0.8, "nesterov": False, "metrics": ["accuracy", "auc"], "mixed_precision": True,
}  # fmt: skip


def test_a_shared_setup_link_opens_train_with_every_setting_filled_in():
    at = _open("pages/train.py", encode_setup(SHARED))
    for key in FORM_FIELDS:
        if key == "augmentation":
            for name, v in SHARED[key].items():
                assert at.session_state[f"tr_aug_{name}"] == pytest.approx(v), name
        else:
            assert at.session_state[f"tr_{key}"] == pytest.approx(SHARED[key]), key
    assert at.session_state["tr_arch"] == "vgg_small"
    assert _by_key(at, "tr_arch").value == "vgg_small"
    assert any("shared link" in i.value for i in at.info)
    # the form's setting travel on: the URL now holds the same setup (a reload shows the same form)
    assert at.query_params["setup"] == encode_setup(SHARED)["setup"]


def test_an_edited_architecture_in_a_link_is_offered_by_its_given_name():
    spec = preset("lenet5", (28, 28, 1), 10).to_dict()
    spec["name"] = "wide lenet"
    spec["layers"][0]["params"]["filters"] = 12
    at = _open("pages/train.py", encode_setup({**SHARED, "arch": spec}))
    arch = _by_key(at, "tr_arch")
    assert arch.value == "build"
    assert arch.format_func(arch.value) == "wide lenet"
    assert at.session_state["arch_spec"] == spec


@pytest.mark.parametrize(
    "query",
    [
        {"setup": "eNq-broken"},
        {"setup": "A" * 9000},
        {"setup": pack({"epochs": 100_000})},
        {"arch": "skynet"},
    ],
)
def test_a_broken_link_is_one_translated_warning_and_the_form_keeps_its_defaults(query):
    for lang in ("en", "zh"):
        at = _open("pages/train.py", query, lang=lang)
        assert len(at.warning) == 1, [w.value for w in at.warning]
        assert "Traceback" not in at.warning[0].value
        if lang == "zh":
            assert any("\u4e00" <= c <= "\u9fff" for c in at.warning[0].value)
        assert _by_key(at, "tr_epochs").value == TrainConfig().epochs
        assert at.button  # the page works: its buttons are there


def test_architectures_have_one_display_name_everywhere():
    at = _open("pages/train.py", {})
    arch = _by_key(at, "tr_arch")
    shown = [arch.format_func(o) for o in arch.options] if hasattr(arch, "format_func") else arch.options
    assert "LeNet-5" in shown and "Small VGG" in shown and "Simple CNN" in shown
    assert not {"lenet5", "simple_cnn", "vgg_small"} & set(shown)
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "LeNet-5" in sidebar and "lenet5" not in sidebar
    at = _open("pages/train.py", {}, lang="zh")
    assert "小型 VGG" in [_by_key(at, "tr_arch").format_func(o) for o in _by_key(at, "tr_arch").options]


def test_internal_links_carry_language_run_dataset_and_projector():
    at = _open("pages/home.py", {"lang": "zh", "run": "abc123", "projector": "1"})
    assert at.session_state["projector"] is True
    assert at.session_state["lang"] == "zh"
    nav = [link for link in at.sidebar.get("page_link")]
    assert len(nav) >= 7
    for link in nav:
        query = {k: v[0] for k, v in parse_qs(link.proto.query_string).items()}
        assert query["lang"] == "zh" and query["run"] == "abc123" and query["projector"] == "1", link.proto


def test_chinese_text_names_buttons_as_they_read():
    """A sentence that tells the visitor to press a button quotes the button's own label (zh: 开始训练, not 训练)."""
    import re

    from cnnlab.i18n import CATALOGUE

    buttons = {"Train": "train.start", "Resume": "train.resume", "Undo": "predict.undo", "Stop": "train.stop"}
    checked = 0
    for key, (english, chinese) in CATALOGUE.items():
        for label, button in buttons.items():
            told = re.search(rf"\b(press|click|Press|Click)( the)? {label}\b", english)
            named = re.search(rf"\b{label} (continues|takes back|ends)", english)
            if told or named:
                checked += 1
                assert f"“{CATALOGUE[button][1]}”" in chinese, (key, chinese)
    assert checked >= 3


def test_inspect_opens_the_tab_layer_and_input_a_link_names(tiny_run):
    query = {"run": tiny_run.run_id, "tab": "fm", "input": "index:7", "layer": "conv2d_3"}
    at = _open("pages/inspect.py", query)
    assert at.session_state["insp_tab"] == "Feature maps"
    assert at.session_state["insp_mode"] == "index" and at.session_state["insp_idx"] == 7
    assert at.session_state["insp_fm_layer"] == "conv2d_3"
    assert at.query_params["input"] == "index:7" and at.query_params["layer"] == "conv2d_3"
    # values the page cannot take are dropped by its own pickers, never an error
    at = _open("pages/inspect.py", {"run": tiny_run.run_id, "tab": "nope", "input": "index:999999", "layer": "x/../y"})
    assert not at.exception and at.session_state["insp_idx"] < 999999
    assert at.query_params["input"] != "index:999999"


def test_builds_share_link_opens_train_with_the_edited_architecture():
    spec = preset("lenet5", (28, 28, 1), 10).to_dict()
    spec["name"] = "my lenet"
    spec["layers"][0]["params"]["filters"] = 9
    at = AppTest.from_file(APP_PATH, default_timeout=120)
    at.session_state["arch_spec"] = spec
    at.run()
    at.switch_page("pages/build.py").run()
    assert not at.exception, at.exception
    codes = [c.value for c in at.get("code") if "/train?" in c.value]
    assert len(codes) == 1, "Build shows one share link"
    query = {k: v[0] for k, v in parse_qs(codes[0].split("?", 1)[1]).items()}
    assert set(query) >= {"dataset", "spec", "setup"}
    at = _open("pages/train.py", query)
    assert at.session_state["tr_arch"] == "build" and at.session_state["arch_spec"]["name"] == "my lenet"
    assert at.session_state["arch_spec"]["layers"][0]["params"]["filters"] == 9
    assert at.session_state["tr_epochs"] == TrainConfig().epochs  # every setting travels, defaults included


def test_pages_link_and_switch_only_through_cnnlab_ui_links():
    """st.page_link / st.switch_page would drop the view's parameters: every link goes through cnnlab.ui.links."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = [root / "app.py", *(root / "pages").glob("*.py"), *(root / "cnnlab" / "ui").rglob("*.py")]
    direct = re.compile(r"\b(st|container|col|c)\.(page_link|switch_page)\(")
    offenders = [str(f.relative_to(root)) for f in files if f.name != "links.py" and direct.search(f.read_text())]
    assert offenders == []


def test_a_stale_address_echoed_by_the_browser_does_not_undo_a_change_just_made():
    """Typing epochs and pressing Train at once: the second rerun can carry the address from before the first one's
    write arrived. That echo must not be taken for a link (it would put the old epochs back into the form)."""
    at = _open("pages/train.py", {})
    before = dict(at.query_params)
    assert "setup" in before  # the page wrote its form into the address
    at.number_input(key="tr_epochs").set_value(12).run()
    assert at.query_params["setup"] != before["setup"]
    for k, v in before.items():  # the browser still shows the address of the run before
        at.query_params[k] = v
    at.run()
    assert at.number_input(key="tr_epochs").value == 12
    assert decode_setup(dict(at.query_params))["epochs"] == 12
    # a real link to another setup is still taken in
    for k, v in encode_setup({**SHARED, "epochs": 9}).items():
        at.query_params[k] = v
    at.run()
    assert at.number_input(key="tr_epochs").value == 9
