"""components.policydocs.deployer: the type -> actions table checked against the IAM database, and the
documents it builds (scoping, regions, denies, packing)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.components.policydocs import deployer as d
from strongroom.components.policydocs import iam
from strongroom.policies import iamdb
from strongroom.policies.tokens import aws_tokens, canonical

ACCOUNT = "123456789012"
REGION = "eu-west-2"
SCOPE = iam.Scope(
    partition="aws",
    account=ACCOUNT,
    region=REGION,
    data_bucket_arns=("arn:aws:s3:::sr-dev-data-payments-bucket-1a2b3c4",),
    model_bucket_arn="arn:aws:s3:::sr-dev-models-bucket-1a2b3c4",
    data_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b01",
    model_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b02",
    logs_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b03",
    iam_path="/strongroom/dev/",
    name_prefix="sr-dev-",
    vpc_id="vpc-0a1b2c3d4e5f60718",
)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/"
OWN = f"{ROLE}sr-dev-roles-deployer-1a2b3c4"
TRAINING = f"{ROLE}sr-dev-roles-training-1a2b3c4"
APPROVER = f"{ROLE}sr-dev-roles-model-approver-1a2b3c4"
FORWARDER = f"{ROLE}sr-dev-alerts-forwarder-role-1a2b3c4"
BOUNDARY = iam.boundary_arn(SCOPE, "sr-dev-roles-boundary")
GUARDRAILS = iam.boundary_arn(SCOPE, "sr-dev-roles-guardrails-1a2b3c4")
TARGETS = d.DeployerTargets(
    own_role_arn=OWN,
    own_policy_arns=(iam.boundary_arn(SCOPE, "sr-dev-roles-deployer-boundary"),),
    role_arns=(TRAINING, APPROVER, FORWARDER),
    policy_arns=(BOUNDARY, GUARDRAILS),
    protected_policy_arns=(BOUNDARY, GUARDRAILS),
    workload_boundary_arn=BOUNDARY,
    passable_roles=(
        d.PassableRole(TRAINING, "sagemaker.amazonaws.com"),
        d.PassableRole(FORWARDER, "events.amazonaws.com"),
    ),
    human_role_arns=(APPROVER,),
    key_alias_names=("alias/strongroom-dev-data",),
    environment="dev",
)
OTHER_HELPERS_TYPES = (
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList",
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup",
    "aws:route53/resolverFirewallRule:ResolverFirewallRule",
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",
    "aws:route53/resolverFirewallConfig:ResolverFirewallConfig",
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig",
    "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation",
    "aws:guardduty/detector:Detector",
    "aws:guardduty/detectorFeature:DetectorFeature",
    "aws:securityhub/account:Account",
    "aws:securityhub/standardsSubscription:StandardsSubscription",
    "aws:accessanalyzer/analyzer:Analyzer",
    "aws:cfg/recorder:Recorder",
    "aws:cfg/deliveryChannel:DeliveryChannel",
    "aws:cfg/recorderStatus:RecorderStatus",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
)


def _table_actions() -> list[tuple[str, str, str]]:
    rows = [(t, g, a) for t, grants in d.TYPE_ACTIONS.items() for g, acts in grants.items() for a in acts]
    rows += [("always", g, a) for g, acts in d.ALWAYS.items() for a in acts]
    denied = (*d.SELF_MODIFICATION, *d.POLICY_EDITS, *d.KEY_DESTRUCTION, *d.SILENCING, *d.ASSUMING)
    rows += [("deny", "deny", a) for a in denied]
    return rows


def test_every_table_action_is_a_known_iam_action_without_wildcard() -> None:
    bad = [(t, a) for t, _g, a in _table_actions() if "*" in a or "?" in a or not iamdb.known(a)]
    assert not bad, bad


def test_star_grants_hold_exactly_the_star_only_actions() -> None:
    wrong = [
        (g, a) for _t, g, a in _table_actions() if g != "deny" and (g in d.STAR_GRANTS) != iamdb.star_only(a)
    ]
    assert not wrong, wrong


def test_every_table_type_is_a_canonical_pulumi_aws_token() -> None:
    tokens = aws_tokens()
    for token in d.TYPE_ACTIONS:
        assert token in tokens, token
        assert canonical(token) == token, token


def test_the_types_other_helpers_add_are_covered() -> None:
    assert set(OTHER_HELPERS_TYPES) <= set(d.TYPE_ACTIONS)


def test_tag_conditions_are_supported_by_every_action_they_confine() -> None:
    doc = iam.document(*d.deployer_statements(SCOPE, TARGETS, {t: [REGION] for t in d.TYPE_ACTIONS}))
    for stmt in doc["Statement"]:
        keys = [k for op in stmt.get("Condition", {}).values() for k in op if k != "aws:RequestedRegion"]
        for key in keys:
            pattern = key.split("/")[0] + "/${TagKey}" if "Tag/" in key else key
            for action in iam._as_list(stmt["Action"]):
                if stmt["Effect"] == "Allow":
                    assert pattern in iamdb.condition_keys(action), (stmt["Sid"], action, key)


def test_an_unknown_type_is_refused_with_its_name() -> None:
    with pytest.raises(d.UnknownResourceType, match="aws:lambda/function:Function"):
        d.deployer_statements(SCOPE, TARGETS, {"aws:lambda/function:Function": [REGION]})


def _sids(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in statements}


def test_only_the_actions_of_the_planned_types_are_granted() -> None:
    planned = {"aws:s3/bucket:Bucket": [REGION], "aws:s3/bucketNotification:BucketNotification": [REGION]}
    statements = d.deployer_statements(SCOPE, TARGETS, planned)
    granted = {
        a
        for s in statements
        if s["Effect"] == "Allow" and "iam:PassRole" not in s["Action"]
        for a in s["Action"]
    }
    assert granted == d.granted_actions(planned)
    assert "s3:PutBucketNotification" in granted
    assert not {a for a in granted if not a.startswith(("s3:", "sts:"))}
    assert _sids(statements)["ManageBuckets"]["Resource"] == sorted(SCOPE.bucket_arns)


def test_each_type_is_granted_in_its_own_regions() -> None:
    planned = {
        "aws:cloudwatch/eventRule:EventRule": [REGION, "us-east-1"],
        "aws:kms/key:Key": [REGION, "eu-west-1"],
        "aws:kms/alias:Alias": [REGION, "eu-west-1"],
    }
    by_sid = _sids(d.deployer_statements(SCOPE, TARGETS, planned))
    rules = by_sid["ManageRules"]
    assert rules["Resource"] == [
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/sr-dev-*",
        f"arn:aws:events:us-east-1:{ACCOUNT}:rule/sr-dev-*",
    ]
    assert rules["Condition"] == {"StringEquals": {"aws:RequestedRegion": [REGION, "us-east-1"]}}
    aliases = by_sid["ManageAliases"]["Resource"]
    assert f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/strongroom-dev-data" in aliases
    assert by_sid["ManageKeys"]["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": ["eu-west-1", REGION]}
    }
    assert "ManageBuckets" not in by_sid


def test_pass_role_per_service_never_a_human_or_own_role() -> None:
    by_sid = _sids(d.pass_role_statements(TARGETS))
    assert by_sid["PassToSagemaker"]["Resource"] == [TRAINING]
    assert by_sid["PassToSagemaker"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    assert by_sid["PassToEvents"]["Resource"] == [FORWARDER]
    for arn in (APPROVER, OWN):
        bad = d.DeployerTargets(
            **{**TARGETS.__dict__, "passable_roles": (d.PassableRole(arn, "s3.amazonaws.com"),)}
        )
        with pytest.raises(ValueError, match="never passed"):
            d.pass_role_statements(bad)


@pytest.mark.parametrize(
    ("arn", "service"),
    [
        (TRAINING, "*"),
        (TRAINING, "*.amazonaws.com"),
        (f"{ROLE}*", "s3.amazonaws.com"),
        ("*", "s3.amazonaws.com"),
    ],
)
def test_a_passable_role_is_one_role_to_one_service(arn: str, service: str) -> None:
    with pytest.raises(ValueError, match="passable role"):
        d.PassableRole(arn, service)


def test_denies_cover_self_modification_policy_edits_unbounded_roles_and_keys() -> None:
    by_sid = _sids(d.deployer_denies(SCOPE, TARGETS))
    assert all(s["Effect"] == "Deny" for s in by_sid.values())
    assert by_sid["DenySelfModification"]["Resource"] == [OWN]
    assert {"iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:TagRole"} <= set(
        by_sid["DenySelfModification"]["Action"]
    )
    edits = by_sid["DenyGuardrailAndBoundaryEdits"]
    assert {BOUNDARY, GUARDRAILS, *TARGETS.own_policy_arns} == set(edits["Resource"])
    assert {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"} <= set(
        edits["Action"]
    )
    unbounded = by_sid["DenyRoleWithoutWorkloadBoundary"]
    assert unbounded["Condition"] == {"ArnNotEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    assert {"kms:ScheduleKeyDeletion", "kms:DisableKey"} <= set(by_sid["DenyKeyDestruction"]["Action"])
    assert by_sid["DenyKeyPolicyLockoutBypass"]["Condition"] == {
        "Bool": {"kms:BypassPolicyLockoutSafetyCheck": "true"}
    }
    assert by_sid["DenyPassHumanRoles"]["Resource"] == [APPROVER]
    silencing = set(by_sid["DenySilencingDetection"]["Action"])
    assert {
        "guardduty:DeleteDetector",
        "securityhub:DisableSecurityHub",
        "config:StopConfigurationRecorder",
    } <= silencing
    assert not silencing & d.granted_actions(d.TYPE_ACTIONS)
    assert {"sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"} <= set(
        by_sid["DenyAssumingOtherRoles"]["Action"]
    )


def test_policies_are_packed_into_the_slots_and_refused_when_they_do_not_fit() -> None:
    planned = {t: [REGION] for t in d.TYPE_ACTIONS}
    docs = d.deployer_policies(SCOPE, TARGETS, planned, slots=6)
    assert len(docs) == 7
    assert all(d.managed_policy_size(doc) <= d.MANAGED_POLICY_MAX_CHARS for doc in docs)
    assert all(s["Effect"] == "Deny" for s in docs[-1]["Statement"])
    packed = {
        json.dumps(s, sort_keys=True) for doc in docs[:-1] for s in doc["Statement"] if s["Sid"] != "Identity"
    }
    allows = [s for s in d.deployer_statements(SCOPE, TARGETS, planned) if s["Effect"] == "Allow"]
    assert packed == {json.dumps(s, sort_keys=True) for s in allows if s["Sid"] != "Identity"}
    with pytest.raises(ValueError, match="DEPLOYER_POLICY_SLOTS"):
        d.deployer_policies(SCOPE, TARGETS, planned, slots=1)


@pytest.mark.parametrize("max_chars", [2500, 4000, d.MANAGED_POLICY_MAX_CHARS])
def test_the_packing_is_first_fit_by_each_document_s_serialised_size(max_chars: int) -> None:
    """The packer keeps each slot's size as it grows; a first fit that serialises every candidate document
    whole packs the same statements into the same slots, and every document is within the limit."""
    planned = {t: [REGION] for t in d.TYPE_ACTIONS}
    allows = [s for s in d.deployer_statements(SCOPE, TARGETS, planned) if s["Effect"] == "Allow"]
    slots: list[list[dict[str, object]]] = [[] for _ in range(12)]
    for stmt in allows:
        fit = next(p for p in slots if d.managed_policy_size(d.document(*p, stmt)) <= max_chars)
        fit.append(stmt)
    used = max(i for i, p in enumerate(slots) if p) + 1
    docs = d.deployer_policies(SCOPE, TARGETS, planned, slots=used, max_chars=max_chars)
    assert [doc["Statement"] for doc in docs[:-1]] == slots[:used]
    assert all(d.managed_policy_size(doc) <= max_chars for doc in docs[:-1])
    assert max(d.managed_policy_size(doc) for doc in docs[:-1]) > max_chars - 400  # the limit was reached


def _matched(patterns: set[str], action: str) -> bool:
    return any(action.lower() in {a.lower() for a in iamdb.expand(p)} for p in patterns)


def test_the_boundary_allows_exactly_the_deployer_writes_its_reads_by_verb_and_keeps_its_role_out() -> None:
    planned = {"aws:s3/bucket:Bucket": [REGION], "aws:iam/role:Role": [d.GLOBAL]}
    boundary = d.deployer_boundary(SCOPE, TARGETS, planned, "sr-dev-")
    listed = {a for s in boundary["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    patterns = {a for a in listed if "*" in a}
    assert patterns == {"iam:Get*", "iam:List*", "s3:Get*", "s3:List*", "sts:Get*"}
    needed = d.granted_actions(planned) | {"iam:PassRole"}
    assert all(_matched(listed, a) for a in needed)
    assert listed - patterns == {
        a for a in needed if not a.split(":")[1].startswith(("Get", "List", "Describe"))
    }
    by_sid = _sids(boundary["Statement"])
    assert "arn:aws:s3:::sr-dev-*" in by_sid["Ceiling"]["Resource"]
    assert by_sid["CeilingReads"]["Resource"] == "*" and "Condition" not in by_sid["CeilingReads"]
    assert by_sid["CeilingDenySelfModification"]["Resource"] == [OWN]
    assert by_sid["CeilingDenyPassHumanRoles"]["Resource"] == [APPROVER]
    iam.lint(boundary)


def test_the_whole_table_fits_one_boundary_and_a_larger_one_is_refused_at_preview() -> None:
    every = {t: [REGION, "eu-west-1", "us-east-1"] for t in d.TYPE_ACTIONS}
    assert d.managed_policy_size(d.deployer_boundary(SCOPE, TARGETS, every, "sr-dev-")) <= 6144
    humans = tuple(f"{ROLE}sr-dev-a-rather-long-human-role-name-{i}-1a2b3c4" for i in range(40))
    crowded = d.DeployerTargets(**{**TARGETS.__dict__, "human_role_arns": humans})
    with pytest.raises(ValueError, match=r"permission boundary lists .* over IAM's 6144"):
        d.deployer_boundary(SCOPE, crowded, every, "sr-dev-")


def test_lint_admits_read_verbs_in_a_boundary_read_ceiling_only() -> None:
    read = {
        "Sid": "CeilingReadsAndWrites",
        "Effect": "Allow",
        "Action": ["s3:Get*"],
        "Resource": "arn:aws:s3:::x",
    }
    iam.lint(iam.document(read))
    for sid, action in (("Other", "s3:Get*"), ("CeilingReads", "s3:Put*"), ("CeilingReads", "s3:*")):
        with pytest.raises(iam.PolicyLintError, match="wildcard"):
            iam.lint(iam.document({**read, "Sid": sid, "Action": [action]}))


def test_resources_aws_names_on_creation_are_granted_by_their_exact_arns() -> None:
    from strongroom.policies.controls.identity import broad_resource

    group = f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:firewall-rule-group/rslvr-frg-0123456789abcdef"
    detector = f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0"
    targets = d.DeployerTargets(
        **{
            **TARGETS.__dict__,
            "resource_arns": {
                "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": (group,),
                "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": (
                    "firewall-config/rslvr-fc-0123",
                ),
                "aws:guardduty/detector:Detector": (detector,),
            },
            "config_recorder_names": ("sr-dev-recorder",),
        }
    )
    planned = {
        t: [REGION] for t in d.TYPE_ACTIONS if t.startswith(("aws:route53/", "aws:guardduty/", "aws:cfg/"))
    }
    by_sid = _sids(d.deployer_statements(SCOPE, targets, planned))
    assert by_sid["ManageResolver"]["Resource"] == sorted(
        [group, f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:firewall-config/rslvr-fc-0123"]
    )
    assert detector in by_sid["ManageBaseline"]["Resource"]
    assert by_sid["ManageConfigRecorder"]["Resource"] == [
        f"arn:aws:config:{REGION}:{ACCOUNT}:configuration-recorder/sr-dev-recorder/*"
    ]
    for sid in ("ManageResolver", "ManageBaseline", "ManageConfigRecorder"):
        assert not [r for r in by_sid[sid]["Resource"] if broad_resource(r)], sid
    create = by_sid["CreateResolver"]
    assert create["Condition"]["StringEquals"]["aws:RequestTag/strongroom:environment"] == "dev"
    # Before the resources exist (first deploy) there is nothing to name: no statement at all.
    unknown = _sids(d.deployer_statements(SCOPE, TARGETS, planned))
    assert "ManageResolver" not in unknown


def test_service_linked_roles_of_the_planned_services_only_by_exact_arn() -> None:
    planned = {"aws:securityhub/account:Account": [REGION], "aws:guardduty/detector:Detector": [REGION]}
    stmt = _sids(d.deployer_statements(SCOPE, TARGETS, planned))["CreateServiceLinkedRoles"]
    assert stmt["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty",
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/securityhub.amazonaws.com/AWSServiceRoleForSecurityHub",
    ]
    assert stmt["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": ["guardduty.amazonaws.com", "securityhub.amazonaws.com"]}
    }
    assert "CreateServiceLinkedRoles" not in _sids(
        d.deployer_statements(SCOPE, TARGETS, {"aws:s3/bucket:Bucket": [REGION]})
    )
