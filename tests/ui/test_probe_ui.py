"""The probing views through AppTest (the real app.py router) on the tiny trained LeNet-5: Predict's "Why / what if"
box (a slider move redraws the probabilities, FGSM finds and shows a flip) and Inspect's occlusion map, receptive
fields, filter pictures, nearest training images and robustness sweep."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from drawing import digit_canvases
from streamlit.testing.v1 import AppTest
from test_predict_page import canvas_value

from cnnlab.i18n import t as tr
from conftest import open_app

pytestmark = pytest.mark.timeout(400)


def values(y) -> np.ndarray:
    """A Plotly JSON array: a list, or numpy's {"bdata": base64, "dtype": ...}."""
    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
    return np.asarray(y, np.float64)


def bars(at: AppTest, key: str) -> list[np.ndarray]:
    """The y values of every trace of the chart drawn under `key`."""
    for chart in at.get("plotly_chart"):
        if chart.proto.id and key in chart.proto.id:
            return [values(trace["y"]) for trace in json.loads(chart.proto.spec)["data"]]
    raise AssertionError(f"no chart {key}")


def open_predict(run_id: str, lang: str = "en", tab: str = "push") -> AppTest:
    canvas = digit_canvases(1, seed=11)[0][0]
    drawn = {"predict_canvas_0": canvas_value(canvas), "predict_wi_tab": tr(f"probe.tab_{tab}", lang)}
    at = open_app("pages/predict.py", lang, run_id=run_id, page_state=drawn)
    assert not at.error, [e.value for e in at.error]
    return at


def test_a_robustness_slider_redraws_every_class_probability(tiny_run):
    at = open_predict(tiny_run.run_id)
    before, now = bars(at, "predict_wi_probs")
    assert len(before) == len(now) == 10 and np.allclose(before, now)  # nothing pushed yet
    at.slider(key="predict_wi_rotation").set_value(90).run()
    assert not at.exception and not at.error
    before2, turned = bars(at, "predict_wi_probs")
    assert np.allclose(before, before2) and not np.allclose(turned, before, atol=1e-3)
    assert any(c == "what the model sees now" for image in at.get("image") for c in image.captions)
    at.slider(key="predict_wi_rotation").set_value(0).run()
    assert np.allclose(bars(at, "predict_wi_probs")[1], before, atol=1e-5)  # back to the untouched image
    at.toggle(key="predict_wi_patch").set_value(True).run()
    at.slider(key="predict_wi_ps").set_value(14).run()
    assert not np.allclose(bars(at, "predict_wi_probs")[1], before, atol=1e-3)  # half the digit hidden


def test_only_the_open_part_of_the_box_computes(tiny_run):
    at = open_predict(tiny_run.run_id)
    assert at.slider(key="predict_wi_rotation") and "predict_wi_eps" not in [s.key for s in at.slider]
    at = open_predict(tiny_run.run_id, tab="fool")
    assert at.slider(key="predict_wi_eps") and "predict_wi_rotation" not in [s.key for s in at.slider]


def test_fgsm_finds_the_smallest_flipping_epsilon_and_shows_the_perturbed_image(tiny_run):
    at = open_predict(tiny_run.run_id, tab="fool")
    at.button(key="predict_wi_find").click().run()
    assert not at.exception and not at.error
    found = [s.value for s in at.success if "flips it at ε" in s.value]
    assert found, [s.value for s in at.success] + [i.value for i in at.info]
    eps = at.slider(key="predict_wi_eps").value
    assert 0 < eps <= 0.5
    sentences = [m.value for m in at.markdown]
    assert any("the model now says" in s for s in sentences), sentences
    captions = [c for image in at.get("image") for c in image.captions]
    assert any(c.startswith("perturbed: ") for c in captions) and "difference, amplified (red +, blue −)" in captions
    at.slider(key="predict_wi_eps").set_value(0.0).run()
    assert any("the model still says" in m.value for m in at.markdown)
    at.selectbox(key="predict_wi_target").set_value(3).run()
    at.radio(key="predict_wi_method").set_value("pgd").run()
    at.button(key="predict_wi_find").click().run()
    assert not at.exception and not at.error


def test_the_what_if_box_speaks_chinese(tiny_run):
    at = open_predict(tiny_run.run_id, "zh")
    assert any(s.value == tr("probe.whatif", "zh") for s in at.subheader)
    assert at.slider(key="predict_wi_rotation").label == "旋转"


def open_inspect(tab: str, run_id: str, lang: str = "en", **state) -> AppTest:
    at = open_app("pages/inspect.py", lang, timeout=240, run_id=run_id, insp_tab=tr(f"inspect.tab.{tab}", lang),
                  **state)  # fmt: skip
    assert not at.error, [e.value for e in at.error]
    return at


def captions(at: AppTest) -> list[str]:
    return [c for image in at.get("image") for c in image.captions]


def test_the_occlusion_map_sits_beside_grad_cam_and_saliency(tiny_run):
    at = open_inspect("cam", tiny_run.run_id)
    found = [c for c in captions(at) if c.startswith("occlusion (worst patch −")]
    assert found and "saliency" in " ".join(captions(at)).lower()


def test_a_picked_unit_shows_its_theoretical_and_effective_receptive_field(tiny_run):
    at = open_inspect("rf", tiny_run.run_id)
    sentence = next(m.value for m in at.markdown if m.value.startswith("Unit ("))
    assert "of its effective field lies inside that box" in sentence
    assert any(c.startswith("theoretical field: ") for c in captions(at))
    layer = at.selectbox(key="insp_rf_layer")
    layer.set_value(layer.options[0]).run()  # the first convolution: a 5x5 field
    at.slider(key="insp_rf_row").set_value(3).run()
    assert not at.error and "theoretical field: 5×5 pixels" in captions(at)
    assert any(m.value.startswith("Unit (3, ") and "100% of its effective field" in m.value for m in at.markdown)


def test_nearest_training_images_are_listed_with_labels_and_distances(tiny_run):
    at = open_inspect("near", tiny_run.run_id)
    assert any("nearest training images" in m.value for m in at.markdown)
    items = [c for c in captions(at) if " · d=" in c]
    assert len(items) == 8
    at.slider(key="insp_near_k").set_value(3).run()
    assert len([c for c in captions(at) if " · d=" in c]) == 3


def test_what_a_filter_wants_to_see_is_drawn_on_a_click_and_kept(tiny_run):
    at = open_inspect("want", tiny_run.run_id)
    assert not [c for c in captions(at) if c.startswith("channel ")]
    at.button(key="insp_want_go").click().run()
    assert not at.exception and not at.error
    items = [c for c in captions(at) if c.startswith("channel ")]
    assert len(items) == 16 and captions(at).count("top 9 test images") == 16  # LeNet-5's last convolution
    assert any("over the noise it started from" in m.value for m in at.markdown)
    at.run()  # a rerun shows them again without the button
    assert len([c for c in captions(at) if c.startswith("channel ")]) == 16
    assert "insp_want_go" not in [b.key for b in at.button]


def test_the_robustness_sweep_charts_accuracy_against_rotation_shift_and_thickness(tiny_run):
    at = open_inspect("robust", tiny_run.run_id, lang="zh")
    at.button(key="insp_sweep_go").click().run()
    assert not at.exception and not at.error
    chart = next(c for c in at.get("plotly_chart") if "insp_sweep_chart" in c.proto.id)
    spec = json.loads(chart.proto.spec)
    rotation = values(spec["data"][0]["y"])
    assert len(spec["data"]) == 4 and rotation[5] > rotation[0]  # upright beats upside-down-ish (-90°)
    assert any("不旋转时正确率" in m.value for m in at.markdown)


def test_the_what_if_box_pushes_on_any_test_image_on_inspect(tiny_run):
    at = open_inspect("whatif", tiny_run.run_id)
    before, now = bars(at, "insp_wi_probs")
    assert np.allclose(before, now)
    at.slider(key="insp_wi_shift_x").set_value(10).run()
    assert not at.exception and not at.error
    assert not np.allclose(bars(at, "insp_wi_probs")[1], before, atol=1e-3)  # the digit pushed off to the right


def test_results_of_an_uploaded_model_are_kept_in_memory_once(tiny_run):
    from cnnlab.ui.inspect.common import Subject
    from cnnlab.ui.inspect.probe import known, once

    subj = Subject("upload:abc:mnist-sample", "model.keras", None, None)  # no run: nothing on disk
    calls = []
    first = once(subj, "sweep", {"a": 1}, lambda key: calls.append(key) or {"x": np.ones(2)})
    again = once(subj, "sweep", {"a": 1}, lambda key: calls.append(key) or {"x": np.zeros(2)})
    assert calls == [None] and again is first and known(subj, "sweep", {"a": 1})
    assert not known(subj, "sweep", {"a": 2})
