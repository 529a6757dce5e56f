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

from cnnlab.errors import CnnLabError

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


def natural_key(text: str) -> tuple:
    """Sort key that puts "class2" before "class10" (and "2" before "10")."""
    parts = re.split(r"(\d+)", text)
    return (tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts)), text)


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
