"""One gate for every model path: regular files only, caps before reading, parsed and re-written in a capped child."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

from cnnlab.arch.build import build_model
from cnnlab.arch.kerasfile import inspect_keras_file
from cnnlab.arch.presets import preset
from cnnlab.arch.spec import SpecError
from cnnlab.errors import CnnLabError
from cnnlab.modelfiles import ModelFileError, ModelLimits, gate_path, load_model_file, screen_model
from cnnlab.untrusted import UntrustedFileError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lenet(tmp_path_factory) -> tuple[Path, Path, keras.Model]:
    folder = tmp_path_factory.mktemp("gate")
    model = build_model(preset("lenet5"))
    model.save(folder / "lenet.keras")
    model.save(folder / "lenet.h5")
    return folder / "lenet.keras", folder / "lenet.h5", model


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_only_regular_files_are_read(kind: str, tmp_path: Path) -> None:
    """/dev/zero once grew the server to 7.6 GB; a fifo would block the read forever."""
    if kind == "device":
        path = Path("/dev/zero")
    elif kind == "fifo":
        path = tmp_path / "model.keras"
        os.mkfifo(path)
    else:
        path = tmp_path / "model.keras"
        path.mkdir()
    with pytest.raises(ModelFileError) as caught:
        gate_path(path)
    assert caught.value.key == "engine.model.not_regular"
    assert "不是普通文件" in caught.value.message("zh")


def test_reading_stops_at_the_cap_even_when_the_size_lies(tmp_path: Path) -> None:
    """A /proc file reports a size of 0; the read itself stops one byte past the cap."""
    limits = ModelLimits(max_file_bytes=10)
    with pytest.raises(ModelFileError) as caught:
        gate_path("/proc/self/maps", limits)  # regular, st_size 0, longer than 10 bytes
    assert caught.value.key == "engine.model.too_big"
    with pytest.raises(ModelFileError) as caught:
        gate_path(tmp_path / "absent.keras")
    assert caught.value.key == "engine.model.missing"


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_the_clean_copy_predicts_exactly_like_the_original(lenet, fmt: str) -> None:
    keras_path, h5_path, original = lenet
    model, check = load_model_file(keras_path if fmt == "keras" else h5_path)
    assert check.format == fmt and check.params == original.count_params() == model.count_params()
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), original.predict(x, verbose=0))


def test_the_server_process_never_opens_the_file_with_h5py(lenet) -> None:
    """The screening happens in the child: the calling process does not even import h5py for it."""
    _, h5_path, _ = lenet
    code = (
        "import sys\nfrom cnnlab.modelfiles import screen_model\n"
        f"clean, check = screen_model({str(h5_path)!r})\n"
        "assert clean[:8] == b'\\x89HDF\\r\\n\\x1a\\n' and check.params == 44426\n"
        "assert 'h5py' not in sys.modules, 'h5py imported in the parent'\nprint('ok')\n"
    )
    command = [sys.executable, "-c", code]
    out = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, timeout=120, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_weights_beyond_what_the_architecture_declares_are_refused(lenet, tmp_path: Path) -> None:
    """A file that declares 44k parameters but stores 50 MB of 'weights' never reaches Keras."""
    _, h5_path, _ = lenet
    bloated = tmp_path / "bloated.h5"
    bloated.write_bytes(h5_path.read_bytes())
    with h5py.File(bloated, "a") as f:
        f["model_weights"].create_dataset("padding", data=np.zeros(12_500_000, np.float32))
    with pytest.raises(ModelFileError) as caught:
        screen_model(bloated)
    assert caught.value.key == "engine.model.weights_damaged"


def test_a_transfer_base_on_a_device_is_a_sentence_on_build(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        inspect_keras_file("/dev/zero")
    assert "not a regular file" in str(caught.value)


def test_a_start_model_that_is_not_a_model_is_refused_before_the_run_is_queued(cnnlab_home, tmp_path) -> None:
    from cnnlab.train.config import ConfigError, prepare

    for path, words in (("/etc/passwd", "not a Keras model"), ("/dev/zero", "not a regular file")):
        with pytest.raises(ConfigError) as caught:
            prepare({"dataset": "mnist-sample", "arch": "lenet5", "epochs": 1, "init_model_path": path})
        assert words in str(caught.value), str(caught.value)


def test_mutated_model_files_end_in_our_errors_in_bounded_time(lenet) -> None:
    """Random byte damage to real .keras and .h5 files, screened in the child: a clean copy or one of our errors."""
    keras_path, h5_path, _ = lenet
    rng = random.Random(20)
    outcomes: dict[str, int] = {}
    for i in range(24):
        source = bytearray((keras_path if i % 2 else h5_path).read_bytes())
        for _ in range(rng.randint(1, 6)):
            source[rng.randrange(len(source))] = rng.randrange(256)
        started = time.monotonic()
        try:
            screen_model(bytes(source))
            outcome = "clean"
        except (ModelFileError, UntrustedFileError) as exc:
            outcome = exc.key
        except CnnLabError as exc:  # pragma: no cover - a keyed error of another class still names its key
            outcome = f"other {exc.key}"
        assert time.monotonic() - started < 60
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert not any(k.startswith("other") for k in outcomes), outcomes
    assert sum(outcomes.values()) == 24
