"""MlRoles: least-privilege IAM roles for an ML team, with guardrails and permission boundaries."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from strongroom.components import layout
from strongroom.components.policydocs import deployer as deployerdoc
from strongroom.components.policydocs import iam

SAGEMAKER = "sagemaker.amazonaws.com"
DETECTOR = "aws:guardduty/detector:Detector"
DEPLOYER_POLICY_SLOTS = 5
"""Managed policies holding the deployer's allows (each at most 6,144 characters; a role takes 10). Their
count is fixed (the planned types are only known once the stack's resources are registered); a plan that
does not fit is refused with the sizes."""
MLROLES_TYPES = (
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
)
"""The resource types MlRoles itself creates (the deployer's types when MlRoles stands alone)."""
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_PATH_RE = re.compile(r"^/([A-Za-z0-9+=,.@_-]+/)*$")
_PREFIX_RE = re.compile(r"^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*/$")


@dataclass
class MlRolesArgs:
    """Arguments of `MlRoles`."""

    data_bucket_arns: Sequence[pulumi.Input[str]]
    """Exact ARNs of the data buckets, one per data domain (curated data for people and training jobs);
    no wildcard pattern: the roles name each bucket."""

    model_bucket_arn: pulumi.Input[str]
    """ARN of the model bucket (experiments, training candidates, production models)."""

    data_key_arn: pulumi.Input[str]
    """KMS key of the data bucket."""

    model_key_arn: pulumi.Input[str]
    """KMS key of the model bucket (also the SageMaker volume/output key)."""

    logs_key_arn: pulumi.Input[str]
    """KMS key of the log groups and the trail."""

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets SageMaker jobs run in (training role may create ENIs there only)."""

    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Security groups SageMaker jobs use."""

    data_scientist_principal_arns: Sequence[str]
    """IAM role/user ARNs allowed to assume the data scientist role."""

    model_approver_principal_arns: Sequence[str]
    """IAM role/user ARNs allowed to assume the model approver role; none of them may also be a data
    scientist principal (the person who trains a model must not approve it) unless `allow_self_approval`."""

    auditor_principal_arns: Sequence[str]
    """IAM role/user ARNs allowed to assume the auditor role."""

    recovery_principal_arns: Sequence[str] = ()
    """IAM role/user ARNs allowed to assume the recovery role (`strongroom vault restore` and `status`);
    none: no recovery role."""

    backup_bucket_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """The Object Lock backup buckets: the recovery role reads their versions and Object Lock."""

    replica_bucket_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """The backups' replicas in the replica region: the recovery role reads their versions and Object Lock."""

    backup_key_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """The backup key and the replica region's key: the recovery role decrypts with them."""

    require_mfa: bool = True
    """Human roles need `aws:MultiFactorAuthPresent=true` (must stay on in prod)."""

    organization_id: str | None = None
    """The bank's AWS Organization (`o-...`): human roles trust their principals only with
    `aws:PrincipalOrgID` equal to it. Needed when the principals live in another account (the IAM Identity
    Center account), where a trust without it is open to the confused deputy (control SR-IAM-006)."""

    allow_self_approval: bool = False
    """Let one principal assume both the data scientist and the model approver role (small development
    teams); weakens separation of duties, so the settings refuse it in prod."""

    extra_bucket_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Other buckets of the environment (backup, replica, logs, trail): read by the auditor, deployed by the
    deployer, and within the workload boundary (for replication roles)."""

    extra_key_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Other KMS keys of the environment (backup, replica): read by the auditor, allowed by the guardrails."""

    signing_key_arn: pulumi.Input[str] | None = None
    """The KeyRing's manifest signing key (asymmetric, SIGN_VERIFY): the training role and the deployer
    may sign with it, every role may verify. None: no signing key."""

    iam_path: str = "/strongroom/"
    """IAM path of every role and policy created here, e.g. `/strongroom/dev/`; the auditor, deployer,
    boundaries and alerts are scoped to it."""

    curated_prefix: str = layout.CURATED_PREFIX
    """Data bucket prefix data scientists read."""

    experiments_prefix: str = layout.EXPERIMENTS_PREFIX
    """Model bucket prefix data scientists read and write."""

    training_data_prefix: str = layout.TRAINING_DATA_PREFIX
    """Data bucket prefix training jobs read."""

    candidates_prefix: str = layout.CANDIDATES_PREFIX
    """Model bucket prefix training jobs write and the approver promotes from."""

    production_prefix: str = layout.PRODUCTION_PREFIX
    """Model bucket prefix only the approver writes."""

    datasets_prefix: str = layout.DATASETS_PREFIX
    """Model bucket prefix of the signed dataset snapshots (`vault snapshot`): the training role writes
    them, the training, model-approver and data-scientist roles read them."""

    github_repository: str | None = None
    """`org/repo` whose GitHub Actions may assume the deployer role; None: no deployer role."""

    github_environment: str | None = None
    """GitHub environment (`sub` claim `repo:<repo>:environment:<env>`) required with `github_repository`."""

    github_oidc_provider_arn: pulumi.Input[str] | None = None
    """ARN of the account's token.actions.githubusercontent.com OIDC provider; default
    `arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com`."""

    deployer_passable_roles: pulumi.Input[Sequence[pulumi.Input[Sequence[pulumi.Input[str]]]]] = ()
    """The stack's service roles the deployer may hand to a service, as `(service principal, role ARN)`
    pairs, e.g. `("vpc-flow-logs.amazonaws.com", flow_log_role.arn)`: each is passed to its service only
    (`iam:PassedToService`). MlRoles adds its own execution roles; a new service role is one more pair."""

    bucket_name_prefix: str | None = None
    """Physical name prefix of every bucket of the stack (`sr-dev-`): the permission boundaries cap S3 to
    the buckets so named (the role policies name each bucket). Default: `name_prefix`."""

    deployer_planned_types: pulumi.Input[Mapping[str, Any]] | None = None
    """What the stack creates, `{"types": {canonical type token: [regions]}, "aliases": [alias names]}`
    (SecureMlEnvironment records it from its children): the deployer is granted the actions of exactly
    these types (`components.policydocs.deployer.TYPE_ACTIONS`) in exactly these regions. None: the types
    MlRoles creates itself."""

    environment: str | None = None
    """Value of the stack's `strongroom:environment` tag: the deployer creates and deletes network
    resources only with it. Required with `github_repository`."""

    service_role_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Exact ARNs of the stack's roles created outside MlRoles (flow logs, replication, trail delivery,
    event forwarding): the deployer manages and passes exactly these and MlRoles' own roles."""

    alert_topic_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Exact ARNs of the stack's alert topics: the auditor reads them, the deployer manages them."""

    key_alias_names: Sequence[str] = ()
    """The stack's KMS alias names (`alias/...`): the only aliases the deployer creates or repoints."""

    name_prefix: str | None = None
    """Physical name prefix of the stack's resources (`sr-dev-`; default `<name>-`): training and
    processing jobs, model packages, image repositories, trails, log groups, notebook instances and rules
    are granted by it, never by a bare `*` over their type (every one of the account)."""

    event_regions: Sequence[str] = ()
    """Regions other than `region` where the stack has EventBridge rules (SecurityAlerts' forwarding rules,
    `components.alerts.forwarding_regions`): the auditor reads the stack's rules there too."""

    vpc_id: pulumi.Input[str] | None = None
    """The stack's own VPC (PrivateNetwork): the deployer changes network resources inside it only."""

    sign_in_endpoint_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """The SageMaker API interface endpoint(s) of the VPC (`sagemaker.api`): data scientists mint Studio and
    notebook sign-in URLs through them (`aws:SourceVpce`)."""

    sign_in_cidrs: Sequence[str] = ()
    """The bank's IP ranges data scientists may also mint sign-in URLs from (`aws:SourceIp`); empty: only
    through `sign_in_endpoint_ids`."""

    notebook_sign_in: bool = False
    """Data scientists may open the stack's notebook instances tagged with their source identity."""

    models: Sequence[str] = ()
    """The stack's models: each has a model package group `<name_prefix><model>`; data scientists and
    training jobs register packages there as PendingManualApproval, only the model approver approves and
    promotes them into `<production_prefix><model>/`."""

    require_source_identity: bool = True
    """Human roles require `sts:SourceIdentity` (every action of the session names the person)."""

    studio_domain_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """The stack's SageMaker Studio domains (usually a deferred output: the domain runs as the data
    scientist role): data scientists open Studio there, the auditor reads and the deployer manages them."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the roles and policies, on top of the provider's default tags."""

    account_id: pulumi.Input[str] | None = None
    """AWS account id; looked up with `aws.get_caller_identity_output()` when not given."""

    region: pulumi.Input[str] | None = None
    """AWS region; looked up with `aws.get_region_output()` when not given."""

    partition: pulumi.Input[str] | None = None
    """AWS partition; looked up with `aws.get_partition_output()` when not given."""

    def __post_init__(self) -> None:
        for key in (
            "data_scientist_principal_arns",
            "model_approver_principal_arns",
            "auditor_principal_arns",
        ):
            iam.validate_principals(list(getattr(self, key)), key=key)
        if self.recovery_principal_arns:
            iam.validate_principals(list(self.recovery_principal_arns), key="recovery_principal_arns")
        if self.organization_id is not None:
            iam.validate_organization_id(self.organization_id)
        both = sorted(set(self.data_scientist_principal_arns) & set(self.model_approver_principal_arns))
        if both and not self.allow_self_approval:
            raise ValueError(
                f"model_approver_principal_arns: {both} may also assume the data scientist role; the "
                "person who trains a model must not approve it (give separate principals, or set "
                "allow_self_approval outside prod)"
            )
        data_buckets = list(self.data_bucket_arns)
        if not data_buckets:
            raise ValueError("data_bucket_arns: at least one data bucket ARN is required")
        for arn in data_buckets:
            if isinstance(arn, str) and "*" in arn:
                raise ValueError(
                    f"data_bucket_arns: {arn!r} is a pattern; give the exact ARN of each data bucket"
                )
        home = self.region if isinstance(self.region, str) else None
        for other in self.event_regions:
            if not _REGION_RE.match(other) or other == home:
                raise ValueError(
                    f"event_regions: {other!r} is not accepted; give AWS region names (such as us-east-1) "
                    "other than the home region"
                )
        if len(set(self.event_regions)) != len(self.event_regions):
            raise ValueError(f"event_regions: {list(self.event_regions)} names a region twice")
        if not _PATH_RE.match(self.iam_path):
            raise ValueError(
                f"iam_path: {self.iam_path!r} must look like '/strongroom/dev/' (starts and ends with /)"
            )
        prefixes = {
            "curated_prefix": self.curated_prefix,
            "experiments_prefix": self.experiments_prefix,
            "training_data_prefix": self.training_data_prefix,
            "candidates_prefix": self.candidates_prefix,
            "production_prefix": self.production_prefix,
            "datasets_prefix": self.datasets_prefix,
        }
        for key, value in prefixes.items():
            if not _PREFIX_RE.match(value):
                raise ValueError(f"{key}: {value!r} must be an S3 key prefix ending in '/', like 'curated/'")
        if self.production_prefix in (self.experiments_prefix, self.candidates_prefix) or any(
            p.startswith(self.production_prefix) or self.production_prefix.startswith(p)
            for p in (self.experiments_prefix, self.candidates_prefix, self.datasets_prefix)
        ):
            raise ValueError(
                f"production_prefix: {self.production_prefix!r} overlaps the experiments or candidates "
                "prefix; only the model approver may write production models"
            )
        if (self.github_repository is None) != (self.github_environment is None):
            raise ValueError(
                "github_repository/github_environment: set both (deployer role for one repo and environment) "
                f"or neither; got {self.github_repository!r} and {self.github_environment!r}"
            )
        if self.github_repository is not None and self.github_environment is not None:
            iam.github_oidc_trust(
                "arn:aws:iam::000000000000:oidc-provider/x", self.github_repository, self.github_environment
            )
        if self.github_repository is not None and not self.environment:
            raise ValueError(
                "environment: the stack's strongroom:environment tag value is required with a deployer "
                f"(github_repository {self.github_repository!r}); it confines what the deployer creates"
            )
        bad_models = [m for m in self.models if not iam.MODEL_NAME_RE.match(m)]
        if bad_models or len(set(self.models)) != len(self.models):
            raise ValueError(
                f"models: {list(self.models)} must be distinct names of 3-32 lower-case letters, "
                "digits or '-'"
            )
        bad_aliases = [a for a in self.key_alias_names if not re.match(r"^alias/[A-Za-z0-9/_-]+$", a)]
        if bad_aliases:
            raise ValueError(f"key_alias_names: {bad_aliases} are not KMS alias names like 'alias/name'")


class MlRoles(pulumi.ComponentResource):
    """Data scientist, training job, model approver, auditor and (optionally) recovery and deployer roles.

    Every role lives under `iam_path`, carries a permission boundary, and gets inline policies built by
    `components.policydocs.iam`; the people- and job-facing roles also get the SageMaker guardrail policy.
    """

    data_scientist_role_arn: pulumi.Output[str]
    """ARN of the data scientists' role (assumed by people, with MFA and source identity)."""
    data_scientist_role_name: pulumi.Output[str]
    """Name of the data scientists' role."""
    studio_execution_role_arn: pulumi.Output[str]
    """The Studio and notebook execution role (trusted by SageMaker only): the role the deployer passes to
    SageMaker for the domain and notebook instance, beside the training role."""
    training_role_arn: pulumi.Output[str]
    """ARN of the SageMaker training job execution role."""
    training_role_name: pulumi.Output[str]
    """Name of the training role."""
    approver_role_arn: pulumi.Output[str]
    """ARN of the model approvers' role (approves model packages, promotes to production)."""
    auditor_role_arn: pulumi.Output[str]
    """ARN of the auditors' read-only role."""
    recovery_role_arn: pulumi.Output[str] | None
    """ARN of the recovery role (`strongroom vault restore`, `status`); None without recovery principals."""
    deployer_role_arn: pulumi.Output[str] | None
    """ARN of the CI deployer role trusted through GitHub OIDC (None without a deployer)."""
    boundary_policy_arn: pulumi.Output[str]
    """ARN of the permission boundary of the workload roles."""
    guardrail_policy_arn: pulumi.Output[str]
    """ARN of the SageMaker guardrail policy attached to the people- and job-facing roles."""
    role_names: pulumi.Output[list[str]]
    """Names of every role of the component."""
    role_arns: pulumi.Output[list[str]]
    """ARNs of every role of the component, in the order of `role_names`."""

    def __init__(self, name: str, args: MlRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if isinstance(args, dict):  # the inputs of a program in another language (components/provider.py)
            args = MlRolesArgs(**args)
        super().__init__("strongroom:index:MlRoles", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = pulumi.Output.from_input(
            args.account_id or aws.get_caller_identity_output(opts=invoke).account_id
        )
        region = args.region or aws.get_region_output(opts=invoke).region
        partition = args.partition or aws.get_partition_output(opts=invoke).partition
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None

        name_prefix = args.name_prefix or f"{name}-"

        def make_scope(values: list[Any]) -> iam.Scope:
            part, acct, reg, data, model, dkey, mkey, lkey, subnets, sgs, buckets, keys, vpc, skey = values
            return iam.Scope(
                partition=part,
                account=acct,
                region=reg,
                data_bucket_arns=tuple(data),
                model_bucket_arn=model,
                data_key_arn=dkey,
                model_key_arn=mkey,
                logs_key_arn=lkey,
                iam_path=args.iam_path,
                curated_prefix=args.curated_prefix,
                experiments_prefix=args.experiments_prefix,
                training_data_prefix=args.training_data_prefix,
                candidates_prefix=args.candidates_prefix,
                production_prefix=args.production_prefix,
                datasets_prefix=args.datasets_prefix,
                extra_bucket_arns=tuple(buckets),
                extra_key_arns=tuple(keys),
                signing_key_arn=str(skey or ""),
                subnet_ids=tuple(subnets),
                security_group_ids=tuple(sgs),
                name_prefix=name_prefix,
                vpc_id=vpc or "",
                models=tuple(args.models),
                event_regions=tuple(args.event_regions),
            )

        scope: pulumi.Output[iam.Scope] = pulumi.Output.all(
            partition,
            account,
            region,
            pulumi.Output.all(*args.data_bucket_arns).apply(list),
            args.model_bucket_arn,
            args.data_key_arn,
            args.model_key_arn,
            args.logs_key_arn,
            pulumi.Output.from_input(args.subnet_ids),
            pulumi.Output.from_input(args.security_group_ids),
            pulumi.Output.from_input(args.extra_bucket_arns),
            pulumi.Output.from_input(args.extra_key_arns),
            pulumi.Output.from_input(args.vpc_id or ""),
            pulumi.Output.from_input(args.signing_key_arn or ""),
        ).apply(make_scope)
        domains = pulumi.Output.from_input(args.studio_domain_ids).apply(lambda ids: [str(i) for i in ids])

        boundary_name = f"{name}-boundary"
        deployer_boundary_name = f"{name}-deployer-boundary"

        def workload_boundary(s: iam.Scope) -> str:
            ceiling = [
                # Every domain and topic of the region: the ceiling keeps only the actions, per service.
                iam.data_scientist_policy(
                    s,
                    s.role_path_arn,
                    domain_ids=["*"],
                    sign_in=iam.SignIn(endpoint_ids=("*",)),
                    notebook=True,
                ),
                iam.studio_execution_policy(s, s.role_path_arn, domain_ids=["*"]),
                iam.training_policy(s),
                iam.model_approver_policy(s),
                iam.auditor_policy(
                    s,
                    topic_arns=[s.arn("sns", "*")],
                    domain_ids=["*"],
                    detector_arns=[s.arn("guardduty", "detector/*")],
                    config_recorder_names=["*"],
                ),
                iam.service_roles_ceiling(s),
                iam.recovery_policy(
                    s, backup_bucket_arns=s.extra_bucket_arns, backup_key_arns=s.extra_key_arns
                ),
            ]
            protected = [iam.boundary_arn(s, deployer_boundary_name)]
            return iam.to_json(
                iam.permission_boundary(
                    s,
                    ceiling=ceiling,
                    own_arn=iam.boundary_arn(s, boundary_name),
                    protect_boundary_arns=protected,
                    bucket_prefix=args.bucket_name_prefix or name_prefix,
                )
            )

        self.boundary = aws.iam.Policy(
            boundary_name,
            name=boundary_name,
            path=args.iam_path,
            description="Strongroom permission boundary of every workload and service role of this stack",
            policy=scope.apply(workload_boundary),
            tags=tags,
            opts=child,
        )
        self.guardrails = aws.iam.Policy(
            f"{name}-guardrails",
            path=args.iam_path,
            description="Deny SageMaker resources outside the VPC, unisolated, or with foreign KMS keys",
            policy=scope.apply(lambda s: iam.to_json(iam.guardrail_policy(s.key_arns))),
            tags=tags,
            opts=child,
        )

        def role(
            role: str,
            trust: pulumi.Input[str],
            policy: pulumi.Input[str],
            *,
            boundary: aws.iam.Policy,
            guarded: bool,
            description: str,
            duty: str | None = None,
        ) -> aws.iam.Role:
            resource = aws.iam.Role(
                f"{name}-{role}",
                path=args.iam_path,
                description=description,
                assume_role_policy=trust,
                permissions_boundary=boundary.arn,
                max_session_duration=3600,
                tags={**(tags or {}), iam.DUTY_TAG: duty} if duty else tags,
                opts=child,
            )
            aws.iam.RolePolicy(f"{name}-{role}-policy", role=resource.id, policy=policy, opts=child)
            if guarded:
                aws.iam.RolePolicyAttachment(
                    f"{name}-{role}-guardrails",
                    role=resource.name,
                    policy_arn=self.guardrails.arn,
                    opts=child,
                )
            return resource

        data_scientists = list(args.data_scientist_principal_arns)

        def human(principals: Sequence[str]) -> str:
            return iam.to_json(
                iam.human_trust(
                    list(principals),
                    require_mfa=args.require_mfa,
                    organization_id=args.organization_id,
                    require_source_identity=args.require_source_identity,
                )
            )

        self.training_role = role(
            "training",
            account.apply(lambda a: iam.to_json(iam.service_trust(SAGEMAKER, str(a)))),
            scope.apply(lambda s: iam.to_json(iam.training_policy(s))),
            boundary=self.boundary,
            guarded=True,
            description="SageMaker training execution role: its data in, its model out, its keys and logs",
            duty=iam.TRAINING_DUTY,
        )
        # Studio apps and notebooks run as their own role, trusted by SageMaker of this account only; the
        # person (data scientist role) is never an execution role and may only pass this one and training.
        self.studio_execution_role = role(
            "studio-execution",
            # aws:SourceAccount only, like the training role: SageMaker does not document an
            # aws:SourceArn for every path that assumes an execution role, and an absent key would deny.
            account.apply(lambda a: iam.to_json(iam.service_trust(SAGEMAKER, str(a)))),
            pulumi.Output.all(scope, self.training_role.arn, domains).apply(
                lambda v: iam.to_json(iam.studio_execution_policy(v[0], v[1], domain_ids=v[2]))
            ),
            boundary=self.boundary,
            guarded=True,
            description="Studio and notebook execution role: what apps run as (data, experiments, jobs)",
            duty="studio-execution",
        )
        sign_in_cidrs = tuple(args.sign_in_cidrs)
        endpoints = pulumi.Output.from_input(args.sign_in_endpoint_ids).apply(
            lambda ids: [str(i) for i in ids]
        )
        self.data_scientist_role = role(
            "data-scientist",
            human(data_scientists),
            pulumi.Output.all(
                scope, self.training_role.arn, domains, self.studio_execution_role.arn, endpoints
            ).apply(
                lambda v: iam.to_json(
                    iam.data_scientist_policy(
                        v[0],
                        v[1],
                        domain_ids=v[2],
                        execution_role_arn=v[3],
                        sign_in=iam.SignIn(endpoint_ids=tuple(v[4]), cidrs=sign_in_cidrs),
                        notebook=args.notebook_sign_in,
                    )
                )
            ),
            boundary=self.boundary,
            guarded=True,
            description="Data scientist (a person): curated data, experiments, jobs, own Studio profile",
            duty="data-scientist",
        )
        self.approver_role = role(
            "model-approver",
            human(args.model_approver_principal_arns),
            scope.apply(lambda s: iam.to_json(iam.model_approver_policy(s))),
            boundary=self.boundary,
            guarded=True,
            description="Model approver: approves model packages, promotes them into the production prefix",
            duty=iam.MODEL_APPROVER_DUTY,
        )
        self.auditor_role = role(
            "auditor",
            human(args.auditor_principal_arns),
            pulumi.Output.all(
                scope,
                pulumi.Output.from_input(args.alert_topic_arns),
                domains,
                pulumi.Output.from_input(args.deployer_planned_types or {}),
            ).apply(
                lambda v: iam.to_json(
                    iam.auditor_policy(
                        v[0],
                        topic_arns=list(v[1]),
                        domain_ids=v[2],
                        # the stack's account baseline, as the deployer names it (the detector's ARN is AWS's)
                        detector_arns=[str(a) for a in dict(v[3].get("arns", {})).get(DETECTOR, [])],
                        config_recorder_names=[str(n) for n in v[3].get("recorders", [])],
                    )
                )
            ),
            boundary=self.boundary,
            guarded=False,
            description="Auditor: read-only over the environment's configuration and logs",
        )
        roles = [
            self.data_scientist_role,
            self.training_role,
            self.studio_execution_role,
            self.approver_role,
            self.auditor_role,
        ]
        # Restores data and models from their backups: reads every copy, writes new versions, deletes nothing.
        self.recovery_role: aws.iam.Role | None = None
        if args.recovery_principal_arns:
            self.recovery_role = role(
                "recovery",
                human(args.recovery_principal_arns),
                pulumi.Output.all(
                    scope,
                    pulumi.Output.from_input(args.backup_bucket_arns),
                    pulumi.Output.from_input(args.replica_bucket_arns),
                    pulumi.Output.from_input(args.backup_key_arns),
                ).apply(
                    lambda v: iam.to_json(
                        iam.recovery_policy(
                            v[0],
                            backup_bucket_arns=[str(a) for a in v[1]],
                            replica_bucket_arns=[str(a) for a in v[2]],
                            backup_key_arns=[str(a) for a in v[3]],
                        )
                    )
                ),
                boundary=self.boundary,
                guarded=False,
                description="Recovery: restores data and models from their backups as new versions (vault "
                "restore, status); deletes nothing",
                duty=iam.RECOVERY_DUTY,
            )
            roles.append(self.recovery_role)
        humans = [self.data_scientist_role.arn, self.approver_role.arn, self.auditor_role.arn]
        if self.recovery_role is not None:
            humans.append(self.recovery_role.arn)

        self.deployer_role: aws.iam.Role | None = None
        self.deployer_role_arn = None
        self.deployer_policy_arns: list[pulumi.Output[str]] = []
        if args.github_repository is not None and args.github_environment is not None:
            repo, env = args.github_repository, args.github_environment
            provider = args.github_oidc_provider_arn or pulumi.Output.all(partition, account).apply(
                lambda v: f"arn:{v[0]}:iam::{v[1]}:oidc-provider/{iam.GITHUB_OIDC_HOST}"
            )
            environment = args.environment or ""
            policy_names = [f"{name}-deployer-{i}" for i in range(DEPLOYER_POLICY_SLOTS + 1)]
            planned_input: pulumi.Input[Mapping[str, Any]] = args.deployer_planned_types or {
                "types": {t: [deployerdoc.GLOBAL] for t in MLROLES_TYPES},
                "aliases": [],
            }
            planned = pulumi.Output.from_input(planned_input)
            # Roles a service runs as: the training role for SageMaker jobs and the Studio/notebook
            # execution role; then the stack's service roles. The people's roles are never passable.
            passable = pulumi.Output.all(
                pulumi.Output.from_input(args.deployer_passable_roles),
                self.training_role.arn,
                self.studio_execution_role.arn,
            ).apply(
                lambda v: [
                    deployerdoc.PassableRole(arn=str(p[1]), service=str(p[0]))
                    for p in [*v[0], (SAGEMAKER, v[1]), (SAGEMAKER, v[2])]
                ]
            )
            aliases = tuple(args.key_alias_names)

            def targets(values: list[Any], own_role_arn: str) -> deployerdoc.DeployerTargets:
                s, roles_, service_roles, humans, passable_, policies, topics, domain_ids, plan = values
                return deployerdoc.DeployerTargets(
                    own_role_arn=own_role_arn,
                    own_policy_arns=tuple(
                        iam.boundary_arn(s, n) for n in (deployer_boundary_name, *policy_names)
                    ),
                    role_arns=tuple(sorted({*roles_, *service_roles, *(p.arn for p in passable_)})),
                    policy_arns=tuple(sorted(policies)),
                    protected_policy_arns=tuple(sorted(policies)),
                    workload_boundary_arn=iam.boundary_arn(s, boundary_name),
                    passable_roles=tuple(passable_),
                    human_role_arns=tuple(sorted(humans)),
                    topic_arns=tuple(sorted(topics)),
                    key_alias_names=tuple(sorted({*aliases, *plan.get("aliases", ())})),
                    domain_ids=tuple(domain_ids),
                    environment=environment,
                    resource_arns={
                        str(k): tuple(str(a) for a in v) for k, v in dict(plan.get("arns", {})).items()
                    },
                    config_recorder_names=tuple(plan.get("recorders", ())),
                )

            def planned_types(plan: Mapping[str, Any]) -> dict[str, list[str]]:
                return {str(t): [str(r) for r in regions] for t, regions in plan["types"].items()}

            inputs = pulumi.Output.all(
                scope,
                pulumi.Output.all(*[r.arn for r in roles]).apply(list),
                pulumi.Output.from_input(args.service_role_arns),
                # People assume these: never handed to a service.
                pulumi.Output.all(*humans).apply(list),
                passable,
                pulumi.Output.all(self.boundary.arn, self.guardrails.arn).apply(list),
                pulumi.Output.from_input(args.alert_topic_arns),
                domains,
                planned,
            )

            def deployer_boundary(values: list[Any]) -> str:
                s: iam.Scope = values[0]
                # Its own role, by name: the role is created with this boundary, so its ARN is not known yet.
                own = iam.boundary_arn(s, f"{name}-deployer-*").replace(":policy/", ":role/")
                t = targets(values, own)
                buckets = args.bucket_name_prefix or name_prefix
                return iam.to_json(deployerdoc.deployer_boundary(s, t, planned_types(values[-1]), buckets))

            self.deployer_boundary = aws.iam.Policy(
                deployer_boundary_name,
                name=deployer_boundary_name,
                path=args.iam_path,
                description="Boundary of the CI deployer: the actions of the stack's planned types only",
                policy=inputs.apply(deployer_boundary),
                tags=tags,
                opts=child,
            )
            self.deployer_role = aws.iam.Role(
                f"{name}-deployer",
                path=args.iam_path,
                description=f"CI deployer for GitHub {repo} environment {env} (pulumi up of this stack)",
                assume_role_policy=pulumi.Output.from_input(provider).apply(
                    lambda p: iam.to_json(iam.github_oidc_trust(p, repo, env))
                ),
                permissions_boundary=self.deployer_boundary.arn,
                max_session_duration=3600,
                tags={**(tags or {}), iam.DUTY_TAG: iam.DEPLOYER_DUTY},
                opts=child,
            )

            def documents(values: list[Any]) -> list[str]:
                *rest, own = values
                s: iam.Scope = rest[0]
                docs = deployerdoc.deployer_policies(
                    s, targets(rest, own), planned_types(rest[-1]), slots=DEPLOYER_POLICY_SLOTS
                )
                return [iam.to_json(doc) for doc in docs]

            def pick(i: int) -> Callable[[list[str]], str]:
                return lambda documents: documents[i]

            docs = pulumi.Output.all(inputs, self.deployer_role.arn).apply(lambda v: documents([*v[0], v[1]]))
            for i, policy_name in enumerate(policy_names):
                policy = aws.iam.Policy(
                    policy_name,
                    name=policy_name,
                    path=args.iam_path,
                    description=(
                        "CI deployer: explicit denies (own role, guardrails, boundaries, keys, PassRole)"
                        if i == DEPLOYER_POLICY_SLOTS
                        else f"CI deployer: actions of the stack's planned resource types ({i + 1})"
                    ),
                    policy=docs.apply(pick(i)),
                    tags=tags,
                    opts=child,
                )
                aws.iam.RolePolicyAttachment(
                    f"{policy_name}-attachment",
                    role=self.deployer_role.name,
                    policy_arn=policy.arn,
                    opts=child,
                )
                self.deployer_policy_arns.append(policy.arn)
            # SageMaker resources it creates obey the humans' guardrails (no unguarded notebook or domain).
            aws.iam.RolePolicyAttachment(
                f"{name}-deployer-guardrails",
                role=self.deployer_role.name,
                policy_arn=self.guardrails.arn,
                opts=child,
            )
            roles.append(self.deployer_role)
            self.deployer_role_arn = self.deployer_role.arn

        self.data_scientist_role_arn = self.data_scientist_role.arn
        self.data_scientist_role_name = self.data_scientist_role.name
        self.studio_execution_role_arn = self.studio_execution_role.arn
        self.training_role_arn = self.training_role.arn
        self.training_role_name = self.training_role.name
        self.approver_role_arn = self.approver_role.arn
        self.auditor_role_arn = self.auditor_role.arn
        self.recovery_role_arn = self.recovery_role.arn if self.recovery_role is not None else None
        self.boundary_policy_arn = self.boundary.arn
        self.guardrail_policy_arn = self.guardrails.arn
        self.role_names = pulumi.Output.all(*[r.name for r in roles]).apply(list)
        self.role_arns = pulumi.Output.all(*[r.arn for r in roles]).apply(list)
        self.register_outputs(
            {
                "data_scientist_role_arn": self.data_scientist_role_arn,
                "training_role_arn": self.training_role_arn,
                "studio_execution_role_arn": self.studio_execution_role_arn,
                "approver_role_arn": self.approver_role_arn,
                "auditor_role_arn": self.auditor_role_arn,
                "recovery_role_arn": self.recovery_role_arn,
                "deployer_role_arn": self.deployer_role_arn,
                "boundary_policy_arn": self.boundary_policy_arn,
                "guardrail_policy_arn": self.guardrail_policy_arn,
                "role_names": self.role_names,
            }
        )


class PlannedTypesRecorder:
    """A resource transformation recording what a component's children create, for the CI deployer: each
    custom resource's canonical type token and region (its explicit ``region``, else the region of its
    provider: ``replica_region`` for ``replica_provider``, else ``region``), and the KMS alias names.

    Register it on a component (``ResourceOptions(transformations=[recorder])``, inherited by every
    descendant) before creating its children; :meth:`snapshot` is then the exact set, as
    ``MlRolesArgs.deployer_planned_types`` takes it.
    """

    def __init__(
        self,
        region: str,
        replica_provider: pulumi.ProviderResource | None = None,
        replica_region: str | None = None,
    ) -> None:
        self.region = region
        self.replica_provider = replica_provider
        self.replica_region = replica_region
        self.types: dict[str, set[str]] = {}
        self.aliases: set[str] = set()
        self.resources: list[tuple[str, pulumi.CustomResource]] = []
        self.recorder_names: set[str] = set()

    def _provider_of(self, args: pulumi.ResourceTransformationArgs) -> Any:
        opts = args.opts
        if opts.provider is not None:
            return opts.provider
        providers = opts.providers
        if isinstance(providers, Mapping) and "aws" in providers:
            return providers["aws"]
        if isinstance(providers, Sequence):
            for p in providers:
                if getattr(p, "package", None) == "aws":
                    return p
        parent = opts.parent
        return parent._providers.get("aws") if parent is not None else None

    def __call__(self, args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not isinstance(args.resource, pulumi.CustomResource) or isinstance(
            args.resource, pulumi.ProviderResource
        ):
            return None
        region = args.props.get("region")
        if not isinstance(region, str):
            in_replica = (
                self.replica_provider is not None and self._provider_of(args) is self.replica_provider
            )
            region = self.replica_region if in_replica and self.replica_region else self.region
        self.types.setdefault(args.type_, set()).add(region)
        alias = args.props.get("name") if args.type_ == "aws:kms/alias:Alias" else None
        if isinstance(alias, str):
            self.aliases.add(alias)
        if args.type_ in deployerdoc.EXACT_ARN_TYPES:
            # Their ARNs come from AWS on creation: the deployer names them once they exist.
            self.resources.append((args.type_, args.resource))
        if args.type_ == "aws:cfg/recorder:Recorder":
            recorder = args.props.get("name")
            self.recorder_names.add(recorder if isinstance(recorder, str) else "default")
        return None

    def snapshot(self) -> dict[str, Any]:
        """Plain data, but for ``arns`` (outputs: the ARNs AWS assigns), resolved by ``Output.from_input``."""
        arns: dict[str, list[Any]] = {}
        for token, resource in self.resources:
            arn = getattr(resource, "arn", None)
            if arn is None and token == "aws:route53/resolverFirewallConfig:ResolverFirewallConfig":
                arn = resource.id.apply(lambda i: f"firewall-config/{i}")
            if arn is not None:
                arns.setdefault(token, []).append(arn)
        return {
            "types": {t: sorted(regions) for t, regions in sorted(self.types.items())},
            "aliases": sorted(self.aliases),
            "arns": arns,
            "recorders": sorted(self.recorder_names),
        }
