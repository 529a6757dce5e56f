"""The engine's English error messages, shown in Chinese on Chinese pages (cnnlab/i18n/errors.py).

Messages come from the real loaders and validators fed hostile files and bad settings; each must be recognised
(Chinese, with no English left but the values copied from the message and deliberate technical terms), and
English must come back unchanged.
"""

from __future__ import annotations

import re
import string

from errors_check import CJK, LATIN, TERMS, error_keys
from test_errors_arch import spec_messages
from test_errors_files import dataset_messages, image_messages, model_messages, npz_messages, zip_messages
from test_errors_runs import RUNS_AREA, job_messages, training_messages

from cnnlab.i18n import CATALOGUE, errors, explain

# ---------------------------------------------------------------- collectors: the real engine, hostile inputs
















COLLECTORS = {
    "images": image_messages,
    "zips": lambda tmp: zip_messages(),
    "npz": lambda tmp: npz_messages(),
    "datasets": dataset_messages,
    "specs": lambda tmp: spec_messages(),
    "jobs": lambda tmp: job_messages(),
}


# ---------------------------------------------------------------- tests








def test_several_problems_are_explained_one_by_one():
    message = (
        "epochs must be at least 1 and at most 10000, got 0; batch_size 500 is larger than the 100 training images; "
        "use 100 or less; something the catalogue has never seen"
    )
    zh = explain(message, "zh")
    assert zh.split("；") == [
        "epochs 必须在 1 到 10000 之间，实际为 0",
        "批大小 batch_size（500）超过了训练图像的数量（100 张），请设为 100 或更小",
        "something the catalogue has never seen",
    ]


def test_unknown_messages_and_english_are_left_alone():
    for message in ("KeyError: 'x'", "", "a; b; c", "[Errno 2] No such file or directory: 'x'"):
        assert explain(message, "zh") == message
        assert explain(message, "en") == message
    assert explain(ValueError("x is empty"), "zh") == "x 是空的"


def test_values_are_copied_and_engine_words_translated():
    assert explain("the image is empty", "zh") == "这张图像是空文件"
    assert explain("run 20240101-abc is finished; only queued or running runs can be stopped", "zh") == (
        "运行 20240101-abc 的状态是“已完成”；只有排队中或训练中的运行可以停止"
    )
    nested = "the .keras file is damaged or unsafe: the archive has 300 entries; the limit is 64"
    assert explain(nested, "zh") == ".keras 文件已损坏或不安全：压缩包有 300 个条目，上限是 64"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_template_compiles_and_keeps_its_placeholders():
    assert len(errors.ENGINE) > 150
    for tpl in errors.templates():
        assert _fields(tpl.english) == _fields(tpl.chinese), tpl.key
        assert CJK.search(tpl.chinese), tpl.key
        literal = " ".join(text for text, *_ in string.Formatter().parse(tpl.chinese))
        assert set(LATIN.findall(literal)) <= TERMS, (tpl.key, set(LATIN.findall(literal)) - TERMS)
        filled = tpl.english.replace("{{", "{").replace("}}", "}")
        for name in _fields(tpl.english):
            filled = re.sub(r"\{" + name + r"[^}]*\}", f"<{name}>", filled)
        assert errors.match(filled) is not None, tpl.key
    assert all(key.startswith("engine.") and key in CATALOGUE for key in errors.ENGINE)


# Templates no test here drives the engine to produce (machine-dependent or defensive); each is still checked by
# test_every_template_compiles_and_keeps_its_placeholders.
NOT_DRIVEN = {
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
}  # fmt: skip
# Raised with their key from the start (not recognised from text): runs, training, inspection, export, teaching and
# demo errors are checked by key, with their own coverage test, in tests/test_errors_runs.py.
KEYED_PREFIXES = ("engine.metrics.", "engine.imaging.", *RUNS_AREA)
KEYED = {key for key in errors.ENGINE if key.startswith(KEYED_PREFIXES)}


def test_every_template_is_produced_by_the_engine_or_listed_as_not_driven(home_with_data, tmp_path):
    seen: set[str] = set()
    for folder in ("c", "m"):
        (tmp_path / folder).mkdir()
    messages = [m for collect in COLLECTORS.values() for m in collect(tmp_path / "c")]
    messages += model_messages(tmp_path / "m") + training_messages(tmp_path)
    for message in messages:  # keyed errors by their keys, legacy English text by the templates it matches
        seen |= error_keys(message)
    own = {key for key in seen if key.startswith("engine.")}
    assert not own & NOT_DRIVEN, own & NOT_DRIVEN  # driven now: take it off the list
    assert set(errors.ENGINE) - own - NOT_DRIVEN - KEYED == set()


# ---------------------------------------------------------------- pages




