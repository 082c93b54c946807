"""AuditTrail under the recording mock monitor."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from strongroom.components.audit import AuditTrail, AuditTrailArgs, data_event_selectors
from strongroom.components.policydocs import iam
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
REPLICA_REGION = "eu-west-1"
REPLICA_KEY = f"arn:aws:kms:{REPLICA_REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b09"
REPLICA_LOGS = "dev-backup-replica-logs-1a2b3c4"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-roles-deployer"


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


@pytest.fixture
def replicated(pulumi_mocks: Recorder) -> Recorder:
    def program() -> None:
        provider = aws.Provider("replica", region=REPLICA_REGION)
        AuditTrail(
            "dev-audit",
            make_args(
                object_lock_mode="COMPLIANCE",
                object_lock_days=365,
                admin_principal_arns=[DEPLOYER],
                replica_provider=provider,
                replica_region=REPLICA_REGION,
                replica_kms_key_arn=REPLICA_KEY,
                replica_log_bucket_name=REPLICA_LOGS,
            ),
        )

    pulumi_mocks.run(program)
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


def _selector(trail: PlanResource, name_start: str) -> dict[str, Any]:
    (found,) = [s for s in trail.inputs["advancedEventSelectors"] if s["name"].startswith(name_start)]
    return found


def _field(selector: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [f for f in selector["fieldSelectors"] if f["field"] == name]
    return found


def test_data_events_cover_the_trail_bucket_replica_in_full(replicated: Recorder) -> None:
    trail = one(replicated, TRAIL)
    data = _selector(trail, "S3 data events of the environment")
    arns = _field(data, "resources.ARN")["startsWiths"]
    replica = replicated.named("dev-audit-bucket-replica-bucket").outputs["arn"]
    assert arns == sorted([*(f"{b}/" for b in BUCKETS), f"{replica}/"]), trail.urn
    assert replicated.named("dev-audit-bucket-bucket").outputs["arn"] + "/" not in arns, trail.urn


def test_trail_bucket_is_recorded_but_cloudtrails_own_delivery(built: Recorder) -> None:
    trail = one(built, TRAIL)
    own = _selector(trail, "S3 data events of the trail bucket")
    bucket = built.named("dev-audit-bucket-bucket").outputs["arn"]
    assert _field(own, "resources.ARN") == {"field": "resources.ARN", "startsWiths": [f"{bucket}/"]}
    assert _field(own, "eventName") == {"field": "eventName", "notEquals": ["PutObject"]}, trail.urn
    assert _field(own, "eventCategory")["equals"] == ["Data"]
    assert _field(own, "resources.type")["equals"] == ["AWS::S3::Object"]
    assert {f["field"] for f in own["fieldSelectors"]} == {
        "eventCategory",
        "resources.type",
        "resources.ARN",
        "eventName",
    }, "no readOnly or other filter: every read and every other write of the audit record is recorded"


def test_insights_on_by_default_for_call_and_error_rates(built: Recorder) -> None:
    trail = one(built, TRAIL)
    assert trail.inputs["insightSelectors"] == [
        {"insightType": "ApiCallRateInsight"},
        {"insightType": "ApiErrorRateInsight"},
    ], trail.urn
    assert "isOrganizationTrail" not in trail.inputs, trail.urn


def test_insights_can_be_turned_off(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: AuditTrail("dev-audit", make_args(insights=False)))
    assert "insightSelectors" not in one(pulumi_mocks, TRAIL).inputs


def test_organization_trail_admits_the_organizations_log_path(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: AuditTrail("dev-audit", make_args(organization_id="o-a1b2c3d4e5")))
    trail = one(pulumi_mocks, TRAIL)
    assert trail.inputs["isOrganizationTrail"] is True, trail.urn
    policy = one(pulumi_mocks, "aws:s3/bucketPolicy:BucketPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    bucket_arn = pulumi_mocks.named("dev-audit-bucket-bucket").outputs["arn"]
    write = statements["CloudTrailWrite"]
    assert write["Resource"] == [
        f"{bucket_arn}/AWSLogs/{ACCOUNT}/*",
        f"{bucket_arn}/AWSLogs/o-a1b2c3d4e5/*",
    ], policy.urn
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/dev-audit-trail"
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn, policy.urn


def test_the_delivery_exclusion_and_insight_types_are_the_packs() -> None:
    from strongroom.components import audit
    from strongroom.policies.controls import audit as controls

    assert audit.TRAIL_DELIVERY_EVENTS == controls.TRAIL_DELIVERY_EVENTS
    assert audit.INSIGHT_TYPES == controls.INSIGHT_TYPES


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


def test_no_replication_without_a_replica_region(built: Recorder) -> None:
    assert built.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []
    assert [r.name for r in built.of_type("aws:s3/bucket:Bucket")] == ["dev-audit-bucket-bucket"]


def test_trail_bucket_is_replicated_to_a_locked_encrypted_replica_in_the_replica_region(
    replicated: Recorder,
) -> None:
    source = replicated.named("dev-audit-bucket-bucket")
    replica = replicated.named("dev-audit-bucket-replica-bucket")
    provider = replicated.named("replica")
    assert replica.provider is not None and replica.provider.startswith(provider.urn), replica.urn
    assert source.provider is None or not source.provider.startswith(provider.urn), source.urn
    lock = replicated.named("dev-audit-bucket-replica-object-lock")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 365}, lock.urn
    encryption = replicated.named("dev-audit-bucket-replica-encryption")
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["kmsMasterKeyId"] == REPLICA_KEY, encryption.urn
    logging = replicated.named("dev-audit-bucket-replica-logging")
    assert logging.inputs["targetBucket"] == REPLICA_LOGS, logging.urn

    config = one(replicated, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    role = replicated.named("dev-audit-replication-role")
    assert config.inputs["bucket"] == source.outputs["bucket"], config.urn
    assert config.inputs["role"] == role.outputs["arn"], config.urn
    (replication,) = config.inputs["rules"]
    assert replication["status"] == "Enabled", config.urn
    assert replication["filter"] == {}, config.urn
    assert replication["deleteMarkerReplication"] == {"status": "Enabled"}, config.urn
    assert replication["sourceSelectionCriteria"]["sseKmsEncryptedObjects"] == {"status": "Enabled"}
    assert replication["destination"]["bucket"] == replica.outputs["arn"], config.urn
    assert replication["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": REPLICA_KEY}


def test_replication_role_is_bounded_scoped_and_exempt_on_the_trail_bucket(replicated: Recorder) -> None:
    role = replicated.named("dev-audit-replication-role")
    assert role.inputs["path"] == "/strongroom/dev/", role.urn
    assert role.inputs["permissionsBoundary"].endswith("/dev-roles-boundary"), role.urn
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}, role.urn
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, role.urn
    source = replicated.named("dev-audit-bucket-bucket").outputs["arn"]
    replica = replicated.named("dev-audit-bucket-replica-bucket").outputs["arn"]
    policy = json.loads(replicated.named("dev-audit-replication-policy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReadSourceConfiguration"]["Resource"] == [source]
    assert statements["WriteReplicas"]["Resource"] == [f"{replica}/*"]
    assert statements["DecryptSource"]["Resource"] == LOGS_KEY
    assert statements["EncryptReplicas"]["Resource"] == REPLICA_KEY
    assert statements["EncryptReplicas"]["Condition"]["StringEquals"] == {
        "kms:ViaService": f"s3.{REPLICA_REGION}.amazonaws.com"
    }
    # Replication reads the trail bucket from outside the VPC: the role is exempt from the endpoint rule.
    bucket_policy = replicated.named("dev-audit-bucket-policy").inputs["policy"]
    assert role.outputs["arn"] in bucket_policy and DEPLOYER in bucket_policy


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
        ({"replica_region": "eu-west-1"}, "replica_kms_key_arn/replica_log_bucket_name/replica_provider"),
        (
            {"replica_region": "eu-west-1", "replica_kms_key_arn": REPLICA_KEY},
            "replica_log_bucket_name/replica_provider: missing",
        ),
        ({"replica_region": "eu-west-2", "region": "eu-west-2"}, "equals the primary region"),
        ({"organization_id": "123456789012"}, "organization_id"),
        ({"organization_id": "o-"}, "organization_id"),
    ],
)
def test_args_refuse_weakening_values(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_args(**overrides)
