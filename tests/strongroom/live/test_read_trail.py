"""The trail reader: the dev plan's trail and alert path (rules, targets, topic, its policy and
subscription) created in moto as AuditTrail and SecurityAlerts create them, read back in the plan's shape,
judged by the catalog like the plan; each tamper (logging stopped, single region, validation off, an
alert rule disabled or untargeted, a web subscription) is caught by its control, and trails of other
stacks are not read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _riam_support import (
    ACCOUNT,
    REGION,
    assert_nested_keys,
    assert_plan_shape,
    auditor_actions,
    findings,
    hybrid,
    planned,
    refuse,
)
from live_support import moto_client, moto_context
from moto import mock_aws

from strongroom.live.aws import Aws
from strongroom.live.readers import Scope, alerts, trail
from strongroom.live.readers.trail import (
    EVENT_RULE,
    EVENT_TARGET,
    TOPIC,
    TOPIC_POLICY,
    TOPIC_SUBSCRIPTION,
    TRAIL,
)
from strongroom.policies.props import Resource

BOTH_TYPES = (*trail.TYPES, *alerts.TYPES)
"""The trail area's types and the alert path's (an area of its own)."""


def _read_both(aws: Aws, scope: Scope) -> list[Resource]:
    return [*trail.read(aws, scope), *alerts.read(aws, scope)]


SCOPE = Scope(
    stack="dev",
    account=ACCOUNT,
    partition="aws",
    region=REGION,
    regions=(REGION, "us-east-1"),
    iam_path="/strongroom/dev/",
)


def _alert_path(stack: str = "dev") -> None:
    """The dev plan's alert topic, its policy and subscription, and every rule with its targets (the
    forwarding rules in us-east-1), as pulumi-aws creates them."""
    (topic,) = planned(TOPIC, stack)
    sns = moto_client("sns", REGION)
    arn = sns.create_topic(
        Name=topic.props["name"],
        Attributes={"KmsMasterKeyId": topic.props["kmsMasterKeyId"]},
        Tags=[{"Key": k, "Value": v} for k, v in topic.props["tagsAll"].items()],
    )["TopicArn"]
    assert arn == topic.props["arn"]
    (policy,) = planned(TOPIC_POLICY, stack)
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy.props["policy"])
    for sub in planned(TOPIC_SUBSCRIPTION, stack):
        sns.subscribe(TopicArn=arn, Protocol=sub.props["protocol"], Endpoint=sub.props["endpoint"])
    for rule in planned(EVENT_RULE, stack):
        events = moto_client("events", rule.props.get("region") or REGION)
        events.put_rule(
            Name=rule.props["name"],
            EventPattern=rule.props["eventPattern"],
            State=rule.props["state"],
            Description=rule.props["description"],
        )
    for target in planned(EVENT_TARGET, stack):
        events = moto_client("events", target.props.get("region") or REGION)
        shaped = {"Id": target.props["targetId"], "Arn": target.props["arn"]}
        if target.props.get("roleArn"):
            shaped["RoleArn"] = target.props["roleArn"]
        events.put_targets(Rule=target.props["rule"], Targets=[shaped])


def _planned(stack: str = "dev") -> dict[str, Any]:
    (only,) = planned(TRAIL, stack)
    return dict(only.props)


def _field(selector: dict[str, Any]) -> dict[str, Any]:
    names = {"equals": "Equals", "startsWiths": "StartsWith", "notEquals": "NotEquals"}
    shaped = {"Field": selector["field"]}
    shaped.update({names[k]: v for k, v in selector.items() if k in names})
    return shaped


def _create(client: Any, s3: Any, props: dict[str, Any], tags: dict[str, str]) -> str:
    """A trail as pulumi-aws creates it from ``props`` (the plan's), its bucket first."""
    if props["s3BucketName"] not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(
            Bucket=props["s3BucketName"], CreateBucketConfiguration={"LocationConstraint": REGION}
        )
    created = client.create_trail(
        Name=props["name"],
        S3BucketName=props["s3BucketName"],
        IsMultiRegionTrail=props["isMultiRegionTrail"],
        IncludeGlobalServiceEvents=props["includeGlobalServiceEvents"],
        EnableLogFileValidation=props["enableLogFileValidation"],
        KmsKeyId=props["kmsKeyId"],
        CloudWatchLogsLogGroupArn=props["cloudWatchLogsGroupArn"],
        CloudWatchLogsRoleArn=props["cloudWatchLogsRoleArn"],
        TagsList=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    if props["advancedEventSelectors"]:
        client.put_event_selectors(
            TrailName=props["name"],
            AdvancedEventSelectors=[
                {"Name": s["name"], "FieldSelectors": [_field(f) for f in s["fieldSelectors"]]}
                for s in props["advancedEventSelectors"]
            ],
        )
    if props["insightSelectors"]:
        client.put_insight_selectors(
            TrailName=props["name"],
            InsightSelectors=[{"InsightType": s["insightType"]} for s in props["insightSelectors"]],
        )
    if props["enableLogging"]:
        client.start_logging(Name=props["name"])
    return str(created["TrailARN"])


@pytest.fixture
def cloudtrail(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with moto_context(monkeypatch):
        client = moto_client("cloudtrail", REGION)
        props = _planned()
        _create(client, moto_client("s3", REGION), props, dict(props["tagsAll"]))
        _alert_path()
        yield client


def _read() -> tuple[list[Resource], Aws]:
    aws = Aws(region=REGION)
    return list(_read_both(aws, SCOPE)), aws


def _trails(live: list[Resource]) -> list[Resource]:
    return [r for r in live if r.type == TRAIL]


def _judge(live: list[Resource]) -> dict[str, list[str]]:
    return findings(hybrid(live, BOTH_TYPES), BOTH_TYPES)


def test_reads_the_trail_in_the_plans_shape(cloudtrail: Any) -> None:
    live, _aws = _read()
    (got,) = _trails(live)
    plan = _planned()
    assert_plan_shape(got, extra={"isOrganizationTrail"})
    for key in ("advancedEventSelectors", "insightSelectors"):
        assert_nested_keys(got.props[key], plan[key], key)
    for key in (
        "arn",
        "id",
        "name",
        "homeRegion",
        "s3BucketName",
        "kmsKeyId",
        "isMultiRegionTrail",
        "includeGlobalServiceEvents",
        "enableLogFileValidation",
        "enableLogging",
        "cloudWatchLogsGroupArn",
        "cloudWatchLogsRoleArn",
        "advancedEventSelectors",
        "insightSelectors",
        "tagsAll",
    ):
        assert got.props[key] == plan[key], key
    assert got.urn == plan["arn"]


def test_the_compliant_trail_has_no_findings(cloudtrail: Any) -> None:
    assert _judge(_read()[0]) == {}


def test_the_compliant_prod_trail_and_alert_path_have_no_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        props = _planned("prod")
        s3 = moto_client("s3", REGION)
        _create(moto_client("cloudtrail", REGION), s3, props, dict(props["tagsAll"]))
        _alert_path("prod")
        regions = ("eu-west-1", REGION, "us-east-1")  # the replica region's forwarding rules too
        prod = Scope(stack="prod", account=ACCOUNT, partition="aws", region=REGION, regions=regions)
        live = list(_read_both(Aws(region=REGION), prod))
    assert sorted(r.urn for r in live if r.type == EVENT_RULE) == sorted(
        r.props["arn"] for r in planned(EVENT_RULE, "prod")
    )
    assert {r.props.get("region") for r in live if r.type == EVENT_RULE} == {None, "eu-west-1", "us-east-1"}
    assert findings(hybrid(live, BOTH_TYPES, "prod"), BOTH_TYPES) == {}


def test_every_call_is_a_read_the_auditor_is_granted(cloudtrail: Any) -> None:
    _live, aws = _read()
    assert {c.action for c in aws.calls} == {
        "cloudtrail:DescribeTrails",
        "cloudtrail:ListTags",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetInsightSelectors",
        "events:ListRules",
        "events:ListTargetsByRule",
        "tag:GetResources",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
    }
    assert {c.action for c in aws.calls} <= auditor_actions()
    assert {c.region for c in aws.calls if c.action == "cloudtrail:DescribeTrails"} == set(SCOPE.regions)


def test_stopped_logging_is_caught(cloudtrail: Any) -> None:
    cloudtrail.stop_logging(Name=_planned()["name"])
    live, _aws = _read()
    assert _trails(live)[0].props["enableLogging"] is False
    assert list(_judge(live)) == ["SR-AUD-006"]


def test_single_region_trail_is_caught(cloudtrail: Any) -> None:
    cloudtrail.update_trail(Name=_planned()["name"], IsMultiRegionTrail=False)
    judged = _judge(_read()[0])
    assert "SR-AUD-001" in judged
    assert any("isMultiRegionTrail" in m for m in judged["SR-AUD-001"])


def test_log_file_validation_off_is_caught(cloudtrail: Any) -> None:
    cloudtrail.update_trail(Name=_planned()["name"], EnableLogFileValidation=False)
    assert list(_judge(_read()[0])) == ["SR-AUD-002"]


def _recreate(client: Any, **changes: Any) -> None:
    """The planned trail made anew with ``changes`` (moto neither clears Insights on an empty
    PutInsightSelectors nor drops advanced selectors on a PutEventSelectors of basic ones, as AWS does)."""
    props = {**_planned(), **changes}
    client.delete_trail(Name=props["name"])
    _create(client, moto_client("s3", REGION), props, dict(props["tagsAll"]))


def test_insights_turned_off_are_caught(cloudtrail: Any) -> None:
    _recreate(cloudtrail, insightSelectors=[])
    live, _aws = _read()
    assert "insightSelectors" not in _trails(live)[0].props
    assert list(_judge(live)) == ["SR-AUD-046"]


def test_basic_event_selectors_are_read_in_the_plans_shape(cloudtrail: Any) -> None:
    _recreate(cloudtrail, advancedEventSelectors=[])
    cloudtrail.put_event_selectors(
        TrailName=_planned()["name"],
        EventSelectors=[
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::"]}],
            }
        ],
    )
    live, _aws = _read()
    assert _trails(live)[0].props["eventSelectors"] == [
        {
            "readWriteType": "WriteOnly",
            "includeManagementEvents": True,
            "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::"]}],
        }
    ]
    assert "SR-AUD-007" in _judge(live)


def test_trails_of_other_stacks_are_not_read(cloudtrail: Any) -> None:
    props = {**_planned(), "name": "sr-dev-eu-audit-trail", "s3BucketName": "sr-dev-eu-audit-bucket"}
    _create(cloudtrail, moto_client("s3", REGION), props, {"strongroom:environment": "dev-eu"})
    other = {**props, "name": "someone-elses-trail", "s3BucketName": "someone-elses-bucket"}
    _create(cloudtrail, moto_client("s3", REGION), other, {"strongroom:environment": "dev"})
    live, aws = _read()
    assert [r.name for r in _trails(live)] == [_planned()["name"]]
    # Tags are read of the two trails named with the prefix (the auditor may); the rest only of ours.
    calls = [c.operation for c in aws.calls]
    assert (calls.count("ListTags"), calls.count("GetTrailStatus"), calls.count("GetEventSelectors")) == (
        2,
        1,
        1,
    )


def test_reads_the_alert_path_in_the_plans_shape(cloudtrail: Any) -> None:
    live, _aws = _read()
    for type_ in (EVENT_RULE, EVENT_TARGET, TOPIC, TOPIC_POLICY, TOPIC_SUBSCRIPTION):
        found = [r for r in live if r.type == type_]
        assert len(found) == len(planned(type_)), type_
        for resource in found:
            assert_plan_shape(resource, extra={"region"})
    rules = {r.props["name"]: r.props for r in live if r.type == EVENT_RULE}
    for rule in planned(EVENT_RULE):
        got = rules[rule.props["name"]]
        for key in ("arn", "eventPattern", "state", "eventBusName", "id"):
            assert got[key] == rule.props[key], key
        assert got.get("region") == rule.props.get("region")
    targets = {(t.props["rule"], t.props["targetId"]): t.props for t in live if t.type == EVENT_TARGET}
    for target in planned(EVENT_TARGET):
        got = targets[(target.props["rule"], target.props["targetId"])]
        for key in ("arn", "id", "eventBusName"):
            assert got[key] == target.props[key], key
        assert (got.get("roleArn"), got.get("region")) == (
            target.props.get("roleArn"),
            target.props.get("region"),
        )
    (topic,) = [r for r in live if r.type == TOPIC]
    assert (topic.props["arn"], topic.props["kmsMasterKeyId"]) == (
        planned(TOPIC)[0].props["arn"],
        planned(TOPIC)[0].props["kmsMasterKeyId"],
    )


def _alert_rule(fragment: str) -> str:
    return next(r.props["name"] for r in planned(EVENT_RULE) if fragment in r.props["name"])


def test_a_disabled_alert_rule_is_caught(cloudtrail: Any) -> None:
    moto_client("events", REGION).disable_rule(Name=_alert_rule("alerts-alert-topic-"))
    judged = _judge(_read()[0])
    assert list(judged) == ["SR-AUD-040"]
    assert "sns:SetTopicAttributes" in judged["SR-AUD-040"][0]


def test_an_alert_rule_without_its_target_is_caught(cloudtrail: Any) -> None:
    rule = _alert_rule("alerts-alert-rules-")
    (target,) = [t for t in planned(EVENT_TARGET) if t.props["rule"] == rule]
    moto_client("events", REGION).remove_targets(Rule=rule, Ids=[target.props["targetId"]])
    judged = _judge(_read()[0])
    assert list(judged) == ["SR-AUD-040"]
    assert "events:DisableRule" in judged["SR-AUD-040"][0]


def test_a_web_subscription_is_caught(cloudtrail: Any) -> None:
    sns = moto_client("sns", REGION)
    sns.subscribe(
        TopicArn=planned(TOPIC)[0].props["arn"], Protocol="https", Endpoint="https://collector.example"
    )
    assert list(_judge(_read()[0])) == ["SR-AUD-031"]


def test_an_unencrypted_topic_is_caught(cloudtrail: Any) -> None:
    sns = moto_client("sns", REGION)
    sns.set_topic_attributes(
        TopicArn=planned(TOPIC)[0].props["arn"], AttributeName="KmsMasterKeyId", AttributeValue=""
    )
    judged = _judge(_read()[0])
    assert "SR-ENC-006" in judged


def test_a_disabled_forwarding_rule_in_the_global_region_is_caught(cloudtrail: Any) -> None:
    rule = _alert_rule("alerts-forward-iam-")
    moto_client("events", "us-east-1").disable_rule(Name=rule)
    judged = _judge(_read()[0])
    assert list(judged) == ["SR-AUD-047"]
    assert "us-east-1" in judged["SR-AUD-047"][0]


def test_a_trail_without_insights_as_aws_answers_it(cloudtrail: Any) -> None:
    # AWS answers GetInsightSelectors of a trail without Insights with InsightNotEnabledException (moto
    # answers with no selectors): no insightSelectors, and SR-AUD-046 says so.
    aws = Aws(region=REGION)
    refuse(aws.client("cloudtrail"), "GetInsightSelectors", "InsightNotEnabledException")
    live = list(_read_both(aws, SCOPE))
    assert "insightSelectors" not in _trails(live)[0].props
    assert list(_judge(live)) == ["SR-AUD-046"]


def test_the_forwarding_rules_of_us_east_1_are_read_whatever_the_scopes_regions(cloudtrail: Any) -> None:
    only_home = Scope(stack="dev", account=ACCOUNT, partition="aws", region=REGION, regions=(REGION,))
    live = list(_read_both(Aws(region=REGION), only_home))
    assert {r.props.get("region") for r in live if r.type == EVENT_RULE} == {None, "us-east-1"}
    assert _judge(live) == {}
