"""Drift: the deployed environment against the offline plan of the same stack. Pure: no boto3, no pulumi.

The live audit knows from the plan what should exist. Each planned resource of a type the audit reads is
paired with the live resource that is the same thing: the same physical name (Pulumi's auto-name suffix
``-<7 hex>`` aside, since a real deployment and the offline plan draw different suffixes), the same
``Name`` tag for EC2 resources, the same alias for a key, the same bucket for an S3 companion, and so on.
Pairing runs in dependency order; every pair teaches which planned identifier (a fake VPC ID, a fake key
ID) stands for which live one, so a subnet is paired by its VPC's live ID and its CIDR.

Then:
* a planned resource without a live pair is **missing** (SR-GOV-010);
* a live resource without a planned pair is **undeclared** (SR-GOV-011): an internet gateway someone
  attached, a policy attached to a stack role, an extra route table rule;
* a pair whose declared settings differ is **changed** (SR-GOV-012): each setting the plan knows (not
  unknown at preview) is compared after the identifier substitution, policy documents by meaning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strongroom.policies.props import UNKNOWN, Index, Resource, get

_AUTONAME = re.compile(r"-[0-9a-f]{7}$")

#: The identity of a type of which an account has one per region (a GuardDuty detector, Security Hub): no
#: path, so the planned one pairs with the live one whatever IDs the plan and AWS gave them.
SINGLETON: tuple[str, ...] = ()

_RULE = (
    "securityGroupId",
    "ipProtocol",
    "fromPort",
    "toPort",
    "cidrIpv4",
    "cidrIpv6",
    "prefixListId",
    "referencedSecurityGroupId",
)
"""A security group rule is what it admits: its group, protocol, ports and peer."""

#: How a resource of each type is recognised, in the order types are paired (a type after those its
#: identity refers to). Paths into the stack view's props; ``~`` marks a physical name compared without
#: Pulumi's auto-name suffix.
IDENTITY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("aws:ec2/vpc:Vpc", ("tags.Name",)),
    ("aws:ec2/subnet:Subnet", ("tags.Name",)),
    ("aws:ec2/routeTable:RouteTable", ("tags.Name",)),
    ("aws:ec2/defaultRouteTable:DefaultRouteTable", ("tags.Name",)),
    ("aws:ec2/networkAcl:NetworkAcl", ("tags.Name",)),
    ("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", ("tags.Name",)),
    ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", ("vpcId",)),
    ("aws:ec2/securityGroup:SecurityGroup", ("vpcId", "~name")),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", ("vpcId", "serviceName", "vpcEndpointType")),
    ("aws:cloudwatch/logGroup:LogGroup", ("~name",)),
    ("aws:ec2/flowLog:FlowLog", ("vpcId", "trafficType")),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", _RULE),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", _RULE),
    ("aws:ec2/routeTableAssociation:RouteTableAssociation", ("routeTableId", "subnetId")),
    ("aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig", ("name",)),
    (
        "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation",
        ("resolverQueryLogConfigId", "resourceId"),
    ),
    ("aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup", ("name",)),
    (
        "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",
        ("vpcId", "firewallRuleGroupId"),
    ),
    ("aws:route53/resolverFirewallConfig:ResolverFirewallConfig", ("resourceId",)),
    ("aws:kms/alias:Alias", ("name",)),
    ("aws:kms/key:Key", ("id",)),
    ("aws:iam/policy:Policy", ("~name",)),
    ("aws:iam/role:Role", ("~name",)),
    ("aws:iam/rolePolicy:RolePolicy", ("role", "~name")),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", ("role", "policyArn")),
    ("aws:s3/bucket:Bucket", ("~bucket",)),
    ("aws:s3/bucketVersioning:BucketVersioning", ("bucket",)),
    ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", ("bucket",)),
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", ("bucket",)),
    ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", ("bucket",)),
    ("aws:s3/bucketPolicy:BucketPolicy", ("bucket",)),
    ("aws:s3/bucketLogging:BucketLogging", ("bucket",)),
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", ("bucket",)),
    ("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", ("bucket",)),
    ("aws:s3/bucketReplicationConfig:BucketReplicationConfig", ("bucket",)),
    ("aws:s3/bucketNotification:BucketNotification", ("bucket",)),
    ("aws:cloudtrail/trail:Trail", ("~name",)),
    ("aws:sns/topic:Topic", ("~name",)),
    ("aws:sns/topicPolicy:TopicPolicy", ("arn",)),
    ("aws:sns/topicSubscription:TopicSubscription", ("topic", "protocol", "endpoint")),
    ("aws:cloudwatch/eventRule:EventRule", ("~name",)),
    ("aws:cloudwatch/eventTarget:EventTarget", ("rule", "arn")),
    ("aws:sagemaker/domain:Domain", ("domainName",)),
    ("aws:sagemaker/notebookInstance:NotebookInstance", ("~name",)),
    ("aws:sagemaker/modelPackageGroup:ModelPackageGroup", ("modelPackageGroupName",)),
    ("aws:cfg/recorder:Recorder", ("name",)),
    ("aws:cfg/recorderStatus:RecorderStatus", ("name",)),
    ("aws:cfg/deliveryChannel:DeliveryChannel", ("name",)),
    ("aws:guardduty/detector:Detector", SINGLETON),
    ("aws:guardduty/detectorFeature:DetectorFeature", ("detectorId", "name")),
    ("aws:securityhub/account:Account", SINGLETON),
    ("aws:securityhub/standardsSubscription:StandardsSubscription", ("standardsArn",)),
    ("aws:accessanalyzer/analyzer:Analyzer", ("analyzerName",)),
)

#: The settings compared on a pair, per type: what the stack declares and an attacker would change.
COMPARED: Mapping[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("cidrBlock", "enableDnsSupport", "enableDnsHostnames"),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "mapPublicIpOnLaunch", "vpcId"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("policy", "privateDnsEnabled"),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "logDestination", "logDestinationType"),
    "aws:cloudwatch/logGroup:LogGroup": ("kmsKeyId", "retentionInDays"),
    "aws:kms/key:Key": ("enableKeyRotation", "policy", "keyUsage"),
    "aws:kms/alias:Alias": ("targetKeyId",),
    "aws:iam/role:Role": ("assumeRolePolicy", "permissionsBoundary", "path"),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:s3/bucket:Bucket": ("objectLockEnabled",),
    "aws:s3/bucketVersioning:BucketVersioning": ("versioningConfiguration.status",),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm",
        "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ("rule.objectOwnership",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": (
        "rule.defaultRetention.mode",
        "rule.defaultRetention.days",
        "rule.defaultRetention.years",
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ("role",),
    "aws:cloudtrail/trail:Trail": (
        "isMultiRegionTrail",
        "includeGlobalServiceEvents",
        "enableLogFileValidation",
        "enableLogging",
        "kmsKeyId",
        "s3BucketName",
    ),
    "aws:sagemaker/domain:Domain": ("appNetworkAccessType", "kmsKeyId", "vpcId"),
    "aws:sagemaker/notebookInstance:NotebookInstance": ("directInternetAccess", "rootAccess", "kmsKeyId"),
    "aws:cfg/deliveryChannel:DeliveryChannel": ("s3BucketName", "s3KeyPrefix", "s3KmsKeyArn", "snsTopicArn"),
    "aws:guardduty/detector:Detector": ("findingPublishingFrequency",),
}

_DOCUMENTS = frozenset({"policy", "assumeRolePolicy"})
#: Props whose paired values teach an identifier substitution (planned fake -> live).
_IDENTIFIERS = (
    "id",
    "arn",
    "name",
    "bucket",
    "targetKeyId",
    "targetKeyArn",
    "keyId",
    "domainName",
    "prefixListId",
)


@dataclass
class Drift:
    """The outcome of pairing: pairs (planned, live), the planned resources missing live, the live
    resources the plan does not declare, and the planned -> live identifier substitution learned."""

    pairs: list[tuple[Resource, Resource]] = field(default_factory=list)
    missing: list[Resource] = field(default_factory=list)
    undeclared: list[Resource] = field(default_factory=list)
    substitution: dict[str, str] = field(default_factory=dict)

    def partner(self, live: Resource) -> Resource | None:
        for planned, found in self.pairs:
            if found is live:
                return planned
        return None


def stem(name: Any) -> Any:
    """A physical name without Pulumi's auto-name suffix (``data-1a2b3c4`` -> ``data``)."""
    return _AUTONAME.sub("", name) if isinstance(name, str) else name


def _substitute(value: Any, substitution: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        if value in substitution:
            return substitution[value]
        if any(fake in value for fake in substitution):
            for fake in sorted(substitution, key=len, reverse=True):
                value = value.replace(fake, substitution[fake])
        return value
    if isinstance(value, Mapping):
        return {k: _substitute(v, substitution) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_substitute(v, substitution) for v in value]
    return value


def _plain(value: Any) -> Any:
    """Whole-number floats as ints: the plan's numbers arrive as floats (``443.0``), AWS's as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_unknown(v) for v in value)
    return False


def _key(resource: Resource, paths: Sequence[str], substitution: Mapping[str, str] | None) -> tuple[Any, ...]:
    parts: list[Any] = []
    for path in paths:
        bare = path.lstrip("~")
        value = resource.get(bare)
        if substitution is not None:
            value = _substitute(value, substitution)
        if path.startswith("~"):
            value = stem(value)
        parts.append(json.dumps(_plain(value), sort_keys=True, default=str))
    return tuple(parts)


def pair(planned: Iterable[Resource], live: Index, types: Iterable[str]) -> Drift:
    """Pair the planned resources of ``types`` (those the audit reads) with the live ones."""
    wanted = frozenset(types)
    drift = Drift()
    by_type: dict[str, list[Resource]] = {}
    for resource in planned:
        if resource.type in wanted:
            by_type.setdefault(resource.type, []).append(resource)
    ordered = [(t, paths) for t, paths in IDENTITY if t in wanted]
    ordered += [(t, ("id",)) for t in sorted(wanted - {t for t, _ in IDENTITY})]
    for type_, paths in ordered:
        candidates: dict[tuple[Any, ...], list[Resource]] = {}
        for resource in live.of_type(type_):
            candidates.setdefault(_key(resource, paths, None), []).append(resource)
        for resource in by_type.get(type_, ()):
            if any(_contains_unknown(resource.get(p.lstrip("~"))) for p in paths):
                continue  # cannot be placed: neither missing nor paired
            found = candidates.get(_key(resource, paths, drift.substitution))
            if not found:
                drift.missing.append(resource)
                continue
            match = found.pop(0)
            drift.pairs.append((resource, match))
            _learn(resource, match, drift.substitution)
        drift.undeclared.extend(r for group in candidates.values() for r in group)
    return drift


def _learn(planned: Resource, live: Resource, substitution: dict[str, str]) -> None:
    for prop in _IDENTIFIERS:
        before, after = planned.get(prop), live.get(prop)
        if isinstance(before, str) and isinstance(after, str) and before and after and before != after:
            substitution.setdefault(before, after)


def normal_document(value: Any) -> Any:
    """A policy document for comparison by meaning: parsed, single values as one-item lists, lists sorted,
    keys sorted; a value that is not JSON is kept as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return _normal(value)


def _normal(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = {k: _normal(v) for k, v in value.items() if k != "Version"}
        for k in ("Action", "NotAction", "Resource", "NotResource"):
            if isinstance(out.get(k), str):
                out[k] = [out[k]]
        if isinstance(out.get("Principal"), Mapping):
            out["Principal"] = {
                k: sorted(v if isinstance(v, list) else [v], key=str) for k, v in out["Principal"].items()
            }
        return out
    if isinstance(value, (list, tuple)):
        return sorted((_normal(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _statements(document: Any) -> dict[str, Any]:
    normal = normal_document(document)
    listed = normal.get("Statement", []) if isinstance(normal, Mapping) else []
    listed = listed if isinstance(listed, list) else [listed]
    return {
        str(st.get("Sid") or json.dumps(st, sort_keys=True)[:60]): st
        for st in listed
        if isinstance(st, Mapping)
    }


def document_difference(expected: Any, actual: Any) -> str:
    """Which statements (by Sid) were added, removed or changed between two policy documents."""
    before, after = _statements(expected), _statements(actual)
    parts = []
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    if added:
        parts.append("statements added: " + ", ".join(added))
    if removed:
        parts.append("statements removed: " + ", ".join(removed))
    if changed:
        parts.append("statements changed: " + ", ".join(changed))
    return "; ".join(parts) or "the document's other keys differ"


def changes(planned: Resource, live: Resource, substitution: Mapping[str, str]) -> Iterator[str]:
    """One message per declared setting of ``planned`` that the live resource no longer has."""
    for path in COMPARED.get(planned.type, ()):
        declared = get(planned.props, path)
        if declared is None or _contains_unknown(declared):
            continue
        actual = _plain(get(live.props, path))
        expected = _plain(_substitute(declared, substitution))
        leaf = path.rsplit(".", 1)[-1]
        if leaf in _DOCUMENTS:
            if actual is None:
                yield f"{path} is gone; the stack declares one"
            elif normal_document(expected) != normal_document(actual):
                difference = document_difference(expected, actual)
                yield f"{path} differs from the document the stack declares: {difference}"
            continue
        if actual is None:
            continue  # not read live: nothing to compare (a removed companion is missing instead)
        if actual != expected and not (isinstance(actual, str) and actual.endswith(f"/{expected}")):
            yield f"{path} is {actual!r}, the stack declares {expected!r}"
