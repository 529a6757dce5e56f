"""The named recipes side by side: each trained in full by a real worker, its accuracy on the test digits and on
the same digits drawn as people draw, and how long it trained, against the recipe's goals."""

from __future__ import annotations

import argparse
import time
from typing import Any

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)
from cnnlab.bench.common import load_average

# The goals each recipe was chosen against (issue 19); None: no goal for that figure.
GOALS: dict[str, dict[str, float | None]] = {
    "default": {"test_accuracy": 0.985, "drawn_ratio": None, "train_s": 30.0},
    "drawings": {"test_accuracy": 0.990, "drawn_ratio": 0.99, "train_s": 90.0},
}


def _run_recipe(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Train recipe `name` on the benchmark's dataset through `start_run` (a fresh worker process) and wait."""
    from cnnlab.runs.store import RunStore
    from cnnlab.train import launch as jobs
    from cnnlab.train.recipes import recipe_config

    store = RunStore()
    config = recipe_config(name, args.dataset)
    config["seed"] = args.recipe_seed
    if args.quick:  # checks the section runs, not what the recipe reaches
        config.update(epochs=1, max_train_samples=args.max_train_samples)
    load_before = load_average()
    t = time.perf_counter()
    run_id = jobs.start_run(config, name=f"bench-recipe-{name}", store=store)
    while (run := store.get_run(run_id)).status in ("queued", "running"):
        time.sleep(0.2)
    fm = run.final_metrics
    return {
        "run_id": run_id,
        "status": run.status,
        "epochs": config["epochs"],
        "epochs_done": run.epochs_done,
        "seed": args.recipe_seed,
        "train_s": round(run.train_seconds, 1),  # the epochs alone (what the run store records)
        "wall_s": round(time.perf_counter() - t, 1),  # start -> finished: a new worker's TensorFlow import and the
        # evaluations (test, drawn, shifted) included
        "test_accuracy": fm.get("test_accuracy"),
        "drawn_accuracy": fm.get("drawn_accuracy"),  # the same test digits re-drawn as people draw
        "drawn_ratio": fm.get("drawn_ratio"),
        "drawn_accuracy_shifted": fm.get("drawn_accuracy_shifted"),  # averaged over itself and its 8 1-px shifts
        "latency_ms": fm.get("latency_ms"),
        "latency_shifted_ms": fm.get("latency_shifted_ms"),
        "load_average": f"{load_before} -> {load_average()}",
        "goals": GOALS[name],
    }


def bench_recipes(args: argparse.Namespace) -> dict[str, Any]:
    """The default and the drawings recipe, one after the other (never at once: they would share the cores)."""
    from cnnlab.data import drawn
    from cnnlab.data.datasets import load_dataset

    ds = load_dataset(args.dataset, seed=args.recipe_seed)  # made once before any clock starts: the converted
    if drawn.applies_to(ds.x_test.shape[1:]):  # dataset and the drawn-digit set are cached for both runs alike
        drawn.drawn_test_images(ds.x_test, drawn.DRAWN_SEED)
    out: dict[str, Any] = {"dataset": args.dataset, "quick": bool(args.quick)}
    for name in GOALS:
        out[name] = _run_recipe(name, args)
        print(f"recipe {name}: {out[name]}", flush=True)
    return out


def _met(value: float | None, goal: float | None, *, at_most: bool = False) -> str:
    if goal is None or value is None:
        return ""
    ok = value <= goal if at_most else value >= goal
    return "met" if ok else "missed"


def print_recipes(res: dict[str, Any]) -> None:
    print(f"\nrecipes on {res['dataset']}" + (" (quick: 1 epoch on a few images, not the recipes' figures)"
                                             if res["quick"] else ""))  # fmt: skip
    print(f"  {'recipe':10} {'test':>7} {'drawn':>7} {'ratio':>6} {'shifted':>8} {'train':>8} {'wall':>8}")
    for name in GOALS:
        r = res[name]
        if r["test_accuracy"] is None or r["drawn_accuracy"] is None:
            print(f"  {name:10} {r['status']} (no accuracy recorded)")
            continue
        print(
            f"  {name:10} {r['test_accuracy']:7.1%} {r['drawn_accuracy']:7.1%} {r['drawn_ratio']:6.3f} "
            f"{r['drawn_accuracy_shifted']:8.1%} {r['train_s']:7.1f}s {r['wall_s']:7.1f}s   load {r['load_average']}"
        )


def summary_rows(res: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for name, g in GOALS.items():
        r = res[name]
        if r["test_accuracy"] is None or r["drawn_accuracy"] is None:
            continue
        goal = f">= {g['test_accuracy']:.1%}"
        rows.append((f"recipe {name}: test accuracy", f"{r['test_accuracy']:.1%}",
                     f"{goal} {_met(r['test_accuracy'], g['test_accuracy'])}".strip()))  # fmt: skip
        rows.append(("... drawn accuracy (shift-averaged)",
                     f"{r['drawn_accuracy']:.1%} ({r['drawn_accuracy_shifted']:.1%})", ""))  # fmt: skip
        ratio_goal = f">= {g['drawn_ratio']:.2f} {_met(r['drawn_ratio'], g['drawn_ratio'])}" if g["drawn_ratio"] else ""
        rows.append(("... drawn / test", f"{r['drawn_ratio']:.3f}", ratio_goal))
        rows.append(("... training seconds (whole run)", f"{r['train_s']:.1f} s ({r['wall_s']:.1f} s)",
                     f"<= {g['train_s']:g} s {_met(r['train_s'], g['train_s'], at_most=True)}"))  # fmt: skip
    return rows
