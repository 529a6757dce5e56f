"""The Ray runner against the local runner on this machine: the same run started through each, in interleaved
rounds, timed from `start_run` to its first batch point and to its end, with the training throughput the run
measured itself (samples/s of its epochs after the first). Both start a fresh process per run (the local runner
without its warm standby, CNNLAB_STANDBY=0; a Ray task gets a new Ray worker process), so the ratio is what Ray's
scheduling and the store's actor add. Ray connects to RAY_ADDRESS when set, else to a small private instance."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from cnnlab.bench.common import load_average, spread
from cnnlab.bench.firstpoint import WAIT_S, page_config, standby_setting, started_until_first_point

RUNNERS = ("local", "ray")


def _one_run(store, config: dict[str, Any]) -> dict[str, float]:
    from cnnlab.runs import jobs

    t0 = time.perf_counter()
    run_id, first = started_until_first_point(store, config, "bench-runner", poll=0.01)
    run = jobs.wait_for(run_id, timeout=WAIT_S, store=store, poll=0.05)
    if run.status != "finished":
        raise RuntimeError(f"run {run_id} ended {run.status}: {run.reason}")
    rates = [m.value for m in store.metrics(run_id, scope="epoch", split="train") if m.name == "samples_per_s"]
    later = rates[1:] or rates  # (the first epoch includes tracing the train step)
    return {"first_point_s": first, "total_s": time.perf_counter() - t0, "samples_per_s": statistics.median(later)}


def bench_ray(args: argparse.Namespace) -> dict[str, Any]:
    import ray

    from cnnlab.data.datasets import DEFAULT_DATASET, load_dataset
    from cnnlab.runs.store import RunStore
    from cnnlab.train import ray_runner

    load_dataset(DEFAULT_DATASET)  # parsed once, beforehand
    own = not ray.is_initialized() and not os.environ.get("RAY_ADDRESS")
    if own:  # small: the object store holds nothing big here
        ray.init(namespace=ray_runner.NAMESPACE, include_dashboard=False, object_store_memory=100 * 2**20,
                 log_to_driver=False, runtime_env=ray_runner.job_runtime_env())  # fmt: skip
    config = page_config(epochs=3, max_train_samples=args.max_train_samples or 2048)
    store = RunStore()
    times: dict[str, dict[str, list[float]]] = {r: {"first_point_s": [], "total_s": [], "samples_per_s": []}
                                                for r in RUNNERS}  # fmt: skip
    before = os.environ.get("CNNLAB_RUNNER")
    load_before = load_average()
    try:
        with standby_setting("0"):
            for i in range(args.firstpoint_rounds):
                for runner in RUNNERS:
                    os.environ["CNNLAB_RUNNER"] = runner
                    for key, value in _one_run(store, config).items():
                        times[runner][key].append(value)
                print(f"runners, round {i + 1}/{args.firstpoint_rounds}: "
                      + ", ".join(f"{r} first point {times[r]['first_point_s'][-1]:.2f} s" for r in RUNNERS),
                      flush=True)  # fmt: skip
    finally:
        if before is None:
            os.environ.pop("CNNLAB_RUNNER", None)
        else:
            os.environ["CNNLAB_RUNNER"] = before
        if own:
            ray.shutdown()
    result: dict[str, Any] = {r: {k: spread(v) for k, v in times[r].items()} for r in RUNNERS}
    for key in ("first_point_s", "total_s", "samples_per_s"):
        pairs = zip(times["ray"][key], times["local"][key], strict=True)
        result[f"ray_over_local_{key}"] = spread([r / loc for r, loc in pairs])
    result["config"] = {"epochs": config["epochs"], "max_train_samples": config["max_train_samples"]}
    result["cluster"] = os.environ.get("RAY_ADDRESS") or "a private Ray instance on this machine"
    result["load"] = f"{load_before} -> {load_average()}"
    return result


def print_ray(res: dict[str, Any]) -> None:
    cfg = res["config"]
    print(f"\nRay runner vs local runner ({cfg['epochs']} epochs of {cfg['max_train_samples']} images, LeNet-5; "
          f"{res['cluster']}; load {res['load']})")  # fmt: skip
    labels = {"first_point_s": ("start -> first batch point", "s"), "total_s": ("start -> finished", "s"),
              "samples_per_s": ("training throughput, epochs 2+", "samples/s")}  # fmt: skip
    for key, (label, unit) in labels.items():
        local, ray, q = res["local"][key], res["ray"][key], res[f"ray_over_local_{key}"]
        print(f"  {label:34} local {local['median']:8.2f} {unit:9} ray {ray['median']:8.2f} {unit:9} "
              f"ray/local {q['median']:.2f}x (n={q['n']})")  # fmt: skip


def summary_rows(res: dict[str, Any]) -> list[tuple[str, str, str]]:
    q = {k: res[f"ray_over_local_{k}"]["median"] for k in ("first_point_s", "samples_per_s")}
    return [
        ("Ray runner / local: time to first point", f"{q['first_point_s']:.2f}x", ""),
        ("Ray runner / local: training throughput", f"{q['samples_per_s']:.2f}x", ""),
    ]
