"""Untrusted model files: refused before Keras allocates anything, loaded only with safe_mode=True."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnlab.arch.build import build_model
from cnnlab.arch.presets import preset
from cnnlab.modelfiles import ModelFileError, ModelLimits, check_model_bytes, load_model_file, sniff_model_format


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    """Real model files written by Keras itself: LeNet-5 in both formats, Lambda models in both formats."""
    folder = tmp_path_factory.mktemp("models")
    lenet = build_model(preset("lenet5"))
    lenet.save(folder / "lenet.keras")
    lenet.save(folder / "lenet.h5")
    lam = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda t: t * 2), keras.layers.Dense(2)])
    lam.save(folder / "lambda.keras")
    lam.save(folder / "lambda.h5")
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def rewrite_keras_config(data: bytes, edit, *, weights: bool = True) -> bytes:
    """A copy of a .keras archive whose config.json was changed by `edit(config)` (weights optional)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename.endswith(".h5") and not weights:
                continue
            body = src.read(info)
            if info.filename == "config.json":
                config = json.loads(body)
                edit(config)
                body = json.dumps(config).encode()
            dst.writestr(info.filename, body)
    return out.getvalue()


def test_lenet_files_are_checked_and_loaded(files):
    for name in ("lenet.keras", "lenet.h5"):
        check = check_model_bytes(files[name])
        assert check.params == 44426
        assert check.input_shape == (None, 28, 28, 1) and check.output_shape == (None, 10)
        model, check = load_model_file(files[name])
        assert model.count_params() == 44426
        x = np.zeros((1, 28, 28, 1), np.float32)
        assert model(x).shape == (1, 10)


def test_format_comes_from_magic_bytes_not_the_name(files, tmp_path):
    renamed = tmp_path / "model.h5"
    renamed.write_bytes(files["lenet.keras"])  # a .keras zip named .h5
    model, check = load_model_file(renamed)
    assert check.format == "keras" and model.count_params() == 44426
    assert sniff_model_format(files["lenet.h5"][:8]) == "h5"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    with pytest.raises(ModelFileError, match="not a Keras model"):
        check_model_bytes(png)


@pytest.mark.parametrize("name", ["lambda.keras", "lambda.h5"])
def test_lambda_layers_are_refused_in_both_formats(files, name):
    with pytest.raises(ModelFileError, match="Lambda"):
        load_model_file(files[name])


def test_dense_bomb_is_refused_before_allocation(files):
    """A small .keras declaring a 4-million-unit Dense (12.5 GB of weights) never reaches Keras."""

    def bomb(config):
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Dense" and layer["name"] == "dense_6":
                layer["config"]["units"] = 4_000_000

    data = rewrite_keras_config(files["lenet.keras"], bomb, weights=False)
    assert len(data) < 40_000
    with pytest.raises(ModelFileError, match="parameters"):
        load_model_file(data)


def test_lying_build_config_does_not_hide_a_bomb(files):
    """Shapes are propagated through the graph, so a small declared input size changes nothing."""

    def lie(config):
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Dense" and layer["name"] == "dense_6":
                layer["config"]["units"] = 3_000_000
                layer["build_config"] = {"input_shape": [None, 1]}
                for node in layer["inbound_nodes"]:
                    node["args"][0]["config"]["shape"] = [None, 1]

    with pytest.raises(ModelFileError, match="parameters"):
        check_model_bytes(rewrite_keras_config(files["lenet.keras"], lie))


def test_custom_classes_and_unknown_layers_are_refused(files):
    def custom(config):
        config["config"]["layers"][1]["module"] = "evil.module"
        config["config"]["layers"][1]["registered_name"] = "Evil>Conv"

    with pytest.raises(ModelFileError, match="custom class"):
        check_model_bytes(rewrite_keras_config(files["lenet.keras"], custom))

    def unknown(config):
        config["config"]["layers"][1]["class_name"] = "ConvLSTM2D"

    with pytest.raises(ModelFileError, match="not one CNN Lab can check"):
        check_model_bytes(rewrite_keras_config(files["lenet.keras"], unknown))


def test_truncated_and_oversized_files_are_refused(files, tmp_path):
    for name in ("lenet.keras", "lenet.h5"):
        with pytest.raises(ModelFileError):
            load_model_file(files[name][: len(files[name]) // 2])
    with pytest.raises(ModelFileError, match="limit"):
        check_model_bytes(files["lenet.keras"], ModelLimits(max_file_bytes=1000))
    with pytest.raises(ModelFileError, match="limit"):
        check_model_bytes(files["lenet.keras"], ModelLimits(max_config_bytes=100))
    empty = tmp_path / "empty.keras"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError):
        load_model_file(empty)


def test_zip_tricks_inside_a_keras_file_are_refused(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("config.json", zipfile.ZipFile(io.BytesIO(files["lenet.keras"])).read("config.json"))
        z.writestr("../escape.txt", b"x")
    with pytest.raises(ModelFileError, match="unsafe entry"):
        check_model_bytes(out.getvalue())


def test_nothing_is_left_behind_after_loading(files, cnnlab_home):
    load_model_file(files["lenet.keras"])
    with pytest.raises(ModelFileError):
        load_model_file(files["lambda.keras"])
    assert list(Path(cnnlab_home, "uploads").iterdir()) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_model_files_raise_only_our_error(files, data):
    """Random damage to real model files: either a clean check or ModelFileError, nothing else."""
    source = bytearray(files[data.draw(st.sampled_from(["lenet.keras", "lenet.h5"]))])
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(source) - 1))
        source[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        source = source[: data.draw(st.integers(0, len(source)))]
    try:
        check_model_bytes(bytes(source))
    except ModelFileError:
        pass
