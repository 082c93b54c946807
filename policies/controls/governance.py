"""Governance of the gate itself: it fails closed.

Every resource type of a plan is either judged by a control or on the reviewed list below (each entry
with its reason); any other type is a violation, unless a team allowed it for its stack through the
pack's policy config, with a justification. Resource options that hide changes from later deployments
(`ignore_changes`) and providers that leave the perimeter are violations. A value a control needs that
cannot be known during preview, or a perimeter that is not configured, is a "could not evaluate" finding:
advisory, mandatory in prod stacks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from strongroom.policies.model import Control, Finding, evaluate
from strongroom.policies.perimeter import account_of, inside
from strongroom.policies.props import ANY_TYPE, UNKNOWN, Index, Resource, as_list
from strongroom.policies.tokens import canonical, is_provider

STACK = "pulumi:pulumi:Stack"
AWS_PROVIDER = "pulumi:providers:aws"
DYNAMIC_TYPES = ("pulumi-python:dynamic:Resource", "pulumi-nodejs:dynamic:Resource")

REVIEWED_TYPES: Mapping[str, str] = {
    # DNS Firewall and Resolver query logging (PrivateNetwork): judged through the VPC they protect.
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": (
        "a list of domain names; the rules that use it are judged through the VPC by SR-NET-040"
    ),
    "aws:route53/resolverFirewallRule:ResolverFirewallRule": (
        "judged through the VPC's associated rule groups by SR-NET-040 (nothing allows '*', block-all last)"
    ),
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": (
        "judged through the VPC it is associated with by SR-NET-040"
    ),
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": (
        "it only adds DNS filtering to a VPC; judged by SR-NET-040"
    ),
    "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": (
        "fail open or closed for a VPC's DNS Firewall; judged by SR-NET-040 (must be DISABLED)"
    ),
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": (
        "its destination is judged through the VPC by SR-NET-041 (a KMS-encrypted log group of the stack)"
    ),
    "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": (
        "it only adds query logging to a VPC; judged by SR-NET-041"
    ),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": (
        "a network ACL only filters traffic further; paths out are routes and gateways, judged by SR-NET"
    ),
    "aws:ec2/networkAcl:NetworkAcl": (
        "a network ACL only filters traffic further; paths out are routes and gateways, judged by SR-NET"
    ),
    "aws:ec2/networkAclRule:NetworkAclRule": "a rule of a network ACL (see aws:ec2/networkAcl:NetworkAcl)",
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": "binds a subnet to a network ACL",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (
        "binds a subnet to a route table; the table's routes are judged by SR-NET-006"
    ),
    "aws:cloudwatch/eventRule:EventRule": (
        "an event pattern: it selects events; where they go is its target's (SR-AUD-030)"
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "judged through its VPC by SR-NET-010",
    "aws:ec2/managedPrefixList:ManagedPrefixList": (
        "judged through the routes and rules that use it (SR-NET-006/007/008)"
    ),
    "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry": (
        "judged through the routes and rules that use its list (SR-NET-006/007/008)"
    ),
    "aws:kms/alias:Alias": "a name for a key; it grants nothing (key policies and grants do, SR-ENC)",
    "aws:s3/bucketVersioning:BucketVersioning": "judged as a companion of its bucket (SR-STO-001)",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "judged as a companion of its bucket (SR-STO-002)"
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        "judged as a companion of its bucket (SR-STO-003)"
    ),
    "aws:s3/bucketLogging:BucketLogging": "judged as a companion of its bucket (SR-STO-006)",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": (
        "judged as a companion of its bucket (SR-STO-007, SR-STO-009)"
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "judged as a companion of its bucket (SR-STO-009)"
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "judged as a companion of its bucket (SR-ENC-004)"
    ),
    "aws:guardduty/detectorFeature:DetectorFeature": "judged as a companion of its detector (SR-AUD-052)",
    "aws:securityhub/standardsSubscription:StandardsSubscription": (
        "judged through the Security Hub account (SR-AUD-053)"
    ),
    "aws:cfg/recorderStatus:RecorderStatus": "judged as a companion of its recorder (SR-AUD-054)",
    "aws:cfg/deliveryChannel:DeliveryChannel": "judged through the Config recorder (SR-AUD-054)",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": (
        "AWS defines its trust (one service) and its permissions; no principal may assume or edit it"
    ),
}
"""Types no control judges on their own, reviewed as harmless or judged through another resource. A new
entry is a security review: say why the type cannot weaken a control."""

HARMLESS_IGNORES = frozenset({"tags", "tagsAll"})
"""Properties `ignore_changes` may name without hiding a change a control judges."""


@cache
def covered_types() -> frozenset[str]:
    """Every type some control of the catalog judges (the gate's own `*` controls aside). Computed once:
    the catalog is a constant tuple, and SR-GOV-001 asks for every resource (at fifty environments the
    set was rebuilt 17,000 times from some 250 controls)."""
    from strongroom.policies.catalog import CATALOG

    return frozenset(t for c in CATALOG for t in c.resource_types if t != ANY_TYPE)


def _is_component(subject: Resource) -> bool:
    """A component resource: no provider, not a provider, not a dynamic resource. Its children are
    judged; it has no cloud effect of its own."""
    return (
        subject.provider_type is None
        and not is_provider(subject.type)
        and subject.type not in DYNAMIC_TYPES
        and canonical(subject.type).split(":")[0] != "aws"
    )


def _allow_hint(type_: str) -> str:
    return (
        "have it reviewed (a control in policies/controls/, or an entry with its reason in "
        "REVIEWED_TYPES of policies/controls/governance.py), or allow it for this stack with a justification "
        f'in the pack\'s policy config: {{"sr-gov-001": {{"allowedTypes": {{"{type_}": "<why>"}}}}}}'
    )


def _deployed(subject: Resource, _index: Index) -> bool:
    """Resources a provider creates (and providers themselves): not components, not the root stack."""
    return subject.type != STACK and not _is_component(subject)


_DEPLOYED = "resources a provider deploys and providers (not component resources, not the root stack)"


def _unreviewed(subject: Resource, index: Index) -> Iterator[str]:
    type_ = subject.type
    if type_ in covered_types() or type_ in REVIEWED_TYPES or type_ == AWS_PROVIDER:
        return
    if type_ in index.context.allowed_types or subject.written_type in index.context.allowed_types:
        return
    if type_ in DYNAMIC_TYPES:
        yield (
            f"dynamic provider resource {subject.label} ({type_}) runs the program's own code at deploy "
            f"time, which no control can judge; {_allow_hint(type_)}"
        )
    elif is_provider(type_):
        yield f"provider {subject.label} ({type_}) is not reviewed; {_allow_hint(type_)}"
    else:
        yield (
            f"resource type {type_} of {subject.label} is not judged by any Strongroom control nor on the "
            f"reviewed list; {_allow_hint(type_)}"
        )


def _ignored(subject: Resource, _index: Index) -> Iterator[str]:
    hidden = [p for p in subject.ignore_changes if p.split(".")[0].split("[")[0] not in HARMLESS_IGNORES]
    if hidden:
        yield (
            f"{subject.label} sets ignore_changes on {', '.join(hidden)}: a later change there would "
            "never be deployed or judged (only tags and tagsAll may be ignored)"
        )


def _parsed(value: Any) -> Any:
    """Provider inputs reach the pack with nested values JSON-encoded (the engine's provider config)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _assumed_roles(subject: Resource) -> Iterator[tuple[str, Any]]:
    for key in ("assumeRole", "assumeRoles", "assumeRoleWithWebIdentity"):
        for i, entry in enumerate(as_list(_parsed(subject.known(key)))):
            if isinstance(entry, Mapping):
                # typed Args arrive camelCase, dict literals as the program wrote them (snake_case)
                yield f"{key}[{i}].roleArn", entry.get("roleArn", entry.get("role_arn"))


def _provider(subject: Resource, index: Index) -> Iterator[str]:
    region = subject.known("region")
    regions = index.context.regions
    if region is None and regions:
        yield (
            f"provider {subject.label} sets no region, so it deploys wherever its environment points "
            f"(AWS_REGION, a profile); set one of {', '.join(sorted(regions))}"
        )
    elif isinstance(region, str) and regions and region not in regions:
        yield (
            f"provider {subject.label} deploys to region {region}; this stack's regions are "
            f"{', '.join(sorted(regions))}"
        )
    for where, arn in _assumed_roles(subject):
        account = account_of(arn)
        if account is None and arn is not UNKNOWN:
            yield f"provider {subject.label} {where} is not a role ARN: {arn!r}"
        elif account == "*" or (account is not None and not inside(index.context, account)):
            yield (
                f"provider {subject.label} assumes {arn} ({where}), a role of an account outside the "
                "perimeter"
            )
    for account in as_list(_parsed(subject.known("allowedAccountIds"))):
        if isinstance(account, str) and not inside(index.context, account):
            yield f"provider {subject.label} allows deploying to account {account}, outside the perimeter"
    endpoints = _parsed(subject.known("endpoints"))
    if endpoints:
        yield (
            f"provider {subject.label} overrides service endpoints ({json.dumps(endpoints)[:120]}): API "
            "calls and credentials would go to another host than AWS's"
        )
    for key in ("accessKey", "secretKey", "token"):
        if subject.known(key):
            yield f"provider {subject.label} carries static credentials ({key}); use a role or SSO session"


def _unevaluated(index: Index) -> dict[str, list[Finding]]:
    """Every 'could not evaluate' finding of the catalog's other controls, by resource URN."""
    from strongroom.policies.catalog import CATALOG

    by_urn: dict[str, list[Finding]] = {}
    for control in CATALOG:
        if control.area == "GOV":
            continue
        for finding in evaluate(control, index):
            if finding.unknown:
                by_urn.setdefault(finding.urn, []).append(finding)
    return by_urn


def _could_not_evaluate(subject: Resource, index: Index) -> Iterator[str]:
    for finding in index.memo("governance.unevaluated", lambda: _unevaluated(index)).get(subject.urn, []):
        yield f"{finding.control} could not evaluate {subject.label}: {finding.message}"


_NOTE = "No CIS or FSBP control judges the policy gate itself."

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-GOV-001",
        title="Every resource type is judged or reviewed",
        severity="high",
        enforcement="mandatory",
        resource_types=(ANY_TYPE,),
        rationale=(
            "A type no control looks at is a blind spot: a gate that passes what it does not understand "
            "gives false assurance. The gate fails closed."
        ),
        frameworks={"NIST-800-53-r5": ("CM-7", "CM-8", "SA-10")},
        framework_note=_NOTE,
        remediation=(
            "Use a type the catalog judges, or have the type reviewed; for one stack, allow it in the pack's "
            'policy config: {"sr-gov-001": {"allowedTypes": {"<type>": "<justification>"}}}.'
        ),
        applies=_deployed,
        applicability=_DEPLOYED,
        predicate=_unreviewed,
        tags=("governance",),
    ),
    Control(
        id="SR-GOV-002",
        title="No ignore_changes on a property a control judges",
        severity="high",
        enforcement="mandatory",
        resource_types=(ANY_TYPE,),
        rationale=(
            "ignore_changes makes Pulumi keep whatever is deployed: a weakened property would never be "
            "corrected, and the program no longer says what runs."
        ),
        frameworks={"NIST-800-53-r5": ("CM-2", "CM-3", "CM-6")},
        framework_note=_NOTE,
        remediation="Remove ignore_changes (only tags and tagsAll may be ignored).",
        applies=_deployed,
        applicability=_DEPLOYED,
        predicate=_ignored,
        tags=("governance",),
    ),
    Control(
        id="SR-GOV-003",
        title="AWS providers stay in the perimeter and the stack's regions",
        severity="critical",
        enforcement="mandatory",
        resource_types=(AWS_PROVIDER,),
        rationale=(
            "An explicit provider that assumes a role in another account, deploys to another region or "
            "talks to another endpoint moves resources and data outside the bank."
        ),
        frameworks={"NIST-800-53-r5": ("AC-4", "SC-7", "CM-6")},
        framework_note=_NOTE,
        remediation=(
            "Assume roles only in accounts of strongroom:perimeter.trustedAccounts, deploy to aws:region and "
            "strongroom:backup.replicaRegion, and keep AWS's own endpoints."
        ),
        predicate=_provider,
        tags=("governance", "perimeter"),
    ),
    Control(
        id="SR-GOV-004",
        title="Every control could evaluate",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(ANY_TYPE,),
        scope="stack",
        rationale=(
            "A value unknown until deployment, or a perimeter that is not configured, leaves a control "
            "unjudged; treating it as a pass would let anything through."
        ),
        frameworks={"NIST-800-53-r5": ("CA-7", "CM-6")},
        framework_note=_NOTE,
        remediation=(
            "Give the property a value known at preview (a literal, or an output of a resource created "
            "earlier), and configure strongroom:perimeter; see README, 'Could not evaluate'."
        ),
        applies=_deployed,
        applicability=_DEPLOYED,
        predicate=_could_not_evaluate,
        tags=("governance",),
    ),
)
