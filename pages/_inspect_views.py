"""The Inspect page's pieces: which model and data are in view, the input picker, and one function per tab.

Everything heavy is computed by `cnnlab.inspection` under the model's lock and cached with st.cache_resource
(keyed by the model file's version or sha256); st.session_state only holds small choices (indices, names).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnlab import charts, data, inspection
from pages import _ui

T = Callable[..., str]
MODES = ("class", "index", "random", "mistake", "drawn", "upload")


@dataclass
class Subject:
    """The model in view and the dataset whose test split it is inspected on."""

    key: str  # names this model version + dataset in caches
    title: str
    model: Any
    predictor: Any
    lock: Any
    dataset: data.Dataset
    run: Any = None  # the store's Run, or None for an uploaded model

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.dataset.class_names]


@dataclass
class Picked:
    """The one input image the tabs explain."""

    image: np.ndarray  # (H, W, C) float32 in [0, 1]
    probs: np.ndarray
    true: int | None
    label: str


# ---------------------------------------------------------------- small widget helpers


def _keep(key: str, options: Sequence[Any], default: Any = None) -> None:
    """Drop a stored widget value that is no longer an option (another model, another dataset)."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    if key not in st.session_state and default is not None:
        st.session_state[key] = default


def keep_tab(key: str, catalogue_keys: Sequence[str], t: T) -> None:
    """st.tabs remembers the open tab by its label; after a language switch, map it to the same tab's new label."""
    from cnnlab.i18n import LANGUAGES
    from cnnlab.i18n import t as translate

    stored = st.session_state.get(key)
    for k in catalogue_keys:
        if stored in {translate(k, lang) for lang in LANGUAGES}:
            st.session_state[key] = t(k)
            return


def _int(label: str, high: int, key: str, help: str | None = None, default: int = 0) -> int:
    """A 0..high slider that copes with high == 0 (no choice to make) and with a stale stored value."""
    if high <= 0:
        return 0
    if key in st.session_state and not 0 <= int(st.session_state[key]) <= high:
        del st.session_state[key]
    return int(st.slider(label, 0, high, value=None if key in st.session_state else min(default, high), key=key,
                         help=help))  # fmt: skip


def _picture(image: np.ndarray, size: int) -> np.ndarray:
    return inspection.enlarge(inspection.to_display(image), size)


def _tiles_rgb(tiles: np.ndarray, columns: int, cell: int = 40, width: int = 1000) -> np.ndarray:
    """Filter tiles in [0, 1] (0.5 = zero weight) as one crisp RGB mosaic, each tile enlarged (nearest neighbour) to
    about `cell` pixels, white gaps between them, at most about `width` pixels wide; colour tiles stay as they are."""
    rgb = tiles if tiles.ndim == 4 and tiles.shape[-1] == 3 else inspection.diverging(tiles) / 255.0
    h = max(rgb.shape[1], rgb.shape[2])
    gap = 6 if cell >= 48 else 4
    fit = (width - gap * columns) // max(columns * h, 1)
    factor = max(1, min(cell // max(h, 1), fit))
    big = rgb.repeat(factor, axis=1).repeat(factor, axis=2)
    grid = inspection.mosaic(big, columns=columns, gap=gap, fill=1.0)
    return (np.clip(grid, 0, 1) * 255 + 0.5).astype(np.uint8)


# ---------------------------------------------------------------- what is in view


@st.cache_resource(max_entries=3, show_spinner=False)
def _dataset(name: str, seed: int, val_fraction: float) -> data.Dataset:
    return data.load_dataset(name, seed=seed, val_fraction=val_fraction)


def _load_dataset(name: str, seed: int, val_fraction: float, t: T) -> data.Dataset | None:
    try:
        with st.spinner(t("inspect.loading_data", name=name)):
            return _dataset(name, int(seed), float(val_fraction))
    except (data.DatasetUnavailable, KeyError, OSError, ValueError) as exc:
        st.error(t("inspect.data_failed", name=name, reason=_ui.reason(exc)))
        return None


def _fits(model_shape: tuple[int, ...], ds: data.Dataset, classes: int, t: T) -> bool:
    if tuple(model_shape) != tuple(ds.image_shape) or classes != ds.num_classes:
        st.error(t("inspect.mismatch", model="×".join(map(str, model_shape)), classes=classes,
                   data="×".join(map(str, ds.image_shape)), data_classes=ds.num_classes))  # fmt: skip
        return False
    return True


def run_subject(run_id: str, t: T) -> Subject | None:
    """The run's saved model (best checkpoint) on its own test split, reloaded exactly as it was trained."""
    from cnnlab.export import run_model_path

    with st.spinner(t("inspect.loading_model")):
        loaded = _ui.run_model(run_id)
    if loaded is None:
        st.info(t("inspect.no_model_yet"))
        return None
    run, model, pred, lock = loaded
    ds = _load_dataset(run.dataset, run.seed, run.config.get("val_fraction", 0.1), t)
    if ds is None or not _fits(pred.input_shape, ds, int(model.outputs[0].shape[-1]), t):
        return None
    version = run_model_path(_ui.store(), run.id).stat().st_mtime_ns
    return Subject(f"run:{run.id}:{version}", run.name, model, pred, lock, ds, run)


@st.cache_resource(max_entries=2, show_spinner=False)
def _uploaded_model(sha256: str, _payload: bytes):
    """A user's model file, checked and loaded once per content hash (never kept in session_state)."""
    from cnnlab.modelfiles import load_model_file

    model, check = load_model_file(_payload)
    return model, check, inspection.predictor(model), threading.Lock()


def _charged(file: Any, key: str, t: T) -> bytes | None:
    """An uploaded file's bytes, charged to the visitor's upload quota once per file (remembered under `key`);
    None when there is no file, or (with a message) when the demo limit is reached."""
    from cnnlab import demo

    if file is None:
        return None
    payload = file.getvalue()
    if st.session_state.get(key) != file.file_id:
        try:
            _ui.quota().spend_upload(len(payload))
        except demo.LimitReached as exc:
            st.error(t("demo.limit", reason=_ui.reason(exc)))
            return None
        st.session_state[key] = file.file_id
    return payload


def upload_subject(t: T) -> Subject | None:
    """The model-file uploader (.keras / .h5, demo-locked) and the dataset to inspect that model on."""
    from cnnlab.modelfiles import ModelFileError

    if not _ui.require("upload_model", t):
        return None
    st.caption(t("inspect.upload_help"))
    file = st.file_uploader(t("inspect.upload_label"), type=["keras", "h5"], key="insp_model_file")
    payload = _charged(file, "insp_model_charged", t)
    if payload is None:
        return None
    sha = hashlib.sha256(payload).hexdigest()
    try:
        with st.spinner(t("inspect.upload_checking")):
            model, check, pred, lock = _uploaded_model(sha, payload)
    except ModelFileError as exc:
        st.error(t("inspect.upload_refused", name=file.name, reason=_ui.reason(exc)))
        return None
    shape, classes = tuple(pred.input_shape), int(check.output_shape[-1] or 0)
    st.success(t("inspect.upload_ok", name=file.name, params=f"{check.params:,}", layers=check.layers,
                 shape="×".join(map(str, shape)), classes=classes))  # fmt: skip
    fitting = [i.name for i in data.list_datasets()
               if i.available and tuple(i.image_shape) == shape and len(i.class_names) == classes]  # fmt: skip
    if not fitting:
        st.warning(t("inspect.upload_no_dataset", shape="×".join(map(str, shape)), classes=classes))
        return None
    _keep("insp_upload_ds", fitting)
    name = st.selectbox(t("inspect.upload_dataset"), fitting, key="insp_upload_ds", help=t("inspect.upload_ds_help"))
    ds = _load_dataset(name, 0, 0.1, t)
    if ds is None:
        return None
    return Subject(f"upload:{sha}:{name}", file.name, model, pred, lock, ds)


@st.cache_resource(max_entries=4, show_spinner=False)
def _evaluation(key: str, _subj: Subject) -> inspection.Evaluation:
    ds = _subj.dataset
    with _subj.lock:
        return inspection.evaluate(_subj.model, ds.x_test, ds.y_test, ds.class_names)


def safely(draw: Callable[[], None], t: T) -> None:
    """Run one tab: a request the model cannot answer is one sentence in that tab, anything else is `run_safely`'s."""

    def guarded() -> None:
        try:
            draw()
        except inspection.InspectionError as exc:
            st.error(t("inspect.cannot", reason=_ui.reason(exc)))

    _ui.run_safely(guarded, t)


def evaluation(subj: Subject, t: T) -> inspection.Evaluation:
    with st.spinner(t("inspect.evaluating", n=len(subj.dataset.y_test))):
        return _evaluation(subj.key, subj)


# ---------------------------------------------------------------- the input picker


def _use_index(index: int) -> None:
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
    from cnnlab.images import ImageError, load_image
    from cnnlab.preprocess import NothingToRecognise, canvas_to_mnist

    h, w, c = subj.dataset.image_shape
    file = st.file_uploader(t("inspect.image_label"), type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
                            key="insp_image", help=t("inspect.image_help"))  # fmt: skip
    mnist_like = (h, w, c) == (28, 28, 1)
    mnistify = mnist_like and st.checkbox(t("inspect.mnistify"), value=True, key="insp_mnistify",
                                          help=t("inspect.mnistify_help"))  # fmt: skip
    payload = _charged(file, "insp_image_charged", t)
    if payload is None:
        return None
    try:
        if mnistify:
            image = canvas_to_mnist(load_image(payload, mode="L", name=file.name))[..., None]
        else:
            image = load_image(payload, mode="L" if c == 1 else "RGB", size=(w, h), name=file.name)
    except ImageError as exc:
        st.error(t("inspect.image_refused", reason=_ui.reason(exc)))
        return None
    except NothingToRecognise:
        st.warning(t("inspect.image_empty"))
        return None
    return image, None, t("inspect.upload_label_short", name=file.name)


def pick_input(subj: Subject, t: T) -> Picked | None:
    """Test image by class / index / at random, a misclassified one, the Predict page's drawing, or an upload."""
    ds = subj.dataset
    n = len(ds.y_test)
    if n == 0:
        st.warning(t("inspect.no_test"))
        return None
    modes = [m for m in MODES if m != "drawn" or _drawn_ok(subj)]
    _keep("insp_mode", modes, "class")
    left, mid, right = st.columns([5, 3, 5], gap="medium")
    picked = None
    with left:
        mode = st.radio(t("inspect.input"), modes, format_func=lambda m: t(f"inspect.mode.{m}"), key="insp_mode",
                        horizontal=True)  # fmt: skip
        if mode == "class":
            _keep("insp_cls", list(range(ds.num_classes)), int(ds.y_test[0]))
            cls = st.selectbox(t("inspect.class"), range(ds.num_classes), key="insp_cls",
                               format_func=lambda k: subj.classes[k])  # fmt: skip
            members = np.flatnonzero(ds.y_test == cls)
            if members.size == 0:
                st.info(t("inspect.class_empty"))
                return None
            k = _int(t("inspect.example", count=members.size), members.size - 1, "insp_nth")
            picked = _test_image(subj, int(members[k]), t)
        elif mode == "index":
            st.session_state["insp_idx"] = min(int(st.session_state.get("insp_idx", 0)), n - 1)
            picked = _test_image(subj, int(st.number_input(t("inspect.index", n=n), 0, n - 1, key="insp_idx")), t)
        elif mode == "random":
            if not 0 <= st.session_state.get("insp_rand", -1) < n:
                _reroll(n)
            st.button(t("inspect.reroll"), icon=":material/casino:", on_click=_reroll, args=(n,))
            picked = _test_image(subj, st.session_state["insp_rand"], t)
        elif mode == "mistake":
            wrong = evaluation(subj, t).misclassified
            if wrong.size == 0:
                st.success(t("inspect.no_mistakes"))
                return None
            ev = evaluation(subj, t)
            _keep("insp_mistake", [int(i) for i in wrong])
            i = st.selectbox(t("inspect.mistake", count=wrong.size), [int(i) for i in wrong], key="insp_mistake",
                             format_func=lambda i: t("inspect.mistake_item", index=i, true=subj.classes[ev.y_true[i]],
                             pred=subj.classes[ev.y_pred[i]], p=ev.probabilities[i, ev.y_pred[i]]))  # fmt: skip
            picked = _test_image(subj, i, t)
        elif mode == "drawn":
            drawn = np.asarray(st.session_state["drawn_digit"], np.float32)[..., None]
            picked = (drawn, None, t("inspect.drawn_label"))
        else:
            picked = _uploaded_image(subj, t)
    if picked is None:
        return None
    image, true, label = picked
    x = inspection.as_batch(image)[0]
    with subj.lock:
        probs = subj.predictor.predict_one(x)
    with mid:
        st.image(_picture(x, 196), caption=label)
    with right:
        top = int(probs.argmax())
        verdict = "verdict" if true is None else "verdict_right" if top == true else "verdict_wrong"
        st.markdown(t(f"inspect.{verdict}", pred=subj.classes[top], p=float(probs[top]),
                      true=subj.classes[true] if true is not None else ""))  # fmt: skip
        st.plotly_chart(charts.prediction_bars(probs, subj.classes, true=true, height=200), key="insp_probs",
                        width="stretch", config={"displayModeBar": False})  # fmt: skip
    return Picked(x, probs, true, label)


# ---------------------------------------------------------------- tab: feature maps

_SHOWN_BY_DEFAULT = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D", "Activation",
                     "ReLU", "LeakyReLU", "ELU", "PReLU")  # fmt: skip


def feature_maps_tab(subj: Subject, picked: Picked, t: T) -> None:
    st.caption(t("inspect.fm_help"))
    with subj.lock:
        layers = inspection.feature_maps(subj.model, picked.image)
    if not layers:
        st.info(t("inspect.fm_none"))
        return
    by_name = {m.name: m for m in layers}
    default = [m.name for m in layers if m.type in _SHOWN_BY_DEFAULT][:12] or [m.name for m in layers][:12]
    shown = st.multiselect(t("inspect.fm_layers"), list(by_name), default=default, key=f"insp_fm_layers_{subj.key}",
                           format_func=lambda n: f"{n} ({by_name[n].type})")  # fmt: skip
    grid, zoom = st.columns([3, 2], gap="medium")
    labels = {"channel": t("inspect.channel"), "value": t("inspect.value")}
    with grid:
        pair = st.columns(2)
        for i, name in enumerate(shown):
            m = by_name[name]
            h, w, c = m.shape
            with pair[i % 2]:
                more = t("inspect.fm_first", shown=64, total=c) if c > 64 else ""
                st.markdown(f"**{name}** · {m.type} · " + t("inspect.fm_shape", h=h, w=w, c=c) + more)
                st.plotly_chart(charts.feature_tiles(m.array, labels, width=290), key=f"insp_fm_{name}",
                                width="stretch", config={"displayModeBar": False})  # fmt: skip
    with zoom:
        st.markdown(f"**{t('inspect.fm_zoom')}**")
        _keep("insp_fm_layer", list(by_name))
        name = st.selectbox(t("inspect.layer"), list(by_name), key="insp_fm_layer")
        m = by_name[name]
        channel = _int(t("inspect.channel"), m.channels - 1, "insp_fm_channel")
        values = m.array[:, :, channel]
        fig = go.Figure(go.Heatmap(z=values, colorscale="Viridis", hovertemplate="(%{y}, %{x}) %{z:.3f}<extra></extra>",
                                   colorbar=dict(thickness=12)))  # fmt: skip
        fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain", visible=False)
        fig.update_xaxes(constrain="domain", visible=False)
        fig.update_layout(height=380, margin=dict(l=4, r=4, t=4, b=4))
        st.plotly_chart(fig, key="insp_fm_big", width="stretch")
        st.caption(t("inspect.fm_zoom_caption", name=name, channel=channel, lo=float(values.min()) + 0.0,
                     hi=float(values.max()) + 0.0, active=float((values > 0).mean())))  # fmt: skip


# ---------------------------------------------------------------- tab: filters


def filters_tab(subj: Subject, t: T) -> None:
    found = inspection.filters(subj.model)
    if not found:
        st.info(t("inspect.filters_none"))
    else:
        first = next((f for f in found if f.first), found[0])
        kh, kw, cin, nf = first.kernel.shape
        st.subheader(t("inspect.filters_first", name=first.name))
        st.caption(t("inspect.filters_first_help", n=nf, kh=kh, kw=kw, cin=cin))
        images = first.images()
        if first.rgb:
            picture = _tiles_rgb(images, columns=min(nf, 16), cell=64)
        elif cin == 1:
            picture = _tiles_rgb(images[:, 0], columns=min(nf, 16), cell=64)
        else:
            picture = _channel_grid(images)
        st.image(picture, caption=t("inspect.filters_colours") if not first.rgb else None)
        deeper = [f for f in found if f is not first]
        if deeper:
            st.subheader(t("inspect.filters_deeper"))
            names = [f.name for f in deeper]
            _keep("insp_deep_layer", names)
            name = st.selectbox(t("inspect.layer"), names, key="insp_deep_layer")
            f = deeper[names.index(name)]
            kh, kw, cin, nf = f.kernel.shape
            st.caption(t("inspect.filters_grid_help", n=min(nf, 32), total=nf, c=min(cin, 32), cin=cin, kh=kh, kw=kw))
            st.image(_channel_grid(f.images()), caption=t("inspect.filters_colours"))
    if subj.run is not None:
        _snapshots(subj, t)
    st.subheader(t("inspect.hist_title"))
    with_bias = st.checkbox(t("inspect.hist_bias"), key="insp_hist_bias")
    hists = [h for h in inspection.weight_histograms(subj.model)
             if with_bias or h.variable.split("/")[-1] in ("kernel", "depthwise_kernel", "embeddings")]  # fmt: skip
    if hists:
        labels = {"weight": t("inspect.weight"), "count": t("inspect.count")}
        st.plotly_chart(charts.weight_histogram_grid(hists, labels), key="insp_hists", width="stretch")


def _channel_grid(images: np.ndarray) -> np.ndarray:
    """(F, Cin, kh, kw) in [0, 1] -> one picture: a column per filter, a row per input channel (32 x 32 at most)."""
    f, c = min(images.shape[0], 32), min(images.shape[1], 32)
    tiles = np.transpose(images[:f, :c], (1, 0, 2, 3)).reshape(c * f, *images.shape[2:])
    return _tiles_rgb(tiles, columns=f, cell=32)


def _snapshots(subj: Subject, t: T) -> None:
    arts = sorted(_ui.store().artifacts(subj.run.id, "kernels"), key=lambda a: a.epoch or 0)
    st.subheader(t("inspect.snap_title"))
    kernels, kept, layer = inspection.load_snapshots([a.path for a in arts])
    if len(kernels) < 2:
        st.caption(t("inspect.snap_none"))
        return
    epochs = [int(arts[i].epoch or 0) for i in kept]
    st.caption(t("inspect.snap_help", layer=layer or "?", first=epochs[0], last=epochs[-1]))
    images = inspection.snapshot_images(kernels)  # (E, F, kh, kw, 3) or (E, F, Cin, kh, kw)
    rows = sorted(set(np.linspace(0, len(epochs) - 1, min(8, len(epochs))).round().astype(int)))
    colour = kernels[0].shape[2] == 3
    for r in rows:
        strip = images[r][:32] if colour else images[r][:32, 0]
        a, b = st.columns([1, 9], vertical_alignment="center")
        a.markdown(t("inspect.snap_epoch", epoch=epochs[r]))
        b.image(_tiles_rgb(strip, columns=len(strip), cell=36, width=900))
    change = inspection.snapshot_change(kernels)
    labels = {"epoch": t("inspect.epoch"), "change": t("inspect.snap_change")}
    st.plotly_chart(charts.kernel_drift(epochs, change, labels), key="insp_drift", width="stretch")


# ---------------------------------------------------------------- tab: Grad-CAM and saliency


def cam_tab(subj: Subject, picked: Picked, t: T) -> None:
    st.caption(t("inspect.cam_help"))
    infos = inspection.layer_infos(subj.model)
    candidates = [i.name for i in infos
                  if i.spatial and i.type not in inspection.PASS_THROUGH | inspection.POOL_TYPES]  # fmt: skip
    if not candidates:
        st.info(t("inspect.cam_none"))
        return
    predicted = int(picked.probs.argmax())
    a, b = st.columns(2)
    options = [-1, *range(len(subj.classes))]
    _keep("insp_cam_class", options, -1)
    chosen = a.selectbox(t("inspect.cam_class"), options, key="insp_cam_class", format_func=lambda k: (
        t("inspect.cam_predicted", name=subj.classes[predicted]) if k < 0 else subj.classes[k]))  # fmt: skip
    _keep("insp_cam_layer", candidates, inspection.default_cam_layer(subj.model))
    layer = b.selectbox(t("inspect.cam_layer"), candidates, key="insp_cam_layer", help=t("inspect.cam_layer_help"))
    classes = [predicted] + ([chosen] if chosen >= 0 and chosen != predicted else [])
    for k in classes:
        with subj.lock:
            cam = inspection.grad_cam(subj.model, picked.image, k, layer)
            sal = inspection.saliency(subj.model, picked.image, k)
        st.markdown(t("inspect.cam_row", name=subj.classes[k], p=float(picked.probs[k])))
        cols = st.columns(4)
        size = 200
        cols[0].image(_picture(picked.image, size), caption=t("inspect.cam_input"))
        cols[1].image(inspection.enlarge(inspection.overlay(picked.image, cam), size), caption=t("inspect.cam_overlay"))
        cols[2].image(inspection.enlarge(inspection.colorize(sal), size), caption=t("inspect.sal_map"))
        cols[3].image(inspection.enlarge(inspection.overlay(picked.image, sal, 0.6), size),
                      caption=t("inspect.sal_overlay"))  # fmt: skip


# ---------------------------------------------------------------- tab: step-through


def step_tab(subj: Subject, picked: Picked, t: T) -> None:
    infos = inspection.layer_infos(subj.model)
    convs = [i for i in infos if i.type in inspection.CONV_TYPES]
    pools = [i for i in infos if i.type in inspection.POOL_TYPES]
    kinds = [k for k, found in (("conv", convs), ("pool", pools)) if found]
    if not kinds:
        st.info(t("inspect.step_none"))
        return
    _keep("insp_step_kind", kinds)
    kind = st.radio(t("inspect.step_kind"), kinds, horizontal=True, key="insp_step_kind",
                    format_func=lambda k: t(f"inspect.step_{k}"))  # fmt: skip
    if kind == "conv":
        _conv_step(subj, picked, convs, t)
    else:
        _pool_step(subj, picked, pools, t)


def _layer_unit_position(layers: list, prefix: str, unit: str, label: str, t: T) -> tuple[str, int, int, int]:
    """The step-through's picker: a layer (`{prefix}_layer`), one of its output channels (`{prefix}_{unit}`,
    labelled by the catalogue key `label`) and an output position; returns (layer name, channel, row, col)."""
    names = [i.name for i in layers]
    _keep(f"{prefix}_layer", names)
    c1, c2 = st.columns(2)
    name = c1.selectbox(t("inspect.layer"), names, key=f"{prefix}_layer")
    info = layers[names.index(name)]
    with c2:
        n = info.output_shape[-1]
        channel = _int(t(label, n=n), n - 1, f"{prefix}_{unit}")
    row, col = _position(info, prefix, t)
    return name, channel, row, col


def _position(info: inspection.LayerInfo, prefix: str, t: T) -> tuple[int, int]:
    h, w = info.output_shape[:2]
    a, b = st.columns(2)
    with a:
        row = _int(t("inspect.row", h=h), h - 1, f"{prefix}_row", default=h // 2)
    with b:
        col = _int(t("inspect.col", w=w), w - 1, f"{prefix}_col", default=w // 2)
    return row, col


def _shown(v: float) -> float:
    """A value for four-decimal display: no "-0.0000" for a tiny negative number."""
    return 0.0 if abs(v) < 5e-5 else float(v)


def _pad_text(values: np.ndarray, inside: np.ndarray) -> np.ndarray:
    return np.where(inside, charts.number_text(values), "pad")


def _conv_step(subj: Subject, picked: Picked, convs: list, t: T) -> None:
    name, f, row, col = _layer_unit_position(convs, "insp_conv", "filter", "inspect.filter", t)
    with subj.lock:
        s = inspection.conv_step(subj.model, picked.image, name, f, row, col)
    kh, kw, cin = s.kernel.shape
    channel = 0
    if cin > 1:
        channel = _int(t("inspect.in_channel", c=cin), cin - 1, "insp_conv_channel", help=t("inspect.in_channel_help"))
    real = s.input_channels[channel] if s.input_channels else channel
    st.caption(t("inspect.conv_where", kh=kh, kw=kw, r0=s.input_rows[0], r1=s.input_rows[1], c0=s.input_cols[0],
                 c1=s.input_cols[1], stride=f"{s.strides[0]}×{s.strides[1]}", padding=s.padding))  # fmt: skip
    a, b = st.columns(2)
    where = charts.map_with_box(s.input_map[:, :, real], s.input_rows, s.input_cols, height=300,
                                title=t("inspect.conv_input", c=real))  # fmt: skip
    lands = charts.map_with_box(s.output_map, (row, row), (col, col), colorscale="Viridis", height=300,
                                title=t("inspect.conv_output", f=f))  # fmt: skip
    a.plotly_chart(where, key="insp_cs_in", width="stretch")
    b.plotly_chart(lands, key="insp_cs_out", width="stretch")
    p, k, x = st.columns(3)
    inside = s.in_image
    p.plotly_chart(charts.value_grid(s.patch[:, :, channel], title=t("inspect.patch"), colorscale="Gray",
                                     symmetric=False, text=_pad_text(s.patch[:, :, channel], inside)),
                   key="insp_cs_patch", width="stretch")  # fmt: skip
    k.plotly_chart(charts.value_grid(s.kernel[:, :, channel], title=t("inspect.kernel")), key="insp_cs_kernel",
                   width="stretch")  # fmt: skip
    x.plotly_chart(charts.value_grid(s.products[:, :, channel], title=t("inspect.products")), key="insp_cs_prod",
                   width="stretch")  # fmt: skip
    partial = s.products.sum(axis=(0, 1))
    ok = abs(s.value - s.actual) <= 1e-3 * max(1.0, abs(s.actual))
    numbers = dict(part=_shown(partial[channel]), total=_shown(s.total), bias=_shown(s.bias),
                   pre=_shown(s.pre_activation), value=_shown(s.value), actual=_shown(s.actual))  # fmt: skip
    st.markdown(t("inspect.conv_sum" if cin > 1 else "inspect.conv_sum_one", terms=s.products.size, act=s.activation,
                  row=row, col=col, mark="✅" if ok else "⚠️", **numbers))  # fmt: skip
    if cin > 1:
        colours = [charts.PALETTE[3] if v < 0 else charts.PALETTE[0] for v in partial]
        fig = go.Figure(go.Bar(x=[str(c) for c in (s.input_channels or range(cin))], y=partial, marker_color=colours))
        fig.update_layout(height=200, margin=dict(l=10, r=10, t=30, b=10), title=t("inspect.partials"),
                          xaxis=dict(type="category", title=t("inspect.in_channel_short")))  # fmt: skip
        st.plotly_chart(fig, key="insp_cs_partials", width="stretch", config={"displayModeBar": False})


def _pool_step(subj: Subject, picked: Picked, pools: list, t: T) -> None:
    name, channel, row, col = _layer_unit_position(pools, "insp_pool", "channel", "inspect.channel_of", t)
    with subj.lock:
        s = inspection.pool_step(subj.model, picked.image, name, channel, row, col)
    a, b, c = st.columns([2, 1, 2])
    window = charts.map_with_box(s.input_map, s.input_rows, s.input_cols, colorscale="Viridis", height=300,
                                 title=t("inspect.pool_input", c=channel))  # fmt: skip
    a.plotly_chart(window, key="insp_ps_in", width="stretch")
    b.plotly_chart(charts.value_grid(s.window, title=t("inspect.window"), colorscale="Viridis", symmetric=False,
                                     text=_pad_text(s.window, s.in_image), outline=s.winner, height=300),
                   key="insp_ps_window", width="stretch")  # fmt: skip
    c.plotly_chart(charts.map_with_box(s.output_map, (row, row), (col, col), colorscale="Viridis", height=300,
                                       title=t("inspect.pool_output")), key="insp_ps_out", width="stretch")  # fmt: skip
    ok = abs(s.value - s.actual) <= 1e-3 * max(1.0, abs(s.actual))
    key = "inspect.pool_max" if s.kind == "max" else "inspect.pool_avg"
    st.markdown(t(key, count=s.count, size=f"{s.pool_size[0]}×{s.pool_size[1]}", value=_shown(s.value), row=row,
                  col=col, actual=_shown(s.actual), mark="✅" if ok else "⚠️"))  # fmt: skip


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


def gallery(subj: Subject, ev: inspection.Evaluation, indices: Sequence[int], t: T, key: str, limit: int = 24,
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
            st.image(_picture(subj.dataset.x_test[i], 96))
            mark = "✅" if true == pred else "❌"
            st.caption(t("inspect.gallery_item", mark=mark, index=i, true=subj.classes[true], pred=subj.classes[pred],
                         p=float(ev.probabilities[i, pred])))  # fmt: skip
            st.button(t("inspect.use_image"), key=f"{key}_{i}", on_click=_use_index, args=(i,),
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
    _keep("insp_cm_true", list(range(k)), int(worst[0]))
    _keep("insp_cm_pred", list(range(k)), int(worst[1]))
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
    cols = {k2: t(f"inspect.col.{k2}") for k2 in ("name", "support", "precision", "recall", "accuracy", "f1")}
    table = pd.DataFrame([{cols[c]: row[c] for c in cols} for row in ev.per_class()])
    rates = ("precision", "recall", "accuracy", "f1")
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
def _embedding(key: str, method: str, n: int, _subj: Subject) -> inspection.Embedding:
    with _subj.lock:
        return inspection.embeddings(_subj.model, _subj.dataset.x_test, method=method, max_points=n)


def embeddings_tab(subj: Subject, t: T) -> None:
    ds = subj.dataset
    top = min(3000, len(ds.y_test))
    if top < 3:
        st.info(t("inspect.emb_few"))
        return
    a, b = st.columns([1, 2])
    method = a.radio(t("inspect.emb_method"), ["pca", "tsne"], key="insp_emb_method", horizontal=True,
                     format_func=lambda m: t(f"inspect.emb.{m}"))  # fmt: skip
    low = min(100, top)
    n = top if low == top else int(b.slider(t("inspect.emb_points"), low, top, value=min(2000, top), key="insp_emb_n"))
    spinner = "inspect.emb_tsne_running" if method == "tsne" else "inspect.emb_running"
    with st.spinner(t(spinner, n=n)):
        try:
            emb = _embedding(subj.key, method, n, subj)
        except inspection.InspectionError as exc:
            st.error(t("inspect.cannot", reason=_ui.reason(exc)))
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
            st.image(_picture(ds.x_test[i], 168), caption=label)
            st.plotly_chart(charts.prediction_bars(emb.probabilities[i], subj.classes, true=int(ds.y_test[i]),
                                                   height=200), key="insp_emb_probs", width="stretch",
                            config={"displayModeBar": False})  # fmt: skip
            st.button(t("inspect.use_image"), key="insp_emb_use", on_click=_use_index, args=(i,),
                      icon=":material/search:")  # fmt: skip
        else:
            st.markdown(t("inspect.emb_selected", n=len(chosen)))
            gallery(subj, evaluation(subj, t), chosen, t, "insp_emb_gal", limit=12, columns=4)
