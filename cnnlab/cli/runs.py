"""`train`, `runs`, `stop`, `resume`: training runs from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cnnlab.cli.arch import add_arch_arguments, spec_from_args
from cnnlab.cli.common import CliError, emit

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
    "device": "auto: whatever is visible; cpu: GPUs hidden; gpu: needs one (the Ray runner requests one)",
    "time_budget_s": "end after the epoch whose summed training time reaches this many seconds (0: no budget)",
}


def _fmt_metrics(m: dict[str, Any]) -> str:
    keys = ("test_accuracy", "drawn_accuracy", "test_loss", "best_val_accuracy", "val_accuracy", "accuracy")
    keys += ("epochs_done",)
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
    """The run's config: the recipe's (default: "default"), then every flag given over it. --arch/--spec replace
    the recipe's architecture; without them, --option values go over the recipe preset's options."""
    import json
    from dataclasses import fields

    from cnnlab.train.config import TrainConfig
    from cnnlab.train.recipes import RECIPES, recipe_config

    recipe = RECIPES[args.recipe or "default"]
    if not (args.arch or args.spec):
        args.arch = recipe.preset
        args.option = [f"{k}={json.dumps(v)}" for k, v in recipe.options.items()] + list(args.option)
    spec, dataset = spec_from_args(args)
    cfg = recipe_config(args.recipe or "default", dataset)
    cfg["arch"] = spec.to_dict()
    for f in fields(TrainConfig):
        value = getattr(args, f.name, None)
        if f.name in _TRAIN_HELP and value is not None:
            cfg[f.name] = value
    if args.metrics is not None:
        cfg["metrics"] = [m.strip() for m in args.metrics.split(",") if m.strip()]
    aug = {} if args.no_augmentation else dict(cfg["augmentation"])
    for key in ("translation", "rotation", "zoom", "flip", "stroke", "elastic"):
        if getattr(args, key) is not None:
            aug[key] = getattr(args, key)
    cfg["augmentation"] = aug
    return cfg


def cmd_train(args: argparse.Namespace) -> int:
    from cnnlab.runs.jobs import wait_for
    from cnnlab.runs.store import FINISHED, RunStore
    from cnnlab.train.config import ConfigError
    from cnnlab.train.launch import start_run

    if args.runner:
        from cnnlab.runs import runners

        runners.select(args.runner)  # (one sentence saying what to install when Ray is missing)
    cfg = _train_config(args)
    store = RunStore()
    try:
        run_id = start_run(cfg, name=args.name, store=store)
    except ConfigError as exc:
        raise CliError(f"cannot train: {exc}") from None
    if args.detach:
        run = store.get_run(run_id)
        emit(args, _run_payload(run), f"{run.id} {run.status} (pid {run.pid or '-'})")
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
    emit(args, _run_payload(run), text)
    return 0 if run.status == FINISHED else 1


def add_train(sub) -> None:
    from dataclasses import MISSING, fields

    from cnnlab.train.config import DEVICES, OPTIMIZERS, SCHEDULES, STRATEGIES, TrainConfig
    from cnnlab.train.recipes import RECIPES

    p = sub.add_parser("train", help="train a network as a background run (waits unless --detach)")
    add_arch_arguments(p, default_dataset="mnist-sample")
    p.add_argument("--name", help="a name for the run (default: architecture on dataset)")
    p.add_argument(
        "--recipe",
        choices=tuple(RECIPES),
        help="a named recipe (architecture and settings); flags given override its values (default: default)",
    )
    choices = {
        "optimizer": OPTIMIZERS,
        "schedule": SCHEDULES,
        "strategy": STRATEGIES,
        "device": DEVICES,
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
    p.add_argument("--stroke", type=float, help="augmentation: fraction of images whose strokes are thickened/thinned")
    p.add_argument("--elastic", type=float, help="augmentation: elastic distortion strength (0.2 = Simard's alpha 34)")
    p.add_argument("--no-augmentation", action="store_true", help="turn every augmentation off")
    p.add_argument("--detach", action="store_true", help="return at once; the run trains in the background")
    p.add_argument(
        "--runner", choices=("local", "ray"), help="where the run trains: local (default) or ray (CNNLAB_RUNNER)"
    )
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
    emit(args, payload, "\n".join(lines) if runs else "no runs yet; `python -m cnnlab train` starts one")
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
    emit(args, _run_payload(run), f"{run.id} {run.status}" + ("" if run.status == STOPPED else " (stop requested)"))
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
    emit(args, _run_payload(run), text)
    return 0


def add_resume(sub) -> None:
    p = sub.add_parser("resume", help="continue a stopped or interrupted run from its last completed epoch")
    p.add_argument("run", help="run id, unique id prefix or name")
    p.add_argument("--wait", action="store_true", help="wait until it ends")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_resume)
