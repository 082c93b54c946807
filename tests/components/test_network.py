"""PrivateNetwork under the recording mock monitor: every secure property asserted on recorded inputs.

Two networks are built once per module (building one takes about a second): the default one (AZs from
the region look-up, the default endpoint set, a bucket name prefix) and a customised one (explicit AZs,
optional endpoints, explicit bucket ARNs, region and account passed in).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from strongroom.components.cidr import plan_subnets
from strongroom.components.network import PrivateNetwork, PrivateNetworkArgs
from strongroom.components.policydocs.endpoint import DEFAULT_INTERFACE_ENDPOINTS
from strongroom.engine import Plan, PlanResource, install, run

REGION = "eu-west-2"
ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f6a3c58-8d0e-4c55-9d1c-8a4e7f0c1d2e"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/strongroom/dev/dev-roles-boundary"
COMPONENT_TYPE = "strongroom:index:PrivateNetwork"
OTHER_ACCOUNT = "210987654321"
EXPECTED_ACCOUNT = {"dev-net": ACCOUNT, "staging-net": OTHER_ACCOUNT}

FORBIDDEN_TYPES = {
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
    "aws:ec2/eipAssociation:EipAssociation",
    "aws:ec2/route:Route",
    "aws:ec2/vpnGateway:VpnGateway",
    "aws:ec2/customerGateway:CustomerGateway",
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:ec2/vpcIpv6CidrBlockAssociation:VpcIpv6CidrBlockAssociation",
    "aws:ec2/networkInterface:NetworkInterface",
}
OPEN_CIDRS = {"0.0.0.0/0", "::/0"}


def build(args: PrivateNetworkArgs, name: str = "dev-net") -> Plan:
    recorder = install(project="strongroom", stack="test", region=REGION, account=ACCOUNT)
    try:
        run(lambda: PrivateNetwork(name, args))
        return recorder.plan()
    finally:
        pulumi.runtime.set_all_config({}, [])


@pytest.fixture(scope="session")
def default_plan() -> Iterator[Plan]:
    yield build(
        PrivateNetworkArgs(
            vpc_cidr="10.20.0.0/16",
            az_count=3,
            flow_log_kms_key_arn=KEY_ARN,
            s3_bucket_name_prefix="strongroom-dev",
            flow_log_retention_days=400,
            permissions_boundary_arn=BOUNDARY_ARN,
            iam_path="/strongroom/dev/",
        )
    )


@pytest.fixture(scope="session")
def custom_plan() -> Iterator[Plan]:
    yield build(
        PrivateNetworkArgs(
            vpc_cidr="172.16.8.0/22",
            az_count=2,
            availability_zones=["eu-west-2b", "eu-west-2c"],
            subnet_prefix=25,
            interface_endpoints=[
                *DEFAULT_INTERFACE_ENDPOINTS,
                "notebook",
                "codeartifact.api",
                "secretsmanager",
            ],
            flow_log_kms_key_arn=KEY_ARN,
            s3_bucket_arns=["arn:aws:s3:::bank-models", "arn:aws:s3:::bank-data-*"],
            region=REGION,
            account_id=OTHER_ACCOUNT,
        ),
        name="staging-net",
    )


@pytest.fixture(params=["default_plan", "custom_plan"])
def any_plan(request: pytest.FixtureRequest) -> Plan:
    plan: Plan = request.getfixturevalue(request.param)
    return plan


def component(plan: Plan) -> PlanResource:
    found = plan.of_type(COMPONENT_TYPE)
    assert len(found) == 1, f"expected one {COMPONENT_TYPE}, found {[r.urn for r in found]}"
    return found[0]


def one(plan: Plan, type_: str) -> PlanResource:
    found = plan.of_type(type_)
    assert len(found) == 1, f"expected one {type_}, found {[r.urn for r in found]}"
    return found[0]


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def policy(resource: PlanResource, key: str = "policy") -> dict[str, Any]:
    text = resource.inputs.get(key)
    assert isinstance(text, str), f"{resource.urn}: {key} is not a JSON string: {text!r}"
    document: dict[str, Any] = json.loads(text)
    return document


# --- no way out -----------------------------------------------------------------------------------------


def test_no_internet_path_resource_is_created(any_plan: Plan) -> None:
    offending = [f"{r.type} {r.urn}" for r in any_plan if r.type in FORBIDDEN_TYPES]
    assert not offending, f"forbidden resources in the network: {offending}"


def test_no_input_anywhere_mentions_an_open_cidr(any_plan: Plan) -> None:
    for resource in any_plan:
        found = OPEN_CIDRS.intersection(strings_in(resource.inputs))
        assert not found, f"{resource.urn} has {sorted(found)} in its inputs"


def test_every_route_table_has_no_route_of_its_own(any_plan: Plan) -> None:
    tables = any_plan.of_type("aws:ec2/routeTable:RouteTable") + any_plan.of_type(
        "aws:ec2/defaultRouteTable:DefaultRouteTable"
    )
    assert tables
    for table in tables:
        assert table.inputs.get("routes") == [], f"{table.urn} has routes {table.inputs.get('routes')!r}"


def test_vpc_has_dns_and_no_ipv6(default_plan: Plan) -> None:
    vpc = one(default_plan, "aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/16", vpc.urn
    assert vpc.inputs["enableDnsSupport"] is True, vpc.urn
    assert vpc.inputs["enableDnsHostnames"] is True, vpc.urn
    assert vpc.inputs["assignGeneratedIpv6CidrBlock"] is False, vpc.urn


def test_subnets_are_private_one_per_available_zone(default_plan: Plan) -> None:
    subnets = sorted(default_plan.of_type("aws:ec2/subnet:Subnet"), key=lambda r: r.name)
    assert [s.inputs["cidrBlock"] for s in subnets] == plan_subnets("10.20.0.0/16", 3)
    assert [s.inputs["availabilityZone"] for s in subnets] == ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
    for subnet in subnets:
        assert subnet.inputs["mapPublicIpOnLaunch"] is False, subnet.urn
        assert subnet.inputs["assignIpv6AddressOnCreation"] is False, subnet.urn
        assert "ipv6CidrBlock" not in subnet.inputs, subnet.urn


def test_explicit_zones_and_prefix_are_used(custom_plan: Plan) -> None:
    subnets = sorted(custom_plan.of_type("aws:ec2/subnet:Subnet"), key=lambda r: r.name)
    assert [s.inputs["cidrBlock"] for s in subnets] == ["172.16.8.0/25", "172.16.8.128/25"]
    assert [s.inputs["availabilityZone"] for s in subnets] == ["eu-west-2b", "eu-west-2c"]


def test_each_subnet_has_its_own_route_table(any_plan: Plan) -> None:
    subnets = {s.id for s in any_plan.of_type("aws:ec2/subnet:Subnet")}
    tables = {t.id for t in any_plan.of_type("aws:ec2/routeTable:RouteTable")}
    associations = any_plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert {a.inputs["subnetId"] for a in associations} == subnets
    assert {a.inputs["routeTableId"] for a in associations} == tables
    assert len(tables) == len(subnets)


# --- defaults taken over and emptied ---------------------------------------------------------------------


def test_default_security_group_is_stripped(any_plan: Plan) -> None:
    vpc = one(any_plan, "aws:ec2/vpc:Vpc")
    group = one(any_plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert group.inputs["vpcId"] == vpc.id, group.urn
    assert group.inputs["ingress"] == [], group.urn
    assert group.inputs["egress"] == [], group.urn


def test_default_network_acl_and_route_table_are_managed_and_empty(any_plan: Plan) -> None:
    vpc = one(any_plan, "aws:ec2/vpc:Vpc")
    acl = one(any_plan, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
    assert acl.inputs["defaultNetworkAclId"] == vpc.outputs["defaultNetworkAclId"], acl.urn
    assert acl.inputs["ingress"] == [] and acl.inputs["egress"] == [], acl.urn
    table = one(any_plan, "aws:ec2/defaultRouteTable:DefaultRouteTable")
    assert table.inputs["defaultRouteTableId"] == vpc.outputs["defaultRouteTableId"], table.urn


def test_private_network_acl_allows_only_vpc_and_s3_https(default_plan: Plan) -> None:
    acl = one(default_plan, "aws:ec2/networkAcl:NetworkAcl")
    subnets = {s.id for s in default_plan.of_type("aws:ec2/subnet:Subnet")}
    assert set(acl.inputs["subnetIds"]) == subnets, acl.urn
    prefix_list = next(i for i in default_plan.invokes if i.token == "aws:ec2/getPrefixList:getPrefixList")
    s3_cidrs = set(prefix_list.result["cidrBlocks"])
    for direction in ("ingress", "egress"):
        rules = acl.inputs[direction]
        assert rules, f"{acl.urn}: no {direction} rules"
        for rule in rules:
            assert rule["action"] == "allow" and rule["protocol"] == "tcp", f"{acl.urn} {direction} {rule}"
            assert rule["cidrBlock"] in s3_cidrs | {"10.20.0.0/16"}, f"{acl.urn} {direction} {rule}"
            if rule["cidrBlock"] in s3_cidrs:
                ports = (443, 443) if direction == "egress" else (1024, 65535)
                assert (rule["fromPort"], rule["toPort"]) == ports, f"{acl.urn} {direction} {rule}"
        assert {r["cidrBlock"] for r in rules} == s3_cidrs | {"10.20.0.0/16"}, acl.urn


# --- endpoints ------------------------------------------------------------------------------------------


def test_s3_gateway_endpoint_is_on_every_route_table(any_plan: Plan) -> None:
    gateway = [e for e in any_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.name.endswith("-vpce-s3")]
    assert len(gateway) == 1
    endpoint = gateway[0]
    tables = {t.id for t in any_plan.of_type("aws:ec2/routeTable:RouteTable")}
    assert endpoint.inputs["vpcEndpointType"] == "Gateway", endpoint.urn
    assert endpoint.inputs["serviceName"] == f"com.amazonaws.{REGION}.s3", endpoint.urn
    assert set(endpoint.inputs["routeTableIds"]) == tables, endpoint.urn


def test_s3_endpoint_policy_admits_only_environment_buckets_of_the_account(default_plan: Plan) -> None:
    endpoint = default_plan.named("dev-net-vpce-s3")
    statements = policy(endpoint)["Statement"]
    own = next(s for s in statements if s["Sid"] == "AllowEnvironmentBucketsForThisAccount")
    assert own["Resource"] == ["arn:aws:s3:::strongroom-dev-*", "arn:aws:s3:::strongroom-dev-*/*"], (
        endpoint.urn
    )
    assert own["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}
    }, endpoint.urn
    aws_owned = next(s for s in statements if s["Sid"] == "AllowAwsOwnedServiceBucketsReadOnly")
    assert aws_owned["Action"] == "s3:GetObject", endpoint.urn
    assert aws_owned["Resource"] == [f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"], endpoint.urn
    assert len(statements) == 2, endpoint.urn


def test_s3_endpoint_policy_lists_explicit_bucket_arns(custom_plan: Plan) -> None:
    endpoint = custom_plan.named("staging-net-vpce-s3")
    own = policy(endpoint)["Statement"][0]
    assert own["Resource"] == [
        "arn:aws:s3:::bank-models",
        "arn:aws:s3:::bank-models/*",
        "arn:aws:s3:::bank-data-*",
        "arn:aws:s3:::bank-data-*/*",
    ], endpoint.urn
    assert own["Condition"]["StringEquals"] == {
        "aws:PrincipalAccount": OTHER_ACCOUNT,
        "aws:ResourceAccount": OTHER_ACCOUNT,
    }, endpoint.urn


def interface_endpoints(plan: Plan) -> list[PlanResource]:
    return [
        e for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] != "Gateway"
    ]


def test_default_interface_endpoint_set(default_plan: Plan) -> None:
    names = sorted(e.inputs["serviceName"] for e in interface_endpoints(default_plan))
    assert names == sorted(f"com.amazonaws.{REGION}.{s}" for s in DEFAULT_INTERFACE_ENDPOINTS)


def test_optional_endpoints_use_their_service_names(custom_plan: Plan) -> None:
    names = {e.inputs["serviceName"] for e in interface_endpoints(custom_plan)}
    assert f"aws.sagemaker.{REGION}.notebook" in names
    assert f"com.amazonaws.{REGION}.codeartifact.api" in names
    assert f"com.amazonaws.{REGION}.secretsmanager" in names
    assert len(names) == len(DEFAULT_INTERFACE_ENDPOINTS) + 3


def test_interface_endpoints_are_private_bound_to_the_account_and_guarded(any_plan: Plan) -> None:
    subnets = {s.id for s in any_plan.of_type("aws:ec2/subnet:Subnet")}
    endpoint_sg, _ = groups(any_plan)
    account = EXPECTED_ACCOUNT[component(any_plan).name]
    for endpoint in interface_endpoints(any_plan):
        assert endpoint.inputs["vpcEndpointType"] == "Interface", endpoint.urn
        assert endpoint.inputs["privateDnsEnabled"] is True, endpoint.urn
        assert set(endpoint.inputs["subnetIds"]) == subnets, endpoint.urn
        assert endpoint.inputs["securityGroupIds"] == [endpoint_sg.id], endpoint.urn
        (statement,) = policy(endpoint)["Statement"]
        confined = {"aws:PrincipalAccount": account}
        if not endpoint.inputs["serviceName"].endswith(".notebook"):
            confined["aws:ResourceAccount"] = account
        assert statement["Condition"] == {"StringEquals": confined}, endpoint.urn
        assert statement["Effect"] == "Allow", endpoint.urn


# --- security groups ------------------------------------------------------------------------------------


def groups(plan: Plan) -> tuple[PlanResource, PlanResource]:
    by_role = {g.name.rsplit("-", 2)[-2]: g for g in plan.of_type("aws:ec2/securityGroup:SecurityGroup")}
    assert set(by_role) == {"endpoint", "workload"}, [g.urn for g in by_role.values()]
    return by_role["endpoint"], by_role["workload"]


def test_security_groups_have_no_inline_rules(any_plan: Plan) -> None:
    for group in any_plan.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not group.inputs.get("ingress") and not group.inputs.get("egress"), group.urn
        assert group.inputs.get("description"), group.urn


def test_endpoint_security_group_admits_https_only_from_workloads(any_plan: Plan) -> None:
    endpoint_sg, workload_sg = groups(any_plan)
    ingress = [
        r
        for r in any_plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == endpoint_sg.id
    ]
    assert len(ingress) == 1, [r.urn for r in ingress]
    rule = ingress[0].inputs
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443), ingress[0].urn
    assert rule["referencedSecurityGroupId"] == workload_sg.id, ingress[0].urn
    egress = [
        r
        for r in any_plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs["securityGroupId"] == endpoint_sg.id
    ]
    assert not egress, [r.urn for r in egress]


def test_workload_egress_is_https_to_endpoints_and_s3_only(any_plan: Plan) -> None:
    endpoint_sg, workload_sg = groups(any_plan)
    s3_endpoint = next(
        e
        for e in any_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e.inputs["vpcEndpointType"] == "Gateway"
    )
    egress = any_plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    targets = set()
    for rule in egress:
        inputs = rule.inputs
        assert inputs["securityGroupId"] == workload_sg.id, rule.urn
        assert (inputs["ipProtocol"], inputs["fromPort"], inputs["toPort"]) == ("tcp", 443, 443), rule.urn
        targets.add(inputs.get("referencedSecurityGroupId") or inputs.get("prefixListId"))
    # The gateway endpoint's own prefix list output, which the gate recognises as S3's addresses.
    assert targets == {endpoint_sg.id, s3_endpoint.outputs["prefixListId"]}


def test_every_security_group_rule_has_a_description_and_no_cidr(any_plan: Plan) -> None:
    rules = any_plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") + any_plan.of_type(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
    )
    assert len(rules) == 3
    for rule in rules:
        assert rule.inputs.get("description"), rule.urn
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs, rule.urn


# --- flow logs ------------------------------------------------------------------------------------------


def log_group(plan: Plan, suffix: str) -> PlanResource:
    found = [g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name.endswith(suffix)]
    assert len(found) == 1, f"expected one log group named *{suffix}, found {[g.urn for g in found]}"
    return found[0]


def test_flow_log_records_all_traffic_to_an_encrypted_group(default_plan: Plan) -> None:
    vpc = one(default_plan, "aws:ec2/vpc:Vpc")
    group = log_group(default_plan, "-flow-logs")
    role = one(default_plan, "aws:iam/role:Role")
    flow_log = one(default_plan, "aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["vpcId"] == vpc.id, flow_log.urn
    assert flow_log.inputs["trafficType"] == "ALL", flow_log.urn
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs", flow_log.urn
    assert flow_log.inputs["logDestination"] == group.outputs["arn"], flow_log.urn
    assert flow_log.inputs["iamRoleArn"] == role.outputs["arn"], flow_log.urn
    assert group.inputs["kmsKeyId"] == KEY_ARN, group.urn
    assert group.inputs["retentionInDays"] == 400, group.urn
    role_policy = one(default_plan, "aws:iam/rolePolicy:RolePolicy")
    assert role_policy.urn in flow_log.dependencies, f"{flow_log.urn} does not wait for {role_policy.urn}"


def test_flow_log_role_is_trusted_only_by_flow_logs_of_the_account(default_plan: Plan) -> None:
    role = one(default_plan, "aws:iam/role:Role")
    (statement,) = policy(role, "assumeRolePolicy")["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}, role.urn
    assert statement["Action"] == "sts:AssumeRole", role.urn
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, role.urn


def test_flow_log_role_carries_the_permission_boundary_under_the_stack_path(default_plan: Plan) -> None:
    role = one(default_plan, "aws:iam/role:Role")
    assert role.inputs["permissionsBoundary"] == BOUNDARY_ARN, role.urn
    assert role.inputs["path"] == "/strongroom/dev/", role.urn


def test_flow_log_role_may_write_only_to_its_group(default_plan: Plan) -> None:
    group = log_group(default_plan, "-flow-logs")
    role = one(default_plan, "aws:iam/role:Role")
    role_policy = one(default_plan, "aws:iam/rolePolicy:RolePolicy")
    assert role_policy.inputs["role"] == role.id, role_policy.urn
    (statement,) = policy(role_policy)["Statement"]
    arn = group.outputs["arn"]
    assert statement["Resource"] == [arn, f"{arn}:*"], role_policy.urn
    assert all(action.startswith("logs:") and "*" not in action for action in statement["Action"])


# --- DNS: firewall and query logging ---------------------------------------------------------------------

FIREWALL = "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup"
RULE = "aws:route53/resolverFirewallRule:ResolverFirewallRule"
DOMAIN_LIST = "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList"


def test_dns_firewall_allows_the_regions_aws_domains_then_blocks_every_other_name(any_plan: Plan) -> None:
    vpc = one(any_plan, "aws:ec2/vpc:Vpc")
    group = one(any_plan, FIREWALL)
    association = one(
        any_plan, "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation"
    )
    assert association.inputs["vpcId"] == vpc.id and association.inputs["firewallRuleGroupId"] == group.id
    assert association.inputs["mutationProtection"] == "ENABLED"
    lists = {d.id: d.inputs["domains"] for d in any_plan.of_type(DOMAIN_LIST)}
    rules = sorted(any_plan.of_type(RULE), key=lambda r: r.inputs["priority"])
    assert [r.inputs["firewallRuleGroupId"] for r in rules] == [group.id, group.id]
    allow, block = rules
    assert allow.inputs["action"] == "ALLOW"
    assert lists[allow.inputs["firewallDomainListId"]] == [
        "eu-west-2.amazonaws.com",
        "*.eu-west-2.amazonaws.com",
        "*.eu-west-2.vpce.amazonaws.com",
        "*.eu-west-2.sagemaker.aws",
        "eu-west-2.compute.internal",
        "*.eu-west-2.compute.internal",
    ]
    assert block.inputs["action"] == "BLOCK" and lists[block.inputs["firewallDomainListId"]] == ["*"]
    assert block.inputs["priority"] > allow.inputs["priority"]
    assert {allow.urn, block.urn} <= set(association.dependencies)


def test_dns_firewall_fails_closed(any_plan: Plan) -> None:
    vpc = one(any_plan, "aws:ec2/vpc:Vpc")
    config = one(any_plan, "aws:route53/resolverFirewallConfig:ResolverFirewallConfig")
    assert config.inputs["resourceId"] == vpc.id
    assert config.inputs["firewallFailOpen"] == "DISABLED"


def test_every_dns_query_is_logged_to_a_kms_encrypted_group(default_plan: Plan) -> None:
    vpc = one(default_plan, "aws:ec2/vpc:Vpc")
    group = log_group(default_plan, "-dns-query-logs")
    assert group.inputs["kmsKeyId"] == KEY_ARN and group.inputs["retentionInDays"] == 400
    config = one(default_plan, "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig")
    assert config.inputs["destinationArn"] == group.outputs["arn"]
    association = one(
        default_plan, "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation"
    )
    assert association.inputs["resolverQueryLogConfigId"] == config.id
    assert association.inputs["resourceId"] == vpc.id


def test_allowed_dns_domains_per_region() -> None:
    from strongroom.components.policydocs.endpoint import allowed_dns_domains

    assert "*.ec2.internal" in allowed_dns_domains("us-east-1")
    assert "*.cn-north-1.amazonaws.com.cn" in allowed_dns_domains("cn-north-1")
    assert not [
        d for d in allowed_dns_domains("eu-west-2") if d in ("*", "*.com", "*.aws", "*.amazonaws.com")
    ]
    with pytest.raises(ValueError, match="region 'europe'"):
        allowed_dns_domains("europe")


# --- component shape ------------------------------------------------------------------------------------


def test_children_are_named_after_the_component_and_parented_to_it(any_plan: Plan) -> None:
    network = component(any_plan)
    children = any_plan.children(network.urn)
    assert len(children) > 20
    for child in children:
        assert child.name.startswith(f"{network.name}-"), child.urn
    stray = [r.urn for r in any_plan.custom_resources if r.parent != network.urn]
    assert not stray, f"resources outside {network.urn}: {stray}"


def test_outputs_are_registered(default_plan: Plan) -> None:
    network = component(default_plan)
    outputs = network.outputs
    vpc = one(default_plan, "aws:ec2/vpc:Vpc")
    assert outputs["vpc_id"] == vpc.id, network.urn
    assert outputs["subnet_cidrs"] == plan_subnets("10.20.0.0/16", 3), network.urn
    assert len(outputs["subnet_ids"]) == 3 and len(outputs["route_table_ids"]) == 3, network.urn
    assert outputs["availability_zones"] == ["eu-west-2a", "eu-west-2b", "eu-west-2c"], network.urn
    assert set(outputs["interface_endpoint_ids"]) == set(DEFAULT_INTERFACE_ENDPOINTS), network.urn
    assert outputs["s3_endpoint_id"] == default_plan.named("dev-net-vpce-s3").id, network.urn
    s3_endpoint = default_plan.named("dev-net-vpce-s3")
    assert outputs["s3_prefix_list_id"] == s3_endpoint.outputs["prefixListId"], network.urn
    assert outputs["s3_prefix_list_id"].startswith("pl-"), network.urn
    for key in ("endpoint_security_group_id", "workload_security_group_id", "flow_log_group_arn"):
        assert outputs[key], f"{network.urn}: output {key} is empty"


def test_too_few_zones_in_the_region_is_a_clear_error() -> None:
    args = PrivateNetworkArgs(
        vpc_cidr="10.0.0.0/16", az_count=5, flow_log_kms_key_arn=KEY_ARN, s3_bucket_name_prefix="bank"
    )
    with pytest.raises(ValueError, match=r"available AZ\(s\) .*; az_count is 5"):
        build(args)


# --- argument validation --------------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "vpc_cidr": "10.20.0.0/16",
    "flow_log_kms_key_arn": KEY_ARN,
    "s3_bucket_name_prefix": "strongroom-dev",
}


@pytest.mark.parametrize(
    ("changes", "field_name", "fragment"),
    [
        ({"vpc_cidr": "10.20.0.0"}, "vpc_cidr", "no prefix length"),
        ({"vpc_cidr": "10.20.0.1/16"}, "vpc_cidr", "canonical"),
        ({"vpc_cidr": "10.0.0.0/8"}, "vpc_cidr", "/16 to /28"),
        ({"vpc_cidr": "8.8.0.0/16"}, "vpc_cidr", "RFC 1918"),
        ({"vpc_cidr": "fd00::/56"}, "vpc_cidr", "IPv4"),
        ({"az_count": 0}, "az_count", "1..6"),
        ({"az_count": 7}, "az_count", "1..6"),
        ({"az_count": "2"}, "az_count", "not an integer"),
        ({"vpc_cidr": "10.0.0.0/28", "az_count": 2}, "vpc_cidr", "too small for 2 subnets"),
        ({"vpc_cidr": "10.0.0.0/24", "az_count": 3, "subnet_prefix": 25}, "subnet_prefix", "holds only 2"),
        ({"subnet_prefix": 12}, "subnet_prefix", "accepted /16 to /28"),
        ({"subnet_prefix": 29}, "subnet_prefix", "accepted /16 to /28"),
        ({"availability_zones": ["eu-west-2a"]}, "availability_zones", "az_count is 2"),
        ({"availability_zones": ["eu-west-2a", "eu-west-2a"]}, "availability_zones", "twice"),
        ({"availability_zones": ["eu-west-2a", "west"]}, "availability_zones", "not AZ names"),
        ({"interface_endpoints": ["sagemaker.api", "ec2"]}, "interface_endpoints", "'ec2'"),
        ({"interface_endpoints": ["sts", "sts"]}, "interface_endpoints", "twice"),
        ({"interface_endpoints": "sts"}, "interface_endpoints", "a string"),
        ({"flow_log_retention_days": 10}, "flow_log_retention_days", "365"),
        ({"s3_bucket_name_prefix": "Bad_Prefix"}, "s3_bucket_name_prefix", "not valid"),
        ({"s3_bucket_name_prefix": None}, "s3_bucket_name_prefix", "admit no bucket"),
        ({"s3_bucket_arns": ["arn:aws:s3:::*"]}, "s3_bucket_arns", "not a bucket ARN"),
        ({"s3_bucket_arns": ["arn:aws:s3:::b/key"]}, "s3_bucket_arns", "not a bucket ARN"),
        ({"region": "Europe"}, "region", "not an AWS region"),
        ({"account_id": "12345"}, "account_id", "12-digit"),
        ({"iam_path": "strongroom"}, "iam_path", "not an IAM path"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(
    changes: dict[str, Any], field_name: str, fragment: str
) -> None:
    with pytest.raises(ValueError) as caught:
        PrivateNetworkArgs(**{**BASE, **changes})
    message = str(caught.value)
    assert message.startswith(f"PrivateNetworkArgs.{field_name}: "), message
    assert fragment in message, message


def test_valid_arguments_plan_the_subnets() -> None:
    args = PrivateNetworkArgs(**{**BASE, "az_count": 3, "subnet_prefix": 20})
    assert args.subnet_cidrs == ["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]
    assert args.interface_endpoints == DEFAULT_INTERFACE_ENDPOINTS
