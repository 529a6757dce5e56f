"""The Predict page's fine-tuning result ("teach it"): each drawing before and after, what it cost on test and
drawn digits, and keeping or discarding the fine-tuned model; before a drawing is kept, a warning when its label
contradicts both the model and the nearest training images."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from cnnlab.errors import CnnLabError
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
    pb, pa = before[1].predict(x), after[1].predict(x)
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


def label_doubt_for(t: Callable[..., str], run_id: str, x: np.ndarray, probs: np.ndarray, label: int):
    """cnnlab.inspection.neighbours.LabelDoubt for the user's `label`, or None. The nearest training images are
    looked up only when the model is sure of another answer (the training split's features are computed once per
    checkpoint and kept on disk, shared with Inspect's "Nearest training images")."""
    from cnnlab.inspection.neighbours import DOUBT_CONFIDENCE, DOUBT_NEIGHBOURS, label_doubt
    from cnnlab.inspection.probecache import checkpoint_key
    from cnnlab.runs.files import run_dataset, run_model_path, run_split

    if int(np.argmax(probs)) == label or float(np.max(probs)) < DOUBT_CONFIDENCE:
        return None
    loaded = state.run_model(run_id)
    if loaded is None:
        return None
    run, model = loaded
    try:
        ds = run_dataset(run)
        key = checkpoint_key(run_model_path(state.store(), run.id), *run_split(run))
        with st.spinner(t("probe.near_building")):
            index = model.neighbour_index(ds.x_train, ds.y_train, cache_key=key)
            near = model.nearest(x, index, k=DOUBT_NEIGHBOURS)
    except (CnnLabError, OSError):
        return None  # (no warning is the old behaviour; Inspect's tab says what is wrong with the split)
    return label_doubt(probs, label, near.labels)


def warn_doubt(t: Callable[..., str], doubt, names: list[str]) -> None:
    """The evidence in one sentence: the drawing can still be kept (the user may be right)."""
    st.warning(
        t("predict.doubt", label=class_name(names, doubt.label), says=class_name(names, doubt.model_says),
          confidence=doubt.confidence, agree=doubt.neighbours_agree, k=doubt.k),
        icon=":material/help:",
    )  # fmt: skip
