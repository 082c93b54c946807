"""Live reader for the storage area: the environment's S3 buckets and their configuration companions.

Discovery: every bucket of the account (``s3:ListAllMyBuckets``), its region (``GetBucketLocation``, so the
backup replica region's buckets are found too) and its tags, read in parallel; a bucket tagged
``strongroom:environment=<stack>`` is the environment's. A bucket whose location or tags the caller may not
read (the auditor role is granted the stack's buckets only) or that vanished meanwhile is not the
environment's, so it is passed over rather than failing the area.

Each bucket is then read in its own region and yielded as ``aws:s3/bucket:Bucket`` plus one resource per
configuration it has, exactly as the plan models them: BucketVersioning, BucketServerSideEncryption-
Configuration, BucketPublicAccessBlock, BucketOwnershipControls, BucketPolicy, BucketLogging,
BucketLifecycleConfiguration, BucketObjectLockConfiguration (when a default retention is set),
BucketReplicationConfig, BucketAcl (only when a grant goes beyond the bucket owner) and
BucketWebsiteConfiguration. A configuration that does not exist yields no companion, as a plan without it
would. Companions are joined to their bucket by ``bucket`` = the bucket's ``id`` (its name), as in the plan.

Not read: ``forceDestroy`` (a Pulumi setting, not AWS state), ``requestPayer`` and ``hostedZoneId`` (no
control reads them), bucket notifications (SR-AUD-032, not in this area). A bucket's ``tags`` and
``tagsAll`` are both every tag AWS holds: AWS does not tell provider default tags from a resource's own.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from strongroom.live.aws import Aws
from strongroom.live.readers import Scope, live_resource
from strongroom.policies.props import Resource

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
ACL = "aws:s3/bucketAcl:BucketAcl"
WEBSITE = "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration"

TYPES: tuple[str, ...] = (
    BUCKET,
    VERSIONING,
    ENCRYPTION,
    PUBLIC_ACCESS_BLOCK,
    OWNERSHIP,
    POLICY,
    LOGGING,
    LIFECYCLE,
    OBJECT_LOCK,
    REPLICATION,
    ACL,
    WEBSITE,
)

#: Discovery reads that mean "not the environment's bucket" rather than a failed audit: no tags, a bucket
#: deleted since the listing, or one the caller may not read (the auditor reads only the stack's buckets).
_NOT_OURS = ("NoSuchTagSet", "NoSuchBucket", "AccessDenied", "AllAccessDisabled")


@dataclass(frozen=True)
class _Bucket:
    name: str
    region: str
    tags: dict[str, str]


def read(aws: Aws, scope: Scope) -> Iterator[Resource]:
    found = [
        _Bucket(name, region, _tag_map(tag_set))
        for name, region, tag_set in aws.memo("storage.buckets", lambda: _account_buckets(aws))
        if tag_set is not None and scope.tagged(tag_set)
    ]
    for resources in aws.map(lambda b: list(_bucket(aws, scope, b)), found):
        yield from resources


def _account_buckets(aws: Aws) -> list[tuple[str, str, Any]]:
    """Every bucket of the account with its region and tag set (None when it has none or they may not be
    read): read once per session, shared by the audits of every stack."""
    listed = aws.pages("s3", "list_buckets", "Buckets")
    names = [str(b["Name"]) for b in listed if b.get("Name")]
    regions = {str(b["Name"]): b.get("BucketRegion") for b in listed if b.get("Name")}
    return [b for b in aws.map(lambda n: _anchor(aws, n, regions.get(n)), names) if b is not None]


def _anchor(aws: Aws, name: str, listed_region: Any) -> tuple[str, str, Any] | None:
    """The bucket's region and tag set (None for the tags when it has none); None when its location may
    not be read (not the environment's)."""
    region = listed_region if isinstance(listed_region, str) and listed_region else None
    if region is None:
        location = aws.call("s3", "get_bucket_location", missing=_NOT_OURS, Bucket=name)
        if location is None:
            return None
        region = _location_region(location.get("LocationConstraint"))
    tagging = aws.call("s3", "get_bucket_tagging", missing=_NOT_OURS, region=region, Bucket=name)
    return name, region, (tagging or {}).get("TagSet") if tagging is not None else None


def _location_region(constraint: Any) -> str:
    """GetBucketLocation's answer as a region: none is us-east-1, ``EU`` is the legacy eu-west-1."""
    if not constraint:
        return "us-east-1"
    if constraint == "EU":
        return "eu-west-1"
    return str(constraint)


def _tag_map(tag_set: Any) -> dict[str, str]:
    return {
        str(t["Key"]): str(t.get("Value", "")) for t in tag_set or [] if isinstance(t, dict) and "Key" in t
    }


def _bucket(aws: Aws, scope: Scope, bucket: _Bucket) -> Iterator[Resource]:
    name, region = bucket.name, bucket.region

    def get(operation: str, *missing: str) -> dict[str, Any] | None:
        return aws.call("s3", operation, missing=missing, region=region, Bucket=name)

    def companion(type_: str, props: dict[str, Any]) -> Resource:
        return live_resource(type_, f"{type_}::{name}", name, {"bucket": name, "id": name, **props})

    lock = get("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError")
    lock_config = (lock or {}).get("ObjectLockConfiguration") or {}
    arn = f"arn:{scope.partition}:s3:::{name}"
    suffix = _dns_suffix(scope.partition)
    yield live_resource(
        BUCKET,
        arn,
        name,
        {
            "bucket": name,
            "id": name,
            "arn": arn,
            "region": region,
            "bucketDomainName": f"{name}.s3.{suffix}",
            "bucketRegionalDomainName": f"{name}.s3.{region}.{suffix}",
            "objectLockEnabled": lock_config.get("ObjectLockEnabled") == "Enabled",
            "tags": dict(bucket.tags),
            "tagsAll": dict(bucket.tags),
        },
    )

    versioning = get("get_bucket_versioning") or {}
    if versioning.get("Status"):
        config = {"status": versioning["Status"]}
        if versioning.get("MFADelete"):
            config["mfaDelete"] = versioning["MFADelete"]
        yield companion(VERSIONING, {"versioningConfiguration": config})

    encryption = get("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError")
    if encryption is not None:
        rules = (encryption.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        yield companion(ENCRYPTION, {"rules": camel(rules)})

    block = get("get_public_access_block", "NoSuchPublicAccessBlockConfiguration")
    if block is not None:
        yield companion(PUBLIC_ACCESS_BLOCK, camel(block.get("PublicAccessBlockConfiguration") or {}))

    ownership = get("get_bucket_ownership_controls", "OwnershipControlsNotFoundError")
    if ownership is not None:
        rules = (ownership.get("OwnershipControls") or {}).get("Rules") or [{}]
        yield companion(OWNERSHIP, {"rule": camel(rules[0])})

    policy = get("get_bucket_policy", "NoSuchBucketPolicy")
    if policy is not None and policy.get("Policy"):
        yield companion(POLICY, {"policy": str(policy["Policy"])})

    logging = (get("get_bucket_logging") or {}).get("LoggingEnabled")
    if logging:
        yield companion(LOGGING, camel(logging))

    lifecycle = get("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration")
    if lifecycle is not None:
        yield companion(LIFECYCLE, {"rules": _rules(lifecycle.get("Rules"))})

    if lock_config.get("Rule"):
        yield companion(OBJECT_LOCK, _object_lock(lock_config))

    replication = get("get_bucket_replication", "ReplicationConfigurationNotFoundError")
    if replication is not None:
        config = replication.get("ReplicationConfiguration") or {}
        yield companion(REPLICATION, {"role": config.get("Role"), "rules": _rules(config.get("Rules"))})

    acl = get("get_bucket_acl")
    if acl is not None and _beyond_owner(acl):
        yield companion(
            ACL,
            {
                "accessControlPolicy": {
                    "owner": camel(acl.get("Owner") or {}),
                    "grants": camel(acl.get("Grants")),
                }
            },
        )

    website = get("get_bucket_website", "NoSuchWebsiteConfiguration")
    if website is not None:
        website.pop("ResponseMetadata", None)
        yield companion(WEBSITE, camel(website))


def _rules(rules: Any) -> list[Any]:
    """Lifecycle or replication rules; a filter's empty prefix (``<Filter><Prefix/></Filter>``, how S3
    returns a rule for every object) is no filter, as the plan's ``filter: {}``."""
    out = camel(rules or [])
    for rule in out:
        if isinstance(rule, dict) and isinstance(rule.get("filter"), dict):
            rule["filter"] = {k: v for k, v in rule["filter"].items() if v not in ("", None)}
    return list(out)


def _object_lock(config: dict[str, Any]) -> dict[str, Any]:
    """The object lock configuration; of ``Days`` and ``Years`` only the one set (S3 takes one, at least 1;
    moto answers the other as 0)."""
    out: dict[str, Any] = camel(config)
    retention = (out.get("rule") or {}).get("defaultRetention")
    if isinstance(retention, dict):
        for unit in ("days", "years"):
            if not (isinstance(retention.get(unit), int) and retention[unit] > 0):
                retention.pop(unit, None)
    return out


def _beyond_owner(acl: dict[str, Any]) -> bool:
    """Whether an ACL grants anyone but the bucket owner (the only grant of a BucketOwnerEnforced bucket)."""
    owner = (acl.get("Owner") or {}).get("ID")
    for grant in acl.get("Grants") or []:
        grantee = grant.get("Grantee") or {}
        if grantee.get("Type") != "CanonicalUser" or grantee.get("ID") != owner:
            return True
    return False


def _dns_suffix(partition: str) -> str:
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


_ACRONYM = re.compile(r"^([A-Z]+)(?=[A-Z][a-z])")


def camel_key(key: str) -> str:
    """An S3 API member name as pulumi-aws spells the property: ``KMSMasterKeyID`` -> ``kmsMasterKeyId``,
    ``SSEAlgorithm`` -> ``sseAlgorithm``, ``ID`` -> ``id``, ``DaysAfterInitiation`` ->
    ``daysAfterInitiation``."""
    if key.isupper():
        return key.lower()
    if key.endswith("ID"):
        key = key[:-2] + "Id"
    match = _ACRONYM.match(key)
    if match:
        return match.group(1).lower() + key[match.end() :]
    return key[:1].lower() + key[1:]


def camel(value: Any) -> Any:
    """An S3 API answer in the plan's shape: camelCase keys, tag lists (``[{Key, Value}]``) as maps, times
    as ISO 8601 strings; the answer's ``ResponseMetadata`` dropped."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "ResponseMetadata":
                continue
            if key in ("Tags", "TagSet") and isinstance(item, list):
                out["tags"] = _tag_map(item)
            else:
                out[camel_key(str(key))] = camel(item)
        return out
    if isinstance(value, list):
        return [camel(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value
