"""Step checks and question answers, computed from the learner's real run and spec; progress kept per learner."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from cnnlab.arch.analysis import analyze
from cnnlab.arch.presets import preset
from cnnlab.learn import checks, progress
from cnnlab.learn.checks import Context, NoModel
from cnnlab.runs.store import RunStore


def test_the_tiny_runs_checks_and_answers_come_from_the_run_itself(tiny_run):
    with RunStore() as store:
        runs = store.list_runs()
        run = store.get_run(tiny_run.run_id)
    ctx = Context(runs=runs)
    assert checks.passed({"run_finished": {"arch": "lenet5", "dataset": "mnist-sample"}}, ctx)
    assert not checks.passed({"run_finished": {"arch": "alexnet"}}, ctx)
    assert not checks.passed({"run_finished": {"arch": "lenet5", "epochs": 50}}, ctx)

    params = checks.answer({"layer_params": {"layer": 1, "model": "lenet5"}}, ctx)
    assert params["answer"] == 156 == analyze(preset("lenet5")).rows[0].params
    assert params["formula"] == "5×5×1×6 + 6 = 156" and params["run"] == run.name
    dense = checks.answer({"layer_params": {"layer": 6, "model": "lenet5"}}, ctx)
    assert dense["formula"] == "256×120 + 120 = 30,840"
    assert checks.answer({"layer_output": {"layer": 4, "model": "lenet5"}}, ctx)["answer"] == "4×4×16"

    confused = checks.answer({"most_confused": {"label": "4", "model": "lenet5"}}, ctx)
    cm = np.asarray(run.evaluation["confusion_matrix"])
    names = run.evaluation["class_names"]
    row = cm[names.index("4")].copy()
    row[names.index("4")] = -1
    assert confused["answer"] == names[int(row.argmax())] and confused["count"] == int(row.max())
    assert confused["total"] == int(cm[names.index("4")].sum())


def test_questions_about_a_model_that_does_not_exist_yet_say_so():
    with pytest.raises(NoModel) as e:
        checks.answer({"layer_params": {"layer": 1, "model": "lenet5"}}, Context())
    assert "training step" in str(e.value)
    with pytest.raises(NoModel):
        checks.answer({"layer_output": {"layer": 40, "model": "build"}}, Context())


def test_build_and_sandbox_answers_follow_the_learners_settings():
    ctx = Context(spec=preset("lenet5").to_dict())
    assert checks.answer({"layer_output": {"layer": 2, "model": "build"}}, ctx)["answer"] == "12×12×6"
    assert checks.answer({"receptive_field": {"layer": 4, "model": "build"}}, ctx)["answer"] == "16×16"
    simple = Context(spec=preset("simple_cnn").to_dict())
    assert checks.answer({"layer_output": {"layer": 2, "model": "build"}}, simple)["answer"] == "13×13×32"

    sandbox = {"shape": (28, 28), "size": 3, "padding": "valid", "stride": 2}
    ctx = Context(sandbox=sandbox)
    assert checks.answer({"sandbox_conv_params": {}}, ctx)["answer"] == 10
    assert checks.answer({"sandbox_output_size": {}}, ctx)["answer"] == "13×13"
    assert checks.answer({"sandbox_dense_params": {}}, ctx)["answer"] == 784 * 169 + 169
    same = Context(sandbox={**sandbox, "padding": "same", "stride": 1})
    assert checks.answer({"sandbox_output_size": {}}, same)["answer"] == "28×28"


def test_checks_read_the_spec_the_sandbox_and_the_progress():
    done = {"visited": ["build"], "answered": {"lenet5/q": "1"}, "sandbox": [{"stride": 2}]}
    ctx = Context(spec=preset("lenet5").to_dict(), sandbox={"kernel": "blur", "stride": 1}, progress=done)
    assert checks.passed({"spec_has_layer": {"type": "Conv2D", "count": 2}}, ctx)
    assert not checks.passed({"spec_has_layer": {"type": "Conv2D", "count": 3}}, ctx)
    assert checks.passed({"page_visited": {"page": "build"}, "sandbox": {"kernel": "blur"}}, ctx)
    assert checks.passed({"sandbox": {"stride": 2}}, ctx)  # tried earlier
    assert not checks.passed({"sandbox": {"stride": 3}}, ctx)
    assert checks.passed({"answered": {"question": "q"}}, ctx, "lenet5")
    assert not checks.passed({"answered": {"question": "q"}}, ctx, "pooling")
    assert not checks.passed({}, ctx)  # a step without a check is ticked by hand


def test_answers_compare_like_a_person_would():
    assert checks.same("12 x 12 x 6", "12×12×6") and checks.same("30840", "30,840") and checks.same(" 7 ", 7)
    assert not checks.same("12×12", "12×12×6")


def test_progress_is_kept_per_learner_and_survives_concurrent_writers(cnnlab_home):
    progress.tick("ann", "convolution", "edges")
    progress.answered("ann", "convolution/conv_params", "10")
    progress.visited("ann", "build")
    progress.tried("ann", {"kernel": "blur", "stride": 1, "shape": (9, 9)})
    data = progress.load("ann")
    assert progress.is_done(data, "convolution", "edges")
    assert data["answered"] == {"convolution/conv_params": "10"} and data["visited"] == ["build"]
    assert data["sandbox"] == [{"kernel": "blur", "stride": 1}]
    assert progress.load("bob") == {}
    assert progress.path("ann").parent == cnnlab_home / "learn"
    assert progress.safe_name("../../etc/passwd") == "etc_passwd" and progress.safe_name("  ") == "me"

    threads = [threading.Thread(target=progress.tick, args=("ann", "pooling", f"s{i}")) for i in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    done = progress.load("ann")["done"]
    assert {f"pooling/s{i}" for i in range(12)} <= set(done) and "convolution/edges" in done
    progress.untick("ann", "pooling")
    after = progress.load("ann")
    assert set(after["done"]) == {"convolution/edges"} and after["sandbox"] == after["visited"] == []
    progress.untick("ann", "convolution")
    assert progress.load("ann")["answered"] == {}
    progress.path("ann").write_text("{broken", encoding="utf-8")
    assert progress.load("ann") == {}  # a damaged file starts over instead of breaking the page
