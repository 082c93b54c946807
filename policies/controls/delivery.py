"""Where events, notifications and alerts are delivered: only to resources inside the perimeter.

EventBridge targets, SNS subscriptions and S3 event notifications carry object keys, API calls and alert
contents; a destination in another account, or a web endpoint, is a way out for that data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strongroom.policies import eventpattern
from strongroom.policies.config import GLOBAL_EVENTS_REGION
from strongroom.policies.controls.audit import TRAIL
from strongroom.policies.model import Control
from strongroom.policies.perimeter import CannotJudge, account_of, inside
from strongroom.policies.props import UNKNOWN, Index, Resource, UnknownValue, is_false
from strongroom.policies.references import aws_managed_key

EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
TOPIC = "aws:sns/topic:Topic"
CLOUDTRAIL_DETAIL = "AWS API Call via CloudTrail"

SUBSCRIPTION_PROTOCOLS = frozenset({"email", "email-json", "sqs", "lambda", "firehose"})
"""SNS protocols that deliver to a person's mailbox or to an AWS resource whose account can be judged;
http, https, sms and application (mobile push) deliver to endpoints outside AWS."""


def _outside(subject: Resource, index: Index, where: str, arn: Any) -> Iterator[str]:
    if arn is UNKNOWN:
        raise UnknownValue(subject.label, where)
    if not isinstance(arn, str) or not arn:
        return
    account = account_of(arn)
    if account is None:
        yield f"{subject.label} {where} '{arn}' names no account of the perimeter"
    elif account == "*" or not inside(index.context, account):
        yield f"{subject.label} delivers to {arn} ({where}), in account {account} outside the perimeter"


def _event_target(subject: Resource, index: Index) -> Iterator[str]:
    yield from _outside(subject, index, "arn", subject.known("arn"))
    if subject.get("roleArn") is not None:
        yield from _outside(subject, index, "roleArn", subject.known("roleArn"))


def _subscription(subject: Resource, index: Index) -> Iterator[str]:
    protocol = subject.known("protocol")
    if protocol not in SUBSCRIPTION_PROTOCOLS:
        yield (
            f"subscription {subject.label} uses protocol {protocol!r}, which delivers outside AWS; accepted: "
            f"{', '.join(sorted(SUBSCRIPTION_PROTOCOLS))}"
        )
        return
    if protocol not in ("email", "email-json"):
        yield from _outside(subject, index, "endpoint", subject.known("endpoint"))


def _notification(subject: Resource, index: Index) -> Iterator[str]:
    for key, arn_key in (
        ("topics", "topicArn"),
        ("queues", "queueArn"),
        ("lambdaFunctions", "lambdaFunctionArn"),
    ):
        for i, entry in enumerate(subject.known(key, []) or []):
            if isinstance(entry, dict):
                yield from _outside(subject, index, f"{key}[{i}].{arn_key}", entry.get(arn_key))


# --- alerts that cannot be silenced (SR-AUD-040..044) ----------------------------------------------------
# A rule is judged by what it matches: its pattern runs against sample CloudTrail events
# (policies.eventpattern). Only rules that are enabled and target a KMS-encrypted SNS topic of the plan
# deliver an alert.

Sample = tuple[str, dict[str, Any]]
"""How a message names the sample event, and the event."""


def _call(service: str, event_name: str, /, **params: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "source": f"aws.{service}",
        "detail-type": CLOUDTRAIL_DETAIL,
        "detail": {
            "eventVersion": "1.09",
            "eventSource": f"{service}.amazonaws.com",
            "eventName": event_name,
            "eventCategory": "Management",
            "managementEvent": True,
            "readOnly": False,
            "userIdentity": {"type": "AssumedRole", "accountId": "111122223333"},
            "requestParameters": params,
        },
    }


def _samples(service: str, names: tuple[str, ...], /, **params: Any) -> list[Sample]:
    return [(f"{service}:{name}", _call(service, name, **params)) for name in names]


IAM_SAMPLES = _samples(
    "iam",
    ("CreatePolicyVersion", "SetDefaultPolicyVersion"),
    policyArn="arn:aws:iam::111122223333:policy/strongroom/guardrail",
    setAsDefault=True,
) + _samples(
    "kms",
    ("CreateGrant",),
    keyId="arn:aws:kms:eu-west-2:111122223333:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b03",
    granteePrincipal="arn:aws:iam::444455556666:root",
    operations=["Decrypt"],
)
BUCKET_SAMPLES = _samples(
    "s3",
    (
        "PutBucketLifecycle",
        "DeleteBucketLifecycle",
        "PutBucketReplication",
        "DeleteBucketReplication",
        "PutObjectLockConfiguration",
    ),
    bucketName="sr-prod-data-bucket",
)
NETWORK_SAMPLES = (
    _samples("ec2", ("CreateVpcEndpoint", "ModifyVpcEndpoint"), vpcEndpointId="vpce-0abc", vpcId="vpc-0abc")
    + _samples(
        "ec2",
        ("CreateVpcPeeringConnection", "AcceptVpcPeeringConnection"),
        vpcId="vpc-0abc",
        peerOwnerId="444455556666",
    )
    + _samples("ec2", ("DeleteFlowLogs",), DeleteFlowLogsRequest={"FlowLogId": {"content": "fl-0abc"}})
)
ROUTE_DESTINATIONS: tuple[tuple[str, str], ...] = (
    ("destinationCidrBlock", "0.0.0.0/0"),
    ("destinationCidrBlock", "0.0.0.0/1"),
    ("destinationCidrBlock", "128.0.0.0/1"),
    ("destinationCidrBlock", "52.94.0.0/16"),
    ("destinationIpv6CidrBlock", "::/0"),
    ("destinationIpv6CidrBlock", "2000::/3"),
    ("destinationPrefixListId", "pl-0abc1234"),
)
"""Routes that leave the VPC: the default route, its two halves, a public range, IPv6, a prefix list."""
ROUTE_SAMPLES = [
    (
        f"ec2:{name} to {value}",
        _call("ec2", name, routeTableId="rtb-0abc", gatewayId="igw-0abc", **{field: value}),
    )
    for name in ("CreateRoute", "ReplaceRoute")
    for field, value in ROUTE_DESTINATIONS
]


def _delivering_rules(index: Index) -> list[Resource]:
    """Enabled rules with a target that is a KMS-encrypted SNS topic of the plan."""

    def compute() -> list[Resource]:
        to_topic: set[str] = set()
        for topic in index.of_type(TOPIC):
            key = topic.get("kmsMasterKeyId")
            if key is UNKNOWN:
                raise UnknownValue(topic.label, "kmsMasterKeyId")
            # An AWS managed key (alias/aws/sns) admits no EventBridge: nothing would be delivered.
            if isinstance(key, str) and key and not aws_managed_key(key):
                to_topic |= {t.urn for t in index.referencing(topic, EVENT_TARGET, "arn", ("arn", "id"))}
        rules: list[Resource] = []
        for rule in index.of_type(EVENT_RULE):
            targets = index.referencing(rule, EVENT_TARGET, "rule", ("name", "id"))
            if not any(t.urn in to_topic for t in targets):
                continue
            if rule.known("state", "ENABLED") == "ENABLED" and not is_false(rule.known("isEnabled", True)):
                rules.append(rule)
        return rules

    result: list[Resource] = index.memo("delivery:delivering-rules", compute)
    return result


def _unmatched(samples: list[Sample], rules: list[Resource]) -> list[str]:
    """The sample labels no rule matches; raises UnknownValue when an unmatched sample might be matched
    by a rule whose pattern is unknown or beyond the matcher (for that sample's event)."""
    missing: list[str] = []
    undecided: list[Resource] = []
    # Each sample's scan starts at the rule that matched the previous one and goes round the list from
    # there: samples come grouped by the resource they watch and in the plan's order, as the rules do, so
    # one rule usually matches a group and the next group's rule is close after it. Several environments
    # in one stack would otherwise cost a scan from the first rule for every group (quadratic). Which rule
    # matches does not matter, only whether one does, so the order changes nothing found.
    start = 0
    for label, event in samples:
        hit = False
        maybe: list[Resource] = []
        for offset in range(len(rules)):
            position = (start + offset) % len(rules)
            rule = rules[position]
            pattern = rule.get("eventPattern")
            if pattern is UNKNOWN:
                maybe.append(rule)
                continue
            if pattern is None:
                continue
            try:
                if eventpattern.matches(pattern, event):
                    hit = True
                    start = position
                    break
            except eventpattern.UnsupportedPattern:
                maybe.append(rule)
        if not hit:
            missing.append(label)
            undecided += maybe  # every rule was tried for this sample
    if missing and undecided:
        # The first undecided rule in the rules' order (as a scan in that order meets it first).
        first = next(r for r in rules if any(r is u for u in undecided))
        raise UnknownValue(first.label, "eventPattern")
    return missing


def _coverage(what: str, samples: list[Sample]) -> Any:
    def predicate(subject: Resource, index: Index) -> Iterator[str]:
        # The same for every trail of the stack: matched once per index (UnknownValue is re-raised
        # for each trail, as before, since a raising computation is not memoised).
        missing: list[str] = index.memo(
            f"delivery:unmatched:{what}", lambda: _unmatched(samples, _delivering_rules(index))
        )
        if missing:
            yield (
                f"no enabled rule delivering to a KMS-encrypted SNS topic alerts on {what}: "
                f"{', '.join(missing)} (trail {subject.label} records them)"
            )

    return predicate


def _alert_path(subject: Resource, index: Index) -> Iterator[str]:
    rules = _delivering_rules(index)
    if not rules:
        yield f"no enabled rule delivers to a KMS-encrypted SNS topic (trail {subject.label} feeds none)"
        return
    missing: list[str] = index.memo("delivery:alert-path", lambda: _alert_path_unmatched(index, rules))
    if missing:
        yield (
            "no enabled rule delivering to a KMS-encrypted SNS topic alerts on silencing the alert path: "
            f"{', '.join(missing)} (trail {subject.label} records them)"
        )


def _alert_path_unmatched(index: Index, rules: list[Resource]) -> list[str]:
    """The silencing events of the alert path (its topics, subscriptions and rules) no rule matches: the
    same for every trail of the stack, so computed once per index."""
    samples: list[Sample] = []
    for topic in index.of_type(TOPIC):
        if not index.referencing(topic, EVENT_TARGET, "arn", ("arn", "id")):
            continue
        arn = topic.known("arn")
        if not isinstance(arn, str):
            raise UnknownValue(topic.label, "arn")
        samples += _samples(
            "sns", ("SetTopicAttributes", "DeleteTopic", "Subscribe"), topicArn=arn, attributeName="Policy"
        )
        samples += _samples("sns", ("Unsubscribe",), subscriptionArn=f"{arn}:5d2b6a2e-0000-4000-8000-1234")
    for rule in rules:
        name = rule.known("name")
        if not isinstance(name, str):
            raise UnknownValue(rule.label, "name")
        samples += [
            (f"{label} of {name}", event)
            for label, event in _samples("events", ("DeleteRule", "DisableRule", "PutRule"), name=name)
            + _samples("events", ("RemoveTargets", "PutTargets"), rule=name, ids=["1"])
        ]
    return _unmatched(samples, rules)


def _region_of(resource: Resource) -> str | None:
    """The region a rule or target sets (pulumi-aws 7's per-resource `region`), None for the provider's."""
    region = resource.known("region")
    return region if isinstance(region, str) and region else None


def _home_regions(index: Index) -> set[str]:
    """The regions of the encrypted topics the delivering rules target (the home region of the alerts)."""
    homes: set[str] = index.memo("delivery:home-regions", lambda: _compute_home_regions(index))
    return homes


def _compute_home_regions(index: Index) -> set[str]:
    homes: set[str] = set()
    delivering = [r for r in _delivering_rules(index)]
    # The targets of the delivering rules, by identity (a target of a rule that does not deliver does not
    # make its topic a home).
    delivering_targets = [
        target
        for rule in delivering
        for target in index.referencing(rule, EVENT_TARGET, "rule", ("name", "id"))
    ]
    for topic in index.of_type(TOPIC):
        targets = index.referencing(topic, EVENT_TARGET, "arn", ("arn", "id"))
        if not any(target in delivering_targets for target in targets):
            continue
        arn = topic.known("arn")
        parts = arn.split(":") if isinstance(arn, str) else []
        if len(parts) < 6 or not parts[3]:
            raise UnknownValue(topic.label, "arn")
        homes.add(parts[3])
    return homes


def _forwarding_rules(index: Index, region: str, homes: set[str]) -> list[Resource]:
    """Enabled rules in `region` with a target in that region that is an event bus of a home region."""
    found: list[Resource] = []
    for rule in index.of_type(EVENT_RULE):
        if _region_of(rule) != region:
            continue
        if rule.known("state", "ENABLED") != "ENABLED" or is_false(rule.known("isEnabled", True)):
            continue
        for target in index.referencing(rule, EVENT_TARGET, "rule", ("name", "id")):
            arn = target.known("arn")
            parts = arn.split(":") if isinstance(arn, str) else []
            if (
                _region_of(target) == region
                and len(parts) == 6
                and parts[2] == "events"
                and parts[3] in homes
                and parts[5].startswith("event-bus/")
            ):
                found.append(rule)
                break
    return found


REPLICA_SAMPLES = IAM_SAMPLES[2:] + BUCKET_SAMPLES + NETWORK_SAMPLES + ROUTE_SAMPLES
"""Regional events: KMS grants, bucket retention, endpoints, peering, flow logs, routes."""


def _other_regions(subject: Resource, index: Index) -> Iterator[str]:
    regions = index.context.regions
    if not regions:
        raise CannotJudge(
            f"the stack's regions are not known, so SR-AUD-047 cannot tell which regions trail "
            f"{subject.label}'s alerts must watch (aws:region, strongroom:backup.replicaRegion)"
        )
    homes = _home_regions(index)
    if not homes:
        return  # no alert reaches a topic at all: SR-AUD-040 reports it
    for region in sorted(regions - homes):
        samples = IAM_SAMPLES[:2] if region == GLOBAL_EVENTS_REGION else REPLICA_SAMPLES
        missing: list[str] = index.memo(
            f"delivery:forwarding:{region}",
            lambda region=region, samples=samples: _unmatched(  # type: ignore[misc]
                list(samples), _forwarding_rules(index, region, homes)
            ),
        )
        if missing:
            yield (
                f"no enabled rule in {region} forwards to the event bus of {', '.join(sorted(homes))} "
                f"(where the alert topic is): {', '.join(missing)}"
            )


_NOTE = "No CIS or FSBP control judges where events and notifications are delivered."
_ALERT_NOTE = (
    "CIS 4.x metric filters watch a few of these calls through CloudWatch Logs; none covers the alert path "
    "itself, grants, retention or routes of any destination."
)

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-AUD-030",
        title="EventBridge targets are inside the perimeter",
        severity="high",
        enforcement="mandatory",
        resource_types=(EVENT_TARGET,),
        rationale="A target in another account receives every matched event (API calls, findings, alerts).",
        frameworks={"NIST-800-53-r5": ("AC-4", "SI-4")},
        framework_note=_NOTE,
        remediation="Target topics, queues, functions or buses of this stack or of trusted accounts.",
        predicate=_event_target,
        tags=("audit", "perimeter"),
    ),
    Control(
        id="SR-AUD-031",
        title="SNS subscriptions deliver to mailboxes or to resources inside the perimeter",
        severity="high",
        enforcement="mandatory",
        resource_types=(TOPIC_SUBSCRIPTION,),
        rationale="An http(s), SMS or push subscription sends alert contents to an endpoint outside AWS.",
        frameworks={"NIST-800-53-r5": ("AC-4", "SC-7")},
        framework_note=_NOTE,
        remediation="Subscribe e-mail addresses, or queues/functions/streams of trusted accounts.",
        predicate=_subscription,
        tags=("audit", "perimeter"),
    ),
    Control(
        id="SR-AUD-032",
        title="S3 event notifications are delivered inside the perimeter",
        severity="medium",
        enforcement="mandatory",
        resource_types=(BUCKET_NOTIFICATION,),
        rationale="S3 event notifications carry object keys and sizes: data about the data, sent out.",
        frameworks={"NIST-800-53-r5": ("AC-4",)},
        framework_note=_NOTE,
        remediation="Notify topics, queues or functions of this stack or of trusted accounts.",
        predicate=_notification,
        tags=("audit", "perimeter"),
    ),
    Control(
        id="SR-AUD-040",
        title="Silencing the alert path alerts (its rules, targets, topic and subscriptions)",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(TRAIL,),
        scope="stack",
        rationale=(
            "An intruder first disables the rule, removes its target or unsubscribes the SOC; each of those "
            "calls must itself raise an alert before it takes effect."
        ),
        frameworks={"NIST-800-53-r5": ("SI-4", "AU-5", "AU-9")},
        framework_note=_ALERT_NOTE,
        remediation=(
            "Add an enabled EventBridge rule targeting the KMS-encrypted alert topic that matches events "
            "PutRule/DeleteRule/DisableRule (requestParameters.name) and PutTargets/RemoveTargets "
            "(requestParameters.rule) of the alert rules, and SNS SetTopicAttributes/DeleteTopic/Subscribe "
            "(topicArn) and Unsubscribe (subscriptionArn) of the topic (SecurityAlerts does)."
        ),
        predicate=_alert_path,
        tags=("audit", "alerts"),
    ),
    Control(
        id="SR-AUD-041",
        title="New managed policy versions and KMS grants alert",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(TRAIL,),
        scope="stack",
        rationale=(
            "A new default version rewrites the guardrail or a boundary in place; a grant gives decryption "
            "without touching the key policy. Both are escalations that leave the stack's resources as "
            "they were."
        ),
        frameworks={"NIST-800-53-r5": ("SI-4", "AC-2(4)", "AU-6")},
        framework_note=_ALERT_NOTE,
        remediation=(
            "Alert on iam CreatePolicyVersion and SetDefaultPolicyVersion (forwarded from us-east-1) and on "
            "every kms CreateGrant, by enabled rules targeting the KMS-encrypted alert topic."
        ),
        predicate=_coverage("policy versions and grants", IAM_SAMPLES),
        tags=("audit", "alerts"),
    ),
    Control(
        id="SR-AUD-042",
        title="Lifecycle, replication and Object Lock configuration changes alert",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(TRAIL,),
        scope="stack",
        rationale=(
            "A lifecycle rule expiring every version, a replication rule removed or redirected, or an "
            "Object Lock retention shortened empties the backups without a single delete call."
        ),
        frameworks={"NIST-800-53-r5": ("SI-4", "CP-9", "AU-6")},
        framework_note=_ALERT_NOTE,
        remediation=(
            "Alert on s3 PutBucketLifecycle/DeleteBucketLifecycle, PutBucketReplication/"
            "DeleteBucketReplication and PutObjectLockConfiguration by an enabled rule targeting the "
            "KMS-encrypted alert topic."
        ),
        predicate=_coverage("bucket retention changes", BUCKET_SAMPLES),
        tags=("audit", "alerts", "s3"),
    ),
    Control(
        id="SR-AUD-043",
        title="New VPC endpoints and peerings, and flow-log deletion, alert",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(TRAIL,),
        scope="stack",
        rationale=(
            "An endpoint with an open policy or a peering to another account is a way out of the VPC; "
            "deleting the flow logs hides the traffic that takes it."
        ),
        frameworks={"NIST-800-53-r5": ("SI-4", "SC-7", "AU-9")},
        framework_note=_ALERT_NOTE,
        remediation=(
            "Alert on ec2 CreateVpcEndpoint/ModifyVpcEndpoint, CreateVpcPeeringConnection/"
            "AcceptVpcPeeringConnection and DeleteFlowLogs by an enabled rule targeting the KMS-encrypted "
            "alert topic."
        ),
        predicate=_coverage("VPC endpoints, peerings and flow logs", NETWORK_SAMPLES),
        tags=("audit", "alerts", "network"),
    ),
    Control(
        id="SR-AUD-044",
        title="Every route that can leave the VPC alerts, whatever its destination",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(TRAIL,),
        scope="stack",
        rationale=(
            "A rule matching only 0.0.0.0/0 misses 0.0.0.0/1 plus 128.0.0.0/1, an IPv6 range or a prefix "
            "list: the same way out, unannounced."
        ),
        frameworks={"NIST-800-53-r5": ("SI-4", "SC-7", "CM-3")},
        framework_note=_ALERT_NOTE,
        remediation=(
            "Match ec2 CreateRoute and ReplaceRoute without a destination filter, by an enabled rule "
            "targeting the KMS-encrypted alert topic."
        ),
        predicate=_coverage("route changes", ROUTE_SAMPLES),
        tags=("audit", "alerts", "network"),
    ),
    Control(
        id="SR-AUD-047",
        title="Every region of the stack forwards its alert events to the alert topic's region",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(TRAIL,),
        scope="stack",
        rationale=(
            "EventBridge sees a call only in the region where it happens: IAM's in us-east-1, the replica "
            "region's buckets, keys and network there. A rule in the home region alone leaves the replica "
            "(where the backups are) and IAM unwatched."
        ),
        frameworks={"NIST-800-53-r5": ("SI-4", "AU-6", "CP-9")},
        framework_note=_ALERT_NOTE,
        remediation=(
            "In us-east-1, forward iam CreatePolicyVersion/SetDefaultPolicyVersion; in every other region of "
            "the stack (the replica region), forward the regional categories of SR-AUD-041..044, each by an "
            "enabled rule (region=<that region>) whose target is the home region's event bus "
            "(SecurityAlerts with replica_region does)."
        ),
        predicate=_other_regions,
        tags=("audit", "alerts"),
    ),
)
