"""`python -m cnnlab.bench [SECTION]`: the measurements behind our speed claims, as a script, not as timed tests.

With no section every one below runs, in one go, and a summary table ends the output (`--json`: one document).

  train      the engine's training throughput against a bare `model.fit` of the same model, data and batch size
             in TensorFlow's default settings (the way the seed tutorials train: float32 NumPy arrays, a fresh
             process with no TF_ENABLE_ONEDNN_OPTS); each runs in its own process and they take turns epoch by
             epoch (interleaved rounds), so the ratio of neighbouring measurements cancels most machine drift.
             The engine process also trains a twin with the live per-batch metric stream off: that gap is the
             cost of streaming metrics to the run store.
  latency    a drawing (280x280 canvas) -> `canvas_to_mnist` -> compiled prediction, and all-layer feature maps
             for one image, LeNet-5 already loaded (goals: under 5 ms and 20 ms median).
  memory     peak resident memory (VmHWM) of a real training worker running the default recipe.
  recipes    the default and the "drawings" recipe (cnnlab/train/recipes.py) each trained in full by a real worker,
             one after the other: test accuracy, drawn-digit accuracy, their ratio, drawn accuracy averaged over
             1-pixel shifts, and training seconds, against each recipe's goals (--quick: 1 epoch on a few images).
  firstpoint Train click -> first chart point: `start_run` with the Train page's default config until the run's
             first batch metric row is in the store, with the warm standby worker (default recipe, and another
             recipe) and without it (CNNLAB_STANDBY=0), in interleaved rounds; and the idle standby's memory.
  coldstart  seconds from `streamlit run app.py` to the Home page served (health check answers) and rendered
             in Chromium (all of it on screen, its datasets table last), the same page reloaded on the warm server
             (Streamlit's frontend alone), whether TensorFlow got loaded by then, and the server's memory.
  probe      a trained LeNet-5 pushed on: a slider update (transform + every class's probability; goal <= 100 ms),
             the smallest flipping FGSM epsilon, one layer's activation maximisation (goal <= 5 s), nearest
             training images, and a robustness sweep over the test split.
  untrusted  what parsing a visitor's file in a capped child adds: a photo decoded, a .keras screened and re-written,
             each against the same work in the server's own process.
  ray        the Ray runner against the local runner (both a fresh process per run): start -> first batch point,
             start -> finished, and training throughput, as ratios of interleaved rounds (needs Ray; not in "all").
  classroom  N visitors draw on Predict at once against one server: drawing sent -> finished answer p50/p95/max,
             answers right, errors, server + model service memory; visitors in Chromium contexts (what a person
             sees; on 2 cores the browsers take most of the CPU) and protocol-level visitors (Streamlit's websocket
             messages, recorded from a real browser and replayed with each visitor's drawing: the server's share);
             and N visitors opening Inspect while a run trains (page open -> first chart). Not in "all" (minutes).
  settings   engine throughput in fresh processes under process-level settings (oneDNN, thread pools,
             steps_per_execution) that cannot change inside one process.

Figures are medians with quartiles and ranges. Load averages are printed with them: on a busy machine, rerun.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)
from cnnlab.bench.app import bench_coldstart, bench_memory, print_coldstart, print_memory
from cnnlab.bench.classroom import bench_classroom, print_classroom
from cnnlab.bench.classroom import summary_rows as classroom_rows
from cnnlab.bench.common import environment
from cnnlab.bench.firstpoint import bench_firstpoint, print_firstpoint
from cnnlab.bench.latency import bench_latency, print_latency
from cnnlab.bench.probe import bench_probe, print_probe, summary_rows
from cnnlab.bench.recipes import bench_recipes, print_recipes
from cnnlab.bench.recipes import summary_rows as recipe_rows
from cnnlab.bench.runners import bench_ray, print_ray
from cnnlab.bench.runners import summary_rows as ray_rows
from cnnlab.bench.training import bench_settings, bench_train, print_train, serve
from cnnlab.bench.untrusted import bench_untrusted, print_untrusted
from cnnlab.bench.untrusted import summary_rows as untrusted_rows

# ---------------------------------------------------------------- cold start


# ---------------------------------------------------------------- settings (one process per variant)


SECTIONS = {
    "train": (bench_train, print_train),
    "latency": (bench_latency, print_latency),
    "memory": (bench_memory, print_memory),
    "recipes": (bench_recipes, print_recipes),
    "firstpoint": (bench_firstpoint, print_firstpoint),
    "coldstart": (bench_coldstart, print_coldstart),
    "settings": (bench_settings, lambda res: None),
    "probe": (bench_probe, print_probe),
    "untrusted": (bench_untrusted, print_untrusted),
    "ray": (bench_ray, print_ray),
    "classroom": (bench_classroom, print_classroom),
}
# `settings` answers another question; `ray` needs requirements-cluster.txt; `classroom` takes minutes
ALL = ("train", "latency", "memory", "recipes", "firstpoint", "coldstart", "probe", "untrusted")


def summary(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measure, figure, goal) rows for the end of a full run and for the README's table."""
    rows: list[tuple[str, str, str]] = []
    if "train" in results:
        r = results["train"]
        sps = r["samples_per_s"]
        rows.append(("engine training throughput", f"{sps['engine']['median']:,.0f} samples/s", ""))
        if "bare" in sps:
            rows.append(("bare `model.fit`, TensorFlow defaults", f"{sps['bare']['median']:,.0f} samples/s", ""))
            q = r["engine_over_bare"]
            rows.append(("engine / bare fit", f"{q['median']:.2f}x ({q['q1']:.2f}-{q['q3']:.2f})", "3x"))
        if r["live_metrics_cost"]:
            c = r["live_metrics_cost"]
            rows.append(("throughput lost to live per-batch metrics", f"{100 * c['median']:+.1f}%", ""))
    if "latency" in results:
        r = results["latency"]
        rows.append(("drawing -> prediction", f"{r['drawing_to_prediction_ms']['median']:.2f} ms", "< 5 ms"))
        if "served_drawing_to_prediction_ms" in r:
            served = f"{r['served_drawing_to_prediction_ms']['median']:.2f} ms"
            rows.append(("... through the model service (as the pages ask)", served, "< 5 ms"))
        rows.append(("feature maps, all layers", f"{r['feature_maps_all_layers_ms']['median']:.2f} ms", "< 20 ms"))
    if "memory" in results:
        r = results["memory"]
        rows.append(("training worker peak memory", f"{r['worker_peak_rss_mib']:,.0f} MiB", ""))
    if "recipes" in results:
        rows += recipe_rows(results["recipes"])
    if "firstpoint" in results:
        r = results["firstpoint"]
        rows.append(("Train click -> first point (standby)", f"{r['standby_s']['median']:.2f} s", "< 1.5 s"))
        rows.append(("... standby, another recipe", f"{r['standby_other_recipe_s']['median']:.2f} s", ""))
        rows.append(("... no standby", f"{r['no_standby_s']['median']:.2f} s", ""))
        rows.append(("idle standby memory (resident / own)",
                     f"{r['standby_idle_rss_mib']:,.0f} / {r['standby_idle_uss_mib']:,.0f} MiB", ""))  # fmt: skip
    if "coldstart" in results:
        r = results["coldstart"]
        rows.append(("cold start: Home served", f"{r['served_s']['median']:.2f} s", ""))
        if "rendered_s" in r:
            rows.append(("cold start: Home rendered in Chromium", f"{r['rendered_s']['median']:.2f} s", "< 3 s"))
        loaded = "yes" if r["tensorflow_loaded_after_home_data_build"] else "no"
        rows.append(("TensorFlow loaded by Home, Data, Build", loaded, "no"))
    sections = (("probe", summary_rows), ("untrusted", untrusted_rows), ("ray", ray_rows),
                ("classroom", classroom_rows))  # fmt: skip
    for name, rows_of in sections:
        if name in results:
            rows += rows_of(results[name])
    return rows


def _positive(text: str) -> int:
    """argparse type: a whole number of at least 1 (0 rounds or repeats would leave nothing to report)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _threads(text: str) -> str:
    """argparse type: INTRA,INTER thread pool sizes, both positive."""
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected two positive numbers like 2,1, got {text!r}")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cnnlab.bench", description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 2)[2],
    )  # fmt: skip
    parser.add_argument("section", nargs="?", default="all", choices=["all", *SECTIONS])
    parser.add_argument("--json", action="store_true", help="print one JSON document (progress goes to stderr)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and repeats: checks it runs, not speed")
    t = parser.add_argument_group("train and settings")
    t.add_argument("--dataset", default="mnist-sample")
    t.add_argument("--arch", default="lenet5")
    t.add_argument("--batch-size", type=_positive, default=128)
    t.add_argument("--rounds", type=_positive, default=None, help="interleaved rounds (default 10; settings 4)")
    t.add_argument("--epochs-per-round", type=_positive, default=1)
    t.add_argument("--steps-per-execution", type=_positive, default=None, help="default: the engine's default")
    t.add_argument("--batch-metrics-every", type=float, default=None, help="default: the engine's default")
    t.add_argument("--max-train-samples", type=_positive, default=None)
    t.add_argument("--threads", type=_threads, help="INTRA,INTER thread pool sizes (default: TensorFlow's)")
    t.add_argument("--engine-only", action="store_true", help="measure only the engine (used by `settings`)")
    o = parser.add_argument_group("latency, memory, recipes, firstpoint, coldstart, probe, ray")
    o.add_argument("--repeats", type=_positive, default=200, help="timed calls per latency figure")
    o.add_argument("--memory-epochs", type=_positive, default=3)
    o.add_argument("--recipe-seed", type=int, default=0, help="the seed of the recipes section's runs")
    o.add_argument("--firstpoint-rounds", type=_positive, default=3)
    o.add_argument("--cold-starts", type=_positive, default=3)
    o.add_argument("--classroom", default=None, help="visitors drawing at once in Chromium, per round (default 1,5,10)")
    o.add_argument("--classroom-protocol", default=None,
                   help="protocol-level visitors drawing at once, per round (default 1,10,30)")
    o.add_argument("--classroom-inspect", type=int, default=None, help="visitors opening Inspect (default 30)")
    return parser


def _defaults(args: argparse.Namespace) -> None:
    from cnnlab.train.config import TrainConfig

    cfg = TrainConfig()
    if args.steps_per_execution is None:
        args.steps_per_execution = cfg.steps_per_execution
    if args.batch_metrics_every is None:
        args.batch_metrics_every = cfg.batch_metrics_every
    if args.rounds is None:
        args.rounds = 2 if args.quick else (4 if args.section == "settings" else 10)
    if args.classroom is None:
        args.classroom = "1,2" if args.quick else "1,5,10"
    if args.classroom_protocol is None:
        args.classroom_protocol = "1,3" if args.quick else "1,10,30"
    if args.classroom_inspect is None:
        args.classroom_inspect = 2 if args.quick else 30
    if args.quick:
        args.repeats, args.memory_epochs, args.cold_starts, args.firstpoint_rounds = 20, 1, 1, 1
        args.max_train_samples = args.max_train_samples or 512


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_serve"]:  # a trainer process of the `train` section
        serve(argv[1], json.loads(argv[2]))
        return 0
    args = build_parser().parse_args(argv)
    _defaults(args)
    sections = ALL if args.section == "all" else (args.section,)
    own_home = "CNNLAB_BENCH_HOME" not in os.environ
    home = Path(os.environ.get("CNNLAB_BENCH_HOME") or tempfile.mkdtemp(prefix="cnnlab-bench-"))
    os.environ["CNNLAB_HOME"] = str(home)  # runs and caches of a benchmark never mix with the user's
    results: dict[str, Any] = {"env": environment()}
    try:
        for name in sections:
            run, show = SECTIONS[name]
            with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
                results[name] = run(args)
                show(results[name])
    finally:
        if own_home:
            shutil.rmtree(home, ignore_errors=True)
    if args.json:
        results["summary"] = summary(results)
        print(json.dumps(results if len(sections) > 1 else {"env": results["env"], **results[sections[0]]}, indent=2))
    elif len(sections) > 1:
        env = results["env"]
        print(
            f"\nsummary: {env['cpu']}, {env['cpus']} cores, {env['memory_gib']} GiB; "
            + ", ".join(f"{k} {v}" for k, v in env["versions"].items())
        )
        for measure, figure, goal in summary(results):
            print(f"  {measure:42} {figure:>24}   {('goal ' + goal) if goal else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
