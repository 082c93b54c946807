"""``strongroom check --all-stacks``: every stack of a project, one start-up, stacks in parallel, one report.

The parent process does the heavy imports once (the engine, the pack, the report renderers, and the
modules the program imports from outside its own directory, ``pulumi_aws`` submodules first among them,
found by reading the program's sources), then forks one child per stack, at most ``os.cpu_count()`` at a
time. A child plans and checks its one stack (the offline engine holds the Pulumi runtime's global state,
so one stack per process) and sends its Report back through a pipe. With ``--checkov`` a child also
sends its plan's Terraform export, and the parent scans every stack's export in one checkov process
(checkov spends about three seconds starting) before merging each stack's results into its report. The
parent renders one combined report with a section per stack:

* text: the stack's report under a heading naming the stack and its config file, then an overall line;
* json: ``{"stacks": [<the per-stack report objects>], "exit_code": N}``;
* sarif: one run per stack (each with its own ``automationDetails.id`` and its results pointing at the
  stack's config file);
* junit: one test suite per stack.

The exit code is 1 if any stack has a mandatory violation, else 3 if any stack was not evaluated (a
failed program included), else 0.
"""

from __future__ import annotations

import ast
import asyncio
import gc
import importlib
import importlib.util
import json
import multiprocessing
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strongroom.engine.project import Project, load_project
from strongroom.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNEVALUATED, StrongroomError, UsageError
from strongroom.plancache import EXCLUDED_DIRS, PlanCache, SourceDigest
from strongroom.process import GRPC_FORK_SUPPORT, declare_one_shot, fork_is_safe
from strongroom.report import Report, render_json, render_junit, render_sarif, render_text

if TYPE_CHECKING:
    from strongroom.terraform import TerraformExport


@dataclass
class StackResult:
    """One stack's report, and what its check printed on stderr (program failures, cache warnings)."""

    stack: str
    report: Report
    messages: list[str] = field(default_factory=list)
    #: the plan's Terraform export and resource count, for the parent's one checkov run (``--checkov``)
    checkov_input: tuple[TerraformExport, int] | None = None


@dataclass(frozen=True)
class StackJob:
    """Everything a child needs to check one stack (inherited through fork, never pickled)."""

    project_dir: Path
    pack_dir: Path | None
    account: str
    policy_config: Mapping[str, Mapping[str, Any]] | None
    with_checkov: bool
    checkov_bin: Path | None
    strict: bool
    cache: PlanCache | None
    sources: SourceDigest | None
    via_analyzer: bool = False
    #: export the plan for a checkov run over every stack by the caller (``finish_with_checkov``) instead
    #: of scanning it here; ``--strict`` is then the caller's to apply too
    checkov_later: bool = False


def project_stacks(project_dir: Path) -> tuple[Project, list[str]]:
    """The project and its stacks (the ``Pulumi.<stack>.yaml`` files of its stackConfigDir); UsageError
    naming the directory and how to create a stack when there is none."""
    project = load_project(Path(project_dir))
    stacks = project.stacks()
    if not stacks:
        raise UsageError(
            f"--all-stacks: project {project.name} has no stack config file (Pulumi.<stack>.yaml) in "
            f"{project.stack_config_dir}. Create one with `pulumi stack init dev` and `pulumi config set "
            f"aws:region eu-west-2` in {project.directory}, or write {project.stack_file('dev')} with a "
            "`config:` map, e.g. `config: {aws:region: eu-west-2}`."
        )
    return project, stacks


def check_stack(stack: str, job: StackJob) -> StackResult:
    """Plan and check one stack as ``strongroom check --stack`` does: the pack (the plan from the cache
    when allowed), ``--checkov`` merged, ``--strict`` applied; a failed program is a not-evaluated report."""
    from strongroom.check import apply_strict, failed_program_report, repo_relative
    from strongroom.errors import ProgramFailed
    from strongroom.plancache import plan_and_check_cached

    messages: list[str] = []
    try:
        report, plan = plan_and_check_cached(
            job.project_dir,
            stack,
            pack_dir=job.pack_dir,
            account=job.account,
            policy_config=job.policy_config,
            cache=job.cache,
            sources=job.sources,
            via_analyzer=job.via_analyzer,
        )
    except ProgramFailed as failed:
        messages.append(f"stack {stack}: {' '.join(str(failed).split())}")
        project = load_project(Path(job.project_dir))
        report = failed_program_report(stack, failed, artifact=repo_relative(project.stack_file(stack)))
        plan = None
    finally:
        if job.cache is not None:
            messages.extend(f"warning: {w}" for w in job.cache.warnings)
            job.cache.warnings.clear()
    if job.checkov_later:
        from strongroom.terraform import export_plan

        scan_input = (export_plan(plan), len(plan.resources)) if plan is not None else None
        return StackResult(stack=stack, report=report, messages=messages, checkov_input=scan_input)
    if plan is not None and (job.with_checkov or job.checkov_bin is not None):
        from strongroom.checkov import check_plan as checkov_check_plan
        from strongroom.report import merge

        scanned = checkov_check_plan(
            plan, project_dir=job.project_dir, checkov_bin=job.checkov_bin, artifact=report.artifact
        )
        report = merge([report, scanned])
    if job.strict:
        apply_strict(report)
    return StackResult(stack=stack, report=report, messages=messages)


def finish_with_checkov(results: Sequence[StackResult], job: StackJob) -> None:
    """The stacks' exports (``checkov_later``) scanned in one checkov process, each stack's checkov report
    merged into its own, then ``--strict`` applied to every stack; in place."""
    from strongroom.check import apply_strict
    from strongroom.checkov import check_exports
    from strongroom.report import merge

    scanned = [(r, r.checkov_input) for r in results if r.checkov_input is not None]
    reports = check_exports(
        [(export, resources, r.report.artifact) for r, (export, resources) in scanned],
        project_dir=job.project_dir,
        checkov_bin=job.checkov_bin,
    )
    for (result, _), checkov_report in zip(scanned, reports, strict=True):
        result.report = merge([result.report, checkov_report])
        result.checkov_input = None
    if job.strict:
        for result in results:
            apply_strict(result.report)


# -- the shared start-up -------------------------------------------------------------------------------


def warm_up(project: Project, *, with_checkov: bool = False) -> list[str]:
    """Import, once and before any fork, what every child needs: the engine, the pack, the renderers, and
    the modules the program imports from outside its directory (``pulumi_aws.s3``, ...; a pulumi_aws
    service package that :mod:`strongroom.engine.lazyaws` loads name by name is loaded whole). Returns the
    program's external modules that were imported; one that fails to import is left to the child (where
    the program's own run reports it)."""
    import strongroom.check  # noqa: F401  (the engine, grpc, pulumi)

    for name in ("strongroom.policies.pack", "strongroom.policies.catalog", "junitparser"):
        _try_import(name)
    if with_checkov:
        _try_import("strongroom.checkov")
    from strongroom.engine import lazyaws

    imported = []
    for name in external_imports(project):
        if _try_import(name):
            imported.append(name)
            module = sys.modules.get(name)
            if module is not None:
                lazyaws.load_all(module)  # a lazy pulumi_aws package: every name now, not in each child
    return imported


def _try_import(name: str) -> bool:
    """Import ``name`` when it is a module (``from x import y`` names an attribute as often as a module);
    False when it is not, or fails to import."""
    try:
        if "." in name and importlib.util.find_spec(name) is None:
            return False
        importlib.import_module(name)
    except Exception:
        return False
    return True


def external_imports(project: Project) -> list[str]:
    """The modules outside the program's directory that its own modules import, found by reading them
    from the entry point on (``import x.y``, ``from x import y`` and ``alias.sub`` attribute uses of an
    imported package such as ``aws.s3`` for ``import pulumi_aws as aws``), in a stable order."""
    program_dir = project.program_dir
    pending = [project.entry]
    seen_files: set[Path] = set()
    external: dict[str, None] = {}
    while pending:
        path = pending.pop()
        if path in seen_files:
            continue
        seen_files.add(path)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            continue
        package = _package_of(path, program_dir)
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            for module, alias in _imported_modules(node, package):
                local = _local_module(module, program_dir)
                if local is not None:
                    pending.extend(local)
                    continue
                external[module] = None
                if alias:
                    aliases[alias] = module
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                external[f"{aliases[node.value.id]}.{node.attr}"] = None
    return [name for name in external if name.split(".")[0] not in ("__future__", "strongroom")]


def _package_of(path: Path, program_dir: Path) -> str:
    try:
        parts = path.relative_to(program_dir).with_suffix("").parts
    except ValueError:
        return ""
    return ".".join(parts[:-1])


def _imported_modules(node: ast.AST, package: str) -> Iterator[tuple[str, str | None]]:
    """(module, local alias bound to it) for an import statement; submodules of ``from x import y``."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, alias.asname or (alias.name if "." not in alias.name else None)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base_parts = package.split(".") if package else []
            base_parts = base_parts[: len(base_parts) - (node.level - 1)] if node.level > 1 else base_parts
            base = ".".join([*base_parts, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        if not base:
            return
        yield base, None
        for alias in node.names:
            if alias.name != "*":
                yield f"{base}.{alias.name}", alias.asname or alias.name


def _local_module(module: str, program_dir: Path) -> list[Path] | None:
    """The program's own files for ``module`` (a module file, or a package's ``__init__.py``), or None
    when ``module`` is not in the program's directory."""
    top = module.split(".")[0]
    if not ((program_dir / f"{top}.py").is_file() or (program_dir / top).is_dir()):
        return None
    base = program_dir.joinpath(*module.split("."))
    return [p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()]


# -- running the stacks --------------------------------------------------------------------------------


def _child(stack: str, job: StackJob, connection: Connection) -> None:
    """A forked child: check one stack and send ``("ok", StackResult)`` or ``("error", exception)``.

    When this process planned before (a library caller, a test session), the inherited asyncio event loop
    is unusable here: its default executor's threads did not survive the fork (work submitted to it never
    runs) and its selector is the parent's. The child gets a loop of its own; the old one is left alone
    (closing it would wait for those threads).

    The child is a one-shot process (it ends with ``os._exit`` once it has sent its result), and what it
    inherited stays frozen out of the cyclic collector's reach (:func:`_freeze_inherited`)."""
    declare_one_shot()
    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        outcome: tuple[str, Any] = ("ok", check_stack(stack, job))
    except StrongroomError as exc:
        outcome = ("error", exc)
    except BaseException as exc:
        outcome = ("crash", "".join(traceback.format_exception(exc)))
    try:
        connection.send(outcome)
    finally:
        connection.close()


def _unwrap(stack: str, outcome: tuple[str, Any]) -> StackResult:
    """The child's result; its StrongroomError raised naming the stack; a crash (an unexpected exception,
    a child that died) is that stack's not-evaluated report, with the details on stderr."""
    kind, value = outcome
    if kind == "ok":
        assert isinstance(value, StackResult)
        return value
    if kind == "error":
        error = type(value)(f"stack {stack}: {value}")
        raise error from None
    detail = str(value).strip()
    last = detail.splitlines()[-1] if detail else "no detail"
    report = Report(
        stack=stack,
        resources=0,
        controls=0,
        violations=[],
        unevaluated=[f"the check of stack {stack} crashed, so no control was evaluated: {last}"],
    )
    return StackResult(stack=stack, report=report, messages=[f"stack {stack}: the check crashed: {detail}"])


def run_stacks(stacks: Sequence[str], job: StackJob, *, jobs: int | None = None) -> list[StackResult]:
    """Check every stack, in parallel up to ``jobs`` (default ``os.cpu_count()``) forked children, one
    stack each; results in the order of ``stacks``. With one worker (or one stack) the stacks run one
    after the other in this process. A usage error in any stack is raised naming the stack."""
    workers = max(1, min(len(stacks), jobs or os.cpu_count() or 1))
    if workers > 1 and not fork_is_safe():
        warnings.warn(
            f"grpc was loaded before strongroom with {GRPC_FORK_SUPPORT} unset, so a forked child could "
            "crash: the stacks are checked one after another in this process (import strongroom first, "
            f"or set {GRPC_FORK_SUPPORT}=false before grpc loads)",
            RuntimeWarning,
            stacklevel=2,
        )
        workers = 1
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_unwrap(stack, _in_process(stack, job)) for stack in stacks]
    context = multiprocessing.get_context("fork")
    results: dict[str, tuple[str, Any]] = {}
    queue = list(stacks)
    running: dict[Connection, tuple[str, Any]] = {}
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        while queue or running:
            while queue and len(running) < workers:
                stack = queue.pop(0)
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(stack, job, writer), daemon=True)
                _start(process)
                writer.close()
                running[reader] = (stack, process)
            for ready in wait(list(running)):
                assert isinstance(ready, Connection)
                stack, process = running.pop(ready)
                try:
                    results[stack] = ready.recv()
                except EOFError:
                    process.join()
                    results[stack] = ("crash", f"the child process ended with exit code {process.exitcode}")
                ready.close()
                process.join()
    finally:
        for _reader, (_stack, process) in running.items():
            process.kill()
            process.join()
    return [_unwrap(stack, results[stack]) for stack in stacks]


#: True in this process while :func:`_start` forks a stack's child (and so in that child from its first
#: instruction): :func:`_freeze_inherited` acts on those forks only, never on a caller's own.
_forking_a_stack = False


def _freeze_inherited() -> None:
    """In a stack's child, straight after the fork and before any Python code of its own: freeze
    (``gc.freeze``) everything it inherited, so its cyclic collector never walks, nor finalizes, an
    object of the parent's.

    A finalizer run in the child acts on state that did not survive the fork (a lock held by a thread
    the fork left behind, a gRPC channel of the parent's). Frozen, the inherited objects are also never
    written to by the child's collections, so their pages stay shared. The parent's own collector is
    left as it was: nothing is frozen or unfrozen there."""
    if _forking_a_stack:
        gc.freeze()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_freeze_inherited)


def _start(process: multiprocessing.process.BaseProcess) -> None:
    """Fork ``process``, a stack's child, which freezes what it inherits (:func:`_freeze_inherited`)."""
    global _forking_a_stack
    _forking_a_stack = True
    try:
        process.start()
    finally:
        _forking_a_stack = False


def _in_process(stack: str, job: StackJob) -> tuple[str, Any]:
    try:
        return ("ok", check_stack(stack, job))
    except StrongroomError as exc:
        return ("error", exc)


# -- the combined report -------------------------------------------------------------------------------


def combined_exit_code(reports: Sequence[Report]) -> int:
    """1 if any stack has a mandatory violation, else 3 if any was not evaluated, else 0."""
    codes = {r.exit_code for r in reports}
    if EXIT_FINDINGS in codes:
        return EXIT_FINDINGS
    return EXIT_UNEVALUATED if EXIT_UNEVALUATED in codes else EXIT_OK


_VERDICTS = {EXIT_OK: "PASSED", EXIT_FINDINGS: "FAILED", EXIT_UNEVALUATED: "NOT EVALUATED"}


def overall_line(project: str, reports: Sequence[Report]) -> str:
    """The last line of the text report: the verdict over every stack, and each stack's."""
    code = combined_exit_code(reports)
    violations = sum(len(r.violations) for r in reports)
    mandatory = sum(len(r.mandatory_violations) for r in reports)
    stacks = ", ".join(f"{r.stack} {_VERDICTS.get(r.exit_code, 'FAILED')}" for r in reports)
    return (
        f"{_VERDICTS.get(code, 'FAILED')}: {len(reports)} stack(s) of project {project}: {violations} "
        f"violation(s) ({mandatory} mandatory) in all; {stacks}"
    )


def render_all_text(project: str, reports: Sequence[Report], *, width: int = 160) -> str:
    sections = []
    for report in reports:
        heading = f"== stack {report.stack} ({report.artifact}) "
        sections.append(heading + "=" * max(3, min(width, 100) - len(heading)) + "\n")
        sections.append(render_text(report, width=width) + "\n")
    return "".join(sections) + overall_line(project, reports) + "\n"


def render_all_json(reports: Sequence[Report]) -> str:
    document = {
        "stacks": [json.loads(render_json(r)) for r in reports],
        "exit_code": combined_exit_code(reports),
    }
    return json.dumps(document, indent=2) + "\n"


def render_all_sarif(reports: Sequence[Report]) -> str:
    """One SARIF log with one run per stack (each run as ``--stack`` would write it)."""
    documents = [json.loads(render_sarif(r)) for r in reports]
    combined = documents[0]
    combined["runs"] = [run for d in documents for run in d["runs"]]
    return json.dumps(combined, indent=2) + "\n"


def render_all_junit(project: str, reports: Sequence[Report]) -> str:
    """One JUnit document with one test suite per stack."""
    from junitparser import JUnitXml

    xml = JUnitXml(f"strongroom {project} all stacks")
    for report in reports:
        for suite in JUnitXml.fromstring(render_junit(report)):
            xml.add_testsuite(suite)
    xml.update_statistics()
    return str(xml.tostring().decode()) + "\n"


def render_all(project: str, reports: Sequence[Report], fmt: str, *, width: int = 160) -> str:
    renderers: dict[str, Callable[[], str]] = {
        "text": lambda: render_all_text(project, reports, width=width),
        "json": lambda: render_all_json(reports),
        "sarif": lambda: render_all_sarif(reports),
        "junit": lambda: render_all_junit(project, reports),
    }
    return renderers[fmt]()


def check_all_stacks(
    project_dir: Path,
    *,
    pack_dir: Path | None = None,
    account: str,
    policy_config: Mapping[str, Mapping[str, Any]] | None = None,
    with_checkov: bool = False,
    checkov_bin: Path | None = None,
    strict: bool = False,
    use_cache: bool = True,
    jobs: int | None = None,
    via_analyzer: bool = False,
) -> tuple[Project, list[StackResult]]:
    """Every stack of the project, checked after one shared start-up; the project and one result per
    stack, in stack order."""
    from strongroom.check import validate_pack_dir

    project, stacks = project_stacks(project_dir)
    resolved_pack = validate_pack_dir(pack_dir) if pack_dir is not None else None
    warm_up(project, with_checkov=with_checkov or checkov_bin is not None)
    job = StackJob(
        project_dir=project.directory,
        pack_dir=resolved_pack,
        account=account,
        policy_config=policy_config,
        with_checkov=with_checkov,
        checkov_bin=checkov_bin,
        strict=strict,
        cache=PlanCache() if use_cache else None,
        sources=SourceDigest.of(project) if use_cache else None,
        via_analyzer=via_analyzer,
        checkov_later=with_checkov or checkov_bin is not None,
    )
    results = run_stacks(stacks, job, jobs=jobs)
    if job.checkov_later:
        finish_with_checkov(results, job)
    return project, results


__all__ = [
    "EXCLUDED_DIRS",
    "StackJob",
    "StackResult",
    "check_all_stacks",
    "check_stack",
    "combined_exit_code",
    "external_imports",
    "finish_with_checkov",
    "project_stacks",
    "render_all",
    "run_stacks",
    "warm_up",
]
