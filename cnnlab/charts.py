"""Plotly figures for the pages (no Streamlit, no TensorFlow): one function per chart, each returning a Figure.

`architecture_diagram(analysis)` draws the network as a row of blocks: a block's height is the feature-map
side (so you see maps shrinking), its width grows with the channel count (so you see channels growing),
flat vectors are thin green bars, and hovering shows shape, parameters, MACs and receptive field.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from cnnlab.arch.analysis import Analysis, Row

CATEGORY_COLOURS = {
    "input": "#7f7f7f",
    "conv": "#1f77b4",
    "pool": "#ff7f0e",
    "norm": "#c7c7c7",
    "residual": "#9467bd",
    "transfer": "#17becf",
    "flat": "#2ca02c",
    "head": "#d62728",
}
_CATEGORY = {
    "Conv2D": "conv",
    "MaxPooling2D": "pool",
    "AveragePooling2D": "pool",
    "GlobalAveragePooling2D": "pool",
    "BatchNormalization": "norm",
    "Dropout": "norm",
    "Activation": "norm",
    "ResidualBlock": "residual",
    "TransferBase": "transfer",
    "Flatten": "flat",
    "Dense": "flat",
}
DEFAULT_LABELS = {
    "input": "input",
    "conv": "convolution",
    "pool": "pooling",
    "norm": "norm / dropout / activation",
    "residual": "residual block",
    "transfer": "pretrained base",
    "flat": "flatten / dense",
    "head": "classifier",
    "params": "parameters",
    "macs": "MACs",
    "rf": "receptive field",
    "shape": "output",
    "title": "Feature maps through the network (height = map size, width = channels)",
}


def _shape_text(shape: tuple[int, ...] | None) -> str:
    return "?" if not shape else "×".join(str(d) for d in shape)


def architecture_diagram(
    analysis: Analysis, *, labels: dict[str, str] | None = None, scale: float = 1.0
) -> go.Figure:
    """Blocks per layer: height = feature-map side, width ~ log2(channels); flat layers as thin bars."""
    text = {**DEFAULT_LABELS, **(labels or {})}
    entries: list[tuple[str, str, str, tuple[int, ...] | None, Row | None]] = []
    if analysis.input_shape:
        entries.append(("input", "input", "image", tuple(analysis.input_shape), None))
    for row in analysis.all_rows:
        category = "head" if row.name == "predictions" else _CATEGORY.get(row.type, "norm")
        entries.append((category, row.name, row.label, row.output_shape, row))

    sides = [max(s[0], s[1]) for *_, s, _ in entries if s and len(s) == 3]
    max_side = max(sides, default=1)
    max_flat = max((s[0] for *_, s, _ in entries if s and len(s) == 1), default=1)
    height_scale = 10.0 / max_side
    x = 0.0
    traces: dict[str, dict[str, list[Any]]] = {}
    annotations = []
    for category, name, lab, shape, row in entries:
        if shape and len(shape) == 3:
            height = max(shape[0] * height_scale, 0.25)
            width = 0.35 + 0.25 * math.log2(max(shape[2], 1)) if category != "norm" else 0.3
        elif shape:
            height = 2.0 + 8.0 * math.log10(max(shape[0], 1)) / max(math.log10(max(max_flat, 10)), 1)
            width = 0.3
        else:  # this layer's shape could not be computed (an error above)
            height, width = 1.0, 0.3
        centre = x + width / 2
        t = traces.setdefault(category, {"x": [], "y": [], "base": [], "width": [], "hover": [], "pattern": []})
        t["pattern"].append("" if shape else "x")  # hatched: the shape could not be computed
        t["x"].append(centre)
        t["y"].append(height)
        t["base"].append(-height / 2)
        t["width"].append(width)
        hover = [f"<b>{name}</b> — {lab}", f"{text['shape']}: {_shape_text(shape)}"]
        if row is not None:
            hover += [f"{text['params']}: {row.params:,}", f"{text['macs']}: {row.macs:,}"]
            if row.receptive_field:
                hover.append(f"{text['rf']}: {row.receptive_field[0]}×{row.receptive_field[1]}")
        t["hover"].append("<br>".join(hover))
        annotations.append(
            {
                "x": centre,
                "y": -height / 2 - 0.3,
                "text": _shape_text(shape),
                "showarrow": False,
                "textangle": -60 if len(entries) > 10 else 0,
                "yanchor": "top",
                "font": {"size": 10},
            }
        )
        x += width + 0.35
    fig = go.Figure()
    for category, t in traces.items():
        fig.add_trace(
            go.Bar(
                x=t["x"],
                y=t["y"],
                base=t["base"],
                width=t["width"],
                name=text[category],
                marker={"color": CATEGORY_COLOURS[category], "pattern": {"shape": t["pattern"]}},
                hovertext=t["hover"],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        title={"text": text["title"], "font": {"size": 14}},
        barmode="overlay",
        annotations=annotations,
        xaxis={"visible": False, "range": [-0.3, x]},
        yaxis={"visible": False, "range": [-9.5 if len(entries) > 10 else -6.5, 6.0]},
        height=380,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.02},
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return scaled(fig, scale)


def scaled(fig: go.Figure, scale: float = 1.0) -> go.Figure:
    """Projector mode: every text, line and marker `scale` times larger, the figure taller by the same factor, so
    the back row of a classroom reads it (1 leaves the figure as it is)."""
    if scale == 1:
        return fig
    base = fig.layout.font.size or 12
    fig.update_layout(font_size=round(base * scale, 1), hoverlabel_font_size=round(13 * scale, 1))
    if fig.layout.height:
        fig.update_layout(height=round(fig.layout.height * min(scale, 1.3)))
    if fig.layout.title and fig.layout.title.text:
        fig.layout.title.font.size = round((fig.layout.title.font.size or base * 1.2) * scale, 1)
    for note in fig.layout.annotations or ():
        note.font.size = round((note.font.size or base) * scale, 1)
    for trace in fig.data:
        if trace.type == "scatter" and trace.mode == "text":  # numbers written on cells
            trace.textfont.size = (trace.textfont.size or 12) * scale
        elif trace.type == "scatter":
            trace.line.width = (trace.line.width or 2) * scale
            trace.marker.size = (trace.marker.size or 6) * scale
        elif trace.type == "heatmap" and trace.textfont and trace.textfont.size:
            trace.textfont.size = trace.textfont.size * scale
    return fig


# ---------------------------------------------------------------- training curves

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _layout(fig: go.Figure, height: int) -> go.Figure:
    # uirevision keeps zoom and hidden traces across the 1-second refreshes, so the chart doesn't jump
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        legend=dict(orientation="h", y=1.12, x=0),
        uirevision="keep",
        hovermode="x unified",
    )
    return fig


# 0-100 % in steps of 20 %, with a little room above so that points at 100 % are not cut in half
PERCENT_AXIS = dict(range=[0, 1.04], tickmode="linear", tick0=0, dtick=0.2, tickformat=".0%")
MARKERS_UP_TO = 60  # a line with more points than this draws no markers (they would only thicken it)


def _mode(n: int) -> str:
    """Markers while there are few points (so a single point shows), a plain line once there are many."""
    return "lines+markers" if n <= MARKERS_UP_TO else "lines"


def batch_curves(
    steps: list[float], loss: list[float], accuracy: list[float], labels: dict[str, str], height: int = 300,
    *, steps_hint: float | None = None, scale: float = 1.0,
) -> go.Figure:  # fmt: skip
    """Per-batch running loss (left axis) and accuracy in % (right axis, 0-100 %) against the global step.

    The step axis starts at 0; while there are no points yet it spans 0..`steps_hint` (e.g. one epoch's steps).
    """
    fig = go.Figure()
    mode = _mode(len(steps))
    fig.add_scatter(
        x=steps, y=loss, name=labels.get("loss", "loss"), mode=mode, line=dict(color=PALETTE[0]),
        marker=dict(size=5), hovertemplate="%{y:.3f}",
    )  # fmt: skip
    fig.add_scatter(
        x=steps, y=accuracy, name=labels.get("accuracy", "accuracy"), mode=mode, line=dict(color=PALETTE[1]),
        marker=dict(size=5), yaxis="y2", hovertemplate="%{y:.1%}",
    )  # fmt: skip
    xaxis: dict[str, Any] = dict(title=labels.get("step", "step"), rangemode="tozero")
    yaxis: dict[str, Any] = dict(title=labels.get("loss", "loss"), rangemode="tozero")
    if not steps:  # Plotly would show -1..6 on both axes
        xaxis["range"] = [0, max(float(steps_hint or 0), 1.0)]
        yaxis["range"] = [0, 1]
    fig.update_layout(
        xaxis=xaxis, yaxis=yaxis,
        yaxis2=dict(title=labels.get("accuracy", "accuracy"), overlaying="y", side="right", showgrid=False,
                    **PERCENT_AXIS),
    )  # fmt: skip
    return scaled(_layout(fig, height), scale)


def with_latest_epoch(table: list[dict[str, Any]], latest: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The store's epoch table plus `latest` (the progress record's `epoch_values`: the epoch that just ended,
    written before its checkpoint commit lands) when the table does not have that epoch yet."""
    if not latest or not isinstance(latest.get("epoch"), int):
        return table
    if any(row.get("epoch", 0) >= latest["epoch"] for row in table):
        return table
    return [*table, dict(latest)]


def _epoch_axis(last: int, title: str) -> dict[str, Any]:
    """Whole epochs from 1 to `last` (at least 1), about ten ticks at most, half an epoch of room each side."""
    last = max(int(last), 1)
    return dict(title=title, range=[0.5, last + 0.5], tick0=1, dtick=max(1, math.ceil(last / 10)))


def epoch_curves(
    table: list[dict[str, Any]], labels: dict[str, str], height: int = 300, *, epochs: int | None = None,
    scale: float = 1.0,
) -> go.Figure:
    """Loss and accuracy (in %) per epoch, training (solid) against validation (dashed), side by side.

    The epoch axis starts at epoch 1 and spans the run's planned `epochs` up to ten of them (a short run's chart
    does not rescale with every epoch), then one epoch past the last point (a long run's points are not squeezed
    into its left edge).
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels.get("loss", "loss"), labels.get("accuracy", "accuracy")))
    epochs_seen = [row["epoch"] for row in table]
    for col in (1, 2) if not table else ():  # an empty chart still draws both pairs of axes
        fig.add_scatter(x=[], y=[], row=1, col=col, showlegend=False, hoverinfo="skip")
    for col, metric in ((1, "loss"), (2, "accuracy")):
        for split, dash, color in (("", "solid", PALETTE[0]), ("val_", "dash", PALETTE[1])):
            values = [row.get(split + metric) for row in table]
            if any(v is not None for v in values):
                fig.add_scatter(
                    x=epochs_seen, y=values, mode=_mode(len(values)), row=1, col=col, showlegend=col == 1,
                    name=labels.get("validation", "validation") if split else labels.get("train", "training"),
                    line=dict(dash=dash, color=color), marker=dict(size=7), legendgroup=split or "train",
                    hovertemplate="%{y:.1%}" if metric == "accuracy" else "%{y:.3f}",
                )  # fmt: skip
    seen = max(epochs_seen, default=0)
    last = max(seen, min(epochs, max(10, seen + 1))) if epochs else max(seen, 1)
    fig.update_xaxes(**_epoch_axis(last, labels.get("epoch", "epoch")))
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    if not table:
        fig.update_yaxes(range=[0, 1], row=1, col=1)
    fig.update_yaxes(**PERCENT_AXIS, row=1, col=2)
    _layout(fig, height)
    fig.update_layout(legend=dict(orientation="h", y=-0.3, x=0), margin=dict(b=40))
    return scaled(fig, scale)


def compare_curves(
    series: dict[str, list[dict[str, Any]]], metric: str, labels: dict[str, str], height: int = 340,
    scale: float = 1.0,
) -> go.Figure:
    """One metric per epoch for several runs overlaid (colour = run); accuracies in % (0-100 %)."""
    fig = go.Figure()
    percent = "accuracy" in metric
    for i, (name, table) in enumerate(series.items()):
        fig.add_scatter(
            x=[row["epoch"] for row in table], y=[row.get(metric) for row in table], name=name,
            mode=_mode(len(table)), line=dict(color=PALETTE[i % len(PALETTE)]), marker=dict(size=7),
            hovertemplate="%{y:.1%}" if percent else "%{y:.3f}",
        )  # fmt: skip
    last = max((row["epoch"] for table in series.values() for row in table), default=1)
    yaxis = dict(title=labels.get(metric, metric), **(PERCENT_AXIS if percent else dict(rangemode="tozero")))
    fig.update_layout(xaxis=_epoch_axis(last, labels.get("epoch", "epoch")), yaxis=yaxis)
    return scaled(_layout(fig, height), scale)


# ---------------------------------------------------------------- inspection (the Inspect page)

_IMAGE_MARGIN = dict(l=4, r=4, t=24, b=4)


def _image_layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    """Square pixels, row 0 at the top, no axes: a picture, not a plot."""
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(height=height, margin=_IMAGE_MARGIN, plot_bgcolor="rgba(0,0,0,0)",
                      title={"text": title or "", "font": {"size": 13}, "x": 0.01, "y": 0.99})  # fmt: skip
    return fig


def feature_tiles(maps: Any, labels: dict[str, str] | None = None, max_channels: int = 64, width: int = 560,
                  colorscale: str = "Viridis") -> go.Figure:  # fmt: skip
    """One layer's (H, W, C) output as ONE heatmap of per-channel tiles (each scaled to its own range);
    hover names the channel, the position and the raw activation, and each tile carries its channel number."""
    import numpy as np

    from cnnlab.imaging import tile_channels

    text = {"channel": "channel", "value": "value", **(labels or {})}
    maps = np.asarray(maps, dtype=np.float32)
    h, w, c = maps.shape
    n = min(c, max_channels)
    cols = int(np.ceil(np.sqrt(n)))
    z = tile_channels(maps, columns=cols, max_channels=max_channels, gap=1)
    channel = np.full(z.shape, -1.0, np.float32)
    raw = np.full(z.shape, np.nan, np.float32)
    annotations = []
    for k in range(n):
        r, q = divmod(k, cols)
        top, left = r * (h + 1), q * (w + 1)
        channel[top : top + h, left : left + w] = k
        raw[top : top + h, left : left + w] = maps[:, :, k]
        annotations.append(dict(x=left - 0.5, y=top - 0.5, text=str(k), showarrow=False, xanchor="left", yanchor="top",
                                font=dict(size=9, color="white"), bgcolor="rgba(0,0,0,0.45)"))  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            z=z, customdata=np.dstack([channel, raw]), colorscale=colorscale, showscale=False, hoverongaps=False,
            zmin=0, zmax=1, hovertemplate=f"{text['channel']} %{{customdata[0]}} · (%{{y}}, %{{x}})<br>"
            f"{text['value']} %{{customdata[1]:.3f}}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(annotations=annotations if n <= 64 else [])
    height = int(min(900, max(140, width * z.shape[0] / z.shape[1])))
    return _image_layout(fig, height + 28)


def number_text(values: Any, decimals: int = 2) -> Any:
    """Numbers as short strings for cell labels: no "-0.00", blank for NaN."""
    import numpy as np

    z = np.asarray(values, dtype=np.float64)
    tiny = 0.5 * 10.0**-decimals
    return np.vectorize(lambda v: "" if np.isnan(v) else f"{0.0 if abs(v) < tiny else v:.{decimals}f}", otypes=[str])(z)


def readable_text_colour(rgb: tuple[float, float, float]) -> str:
    """Black or white, whichever contrasts more with a cell of colour `rgb` (0..255 each; WCAG relative
    luminance): numbers written on dark cells are white, on light cells black (at least 4.5:1 either way)."""
    lin = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def value_grid(values: Any, *, title: str = "", colorscale: str = "RdBu_r", symmetric: bool = True,
               text: Any = None, outline: tuple[int, int] | None = None, height: int = 260,
               decimals: int = 2) -> go.Figure:  # fmt: skip
    """A small matrix (a patch, a kernel, element-wise products) as coloured cells with their numbers written in,
    each number in black or white by its cell's luminance, so it reads on every colour.

    `symmetric` centres the colour scale on zero (weights and products); `text` replaces the printed numbers
    (e.g. "pad" in the zero padding); `outline` draws a box around one cell (the max-pooling winner).
    """
    import numpy as np
    from plotly.colors import get_colorscale, sample_colorscale

    z = np.asarray(values, dtype=np.float32)
    show = np.asarray(text if text is not None else number_text(z, decimals), dtype=object)
    finite = z[np.isfinite(z)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    low, high = (-max(abs(low), abs(high)), max(abs(low), abs(high))) if symmetric else (low, high)
    high = high if high > low else low + 1
    scale = get_colorscale(colorscale)  # the same scale in Python (text colours) and in the browser (cells)
    rows, cols = np.indices(z.shape)
    shares = np.clip((np.nan_to_num(z, nan=low) - low) / (high - low), 0, 1).ravel()
    colours = [readable_text_colour(tuple(255 * c for c in rgb))
               for rgb in sample_colorscale(scale, [float(v) for v in shares], colortype="tuple")]  # fmt: skip
    fig = go.Figure(go.Heatmap(z=z, colorscale=scale, zmin=low, zmax=high, showscale=False, xgap=1, ygap=1,
                               hovertemplate="(%{y}, %{x}) %{z:.4f}<extra></extra>"))  # fmt: skip
    fig.add_trace(go.Scatter(x=cols.ravel(), y=rows.ravel(), text=[str(v) for v in show.ravel()], mode="text",
                             textfont={"size": 8 if z.size > 49 else 11, "color": colours}, hoverinfo="skip",
                             showlegend=False))  # fmt: skip
    if outline is not None:
        r, c = outline
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color="#111", width=3))
    return _image_layout(fig, height, title)


def map_with_box(values: Any, rows: tuple[int, int], cols: tuple[int, int], *, title: str = "",
                 colorscale: str = "Gray", height: int = 300, color: str = "#ff2b2b") -> go.Figure:  # fmt: skip
    """A whole 2-D map with a box around rows[0]..rows[1] x cols[0]..cols[1] (inclusive; it may reach into the
    padding outside the map): where a kernel or pooling window sits, or the one output cell it produces."""
    import numpy as np

    z = np.asarray(values, dtype=np.float32)
    fig = go.Figure(go.Heatmap(z=z, colorscale=colorscale, showscale=False,
                               hovertemplate="(%{y}, %{x}) %{z:.3f}<extra></extra>"))  # fmt: skip
    fig.add_shape(type="rect", x0=cols[0] - 0.5, x1=cols[1] + 0.5, y0=rows[0] - 0.5, y1=rows[1] + 0.5,
                  line=dict(color=color, width=3))  # fmt: skip
    fig.update_xaxes(range=[min(-0.5, cols[0] - 0.5), max(z.shape[1] - 0.5, cols[1] + 0.5)])
    fig.update_yaxes(range=[max(z.shape[0] - 0.5, rows[1] + 0.5), min(-0.5, rows[0] - 0.5)])
    _image_layout(fig, height, title)
    fig.update_yaxes(autorange=False)
    return fig


def prediction_bars(probabilities: Any, class_names: list[str], *, true: int | None = None,
                    height: int = 220, title: str = "", scale: float = 1.0) -> go.Figure:  # fmt: skip
    """Class probabilities as bars: the predicted class in blue, the true class (if known and different) in red."""
    import numpy as np

    p = np.asarray(probabilities, dtype=np.float64).ravel()
    top = int(p.argmax())
    colours = [PALETTE[0] if i == top else PALETTE[3] if i == true else "#c9d3df" for i in range(len(p))]
    fig = go.Figure(go.Bar(x=[str(n) for n in class_names], y=p, marker_color=colours,
                           hovertemplate="%{x}: %{y:.1%}<extra></extra>"))  # fmt: skip
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30 if title else 10, b=10), bargap=0.15,
                      yaxis=dict(range=[0, 1], tickformat=".0%"), xaxis=dict(type="category"),
                      title={"text": title, "font": {"size": 13}})  # fmt: skip
    return scaled(fig, scale)


def confusion_heatmap(confusion: Any, class_names: list[str], labels: dict[str, str] | None = None,
                      height: int = 480) -> go.Figure:  # fmt: skip
    """Confusion matrix: colour = share of the true class (so rare mistakes still show), text = image count.

    A transparent square marker sits on every cell (trace 1, customdata = [true, predicted, count]) because Plotly
    reports clicks on scatter points but not on heatmap cells; a clicked cell gets a dark outline.
    """
    import numpy as np

    text = {"true": "true class", "predicted": "predicted class", "images": "images", "share": "of this class",
            **(labels or {})}  # fmt: skip
    cm = np.asarray(confusion, dtype=np.int64)
    k = cm.shape[0]
    names = [str(n) for n in class_names]
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = go.Figure(
        go.Heatmap(
            z=share, x=names, y=names, text=cm, texttemplate="%{text}" if k <= 20 else "", colorscale="Blues",
            zmin=0, zmax=1, showscale=False, hoverinfo="skip", xgap=1, ygap=1,
        )
    )  # fmt: skip
    true_idx, pred_idx = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    size = int(max(6, min(44, 0.8 * (height - 90) / k)))
    fig.add_trace(
        go.Scatter(
            x=[names[j] for j in pred_idx.ravel()], y=[names[i] for i in true_idx.ravel()], mode="markers",
            customdata=np.stack([true_idx.ravel(), pred_idx.ravel(), cm.ravel(), share.ravel()], axis=1).tolist(),
            marker=dict(symbol="square-open", size=size, color="#111", opacity=0, line=dict(width=3)),
            selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=0)), showlegend=False,
            hovertemplate=f"{text['true']}: %{{y}}<br>{text['predicted']}: %{{x}}<br>%{{customdata[2]}} "
            f"{text['images']} (%{{customdata[3]:.1%}} {text['share']})<extra></extra>",
        )
    )  # fmt: skip
    fig.update_xaxes(title=text["predicted"], type="category", side="bottom", constrain="domain")
    fig.update_yaxes(title=text["true"], type="category", autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="rgba(0,0,0,0)",
                      clickmode="event+select", dragmode=False)  # fmt: skip
    return fig


def weight_histogram_grid(histograms: list, labels: dict[str, str] | None = None, columns: int = 3) -> go.Figure:
    """One small histogram per weight variable (`inspection.WeightHistogram`), titled layer · variable · mean ± std."""
    from plotly.subplots import make_subplots

    text = {"weight": "weight", "count": "count", **(labels or {})}
    n = max(1, len(histograms))
    cols = min(columns, n)
    rows = -(-n // cols)
    titles = [f"{h.layer} · {h.variable.split('/')[-1]}  (μ {h.mean:+.3f}, σ {h.std:.3f})" for h in histograms]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.06,
                        vertical_spacing=min(0.2, 0.6 / rows))  # fmt: skip
    for i, h in enumerate(histograms):
        centres = (h.edges[:-1] + h.edges[1:]) / 2
        fig.add_bar(x=centres, y=h.counts, width=float(h.edges[1] - h.edges[0]), row=i // cols + 1, col=i % cols + 1,
                    marker_color=PALETTE[0] if h.trainable else "#9e9e9e", showlegend=False,
                    hovertemplate=f"{text['weight']} %{{x:.3f}}<br>{text['count']} %{{y}}<extra></extra>")  # fmt: skip
    fig.update_annotations(font_size=11)
    fig.update_layout(height=210 * rows + 30, margin=dict(l=10, r=10, t=30, b=10), bargap=0)
    return fig


def kernel_drift(epochs: list[int], change: Any, labels: dict[str, str] | None = None, height: int = 240) -> go.Figure:
    """How far the first-layer kernels have moved from their starting values, per epoch (relative norm)."""
    text = {"epoch": "epoch", "change": "change from the start", **(labels or {})}
    fig = go.Figure(go.Scatter(x=list(epochs), y=list(change), mode="lines+markers", line=dict(color=PALETTE[2]),
                               hovertemplate=f"{text['epoch']} %{{x}}: %{{y:.1%}}<extra></extra>"))  # fmt: skip
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title=text["epoch"], dtick=max(1, -(-len(epochs) // 10))),
                      yaxis=dict(title=text["change"], tickformat=".0%", rangemode="tozero"))  # fmt: skip
    return fig


def embedding_scatter(coords: Any, y_true: Any, y_pred: Any, confidence: Any, class_names: list[str],
                      labels: dict[str, str] | None = None, height: int = 560) -> go.Figure:  # fmt: skip
    """2-D embedding: one colour per true class, mistakes drawn as crosses; customdata = [image index, predicted,
    confidence] (plain lists, so selection events carry them as numbers) so a click or lasso can open the images."""
    import numpy as np

    text = {"true": "true", "predicted": "predicted", "image": "test image", "wrong": "misclassified",
            **(labels or {})}  # fmt: skip
    xy = np.asarray(coords, dtype=np.float32)
    t, p, c = np.asarray(y_true), np.asarray(y_pred), np.asarray(confidence, dtype=np.float32)
    colours = px_colours(len(class_names))
    fig = go.Figure()
    for k, name in enumerate(class_names):
        for wrong in (False, True):  # right answers as dots (in the legend), mistakes as crosses on top
            idx = np.flatnonzero((t == k) & ((p != k) if wrong else (p == k)))
            if idx.size == 0 and wrong:
                continue
            fig.add_trace(
                go.Scattergl(
                    x=xy[idx, 0], y=xy[idx, 1], mode="markers", name=str(name), legendgroup=str(k),
                    showlegend=not wrong, marker=dict(color=colours[k], size=9 if wrong else 6,
                                                      symbol="x" if wrong else "circle", line=dict(width=0)),
                    customdata=np.stack([idx, p[idx], np.round(c[idx], 4)], axis=1).tolist(),
                    text=[str(class_names[j]) for j in p[idx]],
                    hovertemplate=f"{text['image']} #%{{customdata[0]}}<br>{text['true']}: {name}<br>"
                    f"{text['predicted']}: %{{text}} (%{{customdata[2]:.0%}})<extra></extra>",
                )
            )  # fmt: skip
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), legend=dict(itemsizing="constant"),
                      xaxis=dict(visible=False), yaxis=dict(visible=False), plot_bgcolor="rgba(0,0,0,0)")  # fmt: skip
    return fig


def px_colours(n: int) -> list[str]:
    """n distinct qualitative colours (Plotly's D3 set, then Alphabet for more classes)."""
    import plotly.express as px

    base = list(px.colors.qualitative.D3) if n <= 10 else list(px.colors.qualitative.Alphabet)
    return [base[i % len(base)] for i in range(n)]


def probability_shift(before: Any, after: Any, class_names: list[str], labels: dict[str, str] | None = None,
                      height: int = 230) -> go.Figure:  # fmt: skip
    """Every class's probability after a change (filled blue bars, the top class darkest) over its probability before
    (grey outlines): a slider move or an attack shows as bars growing and shrinking against where they were."""
    import numpy as np

    text = {"before": "before", "after": "after", "title": "", **(labels or {})}
    a, b = np.asarray(before, np.float64).ravel().tolist(), np.asarray(after, np.float64).ravel().tolist()
    names, top = [str(n) for n in class_names], int(np.argmax(b))
    fig = go.Figure([
        go.Bar(x=names, y=a, name=text["before"], width=0.8, marker=dict(color="rgba(0,0,0,0)",
               line=dict(color="#8a94a6", width=1.5)), hovertemplate="%{x}: %{y:.1%}<extra></extra>"),
        go.Bar(x=names, y=b, name=text["after"], width=0.5, hovertemplate="%{x}: %{y:.1%}<extra></extra>",
               marker=dict(color=PALETTE[0], opacity=[1.0 if i == top else 0.45 for i in range(len(b))])),
    ])  # fmt: skip
    fig.update_layout(height=height, barmode="overlay", margin=dict(l=10, r=10, t=30 if text["title"] else 10, b=10),
                      yaxis=dict(range=[0, 1], tickformat=".0%"), xaxis=dict(type="category"),
                      legend=dict(orientation="h", y=1.1, x=1, xanchor="right"),
                      title={"text": text["title"], "font": {"size": 13}})  # fmt: skip
    return fig


def robustness_curves(curves: dict[str, tuple[Any, Any]], titles: dict[str, str], labels: dict[str, str] | None = None,
                      height: int = 300) -> go.Figure:  # fmt: skip
    """Test accuracy against each push on the input, one panel per axis: `curves[kind] = (values, accuracy)`,
    `titles[kind]` the panel's axis title; kinds that share a title (shift x and y) share a panel."""
    from plotly.subplots import make_subplots

    text = {"accuracy": "accuracy", **(labels or {})}
    panels = list(dict.fromkeys(titles[k] for k in curves))
    fig = make_subplots(rows=1, cols=len(panels), horizontal_spacing=0.06)
    for i, (kind, (values, accuracy)) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=list(map(float, values)), y=list(map(float, accuracy)), mode="lines+markers",
                                 name=text.get(kind, kind), line=dict(color=PALETTE[i % len(PALETTE)]),
                                 hovertemplate="%{x:g}: %{y:.1%}<extra></extra>"),
                      row=1, col=panels.index(titles[kind]) + 1)  # fmt: skip
    for j, title in enumerate(panels):
        fig.update_xaxes(title_text=title, row=1, col=j + 1)
        fig.update_yaxes(PERCENT_AXIS, row=1, col=j + 1, title_text=text["accuracy"] if j == 0 else None)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.15, x=0))
    return fig


def unit_picker(values: Any, row: int, col: int, *, title: str = "", height: int = 300) -> go.Figure:
    """One feature map with its unit (row, col) boxed, and an invisible marker on every cell so that a click (a
    point selection) names the unit to look at."""
    import numpy as np

    z = np.asarray(values, dtype=np.float32)
    fig = map_with_box(z, (row, row), (col, col), title=title, colorscale="Viridis", height=height)
    yy, xx = np.mgrid[0 : z.shape[0], 0 : z.shape[1]]
    fig.add_trace(go.Scatter(x=xx.ravel(), y=yy.ravel(), mode="markers", marker=dict(size=8, opacity=0.01),
                             hovertemplate="(%{y}, %{x})<extra></extra>", showlegend=False))  # fmt: skip
    fig.update_layout(clickmode="event+select", dragmode=False)
    return fig
