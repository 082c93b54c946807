"""The ``materialised`` fixture the readers' and the audit's tests use: a fresh moto per test, fast."""

from __future__ import annotations

import time

import pytest
from live_support import Materialise

from strongroom.live.aws import Aws


def test_materialised_fixture_gives_a_fresh_environment(materialised: Materialise) -> None:
    started = time.perf_counter()
    aws, result, plan = materialised("dev")
    elapsed = time.perf_counter() - started
    assert aws.calls == []  # the materialiser's writes are not the test's calls
    names = {b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]}
    assert names == {r.outputs["bucket"] for r in plan.resources if r.type == "aws:s3/bucket:Bucket"}
    assert len(result.created) == len([r for r in plan.resources if r.custom]) - 1 - len(result.skipped)
    assert elapsed < 60, f"one materialisation of dev took {elapsed:.1f} s"
    with pytest.raises(AssertionError, match="already holds 'dev'"):
        materialised("prod")


def test_each_test_gets_its_own_moto(materialised: Materialise) -> None:
    aws, result, _plan = materialised("dev")
    bucket = next(iter(result.of_type("aws:s3/bucket:Bucket").values()))
    aws.call("s3", "delete_bucket_policy", Bucket=bucket.name)  # a tamper the next test must not see
    assert aws.call("s3", "get_bucket_policy", missing=("NoSuchBucketPolicy",), Bucket=bucket.name) is None


def test_the_tamper_of_the_previous_test_is_gone(materialised: Materialise) -> None:
    aws, result, _plan = materialised("dev")
    for bucket in result.of_type("aws:s3/bucket:Bucket").values():
        assert aws.call("s3", "get_bucket_policy", missing=("NoSuchBucketPolicy",), Bucket=bucket.name)


def test_moto_env_is_an_empty_account_with_fake_credentials(moto_env: Aws) -> None:
    assert moto_env.client("s3").list_buckets()["Buckets"] == []
    assert moto_env.caller()["Account"] == "123456789012"
