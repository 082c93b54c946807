"""``vault snapshot``: the exact object versions under a data prefix, recorded as a signed dataset manifest.

Run as the training role (the signer that reads curated data). Every object current under
``<training data prefix><prefix>`` of a domain's data bucket is recorded by key, S3 version ID, size and
SHA-256: S3's stored full-object SHA-256 when the object has one (``HeadObject`` with
``ChecksumMode=ENABLED``), else its bytes streamed and hashed. The manifest is signed with the
environment's signing key and written to ``datasets/<dataset>/<snapshot>.json`` of the models bucket;
``<snapshot>`` is a vault version whose hash part is the SHA-256 of the sorted object list. The data
bucket is versioned and never loses a version, so a snapshot names bytes that can be read back exactly
even after the data changed (``vault restore`` brings a version back).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from strongroom.components.layout import TRAINING_DATA_PREFIX
from strongroom.errors import UsageError
from strongroom.live.aws import Aws
from strongroom.vault import manifest as mf
from strongroom.vault.stack import Bucket, VaultStack, key_arn, new_version, sha256_body


@dataclass(frozen=True)
class Snapshot:
    """What ``vault snapshot`` wrote."""

    manifest: mf.DatasetManifest
    key: str
    """Key of the signed manifest in the models bucket."""
    s3_version: str
    bucket: str
    """The models bucket."""

    @property
    def total_bytes(self) -> int:
        return sum(o.size or 0 for o in self.manifest.objects)

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.manifest.snapshot,
            "dataset": self.manifest.dataset,
            "objects": len(self.manifest.objects),
            "total_bytes": self.total_bytes,
            "manifest": {"bucket": self.bucket, "key": self.key, "version_id": self.s3_version},
        }

    def lines(self) -> list[str]:
        m = self.manifest
        return [
            f"snapshot {m.snapshot} of dataset {m.dataset} (s3://{m.bucket}/{m.prefix})",
            f"  objects:  {len(m.objects)}, {self.total_bytes} bytes",
            f"  manifest: s3://{self.bucket}/{self.key} (S3 version {self.s3_version})",
        ]


def check_prefix(prefix: str) -> str:
    """``--prefix``: a key prefix under the training data prefix."""
    if prefix.startswith("/") or "*" in prefix or ".." in prefix.split("/"):
        raise UsageError(
            f"--prefix {prefix!r}: accepted: a key prefix under {TRAINING_DATA_PREFIX} of the data bucket, "
            "without a leading '/', '*' or '..' (for example 'loans/2026/')"
        )
    return prefix


def full_object_sha256(head: dict[str, Any]) -> str | None:
    """S3's stored SHA-256 of the whole object (hex), or None when it has none or only a composite one (a
    multipart upload's checksum of part checksums, ``<base64>-<parts>`` or ``ChecksumType`` COMPOSITE)."""
    stored = head.get("ChecksumSHA256")
    if not stored or "-" in str(stored) or head.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
        return None
    try:
        digest = base64.b64decode(str(stored), validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest.hex() if len(digest) == 32 else None


def _object(aws: Aws, vault: VaultStack, bucket: Bucket, key: str) -> mf.ObjectRef | None:
    """The current version of ``key``: version ID, size, SHA-256. None when it vanished since the list."""
    head = aws.call(
        "s3", "head_object", missing=("NoSuchKey", "404"), Key=key, ChecksumMode="ENABLED", **vault.on(bucket)
    )
    if head is None:
        return None
    version_id = str(head.get("VersionId") or "null")
    sha256 = full_object_sha256(head)
    if sha256 is None:  # no full-object checksum stored: read exactly that version and hash it
        got = aws.call("s3", "get_object", Key=key, VersionId=version_id, **vault.on(bucket))
        assert got is not None
        sha256 = sha256_body(got["Body"])
    return mf.ObjectRef(
        bucket=bucket.name,
        key=key,
        version_id=version_id,
        sha256=sha256,
        size=int(head.get("ContentLength", 0)),
    )


def objects_digest(objects: list[mf.ObjectRef]) -> str:
    """SHA-256 (hex) of the sorted object list: the content part of the snapshot's name."""
    listed = sorted([o.key, o.version_id, o.sha256, o.size] for o in objects)
    return hashlib.sha256(json.dumps(listed, separators=(",", ":")).encode("utf-8")).hexdigest()


def snapshot(
    aws: Aws, vault: VaultStack, dataset: str, prefix: str = "", now: datetime | None = None
) -> Snapshot:
    """Record every object current under the training data prefix (+ ``prefix``) of ``dataset``'s data
    bucket as a signed dataset manifest in the models bucket."""
    bucket = vault.data_bucket(dataset)
    full = f"{TRAINING_DATA_PREFIX}{check_prefix(prefix)}"
    listed = aws.pages("s3", "list_objects_v2", "Contents", Prefix=full, **vault.on(bucket))
    keys = sorted({str(item["Key"]) for item in listed})
    objects = sorted(
        (ref for ref in aws.map(lambda key: _object(aws, vault, bucket, key), keys) if ref is not None),
        key=lambda ref: ref.key,
    )
    if not objects:
        raise UsageError(
            f"--dataset {dataset} --prefix {prefix!r}: no object under s3://{bucket.name}/{full}; "
            "accepted: a prefix that holds the data to snapshot"
        )
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    manifest = mf.DatasetManifest(
        schema=mf.DATASET_SCHEMA,
        environment=vault.stack,
        dataset=dataset,
        snapshot=new_version(objects_digest(objects), moment),
        bucket=bucket.name,
        prefix=full,
        objects=tuple(objects),
        taken_by=aws.caller()["Arn"],
        taken_at=f"{moment:%Y-%m-%dT%H:%M:%SZ}",
    )
    body = mf.sign(aws, vault.signing_key, manifest)
    key = vault.dataset_key(dataset, manifest.snapshot)
    put = aws.call(
        "s3",
        "put_object",
        Key=key,
        Body=body,
        ContentType="application/json",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_arn(aws, vault, "models"),
        ChecksumAlgorithm="SHA256",
        **vault.on(vault.models_bucket),
    )
    return Snapshot(manifest, key, str((put or {}).get("VersionId", "")), vault.models_bucket.name)
