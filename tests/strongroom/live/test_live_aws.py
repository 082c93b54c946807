"""The live audit's boto3 layer: calls recorded with their IAM action, errors a person can act on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from botocore.stub import Stubber

from strongroom.errors import UsageError
from strongroom.live.aws import _S3_ACTIONS, Aws, LiveError, iam_action
from strongroom.policies import iamdb

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    env = {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, no_credentials: dict[str, str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_every_s3_action_of_the_operation_map_exists_in_the_iam_database() -> None:
    for operation, action in _S3_ACTIONS.items():
        assert iamdb.known(action), f"{operation} -> {action} is not an IAM action"
    assert iam_action("tagging", "GetResources") == "tag:GetResources"
    assert iam_action("monitoring", "GetMetricData") == "cloudwatch:GetMetricData"  # signing name monitoring
    assert iam_action("s3", "GetBucketVersioning") == "s3:GetBucketVersioning"


def test_a_call_is_recorded_with_its_iam_action(credentials: None) -> None:
    aws = Aws(region="eu-west-2")
    with Stubber(aws.client("s3")) as stub:
        stub.add_response("get_bucket_encryption", {}, {"Bucket": "b"})
        aws.call("s3", "get_bucket_encryption", Bucket="b")
    assert [(c.service, c.operation, c.action, c.region) for c in aws.calls] == [
        ("s3", "GetBucketEncryption", "s3:GetEncryptionConfiguration", "eu-west-2")
    ]


def test_a_missing_configuration_reads_as_none(credentials: None) -> None:
    aws = Aws(region="eu-west-2")
    with Stubber(aws.client("s3")) as stub:
        stub.add_client_error("get_bucket_policy", "NoSuchBucketPolicy", "none", 404)
        assert aws.call("s3", "get_bucket_policy", missing=("NoSuchBucketPolicy",), Bucket="b") is None


def test_access_denied_names_the_action_and_the_role_to_use(credentials: None) -> None:
    aws = Aws(region="eu-west-2")
    with Stubber(aws.client("kms")) as stub:
        stub.add_client_error("get_key_policy", "AccessDeniedException", "no", 400)
        with pytest.raises(LiveError) as caught:
            aws.call("kms", "get_key_policy", KeyId="k", PolicyName="default")
    assert caught.value.action == "kms:GetKeyPolicy"
    assert "access denied" in caught.value.message and "auditor role" in caught.value.message


def test_throttling_after_the_retries_is_named(credentials: None) -> None:
    aws = Aws(region="eu-west-2", max_attempts=3)
    with Stubber(aws.client("ec2")) as stub:
        stub.add_client_error("describe_vpcs", "RequestLimitExceeded", "slow down", 503)
        with pytest.raises(LiveError) as caught:
            aws.call("ec2", "describe_vpcs")
    assert "throttled" in caught.value.message and "ec2:DescribeVpcs" in caught.value.message
    assert "3 attempts" in caught.value.message


def test_no_credentials_is_a_usage_error(no_credentials: dict[str, str]) -> None:
    aws = Aws(region="eu-west-2", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(UsageError, match="no AWS credentials"):
        aws.caller()


def test_an_unknown_profile_is_a_usage_error(no_credentials: dict[str, str]) -> None:
    with pytest.raises(UsageError, match="--profile 'nope'"):
        Aws(region="eu-west-2", profile="nope")


@pytest.mark.threaded_reads
def test_parallel_reads_keep_their_order(credentials: None) -> None:
    aws = Aws(region="eu-west-2", concurrency=4)
    together = threading.Barrier(4, timeout=30)  # four reads at once, or the barrier breaks

    def read(n: int) -> tuple[int, str]:
        if n < 4:
            together.wait()
        return n * n, threading.current_thread().name

    answers = list(aws.map(read, range(20)))
    assert [square for square, _ in answers] == [n * n for n in range(20)]
    assert len({thread for _, thread in answers[:4]}) == 4 and threading.current_thread().name not in {
        thread for _, thread in answers
    }


def test_audit_without_credentials_exits_2_with_the_fix(no_credentials: dict[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | no_credentials
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "strongroom"),
            "audit",
            "--stack",
            "dev",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "no AWS credentials" in result.stderr and "Traceback" not in result.stderr


def test_audit_of_a_stack_without_a_region_names_the_file_and_the_fix(
    credentials: None, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from strongroom.cli import app

    project = tmp_path / "project"
    shutil.copytree(
        REPO / "tests" / "fixtures" / "tiny_project", project, ignore=shutil.ignore_patterns("__pycache__")
    )
    stack_file = project / "config" / "Pulumi.demo.yaml"
    stack_file.write_text(stack_file.read_text().replace("  aws:region: us-west-2\n", ""))
    result = CliRunner().invoke(
        app, ["audit", "-C", str(project), "--stack", "demo", "--endpoint-url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 2, result.output
    assert f"{stack_file}: key aws:region is not set; accepted: --region NAME or aws:region" in result.output
