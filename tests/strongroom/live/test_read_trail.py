"""The trail reader: the dev plan's trail created in moto as AuditTrail creates it, read back in the plan's
shape, judged by the catalog like the plan; each tamper (logging stopped, single region, validation off)
is caught by its control, and trails of other stacks are not read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from _riam_support import ACCOUNT, REGION, assert_nested_keys, assert_plan_shape, findings, hybrid, planned
from moto import mock_aws

from policies.props import Resource
from strongroom.live.aws import Aws
from strongroom.live.readers import Scope, trail
from strongroom.live.readers.trail import TRAIL

SCOPE = Scope(
    stack="dev",
    account=ACCOUNT,
    partition="aws",
    region=REGION,
    regions=(REGION, "eu-west-1"),
    iam_path="/strongroom/dev/",
)


def _planned() -> dict[str, Any]:
    (only,) = planned(TRAIL)
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
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        client = boto3.client("cloudtrail", region_name=REGION)
        props = _planned()
        _create(client, boto3.client("s3", region_name=REGION), props, dict(props["tagsAll"]))
        yield client


def _read() -> tuple[list[Resource], Aws]:
    aws = Aws(region=REGION)
    return list(trail.read(aws, SCOPE)), aws


def _judge(live: list[Resource]) -> dict[str, list[str]]:
    return findings(hybrid(live, trail.TYPES), trail.TYPES)


def test_reads_the_trail_in_the_plans_shape(cloudtrail: Any) -> None:
    live, _aws = _read()
    (got,) = live
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


def test_every_call_is_a_read_the_auditor_is_granted(cloudtrail: Any) -> None:
    _live, aws = _read()
    assert {c.action for c in aws.calls} == {
        "cloudtrail:DescribeTrails",
        "cloudtrail:ListTags",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetInsightSelectors",
    }
    assert {c.region for c in aws.calls if c.action == "cloudtrail:DescribeTrails"} == set(SCOPE.regions)


def test_stopped_logging_is_caught(cloudtrail: Any) -> None:
    cloudtrail.stop_logging(Name=_planned()["name"])
    live, _aws = _read()
    assert live[0].props["enableLogging"] is False
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
    _create(client, boto3.client("s3", region_name=REGION), props, dict(props["tagsAll"]))


def test_insights_turned_off_are_caught(cloudtrail: Any) -> None:
    _recreate(cloudtrail, insightSelectors=[])
    live, _aws = _read()
    assert "insightSelectors" not in live[0].props
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
    assert live[0].props["eventSelectors"] == [
        {
            "readWriteType": "WriteOnly",
            "includeManagementEvents": True,
            "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::"]}],
        }
    ]
    assert "SR-AUD-007" in _judge(live)


def test_trails_of_other_stacks_are_not_read(cloudtrail: Any) -> None:
    props = {**_planned(), "name": "sr-dev-eu-audit-trail", "s3BucketName": "sr-dev-eu-audit-bucket"}
    _create(cloudtrail, boto3.client("s3", region_name=REGION), props, {"strongroom:environment": "dev-eu"})
    other = {**props, "name": "someone-elses-trail", "s3BucketName": "someone-elses-bucket"}
    _create(cloudtrail, boto3.client("s3", region_name=REGION), other, {"strongroom:environment": "dev"})
    live, aws = _read()
    assert [r.name for r in live] == [_planned()["name"]]
    # Tags are read of the two trails named with the prefix (the auditor may); the rest only of ours.
    calls = [c.operation for c in aws.calls]
    assert (calls.count("ListTags"), calls.count("GetTrailStatus"), calls.count("GetEventSelectors")) == (
        2,
        1,
        1,
    )
