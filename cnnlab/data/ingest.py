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
    _source_label,
    natural_key,
    open_zip,
    safe_zip_members,
)
from cnnlab.data import datasets as datamod
from cnnlab.data.images import DEFAULT_BACKGROUND, ImageError, load_image

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


RESERVED_NAMES = frozenset({datamod.DEFAULT_DATASET, *datamod.BUILTINS})


# Decoded images kept between the two passes (beyond this they are decoded again instead).
_KEEP_DECODED_BYTES = 256 * 1024 * 1024


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
