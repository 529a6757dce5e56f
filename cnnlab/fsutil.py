"""Files that survive crashes: atomic writes (temporary file, fsync, rename, fsync the folder), a cross-process
file lock, and cleaning up the temporary files of writers that died.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, writer, suffix: str = "") -> Path:
    """Write `path` via writer(tmp_path): temporary file in the same folder, fsync, os.replace, fsync folder.

    A crash at any moment leaves either the old complete file or the new complete file at `path`.
    `suffix` is the ending the temporary name needs (Keras insists on ".keras").
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp{suffix or path.suffix}")
    try:
        writer(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)
    return path


def atomic_copy(src: Path, dst: Path) -> Path:
    return atomic_write(dst, lambda tmp: shutil.copyfile(src, tmp))

@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the lock file `path` (created if missing) for the duration of the `with` block.

    Use it to serialize a read-modify-write of a file across processes and threads: every holder opens the
    file itself, so two threads of one process exclude each other too. It blocks until the lock is free (no
    timeout) and is released when the block ends, also on an exception; the lock file is left in place. The
    store takes it on `runs.sqlite.lock` while creating or migrating the database, and `cnnlab.teach` on a
    drawings file's `.lock` while adding or removing a drawing. flock on POSIX, msvcrt.locking on Windows.
    """
    with open(path, "a+b") as fh:
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.\d+\.tmp(\.[^.]*)?$")  # training.atomic_write: .NAME.PID.THREAD.tmp.EXT


def remove_orphaned_temp_files(folder: Path) -> list[Path]:
    """Delete half-written files whose writer process is gone; returns them.

    A worker killed during an atomic write (the best-model copy, a kernel snapshot) leaves its temporary file
    behind, and no later attempt reuses it: without this, each such kill would keep a model-sized hidden file.
    Files of a process that still exists are left alone.
    """
    removed = []
    for path in folder.rglob(".*.tmp*") if folder.is_dir() else ():
        match = _TEMP_NAME.match(path.name)
        if match is None or not path.is_file() or _pid_exists(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _pid_exists(pid: int) -> bool:
    """Whether any process (not a zombie) has this pid; when unsure, True (the file is kept)."""
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:  # (ZombieProcess is one too)
        return False
    except (psutil.Error, OSError, ValueError):
        return True
