"""The Predict page's upload and photo tabs: many images at once through the run's model, and ImageNet photos
through MobileNetV2; each upload counts against the demo quota once."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from cnnlab import demo
from cnnlab.data.images import ImageError
from cnnlab.data.preprocess import NothingToRecognise
from cnnlab.inspection.photos import (
    PHOTO_CLASSES,
    PHOTO_CLASSES_URL,
    PHOTO_WEIGHTS,
    PHOTO_WEIGHTS_URL,
    PhotoClassifier,
    load_photo_classifier,
    photo_status,
)
from cnnlab.inspection.prediction import image_for_model, top_k
from cnnlab.train.drawings import TeachError
from cnnlab.ui import shell, state, uploads, widgets
from cnnlab.ui.predict.common import big, pct
from cnnlab.ui.predict.whatif import whatif

UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp"]


# ---------------------------------------------------------------- uploads and photos


def spend(upload) -> str | None:
    """Count an upload against the demo quota once (reruns see the same file again); the refusal, if any."""
    counted = st.session_state.setdefault("predict_counted", set())
    if upload.file_id in counted:
        return None
    try:
        shell.quota().spend_upload(upload.size)
    except demo.LimitReached as exc:
        return str(exc)
    counted.add(upload.file_id)
    return None


def upload_section(t: Callable[..., str], run_id: str, names: list[str]) -> None:
    """Many images at once: each bad file gets its own error line, the rest are predicted in one batch."""
    files = uploads.uploader(st.file_uploader, t("predict.upload"), type=UPLOAD_TYPES, accept_multiple_files=True,
                             help=t("predict.upload_help"), key="predict_upload", t=t)  # fmt: skip
    if not files:
        st.caption(t("predict.upload_hint"))
        return
    loaded = state.run_model(run_id)
    if loaded is None:
        st.warning(t("predict.no_checkpoint"))
        return
    _, pred = loaded  # served: the files go through the model as one batch
    inputs, labels = [], []
    for f in files:
        if refusal := spend(f):
            st.error(t("predict.quota", name=f.name, reason=shell.reason(refusal)))
            continue
        try:
            inputs.append(image_for_model(f.getvalue(), pred.input_shape, name=f.name))
            labels.append(f.name)
        except NothingToRecognise:
            st.error(t("predict.blank_file", name=f.name))
        except (ImageError, TeachError) as exc:
            st.error(t("predict.bad_file", reason=shell.reason(exc)))
    if not inputs:
        return
    probs = pred.predict(np.stack(inputs))
    gallery([(label, x, top_k(p, names)) for label, x, p in zip(labels, inputs, probs, strict=True)])
    widgets.keep_option("predict_upload_probe", list(range(len(labels))))
    chosen = st.selectbox(t("probe.which_upload"), range(len(labels)), format_func=labels.__getitem__,
                          key="predict_upload_probe", help=t("probe.which_upload_help"))  # fmt: skip
    whatif(t, run_id, inputs[min(chosen, len(inputs) - 1)], names, "predict_upload")


def gallery(items: list[tuple[str, np.ndarray, list[tuple[int, str, float]]]], columns: int = 5) -> None:
    """Thumbnails of what the model saw, each with its file name and top-3 classes."""
    for start in range(0, len(items), columns):
        cols = st.columns(columns)
        for col, (label, x, top) in zip(cols, items[start : start + columns], strict=False):
            col.image(big(x, 112, smooth=x.shape[0] > 112), caption=label)
            col.markdown("  \n".join(f"{'**' if i == 0 else ''}{name}{'**' if i == 0 else ''} · {pct(p)}"
                                     for i, (_, name, p) in enumerate(top)))  # fmt: skip


@st.cache_data(ttl=300, show_spinner=False)
def _online() -> bool:
    from cnnlab.downloads import can_download

    return can_download()  # a network probe (up to 1.5 s): once every few minutes, not on every rerun


@st.cache_resource(show_spinner=False)
def _photo_classifier() -> PhotoClassifier:
    return load_photo_classifier()


def photo_section(t: Callable[..., str]) -> None:
    """ImageNet photos with MobileNetV2 when its weights are cached or downloadable; otherwise how to enable it."""
    st.caption(t("predict.photos_intro"))
    status = photo_status(_online)
    if not status.available:
        urls = {PHOTO_WEIGHTS: PHOTO_WEIGHTS_URL, PHOTO_CLASSES: PHOTO_CLASSES_URL}
        files = "\n".join(f"- `{name}` ← {urls[name]}" for name in status.missing)
        folder = shell.visible_path(status.folder)
        st.info(t("predict.photos_offline", folder=folder) + "\n\n" + files, icon=":material/cloud_off:")
        return
    if not status.cached:
        st.caption(t("predict.photos_download", folder=shell.visible_path(status.folder)))
    files = uploads.uploader(st.file_uploader, t("predict.photos_upload"), type=UPLOAD_TYPES,
                             accept_multiple_files=True, key="predict_photos", t=t)  # fmt: skip
    if not files:
        return
    with st.spinner(t("predict.photos_loading")):
        classifier = _photo_classifier()
    items = []
    for f in files:
        if refusal := spend(f):
            st.error(t("predict.quota", name=f.name, reason=shell.reason(refusal)))
            continue
        try:
            with demo.PREDICTIONS:
                pixels, top = classifier.classify(f.getvalue(), name=f.name)
        except ImageError as exc:
            st.error(t("predict.bad_file", reason=shell.reason(exc)))
            continue
        items.append((f.name, pixels, top))
    gallery(items, columns=4)
