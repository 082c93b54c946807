"""The vault's core on the dev stack materialised in moto: the environment found by its tags, manifests
signed with the signing key and verified, every tampering named."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from live_support import ROOT

from strongroom.errors import UsageError
from strongroom.vault import manifest as mf
from strongroom.vault.stack import (
    CANDIDATES_PREFIX,
    PRODUCTION_PREFIX,
    check_version,
    locate,
    new_version,
    stack_settings,
)

Env = Any


def _vault(materialised: Callable[[str], Env], stack: str = "dev") -> tuple[Any, Any]:
    aws, _, _ = materialised(stack)
    return aws, locate(aws, stack, stack_settings(ROOT, stack))


def _manifest(vault: Any) -> mf.ModelManifest:
    sha = "ab" * 32
    version = new_version(sha)
    return mf.ModelManifest(
        environment=vault.stack,
        model="credit-pd",
        version=version,
        artifact=mf.ObjectRef(
            bucket=vault.models_bucket.name,
            key=f"{vault.candidate_prefix('credit-pd', version)}model.tar.gz",
            version_id="v1",
            sha256=sha,
            size=3,
        ),
        code_revision="0123abc",
        pushed_by="arn:aws:sts::123456789012:assumed-role/training/job",
        pushed_at="2026-12-01T06:00:00Z",
    )


def test_locate_finds_every_bucket_of_the_stack_by_its_tags(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    assert vault.models_bucket.name.startswith("sr-dev-models-bucket")
    assert set(vault.data_buckets) == {"payments", "credit-risk"}
    assert vault.data_buckets["payments"].name.startswith("sr-dev-data-payments-bucket")
    assert set(vault.backup_buckets) == {"models", "payments", "credit-risk"}
    assert vault.replica_buckets == {}  # dev has no replica region
    assert vault.models == ("credit-pd", "fraud-score")
    assert vault.package_group("credit-pd") == "sr-dev-credit-pd"
    assert vault.candidate_prefix("credit-pd") == f"{CANDIDATES_PREFIX}credit-pd/"
    assert vault.production_prefix("fraud-score") == f"{PRODUCTION_PREFIX}fraud-score/"
    assert vault.bucket("backup-models")[1] == vault.backup_buckets["models"]
    assert vault.bucket(vault.data_buckets["payments"].name) == ("payments", vault.data_buckets["payments"])
    assert {c.action for c in aws.calls} == {"tag:GetResources", "sts:GetCallerIdentity"}


def test_locate_finds_the_replicas_in_the_replica_region(materialised: Callable[[str], Env]) -> None:
    _, vault = _vault(materialised, "prod")
    assert vault.replica_region == "eu-west-1"
    assert set(vault.replica_buckets) == set(vault.backup_buckets)
    assert all(b.region == "eu-west-1" for b in vault.replica_buckets.values())


def test_unknown_model_and_bucket_are_usage_errors(materialised: Callable[[str], Env]) -> None:
    _, vault = _vault(materialised)
    with pytest.raises(UsageError, match=r"--model 'credit'.*accepted: credit-pd, fraud-score"):
        vault.check_model("credit")
    with pytest.raises(UsageError, match=r"--bucket 'nope'.*accepted: models, data-credit-risk, data-"):
        vault.bucket("nope")
    with pytest.raises(UsageError, match=r"--version 'v1'.*accepted"):
        check_version("v1")


def test_a_stack_not_deployed_in_the_region_is_a_usage_error(materialised: Callable[[str], Env]) -> None:
    aws, _, _ = materialised("dev")
    with pytest.raises(UsageError, match=r"no bucket tagged strongroom:environment=staging"):
        locate(aws, "staging", stack_settings(ROOT, "staging"))


def test_a_second_bucket_carrying_the_models_tags_is_refused(materialised: Callable[[str], Env]) -> None:
    aws, _, _ = materialised("dev")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="impostor", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_bucket_tagging(
        Bucket="impostor",
        Tagging={
            "TagSet": [
                {"Key": "strongroom:environment", "Value": "dev"},
                {"Key": "strongroom:purpose", "Value": "models"},
            ]
        },
    )
    with pytest.raises(UsageError, match=r"2 buckets .* tagged as its bucket of purpose 'models'.*impostor"):
        locate(aws, "dev", stack_settings(ROOT, "dev"))


def test_a_signed_manifest_verifies_and_every_change_is_named(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    manifest = _manifest(vault)
    body = mf.sign(aws, vault.signing_key, manifest)
    envelope = mf.read_envelope(body, "m.json")
    assert mf.verify(aws, vault.signing_key, envelope, "m.json") == []
    assert mf.model_manifest(envelope, "m.json") == manifest

    changed = json.loads(body)
    changed["manifest"]["artifact"]["sha256"] = "cd" * 32
    problems = mf.verify(aws, vault.signing_key, mf.read_envelope(json.dumps(changed).encode(), "m"), "m")
    assert any("changed after signing" in p for p in problems), problems

    # a forger re-computes the digest: the signature no longer matches it
    changed["signature"]["digest"] = hashlib.sha256(mf.canonical(changed["manifest"])).hexdigest()
    problems = mf.verify(aws, vault.signing_key, mf.read_envelope(json.dumps(changed).encode(), "m"), "m")
    assert problems == [
        "m: the signature does not match the manifest (signing key alias/strongroom-dev-signing)"
    ]


def test_a_manifest_signed_with_another_key_is_refused(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    kms = aws.client("kms")
    other = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/forger", TargetKeyId=other)
    body = mf.sign(aws, "alias/forger", _manifest(vault))
    problems = mf.verify(aws, vault.signing_key, mf.read_envelope(body, "m"), "m")
    assert any(f"signed by key {other}, not the environment's signing key" in p for p in problems), problems
    assert any("signature does not match" in p for p in problems), problems


def test_not_a_manifest_is_named(tmp_path: Path) -> None:
    with pytest.raises(mf.ManifestError, match=r"x.json: not a signed manifest"):
        mf.read_envelope(b'{"manifest": {}}', "x.json")


def test_object_calls_reach_the_stacks_buckets_in_moto(materialised: Callable[[str], Env]) -> None:
    """moto judges bucket policies without their conditions (every conditional Deny denies): the sandbox's
    fix (strongroom.live.motofix) lets object calls through, as from inside the VPC over TLS."""
    aws, vault = _vault(materialised)
    bucket = vault.models_bucket.name
    aws.call("s3", "put_object", Bucket=bucket, Key="candidates/credit-pd/x", Body=b"x")
    body = aws.call("s3", "get_object", Bucket=bucket, Key="candidates/credit-pd/x")
    assert body is not None and body["Body"].read() == b"x"
    policy = aws.call("s3", "get_bucket_policy", Bucket=bucket)
    assert policy is not None and '"Effect": "Deny"' in policy["Policy"].replace('":"', '": "')


def test_motofix_patches_again_what_a_test_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each moto fix is applied on its own: a test that monkeypatched FakeBucket.get_permission before the
    fixes were first applied puts moto's answer back when it ends, and the next apply() must fix it again
    even though the other fix (GetBucketReplication) is still in place."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    from strongroom.live import motofix

    motofix.apply()
    monkeypatch.setattr(FakeBucket, "get_permission", lambda *_: PermissionResult.DENIED)  # moto's, put back
    motofix.apply()
    assert FakeBucket.get_permission(None, "s3:GetObject", "arn:aws:s3:::b/k") == PermissionResult.NEUTRAL
