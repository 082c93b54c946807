"""Provider functions offline: pure ones computed as terraform-provider-aws computes them, lookups of the
real account faked (and named in the report and in a program's error) or answered with unknowns."""

from __future__ import annotations

import importlib
import json
import textwrap
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.sync_await import _sync_await

from strongroom.check import check_plan, faked_lookup_notes
from strongroom.engine import run_plan
from strongroom.engine.invokes import (
    _FAKED,
    _PURE,
    UNKNOWN,
    InvokeError,
    answer_invoke,
    policy_document,
    result_fields,
)
from strongroom.engine.monitor import Recorder, install, run
from strongroom.engine.plan import PlanInvoke
from strongroom.errors import ProgramFailed

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "invokes_project"
ACCOUNT = "123456789012"


def write_project(root: Path, program: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: scratch\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-2\n")
    (root / "__main__.py").write_text(textwrap.dedent(program))
    return root


def answer(token: str, args: dict[str, Any], region: str = "eu-west-2") -> tuple[str, dict[str, Any]]:
    got = answer_invoke(token, args, region=region, account=ACCOUNT)
    return got.kind, got.result


# --- getPolicyDocument: the provider's rendering ----------------------------------------------------------


def test_policy_document_without_statements_is_the_version_alone() -> None:
    doc = policy_document({})
    assert doc["json"] == '{\n  "Version": "2012-10-17"\n}'
    assert doc["minifiedJson"] == '{"Version":"2012-10-17"}'
    assert doc["id"] == str(zlib.crc32(doc["json"].encode()))


def test_policy_document_single_elements_are_strings_and_effect_defaults_to_allow() -> None:
    doc = policy_document(
        {
            "statements": [
                {
                    "actions": ["sts:AssumeRole"],
                    "principals": [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
                }
            ]
        }
    )
    assert doc["json"] == (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        "    {\n"
        '      "Effect": "Allow",\n'
        '      "Action": "sts:AssumeRole",\n'
        '      "Principal": {\n'
        '        "Service": "lambda.amazonaws.com"\n'
        "      }\n"
        "    }\n"
        "  ]\n"
        "}"
    )
    assert doc["minifiedJson"] == (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",'
        '"Principal":{"Service":"lambda.amazonaws.com"}}]}'
    )


def test_policy_document_sets_sort_in_reverse_and_conditions_keep_their_order() -> None:
    doc = policy_document(
        {
            "policyId": "data",
            "statements": [
                {
                    "sid": "Data",
                    "effect": "Deny",
                    "notActions": ["s3:GetObject", "s3:PutObject", "s3:GetObject"],
                    "notResources": ["arn:aws:s3:::b", "arn:aws:s3:::b/home/&{aws:username}/*"],
                    "principals": [
                        {"type": "Service", "identifiers": ["ec2.amazonaws.com"]},
                        {"type": "AWS", "identifiers": ["arn:aws:iam::111111111111:root", "222222222222"]},
                        {"type": "*", "identifiers": ["*"]},
                    ],
                    "conditions": [
                        {"test": "StringLike", "variable": "s3:prefix", "values": ["", "home/", "a<b"]},
                        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]},
                    ],
                }
            ],
        }
    )
    assert json.loads(doc["json"]) == json.loads(doc["minifiedJson"])
    assert doc["minifiedJson"] == (
        '{"Version":"2012-10-17","Id":"data","Statement":[{"Sid":"Data","Effect":"Deny",'
        '"NotAction":["s3:PutObject","s3:GetObject"],'
        '"NotResource":["arn:aws:s3:::b/home/${aws:username}/*","arn:aws:s3:::b"],'
        '"Principal":{"*":"*","AWS":["arn:aws:iam::111111111111:root","222222222222"],'
        '"Service":"ec2.amazonaws.com"},'
        '"Condition":{"Bool":{"aws:SecureTransport":"false"},"StringLike":{"s3:prefix":["","home/","a\\u003cb"]}}}]}'
    )


def test_policy_document_a_lone_star_principal_is_a_bare_star_but_aws_star_is_kept() -> None:
    anyone = policy_document(
        {"statements": [{"actions": ["s3:GetObject"], "principals": [{"type": "*", "identifiers": ["*"]}]}]}
    )
    aws_star = policy_document(
        {"statements": [{"actions": ["s3:GetObject"], "principals": [{"type": "AWS", "identifiers": ["*"]}]}]}
    )
    assert '"Principal":"*"' in anyone["minifiedJson"]
    assert '"Principal":{"AWS":"*"}' in aws_star["minifiedJson"]


def test_policy_document_blocks_are_terraform_sets_so_their_order_is_the_providers() -> None:
    """Two principal blocks of one type, or two conditions on one key, are appended in the order of the
    plugin SDK's set (by hash code), whatever order the program gives them in; a repeated block is one."""
    first = {"type": "AWS", "identifiers": ["arn:aws:iam::111111111111:root"]}
    second = {"type": "AWS", "identifiers": ["arn:aws:iam::222222222222:root"]}
    cond_a = {"test": "StringEquals", "variable": "aws:PrincipalTag/team", "values": ["ml"]}
    cond_b = {"test": "StringEquals", "variable": "aws:PrincipalTag/team", "values": ["risk"]}

    def render(principals: list[dict[str, Any]], conditions: list[dict[str, Any]]) -> Any:
        statement = {"actions": ["s3:GetObject"], "principals": principals, "conditions": conditions}
        return json.loads(policy_document({"statements": [statement]})["json"])["Statement"][0]

    forward = render([first, second], [cond_a, cond_b])
    assert forward == render([second, first, second], [cond_b, cond_a])
    assert sorted(forward["Principal"]["AWS"]) == [first["identifiers"][0], second["identifiers"][0]]
    assert sorted(forward["Condition"]["StringEquals"]["aws:PrincipalTag/team"]) == ["ml", "risk"]


def test_policy_document_merges_sources_then_statements_then_overrides_by_sid() -> None:
    source = (
        '{"Version": "2008-10-17", "Id": "src", "Statement": ['
        '{"Sid": "Keep", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*",'
        ' "Principal": {"AWS": ["b", "a"]}, "Condition": {"Bool": {"aws:SecureTransport": true},'
        ' "StringEquals": {"aws:PrincipalOrgID": ["o-1"]}}},'
        '{"Sid": "Mine", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
    )
    override = (
        '{"Id": "over", "Statement": [{"Sid": "Keep", "Effect": "Deny", "Action": "s3:*", "Resource": "*"},'
        ' {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}'
    )
    doc = policy_document(
        {
            "sourcePolicyDocuments": [source],
            "overridePolicyDocuments": [override],
            "statements": [{"sid": "Mine", "actions": ["s3:ListBucket"], "resources": ["arn:aws:s3:::b"]}],
        }
    )
    assert doc["minifiedJson"] == (
        '{"Version":"2012-10-17","Id":"over","Statement":['
        '{"Sid":"Keep","Effect":"Deny","Action":"s3:*","Resource":"*"},'
        '{"Sid":"Mine","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},'
        '{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}'
    )
    kept = policy_document({"sourcePolicyDocuments": [source]})
    assert kept["minifiedJson"] == (
        # the data source's own (empty) document has the default version, which upgrades the source's
        '{"Version":"2012-10-17","Id":"src","Statement":['
        '{"Sid":"Keep","Effect":"Allow","Action":["s3:GetObject"],"Resource":"*","Principal":{"AWS":["b","a"]},'
        '"Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:PrincipalOrgID":"o-1"}}},'
        '{"Sid":"Mine","Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    )


def test_policy_document_refuses_what_the_provider_refuses() -> None:
    twice = '{"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
    with pytest.raises(InvokeError, match=r"duplicate Sid \(A\) in source_policy_documents"):
        policy_document({"sourcePolicyDocuments": [twice, twice]})
    with pytest.raises(InvokeError, match="not supported in document version 2008-10-17"):
        policy_document(
            {"version": "2008-10-17", "statements": [{"actions": ["s3:*"], "resources": ["&{x}"]}]}
        )


def test_policy_document_with_an_unknown_argument_is_unknown() -> None:
    kind, result = answer(
        "aws:iam/getPolicyDocument:getPolicyDocument",
        {"statements": [{"actions": ["s3:*"], "resources": [UNKNOWN]}]},
    )
    assert kind == "computed"
    assert result["json"] == UNKNOWN and result["minifiedJson"] == UNKNOWN and result["id"] == UNKNOWN


# --- the other pure functions ---------------------------------------------------------------------------


def test_get_arn_splits_the_arn() -> None:
    kind, result = answer("aws:index/getArn:getArn", {"arn": "arn:aws:iam::123456789012:role/a/b:c"})
    assert kind == "computed"
    assert result == {
        "id": "arn:aws:iam::123456789012:role/a/b:c",
        "arn": "arn:aws:iam::123456789012:role/a/b:c",
        "partition": "aws",
        "service": "iam",
        "region": "",
        "account": "123456789012",
        "resource": "role/a/b:c",
    }
    with pytest.raises(InvokeError):
        answer("aws:index/getArn:getArn", {"arn": "not-an-arn"})


def test_service_principal_follows_the_partition_rules() -> None:
    assert answer("aws:index/getServicePrincipal:getServicePrincipal", {"serviceName": "s3"})[1]["name"] == (
        "s3.amazonaws.com"
    )
    china = answer(
        "aws:index/getServicePrincipal:getServicePrincipal", {"serviceName": "logs"}, "cn-north-1"
    )[1]
    assert (china["name"], china["id"]) == ("logs.amazonaws.com.cn", "logs.cn-north-1.amazonaws.com.cn")
    other = answer("aws:index/getServicePrincipal:getServicePrincipal", {"serviceName": "s3"}, "cn-north-1")[
        1
    ]
    assert other["name"] == "s3.amazonaws.com"


def test_regions_come_from_the_partition() -> None:
    names = answer("aws:index/getRegions:getRegions", {})[1]["names"]
    assert "eu-west-2" in names and "us-east-1" in names and not any(n.startswith("cn-") for n in names)
    china = answer("aws:index/getRegions:getRegions", {}, "cn-north-1")[1]["names"]
    assert china == ["cn-north-1", "cn-northwest-1"]


def test_session_context_names_the_role_of_an_assumed_role_arn() -> None:
    arn = "arn:aws:sts::123456789012:assumed-role/team/deployer/ci-run"
    result = answer("aws:iam/getSessionContext:getSessionContext", {"arn": arn})[1]
    assert result["issuerArn"] == "arn:aws:iam::123456789012:role/team/deployer"
    assert (result["issuerName"], result["sessionName"]) == ("deployer", "ci-run")
    assert result["issuerId"].startswith("AROA") and len(result["issuerId"]) == 21


def test_fixture_program_builds_its_policies_from_the_pure_functions() -> None:
    plan = run_plan(FIXTURE, "dev")
    assert {i.kind for i in plan.invokes} == {"computed"}
    trust = json.loads(plan.named("worker").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert plan.named("worker-access").inputs["policy"] == (
        '{"Version":"2012-10-17","Statement":['
        '{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::invokes-demo-data/*"},'
        '{"Sid":"List","Effect":"Deny","Action":"s3:ListBucket","Resource":"*"},'
        '{"Sid":"TlsOnly","Effect":"Deny","Action":"s3:*",'
        '"Resource":["arn:aws:s3:::invokes-demo-data/*","arn:aws:s3:::invokes-demo-data"],"Principal":"*",'
        '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
    )
    session = next(i for i in plan.invokes if i.token == "aws:iam/getSessionContext:getSessionContext")
    assert session.result["issuerArn"] == f"arn:aws:iam::{ACCOUNT}:role/deployer"


# --- faked lookups --------------------------------------------------------------------------------------


def result_class(token: str) -> type:
    module, function = token.split(":")[1].split("/")[0], token.split(":")[2]
    package = importlib.import_module("pulumi_aws" if module == "index" else f"pulumi_aws.{module}")
    cls = getattr(package, function[0].upper() + function[1:] + "Result")
    assert isinstance(cls, type)
    return cls


@pytest.mark.parametrize("token", sorted(_FAKED) + sorted(_PURE))
def test_every_answer_fits_the_functions_result_type(token: str) -> None:
    """Field names from the installed result class, and the values pass its type checks as the SDK
    builds it (``Expected argument 'arn' to be a str``)."""
    fields = set(result_fields(token))
    assert fields, f"no pulumi_aws result class found for {token}"
    args: dict[str, Any] = {"name": "x"} if "PrefixList" in token else {}
    if token == "aws:index/getArn:getArn":
        args = {"arn": "arn:aws:s3:::bucket"}
    got = answer_invoke(token, args, region="eu-west-2", account=ACCOUNT)
    assert got.kind == ("faked" if token in _FAKED else "computed")
    assert set(got.result) <= fields, sorted(set(got.result) - fields)
    assert UNKNOWN not in (got.result.get("id"), got.result.get("arn"))
    wire = rpc.deserialize_properties(_sync_await(rpc.serialize_properties(got.wire(), {})))
    rpc.translate_output_properties(wire, lambda name: name, result_class(token))


def test_faked_lookups_are_deterministic_and_shaped_as_aws_returns_them() -> None:
    args = {"owners": ["amazon"], "mostRecent": True}
    first = answer("aws:ec2/getAmi:getAmi", args)[1]
    assert first == answer("aws:ec2/getAmi:getAmi", args)[1]
    assert first["id"].startswith("ami-0") and len(first["id"]) == 21
    assert first["owners"] == ["amazon"] and first["region"] == "eu-west-2"
    subnets = answer("aws:ec2/getSubnets:getSubnets", {})[1]["ids"]
    assert len(subnets) == 3 and all(s.startswith("subnet-0") for s in subnets)
    creds = answer("aws:ecr/getCredentials:getCredentials", {"registryId": ACCOUNT})[1]
    assert creds["proxyEndpoint"] == f"https://{ACCOUNT}.dkr.ecr.eu-west-2.amazonaws.com"
    secret = answer("aws:secretsmanager/getSecretVersion:getSecretVersion", {"secretId": "db"})[1]
    assert secret["secretString"] == UNKNOWN


def test_a_faked_lookup_feeds_the_program_and_is_named_in_the_report(tmp_path: Path) -> None:
    program = """
        import pulumi_aws as aws
        ami = aws.ec2.get_ami(owners=["amazon"], most_recent=True)
        vpc = aws.ec2.get_vpc_output(default=True)
        again = aws.ec2.get_vpc_output(default=True)
        aws.ec2.SecurityGroup("sg", vpc_id=vpc.id, description="web")
        aws.ec2.Instance("vm", ami=ami.id, instance_type="t3.micro")
    """
    plan = run_plan(write_project(tmp_path / "p", program), "dev")
    ami = next(i for i in plan.invokes if i.token == "aws:ec2/getAmi:getAmi")
    assert (ami.kind, ami.answered) == ("faked", True)
    assert plan.named("vm").inputs["ami"] == ami.result["id"]
    assert plan.named("sg").inputs["vpcId"].startswith("vpc-0")
    notes = faked_lookup_notes(plan)
    assert (
        "lookup aws:ec2/getAmi:getAmi (mostRecent=true, owners=[amazon]) was faked offline: "
        f"{ami.result['id']}; the real account may answer differently"
    ) in notes
    assert (
        len([n for n in notes if n.startswith("lookup aws:ec2/getVpc:getVpc (default=true) was faked")]) == 1
    )
    assert len(notes) == 2
    report = check_plan(plan, config={"aws:region": "eu-west-2"}, account=ACCOUNT)
    assert set(notes) <= set(report.notes)
    assert not [v for v in report.violations if "getAmi" in v.message]


def test_plan_json_keeps_the_kind_and_older_plans_derive_it() -> None:
    invoke = PlanInvoke(token="aws:ec2/getAmi:getAmi", kind="faked")
    assert PlanInvoke.from_dict(invoke.to_dict()).kind == "faked"
    assert PlanInvoke.from_dict({"token": "t", "answered": False}).kind == "unknown"
    assert PlanInvoke.from_dict({"token": "t"}).kind == "computed"


# --- lookups without a fake: unknown, in both forms of the SDK ---------------------------------------------


@pytest.fixture
def preview() -> Iterator[Callable[[Callable[[], Any]], Recorder]]:
    """Run a program under the recording monitor with preview semantics (``is_dry_run()`` true)."""
    saved = SETTINGS.dry_run

    def go(fn: Callable[[], Any]) -> Recorder:
        recorder = install(project="p", stack="dev", region="eu-west-2", account=ACCOUNT)
        SETTINGS.dry_run = True
        run(fn, timeout=60)
        return recorder

    yield go
    SETTINGS.dry_run = saved


def test_unfaked_lookup_plain_form_gives_empty_fields_and_the_program_goes_on(
    preview: Callable[[Callable[[], Any]], Recorder],
) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        igw = aws.ec2.get_internet_gateway(filters=[{"name": "attachment.vpc-id", "values": ["vpc-1"]}])
        seen["id"] = igw.id
        aws.ec2.Route("out", route_table_id="rtb-1", destination_cidr_block="0.0.0.0/0", gateway_id=igw.id)

    recorder = preview(program)
    # An Unknown would fail the generated result class's type check (Expected argument 'id' to be a str):
    # the plain form gets the field left out, None.
    assert seen["id"] is None
    [invoke] = recorder.invokes
    assert (invoke.kind, invoke.answered) == ("unknown", False)
    assert invoke.result["id"] == UNKNOWN and invoke.result["region"] == "eu-west-2"
    assert invoke.result["filters"] == [{"name": "attachment.vpc-id", "values": ["vpc-1"]}]
    route = recorder.named("out")
    assert route.inputs.get("gatewayId") in (None, UNKNOWN)


def test_faked_lookups_pass_the_result_type_checks_under_preview_in_both_forms(
    preview: Callable[[Callable[[], Any]], Recorder],
) -> None:
    def program() -> None:
        ami = aws.ec2.get_ami(owners=["amazon"], most_recent=True)
        vpc = aws.ec2.get_vpc_output(default=True)
        aws.ec2.Instance("vm", ami=ami.id, instance_type="t3.micro")
        aws.ec2.SecurityGroup("sg", vpc_id=vpc.id, description="web")

    recorder = preview(program)
    assert recorder.named("vm").inputs["ami"].startswith("ami-0")
    assert recorder.named("sg").inputs["vpcId"].startswith("vpc-0")
    assert {i.kind for i in recorder.invokes} == {"faked"}


def test_unfaked_lookup_output_form_is_an_unknown_output_whose_applies_are_skipped(
    preview: Callable[[Callable[[], Any]], Recorder],
) -> None:
    applied: list[Any] = []
    outputs: dict[str, pulumi.Output[Any]] = {}

    def program() -> None:
        igw = aws.ec2.get_internet_gateway_output(internet_gateway_id="igw-1")
        outputs["id"] = igw.id
        igw.arn.apply(applied.append)
        aws.ec2.Route("out", route_table_id="rtb-1", destination_cidr_block="0.0.0.0/0", gateway_id=igw.id)

    recorder = preview(program)
    assert _sync_await(outputs["id"].is_known()) is False
    assert applied == []
    [invoke] = recorder.invokes
    assert invoke.kind == "unknown" and invoke.result["internetGatewayId"] == "igw-1"
    assert recorder.named("out").type == "aws:ec2/route:Route"


def test_unfaked_lookups_are_findings_and_the_program_goes_on(tmp_path: Path) -> None:
    program = """
        import pulumi_aws as aws
        igw = aws.ec2.get_internet_gateway_output(internet_gateway_id="igw-1")
        aws.ec2.Vpc("v", cidr_block="10.0.0.0/16", tags={"igw": igw.id})
    """
    plan = run_plan(write_project(tmp_path / "p", program), "dev")
    [invoke] = plan.invokes
    assert invoke.kind == "unknown" and invoke.result["arn"] == UNKNOWN
    assert plan.named("v").type == "aws:ec2/vpc:Vpc"
    assert faked_lookup_notes(plan) == []
    report = check_plan(plan, config={"aws:region": "eu-west-2"}, account=ACCOUNT)
    [finding] = [v for v in report.violations if "getInternetGateway" in v.message]
    assert finding.control == "SR-GOV-004"
    assert "every field of its result is unknown" in finding.message


# --- a failing program names the lookups -----------------------------------------------------------------


def test_a_failing_program_lists_the_faked_and_unanswered_lookups(tmp_path: Path) -> None:
    program = """
        import pulumi_aws as aws
        ami = aws.ec2.get_ami(owners=["amazon"], name_regex="^ubuntu-22")
        igw = aws.ec2.get_internet_gateway(internet_gateway_id="igw-1")
        if not ami.name.startswith("ubuntu"):
            raise RuntimeError(f"unexpected image {ami.name}")
    """
    with pytest.raises(ProgramFailed) as failure:
        run_plan(write_project(tmp_path / "p", program), "dev")
    message = str(failure.value)
    assert "RuntimeError: unexpected image offline-image-" in message
    assert (
        "Lookups faked offline: aws:ec2/getAmi:getAmi (nameRegex=^ubuntu-22, owners=[amazon]) -> ami-0"
        in message
    )
    assert (
        "Lookups with no offline answer (every field unknown): "
        "aws:ec2/getInternetGateway:getInternetGateway (internetGatewayId=igw-1)."
    ) in message


def test_a_call_the_provider_refuses_fails_the_program_at_its_line(tmp_path: Path) -> None:
    program = """
        import pulumi_aws as aws
        statement = {"sid": "Same", "actions": ["s3:GetObject"], "resources": ["*"]}
        doc = aws.iam.get_policy_document(statements=[statement, statement])
    """
    with pytest.raises(ProgramFailed) as failure:
        run_plan(write_project(tmp_path / "p", program), "dev")
    message = str(failure.value)
    assert (
        "invoke of aws:iam/getPolicyDocument:getPolicyDocument failed: writing IAM Policy Document: "
        "duplicate Sid (Same)"
    ) in message
    assert "Raised at __main__.py:4" in message


def test_an_ami_name_filter_shapes_the_faked_name() -> None:
    result = answer(
        "aws:ec2/getAmi:getAmi", {"filters": [{"name": "name", "values": ["ubuntu/images/*-amd64"]}]}
    )[1]
    assert result["name"].startswith("ubuntu/images/") and result["name"].endswith("-amd64")
