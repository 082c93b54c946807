"""Model artifacts in the vault: push (training role), list and verify (model approver).

``push`` uploads an artifact to ``candidates/<model>/<version>/<file>`` with S3 checksums (SHA-256 of the
whole object for one PutObject, of each part for a multipart upload), encrypted with the environment's
models key, registers it as a PendingManualApproval model package in the model's package group and writes
its signed manifest next to it: the artifact's SHA-256 and S3 version ID, the exact versions of the data it
was trained on (lineage), the code revision and who pushed it. Nothing is ever overwritten or deleted
(``IfNoneMatch="*"`` on every write; a failed multipart upload is aborted, which deletes no version).

``list`` and ``verify`` read what ``push`` wrote. The public functions :func:`find_versions`,
:func:`load_version` and :func:`verify_version` are what ``promote``/``rollback`` build on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from strongroom.errors import EXIT_FINDINGS, EXIT_UNEVALUATED, StrongroomError, UsageError
from strongroom.live.aws import Aws, LiveError
from strongroom.vault import manifest as mf
from strongroom.vault.stack import MANIFEST, VERSION_PATTERN, Bucket, VaultStack, new_version, sha256_file
from strongroom.vault.stack import key_arn as vault_key_arn

MiB = 1024 * 1024
DEFAULT_PART_SIZE = 64 * MiB
"""``--part-size``: artifacts larger than this go up as a multipart upload in parts of this size."""
MIN_PART_SIZE = 5 * MiB
"""S3's smallest part (all but the last)."""
MAX_PARTS = 10_000
"""S3's largest number of parts of one upload."""
DATASETS_PREFIX = "datasets/"
"""Signed dataset snapshot manifests in the models bucket: ``datasets/<dataset>/<snapshot>.json``."""
PENDING = "PendingManualApproval"
_CHUNK = MiB
_MISSING_OBJECT = ("404", "NoSuchKey", "NoSuchVersion", "400", "InvalidArgument", "405", "MethodNotAllowed")


class Refused(StrongroomError):
    """Input that exists but does not verify, or a gate that refused: exit 1, each reason named.

    ``problems`` as a list: the message is ``refused: <problem>; <problem>``; as a string: that message."""

    exit_code = EXIT_FINDINGS

    def __init__(self, problems: str | Sequence[str]) -> None:
        listed = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(problems if isinstance(problems, str) else "refused: " + "; ".join(listed))
        self.problems = listed


class CouldNotRead(StrongroomError):
    """A call the role may not make (access denied) or that failed: exit 3 with its message."""

    exit_code = EXIT_UNEVALUATED


@contextmanager
def live_errors() -> Iterator[None]:
    """What every vault command's work may raise, as exit codes: a :class:`LiveError` (access denied,
    throttled, failed) becomes :class:`CouldNotRead` (exit 3), a
    :class:`~strongroom.vault.manifest.ManifestError` :class:`Refused` (exit 1)."""
    try:
        yield
    except LiveError as exc:
        raise CouldNotRead(exc.message) from None
    except mf.ManifestError as exc:
        raise Refused(exc.problems) from None


class Meter(Protocol):
    """Reports the progress of one transfer."""

    def __call__(self, description: str, total: int) -> Callable[[int], None]: ...


def no_meter(description: str, total: int) -> Callable[[int], None]:
    return lambda n: None


@contextmanager
def rich_meter(quiet: bool) -> Iterator[Meter]:
    """A rich progress bar on stderr for each transfer; none with ``quiet`` or when stderr is no terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield no_meter
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:

        def meter(description: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(description, total=total)
            return lambda n: progress.advance(task, n)

        yield meter


# --- S3 checksums ----------------------------------------------------------------------------------------


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def hex_of_b64(value: str) -> str:
    return base64.b64decode(value).hex()


@dataclass(frozen=True)
class StoredChecksum:
    """S3's stored SHA-256 of an object: of the whole object, or (multipart) of its parts' digests."""

    value: str
    """Base64, without the ``-<parts>`` suffix."""
    parts: int | None
    """Number of parts of a composite checksum; None for a full-object checksum."""

    @classmethod
    def of(cls, response: dict[str, Any]) -> StoredChecksum | None:
        raw = response.get("ChecksumSHA256")
        if not raw:
            return None
        value, _, count = str(raw).partition("-")
        composite = response.get("ChecksumType") == "COMPOSITE" or bool(count)
        return cls(value, int(count) if count.isdigit() else (1 if composite else None))


# --- versions -------------------------------------------------------------------------------------


def find_versions(aws: Aws, vault: VaultStack, model: str) -> list[str]:
    """The pushed versions of ``model`` (prefixes under ``candidates/<model>/``), newest first."""
    prefix = vault.candidate_prefix(model)
    found = aws.pages(
        "s3",
        "list_objects_v2",
        "CommonPrefixes",
        Prefix=prefix,
        Delimiter="/",
        **vault.on(vault.models_bucket),
    )
    names = {str(p.get("Prefix", ""))[len(prefix) :].rstrip("/") for p in found}
    return sorted((n for n in names if VERSION_PATTERN.match(n)), reverse=True)


def resolve_version(aws: Aws, vault: VaultStack, model: str, version: str | None) -> str:
    """``--version`` (default: the newest) of ``model``: a usage error when there is none or it is unknown."""
    versions = find_versions(aws, vault, model)
    if not versions:
        raise UsageError(
            f"--model {model!r}: no version in "
            f"s3://{vault.models_bucket.name}/{vault.candidate_prefix(model)}; "
            "push one with `strongroom vault push`"
        )
    if version is None:
        return versions[0]
    if version not in versions:
        shown = ", ".join(versions[:10]) + (
            f" (and {len(versions) - 10} older)" if len(versions) > 10 else ""
        )
        raise UsageError(
            f"--version {version!r}: not a version of model {model}; accepted, newest first: {shown}"
        )
    return version


@dataclass(frozen=True)
class Loaded:
    """A version's manifest as stored: the envelope, the manifest and every problem found in it."""

    model: str
    version: str
    key: str
    s3_version_id: str | None
    envelope: mf.Envelope | None
    manifest: mf.ModelManifest | None
    problems: tuple[str, ...]

    @property
    def signer(self) -> str | None:
        return self.envelope.signature.key_id if self.envelope else None


def expected_fields(
    vault: VaultStack, model: str, version: str, m: mf.ModelManifest, where: str
) -> list[str]:
    """A validly signed manifest of another model, version or environment copied here is refused: what
    it describes must be ``version`` of ``model`` in this environment, its artifact under the version's
    candidate prefix of the models bucket."""
    problems = []
    wanted = {
        "environment": (m.environment, vault.stack),
        "model": (m.model, model),
        "version": (m.version, version),
        "artifact.bucket": (m.artifact.bucket, vault.models_bucket.name),
    }
    for name, (got, expected) in wanted.items():
        if got != expected:
            problems.append(f"{where}: {name} {got!r} != expected {expected!r}")
    if not m.artifact.key.startswith(vault.candidate_prefix(model, version)):
        problems.append(
            f"{where}: artifact.key {m.artifact.key!r} is not under {vault.candidate_prefix(model, version)}"
        )
    return problems


def load_version(aws: Aws, vault: VaultStack, model: str, version: str) -> Loaded:
    """The current manifest of ``version``, its signature verified (``problems`` empty when it verifies)."""
    key = f"{vault.candidate_prefix(model, version)}{MANIFEST}"
    where = f"s3://{vault.models_bucket.name}/{key}"
    got = aws.call("s3", "get_object", missing=("NoSuchKey",), Key=key, **vault.on(vault.models_bucket))
    if got is None:
        return Loaded(model, version, key, None, None, None, (f"{where}: no manifest (an incomplete push)",))
    body = got["Body"].read()
    s3_version = got.get("VersionId")
    envelope: mf.Envelope | None = None
    try:
        envelope = mf.read_envelope(body, where)
        problems = mf.verify(aws, vault.signing_key, envelope, where)
        manifest = mf.model_manifest(envelope, where)
    except mf.ManifestError as exc:
        return Loaded(model, version, key, s3_version, envelope, None, tuple(exc.problems))
    problems += expected_fields(vault, model, version, manifest, where)
    return Loaded(model, version, key, s3_version, envelope, manifest, tuple(problems))


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify_version`: intact when ``problems`` is empty."""

    loaded: Loaded
    sha256: str | None = None
    """The SHA-256 (hex) of the artifact's current S3 version, recomputed."""
    s3_version_id: str | None = None
    """The artifact's current S3 version ID."""
    size: int | None = None
    problems: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return not self.problems


def _download(
    aws: Aws,
    vault: VaultStack,
    bucket: Bucket,
    key: str,
    meter: Meter,
    version_id: str | None = None,
    sink: BinaryIO | None = None,
) -> tuple[dict[str, Any], str, str | None, int]:
    """Stream an object: (GetObject response, SHA-256 hex, the composite checksum when S3 stores one, size).

    Raises UsageError when the object (version) does not exist."""
    extra = {"VersionId": version_id} if version_id else {}
    got = aws.call(
        "s3",
        "get_object",
        missing=_MISSING_OBJECT,
        Key=key,
        ChecksumMode="ENABLED",
        **extra,
        **vault.on(bucket),
    )
    if got is None:
        what = f"s3://{bucket.name}/{key}" + (f"@{version_id}" if version_id else "")
        raise UsageError(f"{what}: no such object version")
    stored = StoredChecksum.of(got)
    part_size = None
    if stored is not None and stored.parts:
        # part 1 of the same S3 version (its size is the part size); IfMatch on the ETag would need only
        # s3:GetObject, but moto compares it with part 1's ETag and refuses
        pin = {"VersionId": version_id or str(got.get("VersionId"))}
        head = aws.call(
            "s3",
            "head_object",
            Key=key,
            PartNumber=1,
            **pin,
            **vault.on(bucket),
        )
        part_size = int((head or {}).get("ContentLength") or 0) or None
    whole = hashlib.sha256()
    digests: list[bytes] = []
    part = hashlib.sha256()
    in_part = 0
    size = 0
    advance = meter(f"download {key.rsplit('/', 1)[-1]}", int(got.get("ContentLength") or 0))
    for chunk in got["Body"].iter_chunks(_CHUNK):
        whole.update(chunk)
        if sink is not None:
            sink.write(chunk)
        size += len(chunk)
        advance(len(chunk))
        while part_size and chunk:
            take = chunk[: part_size - in_part]
            part.update(take)
            in_part += len(take)
            chunk = chunk[len(take) :]
            if in_part == part_size:
                digests.append(part.digest())
                part, in_part = hashlib.sha256(), 0
    composite = None
    if part_size:
        if in_part:
            digests.append(part.digest())
        composite = base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode("ascii")
        composite += f"-{len(digests)}"
    return got, whole.hexdigest(), composite, size


def _stored_problems(
    stored: StoredChecksum | None, sha_hex: str, composite: str | None, what: str
) -> list[str]:
    if stored is None:
        return [f"{what}: S3 stores no SHA-256 checksum of it (not pushed with `strongroom vault push`)"]
    full = base64.b64encode(bytes.fromhex(sha_hex)).decode("ascii")
    if stored.parts is None:
        if stored.value != full:
            return [f"{what}: S3's stored SHA-256 {hex_of_b64(stored.value)} != the content's {sha_hex}"]
        return []
    # A multipart object: S3 stores the SHA-256 of its parts' digests with the number of parts. (moto stores
    # the whole object's SHA-256 under the composite label: accepted too, it is as much bound to the bytes.)
    label = f"{stored.value}-{stored.parts}"
    if composite is not None and (label == composite or stored.value == composite.partition("-")[0]):
        return []
    if stored.value == full:
        return []
    return [f"{what}: S3's stored composite SHA-256 {label} != the content's {composite}"]


def verify_version(
    aws: Aws, vault: VaultStack, model: str, version: str, meter: Meter = no_meter
) -> Verification:
    """Verify ``version`` of ``model``: the manifest's signature and fields, and the artifact's current S3
    version (downloaded and hashed) against the manifest and against S3's stored checksum."""
    loaded = load_version(aws, vault, model, version)
    m = loaded.manifest
    if m is None:
        return Verification(loaded, problems=loaded.problems)
    problems = list(loaded.problems)
    where = f"s3://{m.artifact.bucket}/{m.artifact.key}"
    try:
        got, sha_hex, composite, size = _download(aws, vault, vault.models_bucket, m.artifact.key, meter)
    except UsageError:
        return Verification(loaded, problems=(*problems, f"{where}: the artifact does not exist"))
    current = str(got.get("VersionId") or "")
    if current != m.artifact.version_id:
        problems.append(
            f"{where}: artifact S3 version {current} != manifest {m.artifact.version_id} (the artifact was "
            "replaced after it was pushed)"
        )
    if sha_hex != m.artifact.sha256:
        problems.append(f"{where}: artifact sha256 {sha_hex} != manifest {m.artifact.sha256}")
    if m.artifact.size is not None and size != m.artifact.size:
        problems.append(f"{where}: artifact size {size} != manifest {m.artifact.size}")
    problems += _stored_problems(StoredChecksum.of(got), sha_hex, composite, where)
    return Verification(loaded, sha_hex, current, size, tuple(problems))


# --- push -----------------------------------------------------------------------------------------


def parse_data_version(vault: VaultStack, text: str) -> tuple[Bucket, str, str]:
    """``--data-version BUCKET/KEY@VERSIONID`` (a data bucket by physical or logical name)."""
    path, at, version_id = text.rpartition("@")
    name, slash, key = path.partition("/")
    if not at or not slash or not name or not key or not version_id:
        raise UsageError(
            f"--data-version {text!r}: accepted: BUCKET/KEY@VERSIONID (an exact object version of one of the "
            "stack's data buckets, e.g. data-payments/curated/x.parquet@3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY)"
        )
    data = {b.name: b for b in vault.data_buckets.values()}
    data.update({f"data-{d}": b for d, b in vault.data_buckets.items()})
    if name not in data:
        accepted = ", ".join(sorted(data)) or "none (the stack has no data domain)"
        raise UsageError(
            f"--data-version {text!r}: bucket {name!r} is not a data bucket of stack "
            f"{vault.stack}; accepted: {accepted}"
        )
    return data[name], key, version_id


def data_ref(aws: Aws, vault: VaultStack, text: str, meter: Meter = no_meter) -> mf.ObjectRef:
    """The exact data object version ``text`` names, with its SHA-256 (S3's, else downloaded and hashed)."""
    bucket, key, version_id = parse_data_version(vault, text)
    head = aws.call(
        "s3",
        "head_object",
        missing=_MISSING_OBJECT,
        Key=key,
        VersionId=version_id,
        ChecksumMode="ENABLED",
        **vault.on(bucket),
    )
    if head is None:
        raise UsageError(
            f"--data-version {text!r}: s3://{bucket.name}/{key} has no version {version_id!r}; accepted: a "
            "version ID as `aws s3api list-object-versions` shows it"
        )
    stored = StoredChecksum.of(head)
    size = int(head.get("ContentLength") or 0)
    if stored is not None and stored.parts is None:
        sha = hex_of_b64(stored.value)
    else:
        _, sha, _, size = _download(aws, vault, bucket, key, meter, version_id)
    return mf.ObjectRef(bucket=bucket.name, key=key, version_id=version_id, sha256=sha, size=size)


def dataset_ref(aws: Aws, vault: VaultStack, text: str) -> mf.DatasetRef:
    """``--dataset DATASET@SNAPSHOT``: the current version of its signed snapshot manifest, verified."""
    dataset, at, snapshot = text.partition("@")
    if not at or not dataset or not snapshot or "/" in dataset or "/" in snapshot:
        raise UsageError(
            f"--dataset {text!r}: accepted: DATASET@SNAPSHOT, a snapshot taken with "
            "`strongroom vault snapshot`"
        )
    bucket = vault.models_bucket
    key = f"{DATASETS_PREFIX}{dataset}/{snapshot}.json"
    where = f"s3://{bucket.name}/{key}"
    got = aws.call("s3", "get_object", missing=("NoSuchKey",), Key=key, **vault.on(bucket))
    if got is None:
        raise UsageError(
            f"--dataset {text!r}: no snapshot manifest {where}; take it with `strongroom vault snapshot`"
        )
    body = got["Body"].read()
    try:
        envelope = mf.read_envelope(body, where)
        problems = mf.verify(aws, vault.signing_key, envelope, where)
        snap = mf.dataset_manifest(envelope, where)
    except mf.ManifestError as exc:
        raise Refused(f"--dataset {text!r}: {'; '.join(exc.problems)}") from None
    if (snap.dataset, snap.snapshot, snap.environment) != (dataset, snapshot, vault.stack):
        problems.append(
            f"{where}: names dataset {snap.dataset}@{snap.snapshot} of environment {snap.environment}, "
            f"not {dataset}@{snapshot} of {vault.stack}"
        )
    if problems:
        raise Refused(f"--dataset {text!r}: the snapshot manifest does not verify: {'; '.join(problems)}")
    ref = mf.ObjectRef(
        bucket=bucket.name,
        key=key,
        version_id=str(got.get("VersionId") or ""),
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
    )
    return mf.DatasetRef(dataset=dataset, snapshot=snapshot, manifest=ref)


def code_revision(explicit: str | None, cwd: Path) -> str:
    """``--code-revision``, else ``git rev-parse HEAD`` of ``cwd``, else ``unknown``."""
    if explicit:
        return explicit
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    revision = out.stdout.strip()
    return revision if out.returncode == 0 and revision else "unknown"


@dataclass(frozen=True)
class Uploaded:
    key: str
    version_id: str
    parts: int
    """1 for a single PutObject."""


def _sse(key_arn: str) -> dict[str, str]:
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_arn}


def put_bytes(aws: Aws, vault: VaultStack, key: str, body: bytes, key_arn: str, **extra: Any) -> Uploaded:
    """One PutObject, never over an existing object, with its full-object SHA-256 and the models key."""
    result = aws.call(
        "s3",
        "put_object",
        Key=key,
        Body=body,
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=b64_sha256(body),
        IfNoneMatch="*",
        **_sse(key_arn),
        **extra,
        **vault.on(vault.models_bucket),
    )
    return Uploaded(key, str((result or {}).get("VersionId") or ""), 1)


def upload_file(
    aws: Aws, vault: VaultStack, path: Path, key: str, key_arn: str, part_size: int, meter: Meter = no_meter
) -> Uploaded:
    """``path`` to ``key``: one PutObject up to ``part_size`` bytes, else a multipart upload with a SHA-256
    per part, aborted (no version is deleted) if any step fails."""
    size = path.stat().st_size
    advance = meter(f"upload {path.name}", size)
    bucket = vault.models_bucket
    if size <= part_size:
        uploaded = put_bytes(aws, vault, key, path.read_bytes(), key_arn)
        advance(size)
        return uploaded
    created = aws.call(
        "s3",
        "create_multipart_upload",
        Key=key,
        ChecksumAlgorithm="SHA256",
        **_sse(key_arn),
        **vault.on(bucket),
    )
    upload_id = str((created or {})["UploadId"])
    parts: list[dict[str, Any]] = []
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(part_size):
                checksum = b64_sha256(chunk)
                done = aws.call(
                    "s3",
                    "upload_part",
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=len(parts) + 1,
                    Body=chunk,
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=checksum,
                    **vault.on(bucket),
                )
                parts.append(
                    {"PartNumber": len(parts) + 1, "ETag": (done or {})["ETag"], "ChecksumSHA256": checksum}
                )
                advance(len(chunk))
        result = aws.call(
            "s3",
            "complete_multipart_upload",
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            IfNoneMatch="*",
            **vault.on(bucket),
        )
    except BaseException:
        aws.call("s3", "abort_multipart_upload", Key=key, UploadId=upload_id, **vault.on(bucket))
        raise
    return Uploaded(key, str((result or {}).get("VersionId") or ""), len(parts))


@dataclass(frozen=True)
class Pushed:
    manifest: mf.ModelManifest
    manifest_key: str
    manifest_version_id: str
    parts: int
    code_revision_source: str
    """``--code-revision``, ``git rev-parse HEAD`` or ``unknown``."""


def check_part_size(part_size: int, size: int) -> None:
    if part_size < MIN_PART_SIZE:
        raise UsageError(
            f"--part-size {part_size}: accepted: at least {MIN_PART_SIZE} bytes (S3's smallest part)"
        )
    if size > part_size * MAX_PARTS:
        raise UsageError(
            f"--part-size {part_size}: a {size}-byte artifact would need more than {MAX_PARTS} parts; "
            f"accepted: at least {-(-size // MAX_PARTS)} bytes"
        )


def push(
    aws: Aws,
    vault: VaultStack,
    path: Path,
    model: str,
    *,
    data_versions: Sequence[str] = (),
    datasets: Sequence[str] = (),
    revision: str | None = None,
    image: str | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    cwd: Path | None = None,
    meter: Meter = no_meter,
    now: datetime | None = None,
) -> Pushed:
    """Push ``path`` as a new version of ``model`` (see the module docstring); every input is checked
    before the first write."""
    vault.check_model(model)
    if not path.is_file():
        raise UsageError(
            f"FILE {str(path)!r}: no such file; accepted: the path of the model artifact to push"
        )
    if path.name == MANIFEST:
        raise UsageError(
            f"FILE {str(path)!r}: an artifact may not be named {MANIFEST} (the version's manifest is); "
            "accepted: any other file name"
        )
    size = path.stat().st_size
    check_part_size(part_size, size)
    sha = sha256_file(path)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    version = new_version(sha, moment)
    prefix = vault.candidate_prefix(model, version)
    if find_versions_at(aws, vault, prefix):
        raise UsageError(
            f"version {version} of model {model} already exists (s3://{vault.models_bucket.name}/"
            f"{prefix}); accepted: a new push (versions are never overwritten)"
        )
    lineage = mf.Lineage(
        data=tuple(data_ref(aws, vault, text, meter) for text in data_versions),
        datasets=tuple(dataset_ref(aws, vault, text) for text in datasets),
    )
    rev = code_revision(revision, cwd or Path.cwd())
    source = "--code-revision" if revision else ("unknown" if rev == "unknown" else "git rev-parse HEAD")
    pushed_by = aws.caller()["Arn"]
    key_arn = vault_key_arn(aws, vault, "models")
    artifact = upload_file(aws, vault, path, f"{prefix}{path.name}", key_arn, part_size, meter)
    url = f"s3://{vault.models_bucket.name}/{artifact.key}"
    container: dict[str, Any] = {"ModelDataUrl": url}
    if image:
        container["Image"] = image
    package = aws.call(
        "sagemaker",
        "create_model_package",
        ModelPackageGroupName=vault.package_group(model),
        ModelPackageDescription=f"strongroom vault push {model} {version}",
        ModelApprovalStatus=PENDING,
        InferenceSpecification={"Containers": [container]},
        CustomerMetadataProperties={
            "strongroom:version": version,
            "strongroom:sha256": sha,
            "strongroom:s3-version-id": artifact.version_id,
        },
    )
    manifest = mf.ModelManifest(
        schema=mf.MODEL_SCHEMA,
        environment=vault.stack,
        model=model,
        version=version,
        artifact=mf.ObjectRef(
            bucket=vault.models_bucket.name,
            key=artifact.key,
            version_id=artifact.version_id,
            sha256=sha,
            size=size,
        ),
        lineage=lineage,
        code_revision=rev,
        pushed_by=pushed_by,
        pushed_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        model_package_arn=str((package or {}).get("ModelPackageArn") or "") or None,
    )
    body = mf.sign(aws, vault.signing_key, manifest)
    manifest_key = f"{prefix}{MANIFEST}"
    written = put_bytes(aws, vault, manifest_key, body, key_arn, ContentType="application/json")
    return Pushed(manifest, manifest_key, written.version_id, artifact.parts, source)


def find_versions_at(aws: Aws, vault: VaultStack, prefix: str) -> bool:
    """Whether any object exists under ``prefix`` of the models bucket."""
    found = aws.call("s3", "list_objects_v2", Prefix=prefix, MaxKeys=1, **vault.on(vault.models_bucket))
    return bool((found or {}).get("KeyCount") or (found or {}).get("Contents"))


# --- list -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Production:
    """What ``production/<model>/manifest.json``'s S3 versions name: the current version and earlier ones."""

    current: str | None = None
    earlier: frozenset[str] = frozenset()
    problems: tuple[str, ...] = ()
    readable: bool = True
    """False when the role may not list the production manifest's versions (states are then unknown)."""


def production_history(aws: Aws, vault: VaultStack, model: str) -> Production:
    """Every S3 version of the production manifest, read and verified (an unverified one names nothing)."""
    key = f"{vault.production_prefix(model)}{MANIFEST}"
    bucket = vault.models_bucket
    try:
        found = aws.pages("s3", "list_object_versions", "Versions", Prefix=key, **vault.on(bucket))
    except LiveError as exc:  # the training role may list candidates but not production's history
        return Production(
            readable=False, problems=(f"the production history is not readable: {exc.message}",)
        )
    current: str | None = None
    earlier: set[str] = set()
    problems: list[str] = []
    for item in found:
        if item.get("Key") != key:
            continue
        version_id = str(item.get("VersionId"))
        where = f"s3://{bucket.name}/{key}@{version_id}"
        got = aws.call("s3", "get_object", Key=key, VersionId=version_id, **vault.on(bucket)) or {}
        try:
            envelope = mf.read_envelope(got["Body"].read(), where)
            bad = mf.verify(aws, vault.signing_key, envelope, where)
            named = mf.model_manifest(envelope, where).version
        except mf.ManifestError as exc:
            problems += exc.problems
            continue
        if bad:
            problems += bad
            continue
        if item.get("IsLatest"):
            current = named
        else:
            earlier.add(named)
    return Production(current, frozenset(earlier - ({current} if current else set())), tuple(problems))


@dataclass(frozen=True)
class Listed:
    loaded: Loaded
    state: str

    def to_dict(self) -> dict[str, Any]:
        m = self.loaded.manifest
        out: dict[str, Any] = {
            "version": self.loaded.version,
            "state": self.state,
            "signer": self.loaded.signer,
            "problems": list(self.loaded.problems),
        }
        if m is not None:
            out.update(
                pushed_at=m.pushed_at,
                pushed_by=m.pushed_by,
                sha256=m.artifact.sha256,
                size=m.artifact.size,
                artifact=m.artifact.model_dump(mode="json"),
                code_revision=m.code_revision,
                model_package_arn=m.model_package_arn,
                lineage={
                    "data_objects": len(m.lineage.data),
                    "data": [r.model_dump(mode="json") for r in m.lineage.data],
                    "datasets": [f"{d.dataset}@{d.snapshot}" for d in m.lineage.datasets],
                },
            )
        return out


def list_versions(aws: Aws, vault: VaultStack, model: str) -> tuple[list[Listed], Production]:
    """Every version of ``model``, newest first, with its promotion state (``production``, ``promoted
    earlier``, ``candidate``; ``INVALID: <problem>`` when its manifest does not verify)."""
    vault.check_model(model)
    production = production_history(aws, vault, model)
    listed = []
    for version in find_versions(aws, vault, model):
        loaded = load_version(aws, vault, model, version)
        if loaded.problems:
            state = f"INVALID: {loaded.problems[0]}"
        elif not production.readable:
            state = "unknown (production history not readable)"
        elif version == production.current:
            state = "production"
        elif version in production.earlier:
            state = "promoted earlier"
        else:
            state = "candidate"
        listed.append(Listed(loaded, state))
    return listed, production


def render_list(model: str, listed: list[Listed], production: Production) -> str:
    if not listed:
        return f"{model}: no version pushed\n"
    lines = [f"{model}: {len(listed)} versions, newest first"]
    for item in listed:
        m = item.loaded.manifest
        lines.append(f"{item.loaded.version}  {item.state}")
        if m is None:
            continue
        datasets = ", ".join(f"{d.dataset}@{d.snapshot}" for d in m.lineage.datasets) or "none"
        lines += [
            f"  pushed {m.pushed_at} by {m.pushed_by} (code {m.code_revision})",
            f"  sha256 {m.artifact.sha256}, {m.artifact.size} bytes, S3 version {m.artifact.version_id}",
            f"  lineage: {len(m.lineage.data)} data objects, datasets: {datasets}",
            f"  signed by {item.loaded.signer}",
        ]
        lines += [f"  ! {p}" for p in item.loaded.problems[1:]]
    lines += [f"warning: {p}" for p in production.problems]
    return "\n".join(lines) + "\n"


def render_verification(model: str, result: Verification) -> str:
    head = f"{model} {result.loaded.version}"
    if result.intact:
        return (
            f"{head}: intact (sha256 {result.sha256}, S3 version {result.s3_version_id}, signed by "
            f"{result.loaded.signer})\n"
        )
    return (
        "\n".join([f"{head}: {len(result.problems)} differences", *(f"  - {p}" for p in result.problems)])
        + "\n"
    )


def verification_json(model: str, result: Verification) -> str:
    return (
        json.dumps(
            {
                "model": model,
                "version": result.loaded.version,
                "intact": result.intact,
                "sha256": result.sha256,
                "s3_version_id": result.s3_version_id,
                "size": result.size,
                "signer": result.loaded.signer,
                "problems": list(result.problems),
            },
            indent=2,
        )
        + "\n"
    )
