"""Builders for hostile (and a few friendly) images and zips, made at test time: no binary fixtures in git.

Every builder returns bytes produced by real encoders (Pillow, zipfile, numpy), with the hostile
part applied on top: cut files, patched headers, lying sizes, link entries and so on.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable

import numpy as np
from PIL import Image

# ---------------------------------------------------------------- images


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def gray_png(value: int = 128, size: tuple[int, int] = (28, 28)) -> bytes:
    return encode(Image.new("L", size, value), "PNG")


def noise_png(size: tuple[int, int] = (64, 64), seed: int = 0) -> bytes:
    """An RGB PNG of random pixels: it barely compresses, so cutting it really loses image data."""
    arr = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return encode(Image.fromarray(arr, "RGB"), "PNG")


def truncated_png() -> bytes:
    data = noise_png()
    return data[: len(data) * 6 // 10]


def truncated_jpeg() -> bytes:
    arr = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(arr, "RGB"), "JPEG", quality=95)
    return data[: len(data) // 2]


def corrupt_jpeg() -> bytes:
    """A JPEG whose header segments after the SOI marker are overwritten with garbage."""
    data = encode(Image.new("RGB", (32, 32), (200, 30, 30)), "JPEG")
    garbage = bytes(np.random.default_rng(2).integers(0, 256, 120, dtype=np.uint8))
    return data[:3] + garbage + data[3 + len(garbage) :]


def tiff_bytes() -> bytes:
    return encode(Image.new("L", (28, 28), 90), "TIFF")


def png16(width: int = 256, height: int = 4) -> tuple[bytes, np.ndarray]:
    """A 16-bit grayscale PNG spanning 0..65535, and the 16-bit values it holds."""
    row = np.linspace(0, 65535, width).round().astype(np.uint16)
    values = np.tile(row, (height, 1))
    im = Image.fromarray(values)
    assert im.mode == "I;16"
    return encode(im, "PNG"), values


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=100)  # pure red


def rgba_png() -> bytes:
    """8x4 RGBA: columns 0-3 opaque red, 4-5 half-transparent red, 6-7 fully transparent green."""
    arr = np.zeros((4, 8, 4), dtype=np.uint8)
    arr[:, :6] = (255, 0, 0, 255)
    arr[:, 4:6, 3] = 128
    arr[:, 6:] = (0, 255, 0, 0)
    return encode(Image.fromarray(arr, "RGBA"), "PNG")


def palette_png(gray: bool = False) -> bytes:
    """8x8 palette PNG: left half palette index 0 (transparent), right half index 2 (green, or grey)."""
    im = Image.new("P", (8, 8), 0)
    palette = [255, 0, 255, 255, 255, 255, 0, 128, 0] if not gray else [255, 255, 255, 0, 0, 0, 77, 77, 77]
    im.putpalette(palette + [0] * (768 - len(palette)))
    im.paste(2, (4, 0, 8, 8))
    return encode(im, "PNG", transparency=0)


FRAME_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255))


def animated(fmt: str) -> bytes:
    """A 3-frame animated GIF or WEBP: red, then green, then blue."""
    frames = [Image.new("RGB", (12, 12), c) for c in FRAME_COLOURS]
    extra = {"lossless": True} if fmt == "WEBP" else {}
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0, **extra)


def exif_rotated_jpeg(orientation: int = 6) -> bytes:
    """Stored 40 wide x 20 high, black with a white 10x10 block in the stored top-left corner."""
    arr = np.zeros((20, 40, 3), dtype=np.uint8)
    arr[:10, :10] = 255
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(Image.fromarray(arr, "RGB"), "JPEG", quality=95, exif=exif)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int, with_data: bool = True) -> bytes:
    """A tiny valid-looking PNG declaring width x height 8-bit grey pixels (a decompression bomb header).

    With data, the IDAT holds one compressed empty row; without, the file ends after the header.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
    if with_data:
        out += _png_chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1)))
        out += _png_chunk(b"IEND", b"")
    return out


def webp_bomb(width: int, height: int) -> bytes:
    """A WEBP (extended format) header declaring a width x height canvas, with no image data behind it."""
    vp8x = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def valid_images() -> dict[str, bytes]:
    """One small valid file per allowed format: seeds for fuzzing."""
    rgb = Image.fromarray(np.random.default_rng(3).integers(0, 256, (12, 10, 3), dtype=np.uint8), "RGB")
    return {
        "png": encode(rgb, "PNG"),
        "jpeg": encode(rgb, "JPEG"),
        "gif": encode(rgb.convert("P"), "GIF"),
        "bmp": encode(rgb, "BMP"),
        "webp": encode(rgb, "WEBP"),
    }


# ---------------------------------------------------------------- zips


def file_info(name: str, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = compress
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.create_system = 3
    return info


def symlink_info(name: str) -> zipfile.ZipInfo:
    """A Unix symlink entry (its data is the link target), as `zip --symlinks` writes it."""
    info = file_info(name, zipfile.ZIP_STORED)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def build_zip(members: Iterable[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    """A zip holding exactly these entries; names are written verbatim (no sanitising)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = name if isinstance(name, zipfile.ZipInfo) else file_info(name)
            if info.filename.endswith("/"):
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
            zf.writestr(info, data)
    return buf.getvalue()


def class_images(classes: Iterable[str] = ("a", "b"), per_class: int = 3, top: str = "") -> list[tuple[str, bytes]]:
    """Small distinct grey PNGs in class folders, e.g. a/0.png ... b/2.png (optionally under a top folder)."""
    out = []
    for c_index, cls in enumerate(classes):
        for i in range(per_class):
            out.append((f"{top}{cls}/{i}.png", gray_png(20 + 40 * c_index + i)))
    return out


def zip_bomb_member(megabytes: int = 8) -> bytes:
    """Zeros: deflate squeezes this about 1000:1, far over any sane ratio limit."""
    return b"\x00" * (megabytes * 1024 * 1024)


def patch_sizes(zip_data: bytes, member: str, new_size: int) -> bytes:
    """Rewrite one member's declared uncompressed size in both its local and central headers (a lying header)."""
    data = bytearray(zip_data)
    # (header signature, offset of the name length, of the name, of the uncompressed size)
    for signature, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        pos = 0
        while (pos := data.find(signature, pos)) >= 0:
            name_len = struct.unpack_from("<H", data, pos + name_len_at)[0]
            if bytes(data[pos + name_at : pos + name_at + name_len]) == member.encode():
                struct.pack_into("<I", data, pos + size_at, new_size)
            pos += 4
    return bytes(data)


def patch_end_record(zip_data: bytes, *, entries: int | None = None, cd_size: int | None = None) -> bytes:
    """Make the end-of-central-directory record claim a different entry count or directory size."""
    data = bytearray(zip_data)
    pos = data.rfind(b"PK\x05\x06")
    if entries is not None:
        struct.pack_into("<HH", data, pos + 8, entries, entries)
    if cd_size is not None:
        struct.pack_into("<I", data, pos + 12, cd_size)
    return bytes(data)


def npz_bytes(compressed: bool = True, **arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def npy_with_lying_shape(shape: tuple[int, ...], payload: bytes = b"\x00" * 64) -> bytes:
    """A .npy whose header claims `shape` (uint8) but whose body is only `payload`."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": shape})
    return buf.getvalue() + payload


def many_scan_jpeg(scans: int = 2000) -> bytes:
    """A progressive JPEG whose last scan is repeated until it holds `scans` scans: each scan makes a decoder go
    over the whole image again (the 16,000-scan file that costs half a minute of CPU per decode)."""
    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)).save(
        buf, "JPEG", progressive=True
    )
    data = buf.getvalue()
    last = data.rfind(b"\xff\xda")
    end = data.rfind(b"\xff\xd9")
    head, scan = data[:last], data[last:end]
    have = data.count(b"\xff\xda")
    return head + scan * (scans - have + 1) + b"\xff\xd9"
