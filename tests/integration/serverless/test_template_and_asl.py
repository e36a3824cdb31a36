"""The deployment artefacts: cfn-lint on the template, the ASL validator, wiring between template, handlers,
settings and the state machine, and the layer requirements exported from pyproject.toml."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from receiptflow.settings import Settings

from infra.validate_asl import check_definition, placeholders, render_definition, sample_values, validate
from tests.support.serverless_stack import DEFINITION_PATH, REPO_ROOT
from tests.support.template import TEMPLATE_PATH, load_template, resources_of_type
from tools.export_layer_requirements import REQUIREMENTS, layer_requirements

FUNCTION = "AWS::Serverless::Function"
# actions AWS offers no resource-level permissions for (so "*" is the only possible resource)
NO_RESOURCE_LEVEL = {
    "textract:AnalyzeExpense",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """template.yaml with short tags in long form."""
    return load_template(TEMPLATE_PATH)


def test_cfn_lint_passes_on_the_template() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE_PATH)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_state_machine_definition_is_valid() -> None:
    assert validate(DEFINITION_PATH, TEMPLATE_PATH) == []


def _machine() -> dict[str, Any]:
    text = DEFINITION_PATH.read_text(encoding="utf-8")
    machine: dict[str, Any] = json.loads(render_definition(text, sample_values(placeholders(text))))
    return machine


def _scan_state(machine: dict[str, Any], map_name: str) -> dict[str, Any]:
    processor = machine["States"][map_name]["ItemProcessor"]
    state: dict[str, Any] = processor["States"][processor["StartAt"]]
    return state


def test_the_validator_reports_what_the_grammar_allows() -> None:
    # GIVEN a definition with a dangling transition, a jitter-less retrier, a repeated state name
    # and a Scan Image step that no longer retries throttles
    machine = _machine()
    machine["States"]["Scan Items"]["Next"] = "Nowhere"
    scan = _scan_state(machine, "Scan Items")
    del scan["Retry"][0]["JitterStrategy"]
    scan["Retry"] = [r for r in scan["Retry"] if "ProviderThrottledError" not in r["ErrorEquals"]]
    machine["States"]["Record Failure"] = {"Type": "Succeed"}

    # WHEN it is checked THEN each problem is named
    problems = "\n".join(check_definition(machine))
    assert "unknown state 'Nowhere'" in problems
    assert "JitterStrategy FULL" in problems
    assert "does not retry ProviderThrottledError" in problems
    assert "must be unique" in problems


def test_the_validator_rejects_a_definition_the_parser_cannot_load(tmp_path: Path) -> None:
    broken = tmp_path / "broken.asl.json"
    text = DEFINITION_PATH.read_text(encoding="utf-8").replace('"Type": "Map"', '"Type": "Mop"')
    broken.write_text(text, encoding="utf-8")
    assert any("rejected" in problem for problem in validate(broken, TEMPLATE_PATH))


def test_one_item_processor_for_every_batch_size() -> None:
    machine = _machine()
    maps = [name for name, state in machine["States"].items() if state["Type"] == "Map"]
    assert maps == ["Scan Items"] and machine["StartAt"] == "Scan Items"
    distributed = machine["States"]["Scan Items"]
    assert distributed["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert distributed["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert isinstance(distributed["ToleratedFailurePercentage"], float)


def test_scan_steps_retry_throttles_and_catch_everything_keeping_the_input() -> None:
    scan = _scan_state(_machine(), "Scan Items")
    throttle = next(r for r in scan["Retry"] if "ProviderThrottledError" in r["ErrorEquals"])
    assert throttle["JitterStrategy"] == "FULL" and throttle["MaxDelaySeconds"] > 0
    assert scan["Catch"][-1]["ErrorEquals"] == ["States.ALL"]
    assert all(c["ResultPath"] == "$.error" for c in scan["Catch"])


def _top_level_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def test_every_function_handler_exists(template: dict[str, Any]) -> None:
    missing = []
    for logical_id, props in resources_of_type(template, FUNCTION).items():
        module_name, attribute = props["Handler"].rsplit(".", 1)
        path = REPO_ROOT / props["CodeUri"] / f"{module_name}.py"
        if not path.is_file() or attribute not in _top_level_names(path):
            missing.append(f"{logical_id}: {props['CodeUri']}{props['Handler']}")
    assert missing == []


def test_template_environment_names_settings_fields(template: dict[str, Any]) -> None:
    names = set(template["Globals"]["Function"]["Environment"]["Variables"])
    for props in resources_of_type(template, FUNCTION).values():
        names |= set(props.get("Environment", {}).get("Variables", {}))
    fields = {f"RECEIPTFLOW_{name.upper()}" for name in Settings.model_fields}
    unknown = sorted(n for n in names if n.startswith("RECEIPTFLOW_") and n not in fields)
    assert unknown == []


def test_state_machine_substitutions_name_the_workflow_functions(template: dict[str, Any]) -> None:
    machine = resources_of_type(template, "AWS::Serverless::StateMachine")["BatchStateMachine"]
    substitutions = machine["DefinitionSubstitutions"]
    assert machine["DefinitionUri"] == "statemachine/batch.asl.json"
    assert substitutions["MaxConcurrency"]["Fn::If"][0] == "HasMaxConcurrency"  # else from TextractTps
    for key, value in substitutions.items():
        if key.endswith("FunctionArn"):  # the function, or the SnapStart alias of it
            function = key.removesuffix("Arn")
            assert value in ({"Fn::GetAtt": [function, "Arn"]}, {"Ref": f"{function}.Alias"})


def _statements(policies: list[Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in policies:
        if isinstance(policy, dict) and "Statement" in policy:
            statements += policy["Statement"]
        elif isinstance(policy, dict) and "Fn::If" in policy:
            statements += _statements([policy["Fn::If"][1]])
    return statements


def test_no_wildcard_resource_on_data(template: dict[str, Any]) -> None:
    resources = {
        **resources_of_type(template, FUNCTION),
        **resources_of_type(template, "AWS::Serverless::StateMachine"),
    }
    wildcards = [
        (logical_id, action)
        for logical_id, props in resources.items()
        for statement in _statements(props.get("Policies", []))
        if statement.get("Resource") == "*"
        for action in statement["Action"]
        if action not in NO_RESOURCE_LEVEL
    ]
    assert wildcards == []


def test_layer_requirements_are_exported_from_pyproject() -> None:
    assert REQUIREMENTS.read_text(encoding="utf-8") == layer_requirements(), (
        "run python tools/export_layer_requirements.py"
    )
    assert "rapidocr" not in layer_requirements()
