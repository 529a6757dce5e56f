"""Drawing helpers for the Predict page: the canvas, the preprocessing steps, the result, teaching, uploads, photos.

The canvas seam: `canvas_rgba()` is the only place a drawing enters the page. It calls the real
streamlit-drawable-canvas component under the key `canvas_key()` ("predict_canvas_<n>", n grows on Clear).
A component's value lives in st.session_state under its key, in the shape the browser sends
({"drawing": {"raw": <Fabric.js JSON>, "data": "data:image/png;base64,..."}}), so a test injects a drawing by
setting that session-state entry before the run: the component code, the PNG decoding and everything after it
run exactly as for a real stroke.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st
from PIL import Image

from cnnlab import demo, jobs, teach
from cnnlab import store as rs
from cnnlab.images import ImageError
from cnnlab.preprocess import NothingToRecognise, preprocess_steps
from cnnlab.training import ConfigError
from pages import _ui

CANVAS_SIDE = 280  # 10x MNIST: room for a comfortable digit
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp"]
GAP = np.array([38, 42, 52], np.uint8)  # colour between feature-map tiles


# ---------------------------------------------------------------- small image helpers


def big(image: np.ndarray, side: int, smooth: bool = False) -> np.ndarray:
    """A small [0, 1] float or uint8 image scaled so its longer side is `side` pixels (blocky by default)."""
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype != np.uint8:
        arr = (np.clip(np.nan_to_num(arr.astype(np.float32)), 0, 1) * 255 + 0.5).astype(np.uint8)
    h, w = arr.shape[:2]
    k = side / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    method = Image.Resampling.LANCZOS if smooth else Image.Resampling.NEAREST
    return np.asarray(Image.fromarray(arr).resize(size, method))


def square(image: np.ndarray, side: int) -> np.ndarray:
    """`big`, then centred on a black square, so a row of differently shaped steps lines up."""
    scaled = big(image, side, smooth=max(np.shape(image)[:2]) > side)
    out = np.zeros((side, side, *scaled.shape[2:]), np.uint8)
    top, left = (side - scaled.shape[0]) // 2, (side - scaled.shape[1]) // 2
    out[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    return out


def mosaic(tiles: np.ndarray) -> np.ndarray:
    """A tile_channels mosaic (NaN between tiles) as uint8 RGB: grey maps on dark gaps."""
    grey = (np.clip(np.nan_to_num(tiles), 0, 1) * 255 + 0.5).astype(np.uint8)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    rgb[np.isnan(tiles)] = GAP
    return rgb


def pct(p: float) -> str:
    return f"{p:.0%}" if p >= 0.01 else "<1%"


# ---------------------------------------------------------------- choosing the run


def usable_runs() -> list[rs.Run]:
    """Runs with a saved model that are done training (a run still training keeps changing)."""
    return [r for r in _ui.finished_runs() if not r.active]


def pick_run(t: Callable[..., str], runs: list[rs.Run]) -> rs.Run:
    """The run in use (the URL's or session's when usable, else the newest digit model) and a switcher."""
    by_id = {r.id: r for r in runs}
    current = _ui.current_run_id()
    if current not in by_id:
        digits = [r for r in runs if teach.is_digit_model(r.arch.get("input_shape", ()))]
        current = (digits or runs)[0].id
        _ui.show_run(current)
    st.session_state["predict_run"] = current

    def label(run_id: str) -> str:
        r = by_id[run_id]
        acc = r.final_metrics.get("test_accuracy")
        return t("predict.run_option", name=r.name, dataset=r.dataset, acc="—" if acc is None else f"{acc:.1%}")

    st.selectbox(t("predict.run"), list(by_id), key="predict_run", format_func=label, help=t("predict.run_help"),
                 on_change=lambda: _ui.show_run(st.session_state["predict_run"]))  # fmt: skip
    run = by_id[current]
    st.caption(t("predict.using", name=run.name, id=run.id))
    return run


# ---------------------------------------------------------------- watching a run train


def watch(t: Callable[..., str], run_id: str) -> rs.Run | None:
    """Progress of a background run, polled once a second; one full rerun when it ends."""
    try:
        run = _ui.store().get_run(run_id)
    except rs.RunNotFound:
        return None

    @st.fragment(run_every=1.0 if run.active else None)
    def progress() -> None:
        _ui.run_safely(lambda: _progress(t, run_id), t)  # fragment reruns bypass app.py's guard

    progress()
    return run


def _progress(t: Callable[..., str], run_id: str) -> None:
    store = _ui.store()
    jobs.reconcile(store)
    run = store.get_run(run_id)
    flag = f"_predict_watch_{run_id}"
    if run.active:
        st.session_state[flag] = True
        p = run.progress or {}
        epochs, steps = p.get("epochs") or run.epochs or 1, p.get("steps_per_epoch") or 1
        epoch, step = max(p.get("epoch", 1), 1), p.get("step", 0)
        done = min(1.0, ((epoch - 1) + step / steps) / max(epochs, 1))
        text = t("predict.queued") if run.status == rs.QUEUED else t("predict.progress", epoch=epoch, epochs=epochs)
        st.markdown(t("predict.training", name=run.name))
        st.progress(done, text=text)
        _ui.page_link(st, "train", t("predict.train_link"), ":material/model_training:", run=run.id)
        return
    if run.status != rs.FINISHED and not run.best_model:
        st.warning(t("predict.run_failed", reason=_ui.reason(run.reason) if run.reason else run.status))
    if st.session_state.pop(flag, False):
        st.rerun()  # it has just ended: one full rerun shows its model


def no_model(t: Callable[..., str]) -> None:
    """No usable run: watch one that is training, or offer to train the default LeNet-5 recipe."""
    store = _ui.store()
    jobs.reconcile(store)
    pending = st.session_state.get("predict_default_run")
    active = [r.id for r in store.list_runs(rs.ACTIVE)]
    run_id = pending if pending in active else (active[0] if active else None)
    if run_id:
        watch(t, run_id)
        return
    if pending:
        watch(t, pending)  # it ended without a model: say why
    st.info(t("predict.no_model"))
    if st.button(t("predict.train_default"), type="primary", icon=":material/play_arrow:"):
        if _ui.require("train", t):
            from cnnlab.data import DEFAULT_DATASET

            try:
                new = jobs.start_run({"dataset": DEFAULT_DATASET, "arch": "lenet5"},
                                     name=t("predict.default_run_name"), store=store)  # fmt: skip
            except ConfigError as exc:
                st.error(t("predict.invalid") + "\n\n" + _ui.reasons(exc.problems))
                return
            st.session_state["predict_default_run"] = new
            st.rerun()


# ---------------------------------------------------------------- the canvas (the seam) and the drawing result


def canvas_key() -> str:
    return f"predict_canvas_{st.session_state.get('predict_canvas_n', 0)}"


def clear_canvas() -> None:
    st.session_state["predict_canvas_n"] = st.session_state.get("predict_canvas_n", 0) + 1
    st.session_state.pop("predict_label", None)


def canvas_rgba(brush: int) -> np.ndarray | None:
    """The drawing as RGBA pixels (white ink on black), or None while nothing is drawn. See the module docstring."""
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(
        stroke_width=brush, stroke_color="#FFFFFF", background_color="#000000", height=CANVAS_SIDE,
        width=CANVAS_SIDE, drawing_mode="freedraw", update_streamlit=True, return_image_data=True, key=canvas_key(),
    )  # fmt: skip
    objects = (result.json_data or {}).get("objects") or []
    if not objects:
        return None
    return result.image_data


@st.fragment
def draw_section(t: Callable[..., str], run_id: str, names: list[str]) -> None:
    """Canvas and result in one fragment: a stroke reruns only this part of the page."""
    _ui.run_safely(lambda: _draw(t, run_id, names), t)


def _draw(t: Callable[..., str], run_id: str, names: list[str]) -> None:
    left, right = st.columns([1, 2], gap="large")
    with left:
        brush = st.slider(t("predict.brush"), 6, 40, 20, key="predict_brush", help=t("predict.brush_help"))
        rgba = canvas_rgba(brush)
        st.button(t("predict.clear"), icon=":material/delete:", on_click=clear_canvas, key="predict_clear")
        st.caption(t("predict.toolbar_hint"))
    with right:
        if rgba is None:
            st.info(t("predict.empty"), icon=":material/draw:")
            return
        try:
            steps = preprocess_steps(rgba)
        except NothingToRecognise:
            st.warning(t("predict.dot"), icon=":material/blur_on:")
            return
        st.session_state["drawn_digit"] = steps.centred  # for the Inspect page
        st.markdown(f"**{t('predict.steps')}**", help=t("predict.steps_help"))
        cols = st.columns([1, 1, 1, 1, 1.5])
        shown = {"drawn": steps.ink, "cropped": steps.cropped, "scaled": steps.scaled, "centred": steps.centred}
        for col, (key, image) in zip(cols, shown.items(), strict=False):
            col.image(square(image, 96), caption=t(f"predict.step_{key}"))
        explain(t, run_id, steps.centred, names)


def explain(t: Callable[..., str], run_id: str, x: np.ndarray, names: list[str]) -> None:
    """Prediction, confidence, class probabilities, Grad-CAM and the first convolutions' feature maps."""
    from cnnlab.inspection import InspectionError, default_cam_layer, feature_maps, grad_cam, overlay, tile_channels

    loaded = _ui.run_model(run_id)
    if loaded is None:
        st.warning(t("predict.no_checkpoint"))
        return
    _, model, pred, lock = loaded
    try:
        with demo.PREDICTIONS, lock:
            probs = pred.predict_one(x)
            layer = default_cam_layer(model)
            cam = grad_cam(model, x, layer_name=layer)
            convs = [m for m in feature_maps(model, x) if m.type == "Conv2D" and m.parent is None][:2]
    except demo.LimitReached as exc:
        st.warning(t("predict.busy", reason=_ui.reason(exc)))
        return
    except InspectionError:
        cam, convs, layer = None, [], ""
    k = int(probs.argmax())
    a, b = st.columns([1, 3])
    a.metric(t("predict.predicted"), teach.class_name(names, k))
    a.metric(t("predict.confidence"), f"{probs[k]:.1%}")
    with b:
        st.plotly_chart(probability_chart(t, probs, names, k), key="predict_probs", width="stretch",
                        config={"displayModeBar": False})  # fmt: skip
    if probs[k] < 0.5:
        st.caption(t("predict.unsure"))
    c, d = st.columns([1, 2])
    if cam is not None:
        c.markdown(f"**{t('predict.gradcam')}**", help=t("predict.gradcam_help", layer=layer))
        c.image(big(overlay(x, cam), 140))
    with d:
        st.markdown(f"**{t('predict.features')}**")
        if not convs:
            st.caption(t("predict.no_conv"))
        cols = st.columns(max(1, len(convs)))
        for col, maps in zip(cols, convs, strict=False):
            h, w, ch = maps.shape
            col.image(big(mosaic(tile_channels(maps.array)), 200),
                      caption=t("predict.feature_caption", layer=maps.name, channels=ch, h=h, w=w))  # fmt: skip
    teach_this(t, run_id, x, names, k)


def probability_chart(t: Callable[..., str], probs: np.ndarray, names: list[str], k: int):
    import plotly.graph_objects as go

    colours = ["#ff4b4b" if i == k else "#8a94a6" for i in range(len(probs))]
    fig = go.Figure(go.Bar(x=[teach.class_name(names, i) for i in range(len(probs))], y=probs, marker_color=colours,
                           hovertemplate="%{x}: %{y:.1%}<extra></extra>"))  # fmt: skip
    fig.update_layout(
        height=210, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title={"text": t("predict.probabilities"),
        "font": {"size": 14}}, yaxis={"range": [0, 1], "tickformat": ".0%"}, xaxis={"type": "category"},
    )  # fmt: skip
    return fig


# ---------------------------------------------------------------- teaching


def teach_this(t: Callable[..., str], run_id: str, x: np.ndarray, names: list[str], predicted: int) -> None:
    """Wrong? Pick the right label and keep the drawing in the personal dataset."""
    run = _ui.store().get_run(run_id)
    with st.container(border=True):
        st.markdown(f"**{t('predict.teach')}**")
        a, b = st.columns([2, 1], vertical_alignment="bottom")
        label = a.selectbox(
            t("predict.correct_label"), range(len(names)), index=None, key="predict_label",
            format_func=lambda i: teach.class_name(names, i), placeholder=t("predict.choose"),
        )  # fmt: skip
        if b.button(t("predict.add"), icon=":material/add:", disabled=label is None, key="predict_add"):
            try:
                teach.add_drawing(run.dataset, x, int(label), len(names), _ui.store())
            except teach.TeachError as exc:
                st.error(_ui.reason(exc))
                return
            st.session_state["predict_flash"] = t("predict.added", label=teach.class_name(names, int(label)))
            clear_canvas()
            st.rerun()  # the whole page: "My drawings" grows


def my_drawings(t: Callable[..., str], run: rs.Run, names: list[str]) -> None:
    """The personal dataset, removing a drawing, fine-tuning on it, and what fine-tuning changed."""
    store = _ui.store()
    if flash := st.session_state.pop("predict_flash", None):
        st.success(flash, icon=":material/check:")
    drawings = teach.load_drawings(run.dataset, store)
    st.subheader(t("predict.my_drawings", count=len(drawings)), help=t("predict.my_drawings_help", dataset=run.dataset))
    if not len(drawings):
        st.caption(t("predict.no_drawings"))
    else:
        shown = list(range(len(drawings)))[-40:]
        thumbs([drawings.x[i] for i in shown],
               [t("predict.label_caption", index=i + 1, label=teach.class_name(names, int(drawings.y[i])))
                for i in shown])  # fmt: skip
        a, b, c = st.columns([1, 1, 3], vertical_alignment="bottom")
        number = a.number_input(t("predict.remove_index"), 1, len(drawings), len(drawings), key="predict_remove_n")
        if b.button(t("predict.remove"), icon=":material/delete:", key="predict_remove"):
            teach.remove_drawing(run.dataset, int(number) - 1, store)
            st.rerun()
        help_text = t("predict.finetune_help", name=run.name, epochs=teach.FINETUNE_EPOCHS)
        if c.button(t("predict.finetune"), type="primary", icon=":material/school:", help=help_text,
                    key="predict_finetune_go"):  # fmt: skip
            if _ui.require("train", t):
                try:
                    teach.start_finetune(run.id, store, name=t("predict.finetune_name", name=run.name))
                except (teach.TeachError, ConfigError) as exc:
                    st.error(_ui.reason(exc))
                else:
                    st.rerun()
    # the newest fine-tune of this run (started here or in another tab, running or done)
    children = [r.id for r in store.list_runs() if r.parent == run.id and teach.finetune_drawings(r) is not None]
    if children:
        tuned = watch(t, children[0])
        if tuned is not None and tuned.status == rs.FINISHED:
            before_after(t, tuned, names)
            if st.button(t("predict.use_finetuned"), icon=":material/swap_horiz:", key="predict_use_tuned"):
                _ui.show_run(tuned.id)
                st.rerun()
    if teach.finetune_drawings(run) is not None:
        before_after(t, run, names)


def before_after(t: Callable[..., str], tuned: rs.Run, names: list[str]) -> None:
    """Each saved drawing's prediction by the parent model and by the fine-tuned one."""
    pair = teach.finetune_drawings(tuned)
    before, after = _ui.run_model(tuned.parent) if tuned.parent else None, _ui.run_model(tuned.id)
    if pair is None or before is None or after is None:
        return
    x, y = pair[0][:40], pair[1][:40]
    with before[3]:
        pb = before[2].predict(x)
    with after[3]:
        pa = after[2].predict(x)
    rows = teach.before_after(pb, pa, y)
    st.subheader(t("predict.before_after"))
    st.caption(t("predict.before_after_summary", n=len(rows), before=sum(r.before == r.label for r in rows),
                 after=sum(r.after == r.label for r in rows)))  # fmt: skip
    captions = [
        t("predict.before_after_caption", label=teach.class_name(names, r.label),
          before=teach.class_name(names, r.before), after=teach.class_name(names, r.after))
        + (" ✅" if r.after == r.label else " ❌")
        for r in rows
    ]  # fmt: skip
    thumbs(list(x), captions, per_row=6, side=64)


def thumbs(images: list[np.ndarray], captions: list[str], per_row: int = 10, side: int = 56) -> None:
    """A grid of small images, each with its caption (a row of st.columns keeps them apart)."""
    for start in range(0, len(images), per_row):
        cols = st.columns(per_row)
        for col, image, caption in zip(cols, images[start : start + per_row], captions[start : start + per_row],
                                       strict=False):  # fmt: skip
            col.image(big(image, side), caption=caption)


# ---------------------------------------------------------------- uploads and photos


def _spend(upload) -> str | None:
    """Count an upload against the demo quota once (reruns see the same file again); the refusal, if any."""
    counted = st.session_state.setdefault("predict_counted", set())
    if upload.file_id in counted:
        return None
    try:
        _ui.quota().spend_upload(upload.size)
    except demo.LimitReached as exc:
        return str(exc)
    counted.add(upload.file_id)
    return None


def upload_section(t: Callable[..., str], run_id: str, names: list[str]) -> None:
    """Many images at once: each bad file gets its own error line, the rest are predicted in one batch."""
    files = st.file_uploader(t("predict.upload"), type=UPLOAD_TYPES, accept_multiple_files=True,
                             help=t("predict.upload_help"), key="predict_upload")  # fmt: skip
    if not files:
        st.caption(t("predict.upload_hint"))
        return
    loaded = _ui.run_model(run_id)
    if loaded is None:
        st.warning(t("predict.no_checkpoint"))
        return
    _, _, pred, lock = loaded
    inputs, labels = [], []
    for f in files:
        if refusal := _spend(f):
            st.error(t("predict.quota", name=f.name, reason=_ui.reason(refusal)))
            continue
        try:
            inputs.append(teach.image_for_model(f.getvalue(), pred.input_shape, name=f.name))
            labels.append(f.name)
        except NothingToRecognise:
            st.error(t("predict.blank_file", name=f.name))
        except (ImageError, teach.TeachError) as exc:
            st.error(t("predict.bad_file", reason=_ui.reason(exc)))
    if not inputs:
        return
    with demo.PREDICTIONS, lock:
        probs = pred.predict(np.stack(inputs))
    gallery([(label, x, teach.top_k(p, names)) for label, x, p in zip(labels, inputs, probs, strict=True)])


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
    from cnnlab.data import can_download

    return can_download()  # a network probe (up to 1.5 s): once every few minutes, not on every rerun


@st.cache_resource(show_spinner=False)
def _photo_classifier() -> teach.PhotoClassifier:
    return teach.load_photo_classifier()


def photo_section(t: Callable[..., str]) -> None:
    """ImageNet photos with MobileNetV2 when its weights are cached or downloadable; otherwise how to enable it."""
    st.caption(t("predict.photos_intro"))
    status = teach.photo_status(_online)
    if not status.available:
        urls = {teach.PHOTO_WEIGHTS: teach.PHOTO_WEIGHTS_URL, teach.PHOTO_CLASSES: teach.PHOTO_CLASSES_URL}
        files = "\n".join(f"- `{name}` ← {urls[name]}" for name in status.missing)
        st.info(t("predict.photos_offline", folder=status.folder) + "\n\n" + files, icon=":material/cloud_off:")
        return
    if not status.cached:
        st.caption(t("predict.photos_download", folder=status.folder))
    files = st.file_uploader(t("predict.photos_upload"), type=UPLOAD_TYPES, accept_multiple_files=True,
                             key="predict_photos")  # fmt: skip
    if not files:
        return
    with st.spinner(t("predict.photos_loading")):
        classifier = _photo_classifier()
    items = []
    for f in files:
        if refusal := _spend(f):
            st.error(t("predict.quota", name=f.name, reason=_ui.reason(refusal)))
            continue
        try:
            with demo.PREDICTIONS:
                pixels, top = classifier.classify(f.getvalue(), name=f.name)
        except ImageError as exc:
            st.error(t("predict.bad_file", reason=_ui.reason(exc)))
            continue
        items.append((f.name, pixels, top))
    gallery(items, columns=4)
