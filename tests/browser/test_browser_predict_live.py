"""Real browser at 1280x720: the prediction follows the pen while the mouse button is still held, Grad-CAM follows
when it is released; a photo from a (fake) webcam of a handwritten digit is classified with its steps shown.
Screenshots: predict-draw-live(-zh) mid-stroke, predict-webcam(-zh)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from drawing import paper_photo

from browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium, streamlit_server, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

METRICS = "[data-testid='stMetricValue']"
ONE = [(150, 40), (148, 90), (146, 140), (144, 190), (142, 230)]  # a vertical stroke, drawn in pieces
TOP_BAR = [(70, 45), (110, 42), (150, 40)]  # with it, a seven
CONFIDENCE_CHANGED = (
    "(before) => { const v = document.querySelectorAll(\"[data-testid='stMetricValue']\");"
    " return v.length > 1 && v[1].innerText !== before }"
)


def to_the_tabs(page) -> None:
    """Scroll the tabs to the top of the window, so that a 720-pixel screenshot shows the canvas and the result."""
    page.locator("[data-testid='stTabs']").first.evaluate("e => e.scrollIntoView({block: 'start'})")


def press_and_draw(page, points: list[tuple[int, int]]) -> None:
    """Press the mouse on the canvas and drag it through `points`, one piece at a time; the button stays down."""
    box = page.locator("canvas.cnnlab-canvas").bounding_box()
    k = box["width"] / 280  # the canvas may be shown smaller than its 280 pixels
    page.mouse.move(box["x"] + points[0][0] * k, box["y"] + points[0][1] * k)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * k, box["y"] + y * k, steps=6)


def still_drawing(page) -> None:
    """What the page shows while the button is held: the live result, and no Grad-CAM yet."""
    page.get_by_text("Drawing… Grad-CAM and the feature maps follow when you lift the pen.").wait_for()
    page.get_by_text("Grad-CAM: where it looked").wait_for(state="detached")
    page.get_by_text("Wrong? Teach it").wait_for(state="detached")


def test_the_prediction_follows_the_pen_and_grad_cam_follows_the_lifted_pen(finetuned):
    require_chromium()
    home, base, _ = finetuned
    with streamlit_server(home) as url, chromium(1280, 720) as page:
        page.goto(f"{url}/predict?run={base}")
        wait_for_app(page)
        page.get_by_text("Nothing to recognise yet").wait_for()
        to_the_tabs(page)

        press_and_draw(page, ONE)  # the button is still down: the prediction must come on its own
        page.locator(METRICS).first.wait_for()
        still_drawing(page)
        live = page.locator(METRICS).all_inner_texts()
        assert re.fullmatch(r"\d", live[0]) and live[1].endswith("%")
        page.get_by_text("centred 28×28", exact=True).wait_for()
        page.mouse.up()
        page.get_by_text("Grad-CAM: where it looked").wait_for()
        page.get_by_text(re.compile(r"conv2d\w*: 6 maps of 24×24")).wait_for()
        page.get_by_text("Wrong? Teach it").wait_for()
        wait_for_app(page)
        one = page.locator(METRICS).all_inner_texts()

        press_and_draw(page, TOP_BAR)  # the second stroke changes the prediction before the button is released
        page.wait_for_function(CONFIDENCE_CHANGED, arg=one[1], timeout=60_000)
        still_drawing(page)
        screenshot(page, "predict-draw-live")
        page.mouse.up()
        page.get_by_text("Grad-CAM: where it looked").wait_for()

        page.goto(f"{url}/predict?run={base}&lang=zh")
        wait_for_app(page)
        page.get_by_text("还没有可识别的内容").wait_for()
        to_the_tabs(page)
        press_and_draw(page, ONE + TOP_BAR[::-1])
        page.get_by_text("正在书写……抬笔后显示 Grad-CAM 和特征图。").wait_for()
        page.get_by_text("预测结果").wait_for()
        screenshot(page, "predict-draw-live-zh")
        page.mouse.up()
        page.get_by_text("Grad-CAM：模型关注的位置").wait_for()


def test_a_webcam_photo_of_a_handwritten_digit_is_classified_with_its_steps(finetuned, tmp_path):
    from cnnlab.data.datasets import load_dataset

    require_chromium()
    home, base, _ = finetuned
    digit = load_dataset("mnist-sample").x_test[10][..., 0]  # a 0
    frames = tmp_path / "camera.mjpeg"  # what Chromium's fake camera films: this photo, frame after frame
    frames.write_bytes(paper_photo(digit, np.random.default_rng(10)) * 5)
    with streamlit_server(home) as url, chromium(1280, 720, camera=frames) as page:
        for lang, tab, steps, gradcam in [
            ("en", "Webcam", ("photo", "light evened", "centred 28×28"), "Grad-CAM: where it looked"),
            ("zh", "摄像头", ("照片", "光照校正", "居中 28×28"), "Grad-CAM：模型关注的位置"),
        ]:
            page.goto(f"{url}/predict?run={base}&lang={lang}")
            wait_for_app(page)
            page.get_by_role("tab", name=tab).click()
            page.get_by_role("button", name="Take Photo").click()  # Streamlit's own button, English in both languages
            for caption in steps:
                page.get_by_text(caption, exact=True).wait_for()
            page.get_by_text(gradcam).wait_for()
            page.locator(METRICS).nth(1).wait_for()
            wait_for_app(page)
            values = page.locator(METRICS).all_inner_texts()  # the Draw tab is empty: these are the photo's
            assert len(values) == 2 and re.fullmatch(r"\d", values[0]) and values[1].endswith("%")
            to_the_tabs(page)
            screenshot(page, "predict-webcam" + ("" if lang == "en" else "-zh"))


SETTLED = (
    "() => !document.querySelector(\"[data-testid='stSkeleton'], [data-testid='stSkeletonElement']\")"
    " && !document.querySelector(\"[data-stale='true']\")"
    " && [...document.images].every(i => i.complete)"
)


def screenshot(page, name: str) -> Path:
    """What the 1280x720 window shows (a full-page shot of Streamlit is its window anyway), as a test artifact,
    once the charts and images have come in and nothing is left over from an earlier run."""
    page.wait_for_function(SETTLED)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@contextmanager
def chromium(width: int, height: int, camera: Path | None = None):
    """A page in Debian's Chromium; with `camera`, a fake webcam that films that MJPEG file (no prompt)."""
    from playwright.sync_api import sync_playwright

    args = list(CHROMIUM_ARGS)
    if camera is not None:
        args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-video-capture={camera}"]  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(90_000)
            yield page
        finally:
            browser.close()
