"""Charts of studies (Plotly, labels passed in, no Streamlit): an arena's accuracy against its cost, with the
Pareto front marked."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from cnnlab.charts import PALETTE, _layout


def pareto_chart(
    rows: list[dict[str, Any]], cost: str, front: list[bool], labels: dict[str, str], height: int = 340
) -> go.Figure:
    """Test accuracy (y, %) against `cost` (x: "latency_ms" or "macs") per entry; the front drawn as a line and its
    entries as filled markers, the dominated ones hollow."""
    fig = go.Figure()
    points = [(r[cost], r["test_accuracy"], r["label"], f) for r, f in zip(rows, front, strict=True)]
    on_front = sorted((p for p in points if p[3]), key=lambda p: p[0])
    if len(on_front) > 1:
        fig.add_scatter(
            x=[p[0] for p in on_front], y=[p[1] for p in on_front], mode="lines", name=labels["front"],
            line=dict(color="#888", dash="dot"), hoverinfo="skip",
        )  # fmt: skip
    for i, (x, y, label, best) in enumerate(points):
        colour = PALETTE[i % len(PALETTE)]
        fig.add_scatter(
            x=[x], y=[y], mode="markers+text", text=[label], textposition="top center", name=label,
            marker=dict(size=14, color=colour if best else "white", line=dict(color=colour, width=2)),
            hovertemplate=f"{label}<br>%{{x:,.3g}} · %{{y:.2%}}<extra></extra>",
        )  # fmt: skip
    ys = [p[1] for p in points]
    low = max(0.0, min(ys) - 0.05) if ys else 0.0
    fig.update_layout(
        xaxis=dict(title=labels[cost], type="log" if cost == "macs" else "linear", rangemode="tozero"),
        yaxis=dict(title=labels["test_accuracy"], tickformat=".0%", range=[low, 1.0]),
        showlegend=False,
    )
    return _layout(fig, height)
