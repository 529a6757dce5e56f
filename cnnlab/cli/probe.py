"""`probe`: push on one input and watch a run's model answer — the smallest perturbation that changes its
prediction, its probabilities as the image is rotated, shifted and thickened, and the training images it is
closest to."""

from __future__ import annotations

import argparse
from typing import Any

from cnnlab.cli.common import CliError, emit


def _run_and_data(ref: str) -> tuple[Any, Any, Any]:
    """(run, model path, dataset as the run split it) for a run reference."""
    from cnnlab.data.datasets import DatasetUnavailable
    from cnnlab.runs.files import ModelMissing, run_dataset, run_model_path
    from cnnlab.runs.store import RunNotFound, RunStore

    store = RunStore()
    try:
        run = store.find_run(ref)
        path = run_model_path(store, run.id)
    except (RunNotFound, ModelMissing) as exc:
        raise CliError(f"{ref}: {exc}") from None
    try:
        ds = run_dataset(run)
    except KeyError:
        raise CliError(f"run {run.id} was trained on {run.dataset!r}, which is no longer here") from None
    except DatasetUnavailable as exc:
        raise CliError(str(exc)) from None
    return run, path, ds


def _input(args: argparse.Namespace, ds: Any, input_shape: tuple[int, ...]) -> tuple[Any, int | None, dict]:
    """(image as float32 (H, W, C) in [0, 1], its label or None, what it is) from --index or --image."""
    import numpy as np

    if args.image is None:
        n = len(ds.y_test)
        if not 0 <= args.index < n:
            raise CliError(f"--index must be between 0 and {n - 1} (the {ds.name} test split has {n} images)")
        image = ds.x_test[args.index].astype(np.float32) / 255.0
        return image, int(ds.y_test[args.index]), {"index": args.index}
    from cnnlab.data.images import ImageError
    from cnnlab.data.preprocess import NothingToRecognise
    from cnnlab.inspection.prediction import image_for_model
    from cnnlab.train.drawings import TeachError

    try:
        image = image_for_model(args.image, input_shape)
    except NothingToRecognise:
        raise CliError(f"{args.image}: nothing to recognise: the image is blank") from None
    except (ImageError, TeachError) as exc:
        raise CliError(f"{args.image}: {exc}") from None
    return image, None, {"image": args.image}


def _rounded(values: Any, digits: int = 6) -> list[float]:
    return [round(float(v), digits) for v in values]


def _probe(model: Any, image: Any, key: str, ds: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The engine's answers for one image, JSON-ready."""
    from cnnlab.inspection.adversarial import smallest_flip
    from cnnlab.inspection.forward import predictor
    from cnnlab.inspection.neighbours import nearest, neighbour_index
    from cnnlab.inspection.robustness import SweepSettings, curve_rows, image_curves

    names = ds.class_names
    probs = predictor(model).predict_one(image)
    if len(probs) != ds.num_classes:
        raise CliError(f"the model predicts {len(probs)} classes but {ds.name} has {ds.num_classes}")
    flip = smallest_flip(model, image, method=args.method, max_epsilon=args.max_epsilon)
    index = neighbour_index(model, ds.x_train, ds.y_train, cache_key=key)
    near = nearest(model, image, index, k=args.neighbours)
    predicted, to = int(probs.argmax()), flip.to_class
    return {
        "prediction": {"class": predicted, "name": names[predicted], "probabilities": _rounded(probs)},
        "flip": {
            "method": flip.method,
            "epsilon": None if flip.epsilon is None else round(flip.epsilon, 6),
            "max_epsilon": flip.max_epsilon,
            "from_class": flip.before,
            "to_class": to,
            "to_name": None if to is None else names[to],
        },
        "robustness": curve_rows(image_curves(model, image, SweepSettings())),
        "neighbours": [
            {"index": int(i), "label": int(label), "name": names[int(label)], "distance": round(float(d), 6)}
            for i, label, d in zip(near.indices, near.labels, near.distances, strict=True)
        ],
        "neighbour_layer": near.layer,
    }


def _text(payload: dict[str, Any]) -> str:
    pred, flip = payload["prediction"], payload["flip"]
    where = f"test image {payload['input']['index']}" if "index" in payload["input"] else payload["input"]["image"]
    label = f"label {payload['label']} ({payload['label_name']}), " if payload["label"] is not None else ""
    lines = [
        f"run {payload['run']}, {payload['dataset']} {where}: {label}predicted {pred['class']} ({pred['name']}, "
        f"p={pred['probabilities'][pred['class']]:.3f})",
        f"{flip['method']}: flips to {flip['to_class']} ({flip['to_name']}) at epsilon {flip['epsilon']:.4f}"
        if flip["epsilon"] is not None
        else f"{flip['method']}: no flip up to epsilon {flip['max_epsilon']}",
    ]
    for kind, curve in payload["robustness"].items():
        points = ", ".join(f"{v:g}->{k}" for v, k in zip(curve["values"], curve["predicted"], strict=True))
        lines.append(f"{kind:10} {points}")
    near = ", ".join(f"#{n['index']} {n['name']} ({n['distance']:.2f})" for n in payload["neighbours"])
    lines.append(f"nearest training images: {near}")
    return "\n".join(lines)


def cmd_probe(args: argparse.Namespace) -> int:
    if (args.index is None) == (args.image is None):
        raise CliError("give either --index N (a test image of the run) or --image FILE")
    run, path, ds = _run_and_data(args.run)
    from cnnlab.inspection.forward import InspectionError, predictor
    from cnnlab.inspection.probecache import checkpoint_key
    from cnnlab.modelfiles import load_model
    from cnnlab.runs.files import run_split

    try:
        model = load_model(path)
        input_shape = predictor(model).input_shape
    except (InspectionError, ValueError, OSError) as exc:
        raise CliError(f"cannot load the model of run {run.id} ({path}): {exc}") from None
    image, label, source = _input(args, ds, input_shape)
    try:
        answers = _probe(model, image, checkpoint_key(path, *run_split(run)), ds, args)
    except InspectionError as exc:
        raise CliError(str(exc)) from None
    payload = {
        "run": run.id,
        "model": str(path),
        "dataset": ds.name,
        "input": source,
        "label": label,
        "label_name": None if label is None else ds.class_names[label],
        **answers,
    }
    emit(args, payload, _text(payload))
    return 0


def add_probe(sub) -> None:
    p = sub.add_parser(
        "probe", help="what fools a run's model on one image: smallest flipping perturbation, robustness, neighbours"
    )
    p.add_argument("run", help="run id, unique id prefix or name")
    p.add_argument("--index", type=int, help="probe test image N of the run's own test split")
    p.add_argument("--image", metavar="FILE", help="probe an image file, preprocessed as on the Predict page")
    p.add_argument("--method", choices=["fgsm", "pgd"], default="fgsm", help="the attack (default fgsm)")
    p.add_argument("--max-epsilon", type=float, default=0.5, help="largest perturbation tried (default 0.5)")
    p.add_argument("--neighbours", type=int, default=5, help="nearest training images to list (default 5)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_probe)
