"""Bucket policy and replication role JSON: every statement and condition exact, bad input refused."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from strongroom.components.policydocs.bucket import (
    CONFIG_READ_ACTIONS,
    OBJECT_READ_ACTIONS,
    backup_replication_role_policy,
    bucket_policy,
    replication_role_policy,
    replication_trust_policy,
)

ACCOUNT = "123456789012"
ARN = "arn:aws:s3:::strongroom-dev-data"
KEY = f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
VPCE = "vpce-0123456789abcdef0"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
AUDITOR = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-roles-auditor-1a2b3c4"
OUTSIDER = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/dev-roles-data-scientist-1a2b3c4"
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


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def denied(policy: dict[str, Any], principal: str, action: str, resource: str, vpce: str | None) -> bool:
    """Whether a Deny of ``policy`` matches a TLS 1.2 request (a small evaluator for the conditions used)."""
    for s in policy["Statement"]:
        if s["Effect"] != "Deny":
            continue
        if "NotAction" in s and action in s["NotAction"]:
            continue
        if "Action" in s and not any(fnmatch.fnmatchcase(action, a) for a in _as_list(s["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _as_list(s["Resource"])):
            continue
        cond = s.get("Condition", {})
        if set(cond) - {"ArnNotLike", "Bool", "StringNotEquals", "NumericLessThan", "Null"}:
            raise AssertionError(f"unexpected condition in {s['Sid']}")
        if "NumericLessThan" in cond or "Null" in cond:
            continue
        if cond.get("Bool", {}).get("aws:SecureTransport") == "false":
            continue
        if "ArnNotLike" in cond and any(
            fnmatch.fnmatchcase(principal, p) for p in cond["ArnNotLike"]["aws:PrincipalArn"]
        ):
            continue
        vpces = cond.get("StringNotEquals", {}).get("aws:SourceVpce")
        if vpces is not None and vpce in vpces:
            continue
        return True
    return False


def test_config_readers_may_read_bucket_configuration_from_outside_the_vpc_and_nothing_else() -> None:
    policy = bucket_policy(**BASE, config_reader_principal_arns=[AUDITOR])
    for action in CONFIG_READ_ACTIONS:
        assert not denied(policy, AUDITOR, action, ARN, vpce=None), action
        assert denied(policy, OUTSIDER, action, ARN, vpce=None), action
        assert not denied(policy, OUTSIDER, action, ARN, vpce=VPCE), action
        assert not denied(policy, DEPLOYER, action, ARN, vpce=None), action
    for action, resource in (
        ("s3:GetObject", f"{ARN}/curated/x.parquet"),
        ("s3:GetObjectVersion", f"{ARN}/curated/x.parquet"),
        ("s3:ListBucket", ARN),
        ("s3:ListBucketVersions", ARN),
        ("s3:PutBucketPolicy", ARN),
        ("s3:DeleteBucketPolicy", ARN),
        ("s3:PutObject", f"{ARN}/x"),
    ):
        assert denied(policy, AUDITOR, action, resource, vpce=None), action
        assert not denied(policy, DEPLOYER, action, resource, vpce=None), action


def test_config_read_exemption_is_one_narrow_statement_on_the_bucket_arn() -> None:
    policy = bucket_policy(**BASE, config_reader_principal_arns=[AUDITOR])
    network = statement(policy, "DenyOutsideVpcEndpoint")
    assert "Action" not in network and network["NotAction"] == list(CONFIG_READ_ACTIONS)
    assert network["Resource"] == [ARN, f"{ARN}/*"]
    assert network["Condition"]["ArnNotLike"] == {
        "aws:PrincipalArn": [DEPLOYER, f"arn:aws:iam::{ACCOUNT}:root"]
    }
    reads = statement(policy, "DenyConfigReadsOutsideVpcEndpoint")
    assert (reads["Effect"], reads["Principal"], reads["Resource"]) == ("Deny", "*", ARN)
    assert reads["Action"] == list(CONFIG_READ_ACTIONS)
    assert set(CONFIG_READ_ACTIONS) == {
        "s3:GetBucketPolicy",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetBucketLogging",
        "s3:GetBucketOwnershipControls",
        "s3:GetLifecycleConfiguration",
        "s3:GetBucketTagging",
        "s3:GetBucketLocation",
        "s3:GetBucketAcl",
        "s3:GetBucketWebsite",
    }
    assert reads["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": [VPCE]},
        "ArnNotLike": {"aws:PrincipalArn": sorted([AUDITOR, DEPLOYER, f"arn:aws:iam::{ACCOUNT}:root"])},
        "Bool": {"aws:PrincipalIsAWSService": "false"},
    }


def test_config_readers_of_a_bucket_without_endpoint_are_exempt_from_the_principal_deny() -> None:
    policy = bucket_policy(**{**BASE, "vpc_endpoint_ids": []}, config_reader_principal_arns=[AUDITOR])
    reads = statement(policy, "DenyConfigReadsExceptExemptPrincipals")
    assert "StringNotEquals" not in reads["Condition"]
    assert not denied(policy, AUDITOR, "s3:GetBucketVersioning", ARN, vpce=None)
    assert denied(policy, AUDITOR, "s3:GetObject", f"{ARN}/x", vpce=None)


RECOVERY = f"arn:aws:iam::{ACCOUNT}:role/strongroom/prod/prod-roles-recovery-1a2b3c4"


def test_object_readers_of_a_replica_may_read_versions_and_never_write_or_delete() -> None:
    replica = {**BASE, "vpc_endpoint_ids": []}
    policy = bucket_policy(
        **replica, config_reader_principal_arns=[AUDITOR], object_reader_principal_arns=[RECOVERY]
    )
    for action in OBJECT_READ_ACTIONS:
        resource = ARN if action.startswith("s3:List") else f"{ARN}/curated/x.csv"
        assert not denied(policy, RECOVERY, action, resource, vpce=None), action
        assert denied(policy, OUTSIDER, action, resource, vpce=None), action
        assert denied(policy, AUDITOR, action, resource, vpce=None), action  # a config reader only
    for action, resource in (
        ("s3:PutObject", f"{ARN}/x"),
        ("s3:DeleteObject", f"{ARN}/x"),
        ("s3:DeleteObjectVersion", f"{ARN}/x"),
        ("s3:BypassGovernanceRetention", f"{ARN}/x"),
        ("s3:PutBucketPolicy", ARN),
        ("s3:GetBucketPolicy", ARN),
    ):
        assert denied(policy, RECOVERY, action, resource, vpce=None), action
    reads = statement(policy, "DenyObjectReadsExceptExemptPrincipals")
    assert reads["Action"] == list(OBJECT_READ_ACTIONS) and reads["Resource"] == [ARN, f"{ARN}/*"]
    assert not any("Put" in a or "Delete" in a for a in OBJECT_READ_ACTIONS)
    network = statement(policy, "DenyExceptExemptPrincipals")
    assert network["NotAction"] == [*CONFIG_READ_ACTIONS, *OBJECT_READ_ACTIONS]


def test_object_readers_must_be_exact_role_arns() -> None:
    with pytest.raises(ValueError, match=r"^object_reader_principal_arns: .*no wildcard"):
        bucket_policy(**BASE, object_reader_principal_arns=[f"arn:aws:iam::{ACCOUNT}:role/*"])


def test_without_config_readers_the_network_deny_covers_every_action() -> None:
    for readers in ([], [DEPLOYER]):
        policy = bucket_policy(**BASE, config_reader_principal_arns=readers)
        assert statement(policy, "DenyOutsideVpcEndpoint")["Action"] == "s3:*"
        assert not [s for s in policy["Statement"] if s["Sid"].startswith("DenyConfigReads")]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"config_reader_principal_arns": [f"arn:aws:iam::{ACCOUNT}:role/*"]},
            "config_reader_principal_arns",
        ),
        ({"config_reader_principal_arns": [f"arn:aws:iam::{ACCOUNT}:root"]}, "config_reader_principal_arns"),
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


# -- the role that fills the backup vault -------------------------------------------------------------------

F_DATA = "arn:aws:s3:::sr-prod-data-payments"
F_MODELS = "arn:aws:s3:::sr-prod-models"
F_BACKUP = "arn:aws:s3:::sr-prod-backup-payments"
F_BACKUP_MODELS = "arn:aws:s3:::sr-prod-backup-models"
F_REPLICA = "arn:aws:s3:::sr-prod-backup-payments-replica"
F_DATA_KEY = f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/00000000-0000-4000-8000-00000000da7a"
F_MODEL_KEY = f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/00000000-0000-4000-8000-0000000000de"
F_BACKUP_KEY = f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/00000000-0000-4000-8000-0000000bac0b"
F_REPLICA_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/00000000-0000-4000-8000-0000000e011c"
FILL: dict[str, Any] = {
    "sources": [(F_DATA, F_DATA_KEY), (F_MODELS, F_MODEL_KEY)],
    "destinations": [
        (F_BACKUP, F_BACKUP_KEY, "eu-west-2"),
        (F_BACKUP_MODELS, F_BACKUP_KEY, "eu-west-2"),
        (F_REPLICA, F_REPLICA_KEY, "eu-west-1"),
    ],
    "source_region": "eu-west-2",
}


def test_backup_filler_reads_exact_sources_with_lock_reads_and_writes_exact_backups_without_deletes() -> None:
    by_sid = {s["Sid"]: s for s in backup_replication_role_policy(**FILL)["Statement"]}
    assert by_sid["ReadSourceConfiguration"] == {
        "Sid": "ReadSourceConfiguration",
        "Effect": "Allow",
        "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        "Resource": [F_DATA, F_MODELS],
    }
    assert by_sid["ReadSourceVersions"]["Action"] == [
        "s3:GetObjectLegalHold",
        "s3:GetObjectRetention",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionTagging",
    ]
    assert by_sid["ReadSourceVersions"]["Resource"] == [f"{F_DATA}/*", f"{F_MODELS}/*"]
    assert by_sid["WriteBackups"]["Action"] == ["s3:ReplicateObject", "s3:ReplicateTags"]
    assert by_sid["WriteBackups"]["Resource"] == [f"{F_BACKUP_MODELS}/*", f"{F_BACKUP}/*", f"{F_REPLICA}/*"]


def test_backup_filler_decrypts_each_source_key_only_via_s3_for_its_own_buckets() -> None:
    decrypts = [
        s for s in backup_replication_role_policy(**FILL)["Statement"] if s["Action"] == "kms:Decrypt"
    ]
    contexts = {s["Resource"]: s["Condition"] for s in decrypts}
    assert contexts == {
        F_DATA_KEY: {
            "StringEquals": {"kms:ViaService": "s3.eu-west-2.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [F_DATA, f"{F_DATA}/*"]},
        },
        F_MODEL_KEY: {
            "StringEquals": {"kms:ViaService": "s3.eu-west-2.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [F_MODELS, f"{F_MODELS}/*"]},
        },
    }


def test_backup_filler_encrypts_only_with_the_destination_keys_via_s3_in_their_regions() -> None:
    encrypts = [
        s for s in backup_replication_role_policy(**FILL)["Statement"] if s["Sid"].startswith("Encrypt")
    ]
    assert {s["Resource"]: s["Condition"] for s in encrypts} == {
        F_BACKUP_KEY: {
            "StringEquals": {"kms:ViaService": "s3.eu-west-2.amazonaws.com"},
            "StringLike": {
                "kms:EncryptionContext:aws:s3:arn": [
                    F_BACKUP_MODELS,
                    f"{F_BACKUP_MODELS}/*",
                    F_BACKUP,
                    f"{F_BACKUP}/*",
                ]
            },
        },
        F_REPLICA_KEY: {
            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [F_REPLICA, f"{F_REPLICA}/*"]},
        },
    }
    assert all(s["Action"] == ["kms:Encrypt", "kms:GenerateDataKey"] for s in encrypts)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sources": []}, "sources"),
        ({"destinations": []}, "destinations"),
        ({"sources": [("arn:aws:s3:::Bad_Name", F_DATA_KEY)]}, "bucket_arn"),
        ({"sources": [(F_DATA, "alias/data")]}, "sources"),
        ({"destinations": [(F_BACKUP, F_BACKUP_KEY, "europe")]}, "destinations"),
        ({"destinations": [(F_DATA, F_BACKUP_KEY, "eu-west-2")]}, "destinations"),
        ({"source_region": "london"}, "source_region"),
    ],
)
def test_bad_backup_filler_input_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}"):
        backup_replication_role_policy(**{**FILL, **changes})
