"""``strongroom sandbox``: the stack's environment served by a local moto server until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from live_support import (
    DEV_SANDBOX_GROUP,
    ROOT,
    Sandbox,
    endpoint_client,
    sandbox_env,
    sandbox_started,
    start_sandbox,
)
from typer.testing import CliRunner

from strongroom.cli import app

STRONGROOM = Path(sys.executable).with_name("strongroom")
TINY = ROOT / "tests" / "fixtures" / "tiny_project"

# the serving test shares the session's dev sandbox (conftest.py: dev_sandbox) with the end-to-end audit and
# vault command-line tests, which one worker starts once for all of them
pytestmark = pytest.mark.xdist_group(DEV_SANDBOX_GROUP)


def test_sandbox_serves_the_stacks_buckets_with_their_tags(dev_sandbox: Sandbox) -> None:
    # started with endpoints exported that lead nowhere (conftest.py): it reached its own moto regardless
    endpoint = dev_sandbox.endpoint
    s3 = endpoint_client("s3", endpoint)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]  # type: ignore[attr-defined]
    assert len(names) == 9 and all(n.startswith("sr-dev-") for n in names)
    for name in names:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}  # type: ignore[attr-defined]
        assert tags["strongroom:environment"] == "dev"
    ec2 = endpoint_client("ec2", endpoint)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:strongroom:environment", "Values": ["dev"]}])  # type: ignore[attr-defined]
    assert len(vpcs["Vpcs"]) == 1


def test_sandbox_says_what_it_created_what_not_and_how_to_reach_it(dev_sandbox: Sandbox) -> None:
    banner = dev_sandbox.banner
    assert "stack dev: " in banner and " resources created (eu-west-2" in banner
    assert "moto lacks Analyzer" in banner  # what it could not create is named, not dropped
    assert "AWS_ENDPOINT_URL=" + dev_sandbox.endpoint in banner
    assert "AWS_DEFAULT_REGION=eu-west-2" in banner and "AWS_SECRET_ACCESS_KEY=testing" in banner


def test_sandbox_stops_cleanly_on_sigint() -> None:
    # a sandbox of its own, of a small project (nine resources), which this test stops
    process = start_sandbox("-C", str(TINY), "--stack", "demo", "--port", "0")
    try:
        sandbox = sandbox_started(process)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert process.stdout is not None and process.stderr is not None
        assert "Traceback" not in process.stdout.read() + process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "stack demo: 9 resources created (us-east-1)" in sandbox.banner
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(sandbox.endpoint.rsplit(":", 1)[1])), timeout=2).close()


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
