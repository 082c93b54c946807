"""``strongroom vault``: the typer group and what every vault command shares (options, the session).

Each command's help starts with the role it runs as. The work is in :mod:`strongroom.vault.models`
(push, list, verify, promote, rollback), :mod:`strongroom.vault.data` (snapshot) and
:mod:`strongroom.vault.recovery` (restore, status); this module parses and prints.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from strongroom.errors import UsageError
from strongroom.options import ProjectDirOption, StackOption

if TYPE_CHECKING:  # imported by the commands when they run, so `strongroom --help` stays fast
    from strongroom.live.aws import Aws
    from strongroom.vault.stack import VaultStack

app = typer.Typer(
    name="vault",
    help="Incident response on the environment's buckets: push, verify, promote and roll back models, "
    "snapshot and restore data, replication status. Never deletes an object version.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="The stack's region.", show_default="the stack's aws:region"),
]
ProfileOption = Annotated[
    str | None, typer.Option("--profile", help="AWS profile (one that assumes the role the command names).")
]
EndpointOption = Annotated[
    str | None,
    typer.Option("--endpoint-url", help="AWS endpoint, e.g. a `strongroom sandbox` (http://127.0.0.1:P)."),
]
ModelOption = Annotated[str, typer.Option("--model", "-m", help="Model name (strongroom:workspace.models).")]


@dataclass(frozen=True)
class Where:
    """The options every vault command takes: which stack, which account and region."""

    stack: str
    project_dir: Path
    region: str | None
    profile: str | None
    endpoint_url: str | None


def where(
    stack: StackOption = "dev",
    project_dir: ProjectDirOption = Path("."),
    region: RegionOption = None,
    profile: ProfileOption = None,
    endpoint_url: EndpointOption = None,
) -> Where:
    """The options every vault command takes, checked; :func:`with_where` adds them to each command."""
    if endpoint_url is not None and not endpoint_url.startswith(("http://", "https://")):
        raise UsageError(f"--endpoint-url {endpoint_url!r}: accepted: an http:// or https:// URL")
    return Where(stack, project_dir, region, profile, endpoint_url)


def with_where(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with the options of :func:`where` after its own (as typer sees its signature), passed
    to it checked as one keyword argument ``options``; every exception it raises goes through
    :func:`live_errors`."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "options"]
    common = list(inspect.signature(where, eval_str=True).parameters.values())

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        chosen = {p.name: kwargs.pop(p.name) for p in common}
        with live_errors():
            command(**kwargs, options=where(**chosen))

    parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in [*own, *common]]
    run.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return run


def live_errors() -> AbstractContextManager[None]:
    """:func:`strongroom.vault.models.live_errors`: access denied is exit 3, a bad manifest exit 1."""
    from strongroom.vault.models import live_errors as errors

    return errors()


def open_vault(options: Where, role: str) -> tuple[Aws, VaultStack]:
    """An :class:`Aws` session as ``role`` (named in access-denied errors) and the stack's vault."""
    from strongroom.engine import validate_stack_name
    from strongroom.live.aws import Aws
    from strongroom.vault.stack import locate, stack_settings

    stack = validate_stack_name(options.stack)
    settings = stack_settings(options.project_dir, stack)
    aws = Aws(
        region=options.region or settings.region,
        profile=options.profile,
        endpoint_url=options.endpoint_url,
        role_hint=f"run this command as the stack's {role} role, whose policy grants it",
    )
    return aws, locate(aws, stack, settings)


# --- models: push, list, verify (strongroom.vault.models) ---

FormatOption = Annotated[str, typer.Option("--format", "-f", help="text or json.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
_FORMATS = ("text", "json")


def _check_format(fmt: str) -> str:
    if fmt not in _FORMATS:
        raise UsageError(f"--format {fmt!r}: accepted: {', '.join(_FORMATS)}")
    return fmt


@app.command("push")
@with_where
def push_command(
    file: Annotated[Path, typer.Argument(help="The model artifact (e.g. model.tar.gz).", show_default=False)],
    model: ModelOption,
    data_version: Annotated[
        list[str] | None,
        typer.Option(
            "--data-version",
            help="A training data object version: BUCKET/KEY@VERSIONID (data bucket by name or "
            "data-<domain>); repeatable.",
        ),
    ] = None,
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", help="A signed dataset snapshot: DATASET@SNAPSHOT; repeatable."),
    ] = None,
    code_revision: Annotated[
        str | None,
        typer.Option(
            "--code-revision", help="Code revision.", show_default="git rev-parse HEAD, else unknown"
        ),
    ] = None,
    image: Annotated[
        str | None, typer.Option("--image", help="Inference image URI recorded in the model package.")
    ] = None,
    part_size: Annotated[
        int,
        typer.Option(
            "--part-size", help="Bytes: larger artifacts go up as a multipart upload in parts of this size."
        ),
    ] = 64 * 1024 * 1024,
    quiet: QuietOption = False,
    *,
    options: Where,
) -> None:
    """Role: training. Upload a model artifact as a new candidate version.

    SHA-256 checksums (per part above --part-size), the models key, never over an existing version; registers
    its model package (PendingManualApproval) and writes its signed manifest with lineage."""
    from strongroom.vault import models

    aws, vault = open_vault(options, "training")
    with models.rich_meter(quiet) as meter:
        pushed = models.push(
            aws,
            vault,
            file,
            model,
            data_versions=data_version or [],
            datasets=dataset or [],
            revision=code_revision,
            image=image,
            part_size=part_size,
            meter=meter,
        )
    m = pushed.manifest
    revision = m.code_revision + (
        " (unknown: no --code-revision and not in a git repository)" if m.code_revision == "unknown" else ""
    )
    typer.echo(
        "\n".join(
            [
                f"pushed {m.model} version {m.version}",
                f"  artifact       s3://{m.artifact.bucket}/{m.artifact.key}",
                f"  S3 version     {m.artifact.version_id}"
                + (f" ({pushed.parts} parts)" if pushed.parts > 1 else ""),
                f"  sha256         {m.artifact.sha256} ({m.artifact.size} bytes)",
                f"  manifest       s3://{m.artifact.bucket}/{pushed.manifest_key}",
                f"  manifest S3 version {pushed.manifest_version_id}",
                f"  model package  {m.model_package_arn} (PendingManualApproval)",
                f"  code revision  {revision}",
                f"  lineage        {len(m.lineage.data)} data objects, {len(m.lineage.datasets)} datasets",
            ]
        )
    )


@app.command("list")
@with_where
def list_command(
    model: ModelOption,
    fmt: FormatOption = "text",
    *,
    options: Where,
) -> None:
    """Role: model-approver. The versions of a model, newest first.

    Checksum, lineage, signer and promotion state (production, promoted earlier, candidate, INVALID)."""
    import json

    from strongroom.vault import models

    _check_format(fmt)
    aws, vault = open_vault(options, "model-approver")
    listed, production = models.list_versions(aws, vault, model)
    if fmt == "json":
        doc = {
            "model": model,
            "production": production.current,
            "versions": [item.to_dict() for item in listed],
            "warnings": list(production.problems),
        }
        typer.echo(json.dumps(doc, indent=2))
    else:
        typer.echo(models.render_list(model, listed, production), nl=False)


@app.command("verify")
@with_where
def verify_command(
    model: ModelOption,
    version: Annotated[
        str | None, typer.Option("--version", help="The version to verify.", show_default="the newest")
    ] = None,
    fmt: FormatOption = "text",
    quiet: QuietOption = False,
    *,
    options: Where,
) -> None:
    """Role: model-approver. Verify a version's artifact and signed manifest.

    Downloads the artifact, recomputes its SHA-256 and compares it with the manifest and S3's checksum,
    checks the manifest's signature and the artifact's S3 version: exit 1 naming each difference, 0 when
    intact."""
    from strongroom.vault import models
    from strongroom.vault.stack import check_version

    _check_format(fmt)
    if version is not None:
        check_version(version)
    aws, vault = open_vault(options, "model-approver")
    vault.check_model(model)
    chosen = models.resolve_version(aws, vault, model, version)
    with models.rich_meter(quiet) as meter:
        result = models.verify_version(aws, vault, model, chosen, meter)
    if fmt == "json":
        typer.echo(models.verification_json(model, result), nl=False)
    else:
        typer.echo(models.render_verification(model, result), nl=False)
    if not result.intact:
        raise typer.Exit(1)


# --- models: promote, rollback (strongroom.vault.models) ---


@app.command()
@with_where
def promote(
    model: ModelOption,
    version: Annotated[str, typer.Option("--version", help="The candidate version (`vault list`).")],
    *,
    options: Where,
) -> None:
    """Role: model-approver. Copy a candidate into production/<model>/ (artifact and manifest, new S3
    versions) if its manifest verifies, its artifact's bytes and S3 version are the manifest's, and a
    model package of the model's package group is Approved with exactly that artifact. Exit 1 if refused."""
    from strongroom.vault import promotion

    aws, vault = open_vault(options, "model-approver")
    outcome = promotion.promote(aws, vault, model, version)
    typer.echo("\n".join(outcome.lines("promoted")))


@app.command()
@with_where
def rollback(
    model: ModelOption,
    to: Annotated[str, typer.Option("--to", help="A version that was in production before.")],
    *,
    options: Where,
) -> None:
    """Role: model-approver. Make a version that was in production before current again: verify its
    production S3 versions (signature, artifact SHA-256), copy them over as new versions, re-read and
    compare. Never deletes anything; prints what was current before and after."""
    from strongroom.vault import promotion

    aws, vault = open_vault(options, "model-approver")
    outcome = promotion.rollback(aws, vault, model, to)
    typer.echo("\n".join(outcome.lines("rolled back")))


# --- data: snapshot (strongroom.vault.data) ---


@app.command()
@with_where
def snapshot(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Data domain (strongroom:storage).")],
    prefix: Annotated[
        str, typer.Option("--prefix", help="Key prefix under the training data prefix (curated/).")
    ] = "",
    fmt: FormatOption = "text",
    *,
    options: Where,
) -> None:
    """Role: training. Record the exact version ID, size and SHA-256 of every object current under the
    training data prefix of a data domain's bucket as a signed dataset manifest, written to
    datasets/<dataset>/<snapshot>.json of the models bucket: what a model's lineage names."""
    import json

    from strongroom.vault import data

    _check_format(fmt)
    aws, vault = open_vault(options, "training")
    taken = data.snapshot(aws, vault, dataset, prefix)
    if fmt == "json":
        typer.echo(json.dumps(taken.as_dict(), indent=2, sort_keys=True))
    else:
        typer.echo("\n".join(taken.lines()))


# --- recovery: restore, status (strongroom.vault.recovery) ---


RECOVERY_ROLE = "recovery"


@app.command()
@with_where
def restore(
    bucket: Annotated[
        str,
        typer.Option(
            "--bucket", "-b", help="The bucket to restore into: models, data-<domain>, or a physical name."
        ),
    ],
    key: Annotated[str, typer.Option("--key", "-k", help="The object key to bring back.")],
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="Exact version ID to bring back (from the bucket, its backup or replica); refused when a "
            "signed manifest names the key with another SHA-256.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the choice, copy nothing.")] = False,
    *,
    options: Where,
) -> None:
    """Role: recovery. Make an intact copy of --key current again in --bucket, never deleting anything.

    Candidates, newest first: the key's versions in the bucket, in the dataset's Object Lock backup bucket
    and in its replica in the replica region. Intact: its SHA-256 is the one a verified signed manifest
    records (the model's manifest, or the newest dataset snapshot naming the key). A delete marker is not
    removed (that is a DeleteObject of a version): the chosen version is copied over it as a new current
    version (SSE-KMS with the bucket's key, SHA-256 checksum), then the new version's checksum is checked.
    Exit 0 restored (or already intact), 1 no intact copy or a bad --version refused, 2 bad input (also: no
    manifest names the key and no --version), 3 a call was denied."""
    from strongroom.vault.recovery import restore as run
    from strongroom.vault.recovery import restore_text

    aws, vault = open_vault(options, RECOVERY_ROLE)
    result = run(aws, vault, bucket, key, version, dry_run)
    typer.echo(restore_text(result), nl=False)


@app.command()
@with_where
def status(
    fmt: FormatOption = "text",
    max_objects: Annotated[
        int,
        typer.Option("--max-objects", help="Newest versions per bucket whose ReplicationStatus is read."),
    ] = 1000,
    *,
    options: Where,
) -> None:
    """Role: recovery. Replication of every data and models bucket into its backup (and replica) bucket.

    Per bucket: the replication rules and their destinations, each destination's Object Lock (mode, days),
    the source versions a destination does not hold yet (by version ID, S3 replicas keep it) and their age,
    versions whose ReplicationStatus is FAILED (the newest --max-objects), and the CloudWatch
    ReplicationLatency / OperationsFailedReplication of the last hour when published. Exit 1 when a version
    failed, one is missing longer than Replication Time Control's 15 minutes, or a bucket has no
    replication; 0 otherwise; 2 bad input; 3 a call was denied or a destination could not be reached from
    here (the replica region, from inside the VPC: run status from a host that reaches it)."""
    import json

    from strongroom.vault.recovery import status as run
    from strongroom.vault.recovery import status_text

    _check_format(fmt)
    aws, vault = open_vault(options, RECOVERY_ROLE)
    result = run(aws, vault, max_objects)
    if fmt == "json":
        typer.echo(json.dumps(result.as_json(), indent=2, sort_keys=True))
    else:
        typer.echo(status_text(result), nl=False)
    raise typer.Exit(result.exit_code)
