"""The Predict page's drawing tab: the canvas, the preprocessing steps, the result, teaching, "My drawings".

The canvas seam: `canvas_drawing()` is the only place a drawing enters the page. It shows CNN Lab's own canvas
component (cnnlab/ui/predict/canvas/) under the key `canvas_key()` ("predict_canvas_<n>", n grows when a drawing
is saved). The component sends the canvas while a stroke goes on (at most every 250 ms) and once more when the
pen is lifted; its value lives in st.session_state under its key, in the shape the browser sends
({"drawing": {"png": "data:image/png;base64,...", "final": bool, "strokes": n}}), so a test draws by setting that
entry before the run: the component call, the PNG decoding and everything after it run as for a real stroke.
While a stroke goes on only the cheap parts run (the steps and the probabilities); Grad-CAM, the feature maps
and teaching follow when the drawing is finished.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from cnnlab import demo
from cnnlab.data.images import ImageError
from cnnlab.data.preprocess import NothingToRecognise, PreprocessSteps, preprocess_steps
from cnnlab.imaging import shift_averaged
from cnnlab.inspection.prediction import class_name
from cnnlab.runs import store as rs
from cnnlab.train import drawings as drawings_
from cnnlab.train import finetune
from cnnlab.train.config import ConfigError
from cnnlab.ui import shell, state
from cnnlab.ui.predict.canvas import Drawing, draw_canvas
from cnnlab.ui.predict.common import big, mosaic, square, thumbs, watch, with_gap
from cnnlab.ui.predict.finetuned import before_after, keep_or_discard, label_doubt_for, warn_doubt
from cnnlab.ui.predict.whatif import whatif

CANVAS_SIDE = 280  # 10x MNIST: room for a comfortable digit


# ---------------------------------------------------------------- the canvas (the seam) and the drawing result


def canvas_key() -> str:
    return f"predict_canvas_{st.session_state.get('predict_canvas_n', 0)}"


def clear_canvas() -> None:
    """A fresh, empty canvas (a new key) and no label chosen for it yet."""
    st.session_state["predict_canvas_n"] = st.session_state.get("predict_canvas_n", 0) + 1
    st.session_state.pop("predict_label", None)


def canvas_drawing(t: Callable[..., str], side: int = CANVAS_SIDE) -> Drawing:
    """The canvas, and what is drawn on it. See the module docstring."""
    labels = {"canvas": t("predict.canvas"), "brush": t("predict.brush"), "brush_help": t("predict.brush_help"),
              "undo": t("predict.undo"), "clear": t("predict.clear")}  # fmt: skip
    return draw_canvas(canvas_key(), side, labels)


@st.fragment
def draw_section(t: Callable[..., str], run_id: str, names: list[str], side: int = CANVAS_SIDE) -> None:
    """Canvas and result in one fragment: a stroke reruns only this part of the page."""
    shell.run_safely(lambda: _draw(t, run_id, names, side), t)


def _draw(t: Callable[..., str], run_id: str, names: list[str], side: int) -> None:
    left, right = st.columns([side / CANVAS_SIDE, 2 if side <= CANVAS_SIDE else 1.2], gap="large")  # 448 px fits
    with left:
        try:
            drawing = canvas_drawing(t, side)
        except ImageError as exc:
            st.error(t("predict.bad_file", reason=shell.reason(exc)))
            return
        st.caption(t("predict.toolbar_hint"))
        shifts = shift_switch(t, run_id)
    with right:
        if drawing.rgba is None:
            st.info(t("predict.empty"), icon=":material/draw:")
            return
        try:
            steps = preprocess_steps(drawing.rgba)
        except NothingToRecognise:
            st.warning(t("predict.dot"), icon=":material/blur_on:")
            return
        if drawing.final:
            st.session_state["drawn_digit"] = steps.centred  # for the Inspect page
        show_steps(t, steps, {"drawn": steps.ink})
        explain(t, run_id, steps.centred, names, final=drawing.final, shifts=shifts)
    if drawing.final:
        whatif(t, run_id, steps.centred, names, "predict")  # the page's full width, below the canvas


SHIFT_GAIN = 0.003  # switched on by itself when averaging gained at least 0.3 points on the run's drawn digits


def shift_switch(t: Callable[..., str], run_id: str) -> bool:
    """Averaging over 1-pixel shifts, offered where the run measured that it pays on drawn digits (the switch says
    the gain and what it costs a drawing); False where it was not measured or does not pay."""
    fm = state.store().get_run(run_id).final_metrics or {}
    plain, shifted = fm.get("drawn_accuracy"), fm.get("drawn_accuracy_shifted")
    if plain is None or shifted is None or shifted <= plain:
        return False
    cost = max(0.0, (fm.get("latency_shifted_ms") or 0.0) - (fm.get("latency_ms") or 0.0))
    return st.toggle(
        t("predict.shifts", gain=100 * (shifted - plain), ms=cost), value=shifted - plain >= SHIFT_GAIN,
        key=f"predict_shifts_{run_id}", help=t("predict.shifts_help", plain=plain, shifted=shifted),
    )  # fmt: skip


def show_steps(t: Callable[..., str], steps: PreprocessSteps, first: dict[str, np.ndarray], help_key: str = "") -> None:
    """The images on the way to the model: `first` (caption key -> image), then cropped, 20x20, centred 28x28."""
    st.markdown(f"**{t('predict.steps')}**", help=t(help_key or "predict.steps_help"))
    shown = {**first, "cropped": steps.cropped, "scaled": steps.scaled, "centred": steps.centred}
    # one element for the row (a class drawing at once: every element of a rerun costs the server a message)
    st.image([with_gap(square(image, 96)) for image in shown.values()],
             caption=[t(f"predict.step_{k}") for k in shown], width=108)  # fmt: skip


def explain(t: Callable[..., str], run_id: str, x: np.ndarray, names: list[str], *, final: bool = True,
            key: str = "predict", teach: bool = True, shifts: bool = False) -> None:  # fmt: skip
    """Prediction, confidence and class probabilities (`shifts`: averaged over 1-pixel shifts of `x`); when the
    drawing is `final`, also Grad-CAM, the first convolutions' feature maps and (`teach`) the teaching box. `key`
    keeps two tabs' charts apart."""
    from cnnlab.inspection.forward import InspectionError

    loaded = state.run_model(run_id)
    if loaded is None:
        st.warning(t("predict.no_checkpoint"))
        return
    _, model = loaded  # served: visitors' drawings that arrive together are predicted as one batch
    probs = shift_averaged(model.predict, x[None])[0] if shifts else model.predict_one(x)
    k = int(probs.argmax())
    a, b = st.columns([1, 3])
    a.metric(t("predict.predicted"), class_name(names, k))
    a.metric(t("predict.confidence"), f"{probs[k]:.1%}")
    with b:
        st.plotly_chart(probability_chart(t, probs, names, k), key=f"{key}_probs", width="stretch",
                        config={"displayModeBar": False})  # fmt: skip
    if probs[k] < 0.5:
        st.caption(t("predict.unsure"))
    if not final:  # Grad-CAM and feature maps once the pen is lifted, not on every stroke
        st.caption(t("predict.lift_pen"), help=t("predict.lift_pen_help"))
        return
    try:
        with demo.PREDICTIONS:
            seen = model.what_it_saw(x)
    except InspectionError:
        seen = (None, [], "")
    except demo.LimitReached as exc:
        st.warning(t("predict.busy", reason=shell.reason(exc)))
        return
    show_what_it_saw(t, x, *seen)
    if teach:
        teach_this(t, run_id, x, names, probs)


def show_what_it_saw(t: Callable[..., str], x: np.ndarray, cam: np.ndarray | None, convs: list, layer: str) -> None:
    from cnnlab.imaging import overlay, tile_channels

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


def probability_chart(t: Callable[..., str], probs: np.ndarray, names: list[str], k: int):
    import plotly.graph_objects as go

    colours = ["#ff4b4b" if i == k else "#8a94a6" for i in range(len(probs))]
    fig = go.Figure(go.Bar(x=[class_name(names, i) for i in range(len(probs))], y=probs, marker_color=colours,
                           hovertemplate="%{x}: %{y:.1%}<extra></extra>"))  # fmt: skip
    fig.update_layout(
        height=210, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title={"text": t("predict.probabilities"),
        "font": {"size": 14}}, yaxis={"range": [0, 1], "tickformat": ".0%"}, xaxis={"type": "category"},
    )  # fmt: skip
    return fig


# ---------------------------------------------------------------- teaching


def teach_this(t: Callable[..., str], run_id: str, x: np.ndarray, names: list[str], probs: np.ndarray) -> None:
    """Wrong? Pick the right label and keep the drawing in the personal dataset (with a warning first when the
    label contradicts both the model and the nearest training images)."""
    run = state.store().get_run(run_id)
    with st.container(border=True):
        st.markdown(f"**{t('predict.teach')}**")
        a, b = st.columns([2, 1], vertical_alignment="bottom")
        label = a.selectbox(
            t("predict.correct_label"), range(len(names)), index=None, key="predict_label",
            format_func=lambda i: class_name(names, i), placeholder=t("predict.choose"),
        )  # fmt: skip
        doubt = None if label is None else label_doubt_for(t, run_id, x, probs, int(label))
        if doubt is not None:
            warn_doubt(t, doubt, names)
        if b.button(t("predict.add"), icon=":material/add:", disabled=label is None, key="predict_add"):
            if not shell.require("add_drawing", t):
                return
            try:
                drawings_.add_drawing(run.dataset, x, int(label), len(names), state.store())
            except drawings_.TeachError as exc:
                st.error(shell.reason(exc))
                return
            st.session_state["predict_flash"] = t("predict.added", label=class_name(names, int(label)))
            clear_canvas()
            st.rerun()  # the whole page: "My drawings" grows


def my_drawings(t: Callable[..., str], run: rs.Run, names: list[str]) -> None:
    """The personal dataset, removing a drawing, fine-tuning on it, and what fine-tuning changed."""
    store = state.store()
    if flash := st.session_state.pop("predict_flash", None):
        st.success(flash, icon=":material/check:")
    drawings = drawings_.load_drawings(run.dataset, store)
    st.subheader(t("predict.my_drawings", count=len(drawings)), help=t("predict.my_drawings_help", dataset=run.dataset))
    if not len(drawings):
        st.caption(t("predict.no_drawings"))
    else:
        shown = list(range(len(drawings)))[-40:]
        thumbs([drawings.x[i] for i in shown],
               [t("predict.label_caption", index=i + 1, label=class_name(names, int(drawings.y[i])))
                for i in shown])  # fmt: skip
        a, b, c = st.columns([1, 1, 3], vertical_alignment="bottom")
        number = a.number_input(t("predict.remove_index"), 1, len(drawings), len(drawings), key="predict_remove_n")
        if b.button(t("predict.remove"), icon=":material/delete:", key="predict_remove") and shell.require(
            "remove_drawing", t
        ):
            drawings_.remove_drawing(run.dataset, int(number) - 1, store)
            st.rerun()
        help_text = t("predict.finetune_help", name=run.name, epochs=finetune.FINETUNE_EPOCHS)
        if c.button(t("predict.finetune"), type="primary", icon=":material/school:", help=help_text,
                    key="predict_finetune_go"):  # fmt: skip
            if shell.require("train", t):
                try:
                    finetune.start_finetune(run.id, store, name=t("predict.finetune_name", name=run.name))
                except (drawings_.TeachError, ConfigError) as exc:
                    st.error(shell.reason(exc))
                else:
                    st.rerun()
    # the newest fine-tune of this run (started here or in another tab, running or done)
    children = [r.id for r in store.list_runs() if r.parent == run.id and finetune.finetune_drawings(r) is not None]
    if children:
        tuned = watch(t, children[0])
        if tuned is not None and tuned.status == rs.FINISHED:
            keep_or_discard(t, tuned, names)
    if finetune.finetune_drawings(run) is not None:
        before_after(t, run, names)
