"""Runs: every run in a sortable table, overlaid curves and a settings diff, and per-run actions."""

import pandas as pd
import streamlit as st

from cnnlab import charts
from cnnlab.runs import jobs
from cnnlab.runs import store as rs
from cnnlab.ui import router, shell, state
from cnnlab.ui import runs as run_files

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
st.title(t("runs.title"))
store = state.store()
runs = jobs.poll(store)
if not runs:
    st.info(t("runs.empty"))
    st.page_link("pages/train.py", label=t("runs.go_train"), icon=":material/model_training:")
    st.stop()

f1, f2 = st.columns([3, 2])
needle = f1.text_input(t("runs.filter")).strip().lower()
statuses = sorted({r.status for r in runs})
chosen = f2.multiselect(
    t("runs.status_filter"), statuses, default=statuses, format_func=lambda s: t(f"train.status.{s}")
)
shown = [r for r in runs if r.status in chosen and needle in f"{r.name} {r.arch.get('name')} {r.dataset}".lower()]
col = {k: t(f"runs.col.{k}") for k in ("name", "status", "arch", "dataset", "optimizer", "lr", "batch", "epochs",
                                        "best_val", "test_acc", "duration", "created")}  # fmt: skip
table = pd.DataFrame(
    [
        {
            col["name"]: r.name,
            col["status"]: t(f"train.status.{r.status}"),
            col["arch"]: r.arch.get("name"),
            col["dataset"]: r.dataset,
            col["optimizer"]: r.config.get("optimizer"),
            col["lr"]: r.config.get("learning_rate"),
            col["batch"]: r.config.get("batch_size"),
            col["epochs"]: f"{r.epochs_done}/{r.epochs}",
            col["best_val"]: r.final_metrics.get("best_val_accuracy"),
            col["test_acc"]: r.final_metrics.get("test_accuracy"),
            col["duration"]: round(r.duration, 1),
            col["created"]: pd.Timestamp(r.created, unit="s").strftime("%Y-%m-%d %H:%M"),
        }
        for r in shown
    ]
)
for key in ("best_val", "test_acc", "lr"):
    if not table.empty:
        table[col[key]] = pd.to_numeric(table[col[key]], errors="coerce")
st.caption(t("runs.select_hint"))
percent = st.column_config.NumberColumn(format="percent")
event = st.dataframe(
    table, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row", key="runs_table",
    column_config={col["best_val"]: percent, col["test_acc"]: percent},
)  # fmt: skip
picked = [shown[i] for i in event.selection.rows if i < len(shown)]

if len(picked) >= 2:
    st.subheader(t("runs.compare"))
    metric = st.radio(t("runs.metric"), ["val_accuracy", "val_loss", "accuracy", "loss"], horizontal=True,
                      format_func=lambda m: t(f"runs.metric.{m}"))  # fmt: skip
    series = {f"{r.name} ({r.id[-4:]})": store.epoch_table(r.id) for r in picked}
    labels = {"epoch": t("train.epoch"), metric: t(f"runs.metric.{metric}")}
    st.plotly_chart(charts.compare_curves(series, metric, labels), key="compare", width="stretch")
    st.subheader(t("runs.diff"))
    settings = {f"{r.name} ({r.id[-4:]})": {**r.config, "arch": r.arch.get("name")} for r in picked}
    keys = sorted({k for cfg in settings.values() for k in cfg})
    differ = [k for k in keys if len({repr(cfg.get(k)) for cfg in settings.values()}) > 1]
    if differ:
        diff = pd.DataFrame({name: [str(cfg.get(k)) for k in differ] for name, cfg in settings.items()}, index=differ)
        st.dataframe(diff.rename_axis(t("runs.setting")), width="stretch")
    else:
        st.info(t("runs.no_diff"))

if len(picked) != 1:
    st.stop()
run = picked[0]
st.subheader(t("runs.manage", name=run.name))
a, b, c = st.columns(3)
if a.button(t("runs.open"), icon=":material/open_in_new:"):
    state.show_run(run.id)
    st.switch_page("pages/train.py")
with b.form("rename", border=False):
    new_name = st.text_input(t("runs.rename"), value=run.name, max_chars=80)
    if st.form_submit_button(t("runs.rename_button")) and shell.require("rename", t) and new_name.strip():
        store.rename_run(run.id, new_name.strip())
        st.rerun()
if run.status in rs.RESUMABLE and c.button(t("runs.resume"), icon=":material/play_arrow:"):
    if shell.require("resume", t):
        try:
            resumed = jobs.resume_run(run.id, store=store)
        except jobs.JobError as exc:
            st.error(t("runs.action_failed", reason=shell.reason(exc)))
        else:
            st.success(t("runs.resumed", run=run.id, epoch=resumed.epochs_done + 1))
            state.show_run(run.id)
if not run.active:
    with c.popover(t("runs.delete"), icon=":material/delete:"):
        st.markdown(t("runs.delete_confirm", name=run.name))
        if st.button(t("runs.delete_yes"), type="primary") and shell.require("delete", t):
            try:
                jobs.delete_run(run.id, store=store)
            except jobs.JobError as exc:  # it started training again meanwhile (another tab)
                st.error(t("runs.action_failed", reason=shell.reason(exc)))
                st.stop()
            st.session_state.pop("run_id", None)
            st.query_params.pop("run", None)
            st.rerun()

run_files.run_downloads(run, store, t, shell.allowed)
