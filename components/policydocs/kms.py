"""KMS key policies, built from plain strings (no Pulumi import).

Every statement names its principal: the account root (delegation to IAM), optional named administrators
and users, and AWS service principals. No Allow statement has a wildcard principal (the signing key's
explicit Deny of kms:Sign to all but its signers does). Each service grant is scoped
to this account with a condition (`aws:SourceAccount`, or the encryption context that carries the
account).

The account root does not get `kms:*` (AWS's default key policy). Its delegation to IAM is split in three
statements, each with `kms:CallerAccount` = the key's account:

- administration (`ADMIN_ACTIONS`: describe, enable/disable, rotation, aliases, tags, key policy,
  deletion, list and revoke grants): in-account principals only;
- use (`USER_ACTIONS`): only through the services that own the key's data (`kms:ViaService`, e.g.
  S3 and SageMaker for the data key), never a direct Decrypt call;
- `kms:CreateGrant`: only when an AWS service creates the grant for an AWS resource
  (`kms:GrantIsForAWSResource`, e.g. SageMaker for a volume) and through those services.

Named administrators get `ADMIN_ACTIONS` only, never `kms:CreateGrant` (a grant is a way to use the
key), and must be principals of the key's own account: KMS administration calls only work in-account,
while `kms:CreateGrant` works across accounts, so a cross-account "administrator" could only have
granted itself use. `key_policy` refuses such principals. Service principals (CloudWatch Logs,
CloudTrail, S3 log delivery, EventBridge, CloudWatch, SNS) keep their own statements: `kms:CallerAccount`
and `kms:ViaService` do not apply to them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

ACCOUNT_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

#: Service grants a key may carry, by short name. `s3-logging` is S3 server access log delivery.
SERVICE_GRANTS = ("logs", "cloudtrail", "s3-logging", "events", "cloudwatch", "sns", "config")

#: Services through which principals may use a key (`kms:ViaService`). SageMaker encrypts Studio's EFS
#: volume (`elasticfilesystem`) and ML volumes (EBS, `ec2`) with the key it is given.
VIA_SERVICES = ("s3", "sagemaker", "logs", "sns", "secretsmanager", "ssm", "elasticfilesystem", "ec2")

#: Administration of one key, named action by action (no wildcard: `kms:Create*` would include
#: `kms:CreateGrant`). ListGrants and RevokeGrant only show or remove use, never add it.
ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)

USER_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)

ENCRYPT_DECRYPT_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def account_of(arn: str) -> str | None:
    """The account of an IAM principal ARN (`arn:aws:iam::123456789012:role/x` -> `123456789012`)."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and ACCOUNT_RE.match(parts[4]) else None


def _check(account_id: str, partition: str, region: str) -> None:
    if not ACCOUNT_RE.match(account_id):
        raise ValueError(f"account_id: {account_id!r} is not a 12-digit AWS account id")
    if partition not in PARTITIONS:
        raise ValueError(f"partition: {partition!r} is not one of {', '.join(PARTITIONS)}")
    if not REGION_RE.match(region):
        raise ValueError(f"region: {region!r} is not an AWS region name such as eu-west-2")


def root_arn(account_id: str, partition: str = "aws") -> str:
    """The ARN of the account's root principal (`arn:aws:iam::123456789012:root`)."""
    return f"arn:{partition}:iam::{account_id}:root"


def _service_statements(service: str, account_id: str, partition: str, region: str) -> list[dict[str, Any]]:
    source_account = {"StringEquals": {"aws:SourceAccount": account_id}}
    if service == "logs":
        return [
            {
                "Sid": "AllowCloudWatchLogs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                        )
                    }
                },
            }
        ]
    if service == "cloudtrail":
        return [
            {
                "Sid": "AllowCloudTrailEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"
                        )
                    },
                },
            },
            {
                "Sid": "AllowCloudTrailDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": source_account,
            },
        ]
    principals = {
        "s3-logging": ("AllowS3ServerAccessLogDelivery", "logging.s3.amazonaws.com"),
        "events": ("AllowEventBridge", "events.amazonaws.com"),
        "cloudwatch": ("AllowCloudWatchAlarms", "cloudwatch.amazonaws.com"),
        "sns": ("AllowSns", "sns.amazonaws.com"),
        "config": ("AllowAwsConfigDelivery", "config.amazonaws.com"),
    }
    if service not in principals:
        raise ValueError(f"services: {service!r} is not one of {', '.join(SERVICE_GRANTS)}")
    sid, principal = principals[service]
    return [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": principal},
            "Action": list(ENCRYPT_DECRYPT_ACTIONS),
            "Resource": "*",
            "Condition": source_account,
        }
    ]


def key_policy(
    *,
    account_id: str,
    partition: str,
    region: str,
    admin_arns: Sequence[str] = (),
    user_arns: Sequence[str] = (),
    via_services: Sequence[str] = ("s3",),
    services: Sequence[str] = (),
    account_via_services: Sequence[str] = ("s3",),
) -> dict[str, Any]:
    """The key policy document for one customer-managed key.

    `admin_arns` may administer (not use, not grant) the key; `user_arns` may use it only through
    `via_services`; principals of the account (by IAM policy) may use it and let an AWS service create
    grants for AWS resources only through `account_via_services`. Every principal statement requires
    `kms:CallerAccount` = `account_id`, and `admin_arns` / `user_arns` must be principals of `account_id`.
    `services` are short names from `SERVICE_GRANTS`.
    """
    _check(account_id, partition, region)
    for label, arns in (("admin_arns", admin_arns), ("user_arns", user_arns)):
        for arn in arns:
            if not arn.startswith(f"arn:{partition}:iam::") or "*" in arn:
                raise ValueError(f"principal {arn!r} is not an IAM principal ARN without wildcards")
            if account_of(arn) != account_id:
                raise ValueError(
                    f"{label}: {arn!r} is in account {account_of(arn)}, not the key's account {account_id}; "
                    "KMS administration works only in-account while kms:CreateGrant works across accounts, "
                    f"so only principals of account {account_id} are accepted"
                )
    for field_name, vias in (("via_services", via_services), ("account_via_services", account_via_services)):
        for via in vias:
            if via not in VIA_SERVICES:
                raise ValueError(f"{field_name}: {via!r} is not one of {', '.join(VIA_SERVICES)}")
    if not account_via_services:
        raise ValueError("account_via_services: at least one service that owns the key's data is required")
    if len(set(services)) != len(services):
        raise ValueError(f"services: {list(services)!r} has duplicates")
    root = {"AWS": root_arn(account_id, partition)}
    in_account = {"kms:CallerAccount": account_id}
    through = sorted({f"{via}.{region}.amazonaws.com" for via in account_via_services})
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersInAccount",
            "Effect": "Allow",
            "Principal": root,
            "Action": list(ADMIN_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": dict(in_account)},
        },
        {
            "Sid": "AccountUsesThroughServices",
            "Effect": "Allow",
            "Principal": root,
            "Action": list(USER_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {**in_account, "kms:ViaService": through}},
        },
        {
            "Sid": "AccountGrantsForAwsResources",
            "Effect": "Allow",
            "Principal": root,
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {
                "StringEquals": {**in_account, "kms:ViaService": through},
                "Bool": {"kms:GrantIsForAWSResource": "true"},
            },
        },
    ]
    if admin_arns:
        statements.append(
            {
                "Sid": "KeyAdministrators",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(set(admin_arns))},
                "Action": list(ADMIN_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": dict(in_account)},
            }
        )
    if user_arns:
        statements.append(
            {
                "Sid": "KeyUsersThroughServices",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(set(user_arns))},
                "Action": list(USER_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        **in_account,
                        "kms:ViaService": [f"{via}.{region}.amazonaws.com" for via in via_services],
                    }
                },
            }
        )
    for service in services:
        statements.extend(_service_statements(service, account_id, partition, region))
    return {"Version": "2012-10-17", "Statement": statements}


def key_policy_json(**kwargs: Any) -> str:
    """`key_policy(**kwargs)` as JSON text (sorted keys, stable across runs)."""
    return json.dumps(key_policy(**kwargs), sort_keys=True)


#: What every principal of the account may do with the signing key (by IAM policy): check a signature and
#: read the public key. Sign is for the signers only.
VERIFY_ACTIONS = ("kms:DescribeKey", "kms:GetPublicKey", "kms:Verify")
SIGN_ACTIONS = ("kms:Sign",)


def signing_key_policy(
    *,
    account_id: str,
    partition: str,
    region: str,
    signer_arns: Sequence[str],
    admin_arns: Sequence[str] = (),
) -> dict[str, Any]:
    """The key policy of an asymmetric SIGN_VERIFY key (manifest signatures).

    Administration as `key_policy` (account root and `admin_arns`, in-account). The account's principals
    may verify and read the public key (`VERIFY_ACTIONS`) and sign, each by their own IAM policy; KMS
    signs directly (no service owns a signature, so no `kms:ViaService`). An explicit Deny refuses
    `kms:Sign` to every principal whose `aws:PrincipalArn` is not one of `signer_arns` (exact role ARNs
    or ARN patterns ending in `*`: the signer roles are created after the key, with generated names).
    """
    _check(account_id, partition, region)
    if not signer_arns:
        raise ValueError("signer_arns: at least one signer role ARN (or ARN pattern) is required")
    for arn in signer_arns:
        if not arn.startswith(f"arn:{partition}:iam::{account_id}:role/") or "*" in arn[:-1]:
            raise ValueError(
                f"signer_arns: {arn!r} is not a role ARN of account {account_id} (a single trailing '*' "
                "is allowed)"
            )
    base = key_policy(
        account_id=account_id,
        partition=partition,
        region=region,
        admin_arns=admin_arns,
        account_via_services=("s3",),
    )
    administration = [
        s for s in base["Statement"] if s["Sid"] in ("AccountAdministersInAccount", "KeyAdministrators")
    ]
    root = {"AWS": root_arn(account_id, partition)}
    in_account = {"kms:CallerAccount": account_id}
    signers = sorted(set(signer_arns))
    statements: list[dict[str, Any]] = [
        *administration,
        {
            "Sid": "AccountVerifies",
            "Effect": "Allow",
            "Principal": root,
            "Action": list(VERIFY_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": dict(in_account)},
        },
        {
            "Sid": "SignersSign",
            "Effect": "Allow",
            "Principal": root,
            "Action": list(SIGN_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": dict(in_account), "ArnLike": {"aws:PrincipalArn": signers}},
        },
        {
            "Sid": "NoOtherSigners",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": list(SIGN_ACTIONS),
            "Resource": "*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": signers}},
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def signing_key_policy_json(**kwargs: Any) -> str:
    """`signing_key_policy(**kwargs)` as JSON text (sorted keys)."""
    return json.dumps(signing_key_policy(**kwargs), sort_keys=True)
