"""The audit trail: CloudTrail in every region, validated, encrypted, with S3 data events and "
"CloudWatch delivery."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.model import Control
from policies.props import Index, Resource, as_list, get, is_false

TRAIL = "aws:cloudtrail/trail:Trail"


def _multi_region(subject: Resource, _index: Index) -> Iterator[str]:
    if subject.known("isMultiRegionTrail", False) is not True:
        yield f"trail {subject.label} does not set isMultiRegionTrail=true (default false)"
    if is_false(subject.known("includeGlobalServiceEvents", True)):
        yield f"trail {subject.label} sets includeGlobalServiceEvents=false (IAM and STS events are lost)"


def _validation(subject: Resource, _index: Index) -> Iterator[str]:
    if subject.known("enableLogFileValidation", False) is not True:
        yield f"trail {subject.label} does not set enableLogFileValidation=true (default false)"


def _kms(subject: Resource, _index: Index) -> Iterator[str]:
    if not subject.known("kmsKeyId"):
        yield f"trail {subject.label} does not set kmsKeyId, so logs are only SSE-S3 encrypted"


def _s3_data_selected(selector: Any) -> bool:
    if get(selector, "readWriteType", "All") != "All":
        return False
    return any(get(r, "type") == "AWS::S3::Object" for r in as_list(get(selector, "dataResources")))


def _advanced_s3_data(selector: Any) -> bool:
    fields = {get(f, "field"): f for f in as_list(get(selector, "fieldSelectors"))}
    category = [str(v) for v in as_list(get(fields.get("eventCategory"), "equals"))]
    resource_type = [str(v) for v in as_list(get(fields.get("resources.type"), "equals"))]
    read_only = fields.get("readOnly")
    return "Data" in category and "AWS::S3::Object" in resource_type and read_only is None


def _data_events(subject: Resource, _index: Index) -> Iterator[str]:
    basic = subject.known("eventSelectors", []) or []
    advanced = subject.known("advancedEventSelectors", []) or []
    if not any(_s3_data_selected(s) for s in basic) and not any(_advanced_s3_data(s) for s in advanced):
        yield f"trail {subject.label} records no S3 object-level (data) events for both reads and writes"


def _cloudwatch(subject: Resource, _index: Index) -> Iterator[str]:
    missing = [p for p in ("cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn") if not subject.known(p)]
    if missing:
        yield f"trail {subject.label} does not deliver to CloudWatch Logs (missing {', '.join(missing)})"


def _logging_on(subject: Resource, _index: Index) -> Iterator[str]:
    if is_false(subject.known("enableLogging", True)):
        yield f"trail {subject.label} sets enableLogging=false"


_AUDIT = ("AU-2", "AU-3", "AU-12")
_BOTH = frozenset({"preview", "checkov"})

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-AUD-001",
        title="CloudTrail records every region, with global service events",
        severity="high",
        enforcement="mandatory",
        resource_types=(TRAIL,),
        rationale="An attacker works in the region nobody watches; IAM and STS events are global.",
        frameworks={
            "NIST-800-53-r5": _AUDIT,
            "AWS-FSBP": ("CloudTrail.1",),
            "CIS-AWS-3.0": ("3.1",),
            "DORA": ("Art. 10",),
        },
        remediation="Set is_multi_region_trail=True and leave include_global_service_events unset or True.",
        predicate=_multi_region,
        enforced_in=_BOTH,
        checkov_ids=("CKV_AWS_67",),
        tags=("audit", "cloudtrail"),
    ),
    Control(
        id="SR-AUD-002",
        title="CloudTrail log file validation is on",
        severity="high",
        enforcement="mandatory",
        resource_types=(TRAIL,),
        rationale="Digest files prove that no log file was changed or deleted after delivery.",
        frameworks={
            "NIST-800-53-r5": ("AU-9", "SI-7"),
            "AWS-FSBP": ("CloudTrail.4",),
            "CIS-AWS-3.0": ("3.2",),
        },
        remediation="Set enable_log_file_validation=True.",
        predicate=_validation,
        enforced_in=_BOTH,
        checkov_ids=("CKV_AWS_36",),
        tags=("audit", "cloudtrail"),
    ),
    Control(
        id="SR-AUD-003",
        title="CloudTrail logs are encrypted with a customer managed key",
        severity="high",
        enforcement="mandatory",
        resource_types=(TRAIL,),
        rationale="Reading the trail then needs kms:Decrypt, which only the auditors hold.",
        frameworks={
            "NIST-800-53-r5": ("AU-9", "SC-28"),
            "AWS-FSBP": ("CloudTrail.2",),
            "CIS-AWS-3.0": ("3.5",),
        },
        remediation=(
            "Set kms_key_id=<logs key>.arn; the key policy must allow cloudtrail.amazonaws.com with "
            "conditions."
        ),
        predicate=_kms,
        enforced_in=_BOTH,
        checkov_ids=("CKV_AWS_35",),
        tags=("audit", "cloudtrail", "encryption"),
    ),
    Control(
        id="SR-AUD-004",
        title="CloudTrail records S3 data events (reads and writes)",
        severity="high",
        enforcement="mandatory",
        resource_types=(TRAIL,),
        rationale="Who read or wrote which model and data object is the audit question in finance.",
        frameworks={
            "NIST-800-53-r5": _AUDIT,
            "AWS-FSBP": ("S3.22", "S3.23"),
            "CIS-AWS-3.0": ("3.8", "3.9"),
            "EU-AI-ACT": ("Art. 12",),
        },
        remediation=(
            "Add an event selector with read_write_type 'All' and data resource type AWS::S3::Object."
        ),
        predicate=_data_events,
        tags=("audit", "cloudtrail", "s3"),
    ),
    Control(
        id="SR-AUD-005",
        title="CloudTrail delivers to CloudWatch Logs",
        severity="medium",
        enforcement="mandatory",
        resource_types=(TRAIL,),
        rationale="Delivery to CloudWatch Logs lets metric filters and alarms react within minutes.",
        frameworks={"NIST-800-53-r5": ("AU-6", "SI-4"), "AWS-FSBP": ("CloudTrail.5",)},
        remediation="Set cloud_watch_logs_group_arn (with ':*') and cloud_watch_logs_role_arn.",
        predicate=_cloudwatch,
        enforced_in=_BOTH,
        checkov_ids=("CKV2_AWS_10",),
        tags=("audit", "cloudtrail", "logging"),
    ),
    Control(
        id="SR-AUD-006",
        title="CloudTrail logging is not switched off",
        severity="critical",
        enforcement="mandatory",
        resource_types=(TRAIL,),
        rationale="A trail with logging stopped records nothing while looking configured.",
        frameworks={"NIST-800-53-r5": ("AU-2", "AU-12"), "AWS-FSBP": ("CloudTrail.1",)},
        remediation="Leave enable_logging unset or True.",
        predicate=_logging_on,
        tags=("audit", "cloudtrail"),
    ),
)
