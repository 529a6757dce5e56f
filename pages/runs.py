"""Runs: every run in a sortable table that fits the page; the ticked runs' curves (one run's own, or several
overlaid with a settings diff); the one ticked run's details, actions, downloads and exports."""

import pandas as pd
import streamlit as st

from cnnlab import charts
from cnnlab.runs import jobs
from cnnlab.ui import links, live, router, shell, state
from cnnlab.ui import runs as run_parts

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
st.title(t("runs.title"))
if flash := st.session_state.pop("runs_flash", None):  # what the last action did, said once
    st.success(flash, icon=":material/check:")
store = state.store()
runs = jobs.poll(store)
if not runs:
    st.info(t("runs.empty"))
    links.page_link(st, "train", t("runs.go_train"), ":material/model_training:")
    shell.stop()

f1, f2 = st.columns([3, 2])
needle = f1.text_input(t("runs.filter")).strip().lower()
statuses = sorted({r.status for r in runs})
chosen = f2.multiselect(
    t("runs.status_filter"), statuses, default=statuses, format_func=lambda s: run_parts.status_word(s, t)
)
shown = [r for r in runs if r.status in chosen and needle in f"{r.name} {r.arch.get('name')} {r.dataset}".lower()]
st.caption(t("runs.select_hint"))
table, columns = run_parts.runs_table(shown, t)
event = st.dataframe(
    table, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row", key="runs_table",
    column_config=columns, placeholder=run_parts.NONE,
)  # fmt: skip
picked = [shown[i] for i in event.selection.rows if i < len(shown)]
labels = {k: t(f"train.{k}") for k in ("loss", "accuracy", "train", "validation", "epoch")}

if len(picked) == 1:
    st.subheader(t("runs.curves", name=picked[0].name))
    figure = charts.epoch_curves(store.epoch_table(picked[0].id), labels, epochs=picked[0].epochs,
                                 scale=shell.chart_scale())  # fmt: skip
    st.plotly_chart(figure, key="curves", width="stretch")
elif len(picked) >= 2:
    st.subheader(t("runs.compare"))
    metric = st.radio(t("runs.metric"), ["val_accuracy", "val_loss", "accuracy", "loss"], horizontal=True,
                      format_func=lambda m: t(f"runs.metric.{m}"))  # fmt: skip
    series = {f"{r.name} ({r.id[-4:]})": store.epoch_table(r.id) for r in picked}
    labels = {"epoch": t("train.epoch"), metric: t(f"runs.metric.{metric}")}
    st.plotly_chart(charts.compare_curves(series, metric, labels, scale=shell.chart_scale()), key="compare",
                    width="stretch")  # fmt: skip
    st.subheader(t("runs.diff"))
    settings = {f"{r.name} ({r.id[-4:]})": {**r.config, "arch": r.arch.get("name")} for r in picked}
    keys = sorted({k for cfg in settings.values() for k in cfg})
    differ = [k for k in keys if len({repr(cfg.get(k)) for cfg in settings.values()}) > 1]
    if differ:
        diff = pd.DataFrame({name: [run_parts.text(cfg.get(k)) for k in differ] for name, cfg in settings.items()},
                            index=differ)  # fmt: skip
        st.dataframe(diff.rename_axis(t("runs.setting")), width="stretch", placeholder=run_parts.NONE)
    else:
        st.info(t("runs.no_diff"))

if len(picked) != 1:
    shell.stop()
run = picked[0]
st.subheader(t("runs.manage", name=run.name))
run_parts.details(run, t)
notice = st.session_state.pop(live.NOTICE, None)
if notice:
    st.error(notice)
a, b, c, d = st.columns(4)
if a.button(t("runs.open"), icon=":material/open_in_new:", width="stretch"):
    state.show_run(run.id)
    links.switch_page("train")
live.actions(run, store, t, [b, c], key="runs", then=lambda: links.switch_page("train"))
if not run.active:
    with d.popover(t("runs.delete"), icon=":material/delete:", width="stretch"):
        st.markdown(t("runs.delete_confirm", name=run.name))
        if st.button(t("runs.delete_yes"), type="primary") and shell.require("delete", t):
            try:
                jobs.delete_run(run.id, store=store)
            except jobs.JobError as exc:  # it started training again meanwhile (another tab)
                st.error(t("runs.action_failed", reason=shell.reason(exc)))
                shell.stop()
            st.session_state.pop("run_id", None)
            st.query_params.pop("run", None)
            st.session_state["runs_flash"] = t("runs.deleted", name=run.name)
            st.rerun()
with st.form("rename", border=False):
    new_name = st.text_input(t("runs.rename"), value=run.name, max_chars=80)
    if st.form_submit_button(t("runs.rename_button")) and shell.require("rename", t) and new_name.strip():
        store.rename_run(run.id, new_name.strip())
        st.session_state["runs_flash"] = t("runs.renamed", name=new_name.strip())
        st.rerun()

run_parts.run_downloads(run, store, t)
