"""The lines of a run's exported training script that do what a lesson step talks about (compile, fit, callbacks).

Why computed: the script is the one the Runs page downloads for the learner's own run (`training_script`, which
repeats the run), so the lesson points at real line numbers of a real file, not at a copied snippet that could
drift from what the app exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnnlab.train.codegen import STYLES, training_script

DEFAULT_CONFIG: dict[str, Any] = {"dataset": "mnist-sample", "arch": "lenet5"}


def excerpt(config: dict[str, Any] | None, terms: Sequence[str], style: str = "functional", around: int = 1,
            limit: int = 24) -> list[tuple[int, str]]:  # fmt: skip
    """(line number, text) of the script lines containing any of `terms`, with `around` lines either side; a gap
    between groups is one (0, "…") row. `config` is a run's config (None: the default recipe for LeNet-5)."""
    text = training_script(dict(config or DEFAULT_CONFIG), style if style in STYLES else "functional")
    lines = text.splitlines()
    hits = [i for i, line in enumerate(lines) if any(term in line for term in terms)]
    keep = sorted({j for i in hits for j in range(max(i - around, 0), min(i + around + 1, len(lines)))})
    out: list[tuple[int, str]] = []
    for j in keep:
        if out and out[-1][0] and j + 1 > out[-1][0] + 1:
            out.append((0, "…"))
        out.append((j + 1, lines[j]))
        if len(out) >= limit:
            break
    return out


def as_text(rows: list[tuple[int, str]]) -> str:
    """The excerpt as a code block with the script's own line numbers."""
    width = max((len(str(n)) for n, _ in rows), default=1)
    return "\n".join(f"{n:>{width}} │ {line}" if n else f"{'':>{width}} │ {line}" for n, line in rows)
