"""The page's friendly error sentence keeps the cause but not the server's folders (a demo audience reads it)."""

from __future__ import annotations

import pytest

from cnnlab.ui.shell import redact


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("[Errno 2] No such file or directory: '/home/ann/cnnlab-data/runs/7f3/best.keras'",
         "[Errno 2] No such file or directory: 'best.keras'"),
        ("cannot open /srv/demo/cnnlab-data/ for writing", "cannot open … for writing"),
        (r"bad file C:\Users\ann\digits.zip", "bad file digits.zip"),
        ("file is not a database", "file is not a database"),
        ("batch 64/128 and ratio 1/2", "batch 64/128 and ratio 1/2"),
    ],
)  # fmt: skip
def test_redact_keeps_file_names_only(message: str, expected: str) -> None:
    assert redact(message) == expected
