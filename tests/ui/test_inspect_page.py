"""Inspect page through AppTest (the real app.py router) over a run trained by the real engine, and over an
uploaded model file; every tab, the input picker, the confusion-matrix gallery, demo lock and refusals."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnlab.data.datasets import load_dataset
from cnnlab.i18n import t as tr
from cnnlab.imaging import ImagingError, diverging, enlarge, mosaic
from cnnlab.runs.store import RunStore
from conftest import ROOT, open_app

TABS = ("fm", "filters", "cam", "step", "eval", "emb")


def open_inspect(tab: str = "fm", lang: str = "en", **state) -> AppTest:
    at = open_app("pages/inspect.py", lang, timeout=180, **{"insp_tab": tr(f"inspect.tab.{tab}", lang), **state})
    assert not at.error, [e.value for e in at.error]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [i.value for i in at.info] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_empty_state_points_to_train_and_needs_no_tensorflow():
    code = (
        "import sys; from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=120); at.run()\n"
        "at.switch_page('pages/inspect.py'); at.run(); assert not at.exception, at.exception\n"
        "print([i.value for i in at.info]); print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=True,
                         cwd=ROOT)  # fmt: skip
    lines = out.stdout.strip().splitlines()
    assert "No trained model yet" in lines[-2] and "Train page" in lines[-2]
    assert lines[-1] == "False False"  # the page stays light until there is a model to look at


def test_every_tab_explains_the_trained_run(tiny_run):
    run_id = tiny_run.run_id
    with RunStore() as store:
        run = store.get_run(run_id)
    for tab in TABS:
        state = {"insp_emb_method": "pca"} if tab == "emb" else {}  # t-SNE (the default) is tested on its own below
        at = open_inspect(tab, run_id=run_id, **state)
        body = texts(at)
        assert "Predicted **" in body and at.get("image")  # the input picker chose a test image and classified it
        if tab == "fm":
            assert "conv2d" in body and "24×24, 6 channels" in body and "8×8, 16 channels" in body
            tiles = [c for c in charts(at) if c["data"][0]["type"] == "heatmap"]
            assert len(tiles) >= 5  # four layers plus the larger single-channel view
        elif tab == "filters":
            heads = [s.value for s in at.subheader]
            assert heads[:1] == ["First-layer filters (conv2d_1)"] and "Deeper filters" in heads
            assert "How the first-layer filters changed during training" in heads
            assert "from epoch 0 (0 = before training) to epoch 2" in body  # the trainer's per-epoch snapshots
            assert len(at.get("image")) >= 1 + 1 + 3  # first layer, deeper grid, one strip per epoch
        elif tab == "cam":
            assert "Why **" in body and len(at.get("image")) >= 1 + 4
        elif tab == "step":
            assert "The layer really output" in body and ":material/check_circle:" in body  # recomputed = Keras
        elif tab == "eval":
            metrics = {m.label: m.value for m in at.metric}
            assert metrics["Test images"] == "1,000"
            # the reloaded test split and best model reproduce the trainer's own test accuracy
            assert metrics["Test accuracy"] == f"{run.final_metrics['test_accuracy']:.1%}"
            table = at.dataframe[0].value
            assert list(table["Class"]) == [str(i) for i in range(10)] and table["Test images"].sum() == 1000
            # per-class columns say what they are: precision, recall and F1 (no "accuracy" that is really recall)
            assert list(table.columns) == ["Class", "Test images", "Precision", "Recall", "F1 score"]
            assert "Per class: precision, recall and F1" in body
        else:
            assert "projected to 2-D with PCA" in body and "dense" in body
            scatter = charts(at)[-1]["data"]
            assert {tr_["name"] for tr_ in scatter} == {str(i) for i in range(10)}  # coloured by true class
            assert sum(len(tr_["customdata"]) for tr_ in scatter) == 1000  # every test image is a point


def keyed_block(at, key: str):
    """The AppTest block of `st.container(key=key)`."""
    from streamlit.runtime.state.common import user_key_from_element_id

    def walk(node):
        block_id = getattr(getattr(node, "proto", None), "id", "")
        if block_id and user_key_from_element_id(block_id) == key:
            return node
        for child in getattr(node, "children", {}).values():
            found = walk(child)
            if found is not None:
                return found
        return None

    found = walk(at._tree)
    assert found is not None, f"no container with key {key!r}"
    return found


def test_confusion_cell_gallery_and_sending_an_image_to_the_other_tabs(tiny_run):
    run_id = tiny_run.run_id
    at = open_inspect("eval", run_id=run_id)
    ds = load_dataset("mnist-sample")
    # the page opens on the most confused cell, so its gallery shows mistakes straight away
    true, pred = at.selectbox(key="insp_cm_true").value, at.selectbox(key="insp_cm_pred").value
    assert true != pred
    header = next(m.value for m in at.markdown if "taken for" in m.value)
    n = int(header.split(": ")[1].split(" ")[0])
    gallery = keyed_block(at, "insp_cell_gallery")  # the cell's own gallery (the page shows others below it)
    cell = [c.value for c in gallery.caption if c.value.startswith(":material/cancel: #")]
    assert all(f"{true} → {pred}" in c for c in cell)
    assert n > 0 and len(cell) == min(n, 16)
    indices = [int(c.split("#")[1].split(" ")[0]) for c in cell]
    assert all(ds.y_test[i] == true for i in indices)  # each shown image really is of the true class
    confidence = [int(c.rsplit("· ", 1)[1].rstrip("%")) for c in cell]  # in column order (4 columns)
    sizes = [len(range(k, len(cell), 4)) for k in range(4)]
    columns = [confidence[sum(sizes[:k]) : sum(sizes[: k + 1])] for k in range(4)]
    reading = [columns[i % 4][i // 4] for i in range(len(cell))]  # left to right, top to bottom
    assert reading == sorted(reading, reverse=True)  # surest mistakes first

    # choosing a cell by hand works too: the diagonal shows the correctly classified images
    at.selectbox(key="insp_cm_pred").set_value(true).run()
    assert any("recognised correctly" in m.value for m in at.markdown)
    assert any(c.value.startswith(":material/check_circle: #") for c in at.caption)

    # "Inspect" under a gallery image makes it the input of the other tabs
    at.selectbox(key="insp_cm_pred").set_value(pred).run()
    next(b for b in at.button if b.key == f"insp_cell_{indices[0]}").click().run()
    assert at.radio(key="insp_mode").value == "index"
    assert at.number_input(key="insp_idx").value == indices[0]
    assert f"but it is **{true}**" in texts(at)


def test_input_modes(tiny_run):
    run_id = tiny_run.run_id
    at = open_inspect("fm", run_id=run_id, insp_mode="mistake")
    assert "Misclassified images" in at.selectbox(key="insp_mistake").label
    assert "but it is" in texts(at)
    ds = load_dataset("mnist-sample")
    at = open_inspect("fm", run_id=run_id, insp_mode="index", insp_idx=5)
    assert at.number_input(key="insp_idx").value == 5
    assert f"it is **{ds.y_test[5]}**" in texts(at) or f"Predicted **{ds.y_test[5]}**" in texts(at)
    at = open_inspect("fm", run_id=run_id, insp_mode="random")
    assert 0 <= at.session_state["insp_rand"] < 1000 and "Predicted **" in texts(at)
    drawn = np.zeros((28, 28), np.float32)
    drawn[6:22, 13:16] = 1.0  # a "1" from the Predict page
    at = open_inspect("cam", run_id=run_id, insp_mode="drawn", drawn_digit=drawn)
    assert "Why **" in texts(at) and "true class" not in texts(at)  # no label for a drawing


def test_uploaded_image_goes_through_the_safe_loader(tiny_run):
    run_id = tiny_run.run_id
    at = open_inspect("fm", run_id=run_id, insp_mode="upload")
    digit = np.full((120, 90), 255, np.uint8)  # a photo-like dark "1" on white paper, not 28x28
    digit[20:100, 40:52] = 0
    png = io.BytesIO()
    Image.fromarray(digit).save(png, format="PNG")
    at.file_uploader(key="insp_image").set_value(("one.png", png.getvalue(), "image/png")).run()
    assert not at.exception and not at.error
    assert "Predicted **" in texts(at) and "but it is" not in texts(at)
    at.file_uploader(key="insp_image").set_value(("evil.png", b"GIF89a not really", "image/png")).run()
    assert not at.exception
    assert at.error and "can't be used" in at.error[0].value


def test_the_map_opens_on_tsne(tiny_run):
    """t-SNE shows the classes as clusters where PCA is a muddle: it is what the tab shows unless asked otherwise."""
    at = open_inspect("emb", run_id=tiny_run.run_id, insp_emb_n=120)
    assert "projected to 2-D with t-SNE" in texts(at)


def test_chinese(tiny_run):
    run_id = tiny_run.run_id
    # the open tab was remembered under its English label: switching language keeps the same tab open
    at = open_inspect("step", lang="zh", run_id=run_id, insp_tab="Step-through")
    assert at.title[0].value == "透视模型" and at.session_state["insp_tab"] == "逐步计算"
    assert "该层在" in texts(at) and "The layer really output" not in texts(at)
    at = open_inspect("eval", lang="zh", run_id=run_id)
    assert list(at.dataframe[0].value.columns) == ["类别", "测试图像数", "精确率", "召回率", "F1 分数"]
    assert "各类别的精确率、召回率与 F1" in texts(at)


def _model_bytes(run_id: str) -> bytes:
    from cnnlab.runs.files import run_model_path

    with RunStore() as store:
        return run_model_path(store, run_id).read_bytes()


def test_upload_a_model_file_and_inspect_it_on_a_dataset(tiny_run):
    run_id = tiny_run.run_id
    payload = _model_bytes(run_id)
    at = open_inspect("eval", run_id=run_id, insp_source="upload")
    at.file_uploader(key="insp_model_file").set_value(("mine.keras", payload, "application/octet-stream")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Loaded **mine.keras**" in s.value and "44,426 parameters" in s.value for s in at.success)
    assert at.selectbox(key="insp_upload_ds").value == "mnist-sample"
    metrics = {m.label: m.value for m in at.metric}
    run_metrics = open_inspect("eval", run_id=run_id).metric
    assert metrics["Test accuracy"] == {m.label: m.value for m in run_metrics}["Test accuracy"]  # the same model


def test_a_hostile_model_file_is_refused_with_a_message(tiny_run):
    run_id = tiny_run.run_id
    at = open_inspect("eval", run_id=run_id, insp_source="upload")
    at.file_uploader(key="insp_model_file").set_value(("evil.keras", b"PK\x03\x04 not a zip", "x")).run()
    assert not at.exception
    assert at.error and "evil.keras was not loaded" in at.error[0].value
    assert not at.metric  # nothing is inspected


def test_model_upload_is_locked_in_demo_mode(tiny_run, monkeypatch):
    run_id = tiny_run.run_id
    monkeypatch.setenv("CNNLAB_DEMO", "1")
    at = open_inspect("eval", run_id=run_id, insp_source="upload")
    assert any("only the presenter" in i.value for i in at.info)
    assert not at.file_uploader


def test_picture_helpers():
    tiles = np.stack([np.full((2, 3), v, np.float32) for v in (0.0, 0.5, 1.0)])
    grid = mosaic(tiles, columns=2, gap=1, fill=-1)
    assert grid.shape == (5, 7) and grid[0, 0] == 0.0 and grid[0, 4] == 0.5 and grid[3, 0] == 1.0
    assert grid[2, 0] == -1 and grid[0, 3] == -1  # the gaps
    rgb = diverging(np.array([0.0, 0.5, 1.0, np.nan]))
    assert tuple(rgb[1]) == (255, 255, 255)  # zero weight is white
    assert rgb[0][2] > rgb[0][0] and rgb[2][0] > rgb[2][2]  # negative blue, positive red
    assert enlarge(np.zeros((28, 28), np.uint8), 200).shape == (196, 196)  # whole-number, crisp
    with pytest.raises(ImagingError):
        mosaic(np.zeros((0, 2, 2)))
