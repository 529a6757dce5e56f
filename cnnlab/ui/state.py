"""Per-session and per-server state shared by the pages: the run store (one per thread), the run in view,
links between pages, and handles on trained models (served by cnnlab.inspection.service) per checkpoint version."""

from __future__ import annotations

import threading

import streamlit as st

_local = threading.local()


def store():
    """This thread's RunStore (one SQLite connection per thread, reused across reruns). The first one of a data home
    also makes this server keep a warm standby worker for it (the Train click's run starts in under a second)."""
    from cnnlab.paths import data_home
    from cnnlab.runs.jobs import ensure_standby
    from cnnlab.runs.store import RunStore

    home = str(data_home())
    cached = getattr(_local, "store", None)
    if cached is None or getattr(_local, "home", None) != home:
        _local.store, _local.home = RunStore(), home
        ensure_standby(_local.store)  # once per server and data home; CNNLAB_STANDBY=0: nothing
        _warm_models()  # once per server; CNNLAB_WARM=0: nothing
    return _local.store


def _warm_models() -> None:
    """The model service started, with the model Predict shows first loaded, before the first visitor asks."""
    from cnnlab.inspection.prediction import best_for_drawings
    from cnnlab.inspection.service import warm
    from cnnlab.runs.files import ModelMissing, run_model_path
    from cnnlab.runs.store import RunStore

    def first_model():
        with RunStore() as store:  # (this runs in the warming thread: a connection of its own)
            runs = [r for r in store.list_runs() if not r.active and store.artifact(r.id, "best_model")]
            best = best_for_drawings(runs)
            try:
                return run_model_path(store, best.id) if best else None
            except ModelMissing:
                return None

    warm(first_model)


def current_run_id() -> str | None:
    """The run in view: the session's (links.adopt puts a new ?run= from a reload or a link there), else the URL's."""
    run_id = st.session_state.get("run_id") or st.query_params.get("run")  # links.adopt took a new ?run= in
    if run_id:
        st.session_state["run_id"] = run_id
    return run_id


def show_run(run_id: str) -> None:
    """Put `run_id` in view, in the session and in the URL (so a reload keeps it)."""
    st.session_state["run_id"] = run_id
    st.query_params["run"] = run_id


def page_link(container, page: str, label: str, icon: str, **query: str) -> None:
    """A link to another page with the view's query parameters (cnnlab.ui.links), shown once that page exists."""
    from cnnlab.ui import links

    links.page_link(container, page, label, icon, **query)


@st.cache_resource(max_entries=16, show_spinner=False)
def _handle(path: str, mtime: float):
    """One handle per checkpoint file version (it remembers the model's input shape and classes once asked)."""
    from cnnlab.inspection.service import open_model

    return open_model(path)


def run_model(run_id: str):
    """(run, model) for a run's best checkpoint: `model` is a handle on it in the model service (its own process,
    so TensorFlow never loads into this server; visitors' predictions are batched there). None without a
    checkpoint yet."""
    from cnnlab.runs.files import ModelMissing, run_model_path

    run = store().find_run(run_id)
    try:
        path = run_model_path(store(), run.id)
    except ModelMissing:
        return None
    return run, _handle(str(path), path.stat().st_mtime)


def finished_runs(shape: tuple[int, ...] | None = None) -> list:
    """Runs that have a saved model (optionally only those whose input is `shape`), newest first."""
    out = []
    for run in store().list_runs():
        if shape is not None and tuple(run.arch.get("input_shape", ())) != tuple(shape):
            continue
        if store().artifact(run.id, "best_model") or store().artifact(run.id, "last_model"):
            out.append(run)
    return out
