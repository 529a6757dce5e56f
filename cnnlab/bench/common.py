"""What every benchmark section shares: the machine's description, spreads of figures, small helpers."""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import statistics
from pathlib import Path
from typing import Any

import cnnlab  # noqa: F401  (environment defaults before TensorFlow)

ROOT = Path(__file__).resolve().parents[2]  # the repository (app.py, pages)


ONEDNN_LINE = "oneDNN custom operations are on"  # TensorFlow logs it at import when oneDNN is enabled


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def spread(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    q = statistics.quantiles(v, n=4) if len(v) >= 2 else [v[0], v[0], v[0]]
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "q1": q[0], "q3": q[2], "n": len(v)}


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("tensorflow-cpu", "tensorflow", "keras", "jax", "streamlit", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            out.setdefault(name.replace("-cpu", ""), version(name))
    return out


def environment() -> dict[str, Any]:
    """What the figures were measured with: hardware, versions, and the process-level settings."""
    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "versions": versions(),
        "keras_backend": os.environ.get("KERAS_BACKEND"),
        "TF_ENABLE_ONEDNN_OPTS (engine)": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "load_average": load_average(),
        "accelerator": accelerator(),
    }


def accelerator() -> str:
    """The device Keras trains on: under JAX, JAX's first device; on TensorFlow, its first GPU, else the CPU."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    with contextlib.suppress(Exception):
        if backend == "jax":
            import jax

            d = jax.devices()[0]
            return f"{d.platform}: {getattr(d, 'device_kind', d)} (x{jax.device_count()})"
    return f"CPU ({backend})"


def status_kib(pid: int, field: str) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tensorflow_loaded(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return "_pywrap_tensorflow" in Path(f"/proc/{pid}/maps").read_text()
    return False
