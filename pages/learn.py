"""Learn: guided lessons (data files in cnnlab/learn/lessons/) that drive the live app, with a convolution sandbox,
steps ticked by what the learner really did, and questions answered from the learner's own model. No TensorFlow."""

import streamlit as st

from cnnlab.learn import progress
from cnnlab.ui import doit, learn, router, shell
from cnnlab.ui import sandbox as sandbox_ui

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
lang = shell.language()
ss = st.session_state
st.title(t("learn.title"))
st.caption(t("learn.tagline"))

learn.restore()  # the lesson, the name and the sandbox as they were before a visit to another page
lessons, errors = learn.load_lessons(lang)
for error in errors:  # a malformed lesson file says where it is wrong; the others still load
    st.warning(error.message(lang), icon=":material/error:")
if not lessons:
    st.info(t("learn.none"))
    shell.stop()

by_id = {lesson.id: lesson for lesson in lessons}
if ss.get("learn_lesson") not in by_id:  # first visit, or a language switch changed the labels
    kept = ss.get("_kept_learn_lesson")
    ss["learn_lesson"] = kept if kept in by_id else lessons[0].id


def lesson_label(lesson_id: str) -> str:  # no progress in it: Streamlit keeps a choice by its label
    return t("learn.lesson_label", n=by_id[lesson_id].order, title=by_id[lesson_id].title)


top = st.columns([3, 1])
top[0].selectbox(t("learn.lesson"), list(by_id), key="learn_lesson", format_func=lesson_label)
top[1].text_input(t("learn.name"), key=learn.NAME_KEY, placeholder=progress.DEFAULT_NAME, help=t("learn.name_help"),
                  max_chars=40)  # fmt: skip
lesson = by_id[ss["learn_lesson"]]
data = progress.load(learn.learner())

st.header(lesson.title, divider="gray")
if lesson.intro:
    st.markdown(lesson.intro)
bar = st.empty()

uses_sandbox = any(step.do and step.do["page"] == "learn" for step in lesson.steps)
settings = sandbox_ui.settings() if uses_sandbox else {}
if uses_sandbox:
    data = learn.remember_sandbox(settings) or data
ctx = learn.context(settings, data)
ctx.compare = lesson.compare
done, clicked = learn.steps(lesson, ctx, data, t)
if clicked:
    doit.do_it(clicked["page"], clicked["params"], t)
bar.progress(done / max(len(lesson.steps), 1), text=t("learn.progress", done=done, total=len(lesson.steps)))

if uses_sandbox:
    with st.container(border=True):
        sandbox_ui.view(t)
learn.measured(lesson, ctx, t)
learn.questions(lesson, ctx, progress.load(learn.learner()), lang, t)

learn.remember()
st.divider()
if st.button(t("learn.start_over"), icon=":material/restart_alt:", help=t("learn.start_over_help")):
    progress.untick(learn.learner(), lesson.id)
    st.rerun()
