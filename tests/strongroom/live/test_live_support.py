"""The live tests' shortcuts through moto give moto's own answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from live_support import ROOT, moto_context, new_aws
from moto.iam.models import IAMBackend, iam_backends
from storage_keys_shapes import ACCOUNT


def test_the_aws_managed_policies_parsed_once_are_moto_s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    init = IAMBackend._init_aws_policies
    assert hasattr(init, "moto_original"), "the live conftest installs the shortcut"
    with moto_context(monkeypatch):
        backend = iam_backends[ACCOUNT]["global"]

        def described(policies: list) -> list[tuple[object, ...]]:  # type: ignore[type-arg]
            return [
                (
                    p.arn,
                    p.account_id,
                    p.path,
                    p.default_version_id,
                    p.create_date,
                    p.update_date,
                    [v.document for v in p.versions],
                )
                for p in policies
            ]

        ours, motos = init(backend), init.moto_original(backend)
        assert len(ours) > 900
        assert described(ours) == described(motos)
        assert described(init(backend)) == described(ours), "a second backend gets the same policies"
        assert {id(p) for p in ours}.isdisjoint(id(p) for p in init(backend)), "made anew for each backend"


def test_the_backend_lookup_shortcut_creates_and_registers_as_moto_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto.core.base_backend import BackendDict
    from moto.s3.models import s3_backends

    assert hasattr(BackendDict._create_account_specific_backend, "moto_original"), "installed by the conftest"

    def registered() -> bool:
        return any(i is s3_backends for i in BackendDict._instances)

    with moto_context(monkeypatch):
        first = s3_backends[ACCOUNT]
        assert registered() and s3_backends[ACCOUNT] is first, "a second lookup answers the same backend"
        BackendDict.reset()  # what ending a mock does: every account's backend dropped, nothing registered
        assert not registered() and not dict.__contains__(s3_backends, ACCOUNT)
        again = s3_backends[ACCOUNT]
        assert again is not first and registered(), "after a reset, made anew and registered for the next"
        other = s3_backends["210987654321"]
        assert other is not again and s3_backends[ACCOUNT] is again, "each account its own backend"


def test_without_access_log_delivery_the_audit_reports_the_same(
    materialised: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.s3.models import S3Backend

    from strongroom.live.audit import audit, planned_of

    off = S3Backend.log_incoming_request
    assert hasattr(off, "moto_original"), "installed by the conftest"
    aws, _, plan = materialised("dev")
    planned = planned_of(plan, ROOT)
    s3 = aws.client("s3")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]

    def log_objects() -> int:
        return sum(s3.list_objects_v2(Bucket=b).get("KeyCount", 0) for b in buckets)

    before = log_objects()
    quiet = audit(aws, planned)
    assert log_objects() == before, "no log object delivered"
    monkeypatch.setattr(S3Backend, "log_incoming_request", off.moto_original)
    delivered = audit(new_aws(), planned)
    assert log_objects() > before, "moto's delivery wrote log objects"

    assert _described(quiet) == _described(delivered)


def _described(report: Any) -> tuple[object, ...]:
    violations = sorted((v.control, v.resource_urn, v.message) for v in report.violations)
    return report.resources, report.controls, report.exit_code, violations, report.unevaluated


@pytest.mark.parametrize(
    "signer, service, url",
    [
        ("SigV4Auth", "ec2", "https://ec2.eu-west-2.amazonaws.com/"),
        ("S3SigV4Auth", "s3", "https://b.s3.eu-west-2.amazonaws.com/key?versionId=1"),
    ],
)
def test_an_unsigned_request_carries_the_header_botocore_writes_but_the_signature(
    signer: str, service: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime

    from botocore import auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    light = auth.SigV4Auth.add_auth
    assert hasattr(light, "botocore_original"), "installed by the conftest"
    now = datetime.datetime(2026, 12, 3, 12, 0, 0)
    monkeypatch.setattr(auth, "get_current_datetime", lambda: now)
    credentials = Credentials("AKIDEXAMPLE123", "secret", "session-token")

    def headers(add_auth: Callable[..., Any]) -> dict[str, str]:
        request = AWSRequest(method="PUT", url=url, data=b"body", headers={"Content-Type": "text/plain"})
        add_auth(getattr(auth, signer)(credentials, service, "eu-west-2"), request)
        return dict(request.headers.items())

    ours, botocores = headers(light), headers(light.botocore_original)
    assert (
        ours.pop("Authorization").split(", Signature=")[0]
        == botocores.pop("Authorization").split(", Signature=")[0]
    )
    assert ours == botocores  # date, token and payload hash as botocore writes them
    assert "Credential=AKIDEXAMPLE123/20261203/eu-west-2/" + service in headers(light)["Authorization"]


def test_unsigned_requests_audit_the_same_as_signed_ones(
    materialised: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore import auth

    from strongroom.live.audit import audit, planned_of

    light = auth.SigV4Auth.add_auth
    aws, _, plan = materialised("dev")
    planned = planned_of(plan, ROOT)
    unsigned = audit(aws, planned)
    monkeypatch.setattr(auth.SigV4Auth, "add_auth", light.botocore_original)
    signed = audit(new_aws(), planned)
    assert _described(unsigned) == _described(signed)
    assert unsigned.resources > 100


def test_event_alias_names_are_botocore_s_and_shared_only_under_its_alias_table() -> None:
    import boto3
    from botocore import hooks

    assert getattr(hooks.EventAliaser.__init__, "_shared", False), "installed by the conftest"
    names = [f"before-call.{old}.Operation" for old in hooks.EVENT_ALIASES]
    names += ["before-call.s3.GetObject", "docs.request-params.autoscaling.CreateTags", "needs-retry.*.*"]
    shared = hooks.EventAliaser(hooks.HierarchicalEmitter())
    fresh = object.__new__(hooks.EventAliaser)  # botocore's own, with an empty memory of its own
    fresh._event_aliases, fresh._alias_name_cache = hooks.EVENT_ALIASES, {}
    assert [shared._alias_event_name(n) for n in names] == [fresh._alias_event_name(n) for n in names]
    assert any(shared._alias_event_name(n) != n for n in names), "some names are aliased"
    client = boto3.client("s3", region_name="eu-west-2", aws_access_key_id="a", aws_secret_access_key="b")
    assert client.meta.events._alias_name_cache is shared._alias_name_cache, "a client's copy shares it"
    other = hooks.EventAliaser(hooks.HierarchicalEmitter(), {"s3": "storage"})
    assert other._alias_name_cache is not shared._alias_name_cache
    assert other._alias_event_name("before-call.s3.GetObject") == "before-call.storage.GetObject"


def test_the_account_lookup_answers_as_moto_does_and_makes_no_other_partition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A request's account comes from its access key as moto resolves it (a key created in another
    account resolves to that account; an unknown key to moto's default), and a request makes the IAM
    backend of its own partition only."""
    import boto3
    from moto.iam import models as iam

    assert hasattr(iam.get_account_id_from, "moto_original"), "installed by the conftest"
    other = "210987654321"
    with moto_context(monkeypatch):
        monkeypatch.setenv("MOTO_ACCOUNT_ID", other)
        created = boto3.client("iam", region_name="us-east-1")
        created.create_user(UserName="ci")
        key = created.create_access_key(UserName="ci")["AccessKey"]
        monkeypatch.delenv("MOTO_ACCOUNT_ID")
        assert set(iam_backends[other]) == {"aws"}

        def account(access_key: str, secret: str) -> str:
            sts = boto3.client(
                "sts", region_name="eu-west-2", aws_access_key_id=access_key, aws_secret_access_key=secret
            )
            return str(sts.get_caller_identity()["Account"])

        assert account(key["AccessKeyId"], key["SecretAccessKey"]) == other
        assert account("AKIAUNKNOWNKEY000000", "x") == iam.DEFAULT_ACCOUNT_ID
        made = {a: set(iam_backends[a]) for a in list(iam_backends)}
        assert made == {other: {"aws"}, iam.DEFAULT_ACCOUNT_ID: {"aws"}}, "no other partition's backend"
        # moto's own lookup gives the same answers (making every partition's backend as it asks them)
        assert iam.get_account_id_from.moto_original(key["AccessKeyId"]) == other
        assert iam.get_account_id_from.moto_original("AKIAUNKNOWNKEY000000") == iam.DEFAULT_ACCOUNT_ID
        assert len(iam_backends[iam.DEFAULT_ACCOUNT_ID]) > 1, "what the shortcut spares every mock"
