"""Audit controls over CloudTrail trails."""

from __future__ import annotations

from collections.abc import Sequence

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from policies.controls.audit import EVENT_DATA_STORE, TRAIL
from policies.props import UNKNOWN, Resource

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
