"""Helpers of the storage and keys reader tests: the dev plan's stack view by type, and a comparison of a
live resource's props with a planned resource of the same type (keys, nesting and value forms)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from live_support import value_form
from plan_support import repository_plan

from strongroom.inprocess import _stack_resource
from strongroom.policies.props import Resource

REPO = Path(__file__).resolve().parents[3]
ACCOUNT = "123456789012"


@functools.cache
def planned(stack: str = "dev") -> dict[str, list[Resource]]:
    """The stack view (outputs) of every resource of the offline plan of ``stack``, by type."""
    plan = repository_plan(stack, account=ACCOUNT)
    by_urn = {r.urn: r for r in plan.resources}
    out: dict[str, list[Resource]] = {}
    for resource in plan.resources:
        stack_view = _stack_resource(resource, by_urn)
        out.setdefault(stack_view.type, []).append(stack_view)
    return out


def _compare(live: Any, plan: Any, path: str, problems: list[str]) -> None:
    if live is None or plan is None:
        return
    if value_form(live) != value_form(plan):
        problems.append(f"{path}: live {value_form(live)} {live!r}, plan {value_form(plan)} {plan!r}")
        return
    if isinstance(live, Mapping):
        for key in live:
            if key not in plan:
                problems.append(f"{path}.{key}: not a key of the plan's {sorted(plan)}")
            else:
                _compare(live[key], plan[key], f"{path}.{key}", problems)
    elif isinstance(live, list) and live and plan:
        for i, item in enumerate(live):
            _compare(item, plan[0], f"{path}.{i}", problems)


def shape_problems(
    live: Resource, plan: Resource, *, live_only: Iterable[str] = (), not_read: Iterable[str] = ()
) -> list[str]:
    """Why ``live`` is not shaped like ``plan``: top-level keys only one of them has (except the named
    ``live_only`` and ``not_read`` ones), nested keys the plan does not have, and values of another form.
    Nested maps whose keys are data (tags) are compared by form only."""
    problems: list[str] = []
    extra = set(live.props) - set(plan.props) - set(live_only)
    missing = set(plan.props) - set(live.props) - set(not_read)
    problems += [f"{k}: live only" for k in sorted(extra)]
    problems += [f"{k}: not read" for k in sorted(missing)]
    for key in set(live.props) & set(plan.props):
        if key in ("tags", "tagsAll"):
            if value_form(live.props[key]) != "map":
                problems.append(f"{key}: not a map")
            continue
        _compare(live.props[key], plan.props[key], key, problems)
    return problems


class _Response:
    status_code = 403
    headers: dict[str, str] = {}


def deny(client: Any, operation: str, target: str, code: str) -> None:
    """Make ``client`` answer ``operation`` on ``target`` (a bucket name or key ID in the request) with the
    error ``code``, as AWS answers a caller its policy does not grant (moto grants everything)."""
    service = client.meta.service_model.service_id.hyphenize()

    def refuse(params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]] | None:
        if target not in f"{params.get('url', '')} {params.get('body', '')!r}":
            return None
        return _Response(), {"Error": {"Code": code, "Message": "denied by the test"}, "ResponseMetadata": {}}

    client.meta.events.register(f"before-call.{service}.{operation}", refuse)
