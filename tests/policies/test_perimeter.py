"""policies.perimeter on its own: accounts, the condition keys and operators that confine a statement,
service principals (the confused deputy), and VPCs and endpoints of the plan versus any well-formed ID."""

from __future__ import annotations

from typing import Any

import pytest
from controls_support import res

from strongroom.policies.perimeter import (
    VPC,
    VPC_ENDPOINT,
    CannotJudge,
    PlanNetwork,
    account_of,
    exposure,
    inside,
    limited_to_perimeter,
    plan_network,
    service_confined,
)
from strongroom.policies.props import UNKNOWN_SENTINELS, Context, Index

IN = "123456789012"
OUT = "999999999999"
ORG = "o-nb7k2x9q4m"
PERIMETER = Context(trusted_accounts=frozenset({IN}), organization_id=ORG)
NETWORK = PlanNetwork(
    vpcs=frozenset({"vpc-0a1b2c3d4e5f60718"}), endpoints=frozenset({"vpce-0c5f4eccfa0c1c16b"})
)
STAR = (
    "allows principal '*' with no condition confining callers to the perimeter "
    "(aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceVpce, ... with StringEquals)"
)


def service(name: str) -> str:
    return (
        f"allows service principal '{name}' with no condition confining the resource it acts for to the "
        "perimeter (aws:SourceAccount, aws:SourceOrgID or aws:SourceArn with StringEquals or ArnLike), so it "
        "acts for any account (confused deputy)"
    )


def allow(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}
    return statement | ({"Condition": condition} if condition is not None else {})


# -- accounts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "account"),
    [
        (IN, IN),
        (f"arn:aws:iam::{IN}:root", IN),
        (f"arn:aws:iam::{IN}:role/x", IN),
        ("arn:aws:iam::*:root", "*"),
        ("arn:aws:iam::12345678901?:root", "*"),
        ("*", "*"),
        ("arn:aws:s3:::bucket", None),
        ("cloudtrail.amazonaws.com", None),
        (None, None),
    ],
)
def test_account_of_reads_the_account_an_arn_or_id_names(value: Any, account: str | None) -> None:
    assert account_of(value) == account


def test_inside_without_a_perimeter_can_not_be_judged() -> None:
    with pytest.raises(CannotJudge, match="no perimeter is configured"):
        inside(Context(), IN)
    assert inside(PERIMETER, IN) and not inside(PERIMETER, OUT)


# -- confinement of callers: keys and operators ------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:PrincipalAccount": IN}},
        {"StringEquals": {"aws:SourceAccount": [IN]}},
        {"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": ORG}},
        {"StringEquals": {"aws:SourceOrgID": ORG}},
        {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{IN}:role/reader"}},
        {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{IN}:role/*"}},
        {"StringLike": {"aws:SourceArn": f"arn:aws:cloudtrail:*:{IN}:trail/*"}},
        {"ForAnyValue:StringEquals": {"aws:PrincipalAccount": IN}},
        {"StringEquals": {"kms:CallerAccount": IN}},
        {"StringEquals": {"aws:SourceVpce": "vpce-0c5f4eccfa0c1c16b"}},
        {"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f60718"}},
        {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:PrincipalAccount": IN}},
    ],
)
def test_an_exact_condition_inside_the_perimeter_confines_principal_star(condition: dict[str, Any]) -> None:
    statement = allow("*", condition)
    assert limited_to_perimeter(PERIMETER, statement, NETWORK)
    assert list(exposure(PERIMETER, statement, NETWORK)) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEqualsIfExists": {"aws:PrincipalAccount": IN}},
        {"ArnLikeIfExists": {"aws:SourceArn": f"arn:aws:events:eu-west-2:{IN}:rule/*"}},
        {"ForAllValues:StringEquals": {"aws:PrincipalAccount": IN}},
        {"StringNotEquals": {"aws:PrincipalAccount": OUT}},
        {"StringLike": {"aws:PrincipalAccount": "*"}},
        {"StringEquals": {"aws:PrincipalAccount": [IN, OUT]}},
        {"StringEquals": {"aws:PrincipalAccount": []}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-someoneelse1"}},
        {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{IN}:role/*"}},
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/reader"}},
        {"StringEquals": {"aws:SecureTransport": "true"}},
        {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-2:{IN}:log-group:x"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-0badc0ffee0badc0f"}},
        {"StringEquals": {"aws:SourceVpc": "vpc-0fedcba9876543210"}},
        {"StringEquals": {"aws:PrincipalAccount": next(iter(UNKNOWN_SENTINELS))}},
    ],
)
def test_conditions_an_outsider_can_satisfy_confine_nothing(condition: dict[str, Any]) -> None:
    statement = allow("*", condition)
    assert not limited_to_perimeter(PERIMETER, statement, NETWORK)
    assert list(exposure(PERIMETER, statement, NETWORK)) == [STAR]


def test_an_endpoint_or_vpc_confines_only_when_it_is_one_of_the_plan() -> None:
    by_endpoint = allow("*", {"StringEquals": {"aws:SourceVpce": "vpce-0c5f4eccfa0c1c16b"}})
    by_vpc = allow("*", {"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f60718"}})
    for statement in (by_endpoint, by_vpc):
        assert limited_to_perimeter(PERIMETER, statement, NETWORK)
        assert not limited_to_perimeter(PERIMETER, statement)  # without the plan, no endpoint is known
        assert not limited_to_perimeter(PERIMETER, statement, PlanNetwork())


def test_plan_network_holds_the_known_ids_of_the_plans_vpcs_and_endpoints() -> None:
    index = Index(
        [
            res(VPC, "vpc", id="vpc-0a1b2c3d4e5f60718"),
            res(VPC_ENDPOINT, "s3", id="vpce-0c5f4eccfa0c1c16b"),
            res(VPC_ENDPOINT, "new", id=next(iter(UNKNOWN_SENTINELS))),
            res("aws:ec2/subnet:Subnet", "subnet", id="subnet-1"),
        ]
    )
    assert plan_network(index) == NETWORK
    assert plan_network(Index([])) == PlanNetwork()


# -- principals --------------------------------------------------------------------------------------------


def test_principals_are_judged_by_account() -> None:
    assert list(exposure(PERIMETER, allow({"AWS": f"arn:aws:iam::{IN}:role/x"}))) == []
    assert list(exposure(PERIMETER, allow({"AWS": f"arn:aws:iam::{OUT}:root"}))) == [
        f"allows principal 'arn:aws:iam::{OUT}:root' of account {OUT}, outside the perimeter"
    ]
    assert list(exposure(PERIMETER, allow({"CanonicalUser": "79a59df9"}))) == [
        "allows canonical user 79a59df9, whose account cannot be judged"
    ]
    not_principal = {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{IN}:root"}, "Action": "*"}
    assert list(exposure(PERIMETER, not_principal)) == [
        "allows NotPrincipal, i.e. every principal but the ones named"
    ]
    assert list(exposure(PERIMETER, {"Effect": "Deny", "Principal": "*", "Action": "*"})) == []


# -- service principals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": IN}},
        {"StringEquals": {"aws:SourceOrgID": ORG}},
        {"ArnEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:eu-west-2:{IN}:trail/audit"}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:events:eu-west-2:{IN}:rule/*"}},
        {"StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:eu-west-2:{IN}:trail/audit"}},
        {"StringLike": {"aws:SourceArn": f"arn:aws:events:eu-west-2:{IN}:rule/*"}},
        {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-2:{IN}:log-group:*"}},
        {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{IN}:trail/*"}},
        {"StringEquals": {"kms:CallerAccount": IN, "kms:ViaService": "sns.eu-west-2.amazonaws.com"}},
    ],
)
def test_a_service_principal_confined_to_resources_of_the_perimeter_passes(condition: dict[str, Any]) -> None:
    statement = allow({"Service": "cloudtrail.amazonaws.com"}, condition)
    assert service_confined(PERIMETER, statement)
    assert list(exposure(PERIMETER, statement)) == []


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"Bool": {"aws:SecureTransport": "true"}},
        {"StringEquals": {"aws:SourceAccount": OUT}},
        {"StringEqualsIfExists": {"aws:SourceAccount": IN}},
        {"ForAllValues:StringEquals": {"aws:SourceAccount": IN}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:events:eu-west-2:*:rule/*"}},
        {"ArnEquals": {"aws:SourceArn": f"arn:aws:events:eu-west-2:{IN}:rule/*"}},
        {"StringEquals": {"aws:PrincipalAccount": IN}},
        {"StringEquals": {"aws:PrincipalOrgID": ORG}},
        {"StringEquals": {"aws:SourceVpce": "vpce-0c5f4eccfa0c1c16b"}},
        {"StringEquals": {"kms:ViaService": "sns.eu-west-2.amazonaws.com"}},
        {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-2:{OUT}:log-group:*"}},
        {"ArnLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::bucket"}},
    ],
)
def test_a_service_principal_without_a_confining_condition_acts_for_any_account(
    condition: dict[str, Any] | None,
) -> None:
    statement = allow({"Service": ["events.amazonaws.com"]}, condition)
    assert not service_confined(PERIMETER, statement, NETWORK)
    assert list(exposure(PERIMETER, statement, NETWORK)) == [service("events.amazonaws.com")]


def test_every_service_principal_of_a_statement_is_named() -> None:
    statement = allow({"Service": ["logging.s3.amazonaws.com", "delivery.logs.amazonaws.com"]})
    assert list(exposure(PERIMETER, statement)) == [
        service("logging.s3.amazonaws.com"),
        service("delivery.logs.amazonaws.com"),
    ]


def test_an_encryption_context_confines_a_service_not_principal_star() -> None:
    """A caller of KMS may pass any encryption context: only the service that sets it is confined."""
    condition = {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-2:{IN}:log-group:*"}
    }
    assert service_confined(PERIMETER, allow({"Service": "logs.eu-west-2.amazonaws.com"}, condition))
    assert not limited_to_perimeter(PERIMETER, allow("*", condition))
