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
  coldstart  seconds from `streamlit run app.py` to the Home page served (health check answers) and rendered
             in Chromium (all of it on screen, its datasets table last), the same page reloaded on the warm server
             (Streamlit's frontend alone), whether TensorFlow got loaded by then, and the server's memory.
  settings   engine throughput in fresh processes under process-level settings (oneDNN, thread pools,
             steps_per_execution) that cannot change inside one process.

Figures are medians with quartiles and ranges. Load averages are printed with them: on a busy machine, rerun.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)

ROOT = Path(__file__).resolve().parents[1]
ONEDNN_LINE = "oneDNN custom operations are on"  # TensorFlow logs it at import when oneDNN is enabled


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def _spread(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    q = statistics.quantiles(v, n=4) if len(v) >= 2 else [v[0], v[0], v[0]]
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "q1": q[0], "q3": q[2], "n": len(v)}


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("tensorflow-cpu", "tensorflow", "keras", "jax", "streamlit", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            out.setdefault(name.replace("-cpu", ""), version(name))
    return out


def environment() -> dict[str, Any]:
    """What the figures were measured with: hardware, versions, and the process-level settings."""
    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "versions": _versions(),
        "keras_backend": os.environ.get("KERAS_BACKEND"),
        "TF_ENABLE_ONEDNN_OPTS (engine)": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "load_average": _load(),
        "accelerator": _accelerator(),
    }


def _accelerator() -> str:
    """The device Keras trains on: under JAX, JAX's first device; on TensorFlow, its first GPU, else the CPU."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    with contextlib.suppress(Exception):
        if backend == "jax":
            import jax

            d = jax.devices()[0]
            return f"{d.platform}: {getattr(d, 'device_kind', d)} (x{jax.device_count()})"
    return f"CPU ({backend})"


# ---------------------------------------------------------------- train: two processes taking turns


class _EngineUnderTest:
    """The real engine (Trainer + live writer + store) on the bench's throwaway data home."""

    def __init__(self, params: dict[str, Any], batch_metrics_every: float) -> None:
        from cnnlab.store import RUNNING, RunStore
        from cnnlab.training import Live, Trainer, prepare

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
        from cnnlab.worker import LiveWriter

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

        from cnnlab.architectures import build_model
        from cnnlab.data import load_dataset
        from cnnlab.training import resolve_arch

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
            cmd = [sys.executable, "-c", "import keras; from cnnlab.bench import _serve_main; _serve_main()"]
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


def _serve_main() -> None:
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
    load_before = _load()
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
        "samples_per_s": {name: _spread(v) for name, v in samples.items()},
        "engine_over_bare": _spread(ratios) if ratios else None,
        "live_metrics_cost": _spread(live_cost) if live_cost else None,
        "batch_metric_rows": ends["engine"]["batch_metric_rows"],
        "onednn": {name: end["onednn"] for name, end in ends.items()},
        "threads": args.threads or "tensorflow default",
        "load": f"{load_before} -> {_load()}",
    }


def _print_train(res: dict[str, Any]) -> None:
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


# ---------------------------------------------------------------- latency


def bench_latency(args: argparse.Namespace) -> dict[str, Any]:
    """Drawing -> prediction and all-layer feature maps for LeNet-5, warm and compiled, in this process."""
    import numpy as np

    from cnnlab.architectures import build_model, preset
    from cnnlab.data import load_dataset, upscale
    from cnnlab.inspection import feature_mapper, time_feature_maps, time_prediction

    ds = load_dataset("mnist-sample")
    model = build_model(preset("lenet5", ds.image_shape, ds.num_classes))  # timing does not depend on the weights
    digit = upscale(ds.x_test[0], 10)  # a real test digit as a 280x280 white-on-black canvas
    canvas = np.concatenate([np.repeat(digit, 3, axis=2), np.full_like(digit, 255)], axis=2)
    image = ds.x_test[:1].astype("float32") / 255.0
    predict = time_prediction(model, canvas, repeats=args.repeats)
    maps = time_feature_maps(model, image, repeats=args.repeats)
    return {
        "model": "lenet5",
        "layers_mapped": len(feature_mapper(model).layers),
        "drawing_to_prediction_ms": _spread([1000 * s for s in predict]),
        "feature_maps_all_layers_ms": _spread([1000 * s for s in maps]),
        "goals_ms": {"drawing_to_prediction": 5.0, "feature_maps": 20.0},
    }


def _print_latency(res: dict[str, Any]) -> None:
    print(f"\nlatency ({res['model']}, loaded and warm, one image; median of {res['drawing_to_prediction_ms']['n']})")
    for key, goal in (("drawing_to_prediction", 5.0), ("feature_maps_all_layers", 20.0)):
        s = res[f"{key}_ms"]
        print(f"  {key:26} {s['median']:6.2f} ms  (quartiles {s['q1']:.2f}-{s['q3']:.2f}; goal < {goal:g} ms)")


# ---------------------------------------------------------------- memory


def _status_kib(pid: int, field: str) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def bench_memory(args: argparse.Namespace) -> dict[str, Any]:
    """Peak RSS of a real worker (python -m cnnlab.worker) training the default recipe for a few epochs."""
    from cnnlab import jobs
    from cnnlab.store import RunStore

    store = RunStore()
    config = {"epochs": args.memory_epochs, "max_train_samples": args.max_train_samples}
    run_id = jobs.start_run(config, name="bench-memory", store=store)
    peak = 0
    t = time.perf_counter()
    while True:
        run = store.get_run(run_id)
        if run.pid:
            peak = max(peak, _status_kib(run.pid, "VmHWM") or 0)
        if run.status not in ("queued", "running"):
            break
        time.sleep(0.1)
    return {
        "config": f"default recipe, {args.memory_epochs} epoch(s)"
        + (f" on {args.max_train_samples} images" if args.max_train_samples else ""),
        "status": run.status,
        "worker_peak_rss_mib": round(peak / 1024, 1),
        "wall_s": round(time.perf_counter() - t, 1),
        "test_accuracy": run.final_metrics.get("test_accuracy"),
    }


def _print_memory(res: dict[str, Any]) -> None:
    print(
        f"\ntraining worker ({res['config']}, {res['status']} in {res['wall_s']} s): "
        f"peak resident memory {res['worker_peak_rss_mib']:,.0f} MiB"
    )


# ---------------------------------------------------------------- cold start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tensorflow_loaded(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return "_pywrap_tensorflow" in Path(f"/proc/{pid}/maps").read_text()
    return False


def _cold_start_once(browser: Any, home: Path) -> dict[str, Any]:
    from cnnlab.i18n import t as text

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CNNLAB_HOME": str(home)}
    page = browser.new_page() if browser else None
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        served = None
        while served is None and time.perf_counter() - t0 < 60:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    served = time.perf_counter() - t0
            time.sleep(0.02)
        if served is None:
            raise RuntimeError("the server did not answer within 60 s")
        out: dict[str, Any] = {"served_s": served}
        if page is not None:
            page.goto(url)
            page.get_by_role("heading", name=text("home.title")).first.wait_for(timeout=60_000)
            out["title_s"] = time.perf_counter() - t0  # first paint of our page
            page.locator("table").first.wait_for(timeout=60_000)  # the datasets table: Home's last element
            out["rendered_s"] = time.perf_counter() - t0
            page.goto(f"{url}/_stcore/health")
            warm = time.perf_counter()  # the same page again on the warm server: the frontend's own share
            page.goto(url)
            page.locator("table").first.wait_for(timeout=60_000)
            out["warm_reload_s"] = time.perf_counter() - warm
            for name in ("data", "build"):  # the other pages that need no model
                page.goto(f"{url}/{name}")
                page.locator("h1").first.wait_for(timeout=60_000)
        out["tensorflow_loaded"] = _tensorflow_loaded(proc.pid)
        out["server_rss_mib"] = round((_status_kib(proc.pid, "VmRSS") or 0) / 1024, 1)
        return out
    finally:
        if page is not None:
            page.close()
        proc.terminate()
        proc.wait(timeout=30)


def bench_coldstart(args: argparse.Namespace) -> dict[str, Any]:
    """Server start to Home served and rendered, several times; Chromium is started beforehand (not counted)."""
    chromium = Path(os.environ.get("CNNLAB_CHROMIUM", "/usr/bin/chromium"))
    skipped = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skipped = "playwright is not installed (pip install -r requirements-dev.txt): only 'served' is measured"
    if skipped is None and not chromium.exists():
        skipped = f"no Chromium at {chromium} (apt-get install chromium): only 'served' is measured"
    tries = []
    with contextlib.ExitStack() as stack:
        browser = None
        if skipped is None:
            pw = stack.enter_context(sync_playwright())
            browser = pw.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
            stack.callback(browser.close)
        for i in range(args.cold_starts):
            home = Path(os.environ["CNNLAB_HOME"]) / f"cold-{i}"
            home.mkdir()
            tries.append(_cold_start_once(browser, home))
            print(f"cold start {i + 1}/{args.cold_starts}: {tries[-1]}", flush=True)
    result: dict[str, Any] = {"served_s": _spread([x["served_s"] for x in tries])}
    if skipped is None:
        for key in ("title_s", "rendered_s", "warm_reload_s"):
            result[key] = _spread([x[key] for x in tries])
    result["tensorflow_loaded_after_home_data_build"] = any(x["tensorflow_loaded"] for x in tries)
    result["server_rss_mib"] = max(x["server_rss_mib"] for x in tries)
    result["goal_rendered_s"] = 3.0
    result["skipped"] = skipped
    return result


def _print_coldstart(res: dict[str, Any]) -> None:
    s = res["served_s"]
    print(f"\ncold start (`streamlit run app.py`, fresh data home, n={s['n']})")
    print(f"  Home served (health check answers)  {s['median']:5.2f} s median (range {s['min']:.2f}-{s['max']:.2f})")
    if "rendered_s" in res:
        r = res["rendered_s"]
        print(
            f"  Home rendered in Chromium           {r['median']:5.2f} s median (range {r['min']:.2f}-{r['max']:.2f};"
            f" goal < {res['goal_rendered_s']:g} s)"
        )
        w = res["warm_reload_s"]
        print(f"  (of which Streamlit's frontend: the same page on the warm server takes {w['median']:.2f} s)")
    else:
        print(f"  Home rendered: skipped, {res['skipped']}")
    loaded = "yes" if res["tensorflow_loaded_after_home_data_build"] else "no"
    print(f"  TensorFlow loaded after Home, Data and Build: {loaded}; server memory {res['server_rss_mib']:,.0f} MiB")


# ---------------------------------------------------------------- settings (one process per variant)

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


SECTIONS = {
    "train": (bench_train, _print_train),
    "latency": (bench_latency, _print_latency),
    "memory": (bench_memory, _print_memory),
    "coldstart": (bench_coldstart, _print_coldstart),
    "settings": (bench_settings, lambda res: None),
}
ALL = ("train", "latency", "memory", "coldstart")  # `settings` takes long and answers another question


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
        rows.append(("feature maps, all layers", f"{r['feature_maps_all_layers_ms']['median']:.2f} ms", "< 20 ms"))
    if "memory" in results:
        rows.append(("training worker peak memory", f"{results['memory']['worker_peak_rss_mib']:,.0f} MiB", ""))
    if "coldstart" in results:
        r = results["coldstart"]
        rows.append(("cold start: Home served", f"{r['served_s']['median']:.2f} s", ""))
        if "rendered_s" in r:
            rows.append(("cold start: Home rendered in Chromium", f"{r['rendered_s']['median']:.2f} s", "< 3 s"))
        loaded = "yes" if r["tensorflow_loaded_after_home_data_build"] else "no"
        rows.append(("TensorFlow loaded by Home, Data, Build", loaded, "no"))
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
    o = parser.add_argument_group("latency, memory, coldstart")
    o.add_argument("--repeats", type=_positive, default=200, help="timed calls per latency figure")
    o.add_argument("--memory-epochs", type=_positive, default=3)
    o.add_argument("--cold-starts", type=_positive, default=3)
    return parser


def _defaults(args: argparse.Namespace) -> None:
    from cnnlab.training import TrainConfig

    cfg = TrainConfig()
    if args.steps_per_execution is None:
        args.steps_per_execution = cfg.steps_per_execution
    if args.batch_metrics_every is None:
        args.batch_metrics_every = cfg.batch_metrics_every
    if args.rounds is None:
        args.rounds = 2 if args.quick else (4 if args.section == "settings" else 10)
    if args.quick:
        args.repeats, args.memory_epochs, args.cold_starts = 20, 1, 1
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
