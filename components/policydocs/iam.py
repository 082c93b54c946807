"""Pure IAM policy documents for Strongroom's roles, guardrails, boundaries and service principals.

Every function takes plain strings (ARNs, prefixes, account, region, partition) and returns a policy
document as a ``dict``; callers serialise with :func:`to_json` (usually inside ``Output.all(...).apply``).
No Pulumi import here: everything is unit tested and linted with parliament.

Rules every document obeys (checked by :func:`lint`):
- no wildcard in any allowed action (no ``"*"``, no ``"s3:*"``, no ``"s3:Get*"``), except one read verb of a
  service (``"s3:Get*"``) in a permission boundary's ``CeilingReads*`` statement, which grants nothing;
- ``Resource: "*"`` only through :func:`star`, for actions AWS grants on ``*`` alone (no resource type);
  which actions those are is an IAM fact, kept in one place: the policy pack's database
  (``policies.iamdb``), which ``tests/components/policydocs/test_iam.py`` asks about every action granted
  on ``*`` here (components never import the policies);
- ``iam:PassRole`` never on ``*`` and always with an ``iam:PassedToService`` condition;
- no ``NotAction`` / ``NotResource`` with ``Allow``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strongroom.components.policydocs.bucket import OBJECT_VERSION_READS

Statement = dict[str, Any]
PolicyDocument = dict[str, Any]

VERSION = "2012-10-17"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
TRAIL_LOG_GROUP_PREFIX = "/strongroom/cloudtrail/"
"""Name prefix of the CloudTrail log groups (AuditTrail names its group `<prefix><trail name>`)."""

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
_PRINCIPAL_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_BUCKET_ARN_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ORGANIZATION_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
MODEL_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
"""A model name: its package group is `<name_prefix><model>` (SageMaker names, lower case as in its ARNs)."""
IDENTITY_CENTER_ROLE_PATH = ":role/aws-reserved/sso.amazonaws.com/"
"""Path of the roles IAM Identity Center creates for its permission sets: their sessions carry no
`aws:MultiFactorAuthPresent` (federated sign-in); Identity Center enforces MFA at sign-in instead."""
STUDIO_USER_TAG = "strongroom:studio-user"
"""Tag on a Studio user profile (or a notebook instance) naming the one person who may open it: its value
is that person's source identity (`sts:SourceIdentity`, set when assuming the data scientist role)."""
PENDING_APPROVAL = "PendingManualApproval"
DUTY_TAG = "strongroom:duty"
"""Tag naming what a stack role is for; the policy pack knows the model approver by it."""
MODEL_APPROVER_DUTY = "model-approver"
TRAINING_DUTY = "training"
"""Duty of the SageMaker training execution role: it may sign manifests (the KeyRing's signing key)."""
DEPLOYER_DUTY = "deployer"
"""Duty of the CI deployer role: it may sign manifests (the KeyRing's signing key)."""
RECOVERY_DUTY = "recovery"
"""Duty of the recovery role (`strongroom vault restore` and `status`): reads every copy, writes new
versions into the data and models buckets, deletes nothing."""
SIGN_IN_ACTIONS = ("sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl")


_READ_CEILING = re.compile(r"^[a-z0-9-]+:(Get|List|Describe)\*$")
"""The only wildcard actions a boundary's ``CeilingReads*`` statement may hold: one read verb of a service."""


class PolicyLintError(ValueError):
    """A policy document breaks one of Strongroom's IAM rules."""


@dataclass(frozen=True)
class Scope:
    """Plain-string view of one environment, the input of every document here."""

    partition: str
    account: str
    region: str
    data_bucket_arns: tuple[str, ...]
    model_bucket_arn: str
    data_key_arn: str
    model_key_arn: str
    logs_key_arn: str
    iam_path: str = "/strongroom/"
    curated_prefix: str = "curated/"
    experiments_prefix: str = "experiments/"
    training_data_prefix: str = "curated/"
    candidates_prefix: str = "candidates/"
    production_prefix: str = "production/"
    datasets_prefix: str = "datasets/"
    """Model bucket prefix of the signed dataset snapshots: the training role writes, the vault readers
    (training, model approver, data scientist) read."""
    extra_bucket_arns: tuple[str, ...] = ()
    extra_key_arns: tuple[str, ...] = ()
    signing_key_arn: str = ""
    """The KeyRing's manifest signing key (asymmetric, SIGN_VERIFY), when the stack has one: the training
    role and the deployer sign with it, every role verifies."""
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    ecr_repository_arns: tuple[str, ...] = ()
    log_group_arns: tuple[str, ...] = field(default_factory=tuple)
    name_prefix: str = ""
    """Physical name prefix of the stack's resources (`sr-dev-`): trails, rules, notebook instances, log
    groups, jobs, model packages and image repositories are granted by it, never by a bare `*` over
    their type (which would reach other stacks' resources of the account)."""
    vpc_id: str = ""
    """The stack's VPC (`vpc-...`), when it has one: network changes are confined to it (`ec2:Vpc`)."""
    models: tuple[str, ...] = ()
    """The stack's models (`credit-pd`), each with a SageMaker Model Package Group `<name_prefix><model>`:
    packages are registered there, approved there, and promoted to `<production_prefix><model>/`."""
    event_regions: tuple[str, ...] = ()
    """Regions other than `region` where the stack has EventBridge rules (the alert path's forwarding
    rules: us-east-1, the replica region): the auditor reads the stack's rules there too, and the workload
    boundary lets it (those two read actions, those rules, those regions only)."""

    def __post_init__(self) -> None:
        if self.partition not in _PARTITIONS:
            raise ValueError(f"partition: {self.partition!r} is not one of {', '.join(_PARTITIONS)}")
        if not _ACCOUNT_RE.match(self.account):
            raise ValueError(f"account: {self.account!r} is not a 12-digit AWS account id")
        if not _REGION_RE.match(self.region):
            raise ValueError(f"region: {self.region!r} is not an AWS region name such as eu-west-2")
        if not self.data_bucket_arns:
            raise ValueError("data_bucket_arns: at least one data bucket ARN is required")
        for arn in self.data_bucket_arns:
            if not _BUCKET_ARN_RE.match(arn):
                raise ValueError(
                    f"data_bucket_arns: {arn!r} is not the exact ARN of one bucket (arn:aws:s3:::name, "
                    "no wildcard)"
                )
        if not (self.iam_path.startswith("/") and self.iam_path.endswith("/")):
            raise ValueError(f"iam_path: {self.iam_path!r} must start and end with '/'")
        for name in (
            "curated_prefix",
            "experiments_prefix",
            "training_data_prefix",
            "candidates_prefix",
            "production_prefix",
            "datasets_prefix",
        ):
            value = getattr(self, name)
            if not value.endswith("/") or value.startswith("/") or "*" in value:
                raise ValueError(f"{name}: {value!r} must be a key prefix like 'curated/' (no '*')")
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*-$", self.name_prefix):
            raise ValueError(
                f"name_prefix: {self.name_prefix!r} must be the stack's resource name prefix, like 'sr-dev-'"
            )
        if self.vpc_id and not re.match(r"^vpc-[0-9a-f]{8,17}$", self.vpc_id):
            raise ValueError(f"vpc_id: {self.vpc_id!r} is not a VPC id (vpc-...)")
        for model in self.models:
            if not MODEL_NAME_RE.match(model):
                raise ValueError(
                    f"models: {model!r} must be 3-32 lower-case letters, digits or '-' (e.g. credit-pd)"
                )
        for other in self.event_regions:
            if not _REGION_RE.match(other) or other == self.region:
                raise ValueError(
                    f"event_regions: {other!r} is not accepted; give AWS region names (such as us-east-1) "
                    f"other than the home region {self.region}"
                )
        if len(set(self.event_regions)) != len(self.event_regions):
            raise ValueError(f"event_regions: {list(self.event_regions)} names a region twice")
        if self.production_prefix in (self.experiments_prefix, self.candidates_prefix, self.datasets_prefix):
            raise ValueError(
                f"production_prefix: {self.production_prefix!r} must differ from the experiments and "
                "candidates prefixes, or data scientists and training jobs could write production models"
            )

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account if account else ''}:{resource}"
        )

    @property
    def role_path_arn(self) -> str:
        """ARN pattern of every role this stack creates (they all live under ``iam_path``)."""
        return self.arn("iam", f"role{self.iam_path}*", region=False)

    @property
    def policy_path_arn(self) -> str:
        return self.arn("iam", f"policy{self.iam_path}*", region=False)

    def named(self, service: str, resource_type: str, *, sep: str = "/") -> str:
        """The ARN pattern of every `resource_type` of `service` whose name starts with the stack's prefix."""
        return self.arn(service, f"{resource_type}{sep}{self.name_prefix}*")

    @property
    def rule_patterns(self) -> tuple[str, ...]:
        """ARN patterns of the stack's EventBridge rules: by its name prefix, in its region and in each of
        `event_regions` (exact regions, never `*`)."""
        home = self.named("events", "rule")
        return (
            home,
            *(
                f"arn:{self.partition}:events:{r}:{self.account}:rule/{self.name_prefix}*"
                for r in self.event_regions
            ),
        )

    @property
    def model_package_groups(self) -> tuple[str, ...]:
        """Names of the stack's model package groups, one per model."""
        return tuple(f"{self.name_prefix}{m}" for m in self.models)

    @property
    def model_package_resources(self) -> list[str]:
        """The model package groups and every package (version) in them."""
        groups = self.model_package_groups
        return [
            *(self.arn("sagemaker", f"model-package-group/{g}") for g in groups),
            *(self.arn("sagemaker", f"model-package/{g}/*") for g in groups),
        ]

    @property
    def vpc_arn(self) -> str:
        return self.arn("ec2", f"vpc/{self.vpc_id}") if self.vpc_id else ""

    @property
    def log_group_patterns(self) -> tuple[str, ...]:
        """The stack's log groups (`<prefix>*`, the trail's under TRAIL_LOG_GROUP_PREFIX), then their
        streams."""
        groups = (
            self.named("logs", "log-group", sep=":"),
            self.arn("logs", f"log-group:{TRAIL_LOG_GROUP_PREFIX}{self.name_prefix}*"),
        )
        return (*groups, *(f"{g}:log-stream:*" for g in groups))

    @property
    def training_log_group_arn(self) -> str:
        return self.arn("logs", f"log-group:{TRAINING_LOG_GROUP}")

    @property
    def bucket_arns(self) -> tuple[str, ...]:
        return (*self.data_bucket_arns, self.model_bucket_arn, *self.extra_bucket_arns)

    @property
    def key_arns(self) -> tuple[str, ...]:
        return (self.data_key_arn, self.model_key_arn, self.logs_key_arn, *self.extra_key_arns)

    @property
    def signing_key_arns(self) -> tuple[str, ...]:
        return (self.signing_key_arn,) if self.signing_key_arn else ()

    @property
    def ecr_repositories(self) -> tuple[str, ...]:
        return self.ecr_repository_arns or (self.named("ecr", "repository"),)


def document(*statements: Statement) -> PolicyDocument:
    return {"Version": VERSION, "Statement": list(statements)}


def to_json(doc: PolicyDocument) -> str:
    """Serialise a document after linting it: a document that breaks the rules is never emitted."""
    lint(doc)
    return json.dumps(doc, sort_keys=True)


def _statement(
    effect: str, sid: str, actions: Iterable[str], resources: Iterable[str], condition: Statement | None
) -> Statement:
    stmt: Statement = {
        "Sid": sid,
        "Effect": effect,
        "Action": sorted(set(actions)),
        "Resource": sorted(set(resources)),
    }
    if condition:
        stmt["Condition"] = condition
    return stmt


def allow(
    sid: str, actions: Iterable[str], resources: Iterable[str], condition: Statement | None = None
) -> Statement:
    """Allow actions on named resources; ``Resource: "*"`` goes through :func:`star` only."""
    stmt = _statement("Allow", sid, actions, resources, condition)
    if "*" in stmt["Resource"]:
        raise PolicyLintError(
            f"{sid}: Resource '*' with {stmt['Action']}; name the resource ARNs, or use star() for actions "
            "AWS authorises on '*' alone"
        )
    return stmt


def deny(
    sid: str, actions: Iterable[str], resources: Iterable[str], condition: Statement | None = None
) -> Statement:
    return _statement("Deny", sid, actions, resources, condition)


def star(sid: str, actions: Iterable[str], condition: Statement | None = None) -> Statement:
    """Allow actions on ``*``: only actions with no resource type (AWS authorises them on ``*`` alone).
    Every call's actions are checked against the IAM database by the policydocs tests."""
    stmt: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": "*"}
    if condition:
        stmt["Condition"] = condition
    return stmt


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def lint(doc: PolicyDocument) -> None:
    """Raise :class:`PolicyLintError` if an Allow statement breaks Strongroom's IAM rules."""
    if doc.get("Version") != VERSION:
        raise PolicyLintError(f"Version must be {VERSION}, got {doc.get('Version')!r}")
    sids: set[str] = set()
    for stmt in _as_list(doc.get("Statement", [])):
        sid = stmt.get("Sid", "<no Sid>")
        if sid in sids:
            raise PolicyLintError(f"duplicate Sid {sid!r}")
        sids.add(sid)
        if stmt.get("Effect") != "Allow":
            continue
        if "NotAction" in stmt or "NotResource" in stmt:
            raise PolicyLintError(f"{sid}: NotAction/NotResource with Allow grants everything not listed")
        actions = _as_list(stmt.get("Action", []))
        resources = _as_list(stmt.get("Resource", []))
        wild = [a for a in actions if "*" in a or "?" in a]
        if str(sid).startswith("CeilingReads"):
            # A permission boundary's read ceiling (components.policydocs.deployer): grants nothing.
            wild = [a for a in wild if not _READ_CEILING.match(a)]
        if wild:
            raise PolicyLintError(f"{sid}: wildcard actions {wild} are not allowed; list the actions")
        if "iam:PassRole" in actions:
            if "*" in resources or any(r.endswith(":role/*") for r in resources):
                raise PolicyLintError(f"{sid}: iam:PassRole on every role; name the role ARNs")
            if "iam:PassedToService" not in json.dumps(stmt.get("Condition", {})):
                raise PolicyLintError(f"{sid}: iam:PassRole needs an iam:PassedToService condition")


# --------------------------------------------------------------------------------------------------
# Trust policies


def service_trust(service: str, account: str, *, source_arn: str | None = None) -> PolicyDocument:
    """Trust ``service`` (e.g. ``sagemaker.amazonaws.com``) for ``account`` only (confused deputy)."""
    condition: Statement = {"StringEquals": {"aws:SourceAccount": account}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return document(
        {
            "Sid": "TrustService",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }
    )


def validate_principals(principals: Sequence[str], *, key: str = "principals") -> None:
    if not principals:
        raise ValueError(f"{key}: at least one IAM role or user ARN must be allowed to assume human roles")
    for p in principals:
        if not _PRINCIPAL_RE.match(p):
            raise ValueError(
                f"{key}: {p!r} is not accepted; give IAM role or user ARNs "
                "(arn:aws:iam::123456789012:role/Name), never '*' or an account root"
            )


def validate_organization_id(value: str, *, key: str = "organization_id") -> None:
    if not isinstance(value, str) or not _ORGANIZATION_RE.match(value):
        raise ValueError(f"{key}: {value!r} is not an AWS Organization ID like 'o-a1b2c3d4e5'")


def is_identity_center_role(arn: str) -> bool:
    """True for a role IAM Identity Center created for a permission set (`.../aws-reserved/sso...`)."""
    return IDENTITY_CENTER_ROLE_PATH in arn


def human_trust(
    principals: Sequence[str],
    *,
    require_mfa: bool,
    also_service: str | None = None,
    account: str = "",
    organization_id: str | None = None,
    require_source_identity: bool = True,
) -> PolicyDocument:
    """Trust the configured people: one statement per kind of principal, each tying the session to a
    person and, when required, to MFA.

    - ``require_source_identity``: the caller must set ``sts:SourceIdentity`` (the trust allows
      ``sts:SetSourceIdentity`` and requires the key, ``Null`` false); it stays on every action of the
      session and of any role chained from it, in CloudTrail and as ``aws:SourceIdentity``. IAM users
      must set their own user name (``${aws:username}``).
    - ``require_mfa``: IAM Identity Center permission-set roles (``role/aws-reserved/sso.amazonaws.com/``)
      are federated sessions, which never carry ``aws:MultiFactorAuthPresent``, so the key would lock them
      out: for them MFA is Identity Center's sign-in setting (MFA on every sign-in), not a condition IAM
      can check. Every other principal (IAM users, other roles) needs ``aws:MultiFactorAuthPresent`` true,
      which only a session created with MFA carries.
    - ``organization_id``: the principals must belong to the bank's AWS Organization
      (``aws:PrincipalOrgID``; a cross-account trust without it is open to the confused deputy).
    ``also_service`` additionally trusts a service principal (kept for callers outside the workspace;
    the Studio execution role is its own service role).
    """
    validate_principals(principals)
    if organization_id is not None:
        validate_organization_id(organization_id)
    sso = sorted(p for p in principals if is_identity_center_role(p))
    users = sorted(p for p in principals if ":user/" in p)
    roles = sorted(p for p in principals if p not in sso and p not in users)
    statements: list[Statement] = []
    for sid, group, mfa in (
        ("TrustIdentityCenterPrincipals", sso, False),
        ("TrustRolePrincipals", roles, require_mfa),
        ("TrustUserPrincipals", users, require_mfa),
    ):
        if not group:
            continue
        condition: Statement = {}
        if organization_id is not None:
            condition["StringEquals"] = {"aws:PrincipalOrgID": organization_id}
        if require_source_identity:
            if group is users:
                condition["StringLike"] = {"sts:SourceIdentity": "${aws:username}"}
            else:
                condition["Null"] = {"sts:SourceIdentity": "false"}
        if mfa:
            condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        stmt: Statement = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"AWS": group},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]
            if require_source_identity
            else "sts:AssumeRole",
        }
        if condition:
            stmt["Condition"] = condition
        statements.append(stmt)
    if also_service:
        statements.extend(service_trust(also_service, account)["Statement"])
    return document(*statements)


def github_oidc_trust(provider_arn: str, repository: str, environment: str) -> PolicyDocument:
    """Trust GitHub Actions jobs of one repository running in one GitHub environment."""
    if not _REPO_RE.match(repository):
        raise ValueError(f"github repository: {repository!r} must look like 'org/repo'")
    if not re.match(r"^[A-Za-z0-9_.-]+$", environment):
        raise ValueError(f"github environment: {environment!r} must be a GitHub environment name")
    return document(
        {
            "Sid": "TrustGithubActionsEnvironment",
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                    f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:environment:{environment}",
                }
            },
        }
    )


# --------------------------------------------------------------------------------------------------
# Building blocks


def _objects(bucket_arn: str, prefix: str) -> str:
    return f"{bucket_arn}/{prefix}*"


def _list_prefixes(sid: str, bucket_arns: Iterable[str], prefixes: Iterable[str]) -> Statement:
    return allow(
        sid,
        ["s3:ListBucket"],
        bucket_arns,
        {"StringLike": {"s3:prefix": sorted({f"{p}*" for p in prefixes})}},
    )


VERIFY_MANIFEST_ACTIONS = ("kms:DescribeKey", "kms:GetPublicKey", "kms:Verify")
SIGN_MANIFEST_ACTIONS = ("kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify")


def verify_manifests(s: Scope) -> list[Statement]:
    """Every role of the stack checks manifest signatures with the signing key (none without one)."""
    return (
        [allow("VerifyManifests", VERIFY_MANIFEST_ACTIONS, s.signing_key_arns)] if s.signing_key_arn else []
    )


def vault_discovery() -> Statement:
    """``strongroom vault`` finds the environment's buckets by their tags (``tag:GetResources``, which has
    no resource-level permission): the roles that run vault commands may list the account's tagged
    resources, nothing more."""
    return star("FindEnvironment", ["tag:GetResources"])


def sign_manifests(s: Scope) -> list[Statement]:
    """The signers (training role, CI deployer) sign manifests with exactly the signing key."""
    return [allow("SignManifests", SIGN_MANIFEST_ACTIONS, s.signing_key_arns)] if s.signing_key_arn else []


def _read_datasets(s: Scope) -> Statement:
    """The vault readers read the signed dataset snapshots (which data a model was trained on)."""
    return allow(
        "ReadDatasetSnapshots",
        ["s3:GetObject", "s3:GetObjectVersion"],
        [_objects(s.model_bucket_arn, s.datasets_prefix)],
    )


def _kms_use(sid: str, key_arns: Iterable[str], *, write: bool) -> Statement:
    actions = ["kms:Decrypt", "kms:DescribeKey"]
    if write:
        actions += ["kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    return allow(sid, actions, key_arns)


_TRAINING_JOB_READ = (
    "sagemaker:DescribeTrainingJob",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:StopTrainingJob",
    "sagemaker:StopProcessingJob",
)


# --------------------------------------------------------------------------------------------------
# Role permission policies


@dataclass(frozen=True)
class SignIn:
    """Where people may mint Studio and notebook sign-in URLs from: the SageMaker API interface
    endpoint(s) of the VPC (``aws:SourceVpce``) or the bank's IP ranges (``aws:SourceIp``). Both empty:
    no sign-in URL at all."""

    endpoint_ids: tuple[str, ...] = ()
    cidrs: tuple[str, ...] = ()


def sign_in_statements(
    sid: str, actions: Sequence[str], resources: Sequence[str], via: SignIn
) -> list[Statement]:
    """Sign-in URLs only for the caller's own profile or instance (tagged ``STUDIO_USER_TAG`` with the
    caller's source identity), only through the VPC endpoint or from the bank's ranges: one statement
    per source (IAM ANDs the keys of one statement)."""
    own = {f"aws:ResourceTag/{STUDIO_USER_TAG}": "${aws:SourceIdentity}"}
    statements: list[Statement] = []
    if via.endpoint_ids:
        statements.append(
            allow(
                f"{sid}ThroughVpcEndpoint",
                actions,
                resources,
                {"StringEquals": {**own, "aws:SourceVpce": sorted(via.endpoint_ids)}},
            )
        )
    if via.cidrs:
        statements.append(
            allow(
                f"{sid}FromBankNetwork",
                actions,
                resources,
                {"StringEquals": own, "IpAddress": {"aws:SourceIp": sorted(via.cidrs)}},
            )
        )
    return statements


def _register_packages(s: Scope) -> list[Statement]:
    """Register model packages in the stack's groups, only as PendingManualApproval; never approve."""
    if not s.models:
        return []
    return [
        allow(
            "RegisterPendingModelPackages",
            ["sagemaker:CreateModelPackage"],
            s.model_package_resources,
            {"StringEquals": {"sagemaker:ModelApprovalStatus": PENDING_APPROVAL}},
        ),
        deny(
            "DenyApprovedRegistration",
            ["sagemaker:CreateModelPackage"],
            ["*"],
            {"StringNotEquals": {"sagemaker:ModelApprovalStatus": PENDING_APPROVAL}},
        ),
        deny("DenyModelApproval", ["sagemaker:UpdateModelPackage"], ["*"]),
    ]


def _work_statements(s: Scope) -> list[Statement]:
    """What a data scientist's work touches, whoever runs it (the person or their Studio apps)."""
    jobs = [s.named("sagemaker", "training-job"), s.named("sagemaker", "processing-job")]
    return [
        _list_prefixes("ListCuratedData", s.data_bucket_arns, [s.curated_prefix]),
        allow(
            "ReadCuratedData",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [_objects(b, s.curated_prefix) for b in s.data_bucket_arns],
        ),
        _list_prefixes(
            "ListModelWork",
            [s.model_bucket_arn],
            [s.experiments_prefix, s.candidates_prefix, s.datasets_prefix],
        ),
        allow(
            "ReadWriteExperiments",
            [
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ],
            [_objects(s.model_bucket_arn, s.experiments_prefix)],
        ),
        allow(
            "ReadCandidateModels",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [_objects(s.model_bucket_arn, s.candidates_prefix)],
        ),
        _read_datasets(s),
        _kms_use("ReadDataKey", [s.data_key_arn], write=False),
        _kms_use("UseModelKey", [s.model_key_arn], write=True),
        allow(
            "RunGuardedJobs",
            ["sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", *_TRAINING_JOB_READ],
            jobs,
        ),
        *_register_packages(s),
        allow(
            "ReadTrainingLogs",
            ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"],
            [s.training_log_group_arn, f"{s.training_log_group_arn}:log-stream:*"],
        ),
    ]


def data_scientist_policy(
    s: Scope,
    training_role_arn: str,
    domain_ids: Sequence[str] = (),
    *,
    execution_role_arn: str = "",
    sign_in: SignIn = SignIn(),
    notebook: bool = False,
) -> PolicyDocument:
    """The person: read curated data, read/write experiments, read candidate models, launch guarded
    SageMaker jobs named with the stack's prefix and register their models as pending; pass only the
    training role and the Studio execution role (`execution_role_arn`) to SageMaker. Open Studio in the
    stack's domains (`domain_ids`) and the stack's notebook instance (`notebook`) only on the profile or
    instance tagged with their own source identity, through `sign_in`."""
    studio: list[Statement] = []
    if domain_ids:
        studio += [
            allow(
                "DescribeStudio",
                ["sagemaker:DescribeUserProfile", "sagemaker:DescribeDomain"],
                [
                    *_domains(s, domain_ids),
                    *(s.arn("sagemaker", f"user-profile/{d}/*") for d in domain_ids),
                ],
            ),
            *sign_in_statements(
                "OpenOwnStudioProfile",
                ["sagemaker:CreatePresignedDomainUrl"],
                [s.arn("sagemaker", f"user-profile/{d}/*") for d in domain_ids],
                sign_in,
            ),
        ]
    if notebook:
        studio += sign_in_statements(
            "OpenOwnNotebook",
            ["sagemaker:CreatePresignedNotebookInstanceUrl"],
            [s.named("sagemaker", "notebook-instance")],
            sign_in,
        )
    passed = sorted({training_role_arn, *([execution_role_arn] if execution_role_arn else [])})
    return document(
        *verify_manifests(s),
        vault_discovery(),
        *_work_statements(s),
        allow(
            "PassSageMakerRoles",
            ["iam:PassRole"],
            passed,
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        *studio,
        star(
            "ListOnly",
            [
                "sagemaker:ListDomains",
                "sagemaker:ListTrainingJobs",
                "sagemaker:ListProcessingJobs",
                "sagemaker:ListUserProfiles",
                "sagemaker:ListSpaces",
                "sagemaker:ListApps",
                "sagemaker:Search",
                "sts:GetCallerIdentity",
            ],
        ),
    )


STUDIO_LOG_GROUPS = ("/aws/sagemaker/studio", "/aws/sagemaker/NotebookInstances")
"""The log groups SageMaker writes Studio app and notebook instance logs to."""


def studio_execution_policy(
    s: Scope, training_role_arn: str, domain_ids: Sequence[str] = ()
) -> PolicyDocument:
    """The Studio and notebook execution role (what apps and notebooks run as): the data scientist's data,
    models, keys and guarded jobs, the training role passed to SageMaker, its own apps and spaces in the
    stack's domains, its log groups. No sign-in URL, no IAM beyond passing the training role."""
    groups = [s.arn("logs", f"log-group:{g}") for g in STUDIO_LOG_GROUPS]
    apps = (
        [
            allow(
                "RunStudioApps",
                [
                    "sagemaker:CreateApp",
                    "sagemaker:DeleteApp",
                    "sagemaker:DescribeApp",
                    "sagemaker:DescribeSpace",
                    "sagemaker:DescribeUserProfile",
                    "sagemaker:DescribeDomain",
                ],
                [
                    *_domains(s, domain_ids),
                    *(
                        s.arn("sagemaker", f"{kind}/{d}/*")
                        for d in domain_ids
                        for kind in ("app", "space", "user-profile")
                    ),
                ],
            )
        ]
        if domain_ids
        else []
    )
    return document(
        *verify_manifests(s),
        vault_discovery(),
        *_work_statements(s),
        allow(
            "PassTrainingRoleToSageMaker",
            ["iam:PassRole"],
            [training_role_arn],
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        *apps,
        allow(
            "WriteStudioLogs",
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            [*groups, *(f"{g}:log-stream:*" for g in groups)],
        ),
        star(
            "ListOnly",
            [
                "sagemaker:ListApps",
                "sagemaker:ListSpaces",
                "sagemaker:ListTrainingJobs",
                "sagemaker:ListProcessingJobs",
                "sts:GetCallerIdentity",
            ],
        ),
    )


def _domains(s: Scope, domain_ids: Sequence[str]) -> list[str]:
    return [s.arn("sagemaker", f"domain/{d}") for d in domain_ids]


def training_policy(s: Scope) -> PolicyDocument:
    """SageMaker execution role of a training job: its data in, its model out, its keys, its log group.
    Its network interfaces only in the stack's VPC (`ec2:Vpc`) or, without one, in the job subnets
    (`ec2:SubnetID`/`ec2:Subnet`): never every interface of the account."""
    interfaces = [s.arn("ec2", "network-interface/*")]
    subnets = [s.arn("ec2", f"subnet/{i}") for i in s.subnet_ids]
    create_eni = [*subnets, *(s.arn("ec2", f"security-group/{i}") for i in s.security_group_ids)]
    manage_eni = [
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
    ]
    if s.vpc_id:
        in_vpc = {"ArnEquals": {"ec2:Vpc": s.vpc_arn}}
        network = [
            allow(
                "CreateJobNetworkInterfaces",
                ["ec2:CreateNetworkInterface"],
                [*interfaces, *create_eni],
                in_vpc,
            ),
            allow("ManageJobNetworkInterfaces", manage_eni, interfaces, in_vpc),
        ]
    elif s.subnet_ids:
        # Without the VPC's ID: the subnets and security groups by ARN, the new interface in the subnets.
        network = [
            allow("CreateJobNetworkInterfaces", ["ec2:CreateNetworkInterface"], create_eni),
            allow(
                "CreateJobNetworkInterfacesInJobSubnets",
                ["ec2:CreateNetworkInterface"],
                interfaces,
                {"StringEquals": {"ec2:SubnetID": sorted(s.subnet_ids)}},
            ),
            allow(
                "ManageJobNetworkInterfaces",
                manage_eni,
                interfaces,
                {"ArnEquals": {"ec2:Subnet": sorted(subnets)}},
            ),
        ]
    else:
        network = []
    return document(
        *sign_manifests(s),
        vault_discovery(),
        _list_prefixes("ListTrainingData", s.data_bucket_arns, [s.training_data_prefix]),
        allow(
            "ReadTrainingData",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [_objects(b, s.training_data_prefix) for b in s.data_bucket_arns],
        ),
        _list_prefixes("ListModelOutput", [s.model_bucket_arn], [s.candidates_prefix, s.datasets_prefix]),
        allow(
            "WriteModelOutput",
            ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
            [_objects(s.model_bucket_arn, s.candidates_prefix)],
        ),
        allow(
            "WriteDatasetSnapshots",
            ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
            [_objects(s.model_bucket_arn, s.datasets_prefix)],
        ),
        _kms_use("ReadDataKey", [s.data_key_arn], write=False),
        _kms_use("UseModelKey", [s.model_key_arn], write=True),
        *_register_packages(s),
        allow(
            "WriteTrainingLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:CreateLogGroup"],
            [s.training_log_group_arn, f"{s.training_log_group_arn}:log-stream:*"],
        ),
        star(
            "PublishTrainingMetrics",
            ["cloudwatch:PutMetricData"],
            {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}},
        ),
        star("EcrLogin", ["ecr:GetAuthorizationToken"]),
        allow(
            "PullTrainingImages",
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            s.ecr_repositories,
        ),
        *network,
        star(
            "DescribeNetwork",
            [
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
        ),
    )


def model_approver_policy(s: Scope) -> PolicyDocument:
    """Review and approve the model packages of the stack's model package groups (the only role that may
    set ``ModelApprovalStatus`` Approved), and promote a candidate into ``<production_prefix><model>/`` of
    those models only. Without models: nothing to approve or promote.

    IAM cannot tie the S3 copy to the approved package's artifact (no condition key relates them): the
    ``vault promote`` command of a later issue enforces that the copied object is an Approved package's
    ``ModelDataUrl``."""
    promote = (
        [
            allow(
                "PromoteToProduction",
                ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:GetObjectVersion"],
                [_objects(s.model_bucket_arn, f"{s.production_prefix}{m}/") for m in s.models],
            ),
            allow(
                "ListProductionVersions",
                ["s3:ListBucketVersions"],
                [s.model_bucket_arn],
                {"StringLike": {"s3:prefix": [f"{s.production_prefix}{m}/*" for m in s.models]}},
            ),
            allow(
                "ApproveModelPackage",
                [
                    "sagemaker:UpdateModelPackage",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:ListModelPackages",
                ],
                s.model_package_resources,
            ),
        ]
        if s.models
        else []
    )
    return document(
        *verify_manifests(s),
        vault_discovery(),
        _list_prefixes(
            "ListModels",
            [s.model_bucket_arn],
            [s.candidates_prefix, s.production_prefix, s.datasets_prefix],
        ),
        allow(
            "ReadCandidates",
            ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"],
            [_objects(s.model_bucket_arn, s.candidates_prefix)],
        ),
        _read_datasets(s),
        *promote,
        _kms_use("UseModelKey", [s.model_key_arn], write=True),
        star("ListOnly", ["sagemaker:ListModelPackageGroups", "sts:GetCallerIdentity"]),
    )


AUDITOR_BUCKET_READS = (
    "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetBucketLogging",
    "s3:GetBucketTagging",
    "s3:GetBucketOwnershipControls",
    "s3:GetLifecycleConfiguration",
    "s3:GetBucketLocation",
    "s3:GetBucketAcl",
    "s3:GetBucketWebsite",
)


#: The list and describe calls of the live audit that AWS authorises on ``*`` alone.
AUDITOR_STAR_ACTIONS: tuple[str, ...] = (
    "sts:GetCallerIdentity",
    "sagemaker:ListDomains",
    "sagemaker:ListNotebookInstances",
    "sagemaker:ListTrainingJobs",
    "sagemaker:ListProcessingJobs",
    "sagemaker:ListModelPackageGroups",
    "sagemaker:ListUserProfiles",
    "sagemaker:ListSpaces",
    "sagemaker:ListApps",
    "s3:ListAllMyBuckets",
    "s3:GetAccountPublicAccessBlock",
    "kms:ListKeys",
    "kms:ListAliases",
    "iam:ListRoles",
    "iam:ListUsers",
    "iam:ListPolicies",
    "iam:ListOpenIDConnectProviders",
    "cloudtrail:DescribeTrails",
    "cloudtrail:ListTrails",
    "cloudtrail:LookupEvents",
    "logs:DescribeLogGroups",
    "sns:ListTopics",
    "events:ListRules",
    "tag:GetResources",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeEgressOnlyInternetGateways",
    "ec2:DescribeNatGateways",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeAddresses",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribePrefixLists",
    "ec2:DescribeVpcPeeringConnections",
    "route53resolver:ListResolverQueryLogConfigAssociations",
    "route53resolver:ListResolverQueryLogConfigs",
    "route53resolver:ListFirewallRuleGroupAssociations",
    "route53resolver:ListFirewallRuleGroups",
    "route53resolver:ListFirewallConfigs",
    # the account baseline (strongroom.live.readers.baseline; its other reads: AUDITOR_*_READS below)
    "config:DescribeDeliveryChannels",
    "guardduty:ListDetectors",
    "access-analyzer:ListAnalyzers",
)

#: The live audit's reads of the account baseline that AWS authorises on the resource, granted on exactly
#: the stack's Config recorders, its GuardDuty detectors and the region's Security Hub.
AUDITOR_RECORDER_READS = (
    "config:DescribeConfigurationRecorders",
    "config:DescribeConfigurationRecorderStatus",
)
AUDITOR_DETECTOR_READS = ("guardduty:GetDetector",)
AUDITOR_HUB_READS = ("securityhub:DescribeHub", "securityhub:GetEnabledStandards")


_TOPIC_READS = ("sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic")


AUDITOR_RULE_READS = ("events:DescribeRule", "events:ListTargetsByRule")
"""What the auditor may do to one of the stack's EventBridge rules, in every region the stack has rules."""


def auditor_policy(
    s: Scope,
    *,
    topic_arns: Sequence[str] = (),
    domain_ids: Sequence[str] = (),
    detector_arns: Sequence[str] = (),
    config_recorder_names: Sequence[str] = (),
) -> PolicyDocument:
    """Read-only over the environment's configuration and logs: what the boto3 live audit calls.

    ``topic_arns`` are the stack's alert topics, named exactly (none: no topic statement); ``domain_ids``
    its Studio domains. Trails, notebooks, log groups and rules by the stack's name prefix; the VPC by ID
    (none: no VPC attribute reads). The account baseline: the GuardDuty detectors ``detector_arns`` and the
    Config recorders ``config_recorder_names`` of the stack (none: no statement), the region's Security
    Hub."""
    topics = [allow("ReadTopics", _TOPIC_READS, topic_arns)] if topic_arns else []
    vpc = [allow("ReadVpcAttributes", ["ec2:DescribeVpcAttribute"], [s.vpc_arn])] if s.vpc_id else []
    recorders = [s.arn("config", f"configuration-recorder/{n}/*") for n in config_recorder_names]
    baseline = [
        *([allow("ReadConfigRecorders", AUDITOR_RECORDER_READS, recorders)] if recorders else []),
        *([allow("ReadDetectors", AUDITOR_DETECTOR_READS, detector_arns)] if detector_arns else []),
        allow("ReadSecurityHub", AUDITOR_HUB_READS, [s.arn("securityhub", "hub/default")]),
    ]
    return document(
        *verify_manifests(s),
        allow("ReadBucketConfiguration", AUDITOR_BUCKET_READS, s.bucket_arns),
        allow(
            "ReadKeyConfiguration",
            ["kms:GetKeyRotationStatus", "kms:GetKeyPolicy", "kms:DescribeKey", "kms:ListResourceTags"],
            [*s.key_arns, *s.signing_key_arns],
        ),
        allow(
            "ReadRoles",
            [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListRoleTags",
            ],
            [s.role_path_arn],
        ),
        allow(
            "ReadPolicies",
            ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"],
            [s.policy_path_arn],
        ),
        allow(
            "ReadTrail",
            [
                "cloudtrail:GetTrailStatus",
                "cloudtrail:GetEventSelectors",
                "cloudtrail:GetInsightSelectors",
                "cloudtrail:GetTrail",
                "cloudtrail:ListTags",
            ],
            [s.named("cloudtrail", "trail")],
        ),
        allow(
            "ReadSageMaker",
            ["sagemaker:DescribeDomain", "sagemaker:DescribeNotebookInstance", "sagemaker:ListTags"],
            [*_domains(s, domain_ids), s.named("sagemaker", "notebook-instance")],
        ),
        allow(
            "ReadLogs",
            [
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
                "logs:FilterLogEvents",
                "logs:ListTagsForResource",
            ],
            list(s.log_group_patterns),
        ),
        *topics,
        allow("ReadRules", AUDITOR_RULE_READS, s.rule_patterns),
        *vpc,
        *baseline,
        star("ListAndDescribeOnly", AUDITOR_STAR_ACTIONS),
    )


RECOVERY_OBJECT_READS = OBJECT_VERSION_READS
"""What the recovery role may read of an object version (the tagging reads: CopyObject copies the tags)."""
RECOVERY_LIST = ("s3:ListBucket", "s3:ListBucketVersions")


def recovery_policy(
    s: Scope,
    *,
    backup_bucket_arns: Sequence[str] = (),
    replica_bucket_arns: Sequence[str] = (),
    backup_key_arns: Sequence[str] = (),
) -> PolicyDocument:
    """``strongroom vault restore`` and ``status``: read every version of the data, models, Object Lock
    backup and replica buckets, write a restored copy as a new version into the data and models buckets
    (``s3:PutObject``, with ``s3:PutObjectTagging`` for the tags CopyObject copies), read the replication
    and Object Lock configuration and the replication metrics. No delete of any kind: a delete marker is
    covered by a newer version, never removed.

    ``backup_key_arns``: the backup key and the replica region's key, which only decrypt here; the data and
    models keys also encrypt the restored copies."""
    written = [*s.data_bucket_arns, s.model_bucket_arn]
    copies = [*backup_bucket_arns, *replica_bucket_arns]
    every = [*written, *copies]
    config = [allow("ReadReplication", ["s3:GetReplicationConfiguration"], written)]
    if copies:
        config.append(allow("ReadObjectLock", ["s3:GetBucketObjectLockConfiguration"], copies))
    return document(
        *verify_manifests(s),
        vault_discovery(),
        allow("ListVersions", RECOVERY_LIST, every),
        allow("ReadVersions", RECOVERY_OBJECT_READS, [f"{b}/*" for b in every]),
        allow("RestoreAsNewVersion", ["s3:PutObject", "s3:PutObjectTagging"], [f"{b}/*" for b in written]),
        *config,
        allow(
            "UseKeys",
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            [s.data_key_arn, s.model_key_arn],
        ),
        *([allow("DecryptCopies", ["kms:Decrypt"], backup_key_arns)] if backup_key_arns else []),
        star("ReadOnlyStar", ["sts:GetCallerIdentity", "cloudwatch:GetMetricData"]),
    )


def service_roles_ceiling(s: Scope) -> PolicyDocument:
    """What the stack's service roles (flow logs, CloudTrail delivery, S3 replication, event forwarding)
    may do, so the workload boundary can cap them too."""
    return document(
        allow(
            "ServiceRoleLogDelivery",
            ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            [s.arn("logs", "log-group:*"), s.arn("logs", "log-group:*:log-stream:*")],
        ),
        allow(
            "ServiceRoleReplication",
            [
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                "s3:ReplicateObject",
                "s3:ReplicateDelete",
                "s3:ReplicateTags",
            ],
            [r for b in s.bucket_arns for r in (b, f"{b}/*")],
        ),
        allow(
            "ServiceRoleKeys",
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            s.key_arns,
        ),
        allow("ServiceRoleForwardEvents", ["events:PutEvents"], [s.arn("events", "event-bus/default")]),
        star("ServiceRoleDescribe", ["logs:DescribeLogGroups"]),
    )


# --------------------------------------------------------------------------------------------------
# Guardrails and boundaries

#: SageMaker create actions and the condition keys each supports (from the IAM service reference).
GUARDED_SAGEMAKER_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "sagemaker:CreateTrainingJob": (
        "VpcSubnets",
        "VpcSecurityGroupIds",
        "NetworkIsolation",
        "InterContainerTrafficEncryption",
        "VolumeKmsKey",
        "OutputKmsKey",
    ),
    "sagemaker:CreateHyperParameterTuningJob": (
        "VpcSubnets",
        "VpcSecurityGroupIds",
        "NetworkIsolation",
        "InterContainerTrafficEncryption",
        "VolumeKmsKey",
        "OutputKmsKey",
    ),
    "sagemaker:CreateProcessingJob": (
        "VpcSubnets",
        "VpcSecurityGroupIds",
        "NetworkIsolation",
        "InterContainerTrafficEncryption",
        "VolumeKmsKey",
        "OutputKmsKey",
    ),
    "sagemaker:CreateAutoMLJob": (
        "VpcSubnets",
        "VpcSecurityGroupIds",
        "InterContainerTrafficEncryption",
        "VolumeKmsKey",
        "OutputKmsKey",
    ),
    "sagemaker:CreateAutoMLJobV2": (
        "VpcSubnets",
        "VpcSecurityGroupIds",
        "InterContainerTrafficEncryption",
        "VolumeKmsKey",
        "OutputKmsKey",
    ),
    "sagemaker:CreateModel": ("VpcSubnets", "VpcSecurityGroupIds", "NetworkIsolation"),
    "sagemaker:CreateNotebookInstance": ("VpcSubnets", "VpcSecurityGroupIds", "VolumeKmsKey"),
    "sagemaker:CreateDomain": ("VpcSubnets", "VpcSecurityGroupIds", "VolumeKmsKey"),
}


def _guarded(key: str) -> list[str]:
    return sorted(a for a, keys in GUARDED_SAGEMAKER_ACTIONS.items() if key in keys)


def guardrail_statements(env_key_arns: Sequence[str]) -> list[Statement]:
    """Deny SageMaker resources that would run outside the VPC, unisolated, or with foreign keys."""
    statements: list[Statement] = []
    for key in ("VpcSubnets", "VpcSecurityGroupIds"):
        statements.append(
            deny(f"DenyWithout{key}", _guarded(key), ["*"], {"Null": {f"sagemaker:{key}": "true"}})
        )
    for key in ("NetworkIsolation", "InterContainerTrafficEncryption"):
        statements.append(
            deny(f"DenyMissing{key}", _guarded(key), ["*"], {"Null": {f"sagemaker:{key}": "true"}})
        )
        statements.append(
            deny(f"DenyDisabled{key}", _guarded(key), ["*"], {"Bool": {f"sagemaker:{key}": "false"}})
        )
    for key in ("VolumeKmsKey", "OutputKmsKey"):
        statements.append(
            deny(f"DenyMissing{key}", _guarded(key), ["*"], {"Null": {f"sagemaker:{key}": "true"}})
        )
        statements.append(
            deny(
                f"DenyForeign{key}",
                _guarded(key),
                ["*"],
                {"ArnNotEquals": {f"sagemaker:{key}": sorted(env_key_arns)}},
            )
        )
    statements.append(
        deny(
            "DenyNotebookInternet",
            ["sagemaker:CreateNotebookInstance"],
            ["*"],
            {"StringEqualsIfExists": {"sagemaker:DirectInternetAccess": "Enabled"}},
        )
    )
    statements.append(
        deny(
            "DenyNotebookRootAccess",
            ["sagemaker:CreateNotebookInstance", "sagemaker:UpdateNotebookInstance"],
            ["*"],
            {"StringEqualsIfExists": {"sagemaker:RootAccess": "Enabled"}},
        )
    )
    statements.append(
        deny(
            "DenyPublicStudio",
            ["sagemaker:CreateDomain", "sagemaker:UpdateDomain"],
            ["*"],
            {"StringEqualsIfExists": {"sagemaker:AppNetworkAccessType": "PublicInternetOnly"}},
        )
    )
    return statements


def guardrail_policy(env_key_arns: Sequence[str]) -> PolicyDocument:
    return document(*guardrail_statements(env_key_arns))


def boundary_arn(s: Scope, policy_name: str) -> str:
    return s.arn("iam", f"policy{s.iam_path}{policy_name}", region=False)


def _ceiling_resources(s: Scope, actions: Iterable[str], bucket_prefix: str | None = None) -> list[str]:
    """Compact boundary resources: the env buckets (or every bucket named with the stack's
    ``bucket_prefix``, their objects included), the IAM path, else account+region per service."""
    out: set[str] = set()
    for action in actions:
        service = action.split(":")[0]
        if service == "s3" and bucket_prefix:
            out.add(f"arn:{s.partition}:s3:::{bucket_prefix}*")
        elif service == "s3":
            out |= {r for b in s.bucket_arns for r in (b, f"{b}/*")}
        elif service == "kms":
            out |= {s.arn("kms", "*"), *(k for k in s.key_arns if f":{s.region}:" not in k)}
        elif service == "iam":
            out |= {s.role_path_arn, s.policy_path_arn}
        else:
            out.add(s.arn(service, "*"))
    return sorted(out)


def _other_region(s: Scope, arn: str) -> bool:
    """An ARN in a region other than the scope's (KMS keys aside: the ceiling names foreign keys itself)."""
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[2] != "kms" and parts[3] not in ("", s.region)


READ_VERBS = ("Get", "List", "Describe")


def split_reads(actions: Iterable[str]) -> tuple[set[str], set[str]]:
    """(other actions, read patterns `service:Get*` / `List*` / `Describe*` covering the read actions)."""
    others: set[str] = set()
    patterns: set[str] = set()
    for action in actions:
        service, name = action.split(":", 1)
        verb = next((v for v in READ_VERBS if name.startswith(v)), None)
        if verb is None:
            others.add(action)
        else:
            patterns.add(f"{service}:{verb}*")
    return others, patterns


def ceiling_reads(
    sid: str, patterns: Iterable[str], resources: str | list[str], condition: Statement | None = None
) -> Statement:
    """A boundary's ceiling statement: the reads as `service:Get*|List*|Describe*` of the services whose
    reads the capped roles need (the deployer's; the workload roles' star-only reads). A boundary grants
    nothing (the policies name each read); the patterns keep the boundary within IAM's 6,144 characters.
    ``iam.lint`` admits such a pattern in ``CeilingReads*`` statements only."""
    stmt: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(patterns)), "Resource": resources}
    if condition:
        stmt["Condition"] = condition
    return stmt


def permission_boundary(
    s: Scope,
    *,
    ceiling: Sequence[PolicyDocument],
    own_arn: str,
    protect_boundary_arns: Sequence[str] = (),
    bucket_prefix: str | None = None,
) -> PolicyDocument:
    """Permission boundary: the actions of the role policies it caps, in this account, region and env.

    The ``ceiling`` documents' actions are allowed on the environment's buckets and on this account and
    region for every other service (the role policies narrow them further); star-only actions keep ``*``;
    ``iam:PassRole`` statements are kept whole, condition included; what a ceiling statement grants on
    ARNs of another region (``Scope.event_regions``) is kept as those actions on those ARNs. With
    ``bucket_prefix`` (the stack's bucket name prefix, ``sr-prod-``) S3 is capped to the buckets so
    named, one resource for all of them (the role policies name each bucket; a boundary is limited to
    6,144 characters). Deny statements stop a capped role from removing or changing any boundary, from
    creating a role without ``own_arn`` as its boundary, and from editing the boundary policies.
    (SageMaker guardrails are a separate managed policy on every workload role: a boundary is a managed
    policy limited to 6,144 characters.)
    """
    actions: set[str] = set()
    star_actions: set[str] = set()
    kept: list[Statement] = []
    elsewhere: dict[tuple[tuple[str, ...], tuple[str, ...]], None] = {}
    for doc in ceiling:
        for stmt in doc["Statement"]:
            if stmt["Effect"] != "Allow":
                continue
            acts = set(_as_list(stmt["Action"]))
            if "iam:PassRole" in acts:
                kept.append({**stmt, "Sid": f"CeilingPassRole{len(kept)}"})
            elif _as_list(stmt["Resource"]) == ["*"]:
                star_actions |= acts
            else:
                actions |= acts
                foreign = sorted(r for r in _as_list(stmt["Resource"]) if _other_region(s, r))
                if foreign:
                    services = {r.split(":")[2] for r in foreign}
                    key = (tuple(sorted(a for a in acts if a.split(":")[0] in services)), tuple(foreign))
                    elsewhere[key] = None
    boundaries = sorted({own_arn, *protect_boundary_arns})
    statements: list[Statement] = [
        allow("Ceiling", actions, _ceiling_resources(s, actions, bucket_prefix)),
        # What a ceiling statement grants in another region (the auditor's reads of the forwarding rules),
        # exactly: those actions on those ARNs, never the other region's whole service.
        *(allow(f"CeilingOtherRegion{i}", a, r) for i, (a, r) in enumerate(elsewhere)),
        *kept,
    ]
    # The star-only reads as one read verb per service (`ec2:Describe*`): a boundary grants nothing, the
    # role policies name each read, and the exact list would not fit IAM's 6,144 characters.
    star_others, star_reads = split_reads(star_actions)
    if star_reads:
        statements.append(ceiling_reads("CeilingReadsStarOnly", star_reads, "*"))
    if star_others:
        statements.append(star("CeilingStarOnly", star_others))
    statements += [
        deny("DenyBoundaryRemoval", ["iam:DeleteRolePermissionsBoundary"], [s.role_path_arn]),
        deny(
            "DenyOtherBoundary",
            ["iam:PutRolePermissionsBoundary", "iam:CreateRole"],
            [s.role_path_arn],
            {"ArnNotEquals": {"iam:PermissionsBoundary": own_arn}},
        ),
        deny(
            "DenyBoundaryEdits",
            [
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
            ],
            boundaries,
        ),
    ]
    return document(*statements)


MANAGED_POLICY_MAX_CHARS = 6144
INLINE_ROLE_POLICY_MAX_CHARS = 10240
"""IAM's limit on a role's inline policies, all together (whitespace excluded)."""


def managed_policy_size(doc: PolicyDocument | Statement) -> int:
    """Characters IAM counts for a managed policy (whitespace excluded); of a statement, what it adds to
    one (with a comma when it is not the first)."""
    return len(json.dumps(doc, separators=(",", ":")))


# --------------------------------------------------------------------------------------------------
# Service-side documents used by AuditTrail and SecurityAlerts


def cloudtrail_bucket_statements(
    bucket_arn: str,
    trail_arn: str,
    account: str,
    partition: str = "aws",
    key_prefix: str = "",
    organization_id: str | None = None,
) -> list[Statement]:
    """Bucket policy statements letting only this trail write its log files (confused-deputy safe).

    With `organization_id` (an organization trail, created in the management account), the trail also
    writes the log files of the organization's accounts, under AWSLogs/<organization id>/."""
    prefix = f"{key_prefix.rstrip('/')}/" if key_prefix else ""
    paths = [f"{bucket_arn}/{prefix}AWSLogs/{account}/*"]
    if organization_id is not None:
        paths.append(f"{bucket_arn}/{prefix}AWSLogs/{organization_id}/*")
    return [
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": paths[0] if len(paths) == 1 else paths,
            "Condition": {
                "StringEquals": {
                    "aws:SourceArn": trail_arn,
                    "s3:x-amz-acl": "bucket-owner-full-control",
                }
            },
        },
    ]


def cloudtrail_logs_policy(log_group_arn: str) -> PolicyDocument:
    """Permissions of the role CloudTrail uses to deliver to its CloudWatch log group (that group only)."""
    group = log_group_arn.removesuffix(":*")
    return document(
        allow(
            "DeliverTrailToLogGroup",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"{group}:log-stream:*"],
        )
    )


def sns_topic_policy(topic_arn: str, account: str, rule_arns: Sequence[str]) -> PolicyDocument:
    """Topic policy: the account owns the topic; EventBridge may publish only from this account's rules."""
    owner_actions = [
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
        "sns:AddPermission",
        "sns:RemovePermission",
        "sns:DeleteTopic",
        "sns:Subscribe",
        "sns:ListSubscriptionsByTopic",
        "sns:Publish",
    ]
    condition: Statement = {"StringEquals": {"aws:SourceAccount": account}}
    if rule_arns:
        condition["ArnLike"] = {"aws:SourceArn": sorted(rule_arns)}
    return document(
        {
            "Sid": "AccountOwnsTopic",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{_partition_of(topic_arn)}:iam::{account}:root"},
            "Action": sorted(owner_actions),
            "Resource": topic_arn,
        },
        {
            "Sid": "EventBridgePublishes",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": condition,
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


def _partition_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] in _PARTITIONS else "aws"
