"""Lesson steps point at real lines of the exported training script."""

from __future__ import annotations

from cnnlab.learn import lessons, script
from cnnlab.train.codegen import STYLES, training_script


def test_excerpt_gives_the_scripts_own_line_numbers():
    text = training_script(script.DEFAULT_CONFIG, "functional").splitlines()
    rows = script.excerpt(None, ["model.compile(", "model.fit("], around=0)
    assert rows and all(text[n - 1] == line for n, line in rows if n)
    assert any("model.compile(" in line for _, line in rows) and any("model.fit(" in line for _, line in rows)
    assert "│" in script.as_text(rows)
    early = script.excerpt({**script.DEFAULT_CONFIG, "early_stopping": True}, ["EarlyStopping"], "subclass")
    assert any("keras.callbacks.EarlyStopping" in line for _, line in early)


def test_every_script_reference_in_the_lessons_finds_lines():
    assert lessons.SCRIPT_STYLES == STYLES
    found, _ = lessons.load_all(dirs=[lessons.BUILTIN])
    steps = [(lesson.id, step) for lesson in found for step in lesson.steps if step.script]
    assert steps, "no lesson points at the exported script"
    for lesson_id, step in steps:
        rows = script.excerpt(None, step.script["find"], step.script["style"])
        for term in step.script["find"]:
            assert any(term in line for _, line in rows), (lesson_id, step.id, term)
