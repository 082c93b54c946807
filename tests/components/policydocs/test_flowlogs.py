"""components.policydocs.flowlogs: the flow-log delivery role's trust and permissions policies."""

from __future__ import annotations

import json

import pytest

from strongroom.components.policydocs.flowlogs import flow_log_assume_role_policy, flow_log_delivery_policy

ACCOUNT = "123456789012"
GROUP = f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:dev-net-flow-logs-1a2b3c4"


def test_trust_is_flow_logs_of_this_account_only() -> None:
    (statement,) = json.loads(flow_log_assume_role_policy(ACCOUNT))["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:*:{ACCOUNT}:vpc-flow-log/*"},
    }


def test_trust_refuses_a_bad_account() -> None:
    with pytest.raises(ValueError, match="12-digit"):
        flow_log_assume_role_policy("not-an-account")


def test_delivery_is_scoped_to_one_group_and_its_streams() -> None:
    (statement,) = json.loads(flow_log_delivery_policy(GROUP))["Statement"]
    assert statement["Resource"] == [GROUP, f"{GROUP}:*"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]


def test_delivery_accepts_the_api_style_arn_with_stream_suffix() -> None:
    assert flow_log_delivery_policy(f"{GROUP}:*") == flow_log_delivery_policy(GROUP)


@pytest.mark.parametrize(
    "arn",
    [
        "*",
        f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:*",
        f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:a*",
        "arn:aws:s3:::bucket",
        "",
    ],
)
def test_delivery_refuses_anything_but_one_group(arn: str) -> None:
    with pytest.raises(ValueError, match="is not a CloudWatch Logs group ARN"):
        flow_log_delivery_policy(arn)
