"""KMS key policies, built from plain strings (no Pulumi import).

Every statement names its principal: the account root (administration, delegated to IAM, which keeps the
key manageable and is AWS's default key policy), optional named administrators and users, and AWS service
principals. No statement has a wildcard principal. Each service grant is scoped to this account with a
condition (`aws:SourceAccount`, or the encryption context that carries the account, or `kms:CallerAccount`
with `kms:ViaService` for named users).
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

#: Services through which named key users may use a key (`kms:ViaService`).
VIA_SERVICES = ("s3", "sagemaker", "logs", "sns", "secretsmanager", "ssm")

ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
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
) -> dict[str, Any]:
    """The key policy document for one customer-managed key.

    `admin_arns` may administer (not use) the key; `user_arns` may use it only through `via_services`
    in this region and account; `services` are short names from `SERVICE_GRANTS`.
    """
    _check(account_id, partition, region)
    for arn in (*admin_arns, *user_arns):
        if not arn.startswith(f"arn:{partition}:iam::") or "*" in arn:
            raise ValueError(f"principal {arn!r} is not an IAM principal ARN without wildcards")
    for via in via_services:
        if via not in VIA_SERVICES:
            raise ValueError(f"via_services: {via!r} is not one of {', '.join(VIA_SERVICES)}")
    if len(set(services)) != len(services):
        raise ValueError(f"services: {list(services)!r} has duplicates")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountRootAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": root_arn(account_id, partition)},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if admin_arns:
        statements.append(
            {
                "Sid": "KeyAdministrators",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(set(admin_arns))},
                "Action": list(ADMIN_ACTIONS),
                "Resource": "*",
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
                        "kms:CallerAccount": account_id,
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
