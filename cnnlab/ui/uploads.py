"""Uploaded files held in the server's memory, bounded per visitor and for the whole server.

Streamlit keeps every file a visitor uploads in memory until they remove it or their session ends (12 uploads of
45 MB were 540 MB held). Every uploader on the pages goes through `admit`: when a new file would make its visitor
hold more than SESSION_MB, or the server more than TOTAL_MB, that file is refused with a sentence and dropped from
Streamlit's memory at once (the widget starts afresh). What is held is read from Streamlit's own upload store, so
it counts every uploader (and the camera) and forgets a session when it ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnlab.errors import CnnLabError

SESSION_MB = 100  # per visitor: a few photos, a dataset zip and a model file at once
TOTAL_MB = 600  # the whole server: 30 visitors with a few photos each fit well below


def limits_mb() -> tuple[float, float]:
    """(per visitor, whole server) in MB; CNNLAB_UPLOAD_SESSION_MB / CNNLAB_UPLOAD_TOTAL_MB change them."""

    def read(name: str, default: float) -> float:
        try:
            return max(0.0, float(os.environ.get(name, default)))
        except ValueError:
            return default

    return read("CNNLAB_UPLOAD_SESSION_MB", SESSION_MB), read("CNNLAB_UPLOAD_TOTAL_MB", TOTAL_MB)


def _store() -> tuple[str | None, Any]:
    """(this session's id, Streamlit's upload store) or (None, None) outside a server (AppTest)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or ctx.uploaded_file_mgr is None:
        return None, None
    return ctx.session_id, ctx.uploaded_file_mgr


def held_bytes() -> tuple[int, int]:
    """(bytes this visitor's uploads hold, bytes every visitor's uploads hold) in Streamlit's memory."""
    session_id, store = _store()
    storage = getattr(store, "file_storage", None)
    if not isinstance(storage, dict):
        return 0, 0
    sizes = {sid: sum(len(rec.data) for rec in list(files.values())) for sid, files in list(storage.items())}
    return sizes.get(session_id, 0), sum(sizes.values())


def budget_problem(mine: int, everyone: int) -> CnnLabError | None:
    """The refusal when held bytes break a budget (per visitor first), else None."""
    session_mb, total_mb = limits_mb()
    if mine > session_mb * 2**20:
        return CnnLabError("engine.upload.session_full", mb=f"{session_mb:g}", held=f"{mine / 2**20:.1f}")
    if everyone > total_mb * 2**20:
        return CnnLabError("engine.upload.server_full", mb=f"{total_mb:g}")
    return None


def widget_key(key: str) -> str:
    """The uploader's current key: a refused file gives the widget a fresh one (so it shows empty)."""
    n = st.session_state.get(f"_upload_round_{key}", 0)
    return key if n == 0 else f"{key}__{n}"


def admit(value: Any, key: str) -> Any:
    """An uploader's value (a file, a list of files or None) once its new files fit the budgets; otherwise those
    files are dropped from memory, the widget is reset and the page reruns with the sentence (`refusal`)."""
    files = value if isinstance(value, list) else [] if value is None else [value]
    seen: set[str] = st.session_state.setdefault("_upload_admitted", set())
    new = [f for f in files if getattr(f, "file_id", None) not in seen]
    if not new:
        return value
    problem = budget_problem(*held_bytes())
    if problem is None:
        seen.update(f.file_id for f in new)
        return value
    session_id, store = _store()
    for f in new:
        if store is not None:
            store.remove_file(session_id, f.file_id)
    st.session_state[f"_upload_round_{key}"] = st.session_state.get(f"_upload_round_{key}", 0) + 1
    st.session_state[f"_upload_refused_{key}"] = problem
    st.rerun()


def refusal(key: str, t: Callable[..., str]) -> None:
    """The sentence for a file `admit` refused on the last run (shown once, above the uploader)."""
    from cnnlab.ui import shell

    problem = st.session_state.pop(f"_upload_refused_{key}", None)
    if problem is not None:
        st.warning(shell.reason(problem), icon=":material/memory:")


def uploader(widget: Callable[..., Any], label: str, *, key: str, t: Callable[..., str], **kwargs: Any) -> Any:
    """`widget(label, key=..., **kwargs)` (st.file_uploader or st.camera_input) under the memory budgets."""
    refusal(key, t)
    return admit(widget(label, key=widget_key(key), **kwargs), key)
