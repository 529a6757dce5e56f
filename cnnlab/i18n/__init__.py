"""The one catalogue of user-facing strings, in English and Simplified Chinese.

Strings live in one module per page (`cnnlab/i18n/<page>.py`, each a dict `STRINGS` of
key -> (English, 简体中文)) so pages can grow independently; they are merged here into one
catalogue, and a duplicate key is an error at import time.
"""

from __future__ import annotations

import importlib
import pkgutil

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"


def _load() -> dict[str, tuple[str, str]]:
    catalogue: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, pair in module.STRINGS.items():
            if key in catalogue:
                raise ValueError(f"duplicate i18n key {key!r} in {info.name}")
            catalogue[key] = pair
    return catalogue


CATALOGUE = _load()


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """The string for `key` in `lang`, formatted with `values`; unknown keys show as themselves."""
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "zh" else pair[0]
    return text.format(**values) if values else text


def translator(lang: str):
    """A one-argument `t` bound to a language, for pages."""

    def bound(key: str, /, **values: object) -> str:
        return t(key, lang, **values)

    return bound
