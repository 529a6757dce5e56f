"""Getting a trained run out: SavedModel and TensorFlow Lite exports from the engine and from the Runs page."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnlab import export
from cnnlab.runs.files import run_model_path
from cnnlab.runs.store import RunStore

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def test_savedmodel_export_serves_the_same_predictions(tiny_run, tmp_path: Path) -> None:
    import keras
    import tensorflow as tf

    from cnnlab.data.datasets import load_dataset

    store = RunStore()
    result = export.export_savedmodel(store, tiny_run.run_id)
    assert result.path.name == "savedmodel.zip" and result.size == result.path.stat().st_size > 0
    assert store.artifact(tiny_run.run_id, "savedmodel").path == result.path
    with zipfile.ZipFile(result.path) as z:
        assert "saved_model.pb" in z.namelist()
        z.extractall(tmp_path / "sm")
    served = tf.saved_model.load(str(tmp_path / "sm"))
    x = load_dataset("mnist-sample").x_test[:32].astype("float32") / 255.0
    model = keras.saving.load_model(run_model_path(store, tiny_run.run_id), compile=False)
    np.testing.assert_allclose(np.asarray(served.serve(tf.constant(x))), model.predict(x, verbose=0), atol=1e-5)


def test_tflite_export_reports_its_test_accuracy(tiny_run) -> None:
    store = RunStore()
    result = export.export_tflite(store, tiny_run.run_id)
    assert result.path.suffix == ".tflite" and result.size == result.path.stat().st_size > 0
    assert 0.3 < result.test_accuracy <= 1.0  # a trained model on 1,000 real test digits, not chance (0.1)
    assert abs(result.test_accuracy - result.keras_accuracy) <= 0.002  # float32 conversion: same answers
    assert store.artifact(tiny_run.run_id, "tflite").size == result.size


def test_export_without_a_checkpoint_is_a_sentence(home_with_data) -> None:
    store = RunStore()
    run_id = store.create_run(name="empty", arch={"name": "lenet5"}, dataset="mnist-sample", config={})
    with pytest.raises(export.ExportError, match="no saved model yet"):
        export.export_tflite(store, run_id)


def _runs_page_downloads(run_id: str) -> None:
    """The Runs page's download and export block for one run, as the page draws it."""
    from cnnlab.i18n import translator
    from cnnlab.runs.store import RunStore
    from cnnlab.ui import runs as _runfiles

    store = RunStore()
    _runfiles.run_downloads(store.get_run(run_id), store, translator("en"))


def test_runs_page_exports_show_sizes_accuracy_and_downloads(tiny_run) -> None:
    at = AppTest.from_function(_runs_page_downloads, args=(tiny_run.run_id,), default_timeout=240).run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert "Export SavedModel" in labels and "Export TensorFlow Lite" in labels
    assert any("tensorboard --logdir" in c.value for c in at.code)
    at.button(key="export_tflite").click().run()
    assert not at.exception
    success = " ".join(s.value for s in at.success)
    assert (
        "TFLite test accuracy" in success and "Keras model" in success
    )  # the converted model's test accuracy, next to Keras'
    at.button(key="export_savedmodel").click().run()
    assert not at.exception and not at.error
    captions = " ".join(c.value for c in at.caption)
    assert "model.tflite:" in captions and "savedmodel.zip:" in captions and "KB" in captions + "MB"
    downloads = at.get("download_button")
    assert len(downloads) == 5  # model, metrics, script, SavedModel, TFLite
