"""SecurityAlerts: EventBridge rules for tampering with the environment, to a KMS-encrypted SNS topic.

The event patterns are pure functions (:func:`tamper_patterns`) so they are tested as JSON.
IAM is a global service: its CloudTrail events reach EventBridge in us-east-1 only. When the environment
lives elsewhere, a rule in us-east-1 forwards them to the home region's default event bus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from strongroom.components.policydocs import iam

CLOUDTRAIL_DETAIL = "AWS API Call via CloudTrail"
GLOBAL_EVENTS_REGION = "us-east-1"
"""Where IAM (a global service) emits its CloudTrail events; the same value as
`policies.config.GLOBAL_EVENTS_REGION` (tests keep the two equal)."""
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")

IAM_ROLE_EVENTS = (
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "DeleteRolePermissionsBoundary",
    "PutRolePermissionsBoundary",
    "UpdateAssumeRolePolicy",
)
IAM_POLICY_VERSION_EVENTS = ("CreatePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicyVersion")
"""A new default version of a managed policy (the guardrail, a boundary) rewrites it in place."""
ROUTE_EVENTS = ("CreateRoute", "ReplaceRoute", "AssociateRouteTable", "ReplaceRouteTableAssociation")
"""Every route change, whatever its destination: 0.0.0.0/1 + 128.0.0.0/1, an IPv6 range or a prefix list
leave the VPC as surely as 0.0.0.0/0, so no destination filter."""
ALERT_RULE_EVENTS = ("PutRule", "DeleteRule", "DisableRule", "PutTargets", "RemoveTargets")
ALERT_TOPIC_EVENTS = (
    "SetTopicAttributes",
    "DeleteTopic",
    "Subscribe",
    "Unsubscribe",
    "SetSubscriptionAttributes",
    "AddPermission",
    "RemovePermission",
    "PutDataProtectionPolicy",
)
BUCKET_RETENTION_EVENTS = (
    "PutBucketLifecycle",
    "PutBucketLifecycleConfiguration",
    "DeleteBucketLifecycle",
    "PutBucketReplication",
    "DeleteBucketReplication",
    "PutObjectLockConfiguration",
)
"""CloudTrail names the lifecycle call PutBucketLifecycle; both spellings are matched."""
VPC_CONNECTION_EVENTS = (
    "CreateVpcEndpoint",
    "ModifyVpcEndpoint",
    "DeleteVpcEndpoints",
    "CreateVpcPeeringConnection",
    "AcceptVpcPeeringConnection",
    "ModifyVpcPeeringConnectionOptions",
    "CreateTransitGatewayVpcAttachment",
)
FLOW_LOG_EVENTS = ("DeleteFlowLogs",)

GLOBAL_LABELS = ("stack-roles", "iam-policy-versions")
"""Rules on IAM events: their events arrive in us-east-1 and are forwarded to the home region."""
REGIONAL_LABELS = (
    "internet-gateway",
    "default-route",
    "bucket-protection",
    "bucket-retention",
    "kms-key",
    "kms-grant",
    "trail",
    "vpc-connections",
    "flow-logs",
    "alert-rules",
)
"""Rules on regional events: the replica region (and us-east-1 for the alert rules living there) forwards
them to the home region, where the home rules deliver them to the topic."""
HOME_ONLY_LABELS = ("alert-topic",)
"""The topic lives in the home region only; its API calls happen there."""
LABELS = (*REGIONAL_LABELS, *GLOBAL_LABELS, *HOME_ONLY_LABELS)


def _api_calls(source: str, event_source: str, names: Sequence[str], **detail: Any) -> dict[str, Any]:
    return {
        "source": [source],
        "detail-type": [CLOUDTRAIL_DETAIL],
        "detail": {"eventSource": [event_source], "eventName": sorted(names), **detail},
    }


def tamper_patterns(
    role_names: Sequence[str], *, topic_arn: str, rule_name_prefix: str
) -> dict[str, dict[str, Any]]:
    """EventBridge patterns, one per rule, for API calls that weaken the environment or silence its alerts.

    `topic_arn`: the alert topic (its attribute, subscription and permission changes alert);
    `rule_name_prefix`: the prefix of every alert and forwarding rule's name (their changes alert).
    """
    if not role_names:
        raise ValueError("role_names: give the stack's role names (MlRoles.role_names)")
    if not topic_arn.startswith("arn:") or ":sns:" not in topic_arn:
        raise ValueError(f"topic_arn: {topic_arn!r} is not an SNS topic ARN")
    if len(rule_name_prefix) < 3:
        raise ValueError(f"rule_name_prefix: {rule_name_prefix!r} must be at least 3 characters")
    return {
        "internet-gateway": _api_calls(
            "aws.ec2",
            "ec2.amazonaws.com",
            [
                "CreateInternetGateway",
                "AttachInternetGateway",
                "CreateNatGateway",
                "CreateEgressOnlyInternetGateway",
            ],
        ),
        "default-route": _api_calls("aws.ec2", "ec2.amazonaws.com", ROUTE_EVENTS),
        "bucket-protection": _api_calls(
            "aws.s3",
            "s3.amazonaws.com",
            [
                "PutBucketPolicy",
                "DeleteBucketPolicy",
                "PutBucketPublicAccessBlock",
                "DeleteBucketPublicAccessBlock",
                "PutAccountPublicAccessBlock",
                "DeleteAccountPublicAccessBlock",
                "PutBucketVersioning",
                "PutBucketEncryption",
                "DeleteBucketEncryption",
            ],
        ),
        "bucket-retention": _api_calls("aws.s3", "s3.amazonaws.com", BUCKET_RETENTION_EVENTS),
        "kms-key": _api_calls(
            "aws.kms",
            "kms.amazonaws.com",
            ["DisableKey", "ScheduleKeyDeletion", "DisableKeyRotation", "PutKeyPolicy"],
        ),
        "kms-grant": _api_calls("aws.kms", "kms.amazonaws.com", ["CreateGrant"]),
        "trail": _api_calls(
            "aws.cloudtrail",
            "cloudtrail.amazonaws.com",
            ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"],
        ),
        "vpc-connections": _api_calls("aws.ec2", "ec2.amazonaws.com", VPC_CONNECTION_EVENTS),
        "flow-logs": _api_calls("aws.ec2", "ec2.amazonaws.com", FLOW_LOG_EVENTS),
        "alert-rules": _api_calls(
            "aws.events",
            "events.amazonaws.com",
            ALERT_RULE_EVENTS,
            **{
                "$or": [
                    {"requestParameters": {"name": [{"prefix": rule_name_prefix}]}},
                    {"requestParameters": {"rule": [{"prefix": rule_name_prefix}]}},
                ]
            },
        ),
        "alert-topic": _api_calls(
            "aws.sns",
            "sns.amazonaws.com",
            ALERT_TOPIC_EVENTS,
            **{
                "$or": [
                    {"requestParameters": {"topicArn": [topic_arn]}},
                    {"requestParameters": {"resourceArn": [topic_arn]}},
                    {"requestParameters": {"subscriptionArn": [{"prefix": f"{topic_arn}:"}]}},
                ]
            },
        ),
        "stack-roles": _api_calls(
            "aws.iam",
            "iam.amazonaws.com",
            IAM_ROLE_EVENTS,
            requestParameters={"roleName": sorted(set(role_names))},
        ),
        "iam-policy-versions": _api_calls("aws.iam", "iam.amazonaws.com", IAM_POLICY_VERSION_EVENTS),
    }


def forwarding_pattern() -> dict[str, Any]:
    """Pattern of the us-east-1 rule that forwards IAM API calls (role and policy version changes) to the
    home region."""
    return _api_calls("aws.iam", "iam.amazonaws.com", (*IAM_ROLE_EVENTS, *IAM_POLICY_VERSION_EVENTS))


def _pattern_json(label: str) -> Callable[[dict[str, dict[str, Any]]], str]:
    return lambda patterns: json.dumps(patterns[label], sort_keys=True)


@dataclass
class SecurityAlertsArgs:
    """Arguments of `SecurityAlerts`."""

    kms_key_arn: pulumi.Input[str]
    """KMS key of the SNS topic (its policy must let events.amazonaws.com use it)."""

    role_names: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Names of the stack's roles watched for policy changes (MlRoles.role_names plus service roles)."""

    region: str
    """Home region of the environment (plain: it decides whether IAM events are forwarded from us-east-1)."""

    email_endpoints: Sequence[str] = ()
    """E-mail addresses subscribed to the topic (each must confirm the subscription)."""

    https_endpoints: Sequence[str] = ()
    """HTTPS endpoints subscribed to the topic (e.g. the SOC's webhook)."""

    replica_region: str | None = None
    """The replica region (`strongroom:backup.replicaRegion`): its regional events (buckets, keys, rules)
    are forwarded to the home region's bus by rules of the same patterns."""

    forwarding_role_permissions_boundary_arn: pulumi.Input[str] | None = None
    """Boundary of the role forwarding IAM events from us-east-1 (MlRoles.boundary_policy_arn)."""

    extra_rule_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """ARNs of other EventBridge rules of this account that target the topic (e.g. the AccountBaseline's
    finding rules): the topic policy lets EventBridge publish for them too."""

    watched_rule_name_prefix: str | None = None
    """Name prefix of every EventBridge rule whose change (PutRule, DeleteRule, DisableRule, PutTargets,
    RemoveTargets) alerts; default `<name>-` (this component's rules). SecureMlEnvironment passes its own
    prefix `sr-<stack>-`, so the AccountBaseline's finding rules cannot be silenced unseen either."""

    iam_path: str = "/strongroom/"
    """IAM path of the forwarding role."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on top of the provider's default tags."""

    account_id: pulumi.Input[str] | None = None
    """AWS account id; looked up when not given."""

    partition: pulumi.Input[str] | None = None
    """AWS partition; looked up when not given."""

    def __post_init__(self) -> None:
        if not _REGION_RE.match(self.region):
            raise ValueError(f"region: {self.region!r} is not an AWS region name such as eu-west-2")
        if self.replica_region is not None and (
            not _REGION_RE.match(self.replica_region) or self.replica_region == self.region
        ):
            raise ValueError(
                f"replica_region: {self.replica_region!r} is not accepted; give an AWS region name other "
                f"than the home region {self.region}"
            )
        for email in self.email_endpoints:
            if not _EMAIL_RE.match(email):
                raise ValueError(f"email_endpoints: {email!r} is not an e-mail address")
        for url in self.https_endpoints:
            if not url.startswith("https://") or len(url) < 12:
                raise ValueError(
                    f"https_endpoints: {url!r} is not accepted; give an https:// URL (no plain http)"
                )


class SecurityAlerts(pulumi.ComponentResource):
    """One EventBridge rule per tamper pattern, all to one KMS-encrypted SNS topic; IAM events forwarded
    from us-east-1 and the regional events of the replica region forwarded to the home region's bus."""

    topic_arn: pulumi.Output[str]
    """ARN of the KMS-encrypted SNS topic every alert is published to."""
    rule_arns: pulumi.Output[list[str]]
    """ARNs of the EventBridge rules, one per tamper pattern and region."""
    forwarder_role_arn: pulumi.Output[str] | None
    """The role forwarding events from us-east-1 and the replica region (None when there is neither)."""

    def __init__(
        self, name: str, args: SecurityAlertsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if isinstance(args, dict):  # the inputs of a program in another language (components/provider.py)
            args = SecurityAlertsArgs(**args)
        super().__init__("strongroom:index:SecurityAlerts", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = pulumi.Output.from_input(
            args.account_id or aws.get_caller_identity_output(opts=invoke).account_id
        )
        partition = pulumi.Output.from_input(
            args.partition or aws.get_partition_output(opts=invoke).partition
        )
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None
        rule_prefix = args.watched_rule_name_prefix or f"{name}-"
        if not f"{name}-".startswith(rule_prefix):
            raise ValueError(
                f"watched_rule_name_prefix: {rule_prefix!r} does not cover this component's rules "
                f"({name}-...); give a prefix of '{name}-'"
            )

        self.topic = aws.sns.Topic(f"{name}-topic", kms_master_key_id=args.kms_key_arn, tags=tags, opts=child)

        forward_from = _forward_from(args.region, args.replica_region)

        forwarder_role: aws.iam.Role | None = None
        home_bus = pulumi.Output.all(partition, account).apply(
            lambda v: f"arn:{v[0]}:events:{args.region}:{v[1]}:event-bus/default"
        )
        if forward_from:
            forwarder_role = aws.iam.Role(
                f"{name}-forwarder-role",
                path=args.iam_path,
                description="Forwards alert events from us-east-1 and the replica region to the home bus",
                assume_role_policy=account.apply(
                    lambda a: iam.to_json(iam.service_trust("events.amazonaws.com", str(a)))
                ),
                permissions_boundary=args.forwarding_role_permissions_boundary_arn,
                tags=tags,
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-forwarder-policy",
                role=forwarder_role.id,
                policy=home_bus.apply(
                    lambda bus: iam.to_json(
                        iam.document(iam.allow("ForwardToHomeBus", ["events:PutEvents"], [bus]))
                    )
                ),
                opts=child,
            )

        watched: list[pulumi.Input[str]] = [args.role_names]  # type: ignore[list-item]
        if forwarder_role is not None:
            watched.append(forwarder_role.name)
        patterns = pulumi.Output.all(self.topic.arn, *watched).apply(
            lambda v: tamper_patterns(_flatten(v[1:]), topic_arn=str(v[0]), rule_name_prefix=rule_prefix)
        )

        rules: list[aws.cloudwatch.EventRule] = []
        for label in LABELS:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{label}",
                description=f"Strongroom tamper alert: {label}",
                event_pattern=patterns.apply(_pattern_json(label)),
                state="ENABLED",
                tags=tags,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{label}-target", rule=rule.name, arn=self.topic.arn, opts=child
            )
            rules.append(rule)

        self.topic_policy = aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.all(
                self.topic.arn,
                account,
                pulumi.Output.from_input(args.extra_rule_arns),
                *[r.arn for r in rules],
            ).apply(lambda v: iam.to_json(iam.sns_topic_policy(v[0], v[1], [*v[3:], *v[2]]))),
            opts=child,
        )
        for i, email in enumerate(args.email_endpoints):
            aws.sns.TopicSubscription(
                f"{name}-email-{i}", topic=self.topic.arn, protocol="email", endpoint=email, opts=child
            )
        for i, url in enumerate(args.https_endpoints):
            aws.sns.TopicSubscription(
                f"{name}-https-{i}", topic=self.topic.arn, protocol="https", endpoint=url, opts=child
            )

        self.forwarder_role_arn = None
        if forwarder_role is not None:
            for region, labels in forward_from.items():
                for label in labels:
                    self._forward(
                        name,
                        region,
                        label,
                        patterns,
                        home_bus,
                        forwarder_role,
                        args.region,
                        args.replica_region,
                        tags,
                    )
            self.forwarder_role_arn = forwarder_role.arn

        self.topic_arn = self.topic.arn
        self.rule_arns = pulumi.Output.all(*[r.arn for r in rules]).apply(list)
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "rule_arns": self.rule_arns,
                "forwarder_role_arn": self.forwarder_role_arn,
            }
        )

    def _forward(
        self,
        name: str,
        region: str,
        label: str,
        patterns: pulumi.Output[dict[str, dict[str, Any]]],
        home_bus: pulumi.Output[str],
        role: aws.iam.Role,
        home_region: str,
        replica_region: str | None,
        tags: dict[str, str] | None,
    ) -> None:
        """A rule in `region` sending the events of pattern `label` to the home region's default bus,
        where the home rule of the same pattern delivers them to the topic. `iam` (us-east-1) keeps its
        original resource names."""
        child = pulumi.ResourceOptions(parent=self)
        if label == "iam":
            rule_name, pattern = (
                f"{name}-forward-iam",
                pulumi.Output.from_input(json.dumps(forwarding_pattern(), sort_keys=True)),
            )
            description = "Strongroom: forward IAM API calls to the home region"
        else:
            where = "replica" if region == replica_region else "forward"
            rule_name, pattern = f"{name}-{where}-{label}", patterns.apply(_pattern_json(label))
            description = f"Strongroom: forward {label} events from {region} to {home_region}"
        rule = aws.cloudwatch.EventRule(
            rule_name,
            region=region,
            description=description,
            event_pattern=pattern,
            state="ENABLED",
            tags=tags,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{rule_name}-target", region=region, rule=rule.name, arn=home_bus, role_arn=role.arn, opts=child
        )


def _forward_from(region: str, replica_region: str | None) -> dict[str, tuple[str, ...]]:
    """The labels forwarded from each region other than the home `region`: IAM events from us-east-1;
    regional events from the replica region (and the forwarding rules' own changes from us-east-1)."""
    forward_from: dict[str, tuple[str, ...]] = {}
    if region != GLOBAL_EVENTS_REGION:
        forward_from[GLOBAL_EVENTS_REGION] = ("iam",)
        if replica_region != GLOBAL_EVENTS_REGION:
            forward_from[GLOBAL_EVENTS_REGION] += ("alert-rules",)
    if replica_region is not None:
        forward_from[replica_region] = (*forward_from.get(replica_region, ()), *REGIONAL_LABELS)
    return forward_from


def forwarding_regions(region: str, replica_region: str | None = None) -> tuple[str, ...]:
    """The regions other than the home `region` where SecurityAlerts creates its forwarding rules (sorted;
    empty when there is nothing to forward): the auditor reads the stack's rules there too
    (`MlRolesArgs.event_regions`)."""
    return tuple(sorted(_forward_from(region, replica_region)))


def _flatten(values: Sequence[Any]) -> list[str]:
    """Role names given as plain names or (nested) lists of names."""
    names: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            names.extend(_flatten(value))
        else:
            names.append(str(value))
    return names
