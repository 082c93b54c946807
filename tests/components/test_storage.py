"""SecureBucket under the recording mocks: each secure property on the recorded inputs, one test each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.components.storage import SecureBucket, SecureBucketArgs
from strongroom.engine import PlanResource, Recorder

KEY = "arn:aws:kms:eu-west-2:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
VPCE = "vpce-0123456789abcdef0"
DEPLOYER = "arn:aws:iam::123456789012:role/deployer"


def args(**changes: Any) -> SecureBucketArgs:
    base: dict[str, Any] = {
        "kms_key_arn": KEY,
        "log_bucket_name": "strongroom-test-logs",
        "vpc_endpoint_ids": [VPCE],
        "admin_principal_arns": [DEPLOYER],
    }
    return SecureBucketArgs(**{**base, **changes})


@pytest.fixture
def data(pulumi_mocks: Recorder) -> Recorder:
    pulumi_mocks.run(lambda: SecureBucket("data", args()))
    return pulumi_mocks


def one(rec: Recorder, type_suffix: str) -> PlanResource:
    found = [r for r in rec.resources if r.type.endswith(type_suffix)]
    assert len(found) == 1, f"expected one {type_suffix}, got {[r.urn for r in found]}"
    return found[0]


def test_component_has_its_type_token_and_children_are_parented_to_it(data: Recorder) -> None:
    component = one(data, "strongroom:index:SecureBucket")
    for r in data.resources:
        if r.type.startswith("aws:"):
            assert r.parent == component.urn, f"{r.urn} is not a child of {component.urn}"
            assert r.name.startswith("data-"), r.urn


def test_bucket_is_never_force_destroyed(data: Recorder) -> None:
    bucket = one(data, ":Bucket")
    assert bucket.inputs.get("forceDestroy") is False, bucket.urn


def test_versioning_is_enabled(data: Recorder) -> None:
    r = one(data, ":BucketVersioning")
    assert r.inputs["versioningConfiguration"]["status"] == "Enabled", r.urn


def test_default_encryption_is_sse_kms_with_the_given_key(data: Recorder) -> None:
    r = one(data, ":BucketServerSideEncryptionConfiguration")
    (rule,) = r.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}, (
        r.urn
    )


def test_bucket_keys_are_enabled(data: Recorder) -> None:
    r = one(data, ":BucketServerSideEncryptionConfiguration")
    assert r.inputs["rules"][0]["bucketKeyEnabled"] is True, r.urn


@pytest.mark.parametrize(
    "flag", ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]
)
def test_public_access_block_flag_is_on(data: Recorder, flag: str) -> None:
    r = one(data, ":BucketPublicAccessBlock")
    assert r.inputs[flag] is True, f"{r.urn}: {flag}"


def test_object_ownership_is_enforced_so_acls_are_off(data: Recorder) -> None:
    r = one(data, ":BucketOwnershipControls")
    assert r.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}, r.urn


def test_access_is_logged_to_the_log_bucket_under_the_buckets_prefix(data: Recorder) -> None:
    r = one(data, ":BucketLogging")
    assert (r.inputs["targetBucket"], r.inputs["targetPrefix"]) == ("strongroom-test-logs", "data/"), r.urn


def test_noncurrent_versions_expire_after_the_configured_days(data: Recorder) -> None:
    r = one(data, ":BucketLifecycleConfiguration")
    (rule,) = r.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {}, r.urn
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 90, r.urn


def test_incomplete_multipart_uploads_are_aborted(data: Recorder) -> None:
    rule = one(data, ":BucketLifecycleConfiguration").inputs["rules"][0]
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7


def test_object_events_go_to_eventbridge(data: Recorder) -> None:
    r = one(data, ":BucketNotification")
    assert r.inputs["eventbridge"] is True, r.urn


def policy_of(rec: Recorder) -> dict[str, Any]:
    return json.loads(one(rec, ":BucketPolicy").inputs["policy"])


@pytest.mark.parametrize(
    "sid", ["DenyInsecureTransport", "DenyOutdatedTls", "DenyWrongEncryptionAlgorithm", "DenyWrongKmsKey"]
)
def test_bucket_policy_has_the_deny(data: Recorder, sid: str) -> None:
    bucket_arn = one(data, ":Bucket").outputs["arn"]
    (s,) = [s for s in policy_of(data)["Statement"] if s["Sid"] == sid]
    assert s["Effect"] == "Deny" and f"{bucket_arn}/*" in json.dumps(s["Resource"]), s


def test_bucket_policy_restricts_access_to_the_vpc_endpoint_with_the_deployer_exempt(data: Recorder) -> None:
    (s,) = [s for s in policy_of(data)["Statement"] if s["Sid"] == "DenyOutsideVpcEndpoint"]
    assert s["Condition"]["StringNotEquals"] == {"aws:SourceVpce": [VPCE]}
    assert DEPLOYER in s["Condition"]["ArnNotLike"]["aws:PrincipalArn"]


def test_config_readers_get_only_the_bucket_configuration_reads_outside_the_vpc(
    pulumi_mocks: Recorder,
) -> None:
    auditor = "arn:aws:iam::123456789012:role/strongroom/dev/dev-roles-auditor-1a2b3c4"
    pulumi_mocks.run(lambda: SecureBucket("data", args(config_reader_principal_arns=[auditor])))
    statements = {s["Sid"]: s for s in policy_of(pulumi_mocks)["Statement"]}
    reads = statements["DenyConfigReadsOutsideVpcEndpoint"]
    assert auditor in reads["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    assert reads["Resource"] == one(pulumi_mocks, ":Bucket").outputs["arn"]
    network = statements["DenyOutsideVpcEndpoint"]
    assert auditor not in network["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    assert set(network["NotAction"]) == set(reads["Action"])


def test_bucket_policy_is_applied_after_every_companion(data: Recorder) -> None:
    policy = one(data, ":BucketPolicy")
    companions = {
        r.urn
        for r in data.resources
        if r.type.startswith("aws:s3/bucket") and r.type.split(":")[-1] not in ("Bucket", "BucketPolicy")
    }
    assert companions <= set(policy.dependencies), policy.urn


def test_no_object_lock_unless_asked(data: Recorder) -> None:
    assert not [r for r in data.resources if r.type.endswith(":BucketObjectLockConfiguration")]
    assert not one(data, ":Bucket").inputs.get("objectLockEnabled")


def test_nothing_is_protected_outside_prod(data: Recorder) -> None:
    for r in data.resources:
        assert not r.protect and not r.retain_on_delete, r.urn


def test_retain_protects_the_bucket_and_every_companion(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: SecureBucket("data", args(retain=True)))
    custom = [r for r in pulumi_mocks.resources if r.type.startswith("aws:")]
    assert len(custom) == 9
    for r in custom:
        assert r.protect and r.retain_on_delete, r.urn


def test_object_lock_sets_the_bucket_flag_and_default_retention(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: SecureBucket("vault", args(object_lock_mode="COMPLIANCE", object_lock_days=30)))
    assert one(pulumi_mocks, ":Bucket").inputs["objectLockEnabled"] is True
    lock = one(pulumi_mocks, ":BucketObjectLockConfiguration")
    assert lock.inputs["objectLockEnabled"] == "Enabled", lock.urn
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 30}, lock.urn


def test_log_bucket_accepts_log_delivery_logs_nowhere_and_expires_logs(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(
        lambda: SecureBucket("logs", args(log_bucket_name=None, is_log_bucket=True, expiration_days=365))
    )
    assert not [r for r in pulumi_mocks.resources if r.type.endswith(":BucketLogging")]
    sids = [s["Sid"] for s in policy_of(pulumi_mocks)["Statement"]]
    assert "AllowS3ServerAccessLogDelivery" in sids
    rule = one(pulumi_mocks, ":BucketLifecycleConfiguration").inputs["rules"][0]
    assert rule["expiration"] == {"days": 365}
    sse = one(pulumi_mocks, ":BucketServerSideEncryptionConfiguration").inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kms_key_arn": "alias/strongroom-dev-data"}, "kms_key_arn"),
        ({"config_reader_principal_arns": ["arn:aws:iam::123456789012:role/*"]}, "config_reader"),
        ({"log_bucket_name": None}, "log_bucket_name"),
        ({"is_log_bucket": True}, "log_bucket_name"),
        ({"log_bucket_name": "Logs_Bucket"}, "log_bucket_name"),
        ({"bucket_name": "x"}, "bucket_name"),
        ({"vpc_endpoint_ids": ["vpc-0123"]}, "vpc_endpoint_ids"),
        ({"admin_principal_arns": ["deployer"]}, "admin_principal_arns"),
        ({"log_prefix": "data"}, "log_prefix"),
        ({"noncurrent_version_expiry_days": 0}, "noncurrent_version_expiry_days"),
        ({"noncurrent_version_expiry_days": True}, "noncurrent_version_expiry_days"),
        ({"abort_incomplete_multipart_upload_days": 400}, "abort_incomplete_multipart_upload_days"),
        ({"expiration_days": 0}, "expiration_days"),
        ({"object_lock_mode": "GOVERNANCE"}, "object_lock_mode/object_lock_days"),
        ({"object_lock_mode": "STRICT", "object_lock_days": 30}, "object_lock_mode"),
        ({"object_lock_mode": "GOVERNANCE", "object_lock_days": 0}, "object_lock_days"),
        ({"object_lock_mode": "GOVERNANCE", "object_lock_days": 120}, "noncurrent_version_expiry_days"),
        (
            {
                "log_bucket_name": None,
                "is_log_bucket": True,
                "object_lock_mode": "GOVERNANCE",
                "object_lock_days": 1,
            },
            "object_lock_mode",
        ),
    ],
)
def test_bad_args_are_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}"):
        args(**changes)
