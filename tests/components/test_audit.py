"""AuditTrail under the recording mock monitor."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.audit import AuditTrail, AuditTrailArgs, data_event_selectors
from components.policydocs import iam
from strongroom.engine import PlanResource, Recorder

ACCOUNT = "123456789012"
REGION = "eu-west-2"
LOGS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b03"
BUCKETS = [
    "arn:aws:s3:::dev-data-bucket-1a2b3c4",
    "arn:aws:s3:::dev-models-bucket-1a2b3c4",
    "arn:aws:s3:::dev-backup-bucket-1a2b3c4",
]
TRAIL = "aws:cloudtrail/trail:Trail"


def make_args(**overrides: Any) -> AuditTrailArgs:
    values: dict[str, Any] = {
        "logs_key_arn": LOGS_KEY,
        "access_log_bucket_name": "dev-access-logs-1a2b3c4",
        "data_event_bucket_arns": BUCKETS,
        "permissions_boundary_arn": f"arn:aws:iam::{ACCOUNT}:policy/strongroom/dev/dev-roles-boundary",
        "iam_path": "/strongroom/dev/",
    }
    values.update(overrides)
    return AuditTrailArgs(**values)


@pytest.fixture
def built(pulumi_mocks: Recorder) -> Recorder:
    pulumi_mocks.run(lambda: AuditTrail("dev-audit", make_args()))
    return pulumi_mocks


def one(mocks: Recorder, type_: str) -> PlanResource:
    (found,) = mocks.of_type(type_)
    return found


def test_trail_is_multi_region_validated_encrypted_with_global_events(built: Recorder) -> None:
    trail = one(built, TRAIL)
    assert trail.inputs["isMultiRegionTrail"] is True, trail.urn
    assert trail.inputs["enableLogFileValidation"] is True, trail.urn
    assert trail.inputs["includeGlobalServiceEvents"] is True, trail.urn
    assert trail.inputs["kmsKeyId"] == LOGS_KEY, trail.urn
    assert trail.inputs["enableLogging"] is True, trail.urn


def test_trail_writes_to_its_dedicated_secure_bucket(built: Recorder) -> None:
    trail = one(built, TRAIL)
    bucket = next(r for r in built.of_type("aws:s3/bucket:Bucket") if r.name == "dev-audit-bucket-bucket")
    assert trail.inputs["s3BucketName"] == bucket.outputs["bucket"], trail.urn
    assert bucket.parent and "SecureBucket" in bucket.parent, bucket.urn
    encryption = one(
        built, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["kmsMasterKeyId"] == LOGS_KEY, encryption.urn


def test_bucket_policy_lets_only_this_trail_write_with_owner_acl(built: Recorder) -> None:
    policy = one(built, "aws:s3/bucketPolicy:BucketPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/dev-audit-trail"
    bucket_arn = next(r for r in built.of_type("aws:s3/bucket:Bucket")).outputs["arn"]
    acl, write = statements["CloudTrailAclCheck"], statements["CloudTrailWrite"]
    assert acl["Principal"] == {"Service": "cloudtrail.amazonaws.com"}, policy.urn
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn}}, policy.urn
    assert write["Resource"] == f"{bucket_arn}/AWSLogs/{ACCOUNT}/*", policy.urn
    assert write["Condition"]["StringEquals"] == {
        "aws:SourceArn": trail_arn,
        "s3:x-amz-acl": "bucket-owner-full-control",
    }, policy.urn
    assert "DenyInsecureTransport" in statements, policy.urn
    assert one(built, TRAIL).outputs["arn"] == trail_arn


def test_data_events_cover_exactly_the_given_buckets(built: Recorder) -> None:
    trail = one(built, TRAIL)
    selectors = trail.inputs["advancedEventSelectors"]
    data = next(s for s in selectors if {"field": "eventCategory", "equals": ["Data"]} in s["fieldSelectors"])
    arn_field = next(f for f in data["fieldSelectors"] if f["field"] == "resources.ARN")
    assert arn_field["startsWiths"] == sorted(f"{b}/" for b in BUCKETS), trail.urn
    assert {"field": "eventCategory", "equals": ["Management"]} in selectors[0]["fieldSelectors"], trail.urn


def test_cloudwatch_delivery_is_encrypted_retained_and_scoped(built: Recorder) -> None:
    group = one(built, "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == LOGS_KEY, group.urn
    assert group.inputs["retentionInDays"] == 365, group.urn
    role = one(built, "aws:iam/role:Role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}, role.urn
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, role.urn
    assert role.inputs["permissionsBoundary"].endswith("/dev-roles-boundary"), role.urn
    policy = one(built, "aws:iam/rolePolicy:RolePolicy")
    (stmt,) = json.loads(policy.inputs["policy"])["Statement"]
    group_arn = group.outputs["arn"].removesuffix(":*")
    assert stmt["Resource"] == [f"{group_arn}:log-stream:*"], policy.urn
    trail = one(built, TRAIL)
    assert trail.inputs["cloudWatchLogsGroupArn"] == f"{group_arn}:*", trail.urn
    assert trail.inputs["cloudWatchLogsRoleArn"] == role.outputs["arn"], trail.urn


def test_selectors_helper_is_pure() -> None:
    assert data_event_selectors(["arn:aws:s3:::b1"])[1]["field_selectors"][2] == {
        "field": "resources.ARN",
        "starts_withs": ["arn:aws:s3:::b1/"],
    }
    iam.lint(iam.cloudtrail_logs_policy("arn:aws:logs:eu-west-2:123456789012:log-group:g:*"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"log_retention_days": 30}, "log_retention_days"),
        ({"log_retention_days": 100}, "log_retention_days"),
        ({"trail_name": "a b"}, "trail_name"),
        ({"data_event_bucket_arns": []}, "data_event_bucket_arns"),
        ({"data_event_bucket_arns": ["arn:aws:s3:::*"]}, "data_event_bucket_arns"),
    ],
)
def test_args_refuse_weakening_values(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_args(**overrides)
