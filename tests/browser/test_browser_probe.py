"""Real browser: draw a digit on Predict, push on it with a robustness slider and watch every class's probability
move in the chart; then open a probe view on Inspect (receptive fields), click a unit of the feature map and see
its field described."""

from __future__ import annotations

import re

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(400)]

CANVAS = "canvas.cnnlab-canvas"
SEVEN = [(60, 60), (210, 60), (110, 240)]
# the "Why / what if" box's chart: the one whose first trace is the untouched image's probabilities
WHATIF_BARS = (
    "() => { const p = [...document.querySelectorAll('.js-plotly-plot')]"
    ".find(e => e.data && e.data.length === 2 && e.data[0].name === 'untouched');"
    " return p ? JSON.stringify(Array.from(p.data[1].y)) : '' }"
)


def stroke(page, points: list[tuple[int, int]]) -> None:
    box = page.locator(CANVAS).bounding_box()
    k = box["width"] / 280
    page.mouse.move(box["x"] + points[0][0] * k, box["y"] + points[0][1] * k)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * k, box["y"] + y * k, steps=8)
    page.mouse.up()


def test_a_robustness_slider_moves_the_probabilities_and_a_probe_view_opens(tiny_run):
    require_chromium()
    home, run_id = tiny_run
    with streamlit_server(home) as url, browser_page(1440, 1400) as page:
        page.set_default_timeout(120_000)
        page.goto(f"{url}/predict?run={run_id}")
        wait_for_app(page)
        page.locator(CANVAS).wait_for()
        stroke(page, SEVEN)
        page.get_by_text("Why / what if", exact=True).wait_for()
        page.wait_for_function(f"({WHATIF_BARS})() !== ''")
        before = page.evaluate(WHATIF_BARS)
        assert len(before.split(",")) == 10  # every class

        box = page.locator("[data-testid='stSlider']").filter(has_text="Rotate")
        rotate = box.get_by_role("slider")
        rotate.focus()
        for _ in range(18):  # 18 steps of 5°: a quarter turn
            rotate.press("ArrowRight")
        page.wait_for_function(f"(b) => {{ const now = ({WHATIF_BARS})(); return now !== '' && now !== b }}",
                               arg=before)  # fmt: skip
        box.get_by_text("90°", exact=True).wait_for()  # the slider shows where it was pushed to
        page.get_by_text("what the model sees now").wait_for()
        screenshot(page, "probe-predict-rotated")

        page.goto(f"{url}/inspect?run={run_id}")
        wait_for_app(page)
        page.get_by_role("tab", name="Receptive fields").click()
        page.get_by_text(re.compile(r"theoretical field: \d+×\d+ pixels")).wait_for()
        page.get_by_text(re.compile(r"of its effective field lies inside that box")).wait_for()
        area = page.locator(".st-key-insp_rf_pick .nsewdrag").first.bounding_box()  # the feature map's plot area
        page.mouse.click(area["x"] + area["width"] * 0.05, area["y"] + area["height"] * 0.05)  # its top-left unit
        page.get_by_text(re.compile(r"^Unit \(0, 0\) of \w+ can see input rows 0–")).wait_for()
        screenshot(page, "probe-inspect-rf")
