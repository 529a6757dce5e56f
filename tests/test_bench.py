"""The benchmark script runs end to end and reports every figure. Not a timing test: how fast is its business."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(800)]


@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("bench-home")
    env = {"CNNLAB_BENCH_HOME": str(home), "CNNLAB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "cnnlab.bench", "--quick", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=780, check=False,
        env={**os.environ, **env},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_training_throughput_is_measured_side_by_side(quick_bench: dict) -> None:
    train = quick_bench["train"]
    assert set(train["samples_per_s"]) == {"engine", "engine_no_live_metrics", "bare"}
    assert all(s["n"] == 2 and s["median"] > 0 for s in train["samples_per_s"].values())
    assert train["engine_over_bare"]["n"] == 2 and train["live_metrics_cost"]["n"] == 2
    assert train["onednn"]["engine"] is True  # cnnlab turns it on; the bare fit keeps TensorFlow's default
    assert train["batch_metric_rows"] > 0  # the live stream really wrote rows


def test_latencies_memory_and_cold_start_are_reported(quick_bench: dict) -> None:
    latency = quick_bench["latency"]
    for key in ("drawing_to_prediction_ms", "feature_maps_all_layers_ms"):
        assert latency[key]["n"] == 20 and latency[key]["min"] > 0
    assert latency["layers_mapped"] >= 4  # conv, pool, conv, pool at least
    memory = quick_bench["memory"]
    assert memory["status"] == "finished" and memory["worker_peak_rss_mib"] > 100
    cold = quick_bench["coldstart"]
    assert cold["served_s"]["n"] == 1 and cold["served_s"]["median"] > 0
    if Path("/usr/bin/chromium").exists():
        assert cold["rendered_s"]["median"] >= cold["served_s"]["median"]
    assert cold["tensorflow_loaded_after_home_data_build"] is False  # Home, Data, Build need no model


def test_both_recipes_report_native_and_drawn_accuracy(quick_bench: dict) -> None:
    recipes = quick_bench["recipes"]
    assert recipes["quick"] is True and recipes["dataset"] == "mnist-sample"
    for name in ("default", "drawings"):
        r = recipes[name]
        assert r["status"] == "finished" and r["epochs_done"] == r["epochs"] == 1, name
        assert 0.0 < r["test_accuracy"] <= 1.0 and 0.0 <= r["drawn_accuracy"] <= 1.0, name
        assert r["drawn_ratio"] == pytest.approx(r["drawn_accuracy"] / r["test_accuracy"]), name
        assert 0.0 <= r["drawn_accuracy_shifted"] <= 1.0 and 0 < r["train_s"] <= r["wall_s"], name
    measures = [row[0] for row in quick_bench["summary"]]
    assert "recipe default: test accuracy" in measures and "recipe drawings: test accuracy" in measures
    assert measures.count("... drawn / test") == 2


def test_first_point_with_and_without_the_standby_is_reported(quick_bench: dict) -> None:
    first = quick_bench["firstpoint"]
    for key in ("standby_s", "standby_other_recipe_s", "no_standby_s", "no_standby_over_standby"):
        assert first[key]["n"] == 1 and first[key]["median"] > 0, key
    assert first["standby_idle_rss_mib"] > 0 and first["standby_idle_uss_mib"] > 0
    measures = [row[0] for row in quick_bench["summary"]]
    assert "Train click -> first point (standby)" in measures and "... no standby" in measures
    assert "idle standby memory (resident / own)" in measures


def test_environment_and_summary_are_recorded(quick_bench: dict) -> None:
    env = quick_bench["env"]
    assert env["cpus"] >= 1 and env["versions"]["keras"] and env["TF_ENABLE_ONEDNN_OPTS (engine)"] == "1"
    measures = [row[0] for row in quick_bench["summary"]]
    assert "engine / bare fit" in measures and "drawing -> prediction" in measures
    assert "cold start: Home served" in measures


def test_probing_latencies_are_reported(quick_bench: dict) -> None:
    probe = quick_bench["probe"]
    assert probe["slider_update_ms"]["n"] == 20 and probe["slider_update_ms"]["min"] > 0
    assert probe["fgsm_search_ms"]["n"] == 3 and probe["activation_max_s"]["n"] == 1
    assert probe["neighbour_lookup_ms"]["n"] == 20 and probe["neighbour_index_images"] > 0
    assert probe["activation_max_layer"] == "conv2d_3" and probe["sweep_images"] > 0 and probe["sweep_s"] > 0
    assert probe["goals"] == {"slider_update_ms": 100.0, "activation_max_s": 5.0}
    measures = [row[0] for row in quick_bench["summary"]]
    assert "probe: slider update (transform + probabilities)" in measures
    assert "probe: activation maximisation, one layer" in measures


BAD_ARGS = [["train", "--rounds", "0"], ["--repeats", "-3"], ["--threads", "2"], ["--cold-starts", "x"]]


@pytest.mark.parametrize("argv", BAD_ARGS)
def test_bad_numbers_are_refused_with_a_message(argv: list[str], capsys) -> None:
    from cnnlab.bench import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)
    assert "error: argument --" in capsys.readouterr().err


def test_the_ray_runner_is_compared_with_the_local_runner(tmp_path) -> None:
    pytest.importorskip("ray", reason="Ray is not installed: pip install -r requirements-cluster.txt")
    env = {"CNNLAB_BENCH_HOME": str(tmp_path), "CNNLAB_OFFLINE": "1"}
    env = {**{k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}, **env}  # (its own private Ray instance)
    out = subprocess.run(
        [sys.executable, "-m", "cnnlab.bench", "ray", "--quick", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=780, check=False, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout)
    for key in ("first_point_s", "total_s", "samples_per_s"):
        assert res["local"][key]["n"] == res["ray"][key]["n"] == 1 and res["ray"][key]["median"] > 0, key
        assert res[f"ray_over_local_{key}"]["median"] > 0, key
    assert res["cluster"] == "a private Ray instance on this machine"
