"""Encryption controls: baseline compliant, each way to break them, not applicable."""

from __future__ import annotations

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    doc,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from policies.controls.encryption import (
    BUCKET,
    BUCKET_SSE,
    DOMAIN,
    KEY,
    KEY_POLICY,
    LOG_GROUP,
    NOTEBOOK,
    TOPIC,
    TRAINING_JOB,
)

KEY_ARN = "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
root = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*",
    "Resource": "*",
}
key = res(KEY, "data-key", enableKeyRotation=True, deletionWindowInDays=30, policy=doc(root))
bucket = res(BUCKET, "data", bucket="data-1234")


def sse(algorithm: str = "aws:kms", key_id: str | None = KEY_ARN, name: str = "data-sse") -> object:
    default = {"sseAlgorithm": algorithm} | ({"kmsMasterKeyId": key_id} if key_id else {})
    return res(
        BUCKET_SSE,
        name,
        deps={"bucket": [bucket]},
        bucket="data-1234",
        rules=[{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}],
    )


SPECS: dict[str, Spec] = {
    "SR-ENC-001": Spec(
        baseline=[key],
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
                    }
                ),
            ),
        ],
        breaks=[
            Break(
                "aws-star",
                [
                    res(
                        KEY,
                        "k",
                        policy=doc(
                            root,
                            {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"},
                        ),
                    )
                ],
                "k",
                ["key policy of 'k' statement 1 (Open) allows principal '*' without a condition"],
            ),
            Break(
                "key-policy-star",
                [res(KEY_POLICY, "kp", policy=doc({"Effect": "Allow", "Principal": "*", "Action": "kms:*"}))],
                "kp",
                ["key policy of 'kp' statement 0 allows principal '*' without a condition"],
            ),
            Break(
                "not-json",
                [res(KEY, "k", policy="not json")],
                "k",
                ["key policy of 'k' is not valid JSON (Expecting value at character 0)"],
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
        ],
        not_applicable=[bucket],
    ),
    "SR-ENC-004": Spec(
        baseline=[bucket, sse()],
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
                ["bucket 'data' uses the AWS managed key alias/aws/s3, not a customer managed key"],
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
        baseline=[res(LOG_GROUP, "lg", kmsKeyId=KEY_ARN, retentionInDays=90)],
        breaks=[Break("unset", [res(LOG_GROUP, "lg")], "lg", ["log group 'lg' does not set kmsKeyId"])],
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
            )
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
        ],
        not_applicable=[res(NOTEBOOK, "nb")],
    ),
}
