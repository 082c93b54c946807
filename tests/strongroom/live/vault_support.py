"""Helpers of the vault tests (test_vault_*.py), one of each: run a vault command through the CLI recording
the calls of the sessions it opened, write what ``vault push`` and ``vault snapshot`` leave in the buckets
(from a session of its own, so the commands' calls are the only ones recorded), and judge recorded calls
for anything that deletes or shortens what is kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from live_support import ROOT, new_aws
from typer.testing import CliRunner

import strongroom.vault.cli as vault_cli
from strongroom.cli import app
from strongroom.components.layout import DATASETS_PREFIX
from strongroom.live.aws import Aws, Call
from strongroom.vault import manifest as mf
from strongroom.vault.stack import MANIFEST, VaultStack, new_version

MODEL = "credit-pd"
T0 = datetime(2026, 12, 1, 6, 0, 0, tzinfo=UTC)
SIGNER = "arn:aws:sts::123456789012:assumed-role/training/job"


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def run_vault(
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    role: str | None = None,
    stack: str = "dev",
    roles: list[str] | None = None,
) -> tuple[Any, list[Aws]]:
    """``strongroom vault <args> --stack <stack> -C <repo>`` through the CLI; the sessions it opened (their
    recorded calls). With ``role``, every session must have been opened as that role; ``roles`` collects
    the roles they were opened as."""
    opened: list[Aws] = []
    real = vault_cli.open_vault

    def spy(options: Any, as_role: str) -> tuple[Aws, VaultStack]:
        if role is not None:
            assert as_role == role
        if roles is not None:
            roles.append(as_role)
        aws, vault = real(options, as_role)
        opened.append(aws)
        return aws, vault

    monkeypatch.setattr(vault_cli, "open_vault", spy)
    result = CliRunner().invoke(app, ["vault", *args, "--stack", stack, "-C", str(ROOT)])
    return result, opened


def kms_key_arn(aws: Aws, vault: VaultStack, purpose: str) -> str:
    """The ARN of the environment's ``purpose`` key, read by a client (not recorded)."""
    return str(aws.client("kms").describe_key(KeyId=vault.key_alias(purpose))["KeyMetadata"]["Arn"])


def push_candidate(
    vault: VaultStack, body: bytes, minutes: int = 0, model: str = MODEL, name: str = "model.tar.gz"
) -> tuple[str, str]:
    """A pushed candidate as ``vault push`` leaves it: the artifact (SSE-KMS, SHA-256 checksum) and its
    signed manifest. Returns (version, artifact key)."""
    setup = new_aws()
    s3 = setup.client("s3")
    key_arn = kms_key_arn(setup, vault, "models")
    version = new_version(sha256(body), T0 + timedelta(minutes=minutes))
    prefix = vault.candidate_prefix(model, version)
    bucket = vault.models_bucket.name
    put = s3.put_object(
        Bucket=bucket,
        Key=f"{prefix}{name}",
        Body=body,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_arn,
        ChecksumAlgorithm="SHA256",
    )
    manifest = mf.ModelManifest(
        environment=vault.stack,
        model=model,
        version=version,
        artifact=mf.ObjectRef(
            bucket=bucket,
            key=f"{prefix}{name}",
            version_id=put["VersionId"],
            sha256=sha256(body),
            size=len(body),
        ),
        code_revision="0123abc",
        pushed_by=SIGNER,
        pushed_at=f"{T0:%Y-%m-%dT%H:%M:%SZ}",
    )
    s3.put_object(
        Bucket=bucket,
        Key=f"{prefix}{MANIFEST}",
        Body=mf.sign(setup, vault.signing_key, manifest),
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_arn,
    )
    return version, f"{prefix}{name}"


def register(vault: VaultStack, artifact_key: str, approve: bool = True, model: str = MODEL) -> str:
    """A model package of ``model``'s group whose ModelDataUrl is the artifact; approved if asked."""
    sm = new_aws().client("sagemaker")
    arn = sm.create_model_package(
        ModelPackageGroupName=vault.package_group(model),
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "123456789012.dkr.ecr.eu-west-2.amazonaws.com/sr-dev-serve:1",
                    "ModelDataUrl": f"s3://{vault.models_bucket.name}/{artifact_key}",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    if approve:
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    return str(arn)


def signed_snapshot(
    aws: Aws,
    vault: VaultStack,
    dataset: str,
    snapshot: str,
    objects: Iterable[mf.ObjectRef],
    prefix: str = "curated/",
    taken_by: str = "arn:aws:sts::123456789012:assumed-role/ci/run",
) -> tuple[str, bytes]:
    """A dataset snapshot manifest of ``dataset``'s data bucket as ``vault snapshot`` signs it: (its key in
    the models bucket, its signed body), not written."""
    manifest = mf.DatasetManifest(
        schema=mf.DATASET_SCHEMA,
        environment=vault.stack,
        dataset=dataset,
        snapshot=snapshot,
        bucket=vault.data_buckets[dataset].name,
        prefix=prefix,
        objects=tuple(objects),
        taken_by=taken_by,
        taken_at="2026-12-01T06:00:00Z",
    )
    return f"{DATASETS_PREFIX}{dataset}/{snapshot}.json", mf.sign(aws, vault.signing_key, manifest)


def deleting(calls: Iterable[Call]) -> list[str]:
    """The recorded calls that delete or could let S3 drop what it keeps: any Delete* operation (an object,
    a version, a bucket, its policy, a model package), a lifecycle rule (it expires versions), a change of
    versioning (Suspended stops keeping versions) or of Object Lock retention, or a governance bypass."""
    bad = []
    for call in calls:
        operation, action = call.operation, call.action
        if (
            operation.startswith("Delete")
            or "Delete" in action
            or (operation.startswith("Put") and "Lifecycle" in operation)
            or any(word in action for word in _KEEPING_ACTIONS)
            or operation in ("PutBucketVersioning", "PutObjectRetention", "PutObjectLockConfiguration")
            or call.params.get("BypassGovernanceRetention")
        ):
            bad.append(f"{action} {call.params.get('Bucket', '')}/{call.params.get('Key', '')}")
    return bad


_KEEPING_ACTIONS = (
    "PutLifecycle",
    "PutBucketLifecycle",
    "PutBucketVersioning",
    "PutObjectRetention",
    "PutBucketObjectLockConfiguration",
    "BypassGovernance",
)


def assert_nothing_deleted(sessions: Iterable[Aws]) -> None:
    calls = [c for aws in sessions for c in aws.calls]
    assert calls, "no call recorded"
    assert deleting(calls) == []
