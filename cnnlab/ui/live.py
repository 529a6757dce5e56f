"""The Train page's live view of one run: its state, progress with rate and ETA, the curves and how it ended.

Everything here reads the run store (a few SQLite reads a second); training itself runs in a worker process.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnlab import charts
from cnnlab.runs import store as rs
from cnnlab.runs.jobs import JobError, stop_run
from cnnlab.ui import shell, state

T = Callable[..., str]


def status_line(run: rs.Run, t: T) -> None:
    icon = {"running": "⏳", "queued": "🕒", "finished": "✅", "failed": "❌"}.get(run.status, "⏹️")
    st.markdown(f"{icon} **{t(f'train.status.{run.status}')}** · `{run.id}`")


def progress(run: rs.Run, store: rs.RunStore, t: T) -> None:
    """The progress bar (epoch, step, rate, ETA) and the Stop button of an active run."""
    p = run.progress or {}
    epochs, steps = p.get("epochs") or run.epochs, p.get("steps_per_epoch") or 1
    epoch, step = max(p.get("epoch", 1), 1), p.get("step", 0)
    done = min(1.0, ((epoch - 1) + step / steps) / max(epochs, 1))
    phase = p.get("phase", "train")
    text = t(f"train.phase.{phase}") if phase in ("loading", "validating", "evaluating") else t(
        "train.progress", epoch=epoch, epochs=epochs, step=step, steps=steps,
        rate=f"{p.get('samples_per_s') or 0:,.0f}", eta=shell.duration(p.get("eta_s"), t))  # fmt: skip
    st.progress(done, text=text)
    if run.status == rs.RUNNING and st.button(t("train.stop"), icon=":material/stop:", key="stop"):
        if shell.require("stop", t):
            try:
                stop_run(run.id, store=store)
            except JobError as exc:  # it ended meanwhile
                st.error(t("runs.action_failed", reason=shell.reason(exc)))
            else:
                st.toast(t("train.stopping"))


def curves(run: rs.Run, store: rs.RunStore, t: T) -> None:
    """Per-batch and per-epoch loss and accuracy, side by side."""
    labels = {k: t(f"train.{k}") for k in ("loss", "accuracy", "train", "validation", "step", "epoch")}
    batches = store.metrics(run.id, scope="batch")
    left, right = st.columns(2)
    with left:
        st.caption(t("train.chart_batches"))
        loss = [m for m in batches if m.name == "loss"]
        acc = {(m.epoch, m.step): m.value for m in batches if m.name == "accuracy"}
        steps_per = (run.progress or {}).get("steps_per_epoch") or 1
        x = [(m.epoch - 1) * steps_per + (m.step or 0) for m in loss]
        fig = charts.batch_curves(x, [m.value for m in loss], [acc.get((m.epoch, m.step)) for m in loss], labels)
        st.plotly_chart(fig, key=f"batches_{run.id}", width="stretch")
        if not loss and run.active:
            st.caption(t("train.waiting_points"))
    with right:
        st.caption(t("train.chart_epochs"))
        st.plotly_chart(charts.epoch_curves(store.epoch_table(run.id), labels), key=f"epochs_{run.id}", width="stretch")


def outcome(run: rs.Run, t: T) -> None:
    """A finished run's test figures and links on; a failed or interrupted run's reason."""
    if run.status == rs.FINISHED:
        fm = run.final_metrics or {}
        m = st.columns(4)
        m[0].metric(t("train.test_accuracy"), f"{fm.get('test_accuracy', float('nan')):.2%}")
        m[1].metric(t("train.test_loss"), f"{fm.get('test_loss', float('nan')):.3f}")
        m[2].metric(t("train.best_val"), f"{fm.get('best_val_accuracy', float('nan')):.2%}")
        m[3].metric(t("train.duration"), shell.duration(run.duration, t))
        links = st.columns(2)
        state.page_link(links[0], "inspect", t("train.inspect_link"), ":material/visibility:", run=run.id)
        state.page_link(links[1], "predict", t("train.predict_link"), ":material/draw:", run=run.id)
    elif run.status == rs.FAILED:
        st.error(t("train.failed_reason", reason=shell.reason(run.reason_error or "?")))
    elif run.status == rs.INTERRUPTED:
        st.warning(t("train.interrupted_reason", reason=shell.reason(run.reason_error or "?")))
