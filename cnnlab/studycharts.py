"""Charts of studies (Plotly, labels passed in, no Streamlit): an arena's accuracy against its cost, with the
Pareto front marked; a sweep's runs as parallel coordinates; a learning curve's test accuracy against the number
of training images; the quantization lab's changes."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import plotly.graph_objects as go

from cnnlab.charts import PALETTE, _layout, scaled


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


def confusion_change(after: Any, before: Any, class_names: list[str], labels: dict[str, str],
                     height: int = 360) -> go.Figure:  # fmt: skip
    """`after` minus `before` (two confusion matrices, rows = true class): where a quantized model's answers moved,
    red where it answers more often, blue where less, white where nothing changed."""
    diff = [[a - b for a, b in zip(ra, rb, strict=True)] for ra, rb in zip(after, before, strict=True)]
    top = max([1, *(abs(v) for row in diff for v in row)])
    fig = go.Figure(go.Heatmap(
        z=diff, x=class_names, y=class_names, zmin=-top, zmax=top, colorscale="RdBu_r",
        text=[[f"{v:+d}" if v else "" for v in row] for row in diff], texttemplate="%{text}",
        hovertemplate=f"{labels['true']} %{{y}} · {labels['predicted']} %{{x}}: %{{z:+d}}<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(xaxis=dict(title=labels["predicted"], type="category"),
                      yaxis=dict(title=labels["true"], type="category", autorange="reversed"))  # fmt: skip
    return _layout(fig, height)


def weights_before_after(weights: dict[str, Any], labels: dict[str, str], height: int = 300) -> go.Figure:
    """Histograms of a kernel as trained and as int8 stores it, on the same bins: int8 keeps 255 levels per
    channel, so the shape barely moves."""
    edges = weights["edges"]
    centres = [(a + b) / 2 for a, b in pairwise(edges)]
    fig = go.Figure()
    for key, colour in (("float32", PALETTE[0]), ("int8", PALETTE[1])):
        fig.add_bar(x=centres, y=weights[key], name=labels[key], marker_color=colour, opacity=0.6)
    fig.update_layout(barmode="overlay", xaxis=dict(title=labels["value"]), yaxis=dict(title=labels["count"]),
                      legend=dict(orientation="h", y=1.12))  # fmt: skip
    return _layout(fig, height)


def sweep_parcoords(
    rows: list[dict[str, Any]], axes: list[str], labels: dict[str, str], height: int = 420
) -> go.Figure:
    """A sweep's finished runs as parallel coordinates (TensorBoard's HParams view): one axis per swept
    hyperparameter, then test accuracy, each run a line coloured by its accuracy. Learning rates sit on a log
    scale, categories (the optimizer) at evenly spaced ticks, and every axis is ticked at the values swept."""
    done = [r for r in rows if r.get("test_accuracy") is not None]
    dims = []
    for name in axes:
        values = [r[name] for r in done]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            distinct = sorted(set(values))
            log = name == "learning_rate" and all(v > 0 for v in distinct)
            where = [math.log10(v) for v in distinct] if log else list(distinct)
            dims.append(dict(label=labels[name], values=[math.log10(v) if log else v for v in values],
                             tickvals=where, ticktext=[f"{v:g}" for v in distinct], range=_padded(where)))  # fmt: skip
        else:
            distinct = sorted(set(map(str, values)))
            dims.append(dict(label=labels[name], values=[distinct.index(str(v)) for v in values],
                             tickvals=list(range(len(distinct))), ticktext=distinct,
                             range=_padded(list(range(len(distinct))))))  # fmt: skip
    accuracy = [r["test_accuracy"] for r in done]
    low, high = (min(accuracy), max(accuracy)) if accuracy else (0.0, 1.0)
    dims.append(dict(label=labels["test_accuracy"], values=accuracy, tickformat=".0%",
                     range=[max(0.0, low - 0.02), min(1.0, high + 0.02)]))  # fmt: skip
    fig = go.Figure(go.Parcoords(
        dimensions=dims,
        line=dict(color=accuracy, colorscale="Viridis", cmin=low, cmax=high if high > low else low + 1e-3,
                  showscale=True, colorbar=dict(tickformat=".0%", thickness=14, len=0.9, x=1.04)),
        labelfont=dict(size=14), tickfont=dict(size=12), rangefont=dict(size=1, color="rgba(0,0,0,0)"),
    ))  # fmt: skip
    _layout(fig, height)
    fig.update_layout(margin=dict(l=70, r=70, t=70, b=30))
    return fig


def _padded(values: list[float]) -> list[float]:
    """An axis range around `values`, with room so a single value or the ends are not on the frame."""
    low, high = min(values, default=0.0), max(values, default=1.0)
    pad = (high - low) * 0.08 or 0.5
    return [low - pad, high + pad]


def curve_chart(
    lines: list[dict[str, Any]], names: list[str], labels: dict[str, str], full_n: int = 0, height: int = 420,
    scale: float = 1.0,
) -> go.Figure:  # fmt: skip
    """A learning curve: test accuracy (y, %) against training images (x, log scale), one line per (architecture,
    augmentation) of `lines` (cnnlab.train.curves.curve_points), named by `names`; the spread over seeds as error bars
    from the lowest to the highest, the lines a little apart at each n; lines without augmentation dashed. The whole
    split (`full_n`) is ticked as labels["full"]; labels also: "x", "y", "spread" (hover text, with {seeds})."""
    fig = go.Figure()
    sizes: set[int] = set()
    lows = []
    for i, (line, name) in enumerate(zip(lines, names, strict=True)):
        pts = line["points"]
        sizes.update(p["n"] for p in pts)
        lows += [p["min"] for p in pts]
        hover = [f"{name} · n={p['n']:,}: {p['mean']:.1%}" + _spread(p, labels["spread"]) for p in pts]
        dodge = 10 ** ((i - (len(lines) - 1) / 2) * 0.012)  # lines side by side at each n, so their bars do not
        fig.add_scatter(  # hide each other (a few % of n on the log axis; the hover says the exact n)
            x=[p["n"] * dodge for p in pts], y=[p["mean"] for p in pts], name=name, mode="lines+markers",
            line=dict(color=PALETTE[i % len(PALETTE)], width=3, dash="solid" if line["augmentation"] else "dash"),
            marker=dict(size=10, symbol="circle" if line["augmentation"] else "square"),
            error_y=dict(type="data", symmetric=False, array=[p["max"] - p["mean"] for p in pts],
                         arrayminus=[p["mean"] - p["min"] for p in pts], thickness=2, width=8),
            text=hover, hovertemplate="%{text}<extra></extra>",
        )  # fmt: skip
    ticks = sorted(sizes)
    text = [labels["full"] if full_n and n == full_n else f"{n:,}" for n in ticks]
    span = [math.log10(min(ticks)) - 0.12, math.log10(max(ticks)) + 0.12] if ticks else None
    low = max(0.0, math.floor((min(lows) - 0.05) * 10) / 10) if lows else 0.0
    fig.update_layout(
        xaxis=dict(title=dict(text=labels["x"], font=dict(size=16)), type="log", tickvals=ticks, ticktext=text,
                   range=span, tickfont=dict(size=15)),
        yaxis=dict(title=dict(text=labels["y"], font=dict(size=16)), tickformat=".0%", range=[low, 1.02],
                   tickfont=dict(size=15)),
    )  # fmt: skip
    fig = _layout(fig, height)  # (sizes set here: a projector's back row reads them at 1280x720)
    fig.update_layout(hovermode="closest", font=dict(size=15), legend=dict(font=dict(size=15)), showlegend=True,
                      margin=dict(l=10, r=10, t=40, b=10))  # fmt: skip
    return scaled(fig, scale)


def _spread(point: dict[str, Any], words: str) -> str:
    if point["seeds"] < 2:
        return ""
    return f"<br>{words.format(seeds=point['seeds'])}: {point['min']:.1%}–{point['max']:.1%}"
