"""Real browser on a really trained run: open Inspect, click a confusion-matrix cell and see exactly that cell's
misclassified test images; then the page in Chinese."""

from __future__ import annotations

import time

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CM = "Array.from(document.querySelectorAll('.js-plotly-plot')).find(p => p.data && p.data.length === 2 && p.data[0].type === 'heatmap')"  # noqa: E501
# every off-diagonal cell with images: [true, predicted, count] from the chart's own click layer
CELLS = f"() => {{ const p = {CM}; return p ? p.data[1].customdata.filter(c => c[0] !== c[1] && c[2] > 0) : null }}"
CELL_XY = (
    f"([i, j]) => {{ const p = {CM}; const f = p._fullLayout; const r = p.getBoundingClientRect();"
    " return [r.left + f.xaxis._offset + f.xaxis.l2p(j), r.top + f.yaxis._offset + f.yaxis.l2p(i)] }"
)
GALLERY = "() => document.querySelectorAll('.st-key-insp_cell_gallery [data-testid=\"stImage\"]').length"


def cell_position(page, true: int, pred: int) -> tuple[float, float]:
    """Where a confusion-matrix cell is on screen, once the chart has stopped moving (images above it load late)."""
    last = None
    for _ in range(40):
        xy = page.evaluate(CELL_XY, [true, pred])
        if xy == last:
            return xy
        last = xy
        time.sleep(0.5)
    raise AssertionError("the confusion matrix never settled")


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    time.sleep(0.5)
    wait_for_app(page)


def test_click_a_confusion_cell_opens_its_images(tiny_run):
    require_chromium()
    home, run_id = tiny_run
    with streamlit_server(home) as url, browser_page(1400, 2400) as page:
        page.set_default_timeout(90_000)
        page.goto(f"{url}/inspect?run={run_id}")
        wait_for_app(page)
        page.get_by_role("tab", name="Feature maps").wait_for()
        page.get_by_text("conv2d", exact=False).first.wait_for()
        screenshot(page, "inspect-feature-maps")

        open_tab(page, "Evaluation")
        page.wait_for_function(f"({CELLS})() && ({CELLS})().length > 1")
        cells = sorted(page.evaluate(CELLS), key=lambda c: -c[2])
        # the page opens on the most confused cell; click the next one so the gallery really has to change
        true, pred, count = (int(v) for v in cells[1][:3])
        x, y = cell_position(page, true, pred)
        page.mouse.click(x, y)
        header = page.get_by_text(f"{true} taken for {pred}: {count} images")
        header.wait_for()
        page.wait_for_function(f"({GALLERY})() === {min(count, 16)}")
        texts = page.locator(".st-key-insp_cell_gallery [data-testid='stCaptionContainer']").all_inner_texts()
        captions = [c for c in texts if "#" in c]
        assert len(captions) == min(count, 16), texts
        assert all(f"{true} → {pred}" in c and c.startswith("cancel") for c in captions), captions
        assert all(c.strip().endswith("%") for c in captions)  # each image shows its predicted probability
        screenshot(page, "inspect-confusion-click")

        # one of them goes to the other tabs as the input image
        wait_for_app(page)
        first = captions[0].split("#")[1].split(" ")[0]  # the first image's test index, e.g. "845"
        page.locator(".st-key-insp_cell_gallery").get_by_role("button", name="Inspect").first.click()
        wait_for_app(page)
        page.get_by_text(f"Test image #{first}", exact=False).first.wait_for()
        page.get_by_text(f"but it is {true}", exact=False).first.wait_for()

        page.goto(f"{url}/inspect?run={run_id}&lang=zh")
        wait_for_app(page)
        page.get_by_role("heading", name="透视模型").wait_for()
        open_tab(page, "逐步计算")
        page.get_by_text("该层在").first.wait_for()
        screenshot(page, "inspect-step-zh")
