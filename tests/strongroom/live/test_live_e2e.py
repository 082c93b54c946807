"""End to end: `moto_server` started on 127.0.0.1, the dev stack's plan materialised into it, and
`strongroom audit --endpoint-url` run as a user runs it (a subprocess), its reports parsed: clean, then
tampered with boto3."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from live_support import ROOT, stack_plan

from strongroom.live.aws import Aws
from strongroom.live.materialise import Materialised, materialise

BIN = Path(sys.executable).parent

# one worker starts moto_server and materialises the dev stack into it once (about 5 s) for every
# test here; without a group both workers did
pytestmark = pytest.mark.xdist_group("live-e2e")
REGION = "eu-west-2"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | CREDENTIALS | {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


@pytest.fixture(scope="session")
def server() -> Iterator[tuple[str, Materialised]]:
    port = _free_port()
    process = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        saved = {k: os.environ.get(k) for k in CREDENTIALS}
        os.environ.update(CREDENTIALS)
        try:
            env = materialise(stack_plan("dev"), Aws(region=REGION, endpoint_url=endpoint))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        yield endpoint, env
    finally:
        process.terminate()
        process.wait(timeout=30)


def audit(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "strongroom"), "audit", "--stack", "dev", "--endpoint-url", endpoint, *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_clean_sandbox_passes_then_a_suspended_versioning_fails(server: tuple[str, Materialised]) -> None:
    endpoint, env = server
    clean = audit(endpoint, "--format", "json")
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr
    report = json.loads(clean.stdout)
    assert report["violations"] == [] and report["resources"] > 100
    assert "Traceback" not in clean.stderr

    (bucket,) = [c.id for urn, c in env.created.items() if urn.endswith("::sr-dev-data-payments-bucket")]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="t",
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    try:
        tampered = audit(endpoint, "--format", "json")
        assert tampered.returncode == 1, tampered.stderr
        violations = json.loads(tampered.stdout)["violations"]
        assert {(v["control"], v["resource_name"]) for v in violations} >= {("SR-STO-001", bucket)}
        assert all(v["source"] == "live" for v in violations)

        sarif = json.loads(audit(endpoint, "--format", "sarif").stdout)
        assert any(r["ruleId"] == "SR-STO-001" for r in sarif["runs"][0]["results"])
        junit = ET.fromstring(audit(endpoint, "--format", "junit").stdout)
        assert "SR-STO-001" in ET.tostring(junit, encoding="unicode")
    finally:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def test_the_endpoint_can_come_from_aws_endpoint_url_as_the_readme_loop_sets_it(
    server: tuple[str, Materialised],
) -> None:
    endpoint, _ = server
    result = subprocess.run(
        [str(BIN / "strongroom"), "audit", "--stack", "dev", "--format", "json"],
        cwd=ROOT,
        env=_env() | {"AWS_ENDPOINT_URL": endpoint},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert json.loads(result.stdout)["violations"] == []


def test_a_region_without_the_environment_exits_2(server: tuple[str, Materialised]) -> None:
    endpoint, _ = server
    result = audit(endpoint, "--region", "ap-southeast-2")
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr
    assert "no resource tagged strongroom:environment=dev" in result.stderr
    assert "Traceback" not in result.stderr
