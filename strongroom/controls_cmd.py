"""`strongroom controls`: list the control catalog, filtered, as a table or as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from strongroom.errors import UsageError
from strongroom.policies.catalog import CATALOG, FRAMEWORKS, LIVE_ONLY, SEVERITIES, Control, select

FORMATS = ("text", "json")

AREAS: tuple[str, ...] = tuple(dict.fromkeys(c.area for c in CATALOG))
"""The areas of the catalog's control IDs (``SR-<AREA>-nnn``), in catalog order."""


def _refuse_unknown(flag: str, values: Sequence[str], accepted: Sequence[str], *, fold: bool = False) -> None:
    known = {a.upper() for a in accepted} if fold else set(accepted)
    for value in values:
        if (value.upper() if fold else value) not in known:
            raise UsageError(f"{flag} {value!r} is not accepted; accepted: {', '.join(accepted)}.")


def selected(
    min_severity: str | None, frameworks: Sequence[str], areas: Sequence[str], tags: Sequence[str]
) -> tuple[Control, ...]:
    """The catalog filtered as the options ask; a bad value is a usage error naming the option, the
    value and the accepted values (areas are matched case-insensitively, as the catalog does)."""
    _refuse_unknown("--severity", [min_severity] if min_severity is not None else [], SEVERITIES)
    _refuse_unknown("--framework", frameworks, FRAMEWORKS)
    _refuse_unknown("--area", areas, AREAS, fold=True)
    try:
        return select(
            min_severity=min_severity,
            frameworks=frameworks,
            areas=areas,
            tags=tags,
            controls=(*CATALOG, *LIVE_ONLY),
        )
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
        # IDs and single words stay whole; the rest wraps (long words fold) to fit the console's width.
        if column in ("ID", "Severity", "Enforcement"):
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, overflow="fold")
    for c in controls:
        cis_fsbp = ", ".join([*c.frameworks.get("CIS-AWS-3.0", ()), *c.frameworks.get("AWS-FSBP", ())]) or "-"
        nist = ", ".join(c.frameworks.get("NIST-800-53-r5", ()))
        table.add_row(c.id, c.title, c.severity, c.enforcement, nist, cis_fsbp)
    console.print(table)
