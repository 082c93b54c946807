"""An ML team that already has a VPC uses Strongroom's keys, buckets, backups and roles around it.

The fraud-models team's VPC, private subnets, job security group and S3 gateway endpoint belong to the
network team and already exist; their ids come from the stack file. This program adds, from Strongroom's
components: a KeyRing (data, models, logs, backup keys), an access-log bucket and the data and model
SecureBuckets (reachable only through the existing S3 endpoint), an Object Lock BackupVault filled from
the data and model buckets, and MlRoles (training jobs may only run in the given subnets and security
groups) with a model package group per model. No PrivateNetwork: Strongroom does
not create, change or check the existing network; its security is the network team's.

Config (``Pulumi.<stack>.yaml``, namespace ``fraud-models``) is read once here and checked before any
resource is registered; the components never read config. The one key outside the namespace is
``strongroom:perimeter`` (the accounts and organization of the bank, which ``strongroom check`` judges the
stack against): its ``organizationId`` confines the human roles' trust to the bank's organization.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from strongroom.components.backup import BackupVault, BackupVaultArgs
from strongroom.components.identity import MlRoles, MlRolesArgs
from strongroom.components.keys import KeyRing, KeyRingArgs
from strongroom.components.storage import SecureBucket, SecureBucketArgs
from strongroom.components.workspace import model_package_groups

MODELS = ("fraud-score",)
"""The team's models: each has a model package group the model approver approves in."""
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[^*]+$")
_SUBNET = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]{8,17}$")
_VPC_ENDPOINT = re.compile(r"^vpce-[0-9a-f]{8,17}$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9 _.:/=+@-]{1,128}$")
_ORGANIZATION = re.compile(r"^o-[a-z0-9]{10,32}$")


class StackConfigError(ValueError):
    """A bad value in the stack file: names the file, the key, the value and what is accepted."""

    strongroom_user_error = True
    """Lets ``strongroom plan``/``check`` report this as a config error (exit 2) rather than a crash."""


@dataclass(frozen=True)
class TeamConfig:
    """This stack's validated config."""

    team: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    s3_endpoint_id: str
    object_lock_mode: str
    object_lock_days: int
    noncurrent_version_expiry_days: int
    log_retention_days: int
    data_scientists: tuple[str, ...]
    model_approvers: tuple[str, ...]
    auditors: tuple[str, ...]
    admin_principals: tuple[str, ...]
    tags: dict[str, str]
    organization_id: str | None
    """The bank's AWS Organization (``strongroom:perimeter.organizationId``); None: not declared."""


def _parse(text: str | None, default: Any) -> Any:
    """A config value as the CLI stores it: structured values JSON-encoded, plain strings as they are."""
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return text


def _ids(pattern: re.Pattern[str]) -> Callable[[Any], bool]:
    return lambda v: (
        isinstance(v, list) and bool(v) and all(isinstance(i, str) and pattern.match(i) for i in v)
    )


def _days(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def read_config(stack: str) -> TeamConfig:
    """Read and check every key of ``Pulumi.<stack>.yaml``; all problems are reported at once."""
    config = pulumi.Config()
    source = f"Pulumi.{stack}.yaml"
    problems: list[str] = []

    def check(key: str, raw: Any, ok: Callable[[Any], bool], accepted: str) -> Any:
        if raw is None or not ok(raw):
            shown = "(not set)" if raw is None else repr(raw)
            problems.append(f"{source}: {config.name}:{key} = {shown}; accepted: {accepted}")
        return raw

    def value(key: str, ok: Callable[[Any], bool], accepted: str, default: Any = None) -> Any:
        return check(key, _parse(config.get(key), default), ok, accepted)

    team = value("team", lambda v: isinstance(v, str) and bool(_NAME.match(v)), "1-20 of a-z 0-9 -")
    network = value("network", lambda v: isinstance(v, dict), "a map with subnetIds, securityGroupIds, ...")
    network = network if isinstance(network, dict) else {}
    subnets = check(
        "network.subnetIds", network.get("subnetIds"), _ids(_SUBNET), "a non-empty list of subnet-... ids"
    )
    groups = check(
        "network.securityGroupIds",
        network.get("securityGroupIds"),
        _ids(_SECURITY_GROUP),
        "a non-empty list of sg-... ids",
    )
    endpoint = check(
        "network.s3EndpointId",
        network.get("s3EndpointId"),
        lambda v: isinstance(v, str) and bool(_VPC_ENDPOINT.match(v)),
        "the id (vpce-...) of the VPC's S3 gateway endpoint",
    )
    backup = value("backup", lambda v: isinstance(v, dict), "a map with objectLockMode, objectLockDays", {})
    backup = backup if isinstance(backup, dict) else {}
    lock_mode = check(
        "backup.objectLockMode",
        backup.get("objectLockMode", "GOVERNANCE"),
        lambda v: v in ("GOVERNANCE", "COMPLIANCE"),
        "GOVERNANCE or COMPLIANCE",
    )
    lock_days = check(
        "backup.objectLockDays", backup.get("objectLockDays", 30), _days(1, 3650), "days from 1 to 3650"
    )
    expiry = value("noncurrentVersionExpiryDays", _days(1, 3650), "days from 1 to 3650", default=90)
    retention = value("logRetentionDays", _days(1, 3650), "days from 1 to 3650", default=365)
    people = value(
        "people",
        lambda v: isinstance(v, dict),
        "a map with dataScientists, modelApprovers, auditors",
        {},
    )
    people = people if isinstance(people, dict) else {}
    humans = {
        key: check(
            f"people.{key}",
            people.get(key),
            _ids(_PRINCIPAL),
            "a non-empty list of IAM role or user ARNs, no wildcards",
        )
        for key in ("dataScientists", "modelApprovers", "auditors")
    }
    overlap = (
        sorted(set(humans["dataScientists"]) & set(humans["modelApprovers"]))
        if all(isinstance(humans[k], list) for k in ("dataScientists", "modelApprovers"))
        else []
    )
    if overlap:
        problems.append(
            f"{source}: {config.name}:people.modelApprovers = {overlap!r}; accepted: principals that are not "
            "data scientists (who trains a model must not approve it)"
        )
    admins = value(
        "adminPrincipals",
        _ids(_PRINCIPAL),
        "a non-empty list of IAM role or user ARNs (include the identity that runs pulumi up)",
    )
    tags = value(
        "tags",
        lambda v: (
            isinstance(v, dict)
            and all(_TAG_KEY.match(str(k)) and isinstance(t, str) and t for k, t in v.items())
        ),
        "a map of tag keys to non-empty strings, e.g. {owner: fraud-ml}",
        default={},
    )
    perimeter = _parse(pulumi.Config("strongroom").get("perimeter"), {})
    organization = perimeter.get("organizationId") if isinstance(perimeter, dict) else None
    if not isinstance(perimeter, dict) or (
        organization is not None and not (isinstance(organization, str) and _ORGANIZATION.match(organization))
    ):
        shown = repr(organization) if isinstance(perimeter, dict) else repr(perimeter)
        problems.append(
            f"{source}: strongroom:perimeter.organizationId = {shown}; accepted: an AWS Organization ID "
            "like o-a1b2c3d4e5 (in a map with trustedAccounts)"
        )
    if problems:
        raise StackConfigError("invalid stack config:\n  " + "\n  ".join(problems))
    return TeamConfig(
        team=team,
        subnet_ids=tuple(subnets),
        security_group_ids=tuple(groups),
        s3_endpoint_id=endpoint,
        object_lock_mode=lock_mode,
        object_lock_days=lock_days,
        noncurrent_version_expiry_days=expiry,
        log_retention_days=retention,
        data_scientists=tuple(humans["dataScientists"]),
        model_approvers=tuple(humans["modelApprovers"]),
        auditors=tuple(humans["auditors"]),
        admin_principals=tuple(admins),
        tags={str(k): str(t) for k, t in tags.items()},
        organization_id=organization,
    )


def main() -> None:
    stack = pulumi.get_stack()
    cfg = read_config(stack)
    name = f"{cfg.team}-{stack}"
    region = pulumi.Config("aws").require("region")

    provider = aws.Provider(
        "aws",
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(
            tags={**cfg.tags, "team:name": cfg.team, "team:stack": stack}
        ),
    )
    opts = pulumi.ResourceOptions(provider=provider)
    admins = list(cfg.admin_principals)
    endpoints = [cfg.s3_endpoint_id]

    keys = KeyRing(f"{name}-keys", KeyRingArgs(environment=name, admin_principal_arns=admins), opts=opts)
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
    # S3 replication reads the data and model buckets from outside the VPC as the vault's filling role,
    # created after them: its ARN is named in their policies once it exists.
    filler_arn, resolve_filler_arn = pulumi.deferred_output()
    # The vault's role carries the roles' permission boundary, and the roles name the vault's buckets.
    boundary_arn, resolve_boundary_arn = pulumi.deferred_output()
    buckets = {
        purpose: SecureBucket(
            f"{name}-{purpose}",
            SecureBucketArgs(
                kms_key_arn=keys.key_arns[purpose],
                log_bucket_name=access_logs.bucket_name,
                vpc_endpoint_ids=endpoints,
                admin_principal_arns=[*admins, filler_arn],
                noncurrent_version_expiry_days=cfg.noncurrent_version_expiry_days,
                tags={"strongroom:purpose": purpose},
            ),
            opts=opts,
        )
        for purpose in ("data", "models")
    }
    try:
        backup_args = BackupVaultArgs(
            environment=name,
            kms_key_arn=keys.key_arns["backup"],
            log_bucket_name=access_logs.bucket_name,
            vpc_endpoint_ids=endpoints,
            admin_principal_arns=admins,
            object_lock_mode=cfg.object_lock_mode,
            object_lock_days=cfg.object_lock_days,
            noncurrent_version_expiry_days=max(cfg.object_lock_days, cfg.noncurrent_version_expiry_days),
            region=region,
            # Every new version of the data and model buckets reaches its locked backup bucket.
            sources={"data": buckets["data"], "models": buckets["models"]},
            iam_path=f"/{cfg.team}/{stack}/",
            permissions_boundary_arn=boundary_arn,
        )
    except ValueError as exc:
        raise StackConfigError(f"Pulumi.{stack}.yaml: {exc}") from exc
    backup = BackupVault(f"{name}-backup", backup_args, opts=opts)
    if backup.source_replication_role_arn is not None:
        resolve_filler_arn(backup.source_replication_role_arn)
    roles = MlRoles(
        f"{name}-roles",
        MlRolesArgs(
            data_bucket_arns=[buckets["data"].bucket_arn],
            model_bucket_arn=buckets["models"].bucket_arn,
            data_key_arn=keys.key_arns["data"],
            model_key_arn=keys.key_arns["models"],
            logs_key_arn=keys.key_arns["logs"],
            subnet_ids=list(cfg.subnet_ids),
            security_group_ids=list(cfg.security_group_ids),
            data_scientist_principal_arns=list(cfg.data_scientists),
            model_approver_principal_arns=list(cfg.model_approvers),
            auditor_principal_arns=list(cfg.auditors),
            organization_id=cfg.organization_id,
            extra_bucket_arns=[access_logs.bucket_arn, *backup.bucket_arns.values()],
            extra_key_arns=[keys.key_arns["backup"]],
            iam_path=f"/{cfg.team}/{stack}/",
            tags={"team:name": cfg.team},
            models=MODELS,
        ),
        opts=opts,
    )
    resolve_boundary_arn(roles.boundary_policy_arn)
    # The registry the approver approves in: one model package group per model, named as the roles expect.
    model_package_groups(f"{name}-roles-", MODELS, opts=opts)

    pulumi.export("keyArns", keys.key_arns)
    pulumi.export("bucketNames", {purpose: bucket.bucket_name for purpose, bucket in buckets.items()})
    pulumi.export("accessLogBucketName", access_logs.bucket_name)
    pulumi.export("backupBucketNames", backup.bucket_names)
    pulumi.export("dataScientistRoleArn", roles.data_scientist_role_arn)
    pulumi.export("trainingRoleArn", roles.training_role_arn)
    pulumi.export("approverRoleArn", roles.approver_role_arn)
    pulumi.export("auditorRoleArn", roles.auditor_role_arn)


main()
