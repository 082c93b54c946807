"""Readers: the deployed environment -> the resource model the pack's predicates read.

Each module of :data:`AREAS` has ``TYPES`` (the canonical Pulumi type tokens it yields) and
``read(aws, scope)``, which finds the environment's resources of its area and yields one
:class:`policies.props.Resource` per resource, shaped exactly as the offline plan's stack view shows that
type (camelCase props as pulumi-aws names them, ``id`` and ``arn`` as the provider sets them), so the
catalog's predicates judge a live bucket as they judge a planned one. A resource's URN is its ARN (or, for
types without one, ``<type>::<id>``), and its name is its physical name or ID.

Discovery starts from the tag ``strongroom:environment=<stack>`` (and the stack's IAM path), then follows
what is attached to those anchors whether or not it is tagged: an internet gateway attached to the
environment's VPC, a route added to one of its route tables, a policy attached to one of its roles.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from strongroom.components.tags import ENVIRONMENT_TAG
from strongroom.live.aws import Aws
from strongroom.policies.props import Resource

#: The reader modules, one per area of the environment.
ACCOUNT_WIDE: frozenset[str] = frozenset({"baseline"})
"""Areas whose resources are the account's, one per region (Config, GuardDuty, Security Hub): they belong
to the stack that declares them; a stack without them does not read them, or another stack's would look
undeclared."""

AREAS: tuple[str, ...] = (
    "network",
    "storage",
    "keys",
    "identity",
    "trail",
    "alerts",
    "workspace",
    "baseline",
)


@dataclass(frozen=True)
class Scope:
    """Which environment to read: the stack (tag value), the account and partition, the audit's region
    and every region the stack deploys to (the backup replica's too), and the stack's IAM path."""

    stack: str
    account: str
    partition: str
    region: str
    regions: tuple[str, ...] = ()
    iam_path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tag(self) -> tuple[str, str]:
        return ENVIRONMENT_TAG, self.stack

    def tagged(self, tags: Iterable[dict[str, Any]] | dict[str, Any] | None) -> bool:
        """Whether an AWS tag list (``[{Key, Value}]``, any key case) or tag map carries the environment."""
        if not tags:
            return False
        if isinstance(tags, dict):
            return tags.get(ENVIRONMENT_TAG) == self.stack
        for tag in tags:
            key = tag.get("Key", tag.get("key", tag.get("TagKey")))
            value = tag.get("Value", tag.get("value", tag.get("TagValue")))
            if key == ENVIRONMENT_TAG and value == self.stack:
                return True
        return False

    def arn(self, service: str, resource: str, *, region: str | None = "", account: str | None = "") -> str:
        """An ARN in the scope's partition; ``region``/``account`` default to the scope's, None for empty."""
        reg = self.region if region == "" else (region or "")
        acct = self.account if account == "" else (account or "")
        return f"arn:{self.partition}:{service}:{reg}:{acct}:{resource}"


def live_resource(type_: str, urn: str, name: str, props: dict[str, Any]) -> Resource:
    """A live resource: canonical ``type_``, its ARN (or ID) as URN, and the plan-shaped ``props``."""
    return Resource(type=type_, urn=urn, name=name, props=props)


@dataclass(frozen=True)
class Unread:
    """Yielded by a reader among its resources for ``types`` it could not read because the endpoint does
    not implement the API (moto's gaps: ``404 Not yet implemented``; AWS itself implements them all). The
    reader yields nothing of those types, and the audit treats them as types no reader reads: no resource of
    them is judged, drift does not compare them with the plan, and ``reason`` is noted in the report."""

    types: tuple[str, ...]
    reason: str


Reader = Callable[[Aws, Scope], Iterable[Resource | Unread]]


def modules() -> list[ModuleType]:
    return [importlib.import_module(f"strongroom.live.readers.{area}") for area in AREAS]


def read_types() -> frozenset[str]:
    """Every type some reader yields: what the audit can see, and so judge or compare with the plan."""
    return frozenset(t for module in modules() for t in module.TYPES)


def read_all(aws: Aws, scope: Scope) -> Iterator[tuple[str, tuple[str, ...], Iterable[Resource | Unread]]]:
    """(area, its types, its resources) per area, in :data:`AREAS` order; each read by its module."""
    for area, module in zip(AREAS, modules(), strict=True):
        yield area, tuple(module.TYPES), module.read(aws, scope)
