"""MlRoles under the recording mock monitor: every role bounded, scoped, trusted only as configured."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.components.identity import MlRoles, MlRolesArgs
from strongroom.components.policydocs import iam
from strongroom.engine import PlanResource, Recorder

ACCOUNT = "123456789012"
REGION = "eu-west-2"
SSO = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-2"
PRINCIPAL = f"{SSO}/AWSReservedSSO_DataScience_0a1b"
APPROVER = f"{SSO}/AWSReservedSSO_ModelRisk_1b2c"
AUDITOR = f"{SSO}/AWSReservedSSO_InternalAudit_2c3d"
DATA_BUCKETS = [
    "arn:aws:s3:::dev-data-payments-bucket-1a2b3c4",
    "arn:aws:s3:::dev-data-credit-risk-bucket-5e6f",
]
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def key(n: int) -> str:
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b0{n}"


def make_args(**overrides: Any) -> MlRolesArgs:
    values: dict[str, Any] = {
        "data_bucket_arns": DATA_BUCKETS,
        "model_bucket_arn": "arn:aws:s3:::dev-models-bucket-1a2b3c4",
        "data_key_arn": key(1),
        "model_key_arn": key(2),
        "logs_key_arn": key(3),
        "subnet_ids": ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"],
        "security_group_ids": ["sg-0a1b2c3d4e5f60718"],
        "data_scientist_principal_arns": [PRINCIPAL],
        "model_approver_principal_arns": [APPROVER],
        "auditor_principal_arns": [AUDITOR],
        "iam_path": "/strongroom/dev/",
        "extra_bucket_arns": ["arn:aws:s3:::dev-backup-bucket-1a2b3c4"],
        "extra_key_arns": [key(4)],
        "github_repository": "bank/strongroom",
        "github_environment": "dev",
        "environment": "dev",
    }
    values.update(overrides)
    return MlRolesArgs(**values)


def build(mocks: Recorder, **overrides: Any) -> Recorder:
    mocks.run(lambda: MlRoles("dev-roles", make_args(**overrides)))
    return mocks


def doc(resource: PlanResource, prop: str) -> dict[str, Any]:
    value = resource.inputs[prop]
    return json.loads(value) if isinstance(value, str) else value


def roles(mocks: Recorder) -> dict[str, PlanResource]:
    return {r.name.removeprefix("dev-roles-"): r for r in mocks.of_type(ROLE)}


@pytest.fixture
def built(pulumi_mocks: Recorder) -> Recorder:
    return build(pulumi_mocks)


def test_creates_the_five_roles_under_the_iam_path(built: Recorder) -> None:
    found = roles(built)
    assert set(found) == {
        "data-scientist",
        "training",
        "studio-execution",
        "model-approver",
        "auditor",
        "deployer",
    }
    for r in found.values():
        assert r.inputs["path"] == "/strongroom/dev/", r.urn


def test_every_role_has_a_permission_boundary(built: Recorder) -> None:
    boundaries = {p.name: p for p in built.of_type(POLICY)}
    workload = boundaries["dev-roles-boundary"]
    assert workload.inputs["name"] == "dev-roles-boundary"
    for name, r in roles(built).items():
        assert r.inputs.get("permissionsBoundary"), f"{r.urn} has no permissions boundary"
        expected = "dev-roles-deployer-boundary" if name == "deployer" else "dev-roles-boundary"
        assert r.inputs["permissionsBoundary"].endswith(f":policy/strongroom/dev/{expected}"), r.urn


def test_every_policy_document_passes_the_lint(built: Recorder) -> None:
    for r in built.of_type(ROLE_POLICY) + built.of_type(POLICY):
        iam.lint(doc(r, "policy"))
    for r in built.of_type(ROLE):
        assert "*" not in json.dumps(doc(r, "assumeRolePolicy")["Statement"][0]["Principal"]), r.urn


def test_no_role_policy_has_a_star_action_or_passrole_on_star(built: Recorder) -> None:
    for r in built.of_type(ROLE_POLICY):
        for stmt in doc(r, "policy")["Statement"]:
            actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
            assert not any("*" in a for a in actions), r.urn
            if "iam:PassRole" in actions:
                assert "*" not in stmt["Resource"], r.urn


def test_each_human_role_trusts_only_its_own_principals(built: Recorder) -> None:
    found = roles(built)
    for name, principal in (("model-approver", APPROVER), ("auditor", AUDITOR)):
        (stmt,) = doc(found[name], "assumeRolePolicy")["Statement"]
        assert stmt["Principal"] == {"AWS": [principal]}, found[name].urn
        # Identity Center sessions never carry aws:MultiFactorAuthPresent: MFA is Identity Center's own.
        assert stmt["Condition"] == {"Null": {"sts:SourceIdentity": "false"}}, found[name].urn
        assert stmt["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"], found[name].urn
    # The person's role is no longer an execution role: SageMaker is not trusted.
    ds = doc(found["data-scientist"], "assumeRolePolicy")["Statement"]
    assert [s["Principal"] for s in ds] == [{"AWS": [PRINCIPAL]}]


def test_human_roles_trust_principals_only_inside_the_organization_when_set(pulumi_mocks: Recorder) -> None:
    found = roles(build(pulumi_mocks, organization_id="o-nb7k2x9q4m"))
    for name in ("data-scientist", "model-approver", "auditor"):
        stmt = doc(found[name], "assumeRolePolicy")["Statement"][0]
        assert stmt["Condition"] == {
            "Null": {"sts:SourceIdentity": "false"},
            "StringEquals": {"aws:PrincipalOrgID": "o-nb7k2x9q4m"},
        }, found[name].urn


def test_a_data_scientist_may_not_also_approve_unless_allowed(pulumi_mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"^model_approver_principal_arns: .*must not approve"):
        make_args(model_approver_principal_arns=[APPROVER, PRINCIPAL])
    found = roles(build(pulumi_mocks, model_approver_principal_arns=[PRINCIPAL], allow_self_approval=True))
    (stmt,) = doc(found["model-approver"], "assumeRolePolicy")["Statement"]
    assert stmt["Principal"] == {"AWS": [PRINCIPAL]}, found["model-approver"].urn


def test_data_roles_name_each_data_bucket_exactly(built: Recorder) -> None:
    policies = {r.name.removeprefix("dev-roles-"): r for r in built.of_type(ROLE_POLICY)}
    for name in ("data-scientist-policy", "training-policy"):
        text = json.dumps(doc(policies[name], "policy"))
        for bucket in DATA_BUCKETS:
            assert f"{bucket}/curated/*" in text, policies[name].urn
        assert "-data-*" not in text, policies[name].urn


def test_mfa_condition_on_iam_principals_dropped_only_when_asked(pulumi_mocks: Recorder) -> None:
    iam_role = f"arn:aws:iam::{ACCOUNT}:role/Auditors"
    found = roles(build(pulumi_mocks, auditor_principal_arns=[AUDITOR, iam_role]))
    sso, other = doc(found["auditor"], "assumeRolePolicy")["Statement"]
    assert sso["Principal"] == {"AWS": [AUDITOR]} and "Bool" not in sso["Condition"]
    assert other["Principal"] == {"AWS": [iam_role]}
    assert other["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}, found["auditor"].urn


def test_mfa_and_source_identity_conditions_dropped_only_when_asked(pulumi_mocks: Recorder) -> None:
    iam_role = f"arn:aws:iam::{ACCOUNT}:role/Auditors"
    found = roles(
        build(
            pulumi_mocks,
            auditor_principal_arns=[iam_role],
            require_mfa=False,
            require_source_identity=False,
        )
    )
    (stmt,) = doc(found["auditor"], "assumeRolePolicy")["Statement"]
    assert "Condition" not in stmt, found["auditor"].urn
    assert stmt["Action"] == "sts:AssumeRole"


def test_training_role_trusted_by_sagemaker_in_this_account(built: Recorder) -> None:
    r = roles(built)["training"]
    (stmt,) = doc(r, "assumeRolePolicy")["Statement"]
    assert stmt["Principal"] == {"Service": "sagemaker.amazonaws.com"}, r.urn
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, r.urn


def test_deployer_trusted_by_github_oidc_for_one_repo_environment(built: Recorder) -> None:
    r = roles(built)["deployer"]
    (stmt,) = doc(r, "assumeRolePolicy")["Statement"]
    assert stmt["Principal"] == {
        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    }, r.urn
    assert stmt["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:bank/strongroom:environment:dev"
    )


def test_no_deployer_without_github_repository(pulumi_mocks: Recorder) -> None:
    found = roles(build(pulumi_mocks, github_repository=None, github_environment=None))
    assert "deployer" not in found
    assert "dev-roles-deployer-boundary" not in {p.name for p in pulumi_mocks.of_type(POLICY)}


def test_data_scientist_passes_only_the_training_and_execution_roles(built: Recorder) -> None:
    policy = next(r for r in built.of_type(ROLE_POLICY) if r.name == "dev-roles-data-scientist-policy")
    passes = [s for s in doc(policy, "policy")["Statement"] if "iam:PassRole" in s["Action"]]
    found = roles(built)
    passed = sorted([found["training"].outputs["arn"], found["studio-execution"].outputs["arn"]])
    assert [s["Resource"] for s in passes] == [passed], policy.urn
    assert passes[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_guardrails_attached_to_people_and_job_roles(built: Recorder) -> None:
    attachments = built.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    attached = {a.name for a in attachments if a.name.endswith("-guardrails")}
    # The deployer too: SageMaker resources it creates obey the same guardrails.
    assert attached == {
        "dev-roles-data-scientist-guardrails",
        "dev-roles-studio-execution-guardrails",
        "dev-roles-training-guardrails",
        "dev-roles-model-approver-guardrails",
        "dev-roles-deployer-guardrails",
    }
    guard = next(p for p in built.of_type(POLICY) if p.name == "dev-roles-guardrails")
    sids = {s["Sid"] for s in doc(guard, "policy")["Statement"]}
    assert {"DenyWithoutVpcSubnets", "DenyDisabledNetworkIsolation", "DenyForeignOutputKmsKey"} <= sids


SAGEMAKER_GUARDRAILS: list[dict[str, Any]] = [
    {
        "Sid": "DenyNotebookInternet",
        "Effect": "Deny",
        "Action": ["sagemaker:CreateNotebookInstance"],
        "Resource": ["*"],
        "Condition": {"StringEqualsIfExists": {"sagemaker:DirectInternetAccess": "Enabled"}},
    },
    {
        "Sid": "DenyNotebookRootAccess",
        "Effect": "Deny",
        "Action": ["sagemaker:CreateNotebookInstance", "sagemaker:UpdateNotebookInstance"],
        "Resource": ["*"],
        "Condition": {"StringEqualsIfExists": {"sagemaker:RootAccess": "Enabled"}},
    },
    {
        "Sid": "DenyPublicStudio",
        "Effect": "Deny",
        "Action": ["sagemaker:CreateDomain", "sagemaker:UpdateDomain"],
        "Resource": ["*"],
        "Condition": {"StringEqualsIfExists": {"sagemaker:AppNetworkAccessType": "PublicInternetOnly"}},
    },
]
"""Deny notebooks with direct internet or root, and Studio domains outside VpcOnly, exactly as reviewed:
removing a statement, turning it into an Allow, dropping an action or renaming the condition key (a key
absent from the request never matches, so the Deny would never apply) fails the test."""


@pytest.mark.parametrize("expected", SAGEMAKER_GUARDRAILS, ids=[s["Sid"] for s in SAGEMAKER_GUARDRAILS])
def test_guardrail_policy_denies_notebook_internet_root_and_public_studio(
    built: Recorder, expected: dict[str, Any]
) -> None:
    guard = next(p for p in built.of_type(POLICY) if p.name == "dev-roles-guardrails")
    found = [s for s in doc(guard, "policy")["Statement"] if s.get("Sid") == expected["Sid"]]
    assert found == [expected], guard.urn


def test_boundary_documents_fit_the_managed_policy_limit(built: Recorder) -> None:
    for p in built.of_type(POLICY):
        assert iam.managed_policy_size(doc(p, "policy")) <= iam.MANAGED_POLICY_MAX_CHARS, p.urn


def test_outputs_are_the_roles_arns_and_names(built: Recorder) -> None:
    component = next(r for r in built.resources if r.type == "strongroom:index:MlRoles")
    found = roles(built)
    assert component.outputs["training_role_arn"] == found["training"].outputs["arn"], component.urn
    assert component.outputs["auditor_role_arn"] == found["auditor"].outputs["arn"], component.urn
    assert component.outputs["deployer_role_arn"] == found["deployer"].outputs["arn"], component.urn
    assert sorted(component.outputs["role_names"]) == sorted(r.outputs["name"] for r in found.values())
    boundary = next(p for p in built.of_type(POLICY) if p.name == "dev-roles-boundary")
    assert component.outputs["boundary_policy_arn"] == boundary.outputs["arn"], component.urn


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"data_scientist_principal_arns": ["*"]}, "data_scientist_principal_arns"),
        ({"auditor_principal_arns": [f"arn:aws:iam::{ACCOUNT}:root"]}, "auditor_principal_arns"),
        ({"model_approver_principal_arns": []}, "at least one"),
        ({"data_bucket_arns": []}, "data_bucket_arns"),
        ({"data_bucket_arns": ["arn:aws:s3:::dev-data-*"]}, "data_bucket_arns"),
        ({"iam_path": "strongroom"}, "iam_path"),
        ({"production_prefix": "experiments/"}, "production_prefix"),
        ({"production_prefix": "candidates/prod/"}, "production_prefix"),
        ({"curated_prefix": "curated"}, "curated_prefix"),
        ({"curated_prefix": "cur*/"}, "curated_prefix"),
        ({"github_environment": None}, "github_repository/github_environment"),
        ({"github_repository": "bank/*"}, "github repository"),
        ({"github_environment": "*"}, "github environment"),
        ({"organization_id": "o-*"}, "organization_id"),
        ({"organization_id": "123456789012"}, "organization_id"),
        ({"event_regions": ["us-east-*"]}, "event_regions"),
        ({"event_regions": ["us-east-1", "us-east-1"]}, "names a region twice"),
        ({"region": "eu-west-2", "event_regions": ["eu-west-2"]}, "other than the home region"),
    ],
)
def test_args_refuse_weakening_values(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_args(**overrides)


def test_the_auditor_reads_the_stack_rules_in_the_event_regions_within_its_boundary(
    pulumi_mocks: Recorder,
) -> None:
    built = build(pulumi_mocks, event_regions=["us-east-1", "eu-west-1"], name_prefix="sr-dev-")
    policy = next(p for p in built.of_type(ROLE_POLICY) if p.name == "dev-roles-auditor-policy")
    (rules,) = [s for s in doc(policy, "policy")["Statement"] if s["Sid"] == "ReadRules"]
    expected = [
        f"arn:aws:events:{r}:{ACCOUNT}:rule/sr-dev-*" for r in ("eu-west-1", "eu-west-2", "us-east-1")
    ]
    assert rules["Resource"] == expected
    boundary = next(p for p in built.of_type(POLICY) if p.name == "dev-roles-boundary")
    (other,) = [s for s in doc(boundary, "policy")["Statement"] if s["Sid"].startswith("CeilingOtherRegion")]
    assert other["Action"] == ["events:DescribeRule", "events:ListTargetsByRule"]
    assert other["Resource"] == [expected[0], expected[2]]
    assert roles(built)["auditor"].inputs["permissionsBoundary"] == boundary.outputs["arn"]


def test_studio_execution_role_is_trusted_by_sagemaker_of_this_account_only(built: Recorder) -> None:
    r = roles(built)["studio-execution"]
    (stmt,) = doc(r, "assumeRolePolicy")["Statement"]
    assert stmt["Principal"] == {"Service": "sagemaker.amazonaws.com"}, r.urn
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, r.urn
    assert r.inputs["permissionsBoundary"].endswith(":policy/strongroom/dev/dev-roles-boundary")
    policy = next(p for p in built.of_type(ROLE_POLICY) if p.name == "dev-roles-studio-execution-policy")
    actions = {a for s in doc(policy, "policy")["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    assert not actions & {"sagemaker:CreatePresignedDomainUrl", "sagemaker:UpdateModelPackage"}
    assert {"s3:GetObject", "kms:Decrypt", "logs:PutLogEvents"} <= actions


def test_sign_in_urls_only_for_the_own_profile_through_the_endpoint_or_bank_ranges(
    pulumi_mocks: Recorder,
) -> None:
    build(
        pulumi_mocks,
        studio_domain_ids=["d-92143kt35iy7"],
        sign_in_endpoint_ids=["vpce-0a1b2c3d4e5f60718"],
        sign_in_cidrs=["203.0.113.0/24"],
        notebook_sign_in=True,
    )
    policy = next(p for p in pulumi_mocks.of_type(ROLE_POLICY) if p.name == "dev-roles-data-scientist-policy")
    statements = doc(policy, "policy")["Statement"]
    signing = [s for s in statements if set(s["Action"]) & set(iam.SIGN_IN_ACTIONS)]
    assert {s["Sid"] for s in signing} == {
        "OpenOwnStudioProfileThroughVpcEndpoint",
        "OpenOwnStudioProfileFromBankNetwork",
        "OpenOwnNotebookThroughVpcEndpoint",
        "OpenOwnNotebookFromBankNetwork",
    }
    for s in signing:
        owner = s["Condition"]["StringEquals"][f"aws:ResourceTag/{iam.STUDIO_USER_TAG}"]
        assert owner == "${aws:SourceIdentity}", s["Sid"]
        source = s["Condition"]["StringEquals"].get("aws:SourceVpce") or s["Condition"]["IpAddress"]
        assert source in (["vpce-0a1b2c3d4e5f60718"], {"aws:SourceIp": ["203.0.113.0/24"]}), s["Sid"]


def test_no_sign_in_url_without_an_endpoint_or_range(pulumi_mocks: Recorder) -> None:
    build(pulumi_mocks, studio_domain_ids=["d-92143kt35iy7"])
    policy = next(p for p in pulumi_mocks.of_type(ROLE_POLICY) if p.name == "dev-roles-data-scientist-policy")
    text = json.dumps(doc(policy, "policy"))
    assert "CreatePresignedDomainUrl" not in text


def test_only_the_approver_approves_and_promotes_its_models(pulumi_mocks: Recorder) -> None:
    build(pulumi_mocks, models=["credit-pd"], name_prefix="dev-")
    policies = {
        p.name.removeprefix("dev-roles-"): doc(p, "policy") for p in pulumi_mocks.of_type(ROLE_POLICY)
    }
    group = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/dev-credit-pd"
    for name in ("data-scientist-policy", "training-policy", "studio-execution-policy"):
        register = next(s for s in policies[name]["Statement"] if s["Sid"] == "RegisterPendingModelPackages")
        assert register["Condition"] == {
            "StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
        }, name
        assert group in register["Resource"], name
        denied = {s["Sid"] for s in policies[name]["Statement"] if s["Effect"] == "Deny"}
        assert {"DenyModelApproval", "DenyApprovedRegistration"} <= denied, name
        allowed = {a for s in policies[name]["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
        assert "sagemaker:UpdateModelPackage" not in allowed, name
    approver = {s["Sid"]: s for s in policies["model-approver-policy"]["Statement"]}
    assert "sagemaker:UpdateModelPackage" in approver["ApproveModelPackage"]["Action"]
    assert approver["PromoteToProduction"]["Resource"] == [
        "arn:aws:s3:::dev-models-bucket-1a2b3c4/production/credit-pd/*"
    ]
    assert roles(pulumi_mocks)["model-approver"].inputs["tags"][iam.DUTY_TAG] == iam.MODEL_APPROVER_DUTY


def test_models_are_validated() -> None:
    with pytest.raises(ValueError, match=r"^models: "):
        make_args(models=["Credit PD"])
    with pytest.raises(ValueError, match=r"^models: "):
        make_args(models=["credit-pd", "credit-pd"])


def test_the_deployer_passes_the_execution_role_never_the_persons(built: Recorder) -> None:
    statements = {
        s["Sid"]: s
        for p in built.of_type(POLICY)
        if p.name.startswith("dev-roles-deployer-") and p.name != "dev-roles-deployer-boundary"
        for s in doc(p, "policy")["Statement"]
    }
    passes, humans = statements["PassToSagemaker"], statements["DenyPassHumanRoles"]
    found = roles(built)
    assert found["studio-execution"].outputs["arn"] in passes["Resource"]
    assert found["training"].outputs["arn"] in passes["Resource"]
    assert found["data-scientist"].outputs["arn"] not in passes["Resource"]
    assert found["data-scientist"].outputs["arn"] in humans["Resource"]


def test_a_standalone_deployer_is_granted_the_iam_types_mlroles_creates_only(built: Recorder) -> None:
    policies = {
        p.name: doc(p, "policy") for p in built.of_type(POLICY) if p.name.startswith("dev-roles-deployer-")
    }
    assert len(policies) == 7  # five allow slots, the denies, the boundary
    granted = {
        a
        for name, d in policies.items()
        if name != "dev-roles-deployer-boundary"
        for s in d["Statement"]
        if s["Effect"] == "Allow"
        for a in s["Action"]
    }
    assert {a.split(":")[0] for a in granted} == {"iam", "sts"}
    assert "iam:CreatePolicyVersion" not in granted
    denies = policies["dev-roles-deployer-5"]["Statement"]
    assert all(s["Effect"] == "Deny" for s in denies)
    deployer = roles(built)["deployer"]
    assert deployer.inputs["permissionsBoundary"] == built.named("dev-roles-deployer-boundary").outputs["arn"]
    assert not [p for p in built.of_type(ROLE_POLICY) if p.name.startswith("dev-roles-deployer")]


def test_the_deployer_passes_the_listed_service_roles_each_to_its_service(pulumi_mocks: Recorder) -> None:
    flow = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-network-flow-logs-role-1a2b3c4"
    built = build(pulumi_mocks, deployer_passable_roles=[["vpc-flow-logs.amazonaws.com", flow]])
    statements = {
        s["Sid"]: s
        for p in built.of_type(POLICY)
        if p.name.startswith("dev-roles-deployer-") and p.name != "dev-roles-deployer-boundary"
        for s in doc(p, "policy")["Statement"]
    }
    assert statements["PassToVpcFlowLogs"]["Resource"] == [flow]
    assert statements["PassToVpcFlowLogs"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}
    }
    assert flow not in statements["PassToSagemaker"]["Resource"]


def test_the_recorder_records_types_regions_aliases_and_the_arns_aws_assigns(pulumi_mocks: Recorder) -> None:
    import pulumi
    import pulumi_aws as aws

    from strongroom.components.identity import PlannedTypesRecorder

    recorder = PlannedTypesRecorder("eu-west-2")
    snapshot: dict[str, Any] = {}

    def program() -> None:
        parent = pulumi.ComponentResource(
            "test:index:Parent", "p", None, pulumi.ResourceOptions(transformations=[recorder])
        )
        child = pulumi.ResourceOptions(parent=parent)
        aws.kms.Alias("a", name="alias/strongroom-dev-x", target_key_id="k", opts=child)
        aws.cloudwatch.EventRule("r", region="us-east-1", event_pattern="{}", opts=child)
        aws.route53.ResolverFirewallRuleGroup("g", name="sr-dev-dns", opts=child)
        pulumi.Output.from_input(recorder.snapshot()).apply(snapshot.update)

    pulumi_mocks.run(program)
    assert snapshot["types"] == {
        "aws:kms/alias:Alias": ["eu-west-2"],
        "aws:cloudwatch/eventRule:EventRule": ["us-east-1"],
        "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": ["eu-west-2"],
    }
    assert snapshot["aliases"] == ["alias/strongroom-dev-x"]
    (group,) = pulumi_mocks.of_type("aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup")
    assert snapshot["arns"] == {
        "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": [group.outputs["arn"]]
    }


RECOVERY = f"{SSO}/AWSReservedSSO_OnCallRecovery_3d4e"
BACKUPS = ["arn:aws:s3:::dev-backup-payments-bucket-1a2b3c4"]
REPLICAS = ["arn:aws:s3:::dev-backup-payments-replica-bucket-5e6f"]


def test_no_recovery_role_without_recovery_principals(built: Recorder) -> None:
    assert "recovery" not in roles(built)


def test_the_recovery_role_reads_every_copy_writes_new_versions_and_deletes_nothing(
    pulumi_mocks: Recorder,
) -> None:
    build(
        pulumi_mocks,
        recovery_principal_arns=[RECOVERY],
        backup_bucket_arns=BACKUPS,
        replica_bucket_arns=REPLICAS,
        backup_key_arns=[key(4), key(5)],
        signing_key_arn=key(6),
    )
    found = roles(pulumi_mocks)
    role = found["recovery"]
    assert role.inputs["tags"][iam.DUTY_TAG] == iam.RECOVERY_DUTY
    assert role.inputs["permissionsBoundary"].endswith(":policy/strongroom/dev/dev-roles-boundary")
    (trust,) = doc(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"AWS": [RECOVERY]}
    policy = next(p for p in pulumi_mocks.of_type(ROLE_POLICY) if p.name == "dev-roles-recovery-policy")
    statements = {s["Sid"]: s for s in doc(policy, "policy")["Statement"]}
    actions = {a for s in statements.values() for a in iam._as_list(s["Action"])}
    assert not [a for a in actions if "Delete" in a or "Bypass" in a or "Lifecycle" in a], actions
    written = [*DATA_BUCKETS, "arn:aws:s3:::dev-models-bucket-1a2b3c4"]
    assert statements["RestoreAsNewVersion"]["Resource"] == sorted(f"{b}/*" for b in written)
    assert statements["ReadVersions"]["Resource"] == sorted(f"{b}/*" for b in [*written, *BACKUPS, *REPLICAS])
    assert "s3:ListBucketVersions" in statements["ListVersions"]["Action"]
    assert statements["UseKeys"]["Resource"] == sorted([key(1), key(2)])  # encrypts the restored copies
    assert statements["DecryptCopies"] == {
        "Sid": "DecryptCopies",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": sorted([key(4), key(5)]),
    }
    assert statements["VerifyManifests"]["Resource"] == [key(6)]
    assert statements["ReadObjectLock"]["Resource"] == sorted([*BACKUPS, *REPLICAS])
    # The boundary lets it (its actions are in the workload ceiling).
    boundary = next(p for p in pulumi_mocks.of_type(POLICY) if p.name == "dev-roles-boundary")
    ceiling = {
        a
        for s in doc(boundary, "policy")["Statement"]
        if s["Effect"] == "Allow"
        for a in iam._as_list(s["Action"])
    }
    assert {"s3:ListBucketVersions", "s3:GetObjectVersionAttributes", "s3:PutObject"} <= ceiling
    assert "cloudwatch:Get*" in ceiling
    # The deployer never hands it to a service: it is a person's role.
    assert found["recovery"].inputs["path"] == "/strongroom/dev/"


def test_recovery_principals_are_validated() -> None:
    with pytest.raises(ValueError, match=r"^recovery_principal_arns: "):
        make_args(recovery_principal_arns=["arn:aws:iam::123456789012:root"])
