"""Live reader for the alert path: the stack's EventBridge rules and targets and its SNS topics, their
policies and subscriptions (:func:`strongroom.live.readers.trail.read_alert_path`), in every region of the
scope and us-east-1. An area of its own, so a read refused there leaves the trails judged."""

from __future__ import annotations

from collections.abc import Iterator

from strongroom.live.aws import Aws
from strongroom.live.readers import Scope
from strongroom.live.readers.trail import (
    EVENT_RULE,
    EVENT_TARGET,
    TOPIC,
    TOPIC_POLICY,
    TOPIC_SUBSCRIPTION,
    read_alert_path,
)
from strongroom.policies.props import Resource

TYPES: tuple[str, ...] = (EVENT_RULE, EVENT_TARGET, TOPIC, TOPIC_POLICY, TOPIC_SUBSCRIPTION)


def read(aws: Aws, scope: Scope) -> Iterator[Resource]:
    yield from read_alert_path(aws, scope)
