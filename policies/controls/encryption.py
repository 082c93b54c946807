"""Encryption at rest with customer-managed KMS keys: keys, grants, buckets, logs, topics and SageMaker.

A resource's key is judged by what it names, not by how it is spelled: a key of the stack (a property
dependency on an aws:kms Key, ReplicaKey or Alias of the plan, or that key's ARN, ID or alias) is the bank's
own; an AWS managed alias (`alias/aws/s3`, `arn:aws:kms:...:alias/aws/s3`) is not; a key ARN of an account
outside the perimeter is not. Key, grant and topic policies are judged with `policies.perimeter.exposure`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.model import Control, Predicate
from policies.perimeter import account_of, exposure, inside
from policies.props import (
    UNKNOWN,
    Index,
    PolicyDocumentError,
    Resource,
    UnknownValue,
    as_list,
    get,
    policy_document,
    statements,
)

KEY = "aws:kms/key:Key"
REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
EXTERNAL_KEY = "aws:kms/externalKey:ExternalKey"
REPLICA_EXTERNAL_KEY = "aws:kms/replicaExternalKey:ReplicaExternalKey"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
ALIAS = "aws:kms/alias:Alias"
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

STACK_KEYS = (KEY, REPLICA_KEY)
"""Keys whose material AWS KMS generates and whose rotation and deletion the catalog judges."""

MIN_DELETION_WINDOW_DAYS = 30
"""The longest window AWS allows: the most time to notice and cancel a scheduled key deletion."""
MAX_ROTATION_DAYS = 365
"""Yearly rotation (AWS's default period; `rotationPeriodInDays` may lengthen it up to 2560)."""
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


# -- which key a resource names ---------------------------------------------------------------------------


def aws_managed(key_id: Any) -> bool:
    """True for an AWS managed key named by alias: `alias/aws/s3`, `aws/s3` or an alias ARN of one."""
    return isinstance(key_id, str) and ("alias/aws/" in key_id or key_id.startswith("aws/"))


def _identifiers(index: Index) -> set[str]:
    keys = list(index.of_type(*STACK_KEYS))
    names: set[str] = set()
    for key in keys:
        names.update(v for v in (key.get("arn"), key.get("id"), key.get("keyId")) if isinstance(v, str))
    key_urns = {k.urn for k in keys}
    for alias in index.of_type(ALIAS):
        target = alias.get("targetKeyId")
        by_dep = bool(key_urns & set(alias.property_dependencies.get("targetKeyId", ())))
        if by_dep or (isinstance(target, str) and target in names):
            names.update(v for v in (alias.get("name"), alias.get("arn")) if isinstance(v, str))
    names.discard(UNKNOWN)
    return names


def key_of_stack(owner: Resource, prop: str, value: Any, index: Index) -> bool:
    """True when `value` (the `prop` of `owner`, a dotted path) names a KMS key of the plan: by value (its
    ARN, ID or alias), or, while the value is unknown, by a property dependency on a key or alias. Raises
    `UnknownValue` for an unknown value that depends on no key."""
    if isinstance(value, str) and value is not UNKNOWN:
        return value in _identifiers(index)
    if value is UNKNOWN:
        deps = set(owner.property_dependencies.get(prop.split(".")[0], ()))
        if deps & {r.urn for r in index.of_type(*STACK_KEYS, ALIAS)}:
            return True
        raise UnknownValue(owner.label, prop)
    return False


def _unset(key_id: Any) -> bool:
    """No key named (None or ""); an unknown value is set, and judged by its dependencies."""
    return key_id is None or key_id == ""


def foreign_account(index: Index, value: Any) -> str | None:
    """The account a key ARN names when it is outside the perimeter (`*` for a wildcard), else None.
    None as well when no perimeter is configured: callers judge such keys by other means."""
    account = account_of(value)
    if account is None or not index.context.perimeter_configured:
        return None
    if account == "*" or not inside(index.context, account):
        return account
    return None


def key_problem(
    owner: Resource, prop: str, value: Any, index: Index, *, stack_only: bool, shown: str = ""
) -> str | None:
    """Why the key `value` (at `prop` of `owner`) is not a customer managed key the bank controls, or None.

    `stack_only`: the key must be one of the plan; otherwise a key ARN (`arn:aws:kms:...:key/...`) of an
    account inside the perimeter is accepted too (a central key of the bank). `shown`: how the message
    names the property (default `prop`)."""
    shown = shown or prop
    if aws_managed(value):
        return f"uses the AWS managed key {value} in {shown}, not a customer managed key"
    if key_of_stack(owner, prop, value, index):
        return None
    outside = foreign_account(index, value)
    if outside is not None:
        return f"uses the KMS key {value} in {shown}, of account {outside} outside the perimeter"
    account = account_of(value)
    if not stack_only and account is not None and ":key/" in str(value) and inside(index.context, account):
        return None
    where = "no KMS key of this stack" if stack_only else "no KMS key of this stack nor a key ARN"
    return f"names {value} in {shown}, which is {where} (a customer managed key is required)"


# -- keys -------------------------------------------------------------------------------------------------


def _rotation(subject: Resource, index: Index) -> Iterator[str]:
    if subject.type == REPLICA_KEY:
        primary = subject.get("primaryKeyArn")
        if not key_of_stack(subject, "primaryKeyArn", primary, index):
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


def policy_exposure(subject: Resource, index: Index, what: str) -> Iterator[str]:
    """One message per Allow statement of `subject`'s `policy` that reaches outside the perimeter."""
    policy = subject.known("policy")
    if policy is None:
        return
    try:
        document = policy_document(policy)
    except PolicyDocumentError as exc:
        yield f"{what} of {subject.label} {exc}"
        return
    for i, statement in enumerate(statements(document)):
        sid = statement.get("Sid")
        named = f" ({sid})" if sid else ""
        for reason in exposure(index.context, statement):
            yield f"{what} of {subject.label} statement {i}{named} {reason}"


def _key_policy(subject: Resource, index: Index) -> Iterator[str]:
    yield from policy_exposure(subject, index, "key policy")


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
    if not key_of_stack(subject, "keyId", key_id, index):
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
        elif _unset(key_id):
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
        key_id = subject.get(prop)
        if _unset(key_id):
            yield f"{what} {subject.label} does not set {prop}"
            return
        problem = key_problem(subject, prop, key_id, index, stack_only=False)
        if problem:
            yield f"{what} {subject.label} {problem}"

    return predicate


def _training_keys(subject: Resource, index: Index) -> Iterator[str]:
    for prop in ("resourceConfig.volumeKmsKeyId", "outputDataConfig.kmsKeyId"):
        key_id = subject.get(prop)
        if _unset(key_id):
            yield f"training job {subject.label} does not set {prop}"
            continue
        problem = key_problem(subject, prop, key_id, index, stack_only=False)
        if problem:
            yield f"training job {subject.label} {problem}"


def _topic_policy(subject: Resource, index: Index) -> Iterator[str]:
    yield from policy_exposure(subject, index, "topic policy")


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
