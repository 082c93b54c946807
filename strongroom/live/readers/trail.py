"""Live reader for the trail area: the environment's CloudTrail trails and its alert path.

Trails. In each region of the scope, the trails whose home region it is (``DescribeTrails`` without
shadow trails, granted on ``*``) that are named with the stack's prefix (``sr-<stack>-``, or
``scope.extra["name_prefix"]``: the auditor may read status, selectors and tags of exactly those,
``ReadTrail`` of ``components.policydocs.iam.auditor_policy``) and carry the environment tag (so that
stack ``dev`` does not take ``dev-eu``'s trail). Each is yielded as ``aws:cloudtrail/trail:Trail`` with the
plan's props: its configuration from DescribeTrails, ``enableLogging`` from GetTrailStatus ``IsLogging``,
the event selectors (basic or advanced) from GetEventSelectors and the Insights selectors from
GetInsightSelectors, all in pulumi-aws's camelCase shape.

Alert path (:func:`read_alert_path`). The stack's EventBridge rules and targets, its SNS topics, their
policies and subscriptions, so that SR-AUD-030..047 judge a silenced alert as they judge a plan without
it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from strongroom.live.aws import Aws
from strongroom.live.readers import Scope, live_resource
from strongroom.live.readers.identity import tag_map
from strongroom.policies.config import GLOBAL_EVENTS_REGION
from strongroom.policies.props import Resource

TRAIL = "aws:cloudtrail/trail:Trail"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"

TYPES: tuple[str, ...] = (TRAIL,)
"""The trail area's types; the alert path's are :mod:`strongroom.live.readers.alerts`'."""

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
    yield from read_trails(aws, scope)


def read_trails(aws: Aws, scope: Scope) -> Iterator[Resource]:
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


# -- the alert path: rules, their targets, the topics they deliver to -------------------------------------


def read_alert_path(aws: Aws, scope: Scope) -> Iterator[Resource]:
    """The stack's EventBridge rules on the default bus (named with its prefix: ``ListRules``, whose
    targets the auditor may list) with their targets, and its SNS topics (carrying its tag:
    ``tag:GetResources``) with their policy and subscriptions, in every region of the scope: what
    SR-AUD-030..047 and SR-ENC-006/012 judge. A rule or topic that was deleted is absent, as in a plan
    without it; a rule of another stack whose name shares the prefix (``sr-dev-eu-``) delivers to that
    stack's topic, not one of ours, so it counts for no alert of this stack."""
    prefix = name_prefix(scope)
    for region in alert_regions(scope):
        rules = [
            r
            for r in aws.pages("events", "list_rules", "Rules", region=region, NamePrefix=prefix)
            if r.get("EventBusName", "default") == "default"
        ]
        for rule, targets in aws.map(functools.partial(_rule, aws, scope, region), rules):
            yield rule
            yield from targets
        topics = sorted(tagged(aws, scope, region, "sns:topic"))
        for found in aws.map(functools.partial(_topic, aws, region), topics):
            yield from found


def alert_regions(scope: Scope) -> list[str]:
    """The scope's regions, and us-east-1, where IAM's events arrive and the stack forwards them from
    (SR-AUD-047 judges that region whatever the stack's)."""
    regions = list(scope.regions or (scope.region,))
    return regions if GLOBAL_EVENTS_REGION in regions else [*regions, GLOBAL_EVENTS_REGION]


def tagged(aws: Aws, scope: Scope, region: str, resource_type: str) -> set[str]:
    """The ARNs of the resources of ``resource_type`` (``sns:topic``) in ``region`` that carry the
    environment tag."""
    key, value = scope.tag
    listed = aws.pages(
        "resourcegroupstaggingapi",
        "get_resources",
        "ResourceTagMappingList",
        region=region,
        TagFilters=[{"Key": key, "Values": [value]}],
        ResourceTypeFilters=[resource_type],
    )
    return {str(item["ResourceARN"]) for item in listed if scope.tagged(item.get("Tags"))}


def _region_prop(scope: Scope, region: str) -> dict[str, str]:
    """pulumi-aws 7's per-resource ``region``: set only where it is not the provider's (the scope's)."""
    return {} if region == scope.region else {"region": region}


def _rule(aws: Aws, scope: Scope, region: str, listed: Mapping[str, Any]) -> tuple[Resource, list[Resource]]:
    name = str(listed["Name"])
    bus = str(listed.get("EventBusName", "default"))
    props: dict[str, Any] = {
        "arn": listed["Arn"],
        "description": listed.get("Description"),
        "eventBusName": bus,
        "eventPattern": listed.get("EventPattern"),
        "id": name,
        "name": name,
        "scheduleExpression": listed.get("ScheduleExpression"),
        "roleArn": listed.get("RoleArn"),
        "state": listed.get("State"),
        **_region_prop(scope, region),
    }
    rule = live_resource(
        EVENT_RULE, str(listed["Arn"]), name, {k: v for k, v in props.items() if v is not None}
    )
    targets = []
    for target in aws.pages(
        "events", "list_targets_by_rule", "Targets", region=region, Rule=name, EventBusName=bus
    ):
        ident = f"{bus}-{name}-{target['Id']}"
        shaped: dict[str, Any] = {
            "arn": target["Arn"],
            "eventBusName": bus,
            "id": ident,
            "rule": name,
            "targetId": target["Id"],
            **_region_prop(scope, region),
        }
        if target.get("RoleArn"):
            shaped["roleArn"] = target["RoleArn"]
        targets.append(live_resource(EVENT_TARGET, f"{EVENT_TARGET}::{region}::{ident}", ident, shaped))
    return rule, targets


def _topic(aws: Aws, region: str, arn: str) -> list[Resource]:
    answer = aws.call("sns", "get_topic_attributes", region=region, missing=("NotFound",), TopicArn=arn)
    if answer is None:
        return []
    attributes = answer.get("Attributes", {})
    name = arn.rsplit(":", 1)[-1]
    props: dict[str, Any] = {"arn": arn, "id": arn, "name": name, "owner": attributes.get("Owner")}
    if attributes.get("KmsMasterKeyId"):
        props["kmsMasterKeyId"] = attributes["KmsMasterKeyId"]
    found = [live_resource(TOPIC, arn, name, {k: v for k, v in props.items() if v is not None})]
    if attributes.get("Policy"):
        policy = {"arn": arn, "id": arn, "owner": attributes.get("Owner"), "policy": attributes["Policy"]}
        found.append(
            live_resource(
                TOPIC_POLICY, f"{TOPIC_POLICY}::{arn}", name, {k: v for k, v in policy.items() if v}
            )
        )
    for sub in aws.pages("sns", "list_subscriptions_by_topic", "Subscriptions", region=region, TopicArn=arn):
        sub_arn = str(sub.get("SubscriptionArn", ""))
        # A subscription not confirmed yet has no ARN ("PendingConfirmation"): named by what it delivers to.
        ident = (
            sub_arn
            if sub_arn.startswith("arn:")
            else f"{arn}:{sub_arn}:{sub.get('Protocol')}:{sub.get('Endpoint')}"
        )
        shaped = {
            "arn": sub_arn if sub_arn.startswith("arn:") else None,
            "endpoint": sub.get("Endpoint"),
            "id": ident,
            "ownerId": sub.get("Owner"),
            "protocol": sub.get("Protocol"),
            "topic": sub.get("TopicArn", arn),
        }
        found.append(
            live_resource(
                TOPIC_SUBSCRIPTION,
                f"{TOPIC_SUBSCRIPTION}::{ident}",
                ident,
                {k: v for k, v in shaped.items() if v is not None},
            )
        )
    return found
