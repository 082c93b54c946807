"""``strongroom vault restore`` and ``status`` on stacks materialised in moto.

Where moto differs from AWS, worked around here and nowhere in the product:

* moto judges a bucket policy's deny statements without their conditions; ``strongroom.live.motofix`` (applied
  by the fixtures) makes its answer neutral, and the role test judges every request with the policies'
  conditions from inside the VPC (:mod:`policies.iamsim`).
* moto does not replicate. :func:`_replicate` does what S3 replication does: the same bytes written into
  the destination bucket under the source's version ID (S3 replicas keep it), which moto can only do by
  setting the stored key's version ID in its backend. moto never sets ``ReplicationStatus``: the FAILED
  tests add the header S3 sends (``x-amz-replication-status``) to one object's HEAD response.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from live_support import ROOT, new_aws
from typer.testing import CliRunner
from vault_support import deleting, signed_snapshot

from strongroom.cli import app
from strongroom.live.aws import Aws
from strongroom.vault import manifest as mf
from strongroom.vault import recovery
from strongroom.vault.stack import Bucket, VaultStack, locate, new_version, stack_settings

Env = Any
GOOD = b"id,amount\n1,100\n2,250\n"
BAD = b"id,amount\n1,100\n2,999999\n"
KEY = "curated/transactions.csv"


def _vault(materialised: Callable[[str], Env], stack: str = "dev") -> tuple[Aws, VaultStack]:
    aws, _, _ = materialised(stack)
    return aws, locate(aws, stack, stack_settings(ROOT, stack))


def _put(aws: Aws, bucket: Bucket, key: str, body: bytes) -> str:
    s3 = aws.client("s3", bucket.region)
    return str(s3.put_object(Bucket=bucket.name, Key=key, Body=body, ChecksumAlgorithm="SHA256")["VersionId"])


def _replicate(aws: Aws, destination: Bucket, key: str, version_id: str, body: bytes) -> None:
    """S3 replication of one version: the bytes, under the source's version ID, written a second after the
    source (as replication lags; the restore must still prefer the bucket's own copy of that version)."""
    from moto.s3.models import s3_backends

    written = _put(aws, destination, key, body)
    backend = s3_backends[aws.caller()["Account"]]["aws"]
    copy = backend.get_object(destination.name, key, version_id=written)
    copy._version_id = version_id  # type: ignore[union-attr]
    copy.last_modified += timedelta(seconds=1)  # type: ignore[union-attr]


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _snapshot(aws: Aws, vault: VaultStack, domain: str, refs: list[tuple[str, str, bytes]]) -> str:
    """A signed dataset snapshot of ``domain`` naming (key, version, bytes) of its data bucket."""
    bucket = vault.data_buckets[domain]
    objects = [
        mf.ObjectRef(bucket=bucket.name, key=k, version_id=v, sha256=_sha(b), size=len(b)) for k, v, b in refs
    ]
    key, body = signed_snapshot(aws, vault, domain, "20261201T060000Z", objects)
    _put(aws, vault.models_bucket, key, body)
    return key


def _history(aws: Aws, bucket: Bucket, key: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    found = aws.client("s3", bucket.region).list_object_versions(Bucket=bucket.name, Prefix=key)
    return found.get("Versions", []), found.get("DeleteMarkers", [])


def _body(aws: Aws, bucket: Bucket, key: str) -> bytes:
    return bytes(aws.client("s3", bucket.region).get_object(Bucket=bucket.name, Key=key)["Body"].read())


def _no_deletes(aws: Aws) -> None:
    assert aws.calls, "no call recorded"
    assert deleting(aws.calls) == []


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["vault", *args, "-C", str(ROOT)])


def test_restore_after_delete_copies_the_version_over_the_marker(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    data = vault.data_buckets["payments"]
    good = _put(aws, data, KEY, GOOD)
    _replicate(aws, vault.backup_buckets["payments"], KEY, good, GOOD)
    _snapshot(aws, vault, "payments", [(KEY, good, GOOD)])
    aws.client("s3").delete_object(Bucket=data.name, Key=KEY)  # the incident

    runner = new_aws()
    result = recovery.restore(
        runner, locate(runner, "dev", stack_settings(ROOT, "dev")), "data-payments", KEY
    )

    assert result.before.startswith("a delete marker")
    assert result.source is not None and (result.source.where, result.source.version_id) == ("bucket", good)
    assert _body(aws, data, KEY) == GOOD
    found, markers = _history(aws, data, KEY)
    assert len(found) == 2 and len(markers) == 1, (found, markers)  # the marker stays in the history
    assert next(v for v in found if v["IsLatest"])["VersionId"] == result.new_version
    copy = next(c for c in runner.calls if c.operation == "CopyObject")
    assert copy.params["CopySource"] == {"Bucket": data.name, "Key": KEY, "VersionId": good}
    assert copy.params["ChecksumAlgorithm"] == "SHA256" and copy.params["ServerSideEncryption"] == "aws:kms"
    assert copy.params["SSEKMSKeyId"].startswith("arn:aws:kms:eu-west-2:")  # the key's ARN, not its alias
    assert all(
        c.params.get("ExpectedBucketOwner") == vault.account for c in runner.calls if c.service == "s3"
    )
    _no_deletes(runner)
    text = recovery.restore_text(result)
    assert "before:   a delete marker" in text and f"version {good}" in text and result.new_version in text


def test_restore_chooses_the_newest_intact_copy(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    data = vault.data_buckets["payments"]
    older = _put(aws, data, KEY, GOOD)
    _snapshot(aws, vault, "payments", [(KEY, older, GOOD)])
    poisoned = _put(aws, data, KEY, BAD)  # the newest version is poisoned

    result = recovery.restore(aws, vault, data.name, KEY)

    assert "bad" in result.before and poisoned in result.before
    assert result.source is not None and result.source.version_id == older
    assert any(poisoned in s and "not the manifest's" in s for s in result.skipped), result.skipped
    assert _body(aws, data, KEY) == GOOD
    assert len(_history(aws, data, KEY)[0]) == 3
    _no_deletes(aws)


def test_restore_takes_the_backup_when_every_version_in_the_bucket_is_bad(
    materialised: Callable[[str], Env],
) -> None:
    aws, vault = _vault(materialised)
    data, backup = vault.data_buckets["credit-risk"], vault.backup_buckets["credit-risk"]
    # The good version reached the backup; in the bucket it has expired and only bad versions are left.
    _replicate(aws, backup, KEY, "good-version-from-before", GOOD)
    _snapshot(aws, vault, "credit-risk", [(KEY, "good-version-from-before", GOOD)])
    _put(aws, data, KEY, BAD)
    _put(aws, data, KEY, BAD + b"3,1\n")

    dry = recovery.restore(aws, vault, "data-credit-risk", KEY, dry_run=True)
    assert dry.source is not None and dry.source.where == "backup" and dry.new_version is None
    assert len(_history(aws, data, KEY)[0]) == 2  # a dry run copies nothing
    assert "dry run:  nothing copied" in recovery.restore_text(dry)

    result = recovery.restore(aws, vault, "data-credit-risk", KEY)
    assert result.source is not None and result.source.bucket == backup
    assert _body(aws, data, KEY) == GOOD
    _no_deletes(aws)


def test_restore_from_the_replica_region(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised, "prod")
    data, replica = vault.data_buckets["payments"], vault.replica_buckets["payments"]
    _replicate(aws, replica, KEY, "replicated-version", GOOD)
    _snapshot(aws, vault, "payments", [(KEY, "replicated-version", GOOD)])
    _put(aws, data, KEY, BAD)

    result = recovery.restore(aws, vault, "data-payments", KEY)

    assert result.source is not None and result.source.where == "replica"
    assert result.source.bucket.region == "eu-west-1"
    assert _body(aws, data, KEY) == GOOD
    reads = {c.region for c in aws.calls if c.params.get("Bucket") == replica.name}
    assert reads == {"eu-west-1"}
    copy = next(c for c in aws.calls if c.operation == "CopyObject")
    assert copy.region == "eu-west-2" and copy.params["CopySource"]["Bucket"] == replica.name
    _no_deletes(aws)


def _pushed_model(aws: Aws, vault: VaultStack) -> tuple[str, str]:
    """A candidate artifact of credit-pd and its signed manifest, as `vault push` stores them:
    (artifact key, artifact version ID)."""
    models = vault.models_bucket
    version = new_version(_sha(GOOD))
    key = f"{vault.candidate_prefix('credit-pd', version)}model.tar.gz"
    artifact = _put(aws, models, key, GOOD)
    manifest = mf.ModelManifest(
        environment=vault.stack,
        model="credit-pd",
        version=version,
        artifact=mf.ObjectRef(bucket=models.name, key=key, version_id=artifact, sha256=_sha(GOOD), size=4),
        code_revision="0123abc",
        pushed_by="arn:aws:sts::123456789012:assumed-role/training/job",
        pushed_at="2026-12-01T06:00:00Z",
    )
    _put(
        aws,
        models,
        f"{vault.candidate_prefix('credit-pd', version)}manifest.json",
        mf.sign(aws, vault.signing_key, manifest),
    )
    return key, artifact


def test_restore_of_a_model_artifact_checks_the_model_manifest(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    models = vault.models_bucket
    key, artifact = _pushed_model(aws, vault)
    _put(aws, models, key, BAD)

    result = recovery.restore(aws, vault, "models", key)

    assert result.expected[0].sha256 == _sha(GOOD) and "model credit-pd" in result.expected[0].manifest
    assert result.source is not None and result.source.version_id == artifact
    assert _body(aws, models, key) == GOOD
    again = recovery.restore(aws, vault, "models", key)
    assert again.already_intact and again.source is None  # nothing copied twice
    assert len(_history(aws, models, key)[0]) == 3


def test_a_tampered_snapshot_manifest_is_not_trusted(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    data = vault.data_buckets["payments"]
    _put(aws, data, KEY, GOOD)
    bad = _put(aws, data, KEY, BAD)
    key = _snapshot(aws, vault, "payments", [(KEY, bad, BAD)])
    envelope = json.loads(_body(aws, vault.models_bucket, key))
    envelope["manifest"]["objects"][0]["sha256"] = _sha(GOOD)  # the attacker's "fix"
    _put(aws, vault.models_bucket, key, json.dumps(envelope).encode())

    result = recovery.restore(aws, vault, "data-payments", KEY)

    # The tampered version is named and not used; the signed original (its noncurrent version) is.
    assert any("changed after signing" in note for note in result.skipped), result.skipped
    assert [e.sha256 for e in result.expected] == [_sha(BAD)]
    assert result.already_intact and result.source is None  # nothing copied on the forger's word
    assert len(_history(aws, vault.data_buckets["payments"], KEY)[0]) == 2


def test_a_deleted_snapshot_manifest_still_vouches_from_its_history_and_backup(
    materialised: Callable[[str], Env],
) -> None:
    aws, vault = _vault(materialised)
    data, models = vault.data_buckets["payments"], vault.models_bucket
    good = _put(aws, data, KEY, GOOD)
    key = _snapshot(aws, vault, "payments", [(KEY, good, GOOD)])
    body = _body(aws, models, key)
    _put(aws, data, KEY, BAD)
    aws.client("s3").delete_object(Bucket=models.name, Key=key)  # the attacker hides the snapshot

    result = recovery.restore(aws, vault, "data-payments", KEY)  # its noncurrent version still counts
    assert result.source is not None and result.source.version_id == good
    assert f"s3://{models.name}/{key}?versionId=" in result.expected[0].manifest

    # expired in the models bucket: the Object Lock backup of the models bucket still holds it
    other = _put(aws, data, "curated/other.csv", GOOD)
    _put(aws, data, "curated/other.csv", BAD)
    snapshot = mf.DatasetManifest.model_validate(
        {
            **json.loads(body)["manifest"],
            "snapshot": "20261201T070000Z",
            "objects": [
                {"bucket": data.name, "key": "curated/other.csv", "version_id": other, "sha256": _sha(GOOD)}
            ],
        }
    )
    backup = vault.backup_buckets["models"]
    _replicate(
        aws,
        backup,
        "datasets/payments/20261201T070000Z.json",
        "v-backup",
        mf.sign(aws, vault.signing_key, snapshot),
    )
    restored = recovery.restore(aws, vault, "data-payments", "curated/other.csv")
    assert restored.source is not None and restored.source.version_id == other
    assert restored.expected[0].manifest.startswith(f"s3://{backup.name}/datasets/payments/")


def test_version_of_a_bad_copy_is_refused(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    data = vault.data_buckets["payments"]
    good = _put(aws, data, KEY, GOOD)
    _snapshot(aws, vault, "payments", [(KEY, good, GOOD)])
    poisoned = _put(aws, data, KEY, BAD)
    aws.client("s3").delete_object(Bucket=data.name, Key=KEY)

    result = _cli("restore", "--bucket", "data-payments", "--key", KEY, "--version", poisoned)

    assert result.exit_code == 1, result.output
    assert f"--version {poisoned}" in result.output and "is not intact" in result.output
    assert "Traceback" not in result.output
    found, markers = _history(aws, data, KEY)
    assert len(found) == 2 and markers[0]["IsLatest"]  # nothing copied

    ok = _cli("restore", "--bucket", "data-payments", "--key", KEY, "--version", good)
    assert ok.exit_code == 0, ok.output
    assert "restored: new current version" in ok.output and _body(aws, data, KEY) == GOOD


def test_without_a_manifest_restore_needs_an_explicit_version(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    data = vault.data_buckets["payments"]
    first = _put(aws, data, "curated/unlisted.csv", GOOD)
    aws.client("s3").delete_object(Bucket=data.name, Key="curated/unlisted.csv")

    refused = _cli("restore", "--bucket", "data-payments", "--key", "curated/unlisted.csv")
    assert refused.exit_code == 2, refused.output
    assert "no verified signed manifest records its SHA-256" in refused.output and first in refused.output

    ok = _cli("restore", "--bucket", "data-payments", "--key", "curated/unlisted.csv", "--version", first)
    assert ok.exit_code == 0, ok.output
    assert "no signed manifest names this key" in ok.output
    assert _body(aws, data, "curated/unlisted.csv") == GOOD


def test_object_lock_blocks_an_attempted_deletion(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    backup = vault.backup_buckets["payments"]
    lock = aws.client("s3").get_object_lock_configuration(Bucket=backup.name)["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE"  # the dev stack's default retention
    version = _put(aws, backup, KEY, GOOD)

    with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):  # a raw client: the attack
        aws.client("s3").delete_object(Bucket=backup.name, Key=KEY, VersionId=version)

    assert [v["VersionId"] for v in _history(aws, backup, KEY)[0]] == [version]


@pytest.fixture
def failed_header(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Keys whose HEAD answers ``x-amz-replication-status: FAILED`` (moto never sets it)."""
    from moto.s3.models import FakeKey

    failed: set[str] = set()
    real = FakeKey.response_dict.fget  # type: ignore[attr-defined]

    def response_dict(self: Any) -> dict[str, Any]:
        out = dict(real(self))
        if self.name in failed:
            out["x-amz-replication-status"] = "FAILED"
        return out

    monkeypatch.setattr(FakeKey, "response_dict", property(response_dict))
    yield failed


def test_status_reports_a_missing_replica_and_a_failed_object(
    materialised: Callable[[str], Env], failed_header: set[str]
) -> None:
    aws, vault = _vault(materialised)
    data, backup = vault.data_buckets["payments"], vault.backup_buckets["payments"]
    kept = _put(aws, data, KEY, GOOD)
    _replicate(aws, backup, KEY, kept, GOOD)
    missing = _put(aws, data, "curated/late.csv", GOOD)
    _replicate(aws, vault.backup_buckets["models"], "x", "x", GOOD)  # not the models bucket's: ignored

    now = recovery.status(aws, vault)
    payments = next(s for s in now.sources if s.dataset == "payments")
    (into_backup,) = payments.destinations
    assert (into_backup.rule_id, into_backup.where, into_backup.rtc_minutes) == ("into-backup", "backup", 15)
    assert into_backup.object_lock == {"enabled": True, "mode": "GOVERNANCE", "days": 30, "years": None}
    assert [(m["key"], m["version_id"]) for m in into_backup.missing] == [("curated/late.csv", missing)]
    assert now.problems == []  # younger than the 15 minute window: not yet a problem

    later = recovery.status(aws, vault, now=datetime.now(UTC) + timedelta(minutes=20))
    assert any(f"curated/late.csv version {missing}: not in backup" in p for p in later.problems)

    failed_header.add(KEY)
    result = _cli("status", "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    payments_json = next(s for s in report["sources"] if s["dataset"] == "payments")
    assert {"key": KEY, "version_id": kept} in payments_json["failed"]
    assert any("replication FAILED" in p for p in report["problems"])
    text = _cli("status")
    assert text.exit_code == 1 and f"FAILED {KEY} version {kept}" in text.output
    _no_deletes(aws)


def test_status_is_clean_when_everything_replicated(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    data, backup = vault.data_buckets["payments"], vault.backup_buckets["payments"]
    _replicate(aws, backup, KEY, _put(aws, data, KEY, GOOD), GOOD)
    result = _cli("status")
    assert result.exit_code == 0, result.output
    assert "replication OK" in result.output and "Object Lock GOVERNANCE 30" in result.output


def test_status_names_a_bucket_without_replication(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised)
    aws.client("s3").delete_bucket_replication(Bucket=vault.data_buckets["payments"].name)  # tampering
    result = recovery.status(aws, vault)
    assert any("no replication configuration" in p for p in result.problems), result.problems


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["restore", "--bucket", "nope", "--key", KEY], "--bucket 'nope': not a bucket of stack dev"),
        (["restore", "--bucket", "backup-payments", "--key", KEY], "written by replication only"),
        (["restore", "--bucket", "data-payments", "--key", "curated/never.csv"], "no version of it in"),
        (["status", "--format", "xml"], "--format 'xml': accepted: text, json"),
        (["status", "--max-objects", "-1"], "--max-objects -1: accepted"),
    ],
)
def test_bad_input_exits_2(materialised: Callable[[str], Env], args: list[str], message: str) -> None:
    _vault(materialised)
    result = _cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_missing_credentials_exit_2(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _vault(materialised)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for command in (["restore", "--bucket", "data-payments", "--key", KEY], ["status"]):
        result = _cli(*command)
        assert result.exit_code == 2, result.output
        assert "no AWS credentials found" in result.output


def _judged(env: Env, duty: str, calls: list[Any]) -> list[tuple[str, str, bool, str]]:
    """Every request of ``calls`` judged by policies.iamsim for the role of ``duty`` with the plan's policies
    as moto holds them, from inside the VPC (the S3 endpoint) over TLS 1.3: (action, resource, allowed,
    reason). tag:GetResources and cloudwatch:GetMetricData have no resource: judged on ``*``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/strongroom: iam_support
    from iam_support import PlanPolicies

    from strongroom.policies.iamsim import Request

    _, materialised, plan = env
    policies = PlanPolicies(plan, real=materialised.real)
    context = policies.s3_context()
    judged = policies.judge_calls(
        duty, [c for c in calls if c.service in ("s3", "kms", "sts")], context=context
    )
    out = [(r.action, r.resource, d.allowed, str(d.reason)) for _, r, d in judged]
    role = policies.role(duty)
    for call in calls:
        if call.service not in ("s3", "kms", "sts"):
            decision = policies.decide(role, Request(role.arn, call.action, "*", dict(context)))
            out.append((call.action, "*", decision.allowed, str(decision.reason)))
    return out


def test_every_call_of_restore_and_status_is_allowed_for_the_recovery_role_and_not_the_auditor(
    materialised: Callable[[str], Env], failed_header: set[str]
) -> None:
    env = materialised("prod")
    aws = env[0]
    vault = locate(aws, "prod", stack_settings(ROOT, "prod"))
    data, replica = vault.data_buckets["payments"], vault.replica_buckets["payments"]
    _replicate(aws, replica, KEY, "replicated-version", GOOD)
    _snapshot(aws, vault, "payments", [(KEY, "replicated-version", GOOD)])
    _put(aws, data, KEY, BAD)
    _replicate(aws, vault.backup_buckets["payments"], "curated/other.csv", "backed-up-version", GOOD)
    failed_header.add(KEY)

    runner = new_aws()
    found = locate(runner, "prod", stack_settings(ROOT, "prod"))
    from_replica = recovery.restore(runner, found, "data-payments", KEY)
    assert from_replica.source is not None and from_replica.source.where == "replica"
    from_backup = recovery.restore(
        runner, found, "data-payments", "curated/other.csv", version="backed-up-version"
    )
    assert from_backup.source is not None and from_backup.source.where == "backup"
    model_key, model_version = _pushed_model(aws, vault)
    _put(aws, vault.models_bucket, model_key, BAD)
    from_models = recovery.restore(runner, found, "models", model_key)
    assert from_models.source is not None and from_models.source.version_id == model_version
    report = recovery.status(runner, found)
    assert next(s for s in report.sources if s.dataset == "payments").failed  # the FAILED header was read
    _no_deletes(runner)
    calls = list(runner.calls)
    regions = {c.region for c in calls if c.params.get("Bucket") == replica.name}
    assert regions == {"eu-west-1"}, regions

    judged = _judged(env, "recovery", calls)
    assert len(judged) >= len(calls)
    denied = [f"{a} {r}: {why}" for a, r, ok, why in judged if not ok]
    assert denied == [], "\n".join(denied)
    actions = {a for a, _, _, _ in judged}
    assert {
        "s3:PutObject",
        "s3:GetObjectVersion",
        "s3:ListBucketVersions",
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "cloudwatch:GetMetricData",
        "s3:GetBucketObjectLockConfiguration",
    } <= actions

    auditor = {(a, r) for a, r, ok, _ in _judged(env, "auditor", calls) if not ok}
    assert ("s3:PutObject", f"arn:aws:s3:::{data.name}/{KEY}") in auditor
    assert ("s3:ListBucketVersions", f"arn:aws:s3:::{data.name}") in auditor


def test_a_denied_call_exits_3_naming_the_action(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    from strongroom.live.aws import LiveError

    _vault(materialised)

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise LiveError(
            "s3:ListBucketVersions", "access denied: x may not call s3:ListBucketVersions (AccessDenied)"
        )

    monkeypatch.setattr(recovery, "status", denied)
    monkeypatch.setattr(recovery, "restore", denied)
    for command in (["status"], ["restore", "--bucket", "data-payments", "--key", KEY]):
        result = _cli(*command)
        assert result.exit_code == 3, result.output
        assert "may not call s3:ListBucketVersions" in result.output and "Traceback" not in result.output


def _replica_region_out_of_reach(aws: Aws) -> None:
    """From inside the VPC: no route to S3 in the replica region (a closed port stands for it)."""
    import boto3
    import botocore.config

    config = botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=1)
    aws._clients = dict(aws._clients)  # this test's own: the session's clients are shared between tests
    aws._clients[("s3", "eu-west-1")] = boto3.session.Session().client(
        "s3", region_name="eu-west-1", endpoint_url="http://127.0.0.1:9", config=config
    )


def test_restore_goes_on_without_a_replica_region_it_cannot_reach(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised, "prod")
    data, backup = vault.data_buckets["payments"], vault.backup_buckets["payments"]
    good = _put(aws, data, KEY, GOOD)
    _replicate(aws, backup, KEY, good, GOOD)
    _snapshot(aws, vault, "payments", [(KEY, good, GOOD)])
    _put(aws, data, KEY, BAD)
    _replica_region_out_of_reach(aws)

    result = recovery.restore(aws, vault, "data-payments", KEY)

    assert result.source is not None and result.source.where in ("bucket", "backup")
    assert _body(aws, data, KEY) == GOOD
    assert any("not considered" in s and "eu-west-1" in s and "cannot reach" in s for s in result.skipped)
    assert "not considered" in recovery.restore_text(result)
    _no_deletes(aws)


def test_status_says_what_it_could_not_reach_and_exits_3(materialised: Callable[[str], Env]) -> None:
    aws, vault = _vault(materialised, "prod")
    _replica_region_out_of_reach(aws)
    result = recovery.status(aws, vault)
    assert result.problems == [], result.problems
    assert {u.split(" ")[0] for u in result.unread} == {b.name for b in vault.replica_buckets.values()}
    assert all("eu-west-1" in u and "cannot reach" in u for u in result.unread)
    assert result.exit_code == 3
    assert "not read: " in recovery.status_text(result) and result.as_json()["unread"] == result.unread
