"""The live record: the moving-window rate and the ETA rules (pure functions), a finished epoch's values, and a
real run's first batch point written at once."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cnnlab.train.live import MIN_ETA_MEASURED_S, MIN_RATE_SPAN_S, RATE_WINDOW_S, eta_seconds, window_rate


def steady(seconds: float, every: float, per_step: int, start: float = 0.0, images: int = 0) -> list:
    """Batch-end marks of a steady run: `per_step` images every `every` seconds for `seconds`."""
    n = round(seconds / every)
    return [(start + i * every, images + i * per_step) for i in range(n + 1)]


def test_no_rate_before_the_batches_span_long_enough() -> None:
    assert window_rate([]) is None
    assert window_rate([(1.0, 128)]) is None  # one batch end says nothing about speed
    assert window_rate(steady(MIN_RATE_SPAN_S / 2, 0.05, 128)) is None  # never "0 images/s" nor a wild guess
    assert window_rate([(0.0, 128), (1.0, 128)]) is None  # no image done between them: no rate either


def test_rate_is_images_over_the_last_window_of_batches() -> None:
    marks = steady(4.0, 0.1, 100)  # 1,000 images/s for 4 s
    assert window_rate(marks) == pytest.approx(1000.0)
    # then twice as fast for 3 s: the window sees only the fast part, no blend with the past
    t, n = marks[-1]
    marks += steady(3.0, 0.1, 200, start=t, images=n)[1:]
    assert window_rate(marks) == pytest.approx(2000.0)
    first = next(i for i, (t0, _) in enumerate(marks) if marks[-1][0] - t0 <= RATE_WINDOW_S)
    assert marks[-1][0] - marks[first][0] <= RATE_WINDOW_S


def test_a_slow_first_step_does_not_drag_the_rate_down() -> None:
    # the first batch ends after a 5 s trace: marks start at its end, so the rate is the steady one at once
    marks = [(5.0, 128), *steady(1.0, 0.05, 128, start=5.05, images=256)]
    assert window_rate(marks) == pytest.approx(128 / 0.05, rel=0.06)


def test_sparse_marks_still_give_a_rate() -> None:
    # steps_per_execution: one mark every 3 s; the window reaches back to the previous mark anyway
    assert window_rate([(0.0, 0), (3.0, 3000), (6.0, 6000)]) == pytest.approx(1000.0)


def test_eta_waits_until_it_means_something() -> None:
    assert eta_seconds(10_000, None, 10.0, 3) is None
    assert eta_seconds(10_000, 0.0, 10.0, 3) is None
    assert eta_seconds(10_000, 1000.0, MIN_ETA_MEASURED_S / 2, 0) is None  # a second in: no "about 1 min left"
    assert eta_seconds(10_000, 1000.0, MIN_ETA_MEASURED_S, 0) == pytest.approx(10.0)
    assert eta_seconds(10_000, 1000.0, 0.3, 1) == pytest.approx(10.0)  # a finished epoch is enough too
    assert eta_seconds(0, 1000.0, 5.0, 1) == 0.0 and eta_seconds(-5, 1000.0, 5.0, 1) == 0.0


def test_epoch_values_for_the_progress_record() -> None:
    from cnnlab.train.callbacks import epoch_values

    values = {("train", "loss"): 0.5, ("train", "accuracy"): 0.8, ("train", "lr"): 0.01, ("val", "loss"): 0.6,
              ("val", "accuracy"): 0.75, ("val", "auc"): 0.9}  # fmt: skip
    assert epoch_values(3, values) == {"epoch": 3, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.75}
    no_val = epoch_values(1, {("train", "loss"): 1.0, ("train", "accuracy"): float("nan")})
    assert no_val["epoch"] == 1 and no_val["loss"] == 1.0 and math.isnan(no_val["accuracy"])
    assert "val_loss" not in no_val


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_first_batch_point_is_written_at_once_and_epochs_land_in_the_progress_record(
    home_with_data: Path,
) -> None:
    """With points throttled to one per 30 s, the run's very first batch still writes one; each finished epoch puts
    its values into the progress record."""
    from cnnlab.runs.jobs import wait_for
    from cnnlab.runs.store import RunStore
    from cnnlab.train.launch import start_run

    store = RunStore()
    cfg = {"max_train_samples": 256, "batch_size": 32, "epochs": 2, "batch_metrics_every": 30.0}
    run = wait_for(start_run(cfg, store=store), timeout=240, store=store)
    assert run.status == "finished", run.reason
    batch = store.metrics(run.id, scope="batch")
    assert batch and batch[0].epoch == 1 and batch[0].step == 1
    last = store.epoch_table(run.id)[-1]
    values = run.progress["epoch_values"]
    assert values["epoch"] == 2
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert values[key] == pytest.approx(last[key])
    assert {"samples_per_s", "eta_s", "elapsed_s", "steps_per_epoch"} <= set(run.progress)
