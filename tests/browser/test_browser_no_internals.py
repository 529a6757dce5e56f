"""Real browser, every page in both languages with a finished run in view: no page text shows a server path, an
exception's class name or command-line syntax (issue 21: what the app says is for learners, not for its author)."""

from __future__ import annotations

import re

import pytest

from browser import browser_page, require_chromium, streamlit_server, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = ("", "learn", "data", "build", "train", "runs", "experiments", "inspect", "predict")
INTERNALS = {
    "a server path": re.compile(
        r"(?<![\w:/.~…])(?:/root\b|/tmp/|/home/|/usr/)|site-packages|(?<![\w:/.~…])(?:/[\w.\-]+)+\.(?:keras|h5|npz)\b"
    ),
    "an exception name": re.compile(r"Traceback|\b[A-Z][A-Za-z]+(?:Error|Exception)\b|WeightsUnavailable|NotFound\b"),
    "a command-line flag": re.compile(r"(?<![\w\-])--[a-z][\w\-]*"),
}
# The page's words: main area and sidebar, hidden tabs and expanders included (textContent), without the Python
# source a user asked to see (Build's and Runs' exported scripts are code, flags and all) and without <style>.
PAGE_TEXT = """() => {
  const parts = [];
  for (const root of document.querySelectorAll("[data-testid='stMain'], [data-testid='stSidebar']")) {
    const copy = root.cloneNode(true);
    copy.querySelectorAll("[data-testid='stCode'], style, script").forEach(e => e.remove());
    parts.push(copy.textContent);
  }
  return parts.join("\\n");
}"""


def internals(text: str) -> list[str]:
    """Every internal the page shows, with a little text around it."""
    found = []
    for what, pattern in INTERNALS.items():
        for m in pattern.finditer(text):
            found.append(f"{what}: …{text[max(0, m.start() - 60) : m.end() + 60]}…")
    return found


def test_no_page_shows_a_server_path_an_exception_name_or_a_cli_flag(tiny_run):
    require_chromium()
    home, run_id = tiny_run
    problems = []
    with streamlit_server(home) as url, browser_page(1440, 1000) as page:
        page.set_default_timeout(90_000)
        for lang in ("en", "zh"):
            for name in PAGES:
                page.goto(f"{url}/{name}?run={run_id}&lang={lang}")
                wait_for_app(page)
                page.locator("[data-testid='stMain'] h1").first.wait_for()
                wait_for_app(page)
                text = page.evaluate(PAGE_TEXT)
                assert len(text) > 100, (name, lang, text)  # the page really rendered
                problems += [f"{name or 'home'} ({lang}) {p}" for p in internals(text)]
    assert not problems, "\n".join(problems)


def test_the_scan_finds_what_it_looks_for():
    shown = (
        "WeightsUnavailable: transferbase_1: no file (/root/.keras/models/w.h5) (weights=None; on the command "
        "line --option weights=none); saved in /tmp/x/runs/1/best.keras; ValueError: bad"
    )
    kinds = {p.split(":")[0] for p in internals(shown)}
    assert kinds == {"a server path", "an exception name", "a command-line flag"}
    assert not internals("Test accuracy 97.5% — 2026-12-02 10:00 · batch 64 · mnist-sample · best.keras · 5×5")
    assert not internals("copy w.h5 ← https://storage.googleapis.com/keras/w.h5 into ~/.keras/models or …/lab/tmp/")
