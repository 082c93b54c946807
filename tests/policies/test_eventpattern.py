"""policies.eventpattern: EventBridge matching semantics the alert controls rely on."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.policies.eventpattern import UnsupportedPattern, matches

EVENT: dict[str, Any] = {
    "source": "aws.ec2",
    "detail-type": "AWS API Call via CloudTrail",
    "detail": {
        "eventName": "CreateRoute",
        "readOnly": False,
        "count": 5,
        "sourceIPAddress": "10.1.2.3",
        "requestParameters": {"destinationCidrBlock": "0.0.0.0/1", "routeTableId": "rtb-1"},
        "resources": [{"ARN": "arn:aws:ec2:eu-west-2:1:route-table/rtb-1"}, {"ARN": "arn:x"}],
        "tags": ["a", "b"],
    },
}


@pytest.mark.parametrize(
    "pattern",
    [
        {"source": ["aws.ec2"]},
        {"source": ["aws.s3", "aws.ec2"]},
        {"detail": {"eventName": [{"prefix": "Create"}]}},
        {"detail": {"eventName": [{"suffix": "Route"}]}},
        {"detail": {"eventName": [{"equals-ignore-case": "createroute"}]}},
        {"detail": {"eventName": [{"prefix": {"equals-ignore-case": "create"}}]}},
        {"detail": {"eventName": [{"wildcard": "Create*e"}]}},
        {"detail": {"eventName": [{"anything-but": "DeleteRoute"}]}},
        {"detail": {"eventName": [{"anything-but": {"prefix": "Delete"}}]}},
        {"detail": {"readOnly": [False]}},
        {"detail": {"count": [{"numeric": [">", 1, "<=", 5]}]}},
        {"detail": {"count": [5]}},
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/8"}]}},
        {"detail": {"errorCode": [{"exists": False}]}},
        {"detail": {"requestParameters": {"routeTableId": [{"exists": True}]}}},
        {"detail": {"resources": {"ARN": [{"prefix": "arn:aws:ec2:"}]}}},
        {"detail": {"tags": ["b"]}},
        {"detail": {"$or": [{"eventName": ["X"]}, {"requestParameters": {"routeTableId": ["rtb-1"]}}]}},
    ],
)
def test_matches(pattern: dict[str, Any]) -> None:
    assert matches(pattern, EVENT)


@pytest.mark.parametrize(
    "pattern",
    [
        {"source": ["aws.s3"]},
        {"source": ["AWS.EC2"]},
        {"detail": {"eventName": [{"prefix": "create"}]}},
        {"detail": {"requestParameters": {"destinationCidrBlock": ["0.0.0.0/0"]}}},
        {"detail": {"readOnly": ["false"]}},
        {"detail": {"count": ["5"]}},
        {"detail": {"count": [{"numeric": [">", 5]}]}},
        {"detail": {"sourceIPAddress": [{"cidr": "192.168.0.0/16"}]}},
        {"detail": {"eventName": [{"exists": False}]}},
        {"detail": {"missing": [{"anything-but": "x"}]}},
        {"detail": {"eventName": [{"anything-but": ["CreateRoute", "ReplaceRoute"]}]}},
        {"detail": {"resources": {"ARN": [{"prefix": "arn:aws:s3:"}]}}},
        {"detail": {"$or": [{"eventName": ["X"]}, {"requestParameters": {"routeTableId": ["rtb-2"]}}]}},
        {"detail": {"requestParameters": ["rtb-1"]}},
    ],
)
def test_does_not_match(pattern: dict[str, Any]) -> None:
    assert not matches(pattern, EVENT)


@pytest.mark.parametrize(
    "pattern",
    [
        "{not json",
        "[1]",
        {"detail": {"eventName": [{"new-operator": "x"}]}},
        {"detail": {"eventName": [{"prefix": "a", "suffix": "b"}]}},
        {"detail": {"$or": []}},
        {"detail": {"eventName": "CreateRoute"}},
        {"detail": {"count": [{"numeric": ["~", 1]}]}},
    ],
)
def test_unsupported_patterns_raise_never_guess(pattern: Any) -> None:
    with pytest.raises(UnsupportedPattern):
        matches(pattern, EVENT)
