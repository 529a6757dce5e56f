"""Checks shared by the error-message tests: an engine error's sentence, by its key, in English and in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from cnnlab.errors import CnnLabError, Phrase
from cnnlab.i18n import CATALOGUE

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
    "mode", "max_pixels", "size", "background", "r", "g", "b", "IDX", "Fashion", "MNIST", "gz",
    "valid", "UTF", "JPEG", "PNG", "YAML", "Ray",
}  # fmt: skip


def _error(fn, *args, error=Exception, **kw) -> CnnLabError:
    """The error `fn` raises, itself (a keyed error)."""
    with pytest.raises(error) as info:
        fn(*args, **kw)
    return info.value


Keyed = CnnLabError | Phrase


def _keyed(item: Keyed) -> Iterator[Keyed]:
    """The error or phrase and every error or phrase among its values, nested ones included."""
    yield item
    for value in item.values.values():
        parts = value if isinstance(value, (list, tuple)) else [value]
        for part in parts:
            if isinstance(part, (CnnLabError, Phrase)):
                yield from _keyed(part)


def _plain(item: Keyed) -> Iterator[str]:
    """The values copied into the sentence unchanged (file names, numbers, details), nested ones included."""
    for part in _keyed(item):
        for value in part.values.values():
            parts = value if isinstance(value, (list, tuple)) and value else [value]
            if not all(isinstance(p, (CnnLabError, Phrase)) for p in parts):
                yield str(value)


def error_keys(item: Keyed) -> set[str]:
    """The catalogue keys an error (or phrase) is made of, nested ones included."""
    return {part.key for part in _keyed(item)}


def assert_translated(errors: list[Keyed]) -> None:
    """Each keyed error (or a Phrase standing for a reason) reads the same in English as str() does, and in Chinese
    holds no English but the values it copies and deliberate technical terms."""
    assert errors
    for error in errors:
        assert isinstance(error, (CnnLabError, Phrase)), repr(error)
        missing = error_keys(error) - set(CATALOGUE)
        assert not missing, (repr(error), missing)
        english = error.message("en")
        assert english == str(error)
        zh = error.message("zh")
        assert CJK.search(zh), (english, zh)
        text = zh
        for value in sorted(_plain(error), key=len, reverse=True):
            text = text.replace(value, " ")
        left = set(LATIN.findall(text)) - TERMS
        assert not left, (english, zh, left)
