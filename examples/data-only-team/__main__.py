"""A data team's stack built from Strongroom's components: private network, KMS keys, two data buckets.

No SageMaker Studio and no ML roles: the payments data team keeps one data domain in two SecureBuckets
(``raw`` and ``curated``), reached only through the S3 gateway endpoint of its own PrivateNetwork, with
server access logs in a third, log-only SecureBucket. Its one role, PrivateNetwork's flow-log delivery
role, gets this program's own permission boundary (there is no MlRoles boundary here). The team owns this
program; Strongroom owns the components it imports (``components.*``, installed as the ``strongroom``
package).

Config (``Pulumi.<stack>.yaml``, namespace ``payments-data``) is read once here and checked before any
resource is registered; the components never read config. ``strongroom:perimeter`` in the stack file (the
bank's accounts and organization) is read by ``strongroom check`` only: no role here trusts a person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from strongroom.components.keys import KeyRing, KeyRingArgs
from strongroom.components.network import PrivateNetwork, PrivateNetworkArgs
from strongroom.components.storage import SecureBucket, SecureBucketArgs

DATA_BUCKETS = ("raw", "curated")
"""The domain's two data buckets: landed data and the curated copy consumers read."""

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[^*]+$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9 _.:/=+@-]{1,128}$")


class StackConfigError(ValueError):
    """A bad value in the stack file: names the file, the key, the value and what is accepted."""

    strongroom_user_error = True
    """Lets ``strongroom plan``/``check`` report this as a config error (exit 2) rather than a crash."""


@dataclass(frozen=True)
class TeamConfig:
    """This stack's validated config."""

    domain: str
    vpc_cidr: str
    az_count: int
    interface_endpoints: tuple[str, ...]
    log_retention_days: int
    noncurrent_version_expiry_days: int
    admin_principals: tuple[str, ...]
    tags: dict[str, str]


def _parse(text: str | None, default: Any) -> Any:
    """A config value as the CLI stores it: structured values JSON-encoded, plain strings as they are."""
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_config(stack: str) -> TeamConfig:
    """Read and check every key of ``Pulumi.<stack>.yaml``; all problems are reported at once."""
    config = pulumi.Config()
    source = f"Pulumi.{stack}.yaml"
    problems: list[str] = []

    def value(key: str, check: Callable[[Any], bool], accepted: str, default: Any = None) -> Any:
        raw = _parse(config.get(key), default)
        if raw is None or not check(raw):
            shown = "(not set)" if raw is None else repr(raw)
            problems.append(f"{source}: {config.name}:{key} = {shown}; accepted: {accepted}")
        return raw

    def is_int(low: int, high: int) -> Callable[[Any], bool]:
        return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high

    def is_str_list(pattern: re.Pattern[str] | None = None) -> Callable[[Any], bool]:
        return lambda v: (
            isinstance(v, list)
            and all(isinstance(item, str) and (pattern is None or pattern.match(item)) for item in v)
        )

    domain = value("domain", lambda v: isinstance(v, str) and bool(_NAME.match(v)), "1-20 of a-z 0-9 -")
    vpc_cidr = value("vpcCidr", lambda v: isinstance(v, str), "an RFC 1918 block such as 10.40.0.0/20")
    az_count = value("azCount", is_int(1, 6), "a whole number from 1 to 6", default=2)
    endpoints = value(
        "interfaceEndpoints", is_str_list(), "a list of endpoint names such as [sts, kms, logs]"
    )
    retention = value("logRetentionDays", is_int(1, 3650), "days from 1 to 3650", default=365)
    expiry = value("noncurrentVersionExpiryDays", is_int(1, 3650), "days from 1 to 3650", default=90)
    admins = value(
        "adminPrincipals",
        lambda v: is_str_list(_PRINCIPAL)(v) and len(v) > 0,
        "a non-empty list of IAM role or user ARNs (include the identity that runs pulumi up)",
    )
    tags = value(
        "tags",
        lambda v: (
            isinstance(v, dict)
            and all(_TAG_KEY.match(str(k)) and isinstance(t, str) and t for k, t in v.items())
        ),
        "a map of tag keys to non-empty strings, e.g. {owner: payments-data}",
        default={},
    )
    if problems:
        raise StackConfigError("invalid stack config:\n  " + "\n  ".join(problems))
    return TeamConfig(
        domain=domain,
        vpc_cidr=vpc_cidr,
        az_count=az_count,
        interface_endpoints=tuple(endpoints),
        log_retention_days=retention,
        noncurrent_version_expiry_days=expiry,
        admin_principals=tuple(admins),
        tags={str(k): str(t) for k, t in tags.items()},
    )


def flow_log_boundary(partition: str, region: str, account: str, log_group_prefix: str) -> str:
    """The boundary of the flow-log delivery role: write streams and events to this network's flow log
    group only (Pulumi auto-names it ``<log_group_prefix>-<suffix>``). Without a data-science team there is
    no MlRoles workload boundary to reuse, and every role needs one (SR-IAM-004)."""
    group = f"arn:{partition}:logs:{region}:{account}:log-group:{log_group_prefix}-*"
    statement = {
        "Sid": "FlowLogDeliveryOnly",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "Resource": [group, f"{group}:*"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def main() -> None:
    stack = pulumi.get_stack()
    cfg = read_config(stack)
    name = f"{cfg.domain}-{stack}"
    region = pulumi.Config("aws").require("region")

    provider = aws.Provider(
        "aws",
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(
            tags={**cfg.tags, "team:data-domain": cfg.domain, "team:stack": stack}
        ),
    )
    opts = pulumi.ResourceOptions(provider=provider)
    admins = list(cfg.admin_principals)

    keys = KeyRing(
        f"{name}-keys",
        KeyRingArgs(environment=name, purposes=("data", "logs"), admin_principal_arns=admins),
        opts=opts,
    )
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
    partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(provider=provider))
    iam_path = f"/{cfg.domain}/{stack}/"
    boundary = aws.iam.Policy(
        f"{name}-boundary",
        path=iam_path,
        description="Permission boundary of this stack's roles (only the flow-log delivery role)",
        policy=pulumi.Output.all(partition.partition, identity.account_id).apply(
            lambda values: flow_log_boundary(values[0], region, values[1], f"{name}-network-flow-logs")
        ),
        opts=opts,
    )
    try:
        network_args = PrivateNetworkArgs(
            vpc_cidr=cfg.vpc_cidr,
            flow_log_kms_key_arn=keys.key_arns["logs"],
            s3_bucket_name_prefix=name,
            az_count=cfg.az_count,
            interface_endpoints=cfg.interface_endpoints,
            flow_log_retention_days=cfg.log_retention_days,
            region=region,
            iam_path=iam_path,
            permissions_boundary_arn=boundary.arn,
        )
    except ValueError as exc:
        raise StackConfigError(f"Pulumi.{stack}.yaml: {exc}") from exc
    network = PrivateNetwork(f"{name}-network", network_args, opts=opts)
    endpoints = [network.s3_endpoint_id]

    access_logs = SecureBucket(
        f"{name}-access-logs",
        SecureBucketArgs(
            kms_key_arn=keys.key_arns["logs"],
            is_log_bucket=True,
            vpc_endpoint_ids=endpoints,
            admin_principal_arns=admins,
            noncurrent_version_expiry_days=cfg.noncurrent_version_expiry_days,
            expiration_days=cfg.log_retention_days,
        ),
        opts=opts,
    )
    buckets = {
        purpose: SecureBucket(
            f"{name}-{purpose}",
            SecureBucketArgs(
                kms_key_arn=keys.key_arns["data"],
                log_bucket_name=access_logs.bucket_name,
                vpc_endpoint_ids=endpoints,
                admin_principal_arns=admins,
                noncurrent_version_expiry_days=cfg.noncurrent_version_expiry_days,
                tags={"team:bucket": purpose},
            ),
            opts=opts,
        )
        for purpose in DATA_BUCKETS
    }

    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("subnetIds", network.subnet_ids)
    pulumi.export("workloadSecurityGroupId", network.workload_security_group_id)
    pulumi.export("s3EndpointId", network.s3_endpoint_id)
    pulumi.export("keyArns", keys.key_arns)
    pulumi.export("bucketNames", {purpose: bucket.bucket_name for purpose, bucket in buckets.items()})
    pulumi.export("accessLogBucketName", access_logs.bucket_name)


main()
