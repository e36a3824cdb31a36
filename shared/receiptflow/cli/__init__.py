"""The ``receiptflow`` command line: ``scan``, ``eval``, ``serve``."""

from receiptflow.cli.main import main

__all__ = ["main"]
