"""Latency with LeNet-5 loaded: a drawing to a prediction, and all-layer feature maps for one image."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)
from cnnlab.bench.common import spread
from cnnlab.inspection.features import feature_mapper
from cnnlab.inspection.forward import predictor


def bench_latency(args: argparse.Namespace) -> dict[str, Any]:
    """Drawing -> prediction and all-layer feature maps for LeNet-5, warm and compiled, in this process."""
    import numpy as np

    from cnnlab.arch.build import build_model
    from cnnlab.arch.presets import preset
    from cnnlab.data.datasets import load_dataset
    from cnnlab.imaging import enlarge
    from cnnlab.inspection.features import feature_mapper

    ds = load_dataset("mnist-sample")
    model = build_model(preset("lenet5", ds.image_shape, ds.num_classes))  # timing does not depend on the weights
    digit = enlarge(ds.x_test[0], 280)  # a real test digit as a 280x280 white-on-black canvas
    canvas = np.concatenate([np.repeat(digit, 3, axis=2), np.full_like(digit, 255)], axis=2)
    image = ds.x_test[:1].astype("float32") / 255.0
    predict = time_prediction(model, canvas, repeats=args.repeats)
    maps = time_feature_maps(model, image, repeats=args.repeats)
    served = time_served_prediction(model, canvas, repeats=args.repeats)
    return {
        "model": "lenet5",
        "layers_mapped": len(feature_mapper(model).layers),
        "drawing_to_prediction_ms": spread([1000 * s for s in predict]),
        "served_drawing_to_prediction_ms": spread([1000 * s for s in served]),
        "feature_maps_all_layers_ms": spread([1000 * s for s in maps]),
        "goals_ms": {"drawing_to_prediction": 5.0, "feature_maps": 20.0},
    }


def print_latency(res: dict[str, Any]) -> None:
    print(f"\nlatency ({res['model']}, loaded and warm, one image; median of {res['drawing_to_prediction_ms']['n']})")
    for key, goal in (("drawing_to_prediction", 5.0), ("served_drawing_to_prediction", 5.0),
                      ("feature_maps_all_layers", 20.0)):
        s = res[f"{key}_ms"]
        print(f"  {key:30} {s['median']:6.2f} ms  (quartiles {s['q1']:.2f}-{s['q3']:.2f}; goal < {goal:g} ms)")


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(max(1, int(repeats))):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def time_feature_maps(model: Any, x: Any, repeats: int = 50) -> list[float]:
    """Seconds per call of all-layer feature maps for one image (compiled; warm-up calls not counted)."""
    mapper = feature_mapper(model)
    return timed(lambda: mapper(x), repeats)


def time_prediction(model: Any, canvas: np.ndarray, repeats: int = 50) -> list[float]:
    """Seconds per call of drawing -> `canvas_to_mnist` -> compiled prediction (warm-up calls not counted)."""
    from cnnlab.data.preprocess import canvas_to_mnist

    pred = predictor(model)
    return timed(lambda: pred.predict(canvas_to_mnist(canvas)), repeats)


def time_served_prediction(model: Any, canvas: np.ndarray, repeats: int = 50) -> list[float]:
    """The same, the way the pages predict: `canvas_to_mnist` here, the model in the model service (a process of
    its own, asked over a local socket). Its start and the model's loading are not counted."""
    import tempfile
    from pathlib import Path

    from cnnlab.data.preprocess import canvas_to_mnist
    from cnnlab.inspection.service import ModelHandle, ModelService

    service = ModelService()
    with tempfile.TemporaryDirectory(prefix="cnnlab-latency-") as folder:
        path = Path(folder) / "lenet5.keras"
        model.save(path)
        try:
            handle = ModelHandle(path, service)
            return timed(lambda: handle.predict_one(canvas_to_mnist(canvas)), repeats)
        finally:
            service.stop()
