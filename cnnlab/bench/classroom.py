"""A classroom at once: N visitors draw on Predict together against one `streamlit run app.py`, and N visitors
open Inspect while a run trains.

Two kinds of visitor. Browser visitors are Chromium contexts: what a person sees, but on a 2-core machine the
browsers themselves take most of the CPU, so they measure the machine more than the server beyond a few. Protocol
visitors speak Streamlit's own websocket protocol: one real browser draws first and the messages it sends are
recorded (the page's load, then the drawing's rerun: widget ids, page hash, fragment id); each protocol visitor
opens its own session with the first and, at the signal, sends the second with its own drawing (a 1 or a 7 drawn
as people draw) and waits for the run to finish: the server's and the model service's share alone.

Each Predict visitor opens the page, waits until it is ready, then all release the mouse on their drawing (a 1 or
a 7) at the same moment; the figure is mouse-up -> the finished answer on screen (prediction, Grad-CAM and feature
maps: the page no longer shows "lift the pen"). Every answer is checked against the digit drawn, and the server's
memory (the server and its model service, summed) is sampled all along. Each Inspect visitor opens the page on
the trained run while another run trains in a worker; the figure is page open -> the first feature-map chart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.bench.common import free_port, tensorflow_loaded

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CNNLAB_CHROMIUM", "/usr/bin/chromium"))
CANVAS = "canvas.cnnlab-canvas"
STROKES = {"1": [(150, 60), (140, 240)], "7": [(60, 60), (210, 60), (110, 240)]}
TIMEOUT_MS = 600_000
DIGITS = ("1", "7")  # what visitor i draws: DIGITS[i % 2]


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    arr = np.asarray(values)
    return {"n": len(values), "p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
            "max": float(arr.max())}  # fmt: skip


class MemoryWatch:
    """The server's and its children's (the model service's) resident memory, summed, sampled every 0.5 s."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.samples = pid, 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def rss(self) -> int:
        import psutil

        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for p in procs:
            with suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            now = self.rss()
            self.samples.append(now)
            self.peak = max(self.peak, now)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _trained_run(epochs: int) -> str:
    from cnnlab.runs.jobs import wait_for
    from cnnlab.runs.store import FINISHED
    from cnnlab.train.config import TrainConfig
    from cnnlab.train.launch import start_run

    run_id = start_run(TrainConfig(dataset="mnist-sample", epochs=epochs).to_dict(), name="classroom")
    run = wait_for(run_id, timeout=900)
    if run.status != FINISHED:
        raise RuntimeError(f"the classroom's model did not train: {run.status} {run.reason}")
    return run_id


def _server(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "CNNLAB_HOME": str(home), "CNNLAB_OFFLINE": "1", "CNNLAB_WARM": "1", "CNNLAB_STANDBY": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
            if r.status == 200:
                return proc, url
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not answer within 120 s")


IDLE = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector(\"[data-stale='true']\")")


FINISHED = (  # the finished answer on screen: its Grad-CAM heading, nothing stale, no run going -> the prediction
    "(text) => { const v = document.querySelectorAll(\"[data-testid='stMetricValue']\");"
    " return document.body.innerText.includes(text) && v.length > 0 && !document.querySelector(\"[data-stale='true']\")"
    " && !document.querySelector('[data-testid=\"stStatusWidget\"]') && v[0].innerText.trim() }"
)


async def _ready(browser: Any, url: str) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(url)
    await page.locator(CANVAS).wait_for()
    await page.wait_for_function(IDLE)
    return page


async def _draw(page: Any, digit: str, start: asyncio.Event, final_text: str) -> dict[str, Any]:
    """Draw `digit` with the mouse; released when `start` is set; mouse-up -> the finished answer on screen."""
    points = STROKES[digit]
    await page.locator(CANVAS).scroll_into_view_if_needed()
    box = await page.locator(CANVAS).bounding_box()
    k = box["width"] / 280
    await page.mouse.move(box["x"] + points[0][0] * k, box["y"] + points[0][1] * k)
    await page.mouse.down()
    for x, y in points[1:]:
        await page.mouse.move(box["x"] + x * k, box["y"] + y * k, steps=8)
    await start.wait()
    await page.mouse.up()
    up = time.perf_counter()
    try:  # the answer is read in the same moment the finished page is seen (a later rerun cannot mix in)
        found = await page.wait_for_function(FINISHED, arg=final_text)
    except Exception as exc:  # a visitor that never got an answer is counted, not fatal
        return {"error": type(exc).__name__}
    seconds = time.perf_counter() - up
    answer = await found.json_value()
    if os.environ.get("CNNLAB_CLASSROOM_SHOTS"):  # a folder: each visitor's finished page, to look at
        await page.screenshot(path=f"{os.environ['CNNLAB_CLASSROOM_SHOTS']}/visitor-{id(page)}.png", full_page=True)
    problems = await page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count()
    return {"seconds": seconds, "answer": answer, "right": answer == digit,
            "page_errors": problems}  # fmt: skip


async def _predict_round(browser: Any, url: str, n: int) -> dict[str, Any]:
    from cnnlab.i18n import t

    pages = await asyncio.gather(*[_ready(browser, url) for _ in range(n)])
    start = asyncio.Event()
    digits = [("1", "7")[i % 2] for i in range(n)]
    tasks = [asyncio.create_task(_draw(p, d, start, t("predict.gradcam"))) for p, d in zip(pages, digits, strict=True)]
    await asyncio.sleep(0.5)  # every mouse is down on its drawing
    start.set()
    found = await asyncio.gather(*tasks)
    await asyncio.gather(*[p.context.close() for p in pages])
    times = [f["seconds"] for f in found if "seconds" in f]
    return {"visitors": n, "draw_to_answer_s": _percentiles(times), "right": sum(bool(f.get("right")) for f in found),
            "errors": sum("error" in f or f.get("page_errors", 0) > 0 for f in found),
            "answers": [f"{d}->{f.get('answer')}" for d, f in zip(digits, found, strict=True)]}  # fmt: skip


async def _recording_page(browser: Any) -> tuple[Any, Any, list[bytes]]:
    """A fresh 1280x720 context and page, and the list its websocket messages to the server are recorded into."""
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    sent: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f) if isinstance(f, bytes) else None))
    return context, page, sent


async def _recorded_load(browser: Any, url: str) -> Any:
    """The message a real browser sends to open `url` (its first rerun request), once the page has drawn."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    context, page, sent = await _recording_page(browser)
    await page.goto(url)
    await page.locator(".js-plotly-plot").first.wait_for()
    await page.wait_for_function(IDLE)
    await context.close()
    reruns = [m.rerun_script for m in map(BackMsg.FromString, sent) if m.WhichOneof("type") == "rerun_script"]
    return reruns[0]


async def _protocol_open(ws: str, load: Any, start: asyncio.Event) -> dict[str, Any]:
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from websockets.asyncio.client import connect

    message = BackMsg()
    message.rerun_script.CopyFrom(load)
    await start.wait()
    sent = time.perf_counter()
    async with connect(ws, max_size=64 * 2**20, open_timeout=300, ping_interval=None) as conn:
        await conn.send(message.SerializeToString())
        found = await _until_finished(conn)
    return {"seconds": time.perf_counter() - sent, "charts": found["charts"], "errors": found["errors"]}


async def _inspect_round(url: str, load: Any, n: int) -> dict[str, Any]:
    """`n` protocol-level visitors open Inspect at once: page open -> its whole first run (the feature maps'
    charts included) finished."""
    start = asyncio.Event()
    ws = url.replace("http://", "ws://") + "/_stcore/stream"
    tasks = [asyncio.create_task(_protocol_open(ws, load, start)) for _ in range(n)]
    start.set()
    found = [f for f in await asyncio.gather(*tasks, return_exceptions=True) if isinstance(f, dict)]
    return {"visitors": n, "open_to_first_chart_s": _percentiles([f["seconds"] for f in found]),
            "errors": (n - len(found)) + sum(f["errors"] > 0 or f["charts"] == 0 for f in found)}  # fmt: skip


async def _recorded(browser: Any, url: str) -> list[bytes]:
    """The messages a real browser sends while it opens Predict and draws a 1 (BackMsg protobufs)."""
    context, page, sent = await _recording_page(browser)
    await page.goto(url)
    await page.locator(CANVAS).wait_for()
    await page.wait_for_function(IDLE)
    await _draw(page, "1", _set_event(), "")
    await context.close()
    return sent


def _set_event() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


def _templates(sent: list[bytes]) -> tuple[Any, Any, str]:
    """(the page load's rerun, the drawing's rerun, the canvas widget's id) from a browser's recorded messages."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    reruns = [m.rerun_script for m in map(BackMsg.FromString, sent) if m.WhichOneof("type") == "rerun_script"]
    for rerun in reversed(reruns):
        for widget in rerun.widget_states.widgets:
            if widget.WhichOneof("value") == "json_value" and '"drawing"' in widget.json_value:
                return reruns[0], rerun, widget.id
    raise RuntimeError("the recorded browser sent no drawing")


def drawing_value(digit: str, seed: int) -> str:
    """The canvas component's value for `digit` (a real MNIST test digit re-drawn as people draw, as a PNG)."""
    import base64
    import io
    import json

    from PIL import Image

    from cnnlab.data.datasets import load_dataset
    from cnnlab.data.drawn import redraw

    ds = load_dataset("mnist-sample")
    rng = np.random.default_rng(seed)
    index = int(np.flatnonzero(ds.y_test == int(digit))[seed % 20])
    rgba = redraw(ds.x_test[index][..., 0], rng, canvas=280, polarity="white_on_black")
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, "PNG")
    png = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return json.dumps({"drawing": {"png": png, "final": True, "strokes": 1}})


async def _until_finished(conn: Any) -> dict[str, Any]:
    """Read ForwardMsgs until the script (or fragment) run ends: the metrics shown, errors and exceptions."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    metrics, errors, charts = [], 0, 0
    while True:
        msg = ForwardMsg.FromString(await conn.recv())
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "metric":
                metrics.append(element.metric.body)
            elif which == "plotly_chart":
                charts += 1
            elif which == "exception" or (which == "alert" and element.alert.format == element.alert.ERROR):
                errors += 1
        elif kind == "script_finished":
            return {"metrics": metrics, "errors": errors, "charts": charts}


async def _protocol_visitor(ws: str, load: Any, draw: Any, widget: str, value: str, digit: str,
                            ready: list, start: asyncio.Event) -> dict[str, Any]:  # fmt: skip
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from websockets.asyncio.client import connect  # (Streamlit's own dependency)

    async with connect(ws, max_size=64 * 2**20, open_timeout=300, ping_interval=None) as conn:
        first = BackMsg()
        first.rerun_script.CopyFrom(load)
        await conn.send(first.SerializeToString())
        await _until_finished(conn)
        message = BackMsg()
        message.rerun_script.CopyFrom(draw)
        for state in message.rerun_script.widget_states.widgets:
            if state.id == widget:
                state.json_value = value
        ready.append(1)
        await start.wait()
        sent = time.perf_counter()
        await conn.send(message.SerializeToString())
        found = await _until_finished(conn)
        seconds = time.perf_counter() - sent
    answer = found["metrics"][0] if found["metrics"] else None
    return {"seconds": seconds, "answer": answer, "right": answer == digit, "errors": found["errors"]}


async def _protocol_round(url: str, sent: list[bytes], n: int) -> dict[str, Any]:
    load, draw, widget = _templates(sent)
    ws = url.replace("http://", "ws://") + "/_stcore/stream"
    digits = [DIGITS[i % 2] for i in range(n)]
    values = [drawing_value(d, i) for i, d in enumerate(digits)]
    ready: list = []
    start = asyncio.Event()
    tasks = [asyncio.create_task(_protocol_visitor(ws, load, draw, widget, v, d, ready, start))
             for v, d in zip(values, digits, strict=True)]  # fmt: skip
    while len(ready) < n and not any(t.done() for t in tasks):
        await asyncio.sleep(0.05)
    start.set()
    found = await asyncio.gather(*tasks, return_exceptions=True)
    ok = [f for f in found if isinstance(f, dict)]
    for failure in [f for f in found if not isinstance(f, dict)][:3]:
        print(f"classroom: a protocol visitor failed: {failure!r}"[:300], flush=True)
    return {"visitors": n, "draw_to_answer_s": _percentiles([f["seconds"] for f in ok]),
            "right": sum(bool(f["right"]) for f in ok),
            "errors": (n - len(ok)) + sum(f["errors"] > 0 for f in ok),
            "answers": [f.get("answer") if isinstance(f, dict) else None for f in found]}  # fmt: skip


def protocol_classroom(url: str, run_id: str, visitors: int) -> dict[str, Any]:
    """One real Chromium visitor draws on `url`'s Predict (recorded), then `visitors` protocol-level visitors draw
    at once: the round's figures and each visitor's answer (visitor i draws DIGITS[i % 2] as drawing_value(.., i))."""
    from playwright.async_api import async_playwright

    async def go() -> dict[str, Any]:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            sent = await _recorded(browser, f"{url}/predict?run={run_id}")
            await browser.close()
        return await _protocol_round(url, sent, visitors)

    return asyncio.run(go())


async def _classroom(url: str, run_id: str, sizes: list[int], protocol_sizes: list[int], inspect_n: int,
                     store: Any) -> dict[str, Any]:  # fmt: skip
    from playwright.async_api import async_playwright

    from cnnlab.runs import jobs
    from cnnlab.train.config import TrainConfig
    from cnnlab.train.launch import start_run

    out: dict[str, Any] = {"predict": [], "inspect": None}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        for n in sizes:
            out["predict"].append(await _predict_round(browser, f"{url}/predict?run={run_id}", n))
            print(f"classroom, browsers: {out['predict'][-1]}", flush=True)
        sent = await _recorded(browser, f"{url}/predict?run={run_id}")
        out["protocol"] = []
        for n in protocol_sizes:
            out["protocol"].append(await _protocol_round(url, sent, n))
            print(f"classroom, protocol visitors: {out['protocol'][-1]}", flush=True)
        if inspect_n:
            load = await _recorded_load(browser, f"{url}/inspect?run={run_id}")
            other = start_run(TrainConfig(dataset="mnist-sample", epochs=100).to_dict(), name="alongside")
            try:
                while not store.get_run(other).epochs_done:  # training for real when the class arrives
                    await asyncio.sleep(0.2)
                began = time.perf_counter()
                out["inspect"] = await _inspect_round(url, load, inspect_n)
                out["inspect"]["round_s"] = time.perf_counter() - began
            finally:
                jobs.stop_run(other)
            out["inspect"]["training_epochs_meanwhile"] = store.get_run(other).epochs_done - 1
            print(f"classroom, Inspect while a run trains: {out['inspect']}", flush=True)
        await browser.close()
    return out


def bench_classroom(args: argparse.Namespace) -> dict[str, Any]:
    """N visitors drawing at once on Predict, and visitors opening Inspect while a run trains, on one server."""
    from cnnlab.runs.store import RunStore

    try:
        import playwright  # noqa: F401
    except ImportError:
        return {"skipped": "playwright is not installed (pip install -r requirements-dev.txt)"}
    if not CHROMIUM.exists():
        return {"skipped": f"no Chromium at {CHROMIUM} (apt-get install chromium)"}
    sizes = [int(v) for v in str(args.classroom).split(",") if v.strip()]
    protocol_sizes = [int(v) for v in str(args.classroom_protocol).split(",") if v.strip()]
    run_id = _trained_run(1 if args.quick else 6)
    home = Path(os.environ["CNNLAB_HOME"])
    proc, url = _server(home)
    try:
        with MemoryWatch(proc.pid) as memory, RunStore() as store:
            idle = memory.rss()
            result = asyncio.run(_classroom(url, run_id, sizes, protocol_sizes, args.classroom_inspect, store))
        result["server_memory_mib"] = {"idle": round(idle / 2**20), "peak": round(memory.peak / 2**20),
                                       "end": round(memory.rss() / 2**20)}  # fmt: skip
        result["tensorflow_in_server"] = tensorflow_loaded(proc.pid)
    finally:
        proc.terminate()
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        if proc.poll() is None:
            proc.kill()
    return result


def print_classroom(res: dict[str, Any]) -> None:
    if res.get("skipped"):
        print(f"\nclassroom: skipped: {res['skipped']}")
        return
    print("\nclassroom (one server; drawing sent -> finished answer: prediction, Grad-CAM, feature maps)")
    for kind, title in (("predict", "in Chromium"), ("protocol", "protocol-level")):
        for r in res.get(kind) or []:
            s = r["draw_to_answer_s"]
            if s.get("n"):
                print(f"  {r['visitors']:3d} drawing at once, {title}: p50 {s['p50']:.2f} s, p95 {s['p95']:.2f} s, "
                      f"max {s['max']:.2f} s; {r['right']}/{r['visitors']} right, {r['errors']} errors")  # fmt: skip
            else:
                print(f"  {r['visitors']:3d} drawing at once, {title}: no answer ({r['errors']} errors)")
    if res.get("inspect"):
        i, s = res["inspect"], res["inspect"]["open_to_first_chart_s"]
        if s.get("n"):
            print(f"  {i['visitors']:3d} opening Inspect at once (protocol-level) while a run trains: whole page p50 "
                  f"{s['p50']:.2f} s, p95 {s['p95']:.2f} s; {i['errors']} errors; the run went on training "
                  f"(about {i['training_epochs_meanwhile']} more epochs in {i['round_s']:.1f} s)")
    m = res["server_memory_mib"]
    print(f"  server + model service memory: {m['idle']} MiB idle, {m['peak']} MiB peak, {m['end']} MiB at the end;"
          f" TensorFlow in the server process: {res['tensorflow_in_server']}")


def summary_rows(res: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for kind, title in (("predict", "in Chromium"), ("protocol", "protocol-level")):
        for r in res.get(kind) or []:
            s = r["draw_to_answer_s"]
            if s.get("n"):
                rows.append((f"classroom: {r['visitors']} drawing at once, {title}",
                             f"p95 {s['p95']:.2f} s (p50 {s['p50']:.2f})",
                             f"{r['right']}/{r['visitors']} right, {r['errors']} errors"))  # fmt: skip
    if res.get("inspect") and res["inspect"]["open_to_first_chart_s"].get("n"):
        s = res["inspect"]["open_to_first_chart_s"]
        rows.append((f"classroom: {res['inspect']['visitors']} open Inspect while a run trains, protocol-level",
                     f"p95 {s['p95']:.2f} s (p50 {s['p50']:.2f})",
                     f"{res['inspect']['errors']} errors"))  # fmt: skip
    if res.get("server_memory_mib"):
        rows.append(("classroom: server + service memory", f"{res['server_memory_mib']['peak']} MiB peak", ""))
    return rows
