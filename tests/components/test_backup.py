"""BackupVault under the recording mocks: Object Lock, replication, replica region, scoped role."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from strongroom.components.backup import BackupVault, BackupVaultArgs
from strongroom.components.storage import SecureBucket, SecureBucketArgs
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


# -- filling the vault: the data and model buckets replicate into it (issue 9 item 1) ---------------------

DATA_KEY = "arn:aws:kms:eu-west-2:123456789012:key/1a2b3c4d-0000-4000-8000-00000000da7a"
MODEL_KEY = "arn:aws:kms:eu-west-2:123456789012:key/1a2b3c4d-0000-4000-8000-00000000ade1"
INGEST = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


def _sources() -> dict[str, SecureBucket]:
    return {
        dataset: SecureBucket(
            f"env-{dataset}",
            SecureBucketArgs(kms_key_arn=key, log_bucket_name="strongroom-prod-logs"),
        )
        for dataset, key in (("models", MODEL_KEY), ("data", DATA_KEY))
    }


@pytest.fixture
def filled(pulumi_mocks: Recorder) -> Recorder:
    def program() -> None:
        provider = aws.Provider("replica", region="eu-west-1")
        BackupVault(
            "backup",
            BackupVaultArgs(
                **BASE,
                replica_provider=provider,
                replica_region="eu-west-1",
                region="eu-west-2",
                sources=_sources(),
            ),
        )

    pulumi_mocks.run(program)
    return pulumi_mocks


@pytest.fixture
def filled_without_replica(pulumi_mocks: Recorder) -> Recorder:
    pulumi_mocks.run(
        lambda: BackupVault("backup", BackupVaultArgs(**BASE, region="eu-west-2", sources=_sources()))
    )
    return pulumi_mocks


def test_each_source_replicates_every_new_version_into_its_locked_backup_and_replica(
    filled: Recorder,
) -> None:
    role_arn = filled.named("backup-source-replication-role").outputs["arn"]
    replica_key = filled.named("backup-replica-key").outputs["arn"]
    for dataset in ("models", "data"):
        ingest = filled.named(f"backup-{dataset}-ingest")
        assert ingest.inputs["bucket"] == filled.named(f"env-{dataset}-bucket").outputs["id"], ingest.urn
        assert ingest.inputs["role"] == role_arn, ingest.urn
        rules = {rule["id"]: rule for rule in ingest.inputs["rules"]}
        assert set(rules) == {"into-backup", "into-replica-region"}, ingest.urn
        expected = {
            "into-backup": (filled.named(f"backup-{dataset}-bucket"), KEY),
            "into-replica-region": (filled.named(f"backup-{dataset}-replica-bucket"), replica_key),
        }
        for rule_id, (bucket, key) in expected.items():
            rule = rules[rule_id]
            assert bucket.inputs["objectLockEnabled"] is True, bucket.urn
            assert rule["status"] == "Enabled" and rule["filter"] == {}, rule_id
            assert rule["deleteMarkerReplication"] == {"status": "Disabled"}, rule_id
            assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
            destination = rule["destination"]
            assert destination["bucket"] == bucket.outputs["arn"], rule_id
            assert destination["encryptionConfiguration"] == {"replicaKmsKeyId": key}, rule_id
            assert destination["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}, rule_id
            assert destination["metrics"] == {"status": "Enabled", "eventThreshold": {"minutes": 15}}, rule_id
        assert len({rule["priority"] for rule in rules.values()}) == 2, ingest.urn


def test_without_a_replica_region_sources_replicate_into_the_backup_only(
    filled_without_replica: Recorder,
) -> None:
    rec = filled_without_replica
    ingests = rec.of_type(INGEST)
    assert {c.name for c in ingests} == {"backup-models-ingest", "backup-data-ingest"}
    for c in ingests:
        assert [rule["id"] for rule in c.inputs["rules"]] == ["into-backup"], c.urn
    assert [r.name for r in rec.of_type("aws:iam/role:Role")] == ["backup-source-replication-role"]


def test_ingest_waits_for_versioning_the_role_policy_and_the_bucket_policies(filled: Recorder) -> None:
    ingest = filled.named("backup-data-ingest")
    for name in (
        "env-data-versioning",
        "backup-data-versioning",
        "backup-data-replica-versioning",
        "backup-source-replication-policy",
        "env-data-policy",
        "backup-data-policy",
        "backup-data-replica-policy",
    ):
        assert filled.named(name).urn in ingest.dependencies, name


def test_source_replication_role_is_s3s_for_this_account_under_the_path_with_the_boundary(
    pulumi_mocks: Recorder,
) -> None:
    boundary = "arn:aws:iam::123456789012:policy/strongroom/prod/boundary"

    def program() -> None:
        BackupVault(
            "backup",
            BackupVaultArgs(
                **BASE, region="eu-west-2", sources=_sources(), permissions_boundary_arn=boundary
            ),
        )

    pulumi_mocks.run(program)
    role = pulumi_mocks.named("backup-source-replication-role")
    assert role.inputs["path"] == "/strongroom/prod/" and role.inputs["permissionsBoundary"] == boundary
    (s,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert s["Principal"] == {"Service": "s3.amazonaws.com"}, role.urn
    assert s["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}, role.urn
    component = next(r for r in pulumi_mocks.resources if r.type == "strongroom:index:BackupVault")
    assert component.outputs["source_replication_role_arn"] == role.outputs["arn"]


def test_source_replication_policy_pairs_exact_sources_and_backups_without_deletes(filled: Recorder) -> None:
    policy = json.loads(filled.named("backup-source-replication-policy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    actions = json.dumps([s["Action"] for s in policy["Statement"]])
    assert "s3:ReplicateDelete" not in actions and '"*"' not in json.dumps(policy)
    sources = sorted(filled.named(f"env-{d}-bucket").outputs["arn"] for d in ("models", "data"))
    backups = sorted(
        filled.named(f"backup-{d}{suffix}-bucket").outputs["arn"]
        for d in ("models", "data")
        for suffix in ("", "-replica")
    )
    assert by_sid["ReadSourceConfiguration"]["Resource"] == sources
    assert "s3:GetObjectRetention" in by_sid["ReadSourceVersions"]["Action"]
    assert "s3:GetObjectLegalHold" in by_sid["ReadSourceVersions"]["Action"]
    assert by_sid["ReadSourceVersions"]["Resource"] == [f"{arn}/*" for arn in sources]
    assert by_sid["WriteBackups"]["Resource"] == [f"{arn}/*" for arn in backups]
    decrypts = [s for s in policy["Statement"] if s["Action"] == "kms:Decrypt"]
    assert sorted(s["Resource"] for s in decrypts) == sorted([DATA_KEY, MODEL_KEY])
    replica_key = filled.named("backup-replica-key").outputs["arn"]
    encrypts = {s["Resource"]: s for s in policy["Statement"] if s["Sid"].startswith("EncryptBackups")}
    assert set(encrypts) == {KEY, replica_key}
    assert encrypts[replica_key]["Condition"]["StringEquals"] == {
        "kms:ViaService": "s3.eu-west-1.amazonaws.com"
    }


def test_backup_replica_and_source_policies_admit_the_source_replication_role(filled: Recorder) -> None:
    role_arn = filled.named("backup-source-replication-role").outputs["arn"]
    for name in ("backup-models-policy", "backup-data-replica-policy", "backup-replica-logs-policy"):
        policy = json.loads(filled.named(name).inputs["policy"])
        (deny,) = [
            s
            for s in policy["Statement"]
            if s["Sid"] in ("DenyOutsideVpcEndpoint", "DenyExceptExemptPrincipals")
        ]
        assert role_arn in deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"], name


def test_without_sources_the_vault_is_not_filled(replicated: Recorder) -> None:
    assert not [c for c in replicated.of_type(INGEST) if c.name.endswith("-ingest")]
    component = next(r for r in replicated.resources if r.type == "strongroom:index:BackupVault")
    assert component.outputs.get("source_replication_role_arn") is None


def test_a_source_for_an_unknown_dataset_is_refused(pulumi_mocks: Recorder) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match=r"^sources: dataset 'fraud' is not one of the vault's datasets"):
            BackupVaultArgs(**BASE, sources={"fraud": _sources()["data"]})

    pulumi_mocks.run(program)
