"""`python -m cnnlab ...`: the engine without a browser. `--json` output is a stable interface.

Each command is a small `cmd_*` function; heavy modules are imported inside the function so
`datasets` and `--help` stay fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _print(args: argparse.Namespace, payload: Any, text: str) -> None:
    print(json.dumps(payload, indent=2, default=str) if getattr(args, "json", False) else text)


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 2. The CLI speaks English only, so its own messages
    have no catalogue key (an engine error it passes on is printed as its English sentence, `str(error)`)."""


# ---------------------------------------------------------------- datasets


def cmd_datasets(args: argparse.Namespace) -> int:
    from cnnlab.data.datasets import list_datasets

    infos = list_datasets()
    lines = []
    for i in infos:
        state = "available" if i.available else f"unavailable: {i.reason}"
        shape = "x".join(map(str, i.image_shape))
        lines.append(f"{i.name:16} {shape:9} {len(i.class_names):3} classes  {state}\n{'':16} {i.source}")
    _print(args, [i.to_dict() for i in infos], "\n".join(lines))
    return 0


def add_datasets(sub) -> None:
    p = sub.add_parser("datasets", help="list every dataset and whether it is available here")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_datasets)


# ---------------------------------------------------------------- summary / code (architectures)


def add_arch_arguments(p: argparse.ArgumentParser, *, default_dataset: str | None = None) -> None:
    """--arch NAME | --spec FILE.json, --dataset NAME, --option KEY=VALUE: shared by every command taking a model."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--arch", help="a preset: mlp, simple_cnn, lenet5, alexnet, vgg_small, resnet_small, transfer")
    group.add_argument("--spec", metavar="FILE.json", help="a custom architecture spec (JSON, as the Build page saves)")
    p.add_argument("--dataset", default=default_dataset, help="the dataset whose image shape and classes to use")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a preset option, e.g. flavour=classic (lenet5), variant=scaled (alexnet), base=resnet50 (transfer)",
    )


def _option_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def spec_from_args(args: argparse.Namespace):
    """The ArchSpec named by --arch/--spec, adapted to --dataset (mnist-sample unless a spec file says otherwise)."""
    from cnnlab.arch.presets import preset
    from cnnlab.arch.spec import ArchSpec, SpecError
    from cnnlab.data.datasets import DEFAULT_DATASET, dataset_info

    dataset = args.dataset
    info = None
    if dataset or not args.spec:
        dataset = dataset or DEFAULT_DATASET
        try:
            info = dataset_info(dataset)
        except KeyError:
            raise CliError(f"unknown dataset {dataset!r}; `python -m cnnlab datasets` lists them") from None
    try:
        if args.spec:
            if args.option:
                raise CliError("--option only applies to presets (--arch), not to --spec files")
            try:
                text = open(args.spec, encoding="utf-8").read()
            except OSError as exc:
                raise CliError(f"cannot read the spec file {args.spec}: {exc.strerror or exc}") from None
            spec = ArchSpec.from_json(text)
            if info is not None:
                spec = spec.adapted(tuple(info.image_shape), len(info.class_names))
        else:
            options = {}
            for item in args.option:
                key, sep, value = item.partition("=")
                if not sep or not key:
                    raise CliError(f"--option must look like KEY=VALUE, got {item!r}")
                options[key.strip()] = _option_value(value.strip())
            spec = preset(args.arch or "lenet5", tuple(info.image_shape), len(info.class_names), **options)
    except SpecError as exc:
        raise CliError(str(exc)) from None
    return spec, dataset


def _summary_text(result) -> str:
    header = f"{'#':>3}  {'layer':24} {'output':14} {'params':>12} {'MACs':>14} {'RF':>9} {'memory':>10}"
    lines = [f"{result.name}: input {'x'.join(map(str, result.input_shape))}, {result.num_classes} classes", header]
    for r in result.all_rows:
        shape = "x".join(map(str, r.output_shape)) if r.output_shape else "?"
        rf = "x".join(map(str, r.receptive_field)) if r.receptive_field else "-"
        lines.append(
            f"{r.index:>3}  {r.name[:24]:24} {shape:14} {r.params:>12,} {r.macs:>14,} {rf:>9} "
            f"{r.activation_bytes / 1024:>8.1f}KB"
        )
    t = result.totals
    lines.append(
        f"total: {t['params']:,} parameters ({t['trainable_params']:,} trainable), {t['macs']:,} MACs, "
        f"{t['activation_bytes'] / 2**20:.2f} MB of activations per image"
    )
    lines += [f"{i.level}: {i.message}" for i in result.issues]
    return "\n".join(lines)


def cmd_summary(args: argparse.Namespace) -> int:
    from cnnlab.arch.analysis import analyze

    spec, dataset = spec_from_args(args)
    result = analyze(spec)
    if result.errors:
        raise CliError("; ".join(i.message for i in result.errors))
    _print(args, {"arch": spec.name, "dataset": dataset, **result.to_dict()}, _summary_text(result))
    return 0


def add_summary(sub) -> None:
    p = sub.add_parser("summary", help="per-layer output shapes, parameters, MACs and receptive fields (no TensorFlow)")
    add_arch_arguments(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_summary)


def cmd_code(args: argparse.Namespace) -> int:
    from cnnlab.arch.spec import SpecError
    from cnnlab.train.codegen import generate_script

    spec, dataset = spec_from_args(args)
    hyper = {
        "optimizer": args.optimizer,
        "learning_rate": args.learning_rate,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "validation_split": args.validation_split,
    }
    try:
        script = generate_script(spec, dataset or "mnist-sample", args.style, hyper)
    except SpecError as exc:
        raise CliError(str(exc)) from None
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(script)
        print(f"wrote {args.out}")
    else:
        print(script, end="")
    return 0


def add_code(sub) -> None:
    p = sub.add_parser("code", help="print a runnable Keras training script for an architecture")
    add_arch_arguments(p)
    p.add_argument("--style", choices=["sequential", "functional", "subclass"], default="functional")
    p.add_argument("--out", help="write the script to this file instead of printing it")
    p.add_argument("--optimizer", choices=["adam", "sgd", "rmsprop"])
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--validation-split", type=float)
    p.set_defaults(func=cmd_code)


# ---------------------------------------------------------------- train / runs / stop / resume (training engine)

_TRAIN_HELP = {
    "epochs": "passes over the training data",
    "batch_size": "images per training step",
    "optimizer": "sgd, adam, adamw or rmsprop",
    "learning_rate": "initial learning rate",
    "momentum": "momentum of sgd and rmsprop",
    "nesterov": "Nesterov momentum (sgd)",
    "weight_decay": "decoupled weight decay (0 = off)",
    "schedule": "learning-rate schedule: constant, step, cosine or plateau",
    "warmup_epochs": "cosine: epochs of linear warm-up",
    "step_epochs": "step: epochs between rate drops",
    "decay_factor": "step/plateau: factor applied at each drop",
    "plateau_patience": "plateau: epochs without improvement before a drop",
    "min_learning_rate": "lower bound of the schedules",
    "val_fraction": "fraction of the data held out for validation",
    "label_smoothing": "label smoothing of the cross-entropy loss (0 = off)",
    "early_stopping": "stop when the monitored value stops improving",
    "monitor": "val_loss, val_accuracy, loss or accuracy (best checkpoint, early stopping, plateau)",
    "patience": "early stopping: epochs without improvement",
    "restore_best": "evaluate and hand out the best checkpoint instead of the last weights",
    "seed": "random seed (data split, initial weights, shuffling)",
    "steps_per_execution": "training steps per call into TensorFlow",
    "max_train_samples": "use only the first N training images",
    "init_model_path": "start from this .keras model (fine-tuning)",
    "extra_data": ".npz with extra x (uint8 images) and y (labels) added to the training data",
    "strategy": "default, or mirrored (tf.distribute.MirroredStrategy over all local GPUs)",
    "batch_metrics_every": "seconds between live per-batch metric writes (0 = off)",
    "kernel_snapshots": "save the first conv layer's kernels every epoch",
    "mixed_precision": "mixed_float16: float16 maths, float32 weights and output (faster on GPUs; slower on CPU)",
}


def _fmt_metrics(m: dict[str, Any]) -> str:
    keys = ("test_accuracy", "test_loss", "best_val_accuracy", "val_accuracy", "accuracy", "epochs_done")
    parts = [f"{k}={m[k]:.4f}" if isinstance(m[k], float) else f"{k}={m[k]}" for k in keys if k in m]
    return " ".join(parts) or "-"


def _run_payload(run) -> dict[str, Any]:
    return {
        "id": run.id,
        "name": run.name,
        "status": run.status,
        "reason": run.reason,
        "pid": run.pid,
        "final_metrics": run.final_metrics,
        "best_model": run.best_model,
    }


def _train_config(args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import fields

    from cnnlab.train.config import TrainConfig

    spec, dataset = spec_from_args(args)
    cfg: dict[str, Any] = {"dataset": dataset, "arch": spec.to_dict()}
    for f in fields(TrainConfig):
        value = getattr(args, f.name, None)
        if f.name in _TRAIN_HELP and value is not None:
            cfg[f.name] = value
    if args.metrics is not None:
        cfg["metrics"] = [m.strip() for m in args.metrics.split(",") if m.strip()]
    aug = dict(TrainConfig().augmentation)
    if args.no_augmentation:
        aug = {}
    for key in ("translation", "rotation", "zoom", "flip"):
        if getattr(args, key) is not None:
            aug[key] = getattr(args, key)
    cfg["augmentation"] = aug
    return cfg


def cmd_train(args: argparse.Namespace) -> int:
    from cnnlab.runs.jobs import wait_for
    from cnnlab.runs.store import FINISHED, RunStore
    from cnnlab.train.config import ConfigError
    from cnnlab.train.launch import start_run

    cfg = _train_config(args)
    store = RunStore()
    try:
        run_id = start_run(cfg, name=args.name, store=store)
    except ConfigError as exc:
        raise CliError(f"cannot train: {exc}") from None
    if args.detach:
        run = store.get_run(run_id)
        _print(args, _run_payload(run), f"{run.id} {run.status} (pid {run.pid or '-'})")
        return 0
    if not args.json:
        print(f"run {run_id} started; stop it with `python -m cnnlab stop {run_id}`", flush=True)
    seen = {"epoch": 0}

    def show(run) -> None:
        if args.json or run.epochs_done <= seen["epoch"]:
            return
        for row in store.epoch_table(run.id)[seen["epoch"] :]:
            parts = [f"epoch {row['epoch']}/{run.epochs}"]
            for k in ("loss", "accuracy", "val_loss", "val_accuracy"):
                if row.get(k) is not None:
                    parts.append(f"{k} {row[k]:.4f}")
            print("  ".join(parts), flush=True)
        seen["epoch"] = run.epochs_done

    try:
        run = wait_for(run_id, timeout=args.timeout, store=store, on_update=show)
    except KeyboardInterrupt:
        print(
            f"\nrun {run_id} keeps training in the background; `python -m cnnlab stop {run_id}` stops it",
            file=sys.stderr,
        )
        return 130
    except TimeoutError as exc:
        raise CliError(f"{exc}; it keeps training (`python -m cnnlab runs` shows it)") from None
    text = f"{run.id} {run.status}" + (f" ({run.reason})" if run.reason else "")
    text += f"\n{_fmt_metrics(run.final_metrics)}\nbest model: {run.best_model or '-'}"
    _print(args, _run_payload(run), text)
    return 0 if run.status == FINISHED else 1


def add_train(sub) -> None:
    from dataclasses import MISSING, fields

    from cnnlab.train.config import OPTIMIZERS, SCHEDULES, STRATEGIES, TrainConfig

    p = sub.add_parser("train", help="train a network as a background run (waits unless --detach)")
    add_arch_arguments(p, default_dataset="mnist-sample")
    p.add_argument("--name", help="a name for the run (default: architecture on dataset)")
    choices = {
        "optimizer": OPTIMIZERS,
        "schedule": SCHEDULES,
        "strategy": STRATEGIES,
        "monitor": ("val_loss", "val_accuracy", "loss", "accuracy"),
    }
    for f in fields(TrainConfig):
        if f.name not in _TRAIN_HELP:
            continue
        default = f.default if f.default is not MISSING else None
        flag = "--" + f.name.replace("_", "-")
        helptext = f"{_TRAIN_HELP[f.name]} (default {default})"
        if isinstance(default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=helptext)
        elif f.name in choices:
            p.add_argument(flag, choices=choices[f.name], default=None, help=helptext)
        elif f.name in ("max_train_samples", "init_model_path", "extra_data"):
            p.add_argument(flag, type=int if f.name == "max_train_samples" else str, default=None, help=helptext)
        else:
            p.add_argument(flag, type=type(default), default=None, help=helptext)
    p.add_argument("--metrics", help="comma list from accuracy, precision, recall, auc (default all)")
    p.add_argument("--translation", type=float, help="augmentation: random shift, fraction of the image (default 0.1)")
    p.add_argument("--rotation", type=float, help="augmentation: random rotation, fraction of a full turn (0.05)")
    p.add_argument("--zoom", type=float, help="augmentation: random zoom, fraction (default 0.1)")
    p.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None, help="augmentation: mirror images")
    p.add_argument("--no-augmentation", action="store_true", help="turn every augmentation off")
    p.add_argument("--detach", action="store_true", help="return at once; the run trains in the background")
    p.add_argument("--timeout", type=float, help="stop waiting after this many seconds (the run goes on)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_train)


def cmd_runs(args: argparse.Namespace) -> int:
    from cnnlab.runs.jobs import poll

    runs = poll()
    payload = [r.to_dict() for r in runs]
    lines = [f"{'id':21} {'status':11} {'pid':>7}  {'name':28} metrics"]
    for r in runs:
        lines.append(f"{r.id:21} {r.status:11} {r.pid or '-':>7}  {r.name[:28]:28} {_fmt_metrics(r.final_metrics)}")
        if r.reason:
            lines.append(f"{'':21} {r.reason}")
        if r.best_model:
            lines.append(f"{'':21} {r.best_model}")
    _print(args, payload, "\n".join(lines) if runs else "no runs yet; `python -m cnnlab train` starts one")
    return 0


def add_runs(sub) -> None:
    p = sub.add_parser("runs", help="list every run with its status, worker pid, final metrics and best model")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_runs)


def _job_call(fn, ref: str):
    from cnnlab.runs.jobs import JobError
    from cnnlab.runs.store import RunNotFound

    try:
        return fn(ref)
    except (JobError, RunNotFound) as exc:
        raise CliError(str(exc)) from None


def cmd_stop(args: argparse.Namespace) -> int:
    from cnnlab.runs.jobs import stop_run, wait_for
    from cnnlab.runs.store import STOPPED

    run = _job_call(stop_run, args.run)
    if args.wait and run.status != STOPPED:
        run = wait_for(run.id, timeout=args.wait)
    _print(args, _run_payload(run), f"{run.id} {run.status}" + ("" if run.status == STOPPED else " (stop requested)"))
    return 0


def add_stop(sub) -> None:
    p = sub.add_parser("stop", help="stop a run within one batch (it keeps its last checkpoint)")
    p.add_argument("run", help="run id, unique id prefix or name")
    p.add_argument("--wait", type=float, nargs="?", const=120.0, help="wait (up to N seconds) until it has stopped")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_stop)


def cmd_resume(args: argparse.Namespace) -> int:
    from cnnlab.runs.jobs import resume_run, wait_for

    run = _job_call(resume_run, args.run)
    if args.wait:
        run = wait_for(run.id)
    text = f"{run.id} {run.status}, from epoch {run.epochs_done + 1 if run.status != 'finished' else run.epochs_done}"
    if run.status == "finished":
        text = f"{run.id} finished\n{_fmt_metrics(run.final_metrics)}\nbest model: {run.best_model or '-'}"
    _print(args, _run_payload(run), text)
    return 0


def add_resume(sub) -> None:
    p = sub.add_parser("resume", help="continue a stopped or interrupted run from its last completed epoch")
    p.add_argument("run", help="run id, unique id prefix or name")
    p.add_argument("--wait", action="store_true", help="wait until it ends")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_resume)


# ---------------------------------------------------------------- inspect (feature-map shapes and a prediction)


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
    from cnnlab.modelfiles import load_model

    try:
        model = load_model(path)
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
    _print(args, payload, "\n".join(lines))
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


# ---------------------------------------------------------------- predict (images through a run's model)


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
    _print(args, entries, "\n".join(lines))
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


# ---------------------------------------------------------------- parser

COMMANDS = [add_datasets, add_summary, add_code, add_train, add_runs, add_stop, add_resume, add_inspect, add_predict]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cnnlab", description="CNN Lab engine from the command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
