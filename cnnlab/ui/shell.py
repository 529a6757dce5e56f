"""The frame around every page: language, sidebar (context and demo box), demo-mode permissions, and friendly
errors (`run_safely`, `reason`, `redact`). Thin on purpose; run state lives in cnnlab.ui.state and the
router guard in cnnlab.ui.router."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import NoReturn

import streamlit as st

from cnnlab import demo
from cnnlab.errors import CnnLabError, Phrase
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


def sidebar(t: Callable[..., str]):
    """Language switch, then a slot showing the current dataset / architecture / run.

    The slot is filled now and refilled after the page ran (which may change them); should a page end with
    st.stop() (which drops that second write), the first one keeps the sidebar complete."""
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
        st.toggle(t("sidebar.projector"), key="projector", help=t("sidebar.projector_help"))
        slot = st.empty()
        if demo.enabled():
            _demo_box(t)
    return slot


def sidebar_status(slot, t: Callable[..., str]) -> None:
    """What is selected right now, after the page may have changed it."""
    none = t("sidebar.none")
    arch, dataset, run_text = st.session_state.get("arch_spec") or "lenet5", st.session_state.get("dataset"), none
    if run_id := st.session_state.get("run_id"):
        run = _shown_run(run_id)
        if run is not None:  # a run in view: the sidebar speaks of it, not of what Build or Data last showed
            arch, dataset, run_text = run.arch or arch, run.dataset, f"{run.name} (`{run.id}`)"
    with slot.container():
        st.caption(f"**{t('sidebar.dataset')}:** {dataset or 'mnist-sample'}")
        st.caption(f"**{t('sidebar.architecture')}:** {arch_name(arch, t)}")
        st.caption(f"**{t('sidebar.run')}:** {run_text}")


def _shown_run(run_id: str):
    from cnnlab.runs.store import RunNotFound
    from cnnlab.ui import state

    try:
        return state.store().get_run(run_id)
    except (RunNotFound, CnnLabError):
        return None


def arch_name(arch: object, t: Callable[..., str]) -> str:
    """The one display name of an architecture: a preset's catalogue name ("LeNet-5", "Small VGG"), an edited
    preset as "LeNet-5 (edited)", a spec from Build or a file by the name it was given."""
    from cnnlab.i18n import CATALOGUE

    if isinstance(arch, str) or arch is None:
        key = f"arch.name.{arch or 'lenet5'}"
        return t(key) if key in CATALOGUE else str(arch)
    if not isinstance(arch, dict):
        return "—"
    name = str(arch.get("name") or "—")
    if f"arch.name.{name}" not in CATALOGUE:
        return name
    from cnnlab.ui.links import arch_params

    return t(f"arch.name.{name}") if "arch" in arch_params(arch) else t("arch.edited", name=t(f"arch.name.{name}"))


PROJECTOR_SCALE = 1.4  # charts' text and lines in projector mode


def chart_scale() -> float:
    """How much larger charts draw: PROJECTOR_SCALE in projector mode, else 1."""
    return PROJECTOR_SCALE if st.session_state.get("projector") else 1.0


def canvas_size(normal: int = 280) -> int:
    """The drawing canvas's side in pixels: 448 in projector mode."""
    return 448 if st.session_state.get("projector") else normal


_PROJECTOR_CSS = """<style>
html { font-size: 20px; }
.stApp [data-testid="stMarkdownContainer"] p, .stApp [data-testid="stMarkdownContainer"] li { font-size: 1.1rem; }
.stApp [data-testid="stCaptionContainer"] { font-size: 0.95rem; }
.stApp [data-testid="stMetricValue"] { font-size: 2.4rem; }
.stApp h1 { font-size: 2.6rem; }
.stApp [data-testid="stMainBlockContainer"] { padding: 2.5rem 1.5rem 4rem; max-width: 100%; }
.stApp [data-testid="stMainBlockContainer"] * { min-width: 0; }
.stApp [data-testid="stMainBlockContainer"] pre { white-space: pre-wrap; word-break: break-all; }
.stApp .js-plotly-plot .xtick text, .stApp .js-plotly-plot .ytick text { font-size: 16px !important; }
.stApp .js-plotly-plot .g-xtitle text, .stApp .js-plotly-plot .g-ytitle text,
.stApp .js-plotly-plot .legendtext, .stApp .js-plotly-plot .gtitle { font-size: 18px !important; }
.stApp .js-plotly-plot .js-line { stroke-width: 3.5px !important; }
</style>"""  # the last three: every chart's ticks, titles, legend and lines, also those drawn without a scale


def projector_css() -> None:
    """Projector mode: larger text everywhere (rem-based, so the whole UI grows) and nothing wider than the page."""
    if st.session_state.get("projector"):
        st.html(_PROJECTOR_CSS)


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


def visible_path(path: object) -> str:
    """A server folder as a page shows it, never whole (issue 21: no server paths on a page): under the home folder
    of the account that runs CNN Lab, from there ("~/.keras/models"); elsewhere its last two parts ("…/lab/runs").
    A demo visitor always gets the last two parts. The CLI prints whole paths."""
    from pathlib import Path

    text = str(path)
    if not demo.enabled() or st.session_state.get("demo_unlocked"):
        try:
            return "~/" + Path(text).resolve().relative_to(Path.home().resolve()).as_posix()
        except (ValueError, OSError, RuntimeError):
            pass
    parts = [p for p in re.split(r"[\\/]+", text) if p]
    return "…/" + "/".join(parts[-2:])


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
    """An engine error (or Phrase) in the UI language, by its catalogue key; any other text as it is."""
    if isinstance(error, (CnnLabError, Phrase)):
        return error.message(language())
    return str(error)


def reasons(problems) -> str:
    """A ConfigError's problems as a Markdown list, each in the UI language."""
    return "\n".join(f"- {reason(p)}" for p in problems)


_PATH = re.compile(r"(?:[A-Za-z]:)?[\\/](?:[^\s'\"\\/]+[\\/])+([^\s'\"\\/]*)")


def redact(message: str) -> str:
    """An error message without the server's folder names (a demo audience sees the page): keep file names only."""
    return _PATH.sub(lambda m: m.group(1) or "…", message)


class PageEnd(BaseException):
    """Raised by `stop()`: ends the page script here; run_safely's `after` still runs."""


def stop() -> NoReturn:
    """End the page here (instead of st.stop()): the sidebar and the URL are still written after it.

    st.stop() marks the whole script run as stopping, so every later element or query-parameter write raises
    again and `after` would be cut short: a reload of such a page lost its URL state."""
    raise PageEnd


def run_safely(page: Callable[[], None], t: Callable[..., str], after: Callable[[], None] | None = None) -> None:
    """Run a page; an unexpected error is logged on the server and shown as one sentence, never a traceback.

    `after` runs when the page ends with `stop()`, but not when it reruns or switches page (that run's output and
    query-parameter writes are dropped, the next run draws it) nor after st.stop() (which cannot draw any more).
    """
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

    rerun = False
    try:
        page()
    except PageEnd:
        pass  # the page ended early: `after` still draws
    except StopException:
        rerun = True  # st.stop(): nothing more can be drawn in this run
        raise
    except RerunException:
        rerun = True
        raise
    except CnnLabError as exc:  # a known condition (a damaged store, a missing file): its own sentence
        log.warning("page stopped: %s", exc)
        st.error(redact(reason(exc)))
    except Exception as exc:
        log.exception("page failed")
        st.error(t("error.generic", reason=redact(str(exc))[:200] or "—"))
    finally:
        if after is not None and not rerun:
            after()


def dataset_source(info, t: Callable[..., str]) -> str:
    """Where a dataset's images come from, in the UI language (user datasets keep their own text)."""
    key = f"datasets.source.{info.name}"
    return info.source if info.user or t(key) == key else t(key)


def dataset_problem(info, t: Callable[..., str]) -> str:
    """Why a dataset is unavailable (or will download), and how to fix it, in the UI language."""
    from cnnlab.paths import keras_home

    if info.status == "offline":
        return t("datasets.offline") + t(f"datasets.fix.{info.name}", cache=visible_path(keras_home() / "datasets"))
    if info.status in ("download", "missing"):
        return t(f"datasets.status.{info.status}")
    return reason(info.reason)


def duration(seconds: float | None, t: Callable[..., str]) -> str:
    """'42 s' or '3 min 5 s' in the UI language."""
    if seconds is None:
        return "—"
    m, s = divmod(max(0.0, float(seconds)), 60)
    return t("train.minutes", m=m, s=s) if m else t("train.seconds", s=s)
