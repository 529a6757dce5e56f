"""Adding a user dataset: a .zip with one folder per class, or an .npz with x and y; each file is checked and
the report says what was accepted and why anything was refused.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import numpy as np

from cnnlab import paths
from cnnlab.archives import (
    IngestError,
    ZipBudgetExceeded,
    ZipLimits,
    ZipMemberError,
    ZipScan,
    natural_key,
    open_zip,
    safe_zip_members,
    source_label,
)
from cnnlab.data import datasets as datamod
from cnnlab.data.images import DEFAULT_BACKGROUND, ImageError, load_image
from cnnlab.errors import CnnLabError, Phrase

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MAX_CLASSES = 1000  # more would not train (one output per class) nor fit a chart; checked before any list is built


RESERVED_NAMES = frozenset({datamod.DEFAULT_DATASET, *datamod.BUILTINS})


# Decoded images kept between the two passes (beyond this they are decoded again instead).
_KEEP_DECODED_BYTES = 256 * 1024 * 1024


# The reading problem of a zip member, said of an array of an .npz (whose members are the arrays).
_ARRAY_KEYS = {
    "engine.ingest.member_unreadable": "engine.ingest.array_unreadable",
    "engine.ingest.lying_header": "engine.ingest.array_lying_header",
}


@dataclass
class IngestReport:
    """What an ingest accepted, refused (with reasons) and skipped; `to_dict()` is JSON-ready.

    Each refused file's reason is an engine error (a page shows it in its own language); `to_dict()` has its
    English sentence."""

    name: str
    accepted: int = 0
    per_class: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[str, CnnLabError]] = field(default_factory=list)
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
            "rejected": [{"member": m, "reason": str(r)} for m, r in self.rejected],
            "skipped": list(self.skipped),
            "image_shape": list(self.image_shape) if self.image_shape else None,
            "resized": self.resized,
            "source": self.source,
        }


def _kept(error: CnnLabError) -> CnnLabError:
    """An error kept as a file's reason in the report, without its traceback (which holds the decoder's buffers)."""
    error.__traceback__ = error.__cause__ = error.__context__ = None
    return error


def validate_name(name: str, *, overwrite: bool = False) -> str:
    """A dataset name is a slug that is not a built-in dataset and (unless overwrite) not already used."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise IngestError("engine.ingest.bad_name", name=repr(name))
    if name.lower() in {r.lower() for r in RESERVED_NAMES}:
        raise IngestError("engine.ingest.reserved_name", name=repr(name))
    root = paths.data_home() / "datasets"
    if not overwrite and root.is_dir():
        taken = [p.name for p in root.iterdir() if p.name.lower() == name.lower()]
        if taken:
            raise IngestError("engine.ingest.name_taken", name=repr(taken[0]))
    return name


def _class_layout(
    scan: ZipScan,
) -> tuple[list[tuple[str, zipfile.ZipInfo]], set[str], list[tuple[str, ZipMemberError]]]:
    """(class, member) pairs, every class folder seen, and files that sit outside any class folder.

    Layout: <class>/<image> or <top>/<class>/<image>; a single top folder shared by every nested entry
    is stripped (stray files at the root are then reported as outside any class folder). Images in
    sub-folders of a class folder belong to that class.
    """
    all_parts = [i.filename.split("/") for i in scan.files] + [d.split("/") for d in scan.directories]
    nested = [p for p in all_parts if len(p) >= 2]  # root-level files never decide the layout
    strip = len({p[0] for p in nested}) == 1 and any(len(p) >= 3 for p in nested)
    members: list[tuple[str, zipfile.ZipInfo]] = []
    outside: list[tuple[str, ZipMemberError]] = []
    classes: set[str] = set()
    for info in scan.files:
        parts = info.filename.split("/")[1 if strip else 0 :]
        if len(parts) < 2:
            outside.append((info.filename, ZipMemberError("engine.ingest.outside_class")))
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
        raise IngestError("engine.ingest.bad_image_size", value=repr(image_size))
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
        raise IngestError("engine.ingest.bad_color", value=repr(color))
    label = source_label(source, "")
    report = IngestReport(name=name, source=f"zip upload {label}".strip())
    with open_zip(source, limits) as zf:
        scan = safe_zip_members(zf, limits)
        report.rejected += scan.rejected
        report.skipped += scan.skipped
        members, classes, outside = _class_layout(scan)
        report.rejected += outside
        class_names = sorted(classes, key=natural_key)
        if len(class_names) < 2:
            found = ", ".join(class_names) or Phrase("engine.word.none")
            raise IngestError("engine.ingest.few_classes", report, count=len(class_names), found=found)
        if len(class_names) > MAX_CLASSES:
            count, limit = f"{len(class_names):,}", f"{MAX_CLASSES:,}"
            raise IngestError("engine.ingest.too_many_classes", report, count=count, limit=limit)

        def decode(info: zipfile.ZipInfo, **kw) -> np.ndarray:
            return load_image(
                scan.read(info),
                name=info.filename.rsplit("/", 1)[-1],
                max_pixels=limits.max_pixels,
                max_bytes=limits.max_member_bytes,
                background=background,
                **kw,
            )

        decoded = _decode_all(members, decode, report)
        shape = _common_shape(decoded, size, color, limits, report)
        x, y = _to_common_shape(decoded, decode, {c: i for i, c in enumerate(class_names)}, shape, report)
    _count_classes(report, y, class_names, shape)
    datamod.save_user_dataset(name, x, y, class_names, f"{report.source}: {report.accepted} images")
    return report


Decoded = tuple[str, zipfile.ZipInfo, "np.ndarray | None", tuple[int, int, int]]  # class, member, pixels, shape


def _decode_all(members: list[tuple[str, zipfile.ZipInfo]], decode, report: IngestReport) -> list[Decoded]:
    """Pass 1: decode every image at its natural size and colour, to refuse bad files and choose the shape.

    The decoded pixels are kept while they fit in _KEEP_DECODED_BYTES (pass 2 reuses them); beyond, only shapes."""
    decoded: list[Decoded] = []
    kept = 0
    for cls, info in members:
        try:
            arr = decode(info)
        except ZipBudgetExceeded as exc:
            raise IngestError(exc.key, report, **exc.values) from exc
        except (ZipMemberError, ImageError) as exc:
            report.rejected.append((info.filename, _kept(exc)))
            continue
        keep = kept + arr.nbytes <= _KEEP_DECODED_BYTES
        kept += arr.nbytes if keep else 0
        decoded.append((cls, info, arr if keep else None, arr.shape))
    if not decoded:
        raise IngestError("engine.ingest.no_images", report)
    return decoded


def _common_shape(
    decoded: list[Decoded], size: tuple[int, int] | None, color: str | None, limits: ZipLimits, report: IngestReport
) -> tuple[int, int, int]:
    """(height, width, channels) of the dataset: the given size or the most common one; grey unless some image has
    colour (or `color` says); refused when the whole dataset would not fit the limit."""
    if size is None:
        sizes = Counter((s[1], s[0]) for *_, s in decoded)
        size = min(sizes, key=lambda wh: (-sizes[wh], wh[0] * wh[1], wh))
    channels = {"L": 1, "RGB": 3}.get(color or "", 1 if all(s[2] == 1 for *_, s in decoded) else 3)
    width, height = size
    needed = len(decoded) * height * width * channels
    if needed > limits.max_dataset_bytes:
        raise IngestError(
            "engine.ingest.dataset_too_big",
            report,
            count=f"{len(decoded):,}",
            width=width,
            height=height,
            channels=channels,
            needed=f"{needed:,}",
            limit=f"{limits.max_dataset_bytes:,}",
        )
    return height, width, channels


def _to_common_shape(
    decoded: list[Decoded], decode, index: dict[str, int], shape: tuple[int, int, int], report: IngestReport
) -> tuple[np.ndarray, np.ndarray]:
    """Pass 2: every image at the one size and colour mode, with its class number; images that fail are refused."""
    height, width, channels = shape
    x = np.empty((len(decoded), height, width, channels), dtype=np.uint8)
    y = np.empty(len(decoded), dtype=np.int64)
    ok = np.zeros(len(decoded), dtype=bool)
    for i, (cls, info, first, natural) in enumerate(decoded):
        try:
            if first is None or first.shape[:2] != (height, width) or (first.shape[2] == 3 and channels == 1):
                arr = decode(info, mode="L" if channels == 1 else "RGB", size=(width, height))
            elif first.shape[2] == 1 and channels == 3:
                arr = np.repeat(first, 3, axis=2)  # exactly what Pillow's L -> RGB does
            else:
                arr = first
        except (ZipMemberError, ImageError) as exc:
            report.rejected.append((info.filename, _kept(exc)))
            continue
        x[i], y[i], ok[i] = arr, index[cls], True
        report.resized += natural[:2] != (height, width)
    return (x, y) if ok.all() else (x[ok], y[ok])


def _count_classes(
    report: IngestReport,
    y: np.ndarray,
    class_names: list[str],
    shape: tuple[int, ...],
    *,
    empty_key: str = "engine.ingest.empty_class_folders",
    at_least_two: bool = False,
) -> None:
    """Fill the report's per-class counts and image shape; a dataset of one class, or with a class left without an
    image, is refused."""
    counts = np.bincount(y, minlength=len(class_names))
    report.per_class = {c: int(n) for c, n in zip(class_names, counts, strict=True)}
    report.accepted = len(y)
    report.image_shape = shape  # type: ignore[assignment]
    if at_least_two and len(class_names) < 2:
        raise IngestError("engine.ingest.one_class", report, count=len(class_names))
    empty = [c for c, n in report.per_class.items() if n == 0]
    if empty:
        raise IngestError(empty_key, report, names=", ".join(empty))


def _read_npy(scan: ZipScan, info: zipfile.ZipInfo, key: str) -> np.ndarray:
    """Load one .npy member with allow_pickle=False, after checking its header against the real data size."""
    try:
        raw = scan.read(info)
    except ZipBudgetExceeded:
        raise
    except ZipMemberError as exc:
        if exc.key not in _ARRAY_KEYS:
            raise IngestError("engine.ingest.array_refused", array=repr(key), reason=exc) from exc
        raise IngestError(_ARRAY_KEYS[exc.key], array=repr(key), **exc.values) from exc
    bio = BytesIO(raw)
    try:
        version = np.lib.format.read_magic(bio)
        readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version in readers:
            shape, _fortran, dtype = readers[version](bio)
    except Exception as exc:  # malformed header text, wrong magic, ...
        raise IngestError("engine.ingest.bad_npy", array=repr(key), detail=str(exc)) from exc
    if version not in readers:
        raise IngestError("engine.ingest.npy_version", array=repr(key), version=str(version))
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise IngestError("engine.ingest.objects", array=repr(key))
    # The header alone decides how much np.load allocates, so it must match the bytes really present.
    if math.prod(shape) * dtype.itemsize != len(raw) - bio.tell():
        raise IngestError("engine.ingest.npy_size", array=repr(key), shape=str(shape), dtype=str(dtype))
    try:
        return np.load(BytesIO(raw), allow_pickle=False)
    except Exception as exc:
        raise IngestError("engine.ingest.npy_load", array=repr(key), detail=str(exc)) from exc


def _images_to_uint8(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind not in "uif":
        raise IngestError("engine.ingest.x_not_numeric", dtype=str(x.dtype))
    if x.size == 0:
        raise IngestError("engine.ingest.x_empty")
    if x.dtype == np.uint8:
        return x
    if x.dtype.kind == "f":
        if not np.isfinite(x).all():
            raise IngestError("engine.ingest.x_not_finite")
        lo, hi = float(x.min()), float(x.max())
        if lo < 0 or hi > 1:
            key = "engine.ingest.float_range_hint" if hi <= 255 and lo >= 0 else "engine.ingest.float_range"
            raise IngestError(key, low=f"{lo:g}", high=f"{hi:g}")
        return np.round(x * 255).astype(np.uint8)
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi > 255:
        raise IngestError("engine.ingest.int_range", low=str(lo), high=str(hi))
    return x.astype(np.uint8)


def _labels(y: np.ndarray, n: int) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n:
        raise IngestError("engine.ingest.y_shape", n=n, shape=str(y.shape))
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.array_equal(y, np.round(y)):
            raise IngestError("engine.ingest.y_whole")
    elif y.dtype.kind not in "ui":
        raise IngestError("engine.ingest.y_integer", dtype=str(y.dtype))
    if y.min() < 0:
        raise IngestError("engine.ingest.y_negative", value=str(y.min()))
    if y.max() >= MAX_CLASSES:  # before int64 (uint64-max or 1e300 would wrap) and before any name list is built
        raise IngestError("engine.ingest.label_too_large", value=f"{y.max():g}", limit=f"{MAX_CLASSES:,}")
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
    label = source_label(source, "")
    report = IngestReport(name=name, source=f".npz upload {label}".strip())
    x, y, stored_names = _npz_arrays(source, limits, want_names=class_names is None, report=report)
    x = _checked_images(x, limits, report)
    try:
        x8 = _images_to_uint8(x)
        labels = _labels(y, len(x))
    except IngestError as exc:
        raise IngestError(exc.key, report, **exc.values) from exc
    class_names = _npz_class_names(class_names, stored_names, labels, report)
    shape = tuple(int(d) for d in x8.shape[1:])
    _count_classes(report, labels, class_names, shape, empty_key="engine.ingest.empty_classes", at_least_two=True)
    datamod.save_user_dataset(name, x8, labels, class_names, f"{report.source}: {report.accepted} images")
    return report


def _npz_arrays(
    source: bytes | str | Path | BinaryIO, limits: ZipLimits, *, want_names: bool, report: IngestReport
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """x, y and (when wanted and present) class_names from the .npz, after the same zip checks as ingest_zip."""
    with open_zip(source, limits, kind=".npz") as zf:
        scan = safe_zip_members(zf, limits)
        report.rejected += scan.rejected
        report.skipped += scan.skipped
        arrays = {info.filename[:-4]: info for info in scan.files if info.filename.endswith(".npy")}
        report.skipped += [i.filename for i in scan.files if i.filename[:-4] not in ("x", "y", "class_names")]
        for member, reason in scan.rejected:
            if member in ("x.npy", "y.npy"):
                raise IngestError("engine.ingest.array_refused", report, array=repr(member[:-4]), reason=reason)
        if "x" not in arrays or "y" not in arrays:
            found = ", ".join(sorted(arrays)) or Phrase("engine.word.none")
            raise IngestError("engine.ingest.missing_arrays", report, found=found)
        try:
            x = _read_npy(scan, arrays["x"], "x")
            y = _read_npy(scan, arrays["y"], "y")
            names = None
            if want_names and "class_names" in arrays:
                names = _read_npy(scan, arrays["class_names"], "class_names")
        except ZipBudgetExceeded as exc:
            raise IngestError(exc.key, report, **exc.values) from exc
    return x, y, names


def _checked_images(x: np.ndarray, limits: ZipLimits, report: IngestReport) -> np.ndarray:
    """x as (N, H, W, 1 or 3), refused when its shape is wrong or it is over the pixel or dataset limits."""
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[3] not in (1, 3) or min(x.shape) < 1:
        raise IngestError("engine.ingest.x_shape", report, shape=str(x.shape))
    if x.shape[1] * x.shape[2] > limits.max_pixels:
        width, height, limit = x.shape[2], x.shape[1], f"{limits.max_pixels:,}"
        raise IngestError("engine.ingest.npz_pixels", report, width=width, height=height, limit=limit)
    if x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3] > limits.max_dataset_bytes:
        count, limit = f"{x.size:,}", f"{limits.max_dataset_bytes:,}"
        raise IngestError("engine.ingest.npz_values", report, count=count, limit=limit)
    return x


def _npz_class_names(
    given: list[str] | None, stored: np.ndarray | None, labels: np.ndarray, report: IngestReport
) -> list[str]:
    """The class names: given, else stored in the file, else "0".."K-1"; every label must have one."""
    if stored is not None:
        if stored.dtype.kind not in "US" or stored.ndim != 1:
            raise IngestError("engine.ingest.class_names_array", report)
        if len(stored) > MAX_CLASSES:
            count, limit = f"{len(stored):,}", f"{MAX_CLASSES:,}"
            raise IngestError("engine.ingest.too_many_classes", report, count=count, limit=limit)
        try:
            given = [str(s.decode() if isinstance(s, bytes) else s) for s in stored.tolist()]
        except UnicodeDecodeError:
            raise IngestError("engine.ingest.class_names_encoding", report) from None
    n_classes = len(given) if given is not None else int(labels.max()) + 1
    names = [str(c) for c in given] if given is not None else [str(i) for i in range(n_classes)]
    if any(not c.strip() for c in names) or len(set(names)) != len(names):
        raise IngestError("engine.ingest.class_names_distinct", report)
    if labels.max() >= n_classes:
        raise IngestError("engine.ingest.label_without_name", report, value=str(labels.max()), count=n_classes)
    return names
