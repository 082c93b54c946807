"""`strongroom controls`: list the control catalog, filtered, as a table or as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from policies.catalog import Control, select
from strongroom.errors import UsageError

FORMATS = ("text", "json")


def selected(
    min_severity: str | None, frameworks: Sequence[str], areas: Sequence[str], tags: Sequence[str]
) -> tuple[Control, ...]:
    """The catalog filtered as the options ask; a bad value is a usage error naming the option."""
    try:
        return select(min_severity=min_severity, frameworks=frameworks, areas=areas, tags=tags)
    except ValueError as exc:
        raise UsageError(f"--severity/--framework: {exc}.") from exc


def as_json(controls: Sequence[Control]) -> str:
    rows = [
        {
            "id": c.id,
            "title": c.title,
            "severity": c.severity,
            "enforcement": c.enforcement,
            "scope": c.scope,
            "resource_types": list(c.resource_types),
            "frameworks": {k: list(v) for k, v in c.frameworks.items()},
            "enforced_in": sorted(c.enforced_in),
            "checkov_ids": list(c.checkov_ids),
            "applies_to": c.applicability,
            "rationale": c.rationale,
            "remediation": c.remediation,
        }
        for c in controls
    ]
    return json.dumps(rows, indent=2) + "\n"


def print_table(controls: Sequence[Control], console: Console) -> None:
    table = Table(title=f"{len(controls)} controls")
    for column in ("ID", "Control", "Severity", "Enforcement", "NIST 800-53 r5", "CIS / FSBP"):
        table.add_column(column)
    for c in controls:
        cis_fsbp = ", ".join([*c.frameworks.get("CIS-AWS-3.0", ()), *c.frameworks.get("AWS-FSBP", ())]) or "-"
        nist = ", ".join(c.frameworks.get("NIST-800-53-r5", ()))
        table.add_row(c.id, c.title, c.severity, c.enforcement, nist, cis_fsbp)
    console.print(table)
