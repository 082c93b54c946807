"""``vault promote`` and ``vault rollback`` on the dev stack materialised in moto: the gate refuses every
unverified or unapproved candidate, promote and rollback write new S3 versions and delete nothing."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from live_support import ROOT, new_aws
from vault_support import MODEL, assert_nothing_deleted, push_candidate, register, run_vault

from strongroom.live.aws import Aws
from strongroom.vault import manifest as mf
from strongroom.vault import promotion
from strongroom.vault.stack import MANIFEST, VaultStack, locate, stack_settings

Env = Any


def _vault(materialised: Callable[[str], Env]) -> tuple[Aws, VaultStack]:
    aws, _, _ = materialised("dev")
    return aws, locate(new_aws(), "dev", stack_settings(ROOT, "dev"))


def production(vault: VaultStack, name: str = promotion.ARTIFACT) -> tuple[bytes, dict[str, Any]]:
    got = (
        new_aws()
        .client("s3")
        .get_object(Bucket=vault.models_bucket.name, Key=f"{vault.production_prefix(MODEL)}{name}")
    )
    return got["Body"].read(), got


def versions(vault: VaultStack) -> dict[str, list[str]]:
    listed = (
        new_aws()
        .client("s3")
        .list_object_versions(Bucket=vault.models_bucket.name, Prefix=vault.production_prefix(MODEL))
    )
    assert not listed.get("DeleteMarkers")
    out: dict[str, list[str]] = {}
    for item in listed.get("Versions", []):
        out.setdefault(item["Key"].rsplit("/", 1)[-1], []).append(item["VersionId"])
    return out


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, list[Aws]]:
    """``strongroom vault <args>`` as the model approver; the sessions it opened."""
    return run_vault(monkeypatch, *args, role="model-approver")


def test_promote_refuses_a_package_not_approved_then_promotes_it_once_approved(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, vault = _vault(materialised)
    version, key = push_candidate(vault, b"model one")
    arn = register(vault, key, approve=False)

    result, sessions = run(monkeypatch, "promote", "--model", MODEL, "--version", version)
    assert result.exit_code == 1, result.output
    assert f"no Approved model package in group sr-dev-{MODEL} has ModelDataUrl" in result.output
    assert f"{arn} (PendingManualApproval): approve one first" in result.output
    assert versions(vault) == {}
    assert_nothing_deleted(sessions)

    new_aws().client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    result, sessions = run(monkeypatch, "promote", "--model", MODEL, "--version", version)
    assert result.exit_code == 0, result.output
    assert f"gate:   model package {arn} Approved" in result.output
    assert "before: none (nothing was in production)" in result.output
    body, got = production(vault)
    assert body == b"model one"
    assert got["Metadata"] == {
        promotion.VERSION_METADATA: version,
        promotion.SHA256_METADATA: hashlib.sha256(b"model one").hexdigest(),
    }
    assert got["ServerSideEncryption"] == "aws:kms"
    assert got["SSEKMSKeyId"].endswith(
        new_aws().client("kms").describe_key(KeyId=vault.key_alias("models"))["KeyMetadata"]["KeyId"]
    )
    assert f"after:  {version} (artifact S3 version {got['VersionId']}" in result.output
    envelope = mf.read_envelope(production(vault, MANIFEST)[0], "production manifest")
    assert envelope.manifest["version"] == version
    assert_nothing_deleted(sessions)
    candidate = new_aws().client("s3").head_object(Bucket=vault.models_bucket.name, Key=key)
    copies = [c for c in sessions[0].calls if c.operation == "CopyObject"]
    assert copies[0].params["CopySource"] == {
        "Bucket": vault.models_bucket.name,
        "Key": key,
        "VersionId": candidate["VersionId"],
    }
    assert all(c.params["ExpectedBucketOwner"] == vault.account for c in copies)


def test_promote_refuses_an_artifact_changed_after_it_was_pushed(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, vault = _vault(materialised)
    version, key = push_candidate(vault, b"model one")
    register(vault, key)
    new_aws().client("s3").put_object(Bucket=vault.models_bucket.name, Key=key, Body=b"poisoned")

    result, _ = run(monkeypatch, "promote", "--model", MODEL, "--version", version)
    assert result.exit_code == 1, result.output
    assert "artifact S3 version" in result.output and "replaced after it was pushed" in result.output
    assert f"artifact sha256 {hashlib.sha256(b'poisoned').hexdigest()} != manifest" in result.output
    assert versions(vault) == {}


def test_promote_refuses_a_changed_manifest(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, vault = _vault(materialised)
    version, key = push_candidate(vault, b"model one")
    register(vault, key)
    s3 = new_aws().client("s3")
    manifest_key = f"{vault.candidate_prefix(MODEL, version)}{MANIFEST}"
    envelope = json.loads(s3.get_object(Bucket=vault.models_bucket.name, Key=manifest_key)["Body"].read())
    envelope["manifest"]["code_revision"] = "evil"
    s3.put_object(Bucket=vault.models_bucket.name, Key=manifest_key, Body=json.dumps(envelope).encode())

    result, _ = run(monkeypatch, "promote", "--model", MODEL, "--version", version)
    assert result.exit_code == 1, result.output
    assert "the manifest was changed after signing" in result.output
    assert versions(vault) == {}


def test_promote_refuses_a_signed_manifest_of_another_version_put_in_its_place(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, vault = _vault(materialised)
    v1, k1 = push_candidate(vault, b"model one")
    v2, _ = push_candidate(vault, b"model two", minutes=1)
    register(vault, k1)
    s3 = new_aws().client("s3")
    bucket = vault.models_bucket.name
    replayed = s3.get_object(Bucket=bucket, Key=f"{vault.candidate_prefix(MODEL, v1)}{MANIFEST}")[
        "Body"
    ].read()
    s3.put_object(Bucket=bucket, Key=f"{vault.candidate_prefix(MODEL, v2)}{MANIFEST}", Body=replayed)

    result, _ = run(monkeypatch, "promote", "--model", MODEL, "--version", v2)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert f"version '{v1}' != expected '{v2}'" in text
    assert "changed after signing" not in text  # the signature is valid: it is v1's manifest
    assert versions(vault) == {}


def test_promote_refuses_when_the_approved_package_is_another_artifacts(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, vault = _vault(materialised)
    version, _ = push_candidate(vault, b"model one")
    _, other_key = push_candidate(vault, b"model two", minutes=1)
    other = register(vault, other_key)

    result, _ = run(monkeypatch, "promote", "--model", MODEL, "--version", version)
    assert result.exit_code == 1, result.output
    assert f"Approved packages of other artifacts: {other} (s3://{vault.models_bucket.name}/{other_key})" in (
        " ".join(result.output.split())
    )
    assert versions(vault) == {}


def test_rollback_restores_a_byte_identical_artifact_and_keeps_every_version(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, vault = _vault(materialised)
    v1, k1 = push_candidate(vault, b"model one")
    v2, k2 = push_candidate(vault, b"model two (poisoned)", minutes=1)
    register(vault, k1)
    register(vault, k2)
    assert run(monkeypatch, "promote", "--model", MODEL, "--version", v1)[0].exit_code == 0
    assert run(monkeypatch, "promote", "--model", MODEL, "--version", v2)[0].exit_code == 0
    assert production(vault)[0] == b"model two (poisoned)"
    before = versions(vault)
    assert {k: len(v) for k, v in before.items()} == {promotion.ARTIFACT: 2, MANIFEST: 2}

    result, sessions = run(monkeypatch, "rollback", "--model", MODEL, "--to", v1)
    assert result.exit_code == 0, result.output
    after = versions(vault)
    assert {k: len(v) for k, v in after.items()} == {promotion.ARTIFACT: 3, MANIFEST: 3}
    assert all(set(before[k]) < set(after[k]) for k in before)  # every earlier version is still there
    body, got = production(vault)
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(b"model one").hexdigest()
    assert got["Metadata"][promotion.VERSION_METADATA] == v1
    assert mf.read_envelope(production(vault, MANIFEST)[0], "m").manifest["version"] == v1
    assert f"before: {v2} (artifact S3 version" in result.output
    assert f"after:  {v1} (artifact S3 version {got['VersionId']}" in result.output
    assert_nothing_deleted(sessions)
    # the copy is of v1's production S3 version, not a new upload
    copies = [c for c in sessions[0].calls if c.operation == "CopyObject"]
    assert [c.params["Key"].rsplit("/", 1)[-1] for c in copies] == [promotion.ARTIFACT, MANIFEST]
    assert {c.params["CopySource"]["VersionId"] for c in copies} <= set(before[promotion.ARTIFACT]) | set(
        before[MANIFEST]
    )
    assert not [c for c in sessions[0].calls if c.operation in ("PutObject", "UploadPart")]


def test_rollback_refuses_a_production_version_whose_bytes_changed(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, vault = _vault(materialised)
    v1, k1 = push_candidate(vault, b"model one")
    register(vault, k1)
    assert run(monkeypatch, "promote", "--model", MODEL, "--version", v1)[0].exit_code == 0
    # someone writes other bytes carrying v1's metadata: its hash is not v1's
    s3 = new_aws().client("s3")
    s3.put_object(
        Bucket=vault.models_bucket.name,
        Key=f"{vault.production_prefix(MODEL)}{promotion.ARTIFACT}",
        Body=b"forged",
        Metadata={promotion.VERSION_METADATA: v1},
    )
    original = versions(vault)[promotion.ARTIFACT]
    result, _ = run(monkeypatch, "rollback", "--model", MODEL, "--to", v1)
    assert result.exit_code == 0, result.output  # the newest intact version, the promoted one, is used
    assert production(vault)[0] == b"model one"
    assert len(versions(vault)[promotion.ARTIFACT]) == len(original) + 1

    # v2's manifest reaches production by hand, its artifact never: no intact artifact to roll back to
    v2, _ = push_candidate(vault, b"model two", minutes=1)
    signed = s3.get_object(
        Bucket=vault.models_bucket.name, Key=f"{vault.candidate_prefix(MODEL, v2)}{MANIFEST}"
    )
    s3.put_object(
        Bucket=vault.models_bucket.name,
        Key=f"{vault.production_prefix(MODEL)}{MANIFEST}",
        Body=signed["Body"].read(),
    )
    result, _ = run(monkeypatch, "rollback", "--model", MODEL, "--to", v2)
    assert result.exit_code == 1, result.output
    assert f"no S3 version holds {v2}'s artifact" in result.output
    assert production(vault)[0] == b"model one"


def test_rollback_to_a_version_never_promoted_is_a_usage_error(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, vault = _vault(materialised)
    v1, k1 = push_candidate(vault, b"model one")
    v2, _ = push_candidate(vault, b"model two", minutes=1)
    register(vault, k1)
    result, _ = run(monkeypatch, "rollback", "--model", MODEL, "--to", v2)
    assert result.exit_code == 2, result.output
    assert f"none (model {MODEL} was never promoted)" in result.output

    assert run(monkeypatch, "promote", "--model", MODEL, "--version", v1)[0].exit_code == 0
    result, sessions = run(monkeypatch, "rollback", "--model", MODEL, "--to", v2)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"--to '{v2}': version {v2} of model {MODEL} was never in production" in text
    assert f"the versions that were, newest first: {v1}" in text
    assert f"{v2} is a candidate: promote it instead" in text
    assert "Traceback" not in result.output
    assert not [c for c in sessions[0].calls if c.operation == "CopyObject"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promote", "--model", "nope", "--version", "20261201T060000Z-0123456789ab"], "--model 'nope'"),
        (["promote", "--model", MODEL, "--version", "v1"], "--version 'v1': not a vault version"),
        (["rollback", "--model", MODEL, "--to", "latest"], "--to 'latest': not a vault version"),
        (["rollback", "--model", "nope", "--to", "20261201T060000Z-0123456789ab"], "accepted: credit-pd"),
    ],
)
def test_bad_input_is_a_usage_error(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    _vault(materialised)
    result, _ = run(monkeypatch, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_unknown_version_names_the_versions_pushed(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, vault = _vault(materialised)
    v1, _ = push_candidate(vault, b"model one")
    v2, _ = push_candidate(vault, b"model two", minutes=1)
    result, _ = run(monkeypatch, "promote", "--model", MODEL, "--version", "20261201T070000Z-0123456789ab")
    assert result.exit_code == 2, result.output
    assert f"accepted, newest first: {v2}, {v1}" in " ".join(result.output.split())


def test_access_denied_exits_3(materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch) -> None:
    from strongroom.live.aws import LiveError

    _vault(materialised)

    def denied(*_: Any, **__: Any) -> Any:
        raise LiveError("s3:GetObject", "access denied: caller may not call s3:GetObject")

    monkeypatch.setattr(promotion, "resolve_version", denied)
    result, _ = run(monkeypatch, "promote", "--model", MODEL, "--version", "20261201T060000Z-0123456789ab")
    assert result.exit_code == 3, result.output
    assert "access denied: caller may not call s3:GetObject" in result.output


def judged(env: Env, duty: str, sessions: list[Aws]) -> list[tuple[str, str, str, bool]]:
    """Every call of ``sessions`` as the request(s) AWS authorises, judged by policies.iamsim for the role of
    ``duty`` with the plan's identity, boundary, bucket and key policies (as moto holds them), made as the
    vault commands run: inside the VPC, through the S3 gateway endpoint, over TLS 1.3.
    (action, resource, reason, allowed)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/strongroom: iam_support
    from iam_support import PlanPolicies

    from strongroom.policies.iamsim import Request

    _, materialised, plan = env
    policies = PlanPolicies(plan, real=materialised.real)
    context = policies.s3_context()
    calls = [c for aws in sessions for c in aws.calls]
    out = [
        (r.action, r.resource, d.reason, d.allowed)
        for _, r, d in policies.judge_calls(
            duty, [c for c in calls if c.service in ("s3", "kms", "sts")], context=context
        )
    ]
    role = policies.role(duty)
    for call in calls:
        if call.service == "resourcegroupstaggingapi":  # tag:GetResources: no resource-level permission
            request = Request(role.arn, call.action, "*", dict(context))
        elif call.operation == "DescribeModelPackage":
            request = Request(role.arn, call.action, str(call.params["ModelPackageName"]), dict(context))
        else:
            continue
        decision = policies.decide(role, request)
        out.append((request.action, request.resource, decision.reason, decision.allowed))
    return out


def test_every_call_of_promote_and_rollback_is_the_model_approvers(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = materialised("dev")
    vault = locate(new_aws(), "dev", stack_settings(ROOT, "dev"))
    v1, k1 = push_candidate(vault, b"model one")
    v2, k2 = push_candidate(vault, b"model two", minutes=1)
    register(vault, k1)
    register(vault, k2)
    sessions: list[Aws] = []
    v3, _ = push_candidate(vault, b"model three, never promoted", minutes=2)
    unknown = "20261201T070000Z-0123456789ab"
    for args, code in (
        (("promote", "--version", v1), 0),
        (("promote", "--version", v2), 0),
        (("rollback", "--to", v1), 0),
        (("promote", "--version", unknown), 2),  # lists the candidates
        (("rollback", "--to", v3), 2),  # looks for the candidate
    ):
        result, opened = run(monkeypatch, args[0], "--model", MODEL, *args[1:])
        assert result.exit_code == code, result.output
        sessions += opened
    operations = {c.operation for aws in sessions for c in aws.calls}
    assert {
        "CopyObject",
        "ListObjectVersions",
        "ListObjectsV2",
        "HeadObject",
        "GetObject",
        "Verify",
        "DescribeModelPackage",
    } <= operations

    verdicts = judged(env, "model-approver", sessions)
    assert [v for v in verdicts if not v[3]] == []
    # the same calls as another vault role: training may not write production nor list its versions
    denied = {(a, r) for a, r, _, allowed in judged(env, "training", sessions) if not allowed}
    models = f"arn:aws:s3:::{vault.models_bucket.name}"
    assert ("s3:PutObject", f"{models}/{vault.production_prefix(MODEL)}{promotion.ARTIFACT}") in denied
    assert ("s3:ListBucketVersions", models) in denied
