"""``strongroom vault``: the typer group and what every vault command shares (options, the session).

Each command's help starts with the role it runs as. The work is in :mod:`strongroom.vault.models`
(push, list, verify, promote, rollback), :mod:`strongroom.vault.data` (snapshot) and
:mod:`strongroom.vault.recovery` (restore, status); this module parses and prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from strongroom.errors import UsageError

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
    stack: str, project_dir: Path, region: str | None, profile: str | None, endpoint_url: str | None
) -> Where:
    if endpoint_url is not None and not endpoint_url.startswith(("http://", "https://")):
        raise UsageError(f"--endpoint-url {endpoint_url!r}: accepted: an http:// or https:// URL")
    return Where(stack, project_dir, region, profile, endpoint_url)


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

# --- models: promote, rollback (strongroom.vault.models) ---

# --- data: snapshot (strongroom.vault.data) ---

# --- recovery: restore, status (strongroom.vault.recovery) ---

from strongroom.options import ProjectDirOption, StackOption  # noqa: E402

RECOVERY_ROLE = "recovery"


def _live_failed(exc: Exception) -> typer.Exit:
    """A call the role could not make (access denied, throttled): exit 3 with the action named."""
    typer.echo(f"strongroom: error: {getattr(exc, 'message', exc)}", err=True)
    return typer.Exit(3)


@app.command()
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
    stack: StackOption = "dev",
    project_dir: ProjectDirOption = Path("."),
    region: RegionOption = None,
    profile: ProfileOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Role: recovery. Make an intact copy of --key current again in --bucket, never deleting anything.

    Candidates, newest first: the key's versions in the bucket, in the dataset's Object Lock backup bucket
    and in its replica in the replica region. Intact: its SHA-256 is the one a verified signed manifest
    records (the model's manifest, or the newest dataset snapshot naming the key). A delete marker is not
    removed (that is a DeleteObject of a version): the chosen version is copied over it as a new current
    version (SSE-KMS with the bucket's key, SHA-256 checksum), then the new version's checksum is checked.
    Exit 0 restored (or already intact), 1 no intact copy or a bad --version refused, 2 bad input (also: no
    manifest names the key and no --version), 3 a call was denied."""
    from strongroom.live.aws import LiveError
    from strongroom.vault.recovery import restore as run
    from strongroom.vault.recovery import restore_text

    options = where(stack, project_dir, region, profile, endpoint_url)
    try:
        aws, vault = open_vault(options, RECOVERY_ROLE)
        result = run(aws, vault, bucket, key, version, dry_run)
    except LiveError as exc:
        raise _live_failed(exc) from None
    typer.echo(restore_text(result), nl=False)


@app.command()
def status(
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    max_objects: Annotated[
        int,
        typer.Option("--max-objects", help="Newest versions per bucket whose ReplicationStatus is read."),
    ] = 1000,
    stack: StackOption = "dev",
    project_dir: ProjectDirOption = Path("."),
    region: RegionOption = None,
    profile: ProfileOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Role: recovery. Replication of every data and models bucket into its backup (and replica) bucket.

    Per bucket: the replication rules and their destinations, each destination's Object Lock (mode, days),
    the source versions a destination does not hold yet (by version ID, S3 replicas keep it) and their age,
    versions whose ReplicationStatus is FAILED (the newest --max-objects), and the CloudWatch
    ReplicationLatency / OperationsFailedReplication of the last hour when published. Exit 1 when a version
    failed, one is missing longer than Replication Time Control's 15 minutes, or a bucket has no
    replication; 0 otherwise; 2 bad input; 3 a call was denied."""
    import json

    from strongroom.live.aws import LiveError
    from strongroom.vault.recovery import status as run
    from strongroom.vault.recovery import status_text

    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt!r}: accepted: text, json")
    options = where(stack, project_dir, region, profile, endpoint_url)
    try:
        aws, vault = open_vault(options, RECOVERY_ROLE)
        result = run(aws, vault, max_objects)
    except LiveError as exc:
        raise _live_failed(exc) from None
    if fmt == "json":
        typer.echo(json.dumps(result.as_json(), indent=2, sort_keys=True))
    else:
        typer.echo(status_text(result), nl=False)
    raise typer.Exit(1 if result.problems else 0)
