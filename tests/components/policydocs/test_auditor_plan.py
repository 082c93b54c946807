"""The auditor role of the shipped stacks, judged on the plan: it may read every EventBridge rule the stack
creates, in that rule's own region (the alert path forwards from us-east-1 and, in prod, from the replica
region), and no other rule.

Its effective grants are its inline policies AND the permission boundary it carries, evaluated with the
deployer tests' small IAM evaluator (explicit deny wins; an allow needs both)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_deployer_plan import decision, plan_of

from strongroom.components.alerts import forwarding_regions
from strongroom.engine import Plan, PlanResource

ACCOUNT = "123456789012"
RULE = "aws:cloudwatch/eventRule:EventRule"
READS = ("events:DescribeRule", "events:ListTargetsByRule")
WRITES = ("events:PutRule", "events:DeleteRule", "events:DisableRule", "events:PutTargets")
OTHER_REGIONS = ("eu-west-1", "us-west-2", "ap-southeast-2")


def _doc(resource: PlanResource) -> dict[str, Any]:
    value = resource.inputs["policy"]
    return json.loads(value) if isinstance(value, str) else value


def auditor(plan: Plan, stack: str) -> PlanResource:
    return plan.named(f"sr-{stack}-roles-auditor")


def inline_documents(plan: Plan, stack: str) -> list[dict[str, Any]]:
    role = auditor(plan, stack)
    names = {role.outputs.get("id"), role.outputs.get("name"), role.inputs.get("name")} - {None}
    docs = [_doc(p) for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs.get("role") in names]
    attached = [a for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert not [a for a in attached if a.inputs.get("role") in names], "the auditor has only inline policies"
    assert docs
    return docs


def boundary_document(plan: Plan, stack: str) -> dict[str, Any]:
    arn = auditor(plan, stack).inputs["permissionsBoundary"]
    return next(_doc(p) for p in plan.of_type("aws:iam/policy:Policy") if p.outputs["arn"] == arn)


def auditor_may(plan: Plan, stack: str, action: str, arn: str) -> bool:
    return (
        decision(inline_documents(plan, stack), action, arn) == "Allow"
        and decision([boundary_document(plan, stack)], action, arn) == "Allow"
    )


def rule_region(plan: Plan, rule: PlanResource) -> str:
    """The rule's `region` input, else its provider's region."""
    region = rule.inputs.get("region")
    if isinstance(region, str):
        return region
    assert rule.provider, rule.name
    provider_urn = rule.provider.rsplit("::", 1)[0]
    provider = next(r for r in plan.resources if r.urn == provider_urn)
    return str(provider.inputs["region"])


def rule_arns(plan: Plan) -> dict[str, str]:
    """ARN of every rule the plan creates, built from its physical name and its region."""
    rules = plan.of_type(RULE)
    arns = {
        r.name: f"arn:aws:events:{rule_region(plan, r)}:{ACCOUNT}:rule/{r.outputs['name']}" for r in rules
    }
    for r in rules:  # the mock's ARNs agree (same region, same name)
        assert r.outputs["arn"] == arns[r.name]
    return arns


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_auditor_may_read_every_rule_of_the_plan_in_its_region(stack: str) -> None:
    plan = plan_of(stack)
    arns = rule_arns(plan)
    regions = {arn.split(":")[3] for arn in arns.values()}
    # The forwarding rules live outside the home region: the case this grant exists for.
    expected = {"eu-west-2", *forwarding_regions("eu-west-2", "eu-west-1" if stack == "prod" else None)}
    assert regions == expected
    assert "us-east-1" in regions
    refused = [(name, a) for name, arn in arns.items() for a in READS if not auditor_may(plan, stack, a, arn)]
    assert refused == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_auditor_may_read_no_other_rule(stack: str) -> None:
    plan = plan_of(stack)
    arns = rule_arns(plan)
    regions = {arn.split(":")[3] for arn in arns.values()}
    other_stack = "prod" if stack == "dev" else "dev"
    elsewhere: list[str] = []
    for arn in arns.values():
        region, name = arn.split(":")[3], arn.rsplit("/", 1)[1]
        elsewhere.append(arn.replace(f"rule/sr-{stack}-", f"rule/sr-{other_stack}-"))
        elsewhere.append(arn.replace(f"rule/{name}", f"rule/x{name}"))
        elsewhere += [arn.replace(f":{region}:", f":{r}:") for r in OTHER_REGIONS if r not in regions]
        elsewhere.append(arn.replace(f":{ACCOUNT}:", ":210987654321:"))
    granted = [(arn, a) for arn in elsewhere for a in READS if auditor_may(plan, stack, a, arn)]
    assert granted == []
    # And never a write, on its own rules either.
    writes = [(arn, a) for arn in arns.values() for a in WRITES if auditor_may(plan, stack, a, arn)]
    assert writes == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_boundary_widens_only_the_rule_reads_in_the_forwarding_regions(stack: str) -> None:
    """The boundary every workload role carries lets nothing new into another region but the two reads on
    the stack's rules there."""
    plan = plan_of(stack)
    boundary = boundary_document(plan, stack)
    foreign = [
        (tuple(s["Action"]), r)
        for s in boundary["Statement"]
        if s["Effect"] == "Allow"
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        if r.count(":") >= 5 and r.split(":")[2] != "kms" and r.split(":")[3] not in ("", "eu-west-2")
    ]
    regions = forwarding_regions("eu-west-2", "eu-west-1" if stack == "prod" else None)
    assert sorted(foreign) == [(READS, f"arn:aws:events:{r}:{ACCOUNT}:rule/sr-{stack}-*") for r in regions]
