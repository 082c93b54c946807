"""PrivateNetwork: a VPC with no way out to the internet, reaching AWS only through VPC endpoints.

Private subnets only (no internet, egress-only or NAT gateway, no EIP, no public IP), route tables with
nothing but the local route and the S3 gateway endpoint, the default security group, route table and
network ACL stripped, a network ACL that admits only what SageMaker and the endpoints need, interface
endpoints with private DNS and account-bound policies, and flow logs of all traffic to a KMS-encrypted
log group.

DNS is no way out either: Route 53 Resolver DNS Firewall on the VPC allows the AWS service domains of the
region (`components.policydocs.endpoint.allowed_dns_domains`) and blocks every other name, fail closed
(`ResolverFirewallConfig` with fail open disabled: if the firewall cannot answer, queries are refused),
and Resolver query logging records every query of the VPC in a KMS-encrypted log group.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from strongroom.components.cidr import (
    MAX_AZ_COUNT,
    MIN_AZ_COUNT,
    NaclRule,
    parse_vpc_cidr,
    plan_subnets,
    private_nacl_rules,
)
from strongroom.components.policydocs.endpoint import (
    BLOCK_ALL_DOMAINS,
    DEFAULT_INTERFACE_ENDPOINTS,
    INTERFACE_ENDPOINTS,
    allowed_dns_domains,
    bucket_prefix_arn,
    interface_endpoint_policy,
    interface_service_name,
    s3_gateway_endpoint_policy,
    s3_gateway_service_name,
)
from strongroom.components.policydocs.flowlogs import flow_log_assume_role_policy, flow_log_delivery_policy

LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""Retention periods CloudWatch Logs accepts (days)."""

DNS_ALLOW_PRIORITY = 100
DNS_BLOCK_PRIORITY = 9000
"""DNS Firewall rule priorities: the allow rule first, the block-all rule last (ascending order)."""
DNS_ASSOCIATION_PRIORITY = 101
"""Priority of the rule group among the VPC's rule groups (AWS accepts 100 to 9900)."""

AZ_RANGE = f"{MIN_AZ_COUNT}..{MAX_AZ_COUNT}"
_AZ_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_BUCKET_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:s3:::[a-z0-9][a-z0-9.-]*[a-z0-9*]$")


_IAM_PATH_RE = re.compile(r"/(?:[A-Za-z0-9_+=,.@-]+/)*")


def _bad(field_name: str, problem: str) -> ValueError:
    return ValueError(f"PrivateNetworkArgs.{field_name}: {problem}")


@dataclass
class PrivateNetworkArgs:
    """Inputs of :class:`PrivateNetwork`. Plain values are validated on construction."""

    vpc_cidr: str
    """IPv4 block of the VPC, inside an RFC 1918 range, /16 to /28 (e.g. ``10.20.0.0/16``)."""

    flow_log_kms_key_arn: pulumi.Input[str]
    """ARN of the customer-managed KMS key that encrypts the flow log group and the DNS query log group
    (KeyRing's logs key)."""

    s3_bucket_name_prefix: str | None = None
    """Name prefix of this environment's buckets: the S3 endpoint admits ``arn:aws:s3:::<prefix>-*``."""

    s3_bucket_arns: Sequence[pulumi.Input[str]] = ()
    """Further bucket ARNs (or ``...-*`` patterns) reachable through the S3 gateway endpoint."""

    az_count: int = 2
    """Number of availability zones, one private subnet each (1 to 6)."""

    availability_zones: Sequence[str] | None = None
    """AZ names to use (exactly ``az_count``); by default the region's first available ones."""

    subnet_prefix: int | None = None
    """Prefix length of each subnet; by default the smallest equal split of the VPC (see components.cidr)."""

    interface_endpoints: Sequence[str] = DEFAULT_INTERFACE_ENDPOINTS
    """Interface endpoints to create, from ``components.policydocs.endpoint.INTERFACE_ENDPOINTS``."""

    aws_image_accounts: Sequence[str] = ()
    """Accounts of SageMaker's AWS-owned image registries in the region that in-VPC workloads may pull
    from through the ECR endpoints (their endpoint policies confine everything else to this account)."""

    flow_log_retention_days: int = 365
    """Retention of the flow log and DNS query log groups, one of the periods CloudWatch Logs accepts."""

    region: str | None = None
    """AWS region; by default the provider's (``aws.get_region``)."""

    account_id: pulumi.Input[str] | None = None
    """Account that endpoint policies are bound to; by default the caller's (``aws.get_caller_identity``)."""

    permissions_boundary_arn: pulumi.Input[str] | None = None
    """Permission boundary of the flow-log delivery role (MlRoles' workload boundary). Every role a
    Strongroom stack creates carries one (control SR-IAM-004)."""

    iam_path: str = "/strongroom/"
    """IAM path of the flow-log delivery role, so the environment's boundary and auditor cover it."""

    subnet_cidrs: list[str] = field(init=False, default_factory=list)
    """The planned subnet CIDRs, one per AZ (computed)."""

    def __post_init__(self) -> None:
        if not _IAM_PATH_RE.fullmatch(self.iam_path):
            raise _bad("iam_path", f"{self.iam_path!r} is not an IAM path; accepted e.g. '/strongroom/dev/'")
        if isinstance(self.az_count, bool) or not isinstance(self.az_count, int):
            raise _bad("az_count", f"{self.az_count!r} is not an integer; accepted {AZ_RANGE}")
        if not MIN_AZ_COUNT <= self.az_count <= MAX_AZ_COUNT:
            raise _bad("az_count", f"{self.az_count} is out of range; accepted {AZ_RANGE}")
        if self.subnet_prefix is not None and (
            isinstance(self.subnet_prefix, bool) or not isinstance(self.subnet_prefix, int)
        ):
            raise _bad("subnet_prefix", f"{self.subnet_prefix!r} is not an integer prefix length such as 20")
        try:
            parse_vpc_cidr(self.vpc_cidr)
        except ValueError as exc:
            raise _bad("vpc_cidr", str(exc)) from exc
        try:
            self.subnet_cidrs = plan_subnets(self.vpc_cidr, self.az_count, self.subnet_prefix)
        except ValueError as exc:
            raise _bad("vpc_cidr" if self.subnet_prefix is None else "subnet_prefix", str(exc)) from exc
        if self.availability_zones is not None:
            zones = list(self.availability_zones)
            bad = [zone for zone in zones if not isinstance(zone, str) or not _AZ_NAME.match(zone)]
            if bad:
                raise _bad("availability_zones", f"{bad!r} are not AZ names such as 'eu-west-2a'")
            if len(set(zones)) != len(zones):
                raise _bad("availability_zones", f"{zones!r} lists an AZ twice")
            if len(zones) != self.az_count:
                raise _bad(
                    "availability_zones", f"{zones!r} has {len(zones)} AZs but az_count is {self.az_count}"
                )
        if isinstance(self.interface_endpoints, str):
            raise _bad("interface_endpoints", f"{self.interface_endpoints!r} is a string, not a list")
        unknown = [name for name in self.interface_endpoints if name not in INTERFACE_ENDPOINTS]
        if unknown:
            raise _bad(
                "interface_endpoints",
                f"{unknown!r} unknown; accepted: {', '.join(INTERFACE_ENDPOINTS)}",
            )
        if len(set(self.interface_endpoints)) != len(self.interface_endpoints):
            raise _bad("interface_endpoints", f"{list(self.interface_endpoints)!r} lists an endpoint twice")
        if isinstance(self.aws_image_accounts, str) or any(
            not isinstance(a, str) or not _ACCOUNT.match(a) for a in self.aws_image_accounts
        ):
            raise _bad(
                "aws_image_accounts", f"{self.aws_image_accounts!r} is not a list of 12-digit account IDs"
            )
        if self.flow_log_retention_days not in LOG_RETENTION_DAYS:
            raise _bad(
                "flow_log_retention_days",
                f"{self.flow_log_retention_days!r} is not a CloudWatch Logs retention period; "
                f"accepted: {', '.join(str(d) for d in LOG_RETENTION_DAYS)}",
            )
        if self.s3_bucket_name_prefix is not None:
            try:
                bucket_prefix_arn(self.s3_bucket_name_prefix)
            except ValueError as exc:
                raise _bad("s3_bucket_name_prefix", str(exc)) from exc
        if isinstance(self.s3_bucket_arns, str):
            raise _bad("s3_bucket_arns", f"{self.s3_bucket_arns!r} is a string, not a list of ARNs")
        for arn in self.s3_bucket_arns:
            if isinstance(arn, str) and (not _BUCKET_ARN.match(arn) or arn.endswith(":::*")):
                raise _bad(
                    "s3_bucket_arns",
                    f"{arn!r} is not a bucket ARN such as 'arn:aws:s3:::my-bucket' or "
                    "'arn:aws:s3:::my-prefix-*'",
                )
        if self.s3_bucket_name_prefix is None and not self.s3_bucket_arns:
            raise _bad(
                "s3_bucket_name_prefix",
                "neither s3_bucket_name_prefix nor s3_bucket_arns is set; "
                "the S3 endpoint would admit no bucket",
            )
        if self.region is not None and not _REGION.match(self.region):
            raise _bad("region", f"{self.region!r} is not an AWS region name such as 'eu-west-2'")
        if isinstance(self.account_id, str) and not _ACCOUNT.match(self.account_id):
            raise _bad("account_id", f"{self.account_id!r} is not a 12-digit AWS account id")


def _endpoint_role(endpoint: str) -> str:
    return endpoint.replace(".", "-")


def _zone_picker(index: int, wanted: int) -> Callable[[Sequence[str]], str]:
    """Pick the ``index``-th available AZ (sorted by name) from the region's list."""

    def pick(names: Sequence[str]) -> str:
        if len(names) < wanted:
            found = ", ".join(names)
            raise ValueError(f"the region has {len(names)} available AZ(s) ({found}); az_count is {wanted}")
        return sorted(names)[index]

    return pick


def _service_namer(endpoint: str) -> Callable[[str], str]:
    return lambda region: interface_service_name(endpoint, region)


def _s3_policy(values: list[str]) -> str:
    account_id, region, partition, *bucket_arns = values
    return s3_gateway_endpoint_policy(account_id, region, bucket_arns, partition)


def _interface_policy(endpoint: str, image_accounts: tuple[str, ...]) -> Callable[[list[str]], str]:
    def build(values: list[str]) -> str:
        account_id, region, partition = values
        accounts = image_accounts if endpoint in ("ecr.api", "ecr.dkr") else ()
        return interface_endpoint_policy(account_id, endpoint, region, partition, accounts)

    return build


def _trust_policy(values: list[str]) -> str:
    account_id, partition = values
    return flow_log_assume_role_policy(account_id, partition)


def _ingress_args(rules: tuple[list[NaclRule], list[NaclRule]]) -> list[aws.ec2.NetworkAclIngressArgs]:
    return [aws.ec2.NetworkAclIngressArgs(**rule) for rule in rules[0]]


def _egress_args(rules: tuple[list[NaclRule], list[NaclRule]]) -> list[aws.ec2.NetworkAclEgressArgs]:
    return [aws.ec2.NetworkAclEgressArgs(**rule) for rule in rules[1]]


class PrivateNetwork(pulumi.ComponentResource):
    """A VPC with private subnets only, VPC endpoints to AWS, locked-down defaults and flow logs."""

    vpc_id: pulumi.Output[str]
    """ID of the VPC."""
    vpc_cidr: str
    """The VPC's IPv4 CIDR block, as given in the args."""
    subnet_ids: pulumi.Output[list[str]]
    """IDs of the private subnets, one per availability zone."""
    subnet_cidrs: list[str]
    """CIDR blocks of the private subnets, in the order of `subnet_ids`."""
    availability_zones: pulumi.Output[list[str]]
    """Availability zone of each private subnet, in the order of `subnet_ids`."""
    route_table_ids: pulumi.Output[list[str]]
    """IDs of the private route tables (no route to the internet)."""
    network_acl_id: pulumi.Output[str]
    """ID of the network ACL on the private subnets."""
    endpoint_security_group_id: pulumi.Output[str]
    """ID of the security group of the interface VPC endpoints."""
    workload_security_group_id: pulumi.Output[str]
    """ID of the security group for workloads in the private subnets."""
    s3_endpoint_id: pulumi.Output[str]
    """ID of the S3 gateway endpoint; bucket policies admit requests through it."""
    s3_prefix_list_id: pulumi.Output[str]
    """ID of the S3 prefix list (security group rules reach S3 through it)."""
    interface_endpoint_ids: dict[str, pulumi.Output[str]]
    """IDs of the interface VPC endpoints, keyed by service name (e.g. `sts`)."""
    flow_log_id: pulumi.Output[str]
    """ID of the VPC flow log."""
    flow_log_group_arn: pulumi.Output[str]
    """ARN of the KMS-encrypted CloudWatch log group receiving the flow logs."""
    flow_log_group_name: pulumi.Output[str]
    """Name of the flow-log group."""
    flow_log_role_arn: pulumi.Output[str]
    """ARN of the role VPC Flow Logs assumes to write to the log group."""
    dns_firewall_rule_group_id: pulumi.Output[str]
    """ID of the Route 53 Resolver DNS Firewall rule group associated with the VPC."""
    dns_query_log_group_arn: pulumi.Output[str]
    """ARN of the log group receiving the Resolver DNS query logs."""
    dns_query_log_config_id: pulumi.Output[str]
    """ID of the Resolver query logging configuration of the VPC."""

    def __init__(
        self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if isinstance(args, dict):  # the inputs of a program in another language (components/provider.py)
            args = PrivateNetworkArgs(**args)
        super().__init__("strongroom:index:PrivateNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)

        region: pulumi.Output[str] = (
            pulumi.Output.from_input(args.region)
            if args.region is not None
            else aws.get_region_output(opts=invoke).region
        )
        account_id: pulumi.Output[str] = (
            pulumi.Output.from_input(args.account_id)
            if args.account_id is not None
            else aws.get_caller_identity_output(opts=invoke).account_id
        )
        partition: pulumi.Output[str] = aws.get_partition_output(opts=invoke).partition
        s3_prefix_list = aws.ec2.get_prefix_list_output(
            name=region.apply(s3_gateway_service_name), opts=invoke
        )

        def tags(role: str) -> dict[str, str]:
            return {"Name": f"{name}-{role}"}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            assign_generated_ipv6_cidr_block=False,
            instance_tenancy="default",
            tags=tags("vpc"),
            opts=child,
        )

        # The defaults AWS creates with every VPC: take them over and empty them.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=tags("default-sg"),
            opts=child,
        )
        aws.ec2.DefaultRouteTable(
            f"{name}-default-rt",
            default_route_table_id=vpc.default_route_table_id,
            routes=[],
            tags=tags("default-rt"),
            opts=child,
        )
        aws.ec2.DefaultNetworkAcl(
            f"{name}-default-nacl",
            default_network_acl_id=vpc.default_network_acl_id,
            ingress=[],
            egress=[],
            tags=tags("default-nacl"),
            opts=child,
        )

        if args.availability_zones is not None:
            zones: list[pulumi.Input[str]] = list(args.availability_zones)
        else:
            names = aws.get_availability_zones_output(state="available", opts=invoke).names
            zones = [names.apply(_zone_picker(i, args.az_count)) for i in range(args.az_count)]

        subnets: list[aws.ec2.Subnet] = []
        route_tables: list[aws.ec2.RouteTable] = []
        for index, (zone, cidr) in enumerate(zip(zones, args.subnet_cidrs, strict=True)):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                assign_ipv6_address_on_creation=False,
                tags=tags(f"private-{index}"),
                opts=child,
            )
            # No routes: only the implicit local route, plus the S3 gateway endpoint's prefix-list route.
            route_table = aws.ec2.RouteTable(
                f"{name}-private-rt-{index}",
                vpc_id=vpc.id,
                routes=[],
                tags=tags(f"private-rt-{index}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{index}",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                opts=child,
            )
            subnets.append(subnet)
            route_tables.append(route_table)
        subnet_ids = [subnet.id for subnet in subnets]
        route_table_ids = [route_table.id for route_table in route_tables]

        # S3 answers from its prefix list's public addresses: the stateless ACL must name them.
        nacl_rules = s3_prefix_list.cidr_blocks.apply(
            lambda cidrs: private_nacl_rules(args.vpc_cidr, list(cidrs or []))
        )
        network_acl = aws.ec2.NetworkAcl(
            f"{name}-private-nacl",
            vpc_id=vpc.id,
            subnet_ids=subnet_ids,
            ingress=nacl_rules.apply(_ingress_args),
            egress=nacl_rules.apply(_egress_args),
            tags=tags("private-nacl"),
            opts=child,
        )

        # Security groups carry no inline rules: every rule is a standalone resource with a description,
        # so other components (the workspace) can add theirs without the two fighting.
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoint-sg",
            vpc_id=vpc.id,
            description="Interface VPC endpoints: HTTPS only, from the workload and workspace groups",
            revoke_rules_on_delete=True,
            tags=tags("endpoint-sg"),
            opts=child,
        )
        workload_sg = aws.ec2.SecurityGroup(
            f"{name}-workload-sg",
            vpc_id=vpc.id,
            description="ML workloads: HTTPS to the VPC endpoints and S3 only",
            revoke_rules_on_delete=True,
            tags=tags("workload-sg"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoint-https-from-workload",
            security_group_id=endpoint_sg.id,
            referenced_security_group_id=workload_sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS from the workload security group to the interface endpoints",
            tags=tags("endpoint-https-from-workload"),
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-workload-https-to-endpoints",
            security_group_id=workload_sg.id,
            referenced_security_group_id=endpoint_sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS from workloads to the interface endpoints",
            tags=tags("workload-https-to-endpoints"),
            opts=child,
        )
        bucket_arns: list[pulumi.Input[str]] = list(args.s3_bucket_arns)
        if args.s3_bucket_name_prefix is not None:
            prefix = args.s3_bucket_name_prefix
            bucket_arns.insert(0, partition.apply(lambda p: bucket_prefix_arn(prefix, p)))
        s3_policy = pulumi.Output.all(account_id, region, partition, *bucket_arns).apply(_s3_policy)
        s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-vpce-s3",
            vpc_id=vpc.id,
            service_name=region.apply(s3_gateway_service_name),
            vpc_endpoint_type="Gateway",
            route_table_ids=route_table_ids,
            policy=s3_policy,
            tags=tags("vpce-s3"),
            opts=child,
        )
        # The endpoint's own prefix list output (not a looked-up id), so the gate can tell it is S3's.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-workload-https-to-s3",
            security_group_id=workload_sg.id,
            prefix_list_id=s3_endpoint.prefix_list_id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS from workloads to S3 through the gateway endpoint (S3 prefix list)",
            tags=tags("workload-https-to-s3"),
            opts=child,
        )

        interface_endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        for endpoint in args.interface_endpoints:
            interface_policy = pulumi.Output.all(account_id, region, partition).apply(
                _interface_policy(endpoint, tuple(args.aws_image_accounts))
            )
            role = f"vpce-{_endpoint_role(endpoint)}"
            interface_endpoints[endpoint] = aws.ec2.VpcEndpoint(
                f"{name}-{role}",
                vpc_id=vpc.id,
                service_name=region.apply(_service_namer(endpoint)),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                ip_address_type="ipv4",
                subnet_ids=subnet_ids,
                security_group_ids=[endpoint_sg.id],
                policy=interface_policy,
                tags=tags(role),
                opts=child,
            )

        flow_log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            kms_key_id=args.flow_log_kms_key_arn,
            retention_in_days=args.flow_log_retention_days,
            tags=tags("flow-logs"),
            opts=child,
        )
        flow_log_role = aws.iam.Role(
            f"{name}-flow-logs-role",
            description="Delivers this VPC's flow logs to its CloudWatch log group",
            assume_role_policy=pulumi.Output.all(account_id, partition).apply(_trust_policy),
            path=args.iam_path,
            permissions_boundary=args.permissions_boundary_arn,
            tags=tags("flow-logs-role"),
            opts=child,
        )
        flow_log_role_policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=flow_log_role.id,
            policy=flow_log_group.arn.apply(flow_log_delivery_policy),
            opts=child,
        )
        flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_log_group.arn,
            iam_role_arn=flow_log_role.arn,
            max_aggregation_interval=60,
            tags=tags("flow-log"),
            # The role's permissions are a separate resource the flow log does not reference.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[flow_log_role_policy]),
        )

        dns_firewall_group, dns_log_group, dns_log_config = self._dns(name, args, vpc, region, tags)

        self.vpc_id = vpc.id
        self.vpc_cidr = args.vpc_cidr
        self.subnet_ids = pulumi.Output.all(*subnet_ids).apply(list)
        self.subnet_cidrs = list(args.subnet_cidrs)
        self.availability_zones = pulumi.Output.all(*[subnet.availability_zone for subnet in subnets]).apply(
            list
        )
        self.route_table_ids = pulumi.Output.all(*route_table_ids).apply(list)
        self.network_acl_id = network_acl.id
        self.endpoint_security_group_id = endpoint_sg.id
        self.workload_security_group_id = workload_sg.id
        self.s3_endpoint_id = s3_endpoint.id
        self.s3_prefix_list_id = s3_endpoint.prefix_list_id
        self.interface_endpoint_ids = {key: value.id for key, value in interface_endpoints.items()}
        self.flow_log_id = flow_log.id
        self.flow_log_group_arn = flow_log_group.arn
        self.flow_log_group_name = flow_log_group.name
        self.flow_log_role_arn = flow_log_role.arn
        self.dns_firewall_rule_group_id = dns_firewall_group.id
        self.dns_query_log_group_arn = dns_log_group.arn
        self.dns_query_log_config_id = dns_log_config.id
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "subnet_ids": self.subnet_ids,
                "subnet_cidrs": self.subnet_cidrs,
                "availability_zones": self.availability_zones,
                "route_table_ids": self.route_table_ids,
                "network_acl_id": self.network_acl_id,
                "endpoint_security_group_id": self.endpoint_security_group_id,
                "workload_security_group_id": self.workload_security_group_id,
                "s3_endpoint_id": self.s3_endpoint_id,
                "s3_prefix_list_id": self.s3_prefix_list_id,
                "interface_endpoint_ids": self.interface_endpoint_ids,
                "flow_log_id": self.flow_log_id,
                "flow_log_group_arn": self.flow_log_group_arn,
                "flow_log_group_name": self.flow_log_group_name,
                "flow_log_role_arn": self.flow_log_role_arn,
                "dns_firewall_rule_group_id": self.dns_firewall_rule_group_id,
                "dns_query_log_group_arn": self.dns_query_log_group_arn,
                "dns_query_log_config_id": self.dns_query_log_config_id,
            }
        )

    def _dns(
        self,
        name: str,
        args: PrivateNetworkArgs,
        vpc: aws.ec2.Vpc,
        region: pulumi.Output[str],
        tags: Callable[[str], dict[str, str]],
    ) -> tuple[
        aws.route53.ResolverFirewallRuleGroup, aws.cloudwatch.LogGroup, aws.route53.ResolverQueryLogConfig
    ]:
        """DNS Firewall (allow the region's AWS domains, block the rest, fail closed) and query logging."""
        child = pulumi.ResourceOptions(parent=self)
        allowed = aws.route53.ResolverFirewallDomainList(
            f"{name}-dns-aws-domains",
            name=f"{name}-dns-aws-domains",
            domains=region.apply(allowed_dns_domains),
            tags=tags("dns-aws-domains"),
            opts=child,
        )
        everything = aws.route53.ResolverFirewallDomainList(
            f"{name}-dns-all-domains",
            name=f"{name}-dns-all-domains",
            domains=list(BLOCK_ALL_DOMAINS),
            tags=tags("dns-all-domains"),
            opts=child,
        )
        group = aws.route53.ResolverFirewallRuleGroup(
            f"{name}-dns-firewall", name=f"{name}-dns-firewall", tags=tags("dns-firewall"), opts=child
        )
        # Rules run in ascending priority: the AWS domains first, then a block of every other name.
        allow_rule = aws.route53.ResolverFirewallRule(
            f"{name}-dns-allow-aws",
            name=f"{name}-dns-allow-aws",
            firewall_rule_group_id=group.id,
            firewall_domain_list_id=allowed.id,
            action="ALLOW",
            priority=DNS_ALLOW_PRIORITY,
            opts=child,
        )
        block_rule = aws.route53.ResolverFirewallRule(
            f"{name}-dns-block-all",
            name=f"{name}-dns-block-all",
            firewall_rule_group_id=group.id,
            firewall_domain_list_id=everything.id,
            action="BLOCK",
            block_response="NXDOMAIN",
            priority=DNS_BLOCK_PRIORITY,
            opts=child,
        )
        aws.route53.ResolverFirewallRuleGroupAssociation(
            f"{name}-dns-firewall-vpc",
            name=f"{name}-dns-firewall-vpc",
            firewall_rule_group_id=group.id,
            vpc_id=vpc.id,
            priority=DNS_ASSOCIATION_PRIORITY,
            mutation_protection="ENABLED",
            tags=tags("dns-firewall-vpc"),
            # Associated only once both rules exist: never a moment with the allow rule alone.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[allow_rule, block_rule]),
        )
        aws.route53.ResolverFirewallConfig(
            f"{name}-dns-firewall-config", resource_id=vpc.id, firewall_fail_open="DISABLED", opts=child
        )
        # Resolver delivers query logs through CloudWatch Logs' log delivery (delivery.logs.amazonaws.com),
        # which adds its statement to the account's log resource policy when the config is created; the
        # logs key already lets logs.<region>.amazonaws.com encrypt this account's log groups.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-dns-query-logs",
            kms_key_id=args.flow_log_kms_key_arn,
            retention_in_days=args.flow_log_retention_days,
            tags=tags("dns-query-logs"),
            opts=child,
        )
        log_config = aws.route53.ResolverQueryLogConfig(
            f"{name}-dns-query-log",
            name=f"{name}-dns-query-log",
            destination_arn=log_group.arn,
            tags=tags("dns-query-log"),
            opts=child,
        )
        aws.route53.ResolverQueryLogConfigAssociation(
            f"{name}-dns-query-log-vpc",
            resolver_query_log_config_id=log_config.id,
            resource_id=vpc.id,
            opts=child,
        )
        return group, log_group, log_config
