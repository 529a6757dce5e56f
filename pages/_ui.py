"""Shared page helpers: language, sidebar context, friendly errors. Thin on purpose."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from cnnlab import demo
from cnnlab.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator

log = logging.getLogger("cnnlab.app")


def language() -> str:
    """The UI language, kept in the URL (?lang=zh) so reloads and shared links keep it."""
    lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    st.session_state.setdefault("lang", lang)
    return st.session_state["lang"]


def tr() -> Callable[..., str]:
    """The translator for the current session's language (for pages)."""
    return translator(language())


def _set_language() -> None:
    st.session_state["lang"] = st.session_state["_lang_picker"]
    st.query_params["lang"] = st.session_state["lang"]


def sidebar(t: Callable[..., str]) -> None:
    """Language switch and what is currently selected: dataset, architecture, run."""
    with st.sidebar:
        codes = list(LANGUAGES)
        st.selectbox(
            t("sidebar.language"),
            codes,
            index=codes.index(st.session_state["lang"]),
            format_func=LANGUAGES.get,
            key="_lang_picker",
            on_change=_set_language,
        )
        none = t("sidebar.none")
        spec = st.session_state.get("arch_spec")
        st.caption(f"**{t('sidebar.dataset')}:** {st.session_state.get('dataset', 'mnist-sample')}")
        st.caption(f"**{t('sidebar.architecture')}:** {spec['name'] if spec else 'lenet5'}")
        st.caption(f"**{t('sidebar.run')}:** {st.session_state.get('run_id') or none}")
        if demo.enabled():
            _demo_box(t)


def _demo_box(t: Callable[..., str]) -> None:
    st.warning(t("demo.badge"), icon=":material/co_present:")
    if st.session_state.get("demo_unlocked"):
        st.success(t("demo.unlocked"))
        return
    if not demo.password_configured():
        st.caption(t("demo.no_password"))
        return
    with st.form("demo_unlock", border=False):
        given = st.text_input(t("demo.password"), type="password")
        if st.form_submit_button(t("demo.unlock")):
            if demo.check_password(given):
                st.session_state["demo_unlocked"] = True
                st.rerun()
            st.error(t("demo.wrong"))


def allowed(action: str) -> bool:
    """Whether this visitor may do `action` (always, unless demo mode is on and locked)."""
    return demo.allowed(action, bool(st.session_state.get("demo_unlocked")))


def require(action: str, t: Callable[..., str]) -> bool:
    """Like `allowed`, but explains the refusal on the page."""
    if allowed(action):
        return True
    st.info(t("demo.locked"), icon=":material/lock:")
    return False


def quota() -> demo.SessionQuota:
    """This visitor's demo-mode upload budget (small; lives in the session)."""
    return st.session_state.setdefault("demo_quota", demo.SessionQuota())


def run_safely(page: Callable[[], None], t: Callable[..., str]) -> None:
    """Run a page; an unexpected error is logged on the server and shown as one sentence."""
    try:
        page()
    except Exception as exc:
        log.exception("page failed")
        st.error(t("error.generic", reason=type(exc).__name__))


def dataset_source(info, t: Callable[..., str]) -> str:
    """Where a dataset's images come from, in the UI language (user datasets keep their own text)."""
    key = f"datasets.source.{info.name}"
    return info.source if info.user or t(key) == key else t(key)


def dataset_problem(info, t: Callable[..., str]) -> str:
    """Why a dataset is unavailable (or will download), and how to fix it, in the UI language."""
    from cnnlab.paths import keras_home

    if info.status == "offline":
        return t("datasets.offline") + t(f"datasets.fix.{info.name}", cache=keras_home() / "datasets")
    if info.status in ("download", "missing"):
        return t(f"datasets.status.{info.status}")
    return info.reason
