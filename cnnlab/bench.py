"""`python -m cnnlab.bench SECTION`: measurements that are scripts, not timed tests.

Sections (add new ones to SECTIONS):
  train     the engine's training throughput against a bare `model.fit` of the same model, data and batch
            size in TensorFlow's default settings (the way the seed tutorials train), measured interleaved in
            one process; prints the ratio with its spread and the cost of the live per-batch metric writes.
  settings  the same engine measurement in fresh processes under different process-level settings
            (oneDNN on/off, thread pools), which cannot change inside one process.

Timings on a shared machine drift; interleaving (engine, bare, bare, engine, ...) and reporting the median
ratio of neighbouring measurements cancels most of it. Load averages are printed with the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def _spread(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    q = statistics.quantiles(v, n=4) if len(v) >= 2 else [v[0], v[0], v[0]]
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "q1": q[0], "q3": q[2], "n": len(v)}


# ---------------------------------------------------------------- train


class _EngineUnderTest:
    """The real engine (Trainer + live writer + store) on a throwaway data home."""

    def __init__(self, args: argparse.Namespace, batch_metrics_every: float) -> None:
        from cnnlab.store import RUNNING, RunStore
        from cnnlab.training import Live, Trainer, prepare

        cfg = prepare(
            {
                "dataset": args.dataset,
                "arch": args.arch,
                "epochs": 10_000,
                "batch_size": args.batch_size,
                "augmentation": {},  # the bare fit does not augment either
                "steps_per_execution": args.steps_per_execution,
                "batch_metrics_every": batch_metrics_every,
                "max_train_samples": args.max_train_samples,
            }
        )
        self.store = RunStore()
        rid = self.store.create_run(name="bench", arch=cfg.arch, dataset=cfg.dataset, config=cfg.to_dict())
        self.store.update_run(rid, status=RUNNING, pid=os.getpid())
        self.live = Live()
        self.trainer = Trainer(rid, self.store, self.live)
        self.trainer.load_data()
        self.trainer.build()
        self.epoch = 0
        self.every = batch_metrics_every
        self.rows_written = 0

    def fit(self, epochs: int) -> float:
        from cnnlab.worker import LiveWriter

        writer = LiveWriter(self.trainer.run_id, self.live, self.every or 1.0)
        writer.start()
        t = time.perf_counter()
        self.trainer.fit(self.epoch, self.epoch + epochs)
        elapsed = time.perf_counter() - t
        writer.stop()
        self.epoch += epochs
        return elapsed


class _BareFit:
    """keras model.fit on float32 NumPy arrays with default settings, as the seed tutorials train."""

    def __init__(self, trainer, batch_size: int) -> None:
        import keras

        from cnnlab.architectures import ArchSpec, build_model

        self.x = trainer.x_train.astype("float32") / 255.0
        self.y = trainer.y_train
        self.val = (trainer.dataset.x_val.astype("float32") / 255.0, trainer.dataset.y_val)
        self.batch_size = batch_size
        self.model = build_model(ArchSpec.from_dict(trainer.cfg.arch))
        self.model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                           metrics=["accuracy"])

    def fit(self, epochs: int) -> float:
        t = time.perf_counter()
        self.model.fit(self.x, self.y, batch_size=self.batch_size, epochs=epochs, validation_data=self.val, verbose=0)
        return time.perf_counter() - t


def bench_train(args: argparse.Namespace) -> dict[str, Any]:
    """Interleaved throughput of engine (live metrics on / off) vs bare fit; returns the figures."""
    home = tempfile.mkdtemp(prefix="cnnlab-bench-")
    os.environ["CNNLAB_HOME"] = home
    if args.threads:
        intra, inter = (int(v) for v in args.threads.split(","))
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    load_before = _load()
    engine = _EngineUnderTest(args, batch_metrics_every=args.batch_metrics_every)
    quiet = _EngineUnderTest(args, batch_metrics_every=0.0) if not args.engine_only else None
    bare = None if args.engine_only else _BareFit(engine.trainer, args.batch_size)
    n = len(engine.trainer.y_train)
    k = args.epochs_per_round
    # warm-up: tracing, first-epoch allocations
    engine.fit(1)
    if quiet is not None:
        quiet.fit(1)
    if bare is not None:
        bare.fit(1)
    samples: dict[str, list[float]] = {"engine": [], "engine_no_live_metrics": [], "bare": []}
    ratios: list[float] = []
    live_cost: list[float] = []
    for r in range(args.rounds):
        order = [("engine", engine), ("bare", bare), ("engine_no_live_metrics", quiet)]
        if r % 2:
            order.reverse()
        got = {}
        for name, target in order:
            if target is None:
                continue
            got[name] = n * k / target.fit(k)
            samples[name].append(got[name])
        if "bare" in got:
            ratios.append(got["engine"] / got["bare"])
        if "engine_no_live_metrics" in got:
            live_cost.append(1 - got["engine"] / got["engine_no_live_metrics"])
        if not args.json:
            print(f"round {r + 1}: " + "  ".join(f"{k_}={v:,.0f}/s" for k_, v in got.items()), flush=True)
    rows = engine.store.metrics(engine.trainer.run_id, scope="batch")
    result: dict[str, Any] = {
        "dataset": args.dataset,
        "arch": args.arch,
        "batch_size": args.batch_size,
        "train_images": n,
        "epochs_per_round": k,
        "rounds": args.rounds,
        "steps_per_execution": args.steps_per_execution,
        "batch_metrics_every_s": args.batch_metrics_every,
        "samples_per_s": {name: _spread(v) for name, v in samples.items() if v},
        "engine_over_bare": _spread(ratios) if ratios else None,
        # fastest epoch against fastest epoch: robust when other processes load the machine in bursts
        "engine_over_bare_best": max(samples["engine"]) / max(samples["bare"]) if samples["bare"] else None,
        "live_metrics_cost": _spread(live_cost) if live_cost else None,
        "batch_metric_rows": len(rows),
        "env": {
            "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
            "threads": args.threads or "tensorflow default",
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": _load(),
        },
    }
    engine.store.close()
    return result


def _print_train(res: dict[str, Any]) -> None:
    print(
        f"\n{res['arch']} on {res['dataset']}: {res['train_images']} images, batch {res['batch_size']}, "
        f"{res['rounds']} interleaved rounds of {res['epochs_per_round']} epochs "
        f"(load {res['env']['load_before']} -> {res['env']['load_after']})"
    )
    for name, s in res["samples_per_s"].items():
        print(f"  {name:24} median {s['median']:8,.0f} samples/s  (min {s['min']:,.0f}, max {s['max']:,.0f})")
    r = res["engine_over_bare"]
    if r:
        print(
            f"  engine / bare fit: {r['median']:.2f}x median of rounds (quartiles {r['q1']:.2f}-{r['q3']:.2f}, "
            f"range {r['min']:.2f}-{r['max']:.2f}, n={r['n']}); fastest vs fastest {res['engine_over_bare_best']:.2f}x"
        )
    c = res["live_metrics_cost"]
    if c:
        print(
            f"  live per-batch metric writes (every {res['batch_metrics_every_s']}s, {res['batch_metric_rows']} rows): "
            f"{100 * c['median']:+.1f}% throughput cost median (range {100 * c['min']:+.1f}% to {100 * c['max']:+.1f}%)"
        )


# ---------------------------------------------------------------- settings (one process per variant)

SETTINGS_VARIANTS: list[tuple[str, dict[str, str], list[str]]] = [
    ("oneDNN off", {"TF_ENABLE_ONEDNN_OPTS": "0"}, []),
    ("oneDNN on (default here)", {"TF_ENABLE_ONEDNN_OPTS": "1"}, []),
    ("oneDNN on, threads 1,1", {"TF_ENABLE_ONEDNN_OPTS": "1"}, ["--threads", "1,1"]),
    ("oneDNN on, threads 2,1", {"TF_ENABLE_ONEDNN_OPTS": "1"}, ["--threads", "2,1"]),
    ("oneDNN on, steps_per_execution 8", {"TF_ENABLE_ONEDNN_OPTS": "1"}, ["--steps-per-execution", "8"]),
]


def bench_settings(args: argparse.Namespace) -> dict[str, Any]:
    results = {}
    for label, env_over, extra in SETTINGS_VARIANTS:
        env = {**os.environ, **env_over}
        cmd = [
            sys.executable, "-m", "cnnlab.bench", "train", "--json", "--engine-only",
            "--rounds", str(args.rounds), "--batch-size", str(args.batch_size), *extra,
        ]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if out.returncode != 0:
            results[label] = {"error": out.stderr[-500:]}
            continue
        res = json.loads(out.stdout)
        results[label] = res["samples_per_s"]["engine"]
        if not args.json:
            s = results[label]
            print(f"{label:36} median {s['median']:8,.0f} samples/s (min {s['min']:,.0f}, max {s['max']:,.0f})",
                  flush=True)
    return results


SECTIONS = {"train": bench_train, "settings": bench_settings}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cnnlab.bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="section", required=True)
    t = sub.add_parser("train", help="engine vs bare model.fit throughput, interleaved in one process")
    t.add_argument("--dataset", default="mnist-sample")
    t.add_argument("--arch", default="lenet5")
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--rounds", type=int, default=10)
    t.add_argument("--epochs-per-round", type=int, default=1)
    t.add_argument("--steps-per-execution", type=int, default=None, help="default: the engine's default")
    t.add_argument("--batch-metrics-every", type=float, default=0.5)
    t.add_argument("--max-train-samples", type=int, default=None)
    t.add_argument("--threads", help="INTRA,INTER thread pool sizes (default: TensorFlow's)")
    t.add_argument("--engine-only", action="store_true", help="measure only the engine (used by `settings`)")
    t.add_argument("--json", action="store_true")
    s = sub.add_parser("settings", help="engine throughput under process-level settings (one process each)")
    s.add_argument("--batch-size", type=int, default=128)
    s.add_argument("--rounds", type=int, default=4)
    s.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.section == "train" and args.steps_per_execution is None:
        from cnnlab.training import TrainConfig

        args.steps_per_execution = TrainConfig().steps_per_execution
    if args.json:  # progress lines go to stderr so stdout is exactly one JSON document
        with contextlib.redirect_stdout(sys.stderr):
            result = SECTIONS[args.section](args)
    else:
        result = SECTIONS[args.section](args)
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.section == "train":
        _print_train(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
