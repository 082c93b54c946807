"""checkov over the Terraform JSON export: run it offline, read its results, suppress the justified ones,
and turn the rest into a :class:`~strongroom.report.Report` that merges with the pack's.

checkov pins boto3 and ``packaging`` versions that conflict with pulumi-aws, so it runs from its own
virtualenv (``.venv-checkov``, built by ``make checkov-venv``) as a subprocess:
``checkov -f main.tf.json --framework terraform_json -o json --skip-download --compact``, with a
minimal environment that keeps it offline and quiet: no Bridgecrew/Prisma API key or URL is passed
through, ``BC_SKIP_MAPPING`` skips the download of guidelines and severities,
``CKV_SKIP_PACKAGE_UPDATE_CHECK`` skips the PyPI version check its banner makes on import.

Results come back per Terraform address; :class:`~strongroom.terraform.TerraformExport` maps them to
Pulumi URNs. A checkov check listed in a catalog control's ``checkov_ids`` is reported as that control
(``SR-STO-002``), any other under its own ID (``CKV2_AWS_62``); both count in the report.

Suppressions live in ``policies/checkov-skips.yaml`` of the project, one entry per check and resource,
each with a written justification. An entry that names no resource of the plan, or suppresses nothing
because the check does not fail there, is an error: suppressions cannot outlive their reason silently.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from strongroom.errors import UsageError
from strongroom.report import Report, Rule, Violation
from strongroom.terraform import MAIN_FILE, TerraformExport

SOURCE = "checkov"
FRAMEWORK = "terraform_json"
DEFAULT_TIMEOUT = 600.0
SKIPS_FILE = Path("policies") / "checkov-skips.yaml"
#: checkov has no severity offline (it comes from the platform it does not call): its own checks are
#: reported at this severity, and must be fixed or suppressed with a reason (mandatory).
DEFAULT_SEVERITY = "medium"
DEFAULT_ENFORCEMENT = "mandatory"

_CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")
_MIN_JUSTIFICATION = 40
#: environment variables passed through to checkov (everything else, API keys included, is dropped)
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "TZ")
_OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
    "LOG_LEVEL": "ERROR",
    "ANSI_COLORS_DISABLED": "1",
    "CHECKOV_NO_OUTPUT": "FALSE",
    "PYTHONWARNINGS": "ignore",
}


class CheckovUnavailable(Exception):
    """checkov could not be run at all (binary missing, not executable, timed out, no JSON)."""


@dataclass(frozen=True)
class CheckResult:
    """One checkov check on one Terraform resource."""

    check_id: str
    check_name: str
    status: str  # "passed" | "failed"
    address: str  # checkov's resource: "aws_s3_bucket.dev_data", "resource.dev_data", "provider.aws"
    urn: str | None
    guideline: str = ""
    file_path: str = ""


@dataclass(frozen=True)
class Skip:
    """One suppression from the skips file: a check on one Pulumi resource, and why."""

    check: str
    type: str
    name: str
    justification: str
    stacks: tuple[str, ...] = ()
    index: int = 0

    def resource_name(self, stack: str) -> str:
        return self.name.replace("{stack}", stack)

    def applies_to(self, stack: str) -> bool:
        return not self.stacks or stack in self.stacks


@dataclass
class CheckovScan:
    """What one checkov run over one export found."""

    stack: str
    version: str = ""
    results: list[CheckResult] = field(default_factory=list)
    suppressed: list[tuple[CheckResult, Skip]] = field(default_factory=list)
    parsing_errors: list[str] = field(default_factory=list)
    unavailable: str = ""
    seconds: float = 0.0

    @property
    def ran(self) -> bool:
        return not self.unavailable

    @property
    def passed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "passed"]

    @property
    def failed(self) -> list[CheckResult]:
        """Failures that are not suppressed."""
        hidden = {id(r) for r, _ in self.suppressed}
        return [r for r in self.results if r.status == "failed" and id(r) not in hidden]

    def summary(self) -> str:
        if not self.ran:
            return f"checkov was not run: {self.unavailable}"
        return (
            f"checkov {self.version}: {len(self.passed)} passed, {len(self.failed)} failed, "
            f"{len(self.suppressed)} suppressed with a justification, "
            f"{len(self.parsing_errors)} parsing error(s)"
        )


def default_checkov_bin() -> Path:
    """``<repo>/.venv-checkov/bin/checkov``, next to the installed (editable) strongroom package."""
    return Path(__file__).resolve().parent.parent / ".venv-checkov" / "bin" / "checkov"


def checkov_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment checkov runs in: a few basics from ``base`` and the offline switches."""
    base = os.environ if base is None else base
    env = {k: base[k] for k in _PASSTHROUGH if k in base}
    env.update(_OFFLINE_ENV)
    return env


def checkov_command(checkov_bin: Path, target: Path) -> list[str]:
    """The command line for a file (``-f``) or a directory of exports (``-d``)."""
    flag = "-d" if target.is_dir() else "-f"
    return [
        str(checkov_bin),
        flag,
        str(target),
        "--framework",
        FRAMEWORK,
        "-o",
        "json",
        "--skip-download",
        "--compact",
    ]


def run_checkov(
    target: Path, *, checkov_bin: Path | None = None, timeout: float = DEFAULT_TIMEOUT
) -> list[dict[str, Any]]:
    """Run checkov over a ``main.tf.json`` or a directory of them; its JSON reports (one per framework).

    Raises :class:`CheckovUnavailable` with a plain reason when checkov cannot run or gives no JSON.
    """
    binary = checkov_bin or default_checkov_bin()
    if not binary.is_file():
        raise CheckovUnavailable(
            f"checkov not found at {binary} (create it with `make checkov-venv`, or pass --checkov-bin PATH)"
        )
    if not os.access(binary, os.X_OK):
        raise CheckovUnavailable(f"checkov at {binary} is not executable")
    try:
        proc = subprocess.run(
            checkov_command(binary, target),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=checkov_env(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CheckovUnavailable(f"checkov did not finish within {timeout:g} s on {target}") from None
    except OSError as exc:
        raise CheckovUnavailable(f"checkov at {binary} could not be started: {exc}") from None
    # checkov exits 1 when a check fails; anything else without JSON on stdout is a crash.
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise CheckovUnavailable(
            f"checkov at {binary} exited {proc.returncode} without a JSON report: {' | '.join(tail)}"
        ) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise CheckovUnavailable(f"checkov at {binary} printed JSON of an unexpected shape")
    return data


def parse_results(
    reports: Iterable[Mapping[str, Any]], export: TerraformExport | None = None
) -> tuple[list[CheckResult], list[str], str]:
    """(results, parsing errors, checkov version) from checkov's JSON reports.

    A report with no resources at all is only a summary (``{"passed": 0, ...}``): no results.
    """
    results: list[CheckResult] = []
    errors: list[str] = []
    version = ""
    for report in reports:
        summary = report.get("summary") or {}
        version = version or str(summary.get("checkov_version", ""))
        body = report.get("results") or {}
        errors += [str(e) for e in body.get("parsing_errors") or []]
        for status in ("passed", "failed"):
            for check in body.get(f"{status}_checks") or []:
                address = str(check.get("resource", ""))
                urn = export.urn_for(address) if export is not None else None
                if export is not None and urn is not None:
                    address = export.address_of(urn)
                results.append(
                    CheckResult(
                        check_id=str(check["check_id"]),
                        check_name=str(check.get("check_name") or ""),
                        status=status,
                        address=address,
                        urn=urn,
                        guideline=str(check.get("guideline") or ""),
                        file_path=str(check.get("file_path") or ""),
                    )
                )
    return results, errors, version


def load_skips(path: Path) -> list[Skip]:
    """The suppressions in ``path`` (``[]`` when the file does not exist).

    Each entry needs ``check`` (a checkov ID), ``type`` (a Pulumi type token), ``name`` (the Pulumi
    resource name, ``{stack}`` standing for the stack name; no wildcards), ``justification`` (at least
    40 characters) and optionally ``stacks`` (the stacks it applies to; all when absent).
    """
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML: {exc}") from None
    entries = data.get("skips") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise UsageError(f"{path}: expected a top-level key `skips:` holding a list of entries")
    skips: list[Skip] = []
    seen: set[tuple[str, str, str]] = set()
    for i, entry in enumerate(entries):
        where = f"{path}: skips[{i}]"
        if not isinstance(entry, dict):
            raise UsageError(f"{where}: expected a mapping with check, type, name, justification")
        unknown = set(entry) - {"check", "type", "name", "justification", "stacks"}
        if unknown:
            raise UsageError(
                f"{where}: unknown key(s) {sorted(unknown)}; "
                "accepted: check, type, name, justification, stacks"
            )
        check = str(entry.get("check", ""))
        if not _CHECK_ID.match(check):
            raise UsageError(
                f"{where}.check: {check!r} is not a checkov check ID like CKV_AWS_18 or CKV2_AWS_62"
            )
        type_ = str(entry.get("type", ""))
        if not type_.count(":") == 2:
            raise UsageError(f"{where}.type: {type_!r} is not a Pulumi type token like aws:s3/bucket:Bucket")
        name = str(entry.get("name", ""))
        if not name or any(c in name for c in "*?[]"):
            raise UsageError(
                f"{where}.name: {name!r} must name one resource (its Pulumi name, {{stack}} allowed); "
                "wildcards are not accepted"
            )
        justification = " ".join(str(entry.get("justification", "")).split())
        if len(justification) < _MIN_JUSTIFICATION:
            raise UsageError(
                f"{where}.justification: a written reason of at least {_MIN_JUSTIFICATION} characters "
                f"is required for {check} on {name}, got {justification!r}"
            )
        stacks = entry.get("stacks") or []
        if not isinstance(stacks, list) or not all(isinstance(s, str) for s in stacks):
            raise UsageError(f"{where}.stacks: expected a list of stack names, got {stacks!r}")
        key = (check, type_, name)
        if key in seen:
            raise UsageError(f"{where}: {check} on {type_} {name} is suppressed twice")
        seen.add(key)
        skips.append(Skip(check, type_, name, justification, tuple(stacks), i))
    return skips


def _type_and_name(urn: str) -> tuple[str, str]:
    """``urn:pulumi:dev::proj::parent$aws:s3/bucket:Bucket::dev-data`` -> (type, name)."""
    qualified, _, name = urn.rpartition("::")
    return qualified.rpartition("::")[2].rpartition("$")[2], name


def apply_skips(
    results: Sequence[CheckResult],
    skips: Sequence[Skip],
    *,
    stack: str,
    skips_path: Path,
    urns: Iterable[str],
) -> list[tuple[CheckResult, Skip]]:
    """The failed results each applicable skip suppresses.

    Raises :class:`UsageError` for a skip whose resource is not in the plan, or which suppresses no
    failure on this stack (the check passes there, or checkov has no such check for that resource).
    """
    present = {_type_and_name(urn) for urn in urns}
    suppressed: list[tuple[CheckResult, Skip]] = []
    problems: list[str] = []
    for skip in skips:
        if not skip.applies_to(stack):
            continue
        name = skip.resource_name(stack)
        where = f"{skips_path}: skips[{skip.index}] ({skip.check} on {skip.type} {name})"
        if (skip.type, name) not in present:
            problems.append(f"{where}: stack {stack} has no such resource")
            continue
        hits = [
            r
            for r in results
            if r.status == "failed"
            and r.check_id == skip.check
            and r.urn
            and _type_and_name(r.urn) == (skip.type, name)
        ]
        if not hits:
            problems.append(f"{where}: the check does not fail there on stack {stack}; remove the entry")
            continue
        suppressed += [(r, skip) for r in hits]
    if problems:
        raise UsageError("unused or unknown checkov suppressions:\n" + "\n".join(problems))
    return suppressed


def scan_export(
    export: TerraformExport,
    *,
    checkov_bin: Path | None = None,
    skips: Sequence[Skip] = (),
    skips_path: Path = SKIPS_FILE,
    timeout: float = DEFAULT_TIMEOUT,
) -> CheckovScan:
    """Write the export to a temporary directory, run checkov on it, apply the suppressions."""
    (scan,) = scan_exports(
        [export], checkov_bin=checkov_bin, skips=skips, skips_path=skips_path, timeout=timeout
    )
    return scan


def scan_exports(
    exports: Sequence[TerraformExport],
    *,
    checkov_bin: Path | None = None,
    skips: Sequence[Skip] = (),
    skips_path: Path = SKIPS_FILE,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[CheckovScan]:
    """One checkov run over several exports, a scan per export as :func:`scan_export` gives it.

    checkov spends about three seconds starting before it scans anything: the exports are written to
    one sub-directory each and scanned with ``-d`` in one process (one export alone with ``-f``), and its
    results are split back by the sub-directory they name. ``timeout`` is per export. A result naming a
    file that is none of the exports makes every scan unavailable rather than dropping it. The
    suppressions are applied to each export for its own stack."""
    scans = [CheckovScan(stack=export.stack) for export in exports]
    if not exports:
        return scans
    with tempfile.TemporaryDirectory(prefix="strongroom-checkov-") as tmp:
        root = Path(tmp)
        if len(exports) == 1:
            paths = [exports[0].write(root)]
            target = paths[0]
        else:
            paths = [export.write(root / str(i)) for i, export in enumerate(exports)]
            target = root
        started = time.perf_counter()
        try:
            reports = run_checkov(target, checkov_bin=checkov_bin, timeout=timeout * len(exports))
            parts = [reports] if len(exports) == 1 else _split_by_folder(reports, root, len(exports))
        except CheckovUnavailable as exc:
            for scan in scans:
                scan.unavailable = str(exc)
            return scans
        seconds = time.perf_counter() - started
    for scan, export, path, part in zip(scans, exports, paths, parts, strict=True):
        scan.seconds = seconds
        scan.results, scan.parsing_errors, scan.version = parse_results(part, export)
        scan.parsing_errors = [e.replace(str(path), MAIN_FILE) for e in scan.parsing_errors]
    suppress(scans, exports, skips, skips_path=skips_path)
    return scans


def suppress(
    scans: Sequence[CheckovScan],
    exports: Sequence[TerraformExport],
    skips: Sequence[Skip],
    *,
    skips_path: Path,
) -> None:
    """Apply the suppressions to each scan of ``exports`` for its own stack (a scan checkov did not run is
    left as it is). Raises :class:`UsageError` for the first export with an unused or unknown skip."""
    for scan, export in zip(scans, exports, strict=True):
        if scan.ran:
            scan.suppressed = apply_skips(
                scan.results, skips, stack=export.stack, skips_path=skips_path, urns=export.addresses.values()
            )


def _split_by_folder(
    reports: Sequence[Mapping[str, Any]], root: Path, count: int
) -> list[list[dict[str, Any]]]:
    """checkov's reports over ``root/0`` ... ``root/<count-1>``, as ``count`` lists of reports of one
    folder each (the summary, which carries checkov's version, is kept in each)."""
    parts: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    for report in reports:
        bodies: list[dict[str, list[Any]]] = [
            {"passed_checks": [], "failed_checks": [], "parsing_errors": []} for _ in range(count)
        ]
        results = report.get("results") or {}
        for status in ("passed_checks", "failed_checks"):
            for check in results.get(status) or []:
                bodies[_folder_index(str(check.get("file_path", "")), root, count)][status].append(check)
        for error in results.get("parsing_errors") or []:
            bodies[_folder_index(str(error), root, count)]["parsing_errors"].append(error)
        for part, body in zip(parts, bodies, strict=True):
            part.append({"summary": report.get("summary") or {}, "results": body})
    return parts


def _folder_index(file_path: str, root: Path, count: int) -> int:
    relative = file_path.removeprefix(str(root)).strip("/")
    folder = relative.split("/", 1)[0]
    if not folder.isdigit() or int(folder) >= count:
        raise CheckovUnavailable(f"checkov reported a file that is none of the {count} exports: {file_path}")
    return int(folder)


ControlMap = Mapping[tuple[str, str], Rule]
"""(checkov check ID, canonical Pulumi type) -> the catalog control that check stands for on that type."""


def _control_map() -> dict[tuple[str, str], Rule]:
    """The catalog's checkov mapping, keyed by (check, resource type): a check is the control that lists
    it in ``checkov_ids`` only on that control's own resource types (CKV_AWS_187 is SR-ENC-007 on a Studio
    domain and SR-ENC-008 on a notebook instance)."""
    try:
        from strongroom.policies import catalog
    except ImportError:
        return {}
    mapping: dict[tuple[str, str], Rule] = {}
    for control in catalog.CATALOG:
        rule = Rule(
            id=control.id,
            title=control.title,
            severity=control.severity,
            enforcement=control.enforcement,
            description=control.rationale,
            remediation=control.remediation,
            tags=tuple(sorted(control.frameworks)),
            frameworks=dict(control.frameworks),
        )
        for ckv in control.checkov_ids:
            for type_ in control.resource_types:
                mapping.setdefault((ckv, type_), rule)
    return mapping


def _pulumi_type_and_name(result: CheckResult, by_urn: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    if result.urn and result.urn in by_urn:
        return by_urn[result.urn]
    return ("", result.address)


def _mapped(result: CheckResult, by_urn: Mapping[str, tuple[str, str]], controls: ControlMap) -> Rule | None:
    """The catalog control of ``result``'s check on its resource's type, if the catalog maps it."""
    from strongroom.policies.tokens import canonical

    type_, _ = _pulumi_type_and_name(result, by_urn)
    return controls.get((result.check_id, canonical(type_)))


def build_report(
    scan: CheckovScan,
    *,
    resources: int,
    export: TerraformExport | None = None,
    controls: ControlMap | None = None,
    artifact: str = "Pulumi.yaml",
) -> Report:
    """The checkov part of a stack's report: mapped checks as their control, the others by CKV ID. A scan
    that did not run makes the report unevaluated (exit 3): checkov was asked for and said nothing."""
    controls = _control_map() if controls is None else controls
    notes: list[str] = []
    if not scan.ran:
        reason = f"checkov was requested and did not run: {scan.unavailable}"
        return Report(
            stack=scan.stack,
            resources=resources,
            controls=0,
            violations=[],
            notes=[reason],
            sources={SOURCE: "not run"},
            artifact=artifact,
            unevaluated=[reason],
        )
    by_urn = {urn: _type_and_name(urn) for urn in (export.addresses.values() if export else [])}
    rules: dict[str, Rule] = {}
    evaluated: set[str] = set()
    violations: list[Violation] = []

    def rule_of(result: CheckResult) -> Rule:
        rule = _mapped(result, by_urn, controls) or Rule(
            id=result.check_id,
            title=result.check_name,
            severity=DEFAULT_SEVERITY,
            enforcement=DEFAULT_ENFORCEMENT,
            description=f"checkov {result.check_id}: {result.check_name}",
            help_uri=result.guideline,
            tags=("checkov",),
        )
        return rules.setdefault(rule.id, rule)

    for result in scan.results:
        evaluated.add(rule_of(result).id)
    for result in scan.failed:
        rule = rule_of(result)
        type_, name = _pulumi_type_and_name(result, by_urn)
        violations.append(
            Violation(
                control=rule.id,
                title=rule.title,
                severity=rule.severity,
                enforcement=rule.enforcement,
                resource_urn=result.urn or result.address,
                resource_type=type_,
                resource_name=name,
                message=f"{result.check_id}: {result.check_name} ({result.address} in main.tf.json)",
                source=SOURCE,
            )
        )
    failed = {v.control for v in violations}
    # a suppressed failure is accepted, not passed
    failed |= {rule_of(r).id for r, _ in scan.suppressed}
    notes.append(scan.summary())
    if export is not None:
        notes += export.warnings()
    notes += [f"checkov could not parse {e}" for e in scan.parsing_errors]
    return Report(
        stack=scan.stack,
        resources=resources,
        controls=len(evaluated),
        violations=violations,
        passed_controls=sorted(evaluated - failed),
        notes=notes,
        sources={SOURCE: f"checkov {scan.version} ({FRAMEWORK})"},
        rules=rules,
        artifact=artifact,
    )


def check_plan(
    plan: Any,
    *,
    project_dir: Path,
    checkov_bin: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    artifact: str = "Pulumi.yaml",
) -> Report:
    """``strongroom check --checkov`` for one plan: export, scan, suppress, report."""
    (report,) = check_plans(
        [plan], project_dir=project_dir, checkov_bin=checkov_bin, timeout=timeout, artifact=artifact
    )
    return report


def check_plans(
    plans: Sequence[Any],
    *,
    project_dir: Path,
    checkov_bin: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    artifact: str = "Pulumi.yaml",
) -> list[Report]:
    """:func:`check_plan` for several plans of one project (stacks), with one checkov process
    (:func:`scan_exports`): a report per plan, in order."""
    from strongroom.terraform import export_plan

    return check_exports(
        [(export_plan(plan), _resource_count(plan), artifact) for plan in plans],
        project_dir=project_dir,
        checkov_bin=checkov_bin,
        timeout=timeout,
    )


def check_exports(
    exports: Sequence[tuple[TerraformExport, int, str]],
    *,
    project_dir: Path,
    checkov_bin: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Report]:
    """The checkov report of each (export, its plan's resource count, the report's artifact), the
    project's suppressions applied to each for its stack, from one checkov process."""
    skips_path = project_dir / SKIPS_FILE
    skips = load_skips(skips_path) if exports else ()  # a bad skips file stops before checkov starts
    scans = scan_exports([export for export, _, _ in exports], checkov_bin=checkov_bin, timeout=timeout)
    return suppressed_reports(scans, exports, skips=skips, skips_path=skips_path)


def suppressed_reports(
    scans: Sequence[CheckovScan],
    exports: Sequence[tuple[TerraformExport, int, str]],
    *,
    skips: Sequence[Skip],
    skips_path: Path,
) -> list[Report]:
    """The report of each scan made without suppressions (:func:`scan_exports`, no skips) of (export, its
    plan's resource count, the report's artifact), the suppressions applied for each export's stack."""
    suppress(scans, [export for export, _, _ in exports], skips, skips_path=skips_path)
    return [
        build_report(scan, resources=resources, export=export, artifact=artifact)
        for (export, resources, artifact), scan in zip(exports, scans, strict=True)
    ]


def _resource_count(plan: Any) -> int:
    return len(plan.resources) if hasattr(plan, "resources") else len(plan.get("resources", []))
