"""Small widget and picture helpers shared by the page helpers (public, so no module imports another's privates)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import streamlit as st

from cnnlab.imaging import diverging, enlarge, mosaic, to_display


def keep_option(key: str, options: Sequence[Any], default: Any = None) -> None:
    """Drop a stored widget value that is no longer an option (another model, another dataset)."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    if key not in st.session_state and default is not None:
        st.session_state[key] = default


def keep_tab(key: str, catalogue_keys: Sequence[str], t: Callable[..., str]) -> None:
    """st.tabs remembers the open tab by its label; after a language switch, map it to the same tab's new label."""
    from cnnlab.i18n import LANGUAGES
    from cnnlab.i18n import t as translate

    stored = st.session_state.get(key)
    for k in catalogue_keys:
        if stored in {translate(k, lang) for lang in LANGUAGES}:
            st.session_state[key] = t(k)
            return


def int_slider(label: str, high: int, key: str, help: str | None = None, default: int = 0) -> int:
    """A 0..high slider that copes with high == 0 (no choice to make) and with a stale stored value."""
    if high <= 0:
        return 0
    if key in st.session_state and not 0 <= int(st.session_state[key]) <= high:
        del st.session_state[key]
    return int(st.slider(label, 0, high, value=None if key in st.session_state else min(default, high), key=key,
                         help=help))  # fmt: skip


def picture(image: np.ndarray, size: int) -> np.ndarray:
    """A model input (uint8 or [0, 1] float, gray or colour) as a crisp uint8 picture, longer side about `size`."""
    return enlarge(to_display(image), size)


def tiles_rgb(tiles: np.ndarray, columns: int, cell: int = 40, width: int = 1000) -> np.ndarray:
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
