"""IAM documents: Strongroom's own rules (lint) and the parliament IAM linter over every document."""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import json
import os
from typing import Any

import parliament
import pytest

from strongroom.components.policydocs import deployer, iam
from strongroom.policies import iamdb

parliament.override_config(os.path.join(parliament.__path__[0], "community_auditors", "config_override.yaml"))

ACCOUNT = "123456789012"
REGION = "eu-west-2"
DATA_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b01"
MODEL_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b02"
LOGS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b03"
BACKUP_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b04"
TRAINING_ROLE = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-roles-training-1a2b3c4"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-roles-studio-execution-1a2b3c4"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/dev-audit-trail-5d6e7f8"
TRAIL_BUCKET = "arn:aws:s3:::dev-audit-trail-bucket-5d6e7f8"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:dev-alerts-topic-9a8b7c6"
RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/dev-alerts-network-1234567"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/strongroom/dev/cloudtrail:*"
PRINCIPALS = [f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_DS_abc"]

SCOPE = iam.Scope(
    partition="aws",
    account=ACCOUNT,
    region=REGION,
    data_bucket_arns=(
        "arn:aws:s3:::dev-data-payments-bucket-1a2b3c4",
        "arn:aws:s3:::dev-data-credit-risk-bucket-5d6e7f8",
    ),
    model_bucket_arn="arn:aws:s3:::dev-models-bucket-1a2b3c4",
    data_key_arn=DATA_KEY,
    model_key_arn=MODEL_KEY,
    logs_key_arn=LOGS_KEY,
    iam_path="/strongroom/dev/",
    extra_bucket_arns=("arn:aws:s3:::dev-backup-bucket-1a2b3c4", TRAIL_BUCKET),
    extra_key_arns=(BACKUP_KEY,),
    subnet_ids=("subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"),
    security_group_ids=("sg-0a1b2c3d4e5f60718",),
    name_prefix="dev-",
    vpc_id="vpc-0a1b2c3d4e5f60718",
    models=("credit-pd", "fraud"),
    # The alert path's forwarding rules (us-east-1, a replica region): the auditor reads them there.
    event_regions=("eu-west-1", "us-east-1"),
)
DOMAIN = "d-92143kt35iy7"
DEPLOYER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-roles-deployer-9f8e7d6"
STACK_ROLES = (
    TRAINING_ROLE,
    f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-roles-auditor-1a2b3c4",
    f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-network-flow-logs-role-5e6f7a8",
)
PLANNED = {token: [REGION] for token in deployer.TYPE_ACTIONS}
TARGETS = deployer.DeployerTargets(
    own_role_arn=DEPLOYER_ROLE,
    own_policy_arns=(iam.boundary_arn(SCOPE, "dev-roles-deployer-boundary"),),
    role_arns=STACK_ROLES,
    policy_arns=(iam.boundary_arn(SCOPE, "dev-roles-boundary"),),
    protected_policy_arns=(iam.boundary_arn(SCOPE, "dev-roles-boundary"),),
    workload_boundary_arn=iam.boundary_arn(SCOPE, "dev-roles-boundary"),
    passable_roles=(deployer.PassableRole(TRAINING_ROLE, "sagemaker.amazonaws.com"),),
    topic_arns=(TOPIC,),
    key_alias_names=("alias/strongroom-dev-data",),
    domain_ids=(DOMAIN,),
    environment="dev",
    resource_arns={
        "aws:guardduty/detector:Detector": (
            f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/12abc34d567e8fa9",
        ),
        "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": (
            f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:firewall-rule-group/rslvr-frg-0123456789abcdef",
        ),
        "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": (
            f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:firewall-domain-list/rslvr-fdl-0123456789abcdef",
        ),
        "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": (
            f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:firewall-rule-group-association/rslvr-frgassoc-0123",
        ),
        "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": ("firewall-config/rslvr-fc-0123",),
        "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": (
            f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:resolver-query-log-config/rslvr-rqlc-0123",
        ),
    },
)


def _workload() -> dict[str, dict[str, Any]]:
    return {
        "data_scientist": iam.data_scientist_policy(
            SCOPE,
            TRAINING_ROLE,
            domain_ids=[DOMAIN],
            execution_role_arn=EXECUTION_ROLE,
            sign_in=iam.SignIn(endpoint_ids=("vpce-0a1b2c3d4e5f60718",), cidrs=("203.0.113.0/24",)),
            notebook=True,
        ),
        "studio_execution": iam.studio_execution_policy(SCOPE, TRAINING_ROLE, domain_ids=[DOMAIN]),
        "training": iam.training_policy(SCOPE),
        "approver": iam.model_approver_policy(SCOPE),
        "auditor": iam.auditor_policy(SCOPE, topic_arns=[TOPIC], domain_ids=[DOMAIN]),
        "service_roles": iam.service_roles_ceiling(SCOPE),
    }


def all_documents() -> dict[str, dict[str, Any]]:
    """Every document the helpers produce, with realistic inputs (one entry per helper/variant)."""
    docs = _workload()
    # Every type of the table, so every action the deployer can be granted is linted.
    docs["deployer"] = iam.document(*deployer.deployer_statements(SCOPE, TARGETS, PLANNED))
    docs["guardrail"] = iam.guardrail_policy(SCOPE.key_arns)
    ceiling = [*_workload().values()]
    ceiling[0] = iam.data_scientist_policy(
        SCOPE, SCOPE.role_path_arn, domain_ids=["*"], sign_in=iam.SignIn(endpoint_ids=("*",)), notebook=True
    )
    docs["workload_boundary"] = iam.permission_boundary(
        SCOPE,
        ceiling=ceiling,
        own_arn=iam.boundary_arn(SCOPE, "dev-roles-boundary"),
        protect_boundary_arns=[iam.boundary_arn(SCOPE, "dev-roles-deployer-boundary")],
    )
    docs["deployer_boundary"] = deployer.deployer_boundary(SCOPE, TARGETS, PLANNED, "dev-")
    docs["trust_sagemaker"] = iam.service_trust("sagemaker.amazonaws.com", ACCOUNT)
    docs["trust_human_mfa"] = iam.human_trust(PRINCIPALS, require_mfa=True)
    docs["trust_human_org"] = iam.human_trust(PRINCIPALS, require_mfa=True, organization_id="o-nb7k2x9q4m")
    docs["trust_data_scientist"] = iam.human_trust(
        PRINCIPALS, require_mfa=False, also_service="sagemaker.amazonaws.com", account=ACCOUNT
    )
    docs["trust_github"] = iam.github_oidc_trust(
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com", "bank/strongroom", "dev"
    )
    docs["cloudtrail_logs"] = iam.cloudtrail_logs_policy(LOG_GROUP)
    docs["cloudtrail_bucket"] = iam.document(
        *iam.cloudtrail_bucket_statements(TRAIL_BUCKET, TRAIL_ARN, ACCOUNT)
    )
    docs["sns_topic"] = iam.sns_topic_policy(TOPIC, ACCOUNT, [RULE])
    return docs


DOCS = all_documents()

STAR_ONLY_REASON = "actions with no resource type only (test_every_action_granted_on_star_is_star_only)"

# Findings accepted on purpose, per document and issue, with the reason. Anything else fails the test.
ACCEPTED: dict[tuple[str, str], str] = {
    ("deployer", "PERMISSIONS_MANAGEMENT_ACTIONS"): "the deployer creates the stack's roles and policies",
    ("deployer", "PRIVILEGE_ESCALATION"): "the deployer manages stack roles; its boundary forces the "
    "workload boundary on every role it creates and forbids removing it",
    ("deployer_boundary", "PERMISSIONS_MANAGEMENT_ACTIONS"): "ceiling of the deployer (see above)",
    ("deployer_boundary", "PRIVILEGE_ESCALATION"): "ceiling of the deployer (see above)",
    ("data_scientist", "PERMISSIONS_MANAGEMENT_ACTIONS"): "iam:PassRole of the training role only, "
    "to sagemaker.amazonaws.com only",
    ("studio_execution", "PERMISSIONS_MANAGEMENT_ACTIONS"): "iam:PassRole of the training role only, to "
    "sagemaker.amazonaws.com only (notebooks launch guarded training jobs)",
    ("workload_boundary", "PERMISSIONS_MANAGEMENT_ACTIONS"): "ceiling includes the data scientist's PassRole",
    ("service_roles", "RESOURCE_STAR"): STAR_ONLY_REASON,
    ("sns_topic", "PERMISSIONS_MANAGEMENT_ACTIONS"): "the account root administers its own topic",
    # parliament reads the Deny-only guardrails and boundaries as identity policies with no resources
    # of the matching type (Resource "*" on Deny is intended: the deny applies everywhere).
    ("guardrail", "RESOURCE_STAR"): "Deny statements apply to every resource on purpose",
    ("workload_boundary", "RESOURCE_STAR"): "Deny guardrail statements apply everywhere; the allow "
    "ceiling's '*' holds star-only actions alone",
    ("deployer_boundary", "RESOURCE_STAR"): "as workload_boundary",
    ("data_scientist", "RESOURCE_STAR"): STAR_ONLY_REASON,
    ("training", "RESOURCE_STAR"): STAR_ONLY_REASON,
    ("approver", "RESOURCE_STAR"): STAR_ONLY_REASON,
    ("auditor", "RESOURCE_STAR"): STAR_ONLY_REASON,
    ("deployer", "RESOURCE_STAR"): STAR_ONLY_REASON,
    ("training", "CREDENTIALS_EXPOSURE"): "ecr:GetAuthorizationToken: pulling the training image",
    ("training", "PERMISSIONS_MANAGEMENT_ACTIONS"): "ec2:CreateNetworkInterfacePermission on ENIs, "
    "which SageMaker needs to attach job ENIs in the VPC",
    ("workload_boundary", "CREDENTIALS_EXPOSURE"): "ceiling includes the training role's ECR token",
    ("deployer", "CREDENTIALS_EXPOSURE"): "the deployer reads what it manages",
    ("deployer_boundary", "CREDENTIALS_EXPOSURE"): "ceiling of the deployer",
    ("deployer", "RESOURCE_POLICY_PRIVILEGE_ESCALATION"): "the deployer writes the bucket policies it "
    "deploys without object access; the alert rules report every PutBucketPolicy",
    ("deployer_boundary", "RESOURCE_POLICY_PRIVILEGE_ESCALATION"): "ceiling of the deployer",
    **{
        (
            trust,
            "CREDENTIALS_EXPOSURE",
        ): "a trust policy exists to hand out role credentials (sts:AssumeRole*)"
        for trust in (
            "trust_sagemaker",
            "trust_human_mfa",
            "trust_human_org",
            "trust_data_scientist",
            "trust_github",
        )
    },
    ("trust_github", "UNKNOWN_FEDERATION_SOURCE"): "parliament knows no GitHub OIDC provider; the ARN is "
    "the account's token.actions.githubusercontent.com provider",
    ("trust_github", "UNKNOWN_CONDITION_FOR_ACTION"): "token.actions.githubusercontent.com:aud/sub are the "
    "provider's claims, documented by GitHub and AWS for AssumeRoleWithWebIdentity",
}
NEVER = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX", "RESOURCE_MISMATCH", "MALFORMED", "INVALID_ARN", "EXCEPTION"}


TRUSTING_ROLE = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-roles-auditor-1a2b3c4"


def _as_resource_policy(doc: dict[str, Any]) -> dict[str, Any]:
    """Trust policies are the role's resource policy: give parliament the role as the Resource."""
    out = copy.deepcopy(doc)
    for stmt in out["Statement"]:
        stmt.setdefault("Resource", TRUSTING_ROLE)
    return out


def _findings(doc: dict[str, Any]) -> list[Any]:
    policy = parliament.analyze_policy_string(
        json.dumps(_as_resource_policy(doc)), include_community_auditors=True
    )
    return [parliament.enhance_finding(f) for f in policy.findings]


@pytest.mark.parametrize("name", sorted(DOCS))
def test_parliament_finds_nothing_unexplained(name: str) -> None:
    findings = _findings(DOCS[name])
    hard = [(f.issue, f.detail) for f in findings if f.issue in NEVER]
    assert not hard, f"{name}: {hard}"
    unexplained = [(f.issue, f.detail) for f in findings if (name, f.issue) not in ACCEPTED]
    assert not unexplained, f"{name}: parliament findings without a documented exception: {unexplained}"


@pytest.mark.parametrize("name", sorted(set(DOCS) - {"deployer", "deployer_boundary"}))
def test_no_privilege_escalation_outside_the_deployer(name: str) -> None:
    assert "PRIVILEGE_ESCALATION" not in {f.issue for f in _findings(DOCS[name])}, name


def test_auditor_exposes_no_credentials() -> None:
    assert "CREDENTIALS_EXPOSURE" not in {f.issue for f in _findings(DOCS["auditor"])}


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_document_passes_strongroom_lint(name: str) -> None:
    iam.lint(DOCS[name])
    assert json.loads(iam.to_json(DOCS[name])) == DOCS[name]


def _granted_on_star_with_resource_types(doc: dict[str, Any]) -> list[str]:
    """Actions an Allow statement grants on ``*`` although the IAM database gives them resource types
    (or does not know them)."""
    return [
        a
        for s in doc["Statement"]
        if s["Effect"] == "Allow" and "*" in iam._as_list(s.get("Resource", []))
        for a in iam._as_list(s["Action"])
        if not iamdb.star_only(a)
        # A boundary's read ceiling (deployer.py `_ceiling_reads`): read verbs on '*', granting nothing.
        and not (str(s.get("Sid", "")).startswith("CeilingReads") and iam._READ_CEILING.match(a))
    ]


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_action_granted_on_star_is_star_only(name: str) -> None:
    """The components keep no star-only list: the IAM database (policies.iamdb, the one source the policy
    pack also judges with) decides, here, for every action they grant on '*'."""
    assert _granted_on_star_with_resource_types(DOCS[name]) == [], (
        f"{name}: these actions support resource-level permissions; name their ARNs instead of '*'"
    )


@pytest.mark.parametrize("action", ["sagemaker:ListTags", "s3:GetObject", "iam:PassRole", "sts:NoSuchAction"])
def test_star_check_refuses_actions_with_resource_types_or_unknown(action: str) -> None:
    doc = iam.document(iam.star("Bad", [action, "sts:GetCallerIdentity"]))
    assert _granted_on_star_with_resource_types(doc) == [action]


def test_guardrail_condition_keys_are_supported_by_each_action() -> None:
    for action, keys in iam.GUARDED_SAGEMAKER_ACTIONS.items():
        missing = [k for k in keys if f"sagemaker:{k}" not in iamdb.condition_keys(action)]
        assert not missing, f"{action} does not support {missing}"


def _stmt(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in doc["Statement"] if s.get("Sid") == sid)


def test_guardrail_denies_jobs_outside_vpc_isolation_and_keys() -> None:
    g = DOCS["guardrail"]
    assert all(s["Effect"] == "Deny" for s in g["Statement"])
    assert "sagemaker:CreateTrainingJob" in _stmt(g, "DenyWithoutVpcSubnets")["Action"]
    assert _stmt(g, "DenyWithoutVpcSecurityGroupIds")["Condition"] == {
        "Null": {"sagemaker:VpcSecurityGroupIds": "true"}
    }
    assert _stmt(g, "DenyDisabledNetworkIsolation")["Condition"] == {
        "Bool": {"sagemaker:NetworkIsolation": "false"}
    }
    assert "sagemaker:CreateProcessingJob" in _stmt(g, "DenyMissingInterContainerTrafficEncryption")["Action"]
    foreign = _stmt(g, "DenyForeignVolumeKmsKey")
    assert foreign["Condition"]["ArnNotEquals"]["sagemaker:VolumeKmsKey"] == sorted(SCOPE.key_arns)
    assert "sagemaker:CreateDomain" in _stmt(g, "DenyWithoutVpcSubnets")["Action"]
    assert "sagemaker:CreateNotebookInstance" in _stmt(g, "DenyForeignVolumeKmsKey")["Action"]
    assert "sagemaker:CreateModel" in _stmt(g, "DenyMissingNetworkIsolation")["Action"]


def test_passrole_only_training_role_only_to_sagemaker() -> None:
    passes = [s for s in DOCS["data_scientist"]["Statement"] if "iam:PassRole" in s["Action"]]
    assert passes == [
        {
            "Sid": "PassSageMakerRoles",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [EXECUTION_ROLE, TRAINING_ROLE],
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        }
    ]
    passes = [s for s in DOCS["studio_execution"]["Statement"] if "iam:PassRole" in s["Action"]]
    assert [s["Resource"] for s in passes] == [[TRAINING_ROLE]]
    for name, doc in DOCS.items():
        if name in (
            "data_scientist",
            "studio_execution",
            "workload_boundary",
            "deployer",
            "deployer_boundary",
        ):
            continue
        assert "iam:PassRole" not in json.dumps(doc), name


def _allowed(doc: dict[str, Any], action: str) -> list[str]:
    out: list[str] = []
    for s in doc["Statement"]:
        if s["Effect"] == "Allow" and action in iam._as_list(s["Action"]):
            out += iam._as_list(s["Resource"])
    return out


def test_data_scientist_cannot_write_production_models() -> None:
    puts = _allowed(DOCS["data_scientist"], "s3:PutObject")
    assert puts == [f"{SCOPE.model_bucket_arn}/experiments/*"]
    assert not [r for r in _allowed(DOCS["training"], "s3:PutObject") if "production/" in r]


def test_data_roles_read_exactly_the_named_data_buckets() -> None:
    for role in ("data_scientist", "training"):
        reads = sorted(r for r in _allowed(DOCS[role], "s3:GetObject") if "-data-" in r)
        assert reads == sorted(f"{b}/curated/*" for b in SCOPE.data_bucket_arns), role
        listed = sorted(_allowed(DOCS[role], "s3:ListBucket"))
        assert listed == sorted([*SCOPE.data_bucket_arns, SCOPE.model_bucket_arn]), role


def test_approver_only_writes_production_prefix() -> None:
    assert _allowed(DOCS["approver"], "s3:PutObject") == [
        f"{SCOPE.model_bucket_arn}/production/credit-pd/*",
        f"{SCOPE.model_bucket_arn}/production/fraud/*",
    ]
    assert _allowed(DOCS["approver"], "s3:DeleteObject") == []


def test_training_role_reads_its_prefix_writes_its_output_uses_its_keys_and_log_group() -> None:
    t = DOCS["training"]
    assert _allowed(t, "s3:GetObject") == sorted(
        [
            *(f"{b}/curated/*" for b in SCOPE.data_bucket_arns),
            f"{SCOPE.model_bucket_arn}/candidates/*",
            f"{SCOPE.model_bucket_arn}/datasets/*",  # vault snapshot reads back the snapshots it signs
        ]
    )
    assert _allowed(t, "s3:PutObject") == [
        f"{SCOPE.model_bucket_arn}/candidates/*",
        f"{SCOPE.model_bucket_arn}/datasets/*",
    ]
    assert _allowed(t, "kms:Decrypt") == [DATA_KEY, MODEL_KEY]
    assert _allowed(t, "logs:PutLogEvents") == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs:log-stream:*",
    ]
    metrics = _stmt(t, "PublishTrainingMetrics")
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}}


def test_auditor_is_read_only() -> None:
    mutating = (
        "Put",
        "Create",
        "Delete",
        "Update",
        "Attach",
        "Detach",
        "Set",
        "Tag",
        "Untag",
        "Stop",
        "Start",
    )
    for s in DOCS["auditor"]["Statement"]:
        for a in iam._as_list(s["Action"]):
            assert not a.split(":")[1].startswith(mutating), a


def test_auditor_covers_the_live_audit_calls() -> None:
    allowed = {a for s in DOCS["auditor"]["Statement"] for a in iam._as_list(s["Action"])}
    needed = {
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeNatGateways",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeSecurityGroups",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketPolicy",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetBucketLogging",
        "kms:GetKeyRotationStatus",
        "kms:GetKeyPolicy",
        "iam:GetRole",
        "iam:ListAttachedRolePolicies",
        "iam:GetPolicyVersion",
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "sagemaker:ListDomains",
        "sagemaker:DescribeDomain",
        "sagemaker:DescribeNotebookInstance",
        "logs:DescribeLogGroups",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "events:ListRules",
        "events:ListTargetsByRule",
        "tag:GetResources",
    }
    assert needed <= allowed, sorted(needed - allowed)


def test_human_trust_requires_source_identity_and_leaves_mfa_to_identity_center() -> None:
    (stmt,) = DOCS["trust_human_mfa"]["Statement"]
    # Identity Center permission-set sessions are federated: aws:MultiFactorAuthPresent is never in them.
    assert stmt["Condition"] == {"Null": {"sts:SourceIdentity": "false"}}
    assert stmt["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
    assert stmt["Principal"] == {"AWS": PRINCIPALS}


def test_human_trust_requires_mfa_of_iam_roles_and_the_user_name_of_iam_users() -> None:
    role, user = f"arn:aws:iam::{ACCOUNT}:role/Analysts", f"arn:aws:iam::{ACCOUNT}:user/alice"
    doc = iam.human_trust([*PRINCIPALS, role, user], require_mfa=True)
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["TrustIdentityCenterPrincipals"]["Principal"] == {"AWS": PRINCIPALS}
    assert by_sid["TrustRolePrincipals"]["Condition"] == {
        "Null": {"sts:SourceIdentity": "false"},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
    }
    assert by_sid["TrustUserPrincipals"]["Condition"] == {
        "StringLike": {"sts:SourceIdentity": "${aws:username}"},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
    }
    no_mfa = iam.human_trust([role], require_mfa=False, require_source_identity=False)
    assert "Condition" not in no_mfa["Statement"][0]


def test_human_trust_confines_principals_to_the_organization_when_given() -> None:
    doc = iam.human_trust(PRINCIPALS, require_mfa=False, organization_id="o-nb7k2x9q4m")
    assert doc["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-nb7k2x9q4m"},
        "Null": {"sts:SourceIdentity": "false"},
    }
    with pytest.raises(ValueError, match="organization_id"):
        iam.human_trust(PRINCIPALS, require_mfa=True, organization_id="o-*")


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        f"arn:aws:iam::{ACCOUNT}:root",
        "123456789012",
        "arn:aws:iam::12345:role/x",
        "arn:aws:iam::*:role/x",
    ],
)
def test_human_trust_refuses_broad_principals(principal: str) -> None:
    with pytest.raises(ValueError, match="principals"):
        iam.human_trust([principal], require_mfa=True)


def test_human_trust_refuses_no_principals() -> None:
    with pytest.raises(ValueError, match="at least one"):
        iam.human_trust([], require_mfa=True)


def test_service_trust_is_scoped_to_the_account() -> None:
    stmt = DOCS["trust_sagemaker"]["Statement"][0]
    assert stmt["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_github_trust_pins_audience_and_subject() -> None:
    stmt = DOCS["trust_github"]["Statement"][0]
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert stmt["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:bank/strongroom:environment:dev",
    }


@pytest.mark.parametrize(("repo", "env"), [("bank/*", "dev"), ("bank", "dev"), ("bank/strongroom", "*")])
def test_github_trust_refuses_wildcards(repo: str, env: str) -> None:
    with pytest.raises(ValueError, match="github"):
        iam.github_oidc_trust("arn:aws:iam::123456789012:oidc-provider/x", repo, env)


def test_boundary_stops_boundary_removal_and_foreign_boundaries() -> None:
    b = DOCS["workload_boundary"]
    own = iam.boundary_arn(SCOPE, "dev-roles-boundary")
    assert _stmt(b, "DenyOtherBoundary")["Condition"] == {"ArnNotEquals": {"iam:PermissionsBoundary": own}}
    assert "iam:CreateRole" in _stmt(b, "DenyOtherBoundary")["Action"]
    assert _stmt(b, "DenyBoundaryRemoval")["Action"] == ["iam:DeleteRolePermissionsBoundary"]
    assert own in _stmt(b, "DenyBoundaryEdits")["Resource"]
    assert iam.boundary_arn(SCOPE, "dev-roles-deployer-boundary") in _stmt(b, "DenyBoundaryEdits")["Resource"]


@pytest.mark.parametrize("name", ["workload_boundary", "guardrail"])
def test_managed_policies_fit_iam_size_limit(name: str) -> None:
    assert iam.managed_policy_size(DOCS[name]) <= iam.MANAGED_POLICY_MAX_CHARS, name


def test_people_and_jobs_reach_only_the_stack_jobs_domains_packages_and_job_subnets() -> None:
    scientist, training = DOCS["data_scientist"], DOCS["training"]
    assert _stmt(scientist, "RunGuardedJobs")["Resource"] == [
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/dev-*",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/dev-*",
    ]
    assert _stmt(scientist, "OpenOwnStudioProfileThroughVpcEndpoint")["Resource"] == [
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/{DOMAIN}/*"
    ]
    no_studio = iam.data_scientist_policy(SCOPE, TRAINING_ROLE)
    assert not any("Studio" in st["Sid"] for st in no_studio["Statement"])
    assert _stmt(training, "PullTrainingImages")["Resource"] == [
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/dev-*"
    ]
    in_vpc = {"ArnEquals": {"ec2:Vpc": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0a1b2c3d4e5f60718"}}
    assert _stmt(training, "CreateJobNetworkInterfaces")["Condition"] == in_vpc
    assert _stmt(training, "ManageJobNetworkInterfaces")["Condition"] == in_vpc
    without_vpc = iam.training_policy(dataclasses.replace(SCOPE, vpc_id=""))
    interfaces = _stmt(without_vpc, "CreateJobNetworkInterfacesInJobSubnets")
    assert interfaces["Condition"] == {"StringEquals": {"ec2:SubnetID": sorted(SCOPE.subnet_ids)}}
    assert "Condition" not in _stmt(without_vpc, "CreateJobNetworkInterfaces")
    managed = _stmt(without_vpc, "ManageJobNetworkInterfaces")
    assert managed["Condition"]["ArnEquals"]["ec2:Subnet"] == [
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{i}" for i in sorted(SCOPE.subnet_ids)
    ]
    assert _stmt(DOCS["approver"], "ApproveModelPackage")["Resource"] == [
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/dev-credit-pd",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/dev-fraud",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/dev-credit-pd/*",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/dev-fraud/*",
    ]


def test_auditor_reads_the_stack_rules_in_each_event_region() -> None:
    assert _stmt(DOCS["auditor"], "ReadRules") == {
        "Sid": "ReadRules",
        "Effect": "Allow",
        "Action": ["events:DescribeRule", "events:ListTargetsByRule"],
        "Resource": [f"arn:aws:events:{r}:{ACCOUNT}:rule/dev-*" for r in ("eu-west-1", REGION, "us-east-1")],
    }
    alone = iam.auditor_policy(dataclasses.replace(SCOPE, event_regions=()))
    assert _stmt(alone, "ReadRules")["Resource"] == [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/dev-*"]


def test_boundary_lets_only_the_rule_reads_into_the_event_regions() -> None:
    b = DOCS["workload_boundary"]
    other = [s for s in b["Statement"] if s["Sid"].startswith("CeilingOtherRegion")]
    assert other == [
        {
            "Sid": "CeilingOtherRegion0",
            "Effect": "Allow",
            "Action": ["events:DescribeRule", "events:ListTargetsByRule"],
            "Resource": [f"arn:aws:events:{r}:{ACCOUNT}:rule/dev-*" for r in ("eu-west-1", "us-east-1")],
        }
    ]
    # The region-wide ceiling stays in the home region.
    assert f"arn:aws:events:{REGION}:{ACCOUNT}:*" in _stmt(b, "Ceiling")["Resource"]
    assert not [r for r in _stmt(b, "Ceiling")["Resource"] if ":us-east-1:" in r or ":eu-west-1:" in r]
    home = dataclasses.replace(SCOPE, event_regions=())
    alone = iam.permission_boundary(
        home, ceiling=[iam.auditor_policy(home)], own_arn=iam.boundary_arn(home, "dev-roles-boundary")
    )
    assert not [s for s in alone["Statement"] if s["Sid"].startswith("CeilingOtherRegion")]


def test_boundary_ceiling_holds_only_what_the_roles_allow() -> None:
    b = DOCS["workload_boundary"]
    role_actions = {
        a for d in _workload().values() for s in d["Statement"] for a in iam._as_list(s["Action"])
    }
    exact = {
        a
        for s in b["Statement"]
        if s["Effect"] == "Allow" and not s["Sid"].startswith("CeilingReads")
        for a in iam._as_list(s["Action"])
    }
    patterns = {a for s in b["Statement"] if s["Sid"].startswith("CeilingReads") for a in s["Action"]}
    # Exact actions are role actions; the star-only reads are covered by one read verb per service, and
    # each pattern is there for a read some role makes.
    assert exact <= role_actions
    assert all(fnmatch.fnmatchcase(a, p) for a in role_actions - exact for p in [_pattern_of(a, patterns)])
    assert all(any(fnmatch.fnmatchcase(a, p) for a in role_actions - exact) for p in patterns)


def _pattern_of(action: str, patterns: set[str]) -> str:
    return next((p for p in patterns if fnmatch.fnmatchcase(action, p)), f"{action} has no pattern")


def test_cloudtrail_bucket_write_is_limited_to_the_trail_and_owner_acl() -> None:
    acl, write = DOCS["cloudtrail_bucket"]["Statement"]
    assert acl["Action"] == "s3:GetBucketAcl" and acl["Condition"] == {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN}
    }
    assert write["Resource"] == f"{TRAIL_BUCKET}/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN


def test_cloudtrail_logs_policy_is_scoped_to_its_log_group() -> None:
    (stmt,) = DOCS["cloudtrail_logs"]["Statement"]
    assert stmt["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/strongroom/dev/cloudtrail:log-stream:*"
    ]


def test_topic_policy_lets_eventbridge_publish_from_this_account_only() -> None:
    stmt = _stmt(DOCS["sns_topic"], "EventBridgePublishes")
    assert stmt["Principal"] == {"Service": "events.amazonaws.com"}
    assert stmt["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


# ---- break cases: the lint refuses weakened documents ------------------------------------------------


def _broken(mutate: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOCS["training"])
    mutate(doc["Statement"])
    return doc


@pytest.mark.parametrize(
    ("label", "mutate", "message"),
    [
        (
            "star action",
            lambda st: st.append(iam.allow("Bad", ["*"], ["arn:aws:s3:::b"])),
            "wildcard actions",
        ),
        (
            "service star",
            lambda st: st.append(iam.allow("Bad", ["s3:*"], ["arn:aws:s3:::b"])),
            "wildcard actions",
        ),
        ("prefix star", lambda st: st.append(iam.allow("Bad", ["s3:Get*"], ["arn:aws:s3:::b"])), "wildcard"),
        ("star resource", lambda st: st.append(iam.allow("Bad", ["s3:GetObject"], ["*"])), "Resource '\\*'"),
        (
            "passrole star",
            lambda st: st.append(
                iam.allow("Bad", ["iam:PassRole"], ["*"], {"StringEquals": {"iam:PassedToService": "x"}})
            ),
            "Resource '\\*'",
        ),
        (
            "passrole every role",
            lambda st: st.append(
                iam.allow(
                    "Bad", ["iam:PassRole"], [f"arn:aws:iam::{ACCOUNT}:role/*"], {"StringEquals": {"a": "b"}}
                )
            ),
            "every role",
        ),
        (
            "passrole no service",
            lambda st: st.append(iam.allow("Bad", ["iam:PassRole"], [TRAINING_ROLE])),
            "PassedToService",
        ),
        (
            "not action",
            lambda st: st.append(
                {"Sid": "Bad", "Effect": "Allow", "NotAction": "iam:CreateUser", "Resource": "*"}
            ),
            "NotAction",
        ),
        ("duplicate sid", lambda st: st.append(copy.deepcopy(st[0])), "duplicate Sid"),
    ],
)
def test_lint_rejects_weakened_policies(label: str, mutate: Any, message: str) -> None:
    with pytest.raises(iam.PolicyLintError, match=message):
        iam.to_json(_broken(mutate))


def test_allow_refuses_star_resource() -> None:
    with pytest.raises(iam.PolicyLintError, match=r"Bad: Resource '\*' with \['s3:GetObject'\]; .*star\(\)"):
        iam.allow("Bad", ["s3:GetObject"], ["*"])


def test_parliament_catches_a_resource_mismatch_we_would_introduce() -> None:
    doc = _broken(lambda st: st.append(iam.allow("Bad", ["s3:GetObject"], [SCOPE.data_bucket_arns[0]])))
    assert "RESOURCE_MISMATCH" in {f.issue for f in _findings(doc)}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("account", "1234", "12-digit"),
        ("region", "europe", "region"),
        ("partition", "aws-xx", "partition"),
        ("iam_path", "strongroom", "iam_path"),
        ("production_prefix", "experiments/", "production_prefix"),
        ("curated_prefix", "cur*", "curated_prefix"),
        ("data_bucket_arns", (), "at least one"),
        ("data_bucket_arns", ("arn:aws:s3:::dev-data-*",), "no wildcard"),
        ("data_bucket_arns", ("arn:aws:s3:::dev-data-payments/curated",), "exact ARN"),
        ("name_prefix", "", "name_prefix"),
        ("name_prefix", "*", "name_prefix"),
        ("vpc_id", "vpc-*", "vpc_id"),
        ("event_regions", ("*",), "event_regions"),
        ("event_regions", ("us-east-*",), "event_regions"),
        ("event_regions", (REGION,), "other than the home region eu-west-2"),
        ("event_regions", ("us-east-1", "us-east-1"), "names a region twice"),
    ],
)
def test_scope_refuses_bad_values(field: str, value: object, message: str) -> None:
    kwargs = {**SCOPE.__dict__, field: value}
    with pytest.raises(ValueError, match=message):
        iam.Scope(**kwargs)


# ---- the SageMaker guardrails that keep notebooks and Studio off the internet and off root -------------

GUARDRAIL_EXACT: dict[str, dict[str, Any]] = {
    "DenyNotebookInternet": {
        "Sid": "DenyNotebookInternet",
        "Effect": "Deny",
        "Action": ["sagemaker:CreateNotebookInstance"],
        "Resource": ["*"],
        "Condition": {"StringEqualsIfExists": {"sagemaker:DirectInternetAccess": "Enabled"}},
    },
    "DenyNotebookRootAccess": {
        "Sid": "DenyNotebookRootAccess",
        "Effect": "Deny",
        "Action": ["sagemaker:CreateNotebookInstance", "sagemaker:UpdateNotebookInstance"],
        "Resource": ["*"],
        "Condition": {"StringEqualsIfExists": {"sagemaker:RootAccess": "Enabled"}},
    },
    "DenyPublicStudio": {
        "Sid": "DenyPublicStudio",
        "Effect": "Deny",
        "Action": ["sagemaker:CreateDomain", "sagemaker:UpdateDomain"],
        "Resource": ["*"],
        "Condition": {"StringEqualsIfExists": {"sagemaker:AppNetworkAccessType": "PublicInternetOnly"}},
    },
}
"""The three statements exactly: a Deny (an Allow would grant), on every resource, of each create/update
action, whose condition denies when the key is absent too (IfExists on a Deny) and names the key and value
AWS documents (a renamed key is never present in the request, so the Deny would never apply)."""


@pytest.mark.parametrize("sid", sorted(GUARDRAIL_EXACT))
def test_sagemaker_guardrail_statement_is_exactly_as_reviewed(sid: str) -> None:
    found = [s for s in DOCS["guardrail"]["Statement"] if s.get("Sid") == sid]
    assert found == [GUARDRAIL_EXACT[sid]]


@pytest.mark.parametrize("sid", sorted(GUARDRAIL_EXACT))
def test_sagemaker_guardrail_keys_are_supported_by_their_actions(sid: str) -> None:
    stmt = GUARDRAIL_EXACT[sid]
    (key,) = stmt["Condition"]["StringEqualsIfExists"]
    for action in stmt["Action"]:
        assert key in iamdb.condition_keys(action), f"{action} does not support {key}"
