"""Checks shared by the error-message tests: is an engine error's sentence there in English and in Chinese?

`assert_translated` checks keyed errors (CnnLabError, translated by key); `assert_explained` checks English
messages through the old reverse matcher (cnnlab/i18n/errors.py) for areas not converted yet.
"""

from __future__ import annotations

import re

import pytest

from cnnlab.errors import CnnLabError, Phrase
from cnnlab.i18n import CATALOGUE, errors, explain

CJK = re.compile(r"[\u4e00-\u9fff]")


LATIN = re.compile(r"(?<![0-9])[A-Za-z][A-Za-z0-9_]*")  # words, not the x of 5x3


# Latin words a Chinese template may keep: names of formats, libraries, settings and values the user types.
TERMS = {
    "CAM", "CNN", "CNNLAB_HOME",
    "GB", "Dense", "Flatten", "Functional", "GiB", "GlobalAveragePooling2D", "Grad", "HDF5", "ImageNet",
    "JAX", "JSON", "K", "Keras", "L", "Lab", "Lambda", "Lite", "MB", "N", "NaN", "None", "Python", "RGB",
    "SNE", "SavedModel", "Sequential", "TensorFlow", "TransferBase", "W", "H", "C", "Windows", "auto", "batch_size",
    "cats", "class_names", "classic", "color", "config", "digits", "dogs", "extra_data", "false", "feature_extraction",
    "fine_tuning", "flip", "h5", "image_size", "imagenet", "install", "json", "keras", "learn", "lenet5", "loss",
    "method", "metrics", "mirrored", "model_path", "modern", "my", "none", "npy", "npz", "original", "padding",
    "pca", "pid", "pip", "png", "rb", "relu", "same", "scaled", "scikit", "softmax", "t", "tanh", "translation",
    "true", "uint8", "val_fraction", "vgg_small", "x", "y", "zip", "alexnet", "augmentation", "s",
    "cnnlab", "datasets", "input_size", "layers", "option", "weights",
}  # fmt: skip


def english_left(message: str) -> set[str]:
    """Latin words of the Chinese translation that are neither copied values nor technical terms."""
    result = errors.explain(message)
    text = result.text
    for value in sorted(result.copied, key=len, reverse=True):
        text = text.replace(value, " ")
    return set(LATIN.findall(text)) - TERMS


def assert_explained(messages: list[str]) -> None:
    assert messages
    for message in messages:
        assert explain(message, "en") == message
        zh = explain(message, "zh")
        assert CJK.search(zh), message
        assert not english_left(message), (message, zh, english_left(message))


def _nested(error: CnnLabError | Phrase) -> list[CnnLabError | Phrase]:
    """The errors and phrases inside `error`'s values (a reason inside a reason, a list of problems)."""
    out: list[CnnLabError | Phrase] = []
    for value in error.values.values():
        items = value if isinstance(value, (list, tuple)) else [value]
        out += [v for v in items if isinstance(v, (CnnLabError, Phrase))]
    return out


def error_keys(error: CnnLabError | Phrase) -> set[str]:
    """The catalogue keys a keyed error is made of, nested errors and phrases included."""
    return {error.key}.union(*(error_keys(inner) for inner in _nested(error)))


def _plain_values(error: CnnLabError | Phrase) -> list[str]:
    """Every value copied into the sentence unchanged (file names, numbers, layer names), nested ones included."""
    out: list[str] = []
    for value in error.values.values():
        items = value if isinstance(value, (list, tuple)) else [value]
        if items and all(isinstance(v, (CnnLabError, Phrase)) for v in items):
            out += [plain for inner in items for plain in _plain_values(inner)]
        elif isinstance(value, (CnnLabError, Phrase)):
            out += _plain_values(value)
        else:
            out.append(str(value))
    return out


def assert_translated(errors: list) -> None:
    """Keyed engine errors: every key in the catalogue, English exactly `str(error)`, Chinese with no English left
    but the values copied over and deliberate technical terms."""
    assert errors
    for error in errors:
        assert isinstance(error, CnnLabError), repr(error)
        assert error_keys(error) <= set(CATALOGUE), (error.key, error_keys(error) - set(CATALOGUE))
        assert error.message("en") == str(error)
        zh = error.message("zh")
        assert CJK.search(zh), (error.key, zh)
        text = zh
        for value in sorted(filter(None, _plain_values(error)), key=len, reverse=True):
            text = text.replace(value, " ")
        left = set(LATIN.findall(text)) - TERMS
        assert not left, (error.key, zh, left)


def _keys(message: str) -> set[str]:
    """The templates a message was recognised by, nested ones included."""
    seen: set[str] = set()

    def visit(text: str) -> None:
        for part in _pieces(text):
            hit = errors.match(part)
            if hit is not None:
                tpl, values = hit
                seen.add(tpl.key)
                for name in errors.NESTED & set(values):
                    visit(values[name])

    visit(message)
    return seen


def _pieces(text: str) -> list[str]:
    """Problems joined by "; ", re-joined where one problem's own text holds "; " (as explain splits them)."""
    parts, out, i = text.split("; "), [], 0
    while i < len(parts):
        j = next((j for j in range(len(parts), i, -1) if errors.match("; ".join(parts[i:j]))), i + 1)
        out.append("; ".join(parts[i:j]))
        i = j
    return out


def _refusal(fn, *args, error=Exception, **kw) -> str:
    with pytest.raises(error) as info:
        fn(*args, **kw)
    return str(info.value)
