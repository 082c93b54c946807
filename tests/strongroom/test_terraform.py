"""Terraform JSON export: type mapping from pulumi-aws's data, property renaming, rebuilt references,
unknown values, names, unmapped types."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi_aws
import pytest
from typer.testing import CliRunner

from strongroom.check import UNKNOWN
from strongroom.cli import app
from strongroom.engine import run_plan
from strongroom.policies import tokens
from strongroom.terraform import (
    MAIN_FILE,
    export_plan,
    references,
    tf_name,
    unresolved_references,
)
from strongroom.tfmap import property_renames, singular, snake_case, tf_property_name, tf_type

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


def test_the_type_table_is_pulumi_aws_v7_whole() -> None:
    table = tokens.tf_types()
    assert len(table) == 1690
    assert len(set(table.values())) == 1678
    assert all(t.startswith("aws_") for t in table.values())


@pytest.mark.parametrize(
    ("token", "tf"),
    [
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
        (SSE, "aws_s3_bucket_server_side_encryption_configuration"),
        ("aws:cloudtrail/trail:Trail", "aws_cloudtrail"),
        ("aws:s3/bucketV2:BucketV2", "aws_s3_bucket"),
        ("aws:cfg/recorder:Recorder", "aws_config_configuration_recorder"),
        ("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws_s3_bucket_replication_configuration"),
        ("aws:s3/bucketObjectv2:BucketObjectv2", "aws_s3_object"),
        ("aws:ecs/service:Service", "aws_ecs_service"),
        ("aws:rds/instance:Instance", "aws_db_instance"),
        ("aws:lb/loadBalancer:LoadBalancer", "aws_lb"),
        ("aws:alb/loadBalancer:LoadBalancer", "aws_alb"),
        ("aws:eks/cluster:Cluster", "aws_eks_cluster"),
        ("aws:rds/instanceDesiredState:InstanceDesiredState", "aws_rds_instance_state"),
    ],
)
def test_known_terraform_names(token: str, tf: str) -> None:
    assert tf_type(token) == tf


def test_deprecated_aliases_export_as_their_canonical_type() -> None:
    assert tokens.aliases(), "no aliases in the data"
    for alias, canonical in tokens.aliases().items():
        assert tf_type(alias) == tf_type(canonical) is not None, alias


def test_other_packages_and_unknown_tokens_have_no_type() -> None:
    assert tf_type("random:index/randomPassword:RandomPassword") is None
    assert tf_type("aws:nosuch/thing:Thing") is None


def test_every_aws_type_the_programs_and_stacks_register_maps() -> None:
    """Every pulumi_aws class the fixtures, components and repo program instantiate (read from their
    source: ``aws.<module>.<Class>(``) is a token of the installed package that the table maps."""
    by_class: dict[tuple[str, str], str] = {}
    for token in REGISTERED:
        module, _, cls = token[len("aws:") :].partition(":")
        by_class[(module.split("/")[0], cls)] = token
    sources = [*REPO.glob("components/**/*.py"), REPO / "__main__.py", *FIXTURES.glob("*/**/*.py")]
    used = {
        (module, cls)
        for path in sources
        for module, cls in re.findall(r"\baws\.([a-z0-9]+)_?\.([A-Z][A-Za-z0-9]+)\(", path.read_text())
    }
    tokens_used = {by_class[key] for key in used if key in by_class}
    assert len(tokens_used) >= 50
    assert sorted(t for t in tokens_used if tf_type(t) is None) == []


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


def test_renames_of_the_metadata_win_over_the_mechanical_rules() -> None:
    alarm = resource("aws:cloudwatch/metricAlarm:MetricAlarm", "a", {"name": "root-use", "period": 300})
    fn = resource("aws:lambda/function:Function", "fn", {"name": "handler", "role": "arn:aws:iam::1:role/r"})
    stage = resource("aws:apigateway/stage:Stage", "st", {"restApi": "api-1", "deployment": "dep-1"})
    doc = export_plan(plan(alarm, fn, stage)).document["resource"]
    assert doc["aws_cloudwatch_metric_alarm"]["a"] == {"alarm_name": "root-use", "period": 300}
    assert doc["aws_lambda_function"]["fn"] == {"function_name": "handler", "role": "arn:aws:iam::1:role/r"}
    assert doc["aws_api_gateway_stage"]["st"] == {"rest_api_id": "api-1", "deployment_id": "dep-1"}


def test_nested_renames_follow_their_dotted_path() -> None:
    renames = property_renames("aws:s3/bucketV2:BucketV2")
    assert renames["loggings"] == "logging"
    assert renames["replicationConfigurations.rules"] == "rules"  # implied by a longer path
    assert renames["replicationConfigurations.rules.destinations"] == "destination"
    assert property_renames("aws:s3/bucket:Bucket") == {}  # BucketV2's renames are its own
    bucket = resource(
        "aws:s3/bucketV2:BucketV2",
        "legacy",
        {
            "replicationConfigurations": [
                {
                    "role": "arn:aws:iam::1:role/r",
                    "rules": [{"status": "Enabled", "destinations": [{"a": 1}]}],
                }
            ],
            "loggings": [{"targetBucket": "logs"}],
        },
    )
    body = export_plan(plan(bucket)).document["resource"]["aws_s3_bucket"]["legacy"]
    assert body == {
        "replication_configuration": [
            {"role": "arn:aws:iam::1:role/r", "rules": [{"status": "Enabled", "destination": [{"a": 1}]}]}
        ],
        "logging": [{"target_bucket": "logs"}],
    }


def test_every_renamed_type_is_a_terraform_type_of_the_table() -> None:
    keys = set(tokens.renamed_fields())
    assert len(keys) >= 25
    assert keys - set(tokens.tf_types().values()) == {"aws_s3_bucket_v2_compat"}


def test_archives_export_as_their_path() -> None:
    archive = {"4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", "path": "./app"}
    remote = {"4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", "assets": {}}
    fn = resource("aws:lambda/function:Function", "fn", {"code": archive, "runtime": "python3.12"})
    layer = resource("aws:lambda/layerVersion:LayerVersion", "layer", {"code": remote, "layerName": "l"})
    doc = export_plan(plan(fn, layer)).document["resource"]
    assert doc["aws_lambda_function"]["fn"] == {"filename": "./app", "runtime": "python3.12"}
    assert doc["aws_lambda_layer_version"]["layer"] == {"layer_name": "l"}


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


# --- values unknown at preview ----------------------------------------------------------------------

SG = "aws:ec2/securityGroup:SecurityGroup"
FUNCTION = "aws:lambda/function:Function"


def test_unknown_values_become_references_or_are_omitted_and_counted() -> None:
    """A hand-built Plan with the engine's UNKNOWN sentinel: the export never writes it."""
    from strongroom.engine.plan import Plan

    sg_a = resource(SG, "sg-a", {}, outputs={"arn": UNKNOWN, "vpcId": UNKNOWN}, id_=UNKNOWN)
    sg_b = resource(SG, "sg-b", {}, outputs={"arn": UNKNOWN}, id_=UNKNOWN)
    role = resource("aws:iam/role:Role", "role", {}, outputs={"arn": UNKNOWN}, id_="role-1")
    key = resource(KEY, "key", {}, outputs={"arn": UNKNOWN, "keyId": UNKNOWN}, id_=UNKNOWN)
    fn = resource(
        FUNCTION,
        "fn",
        {
            "role": UNKNOWN,
            "kmsKeyArn": UNKNOWN,
            "vpcConfig": {"securityGroupIds": [UNKNOWN, UNKNOWN], "subnetIds": [UNKNOWN, "subnet-1"]},
            "description": UNKNOWN,
            "handler": f"prefix-{UNKNOWN}",
            "tags": {"Owner": UNKNOWN, "Team": "ml"},
        },
        deps={
            "role": [role["urn"]],
            "kmsKeyArn": [key["urn"]],
            "vpcConfig": [sg_a["urn"], sg_b["urn"]],
            "description": [],
            "handler": [],
            "tags": [],
        },
    )
    data = plan(sg_a, sg_b, role, key, fn)
    export = export_plan(Plan.from_dict(data))
    assert UNKNOWN not in export.to_json()
    body = export.document["resource"]["aws_lambda_function"]["fn"]
    assert body == {
        "role": "${aws_iam_role.role.arn}",
        "kms_key_arn": "${aws_kms_key.key.arn}",
        "vpc_config": {
            "security_group_ids": ["${aws_security_group.sg_a.id}", "${aws_security_group.sg_b.id}"],
            "subnet_ids": ["subnet-1"],
        },
        "tags": {"Team": "ml"},
    }
    assert sorted(export.unknown_omitted) == sorted(
        [
            (fn["urn"], "vpcConfig.subnetIds"),
            (fn["urn"], "description"),
            (fn["urn"], "handler"),
            (fn["urn"], "tags.Owner"),
        ]
    )
    [warning] = export.warnings()
    assert "4 attribute(s) unknown at preview and not exported to Terraform" in warning
    assert "fn.tags.Owner" in warning


def test_an_unknown_id_of_a_dependency_is_referenced_by_a_property_naming_the_resource() -> None:
    sg = resource(SG, "sg", {}, outputs={"arn": UNKNOWN, "ownerId": UNKNOWN}, id_=UNKNOWN)
    service = resource(
        "aws:ecs/service:Service",
        "svc",
        {"networkConfiguration": {"securityGroups": [UNKNOWN], "subnets": ["subnet-1"]}},
        deps={"networkConfiguration": [sg["urn"]]},
    )
    export = export_plan(plan(sg, service))
    body = export.document["resource"]["aws_ecs_service"]["svc"]
    assert body["network_configuration"]["security_groups"] == ["${aws_security_group.sg.id}"]
    assert export.unknown_omitted == [] and export.warnings() == []


def test_unknown_outputs_are_not_identities_for_literal_values() -> None:
    sg = resource(SG, "sg", {}, outputs={"arn": UNKNOWN}, id_=UNKNOWN)
    other = resource(SG, "other", {"description": "x"}, id_="sg-2", deps={"description": [sg["urn"]]})
    export = export_plan(plan(sg, other))
    assert export.document["resource"]["aws_security_group"]["other"] == {"description": "x"}


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


def test_unmapped_types_are_reported_with_their_count_not_dropped_silently() -> None:
    password = resource("random:index/randomPassword:RandomPassword", "pw", {"length": 20}, id_="p")
    password2 = resource("random:index/randomPassword:RandomPassword", "pw2", {"length": 20}, id_="p2")
    newer = resource("aws:nosuch/thing:Thing", "thing", {}, id_="t")
    mesh = resource("aws:appmesh/mesh:Mesh", "mesh", {"name": "m"}, id_="m")
    component = resource("strongroom:index:SecureBucket", "comp", {}, custom=False)
    export = export_plan(plan(password, password2, newer, mesh, component, resource(BUCKET, "b", id_="b")))
    assert export.unmapped == [
        (password["urn"], "random:index/randomPassword:RandomPassword"),
        (password2["urn"], "random:index/randomPassword:RandomPassword"),
        (newer["urn"], "aws:nosuch/thing:Thing"),
    ]
    [warning] = export.warnings()
    assert "3 resource(s) of 2 type(s) not exported to Terraform" in warning
    assert "random:index/randomPassword:RandomPassword (2: pw, pw2)" in warning
    assert "aws:nosuch/thing:Thing (1: thing)" in warning
    assert sorted(export.document["resource"]) == ["aws_appmesh_mesh", "aws_s3_bucket"]


def test_long_warnings_name_some_and_count_the_rest() -> None:
    many = [resource("tls:index/privateKey:PrivateKey", f"k{i}", {}, id_=f"k{i}") for i in range(8)]
    [warning] = export_plan(plan(*many)).warnings()
    assert "8 resource(s) of 1 type(s)" in warning
    assert "(8: k0, k1, k2, k3, k4 and 3 more)" in warning


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


@pytest.fixture(scope="session", params=PROGRAMS, ids=lambda p: f"{p[0].name}:{p[1]}")
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
        "import pulumi\nimport pulumi_aws as aws\n"
        'pulumi.CustomResource("random:index/randomId:RandomId", "rid", {"byteLength": 8})\n'
        'aws.appmesh.Mesh("mesh")\naws.s3.Bucket("b")\n'
    )
    result = CliRunner().invoke(
        app,
        ["export-terraform", "--project-dir", str(project), "--stack", "ci", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 0, result.output
    assert "1 resource(s) of 1 type(s) not exported to Terraform" in result.output
    assert "random:index/randomId:RandomId (1: rid)" in result.output
    assert "2 resources of stack ci" in result.output
