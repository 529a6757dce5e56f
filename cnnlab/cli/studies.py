"""`study`, `studies`: studies of many runs (an arena of architectures; a sweep: cli/sweeps.py; a learning curve:
cli/curves.py); `quantize`: one run as TFLite float32, dynamic-range and int8, measured."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from cnnlab.cli import sweeps
from cnnlab.cli.common import CliError, emit
from cnnlab.cli.curves import add_curve_args, curve_text, start_curve_study


def _summary(study, store) -> dict[str, Any]:
    """A study as `study --json` and `studies --json` print it: a sweep's rows are its configurations."""
    from cnnlab.train.studies import study_summary

    return sweeps.summary(study, store) if study.kind == "sweep" else study_summary(study, store)


def _wait(study_id: str, store, timeout: float | None) -> dict[str, Any]:
    """Poll (reconciling, so dead workers are noticed and queued runs start) until no run is queued or running."""
    from cnnlab.runs import jobs, studies

    deadline = None if timeout is None else time.monotonic() + timeout
    shown: set[str] = set()
    while True:
        jobs.reconcile(store)
        summary = _summary(studies.get_study(store, study_id), store)
        for row in summary["rows"]:
            if row["status"] not in ("queued", "running") and row["run_id"] not in shown:
                shown.add(row["run_id"])
                print(f"{row['label']}: {row['status']}", file=sys.stderr, flush=True)
        if summary["state"] != "running":
            return summary
        if deadline is not None and time.monotonic() > deadline:
            raise CliError(f"study {study_id} is still running after {timeout:.0f}s; `studies` shows it")
        time.sleep(0.5)


def _text(summary: dict[str, Any]) -> str:
    if summary["kind"] == "sweep":
        return sweeps.sweep_text(summary)
    if summary["kind"] == "curve":
        return curve_text(summary)
    lines = [f"{summary['id']} {summary['state']}  {summary['name']}"]
    for r in summary["rows"]:
        acc = "-" if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}"
        drawn = "-" if r["drawn_accuracy"] is None else f"{r['drawn_accuracy']:.4f}"
        latency = "-" if r["latency_ms"] is None else f"{r['latency_ms']:.2f} ms"
        params = "-" if r["params"] is None else f"{r['params']:,}"
        lines.append(f"  {r['label']:14} {r['run_id']:21} {r['status']:11} params {params:>10}  test {acc}  "
                     f"drawn {drawn}  latency {latency}")  # fmt: skip
    return "\n".join(lines)


def cmd_study(args: argparse.Namespace) -> int:
    from cnnlab.runs.store import RunStore
    from cnnlab.train.config import ConfigError
    from cnnlab.train.studies import SECONDS_CAP_EPOCHS, start_arena

    archs = [a.strip() for a in args.arch.split(",") if a.strip()]
    store = RunStore()
    if args.kind == "sweep":
        return _finish(args, store, sweeps.start(args, store))
    if args.kind == "curve":
        try:
            return _finish(args, store, start_curve_study(args, archs, store))
        except ConfigError as exc:
            raise CliError(f"cannot start the study: {exc}") from None
    if args.epochs and len(args.epochs) > 1:
        raise CliError("an arena trains every entry for the same epochs: give one --epochs (a sweep takes a list)")
    try:
        overrides = {"max_train_samples": args.max_train_samples} if args.max_train_samples else None
        epochs = args.epochs[0] if args.epochs else (SECONDS_CAP_EPOCHS if args.seconds else 5)
        study_id = start_arena(archs, dataset=args.dataset, epochs=epochs, name=args.name, seed=args.seed,
                               overrides=overrides, store=store, seconds=args.seconds)  # fmt: skip
    except ConfigError as exc:
        raise CliError(f"cannot start the study: {exc}") from None
    return _finish(args, store, study_id)


def _finish(args: argparse.Namespace, store, study_id: str) -> int:
    """Wait for the study (unless --detach), print it, and say by the exit status whether it went well."""
    from cnnlab.runs import studies

    if args.detach:
        summary = _summary(studies.get_study(store, study_id), store)
    else:
        summary = _wait(study_id, store, args.timeout)
    emit(args, summary, _text(summary))
    return 0 if summary["state"] in ("finished", "running") else 1


def add_study(sub) -> None:
    p = sub.add_parser("study", help="an arena: train 2-6 architectures on the same data and recipe, then compare "
                       "(or --kind sweep: one architecture over a grid of hyperparameters; --kind curve: a learning "
                       "curve over training-set sizes, with augmentation off and on)")  # fmt: skip
    p.add_argument("--arch", required=True,
                   help="comma-separated presets, e.g. lenet5,simple_cnn (a sweep: one; a curve: 1-2)")  # fmt: skip
    p.add_argument("--dataset", default="mnist-sample", help="dataset name (`datasets` lists them)")
    p.add_argument("--epochs", type=sweeps.ints, help="epochs for every entry (default 5; with --seconds, the most any "
                   "trains); a sweep takes a list, e.g. 1,3")  # fmt: skip
    p.add_argument("--seconds", type=float, help="a budget of training time instead: each entry trains this long")
    p.add_argument("--seed", type=int, default=0, help="the seed every entry shares")
    p.add_argument("--name", help="the study's name")
    p.add_argument("--max-train-samples", type=int, help="every entry trains on the first N training images only")
    p.add_argument("--detach", action="store_true", help="return at once; the runs train in the background")
    p.add_argument("--timeout", type=float, help="give up waiting after N seconds (the runs go on)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    sweeps.add_sweep_args(p)
    add_curve_args(p)
    p.set_defaults(func=cmd_study)


def cmd_studies(args: argparse.Namespace) -> int:
    from cnnlab.runs import jobs, studies
    from cnnlab.runs.store import RunStore

    store = RunStore()
    jobs.reconcile(store)
    summaries = [_summary(s, store) for s in studies.list_studies(store)]
    text = "\n".join(_text(s) for s in summaries) or "no studies yet; `python -m cnnlab study --arch A,B` starts one"
    emit(args, summaries, text)
    return 0


def add_studies(sub) -> None:
    p = sub.add_parser("studies", help="list every study with its kind, settings and runs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_studies)


def _quant_text(result: dict[str, Any]) -> str:
    lines = [f"{result['run_id']}: TensorFlow Lite on {result['n_test']:,} test images"]
    for v in result["variants"]:
        lines.append(f"  {v['mode']:8} {v['size_bytes'] / 1024:8.1f} KB  test {v['test_accuracy']:.4f}  "
                     f"latency {v['latency_ms']:.3f} ms")  # fmt: skip
    w = result.get("weights")
    if w:
        lines.append(f"  {w['layer']}: {w['distinct_float32']} distinct weights -> {w['distinct_int8']} in int8, "
                     f"largest change {w['max_abs_error']:.5f}")  # fmt: skip
    return "\n".join(lines)


def cmd_quantize(args: argparse.Namespace) -> int:
    from cnnlab.quantization import quantize_run
    from cnnlab.runs.store import RunStore

    store = RunStore()
    run = store.find_run(args.run)
    result = quantize_run(store, run.id, lambda done, total: print(f"{done}/{total}", file=sys.stderr, flush=True))
    emit(args, result, _quant_text(result))
    return 0


def add_quantize(sub) -> None:
    p = sub.add_parser("quantize", help="a run's model as TensorFlow Lite float32, dynamic-range and int8, measured")
    p.add_argument("run", help="run id (or a unique prefix)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_quantize)
