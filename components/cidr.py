"""Pure IPv4 CIDR maths for the private network: validate the VPC range and carve one subnet per AZ.

No Pulumi import: these functions take and return plain strings, so the settings model, the
PrivateNetwork component and the property tests all share one implementation.
"""

from __future__ import annotations

import ipaddress
import math
from typing import TypedDict

# AWS accepts VPC prefixes from /16 to /28, and a subnet can be no smaller than /28.
MIN_VPC_PREFIX = 16
MAX_VPC_PREFIX = 28
MAX_SUBNET_PREFIX = 28
MIN_AZ_COUNT = 1
MAX_AZ_COUNT = 6

PRIVATE_RANGES: tuple[ipaddress.IPv4Network, ...] = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)


def parse_vpc_cidr(value: str) -> ipaddress.IPv4Network:
    """Parse a VPC CIDR such as ``10.20.0.0/16``.

    The block must be written in canonical form (no host bits set), lie inside an RFC 1918 private
    range and have a prefix between /16 and /28 (the sizes AWS accepts for a VPC).
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"VPC CIDR {value!r} is empty; expected an IPv4 block such as '10.20.0.0/16'")
    text = value.strip()
    if "/" not in text:
        raise ValueError(f"VPC CIDR {value!r} has no prefix length; expected e.g. '10.20.0.0/16'")
    try:
        network = ipaddress.IPv4Network(text, strict=True)
    except ipaddress.AddressValueError as exc:
        raise ValueError(f"VPC CIDR {value!r} is not IPv4 ({exc}); expected e.g. '10.20.0.0/16'") from exc
    except ValueError as exc:
        raise ValueError(
            f"VPC CIDR {value!r} is not a canonical IPv4 block ({exc}); expected e.g. '10.20.0.0/16'"
        ) from exc
    if not MIN_VPC_PREFIX <= network.prefixlen <= MAX_VPC_PREFIX:
        raise ValueError(
            f"VPC CIDR {value!r} has prefix /{network.prefixlen}; "
            f"AWS accepts /{MIN_VPC_PREFIX} to /{MAX_VPC_PREFIX}"
        )
    if not any(network.subnet_of(private) for private in PRIVATE_RANGES):
        ranges = ", ".join(str(r) for r in PRIVATE_RANGES)
        raise ValueError(f"VPC CIDR {value!r} is not inside a private (RFC 1918) range; accepted: {ranges}")
    return network


def default_subnet_prefix(vpc_prefix: int, az_count: int) -> int:
    """The subnet prefix that splits a VPC of ``vpc_prefix`` into at least ``az_count`` equal blocks.

    At least one bit is always taken, so a one-AZ network still leaves half the VPC free for later use.
    """
    _check_az_count(az_count)
    return vpc_prefix + max(1, math.ceil(math.log2(az_count)))


def plan_subnets(vpc_cidr: str, az_count: int, prefix: int | None = None) -> list[str]:
    """Carve ``az_count`` non-overlapping subnets out of ``vpc_cidr``, lowest addresses first.

    ``prefix`` is the subnet prefix length; by default the smallest split that fits ``az_count``
    subnets (see :func:`default_subnet_prefix`). Deterministic: the same input always gives the same list.
    """
    network = parse_vpc_cidr(vpc_cidr)
    _check_az_count(az_count)
    new_prefix = default_subnet_prefix(network.prefixlen, az_count) if prefix is None else prefix
    if prefix is None and new_prefix > MAX_SUBNET_PREFIX:
        raise ValueError(
            f"VPC {vpc_cidr} is too small for {az_count} subnets of at least /{MAX_SUBNET_PREFIX}; "
            f"use a VPC of /{MAX_SUBNET_PREFIX - (new_prefix - network.prefixlen)} or larger"
        )
    if isinstance(new_prefix, bool) or not isinstance(new_prefix, int):
        raise ValueError(f"subnet prefix {prefix!r} is not an integer; expected /{network.prefixlen}../28")
    if not network.prefixlen <= new_prefix <= MAX_SUBNET_PREFIX:
        raise ValueError(
            f"subnet prefix /{new_prefix} does not fit VPC {vpc_cidr}; "
            f"accepted /{network.prefixlen} to /{MAX_SUBNET_PREFIX}"
        )
    available = 2 ** (new_prefix - network.prefixlen)
    if available < az_count:
        raise ValueError(
            f"VPC {vpc_cidr} holds only {available} /{new_prefix} subnet(s) but az_count is {az_count}; "
            f"use a larger VPC or a longer subnet prefix (at most /{MAX_SUBNET_PREFIX})"
        )
    subnets = network.subnets(new_prefix=new_prefix)
    return [str(next(subnets)) for _ in range(az_count)]


def _check_az_count(az_count: int) -> None:
    if isinstance(az_count, bool) or not isinstance(az_count, int):
        raise ValueError(f"az_count {az_count!r} is not an integer; accepted {MIN_AZ_COUNT}..{MAX_AZ_COUNT}")
    if not MIN_AZ_COUNT <= az_count <= MAX_AZ_COUNT:
        raise ValueError(f"az_count {az_count} is out of range; accepted {MIN_AZ_COUNT}..{MAX_AZ_COUNT}")


HTTPS_PORT = 443
EPHEMERAL_PORTS = (1024, 65535)
MAX_NACL_RULES = 20
"""AWS's default quota of rules per direction in one network ACL."""


class NaclRule(TypedDict):
    """One network ACL rule, keyed as pulumi-aws's ``NetworkAclIngressArgs``/``NetworkAclEgressArgs``."""

    rule_no: int
    action: str
    protocol: str
    cidr_block: str
    from_port: int
    to_port: int


def private_nacl_rules(vpc_cidr: str, s3_cidrs: list[str]) -> tuple[list[NaclRule], list[NaclRule]]:
    """Ingress and egress rules of the private subnets' network ACL, as ``(ingress, egress)``.

    Network ACLs are stateless, so each flow needs a rule each way. Allowed, and nothing else:

    - inside the VPC: TCP 443 (clients to the interface endpoints) and TCP 1024-65535 (their replies,
      plus SageMaker Studio's NFS 2049 and 8192-65535 between instances), both ways;
    - to the S3 gateway endpoint: TCP 443 out to each S3 prefix-list CIDR and TCP 1024-65535 back in.
      S3 answers from public addresses even through a gateway endpoint; the route tables send those
      addresses only to the endpoint (there is no default route), and its policy limits the buckets.

    DNS, DHCP and instance metadata reach AWS's resolver and host services, which network ACLs do not
    filter, so no UDP rule is needed. Everything else meets the ACL's implicit deny.
    """
    vpc = parse_vpc_cidr(vpc_cidr)
    s3_networks: list[str] = []
    for cidr in s3_cidrs:
        try:
            s3_networks.append(str(ipaddress.IPv4Network(cidr, strict=True)))
        except ValueError as exc:
            raise ValueError(f"S3 prefix-list CIDR {cidr!r} is not an IPv4 block ({exc})") from exc
    if len(s3_networks) + 2 > MAX_NACL_RULES:
        raise ValueError(
            f"S3 prefix list has {len(s3_networks)} CIDRs; with the 2 VPC rules that exceeds the "
            f"{MAX_NACL_RULES} rules per direction a network ACL holds by default"
        )
    low, high = EPHEMERAL_PORTS

    def rule(rule_no: int, cidr: str, from_port: int, to_port: int) -> NaclRule:
        return {
            "rule_no": rule_no,
            "action": "allow",
            "protocol": "tcp",
            "cidr_block": cidr,
            "from_port": from_port,
            "to_port": to_port,
        }

    ingress = [rule(100, str(vpc), HTTPS_PORT, HTTPS_PORT), rule(110, str(vpc), low, high)]
    egress = [rule(100, str(vpc), HTTPS_PORT, HTTPS_PORT), rule(110, str(vpc), low, high)]
    for index, cidr in enumerate(s3_networks):
        ingress.append(rule(200 + 10 * index, cidr, low, high))
        egress.append(rule(200 + 10 * index, cidr, HTTPS_PORT, HTTPS_PORT))
    return ingress, egress
