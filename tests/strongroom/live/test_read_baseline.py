"""The baseline reader: AWS Config, GuardDuty, Security Hub and IAM Access Analyzer read back in the prod
plan's shape; the clean materialised stacks pass the baseline controls (and the Config bucket is known as
Config's, so SR-STO-040 does not take it for a data bucket without backup); switching a piece off after
deployment is found by its control or as missing; what moto does not implement is left unread, never
faked."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from live_support import REGION, ROOT, stack_plan
from storage_keys_shapes import ACCOUNT, planned, shape_problems

from strongroom.components.policydocs import iam
from strongroom.engine.plan import Plan
from strongroom.live.audit import audit, judge, planned_of
from strongroom.live.aws import Aws, LiveError
from strongroom.live.materialise import Materialised
from strongroom.live.readers import AREAS, Scope, Unread, baseline, read_types
from strongroom.live.readers.baseline import (
    ANALYZER,
    DELIVERY_CHANNEL,
    DETECTOR,
    DETECTOR_FEATURE,
    HUB,
    RECORDER,
    RECORDER_STATUS,
    STANDARDS_SUBSCRIPTION,
)
from strongroom.policies import catalog
from strongroom.policies.drift import pair
from strongroom.policies.model import evaluate
from strongroom.policies.props import Context, Index, Resource
from strongroom.report import Report

Env = tuple[Aws, Materialised, Plan]
BASELINE_CONTROLS = ("SR-AUD-051", "SR-AUD-052", "SR-AUD-053", "SR-AUD-054", "SR-AUD-055")
SCOPE = Scope(
    stack="prod",
    account=ACCOUNT,
    partition="aws",
    region=REGION,
    regions=(REGION,),
    iam_path="/strongroom/prod/",
)
FSBP = f"arn:aws:securityhub:{REGION}::standards/aws-foundational-security-best-practices/v/1.0.0"
FSBP_SUBSCRIPTION = (
    f"arn:aws:securityhub:{REGION}:{ACCOUNT}:subscription/aws-foundational-security-best-practices/v/1.0.0"
)


def one(type_: str) -> Resource:
    (resource,) = planned("prod")[type_]
    return resource


# --- AWS answers moto does not implement (shaped as the AWS API reference documents them) ---


class _Ok:
    status_code = 200
    headers: dict[str, str] = {}


def answer(aws: Aws, service: str, operation: str, parsed: dict[str, Any]) -> None:
    """Make ``aws``'s own client for ``service`` answer ``operation`` with ``parsed`` (moto: 404)."""
    client = aws.client(service)
    event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register(event, lambda **_: (_Ok(), {**parsed, "ResponseMetadata": {}}))


def standards(status: str = "READY") -> dict[str, Any]:
    return {
        "StandardsSubscriptions": [
            {
                "StandardsSubscriptionArn": FSBP_SUBSCRIPTION,
                "StandardsArn": FSBP,
                "StandardsInput": {},
                "StandardsStatus": status,
            }
        ]
    }


def analyzers(type_: str = "ACCOUNT", name: str = "strongroom-prod-external-access") -> dict[str, Any]:
    analyzer = one(ANALYZER)
    return {
        "analyzers": [
            {
                "arn": f"arn:aws:access-analyzer:{REGION}:{ACCOUNT}:analyzer/{name}",
                "name": name,
                "type": type_,
                "createdAt": "2026-01-15T09:30:00Z",
                "status": "ACTIVE",
                "tags": dict(analyzer.props["tagsAll"]),
            },
            {  # another team's analyzer of unused access: not this stack's
                "arn": f"arn:aws:access-analyzer:{REGION}:{ACCOUNT}:analyzer/finops-unused",
                "name": "finops-unused",
                "type": "ACCOUNT_UNUSED_ACCESS",
                "createdAt": "2026-01-15T09:30:00Z",
                "status": "ACTIVE",
                "tags": {},
            },
        ]
    }


def create_baseline(aws: Aws) -> str:
    """The prod plan's Config recorder, delivery channel and status, GuardDuty detector with S3 protection
    and Security Hub, created as the materialiser creates them; the detector's ID."""
    recorder, channel = one(RECORDER).props, one(DELIVERY_CHANNEL).props
    group = dict(recorder["recordingGroup"])
    group["recordingStrategy"] = group.pop("recordingStrategies")[0]
    config = aws.client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": recorder["name"],
            "roleARN": recorder["roleArn"],
            "recordingGroup": group,
            "recordingMode": recorder["recordingMode"],
        }
    )
    config.put_delivery_channel(
        DeliveryChannel={
            "name": channel["name"],
            "s3BucketName": channel["s3BucketName"],
            "s3KeyPrefix": channel["s3KeyPrefix"],
            "s3KmsKeyArn": channel["s3KmsKeyArn"],
            "configSnapshotDeliveryProperties": channel["snapshotDeliveryProperties"],
        }
    )
    config.start_configuration_recorder(ConfigurationRecorderName=recorder["name"])
    detector = one(DETECTOR).props
    guardduty = aws.client("guardduty")
    detector_id = str(
        guardduty.create_detector(
            Enable=True,
            FindingPublishingFrequency=detector["findingPublishingFrequency"],
            Tags=dict(detector["tagsAll"]),
        )["DetectorId"]
    )
    guardduty.update_detector(
        DetectorId=detector_id, Features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}]
    )
    aws.client("securityhub").enable_security_hub(
        EnableDefaultStandards=False, ControlFindingGenerator="SECURITY_CONTROL"
    )
    return detector_id


@pytest.fixture
def account(moto_env: Aws) -> tuple[Aws, str]:
    """A moto account with the prod baseline, and an Aws with its own clients (the answers registered on
    them stay in this test)."""
    detector_id = create_baseline(moto_env)
    return Aws(region=REGION), detector_id


def read(aws: Aws) -> tuple[list[Resource], list[Unread]]:
    items = list(baseline.read(aws, SCOPE))
    return [r for r in items if isinstance(r, Resource)], [u for u in items if isinstance(u, Unread)]


def by_type(resources: list[Resource]) -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for r in resources:
        out.setdefault(r.type, []).append(r)
    return out


def findings(resources: list[Resource], control_id: str) -> list[str]:
    index = Index(resources, Context(stack="prod", trusted_accounts=frozenset({ACCOUNT})))
    return [f.message for f in evaluate(catalog.get(control_id), index)]


# --- shape ---


def test_baseline_is_an_area_and_every_type_is_read() -> None:
    assert "baseline" in AREAS
    assert set(baseline.TYPES) <= read_types()
    assert set(baseline.TYPES) == {
        RECORDER,
        RECORDER_STATUS,
        DELIVERY_CHANNEL,
        DETECTOR,
        DETECTOR_FEATURE,
        HUB,
        STANDARDS_SUBSCRIPTION,
        ANALYZER,
    }


def test_props_have_the_plans_shape(account: tuple[Aws, str]) -> None:
    aws, detector_id = account
    answer(aws, "securityhub", "GetEnabledStandards", standards())
    answer(aws, "accessanalyzer", "ListAnalyzers", analyzers())
    resources, unread = read(aws)
    assert unread == []
    found = by_type(resources)
    assert sorted(found) == sorted(baseline.TYPES)
    assert all(len(listed) == 1 for listed in found.values()), found
    # the plan's fakes give every resource an ARN; pulumi-aws has none for these (and moto's recorder none)
    no_arn = {RECORDER, RECORDER_STATUS, DELIVERY_CHANNEL, DETECTOR_FEATURE, STANDARDS_SUBSCRIPTION}
    # Security Hub's enableDefaultStandards is an argument of its creation that AWS does not report;
    # moto 5.2 does not keep a recorder's recordingMode (AWS does: test_recording_mode_as_aws_answers_it)
    not_read = {HUB: ("enableDefaultStandards",), RECORDER: ("recordingMode",)}
    for type_, (live,) in found.items():
        problems = shape_problems(
            live,
            one(type_),
            live_only=("tags",),  # AWS has one set of tags: the plan's tagsAll, and tags with it
            not_read=(*not_read.get(type_, ()), *(("arn",) if type_ in no_arn else ())),
        )
        assert problems == [], (type_, problems)
    (detector,) = found[DETECTOR]
    assert detector.props["id"] == detector_id
    assert detector.props["arn"] == f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/{detector_id}"
    assert detector.props["enable"] is True
    (feature,) = found[DETECTOR_FEATURE]
    assert feature.props == {
        "id": f"{detector_id}/S3_DATA_EVENTS",
        "detectorId": detector_id,
        "name": "S3_DATA_EVENTS",
        "status": "ENABLED",
    }
    (status,) = found[RECORDER_STATUS]
    assert status.props == {"id": "strongroom-prod", "name": "strongroom-prod", "isEnabled": True}
    (recorder,) = found[RECORDER]
    assert recorder.props["recordingGroup"] == one(RECORDER).props["recordingGroup"]
    (channel,) = found[DELIVERY_CHANNEL]
    assert {k: v for k, v in channel.props.items() if k != "arn"} == {
        k: v for k, v in one(DELIVERY_CHANNEL).props.items() if k != "arn"
    }
    (hub,) = found[HUB]
    assert hub.props == {
        "id": ACCOUNT,
        "arn": f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default",
        "autoEnableControls": True,
        "controlFindingGenerator": "SECURITY_CONTROL",
    }
    (subscription,) = found[STANDARDS_SUBSCRIPTION]
    assert subscription.props == {"id": FSBP_SUBSCRIPTION, "standardsArn": FSBP}
    (analyzer,) = found[ANALYZER]  # the other team's unused-access analyzer is not read
    assert analyzer.props["analyzerName"] == analyzer.props["id"] == "strongroom-prod-external-access"
    assert analyzer.props["type"] == "ACCOUNT"


def test_recording_mode_as_aws_answers_it() -> None:
    assert (
        baseline._recording_mode({"recordingFrequency": "CONTINUOUS"}) == one(RECORDER).props["recordingMode"]
    )
    assert baseline._recording_mode(
        {
            "recordingFrequency": "CONTINUOUS",
            "recordingModeOverrides": [
                {"description": "daily", "resourceTypes": ["AWS::EC2::VPC"], "recordingFrequency": "DAILY"}
            ],
        }
    ) == {
        "recordingFrequency": "CONTINUOUS",
        "recordingModeOverride": {
            "recordingFrequency": "DAILY",
            "resourceTypes": ["AWS::EC2::VPC"],
            "description": "daily",
        },
    }


def test_only_the_stacks_recorder_is_read(account: tuple[Aws, str]) -> None:
    aws, _ = account
    config = aws.client("config")
    config.stop_configuration_recorder(ConfigurationRecorderName="strongroom-prod")
    config.delete_delivery_channel(DeliveryChannelName="strongroom-prod")
    config.delete_configuration_recorder(ConfigurationRecorderName="strongroom-prod")
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": one(RECORDER).props["roleArn"]}
    )
    resources, _ = read(aws)
    assert {RECORDER, RECORDER_STATUS, DELIVERY_CHANNEL}.isdisjoint(by_type(resources))


def test_an_excluding_recorder_is_read_as_one(account: tuple[Aws, str]) -> None:
    aws, _ = account
    recorder = one(RECORDER).props
    aws.client("config").put_configuration_recorder(
        ConfigurationRecorder={
            "name": recorder["name"],
            "roleARN": recorder["roleArn"],
            "recordingGroup": {
                "allSupported": False,
                "includeGlobalResourceTypes": False,
                "exclusionByResourceTypes": {"resourceTypes": ["AWS::S3::Bucket"]},
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
            },
        }
    )
    resources, _ = read(aws)
    (live,) = by_type(resources)[RECORDER]
    assert live.props["recordingGroup"]["exclusionByResourceTypes"] == [
        {"resourceTypes": ["AWS::S3::Bucket"]}
    ]
    assert (
        findings(resources, "SR-AUD-054")[0]
        == "Config recorder 'strongroom-prod' excludes resource types from recording"
    )


def test_the_read_baseline_passes_its_controls(account: tuple[Aws, str]) -> None:
    aws, _ = account
    answer(aws, "securityhub", "GetEnabledStandards", standards())
    answer(aws, "accessanalyzer", "ListAnalyzers", analyzers())
    resources, _ = read(aws)
    # the channel delivers to a bucket of the stack under a key of the stack: the plan's, beside them
    stack = [*planned("prod")["aws:s3/bucket:Bucket"], *planned("prod")["aws:kms/key:Key"]]
    for control in ("SR-AUD-051", "SR-AUD-052", "SR-AUD-053", "SR-AUD-054"):
        assert findings([*resources, *stack], control) == [], control


def test_every_call_is_an_auditor_read(account: tuple[Aws, str]) -> None:
    aws, _ = account
    answer(aws, "securityhub", "GetEnabledStandards", standards())
    answer(aws, "accessanalyzer", "ListAnalyzers", analyzers())
    read(aws)
    actions = {c.action for c in aws.calls}
    assert actions == {
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
        "guardduty:ListDetectors",
        "guardduty:GetDetector",
        "securityhub:DescribeHub",
        "securityhub:GetEnabledStandards",
        "access-analyzer:ListAnalyzers",
    }
    granted = {
        *iam.AUDITOR_STAR_ACTIONS,
        *iam.AUDITOR_RECORDER_READS,
        *iam.AUDITOR_DETECTOR_READS,
        *iam.AUDITOR_HUB_READS,
    }
    assert actions <= granted


def test_the_auditor_reads_exactly_the_stacks_detector_and_recorder() -> None:
    plan = stack_plan("prod")
    (detector,) = [r for r in plan.resources if r.type == DETECTOR]
    (policy,) = [
        json.loads(r.inputs["policy"])
        for r in plan.resources
        if r.type == "aws:iam/rolePolicy:RolePolicy" and "roles-auditor" in r.name
    ]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReadDetectors"]["Resource"] == [detector.outputs["arn"]]
    assert statements["ReadConfigRecorders"]["Resource"] == [
        f"arn:aws:config:{REGION}:{ACCOUNT}:configuration-recorder/strongroom-prod/*"
    ]
    assert statements["ReadSecurityHub"]["Resource"] == [
        f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default"
    ]
    scope = iam.Scope(
        partition="aws",
        account=ACCOUNT,
        region=REGION,
        data_bucket_arns=("arn:aws:s3:::sr-dev-data",),
        model_bucket_arn="arn:aws:s3:::sr-dev-models",
        data_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/d",
        model_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/m",
        logs_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/l",
        name_prefix="sr-dev-",
    )
    without = {s["Sid"] for s in iam.auditor_policy(scope)["Statement"]}
    assert "ReadDetectors" not in without and "ReadConfigRecorders" not in without  # no baseline: no grant


# --- what the endpoint does not implement is left unread ---


def test_apis_moto_lacks_leave_their_types_unread(account: tuple[Aws, str]) -> None:
    resources, unread = read(account[0])
    assert [u.types for u in unread] == [(HUB, STANDARDS_SUBSCRIPTION), (ANALYZER,)]
    assert "securityhub:GetEnabledStandards is not implemented" in unread[0].reason
    assert "access-analyzer:ListAnalyzers is not implemented" in unread[1].reason
    # a hub is not yielded without its standards: SR-AUD-053 would take it for a hub without FSBP
    assert {r.type for r in resources} == {
        RECORDER,
        RECORDER_STATUS,
        DELIVERY_CHANNEL,
        DETECTOR,
        DETECTOR_FEATURE,
    }


# --- tampers on the read resources ---


def test_unused_access_analyzer_of_the_stack(account: tuple[Aws, str]) -> None:
    aws, _ = account
    answer(aws, "accessanalyzer", "ListAnalyzers", analyzers("ACCOUNT_UNUSED_ACCESS"))
    resources, _ = read(aws)
    assert findings(resources, "SR-AUD-051") == [
        "analyzer 'strongroom-prod-external-access' has type 'ACCOUNT_UNUSED_ACCESS', which finds no "
        "external access; accepted: ACCOUNT, ORGANIZATION"
    ]


@pytest.mark.parametrize("status", ["DELETING", "FAILED"])
def test_fsbp_being_turned_off_is_not_a_subscription(account: tuple[Aws, str], status: str) -> None:
    aws, _ = account
    answer(aws, "securityhub", "GetEnabledStandards", standards(status))
    resources, _ = read(aws)
    assert STANDARDS_SUBSCRIPTION not in by_type(resources)
    (message,) = findings(resources, "SR-AUD-053")
    assert "is not subscribed to the AWS Foundational Security Best Practices" in message


def test_security_hub_disabled_is_not_read(account: tuple[Aws, str]) -> None:
    aws, _ = account
    aws.client("securityhub").disable_security_hub()
    resources, unread = read(aws)
    assert HUB not in by_type(resources)
    assert [u.types for u in unread] == [(ANALYZER,)]  # no standards asked of a hub that is off


def test_s3_protection_disabled(account: tuple[Aws, str]) -> None:
    aws, detector_id = account
    aws.client("guardduty").update_detector(
        DetectorId=detector_id, Features=[{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}]
    )
    resources, _ = read(aws)
    assert findings(resources, "SR-AUD-052") == [
        f"GuardDuty detector '{detector_id}': feature 'S3_DATA_EVENTS' sets S3_DATA_EVENTS to 'DISABLED', "
        "not 'ENABLED'"
    ]


# --- drift pairs the singletons ---


def test_drift_pairs_the_detector_and_hub_as_singletons_and_the_feature_through_them(
    account: tuple[Aws, str],
) -> None:
    aws, detector_id = account
    answer(aws, "securityhub", "GetEnabledStandards", standards())
    answer(aws, "accessanalyzer", "ListAnalyzers", analyzers())
    resources, _ = read(aws)
    plan = [one(t) for t in baseline.TYPES]
    assert one(DETECTOR).props["id"] != detector_id and one(HUB).props["id"] != ACCOUNT
    drift = pair(plan, Index(resources), baseline.TYPES)
    assert drift.missing == [] and drift.undeclared == []
    paired = {p.type: live for p, live in drift.pairs}
    assert paired[DETECTOR].props["id"] == detector_id
    assert paired[DETECTOR_FEATURE].props["detectorId"] == detector_id
    assert paired[HUB].props["id"] == ACCOUNT


# --- the materialised stacks, audited whole ---


def run_audit(env: Env) -> Report:
    aws, _, plan = env
    return audit(aws, planned_of(plan, ROOT))


def explain(report: Report) -> str:
    return "\n".join(f"{v.control} {v.resource_name}: {v.message}" for v in report.violations)


def config_bucket(env: Env) -> str:
    (channel,) = [r for r in env[2].resources if r.type == DELIVERY_CHANNEL]
    return str(env[1].real(channel.inputs)["s3BucketName"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_clean_materialised_stack_passes_the_baseline_controls(
    materialised: Callable[[str], Env], stack: str
) -> None:
    env = materialised(stack)
    report = run_audit(env)
    ours = [
        v
        for v in report.violations
        if v.control in (*BASELINE_CONTROLS, "SR-STO-040", "SR-IAM-002")  # SR-IAM-002: the auditor's grants
        or (v.control.startswith("SR-GOV-01") and v.resource_type in baseline.TYPES)
    ]
    assert ours == [], explain(report)
    assert report.unevaluated == []
    assert set(BASELINE_CONTROLS) <= set(report.passed_controls)
    assert "SR-STO-040" in report.passed_controls
    notes = " ".join(report.notes)
    assert "not read: securityhub:GetEnabledStandards is not implemented" in notes
    assert "not read: access-analyzer:ListAnalyzers is not implemented" in notes


def test_without_the_delivery_channel_the_config_bucket_is_taken_for_a_data_bucket(
    materialised: Callable[[str], Env],
) -> None:
    """SR-STO-040 passes on the Config bucket because the channel is read (what failed before the reader)."""
    env = materialised("prod")
    aws, _, plan = env
    planned = planned_of(plan, ROOT)
    live = [r for _, _, items in _read_all(aws, planned) for r in items if isinstance(r, Resource)]
    bucket = config_bucket(env)
    control = [catalog.get("SR-STO-040")]
    assert judge(live, planned, aws.caller()["Account"], control).violations == []
    without = [r for r in live if r.type != DELIVERY_CHANNEL]
    names = [v.resource_name for v in judge(without, planned, aws.caller()["Account"], control).violations]
    assert bucket in names


def _read_all(aws: Aws, planned: Any) -> Any:
    from strongroom.components.environment import iam_path
    from strongroom.live.readers import read_all

    scope = Scope(
        stack=planned.stack,
        account=aws.caller()["Account"],
        partition=aws.partition,
        region=aws.region,
        regions=tuple(dict.fromkeys((aws.region, *planned.regions))),
        iam_path=iam_path(planned.stack),
    )
    return [(area, types, list(items)) for area, types, items in read_all(aws, scope)]


def _recorder_stopped(env: Env) -> tuple[str, str]:
    env[0].client("config").stop_configuration_recorder(ConfigurationRecorderName="strongroom-prod")
    return "SR-AUD-054", "strongroom-prod"


def _delivery_channel_deleted(env: Env) -> tuple[str, str]:
    config = env[0].client("config")
    config.stop_configuration_recorder(ConfigurationRecorderName="strongroom-prod")
    config.delete_delivery_channel(DeliveryChannelName="strongroom-prod")
    return "SR-AUD-054", "strongroom-prod"


def _delivery_repointed(env: Env) -> tuple[str, str]:
    """Config now delivers to another encrypted bucket of the stack (one its readers cannot see)."""
    config = env[0].client("config")
    (channel,) = config.describe_delivery_channels()["DeliveryChannels"]
    (models,) = [r for r in env[2].resources if r.name == "sr-prod-models-bucket"]
    bucket = env[1].real(models.outputs)["bucket"]
    config.put_delivery_channel(DeliveryChannel={**channel, "s3BucketName": bucket})
    return "SR-GOV-012", "strongroom-prod"


def _detector_id(env: Env) -> str:
    (detector,) = env[1].of_type(DETECTOR).values()
    return str(detector.id)


def _detector_disabled(env: Env) -> tuple[str, str]:
    env[0].client("guardduty").update_detector(DetectorId=_detector_id(env), Enable=False)
    return "SR-AUD-052", _detector_id(env)


def _detector_deleted(env: Env) -> tuple[str, str]:
    detector_id = _detector_id(env)
    env[0].client("guardduty").delete_detector(DetectorId=detector_id)
    return "SR-GOV-010", "sr-prod-baseline-detector"


def _securityhub_disabled(env: Env) -> tuple[str, str]:
    env[0].client("securityhub").disable_security_hub()
    return "SR-GOV-010", "sr-prod-baseline-securityhub"


TAMPERS = [
    _recorder_stopped,
    _delivery_channel_deleted,
    _delivery_repointed,
    _detector_disabled,
    _detector_deleted,
    _securityhub_disabled,
]


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.__name__.strip("_") for t in TAMPERS])
def test_a_baseline_switched_off_after_deployment_is_found(
    materialised: Callable[[str], Env], tamper: Callable[[Env], tuple[str, str]]
) -> None:
    env = materialised("prod")
    control, target = tamper(env)
    report = run_audit(env)
    hits = [v for v in report.violations if v.control == control]
    assert any(target in f"{v.resource_name} {v.resource_urn}" for v in hits), (target, explain(report))
    assert report.exit_code == 1


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The endpoint of a moto server on 127.0.0.1 (as `strongroom sandbox` serves), with fake credentials."""
    from moto.server import ThreadedMotoServer

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_an_operation_the_sandbox_lacks_is_asked_once_not_retried(moto_server: str) -> None:
    """The moto server's bare 500 for Access Analyzer means "not implemented": with the audit's default
    retries (8 attempts with backoff) it is still sent once, and read as unread."""
    aws = Aws(region=REGION, endpoint_url=moto_server)
    assert aws.max_attempts > 1
    sent: list[str] = []
    aws._session.events.register("before-send.accessanalyzer", lambda request, **_: sent.append(request.url))
    assert list(baseline._analyzers(aws, SCOPE)) == [
        Unread(
            (ANALYZER,),
            f"access-analyzer:ListAnalyzers is not implemented by the endpoint in {REGION}, so IAM "
            "Access Analyzer was not read",
        )
    ]
    assert len(sent) == 1, sent
    # an operation the server has is still asked with retries: the probe's client is its own
    assert aws.client("accessanalyzer").meta.config.retries["total_max_attempts"] == aws.max_attempts


def test_the_sandbox_server_leaves_what_it_lacks_unread(moto_server: str) -> None:
    """Behind --endpoint-url the moto server answers a service it has no backend for (Access Analyzer)
    with a bare 500: unread there too, the rest read."""
    aws = Aws(region=REGION, endpoint_url=moto_server, max_attempts=1)
    detector_id = create_baseline(aws)
    resources, unread = read(aws)
    # from AWS's own endpoint a bare 500 is no answer, never "not implemented": the area fails
    as_aws = Aws(
        region=REGION, max_attempts=1, _clients={("accessanalyzer", REGION): aws.client("accessanalyzer")}
    )
    with pytest.raises(LiveError, match="500"):
        list(baseline._analyzers(as_aws, SCOPE))
    assert [u.types for u in unread] == [(HUB, STANDARDS_SUBSCRIPTION), (ANALYZER,)]
    assert by_type(resources)[DETECTOR][0].props["id"] == detector_id
