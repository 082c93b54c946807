"""The ``materialised`` fixture the readers' and the audit's tests use: a fresh moto per test, fast."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from live_support import REGION, ROOT, Materialise, moto_context, new_aws, stack_plan
from moto import mock_aws
from moto_snapshot import MotoSnapshot

from strongroom.components.environment import iam_path
from strongroom.engine.plan import Plan
from strongroom.live.audit import audit, planned_of
from strongroom.live.aws import Aws, LiveError
from strongroom.live.materialise import materialise
from strongroom.live.readers import Scope, read_all
from strongroom.policies.props import Resource
from strongroom.report import render_json


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


# --- the snapshot the fixture restores (moto_snapshot.py) ---


def _read_back(aws: Aws, plan: Plan) -> list[tuple[str, list[Any]]]:
    """Everything the audit's readers read of ``plan``'s environment, area by area, and the audit's
    report: what a restored environment must answer exactly as the one it was taken from."""
    planned = planned_of(plan, ROOT)
    scope = Scope(
        stack=plan.stack,
        account=aws.caller()["Account"],
        partition=aws.partition,
        region=aws.region,
        regions=planned.regions if aws.region in planned.regions else (aws.region,),
        iam_path=iam_path(plan.stack),
    )
    out: list[tuple[str, list[Any]]] = []
    for area, _types, resources in read_all(aws, scope):
        try:
            items = [
                (r.type, r.urn, r.name, dict(r.props)) if isinstance(r, Resource) else repr(r)
                for r in resources
            ]
        except LiveError as exc:
            items = [f"LiveError: {exc.message}"]
        out.append((area, items))
    report = json.loads(render_json(audit(aws, planned)))
    report.pop("notes")  # the call count differs: the second Aws shares the first's account lookups
    out.append(("report", [report]))
    return out


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_restored_environment_reads_back_as_the_one_it_was_taken_from(
    monkeypatch: pytest.MonkeyPatch, stack: str
) -> None:
    plan = stack_plan(stack)
    with moto_context(monkeypatch):
        materialise(plan, new_aws())
        snapshot = MotoSnapshot.take()
        taken = _read_back(new_aws(), plan)
    with mock_aws():
        assert new_aws().client("s3").list_buckets()["Buckets"] == []  # moto was reset
        snapshot.restore()
        restored = _read_back(new_aws(), plan)
    snapshot.dispose()
    assert sum(len(items) for _, items in taken) > 100
    assert [area for area, _ in restored] == [area for area, _ in taken]
    for (area, before), (_, after) in zip(taken, restored, strict=True):
        assert after == before, area


def test_restores_share_nothing_with_each_other_or_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = stack_plan("dev")
    with moto_context(monkeypatch):
        result = materialise(plan, new_aws())
        bucket = next(c.name for u, c in result.of_type("aws:s3/bucket:Bucket").items() if "data" in u)
        new_aws().call("s3", "put_object", Bucket=bucket, Key="model.bin", Body=b"weights v1")
        snapshot = MotoSnapshot.take()
    with mock_aws():
        snapshot.restore()
        aws = new_aws()
        aws.call("s3", "delete_bucket_policy", Bucket=bucket)
        aws.call("s3", "put_object", Bucket=bucket, Key="model.bin", Body=b"tampered")
        aws.call("s3", "put_object", Bucket=bucket, Key="extra.bin", Body=b"x")
    with mock_aws():  # the end of the last mock disposed of its S3 keys, not of the snapshot's
        snapshot.restore()
        aws = new_aws()
        assert aws.call("s3", "get_bucket_policy", missing=("NoSuchBucketPolicy",), Bucket=bucket)
        listed = aws.call("s3", "list_object_versions", Bucket=bucket) or {}
        assert [v["Key"] for v in listed.get("Versions", [])] == ["model.bin"]
        body = aws.call("s3", "get_object", Bucket=bucket, Key="model.bin")["Body"].read()  # type: ignore[index]
        assert body == b"weights v1"
        with pytest.raises(LiveError, match="BucketAlready"):  # moto's index of bucket names came back too
            aws.call(
                "s3", "create_bucket", Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
    snapshot.dispose()
    with mock_aws(), pytest.raises(AssertionError, match="disposed"):
        snapshot.restore()


def test_a_snapshot_is_restored_only_under_its_moto_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_context(monkeypatch):
        snapshot = MotoSnapshot.take()
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # IAM would hold AWS's managed policies
    with mock_aws(), pytest.raises(AssertionError, match="MOTO_IAM_LOAD_MANAGED_POLICIES"):
        snapshot.restore()


def test_a_pagination_in_progress_is_not_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_context(monkeypatch):
        aws = new_aws()
        for n in range(3):
            aws.call(
                "s3",
                "create_bucket",
                Bucket=f"bucket-{n}",
                CreateBucketConfiguration={"LocationConstraint": REGION},
            )
            aws.call(
                "s3",
                "put_bucket_tagging",
                Bucket=f"bucket-{n}",
                Tagging={"TagSet": [{"Key": "k", "Value": "v"}]},
            )
        page = aws.call("resourcegroupstaggingapi", "get_resources", ResourcesPerPage=1)
        assert page and page.get("PaginationToken")  # moto holds the listing's generator, started
        with pytest.raises(TypeError, match="started generator"):
            MotoSnapshot.take()


def test_sessions_share_one_data_loader_per_data_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """share_botocore_loader (installed by conftest.py): a new boto3 session does not parse the service
    models again; a session with another data path (AWS_DATA_PATH) gets a loader of its own."""
    import boto3

    first, second = boto3.session.Session(), boto3.session.Session()
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    other = boto3.session.Session()._session.get_component("data_loader")
    assert other is not loader
    assert str(tmp_path) in other.search_paths
