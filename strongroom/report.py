"""The compliance report: one model for every check, four renderers.

A :class:`Report` is what ``strongroom check`` (the CrossGuard pack driven over gRPC) and the checkov
adapter produce: violations keyed by control ID, the controls that passed, and the rule metadata the
renderers need. Renderers are pure functions ``Report -> str``:

* :func:`render_text` - a rich table grouped by severity, then a one-line summary;
* :func:`render_json` - the stable JSON contract (``stack``, ``resources``, ``controls``, ``violations``);
* :func:`render_sarif` - SARIF 2.1.0 that GitHub code scanning accepts (one rule per control, a physical
  location for every result, the resource URN as a logical location);
* :func:`render_junit` - JUnit XML with one test case per control and one failure per violation.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from strongroom.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNEVALUATED

Severity = Literal["critical", "high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
ENFORCEMENTS = ("mandatory", "advisory")

#: GitHub code scanning reads ``security-severity`` (0.0-10.0) to rank alerts: above 9.0 is critical,
#: 7.0-8.9 high, 4.0-6.9 medium, below 4.0 low.
SECURITY_SEVERITY: dict[str, str] = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "strongroom"


@dataclass(frozen=True)
class Violation:
    """One control broken by one resource (or by the stack as a whole)."""

    control: str
    title: str
    severity: str
    enforcement: str
    resource_urn: str
    resource_type: str
    resource_name: str
    message: str
    source: str = "pulumi-policy"

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Rule:
    """What a report says about a control: from the catalog, or from the pack for foreign policies."""

    id: str
    title: str
    severity: str
    enforcement: str
    description: str = ""
    remediation: str = ""
    help_uri: str = ""
    tags: tuple[str, ...] = ()
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class Report:
    """The outcome of one check of one stack.

    ``controls`` is the number of controls that were evaluated, ``passed_controls`` the IDs of those
    without any violation, ``rules`` the metadata of every evaluated control (renderers fall back to the
    violation's own title and severity for a control missing there). ``artifact`` is the file results
    point at in SARIF (relative to the repository root, for example ``stacks/Pulumi.dev.yaml``).
    """

    stack: str
    resources: int
    controls: int
    violations: list[Violation]
    passed_controls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    artifact: str = "Pulumi.yaml"
    unevaluated: list[str] = field(default_factory=list)
    """Why part of the check could not run (a requested scanner that did not run): exit 3."""

    @property
    def mandatory_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]

    @property
    def failed_controls(self) -> list[str]:
        return sorted({v.control for v in self.violations})

    @property
    def exit_code(self) -> int:
        """The CLI's contract: 1 when a mandatory control is violated, else 3 when the check or part of it
        could not be evaluated (``unevaluated``: the program failed, a remote component, a requested
        scanner that did not run, ``--strict`` and an unknown value), else 0."""
        if self.mandatory_violations:
            return EXIT_FINDINGS
        return EXIT_UNEVALUATED if self.unevaluated else EXIT_OK

    def rule(self, control: str) -> Rule:
        """The rule for ``control``, derived from its first violation when the report has no metadata."""
        if control in self.rules:
            return self.rules[control]
        for v in self.violations:
            if v.control == control:
                return Rule(id=control, title=v.title, severity=v.severity, enforcement=v.enforcement)
        return Rule(id=control, title=control, severity="medium", enforcement="advisory")

    def all_controls(self) -> list[str]:
        """Every control the report knows of, evaluated or violated, sorted by ID."""
        return sorted(set(self.passed_controls) | set(self.failed_controls) | set(self.rules))


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def sorted_violations(violations: Iterable[Violation]) -> list[Violation]:
    """Most severe first, then mandatory before advisory, then by control and resource."""
    return sorted(
        violations,
        key=lambda v: (_severity_rank(v.severity), not v.mandatory, v.control, v.resource_urn, v.message),
    )


def summary_line(report: Report) -> str:
    mandatory = len(report.mandatory_violations)
    advisory = len(report.violations) - mandatory
    failed = len(report.failed_controls)
    return (
        f"stack {report.stack}: {len(report.violations)} violation(s) "
        f"({mandatory} mandatory, {advisory} advisory); {failed} of {report.controls} controls failed "
        f"across {report.resources} resources" + _unevaluated_summary(report)
    )


def _unevaluated_summary(report: Report) -> str:
    """Why the report is not evaluated, for the summary line: the first reason and how many more."""
    if not report.unevaluated:
        return ""
    first = report.unevaluated[0]
    more = len(report.unevaluated) - 1
    tail = f" (and {more} more reason(s), listed in the report)" if more else ""
    return f"; not evaluated: {first}{tail}"


def render_text(report: Report, *, width: int = 160) -> str:
    """A table per severity (most severe first) and a summary line; plain text, no colour codes, no line
    longer than ``width``: long resource names and messages wrap (folded where they have no space), never
    cropped."""
    from rich.console import Console  # here, not at the top: a JSON, SARIF or JUnit report never needs it
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, soft_wrap=False)
    by_severity: dict[str, list[Violation]] = {}
    for v in sorted_violations(report.violations):
        by_severity.setdefault(v.severity, []).append(v)
    for severity, group in by_severity.items():
        table = Table(title=f"{severity.upper()} ({len(group)})", title_justify="left", expand=False)
        table.add_column("control", no_wrap=True)
        table.add_column("enforcement", no_wrap=True)
        table.add_column("resource", overflow="fold")
        table.add_column("message", overflow="fold")
        for v in group:
            table.add_row(v.control, v.enforcement, f"{v.resource_type}::{v.resource_name}", v.message)
        console.print(table)
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    for reason in report.unevaluated:
        console.print(f"not evaluated: {reason}", markup=False, highlight=False)
    verdict = {EXIT_OK: "PASSED", EXIT_UNEVALUATED: "NOT EVALUATED"}.get(report.exit_code, "FAILED")
    console.print(f"{verdict}: {summary_line(report)}", markup=False, highlight=False)
    return buffer.getvalue()


def render_json(report: Report) -> str:
    """The JSON contract: ``stack``, ``resources``, ``controls``, ``violations`` (plus passed controls
    and notes)."""
    document: dict[str, Any] = {
        "stack": report.stack,
        "resources": report.resources,
        "controls": report.controls,
        "violations": [v.to_dict() for v in sorted_violations(report.violations)],
        "passed_controls": sorted(report.passed_controls),
        "notes": list(report.notes),
        "sources": dict(report.sources),
        "unevaluated": list(report.unevaluated),
        "exit_code": report.exit_code,
    }
    return json.dumps(document, indent=2) + "\n"


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    frameworks = [f"{name}: {', '.join(ids)}" for name, ids in sorted(rule.frameworks.items()) if ids]
    help_lines = [rule.description or rule.title]
    if rule.remediation:
        help_lines.append(f"Remediation: {rule.remediation}")
    if frameworks:
        help_lines.append("Frameworks: " + "; ".join(frameworks))
    markdown = [f"**{rule.id}: {rule.title}**", "", rule.description or rule.title]
    if rule.remediation:
        markdown += ["", f"**Remediation.** {rule.remediation}"]
    if frameworks:
        markdown += ["", "**Frameworks.**", *[f"- {line}" for line in frameworks]]
    tags = ["security", "iac", "pulumi", *rule.tags]
    result: dict[str, Any] = {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.replace("_", "-").split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        "help": {"text": "\n".join(help_lines), "markdown": "\n".join(markdown)},
        "defaultConfiguration": {"level": "error" if rule.enforcement == "mandatory" else "warning"},
        "properties": {
            "security-severity": SECURITY_SEVERITY.get(rule.severity, SECURITY_SEVERITY["medium"]),
            "problem.severity": "error" if rule.enforcement == "mandatory" else "warning",
            "precision": "very-high",
            "tags": list(dict.fromkeys(tags)),
        },
    }
    if rule.help_uri:
        result["helpUri"] = rule.help_uri
    return result


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def render_sarif(report: Report, *, tool_version: str | None = None) -> str:
    """SARIF 2.1.0 for GitHub code scanning: every result has a physical location (``report.artifact``,
    relative to the repository root) and the resource URN as a logical location. The driver's version is
    the installed distribution's unless ``tool_version`` is given."""
    if tool_version is None:
        from strongroom import package_version

        tool_version = package_version()
    controls = report.all_controls()
    index = {control: i for i, control in enumerate(controls)}
    results = []
    for v in sorted_violations(report.violations):
        results.append(
            {
                "ruleId": v.control,
                "ruleIndex": index[v.control],
                "level": "error" if v.mandatory else "warning",
                "message": {"text": f"{v.control} {v.resource_type}::{v.resource_name}: {v.message}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": report.artifact, "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": 1},
                        },
                        "logicalLocations": [
                            {
                                "name": v.resource_name,
                                "fullyQualifiedName": v.resource_urn,
                                "kind": "resource",
                            }
                        ],
                    }
                ],
                "partialFingerprints": {
                    "strongroomViolation/v1": _fingerprint(v.control, v.resource_urn, v.message)
                },
                "properties": {
                    "enforcement": v.enforcement,
                    "source": v.source,
                    "resourceType": v.resource_type,
                },
            }
        )
    document = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": tool_version,
                        "semanticVersion": tool_version,
                        "rules": [_sarif_rule(report.rule(control)) for control in controls],
                    }
                },
                "automationDetails": {"id": f"strongroom/check/{report.stack}/"},
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
                "results": results,
                "properties": {
                    "stack": report.stack,
                    "resources": report.resources,
                    "controls": report.controls,
                    "notes": list(report.notes),
                },
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def render_junit(report: Report) -> str:
    """JUnit XML: one test case per control (named by its ID and title), one failure per violation.

    CI systems show a control as failed when any resource violates it; advisory violations are failures
    too (typed ``advisory``) so they stay visible, the process exit code is what gates a pipeline.
    """
    from junitparser import Failure, JUnitXml, TestCase, TestSuite  # only this format needs it

    suite = TestSuite(f"strongroom check {report.stack}")
    by_control: dict[str, list[Violation]] = {}
    for v in sorted_violations(report.violations):
        by_control.setdefault(v.control, []).append(v)
    for control in report.all_controls():
        rule = report.rule(control)
        case = TestCase(f"{control}: {rule.title}", classname=f"strongroom.{report.stack}.{rule.severity}")
        case.result = [
            Failure(f"{v.resource_type}::{v.resource_name}: {v.message}", type_=v.enforcement)
            for v in by_control.get(control, [])
        ]
        for failure, v in zip(case.result, by_control.get(control, []), strict=True):
            failure.text = f"{v.resource_urn}\n{v.message}"
        suite.add_testcase(case)
    xml = JUnitXml(f"strongroom {report.stack}")
    xml.add_testsuite(suite)
    xml.update_statistics()
    return xml.tostring().decode() + "\n"


RENDERERS = {"text": render_text, "json": render_json, "sarif": render_sarif, "junit": render_junit}


def render(report: Report, fmt: str) -> str:
    """Render ``report`` in ``fmt`` (one of ``text``, ``json``, ``sarif``, ``junit``)."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; accepted: {', '.join(RENDERERS)}") from None
    return renderer(report)


def merge(reports: Sequence[Report]) -> Report:
    """One report from several checks of the same stack (for example the pack and checkov): violations
    concatenated, a control passes only if it passed everywhere, notes and sources combined. A later
    report's violation of the same control on the same resource as an earlier one is the same finding:
    it is merged into the first (its message appended), not counted twice."""
    if not reports:
        raise ValueError("merge needs at least one report")
    first = reports[0]
    violations: list[Violation] = []
    index: dict[tuple[str, str], int] = {}
    for r in reports:
        seen_here: set[tuple[str, str]] = set()
        for v in r.violations:
            key = (v.control, v.resource_urn)
            if key in index and key not in seen_here:
                earlier = violations[index[key]]
                if earlier.source != v.source:
                    violations[index[key]] = replace(
                        earlier, message=f"{earlier.message} (also {v.source}: {v.message})"
                    )
                    continue
            index.setdefault(key, len(violations))
            seen_here.add(key)
            violations.append(v)
    failed = {v.control for v in violations}
    rules: dict[str, Rule] = {}
    for r in reports:
        for control, rule in r.rules.items():
            rules.setdefault(control, rule)
    evaluated = {c for r in reports for c in (*r.passed_controls, *r.failed_controls, *r.rules)}
    return Report(
        stack=first.stack,
        resources=max(r.resources for r in reports),
        controls=len(evaluated),
        violations=violations,
        passed_controls=sorted(evaluated - failed),
        notes=[n for r in reports for n in r.notes],
        sources={k: v for r in reports for k, v in r.sources.items()},
        rules=rules,
        artifact=first.artifact,
        unevaluated=[u for r in reports for u in r.unevaluated],
    )


def severity_of(value: str | None, default: Severity = "medium") -> str:
    """Normalise a severity name from a pack (``POLICY_SEVERITY_HIGH``, ``High``...)."""
    if not value:
        return default
    name = value.lower().removeprefix("policy_severity_")
    return name if name in SEVERITIES else default
