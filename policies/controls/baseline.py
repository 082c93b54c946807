"""The account baseline: IAM Access Analyzer for external access, GuardDuty with S3 protection, Security Hub
with the AWS Foundational Security Best Practices standard, AWS Config recording to an encrypted bucket of
the stack, and each of their findings routed by EventBridge to a KMS-encrypted SNS topic of the stack.

A prod stack must carry the whole baseline (SR-AUD-050, judged on the stack's root resource); wherever a
piece exists, it must be on (SR-AUD-051..055). Companions are joined by reference: the detector's
features by `detectorId`, the recorder's status by `name`, an event target by its rule's `name` and the
topic by its `arn`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from policies.model import Control
from policies.props import ANY_TYPE, UNKNOWN, Index, Resource, UnknownValue, as_list, get, is_false, is_true
from policies.references import bucket_of_plan, key_findings

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

FINDING_EVENTS: dict[str, tuple[str, str, str]] = {
    ANALYZER: ("aws.access-analyzer", "Access Analyzer Finding", "IAM Access Analyzer findings"),
    DETECTOR: ("aws.guardduty", "GuardDuty Finding", "GuardDuty findings"),
    HUB: ("aws.securityhub", "Security Hub Findings - Imported", "Security Hub findings"),
    RECORDER: ("aws.config", "Config Rules Compliance Change", "AWS Config compliance changes"),
}
"""Finding source type -> (event source, detail-type of its findings, what the message calls them)."""


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


def _recorder(subject: Resource, index: Index) -> Iterator[str]:
    group = subject.known("recordingGroup")
    if group is not None:
        strategies = [get(s, "useOnly") for s in as_list(get(group, "recordingStrategies"))]
        if "EXCLUSION_BY_RESOURCE_TYPES" in strategies or as_list(get(group, "exclusionByResourceTypes")):
            yield f"Config recorder {subject.label} excludes resource types from recording"
        elif not is_true(get(group, "allSupported", True)):
            listed = {str(t) for t in as_list(subject.known("recordingGroup.resourceTypes"))}
            needed = {CONFIG_TYPES[r.type] for r in index.of_type(*CONFIG_TYPES)}
            if not listed:
                yield (
                    f"Config recorder {subject.label} records nothing: allSupported=false and no "
                    "resourceTypes"
                )
            elif needed - listed:
                yield (
                    f"Config recorder {subject.label} records neither all supported types nor "
                    f"{', '.join(sorted(needed - listed))}, which this stack creates"
                )
    statuses = index.referencing(subject, RECORDER_STATUS, "name", ("name", "id"))
    if not statuses:
        yield f"Config recorder {subject.label} has no recorder status, so it never starts recording"
    for status in statuses:
        if not is_true(status.known("isEnabled")):
            yield f"Config recorder {subject.label}: status {status.label} does not set isEnabled=true"
    channels = list(index.of_type(DELIVERY_CHANNEL))
    if not channels:
        yield f"Config recorder {subject.label} has no delivery channel in this stack"
    for channel in channels:
        value = channel.get("s3BucketName")
        if not bucket_of_plan(channel, "s3BucketName", value, index):
            yield (
                f"Config recorder {subject.label}: delivery channel {channel.label} delivers to {value!r}, "
                "which is no bucket of this stack"
            )
        for problem in key_findings(channel, index, "s3KmsKeyArn", "delivery channel"):
            yield f"Config recorder {subject.label}: {problem}"


# -- SR-AUD-055: each finding source routes to an encrypted topic of the stack ---------------------------


def _pattern(rule: Resource) -> dict[str, Any] | None:
    raw = rule.known("eventPattern")
    if not isinstance(raw, str):
        return None
    try:
        pattern = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return pattern if isinstance(pattern, dict) else None


def _selects(rule: Resource, source: str, detail_type: str) -> bool:
    if rule.known("state", "ENABLED") != "ENABLED" or is_false(rule.known("isEnabled", True)):
        return False
    if rule.known("eventBusName", "default") not in ("default", None):
        return False
    pattern = _pattern(rule)
    if pattern is None:
        return False
    if source not in [s for s in as_list(pattern.get("source")) if isinstance(s, str)]:
        return False
    types = pattern.get("detail-type")
    return types is None or detail_type in [t for t in as_list(types) if isinstance(t, str)]


def _encrypted_topic(target: Resource, index: Index) -> bool:
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
        return bool(key)
    if arn is UNKNOWN and not target.property_dependencies.get("arn"):
        raise UnknownValue(target.label, "arn")
    return False


def _routed(subject: Resource, index: Index) -> Iterator[str]:
    source, detail_type, what = FINDING_EVENTS[subject.type]
    for rule in index.of_type(EVENT_RULE):
        if not _selects(rule, source, detail_type):
            continue
        targets = index.referencing(rule, EVENT_TARGET, "rule", ("name", "id"))
        if any(_encrypted_topic(t, index) for t in targets):
            return
    yield (
        f"{what} of {subject.label} reach no KMS-encrypted SNS topic of this stack: no enabled EventBridge "
        f"rule on the default bus selecting source {source} (detail-type {detail_type!r}) targets one"
    )


_BASELINE = ("baseline",)
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
            "A recorder that records nothing, is never started or delivers to a bucket the bank does not "
            "control leaves no configuration history to investigate a change with."
        ),
        frameworks={
            "NIST-800-53-r5": ("CM-8", "CM-3", "AU-12"),
            "AWS-FSBP": ("Config.1",),
            "CIS-AWS-3.0": ("3.3",),
        },
        remediation=(
            "Record all supported types or the environment's (no exclusion strategy), add "
            "aws.cfg.RecorderStatus(name=<recorder>.name, is_enabled=True) and an aws.cfg.DeliveryChannel "
            "with s3_bucket_name=<bucket of the stack> and s3_kms_key_arn=<key of the stack>."
        ),
        predicate=_recorder,
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
            "alert topic."
        ),
        predicate=_routed,
        tags=("audit", *_BASELINE, "alerts"),
    ),
)
