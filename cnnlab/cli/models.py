"""`inspect` and `predict`: a trained model's feature maps and predictions."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cnnlab.cli.common import CliError, emit


def _inspect_source(args: argparse.Namespace) -> tuple[str | None, str, str, int, float]:
    """(run id, model path, dataset, seed, val_fraction) from a run reference or from --model/--dataset."""
    if args.model:
        if args.run:
            raise CliError("give either a RUN or --model FILE.keras, not both")
        if not args.dataset:
            raise CliError("--model needs --dataset NAME (the dataset whose test split to take the image from)")
        return None, args.model, args.dataset, args.seed, args.val_fraction
    if not args.run:
        raise CliError("name a run (`python -m cnnlab runs` lists them) or give --model FILE.keras --dataset NAME")
    from cnnlab.runs.files import run_split
    from cnnlab.runs.store import RunNotFound, RunStore

    store = RunStore()
    try:
        run = store.find_run(args.run)
    except RunNotFound as exc:
        raise CliError(str(exc)) from None
    path = run.best_model
    if not path:
        last = store.artifact(run.id, "last_model")
        path = str(last.path) if last else None
    if not path:
        raise CliError(f"run {run.id} ({run.status}) has no saved model yet; inspect it after its first epoch")
    dataset, seed, val_fraction = run_split(run)
    return run.id, path, args.dataset or dataset, seed, val_fraction


def cmd_inspect(args: argparse.Namespace) -> int:
    import os

    from cnnlab.data.datasets import DatasetUnavailable, load_dataset

    run_id, path, dataset, seed, val_fraction = _inspect_source(args)
    if not os.path.isfile(path):
        raise CliError(f"the model file {path} does not exist")
    try:
        ds = load_dataset(dataset, seed=seed, val_fraction=val_fraction)
    except KeyError:
        raise CliError(f"unknown dataset {dataset!r}; `python -m cnnlab datasets` lists them") from None
    except DatasetUnavailable as exc:
        raise CliError(str(exc)) from None
    n = len(ds.y_test)
    if not 0 <= args.index < n:
        raise CliError(f"--index must be between 0 and {n - 1} (the {dataset} test split has {n} images)")
    from cnnlab.inspection.features import feature_maps
    from cnnlab.inspection.forward import InspectionError, predictor
    from cnnlab.modelfiles import load_model, load_model_file

    try:  # a file from anywhere goes through the model gate (checked and re-written in a capped child)
        model = load_model(path) if run_id else load_model_file(path)[0]
    except Exception as exc:  # a damaged or foreign file: say which and why
        raise CliError(f"cannot load the model {path}: {exc}") from None
    image = ds.x_test[args.index]
    try:
        probs = predictor(model).predict_one(image)
        maps = feature_maps(model, image, kinds="all")
    except InspectionError as exc:
        raise CliError(str(exc)) from None
    if len(probs) != ds.num_classes:
        raise CliError(f"the model predicts {len(probs)} classes but {dataset} has {ds.num_classes}")
    label, predicted = int(ds.y_test[args.index]), int(probs.argmax())
    payload = {
        "run": run_id,
        "model": str(path),
        "dataset": dataset,
        "index": args.index,
        "label": label,
        "label_name": ds.class_names[label],
        "prediction": {
            "class": predicted,
            "name": ds.class_names[predicted],
            "probabilities": [round(float(p), 6) for p in probs],
        },
        "layers": [{"name": m.name, "type": m.type, "shape": list(m.shape), "parent": m.parent} for m in maps],
    }
    lines = [
        f"{dataset} test image {args.index}: label {label} ({ds.class_names[label]}), predicted {predicted} "
        f"({ds.class_names[predicted]}, p={probs[predicted]:.3f})",
        f"{'layer':32} {'type':24} output",
    ]
    for m in maps:
        name = f"{m.parent}/{m.name}" if m.parent else m.name
        lines.append(f"{name[:32]:32} {m.type[:24]:24} {'x'.join(map(str, m.shape))}")
    emit(args, payload, "\n".join(lines))
    return 0


def add_inspect(sub) -> None:
    p = sub.add_parser("inspect", help="per-layer output shapes and the prediction for one test image of a run")
    p.add_argument("run", nargs="?", help="run id, unique id prefix or name (or use --model and --dataset)")
    p.add_argument("--index", type=int, default=0, help="which test image (default 0)")
    p.add_argument("--model", metavar="FILE.keras", help="inspect this model file instead of a run's best model")
    p.add_argument("--dataset", help="with --model: the dataset to take the test image from")
    p.add_argument("--seed", type=int, default=0, help="with --model: the split seed the model was trained with")
    p.add_argument("--val-fraction", type=float, default=0.1, help="with --model: the training validation fraction")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_inspect)


def cmd_predict(args: argparse.Namespace) -> int:
    """Class probabilities per image, preprocessed exactly as the Predict page does (cnnlab.teach.image_for_model)."""
    from cnnlab.runs.files import ModelMissing, run_model_path
    from cnnlab.runs.store import RunNotFound, RunStore

    store = RunStore()
    try:
        run = store.find_run(args.run)
        path = run_model_path(store, run.id)
    except (RunNotFound, ModelMissing) as exc:
        raise CliError(f"{args.run}: {exc}") from None
    import numpy as np

    from cnnlab.data.images import ImageError
    from cnnlab.data.preprocess import NothingToRecognise
    from cnnlab.inspection.forward import InspectionError, predictor
    from cnnlab.inspection.prediction import class_names_for, image_for_model
    from cnnlab.modelfiles import load_model
    from cnnlab.train.drawings import TeachError

    try:
        model = load_model(path)
        pred = predictor(model)
    except (InspectionError, ValueError, OSError) as exc:
        raise CliError(f"cannot load the model of run {run.id} ({path}): {exc}") from None
    entries: list[dict[str, Any]] = []
    inputs: dict[int, Any] = {}
    for image in args.images:
        try:
            inputs[len(entries)] = image_for_model(image, pred.input_shape)
            entries.append({"image": image})
        except NothingToRecognise:
            entries.append({"image": image, "error": "nothing to recognise: the image is blank"})
        except (ImageError, TeachError) as exc:
            entries.append({"image": image, "error": str(exc)})
    if inputs:
        probs = pred.predict(np.stack(list(inputs.values())))
        names = class_names_for(run.dataset, probs.shape[1])
        for i, p in zip(inputs, probs, strict=True):
            k = int(p.argmax())
            entries[i].update(probabilities=[round(float(v), 6) for v in p], prediction=k, name=names[k])
    lines = [f"run {run.id} ({run.name})"]
    for e in entries:
        if "error" in e:
            lines.append(f"{e['image']}: error: {e['error']}")
        else:
            lines.append(f"{e['image']}: {e['name']} (p={e['probabilities'][e['prediction']]:.3f})")
    emit(args, entries, "\n".join(lines))
    if not inputs:
        print("error: none of the images could be used", file=sys.stderr)
        return 2
    return 0


def add_predict(sub) -> None:
    p = sub.add_parser("predict", help="classify image files with a run's model, preprocessed as on the Predict page")
    p.add_argument("run", help="run id, unique id prefix or name")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG, GIF, BMP or WEBP files")
    p.add_argument("--json", action="store_true", help="machine-readable output: one entry per image")
    p.set_defaults(func=cmd_predict)
