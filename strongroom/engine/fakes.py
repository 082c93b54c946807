"""Realistic, deterministic mock outputs for AWS resources and provider functions.

Every value is derived from a SHA-256 of the resource URN (or the invoke token and its arguments), so
the same program gives the same plan on every run. Formats follow what AWS and pulumi-aws return: ARN
partition/region/account, ``vpc-`` + 17 hex digits, KMS key ids as UUIDs, bucket id = bucket name,
auto-names as Pulumi makes them (``<name>-<7 hex>``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import re
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

_ALNUM_LOWER = string.ascii_lowercase + string.digits
_ALNUM_UPPER = string.ascii_uppercase + string.digits


class Entropy:
    """A deterministic stream of pseudo-random characters seeded by a string."""

    def __init__(self, seed: str) -> None:
        self._seed = seed

    def _bytes(self, salt: str, n: int) -> bytes:
        out = b""
        counter = 0
        while len(out) < n:
            out += hashlib.sha256(f"{self._seed}|{salt}|{counter}".encode()).digest()
            counter += 1
        return out[:n]

    def hex(self, n: int, salt: str = "") -> str:
        return self._bytes(salt or "hex", (n + 1) // 2).hex()[:n]

    def chars(self, alphabet: str, n: int, salt: str = "") -> str:
        return "".join(alphabet[b % len(alphabet)] for b in self._bytes(salt or alphabet, n))

    def digits(self, n: int, salt: str = "") -> str:
        return self.chars(string.digits, n, salt or "digits")

    def uuid(self, salt: str = "") -> str:
        return str(uuid.UUID(bytes=self._bytes(salt or "uuid", 16), version=4))


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


def dns_suffix_of(partition: str) -> str:
    return {"aws-cn": "amazonaws.com.cn", "aws-iso": "c2s.ic.gov", "aws-iso-b": "sc2s.sgov.gov"}.get(
        partition, "amazonaws.com"
    )


def _kebab(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", camel).lower()


@dataclass
class ResourceContext:
    """What a fake needs to know about one resource."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    region: str
    account: str

    def __post_init__(self) -> None:
        self.rand = Entropy(self.urn)
        self.partition = partition_of(self.region)

    @property
    def service(self) -> str:
        """The module of the type token: ``aws:ec2/vpc:Vpc`` -> ``ec2``."""
        return self.type.split(":")[1].split("/")[0]

    @property
    def kind(self) -> str:
        """The class of the type token: ``aws:ec2/vpc:Vpc`` -> ``Vpc``."""
        return self.type.rsplit(":", 1)[-1]

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return ":".join(
            [
                "arn",
                self.partition,
                service,
                self.region if region else "",
                self.account if account else "",
                resource,
            ]
        )

    def autoname(self, key: str = "name", *, lower: bool = False, max_len: int | None = None) -> str:
        """The physical name: the input if given, ``<prefix><26 chars>`` for a ``*Prefix`` input, or
        Pulumi's auto-name ``<logical name>-<7 hex>``."""
        given = self.inputs.get(key)
        if isinstance(given, str) and given:
            return given
        prefix = self.inputs.get(f"{key}Prefix")
        if isinstance(prefix, str) and prefix:
            value = prefix + self.rand.digits(26, "prefix")
        else:
            value = f"{self.name}-{self.rand.hex(7, 'autoname')}"
        if lower:
            value = value.lower()
        if max_len is not None and len(value) > max_len:
            value = value[: max_len - 8] + value[-8:]
        return value

    def ec2_id(self, prefix: str) -> str:
        return f"{prefix}-0{self.rand.hex(16, prefix)}"


Fake = Callable[[ResourceContext], tuple[str, dict[str, Any]]]
_FAKES: dict[str, Fake] = {}


def _fake(*types: str) -> Callable[[Fake], Fake]:
    def register(fn: Fake) -> Fake:
        for t in types:
            _FAKES[t] = fn
        return fn

    return register


# --- S3 -------------------------------------------------------------------------------------------


@_fake("aws:s3/bucket:Bucket")
def _bucket(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    bucket = c.autoname("bucket", lower=True, max_len=63)
    suffix = dns_suffix_of(c.partition)
    return bucket, {
        "bucket": bucket,
        "arn": c.arn("s3", bucket, region=False, account=False),
        "bucketDomainName": f"{bucket}.s3.{suffix}",
        "bucketRegionalDomainName": f"{bucket}.s3.{c.region}.{suffix}",
        "hostedZoneId": "Z" + c.rand.chars(_ALNUM_UPPER, 13, "zone"),
        "region": c.region,
        "requestPayer": "BucketOwner",
        "forceDestroy": c.inputs.get("forceDestroy", False),
        "objectLockEnabled": c.inputs.get("objectLockEnabled", False),
    }


def _bucket_companion(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    bucket = c.inputs.get("bucket")
    if not isinstance(bucket, str) or not bucket:
        bucket = c.autoname(lower=True)
    owner = c.inputs.get("expectedBucketOwner")
    return (f"{bucket},{owner}" if owner else bucket), {"bucket": bucket}


for _t in (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:s3/bucketNotification:BucketNotification",
    "aws:s3/bucketAcl:BucketAcl",
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
    "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration",
    "aws:s3/bucketRequestPaymentConfiguration:BucketRequestPaymentConfiguration",
    "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
):
    _FAKES[_t] = _bucket_companion
    # pulumi-aws 7 still ships the deprecated ...V2 names (aws:s3/bucketVersioningV2:BucketVersioningV2).
    _module, _kind = _t.rsplit(":", 1)
    _FAKES[f"{_module}V2:{_kind}V2"] = _bucket_companion


@_fake("aws:s3/bucketObject:BucketObject", "aws:s3/bucketObjectv2:BucketObjectv2")
def _bucket_object(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    key = str(c.inputs.get("key") or c.name)
    return key, {
        "key": key,
        "etag": c.rand.hex(32, "etag"),
        "versionId": c.rand.chars(_ALNUM_LOWER + _ALNUM_UPPER, 32, "version"),
        "arn": c.arn("s3", f"{c.inputs.get('bucket', '')}/{key}", region=False, account=False),
    }


@_fake("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock")
def _account_pab(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    return c.account, {"accountId": c.account}


# --- KMS ------------------------------------------------------------------------------------------


@_fake("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey")
def _kms_key(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    key_id = c.rand.uuid("key")
    return key_id, {
        "keyId": key_id,
        "arn": c.arn("kms", f"key/{key_id}"),
        "keyUsage": c.inputs.get("keyUsage", "ENCRYPT_DECRYPT"),
        "customerMasterKeySpec": c.inputs.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT"),
        "isEnabled": c.inputs.get("isEnabled", True),
        "multiRegion": c.inputs.get("multiRegion", False),
    }


@_fake("aws:kms/alias:Alias")
def _kms_alias(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name")
    if not isinstance(name, str) or not name:
        prefix = c.inputs.get("namePrefix") or "alias/"
        name = f"{prefix}{c.name}-{c.rand.hex(7, 'autoname')}"
    target = str(c.inputs.get("targetKeyId", ""))
    target_arn = target if target.startswith("arn:") else c.arn("kms", f"key/{target}")
    return name, {"name": name, "arn": c.arn("kms", name), "targetKeyArn": target_arn}


@_fake("aws:kms/grant:Grant")
def _kms_grant(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    grant_id = c.rand.hex(64, "grant")
    return f"{c.inputs.get('keyId', '')}:{grant_id}", {
        "grantId": grant_id,
        "grantToken": c.rand.chars(_ALNUM_LOWER + _ALNUM_UPPER, 64, "token"),
    }


@_fake("aws:kms/keyPolicy:KeyPolicy")
def _kms_key_policy(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    return str(c.inputs.get("keyId", "")), {}


# --- EC2 / VPC ------------------------------------------------------------------------------------


def _ec2(
    prefix: str, arn_kind: str | None, extra: Callable[[ResourceContext, str], dict[str, Any]] | None = None
):
    def fake(c: ResourceContext) -> tuple[str, dict[str, Any]]:
        rid = c.ec2_id(prefix)
        out: dict[str, Any] = {"ownerId": c.account}
        if arn_kind:
            out["arn"] = c.arn("ec2", f"{arn_kind}/{rid}")
        if extra:
            out.update(extra(c, rid))
        return rid, out

    return fake


def _vpc_extra(c: ResourceContext, rid: str) -> dict[str, Any]:
    return {
        "defaultSecurityGroupId": c.ec2_id("sg"),
        "defaultNetworkAclId": c.ec2_id("acl"),
        "defaultRouteTableId": c.ec2_id("rtb"),
        "mainRouteTableId": c.ec2_id("rtb"),
        "dhcpOptionsId": c.ec2_id("dopt"),
        "instanceTenancy": c.inputs.get("instanceTenancy", "default"),
        "enableDnsSupport": c.inputs.get("enableDnsSupport", True),
        "enableDnsHostnames": c.inputs.get("enableDnsHostnames", False),
    }


_AZ_LETTERS = "abcdef"


def _az_id(region: str, az: str) -> str:
    """``eu-west-2a`` -> ``euw2-az1`` (the shape AWS uses; the mapping itself is account-specific)."""
    parts = region.split("-")
    short = "".join(p[0] for p in parts[:-1]) + parts[-1]
    letter = az[len(region) :] or "a"
    return f"{short}-az{_AZ_LETTERS.index(letter[0]) + 1 if letter[0] in _AZ_LETTERS else 1}"


def _subnet_extra(c: ResourceContext, rid: str) -> dict[str, Any]:
    az = c.inputs.get("availabilityZone")
    if not isinstance(az, str) or not az:
        az = f"{c.region}a"
    return {
        "availabilityZone": az,
        "availabilityZoneId": c.inputs.get("availabilityZoneId") or _az_id(c.region, az),
        "mapPublicIpOnLaunch": c.inputs.get("mapPublicIpOnLaunch", False),
        "assignIpv6AddressOnCreation": c.inputs.get("assignIpv6AddressOnCreation", False),
    }


def _sg_extra(c: ResourceContext, rid: str) -> dict[str, Any]:
    name = "default" if c.kind == "DefaultSecurityGroup" else c.autoname()
    return {"name": name, "description": c.inputs.get("description", "Managed by Pulumi")}


def _sgr_extra(c: ResourceContext, rid: str) -> dict[str, Any]:
    return {"securityGroupRuleId": rid}


def _vpce_extra(c: ResourceContext, rid: str) -> dict[str, Any]:
    service = str(c.inputs.get("serviceName", ""))
    vtype = c.inputs.get("vpcEndpointType", "Gateway")
    out: dict[str, Any] = {"state": "available", "vpcEndpointType": vtype, "requesterManaged": False}
    if vtype == "Gateway":
        out["prefixListId"] = "pl-" + c.rand.hex(8, "pl")
        out["cidrBlocks"] = ["52.95.128.0/21", "3.5.0.0/18"]
        out["dnsEntries"] = []
        out["networkInterfaceIds"] = []
    else:
        svc = service.split(".")[-1] if service else "service"
        host = (
            f"{rid}-{c.rand.chars(_ALNUM_LOWER, 8, 'dns')}.{svc}.{c.region}.vpce.{dns_suffix_of(c.partition)}"
        )
        out["dnsEntries"] = [{"dnsName": host, "hostedZoneId": "Z" + c.rand.chars(_ALNUM_UPPER, 13, "hz")}]
        subnets = c.inputs.get("subnetIds") or []
        out["networkInterfaceIds"] = [
            c.ec2_id(f"eni{i}").replace(f"eni{i}-", "eni-") for i in range(len(subnets))
        ]
        out["privateDnsEnabled"] = c.inputs.get("privateDnsEnabled", False)
    return out


def _flow_log_extra(c: ResourceContext, rid: str) -> dict[str, Any]:
    return {"trafficType": c.inputs.get("trafficType"), "logFormat": c.inputs.get("logFormat", "")}


def _eip_extra(c: ResourceContext, rid: str) -> dict[str, Any]:
    ip = ".".join(str(int(c.rand.hex(2, f"ip{i}"), 16)) for i in range(4))
    return {"allocationId": rid, "publicIp": ip, "domain": "vpc", "publicDns": f"ec2-{ip.replace('.', '-')}"}


def _instance_extra(c: ResourceContext, rid: str) -> dict[str, Any]:
    return {"instanceState": "running", "primaryNetworkInterfaceId": c.ec2_id("eni")}


_FAKES.update(
    {
        "aws:ec2/vpc:Vpc": _ec2("vpc", "vpc", _vpc_extra),
        "aws:ec2/subnet:Subnet": _ec2("subnet", "subnet", _subnet_extra),
        "aws:ec2/securityGroup:SecurityGroup": _ec2("sg", "security-group", _sg_extra),
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _ec2("sg", "security-group", _sg_extra),
        "aws:ec2/securityGroupRule:SecurityGroupRule": _ec2("sgrule", None),
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ec2(
            "sgr", "security-group-rule", _sgr_extra
        ),
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _ec2(
            "sgr", "security-group-rule", _sgr_extra
        ),
        "aws:ec2/routeTable:RouteTable": _ec2("rtb", "route-table"),
        "aws:ec2/defaultRouteTable:DefaultRouteTable": _ec2("rtb", "route-table"),
        "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation": _ec2("rtbassoc", None),
        "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2("rtbassoc", None),
        "aws:ec2/route:Route": _ec2("r-rtb", None),
        "aws:ec2/vpcEndpoint:VpcEndpoint": _ec2("vpce", "vpc-endpoint", _vpce_extra),
        "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation": _ec2("a-vpce", None),
        "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": _ec2("vpce", None),
        "aws:ec2/networkAcl:NetworkAcl": _ec2("acl", "network-acl"),
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": _ec2("acl", "network-acl"),
        "aws:ec2/networkAclRule:NetworkAclRule": _ec2("nacl", None),
        "aws:ec2/networkAclAssociation:NetworkAclAssociation": _ec2("aclassoc", None),
        "aws:ec2/flowLog:FlowLog": _ec2("fl", "vpc-flow-log", _flow_log_extra),
        "aws:ec2/internetGateway:InternetGateway": _ec2("igw", "internet-gateway"),
        "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment": _ec2("igw", None),
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": _ec2("eigw", None),
        "aws:ec2/natGateway:NatGateway": _ec2("nat", None),
        "aws:ec2/eip:Eip": _ec2("eipalloc", "elastic-ip", _eip_extra),
        "aws:ec2/instance:Instance": _ec2("i", "instance", _instance_extra),
        "aws:ec2/networkInterface:NetworkInterface": _ec2("eni", "network-interface"),
        "aws:ec2/vpcDhcpOptions:VpcDhcpOptions": _ec2("dopt", "dhcp-options"),
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": _ec2("pcx", "vpc-peering-connection"),
        "aws:ec2/transitGateway:TransitGateway": _ec2("tgw", "transit-gateway"),
        "aws:ec2/managedPrefixList:ManagedPrefixList": _ec2("pl", "prefix-list"),
        "aws:ec2/launchTemplate:LaunchTemplate": _ec2("lt", "launch-template"),
        "aws:ec2/volume:Volume": _ec2("vol", "volume"),
        "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation": _ec2("vpc-cidr-assoc", None),
    }
)


# --- IAM (global: no region in ARNs) ---------------------------------------------------------------


def _iam_path(c: ResourceContext) -> str:
    path = c.inputs.get("path")
    return path if isinstance(path, str) and path else "/"


def _iam_named(kind: str, id_prefix: str) -> Fake:
    def fake(c: ResourceContext) -> tuple[str, dict[str, Any]]:
        name = c.autoname(max_len=64)
        path = _iam_path(c)
        return name, {
            "name": name,
            "path": path,
            "arn": c.arn("iam", f"{kind}{path}{name}", region=False),
            "uniqueId": id_prefix + c.rand.chars(_ALNUM_UPPER, 17, "unique"),
            "createDate": "2024-01-01T00:00:00Z",
        }

    return fake


_FAKES["aws:iam/role:Role"] = _iam_named("role", "AROA")
_FAKES["aws:iam/user:User"] = _iam_named("user", "AIDA")
_FAKES["aws:iam/group:Group"] = _iam_named("group", "AGPA")
_FAKES["aws:iam/instanceProfile:InstanceProfile"] = _iam_named("instance-profile", "AIPA")


@_fake("aws:iam/policy:Policy")
def _iam_policy(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(max_len=128)
    path = _iam_path(c)
    arn = c.arn("iam", f"policy{path}{name}", region=False)
    return arn, {
        "name": name,
        "path": path,
        "arn": arn,
        "policyId": "ANPA" + c.rand.chars(_ALNUM_UPPER, 17, "unique"),
        "attachmentCount": 0,
    }


@_fake("aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy")
def _iam_inline_policy(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname()
    owner = c.inputs.get("role") or c.inputs.get("user") or c.inputs.get("group") or ""
    return f"{owner}:{name}", {"name": name}


@_fake(
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
def _iam_attachment(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    owner = c.inputs.get("role") or c.inputs.get("user") or c.inputs.get("group") or c.name
    return f"{owner}-{c.rand.digits(26, 'attach')}", {}


@_fake("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    url = str(c.inputs.get("url", "token.actions.githubusercontent.com")).removeprefix("https://")
    arn = c.arn("iam", f"oidc-provider/{url}", region=False)
    return arn, {"arn": arn}


@_fake("aws:iam/serviceLinkedRole:ServiceLinkedRole")
def _slr(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    service = str(c.inputs.get("awsServiceName", "service.amazonaws.com"))
    name = "AWSServiceRoleFor" + "".join(p.capitalize() for p in service.split(".")[0].split("-"))
    arn = c.arn("iam", f"role/aws-service-role/{service}/{name}", region=False)
    return arn, {"arn": arn, "name": name, "path": f"/aws-service-role/{service}/"}


# --- Logs, metrics, events, trail, SNS ------------------------------------------------------------


@_fake("aws:cloudwatch/logGroup:LogGroup")
def _log_group(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(max_len=512)
    # pulumi-aws's LogGroup.arn has no ":*" suffix (unlike DescribeLogGroups).
    return name, {"name": name, "arn": c.arn("logs", f"log-group:{name}")}


@_fake("aws:cloudwatch/logStream:LogStream")
def _log_stream(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname()
    group = c.inputs.get("logGroupName", "")
    return name, {"name": name, "arn": c.arn("logs", f"log-group:{group}:log-stream:{name}")}


@_fake(
    "aws:cloudwatch/logMetricFilter:LogMetricFilter",
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
)
def _log_filter(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname()
    return name, {"name": name}


@_fake("aws:cloudwatch/metricAlarm:MetricAlarm")
def _alarm(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(key="name")
    return name, {"name": name, "arn": c.arn("cloudwatch", f"alarm:{name}")}


@_fake("aws:cloudwatch/eventRule:EventRule")
def _event_rule(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(max_len=64)
    bus = c.inputs.get("eventBusName") or "default"
    resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return name if bus == "default" else f"{bus}/{name}", {
        "name": name,
        "arn": c.arn("events", resource),
        "eventBusName": bus,
    }


@_fake("aws:cloudwatch/eventTarget:EventTarget")
def _event_target(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    target_id = c.inputs.get("targetId") or f"terraform-{c.rand.digits(26, 'target')}"
    bus = c.inputs.get("eventBusName") or "default"
    return f"{bus}-{c.inputs.get('rule', '')}-{target_id}", {"targetId": target_id, "eventBusName": bus}


@_fake("aws:cloudwatch/eventBus:EventBus")
def _event_bus(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname()
    return name, {"name": name, "arn": c.arn("events", f"event-bus/{name}")}


@_fake("aws:cloudtrail/trail:Trail")
def _trail(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(max_len=128)
    arn = c.arn("cloudtrail", f"trail/{name}")
    return arn, {"name": name, "arn": arn, "homeRegion": c.region}


@_fake("aws:sns/topic:Topic")
def _topic(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(max_len=256)
    if c.inputs.get("fifoTopic") and not name.endswith(".fifo"):
        name += ".fifo"
    arn = c.arn("sns", name)
    return arn, {"name": name, "arn": arn, "owner": c.account}


@_fake("aws:sns/topicSubscription:TopicSubscription")
def _subscription(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    arn = f"{c.inputs.get('topic', c.arn('sns', c.name))}:{c.rand.uuid('sub')}"
    return arn, {"arn": arn, "ownerId": c.account}


@_fake("aws:sns/topicPolicy:TopicPolicy")
def _topic_policy(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    return str(c.inputs.get("arn", "")), {"owner": c.account}


@_fake("aws:sqs/queue:Queue")
def _queue(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(max_len=80)
    url = f"https://sqs.{c.region}.{dns_suffix_of(c.partition)}/{c.account}/{name}"
    return url, {"name": name, "arn": c.arn("sqs", name), "url": url}


# --- SageMaker --------------------------------------------------------------------------------------


@_fake("aws:sagemaker/domain:Domain")
def _sm_domain(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    domain_id = "d-" + c.rand.chars(_ALNUM_LOWER, 12, "domain")
    return domain_id, {
        "arn": c.arn("sagemaker", f"domain/{domain_id}"),
        "url": f"https://{domain_id}.studio.{c.region}.sagemaker.aws",
        "homeEfsFileSystemId": c.ec2_id("fs"),
        "securityGroupIdForDomainBoundary": c.ec2_id("sg"),
        "singleSignOnApplicationArn": "",
        "appNetworkAccessType": c.inputs.get("appNetworkAccessType", "PublicInternetOnly"),
    }


@_fake("aws:sagemaker/userProfile:UserProfile")
def _sm_user_profile(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(c.inputs.get("userProfileName") or c.name)
    domain = c.inputs.get("domainId", "")
    arn = c.arn("sagemaker", f"user-profile/{domain}/{name}")
    return arn, {"arn": arn, "homeEfsFileSystemUid": c.rand.digits(6, "uid")}


@_fake("aws:sagemaker/space:Space")
def _sm_space(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(c.inputs.get("spaceName") or c.name)
    domain = c.inputs.get("domainId", "")
    arn = c.arn("sagemaker", f"space/{domain}/{name}")
    return arn, {"arn": arn}


@_fake("aws:sagemaker/notebookInstance:NotebookInstance")
def _sm_notebook(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(max_len=63)
    return name, {
        "name": name,
        "arn": c.arn("sagemaker", f"notebook-instance/{name.lower()}"),
        "url": f"{name}.notebook.{c.region}.sagemaker.aws",
        "networkInterfaceId": c.ec2_id("eni"),
        "directInternetAccess": c.inputs.get("directInternetAccess", "Enabled"),
        "rootAccess": c.inputs.get("rootAccess", "Enabled"),
    }


_SAGEMAKER_KINDS = {
    "NotebookInstanceLifecycleConfiguration": "notebook-instance-lifecycle-config",
    "Model": "model",
    "EndpointConfiguration": "endpoint-config",
    "Endpoint": "endpoint",
    "ModelPackageGroup": "model-package-group",
    "FeatureGroup": "feature-group",
    "CodeRepository": "code-repository",
    "StudioLifecycleConfig": "studio-lifecycle-config",
    "Pipeline": "pipeline",
    "Project": "project",
    "Image": "image",
    "App": "app",
}


def _sm_generic(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    key = next((k for k in ("name", f"{c.kind[0].lower()}{c.kind[1:]}Name") if c.inputs.get(k)), "name")
    name = c.autoname(key=key, max_len=63)
    kind = _SAGEMAKER_KINDS.get(c.kind, _kebab(c.kind))
    return name, {"name": name, "arn": c.arn("sagemaker", f"{kind}/{name.lower()}")}


# --- Other services used by secure environments ------------------------------------------------------


@_fake("aws:backup/vault:Vault", "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault")
def _backup_vault(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname()
    return name, {"name": name, "arn": c.arn("backup", f"backup-vault:{name}"), "recoveryPoints": 0}


@_fake("aws:backup/plan:Plan")
def _backup_plan(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    plan_id = c.rand.uuid("plan")
    return plan_id, {
        "arn": c.arn("backup", f"backup-plan:{plan_id}"),
        "version": c.rand.chars(_ALNUM_UPPER, 32),
    }


@_fake("aws:backup/selection:Selection")
def _backup_selection(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    return c.rand.uuid("selection"), {}


@_fake("aws:ssm/parameter:Parameter")
def _ssm_parameter(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname()
    resource = f"parameter{name}" if name.startswith("/") else f"parameter/{name}"
    return name, {"name": name, "arn": c.arn("ssm", resource), "version": 1}


@_fake("aws:secretsmanager/secret:Secret")
def _secret(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname()
    arn = c.arn("secretsmanager", f"secret:{name}-{c.rand.chars(_ALNUM_LOWER + _ALNUM_UPPER, 6, 'sfx')}")
    return arn, {"name": name, "arn": arn}


@_fake("aws:codeartifact/domain:Domain")
def _ca_domain(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(c.inputs.get("domain") or c.name)
    arn = c.arn("codeartifact", f"domain/{name}")
    return arn, {
        "arn": arn,
        "owner": c.account,
        "domain": name,
        "s3BucketArn": c.arn("s3", f"assets-{c.account}"),
    }


@_fake("aws:codeartifact/repository:Repository")
def _ca_repo(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(c.inputs.get("repository") or c.name)
    arn = c.arn("codeartifact", f"repository/{c.inputs.get('domain', '')}/{name}")
    return arn, {"arn": arn, "administratorAccount": c.account, "domainOwner": c.account}


@_fake("aws:ecr/repository:Repository")
def _ecr_repo(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(lower=True)
    url = f"{c.account}.dkr.ecr.{c.region}.{dns_suffix_of(c.partition)}/{name}"
    return name, {
        "name": name,
        "arn": c.arn("ecr", f"repository/{name}"),
        "registryId": c.account,
        "repositoryUrl": url,
    }


@_fake("aws:lambda/function:Function")
def _lambda(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname(max_len=64)
    arn = c.arn("lambda", f"function:{name}")
    return name, {
        "name": name,
        "arn": arn,
        "qualifiedArn": f"{arn}:$LATEST",
        "invokeArn": (
            f"arn:{c.partition}:apigateway:{c.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
        ),
        "version": "$LATEST",
    }


# --- API Gateway: ids are 10 lowercase letters and digits; execute-api ARNs and invoke URLs from them ---


@_fake("aws:apigateway/restApi:RestApi")
def _rest_api(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    rid = c.rand.chars(_ALNUM_LOWER, 10, "restapi")
    return rid, {
        "arn": f"arn:{c.partition}:apigateway:{c.region}::/restapis/{rid}",
        "executionArn": c.arn("execute-api", rid),
        "rootResourceId": c.rand.chars(_ALNUM_LOWER, 10, "root"),
        "createdDate": "2026-01-01T00:00:00Z",
    }


@_fake("aws:apigatewayv2/api:Api")
def _http_api(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    rid = c.rand.chars(_ALNUM_LOWER, 10, "apiv2")
    scheme = "wss" if c.inputs.get("protocolType") == "WEBSOCKET" else "https"
    return rid, {
        "arn": f"arn:{c.partition}:apigateway:{c.region}::/apis/{rid}",
        "executionArn": c.arn("execute-api", rid),
        "apiEndpoint": f"{scheme}://{rid}.execute-api.{c.region}.{dns_suffix_of(c.partition)}",
    }


@_fake("aws:apigateway/stage:Stage")
def _rest_stage(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    api, stage = str(c.inputs.get("restApi") or ""), str(c.inputs.get("stageName") or c.name)
    return f"ags-{api}-{stage}", {
        "arn": f"arn:{c.partition}:apigateway:{c.region}::/restapis/{api}/stages/{stage}",
        "executionArn": c.arn("execute-api", f"{api}/{stage}"),
        "invokeUrl": f"https://{api}.execute-api.{c.region}.{dns_suffix_of(c.partition)}/{stage}",
    }


@_fake("aws:apigateway/deployment:Deployment")
def _rest_deployment(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    return c.rand.chars(_ALNUM_LOWER, 6, "deployment"), {"createdDate": "2026-01-01T00:00:00Z"}


@_fake("aws:accessanalyzer/analyzer:Analyzer")
def _analyzer(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(c.inputs.get("analyzerName") or c.name)
    return name, {"arn": c.arn("access-analyzer", f"analyzer/{name}")}


@_fake("aws:guardduty/detector:Detector")
def _guardduty(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    detector = c.rand.hex(32, "detector")
    return detector, {"arn": c.arn("guardduty", f"detector/{detector}"), "accountId": c.account}


@_fake("aws:efs/fileSystem:FileSystem")
def _efs(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    rid = c.ec2_id("fs")
    return rid, {
        "arn": c.arn("elasticfilesystem", f"file-system/{rid}"),
        "dnsName": f"{rid}.efs.{c.region}.amazonaws.com",
    }


# Route 53 Resolver: AWS assigns `rslvr-...` ids; the ARNs are the route53resolver service's own
# (arn:<partition>:route53resolver:<region>:<account>:firewall-domain-list/rslvr-fdl-...), not route53's.
_RESOLVER_KINDS = {
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": (
        "rslvr-fdl",
        "firewall-domain-list",
    ),
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": ("rslvr-frg", "firewall-rule-group"),
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": (
        "rslvr-frgassoc",
        "firewall-rule-group-association",
    ),
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": ("rslvr-qlc", "resolver-query-log-config"),
}


def _resolver(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    prefix, kind = _RESOLVER_KINDS[c.type]
    rid = f"{prefix}-{c.rand.hex(16, prefix)}"
    return rid, {"arn": c.arn("route53resolver", f"{kind}/{rid}"), "ownerId": c.account}


for _t in _RESOLVER_KINDS:
    _FAKES[_t] = _resolver


@_fake("aws:route53/resolverFirewallConfig:ResolverFirewallConfig")
def _resolver_firewall_config(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    return f"rslvr-fc-{c.rand.hex(16, 'rslvr-fc')}", {"ownerId": c.account}


@_fake("aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation")
def _resolver_query_log_association(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    return f"rslvr-qlcassoc-{c.rand.hex(16, 'rslvr-qlcassoc')}", {}


def _generic(c: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = c.autoname()
    outputs = {"arn": c.arn(c.service, f"{_kebab(c.kind)}/{name}")}
    if has_output(c.type, "name"):
        outputs["name"] = name  # the physical name pulumi-aws auto-names, as the provider returns it
    return name, outputs


@functools.cache
def has_output(type_token: str, attribute: str) -> bool:
    """Whether the installed pulumi_aws class of ``type_token`` has the output ``attribute``."""
    parts = type_token.split(":")
    if len(parts) != 3 or parts[0] != "aws":
        return False
    module_name = parts[1].split("/", 1)[0]
    try:
        module = importlib.import_module(
            "pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}"
        )
    except ImportError:
        return False
    return hasattr(getattr(module, parts[2], None), attribute)


def fake_resource(
    type_: str, name: str, urn: str, inputs: dict[str, Any], *, region: str, account: str
) -> tuple[str, dict[str, Any]]:
    """The mock physical id and outputs of one custom resource: its inputs echoed, plus the computed
    attributes AWS would return (``id``, ``arn`` and the service's own ids and names)."""
    context = ResourceContext(type=type_, name=name, urn=urn, inputs=inputs, region=region, account=account)
    if type_ in _FAKES:
        fake = _FAKES[type_]
    elif type_.startswith("aws:sagemaker/"):
        fake = _sm_generic
    elif type_.startswith("pulumi:providers:"):
        return context.rand.uuid("provider"), dict(inputs)
    else:
        fake = _generic
    rid, computed = fake(context)
    outputs = dict(inputs)
    outputs.update(computed)
    outputs["id"] = rid
    return rid, outputs


def has_specific_fake(type_: str) -> bool:
    """True when the type has a hand-written fake (not the generic ARN fallback)."""
    return type_ in _FAKES or type_.startswith("aws:sagemaker/") or type_.startswith("pulumi:providers:")


# --- Provider functions (invokes) ---------------------------------------------------------------------


def fake_invoke(token: str, args: dict[str, Any], *, region: str, account: str) -> dict[str, Any] | None:
    """The mock result of a provider function, or None when the function is not known here."""
    partition = partition_of(region)
    region = str(args.get("region") or args.get("name") or region) if token.endswith("getRegion") else region
    rand = Entropy(f"{token}|{sorted(args.items())!r}")
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        names = [f"{region}{letter}" for letter in "abc"]
        return {
            "id": region,
            "names": names,
            "zoneIds": [_az_id(region, n) for n in names],
            "groupNames": [region] * len(names),
            "state": args.get("state") or "available",
        }
    if token == "aws:index/getAvailabilityZone:getAvailabilityZone":
        name = str(args.get("name") or f"{region}a")
        return {"name": name, "zoneId": _az_id(region, name), "region": region, "state": "available"}
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "id": account,
            "accountId": account,
            "arn": f"arn:{partition}:sts::{account}:assumed-role/strongroom-offline/offline",
            "userId": "AROA" + rand.chars(_ALNUM_UPPER, 17) + ":offline",
        }
    if token == "aws:index/getRegion:getRegion":
        return {
            "id": region,
            "name": region,
            "region": region,
            "endpoint": f"ec2.{region}.{dns_suffix_of(partition)}",
            "description": region,
        }
    if token == "aws:index/getPartition:getPartition":
        return {
            "id": partition,
            "partition": partition,
            "dnsSuffix": dns_suffix_of(partition),
            "reverseDnsPrefix": ".".join(reversed(dns_suffix_of(partition).split("."))),
        }
    if token in ("aws:ec2/getPrefixList:getPrefixList", "aws:ec2/getManagedPrefixList:getManagedPrefixList"):
        name = str(args.get("name") or f"com.amazonaws.{region}.s3")
        pl_id = str(args.get("prefixListId") or args.get("id") or "pl-" + rand.hex(8))
        return {
            "id": pl_id,
            "name": name,
            "cidrBlocks": ["52.95.128.0/21", "3.5.0.0/18"],
            "arn": f"arn:{partition}:ec2:{region}:aws:prefix-list/{pl_id}",
            "ownerId": "AWS",
            "addressFamily": "IPv4",
        }
    return None
