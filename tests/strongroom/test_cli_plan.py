"""`strongroom plan`: output, --json, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strongroom.cli import app

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_project"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["plan", *args])


def test_plan_prints_resources_grouped_by_component_with_a_count() -> None:
    result = invoke("--project-dir", str(TINY), "--stack", "test")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "tiny-analytics stack test"
    component = next(i for i, line in enumerate(lines) if "tiny:index:DataStore  analytics" in line)
    indent = lines[component].index("tiny:index:DataStore")
    assert any(
        "aws:kms/key:Key  analytics-key" in line and line.index("aws:kms") > indent
        for line in lines[component + 1 :]
    )
    assert (
        "18 resources in stack test of project tiny-analytics: 15 cloud resources of 11 types, "
        "1 components, 1 providers, 1 stack." in result.stdout
    )
    assert "tiny-analytics:apiToken is a secure (encrypted) value" in result.stderr


def test_plan_json_writes_the_contract(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = invoke("-C", str(TINY), "--stack", "demo", "--json", str(out), "--account", "210987654321")
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text())
    assert (data["project"], data["stack"]) == ("tiny-analytics", "demo")
    first = data["resources"][0]
    assert first["type"] == "pulumi:pulumi:Stack" and first["parent"] is None
    key = next(r for r in data["resources"] if r["type"] == "aws:kms/key:Key")
    assert key["outputs"]["arn"].startswith("arn:aws:kms:us-west-2:210987654321:key/")
    assert key["inputs"] == {"enableKeyRotation": True, "deletionWindowInDays": 30}
    assert set(key) >= {"urn", "type", "name", "parent", "inputs", "dependencies", "propertyDependencies"}


def test_plan_json_to_stdout_replaces_the_tree() -> None:
    result = invoke("-C", str(TINY), "--stack", "test", "--json", "-")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["resources"]) == 18


def test_missing_stack_exits_2_listing_the_stacks() -> None:
    result = invoke("-C", str(TINY), "--stack", "prod")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "strongroom: error: Stack 'prod' has no config file config/Pulumi.prod.yaml"
    )
    assert "Stacks with a config file: demo, test." in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "1234"], "Account id '1234' is not valid"),
        (["--stack", "no/slash"], "Stack name 'no/slash' is not valid"),
        (["--json", "/nonexistent-dir/plan.json"], "directory /nonexistent-dir does not exist"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    result = invoke("-C", str(TINY), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_not_a_project_exits_2(tmp_path: Path) -> None:
    result = invoke("-C", str(tmp_path))
    assert result.exit_code == 2
    assert "No Pulumi.yaml in" in result.stderr


def _project(root: Path, program: str) -> Path:
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: scratch\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-2\n")
    (root / "__main__.py").write_text(textwrap.dedent(program))
    return root


def test_program_config_error_exits_2_with_the_program_message(tmp_path: Path) -> None:
    program = """
        class ConfigError(ValueError):
            strongroom_user_error = True
        raise ConfigError("stacks/Pulumi.dev.yaml: scratch:size is 0; accepted: 1 to 10")
    """
    result = invoke("-C", str(_project(tmp_path / "p", program)))
    assert result.exit_code == 2
    assert (
        result.stderr == "strongroom: error: stacks/Pulumi.dev.yaml: scratch:size is 0; accepted: 1 to 10\n"
    )


def test_program_failure_exits_3_naming_the_resource(tmp_path: Path) -> None:
    program = """
        import pulumi_aws as aws
        aws.s3.Bucket("logs")
        raise RuntimeError("lost the plot")
    """
    result = invoke("-C", str(_project(tmp_path / "p", program)))
    assert result.exit_code == 3, "a failed program: nothing could be evaluated"
    assert "RuntimeError: lost the plot" in result.stderr
    assert "__main__.py:4" in result.stderr
    assert "Last resource registered: aws:s3/bucket:Bucket 'logs'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, "one paragraph, no traceback"


def test_console_script_runs_plan(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "strongroom"
    done = subprocess.run(
        [str(script), "plan", "--stack", "nope", "--project-dir", str(TINY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("strongroom: error: Stack 'nope'") and "Traceback" not in done.stderr
