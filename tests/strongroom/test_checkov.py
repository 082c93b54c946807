"""checkov over the Terraform export: offline runner, parsing back to URNs, suppressions, the report,
and fidelity (a mutation of the compliant plan flips the matching checkov check from passed to failed).

These tests need checkov's own virtualenv (``make checkov-venv``); without it they fail and say so.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from plan_support import repository_plan

from strongroom import checkov
from strongroom.checkov import (
    CheckovScan,
    CheckovUnavailable,
    CheckResult,
    Skip,
    apply_skips,
    build_report,
    checkov_env,
    default_checkov_bin,
    load_skips,
    parse_results,
    run_checkov,
    scan_export,
    scan_exports,
)
from strongroom.engine import run_plan
from strongroom.errors import UsageError
from strongroom.report import Report, Rule, Violation, merge
from strongroom.terraform import MAIN_FILE, TerraformExport, export_plan

pytestmark = pytest.mark.xdist_group("checkov")  # one worker runs the fidelity scan once

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASELINE = FIXTURES / "checkov_baseline"
REPO = Path(__file__).resolve().parents[2]
INSECURE = FIXTURES / "insecure_project"


@pytest.fixture(scope="session")
def checkov_bin() -> Path:
    binary = default_checkov_bin()
    if not binary.is_file():
        pytest.fail(
            f"checkov is not installed at {binary}: these tests need it. Create it with `make checkov-venv` "
            "(uv venv .venv-checkov && uv pip install -r requirements/checkov.lock.txt)."
        )
    return binary


@pytest.fixture(scope="session")
def baseline_plan() -> dict[str, Any]:
    return run_plan(BASELINE, "ci").to_dict()


# --- environment and command ---------------------------------------------------------------------


def test_checkov_env_is_offline_and_drops_credentials() -> None:
    env = checkov_env({"PATH": "/bin", "BC_API_KEY": "secret", "PRISMA_API_URL": "https://x", "HOME": "/h"})
    assert env["BC_SKIP_MAPPING"] == "TRUE"
    assert env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "TRUE"
    assert "BC_API_KEY" not in env and "PRISMA_API_URL" not in env
    assert env["PATH"] == "/bin" and env["HOME"] == "/h"


def test_command_scans_one_file_or_a_directory(tmp_path: Path) -> None:
    file = tmp_path / MAIN_FILE
    file.write_text("{}")
    command = checkov.checkov_command(Path("/c/checkov"), file)
    assert command[1:3] == ["-f", str(file)]
    assert {"--framework", "terraform_json", "--skip-download", "-o", "json"} <= set(command)
    assert checkov.checkov_command(Path("/c/checkov"), tmp_path)[1] == "-d"


def test_missing_checkov_is_reported_plainly(tmp_path: Path) -> None:
    with pytest.raises(CheckovUnavailable, match=r"checkov not found at .*make checkov-venv.*--checkov-bin"):
        run_checkov(tmp_path, checkov_bin=tmp_path / "nope" / "checkov")


def test_a_checkov_that_prints_no_json_is_reported(tmp_path: Path) -> None:
    fake = tmp_path / "checkov"
    fake.write_text("#!/bin/sh\necho 'Traceback: boom' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(CheckovUnavailable, match=r"exited 3 without a JSON report: Traceback: boom"):
        run_checkov(tmp_path, checkov_bin=fake)


def test_a_hanging_checkov_times_out(tmp_path: Path) -> None:
    fake = tmp_path / "checkov"
    fake.write_text("#!/bin/sh\nsleep 5\n")
    fake.chmod(0o755)
    with pytest.raises(CheckovUnavailable, match=r"did not finish within 0.5 s"):
        run_checkov(tmp_path, checkov_bin=fake, timeout=0.5)


def test_report_says_checkov_was_not_run_and_counts_nothing(tmp_path: Path) -> None:
    export = export_plan({"stack": "ci", "resources": []})
    scan = scan_export(export, checkov_bin=tmp_path / "missing")
    report = build_report(scan, resources=3, export=export, controls={})
    assert not scan.ran
    assert report.violations == [] and report.controls == 0
    assert report.exit_code == 3, "checkov was asked for and did not run: not evaluated"
    assert report.sources == {"checkov": "not run"}
    assert report.notes[0].startswith("checkov was requested and did not run: checkov not found at")


# --- parsing and suppressions --------------------------------------------------------------------

BUCKET_URN = "urn:pulumi:ci::p::pulumi:pulumi:Stack$aws:s3/bucket:Bucket::ci-data"


def _export_with_bucket() -> TerraformExport:
    return TerraformExport(stack="ci", document={}, addresses={"aws_s3_bucket.ci_data": BUCKET_URN})


def _report_json(failed: list[dict[str, Any]], passed: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "check_type": "terraform_json",
        "results": {
            "passed_checks": passed,
            "failed_checks": failed,
            "skipped_checks": [],
            "parsing_errors": [],
        },
        "summary": {"checkov_version": "3.3.30"},
    }


def test_parse_maps_both_address_forms_back_to_urns() -> None:
    raw = _report_json(
        failed=[{"check_id": "CKV_AWS_18", "check_name": "logging", "resource": "aws_s3_bucket.ci_data"}],
        passed=[{"check_id": "CKV_AWS_93", "check_name": "lockout", "resource": "resource.ci_data"}],
    )
    results, errors, version = parse_results([raw], _export_with_bucket())
    assert version == "3.3.30" and errors == []
    assert [(r.check_id, r.status, r.urn, r.address) for r in results] == [
        ("CKV_AWS_93", "passed", BUCKET_URN, "aws_s3_bucket.ci_data"),
        ("CKV_AWS_18", "failed", BUCKET_URN, "aws_s3_bucket.ci_data"),
    ]


def _fake_checkov(tmp_path: Path, answer: str) -> Path:
    """A checkov that answers for each sub-directory of its ``-d`` target: ``answer`` is a Python
    expression of ``folder`` (the sub-directory's name) and ``target`` giving that folder's checks."""
    fake = tmp_path / "fake-checkov"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "target = sys.argv[sys.argv.index('-d') + 1]\n"
        "failed, passed, errors = [], [], []\n"
        "for folder in sorted(os.listdir(target)):\n"
        f"    status, check = {answer}\n"
        "    {'failed': failed, 'passed': passed, 'error': errors}[status].append(check)\n"
        "print(json.dumps({'check_type': 'terraform_json', 'summary': {'checkov_version': '9.9.9'},\n"
        "    'results': {'failed_checks': failed, 'passed_checks': passed, 'parsing_errors': errors}}))\n"
    )
    fake.chmod(0o755)
    return fake


def _bucket_export(stack: str) -> TerraformExport:
    urn = f"urn:pulumi:{stack}::p::pulumi:pulumi:Stack$aws:s3/bucket:Bucket::{stack}-data"
    return TerraformExport(stack=stack, document={}, addresses={f"aws_s3_bucket.{stack}_data": urn})


def test_one_checkov_run_over_several_exports_answers_each_for_its_own_folder(tmp_path: Path) -> None:
    fake = _fake_checkov(
        tmp_path,
        "('error', f'{target}/{folder}/main.tf.json') if folder == '2' else "
        "(('passed', 'failed')[int(folder)], {'check_id': 'CKV_AWS_21', 'resource': "
        "f'aws_s3_bucket.{\"abc\"[int(folder)]}_data', 'file_path': f'/{folder}/main.tf.json'})",
    )
    scans = scan_exports([_bucket_export(s) for s in ("a", "b", "c")], checkov_bin=fake)
    assert [scan.stack for scan in scans] == ["a", "b", "c"]
    assert [(r.status, r.urn) for r in scans[0].results] == [
        ("passed", _bucket_export("a").addresses["aws_s3_bucket.a_data"])
    ]
    assert [(r.status, r.urn) for r in scans[1].results] == [
        ("failed", _bucket_export("b").addresses["aws_s3_bucket.b_data"])
    ]
    assert scans[2].results == [] and scans[2].parsing_errors == [MAIN_FILE]
    assert scans[0].parsing_errors == scans[1].parsing_errors == []
    assert {scan.version for scan in scans} == {"9.9.9"}


def test_a_bad_skips_file_stops_the_checkov_reports_before_checkov_starts(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / checkov.SKIPS_FILE).parent.mkdir(parents=True)
    (project / checkov.SKIPS_FILE).write_text("skips:\n  - check: AWS_144\n")
    started = tmp_path / "started"
    fake = tmp_path / "checkov"
    fake.write_text(f"#!/bin/sh\ntouch {started}\n")
    fake.chmod(0o755)
    export = (_bucket_export("a"), 1, "Pulumi.yaml")
    with pytest.raises(UsageError, match=r"checkov-skips\.yaml"):
        checkov.check_exports([export], project_dir=project, checkov_bin=fake)
    assert not started.exists(), "checkov ran although the skips file was refused"


def test_a_result_of_a_file_that_is_no_export_makes_every_scan_unavailable(tmp_path: Path) -> None:
    fake = _fake_checkov(
        tmp_path,
        "('failed', {'check_id': 'CKV_AWS_21', 'resource': 'x', 'file_path': '/elsewhere/main.tf.json'})",
    )
    scans = scan_exports([_bucket_export("a"), _bucket_export("b")], checkov_bin=fake)
    assert all(not scan.ran for scan in scans)
    assert all("none of the 2 exports: /elsewhere/main.tf.json" in scan.unavailable for scan in scans)
    assert scan_exports([], checkov_bin=fake) == []


def test_parse_of_an_empty_scan_has_no_results() -> None:
    empty = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}
    assert parse_results([empty]) == ([], [], "")


def _write_skips(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    import yaml

    path = tmp_path / "checkov-skips.yaml"
    path.write_text(yaml.safe_dump({"skips": entries}))
    return path


WHY = "the replica bucket is the replication target itself; replicating it again would loop"


def test_skips_file_is_validated(tmp_path: Path) -> None:
    good = {
        "check": "CKV_AWS_144",
        "type": "aws:s3/bucket:Bucket",
        "name": "{stack}-data",
        "justification": WHY,
    }
    assert load_skips(_write_skips(tmp_path, [good]))[0].resource_name("prod") == "prod-data"
    assert load_skips(tmp_path / "absent.yaml") == []
    bad_cases = [
        ({**good, "check": "AWS_144"}, "not a checkov check ID"),
        ({**good, "name": "*"}, "wildcards are not accepted"),
        ({**good, "justification": "because"}, "a written reason of at least 40 characters"),
        ({**good, "type": "bucket"}, "not a Pulumi type token"),
        ({**good, "extra": 1}, "unknown key"),
    ]
    for entry, message in bad_cases:
        with pytest.raises(UsageError, match=message):
            load_skips(_write_skips(tmp_path, [entry]))
    with pytest.raises(UsageError, match="suppressed twice"):
        load_skips(_write_skips(tmp_path, [good, good]))


def _result(check: str, status: str) -> CheckResult:
    return CheckResult(check, "name", status, "aws_s3_bucket.ci_data", BUCKET_URN)


def test_a_skip_suppresses_exactly_its_check_on_its_resource() -> None:
    skip = Skip("CKV_AWS_144", "aws:s3/bucket:Bucket", "{stack}-data", WHY)
    results = [_result("CKV_AWS_144", "failed"), _result("CKV_AWS_18", "failed")]
    hidden = apply_skips(results, [skip], stack="ci", skips_path=Path("s.yaml"), urns=[BUCKET_URN])
    assert [(r.check_id, s) for r, s in hidden] == [("CKV_AWS_144", skip)]


def test_an_unused_skip_is_an_error() -> None:
    skip = Skip("CKV_AWS_144", "aws:s3/bucket:Bucket", "ci-data", WHY, index=3)
    with pytest.raises(UsageError, match=r"s.yaml: skips\[3\] .*does not fail there on stack ci; remove"):
        apply_skips(
            [_result("CKV_AWS_144", "passed")],
            [skip],
            stack="ci",
            skips_path=Path("s.yaml"),
            urns=[BUCKET_URN],
        )


def test_a_skip_for_a_missing_resource_is_an_error() -> None:
    skip = Skip("CKV_AWS_144", "aws:s3/bucket:Bucket", "ci-gone", WHY)
    with pytest.raises(UsageError, match="stack ci has no such resource"):
        apply_skips([], [skip], stack="ci", skips_path=Path("s.yaml"), urns=[BUCKET_URN])


def test_a_skip_limited_to_other_stacks_is_ignored() -> None:
    skip = Skip("CKV_AWS_144", "aws:s3/bucket:Bucket", "ci-gone", WHY, stacks=("prod",))
    assert apply_skips([], [skip], stack="ci", skips_path=Path("s.yaml"), urns=[BUCKET_URN]) == []


def test_suppress_applies_each_stacks_skips_and_leaves_a_scan_checkov_did_not_run() -> None:
    skip = Skip("CKV_AWS_144", "aws:s3/bucket:Bucket", "ci-data", WHY)
    ran, not_run = CheckovScan(stack="ci"), CheckovScan(stack="ci", unavailable="checkov not found")
    ran.results = [_result("CKV_AWS_144", "failed"), _result("CKV_AWS_18", "failed")]
    export = _export_with_bucket()
    checkov.suppress([ran, not_run], [export, export], [skip], skips_path=Path("s.yaml"))
    assert [(r.check_id, s) for r, s in ran.suppressed] == [("CKV_AWS_144", skip)]
    assert not_run.suppressed == []  # an unused skip is not an error where checkov did not run
    unused = CheckovScan(stack="ci", results=[_result("CKV_AWS_144", "passed")])
    with pytest.raises(UsageError, match="does not fail there on stack ci"):
        checkov.suppress([unused], [export], [skip], skips_path=Path("s.yaml"))


# --- the report ----------------------------------------------------------------------------------


def test_report_maps_ckv_ids_to_catalog_controls_and_counts_both() -> None:
    scan = checkov.CheckovScan(stack="ci", version="3.3.30")
    scan.results = [
        _result("CKV_AWS_18", "failed"),
        _result("CKV2_AWS_62", "failed"),
        _result("CKV_AWS_21", "passed"),
        _result("CKV_AWS_144", "failed"),
    ]
    scan.suppressed = [(scan.results[3], Skip("CKV_AWS_144", "aws:s3/bucket:Bucket", "ci-data", WHY))]
    control = Rule(id="SR-STO-009", title="Access logging", severity="high", enforcement="mandatory")
    mapping = {("CKV_AWS_18", "aws:s3/bucket:Bucket"): control}
    report = build_report(scan, resources=5, export=_export_with_bucket(), controls=mapping)
    by_control = {v.control: v for v in report.violations}
    assert set(by_control) == {"SR-STO-009", "CKV2_AWS_62"}
    mapped = by_control["SR-STO-009"]
    assert (mapped.source, mapped.severity, mapped.resource_urn) == ("checkov", "high", BUCKET_URN)
    assert mapped.message.startswith("CKV_AWS_18: ")
    assert (mapped.resource_type, mapped.resource_name) == ("aws:s3/bucket:Bucket", "ci-data")
    assert by_control["CKV2_AWS_62"].enforcement == "mandatory"
    assert report.controls == 4 and report.passed_controls == ["CKV_AWS_21"]
    assert "1 suppressed with a justification" in report.notes[0]
    assert report.exit_code == 1


def test_report_notes_count_what_checkov_did_not_see() -> None:
    export = _export_with_bucket()
    password = "urn:pulumi:ci::p::pulumi:pulumi:Stack$random:index/randomPassword:RandomPassword::pw"
    export.unmapped = [(password, "random:index/randomPassword:RandomPassword")]
    export.unknown_omitted = [(BUCKET_URN, "loggings")]
    scan = checkov.CheckovScan(stack="ci", version="3.3.30", results=[_result("CKV_AWS_21", "passed")])
    notes = build_report(scan, resources=3, export=export, controls={}).notes
    assert any(
        "1 resource(s) of 1 type(s) not exported to Terraform" in n
        and "random:index/randomPassword:RandomPassword (1: pw)" in n
        for n in notes
    ), notes
    assert any("1 attribute(s) unknown at preview" in n and "ci-data.loggings" in n for n in notes), notes


def test_report_merges_with_the_pack_report() -> None:
    scan = checkov.CheckovScan(stack="ci", version="3.3.30", results=[_result("CKV2_AWS_62", "failed")])
    ours = build_report(scan, resources=5, export=_export_with_bucket(), controls={})
    pack = build_report(checkov.CheckovScan(stack="ci", unavailable="x"), resources=5, controls={})
    pack.sources = {"pulumi-policy": "strongroom 0.1.0"}
    merged = merge([pack, ours])
    assert merged.sources == {
        "pulumi-policy": "strongroom 0.1.0",
        "checkov": "checkov 3.3.30 (terraform_json)",
    }
    assert [v.control for v in merged.violations] == ["CKV2_AWS_62"]
    assert merged.unevaluated == ["checkov was requested and did not run: x"] and merged.exit_code == 1
    assert pack.exit_code == 3


def test_a_check_maps_to_the_control_of_the_resource_type_it_failed_on() -> None:
    mapping = checkov._control_map()
    assert mapping[("CKV_AWS_187", "aws:sagemaker/domain:Domain")].id == "SR-ENC-007"
    assert mapping[("CKV_AWS_187", "aws:sagemaker/notebookInstance:NotebookInstance")].id == "SR-ENC-008"
    assert ("CKV_AWS_187", "aws:s3/bucket:Bucket") not in mapping


def test_a_checkov_failure_the_pack_already_reported_is_merged_not_counted_twice() -> None:
    def violation(source: str, message: str) -> Violation:
        bucket = "aws:s3/bucket:Bucket"
        return Violation(
            "SR-STO-001", "Versioning", "high", "mandatory", BUCKET_URN, bucket, "ci-data", message, source
        )

    pack = Report("ci", 5, 1, [violation("pulumi-policy", "bucket 'ci-data' has no BucketVersioning")])
    scanned = Report("ci", 5, 1, [violation("checkov", "CKV_AWS_21: versioning (aws_s3_bucket.ci_data)")])
    merged = merge([pack, scanned])
    assert len(merged.violations) == 1
    assert merged.violations[0].source == "pulumi-policy"
    assert merged.violations[0].message == (
        "bucket 'ci-data' has no BucketVersioning "
        "(also checkov: CKV_AWS_21: versioning (aws_s3_bucket.ci_data))"
    )


# --- real scans ----------------------------------------------------------------------------------


def test_baseline_passes_every_check_with_no_parsing_error(fidelity: dict[str, CheckovScan]) -> None:
    scan = fidelity["baseline"]
    assert scan.ran, scan.unavailable
    assert scan.parsing_errors == []
    assert [(r.check_id, r.address) for r in scan.failed] == []
    assert len(scan.passed) >= 100
    unmapped = [r for r in scan.results if r.urn is None and not r.address.startswith("provider.")]
    assert unmapped == []


#: every insecure resource of the fixture and a checkov check it must fail
INSECURE_EXPECTED = {
    ("CKV_AWS_130", "public"),
    ("CKV_AWS_24", "open"),
    ("CKV_AWS_277", "open"),
    ("CKV_AWS_382", "open"),
    ("CKV_AWS_60", "admin"),
    ("CKV_AWS_274", "admin-access"),
    ("CKV_AWS_7", "key"),
    ("CKV_AWS_70", "data-public-read"),
    ("CKV2_AWS_6", "data"),
    ("CKV_AWS_21", "data"),
    ("CKV_AWS_145", "data"),
    ("CKV_AWS_122", "notebook"),
    ("CKV_AWS_307", "notebook"),
    ("CKV2_AWS_11", "vpc"),
}


def test_insecure_fixture_fails_checkov_on_each_insecure_resource(
    fixture_exports: dict[str, tuple[TerraformExport, int]], fidelity: dict[str, CheckovScan]
) -> None:
    # what `check_plan(plan, project_dir=INSECURE)` reports (the fixture has no suppressions), from the
    # fidelity run's scan of its export instead of a checkov process of its own
    assert not (INSECURE / checkov.SKIPS_FILE).exists()
    export, resources = fixture_exports["insecure"]
    report = checkov.build_report(fidelity["fixture:insecure"], resources=resources, export=export)
    failed = {(v.message.split(":")[0], v.resource_name) for v in report.violations}
    assert failed >= INSECURE_EXPECTED, sorted(INSECURE_EXPECTED - failed)
    assert report.exit_code == 1
    assert all(v.source == "checkov" and v.resource_urn.startswith("urn:pulumi:") for v in report.violations)


def test_a_security_group_used_only_by_a_non_network_interface_resource_is_attached(
    fixture_exports: dict[str, tuple[TerraformExport, int]], fidelity: dict[str, CheckovScan]
) -> None:
    """CKV2_AWS_5 looks for a resource referencing the group: each group of the fixture is used only by a
    Lambda's vpcConfig, an ECS service's networkConfiguration, an EKS cluster, an RDS instance or a load
    balancer, so the export must write each user and its reference to the group (no false finding)."""
    export, _ = fixture_exports["sg_users"]
    assert export.unmapped == []
    scan = fidelity["fixture:sg_users"]
    assert scan.ran, scan.unavailable
    sg5 = {r.address: r.status for r in scan.results if r.check_id == "CKV2_AWS_5"}
    groups = ["sg_lambda", "sg_service", "sg_cluster", "sg_database", "sg_balancer"]
    assert sg5 == {f"aws_security_group.{g}": "passed" for g in groups}


# --- Strongroom's own stacks ------------------------------------------------------------------------


REPO_STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="session")
def repo_reports(scans: tuple[dict[str, CheckovScan], dict[str, Report]]) -> dict[str, Report]:
    """The three stacks of the repository, each report with the project's suppressions for its stack
    (``checkov.suppressed_reports``, as ``check_plans`` makes them), from the fixture's one checkov run."""
    return scans[1]


@pytest.mark.parametrize("stack", REPO_STACKS)
def test_repo_stack_has_no_unexplained_checkov_failure(stack: str, repo_reports: dict[str, Report]) -> None:
    """Issue 5's target: every checkov failure on dev, staging and prod is fixed or suppressed with a
    justification in policies/checkov-skips.yaml (a stale skip would raise UsageError here)."""
    report = repo_reports[stack]
    assert report.stack == stack
    assert [f"{v.message} [{v.resource_urn}]" for v in report.violations] == []
    (summary,) = [n for n in report.notes if n.startswith("checkov ")]
    assert " 0 failed, " in summary and " 0 parsing error(s)" in summary, summary
    assert [n for n in report.notes if "not exported to Terraform" in n] == []
    assert report.exit_code == 0


def test_check_with_checkov_runs_the_program_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`strongroom check --checkov` scans the plan the pack checked; the program is not run a second time."""
    from typer.testing import CliRunner

    import strongroom.check
    from strongroom.cli import app

    calls: list[str] = []
    real_run_plan = strongroom.check.run_plan

    def counting_run_plan(project_dir: Path, stack: str, **kwargs: Any) -> Any:
        calls.append(stack)
        return real_run_plan(project_dir, stack, **kwargs)

    monkeypatch.setattr(strongroom.check, "run_plan", counting_run_plan)
    missing = tmp_path / "no-checkov"
    result = CliRunner().invoke(
        app, ["check", "-C", str(BASELINE), "--stack", "ci", "--checkov-bin", str(missing), "-f", "json"]
    )
    assert result.exit_code == 1, "the pack's mandatory violations decide before 'not evaluated'"
    assert json.loads(result.stdout)["unevaluated"], result.output
    assert calls == ["ci"]
    notes = json.loads(result.stdout)["notes"]
    assert any("checkov not found" in n and str(missing) in n for n in notes), notes


# --- fidelity ------------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _res(plan: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [r for r in plan["resources"] if r["name"] == name and r.get("custom")]
    return found


def set_input(name: str, path: str, value: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        target = _res(plan, name)["inputs"]
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value

    return mutate


def drop_input(name: str, key: str) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        del _res(plan, name)["inputs"][key]

    return mutate


def drop_resource(name: str) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        plan["resources"].remove(_res(plan, name))

    return mutate


PUBLIC_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}],
    }
)
ANYONE_ASSUMES = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)
OPEN_SSH = [
    {"description": "ssh", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}
]

#: (mutation id, mutation, checkov check, Pulumi name of the resource the check reports)
MUTATIONS: list[tuple[str, Mutation, str, str]] = [
    ("key-rotation-off", set_input("key", "enableKeyRotation", False), "CKV_AWS_7", "key"),
    ("key-policy-missing", drop_input("key", "policy"), "CKV2_AWS_64", "key"),
    (
        "versioning-suspended",
        set_input("data-versioning", "versioningConfiguration.status", "Suspended"),
        "CKV_AWS_21",
        "data",
    ),
    (
        "sse-s3-not-kms",
        set_input(
            "data-encryption", "rules.0.applyServerSideEncryptionByDefault", {"sseAlgorithm": "AES256"}
        ),
        "CKV_AWS_145",
        "data",
    ),
    (
        "pab-acls",
        set_input("data-public-access-block", "blockPublicAcls", False),
        "CKV_AWS_53",
        "data-public-access-block",
    ),
    (
        "pab-policy",
        set_input("data-public-access-block", "blockPublicPolicy", False),
        "CKV_AWS_54",
        "data-public-access-block",
    ),
    (
        "pab-ignore",
        set_input("data-public-access-block", "ignorePublicAcls", False),
        "CKV_AWS_55",
        "data-public-access-block",
    ),
    (
        "pab-restrict",
        set_input("data-public-access-block", "restrictPublicBuckets", False),
        "CKV_AWS_56",
        "data-public-access-block",
    ),
    ("pab-missing", drop_resource("data-public-access-block"), "CKV2_AWS_6", "data"),
    ("access-logging-missing", drop_resource("data-logging"), "CKV_AWS_18", "data"),
    ("lifecycle-missing", drop_resource("data-lifecycle"), "CKV2_AWS_61", "data"),
    ("notifications-missing", drop_resource("data-notifications"), "CKV2_AWS_62", "data"),
    ("replication-missing", drop_resource("data-replication"), "CKV_AWS_144", "data"),
    (
        "lifecycle-no-abort-multipart",
        set_input("data-lifecycle", "rules.0.abortIncompleteMultipartUpload", None),
        "CKV_AWS_300",
        "data-lifecycle",
    ),
    ("bucket-policy-public", set_input("data-policy", "policy", PUBLIC_POLICY), "CKV_AWS_70", "data-policy"),
    ("log-retention-short", set_input("flow-logs", "retentionInDays", 30), "CKV_AWS_338", "flow-logs"),
    ("log-group-unencrypted", drop_input("flow-logs", "kmsKeyId"), "CKV_AWS_158", "flow-logs"),
    ("flow-log-missing", drop_resource("vpc-flow-log"), "CKV2_AWS_11", "vpc"),
    ("default-sg-open", set_input("vpc-default-sg", "ingress", OPEN_SSH), "CKV2_AWS_12", "vpc"),
    ("subnet-public-ip", set_input("private", "mapPublicIpOnLaunch", True), "CKV_AWS_130", "private"),
    ("sg-open-ssh", set_input("endpoints", "ingress", OPEN_SSH), "CKV_AWS_24", "endpoints"),
    ("sg-rule-undescribed", set_input("endpoints", "egress.0.description", None), "CKV_AWS_23", "endpoints"),
    (
        "notebook-internet",
        set_input("notebook", "directInternetAccess", "Enabled"),
        "CKV_AWS_122",
        "notebook",
    ),
    ("notebook-root", set_input("notebook", "rootAccess", "Enabled"), "CKV_AWS_307", "notebook"),
    ("notebook-unencrypted", drop_input("notebook", "kmsKeyId"), "CKV_AWS_22", "notebook"),
    (
        "notebook-imdsv1",
        set_input(
            "notebook", "instanceMetadataServiceConfiguration.minimumInstanceMetadataServiceVersion", "1"
        ),
        "CKV_AWS_371",
        "notebook",
    ),
    ("studio-unencrypted", drop_input("studio", "kmsKeyId"), "CKV_AWS_187", "studio"),
    ("trail-no-validation", set_input("trail", "enableLogFileValidation", False), "CKV_AWS_36", "trail"),
    ("trail-single-region", set_input("trail", "isMultiRegionTrail", False), "CKV_AWS_67", "trail"),
    ("trail-unencrypted", drop_input("trail", "kmsKeyId"), "CKV_AWS_35", "trail"),
    ("trail-no-cloudwatch", drop_input("trail", "cloudWatchLogsGroupArn"), "CKV2_AWS_10", "trail"),
    ("topic-unencrypted", drop_input("alerts", "kmsMasterKeyId"), "CKV_AWS_26", "alerts"),
    ("vault-unencrypted", drop_input("vault", "kmsKeyArn"), "CKV_AWS_166", "vault"),
    (
        "role-anyone-assumes",
        set_input("notebook-role", "assumeRolePolicy", ANYONE_ASSUMES),
        "CKV_AWS_60",
        "notebook-role",
    ),
]


@pytest.fixture(scope="session")
def fixture_exports() -> dict[str, tuple[TerraformExport, int]]:
    """The Terraform export of each fixture project the real scans judge, and its plan's resource count."""
    plans = {name: run_plan(FIXTURES / folder, "ci") for name, folder in FIXTURE_PROJECTS.items()}
    return {name: (export_plan(plan), len(plan.resources)) for name, plan in plans.items()}


FIXTURE_PROJECTS = {"insecure": INSECURE.name, "sg_users": "sg_users"}


@pytest.fixture(scope="session")
def scans(
    checkov_bin: Path, baseline_plan: dict[str, Any], fixture_exports: dict[str, tuple[TerraformExport, int]]
) -> tuple[dict[str, CheckovScan], dict[str, Report]]:
    """One checkov run (``scan_exports``: a sub-directory each; a checkov process starts in about 3 s)
    over the baseline, every mutation and the fixture projects of the tests above, unsuppressed, and the
    repository's three stacks, reported with the project's suppressions as ``check_plans`` reports them."""
    variants = [("baseline", None), *[(mid, mutate) for mid, mutate, _, _ in MUTATIONS]]
    exports = []
    for _, mutate in variants:
        mutated = copy.deepcopy(baseline_plan)
        if mutate is not None:
            mutate(mutated)
        exports.append(export_plan(mutated))
    names = [mid for mid, _ in variants] + [f"fixture:{name}" for name in fixture_exports]
    exports += [export for export, _ in fixture_exports.values()]
    plans = [repository_plan(stack) for stack in REPO_STACKS]
    repo = [(export_plan(plan), len(plan.resources), "Pulumi.yaml") for plan in plans]
    found = scan_exports([*exports, *(export for export, _, _ in repo)], checkov_bin=checkov_bin, timeout=60)
    skips_path = REPO / checkov.SKIPS_FILE
    reports = checkov.suppressed_reports(
        found[len(exports) :], repo, skips=load_skips(skips_path), skips_path=skips_path
    )
    return dict(zip(names, found[: len(exports)], strict=True)), dict(zip(REPO_STACKS, reports, strict=True))


@pytest.fixture(scope="session")
def fidelity(scans: tuple[dict[str, CheckovScan], dict[str, Report]]) -> dict[str, CheckovScan]:
    """The unsuppressed scans of the baseline, every mutation and the fixture projects."""
    return scans[0]


def _status(results: list[CheckResult], check: str, name: str) -> set[str]:
    return {r.status for r in results if r.check_id == check and r.urn and r.urn.endswith(f"::{name}")}


def test_fidelity_has_at_least_twenty_mutations() -> None:
    assert len({check for _, _, check, _ in MUTATIONS}) >= 20
    assert len({mid for mid, _, _, _ in MUTATIONS}) == len(MUTATIONS)


def test_fidelity_scan_has_no_parsing_errors(fidelity: dict[str, CheckovScan]) -> None:
    assert all(scan.ran for scan in fidelity.values()), fidelity["baseline"].unavailable
    assert [e for scan in fidelity.values() for e in scan.parsing_errors] == []
    # one checkov process answered for every export, each its own resources
    assert len({scan.seconds for scan in fidelity.values()}) == 1
    assert all(scan.results for scan in fidelity.values())


@pytest.mark.parametrize(
    ("mid", "check", "name"), [(m, c, n) for m, _, c, n in MUTATIONS], ids=[m for m, *_ in MUTATIONS]
)
def test_fidelity_mutation_flips_check_from_passed_to_failed(
    fidelity: dict[str, CheckovScan], mid: str, check: str, name: str
) -> None:
    assert _status(fidelity["baseline"].results, check, name) == {"passed"}, (
        f"{check} on {name} does not pass on the baseline"
    )
    assert _status(fidelity[mid].results, check, name) == {"failed"}, f"{mid}: {check} on {name} did not fail"


def test_os_environment_is_not_leaked_to_checkov(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BC_API_KEY", "do-not-send")
    assert "BC_API_KEY" not in checkov_env()
    assert os.environ["BC_API_KEY"] == "do-not-send"
