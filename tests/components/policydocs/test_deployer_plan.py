"""The CI deployer of the shipped stacks, judged on the plan: every type the stack creates is covered by the
deployer table, nothing outside the plan is granted, and the escalations the red team found are closed.

The deployer's effective documents are read from the plan whatever their shape (inline role policies or
managed policies attached to its role, and its permission boundary), and requests are evaluated with a
small IAM evaluator (explicit deny wins; an allow needs the identity policies AND the boundary).
"""

from __future__ import annotations

import fnmatch
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from plan_support import repository_plan

from strongroom.components.policydocs import deployer as d
from strongroom.components.policydocs.iam import SIGN_MANIFEST_ACTIONS
from strongroom.engine import Plan, PlanResource
from strongroom.policies import iamdb
from strongroom.policies.controls.identity import _pattern_problem
from strongroom.policies.tokens import canonical

ROOT = Path(__file__).resolve().parents[3]
Context = dict[str, Any]


@cache
def plan_of(stack: str) -> Plan:
    return repository_plan(stack)


def _doc(resource: PlanResource) -> dict[str, Any]:
    value = resource.inputs["policy"]
    return json.loads(value) if isinstance(value, str) else value


def deployer_role(plan: Plan, stack: str) -> PlanResource:
    return plan.named(f"sr-{stack}-roles-deployer")


def identity_documents(plan: Plan, stack: str) -> list[dict[str, Any]]:
    """Inline policies of the deployer role and the managed policies attached to it."""
    role = deployer_role(plan, stack)
    role_id = {role.outputs.get("id"), role.outputs.get("name"), role.inputs.get("name")} - {None}
    docs = [_doc(p) for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs.get("role") in role_id]
    by_arn = {p.outputs["arn"]: p for p in plan.of_type("aws:iam/policy:Policy")}
    for attachment in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        if attachment.inputs.get("role") in role_id:
            docs.append(_doc(by_arn[attachment.inputs["policyArn"]]))
    return docs


def boundary_document(plan: Plan, stack: str) -> dict[str, Any]:
    arn = deployer_role(plan, stack).inputs["permissionsBoundary"]
    return next(_doc(p) for p in plan.of_type("aws:iam/policy:Policy") if p.outputs["arn"] == arn)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _match(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), pattern.lower().replace("[", "[[]"))


def _condition_holds(condition: dict[str, Any], context: Context) -> bool:
    for operator, keys in condition.items():
        for key, expected in keys.items():
            values = [str(v) for v in _list(expected)]
            present = key in context
            actual = [str(v) for v in _list(context.get(key, []))]
            if operator == "Null":
                if (values[0] == "true") == present:
                    return False
                continue
            if_exists = operator.endswith("IfExists")
            op = operator.removesuffix("IfExists")
            if not present:
                if if_exists:
                    continue
                if op.startswith(("StringNot", "ArnNot")):
                    continue  # a negated operator matches an absent key
                return False
            if op in ("StringEquals", "ArnEquals", "Bool"):
                ok = any(a == v for a in actual for v in values)
            elif op in ("StringLike", "ArnLike"):
                ok = any(_match(v, a) for a in actual for v in values)
            elif op in ("StringNotEquals", "ArnNotEquals"):
                ok = all(a not in values for a in actual)
            elif op in ("StringNotLike", "ArnNotLike"):
                ok = not any(_match(v, a) for a in actual for v in values)
            else:
                raise AssertionError(f"evaluator does not know {operator}")
            if not ok:
                return False
    return True


def _matches(stmt: dict[str, Any], action: str, resource: str, context: Context) -> bool:
    actions = _list(stmt.get("Action", []))
    if "NotAction" in stmt:
        if any(_match(a, action) for a in _list(stmt["NotAction"])):
            return False
    elif not any(_match(a, action) for a in actions):
        return False
    if not any(_match(r, resource) for r in _list(stmt.get("Resource", []))):
        return False
    return _condition_holds(stmt.get("Condition", {}), context)


def decision(docs: list[dict[str, Any]], action: str, resource: str, context: Context | None = None) -> str:
    context = context or {}
    statements = [s for doc in docs for s in _list(doc["Statement"])]
    if any(s["Effect"] == "Deny" and _matches(s, action, resource, context) for s in statements):
        return "Deny"
    if any(s["Effect"] == "Allow" and _matches(s, action, resource, context) for s in statements):
        return "Allow"
    return "Implicit"


def allowed(plan: Plan, stack: str, action: str, resource: str, context: Context | None = None) -> bool:
    identity = decision(identity_documents(plan, stack), action, resource, context)
    boundary = decision([boundary_document(plan, stack)], action, resource, context)
    return identity == "Allow" and boundary == "Allow"


def arn_of(plan: Plan, name: str) -> str:
    return str(plan.named(name).outputs["arn"])


def planned_types(plan: Plan) -> set[str]:
    return {canonical(r.type) for r in plan.resources if r.custom and r.type.startswith("aws:")}


# --------------------------------------------------------------------------------------------------
# Coverage: the plan's types are in the table, and nothing outside the plan is granted


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_type_of_the_plan_is_covered_by_the_deployer_table(stack: str) -> None:
    missing = planned_types(plan_of(stack)) - set(d.TYPE_ACTIONS)
    assert not missing, f"{stack}: types without deployer actions: {sorted(missing)}"


def _granted(docs: list[dict[str, Any]]) -> set[str]:
    return {
        a
        for doc in docs
        for s in _list(doc["Statement"])
        if s["Effect"] == "Allow"
        for a in _list(s["Action"])
    }


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_deployer_grants_no_action_of_a_type_outside_the_plan(stack: str) -> None:
    plan = plan_of(stack)
    granted = _granted(identity_documents(plan, stack))
    # Beyond its types, the deployer signs the manifests of what it ships with the stack's signing key.
    assert "aws:kms/key:Key" in planned_types(plan)
    expected = d.granted_actions(planned_types(plan)) | {"iam:PassRole", *SIGN_MANIFEST_ACTIONS}
    assert granted == expected, (sorted(granted - expected), sorted(expected - granted))
    # The boundary: the same writes exactly, the same reads by verb (service:Get*|List*|Describe*).
    ceiling = _granted([boundary_document(plan, stack)])
    patterns = {a for a in ceiling if "*" in a}
    reads = {a for a in expected if a.split(":")[1].startswith(("Get", "List", "Describe"))}
    assert ceiling - patterns == expected - reads, sorted((ceiling - patterns) ^ (expected - reads))
    assert patterns == {f"{a.split(':')[0]}:{_verb(a)}*" for a in reads}
    # An action only a type outside the plan needs is not granted (e.g. no notebook, no resolver in dev).
    outside = set(d.TYPE_ACTIONS) - planned_types(plan)
    only_outside = d.granted_actions(outside) - d.granted_actions(planned_types(plan))
    assert only_outside and not (only_outside & granted)


def _verb(action: str) -> str:
    name = action.split(":")[1]
    return next(v for v in ("Get", "List", "Describe") if name.startswith(v))


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_deployer_action_is_a_known_iam_action_without_wildcard(stack: str) -> None:
    plan = plan_of(stack)
    for action in _granted(identity_documents(plan, stack)):
        assert "*" not in action and "?" not in action, action
        assert iamdb.known(action), action
    for action in _granted([boundary_document(plan, stack)]):
        if "*" in action:  # a read verb of a service: known actions, no permissions management
            assert iamdb.expand(action) and _pattern_problem(action) is None, action
        else:
            assert iamdb.known(action), action


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_deployer_managed_policies_fit_the_size_limits(stack: str) -> None:
    plan = plan_of(stack)
    role = deployer_role(plan, stack)
    attached = [
        a
        for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.outputs["name"]
    ]
    assert len(attached) <= 10, "a role takes at most 10 managed policies by default"
    for doc in [*identity_documents(plan, stack), boundary_document(plan, stack)]:
        assert d.managed_policy_size(doc) <= d.MANAGED_POLICY_MAX_CHARS
    inline = [
        p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.outputs["id"]
    ]
    assert not inline


# --------------------------------------------------------------------------------------------------
# What it needs (missing before): notifications, rules in the global-events region, PassRole to events,
# keys and aliases in the replica region


def test_the_prod_deployer_can_do_its_job() -> None:
    plan, stack = plan_of("prod"), "prod"
    bucket = arn_of(plan, "sr-prod-models-bucket")
    region = {"aws:RequestedRegion": "eu-west-2"}
    assert allowed(plan, stack, "s3:PutBucketNotification", bucket, region)
    forward = arn_of(plan, "sr-prod-alerts-forward-iam")
    assert ":us-east-1:" in forward
    assert allowed(plan, stack, "events:PutRule", forward, {"aws:RequestedRegion": "us-east-1"})
    assert allowed(plan, stack, "events:PutTargets", forward, {"aws:RequestedRegion": "us-east-1"})
    forwarder = arn_of(plan, "sr-prod-alerts-forwarder-role")
    assert allowed(plan, stack, "iam:PassRole", forwarder, {"iam:PassedToService": "events.amazonaws.com"})
    replica_key = arn_of(plan, "sr-prod-backup-replica-key")
    assert ":eu-west-1:" in replica_key
    replica = {"aws:RequestedRegion": "eu-west-1"}
    for action in ("kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DescribeKey", "kms:TagResource"):
        assert allowed(plan, stack, action, replica_key, replica), action
    alias = f"arn:aws:kms:eu-west-1:{replica_key.split(':')[4]}:alias/strongroom-prod-backup-replica"
    assert allowed(plan, stack, "kms:CreateAlias", alias, replica)
    replica_bucket = next(
        arn_of(plan, r.name) for r in plan.of_type("aws:s3/bucket:Bucket") if "replica" in r.name
    )
    assert allowed(plan, stack, "s3:CreateBucket", replica_bucket, replica)
    # A stack role is created only with the workload boundary.
    new_role = arn_of(plan, "sr-prod-roles-training")
    workload = arn_of(plan, "sr-prod-roles-boundary")
    assert allowed(plan, stack, "iam:CreateRole", new_role, {"iam:PermissionsBoundary": workload})


def test_the_prod_deployer_acts_only_in_the_regions_of_its_types() -> None:
    plan, stack = plan_of("prod"), "prod"
    bucket = arn_of(plan, "sr-prod-models-bucket")
    assert not allowed(plan, stack, "s3:PutBucketPolicy", bucket, {"aws:RequestedRegion": "us-west-2"})
    rule = arn_of(plan, "sr-prod-alerts-trail")
    other_region = rule.replace(":eu-west-2:", ":ap-south-1:")
    assert not allowed(plan, stack, "events:PutRule", other_region, {"aws:RequestedRegion": "ap-south-1"})
    vpc = arn_of(plan, "sr-prod-network-vpc").replace(":eu-west-2:", ":us-east-1:")
    tag = {"aws:RequestTag/strongroom:environment": "prod", "aws:RequestedRegion": "us-east-1"}
    assert not allowed(plan, stack, "ec2:CreateVpc", vpc, tag)


# --------------------------------------------------------------------------------------------------
# The escalations (each allowed by the hand-written deployer)


def test_the_deployer_cannot_modify_its_own_role() -> None:
    plan, stack = plan_of("prod"), "prod"
    own = arn_of(plan, "sr-prod-roles-deployer")
    for action in (
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:DeleteRolePermissionsBoundary",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:DeleteRole",
    ):
        assert not allowed(plan, stack, action, own), action


def test_the_deployer_cannot_edit_the_guardrail_boundary_or_its_own_policies() -> None:
    plan, stack = plan_of("prod"), "prod"
    protected = [
        p.outputs["arn"]
        for p in plan.of_type("aws:iam/policy:Policy")
        if p.name.endswith(("-guardrails", "-boundary")) or "-roles-deployer-" in p.name
    ]
    assert len(protected) >= 8
    for arn in protected:
        for action in (
            "iam:CreatePolicyVersion",
            "iam:SetDefaultPolicyVersion",
            "iam:DeletePolicyVersion",
            "iam:DeletePolicy",
        ):
            assert not allowed(plan, stack, action, arn), (action, arn)


def test_the_deployer_creates_no_role_without_the_workload_boundary() -> None:
    plan, stack = plan_of("prod"), "prod"
    role = arn_of(plan, "sr-prod-roles-training")
    deployer_boundary = arn_of(plan, "sr-prod-roles-deployer-boundary")
    assert not allowed(plan, stack, "iam:CreateRole", role, {"iam:PermissionsBoundary": deployer_boundary})
    assert not allowed(plan, stack, "iam:CreateRole", role, {})
    assert not allowed(plan, stack, "iam:DeleteRolePermissionsBoundary", role)
    assert not allowed(
        plan, stack, "iam:PutRolePermissionsBoundary", role, {"iam:PermissionsBoundary": deployer_boundary}
    )


def test_the_deployer_passes_no_human_role_and_each_service_role_only_to_its_service() -> None:
    plan, stack = plan_of("prod"), "prod"
    for human in ("sr-prod-roles-model-approver", "sr-prod-roles-auditor"):
        for service in ("sagemaker.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com"):
            assert not allowed(
                plan, stack, "iam:PassRole", arn_of(plan, human), {"iam:PassedToService": service}
            )
    scientist = arn_of(plan, "sr-prod-roles-data-scientist")
    # Today still the Studio execution role: to SageMaker only, never to another service.
    assert not allowed(
        plan, stack, "iam:PassRole", scientist, {"iam:PassedToService": "cloudtrail.amazonaws.com"}
    )
    flow = arn_of(plan, "sr-prod-network-flow-logs-role")
    assert allowed(plan, stack, "iam:PassRole", flow, {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"})
    assert not allowed(plan, stack, "iam:PassRole", flow, {"iam:PassedToService": "sagemaker.amazonaws.com"})


def test_the_deployer_cannot_launch_an_unguarded_notebook_or_domain() -> None:
    plan, stack = plan_of("prod"), "prod"
    notebook = (
        arn_of(plan, "sr-prod-roles-training").split(":role/")[0].replace(":iam::", ":sagemaker:eu-west-2:")
    )
    notebook += ":notebook-instance/sr-prod-x"
    unguarded = {"aws:RequestedRegion": "eu-west-2", "sagemaker:DirectInternetAccess": "Enabled"}
    assert not allowed(plan, stack, "sagemaker:CreateNotebookInstance", notebook, unguarded)
    domain = notebook.replace("notebook-instance/sr-prod-x", "domain/d-123")
    public = {
        "aws:RequestedRegion": "eu-west-2",
        "aws:RequestTag/strongroom:environment": "prod",
        "sagemaker:AppNetworkAccessType": "PublicInternetOnly",
    }
    assert not allowed(plan, stack, "sagemaker:CreateDomain", domain, public)


def test_the_deployer_cannot_delete_disable_or_lock_out_keys() -> None:
    plan, stack = plan_of("prod"), "prod"
    for key in plan.of_type("aws:kms/key:Key"):
        arn = key.outputs["arn"]
        region = {"aws:RequestedRegion": arn.split(":")[3]}
        for action in ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteImportedKeyMaterial"):
            assert not allowed(plan, stack, action, arn, region), (action, arn)
        bypass = {**region, "kms:BypassPolicyLockoutSafetyCheck": "true"}
        assert not allowed(plan, stack, "kms:PutKeyPolicy", arn, bypass), arn
        assert allowed(plan, stack, "kms:PutKeyPolicy", arn, region), arn


def test_the_deployer_cannot_become_a_stack_role_whose_trust_it_manages() -> None:
    plan, stack = plan_of("prod"), "prod"
    approver = arn_of(plan, "sr-prod-roles-model-approver")
    # It may rewrite a stack role's trust (config changes deploy), so it must never assume a role.
    assert allowed(plan, stack, "iam:UpdateAssumeRolePolicy", approver)
    for action in ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"):
        assert decision(identity_documents(plan, stack), action, approver) == "Deny", action
