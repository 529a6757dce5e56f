"""cnnlab.images.load_image against real files, hostile ones built at test time by tests/hostile.py."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from cnnlab.data.images import ALLOWED_FORMATS, ImageError, load_image, sniff_format
from tests import hostile

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ---------------------------------------------------------------- sources and formats


def test_bytes_path_and_file_objects_give_the_same_array(tmp_path: Path) -> None:
    data = hostile.noise_png((10, 6))
    path = tmp_path / "noise.png"
    path.write_bytes(data)
    from_bytes = load_image(data)
    assert from_bytes.dtype == np.uint8 and from_bytes.shape == (6, 10, 3)
    np.testing.assert_array_equal(load_image(path), from_bytes)
    np.testing.assert_array_equal(load_image(str(path)), from_bytes)
    with path.open("rb") as fh:
        np.testing.assert_array_equal(load_image(fh), from_bytes)
    np.testing.assert_array_equal(load_image(io.BytesIO(data)), from_bytes)
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_array_equal(from_bytes, expected)  # PNG is lossless: exactly the encoded pixels


@pytest.mark.parametrize("fmt", ["png", "jpeg", "gif", "bmp", "webp"])
def test_every_allowed_format_decodes(fmt: str) -> None:
    arr = load_image(hostile.valid_images()[fmt])
    assert arr.shape == (12, 10, 3) and arr.dtype == np.uint8


def test_tiff_renamed_png_is_refused_by_content(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(hostile.tiff_bytes())
    with pytest.raises(ImageError, match=r"^photo\.png is a TIFF image; allowed: PNG, JPEG, GIF, BMP, WEBP$"):
        load_image(path)


def test_a_png_named_jpg_is_accepted_because_content_decides(tmp_path: Path) -> None:
    path = tmp_path / "digit.jpg"
    path.write_bytes(hostile.gray_png(77))
    assert load_image(path)[0, 0, 0] == 77


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"just some text, no image", "not a recognised image"),
        (b"%PDF-1.7 ...", "is a PDF file"),
        (b"PK\x03\x04rest", "is a ZIP file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "looks like a PNG image but its header is damaged"),
    ],
)
def test_non_images_are_refused_with_a_readable_reason(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        load_image(data, name="upload.png")


def test_missing_file_and_directory_are_image_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"cannot read nope\.png"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="not a regular file"):
        load_image(tmp_path)


def test_file_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(hostile.noise_png((64, 64)))
    with pytest.raises(ImageError, match="the limit is 1,000 bytes"):
        load_image(path, max_bytes=1000)
    with pytest.raises(ImageError, match="larger than the 1,000 bytes limit"):
        load_image(io.BytesIO(path.read_bytes()), max_bytes=1000)


def test_bad_arguments_are_value_errors() -> None:
    data = hostile.gray_png()
    for kwargs in ({"mode": "CMYK"}, {"size": (0, 5)}, {"size": (2.5, 3)}, {"max_pixels": 0}, {"background": 300}):
        with pytest.raises(ValueError):
            load_image(data, **kwargs)


def test_sniff_format_names_common_formats() -> None:
    images = hostile.valid_images()
    assert [sniff_format(images[k]) for k in ("png", "jpeg", "gif", "bmp", "webp")] == list(ALLOWED_FORMATS)
    assert sniff_format(hostile.tiff_bytes()) == "TIFF"
    assert sniff_format(b"\x00\x00\x00\x1cftypavif\x00") == "AVIF"
    assert sniff_format(b"\x00\x00\x00\x18ftypheic\x00") == "HEIC"
    assert sniff_format(b"<?xml version='1.0'?><svg xmlns='x'/>") == "SVG"
    assert sniff_format(b"P5\n28 28\n255\n") == "PPM"
    assert sniff_format(b"hello") is None and sniff_format(b"") is None


# ---------------------------------------------------------------- damaged files and bombs


def test_truncation_stays_an_error(monkeypatch) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # someone else flipped the global
    with pytest.raises(ImageError, match="truncated"):
        load_image(hostile.truncated_png(), name="cut.png")
    with pytest.raises(ImageError, match="truncated"):
        load_image(hostile.truncated_jpeg(), name="cut.jpg")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_corrupt_jpeg_is_refused() -> None:
    with pytest.raises(ImageError, match=r"^broken\.jpg is damaged"):
        load_image(hostile.corrupt_jpeg(), name="broken.jpg")


def test_pixel_cap_is_checked_from_the_header_before_decoding() -> None:
    # 8000 x 8000 with one real row: Pillow would happily decode 64 MB of zeros from this 150-byte file.
    bomb = hostile.png_bomb(8000, 8000)
    assert len(bomb) < 300
    with pytest.raises(ImageError, match=r"8,000x8,000 = 64,000,000 pixels; the limit is 40,000,000"):
        load_image(bomb, name="bomb.png")
    # libwebp allocates the canvas while the file is opened, so WEBP headers are checked before Pillow sees them.
    with pytest.raises(ImageError, match=r"8,000x6,000 = 48,000,000 pixels; the limit is 40,000,000"):
        load_image(hostile.webp_bomb(8000, 6000), name="bomb.webp")
    with pytest.raises(ImageError, match="the limit is 1,000"):
        load_image(hostile.gray_png(size=(40, 30)), max_pixels=1000)
    assert load_image(hostile.gray_png(size=(40, 25)), max_pixels=1000).shape == (25, 40, 1)


def test_pillow_bomb_warning_becomes_an_error_and_the_filter_is_restored() -> None:
    # 100 Mpx is over Pillow's own warning threshold (~89 Mpx): with our cap lifted, the warning must stop it.
    with pytest.raises(ImageError, match="too large to decode safely"):
        load_image(hostile.png_bomb(10_000, 10_000), max_pixels=10**9)
    with pytest.raises(ImageError, match="too large to decode safely"):
        load_image(hostile.png_bomb(100_000, 100_000), max_pixels=10**12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("probe", Image.DecompressionBombWarning, stacklevel=1)
    assert len(caught) == 1  # still a warning outside load_image


# ---------------------------------------------------------------- normalisation


def test_sixteen_bit_png_is_scaled_not_clipped() -> None:
    data, values = hostile.png16()
    arr = load_image(data)
    assert arr.shape == (4, 256, 1)
    np.testing.assert_array_equal(arr[..., 0], np.round(values / 257.0).astype(np.uint8))
    assert arr[0, 0, 0] == 0 and arr[0, -1, 0] == 255 and 126 <= arr[0, 128, 0] <= 129


def test_cmyk_jpeg_becomes_rgb() -> None:
    arr = load_image(hostile.cmyk_jpeg())
    assert arr.shape == (16, 16, 3)
    assert np.abs(arr.astype(int) - (255, 0, 0)).max() <= 3


def test_rgba_is_composited_on_the_background() -> None:
    white = load_image(hostile.rgba_png())
    assert white.shape == (4, 8, 3)
    assert (white[:, :4] == (255, 0, 0)).all()  # opaque red stays red
    assert (white[:, 6:] == (255, 255, 255)).all()  # transparent green is gone: default white
    assert np.abs(white[:, 4:6].astype(int) - (255, 127, 127)).max() <= 1  # half-transparent red over white
    black = load_image(hostile.rgba_png(), background=0)
    assert (black[:, 6:] == 0).all()
    assert np.abs(black[:, 4:6].astype(int) - (128, 0, 0)).max() <= 1
    gray = load_image(hostile.rgba_png(), mode="L", background=(0, 0, 0))
    assert gray.shape == (4, 8, 1) and (gray[:, 6:] == 0).all()


def test_palette_with_transparency() -> None:
    arr = load_image(hostile.palette_png(), background=(10, 20, 30))
    assert arr.shape == (8, 8, 3)
    assert (arr[:, :4] == (10, 20, 30)).all()  # transparent index shows the background, not magenta
    assert (arr[:, 4:] == (0, 128, 0)).all()
    grey = load_image(hostile.palette_png(gray=True))
    assert grey.shape == (8, 8, 1)  # a grey-only palette is a grayscale source
    assert (grey[:, :4, 0] == 255).all() and (grey[:, 4:, 0] == 77).all()


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animated_images_give_their_first_frame(fmt: str) -> None:
    data = hostile.animated(fmt)
    with Image.open(io.BytesIO(data)) as im:
        assert im.n_frames == 3
    arr = load_image(data)
    assert arr.shape == (12, 12, 3)
    assert (arr == hostile.FRAME_COLOURS[0]).all()


def test_exif_orientation_is_applied() -> None:
    # Orientation 6: the stored picture must turn 90 degrees clockwise; stored top-left ends top-right.
    arr = load_image(hostile.exif_rotated_jpeg(6))
    assert arr.shape == (40, 20, 3)
    assert arr[:10, 10:].mean() > 240 and arr[:10, :10].mean() < 15 and arr[10:].mean() < 15
    upside_down = load_image(hostile.exif_rotated_jpeg(3))
    assert upside_down.shape == (20, 40, 3)
    assert upside_down[10:, 30:].mean() > 240 and upside_down[:10, :10].mean() < 15
    plain = load_image(hostile.exif_rotated_jpeg(1))
    assert plain[:10, :10].mean() > 240


def test_mode_and_size() -> None:
    data = hostile.gray_png(200, size=(30, 20))
    assert load_image(data).shape == (20, 30, 1)
    rgb = load_image(data, mode="RGB", size=(15, 10))
    assert rgb.shape == (10, 15, 3) and (rgb == 200).all()
    colour = hostile.encode(Image.new("RGB", (8, 8), (255, 0, 0)), "PNG")
    assert load_image(colour, mode="L")[0, 0, 0] == 76  # ITU-R 601 luma of pure red


def test_large_jpeg_resized_through_draft_keeps_its_content() -> None:
    arr = np.zeros((1200, 1600, 3), dtype=np.uint8)
    arr[:, 800:] = (0, 0, 255)
    small = load_image(hostile.encode(Image.fromarray(arr), "JPEG", quality=95), size=(32, 24))
    assert small.shape == (24, 32, 3)
    assert small[:, :14, 2].max() < 20 and small[:, 18:, 2].min() > 230


# ---------------------------------------------------------------- fuzzing: only ImageError may escape


def _decode_or_refuse(data: bytes) -> None:
    try:
        arr = load_image(data, max_pixels=2_000_000)
    except ImageError as exc:
        assert str(exc)
    else:
        assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] in (1, 3)


@FUZZ
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes(data: bytes) -> None:
    _decode_or_refuse(data)


@FUZZ
@given(st.binary(max_size=64))
def test_fuzz_random_tails_after_real_magic(tail: bytes) -> None:
    for magic in (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"BM", b"RIFF\x10\x00\x00\x00WEBPVP8 "):
        _decode_or_refuse(magic + tail)


SEEDS = hostile.valid_images()


@FUZZ
@given(
    st.sampled_from(sorted(SEEDS)),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8),
    st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_fuzz_mutated_valid_images(fmt: str, flips: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(SEEDS[fmt])
    for pos, value in flips:
        data[pos % len(data)] = value
    _decode_or_refuse(bytes(data[:cut] if cut is not None else data))


def test_a_jpeg_of_thousands_of_scans_is_refused_before_decoding() -> None:
    """Each scan of a progressive JPEG makes the decoder go over the whole image again; the scans are counted from
    the file's structure first, so a crafted file cannot cost minutes of CPU."""
    from cnnlab.data.images import MAX_JPEG_SCANS, jpeg_scans

    hostile_jpeg = hostile.many_scan_jpeg(4000)
    assert jpeg_scans(hostile_jpeg) == 4000
    with pytest.raises(ImageError) as info:
        load_image(hostile_jpeg, name="scans.jpg")
    assert info.value.key == "engine.image.too_many_scans" and "4,000" in str(info.value)
    for progressive in (False, True):  # ordinary JPEGs: 1 and about 10 scans, well under the limit
        buf = io.BytesIO()
        Image.fromarray(np.full((32, 32, 3), 90, np.uint8)).save(buf, "JPEG", progressive=progressive)
        assert 1 <= jpeg_scans(buf.getvalue()) <= MAX_JPEG_SCANS
        assert load_image(buf.getvalue()).shape == (32, 32, 3)


@given(st.binary(max_size=4096))
@settings(max_examples=300, deadline=None)
def test_counting_scans_of_any_bytes_ends_and_never_raises(data: bytes) -> None:
    from cnnlab.data.images import jpeg_scans

    assert jpeg_scans(b"\xff\xd8" + data) >= 0
