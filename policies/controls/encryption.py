"""Encryption at rest with customer-managed KMS keys: keys, grants, buckets, logs, topics and SageMaker.

A resource's key is judged by what it names, not by how it is spelled, with `policies.references`: a key
of the stack (its ARN, ID or an alias of it; a property dependency on one only while the value is unknown)
is the bank's own; an AWS managed alias (`alias/aws/s3`, `arn:aws:kms:...:alias/aws/s3`) is not; a key ARN
of an account outside the perimeter is not. Key, grant and topic policies are judged with
`policies.perimeter.exposure`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping
from typing import Any

from strongroom.policies import iamdb
from strongroom.policies.iamsim import arn_like
from strongroom.policies.model import Control, Predicate
from strongroom.policies.perimeter import CannotJudge, account_of, inside, principal_entries
from strongroom.policies.props import (
    UNKNOWN,
    Index,
    PolicyDocumentError,
    Resource,
    UnknownValue,
    as_list,
    get,
    is_true,
    policy_document,
    statements,
)
from strongroom.policies.references import (
    KEY,
    REPLICA_KEY,
    dependencies,
    key_findings,
    key_of_plan,
    key_problem,
    policy_exposure,
)

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


# -- key policy statements for principals (SR-ENC-040) ----------------------------------------------------

_KMS_ALL = iamdb.expand("kms:*")
_GRANT_ACTIONS = frozenset({"kms:CreateGrant"})
_USE = re.compile(
    r"^kms:(Decrypt|Encrypt|GenerateDataKey.*|ReEncrypt.*|Sign|Verify|GenerateMac|VerifyMac|"
    r"DeriveSharedSecret)$"
)
_USE_ACTIONS = frozenset(a for a in _KMS_ALL if _USE.match(a))
_ADMIN_ACTIONS = frozenset(
    a
    for a in _KMS_ALL
    if iamdb.access_level(a) in ("Write", "Permissions management", "Tagging")
    and a not in _USE_ACTIONS
    and a not in _GRANT_ACTIONS
    and a not in ("kms:CreateKey", "kms:GenerateRandom")
    and "CustomKeyStore" not in a
)
"""Key administration: every KMS action that changes the key, its policy, aliases, tags or grants, other
than use and CreateGrant (judged on their own)."""
_SIGN_VERIFY_ACTIONS = frozenset({"kms:Sign", "kms:Verify"})
SIGN_VERIFY = "SIGN_VERIFY"
_VIA_SERVICE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$")
_ROOT = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::(\d{12}):root$")
_DEFAULT_POLICY = (
    "has no key policy, so AWS's default applies: the account root gets kms:* with no kms:CallerAccount "
    "or kms:ViaService condition"
)


def _kms_actions(statement: Mapping[str, Any]) -> frozenset[str]:
    """The KMS actions an Allow statement grants, by meaning (wildcards and NotAction expanded)."""
    if "NotAction" in statement:
        return _KMS_ALL - iamdb.expand_all(str(a) for a in as_list(statement.get("NotAction")))
    found: set[str] = set()
    for action in as_list(statement.get("Action")):
        found |= _KMS_ALL if str(action) == "*" else iamdb.expand(str(action))
    return frozenset(found)


def _condition(statement: Mapping[str, Any], operators: tuple[str, ...], key: str) -> list[Any] | None:
    """The values of condition `key` under one of `operators` (exact, case-insensitive), None if absent."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return None
    for operator, block in condition.items():
        if str(operator).lower() not in operators or not isinstance(block, Mapping):
            continue
        for name, values in block.items():
            if str(name).lower() == key:
                return as_list(values)
    return None


def _home_account(document: Mapping[str, Any], trusted: frozenset[str]) -> str | None:
    """The key's own account: the one account whose root the policy names (a key policy delegates to its
    own account's IAM), or, when it names several, the one of them inside the perimeter; None when it
    names no root."""
    roots = {
        match.group(2)
        for statement in statements(document)
        for kind, value in principal_entries(statement)
        if kind == "AWS" and (match := _ROOT.match(value))
    }
    if len(roots) > 1:
        inside_roots = roots & trusted
        if len(inside_roots) != 1:
            raise CannotJudge(
                f"the key policy names the roots of several accounts ({', '.join(sorted(roots))}), so the "
                "key's own account can't be told"
            )
        return next(iter(inside_roots))
    return next(iter(roots), None)


def _show_actions(actions: frozenset[str]) -> str:
    listed = sorted(actions)
    return ", ".join(listed[:3]) + (f" and {len(listed) - 3} more" if len(listed) > 3 else "")


def _statement_problems(
    statement: Mapping[str, Any], home: str | None, *, signing: bool = False
) -> Iterator[str]:
    principals = [(kind, value) for kind, value in principal_entries(statement) if kind in ("AWS", "*")]
    if statement.get("Effect") != "Allow" or not principals:
        return
    if "NotPrincipal" in statement:
        yield "allows NotPrincipal (every principal but the ones named)"
        return
    actions = _kms_actions(statement)
    if not actions:
        return
    admin, grant, use = actions & _ADMIN_ACTIONS, actions & _GRANT_ACTIONS, actions & _USE_ACTIONS
    if signing:
        # A signature is made and checked by KMS itself: no service owns it (kms:ViaService can't apply).
        use -= _SIGN_VERIFY_ACTIONS
    callers = _condition(statement, ("stringequals",), "kms:calleraccount")
    if home is None:
        # No root names the key's account: only what needs no account can be judged.
        if not callers:
            yield "allows AWS principals with no kms:CallerAccount condition (StringEquals)"
        elif admin or grant:
            raise CannotJudge(
                "the key policy names no account root, so whether kms:CallerAccount is the key's own "
                "account can't be judged"
            )
    else:
        in_account = bool(callers) and all(v == home for v in callers or ())
        if not in_account:
            yield f"allows AWS principals with no kms:CallerAccount = {home} condition (StringEquals)"
        if admin or grant:
            what = " and ".join(
                part
                for part in (_show_actions(admin) if admin else "", "kms:CreateGrant" if grant else "")
                if part
            )
            for _kind, value in principals:
                account = account_of(value)
                if account != home and not (account == "*" and in_account):
                    named = f"of account {account}" if account else "naming no account"
                    yield f"admits principal '{value}' {named}, not the key's account {home}, to {what}"
    if grant:
        flags = _condition(statement, ("bool",), "kms:grantisforawsresource")
        if not flags or not all(is_true(v) for v in flags):
            yield "allows kms:CreateGrant without the condition Bool kms:GrantIsForAWSResource = true"
    if use:
        vias = _condition(statement, ("stringequals",), "kms:viaservice")
        if not vias or not all(isinstance(v, str) and _VIA_SERVICE.match(v) for v in vias):
            yield (
                f"allows use ({_show_actions(use)}) without an exact kms:ViaService condition naming the "
                "services that own the data"
            )


def _key_policy_statements(subject: Resource, index: Index) -> Iterator[str]:
    what = "key policy" if subject.type == KEY_POLICY else "KMS key"
    raw = subject.get("policy")
    if raw is UNKNOWN:
        raise UnknownValue(subject.label, "policy")
    if raw in (None, ""):
        if subject.type == KEY_POLICY or not any(
            subject.urn in dependencies(kp, "keyId") for kp in index.of_type(KEY_POLICY)
        ):
            problem = "sets no policy" if subject.type == KEY_POLICY else _DEFAULT_POLICY
            yield f"{what} {subject.label} {problem}"
        return
    try:
        document = policy_document(raw)
    except PolicyDocumentError as exc:
        yield f"{what} {subject.label} policy {exc}"
        return
    home = _home_account(document, index.context.trusted_accounts)
    signing = subject.type == KEY and subject.known("keyUsage") == SIGN_VERIFY
    for i, statement in enumerate(statements(document)):
        sid = statement.get("Sid")
        named = f" ({sid})" if sid else ""
        for problem in _statement_problems(statement, home, signing=signing):
            yield f"{what} {subject.label} statement {i}{named} {problem}"


# -- the manifest signing key (SR-ENC-042) ----------------------------------------------------------------

ROLE = "aws:iam/role:Role"
DUTY_TAG = "strongroom:duty"
SIGNER_DUTIES = ("training", "deployer")
"""Duties (tag `strongroom:duty`) of the roles that may sign manifests: the training role and the CI
deployer."""
_ASYMMETRIC = re.compile(r"^(RSA_\d+|ECC_[A-Z0-9_]+|SM2)$")
_NOT_PRINCIPAL_ARN = ("arnnotlike", "arnnotequals", "stringnotlike", "stringnotequals")


def _signing_key(subject: Resource, _index: Index) -> bool:
    return subject.known("keyUsage") == SIGN_VERIFY


def _signer_patterns(document: Mapping[str, Any]) -> list[str] | None:
    """The aws:PrincipalArn values of an explicit Deny of kms:Sign to every principal but those (Principal
    '*', no other condition); None when the policy has no such Deny."""
    for statement in statements(document):
        if statement.get("Effect") != "Deny" or "NotPrincipal" in statement:
            continue
        if ("*", "*") not in principal_entries(statement) and ("AWS", "*") not in principal_entries(
            statement
        ):
            continue
        if "kms:Sign" not in _kms_actions(statement):
            continue
        condition = statement.get("Condition")
        if not isinstance(condition, Mapping) or len(condition) != 1:
            continue
        ((operator, block),) = condition.items()
        if str(operator).lower() not in _NOT_PRINCIPAL_ARN or not isinstance(block, Mapping):
            continue
        if [str(k).lower() for k in block] != ["aws:principalarn"]:
            continue
        values = [str(v) for v in as_list(next(iter(block.values())))]
        if values:
            return values
    return None


_RoleArns = tuple[tuple[tuple[Resource, Any], ...], tuple[str, ...], tuple[int, ...]]


def _role_arns(index: Index) -> _RoleArns:
    """Every role of the plan with its ARN (raises UnknownValue for the first whose ARN is unknown), the
    string ARNs sorted, and where each of those roles is in the first."""
    roles = tuple((role, role.known("arn")) for role in index.of_type(ROLE))
    ordered = sorted((arn, i) for i, (_, arn) in enumerate(roles) if isinstance(arn, str))
    return roles, tuple(arn for arn, _ in ordered), tuple(i for _, i in ordered)


def _roles_like(roles: _RoleArns, pattern: str) -> list[tuple[Resource, Any]]:
    """The (role, ARN) whose ARN is a string `arn_like` the pattern, in the plan's order."""
    every, arns, positions = roles
    # An ARN `arn_like` matches starts with the pattern's text before its first wildcard (that text is
    # literal in its expression), so only the sorted range of ARNs with that prefix is tried: one key's
    # pattern no longer runs over the roles of every environment of the stack.
    prefix = re.split(r"[*?]", pattern, maxsplit=1)[0]
    hits: list[int] = []
    start = bisect.bisect_left(arns, prefix)
    while start < len(arns) and arns[start].startswith(prefix):
        if arn_like(arns[start], pattern):
            hits.append(positions[start])
        start += 1
    return [every[i] for i in sorted(hits)]


def _signing_key_policy(subject: Resource, index: Index) -> Iterator[str]:
    spec = subject.known("customerMasterKeySpec") or subject.known("keySpec") or "SYMMETRIC_DEFAULT"
    if not _ASYMMETRIC.match(str(spec)):
        yield f"signing key {subject.label} has key spec {spec}, not an asymmetric (RSA, ECC or SM2) key"
    raw = subject.get("policy")
    if raw is UNKNOWN:
        raise UnknownValue(subject.label, "policy")
    try:
        document = policy_document(raw) if raw not in (None, "") else None
    except PolicyDocumentError as exc:
        yield f"signing key {subject.label} policy {exc}"
        return
    patterns = _signer_patterns(document) if document is not None else None
    if patterns is None:
        yield (
            f"signing key {subject.label} has no explicit Deny of kms:Sign to every principal (Principal "
            "'*') whose aws:PrincipalArn is not a signer role (ArnNotLike), so any IAM policy of the "
            "account may grant signing"
        )
        return
    # Once per index (a raising computation is not memoised: every key raises the same UnknownValue).
    roles: _RoleArns = index.memo("encryption:role-arns", lambda: _role_arns(index))
    for pattern in patterns:
        matched = _roles_like(roles, pattern)
        if not matched:
            yield f"signing key {subject.label} lets '{pattern}' sign, which is no role of this stack"
        for role, _arn in matched:
            tags = role.known("tags")
            duty = tags.get(DUTY_TAG) if isinstance(tags, Mapping) else None
            if duty is UNKNOWN:  # the role may or may not be a signer's
                raise UnknownValue(role.label, f"tags.{DUTY_TAG}")
            if duty not in SIGNER_DUTIES:
                yield (
                    f"signing key {subject.label} lets role {role.label} sign ('{pattern}'), whose "
                    f"{DUTY_TAG} is {duty or 'unset'}, not one of {', '.join(SIGNER_DUTIES)}"
                )


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
        enforced_in=frozenset({"preview", "checkov", "live"}),
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
        enforced_in=frozenset({"preview", "checkov", "live"}),
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
        enforced_in=frozenset({"preview", "checkov", "live"}),
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
        enforced_in=frozenset({"preview", "checkov", "live"}),
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
        enforced_in=frozenset({"preview", "checkov", "live"}),
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
        enforced_in=frozenset({"preview", "checkov", "live"}),
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
        id="SR-ENC-040",
        enforced_in=frozenset({"preview", "live"}),
        title="Key policies keep administration and grants in-account and use behind the owning services",
        severity="high",
        enforcement="mandatory",
        resource_types=(KEY, REPLICA_KEY, KEY_POLICY),
        rationale=(
            "KMS administration calls only work in-account but kms:CreateGrant works across accounts: a "
            "key administrator of another account can grant itself decryption. A root (IAM delegation) "
            "statement without kms:CallerAccount, or use without kms:ViaService, lets any IAM policy "
            "decrypt the data directly, outside the services (S3, SageMaker, ...) whose own controls guard "
            "it."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-6", "SC-12")},
        framework_note="FSBP KMS.1/KMS.2 judge IAM policies' decrypt actions, not key policies' conditions.",
        remediation=(
            "Use components/policydocs/kms.py: admin actions only with kms:CallerAccount = the key's account "
            "for principals of that account; kms:CreateGrant only with Bool kms:GrantIsForAWSResource = "
            "true; use only with kms:ViaService = <service>.<region>.amazonaws.com."
        ),
        predicate=_key_policy_statements,
        tags=("encryption", "kms", "perimeter"),
    ),
    Control(
        id="SR-ENC-042",
        title="Manifests are signed by an asymmetric key only the training and CI roles may use to sign",
        severity="high",
        enforcement="mandatory",
        resource_types=(KEY,),
        scope="stack",
        applies=_signing_key,
        applicability="KMS keys with keyUsage SIGN_VERIFY (the KeyRing's manifest signing key)",
        rationale=(
            "A model's manifest records its checksum and lineage; a signature only proves them if no one "
            "but the roles that produce artifacts (training, CI) can sign, while everyone can verify."
        ),
        frameworks={"NIST-800-53-r5": ("SI-7", "SI-7(6)", "SC-12", "AC-6")},
        framework_note="No CIS or FSBP control covers signing keys' signers.",
        remediation=(
            "Use KeyRing(signer_role_names=...): an ECC_NIST_P256 SIGN_VERIFY key whose policy denies "
            "kms:Sign to Principal '*' unless aws:PrincipalArn is (ArnNotLike) a role tagged "
            "strongroom:duty=training or deployer."
        ),
        predicate=_signing_key_policy,
        enforced_in=frozenset({"preview", "live"}),
        tags=("encryption", "kms", "integrity"),
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
