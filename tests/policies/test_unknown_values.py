"""A value the controls read that is unknown during preview is a finding they could not evaluate, never
a crash of the check: a role's ARN (new roles have none until created), and the tags below.

A tag the controls read that is unknown during preview (a value computed from another resource's
output, or the whole tag map) is a finding the controls could not evaluate (SR-GOV-004), never a crash of
the check and never read as unset.

Which rules apply to a bucket depends on its `strongroom:purpose` and `strongroom:backup-dataset` tags (a
backup bucket must be locked and kept), and which roles may sign model manifests on their
`strongroom:duty` tag, as whether separation of duties applies to a role (SR-WS-040). An unknown value
used to stop the check with "an unknown value has no truth value" (SR-STO-007, SR-STO-008, SR-STO-040,
SR-ENC-042) or be read as another duty (SR-WS-040), and an unknown tag map was read as no tags, so a
backup bucket's rules did not apply."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from plan_support import repository_plan

from strongroom.inprocess import stack_view
from strongroom.policies.catalog import CATALOG, get
from strongroom.policies.config import context
from strongroom.policies.controls.identity import ROLE
from strongroom.policies.model import Finding, evaluate, evaluate_resource
from strongroom.policies.props import UNKNOWN, Index, Resource

REPO = Path(__file__).resolve().parents[2]
MAP = "<the whole map>"


@pytest.fixture(scope="module")
def prod() -> list[Resource]:
    return stack_view(repository_plan("prod"))


def _with_unknown_tag(resources: list[Resource], name: str, key: str) -> tuple[list[Resource], Resource]:
    (position,) = [i for i, r in enumerate(resources) if r.name == name]
    subject = resources[position]
    tags = subject.props["tags"]
    props = {**subject.props, "tags": UNKNOWN if key == MAP else {**tags, key: UNKNOWN}}
    changed = replace(subject, props=props)
    return [*resources[:position], changed, *resources[position + 1 :]], changed


def _judged(resources: list[Resource], subject: Resource) -> list[Finding]:
    """Every control as the pack runs it: stack controls over the stack, resource controls over the
    changed resource alone (findings of both kinds; unknown ones are what SR-GOV-004 reports)."""
    ctx = context(None, "prod", stack_config={})
    index = Index(resources, ctx)
    findings: list[Finding] = []
    for control in CATALOG:
        if control.area == "GOV":
            continue
        if control.scope == "stack":
            findings += evaluate(control, index)
        else:
            findings += evaluate_resource(control, subject, Index([subject], ctx))
    return findings


BACKUP_RULES = {"SR-STO-007", "SR-STO-008", "SR-STO-040"}


@pytest.mark.parametrize(
    ("name", "key", "controls", "path"),
    [
        (
            "sr-prod-backup-payments-bucket",
            "strongroom:backup-dataset",
            BACKUP_RULES,
            "tags.strongroom:backup-dataset",
        ),
        ("sr-prod-data-payments-bucket", "strongroom:purpose", BACKUP_RULES, "tags.strongroom:purpose"),
        ("sr-prod-models-bucket", MAP, BACKUP_RULES, "tags"),
        (
            "sr-prod-baseline-config-bucket-bucket",
            "strongroom:purpose",
            BACKUP_RULES,
            "tags.strongroom:purpose",
        ),
        ("sr-prod-roles-training", "strongroom:duty", {"SR-ENC-042", "SR-WS-040"}, "tags.strongroom:duty"),
        ("sr-prod-roles-data-scientist", "strongroom:duty", {"SR-WS-040"}, "tags.strongroom:duty"),
        ("sr-prod-roles-model-approver", "strongroom:duty", {"SR-WS-040"}, "tags.strongroom:duty"),
    ],
)
def test_an_unknown_tag_that_decides_a_rule_cannot_be_evaluated(
    prod: list[Resource], name: str, key: str, controls: set[str], path: str
) -> None:
    resources, subject = _with_unknown_tag(prod, name, key)
    (original,) = [r for r in prod if r.name == name]
    before = set(_judged(prod, original))  # without a perimeter, accounts can't be judged anyway
    unknown = [f for f in _judged(resources, subject) if f.unknown and f not in before]
    assert {f.control for f in unknown} == controls
    assert all(f"{path} of '{name}' can't be known during preview" in f.message for f in unknown)


def test_no_unknown_strongroom_tag_or_tag_map_stops_a_control(prod: list[Resource]) -> None:
    """Each `strongroom:` tag of each type of the production plan, and each type's whole tag map, unknown
    in turn: every control answers (a finding, an unknown finding or nothing) and none raises."""
    cases: dict[tuple[str, str], str] = {}
    for resource in prod:
        tags = resource.props.get("tags")
        if isinstance(tags, dict):
            for key in [MAP, *(k for k in tags if k.startswith("strongroom:"))]:
                cases.setdefault((resource.type, key), resource.name)
    assert len(cases) > 20
    for (_, key), name in cases.items():
        _judged(*_with_unknown_tag(prod, name, key))


def test_another_role_s_unknown_arn_does_not_stop_the_judgement_of_who_may_create_roles(
    prod: list[Resource],
) -> None:
    """SR-IAM-040 asks which of the stack's roles a role that may iam:CreateRole could create. A new role
    has no ARN during a preview; that stopped the control for every role that may create roles (an
    unknown value has no truth value). The deployer may create roles of known ARNs: judged as before."""
    control = get("SR-IAM-040")
    ctx = context(None, "prod", stack_config={})
    before = evaluate(control, Index(prod, ctx))
    for role in [r for r in prod if r.type == ROLE and r.name != "sr-prod-roles-deployer"]:
        resources, _ = _with_unknown(prod, role.name, "arn")
        assert evaluate(control, Index(resources, ctx)) == before, role.name
    resources, _ = _with_unknown(prod, "sr-prod-roles-deployer", "arn")
    [finding] = [f for f in evaluate(control, Index(resources, ctx)) if f not in before]
    assert finding.unknown and "arn (to judge what it may do to its own role)" in finding.message


def _with_unknown(resources: list[Resource], name: str, key: str) -> tuple[list[Resource], Resource]:
    (position,) = [i for i, r in enumerate(resources) if r.name == name]
    changed = replace(resources[position], props={**resources[position].props, key: UNKNOWN})
    return [*resources[:position], changed, *resources[position + 1 :]], changed


def test_roles_a_role_may_create_that_are_all_unknown_cannot_be_evaluated(prod: list[Resource]) -> None:
    """The deployer may create roles under the stack's IAM path. With its own ARN moved outside that path
    and every other role's ARN unknown, whether it may create one of them cannot be judged."""
    control = get("SR-IAM-040")
    resources = [
        replace(r, props={**r.props, "arn": UNKNOWN}) if r.type == ROLE else r
        for r in prod
        if r.name != "sr-prod-roles-deployer"
    ]
    (deployer,) = [r for r in prod if r.name == "sr-prod-roles-deployer"]
    elsewhere = replace(
        deployer, props={**deployer.props, "arn": "arn:aws:iam::123456789012:role/elsewhere/d"}
    )
    findings = evaluate(control, Index([*resources, elsewhere], context(None, "prod", stack_config={})))
    mine = [f for f in findings if f.resource_name == "sr-prod-roles-deployer"]
    assert [(f.unknown, "arn (to judge whether roles may create it)" in f.message) for f in mine] == [
        (True, True)
    ]
