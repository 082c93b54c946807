"""Signed manifests: what an artifact or a dataset snapshot is, bound to its bytes by a KMS signature.

A manifest is a JSON document (:class:`ModelManifest`, :class:`DatasetManifest`). Its canonical form
(:func:`canonical`: sorted keys, no spaces, UTF-8) is hashed with SHA-256 and the digest signed with the
environment's asymmetric signing key (``alias/strongroom-<env>-signing``, ECC_NIST_P256, ECDSA_SHA_256),
which only the training and CI deployer roles may use to sign. The stored object is an
:class:`Envelope`: the manifest and its signature.

Verification (:func:`verify`) recomputes the digest from the manifest as stored, asks KMS to verify it with
the environment's signing key named by its alias (never the key an envelope names: a forger would name
their own) and checks that the envelope's key is that key. Any change to the manifest changes the digest;
any change to the artifact changes its SHA-256, which the manifest records.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from strongroom.live.aws import Aws, LiveError

ALGORITHM: Final = "ECDSA_SHA_256"
MODEL_SCHEMA: Final = "strongroom.vault/model-manifest/v1"
DATASET_SCHEMA: Final = "strongroom.vault/dataset-manifest/v1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObjectRef(_Strict):
    """One exact S3 object version and its content's SHA-256 (hex)."""

    bucket: str
    key: str
    version_id: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int | None = None


class DatasetRef(_Strict):
    """A signed dataset snapshot a model was trained on (its manifest object, exact version)."""

    dataset: str
    snapshot: str
    manifest: ObjectRef


class Lineage(_Strict):
    data: tuple[ObjectRef, ...] = ()
    """Training data objects, each an exact version."""
    datasets: tuple[DatasetRef, ...] = ()
    """Dataset snapshots (``vault snapshot``) the model was trained on."""


class ModelManifest(_Strict):
    schema_: Literal["strongroom.vault/model-manifest/v1"] = Field(MODEL_SCHEMA, alias="schema")
    environment: str
    model: str
    version: str
    artifact: ObjectRef
    lineage: Lineage = Lineage()
    code_revision: str
    pushed_by: str
    pushed_at: str
    model_package_arn: str | None = None
    """The model package ``vault push`` registered (PendingManualApproval) for this artifact."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DatasetManifest(_Strict):
    schema_: Literal["strongroom.vault/dataset-manifest/v1"] = Field(DATASET_SCHEMA, alias="schema")
    environment: str
    dataset: str
    snapshot: str
    bucket: str
    prefix: str
    objects: tuple[ObjectRef, ...]
    taken_by: str
    taken_at: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Signature(_Strict):
    key_id: str
    """ARN of the key that signed (informative: verification uses the environment's key by alias)."""
    algorithm: Literal["ECDSA_SHA_256"] = ALGORITHM
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    """SHA-256 (hex) of the manifest's canonical form."""
    value: str
    """The signature, base64."""


class Envelope(_Strict):
    manifest: dict[str, Any]
    signature: Signature


class ManifestError(Exception):
    """A manifest that cannot be read or does not verify: ``problems`` names each difference."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def canonical(manifest: BaseModel | dict[str, Any]) -> bytes:
    """The bytes that are signed: the manifest as JSON with sorted keys, no spaces, UTF-8."""
    data = manifest.model_dump(mode="json", by_alias=True) if isinstance(manifest, BaseModel) else manifest
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(aws: Aws, key_alias: str, manifest: BaseModel) -> bytes:
    """The envelope of ``manifest`` signed with ``key_alias``: the bytes to store (pretty JSON)."""
    body = canonical(manifest)
    digest = hashlib.sha256(body).digest()
    result = aws.call(
        "kms",
        "sign",
        KeyId=key_alias,
        Message=digest,
        MessageType="DIGEST",
        SigningAlgorithm=ALGORITHM,
    )
    assert result is not None
    envelope = Envelope(
        manifest=json.loads(body),
        signature=Signature(
            key_id=str(result["KeyId"]),
            digest=digest.hex(),
            value=base64.b64encode(result["Signature"]).decode("ascii"),
        ),
    )
    return (json.dumps(envelope.model_dump(mode="json"), indent=2, sort_keys=True) + "\n").encode("utf-8")


def read_envelope(body: bytes, where: str) -> Envelope:
    try:
        return Envelope.model_validate_json(body)
    except ValidationError as exc:
        problem = f"{where}: not a signed manifest ({exc.error_count()} problems: {exc})"
        raise ManifestError([problem]) from None


def key_arn(aws: Aws, key_alias: str) -> str:
    """The ARN of the key behind ``key_alias`` (``kms:DescribeKey``, asked once per session); empty when
    there is none."""

    def describe() -> str:
        result = aws.call("kms", "describe_key", KeyId=key_alias) or {}
        return str(result.get("KeyMetadata", {}).get("Arn", ""))

    return aws.memo(("vault.key-arn", aws.region, key_alias), describe)


def verify(aws: Aws, key_alias: str, envelope: Envelope, where: str) -> list[str]:
    """The problems of ``envelope`` (empty when its signature is the environment's and matches)."""
    problems: list[str] = []
    digest = hashlib.sha256(canonical(envelope.manifest)).digest()
    if digest.hex() != envelope.signature.digest:
        problems.append(
            f"{where}: the manifest was changed after signing (its SHA-256 is {digest.hex()}, the signed "
            f"digest {envelope.signature.digest})"
        )
    expected = key_arn(aws, key_alias)
    if envelope.signature.key_id != expected:
        problems.append(
            f"{where}: signed by key {envelope.signature.key_id}, not the environment's signing key "
            f"{expected} ({key_alias})"
        )
    try:
        signature = base64.b64decode(envelope.signature.value, validate=True)
    except ValueError:
        return [*problems, f"{where}: the signature is not base64"]
    try:
        result = aws.call(
            "kms",
            "verify",
            missing=("KMSInvalidSignatureException",),
            KeyId=key_alias,
            Message=digest,
            MessageType="DIGEST",
            Signature=signature,
            SigningAlgorithm=ALGORITHM,
        )
    except LiveError as exc:
        raise ManifestError([f"{where}: could not verify the signature: {exc.message}"]) from None
    if result is None or not result.get("SignatureValid"):
        problems.append(f"{where}: the signature does not match the manifest (signing key {key_alias})")
    return problems


def model_manifest(envelope: Envelope, where: str) -> ModelManifest:
    try:
        return ModelManifest.model_validate(envelope.manifest)
    except ValidationError as exc:
        raise ManifestError([f"{where}: not a model manifest: {exc}"]) from None


def dataset_manifest(envelope: Envelope, where: str) -> DatasetManifest:
    try:
        return DatasetManifest.model_validate(envelope.manifest)
    except ValidationError as exc:
        raise ManifestError([f"{where}: not a dataset manifest: {exc}"]) from None
