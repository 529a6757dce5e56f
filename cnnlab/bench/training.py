"""Training throughput: the engine against a bare `model.fit` in TensorFlow's defaults, each in its own
process, taking turns epoch by epoch; and engine throughput under process-level settings."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)
from cnnlab.bench.common import ONEDNN_LINE, ROOT, load_average, spread


class _EngineUnderTest:
    """The real engine (Trainer + live writer + store) on the bench's throwaway data home."""

    def __init__(self, params: dict[str, Any], batch_metrics_every: float) -> None:
        from cnnlab.runs.store import RUNNING, RunStore
        from cnnlab.train.config import prepare
        from cnnlab.train.live import Live
        from cnnlab.train.trainer import Trainer

        cfg = prepare(
            {
                "dataset": params["dataset"],
                "arch": params["arch"],
                "epochs": 10_000,
                "batch_size": params["batch_size"],
                "augmentation": {},  # the bare fit does not augment either
                "steps_per_execution": params["steps_per_execution"],
                "batch_metrics_every": batch_metrics_every,
                "max_train_samples": params["max_train_samples"],
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
        self.samples = len(self.trainer.y_train)

    def fit(self, epochs: int) -> float:
        from cnnlab.train.worker import LiveWriter

        writer = LiveWriter(self.trainer.run_id, self.live, self.every or 1.0)
        writer.start()
        t = time.perf_counter()
        self.trainer.fit(self.epoch, self.epoch + epochs)
        elapsed = time.perf_counter() - t
        writer.stop()
        self.epoch += epochs
        return elapsed

    def rows(self) -> int:
        return len(self.store.metrics(self.trainer.run_id, scope="batch"))


class _BareFit:
    """keras model.fit on float32 NumPy arrays with default settings, as the seed tutorials train."""

    def __init__(self, params: dict[str, Any]) -> None:
        import keras

        from cnnlab.arch.build import build_model
        from cnnlab.data.datasets import load_dataset
        from cnnlab.train.config import resolve_arch

        ds = load_dataset(params["dataset"], seed=0, val_fraction=0.1)
        n = params["max_train_samples"] or len(ds.y_train)
        self.x = ds.x_train[:n].astype("float32") / 255.0
        self.y = ds.y_train[:n]
        self.val = (ds.x_val.astype("float32") / 255.0, ds.y_val)
        self.samples = len(self.y)
        self.batch_size = params["batch_size"]
        self.model = build_model(resolve_arch(params["arch"], ds.image_shape, ds.num_classes))
        self.model.compile(
            optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )

    def fit(self, epochs: int) -> float:
        t = time.perf_counter()
        self.model.fit(self.x, self.y, batch_size=self.batch_size, epochs=epochs, validation_data=self.val, verbose=0)
        return time.perf_counter() - t


def serve(kind: str, params: dict[str, Any]) -> None:
    """Child side: build the trainers of `kind`, warm them up, then run `fit` requests from stdin.

    The protocol is one JSON object per line; our stdout is kept for it alone (everything else goes to stderr).
    """
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    if params.get("threads") and os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        import tensorflow as tf

        intra, inter = (int(v) for v in params["threads"].split(","))
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    if kind == "engine":
        targets: dict[str, Any] = {"engine": _EngineUnderTest(params, params["batch_metrics_every"])}
        if not params.get("engine_only"):
            targets["engine_no_live_metrics"] = _EngineUnderTest(params, 0.0)
    else:
        targets = {"bare": _BareFit(params)}
    for target in targets.values():  # warm-up: tracing, first-epoch allocations
        target.fit(1)
    proto.write(json.dumps({"ready": list(targets), "samples": next(iter(targets.values())).samples}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        if "fit" not in request:
            break
        seconds = targets[request["fit"]].fit(request["epochs"])
        proto.write(json.dumps({"seconds": seconds}) + "\n")
    engine = targets.get("engine")
    proto.write(json.dumps({"batch_metric_rows": engine.rows() if engine else 0}) + "\n")


class _Child:
    """Parent side of `serve`: a long-lived trainer process we hand one epoch at a time."""

    def __init__(self, kind: str, params: dict[str, Any], env: dict[str, str], log: Path) -> None:
        self.log = log
        if kind == "bare":  # Keras (and so TensorFlow) imported before cnnlab can set any default
            cmd = [sys.executable, "-c", "import keras; from cnnlab.bench.training import serve_main; serve_main()"]
        else:
            cmd = [sys.executable, "-m", "cnnlab.bench", "_serve"]
        with open(log, "wb") as err:
            self.proc = subprocess.Popen(
                [*cmd, kind, json.dumps(params)], cwd=ROOT, env=env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
            )  # fmt: skip
        self.ready = self._read()
        self.targets: list[str] = self.ready["ready"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench child exited ({self.proc.wait()}): {self.log.read_text()[-800:]}")
        return json.loads(line)

    def fit(self, target: str, epochs: int) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"fit": target, "epochs": epochs}) + "\n")
        self.proc.stdin.flush()
        return self._read()["seconds"]

    def close(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("{}\n")
        self.proc.stdin.flush()
        last = self._read()
        self.proc.wait(timeout=60)
        last["onednn"] = ONEDNN_LINE in self.log.read_text(errors="replace")
        return last


def serve_main() -> None:
    serve(sys.argv[-2], json.loads(sys.argv[-1]))


def bench_train(args: argparse.Namespace) -> dict[str, Any]:
    """Interleaved throughput: engine (live metrics on / off) in one process, bare fit in another."""
    params = {
        "dataset": args.dataset, "arch": args.arch, "batch_size": args.batch_size,
        "steps_per_execution": args.steps_per_execution, "batch_metrics_every": args.batch_metrics_every,
        "max_train_samples": args.max_train_samples, "threads": args.threads, "engine_only": args.engine_only,
    }  # fmt: skip
    logs = Path(os.environ["CNNLAB_HOME"])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}  # let TensorFlow say whether oneDNN is on
    # two trainer processes share one GPU under JAX, which would otherwise reserve 75% of its memory each
    env.setdefault("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.45")
    bare_env = {k: v for k, v in env.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    load_before = load_average()
    children = {"engine": _Child("engine", params, env, logs / "bench-engine.log")}
    if not args.engine_only:
        children["bare"] = _Child("bare", params, bare_env, logs / "bench-bare.log")
    order = [(child, target) for child in children.values() for target in child.targets]
    n = children["engine"].ready["samples"]
    k = args.epochs_per_round
    samples: dict[str, list[float]] = {target: [] for _, target in order}
    ratios: list[float] = []
    live_cost: list[float] = []
    for r in range(args.rounds):
        got = {}
        for child, target in order if r % 2 == 0 else reversed(order):
            got[target] = n * k / child.fit(target, k)
            samples[target].append(got[target])
        if "bare" in got:
            ratios.append(got["engine"] / got["bare"])
        if "engine_no_live_metrics" in got:
            live_cost.append(1 - got["engine"] / got["engine_no_live_metrics"])
        print(f"round {r + 1}/{args.rounds}: " + "  ".join(f"{t}={v:,.0f}/s" for t, v in got.items()), flush=True)
    ends = {name: child.close() for name, child in children.items()}
    return {
        "dataset": args.dataset,
        "arch": args.arch,
        "batch_size": args.batch_size,
        "train_images": n,
        "epochs_per_round": k,
        "rounds": args.rounds,
        "steps_per_execution": args.steps_per_execution,
        "batch_metrics_every_s": args.batch_metrics_every,
        "samples_per_s": {name: spread(v) for name, v in samples.items()},
        "engine_over_bare": spread(ratios) if ratios else None,
        "live_metrics_cost": spread(live_cost) if live_cost else None,
        "batch_metric_rows": ends["engine"]["batch_metric_rows"],
        "onednn": {name: end["onednn"] for name, end in ends.items()},
        "threads": args.threads or "tensorflow default",
        "load": f"{load_before} -> {load_average()}",
    }


def print_train(res: dict[str, Any]) -> None:
    print(
        f"\n{res['arch']} on {res['dataset']}: {res['train_images']} images, batch {res['batch_size']}, "
        f"{res['rounds']} interleaved rounds of {res['epochs_per_round']} epoch(s), validation included "
        f"(load {res['load']}); oneDNN: " + ", ".join(f"{k} {'on' if v else 'off'}" for k, v in res["onednn"].items())
    )
    for name, s in res["samples_per_s"].items():
        print(f"  {name:24} median {s['median']:8,.0f} samples/s  (quartiles {s['q1']:,.0f}-{s['q3']:,.0f})")
    r = res["engine_over_bare"]
    if r:
        print(f"  engine / bare fit: {r['median']:.2f}x median (quartiles {r['q1']:.2f}-{r['q3']:.2f}, n={r['n']})")
    c = res["live_metrics_cost"]
    if c:
        print(
            f"  streaming per-batch metrics (every {res['batch_metrics_every_s']} s, {res['batch_metric_rows']} rows):"
            f" {100 * c['median']:+.1f}% throughput lost (quartiles {100 * c['q1']:+.1f}% to {100 * c['q3']:+.1f}%;"
            " a negative figure is noise)"
        )


SETTINGS_VARIANTS: list[tuple[str, dict[str, str], list[str]]] = [
    ("oneDNN off", {"TF_ENABLE_ONEDNN_OPTS": "0"}, []),
    ("oneDNN on (default here)", {"TF_ENABLE_ONEDNN_OPTS": "1"}, []),
    ("oneDNN on, threads 1,1", {"TF_ENABLE_ONEDNN_OPTS": "1"}, ["--threads", "1,1"]),
    ("oneDNN on, threads 2,1", {"TF_ENABLE_ONEDNN_OPTS": "1"}, ["--threads", "2,1"]),
    ("oneDNN on, steps_per_execution 8", {"TF_ENABLE_ONEDNN_OPTS": "1"}, ["--steps-per-execution", "8"]),
    ("Keras on JAX (XLA) instead", {"KERAS_BACKEND": "jax"}, []),
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
            print(f"{label:36} failed: {out.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        res = json.loads(out.stdout)
        results[label] = res["samples_per_s"]["engine"]
        if not args.json:
            s = results[label]
            print(
                f"{label:36} median {s['median']:8,.0f} samples/s (min {s['min']:,.0f}, max {s['max']:,.0f})",
                flush=True,
            )
    return results
