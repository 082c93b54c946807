"""The control catalog: every control Strongroom claims, declared once, queryable for selection.

`CATALOG` is ordered by area then number. The CrossGuard pack (`policies.pack`), the checkov mapping, the
docs table (`strongroom.policies.docs`) and `strongroom controls` all read it.
"""

from __future__ import annotations

from collections.abc import Iterable

from strongroom.policies.controls import (
    audit,
    baseline,
    delivery,
    encryption,
    governance,
    identity,
    live,
    network,
    services,
    storage,
    workspace,
)
from strongroom.policies.model import FRAMEWORKS, Control, Finding, evaluate, evaluate_resource

__all__ = [
    "CATALOG",
    "FRAMEWORKS",
    "LIVE_CATALOG",
    "LIVE_ONLY",
    "SEVERITIES",
    "Control",
    "Finding",
    "evaluate",
    "evaluate_resource",
    "get",
    "select",
]

CATALOG: tuple[Control, ...] = (
    *governance.CONTROLS,
    *network.CONTROLS,
    *encryption.CONTROLS,
    *storage.CONTROLS,
    *identity.CONTROLS,
    *audit.CONTROLS,
    *baseline.CONTROLS,
    *delivery.CONTROLS,
    *workspace.CONTROLS,
    *services.CONTROLS,
)

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")

LIVE_ONLY: tuple[Control, ...] = live.LIVE_ONLY
"""Controls only the live audit judges (drift from the plan, deployed state); not in the pack."""

LIVE_CATALOG: tuple[Control, ...] = tuple(c for c in CATALOG if "live" in c.enforced_in) + LIVE_ONLY
"""What `strongroom audit` judges: the catalog's controls marked `live`, then the live-only ones."""

_BY_ID = {control.id: control for control in (*CATALOG, *LIVE_ONLY)}


def get(control_id: str) -> Control:
    """The control with this ID (case-insensitive; the pack's lower-case policy names work too)."""
    try:
        return _BY_ID[control_id.upper()]
    except KeyError:
        known = ", ".join(sorted(_BY_ID))
        raise KeyError(f"unknown control ID {control_id!r}; known IDs: {known}") from None


def select(
    *,
    min_severity: str | None = None,
    frameworks: Iterable[str] = (),
    tags: Iterable[str] = (),
    areas: Iterable[str] = (),
    enforcement: str | None = None,
    controls: Iterable[Control] = CATALOG,
) -> tuple[Control, ...]:
    """Controls matching every given filter: severity at least `min_severity`, mapped to any of
    `frameworks`, carrying any of `tags`, in any of `areas` (NET, ENC, ...), of the given enforcement."""
    if min_severity is not None and min_severity not in SEVERITIES:
        raise ValueError(f"unknown severity {min_severity!r}; accepted: {', '.join(SEVERITIES)}")
    unknown_frameworks = set(frameworks) - set(FRAMEWORKS)
    if unknown_frameworks:
        raise ValueError(
            f"unknown framework {sorted(unknown_frameworks)[0]!r}; accepted: {', '.join(FRAMEWORKS)}"
        )
    wanted_frameworks, wanted_tags = set(frameworks), set(tags)
    wanted_areas = {a.upper() for a in areas}
    ceiling = SEVERITIES.index(min_severity) if min_severity else len(SEVERITIES)
    return tuple(
        c
        for c in controls
        if SEVERITIES.index(c.severity) <= ceiling
        and (not wanted_frameworks or wanted_frameworks & set(c.frameworks))
        and (not wanted_tags or wanted_tags & set(c.tags))
        and (not wanted_areas or c.area in wanted_areas)
        and (enforcement is None or c.enforcement == enforcement)
    )
