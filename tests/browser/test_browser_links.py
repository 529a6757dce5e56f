"""Real browser: every view is a link. The sidebar's links carry language, run and page state; a reload of every page
shows the same view; a shared Train link opened in a fresh browser reproduces Train's settings; projector mode at
1280x720 needs no sideways scrolling on any page, in English and Chinese. Only what a visitor sees is checked."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app
from cnnlab.i18n import CATALOGUE
from cnnlab.i18n import t as translate
from cnnlab.ui.links import PAGES as ALL_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect  # waits for what a visitor would see

ROOT = Path(__file__).resolve().parents[2]
PAGES = tuple(p for p in ALL_PAGES if (ROOT / "pages" / f"{p}.py").is_file())  # every page this checkout has
NAV_ZH = {p: translate(f"nav.{p}", "zh") for p in PAGES}


def _title_zh(name: str) -> str | None:
    """The page's title in Chinese, where its catalogue names it `<page>.title` (Experiments: `exp.title`)."""
    key = next((k for k in (f"{name}.title", f"{name[:3]}.title") if k in CATALOGUE), None)
    return translate(key, "zh") if key else None


def _heading(page, name: str):
    title = _title_zh(name)
    return page.get_by_role("heading", name=title).first if title else page.locator("h1").first


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def _settled(page) -> None:
    wait_for_app(page)
    page.locator("[data-testid='stSidebar']").get_by_text(re.compile("运行|Run")).first.wait_for()


def _sidebar_link(page, name: str):
    return page.locator("[data-testid='stSidebar'] [data-testid='stPageLink'] a").filter(has_text=name).first


def _number(page, label: str):
    """A number input or a select box, by its label (the value a visitor reads is the input's value)."""
    return page.locator(f"input[aria-label^='{label}']").first


def _wait_url(page, **params: str) -> None:
    """The app writes the view's parameters into the address bar at the end of each run."""
    page.wait_for_function(
        "(want) => Object.entries(want).every(([k, v]) => new URLSearchParams(location.search).get(k) === v)",
        arg=params,
        timeout=90_000,
    )


def _wait_setup(page, **values) -> None:
    """Until the URL's setup holds `values` (the app writes it at the end of the run the change caused): each
    change of the address bar is read as the app reads it."""
    from cnnlab.train.setup_link import unpack

    deadline = time.monotonic() + 90
    while True:
        current = page.evaluate("() => new URLSearchParams(location.search).get('setup')")
        if current and all(unpack(current, "setup").get(k) == v for k, v in values.items()):
            return
        assert time.monotonic() < deadline, f"the URL's setup never held {values}"
        page.wait_for_function(
            "(old) => new URLSearchParams(location.search).get('setup') !== old",
            arg=current,
            timeout=max(1_000, (deadline - time.monotonic()) * 1000),
        )


def test_every_page_keeps_language_run_and_its_state_through_links_and_reloads(tiny_run):
    require_chromium()
    home, run_id = tiny_run
    with streamlit_server(home) as url, browser_page(1440, 1000) as page:
        page.set_default_timeout(90_000)
        page.goto(f"{url}/?lang=zh&run={run_id}")
        _settled(page)
        for name in PAGES:
            link = _sidebar_link(page, NAV_ZH[name])
            href = link.get_attribute("href")
            assert "lang=zh" in href and f"run={run_id}" in href, href  # the link itself carries them
            link.click()
            _heading(page, name).wait_for()
            _wait_url(page, lang="zh", run=run_id)
            page.reload()
            _heading(page, name).wait_for()
            page.locator("[data-testid='stSidebar']").get_by_text(run_id).wait_for()  # the run is still in view
            assert _query(page)["lang"] == "zh"
            screenshot(page, f"links-reload-{name}-zh")

        # Train's form: a changed setting survives a reload
        _sidebar_link(page, NAV_ZH["train"]).click()
        page.get_by_text("新建训练").first.click()  # the form folds away while a run is in view
        epochs = _number(page, "训练轮数")
        epochs.fill("7")
        epochs.press("Enter")
        _wait_setup(page, epochs=7)  # the address bar holds the changed form (not just any setup)
        page.reload()
        page.get_by_role("heading", name="训练").first.wait_for()
        wait_for_app(page)  # as a visitor would: the page has finished loading before they open the form
        page.get_by_text("新建训练").first.click()
        expect(_number(page, "训练轮数")).to_have_value("7")
        screenshot(page, "links-train-reloaded-zh")

        # Inspect: the open tab survives a reload and a language switch (tabs by id, not by label)
        _sidebar_link(page, NAV_ZH["inspect"]).click()
        page.get_by_role("tab", name="Grad-CAM", exact=False).first.click()
        _wait_url(page, tab="cam")
        page.reload()
        page.get_by_role("tab", name="Grad-CAM", exact=False).first.wait_for()
        expect_selected(page, "Grad-CAM")
        switch_language(page, "English")
        page.get_by_role("heading", name="Inspect").first.wait_for()
        expect_selected(page, "Grad-CAM")
        assert _query(page)["lang"] == "en" and _query(page)["tab"] == "cam"

        # Predict: the Upload tab survives a language switch and a reload
        _sidebar_link(page, "Predict").click()
        page.get_by_role("tab", name="Upload", exact=False).first.click()
        _wait_url(page, tab="upload")
        switch_language(page, "简体中文")
        page.get_by_role("heading", name="预测").first.wait_for()
        expect_selected(page, "上传")
        page.reload()
        page.get_by_role("heading", name="预测").first.wait_for()
        expect_selected(page, "上传")
        screenshot(page, "links-predict-upload-zh")


def test_a_page_that_ends_early_still_keeps_its_state_through_a_reload(cnnlab_home):
    """No run yet: Train ends after its form (shell.stop), and the form's settings still reach the URL."""
    require_chromium()
    with streamlit_server(cnnlab_home) as url, browser_page(1280, 720) as page:
        page.set_default_timeout(90_000)
        page.goto(f"{url}/train?lang=zh")
        epochs = _number(page, "训练轮数")
        epochs.wait_for()
        _wait_setup(page, epochs=40)  # the default form is in the address bar once the page has drawn
        epochs.fill("9")
        epochs.press("Enter")
        _wait_setup(page, epochs=9)
        page.reload()
        expect(_number(page, "训练轮数")).to_have_value("9")
        assert _query(page)["lang"] == "zh"


def expect_selected(page, label: str) -> None:
    tab = page.get_by_role("tab", name=label, exact=False).first
    tab.wait_for()
    page.wait_for_function(
        "(label) => [...document.querySelectorAll('[role=tab]')].some("
        "t => t.innerText.includes(label) && t.getAttribute('aria-selected') === 'true')",
        arg=label,
        timeout=90_000,
    )


def switch_language(page, name: str) -> None:
    box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first
    box.click()
    page.get_by_role("option", name=name).click()
    wait_for_app(page)


def test_a_shared_train_link_opens_the_same_settings_in_a_fresh_browser(home_with_data):
    require_chromium()
    with streamlit_server(home_with_data) as url, browser_page(1440, 1000) as page:
        page.set_default_timeout(90_000)
        page.goto(f"{url}/train")
        page.get_by_role("heading", name="Train").first.wait_for()
        arch = page.get_by_label("Architecture").first
        arch.click()
        page.get_by_role("option", name="Small VGG").click()
        wait_for_app(page)
        epochs = _number(page, "Epochs")
        epochs.fill("9")
        epochs.press("Enter")
        wait_for_app(page)
        page.get_by_role("tab", name="Advanced", exact=False).click()
        seed = _number(page, "Random seed")
        seed.fill("4242")
        seed.press("Enter")
        wait_for_app(page)
        page.get_by_role("button", name="Share this setup").click()
        code = page.locator("[data-testid='stPopoverBody'] code").first
        code.wait_for()
        shared = code.inner_text().strip()
        assert shared.startswith(url + "/train?") and "setup=" in shared, shared
        screenshot(page, "links-share-popover")

        fresh = page.context.browser.new_context(viewport={"width": 1280, "height": 720})
        try:
            other = fresh.new_page()
            other.set_default_timeout(90_000)
            other.goto(shared)
            other.get_by_role("heading", name="Train").first.wait_for()
            other.get_by_text("Opened from a shared link").wait_for()
            expect(_number(other, "Epochs")).to_have_value("9")  # (the form draws after the notice)
            expect(_number(other, "Architecture")).to_have_value("Small VGG")  # by its display name
            other.get_by_role("tab", name="Advanced", exact=False).click()
            expect(_number(other, "Random seed")).to_have_value("4242")
            screenshot(other, "links-shared-train-fresh")
            # a damaged link: one sentence, and the page still works
            other.goto(shared[:-12])
            other.get_by_role("heading", name="Train").first.wait_for()
            other.get_by_text("damaged", exact=False).first.wait_for()
            other.get_by_role("button", name="Train").first.wait_for()
        finally:
            fresh.close()


READY = {  # what each page shows once it has drawn its content
    "home": "[data-testid='stMainBlockContainer'] table",
    "data": ".js-plotly-plot",
    "build": ".js-plotly-plot",
    "train": ".js-plotly-plot",
    "runs": "[data-testid='stDataFrame']",
    "inspect": "[data-testid='stMainBlockContainer'] .js-plotly-plot",
    "predict": "canvas.cnnlab-canvas",
    "experiments": "[data-testid='stExpander']",
}
NO_SIDEWAYS = """() => {
  const d = document.documentElement;
  const main = document.querySelector('[data-testid="stMain"]');
  const block = document.querySelector('[data-testid="stMainBlockContainer"]');
  return {page: [d.scrollWidth, d.clientWidth], main: main ? [main.scrollWidth, main.clientWidth] : null,
          block: block ? [block.scrollWidth, block.clientWidth] : null};
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_projector_mode_at_1280_needs_no_sideways_scrolling(tiny_run, lang):
    require_chromium()
    home, run_id = tiny_run
    with streamlit_server(home) as url, browser_page(1280, 720) as page:
        page.set_default_timeout(90_000)
        for name in PAGES:
            page.goto(f"{url}/{name}?lang={lang}&run={run_id}&projector=1")
            _settled(page)
            page.locator("[data-testid='stMainBlockContainer'] h1").first.wait_for()
            page.locator(READY.get(name, "h1")).first.wait_for()  # the page's own content, not just its title
            wait_for_app(page)
            toggle = page.locator("[data-testid='stSidebar'] [data-testid='stCheckbox'] input").first
            assert toggle.is_checked()  # ?projector=1 turned the toggle on
            size = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
            assert size >= 19, size  # larger text everywhere
            widths = page.evaluate(NO_SIDEWAYS)
            for part, pair in widths.items():
                if pair:
                    assert pair[0] <= pair[1], (name, part, pair)
            assert _query(page).get("projector") == "1"
            if name == "predict":  # the drawing canvas grows from 280 to 448 px
                box = page.locator("canvas.cnnlab-canvas").first.bounding_box()
                assert box and box["width"] >= 440, box
            page.set_viewport_size({"width": 1280, "height": 2400})  # the whole page in one picture, same width
            wait_for_app(page)
            screenshot(page, f"links-projector-{name}-{lang}")
            page.set_viewport_size({"width": 1280, "height": 720})
