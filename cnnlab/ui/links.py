"""Every view is a link: the one place that knows the query parameters and how they travel.

Global parameters (every page, every internal link): `lang`, `run`, `dataset`, `arch` (a preset's name) or `spec`
(an architecture edited on Build, compressed), `projector`. Per page: Train's `setup` (every hyperparameter of its
form, compressed: cnnlab.train.setup_link), Inspect's `tab`, `layer`, `input`, Predict's `tab`.

How state and URL agree. The session is the truth while a visitor clicks around; at the end of every run `sync`
writes the page's parameters into the URL (so a reload or a copied address shows the same view) and remembers
what it wrote. At the start of a run `adopt` takes every URL value that differs from what this session last wrote:
a fresh session (a reload, a shared link) or a link that carries other values. Values this session wrote itself
are not taken back, so a widget the visitor just changed is never reverted by the URL's older value.

Streamlit's own sidebar menu drops query parameters on every page switch, so app.py hides it and `sidebar_nav`
draws the menu as links that carry them; `page_link` and `switch_page` do the same for links inside pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from cnnlab.errors import CnnLabError

GLOBAL = ("lang", "run", "dataset", "arch", "spec", "projector")
PAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "train": ("setup",),
    "inspect": ("tab", "layer", "input"),
    "predict": ("tab",),  # a drawing or an upload is not something a link can carry
    "experiments": ("study", "tab"),
}
PAGES = ("home", "learn", "data", "build", "train", "runs", "experiments", "inspect", "predict")
_ROOT = Path(__file__).resolve().parents[2]
_WRITTEN = "_links_written"  # what this session last put into the URL
_WRITTEN_BEFORE = "_links_written_before"  # ... and what it put there before that
_INCOMING = "_links_incoming"  # this run's URL values that differ from it (a reload, a shared link)
_PAGE = "_links_page"  # per page: {param: value} for its links
_BOUND = "_links_bound"  # per page: {param: what it shows now (a function)}
PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")


# ---------------------------------------------------------------- reading the URL


def adopt() -> None:
    """Start of a run (app.py, before anything reads state): take the URL's new values into the session."""
    ss = st.session_state
    written: dict[str, str] = ss.get(_WRITTEN, {})
    url = {k: st.query_params.get(k) for k in st.query_params}
    incoming = {k: v for k, v in url.items() if isinstance(v, str) and written.get(k) != v}
    if incoming and url == ss.get(_WRITTEN_BEFORE):
        # an echo, not a link: a widget changed again before the browser showed this session's last URL, so it
        # sent the one before (taking it in would undo the change just made, e.g. Train's epochs typed, then Train)
        incoming = {}
    ss[_INCOMING] = incoming
    ss["_links_shown"] = set()
    from cnnlab.i18n import LANGUAGES

    if incoming.get("lang") in LANGUAGES:
        ss["lang"] = ss["_lang_picker"] = incoming["lang"]
    if incoming.get("run") and PLAIN.match(incoming["run"]):
        ss["run_id"] = incoming["run"]
    if incoming.get("dataset") and PLAIN.match(incoming["dataset"]):
        ss["dataset"] = incoming["dataset"]
    if "projector" in incoming:
        ss["projector"] = incoming["projector"] == "1"
    if "spec" in incoming or "arch" in incoming:
        _adopt_arch(incoming)


def _adopt_arch(incoming: Mapping[str, str]) -> None:
    from cnnlab.train.setup_link import SetupLinkError, decode_setup

    try:
        got = decode_setup({k: incoming[k] for k in ("arch", "spec") if k in incoming})
    except SetupLinkError as exc:
        _problem(exc)
        return
    arch = got.get("arch")
    ss = st.session_state
    current = ss.get("arch_spec")
    if isinstance(arch, dict):
        ss["arch_spec"] = arch
    elif isinstance(arch, str) and not (current and current.get("name") == arch and "spec" not in incoming):
        from cnnlab.arch.presets import preset

        ss["arch_spec"] = preset(arch).to_dict()  # Build and Train adapt it to the dataset
    ss.pop("build_base", None)  # Build starts from the linked architecture


def incoming(param: str) -> str | None:
    """The URL's value of `param` when it came from outside this session (a reload or a link), else None."""
    return st.session_state.get(_INCOMING, {}).get(param)


def _problem(error: CnnLabError) -> None:
    st.session_state["_links_problem"] = error


def show_problem(lang: str) -> None:
    """A parameter that could not be read: one translated sentence (st.warning); the page works as usual."""
    error = st.session_state.pop("_links_problem", None)
    if error is not None:
        warn(error, lang)


def warn(error: CnnLabError, lang: str) -> None:
    """A link's problem as one warning, once per run however many readers of the link met it."""
    shown = st.session_state.setdefault("_links_shown", set())
    if error.message("en") not in shown:
        shown.add(error.message("en"))
        st.warning(error.message(lang), icon=":material/link_off:")


# ---------------------------------------------------------------- what links carry


def global_params() -> dict[str, str]:
    """lang, run, dataset, arch or spec, projector as they are in this session."""
    ss = st.session_state
    out: dict[str, str] = {}
    if ss.get("lang"):
        out["lang"] = ss["lang"]
    if ss.get("run_id"):
        out["run"] = ss["run_id"]
    if ss.get("dataset"):
        out["dataset"] = ss["dataset"]
    out.update(arch_params(ss.get("arch_spec")))
    if ss.get("projector"):
        out["projector"] = "1"
    return out


def arch_params(spec: Mapping[str, Any] | None) -> dict[str, str]:
    """`arch=<preset>` for a preset as it comes, `spec=<packed>` for anything edited; {} for none."""
    if not spec:
        return {}
    from cnnlab.arch.presets import PRESETS, preset
    from cnnlab.arch.spec import SpecError
    from cnnlab.train.setup_link import pack

    name = spec.get("name")
    if name in PRESETS:
        try:
            if preset(name, tuple(spec["input_shape"]), spec["num_classes"]).to_dict() == dict(spec):
                return {"arch": name}
        except (SpecError, KeyError, TypeError, ValueError):
            pass
    return {"spec": pack(dict(spec))}


def keep(page: str, **params: str | None) -> None:
    """Page state for `page`'s links and URL (None drops a parameter)."""
    mine = st.session_state.setdefault(_PAGE, {}).setdefault(page, {})
    for k, v in params.items():
        if v is None:
            mine.pop(k, None)
        else:
            mine[k] = str(v)


def bind(page: str, param: str, key: str, parse: Callable[[str], Any] = str, show: Callable[[Any], str] = str) -> None:
    """Call before the widget with session key `key`: an incoming ?param= sets it; its value then travels.
    (A value the widget cannot take is dropped by the widget's own checks, e.g. widgets.keep_option.)"""
    value = incoming(param)
    if value is not None and PLAIN.match(value):
        try:
            st.session_state[key] = parse(value)
        except (ValueError, TypeError):
            pass
    ss = st.session_state
    bound(page)[param] = lambda: None if ss.get(key) is None else show(ss[key])


def bound(page: str) -> dict[str, Callable[[], str | None]]:
    """`page`'s bound parameters: each a function giving its value now (None: not in the URL)."""
    return st.session_state.setdefault(_BOUND, {}).setdefault(page, {})


def page_link_params(page: str, *, here: bool = False) -> dict[str, str]:
    """What a link to `page` carries: the global parameters and that page's own. `here`: for the page in view
    (its URL, what a reload shows), where a page's own architecture choice (Train's form) wins over the global one;
    a link from elsewhere keeps the architecture in view (say, the one just edited on Build)."""
    out = global_params()
    ss = st.session_state
    own = dict(ss.get(_PAGE, {}).get(page, {}))
    if not here:
        own.pop("arch", None)
        own.pop("spec", None)
    elif "arch" in own:
        out.pop("spec", None)
    elif "spec" in own:
        out.pop("arch", None)
    out.update(own)
    for param, value in ss.get(_BOUND, {}).get(page, {}).items():
        shown = value()
        if shown is not None:
            out[param] = shown
    allowed = set(GLOBAL) | set(PAGE_PARAMS.get(page, ()))
    return {k: v for k, v in out.items() if k in allowed and v not in (None, "")}


def sync(page: str) -> None:
    """End of a run: the URL shows exactly `page`'s parameters, and this session remembers writing them."""
    wanted = page_link_params(page, here=True)
    current = {k: st.query_params.get(k) for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)
    ss = st.session_state
    if ss.get(_WRITTEN) != wanted:
        ss[_WRITTEN_BEFORE] = ss.get(_WRITTEN)
    ss[_WRITTEN] = wanted


# ---------------------------------------------------------------- links and page switches


def _exists(page: str) -> bool:
    return (_ROOT / "pages" / f"{page}.py").is_file()


def page_link(container, page: str, label: str, icon: str | None = None, **extra: str) -> None:
    """A link to another page that carries the view's parameters (shown only once that page exists)."""
    if _exists(page):
        query = {**page_link_params(page), **{k: v for k, v in extra.items() if v is not None}}
        container.page_link(f"pages/{page}.py", label=label, icon=icon, query_params=query)


def switch_page(page: str, **extra: str) -> None:
    """st.switch_page with the view's parameters (Streamlit would drop them)."""
    st.switch_page(f"pages/{page}.py", query_params={**page_link_params(page), **extra})


def sidebar_nav(container, pages: Sequence[tuple[str, str, str]], t: Callable[..., str]) -> None:
    """The page menu as links that carry the parameters: (page, catalogue key, icon) each."""
    with container.container():
        for page, key, icon in pages:
            page_link(st, page, t(key), icon)


# ---------------------------------------------------------------- shared setups (Train pre-filled from a link)


def setup_query(config: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters that open Train with `config` (dataset, arch or spec, setup)."""
    from cnnlab.train.setup_link import encode_setup

    query = encode_setup(config)
    if isinstance(config.get("arch"), Mapping):
        query.pop("spec", None)
        query.update(arch_params(config["arch"]))
    return query


def read_setup(params: Mapping[str, Any]) -> dict[str, Any] | CnnLabError:
    """The Train-shaped values a link carries, or the keyed error saying why it cannot be read."""
    from cnnlab.train.setup_link import PARAMS, SetupLinkError, decode_setup

    try:
        return decode_setup({k: params[k] for k in PARAMS if k in params})
    except SetupLinkError as exc:
        return exc


def train_setup() -> dict[str, Any]:
    """The Train form's hyperparameters as this session last had them (from its setup), else {} (the defaults)."""
    setup = st.session_state.get(_PAGE, {}).get("train", {}).get("setup")
    got = read_setup({"setup": setup}) if setup else {}
    return got if isinstance(got, dict) else {}


def share_url(query: Mapping[str, str], page: str = "train") -> str:
    """An absolute link to `page` with `query`, from the address this visitor opened the app at."""
    from urllib.parse import urlencode

    base = _base_url()
    return f"{base}/{page}?{urlencode(dict(query))}"


def _base_url() -> str:
    """scheme://host[:port][/base path] as the visitor's browser sees it (st.context.url), else localhost."""
    url = getattr(st.context, "url", None) or "http://localhost:8501/"
    match = re.match(r"^(https?://[^/?#]+)(/[^?#]*)?", url)
    if not match:
        return "http://localhost:8501"
    root, path = match.group(1), (match.group(2) or "/")
    parts = [p for p in path.split("/") if p]
    if parts and parts[-1] in PAGES:
        parts = parts[:-1]
    return root + ("/" + "/".join(parts) if parts else "")
