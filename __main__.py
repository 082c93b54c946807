"""The Strongroom program: stack config -> EnvironmentSettings -> SecureMlEnvironment.

Reads the stack's config once (the Pulumi CLI passes it in ``PULUMI_CONFIG``; the offline engine sets it
with ``pulumi.runtime.set_all_config``), validates it (a bad value raises ``ConfigError`` naming the stack
file, the key, the value and what is accepted, before any resource is registered), creates the AWS
providers with the environment's default tags, builds the environment and exports its outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import yaml
from pulumi.runtime import config as runtime_config

from strongroom.components.environment import SecureMlEnvironment, SecureMlEnvironmentArgs
from strongroom.components.settings import EnvironmentSettings, check_deploy_account, load_settings

PROJECT_DIR = Path(__file__).resolve().parent


def stack_config() -> dict[str, Any]:
    """Every config value of the stack, ``namespace:key`` -> value (structured values JSON-encoded)."""
    values: dict[str, Any] = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> str:
    """The stack's config file as a user sees it, e.g. ``stacks/Pulumi.dev.yaml`` (``stackConfigDir``)."""
    project_file = project_dir / "Pulumi.yaml"
    config_dir = ""
    if project_file.is_file():
        project = yaml.safe_load(project_file.read_text()) or {}
        config_dir = str(project.get("stackConfigDir") or "").strip("/")
    return f"{config_dir}/Pulumi.{stack}.yaml" if config_dir else f"Pulumi.{stack}.yaml"


def environment_name(stack: str) -> str:
    """Logical name of the environment component, also the physical prefix of its buckets."""
    return f"sr-{stack}"


def providers(settings: EnvironmentSettings) -> tuple[aws.Provider, aws.Provider | None]:
    """The primary-region provider and, when a replica region is set, the replica provider; both tag
    every taggable resource with ``strongroom:environment=<stack>`` and the mandatory tags."""
    default_tags = aws.ProviderDefaultTagsArgs(tags=settings.default_tags)
    primary = aws.Provider("aws-primary", region=settings.region, default_tags=default_tags)
    replica = None
    if settings.backup.replica_region is not None:
        replica_region = settings.backup.replica_region
        replica = aws.Provider("aws-replica", region=replica_region, default_tags=default_tags)
    return primary, replica


def main() -> None:
    stack = pulumi.get_stack()
    settings = load_settings(stack, stack_config(), stack_file(stack))
    # The account is known only from the credentials: checked before any resource is registered.
    check_deploy_account(settings, aws.get_caller_identity().account_id)
    primary, replica = providers(settings)
    env = SecureMlEnvironment(
        environment_name(stack),
        SecureMlEnvironmentArgs(settings=settings, replica_provider=replica),
        opts=pulumi.ResourceOptions(providers={"aws": primary}),
    )
    pulumi.export("environment", stack)
    pulumi.export("region", settings.region)
    pulumi.export("vpcId", env.vpc_id)
    pulumi.export("subnetIds", env.subnet_ids)
    pulumi.export("s3EndpointId", env.s3_endpoint_id)
    pulumi.export("interfaceEndpointIds", env.interface_endpoint_ids)
    pulumi.export("keyArns", env.key_arns)
    pulumi.export("bucketNames", env.bucket_names)
    pulumi.export("accessLogBucketName", env.access_log_bucket_name)
    pulumi.export("backupBucketNames", env.backup_bucket_names)
    pulumi.export("replicaBucketNames", env.replica_bucket_names)
    pulumi.export("roleArns", env.role_arns)
    if env.trail_arn is not None:
        pulumi.export("trailArn", env.trail_arn)
    if env.studio_domain_id is not None:
        pulumi.export("studioDomainId", env.studio_domain_id)
    if env.alert_topic_arn is not None:
        pulumi.export("alertTopicArn", env.alert_topic_arn)


main()
