"""The Runs page through AppTest over a real trained run: one ticked run shows its curves, the table keeps to the
columns that fit the page, a missing value reads "—" (never "None"), and Resume updates the page at once."""

from __future__ import annotations

import json
import time

import pandas as pd

from cnnlab.errors import CnnLabError
from cnnlab.runs import store as rs
from cnnlab.runs.store import RunStore
from conftest import TINY_RUN_NAME, open_app

COLUMNS = ["Name", "Status", "Architecture", "Dataset", "Epochs", "Test accuracy", "Drawn digits", "Created"]


def ticked(*rows: int) -> dict:
    """What the runs table sends when these rows are ticked."""
    return {"runs_table": {"selection": {"rows": list(rows), "columns": [], "cells": []}}}


def shown_cells(at, index: int = 0) -> list[list[str]]:
    """A table's cells as the visitor reads them: a missing value as the table's placeholder, accuracies in %."""
    frame = at.dataframe[index]
    config = json.loads(frame.proto.columns or "{}")
    percent = {name for name, c in config.items() if c.get("type_config", {}).get("format") == "percent"}

    def shown(name, value) -> str:
        if pd.isna(value):
            return frame.proto.placeholder or "None"
        return f"{value:.2%}" if name in percent else str(value)

    table = frame.value
    return [[shown(name, row[name]) for name in table.columns] for _, row in table.iterrows()]


def page_text(at) -> str:
    parts = [*at.markdown, *at.caption, *at.subheader, *at.info, *at.error]
    return "\n".join(str(e.value) for e in parts)


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def other_run(store: RunStore, status: str, **config) -> str:
    """A second run row (no files), e.g. to compare with or to hold the training slot."""
    run_id = store.create_run(name="other", arch={"name": "mlp"}, dataset="mnist-sample", config=config, epochs=5)
    store.update_run(run_id, status=status, heartbeat=time.time())
    return run_id


def test_one_ticked_run_shows_its_curves(tiny_run):
    at = open_app("pages/runs.py", page_state=ticked(0))
    assert f"Curves of {TINY_RUN_NAME}" in [s.value for s in at.subheader]
    (figure,) = figures(at)
    names = {trace["name"] for trace in figure["data"]}
    assert names == {"training", "validation"} and all(trace["x"] == [1, 2] for trace in figure["data"])


def test_the_table_keeps_to_columns_that_fit_and_details_hold_the_rest(tiny_run):
    at = open_app("pages/runs.py", page_state=ticked(0))
    assert list(at.dataframe[0].value.columns) == COLUMNS
    details = next(m.value for m in at.markdown if m.value.startswith("**Status:**"))
    for label in ("Optimizer:** adam", "Learning rate:**", "Batch:**", "Training time:**", "Created:**"):
        assert label in details, label
    cells = shown_cells(at)[0]
    assert cells[1] == "Finished" and cells[4] == "2/2" and cells[6].endswith("%")  # accuracies in %


def test_a_stopped_run_shows_dashes_never_none(tiny_run):
    with RunStore() as store:
        store.update_run(tiny_run.run_id, status=rs.STOPPED, final_metrics={}, epochs_done=1,
                         reason=CnnLabError("engine.run.stopped"))  # fmt: skip
        other_run(store, rs.STOPPED, optimizer="sgd", init_model_path="/models/start.keras")
    at = open_app("pages/runs.py", page_state=ticked(1))  # newest first: the tiny run is the second row
    cells = shown_cells(at)
    assert cells[1][5] == "—" and cells[1][6] == "—"  # no accuracy yet
    assert not any(v in ("None", "nan", "NaN") for row in cells for v in row), cells
    assert "None" not in page_text(at) and "Why it ended: stopped on request" in page_text(at)

    both = open_app("pages/runs.py", page_state=ticked(0, 1))  # the settings diff
    diff = shown_cells(both, 1)
    assert ["/models/start.keras", "—"] in diff and not any("None" in v for row in diff for v in row), diff


def test_resume_on_the_runs_page_updates_the_row_and_the_buttons_at_once(tiny_run):
    with RunStore() as store:
        store.update_run(tiny_run.run_id, status=rs.STOPPED, epochs_done=1, reason=CnnLabError("engine.run.stopped"))
        other_run(store, rs.RUNNING)  # holds the training slot: the resumed run waits in the queue
    at = open_app("pages/runs.py", page_state=ticked(1))
    assert shown_cells(at)[1][1] == "Stopped"
    next(b for b in at.button if b.label == "Resume").click().run()
    assert not at.exception
    with RunStore() as store:
        assert store.get_run(tiny_run.run_id).status == rs.QUEUED
    assert shown_cells(at)[1][1] == "Queued"
    labels = {b.label for b in at.button}
    assert "Resume" not in labels and "Stop" in labels


def test_a_run_of_a_study_links_to_its_comparison(tiny_run):
    from cnnlab.runs import studies
    from cnnlab.runs.store import RunStore

    with RunStore() as store:
        study = studies.create_study(store, name="my arena", kind="arena", settings={})
        studies.add_run(store, study, tiny_run.run_id, "lenet5")
    at = open_app("pages/runs.py", page_state=ticked(0))
    links = [e for e in at.get("page_link") if "my arena" in e.proto.label]
    assert links and f"study={study}" in links[0].proto.page + "?" + str(links[0].proto.query_string), links[0].proto


def test_rename_says_it_was_done_and_the_sidebar_speaks_of_the_shown_run(tiny_run):
    at = open_app("pages/runs.py", page_state=ticked(0))
    at.text_input[-1].set_value("my first model")
    next(b for b in at.button if b.label == "Rename").click().run()
    assert any("Renamed to “my first model”" in s.value for s in at.success), [s.value for s in at.success]
    train = open_app("pages/train.py", run_id=tiny_run.run_id, arch_spec={"name": "simple_cnn"}, dataset="other")
    sidebar = " ".join(c.value for c in train.sidebar.caption)  # the run in view, not what Build or Data last showed
    assert "my first model" in sidebar and "LeNet-5" in sidebar and "mnist-sample" in sidebar, sidebar
