"""Hyperparameter sweeps: grid and seeded random expansion, caps and refusals before anything is queued, dropout
set on the architecture, the parallel-coordinates chart, and a real sweep trained to the end by the workers (from
the CLI), its best run's Train setup link, the Experiments page's Sweep tab opening Train with it, and stop/resume
of the whole sweep."""

from __future__ import annotations

import json
import time

import pytest

from cnnlab import cli
from cnnlab.runs import jobs, studies
from cnnlab.runs.store import RunStore
from cnnlab.train import sweeps
from cnnlab.train.config import ConfigError
from cnnlab.train.setup_link import decode_setup
from cnnlab.train.studies import resume_study, stop_study
from conftest import checkpoint, copy_home, data_home, open_app, run_cli, seed_sample

SPACE = {"learning_rate": [0.001, 0.005, 0.02], "batch_size": [32, 64], "optimizer": ["adam", "sgd"]}


def test_a_grid_is_every_combination_and_a_random_search_a_seeded_draw_without_repeats() -> None:
    grid = sweeps.combinations(SPACE)
    assert len(grid) == 12 and len({json.dumps(c, sort_keys=True) for c in grid}) == 12
    assert grid[0] == {"learning_rate": 0.001, "batch_size": 32, "optimizer": "adam"}
    assert grid[1] == {"learning_rate": 0.001, "batch_size": 32, "optimizer": "sgd"}  # the last changes fastest
    drawn = sweeps.combinations(SPACE, "random", 8, seed=3)
    assert len(drawn) == 8 and len({json.dumps(c, sort_keys=True) for c in drawn}) == 8
    assert all(c in grid for c in drawn)
    assert sweeps.combinations(SPACE, "random", 8, seed=3) == drawn  # the same seed draws the same trials
    assert sweeps.combinations(SPACE, "random", 12, seed=1) != grid  # ... in its own order
    assert sorted(map(str, sweeps.combinations(SPACE, "random", 12, seed=1))) == sorted(map(str, grid))
    assert sweeps.combinations({"epochs": [1, 2, 2.0], "dropout": [0, 0.5]}) == [
        {"dropout": 0.0, "epochs": 1},
        {"dropout": 0.0, "epochs": 2},
        {"dropout": 0.5, "epochs": 1},
        {"dropout": 0.5, "epochs": 2},
    ]  # fmt: skip  (axis order, a value given twice counts once)


@pytest.mark.parametrize(
    ("space", "mode", "trials", "english", "chinese"),
    [
        ({"learning_rate": [0.001]}, "grid", None, "this grid makes 1", "共 1 次"),
        ({"learning_rate": [1e-4, 2e-4, 5e-4, 1e-3, 2e-3], "batch_size": [8, 16, 32, 64, 128]}, "grid", None,
         "2 to 24 runs and this grid makes 25", "2 到 24"),
        ({"learning_rate": [0.001, 0.005]}, "random", 3, "only 2 different configurations", "只能组成 2 种"),
        ({"learning_rate": [0.001, 0.005]}, "random", 30, "2 to 24 configurations, not 30", "而不是 30"),
        ({"momentum": [0.9], "epochs": [0.5]}, "grid", None, "cannot sweep momentum", "无法搜索 momentum"),
        ({"optimizer": ["adagrad"], "dropout": [1.0]}, "grid", None, "'adagrad' is not one of", "丢弃率"),
        ({"batch_size": []}, "grid", None, "batch_size: give at least one value", "请至少给出一个取值"),
        ({"learning_rate": [0.001, 0.002]}, "bayes", None, "one of grid, random, not 'bayes'", "搜索方式"),
    ],
)  # fmt: skip
def test_a_sweep_out_of_bounds_is_refused_in_words_and_queues_nothing(
    home_with_data, space, mode, trials, english, chinese
) -> None:
    store = RunStore()
    with pytest.raises(ConfigError) as caught:
        sweeps.start_sweep("lenet5", dataset="mnist-sample", space=space, mode=mode, trials=trials, store=store)
    assert english in str(caught.value), str(caught.value)
    assert chinese in caught.value.message("zh"), caught.value.message("zh")
    assert studies.list_studies(store) == [] and store.list_runs() == []


def test_every_configuration_is_checked_before_any_run_is_queued(home_with_data) -> None:
    store = RunStore()
    space = {"learning_rate": [0.001, 20.0], "batch_size": [64, 9000]}
    with pytest.raises(ConfigError) as caught:
        sweeps.start_sweep("lenet5", dataset="mnist-sample", space=space, epochs=1, store=store)
    text = str(caught.value)
    assert "lr 20 · batch 64: learning_rate must be above 0 and at most 10.0" in text, text
    assert "lr 0.001 · batch 9000: Batch size 9000 is larger than" in text, text
    assert text.count("learning_rate must be") == 1  # each problem once, naming the first configuration
    assert studies.list_studies(store) == [] and store.list_runs() == []


def test_dropout_is_set_on_the_architectures_dropout_layers_or_added_before_the_classifier() -> None:
    lenet = sweeps.with_dropout("lenet5", 0.3, "mnist-sample")
    assert [layer["type"] for layer in lenet["layers"]][-3:] == ["Dense", "Dense", "Dropout"]
    assert lenet["layers"][-1]["params"] == {"rate": 0.3} and sweeps.dropout_of(lenet) == 0.3
    assert sweeps.with_dropout("lenet5", 0.0, "mnist-sample") == "lenet5"  # nothing to drop: the preset as it is
    alexnet = sweeps.with_dropout("alexnet", 0.1, "mnist-sample")
    rates = [layer["params"]["rate"] for layer in alexnet["layers"] if layer["type"] == "Dropout"]
    assert rates == [0.1, 0.1] and len(alexnet["layers"]) == 13  # its own two layers, none added


def test_the_parallel_coordinates_have_an_axis_per_swept_setting_then_test_accuracy() -> None:
    from cnnlab.studycharts import sweep_parcoords

    rows = [
        {"learning_rate": 0.001, "optimizer": "sgd", "dropout": 0.0, "test_accuracy": 0.91},
        {"learning_rate": 0.01, "optimizer": "adam", "dropout": 0.25, "test_accuracy": 0.95},
        {"learning_rate": 0.1, "optimizer": "adam", "dropout": 0.0, "test_accuracy": 0.80},
        {"learning_rate": 0.1, "optimizer": "sgd", "dropout": 0.0, "test_accuracy": None},  # still training
    ]
    names = {"learning_rate": "Learning rate", "optimizer": "Optimizer", "dropout": "Dropout",
             "test_accuracy": "Test accuracy"}  # fmt: skip
    fig = sweep_parcoords(rows, ["learning_rate", "optimizer", "dropout"], names)
    [trace] = fig.data
    assert trace.type == "parcoords"
    dims = trace.dimensions
    assert [d.label for d in dims] == ["Learning rate", "Optimizer", "Dropout", "Test accuracy"]
    assert list(dims[0].values) == [-3.0, -2.0, -1.0]  # a log scale, ticked at the rates swept
    assert list(dims[0].ticktext) == ["0.001", "0.01", "0.1"]
    assert list(dims[1].ticktext) == ["adam", "sgd"] and list(dims[1].values) == [1, 0, 0]
    assert list(dims[3].values) == [0.91, 0.95, 0.80] and list(trace.line.color) == [0.91, 0.95, 0.80]
    assert fig.layout.height == 420


# ---------------------------------------------------------------- a real sweep, trained by the workers

CLI_SWEEP = ["study", "--kind", "sweep", "--arch", "lenet5", "--dataset", "mnist-sample", "--learning-rate",
             "0.001,0.005", "--dropout", "0.25", "--epochs", "1", "--max-train-samples", "256", "--json"]  # fmt: skip


@pytest.fixture(scope="module")
def sweep_home(tmp_path_factory, mnist_sample_cache):
    """A home with one finished two-run sweep, run by the CLI in its own process (as a user would): (home,
    the JSON it printed). Never change it: each test copies it into its own home."""
    with data_home(tmp_path_factory.mktemp("sweep-home")) as home:
        seed_sample(home, mnist_sample_cache)
        done = run_cli(*CLI_SWEEP, timeout=500)
        assert done.returncode == 0, done.stderr[-3000:]
    checkpoint(home)
    return home, json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.timeout(700)
def test_a_sweep_from_the_cli_trains_every_configuration_and_lists_it_as_a_sweep(sweep_home, cnnlab_home, capsys):
    home, summary = sweep_home
    assert summary["kind"] == "sweep" and summary["state"] == "finished"
    assert summary["settings"]["space"] == {"learning_rate": [0.001, 0.005], "dropout": [0.25], "epochs": [1]}
    assert [r["label"] for r in summary["rows"]] == ["lr 0.001", "lr 0.005"]  # what tells them apart
    for row, lr in zip(summary["rows"], (0.001, 0.005), strict=True):
        assert row["status"] == "finished" and row["learning_rate"] == lr and row["dropout"] == 0.25
        assert 0 <= row["test_accuracy"] <= 1 and 0 <= row["val_accuracy"] <= 1 and row["train_seconds"] > 0
    best = max(summary["rows"], key=lambda r: (r["test_accuracy"], r["val_accuracy"]))
    assert summary["best"] == best["run_id"]
    copy_home(home, cnnlab_home)
    store = RunStore()
    for row in summary["rows"]:
        config = store.get_run(row["run_id"]).config
        assert config["learning_rate"] == row["learning_rate"] and config["epochs"] == 1
        assert config["max_train_samples"] == 256 and sweeps.dropout_of(config["arch"]) == 0.25
    assert cli.main(["studies", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["kind"] == "sweep" and listed["id"] == summary["id"] and listed["rows"] == summary["rows"]
    assert cli.main(["studies"]) == 0
    text = capsys.readouterr().out
    assert f" *lr {best['learning_rate']:g}" in text and summary["id"] in text  # the best one starred


@pytest.mark.slow
@pytest.mark.timeout(700)
def test_the_best_run_s_setup_link_decodes_to_the_configuration_it_trained(sweep_home, cnnlab_home) -> None:
    home, summary = sweep_home
    copy_home(home, cnnlab_home)
    store = RunStore()
    study = studies.get_study(store, summary["id"])
    top = sweeps.best(sweeps.sweep_rows(study, store))
    assert top["run_id"] == summary["best"]
    query = sweeps.best_setup(top, store)
    assert set(query) == {"dataset", "spec", "setup"}  # the architecture with its Dropout travels as a spec
    decoded = decode_setup(query)
    trained = store.get_run(top["run_id"]).config
    assert decoded["dataset"] == "mnist-sample" and decoded["learning_rate"] == top["learning_rate"]
    assert decoded["epochs"] == 1 and decoded["batch_size"] == trained["batch_size"]
    assert decoded["optimizer"] == trained["optimizer"] and decoded["arch"] == trained["arch"]
    assert sweeps.dropout_of(decoded["arch"]) == 0.25


@pytest.mark.slow
@pytest.mark.timeout(700)
def test_the_sweep_tab_shows_the_sweep_and_opens_train_with_its_best_configuration(sweep_home, cnnlab_home):
    home, summary = sweep_home
    copy_home(home, cnnlab_home)
    at = open_app("pages/experiments.py")
    assert any("No studies yet" in i.value for i in at.info)  # the arena tab lists arenas only
    at.query_params["tab"] = "sweep"
    at.run()
    assert at.selectbox(key="sweep_study").value == summary["id"]
    best = next(r for r in summary["rows"] if r["run_id"] == summary["best"])
    [success] = at.success
    lr = f"{best['learning_rate']:g}"
    assert f"**Learning rate {lr}**, test accuracy {best['test_accuracy']:.1%}" in success.value
    table = at.dataframe[0].value
    assert list(table.columns) == ["Best", "Learning rate", "State", "Test accuracy", "Validation accuracy",
                                   "Training time"]  # fmt: skip
    assert list(table["Learning rate"]) == [0.001, 0.005] and list(table["Best"]).count("★") == 1
    assert len(at.get("plotly_chart")) == 1
    zh = open_app("pages/experiments.py", lang="zh")
    zh.query_params["tab"] = "sweep"
    zh.run()
    assert f"目前最好：**学习率 {lr}**" in zh.success[0].value and "用最佳配置训练" in [b.label for b in zh.button]

    at.button(key="sweep_train_best").click().run()
    assert not at.exception, at.exception
    assert at.number_input(key="tr_learning_rate").value == best["learning_rate"]
    assert at.number_input(key="tr_epochs").value == 1
    assert at.selectbox(key="tr_dataset").value == "mnist-sample"
    assert at.selectbox(key="tr_arch").value == "build"  # LeNet-5 with its Dropout layer, offered as edited
    assert sweeps.dropout_of(at.session_state["arch_spec"]) == 0.25
    assert "run_id" not in at.session_state  # no run in view: the form is open


def test_the_cli_refuses_a_sweep_it_cannot_run_with_a_sentence(home_with_data) -> None:
    done = run_cli("study", "--kind", "sweep", "--arch", "lenet5,mlp", "--learning-rate", "0.001,0.01", "--json")
    assert done.returncode != 0 and "a sweep trains one architecture" in done.stderr, done.stderr
    done = run_cli("study", "--kind", "sweep", "--arch", "lenet5", "--learning-rate", "0.001,0.01", "--random", "3")
    assert done.returncode != 0 and "only 2 different configurations" in done.stderr, done.stderr
    done = run_cli("study", "--arch", "lenet5,mlp", "--epochs", "1,2")  # an arena: one number of epochs
    assert done.returncode != 0 and "give one --epochs" in done.stderr, done.stderr
    with RunStore() as store:
        assert store.list_runs() == []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_sweep_is_stopped_and_resumed_as_a_whole(home_with_data) -> None:
    store = RunStore()
    space = {"learning_rate": [0.001, 0.005]}
    study_id = sweeps.start_sweep("lenet5", dataset="mnist-sample", space=space, epochs=20, store=store,
                                  overrides={"max_train_samples": 256})  # fmt: skip
    assert stop_study(study_id, store).status == studies.STOPPED
    deadline = time.monotonic() + 300
    while (summary := sweeps.sweep_summary(studies.get_study(store, study_id), store))["state"] != "stopped":
        jobs.reconcile(store)
        assert time.monotonic() < deadline, summary
        time.sleep(0.3)
    assert {r["status"] for r in summary["rows"]} == {"stopped"} and summary["best"] is None
    resume_study(study_id, store)
    assert sweeps.sweep_summary(studies.get_study(store, study_id), store)["state"] == "running"
    stop_study(study_id, store)  # (20 epochs would take a while: resumed is what this checks)


@pytest.mark.slow
def test_a_run_of_a_sweep_links_to_the_sweep_tab(tiny_run) -> None:
    from tests.ui.test_runs_page import ticked

    with RunStore() as store:
        study = studies.create_study(store, name="my sweep", kind="sweep", settings={})
        studies.add_run(store, study, tiny_run.run_id, "lr 0.005")
    at = open_app("pages/runs.py", page_state=ticked(0))
    [link] = [e for e in at.get("page_link") if "my sweep" in e.proto.label]
    assert f"study={study}" in link.proto.query_string and "tab=sweep" in link.proto.query_string, link.proto


def test_the_sweep_form_says_what_it_cannot_start_and_queues_nothing(home_with_data) -> None:
    at = open_app("pages/experiments.py", page_state={"exp_tab__id": "sweep"})
    assert any("No sweeps yet" in i.value for i in at.info)
    assert any("4 runs will be queued" in c.value for c in at.caption)  # 2 learning rates x 2 batch sizes
    at.multiselect(key="sweep_learning_rate").set_value([0.001]).run()
    at.multiselect(key="sweep_batch_size").set_value([64]).run()
    assert any("this grid makes 1" in w.value for w in at.warning), [w.value for w in at.warning]
    at.button(key="sweep_start").click().run()
    assert any("This sweep cannot start" in e.value and "this grid makes 1" in e.value for e in at.error)
    with RunStore() as store:
        assert studies.list_studies(store) == [] and store.list_runs() == []


@pytest.mark.slow
def test_the_sweep_form_queues_one_run_per_configuration(home_with_data) -> None:
    at = open_app("pages/experiments.py", page_state={"exp_tab__id": "sweep"})
    at.segmented_control(key="sweep_mode").set_value("random").run()
    at.multiselect(key="sweep_optimizer").set_value(["adam", "sgd"]).run()
    at.multiselect(key="sweep_epochs").set_value([1]).run()
    at.number_input(key="sweep_trials").set_value(3).run()
    at.button(key="sweep_start").click().run()
    assert not at.exception, at.exception
    with RunStore() as store:
        [study] = studies.list_studies(store)
        stop_study(study.id, store)  # what was queued is what this checks, not the training
        assert study.kind == "sweep" and study.settings["mode"] == "random" and study.settings["trials"] == 3
        assert len(study.runs) == 3 and len(store.list_runs()) == 3
    assert at.selectbox(key="sweep_study").value == study.id  # the new sweep in view
