"""The UI's shape: every page goes through app.py's router (cnnlab/ui/router.py), pages stay short and thin,
and no UI module reaches into another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cnnlab.i18n import t
from conftest import APP_PATH, ROOT

PAGES = sorted((ROOT / "pages").glob("*.py"))
UI_MODULES = sorted((ROOT / "cnnlab" / "ui").rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _first_statement(tree: ast.Module) -> ast.stmt:
    """The first statement after the module docstring and the imports."""
    body = [s for s in tree.body if not isinstance(s, ast.Import | ast.ImportFrom)]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return body[0]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_page_calls_the_router_guard_first(page: Path) -> None:
    first = _first_statement(_tree(page))
    assert ast.unparse(first) == "router.guard()", f"{page.name} starts with {ast.unparse(first)!r}"


def _private_reaches(path: Path) -> list[str]:
    """`from x import _name` and `module._name` where `module` was imported from cnnlab."""
    tree = _tree(path)
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnnlab"):
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update((a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("cnnlab"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            if node.attr.startswith("_") and not node.attr.startswith("__"):
                found.append(f"{node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", [ROOT / "app.py", *PAGES, *UI_MODULES], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_across_ui_modules(path: Path) -> None:
    assert _private_reaches(path) == []


def test_pages_and_ui_modules_stay_short() -> None:
    long_pages = {p.name: n for p in PAGES if (n := len(p.read_text(encoding="utf-8").splitlines())) > 150}
    long_modules = {str(p.relative_to(ROOT)): n for p in UI_MODULES
                    if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}  # fmt: skip
    assert long_pages == {} and long_modules == {}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_a_page_started_by_the_legacy_pages_folder_mode_reruns_through_the_router(page: Path) -> None:
    """AppTest starts every run in Streamlit's pages-folder mode (it resets the flag), so switching before the first
    run executes the page script itself, as a fresh server does for a visitor opening /predict: the router's
    sidebar (language selector) must still be there, with the page's own title."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP_PATH, default_timeout=120)
    at.switch_page(f"pages/{page.name}")
    at.run()
    assert not at.exception, at.exception
    assert [s.label for s in at.sidebar.selectbox][:1] == ["Language"]
    assert t(f"{page.stem}.title", "en") in [title.value for title in at.title]


def test_upload_budgets_refuse_by_visitor_first_then_by_server_in_both_languages(monkeypatch):
    from cnnlab.ui.uploads import budget_problem, limits_mb

    monkeypatch.setenv("CNNLAB_UPLOAD_SESSION_MB", "2")
    monkeypatch.setenv("CNNLAB_UPLOAD_TOTAL_MB", "3")
    assert limits_mb() == (2.0, 3.0)
    mb = 2**20
    assert budget_problem(2 * mb, 3 * mb) is None  # at the limits: kept
    mine = budget_problem(2 * mb + 1, 10 * mb)  # both broken: the visitor's own budget is named
    assert mine.key == "engine.upload.session_full" and "more than 2 MB" in mine.message("en")
    assert "超过 2 MB" in mine.message("zh") and "2.0 MB" in mine.message("en")
    server = budget_problem(mb, 3 * mb + 1)
    assert server.key == "engine.upload.server_full" and "more than 3 MB" in server.message("en")
    monkeypatch.setenv("CNNLAB_UPLOAD_SESSION_MB", "lots")  # a typo in the setting keeps the default
    assert limits_mb()[0] == 100.0
