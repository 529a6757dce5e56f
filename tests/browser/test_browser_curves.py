"""The learning-curve tab in Chromium: a curve of two points (n=250 and 500, no augmentation, one epoch) started from
the form, followed live to its finished chart and table."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app
from cnnlab.runs import studies
from cnnlab.runs.store import RunStore

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_learning_curve_started_in_the_tab_runs_live_to_its_chart(home_with_data: Path) -> None:
    require_chromium()
    with streamlit_server(home_with_data) as url, browser_page(1440, 1000) as page:
        page.goto(f"{url}/experiments?tab=curve")
        wait_for_app(page)
        tab = page.get_by_role("tabpanel")  # the open tab's panel (the others have no role)
        tab.get_by_text("How much does more data help").wait_for()
        for shown in ("2,000", "1,000", "all 3,500"):  # keep 250 and 500
            tab.get_by_role("button", name=f"Remove {shown}", exact=True).click()
            wait_for_app(page)
        tab.get_by_role("radio", name="Off", exact=True).click()
        wait_for_app(page)
        epochs = tab.get_by_label("Epochs each", exact=True)
        epochs.fill("1")
        epochs.press("Enter")
        wait_for_app(page)
        tab.get_by_text("2 runs: 2 sizes × 1 augmentation").wait_for()
        tab.get_by_role("button", name="Start the learning curve").click()
        tab.get_by_text("Running: 0 of 2 finished").or_(tab.get_by_text("Running: 1 of 2 finished")).first.wait_for(
            timeout=60_000
        )
        tab.get_by_text("Running: 1 of 2 finished").wait_for(timeout=300_000)  # the live view follows the queue
        tab.locator(".js-plotly-plot").first.wait_for()  # the curve is drawn from the first finished point
        tab.get_by_text("Finished: 2 of 2").wait_for(timeout=300_000)
        page.wait_for_function(
            "document.querySelectorAll('[role=tabpanel] .js-plotly-plot .xtick').length == 2", timeout=60_000
        )
        assert tab.locator("[data-testid='stDataFrame']").count() == 1
        screenshot(page, "experiments-curve-finished")
    with RunStore() as store:
        [study] = studies.list_studies(store)
        assert study.kind == "curve" and study.settings["sizes"] == [250, 500] and len(study.runs) == 2
        assert {store.get_run(r.run_id).status for r in study.runs} == {"finished"}
