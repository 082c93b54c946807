"""The offline engine: run_plan on a small project that is not Strongroom, realistic mock outputs,
config handling, module isolation between runs, and the errors a person reads."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import textwrap
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from strongroom.engine import Plan, PlanResource, Recorder, fake_invoke, fake_resource, run_plan
from strongroom.errors import ProgramFailed, UsageError

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_project"
REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"

JSON_KEYS = {
    "urn",
    "type",
    "name",
    "parent",
    "inputs",
    "dependencies",
    "propertyDependencies",
    "outputs",
    "id",
    "custom",
    "provider",
    "protect",
    "retainOnDelete",
    "ignoreChanges",
    "hooks",
    "remote",
}


@pytest.fixture(scope="session")
def tiny_test() -> Plan:
    return run_plan(TINY, "test")


@pytest.fixture(scope="session")
def tiny_demo() -> Plan:
    return run_plan(TINY, "demo", account="210987654321")


def one(plan: Plan, type_: str, name: str) -> PlanResource:
    found = [r for r in plan.of_type(type_) if r.name == name]
    assert len(found) == 1, f"expected one {type_} named {name}, got {[r.urn for r in found]}"
    return found[0]


def write_project(
    root: Path,
    program: str,
    *,
    stack: str = "dev",
    stack_yaml: str = "config:\n  aws:region: eu-west-2\n",
    manifest: str = "name: scratch\nruntime: python\n",
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(manifest)
    (root / f"Pulumi.{stack}.yaml").write_text(stack_yaml)
    (root / "__main__.py").write_text(textwrap.dedent(program))
    return root


# --- what gets recorded -------------------------------------------------------------------------------


def test_records_root_stack_component_provider_and_custom_resources(tiny_test: Plan) -> None:
    stack = tiny_test.resources[0]
    assert (stack.type, stack.name, stack.parent) == ("pulumi:pulumi:Stack", "tiny-analytics-test", None)
    assert stack.urn == "urn:pulumi:test::tiny-analytics::pulumi:pulumi:Stack::tiny-analytics-test"
    component = one(tiny_test, "tiny:index:DataStore", "analytics")
    assert component.custom is False and component.id is None and component.is_component
    provider = one(tiny_test, "pulumi:providers:aws", "replica")
    assert provider.custom is True and provider.inputs["region"] == "eu-central-1"
    assert len(tiny_test.of_type("aws:s3/bucket:Bucket")) == 3
    assert len(tiny_test.custom_resources) == 15
    assert len(tiny_test) == 18


def test_parents_follow_the_component_tree(tiny_test: Plan) -> None:
    stack = tiny_test.resources[0]
    component = one(tiny_test, "tiny:index:DataStore", "analytics")
    assert component.parent == stack.urn
    children = {r.name for r in tiny_test.children(component.urn)}
    assert children == {
        "analytics-key",
        "analytics-alias",
        "analytics-reader",
        "analytics-bucket-0",
        "analytics-bucket-1",
        "analytics-bucket-0-sse",
        "analytics-bucket-1-sse",
        "analytics-bucket-0-versioning",
        "analytics-bucket-1-versioning",
    }
    bucket = one(tiny_test, "aws:s3/bucket:Bucket", "analytics-bucket-0")
    assert bucket.urn == (
        "urn:pulumi:test::tiny-analytics::tiny:index:DataStore$aws:s3/bucket:Bucket::analytics-bucket-0"
    )
    assert one(tiny_test, "aws:ec2/vpc:Vpc", "net").parent == stack.urn


def test_records_dependencies_and_property_dependencies(tiny_test: Plan) -> None:
    bucket = one(tiny_test, "aws:s3/bucket:Bucket", "analytics-bucket-0")
    key = one(tiny_test, "aws:kms/key:Key", "analytics-key")
    sse = one(
        tiny_test,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "analytics-bucket-0-sse",
    )
    assert set(sse.dependencies) == {bucket.urn, key.urn}
    assert sse.property_dependencies["bucket"] == [bucket.urn]
    assert sse.property_dependencies["rules"] == [key.urn]
    vpc = one(tiny_test, "aws:ec2/vpc:Vpc", "net")
    assert one(tiny_test, "aws:ec2/subnet:Subnet", "net-a").property_dependencies["vpcId"] == [vpc.urn]


def test_inputs_are_camel_case_as_the_engine_sees_them(tiny_test: Plan) -> None:
    bucket = one(tiny_test, "aws:s3/bucket:Bucket", "analytics-bucket-0")
    sse = one(
        tiny_test,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "analytics-bucket-0-sse",
    )
    key = one(tiny_test, "aws:kms/key:Key", "analytics-key")
    assert sse.inputs["bucket"] == bucket.id
    rule = sse.inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key.outputs["arn"],
    }
    assert rule["bucketKeyEnabled"] is True
    assert key.inputs == {"enableKeyRotation": True, "deletionWindowInDays": 30}
    assert isinstance(key.inputs["deletionWindowInDays"], int)


def test_component_outputs_are_the_registered_outputs(tiny_test: Plan) -> None:
    component = one(tiny_test, "tiny:index:DataStore", "analytics")
    key = one(tiny_test, "aws:kms/key:Key", "analytics-key")
    assert component.outputs["keyArn"] == key.outputs["arn"]
    assert len(component.outputs["bucketNames"]) == 2


def test_records_invokes_with_realistic_results(tiny_test: Plan, tiny_demo: Plan) -> None:
    zones = next(i for i in tiny_test.invokes if i.token.endswith("getAvailabilityZones"))
    assert zones.result["names"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert one(tiny_test, "aws:ec2/subnet:Subnet", "net-a").inputs["availabilityZone"] == "eu-west-1a"
    identity = next(i for i in tiny_demo.invokes if i.token.endswith("getCallerIdentity"))
    assert identity.result["accountId"] == "210987654321"


# --- realistic, deterministic outputs ------------------------------------------------------------------

ARN_FORMATS = [
    ("aws:s3/bucket:Bucket", "analytics-bucket-0", r"arn:aws:s3:::analytics-bucket-0-[0-9a-f]{7}"),
    ("aws:kms/key:Key", "analytics-key", r"arn:aws:kms:eu-west-1:123456789012:key/[0-9a-f-]{36}"),
    ("aws:kms/alias:Alias", "analytics-alias", r"arn:aws:kms:eu-west-1:123456789012:alias/analytics"),
    (
        "aws:iam/role:Role",
        "analytics-reader",
        r"arn:aws:iam::123456789012:role/analytics/analytics-reader-[0-9a-f]{7}",
    ),
    (
        "aws:cloudwatch/logGroup:LogGroup",
        "jobs",
        r"arn:aws:logs:eu-west-1:123456789012:log-group:jobs-[0-9a-f]{7}",
    ),
    ("aws:sns/topic:Topic", "alerts", r"arn:aws:sns:eu-west-1:123456789012:alerts-[0-9a-f]{7}"),
    ("aws:ec2/vpc:Vpc", "net", r"arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0[0-9a-f]{16}"),
    ("aws:ec2/subnet:Subnet", "net-a", r"arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0[0-9a-f]{16}"),
    (
        "aws:ssm/parameter:Parameter",
        "api-token",
        r"arn:aws:ssm:eu-west-1:123456789012:parameter/api-token-[0-9a-f]{7}",
    ),
]


@pytest.mark.parametrize(("type_", "name", "pattern"), ARN_FORMATS, ids=[a[0] for a in ARN_FORMATS])
def test_arns_have_the_real_aws_format_per_service(
    tiny_test: Plan, type_: str, name: str, pattern: str
) -> None:
    resource = one(tiny_test, type_, name)
    assert re.fullmatch(pattern, resource.outputs["arn"]), resource.outputs["arn"]


def test_ids_have_the_real_aws_format_per_service(tiny_test: Plan) -> None:
    bucket = one(tiny_test, "aws:s3/bucket:Bucket", "analytics-bucket-0")
    assert bucket.id == bucket.outputs["bucket"] == bucket.outputs["id"]
    assert bucket.outputs["bucketRegionalDomainName"] == f"{bucket.id}.s3.eu-west-1.amazonaws.com"
    key = one(tiny_test, "aws:kms/key:Key", "analytics-key")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key.id or "")
    assert key.outputs["keyId"] == key.id
    vpc = one(tiny_test, "aws:ec2/vpc:Vpc", "net")
    assert re.fullmatch(r"vpc-0[0-9a-f]{16}", vpc.id or "")
    assert re.fullmatch(r"sg-0[0-9a-f]{16}", vpc.outputs["defaultSecurityGroupId"])
    role = one(tiny_test, "aws:iam/role:Role", "analytics-reader")
    assert role.id == role.outputs["name"] and re.fullmatch(r"AROA[A-Z0-9]{17}", role.outputs["uniqueId"])
    topic = one(tiny_test, "aws:sns/topic:Topic", "alerts")
    assert topic.id == topic.outputs["arn"]


def test_region_comes_from_the_explicit_provider(tiny_test: Plan) -> None:
    replica = one(tiny_test, "aws:s3/bucket:Bucket", "replica")
    assert replica.provider is not None and replica.provider.startswith(
        one(tiny_test, "pulumi:providers:aws", "replica").urn + "::"
    )
    assert replica.outputs["bucketRegionalDomainName"].endswith(".s3.eu-central-1.amazonaws.com")


def test_account_option_changes_every_arn(tiny_demo: Plan) -> None:
    key = one(tiny_demo, "aws:kms/key:Key", "analytics-key")
    assert key.outputs["arn"].startswith("arn:aws:kms:us-west-2:210987654321:key/")


def test_plans_are_deterministic() -> None:
    first = run_plan(TINY, "test").to_dict()
    second = run_plan(TINY, "test").to_dict()
    assert first == second


FAKE_CASES = [
    (
        "aws:sagemaker/domain:Domain",
        {"domainName": "studio"},
        r"d-[a-z0-9]{12}",
        r"arn:aws:sagemaker:eu-west-2:123456789012:domain/d-[a-z0-9]{12}",
    ),
    (
        "aws:sagemaker/notebookInstance:NotebookInstance",
        {"name": "Lab"},
        r"Lab",
        r"arn:aws:sagemaker:eu-west-2:123456789012:notebook-instance/lab",
    ),
    (
        "aws:cloudtrail/trail:Trail",
        {"name": "org"},
        r"arn:aws:cloudtrail:eu-west-2:123456789012:trail/org",
        r"arn:aws:cloudtrail:eu-west-2:123456789012:trail/org",
    ),
    (
        "aws:cloudwatch/eventRule:EventRule",
        {},
        r"x-[0-9a-f]{7}",
        r"arn:aws:events:eu-west-2:123456789012:rule/x-[0-9a-f]{7}",
    ),
    (
        "aws:ec2/securityGroup:SecurityGroup",
        {},
        r"sg-0[0-9a-f]{16}",
        r"arn:aws:ec2:eu-west-2:123456789012:security-group/sg-0[0-9a-f]{16}",
    ),
    (
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        {"vpcEndpointType": "Gateway"},
        r"vpce-0[0-9a-f]{16}",
        r"arn:aws:ec2:eu-west-2:123456789012:vpc-endpoint/vpce-0[0-9a-f]{16}",
    ),
    (
        "aws:ec2/routeTable:RouteTable",
        {},
        r"rtb-0[0-9a-f]{16}",
        r"arn:aws:ec2:eu-west-2:123456789012:route-table/rtb-0[0-9a-f]{16}",
    ),
    (
        "aws:ec2/networkAcl:NetworkAcl",
        {},
        r"acl-0[0-9a-f]{16}",
        r"arn:aws:ec2:eu-west-2:123456789012:network-acl/acl-0[0-9a-f]{16}",
    ),
    (
        "aws:ec2/flowLog:FlowLog",
        {},
        r"fl-0[0-9a-f]{16}",
        r"arn:aws:ec2:eu-west-2:123456789012:vpc-flow-log/fl-0[0-9a-f]{16}",
    ),
    (
        "aws:iam/policy:Policy",
        {"name": "read"},
        r"arn:aws:iam::123456789012:policy/read",
        r"arn:aws:iam::123456789012:policy/read",
    ),
    ("aws:backup/vault:Vault", {"name": "v"}, r"v", r"arn:aws:backup:eu-west-2:123456789012:backup-vault:v"),
    ("aws:kms/key:Key", {}, r"[0-9a-f-]{36}", r"arn:aws-cn:kms:cn-north-1:123456789012:key/[0-9a-f-]{36}"),
]


@pytest.mark.parametrize(
    ("type_", "inputs", "id_pattern", "arn_pattern"), FAKE_CASES, ids=[c[0] for c in FAKE_CASES]
)
def test_fake_outputs_per_service(type_: str, inputs: dict, id_pattern: str, arn_pattern: str) -> None:
    region = "cn-north-1" if "aws-cn" in arn_pattern else "eu-west-2"
    rid, outputs = fake_resource(
        type_, "x", f"urn:pulumi:s::p::{type_}::x", inputs, region=region, account=ACCOUNT
    )
    assert re.fullmatch(id_pattern, rid), rid
    assert re.fullmatch(arn_pattern, outputs["arn"]), outputs["arn"]
    assert outputs["id"] == rid
    assert all(outputs[k] == v for k, v in inputs.items()), "inputs are echoed"


def test_fake_invokes_for_region_partition_and_prefix_list() -> None:
    assert (
        fake_invoke("aws:index/getRegion:getRegion", {}, region="eu-west-2", account=ACCOUNT)["name"]
        == "eu-west-2"
    )
    partition = fake_invoke(
        "aws:index/getPartition:getPartition", {}, region="us-gov-west-1", account=ACCOUNT
    )
    assert partition == {**partition, "partition": "aws-us-gov", "dnsSuffix": "amazonaws.com"}
    pl = fake_invoke(
        "aws:ec2/getPrefixList:getPrefixList",
        {"name": "com.amazonaws.eu-west-2.s3"},
        region="eu-west-2",
        account=ACCOUNT,
    )
    assert pl is not None and re.fullmatch(r"pl-[0-9a-f]{8}", pl["id"])
    assert fake_invoke("aws:index/getNothing:getNothing", {}, region="eu-west-2", account=ACCOUNT) is None


# --- config and project file ----------------------------------------------------------------------------


def test_stack_config_is_honoured(tiny_test: Plan, tiny_demo: Plan) -> None:
    assert len(tiny_test.of_type("aws:s3/bucket:Bucket")) == 3
    assert len(tiny_demo.of_type("aws:s3/bucket:Bucket")) == 1
    assert len(tiny_demo.of_type("aws:s3/bucketVersioning:BucketVersioning")) == 0
    assert one(tiny_demo, "aws:s3/bucket:Bucket", "analytics-bucket-0").inputs["tags"] == {
        "owner": "demo-team"
    }
    assert one(tiny_test, "aws:cloudwatch/logGroup:LogGroup", "jobs").inputs["retentionInDays"] == 14
    assert one(tiny_demo, "aws:cloudwatch/logGroup:LogGroup", "jobs").inputs["retentionInDays"] == 30
    assert (
        one(tiny_demo, "aws:kms/key:Key", "analytics-key").outputs["arn"].startswith("arn:aws:kms:us-west-2:")
    )


def test_module_level_config_is_re_read_for_each_stack() -> None:
    owners = [
        one(run_plan(TINY, stack), "aws:s3/bucket:Bucket", "analytics-bucket-0").inputs["tags"]["owner"]
        for stack in ("test", "demo", "test")
    ]
    assert owners == ["analytics-team", "demo-team", "analytics-team"]


def test_provider_default_tags_reach_tags_all(tiny_demo: Plan) -> None:
    bucket = one(tiny_demo, "aws:s3/bucket:Bucket", "analytics-bucket-0")
    assert bucket.outputs["tagsAll"] == {"project": "tiny-analytics", "owner": "demo-team"}


def test_secure_values_get_a_secret_placeholder_and_a_plain_warning(tiny_test: Plan) -> None:
    parameter = one(tiny_test, "aws:ssm/parameter:Parameter", "api-token")
    assert parameter.inputs["value"] == "offline-secret-placeholder"
    assert any("tiny-analytics:apiToken" in w and "cannot decrypt" in w for w in tiny_test.warnings)


def test_structured_and_secret_config_reach_the_program_as_the_cli_passes_them(tmp_path: Path) -> None:
    program = """
        import json, pulumi
        cfg = pulumi.Config()
        pulumi.ComponentResource("demo:index:Echo", "echo", {
            "raw": pulumi.runtime.get_config("scratch:limits"),
            "count": cfg.get_int("count"),
            "enabled": cfg.get_bool("enabled"),
            "secret": pulumi.runtime.is_config_secret("scratch:password"),
        })
    """
    stack = """
        config:
          aws:region: eu-west-2
          count: 3
          scratch:enabled: true
          scratch:limits: {cpu: 2, tags: [a, b]}
          scratch:password:
            secure: AAABAExampleCipherText
    """
    project = write_project(tmp_path / "p", program, stack_yaml=textwrap.dedent(stack))
    plan = run_plan(project, "dev")
    echo = plan.named("echo")
    assert json.loads(echo.inputs["raw"]) == {"cpu": 2, "tags": ["a", "b"]}
    assert (echo.inputs["count"], echo.inputs["enabled"], echo.inputs["secret"]) == (3, True, True)


def test_stack_config_dir_is_honoured_and_absent_means_project_dir(tmp_path: Path) -> None:
    copy = tmp_path / "tiny"
    shutil.copytree(TINY, copy)
    manifest = (copy / "Pulumi.yaml").read_text().replace("stackConfigDir: config\n", "")
    (copy / "Pulumi.yaml").write_text(manifest)
    with pytest.raises(UsageError, match=r"Stack 'test' has no config file Pulumi\.test\.yaml .*none"):
        run_plan(copy, "test")
    shutil.move(copy / "config" / "Pulumi.test.yaml", copy / "Pulumi.test.yaml")
    assert len(run_plan(copy, "test").of_type("aws:s3/bucket:Bucket")) == 3


def test_program_state_is_restored_after_a_run(tiny_test: Plan) -> None:
    cwd, path = os.getcwd(), list(sys.path)
    run_plan(TINY, "demo")
    assert (os.getcwd(), sys.path) == (cwd, path)
    assert "datastore" not in sys.modules
    assert pulumi.runtime.get_config("tiny-analytics:owner") is None


def test_unknown_invokes_return_unknowns_and_are_noted(tmp_path: Path) -> None:
    program = """
        import pulumi, pulumi_aws as aws
        gateway = aws.ec2.get_internet_gateway_output(internet_gateway_id="igw-1")
        aws.ec2.Vpc("v", cidr_block="10.0.0.0/16")
    """
    plan = run_plan(write_project(tmp_path / "p", program), "dev")
    token = "aws:ec2/getInternetGateway:getInternetGateway"
    assert any(token in w and "no offline mock" in w for w in plan.warnings)
    gateway = next(i for i in plan.invokes if i.token == token)
    assert gateway.answered is False and gateway.kind == "unknown"
    assert gateway.result["arn"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert all(i.answered for i in plan.invokes if i is not gateway)


def test_transforms_are_applied_as_the_engine_applies_them(tmp_path: Path) -> None:
    program = """
        import pulumi, pulumi_aws as aws

        def open_up(args):
            if args.type_ == "aws:sagemaker/notebookInstance:NotebookInstance":
                return pulumi.ResourceTransformResult({**args.props, "rootAccess": "Enabled"}, args.opts)
            return None

        def hide(args):
            opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(ignore_changes=["policy"]))
            return pulumi.ResourceTransformResult(args.props, opts)

        pulumi.runtime.register_resource_transform(open_up)
        role = "arn:aws:iam::123456789012:role/x"
        aws.sagemaker.NotebookInstance(
            "nb", instance_type="ml.t3.medium", role_arn=role, root_access="Disabled"
        )
        aws.kms.Key("k", policy="{}", opts=pulumi.ResourceOptions(transforms=[hide]))
    """
    plan = run_plan(write_project(tmp_path / "p", program), "dev")
    assert plan.named("nb").inputs["rootAccess"] == "Enabled"
    assert plan.named("nb").inputs["instanceType"] == "ml.t3.medium"
    assert plan.named("k").ignore_changes == ["policy"]


def test_ignore_changes_and_resource_hooks_are_recorded(tmp_path: Path) -> None:
    program = """
        import pulumi, pulumi_aws as aws
        hook = pulumi.ResourceHook("notify", lambda args: None)
        aws.s3.BucketPolicy(
            "p",
            bucket="b",
            policy="{}",
            opts=pulumi.ResourceOptions(
                ignore_changes=["policy"], hooks=pulumi.ResourceHookBinding(before_create=[hook])
            ),
        )
        aws.s3.Bucket("b")
    """
    plan = run_plan(write_project(tmp_path / "p", program), "dev")
    policy = plan.named("p")
    assert policy.ignore_changes == ["policy"]
    assert policy.hooks == ["before_create:notify"]
    assert plan.named("b").ignore_changes == [] and plan.named("b").hooks == []
    as_json = {r["name"]: r for r in plan.to_dict()["resources"]}
    assert as_json["p"]["hooks"] == ["before_create:notify"] and as_json["p"]["ignoreChanges"] == ["policy"]


def test_missing_region_is_a_warning_not_an_error(tmp_path: Path) -> None:
    program = "import pulumi_aws as aws\naws.kms.Key('k')\n"
    plan = run_plan(write_project(tmp_path / "p", program, stack_yaml="config: {}\n"), "dev")
    assert plan.named("k").outputs["arn"].startswith("arn:aws:kms:us-east-1:")
    assert any("aws:region is not set" in w for w in plan.warnings)


# --- errors ------------------------------------------------------------------------------------------------


def test_missing_project_dir(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"Project directory .*nowhere does not exist"):
        run_plan(tmp_path / "nowhere", "dev")


def test_missing_pulumi_yaml(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"No Pulumi\.yaml in .*not a Pulumi project directory"):
        run_plan(tmp_path, "dev")


def test_missing_stack_lists_the_stacks_that_exist() -> None:
    with pytest.raises(
        UsageError, match=r"Stack 'prod' has no config file config/Pulumi\.prod\.yaml .*demo, test"
    ):
        run_plan(TINY, "prod")


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p", "", stack_yaml="config:\n  aws:region: eu-west-2\n  bad: [unclosed\n"
    )
    with pytest.raises(UsageError, match=r"Pulumi\.dev\.yaml, line \d+, column \d+: invalid YAML"):
        run_plan(project, "dev")


def test_non_python_runtime_is_refused(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", "", manifest="name: ts\nruntime: nodejs\n")
    with pytest.raises(UsageError, match=r"runtime is 'nodejs'; strongroom runs .* 'python' only"):
        run_plan(project, "dev")


@pytest.mark.parametrize("stack", ["", "a/b", "bad name", "x" * 101])
def test_invalid_stack_names_are_refused(stack: str) -> None:
    with pytest.raises(UsageError, match=r"Stack name .* is not valid"):
        run_plan(TINY, stack)


@pytest.mark.parametrize("account", ["12345", "12345678901a", "1234567890123"])
def test_invalid_accounts_are_refused(account: str) -> None:
    with pytest.raises(UsageError, match="an AWS account id is 12 digits"):
        run_plan(TINY, "test", account=account)


def test_program_user_error_becomes_usage_error_with_its_message(tmp_path: Path) -> None:
    copy = tmp_path / "tiny"
    shutil.copytree(TINY, copy)
    stack = copy / "config" / "Pulumi.test.yaml"
    stack.write_text(stack.read_text().replace("bucketCount: 2", "bucketCount: 9"))
    with pytest.raises(UsageError, match=r"tiny-analytics:bucketCount is 9; accepted: 1 to 5"):
        run_plan(copy, "test")


def test_program_exception_names_the_component_and_the_last_resource(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "widgets.py").write_text(
        textwrap.dedent(
            """
            import pulumi, pulumi_aws as aws

            class Widget(pulumi.ComponentResource):
                def __init__(self, name):
                    super().__init__("demo:index:Widget", name)
                    aws.s3.Bucket(f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self))
                    raise RuntimeError("widget wiring is broken")
            """
        )
    )
    program = """
        import pulumi_aws as aws
        from widgets import Widget
        aws.kms.Key("first")
        Widget("gadget")
    """
    project = write_project(tmp_path / "p", program)
    with pytest.raises(ProgramFailed) as caught:
        run_plan(project, "dev")
    message = str(caught.value)
    assert "RuntimeError: widget wiring is broken" in message
    assert "It was building demo:index:Widget 'gadget'" in message
    assert "widgets.py:8 in __init__" in message
    assert "Last resource registered:" in message
    assert "widgets" not in sys.modules


def test_exception_inside_apply_is_a_program_failure(tmp_path: Path) -> None:
    program = """
        import pulumi_aws as aws
        key = aws.kms.Key("k")
        key.arn.apply(lambda arn: 1 / 0)
    """
    with pytest.raises(ProgramFailed, match=r"ZeroDivisionError: division by zero.*__main__\.py:4"):
        run_plan(write_project(tmp_path / "p", program), "dev")


# --- Plan model and JSON contract --------------------------------------------------------------------------


def test_json_shape_is_the_contract(tiny_test: Plan, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    tiny_test.write_json(out)
    data = json.loads(out.read_text())
    assert {"project", "stack", "resources"} <= set(data)
    assert (data["project"], data["stack"]) == ("tiny-analytics", "test")
    for resource in data["resources"]:
        assert set(resource) == JSON_KEYS, resource["urn"]
    assert Plan.from_dict(data) == tiny_test
    assert Plan.read_json(out).to_dict() == tiny_test.to_dict()


# --- the recording fixture for component tests ------------------------------------------------------------


def test_recording_fixture_works_with_run_and_runtime_test(pulumi_mocks: Recorder) -> None:
    def program() -> None:
        bucket = aws.s3.Bucket("b")
        aws.s3.BucketVersioning(
            "b-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}
        )

    pulumi_mocks.run(program)

    @pulumi.runtime.test
    def check_key() -> pulumi.Output[bool]:
        return aws.kms.Key("k").arn.apply(
            lambda arn: arn.startswith("arn:aws:kms:eu-west-2:123456789012:key/")
        )

    check_key()
    plan = pulumi_mocks.plan()
    versioning = plan.named("b-versioning")
    assert versioning.inputs["bucket"] == plan.named("b").id
    assert plan.named("k").type == "aws:kms/key:Key"


# --- the real program ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_plan_of_this_repository(stack: str) -> None:
    if not (REPO / "__main__.py").is_file():
        pytest.skip("the Strongroom program (__main__.py) is not in the repository yet")
    plan = run_plan(REPO, stack)
    assert plan.project == "strongroom" and plan.stack == stack
    assert plan.custom_resources, "the program registered no cloud resources"
    assert any(r.type.startswith("strongroom:index:") for r in plan.resources)
    regions = {p.urn: p.inputs.get("region") for p in plan.resources if p.type == "pulumi:providers:aws"}
    for resource in plan.custom_resources:
        arn = str(resource.outputs.get("arn", ""))
        provider_region = regions.get((resource.provider or "").rsplit("::", 1)[0])
        if (
            arn.startswith("arn:")
            and arn.split(":")[3]
            and provider_region
            and not resource.inputs.get("region")
        ):
            assert arn.split(":")[3] == provider_region, f"{resource.urn}: {arn} not in {provider_region}"


def test_a_program_whose_output_never_resolves_fails_instead_of_hanging(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: waits-forever\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-2\n")
    (tmp_path / "__main__.py").write_text(
        textwrap.dedent(
            """
            import pulumi
            import pulumi_aws as aws

            name, _resolve = pulumi.deferred_output()  # never resolved
            aws.s3.Bucket("waiting", bucket=name)
            aws.kms.Key("first")
            """
        )
    )
    with pytest.raises(ProgramFailed) as caught:
        run_plan(tmp_path, "dev", timeout=2)
    message = str(caught.value)
    assert "did not all resolve within 2 s" in message, message
    assert "deferred_output" in message, message
    # The engine is usable again afterwards.
    assert run_plan(TINY, "demo").resources


@pytest.mark.parametrize(
    ("type_", "kind", "prefix"),
    [
        (
            "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList",
            "firewall-domain-list",
            "rslvr-fdl-",
        ),
        (
            "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup",
            "firewall-rule-group",
            "rslvr-frg-",
        ),
        (
            "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig",
            "resolver-query-log-config",
            "rslvr-qlc-",
        ),
    ],
)
def test_resolver_fakes_carry_the_route53resolver_arn_aws_assigns(type_: str, kind: str, prefix: str) -> None:
    rid, outputs = fake_resource(
        type_, "dns", f"urn:pulumi:dev::p::{type_}::dns", {"name": "dns"}, region="eu-west-2", account=ACCOUNT
    )
    assert rid.startswith(prefix)
    assert outputs["arn"] == f"arn:aws:route53resolver:eu-west-2:{ACCOUNT}:{kind}/{rid}"
