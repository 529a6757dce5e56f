"""The quantization lab: real TensorFlow Lite conversions of the tiny run, each version measured by running it
(engine, CLI, and the Experiments page through AppTest)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnlab import cli
from cnnlab.arch.build import to_model_input
from cnnlab.modelfiles import load_model
from cnnlab.quantization import MODES, REPRESENTATIVE, convert, int8_kernel, lite_predict, quantize_run, stored_result
from cnnlab.runs.files import run_dataset, run_model_path
from cnnlab.runs.store import RunStore
from conftest import copy_home, data_home, open_app

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

INT8_TOLERANCE = 0.02  # int8's test accuracy stays within 2 points of float32's on the tiny LeNet-5


@pytest.fixture(scope="module")
def measured(tiny_run_home, tmp_path_factory):
    """A copy of the tiny run's home where the lab has run once (the result is kept in the run's folder)."""
    home = copy_home(tiny_run_home.home, tmp_path_factory.mktemp("quant-home"))
    with data_home(home), RunStore() as store:
        steps: list[tuple[int, int]] = []
        result = quantize_run(store, tiny_run_home.run_id, lambda done, total: steps.append((done, total)))
    assert steps == [(0, 3), (1, 3), (2, 3), (3, 3)]  # the page's progress bar moves per version
    return home, tiny_run_home.run_id, result


def test_int8_is_smaller_and_its_accuracy_is_what_running_it_gives(measured) -> None:
    home, run_id, result = measured
    variants = {v["mode"]: v for v in result["variants"]}
    assert list(variants) == list(MODES) and result["n_test"] > 0 and result["representative"] == 256
    assert variants["int8"]["size_bytes"] * 2.5 < variants["float32"]["size_bytes"]
    assert variants["dynamic"]["size_bytes"] * 2.5 < variants["float32"]["size_bytes"]
    assert abs(variants["int8"]["test_accuracy"] - variants["float32"]["test_accuracy"]) <= INT8_TOLERANCE
    for v in result["variants"]:
        confusion = np.array(v["confusion"])
        assert confusion.sum() == result["n_test"]
        assert np.trace(confusion) / result["n_test"] == pytest.approx(v["test_accuracy"])
        assert v["latency_ms"] > 0
    # the int8 file really is full-integer, and running it again gives the reported accuracy
    with data_home(home), RunStore() as store:
        run = store.get_run(run_id)
        ds = run_dataset(run)
        model = load_model(run_model_path(store, run_id))
    pick = np.random.default_rng(run.seed).permutation(len(ds.x_train))[:REPRESENTATIVE]
    int8 = convert(model, "int8", to_model_input(ds.x_train[pick]))
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_content=int8)
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert interpreter.get_output_details()[0]["dtype"] == np.int8
    again = (lite_predict(int8, to_model_input(ds.x_test)).argmax(axis=1) == ds.y_test).mean()
    assert again == pytest.approx(variants["int8"]["test_accuracy"])
    float_keras = (model.predict(to_model_input(ds.x_test), verbose=0).argmax(axis=1) == ds.y_test).mean()
    assert variants["float32"]["test_accuracy"] == pytest.approx(float_keras, abs=0.002)  # the same network
    # the kernel int8 stores is the trained one to within half a quantization step per channel
    kernel = model.get_layer(result["weights"]["layer"]).get_weights()[0]
    after = int8_kernel(int8, kernel)
    step = np.abs(kernel).max(axis=(0, 1, 2)) / 127
    assert after.shape == kernel.shape and np.all(np.abs(after - kernel) <= step / 2 + 1e-6)
    assert result["weights"]["max_abs_error"] == pytest.approx(float(np.abs(after - kernel).max()), rel=1e-5)
    assert sum(result["weights"]["float32"]) == sum(result["weights"]["int8"]) == kernel.size


def test_the_result_is_kept_per_checkpoint(measured, tmp_path) -> None:
    home, run_id, result = measured
    copy = copy_home(home, tmp_path / "home")
    with data_home(copy), RunStore() as store:
        assert stored_result(store, run_id) == result
        path = run_model_path(store, run_id)
        path.touch()  # a new checkpoint (say, a resumed run): measured again
        assert stored_result(store, run_id) is None


def test_the_cli_prints_the_lab_as_json(measured, capsys, monkeypatch) -> None:
    home, run_id, result = measured
    monkeypatch.setenv("CNNLAB_HOME", str(home))
    assert cli.main(["quantize", run_id[:15], "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(result))
    assert set(printed) >= {"run_id", "n_test", "variants", "weights", "class_names"}
    assert cli.main(["quantize", run_id]) == 0
    text = capsys.readouterr().out
    assert "int8" in text and "dynamic" in text and "KB" in text


def test_the_experiments_page_measures_a_run_and_shows_the_lab_after_a_reload(tiny_run) -> None:
    at = open_app("pages/experiments.py", page_state={"exp_tab": ":material/compress: Quantization"})
    assert at.selectbox(key="quant_run").value == tiny_run.run_id
    at.button(key="quant_go").click().run(timeout=300)
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    frame = at.dataframe[0].value
    assert list(frame["Version"]) == ["float32", "dynamic-range", "int8"]
    assert any("smaller" in m.value and "points" in m.value for m in at.markdown)
    zh = open_app("pages/experiments.py", lang="zh", page_state={"exp_tab": ":material/compress: 量化"})
    assert not [b for b in zh.button if b.key == "quant_go"]  # kept: shown at once, no TensorFlow needed
    assert list(zh.dataframe[0].value["版本"]) == ["float32", "动态范围量化", "int8"]
