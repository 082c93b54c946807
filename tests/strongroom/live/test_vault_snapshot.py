"""``vault snapshot`` on the dev stack materialised in moto: the exact object versions under a data prefix,
signed, stored in the models bucket, and still readable byte for byte after the data changed."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from live_support import ROOT, new_aws
from vault_support import kms_key_arn, run_vault

from strongroom.components.layout import DATASETS_PREFIX, TRAINING_DATA_PREFIX
from strongroom.live.aws import Aws
from strongroom.policies.iamsim import Request
from strongroom.vault import data
from strongroom.vault import manifest as mf
from strongroom.vault.stack import VaultStack, locate, stack_settings

DATASET = "payments"
Env = Any


def _vault(materialised: Callable[[str], Env]) -> VaultStack:
    materialised("dev")
    return locate(new_aws(), "dev", stack_settings(ROOT, "dev"))


def put_data(vault: VaultStack, key: str, body: bytes, checksum: bool = True) -> str:
    """An object of the payments data bucket (SSE-KMS with the data key); its S3 version ID."""
    setup = new_aws()
    key_arn = kms_key_arn(setup, vault, "data")
    extra = {"ChecksumAlgorithm": "SHA256"} if checksum else {}
    put = setup.client("s3").put_object(
        Bucket=vault.data_buckets[DATASET].name,
        Key=key,
        Body=body,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_arn,
        **extra,
    )
    return str(put["VersionId"])


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, list[Aws]]:
    return run_vault(monkeypatch, "snapshot", *args, role="training")


def stored(vault: VaultStack, key: str, version_id: str | None = None) -> bytes:
    extra = {"VersionId": version_id} if version_id else {}
    got = new_aws().client("s3").get_object(Bucket=vault.models_bucket.name, Key=key, **extra)
    return bytes(got["Body"].read())


def test_a_snapshot_names_exact_versions_that_read_back_after_the_data_changed(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = _vault(materialised)
    bodies = {
        f"{TRAINING_DATA_PREFIX}loans/a.csv": b"id,amount\n1,100\n",
        f"{TRAINING_DATA_PREFIX}loans/b.csv": b"id,amount\n2,200\n",
        f"{TRAINING_DATA_PREFIX}cards/c.csv": b"id,limit\n3,300\n",
    }
    original = {key: put_data(vault, key, body) for key, body in bodies.items()}
    put_data(vault, "raw/outside.csv", b"not training data")

    result, sessions = run(monkeypatch, "--dataset", DATASET, "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["objects"] == 3
    assert out["total_bytes"] == sum(len(b) for b in bodies.values())
    key = out["manifest"]["key"]
    assert key == f"{DATASETS_PREFIX}{DATASET}/{out['snapshot']}.json"
    assert out["manifest"]["bucket"] == vault.models_bucket.name
    first = stored(vault, key, out["manifest"]["version_id"])

    # the data changes: a new version of a.csv, a new object
    put_data(vault, f"{TRAINING_DATA_PREFIX}loans/a.csv", b"id,amount\n1,999999\n")
    put_data(vault, f"{TRAINING_DATA_PREFIX}loans/d.csv", b"id,amount\n4,400\n")

    # the snapshot does not change, and it verifies
    assert stored(vault, key) == first
    aws = new_aws()
    envelope = mf.read_envelope(first, key)
    assert mf.verify(aws, vault.signing_key, envelope, key) == []
    manifest = mf.dataset_manifest(envelope, key)
    assert manifest.snapshot == out["snapshot"]
    assert manifest.prefix == TRAINING_DATA_PREFIX
    assert {o.key: o.version_id for o in manifest.objects} == original
    # every version it names reads back byte for byte, and hashes to what it records
    s3 = aws.client("s3")
    for ref in manifest.objects:
        body = s3.get_object(Bucket=ref.bucket, Key=ref.key, VersionId=ref.version_id)["Body"].read()
        assert body == bodies[ref.key]
        assert hashlib.sha256(body).hexdigest() == ref.sha256
        assert ref.size == len(body)
    assert manifest.taken_by == sessions[0].caller()["Arn"]

    # a new snapshot is another one: the new version of a.csv and the new object
    result, _ = run(monkeypatch, "--dataset", DATASET, "--prefix", "loans/", "--format", "json")
    assert result.exit_code == 0, result.output
    again = json.loads(result.output)
    assert again["snapshot"] != out["snapshot"] and again["objects"] == 3
    second = mf.dataset_manifest(mf.read_envelope(stored(vault, again["manifest"]["key"]), "s"), "s")
    assert second.prefix == f"{TRAINING_DATA_PREFIX}loans/"
    assert [o.key.rsplit("/", 1)[-1] for o in second.objects] == ["a.csv", "b.csv", "d.csv"]
    assert second.objects[0].version_id != original[f"{TRAINING_DATA_PREFIX}loans/a.csv"]
    assert stored(vault, key) == first


def test_the_stored_checksum_is_used_and_an_object_without_one_is_hashed(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = _vault(materialised)
    with_sum = f"{TRAINING_DATA_PREFIX}x/with.csv"
    without = f"{TRAINING_DATA_PREFIX}x/without.csv"
    put_data(vault, with_sum, b"checksummed")
    plain = put_data(vault, without, b"no checksum", checksum=False)

    result, sessions = run(monkeypatch, "--dataset", DATASET, "--prefix", "x/")
    assert result.exit_code == 0, result.output
    assert "objects:  2, 22 bytes" in result.output
    assert f"manifest: s3://{vault.models_bucket.name}/{DATASETS_PREFIX}{DATASET}/" in result.output
    calls = sessions[0].calls
    reads = [c.params for c in calls if c.operation == "GetObject"]
    assert reads == [
        {
            "Bucket": vault.data_buckets[DATASET].name,
            "ExpectedBucketOwner": vault.account,
            "Key": without,
            "VersionId": plain,
        }
    ]
    heads = [c.params for c in calls if c.operation == "HeadObject"]
    assert {h["Key"] for h in heads} == {with_sum, without}
    assert all(h["ChecksumMode"] == "ENABLED" for h in heads)
    actions = {c.action for c in calls}
    assert not [a for a in actions if "Delete" in a or "Lifecycle" in a], actions
    put = [c.params for c in calls if c.operation == "PutObject"]
    assert len(put) == 1 and put[0]["ServerSideEncryption"] == "aws:kms"
    assert put[0]["SSEKMSKeyId"].startswith("arn:aws:kms:") and put[0]["ChecksumAlgorithm"] == "SHA256"


def test_full_object_sha256_refuses_composite_checksums() -> None:
    digest = hashlib.sha256(b"x").digest()
    b64 = base64.b64encode(digest).decode()
    assert data.full_object_sha256({"ChecksumSHA256": b64}) == digest.hex()
    assert data.full_object_sha256({"ChecksumSHA256": b64, "ChecksumType": "FULL_OBJECT"}) == digest.hex()
    assert data.full_object_sha256({"ChecksumSHA256": f"{b64}-3"}) is None
    assert data.full_object_sha256({"ChecksumSHA256": b64, "ChecksumType": "COMPOSITE"}) is None
    assert data.full_object_sha256({"ChecksumCRC32": "jNwWgw=="}) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "nope"], "--dataset 'nope': not a data domain of stack dev"),
        (["--dataset", DATASET, "--prefix", "empty/"], "no object under s3://"),
        (["--dataset", DATASET, "--prefix", "../raw/"], "--prefix '../raw/': accepted"),
        (["--dataset", DATASET, "--format", "xml"], "--format 'xml': accepted: text, json"),
    ],
)
def test_bad_input_is_a_usage_error(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    vault = _vault(materialised)
    put_data(vault, f"{TRAINING_DATA_PREFIX}loans/a.csv", b"a")
    result, _ = run(monkeypatch, *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def _role_statements(role: str) -> list[dict[str, Any]]:
    """The statements of ``role``'s inline policy in the dev plan."""
    from live_support import stack_plan

    for res in stack_plan("dev").resources:
        if res.type == "aws:iam/rolePolicy:RolePolicy" and res.name == f"sr-dev-roles-{role}-policy":
            doc = res.inputs["policy"]
            return list((json.loads(doc) if isinstance(doc, str) else doc)["Statement"])
    raise AssertionError(f"no policy of role {role}")


def _granted(statements: list[dict[str, Any]], action: str, resource: str) -> list[dict[str, Any]]:
    def listed(value: Any) -> list[str]:
        return [value] if isinstance(value, str) else list(value)

    return [
        s
        for s in statements
        if s["Effect"] == "Allow" and action in listed(s["Action"]) and resource in listed(s["Resource"])
    ]


def test_the_plan_lets_training_write_snapshots_and_the_vault_readers_read_them() -> None:
    statements = {r: _role_statements(r) for r in ("training", "model-approver", "data-scientist")}
    models = next(s["Resource"] for s in statements["training"] if s.get("Sid") == "WriteDatasetSnapshots")[
        0
    ].removesuffix(f"/{DATASETS_PREFIX}*")
    snapshots = f"{models}/{DATASETS_PREFIX}*"
    assert _granted(statements["training"], "s3:PutObject", snapshots)
    for role, granted in statements.items():
        assert _granted(granted, "s3:GetObjectVersion", snapshots), role
        listing = [s for s in _granted(granted, "s3:ListBucket", models)]
        assert any(f"{DATASETS_PREFIX}*" in s["Condition"]["StringLike"]["s3:prefix"] for s in listing), role
    for role in ("model-approver", "data-scientist"):
        assert not _granted(statements[role], "s3:PutObject", snapshots), role
    # rollback lists the production versions of the stack's models, nothing else
    (versions,) = _granted(statements["model-approver"], "s3:ListBucketVersions", models)
    assert versions["Condition"] == {
        "StringLike": {"s3:prefix": ["production/credit-pd/*", "production/fraud-score/*"]}
    }


def test_the_datasets_prefix_may_not_be_the_production_prefix() -> None:
    from strongroom.components.policydocs import iam

    with pytest.raises(ValueError, match="production_prefix: 'production/' must differ"):
        iam.Scope(
            partition="aws",
            account="123456789012",
            region="eu-west-2",
            data_bucket_arns=("arn:aws:s3:::dev-data",),
            model_bucket_arn="arn:aws:s3:::dev-models",
            data_key_arn="k",
            model_key_arn="k",
            logs_key_arn="k",
            name_prefix="dev-",
            datasets_prefix="production/",
        )


def test_every_call_of_snapshot_is_the_training_roles(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/strongroom: iam_support
    from iam_support import PlanPolicies

    _, env, plan = materialised("dev")
    vault = locate(new_aws(), "dev", stack_settings(ROOT, "dev"))
    put_data(vault, f"{TRAINING_DATA_PREFIX}loans/a.csv", b"checksummed")
    put_data(vault, f"{TRAINING_DATA_PREFIX}loans/b.csv", b"hashed by the command", checksum=False)
    result, sessions = run(monkeypatch, "--dataset", DATASET)
    assert result.exit_code == 0, result.output
    calls = [c for c in sessions[0].calls if c.service in ("s3", "kms", "sts")]
    assert {"ListObjectsV2", "HeadObject", "GetObject", "PutObject", "Sign"} <= {c.operation for c in calls}

    policies = PlanPolicies(plan, real=env.real)
    context = policies.s3_context()  # inside the VPC, through the S3 gateway endpoint, over TLS
    verdicts = policies.judge_calls("training", calls, context=context)
    assert [f"{r.action} {r.resource}: {d.reason}" for _, r, d in verdicts if not d.allowed] == []
    # tag:GetResources (finding the buckets) has no resource-level permission
    role = policies.role("training")
    tagging = [c for c in sessions[0].calls if c.service == "resourcegroupstaggingapi"]
    assert tagging and all(
        policies.decide(role, Request(role.arn, c.action, "*", dict(context))).allowed for c in tagging
    )
    # the model approver may neither read the data nor write a snapshot
    denied = {
        (r.action, r.resource)
        for _, r, d in policies.judge_calls("model-approver", calls, context=context)
        if not d.allowed
    }
    models, payments = vault.models_bucket.name, vault.data_buckets[DATASET].name
    assert ("s3:GetObject", f"arn:aws:s3:::{payments}/{TRAINING_DATA_PREFIX}loans/a.csv") in denied
    assert any(
        a == "s3:PutObject" and r.startswith(f"arn:aws:s3:::{models}/{DATASETS_PREFIX}") for a, r in denied
    )
    assert any(a == "kms:Sign" for a, _ in denied)
