"""Lessons as data: one Markdown file per lesson and language, a YAML front matter declaring its steps and questions.

Why files: a teacher adds or edits a lesson without touching Python. A file `<order>-<id>.<lang>.md` lives in
`cnnlab/learn/lessons/` (shipped with the app) or in `<data home>/lessons/` (the teacher's own); both are read on
every call, so a new file appears at the next page run. A malformed file becomes a `LessonError` naming the file and
line, and the other lessons still load.

    ---
    id: convolution            # the same in every language
    order: 1
    title: What a convolution does
    summary: one line for the lesson list
    steps:
      - id: edges
        text: Markdown telling the learner what to do and what to look at
        do: {page: learn, label: Try it, params: {kernel: vertical_edges}}      # the "Do it" button (optional)
        check: {sandbox: {kernel: vertical_edges}}                              # when the step is ticked
    questions:
      - id: conv_params
        text: How many parameters does this Conv2D have?
        answer: {sandbox_conv_params: {}}                  # computed from the learner's own settings or model
        why: Markdown with the computed values, e.g. {formula}
    ---
    Markdown: the lesson's introduction.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cnnlab import paths
from cnnlab.errors import CnnLabError, Phrase

BUILTIN = Path(__file__).resolve().parent / "lessons"
LANGS = ("en", "zh")
PAGES = ("learn", "home", "data", "build", "train", "runs", "inspect", "predict")
SCRIPT_STYLES = ("sequential", "functional", "subclass")  # cnnlab.train.codegen.STYLES (tested equal)
NAME = re.compile(r"^(\d+)-([a-z0-9_-]+)\.([a-z]{2})\.md$")

# the declared vocabulary: check / answer name -> the arguments it accepts
CHECKS: dict[str, frozenset[str]] = {
    "sandbox": frozenset({"kernel", "padding", "stride", "input", "pool", "size", "cell"}),
    "page_visited": frozenset({"page"}),
    "spec_has_layer": frozenset({"type", "count"}),
    "run_finished": frozenset({"arch", "dataset", "epochs", "augmentation"}),
    "answered": frozenset({"question"}),
    "dataset_added": frozenset(),
}
ANSWERS: dict[str, frozenset[str]] = {
    "sandbox_conv_params": frozenset(),
    "sandbox_dense_params": frozenset(),
    "sandbox_output_size": frozenset(),
    "layer_params": frozenset({"layer", "model"}),
    "layer_output": frozenset({"layer", "model"}),
    "receptive_field": frozenset({"layer", "model"}),
    "most_confused": frozenset({"label", "model"}),
    "best_measured": frozenset(),
}
COMPARE_KEYS = frozenset({"label", "arch", "dataset", "augmentation"})


class LessonError(CnnLabError, ValueError):
    """A lesson file that cannot be read: which file, which line, what is wrong."""


@dataclass
class Step:
    id: str
    text: str
    check: dict[str, dict[str, Any]] = field(default_factory=dict)  # {name: args}; empty = ticked by hand
    do: dict[str, Any] | None = None  # {"page": ..., "label": ..., "params": {...}}
    script: dict[str, Any] | None = None  # {"find": [terms], "style": ...}: lines of the learner's exported script


@dataclass
class Question:
    id: str
    text: str
    answer: dict[str, dict[str, Any]]  # {name: args}
    why: str = ""


@dataclass
class Lesson:
    id: str
    lang: str
    order: int
    title: str
    summary: str
    intro: str
    steps: list[Step]
    questions: list[Question]
    path: Path
    compare: list[dict[str, Any]] = field(default_factory=list)  # runs to measure side by side (lesson 4)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


# ---------------------------------------------------------------- YAML with line numbers


class _Lined(dict):
    """A mapping that remembers the line of each key (1-based, in the whole file)."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    offset = 0

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        plain = super().construct_mapping(node, deep=True)
        out = _Lined(plain)
        out.line = node.start_mark.line + 1 + self.offset
        out.lines = {str(k.value): k.start_mark.line + 1 + self.offset for k, _ in node.value}
        return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def _error(path: Path, line: int, detail: Any) -> LessonError:
    return LessonError("engine.learn.malformed", file=path.name, line=line, detail=detail)


def _split(path: Path, text: str) -> tuple[str, str, int]:
    """(front matter, body, line of the body's first line)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise _error(path, 1, Phrase("engine.learn.no_front_matter"))
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]).strip(), i + 2
    raise _error(path, len(lines), Phrase("engine.learn.unclosed_front_matter"))


def _need(path: Path, d: Any, key: str, kind: type, where: int) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise _error(path, getattr(d, "line", where), Phrase("engine.learn.missing", key=key))
    value = d[key]
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise _error(path, d.lines.get(key, d.line), Phrase("engine.learn.wrong_kind", key=key))
    return value


def _vocab(path: Path, d: Any, key: str, vocabulary: dict[str, frozenset[str]], where: int) -> dict[str, dict]:
    """A `{name: {args}}` mapping whose name and arguments are in `vocabulary`."""
    value = _need(path, d, key, dict, where)
    line = d.lines.get(key, d.line)
    out: dict[str, dict] = {}
    for name, args in value.items():
        if name not in vocabulary:
            raise _error(path, line, Phrase("engine.learn.unknown_word", key=key, value=name,
                                            choices=", ".join(vocabulary)))  # fmt: skip
        given = dict(args or {})
        extra = sorted(set(given) - vocabulary[name])
        if extra:
            raise _error(path, line, Phrase("engine.learn.unknown_word", key=name, value=", ".join(extra),
                                            choices=", ".join(sorted(vocabulary[name])) or "—"))  # fmt: skip
        out[str(name)] = given
    return out


def _do(path: Path, s: _Lined) -> dict[str, Any] | None:
    if "do" not in s:
        return None
    do = _need(path, s, "do", dict, s.line)
    page = _need(path, do, "page", str, do.line)
    if page not in PAGES:
        raise _error(path, do.lines.get("page", do.line),
                     Phrase("engine.learn.unknown_word", key="page", value=page, choices=", ".join(PAGES)))  # fmt: skip
    params = do.get("params") or {}
    if not isinstance(params, dict) or any(isinstance(v, (dict, list)) for v in params.values()):
        raise _error(path, do.lines.get("params", do.line), Phrase("engine.learn.wrong_kind", key="params"))
    return {"page": page, "label": str(do.get("label") or ""), "params": {str(k): v for k, v in params.items()}}


def _script(path: Path, s: _Lined) -> dict[str, Any] | None:
    if "script" not in s:
        return None
    script = _need(path, s, "script", dict, s.line)
    find = _need(path, script, "find", list, script.line)
    style = str(script.get("style") or "functional")
    if not find or not all(isinstance(f, str) and f for f in find) or style not in SCRIPT_STYLES:
        raise _error(path, script.line, Phrase("engine.learn.wrong_kind", key="script"))
    return {"find": list(find), "style": style}


def parse(path: Path) -> Lesson:
    """One lesson file, or a LessonError naming the line that is wrong."""
    match = NAME.match(path.name)
    if not match:
        raise _error(path, 1, Phrase("engine.learn.bad_name", example="01-lesson-id.en.md"))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(path, 1, str(exc)) from None
    front, body, _ = _split(path, text)
    loader = _Loader(front)
    loader.offset = 1  # the opening "---"
    try:
        meta = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise _error(path, line, str(getattr(exc, "problem", None) or exc)) from None
    finally:
        loader.dispose()
    if not isinstance(meta, _Lined):
        raise _error(path, 2, Phrase("engine.learn.wrong_kind", key="front matter"))
    steps, questions = [], []
    for s in _need(path, meta, "steps", list, meta.line):
        check = _vocab(path, s, "check", CHECKS, meta.line) if isinstance(s, dict) and "check" in s else {}
        steps.append(Step(_need(path, s, "id", str, meta.line), _need(path, s, "text", str, meta.line), check,
                          _do(path, s), _script(path, s)))  # fmt: skip
    for q in meta.get("questions") or []:
        questions.append(Question(_need(path, q, "id", str, meta.line), _need(path, q, "text", str, meta.line),
                                  _vocab(path, q, "answer", ANSWERS, meta.line), str(q.get("why") or "")))  # fmt: skip
    compare = []
    for row in meta.get("compare") or []:
        if not isinstance(row, dict) or set(row) - COMPARE_KEYS or not str(row.get("label") or "").strip():
            raise _error(path, getattr(row, "line", meta.lines.get("compare", 2)), Phrase("engine.learn.wrong_kind",
                                                                                        key="compare"))  # fmt: skip
        compare.append({k: str(v) for k, v in row.items()})
    lesson_id = _need(path, meta, "id", str, meta.line)
    if lesson_id != match.group(2):
        mismatch = Phrase("engine.learn.id_mismatch", value=lesson_id, file=path.name)
        raise _error(path, meta.lines.get("id", 2), mismatch)
    if match.group(3) != meta.get("lang", match.group(3)):
        mismatch = Phrase("engine.learn.id_mismatch", value=meta.get("lang"), file=path.name)
        raise _error(path, meta.lines.get("lang", 2), mismatch)
    return Lesson(
        id=lesson_id, lang=match.group(3), order=int(match.group(1)), title=_need(path, meta, "title", str, 2),
        summary=str(meta.get("summary") or ""), intro=body, steps=steps, questions=questions, path=path,
        compare=compare,
    )  # fmt: skip


def folders() -> list[Path]:
    """Where lessons are read from: the shipped ones, then the data home's `lessons/` (a teacher's own)."""
    extra = os.environ.get("CNNLAB_LESSONS")
    return [BUILTIN, Path(extra) if extra else paths.data_home() / "lessons"]


def load_all(lang: str | None = None, dirs: list[Path] | None = None) -> tuple[list[Lesson], list[LessonError]]:
    """Every lesson (in `lang`, or all languages) sorted by order, and the errors of the files that failed.

    A file in a later folder replaces the shipped file of the same name."""
    files: dict[str, Path] = {}
    for folder in dirs if dirs is not None else folders():
        if folder.is_dir():
            for path in sorted(folder.glob("*.md")):
                files[path.name] = path
    lessons, errors = [], []
    for name, path in sorted(files.items()):
        match = NAME.match(name)
        if lang is not None and match is not None and match.group(3) != lang:
            continue
        try:
            lessons.append(parse(path))
        except LessonError as exc:
            errors.append(exc)
    lessons.sort(key=lambda lesson: (lesson.order, lesson.id))
    return lessons, errors
