"""The drawing canvas: CNN Lab's own Streamlit custom component (`st.components.v2`), shipped as three files next
to this one (canvas.html, canvas.css, canvas.js: no build step, nothing fetched from the network).

It draws with the mouse, a pen or a finger and sends the canvas while the stroke goes on (at most every 250 ms)
and once more when the pointer is lifted, Undo or Clear is pressed. Its value lives in st.session_state under
its key, as the browser sends it: {"drawing": {"png": "data:image/png;base64,...", "final": bool, "strokes": n}}
(png None when the canvas is empty). `draw_canvas` decodes it into RGBA pixels, the shape the rest of the page
has always used; a test sets that session-state entry before a run to draw without a browser.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from cnnlab.data.images import load_image

HERE = Path(__file__).parent
PNG_URL = "data:image/png;base64,"
MAX_PNG_BYTES = 8 * 2**20  # a 448-pixel canvas of scribbles is well under 1 MB
MAX_PIXELS = 2048 * 2048

COMPONENT = st.components.v2.component(
    "cnnlab_draw_canvas",
    html=(HERE / "canvas.html").read_text(encoding="utf-8"),
    css=(HERE / "canvas.css").read_text(encoding="utf-8"),
    js=(HERE / "canvas.js").read_text(encoding="utf-8"),
)


@dataclass(frozen=True)
class Drawing:
    """What is on the canvas: RGBA pixels (white ink on opaque black) or None while it is empty, and whether
    the drawing is finished (the pointer is up) or a stroke is still going on."""

    rgba: np.ndarray | None
    final: bool


def brush_range(size: int) -> dict[str, int]:
    """Brush widths in canvas pixels: 6-40 with 20 by default on the 280-pixel canvas, in proportion on others."""
    scale = size / 280
    return {"min": max(1, round(6 * scale)), "max": round(40 * scale), "value": round(20 * scale)}


def draw_canvas(key: str, size: int, labels: dict[str, str]) -> Drawing:
    """Show the canvas (size x size pixels) under `key` and return what is drawn on it.

    labels: the texts it shows, in the page's language: canvas (its accessible name), brush, brush_help, undo,
    clear. Raises images.ImageError when the browser sent something that is not a usable PNG.
    """
    result = COMPONENT(
        key=key, data={"size": int(size), "brush": brush_range(int(size)), "labels": labels},
        on_drawing_change=lambda: None, width="content",
    )  # fmt: skip
    return decode(result.get("drawing"))


def decode(value: Any) -> Drawing:
    """The component's value as a Drawing (an empty, finished one for anything that is not a drawing)."""
    if not isinstance(value, dict):
        return Drawing(None, True)
    final = value.get("final") is not False
    url = value.get("png")
    if not isinstance(url, str) or not url.startswith(PNG_URL):
        return Drawing(None, final)
    try:
        png = base64.b64decode(url[len(PNG_URL) :], validate=True)
    except (binascii.Error, ValueError):
        return Drawing(None, final)
    rgb = load_image(png, mode="RGB", background=(0, 0, 0), max_bytes=MAX_PNG_BYTES, max_pixels=MAX_PIXELS)
    alpha = np.full((*rgb.shape[:2], 1), 255, np.uint8)
    return Drawing(np.concatenate([rgb, alpha], axis=2), final)
