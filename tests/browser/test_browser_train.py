"""Real browser, real training: train LeNet-5 on the offline sample, watch it live, stop a second run,
reload, compare both on the Runs page, and read it all in Chinese."""

from __future__ import annotations

import re
import time

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

POINTS = (
    "() => { const p = document.querySelectorAll('.js-plotly-plot')[0]; return p && p.data ? p.data[0].x.length : 0 }"
)


def batch_points(page) -> int:
    return int(page.evaluate(POINTS) or 0)


def run_id_in_url(page) -> str:
    match = re.search(r"run=([\w-]+)", page.url)
    assert match, page.url
    return match.group(1)


def select_rows(page, rows: int) -> None:
    """Tick the first `rows` rows of the runs table (a canvas grid: click the row-marker column)."""
    box = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    for i in range(rows):
        page.mouse.click(box["x"] + 18, box["y"] + 35 * (i + 1) + 17)
        time.sleep(0.8)


def test_train_watch_stop_reload_compare_and_translate(tmp_path):
    require_chromium()
    with streamlit_server(tmp_path) as url, browser_page(1400, 1500) as page:
        page.set_default_timeout(60_000)
        page.goto(f"{url}/train")
        wait_for_app(page)
        page.get_by_role("spinbutton", name="Epochs", exact=True).fill("4")
        page.get_by_role("spinbutton", name="Epochs", exact=True).press("Enter")
        page.get_by_role("button", name="Train", exact=True).click()
        page.wait_for_url(re.compile(r"run="))
        first = run_id_in_url(page)

        # the live chart gains points while the run trains
        page.wait_for_function(f"({POINTS})() > 0", timeout=120_000)
        seen = batch_points(page)
        page.wait_for_function(f"({POINTS})() > {seen}", timeout=60_000)
        screenshot(page, "train-live")
        page.get_by_text("Finished").first.wait_for(timeout=180_000)
        page.get_by_text("Test accuracy").wait_for()
        screenshot(page, "train-finished")

        # a second run: start it, then stop it while it trains
        page.get_by_text("New training run").click()
        page.get_by_role("button", name="Train", exact=True).click()
        page.wait_for_url(lambda u: "run=" in u and first not in u)
        second = run_id_in_url(page)
        page.wait_for_function(f"({POINTS})() > 0", timeout=120_000)  # it is really training
        page.get_by_role("button", name="Stop").click()
        page.get_by_text("Stopped").first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Resume", exact=True).wait_for()  # offered where the run was stopped

        # a reload shows the same run
        page.reload()
        wait_for_app(page)
        assert run_id_in_url(page) == second
        page.locator("[data-testid='stMain'] code", has_text=second).first.wait_for()  # (the sidebar names it too)
        page.get_by_text("Stopped").first.wait_for()

        # compare both on the Runs page
        page.goto(f"{url}/runs")
        wait_for_app(page)
        page.locator("[data-testid='stDataFrame']").wait_for()
        select_rows(page, 2)
        page.get_by_text("Compare the selected runs").wait_for()
        page.get_by_text("Settings that differ").wait_for()
        page.wait_for_function(  # one chart overlays the two runs' curves
            "() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(p => p.data && p.data.length === 2)"
        )
        screenshot(page, "runs-compare")

        # the same page in Chinese
        page.goto(f"{url}/runs?lang=zh")
        wait_for_app(page)
        page.get_by_role("heading", name="运行记录").wait_for()
        page.get_by_text("已完成").first.wait_for()
        screenshot(page, "runs-zh")
