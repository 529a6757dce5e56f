"""Experiments' quantization lab: one finished run as TensorFlow Lite float32, dynamic-range and int8, measured by
running each (cnnlab.quantization); the result is kept per checkpoint, so a reload shows it without TensorFlow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from cnnlab import quantization as quant
from cnnlab.errors import CnnLabError
from cnnlab.inspection.service import default_service
from cnnlab.studycharts import confusion_change, weights_before_after
from cnnlab.ui import shell, state, widgets

T = Callable[..., str]


def section(t: T) -> None:
    """Pick a run, measure it (a progress bar: three conversions), then the table, the changes and the weights."""
    st.caption(t("quant.intro"))
    runs = [r for r in state.finished_runs() if not r.active]
    if not runs:
        st.info(t("quant.no_runs"), icon=":material/info:")
        return
    ids = [r.id for r in runs]
    by_id = {r.id: r for r in runs}
    widgets.keep_option("quant_run", ids, state.current_run_id() if state.current_run_id() in ids else ids[0])
    run_id = st.selectbox(t("quant.run"), ids, key="quant_run",
                          format_func=lambda i: f"{by_id[i].name} · {by_id[i].id}")  # fmt: skip
    result = quant.stored_result(state.store(), run_id)
    if result is None:
        if not st.button(t("quant.go"), type="primary", icon=":material/compress:", key="quant_go"):
            return
        result = _measure(run_id, t)
        if result is None:
            return
    _show(result, t)


def _measure(run_id: str, t: T) -> dict[str, Any] | None:
    bar = st.progress(0.0, text=t("quant.working", done=0, total=len(quant.MODES)))

    def report(done: int, total: int) -> None:
        bar.progress(done / total, text=t("quant.working", done=done, total=total))

    try:
        result = default_service().run_task("quantize_run", state.store(), run_id, progress=report)  # TF: not here
    except CnnLabError as exc:
        bar.empty()
        st.warning(shell.reason(exc))
        return None
    bar.empty()
    return result


def _show(result: dict[str, Any], t: T) -> None:
    variants = {v["mode"]: v for v in result["variants"]}
    base, int8 = variants["float32"], variants["int8"]
    st.markdown(t("quant.summary", smaller=base["size_bytes"] / int8["size_bytes"],
                  change=100 * (int8["test_accuracy"] - base["test_accuracy"]), n=result["n_test"]))  # fmt: skip
    rows = [{
        t("quant.col.mode"): t(f"quant.mode.{v['mode']}"),
        t("quant.col.size"): f"{v['size_bytes'] / 1024:,.1f} KB",
        t("quant.col.smaller"): f"{base['size_bytes'] / v['size_bytes']:.1f}×",
        t("quant.col.accuracy"): f"{v['test_accuracy']:.2%}",
        t("quant.col.change"): f"{100 * (v['test_accuracy'] - base['test_accuracy']):+.1f}",
        t("quant.col.latency"): f"{v['latency_ms']:.3f} ms",
    } for v in result["variants"]]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('quant.changes')}**", help=t("quant.changes_help"))
        if int8["confusion"] == base["confusion"]:  # an all-white map says nothing at a glance: a sentence does
            st.success(t("quant.no_change", n=result["n_test"]), icon=":material/check_circle:")
        else:
            labels = {"true": t("quant.true"), "predicted": t("quant.predicted")}
            st.plotly_chart(confusion_change(int8["confusion"], base["confusion"], result["class_names"], labels),
                            width="stretch", key="quant_confusion")  # fmt: skip
    with right:
        w = result.get("weights")
        if w:
            st.markdown(f"**{t('quant.weights', layer=w['layer'])}**", help=t("quant.weights_help"))
            labels = {"float32": t("quant.mode.float32"), "int8": t("quant.mode.int8"), "value": t("quant.value"),
                      "count": t("quant.count")}  # fmt: skip
            st.plotly_chart(weights_before_after(w, labels), width="stretch", key="quant_weights")
            st.caption(t("quant.weights_caption", before=w["distinct_float32"], after=w["distinct_int8"],
                         error=w["max_abs_error"]))  # fmt: skip
