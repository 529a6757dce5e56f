"""The Experiments page's Sweep tab in Chromium: a finished sweep (trained for real by the workers) shows its
parallel-coordinates chart and sortable table, and "Train the best configuration" opens Train with it filled in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app
from cnnlab.runs import jobs, studies
from cnnlab.runs.store import RunStore
from cnnlab.train import sweeps

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]
PARCOORDS = "document.querySelectorAll('.js-plotly-plot .parcoords').length >= 1"


def _finished_sweep() -> dict:
    store = RunStore()
    study_id = sweeps.start_sweep(
        "lenet5", dataset="mnist-sample", space={"learning_rate": [0.001, 0.005], "dropout": [0.25]}, epochs=1,
        overrides={"max_train_samples": 256}, store=store,
    )  # fmt: skip
    deadline = time.monotonic() + 500
    while True:  # the runs train in worker processes; reconcile starts the queued one when the first ends
        jobs.reconcile(store)
        summary = sweeps.sweep_summary(studies.get_study(store, study_id), store)
        if summary["state"] != "running":
            break
        assert time.monotonic() < deadline, summary
        time.sleep(0.5)
    assert summary["state"] == "finished", summary
    return summary


def test_a_finished_sweep_shows_its_chart_and_table_and_trains_its_best_configuration(home_with_data: Path) -> None:
    require_chromium()
    summary = _finished_sweep()
    best = next(r for r in summary["rows"] if r["run_id"] == summary["best"])
    with streamlit_server(home_with_data) as url, browser_page(1440, 1000) as page:
        page.goto(f"{url}/experiments?tab=sweep&lang=zh")
        wait_for_app(page)
        page.get_by_text("目前最好").wait_for()
        page.wait_for_function(PARCOORDS, timeout=60_000)
        screenshot(page, "sweep-finished-zh")
        page.goto(f"{url}/experiments?tab=sweep&lang=en")
        wait_for_app(page)
        page.get_by_text("Best so far").wait_for()
        page.wait_for_function(PARCOORDS, timeout=60_000)
        assert page.locator("[data-testid='stDataFrame']").count() == 1  # the table (drawn on a canvas)
        screenshot(page, "sweep-finished")
        page.get_by_role("button", name="Train the best configuration").click()
        page.wait_for_url("**/train?**")
        wait_for_app(page)
        rate = page.get_by_label("Learning rate", exact=True)
        assert float(rate.input_value()) == pytest.approx(best["learning_rate"])
        assert page.get_by_label("Epochs", exact=True).input_value() == "1"
        assert "setup=" in page.url and "spec=" in page.url  # the configuration, LeNet-5 with its Dropout layer
        screenshot(page, "sweep-train-best")
