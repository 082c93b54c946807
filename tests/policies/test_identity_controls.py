"""Identity controls over roles, users, policies and attachments, judged by what the policies mean."""

from __future__ import annotations

import fnmatch
import random
from typing import Any

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    TRUSTED_ACCOUNTS,
    Break,
    Spec,
    doc,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from strongroom.policies import iamdb
from strongroom.policies.controls.identity import (
    ACCESS_KEY,
    GROUP,
    GROUP_POLICY,
    GROUP_POLICY_ATTACHMENT,
    POLICY,
    POLICY_ATTACHMENT,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    USER,
    USER_LOGIN_PROFILE,
    USER_POLICY,
    USER_POLICY_ATTACHMENT,
    _glob,
    _pattern_problem,
    broad_resource,
    exact_arn,
)
from strongroom.policies.props import UNKNOWN, Context, Resource

ACCOUNT = "123456789012"
OTHER = "333333333333"
ORG = "o-abcdefghij"
trust = doc(
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
read = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::data-1234/curated/*"}
token = {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ec2:DescribeSubnets"], "Resource": "*"}
guard = {
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/strongroom-boundary"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/strongroom-training"
boundary = res(
    POLICY,
    "boundary",
    arn=BOUNDARY,
    policy=doc({"Effect": "Allow", "Action": ["s3:GetObject", "iam:PassRole"], "Resource": "*"}),
)
role = res(
    ROLE,
    "training",
    deps={"permissionsBoundary": [boundary]},
    arn=ROLE_ARN,
    assumeRolePolicy=trust,
    permissionsBoundary=BOUNDARY,
    inlinePolicies=[{"name": "data", "policy": doc(read, token, guard)}],
)
policy = res(POLICY, "p", policy=doc(read, token))
bucket = res("aws:s3/bucket:Bucket", "data", bucket="data-1234")


def with_statement(statement: dict[str, object], type_: str = POLICY) -> Resource:
    return res(type_, "p", role="training", policy=doc(read, statement))


def allow(action: Any, resource: Any = "arn:aws:s3:::x", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trusting(*statements: dict[str, Any], name: str = "r") -> Resource:
    return res(
        ROLE,
        name,
        arn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        permissionsBoundary=BOUNDARY,
        assumeRolePolicy=doc(*statements),
    )


def assume(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
GH = "token.actions.githubusercontent.com"


def github(condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Federated": GITHUB},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }


PINNED = {
    "StringEquals": {f"{GH}:aud": "sts.amazonaws.com", f"{GH}:sub": "repo:bank/strongroom:environment:dev"}
}
P1 = "policy of 'p' statement 1"
KMS = f"arn:aws:kms:eu-west-2:{ACCOUNT}"
EC2 = f"arn:aws:ec2:eu-west-2:{ACCOUNT}"
LOGS = f"arn:aws:logs:eu-west-2:{ACCOUNT}"
SAGEMAKER = f"arn:aws:sagemaker:eu-west-2:{ACCOUNT}"
ENVIRONMENT_TAG = "strongroom:environment"
TAGGED = {"Condition": {"StringEquals": {f"aws:ResourceTag/{ENVIRONMENT_TAG}": "dev"}}}
REQUEST_TAGGED = {"Condition": {"StringEquals": {f"aws:RequestTag/{ENVIRONMENT_TAG}": "dev"}}}
IN_VPC = {"Condition": {"ArnEquals": {"ec2:Vpc": f"{EC2}:vpc/vpc-0a1b2c3d4e5f60718"}}}
IN_SUBNET = {"Condition": {"ArnEquals": {"ec2:Subnet": [f"{EC2}:subnet/subnet-0a1b2c3d4e5f60718"]}}}


def granting(name: str, *statements: dict[str, Any]) -> Resource:
    return res(ROLE_POLICY, name, role="training", policy=doc(*statements))


ORG_CONTEXT = Context(stack="dev", trusted_accounts=TRUSTED_ACCOUNTS, organization_id=ORG)

SSO_PERSON = f"arn:aws:iam::{OTHER}:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_DS_0a1b"
ANALYSTS = f"arn:aws:iam::{ACCOUNT}:role/analysts"
SAGEMAKER_TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "sagemaker.amazonaws.com"},
    "Action": "sts:AssumeRole",
}
DOMAIN_TYPE = "aws:sagemaker/domain:Domain"
NOTEBOOK_TYPE = "aws:sagemaker/notebookInstance:NotebookInstance"
ASSUME_AND_NAME = ["sts:AssumeRole", "sts:SetSourceIdentity"]
NAMED = {"Null": {"sts:SourceIdentity": "false"}}
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
person = trusting(assume({"AWS": SSO_PERSON}, Action=ASSUME_AND_NAME, Condition=NAMED), name="person")
PROFILES = f"arn:aws:sagemaker:eu-west-2:{ACCOUNT}:user-profile/d-92143kt35iy7/*"
OWN = {"aws:ResourceTag/strongroom:studio-user": "${aws:SourceIdentity}"}
VPCE = "vpce-0a1b2c3d4e5f60718"


def sign_in(
    action: Any = "sagemaker:CreatePresignedDomainUrl", condition: Any = None, resource: Any = PROFILES
) -> Resource:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition is not None:
        statement["Condition"] = condition
    return res(ROLE_POLICY, "p", role="ds", policy=doc(statement))


SIGN_IN_SOURCE = (
    "without an aws:SourceVpce (StringEquals, vpce-...) or aws:SourceIp (IpAddress, /16 or narrower) "
    "condition: sign-in URLs can be minted from anywhere"
)


def wide_source(*values: str) -> str:
    """The SR-IAM-051 message on statement 0 of 'p' granting CreatePresignedDomainUrl from `values`
    (each as the control shows it: "'0.0.0.0/1' (2147483648 addresses)")."""
    return (
        "policy of 'p' statement 0 grants sagemaker:CreatePresignedDomainUrl from aws:SourceIp "
        f"{', '.join(values)}, wider than /16 (IPv6 /48) or no range at all: sign-in URLs can be minted "
        "from far beyond the bank's own ranges"
    )


def from_ips(*values: Any) -> Resource:
    return sign_in(condition={"StringEquals": OWN, "IpAddress": {"aws:SourceIp": list(values)}})


EVERY_PROFILE = (
    "policy of 'p' statement 0 grants sagemaker:CreatePresignedDomainUrl on every user profile it names: no "
    "StringEquals aws:ResourceTag/<key> condition equal to the caller's identity (${aws:SourceIdentity}, "
    "${aws:PrincipalTag/...}, ${aws:userid})"
)
NOT_NAMED = (
    "assume the role without requiring sts:SourceIdentity (Null false, or StringEquals/StringLike a value): "
    "its actions are not tied to a person"
)
NO_MFA = (
    "assume the role without Bool aws:MultiFactorAuthPresent true (only IAM Identity Center permission-set "
    "roles get MFA from their sign-in)"
)


SPECS: dict[str, Spec] = {
    "SR-IAM-001": Spec(
        baseline=[
            role,
            policy,
            res(ROLE_POLICY, "rp", role="training", policy=doc(read)),
            res(GROUP_POLICY, "gp", policy=doc(allow(["s3:Get*Tagging"]))),
        ],
        breaks=[
            Break("star", [with_statement(allow("*"))], "p", [f"{P1} allows action '*'"]),
            Break(
                "service-star",
                [with_statement(allow(["s3:*"]), ROLE_POLICY)],
                "p",
                [f"{P1} allows action 's3:*'"],
            ),
            Break(
                "service-star-upper-case",
                [with_statement(allow("S3:*"))],
                "p",
                [f"{P1} allows action 'S3:*'"],
            ),
            Break(
                "every-action-of-a-service-spelled-otherwise",
                [with_statement(allow("sts:?*"))],
                "p",
                [f"{P1} allows action 'sts:?*', which matches every action of sts"],
            ),
            Break(
                "wildcard-service",
                [with_statement(allow("*:*"))],
                "p",
                [f"{P1} allows action '*:*', which matches every action of every service"],
            ),
            Break(
                "not-action",
                [with_statement({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::x"})],
                "p",
                [f"{P1} allows NotAction, i.e. every other action"],
            ),
            Break(
                "iam-role-pattern",
                [with_statement(allow("iam:*Role*"), USER_POLICY)],
                "p",
                [
                    f"{P1} allows action 'iam:*Role*', which matches 7 permissions-management action(s) "
                    "(iam:AttachRolePolicy, iam:DeleteRolePermissionsBoundary, iam:DeleteRolePolicy, ...)"
                ],
            ),
            Break(
                "iam-put",
                [with_statement(allow(["iam:Put*"]))],
                "p",
                [
                    f"{P1} allows action 'iam:Put*', which matches 5 permissions-management action(s) "
                    "(iam:PutGroupPolicy, iam:PutRolePermissionsBoundary, iam:PutRolePolicy, ...)"
                ],
            ),
            Break(
                "kms-key-policy-pattern",
                [with_statement(allow("kms:Put*"))],
                "p",
                [
                    f"{P1} allows action 'kms:Put*', which matches 1 permissions-management action(s) "
                    "(kms:PutKeyPolicy)"
                ],
            ),
            Break(
                "unknown-action",
                [with_statement(allow(["s3:GetObjects"]))],
                "p",
                [
                    f"{P1} allows action 's3:GetObjects', which matches no action in the IAM database "
                    "(unknown action)"
                ],
            ),
            Break(
                "unknown-service",
                [with_statement(allow("s4:Get*"))],
                "p",
                [
                    f"{P1} allows action 's4:Get*', which matches no action in the IAM database (unknown "
                    "action)"
                ],
            ),
            Break(
                "inline",
                [
                    res(
                        ROLE,
                        "r",
                        inlinePolicies=[{"name": "admin", "policy": doc({"Effect": "Allow", "Action": "*"})}],
                    )
                ],
                "r",
                ["inline policy 'admin' of 'r' statement 0 allows action '*'"],
            ),
            Break(
                "single-statement-object",
                [
                    res(
                        POLICY,
                        "p",
                        policy='{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*"}}',
                    )
                ],
                "p",
                ["policy of 'p' statement 0 allows action '*'"],
            ),
            Break(
                "group-policy",
                [res(GROUP_POLICY, "g", policy=doc(allow("ec2:*")))],
                "g",
                ["policy of 'g' statement 0 allows action 'ec2:*'"],
            ),
            Break(
                "not-json",
                [res(POLICY, "p", policy="{nope")],
                "p",
                [
                    "policy of 'p' is not valid JSON (Expecting property name enclosed in double quotes at "
                    "character 1)"
                ],
            ),
        ],
        not_applicable=[bucket, res(ROLE_POLICY_ATTACHMENT, "a", policyArn=BOUNDARY)],
    ),
    "SR-IAM-002": Spec(
        baseline=[
            role,
            policy,
            boundary,
            with_statement(allow(["ec2:DescribeSubnets", "ec2:DescribeVpcs", "sagemaker:ListDomains"], "*")),
            granting("jobs", allow("sagemaker:DescribeTrainingJob", f"{SAGEMAKER}:training-job/sr-dev-*")),
            granting("roles", allow("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/*")),
            granting(
                "logs", allow("logs:GetLogEvents", f"{LOGS}:log-group:/aws/sagemaker/Jobs:log-stream:*")
            ),
            granting("tagged", allow("ec2:RevokeSecurityGroupIngress", f"{EC2}:security-group/*", **TAGGED)),
            granting("created", allow("ec2:CreateSecurityGroup", f"{EC2}:*", **REQUEST_TAGGED)),
            granting(
                "in-vpc",
                allow("ec2:DeleteNetworkInterface", f"{EC2}:network-interface/*", **IN_VPC),
                allow("ec2:DeleteNetworkInterface", f"{EC2}:network-interface/*", **IN_SUBNET),
            ),
        ],
        stack="dev",
        breaks=[
            Break(
                "every-key-of-the-account",
                [with_statement(allow("kms:Decrypt", f"{KMS}:key/*"))],
                "p",
                [f"{P1} allows kms:Decrypt on Resource '{KMS}:key/*'"],
            ),
            Break(
                "every-key-with-a-tag-kms-key-actions-do-not-list",
                [with_statement(allow("kms:Decrypt", f"{KMS}:key/*", **TAGGED))],
                "p",
                [f"{P1} allows kms:Decrypt on Resource '{KMS}:key/*'"],
            ),
            Break(
                "every-alias-secret-topic-and-job",
                [
                    with_statement(
                        allow(
                            ["kms:DescribeKey", "secretsmanager:GetSecretValue", "sns:Publish"],
                            [
                                f"{KMS}:alias/*",
                                f"arn:aws:secretsmanager:eu-west-2:{ACCOUNT}:secret:*",
                                f"arn:aws:sns:eu-west-2:{ACCOUNT}:*-alerts",
                                f"{SAGEMAKER}:training-job/*",
                            ],
                        )
                    )
                ],
                "p",
                [
                    f"{P1} allows kms:DescribeKey, secretsmanager:GetSecretValue, sns:Publish on Resource "
                    f"'{KMS}:alias/*', Resource 'arn:aws:secretsmanager:eu-west-2:{ACCOUNT}:secret:*', "
                    f"Resource 'arn:aws:sns:eu-west-2:{ACCOUNT}:*-alerts', "
                    f"Resource '{SAGEMAKER}:training-job/*'"
                ],
            ),
            Break(
                "every-log-stream-and-every-bucket-named-alike",
                [
                    with_statement(
                        allow("s3:GetObject", ["arn:aws:s3:::*-data/*", f"{LOGS}:log-group:*:log-stream:*"])
                    )
                ],
                "p",
                [
                    f"{P1} allows s3:GetObject on Resource 'arn:aws:s3:::*-data/*', Resource "
                    f"'{LOGS}:log-group:*:log-stream:*'"
                ],
            ),
            Break(
                "typed-wildcard-without-a-condition",
                [with_statement(allow("ec2:RevokeSecurityGroupIngress", f"{EC2}:security-group/*"))],
                "p",
                [f"{P1} allows ec2:RevokeSecurityGroupIngress on Resource '{EC2}:security-group/*'"],
            ),
            Break(
                "tag-of-another-stack",
                [
                    with_statement(
                        allow(
                            "ec2:RevokeSecurityGroupIngress",
                            f"{EC2}:security-group/*",
                            Condition={"StringEquals": {f"aws:ResourceTag/{ENVIRONMENT_TAG}": "prod"}},
                        )
                    )
                ],
                "p",
                [f"{P1} allows ec2:RevokeSecurityGroupIngress on Resource '{EC2}:security-group/*'"],
            ),
            Break(
                "tag-if-exists",
                [
                    with_statement(
                        allow(
                            "ec2:RevokeSecurityGroupIngress",
                            f"{EC2}:security-group/*",
                            Condition={"StringEqualsIfExists": {f"aws:ResourceTag/{ENVIRONMENT_TAG}": "dev"}},
                        )
                    )
                ],
                "p",
                [f"{P1} allows ec2:RevokeSecurityGroupIngress on Resource '{EC2}:security-group/*'"],
            ),
            Break(
                "tag-an-action-of-the-statement-does-not-support",
                [
                    with_statement(
                        allow(["ec2:RevokeSecurityGroupIngress", "kms:Decrypt"], f"{EC2}:*", **TAGGED)
                    )
                ],
                "p",
                [f"{P1} allows ec2:RevokeSecurityGroupIngress, kms:Decrypt on Resource '{EC2}:*'"],
            ),
            Break(
                "vpc-condition-with-a-wildcard",
                [
                    with_statement(
                        allow(
                            "ec2:DeleteNetworkInterface",
                            f"{EC2}:network-interface/*",
                            Condition={"ArnLike": {"ec2:Vpc": f"{EC2}:vpc/*"}},
                        )
                    )
                ],
                "p",
                [f"{P1} allows ec2:DeleteNetworkInterface on Resource '{EC2}:network-interface/*'"],
            ),
            Break(
                "tag-does-not-confine-any-account",
                [with_statement(allow("ec2:RevokeSecurityGroupIngress", "*", **TAGGED))],
                "p",
                [f"{P1} allows ec2:RevokeSecurityGroupIngress on Resource '*'"],
            ),
            Break(
                "get-object",
                [with_statement(allow(["s3:GetObject", "sts:GetCallerIdentity"], "*"))],
                "p",
                [f"{P1} allows s3:GetObject on Resource '*'"],
            ),
            Break(
                "list-tags-has-resource-types",
                [with_statement(allow(["sagemaker:ListTags", "sagemaker:ListDomains"], "*"))],
                "p",
                [f"{P1} allows sagemaker:ListTags on Resource '*'"],
            ),
            Break(
                "describe-pattern-includes-scoped-actions",
                [with_statement(allow(["ec2:Describe*"], "*"))],
                "p",
                [f"{P1} allows ec2:Describe* on Resource '*'"],
            ),
            Break(
                "list-pattern",
                [with_statement(allow(["sagemaker:List*"], "*"))],
                "p",
                [f"{P1} allows sagemaker:List* on Resource '*'"],
            ),
            Break(
                "unknown-action-on-star",
                [with_statement(allow(["sts:GetCallerIdentityX"], "*"))],
                "p",
                [f"{P1} allows sts:GetCallerIdentityX on Resource '*'"],
            ),
            Break(
                "every-bucket",
                [with_statement(allow("s3:GetObject", ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]))],
                "p",
                [f"{P1} allows s3:GetObject on Resource 'arn:aws:s3:::*', Resource 'arn:aws:s3:::*/*'"],
            ),
            Break(
                "every-role-of-the-account",
                [with_statement(allow("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/?*"))],
                "p",
                [f"{P1} allows iam:GetRole on Resource 'arn:aws:iam::{ACCOUNT}:role/?*'"],
            ),
            Break(
                "region-wide",
                [with_statement(allow("kms:Decrypt", f"arn:aws:kms:eu-west-2:{ACCOUNT}:*"))],
                "p",
                [f"{P1} allows kms:Decrypt on Resource 'arn:aws:kms:eu-west-2:{ACCOUNT}:*'"],
            ),
            Break(
                "any-account",
                [with_statement(allow("kms:Decrypt", "arn:aws:kms:eu-west-2:*:key/k"))],
                "p",
                [f"{P1} allows kms:Decrypt on Resource 'arn:aws:kms:eu-west-2:*:key/k'"],
            ),
            Break(
                "not-resource",
                [
                    with_statement(
                        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::x"}
                    )
                ],
                "p",
                [f"{P1} allows s3:GetObject on NotResource"],
            ),
            Break(
                "not-action-on-star",
                [with_statement({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, USER_POLICY)],
                "p",
                [f"{P1} allows NotAction iam:* on Resource '*'"],
            ),
            Break(
                "boundary-also-attached",
                [
                    boundary,
                    role,
                    res(ROLE_POLICY_ATTACHMENT, "a", deps={"policyArn": [boundary]}, policyArn=BOUNDARY),
                ],
                "boundary",
                ["policy of 'boundary' statement 0 allows s3:GetObject, iam:PassRole on Resource '*'"],
            ),
        ],
        not_applicable=[bucket],
    ),
    "SR-IAM-003": Spec(
        baseline=[
            role,
            boundary,
            with_statement(
                allow(
                    "iam:PassRole",
                    ROLE_ARN,
                    Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                )
            ),
        ],
        breaks=[
            Break(
                "star",
                [with_statement(allow("iam:PassRole", "*"))],
                "p",
                [f"{P1} allows iam:PassRole on *"],
            ),
            Break(
                "every-role",
                [with_statement(allow("iam:Pass*", "arn:aws:iam::1:role/*"))],
                "p",
                [f"{P1} allows iam:PassRole on arn:aws:iam::1:role/*"],
            ),
            Break(
                "path-wildcard",
                [with_statement(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/strongroom/*"))],
                "p",
                [f"{P1} allows iam:PassRole on arn:aws:iam::{ACCOUNT}:role/strongroom/*"],
            ),
            Break(
                "any-account",
                [with_statement(allow("sts:Assume*", "arn:aws:iam::*:role/admin"))],
                "p",
                [f"{P1} allows sts:AssumeRole on arn:aws:iam::*:role/admin"],
            ),
            Break(
                "role-pattern",
                [with_statement(allow("iam:*RolePolicy", f"arn:aws:iam::{ACCOUNT}:role/x*"))],
                "p",
                [
                    f"{P1} allows iam:AttachRolePolicy, iam:DeleteRolePolicy, iam:DetachRolePolicy, "
                    f"iam:PutRolePolicy, iam:UpdateAssumeRolePolicy on arn:aws:iam::{ACCOUNT}:role/x*"
                ],
            ),
            Break(
                "not-action",
                [
                    with_statement(
                        {
                            "Effect": "Allow",
                            "NotAction": "s3:*",
                            "Resource": "arn:aws:lambda:eu-west-2:1:function:*",
                        }
                    )
                ],
                "p",
                [
                    f"{P1} allows "
                    + ", ".join(sorted(iamdb.ESCALATION_ACTIONS))
                    + " on arn:aws:lambda:eu-west-2:1:function:*"
                ],
            ),
            Break(
                "not-resource",
                [
                    with_statement(
                        {
                            "Effect": "Allow",
                            "Action": "lambda:UpdateFunctionCode",
                            "NotResource": "arn:aws:lambda:eu-west-2:1:function:x",
                        }
                    )
                ],
                "p",
                [f"{P1} allows lambda:UpdateFunctionCode on NotResource"],
            ),
            Break(
                "user-policy-access-keys",
                [with_statement(allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/*"), USER_POLICY)],
                "p",
                [f"{P1} allows iam:CreateAccessKey on arn:aws:iam::{ACCOUNT}:user/*"],
            ),
            Break(
                "role-inline",
                [
                    res(
                        ROLE,
                        "r",
                        inlinePolicies=[
                            {"name": "x", "policy": doc(allow("iam:UpdateAssumeRolePolicy", "*"))}
                        ],
                    )
                ],
                "r",
                ["inline policy 'x' of 'r' statement 0 allows iam:UpdateAssumeRolePolicy on *"],
            ),
        ],
        not_applicable=[bucket],
    ),
    "SR-IAM-004": Spec(
        baseline=[role, boundary],
        breaks=[
            Break(
                "missing",
                [res(ROLE, "r", assumeRolePolicy=trust)],
                "r",
                ["role 'r' has no permissionsBoundary"],
            ),
            Break(
                "aws-managed",
                [res(ROLE, "r", permissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")],
                "r",
                [
                    "role 'r' has the AWS managed policy arn:aws:iam::aws:policy/ReadOnlyAccess as its "
                    "permissionsBoundary"
                ],
            ),
            Break(
                "not-from-the-stack",
                [boundary, res(ROLE, "r", permissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/elsewhere")],
                "r",
                [
                    f"role 'r' has permissionsBoundary arn:aws:iam::{ACCOUNT}:policy/elsewhere, which is "
                    "not a policy of this stack"
                ],
            ),
            Break(
                "user-without",
                [res(USER, "u", path="/")],
                "u",
                ["user 'u' has no permissionsBoundary"],
            ),
        ],
        not_applicable=[policy],
    ),
    "SR-IAM-005": Spec(
        baseline=[
            role,
            res(
                ROLE_POLICY_ATTACHMENT,
                "ro",
                role="auditor",
                policyArn="arn:aws:iam::aws:policy/SecurityAudit",
            ),
        ],
        breaks=[
            Break(
                "attachment",
                [res(ROLE_POLICY_ATTACHMENT, "a", policyArn="arn:aws:iam::aws:policy/AdministratorAccess")],
                "a",
                ["'a' attaches the AWS managed policy AdministratorAccess"],
            ),
            Break(
                "role-managed-arns",
                [
                    res(
                        ROLE,
                        "r",
                        managedPolicyArns=[
                            "arn:aws:iam::aws:policy/PowerUserAccess",
                            "arn:aws-us-gov:iam::aws:policy/IAMFullAccess",
                        ],
                    )
                ],
                "r",
                [
                    "'r' attaches the AWS managed policy PowerUserAccess",
                    "'r' attaches the AWS managed policy IAMFullAccess",
                ],
            ),
            Break(
                "full-access-by-suffix",
                [res(ROLE_POLICY_ATTACHMENT, "a", policyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")],
                "a",
                ["'a' attaches the AWS managed policy AmazonS3FullAccess"],
            ),
            Break(
                "exclusive-attachments",
                [
                    res(
                        ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
                        "x",
                        roleName="r",
                        policyArns=[
                            "arn:aws:iam::aws:policy/SecurityAudit",
                            "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
                        ],
                    )
                ],
                "x",
                ["'x' attaches the AWS managed policy AmazonSageMakerFullAccess"],
            ),
            Break(
                "policy-attachment",
                [
                    res(
                        POLICY_ATTACHMENT,
                        "pa",
                        roles=["r"],
                        policyArn="arn:aws:iam::aws:policy/SecretsManagerReadWrite",
                    )
                ],
                "pa",
                ["'pa' attaches the AWS managed policy SecretsManagerReadWrite"],
            ),
            Break(
                "user-attachment",
                [
                    res(
                        USER_POLICY_ATTACHMENT,
                        "ua",
                        user="u",
                        policyArn="arn:aws:iam::aws:policy/job-function/SystemAdministrator",
                    )
                ],
                "ua",
                ["'ua' attaches the AWS managed policy SystemAdministrator"],
            ),
            Break(
                "group-attachment",
                [
                    res(
                        GROUP_POLICY_ATTACHMENT,
                        "ga",
                        group="g",
                        policyArn="arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser",
                    )
                ],
                "ga",
                ["'ga' attaches the AWS managed policy AWSKeyManagementServicePowerUser"],
            ),
            Break(
                "as-boundary",
                [res(ROLE, "r", permissionsBoundary="arn:aws:iam::aws:policy/AdministratorAccess")],
                "r",
                ["'r' uses as its permissions boundary the AWS managed policy AdministratorAccess"],
            ),
        ],
        not_applicable=[policy],
    ),
    "SR-IAM-006": Spec(
        baseline=[
            role,
            trusting(assume({"AWS": f"arn:aws:iam::{ACCOUNT}:role/sso"}), name="human"),
            trusting(
                assume(
                    {"AWS": f"arn:aws:iam::{OTHER}:role/ci"},
                    Condition={"StringEquals": {"sts:ExternalId": "x1"}},
                ),
                name="partner",
            ),
            trusting(github(PINNED), name="deployer"),
            trusting(
                github(
                    {
                        "StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
                        "StringLike": {f"{GH}:sub": "repo:bank/strongroom:ref:refs/heads/*"},
                    }
                ),
                name="ci",
            ),
        ],
        breaks=[
            Break(
                "star",
                [trusting(assume({"AWS": "*"}))],
                "r",
                ["trust policy of role 'r' statement 0 lets principal '*' assume the role"],
            ),
            Break(
                "bare-star",
                [trusting(assume("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))],
                "r",
                ["trust policy of role 'r' statement 0 lets principal '*' assume the role"],
            ),
            Break(
                "every-root",
                [trusting(assume({"AWS": "arn:aws:iam::*:root"}))],
                "r",
                ["trust policy of role 'r' statement 0 lets principal 'arn:aws:iam::*:root' assume the role"],
            ),
            Break(
                "not-principal",
                [
                    trusting(
                        {
                            "Effect": "Allow",
                            "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                            "Action": "sts:AssumeRole",
                        }
                    )
                ],
                "r",
                [
                    "trust policy of role 'r' statement 0 uses NotPrincipal: every principal but the ones "
                    "named may assume the role"
                ],
            ),
            Break(
                "outside-account",
                [trusting(assume({"AWS": "arn:aws:iam::999999999999:root"}))],
                "r",
                [
                    "trust policy of role 'r' statement 0 lets principal 'arn:aws:iam::999999999999:root' "
                    "of account 999999999999, outside the perimeter, in"
                ],
            ),
            Break(
                "bare-outside-account-id",
                [trusting(assume({"AWS": "999999999999"}))],
                "r",
                [
                    "trust policy of role 'r' statement 0 lets principal '999999999999' of account "
                    "999999999999, outside the perimeter, in"
                ],
            ),
            Break(
                "cross-account-unpinned",
                [trusting(assume({"AWS": f"arn:aws:iam::{OTHER}:role/ci"}))],
                "r",
                [
                    f"trust policy of role 'r' statement 0 lets account {OTHER} assume the role without an "
                    "sts:ExternalId or an aws:PrincipalOrgID condition (StringEquals, the perimeter's "
                    "organization)"
                ],
            ),
            Break(
                "cross-account-foreign-org",
                [
                    trusting(
                        assume(
                            {"AWS": f"arn:aws:iam::{OTHER}:role/ci"},
                            Condition={"StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}},
                        )
                    )
                ],
                "r",
                [
                    f"trust policy of role 'r' statement 0 lets account {OTHER} assume the role without an "
                    "sts:ExternalId or an aws:PrincipalOrgID condition (StringEquals, the perimeter's "
                    "organization)"
                ],
                context=ORG_CONTEXT,
            ),
            Break(
                "github-unpinned-sub",
                [trusting(github({"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}}))],
                "r",
                [
                    f"trust policy of role 'r' statement 0 trusts identity provider '{GITHUB}' without "
                    f"pinning {GH}:sub (StringEquals/StringLike)"
                ],
            ),
            Break(
                "github-wildcard-repository",
                [
                    trusting(
                        github(
                            {
                                "StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
                                "StringLike": {f"{GH}:sub": "repo:bank/*:*"},
                            }
                        )
                    )
                ],
                "r",
                [
                    f"trust policy of role 'r' statement 0 trusts identity provider '{GITHUB}' for {GH}:sub "
                    "'repo:bank/*:*', which is not pinned"
                ],
            ),
            Break(
                "github-if-exists-does-not-pin",
                [
                    trusting(
                        github(
                            {
                                "StringEqualsIfExists": {f"{GH}:sub": "repo:bank/strongroom:environment:dev"},
                                "StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
                            }
                        )
                    )
                ],
                "r",
                [
                    f"trust policy of role 'r' statement 0 trusts identity provider '{GITHUB}' without "
                    f"pinning {GH}:sub (StringEquals/StringLike)"
                ],
            ),
            Break(
                "github-no-audience",
                [trusting(github({"StringLike": {f"{GH}:sub": "repo:bank/strongroom:*"}}))],
                "r",
                [
                    f"trust policy of role 'r' statement 0 trusts identity provider '{GITHUB}' without "
                    f"pinning {GH}:aud (StringEquals, no wildcard)"
                ],
            ),
        ],
        not_applicable=[policy],
        context=ORG_CONTEXT,
    ),
    "SR-IAM-007": Spec(
        baseline=[role, policy],
        breaks=[
            Break(
                "user",
                [res(USER, "u", path="/")],
                "u",
                ["'u' is an IAM user; the environment allows roles only"],
            ),
            Break(
                "access-key",
                [res(ACCESS_KEY, "k", user="alice")],
                "k",
                ["'k' is a long-lived IAM access key; the environment allows roles only"],
            ),
            Break(
                "login-profile",
                [res(USER_LOGIN_PROFILE, "lp", user="alice")],
                "lp",
                ["'lp' is a console password of an IAM user; the environment allows roles only"],
            ),
            Break(
                "group",
                [res(GROUP, "g", path="/")],
                "g",
                ["'g' is an IAM group (groups only hold users); the environment allows roles only"],
            ),
        ],
        not_applicable=[role, policy, bucket],
        forbidden=True,
    ),
    "SR-IAM-050": Spec(
        baseline=[
            role,
            person,
            res(DOMAIN_TYPE, "studio", defaultUserSettings={"executionRole": ROLE_ARN}),
            res(NOTEBOOK_TYPE, "nb", deps={"roleArn": [role]}, roleArn=UNKNOWN),
        ],
        breaks=[
            Break(
                "person-and-sagemaker",
                [trusting(assume({"AWS": SSO_PERSON}), SAGEMAKER_TRUST, name="ds")],
                "ds",
                [
                    f"role 'ds' is trusted by SageMaker and by people ({SSO_PERSON}): a person's role is "
                    "also an execution role, so what any notebook or app runs acts as them"
                ],
            ),
            Break(
                "anyone-and-sagemaker",
                [
                    trusting(
                        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
                        SAGEMAKER_TRUST,
                        name="ds",
                    )
                ],
                "ds",
                [
                    "role 'ds' is trusted by SageMaker and by people (*): a person's role is also an "
                    "execution "
                    "role, so what any notebook or app runs acts as them"
                ],
            ),
            Break(
                "domain-runs-as-a-person",
                [
                    person,
                    res(
                        DOMAIN_TYPE,
                        "studio",
                        defaultSpaceSettings={"executionRole": f"arn:aws:iam::{ACCOUNT}:role/person"},
                    ),
                ],
                "studio",
                [
                    "Studio domain 'studio' runs as role 'person' "
                    "(defaultSpaceSettings.executionRole), which "
                    f"people assume ({SSO_PERSON}): the execution role must be trusted by SageMaker only"
                ],
            ),
            Break(
                "notebook-by-dependency",
                [person, res(NOTEBOOK_TYPE, "nb", deps={"roleArn": [person]}, roleArn=UNKNOWN)],
                "nb",
                [
                    "notebook instance 'nb' runs as role 'person' (roleArn), which people assume "
                    f"({SSO_PERSON}): the execution role must be trusted by SageMaker only"
                ],
            ),
        ],
        not_applicable=[policy, bucket],
    ),
    "SR-IAM-051": Spec(
        baseline=[
            sign_in(condition={"StringEquals": {**OWN, "aws:SourceVpce": [VPCE]}}),
            res(
                ROLE_POLICY,
                "notebook",
                role="ds",
                policy=doc(
                    {
                        "Effect": "Allow",
                        "Action": "sagemaker:CreatePresignedNotebookInstanceUrl",
                        "Resource": f"arn:aws:sagemaker:eu-west-2:{ACCOUNT}:notebook-instance/dev-*",
                        "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}},
                    }
                ),
            ),
            res(
                ROLE_POLICY,
                "bank-ranges",
                role="ds",
                policy=doc(
                    {
                        "Effect": "Allow",
                        "Action": "sagemaker:CreatePresignedDomainUrl",
                        "Resource": PROFILES,
                        "Condition": {
                            "StringEquals": OWN,
                            # the widest the settings accept (/16), a single address, an IPv6 /48
                            "IpAddress": {
                                "aws:SourceIp": ["198.51.0.0/16", "192.0.2.10", "2001:db8:1234::/48"]
                            },
                        },
                    }
                ),
            ),
            policy,
        ],
        breaks=[
            Break(
                "no-source",
                [sign_in(condition={"StringEquals": OWN})],
                "p",
                [f"policy of 'p' statement 0 grants sagemaker:CreatePresignedDomainUrl {SIGN_IN_SOURCE}"],
            ),
            Break(
                "every-profile",
                [sign_in(condition={"StringEquals": {"aws:SourceVpce": VPCE}})],
                "p",
                [EVERY_PROFILE],
            ),
            Break(
                "profile-of-a-named-person",
                [
                    sign_in(
                        condition={"StringEquals": {"aws:SourceVpce": VPCE, "aws:ResourceTag/owner": "alice"}}
                    )
                ],
                "p",
                [EVERY_PROFILE],
            ),
            Break(
                "wildcard-action-anywhere",
                [sign_in(action="sagemaker:CreatePresigned*", resource="*")],
                "p",
                [
                    "policy of 'p' statement 0 grants sagemaker:CreatePresignedDomainUrl, "
                    f"sagemaker:CreatePresignedNotebookInstanceUrl {SIGN_IN_SOURCE}",
                    EVERY_PROFILE,
                ],
            ),
            Break(
                "every-address",
                [sign_in(condition={"StringEquals": OWN, "IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})],
                "p",
                [wide_source("'0.0.0.0/0' (4294967296 addresses)")],
            ),
            Break(
                "two-halves-of-the-internet",
                [from_ips("0.0.0.0/1", "128.0.0.0/1")],
                "p",
                [wide_source("'0.0.0.0/1' (2147483648 addresses)", "'128.0.0.0/1' (2147483648 addresses)")],
            ),
            Break(
                "one-wide-range-among-narrow-ones",
                [from_ips("203.0.113.0/24", "10.0.0.0/15")],
                "p",
                [wide_source("'10.0.0.0/15' (131072 addresses)")],
            ),
            Break(
                "ipv6-wider-than-48",
                [from_ips("2001:db8::/32")],
                "p",
                [wide_source("'2001:db8::/32' (79228162514264337593543950336 addresses)")],
            ),
            Break(
                "ipv4-mapped-ipv6-is-the-ipv4-internet",
                [from_ips("::ffff:0:0/96")],
                "p",
                [wide_source("'::ffff:0:0/96' (4294967296 addresses)")],
            ),
            Break(
                "not-an-address-range",
                [from_ips("the-bank", "203.0.113.0/33")],
                "p",
                [wide_source("'the-bank' (not an address range)", "'203.0.113.0/33' (not an address range)")],
            ),
            Break(
                "if-exists-evasion",
                [sign_in(condition={"StringEquals": OWN, "StringEqualsIfExists": {"aws:SourceVpce": VPCE}})],
                "p",
                [f"policy of 'p' statement 0 grants sagemaker:CreatePresignedDomainUrl {SIGN_IN_SOURCE}"],
            ),
        ],
        not_applicable=[bucket],
    ),
    "SR-IAM-052": Spec(
        baseline=[
            role,
            person,
            trusting(
                assume({"AWS": ANALYSTS}, Action=ASSUME_AND_NAME, Condition={**NAMED, **MFA}), name="analysts"
            ),
            trusting(
                assume(
                    {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                    Action=ASSUME_AND_NAME,
                    Condition={"StringLike": {"sts:SourceIdentity": "${aws:username}"}, **MFA},
                ),
                name="alice",
            ),
            trusting(
                assume(
                    {"AWS": f"arn:aws:iam::{OTHER}:role/ci"},
                    Condition={"StringEquals": {"sts:ExternalId": "x1"}},
                ),
                name="partner",
            ),
            trusting(github(PINNED), name="deployer"),
        ],
        breaks=[
            Break(
                "no-source-identity",
                [trusting(assume({"AWS": SSO_PERSON}), name="person")],
                "person",
                [f"trust policy of role 'person' statement 0 lets {SSO_PERSON} {NOT_NAMED}"],
            ),
            Break(
                "iam-role-without-mfa",
                [
                    trusting(
                        assume({"AWS": ANALYSTS}, Action=ASSUME_AND_NAME, Condition=NAMED), name="analysts"
                    )
                ],
                "analysts",
                [f"trust policy of role 'analysts' statement 0 lets {ANALYSTS} {NO_MFA}"],
            ),
            Break(
                "neither",
                [trusting(assume({"AWS": ANALYSTS}), name="analysts")],
                "analysts",
                [
                    f"trust policy of role 'analysts' statement 0 lets {ANALYSTS} {NOT_NAMED}",
                    f"trust policy of role 'analysts' statement 0 lets {ANALYSTS} {NO_MFA}",
                ],
            ),
            Break(
                "any-source-identity",
                [
                    trusting(
                        assume({"AWS": SSO_PERSON}, Condition={"StringLike": {"sts:SourceIdentity": "*"}}),
                        name="person",
                    )
                ],
                "person",
                [f"trust policy of role 'person' statement 0 lets {SSO_PERSON} {NOT_NAMED}"],
            ),
            Break(
                "mfa-false",
                [
                    trusting(
                        assume(
                            {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                            Condition={**NAMED, "Bool": {"aws:MultiFactorAuthPresent": "false"}},
                        ),
                        name="root",
                    )
                ],
                "root",
                [f"trust policy of role 'root' statement 0 lets arn:aws:iam::{ACCOUNT}:root {NO_MFA}"],
            ),
        ],
        not_applicable=[policy, bucket],
    ),
}


def test_broad_and_exact_resources() -> None:
    assert broad_resource("*") and broad_resource("arn:*") and broad_resource("arn:aws:s3:::*")
    assert broad_resource(f"arn:aws:iam::{ACCOUNT}:user/*")
    assert not broad_resource(f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/*")
    assert not broad_resource("arn:aws:s3:::data-1234/curated/*")
    assert broad_resource(f"{KMS}:key/*") and broad_resource(f"{KMS}:alias/*")
    assert broad_resource(f"{LOGS}:log-group:/*") and not broad_resource(
        f"{LOGS}:log-group:/aws/x:log-stream:*"
    )
    assert broad_resource(f"{SAGEMAKER}:training-job/*-dev")
    assert not broad_resource(f"{SAGEMAKER}:training-job/sr-dev-*")
    assert exact_arn(ROLE_ARN) and not exact_arn(f"arn:aws:iam::{ACCOUNT}:role/x*") and not exact_arn("*")


def test_trust_of_an_account_without_a_perimeter_cannot_be_judged() -> None:
    from strongroom.policies.catalog import evaluate, get
    from strongroom.policies.props import Index

    stack = [trusting(assume({"AWS": f"arn:aws:iam::{OTHER}:role/ci"}))]
    (finding,) = evaluate(get("SR-IAM-006"), Index(stack, Context(stack="dev")))
    assert finding.unknown and "no perimeter is configured" in finding.message


def test_unknown_policy_is_a_finding_not_a_pass() -> None:
    from strongroom.policies.catalog import evaluate, get
    from strongroom.policies.props import UNKNOWN, Index

    stack = [res(POLICY, "p", policy=UNKNOWN)]
    for cid in ("SR-IAM-001", "SR-IAM-002", "SR-IAM-003"):
        (finding,) = evaluate(get(cid), Index(stack))
        assert finding.unknown, cid


# -- SR-IAM-040 / SR-IAM-041: a role that deploys IAM cannot rewrite its own limits -----------------------

IAM_PATH = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/"
DEPLOYER_ARN = f"{IAM_PATH}dev-roles-deployer-1a2b3c4"
STACK_BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/strongroom/dev/dev-roles-boundary"
GUARDRAILS = f"arn:aws:iam::{ACCOUNT}:policy/strongroom/dev/dev-roles-guardrails-1a2b3c4"
KEY_ARN = f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b01"
SELF = [
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
]
EDITS = [
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:DeletePolicy",
]
deploy_allow = {
    "Effect": "Allow",
    "Action": [*SELF, *EDITS, "iam:CreateRole"],
    "Resource": [f"{IAM_PATH}*", f"arn:aws:iam::{ACCOUNT}:policy/strongroom/dev/*"],
}
deny_self = {"Effect": "Deny", "Action": SELF, "Resource": DEPLOYER_ARN}
deny_edits = {"Effect": "Deny", "Action": EDITS, "Resource": [STACK_BOUNDARY, GUARDRAILS]}
deny_unbounded = {
    "Effect": "Deny",
    "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
    "Resource": "*",
    "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": STACK_BOUNDARY}},
}
stack_boundary = res(POLICY, "dev-roles-boundary", arn=STACK_BOUNDARY, policy=doc(read))
guardrails = res(
    POLICY, "dev-roles-guardrails", arn=GUARDRAILS, policy=doc({**guard, "Action": "sagemaker:CreateDomain"})
)
worker = res(
    ROLE,
    "dev-roles-training",
    deps={"permissionsBoundary": [stack_boundary]},
    arn=f"{IAM_PATH}dev-roles-training-1a2b3c4",
    assumeRolePolicy=trust,
    permissionsBoundary=STACK_BOUNDARY,
)
worker_guard = res(
    ROLE_POLICY_ATTACHMENT,
    "dev-roles-training-guardrails",
    deps={"role": [worker], "policyArn": [guardrails]},
    role="dev-roles-training-1a2b3c4",
    policyArn=GUARDRAILS,
)


def deployer_stack(*statements: dict[str, Any], managed: bool = False) -> list[Resource]:
    """A deployer role with `statements` inline (a RolePolicy) or in an attached managed policy."""
    deployer = res(
        ROLE,
        "dev-roles-deployer",
        deps={"permissionsBoundary": [stack_boundary]},
        arn=DEPLOYER_ARN,
        assumeRolePolicy=trust,
        permissionsBoundary=STACK_BOUNDARY,
    )
    if not managed:
        carrier = [
            res(
                ROLE_POLICY,
                "dev-roles-deployer-policy",
                deps={"role": [deployer]},
                role="x",
                policy=doc(*statements),
            )
        ]
    else:
        own = res(POLICY, "dev-roles-deployer-0", arn=f"{STACK_BOUNDARY}-deployer-0", policy=doc(*statements))
        carrier = [
            own,
            res(
                ROLE_POLICY_ATTACHMENT,
                "dev-roles-deployer-0-attachment",
                deps={"role": [deployer], "policyArn": [own]},
                role="dev-roles-deployer-1a2b3c4",
                policyArn=own.get("arn"),
            ),
        ]
    return [stack_boundary, guardrails, worker, worker_guard, deployer, *carrier]


def _self_message(actions: list[str]) -> str:
    return (
        f"role 'dev-roles-deployer' may {', '.join(actions)} on its own role {DEPLOYER_ARN}; deny them there"
    )


def _edits_message(policy: str, why: str, actions: list[str] = EDITS) -> str:
    return f"role 'dev-roles-deployer' may {', '.join(actions)} on '{policy}', {why}; deny them there"


UNBOUNDED = (
    "role 'dev-roles-deployer' may iam:CreateRole without a condition forcing a permission boundary of the "
    "stack (ArnEquals iam:PermissionsBoundary on the Allow, or a Deny with ArnNotEquals)"
)
GUARDED_DEPLOYER = (deploy_allow, deny_self, deny_edits, deny_unbounded)
DEPLOYER_BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/strongroom/dev/dev-roles-deployer-boundary"
deployer_boundary = res(
    POLICY,
    "dev-roles-deployer-boundary",
    arn=DEPLOYER_BOUNDARY,
    # like components.policydocs.deployer.deployer_boundary: the deployer's IAM writes on the stack's path,
    # less its own role
    policy=doc({**deploy_allow, "Action": [*SELF, *EDITS, "iam:CreateRole", "iam:PassRole"]}, deny_self),
)
ALLOWS_EVERYTHING_BUT_S3 = f"arn:aws:iam::{ACCOUNT}:policy/strongroom/dev/dev-roles-loose-boundary"
loose_boundary = res(
    POLICY,
    "dev-roles-loose-boundary",
    arn=ALLOWS_EVERYTHING_BUT_S3,
    policy=doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
)


def pinned_to(arn: str, *, allow: bool = False, deny: bool = True) -> list[dict[str, Any]]:
    """The guarded deployer with its CreateRole pinned to `arn`: by the Allow (ArnEquals), the Deny of any
    other boundary (ArnNotEquals), or both."""
    create = {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": f"{IAM_PATH}*"}
    others = {**deploy_allow, "Action": [*SELF, *EDITS]}
    return [
        others,
        {**create, "Condition": {"ArnEquals": {"iam:PermissionsBoundary": arn}}} if allow else create,
        deny_self,
        deny_edits,
        *(
            [{**deny_unbounded, "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": arn}}}]
            if deny
            else []
        ),
    ]


def _wide_boundary_message(label: str, writes: str) -> str:
    return (
        f"role 'dev-roles-deployer' may iam:CreateRole with '{label}' as the permission boundary, which "
        f"itself allows IAM privilege-escalation writes ({writes}): the roles it creates may rewrite IAM; "
        "pin iam:PermissionsBoundary to a boundary that allows none"
    )


DEPLOYER_BOUNDARY_WRITES = (
    "iam:AttachRolePolicy, iam:CreatePolicyVersion, iam:CreateRole, iam:DeleteRolePermissionsBoundary, ..."
)
LOOSE_BOUNDARY_WRITES = (
    "iam:AddUserToGroup, iam:AttachGroupPolicy, iam:AttachRolePolicy, iam:AttachUserPolicy, ..."
)

SPECS.update(
    {
        "SR-IAM-040": Spec(
            baseline=deployer_stack(*GUARDED_DEPLOYER),
            stack="dev",
            breaks=[
                Break(
                    "may-rewrite-its-own-role",
                    deployer_stack(deploy_allow, deny_edits, deny_unbounded),
                    "dev-roles-deployer",
                    [_self_message(SELF)],
                ),
                Break(
                    "may-re-version-the-guardrails-and-boundary",
                    deployer_stack(deploy_allow, deny_self, deny_unbounded),
                    "dev-roles-deployer",
                    [
                        _edits_message("dev-roles-boundary", "a permission boundary"),
                        _edits_message("dev-roles-guardrails", "a guardrail"),
                    ],
                ),
                Break(
                    "may-create-an-unbounded-role",
                    deployer_stack(deploy_allow, deny_self, deny_edits),
                    "dev-roles-deployer",
                    [UNBOUNDED],
                ),
                Break(
                    "a-conditional-deny-is-no-deny",
                    deployer_stack(
                        deploy_allow,
                        {**deny_self, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
                        deny_edits,
                        deny_unbounded,
                    ),
                    "dev-roles-deployer",
                    [_self_message(SELF)],
                ),
                Break(
                    "wildcard-spelling-and-a-partial-deny",
                    deployer_stack(
                        {"Effect": "Allow", "Action": "iam:Update*", "Resource": f"{IAM_PATH}*"},
                        {**deny_self, "Action": ["iam:PutRolePolicy"]},
                    ),
                    "dev-roles-deployer",
                    [_self_message(["iam:UpdateAssumeRolePolicy"])],
                ),
                Break(
                    "not-action-grants-everything",
                    deployer_stack({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, deny_self),
                    "dev-roles-deployer",
                    [
                        _edits_message("dev-roles-boundary", "a permission boundary"),
                        _edits_message("dev-roles-guardrails", "a guardrail"),
                        UNBOUNDED,
                    ],
                ),
                Break(
                    "creates-roles-under-its-own-wider-boundary-by-the-deny",
                    [*deployer_stack(*pinned_to(DEPLOYER_BOUNDARY)), deployer_boundary],
                    "dev-roles-deployer",
                    [_wide_boundary_message("dev-roles-deployer-boundary", DEPLOYER_BOUNDARY_WRITES)],
                ),
                Break(
                    "creates-roles-under-its-own-wider-boundary-by-allow-and-deny",
                    [*deployer_stack(*pinned_to(DEPLOYER_BOUNDARY, allow=True)), deployer_boundary],
                    "dev-roles-deployer",
                    [_wide_boundary_message("dev-roles-deployer-boundary", DEPLOYER_BOUNDARY_WRITES)],
                ),
                Break(
                    "allow-pinned-to-a-not-action-boundary",
                    [
                        *deployer_stack(*pinned_to(ALLOWS_EVERYTHING_BUT_S3, allow=True, deny=False)),
                        loose_boundary,
                    ],
                    "dev-roles-deployer",
                    [_wide_boundary_message("dev-roles-loose-boundary", LOOSE_BOUNDARY_WRITES)],
                ),
                Break(
                    "one-of-two-pinned-boundaries-is-wide",
                    [
                        *deployer_stack(
                            {
                                **deny_unbounded,
                                "Condition": {
                                    "ArnNotEquals": {
                                        "iam:PermissionsBoundary": [STACK_BOUNDARY, DEPLOYER_BOUNDARY]
                                    }
                                },
                            },
                            *pinned_to(STACK_BOUNDARY, deny=False),
                        ),
                        deployer_boundary,
                    ],
                    "dev-roles-deployer",
                    [_wide_boundary_message("dev-roles-deployer-boundary", DEPLOYER_BOUNDARY_WRITES)],
                ),
                Break(
                    "in-an-attached-managed-policy-its-own-policy-too",
                    deployer_stack(deploy_allow, deny_self, deny_unbounded, managed=True),
                    "dev-roles-deployer",
                    [
                        _edits_message("dev-roles-boundary", "a permission boundary"),
                        _edits_message("dev-roles-deployer-0", "one of its own policies"),
                        _edits_message("dev-roles-guardrails", "a guardrail"),
                    ],
                ),
            ],
            not_applicable=[bucket, policy, stack_boundary],
        ),
        "SR-IAM-041": Spec(
            baseline=[
                *deployer_stack(*GUARDED_DEPLOYER, allow("kms:PutKeyPolicy", KEY_ARN)),
                res("aws:kms/key:Key", "data-key", arn=KEY_ARN),
            ],
            stack="prod",
            breaks=[
                Break(
                    "schedules-key-deletion",
                    [
                        *deployer_stack(allow(["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"], KEY_ARN)),
                        res("aws:kms/key:Key", "data-key", arn=KEY_ARN),
                    ],
                    "dev-roles-deployer",
                    [
                        f"role 'dev-roles-deployer' may kms:ScheduleKeyDeletion on {KEY_ARN}; deny it (an "
                        "administrator's act)"
                    ],
                ),
                Break(
                    "kms-wildcard-on-every-key-conditional-deny",
                    [
                        *deployer_stack(
                            allow("kms:*", "*"),
                            {
                                "Effect": "Deny",
                                "Action": "kms:ScheduleKeyDeletion",
                                "Resource": "*",
                                "Condition": {
                                    "NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 7}
                                },
                            },
                        ),
                        res("aws:kms/key:Key", "data-key", arn=KEY_ARN),
                    ],
                    "dev-roles-deployer",
                    [
                        f"role 'dev-roles-deployer' may kms:ScheduleKeyDeletion on {KEY_ARN}, *; deny it (an "
                        "administrator's act)"
                    ],
                ),
            ],
            not_applicable=[bucket, policy],
        ),
    }
)


def test_key_deletion_is_mandatory_in_prod_only() -> None:
    from strongroom.policies.catalog import get

    assert get("SR-IAM-041").enforcement_for("prod") == "mandatory"
    assert get("SR-IAM-041").enforcement_for("dev") == "advisory"


def test_own_limits_of_a_role_with_an_unknown_arn_cannot_be_judged() -> None:
    from strongroom.policies.catalog import evaluate, get
    from strongroom.policies.props import UNKNOWN, Index

    stack = deployer_stack(deploy_allow)
    at = next(i for i, r in enumerate(stack) if r.name == "dev-roles-deployer")
    stack[at] = res(
        ROLE,
        "dev-roles-deployer",
        arn=UNKNOWN,
        assumeRolePolicy=trust,
        permissionsBoundary=STACK_BOUNDARY,
    )
    stack[-1] = res(
        ROLE_POLICY,
        "dev-roles-deployer-policy",
        deps={"role": [stack[at]]},
        role="dev-roles-deployer-1a2b3c4",
        policy=doc(deploy_allow),
    )
    findings = [f for f in evaluate(get("SR-IAM-040"), Index(stack, Context(stack="dev"))) if f.unknown]
    assert [f.resource_name for f in findings] == ["dev-roles-deployer"]


def test_a_deny_of_the_boundary_counts_and_its_allows_grant_nothing() -> None:
    from controls_support import messages_for

    from strongroom.policies.catalog import get

    stack = deployer_stack(deploy_allow, deny_self, deny_edits)
    denying = res(POLICY, "dev-roles-boundary", arn=STACK_BOUNDARY, policy=doc(read, deny_unbounded))
    stack[0] = denying
    assert messages_for(get("SR-IAM-040"), stack, "dev-roles-deployer", "dev") == []
    granting = res(POLICY, "dev-roles-boundary", arn=STACK_BOUNDARY, policy=doc(allow("kms:*", "*")))
    stack = [granting, *deployer_stack(allow("kms:PutKeyPolicy", KEY_ARN))[1:]]
    assert messages_for(get("SR-IAM-041"), stack, "dev-roles-deployer", "prod") == []


def test_a_boundary_is_judged_by_what_it_allows_not_by_which_policy_it_is() -> None:
    from controls_support import messages_for

    from strongroom.policies.catalog import get

    # pinned to the workload boundary while the deployer's wider one is in the stack: compliant
    stack = [*deployer_stack(*pinned_to(STACK_BOUNDARY, allow=True)), deployer_boundary]
    assert messages_for(get("SR-IAM-040"), stack, "dev-roles-deployer", "dev") == []
    # a boundary that allows iam:* but refuses every IAM write, unconditionally, everywhere: compliant
    refusing = res(
        POLICY,
        "dev-roles-deployer-boundary",
        arn=DEPLOYER_BOUNDARY,
        policy=doc(
            {"Effect": "Allow", "Action": "iam:*", "Resource": f"{IAM_PATH}*"},
            {
                "Effect": "Deny",
                "Action": [
                    "iam:*Policy*",
                    "iam:*Role*",
                    "iam:*User*",
                    "iam:*Group*",
                    "iam:*Key*",
                    "iam:*LoginProfile",
                ],
                "Resource": "*",
            },
        ),
    )
    stack = [*deployer_stack(*pinned_to(DEPLOYER_BOUNDARY)), refusing]
    assert messages_for(get("SR-IAM-040"), stack, "dev-roles-deployer", "dev") == []
    # the same Deny, only on the deployer's own role, or only when a condition holds: no longer refuses
    for deny in (
        {"Effect": "Deny", "Action": "iam:*", "Resource": DEPLOYER_ARN},
        {
            "Effect": "Deny",
            "Action": "iam:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:ViaAWSService": "false"}},
        },
    ):
        partial = res(
            POLICY,
            "dev-roles-deployer-boundary",
            arn=DEPLOYER_BOUNDARY,
            policy=doc({"Effect": "Allow", "Action": "iam:*", "Resource": f"{IAM_PATH}*"}, deny),
        )
        stack = [*deployer_stack(*pinned_to(DEPLOYER_BOUNDARY)), partial]
        (message,) = messages_for(get("SR-IAM-040"), stack, "dev-roles-deployer", "dev")
        assert "with 'dev-roles-deployer-boundary' as the permission boundary" in message


def test_a_pinned_boundary_that_cannot_be_resolved_cannot_be_judged() -> None:
    from strongroom.policies.catalog import evaluate, get
    from strongroom.policies.props import Index

    def judged(stack: list[Resource]) -> list[tuple[bool, str]]:
        findings = evaluate(get("SR-IAM-040"), Index(stack, Context(stack="dev")))
        return [(f.unknown, f.message) for f in findings if f.resource_name == "dev-roles-deployer"]

    # its document is unknown in preview
    unknown_document = res(POLICY, "dev-roles-deployer-boundary", arn=DEPLOYER_BOUNDARY, policy=UNKNOWN)
    ((unknown, message),) = judged([*deployer_stack(*pinned_to(DEPLOYER_BOUNDARY)), unknown_document])
    assert unknown and "dev-roles-deployer-boundary" in message
    # its document is not a policy document
    unreadable = res(POLICY, "dev-roles-deployer-boundary", arn=DEPLOYER_BOUNDARY, policy="not json")
    ((unknown, message),) = judged([*deployer_stack(*pinned_to(DEPLOYER_BOUNDARY)), unreadable])
    assert unknown and "cannot be judged" in message
    # the pinned ARN may be a policy whose ARN is unknown in preview
    unknown_arn = res(POLICY, "dev-roles-deployer-boundary", arn=UNKNOWN, policy=doc(read))
    ((unknown, message),) = judged([*deployer_stack(*pinned_to(DEPLOYER_BOUNDARY)), unknown_arn])
    assert unknown and "cannot be resolved" in message
    # pinned to a policy that is not in the stack (all ARNs known): a violation, as before
    assert judged(deployer_stack(*pinned_to(DEPLOYER_BOUNDARY))) == [(False, UNBOUNDED)]


def test_an_action_patterns_problem_is_worked_out_once_per_pattern() -> None:
    # the same patterns recur in every environment: the second ask is answered from the cache, the same
    first = _pattern_problem("iam:Put*")
    hits = _pattern_problem.cache_info().hits
    assert _pattern_problem("iam:Put*") is first
    assert _pattern_problem.cache_info().hits == hits + 1
    assert first is not None and "5 permissions-management action(s)" in first


def test_the_resource_glob_answers_as_fnmatch_with_brackets_literal() -> None:
    """`_glob`'s comparisons (an exact ARN, one trailing `*`) answer as the general match does."""
    rng = random.Random(40)
    alphabet = "ab:/*?[]-"
    for _ in range(20000):
        pattern = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        for candidate in (name, pattern, pattern.rstrip("*"), pattern.replace("*", "x")):
            assert _glob(candidate, pattern) == fnmatch.fnmatchcase(candidate, pattern.replace("[", "[[]")), (
                candidate,
                pattern,
            )
    role = "arn:aws:iam::123456789012:role/sr-prod-c7-trainer"
    assert _glob(role, "arn:aws:iam::123456789012:role/sr-prod-c7-*")
    assert not _glob(role, "arn:aws:iam::123456789012:role/sr-prod-c8-*")
    assert _glob(role, role) and not _glob(role, role.upper()) and _glob("a[1]", "a[1]")
