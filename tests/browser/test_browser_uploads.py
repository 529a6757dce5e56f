"""Real browser: uploads are bounded by the memory they hold, per visitor and for the whole server. Three visitors
(three browser contexts, three sessions) upload files to a server whose budgets are set small; the file that would
break a budget is refused with a sentence, the uploader shows it empty again, and the others keep theirs."""

from __future__ import annotations

import json

import pytest

from browser import browser_page, require_chromium, streamlit_server, wait_for_app
from cnnlab.arch.presets import preset
from cnnlab.i18n import t as translate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect

UPLOAD_BUTTON = translate("data.upload_button", "en")
SIZE = 600 * 1024  # each file; budgets below: 1 MB a visitor, 1.5 MB for the server


def _spec_file(n: int) -> dict:
    """A real spec from the Build page, padded with spaces to SIZE bytes (still valid JSON)."""
    text = json.dumps(preset("lenet5", (28, 28, 1), 10).to_dict())
    return {"name": f"spec-{n}.json", "mimeType": "application/json",
            "buffer": (text + " " * (SIZE - len(text))).encode()}  # fmt: skip


def _upload(page, file: dict) -> None:
    page.locator("[data-testid='stFileUploader'] input[type=file]").first.set_input_files(file)
    wait_for_app(page)


def _visitor(browser, url: str):
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    page.set_default_timeout(90_000)
    page.goto(f"{url}/build")
    page.locator("[data-testid='stFileUploader']").first.wait_for()
    return page


def test_a_file_that_would_break_a_memory_budget_is_refused_and_dropped(cnnlab_home):
    require_chromium()
    limits = {"CNNLAB_UPLOAD_SESSION_MB": "1", "CNNLAB_UPLOAD_TOTAL_MB": "1.5"}
    with streamlit_server(cnnlab_home, extra_env=limits) as url, browser_page() as first:
        browser = first.context.browser
        a, b, c = (_visitor(browser, url) for _ in range(3))
        _upload(a, _spec_file(1))
        _upload(b, _spec_file(2))
        for page, name in ((a, "spec-1.json"), (b, "spec-2.json")):  # held: 1.2 MB in all, each under 1 MB
            expect(page.get_by_text(name)).to_be_visible()
            expect(page.get_by_text("was not kept")).to_have_count(0)

        _upload(c, _spec_file(3))  # 1.8 MB on the server: refused, c's uploader is empty again
        expect(c.get_by_text("everyone's uploads together would hold more than 1.5 MB")).to_be_visible()
        expect(c.get_by_text("spec-3.json")).to_have_count(0)

        a.get_by_role("link", name="Data").first.click()  # a second file for visitor a: 1.2 MB of their own
        a.get_by_text("Add your own dataset").first.wait_for()
        a.locator("[data-testid='stForm'] input[type=file]").first.set_input_files(
            {"name": "more.npz", "mimeType": "application/octet-stream", "buffer": b"\0" * SIZE}
        )
        a.locator("[data-testid='stForm']").get_by_role("button", name=UPLOAD_BUTTON).click()
        expect(a.get_by_text("your uploads would hold more than 1 MB")).to_be_visible()
        expect(b.get_by_text("spec-2.json")).to_be_visible()  # the others keep theirs
