"""The Predict page's webcam tab: a photo of a handwritten digit (dark ink on light paper, any light) through the
same MNIST steps as a drawing, with the lighting evened out first; other models get the photo resized."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnlab import demo
from cnnlab.data.images import ImageError, decode_upload
from cnnlab.data.preprocess import NothingToRecognise, photo_steps
from cnnlab.inspection.prediction import image_for_model, top_k
from cnnlab.train.drawings import TeachError, is_digit_model
from cnnlab.ui import shell, state, uploads
from cnnlab.ui.predict.draw import explain, show_steps
from cnnlab.ui.predict.upload import gallery, spend
from cnnlab.ui.predict.whatif import whatif


def webcam_section(t: Callable[..., str], run_id: str, names: list[str]) -> None:
    """The camera on the left, like the canvas; what the model reads in the photo and predicts on the right."""
    st.caption(t("predict.webcam_intro"))
    left, right = st.columns([1, 2], gap="large")
    with left:
        photo = uploads.uploader(st.camera_input, t("predict.webcam_take"), key="predict_webcam",
                                 help=t("predict.webcam_help"), t=t)  # fmt: skip
    with right:
        if photo is None:
            st.info(t("predict.webcam_hint"), icon=":material/photo_camera:")
            return
        shell.run_safely(lambda: classify_photo(t, run_id, photo, names), t)


def classify_photo(t: Callable[..., str], run_id: str, photo, names: list[str]) -> None:
    """One photo from the camera, counted against the demo quota once; every refusal is one sentence."""
    if refusal := spend(photo):
        st.error(t("predict.quota", name=t("predict.webcam_photo"), reason=shell.reason(refusal)))
        return
    loaded = state.run_model(run_id)
    if loaded is None:
        st.warning(t("predict.no_checkpoint"))
        return
    try:
        if is_digit_model(loaded[1].input_shape):
            digit_photo(t, run_id, photo.getvalue(), names)
        else:
            other_photo(t, run_id, photo.getvalue(), names)
    except ImageError as exc:
        st.error(t("predict.bad_file", reason=shell.reason(exc)))
    except NothingToRecognise:
        st.warning(t("predict.webcam_blank"), icon=":material/blur_on:")
    except demo.LimitReached as exc:
        st.warning(t("predict.busy", reason=shell.reason(exc)))


def digit_photo(t: Callable[..., str], run_id: str, data: bytes, names: list[str]) -> None:
    """MNIST's steps (lighting evened out first), the prediction, Grad-CAM and feature maps."""
    pixels = decode_upload(data, mode="L", name=t("predict.webcam_photo"))
    steps = photo_steps(pixels)
    show_steps(t, steps, {"photo": pixels, "ink": steps.ink}, help_key="predict.webcam_steps_help")
    explain(t, run_id, steps.centred, names, key="predict_webcam", teach=False)
    whatif(t, run_id, steps.centred, names, "predict_webcam")


def other_photo(t: Callable[..., str], run_id: str, data: bytes, names: list[str]) -> None:
    """A model that does not read digits: the photo resized to its input, and its three most likely classes."""
    _, pred = state.run_model(run_id)
    try:
        x = image_for_model(data, pred.input_shape, name=t("predict.webcam_photo"))
    except TeachError as exc:
        st.error(t("predict.bad_file", reason=shell.reason(exc)))
        return
    probs = pred.predict_one(x)
    gallery([(t("predict.webcam_photo"), x, top_k(probs, names))], columns=3)
