"""Terraform JSON export: type mapping, property renaming, rebuilt references, names, unmapped types."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi_aws
import pytest
from typer.testing import CliRunner

from strongroom.cli import app
from strongroom.engine import run_plan
from strongroom.terraform import (
    MAIN_FILE,
    export_plan,
    references,
    tf_name,
    unresolved_references,
)
from strongroom.tfmap import (
    IRREGULAR_TF_TYPES,
    TF_TYPES,
    derive_tf_type,
    singular,
    snake_case,
    tf_property_name,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]
STACK_URN = "urn:pulumi:ci::proj::pulumi:pulumi:Stack::proj-ci"


def _registered_tokens() -> set[str]:
    source = (Path(pulumi_aws.__file__).parent / "__init__.py").read_text(encoding="utf-8")
    return set(re.findall(r'"(aws:[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+)"', source))


REGISTERED = _registered_tokens()


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:ci::proj::pulumi:pulumi:Stack${type_}::{name}"


def resource(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    outputs: dict[str, Any] | None = None,
    id_: str | None = None,
    deps: dict[str, list[str]] | None = None,
    dependencies: list[str] | None = None,
    custom: bool = True,
) -> dict[str, Any]:
    inputs = inputs or {}
    prop_deps = deps if deps is not None else {k: [] for k in inputs}
    all_deps = (
        dependencies if dependencies is not None else sorted({u for v in prop_deps.values() for u in v})
    )
    return {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "parent": STACK_URN,
        "inputs": inputs,
        "outputs": {**inputs, **(outputs or {})},
        "id": id_,
        "custom": custom,
        "provider": None,
        "dependencies": all_deps,
        "propertyDependencies": prop_deps,
    }


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    stack = {"urn": STACK_URN, "type": "pulumi:pulumi:Stack", "name": "proj-ci", "custom": False}
    return {"project": "proj", "stack": "ci", "resources": [stack, *resources]}


BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
KEY_ARN = "arn:aws:kms:eu-west-2:123456789012:key/0f0e0d0c-1111-2222-3333-444455556666"


# --- the type table -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", sorted(TF_TYPES))
def test_every_mapped_token_is_a_pulumi_aws_resource(token: str) -> None:
    assert token in REGISTERED, f"{token} is not a resource type of the installed pulumi-aws"


@pytest.mark.parametrize("token", sorted(TF_TYPES))
def test_every_mapping_follows_the_naming_rule_or_says_why_not(token: str) -> None:
    derived = derive_tf_type(token)
    if token in IRREGULAR_TF_TYPES:
        assert derived != TF_TYPES[token], f"{token} is listed as irregular but follows the rule"
    else:
        assert derived == TF_TYPES[token], f"{token}: rule gives {derived}, table says {TF_TYPES[token]}"


@pytest.mark.parametrize(("token", "tf"), sorted(TF_TYPES.items()))
def test_each_mapping_is_used_by_the_export(token: str, tf: str) -> None:
    export = export_plan(plan(resource(token, "thing", {"description": "x"}, id_="thing-1")))
    assert export.document["resource"] == {tf: {"thing": {"description": "x"}}}
    assert export.addresses == {f"{tf}.thing": urn(token, "thing")}
    assert export.unmapped == []


@pytest.mark.parametrize(
    ("token", "tf"),
    [
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
        ("aws:iam/role:Role", "aws_iam_role"),
        ("aws:sagemaker/domain:Domain", "aws_sagemaker_domain"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
        (SSE, "aws_s3_bucket_server_side_encryption_configuration"),
        ("aws:cloudtrail/trail:Trail", "aws_cloudtrail"),
        ("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws_s3_bucket_replication_configuration"),
    ],
)
def test_known_terraform_names(token: str, tf: str) -> None:
    assert TF_TYPES[token] == tf


def test_irregular_entries_are_all_in_the_table() -> None:
    assert set(IRREGULAR_TF_TYPES) <= set(TF_TYPES)


# --- property names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("camel", "snake"),
    [
        ("kmsMasterKeyId", "kms_master_key_id"),
        ("cidrIpv4", "cidr_ipv4"),
        ("s3BucketName", "s3_bucket_name"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
        ("enableDns64", "enable_dns64"),
        ("tagsAll", "tags_all"),
        ("id", "id"),
    ],
)
def test_snake_case(camel: str, snake: str) -> None:
    assert snake_case(camel) == snake


@pytest.mark.parametrize(
    ("plural", "single"),
    [
        ("rules", "rule"),
        ("transitions", "transition"),
        ("noncurrent_version_transitions", "noncurrent_version_transition"),
        ("inline_policies", "inline_policy"),
        ("metric_queries", "metric_query"),
        ("addresses", "address"),
        ("statuses", "status"),
        ("event_selectors", "event_selector"),
    ],
)
def test_singular_undoes_pulumi_pluralisation(plural: str, single: str) -> None:
    assert singular(plural) == single


def test_only_lists_of_blocks_are_singularised() -> None:
    assert tf_property_name("rules", [{"id": "a"}]) == "rule"
    assert tf_property_name("subnetIds", ["subnet-1"]) == "subnet_ids"
    assert tf_property_name("ingress", [{"fromPort": 443}]) == "ingress"
    assert tf_property_name("versioningConfiguration", {"status": "Enabled"}) == "versioning_configuration"


def test_pluralised_lists_of_values_get_their_terraform_names() -> None:
    assert tf_property_name("startsWiths", ["arn:aws:s3:::b/"]) == "starts_with"
    assert tf_property_name("notEndsWiths", ["x"]) == "not_ends_with"
    assert tf_property_name("cidrBlocks", ["10.0.0.0/8"]) == "cidr_blocks"


def test_nested_blocks_are_renamed_and_map_keys_kept() -> None:
    sse = resource(
        SSE,
        "enc",
        {
            "bucket": "b",
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"},
                    "bucketKeyEnabled": True,
                }
            ],
            "tags": {"strongroom:environment": "dev", "CostCenter": "CC-1"},
        },
    )
    body = export_plan(plan(sse)).document["resource"]["aws_s3_bucket_server_side_encryption_configuration"]
    assert body["enc"] == {
        "bucket": "b",
        "rule": [
            {
                "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"},
                "bucket_key_enabled": True,
            }
        ],
        "tags": {"strongroom:environment": "dev", "CostCenter": "CC-1"},
    }


def test_alarm_dimensions_keep_their_keys() -> None:
    alarm = resource("aws:cloudwatch/metricAlarm:MetricAlarm", "a", {"dimensions": {"TrailName": "t"}})
    assert export_plan(plan(alarm)).document["resource"]["aws_cloudwatch_metric_alarm"]["a"] == {
        "dimensions": {"TrailName": "t"}
    }


def test_secrets_are_unwrapped_and_nulls_and_internal_keys_dropped() -> None:
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s3cr3t"}
    param = resource(
        "aws:ssm/parameter:Parameter",
        "p",
        {"value": secret, "description": None, "__defaults": ["name"], "type": "SecureString"},
    )
    body = export_plan(plan(param)).document["resource"]["aws_ssm_parameter"]["p"]
    assert body == {"value": "s3cr3t", "type": "SecureString"}


# --- references ----------------------------------------------------------------------------------


def _bucket_and_key() -> tuple[dict[str, Any], dict[str, Any]]:
    key = resource(
        KEY, "data-key", {"enableKeyRotation": True}, outputs={"arn": KEY_ARN, "keyId": "0f0e"}, id_="0f0e"
    )
    bucket = resource(
        BUCKET,
        "data-bucket",
        {},
        outputs={"bucket": "data-1a2b", "arn": "arn:aws:s3:::data-1a2b"},
        id_="data-1a2b",
    )
    return key, bucket


def test_references_are_rebuilt_from_property_dependencies() -> None:
    key, bucket = _bucket_and_key()
    sse = resource(
        SSE,
        "data-encryption",
        {
            "bucket": "data-1a2b",
            "rules": [
                {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}}
            ],
        },
        deps={"bucket": [bucket["urn"]], "rules": [key["urn"]]},
    )
    doc = export_plan(plan(key, bucket, sse)).document
    body = doc["resource"]["aws_s3_bucket_server_side_encryption_configuration"]["data_encryption"]
    assert body["bucket"] == "${aws_s3_bucket.data_bucket.id}"
    default = body["rule"][0]["apply_server_side_encryption_by_default"]
    assert default["kms_master_key_id"] == "${aws_kms_key.data_key.arn}"
    assert unresolved_references(doc) == []


def test_a_literal_equal_to_an_output_is_not_a_reference_without_a_dependency() -> None:
    key, bucket = _bucket_and_key()
    sse = resource(SSE, "enc", {"bucket": "data-1a2b"}, deps={"bucket": []})
    body = export_plan(plan(key, bucket, sse)).document["resource"]
    assert body["aws_s3_bucket_server_side_encryption_configuration"]["enc"]["bucket"] == "data-1a2b"


def test_dependencies_are_used_when_property_dependencies_are_missing() -> None:
    key, bucket = _bucket_and_key()
    sse = resource(SSE, "enc", {"bucket": "data-1a2b"}, deps={}, dependencies=[bucket["urn"]])
    del sse["propertyDependencies"]
    body = export_plan(plan(key, bucket, sse)).document["resource"]
    assert body["aws_s3_bucket_server_side_encryption_configuration"]["enc"]["bucket"] == (
        "${aws_s3_bucket.data_bucket.id}"
    )


def test_a_value_extending_an_output_keeps_its_suffix() -> None:
    group = resource(
        "aws:cloudwatch/logGroup:LogGroup",
        "trail-logs",
        {},
        outputs={"arn": "arn:aws:logs:eu-west-2:123456789012:log-group:trail-logs"},
        id_="trail-logs",
    )
    trail = resource(
        "aws:cloudtrail/trail:Trail",
        "trail",
        {"cloudWatchLogsGroupArn": "arn:aws:logs:eu-west-2:123456789012:log-group:trail-logs:*"},
        deps={"cloudWatchLogsGroupArn": [group["urn"]]},
    )
    body = export_plan(plan(group, trail)).document["resource"]["aws_cloudtrail"]["trail"]
    assert body["cloud_watch_logs_group_arn"] == "${aws_cloudwatch_log_group.trail_logs.arn}:*"


def test_json_policy_documents_stay_strings() -> None:
    key, bucket = _bucket_and_key()
    document = json.dumps({"Statement": [{"Resource": "arn:aws:s3:::data-1a2b/*"}]})
    pol = resource(
        "aws:s3/bucketPolicy:BucketPolicy",
        "p",
        {"bucket": "data-1a2b", "policy": document},
        deps={"bucket": [bucket["urn"]], "policy": [bucket["urn"]]},
    )
    body = export_plan(plan(key, bucket, pol)).document["resource"]["aws_s3_bucket_policy"]["p"]
    assert body["policy"] == document
    assert json.loads(body["policy"])["Statement"][0]["Resource"] == "arn:aws:s3:::data-1a2b/*"


def test_list_elements_are_references() -> None:
    sg = resource("aws:ec2/securityGroup:SecurityGroup", "sg", {}, id_="sg-0abc")
    nb = resource(
        "aws:sagemaker/notebookInstance:NotebookInstance",
        "nb",
        {"securityGroups": ["sg-0abc", "sg-literal"]},
        deps={"securityGroups": [sg["urn"]]},
    )
    body = export_plan(plan(sg, nb)).document["resource"]["aws_sagemaker_notebook_instance"]["nb"]
    assert body["security_groups"] == ["${aws_security_group.sg.id}", "sg-literal"]


# --- names, unmapped types, providers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pulumi", "tf"),
    [("dev-data-bucket", "dev_data_bucket"), ("a.b/c", "a_b_c"), ("1st", "r_1st"), ("", "resource")],
)
def test_tf_names_are_identifiers(pulumi: str, tf: str) -> None:
    assert tf_name(pulumi) == tf


def test_tf_names_are_unique_across_types() -> None:
    export = export_plan(
        plan(
            resource(BUCKET, "data", id_="d1"),
            resource(KEY, "data", id_="k1"),
            resource(BUCKET, "data.", id_="d2"),
        )
    )
    names = [a.split(".")[1] for a in export.addresses]
    assert sorted(names) == ["data", "data_", "data_2"]
    assert len(set(names)) == 3


def test_urn_for_accepts_checkov_addresses_with_and_without_type() -> None:
    export = export_plan(plan(resource(BUCKET, "dev-data", id_="d")))
    assert export.urn_for("aws_s3_bucket.dev_data") == urn(BUCKET, "dev-data")
    assert export.urn_for("resource.dev_data") == urn(BUCKET, "dev-data")
    assert export.urn_for("provider.aws") is None


def test_unmapped_types_are_reported_not_dropped_silently() -> None:
    odd = resource("aws:appmesh/mesh:Mesh", "mesh", {"name": "m"}, id_="m")
    component = resource("strongroom:index:SecureBucket", "comp", {}, custom=False)
    export = export_plan(plan(odd, component, resource(BUCKET, "b", id_="b")))
    assert export.unmapped == [(odd["urn"], "aws:appmesh/mesh:Mesh")]
    [warning] = export.warnings()
    assert "aws:appmesh/mesh:Mesh" in warning and odd["urn"] in warning and "TF_TYPES" in warning
    assert list(export.document["resource"]) == ["aws_s3_bucket"]


def test_explicit_providers_become_aliases() -> None:
    prov = {
        "urn": "urn:pulumi:ci::proj::pulumi:providers:aws::replica",
        "type": "pulumi:providers:aws",
        "name": "replica",
        "custom": True,
        "id": "p-1",
        "inputs": {"region": "eu-west-1"},
    }
    bucket = resource(BUCKET, "copy", id_="c")
    bucket["provider"] = f"{prov['urn']}::p-1"
    doc = export_plan({**plan(bucket), "resources": [prov, bucket]}).document
    assert doc["provider"] == {"aws": [{}, {"region": "eu-west-1", "alias": "replica"}]}
    assert doc["resource"]["aws_s3_bucket"]["copy"]["provider"] == "aws.replica"


def test_the_default_provider_gets_the_region_the_program_looked_up() -> None:
    data = plan(resource(BUCKET, "b", id_="b"))
    data["invokes"] = [
        {"token": "aws:index/getRegion:getRegion", "args": {}, "result": {"region": "eu-west-2"}}
    ]
    assert export_plan(data).document["provider"] == {"aws": [{"region": "eu-west-2"}]}


# --- whole programs ------------------------------------------------------------------------------

PROGRAMS = [
    (FIXTURES / "checkov_baseline", "ci"),
    (FIXTURES / "insecure_project", "ci"),
    (FIXTURES / "tiny_project", "demo"),
]


@pytest.fixture(scope="module", params=PROGRAMS, ids=lambda p: f"{p[0].name}:{p[1]}")
def program_export(request: pytest.FixtureRequest) -> Any:
    project, stack = request.param
    return export_plan(run_plan(project, stack))


def test_program_export_is_valid_json_with_resolved_references(program_export: Any) -> None:
    document = json.loads(program_export.to_json())
    assert document["resource"], "nothing exported"
    assert unresolved_references(document) == []
    for tf, names in document["resource"].items():
        assert tf.startswith("aws_")
        for name in names:
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), name


def test_program_export_maps_every_cloud_resource(program_export: Any) -> None:
    assert program_export.unmapped == []


def test_baseline_export_connects_bucket_companions() -> None:
    export = export_plan(run_plan(FIXTURES / "checkov_baseline", "ci"))
    refs = {(tf, name, attr) for tf, name, attr in references(export.document)}
    assert ("aws_s3_bucket", "data", "id") in refs
    assert ("aws_kms_key", "key", "arn") in refs
    body = export.document["resource"]["aws_s3_bucket_versioning"]["data_versioning"]
    assert body == {"bucket": "${aws_s3_bucket.data.id}", "versioning_configuration": {"status": "Enabled"}}


# --- command line --------------------------------------------------------------------------------


def test_cli_export_terraform_writes_main_tf_json(tmp_path: Path) -> None:
    out = tmp_path / "tf"
    result = CliRunner().invoke(
        app,
        [
            "export-terraform",
            "--project-dir",
            str(FIXTURES / "insecure_project"),
            "--stack",
            "ci",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads((out / MAIN_FILE).read_text())
    assert "aws_sagemaker_notebook_instance" in document["resource"]
    assert f"written to {out / MAIN_FILE}" in result.output


def test_cli_export_terraform_refuses_a_file_as_out(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("")
    result = CliRunner().invoke(
        app,
        [
            "export-terraform",
            "--project-dir",
            str(FIXTURES / "insecure_project"),
            "--stack",
            "ci",
            "--out",
            str(target),
        ],
    )
    assert result.exit_code == 2
    assert "is not a directory" in result.output


def test_cli_export_terraform_warns_about_unmapped_types(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: proj\nruntime:\n  name: python\n")
    (project / "Pulumi.ci.yaml").write_text("config:\n  aws:region: eu-west-2\n")
    (project / "__main__.py").write_text(
        'import pulumi_aws as aws\naws.appmesh.Mesh("mesh")\naws.s3.Bucket("b")\n'
    )
    result = CliRunner().invoke(
        app,
        ["export-terraform", "--project-dir", str(project), "--stack", "ci", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 0, result.output
    assert "no Terraform mapping for type aws:appmesh/mesh:Mesh" in result.output
    assert "1 resources of stack ci" in result.output
