"""Chinese for the engine's error messages, recognised by their English templates.

The engine speaks English: it raises ImageError, IngestError, ModelFileError, ConfigError, SpecError, ... with
English sentences, and the CLI and tests rely on that text. Pages show those messages through
`cnnlab.i18n.explain(message, lang)`, which for Chinese finds the template below that produced the message and
fills the Chinese sentence with the same values. A message it does not recognise stays as it is.

Each entry is key -> (the English template exactly as its raise site formats it, Chinese). Placeholders match any
text and are copied unchanged (file names, sizes, layer names), except:
- NESTED placeholders hold another engine message (an archive's reason inside a model-file error, a spec error
  inside a training problem), translated in turn;
- VALUES lists the words the engine itself puts into a placeholder in English (default file labels, run states).
The Build page's spec checks are recognised by their "build.issue.<code>" strings in the catalogue (i18n/build.py).
A template with no words of its own ("{name}: {reason}") would match anything and is left out.
A message of several problems joined by "; " is translated problem by problem.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from cnnlab.i18n import build, engine_arch, engine_data, engine_runs

STRINGS: dict[str, tuple[str, str]] = {}  # the engine's sentences live in engine_*.py
KEYED_ONLY = {"engine.run.crashed"}  # too general to recognise from text: only ever translated by key
ENGINE: dict[str, tuple[str, str]] = {**engine_arch.STRINGS, **engine_data.STRINGS, **engine_runs.STRINGS}
# The spec checks' sentences, their layer prefix and their "did you mean" hint.
ISSUES: dict[str, tuple[str, str]] = {k: pair for k, pair in build.STRINGS.items() if k.startswith("build.issue.")}

# Placeholders that hold another engine message: translated in turn.
NESTED = frozenset({"reason", "issue", "hint"})

# Words the engine itself writes into a placeholder in English, per placeholder name.
VALUES: dict[str, dict[str, str]] = {
    "label": {
        "the image": "这张图像",
        "the uploaded zip": "上传的 zip 文件",
        "the uploaded .npz": "上传的 .npz 文件",
        "the uploaded .keras": "上传的 .keras 文件",
    },
    "found": {"none": "无"},
    "status": {
        "queued": "排队中",
        "running": "训练中",
        "finished": "已完成",
        "stopped": "已停止",
        "failed": "失败",
        "interrupted": "已中断",
    },
}

_BYTES = re.compile(r"([\d,]+) bytes")  # images.py writes small sizes as "12,345 bytes"
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Template:
    key: str
    english: str
    chinese: str
    pattern: re.Pattern[str]
    literal: int  # characters of fixed text: when two templates match, the more specific one wins


def compile_template(key: str, english: str, chinese: str) -> Template:
    """A template whose placeholders each match any text (a repeated placeholder must repeat its value)."""
    parts: list[str] = []
    seen: set[str] = set()
    literal = 0
    for text, name, _spec, _conversion in _FORMATTER.parse(english):
        parts.append(re.escape(text))
        literal += len(text)
        if name is not None:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
            seen.add(name)
    return Template(key, english, chinese, re.compile("".join(parts), re.DOTALL), literal)


@lru_cache(maxsize=1)
def templates() -> tuple[Template, ...]:
    """Every template with words of its own, most specific first: the engine's sentences and the spec checks'."""
    known = {k: v for k, v in {**ENGINE, **ISSUES}.items() if k not in KEYED_ONLY}
    pairs = [(key, en, zh) for key, (en, zh) in known.items() if _has_words(en)]
    compiled = [compile_template(*pair) for pair in pairs]
    return tuple(sorted(compiled, key=lambda tpl: -tpl.literal))


def _has_words(english: str) -> bool:
    return any(ch.isalpha() for text, *_ in _FORMATTER.parse(english) for ch in text)


class Explained(NamedTuple):
    """A translation, how many characters of it are still the engine's English (copied values and unknown text),
    and the placeholder values copied over unchanged (file names, numbers, layer names)."""

    left: int
    text: str
    copied: tuple[str, ...]


def match(message: str) -> tuple[Template, dict[str, str]] | None:
    """The template that produced `message` as a whole, with its placeholder values; None when none did."""
    best = _best(message)
    return None if best is None else best[:2]


@lru_cache(maxsize=4096)
def _best(message: str) -> tuple[Template, dict[str, str], Explained] | None:
    """The template that explains most of `message`, its values, and the Chinese.

    Any text fits a placeholder, so several templates may match; the one leaving the least text untranslated
    wins (a nested message counts by what is left of it), then the one with the most fixed text."""
    found = None
    for tpl in templates():
        hit = tpl.pattern.fullmatch(message)
        if hit is None:
            continue
        values = hit.groupdict()
        left, out, copied, word = 0, [], [], False
        for text, name, _spec, _conversion in _FORMATTER.parse(tpl.chinese):
            out.append(text.lstrip(" ") if word else text)  # no space between Chinese words: "这张图像的大小"
            if name is not None:
                part = _value(name, values[name])
                word = name not in NESTED and part.left == 0  # a word the engine wrote, now in Chinese
                if word:
                    out[-1] = out[-1].rstrip(" ")
                left += part.left
                out.append(part.text)
                copied += part.copied
        if found is None or left < found[2].left:
            found = (tpl, values, Explained(left, "".join(out), tuple(copied)))
    return found


def _value(name: str, value: str) -> Explained:
    if name in NESTED:
        return explain(value)
    if value in VALUES.get(name, {}):
        return Explained(0, VALUES[name][value], ())
    size = _BYTES.fullmatch(value)
    return Explained(len(value), f"{size[1]} 字节" if size else value, (value,))


def translate(message: str) -> str:
    """`message` in Chinese where its templates are known; unknown parts stay as they are."""
    return explain(message).text


def explain(message: str) -> Explained:
    """`message` in Chinese, with what is left of the English.

    Problems joined by "; " are split where that explains the most text (a template may contain "; " itself).
    Nothing recognised: the message exactly as it was.
    """
    parts = message.split("; ")
    if len(parts) > 40:  # not a list of problems: whole or nothing
        whole = _best(message)
        return Explained(len(message), message, ()) if whole is None else whole[2]
    # best[i]: (characters left untranslated, -pieces, translated pieces, copied values) for the first i parts
    best: list[tuple[int, int, list[str], tuple[str, ...]] | None] = [(0, 0, [], ())] + [None] * len(parts)
    for i in range(1, len(parts) + 1):
        for j in range(i):
            prev = best[j]
            if prev is None:
                continue
            chunk = "; ".join(parts[j:i])
            hit = _best(chunk)
            if hit is None and i - j > 1:
                continue
            done = Explained(len(chunk), chunk, ()) if hit is None else hit[2]
            candidate = (prev[0] + done.left, prev[1] - 1, [*prev[2], done.text], prev[3] + done.copied)
            if best[i] is None or candidate[:2] < best[i][:2]:  # type: ignore[index]
                best[i] = candidate
    left, _, pieces, copied = best[-1]  # type: ignore[misc]
    if pieces == parts:
        return Explained(len(message), message, ())
    return Explained(left, "；".join(pieces), copied)
