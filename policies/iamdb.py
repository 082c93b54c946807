"""IAM facts from parliament's action database (`iam_definition.json`, generated from AWS's Service
Authorization Reference): every action, its access level and the resource types it accepts. Pure.

The file is read from the installed package directory without importing `parliament` (whose `__init__`
imports `pkg_resources` and takes a second), once, on first use; the actions of a service are built
when a question about that service is first asked (a stack's policies name a few dozen of the 400
services, and building all 18,000 actions was a tenth of a check). Patterns (`s3:Get*`, `iam:*Role*`,
`*`) are expanded to the real actions they match, case-insensitively, the way IAM matches them.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

WILDCARD = re.compile(r"[*?]")


@dataclass(frozen=True)
class Action:
    """One IAM action: `name` as AWS spells it (`s3:GetObject`), its access level, the resource types it
    can be scoped to (empty: it is authorised on `*` only)."""

    name: str
    access_level: str
    resource_types: frozenset[str]
    condition_keys: frozenset[str] = frozenset()

    @property
    def service(self) -> str:
        return self.name.split(":", 1)[0].lower()


def database_path() -> Path:
    """Where parliament's installed `iam_definition.json` is."""
    spec = importlib.util.find_spec("parliament")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("parliament is not installed; it is a runtime dependency of the policy pack")
    return Path(next(iter(spec.submodule_search_locations))) / "iam_definition.json"


@cache
def _services_raw() -> Mapping[str, tuple[Mapping[str, Any], ...]]:
    """The database file's service entries grouped by lower-case prefix, in file order (a prefix the file
    lists twice, for old and new API versions, has two entries). The file (10 MB) is not parsed whole:
    where each service's object starts is found from its layout, and a service's object is parsed when
    a question about it is first asked (parsing the whole file was a tenth of a prod check); a file laid
    out otherwise is parsed whole."""
    text = database_path().read_text(encoding="utf-8")
    located = _locate_services(text)
    if located is None:
        return _grouped(json.loads(text))
    return _ServicesByPrefix(text, located)


def _grouped(services: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Mapping[str, Any], ...]]:
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for service in services:
        grouped.setdefault(str(service["prefix"]).lower(), []).append(service)
    return {prefix: tuple(entries) for prefix, entries in grouped.items()}


_OBJECT_START = "\n  {\n"  # a service: an object of the top-level list, as json.dump(indent=2) writes it
_PREFIX_KEY = '\n    "prefix": "'  # that object's own "prefix" key


def _locate_services(text: str) -> dict[str, tuple[int, ...]] | None:
    """Where each service's object starts (the offset of its ``{``), by lower-case prefix, in file order;
    None unless every object of the list has exactly one ``prefix`` key of its own."""
    if not text.startswith("[" + _OBJECT_START):
        return None
    located: dict[str, list[int]] = {}
    previous = 0
    at = text.find(_PREFIX_KEY)
    while at >= 0:
        start = text.rfind(_OBJECT_START, previous, at + 1)  # its last newline may be the key's first
        name_at = at + len(_PREFIX_KEY)
        end = text.find('"', name_at)
        if start < 0 or end < 0:
            return None  # two prefix keys in one object, or a key that is not the object's own
        located.setdefault(text[name_at:end].lower(), []).append(start + 3)
        previous = end
        at = text.find(_PREFIX_KEY, end)
    if text.count(_OBJECT_START) != sum(len(offsets) for offsets in located.values()):
        return None  # an object without a prefix key of its own
    return {prefix: tuple(offsets) for prefix, offsets in located.items()}


class _ServicesByPrefix(Mapping[str, tuple[Mapping[str, Any], ...]]):
    """The file's services by lower-case prefix, each parsed from its place in the text on first use."""

    def __init__(self, text: str, located: Mapping[str, tuple[int, ...]]) -> None:
        self._text = text
        self._located = located
        self._parsed: dict[str, tuple[Mapping[str, Any], ...]] = {}
        self._decoder = json.JSONDecoder()

    def __getitem__(self, prefix: str) -> tuple[Mapping[str, Any], ...]:
        parsed = self._parsed.get(prefix)
        if parsed is None:
            entries = tuple(self._decoder.raw_decode(self._text, at)[0] for at in self._located[prefix])
            if any(str(e.get("prefix", "")).lower() != prefix for e in entries):
                raise RuntimeError(
                    f"{database_path()}: the entry located for {prefix!r} is another service's"
                )
            parsed = self._parsed[prefix] = entries
        return parsed

    def __iter__(self) -> Iterator[str]:
        return iter(self._located)

    def __len__(self) -> int:
        return len(self._located)

    def __contains__(self, prefix: object) -> bool:
        return prefix in self._located


@cache
def _service_actions(prefix: str) -> Mapping[str, Action]:
    """The actions of one service prefix, keyed by lower-case name; an action listed twice keeps the
    union of its resource types and condition keys."""
    found: dict[str, Action] = {}
    for service in _services_raw().get(prefix, ()):
        for privilege in service["privileges"]:
            name = f"{service['prefix']}:{privilege['privilege']}"
            types = frozenset(
                str(r["resource_type"]).rstrip("*") for r in privilege["resource_types"] if r["resource_type"]
            )
            keys = frozenset(k for r in privilege["resource_types"] for k in r["condition_keys"])
            previous = found.get(name.lower())
            if previous is not None:
                types |= previous.resource_types
                keys |= previous.condition_keys
            found[name.lower()] = Action(name, privilege["access_level"], types, keys)
    return found


class _Actions(Mapping[str, Action]):
    """Every action of the database by lower-case name, built one service at a time on first use (the
    whole database is 18,000 actions; a stack's policies name a few dozen services)."""

    def __getitem__(self, name: str) -> Action:
        return _service_actions(name.partition(":")[0])[name]

    def __iter__(self) -> Iterator[str]:
        for prefix in _services_raw():
            yield from _service_actions(prefix)

    def __len__(self) -> int:
        return sum(len(_service_actions(prefix)) for prefix in _services_raw())


_ACTIONS = _Actions()


def actions() -> Mapping[str, Action]:
    """Every action of the database, keyed by its lower-case name. A service prefix the file lists twice
    (old and new API versions) is merged; an action listed twice keeps the union of its resource types."""
    return _ACTIONS


def _of_service(prefix: str) -> tuple[Action, ...]:
    return tuple(_service_actions(prefix).values()) if prefix in _services_raw() else ()


def _regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


@cache
def expand(pattern: str) -> frozenset[str]:
    """Every real action (`service:Action`, as AWS spells it) the pattern matches; empty when it matches
    none (an unknown action or service)."""
    lowered = pattern.lower()
    if not WILDCARD.search(lowered):
        action = actions().get(lowered)
        return frozenset({action.name}) if action else frozenset()
    service, sep, _ = lowered.partition(":")
    if sep and not WILDCARD.search(service):
        candidates: Iterable[Action] = _of_service(service)
    else:
        candidates = actions().values()
    regex = _regex(lowered)
    return frozenset(a.name for a in candidates if regex.match(a.name.lower()))


def expand_all(patterns: Iterable[str]) -> frozenset[str]:
    """The union of `expand` over `patterns`."""
    found: set[str] = set()
    for pattern in patterns:
        found |= expand(pattern)
    return frozenset(found)


@cache
def _all_names() -> frozenset[str]:
    return frozenset(a.name for a in actions().values())


def not_action(patterns: Iterable[str]) -> frozenset[str]:
    """Every action a `NotAction` of `patterns` grants: all the actions none of them matches."""
    return _all_names() - expand_all(patterns)


def services() -> frozenset[str]:
    """Every service prefix of the database (lower case)."""
    return frozenset(_services_raw())


def service_actions(service: str) -> frozenset[str]:
    """Every action of a service prefix (`s3`), empty for an unknown one."""
    return frozenset(a.name for a in _of_service(service.lower()))


def known(action: str) -> bool:
    """True when `action` (no wildcard) is in the database."""
    return action.lower() in actions()


def _get(action: str) -> Action:
    try:
        return actions()[action.lower()]
    except KeyError:
        raise KeyError(f"{action!r} is not an action of the IAM database ({database_path()})") from None


def resource_types(action: str) -> frozenset[str]:
    """The resource types `action` can be scoped to; empty when it is authorised on `*` only."""
    return _get(action).resource_types


def star_only(action: str) -> bool:
    """True when `action` has no resource-level permissions, so it can only be granted on `*`. False for
    an action the database does not know: nothing unknown is let onto `*`."""
    found = actions().get(action.lower())
    return found is not None and not found.resource_types


def condition_keys(action: str) -> frozenset[str]:
    """The action-specific condition keys `action` supports (global `aws:` keys apart)."""
    return _get(action).condition_keys


def access_level(action: str) -> str:
    """Read, List, Write, Permissions management or Tagging."""
    return _get(action).access_level


PERMISSIONS_MANAGEMENT = "Permissions management"

ESCALATION_ACTIONS: Mapping[str, str] = {
    "iam:PassRole": "hands an existing role, with all its permissions, to a service the caller controls",
    "iam:CreateRole": "creates a role the caller can trust itself in",
    "iam:UpdateAssumeRolePolicy": "rewrites a role's trust policy so the caller can assume it",
    "iam:CreatePolicyVersion": "rewrites a managed policy (with --set-as-default) attached to the caller",
    "iam:SetDefaultPolicyVersion": "switches a managed policy back to an older, broader version",
    "iam:AttachRolePolicy": "attaches any managed policy, AdministratorAccess included, to a role",
    "iam:AttachUserPolicy": "attaches any managed policy to a user",
    "iam:AttachGroupPolicy": "attaches any managed policy to a group",
    "iam:PutRolePolicy": "writes any inline policy into a role",
    "iam:PutUserPolicy": "writes any inline policy into a user",
    "iam:PutGroupPolicy": "writes any inline policy into a group",
    "iam:DetachRolePolicy": "removes a managed Deny (guardrail) policy from a role",
    "iam:DeleteRolePolicy": "removes an inline Deny (guardrail) policy from a role",
    "iam:DetachUserPolicy": "removes a managed Deny policy from a user",
    "iam:DeleteUserPolicy": "removes an inline Deny policy from a user",
    "iam:DetachGroupPolicy": "removes a managed Deny policy from a group",
    "iam:DeleteGroupPolicy": "removes an inline Deny policy from a group",
    "iam:PutRolePermissionsBoundary": "replaces a role's boundary with a broader one",
    "iam:DeleteRolePermissionsBoundary": "removes the ceiling of a role",
    "iam:PutUserPermissionsBoundary": "replaces a user's boundary with a broader one",
    "iam:DeleteUserPermissionsBoundary": "removes the ceiling of a user",
    "iam:CreateAccessKey": "mints long-lived keys for another user",
    "iam:CreateLoginProfile": "sets a console password for another user",
    "iam:UpdateLoginProfile": "resets another user's console password",
    "iam:AddUserToGroup": "joins a group with broader policies",
    "sts:AssumeRole": "becomes another role",
    "lambda:UpdateFunctionCode": "runs the caller's code as the function's execution role",
    "lambda:CreateFunction": "with iam:PassRole, runs the caller's code as any passable role",
    "glue:UpdateDevEndpoint": "logs into a dev endpoint that runs as its role",
    "sagemaker:CreatePresignedNotebookInstanceUrl": "opens a notebook that runs as its execution role",
    "ec2:RunInstances": "with iam:PassRole, runs an instance as any passable role",
    "cloudformation:CreateStack": "with iam:PassRole, creates anything as a passable role",
    "ssm:SendCommand": "runs commands on instances as their instance role",
    "ssm:StartSession": "opens a shell on instances that run as their instance role",
}
"""Actions that let a principal gain permissions it was not granted. The database does not mark them;
this list follows the Bishop Fox categories parliament's `privilege_escalation` auditor uses, plus the
boundary and Deny removals that undo a ceiling or a guardrail, each with the reason."""


def escalation(action: str) -> bool:
    """True when `action` (a real action name) is a privilege-escalation action."""
    return action.lower() in _escalation_lower()


@cache
def _escalation_lower() -> frozenset[str]:
    return frozenset(a.lower() for a in ESCALATION_ACTIONS)
