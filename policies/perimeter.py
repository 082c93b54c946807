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
value inside the perimeter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policies.props import Context, as_list

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


# -- conditions ------------------------------------------------------------------------------------------

_ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "kms:calleraccount"})
_ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid"})
_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
_NETWORK_KEYS = frozenset({"aws:sourcevpce", "aws:sourcevpc"})
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
_VPCE = re.compile(r"^vpce-[0-9a-f]{8,17}$")
_VPC = re.compile(r"^vpc-[0-9a-f]{8,17}$")


def _value_inside(context: Context, key: str, value: Any, operator: str) -> bool:
    if not isinstance(value, str):
        return False
    wildcard_allowed = operator in ("stringlike", "arnlike")
    if key in _ACCOUNT_KEYS:
        return bool(ACCOUNT_ID.match(value)) and value in context.trusted_accounts
    if key in _ORG_KEYS:
        return context.organization_id is not None and value == context.organization_id
    if key in _ARN_KEYS:
        account = account_of(value)
        if account is None or account == "*" or account not in context.trusted_accounts:
            return False
        return wildcard_allowed or not _WILD.search(value)
    if key == "aws:sourcevpce":
        return bool(_VPCE.match(value))
    if key == "aws:sourcevpc":
        return bool(_VPC.match(value))
    return False


def _restricting(context: Context, operator: str, block: Any) -> bool:
    op = operator.lower()
    if op not in _EXACT_OPERATORS or not isinstance(block, Mapping):
        return False
    base = op.removeprefix("foranyvalue:")
    for key, values in block.items():
        k = str(key).lower()
        if k not in _ACCOUNT_KEYS | _ORG_KEYS | _ARN_KEYS | _NETWORK_KEYS:
            continue
        listed = as_list(values)
        if listed and all(_value_inside(context, k, v, base) for v in listed):
            return True
    return False


def limited_to_perimeter(context: Context, statement: Mapping[str, Any]) -> bool:
    """True when the statement's condition confines callers to the perimeter (see the module doc)."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    return any(_restricting(context, str(op), block) for op, block in condition.items())


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


def exposure(context: Context, statement: Mapping[str, Any]) -> Iterator[str]:
    """Why an Allow statement of a resource policy (bucket, key, topic, repository, ...) reaches callers
    outside the perimeter; nothing for a Deny or a statement confined to the perimeter."""
    if statement.get("Effect") != "Allow":
        return
    if "NotPrincipal" in statement:
        yield "allows NotPrincipal, i.e. every principal but the ones named"
        return
    confined = None  # computed once, only when needed

    def is_confined() -> bool:
        nonlocal confined
        if confined is None:
            confined = limited_to_perimeter(context, statement)
        return confined

    for kind, value in principal_entries(statement):
        if kind == "Service":
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
