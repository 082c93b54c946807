"""BackupVault under the recording mocks: Object Lock, replication, replica region, scoped role."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from components.backup import BackupVault, BackupVaultArgs
from strongroom.engine import Recorder

AUDITOR = "arn:aws:iam::123456789012:role/strongroom/prod/prod-roles-auditor-1a2b3c4"
KEY = "arn:aws:kms:eu-west-2:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
BASE: dict[str, Any] = {
    "environment": "prod",
    "kms_key_arn": KEY,
    "log_bucket_name": "strongroom-prod-logs",
    "vpc_endpoint_ids": ["vpce-0123456789abcdef0"],
    "admin_principal_arns": ["arn:aws:iam::123456789012:role/deployer"],
    "object_lock_mode": "COMPLIANCE",
    "object_lock_days": 30,
    "noncurrent_version_expiry_days": 90,
    "config_reader_principal_arns": [AUDITOR],
    "iam_path": "/strongroom/prod/",
}


@pytest.fixture
def replicated(pulumi_mocks: Recorder) -> Recorder:
    def program() -> None:
        provider = aws.Provider("replica", region="eu-west-1")
        BackupVault("backup", BackupVaultArgs(**BASE, replica_provider=provider, replica_region="eu-west-1"))

    pulumi_mocks.run(program)
    return pulumi_mocks


def source_buckets(rec: Recorder) -> list[Any]:
    return [
        r
        for r in rec.of_type("aws:s3/bucket:Bucket")
        if r.name in ("backup-models-bucket", "backup-data-bucket")
    ]


def test_backup_buckets_for_models_and_data_have_object_lock(replicated: Recorder) -> None:
    assert len(source_buckets(replicated)) == 2
    for bucket in source_buckets(replicated):
        assert bucket.inputs["objectLockEnabled"] is True, bucket.urn


def test_lock_mode_and_days_come_from_args_on_source_and_replica(replicated: Recorder) -> None:
    locks = replicated.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert {r.name for r in locks} == {
        "backup-models-object-lock",
        "backup-data-object-lock",
        "backup-models-replica-object-lock",
        "backup-data-replica-object-lock",
    }
    for r in locks:
        assert r.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 30}, r.urn


def test_noncurrent_versions_outlive_the_lock(replicated: Recorder) -> None:
    for r in replicated.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
        assert r.inputs["rules"][0]["noncurrentVersionExpiration"]["noncurrentDays"] >= 30, r.urn


def test_replication_replicates_everything_with_delete_markers_and_the_replica_key(
    replicated: Recorder,
) -> None:
    configs = replicated.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert {c.name for c in configs} == {"backup-models-replication", "backup-data-replication"}
    replica_key_arn = replicated.named("backup-replica-key").outputs["arn"]
    role_arn = replicated.named("backup-replication-role").outputs["arn"]
    for c in configs:
        (rule,) = c.inputs["rules"]
        assert c.inputs["role"] == role_arn, c.urn
        assert rule["status"] == "Enabled" and rule["filter"] == {}, c.urn
        assert rule["deleteMarkerReplication"] == {"status": "Enabled"}, c.urn
        assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}, c.urn
        assert rule["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": replica_key_arn}, c.urn
        dataset = c.name.split("-")[1]
        replica = replicated.named(f"backup-{dataset}-replica-bucket")
        assert rule["destination"]["bucket"] == replica.outputs["arn"], c.urn


def test_replication_waits_for_versioning_on_both_sides(replicated: Recorder) -> None:
    c = replicated.named("backup-models-replication")
    for name in ("backup-models-versioning", "backup-models-replica-versioning"):
        assert replicated.named(name).urn in c.dependencies, c.urn


def test_replica_key_and_buckets_live_in_the_replica_region(replicated: Recorder) -> None:
    key = replicated.named("backup-replica-key")
    assert ":eu-west-1:" in key.outputs["arn"], key.urn
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 30, key.urn
    for name in ("backup-models-replica-bucket", "backup-data-replica-bucket", "backup-replica-logs-bucket"):
        r = replicated.named(name)
        assert r.provider and "::replica::" in r.provider, r.urn


def test_replica_buckets_are_encrypted_with_the_replica_key_and_private(replicated: Recorder) -> None:
    replica_key_arn = replicated.named("backup-replica-key").outputs["arn"]
    sse = replicated.named("backup-models-replica-encryption")
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == replica_key_arn
    pab = replicated.named("backup-models-replica-public-access-block")
    assert all(
        pab.inputs[f] is True
        for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ), pab.urn
    policy = json.loads(replicated.named("backup-models-replica-policy").inputs["policy"])
    assert "DenyExceptExemptPrincipals" in [s["Sid"] for s in policy["Statement"]]


def test_replication_role_is_trusted_by_s3_for_this_account(replicated: Recorder) -> None:
    role = replicated.named("backup-replication-role")
    (s,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert s["Principal"] == {"Service": "s3.amazonaws.com"}, role.urn
    assert s["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}, role.urn


def test_replication_role_lives_under_the_iam_path(replicated: Recorder) -> None:
    role = replicated.named("backup-replication-role")
    assert role.inputs["path"] == "/strongroom/prod/", role.urn


def test_replica_log_bucket_is_an_output(replicated: Recorder) -> None:
    component = next(r for r in replicated.resources if r.type == "strongroom:index:BackupVault")
    logs = replicated.named("backup-replica-logs-bucket")
    assert component.outputs["replica_log_bucket_arn"] == logs.outputs["arn"], component.urn
    assert component.outputs["replica_log_bucket_name"] == logs.outputs["bucket"], component.urn


def test_every_vault_bucket_lets_the_config_readers_read_its_configuration(replicated: Recorder) -> None:
    policies = replicated.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert len(policies) == 5
    for policy in policies:
        statements = json.loads(policy.inputs["policy"])["Statement"]
        (reads,) = [s for s in statements if s["Sid"].startswith("DenyConfigReads")]
        assert AUDITOR in reads["Condition"]["ArnNotLike"]["aws:PrincipalArn"], policy.urn


def test_replication_policy_names_exact_buckets_and_keys(replicated: Recorder) -> None:
    policy = json.loads(replicated.named("backup-replication-policy").inputs["policy"])
    resources = json.dumps([s["Resource"] for s in policy["Statement"]])
    for name in (
        "backup-models-bucket",
        "backup-data-bucket",
        "backup-models-replica-bucket",
        "backup-data-replica-bucket",
    ):
        assert replicated.named(name).outputs["arn"] in resources
    assert KEY in resources and replicated.named("backup-replica-key").outputs["arn"] in resources
    assert '"*"' not in resources


def test_source_buckets_exempt_the_replication_role_from_the_endpoint_restriction(
    replicated: Recorder,
) -> None:
    role_arn = replicated.named("backup-replication-role").outputs["arn"]
    policy = json.loads(replicated.named("backup-models-policy").inputs["policy"])
    (s,) = [s for s in policy["Statement"] if s["Sid"] == "DenyOutsideVpcEndpoint"]
    assert role_arn in s["Condition"]["ArnNotLike"]["aws:PrincipalArn"]


def test_without_a_replica_region_nothing_is_replicated(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: BackupVault("backup", BackupVaultArgs(**BASE)))
    assert len(pulumi_mocks.of_type("aws:s3/bucket:Bucket")) == 2
    for type_ in (
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "aws:iam/role:Role",
        "aws:kms/key:Key",
    ):
        assert not pulumi_mocks.of_type(type_), type_


def test_retain_protects_every_resource(pulumi_mocks: Recorder) -> None:
    def program() -> None:
        provider = aws.Provider("replica", region="eu-west-1")
        BackupVault(
            "backup",
            BackupVaultArgs(**BASE, replica_provider=provider, replica_region="eu-west-1", retain=True),
        )

    pulumi_mocks.run(program)
    for r in pulumi_mocks.resources:
        if r.type.startswith("aws:"):
            assert r.protect and r.retain_on_delete, r.urn


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"environment": "Prod"}, "environment"),
        ({"datasets": ()}, "datasets"),
        ({"datasets": ("models", "models")}, "datasets"),
        ({"object_lock_mode": "NONE"}, "object_lock_mode"),
        ({"object_lock_days": 0}, "object_lock_days"),
        ({"object_lock_days": 120}, "noncurrent_version_expiry_days"),
        ({"replica_region": "eu-west-1"}, "replica_provider/replica_region"),
        ({"kms_key_arn": "alias/backup"}, "kms_key_arn"),
        ({"iam_path": "strongroom/prod"}, "iam_path"),
    ],
)
def test_bad_args_are_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}"):
        BackupVaultArgs(**{**BASE, **changes})


def test_replica_region_equal_to_the_primary_is_refused(pulumi_mocks: Recorder) -> None:
    def program() -> None:
        provider = aws.Provider("replica", region="eu-west-2")
        with pytest.raises(ValueError, match=r"^replica_region"):
            BackupVaultArgs(**BASE, region="eu-west-2", replica_provider=provider, replica_region="eu-west-2")

    pulumi_mocks.run(program)
