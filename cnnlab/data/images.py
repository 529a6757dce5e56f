"""The one safe image loader: every page, the CLI and the dataset ingester decode images here.

Images come from users (uploads, zips, drawn canvases), so this module treats every byte as
hostile: the format is decided by content (never by the file name) against a short allow-list,
the pixel count is checked from the header before anything is decoded, truncated files are
refused, and whatever Pillow raises on bad data comes out as one `ImageError` with a message a
user can act on. The result is always a uint8 H x W x C array (C = 1 for "L", 3 for "RGB").
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
import warnings
from collections import OrderedDict
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageFile, ImageOps

from cnnlab.errors import CnnLabError, Phrase

#: Pillow format names accepted, in the order they are listed to users.
ALLOWED_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
# MPO (multi-picture JPEG from phone cameras) is opened by Pillow's JPEG plugin; its first picture is a JPEG.
_ACCEPTED_PILLOW_FORMATS = frozenset((*ALLOWED_FORMATS, "MPO"))

DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: Transparent pixels are composited onto white by default: that is how a transparent PNG looks on a
#: web page or in most viewers, so the array matches what the user saw. Digit pages that draw white
#: strokes on a transparent canvas should pass background=0 (black, like MNIST).
DEFAULT_BACKGROUND: tuple[int, int, int] = (255, 255, 255)

_GRAY_MODES = frozenset(("1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"))
_WIDE_GRAY_MODES = frozenset(("I", "I;16", "I;16L", "I;16B", "I;16N", "F"))
_ALPHA_MODES = frozenset(("RGBA", "RGBa", "LA", "La", "PA"))

# A truncated file must be an error, never a half-grey image; nothing in CNN Lab may flip this global.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageError(CnnLabError, ValueError):
    """An image that cannot be used (or settings it cannot be read with); the message names the file, the problem
    and what is allowed."""


# ---------------------------------------------------------------- format sniffing

_ALLOWED_TEXT = ", ".join(ALLOWED_FORMATS)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),  # BigTIFF
    (b"MM\x00+", "TIFF"),
    (b"8BPS", "PSD"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG2000"),
    (b"\xff\x4f\xff\x51", "JPEG2000"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x02\x00", "CUR"),
    (b"icns", "ICNS"),
    (b"qoif", "QOI"),
    (b"DDS ", "DDS"),
    (b"\x76\x2f\x31\x01", "EXR"),
    (b"%PDF", "PDF"),
    (b"%!PS", "EPS"),
    (b"\xc5\xd0\xd3\xc6", "EPS"),
    (b"SIMPLE  =", "FITS"),
    (b"PK\x03\x04", "ZIP"),
    (b"BM", "BMP"),
)
_NOT_IMAGES = frozenset(("PDF", "ZIP"))
_HEIF_BRANDS = {
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"hevc": "HEIC",
    b"heim": "HEIC",
    b"heis": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
    b"avif": "AVIF",
    b"avis": "AVIF",
}


def sniff_format(data: bytes) -> str | None:
    """Name the file format from its magic bytes (e.g. "PNG", "TIFF"), or None when unknown.

    Only used to explain refusals ("x.png is a TIFF image"); whether an image is accepted is decided
    by Pillow's own content detection restricted to ALLOWED_FORMATS.
    """
    head = bytes(data[:64])
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[head[8:12]]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if len(head) >= 3 and head[0:1] == b"P" and head[1:2] in b"123456" and head[2:3] in b" \t\r\n":
        return "PPM"
    text = head.lstrip().lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in bytes(data[:1024]).lower()):
        return "SVG"
    return None


# ---------------------------------------------------------------- reading the source


def _label_for(source: object) -> str | Phrase:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name or str(source)
    name = getattr(source, "name", None)
    if isinstance(name, str) and name:
        return os.path.basename(name) or name
    return Phrase("engine.word.the_image")


def _read_source(source: bytes | str | Path | BinaryIO, label: str | Phrase, max_bytes: int) -> bytes:
    """All bytes of the source, refusing anything larger than max_bytes without reading it all."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                raise ImageError("engine.image.not_regular", label=label)
            if info.st_size > max_bytes:
                raise ImageError("engine.image.too_big", label=label, size=_mb(info.st_size), limit=_mb(max_bytes))
            with path.open("rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise ImageError("engine.image.cannot_read", label=label, detail=str(exc.strerror or exc)) from exc
    elif hasattr(source, "read"):
        try:
            data = source.read(max_bytes + 1)
        except (OSError, ValueError) as exc:
            raise ImageError("engine.image.cannot_read", label=label, detail=str(exc)) from exc
        if not isinstance(data, (bytes, bytearray)):
            raise ImageError("engine.image.text_mode", label=label)
        data = bytes(data)
    else:
        raise TypeError(f"load_image needs bytes, a path or a binary file, not {type(source).__name__}")
    if len(data) > max_bytes:
        raise ImageError("engine.image.larger_than", label=label, limit=_mb(max_bytes))
    if not data:
        raise ImageError("engine.image.empty", label=label)
    return data


def _mb(n: int) -> str | Phrase:
    """A file size as people read it: "12.3 MB", or "12,345 bytes" (a Phrase: the word is translated)."""
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else Phrase("engine.word.bytes", count=f"{n:,}")


# ---------------------------------------------------------------- normalisation steps


def _check_args(
    mode: str | None, size: tuple[int, int] | None, max_pixels: int, background: int | tuple[int, int, int]
) -> tuple[int, int, int]:
    if mode not in (None, "L", "RGB"):
        raise ImageError("engine.image.bad_mode", value=repr(mode))
    if not isinstance(max_pixels, int) or max_pixels < 1:
        raise ImageError("engine.image.bad_max_pixels")
    if size is not None:
        if len(size) != 2 or not all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1 for d in size
        ):
            raise ImageError("engine.image.bad_size", value=repr(size))
        if int(size[0]) * int(size[1]) > max_pixels:
            raise ImageError(
                "engine.image.size_over_limit", width=str(size[0]), height=str(size[1]), limit=f"{max_pixels:,}"
            )
    bg = (background,) * 3 if isinstance(background, int) else tuple(background)
    if len(bg) != 3 or not all(isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in bg):
        raise ImageError("engine.image.bad_background", value=repr(background))
    return tuple(int(c) for c in bg)  # type: ignore[return-value]


def _wide_gray_to_l(im: Image.Image) -> Image.Image:
    """16-bit / 32-bit grayscale to 8-bit by scaling the full range (65535 -> 255), not by clipping.

    Pillow's own convert("L") clips every value above 255 to white, which turns a 16-bit PNG white.
    """
    arr = np.asarray(im)
    if im.mode == "F":
        out = np.clip(np.nan_to_num(arr, nan=0.0), 0, 255).round()
    else:
        wide = np.clip(arr.astype(np.int64), 0, 65535)
        out = (wide * 255 + 32767) // 65535
    return Image.fromarray(out.astype(np.uint8), mode="L")


def _composite(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Flatten transparency onto a solid background (RGBA in, RGB out)."""
    base = Image.new("RGBA", im.size, (*background, 255))
    return Image.alpha_composite(base, im.convert("RGBA")).convert("RGB")


def _palette_is_gray(rgba: Image.Image) -> bool:
    """Whether every visible pixel of a palette image is a shade of grey (so it is a grayscale source)."""
    arr = np.asarray(rgba)
    visible = arr[..., 3] > 0
    r, g, b = arr[..., 0][visible], arr[..., 1][visible], arr[..., 2][visible]
    return bool(np.array_equal(r, g) and np.array_equal(g, b))


def _normalise(
    im: Image.Image, mode: str | None, size: tuple[int, int] | None, background: tuple[int, int, int]
) -> np.ndarray:
    im = ImageOps.exif_transpose(im) or im
    gray = im.mode in _GRAY_MODES
    if im.mode in _WIDE_GRAY_MODES:
        im = _wide_gray_to_l(im)  # any 16-bit tRNS colour key is dropped: 8-bit cannot express it exactly
    elif im.mode in ("P", "PA"):
        im = im.convert("RGBA")
        gray = _palette_is_gray(im)
    elif im.mode == "1":
        im = im.convert("L")
    elif im.mode not in ("L", "RGB", *_ALPHA_MODES):
        im = im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, ...
    if im.mode in _ALPHA_MODES or im.info.get("transparency") is not None:
        im = _composite(im, background)
    im = im.convert(mode or ("L" if gray else "RGB"))
    if size is not None and im.size != tuple(size):
        im = im.resize((int(size[0]), int(size[1])), Image.Resampling.LANCZOS)
    arr = np.asarray(im, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[..., None]
    return np.ascontiguousarray(arr)


MAX_JPEG_SCANS = 64  # progressive JPEGs use about 10; each scan re-decodes the image, so thousands cost minutes


def jpeg_scans(data: bytes) -> int:
    """How many scans (SOS segments) a JPEG holds, read from its segment structure without decoding it.

    Header segments are skipped by their declared lengths (their bytes are not searched); in entropy-coded data a
    0xFF byte is always followed by 0x00 or a restart marker, so any other marker there is a real one."""
    pos, scans, size = 2, 0, len(data)
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            return scans  # not a marker where one must be: damaged; Pillow will say so
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image
            return scans
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            scans += 1
            pos = _end_of_scan(data, pos)
    return scans


_NOT_MARKERS = frozenset({0x00, 0xFF, *range(0xD0, 0xD8)})  # stuffing, fill and restart markers inside scan data


def _end_of_scan(data: bytes, pos: int) -> int:
    """Where the entropy-coded data that starts at `pos` ends: the next marker that is not stuffing or a restart."""
    while (pos := data.find(b"\xff", pos)) >= 0 and pos + 1 < len(data):
        if data[pos + 1] not in _NOT_MARKERS:
            return pos
        pos += 1
    return len(data)


def _check_pixels(label: str | Phrase, width: int, height: int, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise ImageError("engine.image.no_pixels", label=label, width=width, height=height)
    if width * height > max_pixels:
        raise ImageError(
            "engine.image.too_many_pixels",
            label=label,
            width=f"{width:,}",
            height=f"{height:,}",
            pixels=f"{width * height:,}",
            limit=f"{max_pixels:,}",
        )


def _webp_canvas(data: bytes) -> tuple[int, int] | None:
    """The canvas size a WEBP header declares (VP8, VP8L or VP8X), read without decoding anything."""
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _wrong_format(label: str | Phrase, fmt: str) -> ImageError:
    key = "engine.image.wrong_file" if fmt in _NOT_IMAGES else "engine.image.wrong_format"
    return ImageError(key, label=label, format=fmt, allowed=_ALLOWED_TEXT)


def _refusal_for_unidentified(data: bytes, label: str | Phrase) -> ImageError:
    sniffed = sniff_format(data)
    if sniffed in ALLOWED_FORMATS:
        return ImageError("engine.image.damaged_header", label=label, format=sniffed)
    if sniffed is not None:
        return _wrong_format(label, sniffed)
    return ImageError("engine.image.unrecognised", label=label, allowed=_ALLOWED_TEXT)


# ---------------------------------------------------------------- public API


def load_image(
    source: bytes | str | Path | BinaryIO,
    *,
    mode: str | None = None,
    size: tuple[int, int] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    background: int | tuple[int, int, int] = DEFAULT_BACKGROUND,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> np.ndarray:
    """Decode an untrusted image into a uint8 H x W x C array, or raise ImageError saying why not.

    - source: raw bytes, a file path, or a binary file object (read from its current position).
    - mode: "L" (C=1), "RGB" (C=3) or None to keep the natural colour class: "L" for grayscale
      sources (including grey-only palettes and 16-bit grayscale), "RGB" for everything else.
    - size: optional (width, height); resized with LANCZOS after orientation is applied.
    - max_pixels: width x height limit, checked from the header before decoding (decompression bombs).
      Pillow's own global limit (Image.MAX_IMAGE_PIXELS) still applies on top, as an error.
    - background: colour under transparent pixels, default white (see DEFAULT_BACKGROUND).
    - max_bytes: the largest file accepted; name: what error messages call the image.

    Content, not the file name, decides the format (PNG, JPEG, GIF, BMP, WEBP only). EXIF
    orientation is applied, 16-bit images are scaled to 8 bits, palettes and alpha are flattened,
    CMYK becomes RGB, and animated GIF/WEBP give their first frame.
    """
    bg = _check_args(mode, size, max_pixels, background)
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # CNN Lab policy; undo any library or page that flipped it
    label = name or _label_for(source)
    data = _read_source(source, label, max_bytes)
    sniffed = sniff_format(data)
    if sniffed is not None and sniffed not in ALLOWED_FORMATS:
        raise _wrong_format(label, sniffed)
    if sniffed == "WEBP" and (canvas := _webp_canvas(data)) is not None:
        _check_pixels(label, *canvas, max_pixels)  # libwebp allocates the whole canvas while Pillow opens the file
    if sniffed == "JPEG" and (scans := jpeg_scans(data)) > MAX_JPEG_SCANS:
        raise ImageError("engine.image.too_many_scans", label=label, scans=f"{scans:,}", limit=MAX_JPEG_SCANS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            try:
                im = Image.open(BytesIO(data), formats=list(ALLOWED_FORMATS))
            except Image.UnidentifiedImageError:
                raise _refusal_for_unidentified(data, label) from None
            with im:
                if im.format not in _ACCEPTED_PILLOW_FORMATS:
                    raise _wrong_format(label, str(im.format))
                _check_pixels(label, *im.size, max_pixels)
                if size is not None and im.format in ("JPEG", "MPO"):
                    side = max(int(size[0]), int(size[1]))  # before EXIF rotation, so cover both orientations
                    im.draft(None, (side, side))  # decode big JPEGs at 1/2..1/8 scale: far less memory
                im.load()
                return _normalise(im, mode, size, bg)
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError("engine.image.bomb", label=label, detail=str(exc)) from exc
        except MemoryError as exc:
            raise ImageError("engine.image.memory", label=label) from exc
        except Exception as exc:  # any failure inside Pillow on hostile bytes is a bad image, not a crash
            detail = str(exc) or type(exc).__name__
            raise ImageError("engine.image.damaged", label=label, detail=detail) from exc


_DECODED: OrderedDict[tuple, np.ndarray] = OrderedDict()  # recent uploads: a page rerun does not decode again
_DECODED_KEEP = 8
_DECODED_LOCK = threading.Lock()


def decode_upload(source: bytes | str | Path | BinaryIO, *, name: str | None = None, **options: Any) -> np.ndarray:
    """`load_image` for a file a visitor handed us: decoded in a capped child process (cnnlab.untrusted).

    A crafted image can make a decoder loop or allocate while holding the GIL; in the child that ends as
    "took too long" / "needed too much memory" and the server goes on. The same bytes decoded again (a page
    rerun) come from a small cache. Raises ImageError (or UntrustedFileError) saying why not.
    """
    from cnnlab import untrusted

    _check_args(options.get("mode"), options.get("size"), options.get("max_pixels", DEFAULT_MAX_PIXELS),
                options.get("background", DEFAULT_BACKGROUND))  # fmt: skip
    label = name or _label_for(source)
    data = _read_source(source, label, int(options.get("max_bytes", DEFAULT_MAX_BYTES)))
    key = (hashlib.sha256(data).hexdigest(), json.dumps(options, sort_keys=True, default=list), str(label))
    with _DECODED_LOCK:
        if key in _DECODED:
            _DECODED.move_to_end(key)
            return _DECODED[key].copy()
    text_label = label if isinstance(label, str) else None
    try:
        pixels = untrusted.parse("image", data, label=label, name=text_label, **options).arrays["pixels"]
    except untrusted.UntrustedFileError as exc:  # too slow / too much memory: to a page, one more bad image
        raise ImageError(exc.key, **exc.values) from None
    with _DECODED_LOCK:
        _DECODED[key] = pixels
        while len(_DECODED) > _DECODED_KEEP:
            _DECODED.popitem(last=False)
    return pixels.copy()


def decode_task(data: bytes, **options: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """`load_image` as a task for cnnlab.untrusted (run in a capped child): the pixels, and nothing else."""
    if options.get("size") is not None:
        options["size"] = tuple(options["size"])
    if isinstance(options.get("background"), list):
        options["background"] = tuple(options["background"])
    return {"pixels": load_image(data, **options)}, {}
