"""The page's friendly error sentence keeps the cause but not the server's folders (a demo audience reads it)."""

from __future__ import annotations

import pytest

from cnnlab.ui.shell import redact


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("[Errno 2] No such file or directory: '/home/ann/cnnlab-data/runs/7f3/best.keras'",
         "[Errno 2] No such file or directory: 'best.keras'"),
        ("cannot open /srv/demo/cnnlab-data/ for writing", "cannot open … for writing"),
        (r"bad file C:\Users\ann\digits.zip", "bad file digits.zip"),
        ("file is not a database", "file is not a database"),
        ("batch 64/128 and ratio 1/2", "batch 64/128 and ratio 1/2"),
    ],
)  # fmt: skip
def test_redact_keeps_file_names_only(message: str, expected: str) -> None:
    assert redact(message) == expected


def test_an_unexpected_error_is_one_sentence_and_a_logged_traceback(caplog) -> None:
    """An unforeseen bug: the visitor reads one sentence (no class name, no folders); the log has it all."""
    from streamlit.testing.v1 import AppTest

    def page_script() -> None:
        from cnnlab.i18n import translator
        from cnnlab.ui.shell import run_safely

        def broken() -> None:
            raise KeyError("/srv/cnnlab/secret/model.keras")

        run_safely(broken, translator("en"))

    with caplog.at_level("ERROR", logger="cnnlab.app"):
        at = AppTest.from_function(page_script).run(timeout=60)
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("Something went wrong on this page") and "model.keras" in error.value, error.value
    assert "KeyError" not in error.value and "/srv/" not in error.value, error.value
    assert "page failed" in caplog.text and "KeyError" in caplog.text


def test_a_known_engine_error_is_its_own_sentence_in_the_visitor_language() -> None:
    from streamlit.testing.v1 import AppTest

    def page_script() -> None:
        import streamlit as st

        from cnnlab.i18n import translator
        from cnnlab.runs.schema import StoreError
        from cnnlab.ui.shell import run_safely

        st.session_state["lang"] = "zh"

        def broken() -> None:
            raise StoreError("engine.store.damaged", path="/home/ann/data/runs.sqlite")

        run_safely(broken, translator("zh"))

    at = AppTest.from_function(page_script).run(timeout=60)
    [error] = at.error
    expected = "runs.sqlite 已损坏或不是数据库；请把它移走（新的运行记录库会从空开始），或恢复一份备份"
    assert error.value == expected, error.value
