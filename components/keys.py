"""KeyRing: one customer-managed KMS key per purpose, with rotation, a 30-day deletion window, an explicit
key policy (no wildcard principal) and an alias `alias/strongroom-<environment>-<purpose>`.

With `signer_role_names`, also the `signing` key: asymmetric (ECC_NIST_P256, SIGN_VERIFY) for manifest
signatures, without rotation (AWS cannot rotate asymmetric keys), which only the signer roles may use to
sign and every principal of the account (by IAM policy) to verify."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from strongroom.components.layout import alias_name
from strongroom.components.policydocs import kms as kmsdoc

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")

DEFAULT_PURPOSES: tuple[str, ...] = ("data", "models", "logs", "backup")

#: Service grants per purpose by default: the logs key encrypts CloudWatch log groups (flow logs), the
#: CloudTrail trail, S3 server access logs, and alert messages published by EventBridge and CloudWatch.
DEFAULT_SERVICE_GRANTS: Mapping[str, tuple[str, ...]] = {
    "logs": ("logs", "cloudtrail", "s3-logging", "events", "cloudwatch"),
}

#: Services that own each purpose's data: principals of the account (IAM delegation) may use the key, and
#: let the service create grants for AWS resources, only through these (`kms:ViaService`). The data key
#: also encrypts Studio's EFS volume and ML volumes (EBS); the logs key encrypts the trail's and access
#: logs' objects (S3), log groups and the alert topic. A purpose not listed: S3 only.
DEFAULT_ACCOUNT_VIA_SERVICES: Mapping[str, tuple[str, ...]] = {
    "data": ("s3", "sagemaker", "elasticfilesystem", "ec2"),
    "models": ("s3", "sagemaker"),
    "logs": ("s3", "logs", "sns"),
    "backup": ("s3",),
}

DELETION_WINDOW_DAYS = 30

SIGNING = "signing"
"""The purpose (and alias suffix) of the manifest signing key."""
SIGNING_KEY_SPEC = "ECC_NIST_P256"
SIGNING_KEY_USAGE = "SIGN_VERIFY"

ADMINS_SETTING = "strongroom:identity.adminPrincipals"


def check_name(field: str, value: object) -> None:
    """Refuse a name (environment, purpose, dataset) that is not 1-31 lower case letters, digits or dashes."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ValueError(f"{field}: {value!r} must be 1-31 lower case letters, digits or dashes")


def check_names(field: str, values: Sequence[str], what: str, *, example: str) -> list[str]:
    """The names of `field` as a list: at least one, each a valid name, no duplicates."""
    names = list(values)
    if not names:
        raise ValueError(f"{field}: at least one {what} is required (for example {example})")
    for name in names:
        check_name(field, name)
    if len(set(names)) != len(names):
        raise ValueError(f"{field}: {names!r} has duplicates")
    return names


@dataclass
class KeyRingArgs:
    """Arguments of `KeyRing`."""

    environment: str
    """Environment (stack) name, used in aliases and descriptions: lower case, digits and dashes."""

    purposes: Sequence[str] = DEFAULT_PURPOSES
    """One key per purpose; unique names of lower case letters, digits and dashes."""

    service_grants: Mapping[str, Sequence[str]] = field(default_factory=lambda: dict(DEFAULT_SERVICE_GRANTS))
    """Purpose -> AWS services allowed to use that key (short names from `kms.SERVICE_GRANTS`)."""

    admin_principal_arns: Sequence[str] = ()
    """IAM principals (exact ARNs, no wildcards) of the keys' own account that may administer, but not use
    or grant, every key. The account root always administers in-account (the key policy delegates to
    IAM), which also prevents a locked-out key. A principal of another account is refused."""

    account_via_services: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: dict(DEFAULT_ACCOUNT_VIA_SERVICES)
    )
    """Purpose -> services through which the account's principals may use that key (`kms:ViaService`);
    a purpose not listed: S3 only."""

    key_users: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Purpose -> IAM principals (exact ARNs) allowed to use that key through `via_services` only."""

    via_services: Sequence[str] = ("s3",)
    """Services through which `key_users` may use keys (`kms:ViaService`), from `kms.VIA_SERVICES`."""

    signer_role_names: Sequence[str] = ()
    """Names of the roles (of the keys' account, under `signer_role_path`) that may sign with the `signing`
    key; a name may end in `*` (roles created after the key, with generated names). None: no signing key."""

    signer_role_path: str = "/"
    """IAM path of the signer roles (`/strongroom/dev/`)."""

    retain: bool = False
    """Protect the keys and their aliases and keep them on delete (set for prod)."""

    account_id: pulumi.Input[str] | None = None
    """AWS account id; looked up with `aws.get_caller_identity_output()` when not given."""

    region: pulumi.Input[str] | None = None
    """AWS region; looked up with `aws.get_region_output()` when not given."""

    partition: pulumi.Input[str] | None = None
    """AWS partition; looked up with `aws.get_partition_output()` when not given."""

    def __post_init__(self) -> None:
        check_name("environment", self.environment)
        purposes = check_names("purposes", self.purposes, "key purpose", example="data, models")
        if SIGNING in purposes:
            raise ValueError(
                f"purposes: {SIGNING!r} is the asymmetric signing key's, made from signer_arns; accepted: "
                "other names"
            )
        for role_name in self.signer_role_names:
            if not isinstance(role_name, str) or not re.match(r"^[\w+=,.@-]{1,64}\*?$", role_name):
                raise ValueError(
                    f"signer_role_names: {role_name!r} is not a role name (letters, digits and +=,.@_-; a "
                    "single trailing '*' is allowed), e.g. sr-dev-roles-training-*"
                )
        if not re.match(r"^/([\w+=,.@-]+/)*$", self.signer_role_path):
            raise ValueError(
                f"signer_role_path: {self.signer_role_path!r} is not an IAM path such as /strongroom/dev/"
            )
        for purpose, services in self.service_grants.items():
            if purpose not in purposes:
                raise ValueError(f"service_grants: purpose {purpose!r} is not one of purposes {purposes!r}")
            for service in services:
                if service not in kmsdoc.SERVICE_GRANTS:
                    raise ValueError(
                        f"service_grants[{purpose!r}]: {service!r} is not one of "
                        f"{', '.join(kmsdoc.SERVICE_GRANTS)}"
                    )
            if len(set(services)) != len(services):
                raise ValueError(f"service_grants[{purpose!r}]: {list(services)!r} has duplicates")
        principal_lists = {"admin_principal_arns": self.admin_principal_arns} | {
            f"key_users[{purpose!r}]": users for purpose, users in self.key_users.items()
        }
        for label, arns in principal_lists.items():
            for arn in arns:
                if not isinstance(arn, str) or not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:[^*]+$", arn):
                    raise ValueError(f"{label}: {arn!r} is not an exact IAM principal ARN (no wildcards)")
        admin_accounts = sorted({kmsdoc.account_of(arn) or "?" for arn in self.admin_principal_arns})
        if len(admin_accounts) > 1:
            raise ValueError(
                f"admin_principal_arns ({ADMINS_SETTING}): {list(self.admin_principal_arns)!r} span accounts "
                f"{', '.join(admin_accounts)}; accepted: principals of the keys' own account only"
            )
        if isinstance(self.account_id, str):
            _check_in_account(self.admin_principal_arns, self.account_id, self.environment)
        for purpose, vias in self.account_via_services.items():
            if purpose not in purposes and self.account_via_services != DEFAULT_ACCOUNT_VIA_SERVICES:
                raise ValueError(
                    f"account_via_services: purpose {purpose!r} is not one of purposes {purposes!r}"
                )
            if not vias or any(via not in kmsdoc.VIA_SERVICES for via in vias):
                raise ValueError(
                    f"account_via_services[{purpose!r}]: {list(vias)!r} must be 1 or more of "
                    f"{', '.join(kmsdoc.VIA_SERVICES)}"
                )
        for purpose in self.key_users:
            if purpose not in purposes:
                raise ValueError(f"key_users: purpose {purpose!r} is not one of purposes {purposes!r}")
        for via in self.via_services:
            if via not in kmsdoc.VIA_SERVICES:
                raise ValueError(f"via_services: {via!r} is not one of {', '.join(kmsdoc.VIA_SERVICES)}")


def _check_in_account(admin_arns: Sequence[str], account_id: str, stack: str) -> None:
    """Refuse key administrators outside the keys' account (the admin calls don't work across accounts,
    kms:CreateGrant does)."""
    foreign = [arn for arn in admin_arns if kmsdoc.account_of(arn) != account_id]
    if foreign:
        raise ValueError(
            f"admin_principal_arns ({ADMINS_SETTING}, or the program's own key, in Pulumi.{stack}.yaml): "
            f"{foreign!r} are not in "
            f"account {account_id}, the "
            f"account of the keys; accepted: principals of account {account_id} only, e.g. "
            f"arn:aws:iam::{account_id}:role/strongroom-breakglass"
        )


class KeyRing(pulumi.ComponentResource):
    """Customer-managed KMS keys, one per purpose.

    Outputs (dicts keyed by purpose): `keys` (the `aws.kms.Key` resources), `key_arns`, `key_ids`,
    `alias_names` (plain strings) and `alias_arns`.
    """

    keys: dict[str, aws.kms.Key]
    """The `aws.kms.Key` resources, keyed by purpose."""
    key_arns: dict[str, pulumi.Output[str]]
    """Key ARNs, keyed by purpose."""
    key_ids: dict[str, pulumi.Output[str]]
    """Key IDs, keyed by purpose."""
    alias_names: dict[str, str]
    """Alias names (`alias/...`), keyed by purpose."""
    alias_arns: dict[str, pulumi.Output[str]]
    """Alias ARNs, keyed by purpose."""

    def __init__(self, name: str, args: KeyRingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if isinstance(args, dict):  # the inputs of a program in another language (components/provider.py)
            args = KeyRingArgs(**args)
        super().__init__("strongroom:index:KeyRing", name, None, opts)
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        account_id = args.account_id or aws.get_caller_identity_output(opts=invoke_opts).account_id
        region = args.region or aws.get_region_output(opts=invoke_opts).region
        partition = args.partition or aws.get_partition_output(opts=invoke_opts).partition
        child_opts = pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain)
        stack = pulumi.get_stack()

        self.keys, self.key_arns, self.key_ids, self.alias_names, self.alias_arns = {}, {}, {}, {}, {}
        for purpose in args.purposes:
            services = tuple(args.service_grants.get(purpose, ()))
            users = tuple(args.key_users.get(purpose, ()))
            account_vias = tuple(args.account_via_services.get(purpose, ("s3",)))

            def build(
                values: list[Any],
                services: tuple[str, ...] = services,
                users: tuple[str, ...] = users,
                account_vias: tuple[str, ...] = account_vias,
            ) -> str:
                acct, reg, part = values
                _check_in_account(args.admin_principal_arns, acct, stack)
                return kmsdoc.key_policy_json(
                    account_id=acct,
                    partition=part,
                    region=reg,
                    admin_arns=tuple(args.admin_principal_arns),
                    user_arns=users,
                    via_services=tuple(args.via_services) if users else (),
                    services=services,
                    account_via_services=account_vias,
                )

            key = aws.kms.Key(
                f"{name}-{purpose}",
                description=f"Strongroom {args.environment} {purpose} key",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                deletion_window_in_days=DELETION_WINDOW_DAYS,
                bypass_policy_lockout_safety_check=False,
                policy=pulumi.Output.all(account_id, region, partition).apply(build),
                tags={"strongroom:key-purpose": purpose},
                opts=child_opts,
            )
            self._add(name, args.environment, purpose, key, child_opts)

        if args.signer_role_names:
            signers = tuple(args.signer_role_names)

            def build_signing(values: list[Any]) -> str:
                acct, reg, part = values
                _check_in_account(args.admin_principal_arns, acct, stack)
                return kmsdoc.signing_key_policy_json(
                    account_id=acct,
                    partition=part,
                    region=reg,
                    admin_arns=tuple(args.admin_principal_arns),
                    signer_arns=[f"arn:{part}:iam::{acct}:role{args.signer_role_path}{n}" for n in signers],
                )

            # No rotation: AWS KMS cannot rotate asymmetric keys (a new key and alias swap instead).
            key = aws.kms.Key(
                f"{name}-{SIGNING}",
                description=f"Strongroom {args.environment} manifest signing key (sign: signer roles only)",
                key_usage=SIGNING_KEY_USAGE,
                customer_master_key_spec=SIGNING_KEY_SPEC,
                enable_key_rotation=False,
                deletion_window_in_days=DELETION_WINDOW_DAYS,
                bypass_policy_lockout_safety_check=False,
                policy=pulumi.Output.all(account_id, region, partition).apply(build_signing),
                tags={"strongroom:key-purpose": SIGNING},
                opts=child_opts,
            )
            self._add(name, args.environment, SIGNING, key, child_opts)

        self.register_outputs(
            {
                "key_arns": self.key_arns,
                "key_ids": self.key_ids,
                "alias_names": self.alias_names,
                "alias_arns": self.alias_arns,
            }
        )

    def _add(
        self, name: str, environment: str, purpose: str, key: aws.kms.Key, opts: pulumi.ResourceOptions
    ) -> None:
        """Name ``key`` by its alias ``alias/strongroom-<environment>-<purpose>`` and record both."""
        alias = aws.kms.Alias(
            f"{name}-{purpose}-alias",
            name=alias_name(environment, purpose),
            target_key_id=key.key_id,
            opts=opts,
        )
        self.keys[purpose] = key
        self.key_arns[purpose] = key.arn
        self.key_ids[purpose] = key.key_id
        self.alias_names[purpose] = alias_name(environment, purpose)
        self.alias_arns[purpose] = alias.arn
