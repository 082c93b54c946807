"""SecureBucket: an S3 bucket with every companion resource pulumi-aws 7 needs to make it secure.

Children (`<name>-<role>`): `bucket`, `versioning` (Enabled), `encryption` (SSE-KMS with the given
customer-managed key and S3 Bucket Keys), `public-access-block` (all four flags), `ownership`
(BucketOwnerEnforced: ACLs off), `logging` (server access logs to the log bucket, date-partitioned keys),
`lifecycle` (noncurrent versions expire, incomplete multipart uploads are aborted), `notifications`
(EventBridge, so alerts and audits can follow object events), `object-lock` (when configured) and `policy`
(TLS only, TLS 1.2 at least, no upload that names another algorithm or key, access only through the
environment's VPC endpoints except exempt principals, and bucket-configuration reads by the configuration
readers; see `components.policydocs.bucket`).

A log bucket (`is_log_bucket=True`) receives S3 server access logs: its policy lets
`logging.s3.amazonaws.com` put objects for this account, and it has no access logging of its own (AWS
advises against logging a log bucket to itself, which loops). It is encrypted with SSE-KMS like every
other bucket; S3 log delivery can write to it only because the key's policy grants
`logging.s3.amazonaws.com` `kms:GenerateDataKey` for this account (KeyRing's `s3-logging` grant, on the
`logs` key by default). Older AWS documentation said server access log targets support SSE-S3 only;
delivery to SSE-KMS targets with a customer-managed key and that grant works (aws-cdk PR 25350 tested it),
while the AWS-managed `aws/s3` key and DSSE-KMS do not. A log bucket cannot use Object Lock (S3 refuses
Object Lock buckets as log targets).

With `retain=True` (prod) the bucket and every companion are created with `protect` and
`retain_on_delete`: neither `pulumi destroy` nor a replacement deletes them. `force_destroy` is never set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from strongroom.components.policydocs import bucket as bucketdoc

BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
KMS_KEY_ARN_RE = bucketdoc.KMS_KEY_ARN_RE
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


def _in_range(field_name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{field_name}: {value!r} must be a whole number of days from {low} to {high}")


@dataclass
class SecureBucketArgs:
    """Arguments of `SecureBucket`."""

    kms_key_arn: pulumi.Input[str]
    """ARN of the customer-managed KMS key for default encryption (SSE-KMS with S3 Bucket Keys)."""

    log_bucket_name: pulumi.Input[str] | None = None
    """Name of the bucket that receives this bucket's server access logs; required unless
    `is_log_bucket` (same region and account as this bucket)."""

    is_log_bucket: bool = False
    """This bucket is a server access log target: log delivery is allowed, it logs nowhere itself."""

    vpc_endpoint_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """The environment's VPC endpoint ids (`vpce-...`) through which access is allowed. Empty: only exempt
    principals (and AWS service principals) have access, as for a replica in another region."""

    admin_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Principals exempt from the VPC endpoint restriction (`aws:PrincipalArn`, wildcards allowed), on top
    of the account root. Include the identity that runs `pulumi up` from outside the VPC, or later updates
    of the bucket's configuration are denied."""

    config_reader_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Exact role ARNs (the auditor) that may read the bucket's configuration (versioning, encryption,
    policy, public access block, Object Lock, replication, logging, ownership, lifecycle) from outside the
    VPC; objects stay behind the VPC endpoint for them. See `components.policydocs.bucket`."""

    object_reader_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Exact role ARNs (the recovery role, on a replica in a region without the environment's VPC) that may
    list and read objects and their versions from outside the VPC endpoint; never write or delete. See
    `components.policydocs.bucket`."""

    bucket_name: str | None = None
    """Explicit bucket name; by default Pulumi auto-names the bucket after the `<name>-bucket` child."""

    log_prefix: str | None = None
    """Key prefix of this bucket's access logs in the log bucket; default `<name>/`."""

    noncurrent_version_expiry_days: int = 90
    """Days a noncurrent object version is kept before it expires (1-3650); not shorter than the lock."""

    abort_incomplete_multipart_upload_days: int = 7
    """Days after which an incomplete multipart upload is aborted (1-365)."""

    expiration_days: int | None = None
    """Days after which current objects expire (1-3650), for log buckets; None keeps them. Without it,
    expired delete markers are removed."""

    object_lock_mode: str | None = None
    """S3 Object Lock default retention mode, GOVERNANCE or COMPLIANCE; None for no Object Lock."""

    object_lock_days: int | None = None
    """S3 Object Lock default retention in days (1-36500); set together with `object_lock_mode`."""

    extra_policy_statements: pulumi.Input[Sequence[Mapping[str, Any]]] = ()
    """Further bucket policy statements (for example a CloudTrail delivery grant), each with a unique Sid;
    an Allow to a wildcard principal is refused."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the bucket, on top of the provider's default tags."""

    retain: bool = False
    """Protect the bucket and its companions and keep them on delete (set for prod)."""

    account_id: pulumi.Input[str] | None = None
    """AWS account id; looked up with `aws.get_caller_identity_output()` when not given."""

    partition: pulumi.Input[str] | None = None
    """AWS partition; looked up with `aws.get_partition_output()` when not given."""

    def __post_init__(self) -> None:
        if isinstance(self.kms_key_arn, str) and not KMS_KEY_ARN_RE.match(self.kms_key_arn):
            raise ValueError(
                f"kms_key_arn: {self.kms_key_arn!r} is not a KMS key ARN (arn:aws:kms:region:account:key/id)"
            )
        if self.is_log_bucket and self.log_bucket_name is not None:
            raise ValueError(
                f"log_bucket_name: {self.log_bucket_name!r} must be None for a log bucket (is_log_bucket)"
            )
        if not self.is_log_bucket and self.log_bucket_name is None:
            raise ValueError("log_bucket_name: required (a bucket that is not a log bucket logs access)")
        for label, name in (("log_bucket_name", self.log_bucket_name), ("bucket_name", self.bucket_name)):
            if isinstance(name, str) and not BUCKET_NAME_RE.match(name):
                raise ValueError(f"{label}: {name!r} is not a valid S3 bucket name (3-63 a-z 0-9 . -)")
        if isinstance(self.vpc_endpoint_ids, (list, tuple)):
            for vpce in self.vpc_endpoint_ids:
                if isinstance(vpce, str) and not bucketdoc.VPCE_RE.match(vpce):
                    raise ValueError(
                        f"vpc_endpoint_ids: {vpce!r} is not a VPC endpoint id (vpce-0123456789abcdef0)"
                    )
        if isinstance(self.admin_principal_arns, (list, tuple)):
            for arn in self.admin_principal_arns:
                if isinstance(arn, str) and not arn.startswith("arn:"):
                    raise ValueError(f"admin_principal_arns: {arn!r} is not an ARN")
        if isinstance(self.config_reader_principal_arns, (list, tuple)):
            for arn in self.config_reader_principal_arns:
                if isinstance(arn, str) and (":role/" not in arn or "*" in arn):
                    raise ValueError(
                        f"config_reader_principal_arns: {arn!r} is not an exact IAM role ARN (no wildcard)"
                    )
        if isinstance(self.object_reader_principal_arns, (list, tuple)):
            for arn in self.object_reader_principal_arns:
                if isinstance(arn, str) and (":role/" not in arn or "*" in arn):
                    raise ValueError(
                        f"object_reader_principal_arns: {arn!r} is not an exact IAM role ARN (no wildcard)"
                    )
        if self.log_prefix is not None and (not self.log_prefix.endswith("/") or self.log_prefix == "/"):
            raise ValueError(f"log_prefix: {self.log_prefix!r} must be a non-empty key prefix ending in '/'")
        _in_range("noncurrent_version_expiry_days", self.noncurrent_version_expiry_days, 1, 3650)
        _in_range(
            "abort_incomplete_multipart_upload_days", self.abort_incomplete_multipart_upload_days, 1, 365
        )
        if self.expiration_days is not None:
            _in_range("expiration_days", self.expiration_days, 1, 3650)
        if (self.object_lock_mode is None) != (self.object_lock_days is None):
            raise ValueError(
                f"object_lock_mode/object_lock_days: {self.object_lock_mode!r}/{self.object_lock_days!r} "
                "must be set together or not at all"
            )
        if self.object_lock_mode is not None and self.object_lock_days is not None:
            if self.is_log_bucket:
                raise ValueError(
                    "object_lock_mode: a log bucket cannot use Object Lock (S3 refuses it as a log target)"
                )
            if self.object_lock_mode not in LOCK_MODES:
                raise ValueError(f"object_lock_mode: {self.object_lock_mode!r} is not one of {LOCK_MODES}")
            _in_range("object_lock_days", self.object_lock_days, 1, 36500)
            if self.noncurrent_version_expiry_days < self.object_lock_days:
                raise ValueError(
                    f"noncurrent_version_expiry_days: {self.noncurrent_version_expiry_days} is shorter than "
                    f"object_lock_days {self.object_lock_days}; it must be at least the lock period"
                )


class SecureBucket(pulumi.ComponentResource):
    """A versioned, SSE-KMS encrypted, private, logged S3 bucket (see the module docstring).

    Outputs: `bucket_name`, `bucket_arn`, `bucket_id` (= name), `kms_key_arn`; resources `bucket`,
    `versioning` and `policy` for callers that need to order after them (replication needs versioning).
    """

    bucket: aws.s3.Bucket
    """The `aws.s3.Bucket` resource."""
    versioning: aws.s3.BucketVersioning
    """The bucket's versioning resource (replication must be ordered after it)."""
    policy: aws.s3.BucketPolicy
    """The bucket policy resource."""
    bucket_name: pulumi.Output[str]
    """Name of the bucket."""
    bucket_arn: pulumi.Output[str]
    """ARN of the bucket."""
    bucket_id: pulumi.Output[str]
    """ID of the bucket (equal to its name)."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the KMS key that encrypts the bucket's objects."""

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if isinstance(args, dict):  # the inputs of a program in another language (components/provider.py)
            args = SecureBucketArgs(**args)
        super().__init__("strongroom:index:SecureBucket", name, None, opts)
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        account_id = args.account_id or aws.get_caller_identity_output(opts=invoke_opts).account_id
        partition = args.partition or aws.get_partition_output(opts=invoke_opts).partition
        child = pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain)
        locked = args.object_lock_mode is not None

        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            force_destroy=False,
            object_lock_enabled=True if locked else None,
            tags=dict(args.tags) or None,
            opts=child,
        )
        bucket_id = self.bucket.id
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args.kms_key_arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        expiration = (
            aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.expiration_days)
            if args.expiration_days is not None
            else aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True)
        )
        lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="noncurrent-versions-and-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                    noncurrent_version_expiration=(
                        aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                            noncurrent_days=args.noncurrent_version_expiry_days
                        )
                    ),
                    abort_incomplete_multipart_upload=(
                        aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                            days_after_initiation=args.abort_incomplete_multipart_upload_days
                        )
                    ),
                    expiration=expiration,
                )
            ],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.versioning])),
        )
        notifications = aws.s3.BucketNotification(
            f"{name}-notifications", bucket=bucket_id, eventbridge=True, opts=child
        )
        companions: list[pulumi.Resource] = [
            self.versioning,
            encryption,
            public_access_block,
            ownership,
            lifecycle,
            notifications,
        ]
        if args.log_bucket_name is not None:
            companions.append(
                aws.s3.BucketLogging(
                    f"{name}-logging",
                    bucket=bucket_id,
                    target_bucket=args.log_bucket_name,
                    target_prefix=args.log_prefix or f"{name}/",
                    target_object_key_format={"partitioned_prefix": {"partition_date_source": "EventTime"}},
                    opts=child,
                )
            )
        if args.object_lock_mode is not None:
            companions.append(
                aws.s3.BucketObjectLockConfiguration(
                    f"{name}-object-lock",
                    bucket=bucket_id,
                    object_lock_enabled="Enabled",
                    rule={
                        "default_retention": {"mode": args.object_lock_mode, "days": args.object_lock_days}
                    },
                    opts=pulumi.ResourceOptions.merge(
                        child, pulumi.ResourceOptions(depends_on=[self.versioning])
                    ),
                )
            )

        def build_policy(values: list[Any]) -> str:
            arn, acct, part, key_arn, vpces, exempt, readers, object_readers, extra = values
            return bucketdoc.bucket_policy_json(
                bucket_arn=arn,
                account_id=acct,
                partition=part,
                kms_key_arn=key_arn,
                vpc_endpoint_ids=list(vpces),
                exempt_principal_arns=list(exempt),
                config_reader_principal_arns=list(readers),
                object_reader_principal_arns=list(object_readers),
                allow_log_delivery=args.is_log_bucket,
                extra_statements=list(extra),
            )

        # The policy is applied last: its VPC endpoint deny covers the S3 calls that configure the companions.
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=pulumi.Output.all(
                self.bucket.arn,
                account_id,
                partition,
                args.kms_key_arn,
                pulumi.Output.from_input(args.vpc_endpoint_ids),
                pulumi.Output.from_input(args.admin_principal_arns),
                pulumi.Output.from_input(args.config_reader_principal_arns),
                pulumi.Output.from_input(args.object_reader_principal_arns),
                pulumi.Output.from_input(args.extra_policy_statements),
            ).apply(build_policy),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=companions)),
        )

        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn
        self.bucket_id = self.bucket.id
        self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "bucket_id": self.bucket_id,
                "kms_key_arn": self.kms_key_arn,
            }
        )
