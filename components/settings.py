"""Typed stack settings: ``stacks/Pulumi.<stack>.yaml`` -> :class:`EnvironmentSettings` (pydantic v2).

``__main__.py`` reads the stack config once and calls :func:`load_settings`; components never read
``pulumi.Config``. Every field declares what it accepts (``accepted``) and, where prod is stricter, the prod
rule (``prod``): the same text is used in error messages and in the README's config reference
(:func:`config_reference_rows`).

Bad input raises :class:`ConfigError` before any resource is registered, one line per problem, each naming
the file, the key (``strongroom:network.vpcCidr``), the bad value and what is accepted. The offline engine
turns it into exit code 2 because of ``strongroom_user_error``.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from strongroom.components.cidr import default_subnet_prefix
from strongroom.components.policydocs.endpoint import (
    DEFAULT_INTERFACE_ENDPOINTS,
    OPTIONAL_INTERFACE_ENDPOINTS,
)
from strongroom.components.tags import (
    DATA_CLASSIFICATIONS,
    MANDATORY_TAG_KEYS,
    MAX_STACK_TAGS,
    TAG_CHARACTERS,
    TagError,
    merge_tags,
    validate_user_tag,
)

NAMESPACE = "strongroom"

AWS_REGIONS: tuple[str, ...] = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)
"""Commercial-partition regions (the ``aws`` partition) Strongroom deploys to."""

BASE_INTERFACE_ENDPOINTS = DEFAULT_INTERFACE_ENDPOINTS
"""Interface endpoints always created: what SageMaker needs without internet (ARCHITECTURE.md)."""

LOG_RETENTION_DAYS: tuple[int, ...] = (
    90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""CloudWatch Logs retention values of at least 90 days (audit logs of a regulated environment; shorter
values and never-expire are refused)."""

PROD_MIN_LOG_RETENTION_DAYS = 365
VPC_PREFIX_RANGE = (16, 24)
MAX_AZ_SUBNET_PREFIX = 26
"""Each AZ's private subnet (components.cidr split) must be at least a /26: endpoint ENIs, Studio apps
and jobs share it."""
AZ_COUNT_RANGE = (1, 6)
PRIVATE_NETWORKS = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
OBJECT_LOCK_DAYS_RANGE = (1, 3650)
"""Backup and trail versions are kept while locked, and S3 lifecycle expiry stops at 3650 days."""
NONCURRENT_EXPIRY_DAYS_RANGE = (1, 3650)

_PRINCIPAL_ARN = re.compile(r"^arn:aws:iam::(\d{12}):(user|role)/([\w+=,.@/-]{1,512})$")
_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
_GITHUB_ENVIRONMENT = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
RESERVED_DOMAINS = ("models", "logs", "access-logs", "trail")
_DOMAIN = re.compile(r"^[a-z][a-z0-9-]{1,14}[a-z0-9]$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_STACK = re.compile(r"^[a-z][a-z0-9-]{0,11}$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
_MODEL = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
MIN_SIGN_IN_PREFIX = 16
"""Sign-in ranges wider than this are not a bank's own network."""

PRINCIPAL_ACCEPTED = (
    "IAM role or user ARNs like arn:aws:iam::123456789012:role/DataScientist (no wildcard, no account root)"
)


class ConfigError(ValueError):
    """The stack config is wrong. Message: one line per problem, naming file, key, value, what is accepted."""

    strongroom_user_error = True

    def __init__(self, source_file: str, problems: list[Problem]) -> None:
        self.source_file = source_file
        self.problems = problems
        lines = [problem.render(source_file) for problem in problems]
        header = f"invalid stack config in {source_file} ({len(problems)} problem(s)):"
        super().__init__("\n".join([header, *(f"  {line}" for line in lines)]))


@dataclass(frozen=True)
class Problem:
    """One bad config value: where (``key``), what (``value``), why (``problem``) and the rule."""

    key: str
    value: Any
    problem: str
    accepted: str

    def render(self, source_file: str) -> str:
        shown = "(not set)" if self.value is _MISSING else json.dumps(self.value, default=str)
        return f"{source_file}: {self.key} = {shown}: {self.problem}; accepted: {self.accepted}"


_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "(not set)"})()


def _field(default: Any = ..., *, doc: str, accepted: str, prod: str = "", alias: str | None = None) -> Any:
    """A pydantic field with its documentation, accepted values and prod rule kept together."""
    extra: dict[str, Any] = {"accepted": accepted}
    if prod:
        extra["prod"] = prod
    factory: Any = None
    if isinstance(default, list):
        factory = tuple
    elif isinstance(default, dict):
        factory = dict
    elif isinstance(default, type) and issubclass(default, BaseModel):
        factory = default
    if factory is not None:
        return Field(default_factory=factory, description=doc, json_schema_extra=extra, alias=alias)
    return Field(default, description=doc, json_schema_extra=extra, alias=alias)


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True, strict=False
    )


def _check_principals(values: tuple[str, ...]) -> tuple[str, ...]:
    for arn in values:
        if not _PRINCIPAL_ARN.match(arn):
            raise ValueError(f"{arn!r} is not an IAM role or user ARN")
    if len(set(values)) != len(values):
        raise ValueError("the list has duplicates")
    return values


class NetworkSettings(_Section):
    """``strongroom:network``: the private VPC."""

    vpc_cidr: str = _field(
        doc="IPv4 CIDR of the VPC; split evenly into one private subnet per AZ.",
        accepted=f"an RFC 1918 network from /{VPC_PREFIX_RANGE[0]} to /{VPC_PREFIX_RANGE[1]} "
        f"with no host bits set, e.g. 10.20.0.0/16, leaving at least a /{MAX_AZ_SUBNET_PREFIX} per AZ",
    )
    az_count: int = _field(
        2,
        doc="Number of availability zones (one private subnet each).",
        accepted=f"an integer from {AZ_COUNT_RANGE[0]} to {AZ_COUNT_RANGE[1]}",
        prod="at least 2",
    )
    optional_endpoints: tuple[str, ...] = _field(
        [],
        doc="Interface endpoints added to the always-created SageMaker set ("
        + ", ".join(BASE_INTERFACE_ENDPOINTS)
        + ").",
        accepted="a list of distinct services from: " + ", ".join(OPTIONAL_INTERFACE_ENDPOINTS),
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"malformed IPv4 CIDR ({exc})") from None
        low, high = VPC_PREFIX_RANGE
        if network.prefixlen < low:
            raise ValueError(f"/{network.prefixlen} is larger than AWS allows for a VPC")
        if network.prefixlen > high:
            raise ValueError(f"/{network.prefixlen} is too small for the AZ subnets")
        if not any(network.subnet_of(private) for private in PRIVATE_NETWORKS):
            raise ValueError("not a private (RFC 1918) range")
        return str(network)

    @field_validator("az_count")
    @classmethod
    def _az_count(cls, value: int) -> int:
        low, high = AZ_COUNT_RANGE
        if not low <= value <= high:
            raise ValueError(f"{value} AZs is out of range")
        return value

    @field_validator("optional_endpoints")
    @classmethod
    def _endpoints(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for service in value:
            if service in BASE_INTERFACE_ENDPOINTS:
                raise ValueError(f"{service!r} is always created; list only optional endpoints")
            if service not in OPTIONAL_INTERFACE_ENDPOINTS:
                raise ValueError(f"unknown endpoint service {service!r}")
        if len(set(value)) != len(value):
            raise ValueError("the list has duplicates")
        return value

    @property
    def interface_endpoints(self) -> tuple[str, ...]:
        """Every interface endpoint service of the VPC, base set first."""
        return BASE_INTERFACE_ENDPOINTS + tuple(
            s for s in OPTIONAL_INTERFACE_ENDPOINTS if s in self.optional_endpoints
        )

    @property
    def subnet_prefix(self) -> int:
        """Prefix length of each AZ's private subnet."""
        return default_subnet_prefix(ipaddress.IPv4Network(self.vpc_cidr).prefixlen, self.az_count)


class MandatoryTags(_Section):
    """``strongroom:tags``: the tags every resource carries (with ``strongroom:environment``)."""

    owner: str = _field(
        doc="Team or person accountable for the environment.",
        accepted=f"a non-empty tag value ({TAG_CHARACTERS})",
    )
    cost_center: str = _field(
        alias="cost-center", doc="Cost center billed.", accepted=f"a non-empty tag value ({TAG_CHARACTERS})"
    )
    data_classification: str = _field(
        alias="data-classification",
        doc="Highest classification of the data held.",
        accepted=", ".join(DATA_CLASSIFICATIONS),
    )

    @field_validator("owner", "cost_center")
    @classmethod
    def _value(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("mandatory tag is empty")
        try:
            validate_user_tag("owner", value)
        except TagError as exc:
            raise ValueError(exc.problem) from None
        return value

    @field_validator("data_classification")
    @classmethod
    def _classification(cls, value: str) -> str:
        if value not in DATA_CLASSIFICATIONS:
            raise ValueError(f"unknown data classification {value!r}")
        return value

    def as_dict(self) -> dict[str, str]:
        """The tags with their AWS keys."""
        return dict(
            zip(MANDATORY_TAG_KEYS, (self.owner, self.cost_center, self.data_classification), strict=True)
        )


class StorageSettings(_Section):
    """``strongroom:storage``: data buckets and retention."""

    data_domains: tuple[str, ...] = _field(
        doc="One KMS-encrypted, versioned data bucket per data domain.",
        accepted="1-10 distinct lower-case names of 3-16 characters (a-z, 0-9, -), "
        f"not {', '.join(RESERVED_DOMAINS)}, e.g. [payments, credit-risk]",
    )
    log_retention_days: int = _field(
        365,
        doc="Retention of the CloudWatch log groups (VPC flow logs, CloudTrail, SageMaker).",
        accepted="a CloudWatch Logs retention: " + ", ".join(map(str, LOG_RETENTION_DAYS)),
        prod=f"at least {PROD_MIN_LOG_RETENTION_DAYS}",
    )
    noncurrent_version_expiry_days: int = _field(
        90,
        doc="Days a noncurrent object version is kept before the lifecycle rule expires it.",
        accepted=f"an integer from {NONCURRENT_EXPIRY_DAYS_RANGE[0]} to {NONCURRENT_EXPIRY_DAYS_RANGE[1]}",
    )

    @field_validator("data_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not 1 <= len(value) <= 10:
            raise ValueError(f"{len(value)} data domains")
        for domain in value:
            if not _DOMAIN.match(domain):
                raise ValueError(f"{domain!r} is not a valid domain name")
            if domain in RESERVED_DOMAINS:
                raise ValueError(f"{domain!r} is reserved for the environment's own buckets")
        if len(set(value)) != len(value):
            raise ValueError("the list has duplicates")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"{value} is not a retention CloudWatch Logs accepts")
        return value

    @field_validator("noncurrent_version_expiry_days")
    @classmethod
    def _expiry(cls, value: int) -> int:
        low, high = NONCURRENT_EXPIRY_DAYS_RANGE
        if not low <= value <= high:
            raise ValueError(f"{value} days is out of range")
        return value


class BackupSettings(_Section):
    """``strongroom:backup``: the Object Lock backup vault and its cross-region replica."""

    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = _field(
        "GOVERNANCE",
        doc="S3 Object Lock default retention mode of the backup buckets.",
        accepted="GOVERNANCE or COMPLIANCE",
        prod="COMPLIANCE",
    )
    object_lock_days: int = _field(
        30,
        doc="Default Object Lock retention of the backup buckets in days; their noncurrent versions expire "
        "when the lock ends. It must cover strongroom:storage.noncurrentVersionExpiryDays, so every version "
        "the data and model buckets can still roll back to also has a locked copy in the backup vault.",
        accepted=f"an integer from {OBJECT_LOCK_DAYS_RANGE[0]} to {OBJECT_LOCK_DAYS_RANGE[1]}, at least "
        "strongroom:storage.noncurrentVersionExpiryDays",
    )
    replica_region: str | None = _field(
        None,
        doc="Region of the replica buckets (cross-region replication, own KMS key); unset: no replica.",
        accepted="a commercial AWS region other than aws:region, e.g. eu-west-1",
        prod="required",
    )

    @field_validator("object_lock_days")
    @classmethod
    def _lock_days(cls, value: int) -> int:
        low, high = OBJECT_LOCK_DAYS_RANGE
        if not low <= value <= high:
            raise ValueError(f"{value} days is out of range")
        return value

    @field_validator("replica_region")
    @classmethod
    def _replica(cls, value: str | None) -> str | None:
        if value is not None and value not in AWS_REGIONS:
            raise ValueError(f"unknown region {value!r}")
        return value


class DeployerSettings(_Section):
    """``strongroom:identity.deployer``: the CI role GitHub Actions assumes with OIDC."""

    github_repository: str = _field(
        doc="GitHub repository (org/repo) whose workflows may assume the deployer role.",
        accepted="org/repo of letters, digits, '.', '_' or '-' (no wildcard), e.g. northbank/strongroom",
    )
    github_environment: str = _field(
        doc="GitHub environment the workflow must run in; the trusted subject is "
        "repo:<githubRepository>:environment:<githubEnvironment>.",
        accepted="1-255 letters, digits, '.', '_' or '-' (no wildcard), e.g. prod",
    )
    oidc_provider_arn: str | None = _field(
        None,
        doc="ARN of the account's GitHub OIDC provider; unset: "
        "arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com.",
        accepted="arn:aws:iam::<12-digit account>:oidc-provider/token.actions.githubusercontent.com",
    )

    @field_validator("github_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not _GITHUB_REPOSITORY.match(value):
            raise ValueError(f"{value!r} is not an exact org/repo name")
        return value

    @field_validator("github_environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        if not _GITHUB_ENVIRONMENT.match(value):
            raise ValueError(f"{value!r} is not an exact GitHub environment name")
        return value

    @field_validator("oidc_provider_arn")
    @classmethod
    def _provider(cls, value: str | None) -> str | None:
        if value is not None and not _OIDC_PROVIDER_ARN.match(value):
            raise ValueError(f"{value!r} is not the ARN of a GitHub OIDC provider")
        return value


class IdentitySettings(_Section):
    """``strongroom:identity``: who may assume each human role, admins, MFA, the CI deployer."""

    data_scientists: tuple[str, ...] = _field(
        doc="Principals allowed to assume the data scientist role (curated data, experiments, training).",
        accepted=f"1 or more {PRINCIPAL_ACCEPTED}",
    )
    model_approvers: tuple[str, ...] = _field(
        doc="Principals allowed to assume the model approver role (promote a model to production).",
        accepted=f"1 or more {PRINCIPAL_ACCEPTED}",
        prod="none of strongroom:identity.dataScientists (who trains must not approve)",
    )
    auditors: tuple[str, ...] = _field(
        doc="Principals allowed to assume the read-only auditor role (the live audit, also run from "
        "outside the VPC: the auditor may read the buckets' configuration, never their objects).",
        accepted=f"1 or more {PRINCIPAL_ACCEPTED}",
    )
    recovery_operators: tuple[str, ...] = _field(
        [],
        doc="Principals allowed to assume the recovery role (`strongroom vault restore` and `status`): reads "
        "every version of the data, models, backup and replica buckets and writes restored copies as new "
        "versions into the data and models buckets (the production models prefix included), never deletes; "
        "none: no recovery role.",
        accepted=PRINCIPAL_ACCEPTED,
        prod="none of strongroom:identity.dataScientists (who produces data and models must not also "
        "overwrite them from the backups)",
    )
    admin_principals: tuple[str, ...] = _field(
        [],
        doc="Principals exempt from the buckets' VPC-endpoint-only condition and administering the keys: "
        "break-glass administration and whoever runs pulumi up from outside the VPC. They must be "
        "principals of the account the stack deploys to: KMS administration only works in-account, so the "
        "keys refuse another account's.",
        accepted=PRINCIPAL_ACCEPTED,
    )
    require_mfa: bool = _field(
        True, doc="Human roles require MFA in their trust policy.", accepted="true or false", prod="true"
    )
    deployer: DeployerSettings | None = _field(
        None,
        doc="CI deployer role trusted through GitHub OIDC; unset: no deployer role.",
        accepted="an object {githubRepository, githubEnvironment, oidcProviderArn}",
    )

    @field_validator("data_scientists", "model_approvers", "auditors")
    @classmethod
    def _humans(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("the list is empty")
        return _check_principals(value)

    @field_validator("admin_principals", "recovery_operators")
    @classmethod
    def _admins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_principals(value)

    @property
    def self_approvers(self) -> tuple[str, ...]:
        """Principals that may assume both the data scientist and the model approver role."""
        return tuple(sorted(set(self.data_scientists) & set(self.model_approvers)))

    @property
    def self_restorers(self) -> tuple[str, ...]:
        """Principals that may assume both the data scientist and the recovery role."""
        return tuple(sorted(set(self.data_scientists) & set(self.recovery_operators)))


class WorkspaceSettings(_Section):
    """``strongroom:workspace``: SageMaker Studio (VpcOnly) and an optional notebook instance."""

    studio: bool = _field(True, doc="Create the SageMaker Studio domain (VpcOnly).", accepted="true or false")
    notebook: bool = _field(
        False,
        doc="Create a notebook instance (no direct internet, no root access, KMS volume).",
        accepted="true or false",
    )
    notebook_instance_type: str = _field(
        "ml.t3.medium",
        doc="Instance type of the notebook instance.",
        accepted="a SageMaker ML instance type, e.g. ml.t3.medium",
    )

    sign_in_cidrs: tuple[str, ...] = _field(
        [],
        doc="The bank's IP ranges from which data scientists may also mint Studio and notebook sign-in URLs "
        "(aws:SourceIp); empty: only through the VPC's SageMaker API endpoint (aws:SourceVpce).",
        accepted=f"a list of distinct IPv4 CIDRs from /{MIN_SIGN_IN_PREFIX} to /32 with no host bits set, "
        "e.g. [203.0.113.0/24]",
    )
    models: tuple[str, ...] = _field(
        [],
        doc="The models of the environment: each gets a SageMaker Model Package Group; data scientists and "
        "training jobs register packages there only as PendingManualApproval, only the model approver "
        "approves them and promotes into production/<model>/. Empty: nothing can be promoted.",
        accepted="up to 20 distinct names of 3-32 lower-case letters, digits or '-', e.g. [credit-pd]",
    )

    @field_validator("notebook_instance_type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        if not _INSTANCE_TYPE.match(value):
            raise ValueError(f"{value!r} is not a SageMaker instance type")
        return value

    @field_validator("sign_in_cidrs")
    @classmethod
    def _sign_in_cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                network = ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(f"{cidr!r} is not an IPv4 CIDR ({exc})") from None
            if network.prefixlen < MIN_SIGN_IN_PREFIX:
                raise ValueError(f"{cidr!r} is wider than /{MIN_SIGN_IN_PREFIX}: not the bank's own range")
        if len(set(value)) != len(value):
            raise ValueError("the list has duplicates")
        return value

    @field_validator("models")
    @classmethod
    def _models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > 20:
            raise ValueError(f"{len(value)} models")
        for model in value:
            if not _MODEL.match(model):
                raise ValueError(f"{model!r} is not a valid model name")
        if len(set(value)) != len(value):
            raise ValueError("the list has duplicates")
        return value


_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")


class PerimeterSettings(_Section):
    """``strongroom:perimeter``: the accounts and organization inside the bank, for the policy pack."""

    trusted_accounts: tuple[str, ...] = _field(
        [],
        doc="AWS accounts inside the bank's perimeter: every principal, grantee, replication or log "
        "destination and endpoint service owner in the stack must be in one of them. Empty: only the "
        "account the stack deploys to (the account `strongroom check --account` plans as). The policy "
        "pack reads this key (and aws:allowedAccountIds) from the stack config, or from its policy config.",
        accepted="a list of distinct 12-digit account IDs, e.g. [123456789012]",
        prod="at least one (the pack cannot know the deploy account during a real preview)",
    )
    organization_id: str | None = _field(
        None,
        doc="AWS Organization of the bank: a condition aws:PrincipalOrgID / aws:SourceOrgID equal to it "
        "confines a policy to the perimeter; cross-account trusts may use it instead of sts:ExternalId.",
        accepted="an organization ID like o-a1b2c3d4e5",
    )

    @field_validator("trusted_accounts")
    @classmethod
    def _accounts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for account in value:
            if not _ACCOUNT_ID.match(str(account)):
                raise ValueError(f"{account!r} is not a 12-digit account ID")
        if len(set(value)) != len(value):
            raise ValueError("the list has duplicates")
        return value

    @field_validator("organization_id")
    @classmethod
    def _organization(cls, value: str | None) -> str | None:
        if value is not None and not _ORGANIZATION_ID.match(value):
            raise ValueError(f"{value!r} is not an organization ID")
        return value


class AuditSettings(_Section):
    """``strongroom:audit``: the CloudTrail trail."""

    trail: bool = _field(
        True,
        doc="Create the multi-region CloudTrail trail with S3 data events.",
        accepted="true or false",
        prod="true",
    )
    insights: bool = _field(
        True,
        doc="CloudTrail Insights on the trail (ApiCallRateInsight and ApiErrorRateInsight): unusual API "
        "call and error rates, as when a stolen credential enumerates what it may do.",
        accepted="true or false",
        prod="true",
    )
    organization_trail: bool = _field(
        False,
        doc="Make the trail an organization trail, recording every account of "
        "strongroom:perimeter.organizationId (required with it); deploy from the organization's management "
        "account.",
        accepted="true or false (true only with strongroom:perimeter.organizationId)",
    )


class AlertsSettings(_Section):
    """``strongroom:alerts``: EventBridge tamper alerts to an encrypted SNS topic."""

    enabled: bool = _field(True, doc="Create the tamper alerts.", accepted="true or false", prod="true")
    emails: tuple[str, ...] = _field(
        [],
        doc="E-mail addresses subscribed to the alert topic (each must confirm).",
        accepted="a list of e-mail addresses",
        prod="at least one",
    )

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for email in value:
            if not _EMAIL.match(email):
                raise ValueError(f"{email!r} is not an e-mail address")
        if len(set(value)) != len(value):
            raise ValueError("the list has duplicates")
        return value


class BaselineSettings(_Section):
    """``strongroom:baseline``: the account baseline (Access Analyzer, GuardDuty, Security Hub, Config)."""

    enabled: bool = _field(
        True,
        doc="Create the AccountBaseline: IAM Access Analyzer, GuardDuty with S3 protection, Security Hub "
        "with the AWS Foundational Security Best Practices standard and AWS Config, each finding routed to "
        "the alert topic. These exist once per account and region: an account that has them already must "
        "import them (see README) or, outside prod, turn this off.",
        accepted="true or false",
        prod="true",
    )
    organization_analyzer: bool = _field(
        False,
        doc="The stack runs in the organization's management account or the delegated administrator "
        "account for IAM Access Analyzer: the analyzer's zone of trust is the organization "
        "(strongroom:perimeter.organizationId) instead of the account.",
        accepted="true or false; true needs strongroom:perimeter.organizationId",
    )


class EnvironmentSettings(BaseModel):
    """Everything one stack configures; built by :func:`load_settings` from the flat Pulumi config.

    ``stack`` and ``source_file`` are not config keys: they come from the Pulumi stack.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    stack: str = _field(
        doc="Stack name, also the value of the strongroom:environment tag.",
        accepted="1-12 lower-case letters, digits or -, starting with a letter (dev, staging, prod, prod-eu)",
    )
    source_file: str = _field(doc="Stack file the config came from, for messages.", accepted="a path")
    region: str = _field(
        alias="aws:region", doc="Primary AWS region.", accepted="a commercial AWS region, e.g. eu-west-2"
    )
    network: NetworkSettings = _field(
        alias="strongroom:network", doc="The private VPC.", accepted="an object, see strongroom:network.*"
    )
    tags: MandatoryTags = _field(
        alias="strongroom:tags",
        doc="Mandatory tags on every resource.",
        accepted="an object {owner, cost-center, data-classification}",
    )
    extra_tags: dict[str, str] = _field(
        {},
        alias="strongroom:extraTags",
        doc="More tags on every resource (provider default tags).",
        accepted=f"a map of tag key to value ({TAG_CHARACTERS}); no aws: or strongroom: prefix, "
        f"no mandatory key, at most {MAX_STACK_TAGS - 4} tags",
    )
    storage: StorageSettings = _field(
        alias="strongroom:storage",
        doc="Data buckets and retention.",
        accepted="an object, see strongroom:storage.*",
    )
    backup: BackupSettings = _field(
        BackupSettings,
        alias="strongroom:backup",
        doc="Object Lock backup vault and replica.",
        accepted="an object, see strongroom:backup.*",
    )
    identity: IdentitySettings = _field(
        alias="strongroom:identity",
        doc="IAM principals and guardrails.",
        accepted="an object, see strongroom:identity.*",
    )
    workspace: WorkspaceSettings = _field(
        WorkspaceSettings,
        alias="strongroom:workspace",
        doc="SageMaker Studio and notebook.",
        accepted="an object, see strongroom:workspace.*",
    )
    audit: AuditSettings = _field(
        AuditSettings,
        alias="strongroom:audit",
        doc="CloudTrail.",
        accepted="an object, see strongroom:audit.*",
    )
    alerts: AlertsSettings = _field(
        AlertsSettings,
        alias="strongroom:alerts",
        doc="Tamper alerts.",
        accepted="an object, see strongroom:alerts.*",
    )
    baseline: BaselineSettings = _field(
        BaselineSettings,
        alias="strongroom:baseline",
        doc="Account baseline: Access Analyzer, GuardDuty, Security Hub, Config.",
        accepted="an object, see strongroom:baseline.*",
    )
    perimeter: PerimeterSettings = _field(
        PerimeterSettings,
        alias="strongroom:perimeter",
        doc="The bank's perimeter, judged by the policy pack.",
        accepted="an object, see strongroom:perimeter.*",
    )

    @field_validator("stack")
    @classmethod
    def _stack(cls, value: str) -> str:
        if not _STACK.match(value):
            raise ValueError(f"stack name {value!r} cannot name resources and tags")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value not in AWS_REGIONS:
            raise ValueError(f"unknown region {value!r}")
        return value

    @field_validator("extra_tags")
    @classmethod
    def _extra_tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key, tag_value in value.items():
            if key in MANDATORY_TAG_KEYS:
                raise ValueError(f"{key!r} is a mandatory tag; set it in strongroom:tags")
            try:
                validate_user_tag(key, tag_value)
            except TagError as exc:
                raise ValueError(f"tag {key!r}: {exc.problem}") from None
        if len(value) > MAX_STACK_TAGS - 4:
            raise ValueError(f"{len(value)} extra tags")
        return value

    @model_validator(mode="after")
    def _rules(self) -> EnvironmentSettings:
        problems = list(_cross_field_problems(self))
        if problems:
            raise PydanticCustomError(
                "strongroom_rules",
                "{summary}",
                {"summary": "; ".join(p.problem for p in problems), "problems": problems},
            )
        return self

    @property
    def is_prod(self) -> bool:
        """Prod rules apply to the stack ``prod`` and any stack named ``prod-...``."""
        return is_prod_stack(self.stack)

    @property
    def default_tags(self) -> dict[str, str]:
        """Provider default tags: ``strongroom:environment=<stack>``, mandatory tags, extra tags."""
        return merge_tags(self.stack, self.tags.as_dict(), self.extra_tags)

    @property
    def bucket_purposes(self) -> tuple[str, ...]:
        """The SecureBucket purposes the environment creates: one per data domain, then models."""
        return (*(f"data-{domain}" for domain in self.storage.data_domains), "models")


def is_prod_stack(stack: str) -> bool:
    """True for ``prod`` and ``prod-<anything>``: the stacks where the prod rules apply. The pack's
    ``policies.props.is_prod_stack`` is the same rule (components never import the policies);
    ``tests/test_prod_is_defined_once.py`` keeps the two in step."""
    return stack == "prod" or stack.startswith("prod-")


def insecure_options(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(config key, value) of every option turned on whose field is named ``allow_*`` or ``insecure*``.

    The naming convention of ARCHITECTURE.md: a weaker option says so in its name, and prod refuses it
    whichever section it is added to.
    """
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}.{info.alias or name}" if prefix else (info.alias or name)
        if name.startswith(("allow_", "insecure")) and value:
            yield key, value
        if isinstance(value, BaseModel):
            yield from insecure_options(value, key)


def _cross_field_problems(s: EnvironmentSettings) -> Iterator[Problem]:
    """Rules that join several keys, and the stricter prod rules."""
    net = s.network
    if net.subnet_prefix > MAX_AZ_SUBNET_PREFIX:
        yield Problem(
            "strongroom:network.vpcCidr",
            net.vpc_cidr,
            f"{net.az_count} AZs leave a /{net.subnet_prefix} per AZ subnet",
            f"a VPC large enough for a /{MAX_AZ_SUBNET_PREFIX} per AZ (or fewer AZs)",
        )
    if s.backup.object_lock_days < s.storage.noncurrent_version_expiry_days:
        yield Problem(
            "strongroom:backup.objectLockDays",
            s.backup.object_lock_days,
            "Object Lock is shorter than strongroom:storage.noncurrentVersionExpiryDays "
            f"({s.storage.noncurrent_version_expiry_days}): kept versions would have no locked copy",
            f"at least {s.storage.noncurrent_version_expiry_days}",
        )
    if s.audit.organization_trail and s.perimeter.organization_id is None:
        yield Problem(
            "strongroom:audit.organizationTrail",
            True,
            "an organization trail needs the organization: strongroom:perimeter.organizationId is not set",
            "false, or true with strongroom:perimeter.organizationId (o-...)",
        )
    if s.audit.organization_trail and not s.audit.trail:
        yield Problem(
            "strongroom:audit.organizationTrail",
            True,
            "strongroom:audit.trail is false, so there is no trail to make an organization trail",
            "false, or strongroom:audit.trail true",
        )
    if s.backup.replica_region == s.region:
        yield Problem(
            "strongroom:backup.replicaRegion",
            s.backup.replica_region,
            "the replica region is the primary region (aws:region)",
            f"a commercial AWS region other than {s.region}",
        )
    if s.baseline.organization_analyzer and s.perimeter.organization_id is None:
        yield Problem(
            "strongroom:baseline.organizationAnalyzer",
            True,
            "an organization analyzer needs the organization: strongroom:perimeter.organizationId is not set",
            "false, or set strongroom:perimeter.organizationId",
        )
    if s.baseline.enabled and not s.alerts.enabled:
        yield Problem(
            "strongroom:baseline.enabled",
            True,
            "the baseline routes its findings to the alert topic, and strongroom:alerts.enabled is false",
            "false, or set strongroom:alerts.enabled to true",
        )
    if not s.is_prod:
        return
    prod = f"required in prod (stack {s.stack})"
    if net.az_count < 2:
        yield Problem("strongroom:network.azCount", net.az_count, f"at least 2 AZs {prod}", "2 to 6")
    if s.backup.replica_region is None:
        yield Problem(
            "strongroom:backup.replicaRegion", _MISSING, f"a replica region is {prod}", "e.g. eu-west-1"
        )
    if not s.perimeter.trusted_accounts:
        yield Problem(
            "strongroom:perimeter.trustedAccounts",
            _MISSING,
            f"an explicit perimeter is {prod}: the policy pack cannot learn the deploy account during a "
            "real preview",
            "the 12-digit IDs of the deploy account and every account allowed in policies",
        )
    if s.backup.object_lock_mode != "COMPLIANCE":
        yield Problem(
            "strongroom:backup.objectLockMode",
            s.backup.object_lock_mode,
            f"COMPLIANCE mode is {prod}",
            "COMPLIANCE",
        )
    if s.storage.log_retention_days < PROD_MIN_LOG_RETENTION_DAYS:
        yield Problem(
            "strongroom:storage.logRetentionDays",
            s.storage.log_retention_days,
            f"at least {PROD_MIN_LOG_RETENTION_DAYS} days of logs are {prod}",
            ", ".join(str(d) for d in LOG_RETENTION_DAYS if d >= PROD_MIN_LOG_RETENTION_DAYS),
        )
    for key, value in (
        ("strongroom:audit.trail", s.audit.trail),
        ("strongroom:alerts.enabled", s.alerts.enabled),
        ("strongroom:baseline.enabled", s.baseline.enabled),
        ("strongroom:identity.requireMfa", s.identity.require_mfa),
    ):
        if value is not True:
            yield Problem(key, value, f"turning this off is refused in prod (stack {s.stack})", "true")
    if s.identity.self_approvers:
        yield Problem(
            "strongroom:identity.modelApprovers",
            list(s.identity.self_approvers),
            f"also in strongroom:identity.dataScientists: who trains a model must not approve it; "
            f"separation of duties is {prod}",
            "principals that are not in strongroom:identity.dataScientists",
        )
    if s.identity.self_restorers:
        yield Problem(
            "strongroom:identity.recoveryOperators",
            list(s.identity.self_restorers),
            f"also in strongroom:identity.dataScientists: who produces data and models must not also "
            f"overwrite them from the backups; separation of duties is {prod}",
            "principals that are not in strongroom:identity.dataScientists",
        )
    if s.alerts.enabled and not s.alerts.emails:
        yield Problem("strongroom:alerts.emails", [], f"an alert subscriber is {prod}", "at least one e-mail")
    if s.audit.trail and not s.audit.insights:
        yield Problem(
            "strongroom:audit.insights",
            False,
            f"turning this off is refused in prod (stack {s.stack})",
            "true",
        )
    for key, value in insecure_options(s):
        yield Problem(key, value, f"insecure option refused in prod (stack {s.stack})", "false")


# --- flat Pulumi config -> nested input -------------------------------------------------------------------

STRUCTURED_KEYS = tuple(
    info.alias
    for info in EnvironmentSettings.model_fields.values()
    if info.alias and info.alias.startswith("strongroom:")
)


def _normalise_key(key: str) -> str:
    """Pulumi passes ``ns:key`` (new) or ``ns:config:key`` (old engines); use ``ns:key``."""
    namespace, _, rest = key.partition(":")
    if rest.startswith("config:"):
        rest = rest[len("config:") :]
    return f"{namespace}:{rest}"


def _parse(value: Any) -> Any:
    """Structured config values arrive as JSON strings; scalars as plain strings."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value
    return value


def _raw_input(
    stack: str, config: Mapping[str, Any], source_file: str
) -> tuple[dict[str, Any], list[Problem]]:
    raw: dict[str, Any] = {"stack": stack, "source_file": source_file}
    problems: list[Problem] = []
    known = {*STRUCTURED_KEYS, "aws:region"}
    for key, value in config.items():
        key = _normalise_key(key)
        if key == "aws:region" or key in STRUCTURED_KEYS:
            raw[key] = _parse(value)
        elif key.startswith(f"{NAMESPACE}:"):
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(Problem(key, _parse(value), f"unknown key{hint}", ", ".join(sorted(known))))
    return raw, problems


# --- pydantic errors -> Problems ------------------------------------------------------------------------


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _unwrap_model(arg)
        if found:
            return found
    return None


def _lookup(loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, Any]:
    """Walk ``loc`` from EnvironmentSettings: (model holding the last field, that field's FieldInfo)."""
    model: type[BaseModel] | None = EnvironmentSettings
    info = None
    for part in loc:
        if not isinstance(part, str) or model is None:
            continue
        fields = {(f.alias or n): f for n, f in model.model_fields.items()}
        if part not in fields:
            return model, None
        info = fields[part]
        nested = _unwrap_model(info.annotation)
        if nested is None or get_origin(info.annotation) is dict:
            return model, info
        model = nested
    return model, info


def _key(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _accepted(info: Any) -> str:
    extra = getattr(info, "json_schema_extra", None) or {}
    return str(extra.get("accepted", "see the config reference in README.md"))


def _problems_from(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] == "strongroom_rules":
            problems.extend(err["ctx"]["problems"])
            continue
        if err["type"] == "extra_forbidden":
            parent, _ = _lookup(loc[:-1])
            names = sorted((f.alias or n) for n, f in (parent.model_fields if parent else {}).items())
            close = difflib.get_close_matches(str(loc[-1]), names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(Problem(_key(loc), err["input"], f"unknown key{hint}", ", ".join(names)))
            continue
        _, info = _lookup(loc)
        value = _MISSING if err["type"] == "missing" else err["input"]
        problem = (
            "required key is missing"
            if err["type"] == "missing"
            else err["msg"].removeprefix("Value error, ")
        )
        problems.append(Problem(_key(loc), value, problem, _accepted(info)))
    return problems


def load_settings(stack: str, config: Mapping[str, Any], source_file: str) -> EnvironmentSettings:
    """Validate the stack's flat Pulumi config (``{"strongroom:network": "<json>", "aws:region": ...}``).

    Keys of other namespaces (``aws:profile``, other providers) are ignored; unknown ``strongroom:`` keys
    are refused. Raises :class:`ConfigError` listing every problem.
    """
    raw, problems = _raw_input(stack, config, source_file)
    try:
        settings = EnvironmentSettings.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_problems_from(exc))
        raise ConfigError(source_file, problems) from None
    if problems:
        raise ConfigError(source_file, problems)
    return settings


def check_deploy_account(settings: EnvironmentSettings, account_id: str) -> None:
    """Refuse, before any resource is registered, key administrators outside the account the stack deploys
    to (the keys' account: a cross-account administrator cannot administer a key but could grant itself
    its use). Raises :class:`ConfigError` naming the stack file, the key, the principals and the account."""
    foreign = [arn for arn in settings.identity.admin_principals if arn.split(":")[4:5] != [account_id]]
    if foreign:
        raise ConfigError(
            settings.source_file,
            [
                Problem(
                    key="strongroom:identity.adminPrincipals",
                    value=foreign,
                    problem=f"not in account {account_id}, the account this stack deploys to (the keys')",
                    accepted=f"principals of account {account_id} only, e.g. "
                    f"arn:aws:iam::{account_id}:role/strongroom-breakglass",
                )
            ],
        )


def config_reference_rows() -> list[tuple[str, str, str, str, str]]:
    """Rows (key, type, default, description and accepted values, prod rule) of the config reference."""
    rows: list[tuple[str, str, str, str, str]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            if name in ("stack", "source_file"):
                continue
            key = f"{prefix}.{info.alias or name}" if prefix else str(info.alias or name)
            nested = _unwrap_model(info.annotation)
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if info.is_required():
                default = "required"
            elif nested is not None:
                default = "unset" if info.default is None else "all defaults"
            elif info.default_factory is not None:
                default = json.dumps(info.get_default(call_default_factory=True))
            else:
                default = "unset" if info.default is None else json.dumps(info.default)
            doc = str(info.description or "")
            if nested is None:
                doc = f"{doc} Accepted: {extra.get('accepted', '')}."
            rows.append(
                (
                    key,
                    "object" if nested else _type_name(info.annotation),
                    default,
                    doc,
                    str(extra.get("prod", "")),
                )
            )
            if nested is not None:
                walk(nested, key)

    walk(EnvironmentSettings, "")
    return rows


def config_reference_markdown() -> str:
    """The README's config reference table, generated from the settings model (a test checks the README)."""
    lines = ["| Key | Type | Default | Meaning and accepted values | Prod rule |", "|---|---|---|---|---|"]
    for key, type_name, default, doc, prod in config_reference_rows():
        cells = [f"`{key}`", type_name, f"`{default}`" if default not in ("required", "unset") else default]
        cells += [doc.replace("|", "\\|"), prod or "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is tuple:
        return "list of " + _type_name(get_args(annotation)[0])
    if origin is dict:
        return "map of string"
    if origin is Literal:
        return "string"
    if get_args(annotation):
        return " or ".join(_type_name(a) for a in get_args(annotation) if a is not type(None))
    return {str: "string", int: "integer", bool: "boolean"}.get(
        annotation, getattr(annotation, "__name__", "?")
    )
