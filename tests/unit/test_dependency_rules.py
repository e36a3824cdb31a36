"""The layering rules, checked on the source (an AST walk, so it also sees imports inside functions and
``TYPE_CHECKING`` blocks):

- only ``receiptflow.adapters`` imports boto3/botocore (and the Lambda handlers in ``functions/`` never do);
- no adapter imports the core services or the entry points (``batches``, ``scanning``, ``api``, ``cli``,
  ``wiring``, ``realtime``); adapters receive ports and report through ports;
- the core (``batches``, ``scanning``, ``intake``, ``extract``, ``providers``, ``models``) never imports an
  adapter, the wiring or an entry point.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "shared" / "receiptflow"
FUNCTIONS = ROOT / "functions"
BOTO = ("boto3", "botocore", "mypy_boto3_")
CORE_SERVICES = ("batches", "scanning", "api", "cli", "wiring", "realtime")
CORE = ("batches", "scanning", "intake", "extract", "providers", "models")
NOT_FOR_CORE = ("adapters", "wiring", "api", "cli", "realtime")


@cache
def imports(path: Path) -> tuple[tuple[int, str], ...]:
    """(line, module) of every import in ``path``, relative imports resolved within the package."""
    return tuple(_walk(path))


def _walk(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[: -node.level]
                yield node.lineno, ".".join([*parts, node.module or ""]).rstrip(".")
            else:
                yield node.lineno, node.module or ""


def sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def area(path: Path) -> str:
    """The top-level area of a package module: ``adapters``, ``batches``, ... (or the module name)."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def under(module: str, *areas: str) -> bool:
    return any(module == f"receiptflow.{a}" or module.startswith(f"receiptflow.{a}.") for a in areas)


def violations(rule: str) -> list[str]:
    found: list[str] = []
    for path in sources(PACKAGE) + sources(FUNCTIONS):
        in_package = PACKAGE in path.parents
        where = area(path) if in_package else "functions"
        for line, module in imports(path):
            bad = False
            if rule == "boto" and module.startswith(BOTO):
                bad = where != "adapters"
            elif rule == "adapters" and where == "adapters":
                bad = under(module, *CORE_SERVICES)
            elif rule == "core" and where in CORE:
                bad = under(module, *NOT_FOR_CORE)
            if bad:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_the_rules_see_real_imports() -> None:
    # the walk must find what is there, or an empty result would prove nothing
    adapter = PACKAGE / "adapters" / "aws" / "sfn_dispatcher.py"
    assert any(m.startswith("botocore") for _, m in imports(adapter))
    assert any(m == "receiptflow.ports" for _, m in imports(adapter))
    assert under("receiptflow.batches.service", *CORE_SERVICES) and not under(
        "receiptflow.batchesx", "batches"
    )


@pytest.mark.parametrize("rule", ["boto", "adapters", "core"])
def test_layering(rule: str) -> None:
    assert violations(rule) == []
