"""Experiments' Sweep tab: the sweep form, the list of sweeps, and one sweep's progress, parallel-coordinates chart,
sortable table and its best configuration one click away from Train (cnnlab.train.sweeps does the work)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnlab import studycharts
from cnnlab.data import datasets as data
from cnnlab.runs import jobs, studies
from cnnlab.train import sweeps
from cnnlab.train.config import OPTIMIZERS, ConfigError
from cnnlab.ui import experiments as exp
from cnnlab.ui import links, shell, state
from cnnlab.ui.runs import status_word
from cnnlab.ui.train import PRESETS_FOR_TRAINING

T = Callable[..., str]
TAB = "sweep"  # its id in the Experiments page's tabs (?tab=sweep)
# (values offered, values chosen at first) per hyperparameter
OFFERED: dict[str, tuple[list, list]] = {
    "learning_rate": ([0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05], [0.001, 0.005]),
    "batch_size": ([16, 32, 64, 128, 256], [64, 128]),
    "optimizer": (list(OPTIMIZERS), ["adam"]),
    "dropout": ([0.0, 0.1, 0.25, 0.5], [0.0]),
    "epochs": ([1, 2, 3, 5, 10, 20, 40], [3]),
}


def section(t: T) -> None:
    """The whole tab: a new sweep (folded once there are sweeps), then the sweep in view, live while it runs."""
    store = state.store()
    jobs.reconcile(store)  # the next queued run starts when one ends
    mine = [s for s in studies.list_studies(store) if s.kind == "sweep"]
    with st.expander(t("sweep.new"), expanded=not mine):
        started = form(t)
        if started:
            st.session_state["sweep_study"] = started
            st.rerun()
    chosen = choice(mine, t)
    if chosen is None:
        st.info(t("sweep.none"))
        return
    runs = [store.get_run(r.run_id) for r in chosen.runs]
    running = studies.study_state(runs, chosen.status) == "running"
    st.fragment(_live, run_every=1.0 if running else None)(chosen.id, t)


def _live(study_id: str, t: T) -> None:
    """Polls the run store while the sweep's runs train (the workers write it; nothing trains here)."""
    jobs.reconcile(state.store())
    shell.run_safely(lambda: view(studies.get_study(state.store(), study_id), t), t)


def space_form(t: T) -> dict[str, list]:
    """One multiselect per hyperparameter: one value keeps it fixed, several sweep it."""
    out = {}
    cols = [*st.columns(3), *st.columns(3)[:2]]  # two rows: room for a few chosen values each
    for col, (name, (offered, first)) in zip(cols, OFFERED.items(), strict=True):
        out[name] = col.multiselect(
            t(f"sweep.hp.{name}"), offered, default=first, key=f"sweep_{name}", format_func=_value,
            help=t("sweep.dropout_help") if name == "dropout" else None,
        )  # fmt: skip
    return out


def form(t: T) -> str | None:
    """Architecture, dataset, grid or random, the values per hyperparameter; returns the new study's id."""
    st.caption(t("sweep.help"))
    a, b, c, d = st.columns([2, 2, 2, 1])
    arch = a.selectbox(t("sweep.arch"), PRESETS_FOR_TRAINING, key="sweep_arch",
                       format_func=lambda k: shell.arch_name(k, t))  # fmt: skip
    names = [i.name for i in data.list_datasets() if i.available]
    dataset = b.selectbox(t("exp.dataset"), names, key="sweep_dataset",
                          index=names.index(data.DEFAULT_DATASET) if data.DEFAULT_DATASET in names else 0)  # fmt: skip
    mode = c.segmented_control(t("sweep.mode"), list(sweeps.MODES), default="grid", key="sweep_mode",
                               format_func=lambda m: t(f"sweep.mode.{m}"), help=t("sweep.mode_help"))  # fmt: skip
    mode = mode or "grid"
    trials = d.number_input(t("sweep.trials"), sweeps.MIN_RUNS, sweeps.MAX_RUNS, 6, key="sweep_trials",
                            disabled=mode != "random")  # fmt: skip
    space = space_form(t)
    trials = int(trials) if mode == "random" else None
    try:
        count = len(sweeps.combinations(space, mode, trials))
    except ConfigError as exc:
        st.warning(shell.reasons(exc.problems), icon=":material/info:")
    else:
        st.caption(t("sweep.count", count=count))
    name = st.text_input(t("sweep.name"), max_chars=80, key="sweep_name")
    if not st.button(t("sweep.start"), type="primary", icon=":material/play_arrow:", key="sweep_start"):
        return None
    if not shell.require("train", t):
        return None
    try:
        return sweeps.start_sweep(arch, dataset=dataset, space=space, mode=mode, trials=trials, name=name,
                                  epochs=max(space["epochs"] or [3]), store=state.store())  # fmt: skip
    except ConfigError as exc:
        st.error(t("sweep.invalid") + "\n\n" + shell.reasons(exc.problems))
        return None


def described(row: dict, axes: list[str], t: T) -> str:
    """A configuration in the reader's language: "Learning rate 0.005 · Batch size 32"."""
    return " · ".join(f"{t(f'sweep.hp.{n}')} {_value(row[n])}" for n in axes if row.get(n) is not None)


def _value(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def choice(mine: list[studies.Study], t: T) -> studies.Study | None:
    """The sweep in view: `?study=` (with ?tab=sweep) when it names one, else the newest; the URL follows."""
    if not mine:
        return None
    ids = [s.id for s in mine]
    if st.session_state.get("exp_tab__id") == TAB:  # the open tab's study is the one the URL carries
        links.bind("experiments", "study", "sweep_study")
    if st.session_state.get("sweep_study") not in ids:
        st.session_state["sweep_study"] = ids[0]
    labels = {s.id: f"{s.name} · {time.strftime('%Y-%m-%d %H:%M', time.localtime(s.created))}" for s in mine}
    chosen = st.selectbox(t("sweep.study"), ids, format_func=labels.get, key="sweep_study")
    return mine[ids.index(chosen)]


def view(study: studies.Study, t: T) -> None:
    """Progress and Stop/Resume, the best configuration and its Train button, the chart and the table."""
    store = state.store()
    summary = sweeps.sweep_summary(study, store)
    rows, now = summary["rows"], summary["state"]
    done = sum(r["status"] == "finished" for r in rows)
    st.progress(done / max(1, len(rows)), text=t(f"exp.state.{now}", done=done, total=len(rows)))
    exp.study_actions(study, now, t, key="sweep", words="exp")
    top = sweeps.best(rows)
    axes = sweeps.swept(study)
    if top is not None:
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.success(t("sweep.best", label=described(top, axes, t), accuracy=f"{top['test_accuracy']:.1%}"),
                     icon=":material/emoji_events:")  # fmt: skip
        if right.button(t("sweep.train_best"), type="primary", icon=":material/model_training:",
                        help=t("sweep.train_best_help"), key="sweep_train_best"):  # fmt: skip
            train_best(sweeps.best_config(top, store))
    finished = [r for r in rows if r["test_accuracy"] is not None]
    if len(finished) >= 2:
        names = {n: t(f"sweep.hp.{n}") for n in sweeps.HYPERPARAMETERS} | {"test_accuracy": t("exp.col.test_accuracy")}
        scale = shell.chart_scale()
        st.plotly_chart(studycharts.sweep_parcoords(finished, axes, names, height=int(420 * scale)), key="sweep_pc")
        st.caption(t("sweep.chart_help"))
    else:
        st.info(t("sweep.chart_wait"), icon=":material/hourglass_top:")
    table, config = _table(rows, axes, top, t)
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, placeholder="—")


def _table(rows: list[dict], axes: list[str], top: dict | None, t: T):
    import pandas as pd

    col = {"best": t("sweep.col.best"), **{n: t(f"sweep.hp.{n}") for n in axes}, "status": t("exp.col.status"),
           "test_accuracy": t("exp.col.test_accuracy"), "val_accuracy": t("sweep.col.val_accuracy"),
           "train_seconds": t("exp.col.train_seconds")}  # fmt: skip
    table = pd.DataFrame([
        {col["best"]: "★" if top is not None and r["run_id"] == top["run_id"] else "",
         **{col[n]: r.get(n) for n in axes}, col["status"]: status_word(r["status"], t),
         **{col[k]: r[k] for k in ("test_accuracy", "val_accuracy", "train_seconds")}}
        for r in rows
    ])  # fmt: skip
    config: dict[str, Any] = {col[k]: st.column_config.NumberColumn(format="percent")
                              for k in ("test_accuracy", "val_accuracy")}  # fmt: skip
    config[col["train_seconds"]] = st.column_config.NumberColumn(format="%.1f s")
    config[col["best"]] = st.column_config.TextColumn(width="small")
    if "learning_rate" in col:
        config[col["learning_rate"]] = st.column_config.NumberColumn(format="%g")
    if "dropout" in col:
        config[col["dropout"]] = st.column_config.NumberColumn(format="%g")
    return table, config


def train_best(config: dict[str, Any]) -> None:
    """Open Train with `config` filled in: its architecture and dataset become the ones in view, its settings
    travel as Train's `setup` link (cnnlab.ui.links), and no run is in view, so the form is open."""
    from cnnlab.train.config import resolve_arch

    info = data.dataset_info(config["dataset"])
    ss = st.session_state
    ss["arch_spec"] = resolve_arch(config["arch"], info.image_shape, len(info.class_names)).to_dict()
    ss["dataset"] = config["dataset"]
    ss.pop("run_id", None)
    links.switch_page("train", **links.setup_query(config))


