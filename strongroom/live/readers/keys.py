"""Live reader for the keys area: the environment's customer managed KMS keys and their aliases.

Discovery, in the audit's region and every region of the stack (the backup replica key's too): every key
(``kms:ListKeys``) that is not AWS managed (the target of an ``alias/aws/...``) and that either carries the
tag ``strongroom:environment=<stack>`` (``ListResourceTags``) or is the target of one of the stack's
aliases (``alias/strongroom-<stack>-<purpose>``, ``components.layout.alias_name``): a key whose tag was
removed is still found by its alias, and a key one of the stack's aliases was repointed to is judged as
the environment's (its policy and rotation are what protect the data encrypted under that alias now). An
alias-named key tagged for another environment is that one's (``alias/strongroom-prod-eu-data`` has the
prefix of stack ``prod`` too). A key whose tags the caller may not read (the auditor role is granted the
stack's keys only) and that no alias of the stack names is not the environment's.

Each key is yielded in the plan's shape of its type: ``aws:kms/key:Key`` (``policy`` JSON string,
``enableKeyRotation`` and ``rotationPeriodInDays`` from ``GetKeyRotationStatus``, ``keyUsage``,
``customerMasterKeySpec``, ``multiRegion``, ``isEnabled``), ``aws:kms/replicaKey:ReplicaKey`` for a
multi-Region replica and ``aws:kms/externalKey:ExternalKey`` for imported key material. Every alias that
names one of those keys is yielded as ``aws:kms/alias:Alias``.

Not read: ``deletionWindowInDays``. AWS keeps the window only while a deletion is scheduled and does not
return it (DescribeKey gives the ``DeletionDate``), so it is left out and SR-ENC-003 judges it as unset
(AWS's default of 30 days). The key's life cycle is given instead, as props the plan does not have:
``keyState`` (``Enabled``, ``Disabled``, ``PendingDeletion``, ...) and, while a deletion is scheduled,
``deletionDate`` (ISO 8601). Rotation status is left out when AWS cannot report it (keys pending
deletion, asymmetric and HMAC keys, imported material); SR-ENC-001 then reports rotation as off, which
for a symmetric key pending deletion is the truth of the next weeks.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from strongroom.components.layout import alias_name
from strongroom.components.tags import ENVIRONMENT_TAG
from strongroom.live.aws import Aws
from strongroom.live.readers import Scope, live_resource
from strongroom.policies.props import Resource

KEY = "aws:kms/key:Key"
REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
EXTERNAL_KEY = "aws:kms/externalKey:ExternalKey"
ALIAS = "aws:kms/alias:Alias"

TYPES: tuple[str, ...] = (KEY, REPLICA_KEY, EXTERNAL_KEY, ALIAS)

#: Tag reads that mean "not the environment's key": the caller may not read it, or it is gone.
_NOT_OURS = ("AccessDeniedException", "NotFoundException")
#: GetKeyRotationStatus of a key whose rotation AWS does not report (pending deletion, asymmetric, HMAC,
#: imported or in an external key store).
_NO_ROTATION = ("UnsupportedOperationException", "KMSInvalidStateException")


@dataclass(frozen=True)
class _Candidate:
    key_id: str
    region: str
    named: bool
    """Whether an alias of the stack names the key."""


def read(aws: Aws, scope: Scope) -> Iterator[Resource]:
    for region in dict.fromkeys((scope.region, *scope.regions)):
        yield from _region(aws, scope, region)


def _stack_alias(scope: Scope, name: str) -> bool:
    return name.startswith(alias_name(scope.stack, ""))


def _environment_tagged(tags: list[dict[str, Any]]) -> bool:
    """Whether a key carries the environment tag at all (of this stack or, like ``prod-eu`` beside
    ``prod``, whose aliases share the prefix, of another)."""
    return any(t.get("TagKey") == ENVIRONMENT_TAG for t in tags)


def _region(aws: Aws, scope: Scope, region: str) -> Iterator[Resource]:
    aliases = aws.pages("kms", "list_aliases", "Aliases", region=region)
    aws_managed = {
        a.get("TargetKeyId") for a in aliases if str(a.get("AliasName", "")).startswith("alias/aws/")
    }
    named = {a.get("TargetKeyId") for a in aliases if _stack_alias(scope, str(a.get("AliasName", "")))}
    candidates = [
        _Candidate(str(k["KeyId"]), region, k["KeyId"] in named)
        for k in aws.pages("kms", "list_keys", "Keys", region=region)
        if k.get("KeyId") and k["KeyId"] not in aws_managed
    ]
    keys = [k for k in aws.map(lambda c: _key(aws, scope, c), candidates) if k is not None]
    yield from keys
    ids = {str(k.props["id"]) for k in keys}
    arns = {str(k.props["id"]): str(k.props["arn"]) for k in keys}
    for alias in aliases:
        name = str(alias.get("AliasName", ""))
        target = alias.get("TargetKeyId")
        if target not in ids:
            continue
        props: dict[str, Any] = {"name": name, "id": name, "arn": alias.get("AliasArn")}
        if target:
            props["targetKeyId"] = target
            props["targetKeyArn"] = arns.get(target) or scope.arn("kms", f"key/{target}", region=region)
        yield live_resource(ALIAS, str(alias.get("AliasArn") or f"{ALIAS}::{name}"), name, props)


def _key(aws: Aws, scope: Scope, candidate: _Candidate) -> Resource | None:
    key_id, region = candidate.key_id, candidate.region
    listed = aws.memo(
        ("kms.tags", region, key_id),
        lambda: aws.call("kms", "list_resource_tags", missing=_NOT_OURS, region=region, KeyId=key_id),
    )
    tag_list = (listed or {}).get("Tags") or []
    if not scope.tagged(tag_list) and not (candidate.named and not _environment_tagged(tag_list)):
        return None
    metadata = (aws.call("kms", "describe_key", region=region, KeyId=key_id) or {}).get("KeyMetadata") or {}
    if metadata.get("KeyManager") == "AWS":
        return None
    tags = {str(t["TagKey"]): str(t.get("TagValue", "")) for t in tag_list if "TagKey" in t}
    policy = aws.call("kms", "get_key_policy", region=region, KeyId=key_id, PolicyName="default") or {}
    multi = metadata.get("MultiRegionConfiguration") or {}
    props: dict[str, Any] = {
        "arn": metadata.get("Arn"),
        "id": key_id,
        "keyId": key_id,
        "description": metadata.get("Description", ""),
        "keyUsage": metadata.get("KeyUsage"),
        "multiRegion": bool(metadata.get("MultiRegion", False)),
        "policy": policy.get("Policy"),
        "tags": tags,
        "tagsAll": dict(tags),
        "keyState": metadata.get("KeyState"),
    }
    if isinstance(metadata.get("DeletionDate"), datetime.datetime):
        props["deletionDate"] = metadata["DeletionDate"].isoformat()
    if metadata.get("Origin") == "EXTERNAL":
        type_ = EXTERNAL_KEY
        del props["keyId"]  # ExternalKey has its key ID as `id` only
        props |= {"enabled": bool(metadata.get("Enabled")), "keySpec": metadata.get("KeySpec")}
        if metadata.get("ExpirationModel"):
            props["expirationModel"] = metadata["ExpirationModel"]
        if isinstance(metadata.get("ValidTo"), datetime.datetime):
            props["validTo"] = metadata["ValidTo"].isoformat()
    elif multi.get("MultiRegionKeyType") == "REPLICA":
        type_ = REPLICA_KEY
        del props["multiRegion"]  # a ReplicaKey is multi-Region by definition and has no such prop
        props |= {
            "enabled": bool(metadata.get("Enabled")),
            "keySpec": metadata.get("KeySpec"),
            "primaryKeyArn": (multi.get("PrimaryKey") or {}).get("Arn"),
        }
        rotation = _rotation(aws, region, key_id)
        if rotation is not None:
            props["keyRotationEnabled"] = rotation[0]
    else:
        type_ = KEY
        props |= {
            "isEnabled": bool(metadata.get("Enabled")),
            "customerMasterKeySpec": metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec"),
        }
        if metadata.get("CustomKeyStoreId"):
            props["customKeyStoreId"] = metadata["CustomKeyStoreId"]
        if (metadata.get("XksKeyConfiguration") or {}).get("Id"):
            props["xksKeyId"] = metadata["XksKeyConfiguration"]["Id"]
        rotation = _rotation(aws, region, key_id)
        if rotation is not None:
            props["enableKeyRotation"] = rotation[0]
            if rotation[1] is not None:
                props["rotationPeriodInDays"] = rotation[1]
    # A multi-Region primary and its replicas share the key ID: the name says which region's copy.
    name = f"{key_id} ({region})" if metadata.get("MultiRegion") else key_id
    props = {k: v for k, v in props.items() if v is not None}
    return live_resource(type_, str(props.get("arn") or f"{type_}::{key_id}"), name, props)


def _rotation(aws: Aws, region: str, key_id: str) -> tuple[bool, int | None] | None:
    """(rotation enabled, period in days or None) of a key; None when AWS does not report it."""
    status = aws.call("kms", "get_key_rotation_status", missing=_NO_ROTATION, region=region, KeyId=key_id)
    if status is None:
        return None
    period = status.get("RotationPeriodInDays")
    return bool(status.get("KeyRotationEnabled")), int(period) if isinstance(period, int) else None
