"""The Inspect page's top: which model and dataset are in view (a run or an uploaded model file), the cached
evaluation on the test split, and the input picker whose image the per-input tabs explain."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import streamlit as st

from cnnlab import charts
from cnnlab.data import datasets as data
from cnnlab.inspection import evaluation as evaluation_
from cnnlab.inspection.forward import as_batch
from cnnlab.ui import shell, state, uploads, widgets
from cnnlab.ui.inspect.common import Picked, Subject, T

MODES = ("class", "index", "random", "mistake", "drawn", "upload")


# ---------------------------------------------------------------- what is in view


@st.cache_resource(max_entries=3, show_spinner=False)
def _dataset(name: str, seed: int, val_fraction: float) -> data.Dataset:
    return data.load_dataset(name, seed=seed, val_fraction=val_fraction)


def _load_dataset(name: str, seed: int, val_fraction: float, t: T) -> data.Dataset | None:
    try:
        with st.spinner(t("inspect.loading_data", name=name)):
            return _dataset(name, int(seed), float(val_fraction))
    except (data.DatasetUnavailable, KeyError, OSError, ValueError) as exc:
        st.error(t("inspect.data_failed", name=name, reason=shell.reason(exc)))
        return None


def _fits(model_shape: tuple[int, ...], ds: data.Dataset, classes: int, t: T) -> bool:
    if tuple(model_shape) != tuple(ds.image_shape) or classes != ds.num_classes:
        st.error(t("inspect.mismatch", model="×".join(map(str, model_shape)), classes=classes,
                   data="×".join(map(str, ds.image_shape)), data_classes=ds.num_classes))  # fmt: skip
        return False
    return True


def run_subject(run_id: str, t: T) -> Subject | None:
    """The run's saved model (best checkpoint) on its own test split, reloaded exactly as it was trained."""
    from cnnlab.runs.files import run_model_path

    with st.spinner(t("inspect.loading_model")):
        loaded = state.run_model(run_id)
    if loaded is None:
        st.info(t("inspect.no_model_yet"))
        return None
    run, model = loaded
    ds = _load_dataset(run.dataset, run.seed, run.config.get("val_fraction", 0.1), t)
    if ds is None or not _fits(model.input_shape, ds, model.info.classes, t):
        return None
    version = run_model_path(state.store(), run.id).stat().st_mtime_ns
    return Subject(f"run:{run.id}:{version}", run.name, model, ds, run)


@st.cache_resource(max_entries=2, show_spinner=False)
def _uploaded_model(sha256: str, _payload: bytes):
    """A user's model file, screened in a capped child and its clean copy served (loaded with safe_mode=True) by
    the model service, once per content hash (never kept in session_state): (handle, ModelCheck)."""
    from cnnlab.inspection.service import serve_model_file

    return serve_model_file(_payload, sha256)


def _charged(file: Any, key: str, t: T) -> bytes | None:
    """An uploaded file's bytes, charged to the visitor's upload quota once per file (remembered under `key`);
    None when there is no file, or (with a message) when the demo limit is reached."""
    from cnnlab import demo

    if file is None:
        return None
    payload = file.getvalue()
    if st.session_state.get(key) != file.file_id:
        try:
            shell.quota().spend_upload(len(payload))
        except demo.LimitReached as exc:
            st.error(t("demo.limit", reason=shell.reason(exc)))
            return None
        st.session_state[key] = file.file_id
    return payload


def upload_subject(t: T) -> Subject | None:
    """The model-file uploader (.keras / .h5, demo-locked) and the dataset to inspect that model on."""
    from cnnlab.modelfiles import ModelFileError

    if not shell.require("upload_model", t):
        return None
    st.caption(t("inspect.upload_help"))
    file = uploads.uploader(st.file_uploader, t("inspect.upload_label"), type=["keras", "h5"], key="insp_model_file",
                            t=t)  # fmt: skip
    payload = _charged(file, "insp_model_charged", t)
    if payload is None:
        return None
    sha = hashlib.sha256(payload).hexdigest()
    try:
        with st.spinner(t("inspect.upload_checking")):
            model, check = _uploaded_model(sha, payload)
    except ModelFileError as exc:
        st.error(t("inspect.upload_refused", name=file.name, reason=shell.reason(exc)))
        return None
    shape, classes = tuple(model.input_shape), int(check.output_shape[-1] or 0)
    st.success(t("inspect.upload_ok", name=file.name, params=f"{check.params:,}", layers=check.layers,
                 shape="×".join(map(str, shape)), classes=classes))  # fmt: skip
    fitting = [i.name for i in data.list_datasets()
               if i.available and tuple(i.image_shape) == shape and len(i.class_names) == classes]  # fmt: skip
    if not fitting:
        st.warning(t("inspect.upload_no_dataset", shape="×".join(map(str, shape)), classes=classes))
        return None
    widgets.keep_option("insp_upload_ds", fitting)
    name = st.selectbox(t("inspect.upload_dataset"), fitting, key="insp_upload_ds", help=t("inspect.upload_ds_help"))
    ds = _load_dataset(name, 0, 0.1, t)
    if ds is None:
        return None
    return Subject(f"upload:{sha}:{name}", file.name, model, ds)


@st.cache_resource(max_entries=4, show_spinner=False)
def _evaluation(key: str, _subj: Subject) -> evaluation_.Evaluation:
    ds = _subj.dataset
    return _subj.model.evaluate(ds.x_test, ds.y_test, ds.class_names)


def evaluation(subj: Subject, t: T) -> evaluation_.Evaluation:
    with st.spinner(t("inspect.evaluating", n=len(subj.dataset.y_test))):
        return _evaluation(subj.key, subj)


# ---------------------------------------------------------------- the input picker


def use_index(index: int) -> None:
    """Gallery button: explain this test image in the other tabs."""
    st.session_state["insp_mode"] = "index"
    st.session_state["insp_idx"] = int(index)


def _reroll(n: int) -> None:
    st.session_state["insp_rand"] = int(np.random.default_rng().integers(n))


def _drawn_ok(subj: Subject) -> bool:
    drawn = st.session_state.get("drawn_digit")
    return drawn is not None and np.shape(drawn) == (28, 28) and tuple(subj.dataset.image_shape) == (28, 28, 1)


def _test_image(subj: Subject, index: int, t: T) -> tuple[np.ndarray, int, str]:
    ds = subj.dataset
    true = int(ds.y_test[index])
    return ds.x_test[index], true, t("inspect.test_label", index=index, name=subj.classes[true])


def _uploaded_image(subj: Subject, t: T) -> tuple[np.ndarray, None, str] | None:
    from cnnlab.data.images import ImageError, decode_upload
    from cnnlab.data.preprocess import NothingToRecognise, canvas_to_mnist

    h, w, c = subj.dataset.image_shape
    file = uploads.uploader(st.file_uploader, t("inspect.image_label"), type=["png", "jpg", "jpeg", "gif", "bmp",
                            "webp"], key="insp_image", help=t("inspect.image_help"), t=t)  # fmt: skip
    mnist_like = (h, w, c) == (28, 28, 1)
    mnistify = mnist_like and st.checkbox(t("inspect.mnistify"), value=True, key="insp_mnistify",
                                          help=t("inspect.mnistify_help"))  # fmt: skip
    payload = _charged(file, "insp_image_charged", t)
    if payload is None:
        return None
    try:
        if mnistify:
            image = canvas_to_mnist(decode_upload(payload, mode="L", name=file.name))[..., None]
        else:
            image = decode_upload(payload, mode="L" if c == 1 else "RGB", size=(w, h), name=file.name)
    except ImageError as exc:
        st.error(t("inspect.image_refused", reason=shell.reason(exc)))
        return None
    except NothingToRecognise:
        st.warning(t("inspect.image_empty"))
        return None
    return image, None, t("inspect.upload_label_short", name=file.name)


def pick_input(subj: Subject, t: T) -> Picked | None:
    """Test image by class / index / at random, a misclassified one, the Predict page's drawing, or an upload."""
    n = len(subj.dataset.y_test)
    if n == 0:
        st.warning(t("inspect.no_test"))
        return None
    modes = [m for m in MODES if m != "drawn" or _drawn_ok(subj)]
    widgets.keep_option("insp_mode", modes, "class")
    left, mid, right = st.columns([5, 3, 5], gap="medium")
    with left:
        mode = st.radio(t("inspect.input"), modes, format_func=lambda m: t(f"inspect.mode.{m}"), key="insp_mode",
                        horizontal=True)  # fmt: skip
        picked = _PICKERS[mode](subj, t)
    if picked is None:
        return None
    image, true, label = picked
    x = as_batch(image)[0]
    probs = subj.model.predict_one(x)
    with mid:
        st.image(widgets.picture(x, 196), caption=label)
    with right:
        top = int(probs.argmax())
        verdict = "verdict" if true is None else "verdict_right" if top == true else "verdict_wrong"
        st.markdown(t(f"inspect.{verdict}", pred=subj.classes[top], p=float(probs[top]),
                      true=subj.classes[true] if true is not None else ""))  # fmt: skip
        st.plotly_chart(charts.prediction_bars(probs, subj.classes, true=true, height=200), key="insp_probs",
                        width="stretch", config={"displayModeBar": False})  # fmt: skip
    return Picked(x, probs, true, label)


Chosen = tuple[np.ndarray, int | None, str] | None  # (image, true class or None, caption)


def _by_class(subj: Subject, t: T) -> Chosen:
    ds = subj.dataset
    widgets.keep_option("insp_cls", list(range(ds.num_classes)), int(ds.y_test[0]))
    cls = st.selectbox(t("inspect.class"), range(ds.num_classes), key="insp_cls", format_func=lambda k: subj.classes[k])
    members = np.flatnonzero(ds.y_test == cls)
    if members.size == 0:
        st.info(t("inspect.class_empty"))
        return None
    k = widgets.int_slider(t("inspect.example", count=members.size), members.size - 1, "insp_nth")
    return _test_image(subj, int(members[k]), t)


def _by_index(subj: Subject, t: T) -> Chosen:
    n = len(subj.dataset.y_test)
    st.session_state["insp_idx"] = min(int(st.session_state.get("insp_idx", 0)), n - 1)
    return _test_image(subj, int(st.number_input(t("inspect.index", n=n), 0, n - 1, key="insp_idx")), t)


def _at_random(subj: Subject, t: T) -> Chosen:
    n = len(subj.dataset.y_test)
    if not 0 <= st.session_state.get("insp_rand", -1) < n:
        _reroll(n)
    st.button(t("inspect.reroll"), icon=":material/casino:", on_click=_reroll, args=(n,))
    return _test_image(subj, st.session_state["insp_rand"], t)


def _a_mistake(subj: Subject, t: T) -> Chosen:
    ev = evaluation(subj, t)
    wrong = ev.misclassified
    if wrong.size == 0:
        st.success(t("inspect.no_mistakes"))
        return None
    widgets.keep_option("insp_mistake", [int(i) for i in wrong])
    i = st.selectbox(t("inspect.mistake", count=wrong.size), [int(i) for i in wrong], key="insp_mistake",
                     format_func=lambda i: t("inspect.mistake_item", index=i, true=subj.classes[ev.y_true[i]],
                     pred=subj.classes[ev.y_pred[i]], p=ev.probabilities[i, ev.y_pred[i]]))  # fmt: skip
    return _test_image(subj, i, t)


def _the_drawing(subj: Subject, t: T) -> Chosen:
    drawn = np.asarray(st.session_state["drawn_digit"], np.float32)[..., None]
    return drawn, None, t("inspect.drawn_label")


_PICKERS = {
    "class": _by_class,
    "index": _by_index,
    "random": _at_random,
    "mistake": _a_mistake,
    "drawn": _the_drawing,
    "upload": _uploaded_image,
}
