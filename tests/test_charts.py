"""The training charts as a class sees them live: one point shows, empty axes start where training starts,
accuracy reads in round percentages, and the epoch that just ended is drawn before its checkpoint lands."""

from __future__ import annotations

import itertools
import math

from cnnlab import charts

LABELS = {"loss": "loss", "accuracy": "accuracy", "step": "step", "epoch": "epoch"}


def percent_ticks(axis) -> list[float]:
    """The tick values a linear axis draws over its range."""
    high = axis.range[1]
    return [axis.tick0 + i * axis.dtick for i in range(round((high - axis.tick0) / axis.dtick) + 1)]


def assert_percent_axis(axis) -> None:
    assert axis.range[0] == 0 and 1 <= axis.range[1] < 1.1 and axis.tickformat == ".0%"  # 0 % .. 100 %
    assert axis.tickmode == "linear"
    ticks = percent_ticks(axis)
    assert [round(v * 100) for v in ticks] == [0, 20, 40, 60, 80, 100]  # round values, not 0.205, 0.411, ...
    assert all(math.isclose(v * 100, round(v * 100)) for v in ticks)


def test_a_single_batch_point_has_markers():
    fig = charts.batch_curves([1], [2.3], [0.1], LABELS)
    assert all("markers" in trace.mode for trace in fig.data)


def test_many_batch_points_draw_a_plain_line():
    n = charts.MARKERS_UP_TO + 1
    fig = charts.batch_curves(list(range(n)), [1.0] * n, [0.5] * n, LABELS)
    assert all(trace.mode == "lines" for trace in fig.data)


def test_an_empty_batch_chart_starts_at_step_zero():
    fig = charts.batch_curves([], [], [], LABELS, steps_hint=55)
    assert list(fig.layout.xaxis.range) == [0, 55]  # not Plotly's -1..6
    assert list(fig.layout.yaxis.range) == [0, 1]
    assert charts.batch_curves([], [], [], LABELS).layout.xaxis.range[0] == 0


def test_batch_accuracy_axis_is_in_percent_with_round_ticks():
    fig = charts.batch_curves([1, 2], [2.3, 2.0], [0.1, 0.3], LABELS)
    assert_percent_axis(fig.layout.yaxis2)
    assert fig.data[1].yaxis == "y2"


def test_an_empty_epoch_chart_reads_epoch_one_onwards():
    fig = charts.epoch_curves([], LABELS)
    assert fig.layout.xaxis.range[0] > 0 and fig.layout.xaxis.range[0] < 1  # epoch 1 first, never -1
    assert fig.layout.xaxis.tick0 == 1 and fig.layout.xaxis.dtick == 1
    assert list(fig.layout.yaxis.range) == [0, 1]
    assert {trace.xaxis for trace in fig.data} == {"x", "x2"}  # Plotly draws the axes of a subplot with a trace
    assert list(charts.epoch_curves([], LABELS, epochs=3).layout.xaxis.range) == [0.5, 3.5]  # the planned length
    assert list(charts.epoch_curves([], LABELS, epochs=40).layout.xaxis.range) == [0.5, 10.5]  # up to ten epochs


def test_a_long_run_keeps_room_for_its_next_epoch_and_about_ten_ticks():
    table = [{"epoch": e, "loss": 1 / e} for e in range(1, 25)]
    axis = charts.epoch_curves(table, LABELS, epochs=40).layout.xaxis
    assert list(axis.range) == [0.5, 25.5] and axis.dtick == 3
    assert list(charts.epoch_curves(table[:12], LABELS, epochs=12).layout.xaxis.range) == [0.5, 12.5]


def test_a_single_epoch_shows_as_markers_on_a_percent_axis():
    table = [{"epoch": 1, "loss": 0.9, "accuracy": 0.7, "val_loss": 0.8, "val_accuracy": 0.75}]
    fig = charts.epoch_curves(table, LABELS, epochs=10)
    assert len(fig.data) == 4 and all("markers" in trace.mode for trace in fig.data)
    assert fig.layout.xaxis.range[0] < 1 < fig.layout.xaxis.range[1]  # the point is inside, not on the edge
    assert_percent_axis(fig.layout.yaxis2)


def test_compare_curves_put_accuracy_in_percent_and_mark_single_points():
    series = {"a": [{"epoch": 1, "val_accuracy": 0.5}], "b": [{"epoch": 1, "val_accuracy": 0.6}]}
    fig = charts.compare_curves(series, "val_accuracy", LABELS)
    assert_percent_axis(fig.layout.yaxis)
    assert all("markers" in trace.mode for trace in fig.data)
    loss = charts.compare_curves({"a": [{"epoch": 1, "val_loss": 0.5}]}, "val_loss", LABELS)
    assert loss.layout.yaxis.tickformat is None and loss.layout.xaxis.range[0] > 0


def test_the_epoch_that_just_ended_is_appended_until_the_store_has_it():
    stored = [{"epoch": 1, "loss": 0.9, "accuracy": 0.7}]
    latest = {"epoch": 2, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.78}
    table = charts.with_latest_epoch(stored, latest)
    assert [row["epoch"] for row in table] == [1, 2] and table[-1]["val_accuracy"] == 0.78
    assert charts.with_latest_epoch([*stored, {"epoch": 2, "loss": 0.5}], latest)[-1] == {"epoch": 2, "loss": 0.5}
    assert charts.with_latest_epoch(stored, None) == stored  # an engine without `epoch_values`
    assert charts.with_latest_epoch(stored, {}) == stored
    fig = charts.epoch_curves(table, LABELS, epochs=5)
    assert list(fig.data[0].x) == [1, 2]


# ---------------------------------------------------------------- step-through numbers on coloured cells


def _rgb(colour: str) -> tuple[float, float, float]:
    """'#rrggbb' or 'rgb(r, g, b)' as three 0..255 numbers."""
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return tuple(float(v) for v in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3])


def _cell_colour(scale, value: float, low: float, high: float) -> tuple[float, float, float]:
    """The colour a heatmap paints `value` with: linear interpolation on the scale between zmin and zmax."""
    f = min(1.0, max(0.0, (value - low) / (high - low)))
    for (a, ca), (b, cb) in itertools.pairwise(scale):
        if a <= f <= b:
            w = 0.0 if b == a else (f - a) / (b - a)
            return tuple(x + w * (y - x) for x, y in zip(_rgb(ca), _rgb(cb), strict=True))
    return _rgb(scale[-1][1])


def _contrast(one, two) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1 .. 21)."""

    def luminance(rgb) -> float:
        lin = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(one), luminance(two)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_step_through_numbers_are_readable_on_every_cell_colour():
    import numpy as np

    ramp = np.linspace(-1, 1, 49).reshape(7, 7)  # every shade from one end of the scale to the other
    cases = [  # the patch (grey), the kernel and products (red-blue around zero), the pooling window (Viridis)
        (ramp, dict(colorscale="Gray", symmetric=False)),
        (ramp, {}),
        (ramp * 3 + 0.5, {}),
        (ramp, dict(colorscale="Viridis", symmetric=False)),
        (np.array([[0.0, 0.05], [0.5, 1.0]]), dict(colorscale="Gray", symmetric=False)),
    ]
    for values, kw in cases:
        fig = charts.value_grid(values, **kw)
        heat = next(tr for tr in fig.data if tr.type == "heatmap")
        words = next(tr for tr in fig.data if tr.type == "scatter")  # the numbers, one colour per cell
        assert not heat.texttemplate  # the numbers are not left to the heatmap's own colour choice
        scale = [(float(a), str(c)) for a, c in heat.colorscale]
        colours = list(words.textfont.color)
        assert len(colours) == values.size == len(words.text)
        worst = min(
            _contrast(_cell_colour(scale, float(values[r, c]), heat.zmin, heat.zmax), _rgb(colours[i]))
            for i, (r, c) in enumerate(zip(words.y, words.x, strict=True))
        )
        assert worst >= 4.5, (kw, worst)  # WCAG AA for normal text, on the darkest and the lightest cells alike
    dark, light = charts.value_grid(np.array([[0.0, 1.0]]), colorscale="Gray", symmetric=False).data[1].textfont.color
    assert (dark, light) == ("#ffffff", "#000000")  # white on the black cell, black on the white one
