"""The command line's rough edges: --version, unknown filter values, the report's width, a missing stack."""

from __future__ import annotations

import importlib.metadata
import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strongroom.cli import app
from strongroom.policies.catalog import CATALOG, LIVE_ONLY

LISTED = (*CATALOG, *LIVE_ONLY)

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "fixtures" / "tiny_project"
INSECURE = REPO / "tests" / "fixtures" / "insecure_project"
runner = CliRunner()


# --- --version ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_installed_distribution_version(flag: str) -> None:
    result = runner.invoke(app, [flag])
    assert result.exit_code == 0, result.output
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert importlib.metadata.version("strongroom") == declared
    assert result.stdout == f"strongroom {declared}\n"


def test_sarif_driver_version_is_the_distribution_version() -> None:
    result = runner.invoke(app, ["check", "-C", str(TINY), "-s", "test", "-f", "sarif"])
    driver = json.loads(result.stdout)["runs"][0]["tool"]["driver"]
    assert driver["version"] == driver["semanticVersion"] == importlib.metadata.version("strongroom")


# --- controls: unknown filter values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "NOPE"], "--area 'NOPE' is not accepted; accepted: GOV, NET, ENC, STO, IAM, AUD, WS."),
        (["--area", "IAM", "--area", "net2"], "--area 'net2' is not accepted; accepted: GOV, NET,"),
        (
            ["--severity", "urgent"],
            "--severity 'urgent' is not accepted; accepted: critical, high, medium, low.",
        ),
        (
            ["--framework", "PCI-DSS"],
            "--framework 'PCI-DSS' is not accepted; accepted: NIST-800-53-r5, AWS-FSBP",
        ),
    ],
)
def test_controls_refuses_unknown_filter_values(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["controls", "-f", "json", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"strongroom: error: {message}")
    assert result.stdout == ""


def test_controls_areas_are_the_catalogs_and_match_case_insensitively() -> None:
    from strongroom.controls_cmd import AREAS

    assert set(AREAS) == {c.id.split("-")[1] for c in CATALOG}
    result = runner.invoke(app, ["controls", "-f", "json", "--area", "ws"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.stdout)] == [c.id for c in LISTED if c.area == "WS"]


# --- the text report fits COLUMNS ---------------------------------------------------------------------------


def _rows(text: str) -> list[list[str]]:
    """The body rows of the report's tables, each cell's wrapped lines joined (folded words rejoined)."""
    rows: list[list[list[str]]] = []
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells[0]:
            rows.append([[c] for c in cells])
        else:
            for parts, cell in zip(rows[-1], cells, strict=True):
                parts.append(cell)
    return [["".join(p for p in parts if p) for parts in row] for row in rows]


@pytest.fixture(scope="session")
def insecure_violations() -> list[dict[str, str]]:
    result = runner.invoke(app, ["check", "-C", str(INSECURE), "-s", "ci", "-f", "json"])
    assert result.exit_code == 1, result.output
    violations: list[dict[str, str]] = json.loads(result.stdout)["violations"]
    assert any(len(f"{v['resource_type']}::{v['resource_name']}") > 40 for v in violations)
    return violations


@pytest.mark.parametrize("columns", [80, 200])
def test_check_text_report_fits_columns_and_never_crops_a_resource(
    columns: int, insecure_violations: list[dict[str, str]]
) -> None:
    result = runner.invoke(
        app, ["check", "-C", str(INSECURE), "-s", "ci", "-f", "text"], env={"COLUMNS": str(columns)}
    )
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert "…" not in result.stdout
    resources = [row[2] for row in _rows(result.stdout)]
    assert resources == [f"{v['resource_type']}::{v['resource_name']}" for v in insecure_violations]
    assert lines[-1].startswith("FAILED: stack ci:") or lines[-2].startswith("FAILED: stack ci:")
    if columns == 200:  # wide enough: every resource on one line, the width used
        assert all(
            f"{v['resource_type']}::{v['resource_name']}" in result.stdout for v in insecure_violations
        )
        assert max(len(line) for line in lines) > 160


def test_check_text_report_piped_without_columns_keeps_160() -> None:
    result = runner.invoke(app, ["check", "-C", str(INSECURE), "-s", "ci"], env={"COLUMNS": None})
    assert result.exit_code == 1, result.output
    assert 80 < max(len(line) for line in result.stdout.splitlines()) <= 160


@pytest.mark.parametrize("columns", [80, 200])
def test_controls_table_fits_columns_and_keeps_ids_whole(columns: int) -> None:
    result = runner.invoke(app, ["controls"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= columns
    assert "…" not in result.stdout
    rows = _rows(result.stdout)
    assert [row[0] for row in rows] == [c.id for c in LISTED]
    assert [row[1].replace(" ", "") for row in rows] == [c.title.replace(" ", "") for c in LISTED]


def test_controls_table_piped_without_columns_is_not_cropped() -> None:
    result = runner.invoke(app, ["controls"], env={"COLUMNS": None})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) > 200
    assert all(c.title in result.stdout for c in CATALOG)


# --- a missing stack file ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["plan", "check"])
def test_missing_stack_names_the_file_the_stacks_and_how_to_create_one(command: str) -> None:
    result = runner.invoke(app, [command, "-C", str(TINY), "--stack", "nosuch"])
    assert result.exit_code == 2
    message = result.stderr
    path = TINY / "config" / "Pulumi.nosuch.yaml"
    assert message.startswith(
        "strongroom: error: Stack 'nosuch' has no config file config/Pulumi.nosuch.yaml"
    )
    assert "Stacks with a config file: demo, test." in message
    assert f"run `pulumi stack init nosuch` and `pulumi config set aws:region eu-west-2` in {TINY}" in message
    assert f"or create {path} with a `config:` map, e.g. `config: {{aws:region: eu-west-2}}`." in message
    assert "Traceback" not in message and result.stdout == ""
