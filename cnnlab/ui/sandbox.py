"""The Learn page's convolution sandbox: pick an input and a kernel, see the output map, one cell's arithmetic and
the parameter counts. The numbers come from cnnlab.learn.sandbox (NumPy, no TensorFlow)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from cnnlab import charts
from cnnlab.errors import CnnLabError
from cnnlab.learn import sandbox as sb

T = Callable[..., str]
INPUTS = ("digit", "pattern")
POOLS = ("none", "max", "average")
CUSTOM = "custom"
DEFAULTS: dict[str, Any] = {"sb_input": "pattern", "sb_kernel": "identity", "sb_padding": "valid",
                            "sb_stride": 1, "sb_pool": "none", "sb_digit": 0}  # fmt: skip
PARAM_KEYS = {"input": "sb_input", "kernel": "sb_kernel", "padding": "sb_padding", "stride": "sb_stride",
              "pool": "sb_pool", "digit": "sb_digit"}  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=1)
def _digits() -> np.ndarray | None:
    """The first 100 test digits of the MNIST sample, 0..1 (None when the sample is not on this machine)."""
    from cnnlab.data.datasets import DEFAULT_DATASET, DatasetUnavailable, load_dataset

    try:
        return load_dataset(DEFAULT_DATASET).x_test[:100, :, :, 0].astype(np.float32) / 255.0
    except DatasetUnavailable:
        return None


def apply(params: dict[str, Any]) -> None:
    """A lesson's "Do it" on this page: put its settings into the sandbox's widgets (before they are drawn)."""
    ss = st.session_state
    for name, value in params.items():
        key = PARAM_KEYS.get(name)
        if key is None:
            continue
        if key == "sb_kernel" and value not in sb.KERNELS and value != CUSTOM:
            continue
        ss[key] = int(value) if key in ("sb_stride", "sb_digit") else value
    ss.pop("sb_custom", None)
    if "input" in params:  # another image: the chosen cell starts at the centre of its output again
        for key in ("sb_row", "sb_col", "_kept_sb_row", "_kept_sb_col"):
            ss.pop(key, None)


def settings() -> dict[str, Any]:
    """The sandbox's settings as checks see them (read before the widgets are drawn, so steps tick at once)."""
    ss = st.session_state
    for key, value in DEFAULTS.items():
        ss.setdefault(key, value)
    k = _kernel_values()
    shape = _image().shape
    return {
        "input": ss["sb_input"], "kernel": ss["sb_kernel"], "padding": ss["sb_padding"], "stride": int(ss["sb_stride"]),
        "pool": ss["sb_pool"], "size": int(k.shape[0]) if k is not None else 3, "shape": shape,
        "cell": "picked" if ss.get("sb_cell_picked") else "centre",
    }  # fmt: skip


def _image() -> np.ndarray:
    ss = st.session_state
    digits = _digits() if ss.get("sb_input") == "digit" else None
    if digits is not None:
        return digits[int(ss.get("sb_digit", 0)) % len(digits)]
    pattern = ss.get("sb_pattern_values")
    return np.asarray(pattern, dtype=np.float32) if pattern is not None else sb.PATTERN


def _kernel_values() -> np.ndarray | None:
    ss = st.session_state
    if ss.get("sb_kernel") != CUSTOM:
        return sb.kernel(ss.get("sb_kernel", "vertical_edges"))
    return parse_kernel(ss.get("sb_custom", ""))


def parse_kernel(text: str) -> np.ndarray | None:
    """Numbers typed one row per line ("1 0 -1"), a square of 1..7 rows; None when they are not."""
    try:
        rows = [
            [float(v) for v in line.replace(",", " ").split()] for line in text.strip().splitlines() if line.strip()
        ]
    except ValueError:
        return None
    if not rows or len(rows) > 7 or any(len(r) != len(rows) for r in rows):
        return None
    return np.asarray(rows, dtype=np.float32)


def _kernel_text(k: np.ndarray) -> str:
    return "\n".join(" ".join(f"{v:g}" for v in row) for row in k.round(3))


def _on_kernel() -> None:
    ss = st.session_state
    if ss.get("sb_kernel") == CUSTOM and not ss.get("sb_custom"):
        ss["sb_custom"] = _kernel_text(sb.kernel("vertical_edges"))


def _picked() -> None:
    st.session_state["sb_cell_picked"] = True


def _controls(t: T) -> None:
    ss = st.session_state
    c = st.columns([2, 2, 1, 1, 1.4])
    c[0].radio(t("learn.sb.input"), INPUTS, key="sb_input", format_func=lambda v: t(f"learn.sb.input.{v}"),
               horizontal=True)  # fmt: skip
    kernels = [*sb.KERNELS, CUSTOM]
    c[1].selectbox(t("learn.sb.kernel"), kernels, key="sb_kernel", format_func=lambda v: t(f"learn.kernel.{v}"),
                   on_change=_on_kernel)  # fmt: skip
    c[2].radio(t("learn.sb.padding"), list(sb.PADDINGS), key="sb_padding", help=t("learn.sb.padding_help"))
    c[3].number_input(t("learn.sb.stride"), 1, 4, key="sb_stride", help=t("learn.sb.stride_help"))
    c[4].selectbox(t("learn.sb.pool"), POOLS, key="sb_pool", format_func=lambda v: t(f"learn.sb.pool.{v}"),
                   help=t("learn.sb.pool_help"))  # fmt: skip
    d = st.columns([3, 2])
    if ss["sb_input"] == "digit" and _digits() is not None:
        d[0].number_input(t("learn.sb.digit"), 0, 99, key="sb_digit", help=t("learn.sb.digit_help"))
    elif ss["sb_input"] == "digit":
        d[0].caption(t("learn.sb.no_digits"))
    else:
        import pandas as pd

        base = ss.get("sb_pattern_values")
        frame = pd.DataFrame(np.asarray(base if base is not None else sb.PATTERN), columns=[str(i) for i in range(9)])
        d[0].caption(t("learn.sb.pattern_help"))
        edited = d[0].data_editor(frame, key="sb_pattern", hide_index=True, width="stretch")
        ss["sb_pattern_values"] = np.clip(edited.fillna(0).to_numpy(dtype=np.float32), -10, 10).tolist()
    if ss["sb_kernel"] == CUSTOM:
        d[1].text_area(t("learn.sb.custom"), key="sb_custom", help=t("learn.sb.custom_help"), height=120)


def view(t: T) -> None:
    """The whole sandbox (its settings are read by `settings()` before, for the lesson's checks)."""
    ss = st.session_state
    st.subheader(t("learn.sb.title"))
    _controls(t)
    image, k = _image(), _kernel_values()
    if k is None:
        st.warning(t("learn.sb.bad_kernel"))
        return
    padding, stride = ss["sb_padding"], int(ss["sb_stride"])
    try:
        out = sb.convolve(image, k, padding, stride)
    except CnnLabError as exc:
        st.warning(exc.message(ss.get("lang", "en")))
        return
    n = k.shape[0]
    ss.setdefault("sb_row", out.shape[0] // 2)
    ss.setdefault("sb_col", out.shape[1] // 2)
    row, col = min(int(ss["sb_row"]), out.shape[0] - 1), min(int(ss["sb_col"]), out.shape[1] - 1)
    ss["sb_row"], ss["sb_col"] = row, col  # a smaller output (stride, padding) keeps the cell inside it
    cell = sb.cell(image, k, padding, stride, row, col)
    cols = st.columns([3, 2, 3] + ([3] if ss["sb_pool"] != "none" else []))
    shape = "×".join(map(str, image.shape))
    cols[0].plotly_chart(charts.map_with_box(image, cell.rows, cell.cols, title=t("learn.sb.input_map", shape=shape)),
                         width="stretch", key="sb_in_chart")  # fmt: skip
    cols[1].plotly_chart(charts.value_grid(k, title=t("learn.sb.kernel_map", k=n), height=220),
                         width="stretch", key="sb_k_chart")  # fmt: skip
    out_title = t("learn.sb.output_map", shape="×".join(map(str, out.shape)))
    fig = charts.map_with_box(out, (row, row), (col, col), title=out_title, colorscale="RdBu_r")
    cols[2].plotly_chart(fig.update_traces(zmid=0), width="stretch", key="sb_out_chart")
    if ss["sb_pool"] != "none":
        try:
            pooled = sb.pool(out, 2, 2, ss["sb_pool"])
            title = t("learn.sb.pooled_map", shape="×".join(map(str, pooled.shape)))
            box = (row // 2, row // 2), (col // 2, col // 2)
            fig = charts.map_with_box(pooled, *box, title=title, colorscale="RdBu_r")
            cols[3].plotly_chart(fig.update_traces(zmid=0), width="stretch", key="sb_pool_chart")
        except CnnLabError as exc:
            cols[3].warning(exc.message(ss.get("lang", "en")))
    _arithmetic(cell, out.shape, t)
    _parameters(image.shape, n, padding, stride, t)


def _arithmetic(cell: sb.Cell, shape: tuple[int, ...], t: T) -> None:
    st.markdown(f"**{t('learn.sb.cell_title')}**")
    c = st.columns([1.3, 1.3, 2, 2, 3])
    c[0].number_input(t("learn.sb.row"), 0, shape[0] - 1, key="sb_row", on_change=_picked)
    c[1].number_input(t("learn.sb.col"), 0, shape[1] - 1, key="sb_col", on_change=_picked)
    pad = np.where(cell.padded, "pad", charts.number_text(cell.patch))
    c[2].plotly_chart(charts.value_grid(cell.patch, title=t("learn.sb.patch"), text=pad, symmetric=False, height=200),
                      width="stretch", key="sb_patch_chart")  # fmt: skip
    c[3].plotly_chart(charts.value_grid(cell.products, title=t("learn.sb.products"), height=200),
                      width="stretch", key="sb_prod_chart")  # fmt: skip
    c[4].markdown(t("learn.sb.cell_sum", row=cell.row, col=cell.col, total=f"{cell.total:.4g}"))
    c[4].code(cell.formula(), language=None, wrap_lines=True)


def _parameters(shape: tuple[int, ...], k: int, padding: str, stride: int, t: T) -> None:
    try:
        counts = sb.parameter_counts((shape[0], shape[1], 1), k, padding, stride)
    except CnnLabError:
        return
    st.markdown(f"**{t('learn.sb.params_title')}**")
    c = st.columns(3)
    c[0].metric(t("learn.sb.conv_params"), f"{counts['conv']:,}", help=t("learn.sb.conv_params_help", k=k))
    c[1].metric(t("learn.sb.dense_params", n=f"{counts['outputs']:,}"), f"{counts['dense']:,}",
                help=t("learn.sb.dense_params_help"))  # fmt: skip
    c[2].metric(t("learn.sb.ratio"), f"{counts['ratio']:,.0f}×")
