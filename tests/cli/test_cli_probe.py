"""`python -m cnnlab probe RUN --index N | --image FILE [--json]`: the prediction, the perturbation that flips it,
the robustness curves and the nearest training images for one input of a real run; refusals exit with status 2."""

from __future__ import annotations

import json

import hostile
import numpy as np
import pytest
from drawing import digit_canvases
from PIL import Image

from cnnlab import cli
from cnnlab.inspection.adversarial import fgsm
from cnnlab.inspection.forward import predictor
from cnnlab.modelfiles import load_model
from cnnlab.runs.files import run_dataset, run_model_path
from cnnlab.runs.store import RunStore
from conftest import run_cli as run_cli_process

pytestmark = pytest.mark.timeout(600)

FIELDS = {"run", "model", "dataset", "input", "label", "label_name", "prediction", "flip", "robustness", "neighbours",
          "neighbour_layer"}  # fmt: skip


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_probe_json_has_every_field_and_its_answers_hold(tiny_run, capsys):
    code, out, err = run_cli(capsys, "probe", tiny_run.run_id, "--index", "3", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert set(payload) == FIELDS
    store = RunStore()
    run = store.get_run(tiny_run.run_id)
    ds = run_dataset(run)
    model = load_model(run_model_path(store, run.id))
    image = ds.x_test[3].astype(np.float32) / 255.0
    probs = predictor(model).predict_one(image)
    assert payload["input"] == {"index": 3} and payload["label"] == int(ds.y_test[3])
    assert payload["dataset"] == "mnist-sample" and payload["run"] == run.id
    pred = payload["prediction"]
    assert pred["class"] == int(probs.argmax()) and np.allclose(pred["probabilities"], probs, atol=1e-5)
    flip = payload["flip"]
    assert set(flip) == {"method", "epsilon", "max_epsilon", "from_class", "to_class", "to_name"}
    assert flip["method"] == "fgsm" and flip["from_class"] == pred["class"]
    if flip["epsilon"] is not None:  # the reported epsilon really flips it, to the reported class
        assert fgsm(model, image, flip["epsilon"] + 1e-6).after == flip["to_class"] != pred["class"]
    curves = payload["robustness"]
    assert set(curves) == {"rotation", "shift_x", "shift_y", "thickness"}
    for curve in curves.values():
        assert set(curve) == {"values", "probabilities", "predicted"}
        assert len(curve["values"]) == len(curve["probabilities"]) == len(curve["predicted"]) > 1
        assert all(len(p) == 10 and abs(sum(p) - 1) < 1e-3 for p in curve["probabilities"])
    zero = curves["rotation"]["values"].index(0.0)
    assert np.allclose(curves["rotation"]["probabilities"][zero], probs, atol=1e-5)
    near = payload["neighbours"]
    assert len(near) == 5 and [n["distance"] for n in near] == sorted(n["distance"] for n in near)
    for n in near:
        assert set(n) == {"index", "label", "name", "distance"} and n["label"] == int(ds.y_train[n["index"]])


def test_probe_an_image_file_and_print_text(tiny_run, tmp_path, capsys):
    canvases, _ = digit_canvases(1, seed=3)
    path = tmp_path / "drawing.png"
    path.write_bytes(hostile.encode(Image.fromarray(canvases[0]), "PNG"))
    code, out, err = run_cli(capsys, "probe", "tiny lenet", "--image", str(path), "--method", "pgd", "--neighbours",
                             "3", "--json")  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert payload["input"] == {"image": str(path)} and payload["label"] is None and payload["label_name"] is None
    assert payload["flip"]["method"] == "pgd" and len(payload["neighbours"]) == 3
    code, out, _ = run_cli(capsys, "probe", tiny_run.run_id, "--index", "0")
    assert code == 0
    assert "test image 0" in out and "nearest training images" in out and "rotation" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "either --index N"),
        (["--index", "1", "--image", "x.png"], "either --index N"),
        (["--index", "100000"], "--index must be between 0 and"),
        (["--image", "missing.png"], "missing.png"),
        (["--index", "0", "--max-epsilon", "0"], "largest perturbation"),
        (["--index", "0", "--neighbours", "0"], "number of neighbours"),
    ],
)
def test_probe_refusals_exit_2_with_a_sentence(tiny_run, capsys, argv, message):
    code, _, err = run_cli(capsys, "probe", tiny_run.run_id, *argv)
    assert code == 2 and message in err, err


def test_probe_of_an_unknown_run_and_the_command_line(tiny_run):
    out = run_cli_process("probe", "no-such-run", "--index", "0")
    assert out.returncode == 2 and "no-such-run" in out.stderr
    assert "probe" in run_cli_process("--help").stdout
