"""The network reader: a compliant environment built in moto as the components build it reads back in
the plan's shapes with no network finding, and each tamper is reported by the right control."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from live_support import moto_client, moto_context, value_form
from plan_support import repository_plan

from strongroom.check import stack_properties
from strongroom.engine.plan import Plan
from strongroom.live.aws import Aws, LiveError
from strongroom.live.readers import Scope, Unread, network
from strongroom.policies import catalog
from strongroom.policies.model import Finding, evaluate, judges_type
from strongroom.policies.props import Context, Index, Resource

REPO = Path(__file__).resolve().parents[3]
REGION = "eu-west-2"
ACCOUNT = "123456789012"
STACK = "dev"
TAG = [{"Key": "strongroom:environment", "Value": STACK}]
CONTEXT = Context(stack=STACK, trusted_accounts=frozenset({ACCOUNT}), regions=frozenset({REGION}))

#: Controls the compliant environment fails only because the reader does not read what they judge.
#: SR-NET-040: the DNS Firewall's rules (not an auditor read; SR-NET-040 is not a live control), and in
#: moto the firewall as a whole (moto 5.2 implements none of its APIs; stubbed AWS answers below).
NOT_READ = {"SR-NET-040"}

#: Plan keys a live read cannot know: pulumi-only options, not AWS state.
PULUMI_ONLY = {"revokeRulesOnDelete"}


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return repository_plan(STACK)


def planned(plan: Plan, type_: str, name_part: str = "") -> dict[str, Any]:
    """The stack view (inputs then outputs) of the first planned resource of ``type_`` named like
    ``name_part``."""
    for resource in plan.resources:
        if resource.type == type_ and name_part in resource.name:
            return stack_properties(resource)
    raise AssertionError(f"no {type_} named like {name_part!r} in the plan")


def assert_plan_shaped(live: Resource, plan_props: dict[str, Any], ignore: set[str] = PULUMI_ONLY) -> None:
    """Every key the plan gives the type is in the live props, with a value of the same form (a JSON
    string stays a string, a list a list, nested objects objects with the planned keys)."""
    missing = set(plan_props) - set(live.props) - ignore
    assert not missing, f"{live.type} {live.name}: keys of the plan missing live: {sorted(missing)}"
    for key, value in plan_props.items():
        if key in ignore or value is None:
            continue
        assert value_form(live.props[key]) == value_form(value), (live.type, key, live.props[key], value)
        if isinstance(value, dict) and key not in ("tags", "tagsAll"):
            assert set(value) <= set(live.props[key]), (live.type, key, live.props[key], value)


def endpoint_policy(plan: Plan, service: str) -> str:
    """The planned endpoint policy of ``service`` (account 123456789012, as in moto)."""
    for resource in plan.resources:
        if resource.type == network.VPC_ENDPOINT and resource.inputs["serviceName"].endswith(f".{service}"):
            return str(resource.inputs["policy"])
    raise AssertionError(service)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with moto_context(monkeypatch):
        yield Aws(region=REGION)


def _tags(name: str, kind: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [*TAG, {"Key": "Name", "Value": name}]}]


class Env:
    """A compliant dev network built with boto3 as the components build it (PrivateNetwork)."""

    def __init__(self, plan: Plan) -> None:
        self.ec2 = moto_client("ec2", REGION)
        self.logs = moto_client("logs", REGION)
        self.resolver = moto_client("route53resolver", REGION)
        ec2 = self.ec2
        key = moto_client("kms", REGION).create_key(
            Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in TAG]
        )
        self.key_arn = key["KeyMetadata"]["Arn"]
        vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=_tags("sr-dev-network-vpc", "vpc"))
        self.vpc = vpc["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=self.vpc, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=self.vpc, EnableDnsHostnames={"Value": True})
        self.subnets = []
        self.tables = []
        for i, (cidr, zone) in enumerate((("10.40.0.0/18", "eu-west-2a"), ("10.40.64.0/18", "eu-west-2b"))):
            subnet = ec2.create_subnet(
                VpcId=self.vpc,
                CidrBlock=cidr,
                AvailabilityZone=zone,
                TagSpecifications=_tags(f"sr-dev-network-private-{i}", "subnet"),
            )["Subnet"]["SubnetId"]
            table = ec2.create_route_table(
                VpcId=self.vpc, TagSpecifications=_tags(f"sr-dev-network-private-rt-{i}", "route-table")
            )["RouteTable"]["RouteTableId"]
            ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
            self.subnets.append(subnet)
            self.tables.append(table)
        # DefaultSecurityGroup with no rules: the default egress is revoked.
        default_sg = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"][0]
        self.default_sg = default_sg["GroupId"]
        ec2.revoke_security_group_egress(
            GroupId=self.default_sg, IpPermissions=default_sg["IpPermissionsEgress"]
        )
        # DefaultNetworkAcl with no rules.
        default_acl = ec2.describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc]}, {"Name": "default", "Values": ["true"]}]
        )["NetworkAcls"][0]
        for entry in default_acl["Entries"]:
            if entry["RuleNumber"] != 32767:
                ec2.delete_network_acl_entry(
                    NetworkAclId=default_acl["NetworkAclId"],
                    RuleNumber=entry["RuleNumber"],
                    Egress=entry["Egress"],
                )
        acl = ec2.create_network_acl(
            VpcId=self.vpc, TagSpecifications=_tags("sr-dev-network-private-nacl", "network-acl")
        )
        self.acl = acl["NetworkAcl"]["NetworkAclId"]
        for egress in (False, True):
            ec2.create_network_acl_entry(
                NetworkAclId=self.acl,
                RuleNumber=100,
                Protocol="6",
                RuleAction="allow",
                Egress=egress,
                CidrBlock="10.40.0.0/16",
                PortRange={"From": 443, "To": 443},
            )
        # Security groups without AWS's default egress; rules as separate resources.
        self.endpoint_sg = self._group("sr-dev-network-endpoints-sg", "Interface endpoints")
        self.workspace_sg = self._group("sr-dev-workspace-sg", "SageMaker workspace")
        ec2.authorize_security_group_ingress(
            GroupId=self.endpoint_sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "UserIdGroupPairs": [{"GroupId": self.workspace_sg}],
                }
            ],
        )
        ec2.authorize_security_group_egress(
            GroupId=self.workspace_sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "UserIdGroupPairs": [{"GroupId": self.endpoint_sg}],
                }
            ],
        )
        # Endpoints: S3's gateway endpoint on the private route tables, interface endpoints with private DNS.
        self.s3_endpoint = ec2.create_vpc_endpoint(
            VpcId=self.vpc,
            ServiceName=f"com.amazonaws.{REGION}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=self.tables,
            PolicyDocument=endpoint_policy(plan, "s3"),
            TagSpecifications=_tags("sr-dev-network-vpce-s3", "vpc-endpoint"),
        )["VpcEndpoint"]["VpcEndpointId"]
        self.sts_endpoint = ec2.create_vpc_endpoint(
            VpcId=self.vpc,
            ServiceName=f"com.amazonaws.{REGION}.sts",
            VpcEndpointType="Interface",
            SubnetIds=self.subnets,
            SecurityGroupIds=[self.endpoint_sg],
            PrivateDnsEnabled=True,
            PolicyDocument=endpoint_policy(plan, "sts"),
            TagSpecifications=_tags("sr-dev-network-vpce-sts", "vpc-endpoint"),
        )["VpcEndpoint"]["VpcEndpointId"]
        # HTTPS to S3 through the gateway endpoint: egress to S3's prefix list.
        s3_list = next(
            p["PrefixListId"]
            for p in ec2.describe_prefix_lists()["PrefixLists"]
            if p["PrefixListName"] == f"com.amazonaws.{REGION}.s3"
        )
        ec2.authorize_security_group_egress(
            GroupId=self.workspace_sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "PrefixListIds": [{"PrefixListId": s3_list}],
                }
            ],
        )
        # Flow log (ALL) to a KMS-encrypted log group, and Resolver query logging to another.
        self.flow_group = "sr-dev-network-flow-logs"
        self.logs.create_log_group(
            logGroupName=self.flow_group, kmsKeyId=self.key_arn, tags={t["Key"]: t["Value"] for t in TAG}
        )
        self.logs.put_retention_policy(logGroupName=self.flow_group, retentionInDays=365)
        self.flow_log = ec2.create_flow_logs(
            ResourceIds=[self.vpc],
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="cloud-watch-logs",
            LogGroupName=self.flow_group,
            DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/sr-dev-network-flow-logs-role",
            MaxAggregationInterval=60,
            TagSpecifications=_tags("sr-dev-network-flow-log", "vpc-flow-log"),
        )["FlowLogIds"][0]
        query_group = "sr-dev-network-dns-query-logs"
        self.logs.create_log_group(logGroupName=query_group, kmsKeyId=self.key_arn)
        config = self.resolver.create_resolver_query_log_config(
            Name="sr-dev-network-dns-query-log",
            DestinationArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{query_group}",
            CreatorRequestId="query-log",
        )["ResolverQueryLogConfig"]
        self.resolver.associate_resolver_query_log_config(
            ResolverQueryLogConfigId=config["Id"], ResourceId=self.vpc
        )

    def _group(self, name: str, description: str) -> str:
        group = self.ec2.create_security_group(
            VpcId=self.vpc,
            GroupName=name,
            Description=description,
            TagSpecifications=_tags(name, "security-group"),
        )["GroupId"]
        egress = self.ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0][
            "IpPermissionsEgress"
        ]
        self.ec2.revoke_security_group_egress(GroupId=group, IpPermissions=egress)
        return group


@pytest.fixture
def env(aws_env: Aws, dev_plan: Plan) -> Env:
    return Env(dev_plan)


def scope() -> Scope:
    return Scope(stack=STACK, account=ACCOUNT, partition="aws", region=REGION, regions=(REGION,))


def read(aws: Aws) -> list[Resource]:
    """The resources the reader yields (moto has no DNS Firewall: that part is an ``Unread``)."""
    return [r for r in network.read(aws, scope()) if isinstance(r, Resource)]


def network_controls() -> list[catalog.Control]:
    return [c for c in catalog.CATALOG if any(judges_type(c, t) for t in network.TYPES)]


def findings(resources: list[Resource]) -> list[Finding]:
    index = Index(resources, CONTEXT)
    return [f for control in network_controls() for f in evaluate(control, index)]


def fired(resources: list[Resource], control_id: str) -> list[Finding]:
    return evaluate(catalog.get(control_id), Index(resources, CONTEXT))


def of_type(resources: list[Resource], type_: str) -> list[Resource]:
    return [r for r in resources if r.type == type_]


def auditor_actions(plan: Plan) -> set[str]:
    """Every action the planned auditor role's policies grant."""
    actions: set[str] = set()
    for resource in plan.resources:
        if (
            resource.type in ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy")
            and "auditor" in resource.name
        ):
            for statement in json.loads(str(resource.inputs["policy"]))["Statement"]:
                if statement["Effect"] == "Allow":
                    actions.update(
                        statement["Action"]
                        if isinstance(statement["Action"], list)
                        else [statement["Action"]]
                    )
    assert "ec2:DescribeVpcs" in actions
    return actions


# -- the compliant environment ---------------------------------------------------------------------------


def test_compliant_network_reads_back_with_no_finding(env: Env, aws_env: Aws) -> None:
    resources = read(aws_env)
    assert [f for f in findings(resources) if f.control not in NOT_READ] == []
    assert {f.control for f in findings(resources)} == NOT_READ


def test_every_type_read_is_shaped_like_the_plan(env: Env, aws_env: Aws, dev_plan: Plan) -> None:
    resources = read(aws_env)
    by_type = {r.type for r in resources}
    pairs = {
        network.VPC: "",
        network.SUBNET: "",
        network.ROUTE_TABLE: "",
        network.DEFAULT_ROUTE_TABLE: "",
        network.ROUTE_TABLE_ASSOCIATION: "",
        network.SECURITY_GROUP: "",
        network.DEFAULT_SECURITY_GROUP: "",
        network.INGRESS_RULE: "",
        network.EGRESS_RULE: "",
        network.NETWORK_ACL: "",
        network.DEFAULT_NETWORK_ACL: "",
        network.FLOW_LOG: "",
        network.LOG_GROUP: "flow",
        network.QUERY_LOG_CONFIG: "",
        network.QUERY_LOG_ASSOCIATION: "",
    }
    assert set(pairs) <= by_type
    for type_, name_part in pairs.items():
        for live in of_type(resources, type_):
            if type_ == network.EGRESS_RULE:  # the planned rule of the same kind: to S3's list, or a group
                name_part = "egress-s3" if live.props.get("prefixListId") else "egress-endpoints"
            assert_plan_shaped(live, planned(dev_plan, type_, name_part))
    gateway = next(
        r for r in of_type(resources, network.VPC_ENDPOINT) if r.props["vpcEndpointType"] == "Gateway"
    )
    interface = next(
        r for r in of_type(resources, network.VPC_ENDPOINT) if r.props["vpcEndpointType"] == "Interface"
    )
    assert_plan_shaped(gateway, planned(dev_plan, network.VPC_ENDPOINT, "vpce-s3"))
    assert_plan_shaped(interface, planned(dev_plan, network.VPC_ENDPOINT, "vpce-sts"))


def test_ids_and_references_join_as_in_the_plan(env: Env, aws_env: Aws) -> None:
    resources = read(aws_env)
    vpc = of_type(resources, network.VPC)[0]
    assert vpc.props["id"] == env.vpc and vpc.urn == f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{env.vpc}"
    assert vpc.props["enableDnsSupport"] is True and vpc.props["enableDnsHostnames"] is True
    assert vpc.props["defaultSecurityGroupId"] == env.default_sg
    index = Index(resources, CONTEXT)
    assert [r.props["id"] for r in index.referencing(vpc, network.FLOW_LOG, "vpcId")] == [env.flow_log]
    gateway = next(r for r in of_type(resources, network.VPC_ENDPOINT) if r.props["id"] == env.s3_endpoint)
    assert sorted(gateway.props["routeTableIds"]) == sorted(env.tables)
    assert gateway.props["prefixListId"].startswith("pl-")
    assert json.loads(gateway.props["policy"])["Statement"]
    interface = next(r for r in of_type(resources, network.VPC_ENDPOINT) if r.props["id"] == env.sts_endpoint)
    assert interface.props["privateDnsEnabled"] is True
    assert interface.props["securityGroupIds"] == [env.endpoint_sg]
    assert sorted(interface.props["subnetIds"]) == sorted(env.subnets)
    flow_log = of_type(resources, network.FLOW_LOG)[0]
    group = next(r for r in of_type(resources, network.LOG_GROUP) if r.name == env.flow_group)
    assert flow_log.props["logDestination"] == group.props["arn"]
    assert group.props["kmsKeyId"] == env.key_arn and group.props["retentionInDays"] == 365
    # The gateway endpoint's own prefix-list routes and the local route are not routes of the table,
    # as pulumi-aws shapes them.
    assert all(r.props["routes"] == [] for r in of_type(resources, network.ROUTE_TABLE))


def test_every_call_is_a_read_the_auditor_role_grants(env: Env, aws_env: Aws, dev_plan: Plan) -> None:
    read(aws_env)
    made = {call.action for call in aws_env.calls}
    assert made - auditor_actions(dev_plan) == set()
    assert all(c.operation.startswith(("Describe", "List", "Get")) for c in aws_env.calls)


def test_another_environment_is_not_read(env: Env, aws_env: Aws) -> None:
    other = Scope(stack="prod", account=ACCOUNT, partition="aws", region=REGION, regions=(REGION,))
    assert list(network.read(aws_env, other)) == []
    assert [c.operation for c in aws_env.calls] == ["DescribeVpcs"]  # a region without the VPC: one call


def test_a_refused_read_propagates_naming_its_action(env: Env, aws_env: Aws) -> None:
    with Stubber(aws_env.client("ec2")) as stubber:
        stubber.add_client_error("describe_vpcs", "UnauthorizedOperation", "not authorized", 403)
        with pytest.raises(LiveError) as raised:
            read(aws_env)
    assert raised.value.action == "ec2:DescribeVpcs"


# -- tampering: one test per change, each reported by its control ----------------------------------------


def test_internet_gateway_attached_untagged(env: Env, aws_env: Aws) -> None:
    gateway = env.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    env.ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=env.vpc)
    found = fired(read(aws_env), "SR-NET-001")
    assert [f.resource_name for f in found] == [gateway]


def test_nat_gateway_created(env: Env, aws_env: Aws) -> None:
    allocation = env.ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = env.ec2.create_nat_gateway(SubnetId=env.subnets[0], AllocationId=allocation)["NatGateway"][
        "NatGatewayId"
    ]
    resources = read(aws_env)
    assert [f.resource_name for f in fired(resources, "SR-NET-002")] == [nat]
    assert [f.resource_name for f in fired(resources, "SR-NET-004")] == [allocation]


def test_egress_only_gateway_attached(env: Env, aws_env: Aws) -> None:
    gateway = env.ec2.create_egress_only_internet_gateway(VpcId=env.vpc)["EgressOnlyInternetGateway"]
    found = fired(read(aws_env), "SR-NET-003")
    assert [f.resource_name for f in found] == [gateway["EgressOnlyInternetGatewayId"]]


def test_default_route_to_the_internet_added(env: Env, aws_env: Aws) -> None:
    gateway = env.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    env.ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=env.vpc)
    env.ec2.create_route(RouteTableId=env.tables[0], DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    resources = read(aws_env)
    for control in ("SR-NET-006", "SR-NET-014"):
        found = fired(resources, control)
        assert [f.resource_name for f in found] == ["sr-dev-network-private-rt-0"], control
        assert "0.0.0.0/0" in found[0].message


def test_route_added_to_the_main_route_table(env: Env, aws_env: Aws) -> None:
    main = env.ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [env.vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]
    peering = env.ec2.create_vpc_peering_connection(VpcId=env.vpc, PeerVpcId=env.vpc)["VpcPeeringConnection"]
    env.ec2.create_route(
        RouteTableId=main,
        DestinationCidrBlock="8.8.8.0/24",
        VpcPeeringConnectionId=peering["VpcPeeringConnectionId"],
    )
    resources = read(aws_env)
    found = fired(resources, "SR-NET-006")
    assert [f.resource_type for f in found] == [network.DEFAULT_ROUTE_TABLE]
    assert fired(resources, "SR-NET-016"), "the peering connection itself is a path out"


def test_security_group_opened_to_the_internet(env: Env, aws_env: Aws) -> None:
    env.ec2.authorize_security_group_ingress(
        GroupId=env.workspace_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    found = fired(read(aws_env), "SR-NET-007")
    assert len(found) == 1 and found[0].resource_type == network.INGRESS_RULE
    assert "0.0.0.0/0" in found[0].message
    assert found[0].resource_name.startswith(f"{env.workspace_sg}/sgr-")  # the group it opened, then the rule


def test_egress_to_s3_prefix_list_is_judged_through_the_gateway_endpoint(env: Env, aws_env: Aws) -> None:
    resources = read(aws_env)
    to_s3 = [r for r in of_type(resources, network.EGRESS_RULE) if r.props.get("prefixListId")]
    assert len(to_s3) == 1
    gateway = next(r for r in of_type(resources, network.VPC_ENDPOINT) if r.props["id"] == env.s3_endpoint)
    assert to_s3[0].props["prefixListId"] == gateway.props["prefixListId"]
    assert fired(resources, "SR-NET-008") == []


def test_transit_gateway_route_added(env: Env, aws_env: Aws) -> None:
    gateway = env.ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    env.ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=gateway, VpcId=env.vpc, SubnetIds=env.subnets[:1]
    )
    env.ec2.create_route(
        RouteTableId=env.tables[1], DestinationCidrBlock="10.99.0.0/16", TransitGatewayId=gateway
    )
    found = fired(read(aws_env), "SR-NET-014")
    assert [f.resource_name for f in found] == ["sr-dev-network-private-rt-1"]
    assert gateway in found[0].message


def test_security_group_egress_to_the_internet(env: Env, aws_env: Aws) -> None:
    env.ec2.authorize_security_group_egress(
        GroupId=env.workspace_sg,
        IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
    )
    found = fired(read(aws_env), "SR-NET-008")
    assert len(found) == 1 and found[0].resource_type == network.EGRESS_RULE


def test_default_security_group_given_a_rule(env: Env, aws_env: Aws) -> None:
    env.ec2.authorize_security_group_ingress(
        GroupId=env.default_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
        ],
    )
    found = fired(read(aws_env), "SR-NET-010")
    assert len(found) == 1 and "1 ingress rule" in found[0].message


def test_flow_log_deleted(env: Env, aws_env: Aws) -> None:
    env.ec2.delete_flow_logs(FlowLogIds=[env.flow_log])
    found = fired(read(aws_env), "SR-NET-009")
    assert [f.resource_name for f in found] == ["sr-dev-network-vpc"]
    assert "no flow log" in found[0].message


def test_flow_log_recording_rejected_traffic_only(env: Env, aws_env: Aws) -> None:
    env.ec2.delete_flow_logs(FlowLogIds=[env.flow_log])
    env.ec2.create_flow_logs(
        ResourceIds=[env.vpc],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogGroupName=env.flow_group,
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/x",
    )
    found = fired(read(aws_env), "SR-NET-009")
    assert len(found) == 1 and "REJECT" in found[0].message


def test_flow_log_delivered_to_another_account(env: Env, aws_env: Aws) -> None:
    moto_client("s3", REGION).create_bucket(
        Bucket="exfil-bucket-999", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    env.ec2.create_flow_logs(
        ResourceIds=[env.vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::exfil-bucket-999",
    )
    found = fired(read(aws_env), "SR-NET-019")
    assert len(found) == 1 and "exfil-bucket-999" in found[0].message


def test_endpoint_policy_widened(env: Env, aws_env: Aws) -> None:
    wide = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    env.ec2.modify_vpc_endpoint(VpcEndpointId=env.sts_endpoint, PolicyDocument=json.dumps(wide))
    found = fired(read(aws_env), "SR-NET-012")
    assert {f.resource_name for f in found} == {"sr-dev-network-vpce-sts"}


def test_gateway_endpoint_policy_opened_to_any_bucket(env: Env, aws_env: Aws) -> None:
    wide = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}]}
    env.ec2.modify_vpc_endpoint(VpcEndpointId=env.s3_endpoint, PolicyDocument=json.dumps(wide))
    found = fired(read(aws_env), "SR-NET-011")
    assert {f.resource_name for f in found} == {"sr-dev-network-vpce-s3"}


def test_interface_endpoint_added_without_private_dns(env: Env, aws_env: Aws, dev_plan: Plan) -> None:
    # moto's ModifyVpcEndpoint ignores PrivateDnsEnabled, so the tamper is a new endpoint without it.
    endpoint = env.ec2.create_vpc_endpoint(
        VpcId=env.vpc,
        ServiceName=f"com.amazonaws.{REGION}.kms",
        VpcEndpointType="Interface",
        SubnetIds=env.subnets,
        SecurityGroupIds=[env.endpoint_sg],
        PrivateDnsEnabled=False,
        PolicyDocument=endpoint_policy(dev_plan, "kms"),
    )["VpcEndpoint"]["VpcEndpointId"]
    found = fired(read(aws_env), "SR-NET-013")
    assert [f.resource_name for f in found] == [endpoint]


def test_endpoint_deleted_is_gone_from_the_read(env: Env, aws_env: Aws) -> None:
    """No control judges an absent endpoint (the audit's drift check compares with the plan); the reader
    must not report a deleted one."""
    env.ec2.delete_vpc_endpoints(VpcEndpointIds=[env.sts_endpoint])
    endpoints = of_type(read(aws_env), network.VPC_ENDPOINT)
    assert [e.props["id"] for e in endpoints] == [env.s3_endpoint]


def test_subnet_made_public(env: Env, aws_env: Aws) -> None:
    env.ec2.modify_subnet_attribute(SubnetId=env.subnets[1], MapPublicIpOnLaunch={"Value": True})
    found = fired(read(aws_env), "SR-NET-005")
    assert [f.resource_name for f in found] == ["sr-dev-network-private-1"]


def test_dns_query_log_group_deleted(env: Env, aws_env: Aws) -> None:
    # moto implements neither DisassociateResolverQueryLogConfig nor DisassociateKmsKey; the tamper is
    # the query logs' destination deleted, so the VPC's DNS queries are recorded nowhere the stack holds.
    env.logs.delete_log_group(logGroupName="sr-dev-network-dns-query-logs")
    found = fired(read(aws_env), "SR-NET-041")
    assert [f.resource_name for f in found] == ["sr-dev-network-vpc"]
    assert "no log group or bucket of the stack" in found[0].message


# -- DNS Firewall: moto implements none of its APIs, so AWS's answers are stubbed (botocore Stubber) -----


def stub_resolver(aws: Aws, env: Env, *, fail_open: str = "DISABLED") -> Stubber:
    """Stub the Resolver client with moto's own query-logging answers, then a firewall association, its
    rule group and the VPC's config failing open or closed (``fail_open``)."""
    client = aws.client("route53resolver")
    associations = env.resolver.list_resolver_query_log_config_associations()
    configs = env.resolver.list_resolver_query_log_configs()
    stubber = Stubber(client)
    stubber.add_response(
        "list_resolver_query_log_config_associations",
        {"ResolverQueryLogConfigAssociations": associations["ResolverQueryLogConfigAssociations"]},
    )
    stubber.add_response(
        "list_resolver_query_log_configs", {"ResolverQueryLogConfigs": configs["ResolverQueryLogConfigs"]}
    )
    group = "rslvr-frg-1a2b3c4d5e6f7a8b"
    arn = f"arn:aws:route53resolver:{REGION}:{ACCOUNT}"
    stubber.add_response(
        "list_firewall_rule_group_associations",
        {
            "FirewallRuleGroupAssociations": [
                {
                    "Id": "rslvr-frgassoc-1",
                    "Arn": f"{arn}:firewall-rule-group-association/rslvr-frgassoc-1",
                    "FirewallRuleGroupId": group,
                    "VpcId": env.vpc,
                    "Name": "sr-dev-network-dns-firewall-vpc",
                    "Priority": 101,
                    "MutationProtection": "ENABLED",
                    "Status": "COMPLETE",
                }
            ]
        },
        {"VpcId": env.vpc},
    )
    stubber.add_response(
        "list_firewall_rule_groups",
        {
            "FirewallRuleGroups": [
                {
                    "Id": group,
                    "Arn": f"{arn}:firewall-rule-group/{group}",
                    "Name": "sr-dev-fw",
                    "OwnerId": ACCOUNT,
                }
            ]
        },
    )
    stubber.add_response(
        "list_firewall_configs",
        {
            "FirewallConfigs": [
                {"Id": "rslvr-fc-1", "ResourceId": env.vpc, "OwnerId": ACCOUNT, "FirewallFailOpen": fail_open}
            ]
        },
    )
    stubber.activate()
    return stubber


def test_dns_firewall_read_as_the_plan_models_it(env: Env, aws_env: Aws, dev_plan: Plan) -> None:
    with stub_resolver(aws_env, env) as stubber:
        resources = read(aws_env)
        stubber.assert_no_pending_responses()
    assert {c.action for c in aws_env.calls} - auditor_actions(dev_plan) == set()
    # AWS's association has no owner, nor has the provider's schema: the offline mocks add one.
    mock_only = {
        network.FIREWALL_ASSOCIATION: {"ownerId"},
        network.FIREWALL_RULE_GROUP: set(),
        network.FIREWALL_CONFIG: set(),
    }
    for type_, extra in mock_only.items():
        live = of_type(resources, type_)
        assert len(live) == 1, type_
        assert_plan_shaped(live[0], planned(dev_plan, type_), PULUMI_ONLY | extra)
    index = Index(resources, CONTEXT)
    vpc = of_type(resources, network.VPC)[0]
    (association,) = index.referencing(vpc, network.FIREWALL_ASSOCIATION, "vpcId")
    (group,) = of_type(resources, network.FIREWALL_RULE_GROUP)
    assert association.props["firewallRuleGroupId"] == group.props["id"]
    (config,) = index.referencing(vpc, network.FIREWALL_CONFIG, "resourceId")
    assert config.props["firewallFailOpen"] == "DISABLED"


def test_dns_firewall_set_to_fail_open(env: Env, aws_env: Aws) -> None:
    with stub_resolver(aws_env, env, fail_open="ENABLED"):
        found = fired(read(aws_env), "SR-NET-040")
    assert any("firewallFailOpen=ENABLED" in f.message for f in found)


def test_dns_firewall_not_read_from_an_emulator_endpoint(env: Env, aws_env: Aws) -> None:
    local = Aws(region=REGION, endpoint_url="http://127.0.0.1:1")
    (unread,) = network._dns_firewall(local, REGION, [env.vpc])
    assert isinstance(unread, Unread) and set(unread.types) == network.FIREWALL_TYPES <= set(network.TYPES)
    assert local.calls == []
    in_process = list(network._dns_firewall(aws_env, REGION, [env.vpc]))  # moto raises NotImplementedError
    assert [set(u.types) for u in in_process if isinstance(u, Unread)] == [network.FIREWALL_TYPES]
