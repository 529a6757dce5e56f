"""cnnlab.untrusted: parsing in a capped child — plain data back, keyed refusals back, hangs and blow-ups stopped."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from cnnlab.data.images import ImageError, load_image
from cnnlab.errors import CnnLabError
from cnnlab.untrusted import UntrustedFileError, parse

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the memory cap (RLIMIT_AS) needs a POSIX system")


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def test_a_normal_image_decodes_in_the_child_exactly_as_in_process():
    pixels = (np.random.default_rng(0).random((40, 30, 3)) * 255).astype(np.uint8)
    data = png(Image.fromarray(pixels))
    parsed = parse("image", data, label="photo.png", mode="L", size=[28, 28])
    assert np.array_equal(parsed.arrays["pixels"], load_image(data, mode="L", size=(28, 28)))


def test_a_refusal_made_in_the_child_arrives_as_the_same_keyed_error():
    with pytest.raises(ImageError) as info:
        parse("image", b"%PDF-1.4 not an image", label="x", name="paper.pdf")
    assert info.value.key == "engine.image.wrong_file"
    with pytest.raises(ImageError) as here:
        load_image(b"%PDF-1.4 not an image", name="paper.pdf")
    assert str(info.value) == str(here.value)
    assert "paper.pdf" in info.value.message("zh")


def test_a_child_past_its_time_limit_is_stopped_and_named():
    big = png(Image.new("L", (6000, 6000)))  # decodes for a while; the child alone needs longer than 50 ms to start
    with pytest.raises(UntrustedFileError) as info:
        parse("image", big, label="slow.png", max_pixels=50_000_000, timeout_s=0.05)
    assert info.value.key == "engine.untrusted.too_slow"
    assert str(info.value) == "slow.png could not be read safely: reading it took longer than 0.05 s"
    assert "slow.png" in info.value.message("zh") and "0.05" in info.value.message("zh")


def test_a_decode_that_needs_more_than_the_memory_cap_is_refused_not_run():
    huge = png(Image.new("RGB", (9000, 9000)))  # 240 KB of PNG, 243 MB of pixels
    with pytest.raises(CnnLabError) as info:
        parse("image", huge, label="bomb.png", max_pixels=100_000_000, memory_bytes=450 * 1024**2)
    assert info.value.key in {"engine.image.memory", "engine.untrusted.too_big"}


def test_only_named_tasks_run():
    with pytest.raises(ValueError, match="unknown"):
        parse("os.system", b"")
