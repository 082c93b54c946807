"""The bank's perimeter: which accounts a principal, grantee or destination may belong to. Pure.

The perimeter is `Context.trusted_accounts` (12-digit account IDs) and `Context.organization_id` (an AWS
Organization, `o-...`), from `strongroom:perimeter` in the stack config or the pack's policy config. An
account is inside when it is listed; membership of the organization is only recognised through a
condition (`aws:PrincipalOrgID`, `aws:SourceOrgID`, `aws:ResourceOrgID`), because which accounts belong
to an organization cannot be known from a plan.

Resource policies are judged by meaning, not text: `Principal "*"` is public unless a condition that
cannot be bypassed limits the caller to the perimeter; `arn:aws:iam::*:root`, `NotPrincipal`, canonical
users and principals of unlisted accounts reach outside. A condition counts only with an exact operator
(`StringEquals`, `ArnEquals`, ... never `...IfExists`, never `ForAllValues:`, which an absent key
satisfies) on a key that names the caller's account, organization, ARN, VPC or VPC endpoint, with every
value inside the perimeter. A VPC or VPC endpoint is inside only when it is one of the plan's
(`PlanNetwork`, from `plan_network(index)`): a well-formed `vpce-...` ID says nothing about its owner.

A service principal (`cloudtrail.amazonaws.com`, `events.amazonaws.com`, ...) acts for whichever account's
resource asks it to: an Allow to one is confined only by a condition on the calling resource
(`aws:SourceAccount`, `aws:SourceOrgID`, `aws:SourceArn`) or, in key policies, on the encryption context
the service sets (`kms:EncryptionContext:aws:logs:arn`, `...:aws:cloudtrail:arn`) or `kms:CallerAccount`,
as AWS documents against the confused deputy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from strongroom.policies.props import UNKNOWN, Context, Index, as_list

ACCOUNT_ID = re.compile(r"^\d{12}$")
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_ARN = re.compile(r"^arn:(?P<partition>[^:]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):")
_WILD = re.compile(r"[*?]")


class CannotJudge(Exception):
    """Raised by a predicate that meets something it cannot judge (a perimeter that is not configured,
    a principal of unknown form). The finding names what is missing; it is never a pass."""


def account_of(value: Any) -> str | None:
    """The account a principal, ARN or bare ID names: 12 digits, `*` when the account part is a
    wildcard, None when the value names no account (service principals, `arn:aws:s3:::bucket`)."""
    if not isinstance(value, str):
        return None
    if ACCOUNT_ID.match(value):
        return value
    match = _ARN.match(value)
    if match is None:
        return "*" if value == "*" else None
    account = match.group("account")
    if not account:
        return None
    return "*" if _WILD.search(account) or not ACCOUNT_ID.match(account) else account


def inside(context: Context, account: str) -> bool:
    """True when `account` (12 digits) is one of the perimeter's accounts. Raises `CannotJudge` when no
    perimeter is configured."""
    if not context.perimeter_configured:
        raise CannotJudge(
            f"account {account} can't be judged: no perimeter is configured "
            "(strongroom:perimeter.trustedAccounts / organizationId, or the pack's policy config)"
        )
    return account in context.trusted_accounts


def outside_accounts(context: Context, values: Any) -> list[str]:
    """The accounts named by `values` (ARNs or IDs) that are outside the perimeter, `*` included."""
    found: list[str] = []
    for value in as_list(values):
        account = account_of(value)
        if account is None:
            continue
        if account == "*" or not inside(context, account):
            found.append(account)
    return found


# -- the plan's network -----------------------------------------------------------------------------------

VPC = "aws:ec2/vpc:Vpc"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


@dataclass(frozen=True)
class PlanNetwork:
    """The known IDs of the plan's VPCs and VPC endpoints: the only values of `aws:SourceVpc` and
    `aws:SourceVpce` that confine callers to the perimeter."""

    vpcs: frozenset[str] = frozenset()
    endpoints: frozenset[str] = frozenset()


def _ids(index: Index, type_: str) -> frozenset[str]:
    found = (r.get("id") for r in index.of_type(type_))
    return frozenset(v for v in found if isinstance(v, str) and v is not UNKNOWN and v)


def plan_network(index: Index) -> PlanNetwork:
    """The plan's VPC and VPC endpoint IDs (computed once per index). A resource-scope control sees only
    its subject, so for it no VPC or endpoint confines anything: stack-scope controls see the plan."""
    return index.memo(  # type: ignore[no-any-return]
        "perimeter.plan_network", lambda: PlanNetwork(_ids(index, VPC), _ids(index, VPC_ENDPOINT))
    )


# -- conditions ------------------------------------------------------------------------------------------

_ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "kms:calleraccount"})
_ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid"})
_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
_NETWORK_KEYS = frozenset({"aws:sourcevpce", "aws:sourcevpc"})
_CALLER_KEYS = _ACCOUNT_KEYS | _ORG_KEYS | _ARN_KEYS | _NETWORK_KEYS
"""Keys that confine the principal making the call (for `Principal "*"` and IAM principals)."""
_CONTEXT_ARN_KEYS = frozenset(
    {"kms:encryptioncontext:aws:logs:arn", "kms:encryptioncontext:aws:cloudtrail:arn"}
)
"""Encryption context keys that CloudWatch Logs and CloudTrail set to the ARN of the resource they act
for. A caller of KMS may pass any context, so they confine a service principal only."""
_SERVICE_KEYS = frozenset(
    {"aws:sourceaccount", "aws:sourceorgid", "aws:sourcearn", "kms:calleraccount", *_CONTEXT_ARN_KEYS}
)
"""Keys that confine the resource a service principal acts for (the confused deputy keys)."""
_EXACT_OPERATORS = frozenset(
    {
        "stringequals",
        "stringequalsignorecase",
        "arnequals",
        "stringlike",
        "arnlike",
        "foranyvalue:stringequals",
    }
)


def _value_inside(context: Context, network: PlanNetwork, key: str, value: Any, operator: str) -> bool:
    if not isinstance(value, str) or value is UNKNOWN:
        return False
    wildcard_allowed = operator in ("stringlike", "arnlike")
    if key in _ACCOUNT_KEYS:
        return bool(ACCOUNT_ID.match(value)) and value in context.trusted_accounts
    if key in _ORG_KEYS:
        return context.organization_id is not None and value == context.organization_id
    if key in _ARN_KEYS or key in _CONTEXT_ARN_KEYS:
        account = account_of(value)
        if account is None or account == "*" or account not in context.trusted_accounts:
            return False
        return wildcard_allowed or not _WILD.search(value)
    if key == "aws:sourcevpce":
        return value in network.endpoints
    if key == "aws:sourcevpc":
        return value in network.vpcs
    return False


def _restricting(
    context: Context, network: PlanNetwork, operator: str, block: Any, keys: frozenset[str]
) -> bool:
    op = operator.lower()
    if op not in _EXACT_OPERATORS or not isinstance(block, Mapping):
        return False
    base = op.removeprefix("foranyvalue:")
    for key, values in block.items():
        k = str(key).lower()
        if k not in keys:
            continue
        listed = as_list(values)
        if listed and all(_value_inside(context, network, k, v, base) for v in listed):
            return True
    return False


def _confined(
    context: Context, statement: Mapping[str, Any], network: PlanNetwork | None, keys: frozenset[str]
) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    plan = network or PlanNetwork()
    return any(_restricting(context, plan, str(op), block, keys) for op, block in condition.items())


def limited_to_perimeter(
    context: Context, statement: Mapping[str, Any], network: PlanNetwork | None = None
) -> bool:
    """True when the statement's condition confines callers to the perimeter (see the module doc).
    `network`: the plan's VPCs and endpoints; without it no aws:SourceVpc / aws:SourceVpce confines."""
    return _confined(context, statement, network, _CALLER_KEYS)


def service_confined(
    context: Context, statement: Mapping[str, Any], network: PlanNetwork | None = None
) -> bool:
    """True when the statement's condition confines a service principal to resources of the perimeter:
    aws:SourceAccount, aws:SourceOrgID, aws:SourceArn, kms:CallerAccount or the encryption context ARN
    CloudWatch Logs and CloudTrail set, with every value inside."""
    return _confined(context, statement, network, _SERVICE_KEYS)


# -- principals ------------------------------------------------------------------------------------------


def principal_entries(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, value) for every principal of a statement: ("*", "*"), ("AWS", arn), ("Service", ...),
    ("Federated", ...), ("CanonicalUser", ...)."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [("*", principal)] if principal == "*" else [("AWS", principal)]
    if isinstance(principal, Mapping):
        return [(str(kind), str(v)) for kind, value in principal.items() for v in as_list(value)]
    return [("AWS", str(p)) for p in as_list(principal)]


def exposure(
    context: Context, statement: Mapping[str, Any], network: PlanNetwork | None = None
) -> Iterator[str]:
    """Why an Allow statement of a resource policy (bucket, key, topic, repository, ...) reaches callers
    outside the perimeter; nothing for a Deny or a statement confined to the perimeter. `network`: the
    plan's VPCs and endpoints (`plan_network(index)`); without it aws:SourceVpc / aws:SourceVpce confine
    nothing."""
    if statement.get("Effect") != "Allow":
        return
    if "NotPrincipal" in statement:
        yield "allows NotPrincipal, i.e. every principal but the ones named"
        return
    confined = None  # computed once, only when needed

    def is_confined() -> bool:
        nonlocal confined
        if confined is None:
            confined = limited_to_perimeter(context, statement, network)
        return confined

    for kind, value in principal_entries(statement):
        if kind == "Service":
            if not service_confined(context, statement, network):
                yield (
                    f"allows service principal '{value}' with no condition confining the resource it acts "
                    "for to the perimeter (aws:SourceAccount, aws:SourceOrgID or aws:SourceArn with "
                    "StringEquals or ArnLike), so it acts for any account (confused deputy)"
                )
            continue
        if kind == "CanonicalUser":
            if not is_confined():
                yield f"allows canonical user {value}, whose account cannot be judged"
            continue
        if kind == "Federated":
            continue  # identity providers are judged by the trust-policy control
        account = account_of(value)
        if account == "*":
            if not is_confined():
                yield (
                    f"allows principal '{value}' with no condition confining callers to the perimeter "
                    "(aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceVpce, ... with StringEquals)"
                )
        elif account is None:
            if not is_confined():
                yield f"allows principal '{value}', which names no account of the perimeter"
        elif not inside(context, account) and not is_confined():
            yield f"allows principal '{value}' of account {account}, outside the perimeter"
