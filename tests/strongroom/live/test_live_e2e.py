"""End to end: `strongroom audit` run as a user runs it (a subprocess) against `strongroom sandbox` (the
dev stack's plan materialised into a local moto server, the session's ``dev_sandbox``), its reports
parsed: clean, then tampered with boto3. How each tampered setting is reported, in every format, is
tested in process by test_live_audit.py; here the command itself: its endpoint from the flag or from
``AWS_ENDPOINT_URL``, its exit codes, its JSON on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from live_support import DEV_SANDBOX_GROUP, ROOT, Sandbox, endpoint_client

BIN = Path(sys.executable).parent

pytestmark = pytest.mark.xdist_group(DEV_SANDBOX_GROUP)
REGION = "eu-west-2"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | CREDENTIALS


def audit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "strongroom"), "audit", "--stack", "dev", *args],
        cwd=ROOT,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_clean_sandbox_passes_then_a_suspended_versioning_fails(dev_sandbox: Sandbox) -> None:
    endpoint = dev_sandbox.endpoint
    # the endpoint from AWS_ENDPOINT_URL, as the README's sandbox loop exports it
    clean = audit("--format", "json", env=_env() | {"AWS_ENDPOINT_URL": endpoint})
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr
    report = json.loads(clean.stdout)
    assert report["violations"] == [] and report["resources"] > 100
    assert "Traceback" not in clean.stderr

    s3 = endpoint_client("s3", endpoint)
    (bucket,) = [
        b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("sr-dev-data-payments-")
    ]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    try:
        # the endpoint from --endpoint-url
        tampered = audit("--endpoint-url", endpoint, "--format", "json")
        assert tampered.returncode == 1, tampered.stderr
        violations = json.loads(tampered.stdout)["violations"]
        assert {(v["control"], v["resource_name"]) for v in violations} >= {("SR-STO-001", bucket)}
        assert all(v["source"] == "live" for v in violations)
    finally:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def test_a_region_without_the_environment_exits_2_before_the_stack_is_planned(dev_sandbox: Sandbox) -> None:
    result = audit("--endpoint-url", dev_sandbox.endpoint, "--region", "ap-southeast-2")
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr
    assert "--region ap-southeast-2: no resource tagged strongroom:environment=dev" in result.stderr
    assert "(its config says aws:region=eu-west-2)" in result.stderr
    assert "Traceback" not in result.stderr
    # the plan cache (this test's own, $XDG_CACHE_HOME) holds no plan: the stack was not planned
    assert not list((Path(os.environ["XDG_CACHE_HOME"]) / "strongroom").rglob("*.json"))
