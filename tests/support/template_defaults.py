"""What ``template.yaml`` deploys when nobody passes a parameter: the settings its Globals give every
function and the state machine's Map concurrency, read from the template itself (tests of the defaults must
not restate them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.iam import Resolver, parameter_values
from tests.support.template import TEMPLATE_PATH, load_template


def default_environment(template_path: Path = TEMPLATE_PATH) -> dict[str, str]:
    """The ``Globals`` environment variables set from parameters or literals, at the defaults (variables
    naming a resource, like table names, are left to the test that creates the resource)."""
    template = load_template(template_path)
    parameters = parameter_values(template)
    variables: dict[str, Any] = template["Globals"]["Function"]["Environment"]["Variables"]
    found: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, str | int | float):
            found[name] = str(value)
        elif isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
            found[name] = parameters[value["Ref"]]
    return found


def default_map_concurrency(template_path: Path = TEMPLATE_PATH) -> int:
    """The batch Map's ``MaxConcurrency`` the template substitutes with its default parameters."""
    template = load_template(template_path)
    machine = template["Resources"]["BatchStateMachine"]["Properties"]
    resolver = Resolver(template, parameter_values(template), {})
    return int(resolver.resolve(machine["DefinitionSubstitutions"]["MaxConcurrency"]))
