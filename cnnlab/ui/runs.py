"""The Runs page's parts (kept apart so pages/runs.py stays short): the runs table, one run's details, its
downloads and exports."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnlab import export
from cnnlab.inspection.service import default_service
from cnnlab.runs import studies
from cnnlab.runs.files import ModelMissing, metrics_csv, run_model_path
from cnnlab.ui import links, live, shell, state

NONE = "—"  # what a missing value reads as, everywhere on the page (never "None"; st.dataframe's placeholder)
TABLE_COLUMNS = ("name", "status", "arch", "dataset", "epochs", "test_acc", "drawn_acc", "created")
PERCENT_COLUMNS = ("test_acc", "drawn_acc")


def created_text(run) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created))


def created_short(run) -> str:
    """Month, day and time: the year is in the selected run's details (keeps the table narrow)."""
    import time

    return time.strftime("%m-%d %H:%M", time.localtime(run.created))


def status_word(status: str, t: Callable[..., str]) -> str:
    """A run state in one or two words (the Train page's "Queued: waiting for a free training slot" is too long)."""
    return t("runs.queued") if status == "queued" else t(f"train.status.{status}")


def runs_table(runs: list, t: Callable[..., str]) -> tuple[Any, dict[str, Any]]:
    """The runs as a table that fits the page (the columns people sort and compare by; the rest is in the selected
    run's details) and its column settings: accuracies as numbers shown in % (so they sort as numbers)."""
    import pandas as pd

    col = {k: t(f"runs.col.{k}") for k in TABLE_COLUMNS}
    rows = [
        {
            col["name"]: r.name,
            col["status"]: status_word(r.status, t),
            col["arch"]: shell.arch_name(r.arch, t) if r.arch else NONE,
            col["dataset"]: r.dataset,
            col["epochs"]: f"{r.epochs_done}/{r.epochs}",
            col["test_acc"]: r.final_metrics.get("test_accuracy"),
            col["drawn_acc"]: r.final_metrics.get("drawn_accuracy"),
            col["created"]: created_short(r),
        }
        for r in runs
    ]
    table = pd.DataFrame(rows, columns=list(col.values()))
    for key in PERCENT_COLUMNS:
        table[col[key]] = pd.to_numeric(table[col[key]], errors="coerce")
    percent = st.column_config.NumberColumn(format="percent")
    return table, {col[key]: percent for key in PERCENT_COLUMNS}


def text(value: Any) -> str:
    """A value for a table cell or a line of details: a missing one reads \"—\"."""
    return NONE if value is None or value == "" else str(value)


def details(run, t: Callable[..., str]) -> None:
    """What the table leaves out: state, settings, timing and why the run ended."""
    cfg = run.config or {}
    fm = run.final_metrics or {}
    facts = [
        (t("runs.col.status"), live.status_badge(run.status, t)),
        (t("runs.col.optimizer"), text(cfg.get("optimizer"))),
        (t("runs.col.lr"), text(cfg.get("learning_rate"))),
        (t("runs.col.batch"), text(cfg.get("batch_size"))),
        (t("runs.col.epochs"), f"{run.epochs_done}/{run.epochs}"),
        (t("runs.col.best_val"), NONE if fm.get("best_val_accuracy") is None else f"{fm['best_val_accuracy']:.1%}"),
        (t("runs.col.test_loss"), NONE if fm.get("test_loss") is None else f"{fm['test_loss']:.3f}"),
        (t("runs.col.duration"), shell.duration(run.duration, t)),
        (t("runs.col.created"), created_text(run)),
    ]
    st.markdown(" · ".join(t("runs.fact", label=label, value=value) for label, value in facts))
    study = studies.study_of(state.store(), run.id)
    if study is not None:  # one entry of a study: its comparison is on Experiments
        links.page_link(st, "experiments", t("runs.in_study", name=study.name), ":material/science:", study=study.id,
                        tab=None if study.kind == "arena" else study.kind)  # the study's own tab (its id is its kind)
    if run.reason_error:
        st.caption(t("runs.ended_because", reason=shell.reason(run.reason_error)))


def size_of(n: int) -> str:
    return f"{n / 2**20:.2f} MB" if n >= 2**20 else f"{n / 1024:.1f} KB"


def _script(run) -> str:
    """The run's training script: every setting of its config, so running it repeats the run."""
    from cnnlab.train.codegen import training_script

    return training_script(run.config, "functional")


def run_downloads(run, store, t: Callable[..., str]) -> None:
    """Model, metrics and script downloads; SavedModel/TFLite exports with sizes; the TensorBoard command."""
    st.markdown(f"**{t('runs.downloads')}**")
    d = st.columns(3)
    try:
        model_path = run_model_path(store, run.id)
    except ModelMissing:
        model_path = None
        d[0].caption(t("runs.no_model"))
    if model_path:
        d[0].download_button(t("runs.dl_model"), model_path.read_bytes(), f"{run.id}.keras", icon=":material/download:")
    d[1].download_button(t("runs.dl_metrics"), metrics_csv(store, run.id), f"{run.id}-metrics.csv", "text/csv",
                         icon=":material/download:")  # fmt: skip
    if run.arch:
        d[2].download_button(t("runs.dl_script"), _script(run), f"{run.id}_train.py", "text/x-python",
                             icon=":material/download:")  # fmt: skip
    if model_path:
        st.markdown(f"**{t('runs.export')}**")
        e = st.columns(2)
        for col, kind, label in (
            (e[0], "savedmodel", "runs.export_savedmodel"),
            (e[1], "tflite", "runs.export_tflite"),
        ):
            with col:
                if st.button(t(label), key=f"export_{kind}") and shell.require("export", t):
                    with st.spinner(t("runs.exporting")):
                        try:
                            exporter = export.export_savedmodel if kind == "savedmodel" else export.export_tflite
                            result = default_service().run_task(exporter.__name__, store, run.id)  # TF: not here
                        except export.ExportError as exc:
                            st.error(t("runs.export_failed", reason=shell.reason(exc)))
                        else:
                            if result.test_accuracy is not None:
                                st.success(
                                    t("runs.tflite_accuracy", lite=result.test_accuracy, keras=result.keras_accuracy)
                                )
                art = store.artifact(run.id, kind)
                if art and art.path.is_file():
                    st.caption(t("runs.export_size", kind=art.path.name, size=size_of(art.path.stat().st_size)))
                    st.download_button(t("runs.dl_export", kind=art.path.name), art.path.read_bytes(), art.path.name,
                                       key=f"dl_{kind}", icon=":material/download:")  # fmt: skip
    logs = store.artifact(run.id, "tensorboard")
    if logs:
        st.caption(t("runs.tensorboard"))
        st.code(f"tensorboard --logdir {shlex.quote(shell.visible_path(logs.path))}", language="bash")
