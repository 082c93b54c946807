"""SecureMlEnvironment: the whole secure ML environment of one stack, composed from the settings.

Children: KeyRing (data, models, logs, backup keys), PrivateNetwork, an access-log bucket, one SecureBucket
per data domain and one for models, MlRoles (least-privilege roles, permission boundary, guardrails), the
Object Lock BackupVault (filled by replication from the data and model buckets) with its cross-region
replica, and, switched by the settings, the AuditTrail (``strongroom:audit.trail``), the MlWorkspace
(``strongroom:workspace``: Studio and/or a notebook instance), the SecurityAlerts
(``strongroom:alerts.enabled``) and the AccountBaseline (``strongroom:baseline.enabled``, findings routed to
the alert topic); prod refuses turning off the trail, the alerts and the baseline. Everything is named
``<name>-<role>`` under this component; in prod (``settings.is_prod``) buckets and keys are protected and
retained on delete.

The component takes validated :class:`~components.settings.EnvironmentSettings` (built once by
``__main__.py`` with :func:`~components.settings.load_settings`); it never reads ``pulumi.Config``. The AWS
provider (region and default tags) comes from ``opts.providers``; the replica region's provider from the
args.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from strongroom.components.alerts import SecurityAlerts, SecurityAlertsArgs, forwarding_regions
from strongroom.components.audit import AuditTrail, AuditTrailArgs
from strongroom.components.backup import BackupVault, BackupVaultArgs
from strongroom.components.baseline import AccountBaseline, AccountBaselineArgs
from strongroom.components.identity import MlRoles, MlRolesArgs, PlannedTypesRecorder
from strongroom.components.keys import DEFAULT_SERVICE_GRANTS, KeyRing, KeyRingArgs
from strongroom.components.network import PrivateNetwork, PrivateNetworkArgs
from strongroom.components.settings import EnvironmentSettings
from strongroom.components.storage import SecureBucket, SecureBucketArgs
from strongroom.components.workspace import MlWorkspace, MlWorkspaceArgs, model_package_groups

MAX_LOG_OBJECT_DAYS = 3650
"""S3 lifecycle expiration cap used for the access-log bucket (CloudWatch's 3653 is above it)."""


@dataclass
class SecureMlEnvironmentArgs:
    """Arguments of :class:`SecureMlEnvironment`."""

    settings: EnvironmentSettings
    """The stack's validated settings (``components.settings.load_settings``)."""

    replica_provider: aws.Provider | None = None
    """AWS provider for ``settings.backup.replica_region``; required exactly when a replica region is set."""

    def __post_init__(self) -> None:
        if not isinstance(self.settings, EnvironmentSettings):
            raise ValueError(
                f"SecureMlEnvironmentArgs.settings: {type(self.settings).__name__} is not "
                "EnvironmentSettings; accepted: components.settings.load_settings(...)"
            )
        replica_region = self.settings.backup.replica_region
        if (replica_region is None) != (self.replica_provider is None):
            raise ValueError(
                f"SecureMlEnvironmentArgs.replica_provider: {self.replica_provider!r} with "
                f"strongroom:backup.replicaRegion {replica_region!r}; accepted: an aws.Provider for the "
                "replica region when one is configured, None otherwise"
            )


def bucket_name_prefix(name: str) -> str:
    """Physical name prefix of every bucket of the environment ``name`` (the S3 endpoint admits
    ``<prefix>-*``)."""
    return name


def iam_path(stack: str) -> str:
    """IAM path of every role and policy of the stack; the boundaries and the auditor are scoped to it."""
    return f"/strongroom/{stack}/"


def _deferred() -> tuple[pulumi.Output[str], Callable[[pulumi.Output[str]], None]]:
    return pulumi.deferred_output()


def _deferred_list() -> tuple[pulumi.Output[list[str]], Callable[[pulumi.Output[list[str]]], None]]:
    return pulumi.deferred_output()


def _role_name(role_arn: pulumi.Output[str]) -> pulumi.Output[str]:
    return role_arn.apply(lambda arn: arn.rsplit("/", 1)[-1])


def _flatten_names(values: list[Any]) -> list[str]:
    """[stack role names, service role name, ...] -> the sorted, distinct role names."""
    stack_roles, *service_roles = values
    return sorted({*stack_roles, *service_roles})


class SecureMlEnvironment(pulumi.ComponentResource):
    """A private, encrypted, backed-up ML environment for one stack."""

    keys: KeyRing
    network: PrivateNetwork
    access_logs: SecureBucket
    buckets: dict[str, SecureBucket]
    roles: MlRoles
    backup: BackupVault
    audit: AuditTrail | None
    workspace: MlWorkspace | None
    alerts: SecurityAlerts | None
    baseline: AccountBaseline | None

    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    interface_endpoint_ids: dict[str, pulumi.Output[str]]
    s3_endpoint_id: pulumi.Output[str]
    key_arns: dict[str, pulumi.Output[str]]
    bucket_names: dict[str, pulumi.Output[str]]
    bucket_arns: dict[str, pulumi.Output[str]]
    access_log_bucket_name: pulumi.Output[str]
    backup_bucket_names: dict[str, pulumi.Output[str]]
    replica_bucket_names: dict[str, pulumi.Output[str]]
    role_arns: dict[str, pulumi.Output[str]]
    trail_arn: pulumi.Output[str] | None
    studio_domain_id: pulumi.Output[str] | None
    alert_topic_arn: pulumi.Output[str] | None
    studio_execution_role_arn: pulumi.Output[str]
    """The Studio/notebook execution role, passed to SageMaker (the deployer's passable roles)."""
    model_package_groups: dict[str, aws.sagemaker.ModelPackageGroup]
    baseline_outputs: dict[str, pulumi.Output[Any]] | None

    def __init__(
        self, name: str, args: SecureMlEnvironmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        settings = args.settings
        # The CI deployer is granted the actions of exactly the resource types created below (and their
        # regions): every descendant is recorded as it registers, then handed to MlRoles at the end.
        recorder = PlannedTypesRecorder(
            settings.region, args.replica_provider, settings.backup.replica_region
        )
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[recorder]))
        super().__init__("strongroom:index:SecureMlEnvironment", name, None, opts)
        retain = settings.is_prod
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        path = iam_path(settings.stack)
        admins = list(settings.identity.admin_principals)
        # The roles name the buckets, keys and subnets created before them, while the network, buckets,
        # backup vault and trail need the roles' boundary or deployer ARN, and the roles need the later
        # buckets and replica key. Deferred outputs, resolved once the resources exist, keep every
        # dependency exact without a cycle in the program (none exists between the resources).
        boundary_arn, resolve_boundary_arn = _deferred()
        later_buckets, resolve_later_buckets = _deferred_list()
        later_keys, resolve_later_keys = _deferred_list()
        # The recovery role reads the backup buckets, their replicas and keys, created after the roles.
        backup_arns, resolve_backup_arns = _deferred_list()
        replica_arns, resolve_replica_arns = _deferred_list()
        # The deployer manages exactly the roles the stack creates and the auditor reads exactly its topics.
        service_role_arns, resolve_service_role_arns = _deferred_list()
        # (service principal, role ARN) pairs the deployer may pass, each to its service only.
        passable: tuple[pulumi.Output[list[list[str]]], Callable[[pulumi.Output[list[list[str]]]], None]]
        passable = pulumi.deferred_output()
        passable_roles, resolve_passable_roles = passable
        planned: tuple[pulumi.Output[dict[str, Any]], Callable[[pulumi.Output[dict[str, Any]]], None]]
        planned = pulumi.deferred_output()
        planned_types, resolve_planned_types = planned
        topic_arns, resolve_topic_arns = _deferred_list()
        # Data scientists open Studio in the stack's domain, which runs as their role: named once it exists.
        domain_ids, resolve_domain_ids = _deferred_list()
        bucket_admins: list[pulumi.Input[str]] = list(admins)
        resolve_deployer_arn = None
        # The auditor reads every bucket's configuration from outside the VPC (the live audit).
        auditor_arn, resolve_auditor_arn = _deferred()
        config_readers: list[pulumi.Input[str]] = [auditor_arn]
        if settings.identity.deployer is not None:
            deployer_arn, resolve_deployer_arn = _deferred()
            bucket_admins.append(deployer_arn)
        # The baseline's Config bucket is created last; the trail records it and the roles name it.
        baseline_on = settings.baseline.enabled and settings.alerts.enabled
        baseline_buckets: list[pulumi.Output[str]] = []
        resolve_config_bucket_arn = None
        if baseline_on:
            config_bucket_arn, resolve_config_bucket_arn = _deferred()
            baseline_buckets.append(config_bucket_arn)

        # With the account baseline, AWS Config delivers its files encrypted with the logs key.
        grants = dict(DEFAULT_SERVICE_GRANTS)
        if baseline_on:
            grants["logs"] = (*grants["logs"], "config")
        self.keys = KeyRing(
            f"{name}-keys",
            KeyRingArgs(
                environment=settings.stack,
                admin_principal_arns=admins,
                service_grants=grants,
                retain=retain,
                # The manifest signers: MlRoles' training and CI deployer roles, created later with
                # generated names (<name>-roles-training-<suffix>), under the stack's IAM path.
                signer_role_names=(f"{name}-roles-training-*", f"{name}-roles-deployer-*"),
                signer_role_path=iam_path(settings.stack),
            ),
            opts=child,
        )
        self.network = PrivateNetwork(
            f"{name}-network",
            PrivateNetworkArgs(
                vpc_cidr=settings.network.vpc_cidr,
                flow_log_kms_key_arn=self.keys.key_arns["logs"],
                s3_bucket_name_prefix=bucket_name_prefix(name),
                az_count=settings.network.az_count,
                interface_endpoints=settings.network.interface_endpoints,
                flow_log_retention_days=settings.storage.log_retention_days,
                region=settings.region,
                permissions_boundary_arn=boundary_arn,
                iam_path=path,
            ),
            opts=child,
        )
        endpoints = [self.network.s3_endpoint_id]

        self.access_logs = SecureBucket(
            f"{name}-access-logs",
            SecureBucketArgs(
                kms_key_arn=self.keys.key_arns["logs"],
                is_log_bucket=True,
                vpc_endpoint_ids=endpoints,
                admin_principal_arns=bucket_admins,
                config_reader_principal_arns=config_readers,
                noncurrent_version_expiry_days=settings.storage.noncurrent_version_expiry_days,
                expiration_days=min(settings.storage.log_retention_days, MAX_LOG_OBJECT_DAYS),
                retain=retain,
            ),
            opts=child,
        )
        self.buckets = {}
        # The vault's replication role reads the data and model buckets from outside the VPC (S3
        # replication does not come through the endpoint); it exists once the vault does.
        filler_arn, resolve_filler_arn = _deferred()
        for purpose in settings.bucket_purposes:
            self.buckets[purpose] = SecureBucket(
                f"{name}-{purpose}",
                SecureBucketArgs(
                    kms_key_arn=self.keys.key_arns["models" if purpose == "models" else "data"],
                    log_bucket_name=self.access_logs.bucket_name,
                    vpc_endpoint_ids=endpoints,
                    admin_principal_arns=[*bucket_admins, filler_arn],
                    config_reader_principal_arns=config_readers,
                    noncurrent_version_expiry_days=settings.storage.noncurrent_version_expiry_days,
                    tags={"strongroom:purpose": purpose},
                    retain=retain,
                ),
                opts=child,
            )
        deployer = settings.identity.deployer
        identity = settings.identity
        self.roles = MlRoles(
            f"{name}-roles",
            MlRolesArgs(
                data_bucket_arns=[
                    self.buckets[purpose].bucket_arn
                    for purpose in settings.bucket_purposes
                    if purpose != "models"
                ],
                model_bucket_arn=self.buckets["models"].bucket_arn,
                data_key_arn=self.keys.key_arns["data"],
                model_key_arn=self.keys.key_arns["models"],
                logs_key_arn=self.keys.key_arns["logs"],
                signing_key_arn=self.keys.key_arns["signing"],
                subnet_ids=self.network.subnet_ids,
                security_group_ids=[self.network.workload_security_group_id],
                data_scientist_principal_arns=list(identity.data_scientists),
                model_approver_principal_arns=list(identity.model_approvers),
                auditor_principal_arns=list(identity.auditors),
                recovery_principal_arns=list(identity.recovery_operators),
                backup_bucket_arns=backup_arns,
                replica_bucket_arns=replica_arns,
                backup_key_arns=later_keys,
                require_mfa=identity.require_mfa,
                organization_id=settings.perimeter.organization_id,
                # The settings refuse a principal that is both data scientist and approver in prod.
                allow_self_approval=not settings.is_prod,
                extra_bucket_arns=later_buckets,
                extra_key_arns=later_keys,
                iam_path=path,
                environment=settings.stack,
                service_role_arns=service_role_arns,
                alert_topic_arns=topic_arns,
                key_alias_names=list(self.keys.alias_names.values()),
                name_prefix=f"{name}-",
                # The alert path's forwarding rules (us-east-1, the replica region): the auditor reads them.
                event_regions=(
                    forwarding_regions(settings.region, settings.backup.replica_region)
                    if settings.alerts.enabled
                    else ()
                ),
                vpc_id=self.network.vpc_id,
                studio_domain_ids=domain_ids,
                # Studio/notebook sign-in URLs only through the SageMaker API endpoint or the bank's ranges.
                sign_in_endpoint_ids=[self.network.interface_endpoint_ids["sagemaker.api"]],
                sign_in_cidrs=list(settings.workspace.sign_in_cidrs),
                notebook_sign_in=settings.workspace.notebook,
                models=list(settings.workspace.models),
                github_repository=deployer.github_repository if deployer else None,
                github_environment=deployer.github_environment if deployer else None,
                github_oidc_provider_arn=deployer.oidc_provider_arn if deployer else None,
                deployer_passable_roles=passable_roles,
                deployer_planned_types=planned_types,
                account_id=account,
                region=settings.region,
            ),
            opts=child,
        )
        resolve_boundary_arn(self.roles.boundary_policy_arn)
        resolve_auditor_arn(self.roles.auditor_role_arn)
        if resolve_deployer_arn is not None and self.roles.deployer_role_arn is not None:
            resolve_deployer_arn(self.roles.deployer_role_arn)
        self.backup = BackupVault(
            f"{name}-backup",
            BackupVaultArgs(
                environment=settings.stack,
                kms_key_arn=self.keys.key_arns["backup"],
                log_bucket_name=self.access_logs.bucket_name,
                vpc_endpoint_ids=endpoints,
                admin_principal_arns=bucket_admins,
                config_reader_principal_arns=config_readers,
                # The recovery role reads the replicas from outside their region's (absent) VPC endpoint.
                replica_reader_principal_arns=(
                    [self.roles.recovery_role_arn] if self.roles.recovery_role_arn is not None else []
                ),
                datasets=("models", *settings.storage.data_domains),
                object_lock_mode=settings.backup.object_lock_mode,
                object_lock_days=settings.backup.object_lock_days,
                # Backup versions are kept exactly as long as they are locked; the settings guarantee
                # that this covers the data and model buckets' own noncurrent version expiry.
                noncurrent_version_expiry_days=settings.backup.object_lock_days,
                replica_provider=args.replica_provider,
                replica_region=settings.backup.replica_region,
                permissions_boundary_arn=self.roles.boundary_policy_arn,
                iam_path=path,
                retain=retain,
                account_id=account,
                region=settings.region,
                # Every data and model bucket fills its dataset's backup bucket (and replica).
                sources={
                    "models": self.buckets["models"],
                    **{domain: self.buckets[f"data-{domain}"] for domain in settings.storage.data_domains},
                },
            ),
            opts=child,
        )
        if self.backup.source_replication_role_arn is None:
            raise ValueError("BackupVault: no source replication role although sources were given")
        resolve_filler_arn(self.backup.source_replication_role_arn)
        resolve_backup_arns(pulumi.Output.all(*self.backup.bucket_arns.values()).apply(list))
        resolve_replica_arns(pulumi.Output.all(*self.backup.replica_bucket_arns.values()).apply(list))
        self.audit = None
        if settings.audit.trail:
            # The trail records every bucket of the environment; it adds its own bucket (all but CloudTrail's
            # delivery, which would loop) and its replica.
            recorded = [
                *(bucket.bucket_arn for bucket in self.buckets.values()),
                self.access_logs.bucket_arn,
                *self.backup.bucket_arns.values(),
                *self.backup.replica_bucket_arns.values(),
            ]
            if self.backup.replica_log_bucket_arn is not None:
                recorded.append(self.backup.replica_log_bucket_arn)
            recorded.extend(baseline_buckets)
            self.audit = AuditTrail(
                f"{name}-audit",
                AuditTrailArgs(
                    logs_key_arn=self.keys.key_arns["logs"],
                    access_log_bucket_name=self.access_logs.bucket_name,
                    data_event_bucket_arns=recorded,
                    log_retention_days=settings.storage.log_retention_days,
                    vpc_endpoint_ids=endpoints,
                    admin_principal_arns=bucket_admins,
                    config_reader_principal_arns=config_readers,
                    # Trail log files are locked like the backups, and kept while locked.
                    noncurrent_version_expiry_days=settings.backup.object_lock_days,
                    object_lock_mode=settings.backup.object_lock_mode,
                    object_lock_days=settings.backup.object_lock_days,
                    retain=retain,
                    permissions_boundary_arn=self.roles.boundary_policy_arn,
                    iam_path=path,
                    account_id=account,
                    region=settings.region,
                    # With a replica region the trail bucket is replicated beside the backups.
                    replica_provider=args.replica_provider,
                    replica_region=settings.backup.replica_region,
                    replica_kms_key_arn=self.backup.replica_key_arn,
                    replica_log_bucket_name=self.backup.replica_log_bucket_name,
                    insights=settings.audit.insights,
                    organization_id=(
                        settings.perimeter.organization_id if settings.audit.organization_trail else None
                    ),
                ),
                opts=child,
            )

        later: list[pulumi.Output[str]] = [
            self.access_logs.bucket_arn,
            *self.backup.bucket_arns.values(),
            *self.backup.replica_bucket_arns.values(),
        ]
        if self.backup.replica_log_bucket_arn is not None:
            later.append(self.backup.replica_log_bucket_arn)
        later.extend(baseline_buckets)
        if self.audit is not None:
            later.append(self.audit.bucket_arn)
            if self.audit.replica_bucket_arn is not None:
                later.append(self.audit.replica_bucket_arn)
        resolve_later_buckets(pulumi.Output.all(*later).apply(list))
        keys = [self.keys.key_arns["backup"]]
        if self.backup.replica_key_arn is not None:
            keys.append(self.backup.replica_key_arn)
        resolve_later_keys(pulumi.Output.all(*keys).apply(list))

        self.workspace = None
        workspace = settings.workspace
        if workspace.studio or workspace.notebook:
            self.workspace = MlWorkspace(
                f"{name}-workspace",
                MlWorkspaceArgs(
                    vpc_id=self.network.vpc_id,
                    subnet_ids=self.network.subnet_ids,
                    endpoint_security_group_id=self.network.endpoint_security_group_id,
                    execution_role_arn=self.roles.studio_execution_role_arn,
                    kms_key_arn=self.keys.key_arns["data"],
                    s3_prefix_list_id=self.network.s3_prefix_list_id,
                    create_domain=workspace.studio,
                    create_notebook_instance=workspace.notebook,
                    notebook_instance_type=workspace.notebook_instance_type,
                ),
                opts=child,
            )
        self.model_package_groups = model_package_groups(f"{name}-", settings.workspace.models, opts=child)
        studio = self.workspace.domain_id if self.workspace is not None else None
        resolve_domain_ids(
            pulumi.Output.all(studio).apply(list) if studio is not None else pulumi.Output.from_input([])
        )
        self.alerts = None
        # The topic policy admits the baseline's finding rules, created after the topic.
        baseline_rule_arns, resolve_baseline_rule_arns = _deferred_list()
        if settings.alerts.enabled:
            service_roles: list[pulumi.Output[str]] = [_role_name(self.network.flow_log_role_arn)]
            if self.backup.replication_role_arn is not None:
                service_roles.append(_role_name(self.backup.replication_role_arn))
            service_roles.append(_role_name(self.backup.source_replication_role_arn))
            if self.audit is not None:
                service_roles.append(self.audit.delivery_role_name)
                if self.audit.replication_role_name is not None:
                    service_roles.append(self.audit.replication_role_name)
            self.alerts = SecurityAlerts(
                f"{name}-alerts",
                SecurityAlertsArgs(
                    kms_key_arn=self.keys.key_arns["logs"],
                    role_names=pulumi.Output.all(self.roles.role_names, *service_roles).apply(_flatten_names),
                    region=settings.region,
                    email_endpoints=list(settings.alerts.emails),
                    # The replica region's buckets, keys and rules alert too, forwarded to the home bus.
                    replica_region=settings.backup.replica_region,
                    forwarding_role_permissions_boundary_arn=self.roles.boundary_policy_arn,
                    iam_path=path,
                    account_id=account,
                    extra_rule_arns=baseline_rule_arns,
                    # Changes to any rule of the stack alert (the baseline's finding rules included).
                    watched_rule_name_prefix=f"{name}-",
                ),
                opts=child,
            )
        self.baseline = None
        if baseline_on and self.alerts is not None:
            self.baseline = AccountBaseline(
                f"{name}-baseline",
                AccountBaselineArgs(
                    environment=settings.stack,
                    alert_topic_arn=self.alerts.topic_arn,
                    kms_key_arn=self.keys.key_arns["logs"],
                    access_log_bucket_name=self.access_logs.bucket_name,
                    analyzer_type="ORGANIZATION" if settings.baseline.organization_analyzer else "ACCOUNT",
                    vpc_endpoint_ids=endpoints,
                    admin_principal_arns=bucket_admins,
                    config_reader_principal_arns=config_readers,
                    noncurrent_version_expiry_days=settings.storage.noncurrent_version_expiry_days,
                    retain=retain,
                    account_id=account,
                    region=settings.region,
                ),
                opts=child,
            )
        if resolve_config_bucket_arn is not None and self.baseline is not None:
            resolve_config_bucket_arn(self.baseline.config_bucket_arn)
        resolve_baseline_rule_arns(
            self.baseline.rule_arns if self.baseline is not None else pulumi.Output.from_input([])
        )

        service_role_arn_list: list[pulumi.Output[str]] = [self.network.flow_log_role_arn]
        if self.backup.replication_role_arn is not None:
            service_role_arn_list.append(self.backup.replication_role_arn)
        service_role_arn_list.append(self.backup.source_replication_role_arn)
        if self.audit is not None:
            service_role_arn_list.append(self.audit.delivery_role_arn)
            if self.audit.replication_role_arn is not None:
                service_role_arn_list.append(self.audit.replication_role_arn)
        if self.alerts is not None and self.alerts.forwarder_role_arn is not None:
            service_role_arn_list.append(self.alerts.forwarder_role_arn)
        resolve_service_role_arns(pulumi.Output.all(*service_role_arn_list).apply(list))
        # New service roles: one more (service principal, role ARN) pair here.
        passable_list: list[tuple[str, pulumi.Output[str]]] = [
            ("vpc-flow-logs.amazonaws.com", self.network.flow_log_role_arn)
        ]
        if self.backup.replication_role_arn is not None:
            passable_list.append(("s3.amazonaws.com", self.backup.replication_role_arn))
        passable_list.append(("s3.amazonaws.com", self.backup.source_replication_role_arn))
        if self.audit is not None:
            passable_list.append(("cloudtrail.amazonaws.com", self.audit.delivery_role_arn))
            if self.audit.replication_role_arn is not None:
                passable_list.append(("s3.amazonaws.com", self.audit.replication_role_arn))
        if self.alerts is not None and self.alerts.forwarder_role_arn is not None:
            passable_list.append(("events.amazonaws.com", self.alerts.forwarder_role_arn))
        resolve_passable_roles(
            pulumi.Output.all(*(pulumi.Output.all(service, arn) for service, arn in passable_list)).apply(
                lambda pairs: [list(p) for p in pairs]
            )
        )
        resolve_topic_arns(
            pulumi.Output.all(self.alerts.topic_arn).apply(list)
            if self.alerts is not None
            else pulumi.Output.from_input([])
        )

        # Every child is registered: what the stack creates is now known exactly.
        resolve_planned_types(pulumi.Output.from_input(recorder.snapshot()))

        self.vpc_id = self.network.vpc_id
        self.subnet_ids = self.network.subnet_ids
        self.interface_endpoint_ids = self.network.interface_endpoint_ids
        self.s3_endpoint_id = self.network.s3_endpoint_id
        self.key_arns = self.keys.key_arns
        self.bucket_names = {purpose: bucket.bucket_name for purpose, bucket in self.buckets.items()}
        self.bucket_arns = {purpose: bucket.bucket_arn for purpose, bucket in self.buckets.items()}
        self.access_log_bucket_name = self.access_logs.bucket_name
        self.backup_bucket_names = self.backup.bucket_names
        self.replica_bucket_names = self.backup.replica_bucket_names
        self.studio_execution_role_arn = self.roles.studio_execution_role_arn
        self.role_arns = {
            "data-scientist": self.roles.data_scientist_role_arn,
            "studio-execution": self.roles.studio_execution_role_arn,
            "training": self.roles.training_role_arn,
            "model-approver": self.roles.approver_role_arn,
            "auditor": self.roles.auditor_role_arn,
        }
        if self.roles.recovery_role_arn is not None:
            self.role_arns["recovery"] = self.roles.recovery_role_arn
        if self.roles.deployer_role_arn is not None:
            self.role_arns["deployer"] = self.roles.deployer_role_arn
        self.trail_arn = self.audit.trail_arn if self.audit else None
        self.studio_domain_id = self.workspace.domain_id if self.workspace else None
        self.alert_topic_arn = self.alerts.topic_arn if self.alerts else None
        self.baseline_outputs = None
        if self.baseline is not None:
            self.baseline_outputs = {
                "analyzer_arn": self.baseline.analyzer_arn,
                "detector_id": self.baseline.detector_id,
                "config_recorder_name": self.baseline.config_recorder_name,
                "config_bucket_name": self.baseline.config_bucket_name,
                "finding_rule_arns": self.baseline.rule_arns,
            }
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "subnet_ids": self.subnet_ids,
                "interface_endpoint_ids": self.interface_endpoint_ids,
                "s3_endpoint_id": self.s3_endpoint_id,
                "key_arns": self.key_arns,
                "bucket_names": self.bucket_names,
                "bucket_arns": self.bucket_arns,
                "access_log_bucket_name": self.access_log_bucket_name,
                "backup_bucket_names": self.backup_bucket_names,
                "replica_bucket_names": self.replica_bucket_names,
                "role_arns": self.role_arns,
                "trail_arn": self.trail_arn,
                "studio_domain_id": self.studio_domain_id,
                "alert_topic_arn": self.alert_topic_arn,
                "baseline": self.baseline_outputs,
            }
        )
