"""The shared replication helpers under the recording mocks: names, parents, pairing in the role policy."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from strongroom.components import replication
from strongroom.components.storage import SecureBucket, SecureBucketArgs
from strongroom.engine import Recorder

KEY = "arn:aws:kms:eu-west-2:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
REPLICA_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"


class Owner(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("strongroom:index:Owner", name, None, None)
        provider = aws.Provider("replica", region="eu-west-1", opts=pulumi.ResourceOptions(parent=self))
        account = pulumi.Output.from_input("123456789012")
        role = replication.replication_role(
            name,
            parent=self,
            description="test replication",
            account_id=account,
            iam_path="/strongroom/test/",
            permissions_boundary_arn=None,
            retain=False,
        )
        buckets = [
            replication.ReplicatedBucket(
                name=f"{name}-{dataset}",
                source=SecureBucket(
                    f"{name}-{dataset}",
                    SecureBucketArgs(kms_key_arn=KEY, log_bucket_name="logs-1234"),
                    opts=pulumi.ResourceOptions(parent=self),
                ),
                replica_args=SecureBucketArgs(
                    kms_key_arn=REPLICA_KEY,
                    log_bucket_name="replica-logs-1234",
                    admin_principal_arns=replication.exempting((), role),
                ),
            )
            for dataset in ("models", "data")
        ]
        replication.replicate(
            name,
            buckets,
            parent=self,
            role=role,
            source_key_arn=KEY,
            replica_key_arn=REPLICA_KEY,
            source_region="eu-west-2",
            replica_region="eu-west-1",
            replica_provider=provider,
            retain=False,
        )
        self.register_outputs({})


def test_children_are_named_after_the_owner_and_each_source(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: Owner("vault"))
    owner = next(r for r in pulumi_mocks.resources if r.type == "strongroom:index:Owner")
    for name in (
        "vault-replication-role",
        "vault-replication-policy",
        "vault-models-replica",
        "vault-models-replication",
        "vault-data-replica",
        "vault-data-replication",
    ):
        assert pulumi_mocks.named(name).parent == owner.urn, name


def test_each_source_replicates_into_its_own_replica(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: Owner("vault"))
    for dataset in ("models", "data"):
        config = pulumi_mocks.named(f"vault-{dataset}-replication")
        replica = pulumi_mocks.named(f"vault-{dataset}-replica-bucket")
        assert config.inputs["rules"][0]["destination"]["bucket"] == replica.outputs["arn"], config.urn
        assert replica.provider is not None and "::replica::" in replica.provider, replica.urn


def test_role_policy_names_every_source_and_replica_and_both_keys(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: Owner("vault"))
    policy = pulumi_mocks.named("vault-replication-policy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    sources = sorted(pulumi_mocks.named(f"vault-{d}-bucket").outputs["arn"] for d in ("models", "data"))
    replicas = sorted(
        pulumi_mocks.named(f"vault-{d}-replica-bucket").outputs["arn"] for d in ("models", "data")
    )
    assert statements["ReadSourceConfiguration"]["Resource"] == sources, policy.urn
    assert statements["WriteReplicas"]["Resource"] == [f"{arn}/*" for arn in replicas], policy.urn
    assert KEY in policy.inputs["policy"] and REPLICA_KEY in policy.inputs["policy"], policy.urn


def test_backup_targets_need_distinct_rule_ids_and_priorities(pulumi_mocks: Recorder) -> None:
    def program() -> None:
        owner = pulumi.ComponentResource("strongroom:index:Owner", "owner")
        role = replication.replication_role(
            "owner",
            parent=owner,
            description="test",
            account_id=pulumi.Output.from_input("123456789012"),
            iam_path="/strongroom/test/",
            permissions_boundary_arn=None,
            retain=False,
        )
        source = SecureBucket("src", SecureBucketArgs(kms_key_arn=KEY, log_bucket_name="logs-1234"))
        backup = SecureBucket(
            "bak",
            SecureBucketArgs(
                kms_key_arn=KEY,
                log_bucket_name="logs-1234",
                object_lock_mode="GOVERNANCE",
                object_lock_days=1,
            ),
        )
        twice = [replication.BackupTarget("a", backup, KEY, 1), replication.BackupTarget("b", backup, KEY, 1)]
        for targets, why in ((twice, "distinct rule ids and priorities"), ([], "at least one backup target")):
            try:
                replication.replicate_into_backups(
                    "src-ingest", source, targets, parent=owner, role=role, depends_on=[], retain=False
                )
            except ValueError as exc:
                assert why in str(exc)
            else:
                raise AssertionError(f"accepted {targets!r}")
        replication.replicate_into_backups(
            "src-ingest",
            source,
            [replication.BackupTarget("into-backup", backup, KEY, 2)],
            parent=owner,
            role=role,
            depends_on=[],
            retain=False,
        )

    pulumi_mocks.run(program)
    (ingest,) = pulumi_mocks.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    (rule,) = ingest.inputs["rules"]
    assert rule["deleteMarkerReplication"] == {"status": "Disabled"}
    assert rule["destination"]["replicationTime"]["status"] == "Enabled"
