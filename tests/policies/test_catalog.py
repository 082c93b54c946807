"""The catalog meta-test: unique IDs, honest mappings, remediation, tests and pack wiring for every
control; selection; the README table generated from the catalog."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import test_audit_controls
import test_baseline_controls
import test_encryption_controls
import test_governance_controls
import test_identity_controls
import test_network_controls
import test_services_controls
import test_storage_controls
import test_workspace_controls

from strongroom.policies import docs
from strongroom.policies.catalog import CATALOG, FRAMEWORKS, SEVERITIES, get, select
from strongroom.policies.pack import build_policies

SPECS = {
    **test_governance_controls.SPECS,
    **test_network_controls.SPECS,
    **test_encryption_controls.SPECS,
    **test_storage_controls.SPECS,
    **test_identity_controls.SPECS,
    **test_audit_controls.SPECS,
    **test_baseline_controls.SPECS,
    **test_workspace_controls.SPECS,
    **test_services_controls.SPECS,
}
CHECKOV_CHECKS = (
    Path(__file__).resolve().parents[2] / ".venv-checkov/lib/python3.11/site-packages/checkov/terraform"
)


def test_at_least_forty_controls_with_unique_well_formed_ids() -> None:
    ids = [c.id for c in CATALOG]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"SR-(GOV|NET|ENC|STO|IAM|AUD|WS)-\d{3}", i) for i in ids)


@pytest.mark.parametrize("control", CATALOG, ids=lambda c: c.id)
def test_control_is_fully_declared(control) -> None:  # type: ignore[no-untyped-def]
    assert control.title and control.rationale and control.remediation
    assert control.severity in SEVERITIES
    assert control.enforcement in ("mandatory", "advisory")
    assert control.scope in ("resource", "stack")
    assert control.resource_types
    assert all(t.startswith("aws:") or t in ("*", "pulumi:providers:aws") for t in control.resource_types)
    assert set(control.frameworks) <= set(FRAMEWORKS)
    assert control.frameworks.get("NIST-800-53-r5"), "every control maps to NIST SP 800-53 r5"
    has_cis_or_fsbp = bool(control.frameworks.get("CIS-AWS-3.0") or control.frameworks.get("AWS-FSBP"))
    assert has_cis_or_fsbp or control.framework_note, "no CIS/FSBP mapping needs a stated reason"
    assert "preview" in control.enforced_in and control.enforced_in <= {"preview", "checkov", "live"}
    assert ("checkov" in control.enforced_in) == bool(control.checkov_ids)
    assert control.applies is not None and (control.applicability or control.applies.__name__ == "_always")


@pytest.mark.parametrize("control", CATALOG, ids=lambda c: c.id)
def test_control_has_tests_for_baseline_breaks_and_not_applicable(control) -> None:  # type: ignore[no-untyped-def]
    spec = SPECS.get(control.id)
    assert spec is not None, f"{control.id} has no test spec"
    assert spec.breaks and spec.not_applicable


@pytest.mark.parametrize("control", CATALOG, ids=lambda c: c.id)
def test_control_is_wired_into_the_pack(control) -> None:  # type: ignore[no-untyped-def]
    assert control.policy_name in {p.name for p in build_policies()}


@pytest.mark.skipif(not CHECKOV_CHECKS.exists(), reason="checkov virtualenv not built")
def test_every_checkov_id_exists_in_the_installed_checkov() -> None:
    sources = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in CHECKOV_CHECKS.joinpath("checks").rglob("*")
        if p.suffix in (".py", ".json", ".yaml")
    )
    for control in CATALOG:
        for ckv in control.checkov_ids:
            assert re.search(rf"[\"']{ckv}[\"']", sources), (
                f"{control.id}: {ckv} is not a checkov terraform check"
            )


def test_predicates_import_neither_pulumi_nor_pulumi_policy() -> None:
    for area in ("network", "encryption", "storage", "identity", "audit", "workspace"):
        source = Path(
            importlib.import_module(f"strongroom.policies.controls.{area}").__file__ or ""
        ).read_text()
        assert not re.search(r"^\s*(import|from)\s+pulumi", source, re.MULTILINE), area
    for module in ("strongroom.policies.props", "strongroom.policies.model", "strongroom.policies.catalog"):
        source = Path(importlib.import_module(module).__file__ or "").read_text()
        assert not re.search(r"^\s*(import|from)\s+pulumi", source, re.MULTILINE), module


def test_get_is_case_insensitive_and_names_known_ids_when_unknown() -> None:
    assert get("sr-net-001").id == "SR-NET-001"
    with pytest.raises(KeyError, match="unknown control ID 'SR-XXX-001'; known IDs: SR-AUD-001"):
        get("SR-XXX-001")


def test_select_filters_by_severity_framework_tag_and_area() -> None:
    critical = select(min_severity="critical")
    assert critical and all(c.severity == "critical" for c in critical)
    high = select(min_severity="high")
    assert set(critical) < set(high) and all(c.severity in ("critical", "high") for c in high)
    assert all("CIS-AWS-3.0" in c.frameworks for c in select(frameworks=["CIS-AWS-3.0"]))
    assert {c.area for c in select(areas=["ws"])} == {"WS"}
    assert all("backup" in c.tags for c in select(tags=["backup"]))
    with pytest.raises(ValueError, match="unknown severity 'urgent'; accepted: critical, high, medium, low"):
        select(min_severity="urgent")
    with pytest.raises(ValueError, match="unknown framework 'PCI'"):
        select(frameworks=["PCI"])


def test_readme_control_table_matches_the_catalog() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    assert docs.render(readme) == readme, (
        "README controls section drifted: run `python -m strongroom.policies.docs`"
    )
    for control in CATALOG:
        assert f"| {control.id} |" in readme


def test_docs_check_mode_reports_drift(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n{docs.START}\nold\n{docs.END}\n", encoding="utf-8")
    assert docs.main([str(stale), "--check"]) == 1
    assert docs.main([str(stale)]) == 0
    assert docs.main([str(stale), "--check"]) == 0
