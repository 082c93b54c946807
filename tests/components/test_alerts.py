"""SecurityAlerts: tamper patterns as JSON, and the rules, topic and subscriptions under the mock monitor."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.alerts import SecurityAlerts, SecurityAlertsArgs, forwarding_pattern, tamper_patterns
from strongroom.engine import PlanResource, Recorder

ACCOUNT = "123456789012"
KEY = "arn:aws:kms:eu-west-2:123456789012:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b03"
ROLES = ["dev-roles-training-1a2b3c4", "dev-roles-auditor-1a2b3c4"]
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PATTERNS = tamper_patterns(ROLES)


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


def _match_value(pattern: Any, value: Any) -> bool:
    if isinstance(pattern, list):
        return value in pattern
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        for key, sub in pattern.items():
            if key == "$or":
                if not any(_match_value(alt, value) for alt in sub):
                    return False
            elif key not in value or not _match_value(sub, value[key]):
                return False
        return True
    raise AssertionError(f"unexpected pattern element {pattern!r}")


def matches(pattern: dict[str, Any], evt: dict[str, Any]) -> bool:
    """The subset of EventBridge matching our patterns use: exact values in lists, nesting, $or."""
    return _match_value(pattern, evt)


def matching_rules(evt: dict[str, Any]) -> set[str]:
    return {name for name, p in PATTERNS.items() if matches(p, evt)}


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
        event("aws.ec2", "CreateRoute", requestParameters={"destinationCidrBlock": "10.0.0.0/16"}),
        event("aws.ec2", "CreateVpc"),
        event("aws.s3", "GetBucketPolicy"),
        event("aws.kms", "EnableKey"),
        event("aws.cloudtrail", "StartLogging"),
        event("aws.iam", "AttachRolePolicy", requestParameters={"roleName": "someone-elses-role"}),
        {**event("aws.s3", "PutBucketPolicy"), "detail-type": "Object Created"},
    ],
)
def test_harmless_or_foreign_calls_do_not_alert(evt: dict[str, Any]) -> None:
    assert matching_rules(evt) == set()


def test_forwarding_pattern_matches_role_changes_anywhere() -> None:
    assert matches(
        forwarding_pattern(), event("aws.iam", "PutRolePolicy", requestParameters={"roleName": "x"})
    )


def test_patterns_need_role_names() -> None:
    with pytest.raises(ValueError, match="role_names"):
        tamper_patterns([])


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
    rules = {r.name.removeprefix("dev-alerts-"): r for r in built.of_type(RULE) if "region" not in r.inputs}
    assert set(rules) == set(PATTERNS)
    for label, rule in rules.items():
        assert json.loads(rule.inputs["eventPattern"]) == PATTERNS[label], rule.urn
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
    forward = next(r for r in built.of_type(RULE) if r.inputs.get("region") == "us-east-1")
    assert json.loads(forward.inputs["eventPattern"]) == forwarding_pattern(), forward.urn
    target = next(t for t in built.of_type(TARGET) if t.inputs.get("region") == "us-east-1")
    assert target.inputs["arn"] == f"arn:aws:events:eu-west-2:{ACCOUNT}:event-bus/default", target.urn
    role = one(built, "aws:iam/role:Role")
    assert role.inputs["permissionsBoundary"].endswith("/b"), role.urn
    policy = json.loads(one(built, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"][0]["Action"] == ["events:PutEvents"]


def test_no_forwarder_in_us_east_1(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: SecurityAlerts("dev-alerts", make_args(region="us-east-1")))
    assert all("region" not in r.inputs for r in pulumi_mocks.of_type(RULE))
    assert pulumi_mocks.of_type("aws:iam/role:Role") == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email_endpoints": ["not-an-email"]}, "email_endpoints"),
        ({"https_endpoints": ["http://soc.bank.example/hook"]}, "https_endpoints"),
        ({"region": "europe"}, "region"),
    ],
)
def test_args_refuse_bad_values(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_args(**overrides)
