"""`python -m cnnlab predict RUN IMAGE... --json`: per-image probabilities, the Predict page's preprocessing,
an error entry per bad file, and the exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import hostile
import keras
import numpy as np
import pytest
from drawing import digit_canvases
from PIL import Image

from cnnlab import cli
from cnnlab.inspection import prediction as teach
from cnnlab.inspection.forward import predictor
from cnnlab.runs.store import RunStore
from conftest import ROOT

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def images(tiny_run, tmp_path):
    """A photo of a digit on paper, a drawing, and three files that cannot be used (in a home with the tiny run)."""
    canvases, _ = digit_canvases(2, seed=21)
    files = {
        "paper.jpg": hostile.encode(Image.fromarray(255 - canvases[0][..., 0]).resize((400, 400)), "JPEG"),
        "drawing.png": hostile.encode(Image.fromarray(canvases[1]), "PNG"),
        "cut.png": hostile.truncated_png(),
        "fake.png": hostile.tiff_bytes(),
        "blank.gif": hostile.encode(Image.new("L", (50, 50), 255), "GIF"),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    return paths


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_probabilities_per_image_and_an_error_per_bad_file(tiny_run, images, capsys):
    base = tiny_run.run_id
    order = ["paper.jpg", "cut.png", "drawing.png", "fake.png", "blank.gif"]
    code, out, _ = run_cli(capsys, "predict", base, *(str(images[n]) for n in order), "--json")
    assert code == 0
    entries = json.loads(out)
    assert [e["image"] for e in entries] == [str(images[n]) for n in order]
    good = {os.path.basename(e["image"]): e for e in entries if "error" not in e}
    assert set(good) == {"paper.jpg", "drawing.png"}
    model = keras.saving.load_model(RunStore().get_run(base).best_model, compile=False)
    for name, entry in good.items():
        assert set(entry) == {"image", "probabilities", "prediction", "name"}
        probs = np.array(entry["probabilities"])
        assert probs.shape == (10,) and abs(probs.sum() - 1) < 1e-4
        assert entry["prediction"] == int(probs.argmax()) and entry["name"] == str(entry["prediction"])
        expected = predictor(model).predict_one(teach.image_for_model(images[name], (28, 28, 1)))
        np.testing.assert_allclose(probs, expected, atol=1e-5)  # the Predict page's own preprocessing
    errors = {os.path.basename(e["image"]): e["error"] for e in entries if "error" in e}
    assert set(errors) == {"cut.png", "fake.png", "blank.gif"}
    assert "truncated" in errors["cut.png"] and "TIFF image" in errors["fake.png"]
    assert "nothing to recognise" in errors["blank.gif"]


def test_all_bad_images_exit_2_and_unknown_runs_are_named(tiny_run, images, capsys):
    code, out, err = run_cli(capsys, "predict", tiny_run.run_id, str(images["cut.png"]), "/no/such.png", "--json")
    assert code == 2
    entries = json.loads(out)
    assert all("error" in e for e in entries) and "cannot read such.png" in entries[1]["error"]
    assert "none of the images" in err
    code, _, err = run_cli(capsys, "predict", "no-such-run", str(images["drawing.png"]))
    assert code == 2 and "no-such-run" in err


def test_text_output_by_run_name_in_a_real_process(tiny_run, images):
    env = {**os.environ, "CNNLAB_HOME": str(tiny_run.home)}
    out = subprocess.run(
        [sys.executable, "-m", "cnnlab", "predict", "tiny lenet", str(images["drawing.png"]), str(images["fake.png"])],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith(f"run {tiny_run.run_id} (tiny lenet)")
    assert lines[1].startswith(f"{images['drawing.png']}: ") and "(p=" in lines[1]
    assert "error: fake.png is a TIFF image" in lines[2]
