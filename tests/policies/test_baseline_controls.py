"""Account baseline controls: Access Analyzer, GuardDuty, Security Hub, AWS Config and finding routes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    all_messages,
    messages_for,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
    urn,
)

from strongroom.components.policydocs.baseline import finding_patterns
from strongroom.policies.catalog import get
from strongroom.policies.controls.baseline import (
    ANALYZER,
    DELIVERY_CHANNEL,
    DETECTOR,
    DETECTOR_FEATURE,
    EVENT_RULE,
    EVENT_TARGET,
    HUB,
    RECORDER,
    RECORDER_STATUS,
    STACK,
    STANDARDS_SUBSCRIPTION,
    TOPIC,
)
from strongroom.policies.props import UNKNOWN, Context, Resource, normalize


def mk(type_: str, resource_name: str, **props: Any) -> Resource:
    """A resource with camelCase props (`name` is a property here, as on Config resources and rules)."""
    return Resource(type=type_, urn=urn(type_, resource_name), name=resource_name, props=normalize(props))


ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = f"arn:aws:sns:eu-west-2:{ACCOUNT}:sr-prod-alerts-topic"
FSBP = "arn:aws:securityhub:eu-west-2::standards/aws-foundational-security-best-practices/v/1.0.0"
BUCKET = "aws:s3/bucket:Bucket"
SOURCES = {"access-analyzer": ANALYZER, "guardduty": DETECTOR, "securityhub": HUB, "config": RECORDER}

root = mk(STACK, "strongroom-prod")
key = mk("aws:kms/key:Key", "logs-key", arn=KEY_ARN)
topic = mk(TOPIC, "alerts-topic", arn=TOPIC_ARN, kmsMasterKeyId=KEY_ARN)
analyzer = mk(ANALYZER, "analyzer", analyzerName="strongroom-prod-external-access", type="ACCOUNT")
detector = mk(DETECTOR, "detector", id="d-0123", enable=True)
feature = mk(DETECTOR_FEATURE, "detector-s3", detectorId="d-0123", name="S3_DATA_EVENTS", status="ENABLED")
hub = mk(HUB, "securityhub", enableDefaultStandards=False, autoEnableControls=True)
fsbp = mk(STANDARDS_SUBSCRIPTION, "fsbp", standardsArn=FSBP)
bucket = mk(BUCKET, "config-bucket", bucket="sr-prod-config-1234")
GROUP = {
    "allSupported": False,
    "resourceTypes": ["AWS::S3::Bucket", "AWS::KMS::Key"],
    "recordingStrategies": [{"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}],
}
recorder = mk(RECORDER, "recorder", name="strongroom-prod", recordingGroup=GROUP)
status = mk(RECORDER_STATUS, "status", name="strongroom-prod", isEnabled=True)
channel = mk(DELIVERY_CHANNEL, "channel", s3BucketName="sr-prod-config-1234", s3KmsKeyArn=KEY_ARN)


def route(source: str, **rule_props: Any) -> list[Resource]:
    props: dict[str, Any] = {"name": f"{source}-rule", "eventPattern": json.dumps(finding_patterns()[source])}
    props.update(rule_props)
    rule = mk(EVENT_RULE, f"{source}-findings", **{k: v for k, v in props.items() if v is not None})
    target = mk(EVENT_TARGET, f"{source}-findings-target", rule=f"{source}-rule", arn=TOPIC_ARN)
    return [rule, target]


ROUTES = [r for source in SOURCES for r in route(source)]
STACK_RESOURCES = [
    root,
    key,
    topic,
    analyzer,
    detector,
    feature,
    hub,
    fsbp,
    bucket,
    recorder,
    status,
    channel,
    *ROUTES,
]


def changed(resource: Resource, **props: Any) -> Resource:
    merged = {k: v for k, v in ({**resource.props, **props}).items() if v is not None}
    return mk(resource.type, resource.name, **merged)


def stack(*replace: Resource, drop: Sequence[str] = ()) -> list[Resource]:
    """The compliant stack with resources replaced by name and others dropped by name."""
    by_name = {r.name: r for r in replace}
    return [by_name.get(r.name, r) for r in STACK_RESOURCES if r.name not in drop] + [
        r for r in replace if r.name not in {s.name for s in STACK_RESOURCES}
    ]


def missing(what: str) -> str:
    return f"prod stack 'strongroom-prod' lacks {what}"


def not_routed(what: str, subject: str, sample: str) -> str:
    return (
        f"{what} of '{subject}' reach no KMS-encrypted SNS topic of this stack: no enabled EventBridge rule "
        f"on the default bus that matches {sample} targets one"
    )


GD_NOT_ROUTED = not_routed(
    "GuardDuty findings",
    "detector",
    "a high-severity finding (Exfiltration:S3/AnomalousBehavior, severity 8)",
)
HUB_NOT_ROUTED = not_routed(
    "Security Hub findings",
    "securityhub",
    "an imported FAILED CRITICAL finding (FSBP S3.2, workflow NEW, record ACTIVE)",
)
ANALYZER_NOT_ROUTED = not_routed(
    "IAM Access Analyzer findings",
    "analyzer",
    "an active finding (S3 bucket shared with account 444455556666)",
)
CONFIG_NOT_ROUTED = not_routed(
    "AWS Config compliance changes",
    "recorder",
    "a NON_COMPLIANT compliance change (rule s3-bucket-server-side-encryption-enabled on an S3 bucket)",
)


def pattern(source: str, **detail: Any) -> str:
    """The source's pattern of components.policydocs.baseline with its detail filter replaced."""
    base = {k: v for k, v in finding_patterns()[source].items() if k != "detail"}
    return json.dumps({**base, "detail": detail} if detail else base)


def gd_pattern(**detail: Any) -> str:
    return pattern("guardduty", **detail)


IAM_ROLE = mk("aws:iam/role:Role", "ml-execution", name="sr-prod-ml-execution")
ALL_NO_GLOBAL = (
    "Config recorder 'recorder' records all supported types without the global ones "
    "(includeGlobalResourceTypes is not true), so AWS Config records none of the IAM resources this stack "
    "creates: aws:iam/role:Role"
)


def all_supported(**group: Any) -> list[Resource]:
    """The Config part of the stack with an IAM role and the recorder's group replaced."""
    return [key, bucket, IAM_ROLE, changed(recorder, recordingGroup=group or None), status, channel]


NO_S3 = (
    "GuardDuty detector 'detector' has no S3 protection: no detector feature S3_DATA_EVENTS "
    "with status ENABLED"
)
NO_FSBP = (
    "Security Hub 'securityhub' is not subscribed to the AWS Foundational Security Best Practices standard "
    "(standards/aws-foundational-security-best-practices/v/1.0.0)"
)

SPECS: dict[str, Spec] = {
    "SR-AUD-050": Spec(
        baseline=STACK_RESOURCES,
        stack="prod",
        breaks=[
            Break(
                "no-analyzer",
                stack(drop=["analyzer"]),
                "strongroom-prod",
                [missing("an IAM Access Analyzer (aws:accessanalyzer/analyzer:Analyzer)")],
            ),
            Break(
                "no-guardduty",
                stack(drop=["detector", "detector-s3"]),
                "strongroom-prod",
                [
                    missing("a GuardDuty detector (aws:guardduty/detector:Detector)"),
                    missing("GuardDuty S3 protection (aws:guardduty/detectorFeature:DetectorFeature)"),
                ],
            ),
            Break(
                "no-securityhub",
                stack(drop=["securityhub"]),
                "strongroom-prod",
                [missing("Security Hub (aws:securityhub/account:Account)")],
            ),
            Break(
                "no-standard",
                stack(drop=["fsbp"]),
                "strongroom-prod",
                [
                    missing(
                        "a Security Hub standard subscription "
                        "(aws:securityhub/standardsSubscription:StandardsSubscription)"
                    )
                ],
            ),
            Break(
                "no-config",
                stack(drop=["recorder", "status", "channel"]),
                "strongroom-prod",
                [
                    missing("an AWS Config recorder (aws:cfg/recorder:Recorder)"),
                    missing("an AWS Config recorder status (aws:cfg/recorderStatus:RecorderStatus)"),
                    missing("an AWS Config delivery channel (aws:cfg/deliveryChannel:DeliveryChannel)"),
                ],
            ),
            Break(
                "unknown-stack-is-prod",
                [root],
                "strongroom-prod",
                [
                    missing("an IAM Access Analyzer (aws:accessanalyzer/analyzer:Analyzer)"),
                    missing("a GuardDuty detector (aws:guardduty/detector:Detector)"),
                    missing("GuardDuty S3 protection (aws:guardduty/detectorFeature:DetectorFeature)"),
                    missing("Security Hub (aws:securityhub/account:Account)"),
                    missing(
                        "a Security Hub standard subscription "
                        "(aws:securityhub/standardsSubscription:StandardsSubscription)"
                    ),
                    missing("an AWS Config recorder (aws:cfg/recorder:Recorder)"),
                    missing("an AWS Config recorder status (aws:cfg/recorderStatus:RecorderStatus)"),
                    missing("an AWS Config delivery channel (aws:cfg/deliveryChannel:DeliveryChannel)"),
                ],
                context=Context(stack=None),
            ),
        ],
        not_applicable=[bucket, topic],
    ),
    "SR-AUD-051": Spec(
        baseline=[analyzer, changed(analyzer, name="org", type="ORGANIZATION")],
        breaks=[
            Break(
                "unused-access",
                [changed(analyzer, type="ACCOUNT_UNUSED_ACCESS")],
                "analyzer",
                [
                    "analyzer 'analyzer' has type 'ACCOUNT_UNUSED_ACCESS', which finds no external access; "
                    "accepted: ACCOUNT, ORGANIZATION"
                ],
            ),
            Break(
                "other-spelling",
                [changed(analyzer, type="account")],
                "analyzer",
                [
                    "analyzer 'analyzer' has type 'account', which finds no external access; accepted: "
                    "ACCOUNT, ORGANIZATION"
                ],
            ),
        ],
        not_applicable=[detector, hub],
    ),
    "SR-AUD-052": Spec(
        baseline=[detector, feature],
        breaks=[
            Break(
                "disabled",
                [changed(detector, enable=False), feature],
                "detector",
                ["GuardDuty detector 'detector' sets enable=false"],
            ),
            Break("no-feature", [detector], "detector", [NO_S3]),
            Break(
                "feature-disabled",
                [detector, changed(feature, status="DISABLED")],
                "detector",
                [
                    "GuardDuty detector 'detector': feature 'detector-s3' sets S3_DATA_EVENTS to 'DISABLED', "
                    "not 'ENABLED'",
                ],
            ),
            Break(
                "second-feature-disables",
                [
                    detector,
                    feature,
                    mk(
                        DETECTOR_FEATURE,
                        "detector-s3-off",
                        detectorId="d-0123",
                        name="S3_DATA_EVENTS",
                        status="DISABLED",
                    ),
                ],
                "detector",
                [
                    "GuardDuty detector 'detector': feature 'detector-s3-off' sets S3_DATA_EVENTS to "
                    "'DISABLED', not 'ENABLED'"
                ],
            ),
            Break(
                "feature-of-another-detector",
                [detector, changed(feature, detectorId="d-other")],
                "detector",
                [NO_S3],
            ),
            Break(
                "other-feature-name",
                [detector, changed(feature, name="s3_data_events")],
                "detector",
                [NO_S3],
            ),
            Break(
                "legacy-datasource-off",
                [changed(detector, datasources={"s3Logs": {"enable": False}})],
                "detector",
                ["GuardDuty detector 'detector' sets datasources.s3Logs.enable=false", NO_S3],
            ),
        ],
        not_applicable=[feature, hub],
    ),
    "SR-AUD-053": Spec(
        baseline=[hub, fsbp],
        breaks=[
            Break("no-subscription", [hub], "securityhub", [NO_FSBP]),
            Break(
                "other-standard",
                [
                    hub,
                    changed(
                        fsbp,
                        standardsArn="arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
                    ),
                ],
                "securityhub",
                [NO_FSBP],
            ),
            Break(
                "other-version",
                [hub, changed(fsbp, standardsArn=FSBP.replace("1.0.0", "0.9.0"))],
                "securityhub",
                [NO_FSBP],
            ),
            Break(
                "controls-not-auto-enabled",
                [changed(hub, autoEnableControls=False), fsbp],
                "securityhub",
                [
                    "Security Hub 'securityhub' sets autoEnableControls=false: new controls of its standards "
                    "stay off"
                ],
            ),
        ],
        not_applicable=[fsbp, detector],
    ),
    "SR-AUD-054": Spec(
        baseline=[
            key,
            bucket,
            recorder,
            status,
            channel,
            mk(RECORDER, "recorder-all", name="all", recordingGroup={"allSupported": True}),
            mk(RECORDER_STATUS, "status-all", name="all", isEnabled=True),
        ],
        # the compliant twins of the global-types breaks: test_a_recorder_of_all_types_that_records_iam_passes
        breaks=[
            Break(
                "misses-a-type-of-the-stack",
                [
                    key,
                    bucket,
                    changed(recorder, recordingGroup={**GROUP, "resourceTypes": ["AWS::S3::Bucket"]}),
                    status,
                    channel,
                ],
                "recorder",
                [
                    "Config recorder 'recorder' records neither all supported types nor AWS::KMS::Key, "
                    "which this stack creates"
                ],
            ),
            Break(
                "records-nothing",
                [key, bucket, changed(recorder, recordingGroup={"allSupported": False}), status, channel],
                "recorder",
                ["Config recorder 'recorder' records nothing: allSupported=false and no resourceTypes"],
            ),
            Break(
                "exclusion-strategy",
                [
                    key,
                    bucket,
                    changed(
                        recorder,
                        recordingGroup={
                            "allSupported": False,
                            "recordingStrategies": [{"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}],
                            "exclusionByResourceTypes": [{"resourceTypes": ["AWS::IAM::Role"]}],
                        },
                    ),
                    status,
                    channel,
                ],
                "recorder",
                ["Config recorder 'recorder' excludes resource types from recording"],
            ),
            Break(
                "all-supported-without-global-types",
                all_supported(allSupported=True, includeGlobalResourceTypes=False),
                "recorder",
                [ALL_NO_GLOBAL],
            ),
            Break(
                "all-supported-by-default-without-global-types",
                all_supported(includeGlobalResourceTypes=False),
                "recorder",
                [ALL_NO_GLOBAL],
            ),
            Break(
                "no-recording-group-records-no-global-types",
                all_supported(),
                "recorder",
                [ALL_NO_GLOBAL],
            ),
            Break(
                "all-supported-strategy-without-global-types",
                all_supported(
                    allSupported=True, recordingStrategies=[{"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}]
                ),
                "recorder",
                [ALL_NO_GLOBAL],
            ),
            Break(
                "all-supported-strategy-as-object",
                all_supported(recordingStrategies={"useOnly": "all_supported_resource_types"}),
                "recorder",
                [ALL_NO_GLOBAL],
            ),
            Break(
                "global-types-as-string-false",
                all_supported(allSupported="true", includeGlobalResourceTypes="false"),
                "recorder",
                [ALL_NO_GLOBAL],
            ),
            Break(
                "strategy-all-contradicts-allSupported-false",
                all_supported(
                    allSupported=False,
                    recordingStrategies=[{"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}],
                    resourceTypes=["AWS::S3::Bucket", "AWS::KMS::Key", "AWS::IAM::Role"],
                ),
                "recorder",
                [ALL_NO_GLOBAL],
            ),
            Break(
                "strategy-inclusion-contradicts-allSupported-true",
                all_supported(
                    allSupported=True,
                    includeGlobalResourceTypes=True,
                    recordingStrategies=[{"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}],
                    resourceTypes=["AWS::S3::Bucket", "AWS::KMS::Key"],
                ),
                "recorder",
                [
                    "Config recorder 'recorder' records neither all supported types nor AWS::IAM::Role, "
                    "which this stack creates"
                ],
            ),
            Break(
                "exclusion-strategy-lower-case",
                all_supported(
                    allSupported=False,
                    recordingStrategies=[{"useOnly": "exclusion_by_resource_types"}],
                ),
                "recorder",
                ["Config recorder 'recorder' excludes resource types from recording"],
            ),
            Break(
                "no-status",
                [key, bucket, recorder, channel],
                "recorder",
                ["Config recorder 'recorder' has no recorder status, so it never starts recording"],
            ),
            Break(
                "status-off",
                [key, bucket, recorder, changed(status, isEnabled=False), channel],
                "recorder",
                ["Config recorder 'recorder': status 'status' does not set isEnabled=true"],
            ),
            Break(
                "status-of-another-recorder",
                [key, bucket, recorder, changed(status, name="other"), channel],
                "recorder",
                ["Config recorder 'recorder' has no recorder status, so it never starts recording"],
            ),
            Break(
                "no-channel",
                [key, bucket, recorder, status],
                "recorder",
                ["Config recorder 'recorder' has no delivery channel in this stack"],
            ),
            Break(
                "foreign-bucket",
                [key, bucket, recorder, status, changed(channel, s3BucketName="someone-elses-bucket")],
                "recorder",
                [
                    "Config recorder 'recorder': delivery channel 'channel' delivers to "
                    "'someone-elses-bucket', which is no bucket of this stack"
                ],
            ),
            Break(
                "unencrypted-delivery",
                [key, bucket, recorder, status, changed(channel, s3KmsKeyArn=None)],
                "recorder",
                ["Config recorder 'recorder': delivery channel 'channel' does not set s3KmsKeyArn"],
            ),
            Break(
                "aws-managed-key",
                [key, bucket, recorder, status, changed(channel, s3KmsKeyArn="alias/aws/s3")],
                "recorder",
                [
                    "Config recorder 'recorder': delivery channel 'channel' uses the AWS managed key "
                    "alias/aws/s3 in s3KmsKeyArn, not a customer managed key"
                ],
            ),
        ],
        not_applicable=[status, channel],
    ),
    "SR-AUD-055": Spec(
        baseline=STACK_RESOURCES,
        breaks=[
            Break(
                "no-rule",
                stack(drop=["guardduty-findings", "guardduty-findings-target"]),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "rule-without-target",
                stack(drop=["guardduty-findings-target"]),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "rule-disabled",
                stack(*route("guardduty", state="DISABLED")),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "rule-on-another-bus",
                stack(*route("guardduty", eventBusName="custom-bus")),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "other-detail-type",
                stack(
                    *route(
                        "guardduty",
                        eventPattern=json.dumps(
                            {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Malware Scan Result"]}
                        ),
                    )
                ),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "prefix-of-another-source",
                stack(*route("guardduty", eventPattern=json.dumps({"source": [{"prefix": "aws.guardian"}]}))),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "severity-no-finding-has",
                stack(*route("guardduty", eventPattern=gd_pattern(severity=[{"numeric": [">", 100]}]))),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "critical-only-drops-high",
                stack(*route("guardduty", eventPattern=gd_pattern(severity=[{"numeric": [">=", 9]}]))),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "severity-as-a-string",
                stack(*route("guardduty", eventPattern=gd_pattern(severity=["8"]))),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "archived-findings-only",
                stack(*route("guardduty", eventPattern=gd_pattern(service={"archived": [True]}))),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "detail-field-findings-lack",
                stack(*route("guardduty", eventPattern=gd_pattern(severityLabel=["HIGH"]))),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "securityhub-low-only",
                stack(
                    *route(
                        "securityhub",
                        eventPattern=pattern("securityhub", findings={"Severity": {"Label": ["LOW"]}}),
                    )
                ),
                "securityhub",
                [HUB_NOT_ROUTED],
            ),
            Break(
                "securityhub-passed-only",
                stack(
                    *route(
                        "securityhub",
                        eventPattern=pattern("securityhub", findings={"Compliance": {"Status": ["PASSED"]}}),
                    )
                ),
                "securityhub",
                [HUB_NOT_ROUTED],
            ),
            Break(
                "securityhub-suppressed-only",
                stack(
                    *route(
                        "securityhub",
                        eventPattern=pattern(
                            "securityhub", findings={"Workflow": {"Status": ["SUPPRESSED"]}}
                        ),
                    )
                ),
                "securityhub",
                [HUB_NOT_ROUTED],
            ),
            Break(
                "analyzer-archived-only",
                stack(
                    *route("access-analyzer", eventPattern=pattern("access-analyzer", status=["ARCHIVED"]))
                ),
                "analyzer",
                [ANALYZER_NOT_ROUTED],
            ),
            Break(
                "analyzer-public-only",
                stack(*route("access-analyzer", eventPattern=pattern("access-analyzer", isPublic=[True]))),
                "analyzer",
                [ANALYZER_NOT_ROUTED],
            ),
            Break(
                "config-compliant-only",
                stack(
                    *route(
                        "config",
                        eventPattern=pattern(
                            "config",
                            messageType=["ComplianceChangeNotification"],
                            newEvaluationResult={"complianceType": ["COMPLIANT"]},
                        ),
                    )
                ),
                "recorder",
                [CONFIG_NOT_ROUTED],
            ),
            Break(
                "config-other-message-type",
                stack(
                    *route(
                        "config",
                        eventPattern=pattern("config", messageType=["ConfigurationItemChangeNotification"]),
                    )
                ),
                "recorder",
                [CONFIG_NOT_ROUTED],
            ),
            Break(
                "unencrypted-topic",
                stack(changed(topic, kmsMasterKeyId=None)),
                "recorder",
                [CONFIG_NOT_ROUTED],
            ),
            Break(
                "aws-managed-topic-key",
                stack(changed(topic, kmsMasterKeyId="alias/aws/sns")),
                "recorder",
                [CONFIG_NOT_ROUTED],
            ),
            Break(
                "target-outside-the-stack",
                stack(
                    mk(
                        EVENT_TARGET,
                        "access-analyzer-findings-target",
                        rule="access-analyzer-rule",
                        arn="arn:aws:sns:eu-west-2:123456789012:somewhere-else",
                    )
                ),
                "analyzer",
                [ANALYZER_NOT_ROUTED],
            ),
            Break(
                "securityhub-unrouted",
                stack(drop=["securityhub-findings"]),
                "securityhub",
                [HUB_NOT_ROUTED],
            ),
        ],
        not_applicable=[topic, fsbp, feature],
    ),
}


def test_a_dev_stack_without_the_baseline_is_not_judged_by_sr_aud_050() -> None:
    assert all_messages(get("SR-AUD-050"), [root], Context(stack="dev")) == []


def test_an_unknown_feature_status_is_reported_as_could_not_evaluate() -> None:
    from strongroom.policies.model import evaluate
    from strongroom.policies.props import Index

    findings = evaluate(get("SR-AUD-052"), Index([detector, changed(feature, status=UNKNOWN)]))
    assert [f.unknown for f in findings] == [True]


def test_an_unknown_rule_pattern_is_reported_as_could_not_evaluate() -> None:
    from strongroom.policies.model import evaluate
    from strongroom.policies.props import Index

    resources = stack(*route("guardduty", eventPattern=UNKNOWN))
    findings = [f for f in evaluate(get("SR-AUD-055"), Index(resources)) if f.resource_name == "detector"]
    assert [f.unknown for f in findings] == [True]


def _pack_findings(stack_name: str) -> list[tuple[str, str]]:
    """(URN, message) of SR-AUD-050 when the real pack analyzes a plan that is only the root stack."""
    from strongroom.check import PolicyPackProcess, default_pack_dir
    from strongroom.engine.plan import Plan, PlanResource

    root_urn = f"urn:pulumi:{stack_name}::strongroom::pulumi:pulumi:Stack::strongroom-{stack_name}"
    plan = Plan(
        project="strongroom",
        stack=stack_name,
        resources=[PlanResource(urn=root_urn, type=STACK, name=f"strongroom-{stack_name}")],
    )
    with PolicyPackProcess(default_pack_dir(), project="strongroom", stack=stack_name) as pack:
        diagnostics = pack.analyze_plan(plan)
    return [(d.urn, d.message) for d in diagnostics if d.policy_name == "sr-aud-050"]


def test_the_pack_reports_each_missing_piece_on_the_root_of_a_prod_stack() -> None:
    findings = _pack_findings("prod")
    assert len(findings) == 8, findings
    assert {urn for urn, _ in findings} == {
        "urn:pulumi:prod::strongroom::pulumi:pulumi:Stack::strongroom-prod"
    }
    expected = "prod stack 'strongroom-prod' lacks a GuardDuty detector (aws:guardduty/detector:Detector)"
    assert any(message.endswith(expected) for _, message in findings), findings


def test_the_pack_does_not_require_the_baseline_of_a_dev_stack() -> None:
    assert _pack_findings("dev") == []


def test_unknown_recorded_types_are_reported_as_could_not_evaluate() -> None:
    from strongroom.policies.model import evaluate
    from strongroom.policies.props import Index

    group = {"allSupported": False, "resourceTypes": UNKNOWN}
    findings = evaluate(
        get("SR-AUD-054"), Index([key, changed(recorder, recordingGroup=group), status, channel])
    )
    assert [f.unknown for f in findings] == [True]


def test_every_recorder_of_the_stack_judges_every_delivery_channel() -> None:
    """Two environments in one stack: each recorder reports each channel, and a channel that can't be
    judged is so for every recorder (the channels' verdicts are shared between the recorders)."""
    from strongroom.policies.model import evaluate
    from strongroom.policies.props import Index

    recorder2 = changed(mk(RECORDER, "recorder-2", **recorder.props), name="strongroom-prod-2")
    status2 = changed(mk(RECORDER_STATUS, "status-2", **status.props), name="strongroom-prod-2")
    both = [key, bucket, recorder, status, recorder2, status2, channel]
    foreign = mk(DELIVERY_CHANNEL, "channel-2", s3BucketName="someone-elses-bucket", s3KmsKeyArn=KEY_ARN)
    findings = evaluate(get("SR-AUD-054"), Index([*both, foreign]))
    assert [(f.resource_name, f.message, f.unknown) for f in findings] == [
        (
            name,
            f"Config recorder '{name}': delivery channel 'channel-2' delivers to 'someone-elses-bucket', "
            "which is no bucket of this stack",
            False,
        )
        for name in ("recorder", "recorder-2")
    ]
    unknown = mk(DELIVERY_CHANNEL, "channel-2", s3BucketName=UNKNOWN, s3KmsKeyArn=KEY_ARN)
    findings = evaluate(get("SR-AUD-054"), Index([*both, unknown]))
    assert [(f.resource_name, f.message, f.unknown) for f in findings] == [
        (name, "s3BucketName of 'channel-2' can't be known during preview", True)
        for name in ("recorder", "recorder-2")
    ]


@pytest.mark.parametrize(
    "resources",
    [
        pytest.param(all_supported(allSupported=True, includeGlobalResourceTypes=True), id="all-with-global"),
        pytest.param(
            all_supported(includeGlobalResourceTypes="true"), id="default-all-with-global-as-string"
        ),
        pytest.param(
            all_supported(
                allSupported=True,
                includeGlobalResourceTypes=True,
                recordingStrategies=[{"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}],
            ),
            id="all-strategy-with-global",
        ),
        pytest.param(
            [r for r in all_supported(allSupported=True, includeGlobalResourceTypes=False) if r != IAM_ROLE],
            id="all-without-global-in-a-stack-without-iam",
        ),
        pytest.param(
            all_supported(
                allSupported=False,
                includeGlobalResourceTypes=False,
                resourceTypes=["AWS::S3::Bucket", "AWS::KMS::Key", "AWS::IAM::Role"],
                recordingStrategies=[{"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}],
            ),
            id="list-naming-the-iam-types",
        ),
    ],
)
def test_a_recorder_of_all_types_that_records_iam_passes(resources: list[Resource]) -> None:
    """The compliant twins of the SR-AUD-054 global-types breaks."""
    assert messages_for(get("SR-AUD-054"), resources, "recorder") == []


@pytest.mark.parametrize(
    "resources",
    [
        pytest.param(
            stack(*route("guardduty", eventPattern=gd_pattern(severity=[{"numeric": [">=", 7]}]))),
            id="high-and-above",
        ),
        pytest.param(
            stack(*route("guardduty", eventPattern=gd_pattern(severity=[{"numeric": [">", 0, "<=", 10]}]))),
            id="any-severity",
        ),
        pytest.param(
            stack(*route("guardduty", eventPattern=json.dumps({"source": [{"prefix": "aws.guard"}]}))),
            id="prefix-that-selects-guardduty",
        ),
        pytest.param(
            stack(*route("guardduty", eventPattern=gd_pattern(service={"archived": [False]}))),
            id="unarchived-findings",
        ),
        pytest.param(
            stack(
                *route("guardduty", eventPattern=gd_pattern(type=[{"anything-but": {"prefix": "Policy:"}}]))
            ),
            id="anything-but-another-kind",
        ),
        pytest.param(
            stack(
                *route(
                    "guardduty",
                    eventBusName=f"arn:aws:events:eu-west-2:{ACCOUNT}:event-bus/default",
                )
            ),
            id="default-bus-by-arn",
        ),
        pytest.param(
            stack(
                *route("guardduty", eventPattern=gd_pattern(severity=[{"numeric": [">", 100]}])),
                *[
                    mk(r.type, f"gd-second-{r.name}", **r.props)
                    for r in route("guardduty", name="gd-second-rule")
                    if r.type == EVENT_RULE
                ],
                mk(EVENT_TARGET, "gd-second-target", rule="gd-second-rule", arn=TOPIC_ARN),
            ),
            id="a-second-rule-routes-what-the-first-drops",
        ),
        pytest.param(
            stack(
                *route(
                    "securityhub",
                    eventPattern=pattern("securityhub", findings={"Severity": {"Label": ["CRITICAL"]}}),
                )
            ),
            id="securityhub-critical-only",
        ),
        pytest.param(
            stack(*route("access-analyzer", eventPattern=pattern("access-analyzer", status=["ACTIVE"]))),
            id="analyzer-active",
        ),
        pytest.param(
            stack(
                *route(
                    "config",
                    eventPattern=pattern(
                        "config", newEvaluationResult={"complianceType": [{"anything-but": "COMPLIANT"}]}
                    ),
                )
            ),
            id="config-anything-but-compliant",
        ),
    ],
)
def test_a_rule_that_routes_the_sample_findings_passes(resources: list[Resource]) -> None:
    """The compliant twins of the SR-AUD-055 detail-filter breaks: judged by what the pattern matches."""
    assert all_messages(get("SR-AUD-055"), resources) == []


def test_a_pattern_beyond_the_matcher_is_reported_as_could_not_evaluate() -> None:
    from strongroom.policies.model import evaluate
    from strongroom.policies.props import Index

    odd = gd_pattern(severity=[{"numeric-range": [7, 10]}])
    findings = evaluate(get("SR-AUD-055"), Index(stack(*route("guardduty", eventPattern=odd))))
    assert [(f.resource_name, f.unknown) for f in findings] == [("detector", True)]
    assert "could not be evaluated" in findings[0].message


def test_a_pattern_beyond_the_matcher_elsewhere_does_not_hide_a_route() -> None:
    odd = mk(
        EVENT_RULE, "odd-rule", name="odd", eventPattern=json.dumps({"detail": {"x": [{"frobnicate": 1}]}})
    )
    target = mk(EVENT_TARGET, "odd-target", rule="odd", arn=TOPIC_ARN)
    assert all_messages(get("SR-AUD-055"), stack(odd, target)) == []


def test_the_mutation_filter_severity_over_100_is_reported() -> None:
    """The gap the mutation test found: a GuardDuty rule whose filter no finding passes."""
    rule = gd_pattern(severity=[{"numeric": [">", 100]}])
    assert messages_for(get("SR-AUD-055"), stack(*route("guardduty", eventPattern=rule)), "detector") == [
        GD_NOT_ROUTED
    ]


def test_the_samples_match_the_component_patterns_and_only_their_own() -> None:
    """Each sample finding reaches its own rule of components.policydocs.baseline and no other."""
    from strongroom.policies import eventpattern
    from strongroom.policies.controls.baseline import FINDING_SAMPLES

    for type_, samples in FINDING_SAMPLES.items():
        own = {v: k for k, v in SOURCES.items()}[type_]
        for _, event in samples:
            assert {s for s, p in finding_patterns().items() if eventpattern.matches(p, event)} == {own}
