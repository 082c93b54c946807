"""Network isolation: no way in from or out to the internet or another network, flow logs inside the
perimeter, closed defaults, endpoint policies and endpoint services.

Addresses are judged by meaning (`ipaddress`), never as text: a destination or a source is allowed only
when every address of it is private (RFC 1918 for IPv4, unique local fc00::/7 for IPv6), so no set of
ranges, however split (0.0.0.0/1 + 128.0.0.0/1), reaches a public address: the union of private ranges
is private, and each range is judged on the resource that declares it. Prefix lists are resolved through
the stack's own prefix lists and gateway endpoints; any other prefix list cannot be judged and is a
finding. Route targets other than the local route and the stack's own VPC endpoints are paths out.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from strongroom.policies import iamdb
from strongroom.policies.model import Control, Predicate
from strongroom.policies.perimeter import (
    CannotJudge,
    account_of,
    exposure,
    inside,
    outside_accounts,
    plan_network,
)
from strongroom.policies.props import (
    UNKNOWN,
    Index,
    PolicyDocumentError,
    Resource,
    UnknownValue,
    as_list,
    get,
    is_true,
    policy_document,
    statements,
)
from strongroom.policies.references import BUCKET, bucket_name, bucket_of_plan

VPC = "aws:ec2/vpc:Vpc"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
INTERNET_GATEWAY_ATTACHMENT = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
EGRESS_ONLY_GATEWAY = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
EIP_ASSOCIATION = "aws:ec2/eipAssociation:EipAssociation"
NAT_GATEWAY_EIP_ASSOCIATION = "aws:ec2/natGatewayEipAssociation:NatGatewayEipAssociation"
EIP_DOMAIN_NAME = "aws:ec2/eipDomainName:EipDomainName"
SUBNET = "aws:ec2/subnet:Subnet"
DEFAULT_SUBNET = "aws:ec2/defaultSubnet:DefaultSubnet"
DEFAULT_VPC = "aws:ec2/defaultVpc:DefaultVpc"
INSTANCE = "aws:ec2/instance:Instance"
SPOT_INSTANCE_REQUEST = "aws:ec2/spotInstanceRequest:SpotInstanceRequest"
SPOT_FLEET_REQUEST = "aws:ec2/spotFleetRequest:SpotFleetRequest"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LAUNCH_CONFIGURATION = "aws:ec2/launchConfiguration:LaunchConfiguration"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
MANAGED_PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
MANAGED_PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
VPC_ENDPOINT_POLICY = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"
VPC_ENDPOINT_SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
VPC_ENDPOINT_SERVICE_PRINCIPAL = (
    "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple"
)
LB = "aws:lb/loadBalancer:LoadBalancer"
ALB = "aws:alb/loadBalancer:LoadBalancer"
ELB = "aws:elb/loadBalancer:LoadBalancer"
VPC_PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
VPC_PEERING_ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
PEERING_OPTIONS = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"
TGW_VPC_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
TGW_VPC_ATTACHMENT_ACCEPTER = "aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter"
VPN_GATEWAY = "aws:ec2/vpnGateway:VpnGateway"
VPN_GATEWAY_ATTACHMENT = "aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment"
VPN_GATEWAY_ROUTE_PROPAGATION = "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation"
VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
CUSTOMER_GATEWAY = "aws:ec2/customerGateway:CustomerGateway"
CARRIER_GATEWAY = "aws:ec2/carrierGateway:CarrierGateway"
LOCAL_GATEWAY_VPC_ASSOCIATION = (
    "aws:ec2/localGatewayRouteTableVpcAssociation:LocalGatewayRouteTableVpcAssociation"
)
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FIREHOSE_STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
ROLE = "aws:iam/role:Role"
FIREWALL_DOMAIN_LIST = "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList"
FIREWALL_RULE = "aws:route53/resolverFirewallRule:ResolverFirewallRule"
FIREWALL_RULE_GROUP = "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup"
FIREWALL_ASSOCIATION = "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation"
FIREWALL_CONFIG = "aws:route53/resolverFirewallConfig:ResolverFirewallConfig"
QUERY_LOG_CONFIG = "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig"
QUERY_LOG_ASSOCIATION = "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation"
SERVICE_NETWORK = "aws:vpclattice/serviceNetwork:ServiceNetwork"
RESOURCE_CONFIGURATION = "aws:vpclattice/resourceConfiguration:ResourceConfiguration"

_NO_INTERNET_NOTE = (
    "No CIS or FSBP control forbids this resource outright; both assume some internet path exists."
)

# -- addresses -------------------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PRIVATE_RANGES: tuple[Network, ...] = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
    ipaddress.IPv6Network("fc00::/7"),
)
"""The only address space a Strongroom network may route to or admit: RFC 1918 and IPv6 unique local.
Listed rather than read from `ipaddress.is_private`, which also counts 0.0.0.0/8 and 127.0.0.0/8, so that
`IPv4Network("0.0.0.0/1").is_private` is True."""


def is_private_range(cidr: str) -> bool:
    """True when every address of `cidr` is private (inside one of `PRIVATE_RANGES`). Raises ValueError
    for a value that is not a CIDR."""
    network = ipaddress.ip_network(cidr.strip(), strict=False)
    return any(network.version == r.version and network.subnet_of(r) for r in PRIVATE_RANGES)  # type: ignore[arg-type]


def _public_cidr(owner: Resource, where: str, cidr: Any) -> str | None:
    """Why `cidr` (the value at `where`) is not a private range, or None when it is (or is unset)."""
    if cidr is UNKNOWN:
        raise UnknownValue(owner.label, where)
    if cidr is None or cidr == "":
        return None
    if not isinstance(cidr, str):
        return f"{cidr!r}, which is not a CIDR"
    try:
        return None if is_private_range(cidr) else cidr
    except ValueError:
        return f"'{cidr}', which is not a CIDR"


def _present(value: Any) -> bool:
    """Set to something (the engine's outputs send unset strings as "")."""
    return value is UNKNOWN or (value is not None and value != "" and value != [])


def _deps(subject: Resource, key: str) -> tuple[str, ...]:
    return subject.property_dependencies.get(key, ())


def _plan(index: Index, urns: Sequence[str], *types: str) -> list[Resource]:
    return index.with_urns(urns, *types)


def _show(value: Any) -> str:
    return "(unknown until apply)" if value is UNKNOWN else str(value)


def _named_by(
    index: Index, owner: Resource, key: str, type_: str, outputs: Sequence[str] = ("id",)
) -> list[Resource]:
    """The resources of `type_` (in the plan's order) that the value at `key` of `owner` names: a known
    value by what it names (a non-empty string equal to one of the target's `outputs`), an unknown one by
    a property dependency on the target. A value computed from the target but naming something else does
    not name it. Lookups in tables built once per index, not a scan of `type_` for every owner."""
    value = owner.get(key)
    if value is UNKNOWN:
        return index.with_urns(_deps(owner, key), type_)
    if not isinstance(value, str) or not value:
        return []
    return index.matching(type_, outputs, value)


def _referencing(index: Index, subject: Resource, types: str, key: str) -> list[Resource]:
    """Resources of `types` whose `key` names `subject` (by its `id`, as `_named_by` reads a value). Raises
    `UnknownValue` when none does and a candidate's value is unknown with no property dependency to place
    it (the first such candidate in the plan's order)."""
    # `Index.referencing` is this join, from tables built once per index instead of a scan of every
    # candidate for every subject.
    return index.referencing(subject, types, key)


# -- prefix lists ----------------------------------------------------------------------------------------


def _prefix_list_cidrs(prefix_list: Resource, index: Index) -> list[tuple[str, Any]]:
    """(where, cidr) of every entry of a prefix list of the stack: inline and standalone entries."""
    found = [
        (f"prefix list {prefix_list.label} entries[{i}].cidr", get(entry, "cidr"))
        for i, entry in enumerate(prefix_list.known("entries", []) or [])
    ]
    for entry in _referencing(index, prefix_list, MANAGED_PREFIX_LIST_ENTRY, "prefixListId"):
        found.append((f"prefix list entry {entry.label}", entry.known("cidr")))
    return found


def _prefix_list(owner: Resource, index: Index, key: str, value: Any) -> Iterator[str]:
    """Why the prefix list `value` (at `owner`'s `key`) reaches a public address, or cannot be judged.

    Accepted: a gateway endpoint's prefix list (the endpoint's `prefixListId`, an AWS service's own
    addresses) and the stack's own prefix lists, whose every entry is judged. A literal `pl-...` of
    anything else (an AWS-managed list such as CloudFront's origin-facing one, another account's) cannot
    be judged.
    """
    top = key.split(".")[0].split("[")[0]
    deps = _deps(owner, top)
    if isinstance(value, str) and value:
        lists = index.matching(MANAGED_PREFIX_LIST, ("id",), value)
        endpoints = index.matching(VPC_ENDPOINT, ("prefixListId",), value)
    elif value is UNKNOWN:
        lists = _plan(index, deps, MANAGED_PREFIX_LIST)
        endpoints = _plan(index, deps, VPC_ENDPOINT)
        if not lists and not endpoints:
            raise UnknownValue(owner.label, key)
    else:
        return
    if not lists and not endpoints:
        yield (
            f"names prefix list {value} ({key}), which is neither a prefix list nor a gateway endpoint of "
            "the stack, so its addresses can't be judged"
        )
        return
    for prefix_list in lists:
        for where, cidr in _prefix_list_cidrs(prefix_list, index):
            public = _public_cidr(prefix_list, where, cidr)
            if public is not None:
                yield f"reaches {public} through {where}"


# -- forbidden resources, NAT, public IPs ----------------------------------------------------------------


def _forbidden(names: Mapping[str, str], why: str) -> Predicate:
    def predicate(subject: Resource, _index: Index) -> Iterator[str]:
        yield f"{names[subject.type]} {subject.label} is not allowed: {why}"

    return predicate


def _nat_gateway(subject: Resource, _index: Index) -> Iterator[str]:
    connectivity = subject.known("connectivityType", "public")
    if connectivity != "private":
        yield (
            f"NAT gateway {subject.label} has connectivityType '{connectivity}' (default 'public'): "
            "a public NAT gateway is a path to the internet"
        )


_INSTANCE_KINDS = {INSTANCE: "instance", SPOT_INSTANCE_REQUEST: "spot instance request"}


def _public_ip(subject: Resource, _index: Index) -> Iterator[str]:
    label = subject.label
    if subject.type in (SUBNET, DEFAULT_SUBNET):
        public_default = subject.type == DEFAULT_SUBNET
        for key in ("mapPublicIpOnLaunch", "mapCustomerOwnedIpOnLaunch"):
            if is_true(subject.known(key, public_default and key == "mapPublicIpOnLaunch")):
                default = " (a default subnet's default is true)" if public_default else ""
                yield f"subnet {label} sets {key}=true{default}"
    elif subject.type in _INSTANCE_KINDS:
        kind = _INSTANCE_KINDS[subject.type]
        if is_true(subject.known("associatePublicIpAddress", False)):
            yield f"{kind} {label} sets associatePublicIpAddress=true"
        placed_by = ("subnetId", "primaryNetworkInterface", "networkInterfaces", "launchTemplate")
        if not any(_present(subject.get(key)) for key in placed_by):
            yield (
                f"{kind} {label} sets no subnetId, network interface or launch template, so it lands in "
                "the default VPC's default subnet, which assigns a public IP"
            )
    elif subject.type == LAUNCH_CONFIGURATION:
        if is_true(subject.known("associatePublicIpAddress", False)):
            yield f"launch configuration {label} sets associatePublicIpAddress=true"
    elif subject.type == SPOT_FLEET_REQUEST:
        for i, _spec in enumerate(subject.known("launchSpecifications", []) or []):
            key = f"launchSpecifications[{i}].associatePublicIpAddress"
            if is_true(subject.known(f"launchSpecifications.{i}.associatePublicIpAddress", False)):
                yield f"spot fleet request {label} sets {key}=true"
    else:
        for i, _nic in enumerate(subject.known("networkInterfaces", []) or []):
            for key in ("associatePublicIpAddress", "associateCarrierIpAddress"):
                if is_true(subject.known(f"networkInterfaces.{i}.{key}", False)):
                    yield f"launch template {label} sets networkInterfaces[{i}].{key}=true"


# -- routes ----------------------------------------------------------------------------------------------

_ROUTE_TARGETS = (
    "gatewayId",
    "natGatewayId",
    "vpcPeeringConnectionId",
    "transitGatewayId",
    "carrierGatewayId",
    "egressOnlyGatewayId",
    "localGatewayId",
    "networkInterfaceId",
    "instanceId",
    "coreNetworkArn",
    "odbNetworkArn",
    "vpcEndpointId",
)
"""Every target key of aws:ec2/route:Route and of the inline routes of RouteTable / DefaultRouteTable."""


def _routes(subject: Resource) -> Iterator[tuple[str, Mapping[str, Any], dict[str, str]]]:
    """(prefix, route, keys): each route the subject declares, with its destination keys by meaning
    (v4, v6, prefixList) and the path prefix of its properties."""
    if subject.type == ROUTE:
        keys = {
            "v4": "destinationCidrBlock",
            "v6": "destinationIpv6CidrBlock",
            "prefixList": "destinationPrefixListId",
        }
        yield "", subject.props, keys
        return
    keys = {"v4": "cidrBlock", "v6": "ipv6CidrBlock", "prefixList": "destinationPrefixListId"}
    for i, route in enumerate(subject.known("routes", []) or []):
        if not isinstance(route, Mapping):
            raise UnknownValue(subject.label, f"routes.{i}")
        yield f"routes[{i}].", route, keys


def _route_destinations(subject: Resource, index: Index) -> Iterator[str]:
    for prefix, route, keys in _routes(subject):
        for family in ("v4", "v6"):
            where = f"{prefix}{keys[family]}"
            public = _public_cidr(subject, where, get(route, keys[family]))
            if public is not None:
                yield (
                    f"route {subject.label} sends {public} ({where}) out of the VPC: only private ranges "
                    "(RFC 1918, fc00::/7) may be routed"
                )
        where = f"{prefix}{keys['prefixList']}"
        for problem in _prefix_list(subject, index, where, get(route, keys["prefixList"])):
            yield f"route {subject.label} {problem}"


def _destination(route: Mapping[str, Any], keys: Mapping[str, str]) -> str:
    for key in keys.values():
        value = get(route, key)
        if _present(value):
            return _show(value)
    return "(no destination)"


def _own_endpoint(subject: Resource, index: Index, key: str, value: Any) -> bool:
    """Whether the target `value` at `key` is a VPC endpoint of the stack: a known value by its ID; an
    unknown one by a property dependency on an endpoint of the stack (a value computed from an endpoint
    but naming an internet gateway is judged by what it names)."""
    if value is not UNKNOWN:
        return isinstance(value, str) and bool(index.matching(VPC_ENDPOINT, ("id",), value))
    top = key.split(".")[0].split("[")[0]
    if _plan(index, _deps(subject, top), VPC_ENDPOINT):
        return True
    if not _deps(subject, top):
        raise UnknownValue(subject.label, key)
    return False


def _route_targets(subject: Resource, index: Index) -> Iterator[str]:
    for prefix, route, keys in _routes(subject):
        for target in _ROUTE_TARGETS:
            value = get(route, target)
            if not _present(value):
                continue
            where = f"{prefix}{target}"
            if target == "gatewayId" and value == "local":
                continue
            if target in ("gatewayId", "vpcEndpointId") and _own_endpoint(subject, index, where, value):
                continue
            yield (
                f"route {subject.label} sends {_destination(route, keys)} to {where} {_show(value)}: only "
                "the local route and the stack's own VPC endpoints may be route targets"
            )
    if subject.type != ROUTE:
        gateways = subject.known("propagatingVgws", []) or []
        if gateways:
            yield (
                f"route table {subject.label} propagates routes from virtual private gateway(s) "
                f"{', '.join(_show(g) for g in gateways)}"
            )


# -- security groups -------------------------------------------------------------------------------------


def _rule_sources(subject: Resource, rule: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, str, Any]]:
    """(kind, where, value) of every address source of one rule: kind 'cidr' or 'prefixList'."""
    if subject.type in (INGRESS_RULE, EGRESS_RULE):
        yield "cidr", "cidrIpv4", rule.get("cidrIpv4")
        yield "cidr", "cidrIpv6", rule.get("cidrIpv6")
        yield "prefixList", "prefixListId", rule.get("prefixListId")
        return
    for key, kind in (("cidrBlocks", "cidr"), ("ipv6CidrBlocks", "cidr"), ("prefixListIds", "prefixList")):
        values = get(rule, key)
        if values is UNKNOWN:
            raise UnknownValue(subject.label, f"{prefix}{key}")
        for i, value in enumerate(as_list(values)):
            yield kind, f"{prefix}{key}[{i}]", value


def _rule_problems(subject: Resource, index: Index, rule: Mapping[str, Any], prefix: str) -> Iterator[str]:
    for kind, where, value in _rule_sources(subject, rule, prefix):
        if kind == "cidr":
            public = _public_cidr(subject, where, value)
            if public is not None:
                yield f"is open to {public}"
        else:
            yield from _prefix_list(subject, index, where, value)


def _open_rules(subject: Resource, index: Index, direction: str) -> Iterator[str]:
    if subject.type == SECURITY_GROUP:
        for i, rule in enumerate(subject.known(direction, []) or []):
            if not isinstance(rule, Mapping):
                raise UnknownValue(subject.label, f"{direction}.{i}")
            for problem in _rule_problems(subject, index, rule, f"{direction}[{i}]."):
                yield f"security group {subject.label} {direction}[{i}] {problem}"
        return
    if subject.type == SECURITY_GROUP_RULE:
        if subject.known("type") != direction:
            return
    elif (subject.type == INGRESS_RULE) != (direction == "ingress"):
        return
    for problem in _rule_problems(subject, index, subject.props, ""):
        yield f"security group rule {subject.label} ({direction}) {problem}"


def _open_ingress(subject: Resource, index: Index) -> Iterator[str]:
    yield from _open_rules(subject, index, "ingress")


def _open_egress(subject: Resource, index: Index) -> Iterator[str]:
    yield from _open_rules(subject, index, "egress")


# -- flow logs -------------------------------------------------------------------------------------------


def _flow_logs(subject: Resource, index: Index) -> Iterator[str]:
    logs = _referencing(index, subject, FLOW_LOG, "vpcId")
    if not logs:
        yield f"VPC {subject.label} has no flow log (aws:ec2/flowLog:FlowLog with vpcId set to it)"
        return
    traffic = {log.known("trafficType", "ALL") for log in logs}
    if "ALL" not in traffic:
        yield f"VPC {subject.label} flow logs record only {'/'.join(sorted(traffic))} traffic, not ALL"


_DESTINATIONS: dict[str, tuple[str, ...]] = {
    "logDestination": (LOG_GROUP, BUCKET, FIREHOSE_STREAM),
    "deliverCrossAccountRole": (ROLE,),
    "serviceNetworkArn": (SERVICE_NETWORK,),
    "resourceConfigurationArn": (RESOURCE_CONFIGURATION,),
}
"""The types of the plan whose ARN each destination key may name (an unknown value computed from one of
them is that resource)."""


def _outside(index: Index, subject: Resource, key: str, what: str) -> Iterator[str]:
    """Why the ARN at `key` is outside the perimeter or cannot be placed. A known value is judged by what
    it names (a bucket of the stack, or the account in the ARN); an unknown one passes only when it is
    computed from a resource of the stack of a type the key may name."""
    value = subject.get(key)
    if not _present(value):
        return
    if value is UNKNOWN:
        if _plan(index, _deps(subject, key), *_DESTINATIONS[key]):
            return
        raise UnknownValue(subject.label, key)
    if bucket_name(value) and bucket_of_plan(subject, key, value, index):
        return
    account = account_of(value)
    if account is None:
        yield (
            f"{what} {subject.label} {key} is {value}, which is not a resource of the stack and names no "
            "account, so its owner can't be judged"
        )
    elif account == "*" or not inside(index.context, account):
        yield f"{what} {subject.label} {key} is {value}, in account {account}, outside the perimeter"


def _flow_log_destination(subject: Resource, index: Index) -> Iterator[str]:
    yield from _outside(index, subject, "logDestination", "flow log")
    yield from _outside(index, subject, "deliverCrossAccountRole", "flow log")


def _default_security_group(subject: Resource, index: Index) -> Iterator[str]:
    groups = _referencing(index, subject, DEFAULT_SECURITY_GROUP, "vpcId")
    if not groups:
        yield (
            f"VPC {subject.label} leaves its default security group unmanaged, with AWS's default rules "
            "(add an aws:ec2/defaultSecurityGroup:DefaultSecurityGroup with no rules)"
        )
        return
    for group in groups:
        for direction in ("ingress", "egress"):
            rules = group.known(direction, []) or []
            if rules:
                yield (
                    f"default security group {group.label} of VPC {subject.label} has {len(rules)} "
                    f"{direction} rule(s)"
                )


# -- endpoint policies -----------------------------------------------------------------------------------

AWS_SERVICE_OBJECTS = re.compile(
    r"^arn:aws(-cn|-us-gov)?:s3:::prod-[a-z]{2}(-[a-z]+)+-\d-starport-layer-bucket/\*$"
)
"""Objects of AWS-owned buckets an endpoint may let anyone read: ECR's image layers, which ECR hands out
pre-signed by its own account (`components.policydocs.endpoint.aws_owned_s3_read_arns`; a test keeps the
two in step)."""

_RESOURCE_ACCOUNT_KEYS = frozenset({"aws:resourceaccount", "aws:resourceorgid"})


def _reads_aws_service_objects(statement: Mapping[str, Any]) -> bool:
    """An Allow of s3:GetObject, and nothing else, on AWS-owned service buckets only."""
    if "NotAction" in statement or "NotResource" in statement:
        return False
    actions = [str(a).lower() for a in as_list(statement.get("Action"))]
    resources = as_list(statement.get("Resource"))
    return (
        actions == ["s3:getobject"]
        and bool(resources)
        and all(isinstance(r, str) and AWS_SERVICE_OBJECTS.match(r) for r in resources)
    )


def _resources_confined(index: Index, statement: Mapping[str, Any]) -> bool:
    """A condition (exact operator) limiting the buckets reached to accounts of the perimeter."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if str(operator).lower() not in ("stringequals", "stringequalsignorecase") or not isinstance(
            block, Mapping
        ):
            continue
        for key, values in block.items():
            k = str(key).lower()
            listed = as_list(values)
            if k not in _RESOURCE_ACCOUNT_KEYS or not listed:
                continue
            if k == "aws:resourceaccount" and all(v in index.context.trusted_accounts for v in listed):
                return True
            if k == "aws:resourceorgid" and listed == [index.context.organization_id]:
                return True
    return False


def _any_bucket(statement: Mapping[str, Any]) -> bool:
    """The statement reaches buckets by a pattern that no name prefix of the bank's confines."""
    if "NotResource" in statement:
        return True
    for resource in as_list(statement.get("Resource")):
        if not isinstance(resource, str):
            return True
        parts = resource.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn" or re.search(r"[*?]", ":".join(parts[:5])):
            return True
        if parts[5][:1] in ("*", "?", ""):
            return True
    return False


_UI_ENDPOINT = re.compile(r"^aws\.sagemaker\.[a-z]{2}(-[a-z]+)+-\d\.(notebook|studio)$")
"""SageMaker's notebook and Studio UI endpoints: browser sessions opened with a presigned URL, where no
resource account applies (`components.policydocs.endpoint.RESOURCE_ACCOUNT_EXEMPT_ENDPOINTS`)."""
_ECR_PULLS = frozenset({"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"})
_ECR_REPOSITORIES = re.compile(r"^arn:aws(-cn|-us-gov)?:ecr:[a-z]{2}(-[a-z]+)+-\d:\d{12}:repository/\*$")
_AWS_OWNED_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:(?!s3:)[a-z0-9-]+:[a-z]{2}(-[a-z]+)+-\d:(aws)?:[a-z-]+/.*$"
)
"""An ARN of a regional AWS-owned resource: no account (or 'aws'), e.g. arn:aws:ssm:eu-west-2::parameter/
aws/*. S3 ARNs never hold an account, so they are never taken for AWS-owned."""


def _statement_actions(statement: Mapping[str, Any]) -> frozenset[str] | None:
    """The actions an Allow statement grants, expanded; None for NotAction or '*' (everything)."""
    if "NotAction" in statement:
        return None
    listed = [str(a) for a in as_list(statement.get("Action"))]
    if "*" in listed:
        return None
    return iamdb.expand_all(listed)


def _aws_owned_reads(statement: Mapping[str, Any]) -> bool:
    """Read or list actions only, on ARNs that hold no account (or the 'aws' account): AWS-owned
    resources such as SSM public parameters and documents."""
    actions = _statement_actions(statement)
    resources = as_list(statement.get("Resource"))
    return (
        bool(actions)
        and actions is not None
        and all(iamdb.access_level(a) in ("Read", "List") for a in actions)
        and "NotResource" not in statement
        and bool(resources)
        and all(isinstance(r, str) and _AWS_OWNED_ARN.match(r) for r in resources)
    )


def _named_image_pulls(statement: Mapping[str, Any]) -> bool:
    """ECR image pulls only, from repositories of named accounts (aws:ResourceAccount, exact IDs)."""
    actions = _statement_actions(statement)
    resources = as_list(statement.get("Resource"))
    condition = statement.get("Condition")
    named: list[Any] = []
    if isinstance(condition, Mapping):
        for operator, block in condition.items():
            if str(operator).lower() == "stringequals" and isinstance(block, Mapping):
                for key, values in block.items():
                    if str(key).lower() == "aws:resourceaccount":
                        named = as_list(values)
    return (
        bool(actions)
        and actions is not None
        and actions <= _ECR_PULLS
        and "NotResource" not in statement
        and bool(resources)
        and all(isinstance(r, str) and _ECR_REPOSITORIES.match(r) for r in resources)
        and bool(named)
        and all(isinstance(v, str) and re.fullmatch(r"\d{12}", v) for v in named)
    )


def _policy_problems(
    index: Index, document: Mapping[str, Any], gateway: bool, resource_account: bool = False
) -> Iterator[str]:
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        if not _reads_aws_service_objects(statement):
            reasons = list(exposure(index.context, statement, plan_network(index)))
            if reasons and statement.get("Condition") and not index.context.perimeter_configured:
                raise CannotJudge(
                    "an endpoint policy's condition can't be judged: no perimeter is configured "
                    "(strongroom:perimeter.trustedAccounts / organizationId, or the pack's policy config)"
                )
            yield from reasons
        if gateway and _any_bucket(statement) and not _resources_confined(index, statement):
            yield (
                "allows buckets of any account (Resource or NotResource by pattern) with no "
                "aws:ResourceAccount / aws:ResourceOrgID condition naming the perimeter"
            )
        if (
            resource_account
            and not _resources_confined(index, statement)
            and not _aws_owned_reads(statement)
            and not _named_image_pulls(statement)
        ):
            yield (
                "reaches resources of any account: no aws:ResourceAccount / aws:ResourceOrgID condition "
                "naming the perimeter (only reads of AWS-owned ARNs and ECR pulls from named registries are "
                "exempt)"
            )


def _endpoint_type(subject: Resource) -> str:
    return str(subject.known("vpcEndpointType", "Gateway"))


def _endpoint_policy(subject: Resource, index: Index) -> Iterator[str]:
    policies: list[tuple[str, Any]] = []
    if subject.get("policy") not in (None, ""):
        policies.append(("policy", subject.known("policy")))
    for attached in _referencing(index, subject, VPC_ENDPOINT_POLICY, "vpcEndpointId"):
        policies.append((f"policy {attached.label}", attached.known("policy")))
    service = _show(subject.get("serviceName", "?"))
    named = f"VPC endpoint {subject.label} ({service})"
    if not policies:
        yield f"{named} has no policy, so AWS applies full access to any principal"
        return
    gateway = _endpoint_type(subject) == "Gateway"
    resource_account = False
    if _endpoint_type(subject) == "Interface":
        service_name = subject.known("serviceName")
        resource_account = not (isinstance(service_name, str) and _UI_ENDPOINT.match(service_name))
    for where, policy in policies:
        try:
            document = policy_document(policy)
        except PolicyDocumentError as exc:
            yield f"{named} {where} {exc}"
            continue
        for problem in dict.fromkeys(_policy_problems(index, document, gateway, resource_account)):
            yield f"{named} {where} {problem}"


def _unattached_policy(subject: Resource, index: Index) -> Iterator[str]:
    """A VpcEndpointPolicy on an endpoint that is not a resource of the stack is judged on its own."""
    try:
        document = policy_document(subject.known("policy"))
    except PolicyDocumentError as exc:
        yield f"VPC endpoint policy {subject.label} {exc}"
        return
    for problem in dict.fromkeys(_policy_problems(index, document, gateway=True)):
        endpoint = _show(subject.get("vpcEndpointId"))
        yield f"VPC endpoint policy {subject.label} (endpoint {endpoint}) {problem}"


def _endpoint_or_policy(subject: Resource, index: Index) -> Iterator[str]:
    if subject.type == VPC_ENDPOINT_POLICY:
        yield from _unattached_policy(subject, index)
    else:
        yield from _endpoint_policy(subject, index)


def _is_unattached(subject: Resource, index: Index) -> bool:
    """A policy whose vpcEndpointId names no endpoint of the stack (a known ID by value; an unknown one by
    property dependency)."""
    if subject.get("vpcEndpointId") is UNKNOWN and not _deps(subject, "vpcEndpointId"):
        raise UnknownValue(subject.label, "vpcEndpointId")
    return not _named_by(index, subject, "vpcEndpointId", VPC_ENDPOINT)


def _is_gateway(subject: Resource, index: Index) -> bool:
    if subject.type == VPC_ENDPOINT_POLICY:
        return _is_unattached(subject, index)
    return _endpoint_type(subject) == "Gateway"


def _is_interface(subject: Resource, _index: Index) -> bool:
    return _endpoint_type(subject) == "Interface"


def _private_dns(subject: Resource, _index: Index) -> Iterator[str]:
    if not is_true(subject.known("privateDnsEnabled", False)):
        yield (
            f"interface endpoint {subject.label} does not set privateDnsEnabled=true (default false): SDKs "
            "would resolve the public service endpoint"
        )


# -- DNS: firewall and query logging ---------------------------------------------------------------------


def _domains(rule: Resource, index: Index) -> list[str] | None:
    """The domains of the rule's domain list when it is a list of the stack; None otherwise (an AWS managed
    list, or another account's)."""
    lists = _named_by(index, rule, "firewallDomainListId", FIREWALL_DOMAIN_LIST)
    if not lists:
        if rule.get("firewallDomainListId") is UNKNOWN:
            raise UnknownValue(rule.label, "firewallDomainListId")
        return None
    return [str(d) for d in as_list(lists[0].known("domains", []))]


def _priority(rule: Resource) -> float:
    value = rule.known("priority")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise UnknownValue(rule.label, "priority")
    return float(value)


def _rule_group_problems(group: Resource, index: Index) -> tuple[bool, list[str]]:
    """(whether the group ends in a block of every domain, why it lets names through)."""
    rules = sorted(_referencing(index, group, FIREWALL_RULE, "firewallRuleGroupId"), key=_priority)
    problems: list[str] = []
    for rule in rules:
        action = str(rule.known("action", "?")).upper()
        domains = _domains(rule, index)
        if action in ("ALLOW", "ALERT") and domains is not None and "*" in domains:
            problems.append(
                f"DNS Firewall rule {rule.label} of rule group {group.label} lets every domain through "
                f"({action} on '*')"
            )
    if not rules:
        return False, [f"DNS Firewall rule group {group.label} has no rules, so it blocks nothing"]
    last = rules[-1]
    domains = _domains(last, index)
    blocks_all = str(last.known("action", "?")).upper() == "BLOCK" and domains is not None and "*" in domains
    return blocks_all, problems


def _dns_firewall(subject: Resource, index: Index) -> Iterator[str]:
    associations = _referencing(index, subject, FIREWALL_ASSOCIATION, "vpcId")
    if not associations:
        yield (
            f"VPC {subject.label} has no DNS Firewall rule group association "
            f"({FIREWALL_ASSOCIATION} with vpcId set to it): any name resolves, a way out over DNS"
        )
    blocked = False
    for association in associations:
        groups = _named_by(index, association, "firewallRuleGroupId", FIREWALL_RULE_GROUP)
        if not groups:
            if association.get("firewallRuleGroupId") is UNKNOWN:
                raise UnknownValue(association.label, "firewallRuleGroupId")
            yield (
                f"DNS Firewall association {association.label} of VPC {subject.label} names rule group "
                f"{_show(association.get('firewallRuleGroupId'))}, which is no rule group of the stack, "
                "so its rules can't be judged"
            )
            continue
        for group in groups:
            blocks_all, problems = _rule_group_problems(group, index)
            blocked = blocked or blocks_all
            yield from problems
    if associations and not blocked:
        yield (
            f"VPC {subject.label} has no DNS Firewall rule group whose last rule blocks every domain "
            "(action BLOCK on a domain list of the stack holding '*')"
        )
    configs = _referencing(index, subject, FIREWALL_CONFIG, "resourceId")
    if not configs:
        yield (
            f"VPC {subject.label} has no {FIREWALL_CONFIG} with firewallFailOpen='DISABLED': whether DNS "
            "Firewall fails closed is left unmanaged"
        )
    for config in configs:
        fail_open = config.known("firewallFailOpen")
        if str(fail_open).upper() != "DISABLED":
            yield (
                f"DNS Firewall config {config.label} of VPC {subject.label} sets "
                f"firewallFailOpen={_show(fail_open)}: it must be 'DISABLED' (fail closed)"
            )


def _query_log_destination(config: Resource, index: Index) -> str | None:
    """Why the query log config's destination is not a KMS-encrypted destination of the stack."""
    value = config.get("destinationArn")
    if value is UNKNOWN:
        groups = _plan(index, _deps(config, "destinationArn"), LOG_GROUP)
        buckets = _plan(index, _deps(config, "destinationArn"), BUCKET)
        if not groups and not buckets:
            if _plan(index, _deps(config, "destinationArn"), FIREHOSE_STREAM):
                return (
                    f"query log config {config.label} delivers to a Firehose stream, whose encryption "
                    "isn't judged"
                )
            raise UnknownValue(config.label, "destinationArn")
    else:
        groups = _named_by(index, config, "destinationArn", LOG_GROUP, ("arn",))
        buckets = (
            []
            if groups
            else (
                [config]
                if bucket_name(value) and bucket_of_plan(config, "destinationArn", value, index)
                else []
            )
        )
        if not groups and not buckets:
            return (
                f"query log config {config.label} delivers to {_show(value)}, which is no log group or "
                "bucket of the stack, so its encryption can't be judged"
            )
    for group in groups:
        if not group.known("kmsKeyId"):
            return (
                f"query log config {config.label} delivers to log group {group.label}, which sets no kmsKeyId"
            )
    return None  # a bucket of the stack: its SSE-KMS is judged by SR-ENC-004


def _dns_query_logging(subject: Resource, index: Index) -> Iterator[str]:
    associations = _referencing(index, subject, QUERY_LOG_ASSOCIATION, "resourceId")
    if not associations:
        yield (
            f"VPC {subject.label} has no Resolver query logging ({QUERY_LOG_ASSOCIATION} with resourceId set "
            "to it): its DNS queries go unrecorded"
        )
        return
    problems: list[str] = []
    for association in associations:
        configs = _named_by(index, association, "resolverQueryLogConfigId", QUERY_LOG_CONFIG)
        if not configs:
            if association.get("resolverQueryLogConfigId") is UNKNOWN:
                raise UnknownValue(association.label, "resolverQueryLogConfigId")
            problems.append(
                f"query log association {association.label} names config "
                f"{_show(association.get('resolverQueryLogConfigId'))}, which is no query log config of the "
                "stack, so its destination can't be judged"
            )
            continue
        for config in configs:
            problem = _query_log_destination(config, index)
            if problem is None:
                return
            problems.append(problem)
    yield from problems


# -- endpoint services and load balancers ----------------------------------------------------------------

_AWS_SERVICE_NAME = re.compile(
    r"^(com\.amazonaws\.(?!vpce\.)[a-z]{2}(-[a-z]+)+-\d\.[a-z0-9][a-z0-9.-]*"
    r"|aws\.sagemaker\.[a-z]{2}(-[a-z]+)+-\d\.(notebook|studio))$"
)
"""Service names of AWS's own services (`com.amazonaws.<region>.<service>`, SageMaker's notebook and
Studio endpoints). `com.amazonaws.vpce.<region>.vpce-svc-...` is an endpoint service of some account."""


def _endpoint_owner(subject: Resource, index: Index) -> Iterator[str]:
    endpoint_type = _endpoint_type(subject)
    for key in ("serviceNetworkArn", "resourceConfigurationArn"):
        yield from _outside(index, subject, key, "VPC endpoint")
    if endpoint_type in ("ServiceNetwork", "Resource"):
        return
    if subject.get("serviceName") is UNKNOWN and _plan(
        index, _deps(subject, "serviceName"), VPC_ENDPOINT_SERVICE
    ):
        return
    name = subject.known("serviceName")
    if isinstance(name, str) and _AWS_SERVICE_NAME.match(name):
        return
    if _named_by(index, subject, "serviceName", VPC_ENDPOINT_SERVICE, ("serviceName",)):
        return
    yield (
        f"VPC endpoint {subject.label} ({endpoint_type}) connects to service {name}, which is neither an AWS "
        "service nor an endpoint service of the stack: another account's service"
    )


def _allowed_principals(subject: Resource, index: Index) -> Iterator[str]:
    key = "principalArn" if subject.type == VPC_ENDPOINT_SERVICE_PRINCIPAL else "allowedPrincipals"
    for value in as_list(subject.known(key)):
        if value is UNKNOWN:
            raise UnknownValue(subject.label, key)
        account = account_of(value)
        if account is None:
            yield f"endpoint service {subject.label} allows principal '{value}', which names no account"
        elif outside_accounts(index.context, [value]):
            yield (
                f"endpoint service {subject.label} allows principal '{value}' of account {account}, "
                "outside the perimeter"
            )


def _internal_load_balancer(subject: Resource, _index: Index) -> Iterator[str]:
    internal = subject.known("internal", False)
    if not is_true(internal):
        yield f"load balancer {subject.label} is internet-facing (internal={_show(internal)}, default false)"


_NIST_BOUNDARY = ("SC-7", "SC-7(5)", "AC-4")
_NO_PATH = "a Strongroom network has no path to the internet"
_PATHS_OUT = {
    VPC_PEERING: "VPC peering connection",
    VPC_PEERING_ACCEPTER: "VPC peering connection accepter",
    PEERING_OPTIONS: "VPC peering connection options",
    TGW_VPC_ATTACHMENT: "transit gateway VPC attachment",
    TGW_VPC_ATTACHMENT_ACCEPTER: "transit gateway VPC attachment accepter",
    VPN_GATEWAY: "virtual private gateway",
    VPN_GATEWAY_ATTACHMENT: "virtual private gateway attachment",
    VPN_GATEWAY_ROUTE_PROPAGATION: "virtual private gateway route propagation",
    VPN_CONNECTION: "VPN connection",
    CUSTOMER_GATEWAY: "customer gateway",
    CARRIER_GATEWAY: "carrier gateway",
    LOCAL_GATEWAY_VPC_ASSOCIATION: "local gateway route table VPC association",
}

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-NET-001",
        enforced_in=frozenset({"preview", "live"}),
        title="No internet gateway",
        severity="critical",
        enforcement="mandatory",
        resource_types=(INTERNET_GATEWAY, INTERNET_GATEWAY_ATTACHMENT, DEFAULT_VPC),
        rationale=(
            "An internet gateway attached to the VPC gives its subnets a route to and from the internet; "
            "the default VPC comes with one, and a default route to it."
        ),
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY, "DORA": ("Art. 9(2)",)},
        framework_note=_NO_INTERNET_NOTE,
        remediation=(
            "Remove the internet gateway and its attachment; reach AWS services through VPC endpoints."
        ),
        predicate=_forbidden(
            {
                INTERNET_GATEWAY: "internet gateway",
                INTERNET_GATEWAY_ATTACHMENT: "internet gateway attachment",
                DEFAULT_VPC: "default VPC",
            },
            _NO_PATH,
        ),
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-002",
        enforced_in=frozenset({"preview", "live"}),
        title="No public NAT gateway",
        severity="critical",
        enforcement="mandatory",
        resource_types=(NAT_GATEWAY,),
        rationale="A public NAT gateway lets workloads open connections to the internet and exfiltrate data.",
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY, "DORA": ("Art. 9(2)",)},
        framework_note=_NO_INTERNET_NOTE,
        remediation=(
            "Remove the NAT gateway (or set connectivityType='private' for routing to private networks)."
        ),
        predicate=_nat_gateway,
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-003",
        enforced_in=frozenset({"preview", "live"}),
        title="No egress-only internet gateway",
        severity="critical",
        enforcement="mandatory",
        resource_types=(EGRESS_ONLY_GATEWAY,),
        rationale="An egress-only internet gateway gives IPv6 traffic a way out to the internet.",
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY},
        framework_note=_NO_INTERNET_NOTE,
        remediation="Remove the egress-only internet gateway.",
        predicate=_forbidden({EGRESS_ONLY_GATEWAY: "egress-only internet gateway"}, _NO_PATH),
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-004",
        enforced_in=frozenset({"preview", "live"}),
        title="No Elastic IP address or association",
        severity="high",
        enforcement="mandatory",
        resource_types=(EIP, EIP_ASSOCIATION, NAT_GATEWAY_EIP_ASSOCIATION, EIP_DOMAIN_NAME),
        rationale=(
            "An Elastic IP is a public IPv4 address; associating one (even one allocated outside the stack) "
            "makes an instance or interface reachable from the internet."
        ),
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY},
        framework_note="FSBP EC2.12 only flags unused EIPs; no CIS or FSBP control forbids them.",
        remediation="Remove the Elastic IP and every association of one.",
        predicate=_forbidden(
            {
                EIP: "Elastic IP",
                EIP_ASSOCIATION: "Elastic IP association",
                NAT_GATEWAY_EIP_ASSOCIATION: "NAT gateway Elastic IP association",
                EIP_DOMAIN_NAME: "Elastic IP domain name",
            },
            _NO_PATH,
        ),
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-005",
        title="No public IP on subnets, instances, fleets or launch templates",
        severity="high",
        enforcement="mandatory",
        resource_types=(
            SUBNET,
            DEFAULT_SUBNET,
            INSTANCE,
            SPOT_INSTANCE_REQUEST,
            SPOT_FLEET_REQUEST,
            LAUNCH_TEMPLATE,
            LAUNCH_CONFIGURATION,
        ),
        rationale=(
            "A public (or carrier, or customer-owned) IP address makes an instance addressable from outside "
            "the VPC; an instance placed in no subnet lands in the default VPC, which assigns one."
        ),
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY, "AWS-FSBP": ("EC2.9", "EC2.15", "EC2.25")},
        remediation=(
            "Leave mapPublicIpOnLaunch, associatePublicIpAddress and associateCarrierIpAddress unset or "
            "false, and place every instance in a private subnet of the stack."
        ),
        predicate=_public_ip,
        enforced_in=frozenset({"preview", "checkov", "live"}),
        checkov_ids=("CKV_AWS_88", "CKV_AWS_130"),
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-006",
        enforced_in=frozenset({"preview", "live"}),
        title="No route to a public address range",
        severity="high",
        enforcement="mandatory",
        resource_types=(ROUTE, ROUTE_TABLE, DEFAULT_ROUTE_TABLE),
        scope="stack",
        rationale=(
            "A route to any public range (0.0.0.0/0, or the same split as 0.0.0.0/1 + 128.0.0.0/1, or one "
            "address) sends traffic for the internet out of the VPC."
        ),
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY},
        framework_note="CIS 5.5 covers only peering routes; no control forbids routes to public ranges.",
        remediation=(
            "Route only to RFC 1918 / fc00::/7 ranges; VPC endpoints need no route except the one the S3 "
            "gateway endpoint adds itself."
        ),
        predicate=_route_destinations,
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-007",
        title="No security group ingress from a public address range",
        severity="critical",
        enforcement="mandatory",
        resource_types=(SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE),
        scope="stack",
        rationale=(
            "Ingress from any public range, on any port, however spelled (split ranges, prefix lists), "
            "exposes the workload to the internet."
        ),
        frameworks={
            "NIST-800-53-r5": ("SC-7", "AC-4", "CM-7"),
            "AWS-FSBP": ("EC2.53", "EC2.54", "EC2.19"),
            "CIS-AWS-3.0": ("5.2", "5.3"),
        },
        remediation=(
            "Allow ingress only from security groups, RFC 1918 ranges or prefix lists of the stack."
        ),
        predicate=_open_ingress,
        enforced_in=frozenset({"preview", "checkov", "live"}),
        checkov_ids=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"),
        tags=("network",),
    ),
    Control(
        id="SR-NET-008",
        enforced_in=frozenset({"preview", "live"}),
        title="No security group egress to a public address range",
        severity="high",
        enforcement="mandatory",
        resource_types=(SECURITY_GROUP, SECURITY_GROUP_RULE, EGRESS_RULE),
        scope="stack",
        rationale=(
            "Egress to a public range would become a path out the day a route to the internet appears; a "
            "prefix list the pack cannot resolve (CloudFront's, another account's) may hold any address."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "SC-7(5)", "AC-4"), "AWS-FSBP": ("EC2.18",)},
        remediation=(
            "Allow egress only to security groups, RFC 1918 ranges, prefix lists of the stack or the S3 "
            "gateway endpoint's prefix list (the endpoint's prefixListId output)."
        ),
        predicate=_open_egress,
        tags=("network",),
    ),
    Control(
        id="SR-NET-009",
        title="Flow logs record ALL traffic of every VPC",
        severity="high",
        enforcement="mandatory",
        resource_types=(VPC,),
        scope="stack",
        rationale=(
            "Flow logs are the record of who talked to whom, needed to investigate an incident; subnet, "
            "interface or transit gateway flow logs leave the rest of the VPC unrecorded."
        ),
        frameworks={
            "NIST-800-53-r5": ("AU-2", "AU-12", "SI-4"),
            "AWS-FSBP": ("EC2.6",),
            "CIS-AWS-3.0": ("3.7",),
            "DORA": ("Art. 10",),
        },
        remediation="Add an aws.ec2.FlowLog with vpc_id=<vpc>.id and traffic_type='ALL'.",
        predicate=_flow_logs,
        enforced_in=frozenset({"preview", "checkov", "live"}),
        checkov_ids=("CKV2_AWS_11",),
        tags=("network", "logging"),
    ),
    Control(
        id="SR-NET-010",
        title="Default security group of every VPC has no rules",
        severity="high",
        enforcement="mandatory",
        resource_types=(VPC,),
        scope="stack",
        rationale=(
            "Anything launched without a security group lands in the default group; it must admit nothing."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "AC-4"), "AWS-FSBP": ("EC2.2",), "CIS-AWS-3.0": ("5.4",)},
        remediation=(
            "Adopt the default group with aws.ec2.DefaultSecurityGroup(vpc_id=<vpc>.id) and no rules."
        ),
        predicate=_default_security_group,
        enforced_in=frozenset({"preview", "checkov", "live"}),
        checkov_ids=("CKV2_AWS_12",),
        tags=("network",),
    ),
    Control(
        id="SR-NET-011",
        enforced_in=frozenset({"preview", "live"}),
        title="Gateway endpoint policy is confined to the perimeter and the bank's buckets",
        severity="high",
        enforcement="mandatory",
        resource_types=(VPC_ENDPOINT, VPC_ENDPOINT_POLICY),
        scope="stack",
        applies=_is_gateway,
        applicability=(
            "gateway endpoints (vpcEndpointType unset or 'Gateway'), and endpoint policies attached to an "
            "endpoint that is not a resource of the stack"
        ),
        rationale=(
            "Without a policy, or with one that admits principal '*' without a perimeter condition or any "
            "bucket by pattern, the S3 gateway endpoint reaches every bucket in every account: an "
            "exfiltration path."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-4", "SC-7")},
        framework_note="No CIS or FSBP control inspects endpoint policies.",
        remediation=(
            "Set the endpoint policy to allow only this environment's buckets, to principals of the "
            "perimeter (aws:PrincipalAccount) (components/policydocs/endpoint.py)."
        ),
        predicate=_endpoint_or_policy,
        tags=("network", "endpoint"),
    ),
    Control(
        id="SR-NET-012",
        enforced_in=frozenset({"preview", "live"}),
        title="Interface endpoint policy is confined to the perimeter",
        severity="medium",
        enforcement="mandatory",
        resource_types=(VPC_ENDPOINT,),
        scope="stack",
        applies=_is_interface,
        applicability="interface endpoints (vpcEndpointType 'Interface')",
        rationale=(
            "An interface endpoint without a policy, or whose policy admits principal '*' without a "
            "perimeter condition, lets any credentials, from any account, use the service; one without a "
            "resource-account condition lets the bank's own principals reach another account's roles, "
            "keys, secrets or logs through it (exfiltration with the bank's credentials)."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-4", "SC-7")},
        framework_note="No CIS or FSBP control inspects endpoint policies.",
        remediation=(
            "Set an endpoint policy limited to this account's principals (aws:PrincipalAccount) and "
            "resources (aws:ResourceAccount or aws:ResourceOrgID); only SageMaker's notebook/Studio UI "
            "endpoints, reads of AWS-owned ARNs and ECR pulls from named registries are exempt "
            "(components/policydocs/endpoint.py)."
        ),
        predicate=_endpoint_policy,
        tags=("network", "endpoint"),
    ),
    Control(
        id="SR-NET-013",
        enforced_in=frozenset({"preview", "live"}),
        title="Interface endpoints use private DNS",
        severity="medium",
        enforcement="mandatory",
        resource_types=(VPC_ENDPOINT,),
        applies=_is_interface,
        applicability="interface endpoints (vpcEndpointType 'Interface')",
        rationale=(
            "Without private DNS, SDKs resolve the public service name and traffic bypasses the endpoint."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "SC-7(4)")},
        framework_note="No CIS or FSBP control checks private DNS on endpoints.",
        remediation="Set private_dns_enabled=True on every interface endpoint.",
        predicate=_private_dns,
        tags=("network", "endpoint"),
    ),
    Control(
        id="SR-NET-014",
        enforced_in=frozenset({"preview", "live"}),
        title="Routes target only the local route and the stack's own VPC endpoints",
        severity="critical",
        enforcement="mandatory",
        resource_types=(ROUTE, ROUTE_TABLE, DEFAULT_ROUTE_TABLE),
        scope="stack",
        rationale=(
            "A route to a NAT, internet, transit, carrier, local or virtual private gateway, a peering "
            "connection, a network interface or a foreign (Gateway Load Balancer) endpoint carries traffic "
            "out of the VPC, whatever its destination."
        ),
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY, "DORA": ("Art. 9(2)",)},
        framework_note="CIS 5.5 covers only peering routes (least access); none forbids other targets.",
        remediation=(
            "Remove the route (and any propagating virtual private gateway); gateway endpoints add their "
            "own routes through route_table_ids."
        ),
        predicate=_route_targets,
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-015",
        title="Load balancers are internal",
        severity="critical",
        enforcement="mandatory",
        resource_types=(LB, ALB, ELB),
        rationale="An internet-facing load balancer (internal unset or false) admits the internet.",
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY},
        framework_note="No CIS or FSBP control forbids internet-facing load balancers outright.",
        remediation="Set internal=True on every load balancer.",
        predicate=_internal_load_balancer,
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-016",
        enforced_in=frozenset({"preview", "live"}),
        title="No peering, transit gateway, VPN, carrier or local gateway connection",
        severity="critical",
        enforcement="mandatory",
        resource_types=tuple(_PATHS_OUT),
        rationale=(
            "Peering, transit gateway attachments, VPN and carrier or local gateways connect the VPC to "
            "networks whose reach the stack cannot see: paths out of the VPC."
        ),
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY, "DORA": ("Art. 9(2)",)},
        framework_note="CIS 5.5 limits peering routes; no control forbids these connections.",
        remediation="Remove the connection; reach AWS services through VPC endpoints.",
        predicate=_forbidden(_PATHS_OUT, "it connects the VPC to another network"),
        tags=("network",),
    ),
    Control(
        id="SR-NET-017",
        enforced_in=frozenset({"preview", "live"}),
        title="VPC endpoints connect only to AWS services or the stack's own endpoint services",
        severity="high",
        enforcement="mandatory",
        resource_types=(VPC_ENDPOINT,),
        scope="stack",
        rationale=(
            "An endpoint to another account's PrivateLink service (com.amazonaws.vpce.<region>.vpce-svc-..., "
            "a Gateway Load Balancer, a service network or resource outside the perimeter) hands traffic "
            "to that account."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "AC-4", "CA-3")},
        framework_note="No CIS or FSBP control inspects the owner of an endpoint's service.",
        remediation=(
            "Use AWS service endpoints only, or an aws:ec2/vpcEndpointService of the stack; service networks "
            "and resource configurations must belong to accounts of the perimeter."
        ),
        predicate=_endpoint_owner,
        tags=("network", "endpoint"),
    ),
    Control(
        id="SR-NET-018",
        title="Endpoint services admit only principals of the perimeter",
        severity="high",
        enforcement="mandatory",
        resource_types=(VPC_ENDPOINT_SERVICE, VPC_ENDPOINT_SERVICE_PRINCIPAL),
        rationale=(
            "An endpoint service that allows a principal outside the perimeter (or '*') lets another "
            "account connect into the VPC."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "AC-3", "AC-4")},
        framework_note="No CIS or FSBP control inspects endpoint service principals.",
        remediation="Allow only principals of the perimeter's accounts.",
        predicate=_allowed_principals,
        tags=("network", "endpoint"),
    ),
    Control(
        id="SR-NET-040",
        title="Every VPC's DNS goes through a DNS Firewall that blocks all but allowed domains, fail closed",
        severity="high",
        enforcement="mandatory",
        resource_types=(VPC,),
        scope="stack",
        rationale=(
            "A VPC without internet routes still resolves any name through Route 53 Resolver, which "
            "forwards to the internet: data can leave in the queried names. A rule group that ends in a "
            "block of every domain, with nothing allowing '*' before it, and a firewall that fails closed "
            "leave only the domains the environment needs."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "SC-7(5)", "SC-20", "SI-4")},
        framework_note="FSBP Route53 controls cover public hosted zones and query logging, not DNS Firewall.",
        remediation=(
            "Associate an aws.route53.ResolverFirewallRuleGroup whose last rule BLOCKs a domain list "
            "['*'] and an aws.route53.ResolverFirewallConfig(resource_id=<vpc>.id, "
            "firewall_fail_open='DISABLED') (components/network.py)."
        ),
        predicate=_dns_firewall,
        tags=("network", "dns"),
    ),
    Control(
        id="SR-NET-041",
        title="Every VPC logs its DNS queries to a KMS-encrypted destination",
        severity="medium",
        enforcement="mandatory",
        resource_types=(VPC,),
        scope="stack",
        rationale=(
            "Without Resolver query logs nobody can tell which names the workloads looked up: DNS "
            "tunnelling, a blocked exfiltration attempt or a compromised package go unseen."
        ),
        frameworks={"NIST-800-53-r5": ("AU-2", "AU-12", "SI-4"), "DORA": ("Art. 10",)},
        framework_note="FSBP Route53.2 covers public hosted zone query logging, not Resolver query logs.",
        remediation=(
            "Add an aws.route53.ResolverQueryLogConfig to a log group with kms_key_id set and a "
            "ResolverQueryLogConfigAssociation(resource_id=<vpc>.id)."
        ),
        predicate=_dns_query_logging,
        tags=("network", "dns", "logging"),
    ),
    Control(
        id="SR-NET-019",
        enforced_in=frozenset({"preview", "live"}),
        title="Flow logs are delivered inside the perimeter",
        severity="high",
        enforcement="mandatory",
        resource_types=(FLOW_LOG,),
        rationale=(
            "Flow logs delivered to another account's log group, bucket or stream hand the record of who "
            "talked to whom to that account, and out of the bank's reach."
        ),
        frameworks={"NIST-800-53-r5": ("AU-9", "SC-7", "AC-4")},
        framework_note="No CIS or FSBP control checks where flow logs are delivered.",
        remediation=(
            "Deliver flow logs to a log group or bucket of the stack, or one in an account of the perimeter."
        ),
        predicate=_flow_log_destination,
        tags=("network", "logging"),
    ),
)
