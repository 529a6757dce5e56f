"""`python -m cnnlab ...`: the engine without a browser. `--json` output is a stable interface.

Each command is a small `cmd_*` function; heavy modules are imported inside the function so
`datasets` and `--help` stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys

from cnnlab.cli.arch import add_code, add_summary
from cnnlab.cli.common import CliError
from cnnlab.cli.data import add_datasets
from cnnlab.cli.models import add_inspect, add_predict
from cnnlab.cli.probe import add_probe
from cnnlab.cli.runs import add_resume, add_runs, add_stop, add_train
from cnnlab.cli.studies import add_quantize, add_studies, add_study
from cnnlab.errors import CnnLabError

COMMANDS = [add_datasets, add_summary, add_code, add_train, add_runs, add_stop, add_resume, add_inspect, add_predict]
COMMANDS += [add_probe, add_study, add_studies, add_quantize]


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
    except (CliError, CnnLabError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line (the traceback with CNNLAB_DEBUG=1)
        if os.environ.get("CNNLAB_DEBUG") == "1":
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (CNNLAB_DEBUG=1 shows where)", file=sys.stderr)
        return 2
