"""The ``strongroom`` command line: a thin dispatcher over the library.

Each command is a small function here that calls into the library and renders the result. Errors the
user can act on are :class:`strongroom.errors.StrongroomError`: the group below prints them as one
paragraph on stderr, without a traceback, and exits with their code (2 usage, 1 program failure).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from strongroom.errors import StrongroomError, UsageError
from strongroom.options import ProjectDirOption, StackOption
from strongroom.process import collector_paused

if TYPE_CHECKING:  # rich is imported where a command prints with it: a JSON, SARIF or JUnit check never does
    from rich.console import Console
    from rich.tree import Tree


def report_error(exc: StrongroomError) -> None:
    """Print ``exc`` as one paragraph on stderr, prefixed with the program name."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    typer.echo(f"strongroom: error: {message}", err=True)


class _Group(typer.core.TyperGroup):
    """Maps StrongroomError from any command to its exit code and a clean message."""

    def invoke(self, ctx: Any) -> Any:  # typer.core.TyperGroup takes its vendored click.Context
        try:
            return super().invoke(ctx)
        except StrongroomError as exc:
            report_error(exc)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="strongroom",
    help="Secure ML environment on AWS: offline plan and compliance checks for Pulumi programs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from strongroom import package_version

        typer.echo(f"strongroom {package_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print the installed version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Strongroom: run Pulumi Python programs offline, check them against the control catalog."""


AccountOption = Annotated[
    str, typer.Option("--account", help="AWS account id (12 digits) used in mock ARNs and caller identity.")
]
JsonOption = Annotated[
    Path | None,
    typer.Option("--json", help="Write the plan as JSON to FILE ('-' for stdout, which replaces the tree)."),
]


@app.command()
def plan(
    stack: StackOption = "dev",
    project_dir: ProjectDirOption = Path("."),
    json_file: JsonOption = None,
    account: AccountOption = "123456789012",
) -> None:
    """Run the project's Pulumi program offline (no Pulumi CLI, no AWS) and list what it would create."""
    with collector_paused():  # imports: long-lived objects only (strongroom.process)
        from strongroom.engine import run_plan, validate_account, validate_stack_name

    validate_stack_name(stack)
    validate_account(account)
    if json_file is not None and str(json_file) != "-" and not json_file.parent.is_dir():
        raise UsageError(f"--json {json_file}: directory {json_file.parent} does not exist.")
    result = run_plan(project_dir, stack, account=account)
    from rich.console import Console

    err = Console(stderr=True, soft_wrap=True)
    for warning in result.warnings:
        err.print(f"warning: {warning}", style="yellow", markup=False, highlight=False)
    if json_file is not None and str(json_file) == "-":
        sys.stdout.write(result.to_json() + "\n")
        return
    render_plan(result, _stdout_console())
    if json_file is not None:
        result.write_json(json_file)
        err.print(f"Plan written to {json_file}", markup=False, highlight=False)


def render_plan(result: Any, console: Console) -> None:
    """The plan as a tree grouped by component (type and name per resource), then the counts."""
    from rich.tree import Tree

    from strongroom.engine import STACK_TYPE

    resources = result.resources
    by_parent: dict[str | None, list[Any]] = {}
    urns = {r.urn for r in resources}
    for resource in resources:
        by_parent.setdefault(resource.parent if resource.parent in urns else None, []).append(resource)

    def label(resource: Any) -> str:
        if resource.is_component:
            return f"[bold]{resource.type}[/bold]  {_escape(resource.name)}"
        if resource.type.startswith("pulumi:providers:"):
            return f"[magenta]{resource.type}[/magenta]  {_escape(resource.name)}"
        return f"[cyan]{resource.type}[/cyan]  {_escape(resource.name)}"

    def grow(node: Tree, parent_urn: str) -> None:
        for child in by_parent.get(parent_urn, []):
            grow(node.add(label(child)), child.urn)

    roots = by_parent.get(None, [])
    for root in roots:
        title = (
            f"[bold]{_escape(result.project)}[/bold] stack [bold]{_escape(result.stack)}[/bold]"
            if root.type == STACK_TYPE
            else label(root)
        )
        tree = Tree(title)
        grow(tree, root.urn)
        console.print(tree)
    custom = len(result.custom_resources)
    components = sum(1 for r in resources if r.is_component)
    providers = sum(1 for r in resources if r.type.startswith("pulumi:providers:"))
    types = len({r.type for r in result.custom_resources})
    console.print(
        f"{len(resources)} resources in stack {result.stack} of project {result.project}: {custom} cloud "
        f"resources of {types} types, {components} components, {providers} providers, 1 stack.",
        markup=False,
        highlight=False,
    )


def _stdout_console() -> Console:
    """A console that never crops long type tokens: ``COLUMNS`` wide when it is set (tables fit it), else
    full width on a terminal, unlimited when piped."""
    from rich.console import Console

    columns = _columns()
    if columns is not None:
        return Console(soft_wrap=True, width=columns)
    console = Console(soft_wrap=True)
    return console if console.is_terminal else Console(soft_wrap=True, width=400)


def _columns() -> int | None:
    """The ``COLUMNS`` environment variable, when it is a positive number."""
    value = os.environ.get("COLUMNS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _report_width(to_terminal: bool) -> int:
    """The text report's width: ``COLUMNS`` when set, else the terminal's, else 160 (piped or a file)."""
    columns = _columns()
    if columns is not None:
        return columns
    if to_terminal:
        return shutil.get_terminal_size((160, 24)).columns
    return 160


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@app.command("export-terraform")
def export_terraform(
    out: Annotated[Path, typer.Option("--out", help="Directory to write main.tf.json into (created).")],
    stack: StackOption = "dev",
    project_dir: ProjectDirOption = Path("."),
    account: AccountOption = "123456789012",
) -> None:
    """Write the offline plan as Terraform JSON (main.tf.json) for Terraform scanners such as checkov."""
    with collector_paused():  # imports: long-lived objects only (strongroom.process)
        from strongroom.engine import validate_account, validate_stack_name
        from strongroom.terraform import export_stack

    validate_stack_name(stack)
    validate_account(account)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory; give a directory for main.tf.json.")
    export = export_stack(project_dir, stack, account=account)
    from rich.console import Console

    err = Console(stderr=True, soft_wrap=True)
    for warning in export.warnings():
        err.print(f"warning: {warning}", style="yellow", markup=False, highlight=False)
    path = export.write(out)
    typer.echo(f"{export.resource_count} resources of stack {stack} written to {path}")


@app.command()
def check(
    ctx: typer.Context,
    stack: StackOption = "dev",
    project_dir: ProjectDirOption = Path("."),
    policy_pack: Annotated[
        Path | None,
        typer.Option(
            "--policy-pack", help="CrossGuard policy pack directory.", show_default="Strongroom's policies/"
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Report format: text, json, sarif or junit.")
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE instead of stdout.")
    ] = None,
    account: AccountOption = "123456789012",
    with_checkov: Annotated[
        bool,
        typer.Option(
            "--checkov", help="Also scan the Terraform JSON export with checkov and merge its results."
        ),
    ] = False,
    checkov_bin: Annotated[
        Path | None,
        typer.Option(
            "--checkov-bin", help="checkov executable.", show_default="<repo>/.venv-checkov/bin/checkov"
        ),
    ] = None,
    policy_config: Annotated[
        Path | None,
        typer.Option(
            "--policy-config",
            help="Policy config JSON, as for `pulumi preview --policy-pack-config` (e.g. allowed types).",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Exit 3 (not evaluated) when a control needed a value unknown at preview (SR-GOV-004).",
        ),
    ] = False,
    via_analyzer: Annotated[
        bool,
        typer.Option(
            "--via-analyzer",
            help="Run Strongroom's own pack as a process over the Analyzer gRPC protocol, as the Pulumi "
            "CLI does, instead of in process (same findings, slower). Other packs always run that way.",
        ),
    ] = False,
    all_stacks: Annotated[
        bool,
        typer.Option(
            "--all-stacks",
            help="Check every stack of the project (its Pulumi.<stack>.yaml files) in parallel, one report.",
        ),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Plan afresh: neither read nor write the plan cache ($XDG_CACHE_HOME/strongroom).",
        ),
    ] = False,
) -> None:
    """Plan offline, run the policy pack over the plan (Strongroom's own in process; any other pack, or
    with --via-analyzer, over the Analyzer protocol as the Pulumi CLI does), and report.

    Exit 0 when no mandatory control is violated, 1 when one is, 2 on a usage or config error, 3 when
    the check could not be evaluated (the program failed, a component of another language was not
    expanded, --checkov was asked for and checkov did not run, or with --strict a control needed a
    value unknown at preview).
    """
    with collector_paused():  # imports: long-lived objects only (strongroom.process)
        from strongroom.check import apply_strict, failed_program_report, load_policy_config
        from strongroom.engine import validate_account, validate_stack_name
        from strongroom.errors import ProgramFailed

    _check_report_options(fmt, output)
    validate_stack_name(stack)
    validate_account(account)
    user_config = load_policy_config(policy_config) if policy_config is not None else None
    if all_stacks:
        _check_all_stacks(ctx, project_dir, policy_pack, fmt, output, account, user_config, no_cache)
    from strongroom.plancache import PlanCache, plan_and_check_cached

    cache = None if no_cache else PlanCache()
    try:
        report, plan = plan_and_check_cached(
            project_dir,
            stack,
            pack_dir=policy_pack,
            account=account,
            policy_config=user_config,
            cache=cache,
            via_analyzer=via_analyzer,
        )
    except ProgramFailed as failed:
        report_error(failed)
        _write_report(failed_program_report(stack, failed), fmt, output)
    finally:
        for warning in cache.warnings if cache is not None else []:
            typer.echo(f"warning: {warning}", err=True)
    if with_checkov or checkov_bin is not None:
        from strongroom.checkov import check_plan as checkov_check_plan
        from strongroom.report import merge

        scanned = checkov_check_plan(
            plan, project_dir=project_dir, checkov_bin=checkov_bin, artifact=report.artifact
        )
        report = merge([report, scanned])
    if strict:
        apply_strict(report)
    _write_report(report, fmt, output)


@app.command()
def audit(
    ctx: typer.Context,
    stack: StackOption = "dev",
    project_dir: ProjectDirOption = Path("."),
    region: Annotated[
        str | None,
        typer.Option("--region", help="Region to audit.", show_default="the stack's aws:region"),
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="AWS profile (ideally one that assumes the auditor role).")
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url", help="AWS endpoint, e.g. a `strongroom sandbox` (http://127.0.0.1:P)."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Report format: text, json, sarif or junit.")
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE instead of stdout.")
    ] = None,
    all_stacks: Annotated[
        bool,
        typer.Option(
            "--all-stacks", help="Audit every stack of the project (its Pulumi.<stack>.yaml files)."
        ),
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Parallel AWS reads (1-64).", min=1, max=64)
    ] = 8,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Plan the stack afresh instead of reading the plan cache.")
    ] = False,
) -> None:
    """Read the deployed environment (read-only, found by the tag strongroom:environment=<stack>) and judge
    it with the catalog's live controls and against the stack's own plan (missing, undeclared or changed
    resources).

    Exit 0 when no mandatory control is violated, 1 when one is, 2 on a usage error (no credentials, a
    region without the environment), 3 when part of the environment could not be read (access denied,
    throttled).
    """
    with collector_paused():  # imports: long-lived objects only (strongroom.process)
        from strongroom.engine import validate_stack_name
        from strongroom.live.audit import audit as run_audit
        from strongroom.live.audit import planned_stack, require_environment
        from strongroom.live.aws import Aws
        from strongroom.multistack import combined_exit_code, overall_line, project_stacks, render_all

    _check_report_options(fmt, output)
    if endpoint_url is not None and not endpoint_url.startswith(("http://", "https://")):
        raise UsageError(f"--endpoint-url {endpoint_url!r}: accepted: an http:// or https:// URL")
    stacks = [validate_stack_name(stack)]
    if all_stacks:
        source = ctx.get_parameter_source("stack")
        if source is not None and source.name != "DEFAULT":
            raise UsageError("--stack and --all-stacks are mutually exclusive: give one of them.")
        stacks = project_stacks(project_dir)[1]
    reports = []
    sessions: dict[str, Aws] = {}  # one per region: stacks share the account-wide discovery reads
    for name in stacks:
        where, configured = _audit_region(project_dir, name, region)
        if where not in sessions:
            sessions[where] = Aws(
                region=where, profile=profile, endpoint_url=endpoint_url, concurrency=concurrency
            )
        aws = sessions[where]
        require_environment(aws, name, configured)  # a wrong region or account: said before planning
        planned = planned_stack(project_dir, name, aws.caller()["Account"], use_cache=not no_cache)
        reports.append(run_audit(aws, planned, environment_checked=True))
    if not all_stacks:
        _write_report(reports[0], fmt, output)

    project_name = project_stacks(project_dir)[0].name
    text = render_all(project_name, reports, fmt, width=_report_width(output is None and sys.stdout.isatty()))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(overall_line(project_name, reports), err=True)
    raise typer.Exit(combined_exit_code(reports))


def _audit_region(project_dir: Path, stack: str, region: str | None) -> tuple[str, str | None]:
    """The region to audit (``--region``, else the stack config's ``aws:region``) and the configured one."""
    from strongroom.engine import load_project, load_stack_config

    project = load_project(Path(project_dir))
    value = load_stack_config(project, stack).values.get("aws:region")
    configured = str(value) if value else None
    where = region or configured
    if not where:
        raise UsageError(
            f"{project.stack_file(stack)}: key aws:region is not set; accepted: --region NAME or aws:region "
            "in the stack config"
        )
    return where, configured


def _check_all_stacks(
    ctx: typer.Context,
    project_dir: Path,
    policy_pack: Path | None,
    fmt: str,
    output: Path | None,
    account: str,
    user_config: Any,
    no_cache: bool,
) -> NoReturn:
    """``check --all-stacks``: every stack in parallel, one combined report, exit with the combined code."""
    from strongroom.multistack import check_all_stacks, combined_exit_code, overall_line, render_all

    source = ctx.get_parameter_source("stack")
    if source is not None and source.name != "DEFAULT":
        raise UsageError(
            "--stack and --all-stacks are mutually exclusive: give --stack NAME for one stack, or "
            "--all-stacks for every Pulumi.<stack>.yaml of the project."
        )
    params = ctx.params
    project, results = check_all_stacks(
        project_dir,
        pack_dir=policy_pack,
        account=account,
        policy_config=user_config,
        with_checkov=bool(params.get("with_checkov")),
        checkov_bin=params.get("checkov_bin"),
        strict=bool(params.get("strict")),
        use_cache=not no_cache,
        via_analyzer=bool(params.get("via_analyzer")),
    )
    for result in results:
        for message in result.messages:
            prefix = "" if message.startswith("warning: ") else "strongroom: error: "
            typer.echo(prefix + message, err=True)
    reports = [result.report for result in results]
    width = _report_width(output is None and sys.stdout.isatty())
    text = render_all(project.name, reports, fmt, width=width)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(overall_line(project.name, reports), err=True)
    raise typer.Exit(combined_exit_code(reports))


def _check_report_options(fmt: str, output: Path | None) -> None:
    """``--format`` is a report format and ``--output``'s directory exists (``check`` and ``audit``)."""
    from strongroom.report import RENDERERS

    if fmt not in RENDERERS:
        raise UsageError(f"--format {fmt!r} is not a report format; accepted: {', '.join(RENDERERS)}.")
    if output is not None and not output.parent.is_dir():
        raise UsageError(f"--output {output}: directory {output.parent} does not exist.")


def _write_report(report: Any, fmt: str, output: Path | None) -> NoReturn:
    """Render ``report`` to stdout or ``output`` and exit with its code."""
    from strongroom.report import render, render_text, summary_line

    if fmt == "text":
        text = render_text(report, width=_report_width(output is None and sys.stdout.isatty()))
    else:
        text = render(report, fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(summary_line(report), err=True)
    raise typer.Exit(report.exit_code)


@app.command("policy-config")
def policy_config_cmd(
    stack: StackOption = "dev",
    project_dir: ProjectDirOption = Path("."),
    account: Annotated[
        str | None,
        typer.Option("--account", help="The account the stack deploys to (added to the trusted accounts)."),
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option(
            "--policy-config", help="A policy config JSON to merge (e.g. the team's allowed types)."
        ),
    ] = None,
) -> None:
    """Print the policy config for `pulumi preview --policy-pack policies --policy-pack-config FILE`: the
    perimeter and regions of the stack's config for every Strongroom policy that takes them."""
    import json

    with collector_paused():  # imports: long-lived objects only (strongroom.process)
        from strongroom.check import AnalyzerInfo, PolicyInfo, load_policy_config, perimeter_policy_config
        from strongroom.engine import load_project, load_stack_config, validate_account, validate_stack_name
        from strongroom.policies.pack import build_policies

    validate_stack_name(stack)
    if account is not None:
        validate_account(account)
    config = load_stack_config(load_project(project_dir), stack)
    info = AnalyzerInfo(
        name="strongroom",
        version="",
        policies=tuple(
            PolicyInfo(
                name=p.name,
                description="",
                enforcement="mandatory",
                kind="",
                config_schema={"properties": dict(p.config_schema.properties) if p.config_schema else {}},
            )
            for p in build_policies()
        ),
    )
    user = load_policy_config(base) if base is not None else None
    sys.stdout.write(json.dumps(perimeter_policy_config(info, config.values, account, user), indent=2) + "\n")


@app.command()
def controls(
    severity: Annotated[
        str | None,
        typer.Option("--severity", help="Only controls at least this severe (critical, high, ...)."),
    ] = None,
    framework: Annotated[
        list[str] | None,
        typer.Option("--framework", help="Only controls mapped to this framework (repeatable)."),
    ] = None,
    area: Annotated[
        list[str] | None,
        typer.Option(
            "--area", help="Only this area of the control IDs (SR-<AREA>-nnn), e.g. IAM (repeatable)."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """List the control catalog (the same controls the policy pack enforces)."""
    from strongroom.controls_cmd import FORMATS, as_json, print_table, selected

    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not accepted; accepted: {', '.join(FORMATS)}.")
    chosen = selected(severity, framework or [], area or [], [])
    if fmt == "json":
        sys.stdout.write(as_json(chosen))
    else:
        print_table(chosen, _stdout_console())


@app.command()
def sandbox(
    stack: StackOption = "dev",
    project_dir: ProjectDirOption = Path("."),
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port on 127.0.0.1 (0: any free port).")] = 0,
) -> None:
    """Serve the stack's environment in a local moto server (offline plan materialised into it) for
    trying the live audit: prints the endpoint, serves until Ctrl-C. Needs the 'sandbox' extra (moto)."""
    from strongroom.live.sandbox import serve

    raise typer.Exit(serve(project_dir, stack, port))


from strongroom.vault.cli import app as _vault_app  # noqa: E402  (after the options it shares)

app.add_typer(_vault_app, name="vault")


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point (``strongroom = strongroom.cli:main``).

    Once the command has finished and its output is flushed, the process ends with ``os._exit``: tearing
    down the interpreter (finalising the hundred thousand objects of pulumi_aws's modules and a plan) is
    a good part of a second that no one waits for. No atexit work is skipped that matters: the commands
    close their files and temporary directories themselves. Tests call ``app`` through CliRunner, which
    never comes here."""
    from strongroom.process import declare_one_shot

    declare_one_shot()
    try:
        app(args=argv, prog_name="strongroom")
        code = 0
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    _flush_and_exit(code)


def _exit_code(code: object) -> int:
    """The process exit code ``sys.exit(code)`` gives: None is 0, a number is itself, anything else is
    printed to stderr and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def _flush_and_exit(code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``strongroom check | head``) or a closed stream
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    main()
