"""The workspace reader: a Studio domain, a notebook instance and model package groups built in moto as
the components build them read back in the plan's shapes with no finding; each tamper is reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from live_support import moto_client, moto_context
from plan_support import repository_plan

from strongroom.check import stack_properties
from strongroom.engine.plan import Plan
from strongroom.live.aws import Aws, LiveError
from strongroom.live.readers import Scope, workspace
from strongroom.policies import catalog
from strongroom.policies.model import Finding, evaluate, judges_type
from strongroom.policies.props import Context, Index, Resource

REPO = Path(__file__).resolve().parents[3]
REGION = "eu-west-2"
ACCOUNT = "123456789012"
STACK = "dev"
TAG = [{"Key": "strongroom:environment", "Value": STACK}]
CONTEXT = Context(stack=STACK, trusted_accounts=frozenset({ACCOUNT}), regions=frozenset({REGION}))
ROLE = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/sr-dev-roles-studio-execution"

#: Plan keys that are pulumi-only options (not AWS state): a live read cannot know them.
PULUMI_ONLY = {"retentionPolicy"}


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return repository_plan(STACK)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with moto_context(monkeypatch):
        yield Aws(region=REGION)


class Env:
    """A compliant MlWorkspace: a VpcOnly domain on the private subnets with a customer managed key,
    a notebook instance without direct internet or root, and a model package group per model."""

    def __init__(self) -> None:
        self.sm = moto_client("sagemaker", REGION)
        ec2 = moto_client("ec2", REGION)
        self.key_arn = moto_client("kms", REGION).create_key()["KeyMetadata"]["Arn"]
        vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        self.vpc = vpc
        self.subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
            for cidr in ("10.40.0.0/18", "10.40.64.0/18")
        ]
        self.sg = ec2.create_security_group(VpcId=vpc, GroupName="sr-dev-workspace-sg", Description="ws")[
            "GroupId"
        ]
        self.domain_arn = self.sm.create_domain(**self.domain_args("sr-dev-workspace"))["DomainArn"]
        self.notebook_arn = self.sm.create_notebook_instance(**self.notebook_args("sr-dev-notebook"))[
            "NotebookInstanceArn"
        ]
        self.groups = [
            self.sm.create_model_package_group(
                ModelPackageGroupName=f"sr-dev-{model}",
                ModelPackageGroupDescription=f"Model {model}: packages approved by the model approver only",
                Tags=TAG,
            )["ModelPackageGroupArn"]
            for model in ("credit-pd", "fraud-score")
        ]

    def domain_args(self, name: str, **changes: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "DomainName": name,
            "AuthMode": "IAM",
            "VpcId": self.vpc,
            "SubnetIds": self.subnets,
            "AppNetworkAccessType": "VpcOnly",
            "KmsKeyId": self.key_arn,
            "DefaultUserSettings": {
                "ExecutionRole": ROLE,
                "SecurityGroups": [self.sg],
                "SharingSettings": {"NotebookOutputOption": "Disabled"},
                "JupyterLabAppSettings": {
                    "AppLifecycleManagement": {
                        "IdleSettings": {
                            "LifecycleManagement": "ENABLED",
                            "IdleTimeoutInMinutes": 60,
                            "MinIdleTimeoutInMinutes": 60,
                            "MaxIdleTimeoutInMinutes": 60,
                        }
                    }
                },
            },
            "DefaultSpaceSettings": {"ExecutionRole": ROLE, "SecurityGroups": [self.sg]},
            "DomainSettings": {
                "SecurityGroupIds": [self.sg],
                "DockerSettings": {"EnableDockerAccess": "DISABLED"},
            },
            "Tags": TAG,
        }
        return {**args, **changes}

    def notebook_args(self, name: str, **changes: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "NotebookInstanceName": name,
            "InstanceType": "ml.t3.medium",
            "RoleArn": ROLE,
            "SubnetId": self.subnets[0],
            "SecurityGroupIds": [self.sg],
            "KmsKeyId": self.key_arn,
            "DirectInternetAccess": "Disabled",
            "RootAccess": "Disabled",
            "Tags": TAG,
        }
        return {**args, **changes}


@pytest.fixture
def env(aws_env: Aws) -> Env:
    return Env()


def scope(stack: str = STACK) -> Scope:
    return Scope(stack=stack, account=ACCOUNT, partition="aws", region=REGION, regions=(REGION,))


def read(aws: Aws) -> list[Resource]:
    return list(workspace.read(aws, scope()))


def findings(resources: list[Resource]) -> list[Finding]:
    index = Index(resources, CONTEXT)
    controls = [c for c in catalog.CATALOG if any(judges_type(c, t) for t in workspace.TYPES)]
    return [f for control in controls for f in evaluate(control, index)]


def fired(resources: list[Resource], control_id: str) -> list[Finding]:
    return evaluate(catalog.get(control_id), Index(resources, CONTEXT))


def of_type(resources: list[Resource], type_: str) -> list[Resource]:
    return [r for r in resources if r.type == type_]


def planned(plan: Plan, type_: str) -> dict[str, Any]:
    return next(stack_properties(r) for r in plan.resources if r.type == type_)


def _same_shape(live: Any, plan: Any, where: str) -> None:
    """Every key of the plan's (nested) object is in the live one, with a value of the same form."""
    if isinstance(plan, dict):
        assert isinstance(live, dict), where
        for key, value in plan.items():
            if key in PULUMI_ONLY or key in ("tags", "tagsAll"):
                continue
            assert key in live, f"{where}.{key} missing live"
            _same_shape(live[key], value, f"{where}.{key}")
    elif isinstance(plan, list):
        assert isinstance(live, list), where
    else:
        assert type(live) is type(plan) or (
            isinstance(live, int | float) and isinstance(plan, int | float)
        ), (
            where,
            live,
            plan,
        )


# -- the compliant workspace -----------------------------------------------------------------------------


def test_compliant_workspace_reads_back_with_no_finding(env: Env, aws_env: Aws) -> None:
    resources = read(aws_env)
    assert sorted(r.type for r in resources) == sorted(
        [workspace.DOMAIN, workspace.NOTEBOOK, workspace.MODEL_PACKAGE_GROUP, workspace.MODEL_PACKAGE_GROUP]
    )
    assert findings(resources) == []


def test_domain_and_groups_are_shaped_like_the_plan(env: Env, aws_env: Aws, dev_plan: Plan) -> None:
    resources = read(aws_env)
    domain = of_type(resources, workspace.DOMAIN)[0]
    _same_shape(dict(domain.props), planned(dev_plan, workspace.DOMAIN), "domain")
    assert domain.props["id"] == env.domain_arn.rsplit("/", 1)[1] and domain.urn == env.domain_arn
    assert domain.props["defaultUserSettings"]["sharingSettings"] == {"notebookOutputOption": "Disabled"}
    assert domain.props["defaultUserSettings"]["jupyterLabAppSettings"]["appLifecycleManagement"][
        "idleSettings"
    ]["idleTimeoutInMinutes"] == (60)
    assert domain.props["domainSettings"]["dockerSettings"] == {"enableDockerAccess": "DISABLED"}
    assert domain.props["kmsKeyId"] == env.key_arn and domain.props["subnetIds"] == env.subnets
    for group in of_type(resources, workspace.MODEL_PACKAGE_GROUP):
        _same_shape(dict(group.props), planned(dev_plan, workspace.MODEL_PACKAGE_GROUP), "group")
        assert group.props["id"] == group.props["modelPackageGroupName"] == group.name
    notebook = of_type(resources, workspace.NOTEBOOK)[0]
    assert notebook.props["subnetId"] == env.subnets[0] and notebook.props["securityGroups"] == [env.sg]
    assert notebook.props["directInternetAccess"] == "Disabled" and notebook.props["rootAccess"] == "Disabled"


def test_pulumi_names_of_aws_settings() -> None:
    assert workspace.camel("IdentityProviderOAuthSettings") == "identityProviderOauthSettings"
    assert workspace.camel("S3KmsKeyId") == "s3KmsKeyId"
    assert workspace.camel("SageMakerImageArn") == "sagemakerImageArn"
    assert workspace.shaped({"CodeRepositories": [{"RepositoryUrl": "u"}]}) == {
        "codeRepositories": [{"repositoryUrl": "u"}]
    }


def test_another_environment_is_not_read(env: Env, aws_env: Aws) -> None:
    assert list(workspace.read(aws_env, scope("prod"))) == []


def test_every_call_is_a_read(env: Env, aws_env: Aws) -> None:
    read(aws_env)
    assert {c.action for c in aws_env.calls} == {
        "tag:GetResources",
        "sagemaker:DescribeDomain",
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:ListModelPackageGroups",
    }


def test_a_domain_deleted_after_it_was_listed_is_not_yielded(env: Env, aws_env: Aws) -> None:
    tagging = aws_env.client("resourcegroupstaggingapi")
    listed = tagging.get_resources(ResourceTypeFilters=["sagemaker"])["ResourceTagMappingList"]
    env.sm.delete_domain(DomainId=env.domain_arn.rsplit("/", 1)[1])
    with Stubber(tagging) as stubber:  # the tag index still lists it, as AWS's may for a while
        stubber.add_response("get_resources", {"ResourceTagMappingList": listed})
        resources = read(aws_env)
    assert workspace.DOMAIN not in {r.type for r in resources}
    assert workspace.NOTEBOOK in {r.type for r in resources}


def test_a_refused_read_propagates_naming_its_action(env: Env, aws_env: Aws) -> None:
    with Stubber(aws_env.client("sagemaker")) as stubber:
        stubber.add_client_error("describe_domain", "AccessDeniedException", "not authorized", 400)
        with pytest.raises(LiveError) as raised:
            read(aws_env)
    assert raised.value.action == "sagemaker:DescribeDomain"


# -- tampering -------------------------------------------------------------------------------------------


def test_domain_with_public_internet(env: Env, aws_env: Aws) -> None:
    arn = env.sm.create_domain(**env.domain_args("sr-dev-open", AppNetworkAccessType="PublicInternetOnly"))[
        "DomainArn"
    ]
    found = fired(read(aws_env), "SR-WS-001")
    assert [f.urn for f in found] == [arn]


def test_notebook_with_direct_internet(env: Env, aws_env: Aws) -> None:
    env.sm.create_notebook_instance(
        **env.notebook_args("sr-dev-open-notebook", DirectInternetAccess="Enabled")
    )
    found = fired(read(aws_env), "SR-WS-002")
    assert [f.resource_name for f in found] == ["sr-dev-open-notebook"]


def test_notebook_with_root_access(env: Env, aws_env: Aws) -> None:
    env.sm.create_notebook_instance(**env.notebook_args("sr-dev-root-notebook", RootAccess="Enabled"))
    found = fired(read(aws_env), "SR-WS-003")
    assert [f.resource_name for f in found] == ["sr-dev-root-notebook"]


def test_notebook_outside_the_subnets(env: Env, aws_env: Aws) -> None:
    args = env.notebook_args("sr-dev-loose-notebook")
    del args["SubnetId"], args["SecurityGroupIds"]
    env.sm.create_notebook_instance(**args)
    found = fired(read(aws_env), "SR-WS-004")
    assert {f.resource_name for f in found} == {"sr-dev-loose-notebook"}


def test_notebook_with_a_lifecycle_configuration(env: Env, aws_env: Aws) -> None:
    env.sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="sr-dev-startup", OnStart=[{"Content": "ZWNobyBoaQ=="}]
    )
    env.sm.create_notebook_instance(
        **env.notebook_args("sr-dev-lc-notebook", LifecycleConfigName="sr-dev-startup")
    )
    found = fired(read(aws_env), "SR-WS-016")
    assert [f.resource_name for f in found] == ["sr-dev-lc-notebook"]


def test_domain_sharing_notebook_output(env: Env, aws_env: Aws) -> None:
    args = env.domain_args("sr-dev-sharing")
    args["DefaultUserSettings"]["SharingSettings"] = {
        "NotebookOutputOption": "Allowed",
        "S3OutputPath": "s3://someone-elses-bucket/out",
    }
    env.sm.create_domain(**args)
    found = fired(read(aws_env), "SR-WS-014")
    assert found and all(f.resource_name == "sr-dev-sharing" for f in found)


def test_domain_without_customer_managed_key(env: Env, aws_env: Aws) -> None:
    args = env.domain_args("sr-dev-unkeyed")
    del args["KmsKeyId"]
    env.sm.create_domain(**args)
    found = fired(read(aws_env), "SR-ENC-007")
    assert [f.resource_name for f in found] == ["sr-dev-unkeyed"]
