"""`datasets`: which datasets this machine has."""

from __future__ import annotations

import argparse

from cnnlab.cli.common import emit


def cmd_datasets(args: argparse.Namespace) -> int:
    from cnnlab.data.datasets import list_datasets

    infos = list_datasets()
    lines = []
    for i in infos:
        state = "available" if i.available else f"unavailable: {i.reason}"
        shape = "x".join(map(str, i.image_shape))
        lines.append(f"{i.name:16} {shape:9} {len(i.class_names):3} classes  {state}\n{'':16} {i.source}")
    emit(args, [i.to_dict() for i in infos], "\n".join(lines))
    return 0


def add_datasets(sub) -> None:
    p = sub.add_parser("datasets", help="list every dataset and whether it is available here")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_datasets)
