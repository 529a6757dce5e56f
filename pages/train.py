"""Train: settings with one sentence of help each, a Train button, and the live view of a run."""

import streamlit as st

from cnnlab import charts
from cnnlab.runs import store as rs
from cnnlab.runs.jobs import JobError, reconcile, stop_run
from cnnlab.train.config import ConfigError
from cnnlab.train.launch import start_run
from cnnlab.ui import router, shell, state
from cnnlab.ui import train as train_form

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
st.title(t("train.title"))


with st.expander(t("train.new"), expanded=not state.current_run_id()):
    config, run_name = train_form.settings(t)
    if st.button(t("train.start"), type="primary", icon=":material/play_arrow:", help=t("train.start_help")):
        if shell.require("train", t):
            try:
                run_id = start_run(config, name=run_name, store=state.store())
            except ConfigError as exc:
                st.error(t("train.invalid") + "\n\n" + shell.reasons(exc.problems))
            else:
                st.session_state["dataset"] = config["dataset"]
                state.show_run(run_id)
                st.rerun()

run_id = state.current_run_id()
if not run_id:
    st.info(t("train.no_run"))
    st.stop()
try:
    run = state.store().find_run(run_id)
except rs.RunNotFound:
    st.query_params.pop("run", None)
    st.session_state.pop("run_id", None)
    st.info(t("train.no_run"))
    st.stop()
labels = {k: t(f"train.{k}") for k in ("loss", "accuracy", "train", "validation", "step", "epoch")}


@st.fragment(run_every=1.0 if run.active else None)
def live_view(run_id: str) -> None:
    """Polls the run store (never trains here); stops polling once the run has ended."""
    shell.run_safely(lambda: _live(run_id), t)  # fragment reruns bypass app.py's guard


def _live(run_id: str) -> None:
    store = state.store()
    reconcile(store)
    run = store.get_run(run_id)
    st.subheader(t("train.live", name=run.name))
    p = run.progress or {}
    icon = {"running": "⏳", "queued": "🕒", "finished": "✅", "failed": "❌"}.get(run.status, "⏹️")
    st.markdown(f"{icon} **{t(f'train.status.{run.status}')}** · `{run.id}`")
    if run.active:
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
    batches = store.metrics(run.id, scope="batch")
    left, right = st.columns(2)
    with left:
        st.caption(t("train.chart_batches"))
        loss = [m for m in batches if m.name == "loss"]
        acc = {(m.epoch, m.step): m.value for m in batches if m.name == "accuracy"}
        steps_per = p.get("steps_per_epoch") or 1
        x = [(m.epoch - 1) * steps_per + (m.step or 0) for m in loss]
        fig = charts.batch_curves(x, [m.value for m in loss], [acc.get((m.epoch, m.step)) for m in loss], labels)
        st.plotly_chart(fig, key=f"batches_{run.id}", width="stretch")
        if not loss and run.active:
            st.caption(t("train.waiting_points"))
    with right:
        st.caption(t("train.chart_epochs"))
        st.plotly_chart(charts.epoch_curves(store.epoch_table(run.id), labels), key=f"epochs_{run.id}", width="stretch")
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
    if not run.active and st.session_state.get("_live_was_active") == run.id:
        st.session_state.pop("_live_was_active")
        st.rerun()  # the run ended: one full rerun turns polling off
    if run.active:
        st.session_state["_live_was_active"] = run.id


live_view(run.id)
