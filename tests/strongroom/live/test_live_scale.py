"""An account holding several environments: each audited alone finds only its own, and `strongroom audit
--all-stacks` audits them all at once (one report per stack, one exit code), sharing the account-wide
discovery reads. Three environments show it (the first holds the account baseline, the second is planned, the
third is the second renamed); the audit of twenty is measured by bench/bench_audit.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live_support import moto_context, new_aws, renamed_plan, scale_project
from typer.testing import CliRunner

from strongroom.cli import app
from strongroom.engine import load_project, run_plan
from strongroom.live.audit import audit, planned_of
from strongroom.live.materialise import materialise
from strongroom.plancache import PlanCache, SourceDigest
from strongroom.policies.drift import stem

ACCOUNT = "123456789012"


def test_a_renamed_plan_is_the_siblings_plan(tmp_path: Path) -> None:
    scale_project(tmp_path, 3)
    real, renamed = run_plan(tmp_path, "e03"), renamed_plan(run_plan(tmp_path, "e02"), "e03")
    assert sorted(r.urn for r in renamed.resources) == sorted(r.urn for r in real.resources)

    def names(plan: object) -> list[tuple[str, object, object]]:
        return sorted(
            (r.urn, r.inputs.get("tags"), stem(r.inputs.get("name") or r.inputs.get("bucket")))
            for r in plan.resources  # type: ignore[attr-defined]
        )

    assert names(renamed) == names(real)

    def default_tags(plan: object) -> list[object]:
        return [r.inputs.get("defaultTags") for r in plan.resources if r.type == "pulumi:providers:aws"]  # type: ignore[attr-defined]

    assert default_tags(renamed) == default_tags(real) and "e03" in str(default_tags(real))
    vpc = next(r for r in renamed.resources if r.type == "aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.103.0.0/16"


@pytest.mark.threaded_reads  # three environments read on the audit's threads, as against AWS
def test_three_environments_audited_one_at_a_time_and_all_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stacks = scale_project(tmp_path, 3)
    first, second = run_plan(tmp_path, "e01"), run_plan(tmp_path, "e02")
    plans = {"e01": first, "e02": second, **{s: renamed_plan(second, s) for s in stacks[2:]}}
    cache = PlanCache()
    digest = SourceDigest.of(load_project(tmp_path))
    for stack, plan in plans.items():
        cache.put(digest.key(stack, ACCOUNT), plan)
    with moto_context(monkeypatch):
        for plan in plans.values():
            materialise(plan, new_aws())
        for stack in ("e01", "e03"):
            aws = new_aws()
            report = audit(aws, planned_of(plans[stack], tmp_path))
            assert report.violations == [], [
                (v.control, v.resource_name, v.message) for v in report.violations
            ]
            assert report.exit_code == 0
            assert all(f"sr-{stack}-" in r or stack in r for r in _names(report)), "another stack's resource"

        result = CliRunner().invoke(app, ["audit", "--all-stacks", "-C", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.stdout[-3000:]
    document = json.loads(result.stdout)
    assert [r["stack"] for r in document["stacks"]] == stacks
    assert all(r["violations"] == [] and r["resources"] > 100 for r in document["stacks"])


def _names(report: object) -> list[str]:
    return [v.resource_name for v in report.violations]  # type: ignore[attr-defined]
