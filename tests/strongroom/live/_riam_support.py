"""Test support of the identity and trail readers: the dev plan's stack view (the shapes live readers must
reproduce), a Context as the check builds it, and a hybrid index (the plan with one area replaced by what
a reader yields), judged by the catalog's controls of that area."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from live_support import value_form
from plan_support import repository_plan

from strongroom.engine import load_project, load_stack_config
from strongroom.inprocess import _stack_resource
from strongroom.policies.catalog import CATALOG
from strongroom.policies.config import context as policy_context
from strongroom.policies.model import evaluate, judges_type
from strongroom.policies.props import Context, Index, Resource

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT = "123456789012"
REGION = "eu-west-2"


@functools.cache
def stack_view(stack: str = "dev") -> tuple[Resource, ...]:
    """Every resource of the stack's offline plan as a stack policy sees it."""
    plan = repository_plan(stack, account=ACCOUNT)
    by_urn = {r.urn: r for r in plan.resources}
    return tuple(_stack_resource(r, by_urn) for r in plan.resources)


def planned(type_: str, stack: str = "dev") -> list[Resource]:
    return [r for r in stack_view(stack) if r.type == type_]


@functools.cache
def context(stack: str = "dev") -> Context:
    config = load_stack_config(load_project(ROOT), stack).values
    return policy_context(None, stack, stack_config=config)


def assert_plan_shape(live: Resource, extra: Iterable[str] = (), stack: str = "dev") -> None:
    """The live resource's props use the plan's keys for its type (``extra``: keys pulumi-aws outputs that
    the offline plan does not show), with the same value forms (a JSON document stays a JSON string)."""
    plans = planned(live.type, stack)
    assert plans, f"the {stack} plan has no {live.type}"
    keys = {k for p in plans for k in p.props}
    unknown = set(live.props) - keys - set(extra)
    assert not unknown, f"{live.type} {live.name}: props the plan does not have: {sorted(unknown)}"
    for key, value in live.props.items():
        forms = {value_form(p.props[key]) for p in plans if p.props.get(key) is not None}
        if forms and value is not None:
            assert value_form(value) in forms, (
                f"{live.type}.{key}: {value!r} is {value_form(value)}, plan has {forms}"
            )


def assert_nested_keys(live: Any, plan: Any, where: str) -> None:
    """Nested dicts and lists of dicts of ``live`` use only the keys ``plan`` uses at the same place."""
    if isinstance(live, Mapping) and isinstance(plan, Mapping):
        assert set(live) <= set(plan) or not plan, f"{where}: {sorted(set(live) - set(plan))}"
        for key in set(live) & set(plan):
            assert_nested_keys(live[key], plan[key], f"{where}.{key}")
    elif isinstance(live, list) and isinstance(plan, list) and live and plan:
        merged: dict[str, Any] = {}
        for item in plan:
            if isinstance(item, Mapping):
                merged.update(item)
        for i, item in enumerate(live):
            assert_nested_keys(item, merged or plan[0], f"{where}.{i}")


def hybrid(live: Sequence[Resource], types: Iterable[str], stack: str = "dev") -> Index:
    """The stack's plan with every resource of ``types`` replaced by the ``live`` ones."""
    replaced = set(types)
    kept = [r for r in stack_view(stack) if r.type not in replaced]
    return Index([*kept, *live], context(stack))


def planned_index(stack: str = "dev") -> Index:
    return Index(stack_view(stack), context(stack))


def findings(index: Index, types: Iterable[str]) -> dict[str, list[str]]:
    """control id -> finding messages, for every catalog control judging one of ``types``."""
    wanted = set(types)
    judged: dict[str, list[str]] = {}
    for control in CATALOG:
        if not any(judges_type(control, t) for t in wanted):
            continue
        found = [
            f"{f.resource_name}: {f.message}" for f in evaluate(control, index) if f.resource_type in wanted
        ]
        if found:
            judged[control.id] = found
    return judged


class _Refused:
    status_code = 400


def refuse(client: Any, operation: str, code: str, status: int = 400) -> None:
    """Make ``client`` answer ``operation`` with the AWS error ``code`` (what moto does not answer)."""
    service = client.meta.service_model.service_id.hyphenize()

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        response = _Refused()
        response.status_code = status
        return response, {"Error": {"Code": code, "Message": f"{code} (injected by the test)"}}

    client.meta.events.register(f"before-call.{service}.{operation}", answer)


def auditor_actions(stack: str = "dev") -> set[str]:
    """Every action the stack's auditor role is granted (its inline policies in the plan)."""
    granted: set[str] = set()
    for inline in planned("aws:iam/rolePolicy:RolePolicy", stack):
        if "-roles-auditor-" not in str(inline.props["role"]):
            continue
        for statement in json.loads(inline.props["policy"])["Statement"]:
            if statement["Effect"] == "Allow":
                action = statement["Action"]
                granted |= set(action if isinstance(action, list) else [action])
    return granted
