"""Audit controls over CloudTrail trails."""

from __future__ import annotations

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from policies.controls.audit import TRAIL

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
other = res("aws:s3/bucket:Bucket", "trail-bucket")


def trail_with(**changes: object) -> object:
    props = {k: v for k, v in (GOOD | changes).items() if v is not None}
    return res(TRAIL, "trail", **props)


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
            )
        ],
        not_applicable=[other],
    ),
    "SR-AUD-004": Spec(
        baseline=[trail, advanced],
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
}
