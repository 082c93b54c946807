"""Live reader for the account baseline: AWS Config, GuardDuty, Security Hub and IAM Access Analyzer in the
audit's region (``scope.region``: the stack's AccountBaseline is deployed there only).

These are singletons of the account and region, not tagged per environment, so the reader yields what the
account has, with the physical IDs the provider sets, and drift pairs them with the plan by name (recorder,
its status, delivery channel, analyzer) or as the one resource of their type (detector, Security Hub; see
``policies.drift.IDENTITY``):

* ``aws:cfg/recorder:Recorder`` (DescribeConfigurationRecorders of the stack's recorder, AccountBaseline's
  ``strongroom-<stack>``: the auditor is granted exactly that one), ``aws:cfg/recorderStatus:RecorderStatus``
  (DescribeConfigurationRecorderStatus: ``isEnabled`` is whether it is recording) and every
  ``aws:cfg/deliveryChannel:DeliveryChannel`` of the region (DescribeDeliveryChannels); ID = name;
* ``aws:guardduty/detector:Detector`` (ListDetectors, GetDetector: ``enable`` from its status) and its
  ``S3_DATA_EVENTS`` feature as ``aws:guardduty/detectorFeature:DetectorFeature`` (ID
  ``<detector>/<feature>``). GuardDuty reports every feature of a detector whether or not anyone set it,
  so only the features the stack declares (:data:`DECLARED_FEATURES`) are resources;
* ``aws:securityhub/account:Account`` (DescribeHub; ID = the account) and its enabled standards as
  ``aws:securityhub/standardsSubscription:StandardsSubscription`` (GetEnabledStandards; ID = the
  subscription ARN); a hub that is not enabled is not yielded (DescribeHub answers InvalidAccessException);
* ``aws:accessanalyzer/analyzer:Analyzer`` (ListAnalyzers): the analyzers tagged for the environment or
  named ``strongroom-<stack>-external-access`` (AccountBaseline's name), so another team's analyzer is
  not this stack's.

An endpoint that does not implement an API (moto 5.2 has no Access Analyzer and no GetEnabledStandards:
it answers ``404 Not yet implemented``) leaves the types that API reads unread: the reader yields an
:class:`~strongroom.live.readers.Unread` for them and nothing fake, and the audit neither judges nor
compares those types (a Security Hub whose standards cannot be read is not yielded either: SR-AUD-053
would take it for a hub without FSBP).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from strongroom.live.aws import Aws
from strongroom.live.readers import Scope, Unread, live_resource
from strongroom.policies.props import Resource

RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
DETECTOR = "aws:guardduty/detector:Detector"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
HUB = "aws:securityhub/account:Account"
STANDARDS_SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"

TYPES: tuple[str, ...] = (
    RECORDER,
    RECORDER_STATUS,
    DELIVERY_CHANNEL,
    DETECTOR,
    DETECTOR_FEATURE,
    HUB,
    STANDARDS_SUBSCRIPTION,
    ANALYZER,
)

#: The GuardDuty detector features the stack declares (AccountBaseline: S3 protection).
DECLARED_FEATURES = ("S3_DATA_EVENTS",)

#: The error code of an API the endpoint does not implement: moto answers "404 Not yet implemented"; the
#: moto server behind --endpoint-url (``strongroom sandbox``) a bare 500 for a service it has no backend
#: for. AWS answers neither: its errors carry a code (``InternalServerException``), so a bare status code
#: is never taken for AWS's answer, and a bare 500 only from an endpoint other than AWS's.
NOT_IMPLEMENTED = ("404",)
NOT_IMPLEMENTED_BY_ENDPOINT = ("404", "500")


def _not_implemented(aws: Aws) -> tuple[str, ...]:
    return NOT_IMPLEMENTED_BY_ENDPOINT if aws.endpoint_url else NOT_IMPLEMENTED


#: The stack's Config recorder does not exist.
NO_RECORDER = ("NoSuchConfigurationRecorderException",)
#: Security Hub is not enabled in the account and region.
HUB_OFF = ("InvalidAccessException",)
#: Standards subscription states in which the standard runs (or is being turned on).
_SUBSCRIBED = ("READY", "PENDING", "INCOMPLETE")


def recorder_name(scope: Scope) -> str:
    """AccountBaseline's name of the stack's Config recorder (and delivery channel)."""
    return f"strongroom-{scope.stack}"


def read(aws: Aws, scope: Scope) -> Iterator[Resource | Unread]:
    yield from _config(aws, scope)
    yield from _guardduty(aws, scope)
    yield from _securityhub(aws, scope)
    yield from _analyzers(aws, scope)


# -- AWS Config -------------------------------------------------------------------------------------------


def _recording_group(group: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for api, prop in (
        ("allSupported", "allSupported"),
        ("includeGlobalResourceTypes", "includeGlobalResourceTypes"),
    ):
        if api in group:
            out[prop] = bool(group[api])
    if "resourceTypes" in group:
        out["resourceTypes"] = sorted(str(t) for t in group["resourceTypes"])
    excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes")
    if excluded:
        out["exclusionByResourceTypes"] = [{"resourceTypes": sorted(str(t) for t in excluded)}]
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    if strategy:
        out["recordingStrategies"] = [{"useOnly": str(strategy)}]
    return out


def _recording_mode(mode: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if mode.get("recordingFrequency"):
        out["recordingFrequency"] = str(mode["recordingFrequency"])
    overrides = mode.get("recordingModeOverrides") or []
    if overrides:
        first = overrides[0]
        override: dict[str, Any] = {
            "recordingFrequency": str(first.get("recordingFrequency", "")),
            "resourceTypes": sorted(str(t) for t in first.get("resourceTypes", [])),
        }
        if first.get("description"):
            override["description"] = str(first["description"])
        out["recordingModeOverride"] = override
    return out


def _config(aws: Aws, scope: Scope) -> Iterator[Resource]:
    region = scope.region
    names = [recorder_name(scope)]  # the auditor may describe the stack's recorder only
    recorders = (
        aws.call(
            "config",
            "describe_configuration_recorders",
            missing=NO_RECORDER,
            region=region,
            ConfigurationRecorderNames=names,
        )
        or {}
    ).get("ConfigurationRecorders", [])
    for recorder in recorders:
        name = str(recorder["name"])
        props: dict[str, Any] = {"id": name, "name": name, "roleArn": str(recorder.get("roleARN", ""))}
        if recorder.get("arn"):
            props["arn"] = str(recorder["arn"])
        if recorder.get("recordingGroup") is not None:
            props["recordingGroup"] = _recording_group(recorder["recordingGroup"])
        if recorder.get("recordingMode") is not None:
            props["recordingMode"] = _recording_mode(recorder["recordingMode"])
        urn = props.get("arn") or f"{RECORDER}::{name}"
        yield live_resource(RECORDER, str(urn), name, props)
    statuses = (
        aws.call(
            "config",
            "describe_configuration_recorder_status",
            missing=NO_RECORDER,
            region=region,
            ConfigurationRecorderNames=names,
        )
        or {}
    ).get("ConfigurationRecordersStatus", [])
    for status in statuses:
        name = str(status["name"])
        props = {"id": name, "name": name, "isEnabled": bool(status.get("recording", False))}
        yield live_resource(RECORDER_STATUS, f"{RECORDER_STATUS}::{name}", name, props)
    channels = (aws.call("config", "describe_delivery_channels", region=region) or {}).get(
        "DeliveryChannels", []
    )
    for channel in channels:
        name = str(channel["name"])
        props = {"id": name, "name": name}
        for api, prop in (
            ("s3BucketName", "s3BucketName"),
            ("s3KeyPrefix", "s3KeyPrefix"),
            ("s3KmsKeyArn", "s3KmsKeyArn"),
            ("snsTopicARN", "snsTopicArn"),
        ):
            if channel.get(api):
                props[prop] = str(channel[api])
        frequency = (channel.get("configSnapshotDeliveryProperties") or {}).get("deliveryFrequency")
        if frequency:
            props["snapshotDeliveryProperties"] = {"deliveryFrequency": str(frequency)}
        yield live_resource(DELIVERY_CHANNEL, f"{DELIVERY_CHANNEL}::{name}", name, props)


# -- GuardDuty --------------------------------------------------------------------------------------------


def _guardduty(aws: Aws, scope: Scope) -> Iterator[Resource]:
    region = scope.region
    ids = [str(i) for i in aws.pages("guardduty", "list_detectors", "DetectorIds", region=region)]

    def get(detector_id: str) -> tuple[str, dict[str, Any]]:
        return detector_id, aws.call("guardduty", "get_detector", region=region, DetectorId=detector_id) or {}

    for detector_id, got in aws.map(get, ids):
        arn = scope.arn("guardduty", f"detector/{detector_id}")
        tags = {str(k): str(v) for k, v in (got.get("Tags") or {}).items()}
        props: dict[str, Any] = {
            "id": detector_id,
            "arn": arn,
            "accountId": scope.account,
            "enable": got.get("Status") == "ENABLED",
            "tags": tags,
            "tagsAll": dict(tags),
        }
        if got.get("FindingPublishingFrequency"):
            props["findingPublishingFrequency"] = str(got["FindingPublishingFrequency"])
        yield live_resource(DETECTOR, arn, detector_id, props)
        for feature in got.get("Features", []):
            name = str(feature.get("Name", ""))
            if name not in DECLARED_FEATURES:
                continue
            fprops: dict[str, Any] = {
                "id": f"{detector_id}/{name}",
                "detectorId": detector_id,
                "name": name,
                "status": str(feature.get("Status", "")),
            }
            extra = feature.get("AdditionalConfiguration") or []
            if extra:
                fprops["additionalConfigurations"] = [
                    {"name": str(c.get("Name", "")), "status": str(c.get("Status", ""))} for c in extra
                ]
            yield live_resource(DETECTOR_FEATURE, f"{arn}/feature/{name}", name, fprops)


# -- Security Hub -----------------------------------------------------------------------------------------


def _securityhub(aws: Aws, scope: Scope) -> Iterator[Resource | Unread]:
    region = scope.region
    hub = aws.call("securityhub", "describe_hub", missing=HUB_OFF, region=region)
    if hub is None:
        return  # not enabled: no hub, no standard
    standards = aws.call("securityhub", "get_enabled_standards", missing=_not_implemented(aws), region=region)
    if standards is None:
        yield Unread(
            (HUB, STANDARDS_SUBSCRIPTION),
            f"securityhub:GetEnabledStandards is not implemented by the endpoint in {region}, so Security "
            "Hub and its standards were not read",
        )
        return
    subscriptions = list(standards.get("StandardsSubscriptions", []))
    token = standards.get("NextToken")
    while token:
        page = aws.call("securityhub", "get_enabled_standards", region=region, NextToken=token) or {}
        subscriptions += page.get("StandardsSubscriptions", [])
        token = page.get("NextToken")
    hub_props: dict[str, Any] = {"id": scope.account, "arn": str(hub.get("HubArn", ""))}
    if "AutoEnableControls" in hub:
        hub_props["autoEnableControls"] = bool(hub["AutoEnableControls"])
    if hub.get("ControlFindingGenerator"):
        hub_props["controlFindingGenerator"] = str(hub["ControlFindingGenerator"])
    yield live_resource(HUB, hub_props["arn"] or f"{HUB}::{scope.account}", scope.account, hub_props)
    for subscription in subscriptions:
        if subscription.get("StandardsStatus") not in _SUBSCRIBED:
            continue
        arn = str(subscription["StandardsSubscriptionArn"])
        props = {"id": arn, "standardsArn": str(subscription.get("StandardsArn", ""))}
        yield live_resource(STANDARDS_SUBSCRIPTION, arn, props["standardsArn"].split(":", 5)[-1], props)


# -- IAM Access Analyzer ----------------------------------------------------------------------------------


def _analyzers(aws: Aws, scope: Scope) -> Iterator[Resource | Unread]:
    region = scope.region
    first = aws.call("accessanalyzer", "list_analyzers", missing=_not_implemented(aws), region=region)
    if first is None:
        yield Unread(
            (ANALYZER,),
            f"access-analyzer:ListAnalyzers is not implemented by the endpoint in {region}, so IAM Access "
            "Analyzer was not read",
        )
        return
    analyzers = list(first.get("analyzers", []))
    token = first.get("nextToken")
    while token:
        page = aws.call("accessanalyzer", "list_analyzers", region=region, nextToken=token) or {}
        analyzers += page.get("analyzers", [])
        token = page.get("nextToken")
    own = f"{recorder_name(scope)}-external-access"  # AccountBaseline's name
    for analyzer in analyzers:
        name = str(analyzer["name"])
        tags = {str(k): str(v) for k, v in (analyzer.get("tags") or {}).items()}
        if not (scope.tagged(tags) or name == own):
            continue
        props: dict[str, Any] = {
            "id": name,
            "analyzerName": name,
            "arn": str(analyzer.get("arn", "")),
            "type": str(analyzer.get("type", "")),
            "tags": tags,
            "tagsAll": dict(tags),
        }
        yield live_resource(ANALYZER, props["arn"] or f"{ANALYZER}::{name}", name, props)
