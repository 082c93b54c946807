"""Network controls: baseline compliant, each way to break them (including the reviewer's evasions of
issue #8: split ranges, other resource types, prefix lists, foreign endpoints), not applicable."""

from __future__ import annotations

import pytest
from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    TRUSTED_ACCOUNTS,
    Break,
    Spec,
    doc,
    messages_for,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from strongroom.components.policydocs.endpoint import (
    aws_owned_s3_read_arns,
    interface_endpoint_policy,
    s3_gateway_endpoint_policy,
)
from strongroom.policies.catalog import get
from strongroom.policies.controls.network import (
    ALB,
    AWS_SERVICE_OBJECTS,
    CARRIER_GATEWAY,
    CUSTOMER_GATEWAY,
    DEFAULT_ROUTE_TABLE,
    DEFAULT_SECURITY_GROUP,
    DEFAULT_SUBNET,
    DEFAULT_VPC,
    EGRESS_ONLY_GATEWAY,
    EGRESS_RULE,
    EIP,
    EIP_ASSOCIATION,
    ELB,
    FIREHOSE_STREAM,
    FIREWALL_ASSOCIATION,
    FIREWALL_CONFIG,
    FIREWALL_DOMAIN_LIST,
    FIREWALL_RULE,
    FIREWALL_RULE_GROUP,
    FLOW_LOG,
    INGRESS_RULE,
    INSTANCE,
    INTERNET_GATEWAY,
    INTERNET_GATEWAY_ATTACHMENT,
    LAUNCH_CONFIGURATION,
    LAUNCH_TEMPLATE,
    LB,
    LOG_GROUP,
    MANAGED_PREFIX_LIST,
    MANAGED_PREFIX_LIST_ENTRY,
    NAT_GATEWAY,
    QUERY_LOG_ASSOCIATION,
    QUERY_LOG_CONFIG,
    ROUTE,
    ROUTE_TABLE,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SPOT_FLEET_REQUEST,
    SPOT_INSTANCE_REQUEST,
    SUBNET,
    TGW_VPC_ATTACHMENT,
    VPC,
    VPC_ENDPOINT,
    VPC_ENDPOINT_POLICY,
    VPC_ENDPOINT_SERVICE,
    VPC_ENDPOINT_SERVICE_PRINCIPAL,
    VPC_PEERING,
    VPC_PEERING_ACCEPTER,
    VPN_GATEWAY,
    VPN_GATEWAY_ATTACHMENT,
    is_private_range,
)
from strongroom.policies.props import UNKNOWN_SENTINELS, Context, Resource

UNKNOWN = next(iter(sorted(UNKNOWN_SENTINELS)))
"""An engine sentinel: a value unknown during preview (`res` normalizes it)."""
ACCOUNT = "123456789012"
OTHER = "999999999999"

vpc = res(VPC, "vpc", cidrBlock="10.0.0.0/16", id="vpc-1")
flow_log = res(FLOW_LOG, "flow", deps={"vpcId": [vpc]}, vpcId="vpc-1", trafficType="ALL")
default_sg = res(DEFAULT_SECURITY_GROUP, "default-sg", deps={"vpcId": [vpc]}, vpcId="vpc-1")
subnet = res(SUBNET, "private-a", cidrBlock="10.0.0.0/20", subnetId="subnet-1")
sg = res(
    SECURITY_GROUP,
    "workload",
    ingress=[{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}],
    egress=[{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}],
)
confined = {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
endpoint_policy = doc(
    {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::data/*",
        "Condition": confined,
    }
)
full_access = doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
s3_gateway = res(
    VPC_ENDPOINT,
    "s3",
    serviceName="com.amazonaws.eu-west-2.s3",
    policy=endpoint_policy,
    prefixListId="pl-s3gateway",
    id="vpce-s3",
)
sts = res(
    VPC_ENDPOINT,
    "sts",
    serviceName="com.amazonaws.eu-west-2.sts",
    vpcEndpointType="Interface",
    privateDnsEnabled=True,
    policy=endpoint_policy,
    id="vpce-sts",
)
S3 = "VPC endpoint 's3' (com.amazonaws.eu-west-2.s3)"
STS = "VPC endpoint 'sts' (com.amazonaws.eu-west-2.sts)"
NO_PATH = "is not allowed: a Strongroom network has no path to the internet"
OTHER_NETWORK = "is not allowed: it connects the VPC to another network"
ONLY_LOCAL = "only the local route and the stack's own VPC endpoints may be route targets"
PUBLIC = "out of the VPC: only private ranges (RFC 1918, fc00::/7) may be routed"
STAR = (
    "allows principal '*' with no condition confining callers to the perimeter "
    "(aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceVpce, ... with StringEquals)"
)
ANY_RESOURCE = (
    "reaches resources of any account: no aws:ResourceAccount / aws:ResourceOrgID condition naming the "
    "perimeter (only reads of AWS-owned ARNs and ECR pulls from named registries are exempt)"
)
ANY_BUCKET = (
    "allows buckets of any account (Resource or NotResource by pattern) with no aws:ResourceAccount / "
    "aws:ResourceOrgID condition naming the perimeter"
)
public_list = res(MANAGED_PREFIX_LIST, "partners", id="pl-partners", entries=[{"cidr": "10.9.0.0/16"}])

SPECS: dict[str, Spec] = {
    "SR-NET-001": Spec(
        baseline=[vpc],
        breaks=[
            Break("gateway", [res(INTERNET_GATEWAY, "igw")], "igw", [f"internet gateway 'igw' {NO_PATH}"]),
            Break(
                "attachment",
                [res(INTERNET_GATEWAY_ATTACHMENT, "att", vpcId="vpc-1")],
                "att",
                [f"internet gateway attachment 'att' {NO_PATH}"],
            ),
            Break("default-vpc", [res(DEFAULT_VPC, "dv")], "dv", [f"default VPC 'dv' {NO_PATH}"]),
        ],
        forbidden=True,
        not_applicable=[vpc, subnet],
    ),
    "SR-NET-002": Spec(
        baseline=[res(NAT_GATEWAY, "private-nat", connectivityType="private")],
        breaks=[
            Break(
                "default-public",
                [res(NAT_GATEWAY, "nat")],
                "nat",
                [
                    "NAT gateway 'nat' has connectivityType 'public' (default 'public'): a public NAT "
                    "gateway is a path to the internet"
                ],
            ),
        ],
        not_applicable=[vpc],
    ),
    "SR-NET-003": Spec(
        baseline=[vpc],
        breaks=[
            Break(
                "eigw",
                [res(EGRESS_ONLY_GATEWAY, "eigw")],
                "eigw",
                [f"egress-only internet gateway 'eigw' {NO_PATH}"],
            )
        ],
        forbidden=True,
        not_applicable=[vpc],
    ),
    "SR-NET-004": Spec(
        baseline=[vpc],
        breaks=[
            Break("eip", [res(EIP, "ip", domain="vpc")], "ip", [f"Elastic IP 'ip' {NO_PATH}"]),
            Break(
                "association-of-an-eip-allocated-elsewhere",
                [res(EIP_ASSOCIATION, "assoc", allocationId="eipalloc-1", instanceId="i-1")],
                "assoc",
                [f"Elastic IP association 'assoc' {NO_PATH}"],
            ),
        ],
        forbidden=True,
        not_applicable=[vpc],
    ),
    "SR-NET-005": Spec(
        baseline=[
            subnet,
            res(INSTANCE, "box", associatePublicIpAddress=False, subnetId="subnet-1"),
            res(SPOT_INSTANCE_REQUEST, "spot", subnetId="subnet-1"),
            res(LAUNCH_TEMPLATE, "lt", networkInterfaces=[{"associatePublicIpAddress": "false"}]),
            res(LAUNCH_CONFIGURATION, "lc", associatePublicIpAddress=False),
            res(SPOT_FLEET_REQUEST, "fleet", launchSpecifications=[{"subnetId": "subnet-1"}]),
        ],
        breaks=[
            Break(
                "subnet",
                [res(SUBNET, "pub", mapPublicIpOnLaunch=True)],
                "pub",
                ["subnet 'pub' sets mapPublicIpOnLaunch=true"],
            ),
            Break(
                "default-subnet-maps-public-ips-by-default",
                [res(DEFAULT_SUBNET, "ds", availabilityZone="eu-west-2a")],
                "ds",
                ["subnet 'ds' sets mapPublicIpOnLaunch=true (a default subnet's default is true)"],
            ),
            Break(
                "subnet-customer-owned-ip",
                [res(SUBNET, "coip", mapCustomerOwnedIpOnLaunch="true")],
                "coip",
                ["subnet 'coip' sets mapCustomerOwnedIpOnLaunch=true"],
            ),
            Break(
                "instance",
                [res(INSTANCE, "box", associatePublicIpAddress=True, subnetId="subnet-1")],
                "box",
                ["instance 'box' sets associatePublicIpAddress=true"],
            ),
            Break(
                "instance-in-the-default-vpc",
                [res(INSTANCE, "box", ami="ami-1")],
                "box",
                [
                    "instance 'box' sets no subnetId, network interface or launch template, so it lands in "
                    "the default VPC's default subnet, which assigns a public IP"
                ],
            ),
            Break(
                "spot-instance",
                [res(SPOT_INSTANCE_REQUEST, "spot", associatePublicIpAddress=True, subnetId="subnet-1")],
                "spot",
                ["spot instance request 'spot' sets associatePublicIpAddress=true"],
            ),
            Break(
                "spot-fleet",
                [
                    res(
                        SPOT_FLEET_REQUEST,
                        "fleet",
                        launchSpecifications=[{"subnetId": "s"}, {"associatePublicIpAddress": True}],
                    )
                ],
                "fleet",
                ["spot fleet request 'fleet' sets launchSpecifications[1].associatePublicIpAddress=true"],
            ),
            Break(
                "launch-template",
                [res(LAUNCH_TEMPLATE, "lt", networkInterfaces=[{"associatePublicIpAddress": "true"}])],
                "lt",
                ["launch template 'lt' sets networkInterfaces[0].associatePublicIpAddress=true"],
            ),
            Break(
                "launch-template-carrier-ip",
                [res(LAUNCH_TEMPLATE, "lt", networkInterfaces=[{"associateCarrierIpAddress": True}])],
                "lt",
                ["launch template 'lt' sets networkInterfaces[0].associateCarrierIpAddress=true"],
            ),
            Break(
                "launch-configuration",
                [res(LAUNCH_CONFIGURATION, "lc", associatePublicIpAddress=True)],
                "lc",
                ["launch configuration 'lc' sets associatePublicIpAddress=true"],
            ),
        ],
        not_applicable=[vpc],
    ),
    "SR-NET-006": Spec(
        baseline=[
            res(ROUTE, "r", destinationCidrBlock="10.1.0.0/16", vpcEndpointId="vpce-1"),
            res(ROUTE_TABLE, "rt", routes=[{"cidrBlock": "10.1.0.0/16"}, {"ipv6CidrBlock": "fd00::/8"}]),
            res(DEFAULT_ROUTE_TABLE, "default-rt", routes=[]),
            s3_gateway,
            res(
                ROUTE,
                "to-s3",
                deps={"destinationPrefixListId": [s3_gateway]},
                destinationPrefixListId=UNKNOWN,
            ),
            public_list,
            res(ROUTE, "to-partners", destinationPrefixListId="pl-partners"),
        ],
        breaks=[
            Break(
                "route-v4",
                [res(ROUTE, "r", destinationCidrBlock="0.0.0.0/0")],
                "r",
                [f"route 'r' sends 0.0.0.0/0 (destinationCidrBlock) {PUBLIC}"],
            ),
            Break(
                "route-v6",
                [res(ROUTE, "r", destinationIpv6CidrBlock="::/0")],
                "r",
                [f"route 'r' sends ::/0 (destinationIpv6CidrBlock) {PUBLIC}"],
            ),
            Break(
                "inline",
                [res(ROUTE_TABLE, "rt", routes=[{"cidrBlock": "10.1.0.0/16"}, {"ipv6CidrBlock": "::/0"}])],
                "rt",
                [f"route 'rt' sends ::/0 (routes[1].ipv6CidrBlock) {PUBLIC}"],
            ),
            Break(
                "split-in-two-halves",
                [
                    rt := res(ROUTE_TABLE, "rt", routes=[{"cidrBlock": "0.0.0.0/1"}]),
                    res(ROUTE, "upper", deps={"routeTableId": [rt]}, destinationCidrBlock="128.0.0.0/1"),
                ],
                "rt",
                [f"route 'rt' sends 0.0.0.0/1 (routes[0].cidrBlock) {PUBLIC}"],
            ),
            Break(
                "split-other-half",
                [res(ROUTE, "upper", routeTableId="rtb-1", destinationCidrBlock="128.0.0.0/1")],
                "upper",
                [f"route 'upper' sends 128.0.0.0/1 (destinationCidrBlock) {PUBLIC}"],
            ),
            Break(
                "zero-and-loopback-half-is-not-private",
                [res(ROUTE, "low", destinationCidrBlock="0.0.0.0/1")],
                "low",
                [f"route 'low' sends 0.0.0.0/1 (destinationCidrBlock) {PUBLIC}"],
            ),
            Break(
                "one-public-address",
                [res(DEFAULT_ROUTE_TABLE, "default-rt", routes=[{"cidrBlock": "203.0.113.7/32"}])],
                "default-rt",
                [f"route 'default-rt' sends 203.0.113.7/32 (routes[0].cidrBlock) {PUBLIC}"],
            ),
            Break(
                "host-bits-and-spaces",
                [res(ROUTE, "r", destinationCidrBlock=" 8.8.8.8/0")],
                "r",
                [f"route 'r' sends  8.8.8.8/0 (destinationCidrBlock) {PUBLIC}"],
            ),
            Break(
                "ipv4-mapped-ipv6",
                [res(ROUTE, "r", destinationIpv6CidrBlock="::ffff:0:0/96")],
                "r",
                [f"route 'r' sends ::ffff:0:0/96 (destinationIpv6CidrBlock) {PUBLIC}"],
            ),
            Break(
                "not-a-cidr",
                [res(ROUTE, "r", destinationCidrBlock="everywhere")],
                "r",
                [f"route 'r' sends 'everywhere', which is not a CIDR (destinationCidrBlock) {PUBLIC}"],
            ),
            Break(
                "prefix-list-of-the-stack-with-a-public-entry",
                [
                    pl := res(MANAGED_PREFIX_LIST, "pl", id="pl-1", entries=[{"cidr": "10.0.0.0/8"}]),
                    res(
                        MANAGED_PREFIX_LIST_ENTRY,
                        "extra",
                        deps={"prefixListId": [pl]},
                        prefixListId="pl-1",
                        cidr="1.1.1.0/24",
                    ),
                    res(ROUTE, "r", destinationPrefixListId="pl-1"),
                ],
                "r",
                ["route 'r' reaches 1.1.1.0/24 through prefix list entry 'extra'"],
            ),
            Break(
                "aws-managed-prefix-list",
                [res(ROUTE, "r", destinationPrefixListId="pl-3b927c52")],
                "r",
                [
                    "route 'r' names prefix list pl-3b927c52 (destinationPrefixListId), which is neither a "
                    "prefix list nor a gateway endpoint of the stack, so its addresses can't be judged"
                ],
            ),
        ],
        not_applicable=[vpc],
    ),
    "SR-NET-007": Spec(
        baseline=[
            sg,
            res(INGRESS_RULE, "in", cidrIpv4="10.0.0.0/16"),
            res(SECURITY_GROUP_RULE, "rule", type="ingress", cidrBlocks=["10.0.0.0/8"]),
            res(SECURITY_GROUP_RULE, "out", type="egress", cidrBlocks=["0.0.0.0/0"]),
            public_list,
            res(INGRESS_RULE, "from-partners", prefixListId="pl-partners"),
        ],
        breaks=[
            Break(
                "inline-v4",
                [res(SECURITY_GROUP, "sg", ingress=[{"cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"]}])],
                "sg",
                ["security group 'sg' ingress[0] is open to 0.0.0.0/0"],
            ),
            Break(
                "inline-v6",
                [res(SECURITY_GROUP, "sg", ingress=[{"ipv6CidrBlocks": ["::/0"]}])],
                "sg",
                ["security group 'sg' ingress[0] is open to ::/0"],
            ),
            Break(
                "rule",
                [res(SECURITY_GROUP_RULE, "rule", type="ingress", cidrBlocks=["0.0.0.0/0"])],
                "rule",
                ["security group rule 'rule' (ingress) is open to 0.0.0.0/0"],
            ),
            Break(
                "vpc-rule",
                [res(INGRESS_RULE, "in", cidrIpv6="::/0")],
                "in",
                ["security group rule 'in' (ingress) is open to ::/0"],
            ),
            Break(
                "world-in-two-halves-inline",
                [
                    res(
                        SECURITY_GROUP,
                        "sg",
                        ingress=[{"cidrBlocks": ["0.0.0.0/1"]}, {"cidrBlocks": ["128.0.0.0/1"]}],
                    )
                ],
                "sg",
                [
                    "security group 'sg' ingress[0] is open to 0.0.0.0/1",
                    "security group 'sg' ingress[1] is open to 128.0.0.0/1",
                ],
            ),
            Break(
                "world-in-two-halves-standalone",
                [
                    group := res(SECURITY_GROUP, "sg", id="sg-1"),
                    res(INGRESS_RULE, "low", deps={"securityGroupId": [group]}, cidrIpv4="0.0.0.0/1"),
                    res(INGRESS_RULE, "high", deps={"securityGroupId": [group]}, cidrIpv4="128.0.0.0/1"),
                ],
                "high",
                ["security group rule 'high' (ingress) is open to 128.0.0.0/1"],
            ),
            Break(
                "one-public-range",
                [
                    res(
                        SECURITY_GROUP_RULE,
                        "rule",
                        type="ingress",
                        cidrBlocks=["10.0.0.0/8", "198.51.100.0/24"],
                    )
                ],
                "rule",
                ["security group rule 'rule' (ingress) is open to 198.51.100.0/24"],
            ),
            Break(
                "prefix-list-of-the-stack-with-a-public-entry",
                [
                    pl := res(MANAGED_PREFIX_LIST, "pl", id="pl-1", entries=[{"cidr": "0.0.0.0/0"}]),
                    res(INGRESS_RULE, "in", deps={"prefixListId": [pl]}, prefixListId=UNKNOWN),
                ],
                "in",
                [
                    "security group rule 'in' (ingress) reaches 0.0.0.0/0 through prefix list 'pl' "
                    "entries[0].cidr"
                ],
            ),
            Break(
                "cloudfront-origin-facing-prefix-list",
                [res(SECURITY_GROUP, "sg", ingress=[{"prefixListIds": ["pl-a3a144ca"], "fromPort": 443}])],
                "sg",
                [
                    "security group 'sg' ingress[0] names prefix list pl-a3a144ca "
                    "(ingress[0].prefixListIds[0]), which is neither a prefix list nor a gateway endpoint of "
                    "the stack, so its addresses can't be judged"
                ],
            ),
        ],
        not_applicable=[vpc, res(EGRESS_RULE, "out", cidrIpv4="0.0.0.0/0")],
    ),
    "SR-NET-008": Spec(
        baseline=[
            sg,
            res(EGRESS_RULE, "out", cidrIpv4="10.0.0.0/16"),
            s3_gateway,
            res(EGRESS_RULE, "to-s3", deps={"prefixListId": [s3_gateway]}, prefixListId=UNKNOWN),
            res(SECURITY_GROUP_RULE, "to-s3-by-id", type="egress", prefixListIds=["pl-s3gateway"]),
        ],
        breaks=[
            Break(
                "inline",
                [res(SECURITY_GROUP, "sg", egress=[{"cidrBlocks": ["0.0.0.0/0"]}])],
                "sg",
                ["security group 'sg' egress[0] is open to 0.0.0.0/0"],
            ),
            Break(
                "rule",
                [res(SECURITY_GROUP_RULE, "rule", type="egress", ipv6CidrBlocks=["::/0"])],
                "rule",
                ["security group rule 'rule' (egress) is open to ::/0"],
            ),
            Break(
                "vpc-rule",
                [res(EGRESS_RULE, "out", cidrIpv4="0.0.0.0/0")],
                "out",
                ["security group rule 'out' (egress) is open to 0.0.0.0/0"],
            ),
            Break(
                "public-ipv6-range",
                [res(EGRESS_RULE, "out", cidrIpv6="2001:db8::/32")],
                "out",
                ["security group rule 'out' (egress) is open to 2001:db8::/32"],
            ),
            Break(
                "literal-aws-managed-prefix-list",
                [res(EGRESS_RULE, "out", prefixListId="pl-7ca54015")],
                "out",
                [
                    "security group rule 'out' (egress) names prefix list pl-7ca54015 (prefixListId), which "
                    "is neither a prefix list nor a gateway endpoint of the stack, so its addresses can't be "
                    "judged"
                ],
            ),
        ],
        not_applicable=[vpc, res(INGRESS_RULE, "in", cidrIpv4="0.0.0.0/0")],
    ),
    "SR-NET-009": Spec(
        baseline=[vpc, flow_log],
        breaks=[
            Break(
                "missing",
                [vpc],
                "vpc",
                ["VPC 'vpc' has no flow log (aws:ec2/flowLog:FlowLog with vpcId set to it)"],
            ),
            Break(
                "another-vpc-computed-from-this-one",
                [vpc, res(FLOW_LOG, "flow", deps={"vpcId": [vpc]}, vpcId="vpc-other", trafficType="ALL")],
                "vpc",
                ["VPC 'vpc' has no flow log (aws:ec2/flowLog:FlowLog with vpcId set to it)"],
            ),
            Break(
                "other-vpc",
                [vpc, res(FLOW_LOG, "flow", deps={"vpcId": [res(VPC, "other")]}, trafficType="ALL")],
                "vpc",
                ["VPC 'vpc' has no flow log (aws:ec2/flowLog:FlowLog with vpcId set to it)"],
            ),
            Break(
                "subnet-flow-log-only",
                [
                    vpc,
                    res(
                        FLOW_LOG, "flow", deps={"subnetId": [subnet]}, subnetId="subnet-1", trafficType="ALL"
                    ),
                ],
                "vpc",
                ["VPC 'vpc' has no flow log (aws:ec2/flowLog:FlowLog with vpcId set to it)"],
            ),
            Break(
                "reject-only",
                [vpc, res(FLOW_LOG, "flow", deps={"vpcId": [vpc]}, vpcId="vpc-1", trafficType="REJECT")],
                "vpc",
                ["VPC 'vpc' flow logs record only REJECT traffic, not ALL"],
            ),
        ],
        not_applicable=[flow_log, subnet],
    ),
    "SR-NET-010": Spec(
        baseline=[vpc, default_sg],
        breaks=[
            Break(
                "unmanaged",
                [vpc],
                "vpc",
                [
                    "VPC 'vpc' leaves its default security group unmanaged, with AWS's default rules (add an "
                    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup with no rules)"
                ],
            ),
            Break(
                "rules",
                [
                    vpc,
                    res(
                        DEFAULT_SECURITY_GROUP,
                        "default-sg",
                        deps={"vpcId": [vpc]},
                        vpcId="vpc-1",
                        ingress=[{"self": True, "protocol": "-1"}],
                        egress=[{"cidrBlocks": ["10.0.0.0/8"]}],
                    ),
                ],
                "vpc",
                [
                    "default security group 'default-sg' of VPC 'vpc' has 1 ingress rule(s)",
                    "default security group 'default-sg' of VPC 'vpc' has 1 egress rule(s)",
                ],
            ),
        ],
        not_applicable=[default_sg],
    ),
    "SR-NET-011": Spec(
        baseline=[
            s3_gateway,
            res(
                VPC_ENDPOINT,
                "s3-repo",
                serviceName="com.amazonaws.eu-west-2.s3",
                policy=s3_gateway_endpoint_policy(ACCOUNT, "eu-west-2", ["arn:aws:s3:::sr-dev-*"]),
            ),
        ],
        breaks=[
            Break(
                "no-policy",
                [res(VPC_ENDPOINT, "s3", serviceName="com.amazonaws.eu-west-2.s3")],
                "s3",
                [f"{S3} has no policy, so AWS applies full access to any principal"],
            ),
            Break(
                "full-access",
                [res(VPC_ENDPOINT, "s3", serviceName="com.amazonaws.eu-west-2.s3", policy=full_access)],
                "s3",
                [f"{S3} policy {STAR}", f"{S3} policy {ANY_BUCKET}"],
            ),
            Break(
                "separate-policy-full-access",
                [
                    s3 := res(VPC_ENDPOINT, "s3", serviceName="com.amazonaws.eu-west-2.s3", id="vpce-s3"),
                    res(
                        VPC_ENDPOINT_POLICY,
                        "s3-policy",
                        deps={"vpcEndpointId": [s3]},
                        vpcEndpointId="vpce-s3",
                        policy=full_access,
                    ),
                ],
                "s3",
                [f"{S3} policy 's3-policy' {STAR}", f"{S3} policy 's3-policy' {ANY_BUCKET}"],
            ),
            Break(
                "principal-star-on-named-buckets-without-condition",
                [
                    res(
                        VPC_ENDPOINT,
                        "s3",
                        serviceName="com.amazonaws.eu-west-2.s3",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "*"},
                                "Action": "s3:*",
                                "Resource": "arn:aws:s3:::data/*",
                            }
                        ),
                    )
                ],
                "s3",
                [f"{S3} policy {STAR}"],
            ),
            Break(
                "confined-principals-but-every-bucket",
                [
                    res(
                        VPC_ENDPOINT,
                        "s3",
                        serviceName="com.amazonaws.eu-west-2.s3",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:PutObject",
                                "Resource": "arn:aws:s3:::*/*",
                                "Condition": confined,
                            }
                        ),
                    )
                ],
                "s3",
                [f"{S3} policy {ANY_BUCKET}"],
            ),
            Break(
                "principal-of-another-account",
                [
                    res(
                        VPC_ENDPOINT,
                        "s3",
                        serviceName="com.amazonaws.eu-west-2.s3",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                                "Action": "s3:GetObject",
                                "Resource": "arn:aws:s3:::data/*",
                            }
                        ),
                    )
                ],
                "s3",
                [
                    f"{S3} policy allows principal 'arn:aws:iam::{OTHER}:root' of account {OTHER}, outside "
                    "the perimeter"
                ],
            ),
            Break(
                "policy-on-an-endpoint-outside-the-stack",
                [res(VPC_ENDPOINT_POLICY, "p", vpcEndpointId="vpce-0abc", policy=full_access)],
                "p",
                [
                    f"VPC endpoint policy 'p' (endpoint vpce-0abc) {STAR}",
                    f"VPC endpoint policy 'p' (endpoint vpce-0abc) {ANY_BUCKET}",
                ],
            ),
            Break(
                "bad-json",
                [res(VPC_ENDPOINT, "s3", serviceName="com.amazonaws.eu-west-2.s3", policy="{")],
                "s3",
                [
                    f"{S3} policy is not valid JSON (Expecting property name enclosed in double quotes at "
                    "character 1)"
                ],
            ),
        ],
        not_applicable=[
            sts,
            res(
                VPC_ENDPOINT_POLICY,
                "attached",
                deps={"vpcEndpointId": [sts]},
                vpcEndpointId="vpce-sts",
                policy=endpoint_policy,
            ),
        ],
    ),
    "SR-NET-012": Spec(
        baseline=[
            res(
                VPC_ENDPOINT,
                "sts",
                serviceName="com.amazonaws.eu-west-2.sts",
                vpcEndpointType="Interface",
                privateDnsEnabled=True,
                policy=interface_endpoint_policy(ACCOUNT, "sts", "eu-west-2"),
            ),
            res(
                VPC_ENDPOINT,
                "ssm-aws-owned",
                serviceName="com.amazonaws.eu-west-2.ssm",
                vpcEndpointType="Interface",
                policy=doc(
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}
                        },
                    },
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["ssm:GetParameter", "ssm:GetDocument"],
                        "Resource": [
                            "arn:aws:ssm:eu-west-2::parameter/aws/*",
                            "arn:aws:ssm:eu-west-2::document/*",
                        ],
                        "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
                    },
                ),
            ),
            res(
                VPC_ENDPOINT,
                "ecr",
                serviceName="com.amazonaws.eu-west-2.ecr.dkr",
                vpcEndpointType="Interface",
                policy=interface_endpoint_policy(ACCOUNT, "ecr.dkr", "eu-west-2", "aws", ["763104351884"]),
            ),
            res(
                VPC_ENDPOINT,
                "notebook",
                serviceName="aws.sagemaker.eu-west-2.notebook",
                vpcEndpointType="Interface",
                policy=interface_endpoint_policy(ACCOUNT, "notebook", "eu-west-2"),
            ),
            res(
                VPC_ENDPOINT,
                "kms",
                serviceName="com.amazonaws.eu-west-2.kms",
                vpcEndpointType="Interface",
                privateDnsEnabled=True,
                policy=interface_endpoint_policy(ACCOUNT),
            ),
            vpc,
            res(
                VPC_ENDPOINT,
                "ssm",
                serviceName="com.amazonaws.eu-west-2.ssm",
                vpcEndpointType="Interface",
                privateDnsEnabled=True,
                policy=doc(
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "ssm:*",
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {"aws:SourceVpc": "vpc-1", "aws:ResourceAccount": ACCOUNT}
                        },
                    }
                ),
            ),
        ],
        breaks=[
            Break(
                "principal-star-through-an-endpoint-that-is-not-the-stacks",
                [
                    vpc,
                    res(
                        VPC_ENDPOINT,
                        "sts",
                        vpcEndpointType="Interface",
                        serviceName="com.amazonaws.eu-west-2.sts",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "sts:*",
                                "Resource": "*",
                                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0badc0ffee0badc0f"}},
                            }
                        ),
                    ),
                ],
                "sts",
                [f"{STS} policy {STAR}", f"{STS} policy {ANY_RESOURCE}"],
            ),
            Break(
                "no-policy",
                [
                    res(
                        VPC_ENDPOINT,
                        "sts",
                        vpcEndpointType="Interface",
                        serviceName="com.amazonaws.eu-west-2.sts",
                    )
                ],
                "sts",
                [f"{STS} has no policy, so AWS applies full access to any principal"],
            ),
            Break(
                "separate-policy-widens-to-principal-star",
                [
                    ep := res(
                        VPC_ENDPOINT,
                        "sts",
                        vpcEndpointType="Interface",
                        serviceName="com.amazonaws.eu-west-2.sts",
                        policy=endpoint_policy,
                        id="vpce-sts",
                    ),
                    res(
                        VPC_ENDPOINT_POLICY,
                        "wide",
                        deps={"vpcEndpointId": [ep]},
                        vpcEndpointId="vpce-sts",
                        policy=doc({"Effect": "Allow", "Principal": "*", "Action": "sts:*", "Resource": "*"}),
                    ),
                ],
                "sts",
                [
                    f"{STS} policy {ANY_RESOURCE}",
                    f"{STS} policy 'wide' {STAR}",
                    f"{STS} policy 'wide' {ANY_RESOURCE}",
                ],
            ),
            Break(
                "condition-on-an-account-outside-the-perimeter",
                [
                    res(
                        VPC_ENDPOINT,
                        "sts",
                        vpcEndpointType="Interface",
                        serviceName="com.amazonaws.eu-west-2.sts",
                        policy=interface_endpoint_policy(OTHER),
                    )
                ],
                "sts",
                [f"{STS} policy {STAR}", f"{STS} policy {ANY_RESOURCE}"],
            ),
            Break(
                "principals-confined-but-any-resource-account",
                [sts],
                "sts",
                [f"{STS} policy {ANY_RESOURCE}"],
            ),
            Break(
                "resource-account-by-string-like-wildcard",
                [
                    res(
                        VPC_ENDPOINT,
                        "sts",
                        vpcEndpointType="Interface",
                        serviceName="com.amazonaws.eu-west-2.sts",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "*",
                                "Resource": "*",
                                "Condition": confined | {"StringLike": {"aws:ResourceAccount": "*"}},
                            }
                        ),
                    )
                ],
                "sts",
                [f"{STS} policy {ANY_RESOURCE}"],
            ),
            Break(
                "aws-owned-exemption-does-not-cover-writes-or-s3",
                [
                    res(
                        VPC_ENDPOINT,
                        "sts",
                        vpcEndpointType="Interface",
                        serviceName="com.amazonaws.eu-west-2.sts",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "ssm:PutParameter",
                                "Resource": "arn:aws:ssm:eu-west-2::parameter/aws/*",
                                "Condition": confined,
                            },
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:GetObject",
                                "Resource": "arn:aws:s3:::attacker-bucket/*",
                                "Condition": confined,
                            },
                        ),
                    )
                ],
                "sts",
                [f"{STS} policy {ANY_RESOURCE}"],
            ),
            Break(
                "image-pulls-from-any-registry-account-or-with-push",
                [
                    res(
                        VPC_ENDPOINT,
                        "sts",
                        vpcEndpointType="Interface",
                        serviceName="com.amazonaws.eu-west-2.sts",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "ecr:BatchGetImage",
                                "Resource": "arn:aws:ecr:eu-west-2:*:repository/*",
                                "Condition": confined,
                            },
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": ["ecr:BatchGetImage", "ecr:PutImage"],
                                "Resource": "arn:aws:ecr:eu-west-2:999999999999:repository/*",
                                "Condition": {
                                    "StringEquals": {
                                        "aws:PrincipalAccount": ACCOUNT,
                                        "aws:ResourceAccount": "999999999999",
                                    }
                                },
                            },
                        ),
                    )
                ],
                "sts",
                [f"{STS} policy {ANY_RESOURCE}"],
            ),
            Break(
                "ui-exemption-only-for-sagemakers-ui-service-names",
                [
                    res(
                        VPC_ENDPOINT,
                        "api",
                        vpcEndpointType="Interface",
                        serviceName="com.amazonaws.eu-west-2.sagemaker.api",
                        policy=interface_endpoint_policy(ACCOUNT, "notebook", "eu-west-2"),
                    )
                ],
                "api",
                [f"VPC endpoint 'api' (com.amazonaws.eu-west-2.sagemaker.api) policy {ANY_RESOURCE}"],
            ),
        ],
        not_applicable=[s3_gateway],
    ),
    "SR-NET-013": Spec(
        baseline=[sts],
        breaks=[
            Break(
                "unset",
                [res(VPC_ENDPOINT, "sts", vpcEndpointType="Interface", policy=endpoint_policy)],
                "sts",
                [
                    "interface endpoint 'sts' does not set privateDnsEnabled=true (default false): SDKs "
                    "would resolve the public service endpoint"
                ],
            ),
        ],
        not_applicable=[s3_gateway],
    ),
    "SR-NET-014": Spec(
        baseline=[
            s3_gateway,
            res(
                ROUTE,
                "via-endpoint",
                deps={"vpcEndpointId": [s3_gateway]},
                destinationCidrBlock="10.2.0.0/16",
                vpcEndpointId=UNKNOWN,
            ),
            res(
                ROUTE_TABLE,
                "rt",
                routes=[{"cidrBlock": "10.0.0.0/16", "gatewayId": "local", "natGatewayId": ""}],
            ),
            res(
                DEFAULT_ROUTE_TABLE,
                "default-rt",
                routes=[{"cidrBlock": "10.3.0.0/16", "vpcEndpointId": "vpce-s3"}],
            ),
        ],
        breaks=[
            Break(
                "internet-gateway-by-id",
                [res(ROUTE, "r", destinationCidrBlock="10.9.0.0/16", gatewayId="igw-0123")],
                "r",
                [f"route 'r' sends 10.9.0.0/16 to gatewayId igw-0123: {ONLY_LOCAL}"],
            ),
            Break(
                "internet-gateway-of-the-stack",
                [
                    igw := res(INTERNET_GATEWAY, "igw"),
                    res(
                        ROUTE,
                        "r",
                        deps={"gatewayId": [igw]},
                        destinationCidrBlock="10.9.0.0/16",
                        gatewayId=UNKNOWN,
                    ),
                ],
                "r",
                [f"route 'r' sends 10.9.0.0/16 to gatewayId (unknown until apply): {ONLY_LOCAL}"],
            ),
            Break(
                "internet-gateway-computed-from-the-stacks-endpoint",
                [
                    s3_gateway,
                    res(
                        ROUTE,
                        "r",
                        deps={"gatewayId": [s3_gateway]},
                        destinationCidrBlock="10.9.0.0/16",
                        gatewayId="igw-0123456789abcdef0",
                    ),
                ],
                "r",
                [f"route 'r' sends 10.9.0.0/16 to gatewayId igw-0123456789abcdef0: {ONLY_LOCAL}"],
            ),
            Break(
                "nat-gateway",
                [res(ROUTE_TABLE, "rt", routes=[{"cidrBlock": "10.9.0.0/16", "natGatewayId": "nat-1"}])],
                "rt",
                [f"route 'rt' sends 10.9.0.0/16 to routes[0].natGatewayId nat-1: {ONLY_LOCAL}"],
            ),
            *[
                Break(
                    key,
                    [res(ROUTE, "r", destinationCidrBlock="10.9.0.0/16", **{key: value})],
                    "r",
                    [f"route 'r' sends 10.9.0.0/16 to {key} {value}: {ONLY_LOCAL}"],
                )
                for key, value in (
                    ("vpcPeeringConnectionId", "pcx-1"),
                    ("transitGatewayId", "tgw-1"),
                    ("carrierGatewayId", "cagw-1"),
                    ("egressOnlyGatewayId", "eigw-1"),
                    ("localGatewayId", "lgw-1"),
                    ("networkInterfaceId", "eni-1"),
                    ("coreNetworkArn", f"arn:aws:networkmanager::{OTHER}:core-network/core-network-1"),
                    ("vpcEndpointId", "vpce-0gwlb"),
                )
            ],
            Break(
                "instance-in-default-table",
                [
                    res(
                        DEFAULT_ROUTE_TABLE,
                        "drt",
                        routes=[{"ipv6CidrBlock": "fd00::/8", "instanceId": "i-1"}],
                    )
                ],
                "drt",
                [f"route 'drt' sends fd00::/8 to routes[0].instanceId i-1: {ONLY_LOCAL}"],
            ),
            Break(
                "propagating-virtual-private-gateway",
                [res(ROUTE_TABLE, "rt", routes=[], propagatingVgws=["vgw-1"])],
                "rt",
                ["route table 'rt' propagates routes from virtual private gateway(s) vgw-1"],
            ),
        ],
        not_applicable=[vpc, s3_gateway],
    ),
    "SR-NET-015": Spec(
        baseline=[
            res(LB, "nlb", internal=True, loadBalancerType="network"),
            res(ALB, "alb", internal=True),
            res(ELB, "classic", internal="true"),
        ],
        breaks=[
            Break(
                "lb-default",
                [res(LB, "nlb")],
                "nlb",
                ["load balancer 'nlb' is internet-facing (internal=False, default false)"],
            ),
            Break(
                "alb-false",
                [res(ALB, "alb", internal=False)],
                "alb",
                ["load balancer 'alb' is internet-facing (internal=False, default false)"],
            ),
            Break(
                "classic-elb",
                [res(ELB, "classic", internal="false")],
                "classic",
                ["load balancer 'classic' is internet-facing (internal=false, default false)"],
            ),
        ],
        not_applicable=[vpc],
    ),
    "SR-NET-016": Spec(
        baseline=[vpc],
        breaks=[
            Break(name, [res(type_, "x")], "x", [f"{name} 'x' {OTHER_NETWORK}"])
            for type_, name in (
                (VPC_PEERING, "VPC peering connection"),
                (VPC_PEERING_ACCEPTER, "VPC peering connection accepter"),
                (TGW_VPC_ATTACHMENT, "transit gateway VPC attachment"),
                (VPN_GATEWAY, "virtual private gateway"),
                (VPN_GATEWAY_ATTACHMENT, "virtual private gateway attachment"),
                (CUSTOMER_GATEWAY, "customer gateway"),
                (CARRIER_GATEWAY, "carrier gateway"),
            )
        ],
        forbidden=True,
        not_applicable=[vpc, s3_gateway],
    ),
    "SR-NET-017": Spec(
        baseline=[
            s3_gateway,
            sts,
            res(
                VPC_ENDPOINT,
                "notebook",
                serviceName="aws.sagemaker.eu-west-2.notebook",
                vpcEndpointType="Interface",
            ),
            service := res(
                VPC_ENDPOINT_SERVICE, "svc", serviceName="com.amazonaws.vpce.eu-west-2.vpce-svc-0own"
            ),
            res(
                VPC_ENDPOINT,
                "own",
                deps={"serviceName": [service]},
                serviceName=UNKNOWN,
                vpcEndpointType="Interface",
            ),
            res(
                VPC_ENDPOINT,
                "own-by-name",
                serviceName="com.amazonaws.vpce.eu-west-2.vpce-svc-0own",
                vpcEndpointType="Interface",
            ),
        ],
        breaks=[
            Break(
                "another-accounts-privatelink-service",
                [
                    res(
                        VPC_ENDPOINT,
                        "partner",
                        serviceName="com.amazonaws.vpce.eu-west-2.vpce-svc-0123456789abcdef0",
                        vpcEndpointType="Interface",
                    )
                ],
                "partner",
                [
                    "VPC endpoint 'partner' (Interface) connects to service "
                    "com.amazonaws.vpce.eu-west-2.vpce-svc-0123456789abcdef0, which is neither an AWS "
                    "service nor an endpoint service of the stack: another account's service"
                ],
            ),
            Break(
                "another-service-named-from-the-stacks-service",
                [
                    own := res(
                        VPC_ENDPOINT_SERVICE, "svc", serviceName="com.amazonaws.vpce.eu-west-2.vpce-svc-0own"
                    ),
                    res(
                        VPC_ENDPOINT,
                        "partner",
                        deps={"serviceName": [own]},
                        serviceName="com.amazonaws.vpce.eu-west-2.vpce-svc-0123456789abcdef0",
                        vpcEndpointType="Interface",
                    ),
                ],
                "partner",
                [
                    "VPC endpoint 'partner' (Interface) connects to service "
                    "com.amazonaws.vpce.eu-west-2.vpce-svc-0123456789abcdef0, which is neither an AWS "
                    "service nor an endpoint service of the stack: another account's service"
                ],
            ),
            Break(
                "gateway-load-balancer-endpoint",
                [
                    res(
                        VPC_ENDPOINT,
                        "gwlb",
                        serviceName="com.amazonaws.vpce.eu-west-2.vpce-svc-0fw",
                        vpcEndpointType="GatewayLoadBalancer",
                    )
                ],
                "gwlb",
                [
                    "VPC endpoint 'gwlb' (GatewayLoadBalancer) connects to service "
                    "com.amazonaws.vpce.eu-west-2.vpce-svc-0fw, which is neither an AWS service nor an "
                    "endpoint service of the stack: another account's service"
                ],
            ),
            Break(
                "service-network-of-another-account",
                [
                    res(
                        VPC_ENDPOINT,
                        "lattice",
                        vpcEndpointType="ServiceNetwork",
                        serviceNetworkArn=f"arn:aws:vpc-lattice:eu-west-2:{OTHER}:servicenetwork/sn-1",
                    )
                ],
                "lattice",
                [
                    f"VPC endpoint 'lattice' serviceNetworkArn is arn:aws:vpc-lattice:eu-west-2:{OTHER}:"
                    f"servicenetwork/sn-1, in account {OTHER}, outside the perimeter"
                ],
            ),
        ],
        not_applicable=[vpc],
    ),
    "SR-NET-018": Spec(
        baseline=[
            res(VPC_ENDPOINT_SERVICE, "svc", allowedPrincipals=[f"arn:aws:iam::{ACCOUNT}:root"]),
            res(VPC_ENDPOINT_SERVICE_PRINCIPAL, "p", principalArn=f"arn:aws:iam::{ACCOUNT}:role/app"),
        ],
        breaks=[
            Break(
                "principal-of-another-account",
                [res(VPC_ENDPOINT_SERVICE_PRINCIPAL, "p", principalArn=f"arn:aws:iam::{OTHER}:root")],
                "p",
                [
                    f"endpoint service 'p' allows principal 'arn:aws:iam::{OTHER}:root' of account {OTHER}, "
                    "outside the perimeter"
                ],
            ),
            Break(
                "everyone",
                [res(VPC_ENDPOINT_SERVICE, "svc", allowedPrincipals=["*"])],
                "svc",
                ["endpoint service 'svc' allows principal '*' of account *, outside the perimeter"],
            ),
        ],
        not_applicable=[vpc, sts],
    ),
    "SR-NET-019": Spec(
        baseline=[
            group := res("aws:cloudwatch/logGroup:LogGroup", "flow-logs"),
            res(FLOW_LOG, "flow", deps={"logDestination": [group]}, logDestination=UNKNOWN, vpcId="vpc-1"),
            res(
                FLOW_LOG,
                "central",
                logDestination=f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:central",
                subnetId="s",
            ),
        ],
        breaks=[
            Break(
                "another-accounts-log-group-computed-from-the-stacks",
                [
                    group,
                    res(
                        FLOW_LOG,
                        "flow",
                        deps={"logDestination": [group]},
                        logDestination=f"arn:aws:logs:eu-west-2:{OTHER}:log-group:x",
                        vpcId="vpc-1",
                    ),
                ],
                "flow",
                [
                    f"flow log 'flow' logDestination is arn:aws:logs:eu-west-2:{OTHER}:log-group:x, in "
                    f"account {OTHER}, outside the perimeter"
                ],
            ),
            Break(
                "unknown-destination-computed-from-no-destination-of-the-stack",
                [
                    vpc,
                    res(
                        FLOW_LOG,
                        "flow",
                        deps={"logDestination": [vpc]},
                        logDestination=UNKNOWN,
                        vpcId="vpc-1",
                    ),
                ],
                "flow",
                ["logDestination of 'flow' can't be known during preview"],
            ),
            Break(
                "log-group-of-another-account",
                [
                    res(
                        FLOW_LOG,
                        "flow",
                        logDestination=f"arn:aws:logs:eu-west-2:{OTHER}:log-group:x",
                        vpcId="v",
                    )
                ],
                "flow",
                [
                    f"flow log 'flow' logDestination is arn:aws:logs:eu-west-2:{OTHER}:log-group:x, in "
                    f"account {OTHER}, outside the perimeter"
                ],
            ),
            Break(
                "bucket-outside-the-stack",
                [
                    res(
                        FLOW_LOG,
                        "flow",
                        logDestinationType="s3",
                        logDestination="arn:aws:s3:::their-bucket",
                        eniId="e",
                    )
                ],
                "flow",
                [
                    "flow log 'flow' logDestination is arn:aws:s3:::their-bucket, which is not a resource of "
                    "the stack and names no account, so its owner can't be judged"
                ],
            ),
            Break(
                "cross-account-delivery-role",
                [
                    group,
                    res(
                        FLOW_LOG,
                        "flow",
                        deps={"logDestination": [group]},
                        logDestination=UNKNOWN,
                        deliverCrossAccountRole=f"arn:aws:iam::{OTHER}:role/deliver",
                    ),
                ],
                "flow",
                [
                    f"flow log 'flow' deliverCrossAccountRole is arn:aws:iam::{OTHER}:role/deliver, in "
                    f"account {OTHER}, outside the perimeter"
                ],
            ),
        ],
        not_applicable=[vpc],
    ),
}


@pytest.mark.parametrize(
    ("cidr", "private"),
    [
        ("10.0.0.0/8", True),
        ("172.31.255.0/24", True),
        ("192.168.1.1/32", True),
        ("fd12:3456::/48", True),
        ("0.0.0.0/1", False),
        ("128.0.0.0/1", False),
        ("172.0.0.0/8", False),
        ("10.0.0.0/7", False),
        ("100.64.0.0/10", False),
        ("::/0", False),
        ("::ffff:10.0.0.0/104", False),
    ],
)
def test_only_rfc1918_and_unique_local_ranges_are_private(cidr: str, private: bool) -> None:
    assert is_private_range(cidr) is private


def test_aws_service_bucket_pattern_matches_the_buckets_the_s3_endpoint_policy_names() -> None:
    for region in ("eu-west-2", "us-east-1", "ap-southeast-2"):
        for arn in aws_owned_s3_read_arns(region):
            assert AWS_SERVICE_OBJECTS.match(arn), arn
    assert not AWS_SERVICE_OBJECTS.match("arn:aws:s3:::prod-eu-west-2-starport-layer-bucket-evil/*")


def test_a_value_unknown_at_preview_is_a_finding_not_a_pass() -> None:
    stack = [res(ROUTE, "r", destinationCidrBlock=UNKNOWN)]
    index_messages = messages_for(get("SR-NET-006"), stack, "r")
    assert index_messages == ["destinationCidrBlock of 'r' can't be known during preview"]


def test_endpoint_policy_conditions_cannot_be_judged_without_a_perimeter() -> None:
    stack = [res(VPC_ENDPOINT, "sts", vpcEndpointType="Interface", policy=interface_endpoint_policy(ACCOUNT))]
    assert messages_for(get("SR-NET-012"), stack, "sts", Context(stack="dev")) == [
        "an endpoint policy's condition can't be judged: no perimeter is configured "
        "(strongroom:perimeter.trustedAccounts / organizationId, or the pack's policy config)"
    ]
    assert messages_for(get("SR-NET-012"), stack, "sts", Context(trusted_accounts=TRUSTED_ACCOUNTS)) == []


# -- SR-NET-040 / SR-NET-041: DNS Firewall and Resolver query logging -------------------------------------

dl_aws = res(FIREWALL_DOMAIN_LIST, "aws-domains", id="rslvr-fdl-aws", domains=["*.eu-west-2.amazonaws.com"])
dl_all = res(FIREWALL_DOMAIN_LIST, "all-domains", id="rslvr-fdl-all", domains=["*"])
dns_group = res(FIREWALL_RULE_GROUP, "dns-fw", id="rslvr-frg-1")


def fw_rule(name: str, domain_list: str, action: str, priority: int) -> Resource:
    return res(
        FIREWALL_RULE,
        name,
        firewallRuleGroupId="rslvr-frg-1",
        firewallDomainListId=domain_list,
        action=action,
        priority=priority,
    )


allow_aws = fw_rule("allow-aws", "rslvr-fdl-aws", "ALLOW", 100)
block_all = fw_rule("block-all", "rslvr-fdl-all", "BLOCK", 9000)
dns_assoc = res(
    FIREWALL_ASSOCIATION, "dns-fw-vpc", firewallRuleGroupId="rslvr-frg-1", vpcId="vpc-1", priority=101
)
fw_config = res(FIREWALL_CONFIG, "dns-fw-config", resourceId="vpc-1", firewallFailOpen="DISABLED")
DNS_FIREWALL = [vpc, dl_aws, dl_all, dns_group, allow_aws, block_all, dns_assoc, fw_config]
NO_BLOCK_ALL = (
    "VPC 'vpc' has no DNS Firewall rule group whose last rule blocks every domain (action BLOCK on a domain "
    "list of the stack holding '*')"
)

dns_logs = res(
    LOG_GROUP,
    "dns-logs",
    arn="arn:aws:logs:eu-west-2:123456789012:log-group:dns",
    kmsKeyId="arn:aws:kms:eu-west-2:123456789012:key/1",
)
query_log = res(
    QUERY_LOG_CONFIG,
    "dns-log",
    id="rqlc-1",
    destinationArn="arn:aws:logs:eu-west-2:123456789012:log-group:dns",
)
query_log_vpc = res(
    QUERY_LOG_ASSOCIATION, "dns-log-vpc", resolverQueryLogConfigId="rqlc-1", resourceId="vpc-1"
)
firehose = res(FIREHOSE_STREAM, "fh")

SPECS["SR-NET-040"] = Spec(
    baseline=DNS_FIREWALL,
    breaks=[
        Break(
            "no-association",
            [vpc, fw_config],
            "vpc",
            [
                "VPC 'vpc' has no DNS Firewall rule group association "
                f"({FIREWALL_ASSOCIATION} with vpcId set to it): any name resolves, a way out over DNS"
            ],
        ),
        Break(
            "alert-on-star-before-the-block-lets-everything-through-lowercase-action",
            [*DNS_FIREWALL, fw_rule("allow-all", "rslvr-fdl-all", "alert", 50)],
            "vpc",
            ["DNS Firewall rule 'allow-all' of rule group 'dns-fw' lets every domain through (ALERT on '*')"],
        ),
        Break(
            "block-on-a-list-not-of-the-stack",
            [
                vpc,
                dl_aws,
                dns_group,
                allow_aws,
                fw_rule("block-all", "rslvr-fdl-managed", "BLOCK", 9000),
                dns_assoc,
                fw_config,
            ],
            "vpc",
            [NO_BLOCK_ALL],
        ),
        Break(
            "block-all-first-then-allow-last",
            [
                vpc,
                dl_aws,
                dl_all,
                dns_group,
                fw_rule("allow-aws", "rslvr-fdl-aws", "ALLOW", 9000),
                fw_rule("block-all", "rslvr-fdl-all", "BLOCK", 100),
                dns_assoc,
                fw_config,
            ],
            "vpc",
            [NO_BLOCK_ALL],
        ),
        Break(
            "block-of-a-wildcard-that-is-not-everything",
            [
                vpc,
                dns_group,
                res(FIREWALL_DOMAIN_LIST, "com", id="rslvr-fdl-com", domains=["*.com"]),
                fw_rule("block-com", "rslvr-fdl-com", "BLOCK", 9000),
                dns_assoc,
                fw_config,
            ],
            "vpc",
            [NO_BLOCK_ALL],
        ),
        Break(
            "rule-group-of-another-stack",
            [
                vpc,
                res(FIREWALL_ASSOCIATION, "dns-fw-vpc", firewallRuleGroupId="rslvr-frg-9", vpcId="vpc-1"),
                fw_config,
            ],
            "vpc",
            [
                "DNS Firewall association 'dns-fw-vpc' of VPC 'vpc' names rule group rslvr-frg-9, which is "
                "no rule group of the stack, so its rules can't be judged",
                NO_BLOCK_ALL,
            ],
        ),
        Break(
            "empty-rule-group",
            [vpc, dns_group, dns_assoc, fw_config],
            "vpc",
            ["DNS Firewall rule group 'dns-fw' has no rules, so it blocks nothing", NO_BLOCK_ALL],
        ),
        Break(
            "fails-open",
            [
                *DNS_FIREWALL[:-1],
                res(FIREWALL_CONFIG, "dns-fw-config", resourceId="vpc-1", firewallFailOpen="ENABLED"),
            ],
            "vpc",
            [
                "DNS Firewall config 'dns-fw-config' of VPC 'vpc' sets firewallFailOpen=ENABLED: it must be "
                "'DISABLED' (fail closed)"
            ],
        ),
        Break(
            "fail-open-unset",
            [*DNS_FIREWALL[:-1], res(FIREWALL_CONFIG, "dns-fw-config", resourceId="vpc-1")],
            "vpc",
            [
                "DNS Firewall config 'dns-fw-config' of VPC 'vpc' sets firewallFailOpen=None: it must be "
                "'DISABLED' (fail closed)"
            ],
        ),
        Break(
            "no-firewall-config",
            DNS_FIREWALL[:-1],
            "vpc",
            [
                f"VPC 'vpc' has no {FIREWALL_CONFIG} with firewallFailOpen='DISABLED': whether DNS Firewall "
                "fails closed is left unmanaged"
            ],
        ),
    ],
    not_applicable=[dl_aws, dns_group, allow_aws, dns_assoc, fw_config],
)

SPECS["SR-NET-041"] = Spec(
    baseline=[vpc, dns_logs, query_log, query_log_vpc],
    breaks=[
        Break(
            "no-query-logging",
            [vpc, dns_logs, query_log],
            "vpc",
            [
                f"VPC 'vpc' has no Resolver query logging ({QUERY_LOG_ASSOCIATION} with resourceId set to "
                "it): its DNS queries go unrecorded"
            ],
        ),
        Break(
            "log-group-without-kms",
            [
                vpc,
                res(LOG_GROUP, "dns-logs", arn="arn:aws:logs:eu-west-2:123456789012:log-group:dns"),
                query_log,
                query_log_vpc,
            ],
            "vpc",
            ["query log config 'dns-log' delivers to log group 'dns-logs', which sets no kmsKeyId"],
        ),
        Break(
            "log-group-of-another-account",
            [
                vpc,
                res(
                    QUERY_LOG_CONFIG,
                    "dns-log",
                    id="rqlc-1",
                    destinationArn="arn:aws:logs:eu-west-2:999999999999:log-group:x",
                ),
                query_log_vpc,
            ],
            "vpc",
            [
                "query log config 'dns-log' delivers to arn:aws:logs:eu-west-2:999999999999:log-group:x, "
                "which is no log group or bucket of the stack, so its encryption can't be judged"
            ],
        ),
        Break(
            "config-of-another-stack",
            [
                vpc,
                dns_logs,
                query_log,
                res(
                    QUERY_LOG_ASSOCIATION,
                    "dns-log-vpc",
                    resolverQueryLogConfigId="rqlc-9",
                    resourceId="vpc-1",
                ),
            ],
            "vpc",
            [
                "query log association 'dns-log-vpc' names config rqlc-9, which is no query log config of "
                "the stack, so its destination can't be judged"
            ],
        ),
        Break(
            "firehose-destination-by-dependency",
            [
                vpc,
                firehose,
                res(
                    QUERY_LOG_CONFIG,
                    "dns-log",
                    id="rqlc-1",
                    deps={"destinationArn": [firehose]},
                    destinationArn=UNKNOWN,
                ),
                query_log_vpc,
            ],
            "vpc",
            ["query log config 'dns-log' delivers to a Firehose stream, whose encryption isn't judged"],
        ),
    ],
    not_applicable=[dns_logs, query_log, query_log_vpc],
)


def test_dns_controls_follow_unknown_references_by_dependency() -> None:
    association = res(
        FIREWALL_ASSOCIATION,
        "dns-fw-vpc",
        deps={"vpcId": [vpc], "firewallRuleGroupId": [dns_group]},
        vpcId=UNKNOWN,
        firewallRuleGroupId=UNKNOWN,
    )
    stack = [vpc, dl_aws, dl_all, dns_group, allow_aws, block_all, association, fw_config]
    assert messages_for(get("SR-NET-040"), stack, "vpc") == []
    config = res(
        QUERY_LOG_CONFIG, "dns-log", id="rqlc-1", deps={"destinationArn": [dns_logs]}, destinationArn=UNKNOWN
    )
    assert messages_for(get("SR-NET-041"), [vpc, dns_logs, config, query_log_vpc], "vpc") == []


def test_dns_controls_are_mandatory_in_every_stack() -> None:
    for cid in ("SR-NET-040", "SR-NET-041"):
        control = get(cid)
        assert control.enforcement_for("prod") == "mandatory"
        assert control.enforcement_for("dev") == "mandatory"
