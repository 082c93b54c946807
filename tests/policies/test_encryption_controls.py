"""Encryption controls: baseline compliant, each way to break them, not applicable."""

from __future__ import annotations

from typing import Any

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    doc,
    messages_for,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
    urn,
)

from strongroom.components.policydocs.kms import key_policy_json, signing_key_policy_json
from strongroom.policies.controls.encryption import (
    BUCKET,
    BUCKET_SSE,
    CUSTOM_KEY_STORE,
    DOMAIN,
    EXTERNAL_KEY,
    GRANT,
    KEY,
    KEY_POLICY,
    LOG_GROUP,
    NOTEBOOK,
    REPLICA_EXTERNAL_KEY,
    REPLICA_KEY,
    TOPIC,
    TOPIC_POLICY,
    TRAINING_JOB,
)
from strongroom.policies.props import Context, Resource
from strongroom.policies.references import ALIAS

KEY_ARN = "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for a string unknown during preview (a key ARN before the key exists)."""
FOREIGN_KEY_ARN = "arn:aws:kms:eu-west-2:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MANAGED_ALIAS_ARN = "arn:aws:kms:eu-west-2:123456789012:alias/aws/s3"
root = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*",
    "Resource": "*",
}
key = res(
    KEY,
    "data-key",
    enableKeyRotation=True,
    deletionWindowInDays=30,
    policy=doc(root),
    arn=KEY_ARN,
    keyId="1234abcd-12ab-34cd-56ef-1234567890ab",
)
alias = Resource(
    ALIAS,
    urn(ALIAS, "data-alias"),
    "data-alias",
    {"name": "alias/data", "targetKeyId": "1234"},
    property_dependencies={"targetKeyId": (key.urn,)},
)
"""An alias's `name` prop collides with `res`'s name argument, so it is built directly."""
bucket = res(BUCKET, "data", bucket="data-1234")
open_statement = {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"}
SERVICE = (
    "allows service principal '%s' with no condition confining the resource it acts for to the perimeter "
    "(aws:SourceAccount, aws:SourceOrgID or aws:SourceArn with StringEquals or ArnLike), so it acts for any "
    "account (confused deputy)"
)
STAR = (
    "allows principal '*' with no condition confining callers to the perimeter (aws:PrincipalAccount, "
    "aws:PrincipalOrgID, aws:SourceVpce, ... with StringEquals)"
)


def sse(
    algorithm: str = "aws:kms", key_id: str | None = KEY_ARN, name: str = "data-sse", of: Resource = bucket
) -> Resource:
    default = {"sseAlgorithm": algorithm} | ({"kmsMasterKeyId": key_id} if key_id else {})
    return res(
        BUCKET_SSE,
        name,
        deps={"bucket": [of]},
        bucket=of.props["bucket"],
        rules=[{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}],
    )


def grant(name: str = "g", **props: object) -> Resource:
    base = {
        "keyId": KEY_ARN,
        "granteePrincipal": "arn:aws:iam::123456789012:role/app",
        "operations": ["Decrypt"],
    }
    return res(GRANT, name, **(base | props))


def keyed(type_: str, name: str, prop: str, value: str) -> Resource:
    return res(type_, name, **{prop: value})


SPECS: dict[str, Spec] = {
    "SR-ENC-001": Spec(
        baseline=[key, res(KEY, "k2", enableKeyRotation=True, rotationPeriodInDays=90)],
        breaks=[
            Break(
                "unset",
                [res(KEY, "k")],
                "k",
                ["KMS key 'k' does not set enableKeyRotation=true (default false)"],
            ),
            Break(
                "false",
                [res(KEY, "k", enableKeyRotation=False)],
                "k",
                ["KMS key 'k' does not set enableKeyRotation=true (default false)"],
            ),
            Break(
                "ten-year-period",
                [res(KEY, "k", enableKeyRotation=True, rotationPeriodInDays=2560)],
                "k",
                ["KMS key 'k' rotates every 2560 days (rotationPeriodInDays); at most 365 is allowed"],
            ),
            Break(
                "replica-of-unknown-primary",
                [res(REPLICA_KEY, "r", primaryKeyArn=FOREIGN_KEY_ARN)],
                "r",
                [
                    f"replica key 'r' replicates {FOREIGN_KEY_ARN}, which is no KMS key of this stack, "
                    "so its rotation can't be judged"
                ],
            ),
        ],
        not_applicable=[res(KEY, "signing", keySpec="ECC_NIST_P256", keyUsage="SIGN_VERIFY"), bucket],
    ),
    "SR-ENC-002": Spec(
        baseline=[
            key,
            res(
                KEY_POLICY,
                "kp",
                policy=doc(
                    {
                        "Sid": "Logs",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "logs.eu-west-2.amazonaws.com"},
                        "Action": "kms:Encrypt*",
                        "Condition": {
                            "ArnLike": {
                                "kms:EncryptionContext:aws:logs:arn": (
                                    "arn:aws:logs:eu-west-2:123456789012:log-group:*"
                                )
                            }
                        },
                    },
                ),
            ),
        ],
        breaks=[
            Break(
                "aws-star",
                [res(KEY, "k", policy=doc(root, open_statement))],
                "k",
                [f"key policy 'k' statement 1 (Open) {STAR}"],
            ),
            Break(
                "key-policy-star",
                [res(KEY_POLICY, "kp", policy=doc({"Effect": "Allow", "Principal": "*", "Action": "kms:*"}))],
                "kp",
                [f"key policy 'kp' statement 0 {STAR}"],
            ),
            Break(
                "logs-of-any-account",
                [
                    res(
                        KEY,
                        "k",
                        policy=doc(
                            root,
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "logs.eu-west-2.amazonaws.com"},
                                "Action": "kms:Encrypt*",
                                "Condition": {
                                    "ArnLike": {
                                        "kms:EncryptionContext:aws:logs:arn": (
                                            "arn:aws:logs:eu-west-2:*:log-group:*"
                                        )
                                    }
                                },
                            },
                        ),
                    )
                ],
                "k",
                [f"key policy 'k' statement 1 {SERVICE % 'logs.eu-west-2.amazonaws.com'}"],
            ),
            Break(
                "always-true-condition",
                [
                    res(
                        KEY,
                        "k",
                        policy=doc(
                            open_statement | {"Condition": {"StringLike": {"aws:PrincipalAccount": "*"}}}
                        ),
                    )
                ],
                "k",
                [f"key policy 'k' statement 0 (Open) {STAR}"],
            ),
            Break(
                "other-account-root",
                [
                    res(
                        REPLICA_KEY,
                        "r",
                        primaryKeyArn=KEY_ARN,
                        policy=doc(root | {"Principal": {"AWS": "arn:aws:iam::999999999999:root"}}),
                    )
                ],
                "r",
                [
                    "key policy 'r' statement 0 allows principal 'arn:aws:iam::999999999999:root' of "
                    "account 999999999999, outside the perimeter"
                ],
            ),
            Break(
                "bare-account-id",
                [res(EXTERNAL_KEY, "x", policy=doc(root | {"Principal": {"AWS": "999999999999"}}))],
                "x",
                [
                    "key policy 'x' statement 0 allows principal '999999999999' of account 999999999999, "
                    "outside the perimeter"
                ],
            ),
            Break(
                "not-principal",
                [
                    res(
                        REPLICA_EXTERNAL_KEY,
                        "x",
                        policy=doc({"Effect": "Allow", "NotPrincipal": {"AWS": KEY_ARN}, "Action": "kms:*"}),
                    )
                ],
                "x",
                ["key policy 'x' statement 0 allows NotPrincipal, i.e. every principal but the ones named"],
            ),
            Break(
                "not-json",
                [res(KEY, "k", policy="not json")],
                "k",
                ["key policy 'k' policy is not valid JSON (Expecting value at character 0)"],
            ),
        ],
        not_applicable=[bucket],
    ),
    "SR-ENC-003": Spec(
        baseline=[key, res(KEY, "default-window", enableKeyRotation=True)],
        breaks=[
            Break(
                "seven-days",
                [res(KEY, "k", deletionWindowInDays=7)],
                "k",
                ["KMS key 'k' has deletionWindowInDays=7; at least 30 is required"],
            ),
            Break(
                "replica-seven-days",
                [res(REPLICA_KEY, "r", primaryKeyArn=KEY_ARN, deletionWindowInDays=7)],
                "r",
                ["KMS key 'r' has deletionWindowInDays=7; at least 30 is required"],
            ),
        ],
        not_applicable=[bucket],
    ),
    "SR-ENC-004": Spec(
        baseline=[
            bucket,
            key,
            alias,
            sse(),
            res(BUCKET, "b2", bucket="b2"),
            sse(key_id="alias/data", name="b2-sse", of=res(BUCKET, "b2", bucket="b2")),
            res(
                BUCKET,
                "inline",
                bucket="inline-1",
                serverSideEncryptionConfiguration={
                    "rule": {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": KEY_ARN,
                        }
                    }
                },
            ),
        ],
        breaks=[
            Break(
                "missing",
                [bucket],
                "data",
                [
                    "bucket 'data' has no BucketServerSideEncryptionConfiguration, so S3 encrypts with its "
                    "own "
                    "SSE-S3 key"
                ],
            ),
            Break(
                "sse-s3",
                [bucket, sse("AES256", None)],
                "data",
                ["bucket 'data' default encryption is AES256, not aws:kms"],
            ),
            Break(
                "no-key",
                [bucket, sse("aws:kms", None)],
                "data",
                ["bucket 'data' uses aws:kms without kmsMasterKeyId, i.e. the AWS managed key aws/s3"],
            ),
            Break(
                "aws-managed",
                [bucket, sse("aws:kms", "alias/aws/s3")],
                "data",
                [
                    "bucket 'data' uses the AWS managed key alias/aws/s3 in kmsMasterKeyId, not a customer "
                    "managed key"
                ],
            ),
            Break(
                "aws-managed-by-arn",
                [bucket, key, sse("aws:kms", MANAGED_ALIAS_ARN)],
                "data",
                [
                    f"bucket 'data' uses the AWS managed key {MANAGED_ALIAS_ARN} in kmsMasterKeyId, not a "
                    "customer managed key"
                ],
            ),
            Break(
                "foreign-account-key",
                [bucket, key, sse("aws:kms", FOREIGN_KEY_ARN)],
                "data",
                [
                    f"bucket 'data' uses the KMS key {FOREIGN_KEY_ARN} in kmsMasterKeyId, of account "
                    "999999999999 outside the perimeter"
                ],
            ),
            Break(
                "key-not-in-stack",
                [bucket, sse("aws:kms", KEY_ARN)],
                "data",
                [
                    f"bucket 'data' names {KEY_ARN} in kmsMasterKeyId, which is no KMS key of this stack (a "
                    "customer managed key is required)"
                ],
            ),
            Break(
                "inline-weaker-than-companion",
                [
                    res(
                        BUCKET,
                        "data",
                        bucket="data-1234",
                        serverSideEncryptionConfiguration={
                            "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
                        },
                    ),
                    key,
                    sse(),
                ],
                "data",
                ["bucket 'data' default encryption is AES256, not aws:kms"],
            ),
            Break(
                "bucket-v2-inline",
                [
                    res(
                        BUCKET,
                        "data",
                        bucket="data-1234",
                        serverSideEncryptionConfigurations=[
                            {"rules": [{"applyServerSideEncryptionByDefaults": [{"sseAlgorithm": "AES256"}]}]}
                        ],
                    )
                ],
                "data",
                ["bucket 'data' default encryption is AES256, not aws:kms"],
            ),
            Break(
                "joined-by-value",
                [
                    bucket,
                    res(
                        BUCKET_SSE,
                        "other-sse",
                        bucket="data-1234",
                        rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
                    ),
                ],
                "data",
                ["bucket 'data' default encryption is AES256, not aws:kms"],
            ),
        ],
        not_applicable=[sse(), key],
    ),
    "SR-ENC-005": Spec(
        baseline=[
            res(LOG_GROUP, "lg", kmsKeyId=KEY_ARN, retentionInDays=90),
            key,
            res(LOG_GROUP, "lg2", deps={"kmsKeyId": [key]}, kmsKeyId=UNKNOWN_STRING),
        ],
        breaks=[
            Break("unset", [res(LOG_GROUP, "lg")], "lg", ["log group 'lg' does not set kmsKeyId"]),
            Break(
                "foreign-account",
                [keyed(LOG_GROUP, "lg", "kmsKeyId", FOREIGN_KEY_ARN)],
                "lg",
                [
                    f"log group 'lg' uses the KMS key {FOREIGN_KEY_ARN} in kmsKeyId, of account 999999999999 "
                    "outside the perimeter"
                ],
            ),
            Break(
                "bare-alias-not-in-stack",
                [keyed(LOG_GROUP, "lg", "kmsKeyId", "alias/somebody-else")],
                "lg",
                [
                    "log group 'lg' names alias/somebody-else in kmsKeyId, which is no KMS key of this stack "
                    "nor a key ARN (a customer managed key is required)"
                ],
            ),
        ],
        not_applicable=[key],
    ),
    "SR-ENC-006": Spec(
        baseline=[res(TOPIC, "alerts", kmsMasterKeyId=KEY_ARN)],
        breaks=[
            Break(
                "unset", [res(TOPIC, "alerts")], "alerts", ["SNS topic 'alerts' does not set kmsMasterKeyId"]
            ),
            Break(
                "aws-managed",
                [res(TOPIC, "alerts", kmsMasterKeyId="alias/aws/sns")],
                "alerts",
                [
                    "SNS topic 'alerts' uses the AWS managed key alias/aws/sns in kmsMasterKeyId, not a "
                    "customer managed key"
                ],
            ),
        ],
        not_applicable=[key],
    ),
    "SR-ENC-007": Spec(
        baseline=[res(DOMAIN, "studio", kmsKeyId=KEY_ARN)],
        breaks=[
            Break(
                "unset", [res(DOMAIN, "studio")], "studio", ["Studio domain 'studio' does not set kmsKeyId"]
            ),
            Break(
                "aws-managed-arn",
                [
                    keyed(
                        DOMAIN, "studio", "kmsKeyId", "arn:aws:kms:eu-west-2:123456789012:alias/aws/sagemaker"
                    )
                ],
                "studio",
                [
                    "Studio domain 'studio' uses the AWS managed key "
                    "arn:aws:kms:eu-west-2:123456789012:alias/aws/sagemaker in kmsKeyId, not a customer "
                    "managed key"
                ],
            ),
        ],
        not_applicable=[res(NOTEBOOK, "nb")],
    ),
    "SR-ENC-008": Spec(
        baseline=[res(NOTEBOOK, "nb", kmsKeyId=KEY_ARN)],
        breaks=[
            Break("unset", [res(NOTEBOOK, "nb")], "nb", ["notebook instance 'nb' does not set kmsKeyId"])
        ],
        not_applicable=[res(DOMAIN, "studio")],
    ),
    "SR-ENC-009": Spec(
        baseline=[
            res(
                TRAINING_JOB,
                "train",
                resourceConfig={"volumeKmsKeyId": KEY_ARN},
                outputDataConfig={"kmsKeyId": KEY_ARN, "s3OutputPath": "s3://models/out"},
            )
        ],
        breaks=[
            Break(
                "volume",
                [res(TRAINING_JOB, "train", outputDataConfig={"kmsKeyId": KEY_ARN})],
                "train",
                ["training job 'train' does not set resourceConfig.volumeKmsKeyId"],
            ),
            Break(
                "output",
                [res(TRAINING_JOB, "train", resourceConfig={"volumeKmsKeyId": KEY_ARN})],
                "train",
                ["training job 'train' does not set outputDataConfig.kmsKeyId"],
            ),
            Break(
                "foreign-output-key",
                [
                    res(
                        TRAINING_JOB,
                        "train",
                        resourceConfig={"volumeKmsKeyId": KEY_ARN},
                        outputDataConfig={"kmsKeyId": FOREIGN_KEY_ARN},
                    )
                ],
                "train",
                [
                    f"training job 'train' uses the KMS key {FOREIGN_KEY_ARN} in outputDataConfig.kmsKeyId, "
                    "of account 999999999999 outside the perimeter"
                ],
            ),
        ],
        not_applicable=[res(NOTEBOOK, "nb")],
    ),
    "SR-ENC-010": Spec(
        baseline=[
            key,
            grant(),
            grant(
                "svc",
                granteePrincipal="logs.eu-west-2.amazonaws.com",
                constraints=[{"encryptionContextSubset": {"aws:logs:arn": "x"}}],
            ),
        ],
        breaks=[
            Break(
                "other-account-with-create-grant",
                [
                    key,
                    grant(
                        granteePrincipal="arn:aws:iam::999999999999:root",
                        operations=["Decrypt", "CreateGrant"],
                    ),
                ],
                "g",
                [
                    "grant 'g' granteePrincipal arn:aws:iam::999999999999:root is of account 999999999999, "
                    "outside the perimeter and may CreateGrant for others"
                ],
            ),
            Break(
                "retiring-other-account",
                [key, grant(retiringPrincipal="arn:aws:iam::999999999999:role/r")],
                "g",
                [
                    "grant 'g' retiringPrincipal arn:aws:iam::999999999999:role/r is of account "
                    "999999999999, outside the perimeter"
                ],
            ),
            Break(
                "unconstrained-service",
                [key, grant(granteePrincipal="s3.amazonaws.com")],
                "g",
                [
                    "grant 'g' granteePrincipal is the service s3.amazonaws.com with no constraints "
                    "(encryption context), so it covers every caller of the service"
                ],
            ),
            Break(
                "key-not-in-stack",
                [grant()],
                "g",
                [f"grant 'g' is on {KEY_ARN}, which is no KMS key of this stack"],
            ),
        ],
        not_applicable=[key, bucket],
    ),
    "SR-ENC-011": Spec(
        baseline=[key, res(CUSTOM_KEY_STORE, "hsm", customKeyStoreType="AWS_CLOUDHSM")],
        breaks=[
            Break(
                "external-key",
                [res(EXTERNAL_KEY, "x")],
                "x",
                [
                    f"KMS key 'x' ({EXTERNAL_KEY}) uses imported key material, which AWS KMS can neither "
                    "rotate nor protect from expiry: use aws.kms.Key"
                ],
            ),
            Break(
                "replica-external-key",
                [res(REPLICA_EXTERNAL_KEY, "x", primaryKeyArn=KEY_ARN)],
                "x",
                [
                    f"KMS key 'x' ({REPLICA_EXTERNAL_KEY}) uses imported key material, which AWS KMS can "
                    "neither rotate nor protect from expiry: use aws.kms.Key"
                ],
            ),
            Break(
                "xks-store",
                [res(CUSTOM_KEY_STORE, "xks", customKeyStoreType="EXTERNAL_KEY_STORE")],
                "xks",
                [
                    "custom key store 'xks' is of type EXTERNAL_KEY_STORE: key material held outside AWS KMS "
                    "and CloudHSM is not allowed"
                ],
            ),
            Break(
                "xks-key",
                [res(KEY, "k", enableKeyRotation=True, xksKeyId="ext-1")],
                "k",
                ["KMS key 'k' sets xksKeyId: its key material lives in an external key store"],
            ),
        ],
        not_applicable=[bucket, res(GRANT, "g")],
    ),
    "SR-ENC-012": Spec(
        baseline=[
            res(TOPIC, "alerts", kmsMasterKeyId=KEY_ARN),
            res(
                TOPIC_POLICY,
                "tp",
                policy=doc(
                    root | {"Action": "sns:Publish"},
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
                    },
                ),
            ),
        ],
        breaks=[
            Break(
                "public-subscribe",
                [
                    res(
                        TOPIC_POLICY,
                        "tp",
                        policy=doc({"Effect": "Allow", "Principal": "*", "Action": "sns:Subscribe"}),
                    )
                ],
                "tp",
                [f"topic policy 'tp' statement 0 {STAR}"],
            ),
            Break(
                "inline-other-account",
                [
                    res(
                        TOPIC,
                        "alerts",
                        policy=doc(root | {"Principal": {"AWS": "arn:aws:iam::999999999999:root"}}),
                    )
                ],
                "alerts",
                [
                    "topic policy 'alerts' statement 0 allows principal "
                    "'arn:aws:iam::999999999999:root' of account 999999999999, outside the perimeter"
                ],
            ),
            Break(
                "eventbridge-of-any-account",
                [
                    res(
                        TOPIC_POLICY,
                        "tp",
                        policy=doc(
                            {
                                "Sid": "EventBridgePublishes",
                                "Effect": "Allow",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Action": "sns:Publish",
                            }
                        ),
                    )
                ],
                "tp",
                [f"topic policy 'tp' statement 0 (EventBridgePublishes) {SERVICE % 'events.amazonaws.com'}"],
            ),
            Break(
                "eventbridge-rules-of-another-account",
                [
                    res(
                        TOPIC_POLICY,
                        "tp",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Action": "sns:Publish",
                                "Condition": {
                                    "ArnLike": {
                                        "aws:SourceArn": "arn:aws:events:eu-west-2:999999999999:rule/*"
                                    }
                                },
                            }
                        ),
                    )
                ],
                "tp",
                [f"topic policy 'tp' statement 0 {SERVICE % 'events.amazonaws.com'}"],
            ),
        ],
        not_applicable=[key, bucket],
    ),
}


# -- SR-ENC-040 ------------------------------------------------------------------------------------------

_A = "123456789012"
_IN_ACCOUNT = {"StringEquals": {"kms:CallerAccount": _A}}
_ROOT_READS = root | {"Action": "kms:DescribeKey", "Condition": _IN_ACCOUNT}
_STRONGROOM_POLICY = key_policy_json(
    account_id=_A,
    partition="aws",
    region="eu-west-2",
    admin_arns=(f"arn:aws:iam::{_A}:role/strongroom-breakglass",),
    user_arns=(f"arn:aws:iam::{_A}:role/ml",),
    via_services=("s3",),
    services=("logs", "cloudtrail", "s3-logging"),
    account_via_services=("s3", "sagemaker"),
)
_SIGNERS = (f"arn:aws:iam::{_A}:role/strongroom/dev/sr-dev-roles-training-*",)
_SIGNING_POLICY = signing_key_policy_json(
    account_id=_A, partition="aws", region="eu-west-2", signer_arns=_SIGNERS
)
_NO_CALLER = f"allows AWS principals with no kms:CallerAccount = {_A} condition (StringEquals)"
_NO_FLAG = "allows kms:CreateGrant without the condition Bool kms:GrantIsForAWSResource = true"
_USE_ALL = (
    "allows use (kms:Decrypt, kms:DeriveSharedSecret, kms:Encrypt and 10 more) without an exact "
    "kms:ViaService condition naming the services that own the data"
)


def _kms_key(*statements: dict[str, Any], type_: str = KEY) -> Resource:
    return res(type_, "k", enableKeyRotation=True, policy=doc(*statements))


SPECS["SR-ENC-040"] = Spec(
    baseline=[
        res(KEY, "k", enableKeyRotation=True, policy=_STRONGROOM_POLICY),
        res(KEY_POLICY, "kp", keyId="1234", policy=_STRONGROOM_POLICY),
        # A key whose policy is a separate KeyPolicy resource of the stack.
        res(KEY, "bare", enableKeyRotation=True),
        res(KEY_POLICY, "bare-policy", deps={"keyId": [res(KEY, "bare")]}, policy=_STRONGROOM_POLICY),
        # The manifest signing key: KMS signs and verifies itself, no service to name in kms:ViaService.
        res(
            KEY,
            "signing",
            keyUsage="SIGN_VERIFY",
            customerMasterKeySpec="ECC_NIST_P256",
            policy=_SIGNING_POLICY,
        ),
    ],
    breaks=[
        Break(
            "sign-and-verify-unconfined-on-an-encryption-key",
            [res(KEY, "k", enableKeyRotation=True, policy=_SIGNING_POLICY)],
            "k",
            [
                "KMS key 'k' statement 1 (AccountVerifies) allows use (kms:Verify) without an exact "
                "kms:ViaService condition naming the services that own the data",
                "KMS key 'k' statement 2 (SignersSign) allows use (kms:Sign) without an exact "
                "kms:ViaService condition naming the services that own the data",
            ],
        ),
        Break(
            "aws-default-root-kms-star",
            [_kms_key(root)],
            "k",
            [f"KMS key 'k' statement 0 {m}" for m in (_NO_CALLER, _NO_FLAG, _USE_ALL)],
        ),
        Break(
            "no-policy-is-the-aws-default",
            [res(KEY, "k", enableKeyRotation=True)],
            "k",
            [
                "KMS key 'k' has no key policy, so AWS's default applies: the account root gets kms:* "
                "with no kms:CallerAccount or kms:ViaService condition"
            ],
        ),
        Break(
            "cross-account-admin-create-wildcard-reaches-create-grant",
            [
                _kms_key(
                    _ROOT_READS,
                    {
                        "Sid": "Admins",
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::333333333333:role/admin"},
                        "Action": ["kms:Create*", "kms:Describe*"],
                        "Resource": "*",
                        "Condition": _IN_ACCOUNT,
                    },
                )
            ],
            "k",
            [
                "KMS key 'k' statement 1 (Admins) admits principal 'arn:aws:iam::333333333333:role/admin' of "
                f"account 333333333333, not the key's account {_A}, to kms:CreateAlias and kms:CreateGrant",
                f"KMS key 'k' statement 1 (Admins) {_NO_FLAG}",
            ],
        ),
        Break(
            "cross-account-admin-exact-actions",
            [
                _kms_key(
                    _ROOT_READS,
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": ["arn:aws:iam::333333333333:role/admin"]},
                        "Action": "kms:PutKeyPolicy",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"kms:CallerAccount": "333333333333"}},
                    },
                )
            ],
            "k",
            [
                f"KMS key 'k' statement 1 {_NO_CALLER}",
                "KMS key 'k' statement 1 admits principal 'arn:aws:iam::333333333333:role/admin' of account "
                f"333333333333, not the key's account {_A}, to kms:PutKeyPolicy",
            ],
        ),
        Break(
            "not-action-keeps-create-grant-and-use",
            [
                _kms_key(
                    {k: v for k, v in root.items() if k != "Action"}
                    | {"NotAction": ["kms:Decrypt"], "Condition": _IN_ACCOUNT}
                )
            ],
            "k",
            [
                f"KMS key 'k' statement 0 {_NO_FLAG}",
                "KMS key 'k' statement 0 allows use (kms:DeriveSharedSecret, kms:Encrypt, "
                "kms:GenerateDataKey and 9 more) without an exact kms:ViaService condition naming the "
                "services that own the data",
            ],
        ),
        Break(
            "wildcard-principal-on-a-replica-key",
            [
                _kms_key(
                    _ROOT_READS,
                    {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
                    type_=REPLICA_KEY,
                )
            ],
            "k",
            [
                f"KMS key 'k' statement 1 {_NO_CALLER}",
                f"KMS key 'k' statement 1 admits principal '*' of account *, not the key's account {_A}, to "
                "kms:CancelKeyDeletion, kms:CreateAlias, kms:DeleteAlias and 18 more and kms:CreateGrant",
                f"KMS key 'k' statement 1 {_NO_FLAG}",
                f"KMS key 'k' statement 1 {_USE_ALL}",
            ],
        ),
        Break(
            "caller-account-if-exists-does-not-confine",
            [
                _kms_key(
                    root
                    | {
                        "Action": "kms:PutKeyPolicy",
                        "Condition": {"StringEqualsIfExists": {"kms:CallerAccount": _A}},
                    }
                )
            ],
            "k",
            [f"KMS key 'k' statement 0 {_NO_CALLER}"],
        ),
        Break(
            "via-service-by-wildcard",
            [
                _kms_key(
                    root
                    | {
                        "Action": ["kms:Decrypt"],
                        "Condition": {
                            "StringEquals": {"kms:CallerAccount": _A},
                            "StringLike": {"kms:ViaService": "*.amazonaws.com"},
                        },
                    }
                )
            ],
            "k",
            [
                "KMS key 'k' statement 0 allows use (kms:Decrypt) without an exact kms:ViaService condition "
                "naming the services that own the data"
            ],
        ),
        Break(
            "grant-flag-as-string-equals",
            [
                _kms_key(
                    root
                    | {
                        "Action": "kms:CreateGrant",
                        "Condition": {
                            "StringEquals": {"kms:CallerAccount": _A, "kms:GrantIsForAWSResource": "true"}
                        },
                    }
                )
            ],
            "k",
            [f"KMS key 'k' statement 0 {_NO_FLAG}"],
        ),
        Break(
            "grant-flag-false",
            [
                _kms_key(
                    root
                    | {
                        "Action": "kms:CreateGrant",
                        "Condition": _IN_ACCOUNT | {"Bool": {"kms:GrantIsForAWSResource": "false"}},
                    }
                )
            ],
            "k",
            [f"KMS key 'k' statement 0 {_NO_FLAG}"],
        ),
        Break(
            "key-policy-resource-without-document",
            [res(KEY_POLICY, "k", keyId="1234")],
            "k",
            ["key policy 'k' sets no policy"],
        ),
    ],
    not_applicable=[bucket, res(GRANT, "g")],
)


def test_sr_enc_040_a_policy_naming_no_root_is_judged_as_far_as_it_can_be() -> None:
    from strongroom.policies.catalog import evaluate, get
    from strongroom.policies.props import Index

    wide = {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    findings = evaluate(get("SR-ENC-040"), Index([_kms_key(wide)], Context(stack="dev")))
    assert [f.message for f in findings] == [
        "KMS key 'k' statement 0 allows AWS principals with no kms:CallerAccount condition (StringEquals)",
        f"KMS key 'k' statement 0 {_NO_FLAG}",
        f"KMS key 'k' statement 0 {_USE_ALL}",
    ]
    admin = {**wide, "Action": "kms:PutKeyPolicy", "Condition": {"StringEquals": {"kms:CallerAccount": _A}}}
    findings = evaluate(get("SR-ENC-040"), Index([_kms_key(admin)], Context(stack="dev")))
    assert [f.unknown for f in findings] == [True]
    assert "names no account root" in findings[0].message


def test_sr_enc_040_several_roots_are_told_apart_by_the_perimeter() -> None:
    from strongroom.policies.catalog import evaluate, get
    from strongroom.policies.props import Index

    foreign = {**root, "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "kms:Decrypt"}
    stack = [_kms_key(_ROOT_READS, foreign)]
    assert messages_for(get("SR-ENC-040"), stack, "k") == [
        f"KMS key 'k' statement 1 {_NO_CALLER}",
        "KMS key 'k' statement 1 allows use (kms:Decrypt) without an exact kms:ViaService condition naming "
        "the services that own the data",
    ]
    perimeter = Context(stack="dev", trusted_accounts=frozenset({_A, "999999999999"}))
    findings = evaluate(get("SR-ENC-040"), Index(stack, perimeter))
    assert [f.unknown for f in findings] == [True]


def test_sr_enc_040_an_unknown_policy_is_not_a_pass() -> None:
    from strongroom.policies.catalog import evaluate, get
    from strongroom.policies.props import UNKNOWN, Index

    stack = [res(KEY, "k", enableKeyRotation=True, policy=UNKNOWN)]
    findings = evaluate(get("SR-ENC-040"), Index(stack, Context(stack="dev")))
    assert [f.unknown for f in findings] == [True]


def test_perimeter_not_configured_is_a_finding_not_a_pass() -> None:
    from strongroom.policies.catalog import evaluate, get
    from strongroom.policies.props import Index

    stack = [res(KEY, "k", enableKeyRotation=True, policy=doc(root))]
    findings = evaluate(get("SR-ENC-002"), Index(stack, Context(stack="dev")))
    assert [f.unknown for f in findings] == [True]
    assert "no perimeter is configured" in findings[0].message


# -- SR-ENC-042 ------------------------------------------------------------------------------------------

_ROLE = "aws:iam/role:Role"
_ROLES = f"arn:aws:iam::{_A}:role/strongroom/dev/"
_TRAINING_SIGNER = f"{_ROLES}sr-dev-roles-training-*"
_DEPLOYER_SIGNER = f"{_ROLES}sr-dev-roles-deployer-*"


def _role(name: str, duty: str | None) -> Resource:
    tags = {"strongroom:duty": duty} if duty else {"Name": name}
    return res(_ROLE, name, arn=f"{_ROLES}{name}-1a2b3c4", tags=tags)


_SIGNER_ROLES = [
    _role("sr-dev-roles-training", "training"),
    _role("sr-dev-roles-deployer", "deployer"),
    _role("sr-dev-roles-data-scientist", "data-scientist"),
    _role("sr-dev-roles-auditor", None),
]


def _signing_key(*signers: str, spec: str = "ECC_NIST_P256", policy: str | None = None) -> Resource:
    if policy is None:
        policy = signing_key_policy_json(
            account_id=_A, partition="aws", region="eu-west-2", signer_arns=signers
        )
    return res(KEY, "signing", keyUsage="SIGN_VERIFY", customerMasterKeySpec=spec, policy=policy)


_ALLOW_ROOT_SIGN = {**root, "Action": ["kms:Sign", "kms:Verify"], "Condition": _IN_ACCOUNT}

SPECS["SR-ENC-042"] = Spec(
    baseline=[_signing_key(_TRAINING_SIGNER, _DEPLOYER_SIGNER), *_SIGNER_ROLES],
    breaks=[
        Break(
            "symmetric-spec",
            [_signing_key(_TRAINING_SIGNER, spec="SYMMETRIC_DEFAULT"), *_SIGNER_ROLES],
            "signing",
            ["signing key 'signing' has key spec SYMMETRIC_DEFAULT, not an asymmetric (RSA, ECC or SM2) key"],
        ),
        Break(
            "no-deny-any-iam-policy-may-sign",
            [_signing_key(policy=doc(_ALLOW_ROOT_SIGN)), *_SIGNER_ROLES],
            "signing",
            [
                "signing key 'signing' has no explicit Deny of kms:Sign to every principal (Principal '*') "
                "whose aws:PrincipalArn is not a signer role (ArnNotLike), so any IAM policy of the account "
                "may grant signing"
            ],
        ),
        Break(
            "deny-with-a-second-condition-confines-nothing-in-general",
            [
                _signing_key(
                    policy=doc(
                        _ALLOW_ROOT_SIGN,
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "kms:Sign",
                            "Resource": "*",
                            "Condition": {
                                "ArnNotLike": {"aws:PrincipalArn": [_TRAINING_SIGNER]},
                                "Bool": {"aws:ViaAWSService": "false"},
                            },
                        },
                    )
                ),
                *_SIGNER_ROLES,
            ],
            "signing",
            [
                "signing key 'signing' has no explicit Deny of kms:Sign to every principal (Principal '*') "
                "whose aws:PrincipalArn is not a signer role (ArnNotLike), so any IAM policy of the account "
                "may grant signing"
            ],
        ),
        Break(
            "every-role-of-the-path-signs",
            [_signing_key(f"{_ROLES}*"), *_SIGNER_ROLES],
            "signing",
            [
                "signing key 'signing' lets role 'sr-dev-roles-data-scientist' sign "
                f"('{_ROLES}*'), whose strongroom:duty is data-scientist, not one of training, deployer",
                f"signing key 'signing' lets role 'sr-dev-roles-auditor' sign ('{_ROLES}*'), whose "
                "strongroom:duty is unset, not one of training, deployer",
            ],
        ),
        Break(
            "a-single-character-wildcard-reaches-a-role-without-the-duty",
            [_signing_key(_TRAINING_SIGNER, f"{_ROLES}sr-dev-roles-?uditor-*"), *_SIGNER_ROLES],
            "signing",
            [
                "signing key 'signing' lets role 'sr-dev-roles-auditor' sign "
                f"('{_ROLES}sr-dev-roles-?uditor-*'), whose strongroom:duty is unset, not one of training, "
                "deployer"
            ],
        ),
        Break(
            "a-signer-outside-the-stack",
            [_signing_key(_TRAINING_SIGNER, f"arn:aws:iam::{_A}:role/ci-elsewhere"), *_SIGNER_ROLES],
            "signing",
            [
                f"signing key 'signing' lets 'arn:aws:iam::{_A}:role/ci-elsewhere' sign, which is no role of "
                "this stack"
            ],
        ),
    ],
    not_applicable=[key, res(KEY, "k2", enableKeyRotation=True, keyUsage="ENCRYPT_DECRYPT"), bucket],
)


def test_sr_enc_042_an_unknown_policy_is_not_a_pass() -> None:
    from strongroom.policies.catalog import evaluate, get
    from strongroom.policies.props import UNKNOWN, Index

    stack = [_signing_key(policy=UNKNOWN), *_SIGNER_ROLES]
    findings = evaluate(get("SR-ENC-042"), Index(stack, Context(stack="dev")))
    assert [f.unknown for f in findings] == [True]
