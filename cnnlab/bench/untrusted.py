"""What parsing a visitor's file in a capped child costs: an uploaded photo decoded in the child against the same
decode in the server's process, and a LeNet-5 `.keras` screened (checked and re-written) in the child against the
same check in-process. The difference is the added latency of a normal upload."""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.bench.common import spread
from cnnlab.bench.latency import timed


def _photo() -> bytes:
    from PIL import Image

    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _lenet_file(folder: Path) -> bytes:
    from cnnlab.arch.build import build_model
    from cnnlab.arch.presets import preset

    path = folder / "lenet.keras"
    build_model(preset("lenet5")).save(path)
    return path.read_bytes()


def bench_untrusted(args: argparse.Namespace) -> dict[str, Any]:
    from cnnlab.data import images
    from cnnlab.modelfiles import check_model_bytes, screen_model

    repeats = 3 if args.quick else 15
    photo = _photo()
    counter = iter(range(10**9))

    def child_decode() -> None:  # a new byte each time: the decoded-pixels cache must not answer
        images.decode_upload(photo + bytes([next(counter) % 251]), mode="L", size=(28, 28))

    in_process = timed(lambda: images.load_image(photo, mode="L", size=(28, 28)), repeats)
    in_child = timed(child_decode, repeats, warmup=1)
    with tempfile.TemporaryDirectory() as folder:
        model = _lenet_file(Path(folder))
    check = timed(lambda: check_model_bytes(model), repeats)
    screen = timed(lambda: screen_model(model), repeats, warmup=1)
    ms = lambda values: spread([v * 1000 for v in values])  # noqa: E731
    return {
        "photo_bytes": len(photo), "model_bytes": len(model),
        "photo_in_process_ms": ms(in_process), "photo_in_child_ms": ms(in_child),
        "model_check_in_process_ms": ms(check), "model_screen_in_child_ms": ms(screen),
    }  # fmt: skip


def print_untrusted(res: dict[str, Any]) -> None:
    p, c = res["photo_in_process_ms"]["median"], res["photo_in_child_ms"]["median"]
    m, s = res["model_check_in_process_ms"]["median"], res["model_screen_in_child_ms"]["median"]
    print(f"\nuntrusted files in a capped child: a 640x480 JPEG photo {c:.0f} ms (in-process {p:.0f} ms: "
          f"+{c - p:.0f} ms); a LeNet-5 .keras screened and re-written {s:.0f} ms (in-process check {m:.0f} ms: "
          f"+{s - m:.0f} ms)")  # fmt: skip


def summary_rows(res: dict[str, Any]) -> list[tuple[str, str, str]]:
    c, s = res["photo_in_child_ms"]["median"], res["model_screen_in_child_ms"]["median"]
    return [("upload: photo decoded in a capped child", f"{c:.0f} ms", ""),
            ("upload: model file screened in a capped child", f"{s:.0f} ms", "")]  # fmt: skip
