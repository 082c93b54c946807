"""``strongroom sandbox``: the stack's environment served by a local moto server until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_support import ROOT, endpoint_client, sandbox_endpoint, sandbox_env, start_sandbox
from typer.testing import CliRunner

from strongroom.cli import app

STRONGROOM = Path(sys.executable).with_name("strongroom")

# one worker starts the session's sandbox (about 5 s) and runs both tests on it, serving before SIGINT
pytestmark = pytest.mark.xdist_group("sandbox")


@pytest.fixture(scope="session")
def sandbox() -> Iterator[tuple[subprocess.Popen[str], str]]:
    # as from the README's loop, run again in its shell: endpoints exported for the audit, one of them
    # nowhere; the sandbox's own client must still reach only its own moto
    dead = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"}
    process = start_sandbox("--stack", "dev", "--port", "0", env=dead)
    try:
        yield process, sandbox_endpoint(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sandbox_serves_the_stacks_buckets_with_their_tags(
    sandbox: tuple[subprocess.Popen[str], str],
) -> None:
    _, endpoint = sandbox
    s3 = endpoint_client("s3", endpoint)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]  # type: ignore[attr-defined]
    assert len(names) == 9 and all(n.startswith("sr-dev-") for n in names)
    for name in names:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}  # type: ignore[attr-defined]
        assert tags["strongroom:environment"] == "dev"
    ec2 = endpoint_client("ec2", endpoint)
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
            env=sandbox_env(),
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
