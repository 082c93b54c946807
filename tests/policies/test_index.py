"""policies.props.Index: the lookups stack controls use instead of a scan of the stack for every subject
find what the scans they replace find, in the same order, and hand out lists no caller can spoil."""

from __future__ import annotations

from typing import Any

import pytest
from controls_support import res

from strongroom.policies.props import ANY_TYPE, UNKNOWN, Index, Resource

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ARN = "arn:aws:iam::123456789012:role/a"

a = res(ROLE, "a", arn=ARN, id="a")
b = res(ROLE, "b", arn="arn:aws:iam::123456789012:role/b", id=ARN)  # its id is a's ARN
c = res(ROLE, "c", arn=UNKNOWN, id="")
p = res(POLICY, "p", arn=ARN, id="p")  # another type with the same ARN
twin = Resource(type=ROLE, urn=a.urn, name="a-twin", props={"arn": ARN})  # a URN two resources share
INDEX = Index([a, p, b, c, twin])


def scan_urns(index: Index, urns: set[str], *types: str) -> list[Resource]:
    return [r for r in index.of_type(*types) if r.urn in urns]


def scan_matching(index: Index, types: tuple[str, ...], props: tuple[str, ...], value: str) -> list[Resource]:
    return [r for r in index.of_type(*types) if any(r.get(k) == value for k in props)]


@pytest.mark.parametrize("types", [(ROLE,), (POLICY, ROLE), (ROLE, ROLE), (ANY_TYPE,), ("aws:none",)])
@pytest.mark.parametrize("urns", [set(), {a.urn}, {b.urn, a.urn}, {c.urn, p.urn, "urn:other"}])
def test_with_urns_finds_what_the_scan_finds_in_its_order(types: tuple[str, ...], urns: set[str]) -> None:
    assert INDEX.with_urns(urns, *types) == scan_urns(INDEX, urns, *types)


@pytest.mark.parametrize("types", [(ROLE,), (POLICY, ROLE), (ROLE, ROLE), (ANY_TYPE,)])
@pytest.mark.parametrize("props", [("arn",), ("id",), ("arn", "id"), ("id", "arn")])
@pytest.mark.parametrize("value", [ARN, "a", "", "p", "nothing"])
def test_matching_finds_what_the_scan_finds_in_its_order(
    types: tuple[str, ...], props: tuple[str, ...], value: str
) -> None:
    assert INDEX.matching(types, props, value) == scan_matching(INDEX, types, props, value)


def test_matching_takes_one_type_as_a_string() -> None:
    assert INDEX.matching(ROLE, ("arn",), ARN) == [a, twin]


@pytest.mark.parametrize(
    "lookup", [lambda i: i.with_urns({a.urn}, ROLE), lambda i: i.matching(ROLE, ("arn",), ARN)]
)
def test_the_lists_handed_out_are_new_each_time(lookup: Any) -> None:
    index = Index([a, b, twin])
    first = lookup(index)
    expected = list(first)
    first.clear()
    assert lookup(index) == expected
