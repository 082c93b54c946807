"""``strongroom sandbox``: the stack's environment served by a local moto server until SIGINT/SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from live_support import ROOT
from typer.testing import CliRunner

from strongroom.cli import app

STRONGROOM = Path(sys.executable).with_name("strongroom")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_PROFILE"] = "no-such-profile-the-sandbox-must-not-read"
    return env


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(STRONGROOM), "sandbox", *args],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _endpoint(process: subprocess.Popen[str], timeout: float = 240) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("endpoint: "):
            return line.split(" ", 1)[1].strip()
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"no endpoint line; stderr: {process.stderr.read() if process.stderr else ''}")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = _start("--stack", "dev", "--port", "0")
    try:
        yield process, _endpoint(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _client(service: str, endpoint: str) -> object:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="eu-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_sandbox_serves_the_stacks_buckets_with_their_tags(
    sandbox: tuple[subprocess.Popen[str], str],
) -> None:
    _, endpoint = sandbox
    s3 = _client("s3", endpoint)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]  # type: ignore[attr-defined]
    assert len(names) == 9 and all(n.startswith("sr-dev-") for n in names)
    for name in names:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}  # type: ignore[attr-defined]
        assert tags["strongroom:environment"] == "dev"
    ec2 = _client("ec2", endpoint)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:strongroom:environment", "Values": ["dev"]}])  # type: ignore[attr-defined]
    assert len(vpcs["Vpcs"]) == 1


def test_sandbox_stops_cleanly_on_sigint(sandbox: tuple[subprocess.Popen[str], str]) -> None:
    process, endpoint = sandbox
    assert process.stdout is not None
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    rest = process.stdout.read()
    assert (
        "AWS_ENDPOINT_URL=" + endpoint in rest
        and "AWS_DEFAULT_REGION=eu-west-2" in rest
        and "testing" in rest
    )
    assert "resources created (eu-west-2" in rest and "moto lacks Analyzer" in rest
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(endpoint.rsplit(":", 1)[1])), timeout=2).close()


def test_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(STRONGROOM), "sandbox", "--stack", "dev", "--port", str(port)],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 2
    assert f"--port {port}" in result.stderr and "in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_moto_the_sandbox_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)  # import fails as when moto is not installed
    result = CliRunner().invoke(app, ["sandbox", "--stack", "dev", "-C", str(ROOT)])
    assert result.exit_code == 2
    assert "pip install 'strongroom[sandbox]'" in result.output


def test_a_bad_port_or_stack_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["sandbox", "--stack", "dev", "--port", "70000", "-C", str(ROOT)])
    assert result.exit_code == 2 and "--port 70000" in result.output
    result = CliRunner().invoke(app, ["sandbox", "--stack", "nope", "-C", str(ROOT)])
    assert result.exit_code == 2 and "nope" in result.output
