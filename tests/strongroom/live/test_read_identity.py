"""The identity reader: the dev plan's roles, policies, inline policies and attachments created in moto as
the components create them, read back in the plan's shape, judged by the catalog like the plan; each
tamper (admin policy attached, wildcard inline policy, boundary removed, trust opened, a user) is caught
by its control."""

from __future__ import annotations

import contextlib
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from _riam_support import (
    ACCOUNT,
    REGION,
    assert_plan_shape,
    auditor_actions,
    findings,
    hybrid,
    planned,
    refuse,
)
from live_support import moto_client
from moto import mock_aws

from strongroom.live.aws import Aws, LiveError
from strongroom.live.readers import Scope, identity
from strongroom.live.readers.identity import ATTACHMENT, POLICY, ROLE, ROLE_POLICY, USER
from strongroom.policies.props import Resource

PATH = "/strongroom/dev/"
SCOPE = Scope(stack="dev", account=ACCOUNT, partition="aws", region=REGION, regions=(REGION,), iam_path=PATH)


def _tags(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": str(v)} for k, v in (props.get("tagsAll") or {}).items()]


def _materialise(client: Any, stack: str = "dev") -> None:
    """The stack plan's identity resources, created as pulumi-aws creates them."""
    for policy in planned(POLICY, stack):
        p = policy.props
        client.create_policy(
            PolicyName=p["name"],
            Path=p["path"],
            PolicyDocument=p["policy"],
            Description=p["description"],
            Tags=_tags(p),
        )
    for role in planned(ROLE, stack):
        p = role.props
        extra: dict[str, Any] = {}
        if p.get("maxSessionDuration"):
            extra["MaxSessionDuration"] = int(p["maxSessionDuration"])
        client.create_role(
            RoleName=p["name"],
            Path=p["path"],
            AssumeRolePolicyDocument=p["assumeRolePolicy"],
            Description=p["description"],
            PermissionsBoundary=p["permissionsBoundary"],
            Tags=_tags(p),
            **extra,
        )
    for inline in planned(ROLE_POLICY, stack):
        p = inline.props
        client.put_role_policy(RoleName=p["role"], PolicyName=p["name"], PolicyDocument=p["policy"])
    for attachment in planned(ATTACHMENT, stack):
        client.attach_role_policy(RoleName=attachment.props["role"], PolicyArn=attachment.props["policyArn"])


def _mocked(
    monkeypatch: pytest.MonkeyPatch, *, managed_policies: bool = False, stack: str = "dev"
) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    if managed_policies:
        # moto knows AdministratorAccess & co. only when asked to load them (a few seconds).
        monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    with mock_aws():
        client = moto_client("iam", REGION)
        _materialise(client, stack)
        yield client


@pytest.fixture
def iam(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from _mocked(monkeypatch)


@pytest.fixture
def iam_with_aws_policies(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from _mocked(monkeypatch, managed_policies=True)


def _read() -> tuple[list[Resource], Aws]:
    aws = Aws(region=REGION)
    return list(identity.read(aws, SCOPE)), aws


def _judge(live: list[Resource]) -> dict[str, list[str]]:
    return findings(hybrid(live, identity.TYPES), identity.TYPES)


def test_reads_every_planned_identity_resource_in_the_plans_shape(iam: Any) -> None:
    live, _aws = _read()
    for type_ in (ROLE, ROLE_POLICY, ATTACHMENT, POLICY):
        plan = planned(type_)
        found = [r for r in live if r.type == type_]
        assert len(found) == len(plan), type_
        for resource in found:
            assert_plan_shape(resource)
    roles = {r.props["id"]: r for r in live if r.type == ROLE}
    for role in planned(ROLE):
        got = roles[role.props["name"]]
        for key in ("arn", "path", "permissionsBoundary", "name"):
            assert got.props[key] == role.props[key], key
        assert json.loads(got.props["assumeRolePolicy"]) == json.loads(role.props["assumeRolePolicy"])
        assert got.props["tagsAll"] == role.props["tagsAll"]
    inline = {r.props["id"]: r for r in live if r.type == ROLE_POLICY}
    for policy in planned(ROLE_POLICY):
        assert json.loads(inline[policy.props["id"]].props["policy"]) == json.loads(policy.props["policy"])
    policies = {r.props["id"]: r for r in live if r.type == POLICY}
    for policy in planned(POLICY):
        got = policies[policy.props["arn"]]
        assert json.loads(got.props["policy"]) == json.loads(policy.props["policy"])
        assert (got.props["name"], got.props["path"]) == (policy.props["name"], policy.props["path"])
    attached = {(r.props["role"], r.props["policyArn"]) for r in live if r.type == ATTACHMENT}
    assert attached == {(a.props["role"], a.props["policyArn"]) for a in planned(ATTACHMENT)}


def test_the_compliant_environment_has_no_identity_findings(iam: Any) -> None:
    live, _aws = _read()
    assert _judge(live) == {}


def test_the_compliant_prod_environment_has_no_identity_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    with contextlib.contextmanager(_mocked)(monkeypatch, stack="prod"):
        prod = Scope(
            stack="prod", account=ACCOUNT, partition="aws", region=REGION, iam_path="/strongroom/prod/"
        )
        live = list(identity.read(Aws(region=REGION), prod))
        assert {r.type for r in live} == {ROLE, ROLE_POLICY, ATTACHMENT, POLICY}
        for resource in live:
            assert_plan_shape(resource, stack="prod")
        assert findings(hybrid(live, identity.TYPES, "prod"), identity.TYPES) == {}


def test_every_call_is_a_read_the_auditor_is_granted(iam: Any) -> None:
    _live, aws = _read()
    actions = {c.action for c in aws.calls}
    assert actions == {
        "iam:ListRoles",
        "iam:GetRole",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListPolicies",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:ListUsers",
    }
    assert {c.action for c in aws.calls} <= auditor_actions()


def test_roles_and_policies_outside_the_stack_path_are_not_read(iam: Any) -> None:
    iam.create_role(RoleName="other-stack-role", Path="/strongroom/prod/", AssumeRolePolicyDocument="{}")
    iam.create_policy(
        PolicyName="other", Path="/strongroom/prod/", PolicyDocument=json.dumps(_wildcard_document())
    )
    live, _aws = _read()
    assert not [r for r in live if "/strongroom/prod/" in str(r.props.get("arn", ""))]


def _data_scientist(client: Any) -> str:
    return next(r.props["name"] for r in planned(ROLE) if "data-scientist" in r.props["name"])


def _wildcard_document() -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def test_admin_policy_attached_to_a_stack_role_is_caught(iam_with_aws_policies: Any) -> None:
    iam = iam_with_aws_policies
    role = _data_scientist(iam)
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    live, _aws = _read()
    attachment = [
        r for r in live if r.type == ATTACHMENT and r.props["policyArn"].endswith("/AdministratorAccess")
    ]
    assert len(attachment) == 1 and attachment[0].props["role"] == role
    judged = _judge(live)
    assert list(judged) == ["SR-IAM-005"]
    assert "AdministratorAccess" in judged["SR-IAM-005"][0]


def test_inline_wildcard_policy_is_caught(iam: Any) -> None:
    iam.put_role_policy(
        RoleName=_data_scientist(iam), PolicyName="backdoor", PolicyDocument=json.dumps(_wildcard_document())
    )
    judged = _judge(_read()[0])
    assert "SR-IAM-001" in judged
    assert any("backdoor" in m and "'*'" in m for m in judged["SR-IAM-001"])


def test_boundary_removed_is_caught(iam: Any) -> None:
    role = _data_scientist(iam)
    iam.delete_role_permissions_boundary(RoleName=role)
    judged = _judge(_read()[0])
    assert list(judged) == ["SR-IAM-004"]
    assert judged["SR-IAM-004"] == [f"{role}: role '{role}' has no permissionsBoundary"]


def test_trust_opened_to_everyone_is_caught(iam: Any) -> None:
    role = _data_scientist(iam)
    opened = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(opened))
    judged = _judge(_read()[0])
    assert "SR-IAM-006" in judged
    assert any("lets principal '*' assume the role" in m for m in judged["SR-IAM-006"])


def test_a_user_under_the_stack_path_is_caught(iam: Any) -> None:
    iam.create_user(UserName="sr-dev-shadow", Path=PATH)
    live, _aws = _read()
    users = [r for r in live if r.type == USER]
    assert [u.props["name"] for u in users] == ["sr-dev-shadow"]
    assert users[0].props["arn"] == f"arn:aws:iam::{ACCOUNT}:user{PATH}sr-dev-shadow"
    # ListUsers returns no boundary: the user is judged as one without (this one has none indeed).
    assert set(_judge(live)) == {"SR-IAM-004", "SR-IAM-007"}


def test_policy_documents_are_decoded_to_the_plans_json_string() -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}
    encoded = urllib.parse.quote(json.dumps(document))
    assert json.loads(identity.document(encoded)) == document
    assert json.loads(identity.document(document)) == document
    assert json.loads(identity.document(json.dumps(document))) == document
    assert identity.document("not a document") == "not a document"


def test_a_read_the_auditor_may_not_make_is_reported_not_skipped(iam: Any) -> None:
    aws = Aws(region=REGION)
    refuse(aws.client("iam"), "GetPolicyVersion", "AccessDenied", 403)
    with pytest.raises(LiveError) as raised:
        list(identity.read(aws, SCOPE))
    assert raised.value.action == "iam:GetPolicyVersion"
    assert "access denied" in raised.value.message
