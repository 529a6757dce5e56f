"""One family of engine errors: each carries a catalogue key and the values its sentence needs.

`str(error)` is the English sentence (what the CLI prints and logs keep); a page shows `error.message(lang)`, the
same sentence from the catalogue in the visitor's language. Nothing is parsed back from text: a value that is itself
an engine error (a reason inside a reason) or a list of them is put into the sentence in the same language.

    raise ImageError("engine.image.too_big", label="photo.png", size="12 MB", limit="8 MB")

Every key lives in `cnnlab/i18n/` in English and 简体中文; a test checks that each raise site names one.
A value the engine words itself ("the image", a run's status) is a `Phrase`, translated the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


class Keyed:
    """A catalogue key and the values its sentence needs: what errors and engine-worded phrases share."""

    key: str
    values: dict[str, Any]

    def message(self, lang: str = "en") -> str:
        """The sentence in `lang` (values that are engine errors or phrases are put in the same language)."""
        return _sentence(self.key, lang, self.values)

    def __str__(self) -> str:
        return self.message("en")


class CnnLabError(Keyed, Exception):
    """An engine error: `key` names its sentence in the catalogue, `values` fill it in."""

    def __init__(self, key: str, /, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    __str__ = Keyed.__str__  # (Exception's own would show the key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, **{self.values!r})"

    def __reduce__(self):  # picklable across processes (Ray, multiprocessing) with its key and values
        return (_rebuild, (type(self), self.key, self.values))


class Phrase(Keyed):
    """A word or phrase the engine puts into a sentence ("the image", a run's status): translated with it."""

    def __init__(self, key: str, /, **values: Any) -> None:
        self.key, self.values = key, values

    def __repr__(self) -> str:
        return f"Phrase({self.key!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Phrase) and (self.key, self.values) == (other.key, other.values)

    def __hash__(self) -> int:
        return hash(self.key)


def _rebuild(cls: type[CnnLabError], key: str, values: dict[str, Any]) -> CnnLabError:
    error = cls.__new__(cls)
    CnnLabError.__init__(error, key, **values)
    return error


_MARK = "\x00"
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
# A space the Chinese template keeps around a value ("{label} 是空文件", right for "photo.png") goes when the value
# is itself Chinese ("这张图像是空文件"): only between two Chinese characters at the value's edge.
_SPACE_BEFORE = re.compile(f"(?<=[{_CJK}]) {_MARK}(?=[{_CJK}])")
_SPACE_AFTER = re.compile(f"(?<=[{_CJK}]){_MARK} (?=[{_CJK}])")


def _sentence(key: str, lang: str, values: dict[str, Any]) -> str:
    """The catalogue sentence for `key` in `lang`, filled with `values` (translated ones in the same language)."""
    from cnnlab.i18n import t

    if lang != "zh":
        return t(key, lang, **{name: localized(value, lang) for name, value in values.items()})
    filled = {}
    for name, value in values.items():
        text = localized(value, lang)
        filled[name] = f"{_MARK}{text}{_MARK}" if text is not value else value
    text = _SPACE_AFTER.sub(_MARK, _SPACE_BEFORE.sub(_MARK, t(key, lang, **filled)))
    return text.replace(_MARK, "")


def localized(value: Any, lang: str) -> Any:
    """A value as it goes into a sentence in `lang`: engine errors become their sentence, lists of them are joined."""
    if isinstance(value, (CnnLabError, Phrase)):
        return value.message(lang)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, CnnLabError) for v in value):
        return LIST_SEPARATORS.get(lang, "; ").join(v.message(lang) for v in value)
    return value


LIST_SEPARATORS = {"zh": "；"}  # how a list of problems is joined in a language's sentence (English: "; ")


def to_data(value: Any) -> Any:
    """A JSON-ready form of an error (or Phrase, or a value holding them), to store it with its key and values."""
    if isinstance(value, CnnLabError):
        return {"$error": value.key, "values": {k: to_data(v) for k, v in value.values.items()}}
    if isinstance(value, Phrase):
        return {"$phrase": value.key, "values": {k: to_data(v) for k, v in value.values.items()}}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def from_data(data: Any) -> Any:
    """The inverse of `to_data`: errors and Phrases rebuilt (as CnnLabError: the original class is not kept)."""
    if isinstance(data, dict) and ("$error" in data or "$phrase" in data):
        values = {k: from_data(v) for k, v in (data.get("values") or {}).items()}
        return CnnLabError(data["$error"], **values) if "$error" in data else Phrase(data["$phrase"], **values)
    if isinstance(data, list):
        return [from_data(v) for v in data]
    return data


def messages(errors: Iterable[CnnLabError], lang: str = "en") -> list[str]:
    """Each error's sentence in `lang`."""
    return [e.message(lang) for e in errors]
