"""Real browser, real training, a laptop's screen (1280x720): train, Stop, Resume and see it finish, all from the
Train page, and never more than the two live charts on screen, not even for a moment when the run ends."""

from __future__ import annotations

import re

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHARTS = "document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot')"
# the charts a visitor sees, stale ones (faded, kept from the run before) included; a chart React keeps hidden while
# its replacement mounts is not one
VISIBLE = f"Array.from({CHARTS}).filter(p => p.checkVisibility({{visibilityProperty: true}}))"
SHOWN = f"{VISIBLE}.length"
# counts them every 20 ms from now on, keeping the most seen
WATCH = (
    "() => { window.__mostCharts = 0; window.__watch = setInterval(() => {"
    f" window.__mostCharts = Math.max(window.__mostCharts, {SHOWN}) }}, 20) }}"
)
SCROLLER = "document.querySelector('[data-testid=\"stDataFrame\"] .dvn-scroller')"
EPOCH_POINTS = f"() => {{ const p = {VISIBLE}[1]; return p && p.data && p.data.length ? p.data[0].x.length : 0 }}"


def test_train_stop_resume_finish_on_the_train_page_without_duplicated_charts(home_with_data):
    require_chromium()
    with streamlit_server(home_with_data) as url, browser_page(1280, 720) as page:
        page.set_default_timeout(60_000)
        page.goto(f"{url}/train")
        wait_for_app(page)
        page.evaluate(WATCH)
        page.get_by_role("spinbutton", name="Epochs", exact=True).fill("12")
        page.get_by_role("spinbutton", name="Epochs", exact=True).press("Enter")
        page.get_by_role("button", name="Train", exact=True).click()
        page.wait_for_url(re.compile(r"run="))

        # one epoch done (its point is on the per-epoch chart), then Stop
        page.wait_for_function(f"({EPOCH_POINTS})() >= 1", timeout=240_000)
        screenshot(page, "live-training")
        page.get_by_role("button", name="Stop", exact=True).click()
        resume = page.get_by_role("button", name="Resume", exact=True)
        resume.wait_for(timeout=120_000)
        wait_for_app(page)
        page.get_by_text(re.compile(r"Stopped after epoch \d+ of 12")).wait_for()
        assert page.get_by_text("Stopping…").count() == 0  # the notice went with the event
        assert page.get_by_role("button", name="Restart", exact=True).is_visible()
        screenshot(page, "live-stopped")

        resume.click()
        page.get_by_role("button", name="Stop", exact=True).wait_for()  # it trains again, from the Train page
        page.get_by_role("button", name="Resume", exact=True).wait_for(state="detached")  # gone with the rerun
        page.get_by_text("Test accuracy").wait_for(timeout=300_000)
        page.get_by_text("Finished").first.wait_for()
        wait_for_app(page)
        page.get_by_role("button", name="Stop", exact=True).wait_for(state="detached")
        charts_now = page.evaluate(f"() => {SHOWN}")
        most = page.evaluate("() => { clearInterval(window.__watch); return window.__mostCharts }")
        screenshot(page, "live-finished")
        assert charts_now == 2 and most == 2, (charts_now, most)  # never a second pair, not even while it ended
        assert page.evaluate(EPOCH_POINTS) == 12  # the resumed run's curves continue where they stopped

        # the Runs page at the same width: the table fits (no sideways scrolling), one ticked run shows its curves
        page.goto(f"{url}/runs")
        wait_for_app(page)
        page.wait_for_function(f"() => {SCROLLER} && {SCROLLER}.clientWidth > 0")
        wait_for_app(page)
        widths = page.evaluate(f"() => [{SCROLLER}.scrollWidth, {SCROLLER}.clientWidth]")
        assert widths[0] <= widths[1], widths
        box = page.locator("[data-testid='stDataFrame']").first.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's tick box
        page.get_by_text("Curves of LeNet-5 on mnist-sample").wait_for()
        page.wait_for_function(f"() => {SHOWN} === 1 && {VISIBLE}[0].data.length === 4")
        screenshot(page, "live-runs")
