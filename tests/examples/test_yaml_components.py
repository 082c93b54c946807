"""examples/yaml-components: a Pulumi YAML program using Strongroom's component package.

Without the Pulumi CLI (and its YAML language host) the program cannot run as `pulumi preview` runs it.
These tests go as far as offline allows:

* statically, against the schema the package serves (``provider.package_schema()``, the schema builder of
  tests/components/test_component_package.py): every resource type is a component of the package, every
  property an input of it, every required input given, no resource output flows into a plain input,
  literal values have the schema's type, every ``${...}`` names a declared config key or an output the
  schema declares, and the stack file gives every config key without a default, with its type;
* by construction: the program's resources are built, in dependency order, through the package's own
  component provider (``ComponentProvider.construct``, what the plugin runs when the engine asks it to
  construct a component) under the recording mock monitor, with the stack file's config and the
  ``${...}`` references resolved to the constructed components' outputs; Strongroom's policy pack then
  checks that plan. The evaluator below understands exactly the YAML this example uses (config and
  resource references, properties, outputs) and fails on anything else rather than guess.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider

from strongroom.check import check_plan
from strongroom.components import provider
from strongroom.engine import Plan
from tests.conftest import MakeMocks

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "yaml-components"
PROGRAM: dict[str, Any] = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
STACK_CONFIG: dict[str, Any] = yaml.safe_load((EXAMPLE / "Pulumi.dev.yaml").read_text())["config"]
PROJECT = PROGRAM["name"]

_REF = re.compile(r"\$\{([^}]*)\}")
_ACCESSOR = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\["([^"]+)"\]')
_ROOT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*")
_SCHEMA_TYPES = {"string": str, "boolean": bool, "integer": int, "number": (int, float), "array": list}


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return provider.package_schema()


def _parse(expression: str) -> tuple[str, list[str]]:
    """``keys.keyArns["logs"]`` -> ("keys", ["keyArns", "logs"]); anything else fails the test."""
    root = _ROOT_NAME.match(expression)
    assert root, f"unsupported expression ${{{expression}}}"
    rest, path = expression[root.end() :], []
    while rest:
        step = _ACCESSOR.match(rest)
        assert step, f"unsupported expression ${{{expression}}}"
        path.append(step.group(1) or step.group(2))
        rest = rest[step.end() :]
    return root.group(0), path


def _references(value: Any) -> list[tuple[str, list[str]]]:
    if isinstance(value, str):
        return [_parse(m) for m in _REF.findall(value)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _references(v)]
    return []


def _resources() -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = PROGRAM["resources"]
    return resources


def _output_type(schema: dict[str, Any], resource: str, path: list[str]) -> dict[str, Any]:
    """The schema of ``resource.path``: a property of the component, then map values."""
    type_ = _resources()[resource]["type"]
    node: dict[str, Any] = {"type": "object", "properties": schema["resources"][type_]["properties"]}
    for step in path:
        if "properties" in node:
            assert step in node["properties"], f"{resource}: {type_} has no output {step!r}"
            node = node["properties"][step]
        else:
            assert node.get("type") == "object" and "additionalProperties" in node, (resource, path)
            node = node["additionalProperties"]
    return node


def test_the_program_is_a_yaml_project_using_the_component_package() -> None:
    assert PROGRAM["runtime"] == "yaml"
    source = PROGRAM["packages"]["strongroom"]
    # A path is resolved against the project's directory, as `pulumi install` does.
    assert (EXAMPLE / source).resolve() == ROOT / "components"
    assert (ROOT / "components" / "PulumiPlugin.yaml").is_file()
    assert set(PROGRAM) <= {"name", "description", "runtime", "packages", "config", "resources", "outputs"}


def test_every_resource_type_and_input_is_in_the_schema_with_its_required_inputs(
    schema: dict[str, Any],
) -> None:
    for name, resource in _resources().items():
        assert set(resource) <= {"type", "properties"}, name
        assert resource["type"] in schema["resources"], f"{name}: {resource['type']} is not in the package"
        spec = schema["resources"][resource["type"]]
        given = set(resource.get("properties", {}))
        assert given <= set(spec["inputProperties"]), (
            f"{name}: not inputs: {given - set(spec['inputProperties'])}"
        )
        assert set(spec.get("requiredInputs", [])) <= given, f"{name}: required inputs missing"


def test_no_resource_output_flows_into_a_plain_input(schema: dict[str, Any]) -> None:
    """A plain input must be known when the component is constructed: config is, an output is not."""
    resources = _resources()
    for name, resource in resources.items():
        inputs = schema["resources"][resource["type"]]["inputProperties"]
        for key, value in resource.get("properties", {}).items():
            if inputs[key].get("plain"):
                outputs = [root for root, _ in _references(value) if root in resources]
                assert not outputs, f"{name}.{key} is plain but takes outputs of {outputs}"


def _check_type(where: str, value: Any, spec: dict[str, Any], schema: dict[str, Any]) -> None:
    if isinstance(value, str) and _REF.fullmatch(value):
        root, path = _parse(_REF.fullmatch(value).group(1))  # type: ignore[union-attr]
        if root in _resources():
            found = _output_type(schema, root, path)
            assert found.get("type") == spec.get("type"), f"{where}: {found} given for {spec}"
        else:
            declared = PROGRAM["config"][root]
            assert declared["type"] == spec.get("type"), f"{where}: config {root} is {declared['type']}"
        return
    expected = spec.get("type")
    if expected == "object":
        assert isinstance(value, dict), where
        for key, item in value.items():
            _check_type(f"{where}.{key}", item, spec["additionalProperties"], schema)
    elif expected in _SCHEMA_TYPES:
        assert isinstance(value, _SCHEMA_TYPES[expected]), f"{where}: {value!r} is not {expected}"
        if expected == "array":
            for i, item in enumerate(value):
                _check_type(f"{where}[{i}]", item, spec["items"], schema)
        if expected == "integer":
            assert not isinstance(value, bool), where


def test_every_value_has_the_schemas_type(schema: dict[str, Any]) -> None:
    for name, resource in _resources().items():
        inputs = schema["resources"][resource["type"]]["inputProperties"]
        for key, value in resource.get("properties", {}).items():
            _check_type(f"{name}.{key}", value, inputs[key], schema)


def test_every_reference_names_declared_config_or_an_output_in_the_schema(schema: dict[str, Any]) -> None:
    resources, config = _resources(), PROGRAM["config"]
    everything = [*(r.get("properties", {}) for r in resources.values()), PROGRAM["outputs"]]
    references = [ref for value in everything for ref in _references(value)]
    assert references
    for root, path in references:
        if root in resources:
            assert path, root
            _output_type(schema, root, path)
        else:
            assert root in config and not path, f"${{{root}}} is neither a resource nor declared config"


def _config_value(key: str) -> Any:
    namespaced = f"{PROJECT}:{key}"
    if namespaced in STACK_CONFIG:
        return STACK_CONFIG[namespaced]
    declared = PROGRAM["config"][key]
    assert "default" in declared, f"Pulumi.dev.yaml does not set {namespaced}, which has no default"
    return declared["default"]


def test_the_stack_file_sets_every_config_key_without_a_default_with_its_type() -> None:
    for key, declared in PROGRAM["config"].items():
        value = _config_value(key)
        assert isinstance(value, _SCHEMA_TYPES[declared["type"]]), (key, value)
        if declared["type"] == "array":
            assert all(isinstance(item, _SCHEMA_TYPES[declared["items"]["type"]]) for item in value), key
    own = {k.split(":", 1)[1] for k in STACK_CONFIG if k.startswith(f"{PROJECT}:")}
    assert own <= set(PROGRAM["config"]), own - set(PROGRAM["config"])


# -- construction ---------------------------------------------------------------------------------------


def _order() -> list[str]:
    """The resources in dependency order (each after the resources its properties reference)."""
    resources, done = _resources(), []
    pending = dict(resources)
    while pending:
        ready = [
            n
            for n, r in pending.items()
            if all(root in done for root, _ in _references(r.get("properties", {})) if root in resources)
        ]
        assert ready, f"a reference cycle among {sorted(pending)}"
        for name in ready:
            done.append(name)
            del pending[name]
    return done


def _evaluate(value: Any, state: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, list):
        return [_evaluate(v, state) for v in value]
    if isinstance(value, dict):
        return {k: _evaluate(v, state) for k, v in value.items()}
    if not isinstance(value, str) or not _REF.search(value):
        return value

    def resolve(expression: str) -> Any:
        root, path = _parse(expression)
        if root not in state:
            return _config_value(root)
        output = pulumi.Output.from_input(state[root][path[0]])
        for step in path[1:]:
            output = output.apply(lambda v, s=step: v[s])
        return output

    whole = _REF.fullmatch(value)
    if whole:
        return resolve(whole.group(1))
    parts: list[Any] = []
    last = 0
    for match in _REF.finditer(value):
        parts += [value[last : match.start()], pulumi.Output.from_input(resolve(match.group(1)))]
        last = match.end()
    return pulumi.Output.concat(*parts, value[last:])


def _encoded(config: dict[str, Any]) -> dict[str, str]:
    """Config as the CLI passes it to a program: structured values JSON-encoded."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


@pytest.fixture
def plan(make_pulumi_mocks: MakeMocks) -> Plan:
    recorder = make_pulumi_mocks(
        project=PROJECT,
        stack="dev",
        region=STACK_CONFIG["aws:region"],
        config=_encoded(STACK_CONFIG),
        default_tags=STACK_CONFIG["aws:defaultTags"]["tags"],
    )
    hosted = ComponentProvider(provider.analyzable(), provider.PACKAGE, version=provider.package_version())

    def program() -> None:
        state: dict[str, dict[str, Any]] = {}
        for name in _order():
            resource = _resources()[name]
            inputs = _evaluate(resource.get("properties", {}), state)
            result = hosted.construct(name, resource["type"], inputs, pulumi.ResourceOptions())
            state[name] = dict(result.state)
        for key, value in PROGRAM["outputs"].items():
            pulumi.export(key, _evaluate(value, state))

    recorder.run(program)
    return recorder.plan()


def test_the_program_builds_its_components_and_passes_the_policy_pack(plan: Plan) -> None:
    assert sorted((r.type, r.name) for r in plan if r.type.startswith("strongroom:")) == [
        ("strongroom:index:KeyRing", "keys"),
        ("strongroom:index:SecureBucket", "accessLogs"),
        ("strongroom:index:SecureBucket", "data"),
    ]
    report = check_plan(plan, config=_encoded(STACK_CONFIG))
    details = "\n".join(f"{v.control} {v.resource_urn}: {v.message}" for v in report.violations)
    assert not report.violations, details
    assert report.exit_code == 0
    assert report.controls >= 35


def test_the_references_connect_the_components_as_written(plan: Plan) -> None:
    keys = {r.name.removeprefix("keys-"): r.outputs["arn"] for r in plan.of_type("aws:kms/key:Key")}
    assert set(keys) == {"data", "logs"}
    encryption = {
        r.name.split("-")[0]: r.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        for r in plan.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
    }
    assert encryption == {"accessLogs": keys["logs"], "data": keys["data"]}
    buckets = {r.name.split("-")[0]: r.outputs["bucket"] for r in plan.of_type("aws:s3/bucket:Bucket")}
    (logging,) = plan.of_type("aws:s3/bucketLogging:BucketLogging")
    assert logging.name.startswith("data-")
    assert logging.inputs["targetBucket"] == buckets["accessLogs"]
    endpoint = STACK_CONFIG[f"{PROJECT}:s3EndpointId"]
    for policy in plan.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        assert endpoint in json.dumps(policy.inputs["policy"]), policy.urn
    (stack,) = [r for r in plan if r.type == "pulumi:pulumi:Stack"]
    assert stack.outputs["dataBucketName"] == buckets["data"]
    assert stack.outputs["keyArns"] == keys
