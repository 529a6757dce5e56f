"""The engine's error sentences in the catalogue: complete in both languages, and each produced by the real engine.

Errors carry a catalogue key and values (cnnlab/errors.py); pages show `error.message(lang)`. The collectors in
test_errors_files.py, test_errors_arch.py and test_errors_runs.py drive the real loaders and validators with
hostile files and bad settings; each area checks its own errors read fully in Chinese. Here: the catalogue itself,
how keyed errors compose (nested reasons, lists of problems, engine-worded values), and that every key of the
files and architecture areas is produced by the engine or listed as not driven (the runs area has its own list).
"""

from __future__ import annotations

import string

import numpy as np
import pytest
from errors_check import CJK, LATIN, TERMS, _error, assert_translated, error_keys

from cnnlab.errors import CnnLabError, Phrase, from_data, to_data
from cnnlab.i18n import CATALOGUE, LANGUAGES, t
from tests.arch.test_errors_arch import spec_messages
from tests.data.test_errors_files import dataset_messages, image_messages, model_messages, npz_messages, zip_messages
from tests.runs.test_errors_runs import RUNS_AREA

ENGINE = {key: pair for key, pair in CATALOGUE.items() if key.startswith(("engine.", "build.issue."))}


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_engine_sentence_exists_in_both_languages_with_the_same_placeholders():
    assert len(ENGINE) > 250
    assert set(LANGUAGES) == {"en", "zh"}
    for key, (english, chinese) in ENGINE.items():
        assert english.strip() and chinese.strip(), key
        assert _fields(english) == _fields(chinese), key
        literal = " ".join(text for text, *_ in string.Formatter().parse(chinese))
        if key not in {"engine.config.problems", "build.issue.hint"} and literal.strip(" :：;；,，()（）"):
            assert CJK.search(chinese), key
        assert set(LATIN.findall(literal)) <= TERMS, (key, set(LATIN.findall(literal)) - TERMS)


def test_a_list_of_problems_reads_as_one_sentence_in_each_language():
    from cnnlab.train.config import ConfigError, TrainConfig

    problems = TrainConfig(epochs=0, optimizer="adagrad").problems()
    error = ConfigError(problems)
    assert str(error) == "; ".join(str(p) for p in problems)
    zh = error.message("zh").split("；")
    assert len(zh) == len(problems) and all(CJK.search(part) for part in zh)
    assert_translated([error])


def test_engine_words_and_run_states_are_translated_with_their_sentence():
    from cnnlab.data.images import ImageError
    from cnnlab.runs.jobs import JobError
    from cnnlab.runs.store import status_word

    empty = ImageError("engine.image.empty", label=Phrase("engine.word.the_image"))
    assert str(empty) == "the image is empty"
    assert empty.message("zh") == "这张图像是空文件"
    busy = JobError("engine.job.cannot_stop", run="20240101-abc", status=status_word("finished"))
    assert str(busy) == "run 20240101-abc is finished; only queued or running runs can be stopped"
    assert busy.message("zh") == "运行 20240101-abc 的状态是“已完成”；只有排队中或训练中的运行可以停止"


def test_a_reason_inside_a_reason_is_translated_in_turn_and_survives_the_store():
    from cnnlab.modelfiles import ModelFileError

    inner = CnnLabError("engine.ingest.archive_entries", entries=300, limit=64)
    outer = ModelFileError("engine.model.damaged_keras", reason=inner)
    assert str(inner) in str(outer)
    assert inner.message("zh") in outer.message("zh")
    again = from_data(to_data(outer))  # as a run's failure reason is stored and read back
    assert again.message("zh") == outer.message("zh") and str(again) == str(outer)


def test_text_that_is_no_key_shows_as_it_is():
    assert t("not a key at all", "zh") == "not a key at all"
    legacy = CnnLabError("an English sentence from an older run store")
    assert legacy.message("zh") == str(legacy) == "an English sentence from an older run store"


def test_shared_modules_refuse_with_keys():
    from cnnlab.imaging import ImagingError, mosaic, overlay, tile_channels
    from cnnlab.metrics import MetricsError, confusion_matrix

    errors = [
        _error(mosaic, np.zeros((0, 2, 2)), error=ImagingError),
        _error(overlay, np.zeros((4, 4, 2)), np.zeros((4, 4)), error=ImagingError),
        _error(tile_channels, np.zeros((4, 4)), error=ImagingError),
        _error(confusion_matrix, [0, 1], [0], 2, error=MetricsError),
        _error(confusion_matrix, [0, 5], [0, 1], 2, error=MetricsError),
    ]
    assert_translated(errors)


# Sentences no test here drives the engine to produce (machine-dependent or defensive); each is still checked by
# test_every_engine_sentence_exists_in_both_languages_with_the_same_placeholders.
NOT_DRIVEN = {
    # the model gate's own refusals, driven in tests/test_model_gate.py
    "engine.model.not_regular", "engine.model.weights_damaged", "engine.model.the_file",
    "engine.image.no_pixels",
    "engine.image.memory",
    "engine.ingest.not_a_file",
    "engine.ingest.unpacks_too_much",
    "engine.ingest.empty_name",
    "engine.ingest.x_empty",
    "engine.ingest.npy_load",
    "engine.ingest.array_lying_header",
    "engine.ingest.lying_header",
    "engine.model.h5_config_damaged",
    "engine.model.unknown_input_size",
    "engine.model.nested",
    "engine.model.input_undeclared",
    "engine.model.keras_failed",
    "engine.model.contains_code",
    "engine.spec.unknown_layer",
    "engine.spec.no_code_export",
    "engine.spec.weights_cached",
    "engine.spec.weights_download",
    "engine.word.base_image",
    "engine.data.cannot_save",  # a full disk: tests/data/test_ingest.py makes one in a child process
}  # fmt: skip
# Checked by key, with their own coverage test, in tests/runs/test_errors_runs.py (runs, training, inspection, export,
# teaching, demo), in tests/test_untrusted.py (files read in a capped child), tests/inspection/test_errors_probe.py
# (probing a model), tests/inspection/test_service.py (the model service), tests/train/test_setup_link.py (shared
# setup links), tests/ui/test_ui_structure.py (upload budgets), tests/runs/test_ray_runner.py (runners), and above
# (the shared modules).
ELSEWHERE = (
    "engine.metrics.", "engine.imaging.", "engine.config.", "engine.untrusted.", "engine.service.", "engine.probe.",
    "engine.link.", "engine.study.", "engine.learn.", "engine.upload.", "engine.runner.", *RUNS_AREA,
)  # fmt: skip


@pytest.mark.usefixtures("home_with_data")
def test_every_files_and_architecture_sentence_is_produced_by_the_engine_or_listed_as_not_driven(tmp_path):
    for folder in ("i", "m", "d"):
        (tmp_path / folder).mkdir()
    errors = [*image_messages(tmp_path / "i"), *zip_messages(), *npz_messages(), *spec_messages()]
    errors += [*model_messages(tmp_path / "m"), *dataset_messages(tmp_path / "d")]
    seen = set().union(*(error_keys(e) for e in errors))
    assert not seen & NOT_DRIVEN, seen & NOT_DRIVEN  # driven now: take it off the list
    own = {key for key in ENGINE if key.startswith("engine.") and not key.startswith(ELSEWHERE)}
    assert own - seen - NOT_DRIVEN == set()
