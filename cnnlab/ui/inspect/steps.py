"""The Inspect page's step-through tab: one convolution or pooling output value, computed by hand."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnlab import charts
from cnnlab.inspection.forward import CONV_TYPES, POOL_TYPES, LayerInfo
from cnnlab.ui import widgets
from cnnlab.ui.inspect.common import Picked, Subject, T, shared

# ---------------------------------------------------------------- tab: step-through

OK, OFF = ":material/check_circle:", ":material/warning:"  # icons that render without an emoji font


def step_tab(subj: Subject, picked: Picked, t: T) -> None:
    infos = shared(subj, "layer_infos")
    convs = [i for i in infos if i.type in CONV_TYPES]
    pools = [i for i in infos if i.type in POOL_TYPES]
    kinds = [k for k, found in (("conv", convs), ("pool", pools)) if found]
    if not kinds:
        st.info(t("inspect.step_none"))
        return
    widgets.keep_option("insp_step_kind", kinds)
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
    widgets.keep_option(f"{prefix}_layer", names)
    c1, c2 = st.columns(2)
    name = c1.selectbox(t("inspect.layer"), names, key=f"{prefix}_layer")
    info = layers[names.index(name)]
    with c2:
        n = info.output_shape[-1]
        channel = widgets.int_slider(t(label, n=n), n - 1, f"{prefix}_{unit}")
    row, col = _position(info, prefix, t)
    return name, channel, row, col


def _position(info: LayerInfo, prefix: str, t: T) -> tuple[int, int]:
    h, w = info.output_shape[:2]
    a, b = st.columns(2)
    with a:
        row = widgets.int_slider(t("inspect.row", h=h), h - 1, f"{prefix}_row", default=h // 2)
    with b:
        col = widgets.int_slider(t("inspect.col", w=w), w - 1, f"{prefix}_col", default=w // 2)
    return row, col


def _shown(v: float) -> float:
    """A value for four-decimal display: no "-0.0000" for a tiny negative number."""
    return 0.0 if abs(v) < 5e-5 else float(v)


def _pad_text(values: np.ndarray, inside: np.ndarray) -> np.ndarray:
    return np.where(inside, charts.number_text(values), "pad")


def _conv_step(subj: Subject, picked: Picked, convs: list, t: T) -> None:
    name, f, row, col = _layer_unit_position(convs, "insp_conv", "filter", "inspect.filter", t)
    s = subj.model.conv_step(picked.image, name, f, row, col)
    kh, kw, cin = s.kernel.shape
    channel = 0
    if cin > 1:
        channel = widgets.int_slider(t("inspect.in_channel", c=cin), cin - 1, "insp_conv_channel",
                                     help=t("inspect.in_channel_help"))  # fmt: skip
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
                  row=row, col=col, mark=OK if ok else OFF, **numbers))  # fmt: skip
    if cin > 1:
        colours = [charts.PALETTE[3] if v < 0 else charts.PALETTE[0] for v in partial]
        fig = go.Figure(go.Bar(x=[str(c) for c in (s.input_channels or range(cin))], y=partial, marker_color=colours))
        fig.update_layout(height=200, margin=dict(l=10, r=10, t=30, b=10), title=t("inspect.partials"),
                          xaxis=dict(type="category", title=t("inspect.in_channel_short")))  # fmt: skip
        st.plotly_chart(fig, key="insp_cs_partials", width="stretch", config={"displayModeBar": False})


def _pool_step(subj: Subject, picked: Picked, pools: list, t: T) -> None:
    name, channel, row, col = _layer_unit_position(pools, "insp_pool", "channel", "inspect.channel_of", t)
    s = subj.model.pool_step(picked.image, name, channel, row, col)
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
                  col=col, actual=_shown(s.actual), mark=OK if ok else OFF))  # fmt: skip
