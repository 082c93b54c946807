"""Where the pack learns its perimeter: the policy config, else the stack config. No pulumi imports.

The Pulumi CLI hands a policy pack two things (see strongroom/check.py): the policy config of each policy
(`--policy-pack-config FILE`, validated by the CLI against the schema below) and the stack config (in the
`PULUMI_CONFIG` environment variable, JSON, structured values JSON-encoded). `strongroom policy-config`
writes the policy config from a stack's config; without one, the pack reads the same keys from the stack
config directly, so `pulumi preview --policy-pack policies` judges the perimeter the stack declares.

Keys (policy config, per policy) and their stack-config source:
- `trustedAccounts`: `strongroom:perimeter.trustedAccounts` plus `aws:allowedAccountIds`;
- `organizationId`: `strongroom:perimeter.organizationId`;
- `regions`: `aws:region`, `strongroom:backup.replicaRegion` and us-east-1 (global service events);
- `allowedTypes` (sr-gov-001 only): resource type -> justification, reviewed by the team that sets it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from strongroom.policies.model import Control
from strongroom.policies.props import Context

GLOBAL_EVENTS_REGION = "us-east-1"
"""IAM, STS sign-in and other global services emit their CloudTrail events in us-east-1 only, so the
alerts forward from there: a provider there is expected."""

_ACCOUNT_LIST = {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{12}$"}}
PERIMETER_SCHEMA: dict[str, Any] = {
    "trustedAccounts": _ACCOUNT_LIST,
    "organizationId": {"type": "string", "pattern": "^o-[a-z0-9]{10,32}$"},
    "regions": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9]$"}},
}
ALLOWED_TYPES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "string", "minLength": 10},
}
ALLOWED_TYPES_POLICY = "sr-gov-001"


def config_schema(control: Control) -> Any:
    """The pulumi_policy config schema of a control's policy (imported lazily: this module stays pure)."""
    from pulumi_policy import PolicyConfigSchema

    properties = dict(PERIMETER_SCHEMA)
    if control.policy_name == ALLOWED_TYPES_POLICY:
        properties["allowedTypes"] = ALLOWED_TYPES_SCHEMA
    return PolicyConfigSchema(properties=properties)


def _structured(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def from_stack_config(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """The policy-config keys derived from a stack's config (`ns:key` -> value, structured values as
    JSON strings or objects)."""
    perimeter = _structured(stack_config.get("strongroom:perimeter")) or {}
    perimeter = perimeter if isinstance(perimeter, Mapping) else {}
    accounts = [str(a) for a in _structured(stack_config.get("aws:allowedAccountIds")) or []]
    accounts += [str(a) for a in perimeter.get("trustedAccounts") or []]
    backup = _structured(stack_config.get("strongroom:backup")) or {}
    regions = [
        stack_config.get("aws:region"),
        backup.get("replicaRegion") if isinstance(backup, Mapping) else None,
    ]
    derived: dict[str, Any] = {}
    if accounts:
        derived["trustedAccounts"] = sorted(set(accounts))
    if perimeter.get("organizationId"):
        derived["organizationId"] = str(perimeter["organizationId"])
    known_regions = sorted({r for r in regions if isinstance(r, str) and r})
    if known_regions:
        derived["regions"] = sorted({*known_regions, GLOBAL_EVENTS_REGION})
    return derived


@cache
def _derived_from(raw: str) -> Mapping[str, Any]:
    try:
        parsed = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        parsed = {}
    return from_stack_config(parsed if isinstance(parsed, dict) else {})


def context(
    policy_config: Mapping[str, Any] | None = None,
    stack: str | None = None,
    *,
    stack_config: Mapping[str, Any] | None = None,
) -> Context:
    """The Context of a policy evaluation: each key from the policy config when it is there, else from the
    stack config: `stack_config` when given (in-process evaluation), else the one the CLI passed in
    `PULUMI_CONFIG`."""
    if stack_config is not None:
        merged = from_stack_config(stack_config)
    else:
        merged = dict(_derived_from(os.environ.get("PULUMI_CONFIG", "")))
    merged.update({k: v for k, v in (policy_config or {}).items() if v not in (None, [], {})})
    allowed = merged.get("allowedTypes") or {}
    return Context(
        stack=stack if stack is not None else (os.environ.get("PULUMI_STACK") or None),
        trusted_accounts=frozenset(str(a) for a in merged.get("trustedAccounts") or ()),
        organization_id=merged.get("organizationId") or None,
        allowed_types={str(k): str(v) for k, v in allowed.items()} if isinstance(allowed, Mapping) else {},
        regions=frozenset(str(r) for r in merged.get("regions") or ()),
    )
