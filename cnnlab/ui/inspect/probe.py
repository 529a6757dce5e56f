"""The Inspect page's probes of one input: the occlusion map (beside Grad-CAM and saliency), receptive fields you
pick or click, and the nearest training images; and `once`, which keeps what a probe computed per checkpoint.

Heavy results (a training split's features, a sweep, filter pictures) are computed once per checkpoint: on disk
through `probecache` for a run's model file (so a second visit or the CLI finds them), and in this server's memory
under the Subject's key (model version + dataset) for every model, uploads included.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from cnnlab import charts
from cnnlab.imaging import enlarge, overlay, to_display
from cnnlab.inspection.forward import PASS_THROUGH
from cnnlab.ui import state, widgets
from cnnlab.ui.inspect.common import Picked, Subject, T, shared

_MEMORY: OrderedDict[str, Any] = OrderedDict()
_MEMORY_LOCK = threading.Lock()
KEEP = 12  # results kept in memory (a training split's features are the largest: ~20 MB for MNIST)
RED = np.array([255, 43, 43], np.uint8)


# ---------------------------------------------------------------- computed once per checkpoint


def disk_key(subj: Subject) -> str | None:
    """probecache's key for a run's model file and split; None for an uploaded model (kept in memory only)."""
    if subj.run is None:
        return None
    from cnnlab.inspection.probecache import checkpoint_key
    from cnnlab.runs.files import ModelMissing, run_model_path, run_split

    try:
        return checkpoint_key(run_model_path(state.store(), subj.run.id), *run_split(subj.run))
    except (ModelMissing, OSError):
        return None


def _memory_key(subj: Subject, kind: str, settings: dict[str, Any]) -> str:
    return json.dumps([subj.key, kind, settings], sort_keys=True, default=str)


def known(subj: Subject, kind: str, settings: dict[str, Any]) -> bool:
    """Whether this server already holds the result (then a page shows it without a button)."""
    with _MEMORY_LOCK:
        return _memory_key(subj, kind, settings) in _MEMORY


def once(subj: Subject, kind: str, settings: dict[str, Any], compute: Callable[[str | None], Any]) -> Any:
    """`compute(disk key or None)`'s result, computed once per model version, dataset, kind and settings."""
    key = _memory_key(subj, kind, settings)
    with _MEMORY_LOCK:
        if key in _MEMORY:
            _MEMORY.move_to_end(key)
            return _MEMORY[key]
    result = compute(disk_key(subj))
    with _MEMORY_LOCK:
        _MEMORY[key] = result
        while len(_MEMORY) > KEEP:
            _MEMORY.popitem(last=False)
    return result


def progress_bar(text: str) -> tuple[Any, Callable[[int, int], None]]:
    """A progress bar and the (done, total) callback the engine calls."""
    bar = st.progress(0.0, text=text)

    def report(done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=f"{text} {done:,}/{total:,}")

    return bar, report


# ---------------------------------------------------------------- occlusion, beside Grad-CAM and saliency


def occlusion_cell(column: Any, subj: Subject, picked: Picked, k: int, t: T, size: int = 200) -> None:
    """Where hiding a 6x6 patch of the image lowers class k's probability most, over the input."""
    found = shared(subj, "occlusion_map", picked.image, k)
    worst = float(found.grid.max())
    column.image(enlarge(overlay(picked.image, found.heat()), size), caption=t("probe.occl_caption", drop=worst))


# ---------------------------------------------------------------- receptive fields


def _boxed(rgb: np.ndarray, box: tuple[int, int, int, int], size: int) -> np.ndarray:
    """An (H, W, 3) picture enlarged to about `size` with a red frame around rows top..bottom x cols left..right."""
    factor = max(1, size // max(rgb.shape[:2]))
    out = enlarge(rgb, size).copy()
    top, left, bottom, right = box
    y0, x0 = top * factor, left * factor
    y1, x1 = (bottom + 1) * factor - 1, (right + 1) * factor - 1
    w = max(1, factor // 4)
    for y in (slice(y0, y0 + w), slice(y1 - w + 1, y1 + 1)):
        out[y, x0 : x1 + 1] = RED
    for x in (slice(x0, x0 + w), slice(x1 - w + 1, x1 + 1)):
        out[y0 : y1 + 1, x] = RED
    return out


def _clicked(chart_key: str, row_key: str, col_key: str) -> None:
    """A click on the feature map: its cell becomes the unit (the sliders follow)."""
    points = (st.session_state.get(chart_key) or {}).get("selection", {}).get("points", [])
    if points:
        st.session_state[row_key], st.session_state[col_key] = int(points[0]["y"]), int(points[0]["x"])


def rf_tab(subj: Subject, picked: Picked, t: T) -> None:
    st.caption(t("probe.rf_help"))
    infos = [i for i in shared(subj, "layer_infos") if i.spatial and i.type not in PASS_THROUGH]
    if not infos:
        st.info(t("probe.rf_none"))
        return
    by_name = {i.name: i for i in infos}
    widgets.keep_option("insp_rf_layer", list(by_name), infos[min(2, len(infos) - 1)].name)
    a, b, c, d = st.columns([3, 2, 2, 2])
    name = a.selectbox(t("inspect.layer"), list(by_name), key="insp_rf_layer", help=t("probe.rf_layer_help"),
                       format_func=lambda n: f"{n} ({by_name[n].type})")  # fmt: skip
    h, w, channels = by_name[name].output_shape
    with b:
        row = widgets.int_slider(t("probe.rf_row"), h - 1, "insp_rf_row", t("probe.rf_row_help"), h // 2)
    with c:
        col = widgets.int_slider(t("probe.rf_col"), w - 1, "insp_rf_col", t("probe.rf_col_help"), w // 2)
    options = [-1, *range(channels)]
    widgets.keep_option("insp_rf_channel", options, -1)
    channel = d.selectbox(t("inspect.channel"), options, key="insp_rf_channel", help=t("probe.rf_channel_help"),
                          format_func=lambda k: t("probe.rf_all") if k < 0 else str(k))  # fmt: skip

    field = subj.model.receptive_field(name, row, col)
    erf = subj.model.effective_receptive_field(picked.image, name, row, col, None if channel < 0 else channel)
    maps = {m.name: m for m in shared(subj, "feature_maps", picked.image)}
    left, mid, right = st.columns(3, gap="medium")
    with left:
        fmap = maps[name].array if name in maps else np.zeros((h, w, channels), np.float32)
        values = fmap.mean(axis=-1) if channel < 0 else fmap[:, :, channel]
        st.plotly_chart(charts.unit_picker(values, row, col, title=t("probe.rf_map", name=name), height=280),
                        key="insp_rf_pick", on_select=lambda: _clicked("insp_rf_pick", "insp_rf_row", "insp_rf_col"),
                        selection_mode="points", width="stretch", config={"displayModeBar": False})  # fmt: skip
        st.caption(t("probe.rf_click"))
    grey = np.asarray(to_display(picked.image))
    rgb = np.repeat(grey[..., None], 3, axis=2) if grey.ndim == 2 else grey
    mid.image(_boxed(rgb, field.box, 260), caption=t("probe.rf_theory", h=field.height, w=field.width))
    peak = float(erf.max())
    heat = erf / peak if peak > 0 else erf
    right.image(_boxed(overlay(picked.image, heat, 0.6), field.box, 260), caption=t("probe.rf_effective"))
    inside = float(erf[field.mask(*erf.shape)].sum() / erf.sum()) if erf.sum() > 0 else 0.0
    st.markdown(t("probe.rf_sentence", name=name, row=row, col=col, top=field.top, bottom=field.bottom,
                  left=field.left, right=field.right, fh=field.size[0], fw=field.size[1], jump=field.jump[0],
                  inside=inside))  # fmt: skip


# ---------------------------------------------------------------- what if (the Predict page's box, on any input)


def whatif_tab(subj: Subject, picked: Picked, t: T) -> None:
    from cnnlab.ui.predict.whatif import whatif_for

    st.caption(t("probe.whatif_help"))
    whatif_for(t, lambda: (None, subj.model), picked.image, subj.classes, "insp",
               title=False)  # fmt: skip


# ---------------------------------------------------------------- nearest training images


def near_tab(subj: Subject, picked: Picked, t: T) -> None:
    st.caption(t("probe.near_help"))
    ds = subj.dataset
    if len(ds.y_train) == 0:
        st.info(t("probe.near_no_train"))
        return
    k = st.slider(t("probe.near_k"), 3, 20, 8, key="insp_near_k", help=t("probe.near_k_help"))
    settings = {"images": len(ds.y_train)}

    def build(key: str | None):
        bar, report = progress_bar(t("probe.near_building"))
        index = subj.model.neighbour_index(ds.x_train, ds.y_train, cache_key=key, progress=report)
        bar.empty()
        return index

    index = once(subj, "neighbours", settings, build)
    near = subj.model.nearest(picked.image, index, k=k)
    predicted = int(picked.probs.argmax())
    same = int((near.labels == predicted).sum())
    sentence = t("probe.near_sentence", name=subj.classes[predicted], same=same, k=len(near.indices), layer=near.layer)
    if picked.true is not None and picked.true != predicted:
        sentence += " " + t("probe.near_true", name=subj.classes[picked.true],
                            same=int((near.labels == picked.true).sum()))  # fmt: skip
    st.markdown(sentence)
    per_row = 10
    for start in range(0, len(near.indices), per_row):
        cols = st.columns(per_row)
        for col, i, label, dist in zip(cols, near.indices[start : start + per_row], near.labels[start:],
                                       near.distances[start:], strict=False):  # fmt: skip
            caption = t("probe.near_item", name=subj.classes[int(label)], d=float(dist), index=int(i))
            col.image(widgets.picture(ds.x_train[int(i)], 96), caption=caption)
