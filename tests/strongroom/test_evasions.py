"""Evasions of the gate, as a reviewer with only the CLI and the components would write them.

Each case of tests/fixtures/evasions/cases.py adds one weakness to a compliant environment built from
Strongroom's components (`weak`), or does the same thing the compliant way (`twin`). Every weak program
must be caught by exactly the controls and resources below; every twin must pass with no violation at
all. All programs are planned by the offline engine and judged by Strongroom's pack in process, with the
perimeter of the fixture's stack config, as `strongroom check` does (`test_inprocess.py` compares a sample
with the pack over the Analyzer protocol).

Cases no longer written here because the program cannot be planned offline: a dynamic provider (the SDK's
mocks cannot construct `pulumi.dynamic.Resource`); SR-GOV-001 judges its type in the control tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conformance_support import same_diagnostics

from strongroom.check import build_report, check_plans, engine_findings
from strongroom.engine import Plan, load_project, load_stack_config, run_plan
from strongroom.report import Report

pytestmark = pytest.mark.xdist_group("evasions")  # one worker plans the programs once

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "evasions"
ACCOUNT = "123456789012"
STACK_FILE = """config:
  aws:region: eu-west-2
  evasions:case: {case}
  evasions:variant: {variant}
  strongroom:perimeter:
    trustedAccounts: ["{account}"]
"""

# What catches each weak program: (control, resource name). A case naming several controls breaks each
# of them (iam:Pass* on "*" is both a broad resource and an escalation action).
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "versioning-alias": {("SR-STO-001", "evasion-data-bucket")},
    "standalone-ingress-rule": {("SR-NET-007", "evasion-ingress-https")},
    "legacy-egress-rule": {("SR-NET-008", "evasion-egress-https")},
    "exclusive-attachments": {("SR-IAM-005", "evasion-exclusive-attachments")},
    "iam-user-access-key": {
        ("SR-IAM-004", "evasion-ci-user"),
        ("SR-IAM-007", "evasion-ci-key"),
        ("SR-IAM-007", "evasion-ci-user"),
    },
    "kms-grant": {("SR-ENC-010", "evasion-data-grant")},
    "log-subscription": {("SR-NET-030", "evasion-flow-logs-out")},
    "cloud-control": {("SR-GOV-001", "evasion-cc-bucket")},
    "cloudformation-stack": {("SR-GOV-001", "evasion-cfn")},
    "function-url": {("SR-NET-031", "evasion-fn-url")},
    "lambda-permission": {("SR-IAM-021", "evasion-invoke")},
    "eip-association": {("SR-NET-004", "evasion-eip")},
    "public-load-balancer": {("SR-NET-015", "evasion-alb")},
    "ecr-pull-through": {("SR-WS-010", "evasion-cache")},
    "always-true-condition": {("SR-STO-005", "evasion-data-extra-policy")},
    "foreign-root-in-bucket-policy": {("SR-STO-005", "evasion-data-extra-policy")},
    "pass-role-wildcard": {("SR-IAM-002", "evasion-worker-policy"), ("SR-IAM-003", "evasion-worker-policy")},
    "role-action-wildcard": {
        ("SR-IAM-001", "evasion-worker-policy"),
        ("SR-IAM-003", "evasion-worker-policy"),
        # iam:*Role* includes changing its own role: a self-modification path.
        ("SR-IAM-040", "evasion-worker"),
    },
    "assume-wildcard": {("SR-IAM-002", "evasion-worker-policy"), ("SR-IAM-003", "evasion-worker-policy")},
    "every-bucket": {("SR-IAM-002", "evasion-worker-policy")},
    "not-action": {
        ("SR-IAM-001", "evasion-worker-policy"),
        ("SR-IAM-002", "evasion-worker-policy"),
        ("SR-IAM-003", "evasion-worker-policy"),
        # NotAction grants every other action: changing its own role, deleting keys, minting Studio
        # sign-in URLs from anywhere and approving model packages too.
        ("SR-IAM-040", "evasion-worker"),
        ("SR-IAM-041", "evasion-worker"),
        ("SR-IAM-051", "evasion-worker-policy"),
        ("SR-WS-040", "evasion-worker-policy"),
    },
    "admin-boundary": {("SR-IAM-004", "evasion-bounded"), ("SR-IAM-005", "evasion-bounded")},
    "managed-full-access": {("SR-IAM-005", "evasion-managed")},
    "split-default-route": {
        ("SR-NET-006", "evasion-half-0"),
        ("SR-NET-006", "evasion-half-1"),
        ("SR-NET-014", "evasion-half-0"),
        ("SR-NET-014", "evasion-half-1"),
    },
    "split-world-ingress": {("SR-NET-007", "evasion-halves")},
    "world-prefix-list": {("SR-NET-008", "evasion-plist-egress")},
    "aws-managed-key-by-arn": {("SR-ENC-004", "evasion-data-bucket")},
    "foreign-key": {("SR-ENC-004", "evasion-exports-bucket")},
    "current-version-expiry": {("SR-STO-012", "evasion-data-bucket")},
    "foreign-replication": {("SR-STO-013", "evasion-data-replication")},
    "foreign-flow-log": {("SR-NET-019", "evasion-flow-out")},
    "foreign-privatelink": {("SR-NET-017", "evasion-extra-endpoint")},
    "foreign-provider": {("SR-GOV-003", "aws-other")},
    "far-region-provider": {("SR-GOV-003", "aws-far")},
    "foreign-event-target": {("SR-AUD-030", "evasion-all-s3-out")},
    "web-subscription": {("SR-AUD-031", "evasion-notices-sub")},
    "ignore-policy-changes": {("SR-GOV-002", "evasion-extra-key")},
    "resource-hook": {("SR-GOV-002", "evasion-logs-versioning-again")},
    "unanswered-lookup": {("SR-GOV-004", "evasions-unanswered-lookup-weak")},
    "stack-transform": {("SR-WS-003", "evasion-notebook")},
    # rootAccess unknown at preview: SR-WS-003 cannot judge it, so SR-GOV-004 reports it (mandatory in prod;
    # `check --strict` exits 3 for it everywhere); SR-WS-003 while the engine turned unknowns into None.
    "unknown-at-preview": {("SR-GOV-004", "evasion-notebook")},
    "preview-branch": {("SR-GOV-002", "evasions-preview-branch-weak")},
}


# The categories of issue 8, for the report of what each category proves.
CATEGORIES = {
    "types the controls never looked at": [
        "versioning-alias",
        "standalone-ingress-rule",
        "legacy-egress-rule",
        "exclusive-attachments",
        "iam-user-access-key",
        "kms-grant",
        "log-subscription",
        "cloud-control",
        "cloudformation-stack",
        "function-url",
        "lambda-permission",
        "eip-association",
        "public-load-balancer",
        "ecr-pull-through",
    ],
    "text instead of meaning": [
        "always-true-condition",
        "foreign-root-in-bucket-policy",
        "pass-role-wildcard",
        "role-action-wildcard",
        "assume-wildcard",
        "every-bucket",
        "not-action",
        "admin-boundary",
        "managed-full-access",
        "split-default-route",
        "split-world-ingress",
        "world-prefix-list",
        "aws-managed-key-by-arn",
        "foreign-key",
        "current-version-expiry",
    ],
    "data leaving the bank's accounts": [
        "foreign-replication",
        "foreign-flow-log",
        "foreign-privatelink",
        "foreign-provider",
        "far-region-provider",
        "foreign-event-target",
        "web-subscription",
    ],
    "what the offline run cannot see": [
        "ignore-policy-changes",
        "resource-hook",
        "unanswered-lookup",
        "stack-transform",
        "unknown-at-preview",
        "preview-branch",
    ],
}


EvasionPlans = tuple[dict[tuple[str, str], Plan], dict[str, Any]]


@pytest.fixture(scope="session")
def evasion_plans(tmp_path_factory: pytest.TempPathFactory) -> EvasionPlans:
    """Every case's weak and twin program planned once, and the config of the fixture's stacks."""
    project = tmp_path_factory.mktemp("evasions") / "project"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "Pulumi.base.yaml").write_text(STACK_FILE.format(case="", variant="", account=ACCOUNT))
    plans = {}
    for case in EXPECTED:
        for variant in ("weak", "twin"):
            stack = f"{case}-{variant}"
            (project / f"Pulumi.{stack}.yaml").write_text(
                STACK_FILE.format(case=case, variant=variant, account=ACCOUNT)
            )
            plans[(case, variant)] = run_plan(project, stack, account=ACCOUNT)
    return plans, load_stack_config(load_project(project), "base").values


@pytest.fixture(scope="session")
def reports(evasion_plans: EvasionPlans) -> dict[tuple[str, str], Report]:
    plans, config = evasion_plans
    info, results = check_plans(list(plans.values()), config=config, account=ACCOUNT)
    judged = {}
    for (key, plan), diagnostics in zip(plans.items(), results, strict=True):
        report = build_report(plan, info, diagnostics)
        report.violations.extend(engine_findings(plan, report))
        judged[key] = report
    return judged


def test_both_paths_answer_the_same_on_a_sample_of_evasions(evasion_plans: EvasionPlans) -> None:
    """The gRPC conformance of ``test_inprocess.py`` on every fifth case and the one unknown at preview,
    weak and twin: the pack over the Analyzer protocol and in process give the same diagnostics."""
    plans, config = evasion_plans
    cases = sorted({*sorted(EXPECTED)[::5], "unknown-at-preview"})
    sample = [plans[(case, variant)] for case in cases for variant in ("weak", "twin")]
    assert len(sample) >= 20
    results = same_diagnostics(sample, config=config, account=ACCOUNT)
    assert any(results), "a weak program is caught"


def test_every_case_of_the_fixture_is_expected_and_categorised() -> None:
    source = (FIXTURE / "cases.py").read_text()
    written = {
        line.split("(")[0].removeprefix("def ").replace("_", "-") for line in source.split("@case\n")[1:]
    }
    assert written == set(EXPECTED)
    assert sorted(c for cases in CATEGORIES.values() for c in cases) == sorted(EXPECTED)
    assert all(len(cases) >= 4 for cases in CATEGORIES.values())


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_weak_program_is_caught_by_its_controls(
    case: str, reports: dict[tuple[str, str], Report]
) -> None:
    report = reports[(case, "weak")]
    found = {(v.control, v.resource_name) for v in report.violations}
    assert found == EXPECTED[case], [f"{v.control} {v.resource_name}: {v.message}" for v in report.violations]
    assert report.exit_code == 1 or all(c == "SR-GOV-004" for c, _ in found)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_compliant_twin_passes(case: str, reports: dict[tuple[str, str], Report]) -> None:
    report = reports[(case, "twin")]
    assert report.violations == [], [f"{v.control} {v.resource_name}: {v.message}" for v in report.violations]
    assert report.exit_code == 0
