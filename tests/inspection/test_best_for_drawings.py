"""Predict's default model: the one that reads drawn digits best (the headline demo is drawing a digit)."""

from __future__ import annotations

from types import SimpleNamespace

from cnnlab.inspection.prediction import best_for_drawings

DIGITS = {"input_shape": [28, 28, 1]}


def run(name: str, created: float, arch=DIGITS, **metrics) -> SimpleNamespace:
    return SimpleNamespace(name=name, created=created, arch=arch, final_metrics=metrics)


def test_the_most_accurate_on_drawn_digits_wins_over_test_accuracy_and_age() -> None:
    runs = [
        run("newest", 3.0, test_accuracy=0.99, drawn_accuracy=0.95),
        run("draws best", 1.0, test_accuracy=0.97, drawn_accuracy=0.98),
        run("colour", 4.0, arch={"input_shape": [32, 32, 3]}, test_accuracy=0.99, drawn_accuracy=None),
    ]
    assert best_for_drawings(runs).name == "draws best"


def test_without_drawn_figures_test_accuracy_then_the_newest_decide() -> None:
    assert best_for_drawings([run("old", 1.0, test_accuracy=0.9), run("new", 2.0, test_accuracy=0.8)]).name == "old"
    assert best_for_drawings([run("old", 1.0), run("new", 2.0)]).name == "new"
    assert best_for_drawings([]) is None
    colour = [run("c", 1.0, arch={"input_shape": [32, 32, 3]})]
    assert best_for_drawings(colour).name == "c"  # no digit model: any model
