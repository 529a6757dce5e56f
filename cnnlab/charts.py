"""Plotly figures for the pages (no Streamlit, no TensorFlow): one function per chart, each returning a Figure.

`architecture_diagram(analysis)` draws the network as a row of blocks: a block's height is the feature-map
side (so you see maps shrinking), its width grows with the channel count (so you see channels growing),
flat vectors are thin green bars, and hovering shows shape, parameters, MACs and receptive field.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from cnnlab.analysis import Analysis, Row

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


def architecture_diagram(analysis: Analysis, *, labels: dict[str, str] | None = None) -> go.Figure:
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


def batch_curves(
    steps: list[float], loss: list[float], accuracy: list[float], labels: dict[str, str], height: int = 300
) -> go.Figure:
    """Per-batch running loss (left axis) and accuracy (right axis) against the global step."""
    fig = go.Figure()
    fig.add_scatter(x=steps, y=loss, name=labels.get("loss", "loss"), mode="lines", line=dict(color=PALETTE[0]))
    fig.add_scatter(
        x=steps, y=accuracy, name=labels.get("accuracy", "accuracy"), mode="lines",
        line=dict(color=PALETTE[1]), yaxis="y2",
    )  # fmt: skip
    fig.update_layout(
        xaxis=dict(title=labels.get("step", "step")),
        yaxis=dict(title=labels.get("loss", "loss"), rangemode="tozero"),
        yaxis2=dict(title=labels.get("accuracy", "accuracy"), overlaying="y", side="right", range=[0, 1]),
    )
    return _layout(fig, height)


def epoch_curves(table: list[dict[str, Any]], labels: dict[str, str], height: int = 300) -> go.Figure:
    """Loss and accuracy per epoch, training (solid) against validation (dashed), side by side."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels.get("loss", "loss"), labels.get("accuracy", "accuracy")))
    epochs = [row["epoch"] for row in table]
    for col, metric in ((1, "loss"), (2, "accuracy")):
        for split, dash, color in (("", "solid", PALETTE[0]), ("val_", "dash", PALETTE[1])):
            values = [row.get(split + metric) for row in table]
            if any(v is not None for v in values):
                fig.add_scatter(
                    x=epochs, y=values, mode="lines+markers", row=1, col=col, showlegend=col == 1,
                    name=labels.get("validation", "validation") if split else labels.get("train", "training"),
                    line=dict(dash=dash, color=color), legendgroup=split or "train",
                )  # fmt: skip
    fig.update_xaxes(title_text=labels.get("epoch", "epoch"), tick0=1, dtick=_epoch_tick({"": table}))
    fig.update_yaxes(range=[0, 1], row=1, col=2)
    return _layout(fig, height)


def compare_curves(
    series: dict[str, list[dict[str, Any]]], metric: str, labels: dict[str, str], height: int = 340
) -> go.Figure:
    """One metric per epoch for several runs overlaid (colour = run)."""
    fig = go.Figure()
    for i, (name, table) in enumerate(series.items()):
        fig.add_scatter(
            x=[row["epoch"] for row in table], y=[row.get(metric) for row in table], name=name,
            mode="lines+markers", line=dict(color=PALETTE[i % len(PALETTE)]),
        )  # fmt: skip
    fig.update_layout(
        xaxis=dict(title=labels.get("epoch", "epoch"), tick0=1, dtick=_epoch_tick(series)),
        yaxis=dict(title=labels.get(metric, metric)),
    )
    return _layout(fig, height)


def _epoch_tick(series: dict[str, list[dict[str, Any]]]) -> int:
    """Whole-epoch ticks, at most about ten of them."""
    longest = max((len(table) for table in series.values()), default=1)
    return max(1, math.ceil(longest / 10))
