"""User datasets: a zip of class folders or an .npz of arrays, checked entry by entry, stored under CNNLAB_HOME.

Uploads are hostile until proven otherwise. Nothing is ever extracted to disk: the archive's
directory is validated first (paths, links, member count, declared sizes, compression ratios), then
members are read into memory through a bounded reader, every image is decoded by
`cnnlab.images.load_image`, and only the final arrays are written, by `cnnlab.data.save_user_dataset`.
Every refused or skipped entry is reported with its reason instead of being silently dropped or
renamed. `safe_zip_members` and `open_zip` are generic, so other zip readers (the .keras model
loader) get the same protection.
"""

from __future__ import annotations

import math
import os
import re
import stat
import struct
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import numpy as np

from cnnlab import data as datamod
from cnnlab import paths
from cnnlab.images import DEFAULT_BACKGROUND, ImageError, load_image

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
RESERVED_NAMES = frozenset({datamod.DEFAULT_DATASET, *datamod.BUILTINS})
# Files that operating systems and zip tools add by themselves: skipped, and listed as skipped.
JUNK_NAMES = frozenset({"__macosx", "thumbs.db", "desktop.ini"})
# Decoded images kept between the two passes (beyond this they are decoded again instead).
_KEEP_DECODED_BYTES = 256 * 1024 * 1024
# A central directory entry is 46 bytes plus name, extra field and comment; 1 KiB each is generous.
_CENTRAL_DIR_BYTES_PER_MEMBER = 1024


class IngestError(ValueError):
    """A dataset that cannot be ingested; `report` (when set) lists what was accepted and refused so far."""

    def __init__(self, message: str, report: IngestReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class ZipMemberError(IngestError):
    """One zip member could not be read (damaged, lying header, unsupported compression)."""


class ZipBudgetExceeded(IngestError):
    """The archive unpacked to more bytes than its limit allows: the whole archive is refused."""


@dataclass(frozen=True)
class ZipLimits:
    """Caps for reading an untrusted zip.

    max_members: entries in the archive (files and folders).
    max_total_bytes: uncompressed bytes, checked against the headers AND against what is really read.
    max_member_bytes: uncompressed bytes of any one member.
    max_ratio / ratio_min_bytes: a member larger than ratio_min_bytes that expands more than max_ratio
        times is refused as a zip bomb (small files legitimately compress far better than 100:1).
    max_pixels: per-image pixel cap passed to load_image.
    max_dataset_bytes: size of the final uint8 dataset array (ingest only).
    """

    max_members: int = 20_000
    max_total_bytes: int = 500 * 1024 * 1024
    max_member_bytes: int = 256 * 1024 * 1024
    max_ratio: float = 100.0
    ratio_min_bytes: int = 1024 * 1024
    max_pixels: int = 40_000_000
    max_dataset_bytes: int = 2 * 1024 * 1024 * 1024


@dataclass
class IngestReport:
    """What an ingest accepted, refused (with reasons) and skipped; `to_dict()` is JSON-ready."""

    name: str
    accepted: int = 0
    per_class: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    image_shape: tuple[int, int, int] | None = None
    resized: int = 0
    source: str = ""

    @property
    def class_names(self) -> list[str]:
        return list(self.per_class)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "accepted": self.accepted,
            "per_class": dict(self.per_class),
            "class_names": self.class_names,
            "rejected": [{"member": m, "reason": r} for m, r in self.rejected],
            "skipped": list(self.skipped),
            "image_shape": list(self.image_shape) if self.image_shape else None,
            "resized": self.resized,
            "source": self.source,
        }


# ---------------------------------------------------------------- names


def natural_key(text: str) -> tuple:
    """Sort key that puts "class2" before "class10" (and "2" before "10")."""
    parts = re.split(r"(\d+)", text)
    return (tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts)), text)


def validate_name(name: str, *, overwrite: bool = False) -> str:
    """A dataset name is a slug that is not a built-in dataset and (unless overwrite) not already used."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise IngestError(
            f"dataset name {name!r} is not allowed: use 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit (for example my-digits)"
        )
    if name.lower() in {r.lower() for r in RESERVED_NAMES}:
        raise IngestError(f"{name!r} is the name of a built-in dataset; choose another name")
    root = paths.data_home() / "datasets"
    if not overwrite and root.is_dir():
        taken = [p.name for p in root.iterdir() if p.name.lower() == name.lower()]
        if taken:
            raise IngestError(f"a dataset named {taken[0]!r} already exists; choose another name or overwrite it")
    return name


# ---------------------------------------------------------------- generic safe zip reading


def _source_label(source: object, default: str) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    name = getattr(source, "name", None)
    return os.path.basename(name) if isinstance(name, str) and name else default


def _precheck_central_directory(fh: BinaryIO, limits: ZipLimits, label: str) -> None:
    """Refuse archives whose directory alone would be huge, before zipfile parses it into memory.

    zipfile builds one ZipInfo object per central-directory entry as soon as the archive is opened,
    so a small upload declaring millions of entries must be stopped from the end record's figures.
    """
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    tail_len = min(size, 22 + 65535)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        return  # not a zip at all: zipfile says so below
    entries = struct.unpack("<H", tail[pos + 10 : pos + 12])[0]
    cd_size = struct.unpack("<I", tail[pos + 12 : pos + 16])[0]
    rec = pos - 20 - 56
    if rec >= 0 and tail[pos - 20 : pos - 16] == b"PK\x06\x07" and tail[rec : rec + 4] == b"PK\x06\x06":
        entries, cd_size = struct.unpack("<QQ", tail[rec + 32 : rec + 48])  # zip64 figures win, as in zipfile
    if entries > limits.max_members:
        raise IngestError(f"{label} has {entries:,} entries; the limit is {limits.max_members:,}")
    if cd_size > limits.max_members * _CENTRAL_DIR_BYTES_PER_MEMBER + 65536:
        raise IngestError(
            f"{label} has a {cd_size:,}-byte directory, far more than {limits.max_members:,} entries need"
        )


def open_zip(
    source: bytes | str | Path | BinaryIO, limits: ZipLimits = ZipLimits(), *, kind: str = "zip"
) -> zipfile.ZipFile:
    """Open an untrusted zip (bytes, path or seekable binary file) after checking its directory size.

    Raises IngestError (never zipfile's own errors) when it is missing, not a zip, or oversized.
    """
    label = _source_label(source, f"the uploaded {kind}")
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            fh = BytesIO(bytes(source))
            _precheck_central_directory(fh, limits, label)
            return zipfile.ZipFile(fh)
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            if not path.is_file():
                raise IngestError(f"{path} is not a file")
            with path.open("rb") as fh:
                _precheck_central_directory(fh, limits, label)
            return zipfile.ZipFile(path)
        if hasattr(source, "read") and hasattr(source, "seek"):
            start = source.tell()
            _precheck_central_directory(source, limits, label)
            source.seek(start)
            return zipfile.ZipFile(source)
    except IngestError:
        raise
    except OSError as exc:
        if isinstance(source, (str, os.PathLike)):
            raise IngestError(f"cannot read {label}: {exc.strerror or exc}") from exc
        raise IngestError(f"{label} is not a valid {kind} archive ({exc})") from exc
    except Exception as exc:  # BadZipFile, struct/Unicode errors, ... on hostile bytes
        raise IngestError(f"{label} is not a valid {kind} archive ({exc or type(exc).__name__})") from exc
    raise TypeError(f"expected bytes, a path or a seekable binary file, not {type(source).__name__}")


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """Why an entry's name or type is unsafe, or None. Nothing is remapped: unsafe entries are refused."""
    name = info.filename
    if not name:
        return "empty name"
    if "\\" in name:
        return "backslash in the path (Windows separators are refused, not reinterpreted)"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "control character in the name"
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "absolute path (entries must be relative to the zip's root)"
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return "'..' in the path (path traversal)"
    if "" in parts:
        return "empty path component ('//')"
    if "." in parts:
        return "'.' component in the path"
    unix_mode = info.external_attr >> 16
    if stat.S_ISLNK(unix_mode):
        return "symbolic link (links are never followed)"
    if stat.S_IFMT(unix_mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "special file (device, pipe or socket)"
    return None


def _is_junk(parts: list[str]) -> bool:
    return any(p.startswith(".") or p.lower() in JUNK_NAMES for p in parts)


@dataclass
class ZipScan:
    """The outcome of `safe_zip_members`: regular files safe to read, and every entry refused or skipped."""

    zf: zipfile.ZipFile = field(repr=False)
    limits: ZipLimits
    files: list[zipfile.ZipInfo] = field(default_factory=list)
    directories: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    declared_bytes: int = 0
    read_bytes: int = 0
    _counted: set[str] = field(default_factory=set, repr=False)

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """A member's bytes, read through a bounded reader: never more than its header declares.

        Raises ZipMemberError for this member only, ZipBudgetExceeded when the archive as a whole
        has produced more bytes than max_total_bytes.
        """
        cap = min(info.file_size, self.limits.max_member_bytes)
        try:
            with self.zf.open(info) as fh:
                data = fh.read(cap + 1)  # zipfile decompresses incrementally, so memory stays bounded
        except Exception as exc:  # bad CRC, damaged stream, unsupported method, ... in hostile data
            raise ZipMemberError(f"cannot be read from the zip ({exc or type(exc).__name__})") from exc
        if len(data) > cap:
            raise ZipMemberError("holds more data than its header declares (lying header)")
        if info.filename not in self._counted:
            self._counted.add(info.filename)
            self.read_bytes += len(data)
            if self.read_bytes > self.limits.max_total_bytes:
                raise ZipBudgetExceeded(
                    f"the archive unpacks to more than {self.limits.max_total_bytes:,} bytes; refused"
                )
        return data


def safe_zip_members(zf: zipfile.ZipFile, limits: ZipLimits = ZipLimits()) -> ZipScan:
    """Validate every entry of an opened zip WITHOUT reading any member data.

    Archive-level problems (too many members, too much declared data) raise IngestError. Per-entry
    problems (absolute paths, '..', backslashes, links, special files, encryption, oversize members,
    zip-bomb compression ratios, duplicate names) land in `rejected` with a reason; OS junk files
    (__MACOSX/, .DS_Store, hidden files, Thumbs.db) land in `skipped`. Use `scan.read(info)` to read.
    """
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise IngestError(f"the archive has {len(infos):,} entries; the limit is {limits.max_members:,}")
    scan = ZipScan(zf, limits)
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        reason = _unsafe_reason(info)
        if reason is None and name in seen:
            reason = "duplicate entry (the zip lists this name more than once)"
        if reason is not None:
            scan.rejected.append((name, reason))
            continue
        seen.add(name)
        parts = name.rstrip("/").split("/")
        if _is_junk(parts):
            if not info.is_dir():
                scan.skipped.append(name)
            continue
        if info.is_dir():
            scan.directories.append(name.rstrip("/"))
            continue
        if info.flag_bits & 0x1:
            reason = "encrypted (password-protected entries are not supported)"
        elif info.file_size > limits.max_member_bytes:
            reason = f"{info.file_size:,} bytes uncompressed; the per-file limit is {limits.max_member_bytes:,}"
        elif info.file_size > limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            reason = f"compression ratio {ratio:,.0f}:1 exceeds {limits.max_ratio:,.0f}:1 (zip bomb)"
        if reason is not None:
            scan.rejected.append((name, reason))
            continue
        scan.files.append(info)
        scan.declared_bytes += info.file_size
    if scan.declared_bytes > limits.max_total_bytes:
        raise IngestError(
            f"the archive declares {scan.declared_bytes:,} bytes of files; the limit is {limits.max_total_bytes:,}"
        )
    return scan


# ---------------------------------------------------------------- zip of class folders


def _class_layout(scan: ZipScan) -> tuple[list[tuple[str, zipfile.ZipInfo]], set[str], list[tuple[str, str]]]:
    """(class, member) pairs, every class folder seen, and files that sit outside any class folder.

    Layout: <class>/<image> or <top>/<class>/<image>; a single top folder shared by every nested entry
    is stripped (stray files at the root are then reported as outside any class folder). Images in
    sub-folders of a class folder belong to that class.
    """
    all_parts = [i.filename.split("/") for i in scan.files] + [d.split("/") for d in scan.directories]
    nested = [p for p in all_parts if len(p) >= 2]  # root-level files never decide the layout
    strip = len({p[0] for p in nested}) == 1 and any(len(p) >= 3 for p in nested)
    members: list[tuple[str, zipfile.ZipInfo]] = []
    outside: list[tuple[str, str]] = []
    classes: set[str] = set()
    for info in scan.files:
        parts = info.filename.split("/")[1 if strip else 0 :]
        if len(parts) < 2:
            outside.append(
                (info.filename, "not inside a class folder (put each image in a folder named after its class)")
            )
            continue
        classes.add(parts[0])
        members.append((parts[0], info))
    for d in scan.directories:
        parts = d.split("/")[1 if strip else 0 :]
        if parts:
            classes.add(parts[0])
    members.sort(key=lambda m: natural_key(m[1].filename))
    return members, classes, outside


def _check_size(image_size: tuple[int, int] | None, limits: ZipLimits) -> tuple[int, int] | None:
    if image_size is None:
        return None
    ok = len(image_size) == 2 and all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in image_size)
    if not ok or min(image_size) < 1 or image_size[0] * image_size[1] > limits.max_pixels:
        raise IngestError(f"image_size must be (width, height) in whole pixels, not {image_size!r}")
    return int(image_size[0]), int(image_size[1])


def ingest_zip(
    source: bytes | str | Path | BinaryIO,
    name: str,
    *,
    image_size: tuple[int, int] | None = None,
    color: str | None = None,
    limits: ZipLimits = ZipLimits(),
    background: int | tuple[int, int, int] = DEFAULT_BACKGROUND,
    overwrite: bool = False,
) -> IngestReport:
    """Turn a zip with one folder per class into a user dataset, refusing bad entries one by one.

    image_size (width, height) defaults to the most common size among accepted images; color ("L"
    or "RGB") defaults to grayscale when every image is grayscale, else RGB. Raises IngestError
    (with `.report`) when the archive is unsafe, or when fewer than 2 classes or an empty class remain.
    """
    name = validate_name(name, overwrite=overwrite)
    size = _check_size(image_size, limits)
    if color not in (None, "L", "RGB"):
        raise IngestError(f"color must be 'L', 'RGB' or None, not {color!r}")
    label = _source_label(source, "")
    report = IngestReport(name=name, source=f"zip upload {label}".strip())
    with open_zip(source, limits) as zf:
        scan = safe_zip_members(zf, limits)
        report.rejected += scan.rejected
        report.skipped += scan.skipped
        members, classes, outside = _class_layout(scan)
        report.rejected += outside
        class_names = sorted(classes, key=natural_key)
        if len(class_names) < 2:
            found = ", ".join(class_names) or "none"
            raise IngestError(
                f"found {len(class_names)} class folder(s) ({found}); a dataset needs at least 2 — "
                "put each class's images in its own folder, e.g. cats/1.png and dogs/1.png",
                report,
            )

        def decode(info: zipfile.ZipInfo, **kw) -> np.ndarray:
            return load_image(
                scan.read(info),
                name=info.filename.rsplit("/", 1)[-1],
                max_pixels=limits.max_pixels,
                max_bytes=limits.max_member_bytes,
                background=background,
                **kw,
            )

        # Pass 1: decode everything at its natural size and colour, to refuse bad files and choose the shape.
        decoded: list[tuple[str, zipfile.ZipInfo, np.ndarray | None, tuple[int, int, int]]] = []
        kept = 0
        for cls, info in members:
            try:
                arr = decode(info)
            except ZipBudgetExceeded as exc:
                raise IngestError(str(exc), report) from exc
            except (ZipMemberError, ImageError) as exc:
                report.rejected.append((info.filename, str(exc)))
                continue
            keep = kept + arr.nbytes <= _KEEP_DECODED_BYTES
            kept += arr.nbytes if keep else 0
            decoded.append((cls, info, arr if keep else None, arr.shape))
        if not decoded:
            raise IngestError("no usable images were found in the class folders", report)

        if size is None:
            sizes = Counter((s[1], s[0]) for *_, s in decoded)
            size = min(sizes, key=lambda wh: (-sizes[wh], wh[0] * wh[1], wh))
        channels = {"L": 1, "RGB": 3}.get(color or "", 1 if all(s[2] == 1 for *_, s in decoded) else 3)
        width, height = size
        needed = len(decoded) * height * width * channels
        if needed > limits.max_dataset_bytes:
            raise IngestError(
                f"{len(decoded):,} images of {width}x{height}x{channels} need {needed:,} bytes; the limit is "
                f"{limits.max_dataset_bytes:,} — choose a smaller image size",
                report,
            )

        # Pass 2: bring every image to the one size and colour mode.
        x = np.empty((len(decoded), height, width, channels), dtype=np.uint8)
        y = np.empty(len(decoded), dtype=np.int64)
        ok = np.zeros(len(decoded), dtype=bool)
        index = {c: i for i, c in enumerate(class_names)}
        for i, (cls, info, first, shape) in enumerate(decoded):
            try:
                if first is None or first.shape[:2] != (height, width) or (first.shape[2] == 3 and channels == 1):
                    arr = decode(info, mode="L" if channels == 1 else "RGB", size=(width, height))
                elif first.shape[2] == 1 and channels == 3:
                    arr = np.repeat(first, 3, axis=2)  # exactly what Pillow's L -> RGB does
                else:
                    arr = first
            except (ZipMemberError, ImageError) as exc:
                report.rejected.append((info.filename, str(exc)))
                continue
            x[i], y[i], ok[i] = arr, index[cls], True
            report.resized += shape[:2] != (height, width)
    if not ok.all():
        x, y = x[ok], y[ok]
    counts = np.bincount(y, minlength=len(class_names))
    report.per_class = {c: int(n) for c, n in zip(class_names, counts, strict=True)}
    report.accepted = len(y)
    report.image_shape = (height, width, channels)
    empty = [c for c, n in report.per_class.items() if n == 0]
    if empty:
        raise IngestError(
            f"class folder(s) {', '.join(empty)} have no usable images (see the rejected files); "
            "every class needs at least one",
            report,
        )
    datamod.save_user_dataset(name, x, y, class_names, f"{report.source}: {report.accepted} images")
    return report


# ---------------------------------------------------------------- .npz arrays


def _read_npy(scan: ZipScan, info: zipfile.ZipInfo, key: str) -> np.ndarray:
    """Load one .npy member with allow_pickle=False, after checking its header against the real data size."""
    try:
        raw = scan.read(info)
    except ZipBudgetExceeded:
        raise
    except ZipMemberError as exc:
        raise IngestError(f"array {key!r} {exc}") from exc
    bio = BytesIO(raw)
    try:
        version = np.lib.format.read_magic(bio)
        if version == (1, 0):
            shape, _fortran, dtype = np.lib.format.read_array_header_1_0(bio)
        elif version == (2, 0):
            shape, _fortran, dtype = np.lib.format.read_array_header_2_0(bio)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except Exception as exc:  # malformed header text, wrong magic, ...
        raise IngestError(f"array {key!r} is not a valid .npy array ({exc})") from exc
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise IngestError(f"array {key!r} holds Python objects or records; only plain numeric arrays are accepted")
    # The header alone decides how much np.load allocates, so it must match the bytes really present.
    if math.prod(shape) * dtype.itemsize != len(raw) - bio.tell():
        raise IngestError(f"array {key!r} is truncated or padded: its header says shape {shape} of {dtype}")
    try:
        return np.load(BytesIO(raw), allow_pickle=False)
    except Exception as exc:
        raise IngestError(f"array {key!r} cannot be loaded ({exc})") from exc


def _images_to_uint8(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind not in "uif":
        raise IngestError(f"x must be numeric (uint8 0-255 or floats 0-1), not {x.dtype}")
    if x.size == 0:
        raise IngestError("x is empty")
    if x.dtype == np.uint8:
        return x
    if x.dtype.kind == "f":
        if not np.isfinite(x).all():
            raise IngestError("x contains NaN or infinite values")
        lo, hi = float(x.min()), float(x.max())
        if lo < 0 or hi > 1:
            hint = " (divide by 255 first, or save it as uint8)" if hi <= 255 and lo >= 0 else ""
            raise IngestError(f"float images must be in [0, 1]; x ranges over [{lo:g}, {hi:g}]{hint}")
        return np.round(x * 255).astype(np.uint8)
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi > 255:
        raise IngestError(f"integer images must be in 0-255; x ranges over [{lo}, {hi}]")
    return x.astype(np.uint8)


def _labels(y: np.ndarray, n: int) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n:
        raise IngestError(f"y must have shape ({n},) to match x, not {y.shape}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.array_equal(y, np.round(y)):
            raise IngestError("y must hold whole-number class indices")
    elif y.dtype.kind not in "ui":
        raise IngestError(f"y must hold integer class indices, not {y.dtype}")
    if y.min() < 0:
        raise IngestError(f"y has a negative label ({y.min()}); labels are class indices 0..K-1")
    return y.astype(np.int64)


def ingest_npz(
    source: bytes | str | Path | BinaryIO,
    name: str,
    class_names: list[str] | None = None,
    *,
    limits: ZipLimits = ZipLimits(),
    overwrite: bool = False,
) -> IngestReport:
    """Turn an .npz with `x` (N,H,W) or (N,H,W,1|3) and `y` (N,) into a user dataset.

    x is uint8 0-255 (any integer type within 0-255 is accepted) or floats in [0, 1] (scaled to
    0-255). Class names come from the argument, else a string array `class_names` in the file, else
    "0".."K-1". Loaded with allow_pickle=False after the same zip checks as ingest_zip.
    """
    name = validate_name(name, overwrite=overwrite)
    label = _source_label(source, "")
    report = IngestReport(name=name, source=f".npz upload {label}".strip())
    with open_zip(source, limits, kind=".npz") as zf:
        scan = safe_zip_members(zf, limits)
        report.rejected += scan.rejected
        report.skipped += scan.skipped
        arrays = {info.filename[:-4]: info for info in scan.files if info.filename.endswith(".npy")}
        report.skipped += [i.filename for i in scan.files if i.filename[:-4] not in ("x", "y", "class_names")]
        for member, reason in scan.rejected:
            if member in ("x.npy", "y.npy"):
                raise IngestError(f"array {member[:-4]!r} was refused: {reason}", report)
        if "x" not in arrays or "y" not in arrays:
            found = ", ".join(sorted(arrays)) or "none"
            raise IngestError(f"the .npz must hold arrays named 'x' and 'y'; it has: {found}", report)
        try:
            x = _read_npy(scan, arrays["x"], "x")
            y = _read_npy(scan, arrays["y"], "y")
            stored_names = None
            if class_names is None and "class_names" in arrays:
                stored_names = _read_npy(scan, arrays["class_names"], "class_names")
        except ZipBudgetExceeded as exc:
            raise IngestError(str(exc), report) from exc
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[3] not in (1, 3) or min(x.shape) < 1:
        raise IngestError(f"x must have shape (N, H, W) or (N, H, W, 1|3), not {x.shape}", report)
    if x.shape[1] * x.shape[2] > limits.max_pixels:
        raise IngestError(f"images of {x.shape[2]}x{x.shape[1]} exceed the {limits.max_pixels:,}-pixel limit", report)
    if x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3] > limits.max_dataset_bytes:
        raise IngestError(f"x has {x.size:,} values; the limit is {limits.max_dataset_bytes:,}", report)
    try:
        x8 = _images_to_uint8(x)
        labels = _labels(y, len(x))
    except IngestError as exc:
        raise IngestError(str(exc), report) from exc
    if stored_names is not None:
        if stored_names.dtype.kind not in "US" or stored_names.ndim != 1:
            raise IngestError("class_names in the .npz must be a 1-D array of strings", report)
        class_names = [str(s.decode() if isinstance(s, bytes) else s) for s in stored_names.tolist()]
    n_classes = len(class_names) if class_names is not None else int(labels.max()) + 1
    if class_names is None:
        class_names = [str(i) for i in range(n_classes)]
    class_names = [str(c) for c in class_names]
    if any(not c.strip() for c in class_names) or len(set(class_names)) != len(class_names):
        raise IngestError("class names must be non-empty and distinct", report)
    if labels.max() >= n_classes:
        raise IngestError(f"label {labels.max()} has no class name ({n_classes} class names given)", report)
    counts = np.bincount(labels, minlength=n_classes)
    report.per_class = {c: int(k) for c, k in zip(class_names, counts, strict=True)}
    report.accepted = len(labels)
    report.image_shape = tuple(int(d) for d in x8.shape[1:])  # type: ignore[assignment]
    if n_classes < 2:
        raise IngestError(f"a dataset needs at least 2 classes; y only uses {n_classes}", report)
    empty = [c for c, k in report.per_class.items() if k == 0]
    if empty:
        raise IngestError(f"class(es) {', '.join(empty)} have no images in y; every class needs at least one", report)
    datamod.save_user_dataset(name, x8, labels, class_names, f"{report.source}: {report.accepted} images")
    return report
