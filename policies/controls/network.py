"""Network isolation: no way in from or out to the internet, flow logs, closed defaults, endpoint policies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.model import Control, Predicate
from policies.props import (
    UNKNOWN,
    Index,
    PolicyDocumentError,
    Resource,
    UnknownValue,
    get,
    is_true,
    is_world_cidr,
    is_world_principal,
    policy_document,
    statements,
)

VPC = "aws:ec2/vpc:Vpc"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
INTERNET_GATEWAY_ATTACHMENT = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
EGRESS_ONLY_GATEWAY = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
SUBNET = "aws:ec2/subnet:Subnet"
INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
VPC_ENDPOINT_POLICY = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"

_NO_INTERNET_NOTE = (
    "No CIS or FSBP control forbids this resource outright; both assume some internet path exists."
)


def _forbidden(what: str) -> Predicate:
    def predicate(subject: Resource, _index: Index) -> Iterator[str]:
        yield f"{what} {subject.label} is not allowed: a Strongroom network has no path to the internet"

    return predicate


def _nat_gateway(subject: Resource, _index: Index) -> Iterator[str]:
    connectivity = subject.known("connectivityType", "public")
    if connectivity != "private":
        yield (
            f"NAT gateway {subject.label} has connectivityType '{connectivity}' (default 'public'): "
            "a public NAT gateway is a path to the internet"
        )


def _public_ip(subject: Resource, _index: Index) -> Iterator[str]:
    if subject.type == SUBNET:
        if is_true(subject.known("mapPublicIpOnLaunch", False)):
            yield f"subnet {subject.label} sets mapPublicIpOnLaunch=true"
    elif subject.type == INSTANCE:
        if is_true(subject.known("associatePublicIpAddress", False)):
            yield f"instance {subject.label} sets associatePublicIpAddress=true"
    else:
        for i, nic in enumerate(subject.known("networkInterfaces", []) or []):
            if is_true(get(nic, "associatePublicIpAddress")):
                yield (
                    f"launch template {subject.label} sets "
                    f"networkInterfaces[{i}].associatePublicIpAddress=true"
                )


def _route_destinations(subject: Resource) -> Iterator[tuple[str, Any]]:
    if subject.type == ROUTE:
        yield "destinationCidrBlock", subject.known("destinationCidrBlock")
        yield "destinationIpv6CidrBlock", subject.known("destinationIpv6CidrBlock")
    else:
        for i, route in enumerate(subject.known("routes", []) or []):
            yield f"routes[{i}].cidrBlock", get(route, "cidrBlock")
            yield f"routes[{i}].ipv6CidrBlock", get(route, "ipv6CidrBlock")


def _default_route(subject: Resource, _index: Index) -> Iterator[str]:
    for where, cidr in _route_destinations(subject):
        if is_world_cidr(cidr):
            yield f"route {subject.label} sends {cidr} ({where}) out of the VPC"


def _world_cidrs(owner: Resource, rule: Any, v4: str, v6: str) -> list[str]:
    found: list[str] = []
    for key in (v4, v6):
        value = get(rule, key)
        for cidr in value if isinstance(value, list) else [value]:
            if cidr is UNKNOWN:
                raise UnknownValue(owner.label, key)
            if is_world_cidr(cidr):
                found.append(cidr)
    return found


def _open_rules(subject: Resource, direction: str) -> Iterator[str]:
    if subject.type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for i, rule in enumerate(subject.known(direction, []) or []):
            for cidr in _world_cidrs(subject, rule, "cidrBlocks", "ipv6CidrBlocks"):
                yield f"security group {subject.label} {direction}[{i}] is open to {cidr}"
    elif subject.type == SECURITY_GROUP_RULE:
        if subject.known("type") == direction:
            for cidr in _world_cidrs(subject, subject.props, "cidrBlocks", "ipv6CidrBlocks"):
                yield f"security group rule {subject.label} ({direction}) is open to {cidr}"
    elif (subject.type == INGRESS_RULE) == (direction == "ingress"):
        for cidr in _world_cidrs(subject, subject.props, "cidrIpv4", "cidrIpv6"):
            yield f"security group rule {subject.label} ({direction}) is open to {cidr}"


def _open_ingress(subject: Resource, _index: Index) -> Iterator[str]:
    yield from _open_rules(subject, "ingress")


def _open_egress(subject: Resource, _index: Index) -> Iterator[str]:
    yield from _open_rules(subject, "egress")


def _flow_logs(subject: Resource, index: Index) -> Iterator[str]:
    logs = index.referencing(subject, FLOW_LOG, "vpcId")
    if not logs:
        yield f"VPC {subject.label} has no flow log (aws:ec2/flowLog:FlowLog with vpcId set to it)"
        return
    traffic = {log.known("trafficType", "ALL") for log in logs}
    if "ALL" not in traffic:
        yield f"VPC {subject.label} flow logs record only {'/'.join(sorted(traffic))} traffic, not ALL"


def _default_security_group(subject: Resource, index: Index) -> Iterator[str]:
    groups = index.referencing(subject, DEFAULT_SECURITY_GROUP, "vpcId")
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


def _full_access(document: dict[str, Any]) -> bool:
    for statement in statements(document):
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        actions = statement.get("Action")
        resources = statement.get("Resource")
        if (
            is_world_principal(statement)
            and "*" in (actions if isinstance(actions, list) else [actions])
            and "*" in (resources if isinstance(resources, list) else [resources])
        ):
            return True
    return False


def _endpoint_type(subject: Resource) -> str:
    return str(subject.known("vpcEndpointType", "Gateway"))


def _endpoint_policy(subject: Resource, index: Index) -> Iterator[str]:
    policies = [subject.known("policy")] if subject.get("policy") is not None else []
    policies += [p.known("policy") for p in index.referencing(subject, VPC_ENDPOINT_POLICY, "vpcEndpointId")]
    service = subject.get("serviceName")
    service = "?" if service is UNKNOWN else service
    if not policies:
        yield (
            f"VPC endpoint {subject.label} ({service}) has no policy, so AWS applies full access to any "
            "principal"
        )
        return
    for policy in policies:
        try:
            document = policy_document(policy)
        except PolicyDocumentError as exc:
            yield f"VPC endpoint {subject.label} ({service}) policy {exc}"
            continue
        if _full_access(document):
            yield (
                f"VPC endpoint {subject.label} ({service}) policy allows every action on every resource to "
                "any principal without a condition"
            )


def _is_gateway(subject: Resource, _index: Index) -> bool:
    return _endpoint_type(subject) == "Gateway"


def _is_interface(subject: Resource, _index: Index) -> bool:
    return _endpoint_type(subject) == "Interface"


def _private_dns(subject: Resource, _index: Index) -> Iterator[str]:
    if not is_true(subject.known("privateDnsEnabled", False)):
        yield (
            f"interface endpoint {subject.label} does not set privateDnsEnabled=true (default false): SDKs "
            "would resolve the public service endpoint"
        )


_NIST_BOUNDARY = ("SC-7", "SC-7(5)", "AC-4")

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-NET-001",
        title="No internet gateway",
        severity="critical",
        enforcement="mandatory",
        resource_types=(INTERNET_GATEWAY, INTERNET_GATEWAY_ATTACHMENT),
        rationale=(
            "An internet gateway attached to the VPC gives its subnets a route to and from the internet."
        ),
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY, "DORA": ("Art. 9(2)",)},
        framework_note=_NO_INTERNET_NOTE,
        remediation=(
            "Remove the internet gateway and its attachment; reach AWS services through VPC endpoints."
        ),
        predicate=_forbidden("internet gateway"),
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-002",
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
        title="No egress-only internet gateway",
        severity="critical",
        enforcement="mandatory",
        resource_types=(EGRESS_ONLY_GATEWAY,),
        rationale="An egress-only internet gateway gives IPv6 traffic a way out to the internet.",
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY},
        framework_note=_NO_INTERNET_NOTE,
        remediation="Remove the egress-only internet gateway.",
        predicate=_forbidden("egress-only internet gateway"),
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-004",
        title="No Elastic IP address",
        severity="high",
        enforcement="mandatory",
        resource_types=(EIP,),
        rationale="An Elastic IP is a public IPv4 address; nothing in a private environment needs one.",
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY},
        framework_note="FSBP EC2.12 only flags unused EIPs; no CIS or FSBP control forbids them.",
        remediation="Remove the Elastic IP.",
        predicate=_forbidden("Elastic IP"),
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-005",
        title="No public IP on subnets, instances or launch templates",
        severity="high",
        enforcement="mandatory",
        resource_types=(SUBNET, INSTANCE, LAUNCH_TEMPLATE),
        rationale="A public IP address makes an instance addressable from the internet.",
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY, "AWS-FSBP": ("EC2.9", "EC2.15", "EC2.25")},
        remediation="Leave mapPublicIpOnLaunch and associatePublicIpAddress unset or false.",
        predicate=_public_ip,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_88", "CKV_AWS_130"),
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-006",
        title="No route to 0.0.0.0/0 or ::/0",
        severity="high",
        enforcement="mandatory",
        resource_types=(ROUTE, ROUTE_TABLE),
        rationale="A default route sends any traffic for unknown destinations out of the VPC.",
        frameworks={"NIST-800-53-r5": _NIST_BOUNDARY},
        framework_note="CIS 5.5 covers only peering routes; no control forbids default routes.",
        remediation=(
            "Remove the default route; VPC endpoints need no route except the S3 gateway prefix list."
        ),
        predicate=_default_route,
        tags=("network", "internet"),
    ),
    Control(
        id="SR-NET-007",
        title="No security group ingress from 0.0.0.0/0 or ::/0",
        severity="critical",
        enforcement="mandatory",
        resource_types=(SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE),
        rationale="Ingress open to the whole internet, on any port, exposes the workload to anyone.",
        frameworks={
            "NIST-800-53-r5": ("SC-7", "AC-4", "CM-7"),
            "AWS-FSBP": ("EC2.53", "EC2.54", "EC2.19"),
            "CIS-AWS-3.0": ("5.2", "5.3"),
        },
        remediation="Allow ingress only from security groups or the VPC's own CIDR ranges.",
        predicate=_open_ingress,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"),
        tags=("network",),
    ),
    Control(
        id="SR-NET-008",
        title="No security group egress to 0.0.0.0/0 or ::/0",
        severity="high",
        enforcement="mandatory",
        resource_types=(SECURITY_GROUP, SECURITY_GROUP_RULE, EGRESS_RULE),
        rationale=(
            "Egress open to everywhere would become a path out the day a route to the internet appears."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "SC-7(5)", "AC-4"), "AWS-FSBP": ("EC2.18",)},
        remediation="Allow egress only to the endpoint security group, the S3 prefix list or the VPC CIDR.",
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
        rationale="Flow logs are the record of who talked to whom, needed to investigate an incident.",
        frameworks={
            "NIST-800-53-r5": ("AU-2", "AU-12", "SI-4"),
            "AWS-FSBP": ("EC2.6",),
            "CIS-AWS-3.0": ("3.7",),
            "DORA": ("Art. 10",),
        },
        remediation="Add an aws.ec2.FlowLog with vpc_id=<vpc>.id and traffic_type='ALL'.",
        predicate=_flow_logs,
        enforced_in=frozenset({"preview", "checkov"}),
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
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV2_AWS_12",),
        tags=("network",),
    ),
    Control(
        id="SR-NET-011",
        title="Gateway endpoint policy is not full access",
        severity="high",
        enforcement="mandatory",
        resource_types=(VPC_ENDPOINT,),
        scope="stack",
        applies=_is_gateway,
        applicability="gateway endpoints (vpcEndpointType unset or 'Gateway')",
        rationale=(
            "Without a policy the S3 gateway endpoint reaches every bucket in every account: an "
            "exfiltration path."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-4", "SC-7")},
        framework_note="No CIS or FSBP control inspects endpoint policies.",
        remediation=(
            "Set the endpoint policy to allow only this environment's buckets "
            "(components/policydocs/endpoint.py)."
        ),
        predicate=_endpoint_policy,
        tags=("network", "endpoint"),
    ),
    Control(
        id="SR-NET-012",
        title="Interface endpoint policy is not full access",
        severity="medium",
        enforcement="mandatory",
        resource_types=(VPC_ENDPOINT,),
        scope="stack",
        applies=_is_interface,
        applicability="interface endpoints (vpcEndpointType 'Interface')",
        rationale=(
            "An interface endpoint without a policy lets any credentials, from any account, use the service."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-4", "SC-7")},
        framework_note="No CIS or FSBP control inspects endpoint policies.",
        remediation="Set an endpoint policy limited to this account's principals (aws:PrincipalAccount).",
        predicate=_endpoint_policy,
        tags=("network", "endpoint"),
    ),
    Control(
        id="SR-NET-013",
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
)
