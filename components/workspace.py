"""MlWorkspace: a SageMaker Studio domain in VpcOnly mode and an optional locked-down notebook instance."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

_DOMAIN_NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_INSTANCE_TYPE_RE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
_MODEL_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")

APP_IDLE_MINUTES = 60
"""Studio JupyterLab apps shut down after this long idle, and users cannot raise it (SageMaker's minimum).
The sign-in URL itself lives 5 minutes by default; how long a Studio session lasts once signed in
(`SessionExpirationDurationInSeconds`, 30 minutes to 12 hours) is chosen by the caller of
CreatePresignedDomainUrl and no IAM condition key governs it."""

#: Studio in VpcOnly mode: NFS to the domain's EFS and the ports Studio apps use between each other.
NFS_PORT = 2049
STUDIO_APP_PORTS = (8192, 65535)


@dataclass
class MlWorkspaceArgs:
    """Arguments of `MlWorkspace`."""

    vpc_id: pulumi.Input[str]
    """VPC of the environment (PrivateNetwork.vpc_id)."""

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets for Studio and the notebook instance (PrivateNetwork.private_subnet_ids)."""

    endpoint_security_group_id: pulumi.Input[str]
    """Security group of the interface endpoints; the workspace may reach it on 443 only."""

    execution_role_arn: pulumi.Input[str]
    """Execution role of users, spaces and the notebook (MlRoles.studio_execution_role_arn): trusted by
    SageMaker only, never a person's role."""

    kms_key_arn: pulumi.Input[str]
    """KMS key for the domain's EFS volume and the notebook's storage."""

    s3_prefix_list_id: pulumi.Input[str] | None = None
    """Prefix list of the S3 gateway endpoint (pl-...); the workspace may reach it on 443. None: S3 only
    through an S3 interface endpoint behind `endpoint_security_group_id`."""

    create_domain: bool = True
    """Create the Studio domain (off for a data-only environment)."""

    domain_name: str | None = None
    """Studio domain name (default: the component name)."""

    create_notebook_instance: bool = False
    """Also create a classic notebook instance (no internet, no root)."""

    notebook_instance_type: str = "ml.t3.medium"
    """Instance type of the notebook instance."""

    notebook_volume_size_gb: int = 20
    """EBS volume of the notebook instance, in GB (5-16384)."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on top of the provider's default tags."""

    def __post_init__(self) -> None:
        if self.domain_name is not None and not _DOMAIN_NAME_RE.match(self.domain_name):
            raise ValueError(
                f"domain_name: {self.domain_name!r} must be 1-63 letters, digits or hyphens (no leading -)"
            )
        if not _INSTANCE_TYPE_RE.match(self.notebook_instance_type):
            raise ValueError(
                f"notebook_instance_type: {self.notebook_instance_type!r} is not a SageMaker instance type "
                "(e.g. ml.t3.medium)"
            )
        if not 5 <= self.notebook_volume_size_gb <= 16384:
            raise ValueError(f"notebook_volume_size_gb: {self.notebook_volume_size_gb!r} must be 5-16384")
        if isinstance(self.subnet_ids, list | tuple) and not self.subnet_ids:
            raise ValueError("subnet_ids: give at least one private subnet id")
        if not (self.create_domain or self.create_notebook_instance):
            raise ValueError(
                "create_domain/create_notebook_instance: both off; leave the workspace out instead"
            )


class MlWorkspace(pulumi.ComponentResource):
    """SageMaker Studio (VpcOnly, IAM auth, KMS) with a workspace security group that reaches only itself,
    the VPC endpoints and S3; optionally a notebook instance without internet or root access."""

    security_group_id: pulumi.Output[str]
    """ID of the workspace security group."""
    domain_id: pulumi.Output[str] | None
    """ID of the SageMaker Studio domain (None without Studio)."""
    domain_arn: pulumi.Output[str] | None
    """ARN of the Studio domain (None without Studio)."""
    domain_url: pulumi.Output[str] | None
    """URL of the Studio domain (None without Studio)."""
    notebook_instance_arn: pulumi.Output[str] | None
    """ARN of the notebook instance (None without a notebook)."""
    notebook_instance_name: pulumi.Output[str] | None
    """Name of the notebook instance (None without a notebook)."""

    def __init__(self, name: str, args: MlWorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if isinstance(args, dict):  # the inputs of a program in another language (components/provider.py)
            args = MlWorkspaceArgs(**args)
        super().__init__("strongroom:index:MlWorkspace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None

        # No inline rules: the provider removes AWS's default allow-all egress, and every rule is its own
        # resource below.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="SageMaker workspace: NFS and Studio app ports within the group, 443 to endpoints",
            revoke_rules_on_delete=True,
            tags=tags,
            opts=child,
        )
        sg_id = self.security_group.id
        self_ports = {"nfs": (NFS_PORT, NFS_PORT), "apps": STUDIO_APP_PORTS}
        for label, (low, high) in self_ports.items():
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ingress-{label}",
                security_group_id=sg_id,
                referenced_security_group_id=sg_id,
                ip_protocol="tcp",
                from_port=low,
                to_port=high,
                description=f"Studio {label} from the workspace group",
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-egress-{label}",
                security_group_id=sg_id,
                referenced_security_group_id=sg_id,
                ip_protocol="tcp",
                from_port=low,
                to_port=high,
                description=f"Studio {label} to the workspace group",
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress-endpoints",
            security_group_id=sg_id,
            referenced_security_group_id=args.endpoint_security_group_id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to the VPC interface endpoints",
            opts=child,
        )
        # The other half: the endpoints' group admits the workspace group on 443. Without it the egress
        # rule above leads nowhere and Studio cannot reach the SageMaker API, STS or KMS (PrivateNetwork's
        # endpoint group admits only its workload group, which training jobs use).
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-ingress",
            security_group_id=args.endpoint_security_group_id,
            referenced_security_group_id=sg_id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS from the SageMaker workspace group to the interface endpoints",
            opts=child,
        )
        if args.s3_prefix_list_id is not None:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-egress-s3",
                security_group_id=sg_id,
                prefix_list_id=args.s3_prefix_list_id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="HTTPS to S3 through the gateway endpoint",
                opts=child,
            )

        self.domain: aws.sagemaker.Domain | None = None
        self.domain_id = self.domain_arn = self.domain_url = None
        if args.create_domain:
            self.domain = aws.sagemaker.Domain(
                f"{name}-domain",
                domain_name=args.domain_name or name,
                auth_mode="IAM",
                app_network_access_type="VpcOnly",
                vpc_id=args.vpc_id,
                subnet_ids=args.subnet_ids,
                kms_key_id=args.kms_key_arn,
                default_user_settings=aws.sagemaker.DomainDefaultUserSettingsArgs(
                    execution_role=args.execution_role_arn,
                    security_groups=[sg_id],
                    sharing_settings=aws.sagemaker.DomainDefaultUserSettingsSharingSettingsArgs(
                        notebook_output_option="Disabled",
                    ),
                    jupyter_lab_app_settings=aws.sagemaker.DomainDefaultUserSettingsJupyterLabAppSettingsArgs(
                        app_lifecycle_management=(
                            aws.sagemaker.DomainDefaultUserSettingsJupyterLabAppSettingsAppLifecycleManagementArgs(
                                idle_settings=aws.sagemaker.DomainDefaultUserSettingsJupyterLabAppSettingsAppLifecycleManagementIdleSettingsArgs(
                                    lifecycle_management="ENABLED",
                                    idle_timeout_in_minutes=APP_IDLE_MINUTES,
                                    min_idle_timeout_in_minutes=APP_IDLE_MINUTES,
                                    max_idle_timeout_in_minutes=APP_IDLE_MINUTES,
                                )
                            )
                        ),
                    ),
                ),
                default_space_settings=aws.sagemaker.DomainDefaultSpaceSettingsArgs(
                    execution_role=args.execution_role_arn,
                    security_groups=[sg_id],
                ),
                domain_settings=aws.sagemaker.DomainDomainSettingsArgs(
                    security_group_ids=[sg_id],
                    docker_settings=aws.sagemaker.DomainDomainSettingsDockerSettingsArgs(
                        enable_docker_access="DISABLED",
                    ),
                ),
                retention_policy=aws.sagemaker.DomainRetentionPolicyArgs(home_efs_file_system="Retain"),
                tags=tags,
                opts=child,
            )
            self.domain_id = self.domain.id
            self.domain_arn = self.domain.arn
            self.domain_url = self.domain.url

        self.notebook: aws.sagemaker.NotebookInstance | None = None
        self.notebook_instance_arn = self.notebook_instance_name = None
        if args.create_notebook_instance:
            first_subnet = pulumi.Output.from_input(args.subnet_ids).apply(lambda ids: str(ids[0]))
            self.notebook = aws.sagemaker.NotebookInstance(
                f"{name}-notebook",
                instance_type=args.notebook_instance_type,
                role_arn=args.execution_role_arn,
                direct_internet_access="Disabled",
                root_access="Disabled",
                kms_key_id=args.kms_key_arn,
                subnet_id=first_subnet,
                security_groups=[sg_id],
                volume_size=args.notebook_volume_size_gb,
                instance_metadata_service_configuration=(
                    aws.sagemaker.NotebookInstanceInstanceMetadataServiceConfigurationArgs(
                        minimum_instance_metadata_service_version="2",
                    )
                ),
                tags=tags,
                opts=child,
            )
            self.notebook_instance_arn = self.notebook.arn
            self.notebook_instance_name = self.notebook.name

        self.security_group_id = sg_id
        self.register_outputs(
            {
                "security_group_id": self.security_group_id,
                "domain_id": self.domain_id,
                "domain_arn": self.domain_arn,
                "notebook_instance_arn": self.notebook_instance_arn,
            }
        )


def model_package_groups(
    name_prefix: str,
    models: Sequence[str],
    *,
    tags: Mapping[str, str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, aws.sagemaker.ModelPackageGroup]:
    """One SageMaker Model Package Group `<name_prefix><model>` per model: the registry where packages are
    registered as PendingManualApproval and only the model approver approves them (MlRoles' policies)."""
    groups: dict[str, aws.sagemaker.ModelPackageGroup] = {}
    for model in models:
        if not _MODEL_RE.match(model):
            raise ValueError(f"models: {model!r} must be 3-32 lower-case letters, digits or '-'")
        groups[model] = aws.sagemaker.ModelPackageGroup(
            f"{name_prefix}{model}",
            model_package_group_name=f"{name_prefix}{model}",
            model_package_group_description=f"Model {model}: packages approved by the model approver only",
            tags=dict(tags or {}) or None,
            opts=opts,
        )
    return groups
