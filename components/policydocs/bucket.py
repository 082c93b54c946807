"""S3 bucket policies and the replication role's policies, built from plain strings (no Pulumi import).

The bucket policy is deny-only apart from the optional server-access-log delivery grant: access itself is
granted by IAM policies in this account. The denies:

- `DenyInsecureTransport`: any request without TLS (`aws:SecureTransport` false);
- `DenyOutdatedTls`: TLS below 1.2 (`s3:TlsVersion` NumericLessThan 1.2);
- `DenyWrongEncryptionAlgorithm`: a PutObject that asks for another algorithm than `aws:kms`;
- `DenyWrongKmsKey`: a PutObject that names another KMS key than the bucket's (the header must carry the key
  ARN). A PutObject without the headers is allowed: the bucket's default encryption then applies the
  bucket's key, which is what the two denies protect;
- `DenyOutsideVpcEndpoint`: any request that does not come through one of the environment's VPC endpoints
  (`aws:SourceVpce`), unless the caller is an AWS service principal (log delivery, CloudTrail) or one of the
  exempt principals (`aws:PrincipalArn`, wildcards allowed): the account root always, plus the named
  administrators, which must include the identity that deploys the stack from outside the VPC (Pulumi
  manages the bucket's configuration with S3 API calls that this statement would otherwise deny) and the
  replication role of a replicated bucket. With no endpoint at all (a replica bucket in a region without
  the environment's VPC), the same statement is `DenyExceptExemptPrincipals`.

Configuration readers (the auditor role) get a narrow exemption so the read-only live audit can run from
outside the VPC: with `config_reader_principal_arns`, the statement above covers every action except the
bucket-level configuration reads of :data:`CONFIG_READ_ACTIONS` (`NotAction`), and
`DenyConfigReadsOutsideVpcEndpoint` (or `DenyConfigReadsExceptExemptPrincipals`) denies those reads, on the
bucket ARN only, to everyone but the exempt principals and the configuration readers. Object reads are
never exempted: a configuration reader outside the VPC still cannot list or get an object.

Object readers (the recovery role, on the backups' replicas in the replica region, where the environment
has no VPC endpoint) get the same kind of exemption for reads of objects and their versions only
(:data:`OBJECT_READ_ACTIONS`): the network statement covers every action but those (and the
configuration reads), and `DenyObjectReadsOutsideVpcEndpoint` (or `DenyObjectReadsExceptExemptPrincipals`)
denies them to everyone but the exempt principals and the object readers. Never a write or a delete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from strongroom.components.policydocs.kms import ACCOUNT_RE, PARTITIONS, REGION_RE, root_arn

VPCE_RE = re.compile(r"^vpce-[0-9a-f]{8,17}$")
BUCKET_ARN_RE = re.compile(r"^arn:aws(-cn|-us-gov)?:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
KMS_KEY_ARN_RE = re.compile(r"^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]+$")

CONFIG_READ_ACTIONS: tuple[str, ...] = (
    "s3:GetBucketLogging",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    # The live audit's storage reader also finds the bucket (its tags and region) and reads its ACL and
    # website configuration (strongroom/live/readers/storage.py).
    "s3:GetBucketTagging",
    "s3:GetBucketLocation",
    "s3:GetBucketAcl",
    "s3:GetBucketWebsite",
)
"""Bucket-level configuration reads a configuration reader (the auditor) may make from outside the VPC:
what the live audit checks. Bucket-level only (no object, no listing), read-only."""

OBJECT_VERSION_READS: tuple[str, ...] = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
)
"""What may be read of one object version: its bytes, attributes and tags (CopyObject copies the tags)."""

OBJECT_READ_ACTIONS: tuple[str, ...] = ("s3:ListBucket", "s3:ListBucketVersions", *OBJECT_VERSION_READS)
"""Reads of objects and their versions an object reader (the recovery role) may make from outside the VPC:
what `strongroom vault restore` reads of a replica. Read-only: no write, no delete."""

BUILT_IN_SIDS = frozenset(
    {
        "DenyInsecureTransport",
        "DenyOutdatedTls",
        "DenyWrongEncryptionAlgorithm",
        "DenyWrongKmsKey",
        "DenyOutsideVpcEndpoint",
        "DenyExceptExemptPrincipals",
        "DenyConfigReadsOutsideVpcEndpoint",
        "DenyConfigReadsExceptExemptPrincipals",
        "DenyObjectReadsOutsideVpcEndpoint",
        "DenyObjectReadsExceptExemptPrincipals",
        "AllowS3ServerAccessLogDelivery",
    }
)


def _check_bucket_arn(bucket_arn: str) -> None:
    if not BUCKET_ARN_RE.match(bucket_arn):
        raise ValueError(f"bucket_arn: {bucket_arn!r} is not an S3 bucket ARN (arn:aws:s3:::name)")


def _check_key_arn(field: str, key_arn: str) -> None:
    if not KMS_KEY_ARN_RE.match(key_arn):
        raise ValueError(f"{field}: {key_arn!r} is not a KMS key ARN (arn:aws:kms:region:account:key/id)")


def bucket_policy(
    *,
    bucket_arn: str,
    account_id: str,
    partition: str = "aws",
    kms_key_arn: str | None,
    vpc_endpoint_ids: Sequence[str] = (),
    exempt_principal_arns: Sequence[str] = (),
    config_reader_principal_arns: Sequence[str] = (),
    object_reader_principal_arns: Sequence[str] = (),
    allow_log_delivery: bool = False,
    extra_statements: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The bucket policy document (see the module docstring for each statement)."""
    _check_bucket_arn(bucket_arn)
    if not ACCOUNT_RE.match(account_id):
        raise ValueError(f"account_id: {account_id!r} is not a 12-digit AWS account id")
    if partition not in PARTITIONS:
        raise ValueError(f"partition: {partition!r} is not one of {', '.join(PARTITIONS)}")
    if kms_key_arn is not None:
        _check_key_arn("kms_key_arn", kms_key_arn)
    for vpce in vpc_endpoint_ids:
        if not VPCE_RE.match(vpce):
            raise ValueError(f"vpc_endpoint_ids: {vpce!r} is not a VPC endpoint id (vpce-0123456789abcdef0)")
    for arn in exempt_principal_arns:
        if not arn.startswith(f"arn:{partition}:"):
            raise ValueError(f"exempt_principal_arns: {arn!r} is not an ARN in partition {partition}")
    for field, arns in (
        ("config_reader_principal_arns", config_reader_principal_arns),
        ("object_reader_principal_arns", object_reader_principal_arns),
    ):
        for arn in arns:
            if not re.match(rf"^arn:{re.escape(partition)}:iam::\d{{12}}:role/[\w+=,.@/-]+$", arn):
                raise ValueError(
                    f"{field}: {arn!r} is not an exact IAM role ARN in partition {partition} (no wildcard)"
                )
    resources = [bucket_arn, f"{bucket_arn}/*"]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ]
    if kms_key_arn is not None:
        statements += [
            {
                "Sid": "DenyWrongEncryptionAlgorithm",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {
                    "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                },
            },
            {
                "Sid": "DenyWrongKmsKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {
                    "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key_arn},
                    "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                },
            },
        ]
    exempt = sorted({root_arn(account_id, partition), *exempt_principal_arns})
    network_condition: dict[str, Any] = {
        "ArnNotLike": {"aws:PrincipalArn": exempt},
        "Bool": {"aws:PrincipalIsAWSService": "false"},
    }
    if vpc_endpoint_ids:
        network_condition["StringNotEquals"] = {"aws:SourceVpce": sorted(set(vpc_endpoint_ids))}
    network_deny: dict[str, Any] = {
        "Sid": "DenyOutsideVpcEndpoint" if vpc_endpoint_ids else "DenyExceptExemptPrincipals",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": resources,
        "Condition": network_condition,
    }
    statements.append(network_deny)
    readers = sorted(set(config_reader_principal_arns) - set(exempt))
    object_readers = sorted(set(object_reader_principal_arns) - set(exempt))
    if readers or object_readers:
        del network_deny["Action"]
        network_deny["NotAction"] = [
            *(CONFIG_READ_ACTIONS if readers else ()),
            *(OBJECT_READ_ACTIONS if object_readers else ()),
        ]
    if readers:
        statements.append(
            {
                "Sid": "DenyConfigReadsOutsideVpcEndpoint"
                if vpc_endpoint_ids
                else "DenyConfigReadsExceptExemptPrincipals",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(CONFIG_READ_ACTIONS),
                "Resource": bucket_arn,
                "Condition": {
                    **network_condition,
                    "ArnNotLike": {"aws:PrincipalArn": sorted({*exempt, *readers})},
                },
            }
        )
    if object_readers:
        statements.append(
            {
                "Sid": "DenyObjectReadsOutsideVpcEndpoint"
                if vpc_endpoint_ids
                else "DenyObjectReadsExceptExemptPrincipals",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(OBJECT_READ_ACTIONS),
                "Resource": resources,
                "Condition": {
                    **network_condition,
                    "ArnNotLike": {"aws:PrincipalArn": sorted({*exempt, *object_readers})},
                },
            }
        )
    if allow_log_delivery:
        statements.append(
            {
                "Sid": "AllowS3ServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    sids = {statement["Sid"] for statement in statements}
    for extra in extra_statements:
        sid = extra.get("Sid")
        if not sid or sid in sids:
            raise ValueError(f"extra_statements: statement Sid {sid!r} is missing or not unique")
        if extra.get("Effect") == "Allow" and extra.get("Principal") in ("*", {"AWS": "*"}):
            raise ValueError(f"extra_statements: statement {sid!r} allows a wildcard principal")
        sids.add(sid)
        statements.append(dict(extra))
    return {"Version": "2012-10-17", "Statement": statements}


def bucket_policy_json(**kwargs: Any) -> str:
    """`bucket_policy(**kwargs)` as JSON text (sorted keys)."""
    return json.dumps(bucket_policy(**kwargs), sort_keys=True)


def replication_trust_policy(account_id: str) -> dict[str, Any]:
    """Trust policy of the replication role: S3, acting for this account only."""
    if not ACCOUNT_RE.match(account_id):
        raise ValueError(f"account_id: {account_id!r} is not a 12-digit AWS account id")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ReplicationForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def replication_role_policy(
    *,
    pairs: Sequence[tuple[str, str]],
    source_key_arn: str,
    replica_key_arn: str,
    source_region: str,
    replica_region: str,
) -> dict[str, Any]:
    """Permissions of the replication role, scoped to exact bucket ARNs and the two keys.

    `pairs` are (source bucket ARN, replica bucket ARN). With S3 Bucket Keys the KMS encryption context is
    the bucket ARN, without them the object ARN, so both are allowed in the context condition.
    """
    if not pairs:
        raise ValueError("pairs: at least one (source, replica) bucket ARN pair is required")
    for source, replica in pairs:
        _check_bucket_arn(source)
        _check_bucket_arn(replica)
    _check_key_arn("source_key_arn", source_key_arn)
    _check_key_arn("replica_key_arn", replica_key_arn)
    for field, region in (("source_region", source_region), ("replica_region", replica_region)):
        if not REGION_RE.match(region):
            raise ValueError(f"{field}: {region!r} is not an AWS region name such as eu-west-2")
    sources = sorted(source for source, _ in pairs)
    replicas = sorted(replica for _, replica in pairs)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSourceConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": sources,
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectLegalHold",
                    "s3:GetObjectRetention",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionTagging",
                ],
                "Resource": [f"{source}/*" for source in sources],
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
                "Resource": [f"{replica}/*" for replica in replicas],
            },
            {
                "Sid": "DecryptSource",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": source_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{source_region}.amazonaws.com"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": [
                            arn for source in sources for arn in (source, f"{source}/*")
                        ]
                    },
                },
            },
            {
                "Sid": "EncryptReplicas",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": replica_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{replica_region}.amazonaws.com"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": [
                            arn for replica in replicas for arn in (replica, f"{replica}/*")
                        ]
                    },
                },
            },
        ],
    }


def backup_replication_role_policy(
    *,
    sources: Sequence[tuple[str, str]],
    destinations: Sequence[tuple[str, str, str]],
    source_region: str,
) -> dict[str, Any]:
    """Permissions of the role that replicates the data and model buckets into the backup vault.

    `sources` are (source bucket ARN, its KMS key ARN), all in `source_region`; `destinations` are
    (destination bucket ARN, its KMS key ARN, its region): the Object Lock backup buckets and, with a
    replica region, their replicas there. Exact ARNs only. Delete markers are not replicated, so there is no
    `s3:ReplicateDelete`; the retention and legal-hold reads are what S3 needs to replicate into an Object
    Lock bucket. Each source key decrypts only through S3 in the source region, for its own buckets
    (`kms:EncryptionContext:aws:s3:arn`: the bucket ARN with S3 Bucket Keys, the object ARN without); each
    destination key encrypts only through S3 in its region, for its own buckets.
    """
    if not sources:
        raise ValueError("sources: at least one (bucket ARN, key ARN) source is required")
    if not destinations:
        raise ValueError("destinations: at least one (bucket ARN, key ARN, region) destination is required")
    if not REGION_RE.match(source_region):
        raise ValueError(f"source_region: {source_region!r} is not an AWS region name such as eu-west-2")
    source_arns = {b for b, _ in sources}
    for bucket_arn, key_arn in sources:
        _check_bucket_arn(bucket_arn)
        _check_key_arn("sources", key_arn)
    for bucket_arn, key_arn, region in destinations:
        _check_bucket_arn(bucket_arn)
        _check_key_arn("destinations", key_arn)
        if not REGION_RE.match(region):
            raise ValueError(f"destinations: {region!r} is not an AWS region name such as eu-west-1")
        if bucket_arn in source_arns:
            raise ValueError(f"destinations: {bucket_arn!r} is also a source; a bucket cannot back itself up")
    buckets = sorted(source_arns)
    targets = sorted({b for b, _, _ in destinations})
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadSourceConfiguration",
            "Effect": "Allow",
            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            "Resource": buckets,
        },
        {
            "Sid": "ReadSourceVersions",
            "Effect": "Allow",
            "Action": [
                "s3:GetObjectLegalHold",
                "s3:GetObjectRetention",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionTagging",
            ],
            "Resource": [f"{bucket}/*" for bucket in buckets],
        },
        {
            "Sid": "WriteBackups",
            "Effect": "Allow",
            "Action": ["s3:ReplicateObject", "s3:ReplicateTags"],
            "Resource": [f"{target}/*" for target in targets],
        },
    ]
    by_source_key: dict[str, set[str]] = {}
    for bucket_arn, key_arn in sources:
        by_source_key.setdefault(key_arn, set()).add(bucket_arn)
    for i, (key_arn, arns) in enumerate(sorted(by_source_key.items())):
        statements.append(
            {
                "Sid": f"DecryptSources{i}",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{source_region}.amazonaws.com"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": [
                            arn for bucket in sorted(arns) for arn in (bucket, f"{bucket}/*")
                        ]
                    },
                },
            }
        )
    by_destination_key: dict[tuple[str, str], set[str]] = {}
    for bucket_arn, key_arn, region in destinations:
        by_destination_key.setdefault((key_arn, region), set()).add(bucket_arn)
    for i, ((key_arn, region), arns) in enumerate(sorted(by_destination_key.items())):
        statements.append(
            {
                "Sid": f"EncryptBackups{i}",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": [
                            arn for bucket in sorted(arns) for arn in (bucket, f"{bucket}/*")
                        ]
                    },
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
