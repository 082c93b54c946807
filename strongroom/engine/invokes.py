"""Offline answers to provider functions (invokes), sorted by how far they can be trusted.

- *computed*: pure functions, answered exactly as the provider computes them (``getPolicyDocument``,
  ``getArn``, ``getServicePrincipal``, ``getPartition``, ``getRegion``, ``getCallerIdentity``, ...).
- *faked*: lookups of things that exist only in a real account (``getAmi``, ``getVpc``, ``getSubnets``,
  ``ecr.getCredentials``, ...) get plausible, deterministic values in the formats AWS returns, derived
  from the arguments; the report names each one, because the real account may answer differently.
- *unknown*: any other lookup: every field of the function's result type (read from the installed
  ``pulumi_aws`` result class) is the engine's UNKNOWN sentinel, as in a preview that cannot read the
  account, so the program goes on.

Fields a fake does not set, and arguments the result echoes but the call did not give, are left out
(None to the program): the generated result classes check each field's type, and under preview the SDK
turns the UNKNOWN sentinel into ``pulumi.output.Unknown``, which fails that check. An unknown lookup is
therefore answered wholly unknown in the ``get_x_output`` form (an unknown Output whose ``apply``
callbacks are skipped) and with empty fields in the plain ``get_x`` form; the plan records its fields as
UNKNOWN either way.
"""

from __future__ import annotations

import base64
import functools
import importlib
import inspect
import json
import re
import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

from pulumi import _types as pulumi_types

from strongroom.engine.fakes import (
    _ALNUM_LOWER,
    _ALNUM_UPPER,
    Entropy,
    _az_id,
    dns_suffix_of,
    fake_invoke,
    partition_of,
)

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's unknown value (``pulumi.runtime.rpc.UNKNOWN``)."""

COMPUTED, FAKED, UNANSWERED = "computed", "faked", "unknown"


class InvokeError(Exception):
    """The provider would fail this call (its own message); the program sees the invoke fail."""


@dataclass
class InvokeAnswer:
    kind: str
    """``computed`` | ``faked`` | ``unknown``."""
    result: dict[str, Any]
    """What the plan records; a field no answer provides is UNKNOWN."""
    wholly_unknown: bool = False
    """No field is known: a lookup without an offline answer, or a call with unknown arguments."""

    def wire(self) -> dict[str, Any]:
        """What the program receives: the known fields only. The generated result classes check each
        field's type (``Expected argument 'arn' to be a str``) and under preview the SDK turns UNKNOWN
        into a ``pulumi.output.Unknown``, which fails that check in both the ``get_x`` and the
        ``get_x_output`` form; a field left out is None."""
        return {key: value for key, value in self.result.items() if value != UNKNOWN}


def called_in_plain_form(token: str) -> bool:
    """True while the program waits in the SDK's plain ``pulumi.runtime.invoke`` of ``token`` (the
    generated ``get_x`` form, which blocks its thread until the answer comes). The ``get_x_output``
    form awaits the invoke inside the event loop instead, so it can take a wholly unknown answer
    (``ResourceInvokeResponse.unknown``: the Output is unknown and its applies are skipped), which the
    plain form cannot (it reads each field of the answer)."""
    code = importlib.import_module("pulumi.runtime.invoke").invoke.__code__
    for top in sys._current_frames().values():
        frame: FrameType | None = top
        while frame is not None:
            if frame.f_code is code and frame.f_locals.get("tok") == token:
                return True
            frame = frame.f_back
    return False


def contains_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return value == UNKNOWN


@functools.cache
def result_fields(token: str) -> tuple[str, ...]:
    """The wire names of a pulumi-aws function's result fields, read from the installed SDK:
    ``aws:ec2/getInternetGateway:getInternetGateway`` -> ``pulumi_aws.ec2.GetInternetGatewayResult``."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "aws" or not parts[2]:
        return ()
    module_name = parts[1].split("/", 1)[0]
    try:
        module = importlib.import_module(
            "pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}"
        )
    except ImportError:
        return ()
    cls = getattr(module, parts[2][0].upper() + parts[2][1:] + "Result", None)
    if not isinstance(cls, type):
        return ()
    return tuple(name for _, name, _ in pulumi_types._py_properties(cls))


@functools.cache
def input_names(token: str) -> frozenset[str]:
    """The wire names of a pulumi-aws function's arguments, from the generated ``get_x`` signature
    (``most_recent`` -> ``mostRecent``)."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "aws" or not parts[2]:
        return frozenset()
    module_name = parts[1].split("/", 1)[0]
    try:
        module = importlib.import_module(
            "pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}"
        )
    except ImportError:
        return frozenset()
    fn = getattr(module, re.sub(r"(?<!^)(?=[A-Z])", "_", parts[2]).lower(), None)
    if not callable(fn):
        return frozenset()
    names = set()
    for name in inspect.signature(fn).parameters:
        if name != "opts":
            head, *rest = name.split("_")
            names.add(head + "".join(w[:1].upper() + w[1:] for w in rest))
    return frozenset(names)


def _unknown_result(token: str, args: dict[str, Any], region: str) -> dict[str, Any]:
    """Every result field unknown, except the arguments the result echoes (those not given are absent)
    and the region the call was made in."""
    inputs = input_names(token)
    result: dict[str, Any] = {name: UNKNOWN for name in result_fields(token) if name not in inputs}
    fields = set(result_fields(token))
    for key, value in args.items():
        if key in fields and value is not None:
            result[key] = value
    if "region" in fields:
        result["region"] = region
    return result


# --- computed (pure) functions ----------------------------------------------------------------------

Pure = Callable[[dict[str, Any], str, str], dict[str, Any]]
_PURE: dict[str, Pure] = {}
_LEGACY_COMPUTED = {
    "aws:index/getAvailabilityZones:getAvailabilityZones",
    "aws:index/getAvailabilityZone:getAvailabilityZone",
    "aws:index/getCallerIdentity:getCallerIdentity",
    "aws:index/getRegion:getRegion",
    "aws:index/getPartition:getPartition",
}
_LEGACY_FAKED = {"aws:ec2/getPrefixList:getPrefixList", "aws:ec2/getManagedPrefixList:getManagedPrefixList"}


def _pure(token: str) -> Callable[[Pure], Pure]:
    def register(fn: Pure) -> Pure:
        _PURE[token] = fn
        return fn

    return register


def _go_json(value: Any, *, indent: bool) -> str:
    """JSON as Go's encoding/json writes it: ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, UTF-8 kept;
    ``json.MarshalIndent(v, "", "  ")`` or ``json.Marshal(v)``."""
    text = (
        json.dumps(value, indent=2, ensure_ascii=False)
        if indent
        else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    )
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _set_of_strings(values: Iterable[str]) -> Any:
    """The provider's ``policyDecodeConfigStrings`` on a Terraform set: one element as a string, more
    sorted in reverse order (duplicates removed, as a set holds them)."""
    unique = sorted(set(values), reverse=True)
    return unique[0] if len(unique) == 1 else unique


def _replace_vars(values: Any, version: str) -> Any:
    """``&{aws:username}`` -> ``${aws:username}``; refused in document version 2008-10-17."""

    def one(v: str) -> str:
        if version == "2008-10-17" and "&{" in v:
            raise InvokeError(
                f"found &{{ sequence in ({v}), which is not supported in document version 2008-10-17"
            )
        return v.replace("&{", "${")

    return one(values) if isinstance(values, str) else [one(v) for v in values]


@dataclass
class _Principal:
    type: str
    identifiers: Any  # str | list[str]


@dataclass
class _Condition:
    test: str
    variable: str
    values: Any  # str | list[str]


@dataclass
class _Statement:
    sid: str = ""
    effect: str = ""
    actions: Any = None
    not_actions: Any = None
    resources: Any = None
    not_resources: Any = None
    principals: list[_Principal] | None = None
    not_principals: list[_Principal] | None = None
    conditions: list[_Condition] | None = None


@dataclass
class _PolicyDoc:
    version: str = ""
    id: str = ""
    statements: list[_Statement] | None = None

    def merge(self, new: _PolicyDoc) -> None:
        """``IAMPolicyDoc.Merge``: adopt the Id, upgrade the Version, replace statements by Sid."""
        if new.id:
            self.id = new.id
        if new.version > self.version:
            self.version = new.version
        for statement in new.statements or []:
            current = self.statements if self.statements is not None else []
            self.statements = current
            if statement.sid:
                for i, existing in enumerate(current):
                    if existing.sid == statement.sid:
                        current[i] = statement
                        break
                else:
                    current.append(statement)
            else:
                current.append(statement)


def _principals_json(principals: list[_Principal]) -> Any:
    if len(principals) == 1 and principals[0].type == "*":
        ids = principals[0].identifiers
        if ids == "*" or ids == ["*"]:
            return "*"
    raw: dict[str, Any] = {}
    for p in principals:
        current = raw.get(p.type)
        if isinstance(p.identifiers, list):
            ids = sorted(p.identifiers, reverse=True)
            if current is None:
                raw[p.type] = list(ids)
            elif isinstance(current, str):
                raw[p.type] = [current, *ids]
            else:
                current.extend(ids)
        else:
            if current is None:
                raw[p.type] = p.identifiers
            elif isinstance(current, str):
                raw[p.type] = [current, p.identifiers]
            else:
                current.append(p.identifiers)
    return dict(sorted(raw.items()))


def _conditions_json(conditions: list[_Condition]) -> dict[str, Any]:
    raw: dict[str, dict[str, list[str]]] = {}
    for c in conditions:
        values = raw.setdefault(c.test, {}).setdefault(c.variable, [])
        values.extend(c.values if isinstance(c.values, list) else [c.values])
    return {
        test: {var: (vals[0] if len(vals) == 1 else vals) for var, vals in sorted(variables.items())}
        for test, variables in sorted(raw.items())
    }


def _doc_json(doc: _PolicyDoc) -> dict[str, Any]:
    """The document as the provider's struct tags marshal it (``omitempty`` everywhere)."""
    out: dict[str, Any] = {}
    if doc.version:
        out["Version"] = doc.version
    if doc.id:
        out["Id"] = doc.id
    statements = []
    for s in doc.statements or []:
        item: dict[str, Any] = {}
        if s.sid:
            item["Sid"] = s.sid
        if s.effect:
            item["Effect"] = s.effect
        # ``any`` fields with omitempty: only a nil interface is left out (a list read from a source
        # document is kept even when empty).
        for key, value in (
            ("Action", s.actions),
            ("NotAction", s.not_actions),
            ("Resource", s.resources),
            ("NotResource", s.not_resources),
        ):
            if value is not None:
                item[key] = value
        if s.principals:
            item["Principal"] = _principals_json(s.principals)
        if s.not_principals:
            item["NotPrincipal"] = _principals_json(s.not_principals)
        if s.conditions:
            item["Condition"] = _conditions_json(s.conditions)
        statements.append(item)
    if statements:
        out["Statement"] = statements
    return out


def _field(data: dict[str, Any], name: str) -> Any:
    """Go's encoding/json matches object keys to struct fields case-insensitively."""
    for key, value in data.items():
        if key.lower() == name.lower():
            return value
    return None


def _parse_principals(value: Any) -> list[_Principal] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [_Principal("*", ["*"])]
    if not isinstance(value, dict):
        raise InvokeError(f"Unsupported data type {type(value).__name__} for IAMPolicyStatementPrincipalSet")
    out = []
    for key, ids in value.items():
        if isinstance(ids, str):
            out.append(_Principal(key, ids))
        elif isinstance(ids, list):
            if not all(isinstance(i, str) for i in ids):
                raise InvokeError(f"principal type {key!r}: identifiers must be strings")
            out.append(_Principal(key, sorted(ids)))
        else:
            raise InvokeError("Unsupported data type for IAMPolicyStatementPrincipalSet.Identifiers")
    return out


def _parse_conditions(value: Any) -> list[_Condition] | None:
    if not isinstance(value, dict):
        return None
    out = []
    for test, variables in value.items():
        for variable, values in (variables or {}).items():
            if isinstance(values, bool):
                out.append(_Condition(test, variable, "true" if values else "false"))
            elif isinstance(values, str):
                out.append(_Condition(test, variable, [values]))
            elif isinstance(values, list):
                out.append(_Condition(test, variable, [str(v) for v in values]))
    return out or None


def _parse_document(text: str, what: str, index: int) -> _PolicyDoc:
    """A source or override document, read as the provider's ``json.Unmarshal`` reads it: lists of
    actions and resources keep their order and shape; principal lists are sorted."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvokeError(f"writing IAM Policy Document: merging {what} document {index}: {exc}") from None
    if not isinstance(data, dict):
        raise InvokeError(f"writing IAM Policy Document: merging {what} document {index}: not a JSON object")
    raw_statements = _field(data, "Statement")
    if raw_statements is not None and not isinstance(raw_statements, list):
        raise InvokeError(
            f"writing IAM Policy Document: merging {what} document {index}: cannot unmarshal object into "
            "Go struct field IAMPolicyDoc.Statement of type []*IAMPolicyStatement"
        )
    statements = []
    for raw in raw_statements or []:
        raw = raw if isinstance(raw, dict) else {}
        statements.append(
            _Statement(
                sid=str(_field(raw, "Sid") or ""),
                effect=str(_field(raw, "Effect") or ""),
                actions=_field(raw, "Action"),
                not_actions=_field(raw, "NotAction"),
                resources=_field(raw, "Resource"),
                not_resources=_field(raw, "NotResource"),
                principals=_parse_principals(_field(raw, "Principal")),
                not_principals=_parse_principals(_field(raw, "NotPrincipal")),
                conditions=_parse_conditions(_field(raw, "Condition")),
            )
        )
    return _PolicyDoc(
        version=str(_field(data, "Version") or ""), id=str(_field(data, "Id") or ""), statements=statements
    )


T = TypeVar("T")


def _sdk_set(items: list[T], serialize: Callable[[T], str]) -> list[T]:
    """A Terraform plugin SDK set (``schema.Set``): one element per hash code, listed in the order of the
    codes sorted as strings; the code of an element is the CRC-32 of its ``SerializeValueForHash`` form."""
    by_code: dict[str, T] = {}
    for item in items:
        by_code.setdefault(str(zlib.crc32(serialize(item).encode())), item)
    return [by_code[code] for code in sorted(by_code)]


def _string_set(values: list[str]) -> list[str]:
    return _sdk_set(values, lambda v: f"{v};")


def _config_principals(items: Any, version: str) -> list[_Principal] | None:
    """``principals`` blocks, a set of {identifiers (a set of strings), type}, in the SDK's set order."""
    blocks = [
        (str(p.get("type", "")), _string_set(_strings(p.get("identifiers"))))
        for p in items or []
        if isinstance(p, dict)
    ]
    ordered = _sdk_set(
        blocks, lambda b: "identifiers:{" + "".join(f"{i};" for i in b[1]) + f"}};type:{b[0]};"
    )
    out = [_Principal(type_, _replace_vars(_set_of_strings(ids), version)) for type_, ids in ordered]
    return out or None


def _config_conditions(items: Any, version: str) -> list[_Condition] | None:
    """``condition`` blocks, a set of {test, values (a list), variable}, in the SDK's set order."""
    blocks = [
        (str(c.get("test", "")), _strings(c.get("values")), str(c.get("variable", "")))
        for c in items or []
        if isinstance(c, dict)
    ]
    ordered = _sdk_set(
        blocks, lambda b: f"test:{b[0]};values:(" + "".join(f"{v};" for v in b[1]) + f");variable:{b[2]};"
    )
    out = []
    for test, raw_values, variable in ordered:
        values = _replace_vars(raw_values, version)
        out.append(_Condition(test, variable, values[0] if len(values) == 1 else values))
    return out or None


_SID = re.compile(r"^[a-zA-Z0-9]*$")


def policy_document(args: dict[str, Any]) -> dict[str, Any]:
    """``aws:iam/getPolicyDocument``: ``json`` (indented), ``minifiedJson`` and ``id`` exactly as
    terraform-provider-aws's ``dataSourcePolicyDocumentRead`` renders them."""
    version = str(args.get("version") or "2012-10-17")
    if version not in ("2008-10-17", "2012-10-17"):
        raise InvokeError(f'expected version to be one of ["2008-10-17" "2012-10-17"], got {version}')
    merged = _PolicyDoc()
    seen_sids: set[str] = set()
    for index, text in enumerate(args.get("sourcePolicyDocuments") or []):
        if text is None:
            continue
        source = _parse_document(str(text), "source", index)
        for n, statement in enumerate(source.statements or []):
            if statement.sid:
                if statement.sid in seen_sids:
                    raise InvokeError(
                        f"writing IAM Policy Document: merging source document {index}: duplicate Sid "
                        f"({statement.sid}) in source_policy_documents (statement {n}). Remove the Sid or "
                        "ensure Sids are unique."
                    )
                seen_sids.add(statement.sid)
        merged.merge(source)

    doc = _PolicyDoc(version=version, id=str(args.get("policyId") or ""))
    configured = [s for s in args.get("statements") or [] if isinstance(s, dict)]
    if configured:
        doc.statements = []
        sids: set[str] = set()
        for s in configured:
            sid = str(s.get("sid") or "")
            if not _SID.match(sid):
                raise InvokeError(f"statement sid {sid!r} must only include alphanumeric characters")
            if sid in sids:
                raise InvokeError(
                    f"writing IAM Policy Document: duplicate Sid ({sid}). Remove the Sid or ensure the Sid "
                    "is unique."
                )
            if sid:
                sids.add(sid)
            effect = str(s.get("effect") or "Allow")
            if effect not in ("Allow", "Deny"):
                raise InvokeError(f'expected effect to be one of ["Allow" "Deny"], got {effect}')
            statement = _Statement(sid=sid, effect=effect)
            if actions := _strings(s.get("actions")):
                statement.actions = _set_of_strings(actions)
            if not_actions := _strings(s.get("notActions")):
                statement.not_actions = _set_of_strings(not_actions)
            if resources := _strings(s.get("resources")):
                statement.resources = _replace_vars(_set_of_strings(resources), version)
            if not_resources := _strings(s.get("notResources")):
                statement.not_resources = _replace_vars(_set_of_strings(not_resources), version)
            statement.principals = _config_principals(s.get("principals"), version)
            statement.not_principals = _config_principals(s.get("notPrincipals"), version)
            statement.conditions = _config_conditions(s.get("conditions"), version)
            doc.statements.append(statement)
    merged.merge(doc)
    for index, text in enumerate(args.get("overridePolicyDocuments") or []):
        if text is None:
            continue
        merged.merge(_parse_document(str(text), "override", index))

    rendered = _doc_json(merged)
    pretty = _go_json(rendered, indent=True)
    result = {key: value for key, value in args.items() if value is not None}
    result.update(
        {
            "id": str(zlib.crc32(pretty.encode())),
            "json": pretty,
            "minifiedJson": _go_json(rendered, indent=False),
            "version": version,
        }
    )
    return result


@_pure("aws:iam/getPolicyDocument:getPolicyDocument")
def _policy_document(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    return policy_document(args)


@_pure("aws:index/getArn:getArn")
def _arn(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    arn = str(args.get("arn") or "")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise InvokeError(
            f"parsing ARN ({arn}): arn: invalid prefix"
            if not arn.startswith("arn:")
            else f"parsing ARN ({arn}): arn: not enough sections"
        )
    _, partition, service, arn_region, arn_account, resource = parts
    return {
        "id": arn,
        "arn": arn,
        "partition": partition,
        "service": service,
        "region": arn_region,
        "account": arn_account,
        "resource": resource,
    }


@functools.cache
def _partition_regions() -> dict[str, list[str]]:
    """Each partition's regions from botocore's endpoint data (a runtime dependency)."""
    import botocore.loaders

    data = botocore.loaders.create_loader().load_data("endpoints")
    return {p["partition"]: sorted(p.get("regions", {})) for p in data.get("partitions", [])}


@_pure("aws:index/getRegions:getRegions")
def _regions(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    partition = partition_of(region)
    names = list(_partition_regions().get(partition, [region]))
    for f in args.get("filters") or []:
        if isinstance(f, dict) and f.get("name") == "region-name":
            wanted = set(_strings(f.get("values")))
            names = [n for n in names if n in wanted]
    result = {key: value for key, value in args.items() if value is not None}
    result.update({"id": partition, "names": names})
    return result


_SPN_OWN_SUFFIX = {
    "aws-iso": {"cloudhsm", "config", "logs", "workspaces"},
    "aws-iso-b": {"dms", "logs"},
    "aws-cn": {"codedeploy", "elasticmapreduce", "logs"},
}


@_pure("aws:index/getServicePrincipal:getServicePrincipal")
def _service_principal(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """``<service>.amazonaws.com``, or the partition's DNS suffix for the services the provider lists
    (taken from the AWS CDK's region-info)."""
    service = str(args.get("serviceName") or "")
    region = str(args.get("region") or region)
    partition = partition_of(region)
    suffix = "amazonaws.com"
    if service and service in _SPN_OWN_SUFFIX.get(partition, set()):
        suffix = dns_suffix_of(partition)
    return {
        "id": f"{service}.{region}.{suffix}",
        "name": f"{service}.{suffix}",
        "suffix": suffix,
        "region": region,
        "serviceName": service,
    }


@_pure("aws:iam/getSessionContext:getSessionContext")
def _session_context(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """An ``assumed-role`` STS ARN names its role and session; any other ARN is its own issuer. The
    issuer's unique id is the one thing read from IAM: faked in the ``AROA...`` format."""
    arn = str(args.get("arn") or "")
    match = re.match(r"^arn:([^:]+):sts::(\d{12}):assumed-role/(.+)/([^/]+)$", arn)
    if not match:
        return {"id": arn, "arn": arn, "issuerArn": arn, "issuerId": "", "issuerName": "", "sessionName": ""}
    partition, role_account, role, session = match.groups()
    name = role.rsplit("/", 1)[-1]
    return {
        "id": arn,
        "arn": arn,
        "issuerArn": f"arn:{partition}:iam::{role_account}:role/{role}",
        "issuerId": "AROA" + Entropy(f"role|{role_account}|{role}").chars(_ALNUM_UPPER, 17),
        "issuerName": name,
        "sessionName": session,
    }


# --- faked lookups ------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    token: str
    args: dict[str, Any]
    region: str
    account: str

    def __post_init__(self) -> None:
        self.rand = Entropy(f"{self.token}|{json.dumps(self.args, sort_keys=True, default=str)}")
        self.partition = partition_of(self.region)
        self.suffix = dns_suffix_of(self.partition)

    def arg(self, *names: str) -> Any:
        for name in names:
            value = self.args.get(name)
            if value not in (None, "", []):
                return value
        return None

    def ec2_id(self, prefix: str, salt: str = "") -> str:
        return f"{prefix}-0{self.rand.hex(16, salt or prefix)}"

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool | str = True) -> str:
        owner = account if isinstance(account, str) else (self.account if account else "")
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{owner}:{resource}"

    def filter_value(self, name: str) -> str | None:
        for f in self.args.get("filters") or []:
            if isinstance(f, dict) and f.get("name") == name and _strings(f.get("values")):
                return _strings(f.get("values"))[0]
        return None


Lookup = Callable[[_Ctx], dict[str, Any]]
_FAKED: dict[str, tuple[Lookup, str]] = {}
"""token -> (fake, the result field that identifies what was faked, for the report)."""


def _lookup(token: str, key: str) -> Callable[[Lookup], Lookup]:
    def register(fn: Lookup) -> Lookup:
        _FAKED[token] = (fn, key)
        return fn

    return register


@_lookup("aws:ec2/getAmi:getAmi", "id")
def _ami(c: _Ctx) -> dict[str, Any]:
    ami = c.ec2_id("ami")
    owners = _strings(c.args.get("owners"))
    owner = next((o for o in owners if re.fullmatch(r"\d{12}", o)), None)
    if owner is None:
        owner = c.account if "self" in owners else c.rand.digits(12, "owner")
    # A name filter (``ubuntu/images/*``) gives the shape of the name; the wildcard is filled in.
    pattern = c.filter_value("name")
    name = (
        pattern.replace("*", c.rand.hex(8, "name")) if pattern else f"offline-image-{c.rand.hex(8, 'name')}"
    )
    return {
        "id": ami,
        "imageId": ami,
        "arn": c.arn("ec2", f"image/{ami}", account=False),
        "name": name,
        "description": name,
        "ownerId": owner,
        "imageOwnerAlias": "amazon" if "amazon" in owners else "",
        "imageLocation": f"{'amazon' if 'amazon' in owners else owner}/{name}",
        "architecture": c.filter_value("architecture") or "x86_64",
        "rootDeviceName": "/dev/xvda",
        "rootDeviceType": "ebs",
        "rootSnapshotId": c.ec2_id("snap"),
        "virtualizationType": "hvm",
        "hypervisor": "xen",
        "imageType": "machine",
        "platformDetails": "Linux/UNIX",
        "usageOperation": "RunInstances",
        "enaSupport": True,
        "sriovNetSupport": "simple",
        "state": "available",
        "public": "amazon" in owners,
        "creationDate": "2025-01-01T00:00:00.000Z",
        "productCodes": [],
    }


@_lookup("aws:ec2/getAmiIds:getAmiIds", "ids")
def _ami_ids(c: _Ctx) -> dict[str, Any]:
    return {"id": c.region, "ids": [c.ec2_id("ami", f"ami{i}") for i in range(2)]}


@_lookup("aws:ec2/getVpc:getVpc", "id")
def _vpc(c: _Ctx) -> dict[str, Any]:
    vpc = str(c.arg("id") or c.filter_value("vpc-id") or c.ec2_id("vpc"))
    default = bool(c.args.get("default"))
    cidr = str(
        c.arg("cidrBlock") or c.filter_value("cidr") or ("172.31.0.0/16" if default else "10.0.0.0/16")
    )
    return {
        "id": vpc,
        "arn": c.arn("ec2", f"vpc/{vpc}"),
        "cidrBlock": cidr,
        "default": default,
        "dhcpOptionsId": c.ec2_id("dopt"),
        "mainRouteTableId": c.ec2_id("rtb"),
        "enableDnsSupport": True,
        "enableDnsHostnames": default,
        "instanceTenancy": "default",
        "ownerId": c.account,
        "state": str(c.arg("state") or "available"),
        "ipv6AssociationId": "",
        "ipv6CidrBlock": "",
    }


@_lookup("aws:ec2/getVpcs:getVpcs", "ids")
def _vpcs(c: _Ctx) -> dict[str, Any]:
    return {"id": c.region, "ids": [c.ec2_id("vpc", f"vpc{i}") for i in range(2)]}


@_lookup("aws:ec2/getSubnet:getSubnet", "id")
def _subnet(c: _Ctx) -> dict[str, Any]:
    subnet = str(c.arg("id") or c.filter_value("subnet-id") or c.ec2_id("subnet"))
    az = str(c.arg("availabilityZone") or f"{c.region}a")
    return {
        "id": subnet,
        "arn": c.arn("ec2", f"subnet/{subnet}"),
        "vpcId": str(c.arg("vpcId") or c.filter_value("vpc-id") or c.ec2_id("vpc")),
        "cidrBlock": str(c.arg("cidrBlock") or "10.0.1.0/24"),
        "availabilityZone": az,
        "availabilityZoneId": str(c.arg("availabilityZoneId") or _az_id(c.region, az)),
        "availableIpAddressCount": 251,
        "defaultForAz": bool(c.args.get("defaultForAz")),
        "mapPublicIpOnLaunch": False,
        "assignIpv6AddressOnCreation": False,
        "ownerId": c.account,
        "state": str(c.arg("state") or "available"),
    }


@_lookup("aws:ec2/getSubnets:getSubnets", "ids")
def _subnets(c: _Ctx) -> dict[str, Any]:
    return {"id": c.region, "ids": [c.ec2_id("subnet", f"subnet{i}") for i in range(3)]}


@_lookup("aws:ec2/getSecurityGroup:getSecurityGroup", "id")
def _security_group(c: _Ctx) -> dict[str, Any]:
    sg = str(c.arg("id") or c.filter_value("group-id") or c.ec2_id("sg"))
    name = str(c.arg("name") or c.filter_value("group-name") or "default")
    return {
        "id": sg,
        "arn": c.arn("ec2", f"security-group/{sg}"),
        "name": name,
        "description": "default VPC security group" if name == "default" else name,
        "vpcId": str(c.arg("vpcId") or c.filter_value("vpc-id") or c.ec2_id("vpc")),
    }


@_lookup("aws:ec2/getSecurityGroups:getSecurityGroups", "ids")
def _security_groups(c: _Ctx) -> dict[str, Any]:
    ids = [c.ec2_id("sg", f"sg{i}") for i in range(2)]
    vpc = c.filter_value("vpc-id") or c.ec2_id("vpc")
    return {
        "id": c.region,
        "ids": ids,
        "arns": [c.arn("ec2", f"security-group/{i}") for i in ids],
        "vpcIds": [vpc for _ in ids],
    }


@_lookup("aws:ec2/getRouteTable:getRouteTable", "id")
def _route_table(c: _Ctx) -> dict[str, Any]:
    rtb = str(c.arg("routeTableId") or c.ec2_id("rtb"))
    return {
        "id": rtb,
        "routeTableId": rtb,
        "arn": c.arn("ec2", f"route-table/{rtb}"),
        "vpcId": str(c.arg("vpcId") or c.filter_value("vpc-id") or c.ec2_id("vpc")),
        "ownerId": c.account,
        "routes": [],
        "associations": [],
    }


def _registry_token(c: _Ctx) -> dict[str, Any]:
    registry = str(c.arg("registryId") or c.account)
    password = c.rand.chars(_ALNUM_LOWER + _ALNUM_UPPER, 64, "password")
    return {
        "id": registry if "getCredentials" in c.token else c.region,
        "registryId": registry,
        "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
        "userName": "AWS",
        "password": password,
        "expiresAt": "2030-01-01T12:00:00Z",
        "proxyEndpoint": f"https://{registry}.dkr.ecr.{c.region}.{c.suffix}",
    }


_lookup("aws:ecr/getCredentials:getCredentials", "proxyEndpoint")(_registry_token)
_lookup("aws:ecr/getAuthorizationToken:getAuthorizationToken", "proxyEndpoint")(_registry_token)


@_lookup("aws:ecr/getRepository:getRepository", "repositoryUrl")
def _ecr_repository(c: _Ctx) -> dict[str, Any]:
    name = str(c.arg("name") or "repository")
    registry = str(c.arg("registryId") or c.account)
    return {
        "id": name,
        "name": name,
        "arn": c.arn("ecr", f"repository/{name}", account=registry),
        "registryId": registry,
        "repositoryUrl": f"{registry}.dkr.ecr.{c.region}.{c.suffix}/{name}",
        "imageTagMutability": "MUTABLE",
        "encryptionConfigurations": [{"encryptionType": "AES256", "kmsKey": ""}],
        "imageScanningConfigurations": [{"scanOnPush": False}],
        "mostRecentImageTags": ["latest"],
    }


@_lookup("aws:ecr/getImage:getImage", "imageUri")
def _ecr_image(c: _Ctx) -> dict[str, Any]:
    repository = str(c.arg("repositoryName") or "repository")
    registry = str(c.arg("registryId") or c.account)
    digest = str(c.arg("imageDigest") or "sha256:" + c.rand.hex(64, "digest"))
    tag = str(c.arg("imageTag") or "latest")
    return {
        "id": digest,
        "imageDigest": digest,
        "imageTag": tag,
        "imageTags": [tag],
        "imagePushedAt": 1735689600,
        "imageSizeInBytes": 52428800,
        "imageUri": f"{registry}.dkr.ecr.{c.region}.{c.suffix}/{repository}@{digest}",
        "registryId": registry,
        "repositoryName": repository,
    }


@_lookup("aws:ssm/getParameter:getParameter", "value")
def _ssm_parameter(c: _Ctx) -> dict[str, Any]:
    name = str(c.arg("name") or "parameter")
    value = c.ec2_id("ami") if "ami" in name.lower() else f"offline-{c.rand.hex(12, 'value')}"
    return {
        "id": name,
        "name": name,
        "arn": c.arn("ssm", f"parameter{name}" if name.startswith("/") else f"parameter/{name}"),
        "type": "String",
        "value": value,
        "insecureValue": value,
        "version": 1,
    }


@_lookup("aws:route53/getZone:getZone", "zoneId")
def _zone(c: _Ctx) -> dict[str, Any]:
    zone = str(c.arg("zoneId") or "Z" + c.rand.chars(_ALNUM_UPPER, 13, "zone"))
    name = str(c.arg("name") or "example.internal").rstrip(".")
    servers = [
        f"ns-{int(c.rand.digits(3, f'ns{i}')) % 2048}.awsdns-{i:02d}.{tld}"
        for i, tld in enumerate(("com", "net", "org", "co.uk"))
    ]
    return {
        "id": zone,
        "zoneId": zone,
        "name": name,
        "arn": f"arn:{c.partition}:route53:::hostedzone/{zone}",
        "nameServers": servers,
        "primaryNameServer": servers[0],
        "privateZone": bool(c.args.get("privateZone")),
        "callerReference": c.rand.uuid("caller"),
        "comment": "",
        "resourceRecordSetCount": 2,
    }


@_lookup("aws:acm/getCertificate:getCertificate", "arn")
def _certificate(c: _Ctx) -> dict[str, Any]:
    arn = c.arn("acm", f"certificate/{c.rand.uuid('cert')}")
    return {
        "id": arn,
        "arn": arn,
        "domain": str(c.arg("domain") or "example.internal"),
        "status": "ISSUED",
        "keyTypes": _strings(c.args.get("keyTypes")) or ["RSA_2048"],
        "types": _strings(c.args.get("types")) or ["AMAZON_ISSUED"],
    }


@_lookup("aws:iam/getRole:getRole", "arn")
def _role(c: _Ctx) -> dict[str, Any]:
    name = str(c.arg("name") or "role")
    return {
        "id": name,
        "name": name,
        "arn": c.arn("iam", f"role/{name}", region=False),
        "path": "/",
        "uniqueId": "AROA" + c.rand.chars(_ALNUM_UPPER, 17, "unique"),
        "maxSessionDuration": 3600,
        "createDate": "2025-01-01T00:00:00Z",
        "description": "",
    }


@_lookup("aws:iam/getPolicy:getPolicy", "arn")
def _policy(c: _Ctx) -> dict[str, Any]:
    arn = str(c.arg("arn") or "")
    name = str(c.arg("name") or arn.rsplit("/", 1)[-1] or "policy")
    arn = arn or c.arn("iam", f"policy/{name}", region=False)
    return {
        "id": arn,
        "arn": arn,
        "name": name,
        "path": "/",
        "policyId": "ANPA" + c.rand.chars(_ALNUM_UPPER, 17, "policy"),
        "attachmentCount": 1,
        "description": "",
    }


@_lookup("aws:iam/getUser:getUser", "arn")
def _user(c: _Ctx) -> dict[str, Any]:
    name = str(c.arg("userName") or "user")
    return {
        "id": "AIDA" + c.rand.chars(_ALNUM_UPPER, 17, "user"),
        "userId": "AIDA" + c.rand.chars(_ALNUM_UPPER, 17, "user"),
        "userName": name,
        "arn": c.arn("iam", f"user/{name}", region=False),
        "path": "/",
        "permissionsBoundary": "",
    }


@_lookup("aws:kms/getKey:getKey", "arn")
def _key(c: _Ctx) -> dict[str, Any]:
    given = str(c.arg("keyId") or "")
    match = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", given)
    key = match.group(0) if match else c.rand.uuid("key")
    return {
        "id": key,
        "keyId": key,
        "arn": c.arn("kms", f"key/{key}"),
        "awsAccountId": c.account,
        "keyManager": "AWS" if given.startswith("alias/aws/") else "CUSTOMER",
        "keyState": "Enabled",
        "keyUsage": "ENCRYPT_DECRYPT",
        "keySpec": "SYMMETRIC_DEFAULT",
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "enabled": True,
        "multiRegion": False,
        "origin": "AWS_KMS",
        "creationDate": "2025-01-01T00:00:00Z",
        "description": "",
    }


@_lookup("aws:kms/getAlias:getAlias", "targetKeyArn")
def _alias(c: _Ctx) -> dict[str, Any]:
    name = str(c.arg("name") or "alias/key")
    key = c.rand.uuid("key")
    arn = c.arn("kms", name)
    return {
        "id": arn,
        "name": name,
        "arn": arn,
        "targetKeyId": key,
        "targetKeyArn": c.arn("kms", f"key/{key}"),
    }


@_lookup("aws:s3/getBucket:getBucket", "arn")
def _s3_bucket(c: _Ctx) -> dict[str, Any]:
    bucket = str(c.arg("bucket") or "bucket")
    return {
        "id": bucket,
        "bucket": bucket,
        "arn": f"arn:{c.partition}:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.{c.suffix}",
        "bucketRegionalDomainName": f"{bucket}.s3.{c.region}.{c.suffix}",
        "bucketRegion": c.region,
        "hostedZoneId": "Z" + c.rand.chars(_ALNUM_UPPER, 13, "zone"),
    }


@_lookup("aws:eks/getCluster:getCluster", "endpoint")
def _eks_cluster(c: _Ctx) -> dict[str, Any]:
    name = str(c.arg("name") or "cluster")
    host = c.rand.hex(32, "endpoint").upper()
    fake_pem = base64.b64encode(f"offline certificate authority of {name}".encode()).decode()
    return {
        "id": name,
        "name": name,
        "arn": c.arn("eks", f"cluster/{name}"),
        "clusterId": c.rand.uuid("cluster"),
        "endpoint": f"https://{host}.gr7.{c.region}.eks.{c.suffix}",
        "certificateAuthorities": [{"data": fake_pem}],
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{c.region}.{c.suffix}/id/{host}"}]}],
        "version": "1.33",
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "roleArn": c.arn("iam", f"role/{name}-cluster", region=False),
        "createdAt": "2025-01-01T00:00:00Z",
        "enabledClusterLogTypes": [],
    }


@_lookup("aws:eks/getClusterAuth:getClusterAuth", "name")
def _eks_auth(c: _Ctx) -> dict[str, Any]:
    name = str(c.arg("name") or "cluster")
    return {"id": name, "name": name, "token": "k8s-aws-v1." + c.rand.chars(_ALNUM_LOWER, 64, "token")}


@_lookup("aws:secretsmanager/getSecret:getSecret", "arn")
def _secret(c: _Ctx) -> dict[str, Any]:
    given = str(c.arg("arn") or "")
    name = str(c.arg("name") or given.rsplit(":", 1)[-1] or "secret")
    arn = given or c.arn(
        "secretsmanager", f"secret:{name}-{c.rand.chars(_ALNUM_LOWER + _ALNUM_UPPER, 6, 'sfx')}"
    )
    return {"id": arn, "arn": arn, "name": name, "description": "", "createdDate": "2025-01-01T00:00:00Z"}


@_lookup("aws:secretsmanager/getSecretVersion:getSecretVersion", "arn")
def _secret_version(c: _Ctx) -> dict[str, Any]:
    """The secret's value itself stays unknown: no fake value stands in for a secret."""
    secret = str(c.arg("secretId") or "secret")
    arn = (
        secret
        if secret.startswith("arn:")
        else c.arn("secretsmanager", f"secret:{secret}-{c.rand.chars(_ALNUM_LOWER + _ALNUM_UPPER, 6, 'sfx')}")
    )
    version = str(c.arg("versionId") or c.rand.uuid("version"))
    stage = str(c.arg("versionStage") or "AWSCURRENT")
    return {
        "id": f"{arn}|{version}",
        "arn": arn,
        "secretId": secret,
        "versionId": version,
        "versionStage": stage,
        "versionStages": [stage],
        "createdDate": "2025-01-01T00:00:00Z",
    }


@_lookup("aws:elb/getServiceAccount:getServiceAccount", "arn")
def _elb_service_account(c: _Ctx) -> dict[str, Any]:
    """The real per-region Elastic Load Balancing accounts are public; this one is a named fake."""
    owner = c.rand.digits(12, "elb")
    return {"id": owner, "arn": f"arn:{c.partition}:iam::{owner}:root"}


def _cloudfront_policy(kind: str) -> Lookup:
    def fake(c: _Ctx) -> dict[str, Any]:
        policy = str(c.arg("id") or c.rand.uuid(kind))
        return {
            "id": policy,
            "name": str(c.arg("name") or f"offline-{kind}"),
            "arn": f"arn:{c.partition}:cloudfront::{c.account}:{kind}/{policy}",
            "etag": "E" + c.rand.chars(_ALNUM_UPPER, 13, "etag"),
            "comment": "",
        }

    return fake


_lookup("aws:cloudfront/getCachePolicy:getCachePolicy", "id")(_cloudfront_policy("cache-policy"))
_lookup("aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy", "id")(
    _cloudfront_policy("origin-request-policy")
)
_lookup("aws:cloudfront/getResponseHeadersPolicy:getResponseHeadersPolicy", "id")(
    _cloudfront_policy("response-headers-policy")
)


def _hosted_zone_id(c: _Ctx) -> dict[str, Any]:
    """The real per-region load balancer hosted zones are public; this one is a named fake."""
    return {"id": "Z" + c.rand.chars(_ALNUM_UPPER, 13, "zone")}


_lookup("aws:elb/getHostedZoneId:getHostedZoneId", "id")(_hosted_zone_id)
_lookup("aws:lb/getHostedZoneId:getHostedZoneId", "id")(_hosted_zone_id)


@_lookup("aws:ecs/getCluster:getCluster", "arn")
def _ecs_cluster(c: _Ctx) -> dict[str, Any]:
    name = str(c.arg("clusterName") or "cluster")
    arn = c.arn("ecs", f"cluster/{name}")
    return {
        "id": arn,
        "arn": arn,
        "clusterName": name,
        "status": "ACTIVE",
        "pendingTasksCount": 0,
        "runningTasksCount": 0,
        "registeredContainerInstancesCount": 0,
    }


def _legacy(c: _Ctx) -> dict[str, Any]:
    """The prefix-list fakes of :mod:`.fakes`, in the fields of each function's result type."""
    result = fake_invoke(c.token, c.args, region=c.region, account=c.account) or {}
    if "entries" in result_fields(c.token):
        result["entries"] = [{"cidr": cidr, "description": ""} for cidr in result.get("cidrBlocks", [])]
    if "prefixListId" in result_fields(c.token):
        result["prefixListId"] = result["id"]
    return {key: value for key, value in result.items() if key in result_fields(c.token)}


for _token in _LEGACY_FAKED:
    _FAKED[_token] = (_legacy, "id")


# --- the answer ---------------------------------------------------------------------------------------


def answer_invoke(token: str, args: dict[str, Any], *, region: str, account: str) -> InvokeAnswer:
    """What the offline engine answers to one invoke, and how far the answer can be trusted."""
    call_region = args.get("region") if isinstance(args.get("region"), str) and args.get("region") else region
    call_region = str(call_region)
    if token in _PURE or token in _LEGACY_COMPUTED:
        kind = COMPUTED
    elif token in _FAKED:
        kind = FAKED
    else:
        kind = UNANSWERED
    if kind == UNANSWERED or contains_unknown(args):
        return InvokeAnswer(kind, _unknown_result(token, args, call_region), wholly_unknown=True)
    if token in _PURE:
        return InvokeAnswer(kind, _PURE[token](args, call_region, account))
    if token in _LEGACY_COMPUTED:
        return InvokeAnswer(kind, fake_invoke(token, args, region=region, account=account) or {})
    fake, _ = _FAKED[token]
    result = _unknown_result(token, args, call_region)
    result.update(fake(_Ctx(token, args, call_region, account)))
    return InvokeAnswer(kind, result)


# --- what the report says ----------------------------------------------------------------------------


def _arg_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value):
        return "[" + ", ".join(_arg_text(v) for v in value) + "]"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def describe_call(token: str, args: dict[str, Any], *, limit: int = 160) -> str:
    """``aws:ec2/getAmi:getAmi (owners=[amazon], mostRecent=true)``."""
    shown = ", ".join(f"{k}={_arg_text(v)}" for k, v in args.items() if v is not None)
    if len(shown) > limit:
        shown = shown[: limit - 3] + "..."
    return f"{token} ({shown})" if shown else token


def faked_value(token: str, result: dict[str, Any]) -> str:
    """The value that stands in for the real account's answer (the result's identifying field)."""
    key = _FAKED[token][1] if token in _FAKED else "id"
    value = result.get(key)
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return f"{key}={value}" if key not in ("id", "ids") else str(value)
