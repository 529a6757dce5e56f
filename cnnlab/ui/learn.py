"""The Learn page's helpers: the learner, the lesson list, steps with their "Do it" buttons and ticks, questions
with answers computed from the learner's model, and the record of visited pages (app.py calls `note_visit`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

T = Callable[..., str]
NAME_KEY = "learn_name"
TAB_KEYS = {"inspect": "insp_tab"}  # the session key of a page's tabs (a step may open one of them)
# widget values that must outlive a visit to another page (Streamlit drops the state of widgets a run did not draw)
KEPT = ("learn_lesson", NAME_KEY, "sb_input", "sb_kernel", "sb_padding", "sb_stride", "sb_pool", "sb_digit",
        "sb_custom", "sb_row", "sb_col")  # fmt: skip


def restore() -> None:
    """Start of the Learn page: widget values kept from the last visit come back."""
    ss = st.session_state
    for key in KEPT:
        if key not in ss and f"_kept_{key}" in ss:
            ss[key] = ss[f"_kept_{key}"]


def remember() -> None:
    """Keep the Learn page's widget values for the next visit (before leaving, and at the end of each run)."""
    ss = st.session_state
    for key in KEPT:
        if key in ss:
            ss[f"_kept_{key}"] = ss[key]


def learner() -> str:
    """The learner's name (progress is kept under it in the data home)."""
    from cnnlab.learn.progress import safe_name

    ss = st.session_state
    return safe_name(ss[NAME_KEY] if NAME_KEY in ss else ss.get(f"_kept_{NAME_KEY}", ""))


def note_visit(page: str) -> None:
    """Remember that this learner opened `page` (checks like `page_visited: {page: build}`); one write per page
    and session."""
    seen = st.session_state.setdefault("_learn_seen", set())
    name = learner()
    if (name, page) in seen:
        return
    from cnnlab.learn import progress

    progress.visited(name, page)
    seen.add((name, page))


def load_lessons(lang: str):
    """(lessons in `lang`, errors of malformed files); read on every run, so a new lesson file appears at once."""
    from cnnlab.learn.lessons import load_all

    return load_all(lang)


def context(sandbox_settings: dict[str, Any], data: dict[str, Any]):
    """What the checks look at: finished runs, the Build page's spec, the sandbox, the progress file."""
    from cnnlab.learn.checks import Context
    from cnnlab.ui import state

    return Context(runs=state.store().list_runs(), spec=st.session_state.get("arch_spec"), sandbox=sandbox_settings,
                   progress=data, datasets=own_datasets())  # fmt: skip


def own_datasets() -> list[str]:
    """The learner's own datasets (added on the Data page), newest name last."""
    from cnnlab.data.datasets import list_datasets

    return [i.name for i in list_datasets() if i.user and i.available]


def remember_sandbox(settings: dict[str, Any]) -> dict[str, Any] | None:
    """Write the sandbox's settings to the progress file when they changed (checks read them later too)."""
    from cnnlab.learn import progress

    plain = {k: v for k, v in settings.items() if k != "shape"}
    if st.session_state.get("_learn_tried") == (learner(), plain):
        return None
    st.session_state["_learn_tried"] = (learner(), plain)
    return progress.tried(learner(), plain)


def measured(lesson, ctx, t: T) -> None:
    """Lesson 4: the learner's runs of the compared settings side by side, as this machine measured them."""
    from cnnlab import charts
    from cnnlab.learn.compare import measured as measure
    from cnnlab.ui import state

    if not lesson.compare:
        return
    st.subheader(t("learn.measured"))
    rows = measure(ctx.runs, lesson.compare)
    pct = lambda v: f"{v:.1%}" if v is not None else "—"  # noqa: E731
    header = [t(f"learn.m.{k}") for k in ("label", "run", "test", "val", "epochs", "seconds")]
    lines = [header, ["---"] * len(header)]
    for r in rows:
        lines.append([r["label"], (r["name"] or t("learn.m.not_yet")).replace("|", "\\|"), pct(r["test_accuracy"]),
                      pct(r["best_val_accuracy"]), str(r["epochs"] or "—"), str(r["seconds"] or "—")])  # fmt: skip
    st.markdown("\n".join("| " + " | ".join(line) + " |" for line in lines))
    series = {r["label"]: state.store().epoch_table(r["run"].id) for r in rows if r["run"] is not None}
    if len(series) >= 2:
        labels = {"epoch": t("train.epoch"), "val_accuracy": t("runs.metric.val_accuracy")}
        st.plotly_chart(charts.compare_curves(series, "val_accuracy", labels), key="learn_compare", width="stretch")
    st.caption(t("learn.m.caption"))


# ---------------------------------------------------------------- steps and questions


def steps(lesson, ctx, data: dict[str, Any], t: T) -> tuple[int, dict[str, Any] | None]:
    """Each step: its tick, text and "Do it" button; a step whose check now holds is ticked for good. Returns how
    many steps are done and the "Do it" just pressed (the page carries it out: cnnlab.ui.doit)."""
    from cnnlab.learn import checks, progress

    done_count, current, clicked = 0, None, None
    for number, step in enumerate(lesson.steps, start=1):
        done = progress.is_done(data, lesson.id, step.id)
        if not done and checks.passed(step.check, ctx, lesson.id):
            data = progress.tick(learner(), lesson.id, step.id)
            done = True
        done_count += done
        if not done and current is None:
            current = step.id  # the first step still to do is the open one
        icon = ":green[:material/check_circle:]" if done else ":material/radio_button_unchecked:"
        title = f"{icon} {t('learn.step', n=number)} · {t('learn.done') if done else t('learn.todo')}"
        with st.expander(title, expanded=step.id == current):
            st.markdown(step.text)
            if step.script:
                _script(step.script, ctx, t)
            cols = st.columns([2, 2, 3])
            kind = "secondary" if done else "primary"
            label = (step.do or {}).get("label") or t("learn.do_it")
            icon = ":material/play_arrow:"
            if step.do and cols[0].button(label, key=f"do_{lesson.id}_{step.id}", icon=icon, type=kind):
                clicked = step.do
            if not step.check and not done and cols[1].button(t("learn.mark_done"), key=f"mark_{lesson.id}_{step.id}"):
                progress.tick(learner(), lesson.id, step.id)
                st.rerun()
    return done_count, clicked


def _script(script: dict[str, Any], ctx, t: T) -> None:
    """The lines of the learner's newest run's exported training script (the default recipe before any run)."""
    from cnnlab.errors import CnnLabError
    from cnnlab.learn import script as script_lines
    from cnnlab.learn.checks import finished

    run = finished(ctx)
    try:
        rows = script_lines.excerpt(run.config if run else None, script["find"], script["style"])
    except CnnLabError:
        return
    if rows:
        which = t("learn.script_run", run=run.name) if run else t("learn.script_default")
        st.caption(t("learn.script_caption", which=which, style=t(f"build.style.{script['style']}")))
        st.code(script_lines.as_text(rows), language="python", wrap_lines=False)


def questions(lesson, ctx, data: dict[str, Any], lang: str, t: T) -> None:
    """Each question: an answer box; after an answer, right or not, the computed answer and why."""
    from cnnlab.errors import CnnLabError
    from cnnlab.learn import checks, progress

    if not lesson.questions:
        return
    st.subheader(t("learn.questions"))
    for q in lesson.questions:
        qid = f"{lesson.id}/{q.id}"
        with st.container(border=True):
            st.markdown(f"**{q.text}**")
            with st.form(f"q_{lesson.id}_{q.id}", border=False, enter_to_submit=True):
                c = st.columns([3, 1], vertical_alignment="bottom")
                given = c[0].text_input(t("learn.your_answer"), key=f"qa_{lesson.id}_{q.id}")
                sent = c[1].form_submit_button(t("learn.check_answer"), width="stretch")
            if sent and given.strip():
                data = progress.answered(learner(), qid, given.strip())
                st.session_state[f"qs_{qid}"] = given.strip()
                st.rerun()
            shown = st.session_state.get(f"qs_{qid}") or data.get("answered", {}).get(qid)
            if not shown:
                continue
            try:
                values = checks.answer(q.answer, ctx)
            except CnnLabError as exc:
                st.info(exc.message(lang))
                continue
            if checks.same(shown, values["answer"]):
                st.success(t("learn.right", answer=values["shown"]))
            else:
                st.warning(t("learn.not_quite", given=shown, answer=values["shown"]))
            try:
                st.markdown(q.why.format(**values))
            except (KeyError, ValueError, IndexError):
                st.markdown(q.why)
