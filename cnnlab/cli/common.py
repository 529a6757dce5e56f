"""What every command shares: printing text or --json, and the one error a command reports."""

from __future__ import annotations

import argparse
import json
from typing import Any


def emit(args: argparse.Namespace, payload: Any, text: str) -> None:
    print(json.dumps(payload, indent=2, default=str) if getattr(args, "json", False) else text)


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 2. The CLI speaks English only, so its own messages
    have no catalogue key (an engine error it passes on is printed as its English sentence, `str(error)`)."""
