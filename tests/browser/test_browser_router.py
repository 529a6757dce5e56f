"""Real browser, fresh server: every visitor gets app.py's router, also the ones that open a page by its URL
before any session has run st.navigation (Streamlit's pages-folder mode; see cnnlab/ui/router.py).

Ten visitors open /predict at the same moment, right after the server answers its health check, three
times on three fresh servers; and each other page is opened once as a fresh server's very first visit.
Every page must show the router's sidebar (the language selector), its own title and no error."""

from __future__ import annotations

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, streamlit_server, wait_for_app
from cnnlab.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

VISITORS = 10
PATIENCE_MS = 240_000  # ten cold sessions share a busy two-core machine
FORBIDDEN = ("Error", "Traceback", "ImportError")


def _problem(page, title: str) -> str | None:
    """What is wrong with a page as its visitor sees it once the app has settled, or None."""
    try:
        page.get_by_role("heading", name=title, exact=True).wait_for(state="visible")
        wait_for_app(page)
        # the router draws the sidebar before the page: by now it is there, or it never comes
        page.locator("[data-testid='stSidebar']").get_by_label("Language").wait_for(state="visible", timeout=30_000)
    except Exception as exc:  # a timeout: report it with the others, then fail once
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    text = page.locator("[data-testid='stApp']").inner_text()
    shown = [word for word in FORBIDDEN if word in text]
    if shown or page.locator("[data-testid='stException']").count():
        return f"shows {shown or 'an exception'}: {text[:300]!r}"
    return None


def _open_together(url: str, path: str, visitors: int, name: str) -> list[str]:
    """Open `url/path` in `visitors` fresh browser contexts at once; the problems found, one line each."""
    sync_playwright = require_chromium()
    title = t(f"{path}.title", "en")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            pages = []
            for _ in range(visitors):  # every context (its own cookies and session) exists before anyone navigates
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.set_default_timeout(PATIENCE_MS)
                pages.append(page)
            for page in pages:  # returns once the server answers: the sessions start together
                page.goto(f"{url}/{path}", wait_until="commit")
            problems = []
            for i, page in enumerate(pages):
                problem = _problem(page, title)
                if problem:
                    screenshot(page, f"router-{name}-{i}")
                    problems.append(f"visitor {i}: {problem}")
            return problems
        finally:
            browser.close()


@pytest.mark.parametrize("start", range(3))
def test_ten_visitors_open_predict_together_on_a_fresh_server(tmp_path, start):
    require_chromium()
    with streamlit_server(tmp_path) as url:
        problems = _open_together(url, "predict", VISITORS, f"predict-{start}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("path", ["train", "runs", "inspect", "build", "data"])
def test_a_page_opened_first_on_a_fresh_server_has_the_router(tmp_path, path):
    require_chromium()
    with streamlit_server(tmp_path) as url:
        problems = _open_together(url, path, 1, path)
    assert problems == [], "\n".join(problems)
