"""Least privilege, checked: run a function's real handler under moto with IAM enforcement, as the role the
SAM translator generates from ``template.yaml`` for that function.

How it works (everything is driven by the template, nothing names a handler file):

1. :func:`function_specs` reads every ``AWS::Serverless::Function`` (logical id → ``CodeUri`` + ``Handler``);
   :func:`load_handler` imports the handler from that folder.
2. :func:`translate` runs ``samtranslator`` offline over the template (local code URIs replaced by S3 URIs,
   as ``sam package`` does), with the template's default parameters unless told otherwise. The result is the
   CloudFormation CloudFormation would create: one ``AWS::IAM::Role`` per function, with the inline policies
   SAM wrote from ``Policies``.
3. :class:`Resolver` resolves ``Ref``/``Fn::GetAtt``/``Fn::Sub``/``Fn::If``/... against the fake account and
   region and the **moto** resource names the test created (``physical``), so the policies name the very
   tables, bucket, state machine, WebSocket API and secrets the handler will call.
4. :class:`IamHarness` creates each role in moto with exactly those policies, assumes it (STS) and runs a
   block with the role's temporary credentials and moto's IAM enforcement on
   (``INITIAL_NO_AUTH_ACTION_COUNT = 0``). moto checks the request signature and the role's policies.
   moto only checks S3 against the real resource; for every other service it checks the action against
   ``"*"`` (so any resource-scoped statement would be denied), and it would take
   ``dynamodb:TransactWriteItems`` or ``execute-api:PostToConnection`` as the action where IAM evaluates
   ``dynamodb:PutItem``/``UpdateItem`` per item and ``execute-api:ManageConnections``. The harness
   therefore hands moto's own policy evaluation the IAM action(s) and resource ARN(s) :func:`needs`
   derives from the request.
5. Every boto3 call the code makes (and every presigned POST it signs) is also recorded on the client side
   and checked **statically** against the same policies with :func:`allowed`. This covers what moto cannot:
   Textract (stubbed with ``botocore.stub.Stubber``: no request reaches moto), the API Gateway management
   API (moto's stage endpoint skips its IAM check), the ``kms:Decrypt`` SSM and
   Secrets Manager make on the caller's behalf, the ``s3:GetObject`` Textract makes with the caller's
   credentials when given an ``S3Object``, the upload a presigned POST authorises, and calls whose
   ``AccessDenied`` the code deliberately survives (the breaker store and result cache fail open, the socket
   publisher survives a failed post): a denial that is swallowed still fails the test.

Limits (see docs/deploy.md): managed policies SAM attaches (``AWSLambdaBasicExecutionRole``,
``AWSXrayWriteOnlyAccess``) are not loaded (the code makes no Logs/X-Ray SDK calls); condition keys are
evaluated only for the ``String*``/``Arn*``/``Bool`` operators and the context keys :func:`needs` supplies;
resource policies, SCPs and permission boundaries are not modelled.
"""

from __future__ import annotations

import copy
import fnmatch
import importlib.util
import json
import re
import sys
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.template import TEMPLATE_PATH, load_template

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK_NAME = "receiptflow"
URL_SUFFIX = "amazonaws.com"
_NO_VALUE = object()

# Required parameters without a default get these values in the translation.
REQUIRED_PARAMETER_VALUES = {
    "JwtIssuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_receiptflow",
    "JwtAudience": "receiptflow-app-client",
}


# --- the template's functions -----------------------------------------------------------------------
@dataclass(frozen=True)
class FunctionSpec:
    """Where a function's handler lives, as the template says."""

    logical_id: str
    code_dir: Path
    module: str
    attribute: str


def function_specs(template_path: Path = TEMPLATE_PATH) -> dict[str, FunctionSpec]:
    """Every ``AWS::Serverless::Function``: logical id → code folder and handler (Globals applied)."""
    template = load_template(template_path)
    defaults = (template.get("Globals") or {}).get("Function") or {}
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = {**defaults, **(resource.get("Properties") or {})}
        module, _, attribute = str(props["Handler"]).rpartition(".")
        code_dir = template_path.parent / str(props["CodeUri"])
        specs[logical_id] = FunctionSpec(logical_id, code_dir, module, attribute)
    return specs


def load_handler(spec: FunctionSpec) -> Callable[[dict[str, Any], Any], Any]:
    """The handler callable, imported from the function's own folder (one module per folder)."""
    path = spec.code_dir / (spec.module.replace(".", "/") + ".py")
    name = "iam_fn_" + re.sub(r"\W", "_", str(path.relative_to(TEMPLATE_PATH.parent)))
    module = sys.modules.get(name)
    if module is None:
        loaded = importlib.util.spec_from_file_location(name, path)
        assert loaded is not None and loaded.loader is not None, path
        module = importlib.util.module_from_spec(loaded)
        sys.modules[name] = module
        loaded.loader.exec_module(module)
    handler: Callable[[dict[str, Any], Any], Any] = getattr(module, spec.attribute)
    return handler


# --- SAM → CloudFormation, offline ------------------------------------------------------------------
def parameter_values(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The template's default parameter values, the required ones filled in, then ``overrides``."""
    values = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
    for name, value in REQUIRED_PARAMETER_VALUES.items():
        values.setdefault(name, value)
    values.update(overrides or {})
    return values


def translate(
    template_path: Path = TEMPLATE_PATH, overrides: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The CloudFormation template ``samtranslator`` makes of ``template_path`` (offline)."""
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    class _NoManagedPolicies(ManagedPolicyLoader):  # type: ignore[misc]
        """The template names no managed policy by name, so nothing needs looking up in IAM."""

        def __init__(self) -> None:
            pass

        def load(self) -> dict[str, str]:
            return {}

    template = copy.deepcopy(load_template(template_path))
    for logical_id, resource in (template.get("Resources") or {}).items():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str) and not str(props[key]).startswith("s3://"):
                props[key] = f"s3://receiptflow-artifacts/{logical_id}.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        translated: dict[str, Any] = transform(
            template, parameter_values(template, overrides), _NoManagedPolicies()
        )
    return translated


# --- intrinsic functions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Physical:
    """A resource as deployed: what ``Ref`` gives, and its ``Fn::GetAtt`` attributes."""

    ref: str
    attributes: Mapping[str, str] = field(default_factory=dict)


class Resolver:
    """Resolves CloudFormation intrinsics against fake pseudo parameters and the given physical names."""

    def __init__(
        self, template: Mapping[str, Any], parameters: Mapping[str, str], physical: Mapping[str, Physical]
    ) -> None:
        self.template = template
        self.values: dict[str, str] = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK_NAME,
            "AWS::URLSuffix": URL_SUFFIX,
            **parameters,
        }
        self.physical = physical
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions") or {}:
            self._truth({"Condition": name})

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic resolved (``AWS::NoValue`` entries dropped)."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._intrinsics().get(key)
            if handler is not None:
                return handler(arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Join": lambda a: str(self.resolve(a[0])).join(str(x) for x in self.resolve(a[1])),
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(str(self.resolve(a[0]))),
            "Fn::FindInMap": self._find_in_map,
            "Fn::Equals": lambda a: self._truth({"Fn::Equals": a}),
            "Fn::Not": lambda a: self._truth({"Fn::Not": a}),
        }

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.values:
            return self.values[name]
        if name in self.physical:
            return self.physical[name].ref
        return f"{name}-physical"

    def _get_att(self, arg: Any) -> str:
        logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
        physical = self.physical.get(str(logical_id))
        if physical is not None and attribute in physical.attributes:
            return str(physical.attributes[attribute])
        return f"{logical_id}.{attribute}-physical"

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if "." in name and name.split(".", 1)[0] not in self.values:
                return self._get_att(name)
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, str(text))

    def _if(self, arg: list[Any]) -> Any:
        return self.resolve(arg[1] if self._truth({"Condition": arg[0]}) else arg[2])

    def _find_in_map(self, arg: list[Any]) -> Any:
        mapping, top, second = (str(self.resolve(a)) for a in arg)
        return self.template["Mappings"][mapping][top][second]

    def _truth(self, body: Any) -> bool:
        if isinstance(body, dict) and len(body) == 1:
            ((key, arg),) = body.items()
            if key == "Fn::Equals":
                left, right = (self.resolve(a) for a in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._truth(arg[0])
            if key == "Fn::And":
                return all(self._truth(a) for a in arg)
            if key == "Fn::Or":
                return any(self._truth(a) for a in arg)
            if key == "Condition":
                name = str(arg)
                if name not in self.conditions:
                    self.conditions[name] = self._truth(self.template["Conditions"][name])
                return self.conditions[name]
        raise ValueError(f"not a condition: {body!r}")


def role_documents(cfn: Mapping[str, Any], function_id: str, resolver: Resolver) -> dict[str, dict[str, Any]]:
    """Policy name → resolved policy document of the role the function runs as."""
    function = cfn["Resources"][function_id]["Properties"]
    role_ref = function["Role"]
    role_id = role_ref["Fn::GetAtt"][0] if isinstance(role_ref, dict) else str(role_ref)
    role = cfn["Resources"][role_id]["Properties"]
    documents: dict[str, dict[str, Any]] = {}
    for policy in resolver.resolve(role.get("Policies") or []):
        documents[str(policy["PolicyName"])] = policy["PolicyDocument"]
    return documents


# --- what a call needs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """One AWS API call as the code made it."""

    service: str
    operation: str
    params: Mapping[str, Any]
    endpoint: str = ""


@dataclass(frozen=True)
class Need:
    """One IAM permission a call needs: action on resource, with the request context the policy may test."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        extra = f" {dict(self.context)}" if self.context else ""
        return f"{self.action} on {self.resource}{extra}"


_S3_ACTIONS = {"HeadObject": "GetObject"}
MISSING_KEY = "MissingKey"  # pseudo-operation: a GET/HEAD that found no object
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _table(name: str) -> str:
    return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def needs(
    call: Call, secret_arns: Mapping[str, str] | None = None, managed_key_secrets: Collection[str] = ()
) -> list[Need]:
    """The IAM permissions ``call`` needs (see the module docstring for what is implied). A secret in
    ``managed_key_secrets`` is encrypted with the AWS managed key, whose use needs no identity grant."""
    p = call.params
    service, op = call.service, call.operation
    if service == "dynamodb":
        if op == "TransactWriteItems":
            out = []
            for item in p.get("TransactItems", []):
                ((kind, body),) = item.items()
                out.append(Need(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table(body["TableName"])))
            return out
        if op == "TransactGetItems":
            return [
                Need("dynamodb:GetItem", _table(i["Get"]["TableName"])) for i in p.get("TransactItems", [])
            ]
        if op in ("BatchWriteItem", "BatchGetItem"):
            return [Need(f"dynamodb:{op}", _table(t)) for t in p.get("RequestItems", {})]
        resource = _table(p["TableName"])
        if p.get("IndexName"):
            resource += f"/index/{p['IndexName']}"
        return [Need(f"dynamodb:{op}", resource)]
    if service == "s3":
        bucket, key = p.get("Bucket", ""), p.get("Key")
        if op == MISSING_KEY:  # S3 answers 404 for a missing key only to callers allowed to list
            return [Need("s3:ListBucket", f"arn:{PARTITION}:s3:::{bucket}")]
        if op in ("ListObjectsV2", "ListObjects"):
            context = (("s3:prefix", str(p.get("Prefix", ""))),)
            return [Need("s3:ListBucket", f"arn:{PARTITION}:s3:::{bucket}", context)]
        resource = f"arn:{PARTITION}:s3:::{bucket}" + (f"/{key}" if key is not None else "")
        return [Need(f"s3:{_S3_ACTIONS.get(op, op)}", resource)]
    if service == "states":
        arn = p.get("executionArn") or p.get("stateMachineArn") or "*"
        return [Need(f"states:{op}", str(arn))]
    if service == "events":
        buses = {str(e.get("EventBusName") or "default") for e in p.get("Entries", [])} or {"default"}
        return [
            Need(
                "events:PutEvents",
                b if b.startswith("arn:") else f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/{b}",
            )
            for b in sorted(buses)
        ]
    if service in ("apigatewaymanagementapi", "execute-api"):
        match = re.match(r"https?://([^./]+)\.execute-api\.[^/]+/([^/]+)", call.endpoint)
        api, stage = match.groups() if match else ("*", "*")
        method = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}[op]
        connection = p["ConnectionId"]
        resource = (
            f"arn:{PARTITION}:execute-api:{REGION}:{ACCOUNT}:{api}/{stage}/{method}/@connections/{connection}"
        )
        return [Need("execute-api:ManageConnections", resource)]
    if service == "ssm":
        name = str(p["Name"])
        out = [Need(f"ssm:{op}", f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}")]
        if p.get("WithDecryption"):
            out.append(_kms_via("ssm"))
        return out
    if service == "secretsmanager":
        secret = str(p["SecretId"])
        arn = (
            secret
            if secret.startswith("arn:")
            else (secret_arns or {}).get(
                secret, f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret}-AbCdEf"
            )
        )
        if secret in managed_key_secrets or arn in managed_key_secrets:
            return [Need(f"secretsmanager:{op}", arn)]
        return [Need(f"secretsmanager:{op}", arn), _kms_via("secretsmanager")]
    if service == "sqs":  # the queue URL ends in <account>/<name>
        account, name = str(p["QueueUrl"]).rstrip("/").split("/")[-2:]
        return [Need(f"sqs:{op}", f"arn:{PARTITION}:sqs:{REGION}:{account}:{name}")]
    if service == "textract":
        out = [Need(f"textract:{op}", "*")]
        s3_object = (p.get("Document") or {}).get("S3Object")
        if s3_object:  # Textract reads it with the caller's credentials
            out.append(
                Need(
                    "s3:GetObject",
                    f"arn:{PARTITION}:s3:::{s3_object['Bucket']}/{s3_object['Name']}",
                    (("aws:CalledVia", "textract.amazonaws.com"),),
                )
            )
        return out
    return [Need(f"{service}:{op}", "*")]


def _kms_via(service: str) -> Need:
    """Decrypting with a customer managed key, which the service does with the caller's permissions."""
    return Need(
        "kms:Decrypt",
        f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000",
        (("kms:ViaService", f"{service}.{REGION}.{URL_SUFFIX}"),),
    )


# --- a small IAM evaluator (identity policies only) -----------------------------------------------------
def _matches(patterns: Any, value: str, *, ignore_case: bool = False) -> bool:
    listed = patterns if isinstance(patterns, list) else [patterns]
    if ignore_case:  # IAM action names are case-insensitive
        return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in listed)
    return any(fnmatch.fnmatchcase(value, str(p)) for p in listed)


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, tests in condition.items():
        base = operator.removesuffix("IfExists")
        for key, expected in tests.items():
            wanted = [str(e) for e in (expected if isinstance(expected, list) else [expected])]
            actual = context.get(key)
            if actual is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            if base in ("StringEquals", "ArnEquals", "Bool"):
                ok = actual in wanted
            elif base in ("StringLike", "ArnLike"):
                ok = any(fnmatch.fnmatchcase(actual, w) for w in wanted)
            elif base == "StringNotEquals":
                ok = actual not in wanted
            else:
                raise ValueError(f"condition operator {operator} is not modelled")
            if not ok:
                return False
    return True


def allowed(documents: Mapping[str, Mapping[str, Any]], need: Need) -> bool:
    """True when an Allow statement covers ``need`` and no Deny does."""
    context = dict(need.context)
    verdict = False
    for document in documents.values():
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            action_ok = (
                not _matches(statement["NotAction"], need.action, ignore_case=True)
                if "NotAction" in statement
                else _matches(statement.get("Action", []), need.action, ignore_case=True)
            )
            resource_ok = (
                not _matches(statement["NotResource"], need.resource)
                if "NotResource" in statement
                else _matches(statement.get("Resource", "*"), need.resource)
            )
            if not (
                action_ok and resource_ok and _condition_holds(statement.get("Condition") or {}, context)
            ):
                continue
            if statement.get("Effect") == "Deny":
                return False
            verdict = True
    return verdict


def _statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return list(statements) if isinstance(statements, list) else [statements]


def _replace_statement(
    documents: Mapping[str, Mapping[str, Any]], name: str, index: int, statement: dict[str, Any] | None
) -> dict[str, dict[str, Any]]:
    out = {k: dict(v) for k, v in documents.items()}
    statements = _statements(documents[name])
    if statement is None:
        del statements[index]
    else:
        statements[index] = statement
    out[name]["Statement"] = statements
    return out


def unneeded_grants(documents: Mapping[str, Mapping[str, Any]], needed: Sequence[Need]) -> list[str]:
    """Every Allow statement, and every action or resource listed in one, that could be removed with every
    ``needed`` permission still allowed: what the role grants beyond what the code uses."""
    found: list[str] = []
    for name, document in documents.items():
        for index, statement in enumerate(_statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            label = f"{name}/{statement.get('Sid', index)}"
            if all(allowed(_replace_statement(documents, name, index, None), n) for n in needed):
                found.append(f"{label}: the whole statement ({statement.get('Action')})")
                continue
            for key in ("Action", "Resource"):
                listed = statement.get(key)
                if not isinstance(listed, list) or len(listed) < 2:
                    continue
                for value in listed:
                    narrower = {**statement, key: [v for v in listed if v != value]}
                    if all(allowed(_replace_statement(documents, name, index, narrower), n) for n in needed):
                        found.append(f"{label}: {key} {value}")
    return found


# --- moto: roles, enforcement, recording --------------------------------------------------------------
@dataclass
class Run:
    """What one block run as a function's role did."""

    function_id: str
    documents: dict[str, dict[str, Any]]
    calls: list[Call] = field(default_factory=list)
    denied_by_moto: list[str] = field(default_factory=list)

    def needed(
        self, secret_arns: Mapping[str, str] | None = None, managed_key_secrets: Collection[str] = ()
    ) -> list[Need]:
        """Every permission the recorded calls needed, in call order, without repeats."""
        seen: dict[Need, None] = {}
        for call in self.calls:
            for need in needs(call, secret_arns, managed_key_secrets):
                seen.setdefault(need)
        return list(seen)


class IamHarness:
    """Roles from the translated template in moto, and blocks run as one of them with IAM enforced.

    Use inside ``moto.mock_aws``. ``physical`` maps logical ids to the moto resources the test created.
    """

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        physical: Mapping[str, Physical],
        *,
        overrides: Mapping[str, str] | None = None,
        template_path: Path = TEMPLATE_PATH,
        reset: Callable[[], None] = lambda: None,
    ) -> None:
        self.monkeypatch = monkeypatch
        self.template = load_template(template_path)
        self.cfn = translate(template_path, overrides)
        self.parameters = parameter_values(self.template, overrides)
        self.resolver = Resolver(self.cfn, self.parameters, physical)
        self.reset = reset
        self.specs = function_specs(template_path)
        self.runs: list[Run] = []
        self._current: Run | None = None
        self._lock = threading.Lock()
        self._credentials: dict[str, dict[str, str]] = {}
        self.secret_arns: dict[str, str] = {}
        self.managed_key_secrets: set[str] = set()  # ARNs of secrets under the AWS managed key
        _install_recorder(monkeypatch, self._record)
        _install_resource_aware_authorization(
            monkeypatch, self._denied, self._current_documents, self.managed_key_secrets
        )

    def documents(self, function_id: str) -> dict[str, dict[str, Any]]:
        """The resolved policy documents of the function's role."""
        return role_documents(self.cfn, function_id, self.resolver)

    def handler(self, function_id: str) -> Callable[[dict[str, Any], Any], Any]:
        """The function's real handler."""
        return load_handler(self.specs[function_id])

    def environment(self, function_id: str) -> dict[str, str]:
        """The function's environment variables as deployed (Globals merged in by SAM), resolved."""
        props = self.cfn["Resources"][function_id]["Properties"]
        variables = self.resolver.resolve((props.get("Environment") or {}).get("Variables") or {})
        return {str(k): str(v) for k, v in variables.items()}

    def service_needs(self, function_id: str) -> list[Need]:
        """What the Lambda service does with the function's role: deliver to its async destinations, and
        poll the SQS queues of its event source mappings."""
        actions = {
            "sqs": "sqs:SendMessage",
            "sns": "sns:Publish",
            "lambda": "lambda:InvokeFunction",
            "events": "events:PutEvents",
        }
        found: list[Need] = []
        for resource in self.cfn["Resources"].values():
            props = resource.get("Properties") or {}
            if resource.get("Type") == "AWS::Lambda::EventSourceMapping" and props.get("FunctionName") == {
                "Ref": function_id
            }:
                source = str(self.resolver.resolve(props["EventSourceArn"]))
                if source.split(":")[2] == "sqs":
                    polls = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
                    found.extend(Need(action, source) for action in polls)
                continue
            if resource.get("Type") != "AWS::Lambda::EventInvokeConfig":
                continue
            if props.get("FunctionName") != {"Ref": function_id}:
                continue
            for outcome in (props.get("DestinationConfig") or {}).values():
                arn = str(self.resolver.resolve(outcome["Destination"]))
                found.append(Need(actions[arn.split(":")[2]], arn))
        return found

    def needed(self, function_id: str) -> list[Need]:
        """Every permission the function needed in the blocks run as its template role, plus
        :meth:`service_needs`."""
        template = self.documents(function_id)
        seen: dict[Need, None] = {}
        for run in self.runs:
            if run.function_id == function_id and run.documents == template:
                for need in run.needed(self.secret_arns, self.managed_key_secrets):
                    seen.setdefault(need)
        for need in self.service_needs(function_id):
            seen.setdefault(need)
        return list(seen)

    def problems(self) -> list[str]:
        """Calls denied or not allowed, and grants no call needed, for every function that ran."""
        found: list[str] = []
        for run in self.runs:
            found += [f"{run.function_id}: moto denied {what}" for what in run.denied_by_moto]
        for function_id in sorted({r.function_id for r in self.runs}):
            documents = self.documents(function_id)
            needed = self.needed(function_id)
            found += [f"{function_id}: not allowed: {n}" for n in needed if not allowed(documents, n)]
            found += [
                f"{function_id}: granted, never needed: {g}" for g in unneeded_grants(documents, needed)
            ]
        return found

    def _role_credentials(
        self, function_id: str, documents: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, str]:
        key = function_id + json.dumps(documents, sort_keys=True)
        if key not in self._credentials:
            iam = boto3.client("iam", region_name=REGION)
            name = f"{function_id}Role-{len(self._credentials)}"
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            for policy_name, document in documents.items():
                # IAM takes a document without Version (as 2008-10-17); moto insists on one
                versioned = {"Version": "2012-10-17", **document}
                iam.put_role_policy(
                    RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(versioned)
                )
            creds = boto3.client("sts", region_name=REGION).assume_role(
                RoleArn=arn, RoleSessionName=function_id
            )["Credentials"]
            self._credentials[key] = {
                "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                "AWS_SESSION_TOKEN": creds["SessionToken"],
            }
        return self._credentials[key]

    @contextmanager
    def run_as(
        self, function_id: str, documents: Mapping[str, Mapping[str, Any]] | None = None
    ) -> Iterator[Run]:
        """Run the block with the function's role credentials (or ``documents`` instead of its policies)
        and IAM enforced; the caches of clients and settings are reset on the way in and out."""
        from moto.core.authorization import enable_iam_authentication

        chosen = {k: dict(v) for k, v in (documents or self.documents(function_id)).items()}
        credentials = self._role_credentials(function_id, chosen)
        run = Run(function_id, chosen)
        with pytest.MonkeyPatch.context() as env:
            for name, value in {**self.environment(function_id), **credentials}.items():
                env.setenv(name, value)
            self._reset_all()
            with self._lock:
                self._current = run
            try:
                with enable_iam_authentication():
                    yield run
            finally:
                with self._lock:
                    self._current = None
                self.runs.append(run)
        self._reset_all()

    def _reset_all(self) -> None:
        """Forget clients and settings built under other credentials, the handler modules' caches too."""
        self.reset()
        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("iam_fn_"):
                for value in vars(module).values():
                    if callable(getattr(value, "cache_clear", None)):
                        value.cache_clear()

    def _record(self, call: Call) -> None:
        with self._lock:
            if self._current is not None:
                self._current.calls.append(call)

    def _current_documents(self) -> dict[str, dict[str, Any]] | None:
        with self._lock:
            return self._current.documents if self._current is not None else None

    def _denied(self, what: str) -> None:
        with self._lock:
            if self._current is not None:
                self._current.denied_by_moto.append(what)


def _install_recorder(monkeypatch: pytest.MonkeyPatch, record: Callable[[Call], None]) -> None:
    """Record every botocore API call (before any Stubber answers it) and every presigned POST."""
    from botocore import signers
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def recorded(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        service = self.meta.service_model.signing_name
        record(Call(service, operation_name, dict(api_params), self.meta.endpoint_url))
        try:
            return original(self, operation_name, api_params)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if service == "s3" and operation_name in ("GetObject", "HeadObject") and status == 404:
                record(Call("s3", MISSING_KEY, {"Bucket": api_params["Bucket"], "Key": api_params["Key"]}))
            raise

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    original_post = signers.generate_presigned_post

    def presigned_post(self: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N803
        record(Call("s3", "PutObject", {"Bucket": Bucket, "Key": Key}, "presigned-post"))
        return original_post(self, Bucket, Key, *args, **kwargs)

    monkeypatch.setattr(signers, "generate_presigned_post", presigned_post)


def _server_call(response: Any, service: str) -> Call:
    """The call a moto request handler is serving, in the shape :func:`needs` reads."""
    operation = response._get_action()
    params: dict[str, Any] = {}
    body = response.raw_body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if body and str(body).lstrip().startswith("{"):
        params = json.loads(body)
    return Call(service, operation, params)


def _install_resource_aware_authorization(
    monkeypatch: pytest.MonkeyPatch,
    denied: Callable[[str], None],
    documents: Callable[[], Mapping[str, Mapping[str, Any]] | None],
    managed_key_secrets: Collection[str] = (),
) -> None:
    """Make moto evaluate the IAM action(s) and resource ARN(s) of each non-S3 request (see the module
    docstring), answer a GET/HEAD of a missing S3 key with 403 unless the caller may list the bucket (as
    S3 does), and report every denial."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequest
    from moto.s3.exceptions import S3AccessDeniedError
    from moto.s3.models import s3_backends

    def missing_key_hidden(method: str, resource: str) -> bool:
        bucket, _, key = resource.removeprefix(f"arn:{PARTITION}:s3:::").partition("/")
        if method not in ("GET", "HEAD") or not key or key.endswith("/"):
            return False
        found = s3_backends[ACCOUNT][PARTITION].buckets.get(bucket)
        if found is None or key in found.keys:
            return False
        current = documents() or {}
        return not allowed(current, Need("s3:ListBucket", f"arn:{PARTITION}:s3:::{bucket}"))

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            original(self, iam_request_cls, resource)
            return
        if iam_request_cls is not IAMRequest:  # S3: moto knows the resource itself
            try:
                original(self, iam_request_cls, resource)
            except Exception:
                denied(f"s3 {self.method} {resource}")
                raise
            if missing_key_hidden(self.method, resource):
                denied(f"s3:ListBucket (S3 answers 403, not 404, for the missing {resource})")
                raise S3AccessDeniedError()
            return
        scope = self.headers["Authorization"].split("Credential=", 1)[1].split(",", 1)[0].split("/")
        service = scope[3]
        if service in ("sts",):
            original(self, iam_request_cls, resource)
            return
        call = _server_call(self, service)
        for need in needs(call, managed_key_secrets=managed_key_secrets) or [
            Need(f"{service}:{call.operation}", resource)
        ]:
            request = IAMRequest(
                account_id=self.current_account,
                method=self.method,
                path=self.raw_path,
                data=self.data,
                body=self.raw_body,
                headers=self.headers,
                action=call.operation,
            )
            request._action = need.action
            try:
                request.check_signature()
                request.check_action_permitted(need.resource)
            except Exception:
                denied(str(need))
                raise

    monkeypatch.setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", authorize)
