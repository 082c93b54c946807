"""``strongroom vault restore`` and ``strongroom vault status``: bring a good copy back, watch the copies.

Both run as the stack's **recovery** role (``components.policydocs.iam.recovery_policy``): it reads every
version of the data, models, backup and replica buckets and writes new versions into the data and models
buckets, and may delete nothing.

**restore** makes a good copy of one object current again without deleting anything: where the issue says
"remove the delete marker", restore copies the chosen version over the marker as a new current version
(``DeleteObject`` on a version is what "no command ever deletes an object version" forbids); the marker
and every older version stay in the history. Candidates, newest first: the versions of the key in the
bucket itself, in the dataset's Object Lock backup bucket and in its replica in the replica region (S3
replication keeps the version ID; delete markers are not replicated). A copy is *intact* when its SHA-256
is the one a verified, signed manifest records for that key: a model manifest (the candidate's
``candidates/<model>/<version>/manifest.json``, every version of ``production/<model>/manifest.json``) or
the newest dataset snapshot manifest (``datasets/<domain>/*.json`` in the models bucket, or its backup)
that names the key. Without a manifest naming the key, restore refuses unless ``--version`` names the copy.

**status** reports, for each data and models bucket, its replication rules and their destinations, each
destination's Object Lock, the source versions a destination does not hold yet (by version ID) and their
age, source versions whose ``ReplicationStatus`` is FAILED, and the CloudWatch replication metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from strongroom.errors import UsageError
from strongroom.live.aws import Aws, LiveError, Unreachable
from strongroom.vault import manifest as mf
from strongroom.vault.data import full_object_sha256
from strongroom.vault.models import Refused
from strongroom.vault.stack import (
    CANDIDATES_PREFIX,
    MANIFEST,
    MODELS,
    PRODUCTION_PREFIX,
    Bucket,
    VaultStack,
    key_arn,
    sha256_body,
)

ROLE = "recovery"
DATASETS_PREFIX = "datasets/"
"""Dataset snapshot manifests in the models bucket: ``datasets/<domain>/<snapshot>.json``."""
RTC_MINUTES = 15
"""Replication Time Control's window (``components.replication.REPLICATION_MINUTES``)."""
MAX_COPY_BYTES = 5 * 1024**3
"""CopyObject copies at most 5 GiB in one request."""
MANIFEST_SCAN = 200
"""At most this many dataset snapshot manifests are read, newest first, to find one naming the key."""
SHA256_HEX = 64


@dataclass(frozen=True)
class Copy:
    """One stored version of the key: where it is and when it was written."""

    where: str
    """``bucket`` (the bucket itself), ``backup`` (the dataset's Object Lock bucket) or ``replica``."""
    bucket: Bucket
    version_id: str
    last_modified: datetime
    size: int
    is_latest: bool

    def describe(self) -> str:
        return f"s3://{self.bucket.name}/?versionId={self.version_id} ({self.where}, {self.bucket.region})"


@dataclass(frozen=True)
class Expected:
    """The SHA-256 (hex) a signed, verified manifest records for the key, and which manifest."""

    sha256: str
    manifest: str


@dataclass
class Restore:
    """What restore chose and did."""

    bucket: Bucket
    key: str
    before: str
    """What was current before: a delete marker, a bad version, nothing, or an intact version."""
    expected: tuple[Expected, ...]
    source: Copy | None = None
    source_sha256: str = ""
    new_version: str | None = None
    dry_run: bool = False
    already_intact: bool = False
    skipped: list[str] = field(default_factory=list)
    """Copies looked at and rejected (newest first), and manifests that did not verify."""


# --- reading ---------------------------------------------------------------------------------------------


def _s3(aws: Aws, vault: VaultStack, bucket: Bucket, operation: str, **params: Any) -> dict[str, Any]:
    return aws.call("s3", operation, **vault.on(bucket), **params) or {}


def versions(
    aws: Aws, vault: VaultStack, bucket: Bucket, prefix: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(versions, delete markers) under ``prefix`` in ``bucket``, every page (``ListObjectVersions``)."""
    found: list[dict[str, Any]] = []
    markers: list[dict[str, Any]] = []
    page: dict[str, Any] = {}
    while True:
        more = {"KeyMarker": page["NextKeyMarker"]} if page.get("NextKeyMarker") else {}
        if page.get("NextVersionIdMarker"):
            more["VersionIdMarker"] = page["NextVersionIdMarker"]
        page = _s3(aws, vault, bucket, "list_object_versions", Prefix=prefix, **more)
        found.extend(page.get("Versions", []))
        markers.extend(page.get("DeleteMarkers", []))
        if not page.get("IsTruncated"):
            return found, markers


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(0, UTC)


def copies_of(aws: Aws, vault: VaultStack, where: str, bucket: Bucket, key: str) -> list[Copy]:
    found, _ = versions(aws, vault, bucket, key)
    return [
        Copy(
            where=where,
            bucket=bucket,
            version_id=str(v.get("VersionId")),
            last_modified=_when(v.get("LastModified")),
            size=int(v.get("Size", 0)),
            is_latest=bool(v.get("IsLatest")),
        )
        for v in found
        if v.get("Key") == key
    ]


def sha256_of(aws: Aws, vault: VaultStack, bucket: Bucket, key: str, version_id: str) -> str:
    """The SHA-256 (hex) of one version: S3's full-object checksum when it stored one
    (``GetObjectAttributes``), else computed from the bytes (``GetObject`` of that version, streamed)."""
    attributes = _s3(
        aws,
        vault,
        bucket,
        "get_object_attributes",
        Key=key,
        VersionId=version_id,
        ObjectAttributes=["Checksum", "ObjectSize"],
    )
    hexed = full_object_sha256(attributes.get("Checksum", {}))
    if hexed:
        return hexed
    return sha256_body(_s3(aws, vault, bucket, "get_object", Key=key, VersionId=version_id)["Body"])


def _read_manifest(aws: Aws, vault: VaultStack, bucket: Bucket, key: str, version_id: str) -> mf.Envelope:
    where = f"s3://{bucket.name}/{key}?versionId={version_id}"
    body = _s3(aws, vault, bucket, "get_object", Key=key, VersionId=version_id)["Body"]
    try:
        return mf.read_envelope(body.read(), where)
    finally:
        body.close()


def _manifest_versions(aws: Aws, vault: VaultStack, key: str) -> list[tuple[Bucket, str, str]]:
    """Every stored version of manifest ``key`` (newest first): from the models bucket, else (deleted there)
    from the models backup bucket."""
    places = [vault.models_bucket]
    if MODELS in vault.backup_buckets:
        places.append(vault.backup_buckets[MODELS])
    for place in places:
        found = sorted(
            copies_of(aws, vault, "manifest", place, key), key=lambda c: c.last_modified, reverse=True
        )
        if found:
            return [(place, key, c.version_id) for c in found]
    return []


def _verified(
    aws: Aws, vault: VaultStack, bucket: Bucket, key: str, version_id: str, skipped: list[str]
) -> mf.Envelope | None:
    where = f"s3://{bucket.name}/{key}?versionId={version_id}"
    try:
        envelope = _read_manifest(aws, vault, bucket, key, version_id)
        problems = mf.verify(aws, vault.signing_key, envelope, where)
    except mf.ManifestError as exc:
        problems = exc.problems
        envelope = None
    if problems:
        skipped.extend(f"manifest not used: {p}" for p in problems)
        return None
    return envelope


def model_expectations(aws: Aws, vault: VaultStack, key: str, skipped: list[str]) -> list[Expected]:
    """SHA-256s the verified model manifests record for ``key`` of the models bucket."""
    parts = key.split("/")
    if key.startswith(CANDIDATES_PREFIX) and len(parts) >= 4:
        manifest_key = "/".join(parts[:3]) + f"/{MANIFEST}"
    elif key.startswith(PRODUCTION_PREFIX) and len(parts) >= 3:
        manifest_key = "/".join(parts[:2]) + f"/{MANIFEST}"
    else:
        return []
    if manifest_key == key:
        return []
    out: list[Expected] = []
    for bucket, mkey, version_id in _manifest_versions(aws, vault, manifest_key):
        envelope = _verified(aws, vault, bucket, mkey, version_id, skipped)
        if envelope is None:
            continue
        where = f"s3://{bucket.name}/{mkey}?versionId={version_id}"
        try:
            manifest = mf.model_manifest(envelope, where)
        except mf.ManifestError as exc:
            skipped.extend(f"manifest not used: {p}" for p in exc.problems)
            continue
        ref = manifest.artifact
        if ref.key == key and ref.bucket == vault.models_bucket.name:
            out.append(Expected(ref.sha256, f"{where} (model {manifest.model} version {manifest.version})"))
    return out


def dataset_expectations(
    aws: Aws, vault: VaultStack, domain: str, bucket: Bucket, key: str, skipped: list[str]
) -> list[Expected]:
    """The SHA-256 the newest verified dataset snapshot manifest naming ``key`` records. Every stored
    version under ``datasets/<domain>/`` counts, a deleted snapshot's too, in the models bucket and in its
    Object Lock backup (where a snapshot deleted and expired in the models bucket is kept)."""
    prefix = f"{DATASETS_PREFIX}{domain}/"
    places = [vault.models_bucket]
    if MODELS in vault.backup_buckets:
        places.append(vault.backup_buckets[MODELS])
    stored: dict[str, tuple[datetime, Bucket, str, str]] = {}
    for place in places:
        found, _ = versions(aws, vault, place, prefix)
        for v in found:
            mkey, version_id = str(v.get("Key", "")), str(v.get("VersionId", "null"))
            if mkey.endswith(".json") and version_id not in stored:
                stored[version_id] = (_when(v.get("LastModified")), place, mkey, version_id)
    newest = sorted(stored.values(), key=lambda m: (m[0], m[2]), reverse=True)[:MANIFEST_SCAN]
    for _, place, mkey, version_id in newest:
        where = f"s3://{place.name}/{mkey}?versionId={version_id}"
        try:
            envelope = _read_manifest(aws, vault, place, mkey, version_id)
            manifest = mf.dataset_manifest(envelope, where)
        except mf.ManifestError as exc:
            skipped.extend(f"manifest not used: {p}" for p in exc.problems)
            continue
        named = [o for o in manifest.objects if o.key == key and o.bucket == bucket.name]
        if not named:
            continue
        problems = mf.verify(aws, vault.signing_key, envelope, where)
        if problems:
            skipped.extend(f"manifest not used: {p}" for p in problems)
            continue
        return [
            Expected(named[0].sha256, f"{where} (dataset {manifest.dataset} snapshot {manifest.snapshot})")
        ]
    return []


# --- restore ---------------------------------------------------------------------------------------------


def _target(vault: VaultStack, name: str) -> tuple[str, Bucket]:
    dataset, bucket = vault.bucket(name)
    writable = {vault.models_bucket.name, *(b.name for b in vault.data_buckets.values())}
    if bucket.name not in writable:
        accepted = ", ".join([MODELS, *(f"data-{d}" for d in vault.data_buckets)])
        raise UsageError(
            f"--bucket {name!r}: a backup or replica bucket is written by replication only, never restored "
            f"into; accepted: {accepted} (or their physical names); restore reads the backups itself"
        )
    return dataset, bucket


def _key_of(key: str) -> str:
    if not key or key.startswith("/") or len(key.encode("utf-8")) > 1024:
        raise UsageError(f"--key {key!r}: accepted: an S3 object key (1-1024 bytes, no leading '/')")
    return key


def restore(
    aws: Aws, vault: VaultStack, bucket_name: str, key: str, version: str | None = None, dry_run: bool = False
) -> Restore:
    """Make an intact copy of ``key`` current in the bucket ``bucket_name`` (see the module docstring)."""
    dataset, bucket = _target(vault, bucket_name)
    key = _key_of(key)
    if version is not None and not version.strip():
        raise UsageError("--version '': accepted: a version ID as `aws s3api list-object-versions` shows")
    sources: list[tuple[str, Bucket]] = [("bucket", bucket)]
    if dataset in vault.backup_buckets:
        sources.append(("backup", vault.backup_buckets[dataset]))
    if dataset in vault.replica_buckets:
        sources.append(("replica", vault.replica_buckets[dataset]))
    found, markers = versions(aws, vault, bucket, key)
    own = [v for v in found if v.get("Key") == key]
    own_markers = [m for m in markers if m.get("Key") == key]
    candidates: list[Copy] = []
    unreachable: list[str] = []
    for where, place in sources:
        if where == "replica":
            try:
                candidates += copies_of(aws, vault, where, place, key)
            except Unreachable as exc:  # from inside the VPC: no route to S3 in the replica region
                unreachable.append(
                    f"replica s3://{place.name} ({place.region}) not considered: {exc}; the bucket itself "
                    "and its backup were"
                )
            continue
        candidates += (
            [
                Copy(
                    where,
                    place,
                    str(v["VersionId"]),
                    _when(v.get("LastModified")),
                    int(v.get("Size", 0)),
                    bool(v.get("IsLatest")),
                )
                for v in own
            ]
            if place == bucket
            else copies_of(aws, vault, where, place, key)
        )
    # Newest version first; the copies of one version (a replica keeps the version ID, and may be written a
    # second later) rank together, the bucket's own copy before its backup's and its replica's.
    order = {"bucket": 0, "backup": 1, "replica": 2}
    rank: dict[str, tuple[float, int]] = {}  # version ID -> (its newest copy's time, its nearest place)
    for c in candidates:
        newest, nearest = rank.get(c.version_id, (0.0, 2))
        rank[c.version_id] = (max(newest, c.last_modified.timestamp()), min(nearest, order[c.where]))
    # (a stable sort: versions of the same time keep the listing's order, newest first)
    candidates.sort(key=lambda c: (-rank[c.version_id][0], rank[c.version_id][1], order[c.where]))
    if not candidates:
        places = ", ".join(p.name for _, p in sources)
        raise UsageError(
            f"--key {key!r}: no version of it in {places}; accepted: a key that exists or existed in "
            f"--bucket {bucket_name} (a typo? `aws s3api list-object-versions --prefix` lists them)"
        )
    skipped: list[str] = list(unreachable)
    expected = (
        model_expectations(aws, vault, key, skipped)
        if dataset == MODELS and bucket == vault.models_bucket
        else dataset_expectations(aws, vault, dataset, bucket, key, skipped)
    )
    current = next((v for v in own if v.get("IsLatest")), None)
    marker = next((m for m in own_markers if m.get("IsLatest")), None)
    result = Restore(bucket=bucket, key=key, before="", expected=tuple(expected), dry_run=dry_run)
    result.skipped = skipped
    good = {e.sha256 for e in expected}
    if marker is not None:
        result.before = f"a delete marker (version {marker.get('VersionId')})"
    elif current is not None:
        sha = sha256_of(aws, vault, bucket, key, str(current["VersionId"]))
        state = "intact" if sha in good else ("unverified" if not good else "bad")
        result.before = f"version {current['VersionId']} ({state}, SHA-256 {sha})"
        if sha in good and version is None:
            result.already_intact = True
            return result
    else:
        result.before = "nothing (no current version)"

    if version is not None:
        chosen = [c for c in candidates if c.version_id == version]
        if not chosen:
            listed = ", ".join(f"{c.version_id} ({c.where})" for c in candidates[:10])
            raise UsageError(f"--version {version!r}: not a version of {key!r} here; accepted: {listed}")
        source = chosen[0]
        sha = sha256_of(aws, vault, source.bucket, key, source.version_id)
        if good and sha not in good:
            raise Refused(
                f"--version {version} of {key!r} ({source.where}, s3://{source.bucket.name}) is not intact: "
                f"its SHA-256 is {sha}, the signed manifest records {', '.join(sorted(good))} "
                f"({expected[0].manifest}); refused"
            )
        result.source, result.source_sha256 = source, sha
    else:
        if not good:
            reasons = "; ".join(skipped) or "none names it"
            raise UsageError(
                f"--key {key!r}: no verified signed manifest records its SHA-256 ({reasons}), so no copy can "
                "be judged intact; accepted: --version <ID> of the copy to bring back (you vouch for it), "
                f"from: {', '.join(f'{c.version_id} ({c.where})' for c in candidates[:10])}"
            )
        for copy in candidates:
            sha = sha256_of(aws, vault, copy.bucket, key, copy.version_id)
            if sha in good:
                result.source, result.source_sha256 = copy, sha
                break
            skipped.append(f"{copy.describe()}: SHA-256 {sha} is not the manifest's")
        if result.source is None:
            raise Refused(
                f"no intact copy of {key!r}: every version in "
                f"{', '.join(p.name for _, p in sources)} differs from the signed manifest's SHA-256 "
                f"{', '.join(sorted(good))} ({'; '.join(skipped)})"
            )
    assert result.source is not None
    if result.source.size > MAX_COPY_BYTES:
        raise Refused(
            f"{result.source.describe()}: {result.source.size} bytes, above CopyObject's 5 GiB; copy it with "
            "a multipart copy (UploadPartCopy) by hand"
        )
    if dry_run:
        return result
    _copy_forward(aws, vault, dataset, result)
    return result


def _copy_forward(aws: Aws, vault: VaultStack, dataset: str, result: Restore) -> None:
    source = result.source
    assert source is not None
    copied = _s3(
        aws,
        vault,
        result.bucket,
        "copy_object",
        Key=result.key,
        CopySource={"Bucket": source.bucket.name, "Key": result.key, "VersionId": source.version_id},
        ExpectedSourceBucketOwner=vault.account,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_arn(aws, vault, "models" if dataset == MODELS else "data"),
        BucketKeyEnabled=True,
        ChecksumAlgorithm="SHA256",
    )
    new_version = str(copied.get("VersionId", ""))
    if not new_version:
        raise Refused(
            f"s3://{result.bucket.name}/{result.key}: the copy returned no version ID (versioning off?)"
        )
    result.new_version = new_version
    sha = sha256_of(aws, vault, result.bucket, result.key, new_version)
    if sha != result.source_sha256:
        raise Refused(
            f"s3://{result.bucket.name}/{result.key}?versionId={new_version}: the new version's SHA-256 "
            f"{sha} is not the source's {result.source_sha256}; investigate before using it"
        )


def restore_text(result: Restore) -> str:
    where = f"s3://{result.bucket.name}/{result.key}"
    lines = [f"{where}", f"  before:   {result.before}"]
    for e in result.expected:
        lines.append(f"  expected: SHA-256 {e.sha256} from {e.manifest}")
    if not result.expected:
        lines.append("  expected: no signed manifest names this key (copied as asked with --version)")
    if result.already_intact:
        lines.append("  nothing to do: the current version is intact; nothing copied")
        return "\n".join(lines) + "\n"
    source = result.source
    assert source is not None
    lines.append(
        f"  source:   {source.where} s3://{source.bucket.name}/{result.key} version {source.version_id} "
        f"({source.bucket.region}, written {source.last_modified:%Y-%m-%dT%H:%M:%SZ}, SHA-256 "
        f"{result.source_sha256})"
    )
    for note in result.skipped:
        lines.append(f"  skipped:  {note}")
    if result.dry_run:
        lines.append("  dry run:  nothing copied")
    else:
        lines.append(
            f"  restored: new current version {result.new_version} (a copy; the delete marker or bad version "
            "and every older version stay in the history)"
        )
    return "\n".join(lines) + "\n"


# --- status ----------------------------------------------------------------------------------------------


@dataclass
class Destination:
    rule_id: str
    status: str
    bucket: str
    where: str
    """``backup``, ``replica`` or ``unknown`` (a bucket not of this stack)."""
    region: str
    rtc_minutes: int | None
    object_lock: dict[str, Any] | None = None
    missing: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class Source:
    dataset: str
    bucket: Bucket
    replication: bool
    destinations: list[Destination] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    checked: int = 0


@dataclass
class Status:
    sources: list[Source]
    problems: list[str]
    notes: list[str]
    unread: list[str] = field(default_factory=list)
    """Destinations that could not be read from where status runs (a replica region out of reach)."""

    @property
    def exit_code(self) -> int:
        """1 a replication problem, else 3 a destination not read, else 0."""
        return 1 if self.problems else 3 if self.unread else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "sources": [
                {
                    "dataset": s.dataset,
                    "bucket": s.bucket.name,
                    "region": s.bucket.region,
                    "replication": s.replication,
                    "objects_checked": s.checked,
                    "failed": s.failed,
                    "destinations": [
                        {
                            "rule": d.rule_id,
                            "status": d.status,
                            "bucket": d.bucket,
                            "where": d.where,
                            "region": d.region,
                            "rtc_minutes": d.rtc_minutes,
                            "object_lock": d.object_lock,
                            "missing": d.missing,
                            "metrics": d.metrics,
                        }
                        for d in s.destinations
                    ],
                }
                for s in self.sources
            ],
            "problems": self.problems,
            "notes": self.notes,
            "unread": self.unread,
        }


def _destinations(vault: VaultStack, dataset: str) -> dict[str, tuple[str, Bucket]]:
    out: dict[str, tuple[str, Bucket]] = {}
    if dataset in vault.backup_buckets:
        out[vault.backup_buckets[dataset].name] = ("backup", vault.backup_buckets[dataset])
    if dataset in vault.replica_buckets:
        out[vault.replica_buckets[dataset].name] = ("replica", vault.replica_buckets[dataset])
    return out


def _lock(aws: Aws, vault: VaultStack, bucket: Bucket) -> dict[str, Any] | None:
    found = aws.call(
        "s3",
        "get_object_lock_configuration",
        missing=("ObjectLockConfigurationNotFoundError",),
        **vault.on(bucket),
    )
    if not found:
        return None
    config = found.get("ObjectLockConfiguration", {})
    retention = config.get("Rule", {}).get("DefaultRetention", {})
    return {
        "enabled": config.get("ObjectLockEnabled") == "Enabled",
        "mode": retention.get("Mode"),
        "days": retention.get("Days") or None,
        "years": retention.get("Years") or None,
    }


def _metrics(aws: Aws, source: Bucket, destination: str, rule_id: str, now: datetime) -> dict[str, Any]:
    dims = [
        {"Name": "SourceBucket", "Value": source.name},
        {"Name": "DestinationBucket", "Value": destination},
        {"Name": "RuleId", "Value": rule_id},
    ]
    queries = [
        {
            "Id": ident,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/S3", "MetricName": metric, "Dimensions": dims},
                "Period": 300,
                "Stat": stat,
            },
        }
        for ident, metric, stat in (
            ("latency", "ReplicationLatency", "Maximum"),
            ("failed", "OperationsFailedReplication", "Sum"),
        )
    ]
    found = aws.pages(
        "cloudwatch",
        "get_metric_data",
        "MetricDataResults",
        region=source.region,
        MetricDataQueries=queries,
        StartTime=now - timedelta(hours=1),
        EndTime=now,
    )
    out: dict[str, Any] = {}
    for item in found:
        values = [float(v) for v in item.get("Values", [])]
        if not values:
            continue
        if item.get("Id") == "latency":
            out["replication_latency_seconds_max"] = max(values)
        elif item.get("Id") == "failed":
            out["operations_failed_replication"] = sum(values)
    return out


def status(aws: Aws, vault: VaultStack, max_objects: int = 1000, now: datetime | None = None) -> Status:
    """Replication of every data and models bucket into its backup (and replica) bucket."""
    if max_objects < 0:
        raise UsageError(f"--max-objects {max_objects}: accepted: 0 or more")
    moment = now or datetime.now(UTC)
    window = timedelta(minutes=RTC_MINUTES)
    problems: list[str] = []
    notes: list[str] = []
    unread: list[str] = []
    sources = [(MODELS, vault.models_bucket), *sorted(vault.data_buckets.items())]
    out: list[Source] = []
    locks: dict[str, dict[str, Any] | None] = {}
    for dataset, bucket in sources:
        config = aws.call(
            "s3",
            "get_bucket_replication",
            missing=("ReplicationConfigurationNotFoundError",),
            **vault.on(bucket),
        )
        source = Source(dataset, bucket, replication=config is not None)
        out.append(source)
        if config is None:
            problems.append(
                f"{bucket.name} ({dataset}): no replication configuration; new versions reach no backup "
                "(re-apply the stack with `pulumi up`)"
            )
            continue
        known = _destinations(vault, dataset)
        found, _ = versions(aws, vault, bucket, "")
        for rule in config.get("ReplicationConfiguration", {}).get("Rules", []):
            dest = rule.get("Destination", {})
            name = str(dest.get("Bucket", "")).split(":::", 1)[-1]
            where, target = known.get(name, ("unknown", Bucket(name, bucket.region)))
            rtc = dest.get("ReplicationTime", {})
            destination = Destination(
                rule_id=str(rule.get("ID", "")),
                status=str(rule.get("Status", "")),
                bucket=name,
                where=where,
                region=target.region,
                rtc_minutes=rtc.get("Time", {}).get("Minutes") if rtc.get("Status") == "Enabled" else None,
            )
            source.destinations.append(destination)
            if where == "unknown":
                problems.append(
                    f"{bucket.name} rule {destination.rule_id}: replicates into {name}, not a backup or "
                    "replica bucket of this stack (tampered replication?)"
                )
                continue
            if destination.status != "Enabled":
                problems.append(
                    f"{bucket.name} rule {destination.rule_id}: {destination.status}, not Enabled"
                )
            try:
                if name not in locks:
                    locks[name] = _lock(aws, vault, target)
                held, _ = versions(aws, vault, target, "")
            except Unreachable as exc:  # from inside the VPC: no route to S3 in the replica region
                unread.append(f"{name} ({where}, {target.region}): not read from here: {exc}")
                continue
            destination.object_lock = locks[name]
            if not destination.object_lock or not destination.object_lock.get("enabled"):
                problems.append(f"{name} ({where}): Object Lock is not enabled")
            present = {(str(v.get("Key")), str(v.get("VersionId"))) for v in held}
            for v in found:
                pair = (str(v.get("Key")), str(v.get("VersionId")))
                if pair in present:
                    continue
                age = moment - _when(v.get("LastModified"))
                destination.missing.append(
                    {"key": pair[0], "version_id": pair[1], "age_seconds": int(age.total_seconds())}
                )
                if age > window:
                    problems.append(
                        f"{bucket.name}/{pair[0]} version {pair[1]}: not in {where} {name} after "
                        f"{int(age.total_seconds() // 60)} min (Replication Time Control: {RTC_MINUTES} min)"
                    )
            try:
                destination.metrics = _metrics(aws, bucket, name, destination.rule_id, moment)
            except LiveError as exc:
                notes.append(f"CloudWatch metrics of {bucket.name} -> {name}: not read ({exc.message})")
        newest = sorted(found, key=lambda v: _when(v.get("LastModified")), reverse=True)[:max_objects]
        for v in newest:
            head = _s3(aws, vault, bucket, "head_object", Key=v["Key"], VersionId=v["VersionId"])
            source.checked += 1
            if head.get("ReplicationStatus") == "FAILED":
                source.failed.append({"key": v["Key"], "version_id": v["VersionId"]})
                problems.append(f"{bucket.name}/{v['Key']} version {v['VersionId']}: replication FAILED")
        if len(found) > max_objects:
            notes.append(
                f"{bucket.name}: ReplicationStatus checked on the newest {max_objects} of {len(found)} "
                "versions (--max-objects)"
            )
    return Status(out, problems, notes, unread)


def status_text(result: Status) -> str:
    lines: list[str] = []
    for s in result.sources:
        lines.append(f"{s.dataset}: s3://{s.bucket.name} ({s.bucket.region})")
        if not s.replication:
            lines.append("  replication: NONE")
        for d in s.destinations:
            lock = d.object_lock or {}
            retention = f"{lock.get('mode')} {lock.get('days') or lock.get('years')}" if lock else "none"
            metrics = ", ".join(f"{k}={v:g}" for k, v in d.metrics.items()) or "no metrics"
            lines.append(
                f"  rule {d.rule_id} ({d.status}) -> {d.where} s3://{d.bucket} ({d.region}); RTC "
                f"{d.rtc_minutes or 'off'} min; Object Lock {retention}; {len(d.missing)} version(s) not "
                f"there yet; {metrics}"
            )
            for m in d.missing[:20]:
                lines.append(f"    missing {m['key']} version {m['version_id']} (age {m['age_seconds']} s)")
        lines.append(f"  ReplicationStatus checked on {s.checked} version(s): {len(s.failed)} FAILED")
        for f in s.failed[:20]:
            lines.append(f"    FAILED {f['key']} version {f['version_id']}")
    for note in result.notes:
        lines.append(f"note: {note}")
    for unread in result.unread:
        lines.append(f"not read: {unread}")
    lines.append(
        f"{len(result.problems)} problem(s)" + "".join(f"\n  - {p}" for p in result.problems)
        if result.problems
        else "replication OK: nothing failed, nothing older than the 15 min window missing"
    )
    return "\n".join(lines) + "\n"
