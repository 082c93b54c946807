"""AuditTrail: a multi-region, validated, KMS-encrypted CloudTrail to a dedicated secure bucket and logs.

With a replica region, the trail bucket is replicated there (`<name>-bucket-replica`: a SecureBucket with the
same Object Lock, encrypted with the given replica-region key, logging to the given replica-region log
bucket) by the role `<name>-replication-role` (trusted by s3.amazonaws.com for this account, exact bucket ARNs
and the two keys in its policy `<name>-replication-policy`), through `<name>-bucket-replication`: the audit
record survives the loss of the primary region.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from strongroom.components import replication
from strongroom.components.policydocs import iam
from strongroom.components.policydocs.kms import REGION_RE
from strongroom.components.storage import SecureBucket, SecureBucketArgs

_TRAIL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$")
_ORGANIZATION_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")
TRAIL_DELIVERY_EVENTS = ("PutObject",)
"""The S3 data event of CloudTrail's own delivery (log and digest files). Recording it on the trail's own
bucket would deliver a record of each delivery, which is delivered in turn, forever (CloudTrail's guidance
is not to log the bucket that receives the trail's logs); the trail bucket's selector leaves out only this
event name."""
LOG_RETENTION_DAYS = (90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
"""CloudWatch Logs retention values of at least 90 days."""


@dataclass
class AuditTrailArgs:
    """Arguments of `AuditTrail`."""

    logs_key_arn: pulumi.Input[str]
    """KMS key encrypting the trail's log files, its bucket and its CloudWatch log group (its key policy must
    let cloudtrail.amazonaws.com and logs.<region>.amazonaws.com use it)."""

    access_log_bucket_name: pulumi.Input[str]
    """Bucket receiving the trail bucket's S3 server access logs."""

    data_event_bucket_arns: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Buckets whose object-level (data) events are recorded: every bucket of the environment (data,
    models, access logs, backups and their replicas). The trail adds the replica of its own bucket, and its
    own bucket with every object event but CloudTrail's delivery (`TRAIL_DELIVERY_EVENTS`)."""

    log_retention_days: int = 365
    """Retention of the CloudWatch log group (a CloudWatch-accepted value, at least 90)."""

    trail_name: str | None = None
    """Trail name (default `<name>-trail`); fixed so the bucket policy can name the trail ARN."""

    vpc_endpoint_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """VPC endpoints through which people may read the trail bucket (passed to SecureBucket)."""

    admin_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Principals exempt from the trail bucket's VPC endpoint restriction (the deployer, the auditor)."""

    config_reader_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Roles that may read the trail bucket's (and its replica's) configuration from outside the VPC, as
    every other bucket of the environment lets them (the auditor: the live audit); never its objects."""

    noncurrent_version_expiry_days: int = 365
    """How long noncurrent log file versions are kept."""

    object_lock_mode: str | None = None
    """Object Lock mode of the trail bucket (GOVERNANCE or COMPLIANCE), for prod."""

    object_lock_days: int | None = None
    """Object Lock default retention in days, with `object_lock_mode`."""

    retain: bool = False
    """Protect the bucket and keep it on delete (prod)."""

    permissions_boundary_arn: pulumi.Input[str] | None = None
    """Permission boundary of the CloudTrail-to-CloudWatch delivery role (MlRoles.boundary_policy_arn)."""

    iam_path: str = "/strongroom/"
    """IAM path of the delivery role (and of the replication role)."""

    replica_provider: aws.Provider | None = None
    """AWS provider of the replica region; with `replica_region`, `replica_kms_key_arn` and
    `replica_log_bucket_name`, turns on cross-region replication of the trail bucket."""

    replica_region: str | None = None
    """The replica region (the region of `replica_provider`)."""

    replica_kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed KMS key in the replica region encrypting the replica (BackupVault.replica_key_arn)."""

    replica_log_bucket_name: pulumi.Input[str] | None = None
    """Access-log bucket in the replica region (BackupVault.replica_log_bucket_name)."""

    insights: bool = True
    """CloudTrail Insights (ApiCallRateInsight and ApiErrorRateInsight): unusual API call and error rates,
    the signature of enumeration and of a stolen credential trying what it may do."""

    organization_id: str | None = None
    """Make it an organization trail of this AWS Organization (o-...): it then records every account of
    the organization, and the bucket policy admits their log files under AWSLogs/<organization id>/. Deploy
    from the organization's management account (CloudTrail creates organization trails there; a delegated
    administrator's organization trail is owned by the management account, whose ARN the policies of this
    stack do not name)."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on top of the provider's default tags."""

    account_id: pulumi.Input[str] | None = None
    """AWS account id; looked up when not given."""

    region: pulumi.Input[str] | None = None
    """AWS region; looked up when not given."""

    partition: pulumi.Input[str] | None = None
    """AWS partition; looked up when not given."""

    def __post_init__(self) -> None:
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"log_retention_days: {self.log_retention_days!r} is not accepted; use a CloudWatch "
                f"retention of at least 90 days ({', '.join(str(d) for d in LOG_RETENTION_DAYS)})"
            )
        if self.trail_name is not None and not _TRAIL_NAME_RE.match(self.trail_name):
            raise ValueError(
                f"trail_name: {self.trail_name!r} must be 3-128 letters, digits, '.', '_' or '-'"
            )
        if isinstance(self.region, str) and self.region == self.replica_region:
            raise ValueError(
                f"replica_region: {self.replica_region!r} equals the primary region; choose another"
            )
        replica = {
            "replica_provider": self.replica_provider,
            "replica_region": self.replica_region,
            "replica_kms_key_arn": self.replica_kms_key_arn,
            "replica_log_bucket_name": self.replica_log_bucket_name,
        }
        given = sorted(k for k, v in replica.items() if v is not None)
        if given and len(given) != len(replica):
            missing = sorted(set(replica) - set(given))
            raise ValueError(
                f"{'/'.join(missing)}: missing while {'/'.join(given)} are set; cross-region replication "
                "of the trail bucket needs all four, or none"
            )
        if self.organization_id is not None and not _ORGANIZATION_RE.match(self.organization_id):
            raise ValueError(
                f"organization_id: {self.organization_id!r} is not an AWS Organizations ID such as "
                "o-a1b2c3d4e5"
            )
        if self.replica_region is not None and not REGION_RE.match(self.replica_region):
            raise ValueError(
                f"replica_region: {self.replica_region!r} is not an AWS region name such as eu-west-1"
            )
        if isinstance(self.data_event_bucket_arns, list | tuple):
            if not self.data_event_bucket_arns:
                raise ValueError("data_event_bucket_arns: give the data, model and backup bucket ARNs")
            for arn in self.data_event_bucket_arns:
                if isinstance(arn, str) and not re.match(r"^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", arn):
                    raise ValueError(
                        f"data_event_bucket_arns: {arn!r} is not a bucket ARN (arn:aws:s3:::name)"
                    )


def _str_output(value: pulumi.Input[str]) -> pulumi.Output[str]:
    return cast(pulumi.Output[str], pulumi.Output.from_input(value))


def data_event_selectors(
    bucket_arns: Sequence[str], trail_bucket_arn: str | None = None
) -> list[dict[str, Any]]:
    """Advanced event selectors: all management events, and S3 object events of the given buckets only;
    with `trail_bucket_arn`, the trail's own bucket too, every object event but CloudTrail's delivery
    (`TRAIL_DELIVERY_EVENTS`): who reads, deletes, locks or copies the audit record is recorded, without
    the loop."""
    selectors: list[dict[str, Any]] = [
        {
            "name": "Management events",
            "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
        },
        {
            "name": "S3 data events of the environment's buckets",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {"field": "resources.ARN", "starts_withs": sorted(f"{arn}/" for arn in bucket_arns)},
            ],
        },
    ]
    if trail_bucket_arn is not None:
        selectors.append(
            {
                "name": "S3 data events of the trail bucket but CloudTrail's delivery",
                "field_selectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                    {"field": "resources.ARN", "starts_withs": [f"{trail_bucket_arn}/"]},
                    {"field": "eventName", "not_equals": list(TRAIL_DELIVERY_EVENTS)},
                ],
            }
        )
    return selectors


class AuditTrail(pulumi.ComponentResource):
    """CloudTrail for every region, log file validation on, KMS-encrypted, with S3 data events of the
    environment's buckets (and of the trail bucket and its replica), Insights on, to a dedicated
    SecureBucket and to a KMS-encrypted CloudWatch log group; optionally an organization trail."""

    trail_arn: pulumi.Output[str]
    """ARN of the CloudTrail trail."""
    trail_name: pulumi.Output[str]
    """Name of the trail."""
    bucket_name: pulumi.Output[str]
    """Name of the trail's SecureBucket."""
    bucket_arn: pulumi.Output[str]
    """ARN of the trail's bucket."""
    log_group_name: pulumi.Output[str]
    """Name of the KMS-encrypted CloudWatch log group the trail delivers to."""
    log_group_arn: pulumi.Output[str]
    """ARN of that log group."""
    delivery_role_arn: pulumi.Output[str]
    """ARN of the role CloudTrail assumes to write to the log group."""
    delivery_role_name: pulumi.Output[str]
    """Name of the delivery role."""
    replica_bucket_name: pulumi.Output[str] | None
    """Name of the trail bucket's cross-region replica (None without a replica region)."""
    replica_bucket_arn: pulumi.Output[str] | None
    """ARN of the replica bucket (None without a replica region)."""
    replication_role_arn: pulumi.Output[str] | None
    """ARN of the trail bucket's replication role (None without a replica region)."""
    replication_role_name: pulumi.Output[str] | None
    """Name of the replication role (None without a replica region)."""

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if isinstance(args, dict):  # the inputs of a program in another language (components/provider.py)
            args = AuditTrailArgs(**args)
        super().__init__("strongroom:index:AuditTrail", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = _str_output(args.account_id or aws.get_caller_identity_output(opts=invoke).account_id)
        region = _str_output(args.region or aws.get_region_output(opts=invoke).region)
        partition = _str_output(args.partition or aws.get_partition_output(opts=invoke).partition)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None
        trail_name = args.trail_name or f"{name}-trail"
        trail_arn = pulumi.Output.all(partition, region, account).apply(
            lambda v: f"arn:{v[0]}:cloudtrail:{v[1]}:{v[2]}:trail/{trail_name}"
        )

        # S3 replication reads the trail bucket from outside the VPC: its role is exempt like the admins.
        replication_role: aws.iam.Role | None = None
        exempt: pulumi.Input[Sequence[pulumi.Input[str]]] = args.admin_principal_arns
        if args.replica_region is not None:
            replication_role = replication.replication_role(
                name,
                parent=self,
                description="S3 replication of the Strongroom trail bucket to the replica region",
                account_id=account,
                iam_path=args.iam_path,
                permissions_boundary_arn=args.permissions_boundary_arn,
                retain=args.retain,
                tags=tags,
            )
            exempt = replication.exempting(args.admin_principal_arns, replication_role)

        # The bucket policy must grant the trail before the trail exists; the grant names the bucket's own
        # ARN, known only once SecureBucket has created it, so it is passed as a deferred output.
        statements: pulumi.Output[list[dict[str, Any]]]
        resolve_statements: Callable[[pulumi.Output[list[dict[str, Any]]]], None]
        statements, resolve_statements = pulumi.deferred_output()
        self.bucket = SecureBucket(
            f"{name}-bucket",
            SecureBucketArgs(
                kms_key_arn=args.logs_key_arn,
                log_bucket_name=args.access_log_bucket_name,
                vpc_endpoint_ids=args.vpc_endpoint_ids,
                admin_principal_arns=exempt,
                config_reader_principal_arns=args.config_reader_principal_arns,
                noncurrent_version_expiry_days=args.noncurrent_version_expiry_days,
                object_lock_mode=args.object_lock_mode,
                object_lock_days=args.object_lock_days,
                extra_policy_statements=statements,
                tags=dict(args.tags),
                retain=args.retain,
                account_id=account,
                partition=partition,
            ),
            opts=child,
        )
        resolve_statements(
            pulumi.Output.all(self.bucket.bucket_arn, trail_arn, account, partition).apply(
                lambda v: iam.cloudtrail_bucket_statements(
                    v[0], v[1], v[2], v[3], organization_id=args.organization_id
                )
            )
        )

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-log-group",
            name=f"{iam.TRAIL_LOG_GROUP_PREFIX}{trail_name}",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            tags=tags,
            opts=child,
        )
        self.delivery_role = aws.iam.Role(
            f"{name}-delivery-role",
            path=args.iam_path,
            description="CloudTrail delivery to its CloudWatch log group only",
            assume_role_policy=pulumi.Output.all(account, trail_arn).apply(
                lambda v: iam.to_json(iam.service_trust("cloudtrail.amazonaws.com", v[0], source_arn=v[1]))
            ),
            permissions_boundary=args.permissions_boundary_arn,
            tags=tags,
            opts=child,
        )
        delivery_policy = aws.iam.RolePolicy(
            f"{name}-delivery-policy",
            role=self.delivery_role.id,
            policy=self.log_group.arn.apply(lambda arn: iam.to_json(iam.cloudtrail_logs_policy(arn))),
            opts=child,
        )

        self.replica_bucket_name = self.replica_bucket_arn = None
        self.replication_role_arn = self.replication_role_name = None
        if (
            replication_role is not None
            and args.replica_provider is not None
            and args.replica_region is not None
            and args.replica_kms_key_arn is not None
            and args.replica_log_bucket_name is not None
        ):
            self._replicate(
                name,
                args,
                args.replica_provider,
                args.replica_region,
                args.replica_kms_key_arn,
                args.replica_log_bucket_name,
                replication_role,
                exempt,
                account,
                region,
                partition,
            )

        recorded = pulumi.Output.from_input(args.data_event_bucket_arns).apply(
            lambda arns: [str(a) for a in arns]
        )
        if self.replica_bucket_arn is not None:
            recorded = pulumi.Output.all(recorded, self.replica_bucket_arn).apply(lambda v: [*v[0], v[1]])
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name,
            s3_bucket_name=self.bucket.bucket_name,
            kms_key_id=args.logs_key_arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            cloud_watch_logs_group_arn=self.log_group.arn.apply(lambda arn: f"{arn.removesuffix(':*')}:*"),
            cloud_watch_logs_role_arn=self.delivery_role.arn,
            advanced_event_selectors=pulumi.Output.all(recorded, self.bucket.bucket_arn).apply(
                lambda v: cast(Any, data_event_selectors(v[0], trail_bucket_arn=v[1]))
            ),
            insight_selectors=[{"insight_type": t} for t in INSIGHT_TYPES] if args.insights else None,
            is_organization_trail=True if args.organization_id is not None else None,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket, delivery_policy]),
        )

        self.trail_arn = self.trail.arn
        self.trail_name = self.trail.name
        self.bucket_name = self.bucket.bucket_name
        self.bucket_arn = self.bucket.bucket_arn
        self.log_group_name = self.log_group.name
        self.log_group_arn = self.log_group.arn
        self.delivery_role_arn = self.delivery_role.arn
        self.delivery_role_name = self.delivery_role.name
        self.register_outputs(
            {
                "trail_arn": self.trail_arn,
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "log_group_arn": self.log_group_arn,
                "delivery_role_arn": self.delivery_role_arn,
                "replica_bucket_arn": self.replica_bucket_arn,
                "replication_role_arn": self.replication_role_arn,
            }
        )

    def _replicate(
        self,
        name: str,
        args: AuditTrailArgs,
        replica_provider: aws.Provider,
        replica_region: str,
        replica_key_arn: pulumi.Input[str],
        replica_log_bucket_name: pulumi.Input[str],
        role: aws.iam.Role,
        exempt: pulumi.Input[Sequence[pulumi.Input[str]]],
        account: pulumi.Output[str],
        region: pulumi.Output[str],
        partition: pulumi.Output[str],
    ) -> None:
        """The replica of the trail bucket in the replica region, and the replication into it."""
        trail_bucket = replication.ReplicatedBucket(
            name=f"{name}-bucket",
            source=self.bucket,
            replica_args=SecureBucketArgs(
                kms_key_arn=replica_key_arn,
                log_bucket_name=replica_log_bucket_name,
                admin_principal_arns=exempt,
                config_reader_principal_arns=args.config_reader_principal_arns,
                noncurrent_version_expiry_days=args.noncurrent_version_expiry_days,
                object_lock_mode=args.object_lock_mode,
                object_lock_days=args.object_lock_days,
                tags={**args.tags, "strongroom:replica": "true"},
                retain=args.retain,
                account_id=account,
                partition=partition,
            ),
        )
        replicas = replication.replicate(
            name,
            [trail_bucket],
            parent=self,
            role=role,
            source_key_arn=args.logs_key_arn,
            replica_key_arn=replica_key_arn,
            source_region=region,
            replica_region=replica_region,
            replica_provider=replica_provider,
            retain=args.retain,
        )
        self.replica_bucket_name = replicas[trail_bucket.name].bucket_name
        self.replica_bucket_arn = replicas[trail_bucket.name].bucket_arn
        self.replication_role_arn = role.arn
        self.replication_role_name = role.name
