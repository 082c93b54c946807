"""``strongroom vault push``, ``list`` and ``verify`` on the dev stack materialised in moto: a round trip
through the CLI, every tampering named, multipart uploads with a checksum per part, exact lineage, bad
input refused with exit 2, and no call that deletes anything."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from live_support import ROOT
from typer.testing import CliRunner
from vault_support import deleting, signed_snapshot

import strongroom.vault.cli as vault_cli
from strongroom.cli import app
from strongroom.errors import UsageError
from strongroom.live.aws import Aws, Call
from strongroom.policies.iamsim import Decision, Request
from strongroom.vault import manifest as mf
from strongroom.vault import models
from strongroom.vault.stack import VaultStack, locate, stack_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/strongroom: iam_support
from iam_support import PlanPolicies

Env = Any
MODEL = "credit-pd"


class Session:
    """The dev stack in moto and every AWS call the CLI's commands made (each command's own Aws)."""

    def __init__(self, materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch) -> None:
        self.aws, self.materialised, self.plan = materialised("dev")
        self.vault: VaultStack = locate(self.aws, "dev", stack_settings(ROOT, "dev"))
        self.sessions: list[tuple[str, Aws]] = []
        real = vault_cli.open_vault

        def recording(options: Any, role: str) -> tuple[Aws, VaultStack]:
            aws, vault = real(options, role)
            self.sessions.append((role, aws))
            return aws, vault

        monkeypatch.setattr(vault_cli, "open_vault", recording)

    @property
    def s3(self) -> Any:
        return self.aws.client("s3")

    def run(self, *args: str) -> Any:
        return CliRunner().invoke(app, ["vault", *args, "--stack", "dev", "-C", str(ROOT)])

    def calls(self, role: str | None = None) -> list[Call]:
        return [c for r, aws in self.sessions if role in (None, r) for c in aws.calls]

    def push(self, path: Path, *extra: str) -> Any:
        result = self.run("push", str(path), "--model", MODEL, "--code-revision", "0123abc", *extra)
        assert result.exit_code == 0, result.output
        return result

    def only_version(self) -> str:
        (version,) = models.find_versions(self.aws, self.vault, MODEL)
        return version

    def manifest_key(self, version: str) -> str:
        return f"{self.vault.candidate_prefix(MODEL, version)}manifest.json"

    def envelope(self, version: str) -> dict[str, Any]:
        body = self.s3.get_object(Bucket=self.bucket, Key=self.manifest_key(version))["Body"].read()
        return json.loads(body)  # type: ignore[no-any-return]

    @property
    def bucket(self) -> str:
        return self.vault.models_bucket.name


@pytest.fixture
def env(materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    session = Session(materialised, monkeypatch)
    yield session
    assert deleting(session.calls() + session.aws.calls) == []


def _artifact(tmp_path: Path, content: bytes = b"weights" * 100, name: str = "model.tar.gz") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_push_list_verify_round_trip(env: Session, tmp_path: Path) -> None:
    content = b"weights" * 100
    pushed = env.push(_artifact(tmp_path, content))
    version = env.only_version()
    sha = hashlib.sha256(content).hexdigest()
    assert f"pushed {MODEL} version {version}" in pushed.stdout
    assert sha in pushed.stdout
    assert f"s3://{env.bucket}/candidates/{MODEL}/{version}/model.tar.gz" in pushed.stdout

    head = env.s3.head_object(
        Bucket=env.bucket, Key=f"candidates/{MODEL}/{version}/model.tar.gz", ChecksumMode="ENABLED"
    )
    assert head["ServerSideEncryption"] == "aws:kms"
    models_key = env.aws.client("kms").describe_key(KeyId="alias/strongroom-dev-models")["KeyMetadata"]["Arn"]
    assert head["SSEKMSKeyId"] == models_key
    assert head["ChecksumSHA256"] == _b64(content)
    (put,) = [
        c for c in env.calls("training") if c.operation == "PutObject" and "model.tar.gz" in c.params["Key"]
    ]
    assert put.params["ChecksumSHA256"] == _b64(content) and put.params["ChecksumAlgorithm"] == "SHA256"
    assert put.params["SSEKMSKeyId"] == models_key and put.params["IfNoneMatch"] == "*"
    assert all(
        c.params.get("ExpectedBucketOwner") == env.vault.account for c in env.calls() if c.service == "s3"
    )

    envelope = env.envelope(version)
    manifest = mf.model_manifest(mf.read_envelope(json.dumps(envelope).encode(), "m"), "m")
    assert manifest.artifact.sha256 == sha and manifest.artifact.version_id == head["VersionId"]
    assert manifest.code_revision == "0123abc"
    assert manifest.pushed_by == env.aws.caller()["Arn"]
    assert manifest.model_package_arn and f"model-package/sr-dev-{MODEL}/" in manifest.model_package_arn
    package = env.aws.client("sagemaker").describe_model_package(ModelPackageName=manifest.model_package_arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert url == f"s3://{env.bucket}/candidates/{MODEL}/{version}/model.tar.gz"

    listed = env.run("list", "--model", MODEL, "--format", "json")
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)["versions"]
    assert (row["version"], row["state"], row["sha256"], row["size"]) == (
        version,
        "candidate",
        sha,
        len(content),
    )
    assert row["signer"].endswith(":key/" + row["signer"].rsplit("/", 1)[-1]) and row["problems"] == []
    text = env.run("list", "--model", MODEL)
    assert f"{version}  candidate" in text.stdout and "lineage: 0 data objects" in text.stdout

    verified = env.run("verify", "--model", MODEL)
    assert verified.exit_code == 0, verified.output
    assert f"{MODEL} {version}: intact (sha256 {sha}" in verified.stdout
    as_json = json.loads(env.run("verify", "--model", MODEL, "--version", version, "--format", "json").stdout)
    assert as_json["intact"] is True and as_json["problems"] == []


def test_a_modified_artifact_fails_verify_naming_the_difference(env: Session, tmp_path: Path) -> None:
    content = b"weights" * 100
    env.push(_artifact(tmp_path, content))
    version = env.only_version()
    key = f"candidates/{MODEL}/{version}/model.tar.gz"
    env.s3.put_object(Bucket=env.bucket, Key=key, Body=b"poisoned", ChecksumAlgorithm="SHA256")
    result = env.run("verify", "--model", MODEL, "--version", version)
    assert result.exit_code == 1, result.output
    poisoned = hashlib.sha256(b"poisoned").hexdigest()
    assert f"artifact sha256 {poisoned} != manifest {hashlib.sha256(content).hexdigest()}" in result.stdout
    assert "artifact S3 version" in result.stdout and "replaced after it was pushed" in result.stdout
    assert "artifact size 8 != manifest 700" in result.stdout
    listed = json.loads(env.run("list", "--model", MODEL, "--format", "json").stdout)
    assert listed["versions"][0]["state"] == "candidate"  # list reads manifests; verify reads the bytes


def test_a_modified_manifest_fails_verify_and_lists_invalid(env: Session, tmp_path: Path) -> None:
    env.push(_artifact(tmp_path))
    version = env.only_version()
    envelope = env.envelope(version)
    envelope["manifest"]["code_revision"] = "feedbeef"
    env.s3.put_object(Bucket=env.bucket, Key=env.manifest_key(version), Body=json.dumps(envelope).encode())
    result = env.run("verify", "--model", MODEL)
    assert result.exit_code == 1, result.output
    assert "the manifest was changed after signing" in result.stdout
    listed = json.loads(env.run("list", "--model", MODEL, "--format", "json").stdout)
    assert listed["versions"][0]["state"].startswith("INVALID: ")
    assert "changed after signing" in listed["versions"][0]["state"]


def test_a_manifest_of_another_version_copied_over_is_refused(env: Session, tmp_path: Path) -> None:
    env.push(_artifact(tmp_path, b"first"))
    first = env.only_version()
    later = datetime(2030, 1, 1, tzinfo=UTC)
    models.push(env.aws, env.vault, _artifact(tmp_path, b"second"), MODEL, revision="r", now=later)
    second = models.find_versions(env.aws, env.vault, MODEL)[0]
    assert second != first
    body = env.s3.get_object(Bucket=env.bucket, Key=env.manifest_key(first))["Body"].read()
    env.s3.put_object(Bucket=env.bucket, Key=env.manifest_key(second), Body=body)
    result = models.verify_version(env.aws, env.vault, MODEL, second)
    assert any(f"version {first!r} != expected {second!r}" in p for p in result.problems), result.problems


def test_multipart_upload_sends_a_checksum_per_part(
    env: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "MIN_PART_SIZE", 1024)
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 1024)
    content = bytes(range(256)) * 11  # 2,816 bytes: parts of 1,024, 1,024 and 768
    env.push(_artifact(tmp_path, content), "--part-size", "1024")
    training = env.calls("training")
    uploads = [c for c in training if c.operation == "UploadPart"]
    assert [c.params["PartNumber"] for c in uploads] == [1, 2, 3]
    slices = [content[0:1024], content[1024:2048], content[2048:]]
    assert [c.params["ChecksumSHA256"] for c in uploads] == [_b64(s) for s in slices]
    assert all(c.params["ChecksumAlgorithm"] == "SHA256" for c in uploads)
    (create,) = [c for c in training if c.operation == "CreateMultipartUpload"]
    assert (
        create.params["ChecksumAlgorithm"] == "SHA256" and create.params["ServerSideEncryption"] == "aws:kms"
    )
    (complete,) = [c for c in training if c.operation == "CompleteMultipartUpload"]
    parts = complete.params["MultipartUpload"]["Parts"]
    assert [p["ChecksumSHA256"] for p in parts] == [_b64(s) for s in slices]
    assert not [c for c in training if c.operation == "PutObject" and "model.tar.gz" in c.params["Key"]]

    result = env.run("verify", "--model", MODEL)
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(content).hexdigest() in result.stdout
    # the composite checksum's part size is read from part 1
    assert any(c.operation == "HeadObject" and c.params.get("PartNumber") == 1 for c in env.calls())


def test_a_failed_multipart_upload_is_aborted_not_deleted(
    env: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "MIN_PART_SIZE", 1024)
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 1024)
    real = Aws.call

    def failing(self: Aws, service: str, operation: str, **params: Any) -> Any:
        if operation == "upload_part" and params.get("PartNumber") == 2:
            raise OSError("connection reset")
        return real(self, service, operation, **params)

    monkeypatch.setattr(Aws, "call", failing)
    with pytest.raises(OSError, match="connection reset"):
        models.push(env.aws, env.vault, _artifact(tmp_path, b"x" * 3000), MODEL, part_size=1024, revision="r")
    (abort,) = [c for c in env.aws.calls if c.operation == "AbortMultipartUpload"]
    assert abort.params["UploadId"]
    uploads = env.s3.list_multipart_uploads(Bucket=env.bucket).get("Uploads", [])
    assert uploads == []
    assert not [c for c in env.aws.calls if c.operation in ("CompleteMultipartUpload", "CreateModelPackage")]


def _put_data(env: Session, key: str, body: bytes, *, sha256: bool) -> str:
    extra = {"ChecksumAlgorithm": "SHA256"} if sha256 else {}
    bucket = env.vault.data_buckets["payments"].name
    return str(env.s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)["VersionId"])


def test_lineage_records_exact_versions_that_later_changes_do_not_move(env: Session, tmp_path: Path) -> None:
    data = env.vault.data_buckets["payments"].name
    v1 = _put_data(env, "curated/train.csv", b"a,b\n1,2\n", sha256=True)
    _put_data(env, "curated/train.csv", b"a,b\n9,9\n", sha256=True)  # v2: not the one trained on
    plain = _put_data(env, "curated/labels.csv", b"label\n1\n", sha256=False)  # no SHA-256 in S3: hashed
    env.push(
        _artifact(tmp_path),
        "--data-version",
        f"data-payments/curated/train.csv@{v1}",
        "--data-version",
        f"{data}/curated/labels.csv@{plain}",
    )
    _put_data(env, "curated/train.csv", b"a,b\n6,6\n", sha256=True)  # the data bucket changes afterwards
    version = env.only_version()
    listed = json.loads(env.run("list", "--model", MODEL, "--format", "json").stdout)["versions"][0]
    assert listed["lineage"]["data_objects"] == 2
    first, second = listed["lineage"]["data"]
    assert (first["bucket"], first["key"], first["version_id"]) == (data, "curated/train.csv", v1)
    assert first["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest() and first["size"] == 8
    assert (second["version_id"], second["sha256"]) == (plain, hashlib.sha256(b"label\n1\n").hexdigest())
    reads = [c for c in env.calls("training") if c.params.get("Bucket") == data]
    assert [(c.operation, c.params["Key"]) for c in reads] == [
        ("HeadObject", "curated/train.csv"),
        ("HeadObject", "curated/labels.csv"),
        ("GetObject", "curated/labels.csv"),  # only the object S3 holds no SHA-256 of is downloaded
    ]
    assert all(c.params["VersionId"] in (v1, plain) for c in reads)
    assert env.run("verify", "--model", MODEL, "--version", version).exit_code == 0


def _snapshot(env: Session, dataset: str = "payments", snapshot: str = "s1") -> bytes:
    data = env.vault.data_buckets["payments"].name
    v1 = _put_data(env, "curated/train.csv", b"a,b\n1,2\n", sha256=True)
    ref = mf.ObjectRef(bucket=data, key="curated/train.csv", version_id=v1, sha256="ab" * 32, size=8)
    return signed_snapshot(
        env.aws, env.vault, dataset, snapshot, [ref], taken_by="arn:aws:sts::123456789012:assumed-role/ci/x"
    )[1]


def test_a_dataset_snapshot_is_verified_and_recorded_by_version(env: Session, tmp_path: Path) -> None:
    body = _snapshot(env)
    key = "datasets/payments/s1.json"
    snapshot_version = env.s3.put_object(Bucket=env.bucket, Key=key, Body=body)["VersionId"]
    env.push(_artifact(tmp_path), "--dataset", "payments@s1")
    m = models.load_version(env.aws, env.vault, MODEL, env.only_version()).manifest
    assert m is not None
    (ref,) = m.lineage.datasets
    assert (ref.dataset, ref.snapshot, ref.manifest.key) == ("payments", "s1", key)
    assert ref.manifest.version_id == snapshot_version
    assert ref.manifest.sha256 == hashlib.sha256(body).hexdigest()


def test_a_tampered_dataset_snapshot_is_refused_before_any_write(env: Session, tmp_path: Path) -> None:
    changed = json.loads(_snapshot(env))
    changed["manifest"]["prefix"] = "raw/"
    env.s3.put_object(Bucket=env.bucket, Key="datasets/payments/s1.json", Body=json.dumps(changed).encode())
    result = env.run("push", str(_artifact(tmp_path)), "--model", MODEL, "--dataset", "payments@s1")
    assert result.exit_code == 1, result.output
    assert "--dataset 'payments@s1'" in result.stderr and "changed after signing" in result.stderr
    assert not [c for c in env.calls() if c.operation in ("PutObject", "CreateMultipartUpload")]


def _promote(env: Session, version: str) -> None:
    body = env.s3.get_object(Bucket=env.bucket, Key=env.manifest_key(version))["Body"].read()
    env.s3.put_object(Bucket=env.bucket, Key=f"production/{MODEL}/manifest.json", Body=body)


def test_list_names_the_promotion_state_of_every_version(env: Session, tmp_path: Path) -> None:
    times = [datetime(2030, 1, d, tzinfo=UTC) for d in (1, 2, 3, 4)]
    for n, moment in enumerate(times):
        models.push(env.aws, env.vault, _artifact(tmp_path, b"v%d" % n), MODEL, revision="r", now=moment)
    fourth, third, second, first = models.find_versions(env.aws, env.vault, MODEL)
    _promote(env, first)
    _promote(env, second)  # the current production artifact
    envelope = env.envelope(fourth)
    envelope["manifest"]["pushed_by"] = "someone else"
    env.s3.put_object(Bucket=env.bucket, Key=env.manifest_key(fourth), Body=json.dumps(envelope).encode())

    result = env.run("list", "--model", MODEL, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    states = {row["version"]: row["state"] for row in doc["versions"]}
    assert [row["version"] for row in doc["versions"]] == [fourth, third, second, first]
    assert states[first] == "promoted earlier" and states[second] == "production"
    assert states[third] == "candidate" and states[fourth].startswith("INVALID: ")
    assert doc["production"] == second
    text = env.run("list", "--model", MODEL).stdout
    assert f"{second}  production" in text and f"{first}  promoted earlier" in text


def test_a_version_is_never_overwritten(env: Session, tmp_path: Path) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    path = _artifact(tmp_path)
    models.push(env.aws, env.vault, path, MODEL, revision="r", now=now)
    with pytest.raises(UsageError, match=r"already exists .*versions are never overwritten"):
        models.push(env.aws, env.vault, path, MODEL, revision="r", now=now)


def test_the_code_revision_defaults_to_git_then_unknown(env: Session, tmp_path: Path) -> None:
    head = models.code_revision(None, ROOT)
    assert len(head) == 40 or head == "unknown"
    assert models.code_revision(None, tmp_path) == "unknown"
    assert models.code_revision("abc", tmp_path) == "abc"
    pushed = models.push(env.aws, env.vault, _artifact(tmp_path), MODEL, cwd=tmp_path)
    assert pushed.manifest.code_revision == "unknown" and pushed.code_revision_source == "unknown"


def test_transfers_report_their_progress(env: Session, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []

    def meter(description: str, total: int) -> Callable[[int], None]:
        def advance(n: int) -> None:
            seen.append((description, total, n))

        return advance

    models.push(env.aws, env.vault, _artifact(tmp_path, b"z" * 500), MODEL, revision="r", meter=meter)
    models.verify_version(env.aws, env.vault, MODEL, env.only_version(), meter)
    assert ("upload model.tar.gz", 500, 500) in seen
    assert sum(n for d, _, n in seen if d == "download model.tar.gz") == 500
    with models.rich_meter(quiet=True) as quiet:
        assert quiet is models.no_meter


def test_the_progress_bar_is_on_stderr_of_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    with models.rich_meter(quiet=False) as meter:  # pytest's stderr is no terminal
        assert meter is models.no_meter
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich: a terminal
    with models.rich_meter(quiet=False) as meter:
        assert meter is not models.no_meter
        meter("upload model.tar.gz", 100)(100)
    captured = capsys.readouterr()
    assert "upload model.tar.gz" in captured.err and captured.out == ""
    with models.rich_meter(quiet=True) as meter:
        assert meter is models.no_meter


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--model", "credit"], "--model 'credit': not a model of stack dev"),
        (["verify", "--model", MODEL], "--model 'credit-pd': no version in s3://"),
        (["verify", "--model", MODEL, "--version", "v1"], "--version 'v1': not a vault version"),
        (["list", "--model", MODEL, "--format", "xml"], "--format 'xml': accepted: text, json"),
    ],
)
def test_bad_input_exits_2_without_traceback(env: Session, args: list[str], message: str) -> None:
    result = env.run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_bad_push_input_exits_2_naming_it(env: Session, tmp_path: Path) -> None:
    # the refused pushes below carry other bytes: the same bytes in the same second are the same version,
    # which push refuses as existing before it reads the other flags
    (tmp_path / "pushed").mkdir()
    env.push(_artifact(tmp_path / "pushed", content=b"first"))
    version = env.only_version()
    unknown = version[:-1] + ("0" if version[-1] != "0" else "1")
    result = env.run("verify", "--model", MODEL, "--version", unknown)
    assert result.exit_code == 2 and f"--version {unknown!r}: not a version of model" in result.stderr
    assert version in result.stderr

    missing = env.run("push", str(tmp_path / "nope.bin"), "--model", MODEL)
    assert missing.exit_code == 2 and "nope.bin" in missing.stderr and "no such file" in missing.stderr
    named = env.run("push", str(_artifact(tmp_path, name="manifest.json")), "--model", MODEL)
    assert named.exit_code == 2 and "may not be named manifest.json" in named.stderr
    unknown_model = env.run("push", str(_artifact(tmp_path)), "--model", "nope")
    assert unknown_model.exit_code == 2 and "--model 'nope': not a model of stack dev" in unknown_model.stderr
    cases = {
        "data-payments/curated/train.csv@3HL4kqtJlcpXroDTDmJ": "has no version '3HL4kqtJlcpXroDTDmJ'",
        "data-payments/curated/train.csv": "accepted: BUCKET/KEY@VERSIONID",
        "nope/curated/train.csv@v": "bucket 'nope' is not a data bucket of stack dev",
    }
    _put_data(env, "curated/train.csv", b"x", sha256=True)
    for value, message in cases.items():
        result = env.run("push", str(_artifact(tmp_path)), "--model", MODEL, "--data-version", value)
        assert result.exit_code == 2, result.output
        assert f"--data-version {value!r}" in result.stderr and message in result.stderr, result.stderr
    snapshot = env.run("push", str(_artifact(tmp_path)), "--model", MODEL, "--dataset", "payments@s9")
    assert snapshot.exit_code == 2 and "no snapshot manifest" in snapshot.stderr
    small = env.run("push", str(_artifact(tmp_path)), "--model", MODEL, "--part-size", "1000")
    assert small.exit_code == 2 and "--part-size 1000: accepted: at least 5242880" in small.stderr
    assert models.find_versions(env.aws, env.vault, MODEL) == [version]  # nothing written by a refusal


def test_missing_credentials_exit_2(env: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for args in (["list", "--model", MODEL], ["push", str(_artifact(tmp_path)), "--model", MODEL]):
        result = env.run(*args)
        assert result.exit_code == 2, result.output
        assert "no AWS credentials found" in result.stderr and "Traceback" not in result.output


def _deny(monkeypatch: pytest.MonkeyPatch, operation: str, action: str) -> None:
    from strongroom.live.aws import LiveError

    real = Aws.pages

    def pages(self: Aws, service: str, op: str, key: str, **params: Any) -> Any:
        if op == operation:
            raise LiveError(action, f"access denied: x may not call {action} (AccessDenied); run as y")
        return real(self, service, op, key, **params)

    monkeypatch.setattr(Aws, "pages", pages)


def test_access_denied_exits_3_with_the_action(
    env: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deny(monkeypatch, "list_objects_v2", "s3:ListBucket")
    result = env.run("list", "--model", MODEL)
    assert result.exit_code == 3, result.output
    assert "access denied: x may not call s3:ListBucket" in result.stderr


def test_a_role_that_may_not_read_production_lists_states_as_unknown(
    env: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.push(_artifact(tmp_path))
    _deny(monkeypatch, "list_object_versions", "s3:ListBucketVersions")
    result = env.run("list", "--model", MODEL, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["versions"][0]["state"] == "unknown (production history not readable)"
    assert "may not call s3:ListBucketVersions" in doc["warnings"][0]


# --- every call allowed for the role the command names (policies.iamsim) ---

TRAINING, APPROVER = "training", "model-approver"


def _judge(session: Session, duty: str, calls: list[Call]) -> list[tuple[Call, Request, Decision]]:
    policies = PlanPolicies(session.plan, real=session.materialised.real)
    context = policies.s3_context()
    role = policies.role(duty)
    judged = policies.judge_calls(
        duty, [c for c in calls if c.service in ("s3", "kms", "sts")], context=context
    )
    for call in calls:
        if call.service == "resourcegroupstaggingapi":
            request = Request(role.arn, call.action, "*", dict(context))
        elif call.service == "sagemaker" and call.operation == "CreateModelPackage":
            group = call.params["ModelPackageGroupName"]
            resource = (
                f"arn:aws:sagemaker:{session.aws.region}:{session.vault.account}:model-package/{group}/1"
            )
            status = {"sagemaker:ModelApprovalStatus": call.params["ModelApprovalStatus"]}
            request = Request(role.arn, call.action, resource, {**context, **status})
        elif call.service in ("s3", "kms", "sts"):
            continue
        else:
            raise AssertionError(f"{call.service} {call.operation}: not judged")
        judged.append((call, request, policies.decide(role, request)))
    return judged


def _denied(judged: list[tuple[Call, Request, Decision]]) -> list[str]:
    return [f"{c.operation} {r.action} {r.resource}: {d.reason}" for c, r, d in judged if not d.allowed]


@pytest.fixture
def pushed(env: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """Every kind of call: a multipart push with a data version hashed by download and a dataset
    snapshot; list with a production history; verify of the composite checksum."""
    monkeypatch.setattr(models, "MIN_PART_SIZE", 1024)
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 1024)
    plain = _put_data(env, "curated/labels.csv", b"label\n1\n", sha256=False)
    env.s3.put_object(Bucket=env.bucket, Key="datasets/payments/s1.json", Body=_snapshot(env))
    env.push(
        _artifact(tmp_path, b"w" * 3000),
        "--part-size",
        "1024",
        "--data-version",
        f"data-payments/curated/labels.csv@{plain}",
        "--dataset",
        "payments@s1",
    )
    _promote(env, env.only_version())
    assert env.run("list", "--model", MODEL).exit_code == 0
    assert env.run("verify", "--model", MODEL).exit_code == 0
    yield env


def test_every_call_of_each_command_is_allowed_for_its_role(pushed: Session) -> None:
    push_calls = pushed.calls(TRAINING)
    operations = {c.operation for c in push_calls}
    assert {"UploadPart", "CompleteMultipartUpload", "HeadObject", "GetObject", "Sign"} <= operations
    assert _denied(_judge(pushed, TRAINING, push_calls)) == []
    read_calls = pushed.calls(APPROVER)
    assert {"ListObjectVersions", "GetObject", "HeadObject", "Verify"} <= {c.operation for c in read_calls}
    assert _denied(_judge(pushed, APPROVER, read_calls)) == []


def test_the_same_calls_are_denied_to_another_role(pushed: Session) -> None:
    push_denied = _denied(_judge(pushed, APPROVER, pushed.calls(TRAINING)))
    assert any("s3:PutObject" in d and "/candidates/" in d for d in push_denied), push_denied
    assert any("kms:Sign" in d for d in push_denied), push_denied
    assert any("sagemaker:CreateModelPackage" in d for d in push_denied), push_denied
    read_denied = _denied(_judge(pushed, TRAINING, pushed.calls(APPROVER)))
    assert any("s3:ListBucketVersions" in d for d in read_denied), read_denied
    assert any("/production/" in d for d in read_denied), read_denied
