"""Reading untrusted zip archives safely: entry-count and size budgets checked before anything is unpacked,
no path tricks (absolute paths, '..', links, backslashes, control characters), and no lying headers.
Used by dataset uploads and by model files (a .keras file is a zip).
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from cnnlab.errors import CnnLabError, Phrase

# Files that operating systems and zip tools add by themselves: skipped, and listed as skipped.
JUNK_NAMES = frozenset({"__macosx", "thumbs.db", "desktop.ini"})


# A central directory entry is 46 bytes plus name, extra field and comment; 1 KiB each is generous.
_CENTRAL_DIR_BYTES_PER_MEMBER = 1024


class IngestError(CnnLabError, ValueError):
    """A dataset that cannot be ingested; `report` (when set) lists what was accepted and refused so far."""

    def __init__(self, key: str, /, report: object | None = None, **values: object) -> None:
        super().__init__(key, **values)
        self.report = report


class ZipMemberError(IngestError):
    """One zip member refused: unsafe (a path trick, a link, a bomb) or unreadable (damaged, lying header).

    Raised when reading a member, and kept (not raised) as the reason in `ZipScan.rejected` and ingest reports."""


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


def natural_key(text: str) -> tuple:
    """Sort key that puts "class2" before "class10" (and "2" before "10")."""
    parts = re.split(r"(\d+)", text)
    return (tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts)), text)


# What messages call an upload that has no file name, per archive kind.
_UPLOADED = {
    "zip": Phrase("engine.word.uploaded_zip"),
    ".npz": Phrase("engine.word.uploaded_npz"),
    ".keras": Phrase("engine.word.uploaded_keras"),
}


def source_label(source: object, default: str | Phrase) -> str | Phrase:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    name = getattr(source, "name", None)
    return os.path.basename(name) if isinstance(name, str) and name else default


def _precheck_central_directory(fh: BinaryIO, limits: ZipLimits, label: str | Phrase) -> None:
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
        raise IngestError(
            "engine.ingest.too_many_entries", label=label, entries=f"{entries:,}", limit=f"{limits.max_members:,}"
        )
    if cd_size > limits.max_members * _CENTRAL_DIR_BYTES_PER_MEMBER + 65536:
        raise IngestError(
            "engine.ingest.huge_directory", label=label, size=f"{cd_size:,}", limit=f"{limits.max_members:,}"
        )


def open_zip(
    source: bytes | str | Path | BinaryIO, limits: ZipLimits = ZipLimits(), *, kind: str = "zip"
) -> zipfile.ZipFile:
    """Open an untrusted zip (bytes, path or seekable binary file) after checking its directory size.

    Raises IngestError (never zipfile's own errors) when it is missing, not a zip, or oversized.
    """
    label = source_label(source, _UPLOADED.get(kind, Phrase("engine.word.uploaded_zip")))
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            fh = BytesIO(bytes(source))
            _precheck_central_directory(fh, limits, label)
            return zipfile.ZipFile(fh)
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            if not path.is_file():
                raise IngestError("engine.ingest.not_a_file", path=str(path))
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
            raise IngestError("engine.image.cannot_read", label=label, detail=str(exc.strerror or exc)) from exc
        raise IngestError("engine.ingest.bad_archive", label=label, kind=kind, detail=str(exc)) from exc
    except Exception as exc:  # BadZipFile, struct/Unicode errors, ... on hostile bytes
        detail = str(exc or type(exc).__name__)
        raise IngestError("engine.ingest.bad_archive", label=label, kind=kind, detail=detail) from exc
    raise TypeError(f"expected bytes, a path or a seekable binary file, not {type(source).__name__}")


def _unsafe_reason(info: zipfile.ZipInfo) -> ZipMemberError | None:
    """Why an entry's name or type is unsafe, or None. Nothing is remapped: unsafe entries are refused."""
    key = _unsafe_key(info)
    return None if key is None else ZipMemberError(f"engine.ingest.{key}")


def _unsafe_key(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if not name:
        return "empty_name"
    if "\\" in name:
        return "backslash"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "control_character"
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "absolute_path"
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return "traversal"
    if "" in parts:
        return "empty_component"
    if "." in parts:
        return "dot_component"
    unix_mode = info.external_attr >> 16
    if stat.S_ISLNK(unix_mode):
        return "symlink"
    if stat.S_IFMT(unix_mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "special_file"
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
    rejected: list[tuple[str, ZipMemberError]] = field(default_factory=list)  # (member, why: str() is English)
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
            raise ZipMemberError("engine.ingest.member_unreadable", detail=str(exc or type(exc).__name__)) from exc
        if len(data) > cap:
            raise ZipMemberError("engine.ingest.lying_header")
        if info.filename not in self._counted:
            self._counted.add(info.filename)
            self.read_bytes += len(data)
            if self.read_bytes > self.limits.max_total_bytes:
                raise ZipBudgetExceeded("engine.ingest.unpacks_too_much", limit=f"{self.limits.max_total_bytes:,}")
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
        raise IngestError("engine.ingest.archive_entries", entries=f"{len(infos):,}", limit=f"{limits.max_members:,}")
    scan = ZipScan(zf, limits)
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        reason = _unsafe_reason(info)
        if reason is None and name in seen:
            reason = ZipMemberError("engine.ingest.duplicate")
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
            reason = ZipMemberError("engine.ingest.encrypted")
        elif info.file_size > limits.max_member_bytes:
            size, limit = f"{info.file_size:,}", f"{limits.max_member_bytes:,}"
            reason = ZipMemberError("engine.ingest.member_too_big", size=size, limit=limit)
        elif info.file_size > limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            reason = ZipMemberError("engine.ingest.zip_bomb", ratio=f"{ratio:,.0f}", limit=f"{limits.max_ratio:,.0f}")
        if reason is not None:
            scan.rejected.append((name, reason))
            continue
        scan.files.append(info)
        scan.declared_bytes += info.file_size
    if scan.declared_bytes > limits.max_total_bytes:
        raise IngestError(
            "engine.ingest.declares_too_much", size=f"{scan.declared_bytes:,}", limit=f"{limits.max_total_bytes:,}"
        )
    return scan
