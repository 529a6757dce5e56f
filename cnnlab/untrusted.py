"""Parsing untrusted files in a child process, under a wall-time and a memory cap.

Decoders and parsers (Pillow, h5py, zipfile, numpy) can be driven by a crafted file into endless loops (a mutated
HDF5 heap), huge allocations or quadratic work (a progressive JPEG of thousands of scans) — some while holding the
GIL, which would freeze the whole server for every visitor. So the server never parses an untrusted container
itself: it hands the bytes to a short-lived child (`python -m cnnlab.untrusted TASK`) that limits its own address
space (RLIMIT_AS) and CPU time, and the parent waits at most `timeout_s`. The child answers with plain data only —
named NumPy arrays (read back with allow_pickle=False) and JSON — or with a keyed engine error; a hang becomes
"took too long", a blow-up "needed too much memory", and the parent never unpickles anything the child wrote.

A task is a function `task(data: bytes, **params) -> (arrays: dict[str, np.ndarray], meta: dict)` named in TASKS;
its module must not import TensorFlow (a child starts in a fraction of a second).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.errors import CnnLabError, from_data, to_data

DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MEMORY_BYTES = 2 * 1024**3  # address space of the child (numpy and Pillow need ~0.4 GiB of it to start)
PACKAGE_ROOT = Path(__file__).resolve().parents[1]

# task name -> "module:function"; only these run in a child
TASKS: dict[str, str] = {}

# error classes a child may name, so a page's `except ImageError` still catches a refusal made in the child
ERRORS: dict[str, str] = {
    "ImageError": "cnnlab.data.images:ImageError",
    "NothingToRecognise": "cnnlab.data.preprocess:NothingToRecognise",
    "IngestError": "cnnlab.archives:IngestError",
    "ModelFileError": "cnnlab.modelfiles:ModelFileError",
    "UntrustedFileError": "cnnlab.untrusted:UntrustedFileError",
}


class UntrustedFileError(CnnLabError, ValueError):
    """A file that could not be read safely: its parsing took too long or needed too much memory."""


@dataclass
class Parsed:
    """What a child made of a file: named arrays and plain JSON values."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def register(name: str, target: str) -> None:
    """Name a task ("module:function") that `parse` may run in a child."""
    TASKS[name] = target


def parse(
    task: str,
    data: bytes,
    *,
    label: Any = "",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    **params: Any,
) -> Parsed:
    """Run `task` on `data` in a capped child; its result, or its keyed error raised here, or UntrustedFileError."""
    if task not in TASKS:
        raise ValueError(f"unknown untrusted-file task {task!r}")
    header = json.dumps({"params": params, "memory": int(memory_bytes), "cpu": max(1, int(timeout_s) + 1)}).encode()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnnlab.untrusted", task],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        close_fds=True,
    )
    try:
        out, err = proc.communicate(struct.pack("<Q", len(header)) + header + data, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise UntrustedFileError("engine.untrusted.too_slow", label=label, seconds=f"{timeout_s:g}") from None
    return _answer(out, proc.returncode, err, label)


def _answer(out: bytes, returncode: int, err: bytes, label: Any) -> Parsed:
    """The child's reply: arrays and meta, or its error re-raised, or "too much memory" when it died without one."""
    try:
        size = struct.unpack_from("<Q", out)[0]
        reply = json.loads(out[8 : 8 + size])
        arrays_blob = out[8 + size :]
    except (struct.error, ValueError):
        if returncode > 0 and b"MemoryError" not in err:
            sys.stderr.write(err.decode("utf-8", "replace")[-2000:])  # (the server log keeps the child's last words)
        raise UntrustedFileError("engine.untrusted.too_big", label=label) from None
    if reply.get("memory"):
        raise UntrustedFileError("engine.untrusted.too_big", label=label)
    if "error" in reply:
        raise _error(reply["class"], reply["error"])
    with np.load(io.BytesIO(arrays_blob), allow_pickle=False) as f:
        arrays = {name: f[name] for name in f.files}
    return Parsed(arrays, reply.get("meta") or {})


def _error(class_name: str, data: dict[str, Any]) -> CnnLabError:
    """A child's error as the engine class it named (a known one), with its key and values."""
    rebuilt = from_data(data)
    target = ERRORS.get(class_name)
    if target is None:
        return rebuilt
    module, _, name = target.partition(":")
    cls = getattr(importlib.import_module(module), name)
    error = cls.__new__(cls)
    CnnLabError.__init__(error, rebuilt.key, **rebuilt.values)
    return error


# ---------------------------------------------------------------- the child's side


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    """Cap this process' address space and CPU time (POSIX; elsewhere the parent's timeout is the only cap)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def _reply(meta: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> bytes:
    header = json.dumps(meta).encode()
    blob = io.BytesIO()
    if arrays is not None:
        np.savez(blob, **arrays)
    return struct.pack("<Q", len(header)) + header + blob.getvalue()


def child(task: str, stdin: io.BufferedReader, stdout: io.BufferedWriter) -> int:
    """Read the request, run the task under the caps, write the reply."""
    size = struct.unpack("<Q", stdin.read(8))[0]
    request = json.loads(stdin.read(size))
    data = stdin.read()
    module, _, name = TASKS[task].partition(":")
    fn = getattr(importlib.import_module(module), name)  # imported before the cap: libraries map memory at import
    _limit(int(request["memory"]), int(request["cpu"]))
    try:
        arrays, meta = fn(data, **request["params"])
        out = _reply({"meta": meta}, arrays)
    except CnnLabError as exc:
        out = _reply({"class": type(exc).__name__, "error": to_data(exc)})
    except MemoryError:
        out = _reply({"memory": True})
    stdout.write(out)
    stdout.flush()
    return 0


def _register_tasks() -> None:
    """The engine's tasks (their modules register nothing themselves, so a child imports only what it runs)."""
    register("image", "cnnlab.data.images:decode_task")
    register("model", "cnnlab.modelclean:model_task")
    register("ingest", "cnnlab.data.upload:ingest_task")


_register_tasks()

if __name__ == "__main__":
    sys.exit(child(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer))
