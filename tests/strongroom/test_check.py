"""The pack driver, over real gRPC against a real pack process.

Most tests use ``tests/fixtures/mini_pack`` (independent of Strongroom's catalog); the last group runs
Strongroom's own pack (in process, see ``test_inprocess.py``) over the repo's stacks and the insecure
fixture when those exist.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from click.testing import Result
from junitparser import JUnitXml
from typer.testing import CliRunner

from strongroom.check import (
    UNKNOWN,
    PolicyPackError,
    PolicyPackProcess,
    analyze_request,
    build_report,
    check_plan,
    check_plans,
    check_project,
    control_id,
    secret,
    to_struct,
)
from strongroom.cli import app
from strongroom.engine import run_plan
from strongroom.engine.plan import Plan, PlanResource
from strongroom.errors import UsageError
from strongroom.policies.catalog import CATALOG

REPO = Path(__file__).resolve().parents[2]
MINI_PACK = REPO / "tests" / "fixtures" / "mini_pack"
ROOT = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"
PROVIDER = "urn:pulumi:dev::proj::pulumi:providers:aws::default_7_51_1"
PROVIDER_REF = f"{PROVIDER}::04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::proj::{type_}::{name}"


def resource(type_: str, name: str, **kwargs: object) -> PlanResource:
    kwargs.setdefault("parent", ROOT)
    kwargs.setdefault("custom", True)
    return PlanResource(urn=urn(type_, name), type=type_, name=name, **kwargs)  # type: ignore[arg-type]


def base_resources() -> list[PlanResource]:
    return [
        PlanResource(urn=ROOT, type="pulumi:pulumi:Stack", name="proj-dev"),
        PlanResource(
            urn=PROVIDER,
            type="pulumi:providers:aws",
            name="default_7_51_1",
            custom=True,
            id="04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            inputs={"region": "eu-west-2"},
        ),
    ]


def make_plan(*resources: PlanResource) -> Plan:
    return Plan(project="proj", stack="dev", resources=[*base_resources(), *resources])


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(MINI_PACK, project="proj", stack="dev") as process:
        yield process


def messages(diagnostics: list, policy: str) -> list[str]:  # type: ignore[type-arg]
    return [d.message.split("\n", 1)[-1] for d in diagnostics if d.policy_name == policy]


def test_analyzer_info_lists_policies_with_levels_kinds_and_config_schema(pack: PolicyPackProcess) -> None:
    assert pack.info is not None
    assert pack.info.name == "mini-pack"
    policies = {p.name: p for p in pack.info.policies}
    assert policies["sr-tst-001"].enforcement == "mandatory"
    assert policies["sr-tst-001"].kind == "resource"
    assert policies["sr-tst-002"].kind == "stack"
    assert policies["sr-tst-003"].enforcement == "advisory"
    assert policies["sr-tst-005"].config_schema["properties"]["requiredTags"]["type"] == "array"


def test_resource_violation_is_attributed_to_the_analyzed_resource(pack: PolicyPackProcess) -> None:
    bucket = resource("aws:s3/bucket:Bucket", "data", inputs={"bucket": "data"})
    good = resource("aws:s3/bucket:Bucket", "logs", inputs={"versioned": True})
    diagnostics = pack.analyze_plan(make_plan(bucket, good))
    found = [d for d in diagnostics if d.policy_name == "sr-tst-001"]
    assert [d.urn for d in found] == [bucket.urn]
    assert found[0].enforcement == "mandatory"
    assert found[0].message == "Buckets are versioned.\nbucket 'data' has versioned=None"


def test_stack_policy_sees_parents_and_reports_the_urn_it_names(pack: PolicyPackProcess) -> None:
    igw = resource("aws:ec2/internetGateway:InternetGateway", "igw")
    diagnostics = pack.analyze_plan(make_plan(igw))
    found = [d for d in diagnostics if d.policy_name == "sr-tst-002"]
    assert [d.urn for d in found] == [igw.urn]
    assert messages(found, "sr-tst-002") == [f"internet gateway 'igw' (parent {ROOT})"]


def test_stack_finding_without_urn_goes_to_the_root_stack(pack: PolicyPackProcess) -> None:
    flag = resource("test:index:Thing", "stack-level-flag")
    diagnostics = [d for d in pack.analyze_plan(make_plan(flag)) if d.policy_name == "sr-tst-007"]
    assert [d.urn for d in diagnostics] == [ROOT]


def test_secrets_reach_the_pack_as_plain_values(pack: PolicyPackProcess) -> None:
    db = resource("aws:rds/instance:Instance", "db", inputs={"password": secret("hunter2")})
    diagnostics = pack.analyze_plan(make_plan(db))
    assert messages(diagnostics, "sr-tst-003") == ["password seen as str:hunter2"]


def test_secret_wire_form_is_the_engines() -> None:
    struct = to_struct({"password": secret("hunter2")})
    assert dict(struct["password"]) == {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": "hunter2",
    }


def test_unknown_values_make_the_pack_skip_the_policy_with_a_note(pack: PolicyPackProcess) -> None:
    thing = resource("test:index:Unknowable", "u", inputs={"arn": UNKNOWN})
    plan = make_plan(thing)
    diagnostics = pack.analyze_plan(plan)
    skipped = [d for d in diagnostics if d.policy_name == "sr-tst-004"]
    assert len(skipped) == 1 and skipped[0].could_not_run
    assert "can't be known during preview" in skipped[0].message
    assert pack.info is not None
    report = build_report(plan, pack.info, diagnostics, rules={})
    assert not [v for v in report.violations if v.control == "SR-TST-004"]
    assert any("SR-TST-004" in note.upper() for note in report.notes)


def test_provider_options_and_numbers_reach_resource_policies(pack: PolicyPackProcess) -> None:
    probe = resource("test:index:Probe", "probe", provider=PROVIDER_REF, protect=True, inputs={"count": 3})
    diagnostics = pack.analyze_plan(make_plan(probe))
    assert messages(diagnostics, "sr-tst-006") == [
        f"provider=default_7_51_1 region=eu-west-2 protect=True parent={ROOT} count=3.0"
    ]


def test_stack_policies_get_outputs_dependencies_and_property_dependencies(pack: PolicyPackProcess) -> None:
    vpc = resource("aws:ec2/vpc:Vpc", "vpc")
    probe = resource(
        "test:index:Probe",
        "probe",
        inputs={"vpcId": "vpc-1"},
        outputs={"id": "probe-1"},
        dependencies=[vpc.urn],
        property_dependencies={"vpcId": [vpc.urn], "unused": []},
    )
    diagnostics = pack.analyze_plan(make_plan(vpc, probe))
    assert messages(diagnostics, "sr-tst-007") == ["id=probe-1 deps=['vpc'] propertyDeps={'vpcId': ['vpc']}"]


def test_analyze_request_carries_inputs_name_and_provider() -> None:
    plan = make_plan(resource("test:index:Probe", "p", provider=PROVIDER_REF, inputs={"a": [1, "x"]}))
    probe, provider = plan.resources[2], plan.resources[1]
    request = analyze_request(probe, provider)
    assert (request.type, request.name, request.urn) == ("test:index:Probe", "p", probe.urn)
    assert list(request.properties["a"]) == [1.0, "x"]
    assert request.provider.name == "default_7_51_1"
    assert request.options.parent == ROOT


def test_unsupported_property_values_are_refused_naming_the_path() -> None:
    with pytest.raises(TypeError, match=r"property tags\.when has a value of type object"):
        to_struct({"tags": {"when": object()}})


def test_configure_sets_policy_properties_and_levels() -> None:
    tagged = resource("aws:s3/bucket:Bucket", "data", inputs={"versioned": True, "tags": {"owner": "x"}})
    with PolicyPackProcess(MINI_PACK, project="proj", stack="dev") as process:
        process.configure(
            {
                "sr-tst-005": {"enforcementLevel": "mandatory", "requiredTags": ["owner", "cost-centre"]},
                "sr-tst-001": {"enforcementLevel": "disabled"},
            }
        )
        diagnostics = process.analyze_plan(make_plan(tagged))
        assert process.info is not None
        info = process.info
    found = [d for d in diagnostics if d.policy_name == "sr-tst-005"]
    assert [(d.enforcement, d.message.split("\n")[-1]) for d in found] == [
        ("mandatory", "missing tags ['cost-centre']")
    ]
    assert "sr-tst-001" not in {p.name for p in info.enabled()}


def test_configure_refuses_unknown_policies_and_levels(pack: PolicyPackProcess) -> None:
    with pytest.raises(UsageError, match="'sr-nope-001', which pack mini-pack does not have"):
        pack.configure({"sr-nope-001": {"enforcementLevel": "mandatory"}})
    with pytest.raises(UsageError, match=r"sr-tst-001\.enforcementLevel is 'strict'; accepted: advisory"):
        pack.configure({"sr-tst-001": {"enforcementLevel": "strict"}})


def test_one_process_checks_many_plans_in_order() -> None:
    plans = [
        make_plan(resource("aws:s3/bucket:Bucket", "a")),
        make_plan(resource("aws:s3/bucket:Bucket", "b", inputs={"versioned": True})),
        make_plan(resource("aws:s3/bucket:Bucket", "c")),
    ]
    info, results = check_plans(plans, MINI_PACK)
    assert info.name == "mini-pack"
    assert [[d.urn.rsplit("::", 1)[1] for d in r if d.policy_name == "sr-tst-001"] for r in results] == [
        ["a"],
        [],
        ["c"],
    ]


def test_report_maps_policy_names_to_controls_and_counts_passes() -> None:
    plan = make_plan(
        resource("aws:s3/bucket:Bucket", "data"),
        resource("test:index:Thing", "flagged"),
    )
    report = check_plan(plan, MINI_PACK)
    by_control = {v.control: v for v in report.violations}
    assert by_control["SR-TST-001"].resource_name == "data"
    assert by_control["SR-TST-001"].resource_type == "aws:s3/bucket:Bucket"
    assert by_control["SR-TST-001"].message == "bucket 'data' has versioned=None"
    assert by_control["SR-TST-001"].title == "Buckets are versioned."
    assert by_control["custom-rule"].enforcement == "advisory"
    assert report.controls == 8
    assert "SR-TST-002" in report.passed_controls
    assert report.exit_code == 1
    assert report.sources == {"pulumi-policy": "mini-pack 0.0.1"}


def test_control_ids_follow_the_naming_convention() -> None:
    assert control_id("sr-net-001") == "SR-NET-001"
    assert control_id("custom-rule") == "custom-rule"


def test_pack_that_crashes_at_start_is_reported_with_its_stderr(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text("raise RuntimeError('pack is broken: missing catalog')\n")
    process = PolicyPackProcess(tmp_path, project="p", stack="s", start_timeout=30)
    with pytest.raises(PolicyPackError) as error, process:
        pass
    text = str(error.value)
    assert "exited before printing its port (exited with code 1)" in text
    assert "pack is broken: missing catalog" in text
    assert f"policy pack {tmp_path.resolve()}" in text
    assert process.returncode is not None  # reaped, no zombie


def test_pack_that_never_starts_times_out_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import time, sys\nprint('warming up', file=sys.stderr)\ntime.sleep(60)\n"
    )
    process = PolicyPackProcess(tmp_path, project="p", stack="s", start_timeout=1.5)
    with pytest.raises(PolicyPackError, match=r"did not print its port within 1.5 s(.|\n)*warming up"):
        process.__enter__()
    assert process.returncode is not None


def test_directory_without_a_pack_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no PulumiPolicy\.yaml there"):
        PolicyPackProcess(tmp_path, project="p", stack="s")
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: nodejs\n")
    (tmp_path / "__main__.py").write_text("")
    with pytest.raises(UsageError, match="runtime must be python"):
        PolicyPackProcess(tmp_path, project="p", stack="s")


def test_pack_process_is_gone_after_the_context(tmp_path: Path) -> None:
    with PolicyPackProcess(MINI_PACK, project="proj", stack="dev") as process:
        assert process.returncode is None
        pid = process._process.pid  # type: ignore[union-attr]
    assert process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_pack_gets_the_environment_the_cli_sets(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import os, sys\n"
        "keys = ['PULUMI_PROJECT', 'PULUMI_STACK', 'PULUMI_DRY_RUN', 'PULUMI_ORGANIZATION',\n"
        "        'PULUMI_CONFIG']\n"
        "print({k: os.environ.get(k) for k in keys}, sys.argv[1:], os.getcwd(), file=sys.stderr)\n"
        "raise SystemExit(3)\n"
    )
    process = PolicyPackProcess(
        tmp_path, project="proj", stack="dev", config={"aws:region": "eu-west-2"}, start_timeout=30
    )
    with pytest.raises(PolicyPackError) as error:
        process.__enter__()
    text = str(error.value)
    config = json.dumps({"aws:region": "eu-west-2"})
    assert (
        f"'PULUMI_PROJECT': 'proj', 'PULUMI_STACK': 'dev', 'PULUMI_DRY_RUN': 'true', "
        f"'PULUMI_ORGANIZATION': 'organization', 'PULUMI_CONFIG': '{config}'}}"
    ) in text
    assert f"['{process.engine_address}', '.'] {tmp_path.resolve()}" in text
    assert "exited with code 3" in text


# -- Strongroom's own pack, through the command line -------------------------------------------------

INSECURE = REPO / "tests" / "fixtures" / "insecure_project"
SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
#: Every resource of the insecure program that breaks a control (the route table association does not).
INSECURE_RESOURCES = {
    "igw": "SR-NET-001",
    "nat": "SR-NET-002",
    "nat-eip": "SR-NET-004",
    "public": "SR-NET-005",
    "public-routes": "SR-NET-006",
    "open": "SR-NET-007",
    "vpc": "SR-NET-009",
    "data": "SR-STO-001",
    "data-public-read": "SR-STO-005",
    "key": "SR-ENC-001",
    "admin": "SR-IAM-004",
    "admin-access": "SR-IAM-005",
    "notebook": "SR-WS-002",
}
runner = CliRunner()


def run_check(*args: str) -> Result:
    return runner.invoke(app, ["check", *args])


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_repo_stacks_pass_every_control(stack: str) -> None:
    report = check_project(REPO, stack)
    assert report.violations == [], "\n".join(
        f"{v.control} {v.resource_urn}: {v.message}" for v in report.violations
    )
    assert report.controls >= 35
    assert report.exit_code == 0


def test_insecure_program_has_every_insecure_resource_reported_and_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run_check(
        "--project-dir", str(INSECURE), "--stack", "ci", "--format", "json", "--output", str(out)
    )
    assert result.exit_code == 1, result.stderr
    data = json.loads(out.read_text())
    found: dict[str, set[str]] = {}
    for v in data["violations"]:
        found.setdefault(v["resource_name"], set()).add(v["control"])
    missing = {
        name: control for name, control in INSECURE_RESOURCES.items() if control not in found.get(name, set())
    }
    assert missing == {}, f"not reported: {missing}; reported: {found}"
    assert all(v["source"] == "pulumi-policy" for v in data["violations"])
    # Advisory outside prod only: a role anyone may assume without MFA or a source identity (SR-IAM-052).
    advisory = {v["control"] for v in data["violations"] if v["enforcement"] != "mandatory"}
    assert advisory == {"SR-IAM-052"}, advisory
    assert data["resources"] == 15
    assert "violation(s)" in result.stderr


def test_sarif_of_the_insecure_program_is_schema_valid_and_points_at_its_stack_file() -> None:
    result = run_check("-C", str(INSECURE), "-s", "ci", "--format", "sarif")
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(document)
    run = document["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"tests/fixtures/insecure_project/Pulumi.ci.yaml"}
    assert len(run["tool"]["driver"]["rules"]) >= 35


def test_junit_has_one_case_per_control_of_the_pack() -> None:
    result = run_check("-C", str(INSECURE), "-s", "ci", "--format", "junit", "--policy-pack", str(MINI_PACK))
    assert result.exit_code == 1, result.stderr
    xml = JUnitXml.fromstring(result.stdout)
    names = sorted(case.name.split(":")[0] for suite in xml for case in suite)
    assert names == sorted(["SR-TST-00" + str(i) for i in range(1, 8)] + ["custom-rule"])


def test_text_report_ends_with_the_summary() -> None:
    result = run_check("-C", str(INSECURE), "-s", "ci", "--policy-pack", str(MINI_PACK))
    assert result.exit_code == 1
    # The summary is the last paragraph (it wraps when COLUMNS is narrow).
    last = result.stdout.strip().split("\n")
    assert any(line.startswith("FAILED: stack ci: ") for line in last[-2:]), last[-3:]
    assert " ".join(result.stdout.split()).endswith(" resources")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "nope"], "Stack 'nope' has no config file Pulumi.nope.yaml"),
        (["-s", "ci", "--format", "xml"], "--format 'xml' is not a report format; accepted: text, json"),
        (["-s", "ci", "--policy-pack", "/"], "--policy-pack /: no PulumiPolicy.yaml there"),
        (["-s", "ci", "--output", "/no/such/dir/r.json"], "--output /no/such/dir/r.json: directory"),
        (["-s", "ci", "--account", "42"], "Account id '42' is not valid"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(args: list[str], message: str) -> None:
    result = run_check("-C", str(INSECURE), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# --- policy config: allowed types and the perimeter -----------------------------------------------------


def write_project(root: Path, program: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: allowance\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text(
        'config:\n  aws:region: eu-west-2\n  strongroom:perimeter:\n    trustedAccounts: ["123456789012"]\n'
    )
    (root / "__main__.py").write_text(program)
    return root


SSM_PROGRAM = (
    "import pulumi_aws as aws\naws.ssm.Parameter('image', type='String', value='ami-0123456789abcdef0')\n"
)


def test_an_unreviewed_type_fails_until_the_policy_config_allows_it(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", SSM_PROGRAM)
    denied = run_check("-C", str(project), "-s", "dev", "-f", "json")
    assert denied.exit_code == 1
    [violation] = json.loads(denied.stdout)["violations"]
    assert violation["control"] == "SR-GOV-001" and violation["resource_name"] == "image"
    allowance = tmp_path / "policy-config.json"
    why = "holds only image IDs, no data; reviewed in SEC-142"
    allowance.write_text(json.dumps({"sr-gov-001": {"allowedTypes": {"aws:ssm/parameter:Parameter": why}}}))
    allowed = run_check("-C", str(project), "-s", "dev", "-f", "json", "--policy-config", str(allowance))
    assert allowed.exit_code == 0, allowed.stdout
    notes = json.loads(allowed.stdout)["notes"]
    assert (
        "allowed by policy config (sr-gov-001.allowedTypes): aws:ssm/parameter:Parameter "
        f"(1 resource(s)): {why}" in notes
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"sr-gov-001": 3}', "key 'sr-gov-001' = 3: accepted: an object"),
        ('{"sr-gov-001": {"allowedTypes": ["aws:x"]}}', 'key sr-gov-001.allowedTypes = ["aws:x"]: accepted'),
        (
            '{"sr-gov-001": {"allowedTypes": {"aws:x/y:Y": "ok"}}}',
            "a justification of at least 10 characters",
        ),
        ('{"sr-nope-001": {}}', "policy config names 'sr-nope-001', which pack strongroom does not have"),
    ],
)
def test_a_bad_policy_config_exits_2_naming_the_file_and_key(
    tmp_path: Path, content: str, message: str
) -> None:
    project = write_project(tmp_path / "p", SSM_PROGRAM)
    config = tmp_path / "policy-config.json"
    config.write_text(content)
    result = run_check("-C", str(project), "-s", "dev", "--policy-config", str(config))
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr


def test_policy_config_command_writes_the_perimeter_for_every_policy() -> None:
    result = runner.invoke(
        app, ["policy-config", "-C", str(REPO), "--stack", "prod", "--account", "444444444444"]
    )
    assert result.exit_code == 0, result.stderr
    config = json.loads(result.stdout)
    assert set(config) == {c.id.lower() for c in CATALOG}
    assert config["sr-iam-006"] == {
        "trustedAccounts": ["123456789012", "333333333333", "444444444444"],
        "organizationId": "o-nb7k2x9q4m",
        "regions": ["eu-west-1", "eu-west-2", "us-east-1"],
    }


def test_without_a_perimeter_an_account_cannot_be_judged_and_prod_fails(tmp_path: Path) -> None:
    program = (
        "import pulumi_aws as aws\n"
        "rule = aws.cloudwatch.EventRule('r', event_pattern='{\"source\": [\"aws.s3\"]}')\n"
        "aws.cloudwatch.EventTarget('t', rule=rule.name, arn='arn:aws:sns:eu-west-2:555555555555:x')\n"
    )
    project = write_project(tmp_path / "p", program)
    (project / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-2\n")
    plan = run_plan(project, "prod")
    report = check_plan(plan, config={"aws:region": "eu-west-2"}, account=None)
    [finding] = [v for v in report.violations if v.resource_name == "t"]
    assert finding.control == "SR-GOV-004" and finding.enforcement == "mandatory"
    assert "account 555555555555 can't be judged: no perimeter is configured" in finding.message


REMOTE_PROGRAM = """
import pulumi

class Vpc(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("awsx:ec2:Vpc", name, {"cidrBlock": "10.0.0.0/16"}, None, remote=True)

Vpc("main")
"""


def test_a_remote_component_is_not_evaluated_never_a_pass(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", REMOTE_PROGRAM)
    plan = run_plan(project, "dev")
    assert plan.named("main").remote is True and plan.named("main").is_component
    result = run_check("-C", str(project), "-s", "dev", "-f", "json")
    assert result.exit_code == 3, result.stdout
    report = json.loads(result.stdout)
    [finding] = report["violations"]
    assert (finding["control"], finding["resource_name"], finding["enforcement"]) == (
        "SR-GOV-004",
        "main",
        "advisory",
    )
    assert "none of its children were judged" in finding["message"]
    assert report["unevaluated"] == [finding["message"]]


def test_a_cross_account_key_administrator_exits_2_at_once_naming_the_file_and_key(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    # Only the program: every dot-folder (virtualenvs, .git, the mypy, ruff and hypothesis caches, some
    # hundreds of MB after `make lint`) and the tests are left behind.
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(".*", "tests", "__pycache__"))
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(
        stack.read_text().replace("123456789012:role/strongroom-breakglass", "999999999999:role/x")
    )
    result = run_check("-C", str(project), "-s", "dev")
    assert result.exit_code == 2, result.stderr
    assert "stacks/Pulumi.dev.yaml: strongroom:identity.adminPrincipals" in result.stderr
    assert "not in account 123456789012" in result.stderr and "Traceback" not in result.stderr
