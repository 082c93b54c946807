"""The offline engine runs a program as `pulumi preview` does: is_dry_run() is true, what only the provider
computes is unknown (callbacks on it are skipped), assets and archives keep the SDK's wire form, and a
program that fails inside an apply is reported with its file and line, exit 3 (nothing was evaluated)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from strongroom.check import UNKNOWN
from strongroom.cli import app
from strongroom.engine import run_plan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "preview"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
SIG = "4dabf18193072939515e22adb298388d"
runner = CliRunner()


def write_program(tmp_path: Path, name: str, program: str, *, perimeter: bool = False) -> Path:
    """A one-file project with a dev stack in eu-west-2 (and the deploy account as the perimeter)."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    trusted = '  strongroom:perimeter:\n    trustedAccounts: ["123456789012"]\n' if perimeter else ""
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-2\n" + trusted)
    (project / "__main__.py").write_text(program)
    return project


def check(project: str, *args: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["check", "-C", str(FIXTURES / project), "-s", "dev", "-f", "json", *args])
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_the_program_runs_as_a_preview_and_computed_outputs_are_unknown() -> None:
    plan = run_plan(FIXTURES / "computed_outputs", "dev")
    stack = next(r for r in plan.resources if r.type == "pulumi:pulumi:Stack")
    assert stack.outputs["dryRun"] is True
    # The callback on certificate_authority never ran (it would raise on None): its result is unknown.
    assert plan.named("ca").inputs["value"] == UNKNOWN
    assert plan.named("endpoint").inputs["value"] == UNKNOWN
    assert stack.outputs["endpoint"] == UNKNOWN
    # What the engine fakes stays known: the cluster's ARN, the API's id.
    assert plan.named("cluster").outputs["arn"].startswith("arn:aws:eks:eu-west-2:123456789012:cluster/")
    assert "certificateAuthority" not in plan.named("cluster").outputs


def test_a_value_computed_from_an_unknown_input_is_unknown_not_a_made_up_string(tmp_path: Path) -> None:
    project = write_program(
        tmp_path,
        "derived",
        "import pulumi, pulumi_aws as aws\n"
        "api = aws.appsync.GraphQLApi('api', authentication_type='AWS_IAM', name='api')\n"
        "topic = aws.sns.Topic('t', name=api.uris['GRAPHQL'])\n"
        "pulumi.export('arn', topic.arn)\n",
    )
    plan = run_plan(project, "dev")
    assert plan.named("t").inputs["name"] == UNKNOWN
    assert plan.named("t").outputs["arn"] == UNKNOWN, "an ARN made from an unknown name is not known"


def test_lambda_code_from_archives_plans_in_wire_form_and_is_judged() -> None:
    plan = run_plan(FIXTURES / "lambda_archive", "dev")
    [function] = plan.of_type("aws:lambda/function:Function")
    assert function.inputs["code"] == {SIG: ARCHIVE_SIG, "path": "./handler"}
    layer = plan.named("deps")
    assets = layer.inputs["code"]["assets"]
    assert assets["python/settings.py"] == {SIG: ASSET_SIG, "text": "DEBUG = False\n"}
    assert assets["python/vendor.py"] == {SIG: ASSET_SIG, "uri": "https://example.com/vendor.py"}
    exit_code, report, _ = check("lambda_archive")
    assert exit_code == 1
    found = {(v["control"], v["resource_name"]) for v in report["violations"]}
    assert ("SR-WS-018", "deps") in found, "the layer's remote asset is code from outside the perimeter"
    assert not any(v["control"] == "SR-GOV-001" for v in report["violations"]), (
        "functions and layers are judged"
    )
    [remote] = [v for v in report["violations"] if v["control"] == "SR-WS-018"]
    assert "https://example.com/vendor.py" in remote["message"]


def test_an_error_inside_apply_names_the_file_and_line_and_exits_3() -> None:
    exit_code, report, stderr = check("apply_error")
    assert exit_code == 3
    assert report["exit_code"] == 3 and report["violations"] == []
    [reason] = report["unevaluated"]
    for text in (reason, stderr):
        assert "ValueError: cannot parse the account out of arn:aws:s3:::data-" in text
        assert "Raised at __main__.py:7 in account_of" in text
        assert "resolving the inputs of aws:s3/bucket:Bucket 'copy' (input 'tags')" in text
    assert "Traceback" not in stderr


def test_the_text_summary_line_says_why_it_was_not_evaluated() -> None:
    result = runner.invoke(app, ["check", "-C", str(FIXTURES / "apply_error"), "-s", "dev"])
    assert result.exit_code == 3
    text = " ".join(result.stdout.split())
    assert "NOT EVALUATED: stack dev: 0 violation(s)" in text
    assert text.split("NOT EVALUATED: ", 1)[1].count("not evaluated: the program failed") == 1


def test_strict_makes_an_unknown_value_exit_3(tmp_path: Path) -> None:
    project = write_program(
        tmp_path,
        "strict",
        "import pulumi_aws as aws\n"
        "api = aws.appsync.GraphQLApi('api', authentication_type='AWS_IAM', name='api')\n"
        "aws.sns.Topic('t', kms_master_key_id=api.uris['GRAPHQL'])\n",
        perimeter=True,
    )
    lenient = runner.invoke(
        app,
        ["check", "-C", str(project), "-s", "dev", "-f", "json", "--policy-config", str(_allow(tmp_path))],
    )
    strict = runner.invoke(
        app,
        [
            "check",
            "-C",
            str(project),
            "-s",
            "dev",
            "-f",
            "json",
            "--strict",
            "--policy-config",
            str(_allow(tmp_path)),
        ],
    )
    unknown = [v for v in json.loads(lenient.stdout)["violations"] if v["control"] == "SR-GOV-004"]
    assert unknown and "can't be known during preview" in unknown[0]["message"]
    assert lenient.exit_code == 0, lenient.stdout
    assert strict.exit_code == 3, strict.stdout
    reasons = json.loads(strict.stdout)["unevaluated"]
    assert reasons and all(r.startswith("--strict: ") for r in reasons)


def _allow(tmp_path: Path) -> Path:
    path = tmp_path / "allow.json"
    why = "a test fixture: the API only gives the topic an unknown value"
    path.write_text(json.dumps({"sr-gov-001": {"allowedTypes": {"aws:appsync/graphQLApi:GraphQLApi": why}}}))
    return path


def test_api_gateway_outputs_are_faked_so_a_permission_scoped_to_the_api_is_judged(tmp_path: Path) -> None:
    project = write_program(
        tmp_path,
        "api",
        "import pulumi_aws as aws\n"
        "api = aws.apigateway.RestApi('api')\n"
        "http = aws.apigatewayv2.Api('http', protocol_type='HTTP')\n"
        "stage = aws.apigateway.Stage('stage', rest_api=api.id, deployment='d', stage_name='v1')\n"
        "aws.lambda_.Permission('invoke', action='lambda:InvokeFunction', function='fn',\n"
        "    principal='apigateway.amazonaws.com',\n"
        "    source_arn=api.execution_arn.apply(lambda a: a + '/*/*'))\n",
    )
    plan = run_plan(project, "dev")
    api_id = plan.named("api").id
    assert api_id and len(api_id) == 10 and api_id.isalnum() and api_id.islower()
    assert (
        plan.named("invoke").inputs["sourceArn"] == f"arn:aws:execute-api:eu-west-2:123456789012:{api_id}/*/*"
    )
    assert (
        plan.named("stage").outputs["invokeUrl"] == f"https://{api_id}.execute-api.eu-west-2.amazonaws.com/v1"
    )
    assert plan.named("http").outputs["apiEndpoint"].startswith("https://")


def test_a_program_that_asks_whether_it_is_a_preview_is_reported(tmp_path: Path) -> None:
    """What `pulumi up` deploys behind `if not is_dry_run()` is never planned offline: SR-GOV-002 names
    each place the program asks, under any import spelling; the SDK's own calls do not count."""
    project = write_program(
        tmp_path,
        "branch",
        "import pulumi, pulumi_aws as aws\n"
        "import helpers\n"
        "if helpers.deploying():\n"
        "    aws.ec2.InternetGateway('igw', vpc_id='vpc-0123456789abcdef0')\n"
        "if pulumi.runtime.settings.is_dry_run():\n"
        "    pass\n",
        perimeter=True,
    )
    (project / "helpers.py").write_text(
        "from pulumi.runtime import is_dry_run as preview\n\n\n"
        "def deploying() -> bool:\n    return not preview()\n"
    )
    plan = run_plan(project, "dev")
    assert plan.preview_checks == ["helpers.py:5", "__main__.py:5"]
    assert not plan.of_type("aws:ec2/internetGateway:InternetGateway"), "the preview never builds it"
    exit_code, report, _ = check_dir(project)
    branches = [v for v in report["violations"] if v["control"] == "SR-GOV-002"]
    assert exit_code == 1 and len(branches) == 2
    assert "is_dry_run() at helpers.py:5" in branches[0]["message"] + branches[1]["message"]
    quiet = run_plan(FIXTURES / "lambda_archive", "dev")
    assert quiet.preview_checks == [], "the SDK's own is_dry_run calls are not the program's"


def check_dir(project: Path) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["check", "-C", str(project), "-s", "dev", "-f", "json"])
    return result.exit_code, json.loads(result.stdout), result.stderr
