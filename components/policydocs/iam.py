"""Pure IAM policy documents for Strongroom's roles, guardrails, boundaries and service principals.

Every function takes plain strings (ARNs, prefixes, account, region, partition) and returns a policy
document as a ``dict``; callers serialise with :func:`to_json` (usually inside ``Output.all(...).apply``).
No Pulumi import here: everything is unit tested and linted with parliament.

Rules every document obeys (checked by :func:`lint`):
- no wildcard in any allowed action (no ``"*"``, no ``"s3:*"``, no ``"s3:Get*"``);
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

from components.tags import ENVIRONMENT_TAG

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
    extra_bucket_arns: tuple[str, ...] = ()
    extra_key_arns: tuple[str, ...] = ()
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
        if self.production_prefix in (self.experiments_prefix, self.candidates_prefix):
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


def human_trust(
    principals: Sequence[str],
    *,
    require_mfa: bool,
    also_service: str | None = None,
    account: str = "",
    organization_id: str | None = None,
) -> PolicyDocument:
    """Trust the configured principals (with MFA when required) and optionally a service principal.

    With ``organization_id`` the principals must also belong to the bank's AWS Organization
    (``aws:PrincipalOrgID``): human roles are usually assumed from the IAM Identity Center account, and a
    cross-account trust without an organization or external ID condition is open to the confused deputy.
    """
    validate_principals(principals)
    if organization_id is not None:
        validate_organization_id(organization_id)
    stmt: Statement = {
        "Sid": "TrustConfiguredPrincipals",
        "Effect": "Allow",
        "Principal": {"AWS": sorted(principals)},
        "Action": "sts:AssumeRole",
    }
    condition: Statement = {}
    if require_mfa:
        condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    if organization_id is not None:
        condition["StringEquals"] = {"aws:PrincipalOrgID": organization_id}
    if condition:
        stmt["Condition"] = condition
    statements = [stmt]
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


def data_scientist_policy(s: Scope, training_role_arn: str, domain_ids: Sequence[str] = ()) -> PolicyDocument:
    """Read curated data, read/write experiments, read candidate models, launch guarded SageMaker jobs
    named with the stack's prefix; open Studio in the stack's domains (`domain_ids`; none: no Studio)."""
    jobs = [s.named("sagemaker", "training-job"), s.named("sagemaker", "processing-job")]
    studio = (
        [
            allow(
                "OpenStudio",
                ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"],
                [s.arn("sagemaker", f"user-profile/{d}/*") for d in domain_ids],
            ),
            allow("DescribeDomain", ["sagemaker:DescribeDomain"], _domains(s, domain_ids)),
        ]
        if domain_ids
        else []
    )
    return document(
        _list_prefixes("ListCuratedData", s.data_bucket_arns, [s.curated_prefix]),
        allow(
            "ReadCuratedData",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [_objects(b, s.curated_prefix) for b in s.data_bucket_arns],
        ),
        _list_prefixes("ListModelWork", [s.model_bucket_arn], [s.experiments_prefix, s.candidates_prefix]),
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
        _kms_use("ReadDataKey", [s.data_key_arn], write=False),
        _kms_use("UseModelKey", [s.model_key_arn], write=True),
        allow(
            "RunGuardedJobs",
            ["sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", *_TRAINING_JOB_READ],
            jobs,
        ),
        allow(
            "PassTrainingRoleToSageMaker",
            ["iam:PassRole"],
            [training_role_arn],
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        *studio,
        allow(
            "ReadTrainingLogs",
            ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"],
            [s.training_log_group_arn, f"{s.training_log_group_arn}:log-stream:*"],
        ),
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
        _list_prefixes("ListTrainingData", s.data_bucket_arns, [s.training_data_prefix]),
        allow(
            "ReadTrainingData",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [_objects(b, s.training_data_prefix) for b in s.data_bucket_arns],
        ),
        _list_prefixes("ListModelOutput", [s.model_bucket_arn], [s.candidates_prefix]),
        allow(
            "WriteModelOutput",
            ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
            [_objects(s.model_bucket_arn, s.candidates_prefix)],
        ),
        _kms_use("ReadDataKey", [s.data_key_arn], write=False),
        _kms_use("UseModelKey", [s.model_key_arn], write=True),
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
    """Promote a candidate model version into the production prefix; nothing else."""
    return document(
        _list_prefixes("ListModels", [s.model_bucket_arn], [s.candidates_prefix, s.production_prefix]),
        allow(
            "ReadCandidates",
            ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"],
            [_objects(s.model_bucket_arn, s.candidates_prefix)],
        ),
        allow(
            "PromoteToProduction",
            ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:GetObjectVersion"],
            [_objects(s.model_bucket_arn, s.production_prefix)],
        ),
        _kms_use("UseModelKey", [s.model_key_arn], write=True),
        allow(
            "ApproveModelPackage",
            ["sagemaker:UpdateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
            [s.named("sagemaker", "model-package"), s.named("sagemaker", "model-package-group")],
        ),
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
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribePrefixLists",
)


_TOPIC_READS = ("sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic")


def auditor_policy(
    s: Scope, *, topic_arns: Sequence[str] = (), domain_ids: Sequence[str] = ()
) -> PolicyDocument:
    """Read-only over the environment's configuration and logs: what the boto3 live audit calls.

    ``topic_arns`` are the stack's alert topics, named exactly (none: no topic statement); ``domain_ids``
    its Studio domains. Trails, notebooks, log groups and rules by the stack's name prefix; the VPC by ID
    (none: no VPC attribute reads)."""
    topics = [allow("ReadTopics", _TOPIC_READS, topic_arns)] if topic_arns else []
    vpc = [allow("ReadVpcAttributes", ["ec2:DescribeVpcAttribute"], [s.vpc_arn])] if s.vpc_id else []
    return document(
        allow("ReadBucketConfiguration", AUDITOR_BUCKET_READS, s.bucket_arns),
        allow(
            "ReadKeyConfiguration",
            ["kms:GetKeyRotationStatus", "kms:GetKeyPolicy", "kms:DescribeKey", "kms:ListResourceTags"],
            s.key_arns,
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
            ["cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors", "cloudtrail:GetTrail"],
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
        allow(
            "ReadRules",
            ["events:DescribeRule", "events:ListTargetsByRule"],
            [s.named("events", "rule")],
        ),
        *vpc,
        star("ListAndDescribeOnly", AUDITOR_STAR_ACTIONS),
    )


_NETWORK_TYPES = (
    "vpc",
    "subnet",
    "route-table",
    "security-group",
    "security-group-rule",
    "network-acl",
    "vpc-endpoint",
    "vpc-flow-log",
)
"""The EC2 resource types of the stack's network (PrivateNetwork)."""

#: EC2 calls that create a network resource, each on the resource types it creates or uses. The new
#: resource must carry the stack's environment tag (``aws:RequestTag``; Pulumi tags on create).
_DEPLOYER_EC2_CREATE: Mapping[str, tuple[str, ...]] = {
    "ec2:CreateVpc": ("vpc",),
    "ec2:CreateSubnet": ("subnet", "vpc"),
    "ec2:CreateRouteTable": ("route-table", "vpc"),
    "ec2:CreateSecurityGroup": ("security-group", "vpc"),
    "ec2:CreateNetworkAcl": ("network-acl", "vpc"),
    "ec2:CreateVpcEndpoint": ("vpc-endpoint", "vpc", "subnet", "route-table", "security-group"),
    "ec2:CreateFlowLogs": ("vpc-flow-log", "vpc"),
    "ec2:AuthorizeSecurityGroupIngress": ("security-group", "security-group-rule"),
    "ec2:AuthorizeSecurityGroupEgress": ("security-group", "security-group-rule"),
    "ec2:CreateTags": _NETWORK_TYPES,
}
#: EC2 calls that delete or change a network resource the stack tagged (``aws:ResourceTag``).
_DEPLOYER_EC2_TAGGED: Mapping[str, tuple[str, ...]] = {
    "ec2:DeleteVpc": ("vpc",),
    "ec2:DeleteSubnet": ("subnet",),
    "ec2:DeleteRouteTable": ("route-table",),
    "ec2:DeleteSecurityGroup": ("security-group",),
    "ec2:DeleteNetworkAcl": ("network-acl",),
    "ec2:DeleteVpcEndpoints": ("vpc-endpoint",),
    "ec2:DeleteFlowLogs": ("vpc-flow-log",),
    "ec2:ModifyVpcAttribute": ("vpc",),
    "ec2:DescribeVpcAttribute": ("vpc",),
    "ec2:CreateTags": _NETWORK_TYPES,
    "ec2:DeleteTags": _NETWORK_TYPES,
}
#: EC2 calls that change a network resource inside the stack's VPC (``ec2:Vpc``): the stack adopts and
#: empties the default security group, route table and network ACL AWS creates with the VPC, untagged,
#: and tags them itself. Without a VPC of its own, only the resources the stack tagged.
_DEPLOYER_EC2_CONFIGURE: Mapping[str, tuple[str, ...]] = {
    "ec2:ModifySubnetAttribute": ("subnet",),
    "ec2:AssociateRouteTable": ("route-table", "subnet"),
    "ec2:DisassociateRouteTable": ("route-table", "subnet"),
    "ec2:RevokeSecurityGroupIngress": ("security-group",),
    "ec2:RevokeSecurityGroupEgress": ("security-group",),
    "ec2:ModifySecurityGroupRules": ("security-group", "security-group-rule"),
    "ec2:ModifyVpcEndpoint": ("vpc-endpoint", "route-table", "security-group", "subnet"),
    "ec2:CreateNetworkAclEntry": ("network-acl",),
    "ec2:DeleteNetworkAclEntry": ("network-acl",),
    "ec2:ReplaceNetworkAclEntry": ("network-acl",),
    "ec2:ReplaceNetworkAclAssociation": ("network-acl", "subnet"),
    "ec2:CreateTags": tuple(t for t in _NETWORK_TYPES if t != "vpc"),
}
_DEPLOYER_S3 = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketLogging",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:PutBucketTagging",
    *AUDITOR_BUCKET_READS,
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketObjectLockConfiguration",
)
_DEPLOYER_KMS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",
    "kms:ListResourceTags",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
)
_DEPLOYER_KMS_ALIASES = ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias")
_DEPLOYER_IAM_ROLES = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:GetRole",
    "iam:UpdateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
)
_DEPLOYER_IAM_POLICIES = (
    "iam:CreatePolicy",
    "iam:DeletePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListPolicyVersions",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:TagPolicy",
)
_DEPLOYER_SNS = (
    "sns:CreateTopic",
    "sns:DeleteTopic",
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:ListSubscriptionsByTopic",
    "sns:TagResource",
)
#: What the deployer may never do to its own role: change its permissions, trust or boundary.
_SELF_MODIFICATION = (
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:UpdateRole",
    "iam:DeleteRole",
)


@dataclass(frozen=True)
class DeployedIam:
    """Exact ARNs of what the deployer manages besides buckets and keys: every role and managed policy
    the stack creates (the deployer's own role and boundary excluded), its alert topics and key aliases."""

    own_role_arn: str
    role_arns: tuple[str, ...]
    policy_arns: tuple[str, ...]
    passed_role_arns: tuple[str, ...] = ()
    """The roles among ``role_arns`` the deployer hands to a service (execution and delivery roles)."""
    topic_arns: tuple[str, ...] = ()
    key_alias_names: tuple[str, ...] = ()
    key_arns: tuple[str, ...] = ()
    """The keys it configures (default: the scope's keys): KMS has no tag condition the IAM database lists
    for key actions, so the keys are named exactly."""
    domain_ids: tuple[str, ...] = ()
    """The stack's SageMaker Studio domains (created by it with the environment tag)."""
    environment: str = ""
    """Value of the stack's ``strongroom:environment`` tag, required on network resources it creates."""


def _ec2_statement(
    s: Scope, sid: str, actions: Mapping[str, tuple[str, ...]], condition: Statement
) -> Statement:
    """The EC2 resources of the account and region, confined by `condition` (the stack's tag or VPC): the
    actions name the network types they touch (one ARN per type would not fit the inline policy limit)."""
    return allow(sid, actions, [s.arn("ec2", "*")], condition)


def deployer_policy(
    s: Scope, deployed: DeployedIam, *, passable_role_services: Sequence[str]
) -> PolicyDocument:
    """What ``pulumi up`` of this stack needs: network resources by type (created, changed and deleted only
    with the stack's environment tag, or inside its VPC), these buckets, keys and aliases, its trails, log
    groups, notebooks and rules by the stack's name prefix, and exactly the roles, policies, topics and
    Studio domains of ``deployed``; never its own role."""
    if not deployed.environment:
        raise ValueError("deployed.environment: the strongroom:environment tag value is required")
    tag = f"aws:RequestTag/{ENVIRONMENT_TAG}"
    resource_tag = f"aws:ResourceTag/{ENVIRONMENT_TAG}"
    roles = [arn for arn in deployed.role_arns if arn != deployed.own_role_arn]
    passed = [arn for arn in deployed.passed_role_arns if arn in roles]
    keys = list(deployed.key_arns or s.key_arns)
    tagged = {"StringEquals": {resource_tag: deployed.environment}}
    in_vpc = {"ArnEquals": {"ec2:Vpc": s.vpc_arn}} if s.vpc_id else tagged
    statements = [
        _ec2_statement(
            s, "CreateNetwork", _DEPLOYER_EC2_CREATE, {"StringEquals": {tag: deployed.environment}}
        ),
        _ec2_statement(s, "DeleteAndTagNetwork", _DEPLOYER_EC2_TAGGED, tagged),
        _ec2_statement(s, "ConfigureNetwork", _DEPLOYER_EC2_CONFIGURE, in_vpc),
        allow("ManageBuckets", _DEPLOYER_S3, s.bucket_arns),
        # Key and alias actions in one statement (an alias action authorises on the alias and its key).
        allow(
            "ManageKeysAndAliases",
            [*_DEPLOYER_KMS, *(_DEPLOYER_KMS_ALIASES if deployed.key_alias_names else ())],
            [*keys, *(s.arn("kms", name) for name in deployed.key_alias_names)],
        ),
    ]
    if roles:
        statements.append(allow("ManageStackRoles", _DEPLOYER_IAM_ROLES, roles))
    if passed:
        statements.append(
            allow(
                "PassStackRoles",
                ["iam:PassRole"],
                passed,
                {"StringEquals": {"iam:PassedToService": sorted(passable_role_services)}},
            )
        )
    if deployed.policy_arns:
        statements.append(allow("ManageStackPolicies", _DEPLOYER_IAM_POLICIES, deployed.policy_arns))
    if deployed.topic_arns:
        statements.append(allow("ManageTopics", _DEPLOYER_SNS, deployed.topic_arns))
    if deployed.own_role_arn:
        statements.append(deny("DenySelfModification", _SELF_MODIFICATION, [deployed.own_role_arn]))
    return document(
        *statements,
        allow(
            "ManageLogGroups",
            [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:AssociateKmsKey",
                "logs:TagResource",
                "logs:ListTagsForResource",
            ],
            list(s.log_group_patterns[:2]),
        ),
        allow(
            "ManageTrail",
            [
                "cloudtrail:CreateTrail",
                "cloudtrail:UpdateTrail",
                "cloudtrail:DeleteTrail",
                "cloudtrail:StartLogging",
                "cloudtrail:GetTrailStatus",
                "cloudtrail:GetEventSelectors",
                "cloudtrail:PutEventSelectors",
                "cloudtrail:AddTags",
                "cloudtrail:ListTags",
            ],
            [s.named("cloudtrail", "trail")],
        ),
        allow(
            "CreateStudioDomain",
            ["sagemaker:CreateDomain", "sagemaker:AddTags"],
            [s.arn("sagemaker", "domain/*")],
            {"StringEquals": {tag: deployed.environment}},
        ),
        allow(
            "ManageSageMaker",
            [
                "sagemaker:UpdateDomain",
                "sagemaker:DeleteDomain",
                "sagemaker:DescribeDomain",
                "sagemaker:CreateNotebookInstance",
                "sagemaker:UpdateNotebookInstance",
                "sagemaker:DeleteNotebookInstance",
                "sagemaker:DescribeNotebookInstance",
                "sagemaker:StopNotebookInstance",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
            ],
            [*_domains(s, deployed.domain_ids), s.named("sagemaker", "notebook-instance")],
        ),
        allow(
            "ManageRules",
            [
                "events:PutRule",
                "events:DeleteRule",
                "events:DescribeRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:ListTargetsByRule",
                "events:TagResource",
                "events:ListTagsForResource",
            ],
            [s.named("events", "rule")],
        ),
        star(
            "StarOnlyDeployCalls",
            [
                "kms:CreateKey",
                "sns:Unsubscribe",
                "sns:GetSubscriptionAttributes",
                "sns:SetSubscriptionAttributes",
                "kms:ListAliases",
                "logs:DescribeLogGroups",
                "cloudtrail:DescribeTrails",
                "sts:GetCallerIdentity",
                *(a for a in AUDITOR_STAR_ACTIONS if a.startswith("ec2:")),
            ],
        ),
    )


def deployer_ceiling(s: Scope, *, passable_role_services: Sequence[str], environment: str) -> PolicyDocument:
    """The deployer's policy over every role and policy of the IAM path, every topic and alias of the
    region: what its permission boundary caps it to (a boundary grants nothing, so it may be broad)."""
    every = DeployedIam(
        own_role_arn="",
        role_arns=(s.role_path_arn,),
        policy_arns=(s.policy_path_arn,),
        passed_role_arns=(s.role_path_arn,),
        topic_arns=(s.arn("sns", "*"),),
        key_alias_names=("alias/*",),
        key_arns=(s.arn("kms", "key/*"),),
        domain_ids=("*",),
        environment=environment,
    )
    return deployer_policy(s, every, passable_role_services=passable_role_services)


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


def _ceiling_resources(s: Scope, actions: Iterable[str]) -> list[str]:
    """Compact boundary resources: the env buckets, the IAM path, else account+region per service."""
    out: set[str] = set()
    for action in actions:
        service = action.split(":")[0]
        if service == "s3":
            out |= {r for b in s.bucket_arns for r in (b, f"{b}/*")}
        elif service == "kms":
            out |= {s.arn("kms", "*"), *(k for k in s.key_arns if f":{s.region}:" not in k)}
        elif service == "iam":
            out |= {s.role_path_arn, s.policy_path_arn}
        else:
            out.add(s.arn(service, "*"))
    return sorted(out)


def permission_boundary(
    s: Scope, *, ceiling: Sequence[PolicyDocument], own_arn: str, protect_boundary_arns: Sequence[str] = ()
) -> PolicyDocument:
    """Permission boundary: the actions of the role policies it caps, in this account, region and env.

    The ``ceiling`` documents' actions are allowed on the environment's buckets and on this account and
    region for every other service (the role policies narrow them further); star-only actions keep ``*``;
    ``iam:PassRole`` statements are kept whole, condition included. Deny statements stop a capped role
    from removing or changing any boundary, from creating a role without ``own_arn`` as its boundary, and
    from editing the boundary policies. (SageMaker guardrails are a separate managed policy on every
    workload role: a boundary is a managed policy limited to 6,144 characters.)
    """
    actions: set[str] = set()
    star_actions: set[str] = set()
    kept: list[Statement] = []
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
    boundaries = sorted({own_arn, *protect_boundary_arns})
    statements: list[Statement] = [allow("Ceiling", actions, _ceiling_resources(s, actions)), *kept]
    if star_actions:
        statements.append(star("CeilingStarOnly", star_actions))
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


def managed_policy_size(doc: PolicyDocument) -> int:
    """Characters IAM counts for a managed policy (whitespace excluded)."""
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
