"""Account baseline controls: Access Analyzer, GuardDuty, Security Hub, AWS Config and finding routes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    all_messages,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
    urn,
)

from components.policydocs.baseline import finding_patterns
from policies.catalog import get
from policies.controls.baseline import (
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
from policies.props import UNKNOWN, Context, Resource, normalize


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


def not_routed(what: str, subject: str, source: str, detail_type: str) -> str:
    return (
        f"{what} of '{subject}' reach no KMS-encrypted SNS topic of this stack: no enabled EventBridge rule "
        f"on the default bus selecting source {source} (detail-type {detail_type!r}) targets one"
    )


GD_NOT_ROUTED = not_routed("GuardDuty findings", "detector", "aws.guardduty", "GuardDuty Finding")
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
                "prefix-instead-of-source",
                stack(*route("guardduty", eventPattern=json.dumps({"source": [{"prefix": "aws.guard"}]}))),
                "detector",
                [GD_NOT_ROUTED],
            ),
            Break(
                "unencrypted-topic",
                stack(changed(topic, kmsMasterKeyId=None)),
                "recorder",
                [
                    not_routed(
                        "AWS Config compliance changes",
                        "recorder",
                        "aws.config",
                        "Config Rules Compliance Change",
                    )
                ],
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
                [
                    not_routed(
                        "IAM Access Analyzer findings",
                        "analyzer",
                        "aws.access-analyzer",
                        "Access Analyzer Finding",
                    )
                ],
            ),
            Break(
                "securityhub-unrouted",
                stack(drop=["securityhub-findings"]),
                "securityhub",
                [
                    not_routed(
                        "Security Hub findings",
                        "securityhub",
                        "aws.securityhub",
                        "Security Hub Findings - Imported",
                    )
                ],
            ),
        ],
        not_applicable=[topic, fsbp, feature],
    ),
}


def test_a_dev_stack_without_the_baseline_is_not_judged_by_sr_aud_050() -> None:
    assert all_messages(get("SR-AUD-050"), [root], Context(stack="dev")) == []


def test_an_unknown_feature_status_is_reported_as_could_not_evaluate() -> None:
    from policies.model import evaluate
    from policies.props import Index

    findings = evaluate(get("SR-AUD-052"), Index([detector, changed(feature, status=UNKNOWN)]))
    assert [f.unknown for f in findings] == [True]


def test_an_unknown_rule_pattern_is_reported_as_could_not_evaluate() -> None:
    from policies.model import evaluate
    from policies.props import Index

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
    from policies.model import evaluate
    from policies.props import Index

    group = {"allSupported": False, "resourceTypes": UNKNOWN}
    findings = evaluate(
        get("SR-AUD-054"), Index([key, changed(recorder, recordingGroup=group), status, channel])
    )
    assert [f.unknown for f in findings] == [True]
