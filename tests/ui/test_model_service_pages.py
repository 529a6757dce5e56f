"""Predict and Inspect ask the model service for every answer: the web server itself never loads TensorFlow,
Keras or h5py, even after a drawing was predicted, every Inspect tab was drawn, a model file was uploaded and a
run was exported to TensorFlow Lite.

Run in a fresh Python (the test process has Keras loaded by other tests): the real app.py router through AppTest,
over the tiny run's real checkpoint, with the canvas value injected as the browser sends it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SCRIPT = r"""
import base64, io, json, os, sys
sys.path[:0] = [os.getcwd(), os.path.join(os.getcwd(), "tests")]
from drawing import digit_canvases
from PIL import Image
from streamlit.testing.v1 import AppTest
from cnnlab.i18n import t

run_id, model_file = sys.argv[1], sys.argv[2]
canvas = digit_canvases(1, seed=11)[0][0]
buf = io.BytesIO(); Image.fromarray(canvas).save(buf, "PNG")
drawing = {"drawing": {"png": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(),
                       "final": True, "strokes": 1}}
out = {}
at = AppTest.from_file(os.path.join(os.getcwd(), "app.py"), default_timeout=300)
at.session_state["run_id"] = run_id
at.run()
at.switch_page("pages/predict.py")
at.session_state["predict_canvas_0"] = drawing
at.run()
assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
out["prediction"] = {m.label: m.value for m in at.metric}
out["predict_images"] = len(at.get("image"))
out["predict_captions"] = [c for image in at.get("image") for c in image.captions]
out["tabs"] = {}
for tab in ("fm", "filters", "cam", "eval", "step", "emb"):
    page = AppTest.from_file(os.path.join(os.getcwd(), "app.py"), default_timeout=300)
    page.session_state["run_id"] = run_id
    page.session_state["insp_tab"] = t(f"inspect.tab.{tab}")
    page.run(); page.switch_page("pages/inspect.py"); page.run()
    assert not page.exception and not page.error, (tab, page.exception, [e.value for e in page.error])
    out["tabs"][tab] = len(page.get("image")) + len(page.get("plotly_chart"))
page = AppTest.from_file(os.path.join(os.getcwd(), "app.py"), default_timeout=300)
page.session_state["run_id"] = run_id
page.session_state["insp_source"] = "upload"
page.session_state["insp_tab"] = t("inspect.tab.eval")
page.run(); page.switch_page("pages/inspect.py"); page.run()
payload = open(model_file, "rb").read()
page.file_uploader(key="insp_model_file").set_value(("mine.h5", payload, "application/octet-stream")).run()
assert not page.exception and not page.error, (page.exception, [e.value for e in page.error])
out["upload"] = [s.value for s in page.success]
out["upload_metrics"] = {m.label: m.value for m in page.metric}


def runs_block(run_id):
    from cnnlab.i18n import translator
    from cnnlab.runs.store import RunStore
    from cnnlab.ui import runs as runs_ui

    store = RunStore()
    runs_ui.run_downloads(store.get_run(run_id), store, translator("en"))


exports = AppTest.from_function(runs_block, args=(run_id,), default_timeout=300).run()
exports.button(key="export_tflite").click().run()
assert not exports.exception and not exports.error, (exports.exception, [e.value for e in exports.error])
out["export"] = [s.value for s in exports.success]
out["loaded"] = sorted(m for m in ("tensorflow", "keras", "h5py", "jax", "torch") if m in sys.modules)
print("RESULT " + json.dumps(out))
"""


def test_predict_and_inspect_run_every_model_in_the_service_never_in_the_server(tiny_run, tmp_path):
    import keras
    import numpy as np
    from drawing import digit_canvases

    from cnnlab.data.preprocess import canvas_to_mnist
    from cnnlab.inspection.forward import predictor
    from cnnlab.runs.store import RunStore

    run = RunStore().get_run(tiny_run.run_id)
    model = keras.saving.load_model(run.best_model, compile=False)
    h5 = tmp_path / "mine.h5"
    model.save(h5)  # the legacy HDF5 format: reading it needs h5py, which only the child and the service import
    visit = tmp_path / "visit.py"
    visit.write_text(SCRIPT)  # a file, not -c: AppTest.from_function reads its function's source
    done = subprocess.run([sys.executable, str(visit), tiny_run.run_id, str(h5)], capture_output=True, text=True,
                          timeout=540, cwd=ROOT, check=False)  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["loaded"] == []  # the server process stayed free of TensorFlow, Keras and h5py
    expected = predictor(model).predict_one(canvas_to_mnist(digit_canvases(1, seed=11)[0][0]))
    assert out["prediction"]["Prediction"] == str(int(np.argmax(expected)))
    assert out["prediction"]["Confidence"] == f"{expected.max():.1%}"
    assert out["predict_images"] >= 1 + 1 + 2  # the steps (one row), Grad-CAM and two layers of feature maps
    assert {"drawn", "cropped", "20×20", "centred 28×28"} <= set(out["predict_captions"])
    assert sum("maps of" in c for c in out["predict_captions"]) == 2
    assert all(count > 0 for count in out["tabs"].values()), out["tabs"]
    assert any("Loaded **mine.h5**" in s for s in out["upload"]), out["upload"]
    assert "Test accuracy" in out["upload_metrics"]
    assert any("TFLite test accuracy" in s for s in out["export"]), out["export"]  # converted in the service


def test_thirty_visitors_opening_inspect_on_one_run_ask_the_service_for_its_figures_once(tiny_run):
    """Inspect's figures are built once per checkpoint and input, not per visitor: a second session opening the same
    run's feature maps and Grad-CAM gets them without a request to the model service."""
    from cnnlab.i18n import t
    from cnnlab.inspection.service import default_service
    from conftest import open_app

    def visit(tab: str) -> None:
        at = open_app("pages/inspect.py", timeout=300, run_id=tiny_run.run_id, insp_tab=t(f"inspect.tab.{tab}"))
        assert not at.error and at.get("image")

    for tab in ("fm", "cam"):
        visit(tab)  # the first visitor: the service computes
        before = default_service().stats()["calls"]
        visit(tab)  # a second visitor, a session of its own
        visit(tab)
        after = default_service().stats()["calls"]
        asked = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
        assert asked == {}, asked  # nothing was computed again for them
