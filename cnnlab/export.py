"""Getting a run out of CNN Lab: SavedModel and TensorFlow Lite exports, metrics as CSV.

Exports are written next to the run's checkpoints (runs/<id>/exports/) and recorded as artifacts,
so the Runs page can show their sizes and offer them for download.
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnlab.errors import CnnLabError
from cnnlab.fsutil import atomic_write
from cnnlab.modelfiles import load_model
from cnnlab.runs.files import ModelMissing, run_dataset, run_model_path
from cnnlab.runs.store import RunStore


class ExportError(CnnLabError, RuntimeError):
    """An export that could not be made; the message says why."""


@dataclass
class ExportResult:
    kind: str  # "savedmodel" | "tflite"
    path: Path  # a .zip for SavedModel (a folder doesn't download), the .tflite file otherwise
    size: int
    test_accuracy: float | None = None  # TFLite: accuracy of the converted model on the run's test set
    keras_accuracy: float | None = None


def require_tensorflow(what: str) -> None:
    """SavedModel and TensorFlow Lite are TensorFlow formats: say so plainly, before any work, where TensorFlow is
    missing (a machine running Keras on JAX alone); the run's .keras checkpoint exports fine where it is installed."""
    from cnnlab.train.devices import keras_backend, tensorflow_available

    if not tensorflow_available():
        raise ExportError("engine.export.needs_tensorflow", what=what, backend=keras_backend())


def _model_file(store: RunStore, run_id: str) -> Path:
    try:
        return run_model_path(store, run_id)
    except ModelMissing as exc:
        raise ExportError(exc.key, **exc.values) from None


def export_savedmodel(store: RunStore, run_id: str) -> ExportResult:
    """A TensorFlow SavedModel of the run's best model, zipped for download."""
    require_tensorflow("SavedModel")
    model = load_model(_model_file(store, run_id))
    folder = store.run_dir(run_id) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "savedmodel"
    shutil.rmtree(target, ignore_errors=True)
    try:
        model.export(str(target), format="tf_saved_model", verbose=False)
    except Exception as exc:
        raise ExportError("engine.export.savedmodel_failed", detail=str(exc)) from exc

    def zip_into(tmp: Path) -> None:
        shutil.make_archive(str(tmp.with_suffix("")), "zip", target)  # make_archive adds ".zip": tmp's own name

    final = atomic_write(folder / "savedmodel.zip", zip_into)
    store.add_artifact(run_id, "savedmodel", final, replace_kind=True)
    return ExportResult("savedmodel", final, final.stat().st_size)


def tflite_bytes(model) -> bytes:
    """Convert a Keras model to a TensorFlow Lite flatbuffer (float32, no quantisation)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.convert()


def tflite_predict(content: bytes, x: np.ndarray, batch: int = 256) -> np.ndarray:
    """Run a TFLite model over float32 inputs in batches; returns its outputs."""
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(model_content=content)
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    results = []
    for start in range(0, len(x), batch):
        chunk = x[start : start + batch].astype(np.float32)
        interpreter.resize_tensor_input(inp["index"], list(chunk.shape))
        interpreter.allocate_tensors()
        interpreter.set_tensor(inp["index"], chunk)
        interpreter.invoke()
        results.append(interpreter.get_tensor(out["index"]).copy())
    return np.concatenate(results)


def export_tflite(store: RunStore, run_id: str) -> ExportResult:
    """A .tflite file of the run's best model, with its accuracy on the run's own test split."""
    from cnnlab.arch.build import to_model_input

    require_tensorflow("TensorFlow Lite")
    model = load_model(_model_file(store, run_id))
    try:
        content = tflite_bytes(model)
    except Exception as exc:
        raise ExportError("engine.export.tflite_failed", detail=str(exc)) from exc
    final = atomic_write(store.run_dir(run_id) / "exports" / "model.tflite", lambda tmp: tmp.write_bytes(content))
    store.add_artifact(run_id, "tflite", final, replace_kind=True)

    run = store.get_run(run_id)
    ds = run_dataset(run)
    x = to_model_input(ds.x_test)
    lite = tflite_predict(content, x).argmax(axis=1)
    keras_pred = np.asarray(model.predict(x, batch_size=256, verbose=0)).argmax(axis=1)
    return ExportResult(
        "tflite",
        final,
        len(content),
        test_accuracy=float((lite == ds.y_test).mean()),
        keras_accuracy=float((keras_pred == ds.y_test).mean()),
    )
