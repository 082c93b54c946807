"""Encryption at rest with customer-managed KMS keys: keys, grants, buckets, logs, topics and SageMaker.

A resource's key is judged by what it names, not by how it is spelled, with `policies.references`: a key
of the stack (its ARN, ID or an alias of it; a property dependency on one only while the value is unknown)
is the bank's own; an AWS managed alias (`alias/aws/s3`, `arn:aws:kms:...:alias/aws/s3`) is not; a key ARN
of an account outside the perimeter is not. Key, grant and topic policies are judged with
`policies.perimeter.exposure`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.model import Control, Predicate
from policies.perimeter import account_of, inside
from policies.props import Index, Resource, as_list, get
from policies.references import KEY, REPLICA_KEY, key_findings, key_of_plan, key_problem, policy_exposure

EXTERNAL_KEY = "aws:kms/externalKey:ExternalKey"
REPLICA_EXTERNAL_KEY = "aws:kms/replicaExternalKey:ReplicaExternalKey"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
GRANT = "aws:kms/grant:Grant"
CUSTOM_KEY_STORE = "aws:kms/customKeyStore:CustomKeyStore"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
DOMAIN = "aws:sagemaker/domain:Domain"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
TRAINING_JOB = "aws:sagemaker/trainingJob:TrainingJob"


MIN_DELETION_WINDOW_DAYS = 30
"""The longest window AWS allows: the most time to notice and cancel a scheduled key deletion."""
MAX_ROTATION_DAYS = 365
"""Yearly rotation (AWS's default period; `rotationPeriodInDays` may lengthen it up to 2560)."""
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


# -- keys -------------------------------------------------------------------------------------------------


def _rotation(subject: Resource, index: Index) -> Iterator[str]:
    if subject.type == REPLICA_KEY:
        primary = subject.get("primaryKeyArn")
        if not key_of_plan(subject, "primaryKeyArn", primary, index):
            yield (
                f"replica key {subject.label} replicates {primary}, which is no KMS key of this stack, so "
                "its rotation can't be judged"
            )
        return
    if subject.known("enableKeyRotation", False) is not True:
        yield f"KMS key {subject.label} does not set enableKeyRotation=true (default false)"
        return
    period = subject.known("rotationPeriodInDays", MAX_ROTATION_DAYS)
    if isinstance(period, int | float) and period > MAX_ROTATION_DAYS:
        yield (
            f"KMS key {subject.label} rotates every {int(period)} days (rotationPeriodInDays); at most "
            f"{MAX_ROTATION_DAYS} is allowed"
        )


def _symmetric(subject: Resource, _index: Index) -> bool:
    spec = subject.known("customerMasterKeySpec") or subject.known("keySpec") or "SYMMETRIC_DEFAULT"
    usage = subject.known("keyUsage") or "ENCRYPT_DECRYPT"
    return spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT"


def _key_policy(subject: Resource, index: Index) -> Iterator[str]:
    yield from policy_exposure(subject, index, "policy", "key policy")


def _deletion_window(subject: Resource, _index: Index) -> Iterator[str]:
    days = subject.known("deletionWindowInDays", MIN_DELETION_WINDOW_DAYS)
    if isinstance(days, int | float) and days < MIN_DELETION_WINDOW_DAYS:
        yield (
            f"KMS key {subject.label} has deletionWindowInDays={days}; at least {MIN_DELETION_WINDOW_DAYS} "
            "is required"
        )


_SERVICE_SUFFIX = ".amazonaws.com"


def _grant(subject: Resource, index: Index) -> Iterator[str]:
    key_id = subject.get("keyId")
    if not key_of_plan(subject, "keyId", key_id, index):
        yield f"grant {subject.label} is on {key_id}, which is no KMS key of this stack"
    operations = [str(o) for o in as_list(subject.known("operations", []))]
    constrained = bool(subject.known("constraints"))
    for prop in ("granteePrincipal", "retiringPrincipal"):
        principal = subject.known(prop)
        if principal is None:
            continue
        if isinstance(principal, str) and principal.endswith(_SERVICE_SUFFIX):
            if not constrained:
                yield (
                    f"grant {subject.label} {prop} is the service {principal} with no constraints "
                    "(encryption context), so it covers every caller of the service"
                )
            continue
        account = account_of(principal)
        if account is None:
            yield f"grant {subject.label} {prop} {principal} names no account of the perimeter"
        elif account == "*" or not inside(index.context, account):
            creates = " and may CreateGrant for others" if "CreateGrant" in operations else ""
            yield (
                f"grant {subject.label} {prop} {principal} is of account {account}, outside the "
                f"perimeter{creates}"
            )


def _key_material(subject: Resource, _index: Index) -> Iterator[str]:
    if subject.type in (EXTERNAL_KEY, REPLICA_EXTERNAL_KEY):
        yield (
            f"KMS key {subject.label} ({subject.type}) uses imported key material, which AWS KMS can "
            "neither rotate nor protect from expiry: use aws.kms.Key"
        )
    elif subject.type == CUSTOM_KEY_STORE:
        store_type = subject.known("customKeyStoreType", "AWS_CLOUDHSM")
        if store_type != "AWS_CLOUDHSM":
            yield (
                f"custom key store {subject.label} is of type {store_type}: key material held outside AWS "
                "KMS and CloudHSM is not allowed"
            )
    elif subject.known("xksKeyId"):
        yield f"KMS key {subject.label} sets xksKeyId: its key material lives in an external key store"


# -- encrypted resources ----------------------------------------------------------------------------------


_V2_SSE = "serverSideEncryptionConfigurations"


def _sse_defaults(subject: Resource, index: Index) -> list[tuple[Resource, str, Any]]:
    """(owner, path, applyServerSideEncryptionByDefault) for every default encryption rule of the bucket:
    its BucketServerSideEncryptionConfiguration companions and the inline v7 and BucketV2 shapes."""
    found: list[tuple[Resource, str, Any]] = []
    for config in index.referencing(subject, BUCKET_SSE, "bucket", ("bucket", "id")):
        for i, rule in enumerate(config.known("rules", []) or []):
            found.append(
                (
                    config,
                    f"rules.{i}.applyServerSideEncryptionByDefault",
                    get(rule, "applyServerSideEncryptionByDefault"),
                )
            )
    inline = subject.known("serverSideEncryptionConfiguration")
    if inline:
        path = "serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault"
        found.append((subject, path, subject.known(path)))
    for i, config in enumerate(subject.known(_V2_SSE, []) or []):
        for j, rule in enumerate(as_list(get(config, "rules"))):
            for k, default in enumerate(as_list(get(rule, "applyServerSideEncryptionByDefaults"))):
                path = f"{_V2_SSE}.{i}.rules.{j}.applyServerSideEncryptionByDefaults.{k}"
                found.append((subject, path, default))
    return found


def _bucket_sse(subject: Resource, index: Index) -> Iterator[str]:
    defaults = _sse_defaults(subject, index)
    if not defaults:
        yield (
            f"bucket {subject.label} has no BucketServerSideEncryptionConfiguration, so S3 encrypts with "
            "its own SSE-S3 key"
        )
        return
    for owner, path, default in defaults:
        where = "" if owner is subject else f"encryption configuration {owner.label} of "
        if not default:
            yield f"{where}bucket {subject.label} has no default encryption rule at {path}"
            continue
        algorithm = owner.known(f"{path}.sseAlgorithm")
        key_id = owner.get(f"{path}.kmsMasterKeyId")
        if algorithm not in KMS_ALGORITHMS:
            yield f"bucket {subject.label} default encryption is {algorithm}, not aws:kms"
        elif key_id is None or key_id == "":
            yield (
                f"bucket {subject.label} uses aws:kms without kmsMasterKeyId, i.e. the AWS managed key aws/s3"
            )
        else:
            problem = key_problem(
                owner, f"{path}.kmsMasterKeyId", key_id, index, stack_only=True, shown="kmsMasterKeyId"
            )
            if problem:
                yield f"bucket {subject.label} {problem}"


def _kms_key_set(prop: str, what: str) -> Predicate:
    def predicate(subject: Resource, index: Index) -> Iterator[str]:
        yield from key_findings(subject, index, prop, what, stack_only=False)

    return predicate


def _training_keys(subject: Resource, index: Index) -> Iterator[str]:
    for prop in ("resourceConfig.volumeKmsKeyId", "outputDataConfig.kmsKeyId"):
        yield from key_findings(subject, index, prop, "training job", stack_only=False)


def _topic_policy(subject: Resource, index: Index) -> Iterator[str]:
    yield from policy_exposure(subject, index, "policy", "topic policy")


_NIST_AT_REST = ("SC-28", "SC-28(1)", "SC-12")

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-ENC-001",
        title="KMS keys rotate yearly",
        severity="high",
        enforcement="mandatory",
        resource_types=(KEY, REPLICA_KEY),
        scope="stack",
        applies=_symmetric,
        applicability=(
            "symmetric encryption keys (AWS cannot rotate asymmetric or HMAC keys); a replica key rotates "
            "with its primary, which must be a key of the stack"
        ),
        rationale="Automatic rotation limits how much data one key version protects.",
        frameworks={"NIST-800-53-r5": ("SC-12", "SC-12(1)"), "AWS-FSBP": ("KMS.4",), "CIS-AWS-3.0": ("3.6",)},
        remediation=(
            "Set enable_key_rotation=True on the key and leave rotation_period_in_days unset or <= 365."
        ),
        predicate=_rotation,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_7",),
        tags=("encryption", "kms"),
    ),
    Control(
        id="SR-ENC-002",
        title="Key policies grant nothing outside the perimeter",
        severity="critical",
        enforcement="mandatory",
        resource_types=(KEY, KEY_POLICY, REPLICA_KEY, EXTERNAL_KEY, REPLICA_EXTERNAL_KEY),
        rationale=(
            "A key policy allowing '*', another account or NotPrincipal lets callers outside the bank "
            "decrypt everything the key protects."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-6", "SC-12"), "AWS-FSBP": ("KMS.5",)},
        remediation=(
            "Name principals of the perimeter's accounts; confine '*' with aws:PrincipalAccount or "
            "aws:PrincipalOrgID (StringEquals); scope service principals with aws:SourceAccount."
        ),
        predicate=_key_policy,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_33",),
        tags=("encryption", "kms", "perimeter"),
    ),
    Control(
        id="SR-ENC-003",
        title="KMS keys have a 30-day deletion window",
        severity="medium",
        enforcement="mandatory",
        resource_types=(KEY, REPLICA_KEY),
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
        title="Every bucket is encrypted with SSE-KMS and a customer managed key of the stack",
        severity="high",
        enforcement="mandatory",
        resource_types=(BUCKET,),
        scope="stack",
        rationale=(
            "A customer managed key puts every read under the key policy and CloudTrail, and allows "
            "crypto-shredding; a key outside the stack is governed by someone else's policy."
        ),
        frameworks={
            "NIST-800-53-r5": _NIST_AT_REST,
            "AWS-FSBP": ("S3.17",),
            "DORA": ("Art. 9(4)(d)",),
        },
        remediation=(
            "Add aws.s3.BucketServerSideEncryptionConfiguration(bucket=<bucket>.id) with "
            "sse_algorithm='aws:kms' and kms_master_key_id=<key of the stack>.arn; inline encryption on the "
            "bucket is judged the same way."
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
        scope="stack",
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
        scope="stack",
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
        scope="stack",
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
        scope="stack",
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
        scope="stack",
        rationale="Training volumes hold the training data; outputs are the model artifacts.",
        frameworks={"NIST-800-53-r5": _NIST_AT_REST, "EU-AI-ACT": ("Art. 15(5)",)},
        framework_note="No CIS or FSBP control covers training job encryption.",
        remediation=(
            "Set resource_config.volume_kms_key_id and output_data_config.kms_key_id to customer keys."
        ),
        predicate=_training_keys,
        tags=("encryption", "sagemaker"),
    ),
    Control(
        id="SR-ENC-010",
        title="KMS grants go to principals inside the perimeter, on keys of the stack",
        severity="critical",
        enforcement="mandatory",
        resource_types=(GRANT,),
        scope="stack",
        rationale=(
            "A grant bypasses the key policy: one to another account (or one that lets it CreateGrant) "
            "hands the key to someone outside the bank, invisibly to policy review."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-6", "SC-12")},
        framework_note="No CIS or FSBP control judges KMS grants.",
        remediation=(
            "Grant to roles of the perimeter's accounts; give service principals constraints "
            "(encryption_context_equals/subset); prefer key policy statements to grants."
        ),
        predicate=_grant,
        tags=("encryption", "kms", "perimeter"),
    ),
    Control(
        id="SR-ENC-011",
        title="Key material is generated and kept by AWS KMS (no imported or external keys)",
        severity="high",
        enforcement="mandatory",
        resource_types=(KEY, EXTERNAL_KEY, REPLICA_EXTERNAL_KEY, CUSTOM_KEY_STORE),
        rationale=(
            "Imported material cannot rotate and expires or can be withdrawn by whoever holds it; an "
            "external key store puts every decrypt at the mercy of a proxy outside AWS."
        ),
        frameworks={"NIST-800-53-r5": ("SC-12", "SC-12(1)", "SC-28")},
        framework_note="No CIS or FSBP control covers the origin of key material.",
        remediation=(
            "Use aws.kms.Key (origin AWS_KMS) or a CloudHSM custom key store, never EXTERNAL_KEY_STORE."
        ),
        predicate=_key_material,
        tags=("encryption", "kms"),
    ),
    Control(
        id="SR-ENC-012",
        title="Topic policies grant nothing outside the perimeter",
        severity="high",
        enforcement="mandatory",
        resource_types=(TOPIC, TOPIC_POLICY),
        rationale=(
            "Anyone allowed to subscribe reads every alert; anyone allowed to publish can forge or drown "
            "them."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-21")},
        framework_note="FSBP SNS controls cover encryption and logging, not access policies.",
        remediation=(
            "Name principals of the perimeter's accounts; scope service principals with aws:SourceArn or "
            "aws:SourceAccount; confine '*' with aws:PrincipalOrgID."
        ),
        predicate=_topic_policy,
        tags=("encryption", "alerts", "perimeter"),
    ),
)
