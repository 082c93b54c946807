"""`strongroom controls` lists the catalog."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from strongroom.cli import app
from strongroom.policies.catalog import CATALOG, LIVE_ONLY

LISTED = (*CATALOG, *LIVE_ONLY)


def test_json_lists_every_control_with_its_mappings() -> None:
    result = CliRunner().invoke(app, ["controls", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [c.id for c in LISTED]
    assert rows[0]["frameworks"]["NIST-800-53-r5"] == list(CATALOG[0].frameworks["NIST-800-53-r5"])


def test_filters_by_area_and_severity() -> None:
    result = CliRunner().invoke(app, ["controls", "-f", "json", "--area", "IAM", "--severity", "critical"])
    ids = [r["id"] for r in json.loads(result.stdout)]
    expected = [c.id for c in LISTED if c.area == "IAM" and c.severity == "critical"]
    assert ids == expected and {"SR-IAM-001", "SR-IAM-003", "SR-IAM-005", "SR-IAM-006"} <= set(ids)


def test_text_table_names_every_control() -> None:
    result = CliRunner().invoke(app, ["controls"])
    assert result.exit_code == 0
    assert f"{len(LISTED)} controls" in result.stdout and "SR-WS-008" in result.stdout


def test_bad_severity_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["controls", "--severity", "urgent"])
    assert result.exit_code == 2
    assert "--severity 'urgent' is not accepted; accepted: critical, high, medium, low." in result.output
