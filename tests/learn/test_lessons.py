"""Lessons are data: every shipped lesson loads in both languages with the same steps, a malformed file names its
line while the others still load, and a new file appears without any code change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cnnlab.errors import CnnLabError
from cnnlab.learn import lessons as ls
from cnnlab.learn.lessons import BUILTIN, LANGS, LessonError, load_all, parse


def _shape(lesson: ls.Lesson) -> tuple:
    """What must agree between the languages: steps, their checks and Do-it links, questions and their answers."""
    steps = [(s.id, s.check, s.do and (s.do["page"], s.do["params"])) for s in lesson.steps]
    return lesson.order, steps, [(q.id, q.answer) for q in lesson.questions]


def test_every_shipped_lesson_loads_in_every_language_with_the_same_steps():
    lessons, errors = load_all(dirs=[BUILTIN])
    assert errors == []
    by_lang = {lang: {lesson.id: lesson for lesson in lessons if lesson.lang == lang} for lang in LANGS}
    assert set(by_lang["en"]) >= {"convolution", "pooling", "lenet5"}
    for lang in LANGS:  # a missing translation fails here
        assert set(by_lang[lang]) == set(by_lang["en"]), f"lessons missing in {lang}"
    for lesson_id, en in by_lang["en"].items():
        zh = by_lang["zh"][lesson_id]
        assert _shape(zh) == _shape(en), lesson_id
        for a, b in zip(en.steps, zh.steps, strict=True):  # translated, not copied
            assert a.text != b.text and a.text.strip() and b.text.strip()
        assert en.title != zh.title and en.intro and zh.intro
        for q in en.questions + zh.questions:
            assert q.why.strip(), (lesson_id, q.id)


def test_lessons_are_sorted_by_their_file_order():
    lessons, _ = load_all("en", dirs=[BUILTIN])
    assert [lesson.order for lesson in lessons] == sorted(lesson.order for lesson in lessons)
    assert lessons[0].id == "convolution"


def _copy_with(tmp: Path, name: str, old: str, new: str) -> Path:
    text = (BUILTIN / name).read_text(encoding="utf-8")
    assert old in text
    target = tmp / name
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def _line_of(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


@pytest.mark.parametrize(
    ("old", "new", "marker", "words"),
    [
        ("check: {sandbox: {kernel: sharpen}}", "check: {sandbox_typo: {kernel: sharpen}}", "sandbox_typo", "unknown"),
        ("check: {sandbox: {kernel: sharpen}}", "check: {sandbox: {colour: red}}", "colour: red", "colour"),
        ("do: {page: learn, label: Use stride 2", "do: {page: nowhere, label: Use stride 2", "nowhere", "nowhere"),
        ("check: {sandbox: {stride: 2}}", "check: sandbox: stride", "check: sandbox: stride", "not allowed"),
    ],
)
def test_a_malformed_lesson_names_its_file_and_line_and_the_others_still_load(tmp_path, old, new, marker, words):
    for path in BUILTIN.glob("*.md"):
        shutil.copy(path, tmp_path / path.name)
    broken = _copy_with(tmp_path, "01-convolution.en.md", old, new)
    lessons, errors = load_all("en", dirs=[tmp_path])
    assert [e.values["file"] for e in errors] == [broken.name]
    error = errors[0]
    assert error.key == "engine.learn.malformed"
    assert error.values["line"] == _line_of(broken, marker), (str(error), _line_of(broken, marker))
    assert words in str(error)
    assert "01-convolution.en.md" in error.message("zh") and "行" in error.message("zh")
    assert {lesson.id for lesson in lessons} >= {"pooling", "lenet5"}


def test_missing_pieces_are_reported(tmp_path):
    cases = {
        "01-a.en.md": ("no header\n", "---"),
        "02-b.en.md": ("---\nid: b\ntitle: B\n", "---"),
        "03-c.en.md": ("---\nid: c\ntitle: C\n---\n", "steps"),
        "04-d.en.md": ("---\nid: other\ntitle: D\nsteps: []\n---\n", "other"),
        "e.en.md": ("---\nid: e\ntitle: E\nsteps: []\n---\n", "01-lesson-id.en.md"),
    }
    for name, (text, _) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    lessons, errors = load_all(dirs=[tmp_path])
    assert lessons == []
    messages = {e.values["file"]: str(e) for e in errors}
    for name, (_, expected) in cases.items():
        assert expected in messages[name], messages[name]


def test_a_new_lesson_file_in_the_data_home_appears_without_code_changes(cnnlab_home):
    before, _ = load_all("en")
    folder = cnnlab_home / "lessons"
    folder.mkdir()
    (folder / "07-my-lesson.en.md").write_text(
        "---\nid: my-lesson\ntitle: My own lesson\nsteps:\n"
        "  - id: look\n    text: Open the Build page.\n"
        "    do: {page: build, label: Go, params: {arch: lenet5}}\n"
        "    check: {page_visited: {page: build}}\n---\nA teacher wrote this.\n",
        encoding="utf-8",
    )
    after, errors = load_all("en")
    assert errors == []
    assert [lesson.id for lesson in after] == [lesson.id for lesson in before] + ["my-lesson"]
    mine = after[-1]
    assert (mine.title, mine.intro, mine.steps[0].check) == ("My own lesson", "A teacher wrote this.",
                                                              {"page_visited": {"page": "build"}})  # fmt: skip


def test_parse_refuses_a_file_it_cannot_read(tmp_path):
    path = tmp_path / "01-x.en.md"
    path.write_bytes(b"---\n\xff\xfe\n---\n")
    with pytest.raises(LessonError):
        parse(path)


def test_every_learn_sentence_is_produced_and_reads_in_both_languages(tmp_path):
    import numpy as np
    from errors_check import assert_translated, error_keys

    from cnnlab.i18n.engine_learn import STRINGS
    from cnnlab.learn import checks, sandbox

    files = {
        "01-a.en.md": "no header\n",
        "02-b.en.md": "---\nid: b\ntitle: B\n",
        "03-c.en.md": "---\nid: c\ntitle: C\n---\n",
        "04-d.en.md": "---\nid: other\ntitle: D\nsteps: []\n---\n",
        "e.en.md": "---\nid: e\ntitle: E\nsteps: []\n---\n",
        "06-f.en.md": "---\nid: f\ntitle: F\nsteps: 3\n---\n",
        "07-g.en.md": "---\nid: g\ntitle: G\nsteps:\n  - id: s\n    text: t\n    check: {nope: {}}\n---\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    _, errors = load_all(dirs=[tmp_path])
    attempts = [
        lambda: sandbox.kernel("nope"),
        lambda: sandbox.convolve(np.zeros((3, 3, 3)), np.ones((3, 3))),
        lambda: sandbox.convolve(np.zeros((5, 5)), np.ones((3, 3)), "full"),
        lambda: sandbox.convolve(np.zeros((5, 5)), np.ones((3, 3)), stride=9),
        lambda: sandbox.convolve(np.zeros((2, 2)), np.ones((3, 3))),
        lambda: checks.answer({"layer_params": {"layer": 1, "model": "lenet5"}}, checks.Context()),
        lambda: checks.answer({"layer_output": {"layer": 40, "model": "build"}}, checks.Context()),
    ]
    for attempt in attempts:
        with pytest.raises(CnnLabError) as e:
            attempt()
        errors.append(e.value)
    seen = set().union(*(error_keys(e) for e in errors))
    assert set(STRINGS) <= seen, set(STRINGS) - seen
    assert_translated(errors)
