"""S3 storage: each bucket judged with its pulumi-aws 7 companion resources, joined by reference.

Backup buckets are identified by their own tags (provider default tags are not resource inputs): the
tag `strongroom:backup-dataset` (any value, set by components.backup.BackupVault) or
`strongroom:purpose=backup`. A replica (tag `strongroom:replica=true`) is a backup bucket that is itself
the replication target, so it is not required to replicate again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from policies.model import Control
from policies.props import (
    Index,
    PolicyDocumentError,
    Resource,
    as_list,
    get,
    is_true,
    is_world_principal,
    policy_document,
    statements,
    tags,
)

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"

BACKUP_TAG = ("strongroom:purpose", "backup")
BACKUP_DATASET_TAG = "strongroom:backup-dataset"
REPLICA_TAG = ("strongroom:replica", "true")
PRODUCTION_STACK = re.compile(r"^prod(uction)?([-_.].*)?$")
"""Stacks whose backups must replicate to a second region."""

_JOIN = ("bucket", "id")
_BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def companions(bucket: Resource, index: Index, type_: str) -> list[Resource]:
    """The companion resources of `type_` that point at `bucket` through their `bucket` prop."""
    return index.referencing(bucket, type_, "bucket", _JOIN)


def is_backup(bucket: Resource, _index: Index | None = None) -> bool:
    key, value = BACKUP_TAG
    own = tags(bucket)
    return own.get(key) == value or bool(own.get(BACKUP_DATASET_TAG))


def is_replica(bucket: Resource) -> bool:
    key, value = REPLICA_TAG
    return str(tags(bucket).get(key, "")).lower() == value


def _is_log_target(bucket: Resource, index: Index) -> bool:
    return bool(index.referencing(bucket, LOGGING, "targetBucket", _JOIN))


def _versioning(subject: Resource, index: Index) -> Iterator[str]:
    found = companions(subject, index, VERSIONING)
    if not found:
        yield f"bucket {subject.label} has no BucketVersioning, so versioning is off"
        return
    for versioning in found:
        status = versioning.known("versioningConfiguration.status")
        if status != "Enabled":
            yield f"bucket {subject.label} versioning status is {status}, not Enabled"


def _public_access_block(subject: Resource, index: Index) -> Iterator[str]:
    found = companions(subject, index, PUBLIC_ACCESS_BLOCK)
    if not found:
        yield f"bucket {subject.label} has no BucketPublicAccessBlock"
        return
    for block in found:
        off = [flag for flag in _BLOCK_FLAGS if block.known(flag, False) is not True]
        if off:
            yield f"bucket {subject.label} public access block does not set {', '.join(off)} to true"


def _ownership(subject: Resource, index: Index) -> Iterator[str]:
    found = companions(subject, index, OWNERSHIP)
    if not found:
        yield f"bucket {subject.label} has no BucketOwnershipControls with BucketOwnerEnforced"
        return
    for controls in found:
        ownership = controls.known("rule.objectOwnership")
        if ownership != "BucketOwnerEnforced":
            yield (
                f"bucket {subject.label} object ownership is {ownership}, not BucketOwnerEnforced (ACLs "
                "stay on)"
            )


def _denies_insecure_transport(document: dict[str, Any]) -> bool:
    for statement in statements(document):
        if statement.get("Effect") != "Deny" or not is_world_principal(statement):
            continue
        actions = [str(a) for a in as_list(statement.get("Action"))]
        if not any(a in ("*", "s3:*") for a in actions):
            continue
        secure = get(statement, "Condition.Bool.aws:SecureTransport")
        if any(str(v).lower() == "false" for v in as_list(secure)):
            return True
    return False


def _documents(subject: Resource, index: Index) -> Iterator[tuple[Resource, dict[str, Any] | str]]:
    for policy in companions(subject, index, BUCKET_POLICY):
        try:
            yield policy, policy_document(policy.known("policy"))
        except PolicyDocumentError as exc:
            yield policy, str(exc)


def _tls_only(subject: Resource, index: Index) -> Iterator[str]:
    documents = list(_documents(subject, index))
    if not documents:
        yield f"bucket {subject.label} has no BucketPolicy denying requests without TLS"
        return
    for policy, document in documents:
        if isinstance(document, str):
            yield f"bucket policy {policy.label} of bucket {subject.label} {document}"
        elif not _denies_insecure_transport(document):
            yield (
                f"bucket {subject.label} policy has no Deny of s3:* for principal '*' when "
                "aws:SecureTransport is false"
            )


def _no_public_grant(subject: Resource, _index: Index) -> Iterator[str]:
    try:
        document = policy_document(subject.known("policy"))
    except PolicyDocumentError as exc:
        yield f"bucket policy {subject.label} {exc}"
        return
    for i, statement in enumerate(statements(document)):
        if (
            statement.get("Effect") == "Allow"
            and is_world_principal(statement)
            and not statement.get("Condition")
        ):
            yield f"bucket policy {subject.label} statement {i} allows principal '*' without a condition"


def _access_logging(subject: Resource, index: Index) -> Iterator[str]:
    found = companions(subject, index, LOGGING)
    if not found:
        yield f"bucket {subject.label} has no BucketLogging (server access logs)"
        return
    for logging in found:
        if not logging.known("targetBucket"):
            yield f"bucket {subject.label} logging {logging.label} has no targetBucket"


def _not_log_target(subject: Resource, index: Index) -> bool:
    return not _is_log_target(subject, index)


def _lock_days(config: Resource) -> int | None:
    days = config.known("rule.defaultRetention.days")
    years = config.known("rule.defaultRetention.years")
    if isinstance(days, int | float):
        return int(days)
    if isinstance(years, int | float):
        return int(years) * 365
    return None


def _object_lock(subject: Resource, index: Index) -> Iterator[str]:
    if not is_true(subject.known("objectLockEnabled", False)):
        yield f"backup bucket {subject.label} does not set objectLockEnabled=true"
    configs = companions(subject, index, OBJECT_LOCK)
    if not configs:
        yield f"backup bucket {subject.label} has no BucketObjectLockConfiguration with a default retention"
        return
    for config in configs:
        mode = config.known("rule.defaultRetention.mode")
        if mode not in ("GOVERNANCE", "COMPLIANCE") or _lock_days(config) is None:
            yield (
                f"backup bucket {subject.label} object lock has no default retention (mode and days or years)"
            )


def _replication(subject: Resource, index: Index) -> Iterator[str]:
    configs = companions(subject, index, REPLICATION)
    enabled = [
        rule
        for config in configs
        for rule in (config.known("rules", []) or [])
        if isinstance(rule, dict) and rule.get("status") == "Enabled"
    ]
    if not enabled:
        yield f"backup bucket {subject.label} has no BucketReplicationConfig with an enabled rule"


def _replication_required(subject: Resource, index: Index) -> bool:
    stack = index.context.stack
    production = stack is None or bool(PRODUCTION_STACK.match(stack))
    return is_backup(subject) and not is_replica(subject) and production


def _noncurrent_retention(subject: Resource, index: Index) -> Iterator[str]:
    lock_days = [d for d in (_lock_days(c) for c in companions(subject, index, OBJECT_LOCK)) if d is not None]
    if not lock_days:
        return
    locked = max(lock_days)
    for lifecycle in companions(subject, index, LIFECYCLE):
        for i, rule in enumerate(lifecycle.known("rules", []) or []):
            if not isinstance(rule, dict) or rule.get("status") != "Enabled":
                continue
            days = get(rule, "noncurrentVersionExpiration.noncurrentDays")
            if isinstance(days, int | float) and days < locked:
                yield (
                    f"bucket {subject.label} lifecycle {lifecycle.label} rule {i} expires noncurrent "
                    "versions "
                    f"after {int(days)} days, shorter than the {locked}-day object lock"
                )


def _has_lock_config(subject: Resource, index: Index) -> bool:
    return bool(companions(subject, index, OBJECT_LOCK))


_S3_STACK = frozenset({"preview", "checkov"})

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-STO-001",
        title="Every bucket has versioning enabled",
        severity="high",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        rationale=(
            "Versions let ML engineers roll a model back and restore data after an overwrite or deletion."
        ),
        frameworks={"NIST-800-53-r5": ("CP-9", "SI-7"), "AWS-FSBP": ("S3.14",), "DORA": ("Art. 12(1)",)},
        remediation=(
            "Add aws.s3.BucketVersioning(bucket=<bucket>.id, versioning_configuration={'status': 'Enabled'})."
        ),
        predicate=_versioning,
        enforced_in=_S3_STACK,
        checkov_ids=("CKV_AWS_21",),
        tags=("storage", "s3", "backup"),
    ),
    Control(
        id="SR-STO-002",
        title="Every bucket blocks public access (all four settings)",
        severity="critical",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        rationale="The bucket-level block stops any later ACL or policy from making data public.",
        frameworks={
            "NIST-800-53-r5": ("AC-3", "AC-21", "SC-7"),
            "AWS-FSBP": ("S3.8",),
            "CIS-AWS-3.0": ("2.1.4",),
        },
        remediation="Add aws.s3.BucketPublicAccessBlock(bucket=<bucket>.id) with all four flags True.",
        predicate=_public_access_block,
        enforced_in=_S3_STACK,
        checkov_ids=("CKV2_AWS_6",),
        tags=("storage", "s3"),
    ),
    Control(
        id="SR-STO-003",
        title="Every bucket enforces bucket-owner object ownership (ACLs off)",
        severity="medium",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        rationale=(
            "With ACLs disabled, access is decided by policies alone and objects always belong to the "
            "account."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-6"), "AWS-FSBP": ("S3.12",)},
        remediation=(
            "Add aws.s3.BucketOwnershipControls(bucket=<bucket>.id, rule={'object_ownership': "
            "'BucketOwnerEnforced'})."
        ),
        predicate=_ownership,
        enforced_in=_S3_STACK,
        checkov_ids=("CKV2_AWS_65",),
        tags=("storage", "s3"),
    ),
    Control(
        id="SR-STO-004",
        title="Every bucket policy denies requests without TLS",
        severity="high",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        rationale=(
            "Data in transit to S3 must be encrypted; only a Deny on aws:SecureTransport=false guarantees it."
        ),
        frameworks={"NIST-800-53-r5": ("SC-8", "SC-8(1)"), "AWS-FSBP": ("S3.5",), "CIS-AWS-3.0": ("2.1.1",)},
        remediation=(
            "Add a BucketPolicy statement: Deny, Principal '*', Action s3:*, Condition Bool "
            "aws:SecureTransport false."
        ),
        predicate=_tls_only,
        tags=("storage", "s3", "tls"),
    ),
    Control(
        id="SR-STO-005",
        title="Bucket policies grant nothing to everyone",
        severity="critical",
        enforcement="mandatory",
        resource_types=(BUCKET_POLICY,),
        rationale="An Allow for principal '*' without a condition makes the bucket public.",
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-21"), "AWS-FSBP": ("S3.2", "S3.3")},
        remediation=(
            "Name principals explicitly, or add conditions such as aws:SourceVpce or aws:PrincipalAccount."
        ),
        predicate=_no_public_grant,
        tags=("storage", "s3"),
    ),
    Control(
        id="SR-STO-006",
        title="Every bucket has server access logging",
        severity="medium",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        applies=_not_log_target,
        applicability=(
            "buckets that are not themselves an access-log target (a log bucket logging to itself loops)"
        ),
        rationale="Access logs record every request to data and models, including denied ones.",
        frameworks={"NIST-800-53-r5": ("AU-2", "AU-12"), "AWS-FSBP": ("S3.9",)},
        remediation=(
            "Add aws.s3.BucketLogging(bucket=<bucket>.id, target_bucket=<log bucket>.id, target_prefix=...)."
        ),
        predicate=_access_logging,
        enforced_in=_S3_STACK,
        checkov_ids=("CKV_AWS_18",),
        tags=("storage", "s3", "logging"),
    ),
    Control(
        id="SR-STO-007",
        title="Backup buckets have Object Lock with a default retention",
        severity="high",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        applies=is_backup,
        applicability="backup buckets (tag strongroom:backup-dataset, or strongroom:purpose=backup)",
        rationale=(
            "Object Lock makes backup versions immutable, so ransomware or a mistake cannot delete them."
        ),
        frameworks={
            "NIST-800-53-r5": ("CP-9", "CP-9(8)", "SI-7"),
            "AWS-FSBP": ("S3.15",),
            "DORA": ("Art. 12(3)",),
        },
        remediation=(
            "Create the bucket with object_lock_enabled=True and add "
            "aws.s3.BucketObjectLockConfiguration with "
            "rule.default_retention (mode and days)."
        ),
        predicate=_object_lock,
        enforced_in=_S3_STACK,
        checkov_ids=("CKV_AWS_143",),
        tags=("storage", "s3", "backup"),
    ),
    Control(
        id="SR-STO-008",
        title="Backup buckets replicate to another region in production",
        severity="high",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        applies=_replication_required,
        applicability=(
            "buckets tagged strongroom:purpose=backup, in stacks named prod (or when the stack is unknown)"
        ),
        rationale="A regional outage or a compromised region must not take the only copy of models and data.",
        frameworks={
            "NIST-800-53-r5": ("CP-6", "CP-9", "CP-9(6)"),
            "AWS-FSBP": ("S3.7",),
            "DORA": ("Art. 12(3)",),
        },
        remediation=(
            "Add aws.s3.BucketReplicationConfig(bucket=<bucket>.id) with an Enabled rule to the replica "
            "bucket."
        ),
        predicate=_replication,
        enforced_in=_S3_STACK,
        checkov_ids=("CKV_AWS_144",),
        tags=("storage", "s3", "backup"),
    ),
    Control(
        id="SR-STO-009",
        title="Noncurrent versions outlive the object lock",
        severity="medium",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        applies=_has_lock_config,
        applicability="buckets with an object lock configuration",
        rationale=(
            "A lifecycle that expires noncurrent versions before the lock ends fails or hides a broken "
            "promise."
        ),
        frameworks={"NIST-800-53-r5": ("CP-9", "SI-12")},
        framework_note="No CIS or FSBP control relates lifecycle expiry to lock retention.",
        remediation="Set noncurrent_version_expiration.noncurrent_days to at least the lock's days.",
        predicate=_noncurrent_retention,
        tags=("storage", "s3", "backup"),
    ),
)
