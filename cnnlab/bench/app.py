"""The app as a visitor meets it: cold start of `streamlit run app.py` in Chromium, and a worker's memory."""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)
from cnnlab.bench.common import ROOT, free_port, spread, status_kib, tensorflow_loaded


def bench_memory(args: argparse.Namespace) -> dict[str, Any]:
    """Peak RSS of a real worker (python -m cnnlab.worker) training the default recipe for a few epochs."""
    from cnnlab.runs.store import RunStore
    from cnnlab.train import launch as jobs

    store = RunStore()
    config = {"epochs": args.memory_epochs, "max_train_samples": args.max_train_samples}
    run_id = jobs.start_run(config, name="bench-memory", store=store)
    peak = 0
    t = time.perf_counter()
    while True:
        run = store.get_run(run_id)
        if run.pid:
            peak = max(peak, status_kib(run.pid, "VmHWM") or 0)
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
        "drawn_accuracy": run.final_metrics.get("drawn_accuracy"),  # the same test digits re-drawn as people draw
        "drawn_ratio": run.final_metrics.get("drawn_ratio"),
        "drawn_accuracy_shifted": run.final_metrics.get("drawn_accuracy_shifted"),  # averaged over 1-px shifts
        "latency_ms": run.final_metrics.get("latency_ms"),
        "latency_shifted_ms": run.final_metrics.get("latency_shifted_ms"),
    }


def print_memory(res: dict[str, Any]) -> None:
    print(
        f"\ntraining worker ({res['config']}, {res['status']} in {res['wall_s']} s): "
        f"peak resident memory {res['worker_peak_rss_mib']:,.0f} MiB"
    )
    if res.get("test_accuracy") is not None and res.get("drawn_accuracy") is not None:
        print(
            f"  its accuracy: {res['test_accuracy']:.2%} on test digits, {res['drawn_accuracy']:.2%} on the same "
            f"digits drawn as people draw (ratio {res['drawn_ratio']:.3f})"
        )
    if res.get("drawn_accuracy_shifted") is not None and res.get("latency_shifted_ms") is not None:
        print(
            f"  averaged over 1-pixel shifts: {res['drawn_accuracy_shifted']:.2%} on drawn digits, "
            f"{res['latency_shifted_ms']:.2f} ms per drawing against {res['latency_ms']:.2f} ms"
        )


def _cold_start_once(browser: Any, home: Path) -> dict[str, Any]:
    from cnnlab.i18n import t as text

    port = free_port()
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
        out["tensorflow_loaded"] = tensorflow_loaded(proc.pid)
        out["server_rss_mib"] = round((status_kib(proc.pid, "VmRSS") or 0) / 1024, 1)
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
    result: dict[str, Any] = {"served_s": spread([x["served_s"] for x in tries])}
    if skipped is None:
        for key in ("title_s", "rendered_s", "warm_reload_s"):
            result[key] = spread([x[key] for x in tries])
    result["tensorflow_loaded_after_home_data_build"] = any(x["tensorflow_loaded"] for x in tries)
    result["server_rss_mib"] = max(x["server_rss_mib"] for x in tries)
    result["goal_rendered_s"] = 3.0
    result["skipped"] = skipped
    return result


def print_coldstart(res: dict[str, Any]) -> None:
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
