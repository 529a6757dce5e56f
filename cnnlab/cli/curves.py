"""`study --kind curve`: a learning curve (the data budget and augmentation lab) from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from cnnlab.cli.common import CliError


def _sizes(text: str | None) -> list[Any] | None:
    """The sizes of "250,500,full": [250, 500, "full"]; a word that is neither a number nor "full" is passed on as
    it is, so the engine's refusal names it."""
    if not text:
        return None
    out: list[Any] = []
    for word in (w.strip() for w in text.split(",") if w.strip()):
        out.append(int(word) if word.isdigit() else "full" if word.lower() in ("full", "all") else word)
    return out


def start_curve_study(args: argparse.Namespace, archs: list[str], store) -> str:
    """Validate and queue the learning curve that `args` describes; returns its study id."""
    from cnnlab.train.curves import SIZES, start_curve

    if args.seconds or args.max_train_samples:
        raise CliError("--seconds and --max-train-samples do not apply to a learning curve: --sizes sets its images")
    if args.epochs and len(args.epochs) > 1:
        raise CliError("a learning curve trains every point for the same epochs: give one --epochs")
    return start_curve(
        archs, dataset=args.dataset, epochs=args.epochs[0] if args.epochs else 5,
        sizes=_sizes(args.sizes) or list(SIZES),
        augment=args.augment, seeds=list(range(args.seed, args.seed + args.seeds)) if args.seeds > 0 else args.seeds,
        name=args.name, store=store,
    )  # fmt: skip


def add_curve_args(p: argparse.ArgumentParser) -> None:
    """The `study` command's learning-curve options."""
    p.add_argument("--sizes", help="a curve: training images per point, e.g. 250,500,full (default "
                                   "250,500,1000,2000,full)")  # fmt: skip
    p.add_argument("--augment", choices=("off", "on", "both"), default="both", help="a curve: augmentation")
    p.add_argument("--seeds", type=int, default=1,
                   help="a curve: how many seeds (1-3: --seed, --seed+1, ...) each point is trained with")  # fmt: skip


def curve_text(summary: dict[str, Any]) -> str:
    """The study, a line per run, then a line per curve: n -> mean test accuracy (lowest-highest over seeds)."""
    lines = [f"{summary['id']} {summary['state']}  {summary['name']}"]
    for r in summary["rows"]:
        acc = "-" if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}"
        lines.append(f"  {r['label']:34} {r['run_id']:21} {r['status']:11} test {acc}")
    for line in summary.get("curve", []):
        points = ", ".join(
            f"n={p['n']}: {p['mean']:.4f}" + (f" ({p['min']:.4f}-{p['max']:.4f})" if p["seeds"] > 1 else "")
            for p in line["points"]
        )  # fmt: skip
        lines.append(f"  curve {line['arch']} {'aug' if line['augmentation'] else 'no aug'}: {points or '-'}")
    return "\n".join(lines)
