"""Train click -> first chart point: `start_run` with the Train page's default config, until the run's first batch
metric row is in the store, with the warm standby worker and without it; and what an idle standby costs."""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)
from cnnlab.bench.common import load_average, spread

WAIT_S = 300.0  # a standby warming up on a busy machine; a first point that never comes


def page_config(**changes: Any) -> dict[str, Any]:
    """What the Train page sends when nothing was changed (cnnlab/ui/train.py): the default recipe, LeNet-5."""
    from cnnlab.train.config import TrainConfig

    return {**TrainConfig().to_dict(), "arch": "lenet5", **changes}


@contextlib.contextmanager
def standby_setting(value: str) -> Iterator[None]:
    """CNNLAB_STANDBY for this process and the workers it starts."""
    before = os.environ.get("CNNLAB_STANDBY")
    os.environ["CNNLAB_STANDBY"] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CNNLAB_STANDBY", None)
        else:
            os.environ["CNNLAB_STANDBY"] = before


def idle_standby(store) -> Any:
    """Wait until a standby has warmed up (an idle one uses no CPU, so every measurement starts from a quiet box)."""
    from cnnlab.runs import jobs

    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        jobs.keep_standby(store)
        ready = [s for s in jobs.free_standbys(store) if s.state == "idle"]
        if ready:
            return ready[0]
        time.sleep(0.2)
    raise RuntimeError(f"no standby was ready within {WAIT_S:.0f} s")


def started_until_first_point(store, config: dict[str, Any], name: str, poll: float = 0.005) -> tuple[str, float]:
    """(run id, seconds) from start_run to the run's first batch metric row in the store."""
    from cnnlab.train.launch import start_run

    t0 = time.perf_counter()
    run_id = start_run(config, name=name, store=store)
    while not store.metrics(run_id, scope="batch", limit=1):
        if time.perf_counter() - t0 > WAIT_S:
            raise RuntimeError(f"run {run_id}: no batch point within {WAIT_S:.0f} s ({store.get_run(run_id).status})")
        time.sleep(poll)
    return run_id, time.perf_counter() - t0


def first_point(store, config: dict[str, Any]) -> tuple[float, int | None]:
    """Seconds from the Train click (start_run) to the run's first batch metric row; then the run is stopped.
    Also the pid the run went to."""
    from cnnlab.runs import jobs

    run_id, seconds = started_until_first_point(store, config, "bench-firstpoint")
    pid = store.get_run(run_id).pid
    jobs.stop_run(run_id, store)
    run = jobs.wait_for(run_id, timeout=WAIT_S, store=store, poll=0.1)
    if run.status != "stopped":
        raise RuntimeError(f"run {run_id} ended {run.status}: {run.reason}")
    deadline = time.monotonic() + WAIT_S
    while pid and jobs.pid_alive(pid) and time.monotonic() < deadline:  # it has started the next standby by then
        time.sleep(0.05)
    return seconds, pid


def standby_memory(pid: int) -> dict[str, float]:
    """An idle standby's memory: resident (RSS; counts the shared libraries too) and its own (USS)."""
    import psutil

    info = psutil.Process(pid).memory_full_info()
    return {"rss_mib": round(info.rss / 2**20, 1), "uss_mib": round(info.uss / 2**20, 1)}


def bench_firstpoint(args: argparse.Namespace) -> dict[str, Any]:
    """Interleaved rounds: no standby, standby with the default recipe, standby with another recipe (epochs changed,
    so its train step is not the prepared one); each starts when the standby is idle (the box quiet)."""
    from cnnlab.data.datasets import DEFAULT_DATASET, load_dataset
    from cnnlab.runs import jobs
    from cnnlab.runs.store import RunStore

    load_dataset(DEFAULT_DATASET)  # the sample parsed once, beforehand: neither path pays for it
    store = RunStore()
    times: dict[str, list[float]] = {"no_standby": [], "standby": [], "standby_other_recipe": []}
    memory: list[dict[str, float]] = []
    load_before = load_average()
    with standby_setting("1"):
        jobs.ensure_standby(store)
        try:
            for i in range(args.firstpoint_rounds):
                standby = idle_standby(store)
                memory.append(standby_memory(standby.pid))
                with standby_setting("0"):
                    times["no_standby"].append(first_point(store, page_config())[0])
                for key, config in (("standby", page_config()), ("standby_other_recipe", page_config(epochs=20))):
                    standby = idle_standby(store)
                    seconds, pid = first_point(store, config)
                    if pid != standby.pid:
                        raise RuntimeError(f"the run went to pid {pid}, not to the idle standby {standby.pid}")
                    times[key].append(seconds)
                print(f"first point, round {i + 1}/{args.firstpoint_rounds}: "
                      + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)  # fmt: skip
        finally:
            jobs.stop_standby(store)
    result: dict[str, Any] = {f"{k}_s": spread(v) for k, v in times.items()}
    pairs = zip(times["no_standby"], times["standby"], strict=True)
    result["no_standby_over_standby"] = spread([cold / warm for cold, warm in pairs])
    result["standby_idle_rss_mib"] = max(m["rss_mib"] for m in memory)
    result["standby_idle_uss_mib"] = max(m["uss_mib"] for m in memory)
    result["goal_s"] = 1.5
    result["load"] = f"{load_before} -> {load_average()}"
    return result


def print_firstpoint(res: dict[str, Any]) -> None:
    print(f"\nTrain click -> first chart point (start_run -> first batch metric row; load {res['load']})")
    labels = {
        "standby_s": "warm standby, default recipe",
        "standby_other_recipe_s": "warm standby, another recipe (20 epochs)",
        "no_standby_s": "no standby (CNNLAB_STANDBY=0)",
    }
    for key, label in labels.items():
        s = res[key]
        print(f"  {label:42} {s['median']:5.2f} s median (range {s['min']:.2f}-{s['max']:.2f}, n={s['n']})")
    print(f"  no standby / standby: {res['no_standby_over_standby']['median']:.1f}x; goal < {res['goal_s']:g} s")
    print(
        f"  idle standby memory: {res['standby_idle_rss_mib']:,.0f} MiB resident, of which "
        f"{res['standby_idle_uss_mib']:,.0f} MiB its own (the rest: shared libraries)"
    )
