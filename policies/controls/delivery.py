"""Where events, notifications and alerts are delivered: only to resources inside the perimeter.

EventBridge targets, SNS subscriptions and S3 event notifications carry object keys, API calls and alert
contents; a destination in another account, or a web endpoint, is a way out for that data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.model import Control
from policies.perimeter import account_of, inside
from policies.props import UNKNOWN, Index, Resource, UnknownValue

EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"

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


_NOTE = "No CIS or FSBP control judges where events and notifications are delivered."

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
)
