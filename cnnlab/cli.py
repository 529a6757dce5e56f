"""`python -m cnnlab ...`: the engine without a browser. `--json` output is a stable interface.

Each command is a small `cmd_*` function; heavy modules are imported inside the function so
`datasets` and `--help` stay fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _print(args: argparse.Namespace, payload: Any, text: str) -> None:
    print(json.dumps(payload, indent=2, default=str) if getattr(args, "json", False) else text)


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


# ---------------------------------------------------------------- datasets


def cmd_datasets(args: argparse.Namespace) -> int:
    from cnnlab.data import list_datasets

    infos = list_datasets()
    lines = []
    for i in infos:
        state = "available" if i.available else f"unavailable: {i.reason}"
        shape = "x".join(map(str, i.image_shape))
        lines.append(f"{i.name:16} {shape:9} {len(i.class_names):3} classes  {state}\n{'':16} {i.source}")
    _print(args, [i.to_dict() for i in infos], "\n".join(lines))
    return 0


def add_datasets(sub) -> None:
    p = sub.add_parser("datasets", help="list every dataset and whether it is available here")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_datasets)


# ---------------------------------------------------------------- parser

COMMANDS = [add_datasets]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cnnlab", description="CNN Lab engine from the command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
