"""Pure IAM documents for VPC flow log delivery to CloudWatch Logs (no Pulumi import)."""

from __future__ import annotations

import json
import re

FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
VERSION = "2012-10-17"

_ACCOUNT = re.compile(r"^\d{12}$")
_LOG_GROUP_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:logs:[a-z0-9-]+:\d{12}:log-group:[^*:]+$")


def flow_log_assume_role_policy(account_id: str, partition: str = "aws") -> str:
    """Trust policy: only VPC Flow Logs, acting for flow logs of ``account_id``, may assume the role.

    ``aws:SourceAccount`` and ``aws:SourceArn`` stop the service being used as a confused deputy by
    flow logs of another account.
    """
    if not _ACCOUNT.match(account_id):
        raise ValueError(f"account id {account_id!r} is not a 12-digit AWS account id")
    document = {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "VpcFlowLogsOfThisAccountOnly",
                "Effect": "Allow",
                "Principal": {"Service": FLOW_LOGS_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:*:{account_id}:vpc-flow-log/*"},
                },
            }
        ],
    }
    return json.dumps(document, sort_keys=True)


def flow_log_delivery_policy(log_group_arn: str) -> str:
    """Permissions policy: write flow log streams and events into one log group, nothing else.

    ``log_group_arn`` is the group's ARN (pulumi-aws returns it without the trailing ``:*``; a ``:*``
    suffix is accepted and dropped); the policy covers the group and its streams. The program creates the
    group, so the role needs no ``logs:CreateLogGroup`` and no ``DescribeLogGroups`` on ``*``.
    """
    log_group_arn = log_group_arn.removesuffix(":*")
    if not _LOG_GROUP_ARN.match(log_group_arn):
        raise ValueError(
            f"log group ARN {log_group_arn!r} is not a CloudWatch Logs group ARN such as "
            "'arn:aws:logs:eu-west-2:123456789012:log-group:/vpc/flow-logs' (no wildcard)"
        )
    document = {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "WriteFlowLogsToOneGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            }
        ],
    }
    return json.dumps(document, sort_keys=True)
