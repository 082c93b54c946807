"""Bucket policy and replication role JSON: every statement and condition exact, bad input refused."""

from __future__ import annotations

from typing import Any

import pytest

from components.policydocs.bucket import bucket_policy, replication_role_policy, replication_trust_policy

ACCOUNT = "123456789012"
ARN = "arn:aws:s3:::strongroom-dev-data"
KEY = f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
VPCE = "vpce-0123456789abcdef0"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
BASE: dict[str, Any] = {
    "bucket_arn": ARN,
    "account_id": ACCOUNT,
    "kms_key_arn": KEY,
    "vpc_endpoint_ids": [VPCE],
    "exempt_principal_arns": [DEPLOYER],
}


def statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in policy["Statement"] if s["Sid"] == sid]
    assert len(found) == 1, f"statement {sid} missing or repeated"
    return found[0]


def test_denies_requests_without_tls() -> None:
    s = statement(bucket_policy(**BASE), "DenyInsecureTransport")
    assert (s["Effect"], s["Action"], s["Resource"]) == ("Deny", "s3:*", [ARN, f"{ARN}/*"])
    assert s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_denies_tls_below_1_2() -> None:
    s = statement(bucket_policy(**BASE), "DenyOutdatedTls")
    assert s["Effect"] == "Deny" and s["Resource"] == [ARN, f"{ARN}/*"]
    assert s["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}


def test_denies_uploads_that_ask_for_another_algorithm_than_kms() -> None:
    s = statement(bucket_policy(**BASE), "DenyWrongEncryptionAlgorithm")
    assert (s["Effect"], s["Action"], s["Resource"]) == ("Deny", "s3:PutObject", f"{ARN}/*")
    assert s["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
        "Null": {"s3:x-amz-server-side-encryption": "false"},
    }


def test_denies_uploads_that_name_another_key_than_the_buckets() -> None:
    s = statement(bucket_policy(**BASE), "DenyWrongKmsKey")
    assert s["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY},
        "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
    }


def test_denies_access_outside_the_vpc_endpoint_except_root_admins_and_aws_services() -> None:
    s = statement(bucket_policy(**BASE), "DenyOutsideVpcEndpoint")
    assert (s["Effect"], s["Principal"], s["Action"]) == ("Deny", "*", "s3:*")
    assert s["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": [VPCE]},
        "ArnNotLike": {"aws:PrincipalArn": [DEPLOYER, f"arn:aws:iam::{ACCOUNT}:root"]},
        "Bool": {"aws:PrincipalIsAWSService": "false"},
    }


def test_without_endpoints_only_exempt_principals_and_services_have_access() -> None:
    policy = bucket_policy(**{**BASE, "vpc_endpoint_ids": []})
    s = statement(policy, "DenyExceptExemptPrincipals")
    assert "StringNotEquals" not in s["Condition"]
    assert s["Condition"]["ArnNotLike"] == {"aws:PrincipalArn": [DEPLOYER, f"arn:aws:iam::{ACCOUNT}:root"]}
    assert not [x for x in policy["Statement"] if x["Sid"] == "DenyOutsideVpcEndpoint"]


def test_only_deny_statements_unless_log_delivery_is_allowed() -> None:
    assert {s["Effect"] for s in bucket_policy(**BASE)["Statement"]} == {"Deny"}


def test_log_bucket_lets_s3_log_delivery_put_objects_for_this_account_only() -> None:
    s = statement(bucket_policy(**BASE, allow_log_delivery=True), "AllowS3ServerAccessLogDelivery")
    assert s["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert (s["Action"], s["Resource"]) == ("s3:PutObject", f"{ARN}/*")
    assert s["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_extra_statements_are_appended() -> None:
    extra = {
        "Sid": "AllowCloudTrail",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
    }
    assert statement(bucket_policy(**BASE, extra_statements=[extra]), "AllowCloudTrail") == extra


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bucket_arn": "strongroom-dev-data"}, "bucket_arn"),
        ({"account_id": "abc"}, "account_id"),
        ({"partition": "mars"}, "partition"),
        ({"kms_key_arn": "alias/strongroom-dev-data"}, "kms_key_arn"),
        ({"vpc_endpoint_ids": ["vpc-123"]}, "vpc_endpoint_ids"),
        ({"exempt_principal_arns": ["deployer"]}, "exempt_principal_arns"),
        ({"extra_statements": [{"Sid": "DenyInsecureTransport"}]}, "extra_statements"),
        ({"extra_statements": [{"Effect": "Allow"}]}, "extra_statements"),
        ({"extra_statements": [{"Sid": "Open", "Effect": "Allow", "Principal": "*"}]}, "extra_statements"),
    ],
)
def test_bad_input_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        bucket_policy(**{**BASE, **changes})


def test_replication_role_is_trusted_by_s3_for_this_account_only() -> None:
    (s,) = replication_trust_policy(ACCOUNT)["Statement"]
    assert s["Principal"] == {"Service": "s3.amazonaws.com"} and s["Action"] == "sts:AssumeRole"
    assert s["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


REPLICA = "arn:aws:s3:::strongroom-dev-data-replica"
REPLICA_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ROLE_ARGS: dict[str, Any] = {
    "pairs": [(ARN, REPLICA)],
    "source_key_arn": KEY,
    "replica_key_arn": REPLICA_KEY,
    "source_region": "eu-west-2",
    "replica_region": "eu-west-1",
}


def test_replication_role_reads_only_the_source_and_writes_only_the_replica() -> None:
    policy = replication_role_policy(**ROLE_ARGS)
    assert statement(policy, "ReadSourceConfiguration")["Resource"] == [ARN]
    assert statement(policy, "ReadSourceVersions")["Resource"] == [f"{ARN}/*"]
    assert statement(policy, "WriteReplicas")["Resource"] == [f"{REPLICA}/*"]
    for s in policy["Statement"]:
        assert s["Resource"] != "*", s


def test_replication_role_decrypts_with_the_source_key_through_s3_in_the_source_region() -> None:
    s = statement(replication_role_policy(**ROLE_ARGS), "DecryptSource")
    assert (s["Action"], s["Resource"]) == ("kms:Decrypt", KEY)
    assert s["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-2.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [ARN, f"{ARN}/*"]},
    }


def test_replication_role_encrypts_with_the_replica_key_through_s3_in_the_replica_region() -> None:
    s = statement(replication_role_policy(**ROLE_ARGS), "EncryptReplicas")
    assert s["Resource"] == REPLICA_KEY
    assert s["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [REPLICA, f"{REPLICA}/*"]},
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pairs": []}, "pairs"),
        ({"pairs": [(ARN, "replica")]}, "bucket_arn"),
        ({"replica_key_arn": "alias/x"}, "replica_key_arn"),
        ({"replica_region": "moon-1"}, "replica_region"),
    ],
)
def test_bad_replication_input_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        replication_role_policy(**{**ROLE_ARGS, **changes})
