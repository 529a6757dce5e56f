"""Real browser: draw digits with the mouse on CNN Lab's canvas component, see the preprocessing steps and a
prediction appear after each stroke, undo a stroke with the canvas's Undo button, teach the model, and read it in
Chinese. (tests/browser/test_browser_predict_live.py: the prediction while the mouse button is still held.)"""

from __future__ import annotations

import re

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

CANVAS = "canvas.cnnlab-canvas"
BARS = "() => { const p = document.querySelector('.js-plotly-plot'); return p && p.data ? p.data[0].x.length : 0 }"
ONE = [(150, 60), (140, 240)]  # a vertical stroke
TOP_BAR = [(80, 62), (152, 58)]  # with it, a seven
SETTLED = (  # no element left over from an earlier run, and no stroke in progress
    "() => !document.querySelector(\"[data-stale='true']\")"
    " && !document.body.innerText.includes('Drawing… Grad-CAM') && !document.body.innerText.includes('正在书写……')"
)
SEVEN = [(60, 60), (210, 60), (110, 240)]


def stroke(page, points: list[tuple[int, int]]) -> None:
    """Press, drag and release the mouse over the canvas, as a person draws."""
    box = page.locator(CANVAS).bounding_box()
    k = box["width"] / 280  # the canvas may be shown smaller than its 280 pixels
    page.mouse.move(box["x"] + points[0][0] * k, box["y"] + points[0][1] * k)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * k, box["y"] + y * k, steps=8)
    page.mouse.up()


def prediction(page) -> list[str]:
    """The finished drawing's prediction: once no element is left over from an earlier run (Streamlit marks those
    data-stale) and the page no longer shows a stroke in progress."""
    page.locator("[data-testid='stMetricValue']").first.wait_for()
    wait_for_app(page)
    page.wait_for_function(SETTLED)
    return page.locator("[data-testid='stMetricValue']").all_inner_texts()


def test_draw_with_the_mouse_and_see_steps_and_prediction(finetuned):
    require_chromium()
    home, base, _ = finetuned
    with streamlit_server(home) as url, browser_page(1400, 1500) as page:
        page.set_default_timeout(90_000)
        page.goto(f"{url}/predict?run={base}")
        wait_for_app(page)
        page.get_by_text("Nothing to recognise yet").wait_for()
        page.locator(CANVAS).wait_for()

        stroke(page, ONE)
        first = prediction(page)
        assert re.fullmatch(r"\d", first[0]) and first[1].endswith("%")
        for caption in ("drawn", "cropped", "20×20", "centred 28×28"):
            page.get_by_text(caption, exact=True).wait_for()
        page.wait_for_function(f"({BARS})() > 0")
        assert page.evaluate(BARS) == 10  # a probability for every class
        page.get_by_text("Grad-CAM: where it looked").wait_for()
        page.get_by_text(re.compile(r"conv2d\w*: 6 maps of 24×24")).wait_for()

        stroke(page, TOP_BAR)  # the prediction follows every stroke
        page.wait_for_function(
            "(before) => { const v = document.querySelectorAll(\"[data-testid='stMetricValue']\");"
            " return v.length && v[1].innerText !== before }", arg=first[1], timeout=60_000,
        )  # fmt: skip
        prediction(page)
        page.get_by_text("Wrong? Teach it").wait_for()
        screenshot(page, "predict-drawn")

        page.get_by_role("button", name="Undo", exact=True).click()
        page.wait_for_function(
            "(before) => { const v = document.querySelectorAll(\"[data-testid='stMetricValue']\");"
            " return v.length && v[1].innerText === before }", arg=first[1], timeout=60_000,
        )  # fmt: skip
        assert prediction(page) == first  # back to the one-stroke drawing

        page.locator("[data-testid='stSelectbox']").last.click()  # teach it: "this is a 4"
        page.get_by_role("option", name="4", exact=True).click()
        wait_for_app(page)
        page.get_by_role("button", name="Add to my drawings").click()
        page.get_by_text("Saved as “4”").wait_for()
        page.get_by_text("My drawings (4)").wait_for()  # three from the fine-tune fixture, and this one

        page.goto(f"{url}/predict?run={base}&lang=zh")
        wait_for_app(page)
        page.get_by_text("还没有可识别的内容").wait_for()
        stroke(page, SEVEN)
        assert re.fullmatch(r"\d", prediction(page)[0])
        page.get_by_text("居中 28×28", exact=True).wait_for()
        page.get_by_text("预测结果").wait_for()
        page.get_by_text("认错了？教教它").wait_for()
        screenshot(page, "predict-drawn-zh")
