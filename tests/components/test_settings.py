"""Stack config -> EnvironmentSettings: the shipped stacks load, and bad values are refused with a message
naming the file, the key, the value and what is accepted."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from strongroom.components.settings import (
    BASE_INTERFACE_ENDPOINTS,
    ConfigError,
    EnvironmentSettings,
    _Section,
    check_deploy_account,
    config_reference_markdown,
    config_reference_rows,
    insecure_options,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[2]
PROD_DATA_SCIENTIST = (
    "arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/eu-west-2/"
    "AWSReservedSSO_MLEngineer_0a1b2c3d4e5f6a7b"
)
DELETE = object()


def stack_config(stack: str) -> dict[str, Any]:
    """The stack file's ``config:`` as nested Python values."""
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]


def flatten(config: dict[str, Any]) -> dict[str, str]:
    """Like the Pulumi engine: scalars as strings, structured values as JSON strings."""
    flat = {}
    for key, value in config.items():
        if isinstance(value, bool):
            flat[key] = str(value).lower()
        else:
            flat[key] = value if isinstance(value, str) else json.dumps(value)
    return flat


def mutate(config: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``path`` is ``top-level-key`` or ``top-level-key.field.sub``; DELETE removes the key."""
    changed = copy.deepcopy(config)
    top, *rest = path.split(".", 1)
    if not rest:
        if value is DELETE:
            del changed[top]
        else:
            changed[top] = value
        return changed
    node = changed.setdefault(top, {})
    parts = rest[0].split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return changed


def load(stack: str, config: dict[str, Any]) -> EnvironmentSettings:
    return load_settings(stack, flatten(config), f"stacks/Pulumi.{stack}.yaml")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stacks_load(stack: str) -> None:
    settings = load(stack, stack_config(stack))
    assert settings.stack == stack
    assert settings.default_tags["strongroom:environment"] == stack
    assert set(settings.network.interface_endpoints) >= set(BASE_INTERFACE_ENDPOINTS)


def test_prod_stack_has_the_strict_settings() -> None:
    settings = load("prod", stack_config("prod"))
    assert settings.is_prod
    assert settings.network.az_count == 3
    assert settings.backup.replica_region == "eu-west-1"
    assert settings.backup.object_lock_mode == "COMPLIANCE"
    assert settings.identity.require_mfa and settings.identity.deployer is not None


def test_defaults_fill_optional_sections() -> None:
    config = {
        key: value
        for key, value in stack_config("dev").items()
        if key
        in (
            "aws:region",
            "strongroom:network",
            "strongroom:tags",
            "strongroom:storage",
            "strongroom:identity",
        )
    }
    settings = load("dev", config)
    assert settings.workspace.studio and not settings.workspace.notebook
    assert settings.audit.trail and settings.alerts.enabled
    assert settings.backup.object_lock_mode == "GOVERNANCE" and settings.backup.replica_region is None
    assert settings.extra_tags == {}


def test_other_namespaces_are_ignored_and_old_key_format_is_accepted() -> None:
    flat = flatten(stack_config("dev"))
    flat["aws:profile"] = "strongroom-dev"
    flat["strongroom:config:audit"] = flat.pop("strongroom:audit")
    assert load_settings("dev", flat, "stacks/Pulumi.dev.yaml").audit.trail


def test_already_parsed_structured_values_are_accepted() -> None:
    config = stack_config("dev")
    assert load_settings("dev", config, "stacks/Pulumi.dev.yaml").network.vpc_cidr == "10.20.0.0/16"


def test_config_error_is_a_user_error_listing_every_problem() -> None:
    config = mutate(mutate(stack_config("dev"), "strongroom:network.azCount", 9), "aws:region", "mars-1")
    with pytest.raises(ConfigError) as caught:
        load("dev", config)
    assert caught.value.strongroom_user_error is True
    assert isinstance(caught.value, ValueError)
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid stack config in stacks/Pulumi.dev.yaml (2 problem(s)):"
    assert len(lines) == 3
    assert {p.key for p in caught.value.problems} == {"strongroom:network.azCount", "aws:region"}


def test_reference_rows_cover_every_key() -> None:
    keys = [row[0] for row in config_reference_rows()]
    assert "strongroom:network.vpcCidr" in keys
    assert "strongroom:identity.deployer.githubRepository" in keys
    assert "strongroom:tags.cost-center" in keys
    assert all(row[3] for row in config_reference_rows())


# (case id, stack, path, new value, key named, value shown, accepted text)
# fmt: off
BAD = [
    ("sign-in-cidr-malformed", "dev", "strongroom:workspace.signInCidrs", ["203.0.113/24"],
     "strongroom:workspace.signInCidrs", '["203.0.113/24"]', "IPv4 CIDRs from /16 to /32"),
    ("sign-in-cidr-everywhere", "dev", "strongroom:workspace.signInCidrs", ["0.0.0.0/0"],
     "strongroom:workspace.signInCidrs", '["0.0.0.0/0"]', "from /16 to /32"),
    ("sign-in-cidr-host-bits", "dev", "strongroom:workspace.signInCidrs", ["203.0.113.7/24"],
     "strongroom:workspace.signInCidrs", '["203.0.113.7/24"]', "no host bits"),
    ("model-bad-name", "dev", "strongroom:workspace.models", ["Credit_PD"], "strongroom:workspace.models",
     '["Credit_PD"]', "3-32 lower-case letters"),
    ("model-duplicate", "dev", "strongroom:workspace.models", ["credit-pd", "credit-pd"],
     "strongroom:workspace.models", '["credit-pd", "credit-pd"]', "distinct names"),
    ("cidr-malformed", "dev", "strongroom:network.vpcCidr", "10.20.0/16", "strongroom:network.vpcCidr",
     '"10.20.0/16"', "RFC 1918 network from /16 to /24"),
    ("cidr-host-bits", "dev", "strongroom:network.vpcCidr", "10.20.0.1/16", "strongroom:network.vpcCidr",
     '"10.20.0.1/16"', "no host bits"),
    ("cidr-too-small", "dev", "strongroom:network.vpcCidr", "10.20.0.0/25", "strongroom:network.vpcCidr",
     '"10.20.0.0/25"', "/16 to /24"),
    ("cidr-too-large", "dev", "strongroom:network.vpcCidr", "10.0.0.0/8", "strongroom:network.vpcCidr",
     '"10.0.0.0/8"', "/16 to /24"),
    ("cidr-public", "dev", "strongroom:network.vpcCidr", "8.8.0.0/16", "strongroom:network.vpcCidr",
     '"8.8.0.0/16"', "RFC 1918"),
    ("cidr-no-room-for-azs", "dev", "strongroom:network", {"vpcCidr": "10.20.0.0/24", "azCount": 6},
     "strongroom:network.vpcCidr", '"10.20.0.0/24"', "a /26 per AZ"),
    ("cidr-missing", "dev", "strongroom:network.vpcCidr", DELETE, "strongroom:network.vpcCidr",
     "(not set)", "RFC 1918"),
    ("az-zero", "dev", "strongroom:network.azCount", 0, "strongroom:network.azCount", "0", "from 1 to 6"),
    ("az-seven", "dev", "strongroom:network.azCount", 7, "strongroom:network.azCount", "7", "from 1 to 6"),
    ("az-not-int", "dev", "strongroom:network.azCount", "two", "strongroom:network.azCount", '"two"',
     "from 1 to 6"),
    ("prod-one-az", "prod", "strongroom:network.azCount", 1, "strongroom:network.azCount", "1", "2 to 6"),
    ("endpoint-unknown", "dev", "strongroom:network.optionalEndpoints", ["sagemaker.foo"],
     "strongroom:network.optionalEndpoints", '["sagemaker.foo"]', "codeartifact.api"),
    ("endpoint-duplicate", "dev", "strongroom:network.optionalEndpoints", ["notebook", "notebook"],
     "strongroom:network.optionalEndpoints", '["notebook", "notebook"]', "distinct services"),
    ("network-typo", "dev", "strongroom:network.vpcCdir", "10.1.0.0/16", "strongroom:network.vpcCdir",
     '"10.1.0.0/16"', "vpcCidr"),
    ("top-level-typo", "dev", "strongroom:netwrok", {"vpcCidr": "10.1.0.0/16"}, "strongroom:netwrok",
     '{"vpcCidr": "10.1.0.0/16"}', "strongroom:network"),
    ("retention-not-allowed", "dev", "strongroom:storage.logRetentionDays", 100,
     "strongroom:storage.logRetentionDays", "100", "90, 120"),
    ("retention-never-expire", "dev", "strongroom:storage.logRetentionDays", 0,
     "strongroom:storage.logRetentionDays", "0", "90, 120"),
    ("retention-too-short", "dev", "strongroom:storage.logRetentionDays", 30,
     "strongroom:storage.logRetentionDays", "30", "90, 120"),
    ("prod-retention-short", "prod", "strongroom:storage.logRetentionDays", 90,
     "strongroom:storage.logRetentionDays", "90", "365, 400"),
    ("noncurrent-out-of-range", "dev", "strongroom:storage.noncurrentVersionExpiryDays", 0,
     "strongroom:storage.noncurrentVersionExpiryDays", "0", "from 1 to 3650"),
    ("domain-bad-name", "dev", "strongroom:storage.dataDomains", ["Payments_EU"],
     "strongroom:storage.dataDomains", '["Payments_EU"]', "lower-case names"),
    ("domain-empty", "dev", "strongroom:storage.dataDomains", [], "strongroom:storage.dataDomains", "[]",
     "1-10 distinct"),
    ("lock-shorter-than-expiry", "dev", "strongroom:backup.objectLockDays", 7,
     "strongroom:backup.objectLockDays", "7", "at least 30"),
    ("lock-days-out-of-range", "dev", "strongroom:backup.objectLockDays", 40000,
     "strongroom:backup.objectLockDays", "40000", "from 1 to 3650"),
    ("lock-mode-unknown", "dev", "strongroom:backup.objectLockMode", "STRICT",
     "strongroom:backup.objectLockMode", '"STRICT"', "GOVERNANCE or COMPLIANCE"),
    ("prod-lock-governance", "prod", "strongroom:backup.objectLockMode", "GOVERNANCE",
     "strongroom:backup.objectLockMode", '"GOVERNANCE"', "COMPLIANCE"),
    ("prod-no-replica", "prod", "strongroom:backup.replicaRegion", DELETE, "strongroom:backup.replicaRegion",
     "(not set)", "eu-west-1"),
    ("replica-equals-primary", "dev", "strongroom:backup.replicaRegion", "eu-west-2",
     "strongroom:backup.replicaRegion", '"eu-west-2"', "other than eu-west-2"),
    ("replica-unknown", "dev", "strongroom:backup.replicaRegion", "eu-west-9",
     "strongroom:backup.replicaRegion", '"eu-west-9"', "commercial AWS region"),
    ("region-unknown", "dev", "aws:region", "eu-westt-2", "aws:region", '"eu-westt-2"',
     "commercial AWS region"),
    ("region-missing", "dev", "aws:region", DELETE, "aws:region", "(not set)", "eu-west-2"),
    ("tag-owner-missing", "dev", "strongroom:tags.owner", DELETE, "strongroom:tags.owner", "(not set)",
     "non-empty tag value"),
    ("tag-owner-empty", "dev", "strongroom:tags.owner", " ", "strongroom:tags.owner", '" "',
     "non-empty tag value"),
    ("tag-cost-center-missing", "dev", "strongroom:tags.cost-center", DELETE, "strongroom:tags.cost-center",
     "(not set)", "non-empty"),
    ("tag-classification-unknown", "dev", "strongroom:tags.data-classification", "secret",
     "strongroom:tags.data-classification", '"secret"', "internal, confidential, restricted"),
    ("tags-missing", "dev", "strongroom:tags", DELETE, "strongroom:tags", "(not set)",
     "owner, cost-center, data-classification"),
    ("tag-bad-characters", "dev", "strongroom:tags.owner", "ml#platform", "strongroom:tags.owner",
     '"ml#platform"', "_ . : / = + - @"),
    ("tag-typo", "dev", "strongroom:tags.costcenter", "CC-1", "strongroom:tags.costcenter", '"CC-1"',
     "cost-center"),
    ("extra-tag-reserved-prefix", "dev", "strongroom:extraTags", {"aws:team": "x"}, "strongroom:extraTags",
     '{"aws:team": "x"}', "no aws: or strongroom: prefix"),
    ("extra-tag-redefines-mandatory", "dev", "strongroom:extraTags", {"owner": "x"}, "strongroom:extraTags",
     '{"owner": "x"}', "no mandatory key"),
    ("extra-tag-value-too-long", "dev", "strongroom:extraTags", {"note": "x" * 300}, "strongroom:extraTags",
     '"note"', "no aws: or strongroom: prefix"),
    ("principal-malformed", "dev", "strongroom:identity.dataScientists", ["DataScientist"],
     "strongroom:identity.dataScientists", '["DataScientist"]', "arn:aws:iam::123456789012:role/"),
    ("principal-wildcard", "dev", "strongroom:identity.modelApprovers", ["arn:aws:iam::111111111111:role/*"],
     "strongroom:identity.modelApprovers", "role/*", "no wildcard"),
    ("principal-root", "dev", "strongroom:identity.adminPrincipals", ["arn:aws:iam::111111111111:root"],
     "strongroom:identity.adminPrincipals", ":root", "no account root"),
    ("principal-short-account", "dev", "strongroom:identity.auditors", ["arn:aws:iam::1111:role/A"],
     "strongroom:identity.auditors", "1111", "IAM role or user ARNs"),
    ("principals-empty", "dev", "strongroom:identity.dataScientists", [],
     "strongroom:identity.dataScientists", "[]", "1 or more"),
    ("approvers-empty", "dev", "strongroom:identity.modelApprovers", [],
     "strongroom:identity.modelApprovers", "[]", "1 or more"),
    ("auditors-missing", "dev", "strongroom:identity.auditors", DELETE,
     "strongroom:identity.auditors", "(not set)", "1 or more"),
    ("auditor-duplicate", "dev", "strongroom:identity.auditors",
     ["arn:aws:iam::111111111111:role/Audit", "arn:aws:iam::111111111111:role/Audit"],
     "strongroom:identity.auditors", "role/Audit", "IAM role or user ARNs"),
    ("human-principals-old-key", "dev", "strongroom:identity.humanPrincipals",
     ["arn:aws:iam::111111111111:role/A"], "strongroom:identity.humanPrincipals", "role/A",
     "dataScientists"),
    ("prod-trainer-approves", "prod", "strongroom:identity.modelApprovers",
     [PROD_DATA_SCIENTIST, "arn:aws:iam::333333333333:role/ModelRisk"], "strongroom:identity.modelApprovers",
     PROD_DATA_SCIENTIST, "not in strongroom:identity.dataScientists"),
    ("prod-trainer-restores", "prod", "strongroom:identity.recoveryOperators",
     [PROD_DATA_SCIENTIST], "strongroom:identity.recoveryOperators",
     PROD_DATA_SCIENTIST, "not in strongroom:identity.dataScientists"),
    ("recovery-wildcard", "dev", "strongroom:identity.recoveryOperators",
     ["arn:aws:iam::111111111111:role/*"], "strongroom:identity.recoveryOperators", "role/*", "no wildcard"),
    ("principals-duplicate", "dev", "strongroom:identity.adminPrincipals",
     ["arn:aws:iam::111111111111:role/A", "arn:aws:iam::111111111111:role/A"],
     "strongroom:identity.adminPrincipals", "role/A", "IAM role or user ARNs"),
    ("oidc-provider-malformed", "dev", "strongroom:identity.deployer.oidcProviderArn", "github",
     "strongroom:identity.deployer.oidcProviderArn", '"github"', "oidc-provider/"),
    ("deployer-repository-wildcard", "dev", "strongroom:identity.deployer.githubRepository", "northbank/*",
     "strongroom:identity.deployer.githubRepository", '"northbank/*"', "no wildcard"),
    ("deployer-environment-missing", "dev", "strongroom:identity.deployer.githubEnvironment", DELETE,
     "strongroom:identity.deployer.githubEnvironment", "(not set)", "e.g. prod"),
    ("deployer-subjects-old-key", "dev", "strongroom:identity.deployer.subjects", ["repo:a/b:*"],
     "strongroom:identity.deployer.subjects", "repo:a/b:*", "githubRepository"),
    ("identity-boundaries-not-a-key", "prod", "strongroom:identity.permissionBoundaries", False,
     "strongroom:identity.permissionBoundaries", "false", "modelApprovers"),
    ("domain-reserved", "dev", "strongroom:storage.dataDomains", ["models"],
     "strongroom:storage.dataDomains", '["models"]', "not models"),
    ("prod-mfa-off", "prod", "strongroom:identity.requireMfa", False, "strongroom:identity.requireMfa",
     "false", "true"),
    ("prod-trail-off", "prod", "strongroom:audit.trail", False, "strongroom:audit.trail", "false", "true"),
    ("prod-alerts-off", "prod", "strongroom:alerts.enabled", False, "strongroom:alerts.enabled", "false",
     "true"),
    ("prod-alerts-no-email", "prod", "strongroom:alerts.emails", [], "strongroom:alerts.emails", "[]",
     "at least one e-mail"),
    ("email-malformed", "dev", "strongroom:alerts.emails", ["alerts-at-northbank"],
     "strongroom:alerts.emails", '["alerts-at-northbank"]', "e-mail addresses"),
    ("bool-not-bool", "dev", "strongroom:audit.trail", "maybe", "strongroom:audit.trail", '"maybe"',
     "true or false"),
    ("workspace-typo", "dev", "strongroom:workspace.studioo", True, "strongroom:workspace.studioo", "true",
     "studio"),
    ("notebook-type-bad", "dev", "strongroom:workspace.notebookInstanceType", "t3.medium",
     "strongroom:workspace.notebookInstanceType", '"t3.medium"', "ml.t3.medium"),
    ("section-not-object", "dev", "strongroom:storage", "payments", "strongroom:storage", '"payments"',
     "an object"),
    ("stack-name-bad", "Prod_1", "strongroom:audit.trail", True, "stack", '"Prod_1"', "lower-case"),
]


@pytest.mark.parametrize(
    ("stack", "path", "value", "key", "shown", "accepted"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_config_is_refused_naming_file_key_value_and_accepted(
    stack: str, path: str, value: Any, key: str, shown: str, accepted: str
) -> None:
    base = "prod" if stack.startswith("prod") else "dev"
    config = mutate(stack_config(base), path, value)
    source = f"stacks/Pulumi.{stack}.yaml"
    with pytest.raises(ConfigError) as caught:
        load_settings(stack, flatten(config), source)
    lines = [line.strip() for line in str(caught.value).splitlines()[1:]]
    matching = [line for line in lines if line.startswith(f"{source}: {key} = ")]
    assert matching, f"no line names {key!r}:\n{caught.value}"
    line = matching[0]
    assert shown in line.split(": ", 1)[1], line
    assert "; accepted: " in line and accepted in line.split("; accepted: ", 1)[1], line


def test_shipped_stacks_separate_who_trains_from_who_approves() -> None:
    for stack in ("dev", "staging", "prod"):
        identity = load(stack, stack_config(stack)).identity
        assert identity.self_approvers == (), stack
        assert identity.data_scientists and identity.model_approvers and identity.auditors, stack
    assert PROD_DATA_SCIENTIST in load("prod", stack_config("prod")).identity.data_scientists


def test_outside_prod_a_data_scientist_may_also_approve() -> None:
    config = stack_config("dev")
    scientist = config["strongroom:identity"]["dataScientists"][0]
    settings = load("dev", mutate(config, "strongroom:identity.modelApprovers", [scientist]))
    assert settings.identity.self_approvers == (scientist,)


def test_bad_config_table_is_large_enough() -> None:
    assert len(BAD) >= 30


def test_readme_config_reference_is_generated_from_the_model() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- section:config -->", 1)[1].split("<!-- /section:config -->", 1)[0]
    assert config_reference_markdown() in section, "README config table drifted: regenerate it"


def test_insecure_options_are_found_in_any_section_by_their_name() -> None:
    class Section(_Section):
        allow_public_read: bool = False
        insecure_tls: bool = False
        studio: bool = True

    class Top(_Section):
        section: Section = Section()
        allow_root: bool = False

    on = Top(section=Section(allow_public_read=True), allow_root=True)
    assert list(insecure_options(on, "strongroom:x")) == [
        ("strongroom:x.section.allowPublicRead", True),
        ("strongroom:x.allowRoot", True),
    ]
    assert list(insecure_options(Top())) == []


# strongroom:audit.insights / organizationTrail (issue 9, item 8)
# fmt: off
AUDIT_BAD = [
    ("org-trail-without-organization", "dev",
     {"strongroom:audit.organizationTrail": True, "strongroom:perimeter.organizationId": DELETE},
     "strongroom:audit.organizationTrail", "true", "strongroom:perimeter.organizationId"),
    ("org-trail-without-trail", "dev",
     {"strongroom:audit": {"trail": False, "organizationTrail": True}},
     "strongroom:audit.organizationTrail", "true", "strongroom:audit.trail true"),
    ("insights-off-in-prod", "prod", {"strongroom:audit.insights": False},
     "strongroom:audit.insights", "false", "true"),
    ("insights-not-bool", "dev", {"strongroom:audit.insights": "maybe"},
     "strongroom:audit.insights", '"maybe"', "true or false"),
]
# fmt: on


@pytest.mark.parametrize(
    ("stack", "changes", "key", "shown", "accepted"),
    [case[1:] for case in AUDIT_BAD],
    ids=[case[0] for case in AUDIT_BAD],
)
def test_bad_audit_settings_are_refused_naming_key_value_and_accepted(
    stack: str, changes: dict[str, Any], key: str, shown: str, accepted: str
) -> None:
    config = stack_config(stack)
    for path, value in changes.items():
        config = mutate(config, path, value)
    source = f"stacks/Pulumi.{stack}.yaml"
    with pytest.raises(ConfigError) as caught:
        load_settings(stack, flatten(config), source)
    lines = [line.strip() for line in str(caught.value).splitlines()[1:]]
    matching = [line for line in lines if line.startswith(f"{source}: {key} = ")]
    assert matching, f"no line names {key!r}:\n{caught.value}"
    assert shown in matching[0].split(": ", 1)[1], matching[0]
    assert accepted in matching[0].split("; accepted: ", 1)[1], matching[0]


def test_audit_defaults_insights_on_no_organization_trail_and_dev_may_turn_insights_off() -> None:
    audit = load("prod", stack_config("prod")).audit
    assert (audit.insights, audit.organization_trail) == (True, False)
    dev = load("dev", mutate(stack_config("dev"), "strongroom:audit.insights", False))
    assert dev.audit.insights is False
    org = load("prod", mutate(stack_config("prod"), "strongroom:audit.organizationTrail", True))
    assert org.audit.organization_trail is True


def test_key_administrators_outside_the_deploy_account_are_refused_before_any_resource() -> None:
    settings = load("dev", stack_config("dev"))
    check_deploy_account(settings, "123456789012")  # the stack's own admins: accepted
    with pytest.raises(ConfigError) as raised:
        check_deploy_account(settings, "444444444444")
    message = str(raised.value)
    assert "stacks/Pulumi.dev.yaml: strongroom:identity.adminPrincipals = [" in message
    assert "not in account 444444444444" in message
    assert "accepted: principals of account 444444444444 only" in message
