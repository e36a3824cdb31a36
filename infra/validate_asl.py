"""Validate the batch state machine definition (cfn-lint does not look inside DefinitionUri files).

The definition carries ``${Name}`` placeholders that CloudFormation fills from the template's
``DefinitionSubstitutions`` (some unquoted, e.g. ``"MaxConcurrency": ${MaxConcurrency}``), so it is not
plain JSON on its own. This script:

1. checks that the placeholders and the template's ``DefinitionSubstitutions`` keys are the same set;
2. substitutes sample values and parses the result as JSON;
3. loads it through moto's Amazon States Language parser (moto's copy of LocalStack's ASL grammar);
4. checks what the grammar does not: JSONPath only, every transition targets a state in its scope,
   every state is reachable, state names are unique across the machine (as AWS requires), every Retry
   has ``BackoffRate``/``MaxDelaySeconds``/``JitterStrategy: FULL``,
   Lambda tasks retry the transient Lambda errors, and every ``Scan Image…`` task retries
   ``ProviderThrottledError`` and catches ``States.ALL``.

Usage: ``python infra/validate_asl.py statemachine/batch.asl.json [--template template.yaml]``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
LAMBDA_TRANSIENT = ("Lambda.ServiceException", "Lambda.TooManyRequestsException")
STATE_MACHINE_TYPE = "AWS::Serverless::StateMachine"

SAMPLE_ACCOUNT = "123456789012"
SAMPLE_REGION = "us-east-1"


def placeholders(text: str) -> set[str]:
    """Names of the ``${Name}`` placeholders in a definition."""
    return set(PLACEHOLDER.findall(text))


def sample_values(names: set[str]) -> dict[str, str]:
    """Plausible values for each placeholder: Lambda ARNs for ``*Arn``, ``1`` for numbers."""
    values: dict[str, str] = {}
    for name in names:
        if name.endswith("Arn"):
            function = name.removesuffix("Arn")
            values[name] = f"arn:aws:lambda:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:function:{function}"
        else:
            values[name] = "1"
    return values


def render_definition(text: str, values: Mapping[str, str]) -> str:
    """Fill every placeholder like CloudFormation's DefinitionSubstitutions; unknown names raise KeyError."""
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def template_substitutions(template_path: Path) -> set[str]:
    """``DefinitionSubstitutions`` keys of the template's state machine(s)."""
    from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

    template: dict[str, Any] = cfn_yaml.load(str(template_path))
    keys: set[str] = set()
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == STATE_MACHINE_TYPE:
            keys.update(resource.get("Properties", {}).get("DefinitionSubstitutions", {}))
    return keys


def _scopes(machine: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every (path, {StartAt, States}) scope: the machine and each Map/Parallel body."""
    yield path or "<root>", machine
    for name, state in machine.get("States", {}).items():
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _scopes(state[key], f"{path}/{name}")
        for index, branch in enumerate(state.get("Branches", [])):
            yield from _scopes(branch, f"{path}/{name}[{index}]")


def _targets(state: Mapping[str, Any]) -> list[str]:
    targets = [state["Next"]] if "Next" in state else []
    if "Default" in state:
        targets.append(state["Default"])
    targets += [choice["Next"] for choice in state.get("Choices", []) if "Next" in choice]
    targets += [catcher["Next"] for catcher in state.get("Catch", [])]
    return targets


def _check_scope(where: str, scope: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    states: Mapping[str, Any] = scope.get("States", {})
    start = str(scope.get("StartAt", ""))
    if start not in states:
        problems.append(f"{where}: StartAt {start!r} is not a state")
    reachable: set[str] = set()
    pending: list[str] = [start] if start in states else []
    while pending:
        name = pending.pop()
        if name in reachable:
            continue
        reachable.add(name)
        for target in _targets(states[name]):
            if target not in states:
                problems.append(f"{where}/{name}: transition to unknown state {target!r}")
            else:
                pending.append(target)
    problems += [f"{where}/{name}: unreachable" for name in states if name not in reachable]
    for name, state in states.items():
        problems += _check_state(f"{where}/{name}", name, state)
    return problems


def _check_state(where: str, name: str, state: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if "QueryLanguage" in state and state["QueryLanguage"] != "JSONPath":
        problems.append(f"{where}: only JSONPath is used (moto and our tests cannot run JSONata)")
    for retrier in state.get("Retry", []):
        for field in ("BackoffRate", "MaxDelaySeconds"):
            if field not in retrier:
                problems.append(f"{where}: Retry {retrier['ErrorEquals']} lacks {field}")
        if retrier.get("JitterStrategy") != "FULL":
            problems.append(f"{where}: Retry {retrier['ErrorEquals']} must use JitterStrategy FULL")
    retried = {error for retrier in state.get("Retry", []) for error in retrier["ErrorEquals"]}
    if state.get("Type") == "Task" and "lambda" in str(state.get("Resource", "")):
        problems += [f"{where}: does not retry {error}" for error in LAMBDA_TRANSIENT if error not in retried]
    if name.startswith("Scan Image"):
        if "ProviderThrottledError" not in retried:
            problems.append(f"{where}: does not retry ProviderThrottledError")
        catchers = state.get("Catch", [])
        if not catchers or catchers[-1]["ErrorEquals"] != ["States.ALL"]:
            problems.append(f"{where}: last Catch must be States.ALL")
        problems += [
            f"{where}: Catch must keep the input (ResultPath under $)"
            for catcher in catchers
            if not str(catcher.get("ResultPath", "")).startswith("$.")
        ]
    return problems


def check_definition(machine: Mapping[str, Any]) -> list[str]:
    """Structural problems the ASL grammar does not catch (empty list when fine)."""
    problems: list[str] = []
    if machine.get("QueryLanguage", "JSONPath") != "JSONPath":
        problems.append("<root>: only JSONPath is used")
    seen: dict[str, str] = {}
    for where, scope in _scopes(machine):
        problems += _check_scope(where, scope)
        for name in scope.get("States", {}):
            if name in seen:
                problems.append(f"{where}/{name}: state name already used in {seen[name]} (must be unique)")
            seen.setdefault(name, where)
    return problems


def parse_with_moto(definition: str) -> None:
    """Load the rendered definition through moto's ASL parser; raises on a grammar error."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    AmazonStateLanguageParser.parse(definition)


def validate(definition_path: Path, template_path: Path | None) -> list[str]:
    """Every problem found in the definition (and its link to the template)."""
    text = definition_path.read_text(encoding="utf-8")
    names = placeholders(text)
    problems: list[str] = []
    if template_path is not None:
        declared = template_substitutions(template_path)
        problems += [
            f"placeholder ${{{n}}} has no DefinitionSubstitutions entry" for n in sorted(names - declared)
        ]
        problems += [f"DefinitionSubstitutions key {n} is unused" for n in sorted(declared - names)]
    rendered = render_definition(text, sample_values(names))
    try:
        machine = json.loads(rendered)
    except json.JSONDecodeError as exc:
        return [*problems, f"not JSON after substitution: {exc}"]
    try:
        parse_with_moto(rendered)
    except Exception as exc:  # the parser raises its own exception types; report any of them
        problems.append(f"ASL parser rejected the definition: {exc}")
    return problems + check_definition(machine)


def main(argv: list[str] | None = None) -> int:
    """Command line: print problems, exit 1 when there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("definition", type=Path)
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    args = parser.parse_args(argv)
    template = args.template if args.template.exists() else None
    problems = validate(args.definition, template)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"{args.definition}: valid ASL ({len(placeholders(args.definition.read_text()))} substitutions)"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
