"""Live reader for the trail area: the environment's CloudTrail trails.

Anchor: in each region of the scope, the trails whose home region it is (``DescribeTrails`` without
shadow trails, granted on ``*``) that are named with the stack's prefix (``sr-<stack>-``, or
``scope.extra["name_prefix"]``: the auditor may read status, selectors and tags of exactly those,
``ReadTrail`` of ``components.policydocs.iam.auditor_policy``) and carry the environment tag (so that
stack ``dev`` does not take ``dev-eu``'s trail). Each is yielded as ``aws:cloudtrail/trail:Trail`` with the
plan's props: its configuration from DescribeTrails, ``enableLogging`` from GetTrailStatus ``IsLogging``,
the event selectors (basic or advanced) from GetEventSelectors and the Insights selectors from
GetInsightSelectors, all in pulumi-aws's camelCase shape.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from policies.props import Resource
from strongroom.live.aws import Aws
from strongroom.live.readers import Scope, live_resource
from strongroom.live.readers.identity import tag_map

TRAIL = "aws:cloudtrail/trail:Trail"

TYPES: tuple[str, ...] = (TRAIL,)

#: DescribeTrails key -> the plan's prop.
_TRAIL_PROPS = {
    "Name": "name",
    "TrailARN": "arn",
    "HomeRegion": "homeRegion",
    "S3BucketName": "s3BucketName",
    "S3KeyPrefix": "s3KeyPrefix",
    "SnsTopicName": "snsTopicName",
    "IncludeGlobalServiceEvents": "includeGlobalServiceEvents",
    "IsMultiRegionTrail": "isMultiRegionTrail",
    "IsOrganizationTrail": "isOrganizationTrail",
    "LogFileValidationEnabled": "enableLogFileValidation",
    "CloudWatchLogsLogGroupArn": "cloudWatchLogsGroupArn",
    "CloudWatchLogsRoleArn": "cloudWatchLogsRoleArn",
    "KmsKeyId": "kmsKeyId",
}

#: An advanced field selector's operators, AWS -> pulumi-aws.
_FIELD_OPERATORS = {
    "Equals": "equals",
    "NotEquals": "notEquals",
    "StartsWith": "startsWiths",
    "NotStartsWith": "notStartsWiths",
    "EndsWith": "endsWiths",
    "NotEndsWith": "notEndsWiths",
}

#: GetInsightSelectors' answer for a trail without Insights: no selectors, not an error.
NO_INSIGHTS = ("InsightNotEnabledException",)


def name_prefix(scope: Scope) -> str:
    """The stack's physical name prefix (``sr-<stack>-``, as ``__main__.environment_name`` names it)."""
    return str(scope.extra.get("name_prefix") or f"sr-{scope.stack}-")


def read(aws: Aws, scope: Scope) -> Iterator[Resource]:
    prefix = name_prefix(scope)
    for region in scope.regions or (scope.region,):
        listed = aws.pages(
            "cloudtrail", "describe_trails", "trailList", region=region, includeShadowTrails=False
        )
        ours = [
            t
            for t in listed
            if str(t.get("Name", "")).startswith(prefix) and t.get("HomeRegion", region) == region
        ]
        for trail in aws.map(functools.partial(_trail, aws, scope, region), ours):
            if trail is not None:
                yield trail


def _trail(aws: Aws, scope: Scope, region: str, described: Mapping[str, Any]) -> Resource | None:
    arn = str(described["TrailARN"])
    answer = aws.call("cloudtrail", "list_tags", region=region, ResourceIdList=[arn]) or {}
    tags = {
        k: v
        for listed in answer.get("ResourceTagList", [])
        if listed.get("ResourceId") == arn
        for k, v in tag_map(listed.get("TagsList")).items()
    }
    if not scope.tagged(tags):
        return None
    props: dict[str, Any] = {
        prop: described[key] for key, prop in _TRAIL_PROPS.items() if described.get(key) is not None
    }
    props["id"] = arn
    props["tagsAll"] = tags
    status = aws.call("cloudtrail", "get_trail_status", region=region, Name=arn) or {}
    props["enableLogging"] = bool(status.get("IsLogging"))
    selectors = aws.call("cloudtrail", "get_event_selectors", region=region, TrailName=arn) or {}
    if selectors.get("AdvancedEventSelectors"):
        props["advancedEventSelectors"] = [advanced(s) for s in selectors["AdvancedEventSelectors"]]
    if selectors.get("EventSelectors"):
        props["eventSelectors"] = [basic(s) for s in selectors["EventSelectors"]]
    insights = aws.call(
        "cloudtrail", "get_insight_selectors", region=region, missing=NO_INSIGHTS, TrailName=arn
    )
    # moto answers a trail without Insights with no selectors rather than InsightNotEnabledException.
    found = (insights or {}).get("InsightSelectors") or []
    if found:
        props["insightSelectors"] = [{"insightType": s["InsightType"]} for s in found if "InsightType" in s]
    return live_resource(TRAIL, arn, str(described.get("Name", arn)), props)


def advanced(selector: Mapping[str, Any]) -> dict[str, Any]:
    """An advanced event selector in pulumi-aws's shape (``fieldSelectors`` of ``field`` and
    ``equals``/``startsWiths``/...)."""
    fields = []
    for item in selector.get("FieldSelectors", []):
        field: dict[str, Any] = {"field": item["Field"]}
        for key, prop in _FIELD_OPERATORS.items():
            if item.get(key):
                field[prop] = list(item[key])
        fields.append(field)
    shaped: dict[str, Any] = {"fieldSelectors": fields}
    if selector.get("Name"):
        shaped["name"] = selector["Name"]
    return shaped


def basic(selector: Mapping[str, Any]) -> dict[str, Any]:
    """A basic event selector in pulumi-aws's shape."""
    shaped: dict[str, Any] = {
        "readWriteType": selector.get("ReadWriteType", "All"),
        "includeManagementEvents": selector.get("IncludeManagementEvents", True),
        "dataResources": [
            {"type": r.get("Type"), "values": list(r.get("Values", []))}
            for r in selector.get("DataResources", [])
        ],
    }
    if selector.get("ExcludeManagementEventSources"):
        shaped["excludeManagementEventSources"] = list(selector["ExcludeManagementEventSources"])
    return shaped
