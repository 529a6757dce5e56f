"""Learning-curve studies (the data budget and augmentation lab): every run checked before any is queued, the plan
sharing everything but n, augmentation, architecture and seed, a real study trained to the end from the CLI, its
rows and curve read from the runs' own final metrics, and the chart on a log axis."""

from __future__ import annotations

import json

import pytest
from errors_check import assert_translated, error_keys

from cnnlab import cli, studycharts
from cnnlab.runs import studies
from cnnlab.runs.store import RunStore
from cnnlab.train.config import ConfigError
from cnnlab.train.curves import curve_configs, curve_points, full_size, start_curve

pytestmark = pytest.mark.timeout(600)
CURVE_KEYS = {"engine.study.curve_size", "engine.study.curve_size_too_big", "engine.study.curve_no_sizes",
              "engine.study.curve_duplicate_sizes", "engine.study.curve_seeds", "engine.study.curve_augment",
              "engine.study.curve_archs"}  # fmt: skip


def _refused(**kwargs) -> ConfigError:
    archs = kwargs.pop("archs", ["lenet5"])
    with pytest.raises(ConfigError) as caught:
        start_curve(archs, **{"dataset": "mnist-sample", "epochs": 1, **kwargs}, store=RunStore())
    return caught.value


def test_a_bad_curve_is_refused_whole_with_every_problem_and_creates_nothing(home_with_data) -> None:
    many = _refused(archs=["lenet5", "mlp", "alexnet"], sizes=[5, 4000, "x", "full"], augment="maybe", seeds=4,
                    epochs=0)  # fmt: skip
    text = str(many)
    for words in ("1 or 2 architectures; 3 were given", "at least 10, or “full”; got 5",
                  "n=4000 is not less than the 3500", "got 'x'", "1 to 3 different seeds; got 4",
                  "one of off, on, both; got 'maybe'", "epochs must be at least 1"):  # fmt: skip
        assert words in text, text
    errors = [
        many,
        _refused(sizes=[]),
        _refused(sizes=[250, 250]),
        _refused(archs=["lenet5", "nope"]),
        _refused(archs=["mlp", "mlp"]),
        _refused(seeds=[0, 0]),
    ]
    assert "no aug" not in str(errors[3]) and "nope: " in str(errors[3])  # one problem per architecture, said once
    seen = set().union(*(error_keys(e) for e in errors))
    assert seen >= CURVE_KEYS, CURVE_KEYS - seen
    assert_translated(errors)
    with RunStore() as store:
        assert studies.list_studies(store) == [] and store.list_runs() == []


def test_the_plan_shares_everything_but_n_augmentation_architecture_and_seed(home_with_data) -> None:
    settings, entries = curve_configs(["lenet5", "mlp"], dataset="mnist-sample", epochs=2, seeds=[1, 2])
    assert settings["sizes"] == [250, 500, 1000, 2000, "full"] and settings["full_n"] == full_size("mnist-sample")
    assert len(entries) == 5 * 2 * 2 * 2
    assert entries[0][0] == "lenet5 · n=250 · no aug · seed 1"
    assert entries[19][0] == "mlp · n=all (3,500) · aug · seed 1"  # the first seed's whole curve comes first
    assert [p.seed for _, p, _ in entries] == [1] * 20 + [2] * 20
    varying = ("arch", "seed", "max_train_samples", "augmentation")
    shared = [{k: v for k, v in config.items() if k not in varying} for *_, config in entries]
    assert all(s == shared[0] for s in shared) and shared[0]["epochs"] == 2
    for _, point, config in entries:
        assert config["max_train_samples"] == point.n and config["seed"] == point.seed
        assert bool(config["augmentation"]) is point.augmentation
    assert {str(c["augmentation"]) for *_, c in entries if c["augmentation"]} == {
        str({"translation": 0.1, "rotation": 0.05, "zoom": 0.1, "flip": False})  # the default recipe's
    }
    labels = [label for label, *_ in entries]
    assert len(set(labels)) == len(labels)
    _, one = curve_configs(["lenet5"], dataset="mnist-sample", epochs=1, sizes=["full", 500], augment="off")
    assert [label for label, *_ in one] == ["n=500 · no aug · seed 0", "n=all (3,500) · no aug · seed 0"]


def test_a_curve_is_the_mean_lowest_and_highest_over_finished_seeds() -> None:
    def row(n, aug, seed, status="finished", acc=None):
        return {"arch": "lenet5", "n": n, "augmentation": aug, "seed": seed, "status": status, "test_accuracy": acc}

    rows = [row(250, False, 0, acc=0.5), row(250, True, 0, acc=0.6), row(500, False, 0, acc=0.7),
            row(250, False, 1, acc=0.7), row(250, True, 1, "running"), row(500, False, 1, "failed")]  # fmt: skip
    [off, on] = curve_points(rows)
    assert (off["augmentation"], on["augmentation"]) == (False, True)
    assert off["points"][0] == {"n": 250, "mean": pytest.approx(0.6), "min": 0.5, "max": 0.7, "seeds": 2}
    assert off["points"][1] == {"n": 500, "mean": 0.7, "min": 0.7, "max": 0.7, "seeds": 1}
    assert on["points"] == [{"n": 250, "mean": 0.6, "min": 0.6, "max": 0.6, "seeds": 1}]


def test_the_chart_plots_accuracy_against_n_on_a_log_axis_one_line_per_architecture_and_augmentation() -> None:
    lines = [
        {"arch": a, "augmentation": aug, "points": [
            {"n": 250, "mean": 0.5, "min": 0.4, "max": 0.6, "seeds": 3},
            {"n": 3500, "mean": 0.9, "min": 0.9, "max": 0.9, "seeds": 1}]}
        for a in ("lenet5", "mlp") for aug in (False, True)
    ]  # fmt: skip
    labels = {"x": "Training images (n, log scale)", "y": "Test accuracy", "spread": "over {seeds} seeds",
              "full": "all 3,500"}  # fmt: skip
    fig = studycharts.curve_chart(lines, ["a", "b", "c", "d"], labels, full_n=3500)
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.title.text == labels["x"]
    assert list(fig.layout.xaxis.tickvals) == [250, 3500] and list(fig.layout.xaxis.ticktext) == ["250", "all 3,500"]
    assert len(fig.data) == 4 and [tr.name for tr in fig.data] == ["a", "b", "c", "d"]
    assert fig.layout.showlegend is True  # a single line is named too (no augmentation, say)
    assert [tr.line.dash for tr in fig.data] == ["dash", "solid", "dash", "solid"]  # no augmentation dashed
    firsts = [tr.x[0] for tr in fig.data]  # side by side at n=250, within a few per cent of it
    assert len(set(firsts)) == 4 and all(abs(x / 250 - 1) < 0.05 for x in firsts)
    bars = fig.data[0].error_y
    assert list(bars.array) == pytest.approx([0.1, 0.0]) and list(bars.arrayminus) == pytest.approx([0.1, 0.0])
    assert "over 3 seeds: 40.0%–60.0%" in fig.data[0].text[0] and "<br>" not in fig.data[0].text[1]
    assert fig.layout.yaxis.range[0] <= 0.4 - 0.05 and fig.layout.yaxis.tickformat == ".0%"


@pytest.mark.slow
def test_a_curve_from_the_cli_trains_every_point_and_its_rows_and_curve_are_the_runs_own(
    cnnlab_home, mnist_sample_cache, capsys
) -> None:
    argv = ["study", "--kind", "curve", "--arch", "lenet5", "--dataset", "mnist-sample", "--sizes", "250,500",
            "--augment", "both", "--seeds", "1", "--epochs", "1", "--json"]  # fmt: skip
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] == "curve" and summary["state"] == "finished"
    assert summary["settings"]["sizes"] == [250, 500] and summary["settings"]["augment"] == "both"
    assert [r["label"] for r in summary["rows"]] == [
        "n=250 · no aug · seed 0", "n=250 · aug · seed 0", "n=500 · no aug · seed 0", "n=500 · aug · seed 0"
    ]  # fmt: skip
    store = RunStore()
    accuracy = {}
    for row in summary["rows"]:
        run = store.get_run(row["run_id"])
        assert run.status == row["status"] == "finished" and run.epochs_done == 1
        assert run.config["max_train_samples"] == row["n"] and bool(run.config["augmentation"]) is row["augmentation"]
        assert row["test_accuracy"] == run.final_metrics["test_accuracy"] and 0 <= row["test_accuracy"] <= 1
        accuracy[(row["n"], row["augmentation"])] = row["test_accuracy"]
    configs = [store.get_run(r["run_id"]).config for r in summary["rows"]]
    shared = [{k: v for k, v in c.items() if k not in ("max_train_samples", "augmentation")} for c in configs]
    assert all(s == shared[0] for s in shared)  # same data, split, seed, architecture, epochs and recipe
    assert [(line["arch"], line["augmentation"]) for line in summary["curve"]] == [("lenet5", False), ("lenet5", True)]
    for line in summary["curve"]:
        assert [p["n"] for p in line["points"]] == [250, 500]
        for p in line["points"]:
            acc = accuracy[(p["n"], line["augmentation"])]
            assert p["mean"] == p["min"] == p["max"] == acc and p["seeds"] == 1
    assert cli.main(["studies", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["kind"] == "curve" and listed["id"] == summary["id"] and listed["curve"] == summary["curve"]
    assert cli.main(["studies"]) == 0
    text = capsys.readouterr().out
    assert "n=250 · aug · seed 0" in text and "curve lenet5 no aug: n=250: " in text


def test_the_cli_refuses_arena_only_flags_for_a_curve_and_names_bad_sizes(home_with_data, capsys) -> None:
    assert cli.main(["study", "--kind", "curve", "--arch", "lenet5", "--max-train-samples", "100"]) == 2
    assert "--sizes sets its images" in capsys.readouterr().err
    assert cli.main(["study", "--kind", "curve", "--arch", "lenet5", "--sizes", "250,lots"]) == 2
    assert "got 'lots'" in capsys.readouterr().err
    with RunStore() as store:
        assert studies.list_studies(store) == [] and store.list_runs() == []
