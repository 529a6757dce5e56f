"""The quantization lab: a run's model as TensorFlow Lite in float32, dynamic-range and full-integer int8, each
measured by running it.

    result = quantize_run(store, run_id)   # cached per checkpoint in runs/<id>/quantization.json
    result["variants"] -> [{"mode": "int8", "size_bytes": ..., "test_accuracy": ..., "latency_ms": ...,
                            "confusion": [[...]]}, ...]
    result["weights"]  -> the first convolution's kernel before and after int8 (histograms, largest error)

Full-integer int8 calibrates its activation ranges on a representative set drawn from the training split (never
the test split the accuracy is measured on); its inputs and outputs are int8 too, so the accuracy here is what an
int8-only device gets. TensorFlow Lite is a TensorFlow format: without TensorFlow (Keras on JAX) it is one
sentence (`engine.export.needs_tensorflow`).
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from cnnlab.export import ExportError, require_tensorflow
from cnnlab.fsutil import atomic_write
from cnnlab.metrics import confusion_matrix
from cnnlab.modelfiles import load_model
from cnnlab.runs.files import ModelMissing, run_dataset, run_model_path
from cnnlab.runs.store import RunStore

MODES = ("float32", "dynamic", "int8")
REPRESENTATIVE = 256  # training images that calibrate int8's activation ranges
LATENCY_REPEATS = 30  # batch-1 invocations timed (median), after one warm-up
BINS = 41
VERSION = 1  # of the result's layout: a change measures again
FILE = "quantization.json"


def convert(model: Any, mode: str, representative: np.ndarray | None = None) -> bytes:
    """The model as a TFLite flatbuffer: float32, dynamic-range (int8 weights, float activations) or full-integer
    int8 (weights, activations, input and output; `representative`: float32 [0, 1] images to calibrate on)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode in ("dynamic", "int8"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "int8":
        samples = np.asarray(representative, np.float32)
        converter.representative_dataset = lambda: ([samples[i : i + 1]] for i in range(len(samples)))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):  # Keras prints where it saved
        warnings.simplefilter("ignore")
        return converter.convert()


def _interpreter(content: bytes) -> Any:
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(model_content=content)
    interpreter.allocate_tensors()
    return interpreter


def _to_input(x: np.ndarray, detail: dict) -> np.ndarray:
    """Float [0, 1] images in the model's input type (int8: through its scale and zero point)."""
    if detail["dtype"] == np.float32:
        return x.astype(np.float32)
    scale, zero = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(x / scale + zero), info.min, info.max).astype(detail["dtype"])


def _from_output(y: np.ndarray, detail: dict) -> np.ndarray:
    if detail["dtype"] == np.float32:
        return y
    scale, zero = detail["quantization"]
    return (y.astype(np.float32) - zero) * scale


def lite_predict(content: bytes, x: np.ndarray, batch: int = 256) -> np.ndarray:
    """Class probabilities of a TFLite model (any of MODES) for float32 [0, 1] images, in batches."""
    interpreter = _interpreter(content)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    parts = []
    for start in range(0, len(x), batch):
        chunk = _to_input(np.asarray(x[start : start + batch], np.float32), inp)
        interpreter.resize_tensor_input(inp["index"], list(chunk.shape))
        interpreter.allocate_tensors()
        interpreter.set_tensor(inp["index"], chunk)
        interpreter.invoke()
        parts.append(_from_output(interpreter.get_tensor(out["index"]).copy(), out))
    return np.concatenate(parts)


def lite_latency_ms(content: bytes, one: np.ndarray, repeats: int = LATENCY_REPEATS) -> float:
    """Median time to classify one image (batch 1, warm) with the TFLite interpreter, in ms."""
    interpreter = _interpreter(content)
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], [1, *one.shape[1:]])
    interpreter.allocate_tensors()
    x = _to_input(np.asarray(one[:1], np.float32), inp)
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000)


def int8_kernel(content: bytes, kernel: np.ndarray) -> np.ndarray | None:
    """A Keras conv kernel (h, w, in, out) as the int8 model stores it, dequantized back to floats in Keras'
    layout; None when the model holds no int8 tensor of that shape (TFLite keeps conv kernels as (out, h, w, in))."""
    interpreter = _interpreter(content)
    want = (kernel.shape[3], kernel.shape[0], kernel.shape[1], kernel.shape[2])
    for detail in interpreter.get_tensor_details():
        q = detail["quantization_parameters"]
        if detail["dtype"] != np.int8 or tuple(detail["shape"]) != want or not len(q["scales"]):
            continue
        try:
            values = interpreter.get_tensor(detail["index"]).astype(np.float32)
        except ValueError:
            continue  # an activation, not a constant
        shape = [1] * values.ndim
        shape[q["quantized_dimension"]] = -1
        scales = np.asarray(q["scales"], np.float32).reshape(shape)
        zeros = np.asarray(q["zero_points"], np.float32).reshape(shape)
        return np.transpose((values - zeros) * scales, (1, 2, 3, 0))
    return None


def _first_conv_kernel(model: Any) -> tuple[str, np.ndarray] | None:
    for layer in model.layers:
        weights = layer.get_weights()
        if weights and weights[0].ndim == 4:
            return layer.name, np.asarray(weights[0], np.float32)
    return None


def _weights(model: Any, int8: bytes) -> dict[str, Any] | None:
    """The first convolution's kernel as trained and as int8 stores it: histograms on the same bins."""
    found = _first_conv_kernel(model)
    if found is None:
        return None
    name, kernel = found
    after = int8_kernel(int8, kernel)
    if after is None:
        return None
    edges = np.linspace(float(kernel.min()), float(kernel.max()), BINS + 1)
    return {
        "layer": name,
        "edges": edges.tolist(),
        "float32": np.histogram(kernel, edges)[0].tolist(),
        "int8": np.histogram(np.clip(after, edges[0], edges[-1]), edges)[0].tolist(),
        "distinct_float32": int(np.unique(kernel).size),
        "distinct_int8": int(np.unique(after).size),
        "max_abs_error": float(np.abs(after - kernel).max()),
    }


def _stamp(model_path: Any) -> dict[str, Any]:
    """What a kept result was measured on: the checkpoint file's version and this module's result layout."""
    return {"checkpoint": model_path.stat().st_mtime_ns, "version": VERSION}


def _cached(path, stamp: dict[str, Any]) -> dict[str, Any] | None:
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and result.get("stamp") == stamp else None


def stored_result(store: RunStore, run_id: str) -> dict[str, Any] | None:
    """The lab's result for the run's current checkpoint if it was measured already (no TensorFlow needed)."""
    try:
        model_path = run_model_path(store, run_id)
    except ModelMissing:
        return None
    return _cached(store.run_dir(run_id) / FILE, _stamp(model_path))


def quantize_run(
    store: RunStore, run_id: str, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Every variant of MODES converted, run on the run's own test split and timed; kept per checkpoint."""
    from cnnlab.arch.build import to_model_input

    require_tensorflow("TensorFlow Lite")
    try:
        model_path = run_model_path(store, run_id)
    except ModelMissing as exc:
        raise ExportError(exc.key, **exc.values) from None
    stamp = _stamp(model_path)
    target = store.run_dir(run_id) / FILE
    if (cached := _cached(target, stamp)) is not None:
        return cached
    run = store.get_run(run_id)
    ds = run_dataset(run)
    model = load_model(model_path)
    x_test = to_model_input(ds.x_test)
    pick = np.random.default_rng(run.seed).permutation(len(ds.x_train))[:REPRESENTATIVE]
    representative = to_model_input(ds.x_train[pick])
    classes = int(model.outputs[0].shape[-1])
    variants, contents = [], {}
    for n, mode in enumerate(MODES):
        if progress is not None:
            progress(n, len(MODES))
        try:
            contents[mode] = content = convert(model, mode, representative)
        except Exception as exc:  # (the converter's own failure, said with its detail)
            raise ExportError("engine.export.tflite_failed", detail=str(exc)) from exc
        predicted = lite_predict(content, x_test).argmax(axis=1)
        variants.append({
            "mode": mode,
            "size_bytes": len(content),
            "test_accuracy": float((predicted == ds.y_test).mean()),
            "latency_ms": lite_latency_ms(content, x_test[:1]),
            "confusion": confusion_matrix(ds.y_test, predicted, classes).tolist(),
        })  # fmt: skip
    if progress is not None:
        progress(len(MODES), len(MODES))
    result = {
        "stamp": stamp,
        "run_id": run_id,
        "n_test": len(ds.y_test),
        "representative": len(pick),
        "class_names": [str(c) for c in ds.class_names],
        "variants": variants,
        "weights": _weights(model, contents["int8"]),
    }
    atomic_write(target, lambda tmp: tmp.write_text(json.dumps(result)))
    return result
