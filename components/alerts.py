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

from components.policydocs import iam

CLOUDTRAIL_DETAIL = "AWS API Call via CloudTrail"
GLOBAL_EVENTS_REGION = "us-east-1"
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


def _api_calls(source: str, event_source: str, names: Sequence[str], **detail: Any) -> dict[str, Any]:
    return {
        "source": [source],
        "detail-type": [CLOUDTRAIL_DETAIL],
        "detail": {"eventSource": [event_source], "eventName": sorted(names), **detail},
    }


def tamper_patterns(role_names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """EventBridge patterns, one per rule, for API calls that weaken the environment."""
    if not role_names:
        raise ValueError("role_names: give the stack's role names (MlRoles.role_names)")
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
        "default-route": _api_calls(
            "aws.ec2",
            "ec2.amazonaws.com",
            ["CreateRoute", "ReplaceRoute"],
            **{
                "$or": [
                    {"requestParameters": {"destinationCidrBlock": ["0.0.0.0/0"]}},
                    {"requestParameters": {"destinationIpv6CidrBlock": ["::/0"]}},
                ]
            },
        ),
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
        "kms-key": _api_calls(
            "aws.kms",
            "kms.amazonaws.com",
            ["DisableKey", "ScheduleKeyDeletion", "DisableKeyRotation", "PutKeyPolicy"],
        ),
        "trail": _api_calls(
            "aws.cloudtrail",
            "cloudtrail.amazonaws.com",
            ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"],
        ),
        "stack-roles": _api_calls(
            "aws.iam",
            "iam.amazonaws.com",
            IAM_ROLE_EVENTS,
            requestParameters={"roleName": sorted(set(role_names))},
        ),
    }


def forwarding_pattern() -> dict[str, Any]:
    """Pattern of the us-east-1 rule that forwards IAM API calls to the home region."""
    return _api_calls("aws.iam", "iam.amazonaws.com", IAM_ROLE_EVENTS)


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

    forwarding_role_permissions_boundary_arn: pulumi.Input[str] | None = None
    """Boundary of the role forwarding IAM events from us-east-1 (MlRoles.boundary_policy_arn)."""

    extra_rule_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """ARNs of other EventBridge rules of this account that target the topic (e.g. the AccountBaseline's
    finding rules): the topic policy lets EventBridge publish for them too."""

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
        for email in self.email_endpoints:
            if not _EMAIL_RE.match(email):
                raise ValueError(f"email_endpoints: {email!r} is not an e-mail address")
        for url in self.https_endpoints:
            if not url.startswith("https://") or len(url) < 12:
                raise ValueError(
                    f"https_endpoints: {url!r} is not accepted; give an https:// URL (no plain http)"
                )


class SecurityAlerts(pulumi.ComponentResource):
    """One EventBridge rule per tamper pattern, all to one KMS-encrypted SNS topic."""

    topic_arn: pulumi.Output[str]
    rule_arns: pulumi.Output[list[str]]
    forwarder_role_arn: pulumi.Output[str] | None
    """The role forwarding IAM events from us-east-1 (None when the home region is us-east-1)."""

    def __init__(
        self, name: str, args: SecurityAlertsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
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

        self.topic = aws.sns.Topic(f"{name}-topic", kms_master_key_id=args.kms_key_arn, tags=tags, opts=child)
        patterns = pulumi.Output.from_input(args.role_names).apply(
            lambda names: tamper_patterns([str(n) for n in names])
        )

        rules: list[aws.cloudwatch.EventRule] = []
        for label in (
            "internet-gateway",
            "default-route",
            "bucket-protection",
            "kms-key",
            "trail",
            "stack-roles",
        ):
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
        if args.region != GLOBAL_EVENTS_REGION:
            home_bus = pulumi.Output.all(partition, account).apply(
                lambda v: f"arn:{v[0]}:events:{args.region}:{v[1]}:event-bus/default"
            )
            forwarder_role = aws.iam.Role(
                f"{name}-forwarder-role",
                path=args.iam_path,
                description="Forwards IAM API calls from us-east-1 to the home region's default event bus",
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
            forward_rule = aws.cloudwatch.EventRule(
                f"{name}-forward-iam",
                region=GLOBAL_EVENTS_REGION,
                description="Strongroom: forward IAM API calls to the home region",
                event_pattern=json.dumps(forwarding_pattern(), sort_keys=True),
                state="ENABLED",
                tags=tags,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-forward-iam-target",
                region=GLOBAL_EVENTS_REGION,
                rule=forward_rule.name,
                arn=home_bus,
                role_arn=forwarder_role.arn,
                opts=child,
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
