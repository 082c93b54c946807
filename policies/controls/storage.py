"""S3 storage: each bucket judged with its pulumi-aws 7 companion resources, joined by reference.

Backup buckets are identified by their own tags (provider default tags are not resource inputs): the
tag `strongroom:backup-dataset` (any value, set by components.backup.BackupVault) or
`strongroom:purpose=backup`. A replica (tag `strongroom:replica=true`) is a backup bucket that is itself
the replication target, so it is not required to replicate again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strongroom.policies.controls.audit import TRAIL
from strongroom.policies.controls.baseline import DELIVERY_CHANNEL as CONFIG_DELIVERY_CHANNEL
from strongroom.policies.model import Control
from strongroom.policies.perimeter import CannotJudge, inside
from strongroom.policies.props import (
    UNKNOWN,
    Index,
    PolicyDocumentError,
    Resource,
    UnknownValue,
    as_list,
    get,
    is_prod_stack,
    is_true,
    is_world_principal,
    policy_document,
    statements,
    tags,
)
from strongroom.policies.references import (
    BUCKET,
    bucket_name,
    bucket_names,
    bucket_of_plan,
    buckets_named,
    depends_on,
    key_problem,
    policy_exposure,
)

VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
WEBSITE = "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration"
ACCESS_POINT = "aws:s3/accessPoint:AccessPoint"
ACCESS_POINT_POLICY = "aws:s3control/accessPointPolicy:AccessPointPolicy"
S3CONTROL_BUCKET_POLICY = "aws:s3control/bucketPolicy:BucketPolicy"
MULTI_REGION_ACCESS_POINT = "aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint"
MULTI_REGION_ACCESS_POINT_POLICY = "aws:s3control/multiRegionAccessPointPolicy:MultiRegionAccessPointPolicy"
OBJECT_LAMBDA_ACCESS_POINT = "aws:s3control/objectLambdaAccessPoint:ObjectLambdaAccessPoint"

BACKUP_TAG = ("strongroom:purpose", "backup")
BACKUP_DATASET_TAG = "strongroom:backup-dataset"
REPLICA_TAG = ("strongroom:replica", "true")
_JOIN = ("bucket", "id")
_BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def companions(bucket: Resource, index: Index, type_: str) -> list[Resource]:
    """The companion resources of `type_` that point at `bucket` through their `bucket` prop."""
    return index.referencing(bucket, type_, "bucket", _JOIN)


def _own_tag(bucket: Resource, key: str) -> Any:
    """The value of the bucket's own tag `key` (None when unset); `UNKNOWN` when the value, or the whole
    tag map, is unknown during preview. Which rules apply to a bucket depends on these tags, so an unknown
    one is never read as unset: the callers decide what they can and raise `UnknownValue` otherwise."""
    if bucket.get("tags") is UNKNOWN:
        return UNKNOWN
    return tags(bucket).get(key)


def _unknown_tag(bucket: Resource, key: str) -> UnknownValue:
    return UnknownValue(bucket.label, "tags" if bucket.get("tags") is UNKNOWN else f"tags.{key}")


def is_backup(bucket: Resource, _index: Index | None = None) -> bool:
    key, value = BACKUP_TAG
    purpose, dataset = _own_tag(bucket, key), _own_tag(bucket, BACKUP_DATASET_TAG)
    if purpose == value or (dataset is not UNKNOWN and bool(dataset)):
        return True
    for tag, found in ((key, purpose), (BACKUP_DATASET_TAG, dataset)):
        if found is UNKNOWN:  # backup or not cannot be known: the backup rules may apply
            raise _unknown_tag(bucket, tag)
    return False


def is_replica(bucket: Resource) -> bool:
    key, value = REPLICA_TAG
    return str(tags(bucket).get(key, "")).lower() == value


def _is_log_target(bucket: Resource, index: Index) -> bool:
    return bool(index.referencing(bucket, LOGGING, "targetBucket", _JOIN))


def _inline_versioning(subject: Resource) -> list[tuple[str, Any]]:
    """(path, enabled) of the bucket's inline versioning: v7 `versioning`, BucketV2 `versionings`."""
    found: list[tuple[str, Any]] = []
    if subject.known("versioning") is not None:
        found.append(("versioning.enabled", subject.known("versioning.enabled", False)))
    for i, _ in enumerate(subject.known("versionings", []) or []):
        found.append((f"versionings.{i}.enabled", subject.known(f"versionings.{i}.enabled", False)))
    return found


def _versioning(subject: Resource, index: Index) -> Iterator[str]:
    found = companions(subject, index, VERSIONING)
    inline = _inline_versioning(subject)
    for path, enabled in inline:
        if not is_true(enabled):
            yield f"bucket {subject.label} sets {path}={enabled}: inline versioning is off"
    if not found and not inline:
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
    """The bucket's policies: its BucketPolicy companions and its inline `policy`."""
    sources = companions(subject, index, BUCKET_POLICY)
    if subject.known("policy"):
        sources.append(subject)
    for policy in sources:
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


def _has_policy(subject: Resource, _index: Index) -> bool:
    return subject.type != BUCKET or subject.get("policy") is not None


def _policy_exposure(subject: Resource, index: Index) -> Iterator[str]:
    what = "access point policy" if subject.type in (ACCESS_POINT, ACCESS_POINT_POLICY) else "bucket policy"
    yield from policy_exposure(subject, index, "policy", what)


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
    production = is_prod_stack(stack)
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


# -- ACLs, websites, lifecycle, replication, access points ---------------------------------------------

_PUBLIC_GROUPS = ("/global/AllUsers", "/global/AuthenticatedUsers")


def _acl(subject: Resource, _index: Index) -> Iterator[str]:
    if subject.type == BUCKET:
        acl = subject.known("acl")
        if acl not in (None, "private"):
            yield f"bucket {subject.label} sets the canned ACL {acl}; only private (or none) is allowed"
        grants = subject.known("grants", []) or []
        if grants:
            yield f"bucket {subject.label} sets {len(grants)} inline ACL grant(s); access is by policy only"
        return
    acl = subject.known("acl")
    if acl not in (None, "private"):
        yield f"bucket ACL {subject.label} sets the canned ACL {acl}; only private is allowed"
    owner = subject.known("accessControlPolicy.owner.id")
    for i, grant in enumerate(subject.known("accessControlPolicy.grants", []) or []):
        grantee = get(grant, "grantee", {}) or {}
        kind, uri = get(grantee, "type"), str(get(grantee, "uri", ""))
        if kind == "Group" and not uri.endswith("/s3/LogDelivery"):
            public = ", i.e. the public" if uri.endswith(_PUBLIC_GROUPS) else ""
            yield f"bucket ACL {subject.label} grant {i} is to the group {uri}{public}"
        elif kind == "AmazonCustomerByEmail":
            yield (
                f"bucket ACL {subject.label} grant {i} is to {get(grantee, 'emailAddress')}, an account "
                "outside the stack"
            )
        elif kind == "CanonicalUser" and get(grantee, "id") != owner:
            yield (
                f"bucket ACL {subject.label} grant {i} is to canonical user {get(grantee, 'id')}, not the "
                "bucket owner"
            )


def _website(subject: Resource, _index: Index) -> Iterator[str]:
    if subject.type == WEBSITE:
        yield f"website configuration {subject.label} serves a bucket as a website; no bucket may be one"
        return
    if subject.known("website") or subject.known("websites"):
        yield f"bucket {subject.label} has an inline website configuration; no bucket may be a website"


def is_log_bucket(bucket: Resource, index: Index) -> bool:
    """An access-log target of the plan that carries no data, model or backup tag."""
    if not _is_log_target(bucket, index) or is_backup(bucket):
        return False
    purpose = _own_tag(bucket, BACKUP_TAG[0])  # known here: is_backup raises for an unknown one
    return not purpose


def _expires_current(expiration: Any) -> Any:
    """The days or date after which an expiration deletes current versions, or None."""
    for key in ("days", "date"):
        value = get(expiration, key)
        if value is UNKNOWN or (value is not None and value != 0 and value != ""):
            return value
    return None


def _current_expiry(subject: Resource, index: Index) -> Iterator[str]:
    for lifecycle in companions(subject, index, LIFECYCLE):
        for i, rule in enumerate(lifecycle.known("rules", []) or []):
            if get(rule, "status") == "Disabled":
                continue
            after = _expires_current(lifecycle.known(f"rules.{i}.expiration", {}))
            if after is not None:
                yield (
                    f"bucket {subject.label} lifecycle {lifecycle.label} rule {i} expires current versions "
                    f"(expiration {after}), deleting data"
                )
    for i, rule in enumerate(subject.known("lifecycleRules", []) or []):
        if get(rule, "enabled") is False:
            continue
        for path in (
            f"lifecycleRules.{i}.expiration",
            *(f"lifecycleRules.{i}.expirations.{j}" for j, _ in enumerate(as_list(get(rule, "expirations")))),
        ):
            after = _expires_current(subject.known(path, {}))
            if after is not None:
                yield (
                    f"bucket {subject.label} inline lifecycle rule {i} expires current versions "
                    f"(expiration {after}), deleting data"
                )


def _not_log_bucket(subject: Resource, index: Index) -> bool:
    return not is_log_bucket(subject, index)


def _destinations(subject: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, {bucket, account, owner, key}) of every replication destination, whatever the shape."""
    if subject.type == REPLICATION:
        for i, _ in enumerate(subject.known("rules", []) or []):
            path = f"rules.{i}.destination"
            yield (
                path,
                {
                    "bucket": subject.get(f"{path}.bucket"),
                    "account": subject.known(f"{path}.account"),
                    "owner": subject.known(f"{path}.accessControlTranslation.owner"),
                    "key": subject.get(f"{path}.encryptionConfiguration.replicaKmsKeyId"),
                },
            )
        return
    for i, _ in enumerate(subject.known("replicationConfiguration.rules", []) or []):
        path = f"replicationConfiguration.rules.{i}.destination"
        yield (
            path,
            {
                "bucket": subject.get(f"{path}.bucket"),
                "account": subject.known(f"{path}.accountId"),
                "owner": subject.known(f"{path}.accessControlTranslation.owner"),
                "key": subject.get(f"{path}.replicaKmsKeyId"),
            },
        )
    for i, config in enumerate(subject.known("replicationConfigurations", []) or []):
        for j, rule in enumerate(as_list(get(config, "rules"))):
            for k, _ in enumerate(as_list(get(rule, "destinations"))):
                path = f"replicationConfigurations.{i}.rules.{j}.destinations.{k}"
                yield (
                    path,
                    {
                        "bucket": subject.get(f"{path}.bucket"),
                        "account": subject.known(f"{path}.accountId"),
                        "owner": subject.known(f"{path}.accessControlTranslations.0.owner"),
                        "key": subject.get(f"{path}.replicaKmsKeyId"),
                    },
                )


def _replication_destination(subject: Resource, index: Index) -> Iterator[str]:
    what = "replication" if subject.type == REPLICATION else "bucket"
    for path, dest in _destinations(subject):
        if not bucket_of_plan(subject, path, dest["bucket"], index):
            yield (
                f"{what} {subject.label} replicates to {dest['bucket']} ({path}.bucket), which is no bucket "
                "of this stack"
            )
        account = dest["account"]
        if account is not None and not inside(index.context, str(account)):
            yield (f"{what} {subject.label} replicates to account {account} ({path}), outside the perimeter")
        if dest["owner"] == "Destination" and account is None:
            yield (
                f"{what} {subject.label} hands replica ownership to the destination's owner ({path}) "
                "without naming an account of the perimeter"
            )
        if dest["key"] is not None:
            problem = key_problem(subject, path, dest["key"], index, stack_only=True, shown="replicaKmsKeyId")
            if problem:
                yield f"{what} {subject.label} {problem}"


def _has_replication(subject: Resource, _index: Index) -> bool:
    return subject.type == REPLICATION or bool(
        subject.get("replicationConfiguration") or subject.get("replicationConfigurations")
    )


def _access_point(subject: Resource, index: Index) -> Iterator[str]:
    if subject.type in (
        MULTI_REGION_ACCESS_POINT,
        MULTI_REGION_ACCESS_POINT_POLICY,
        OBJECT_LAMBDA_ACCESS_POINT,
    ):
        yield (
            f"{subject.type.split(':')[-1]} {subject.label} is not allowed: it opens buckets through a path "
            "the catalog does not confine to the VPC"
        )
        return
    if not subject.known("vpcConfiguration.vpcId"):
        yield f"access point {subject.label} has no vpcConfiguration, so its network origin is the internet"
    block = subject.known("publicAccessBlockConfiguration") or {}
    off = [flag for flag in _BLOCK_FLAGS if get(block, flag, True) is not True]
    if off:
        yield f"access point {subject.label} public access block sets {', '.join(off)} to false"
    if not bucket_of_plan(subject, "bucket", subject.get("bucket"), index):
        yield f"access point {subject.label} opens {subject.get('bucket')}, which is no bucket of this stack"
    owner = subject.known("bucketAccountId")
    if owner is not None and not inside(index.context, str(owner)):
        yield f"access point {subject.label} opens a bucket of account {owner}, outside the perimeter"


# -- data and model buckets fill an Object Lock backup (SR-STO-040) -----------------------------------------

_INLINE_REPLICATION = ("replicationConfiguration", "replicationConfigurations")


def _is_service_log_bucket(bucket: Resource, index: Index) -> bool:
    """A bucket a service delivers its own logs to: a CloudTrail bucket without a purpose tag, or an AWS
    Config delivery bucket without one or tagged `config` (AccountBaseline). A data purpose tag wins."""
    purpose = _own_tag(bucket, BACKUP_TAG[0])
    if purpose is UNKNOWN:  # a data purpose would win over a delivery: known only if no service uses it
        if index.referencing(bucket, TRAIL, "s3BucketName", _JOIN) or index.referencing(
            bucket, CONFIG_DELIVERY_CHANNEL, "s3BucketName", _JOIN
        ):
            raise _unknown_tag(bucket, BACKUP_TAG[0])
        return False
    if not purpose and index.referencing(bucket, TRAIL, "s3BucketName", _JOIN):
        return True
    return purpose in (None, "", "config") and bool(
        index.referencing(bucket, CONFIG_DELIVERY_CHANNEL, "s3BucketName", _JOIN)
    )


def _replication_destinations(index: Index) -> tuple[frozenset[str], frozenset[str]]:
    """(the names the plan's replication rules give as destinations, the URNs the `rules` of a config with
    a destination unknown depends on): one pass over the rules per stack, not one per bucket."""
    named: set[str] = set()
    depended: set[str] = set()
    for config in index.of_type(REPLICATION):
        for i, _ in enumerate(as_list(config.get("rules"))):
            value = config.get(f"rules.{i}.destination.bucket")
            if value is UNKNOWN:
                depended.update(config.property_dependencies.get("rules", ()))
            elif isinstance(value, str):
                named.add(bucket_name(value) or value)
    return frozenset(named), frozenset(depended)


def _is_replication_destination(bucket: Resource, index: Index) -> bool:
    """A destination of a replication rule of the plan: by value, or by dependency while unknown."""
    names = bucket_names(bucket)  # the known ones: an unknown name matches no rule by value
    named, depended = index.memo("storage:replication-destinations", lambda: _replication_destinations(index))
    return bucket.urn in depended or not names.isdisjoint(named)


def is_data_or_model_bucket(subject: Resource, index: Index) -> bool:
    """Fail-closed: every bucket is a data or model bucket unless it is itself a backup bucket (tag of
    BackupVault, so SR-STO-007 locks it), a replica (tag `strongroom:replica=true` AND the destination of a
    replication rule of the plan), an access-log bucket (a log target without a purpose tag) or a
    CloudTrail or AWS Config delivery bucket (see `_is_service_log_bucket`). A tag alone exempts nothing a
    backup control does not then judge."""
    return not (
        is_backup(subject)
        or (is_replica(subject) and _is_replication_destination(subject, index))
        or is_log_bucket(subject, index)
        or _is_service_log_bucket(subject, index)
    )


def _fills_backup_applies(subject: Resource, index: Index) -> bool:
    return index.context.prod and is_data_or_model_bucket(subject, index)


def _destination_buckets(config: Resource, path: str, value: Any, index: Index) -> list[Resource]:
    """The plan's buckets a replication destination names: by value (name or ARN) when known, by the
    property dependency of `rules` while it is unknown. Raises CannotJudge for a destination that is no
    bucket of the plan, UnknownValue for an unknown one that depends on no bucket."""
    if value is UNKNOWN:
        found = depends_on(config, index, path, (BUCKET,))
        if not found:
            raise UnknownValue(config.label, path)
        return found
    name = bucket_name(value) if isinstance(value, str) else None
    name = name or (value if isinstance(value, str) else None)
    matches = buckets_named(index, name) if name else []
    if not matches:
        raise CannotJudge(
            f"replication {config.label} {path} names {value}, which is no bucket of this stack, so "
            "whether it has Object Lock cannot be judged"
        )
    return matches


def _rule_problems(config: Resource, i: int, index: Index) -> list[str]:
    """Why enabled rule `i` of `config` does not put every new version into an Object Lock bucket."""
    path = f"rules.{i}.destination.bucket"
    problems: list[str] = []
    destinations = _destination_buckets(config, path, config.get(path), index)
    unlocked = [b for b in destinations if not is_true(b.known("objectLockEnabled", False))]
    if unlocked and len(unlocked) < len(destinations):
        # An unknown destination computed from several buckets, only some of them locked.
        raise UnknownValue(config.label, path)
    for bucket in unlocked:
        problems.append(f"replicates to bucket {bucket.label}, which does not set objectLockEnabled=true")
    if config.known(f"rules.{i}.destination.replicationTime.status") != "Enabled":
        problems.append("has no Replication Time Control (destination.replicationTime.status is not Enabled)")
    if config.known(f"rules.{i}.deleteMarkerReplication.status") != "Disabled":
        problems.append("replicates delete markers (deleteMarkerReplication.status is not Disabled)")
    scope = {
        k: v for k, v in (config.known(f"rules.{i}.filter", {}) or {}).items() if v not in (None, "", {})
    }
    prefix = config.known(f"rules.{i}.prefix")
    if scope or prefix:
        problems.append("replicates only part of the objects (a filter or prefix), not every new version")
    if config.known(f"rules.{i}.sourceSelectionCriteria.sseKmsEncryptedObjects.status") != "Enabled":
        problems.append(
            "skips SSE-KMS objects (sourceSelectionCriteria.sseKmsEncryptedObjects.status is not Enabled)"
        )
    return problems


def _fills_backup(subject: Resource, index: Index) -> Iterator[str]:
    for path in _INLINE_REPLICATION:
        if subject.get(path):
            yield (
                f"bucket {subject.label} declares inline replication ({path}); only an "
                "aws.s3.BucketReplicationConfig is judged, so it does not count as a backup"
            )
    configs = companions(subject, index, REPLICATION)
    if not configs:
        yield f"bucket {subject.label} has no BucketReplicationConfig into an Object Lock backup bucket"
        return
    found: list[str] = []
    undecided: Exception | None = None
    for config in configs:
        rules = config.known("rules", []) or []
        enabled = [
            (i, r) for i, r in enumerate(rules) if isinstance(r, dict) and r.get("status") == "Enabled"
        ]
        if not enabled:
            found.append(f"bucket {subject.label} replication {config.label} has no enabled rule")
        for i, _rule in enabled:
            try:
                problems = _rule_problems(config, i, index)
            except (UnknownValue, CannotJudge) as exc:
                undecided = undecided or exc
                continue
            if not problems:
                return
            found += [f"bucket {subject.label} replication {config.label} rule {i} {p}" for p in problems]
    if undecided is not None:
        raise undecided
    yield from found


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
        enforced_in=_S3_STACK | {"live"},
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
        enforced_in=_S3_STACK | {"live"},
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
        enforced_in=_S3_STACK | {"live"},
        checkov_ids=("CKV2_AWS_65",),
        tags=("storage", "s3"),
    ),
    Control(
        id="SR-STO-004",
        enforced_in=frozenset({"preview", "live"}),
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
        enforced_in=frozenset({"preview", "live"}),
        title="Bucket and access point policies grant nothing outside the perimeter",
        severity="critical",
        enforcement="mandatory",
        resource_types=(BUCKET_POLICY, BUCKET, ACCESS_POINT, ACCESS_POINT_POLICY, S3CONTROL_BUCKET_POLICY),
        applies=_has_policy,
        applicability="bucket policies, access point policies, and buckets with an inline policy",
        rationale=(
            "An Allow for '*' that no condition confines, for another account or for NotPrincipal opens "
            "the data to callers outside the bank."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-21", "SC-7"), "AWS-FSBP": ("S3.2", "S3.3", "S3.6")},
        remediation=(
            "Name principals of the perimeter's accounts, or confine '*' with StringEquals on "
            "aws:PrincipalAccount, aws:PrincipalOrgID or aws:SourceVpce (an endpoint of the stack); confine "
            "a service principal to the resource it acts for with aws:SourceAccount or aws:SourceArn."
        ),
        predicate=_policy_exposure,
        scope="stack",
        tags=("storage", "s3", "perimeter"),
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
        enforced_in=_S3_STACK | {"live"},
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
        enforced_in=_S3_STACK | {"live"},
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
        enforced_in=_S3_STACK | {"live"},
        checkov_ids=("CKV_AWS_144",),
        tags=("storage", "s3", "backup"),
    ),
    Control(
        id="SR-STO-009",
        enforced_in=frozenset({"preview", "live"}),
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
    Control(
        id="SR-STO-010",
        enforced_in=frozenset({"preview", "live"}),
        title="No bucket ACL grants access (private or none)",
        severity="critical",
        enforcement="mandatory",
        resource_types=(BUCKET, BUCKET_ACL),
        rationale=(
            "A canned ACL or a grant to AllUsers, AuthenticatedUsers, an e-mail or another canonical user "
            "opens the bucket beside its policy."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-21"), "AWS-FSBP": ("S3.12",), "CIS-AWS-3.0": ("2.1.4",)},
        remediation="Remove acl/grants and aws.s3.BucketAcl; enforce BucketOwnerEnforced ownership.",
        predicate=_acl,
        tags=("storage", "s3"),
    ),
    Control(
        id="SR-STO-011",
        enforced_in=frozenset({"preview", "live"}),
        title="No bucket is a static website",
        severity="high",
        enforcement="mandatory",
        resource_types=(BUCKET, WEBSITE),
        rationale="A website endpoint serves objects over plain HTTP to anyone the policy lets in.",
        frameworks={"NIST-800-53-r5": ("AC-21", "SC-7", "SC-8")},
        framework_note="No CIS or FSBP control forbids website hosting outright.",
        remediation="Remove website/websites and aws.s3.BucketWebsiteConfiguration.",
        predicate=_website,
        tags=("storage", "s3"),
    ),
    Control(
        id="SR-STO-012",
        enforced_in=frozenset({"preview", "live"}),
        title="No lifecycle rule expires current versions of data, model or backup buckets",
        severity="high",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        applies=_not_log_bucket,
        applicability="buckets that are not access-log targets (log buckets may expire old logs)",
        rationale="An expiration of current objects deletes training data, models or backups on a timer.",
        frameworks={"NIST-800-53-r5": ("CP-9", "SI-12", "SI-7")},
        framework_note="No CIS or FSBP control judges lifecycle expiry of current versions.",
        remediation=(
            "Use noncurrent_version_expiration and abort_incomplete_multipart_upload only; "
            "expired_object_delete_marker is fine."
        ),
        predicate=_current_expiry,
        tags=("storage", "s3", "backup"),
    ),
    Control(
        id="SR-STO-013",
        enforced_in=frozenset({"preview", "live"}),
        title="Replication goes to buckets of the stack, in the perimeter, under keys of the stack",
        severity="critical",
        enforcement="mandatory",
        resource_types=(REPLICATION, BUCKET),
        scope="stack",
        applies=_has_replication,
        applicability="replication configurations and buckets with inline replication",
        rationale=(
            "A replication rule copies every object to its destination: one not in the plan is exfiltration."
        ),
        frameworks={"NIST-800-53-r5": ("AC-4", "SC-7", "CP-9")},
        framework_note="FSBP S3.7 requires replication, not where it goes.",
        remediation=(
            "Point destination.bucket at <replica bucket>.arn of this stack, leave account unset or an "
            "account of the perimeter, and encrypt replicas with a key of the stack."
        ),
        predicate=_replication_destination,
        tags=("storage", "s3", "backup", "perimeter"),
    ),
    Control(
        id="SR-STO-014",
        title="Access points are VPC-only, block public access and open buckets of the stack",
        severity="critical",
        enforcement="mandatory",
        resource_types=(
            ACCESS_POINT,
            MULTI_REGION_ACCESS_POINT,
            MULTI_REGION_ACCESS_POINT_POLICY,
            OBJECT_LAMBDA_ACCESS_POINT,
        ),
        scope="stack",
        rationale=(
            "An access point is a second door to a bucket, with its own network origin, public access "
            "block and policy; multi-region and Object Lambda access points are doors the catalog cannot "
            "confine."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-4", "SC-7"), "AWS-FSBP": ("S3.19",)},
        remediation=(
            "Give aws.s3.AccessPoint a vpc_configuration, leave public_access_block_configuration at its "
            "defaults, and point it at a bucket of the stack; do not use multi-region or Object Lambda "
            "access points."
        ),
        predicate=_access_point,
        tags=("storage", "s3", "network"),
    ),
    Control(
        id="SR-STO-040",
        enforced_in=frozenset({"preview", "live"}),
        title="Every data and model bucket replicates each new version into an Object Lock bucket in prod",
        severity="high",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        applies=_fills_backup_applies,
        applicability=(
            "in prod stacks (or when the stack is unknown), every bucket that is not itself a backup or "
            "replica bucket, an access-log target or a CloudTrail or AWS Config delivery bucket "
            "(fail-closed: data, models and anything unclassified)"
        ),
        rationale=(
            "A locked backup vault protects nothing unless every new version of the data and models reaches "
            "it: an enabled replication rule for every object into a bucket with Object Lock, within the "
            "15-minute Replication Time Control, without carrying deletions (delete markers) across."
        ),
        frameworks={
            "NIST-800-53-r5": ("CP-9", "CP-9(8)", "CP-10"),
            "AWS-FSBP": ("S3.7",),
            "DORA": ("Art. 12(1)", "Art. 12(3)"),
        },
        remediation=(
            "Add aws.s3.BucketReplicationConfig(bucket=<bucket>.id) with an Enabled rule, an empty filter, "
            "delete_marker_replication Disabled, sse_kms_encrypted_objects Enabled and a destination "
            "<backup bucket>.arn (object_lock_enabled=True) with replication_time and metrics Enabled "
            "(15 minutes); components.backup.BackupVault(sources=...) builds it."
        ),
        predicate=_fills_backup,
        tags=("storage", "s3", "backup"),
    ),
)
