"""The Experiments page in Chromium: an arena of three presets started from the page, the server killed in the
middle (SIGKILL), started again, and the study finishing by itself with nothing lost and no duplicate runs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app
from cnnlab.runs import studies
from cnnlab.runs.store import RunStore

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]


def test_an_arena_survives_a_killed_server_and_finishes_with_its_table_and_charts(home_with_data: Path) -> None:
    require_chromium()
    procs: list = []
    with streamlit_server(home_with_data, procs=procs) as url, browser_page(1440, 1000) as page:
        page.goto(f"{url}/experiments")
        wait_for_app(page)
        page.get_by_text("Pick 2 to 6 architectures").wait_for()
        arena_form = page.locator("details").filter(has_text="Pick 2 to 6 architectures")  # (the curve tab's too)
        epochs = arena_form.get_by_label("Epochs each", exact=True)
        epochs.fill("1")
        epochs.press("Enter")
        wait_for_app(page)
        page.get_by_role("button", name="Start the arena").click()
        page.get_by_text("of 3 finished").first.wait_for(timeout=120_000)  # "Running: 0 of 3 finished"
        page.get_by_text("Running: 1 of 3 finished").wait_for(timeout=300_000)
        screenshot(page, "experiments-running")
        os.kill(procs[0].pid, signal.SIGKILL)  # the server dies mid-study; its workers are on their own
        procs[0].wait(timeout=30)
    with streamlit_server(home_with_data) as url, browser_page(1440, 1000) as page:
        page.goto(f"{url}/experiments?lang=zh")
        wait_for_app(page)
        page.get_by_text("已完成：3/3").wait_for(timeout=400_000)
        page.get_by_text("帕累托前沿", exact=False).first.wait_for()
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2", timeout=60_000)
        assert page.locator("[data-testid='stDataFrame']").count() == 1  # the results table (drawn on a canvas)
        screenshot(page, "experiments-finished-zh")
    with RunStore() as store:
        [study] = studies.list_studies(store)
        runs = store.list_runs()
        assert len(runs) == 3 and len(study.runs) == 3  # nothing lost, nothing run twice
        assert {r.status for r in runs} == {"finished"}
        assert {r.id for r in runs} == {entry.run_id for entry in study.runs}
