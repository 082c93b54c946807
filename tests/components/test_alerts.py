"""SecurityAlerts: tamper patterns as JSON, and the rules, topic and subscriptions under the mock monitor."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.components.alerts import (
    GLOBAL_EVENTS_REGION,
    LABELS,
    REGIONAL_LABELS,
    SecurityAlerts,
    SecurityAlertsArgs,
    forwarding_pattern,
    forwarding_regions,
    tamper_patterns,
)
from strongroom.engine import PlanResource, Recorder
from strongroom.policies import config, eventpattern

ACCOUNT = "123456789012"
KEY = "arn:aws:kms:eu-west-2:123456789012:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b03"
ROLES = ["dev-roles-training-1a2b3c4", "dev-roles-auditor-1a2b3c4"]
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = f"arn:aws:sns:eu-west-2:{ACCOUNT}:dev-alerts-topic-1a2b3c4"
PATTERNS = tamper_patterns(ROLES, topic_arn=TOPIC, rule_name_prefix="dev-alerts-")


def event(source: str, name: str, **detail: Any) -> dict[str, Any]:
    return {
        "source": source,
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {
            "eventSource": f"{source.removeprefix('aws.')}.amazonaws.com",
            "eventName": name,
            **detail,
        },
    }


def matches(pattern: dict[str, Any], evt: dict[str, Any]) -> bool:
    """EventBridge matching as the policy pack judges it (policies.eventpattern)."""
    return eventpattern.matches(pattern, evt)


def matching_rules(evt: dict[str, Any]) -> set[str]:
    return {name for name, p in PATTERNS.items() if matches(p, evt)}


ROUTE_LEAKS = [
    {"destinationCidrBlock": "0.0.0.0/0"},
    {"destinationCidrBlock": "0.0.0.0/1"},
    {"destinationCidrBlock": "128.0.0.0/1"},
    {"destinationCidrBlock": "10.0.0.0/16"},
    {"destinationIpv6CidrBlock": "::/0"},
    {"destinationIpv6CidrBlock": "2000::/3"},
    {"destinationPrefixListId": "pl-0abc1234"},
]


@pytest.mark.parametrize("call", ["CreateRoute", "ReplaceRoute"])
@pytest.mark.parametrize("destination", ROUTE_LEAKS, ids=lambda d: next(iter(d.values())))
def test_every_route_change_alerts_whatever_its_destination(call: str, destination: dict[str, str]) -> None:
    assert matching_rules(event("aws.ec2", call, requestParameters=destination)) == {"default-route"}


@pytest.mark.parametrize(
    ("evt", "rule"),
    [
        (
            event("aws.events", "DisableRule", requestParameters={"name": "dev-alerts-kms-key-1a2b3c4"}),
            "alert-rules",
        ),
        (
            event("aws.events", "DeleteRule", requestParameters={"name": "dev-alerts-forward-iam-1"}),
            "alert-rules",
        ),
        (event("aws.events", "PutRule", requestParameters={"name": "dev-alerts-trail-1"}), "alert-rules"),
        (
            event("aws.events", "RemoveTargets", requestParameters={"rule": "dev-alerts-trail-1"}),
            "alert-rules",
        ),
        (event("aws.events", "PutTargets", requestParameters={"rule": "dev-alerts-trail-1"}), "alert-rules"),
        (event("aws.sns", "SetTopicAttributes", requestParameters={"topicArn": TOPIC}), "alert-topic"),
        (event("aws.sns", "DeleteTopic", requestParameters={"topicArn": TOPIC}), "alert-topic"),
        (event("aws.sns", "Subscribe", requestParameters={"topicArn": TOPIC}), "alert-topic"),
        (
            event("aws.sns", "Unsubscribe", requestParameters={"subscriptionArn": f"{TOPIC}:5d2b"}),
            "alert-topic",
        ),
        (
            event("aws.sns", "PutDataProtectionPolicy", requestParameters={"resourceArn": TOPIC}),
            "alert-topic",
        ),
        (
            event("aws.iam", "CreatePolicyVersion", requestParameters={"policyArn": "arn:p"}),
            "iam-policy-versions",
        ),
        (event("aws.iam", "SetDefaultPolicyVersion"), "iam-policy-versions"),
        (event("aws.kms", "CreateGrant"), "kms-grant"),
        (event("aws.s3", "PutBucketLifecycle"), "bucket-retention"),
        (event("aws.s3", "DeleteBucketLifecycle"), "bucket-retention"),
        (event("aws.s3", "PutBucketReplication"), "bucket-retention"),
        (event("aws.s3", "DeleteBucketReplication"), "bucket-retention"),
        (event("aws.s3", "PutObjectLockConfiguration"), "bucket-retention"),
        (event("aws.ec2", "CreateVpcEndpoint"), "vpc-connections"),
        (event("aws.ec2", "ModifyVpcEndpoint"), "vpc-connections"),
        (event("aws.ec2", "CreateVpcPeeringConnection"), "vpc-connections"),
        (event("aws.ec2", "AcceptVpcPeeringConnection"), "vpc-connections"),
        (event("aws.ec2", "DeleteFlowLogs"), "flow-logs"),
        (event("aws.cloudtrail", "PutInsightSelectors"), "trail"),
    ],
)
def test_silencing_and_new_tampering_are_caught(evt: dict[str, Any], rule: str) -> None:
    assert matching_rules(evt) == {rule}


def test_the_global_events_region_is_the_packs() -> None:
    assert GLOBAL_EVENTS_REGION == config.GLOBAL_EVENTS_REGION


@pytest.mark.parametrize(
    ("evt", "rule"),
    [
        (event("aws.ec2", "CreateInternetGateway"), "internet-gateway"),
        (event("aws.ec2", "AttachInternetGateway"), "internet-gateway"),
        (event("aws.ec2", "CreateNatGateway"), "internet-gateway"),
        (
            event("aws.ec2", "CreateRoute", requestParameters={"destinationCidrBlock": "0.0.0.0/0"}),
            "default-route",
        ),
        (
            event("aws.ec2", "ReplaceRoute", requestParameters={"destinationCidrBlock": "0.0.0.0/0"}),
            "default-route",
        ),
        (
            event("aws.ec2", "CreateRoute", requestParameters={"destinationIpv6CidrBlock": "::/0"}),
            "default-route",
        ),
        (event("aws.s3", "PutBucketPolicy"), "bucket-protection"),
        (event("aws.s3", "DeleteBucketPolicy"), "bucket-protection"),
        (event("aws.s3", "PutBucketPublicAccessBlock"), "bucket-protection"),
        (event("aws.s3", "DeleteBucketPublicAccessBlock"), "bucket-protection"),
        (event("aws.s3", "DeleteAccountPublicAccessBlock"), "bucket-protection"),
        (event("aws.s3", "PutAccountPublicAccessBlock"), "bucket-protection"),
        (event("aws.s3", "PutBucketVersioning"), "bucket-protection"),
        (event("aws.s3", "PutBucketEncryption"), "bucket-protection"),
        (event("aws.s3", "DeleteBucketEncryption"), "bucket-protection"),
        (event("aws.kms", "DisableKey"), "kms-key"),
        (event("aws.kms", "ScheduleKeyDeletion"), "kms-key"),
        (event("aws.cloudtrail", "StopLogging"), "trail"),
        (event("aws.cloudtrail", "DeleteTrail"), "trail"),
        (event("aws.cloudtrail", "UpdateTrail"), "trail"),
        (event("aws.cloudtrail", "PutEventSelectors"), "trail"),
        (event("aws.iam", "AttachRolePolicy", requestParameters={"roleName": ROLES[0]}), "stack-roles"),
        (event("aws.iam", "PutRolePolicy", requestParameters={"roleName": ROLES[1]}), "stack-roles"),
        (event("aws.iam", "DetachRolePolicy", requestParameters={"roleName": ROLES[0]}), "stack-roles"),
        (
            event("aws.iam", "DeleteRolePermissionsBoundary", requestParameters={"roleName": ROLES[0]}),
            "stack-roles",
        ),
    ],
)
def test_tampering_is_caught_by_its_rule(evt: dict[str, Any], rule: str) -> None:
    assert matching_rules(evt) == {rule}


@pytest.mark.parametrize(
    "evt",
    [
        event("aws.ec2", "CreateVpc"),
        event("aws.sns", "DeleteTopic", requestParameters={"topicArn": f"{TOPIC}-other"}),
        event("aws.sns", "Unsubscribe", requestParameters={"subscriptionArn": f"{TOPIC}-other:1"}),
        event("aws.events", "DisableRule", requestParameters={"name": "someone-elses-rule"}),
        event("aws.kms", "ListGrants"),
        event("aws.iam", "ListPolicyVersions"),
        event("aws.s3", "GetBucketPolicy"),
        event("aws.kms", "EnableKey"),
        event("aws.cloudtrail", "StartLogging"),
        event("aws.iam", "AttachRolePolicy", requestParameters={"roleName": "someone-elses-role"}),
        {**event("aws.s3", "PutBucketPolicy"), "detail-type": "Object Created"},
    ],
)
def test_harmless_or_foreign_calls_do_not_alert(evt: dict[str, Any]) -> None:
    assert matching_rules(evt) == set()


def test_forwarding_pattern_matches_role_changes_and_policy_versions_anywhere() -> None:
    assert matches(
        forwarding_pattern(), event("aws.iam", "PutRolePolicy", requestParameters={"roleName": "x"})
    )
    assert matches(forwarding_pattern(), event("aws.iam", "SetDefaultPolicyVersion"))


@pytest.mark.parametrize(
    ("roles", "kwargs", "message"),
    [
        ([], {"topic_arn": TOPIC, "rule_name_prefix": "dev-alerts-"}, "role_names"),
        (ROLES, {"topic_arn": "dev-alerts-topic", "rule_name_prefix": "dev-alerts-"}, "topic_arn"),
        (ROLES, {"topic_arn": TOPIC, "rule_name_prefix": ""}, "rule_name_prefix"),
    ],
)
def test_patterns_refuse_missing_names(roles: list[str], kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tamper_patterns(roles, **kwargs)


def make_args(**overrides: Any) -> SecurityAlertsArgs:
    values: dict[str, Any] = {
        "kms_key_arn": KEY,
        "role_names": ROLES,
        "region": "eu-west-2",
        "email_endpoints": ["soc@bank.example"],
        "https_endpoints": ["https://soc.bank.example/hooks/aws"],
        "forwarding_role_permissions_boundary_arn": f"arn:aws:iam::{ACCOUNT}:policy/strongroom/dev/b",
    }
    values.update(overrides)
    return SecurityAlertsArgs(**values)


@pytest.fixture
def built(pulumi_mocks: Recorder) -> Recorder:
    pulumi_mocks.run(lambda: SecurityAlerts("dev-alerts", make_args()))
    return pulumi_mocks


def one(mocks: Recorder, type_: str) -> PlanResource:
    (found,) = mocks.of_type(type_)
    return found


def test_topic_is_kms_encrypted(built: Recorder) -> None:
    topic = one(built, "aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == KEY, topic.urn


def test_each_rule_carries_its_pattern_and_targets_the_topic(built: Recorder) -> None:
    topic_arn = one(built, "aws:sns/topic:Topic").outputs["arn"]
    forwarder = one(built, "aws:iam/role:Role").outputs["name"]
    expected = tamper_patterns([*ROLES, forwarder], topic_arn=topic_arn, rule_name_prefix="dev-alerts-")
    rules = {r.name.removeprefix("dev-alerts-"): r for r in built.of_type(RULE) if "region" not in r.inputs}
    assert set(rules) == set(PATTERNS) == set(LABELS)
    for label, rule in rules.items():
        assert json.loads(rule.inputs["eventPattern"]) == expected[label], rule.urn
    for rule in rules.values():
        assert rule.inputs["state"] == "ENABLED", rule.urn
    home_targets = [t for t in built.of_type(TARGET) if "region" not in t.inputs]
    assert len(home_targets) == len(PATTERNS)
    assert all(t.inputs["arn"] == topic_arn for t in home_targets)


def test_topic_policy_lets_only_this_accounts_rules_publish(built: Recorder) -> None:
    policy = one(built, "aws:sns/topicPolicy:TopicPolicy")
    stmt = next(
        s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Sid"] == "EventBridgePublishes"
    )
    assert stmt["Principal"] == {"Service": "events.amazonaws.com"}, policy.urn
    assert stmt["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, policy.urn
    rule_arns = sorted(r.outputs["arn"] for r in built.of_type(RULE) if "region" not in r.inputs)
    assert stmt["Condition"]["ArnLike"]["aws:SourceArn"] == rule_arns, policy.urn


def test_subscriptions_from_args(built: Recorder) -> None:
    subs = {
        (s.inputs["protocol"], s.inputs["endpoint"])
        for s in built.of_type("aws:sns/topicSubscription:TopicSubscription")
    }
    assert subs == {("email", "soc@bank.example"), ("https", "https://soc.bank.example/hooks/aws")}


def test_iam_events_forwarded_from_us_east_1_with_a_bounded_role(built: Recorder) -> None:
    forward = next(r for r in built.of_type(RULE) if r.name == "dev-alerts-forward-iam")
    assert forward.inputs["region"] == "us-east-1"
    assert json.loads(forward.inputs["eventPattern"]) == forwarding_pattern(), forward.urn
    target = next(t for t in built.of_type(TARGET) if t.name == "dev-alerts-forward-iam-target")
    assert target.inputs["region"] == "us-east-1"
    assert target.inputs["arn"] == f"arn:aws:events:eu-west-2:{ACCOUNT}:event-bus/default", target.urn
    role = one(built, "aws:iam/role:Role")
    assert role.inputs["permissionsBoundary"].endswith("/b"), role.urn
    policy = json.loads(one(built, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"][0]["Action"] == ["events:PutEvents"]


def test_changes_to_the_us_east_1_forwarders_are_forwarded_too(built: Recorder) -> None:
    forward = next(r for r in built.of_type(RULE) if r.name == "dev-alerts-forward-alert-rules")
    assert forward.inputs["region"] == "us-east-1"
    assert matches(
        json.loads(forward.inputs["eventPattern"]),
        event("aws.events", "DisableRule", requestParameters={"name": "dev-alerts-forward-iam-1a2b3c4"}),
    )


def test_replica_region_forwards_every_regional_rule_home(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: SecurityAlerts("dev-alerts", make_args(replica_region="eu-west-1")))
    topic_arn = one(pulumi_mocks, "aws:sns/topic:Topic").outputs["arn"]
    role = one(pulumi_mocks, "aws:iam/role:Role")
    expected = tamper_patterns(
        [*ROLES, role.outputs["name"]], topic_arn=topic_arn, rule_name_prefix="dev-alerts-"
    )
    replica = {
        r.name.removeprefix("dev-alerts-replica-"): r
        for r in pulumi_mocks.of_type(RULE)
        if r.inputs.get("region") == "eu-west-1"
    }
    assert set(replica) == set(REGIONAL_LABELS)
    for label, rule in replica.items():
        assert json.loads(rule.inputs["eventPattern"]) == expected[label], rule.urn
        assert rule.inputs["state"] == "ENABLED", rule.urn
    targets = [t for t in pulumi_mocks.of_type(TARGET) if t.inputs.get("region") == "eu-west-1"]
    assert len(targets) == len(REGIONAL_LABELS)
    for target in targets:
        assert target.inputs["arn"] == f"arn:aws:events:eu-west-2:{ACCOUNT}:event-bus/default", target.urn
        assert target.inputs["roleArn"] == role.outputs["arn"], target.urn


def test_replica_in_us_east_1_shares_the_forwarding_region(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: SecurityAlerts("dev-alerts", make_args(replica_region="us-east-1")))
    east = sorted(r.name for r in pulumi_mocks.of_type(RULE) if r.inputs.get("region") == "us-east-1")
    assert east == sorted(
        ["dev-alerts-forward-iam", *(f"dev-alerts-replica-{label}" for label in REGIONAL_LABELS)]
    )


def test_home_in_us_east_1_with_a_replica_still_forwards_the_replica(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(
        lambda: SecurityAlerts("dev-alerts", make_args(region="us-east-1", replica_region="us-west-2"))
    )
    regions = {r.inputs.get("region") for r in pulumi_mocks.of_type(RULE)}
    assert regions == {None, "us-west-2"}


def test_no_forwarder_in_us_east_1(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: SecurityAlerts("dev-alerts", make_args(region="us-east-1")))
    assert all("region" not in r.inputs for r in pulumi_mocks.of_type(RULE))
    assert pulumi_mocks.of_type("aws:iam/role:Role") == []


@pytest.mark.parametrize(
    ("region", "replica"),
    [
        ("eu-west-2", None),
        ("eu-west-2", "eu-west-1"),
        ("eu-west-2", "us-east-1"),
        ("us-east-1", None),
        ("us-east-1", "us-west-2"),
    ],
)
def test_forwarding_regions_are_where_the_forwarding_rules_are(
    pulumi_mocks: Recorder, region: str, replica: str | None
) -> None:
    """The regions the auditor is granted its rule reads in (MlRolesArgs.event_regions) are exactly those of
    the rules created outside the home region."""
    pulumi_mocks.run(lambda: SecurityAlerts("dev-alerts", make_args(region=region, replica_region=replica)))
    created = {r.inputs["region"] for r in pulumi_mocks.of_type(RULE) if "region" in r.inputs}
    assert forwarding_regions(region, replica) == tuple(sorted(created))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email_endpoints": ["not-an-email"]}, "email_endpoints"),
        ({"https_endpoints": ["http://soc.bank.example/hook"]}, "https_endpoints"),
        ({"region": "europe"}, "region"),
        ({"replica_region": "eu-west-2"}, "replica_region"),
        ({"replica_region": "ireland"}, "replica_region"),
    ],
)
def test_args_refuse_bad_values(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_args(**overrides)


def test_a_watched_rule_prefix_must_cover_the_components_own_rules(pulumi_mocks: Recorder) -> None:
    from strongroom.components.alerts import SecurityAlerts, SecurityAlertsArgs

    args = SecurityAlertsArgs(
        kms_key_arn="arn:aws:kms:eu-west-2:123456789012:key/k",
        role_names=["r"],
        region="eu-west-2",
        watched_rule_name_prefix="other-",
    )
    with pytest.raises(ValueError, match="watched_rule_name_prefix: 'other-' does not cover"):
        pulumi_mocks.run(lambda: SecurityAlerts("sr-dev-alerts", args))
