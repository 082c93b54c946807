"""What every ``strongroom vault`` command shares, checked over all of them at once: its help names the role
it runs as first, every S3 call it makes on a bucket names the bucket's owner (``ExpectedBucketOwner``), no
call deletes or shortens what S3 keeps, and ``--endpoint-url`` reaches a local environment
(``strongroom sandbox``, a moto server with the stack materialised) from a subprocess as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.main
from live_support import DEV_SANDBOX_GROUP, ROOT, Sandbox, endpoint_client, new_aws
from typer.testing import CliRunner
from vault_support import MODEL, deleting, register, run_vault

import strongroom.vault.cli as vault_cli
from strongroom.cli import app
from strongroom.components.layout import TRAINING_DATA_PREFIX
from strongroom.live.aws import Aws
from strongroom.vault import models, promotion
from strongroom.vault.stack import VaultStack, locate, stack_settings

Env = Any
ROLES = ("training", "model-approver", "recovery")
STRONGROOM = Path(sys.executable).with_name("strongroom")

# the command-line tests drive the session's `strongroom sandbox` (conftest.py: dev_sandbox), which one
# worker starts once for them and the other tests of the group
pytestmark = pytest.mark.xdist_group(DEV_SANDBOX_GROUP)
COMMANDS = sorted(typer.main.get_group(vault_cli.app).commands)


def _help_role(command: str) -> str:
    """The role the first line of ``strongroom vault <command> --help`` names (``Role: <role>. ...``)."""
    result = CliRunner().invoke(app, ["vault", command, "--help"])
    assert result.exit_code == 0, result.output
    first = next(line.strip() for line in result.output.splitlines()[1:] if line.strip())
    found = re.match(rf"Role: ({'|'.join(ROLES)})\. \S", first)
    assert found, f"vault {command} --help starts with {first!r}, not 'Role: <role>. ...'"
    return found.group(1)


def test_every_command_names_its_role_first_in_its_help_and_the_listing() -> None:
    assert (
        sorted(["list", "promote", "push", "restore", "rollback", "snapshot", "status", "verify"]) == COMMANDS
    )
    listing = CliRunner().invoke(app, ["vault", "--help"]).output
    for command in COMMANDS:
        role = _help_role(command)
        assert re.search(rf"^\s+{command}\s+Role: {role}\.", listing, re.MULTILINE), (command, listing)


def _put_data(vault: VaultStack, key: str, body: bytes) -> str:
    s3 = new_aws().client("s3")
    put = s3.put_object(
        Bucket=vault.data_buckets["payments"].name, Key=key, Body=body, ChecksumAlgorithm="SHA256"
    )
    return str(put["VersionId"])


def _artifact(tmp_path: Path, body: bytes) -> Path:
    path = tmp_path / body.decode()[:8] / "model.tar.gz"
    path.parent.mkdir()
    path.write_bytes(body)
    return path


def test_every_command_names_the_bucket_owner_and_deletes_nothing(
    materialised: Callable[[str], Env], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    materialised("dev")
    vault = locate(new_aws(), "dev", stack_settings(ROOT, "dev"))
    data_key = f"{TRAINING_DATA_PREFIX}loans/a.csv"
    _put_data(vault, data_key, b"id,amount\n1,100\n")
    ran: dict[str, list[tuple[str, Aws]]] = {}

    def vault_run(*args: str, codes: tuple[int, ...] = (0,)) -> Any:
        roles: list[str] = []
        result, sessions = run_vault(monkeypatch, *args, roles=roles)
        assert result.exit_code in codes, (args, result.output)
        ran.setdefault(args[0], []).extend(zip(roles, sessions, strict=True))
        return result

    def push(body: bytes) -> str:
        before = set(models.find_versions(new_aws(), vault, MODEL))
        vault_run("push", str(_artifact(tmp_path, body)), "--model", MODEL, "--code-revision", "0123abc")
        (version,) = set(models.find_versions(new_aws(), vault, MODEL)) - before
        register(vault, f"{vault.candidate_prefix(MODEL, version)}model.tar.gz")
        return version

    v1 = push(b"model one")
    vault_run("list", "--model", MODEL)
    vault_run("verify", "--model", MODEL, "--version", v1)
    vault_run("snapshot", "--dataset", "payments", "--prefix", "loans/")
    vault_run("promote", "--model", MODEL, "--version", v1)
    v2 = push(b"model two")
    vault_run("promote", "--model", MODEL, "--version", v2)
    vault_run("rollback", "--model", MODEL, "--to", v1)
    new_aws().client("s3").delete_object(Bucket=vault.data_buckets["payments"].name, Key=data_key)  # incident
    vault_run("restore", "--bucket", "data-payments", "--key", data_key)
    vault_run("status", codes=(0, 1))  # moto does not replicate: 1 names what did not reach the backup

    assert sorted(ran) == COMMANDS
    for command, sessions in ran.items():
        calls = [c for _, aws in sessions for c in aws.calls]
        assert calls, command
        assert {role for role, _ in sessions} == {_help_role(command)}, command
        on_buckets = [c for c in calls if c.service == "s3" and "Bucket" in c.params]
        assert on_buckets, command
        unowned = [c.operation for c in on_buckets if c.params.get("ExpectedBucketOwner") != vault.account]
        assert unowned == [], (command, unowned)
        copies = [c for c in on_buckets if c.operation in ("CopyObject", "UploadPartCopy")]
        assert all(c.params.get("ExpectedSourceBucketOwner") == vault.account for c in copies), command
        assert deleting(calls) == [], command


def test_the_deletion_judge_sees_every_way_to_lose_a_version() -> None:
    """The judge of the test above, on the calls it must catch (and a read it must not)."""
    from strongroom.live.aws import Call

    def call(operation: str, action: str, **params: Any) -> Call:
        return Call("s3", operation, action, "eu-west-2", params)

    caught = [
        call("DeleteObject", "s3:DeleteObjectVersion", Bucket="b", Key="k", VersionId="v"),
        call("DeleteObjects", "s3:DeleteObject", Bucket="b"),
        call("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", Bucket="b"),
        call("PutBucketVersioning", "s3:PutBucketVersioning", Bucket="b"),
        call("PutObjectRetention", "s3:PutObjectRetention", Bucket="b", Key="k"),
        call("PutObject", "s3:PutObject", Bucket="b", Key="k", BypassGovernanceRetention=True),
        Call("sagemaker", "DeleteModelPackage", "sagemaker:DeleteModelPackage", "eu-west-2", {}),
    ]
    assert len(deleting(caught)) == len(caught)
    reads = [call("GetObjectRetention", "s3:GetObjectRetention", Bucket="b", Key="k")]
    assert deleting(reads) == []


# --- end to end: the CLI as a subprocess against `strongroom sandbox` ---------------------------------------


def _user_env(endpoint: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }
    if endpoint is not None:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def _vault(endpoint: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    where = ["--stack", "dev", "-C", str(ROOT)] + (["--endpoint-url", endpoint] if env is None else [])
    return subprocess.run(
        [str(STRONGROOM), "vault", *args, *where],
        env=env or _user_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_push_verify_promote_rollback_through_the_cli_against_the_sandbox(
    dev_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = dev_sandbox.endpoint
    sm = endpoint_client("sagemaker", endpoint)

    def push(body: bytes) -> tuple[str, str]:
        result = _vault(endpoint, "push", str(_artifact(tmp_path, body)), "--model", MODEL, "--quiet")
        assert result.returncode == 0, result.stderr
        version = re.search(r"pushed \S+ version (\S+)", result.stdout)
        package = re.search(r"model package\s+(\S+) \(PendingManualApproval\)", result.stdout)
        assert version and package, result.stdout
        sm.update_model_package(ModelPackageArn=package.group(1), ModelApprovalStatus="Approved")
        return version.group(1), package.group(1)

    v1, _ = push(b"model one, end to end")
    verified = _vault(endpoint, "verify", "--model", MODEL, "--version", v1, "--format", "json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["intact"] is True
    promoted = _vault(endpoint, "promote", "--model", MODEL, "--version", v1)
    assert promoted.returncode == 0, promoted.stderr
    assert f"promoted {MODEL} {v1}" in promoted.stdout

    v2, _ = push(b"model two, end to end")
    assert _vault(endpoint, "promote", "--model", MODEL, "--version", v2).returncode == 0
    # the endpoint may also come from AWS_ENDPOINT_URL, as the README's sandbox loop sets it
    rolled = _vault(endpoint, "rollback", "--model", MODEL, "--to", v1, env=_user_env(endpoint))
    assert rolled.returncode == 0, rolled.stderr
    assert f"before: {v2} (artifact S3 version" in rolled.stdout and f"after:  {v1}" in rolled.stdout

    listed = _vault(endpoint, "list", "--model", MODEL, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert doc["production"] == v1
    assert {v["version"]: v["state"] for v in doc["versions"]} == {v1: "production", v2: "promoted earlier"}
    for key, value in _user_env().items():
        monkeypatch.setenv(key, value)
    vault = locate(Aws(region="eu-west-2", endpoint_url=endpoint), "dev", stack_settings(ROOT, "dev"))
    kept = endpoint_client("s3", endpoint).list_object_versions(
        Bucket=vault.models_bucket.name, Prefix=vault.production_prefix(MODEL)
    )
    assert not kept.get("DeleteMarkers")
    artifacts = [v for v in kept["Versions"] if v["Key"].endswith(f"/{promotion.ARTIFACT}")]
    assert len(artifacts) == 3  # v1, v2, v1 again: every version kept


def test_snapshot_restore_status_through_the_cli_against_the_sandbox(
    dev_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = dev_sandbox.endpoint
    for key, value in _user_env().items():
        monkeypatch.setenv(key, value)
    vault = locate(Aws(region="eu-west-2", endpoint_url=endpoint), "dev", stack_settings(ROOT, "dev"))
    s3 = endpoint_client("s3", endpoint)
    data = vault.data_buckets["payments"].name
    key = f"{TRAINING_DATA_PREFIX}e2e/a.csv"
    s3.put_object(Bucket=data, Key=key, Body=b"id,amount\n1,100\n", ChecksumAlgorithm="SHA256")

    taken = _vault(endpoint, "snapshot", "--dataset", "payments", "--prefix", "e2e/", "--format", "json")
    assert taken.returncode == 0, taken.stderr
    assert json.loads(taken.stdout)["objects"] == 1
    s3.delete_object(Bucket=data, Key=key)  # the incident
    restored = _vault(endpoint, "restore", "--bucket", "data-payments", "--key", key)
    assert restored.returncode == 0, restored.stderr
    assert s3.get_object(Bucket=data, Key=key)["Body"].read() == b"id,amount\n1,100\n"
    status = _vault(endpoint, "status", "--format", "json")
    assert status.returncode in (0, 1), status.stderr  # 1: moto does not replicate, named per bucket
    assert data in json.dumps(json.loads(status.stdout))  # the data bucket is reported


def test_the_vault_commands_start_without_pulumi(tmp_path: Path) -> None:
    """An incident's commands need the environment's layout (its prefixes and key aliases), not the SDK:
    ``components.layout`` holds it without importing Pulumi, and the components create the environment
    from the same values. A vault command, run to its first AWS call (here: no credentials), has loaded
    neither pulumi nor pulumi_aws (about 0.2 s at every start)."""
    from strongroom.components import layout
    from strongroom.components.identity import MlRolesArgs

    defaults = {name: f.default for name, f in MlRolesArgs.__dataclass_fields__.items()}
    for name in ("curated", "experiments", "training_data", "candidates", "production", "datasets"):
        assert defaults[f"{name}_prefix"] is getattr(layout, f"{name.upper()}_PREFIX"), name
    code = (
        "import sys\n"
        "from strongroom.cli import app\n"
        "import strongroom.vault.data, strongroom.vault.models, strongroom.vault.promotion\n"
        "try:\n"
        f"    app(['vault', 'status', '--stack', 'dev', '-C', {str(ROOT)!r}], standalone_mode=False)\n"
        "except BaseException as exc:\n"
        "    print('STOPPED', type(exc).__name__, exc)\n"
        "print('LOADED', sorted(m for m in ('pulumi', 'pulumi_aws') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert "no AWS credentials" in result.stdout + result.stderr, result.stdout + result.stderr
    assert "LOADED []" in result.stdout, result.stdout
