"""An application team's training pipeline inside a Strongroom environment, found through a StackReference.

The platform team runs Strongroom (project ``strongroom``) per environment; an application team does not
copy its network, keys or log bucket, it reads them from the environment's stack outputs with
``pulumi.StackReference("<org>/strongroom/<stack>")`` (the exports of Strongroom's ``__main__.py``:
``vpcId``, ``s3EndpointId``, ``keyArns``, ``bucketNames``, ``accessLogBucketName``, ``region``, ...) and
creates only what the pipeline owns:

* a KeyRing of its own (``data``, ``models``): the pack requires every bucket to be encrypted with a
  customer managed key of its own stack (SR-ENC-004), and the pipeline's keys are administered by the
  pipeline's team;
* two SecureBuckets, ``features`` (its ``data`` key) and ``checkpoints`` (its ``models`` key), reachable
  only through the environment's S3 endpoint, logging to the environment's access-log bucket;
* one SageMaker execution role for the pipeline's training jobs, with a permission boundary of this stack
  (SR-IAM-004): it reads ``curated/`` of one data bucket of the environment (decrypting with the
  environment's ``data`` key), writes its own two buckets, uses the keys through S3 only, writes its
  jobs' logs, pulls its own images, and creates network interfaces only in the environment's VPC.

The environment's data bucket and keys admit principals of their account through the environment's S3
endpoint (their policies refuse anything else), so the role needs no change on the platform team's side.

Config (``Pulumi.<stack>.yaml``, namespace ``training-pipeline``) is read once and checked before any
resource is registered; what the environment exports is checked when it arrives (a missing data domain
names the key and the domains the environment has).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from strongroom.components.keys import KeyRing, KeyRingArgs
from strongroom.components.policydocs.iam import allow, document, service_trust, star, to_json
from strongroom.components.storage import SecureBucket, SecureBucketArgs

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_STACK_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/strongroom/[A-Za-z0-9_.-]{1,100}$")
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[^*]+$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9 _.:/=+@-]{1,128}$")

TRAINING_DATA_PREFIX = "curated/"
"""The part of the environment's data bucket a training job reads."""


class StackConfigError(ValueError):
    """A bad value in the stack file: names the file, the key, the value and what is accepted."""

    strongroom_user_error = True
    """Lets ``strongroom plan``/``check`` report this as a config error (exit 2) rather than a crash."""


@dataclass(frozen=True)
class PipelineConfig:
    """This stack's validated config."""

    environment: str
    pipeline: str
    data_domain: str
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


def read_config(stack: str) -> PipelineConfig:
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

    environment = value(
        "environment",
        lambda v: isinstance(v, str) and bool(_STACK_REF.match(v)),
        "the Strongroom stack as <org>/strongroom/<stack>, e.g. acme/strongroom/dev",
    )
    pipeline = value("pipeline", lambda v: isinstance(v, str) and bool(_NAME.match(v)), "1-20 of a-z 0-9 -")
    domain = value("dataDomain", lambda v: isinstance(v, str) and bool(_NAME.match(v)), "1-20 of a-z 0-9 -")
    expiry = value(
        "noncurrentVersionExpiryDays",
        lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 3650,
        "days from 1 to 3650",
        default=90,
    )
    admins = value(
        "adminPrincipals",
        lambda v: (
            isinstance(v, list) and bool(v) and all(isinstance(a, str) and _PRINCIPAL.match(a) for a in v)
        ),
        "a non-empty list of IAM role or user ARNs (include the identity that runs pulumi up)",
    )
    tags = value(
        "tags",
        lambda v: (
            isinstance(v, dict)
            and all(_TAG_KEY.match(str(k)) and isinstance(t, str) and t for k, t in v.items())
        ),
        "a map of tag keys to non-empty strings, e.g. {owner: churn-models}",
        default={},
    )
    if problems:
        raise StackConfigError("invalid stack config:\n  " + "\n  ".join(problems))
    return PipelineConfig(
        environment=environment,
        pipeline=pipeline,
        data_domain=domain,
        noncurrent_version_expiry_days=expiry,
        admin_principals=tuple(admins),
        tags={str(k): str(t) for k, t in tags.items()},
    )


def data_bucket_name(bucket_names: Mapping[str, str], cfg: PipelineConfig, stack: str) -> str:
    """The environment's bucket of the configured data domain (exported as ``bucketNames.data-<domain>``)."""
    key = f"data-{cfg.data_domain}"
    if key not in bucket_names:
        domains = sorted(k.removeprefix("data-") for k in bucket_names if k.startswith("data-"))
        raise StackConfigError(
            f"Pulumi.{stack}.yaml: training-pipeline:dataDomain = {cfg.data_domain!r}; accepted: a data "
            f"domain of {cfg.environment}, which has {domains}"
        )
    return bucket_names[key]


def training_role_policy(
    *,
    partition: str,
    region: str,
    account: str,
    name: str,
    vpc_id: str,
    data_bucket: str,
    own_bucket_arns: list[str],
    env_key_arn: str,
    key_arns: list[str],
) -> str:
    """The pipeline's training role: exactly what its jobs do (also the role's permission boundary)."""

    def arn(service: str, resource: str) -> str:
        return f"arn:{partition}:{service}:{region}:{account}:{resource}"

    data_arn = f"arn:{partition}:s3:::{data_bucket}"
    log_group = arn("logs", "log-group:/aws/sagemaker/TrainingJobs")
    interfaces = arn("ec2", "network-interface/*")
    in_vpc = {"ArnEquals": {"ec2:Vpc": arn("ec2", f"vpc/{vpc_id}")}}
    return to_json(
        document(
            allow(
                "ListTrainingData",
                ["s3:ListBucket"],
                [data_arn],
                {"StringLike": {"s3:prefix": [f"{TRAINING_DATA_PREFIX}*"]}},
            ),
            allow(
                "ReadTrainingData",
                ["s3:GetObject", "s3:GetObjectVersion"],
                [f"{data_arn}/{TRAINING_DATA_PREFIX}*"],
            ),
            allow("ListPipelineBuckets", ["s3:ListBucket"], own_bucket_arns),
            allow(
                "ReadWritePipelineBuckets",
                ["s3:AbortMultipartUpload", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                [f"{b}/*" for b in own_bucket_arns],
            ),
            allow(
                "DecryptTrainingData",
                ["kms:Decrypt", "kms:DescribeKey"],
                [env_key_arn],
                {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            ),
            allow(
                "UseKeysThroughS3",
                ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                key_arns,
                {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            ),
            allow(
                "WriteTrainingLogs",
                [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                [log_group, f"{log_group}:log-stream:{name}-*"],
            ),
            star("EcrLogin", ["ecr:GetAuthorizationToken"]),
            allow(
                "PullPipelineImages",
                ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                [arn("ecr", f"repository/{name}/*")],
            ),
            allow(
                "CreateJobNetworkInterfaces",
                ["ec2:CreateNetworkInterface"],
                [interfaces, arn("ec2", "subnet/*"), arn("ec2", "security-group/*")],
                in_vpc,
            ),
            allow(
                "ManageJobNetworkInterfaces",
                [
                    "ec2:CreateNetworkInterfacePermission",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DeleteNetworkInterfacePermission",
                ],
                [interfaces],
                in_vpc,
            ),
            star(
                "DescribeNetwork",
                [
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                ],
            ),
        )
    )


def main() -> None:
    stack = pulumi.get_stack()
    cfg = read_config(stack)
    name = f"{cfg.pipeline}-{stack}"
    region = pulumi.Config("aws").require("region")

    environment = pulumi.StackReference(cfg.environment)

    def same_region(exported: Any) -> str:
        if exported != region:
            raise StackConfigError(
                f"Pulumi.{stack}.yaml: aws:region = {region!r}, but {cfg.environment} is in {exported!r}; "
                "accepted: the environment's region (its network, keys and buckets are regional)"
            )
        return str(exported)

    env_region = environment.require_output("region").apply(same_region)
    vpc_id = environment.require_output("vpcId")
    s3_endpoint = environment.require_output("s3EndpointId")
    env_data_key = environment.require_output("keyArns").apply(lambda keys: str(keys["data"]))
    data_bucket = environment.require_output("bucketNames").apply(
        lambda names: data_bucket_name(names, cfg, stack)
    )
    access_logs = environment.require_output("accessLogBucketName")

    provider = aws.Provider(
        "aws",
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(
            tags={**cfg.tags, "team:pipeline": cfg.pipeline, "team:stack": stack}
        ),
    )
    opts = pulumi.ResourceOptions(provider=provider)
    admins = list(cfg.admin_principals)

    keys = KeyRing(
        f"{name}-keys",
        KeyRingArgs(
            environment=name, purposes=("data", "models"), service_grants={}, admin_principal_arns=admins
        ),
        opts=opts,
    )
    buckets = {
        purpose: SecureBucket(
            f"{name}-{purpose}",
            SecureBucketArgs(
                kms_key_arn=key,
                log_bucket_name=access_logs,
                vpc_endpoint_ids=[s3_endpoint],
                admin_principal_arns=admins,
                noncurrent_version_expiry_days=cfg.noncurrent_version_expiry_days,
                tags={"strongroom:purpose": purpose},
            ),
            opts=opts,
        )
        for purpose, key in (("features", keys.key_arns["data"]), ("checkpoints", keys.key_arns["models"]))
    }

    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
    partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(provider=provider))
    iam_path = f"/{cfg.pipeline}/{stack}/"
    policy = pulumi.Output.all(
        partition.partition,
        env_region,
        identity.account_id,
        vpc_id,
        data_bucket,
        buckets["features"].bucket_arn,
        buckets["checkpoints"].bucket_arn,
        env_data_key,
        keys.key_arns["data"],
        keys.key_arns["models"],
    ).apply(
        lambda v: training_role_policy(
            partition=v[0],
            region=v[1],
            account=v[2],
            name=name,
            vpc_id=v[3],
            data_bucket=v[4],
            own_bucket_arns=[v[5], v[6]],
            env_key_arn=v[7],
            key_arns=[v[8], v[9]],
        )
    )
    boundary = aws.iam.Policy(
        f"{name}-boundary",
        path=iam_path,
        description="Permission boundary of this pipeline's roles: what its training jobs do, nothing more",
        policy=policy,
        opts=opts,
    )
    role = aws.iam.Role(
        f"{name}-training",
        path=iam_path,
        description="SageMaker execution role of the pipeline's training jobs",
        assume_role_policy=identity.account_id.apply(
            lambda account: to_json(service_trust("sagemaker.amazonaws.com", account))
        ),
        permissions_boundary=boundary.arn,
        opts=opts,
    )
    aws.iam.RolePolicy(f"{name}-training-policy", role=role.id, policy=policy, opts=opts)

    pulumi.export("environment", cfg.environment)
    pulumi.export("bucketNames", {purpose: bucket.bucket_name for purpose, bucket in buckets.items()})
    pulumi.export("trainingRoleArn", role.arn)
    # What the pipeline's jobs are launched with: the environment's subnets (its security groups are the
    # platform team's to hand out).
    pulumi.export("subnetIds", environment.require_output("subnetIds"))


main()
