"""The account baseline: IAM Access Analyzer for external access, GuardDuty with S3 protection, Security Hub
with the AWS Foundational Security Best Practices standard, AWS Config recording to an encrypted bucket of
the stack, and each of their findings routed by EventBridge to a KMS-encrypted SNS topic of the stack.

A prod stack must carry the whole baseline (SR-AUD-050, judged on the stack's root resource); wherever a
piece exists, it must be on (SR-AUD-051..055). Companions are joined by reference: the detector's
features by `detectorId`, the recorder's status by `name`, an event target by its rule's `name` and the
topic by its `arn`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from strongroom.policies import eventpattern
from strongroom.policies.model import Control
from strongroom.policies.perimeter import CannotJudge
from strongroom.policies.props import (
    ANY_TYPE,
    UNKNOWN,
    Index,
    Resource,
    UnknownValue,
    as_list,
    is_false,
    is_true,
)
from strongroom.policies.references import aws_managed_key, bucket_of_plan, key_findings

STACK = "pulumi:pulumi:Stack"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
DETECTOR = "aws:guardduty/detector:Detector"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
HUB = "aws:securityhub/account:Account"
STANDARDS_SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"

EXTERNAL_ACCESS_TYPES = ("ACCOUNT", "ORGANIZATION")
"""Analyzer types that find external access (the `*_UNUSED_ACCESS` types find unused access only)."""
S3_PROTECTION = "S3_DATA_EVENTS"
FSBP_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:securityhub:[a-z0-9-]+::standards/aws-foundational-security-best-practices/v/1\.0\.0$"
)

CONFIG_TYPES: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "AWS::EC2::VPC",
    "aws:ec2/subnet:Subnet": "AWS::EC2::Subnet",
    "aws:ec2/routeTable:RouteTable": "AWS::EC2::RouteTable",
    "aws:ec2/networkAcl:NetworkAcl": "AWS::EC2::NetworkAcl",
    "aws:ec2/securityGroup:SecurityGroup": "AWS::EC2::SecurityGroup",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "AWS::EC2::VPCEndpoint",
    "aws:ec2/flowLog:FlowLog": "AWS::EC2::FlowLog",
    "aws:ec2/managedPrefixList:ManagedPrefixList": "AWS::EC2::PrefixList",
    "aws:ec2/internetGateway:InternetGateway": "AWS::EC2::InternetGateway",
    "aws:ec2/natGateway:NatGateway": "AWS::EC2::NatGateway",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "AWS::EC2::VPCPeeringConnection",
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": (
        "AWS::Route53Resolver::FirewallDomainList"
    ),
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": (
        "AWS::Route53Resolver::FirewallRuleGroup"
    ),
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": (
        "AWS::Route53Resolver::FirewallRuleGroupAssociation"
    ),
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": (
        "AWS::Route53Resolver::ResolverQueryLoggingConfig"
    ),
    "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": (
        "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation"
    ),
    "aws:s3/bucket:Bucket": "AWS::S3::Bucket",
    "aws:kms/key:Key": "AWS::KMS::Key",
    "aws:kms/alias:Alias": "AWS::KMS::Alias",
    "aws:iam/role:Role": "AWS::IAM::Role",
    "aws:iam/policy:Policy": "AWS::IAM::Policy",
    "aws:sagemaker/domain:Domain": "AWS::SageMaker::Domain",
    "aws:sagemaker/userProfile:UserProfile": "AWS::SageMaker::UserProfile",
    "aws:sagemaker/model:Model": "AWS::SageMaker::Model",
    "aws:cloudtrail/trail:Trail": "AWS::CloudTrail::Trail",
    "aws:sns/topic:Topic": "AWS::SNS::Topic",
    "aws:cloudwatch/eventRule:EventRule": "AWS::Events::Rule",
    DETECTOR: "AWS::GuardDuty::Detector",
    ANALYZER: "AWS::AccessAnalyzer::Analyzer",
}
"""pulumi-aws type -> the AWS Config resource type that records it, for the types a Strongroom stack
creates. A recorder that lists types (allSupported=false) must list the Config type of each of these types
the stack creates (types without a Config type, such as log groups, are recorded by the trail)."""

IAM_PREFIX = "aws:iam/"
"""pulumi-aws IAM types: users, groups, roles and customer managed policies (and what attaches to them) are
AWS Config's global resource types, recorded under "all supported types" only with
includeGlobalResourceTypes=true."""

ALL_SUPPORTED = "ALL_SUPPORTED_RESOURCE_TYPES"
INCLUSION = "INCLUSION_BY_RESOURCE_TYPES"
EXCLUSION = "EXCLUSION_BY_RESOURCE_TYPES"

FINDING_EVENTS: dict[str, tuple[str, str, str]] = {
    ANALYZER: ("aws.access-analyzer", "Access Analyzer Finding", "IAM Access Analyzer findings"),
    DETECTOR: ("aws.guardduty", "GuardDuty Finding", "GuardDuty findings"),
    HUB: ("aws.securityhub", "Security Hub Findings - Imported", "Security Hub findings"),
    RECORDER: ("aws.config", "Config Rules Compliance Change", "AWS Config compliance changes"),
}
"""Finding source type -> (event source, detail-type of its findings, what the message calls them)."""

SAMPLE_ACCOUNT = "111122223333"
SAMPLE_REGION = "eu-west-2"
_SAMPLE_BUCKET = "sr-prod-data-bucket"
_SAMPLE_ROLE = "arn:aws:sts::111122223333:assumed-role/sr-prod-ml-execution/botocore-session-1700000000"


def _event(source: str, detail_type: str, detail: dict[str, Any], *resources: str) -> dict[str, Any]:
    """An EventBridge event as the service emits it on the default bus of the account."""
    return {
        "version": "0",
        "id": "6f1d3c6e-2b5a-4c1e-9a51-0c2f3b7d8e90",
        "detail-type": detail_type,
        "source": source,
        "account": SAMPLE_ACCOUNT,
        "time": "2026-01-15T09:30:00Z",
        "region": SAMPLE_REGION,
        "resources": list(resources),
        "detail": detail,
    }


_GUARDDUTY_FINDING = "4ec6a8f0c1e24b6a9f3d2e1c0b9a8d7e"
_GUARDDUTY_HIGH = _event(
    "aws.guardduty",
    "GuardDuty Finding",
    {
        "schemaVersion": "2.0",
        "accountId": SAMPLE_ACCOUNT,
        "region": SAMPLE_REGION,
        "partition": "aws",
        "id": _GUARDDUTY_FINDING,
        "arn": (
            f"arn:aws:guardduty:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0/"
            f"finding/{_GUARDDUTY_FINDING}"
        ),
        "type": "Exfiltration:S3/AnomalousBehavior",
        "resource": {
            "resourceType": "S3Bucket",
            "accessKeyDetails": {
                "accessKeyId": "ASIAEXAMPLEEXAMPLE01",
                "principalId": "AROAEXAMPLEEXAMPLE01:botocore-session-1700000000",
                "userName": "sr-prod-ml-execution",
                "userType": "AssumedRole",
            },
            "s3BucketDetails": [
                {
                    "arn": f"arn:aws:s3:::{_SAMPLE_BUCKET}",
                    "name": _SAMPLE_BUCKET,
                    "type": "Destination",
                    "defaultServerSideEncryption": {"encryptionType": "aws:kms"},
                    "owner": {"id": "a1b2c3d4e5f6"},
                }
            ],
        },
        "service": {
            "serviceName": "guardduty",
            "detectorId": "12abc34d567e8fa901bc2d34e56789f0",
            "featureName": "S3DataEvents",
            "action": {
                "actionType": "AWS_API_CALL",
                "awsApiCallAction": {
                    "api": "GetObject",
                    "serviceName": "s3.amazonaws.com",
                    "callerType": "Remote IP",
                    "remoteIpDetails": {"ipAddressV4": "198.51.100.23"},
                },
            },
            "resourceRole": "TARGET",
            "additionalInfo": {"type": "default", "value": "{}"},
            "eventFirstSeen": "2026-01-15T09:02:11Z",
            "eventLastSeen": "2026-01-15T09:27:45Z",
            "archived": False,
            "count": 1,
        },
        "severity": 8,
        "createdAt": "2026-01-15T09:28:30.000Z",
        "updatedAt": "2026-01-15T09:28:30.000Z",
        "title": f"Anomalous behavior: {_SAMPLE_ROLE} read {_SAMPLE_BUCKET} in bulk.",
        "description": "An API commonly used to exfiltrate data was invoked in an anomalous way.",
    },
)

_SECURITYHUB_FINDING = (
    f"arn:aws:securityhub:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:security-control/S3.2/finding/"
    "0b3a2f1e-7c6d-4e5f-8a9b-1c2d3e4f5a6b"
)
_SECURITYHUB_CRITICAL = _event(
    "aws.securityhub",
    "Security Hub Findings - Imported",
    {
        "findings": [
            {
                "SchemaVersion": "2018-10-08",
                "Id": _SECURITYHUB_FINDING,
                "ProductArn": f"arn:aws:securityhub:{SAMPLE_REGION}::product/aws/securityhub",
                "ProductName": "Security Hub",
                "CompanyName": "AWS",
                "Region": SAMPLE_REGION,
                "GeneratorId": "security-control/S3.2",
                "AwsAccountId": SAMPLE_ACCOUNT,
                "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
                "FirstObservedAt": "2026-01-15T09:20:00.000Z",
                "LastObservedAt": "2026-01-15T09:29:00.000Z",
                "CreatedAt": "2026-01-15T09:20:00.000Z",
                "UpdatedAt": "2026-01-15T09:29:00.000Z",
                "Severity": {"Label": "CRITICAL", "Normalized": 90, "Original": "CRITICAL"},
                "Title": "S3 general purpose buckets should block public read access",
                "Description": "This control checks whether an S3 bucket permits public read access.",
                "ProductFields": {"aws/securityhub/ProductName": "Security Hub"},
                "Resources": [
                    {
                        "Type": "AwsS3Bucket",
                        "Id": f"arn:aws:s3:::{_SAMPLE_BUCKET}",
                        "Partition": "aws",
                        "Region": SAMPLE_REGION,
                    }
                ],
                "Compliance": {
                    "Status": "FAILED",
                    "SecurityControlId": "S3.2",
                    "AssociatedStandards": [
                        {"StandardsId": "standards/aws-foundational-security-best-practices/v/1.0.0"}
                    ],
                },
                "WorkflowState": "NEW",
                "Workflow": {"Status": "NEW"},
                "RecordState": "ACTIVE",
                "FindingProviderFields": {
                    "Severity": {"Label": "CRITICAL", "Original": "CRITICAL"},
                    "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
                },
                "ProcessedAt": "2026-01-15T09:29:30.000Z",
            }
        ]
    },
    _SECURITYHUB_FINDING,
)

_ANALYZER_ACTIVE = _event(
    "aws.access-analyzer",
    "Access Analyzer Finding",
    {
        "version": "1.0",
        "id": "2a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
        "status": "ACTIVE",
        "resourceType": "AWS::S3::Bucket",
        "resource": f"arn:aws:s3:::{_SAMPLE_BUCKET}",
        "createdAt": "2026-01-15T09:25:00Z",
        "analyzedAt": "2026-01-15T09:25:00Z",
        "updatedAt": "2026-01-15T09:25:00Z",
        "accountId": SAMPLE_ACCOUNT,
        "region": SAMPLE_REGION,
        "principal": {"AWS": "444455556666"},
        "action": ["s3:GetObject", "s3:ListBucket"],
        "condition": {},
        "isDeleted": False,
        "isPublic": False,
    },
    f"arn:aws:access-analyzer:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:analyzer/strongroom-prod-external-access",
)

_CONFIG_RULE = "s3-bucket-server-side-encryption-enabled"
_CONFIG_NON_COMPLIANT = _event(
    "aws.config",
    "Config Rules Compliance Change",
    {
        "resourceId": _SAMPLE_BUCKET,
        "awsRegion": SAMPLE_REGION,
        "awsAccountId": SAMPLE_ACCOUNT,
        "configRuleName": _CONFIG_RULE,
        "recordVersion": "1.0",
        "configRuleARN": f"arn:aws:config:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:config-rule/config-rule-a1b2c3",
        "messageType": "ComplianceChangeNotification",
        "newEvaluationResult": {
            "evaluationResultIdentifier": {
                "evaluationResultQualifier": {
                    "configRuleName": _CONFIG_RULE,
                    "resourceType": "AWS::S3::Bucket",
                    "resourceId": _SAMPLE_BUCKET,
                    "evaluationMode": "DETECTIVE",
                },
                "orderingTimestamp": "2026-01-15T09:26:00.000Z",
            },
            "complianceType": "NON_COMPLIANT",
            "resultRecordedTime": "2026-01-15T09:27:00.000Z",
            "configRuleInvokedTime": "2026-01-15T09:26:30.000Z",
        },
        "oldEvaluationResult": {
            "evaluationResultIdentifier": {
                "evaluationResultQualifier": {
                    "configRuleName": _CONFIG_RULE,
                    "resourceType": "AWS::S3::Bucket",
                    "resourceId": _SAMPLE_BUCKET,
                    "evaluationMode": "DETECTIVE",
                },
                "orderingTimestamp": "2026-01-14T09:26:00.000Z",
            },
            "complianceType": "COMPLIANT",
            "resultRecordedTime": "2026-01-14T09:27:00.000Z",
            "configRuleInvokedTime": "2026-01-14T09:26:30.000Z",
        },
        "notificationCreationTime": "2026-01-15T09:27:01.000Z",
        "resourceType": "AWS::S3::Bucket",
    },
)

Sample = tuple[str, dict[str, Any]]
"""How a message names the sample event, and the event."""

FINDING_SAMPLES: dict[str, tuple[Sample, ...]] = {
    DETECTOR: (
        (
            "a high-severity finding (Exfiltration:S3/AnomalousBehavior, severity 8)",
            _GUARDDUTY_HIGH,
        ),
    ),
    HUB: (
        (
            "an imported FAILED CRITICAL finding (FSBP S3.2, workflow NEW, record ACTIVE)",
            _SECURITYHUB_CRITICAL,
        ),
    ),
    ANALYZER: (
        (
            "an active finding (S3 bucket shared with account 444455556666)",
            _ANALYZER_ACTIVE,
        ),
    ),
    RECORDER: (
        (
            f"a NON_COMPLIANT compliance change (rule {_CONFIG_RULE} on an S3 bucket)",
            _CONFIG_NON_COMPLIANT,
        ),
    ),
}
"""Finding source type -> the sample findings that must reach an encrypted topic: the high or critical
finding of each source, shaped as the service emits it on the default bus (the patterns of
components.policydocs.baseline.finding_patterns are written for these shapes). A rule is judged by running
its pattern over them (policies.eventpattern), so a detail filter that no such finding passes routes
nothing."""


# -- SR-AUD-050: a prod stack carries the baseline -------------------------------------------------------


def _prod_root(subject: Resource, index: Index) -> bool:
    return subject.type == STACK and index.context.prod


def _missing_pieces(subject: Resource, index: Index) -> Iterator[str]:
    pieces = (
        (ANALYZER, "an IAM Access Analyzer (aws:accessanalyzer/analyzer:Analyzer)"),
        (DETECTOR, "a GuardDuty detector (aws:guardduty/detector:Detector)"),
        (DETECTOR_FEATURE, "GuardDuty S3 protection (aws:guardduty/detectorFeature:DetectorFeature)"),
        (HUB, "Security Hub (aws:securityhub/account:Account)"),
        (
            STANDARDS_SUBSCRIPTION,
            "a Security Hub standard subscription "
            "(aws:securityhub/standardsSubscription:StandardsSubscription)",
        ),
        (RECORDER, "an AWS Config recorder (aws:cfg/recorder:Recorder)"),
        (RECORDER_STATUS, "an AWS Config recorder status (aws:cfg/recorderStatus:RecorderStatus)"),
        (DELIVERY_CHANNEL, "an AWS Config delivery channel (aws:cfg/deliveryChannel:DeliveryChannel)"),
    )
    for type_, what in pieces:
        if next(index.of_type(type_), None) is None:
            yield f"prod stack {subject.label} lacks {what}"


# -- SR-AUD-051: Access Analyzer finds external access ---------------------------------------------------


def _analyzer(subject: Resource, _index: Index) -> Iterator[str]:
    type_ = subject.known("type", "ACCOUNT")
    if type_ not in EXTERNAL_ACCESS_TYPES:
        yield (
            f"analyzer {subject.label} has type {type_!r}, which finds no external access; accepted: "
            f"{', '.join(EXTERNAL_ACCESS_TYPES)}"
        )


# -- SR-AUD-052: GuardDuty is on, with S3 protection -----------------------------------------------------


def _guardduty(subject: Resource, index: Index) -> Iterator[str]:
    if is_false(subject.known("enable", True)):
        yield f"GuardDuty detector {subject.label} sets enable=false"
    features = index.referencing(subject, DETECTOR_FEATURE, "detectorId")
    s3 = [f for f in features if f.known("name") == S3_PROTECTION]
    for feature in s3:
        if feature.known("status") != "ENABLED":
            yield (
                f"GuardDuty detector {subject.label}: feature {feature.label} sets {S3_PROTECTION} to "
                f"{feature.known('status')!r}, not 'ENABLED'"
            )
    legacy = subject.known("datasources.s3Logs.enable")
    if is_false(legacy):
        yield f"GuardDuty detector {subject.label} sets datasources.s3Logs.enable=false"
    if not s3 and not is_true(legacy):
        yield (
            f"GuardDuty detector {subject.label} has no S3 protection: no detector feature "
            f"{S3_PROTECTION} with status ENABLED"
        )


# -- SR-AUD-053: Security Hub with FSBP -----------------------------------------------------------------


def _securityhub(subject: Resource, index: Index) -> Iterator[str]:
    if is_false(subject.known("autoEnableControls", True)):
        yield (
            f"Security Hub {subject.label} sets autoEnableControls=false: new controls of its standards "
            "stay off"
        )
    arns = [s.get("standardsArn") for s in index.of_type(STANDARDS_SUBSCRIPTION)]
    if any(isinstance(a, str) and FSBP_ARN.match(a) for a in arns):
        return
    for subscription in index.of_type(STANDARDS_SUBSCRIPTION):
        subscription.known("standardsArn")
    yield (
        f"Security Hub {subject.label} is not subscribed to the AWS Foundational Security Best Practices "
        "standard (standards/aws-foundational-security-best-practices/v/1.0.0)"
    )


# -- SR-AUD-054: AWS Config records, is on, delivers to an encrypted bucket of the stack -----------------


def _strategies(subject: Resource) -> set[str]:
    """The recording strategies (`useOnly`), upper-cased so no spelling of one passes unseen."""
    found: set[str] = set()
    for i, _ in enumerate(as_list(subject.known("recordingGroup.recordingStrategies"))):
        value = subject.known(f"recordingGroup.recordingStrategies.{i}.useOnly")
        if isinstance(value, str):
            found.add(value.strip().upper())
    single = subject.known("recordingGroup.recordingStrategies.useOnly")  # one strategy given as an object
    if isinstance(single, str):
        found.add(single.strip().upper())
    return found


def _recording_group(subject: Resource, index: Index) -> Iterator[str]:
    """What the recording group leaves unrecorded. Without a group, or with `allSupported` unset, AWS Config
    records all supported types (pulumi-aws's default) without the global ones. A group that reads both
    as "all supported" and as a list (allSupported, the strategy and resourceTypes disagree, which AWS
    rejects or resolves one way) must satisfy both readings."""
    group = subject.known("recordingGroup")
    strategies = _strategies(subject) if group is not None else set()
    if EXCLUSION in strategies or as_list(subject.known("recordingGroup.exclusionByResourceTypes")):
        yield f"Config recorder {subject.label} excludes resource types from recording"
        return
    all_supported = subject.known("recordingGroup.allSupported", True)
    if not is_false(all_supported) or ALL_SUPPORTED in strategies:
        iam: tuple[str, ...] = index.memo(
            "baseline:iam-types",
            lambda: tuple(sorted({r.type for r in index.resources if r.type.startswith(IAM_PREFIX)})),
        )
        if iam and not is_true(subject.known("recordingGroup.includeGlobalResourceTypes", False)):
            yield (
                f"Config recorder {subject.label} records all supported types without the global ones "
                "(includeGlobalResourceTypes is not true), so AWS Config records none of the IAM resources "
                f"this stack creates: {', '.join(iam)}"
            )
    listed = {str(t) for t in as_list(subject.known("recordingGroup.resourceTypes"))}
    if is_false(all_supported) or INCLUSION in strategies or listed:
        needed: frozenset[str] = index.memo(
            "baseline:config-types",
            lambda: frozenset(CONFIG_TYPES[r.type] for r in index.of_type(*CONFIG_TYPES)),
        )
        if not listed:
            yield (
                f"Config recorder {subject.label} records nothing: allSupported=false and no resourceTypes"
            )
        elif needed - listed:
            yield (
                f"Config recorder {subject.label} records neither all supported types nor "
                f"{', '.join(sorted(needed - listed))}, which this stack creates"
            )


def _recorder(subject: Resource, index: Index) -> Iterator[str]:
    yield from _recording_group(subject, index)
    statuses = index.referencing(subject, RECORDER_STATUS, "name", ("name", "id"))
    if not statuses:
        yield f"Config recorder {subject.label} has no recorder status, so it never starts recording"
    for status in statuses:
        if not is_true(status.known("isEnabled")):
            yield f"Config recorder {subject.label}: status {status.label} does not set isEnabled=true"
    channels = list(index.of_type(DELIVERY_CHANNEL))
    if not channels:
        yield f"Config recorder {subject.label} has no delivery channel in this stack"
    for position in _troubled_channels(channels, index):
        channel = channels[position]
        value = channel.get("s3BucketName")
        if not _channel_bucket(position, channel, index):
            yield (
                f"Config recorder {subject.label}: delivery channel {channel.label} delivers to {value!r}, "
                "which is no bucket of this stack"
            )
        for problem in _channel_key(position, channel, index):
            yield f"Config recorder {subject.label}: {problem}"


# Every recorder of the stack judges every delivery channel of it: each channel's verdicts are found once
# per index (by the channel's place among the index's channels) rather than once per recorder, and each
# recorder visits only the channels with something to report. A verdict that raises (UnknownValue) is not
# memoised, and then every recorder visits every channel: it raises at the same point as before.


def _troubled_channels(channels: list[Resource], index: Index) -> Sequence[int]:
    """The places of the channels `_recorder` reports on (in order); all of them when judging one raises."""

    def compute() -> tuple[int, ...] | None:
        try:
            return tuple(
                position
                for position, channel in enumerate(channels)
                if not _channel_bucket(position, channel, index) or _channel_key(position, channel, index)
            )
        except Exception:
            return None

    troubled: tuple[int, ...] | None = index.memo("baseline:troubled-channels", compute)
    return range(len(channels)) if troubled is None else troubled


def _channel_bucket(position: int, channel: Resource, index: Index) -> bool:
    """Whether the channel's s3BucketName is a bucket of the plan (`bucket_of_plan`)."""
    found: bool = index.memo(
        f"baseline:channel-bucket:{position}",
        lambda: bucket_of_plan(channel, "s3BucketName", channel.get("s3BucketName"), index),
    )
    return found


def _channel_key(position: int, channel: Resource, index: Index) -> tuple[str, ...]:
    """The `key_findings` of the channel's s3KmsKeyArn: at most one, and a raise comes before it."""
    found: tuple[str, ...] = index.memo(
        f"baseline:channel-key:{position}",
        lambda: tuple(key_findings(channel, index, "s3KmsKeyArn", "delivery channel")),
    )
    return found


# -- SR-AUD-055: each finding source routes to an encrypted topic of the stack ---------------------------


def _on_default_bus(rule: Resource) -> bool:
    bus = rule.known("eventBusName", "default")
    return bus in ("default", None) or (isinstance(bus, str) and bus.endswith(":event-bus/default"))


def _enabled(rule: Resource) -> bool:
    return rule.known("state", "ENABLED") == "ENABLED" and not is_false(rule.known("isEnabled", True))


def _encrypted_topic(target: Resource, index: Index) -> bool:
    """Whether the target is a topic of the stack encrypted with a customer managed key (EventBridge cannot
    publish to a topic under the AWS managed key alias/aws/sns)."""
    arn = target.get("arn")
    for topic in index.of_type(TOPIC):
        if arn is UNKNOWN:
            names = target.property_dependencies.get("arn", ())
            if topic.urn not in names:
                continue
        elif not isinstance(arn, str) or arn not in (topic.get("arn"), topic.get("id")):
            continue
        key = topic.get("kmsMasterKeyId")
        if key is UNKNOWN:
            raise UnknownValue(topic.label, "kmsMasterKeyId")
        return bool(key) and not aws_managed_key(key)
    if arn is UNKNOWN and not target.property_dependencies.get("arn"):
        raise UnknownValue(target.label, "arn")
    return False


def _delivers(rule: Resource, event: dict[str, Any], index: Index) -> bool:
    """Whether the rule is enabled on the default bus, its pattern matches the event and one of its targets
    is an encrypted topic of the stack. Raises UnknownValue or CannotJudge when that can't be told."""
    if not _enabled(rule) or not _on_default_bus(rule):
        return False
    pattern = rule.known("eventPattern")
    if pattern is None:
        return False
    try:
        if not eventpattern.matches(pattern, event):
            return False
    except eventpattern.UnsupportedPattern as err:
        raise CannotJudge(f"the event pattern of rule {rule.label} could not be evaluated: {err}") from err
    pending: Exception | None = None
    for target in index.referencing(rule, EVENT_TARGET, "rule", ("name", "id")):
        try:
            if _encrypted_topic(target, index):
                return True
        except UnknownValue as exc:
            pending = pending or exc
    if pending is not None:
        raise pending
    return False


def _routed(subject: Resource, index: Index) -> Iterator[str]:
    _source, _detail_type, what = FINDING_EVENTS[subject.type]
    for label, event in FINDING_SAMPLES[subject.type]:
        pending: Exception | None = None
        delivered = False
        for rule in index.of_type(EVENT_RULE):
            try:
                if _delivers(rule, event, index):
                    delivered = True
                    break
            except (UnknownValue, CannotJudge) as exc:
                pending = pending or exc
        if delivered:
            continue
        if pending is not None:
            raise pending  # a rule that could not be judged might deliver it: never a pass, never a guess
        yield (
            f"{what} of {subject.label} reach no KMS-encrypted SNS topic of this stack: no enabled "
            f"EventBridge rule on the default bus that matches {label} targets one"
        )


_BASELINE = ("baseline",)
_PREVIEW_LIVE = frozenset({"preview", "live"})
_NIST_MONITOR = ("SI-4", "CA-7", "RA-5")

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-AUD-050",
        title="A prod stack carries the account baseline",
        severity="high",
        enforcement="mandatory",
        resource_types=(ANY_TYPE,),
        scope="stack",
        rationale=(
            "Access Analyzer, GuardDuty, Security Hub and AWS Config are how the bank learns that a resource "
            "was shared, an object read in bulk, a control failed or a configuration changed; a prod "
            "environment without them is unwatched between audits."
        ),
        frameworks={
            "NIST-800-53-r5": ("SI-4", "CA-7", "CM-8", "AC-6"),
            "AWS-FSBP": ("GuardDuty.1", "Config.1"),
            "CIS-AWS-3.0": ("1.20", "3.3", "4.16"),
            "DORA": ("Art. 10",),
        },
        remediation=(
            "Leave strongroom:baseline.enabled at true (AccountBaseline in components/baseline.py); an "
            "account that already has these singletons imports them (README, AccountBaseline)."
        ),
        predicate=_missing_pieces,
        applies=_prod_root,
        applicability="the root stack resource of a prod stack",
        tags=("audit", *_BASELINE),
    ),
    Control(
        id="SR-AUD-051",
        title="IAM Access Analyzer finds external access",
        severity="medium",
        enforcement="mandatory",
        resource_types=(ANALYZER,),
        rationale=(
            "An analyzer of unused access reports nothing when a bucket, key or role is shared outside the "
            "account or organization."
        ),
        frameworks={"NIST-800-53-r5": ("AC-6", "AC-3"), "CIS-AWS-3.0": ("1.20",)},
        remediation="Set type='ACCOUNT' (or 'ORGANIZATION' in the management or delegated admin account).",
        predicate=_analyzer,
        enforced_in=_PREVIEW_LIVE,
        tags=("audit", *_BASELINE),
    ),
    Control(
        id="SR-AUD-052",
        title="GuardDuty is enabled with S3 protection",
        severity="high",
        enforcement="mandatory",
        resource_types=(DETECTOR,),
        scope="stack",
        rationale=(
            "Without S3 protection GuardDuty does not see object-level API calls: the bulk read of a data "
            "bucket by a stolen role, the insider's case, goes unflagged."
        ),
        frameworks={"NIST-800-53-r5": _NIST_MONITOR, "AWS-FSBP": ("GuardDuty.1", "GuardDuty.10")},
        remediation=(
            "Leave enable at True and add aws.guardduty.DetectorFeature(detector_id=<detector>.id, "
            "name='S3_DATA_EVENTS', status='ENABLED')."
        ),
        predicate=_guardduty,
        enforced_in=_PREVIEW_LIVE,
        tags=("audit", *_BASELINE, "s3"),
    ),
    Control(
        id="SR-AUD-053",
        title="Security Hub runs the AWS Foundational Security Best Practices standard",
        severity="medium",
        enforcement="mandatory",
        resource_types=(HUB,),
        scope="stack",
        rationale=(
            "Security Hub without a standard evaluates nothing; FSBP checks the account continuously "
            "against the controls this pack maps to."
        ),
        frameworks={"NIST-800-53-r5": ("CA-7", "CM-6", "RA-5"), "AWS-FSBP": ("SecurityHub.1",)},
        remediation=(
            "Add aws.securityhub.StandardsSubscription(standards_arn='arn:<partition>:securityhub:<region>::"
            "standards/aws-foundational-security-best-practices/v/1.0.0'); leave auto_enable_controls True."
        ),
        predicate=_securityhub,
        enforced_in=_PREVIEW_LIVE,
        tags=("audit", *_BASELINE),
    ),
    Control(
        id="SR-AUD-054",
        title="AWS Config records, is on, and delivers to an encrypted bucket of the stack",
        severity="high",
        enforcement="mandatory",
        resource_types=(RECORDER,),
        scope="stack",
        rationale=(
            "A recorder that records nothing, leaves out the stack's types (all supported types without "
            "the global ones record no IAM role or policy), is never started or delivers to a bucket the "
            "bank does not control leaves no configuration history to investigate a change with."
        ),
        frameworks={
            "NIST-800-53-r5": ("CM-8", "CM-3", "AU-12"),
            "AWS-FSBP": ("Config.1",),
            "CIS-AWS-3.0": ("3.3",),
        },
        remediation=(
            "Record all supported types with include_global_resource_types=True when the stack creates IAM "
            "resources, or list the environment's types (no exclusion strategy); add "
            "aws.cfg.RecorderStatus(name=<recorder>.name, is_enabled=True) and an aws.cfg.DeliveryChannel "
            "with s3_bucket_name=<bucket of the stack> and s3_kms_key_arn=<key of the stack>."
        ),
        predicate=_recorder,
        enforced_in=_PREVIEW_LIVE,
        tags=("audit", *_BASELINE, "encryption"),
    ),
    Control(
        id="SR-AUD-055",
        title="Each finding source is routed to a KMS-encrypted SNS topic of the stack",
        severity="high",
        enforcement="mandatory",
        resource_types=(ANALYZER, DETECTOR, HUB, RECORDER),
        scope="stack",
        rationale=(
            "A finding nobody receives is no control: GuardDuty, Security Hub, Access Analyzer and Config "
            "findings must reach the people on the alert topic, encrypted like the rest of the alerts."
        ),
        frameworks={"NIST-800-53-r5": ("SI-4(5)", "IR-6", "AU-6"), "DORA": ("Art. 10", "Art. 17")},
        framework_note="CIS and FSBP check that the services are on, not that their findings reach anyone.",
        remediation=(
            "Add an enabled aws.cloudwatch.EventRule on the default bus with the source's pattern "
            "(components.policydocs.baseline.finding_patterns) and an EventTarget to the stack's encrypted "
            "alert topic; a detail filter must still pass the source's high or critical findings (the "
            "control runs sample findings through the pattern)."
        ),
        predicate=_routed,
        enforced_in=_PREVIEW_LIVE,
        tags=("audit", *_BASELINE, "alerts"),
    ),
)
