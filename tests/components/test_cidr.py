"""components.cidr: subnet planning (property-based) and the private subnets' network ACL rules."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.components.cidr import (
    MAX_AZ_COUNT,
    MAX_NACL_RULES,
    default_subnet_prefix,
    parse_vpc_cidr,
    plan_subnets,
    private_nacl_rules,
)

PRIVATE_BASES = [ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


@st.composite
def vpc_and_count(draw: st.DrawFn) -> tuple[str, int]:
    """A canonical private VPC CIDR from /16 to /28 and an AZ count its default split can hold."""
    base = draw(st.sampled_from(PRIVATE_BASES))
    prefix = draw(st.integers(min_value=max(16, base.prefixlen), max_value=27))
    slots = 2 ** (prefix - base.prefixlen)
    index = draw(st.integers(min_value=0, max_value=slots - 1))
    network = _nth(base, prefix, index)
    max_count = min(MAX_AZ_COUNT, 2 ** (28 - prefix))
    count = draw(st.integers(min_value=1, max_value=max_count))
    return str(network), count


def _nth(base: ipaddress.IPv4Network, prefix: int, index: int) -> ipaddress.IPv4Network:
    size = 2 ** (32 - prefix)
    return ipaddress.IPv4Network((int(base.network_address) + index * size, prefix))


@given(vpc_and_count())
def test_subnets_never_overlap(case: tuple[str, int]) -> None:
    vpc, count = case
    subnets = [ipaddress.IPv4Network(s) for s in plan_subnets(vpc, count)]
    for i, left in enumerate(subnets):
        for right in subnets[i + 1 :]:
            assert not left.overlaps(right), f"{vpc} x{count}: {left} overlaps {right}"


@given(vpc_and_count())
def test_subnets_lie_within_the_vpc_one_per_zone(case: tuple[str, int]) -> None:
    vpc, count = case
    network = ipaddress.IPv4Network(vpc)
    subnets = [ipaddress.IPv4Network(s) for s in plan_subnets(vpc, count)]
    assert len(subnets) == count
    assert all(s.subnet_of(network) for s in subnets), f"{vpc} x{count}: {subnets}"
    assert all(s.prefixlen <= 28 for s in subnets), f"{vpc} x{count}: {subnets}"


@given(vpc_and_count())
def test_planning_is_deterministic_and_equal_sized(case: tuple[str, int]) -> None:
    vpc, count = case
    first = plan_subnets(vpc, count)
    assert first == plan_subnets(vpc, count)
    assert len({ipaddress.IPv4Network(s).prefixlen for s in first}) == 1


@given(vpc_and_count(), st.integers(min_value=0, max_value=4))
def test_explicit_prefix_is_honoured_or_refused(case: tuple[str, int], extra: int) -> None:
    vpc, count = case
    prefix = default_subnet_prefix(ipaddress.IPv4Network(vpc).prefixlen, count) + extra
    if prefix > 28:
        with pytest.raises(ValueError, match="subnet prefix"):
            plan_subnets(vpc, count, prefix)
    else:
        assert {ipaddress.IPv4Network(s).prefixlen for s in plan_subnets(vpc, count, prefix)} == {prefix}


def test_default_split_leaves_room_to_grow() -> None:
    assert plan_subnets("10.20.0.0/16", 1) == ["10.20.0.0/17"]
    assert plan_subnets("10.20.0.0/16", 2) == ["10.20.0.0/17", "10.20.128.0/17"]
    assert plan_subnets("10.20.0.0/16", 3) == ["10.20.0.0/18", "10.20.64.0/18", "10.20.128.0/18"]
    assert plan_subnets("192.168.4.0/24", 2, 26) == ["192.168.4.0/26", "192.168.4.64/26"]


@pytest.mark.parametrize(
    ("vpc", "count", "prefix", "fragment"),
    [
        ("", 2, None, "is empty"),
        ("10.0.0.0", 2, None, "no prefix length"),
        ("10.0.0.300/16", 2, None, "not IPv4"),
        ("10.0.1.0/16", 2, None, "canonical"),
        ("fd00::/56", 2, None, "not IPv4"),
        ("10.0.0.0/15", 2, None, "AWS accepts /16 to /28"),
        ("10.0.0.0/29", 1, None, "AWS accepts /16 to /28"),
        ("100.64.0.0/16", 2, None, "RFC 1918"),
        ("172.32.0.0/16", 2, None, "RFC 1918"),
        ("10.0.0.0/16", 0, None, "out of range; accepted 1..6"),
        ("10.0.0.0/16", 7, None, "out of range; accepted 1..6"),
        ("10.0.0.0/16", True, None, "not an integer"),
        ("10.0.0.0/28", 2, None, "too small for 2 subnets"),
        ("10.0.0.0/24", 3, 25, "holds only 2 /25 subnet(s) but az_count is 3"),
        ("10.0.0.0/24", 2, 23, "accepted /24 to /28"),
        ("10.0.0.0/24", 2, 29, "accepted /24 to /28"),
        ("10.0.0.0/24", 2, "26", "not an integer"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    vpc: str, count: int, prefix: int | None, fragment: str
) -> None:
    with pytest.raises(ValueError) as caught:
        plan_subnets(vpc, count, prefix)
    assert fragment in str(caught.value), str(caught.value)


def test_parse_names_the_accepted_ranges() -> None:
    with pytest.raises(ValueError, match=r"accepted: 10\.0\.0\.0/8, 172\.16\.0\.0/12, 192\.168\.0\.0/16"):
        parse_vpc_cidr("11.0.0.0/16")
    assert parse_vpc_cidr(" 172.16.8.0/22 ") == ipaddress.IPv4Network("172.16.8.0/22")


# --- network ACL rules ----------------------------------------------------------------------------------

S3 = ["52.95.128.0/21", "3.5.0.0/18"]


def test_nacl_rules_allow_https_and_replies_inside_the_vpc() -> None:
    ingress, egress = private_nacl_rules("10.20.0.0/16", S3)
    for rules in (ingress, egress):
        vpc_rules = [r for r in rules if r["cidr_block"] == "10.20.0.0/16"]
        assert {(r["from_port"], r["to_port"]) for r in vpc_rules} == {(443, 443), (1024, 65535)}
        assert all(r["action"] == "allow" and r["protocol"] == "tcp" for r in rules)


def test_nacl_rules_reach_s3_on_443_with_ephemeral_replies() -> None:
    ingress, egress = private_nacl_rules("10.20.0.0/16", S3)
    assert {(r["cidr_block"], r["from_port"], r["to_port"]) for r in egress if r["cidr_block"] in S3} == {
        (cidr, 443, 443) for cidr in S3
    }
    assert {(r["cidr_block"], r["from_port"], r["to_port"]) for r in ingress if r["cidr_block"] in S3} == {
        (cidr, 1024, 65535) for cidr in S3
    }


def test_nacl_rule_numbers_are_unique_and_deterministic() -> None:
    ingress, egress = private_nacl_rules("10.20.0.0/16", S3)
    for rules in (ingress, egress):
        numbers = [r["rule_no"] for r in rules]
        assert len(set(numbers)) == len(numbers)
    assert (ingress, egress) == private_nacl_rules("10.20.0.0/16", S3)


def test_nacl_without_s3_cidrs_keeps_only_vpc_rules() -> None:
    ingress, egress = private_nacl_rules("10.20.0.0/16", [])
    assert len(ingress) == len(egress) == 2


def test_nacl_refuses_bad_or_too_many_s3_cidrs() -> None:
    with pytest.raises(ValueError, match=r"S3 prefix-list CIDR '3\.5\.0\.0/33'"):
        private_nacl_rules("10.20.0.0/16", ["3.5.0.0/33"])
    many = [f"3.{i}.0.0/16" for i in range(MAX_NACL_RULES - 1)]
    with pytest.raises(ValueError, match="exceeds the 20 rules per direction"):
        private_nacl_rules("10.20.0.0/16", many)
