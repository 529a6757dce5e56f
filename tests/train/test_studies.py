"""Studies: an arena of architectures queued together, listed, stopped and resumed as a whole, and going on by
itself after its worker is killed."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from cnnlab import cli
from cnnlab.runs import jobs, studies
from cnnlab.runs.store import RunStore
from cnnlab.train.config import ConfigError
from cnnlab.train.studies import pareto_front, resume_study, start_arena, stop_study, study_summary

SMALL = {"max_train_samples": 256, "batch_size": 64}
pytestmark = pytest.mark.timeout(600)


def _wait_state(study_id: str, store: RunStore, states: set[str], timeout: float = 400) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        jobs.reconcile(store)
        summary = study_summary(studies.get_study(store, study_id), store)
        if summary["state"] in states:
            return summary
        assert time.monotonic() < deadline, summary
        time.sleep(0.3)


def test_a_bad_arena_is_refused_whole_and_creates_nothing(cnnlab_home) -> None:
    store = RunStore()
    for archs, words in ((["lenet5"], "2 to 6"), (["lenet5", "lenet5"], "once"), (["lenet5", "nope"], "nope")):
        with pytest.raises(ConfigError) as caught:
            start_arena(archs, dataset="mnist-sample", epochs=1, store=store)
        assert words in str(caught.value), str(caught.value)
        assert "2 到 6" in caught.value.problems[0].message("zh") or words != "2 to 6"
    assert studies.list_studies(store) == [] and store.list_runs() == []


def test_the_pareto_front_keeps_what_nothing_beats() -> None:
    points = [(1.0, 0.90), (2.0, 0.95), (3.0, 0.94), (2.0, 0.80), (0.5, 0.85)]
    assert pareto_front(points) == [True, True, False, False, True]


@pytest.mark.slow
def test_an_arena_from_the_cli_trains_every_entry_alike_and_lists_it(cnnlab_home, mnist_sample_cache, capsys) -> None:
    argv = ["study", "--arch", "lenet5,mlp", "--epochs", "1", "--max-train-samples", "256", "--json"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] == "arena" and summary["state"] == "finished"
    assert [r["label"] for r in summary["rows"]] == ["lenet5", "mlp"]
    for row in summary["rows"]:
        assert row["status"] == "finished" and row["params"] > 0 and row["macs"] > 0
        assert 0 <= row["test_accuracy"] <= 1 and 0 <= row["drawn_accuracy"] <= 1 and row["latency_ms"] > 0
    store = RunStore()
    configs = [store.get_run(r["run_id"]).config for r in summary["rows"]]
    shared = [{k: v for k, v in c.items() if k != "arch"} for c in configs]
    assert shared[0] == shared[1]  # same data, split, seed, augmentation and recipe
    assert cli.main(["studies", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["id"] == summary["id"] and listed["settings"]["archs"] == ["lenet5", "mlp"]
    assert [r["run_id"] for r in listed["runs"]] == [r["run_id"] for r in summary["rows"]]


@pytest.mark.slow
def test_a_killed_worker_does_not_end_the_study_and_stop_resume_act_on_all(cnnlab_home, mnist_sample_cache) -> None:
    store = RunStore()
    study_id = start_arena(["lenet5", "mlp"], dataset="mnist-sample", epochs=3, overrides=SMALL, store=store)
    first = studies.get_study(store, study_id).runs[0].run_id
    deadline = time.monotonic() + 300
    while not (store.get_run(first).progress or {}).get("phase"):  # training, with its signal handlers set
        jobs.reconcile(store)
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.kill(store.get_run(first).pid, signal.SIGKILL)  # the worker dies as if the machine went down
    summary = _wait_state(study_id, store, {"finished", "failed", "stopped"})
    assert summary["state"] == "finished", summary
    assert store.get_run(first).attempts >= 2  # it was queued again and finished on a second try
    assert len(store.list_runs()) == 2  # no duplicate runs

    again = start_arena(["lenet5", "mlp"], dataset="mnist-sample", epochs=20, overrides=SMALL, store=store)
    stopped = stop_study(again, store)
    assert stopped.status == studies.STOPPED
    summary = _wait_state(again, store, {"stopped"})
    assert {r["status"] for r in summary["rows"]} <= {"stopped"}
    resume_study(again, store)
    assert study_summary(studies.get_study(store, again), store)["state"] == "running"
    stop_study(again, store)  # (20 epochs would take a while: resumed is what this checks)


@pytest.mark.slow
def test_an_arena_with_a_budget_in_seconds_trains_each_entry_until_its_training_time_reaches_it(
    cnnlab_home, mnist_sample_cache, capsys
) -> None:
    argv = ["study", "--arch", "lenet5,mlp", "--seconds", "1.5", "--max-train-samples", "256", "--json"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["state"] == "finished" and summary["settings"]["time_budget_s"] == 1.5
    store = RunStore()
    for row in summary["rows"]:
        run = store.get_run(row["run_id"])
        assert run.status == "finished" and run.config["time_budget_s"] == 1.5 and run.epochs == 100
        seconds = [e["seconds"] for e in store.epoch_table(run.id)]
        assert len(seconds) == run.epochs_done < 100  # the budget ended it, not the epochs
        assert sum(seconds) >= 1.5 > sum(seconds[:-1])  # ... after the very epoch that reached it
        assert run.final_metrics["budget_reached"] is True and run.final_metrics["test_accuracy"] is not None
        assert "time budget of 1.5 s" in run.reason and "1.5 秒" in run.reason_error.message("zh")
