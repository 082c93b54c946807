"""Cross-region replication of SecureBuckets, shared by AuditTrail (its trail bucket) and BackupVault (its
backup buckets).

Helpers, not a component: what they create is a child of the calling component (`parent`), named as before
they were shared, so the resources' URNs are the ones already deployed. For the caller `<name>`: the role
`<name>-replication-role` (under the IAM path, trusted by s3.amazonaws.com for this account only) and its
policy `<name>-replication-policy` (exact bucket ARNs and the two keys). For each source SecureBucket
`<source>`: a replica SecureBucket `<source>-replica` in the replica region and `<source>-replication`
(BucketReplicationConfig: every object, delete markers, SSE-KMS objects re-encrypted with the replica key).

`replicate_into_backups` adds, for BackupVault, the replication of a data or model bucket into its Object
Lock backup bucket (and, with a replica region, straight into that bucket's replica too: S3 live
replication does not replicate objects that are themselves replicas, so a chain source -> backup -> replica
would leave the replica region without them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from strongroom.components.policydocs import bucket as bucketdoc
from strongroom.components.storage import SecureBucket, SecureBucketArgs


@dataclass(frozen=True)
class ReplicatedBucket:
    """A source bucket to replicate, and what its replica is made of."""

    name: str
    """Resource name of the source SecureBucket; its replica is `<name>-replica`, the replication
    configuration `<name>-replication`."""

    source: SecureBucket
    """The source bucket (versioned, SSE-KMS with the source key)."""

    replica_args: SecureBucketArgs
    """Arguments of the replica SecureBucket: encrypted with the replica key, exempting the replication
    role."""


def replication_role(
    name: str,
    *,
    parent: pulumi.Resource,
    description: str,
    account_id: pulumi.Output[str],
    iam_path: str,
    permissions_boundary_arn: pulumi.Input[str] | None,
    retain: bool,
    tags: Mapping[str, str] | None = None,
) -> aws.iam.Role:
    """The role `<name>-replication-role` S3 assumes to replicate, for this account only."""
    return aws.iam.Role(
        f"{name}-replication-role",
        path=iam_path,
        description=description,
        assume_role_policy=account_id.apply(
            lambda acct: json.dumps(bucketdoc.replication_trust_policy(acct), sort_keys=True)
        ),
        permissions_boundary=permissions_boundary_arn,
        max_session_duration=3600,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=retain, retain_on_delete=retain),
    )


def exempting(
    admin_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]], role: aws.iam.Role
) -> pulumi.Output[list[str]]:
    """The admins and the replication role: S3 replication reads the source buckets from outside the VPC."""
    return pulumi.Output.all(pulumi.Output.from_input(admin_principal_arns), role.arn).apply(
        lambda values: [*values[0], values[1]]
    )


def replicate(
    name: str,
    buckets: Sequence[ReplicatedBucket],
    *,
    parent: pulumi.Resource,
    role: aws.iam.Role,
    source_key_arn: pulumi.Input[str],
    replica_key_arn: pulumi.Input[str],
    source_region: pulumi.Input[str],
    replica_region: str,
    replica_provider: aws.Provider,
    retain: bool,
) -> dict[str, SecureBucket]:
    """Each bucket's replica in the replica region, the role's policy `<name>-replication-policy` and each
    bucket's replication into its replica; returns the replicas by source name."""
    replicas = {
        b.name: SecureBucket(
            f"{b.name}-replica",
            b.replica_args,
            opts=pulumi.ResourceOptions(parent=parent, providers={"aws": replica_provider}),
        )
        for b in buckets
    }

    def role_policy_json(values: list[Any]) -> str:
        source_key, replica_key, region, *arns = values
        pairs = list(zip(arns[: len(buckets)], arns[len(buckets) :], strict=True))
        return json.dumps(
            bucketdoc.replication_role_policy(
                pairs=pairs,
                source_key_arn=source_key,
                replica_key_arn=replica_key,
                source_region=region,
                replica_region=replica_region,
            ),
            sort_keys=True,
        )

    child = pulumi.ResourceOptions(parent=parent, protect=retain, retain_on_delete=retain)
    role_policy = aws.iam.RolePolicy(
        f"{name}-replication-policy",
        role=role.id,
        policy=pulumi.Output.all(
            source_key_arn,
            replica_key_arn,
            source_region,
            *[b.source.bucket_arn for b in buckets],
            *[replicas[b.name].bucket_arn for b in buckets],
        ).apply(role_policy_json),
        opts=child,
    )
    for b in buckets:
        replica = replicas[b.name]
        aws.s3.BucketReplicationConfig(
            f"{b.name}-replication",
            bucket=b.source.bucket_id,
            role=role.arn,
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id="replicate-everything",
                    status="Enabled",
                    priority=1,
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(),
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Enabled"
                    ),
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=replica.bucket_arn,
                        storage_class="STANDARD",
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=replica_key_arn
                        ),
                    ),
                )
            ],
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(depends_on=[b.source.versioning, replica.versioning, role_policy]),
            ),
        )
    return replicas


REPLICATION_MINUTES = 15
"""Replication Time Control: S3 replicates 99.99% of new objects within 15 minutes (the only value S3
accepts), and the replication metrics report objects that miss it."""


@dataclass(frozen=True)
class BackupTarget:
    """One destination of a data or model bucket's replication: an Object Lock bucket and its key."""

    rule_id: str
    """The replication rule's id, e.g. `into-backup`."""

    bucket: SecureBucket
    """The destination bucket (versioned, Object Lock)."""

    key_arn: pulumi.Input[str]
    """The key that re-encrypts the replicas (the destination bucket's own key)."""

    priority: int
    """The rule's priority, unique within the configuration."""


def replicate_into_backups(
    name: str,
    source: SecureBucket,
    targets: Sequence[BackupTarget],
    *,
    parent: pulumi.Resource,
    role: aws.iam.Role,
    depends_on: Sequence[pulumi.Resource],
    retain: bool,
) -> aws.s3.BucketReplicationConfig:
    """`name` (BucketReplicationConfig on `source`): one rule per target, each for every object, with
    Replication Time Control and replication metrics, delete markers not replicated, SSE-KMS objects
    replicated and re-encrypted with the target's key."""
    if not targets:
        raise ValueError(f"{name}: at least one backup target is required")
    priorities, ids = {t.priority for t in targets}, {t.rule_id for t in targets}
    if len(priorities) != len(targets) or len(ids) != len(targets):
        raise ValueError(f"{name}: backup targets need distinct rule ids and priorities")
    rules = [
        aws.s3.BucketReplicationConfigRuleArgs(
            id=target.rule_id,
            status="Enabled",
            priority=target.priority,
            filter=aws.s3.BucketReplicationConfigRuleFilterArgs(),
            delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                status="Disabled"
            ),
            source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                    status="Enabled"
                )
            ),
            destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                bucket=target.bucket.bucket_arn,
                storage_class="STANDARD",
                encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                    replica_kms_key_id=target.key_arn
                ),
                replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                    status="Enabled",
                    time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(
                        minutes=REPLICATION_MINUTES
                    ),
                ),
                metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                    status="Enabled",
                    event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                        minutes=REPLICATION_MINUTES
                    ),
                ),
            ),
        )
        for target in targets
    ]
    return aws.s3.BucketReplicationConfig(
        name,
        bucket=source.bucket_id,
        role=role.arn,
        rules=rules,
        opts=pulumi.ResourceOptions(
            parent=parent,
            protect=retain,
            retain_on_delete=retain,
            depends_on=[
                source.versioning,
                *(t.bucket.versioning for t in targets),
                *depends_on,
            ],
        ),
    )
