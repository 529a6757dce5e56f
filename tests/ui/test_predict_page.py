"""The Predict page through AppTest (the real app.py router) over real trained runs.

A drawing is injected the honest way: the canvas component's value is put in session state under its key
(`cnnlab.ui.predict.draw.canvas_key()`), in the exact shape the browser sends, so the real component call and
its PNG decoding run and the page runs as it does after a real stroke (see cnnlab/ui/predict/draw.py). A photo
reaches the webcam tab through AppTest's own `camera_input`.
"""

from __future__ import annotations

import base64
import io

import hostile
import keras
import numpy as np
import pytest
from drawing import digit_canvases, paper_photo
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnlab import demo
from cnnlab.data.datasets import load_dataset
from cnnlab.data.images import load_image
from cnnlab.data.preprocess import canvas_to_mnist, photo_steps
from cnnlab.inspection.forward import predictor
from cnnlab.inspection.photos import PHOTO_CLASSES, PHOTO_WEIGHTS, photo_status
from cnnlab.inspection.prediction import image_for_model, top_k
from cnnlab.runs import jobs
from cnnlab.runs import store as rs
from cnnlab.runs.store import RunStore
from cnnlab.train import drawings as drawings_
from cnnlab.train.config import TrainConfig
from cnnlab.train.finetune import finetune_drawings
from conftest import open_app

pytestmark = pytest.mark.timeout(300)


def canvas_value(rgba: np.ndarray | None, final: bool = True) -> dict:
    """What the canvas component sends: the canvas as a PNG data URL, and whether the pen is up (final) or a
    stroke is still going on."""
    if rgba is None:
        return {"drawing": {"png": None, "final": True, "strokes": 0}}
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"png": url, "final": final, "strokes": 1}}


def open_predict(lang: str = "en", canvas: np.ndarray | None = None, final: bool = True, **state) -> AppTest:
    drawn = {} if canvas is None else {"predict_canvas_0": canvas_value(canvas, final)}
    at = open_app("pages/predict.py", lang, page_state=drawn, **state)
    assert not at.error, [e.value for e in at.error]
    return at


def end_run(run_id: str) -> None:
    """Teardown for a run a test started through the page: ask it to stop, and end its worker (started by this
    test) at once rather than after TensorFlow has loaded."""
    import os
    import signal

    run = jobs.stop_run(run_id)
    if run.pid and jobs.pid_alive(run.pid):
        os.kill(run.pid, signal.SIGKILL)
    assert jobs.wait_for(run_id, timeout=120).status in rs.TERMINAL


def image_captions(at: AppTest) -> list[str]:
    return [c for image in at.get("image") for c in image.captions]


def model_of(run_id: str):
    return keras.saving.load_model(RunStore().get_run(run_id).best_model, compile=False)


def test_a_drawing_is_predicted_with_steps_probabilities_gradcam_and_feature_maps(finetuned):
    _, base, _ = finetuned
    canvas = digit_canvases(1, seed=11)[0][0]
    at = open_predict(canvas=canvas, run_id=base)
    expected = predictor(model_of(base)).predict_one(canvas_to_mnist(canvas))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Prediction"] == str(int(expected.argmax()))
    assert metrics["Confidence"] == f"{expected.max():.1%}"
    captions = image_captions(at)
    assert {"drawn", "cropped", "20×20", "centred 28×28"} <= set(captions)
    assert any(c.startswith("conv2d") and "6 maps of 24×24" in c for c in captions)
    assert len(at.get("image")) >= 4 + 1 + 2  # four steps, Grad-CAM, two conv layers
    chart = at.get("plotly_chart")[0].proto.spec
    assert '"type":"bar"' in chart.replace(" ", "")
    drawn = at.session_state["drawn_digit"]  # for the Inspect page
    assert drawn.shape == (28, 28) and drawn.dtype == np.float32
    np.testing.assert_array_equal(drawn, canvas_to_mnist(canvas))
    assert any(f"`{base}`" in c.value for c in at.caption)  # the run in use is named


def test_while_a_stroke_goes_on_only_the_steps_and_probabilities_show(finetuned):
    _, base, _ = finetuned
    canvas = digit_canvases(1, seed=11)[0][0]
    at = open_predict(canvas=canvas, final=False, run_id=base)
    expected = predictor(model_of(base)).predict_one(canvas_to_mnist(canvas))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Prediction"] == str(int(expected.argmax()))
    assert metrics["Confidence"] == f"{expected.max():.1%}"
    assert at.get("plotly_chart") and {"drawn", "centred 28×28"} <= set(image_captions(at))
    assert not any("maps of" in c for c in image_captions(at))  # the feature maps wait for the lifted pen
    live_images = len(at.get("image"))
    assert any(c.value.startswith("Drawing… Grad-CAM") for c in at.caption)
    assert not [m for m in at.markdown if "Grad-CAM" in m.value or "Teach it" in m.value]
    assert "drawn_digit" not in at.session_state  # the Inspect page gets finished drawings only

    at.session_state["predict_canvas_0"] = canvas_value(canvas, final=True)  # the pen is lifted
    at.run()
    assert any("Grad-CAM: where it looked" in m.value for m in at.markdown)
    # Grad-CAM, two convolutions' feature maps, and the "Why / what if" box's transformed input
    assert len(at.get("image")) == live_images + 1 + 2 + 1
    assert "drawn_digit" in at.session_state


def test_a_broken_canvas_value_is_a_sentence_not_a_traceback(finetuned):
    value = {"drawing": {"png": "data:image/png;base64," + base64.b64encode(b"not a png").decode(), "final": True}}
    at = open_app("pages/predict.py", run_id=finetuned.base, page_state={"predict_canvas_0": value})
    assert any(e.value.startswith("Can't use this image:") for e in at.error)
    assert not at.metric


def test_the_webcam_tab_classifies_a_photo_of_a_handwritten_digit(finetuned):
    _, base, _ = finetuned
    digit = load_dataset("mnist-sample").x_test[10][..., 0]
    jpeg = paper_photo(digit, np.random.default_rng(10))  # dark ink on light paper, a lamp on the right, noise
    at = open_predict(run_id=base)
    assert any("No photo yet" in i.value for i in at.info)
    at.camera_input(key="predict_webcam").set_value(("photo.jpg", jpeg, "image/jpeg")).run()
    assert not at.exception and not at.error
    captions = image_captions(at)
    first = captions.index("photo")  # after the Draw tab's "My drawings"
    assert captions[first : first + 5] == ["photo", "light evened", "cropped", "20×20", "centred 28×28"]
    expected = predictor(model_of(base)).predict_one(photo_steps(load_image(jpeg, mode="L")).centred)
    metrics = {m.label: m.value for m in at.metric}  # the Draw tab is empty: these are the photo's
    assert metrics["Prediction"] == str(int(expected.argmax()))
    assert metrics["Confidence"] == f"{expected.max():.1%}"
    assert any("Grad-CAM: where it looked" in m.value for m in at.markdown)

    at.camera_input(key="predict_webcam").set_value(("blank.jpg", paper_photo(None, np.random.default_rng(1)),
                                                     "image/jpeg")).run()  # fmt: skip
    assert any("no ink stands out from the paper" in w.value for w in at.warning)
    assert not at.metric


def test_empty_canvas_and_a_dot_say_nothing_to_recognise(finetuned):
    _, base, _ = finetuned
    at = open_predict(run_id=base)
    assert any("Nothing to recognise yet" in i.value for i in at.info)
    assert not at.metric
    dot = np.zeros((280, 280, 4), np.uint8)
    dot[..., 3] = 255
    dot[100:106, 140:146, :3] = 255
    at = open_predict(canvas=dot, run_id=base)
    assert any("only a dot" in w.value for w in at.warning)
    assert not at.metric and "drawn_digit" not in at.session_state


def test_teaching_saves_the_drawing_and_fine_tunes_a_new_run(finetuned):
    _, base, _ = finetuned
    canvas = digit_canvases(2, seed=12)[0][1]
    at = open_predict(canvas=canvas, run_id=base)
    before = len(drawings_.load_drawings("mnist-sample"))
    at.selectbox(key="predict_label").set_value(4).run()
    at.button(key="predict_add").click().run()
    assert not at.exception
    drawings = drawings_.load_drawings("mnist-sample")
    assert len(drawings) == before + 1 and drawings.y[-1] == 4
    np.testing.assert_array_equal(drawings.x[-1][..., 0], drawings_.to_uint8(canvas_to_mnist(canvas))[..., 0])
    assert at.session_state["predict_canvas_n"] == 1  # a fresh canvas for the next drawing
    assert any("Saved as “4”" in s.value for s in at.success)
    assert any(f"My drawings ({before + 1})" in h.value for h in at.subheader)

    at.button(key="predict_finetune_go").click().run()
    assert not at.exception
    new = next(r.id for r in RunStore().list_runs() if r.parent == base and r.status in rs.ACTIVE)
    try:
        run = RunStore().get_run(new)
        assert run.parent == base and run.name == "tiny lenet + my drawings"
        assert finetune_drawings(run)[1].tolist() == drawings.y.tolist()
        assert any("in the background" in m.value for m in at.markdown)
    finally:
        end_run(new)


def test_a_fine_tuned_run_shows_before_and_after_for_the_drawings(finetuned):
    at = open_predict(run_id=finetuned.tuned)
    assert any("before and after fine-tuning" in h.value for h in at.subheader)
    summary = next(c.value for c in at.caption if c.value.startswith("Before:"))
    assert "of 3 right" in summary
    assert sum("→" in c for c in image_captions(at)) == 3


def test_uploads_predict_good_files_and_give_each_bad_file_its_own_error(finetuned):
    _, base, _ = finetuned
    canvas = digit_canvases(1, seed=13)[0][0]
    paper = 255 - canvas[..., 0]  # a dark digit on white paper
    good = hostile.encode(Image.fromarray(paper).resize((500, 500)), "JPEG")
    at = open_predict(run_id=base)
    at.file_uploader(key="predict_upload").set_value([
        ("digit.jpg", good, "image/jpeg"),
        ("cut.png", hostile.truncated_png(), "image/png"),
        ("fake.png", hostile.tiff_bytes(), "image/png"),
        ("blank.png", hostile.gray_png(255, (64, 64)), "image/png"),
        ("digit-again.webp", hostile.encode(Image.fromarray(paper), "WEBP", lossless=True), "image/webp"),
    ]).run()  # fmt: skip
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 3
    assert any("cut.png" in e and "truncated" in e for e in errors)
    assert any("fake.png is a TIFF image" in e for e in errors)
    assert any("blank.png: nothing to recognise" in e for e in errors)
    captions = image_captions(at)
    assert "digit.jpg" in captions and "digit-again.webp" in captions
    probs = predictor(model_of(base)).predict_one(image_for_model(good, (28, 28, 1)))
    expected = top_k(probs, "0123456789")
    tops = [m.value for m in at.markdown if " · " in m.value]
    assert len(tops) == 2 and tops[0].startswith(f"**{expected[0][1]}**")
    assert len(tops[0].split("\n")) == 3  # top-3


def test_demo_quota_limits_uploads(finetuned, monkeypatch):
    _, base, _ = finetuned
    monkeypatch.setenv("CNNLAB_DEMO", "1")
    at = open_predict(run_id=base, demo_quota=demo.SessionQuota(max_uploads=1))
    at.file_uploader(key="predict_upload").set_value([
        ("a.png", hostile.gray_png(255, (32, 32)), "image/png"),
        ("b.png", hostile.gray_png(255, (32, 32)), "image/png"),
    ]).run()  # fmt: skip
    errors = [e.value for e in at.error]
    assert any("b.png" in e and "demo limit" in e for e in errors)


def test_demo_mode_locks_fine_tuning(finetuned, monkeypatch):
    _, base, _ = finetuned
    monkeypatch.setenv("CNNLAB_DEMO", "1")
    monkeypatch.setenv("CNNLAB_DEMO_PASSWORD", "s3cret")
    runs_before = len(RunStore().list_runs())
    at = open_predict(run_id=base)
    at.button(key="predict_finetune_go").click().run()
    assert any("only the presenter" in i.value for i in at.info)
    assert len(RunStore().list_runs()) == runs_before


def test_photos_tab_says_how_to_enable_mobilenet_offline(finetuned):
    at = open_predict(run_id=finetuned.base)
    message = next(i.value for i in at.info if "Photo recognition is off" in i.value)
    assert PHOTO_WEIGHTS in message and PHOTO_CLASSES in message
    folder = photo_status().folder
    assert f"…/{folder.parent.name}/{folder.name}" in message and str(folder) not in message  # not a server path


def test_predict_page_in_chinese(finetuned):
    canvas = digit_canvases(1, seed=11)[0][0]
    at = open_predict(lang="zh", canvas=canvas, run_id=finetuned.base)
    assert at.title[0].value == "预测"
    assert {m.label for m in at.metric} == {"预测结果", "置信度"}
    assert "居中 28×28" in image_captions(at)
    assert any("摄像头" in tab.label for tab in at.tabs)
    assert any("没有可识别" in i.value or "照片识别未启用" in i.value for i in at.info)


def test_without_a_model_the_page_offers_the_default_recipe_and_shows_its_progress():
    at = open_predict()
    assert any("no trained model yet" in i.value for i in at.info)
    button = next(b for b in at.button if b.label == "Train LeNet-5 (default recipe)")
    button.click().run()
    assert not at.exception
    run_id = at.session_state["predict_default_run"]
    try:
        run = RunStore().get_run(run_id)
        assert run.name == "LeNet-5 default recipe" and run.arch["name"] == "lenet5"
        recipe = TrainConfig()  # the default recipe, untouched
        assert run.dataset == "mnist-sample" and run.config["epochs"] == recipe.epochs
        assert run.config["learning_rate"] == recipe.learning_rate and run.config["schedule"] == recipe.schedule
        assert any("Training **LeNet-5 default recipe** in the background" in m.value for m in at.markdown)
        assert at.get("progress")
    finally:
        end_run(run_id)


def test_demo_mode_locks_training_the_default_recipe(monkeypatch):
    monkeypatch.setenv("CNNLAB_DEMO", "1")
    monkeypatch.setenv("CNNLAB_DEMO_PASSWORD", "s3cret")
    at = open_predict()
    next(b for b in at.button if b.label == "Train LeNet-5 (default recipe)").click().run()
    assert any("only the presenter" in i.value for i in at.info)
    assert RunStore().list_runs() == []


def test_with_no_run_picked_predict_takes_the_best_model_on_drawn_digits_and_says_so(finetuned):
    with RunStore() as store:
        figures = {r.id: r.final_metrics.get("drawn_accuracy") for r in store.list_runs()}
    best = max(figures, key=lambda k: figures[k] or -1)
    at = open_app("pages/predict.py")
    assert at.session_state["predict_run"] == best
    assert any("Chosen for you" in c.value for c in at.caption), [c.value for c in at.caption]


def test_a_label_that_contradicts_the_model_and_the_nearest_images_is_questioned_before_it_is_kept(finetuned):
    from cnnlab.inspection.neighbours import DOUBT_NEIGHBOURS, label_doubt, nearest, neighbour_index
    from cnnlab.runs.files import run_dataset

    _, base, _ = finetuned
    model = model_of(base)
    ds = run_dataset(RunStore().get_run(base))
    index = neighbour_index(model, ds.x_train, ds.y_train)
    canvases, _ = digit_canvases(30, seed=4)
    picked = None
    for canvas in canvases:  # a drawing the model is sure of, and a label the engine doubts
        x = canvas_to_mnist(canvas)
        probs = predictor(model).predict_one(x)
        wrong = (int(probs.argmax()) + 1) % 10
        if label_doubt(probs, wrong, nearest(model, x, index, k=DOUBT_NEIGHBOURS).labels):
            picked = canvas, int(probs.argmax()), wrong
            break
    assert picked, "no drawing of 30 the tiny model is sure of"
    canvas, says, wrong = picked
    at = open_predict(canvas=canvas, run_id=base)
    at.selectbox(key="predict_label").set_value(wrong).run()
    assert not at.exception
    doubts = [w.value for w in at.warning if "Are you sure" in w.value]
    assert len(doubts) == 1 and f"reads it as **{says}**" in doubts[0], [w.value for w in at.warning]
    assert not at.button(key="predict_add").disabled  # the user may still be right
    at.selectbox(key="predict_label").set_value(says).run()
    assert not any("Are you sure" in w.value for w in at.warning)  # the model's own answer is not questioned
    at = open_predict("zh", canvas=canvas, run_id=base)
    at.selectbox(key="predict_label").set_value(wrong).run()
    assert any(f"模型认为它是 **{says}**" in w.value for w in at.warning)


def test_where_averaging_over_shifts_paid_the_switch_offers_it_with_its_gain_and_the_answer_is_the_average(finetuned):
    from cnnlab.imaging import shift_averaged

    _, base, _ = finetuned
    with RunStore() as store:
        fm = store.get_run(base).final_metrics
        assert fm["drawn_accuracy_shifted"] is not None and fm["latency_shifted_ms"] > 0  # measured by the run
        paid = {**fm, "drawn_accuracy": 0.90, "drawn_accuracy_shifted": 0.92, "latency_ms": 0.5,
                "latency_shifted_ms": 1.5}  # fmt: skip
        store.update_run(base, final_metrics=paid)  # (figures set, so the test does not hang on what 2 epochs gave)
    canvas = digit_canvases(1, seed=5)[0][0]
    at = open_predict(canvas=canvas, run_id=base)
    switch = at.toggle(key=f"predict_shifts_{base}")
    assert switch.value is True and "+2.0 points on drawn digits, +1.0 ms" in switch.label
    x = canvas_to_mnist(canvas)
    averaged = shift_averaged(predictor(model_of(base)).predict, x[None])[0]
    shown = next(m.value for m in at.metric if m.label == "Confidence")
    assert shown == f"{averaged.max():.1%}"
    switch.set_value(False).run()
    plain = predictor(model_of(base)).predict_one(x)
    assert next(m.value for m in at.metric if m.label == "Confidence") == f"{plain.max():.1%}"
    with RunStore() as store:  # where averaging did not pay, nothing is offered
        store.update_run(base, final_metrics={**paid, "drawn_accuracy_shifted": 0.89})
    at = open_predict("zh", canvas=canvas, run_id=base)
    assert not [w for w in at.toggle if w.key == f"predict_shifts_{base}"]
