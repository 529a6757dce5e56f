"""`study --kind sweep`: a hyperparameter sweep (grid, or `--random N`) of one architecture, from the command line.

python -m cnnlab study --kind sweep --arch lenet5 --learning-rate 0.001,0.005 --batch-size 64,128 --epochs 1
"""

from __future__ import annotations

import argparse
from typing import Any

from cnnlab.cli.common import CliError, emit

SWEPT = ("learning_rate", "batch_size", "optimizer", "dropout", "epochs")


def _values(text: str, kind) -> list:
    try:
        return [kind(v.strip()) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of {kind.__name__} values: {text!r}") from None


def floats(text: str) -> list[float]:
    return _values(text, float)


def ints(text: str) -> list[int]:
    return _values(text, int)


def words(text: str) -> list[str]:
    return _values(text, str)


def add_sweep_args(p: argparse.ArgumentParser) -> None:
    """The `study` command's sweep options (each a comma-separated list of values)."""
    p.add_argument("--kind", choices=("arena", "sweep", "curve"), default="arena",
                   help="arena (default), sweep or curve (a learning curve)")
    p.add_argument("--learning-rate", type=floats, help="sweep: learning rates, e.g. 0.001,0.005")
    p.add_argument("--batch-size", type=ints, help="sweep: batch sizes, e.g. 64,128")
    p.add_argument("--optimizer", type=words, help="sweep: optimizers, e.g. adam,sgd")
    p.add_argument("--dropout", type=floats, help="sweep: dropout rates, e.g. 0,0.25 (set on the Dropout layers)")
    p.add_argument("--random", type=int, metavar="N", help="sweep: N configurations drawn at random instead of a grid")


def space_of(args: argparse.Namespace) -> dict[str, list]:
    """The search space the options give (--epochs is a list here: 1,3 sweeps it)."""
    return {name: getattr(args, name) for name in SWEPT if getattr(args, name)}


def sweep_text(summary: dict[str, Any]) -> str:
    lines = [f"{summary['id']} {summary['state']}  {summary['name']}"]
    width = max([len(r["label"]) for r in summary["rows"]] + [14])
    for r in summary["rows"]:
        acc = "-" if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}"
        val = "-" if r["val_accuracy"] is None else f"{r['val_accuracy']:.4f}"
        mark = "*" if r["run_id"] == summary.get("best") else " "
        lines.append(f" {mark}{r['label']:{width}} {r['run_id']:21} {r['status']:11} test {acc}  val {val}")
    return "\n".join(lines)


def start(args: argparse.Namespace, store) -> str:
    """Queue the sweep the options describe; returns its study id."""
    from cnnlab.train.config import ConfigError
    from cnnlab.train.sweeps import start_sweep

    if "," in args.arch:
        raise CliError("a sweep trains one architecture: give one --arch")
    overrides = {"max_train_samples": args.max_train_samples} if args.max_train_samples else None
    try:
        return start_sweep(
            args.arch.strip(), dataset=args.dataset, space=space_of(args), mode="random" if args.random else "grid",
            trials=args.random, seed=args.seed, name=args.name, overrides=overrides, store=store,
        )  # fmt: skip
    except ConfigError as exc:
        raise CliError(f"cannot start the sweep: {exc}") from None


def summary(study, store) -> dict[str, Any]:
    from cnnlab.train.sweeps import sweep_summary

    return sweep_summary(study, store)


def show(args: argparse.Namespace, result: dict[str, Any]) -> None:
    emit(args, result, sweep_text(result))
