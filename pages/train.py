"""Train: settings with one sentence of help each, a Train button, and the live view of a run."""

import streamlit as st

from cnnlab.runs import store as rs
from cnnlab.train.config import ConfigError
from cnnlab.train.launch import start_run
from cnnlab.ui import live, router, shell, state
from cnnlab.ui import train as train_form

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
st.title(t("train.title"))


with st.expander(t("train.new"), expanded=not state.current_run_id()):
    config, run_name = train_form.settings(t)
    go, share = st.columns([1, 1], vertical_alignment="center")
    with share:
        train_form.share_box(config, t)
    if go.button(t("train.start"), type="primary", icon=":material/play_arrow:", help=t("train.start_help")):
        st.session_state.pop("tr_refused", None)
        if shell.require("train", t):
            try:
                run_id = start_run(config, name=run_name, store=state.store())
            except ConfigError as exc:
                st.session_state["tr_refused"] = exc.problems  # shown below (its buttons rerun the page)
            else:
                st.session_state["dataset"] = config["dataset"]
                state.show_run(run_id)
                st.rerun()
    train_form.refusal(t)

run_id = state.current_run_id()
if not run_id:
    st.info(t("train.no_run"))
    shell.stop()
try:
    run = state.store().find_run(run_id)
except rs.RunNotFound:
    st.query_params.pop("run", None)
    st.session_state.pop("run_id", None)
    st.info(t("train.no_run"))
    shell.stop()


@st.fragment(run_every=1.0 if run.active else None)
def live_view(run_id: str) -> None:
    """Polls the run store (never trains here) while the run is queued or trains; its actions rerun the app."""
    shell.run_safely(lambda: live.view(run_id, t), t)  # fragment reruns bypass app.py's guard


live_view(run.id)
