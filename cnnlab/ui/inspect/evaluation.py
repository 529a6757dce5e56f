"""The Inspect page's evaluation tab (metrics, clickable confusion matrix, per-class table, galleries) and its
embeddings tab."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from cnnlab import charts
from cnnlab.inspection import evaluation as evaluation_
from cnnlab.inspection.embeddings import Embedding
from cnnlab.inspection.forward import InspectionError
from cnnlab.ui import shell, widgets
from cnnlab.ui.inspect.common import Subject, T
from cnnlab.ui.inspect.inputs import evaluation, use_index

# ---------------------------------------------------------------- tab: evaluation


def _cell_clicked(k: int) -> None:
    """Confusion-matrix click: the chart's selection names the cell; the two cell pickers follow it."""
    event = st.session_state.get("insp_cm") or {}
    points = (event.get("selection") or {}).get("points") or []
    for point in points:
        custom = point.get("customdata")
        if custom is not None and len(custom) >= 2 and 0 <= int(custom[0]) < k and 0 <= int(custom[1]) < k:
            st.session_state["insp_cm_true"], st.session_state["insp_cm_pred"] = int(custom[0]), int(custom[1])
            return


def gallery(subj: Subject, ev: evaluation_.Evaluation, indices: Sequence[int], t: T, key: str, limit: int = 24,
            columns: int = 6) -> None:  # fmt: skip
    """Test images with true → predicted and the predicted probability; a button sends one to the other tabs."""
    shown = [int(i) for i in list(indices)[:limit]]
    if not shown:
        st.caption(t("inspect.gallery_empty"))
        return
    if len(indices) > limit:
        st.caption(t("inspect.gallery_more", shown=limit, total=len(indices)))
    cols = st.columns(columns)
    for n, i in enumerate(shown):
        true, pred = int(ev.y_true[i]), int(ev.y_pred[i])
        with cols[n % columns]:
            st.image(widgets.picture(subj.dataset.x_test[i], 96))
            mark = ":material/check_circle:" if true == pred else ":material/cancel:"
            st.caption(t("inspect.gallery_item", mark=mark, index=i, true=subj.classes[true], pred=subj.classes[pred],
                         p=float(ev.probabilities[i, pred])))  # fmt: skip
            st.button(t("inspect.use_image"), key=f"{key}_{i}", on_click=use_index, args=(i,),
                      icon=":material/search:")  # fmt: skip


def evaluation_tab(subj: Subject, t: T) -> None:
    ev = evaluation(subj, t)
    k = len(subj.classes)
    m = st.columns(3)
    m[0].metric(t("inspect.accuracy"), f"{ev.overall_accuracy:.1%}")
    m[1].metric(t("inspect.test_images"), f"{len(ev.y_true):,}")
    m[2].metric(t("inspect.mistakes"), f"{ev.misclassified.size:,}")
    off = ev.confusion.copy()
    np.fill_diagonal(off, -1)
    worst = np.unravel_index(int(off.argmax()), off.shape) if k > 1 else (0, 0)
    widgets.keep_option("insp_cm_true", list(range(k)), int(worst[0]))
    widgets.keep_option("insp_cm_pred", list(range(k)), int(worst[1]))
    left, right = st.columns([1, 1], gap="medium")
    with left:
        st.markdown(f"**{t('inspect.cm_title')}**")
        st.caption(t("inspect.cm_help"))
        labels = {"true": t("inspect.true_class"), "predicted": t("inspect.pred_class"), "images": t("inspect.images"),
                  "share": t("inspect.of_class")}  # fmt: skip
        st.plotly_chart(charts.confusion_heatmap(ev.confusion, subj.classes, labels), key="insp_cm",
                        on_select=lambda: _cell_clicked(k), selection_mode="points", width="stretch",
                        config={"displayModeBar": False})  # fmt: skip
    with right:
        a, b = st.columns(2)
        true = a.selectbox(t("inspect.true_class"), range(k), key="insp_cm_true", format_func=lambda i: subj.classes[i])
        pred = b.selectbox(t("inspect.pred_class"), range(k), key="insp_cm_pred", format_func=lambda i: subj.classes[i])
        cell = ev.cell(true, pred)
        title = "inspect.cell_right" if true == pred else "inspect.cell_wrong"
        st.markdown(t(title, true=subj.classes[true], pred=subj.classes[pred], n=cell.size))
        with st.container(key="insp_cell_gallery"):
            gallery(subj, ev, cell, t, "insp_cell", limit=16, columns=4)
    st.markdown(f"**{t('inspect.per_class')}**")
    st.caption(t("inspect.per_class_help"))
    cols = {k2: t(f"inspect.col.{k2}") for k2 in ("name", "support", "precision", "recall", "f1")}
    table = pd.DataFrame([{cols[c]: row[c] for c in cols} for row in ev.per_class()])
    rates = ("precision", "recall", "f1")
    for c in rates:
        table[cols[c]] *= 100.0
    bar = st.column_config.ProgressColumn
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        cols[c]: bar(cols[c], min_value=0.0, max_value=100.0, format="%.1f%%", help=t(f"inspect.col_help.{c}"))
        for c in rates})  # fmt: skip
    st.markdown(f"**{t('inspect.confident_mistakes')}**")
    st.caption(t("inspect.confident_help"))
    gallery(subj, ev, ev.misclassified, t, "insp_worst", limit=16, columns=8)


# ---------------------------------------------------------------- tab: embeddings


@st.cache_resource(max_entries=4, show_spinner=False)
def _embedding(key: str, method: str, n: int, _subj: Subject) -> Embedding:
    return _subj.model.embeddings(_subj.dataset.x_test, method=method, max_points=n)


def embeddings_tab(subj: Subject, t: T) -> None:
    ds = subj.dataset
    top = min(3000, len(ds.y_test))
    if top < 3:
        st.info(t("inspect.emb_few"))
        return
    a, b = st.columns([1, 2])
    method = a.radio(t("inspect.emb_method"), ["tsne", "pca"], key="insp_emb_method", horizontal=True,
                     format_func=lambda m: t(f"inspect.emb.{m}"))  # fmt: skip
    low = min(100, top)
    n = top if low == top else int(b.slider(t("inspect.emb_points"), low, top, value=min(2000, top), key="insp_emb_n"))
    spinner = "inspect.emb_tsne_running" if method == "tsne" else "inspect.emb_running"
    with st.spinner(t(spinner, n=n)):
        try:
            emb = _embedding(subj.key, method, n, subj)
        except InspectionError as exc:
            st.error(t("inspect.cannot", reason=shell.reason(exc)))
            return
    pred = emb.probabilities.argmax(axis=1)
    conf = emb.probabilities.max(axis=1)
    st.caption(t("inspect.emb_help", layer=emb.layer, dims=emb.dimensions, n=n,
                 method=t(f"inspect.emb.{method}")))  # fmt: skip
    labels = {"true": t("inspect.true_class"), "predicted": t("inspect.pred_class"), "image": t("inspect.test_image")}
    left, right = st.columns([3, 2], gap="medium")
    with left:
        event = st.plotly_chart(
            charts.embedding_scatter(emb.coords, ds.y_test[:n], pred, conf, subj.classes, labels), key="insp_emb",
            on_select="rerun", selection_mode=("points", "box", "lasso"), width="stretch",
        )  # fmt: skip
    points = (event.selection.get("points") if event and event.selection else None) or []
    chosen = [int(p["customdata"][0]) for p in points if p.get("customdata") is not None]
    with right:
        if not chosen:
            st.info(t("inspect.emb_pick"))
        elif len(chosen) == 1:  # one point: the image large, with everything the model said about it
            i = chosen[0]
            label = t("inspect.test_label", index=i, name=subj.classes[ds.y_test[i]])
            st.image(widgets.picture(ds.x_test[i], 168), caption=label)
            st.plotly_chart(charts.prediction_bars(emb.probabilities[i], subj.classes, true=int(ds.y_test[i]),
                                                   height=200), key="insp_emb_probs", width="stretch",
                            config={"displayModeBar": False})  # fmt: skip
            st.button(t("inspect.use_image"), key="insp_emb_use", on_click=use_index, args=(i,),
                      icon=":material/search:")  # fmt: skip
        else:
            st.markdown(t("inspect.emb_selected", n=len(chosen)))
            gallery(subj, evaluation(subj, t), chosen, t, "insp_emb_gal", limit=12, columns=4)
