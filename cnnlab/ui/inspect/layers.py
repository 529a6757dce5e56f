"""The Inspect page's layer tabs: feature maps, filters (with the run's kernel snapshots and weight histograms),
and Grad-CAM with saliency."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnlab import charts
from cnnlab.imaging import colorize, enlarge, overlay
from cnnlab.inspection.features import (
    load_snapshots,
    snapshot_change,
    snapshot_images,
)
from cnnlab.inspection.forward import PASS_THROUGH, POOL_TYPES
from cnnlab.ui import state, widgets
from cnnlab.ui.inspect.common import Picked, Subject, T, shared
from cnnlab.ui.inspect.probe import occlusion_cell

# ---------------------------------------------------------------- tab: feature maps

_SHOWN_BY_DEFAULT = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D", "Activation",
                     "ReLU", "LeakyReLU", "ELU", "PReLU")  # fmt: skip


def feature_maps_tab(subj: Subject, picked: Picked, t: T) -> None:
    st.caption(t("inspect.fm_help"))
    layers = shared(subj, "feature_maps", picked.image)
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
        widgets.keep_option("insp_fm_layer", list(by_name))
        name = st.selectbox(t("inspect.layer"), list(by_name), key="insp_fm_layer")
        m = by_name[name]
        channel = widgets.int_slider(t("inspect.channel"), m.channels - 1, "insp_fm_channel")
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
    found = shared(subj, "filters")
    if not found:
        st.info(t("inspect.filters_none"))
    else:
        first = next((f for f in found if f.first), found[0])
        kh, kw, cin, nf = first.kernel.shape
        st.subheader(t("inspect.filters_first", name=first.name))
        st.caption(t("inspect.filters_first_help", n=nf, kh=kh, kw=kw, cin=cin))
        images = first.images()
        if first.rgb:
            picture = widgets.tiles_rgb(images, columns=min(nf, 16), cell=64)
        elif cin == 1:
            picture = widgets.tiles_rgb(images[:, 0], columns=min(nf, 16), cell=64)
        else:
            picture = _channel_grid(images)
        st.image(picture, caption=t("inspect.filters_colours") if not first.rgb else None)
        deeper = [f for f in found if f is not first]
        if deeper:
            st.subheader(t("inspect.filters_deeper"))
            names = [f.name for f in deeper]
            widgets.keep_option("insp_deep_layer", names)
            name = st.selectbox(t("inspect.layer"), names, key="insp_deep_layer")
            f = deeper[names.index(name)]
            kh, kw, cin, nf = f.kernel.shape
            st.caption(t("inspect.filters_grid_help", n=min(nf, 32), total=nf, c=min(cin, 32), cin=cin, kh=kh, kw=kw))
            st.image(_channel_grid(f.images()), caption=t("inspect.filters_colours"))
    if subj.run is not None:
        _snapshots(subj, t)
    st.subheader(t("inspect.hist_title"))
    with_bias = st.checkbox(t("inspect.hist_bias"), key="insp_hist_bias")
    hists = [h for h in shared(subj, "weight_histograms")
             if with_bias or h.variable.split("/")[-1] in ("kernel", "depthwise_kernel", "embeddings")]  # fmt: skip
    if hists:
        labels = {"weight": t("inspect.weight"), "count": t("inspect.count")}
        st.plotly_chart(charts.weight_histogram_grid(hists, labels), key="insp_hists", width="stretch")


def _channel_grid(images: np.ndarray) -> np.ndarray:
    """(F, Cin, kh, kw) in [0, 1] -> one picture: a column per filter, a row per input channel (32 x 32 at most)."""
    f, c = min(images.shape[0], 32), min(images.shape[1], 32)
    tiles = np.transpose(images[:f, :c], (1, 0, 2, 3)).reshape(c * f, *images.shape[2:])
    return widgets.tiles_rgb(tiles, columns=f, cell=32)


def _snapshots(subj: Subject, t: T) -> None:
    arts = sorted(state.store().artifacts(subj.run.id, "kernels"), key=lambda a: a.epoch or 0)
    st.subheader(t("inspect.snap_title"))
    kernels, kept, layer = load_snapshots([a.path for a in arts])
    if len(kernels) < 2:
        st.caption(t("inspect.snap_none"))
        return
    epochs = [int(arts[i].epoch or 0) for i in kept]
    st.caption(t("inspect.snap_help", layer=layer or "?", first=epochs[0], last=epochs[-1]))
    images = snapshot_images(kernels)  # (E, F, kh, kw, 3) or (E, F, Cin, kh, kw)
    rows = sorted(set(np.linspace(0, len(epochs) - 1, min(8, len(epochs))).round().astype(int)))
    colour = kernels[0].shape[2] == 3
    for r in rows:
        strip = images[r][:32] if colour else images[r][:32, 0]
        a, b = st.columns([1, 9], vertical_alignment="center")
        a.markdown(t("inspect.snap_epoch", epoch=epochs[r]))
        b.image(widgets.tiles_rgb(strip, columns=len(strip), cell=36, width=900))
    change = snapshot_change(kernels)
    labels = {"epoch": t("inspect.epoch"), "change": t("inspect.snap_change")}
    st.plotly_chart(charts.kernel_drift(epochs, change, labels), key="insp_drift", width="stretch")


# ---------------------------------------------------------------- tab: Grad-CAM and saliency


def cam_tab(subj: Subject, picked: Picked, t: T) -> None:
    st.caption(t("inspect.cam_help"))
    st.caption(t("probe.occl_help"))
    infos = shared(subj, "layer_infos")
    candidates = [i.name for i in infos
                  if i.spatial and i.type not in PASS_THROUGH | POOL_TYPES]  # fmt: skip
    if not candidates:
        st.info(t("inspect.cam_none"))
        return
    predicted = int(picked.probs.argmax())
    a, b = st.columns(2)
    options = [-1, *range(len(subj.classes))]
    widgets.keep_option("insp_cam_class", options, -1)
    chosen = a.selectbox(t("inspect.cam_class"), options, key="insp_cam_class", format_func=lambda k: (
        t("inspect.cam_predicted", name=subj.classes[predicted]) if k < 0 else subj.classes[k]))  # fmt: skip
    widgets.keep_option("insp_cam_layer", candidates, shared(subj, "default_cam_layer"))
    layer = b.selectbox(t("inspect.cam_layer"), candidates, key="insp_cam_layer", help=t("inspect.cam_layer_help"))
    classes = [predicted] + ([chosen] if chosen >= 0 and chosen != predicted else [])
    for k in classes:
        cam = shared(subj, "grad_cam", picked.image, k, layer)
        sal = shared(subj, "saliency", picked.image, k)
        st.markdown(t("inspect.cam_row", name=subj.classes[k], p=float(picked.probs[k])))
        cols = st.columns(5)
        size = 200
        cols[0].image(widgets.picture(picked.image, size), caption=t("inspect.cam_input"))
        cols[1].image(enlarge(overlay(picked.image, cam), size), caption=t("inspect.cam_overlay"))
        cols[2].image(enlarge(colorize(sal), size), caption=t("inspect.sal_map"))
        cols[3].image(enlarge(overlay(picked.image, sal, 0.6), size),
                      caption=t("inspect.sal_overlay"))  # fmt: skip
        occlusion_cell(cols[4], subj, picked, k, t, size)
