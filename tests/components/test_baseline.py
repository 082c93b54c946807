"""AccountBaseline: its pure documents, the component under the recording mocks, its wiring into
SecureMlEnvironment, and the strongroom:baseline settings."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from test_environment import build, settings_for

from strongroom.components.baseline import AccountBaseline, AccountBaselineArgs
from strongroom.components.policydocs import baseline as doc
from strongroom.components.settings import ConfigError
from strongroom.engine import Plan, PlanResource, Recorder

ACCOUNT = "123456789012"
KEY = "arn:aws:kms:eu-west-2:123456789012:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b03"
TOPIC = "arn:aws:sns:eu-west-2:123456789012:sr-dev-alerts-topic"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
BASELINE_TYPES = (
    "aws:accessanalyzer/analyzer:Analyzer",
    "aws:guardduty/detector:Detector",
    "aws:guardduty/detectorFeature:DetectorFeature",
    "aws:securityhub/account:Account",
    "aws:securityhub/standardsSubscription:StandardsSubscription",
    "aws:cfg/recorder:Recorder",
    "aws:cfg/deliveryChannel:DeliveryChannel",
    "aws:cfg/recorderStatus:RecorderStatus",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole",
)


# -- pure documents ---------------------------------------------------------------------------------------


def _match(pattern: Any, value: Any) -> bool:
    """EventBridge matching as the patterns use it: exact values in lists, nesting, $or, arrays in the
    event matching when any element matches."""
    if isinstance(value, list) and not isinstance(pattern, list):
        return any(_match(pattern, v) for v in value)
    if isinstance(pattern, list):
        values = value if isinstance(value, list) else [value]
        return any(v in pattern for v in values)
    assert isinstance(pattern, dict), pattern
    if not isinstance(value, dict):
        return False
    for key, sub in pattern.items():
        if key == "$or":
            if not any(_match(alt, value) for alt in sub):
                return False
        elif key not in value or not _match(sub, value[key]):
            return False
    return True


def finding(severity: str, compliance: str | None = None, workflow: str = "NEW") -> dict[str, Any]:
    item: dict[str, Any] = {
        "RecordState": "ACTIVE",
        "Workflow": {"Status": workflow},
        "Severity": {"Label": severity},
    }
    if compliance is not None:
        item["Compliance"] = {"Status": compliance}
    return {
        "source": "aws.securityhub",
        "detail-type": "Security Hub Findings - Imported",
        "detail": {"findings": [item]},
    }


GUARDDUTY = {"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "detail": {"severity": 5}}
ANALYZER_ACTIVE = {
    "source": "aws.access-analyzer",
    "detail-type": "Access Analyzer Finding",
    "detail": {"status": "ACTIVE"},
}
CONFIG_CHANGE = {
    "source": "aws.config",
    "detail-type": "Config Rules Compliance Change",
    "detail": {
        "messageType": "ComplianceChangeNotification",
        "newEvaluationResult": {"complianceType": "NON_COMPLIANT"},
    },
}


@pytest.mark.parametrize(
    ("event", "source"),
    [
        (GUARDDUTY, "guardduty"),
        (finding("LOW", "FAILED"), "securityhub"),
        (finding("HIGH", "PASSED"), "securityhub"),
        (finding("CRITICAL"), "securityhub"),
        (ANALYZER_ACTIVE, "access-analyzer"),
        (CONFIG_CHANGE, "config"),
    ],
)
def test_each_finding_reaches_exactly_its_rule(event: dict[str, Any], source: str) -> None:
    patterns = doc.finding_patterns()
    assert {s for s, p in patterns.items() if _match(p, event)} == {source}


@pytest.mark.parametrize(
    "event",
    [
        finding("LOW", "PASSED"),
        finding("MEDIUM"),
        finding("HIGH", "FAILED", workflow="SUPPRESSED"),
        {**ANALYZER_ACTIVE, "detail": {"status": "ARCHIVED"}},
        {
            **CONFIG_CHANGE,
            "detail": {**CONFIG_CHANGE["detail"], "newEvaluationResult": {"complianceType": "COMPLIANT"}},
        },
        {"source": "aws.guardduty", "detail-type": "GuardDuty Malware Protection Object Scan Result"},
    ],
)
def test_noise_reaches_no_rule(event: dict[str, Any]) -> None:
    assert not [s for s, p in doc.finding_patterns().items() if _match(p, event)]


def test_every_recorded_type_is_an_aws_config_resource_type() -> None:
    model = botocore.session.get_session().get_service_model("config")
    supported = set(model.shape_for("ResourceType").enum)
    assert set(doc.ENVIRONMENT_CONFIG_TYPES) <= supported, set(doc.ENVIRONMENT_CONFIG_TYPES) - supported
    for needed in (
        "AWS::EC2::VPC",
        "AWS::S3::Bucket",
        "AWS::KMS::Key",
        "AWS::IAM::Role",
        "AWS::SageMaker::Domain",
    ):
        assert needed in doc.ENVIRONMENT_CONFIG_TYPES


def test_fsbp_arn_names_the_region_and_partition() -> None:
    assert doc.fsbp_standards_arn("aws", "eu-west-2") == (
        "arn:aws:securityhub:eu-west-2::standards/aws-foundational-security-best-practices/v/1.0.0"
    )
    with pytest.raises(ValueError, match="region: 'europe'"):
        doc.fsbp_standards_arn("aws", "europe")


def test_config_may_write_only_its_prefix_for_this_account() -> None:
    statements = doc.config_bucket_statements("arn:aws:s3:::sr-dev-config", ACCOUNT, "aws", "config")
    assert {s["Principal"]["Service"] for s in statements} == {"config.amazonaws.com"}
    assert all(s["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT for s in statements)
    put = next(s for s in statements if s["Action"] == "s3:PutObject")
    assert put["Resource"] == f"arn:aws:s3:::sr-dev-config/config/AWSLogs/{ACCOUNT}/Config/*"
    assert put["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    with pytest.raises(ValueError, match="account"):
        doc.config_bucket_statements("arn:aws:s3:::sr-dev-config", "123", "aws")


# -- the component under the mocks ------------------------------------------------------------------------


def make_args(**overrides: Any) -> AccountBaselineArgs:
    values: dict[str, Any] = {
        "environment": "dev",
        "alert_topic_arn": TOPIC,
        "kms_key_arn": KEY,
        "access_log_bucket_name": "sr-dev-access-logs-1234",
    }
    values.update(overrides)
    return AccountBaselineArgs(**values)


@pytest.fixture
def built(pulumi_mocks: Recorder) -> Recorder:
    pulumi_mocks.run(lambda: AccountBaseline("dev-baseline", make_args()))
    return pulumi_mocks


def one(mocks: Recorder, type_: str) -> PlanResource:
    (found,) = mocks.of_type(type_)
    return found


def test_access_analyzer_finds_external_access_of_the_account(built: Recorder) -> None:
    analyzer = one(built, "aws:accessanalyzer/analyzer:Analyzer")
    assert analyzer.inputs["type"] == "ACCOUNT", analyzer.urn
    assert analyzer.inputs["analyzerName"] == "strongroom-dev-external-access"


def test_organization_analyzer_on_request(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: AccountBaseline("dev-baseline", make_args(analyzer_type="ORGANIZATION")))
    assert one(pulumi_mocks, "aws:accessanalyzer/analyzer:Analyzer").inputs["type"] == "ORGANIZATION"


def test_guardduty_is_on_with_s3_protection_as_a_detector_feature(built: Recorder) -> None:
    detector = one(built, "aws:guardduty/detector:Detector")
    assert detector.inputs["enable"] is True, detector.urn
    assert "datasources" not in detector.inputs, "the deprecated datasources block is not used"
    feature = one(built, "aws:guardduty/detectorFeature:DetectorFeature")
    assert (feature.inputs["name"], feature.inputs["status"]) == ("S3_DATA_EVENTS", "ENABLED"), feature.urn
    assert detector.urn in feature.property_dependencies["detectorId"]


def test_security_hub_subscribes_fsbp_explicitly(built: Recorder) -> None:
    hub = one(built, "aws:securityhub/account:Account")
    assert hub.inputs["enableDefaultStandards"] is False, hub.urn
    assert hub.inputs["autoEnableControls"] is True, hub.urn
    fsbp = one(built, "aws:securityhub/standardsSubscription:StandardsSubscription")
    assert fsbp.inputs["standardsArn"] == doc.fsbp_standards_arn("aws", "eu-west-2"), fsbp.urn
    assert hub.urn in fsbp.dependencies


def test_config_records_the_environment_types_with_the_service_linked_role(built: Recorder) -> None:
    role = one(built, "aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role.inputs["awsServiceName"] == "config.amazonaws.com"
    recorder = one(built, "aws:cfg/recorder:Recorder")
    assert role.urn in recorder.property_dependencies["roleArn"], recorder.urn
    group = recorder.inputs["recordingGroup"]
    assert group["allSupported"] is False
    assert group["resourceTypes"] == sorted(doc.ENVIRONMENT_CONFIG_TYPES)
    assert group["recordingStrategies"] == [{"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}]
    status = one(built, "aws:cfg/recorderStatus:RecorderStatus")
    assert status.inputs["isEnabled"] is True and status.inputs["name"] == recorder.inputs["name"]


def test_config_delivers_to_its_encrypted_bucket_under_a_confused_deputy_safe_policy(built: Recorder) -> None:
    channel = one(built, "aws:cfg/deliveryChannel:DeliveryChannel")
    bucket = built.named("dev-baseline-config-bucket-bucket")
    assert channel.inputs["s3BucketName"] == bucket.outputs["bucket"], channel.urn
    assert channel.inputs["s3KmsKeyArn"] == KEY
    encryption = built.named("dev-baseline-config-bucket-encryption")
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    assert not built.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    policy = json.loads(built.named("dev-baseline-config-bucket-policy").inputs["policy"])
    config = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "config.amazonaws.com"}]
    assert {s["Sid"] for s in config} == {
        "AWSConfigBucketPermissionsCheck",
        "AWSConfigBucketExistenceCheck",
        "AWSConfigBucketDelivery",
    }
    assert all(s["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT for s in config)


def test_each_finding_source_has_a_rule_to_the_alert_topic(built: Recorder) -> None:
    rules = {r.name.removeprefix("dev-baseline-").removesuffix("-findings"): r for r in built.of_type(RULE)}
    assert set(rules) == set(doc.FINDING_SOURCES)
    for source, rule in rules.items():
        assert json.loads(rule.inputs["eventPattern"]) == doc.finding_patterns()[source], rule.urn
        assert rule.inputs["state"] == "ENABLED"
    targets = built.of_type(TARGET)
    assert len(targets) == len(rules) and all(t.inputs["arn"] == TOPIC for t in targets)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"analyzer_type": "ACCOUNT_UNUSED_ACCESS"}, "analyzer_type: 'ACCOUNT_UNUSED_ACCESS'"),
        ({"recorded_resource_types": []}, "recorded_resource_types: give at least one"),
        ({"recorded_resource_types": ["S3::Bucket"]}, "recorded_resource_types: 'S3::Bucket'"),
        ({"recorded_resource_types": ["AWS::S3::Bucket"] * 2}, "duplicates"),
        ({"environment": "Prod"}, "environment: 'Prod'"),
        ({"alert_topic_arn": "alerts"}, "alert_topic_arn: 'alerts'"),
    ],
)
def test_bad_args_are_refused_with_the_field(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make_args(**overrides)


# -- the environment and its settings ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return build(settings_for("prod"))


def test_prod_environment_carries_the_baseline(prod_plan: Plan) -> None:
    for type_ in BASELINE_TYPES:
        assert prod_plan.of_type(type_), f"prod plan has no {type_}"
    (component,) = prod_plan.of_type("strongroom:index:AccountBaseline")
    assert component.name == "sr-prod-baseline"


def test_alert_topic_admits_the_baseline_rules(prod_plan: Plan) -> None:
    policy = json.loads(prod_plan.named("sr-prod-alerts-topic-policy").inputs["policy"])
    stmt = next(s for s in policy["Statement"] if s["Sid"] == "EventBridgePublishes")
    baseline_rules = [
        r.outputs["arn"] for r in prod_plan.of_type(RULE) if r.name.startswith("sr-prod-baseline-")
    ]
    assert len(baseline_rules) == len(doc.FINDING_SOURCES)
    assert set(baseline_rules) <= set(stmt["Condition"]["ArnLike"]["aws:SourceArn"])
    topic = prod_plan.named("sr-prod-alerts-topic")
    targets = [t for t in prod_plan.of_type(TARGET) if t.name.startswith("sr-prod-baseline-")]
    assert targets and all(t.inputs["arn"] == topic.outputs["arn"] for t in targets)


def test_logs_key_lets_config_deliver_for_this_account_and_the_trail_records_the_config_bucket(
    prod_plan: Plan,
) -> None:
    key = prod_plan.named("sr-prod-keys-logs")
    stmt = next(
        s for s in json.loads(key.inputs["policy"])["Statement"] if s["Sid"] == "AllowAwsConfigDelivery"
    )
    assert stmt["Principal"] == {"Service": "config.amazonaws.com"}
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    bucket_arn = prod_plan.named("sr-prod-baseline-config-bucket-bucket").outputs["arn"]
    trail = prod_plan.named("sr-prod-audit-trail")
    selectors = json.dumps(trail.inputs["advancedEventSelectors"])
    assert f"{bucket_arn}/" in selectors


def test_without_the_baseline_nothing_of_it_is_created_and_the_logs_key_has_no_config_grant() -> None:
    plan = build(settings_for("dev", **{"strongroom:baseline": {"enabled": False}}))
    for type_ in BASELINE_TYPES:
        assert not plan.of_type(type_), type_
    key = plan.named("sr-dev-keys-logs")
    assert "config.amazonaws.com" not in key.inputs["policy"]


@pytest.mark.parametrize(
    ("stack", "overrides", "key"),
    [
        ("prod", {"strongroom:baseline": {"enabled": False}}, "strongroom:baseline.enabled"),
        (
            "dev",
            {"strongroom:baseline": {"organizationAnalyzer": True}, "strongroom:perimeter": {}},
            ("strongroom:baseline.organizationAnalyzer"),
        ),
        ("dev", {"strongroom:alerts": {"enabled": False}}, "strongroom:baseline.enabled"),
        ("dev", {"strongroom:baseline": {"enabeld": False}}, "strongroom:baseline.enabeld"),
    ],
)
def test_settings_refuse_a_baseline_that_cannot_work_or_is_off_in_prod(
    stack: str, overrides: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_for(stack, **overrides)
    message = str(caught.value)
    assert f"stacks/Pulumi.{stack}.yaml: {key} = " in message, message
    assert "accepted:" in message


def test_organization_analyzer_with_the_organization_is_accepted() -> None:
    settings = settings_for("dev", **{"strongroom:baseline": {"organizationAnalyzer": True}})
    assert settings.baseline.organization_analyzer and settings.perimeter.organization_id


def test_the_recorder_lists_every_config_type_sr_aud_054_asks_of_a_stack() -> None:
    from strongroom.policies.controls.baseline import CONFIG_TYPES

    assert set(CONFIG_TYPES.values()) <= set(doc.ENVIRONMENT_CONFIG_TYPES)
