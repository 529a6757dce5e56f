"""Data: samples per class, class balance, pixel statistics, augmentation preview, user datasets."""

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from cnnlab.data.datasets import (
    DEFAULT_DATASET,
    Dataset,
    DatasetUnavailable,
    class_grid,
    dataset_info,
    list_datasets,
    load_dataset,
    pixel_stats,
)
from cnnlab.imaging import enlarge
from cnnlab.ui import router, shell, uploads
from cnnlab.ui import train as train_form

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
st.title(t("data.title"))

infos = list_datasets()
available = [i.name for i in infos if i.available]
current = st.session_state.get("dataset", DEFAULT_DATASET)
name = st.selectbox(t("data.pick"), available, index=available.index(current) if current in available else 0)
st.session_state["dataset"] = name
missing = [i for i in infos if not i.available]
if missing:
    with st.expander(t("data.unavailable")):
        for i in missing:
            st.markdown(f"**{i.name}** — {shell.dataset_problem(i, t)}")


@st.cache_resource(max_entries=3, show_spinner=True)
def dataset(name: str) -> Dataset:
    return load_dataset(name)


@st.cache_data(max_entries=3, show_spinner=False)
def stats_of(name: str) -> dict[str, float]:  # over every training image: a moment on CIFAR-10, so once
    return pixel_stats(dataset(name).x_train)


try:
    ds = dataset(name)
except (DatasetUnavailable, OSError, ValueError, KeyError) as exc:
    st.error(t("data.load_failed", reason=shell.reason(exc)))
    shell.stop()

st.success(t("data.in_use", source=shell.dataset_source(dataset_info(name), t)))
counts = ds.counts()
c = st.columns(4)
c[0].metric(t("data.train"), f"{counts['train']:,}")
c[1].metric(t("data.val"), f"{counts['validation']:,}")
c[2].metric(t("data.test"), f"{counts['test']:,}")
c[3].metric(t("data.shape"), "×".join(map(str, ds.image_shape)))
train_form.few_images_note(counts["train"], ds.num_classes, t, name)

left, right = st.columns([3, 2])
with left:
    st.subheader(t("data.samples"))
    h = ds.image_shape[0] + 2
    grid = class_grid(ds, per_class=12)
    img = px.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, color_continuous_scale="gray", height=560)
    img.update_layout(margin=dict(l=10, r=10, t=10, b=10), coloraxis_showscale=False)
    img.update_xaxes(visible=False)
    img.update_yaxes(tickvals=[i * h + h // 2 for i in range(ds.num_classes)], ticktext=ds.class_names)
    st.plotly_chart(img, width="stretch", key="samples")
with right:
    st.subheader(t("data.counts"))
    per_class = np.bincount(ds.y_train, minlength=ds.num_classes)
    frame = pd.DataFrame({t("data.class_axis"): ds.class_names, t("data.count_axis"): per_class})
    fig = px.bar(frame, x=t("data.class_axis"), y=t("data.count_axis"), height=300)
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=10))
    fig.update_xaxes(type="category")
    st.plotly_chart(fig, width="stretch", key="class_counts")
    st.subheader(t("data.pixels"))
    stats = stats_of(name)
    s = st.columns(4)
    for col, key in zip(s, ("mean", "std", "min", "max"), strict=True):
        col.metric(t(f"data.pixel_{key}"), f"{stats[key]:.1f}")
    values = ds.x_train[:500].ravel()
    hist = px.histogram(x=values, nbins=32, height=220, labels={"x": "0–255"})
    hist.update_layout(margin=dict(l=10, r=10, t=30, b=10), title=t("data.pixel_hist"), showlegend=False)
    st.plotly_chart(hist, width="stretch", key="pixel_hist")

st.subheader(t("data.aug_title"))
st.caption(t("data.aug_help"))
a = st.columns(4)
translation = a[0].slider(t("data.aug_translation"), 0.0, 0.3, 0.1, 0.05)
rotation = a[1].slider(t("data.aug_rotation"), 0.0, 0.3, 0.05, 0.05)
zoom = a[2].slider(t("data.aug_zoom"), 0.0, 0.3, 0.1, 0.05)
flip = a[3].checkbox(t("data.aug_flip"), value=False)
if st.button(t("data.aug_button")):
    from cnnlab.data.augmentation import Augmentation, preview

    with st.spinner(t("data.aug_loading")):
        picks = ds.x_train[:4]
        grid = preview(picks, Augmentation(translation, rotation, zoom, flip), variants=7)
    for original, variants in zip(picks, grid, strict=True):
        strip = np.concatenate([original, *variants], axis=1)
        st.image(enlarge(strip, 3 * strip.shape[1]), caption=t("data.aug_original") + " → …", clamp=True)


def show_rejected(rows: list) -> None:
    pairs = [(r["member"], r["reason"]) if isinstance(r, dict) else r for r in rows]
    frame = pd.DataFrame([(member, shell.reason(why)) for member, why in pairs])
    frame.columns = [t("data.upload_file_col"), t("data.upload_reason_col")]
    st.dataframe(frame, hide_index=True)


st.subheader(t("data.upload_title"))
report = st.session_state.pop("ingest_report", None)
if report:
    shape = "×".join(map(str, report["image_shape"]))
    classes = len(report["per_class"])
    st.success(t("data.upload_ok", name=report["name"], accepted=report["accepted"], classes=classes, shape=shape))
    if report["rejected"]:
        st.warning(t("data.upload_rejected", count=len(report["rejected"])))
        show_rejected(report["rejected"])
with st.form("upload", clear_on_submit=False):
    st.caption(t("data.upload_help"))
    upload = uploads.uploader(st.file_uploader, t("data.upload_file"), type=["zip", "npz"], key="data_upload", t=t)
    new_name = st.text_input(t("data.upload_name"), max_chars=40)
    submitted = st.form_submit_button(t("data.upload_button"))
if submitted and upload is not None and shell.require("add_dataset", t):
    from cnnlab.archives import IngestError
    from cnnlab.data.upload import ingest_upload

    if not new_name.strip():
        st.warning(t("data.upload_need_name"))
        shell.stop()
    try:
        with st.spinner(t("data.upload_progress")):
            kind = "npz" if upload.name.lower().endswith(".npz") else "zip"
            result = ingest_upload(upload.getvalue(), new_name.strip(), kind=kind)
    except IngestError as exc:
        st.error(t("data.upload_failed", reason=shell.reason(exc)))
        if exc.report and exc.report.rejected:
            show_rejected(exc.report.rejected)
    else:
        st.session_state["ingest_report"] = {**result.to_dict(), "rejected": result.rejected}  # reasons by key
        st.session_state["dataset"] = result.name
        st.rerun()
