"""pulumi.StackReference offline: the referenced stack's exports come from the offline plan of the project
that the referencing stack's ``strongroom:stackReferences`` maps it to; an unmapped reference is unknown
(preview semantics) with a warning; a mapping that cannot be planned is a usage error (exit 2)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from strongroom.cli import app
from strongroom.engine import DEFAULT_ACCOUNT, load_project, run_plan
from strongroom.engine.monitor import UNKNOWN
from strongroom.engine.stackrefs import STACK_REFERENCE_TYPE, stack_outputs
from strongroom.errors import ProgramFailed, UsageError
from strongroom.plancache import SourceDigest

PLATFORM = textwrap.dedent(
    """
    import pulumi

    cfg = pulumi.Config()
    pulumi.export("vpcId", cfg.require("vpcId"))
    pulumi.export("keyArns", {"data": "arn:aws:kms:eu-west-2:123456789012:key/" + cfg.require("keyId")})
    pulumi.export("subnetIds", ["subnet-0a", "subnet-0b"])
    """
)

APP = textwrap.dedent(
    """
    import pulumi

    env = pulumi.StackReference("acme/platform/dev")
    pulumi.export("vpc", env.require_output("vpcId"))
    pulumi.export("dataKey", env.require_output("keyArns").apply(lambda keys: keys["data"]))
    pulumi.export("missing", env.get_output("nothing"))
    """
)


def _project(root: Path, name: str, program: str, config: dict[str, object]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (root / "__main__.py").write_text(program)
    (root / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": {"aws:region": "eu-west-2", **config}}))
    return root


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    return _project(
        tmp_path / "platform", "platform", PLATFORM, {"platform:vpcId": "vpc-0123", "platform:keyId": "k-1"}
    )


def _app(tmp_path: Path, mapping: object | None) -> Path:
    config: dict[str, object] = {} if mapping is None else {"strongroom:stackReferences": mapping}
    return _project(tmp_path / "app", "app", APP, config)


def test_a_mapped_reference_answers_with_exactly_the_referenced_plans_exports(
    tmp_path: Path, platform: Path
) -> None:
    app_dir = _app(tmp_path, {"acme/platform/dev": "../platform"})
    exports = stack_outputs(run_plan(platform, "dev"))
    assert exports == {
        "vpcId": "vpc-0123",
        "keyArns": {"data": "arn:aws:kms:eu-west-2:123456789012:key/k-1"},
        "subnetIds": ["subnet-0a", "subnet-0b"],
    }
    plan = run_plan(app_dir, "dev")
    (reference,) = plan.of_type(STACK_REFERENCE_TYPE)
    assert reference.name == reference.id == "acme/platform/dev"
    assert reference.outputs["outputs"] == exports
    assert reference.outputs["secretOutputNames"] == []
    outputs = stack_outputs(plan)
    assert outputs["vpc"] == "vpc-0123"
    assert outputs["dataKey"] == "arn:aws:kms:eu-west-2:123456789012:key/k-1"
    assert outputs.get("missing") is None  # get_output of a name the stack does not export: None
    assert not [w for w in plan.warnings if "StackReference" in w or "Resource.get" in w], plan.warnings


def test_a_mapped_reference_follows_the_referenced_stacks_config(tmp_path: Path, platform: Path) -> None:
    app_dir = _app(tmp_path, {"acme/platform/dev": str(platform)})  # an absolute directory works too
    stack_file = platform / "Pulumi.dev.yaml"
    data = yaml.safe_load(stack_file.read_text())
    data["config"]["platform:vpcId"] = "vpc-0999"
    stack_file.write_text(yaml.safe_dump(data))
    assert stack_outputs(run_plan(app_dir, "dev"))["vpc"] == "vpc-0999"


def test_an_unmapped_reference_is_unknown_and_the_plan_says_which_key_to_set(tmp_path: Path) -> None:
    plan = run_plan(_app(tmp_path, None), "dev")
    (reference,) = plan.of_type(STACK_REFERENCE_TYPE)
    assert reference.outputs["outputs"] == UNKNOWN
    outputs = stack_outputs(plan)
    assert outputs["vpc"] == UNKNOWN
    assert outputs["dataKey"] == UNKNOWN
    (warning,) = [w for w in plan.warnings if "StackReference" in w]
    assert "'acme/platform/dev'" in warning
    assert "unknown" in warning
    assert "strongroom:stackReferences: {acme/platform/dev: <the project's directory>}" in warning


def test_check_reports_an_unmapped_reference_as_a_note(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["check", "--project-dir", str(_app(tmp_path, None)), "--stack", "dev", "--no-cache"]
    )
    assert "not mapped to a local project" in result.output
    assert "strongroom:stackReferences" in result.output


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"acme/platform/dev": "../nowhere"}, ["holds no Pulumi.yaml", "Fix: point the entry"]),
        ({"acme/other/dev": "../platform"}, ["is project 'platform'", "names project 'other'"]),
        ({"acme/platform/prod": "../platform"}, ["no config file for stack 'prod'", "its stacks: dev"]),
        ({"platform": "../platform"}, ["is not a stack name", "'<org>/<project>/<stack>'"]),
        ({"acme/platform/dev": 3}, ["accepted: the referenced project's directory"]),
        (["acme/platform/dev"], ["accepted: a map of stack reference"]),
    ],
    ids=["no-project", "wrong-project", "no-stack", "not-a-reference", "not-a-directory", "not-a-map"],
)
def test_a_mapping_that_cannot_be_planned_is_a_usage_error_naming_the_file_key_and_reference(
    tmp_path: Path, platform: Path, mapping: object, expected: list[str]
) -> None:
    app_dir = _app(tmp_path, mapping)
    with pytest.raises(UsageError) as caught:
        run_plan(app_dir, "dev")
    message = str(caught.value)
    assert message.startswith("Pulumi.dev.yaml: strongroom:stackReferences"), message
    for part in expected:
        assert part in message, message


def test_the_cli_exits_2_on_a_mapping_that_cannot_be_planned(tmp_path: Path, platform: Path) -> None:
    app_dir = _app(tmp_path, {"acme/platform/dev": "../nowhere"})
    result = CliRunner().invoke(app, ["check", "--project-dir", str(app_dir), "--stack", "dev", "--no-cache"])
    assert result.exit_code == 2, result.output
    assert "acme/platform/dev" in result.output
    assert "Traceback" not in result.output


def test_a_cycle_of_references_is_a_usage_error(tmp_path: Path) -> None:
    program = 'import pulumi\npulumi.export("x", pulumi.StackReference("acme/{other}/dev").outputs)\n'
    _project(
        tmp_path / "a", "a", program.format(other="b"), {"strongroom:stackReferences": {"acme/b/dev": "../b"}}
    )
    _project(
        tmp_path / "b", "b", program.format(other="a"), {"strongroom:stackReferences": {"acme/a/dev": "../a"}}
    )
    with pytest.raises(UsageError, match=r"form a cycle \(a/dev -> b/dev -> a/dev\)"):
        run_plan(tmp_path / "a", "dev")


def test_a_referenced_program_that_fails_is_not_evaluated_and_names_the_reference(
    tmp_path: Path, platform: Path
) -> None:
    (platform / "__main__.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(ProgramFailed) as caught:
        run_plan(_app(tmp_path, {"acme/platform/dev": "../platform"}), "dev")
    message = str(caught.value)
    assert "strongroom:stackReferences.acme/platform/dev" in message
    assert "boom" in message


def test_the_plan_cache_key_covers_the_referenced_stack(tmp_path: Path, platform: Path) -> None:
    app_dir = _app(tmp_path, {"acme/platform/dev": "../platform"})
    before = SourceDigest.of(load_project(app_dir)).key("dev", DEFAULT_ACCOUNT)
    stack_file = platform / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("vpc-0123", "vpc-0456"))
    after_config = SourceDigest.of(load_project(app_dir)).key("dev", DEFAULT_ACCOUNT)
    (platform / "__main__.py").write_text(PLATFORM + "\npulumi.export('more', 1)\n")
    after_program = SourceDigest.of(load_project(app_dir)).key("dev", DEFAULT_ACCOUNT)
    assert len({before, after_config, after_program}) == 3
