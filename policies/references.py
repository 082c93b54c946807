"""Which KMS key or S3 bucket a property names, and whether it is one of the plan's. Pure.

One rule for every control: a KNOWN value is judged by its value (a key's ARN, ID or the name or ARN of
an alias of one of the plan's keys; a bucket's name, ARN or an `s3://` URI in it). A property dependency
on a key or bucket of the plan counts only while the value is unknown, so a value computed from a plan
resource but naming another (`key.arn.apply(lambda _: "arn:aws:kms:...:key/other")`) gets no pass. An
unknown value that depends on no such resource raises `UnknownValue`: it can't be judged, never a pass.
Accounts are judged with `policies.perimeter`; resource policies with `policies.perimeter.exposure`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from strongroom.policies.perimeter import account_of, exposure, inside, plan_network
from strongroom.policies.props import (
    UNKNOWN,
    Index,
    PolicyDocumentError,
    Resource,
    UnknownValue,
    policy_document,
    statements,
)

KEY = "aws:kms/key:Key"
REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
ALIAS = "aws:kms/alias:Alias"
BUCKET = "aws:s3/bucket:Bucket"

PLAN_KEYS = (KEY, REPLICA_KEY)
"""Keys whose material AWS KMS generates in the stack: the keys a property may name."""

_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)(/.*)?$")
_S3_ARN = re.compile(r"^arn:[^:]+:s3:::(?P<bucket>[^/]+)(/.*)?$")


# -- property dependencies ---------------------------------------------------------------------------------


def dependencies(owner: Resource, path: str) -> set[str]:
    """URNs the engine recorded for the top-level property of `path` (nested values share it)."""
    return set(owner.property_dependencies.get(path.split(".")[0], ()))


def depends_on(owner: Resource, index: Index, path: str, types: Sequence[str]) -> list[Resource]:
    """The resources of `types` in the plan that the property at `path` of `owner` was computed from."""
    urns = dependencies(owner, path)
    return [r for r in index.of_type(*types) if r.urn in urns]


# -- KMS keys ----------------------------------------------------------------------------------------------


def aws_managed_key(value: Any) -> bool:
    """True for an AWS managed key named by alias: `alias/aws/s3`, `aws/s3` or an alias ARN of one."""
    return isinstance(value, str) and ("alias/aws/" in value or value.startswith("aws/"))


def _strings(*values: Any) -> set[str]:
    return {v for v in values if isinstance(v, str) and v is not UNKNOWN and v}


def _plan_key_references(index: Index) -> tuple[frozenset[str], frozenset[str]]:
    """(identifiers, URNs): every known ARN, ID and alias name/ARN of the plan's keys, and the URNs of
    those keys and of the aliases that point at them."""
    keys = list(index.of_type(*PLAN_KEYS))
    names: set[str] = set()
    for key in keys:
        names |= _strings(key.get("arn"), key.get("id"), key.get("keyId"))
    urns = {k.urn for k in keys}
    key_urns = set(urns)
    for alias in index.of_type(ALIAS):
        target = alias.get("targetKeyId")
        if dependencies(alias, "targetKeyId") & key_urns or (isinstance(target, str) and target in names):
            names |= _strings(alias.get("name"), alias.get("arn"))
            urns.add(alias.urn)
    return frozenset(names), frozenset(urns)


def key_of_plan(owner: Resource, path: str, value: Any, index: Index) -> bool:
    """True when `value` (at `path` of `owner`) names a KMS key of the plan: by value (the key's ARN or ID,
    or the name or ARN of an alias of it); while the value is unknown, by a property dependency on such a
    key or alias. Raises `UnknownValue` for an unknown value that depends on none."""
    names, urns = index.memo("references.plan_keys", lambda: _plan_key_references(index))
    if value is UNKNOWN:
        if dependencies(owner, path) & urns:
            return True
        raise UnknownValue(owner.label, path)
    return isinstance(value, str) and value in names


def foreign_account(index: Index, value: Any) -> str | None:
    """The account a key ARN names when it is outside the perimeter (`*` for a wildcard), else None.
    None as well when no perimeter is configured: callers judge such keys by other means."""
    account = account_of(value)
    if account is None or not index.context.perimeter_configured:
        return None
    if account == "*" or not inside(index.context, account):
        return account
    return None


def key_problem(
    owner: Resource, path: str, value: Any, index: Index, *, stack_only: bool = True, shown: str = ""
) -> str | None:
    """Why the key `value` (at `path` of `owner`) is not a customer managed key the bank controls, or None.

    `stack_only`: the key must be one of the plan; otherwise a key ARN (`arn:aws:kms:...:key/...`) of an
    account inside the perimeter is accepted too (a central key of the bank). `shown`: how the message
    names the property (default `path`)."""
    shown = shown or path
    if aws_managed_key(value):
        return f"uses the AWS managed key {value} in {shown}, not a customer managed key"
    outside = foreign_account(index, value)
    if outside is not None:
        return f"uses the KMS key {value} in {shown}, of account {outside} outside the perimeter"
    if key_of_plan(owner, path, value, index):
        return None
    account = account_of(value)
    if not stack_only and account is not None and ":key/" in str(value) and inside(index.context, account):
        return None
    where = "no KMS key of this stack" if stack_only else "no KMS key of this stack nor a key ARN"
    return f"names {value} in {shown}, which is {where} (a customer managed key is required)"


def key_findings(
    subject: Resource, index: Index, path: str, what: str, *, stack_only: bool = True, required: bool = True
) -> Iterator[str]:
    """`key_problem` for the key at `path` of `subject`, as a message naming it `what`; when no key is
    set (None or ""), a message if `required`."""
    value = subject.get(path)
    if value is None or value == "":
        if required:
            yield f"{what} {subject.label} does not set {path}"
        return
    problem = key_problem(subject, path, value, index, stack_only=stack_only)
    if problem:
        yield f"{what} {subject.label} {problem}"


# -- S3 buckets --------------------------------------------------------------------------------------------


def bucket_name(value: Any) -> str | None:
    """The bucket an `s3://bucket/prefix` URI or an `arn:aws:s3:::bucket/key` ARN names, else None."""
    if not isinstance(value, str):
        return None
    match = _S3_URI.match(value) or _S3_ARN.match(value)
    return match.group("bucket") if match else None


def bucket_names(bucket: Resource) -> set[str]:
    """The known names a bucket of the plan answers to: its name, its ID and the name in its ARN."""
    found = {bucket.get("bucket"), bucket.get("id"), bucket_name(bucket.get("arn"))}
    return {n for n in found if isinstance(n, str) and n and n is not UNKNOWN}


def buckets_named(index: Index, name: str) -> list[Resource]:
    """The plan's buckets that answer to `name` (:func:`bucket_names`), in the plan's order: from a map
    built once per index, not a pass over every bucket for each trail or replication rule that names one.
    A new list each call."""

    def build() -> dict[str, tuple[Resource, ...]]:
        found: dict[str, list[Resource]] = {}
        for bucket in index.of_type(BUCKET):
            for known in bucket_names(bucket):
                found.setdefault(known, []).append(bucket)
        return {known: tuple(buckets) for known, buckets in found.items()}

    by_name: dict[str, tuple[Resource, ...]] = index.memo("references:buckets-by-name", build)
    return list(by_name.get(name, ()))


def _plan_bucket_names(index: Index) -> frozenset[str]:
    names: set[str] = set()
    for bucket in index.of_type(BUCKET):
        names |= _strings(bucket.get("bucket"), bucket.get("id"))
        names |= {n for n in (bucket_name(bucket.get("arn")),) if n}
    return frozenset(names)


def bucket_of_plan(owner: Resource, path: str, value: Any, index: Index) -> bool:
    """True when `value` (at `path` of `owner`: a bucket name, an S3 ARN or an `s3://` URI) names a bucket
    of the plan; while the value is unknown, when `path` depends on a bucket of the plan. Raises
    `UnknownValue` for an unknown value that depends on none."""
    if value is UNKNOWN:
        if depends_on(owner, index, path, (BUCKET,)):
            return True
        raise UnknownValue(owner.label, path)
    if not isinstance(value, str):
        return False
    names = index.memo("references.plan_buckets", lambda: _plan_bucket_names(index))
    return (bucket_name(value) or value) in names


def location_findings(subject: Resource, index: Index, path: str, what: str) -> Iterator[str]:
    """Why the S3 location at `path` (`s3://bucket/...`) is not in a bucket of the plan; nothing when it
    is, or when `path` is not set."""
    value = subject.get(path)
    if value is not UNKNOWN and not value:
        return
    if value is not UNKNOWN and not _S3_URI.match(str(value)):
        yield f"{what} {subject.label} {path} '{value}' is not an s3:// location"
        return
    if not bucket_of_plan(subject, path, value, index):
        yield (
            f"{what} {subject.label} writes to s3://{bucket_name(value)} ({path}), which is no bucket of "
            "this stack"
        )


# -- resource policies -------------------------------------------------------------------------------------


def policy_exposure(subject: Resource, index: Index, path: str, what: str) -> Iterator[str]:
    """One message per Allow statement of the resource policy at `path` of `subject` that reaches outside
    the perimeter (`policies.perimeter.exposure`), and one for a document that is not a policy."""
    raw = subject.known(path)
    if raw is None:
        return
    try:
        document = policy_document(raw)
    except PolicyDocumentError as exc:
        yield f"{what} {subject.label} {path} {exc}"
        return
    network = plan_network(index)
    for i, statement in enumerate(statements(document)):
        sid = statement.get("Sid")
        named = f" ({sid})" if sid else ""
        for reason in exposure(index.context, statement, network):
            yield f"{what} {subject.label} statement {i}{named} {reason}"
