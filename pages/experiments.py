"""Experiments: studies of many runs (an arena trains several architectures alike and compares them; a sweep; a
learning curve trains one recipe on growing subsets, with and without augmentation), and the quantization lab (one
run as TensorFlow Lite float32, dynamic-range and int8)."""

import streamlit as st

from cnnlab.runs import jobs, studies
from cnnlab.ui import curvelab, linked, quantlab, router, shell, state, sweeplab
from cnnlab.ui import experiments as exp

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
st.title(t("experiments.title"))
st.caption(t("exp.intro"))

arena_tab, sweep_tab, curve_tab, quant_tab = linked.tabs(  # by id (?tab=quant): a language switch, a reload keep it
    "experiments", "exp_tab", ["arena", "sweep", "curve", "quant"],
    [f":material/stadium: {t('exp.tab_arena')}", f":material/tune: {t('exp.tab_sweep')}",
     f":material/show_chart: {t('curve.tab')}", f":material/compress: {t('quant.tab')}"],
)  # fmt: skip
with quant_tab:
    shell.run_safely(lambda: quantlab.section(t), t)


def study_live(study_id: str) -> None:
    """Polls the run store while the study's runs train (the workers write it; nothing trains here)."""
    jobs.reconcile(state.store())  # the next queued entry starts when one ends
    shell.run_safely(lambda: exp.study_view(studies.get_study(state.store(), study_id), t), t)


with arena_tab:
    arenas = [s for s in studies.list_studies(state.store()) if s.kind == "arena"]
    with st.expander(t("exp.new_arena"), expanded=not arenas):
        started = exp.arena_form(t)
        if started:
            st.session_state["exp_study"] = started
            st.rerun()
    jobs.reconcile(state.store())
    chosen = exp.study_choice([s for s in studies.list_studies(state.store()) if s.kind == "arena"], t)
    if chosen is None:
        st.info(t("exp.none"))
    else:
        runs = [state.store().get_run(r.run_id) for r in chosen.runs]
        running = studies.study_state(runs, chosen.status) == "running"
        st.fragment(study_live, run_every=1.0 if running else None)(chosen.id)
with sweep_tab:  # after the arena's: while it is open, its study is the one ?study= carries
    shell.run_safely(lambda: sweeplab.section(t), t)
with curve_tab:  # the data budget and augmentation lab (cnnlab/ui/curvelab.py); the same for ?study=
    shell.run_safely(lambda: curvelab.section(t), t)
