"""Experiments' learning-curve tab through AppTest: each tab lists only its own kind of study, a link opens a curve
in its tab, a bad curve is refused in words, and a real one started from the tab trains to its chart and table."""

from __future__ import annotations

import json
import time

import pytest

from cnnlab.runs import jobs, studies
from cnnlab.runs.store import RunStore
from cnnlab.train.studies import study_summary
from conftest import open_app


def _start(at):
    return next(b for b in at.button if b.label == "Start the learning curve").click().run()


def test_each_tab_lists_only_its_own_kind_and_a_link_opens_a_curve_in_its_tab(home_with_data) -> None:
    with RunStore() as store:
        arena = studies.create_study(store, name="an arena", kind="arena", settings={})
        curve = studies.create_study(store, name="a curve", kind="curve", settings={})
        newer = studies.create_study(store, name="a newer arena", kind="arena", settings={})
    at = open_app("pages/experiments.py")
    options = at.selectbox(key="exp_study").options  # (as shown: name · date)
    assert sorted(o.split(" · ")[0] for o in options) == ["a newer arena", "an arena"]  # only arenas here
    assert [o.split(" · ")[0] for o in at.selectbox(key="curve_study").options] == ["a curve"]
    assert at.selectbox(key="curve_study").value == curve
    assert at.query_params["study"] == newer  # the URL names the open tab's study, not the last tab's
    at.query_params["study"], at.query_params["tab"] = curve, "curve"
    at.run()
    assert at.selectbox(key="curve_study").value == curve and at.selectbox(key="exp_study").value == newer
    at.query_params["study"], at.query_params["tab"] = arena, "arena"
    at.run()
    assert at.selectbox(key="exp_study").value == arena and at.query_params["study"] == arena
    zh = open_app("pages/experiments.py", lang="zh")
    assert any("学习曲线" in str(tab.label) for tab in zh.tabs)


def test_an_empty_tab_offers_the_form_and_a_bad_curve_is_refused_with_a_sentence(home_with_data) -> None:
    at = open_app("pages/experiments.py")
    assert any("No learning curves yet" in i.value for i in at.info)
    assert at.multiselect(key="curve_sizes").value == [250, 500, 1000, 2000, "full"]  # capped by the 3,500 images
    assert any("10 runs: 5 sizes × 2 augmentation" in c.value for c in at.caption)
    at.multiselect(key="curve_archs").set_value([]).run()
    _start(at)
    assert any("1 or 2 architectures; 0 were given" in e.value for e in at.error), [e.value for e in at.error]
    with RunStore() as store:
        assert studies.list_studies(store) == [] and store.list_runs() == []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_curve_started_from_the_tab_trains_to_its_chart_and_table(home_with_data) -> None:
    at = open_app("pages/experiments.py", page_state={"curve_augment": "off"})
    at.multiselect(key="curve_sizes").set_value([250]).run()
    at.number_input(key="curve_epochs").set_value(1).run()
    assert any("1 runs: 1 sizes × 1 augmentation" in c.value for c in at.caption)
    _start(at)
    assert not at.exception and not at.error
    with RunStore() as store:
        [study] = studies.list_studies(store)
        assert study.kind == "curve" and study.settings["sizes"] == [250] and study.settings["augment"] == "off"
        assert at.selectbox(key="curve_study").value == study.id
        deadline = time.monotonic() + 400
        while (summary := study_summary(study, store))["state"] == "running":
            jobs.reconcile(store)
            assert time.monotonic() < deadline, summary
            time.sleep(0.5)
    assert summary["state"] == "finished", summary
    at.run()
    assert not at.exception
    assert any("Finished: 1 of 1" in str(p.proto.text) for p in at.get("progress"))
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    [curve] = [c for c in charts if c["layout"]["xaxis"].get("type") == "log"]
    assert [tr["name"] for tr in curve["data"]] == ["no augmentation"]
    assert curve["data"][0]["y"] == [summary["rows"][0]["test_accuracy"]]
    [table] = [d for d in at.dataframe if "Training images" in d.value.columns]
    assert table.value["Training images"].tolist() == [250] and table.value["Seed"].tolist() == [0]


def test_a_run_of_a_curve_links_to_the_curve_tab(tiny_run) -> None:
    with RunStore() as store:
        study = studies.create_study(store, name="my curve", kind="curve", settings={})
        studies.add_run(store, study, tiny_run.run_id, "n=250 · aug · seed 0")
    ticked = {"runs_table": {"selection": {"rows": [0], "columns": [], "cells": []}}}  # the run's row ticked
    at = open_app("pages/runs.py", page_state=ticked)
    [link] = [e for e in at.get("page_link") if "my curve" in e.proto.label]
    assert f"study={study}" in link.proto.query_string and "tab=curve" in link.proto.query_string, link.proto


def _wait_state(study_id: str, states: set[str], timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    with RunStore() as store:
        while (summary := study_summary(studies.get_study(store, study_id), store))["state"] not in states:
            jobs.reconcile(store)
            assert time.monotonic() < deadline, summary
            time.sleep(0.3)
    return summary


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_tab_stops_and_resumes_a_curve_as_a_whole(home_with_data) -> None:
    at = open_app("pages/experiments.py", page_state={"curve_augment": "off"})
    at.multiselect(key="curve_sizes").set_value([250, 500]).run()
    at.number_input(key="curve_epochs").set_value(30).run()
    _start(at)
    study_id = at.selectbox(key="curve_study").value
    next(b for b in at.button if b.label == "Stop the learning curve").click().run()
    summary = _wait_state(study_id, {"stopped"})
    assert {r["status"] for r in summary["rows"]} == {"stopped"}  # every run, the queued one too
    at.run()
    assert any("Stopped: 0 of 2 finished" in str(p.proto.text) for p in at.get("progress"))
    next(b for b in at.button if b.label == "Resume the learning curve").click().run()
    with RunStore() as store:
        assert studies.get_study(store, study_id).status == studies.ACTIVE
        assert study_summary(studies.get_study(store, study_id), store)["state"] == "running"
    next(b for b in at.button if b.label == "Stop the learning curve").click().run()  # (30 epochs: resumed is enough)
    _wait_state(study_id, {"stopped"})
