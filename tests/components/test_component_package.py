"""The component package (components/PulumiPlugin.yaml, components/provider.py): its schema, built offline
with the SDK's analyzer, holds every public component, input and output with its docstring; the plugin's
entry point serves that schema."""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.errors import InputPropertyError
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case

from strongroom.components import provider
from strongroom.components.backup import BackupVault
from strongroom.components.environment import SecureMlEnvironment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return provider.package_schema()


def _args_type(component: type[pulumi.ComponentResource]) -> type:
    args = inspect.get_annotations(component.__init__, eval_str=True)["args"]
    assert dataclasses.is_dataclass(args), component
    return args


def _public_outputs(component: type[pulumi.ComponentResource]) -> set[str]:
    names: set[str] = set()
    for cls in component.__mro__:
        if cls.__module__.startswith(f"{provider.COMPONENTS}."):
            names |= {n for n in inspect.get_annotations(cls) if not n.startswith("_")}
    return names


def test_every_public_component_is_hosted_or_its_exclusion_explained() -> None:
    public = {
        cls.__name__
        for path in sorted((ROOT / "components").glob("*.py"))
        for cls in vars(__import__(f"strongroom.components.{path.stem}", fromlist=["_"])).values()
        if inspect.isclass(cls)
        and issubclass(cls, pulumi.ComponentResource)
        and cls.__module__ == f"strongroom.components.{path.stem}"
    }
    hosted = {c.__name__ for c in provider.HOSTED}
    assert hosted | set(provider.NOT_HOSTED) == public
    assert not hosted & set(provider.NOT_HOSTED)


@pytest.mark.parametrize("component", [SecureMlEnvironment, BackupVault], ids=lambda c: c.__name__)
def test_the_components_left_out_cannot_be_analysed(component: type[pulumi.ComponentResource]) -> None:
    """NOT_HOSTED is true: the SDK's analyzer refuses them (if it ever accepts one, host it)."""
    assert component.__name__ in provider.NOT_HOSTED
    with pytest.raises(Exception, match=r"Unsupported type|pulumi_type"):
        Analyzer(provider.PACKAGE).analyze(provider.analyzable((component,)))


def test_schema_package(schema: dict[str, Any]) -> None:
    assert schema["name"] == "strongroom"
    assert schema["version"] == provider.package_version()
    assert [d["name"] for d in schema["dependencies"]] == ["aws"]
    assert set(schema["resources"]) == {f"strongroom:index:{c.__name__}" for c in provider.HOSTED}


@pytest.mark.parametrize("component", provider.HOSTED, ids=lambda c: c.__name__)
def test_every_input_and_output_with_its_docstring(
    schema: dict[str, Any], component: type[pulumi.ComponentResource]
) -> None:
    resource = schema["resources"][f"strongroom:index:{component.__name__}"]
    assert resource["isComponent"] is True
    assert resource["description"] == inspect.getdoc(component)

    args = _args_type(component)
    fields = {f.name: f for f in dataclasses.fields(args)}
    inputs = resource["inputProperties"]
    assert set(inputs) == {camel_case(name) for name in fields}
    for name, field in fields.items():
        prop = inputs[camel_case(name)]
        assert prop.get("description"), f"{args.__name__}.{name} has no docstring"
        # The analyzer reads a property's docstring from the source: the schema carries it verbatim.
        assert prop["description"].split()[0] in inspect.getsource(args), name
        no_default = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        assert (camel_case(name) in resource.get("requiredInputs", [])) == no_default, name

    outputs = resource["properties"]
    assert set(outputs) == {camel_case(name) for name in _public_outputs(component)}
    for name, prop in outputs.items():
        assert prop.get("description"), f"{component.__name__}.{name} has no docstring"


def test_a_docstring_reaches_the_schema(schema: dict[str, Any]) -> None:
    network = schema["resources"]["strongroom:index:PrivateNetwork"]
    assert network["properties"]["vpcId"]["description"] == "ID of the VPC."
    roles = schema["resources"]["strongroom:index:MlRoles"]
    assert roles["properties"]["studioExecutionRoleArn"]["description"].startswith(
        "The Studio and notebook execution role"
    )
    # A resource output references pulumi-aws's schema.
    assert schema["resources"]["strongroom:index:SecureBucket"]["properties"]["bucket"]["$ref"].startswith(
        "/aws/v"
    )


def test_the_host_builds_the_same_schema(schema: dict[str, Any]) -> None:
    """component_provider_host builds a ComponentProvider from the same list: same schema."""
    hosted = ComponentProvider(provider.analyzable(), provider.PACKAGE, version=provider.package_version())
    assert json.loads(hosted.schema or "{}") == schema


def test_plugin_manifest() -> None:
    manifest = yaml.safe_load((ROOT / "components" / "PulumiPlugin.yaml").read_text(encoding="utf-8"))
    assert manifest["runtime"]["name"] == "python"
    assert manifest["runtime"]["options"]["toolchain"] == "uv"
    assert (ROOT / "components" / manifest["runtime"]["options"]["virtualenv"]).resolve() == ROOT / ".venv"
    assert (ROOT / "components" / "__main__.py").is_file()


def test_the_entry_point_serves_the_schema_over_grpc(tmp_path: Path, schema: dict[str, Any]) -> None:
    """`python components/ <engine>` (how Pulumi's Python host runs a plugin) prints its port and answers
    GetSchema with the package schema; run from another directory, as the CLI does."""
    import grpc
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    process = subprocess.Popen(
        [sys.executable, str(ROOT / "components"), "127.0.0.1:1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.stderr else ""
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            answer = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
        assert json.loads(answer.schema) == schema
    finally:
        process.terminate()
        process.wait(timeout=30)


KEY = "arn:aws:kms:eu-west-2:123456789012:key/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"


def test_a_program_in_another_language_constructs_a_component(pulumi_mocks: Any) -> None:
    """The provider's construct hands the component its inputs as a dict (Python names): the component
    builds its Args from it, and an input left out takes the Args default."""
    hosted = ComponentProvider(provider.analyzable(), provider.PACKAGE, version=provider.package_version())

    def program() -> None:
        hosted.construct(
            "data",
            "strongroom:index:SecureBucket",
            {"kmsKeyArn": KEY, "logBucketName": "logs"},
            pulumi.ResourceOptions(),
        )

    pulumi_mocks.run(program)
    plan = pulumi_mocks.plan()
    assert [r.name for r in plan.of_type("strongroom:index:SecureBucket")] == ["data"]
    (encryption,) = plan.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == KEY
    (lifecycle,) = plan.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert "'noncurrentDays': 90" in str(lifecycle.inputs)  # SecureBucketArgs.noncurrent_version_expiry_days


def test_a_missing_required_input_is_named(pulumi_mocks: Any) -> None:
    hosted = ComponentProvider(provider.analyzable(), provider.PACKAGE, version=provider.package_version())
    with pytest.raises(InputPropertyError, match="kmsKeyArn"):
        hosted.construct("data", "strongroom:index:SecureBucket", {}, pulumi.ResourceOptions())
