"""Inspect: look inside a trained model — feature maps, filters, Grad-CAM, convolution step-through,
evaluation with a clickable confusion matrix, and embeddings — for a run or an uploaded model file."""

import streamlit as st

from cnnlab.ui import linked, links, router, shell, state
from cnnlab.ui.inspect.common import safely
from cnnlab.ui.inspect.evaluation import embeddings_tab, evaluation_tab
from cnnlab.ui.inspect.inputs import pick_input, run_subject, upload_subject
from cnnlab.ui.inspect.layers import cam_tab, feature_maps_tab, filters_tab
from cnnlab.ui.inspect.probe import near_tab, rf_tab, whatif_tab
from cnnlab.ui.inspect.steps import step_tab
from cnnlab.ui.inspect.wants import sweep_tab, want_tab

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
st.title(t("inspect.title"))
st.caption(t("inspect.intro"))

runs = state.finished_runs()


def _accuracy(run) -> str:
    acc = (run.final_metrics or {}).get("test_accuracy")
    return "—" if acc is None else f"{acc:.1%}"


labels = {r.id: t("inspect.run_item", name=r.name, id=r.id, acc=_accuracy(r)) for r in runs}
sources = (["run"] if runs else []) + ["upload"]
if not runs:
    st.info(t("inspect.no_runs"))
    links.page_link(st, "train", t("inspect.go_train"), ":material/model_training:")

subject = None
if len(sources) > 1:
    source = st.radio(t("inspect.source"), sources, horizontal=True, key="insp_source",
                      format_func=lambda s: t(f"inspect.source.{s}"))  # fmt: skip
else:
    source = sources[0]


def _pick_run() -> None:
    state.show_run(st.session_state["insp_run"])


if source == "run":
    current = state.current_run_id()
    if current and current not in labels:
        st.caption(t("inspect.run_not_ready", id=current))
    st.session_state["insp_run"] = current if current in labels else runs[0].id
    run_id = st.selectbox(t("inspect.run"), list(labels), format_func=labels.get, key="insp_run", on_change=_pick_run)
    subject = run_subject(run_id, t)
else:
    with st.container(border=True):
        subject = upload_subject(t)
if subject is None:
    shell.stop()

linked.bind_inspect()  # ?layer= and ?input= from a reload or a link; the page's links carry them
with st.container(border=True):
    picked = pick_input(subject, t)

names = ["fm", "filters", "cam", "step", "eval", "emb", "whatif", "rf", "want", "near", "robust"]
tabs = linked.tabs("inspect", "insp_tab", names, [t(f"inspect.tab.{n}") for n in names])  # by id: ?tab=cam
needs_input = {"fm": feature_maps_tab, "cam": cam_tab, "step": step_tab, "whatif": whatif_tab, "rf": rf_tab,
               "near": near_tab}  # fmt: skip
no_input = {"filters": filters_tab, "eval": evaluation_tab, "emb": embeddings_tab, "want": want_tab,
            "robust": sweep_tab}  # fmt: skip
for name, tab in zip(names, tabs, strict=True):
    if tab.open is False:
        continue
    with tab:
        if name in no_input:
            safely(lambda f=no_input[name]: f(subject, t), t)
        elif picked is None:
            st.info(t("inspect.pick_first"))
        else:
            safely(lambda f=needs_input[name]: f(subject, picked, t), t)
