"""The examples other teams copy: each is a runnable Pulumi root that plans offline, builds the components
it claims with no way out to the internet, passes Strongroom's policy pack, and reports bad config as a
config error naming the stack file and the key."""

from __future__ import annotations

import fnmatch
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from strongroom.check import check_plan
from strongroom.engine import Plan, load_project, load_stack_config, run_plan
from strongroom.errors import UsageError
from strongroom.report import Report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

FORBIDDEN_TYPES = (
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
)


@dataclass(frozen=True)
class Example:
    folder: str
    stack: str
    project: str
    components: dict[str, int]
    """Strongroom component type -> how many the example creates (top-level and nested)."""
    absent: tuple[str, ...]
    """Types the example must not create."""


DATA_ONLY = Example(
    folder="data-only-team",
    stack="dev",
    project="payments-data",
    components={
        "strongroom:index:KeyRing": 1,
        "strongroom:index:PrivateNetwork": 1,
        "strongroom:index:SecureBucket": 3,
    },
    absent=(
        "strongroom:index:MlRoles",
        "strongroom:index:MlWorkspace",
        "strongroom:index:BackupVault",
        "strongroom:index:SecureMlEnvironment",
        "aws:sagemaker/domain:Domain",
    ),
)
BRING_YOUR_OWN_NETWORK = Example(
    folder="bring-your-own-network",
    stack="dev",
    project="fraud-models",
    components={
        "strongroom:index:KeyRing": 1,
        "strongroom:index:SecureBucket": 5,
        "strongroom:index:BackupVault": 1,
        "strongroom:index:MlRoles": 1,
    },
    absent=(
        "strongroom:index:PrivateNetwork",
        "strongroom:index:MlWorkspace",
        "strongroom:index:SecureMlEnvironment",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
    ),
)
TRAINING_PIPELINE = Example(
    folder="training-pipeline",
    stack="dev",
    project="training-pipeline",
    components={"strongroom:index:KeyRing": 1, "strongroom:index:SecureBucket": 2},
    absent=(
        "strongroom:index:PrivateNetwork",
        "strongroom:index:MlRoles",
        "strongroom:index:MlWorkspace",
        "strongroom:index:BackupVault",
        "strongroom:index:SecureMlEnvironment",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
    ),
)
ALL = (DATA_ONLY, BRING_YOUR_OWN_NETWORK, TRAINING_PIPELINE)


def _id(example: Example) -> str:
    return example.folder


@pytest.fixture(scope="session")
def plans() -> dict[str, Plan]:
    return {e.folder: run_plan(EXAMPLES / e.folder, e.stack) for e in ALL}


@pytest.fixture(scope="session")
def reports(plans: dict[str, Plan]) -> dict[str, Report]:
    result = {}
    for e in ALL:
        config = load_stack_config(load_project(EXAMPLES / e.folder), e.stack)
        result[e.folder] = check_plan(plans[e.folder], config=config.values)
    return result


def _stack_config(example: Example) -> dict[str, object]:
    data = yaml.safe_load((EXAMPLES / example.folder / f"Pulumi.{example.stack}.yaml").read_text())
    config: dict[str, object] = data["config"]
    return config


@pytest.mark.parametrize("example", ALL, ids=_id)
def test_example_is_its_own_pulumi_project(example: Example, plans: dict[str, Plan]) -> None:
    project = load_project(EXAMPLES / example.folder)
    assert project.name == example.project != "strongroom"
    assert project.entry.name == "__main__.py"
    assert plans[example.folder].project == example.project
    assert plans[example.folder].stack == example.stack


@pytest.mark.parametrize("example", ALL, ids=_id)
def test_example_builds_its_components_and_nothing_else(example: Example, plans: dict[str, Plan]) -> None:
    plan = plans[example.folder]
    for type_, count in example.components.items():
        found = [r.name for r in plan.of_type(type_)]
        assert len(found) == count, f"{example.folder}: {type_} expected {count}, got {found}"
    for type_ in example.absent:
        assert not plan.of_type(type_), f"{example.folder} creates {type_}: {plan.of_type(type_)[0].urn}"


@pytest.mark.parametrize("example", ALL, ids=_id)
def test_example_has_no_way_to_the_internet(example: Example, plans: dict[str, Plan]) -> None:
    for resource in plans[example.folder]:
        assert resource.type not in FORBIDDEN_TYPES, resource.urn


@pytest.mark.parametrize("example", ALL, ids=_id)
def test_example_uses_one_explicit_tagged_provider_for_everything(
    example: Example, plans: dict[str, Plan]
) -> None:
    plan = plans[example.folder]
    providers = plan.of_type("pulumi:providers:aws")
    assert [p.name for p in providers] == ["aws"]
    (provider,) = providers
    config = _stack_config(example)
    assert provider.inputs["region"] == config["aws:region"]
    tags = json.loads(provider.inputs["defaultTags"])["tags"]  # provider inputs are JSON-encoded
    assert tags["team:stack"] == example.stack
    team_tags = config[f"{example.project}:tags"]
    assert isinstance(team_tags, dict)
    assert team_tags.items() <= tags.items()
    for resource in plan.custom_resources:
        if resource.type.startswith("aws:"):
            assert resource.provider is not None, resource.urn
            assert resource.provider.startswith(provider.urn + "::"), resource.urn


@pytest.mark.parametrize("example", ALL, ids=_id)
def test_example_passes_the_policy_pack(example: Example, reports: dict[str, Report]) -> None:
    report = reports[example.folder]
    details = "\n".join(f"{v.control} {v.resource_urn}: {v.message}" for v in report.violations)
    assert not [v for v in report.violations if v.enforcement == "mandatory"], details
    assert report.exit_code == 0
    assert report.controls >= 35


def test_bring_your_own_network_binds_buckets_and_jobs_to_the_configured_network(
    plans: dict[str, Plan],
) -> None:
    plan = plans[BRING_YOUR_OWN_NETWORK.folder]
    network = _stack_config(BRING_YOUR_OWN_NETWORK)["fraud-models:network"]
    assert isinstance(network, dict)
    policies = plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert len(policies) == 5
    for policy in policies:
        assert network["s3EndpointId"] in json.dumps(policy.inputs["policy"]), policy.urn
    training = plan.named("fraud-dev-roles-training-policy").inputs["policy"]
    for ident in [*network["subnetIds"], *network["securityGroupIds"]]:
        assert ident in training, ident


def test_bring_your_own_network_trusts_people_only_inside_the_organization(plans: dict[str, Plan]) -> None:
    plan = plans[BRING_YOUR_OWN_NETWORK.folder]
    perimeter = _stack_config(BRING_YOUR_OWN_NETWORK)["strongroom:perimeter"]
    assert isinstance(perimeter, dict)
    for role in ("data-scientist", "model-approver", "auditor"):
        resource = plan.named(f"fraud-dev-roles-{role}")
        human = json.loads(resource.inputs["assumeRolePolicy"])["Statement"][0]
        assert human["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": perimeter["organizationId"]}, (
            resource.urn
        )


def test_data_only_team_reaches_only_its_own_buckets_through_its_endpoint(plans: dict[str, Plan]) -> None:
    plan = plans[DATA_ONLY.folder]
    endpoint = plan.named("payments-dev-network-vpce-s3")
    assert "arn:aws:s3:::payments-dev-*" in endpoint.inputs["policy"]
    names = [r.outputs["bucket"] for r in plan.of_type("aws:s3/bucket:Bucket")]
    assert len(names) == 3
    assert all(name.startswith("payments-dev-") for name in names), names
    interface = sorted(r.name for r in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"))
    assert interface == [f"payments-dev-network-vpce-{e}" for e in ("kms", "logs", "monitoring", "s3", "sts")]


@pytest.mark.parametrize(
    ("example", "key", "bad", "expected"),
    [
        (DATA_ONLY, "payments-data:adminPrincipals", ["arn:aws:iam::111111111111:role/*"], "adminPrincipals"),
        (DATA_ONLY, "payments-data:vpcCidr", "8.8.0.0/16", "vpc_cidr"),
        (BRING_YOUR_OWN_NETWORK, "fraud-models:network", {"subnetIds": ["subnet-1"]}, "network.subnetIds"),
        (BRING_YOUR_OWN_NETWORK, "fraud-models:backup", {"objectLockMode": "LEGAL"}, "LEGAL"),
        (
            BRING_YOUR_OWN_NETWORK,
            "strongroom:perimeter",
            {"trustedAccounts": ["111111111111"], "organizationId": "o-*"},
            "strongroom:perimeter.organizationId = 'o-*'",
        ),
    ],
    ids=[
        "data-only-wildcard-admin",
        "data-only-public-cidr",
        "byo-bad-subnet",
        "byo-bad-lock-mode",
        "byo-bad-organization",
    ],
)
def test_bad_config_is_a_config_error_naming_the_stack_file_and_key(
    tmp_path: Path, example: Example, key: str, bad: object, expected: str
) -> None:
    copy = tmp_path / example.folder
    shutil.copytree(EXAMPLES / example.folder, copy)
    stack_file = copy / f"Pulumi.{example.stack}.yaml"
    data = yaml.safe_load(stack_file.read_text())
    data["config"][key] = bad
    stack_file.write_text(yaml.safe_dump(data))
    with pytest.raises(UsageError) as caught:
        run_plan(copy, example.stack)
    message = str(caught.value)
    assert f"Pulumi.{example.stack}.yaml" in message
    assert expected in message


def test_data_only_team_bounds_the_flow_log_role_to_its_own_log_group(plans: dict[str, Plan]) -> None:
    plan = plans[DATA_ONLY.folder]
    boundary = plan.named("payments-dev-boundary")
    role = plan.named("payments-dev-network-flow-logs-role")
    assert role.inputs["permissionsBoundary"] == boundary.outputs["arn"]
    assert role.inputs["path"] == boundary.inputs["path"] == "/payments/dev/"
    group = plan.named("payments-dev-network-flow-logs")
    document = json.loads(boundary.inputs["policy"])
    (statement,) = document["Statement"]
    (pattern, streams) = statement["Resource"]
    assert pattern.endswith(":log-group:payments-dev-network-flow-logs-*")
    assert fnmatch.fnmatchcase(group.outputs["arn"], pattern), (group.outputs["arn"], pattern)
    assert streams == f"{pattern}:*"
    assert sorted(statement["Action"]) == [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
