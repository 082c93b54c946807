"""Audit controls over CloudTrail trails."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import pytest
from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from strongroom.policies.catalog import evaluate, get
from strongroom.policies.controls.audit import EVENT_DATA_STORE, TRAIL
from strongroom.policies.props import UNKNOWN, Context, Index, Resource

KEY = "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GOOD = {
    "isMultiRegionTrail": True,
    "enableLogFileValidation": True,
    "kmsKeyId": KEY,
    "s3BucketName": "trail-1234",
    "cloudWatchLogsGroupArn": "arn:aws:logs:eu-west-2:123456789012:log-group:trail:*",
    "cloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/trail",
    "eventSelectors": [
        {
            "readWriteType": "All",
            "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::data-1234/"]}],
        }
    ],
}
trail = res(TRAIL, "trail", **GOOD)
advanced = res(
    TRAIL,
    "trail",
    **{k: v for k, v in GOOD.items() if k != "eventSelectors"},
    advancedEventSelectors=[
        {
            "fieldSelectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            ]
        }
    ],
)
BUCKET = "aws:s3/bucket:Bucket"
other = res(BUCKET, "trail-bucket", bucket="trail-1234")
"""The trail's destination: its own data events are not recorded (they would be delivered into it)."""
data = res(BUCKET, "data", bucket="data-1234")
logs = res(BUCKET, "logs", arn="arn:aws:s3:::logs-1234")
UNRECORDED_DATA = (
    "trail 'trail' records no S3 data events of bucket 'data' (data-1234), a bucket of this stack"
)
FOREIGN_KEY = "arn:aws:kms:eu-west-2:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def trail_with(**changes: object) -> Resource:
    props = {k: v for k, v in (GOOD | changes).items() if v is not None}
    return res(TRAIL, "trail", **props)


def with_s3_fields(*extra: dict[str, object]) -> Resource:
    fields = [
        {"field": "eventCategory", "equals": ["Data"]},
        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
        *extra,
    ]
    return trail_with(eventSelectors=None, advancedEventSelectors=[{"fieldSelectors": fields}])


def basic_selecting(
    *values: object, name: str = "trail", deps: dict[str, Sequence[Resource]] | None = None
) -> Resource:
    """A trail whose basic selector records reads and writes of the S3 objects under `values`."""
    selector = {
        "readWriteType": "All",
        "dataResources": [{"type": "AWS::S3::Object", "values": list(values)}],
    }
    return res(TRAIL, name, deps=deps, **GOOD | {"eventSelectors": [selector]})


def management(*extra: dict[str, object]) -> Resource:
    fields = [{"field": "eventCategory", "equals": ["Management"]}, *extra]
    return trail_with(eventSelectors=None, advancedEventSelectors=[{"fieldSelectors": fields}])


store = res(EVENT_DATA_STORE, "lake", kmsKeyId=KEY)


SPECS: dict[str, Spec] = {
    "SR-AUD-001": Spec(
        baseline=[trail],
        breaks=[
            Break(
                "unset",
                [trail_with(isMultiRegionTrail=None)],
                "trail",
                ["trail 'trail' does not set isMultiRegionTrail=true (default false)"],
            ),
            Break(
                "no-global",
                [trail_with(includeGlobalServiceEvents=False)],
                "trail",
                ["trail 'trail' sets includeGlobalServiceEvents=false (IAM and STS events are lost)"],
            ),
        ],
        not_applicable=[other],
    ),
    "SR-AUD-002": Spec(
        baseline=[trail],
        breaks=[
            Break(
                "unset",
                [trail_with(enableLogFileValidation=None)],
                "trail",
                ["trail 'trail' does not set enableLogFileValidation=true (default false)"],
            )
        ],
        not_applicable=[other],
    ),
    "SR-AUD-003": Spec(
        baseline=[trail],
        breaks=[
            Break(
                "unset",
                [trail_with(kmsKeyId=None)],
                "trail",
                ["trail 'trail' does not set kmsKeyId, so logs are only SSE-S3 encrypted"],
            ),
            Break(
                "foreign-key",
                [trail_with(kmsKeyId=FOREIGN_KEY)],
                "trail",
                [
                    f"trail 'trail' uses the KMS key {FOREIGN_KEY} in kmsKeyId, of account 999999999999 "
                    "outside the perimeter"
                ],
            ),
            Break(
                "aws-managed",
                [trail_with(kmsKeyId="alias/aws/cloudtrail")],
                "trail",
                [
                    "trail 'trail' uses the AWS managed key alias/aws/cloudtrail in kmsKeyId, not a customer "
                    "managed key"
                ],
            ),
        ],
        not_applicable=[other],
    ),
    "SR-AUD-004": Spec(
        baseline=[
            trail,
            advanced,
            data,
            other,
            res(
                TRAIL,
                "to-preview-bucket",
                deps={"s3BucketName": [other]},
                **GOOD | {"s3BucketName": UNKNOWN},
            ),
            basic_selecting("arn:aws:s3:::", name="every-bucket"),
            basic_selecting("arn:aws:s3", name="every-bucket-short"),
            basic_selecting("arn:aws:s3:::data-", "arn:aws:s3:::trail-1234/", name="by-name-prefix"),
            with_s3_fields({"field": "resources.ARN", "startsWiths": ["arn:aws:s3:::data-1234/"]}),
        ],
        breaks=[
            Break(
                "none",
                [trail_with(eventSelectors=None)],
                "trail",
                ["trail 'trail' records no S3 object-level (data) events for both reads and writes"],
            ),
            Break(
                "write-only",
                [
                    trail_with(
                        eventSelectors=[
                            {"readWriteType": "WriteOnly", "dataResources": [{"type": "AWS::S3::Object"}]}
                        ]
                    )
                ],
                "trail",
                ["trail 'trail' records no S3 object-level (data) events for both reads and writes"],
            ),
            Break(
                "advanced-read-only",
                [data, with_s3_fields({"field": "readOnly", "equals": ["true"]})],
                "trail",
                ["trail 'trail' records no S3 object-level (data) events for both reads and writes"],
            ),
            Break(
                "advanced-excludes-data-bucket",
                [
                    data,
                    with_s3_fields({"field": "resources.ARN", "notStartsWiths": ["arn:aws:s3:::data-1234/"]}),
                ],
                "trail",
                ["trail 'trail' records no S3 object-level (data) events for both reads and writes"],
            ),
            Break(
                "advanced-bucket-not-in-plan",
                [data, with_s3_fields({"field": "resources.ARN", "startsWiths": ["arn:aws:s3:::decoy/"]})],
                "trail",
                [UNRECORDED_DATA],
            ),
            Break(
                "basic-bucket-not-in-plan",
                [data, basic_selecting("arn:aws:s3:::decoy/")],
                "trail",
                [UNRECORDED_DATA],
            ),
            Break(
                "one-bucket-of-two",
                [data, logs, other, trail],
                "trail",
                [
                    "trail 'trail' records no S3 data events of bucket 'logs' (logs-1234), a bucket of this "
                    "stack"
                ],
            ),
            Break(
                "a-prefix-of-the-bucket-only",
                [data, basic_selecting("arn:aws:s3:::data-1234/reports/")],
                "trail",
                [UNRECORDED_DATA],
            ),
            Break(
                "a-prefix-of-another-bucket-name",
                [data, basic_selecting("arn:aws:s3:::data-1234-other/")],
                "trail",
                [UNRECORDED_DATA],
            ),
            Break(
                "equals-names-single-objects",
                [
                    data,
                    with_s3_fields(
                        {"field": "resources.ARN", "equals": ["arn:aws:s3:::data-1234/report.csv"]}
                    ),
                ],
                "trail",
                [UNRECORDED_DATA],
            ),
            Break(
                "destination-depends-on-the-data-bucket-but-names-another",
                [
                    data,
                    other,
                    basic_selecting("arn:aws:s3:::trail-1234/", deps={"s3BucketName": [data]}),
                ],
                "trail",
                [UNRECORDED_DATA],
            ),
            Break(
                "selected-bucket-unknown-at-preview",
                [data, basic_selecting(UNKNOWN)],
                "trail",
                ["eventSelectors of 'trail' can't be known during preview"],
            ),
            Break(
                "bucket-name-unknown-at-preview",
                [data, res(BUCKET, "logs", bucket=UNKNOWN, arn=UNKNOWN), trail],
                "trail",
                ["bucket of 'logs' can't be known during preview"],
            ),
            Break(
                "destination-unknown-at-preview",
                [data, trail_with(s3BucketName=UNKNOWN)],
                "trail",
                ["s3BucketName of 'trail' can't be known during preview"],
            ),
        ],
        not_applicable=[other],
    ),
    "SR-AUD-005": Spec(
        baseline=[trail],
        breaks=[
            Break(
                "no-role",
                [trail_with(cloudWatchLogsRoleArn=None)],
                "trail",
                ["trail 'trail' does not deliver to CloudWatch Logs (missing cloudWatchLogsRoleArn)"],
            )
        ],
        not_applicable=[other],
    ),
    "SR-AUD-006": Spec(
        baseline=[trail, trail_with(enableLogging=True)],
        breaks=[
            Break(
                "off", [trail_with(enableLogging=False)], "trail", ["trail 'trail' sets enableLogging=false"]
            )
        ],
        not_applicable=[other],
    ),
    "SR-AUD-007": Spec(
        baseline=[trail, management(), trail_with(eventSelectors=[{"readWriteType": "All"}])],
        breaks=[
            Break(
                "management-off",
                [trail_with(eventSelectors=[{"readWriteType": "All", "includeManagementEvents": False}])],
                "trail",
                ["trail 'trail' sets includeManagementEvents=false on every event selector"],
            ),
            Break(
                "read-only",
                [trail_with(eventSelectors=[{"readWriteType": "ReadOnly"}])],
                "trail",
                ["trail 'trail' event selector 0 records only ReadOnly management events"],
            ),
            Break(
                "excludes-kms",
                [trail_with(eventSelectors=[{"excludeManagementEventSources": ["kms.amazonaws.com"]}])],
                "trail",
                ["trail 'trail' event selector 0 excludes management events of kms.amazonaws.com"],
            ),
            Break(
                "advanced-without-management",
                [with_s3_fields()],
                "trail",
                ["trail 'trail' advanced event selectors record no management events"],
            ),
            Break(
                "advanced-read-only",
                [management({"field": "readOnly", "equals": ["true"]})],
                "trail",
                ["trail 'trail' management selector 0 records only read or only write events"],
            ),
            Break(
                "advanced-excludes-rds-data",
                [management({"field": "eventSource", "notEquals": ["rdsdata.amazonaws.com"]})],
                "trail",
                ["trail 'trail' management selector 0 excludes events of rdsdata.amazonaws.com"],
            ),
        ],
        not_applicable=[other],
    ),
    "SR-AUD-008": Spec(
        baseline=[trail, other],
        breaks=[
            Break(
                "bucket-not-in-plan",
                [trail],
                "trail",
                ["trail 'trail' delivers to the bucket trail-1234, which is no bucket of this stack"],
            ),
            Break(
                "log-group-other-account",
                [
                    other,
                    trail_with(cloudWatchLogsGroupArn="arn:aws:logs:eu-west-2:999999999999:log-group:x:*"),
                ],
                "trail",
                [
                    "trail 'trail' delivers to the log group "
                    "arn:aws:logs:eu-west-2:999999999999:log-group:x:* "
                    "of account 999999999999, outside the perimeter"
                ],
            ),
        ],
        not_applicable=[other],
    ),
    "SR-AUD-009": Spec(
        baseline=[
            store,
            res(EVENT_DATA_STORE, "lake2", kmsKeyId=KEY, retentionPeriod=365, multiRegionEnabled=True),
        ],
        breaks=[
            Break(
                "weakened",
                [
                    res(
                        EVENT_DATA_STORE,
                        "lake",
                        multiRegionEnabled=False,
                        terminationProtectionEnabled=False,
                        retentionPeriod=7,
                        suspend="true",
                    )
                ],
                "lake",
                [
                    "event data store 'lake' does not set kmsKeyId, so logs are only SSE-S3 encrypted",
                    "event data store 'lake' sets multiRegionEnabled=false",
                    "event data store 'lake' sets terminationProtectionEnabled=false",
                    "event data store 'lake' keeps events 7 days (retentionPeriod); at least 365 are "
                    "required",
                    "event data store 'lake' sets suspend, so it ingests nothing",
                ],
            ),
            Break(
                "foreign-key",
                [res(EVENT_DATA_STORE, "lake", kmsKeyId=FOREIGN_KEY)],
                "lake",
                [
                    f"event data store 'lake' uses the KMS key {FOREIGN_KEY} in kmsKeyId, of account "
                    "999999999999 outside the perimeter"
                ],
            ),
        ],
        not_applicable=[trail],
    ),
}


# --- SR-AUD-040..044: alerts that cannot be silenced ------------------------------------------------------

RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
TOPIC_ARN = "arn:aws:sns:eu-west-2:123456789012:alerts-topic"
CT = "AWS API Call via CloudTrail"


def _calls(service: str, names: Sequence[str], **detail: object) -> dict[str, object]:
    return {
        "source": [f"aws.{service}"],
        "detail-type": [CT],
        "detail": {"eventSource": [f"{service}.amazonaws.com"], "eventName": list(names), **detail},
    }


ALERT_PATTERNS: dict[str, dict[str, object]] = {
    "path-rules": _calls(
        "events",
        ["PutRule", "DeleteRule", "DisableRule", "PutTargets", "RemoveTargets"],
        **{
            "$or": [
                {"requestParameters": {"name": [{"prefix": "alerts-"}]}},
                {"requestParameters": {"rule": [{"prefix": "alerts-"}]}},
            ]
        },
    ),
    "path-topic": _calls(
        "sns",
        ["SetTopicAttributes", "DeleteTopic", "Subscribe", "Unsubscribe"],
        **{
            "$or": [
                {"requestParameters": {"topicArn": [TOPIC_ARN]}},
                {"requestParameters": {"subscriptionArn": [{"prefix": f"{TOPIC_ARN}:"}]}},
            ]
        },
    ),
    "iam": _calls("iam", ["CreatePolicyVersion", "SetDefaultPolicyVersion"]),
    "grant": _calls("kms", ["CreateGrant"]),
    "retention": _calls(
        "s3",
        [
            "PutBucketLifecycle",
            "DeleteBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketReplication",
            "PutObjectLockConfiguration",
        ],
    ),
    "network": _calls(
        "ec2",
        [
            "CreateVpcEndpoint",
            "ModifyVpcEndpoint",
            "CreateVpcPeeringConnection",
            "AcceptVpcPeeringConnection",
            "DeleteFlowLogs",
        ],
    ),
    "routes": _calls("ec2", ["CreateRoute", "ReplaceRoute"]),
}
alert_topic = res(TOPIC, "topic", kmsMasterKeyId=KEY, arn=TOPIC_ARN)


def named(resource: Resource, name: str) -> Resource:
    """`resource` with the property `name` (res() takes the resource name as its own `name`)."""
    return dataclasses.replace(resource, props={**resource.props, "name": name})


def alert_rule(
    label: str, pattern: object = None, *, topic_arn: str = TOPIC_ARN, **props: Any
) -> list[Resource]:
    """An alert rule named alerts-<label>-abc with its target (the topic by default)."""
    name = f"alerts-{label}-abc"
    pattern = ALERT_PATTERNS[label] if pattern is None else pattern
    text = pattern if isinstance(pattern, str) or pattern is UNKNOWN else json.dumps(pattern)
    return [
        named(res(RULE, label, eventPattern=text, **({"state": "ENABLED"} | props)), name),
        res(TARGET, f"{label}-target", rule=name, arn=topic_arn),
    ]


def alert_stack(*, skip: Sequence[str] = (), extra: Sequence[Resource] = (), topic: Resource = alert_topic):
    rules = [r for label in ALERT_PATTERNS if label not in skip for r in alert_rule(label)]
    return [trail, topic, *rules, *extra]


def alert_message(what: str, missing: Sequence[str]) -> str:
    return (
        f"no enabled rule delivering to a KMS-encrypted SNS topic alerts on {what}: {', '.join(missing)} "
        "(trail 'trail' records them)"
    )


def routes_to(*cidrs: str) -> dict[str, object]:
    return _calls(
        "ec2", ["CreateRoute", "ReplaceRoute"], requestParameters={"destinationCidrBlock": list(cidrs)}
    )


ROUTE_LEAKS = [
    "0.0.0.0/1",
    "128.0.0.0/1",
    "52.94.0.0/16",
    "2000::/3",
    "pl-0abc1234",
]
UNENCRYPTED = res(TOPIC, "topic", arn=TOPIC_ARN)
RULE_NAMES = [f"alerts-{label}-abc" for label in ALERT_PATTERNS]
ALERT_BASELINE = alert_stack()
EVENTS_CALLS = ("DeleteRule", "DisableRule", "PutRule", "RemoveTargets", "PutTargets")
PROD = Context(stack="prod", trusted_accounts=frozenset({"123456789012"}))

SPECS.update(
    {
        "SR-AUD-040": Spec(
            baseline=ALERT_BASELINE,
            stack="prod",
            breaks=[
                Break(
                    "topic-changes-unwatched",
                    alert_stack(skip=["path-topic"]),
                    "trail",
                    [
                        "no enabled rule delivering to a KMS-encrypted SNS topic alerts on silencing the "
                        "alert path: sns:SetTopicAttributes, sns:DeleteTopic, sns:Subscribe, sns:Unsubscribe "
                        "(trail 'trail' records them)"
                    ],
                ),
                Break(
                    "rule-changes-of-another-prefix",
                    [
                        trail,
                        alert_topic,
                        *alert_rule("path-topic"),
                        *alert_rule(
                            "path-rules",
                            _calls(
                                "events",
                                ["PutRule", "DeleteRule", "DisableRule", "PutTargets", "RemoveTargets"],
                                requestParameters={"name": [{"prefix": "other-"}]},
                            ),
                        ),
                    ],
                    "trail",
                    [
                        "no enabled rule delivering to a KMS-encrypted SNS topic alerts on silencing the "
                        "alert path: "
                        + ", ".join(
                            f"events:{event} of {name}"
                            for name in ("alerts-path-topic-abc", "alerts-path-rules-abc")
                            for event in EVENTS_CALLS
                        )
                        + " (trail 'trail' records them)"
                    ],
                ),
                Break(
                    "topic-not-encrypted",
                    alert_stack(topic=UNENCRYPTED),
                    "trail",
                    ["no enabled rule delivers to a KMS-encrypted SNS topic (trail 'trail' feeds none)"],
                ),
                Break(
                    "topic-under-the-aws-managed-key",
                    alert_stack(topic=res(TOPIC, "topic", arn=TOPIC_ARN, kmsMasterKeyId="alias/aws/sns")),
                    "trail",
                    ["no enabled rule delivers to a KMS-encrypted SNS topic (trail 'trail' feeds none)"],
                ),
                Break(
                    "every-rule-disabled",
                    [
                        trail,
                        alert_topic,
                        *(r for label in ALERT_PATTERNS for r in alert_rule(label, state="DISABLED")),
                    ],
                    "trail",
                    ["no enabled rule delivers to a KMS-encrypted SNS topic (trail 'trail' feeds none)"],
                ),
            ],
            not_applicable=[alert_topic, *alert_rule("routes")],
        ),
        "SR-AUD-041": Spec(
            baseline=ALERT_BASELINE,
            stack="prod",
            breaks=[
                Break(
                    "no-grant-rule",
                    alert_stack(skip=["grant"]),
                    "trail",
                    [alert_message("policy versions and grants", ["kms:CreateGrant"])],
                ),
                Break(
                    "policy-versions-of-one-policy-only",
                    alert_stack(
                        skip=["iam"],
                        extra=alert_rule(
                            "iam",
                            _calls(
                                "iam",
                                ["CreatePolicyVersion", "SetDefaultPolicyVersion"],
                                requestParameters={"policyArn": ["arn:aws:iam::123456789012:policy/x"]},
                            ),
                        ),
                    ),
                    "trail",
                    [
                        alert_message(
                            "policy versions and grants",
                            ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"],
                        )
                    ],
                ),
                Break(
                    "grant-rule-to-an-unencrypted-topic",
                    alert_stack(
                        skip=["grant"],
                        extra=[
                            res(TOPIC, "plain", arn="arn:aws:sns:eu-west-2:123456789012:plain"),
                            *alert_rule("grant", topic_arn="arn:aws:sns:eu-west-2:123456789012:plain"),
                        ],
                    ),
                    "trail",
                    [alert_message("policy versions and grants", ["kms:CreateGrant"])],
                ),
            ],
            not_applicable=[alert_topic],
        ),
        "SR-AUD-042": Spec(
            baseline=ALERT_BASELINE,
            stack="prod",
            breaks=[
                Break(
                    "no-retention-rule",
                    alert_stack(skip=["retention"]),
                    "trail",
                    [
                        alert_message(
                            "bucket retention changes",
                            [
                                "s3:PutBucketLifecycle",
                                "s3:DeleteBucketLifecycle",
                                "s3:PutBucketReplication",
                                "s3:DeleteBucketReplication",
                                "s3:PutObjectLockConfiguration",
                            ],
                        )
                    ],
                ),
                Break(
                    "api-spelling-of-the-lifecycle-call",
                    alert_stack(
                        skip=["retention"],
                        extra=alert_rule(
                            "retention",
                            _calls(
                                "s3",
                                [
                                    "PutBucketLifecycleConfiguration",
                                    "DeleteBucketLifecycle",
                                    "PutBucketReplication",
                                    "DeleteBucketReplication",
                                    "PutObjectLockConfiguration",
                                ],
                            ),
                        ),
                    ),
                    "trail",
                    [alert_message("bucket retention changes", ["s3:PutBucketLifecycle"])],
                ),
            ],
            not_applicable=[alert_topic],
        ),
        "SR-AUD-043": Spec(
            baseline=ALERT_BASELINE,
            stack="prod",
            breaks=[
                Break(
                    "no-network-rule",
                    alert_stack(skip=["network"]),
                    "trail",
                    [
                        alert_message(
                            "VPC endpoints, peerings and flow logs",
                            [
                                "ec2:CreateVpcEndpoint",
                                "ec2:ModifyVpcEndpoint",
                                "ec2:CreateVpcPeeringConnection",
                                "ec2:AcceptVpcPeeringConnection",
                                "ec2:DeleteFlowLogs",
                            ],
                        )
                    ],
                ),
                Break(
                    "network-rule-disabled-by-isEnabled",
                    alert_stack(skip=["network"], extra=alert_rule("network", isEnabled=False)),
                    "trail",
                    [
                        alert_message(
                            "VPC endpoints, peerings and flow logs",
                            [
                                "ec2:CreateVpcEndpoint",
                                "ec2:ModifyVpcEndpoint",
                                "ec2:CreateVpcPeeringConnection",
                                "ec2:AcceptVpcPeeringConnection",
                                "ec2:DeleteFlowLogs",
                            ],
                        )
                    ],
                ),
            ],
            not_applicable=[alert_topic],
        ),
        "SR-AUD-044": Spec(
            baseline=ALERT_BASELINE,
            stack="prod",
            breaks=[
                Break(
                    "default-route-only",
                    alert_stack(
                        skip=["routes"],
                        extra=alert_rule(
                            "routes",
                            _calls(
                                "ec2",
                                ["CreateRoute", "ReplaceRoute"],
                                **{
                                    "$or": [
                                        {"requestParameters": {"destinationCidrBlock": ["0.0.0.0/0"]}},
                                        {"requestParameters": {"destinationIpv6CidrBlock": ["::/0"]}},
                                    ]
                                },
                            ),
                        ),
                    ),
                    "trail",
                    [
                        alert_message(
                            "route changes",
                            [
                                f"ec2:{call} to {cidr}"
                                for call in ("CreateRoute", "ReplaceRoute")
                                for cidr in ROUTE_LEAKS
                            ],
                        )
                    ],
                ),
                Break(
                    "cidr-prefix-0.0.0.0",
                    alert_stack(
                        skip=["routes"],
                        extra=alert_rule("routes", routes_to("0.0.0.0/0", "128.0.0.0/1", "0.0.0.0/1")),
                    ),
                    "trail",
                    [
                        alert_message(
                            "route changes",
                            [
                                f"ec2:{call} to {dest}"
                                for call in ("CreateRoute", "ReplaceRoute")
                                for dest in ("52.94.0.0/16", "::/0", "2000::/3", "pl-0abc1234")
                            ],
                        )
                    ],
                ),
                Break(
                    "no-route-rule",
                    alert_stack(skip=["routes"]),
                    "trail",
                    [
                        alert_message(
                            "route changes",
                            [
                                f"ec2:{call} to {dest}"
                                for call in ("CreateRoute", "ReplaceRoute")
                                for dest in (
                                    "0.0.0.0/0",
                                    "0.0.0.0/1",
                                    "128.0.0.0/1",
                                    "52.94.0.0/16",
                                    "::/0",
                                    "2000::/3",
                                    "pl-0abc1234",
                                )
                            ],
                        )
                    ],
                ),
            ],
            not_applicable=[alert_topic],
        ),
    }
)


@pytest.mark.parametrize(
    "pattern",
    [
        UNKNOWN,
        "{not json",
        json.dumps(
            _calls(
                "ec2", ["CreateRoute"], requestParameters={"destinationCidrBlock": [{"new-op": "0.0.0.0/0"}]}
            )
        ),
    ],
    ids=["unknown", "not-json", "unsupported-operator"],
)
def test_a_route_rule_that_cannot_be_read_is_cannot_judge_not_a_pass(pattern: object) -> None:
    stack = alert_stack(skip=["routes"], extra=alert_rule("routes", pattern))
    findings = evaluate(get("SR-AUD-044"), Index(stack, PROD))
    assert [f.unknown for f in findings] == [True], findings
    assert "eventPattern" in findings[0].message


def test_a_rule_matching_everything_covers_every_category() -> None:
    stack = [trail, alert_topic, *alert_rule("routes", {"source": [{"prefix": "aws."}]})]
    for cid in ("SR-AUD-041", "SR-AUD-042", "SR-AUD-043", "SR-AUD-044"):
        assert evaluate(get(cid), Index(stack, PROD)) == [], cid


# --- SR-AUD-045/046: the trail's own bucket, Insights ------------------------------------------------------


def own_bucket_trail(*extra: dict[str, object], prefix: str = "arn:aws:s3:::trail-1234/") -> Resource:
    """A trail recording its own bucket (trail-1234) with `extra` field selectors."""
    fields = [
        {"field": "eventCategory", "equals": ["Data"]},
        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
        {"field": "resources.ARN", "startsWiths": [prefix]},
        *extra,
    ]
    return trail_with(eventSelectors=None, advancedEventSelectors=[{"fieldSelectors": fields}])


NOT_DELIVERY = {"field": "eventName", "notEquals": ["PutObject"]}
OWN_UNRECORDED = (
    "trail 'trail' records no S3 data events of its own bucket 'trail-bucket' (trail-1234): who reads, "
    "deletes or locks the audit record goes unrecorded"
)
BOTH_INSIGHTS = [{"insightType": "ApiCallRateInsight"}, {"insightType": "ApiErrorRateInsight"}]

SPECS.update(
    {
        "SR-AUD-045": Spec(
            baseline=[own_bucket_trail(NOT_DELIVERY), other],
            breaks=[
                Break("trail-bucket-left-out", [trail, other], "trail", [OWN_UNRECORDED]),
                Break(
                    "deletes-excluded-too",
                    [
                        own_bucket_trail({"field": "eventName", "notEquals": ["PutObject", "DeleteObject"]}),
                        other,
                    ],
                    "trail",
                    [OWN_UNRECORDED],
                ),
                Break(
                    "reads-only",
                    [own_bucket_trail({"field": "readOnly", "equals": ["true"]}), other],
                    "trail",
                    [OWN_UNRECORDED],
                ),
                Break(
                    "delivery-only",
                    [own_bucket_trail({"field": "eventName", "equals": ["PutObject"]}), other],
                    "trail",
                    [OWN_UNRECORDED],
                ),
                Break(
                    "delivery-excluded-by-notStartsWith",
                    [own_bucket_trail({"field": "eventName", "notStartsWiths": ["Put"]}), other],
                    "trail",
                    [OWN_UNRECORDED],
                ),
                Break(
                    "another-bucket-of-similar-name",
                    [own_bucket_trail(NOT_DELIVERY, prefix="arn:aws:s3:::trail-12345/"), other],
                    "trail",
                    [OWN_UNRECORDED],
                ),
                Break(
                    "bucket-known-by-arn-only",
                    [trail, res(BUCKET, "trail-bucket", arn="arn:aws:s3:::trail-1234")],
                    "trail",
                    [OWN_UNRECORDED],
                ),
            ],
            not_applicable=[store, other],
        ),
        "SR-AUD-046": Spec(
            baseline=[trail_with(insightSelectors=BOTH_INSIGHTS)],
            stack="prod",
            breaks=[
                Break(
                    "no-insights",
                    [trail],
                    "trail",
                    [
                        "trail 'trail' does not turn on CloudTrail Insights ApiCallRateInsight, "
                        "ApiErrorRateInsight"
                    ],
                ),
                Break(
                    "call-rate-only",
                    [trail_with(insightSelectors=BOTH_INSIGHTS[:1])],
                    "trail",
                    ["trail 'trail' does not turn on CloudTrail Insights ApiErrorRateInsight"],
                ),
                Break(
                    "other-spelling",
                    [trail_with(insightSelectors=[{"insightType": "apicallrateinsight"}, BOTH_INSIGHTS[1]])],
                    "trail",
                    ["trail 'trail' does not turn on CloudTrail Insights ApiCallRateInsight"],
                ),
            ],
            not_applicable=[store],
        ),
    }
)


# --- SR-AUD-004 with several trails: each bucket recorded by a working trail of the stack -----------------

second_data = res(BUCKET, "data-2", bucket="data-5678")
second_dest = res(BUCKET, "trail-bucket-2", bucket="trail-5678")


def second_trail(**changes: object) -> Resource:
    """A second environment's trail: it delivers to trail-5678 and records only data-5678."""
    selector = {
        "readWriteType": "All",
        "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::data-5678/"]}],
    }
    props = GOOD | {"s3BucketName": "trail-5678", "eventSelectors": [selector]} | changes
    return res(TRAIL, "trail-2", **{k: v for k, v in props.items() if v is not None})


def _unrecorded(resources: list[Resource]) -> list[str]:
    return sorted(f.message for f in evaluate(get("SR-AUD-004"), Index(resources, PROD)))


def test_two_environments_in_one_stack_each_record_their_own_buckets() -> None:
    assert _unrecorded([trail, other, data, second_trail(), second_dest, second_data]) == []


@pytest.mark.parametrize(
    "weakness",
    [
        {"enableLogging": False},
        {"isMultiRegionTrail": False},
        {"isMultiRegionTrail": UNKNOWN},
        {"eventSelectors": UNKNOWN},
        {"eventSelectors": [{"readWriteType": "ReadOnly", "dataResources": [{"type": "AWS::S3::Object"}]}]},
    ],
    ids=["logging-off", "single-region", "region-unknown", "selectors-unknown", "read-only"],
)
def test_buckets_only_a_weak_trail_accounts_for_are_findings_of_the_other(
    weakness: dict[str, object],
) -> None:
    found = _unrecorded([trail, other, data, second_trail(**weakness), second_dest, second_data])
    data_2 = "trail 'trail' records no S3 data events of bucket 'data-2' (data-5678), a bucket of this stack"
    own_2 = (
        "trail 'trail' records no S3 data events of bucket 'trail-bucket-2' (trail-5678), a bucket of this "
        "stack"
    )
    # a trail that logs in every region still accounts for its own bucket (SR-AUD-045 judges it there)
    expected = (
        [data_2]
        if "eventSelectors" in weakness and weakness["eventSelectors"] is not UNKNOWN
        else [
            data_2,
            own_2,
        ]
    )
    assert [m for m in found if m.startswith("trail 'trail' ")] == expected, found


def test_a_trail_of_another_account_accounts_for_nothing_in_this_one() -> None:
    home = trail_with(arn="arn:aws:cloudtrail:eu-west-2:123456789012:trail/trail")
    foreign = second_trail(arn="arn:aws:cloudtrail:eu-west-2:999999999999:trail/trail-2")
    found = _unrecorded([home, other, data, foreign, second_dest, second_data])
    assert [m for m in found if m.startswith("trail 'trail' ")] == [
        "trail 'trail' records no S3 data events of bucket 'data-2' (data-5678), a bucket of this stack",
        "trail 'trail' records no S3 data events of bucket 'trail-bucket-2' (trail-5678), a bucket of this "
        "stack",
    ], found
    same = second_trail(arn="arn:aws:cloudtrail:eu-west-2:123456789012:trail/trail-2")
    assert _unrecorded([home, other, data, same, second_dest, second_data]) == []


def test_another_trail_s_destination_is_accounted_for_by_that_trail() -> None:
    found = _unrecorded([trail, other, data, second_trail(), second_dest, second_data])
    assert not any("trail-bucket-2" in m for m in found), found
    alone = _unrecorded([trail, other, data, second_dest])
    assert alone == [
        "trail 'trail' records no S3 data events of bucket 'trail-bucket-2' (trail-5678), a bucket of this "
        "stack"
    ], alone


def test_own_bucket_of_unknown_name_is_cannot_judge() -> None:
    unknown = trail_with(s3BucketName=UNKNOWN)
    findings = evaluate(get("SR-AUD-045"), Index([unknown, other], PROD))
    assert [(f.unknown, "s3BucketName" in f.message) for f in findings] == [(True, True)], findings


def test_own_bucket_recorded_by_an_unknown_prefix_is_cannot_judge() -> None:
    findings = evaluate(
        get("SR-AUD-045"), Index([own_bucket_trail(NOT_DELIVERY, prefix=UNKNOWN), other], PROD)
    )
    assert [f.unknown for f in findings] == [True], findings


def test_unknown_insight_selectors_are_cannot_judge() -> None:
    findings = evaluate(get("SR-AUD-046"), Index([trail_with(insightSelectors=UNKNOWN)], PROD))
    assert [f.unknown for f in findings] == [True], findings


# --- SR-AUD-047: every region forwards home ----------------------------------------------------------------

HOME, REPLICA, EAST = "eu-west-2", "eu-west-1", "us-east-1"
REGIONS = Context(
    stack="prod", trusted_accounts=frozenset({"123456789012"}), regions=frozenset({HOME, REPLICA, EAST})
)


def forwarder(label: str, region: str, pattern: object, *, bus: str = HOME, **props: Any) -> list[Resource]:
    """A rule in `region` forwarding `pattern` to the default bus of `bus`."""
    name = f"alerts-fwd-{label}-abc"
    return [
        named(
            res(
                RULE,
                f"fwd-{label}",
                eventPattern=json.dumps(pattern),
                region=region,
                **({"state": "ENABLED"} | props),
            ),
            name,
        ),
        res(
            TARGET,
            f"fwd-{label}-target",
            rule=name,
            region=region,
            arn=f"arn:aws:events:{bus}:123456789012:event-bus/default",
            roleArn="arn:aws:iam::123456789012:role/strongroom/prod/forwarder",
        ),
    ]


def replica_forwarders(**changes: Any) -> list[Resource]:
    return [
        r
        for label in ("grant", "retention", "network", "routes")
        for r in forwarder(
            label, REPLICA, changes.get(label, ALERT_PATTERNS[label]), bus=changes.get("bus", HOME)
        )
    ]


EAST_FORWARDER = forwarder("iam", EAST, ALERT_PATTERNS["iam"])
REPLICA_LABELS = [
    "kms:CreateGrant",
    "s3:PutBucketLifecycle",
    "s3:DeleteBucketLifecycle",
    "s3:PutBucketReplication",
    "s3:DeleteBucketReplication",
    "s3:PutObjectLockConfiguration",
    "ec2:CreateVpcEndpoint",
    "ec2:ModifyVpcEndpoint",
    "ec2:CreateVpcPeeringConnection",
    "ec2:AcceptVpcPeeringConnection",
    "ec2:DeleteFlowLogs",
    *(
        f"ec2:{call} to {dest}"
        for call in ("CreateRoute", "ReplaceRoute")
        for dest in (
            "0.0.0.0/0",
            "0.0.0.0/1",
            "128.0.0.0/1",
            "52.94.0.0/16",
            "::/0",
            "2000::/3",
            "pl-0abc1234",
        )
    ),
]


def not_forwarded(region: str, labels: Sequence[str]) -> str:
    return (
        f"no enabled rule in {region} forwards to the event bus of {HOME} (where the alert topic is): "
        f"{', '.join(labels)}"
    )


SPECS["SR-AUD-047"] = Spec(
    baseline=[*ALERT_BASELINE, *EAST_FORWARDER, *replica_forwarders()],
    context=REGIONS,
    breaks=[
        Break(
            "replica-not-forwarded",
            [*ALERT_BASELINE, *EAST_FORWARDER],
            "trail",
            [not_forwarded(REPLICA, REPLICA_LABELS)],
        ),
        Break(
            "iam-not-forwarded",
            [*ALERT_BASELINE, *replica_forwarders()],
            "trail",
            [not_forwarded(EAST, ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"])],
        ),
        Break(
            "iam-forwarder-disabled",
            [
                *ALERT_BASELINE,
                *forwarder("iam", EAST, ALERT_PATTERNS["iam"], state="DISABLED"),
                *replica_forwarders(),
            ],
            "trail",
            [not_forwarded(EAST, ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"])],
        ),
        Break(
            "replica-forwards-to-itself",
            [*ALERT_BASELINE, *EAST_FORWARDER, *replica_forwarders(bus=REPLICA)],
            "trail",
            [not_forwarded(REPLICA, REPLICA_LABELS)],
        ),
        Break(
            "replica-rule-in-the-home-region",
            [*ALERT_BASELINE, *EAST_FORWARDER, *(r for r in replica_forwarders() if r.type == TARGET)]
            + [
                named(
                    res(
                        RULE, f"fwd-{label}", eventPattern=json.dumps(ALERT_PATTERNS[label]), state="ENABLED"
                    ),
                    f"alerts-fwd-{label}-abc",
                )
                for label in ("grant", "retention", "network", "routes")
            ],
            "trail",
            [not_forwarded(REPLICA, REPLICA_LABELS)],
        ),
        Break(
            "replica-routes-to-the-default-route-only",
            [*ALERT_BASELINE, *EAST_FORWARDER, *replica_forwarders(routes=routes_to("0.0.0.0/0"))],
            "trail",
            [
                not_forwarded(
                    REPLICA,
                    [
                        f"ec2:{call} to {dest}"
                        for call in ("CreateRoute", "ReplaceRoute")
                        for dest in (
                            "0.0.0.0/1",
                            "128.0.0.0/1",
                            "52.94.0.0/16",
                            "::/0",
                            "2000::/3",
                            "pl-0abc1234",
                        )
                    ],
                )
            ],
        ),
    ],
    not_applicable=[alert_topic, *EAST_FORWARDER],
)


def test_regions_unknown_is_cannot_judge() -> None:
    findings = evaluate(get("SR-AUD-047"), Index([*ALERT_BASELINE, *EAST_FORWARDER], PROD))
    assert [f.unknown for f in findings] == [True], findings
    assert "regions are not known" in findings[0].message


def test_a_home_only_stack_needs_no_forwarder() -> None:
    home_only = Context(stack="prod", trusted_accounts=frozenset({"123456789012"}), regions=frozenset({HOME}))
    assert evaluate(get("SR-AUD-047"), Index(ALERT_BASELINE, home_only)) == []


@pytest.mark.parametrize(
    "prefix",
    [
        "arn:aws:s3:::data-5678/",
        "arn:aws:s3:::data-",
        "arn:aws:s3:::",
        "arn:aws:s3",
        "arn:",
        "arn",
        "arn:aws-cn:s3:::data-5678/",
        "arn:other:s3:::",
        "arn:aws:s3:::data-5678/sub/",
        "arn:aws:s3:::trail-",
        "*",
    ],
)
def test_the_buckets_a_trail_accounts_for_are_those_its_prefixes_cover(prefix: str) -> None:
    """The sorted-range lookup of `_recorded_buckets` against `_covers` over every bucket name."""
    from strongroom.policies.controls.audit import _covers, _recorded_buckets
    from strongroom.policies.references import bucket_names

    recording = second_trail(
        s3BucketName="elsewhere",
        eventSelectors=[
            {"readWriteType": "All", "dataResources": [{"type": "AWS::S3::Object", "values": [prefix]}]}
        ],
    )
    buckets = [other, data, second_dest, second_data, logs]
    expected = {b.urn for b in buckets if any(_covers(prefix, n) for n in bucket_names(b))}
    assert _recorded_buckets(Index([recording, *buckets], PROD)).get(None, frozenset()) == expected
