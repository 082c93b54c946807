"""An IAM request evaluator: is one request of one principal allowed by the policies that apply to it?

Pure and offline (no AWS call): tests use it to prove that each AWS call a command makes is allowed by the
policies of the role it runs as, in the plan, with resources, conditions, bucket and key policies.

Semantics follow AWS's "Policy evaluation logic" (same-account requests):

* an explicit Deny in any applicable policy (identity, permissions boundary, resource policy) wins;
* otherwise the identity policies must Allow and, when the role has a permissions boundary, the boundary
  must Allow too. A bucket policy's Allow is *not* counted as sufficient on its own (conservative: the
  strongroom roles are always granted in their identity policies);
* KMS: the key policy must Allow. A statement naming the principal itself suffices (the boundary still
  caps it: for a role ARN principal "the implicit deny in the permissions boundary does limit"); a
  statement granting the account (``arn:aws:iam::<acct>:root`` or the bare account id: "enable IAM
  policies") delegates to IAM, so the identity policies and the boundary must Allow as well.

Conditions (IAM User Guide, "IAM JSON policy elements: Condition operators",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
"Important"): "If the key that you specify in a policy condition is not present in the request context, the
values do not match and the condition is false. If the policy condition requires that the key is not
matched, such as StringNotLike or ArnNotLike, and the right key is not present, the condition is true.
This logic applies to all condition operators except ...IfExists and Null check." So an absent key makes a
positive operator fail and a negated one (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``) match;
``...IfExists`` matches when the key is absent. Multiple operators and keys are ANDed, a key's values ORed
(NOR for a negated operator: "Conditions with multiple context keys or values"). ``ForAllValues:`` matches
an absent or empty key; ``ForAnyValue:`` does not. An operator this module does not implement raises
:class:`IamSimError` (never a silent pass).

Every request carries the keys AWS sets for a role unless its context sets them: ``aws:PrincipalArn``
(the role ARN), ``aws:PrincipalAccount``, ``aws:PrincipalIsAWSService`` (false) and, for ``kms:``
actions, ``kms:CallerAccount``. Policy variables (``${aws:username}``, ``${aws:PrincipalTag/team}``,
``${key, 'default'}``) resolve from the context; an unresolved one matches nothing.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

ContextValue = str | list[str] | bool | int
Document = Mapping[str, Any]
ResourceKind = Literal["s3", "kms", "other"]


class IamSimError(ValueError):
    """A policy or request this evaluator cannot judge (an unknown condition operator, a malformed
    statement, an operation it has no mapping for): raised, never treated as allowed."""


@dataclass(frozen=True)
class Request:
    """One authorised request: who, which IAM action, on which resource ARN, with which context keys."""

    principal_arn: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    matched: list[str] = field(default_factory=list)
    """The Sids (or ``policy#index``) of the statements that decided."""


# --- wildcards and variables ---------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _like(value: str, pattern: str, *, ignore_case: bool = False) -> bool:
    return _wildcard(pattern, ignore_case=ignore_case).fullmatch(value) is not None


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_UNRESOLVED = object()


def _substitute(text: str, context: Mapping[str, list[str]]) -> str | None:
    """``text`` with ``${key}`` policy variables replaced from the context; None when one is absent (the
    value then matches nothing). ``${*}``, ``${?}``, ``${$}`` are the literal characters;
    ``${key, 'default'}`` uses the default when the key is absent."""
    missing = False

    def replace(m: re.Match[str]) -> str:
        nonlocal missing
        inner = m.group(1).strip()
        if inner in ("*", "?", "$"):
            return inner
        key, _, default = inner.partition(",")
        values = _lookup(context, key.strip())
        if values:
            return values[0]
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        missing = True
        return ""

    result = _VARIABLE.sub(replace, text)
    return None if missing else result


def _lookup(context: Mapping[str, list[str]], key: str) -> list[str] | None:
    """Context keys are case-insensitive (tag values keep their case)."""
    if key in context:
        return context[key]
    lowered = key.lower()
    for k, v in context.items():
        if k.lower() == lowered:
            return v
    return None


def _normalise(context: Mapping[str, ContextValue]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in context.items():
        if isinstance(value, bool):
            out[key] = ["true" if value else "false"]
        elif isinstance(value, int | str):
            out[key] = [str(value)]
        elif isinstance(value, list):
            out[key] = [("true" if v else "false") if isinstance(v, bool) else str(v) for v in value]
        else:
            raise IamSimError(f"context key {key!r}: value {value!r} is not a str, list of str, bool or int")
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# --- conditions ----------------------------------------------------------------------------------------


def arn_like(value: str, pattern: str) -> bool:
    """Whether ``value`` matches ``pattern`` as ArnLike (and ArnEquals) compare them: the six colon-delimited
    parts each with ``*`` and ``?`` wildcards (IAM User Guide, "Amazon Resource Name (ARN) condition
    operators"); an ARN or a pattern of fewer parts matches nothing, a pattern of ``*`` everything."""
    if pattern == "*":
        return True
    compiled = _arn_pattern(pattern)
    return compiled is not None and compiled.fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _arn_pattern(pattern: str) -> re.Pattern[str] | None:
    """The six parts' wildcards as one expression: in the first five a wildcard stays within its part (no
    colon), in the sixth (the resource, the rest of the ARN after five colons) it may span colons; None
    for a pattern of fewer than six parts."""
    parts = pattern.split(":", 5)
    if len(parts) != 6:
        return None
    within = [
        "".join("[^:]*" if c == "*" else "[^:]" if c == "?" else re.escape(c) for c in p) for p in parts[:5]
    ]
    rest = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in parts[5])
    return re.compile(":".join([*within, rest]), re.DOTALL)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise IamSimError(f"numeric condition: {text!r} is not a number") from None


def _ip_in(value: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


#: positive base operator -> (value, policy value) -> match
_POSITIVE: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda v, p: v == p,
    "StringEqualsIgnoreCase": lambda v, p: v.lower() == p.lower(),
    "StringLike": lambda v, p: _like(v, p),
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
    "Bool": lambda v, p: v.lower() == p.lower(),
    "NumericEquals": lambda v, p: _number(v) == _number(p),
    "NumericLessThan": lambda v, p: _number(v) < _number(p),
    "NumericLessThanEquals": lambda v, p: _number(v) <= _number(p),
    "NumericGreaterThan": lambda v, p: _number(v) > _number(p),
    "NumericGreaterThanEquals": lambda v, p: _number(v) >= _number(p),
    "IpAddress": _ip_in,
}
#: negated operator -> its positive counterpart (matches when the counterpart does not)
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "NotIpAddress": "IpAddress",
}


def _condition_block(conditions: Mapping[str, Any], context: Mapping[str, list[str]]) -> bool:
    """Every operator and every key must match (AND); any of a key's policy values may match (OR)."""
    for operator, keys in conditions.items():
        if not isinstance(keys, Mapping):
            raise IamSimError(f"condition {operator!r}: expected an object of keys, got {keys!r}")
        for key, wanted in keys.items():
            if not _condition(operator, key, _as_list(wanted), context):
                return False
    return True


def _condition(operator: str, key: str, wanted: list[Any], context: Mapping[str, list[str]]) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise IamSimError(f"condition operator {operator!r}: unknown set qualifier {qualifier!r}")
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base[: -len("IfExists")]
    values = _lookup(context, key)
    policy = [str(w).lower() if isinstance(w, bool) else str(w) for w in wanted]

    if base == "Null":
        if qualifier or if_exists:
            raise IamSimError(f"condition operator {operator!r}: Null takes no qualifier")
        absent = not values
        return all((p.lower() == "true") == absent for p in policy)
    if base not in _POSITIVE and base not in _NEGATED:
        raise IamSimError(
            f"condition operator {operator!r} is not implemented by policies.iamsim; implemented: "
            f"{', '.join(sorted([*_POSITIVE, *_NEGATED, 'Null']))} "
            "(with IfExists, ForAnyValue:, ForAllValues:)"
        )
    negated = base in _NEGATED
    test = _POSITIVE[_NEGATED[base]] if negated else _POSITIVE[base]
    resolved = [r for r in (_substitute(p, context) for p in policy) if r is not None]

    def one(value: str) -> bool:
        hit = any(test(value, p) for p in resolved)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in values or [])  # absent or empty: true
    if qualifier == "ForAnyValue":
        return any(one(v) for v in values or [])  # absent or empty: false
    if values is None:
        # absent key: IfExists matches; a negated operator matches; a positive one does not (AWS, "Condition
        # operators", Important: "...the condition is false. If the policy condition requires that the key is
        # not matched, such as StringNotLike or ArnNotLike, and the right key is not present, ... true")
        return if_exists or negated
    if negated:
        return all(one(v) for v in values)
    return any(one(v) for v in values)


# --- statements ----------------------------------------------------------------------------------------


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _principal_names(principal: Any) -> tuple[list[str], bool]:
    """(the AWS principal ARNs/account ids, whether ``*`` is among them)."""
    if principal == "*":
        return [], True
    if not isinstance(principal, Mapping):
        raise IamSimError(f"Principal {principal!r}: expected '*' or an object like {{'AWS': [...]}}")
    names = [str(p) for p in _as_list(principal.get("AWS"))]
    return names, "*" in names


def _names_principal(name: str, principal_arn: str) -> Literal["self", "account", ""]:
    account = _account_of(principal_arn)
    if name in (account, f"arn:aws:iam::{account}:root"):
        return "account"
    if name == principal_arn:
        return "self"
    return ""


def _principal_match(statement: Mapping[str, Any], principal_arn: str) -> Literal["self", "account", ""]:
    """How a resource policy statement's Principal/NotPrincipal covers the principal: by naming it (or
    ``*``), by naming its account, or not at all."""
    if "Principal" in statement:
        names, star = _principal_names(statement["Principal"])
        if star:
            return "self"
        kinds = {_names_principal(n, principal_arn) for n in names} - {""}
        return "self" if "self" in kinds else "account" if kinds else ""
    if "NotPrincipal" in statement:
        names, star = _principal_names(statement["NotPrincipal"])
        if star or any(_names_principal(n, principal_arn) for n in names):
            return ""
        return "self"
    raise IamSimError(f"resource policy statement {_sid(statement, 0)!r} has no Principal or NotPrincipal")


def _sid(statement: Mapping[str, Any], index: int) -> str:
    return str(statement.get("Sid") or f"#{index}")


def _action_match(patterns: Any, action: str) -> bool:
    return any(_like(action, str(p), ignore_case=True) for p in _as_list(patterns))


def _resource_match(patterns: Any, resource: str, context: Mapping[str, list[str]]) -> bool:
    for pattern in _as_list(patterns):
        resolved = _substitute(str(pattern), context)
        if resolved is not None and (resolved == "*" or _like(resource, resolved)):
            return True
    return False


def _statement_applies(
    statement: Mapping[str, Any], request: Request, context: Mapping[str, list[str]]
) -> bool:
    if "Action" in statement:
        if not _action_match(statement["Action"], request.action):
            return False
    elif "NotAction" in statement:
        if _action_match(statement["NotAction"], request.action):
            return False
    else:
        raise IamSimError(f"statement {_sid(statement, 0)!r} has no Action or NotAction")
    if "Resource" in statement:
        if not _resource_match(statement["Resource"], request.resource, context):
            return False
    elif "NotResource" in statement:
        if _resource_match(statement["NotResource"], request.resource, context):
            return False
    else:
        raise IamSimError(f"statement {_sid(statement, 0)!r} has no Resource or NotResource")
    return _condition_block(statement.get("Condition") or {}, context)


def _statements(document: Document | str) -> list[Mapping[str, Any]]:
    doc = json.loads(document) if isinstance(document, str) else document
    return [s for s in _as_list(doc.get("Statement")) if isinstance(s, Mapping)]


@dataclass
class _Matches:
    allows: list[str] = field(default_factory=list)
    denies: list[str] = field(default_factory=list)
    self_allows: list[str] = field(default_factory=list)
    account_allows: list[str] = field(default_factory=list)


def _match(
    documents: Sequence[Document | str],
    request: Request,
    context: Mapping[str, list[str]],
    *,
    label: str,
    resource_policy: bool = False,
) -> _Matches:
    out = _Matches()
    for document in documents:
        for index, statement in enumerate(_statements(document)):
            by = _principal_match(statement, request.principal_arn) if resource_policy else "self"
            if not by or not _statement_applies(statement, request, context):
                continue
            name = f"{label}:{_sid(statement, index)}"
            effect = statement.get("Effect")
            if effect == "Deny":
                out.denies.append(name)
            elif effect == "Allow":
                out.allows.append(name)
                (out.self_allows if by == "self" else out.account_allows).append(name)
            else:
                raise IamSimError(f"statement {name}: Effect {effect!r} is not Allow or Deny")
    return out


def _defaults(request: Request) -> dict[str, list[str]]:
    """The keys AWS puts in every request of an IAM role, unless the request sets them."""
    context = _normalise(request.context)
    account = _account_of(request.principal_arn)
    defaults = {
        "aws:PrincipalArn": [request.principal_arn],
        "aws:PrincipalAccount": [account],
        "aws:PrincipalIsAWSService": ["false"],
    }
    if request.action.lower().startswith("kms:"):
        defaults["kms:CallerAccount"] = [account]
    for key, value in defaults.items():
        if _lookup(context, key) is None:
            context[key] = value
    return context


def decide(
    request: Request,
    *,
    identity: Sequence[Document | str],
    boundary: Document | str | None,
    resource_policy: Document | str | None,
    resource_kind: ResourceKind,
) -> Decision:
    """Whether ``request`` is allowed, why, and the statements that decided (see the module docstring)."""
    if request.action.lower() == "sts:getcalleridentity":
        return Decision(True, "sts:GetCallerIdentity is always allowed", [])
    context = _defaults(request)
    ident = _match(identity, request, context, label="identity")
    bound = _match([boundary], request, context, label="boundary") if boundary is not None else None
    res = (
        _match([resource_policy], request, context, label="resource", resource_policy=True)
        if resource_policy is not None
        else _Matches()
    )
    denies = ident.denies + (bound.denies if bound else []) + res.denies
    what = f"{request.principal_arn} {request.action} on {request.resource}"
    if denies:
        return Decision(False, f"explicit deny of {what} by {', '.join(denies)}", denies)
    if bound is not None and not bound.allows:
        return Decision(False, f"the permissions boundary does not allow {what}", [])
    capped = bound.allows if bound else []
    if resource_kind == "kms":
        if resource_policy is None:
            return Decision(False, f"no key policy given for {what}: a KMS key always has one", [])
        if res.self_allows:
            return Decision(True, f"the key policy allows {what}", res.self_allows + capped)
        if not res.account_allows:
            return Decision(False, f"the key policy does not allow {what}", [])
        if not ident.allows:
            return Decision(
                False, f"the key policy delegates {what} to IAM, but no identity policy allows it", []
            )
        return Decision(
            True,
            f"the key policy delegates to IAM, which allows {what}",
            [*res.account_allows, *ident.allows, *capped],
        )
    if not ident.allows:
        return Decision(False, f"no identity policy allows {what} (implicit deny)", [])
    return Decision(True, f"identity policies allow {what}", ident.allows + capped)


# --- the requests of a boto3 call ----------------------------------------------------------------------


def s3_resource(bucket: str, key: str | None = None) -> str:
    """The ARN of a bucket, or of an object in it."""
    return f"arn:aws:s3:::{bucket}" if key is None else f"arn:aws:s3:::{bucket}/{key}"


def _pascal(operation: str) -> str:
    if "_" in operation or operation.islower():
        return "".join(part[:1].upper() + part[1:] for part in operation.split("_"))
    return operation


#: object operations whose action names the version when VersionId is given
_VERSIONED = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
}
#: operations that write an object (KMS GenerateDataKey when the object is SSE-KMS)
_WRITES = {"PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy"}
#: operations that read an object's data (KMS Decrypt when the object is SSE-KMS)
_READS = {"GetObject", "HeadObject"}
#: context keys of the caller that also hold for the KMS request S3 makes on its behalf
_PRINCIPAL_KEY = re.compile(r"^aws:(Principal|username|userid)", re.IGNORECASE)


def _region_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def implied(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    *,
    principal_arn: str,
    context: Mapping[str, ContextValue],
    key_arn_of_bucket: Mapping[str, str],
    key_arns: Mapping[str, str] | None = None,
) -> list[Request]:
    """The requests a boto3 call (``service``, ``operation`` as the client method or botocore name,
    ``params`` as passed to boto3) makes AWS authorise: its own action on its resource with ``context``,
    plus the KMS requests S3 makes on the caller's behalf for an SSE-KMS bucket (``key_arn_of_bucket``:
    bucket name -> the ARN of its default KMS key; buckets absent are taken as not SSE-KMS).
    A KMS call on one key (Sign, Verify, GetPublicKey, DescribeKey, ...) is ``kms:<Operation>`` on the key:
    its ``KeyId`` must be a key ARN or a name in ``key_arns`` (alias or key id -> key ARN)."""
    from strongroom.live.aws import iam_action

    op = _pascal(operation)
    if service == "sts":
        if op != "GetCallerIdentity":
            raise IamSimError(f"sts {op}: policies.iamsim knows only GetCallerIdentity")
        return [Request(principal_arn, "sts:GetCallerIdentity", "*", dict(context))]
    if service == "kms":
        if "KeyId" not in params:
            raise IamSimError(f"kms {op}: no KeyId param; policies.iamsim.implied maps calls on one key")
        key_id = str(params.get("KeyId", ""))
        arn = key_id if key_id.startswith("arn:") and ":key/" in key_id else (key_arns or {}).get(key_id)
        if arn is None:
            raise IamSimError(f"kms {op}: KeyId {key_id!r} is not a key ARN and not in key_arns")
        return [Request(principal_arn, f"kms:{op}", arn, dict(context))]
    if service != "s3":
        raise IamSimError(f"{service} {op}: policies.iamsim.implied maps only s3, kms and sts calls")

    bucket = str(params.get("Bucket", ""))
    if op == "ListBuckets":
        return [Request(principal_arn, iam_action("s3", op), "*", dict(context))]
    if not bucket:
        raise IamSimError(f"s3 {op}: no Bucket param")
    if op == "DeleteObjects":  # authorised per object: s3:DeleteObject, or s3:DeleteObjectVersion
        objects = (params.get("Delete") or {}).get("Objects") or []
        return [
            Request(
                principal_arn,
                "s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject",
                s3_resource(bucket, str(o["Key"])),
                dict(context),
            )
            for o in objects
        ]
    key = params.get("Key")
    action = iam_action("s3", op)
    if params.get("VersionId") and action in _VERSIONED:
        action = _VERSIONED[action]
    ctx: dict[str, ContextValue] = dict(context)
    if op in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
        for param, ckey in (
            ("Prefix", "s3:prefix"),
            ("Delimiter", "s3:delimiter"),
            ("MaxKeys", "s3:max-keys"),
        ):
            if param in params:
                ctx[ckey] = params[param] if param != "MaxKeys" else int(params[param])
    if op in _WRITES - {"UploadPart", "UploadPartCopy"}:
        if "ServerSideEncryption" in params:
            ctx["s3:x-amz-server-side-encryption"] = str(params["ServerSideEncryption"])
        if "SSEKMSKeyId" in params:
            ctx["s3:x-amz-server-side-encryption-aws-kms-key-id"] = str(params["SSEKMSKeyId"])
    resource = s3_resource(bucket, None if key is None else str(key))
    requests = [Request(principal_arn, action, resource, ctx)]
    if params.get("BypassGovernanceRetention"):  # deleting or shortening a GOVERNANCE-locked version
        requests.append(Request(principal_arn, "s3:BypassGovernanceRetention", resource, ctx))

    kms_context: dict[str, ContextValue] = {k: v for k, v in context.items() if _PRINCIPAL_KEY.match(k)}

    def kms(action_: str, bucket_: str, explicit: str | None = None) -> None:
        arn = explicit or key_arn_of_bucket.get(bucket_)
        if arn:
            via = {"kms:ViaService": f"s3.{_region_of(arn)}.amazonaws.com"}
            requests.append(Request(principal_arn, action_, arn, {**kms_context, **via}))

    if op in ("CopyObject", "UploadPartCopy"):
        source = params.get("CopySource")
        if isinstance(source, str):
            path, _, query = source.lstrip("/").partition("?versionId=")
            src_bucket, _, src_key = path.partition("/")
            src_version = query or None
        elif isinstance(source, Mapping):
            src_bucket, src_key = str(source["Bucket"]), str(source["Key"])
            src_version = source.get("VersionId")
        else:
            raise IamSimError(f"s3 {op}: CopySource {source!r} is not a string or a mapping")
        read = "s3:GetObjectVersion" if src_version else "s3:GetObject"
        requests.append(Request(principal_arn, read, s3_resource(src_bucket, src_key), dict(context)))
        kms("kms:Decrypt", src_bucket)
    if op in _READS:
        kms("kms:Decrypt", bucket)
    elif op in _WRITES:
        kms("kms:GenerateDataKey", bucket, str(params["SSEKMSKeyId"]) if "SSEKMSKeyId" in params else None)
    if op == "CompleteMultipartUpload":
        # S3 decrypts the parts' data keys to assemble the object (AWS: multipart upload with SSE-KMS
        # needs kms:Decrypt and kms:GenerateDataKey)
        kms("kms:Decrypt", bucket)
    return requests
