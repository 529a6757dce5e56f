"""A classroom at once: one real browser draws on Predict (its messages are recorded), then thirty visitors send
their own drawings over Streamlit's websocket protocol at the same moment, against one `streamlit run app.py`.
Every visitor gets an answer, no error, and each answer is what the model itself says of that visitor's drawing
(the service batches them: nobody gets somebody else's prediction). Times are the benchmark's
(`python -m cnnlab.bench classroom`), not asserted here."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from browser import require_chromium, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]


def _expected(run_id: str, visitors: int) -> list[str]:
    import keras

    from cnnlab.bench.classroom import DIGITS, drawing_value
    from cnnlab.data.images import load_image
    from cnnlab.data.preprocess import canvas_to_mnist
    from cnnlab.inspection.forward import predictor
    from cnnlab.runs.store import RunStore

    model = predictor(keras.saving.load_model(RunStore().get_run(run_id).best_model, compile=False))
    answers = []
    for i in range(visitors):
        png = json.loads(drawing_value(DIGITS[i % 2], i))["drawing"]["png"].split(",", 1)[1]
        rgb = load_image(base64.b64decode(png), mode="RGB", background=(0, 0, 0))
        answers.append(str(int(np.argmax(model.predict_one(canvas_to_mnist(rgb))))))
    return answers


def test_thirty_visitors_drawing_at_once_each_get_their_own_answer(tiny_run):
    require_chromium()
    from cnnlab.bench.classroom import protocol_classroom

    with streamlit_server(tiny_run.home, {"CNNLAB_WARM": "1"}) as url:
        found = protocol_classroom(url, tiny_run.run_id, 30)
    assert found["errors"] == 0 and found["draw_to_answer_s"]["n"] == 30
    assert found["answers"] == _expected(tiny_run.run_id, 30)
