"""Encryption at rest with customer-managed KMS keys: keys, buckets, logs, topics and SageMaker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.model import Control, Predicate
from policies.props import (
    UNKNOWN,
    Index,
    PolicyDocumentError,
    Resource,
    is_world_principal,
    policy_document,
    statements,
)

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TOPIC = "aws:sns/topic:Topic"
DOMAIN = "aws:sagemaker/domain:Domain"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
TRAINING_JOB = "aws:sagemaker/trainingJob:TrainingJob"

MIN_DELETION_WINDOW_DAYS = 30
"""The longest window AWS allows: the most time to notice and cancel a scheduled key deletion."""


def _aws_managed(key_id: Any) -> bool:
    return isinstance(key_id, str) and ("alias/aws/" in key_id or key_id.startswith("aws/"))


def _rotation(subject: Resource, _index: Index) -> Iterator[str]:
    if subject.known("enableKeyRotation", False) is not True:
        yield f"KMS key {subject.label} does not set enableKeyRotation=true (default false)"


def _symmetric(subject: Resource, _index: Index) -> bool:
    spec = subject.known("customerMasterKeySpec") or subject.known("keySpec") or "SYMMETRIC_DEFAULT"
    usage = subject.known("keyUsage") or "ENCRYPT_DECRYPT"
    return spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT"


def _wildcard_principal(subject: Resource, _index: Index) -> Iterator[str]:
    policy = subject.known("policy")
    if policy is None:
        return
    try:
        document = policy_document(policy)
    except PolicyDocumentError as exc:
        yield f"key policy of {subject.label} {exc}"
        return
    for i, statement in enumerate(statements(document)):
        if (
            statement.get("Effect") == "Allow"
            and is_world_principal(statement)
            and not statement.get("Condition")
        ):
            sid = statement.get("Sid")
            named = f" ({sid})" if sid else ""
            yield (
                f"key policy of {subject.label} statement {i}{named} allows principal '*' without a condition"
            )


def _deletion_window(subject: Resource, _index: Index) -> Iterator[str]:
    days = subject.known("deletionWindowInDays", MIN_DELETION_WINDOW_DAYS)
    if isinstance(days, int | float) and days < MIN_DELETION_WINDOW_DAYS:
        yield (
            f"KMS key {subject.label} has deletionWindowInDays={days}; at least {MIN_DELETION_WINDOW_DAYS} "
            "is required"
        )


def _bucket_sse(subject: Resource, index: Index) -> Iterator[str]:
    configs = index.referencing(subject, BUCKET_SSE, "bucket", ("bucket", "id"))
    if not configs:
        yield (
            f"bucket {subject.label} has no BucketServerSideEncryptionConfiguration, so S3 encrypts with "
            "its own SSE-S3 key"
        )
        return
    for config in configs:
        rules = config.known("rules", []) or []
        defaults = [r.get("applyServerSideEncryptionByDefault") or {} for r in rules if isinstance(r, dict)]
        if not defaults:
            yield (
                f"encryption configuration {config.label} of bucket {subject.label} has no default "
                "encryption rule"
            )
        for default in defaults:
            algorithm = default.get("sseAlgorithm")
            key_id = default.get("kmsMasterKeyId")
            if algorithm is UNKNOWN or key_id is UNKNOWN:
                continue
            if algorithm not in ("aws:kms", "aws:kms:dsse"):
                yield f"bucket {subject.label} default encryption is {algorithm}, not aws:kms"
            elif not key_id:
                yield (
                    f"bucket {subject.label} uses aws:kms without kmsMasterKeyId, i.e. the AWS managed key "
                    "aws/s3"
                )
            elif _aws_managed(key_id):
                yield f"bucket {subject.label} uses the AWS managed key {key_id}, not a customer managed key"


def _kms_key_set(prop: str, what: str) -> Predicate:
    def predicate(subject: Resource, _index: Index) -> Iterator[str]:
        key_id = subject.known(prop)
        if not key_id:
            yield f"{what} {subject.label} does not set {prop}"
        elif _aws_managed(key_id):
            yield (
                f"{what} {subject.label} uses the AWS managed key {key_id} in {prop}, not a customer "
                "managed key"
            )

    return predicate


def _training_keys(subject: Resource, _index: Index) -> Iterator[str]:
    if not subject.known("resourceConfig.volumeKmsKeyId"):
        yield f"training job {subject.label} does not set resourceConfig.volumeKmsKeyId"
    if not subject.known("outputDataConfig.kmsKeyId"):
        yield f"training job {subject.label} does not set outputDataConfig.kmsKeyId"


_NIST_AT_REST = ("SC-28", "SC-28(1)", "SC-12")

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-ENC-001",
        title="KMS keys rotate yearly",
        severity="high",
        enforcement="mandatory",
        resource_types=(KEY,),
        applies=_symmetric,
        applicability="symmetric encryption keys (AWS cannot rotate asymmetric or HMAC keys)",
        rationale="Automatic rotation limits how much data one key version protects.",
        frameworks={"NIST-800-53-r5": ("SC-12", "SC-12(1)"), "AWS-FSBP": ("KMS.4",), "CIS-AWS-3.0": ("3.6",)},
        remediation="Set enable_key_rotation=True on the key.",
        predicate=_rotation,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_7",),
        tags=("encryption", "kms"),
    ),
    Control(
        id="SR-ENC-002",
        title="No key policy grants '*' without a condition",
        severity="critical",
        enforcement="mandatory",
        resource_types=(KEY, KEY_POLICY),
        rationale=(
            "A key policy allowing principal '*' unconditionally makes the key usable by any AWS account."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-6", "SC-12"), "AWS-FSBP": ("KMS.5",)},
        remediation=(
            "Name account or role ARNs as principals; scope service principals with aws:SourceAccount or "
            "aws:SourceArn."
        ),
        predicate=_wildcard_principal,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_33",),
        tags=("encryption", "kms"),
    ),
    Control(
        id="SR-ENC-003",
        title="KMS keys have a 30-day deletion window",
        severity="medium",
        enforcement="mandatory",
        resource_types=(KEY,),
        rationale=(
            "A key scheduled for deletion takes all data encrypted under it; 30 days gives time to cancel."
        ),
        frameworks={"NIST-800-53-r5": ("SC-12", "CP-9")},
        framework_note="FSBP KMS.3 checks keys already scheduled for deletion, not the window.",
        remediation="Leave deletion_window_in_days unset or set it to 30.",
        predicate=_deletion_window,
        tags=("encryption", "kms"),
    ),
    Control(
        id="SR-ENC-004",
        title="Every bucket is encrypted with SSE-KMS and a customer managed key",
        severity="high",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        rationale=(
            "A customer managed key puts every read under the key policy and CloudTrail, and allows "
            "crypto-shredding."
        ),
        frameworks={
            "NIST-800-53-r5": _NIST_AT_REST,
            "AWS-FSBP": ("S3.17",),
            "DORA": ("Art. 9(4)(d)",),
        },
        remediation=(
            "Add aws.s3.BucketServerSideEncryptionConfiguration(bucket=<bucket>.id) with "
            "sse_algorithm='aws:kms' "
            "and kms_master_key_id=<customer key>.arn."
        ),
        predicate=_bucket_sse,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_145",),
        tags=("encryption", "s3"),
    ),
    Control(
        id="SR-ENC-005",
        title="Log groups are encrypted with a customer managed key",
        severity="medium",
        enforcement="mandatory",
        resource_types=(LOG_GROUP,),
        rationale="Flow, trail and job logs reveal the environment's structure and data names.",
        frameworks={"NIST-800-53-r5": ("SC-28", "AU-9")},
        framework_note="No CIS or FSBP control requires KMS on CloudWatch log groups.",
        remediation="Set kms_key_id=<logs key>.arn; the key policy must allow logs.<region>.amazonaws.com.",
        predicate=_kms_key_set("kmsKeyId", "log group"),
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_158",),
        tags=("encryption", "logging"),
    ),
    Control(
        id="SR-ENC-006",
        title="SNS topics are encrypted with a customer managed key",
        severity="medium",
        enforcement="mandatory",
        resource_types=(TOPIC,),
        rationale="Alert messages name resources and principals; they stay encrypted at rest.",
        frameworks={"NIST-800-53-r5": ("SC-28",), "AWS-FSBP": ("SNS.1",)},
        remediation="Set kms_master_key_id=<customer key>.arn (not alias/aws/sns).",
        predicate=_kms_key_set("kmsMasterKeyId", "SNS topic"),
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_26",),
        tags=("encryption", "alerts"),
    ),
    Control(
        id="SR-ENC-007",
        title="SageMaker Studio domain storage uses a customer managed key",
        severity="high",
        enforcement="mandatory",
        resource_types=(DOMAIN,),
        rationale="The Studio EFS volume holds every user's notebooks and copies of data.",
        frameworks={"NIST-800-53-r5": _NIST_AT_REST, "EU-AI-ACT": ("Art. 15(5)",)},
        framework_note="No CIS or FSBP control covers Studio domain encryption.",
        remediation="Set kms_key_id=<data key>.arn on the domain.",
        predicate=_kms_key_set("kmsKeyId", "Studio domain"),
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_187",),
        tags=("encryption", "sagemaker"),
    ),
    Control(
        id="SR-ENC-008",
        title="SageMaker notebook volumes use a customer managed key",
        severity="high",
        enforcement="mandatory",
        resource_types=(NOTEBOOK,),
        rationale="A notebook's ML storage volume holds data and credentials copied by its user.",
        frameworks={"NIST-800-53-r5": _NIST_AT_REST},
        framework_note="No CIS or FSBP control covers notebook volume encryption.",
        remediation="Set kms_key_id=<data key>.arn on the notebook instance.",
        predicate=_kms_key_set("kmsKeyId", "notebook instance"),
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_22", "CKV_AWS_187"),
        tags=("encryption", "sagemaker"),
    ),
    Control(
        id="SR-ENC-009",
        title="SageMaker training volumes and outputs use customer managed keys",
        severity="high",
        enforcement="mandatory",
        resource_types=(TRAINING_JOB,),
        rationale="Training volumes hold the training data; outputs are the model artifacts.",
        frameworks={"NIST-800-53-r5": _NIST_AT_REST, "EU-AI-ACT": ("Art. 15(5)",)},
        framework_note="No CIS or FSBP control covers training job encryption.",
        remediation=(
            "Set resource_config.volume_kms_key_id and output_data_config.kms_key_id to customer keys."
        ),
        predicate=_training_keys,
        tags=("encryption", "sagemaker"),
    ),
)
