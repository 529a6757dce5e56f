"""The model service: a trained model in its own process answers like the model itself, batches visitors'
predictions together, returns keyed errors, and comes back after it was killed."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest

from cnnlab.data.datasets import load_dataset
from cnnlab.inspection.features import feature_maps
from cnnlab.inspection.forward import InspectionError, predictor
from cnnlab.inspection.service import ModelHandle, ModelService
from cnnlab.modelfiles import load_model
from cnnlab.runs.files import run_model_path
from cnnlab.runs.store import RunStore

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def service():
    svc = ModelService()
    yield svc
    svc.stop()


@pytest.fixture
def model_path(tiny_run):
    return run_model_path(RunStore(), tiny_run.run_id)


def test_a_served_model_answers_like_the_model_itself(service, model_path):
    x = load_dataset("mnist-sample").x_test[:40]
    here = load_model(model_path)
    handle = ModelHandle(model_path, service)
    assert handle.input_shape == (28, 28, 1) and handle.info.classes == 10
    np.testing.assert_allclose(handle.predict(x), predictor(here).predict(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(handle.predict_one(x[3]), predictor(here).predict_one(x[3]), rtol=1e-5, atol=1e-6)
    served = handle.feature_maps(x[0])
    local = feature_maps(here, x[0])
    assert [m.name for m in served] == [m.name for m in local]
    for a, b in zip(served, local, strict=True):
        np.testing.assert_allclose(a.array, b.array, rtol=1e-5, atol=1e-5)


def test_predictions_that_arrive_together_run_as_one_batch(service, model_path):
    x = load_dataset("mnist-sample").x_test[:48]
    expected = predictor(load_model(model_path)).predict(x)
    handle = ModelHandle(model_path, service)
    handle.predict(x[:1])  # loaded and compiled before the crowd arrives
    answers: dict[int, np.ndarray] = {}
    start = threading.Barrier(24)

    def visitor(i: int) -> None:
        start.wait()
        for j in (2 * i, 2 * i + 1):
            answers[j] = handle.predict_one(x[j])

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(24)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for j, probs in answers.items():
        np.testing.assert_allclose(probs, expected[j], rtol=1e-5, atol=1e-6)
    assert service.stats()["largest_batch"] > 1  # several visitors' drawings went through the model together


def test_errors_come_back_with_their_key(service, model_path):
    handle = ModelHandle(model_path, service)
    with pytest.raises(InspectionError) as info:
        handle.grad_cam(np.zeros((28, 28), np.uint8), layer_name="no_such_layer")
    assert info.value.key.startswith("engine.inspect.") and "no_such_layer" in str(info.value)
    with pytest.raises(ValueError, match="no call"):
        handle.call("os.system")


def test_a_killed_service_is_started_again_on_the_next_request(service, model_path):
    handle = ModelHandle(model_path, service)
    first = service.stats()["pid"]
    os.kill(first, signal.SIGKILL)
    probs = handle.predict_one(np.zeros((28, 28), np.uint8))
    assert probs.shape == (10,) and abs(float(probs.sum()) - 1) < 1e-4
    assert service.stats()["pid"] != first
