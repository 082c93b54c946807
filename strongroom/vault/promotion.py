"""``vault promote`` and ``vault rollback``: the model approver's two writes to ``production/<model>/``.

Production holds two keys per model, ``production/<model>/artifact`` and ``production/<model>/manifest.json``;
each promotion or rollback writes a new S3 version of both (artifact first: a reader that finds a manifest
whose artifact does not hash to it refuses it, so a half-done pair fails closed). Nothing is ever deleted:
every earlier production version stays readable by its version ID, which is what ``rollback`` copies.

``promote`` is the seed's automated security gate: a candidate goes to production only when its signed
manifest verifies with the environment's signing key, the artifact's current bytes and S3 version are the
ones the manifest records, and a model package of the model's package group is ``Approved`` with exactly
that artifact as its ``ModelDataUrl``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strongroom.errors import UsageError
from strongroom.live.aws import Aws
from strongroom.vault import manifest as mf
from strongroom.vault.models import Refused, expected_fields, resolve_version, verify_version
from strongroom.vault.stack import MANIFEST, VaultStack, check_version, key_arn, sha256_body

ARTIFACT = "artifact"
"""The production artifact's key under ``production/<model>/``."""
VERSION_METADATA = "strongroom-version"
SHA256_METADATA = "strongroom-sha256"
APPROVED = "Approved"


@dataclass(frozen=True)
class Current:
    """What production holds for a model: the vault version and the two objects' S3 versions."""

    version: str
    artifact_s3_version: str
    manifest_s3_version: str

    def describe(self) -> str:
        return (
            f"{self.version} (artifact S3 version {self.artifact_s3_version}, manifest S3 version "
            f"{self.manifest_s3_version})"
        )


@dataclass(frozen=True)
class Outcome:
    model: str
    version: str
    production: str
    """``s3://<models bucket>/production/<model>/``."""
    before: Current | None
    after: Current
    gate: str = ""
    """Promote: the Approved model package that let it through."""

    def lines(self, verb: str) -> list[str]:
        out = [f"{verb} {self.model} {self.version} into {self.production}"]
        if self.gate:
            out.append(f"  gate:   {self.gate}")
        out.append(
            f"  before: {self.before.describe() if self.before else 'none (nothing was in production)'}"
        )
        out.append(f"  after:  {self.after.describe()}")
        return out


def _s3(aws: Aws, vault: VaultStack, operation: str, **params: Any) -> dict[str, Any] | None:
    """An S3 call on the models bucket, refused by S3 if another account owns it."""
    return aws.call("s3", operation, **vault.on(vault.models_bucket), **params)


def _url(vault: VaultStack, key: str) -> str:
    return f"s3://{vault.models_bucket.name}/{key}"


def _get(aws: Aws, vault: VaultStack, key: str, version_id: str | None = None) -> dict[str, Any] | None:
    """GetObject of (a version of) an object of the models bucket; None when it does not exist."""
    params: dict[str, Any] = {"Key": key}
    if version_id:
        params["VersionId"] = version_id
    return _s3(aws, vault, "get_object", missing=("NoSuchKey", "NoSuchVersion", "404"), **params)


def _read(aws: Aws, vault: VaultStack, key: str, version_id: str | None = None) -> tuple[bytes, str] | None:
    """The bytes and S3 version ID of a (small) object of the models bucket; None when it does not exist."""
    result = _get(aws, vault, key, version_id)
    if result is None:
        return None
    return result["Body"].read(), str(result.get("VersionId", ""))


def _hash(aws: Aws, vault: VaultStack, key: str, version_id: str | None = None) -> tuple[str, str] | None:
    """SHA-256 (hex) of an object's bytes, streamed, and the S3 version read; None when it is missing."""
    result = _get(aws, vault, key, version_id)
    if result is None:
        return None
    return sha256_body(result["Body"]), str(result.get("VersionId", ""))


def _package_urls(description: dict[str, Any]) -> list[str]:
    containers = (description.get("InferenceSpecification") or {}).get("Containers") or []
    return [str(c["ModelDataUrl"]) for c in containers if c.get("ModelDataUrl")]


def package_gate(aws: Aws, vault: VaultStack, model: str, url: str) -> tuple[str, list[str]]:
    """The Approved model package of ``model``'s package group whose ``ModelDataUrl`` is exactly ``url``:
    (its description, no problems), or ("", why not)."""
    group = vault.package_group(model)
    summaries = aws.pages(
        "sagemaker", "list_model_packages", "ModelPackageSummaryList", ModelPackageGroupName=group
    )
    of_artifact: list[str] = []
    approved_other: list[str] = []
    for summary in summaries:
        arn = str(summary["ModelPackageArn"])
        described = aws.call("sagemaker", "describe_model_package", ModelPackageName=arn) or {}
        status = str(described.get("ModelApprovalStatus", ""))
        urls = _package_urls(described)
        if url in urls:
            if status == APPROVED:
                return f"model package {arn} {APPROVED}, ModelDataUrl {url}", []
            of_artifact.append(f"{arn} ({status or 'no approval status'})")
        elif status == APPROVED:
            approved_other.append(f"{arn} ({', '.join(urls) or 'no ModelDataUrl'})")
    why = f"no {APPROVED} model package in group {group} has ModelDataUrl {url}"
    if of_artifact:
        why += f"; packages of this artifact: {', '.join(of_artifact)}: approve one first"
    if approved_other:
        why += f"; {APPROVED} packages of other artifacts: {', '.join(approved_other)}"
    if not summaries:
        why += " (the group has no model package: register one with this artifact and approve it)"
    return "", [why]


def current(aws: Aws, vault: VaultStack, model: str) -> Current | None:
    """What production holds for ``model`` now (None: never promoted)."""
    prefix = vault.production_prefix(model)
    manifest = _read(aws, vault, f"{prefix}{MANIFEST}")
    artifact = _s3(aws, vault, "head_object", missing=("NoSuchKey", "404"), Key=f"{prefix}{ARTIFACT}")
    if manifest is None or artifact is None:
        return None
    body, manifest_version = manifest
    try:
        version = str(mf.read_envelope(body, "").manifest.get("version", "?"))
    except mf.ManifestError:
        version = "unreadable manifest"
    return Current(version, str(artifact.get("VersionId", "")), manifest_version)


def _copy(
    aws: Aws, vault: VaultStack, key: str, source: str, source_version: str, version: str, sha: str
) -> str:
    """Copy one exact S3 version of the models bucket to ``key`` as its new current version: SSE-KMS with
    the models key, SHA-256 checksum, the vault version and artifact SHA-256 as metadata. Its version ID."""
    result = _s3(
        aws,
        vault,
        "copy_object",
        Key=key,
        CopySource={"Bucket": vault.models_bucket.name, "Key": source, "VersionId": source_version},
        ExpectedSourceBucketOwner=vault.account,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_arn(aws, vault, "models"),
        ChecksumAlgorithm="SHA256",
        MetadataDirective="REPLACE",
        Metadata={VERSION_METADATA: version, SHA256_METADATA: sha},
    )
    return str((result or {}).get("VersionId", ""))


def _install(
    aws: Aws,
    vault: VaultStack,
    manifest: mf.ModelManifest,
    artifact_source: tuple[str, str],
    manifest_source: tuple[str, str],
) -> Current:
    """Copy the artifact, then the manifest, over production's current versions; re-read the artifact and
    check it is byte-identical (SHA-256) to the manifest's."""
    prefix = vault.production_prefix(manifest.model)
    sha = manifest.artifact.sha256
    artifact_version = _copy(aws, vault, f"{prefix}{ARTIFACT}", *artifact_source, manifest.version, sha)
    manifest_version = _copy(aws, vault, f"{prefix}{MANIFEST}", *manifest_source, manifest.version, sha)
    found = _hash(aws, vault, f"{prefix}{ARTIFACT}")
    if found is None or found != (sha, artifact_version):
        got = f"SHA-256 {found[0]} at S3 version {found[1]}" if found else "nothing"
        raise Refused(
            [
                f"{_url(vault, prefix + ARTIFACT)}: after the copy it holds {got}, not SHA-256 {sha} at S3 "
                f"version {artifact_version}: production was changed meanwhile, investigate"
            ]
        )
    return Current(manifest.version, artifact_version, manifest_version)


def promote(aws: Aws, vault: VaultStack, model: str, version: str) -> Outcome:
    """Copy candidate ``version`` of ``model`` into production if it passes the gate (else refused): its
    manifest and artifact verify (:func:`~strongroom.vault.models.verify_version`) and a model package of
    exactly that artifact is approved."""
    vault.check_model(model)
    check_version(version)
    resolve_version(aws, vault, model, version)
    verified = verify_version(aws, vault, model, version)
    loaded, manifest = verified.loaded, verified.loaded.manifest
    if manifest is None:
        raise Refused(list(verified.problems))
    artifact = manifest.artifact
    gate, refused = package_gate(aws, vault, model, _url(vault, artifact.key))
    if verified.problems or refused:
        raise Refused([*verified.problems, *refused])
    before = current(aws, vault, model)
    after = _install(
        aws,
        vault,
        manifest,
        (artifact.key, artifact.version_id),
        (loaded.key, str(loaded.s3_version_id or "")),
    )
    return Outcome(model, version, _url(vault, vault.production_prefix(model)), before, after, gate)


def _newest_first(versions: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The versions of ``key``, in ListObjectVersions' order: newest first (LastModified has only second
    precision, so it cannot order two promotions of one second)."""
    return [v for v in versions if v.get("Key") == key]


def rollback(aws: Aws, vault: VaultStack, model: str, to: str) -> Outcome:
    """Make ``to``, a version that was in production before, current again by copying its production S3
    versions over as new versions (never deleting anything)."""
    vault.check_model(model)
    check_version(to, "--to")
    prefix = vault.production_prefix(model)
    versions = aws.pages(
        "s3", "list_object_versions", "Versions", Prefix=prefix, **vault.on(vault.models_bucket)
    )
    manifest_key, artifact_key = f"{prefix}{MANIFEST}", f"{prefix}{ARTIFACT}"
    seen: list[str] = []
    chosen: tuple[mf.Envelope, str] | None = None
    for item in _newest_first(versions, manifest_key):
        found = _read(aws, vault, manifest_key, str(item["VersionId"]))
        if found is None:
            continue
        try:
            envelope = mf.read_envelope(found[0], "")
        except mf.ManifestError:
            continue
        named = str(envelope.manifest.get("version", ""))
        if named == to:
            chosen = (envelope, found[1])
            break
        if named not in seen:
            seen.append(named)
    if chosen is None:
        raise _never_promoted(aws, vault, model, to, seen)
    envelope, manifest_s3_version = chosen
    where = f"{_url(vault, manifest_key)} (S3 version {manifest_s3_version})"
    problems = mf.verify(aws, vault.signing_key, envelope, where)
    manifest = mf.model_manifest(envelope, where)
    problems += expected_fields(vault, model, to, manifest, where)
    if problems:
        raise Refused(problems)
    artifact_s3_version, checked = _intact_artifact(aws, vault, artifact_key, manifest, versions)
    if artifact_s3_version is None:
        raise Refused(
            [
                f"{_url(vault, artifact_key)}: no S3 version holds {to}'s artifact (SHA-256 "
                f"{manifest.artifact.sha256}); checked: {', '.join(checked) or 'none'}"
            ]
        )
    before = current(aws, vault, model)
    after = _install(
        aws, vault, manifest, (artifact_key, artifact_s3_version), (manifest_key, manifest_s3_version)
    )
    return Outcome(model, to, _url(vault, prefix), before, after)


def _intact_artifact(
    aws: Aws, vault: VaultStack, key: str, manifest: mf.ModelManifest, versions: list[dict[str, Any]]
) -> tuple[str | None, list[str]]:
    """The newest S3 version of the production artifact that was ``manifest``'s (by its metadata) and whose
    bytes hash to the manifest's SHA-256; and what was checked."""
    checked: list[str] = []
    for item in _newest_first(versions, key):
        version_id = str(item["VersionId"])
        head = _s3(
            aws,
            vault,
            "head_object",
            missing=("NoSuchKey", "NoSuchVersion", "404"),
            Key=key,
            VersionId=version_id,
        )
        metadata = (head or {}).get("Metadata", {})
        if metadata.get(VERSION_METADATA) != manifest.version:
            continue
        found = _hash(aws, vault, key, version_id)
        if found is not None and found[0] == manifest.artifact.sha256:
            return version_id, checked
        checked.append(f"S3 version {version_id}: SHA-256 {found[0] if found else 'missing'}")
    return None, checked


def _never_promoted(aws: Aws, vault: VaultStack, model: str, to: str, seen: list[str]) -> UsageError:
    accepted = ", ".join(seen) or f"none (model {model} was never promoted)"
    message = (
        f"--to {to!r}: version {to} of model {model} was never in production "
        f"({_url(vault, vault.production_prefix(model) + MANIFEST)}); accepted, the versions that were, "
        f"newest first: {accepted}"
    )
    candidate = _s3(
        aws,
        vault,
        "head_object",
        missing=("NoSuchKey", "404"),
        Key=f"{vault.candidate_prefix(model, to)}{MANIFEST}",
    )
    if candidate is not None:
        message += (
            f". {to} is a candidate: promote it instead (strongroom vault promote --model {model} "
            f"--version {to})"
        )
    return UsageError(message)
