"""The Train page's live view of one run: its state, progress (rate and ETA when known), the actions its state
allows (Stop, Resume, Restart), the curves and how it ended.

Everything here reads the run store (a few SQLite reads a second); training itself runs in a worker process.

The view always draws the same top-level elements in the same order (`view`), whatever the run's state: the
page polls it as a fragment, and a fragment run whose elements sit at other positions than the previous run's
leaves those (stale) elements on screen until the next full run ends, which showed the charts twice when a run
finished. Actions change the store first, then rerun the whole app, so the Train page, the sidebar and the
polling all see the new state at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnlab import charts
from cnnlab.runs import jobs
from cnnlab.runs import store as rs
from cnnlab.train.config import ConfigError
from cnnlab.train.launch import start_run
from cnnlab.ui import shell, state

T = Callable[..., str]
NOTICE = "_live_notice"  # an action's error, shown once by the next run of the view, after an action's rerun

STATUS_ICONS = {
    rs.QUEUED: ":material/schedule:",
    rs.RUNNING: ":material/autorenew:",
    rs.FINISHED: ":material/check_circle:",
    rs.STOPPED: ":material/stop_circle:",
    rs.FAILED: ":material/error:",
    rs.INTERRUPTED: ":material/warning:",
}
STATUS_COLOURS = {
    rs.QUEUED: "gray",
    rs.RUNNING: "blue",
    rs.FINISHED: "green",
    rs.STOPPED: "orange",
    rs.FAILED: "red",
    rs.INTERRUPTED: "orange",
}


def status_badge(status: str, t: T) -> str:
    """A run state as a coloured Markdown badge with a Material icon (always renders, no emoji font needed)."""
    icon = STATUS_ICONS.get(status, ":material/help:")
    return f":{STATUS_COLOURS.get(status, 'gray')}-badge[{icon} {t(f'train.status.{status}')}]"


def view(run_id: str, t: T) -> None:
    """The whole live view; the same five top-level elements in every state (see the module's docstring)."""
    store = state.store()
    jobs.reconcile(store)
    run = store.get_run(run_id)
    if not run.active and st.session_state.get("_live_was_active") == run.id:
        st.session_state.pop("_live_was_active")
        st.rerun()  # the run ended: one full rerun turns polling off and redraws it all in place
    if run.active:
        st.session_state["_live_was_active"] = run.id
    st.subheader(t("train.live", name=run.name))
    st.markdown(f"{status_badge(run.status, t)} · `{run.id}`")
    with st.container():
        controls(run, store, t)
    curves(run, store, t)
    with st.container():
        outcome(run, t)


# ---------------------------------------------------------------- progress


def progress_text(run: rs.Run, t: T) -> tuple[float, str]:
    """(fraction done, one line): epoch and step, then the rate and the time left only once they are known."""
    p = run.progress or {}
    epochs = p.get("epochs") or run.epochs or 1
    epoch = max(int(p.get("epoch") or 0), 1)
    steps, step = p.get("steps_per_epoch"), int(p.get("step") or 0)
    phase = p.get("phase") or "starting"
    done = min(1.0, max(0.0, ((epoch - 1) + (step / steps if steps else 0)) / max(epochs, 1)))
    if phase in ("starting", "loading") or not steps:
        return done, t("train.phase.loading" if phase == "loading" else "train.phase.starting")
    parts = [t("train.progress.epoch", epoch=epoch, epochs=epochs)]
    if phase in ("validating", "evaluating"):
        return (1.0 if phase == "evaluating" else done), " · ".join([*parts, t(f"train.phase.{phase}")])
    parts.append(t("train.progress.step", step=step, steps=steps))
    if p.get("samples_per_s"):
        parts.append(t("train.progress.rate", rate=f"{p['samples_per_s']:,.0f}"))
    if p.get("eta_s") is not None:
        parts.append(t("train.progress.eta", eta=shell.duration(p["eta_s"], t)))
    return done, " · ".join(parts)


# ---------------------------------------------------------------- actions


def controls(run: rs.Run, store: rs.RunStore, t: T) -> None:
    """What this run's state allows: progress and Stop while it is queued or trains (a notice once a stop was asked
    for), why it ended with Resume and Restart once it stopped or was interrupted, Restart once it failed; and the
    error an action left."""
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.error(notice)
    if run.status == rs.RUNNING:
        fraction, text = progress_text(run, t)
        st.progress(fraction, text=text)
    if not run.active:
        ended_reason(run, t)
    if run.status != rs.FINISHED:
        actions(run, store, t, st.columns([1, 1, 2]))


def ended_reason(run: rs.Run, t: T) -> None:
    """Why a stopped, interrupted or failed run ended, and what Resume and Restart would do."""
    where = dict(done=run.epochs_done, epochs=run.epochs, next=run.epochs_done + 1)
    why = shell.reason(run.reason_error or "?")
    if run.status == rs.FAILED:
        st.error(t("train.failed_reason", reason=why))
    elif run.status == rs.INTERRUPTED:
        st.warning(t("train.interrupted_reason", reason=why) + " " + t("train.resume_hint", **where))
    elif run.status == rs.STOPPED:
        stopped = t("train.stopped_reason" if run.epochs_done else "train.stopped_before", **where)
        st.info(stopped + " " + t("train.resume_hint", **where), icon=":material/stop_circle:")


def actions(run: rs.Run, store: rs.RunStore, t: T, slots: list, *, key: str = "live", then=None) -> None:
    """The buttons this run's state allows, one per slot: Stop (or "Stopping…" once asked) while it is queued or
    trains; Resume and Restart once it stopped or was interrupted; Restart once it failed. After an action the
    whole app reruns (or `then()` runs, e.g. a switch to the Train page after a restart)."""
    if run.active and run.stop_requested:
        st.info(t("train.stopping"), icon=":material/hourglass_top:")
    elif run.active:
        if slots[0].button(t("train.stop"), icon=":material/stop:", key=f"{key}_stop", help=t("train.stop_help")):
            _act("stop", lambda: jobs.stop_run(run.id, store=store), t)
    if run.status in rs.RESUMABLE and slots[0].button(
        t("train.resume"), icon=":material/play_arrow:", key=f"{key}_resume", type="primary", width="stretch",
        help=t("train.resume_help", next=run.epochs_done + 1),
    ):  # fmt: skip
        _act("resume", lambda: (jobs.resume_run(run.id, store=store), state.show_run(run.id)), t)
    if run.status in (*rs.RESUMABLE, rs.FAILED) and slots[1 if run.status in rs.RESUMABLE else 0].button(
        t("train.restart"), icon=":material/replay:", key=f"{key}_restart", width="stretch",
        help=t("train.restart_help"),
    ):  # fmt: skip
        _act("train", lambda: restart(run, store, t), t, then)


def restart(run: rs.Run, store: rs.RunStore, t: T) -> str:
    """A new run with `run`'s settings, named "<name> (again)", put in view; returns its id."""
    new_id = start_run(run.config, name=t("train.again_name", name=run.name), store=store)
    state.show_run(new_id)
    return new_id


def _act(action: str, do: Callable[[], Any], t: T, then: Callable[[], None] | None = None) -> None:
    """Do a presenter action (demo mode asks for the password), then rerun the whole app so every part of it shows
    the new state; a refusal from the engine is shown once, after that rerun (on the page that reruns)."""
    if not shell.require(action, t):
        return
    try:
        do()
    except jobs.JobError as exc:  # e.g. it ended or was resumed meanwhile (another tab)
        st.session_state[NOTICE] = t("runs.action_failed", reason=shell.reason(exc))
        st.rerun()
    except ConfigError as exc:  # a restart whose settings no longer fit (a dataset removed since)
        st.session_state[NOTICE] = t("train.invalid") + "\n\n" + shell.reasons(exc.problems)
        st.rerun()
    (then or st.rerun)()


# ---------------------------------------------------------------- charts and outcome


def batch_points(run: rs.Run, store: rs.RunStore) -> tuple[list[float], list[float], list[float | None]]:
    """The per-batch points as (global step, loss, accuracy)."""
    batches = store.metrics(run.id, scope="batch")
    loss = [m for m in batches if m.name == "loss"]
    acc = {(m.epoch, m.step): m.value for m in batches if m.name == "accuracy"}
    steps_per = (run.progress or {}).get("steps_per_epoch") or max((m.step or 0 for m in loss), default=1) or 1
    x = [(m.epoch - 1) * steps_per + (m.step or 0) for m in loss]
    return x, [m.value for m in loss], [acc.get((m.epoch, m.step)) for m in loss]


def curves(run: rs.Run, store: rs.RunStore, t: T) -> None:
    """Per-batch and per-epoch loss and accuracy, side by side; the epoch that just ended shows at once."""
    labels = {k: t(f"train.{k}") for k in ("loss", "accuracy", "train", "validation", "step", "epoch")}
    p = run.progress or {}
    left, right = st.columns(2)
    with left:
        st.caption(t("train.chart_batches"))
        x, loss, acc = batch_points(run, store)
        fig = charts.batch_curves(x, loss, acc, labels, steps_hint=p.get("steps_per_epoch"), scale=shell.chart_scale())
        st.plotly_chart(fig, key=f"batches_{run.id}", width="stretch")
        if not x and run.active:  # after the chart, so the chart keeps its place
            st.caption(t("train.waiting_points"))
    with right:
        st.caption(t("train.chart_epochs"))
        table = store.epoch_table(run.id)
        if run.active:
            table = charts.with_latest_epoch(table, p.get("epoch_values"))
        fig = charts.epoch_curves(table, labels, epochs=run.epochs, scale=shell.chart_scale())
        st.plotly_chart(fig, key=f"epochs_{run.id}", width="stretch")


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value:.2%}"


def outcome(run: rs.Run, t: T) -> None:
    """A finished run's test figures and the links on (a run that ended otherwise says why above, by its buttons)."""
    if run.status != rs.FINISHED:
        return
    fm = run.final_metrics or {}
    m = st.columns(5 if "drawn_accuracy" in fm else 4)
    m[0].metric(t("train.test_accuracy"), _percent(fm.get("test_accuracy")))
    m[1].metric(t("train.test_loss"), "—" if fm.get("test_loss") is None else f"{fm['test_loss']:.3f}")
    m[2].metric(t("train.best_val"), _percent(fm.get("best_val_accuracy")))
    m[3].metric(t("train.duration"), shell.duration(run.duration, t))
    if "drawn_accuracy" in fm:
        m[4].metric(t("train.drawn_accuracy"), _percent(fm["drawn_accuracy"]), help=t("train.drawn_help"))
    links = st.columns(2)
    state.page_link(links[0], "inspect", t("train.inspect_link"), ":material/visibility:", run=run.id)
    state.page_link(links[1], "predict", t("train.predict_link"), ":material/draw:", run=run.id)
