"""The drawing canvas component's Python side: what the browser sends becomes the RGBA array the page has always
used, anything else an empty canvas or the safe loader's refusal; and the component is self-contained."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from drawing import digit_canvases
from PIL import Image

from cnnlab.data.images import ImageError
from cnnlab.data.preprocess import canvas_to_mnist
from cnnlab.ui.predict.canvas import HERE, brush_range, decode


def png_url(rgba: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@pytest.mark.parametrize("side", [280, 448])
def test_a_sent_canvas_becomes_the_same_rgba_drawing(side):
    canvas = np.asarray(Image.fromarray(digit_canvases(1, seed=3)[0][0]).resize((side, side)))
    drawing = decode({"png": png_url(canvas), "final": False, "strokes": 2})
    assert drawing.final is False
    assert drawing.rgba.shape == (side, side, 4) and drawing.rgba.dtype == np.uint8
    assert (drawing.rgba[..., 3] == 255).all()
    np.testing.assert_array_equal(drawing.rgba[..., :3], canvas[..., :3])
    np.testing.assert_array_equal(canvas_to_mnist(drawing.rgba), canvas_to_mnist(canvas))


@pytest.mark.parametrize(
    "value",
    [None, "junk", {}, {"png": None, "final": True}, {"png": "data:image/jpeg;base64,AAAA"},
     {"png": "data:image/png;base64,@@"}],
)
def test_anything_but_a_png_is_an_empty_canvas(value):
    drawing = decode(value)
    assert drawing.rgba is None and drawing.final is True


def test_a_png_that_does_not_decode_is_the_safe_loaders_refusal():
    with pytest.raises(ImageError):
        decode({"png": "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode()})


def test_brush_widths_scale_with_the_canvas():
    assert brush_range(280) == {"min": 6, "max": 40, "value": 20}
    assert brush_range(448) == {"min": 10, "max": 64, "value": 32}  # the projector's canvas


def test_the_component_ships_whole_and_reaches_no_network():
    files = {name: (HERE / name).read_text(encoding="utf-8") for name in ("canvas.html", "canvas.css", "canvas.js")}
    for name, text in files.items():
        assert not re.search(r"https?://|//cdn|fetch\(|XMLHttpRequest|WebSocket|@import|\bimport\s", text), name
    js = files["canvas.js"]
    assert "export default function" in js and "setStateValue(\"drawing\"" in js
    assert "THROTTLE_MS = 250" in js and "pointerup" in js and "pointermove" in js
