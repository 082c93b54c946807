"""Network controls: baseline compliant, each way to break them, not applicable."""

from __future__ import annotations

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    doc,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from policies.controls.network import (
    DEFAULT_SECURITY_GROUP,
    EGRESS_ONLY_GATEWAY,
    EGRESS_RULE,
    EIP,
    FLOW_LOG,
    INGRESS_RULE,
    INSTANCE,
    INTERNET_GATEWAY,
    INTERNET_GATEWAY_ATTACHMENT,
    LAUNCH_TEMPLATE,
    NAT_GATEWAY,
    ROUTE,
    ROUTE_TABLE,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SUBNET,
    VPC,
    VPC_ENDPOINT,
    VPC_ENDPOINT_POLICY,
)

vpc = res(VPC, "vpc", cidrBlock="10.0.0.0/16")
flow_log = res(FLOW_LOG, "flow", deps={"vpcId": [vpc]}, vpcId="vpc-1", trafficType="ALL")
default_sg = res(DEFAULT_SECURITY_GROUP, "default-sg", deps={"vpcId": [vpc]}, vpcId="vpc-1")
subnet = res(SUBNET, "private-a", cidrBlock="10.0.0.0/20")
sg = res(
    SECURITY_GROUP,
    "workload",
    ingress=[{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}],
    egress=[{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}],
)
endpoint_policy = doc(
    {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::data/*",
    }
)
full_access = doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
s3_gateway = res(VPC_ENDPOINT, "s3", serviceName="com.amazonaws.eu-west-2.s3", policy=endpoint_policy)
sts = res(
    VPC_ENDPOINT,
    "sts",
    serviceName="com.amazonaws.eu-west-2.sts",
    vpcEndpointType="Interface",
    privateDnsEnabled=True,
    policy=endpoint_policy,
)
NO_PATH = "is not allowed: a Strongroom network has no path to the internet"

SPECS: dict[str, Spec] = {
    "SR-NET-001": Spec(
        baseline=[vpc],
        breaks=[
            Break("gateway", [res(INTERNET_GATEWAY, "igw")], "igw", [f"internet gateway 'igw' {NO_PATH}"]),
            Break(
                "attachment",
                [res(INTERNET_GATEWAY_ATTACHMENT, "att", vpcId="vpc-1")],
                "att",
                [f"internet gateway 'att' {NO_PATH}"],
            ),
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
                    "gateway "
                    "is a path to the internet"
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
        breaks=[Break("eip", [res(EIP, "ip", domain="vpc")], "ip", [f"Elastic IP 'ip' {NO_PATH}"])],
        forbidden=True,
        not_applicable=[vpc],
    ),
    "SR-NET-005": Spec(
        baseline=[
            subnet,
            res(INSTANCE, "box", associatePublicIpAddress=False),
            res(LAUNCH_TEMPLATE, "lt", networkInterfaces=[{"associatePublicIpAddress": "false"}]),
        ],
        breaks=[
            Break(
                "subnet",
                [res(SUBNET, "pub", mapPublicIpOnLaunch=True)],
                "pub",
                ["subnet 'pub' sets mapPublicIpOnLaunch=true"],
            ),
            Break(
                "instance",
                [res(INSTANCE, "box", associatePublicIpAddress=True)],
                "box",
                ["instance 'box' sets associatePublicIpAddress=true"],
            ),
            Break(
                "launch-template",
                [res(LAUNCH_TEMPLATE, "lt", networkInterfaces=[{"associatePublicIpAddress": "true"}])],
                "lt",
                ["launch template 'lt' sets networkInterfaces[0].associatePublicIpAddress=true"],
            ),
        ],
        not_applicable=[vpc],
    ),
    "SR-NET-006": Spec(
        baseline=[
            res(ROUTE, "r", destinationCidrBlock="10.1.0.0/16"),
            res(ROUTE_TABLE, "rt", routes=[{"cidrBlock": "10.1.0.0/16"}]),
        ],
        breaks=[
            Break(
                "route-v4",
                [res(ROUTE, "r", destinationCidrBlock="0.0.0.0/0")],
                "r",
                ["route 'r' sends 0.0.0.0/0 (destinationCidrBlock) out of the VPC"],
            ),
            Break(
                "route-v6",
                [res(ROUTE, "r", destinationIpv6CidrBlock="::/0")],
                "r",
                ["route 'r' sends ::/0 (destinationIpv6CidrBlock) out of the VPC"],
            ),
            Break(
                "inline",
                [res(ROUTE_TABLE, "rt", routes=[{"cidrBlock": "10.1.0.0/16"}, {"ipv6CidrBlock": "::/0"}])],
                "rt",
                ["route 'rt' sends ::/0 (routes[1].ipv6CidrBlock) out of the VPC"],
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
        ],
        not_applicable=[vpc, res(EGRESS_RULE, "out", cidrIpv4="0.0.0.0/0")],
    ),
    "SR-NET-008": Spec(
        baseline=[sg, res(EGRESS_RULE, "out", cidrIpv4="10.0.0.0/16")],
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
                "other-vpc",
                [vpc, res(FLOW_LOG, "flow", deps={"vpcId": [res(VPC, "other")]}, trafficType="ALL")],
                "vpc",
                ["VPC 'vpc' has no flow log (aws:ec2/flowLog:FlowLog with vpcId set to it)"],
            ),
            Break(
                "reject-only",
                [vpc, res(FLOW_LOG, "flow", deps={"vpcId": [vpc]}, trafficType="REJECT")],
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
        baseline=[s3_gateway],
        breaks=[
            Break(
                "no-policy",
                [res(VPC_ENDPOINT, "s3", serviceName="com.amazonaws.eu-west-2.s3")],
                "s3",
                [
                    "VPC endpoint 's3' (com.amazonaws.eu-west-2.s3) has no policy, so AWS applies full "
                    "access "
                    "to any principal"
                ],
            ),
            Break(
                "full-access",
                [res(VPC_ENDPOINT, "s3", serviceName="com.amazonaws.eu-west-2.s3", policy=full_access)],
                "s3",
                [
                    "VPC endpoint 's3' (com.amazonaws.eu-west-2.s3) policy allows every action on every "
                    "resource to any principal without a condition"
                ],
            ),
            Break(
                "separate-policy-full-access",
                [
                    s3 := res(VPC_ENDPOINT, "s3", serviceName="com.amazonaws.eu-west-2.s3"),
                    res(VPC_ENDPOINT_POLICY, "s3-policy", deps={"vpcEndpointId": [s3]}, policy=full_access),
                ],
                "s3",
                [
                    "VPC endpoint 's3' (com.amazonaws.eu-west-2.s3) policy allows every action on every "
                    "resource to any principal without a condition"
                ],
            ),
            Break(
                "bad-json",
                [res(VPC_ENDPOINT, "s3", serviceName="com.amazonaws.eu-west-2.s3", policy="{")],
                "s3",
                [
                    "VPC endpoint 's3' (com.amazonaws.eu-west-2.s3) policy is not valid JSON (Expecting "
                    "property name enclosed in double quotes at character 1)"
                ],
            ),
        ],
        not_applicable=[sts],
    ),
    "SR-NET-012": Spec(
        baseline=[sts],
        breaks=[
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
                [
                    "VPC endpoint 'sts' (com.amazonaws.eu-west-2.sts) has no policy, so AWS applies full "
                    "access to any principal"
                ],
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
                    "would "
                    "resolve the public service endpoint"
                ],
            ),
        ],
        not_applicable=[s3_gateway],
    ),
}
