"""Least-privilege IAM: no wildcard actions, no wildcard resources outside the few actions AWS only grants on
"*", no PassRole on "*", a permission boundary on every role, no broad AWS managed policies, closed trust."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from policies.model import Control
from policies.props import (
    Index,
    PolicyDocumentError,
    Resource,
    as_list,
    is_world_principal,
    policy_document,
    statements,
)

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"

POLICY_TYPES = (ROLE, POLICY, ROLE_POLICY)

STAR_ONLY_ACTIONS: tuple[str, ...] = (
    "sts:GetCallerIdentity",
    "sts:GetServiceBearerToken",
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
    "logs:DescribeLogGroups",
    "ec2:Describe*",
    "kms:CreateKey",
    "kms:ListAliases",
    "kms:ListKeys",
    "s3:ListAllMyBuckets",
    "s3:GetAccountPublicAccessBlock",
    "sagemaker:List*",
    "sagemaker:Search",
    "iam:ListRoles",
    "iam:ListPolicies",
    "iam:ListOpenIDConnectProviders",
    "iam:GetAccountSummary",
    "cloudtrail:DescribeTrails",
    "cloudtrail:ListTrails",
    "cloudtrail:LookupEvents",
    "sns:ListTopics",
    "sns:Unsubscribe",
    "sns:GetSubscriptionAttributes",
    "sns:SetSubscriptionAttributes",
    "events:ListRules",
    "tag:GetResources",
)
"""Actions AWS authorises only on Resource "*" (no resource-level permissions in the Service Authorization
Reference). `ec2:Describe*` and `sagemaker:List*` stand for those read-only families, which have none either.
Each entry needs a reason to be here; a new one is a security review, not a convenience."""

BROAD_MANAGED_POLICIES: tuple[str, ...] = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def _documents(subject: Resource) -> Iterator[tuple[str, Any]]:
    """(where, policy JSON) for every permissions policy the resource carries."""
    if subject.type == ROLE:
        for i, inline in enumerate(subject.known("inlinePolicies", []) or []):
            if isinstance(inline, dict) and inline.get("policy") is not None:
                yield f"inline policy '{inline.get('name') or i}'", inline.get("policy")
    elif subject.get("policy") is not None:
        yield "policy", subject.known("policy")


def _allow_statements(subject: Resource) -> Iterator[tuple[str, int, dict[str, Any] | str]]:
    for where, raw in _documents(subject):
        try:
            document = policy_document(raw)
        except PolicyDocumentError as exc:
            yield where, -1, str(exc)
            continue
        for i, statement in enumerate(statements(document)):
            if statement.get("Effect") == "Allow":
                yield where, i, statement


def _actions(statement: dict[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def _wildcard_actions(subject: Resource, _index: Index) -> Iterator[str]:
    for where, i, statement in _allow_statements(subject):
        if isinstance(statement, str):
            yield f"{where} of {subject.label} {statement}"
            continue
        if statement.get("NotAction") is not None:
            yield f"{where} of {subject.label} statement {i} allows NotAction, i.e. every other action"
        for action in _actions(statement):
            if action == "*" or action.endswith(":*"):
                yield f"{where} of {subject.label} statement {i} allows action '{action}'"


def _star_only(action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), allowed.lower()) for allowed in STAR_ONLY_ACTIONS)


def _wildcard_resources(subject: Resource, _index: Index) -> Iterator[str]:
    for where, i, statement in _allow_statements(subject):
        if isinstance(statement, str):
            continue
        if "*" not in [str(r) for r in as_list(statement.get("Resource"))]:
            continue
        broad = [a for a in _actions(statement) if not _star_only(a)]
        if broad:
            yield f"{where} of {subject.label} statement {i} allows {', '.join(broad)} on Resource '*'"


def _pass_role(subject: Resource, _index: Index) -> Iterator[str]:
    for where, i, statement in _allow_statements(subject):
        if isinstance(statement, str):
            continue
        passes = [a for a in _actions(statement) if fnmatch.fnmatchcase("iam:passrole", a.lower())]
        resources = [str(r) for r in as_list(statement.get("Resource"))]
        wide = [r for r in resources if r == "*" or r.endswith(":role/*")]
        if passes and wide:
            yield f"{where} of {subject.label} statement {i} allows iam:PassRole on {', '.join(wide)}"


def _boundary(subject: Resource, _index: Index) -> Iterator[str]:
    if not subject.known("permissionsBoundary"):
        yield f"role {subject.label} has no permissionsBoundary"


def _broad_arns(arns: list[Any]) -> list[str]:
    found: list[str] = []
    for arn in arns:
        if isinstance(arn, str) and ":iam::aws:policy/" in arn:
            name = arn.rsplit("/", 1)[-1]
            if name in BROAD_MANAGED_POLICIES:
                found.append(name)
    return found


def _managed_policies(subject: Resource, _index: Index) -> Iterator[str]:
    if subject.type == ROLE:
        arns = subject.known("managedPolicyArns", []) or []
    else:
        arns = [subject.known("policyArn")]
    for name in _broad_arns(as_list(arns)):
        yield f"{subject.label} attaches the AWS managed policy {name}"


def _trust(subject: Resource, _index: Index) -> Iterator[str]:
    try:
        document = policy_document(subject.known("assumeRolePolicy"))
    except PolicyDocumentError as exc:
        yield f"trust policy of role {subject.label} {exc}"
        return
    for i, statement in enumerate(statements(document)):
        if statement.get("Effect") == "Allow" and is_world_principal(statement):
            yield f"trust policy of role {subject.label} statement {i} lets principal '*' assume the role"


_NIST_LP = ("AC-6", "AC-6(1)", "AC-3")

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-IAM-001",
        title="No IAM policy allows '*' or 'service:*' actions",
        severity="critical",
        enforcement="mandatory",
        resource_types=POLICY_TYPES,
        rationale="Wildcard actions grant every present and future permission of a service.",
        frameworks={"NIST-800-53-r5": _NIST_LP, "AWS-FSBP": ("IAM.1", "IAM.21"), "CIS-AWS-3.0": ("1.16",)},
        remediation="List the actions the role needs (policy_sentry or parliament help find them).",
        predicate=_wildcard_actions,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_62", "CKV_AWS_63"),
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-002",
        title="No Resource '*' except for actions AWS only grants on '*'",
        severity="high",
        enforcement="mandatory",
        resource_types=POLICY_TYPES,
        rationale="A permission on every resource reaches other environments' buckets, keys and roles.",
        frameworks={"NIST-800-53-r5": _NIST_LP},
        framework_note="FSBP IAM.1/IAM.21 only judge actions; no CIS or FSBP control judges resources.",
        remediation=(
            "Name the bucket, prefix, key and log group ARNs; Resource '*' is accepted only for the "
            "actions in "
            "policies.controls.identity.STAR_ONLY_ACTIONS."
        ),
        predicate=_wildcard_resources,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_355",),
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-003",
        title="No iam:PassRole on every role",
        severity="critical",
        enforcement="mandatory",
        resource_types=POLICY_TYPES,
        rationale=(
            "PassRole on '*' lets a principal hand any role, including admin roles, to a service it controls."
        ),
        frameworks={"NIST-800-53-r5": ("AC-6", "AC-6(10)")},
        framework_note="No CIS or FSBP control isolates iam:PassRole.",
        remediation=(
            "Allow iam:PassRole only on the training role ARN, with iam:PassedToService "
            "sagemaker.amazonaws.com."
        ),
        predicate=_pass_role,
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-004",
        title="Every role has a permission boundary",
        severity="high",
        enforcement="mandatory",
        resource_types=(ROLE,),
        rationale="A boundary caps what a role can ever do, even if a later policy grants more.",
        frameworks={"NIST-800-53-r5": ("AC-6", "AC-2")},
        framework_note="No CIS or FSBP control requires permission boundaries.",
        remediation="Set permissions_boundary=<boundary policy>.arn on the role.",
        predicate=_boundary,
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-005",
        title="No AdministratorAccess, PowerUserAccess or IAMFullAccess",
        severity="critical",
        enforcement="mandatory",
        resource_types=(
            ROLE,
            ROLE_POLICY_ATTACHMENT,
            POLICY_ATTACHMENT,
            USER_POLICY_ATTACHMENT,
            GROUP_POLICY_ATTACHMENT,
        ),
        rationale="These AWS managed policies grant administrative or near-administrative power.",
        frameworks={"NIST-800-53-r5": ("AC-6", "AC-6(5)"), "CIS-AWS-3.0": ("1.16",)},
        remediation="Attach customer managed least-privilege policies instead.",
        predicate=_managed_policies,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_274", "CKV2_AWS_56"),
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-006",
        title="No trust policy lets '*' assume a role",
        severity="critical",
        enforcement="mandatory",
        resource_types=(ROLE,),
        rationale="A trust policy with principal '*' lets any AWS account try to assume the role.",
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-17", "IA-2")},
        framework_note="No CIS or FSBP control checks trust policy principals.",
        remediation="Name the principals from the stack config; require MFA for humans in prod.",
        predicate=_trust,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_60",),
        tags=("identity", "iam"),
    ),
)
