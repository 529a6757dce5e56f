"""The Experiments page's parts: the arena form, the list of studies, and one study's table, curves and charts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnlab import charts, studycharts
from cnnlab.data import datasets as data
from cnnlab.runs import studies
from cnnlab.train import studies as arena
from cnnlab.train.config import ConfigError
from cnnlab.ui import links, shell, state, widgets
from cnnlab.ui.runs import status_word
from cnnlab.ui.train import PRESETS_FOR_TRAINING

T = Callable[..., str]
PERCENT = ("test_accuracy", "drawn_accuracy")


def arena_form(t: T) -> str | None:
    """Pick 2-6 architectures, the dataset and the budget (epochs, or seconds of training each); returns the new
    study's id once started."""
    st.caption(t("exp.arena_help"))
    a, b, c = st.columns([3, 2, 2])
    archs = a.multiselect(
        t("exp.archs"), PRESETS_FOR_TRAINING, default=["lenet5", "simple_cnn", "mlp"], key="exp_archs",
        max_selections=arena.MAX_ENTRIES, format_func=lambda k: shell.arch_name(k, t),
    )  # fmt: skip
    names = [i.name for i in data.list_datasets() if i.available]
    dataset = b.selectbox(t("exp.dataset"), names, key="exp_dataset",
                          index=names.index(data.DEFAULT_DATASET) if data.DEFAULT_DATASET in names else 0)  # fmt: skip
    unit = c.segmented_control(t("exp.budget"), ["epochs", "seconds"], default="epochs", key="exp_budget",
                               format_func=lambda u: t(f"exp.budget.{u}"), help=t("exp.budget_help"))  # fmt: skip
    in_seconds = unit == "seconds"
    if in_seconds:
        amount = c.number_input(t("exp.seconds"), 5, 3600, 30, step=5, key="exp_seconds")
    else:
        amount = c.number_input(t("exp.epochs"), 1, 100, 3, key="exp_epochs", help=t("exp.epochs_help"))
    name = st.text_input(t("exp.name"), max_chars=80, key="exp_name")
    if not st.button(t("exp.start"), type="primary", icon=":material/play_arrow:") or not shell.require("train", t):
        return None
    try:
        return arena.start_arena(
            archs, dataset=dataset, epochs=arena.SECONDS_CAP_EPOCHS if in_seconds else int(amount), name=name,
            seconds=float(amount) if in_seconds else None, store=state.store(),
        )  # fmt: skip
    except ConfigError as exc:
        st.error(t("exp.invalid") + "\n\n" + shell.reasons(exc.problems))
        return None


def study_choice(
    all_studies: list[studies.Study], t: T, kind: str = "arena", key: str = "exp_study", label: str = "exp.study"
) -> studies.Study | None:
    """The `kind` study in view, in the tab whose id is `kind`: `?study=` when it names one, else the newest; a select
    box switches, and while its tab is open the URL follows the choice."""
    mine = [s for s in all_studies if s.kind == kind]
    if not mine:
        return None
    ids = [s.id for s in mine]
    if st.session_state.get("exp_tab__id", "arena") == kind:  # the open tab's study is the one ?study= carries
        links.bind("experiments", "study", key)
    widgets.keep_option(key, ids)
    labels = {s.id: f"{s.name} · {time.strftime('%Y-%m-%d %H:%M', time.localtime(s.created))}" for s in mine}
    chosen = st.selectbox(t(label), ids, format_func=labels.get, key=key)
    return mine[ids.index(chosen)]


def _table(rows: list[dict[str, Any]], t: T):
    import pandas as pd

    col = {k: t(f"exp.col.{k}") for k in ("label", "status", "params", "macs", "train_seconds", "latency_ms",
                                          "test_accuracy", "drawn_accuracy")}  # fmt: skip
    table = pd.DataFrame([
        {col["label"]: shell.arch_name(r["label"], t), col["status"]: status_word(r["status"], t),
         **{col[k]: r[k] for k in col if k not in ("label", "status")}}
        for r in rows
    ])  # fmt: skip
    config = {col[k]: st.column_config.NumberColumn(format="percent") for k in PERCENT}
    config[col["params"]] = st.column_config.NumberColumn(format="localized")
    config[col["macs"]] = st.column_config.NumberColumn(format="localized")
    config[col["train_seconds"]] = st.column_config.NumberColumn(format="%.1f s")
    config[col["latency_ms"]] = st.column_config.NumberColumn(format="%.2f ms")
    return table, config


def study_view(study: studies.Study, t: T) -> None:
    """State and progress, Stop/Resume, the results table, overlaid curves and the accuracy-vs-cost charts."""
    store = state.store()
    summary = arena.study_summary(study, store)
    rows, done = summary["rows"], sum(r["status"] == "finished" for r in summary["rows"])
    st.progress(done / max(1, len(rows)), text=t(f"exp.state.{summary['state']}", done=done, total=len(rows)))
    study_actions(study, summary["state"], t)
    table, config = _table(rows, t)
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, placeholder="—")
    labels = {"val_accuracy": t("exp.val_accuracy"), "epoch": t("train.epoch")}
    series = {shell.arch_name(r["label"], t): store.epoch_table(r["run_id"]) for r in rows}
    left, right = st.columns(2)
    left.plotly_chart(charts.compare_curves(series, "val_accuracy", labels), key="exp_curves")
    finished = [r for r in rows if r["test_accuracy"] is not None and r["latency_ms"] is not None and r["macs"]]
    if len(finished) < 2:
        right.info(t("exp.pareto_wait"), icon=":material/hourglass_top:")
        return
    names = {"front": t("exp.front"), "test_accuracy": t("exp.col.test_accuracy"),
             "latency_ms": t("exp.col.latency_ms"), "macs": t("exp.col.macs")}  # fmt: skip
    shown = [{**r, "label": shell.arch_name(r["label"], t)} for r in finished]
    cost = right.radio(t("exp.cost"), ["latency_ms", "macs"], format_func=lambda k: names[k], horizontal=True,
                       key="exp_cost")  # fmt: skip
    front = arena.pareto_front([(r[cost], r["test_accuracy"]) for r in finished])
    right.plotly_chart(studycharts.pareto_chart(shown, cost, front, names), key="exp_pareto")
    right.caption(t("exp.pareto_help"))


def study_actions(study: studies.Study, now: str, t: T, key: str = "exp", words: str = "exp") -> None:
    """Stop (while it runs) or Resume (once stopped) the whole study: buttons `{key}_stop` / `{key}_resume`, their
    labels `{words}.stop` / `{words}.resume`; both ask for the presenter's password in demo mode."""
    if now == "running" and st.button(t(f"{words}.stop"), icon=":material/stop:", key=f"{key}_stop"):
        if shell.require("stop", t):
            arena.stop_study(study.id, state.store())
            st.rerun()
    if now == "stopped" and st.button(t(f"{words}.resume"), icon=":material/play_arrow:", key=f"{key}_resume"):
        if shell.require("resume", t):
            arena.resume_study(study.id, state.store())
            st.rerun()
