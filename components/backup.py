"""BackupVault: Object Lock protected, versioned backup buckets (models and data by default) and, where a
replica region is configured, cross-region replication to replica buckets with their own KMS key.

Children (`<name>-<role>`): one `SecureBucket` `<name>-<dataset>` per dataset (Object Lock with the
configured mode and days; noncurrent versions kept at least as long as the lock). With replication: a KMS
key `<name>-replica-key` (+ alias) in the replica region, a replica log bucket `<name>-replica-logs` and a
replica `SecureBucket` `<name>-<dataset>-replica` per dataset there (versioned, SSE-KMS with the replica key,
public access blocked, Object Lock with the same retention, reachable only by exempt principals and the
replication role, and read (never written) by `replica_reader_principal_arns`: the recovery role), the
replication role `<name>-replication-role` (under `iam_path`, trusted by s3.amazonaws.com for this account
only) with its policy `<name>-replication-policy` (exact bucket ARNs
and the two keys), and one `<name>-<dataset>-replication` (BucketReplicationConfig: every object, delete
markers, SSE-KMS objects re-encrypted with the replica key). Configuration readers (the auditor) may read
every vault bucket's configuration from outside the VPC.

Filling the vault (`sources`: the data and model SecureBuckets by dataset): the role
`<name>-source-replication-role` (under `iam_path`, with the boundary, trusted by s3.amazonaws.com for this
account only) with its policy `<name>-source-replication-policy`, and one `<name>-<dataset>-ingest`
(BucketReplicationConfig on the source bucket) per source: every new object version is replicated into the
dataset's Object Lock backup bucket, with Replication Time Control (15 minutes) and replication metrics,
delete markers not replicated, SSE-KMS objects re-encrypted with the backup key. With a replica region the
same configuration has a second rule straight into the dataset's replica bucket (re-encrypted with the
replica key): S3 live replication does not replicate an object that is itself a replica, so the
backup -> replica replication alone would never carry the ingested versions to the replica region. The
backup and replica buckets' policies exempt the role (S3 replication does not come through the VPC
endpoint); the source buckets' policies must exempt it too (`source_replication_role_arn`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from strongroom.components import replication
from strongroom.components.keys import alias_name, check_name, check_names
from strongroom.components.policydocs import bucket as bucketdoc
from strongroom.components.policydocs import kms as kmsdoc
from strongroom.components.storage import LOCK_MODES, SecureBucket, SecureBucketArgs

REGION_RE = kmsdoc.REGION_RE
IAM_PATH_RE = re.compile(r"^/([A-Za-z0-9+=,.@_-]+/)*$")


@dataclass
class BackupVaultArgs:
    """Arguments of `BackupVault`."""

    environment: str
    """Environment (stack) name, used in the replica key's alias: lower case, digits and dashes."""

    kms_key_arn: pulumi.Input[str]
    """ARN of the backup purpose's customer-managed key, which encrypts the backup buckets."""

    log_bucket_name: pulumi.Input[str]
    """Name of the primary region's access log bucket."""

    vpc_endpoint_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """The environment's VPC endpoint ids through which the backup buckets are reached."""

    admin_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Principals exempt from the VPC endpoint restriction (include the deployer); see SecureBucketArgs."""

    config_reader_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Exact role ARNs (the auditor) that may read every vault bucket's configuration from outside the VPC
    (replicas and the replica log bucket included); see SecureBucketArgs."""

    replica_reader_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Exact role ARNs (the recovery role) that may list and read the replicas' objects and versions, and
    their configuration, from outside a VPC endpoint (the replica region has none); never write or
    delete. The backup buckets themselves are read through the VPC endpoint."""

    datasets: Sequence[str] = ("models", "data")
    """One backup bucket per dataset; unique names of lower case letters, digits and dashes."""

    object_lock_mode: str = "GOVERNANCE"
    """Object Lock default retention mode: GOVERNANCE or COMPLIANCE (COMPLIANCE cannot be shortened by
    anyone, root included)."""

    object_lock_days: int = 30
    """Object Lock default retention in days (1-36500)."""

    noncurrent_version_expiry_days: int = 90
    """Days noncurrent versions are kept (1-3650); at least `object_lock_days`."""

    replica_provider: aws.Provider | None = None
    """AWS provider for the replica region; with `replica_region`, turns on cross-region replication."""

    replica_region: str | None = None
    """The replica region (the region of `replica_provider`); must differ from the primary region."""

    permissions_boundary_arn: pulumi.Input[str] | None = None
    """Permissions boundary of the replication role."""

    iam_path: str = "/strongroom/"
    """IAM path of the replication role, e.g. `/strongroom/dev/`: the same path as every other role of the
    stack, so the boundaries, the auditor and the alerts cover it."""

    retain: bool = False
    """Protect every bucket, key and companion and keep them on delete (set for prod)."""

    account_id: pulumi.Input[str] | None = None
    """AWS account id; looked up with `aws.get_caller_identity_output()` when not given."""

    region: pulumi.Input[str] | None = None
    """Primary AWS region; looked up with `aws.get_region_output()` when not given."""

    partition: pulumi.Input[str] | None = None
    """AWS partition; looked up with `aws.get_partition_output()` when not given."""

    sources: Mapping[str, SecureBucket] = field(default_factory=dict)
    """The buckets that fill the vault, by dataset (`models` -> the models bucket, `<domain>` -> the bucket
    `data-<domain>`): each replicates every new object version into the dataset's backup bucket (and its
    replica). Their policies must exempt `BackupVault.source_replication_role_arn`."""

    def __post_init__(self) -> None:
        check_name("environment", self.environment)
        check_names("datasets", self.datasets, "dataset", example="models, data")
        for dataset, source in self.sources.items():
            if dataset not in self.datasets:
                raise ValueError(
                    f"sources: dataset {dataset!r} is not one of the vault's datasets "
                    f"({', '.join(self.datasets)}); accepted: a source bucket per backed-up dataset"
                )
            if not isinstance(source, SecureBucket):
                raise ValueError(
                    f"sources: {dataset!r} is a {type(source).__name__}, not a SecureBucket "
                    "(versioned, SSE-KMS: what replication needs)"
                )
        if not IAM_PATH_RE.match(self.iam_path):
            raise ValueError(
                f"iam_path: {self.iam_path!r} must look like '/strongroom/dev/' (starts and ends with /)"
            )
        if self.object_lock_mode not in LOCK_MODES:
            raise ValueError(f"object_lock_mode: {self.object_lock_mode!r} is not one of {LOCK_MODES}")
        if (self.replica_provider is None) != (self.replica_region is None):
            raise ValueError(
                f"replica_provider/replica_region: {self.replica_provider!r}/{self.replica_region!r} "
                "must be set together (replication) or not at all"
            )
        if self.replica_region is not None:
            if not REGION_RE.match(self.replica_region):
                raise ValueError(
                    f"replica_region: {self.replica_region!r} is not an AWS region name such as eu-west-1"
                )
            if isinstance(self.region, str) and self.region == self.replica_region:
                raise ValueError(
                    f"replica_region: {self.replica_region!r} equals the primary region; choose another"
                )
        # Ranges and the lock/expiry relation are checked by SecureBucketArgs, field names unchanged.
        SecureBucketArgs(
            kms_key_arn=self.kms_key_arn,
            log_bucket_name=self.log_bucket_name,
            noncurrent_version_expiry_days=self.noncurrent_version_expiry_days,
            object_lock_mode=self.object_lock_mode,
            object_lock_days=self.object_lock_days,
        )


class BackupVault(pulumi.ComponentResource):
    """Object Lock protected backup buckets, replicated to another region when configured.

    Outputs (dicts keyed by dataset): `buckets` (SecureBucket), `bucket_names`, `bucket_arns`,
    `replica_bucket_names`, `replica_bucket_arns` (empty without replication); `replica_key_arn`,
    `replication_role_arn`, `replica_log_bucket_name` and `replica_log_bucket_arn` (the replica region's
    access-log bucket) (None without replication); `source_replication_role_arn` (the role that fills the
    vault from `sources`; None without sources).
    """

    buckets: dict[str, SecureBucket]
    bucket_names: dict[str, pulumi.Output[str]]
    bucket_arns: dict[str, pulumi.Output[str]]
    replica_bucket_names: dict[str, pulumi.Output[str]]
    replica_bucket_arns: dict[str, pulumi.Output[str]]
    replica_key_arn: pulumi.Output[str] | None
    replication_role_arn: pulumi.Output[str] | None
    replica_log_bucket_name: pulumi.Output[str] | None
    replica_log_bucket_arn: pulumi.Output[str] | None
    source_replication_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: BackupVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strongroom:index:BackupVault", name, None, opts)
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        account_id = cast(
            pulumi.Output[str],
            pulumi.Output.from_input(
                args.account_id or aws.get_caller_identity_output(opts=invoke_opts).account_id
            ),
        )
        region = cast(
            pulumi.Output[str],
            pulumi.Output.from_input(args.region or aws.get_region_output(opts=invoke_opts).region),
        )
        partition = cast(
            pulumi.Output[str],
            pulumi.Output.from_input(args.partition or aws.get_partition_output(opts=invoke_opts).partition),
        )
        child = pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain)

        role: aws.iam.Role | None = None
        exempt: pulumi.Input[Sequence[pulumi.Input[str]]] = args.admin_principal_arns
        if args.replica_region is not None:
            role = replication.replication_role(
                name,
                parent=self,
                description="S3 replication of the Strongroom backup buckets to the replica region",
                account_id=account_id,
                iam_path=args.iam_path,
                permissions_boundary_arn=args.permissions_boundary_arn,
                retain=args.retain,
            )
            exempt = replication.exempting(args.admin_principal_arns, role)
        source_role: aws.iam.Role | None = None
        if args.sources:
            source_role = replication.replication_role(
                f"{name}-source",
                parent=self,
                description="S3 replication of the Strongroom data and model buckets into the backup vault",
                account_id=account_id,
                iam_path=args.iam_path,
                permissions_boundary_arn=args.permissions_boundary_arn,
                retain=args.retain,
            )
            exempt = replication.exempting(exempt, source_role)

        self.buckets, self.bucket_names, self.bucket_arns = {}, {}, {}
        for dataset in args.datasets:
            bucket = SecureBucket(
                f"{name}-{dataset}",
                SecureBucketArgs(
                    kms_key_arn=args.kms_key_arn,
                    log_bucket_name=args.log_bucket_name,
                    vpc_endpoint_ids=args.vpc_endpoint_ids,
                    admin_principal_arns=exempt,
                    config_reader_principal_arns=args.config_reader_principal_arns,
                    noncurrent_version_expiry_days=args.noncurrent_version_expiry_days,
                    object_lock_mode=args.object_lock_mode,
                    object_lock_days=args.object_lock_days,
                    tags={"strongroom:backup-dataset": dataset},
                    retain=args.retain,
                    account_id=account_id,
                    partition=partition,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.buckets[dataset] = bucket
            self.bucket_names[dataset] = bucket.bucket_name
            self.bucket_arns[dataset] = bucket.bucket_arn

        self.replica_bucket_names, self.replica_bucket_arns = {}, {}
        self.replica_key_arn = None
        self.replication_role_arn = None
        self.replica_log_bucket_name = None
        self.replica_log_bucket_arn = None
        self.source_replication_role_arn = None
        self._replicas: dict[str, SecureBucket] = {}
        if role is not None and args.replica_region is not None and args.replica_provider is not None:
            self._replicate(
                name,
                args,
                args.replica_region,
                args.replica_provider,
                role,
                exempt,
                account_id,
                region,
                partition,
                child,
            )
        if source_role is not None:
            self._fill(name, args, source_role, region, child)

        self.register_outputs(
            {
                "bucket_names": self.bucket_names,
                "bucket_arns": self.bucket_arns,
                "replica_bucket_names": self.replica_bucket_names,
                "replica_bucket_arns": self.replica_bucket_arns,
                "replica_key_arn": self.replica_key_arn,
                "replication_role_arn": self.replication_role_arn,
                "replica_log_bucket_name": self.replica_log_bucket_name,
                "replica_log_bucket_arn": self.replica_log_bucket_arn,
                "source_replication_role_arn": self.source_replication_role_arn,
            }
        )

    def _fill(
        self,
        name: str,
        args: BackupVaultArgs,
        role: aws.iam.Role,
        region: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> None:
        """The role's policy and each source's replication into its backup bucket (and replica)."""
        datasets = [d for d in args.datasets if d in args.sources]
        targets = {
            dataset: [
                replication.BackupTarget("into-backup", self.buckets[dataset], args.kms_key_arn, priority=2),
                *(
                    [
                        replication.BackupTarget(
                            "into-replica-region",
                            self._replicas[dataset],
                            self._replica_key_arn(),
                            priority=1,
                        )
                    ]
                    if dataset in self._replicas
                    else []
                ),
            ]
            for dataset in datasets
        }
        replica_region = args.replica_region

        def policy_json(values: list[Any]) -> str:
            source_region, backup_key, replica_key, *rest = values
            n = len(datasets)
            source_arns, source_keys, backup_arns = rest[:n], rest[n : 2 * n], rest[2 * n : 3 * n]
            replica_arns = rest[3 * n :]
            destinations = [(arn, backup_key, source_region) for arn in backup_arns]
            if replica_arns and replica_key is not None and replica_region is not None:
                destinations += [(arn, replica_key, replica_region) for arn in replica_arns]
            return json.dumps(
                bucketdoc.backup_replication_role_policy(
                    sources=list(zip(source_arns, source_keys, strict=True)),
                    destinations=destinations,
                    source_region=source_region,
                ),
                sort_keys=True,
            )

        role_policy = aws.iam.RolePolicy(
            f"{name}-source-replication-policy",
            role=role.id,
            policy=pulumi.Output.all(
                region,
                args.kms_key_arn,
                self.replica_key_arn,
                *[args.sources[d].bucket_arn for d in datasets],
                *[args.sources[d].kms_key_arn for d in datasets],
                *[self.buckets[d].bucket_arn for d in datasets],
                *[self._replicas[d].bucket_arn for d in datasets if d in self._replicas],
            ).apply(policy_json),
            opts=child,
        )
        for dataset in datasets:
            source = args.sources[dataset]
            replication.replicate_into_backups(
                f"{name}-{dataset}-ingest",
                source,
                targets[dataset],
                parent=self,
                role=role,
                depends_on=[role_policy, source.policy, *(t.bucket.policy for t in targets[dataset])],
                retain=args.retain,
            )
        self.source_replication_role_arn = role.arn

    def _replica_key_arn(self) -> pulumi.Output[str]:
        if self.replica_key_arn is None:
            raise ValueError("replica_key_arn: the replica region's key is missing while its buckets exist")
        return self.replica_key_arn

    def _replicate(
        self,
        name: str,
        args: BackupVaultArgs,
        replica_region: str,
        replica_provider: aws.Provider,
        role: aws.iam.Role,
        exempt: pulumi.Input[Sequence[pulumi.Input[str]]],
        account_id: pulumi.Output[str],
        region: pulumi.Output[str],
        partition: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> None:
        in_replica = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(provider=replica_provider))
        replica_key = aws.kms.Key(
            f"{name}-replica-key",
            description=f"Strongroom {args.environment} backup replica key ({replica_region})",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            bypass_policy_lockout_safety_check=False,
            policy=pulumi.Output.all(account_id, partition).apply(
                lambda values: kmsdoc.key_policy_json(
                    account_id=values[0],
                    partition=values[1],
                    region=replica_region,
                    services=("s3-logging",),
                )
            ),
            tags={"strongroom:key-purpose": "backup-replica"},
            opts=in_replica,
        )
        aws.kms.Alias(
            f"{name}-replica-key-alias",
            name=alias_name(args.environment, "backup-replica"),
            target_key_id=replica_key.key_id,
            opts=in_replica,
        )
        replica_opts = pulumi.ResourceOptions(parent=self, providers={"aws": replica_provider})
        replica_logs = SecureBucket(
            f"{name}-replica-logs",
            SecureBucketArgs(
                kms_key_arn=replica_key.arn,
                is_log_bucket=True,
                admin_principal_arns=exempt,
                config_reader_principal_arns=args.config_reader_principal_arns,
                expiration_days=max(args.noncurrent_version_expiry_days, 365),
                retain=args.retain,
                account_id=account_id,
                partition=partition,
            ),
            opts=replica_opts,
        )
        # The recovery role also reads the replicas' Object Lock configuration (vault status).
        readers = pulumi.Output.all(
            pulumi.Output.from_input(args.config_reader_principal_arns),
            pulumi.Output.from_input(args.replica_reader_principal_arns),
        ).apply(lambda v: sorted({*v[0], *v[1]}))
        sources = {
            dataset: replication.ReplicatedBucket(
                name=f"{name}-{dataset}",
                source=self.buckets[dataset],
                replica_args=SecureBucketArgs(
                    kms_key_arn=replica_key.arn,
                    log_bucket_name=replica_logs.bucket_name,
                    admin_principal_arns=exempt,
                    config_reader_principal_arns=readers,
                    object_reader_principal_arns=args.replica_reader_principal_arns,
                    noncurrent_version_expiry_days=args.noncurrent_version_expiry_days,
                    object_lock_mode=args.object_lock_mode,
                    object_lock_days=args.object_lock_days,
                    tags={"strongroom:backup-dataset": dataset, "strongroom:replica": "true"},
                    retain=args.retain,
                    account_id=account_id,
                    partition=partition,
                ),
            )
            for dataset in args.datasets
        }
        replicas = replication.replicate(
            name,
            list(sources.values()),
            parent=self,
            role=role,
            source_key_arn=args.kms_key_arn,
            replica_key_arn=replica_key.arn,
            source_region=region,
            replica_region=replica_region,
            replica_provider=replica_provider,
            retain=args.retain,
        )
        for dataset, source in sources.items():
            self.replica_bucket_names[dataset] = replicas[source.name].bucket_name
            self.replica_bucket_arns[dataset] = replicas[source.name].bucket_arn
            self._replicas[dataset] = replicas[source.name]
        self.replica_key_arn = replica_key.arn
        self.replication_role_arn = role.arn
        self.replica_log_bucket_name = replica_logs.bucket_name
        self.replica_log_bucket_arn = replica_logs.bucket_arn
