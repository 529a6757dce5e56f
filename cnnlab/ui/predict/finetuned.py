"""The Predict page's fine-tuning result ("teach it"): each drawing before and after, what it cost on test and
drawn digits, and keeping or discarding the fine-tuned model."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnlab.inspection.prediction import class_name
from cnnlab.runs import jobs
from cnnlab.runs import store as rs
from cnnlab.train import finetune
from cnnlab.ui import shell, state
from cnnlab.ui.predict.common import thumbs


def keep_or_discard(t: Callable[..., str], tuned: rs.Run, names: list[str]) -> None:
    """A finished fine-tune: what it changed, then use it or throw it away (the drawings stay either way)."""
    before_after(t, tuned, names)
    keep, discard = st.columns(2)
    if keep.button(t("predict.use_finetuned"), icon=":material/swap_horiz:", key="predict_use_tuned"):
        state.show_run(tuned.id)
        st.rerun()
    if discard.button(t("predict.discard_finetuned"), icon=":material/delete:", key="predict_discard_tuned",
                      help=t("predict.discard_help")) and shell.require("delete", t):  # fmt: skip
        jobs.delete_run(tuned.id, store=state.store())
        st.rerun()


def before_after(t: Callable[..., str], tuned: rs.Run, names: list[str]) -> None:
    """Each saved drawing's prediction by the parent model and by the fine-tuned one."""
    pair = finetune.finetune_drawings(tuned)
    before, after = state.run_model(tuned.parent) if tuned.parent else None, state.run_model(tuned.id)
    if pair is None or before is None or after is None:
        return
    x, y = pair[0][:40], pair[1][:40]
    with before[3]:
        pb = before[2].predict(x)
    with after[3]:
        pa = after[2].predict(x)
    rows = finetune.before_after(pb, pa, y)
    st.subheader(t("predict.before_after"))
    st.caption(t("predict.before_after_summary", n=len(rows), before=sum(r.before == r.label for r in rows),
                 after=sum(r.after == r.label for r in rows)))  # fmt: skip
    captions = [
        t("predict.before_after_caption", label=class_name(names, r.label),
          before=class_name(names, r.before), after=class_name(names, r.after))
        + (" ✓" if r.after == r.label else " ✗")
        for r in rows
    ]  # fmt: skip
    thumbs(list(x), captions, per_row=6, side=64)
    _accuracy_change(t, tuned)


def _accuracy_change(t: Callable[..., str], tuned: rs.Run) -> None:
    """What fine-tuning cost or gained on the test digits and on drawn digits, beside the drawings' score."""
    base = state.store().get_run(tuned.parent).final_metrics or {}
    after = tuned.final_metrics or {}

    def pct(m: dict, key: str) -> str:
        return "—" if m.get(key) is None else f"{m[key]:.1%}"

    figures = {f"{kind}_{when}": pct(m, f"{kind}_accuracy") for when, m in (("before", base), ("after", after))
               for kind in ("test", "drawn")}  # fmt: skip
    st.caption(t("predict.finetune_figures", **figures))
    if base.get("test_accuracy") is not None and after.get("test_accuracy") is not None:
        drop = base["test_accuracy"] - after["test_accuracy"]
        if drop > 0.005:
            st.warning(t("predict.finetune_cost", points=f"{drop * 100:.1f}"), icon=":material/warning:")
