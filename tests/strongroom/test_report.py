"""Report model and renderers: JSON contract, SARIF 2.1.0 (validated against the official schema), JUnit,
text."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from strongroom.report import (
    Report,
    Rule,
    Violation,
    merge,
    render,
    render_json,
    render_junit,
    render_sarif,
    render_text,
    severity_of,
)

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
STACK_URN = "urn:pulumi:dev::strongroom::pulumi:pulumi:Stack::strongroom-dev"
BUCKET_URN = "urn:pulumi:dev::strongroom::aws:s3/bucket:Bucket::data"
IGW_URN = "urn:pulumi:dev::strongroom::aws:ec2/internetGateway:InternetGateway::igw"


def violation(control: str, urn: str, *, severity: str = "high", enforcement: str = "mandatory") -> Violation:
    type_, name = urn.split("::")[-2:]
    return Violation(
        control=control,
        title=f"title of {control}",
        severity=severity,
        enforcement=enforcement,
        resource_urn=urn,
        resource_type=type_,
        resource_name=name,
        message=f"{name} breaks {control}",
    )


@pytest.fixture
def report() -> Report:
    return Report(
        stack="dev",
        resources=42,
        controls=4,
        violations=[
            violation("SR-S3-001", BUCKET_URN, severity="medium", enforcement="advisory"),
            violation("SR-NET-001", IGW_URN, severity="critical"),
            violation("SR-NET-001", STACK_URN, severity="critical"),
        ],
        passed_controls=["SR-KMS-001", "SR-IAM-001"],
        notes=["a note"],
        sources={"pulumi-policy": "strongroom 0.1.0"},
        rules={
            "SR-NET-001": Rule(
                id="SR-NET-001",
                title="No internet gateway",
                severity="critical",
                enforcement="mandatory",
                description="A VPC with an internet gateway can reach the internet.",
                remediation="Remove the aws.ec2.InternetGateway.",
                tags=("NIST-800-53-r5",),
                frameworks={"NIST-800-53-r5": ("SC-7",), "CIS-AWS-3.0": ()},
            ),
        },
        artifact="stacks/Pulumi.dev.yaml",
    )


def test_json_has_the_contract_keys_and_most_severe_first(report: Report) -> None:
    data = json.loads(render_json(report))
    assert {"stack", "resources", "controls", "violations"} <= set(data)
    assert (data["stack"], data["resources"], data["controls"]) == ("dev", 42, 4)
    keys = {
        "control",
        "title",
        "severity",
        "enforcement",
        "resource_urn",
        "resource_type",
        "resource_name",
        "message",
        "source",
    }
    assert all(set(v) == keys for v in data["violations"])
    assert [v["control"] for v in data["violations"]] == ["SR-NET-001", "SR-NET-001", "SR-S3-001"]
    assert data["violations"][2]["source"] == "pulumi-policy"


def test_exit_code_counts_only_mandatory_violations(report: Report) -> None:
    assert report.exit_code == 1
    advisory_only = Report(stack="dev", resources=1, controls=1, violations=[report.violations[0]])
    assert advisory_only.exit_code == 0
    assert Report(stack="dev", resources=1, controls=1, violations=[]).exit_code == 0


def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def test_sarif_validates_against_the_official_2_1_0_schema(report: Report) -> None:
    validator = sarif_validator()
    validator.validate(json.loads(render_sarif(report)))
    empty = Report(stack="prod", resources=3, controls=2, violations=[], passed_controls=["A", "B"])
    validator.validate(json.loads(render_sarif(empty)))


def test_schema_check_catches_a_result_without_a_message(report: Report) -> None:
    document = json.loads(render_sarif(report))
    del document["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError, match="'message' is a required property"):
        sarif_validator().validate(document)


def test_sarif_meets_github_code_scanning_requirements(report: Report) -> None:
    run = json.loads(render_sarif(report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["SR-IAM-001", "SR-KMS-001", "SR-NET-001", "SR-S3-001"]
    net = rules[2]
    assert net["shortDescription"]["text"] == "No internet gateway"
    assert "Remove the aws.ec2.InternetGateway." in net["help"]["text"]
    assert "NIST-800-53-r5: SC-7" in net["help"]["markdown"]
    assert float(net["properties"]["security-severity"]) > 9.0
    assert "security" in net["properties"]["tags"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "stacks/Pulumi.dev.yaml"
        assert physical["region"]["startLine"] >= 1
        assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:")
    levels = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert levels == {("SR-NET-001", "error"), ("SR-S3-001", "warning")}
    fingerprints = [r["partialFingerprints"]["strongroomViolation/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)
    assert run["automationDetails"]["id"] == "strongroom/check/dev/"


def test_junit_has_one_case_per_control_and_one_failure_per_violation(report: Report) -> None:
    xml = JUnitXml.fromstring(render_junit(report))
    cases = {case.name.split(":")[0]: case for suite in xml for case in suite}
    assert sorted(cases) == ["SR-IAM-001", "SR-KMS-001", "SR-NET-001", "SR-S3-001"]
    assert cases["SR-IAM-001"].is_passed
    failures = [r for r in cases["SR-NET-001"].result if isinstance(r, Failure)]
    assert len(failures) == 2
    assert {f.type for f in failures} == {"mandatory"}
    assert cases["SR-NET-001"].name == "SR-NET-001: No internet gateway"
    assert [f.type for f in cases["SR-S3-001"].result] == ["advisory"]
    suite = next(iter(xml))
    assert (suite.tests, suite.failures) == (4, 3)


def test_text_groups_by_severity_and_ends_with_a_summary(report: Report) -> None:
    text = render_text(report)
    assert text.index("CRITICAL (2)") < text.index("MEDIUM (1)")
    assert "note: a note" in text
    last = text.strip().splitlines()[-1]
    assert last == (
        "FAILED: stack dev: 3 violation(s) (2 mandatory, 1 advisory); "
        "2 of 4 controls failed across 42 resources"
    )
    assert "\x1b[" not in text


def test_text_for_a_clean_report_passes() -> None:
    clean = Report(stack="prod", resources=10, controls=5, violations=[], passed_controls=["A"])
    assert render_text(clean).strip() == (
        "PASSED: stack prod: 0 violation(s) (0 mandatory, 0 advisory); "
        "0 of 5 controls failed across 10 resources"
    )


def test_render_refuses_unknown_formats(report: Report) -> None:
    assert render(report, "json") == render_json(report)
    with pytest.raises(ValueError, match="unknown report format 'xml'; accepted: text, json, sarif, junit"):
        render(report, "xml")


def test_merge_combines_sources_and_a_control_passes_only_everywhere(report: Report) -> None:
    checkov = Report(
        stack="dev",
        resources=40,
        controls=2,
        violations=[violation("SR-KMS-001", BUCKET_URN)],
        passed_controls=["SR-LOG-001"],
        sources={"checkov": "3.3.30"},
    )
    merged = merge([report, checkov])
    assert len(merged.violations) == 4
    assert "SR-KMS-001" not in merged.passed_controls
    assert set(merged.passed_controls) == {"SR-IAM-001", "SR-LOG-001"}
    assert merged.sources == {"pulumi-policy": "strongroom 0.1.0", "checkov": "3.3.30"}
    assert merged.controls == 5
    assert merged.rules["SR-NET-001"].title == "No internet gateway"
    with pytest.raises(ValueError, match="at least one report"):
        merge([])


def test_severity_names_from_the_pack_are_normalised() -> None:
    assert severity_of("POLICY_SEVERITY_HIGH") == "high"
    assert severity_of("Critical") == "critical"
    assert severity_of(None) == "medium"
    assert severity_of("POLICY_SEVERITY_UNSPECIFIED") == "medium"
