"""Builders and table-driven checks shared by the per-area control tests.

Each area test module declares `SPECS: dict[control_id, Spec]`: a compliant baseline stack, one case per way
to break the control (a stack and the exact messages on the judged resource) and not-applicable resources.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from strongroom.policies.catalog import Control, evaluate, get
from strongroom.policies.model import applicable
from strongroom.policies.props import Context, Index, Resource, normalize


def res(
    type_: str, name: str, *, deps: dict[str, Sequence[Resource]] | None = None, **props: Any
) -> Resource:
    """A resource with camelCase props; `deps` gives propertyDependencies as resources."""
    return Resource(
        type=type_,
        urn=urn(type_, name),
        name=name,
        props=normalize(props),
        property_dependencies={k: tuple(r.urn for r in v) for k, v in (deps or {}).items()},
    )


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::strongroom::{type_}::{name}"


def doc(*statements: dict[str, Any]) -> str:
    """A policy document as the JSON string pulumi-aws takes."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TRUSTED_ACCOUNTS = frozenset({"123456789012", "333333333333"})
"""The perimeter of the control tests: the offline engine's account and the repo stacks' SSO account."""


@dataclass(frozen=True)
class Break:
    """`stack` breaks the control; `subject` (name) gets exactly `messages`."""

    why: str
    stack: Sequence[Resource]
    subject: str
    messages: Sequence[str]
    context: Context | None = None
    """The context this case runs in (default: the spec's)."""


@dataclass(frozen=True)
class Spec:
    baseline: Sequence[Resource]
    breaks: Sequence[Break]
    not_applicable: Sequence[Resource] = field(default=())
    stack: str | None = None
    forbidden: bool = False
    """The control forbids its resource types outright: the compliant baseline is a stack without them."""
    context: Context | None = None
    """The context the cases run in; default: stack `stack` with the perimeter `TRUSTED_ACCOUNTS`."""

    def context_for(self, brk: Break | None = None) -> Context:
        if brk is not None and brk.context is not None:
            return brk.context
        return self.context or Context(stack=self.stack, trusted_accounts=TRUSTED_ACCOUNTS)


def _context(context: Context | str | None) -> Context:
    if isinstance(context, Context):
        return context
    return Context(stack=context, trusted_accounts=TRUSTED_ACCOUNTS)


def messages_for(
    control: Control, stack: Iterable[Resource], subject: str, context: Context | str | None = None
) -> list[str]:
    """The messages `control` reports on `subject`; `context` is a Context or a stack name."""
    index = Index(stack, _context(context))
    return [f.message for f in evaluate(control, index) if f.resource_name == subject]


def all_messages(
    control: Control, stack: Iterable[Resource], context: Context | str | None = None
) -> list[str]:
    return [f.message for f in evaluate(control, Index(stack, _context(context)))]


def baseline_cases(specs: dict[str, Spec]) -> list[Any]:
    return [(cid, spec) for cid, spec in specs.items()]


def break_cases(specs: dict[str, Spec]) -> list[Any]:
    import pytest

    return [
        pytest.param(cid, spec, brk, id=f"{cid}-{brk.why}")
        for cid, spec in specs.items()
        for brk in spec.breaks
    ]


# The table-driven tests: each area module imports them, and tests/policies/conftest.py parametrizes them
# over that module's SPECS (the break test over every break, the other two over every control).


def test_compliant_baseline_has_no_violation(cid: str, spec: Spec) -> None:
    control = get(cid)
    judged = [r for r in spec.baseline if applicable(control, r, Index(spec.baseline))]
    assert bool(judged) != spec.forbidden, f"{cid}: the baseline must contain what the control judges"
    assert all_messages(control, spec.baseline, spec.context_for()) == []


def test_each_break_reports_the_exact_message(cid: str, spec: Spec, brk: Break) -> None:
    assert messages_for(get(cid), brk.stack, brk.subject, spec.context_for(brk)) == list(brk.messages)


def test_control_does_not_apply_elsewhere(cid: str, spec: Spec) -> None:
    control = get(cid)
    index = Index(spec.not_applicable)
    for resource in spec.not_applicable:
        assert not applicable(control, resource, index), f"{cid} should not apply to {resource.name}"
    assert all_messages(control, spec.not_applicable, spec.context_for()) == []
