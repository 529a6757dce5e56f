"""Experiments' learning-curve tab (the data budget and augmentation lab): the form, the list of curve studies, and
one study's progress, chart and table, live while it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnlab import studycharts
from cnnlab.data import datasets as data
from cnnlab.runs import jobs, studies
from cnnlab.train import curves
from cnnlab.train import studies as arena
from cnnlab.train.config import ConfigError
from cnnlab.ui import experiments as exp
from cnnlab.ui import shell, state
from cnnlab.ui.runs import status_word
from cnnlab.ui.train import PRESETS_FOR_TRAINING

T = Callable[..., str]


def form(t: T) -> str | None:
    """Dataset, 1-2 architectures, augmentation off/on/both, 1-3 seeds, epochs and the sizes (capped by the dataset's
    training split); returns the new study's id once started."""
    st.caption(t("curve.help"))
    a, b, c = st.columns([3, 2, 2])
    names = [i.name for i in data.list_datasets() if i.available]
    dataset = a.selectbox(t("exp.dataset"), names, key="curve_dataset",
                          index=names.index(data.DEFAULT_DATASET) if data.DEFAULT_DATASET in names else 0)  # fmt: skip
    archs = a.multiselect(
        t("curve.archs"), PRESETS_FOR_TRAINING, default=["lenet5"], key="curve_archs",
        max_selections=curves.MAX_ARCHS, format_func=lambda k: shell.arch_name(k, t),
    )  # fmt: skip
    full = curves.full_size(dataset)
    options = [n for n in curves.SIZES if n == curves.FULL or (full and n < full)]
    if st.session_state.get("curve_sizes_for") != dataset:  # another dataset: the sizes start again from all that fit
        st.session_state["curve_sizes_for"] = dataset
        st.session_state["curve_sizes"] = options
    sizes = st.multiselect(  # its own row: the five sizes' chips fit at 1280 px
        t("curve.sizes"), options, key="curve_sizes", help=t("curve.sizes_help", full=full),
        format_func=lambda n: t("curve.full", full=full) if n == curves.FULL else f"{n:,}",
    )  # fmt: skip
    augment = b.segmented_control(
        t("curve.augment"), list(curves.AUGMENT), default="both", key="curve_augment",
        format_func=lambda k: t(f"curve.augment.{k}"), help=t("curve.augment_help"),
    )  # fmt: skip
    seeds = b.number_input(t("curve.seeds"), 1, curves.MAX_SEEDS, 1, key="curve_seeds", help=t("curve.seeds_help"))
    epochs = c.number_input(t("curve.epochs"), 1, 100, 5, key="curve_epochs", help=t("curve.epochs_help"))
    name = c.text_input(t("curve.name"), max_chars=80, key="curve_name")
    augs = 2 if augment == "both" else 1
    st.caption(t("curve.plan", runs=len(sizes) * augs * len(archs) * int(seeds), sizes=len(sizes), augs=augs,
                 archs=len(archs), seeds=int(seeds)))  # fmt: skip
    if not st.button(t("curve.start"), type="primary", icon=":material/play_arrow:", key="curve_start"):
        return None
    if not shell.require("train", t):
        return None
    named = " / ".join(shell.arch_name(a, t) for a in archs)
    name = name.strip() or t("curve.default_name", archs=named, dataset=dataset)  # in the visitor's language
    try:
        return curves.start_curve(archs, dataset=dataset, epochs=int(epochs), sizes=sizes, augment=augment or "",
                                  seeds=int(seeds), name=name, store=state.store())  # fmt: skip
    except ConfigError as exc:
        st.error(t("curve.invalid") + "\n\n" + shell.reasons(exc.problems))
        return None


def _line_name(line: dict[str, Any], two_archs: bool, t: T) -> str:
    aug = t("curve.aug_on") if line["augmentation"] else t("curve.aug_off")
    return f"{shell.arch_name(line['arch'], t)} · {aug}" if two_archs else aug


def _table(rows: list[dict[str, Any]], t: T):
    import pandas as pd

    col = {k: t(f"curve.col.{k}") for k in ("arch", "n", "augmentation", "seed", "status", "train_seconds",
                                            "test_accuracy")}  # fmt: skip
    table = pd.DataFrame([
        {col["arch"]: shell.arch_name(r["arch"], t), col["n"]: r["n"],
         col["augmentation"]: t("curve.aug_on") if r["augmentation"] else t("curve.aug_off"), col["seed"]: r["seed"],
         col["status"]: status_word(r["status"], t), col["train_seconds"]: r["train_seconds"],
         col["test_accuracy"]: r["test_accuracy"]}
        for r in rows
    ])  # fmt: skip
    config = {
        col["n"]: st.column_config.NumberColumn(format="localized"),
        col["train_seconds"]: st.column_config.NumberColumn(format="%.1f s"),
        col["test_accuracy"]: st.column_config.NumberColumn(format="percent"),
    }
    return table, config


def study_view(study: studies.Study, t: T) -> None:
    """Progress, Stop/Resume, the learning-curve chart and the table of runs."""
    store = state.store()
    summary = arena.study_summary(study, store)
    rows, done = summary["rows"], sum(r["status"] == "finished" for r in summary["rows"])
    st.progress(done / max(1, len(rows)), text=t(f"exp.state.{summary['state']}", done=done, total=len(rows)))
    exp.study_actions(study, summary["state"], t, key="curve", words="curve")
    lines = [line for line in summary["curve"] if line["points"]]
    if lines:
        two, full = len(study.settings.get("archs", [])) > 1, int(study.settings.get("full_n") or 0)
        labels = {"x": t("curve.x"), "y": t("curve.y"), "spread": t("curve.spread", seeds="{seeds}"),
                  "full": t("curve.full", full=full)}  # fmt: skip
        names = [_line_name(line, two, t) for line in lines]
        fig = studycharts.curve_chart(lines, names, labels, full_n=full, scale=shell.chart_scale())
        st.plotly_chart(fig, key="curve_chart")
        st.caption(t("curve.chart_help"))
    else:
        st.info(t("curve.wait"), icon=":material/hourglass_top:")
    table, config = _table(rows, t)
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, placeholder="—")


def _live(study_id: str, t: T) -> None:
    """Polls the run store while the study's runs train (the workers write it; nothing trains here)."""
    jobs.reconcile(state.store())  # the next queued run starts when one ends
    shell.run_safely(lambda: study_view(studies.get_study(state.store(), study_id), t), t)


def section(t: T) -> None:
    """The whole tab: the form (open while there is no learning curve yet), the choice of study, and its view."""
    store = state.store()
    mine = [s for s in studies.list_studies(store) if s.kind == curves.KIND]
    st.caption(t("curve.intro"))
    with st.expander(t("curve.new"), expanded=not mine):
        started = form(t)
        if started:
            st.session_state["curve_study"] = started
            st.rerun()
    jobs.reconcile(store)
    chosen = exp.study_choice(studies.list_studies(store), t, kind=curves.KIND, key="curve_study", label="curve.study")
    if chosen is None:
        st.info(t("curve.none"))
        return
    runs = [store.get_run(r.run_id) for r in chosen.runs]
    running = studies.study_state(runs, chosen.status) == "running"
    st.fragment(_live, run_every=1.0 if running else None)(chosen.id, t)
