"""Probing a trained LeNet-5: a slider update (transform + every class's probability), the smallest flipping FGSM
epsilon, one layer's activation maximisation, a robustness sweep over the test split, and nearest training images."""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Any

import numpy as np

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)
from cnnlab.bench.common import spread
from cnnlab.bench.latency import timed

GOALS = {"slider_update_ms": 100.0, "activation_max_s": 5.0}


def _trained_lenet(ds: Any, samples: int) -> Any:
    """LeNet-5 trained for one epoch: attacks and neighbours behave as on a real model (timing barely depends on it)."""
    import keras

    from cnnlab.arch.build import build_model, to_model_input
    from cnnlab.arch.presets import preset

    keras.utils.set_random_seed(0)
    model = build_model(preset("lenet5", ds.image_shape, ds.num_classes))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(to_model_input(ds.x_train[:samples]), ds.y_train[:samples], epochs=1, batch_size=64, verbose=0)
    return model


def _slider_moves() -> itertools.cycle:
    """What dragging sliders sends: rotation swept back and forth, with thickness, noise and a patch switched on."""
    from cnnlab.inspection.perturb import Transform

    moves = [Transform(rotation=a, shift_x=a / 15, thickness=(a // 15) % 3 - 1) for a in range(-45, 46, 3)]
    moves += [Transform(rotation=a, noise=0.1, seed=a + 45, occlusion=(14, 14, 6)) for a in range(45, -46, -3)]
    return itertools.cycle(moves)


def _correct_image(model: Any, ds: Any) -> np.ndarray:
    from cnnlab.inspection.forward import predictor

    probs = predictor(model).predict(ds.x_test[:100])
    hits = np.flatnonzero(probs.argmax(axis=1) == ds.y_test[:100])
    return ds.x_test[int(hits[0]) if len(hits) else 0].astype(np.float32) / 255.0


def bench_probe(args: argparse.Namespace) -> dict[str, Any]:
    """Every probe a page calls, on a loaded, warm LeNet-5, in this process."""
    from cnnlab.data.datasets import load_dataset
    from cnnlab.inspection.adversarial import smallest_flip
    from cnnlab.inspection.forward import layer_infos
    from cnnlab.inspection.maximise import maximise_activation
    from cnnlab.inspection.neighbours import nearest, neighbour_index
    from cnnlab.inspection.perturb import transformed
    from cnnlab.inspection.robustness import QUICK, SweepSettings, robustness_sweep

    ds = load_dataset("mnist-sample")
    model = _trained_lenet(ds, 512 if args.quick else len(ds.y_train))
    image = _correct_image(model, ds)
    moves = _slider_moves()
    slider = timed(lambda: transformed(model, image, next(moves)), args.repeats)
    few = max(3, args.repeats // 20)
    flip = timed(lambda: smallest_flip(model, image), few)
    layer = [i.name for i in layer_infos(model) if i.type == "Conv2D"][-1]
    ascent = timed(lambda: maximise_activation(model, layer), 1 if args.quick else 3, warmup=1)
    start = time.perf_counter()
    index = neighbour_index(model, ds.x_train, ds.y_train)
    index_s = time.perf_counter() - start
    lookup = timed(lambda: nearest(model, image, index, k=5), args.repeats)
    settings = QUICK if args.quick else SweepSettings()
    start = time.perf_counter()
    sweep = robustness_sweep(model, ds.x_test, ds.y_test, settings)
    sweep_s = time.perf_counter() - start
    return {
        "model": "lenet5",
        "slider_update_ms": spread([1000 * s for s in slider]),
        "fgsm_search_ms": spread([1000 * s for s in flip]),
        "flip_epsilon": smallest_flip(model, image).epsilon,
        "activation_max_layer": layer,
        "activation_max_s": spread(ascent),
        "neighbour_index_s": index_s,
        "neighbour_index_images": len(index.labels),
        "neighbour_lookup_ms": spread([1000 * s for s in lookup]),
        "sweep_s": sweep_s,
        "sweep_points": sum(len(c.values) for c in sweep.curves.values()),
        "sweep_images": sweep.count,
        "goals": GOALS,
    }


def print_probe(res: dict[str, Any]) -> None:
    s = res["slider_update_ms"]
    print(f"\nprobe ({res['model']}, loaded and warm, one image)")
    print(f"  slider update            {s['median']:7.2f} ms  (quartiles {s['q1']:.2f}-{s['q3']:.2f}; goal <= 100 ms)")
    f = res["fgsm_search_ms"]
    print(f"  smallest FGSM epsilon    {f['median']:7.1f} ms  (eps {res['flip_epsilon']}; median of {f['n']})")
    a = res["activation_max_s"]
    layer = res["activation_max_layer"]
    print(f"  activation maximisation  {a['median']:7.2f} s   ({layer}, every channel; goal <= 5 s)")
    n = res["neighbour_lookup_ms"]
    print(f"  nearest 5 training images {n['median']:6.2f} ms  (index of {res['neighbour_index_images']} images built "
          f"in {res['neighbour_index_s']:.2f} s)")  # fmt: skip
    print(f"  robustness sweep         {res['sweep_s']:7.2f} s   ({res['sweep_points']} settings x "
          f"{res['sweep_images']} test images)")  # fmt: skip


def summary_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measure, figure, goal) rows of this section for the benchmark's summary."""
    return [
        ("probe: slider update (transform + probabilities)", f"{r['slider_update_ms']['median']:.2f} ms", "<= 100 ms"),
        ("probe: smallest flipping FGSM epsilon", f"{r['fgsm_search_ms']['median']:.0f} ms", ""),
        ("probe: activation maximisation, one layer", f"{r['activation_max_s']['median']:.2f} s", "<= 5 s"),
        ("probe: nearest training images (lookup)", f"{r['neighbour_lookup_ms']['median']:.2f} ms", ""),
        (f"probe: robustness sweep ({r['sweep_points']} x {r['sweep_images']})", f"{r['sweep_s']:.1f} s", ""),
    ]
