"""The Inspect page's shared pieces: the model in view (`Subject`), the picked input (`Picked`), small widget
helpers and the per-tab error guard. Imported by the other `_inspect_*` modules; imports none of them.

Everything heavy is computed by `cnnlab.inspection` under the model's lock and cached with st.cache_resource
(keyed by the model file's version or sha256); st.session_state only holds small choices (indices, names).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from cnnlab.data import datasets as data
from cnnlab.imaging import diverging, enlarge, mosaic, to_display
from cnnlab.inspection.forward import InspectionError
from cnnlab.ui import shell as _ui

T = Callable[..., str]


@dataclass
class Subject:
    """The model in view and the dataset whose test split it is inspected on."""

    key: str  # names this model version + dataset in caches
    title: str
    model: Any
    predictor: Any
    lock: Any
    dataset: data.Dataset
    run: Any = None  # the store's Run, or None for an uploaded model

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.dataset.class_names]


@dataclass
class Picked:
    """The one input image the tabs explain."""

    image: np.ndarray  # (H, W, C) float32 in [0, 1]
    probs: np.ndarray
    true: int | None
    label: str


# ---------------------------------------------------------------- small widget helpers


def _keep(key: str, options: Sequence[Any], default: Any = None) -> None:
    """Drop a stored widget value that is no longer an option (another model, another dataset)."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    if key not in st.session_state and default is not None:
        st.session_state[key] = default


def keep_tab(key: str, catalogue_keys: Sequence[str], t: T) -> None:
    """st.tabs remembers the open tab by its label; after a language switch, map it to the same tab's new label."""
    from cnnlab.i18n import LANGUAGES
    from cnnlab.i18n import t as translate

    stored = st.session_state.get(key)
    for k in catalogue_keys:
        if stored in {translate(k, lang) for lang in LANGUAGES}:
            st.session_state[key] = t(k)
            return


def _int(label: str, high: int, key: str, help: str | None = None, default: int = 0) -> int:
    """A 0..high slider that copes with high == 0 (no choice to make) and with a stale stored value."""
    if high <= 0:
        return 0
    if key in st.session_state and not 0 <= int(st.session_state[key]) <= high:
        del st.session_state[key]
    return int(st.slider(label, 0, high, value=None if key in st.session_state else min(default, high), key=key,
                         help=help))  # fmt: skip


def _picture(image: np.ndarray, size: int) -> np.ndarray:
    return enlarge(to_display(image), size)


def _tiles_rgb(tiles: np.ndarray, columns: int, cell: int = 40, width: int = 1000) -> np.ndarray:
    """Filter tiles in [0, 1] (0.5 = zero weight) as one crisp RGB mosaic, each tile enlarged (nearest neighbour) to
    about `cell` pixels, white gaps between them, at most about `width` pixels wide; colour tiles stay as they are."""
    rgb = tiles if tiles.ndim == 4 and tiles.shape[-1] == 3 else diverging(tiles) / 255.0
    h = max(rgb.shape[1], rgb.shape[2])
    gap = 6 if cell >= 48 else 4
    fit = (width - gap * columns) // max(columns * h, 1)
    factor = max(1, min(cell // max(h, 1), fit))
    big = rgb.repeat(factor, axis=1).repeat(factor, axis=2)
    grid = mosaic(big, columns=columns, gap=gap, fill=1.0)
    return (np.clip(grid, 0, 1) * 255 + 0.5).astype(np.uint8)


def safely(draw: Callable[[], None], t: T) -> None:
    """Run one tab: a request the model cannot answer is one sentence in that tab, anything else is `run_safely`'s."""

    def guarded() -> None:
        try:
            draw()
        except InspectionError as exc:
            st.error(t("inspect.cannot", reason=_ui.reason(exc)))

    _ui.run_safely(guarded, t)
