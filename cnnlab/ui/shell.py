"""Shared page helpers: language, sidebar context, friendly errors. Thin on purpose."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

import streamlit as st

from cnnlab import demo
from cnnlab.errors import CnnLabError, Phrase
from cnnlab.i18n import CATALOGUE, DEFAULT_LANGUAGE, LANGUAGES, explain, translator

log = logging.getLogger("cnnlab.app")


def _leave_pages_directory_mode() -> None:
    """Streamlit treats an app with a pages/ folder as an old-style multipage app until st.navigation
    has run once, so a server's very first visit straight to /train would run that page without
    app.py (no router, no sidebar). Clear that flag and rerun through app.py instead."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if not _imported_by_app():  # through app.py the router runs already: no extra rerun at cold start
            st.rerun()


def _imported_by_app() -> bool:
    """Whether app.py (the router) is what is running, rather than a page opened directly by its URL."""
    import inspect

    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    main = getattr(get_script_run_ctx(), "main_script_path", None)
    return main is not None and any(frame.filename == main for frame in inspect.stack(context=0))


_leave_pages_directory_mode()


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


def sidebar(t: Callable[..., str]):
    """Language switch, then a slot showing the current dataset / architecture / run.

    The slot is filled now and refilled after the page ran (which may change them); a page that ends with st.stop()
    may drop that second write, so the first one keeps the sidebar complete."""
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
        slot = st.empty()
        if demo.enabled():
            _demo_box(t)
    return slot


def sidebar_status(slot, t: Callable[..., str]) -> None:
    """What is selected right now, after the page may have changed it."""
    none = t("sidebar.none")
    spec = st.session_state.get("arch_spec")
    with slot.container():
        st.caption(f"**{t('sidebar.dataset')}:** {st.session_state.get('dataset', 'mnist-sample')}")
        st.caption(f"**{t('sidebar.architecture')}:** {spec['name'] if spec else 'lenet5'}")
        st.caption(f"**{t('sidebar.run')}:** {st.session_state.get('run_id') or none}")


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


def reason(error: object) -> str:
    """An engine error's (or Phrase's) sentence in the UI language, by its catalogue key (legacy text: the reverse
    matcher)."""
    if isinstance(error, (CnnLabError, Phrase)) and error.key in CATALOGUE:
        return error.message(language())
    return explain(error, language())


def reasons(problems) -> str:
    """A ConfigError's problems as a Markdown list, each in the UI language."""
    return "\n".join(f"- {reason(p)}" for p in problems)


_PATH = re.compile(r"(?:[A-Za-z]:)?[\\/](?:[^\s'\"\\/]+[\\/])+([^\s'\"\\/]*)")


def redact(message: str) -> str:
    """An error message without the server's folder names (a demo audience sees the page): keep file names only."""
    return _PATH.sub(lambda m: m.group(1) or "…", message)


def run_safely(page: Callable[[], None], t: Callable[..., str], after: Callable[[], None] | None = None) -> None:
    """Run a page; an unexpected error is logged on the server and shown as one sentence, never a traceback.

    `after` runs even when the page calls st.stop() (Streamlit's stop/rerun are BaseExceptions).
    """
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    try:
        page()
    except StopException:
        pass  # st.stop() ends the page, not the app: `after` still draws
    except Exception as exc:
        log.exception("page failed")
        st.error(t("error.generic", reason=f"{type(exc).__name__}: {redact(str(exc))[:200]}"))
    finally:
        if after is not None:
            after()


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
    return reason(info.reason)


_local = threading.local()


def store():
    """This thread's RunStore (one SQLite connection per thread, reused across reruns)."""
    from cnnlab.paths import data_home
    from cnnlab.runs.store import RunStore

    home = str(data_home())
    cached = getattr(_local, "store", None)
    if cached is None or getattr(_local, "home", None) != home:
        _local.store, _local.home = RunStore(), home
    return _local.store


def duration(seconds: float | None, t: Callable[..., str]) -> str:
    """'42 s' or '3 min 5 s' in the UI language."""
    if seconds is None:
        return "—"
    m, s = divmod(max(0.0, float(seconds)), 60)
    return t("train.minutes", m=m, s=s) if m else t("train.seconds", s=s)


def current_run_id() -> str | None:
    """The run in view: ?run= in the URL first (so reloads and second tabs agree), then the session."""
    run_id = st.query_params.get("run") or st.session_state.get("run_id")
    if run_id:
        st.session_state["run_id"] = run_id
    return run_id


def show_run(run_id: str) -> None:
    st.session_state["run_id"] = run_id
    st.query_params["run"] = run_id


def page_link(container, page: str, label: str, icon: str, **query: str) -> None:
    """A link to another page with query parameters, shown only once that page exists."""
    from pathlib import Path

    if (Path(__file__).resolve().parents[2] / "pages" / f"{page}.py").is_file():
        container.page_link(f"pages/{page}.py", label=label, icon=icon, query_params=query)


@st.cache_resource(max_entries=4, show_spinner=False)
def _cached_model(path: str, mtime: float):
    """One loaded model (+ its compiled predictor and a lock) per checkpoint file version."""
    from cnnlab.inspection.forward import predictor
    from cnnlab.modelfiles import load_model

    model = load_model(path)
    return model, predictor(model), threading.Lock()


def run_model(run_id: str):
    """(run, model, predictor, lock) for a run's best checkpoint, cached per (run id, file mtime).

    Nothing large goes into st.session_state; hold `lock` around predictions (models are shared by
    every session of this server). Returns None when the run has no checkpoint yet.
    """
    from cnnlab.runs.files import ModelMissing, run_model_path

    run = store().find_run(run_id)
    try:
        path = run_model_path(store(), run.id)
    except ModelMissing:
        return None
    model, pred, lock = _cached_model(str(path), path.stat().st_mtime)
    return run, model, pred, lock


def finished_runs(shape: tuple[int, ...] | None = None) -> list:
    """Runs that have a saved model (optionally only those whose input is `shape`), newest first."""
    out = []
    for run in store().list_runs():
        if shape is not None and tuple(run.arch.get("input_shape", ())) != tuple(shape):
            continue
        if store().artifact(run.id, "best_model") or store().artifact(run.id, "last_model"):
            out.append(run)
    return out
