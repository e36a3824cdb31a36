"""Entry point: one sub-command per module, each exposing ``add_arguments(parser)`` and ``run(args)``.

Sub-command modules import their heavy dependencies inside ``run`` so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from receiptflow import __version__

COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("receiptflow.cli.scan", "Scan receipt images (files or folders) into expense records."),
    "eval": ("receiptflow.cli.evaluate", "Measure extraction accuracy on a labelled dataset."),
    "serve": ("receiptflow.cli.serve", "Run the HTTP/WebSocket API on the embedded parts."),
}


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(prog="receiptflow", description=__doc__)
    parser.add_argument("--version", action="version", version=f"receiptflow {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = build_parser().parse_args(argv)
    code: int = args._module.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
