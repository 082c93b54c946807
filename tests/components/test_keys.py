"""KeyRing under the recording mocks: rotation, deletion window, aliases, explicit policies, args table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.components.keys import DEFAULT_PURPOSES, KeyRing, KeyRingArgs, _check_in_account, check_names
from strongroom.components.policydocs import kms as kmsdoc
from strongroom.engine import Recorder


@pytest.fixture
def ring(pulumi_mocks: Recorder) -> Recorder:
    pulumi_mocks.run(lambda: KeyRing("keys", KeyRingArgs(environment="dev")))
    return pulumi_mocks


def keys(rec: Recorder) -> list[Any]:
    found = rec.of_type("aws:kms/key:Key")
    assert {k.name for k in found} == {f"keys-{p}" for p in DEFAULT_PURPOSES}
    return found


def test_one_key_per_purpose_parented_to_the_component(ring: Recorder) -> None:
    (component,) = ring.of_type("strongroom:index:KeyRing")
    for key in keys(ring):
        assert key.parent == component.urn, key.urn


def test_rotation_is_on(ring: Recorder) -> None:
    for key in keys(ring):
        assert key.inputs["enableKeyRotation"] is True, key.urn


def test_deletion_window_is_30_days(ring: Recorder) -> None:
    for key in keys(ring):
        assert key.inputs["deletionWindowInDays"] == 30, key.urn


def test_policy_lockout_check_is_not_bypassed(ring: Recorder) -> None:
    for key in keys(ring):
        assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False, key.urn


def test_every_key_has_an_explicit_policy_without_wildcard_principal(ring: Recorder) -> None:
    for key in keys(ring):
        policy = json.loads(key.inputs["policy"])
        for s in policy["Statement"]:
            assert "*" not in json.dumps(s["Principal"]), f"{key.urn}: {s['Sid']}"


def test_only_the_logs_key_grants_services_by_default(ring: Recorder) -> None:
    for key in keys(ring):
        services = [s for s in json.loads(key.inputs["policy"])["Statement"] if "Service" in s["Principal"]]
        if key.name == "keys-logs":
            principals = {s["Principal"]["Service"] for s in services}
            assert principals == {
                "logs.eu-west-2.amazonaws.com",
                "cloudtrail.amazonaws.com",
                "logging.s3.amazonaws.com",
                "events.amazonaws.com",
                "cloudwatch.amazonaws.com",
            }, key.urn
        else:
            assert services == [], key.urn


def test_aliases_name_the_environment_and_purpose(ring: Recorder) -> None:
    aliases = {a.inputs["name"] for a in ring.of_type("aws:kms/alias:Alias")}
    assert aliases == {f"alias/strongroom-dev-{p}" for p in DEFAULT_PURPOSES}


def test_retain_protects_keys_and_aliases(pulumi_mocks: Recorder) -> None:
    pulumi_mocks.run(lambda: KeyRing("keys", KeyRingArgs(environment="prod", retain=True)))
    for r in pulumi_mocks.of_type("aws:kms/key:Key") + pulumi_mocks.of_type("aws:kms/alias:Alias"):
        assert r.protect and r.retain_on_delete, r.urn


def test_key_users_get_service_scoped_use(pulumi_mocks: Recorder) -> None:
    user = "arn:aws:iam::123456789012:role/ml"
    pulumi_mocks.run(
        lambda: KeyRing(
            "keys",
            KeyRingArgs(environment="dev", purposes=("data",), service_grants={}, key_users={"data": [user]}),
        )
    )
    (key,) = pulumi_mocks.of_type("aws:kms/key:Key")
    (s,) = [s for s in json.loads(key.inputs["policy"])["Statement"] if s["Sid"] == "KeyUsersThroughServices"]
    assert s["Principal"] == {"AWS": [user]}
    assert s["Condition"]["StringEquals"]["kms:ViaService"] == ["s3.eu-west-2.amazonaws.com"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"environment": "Dev"}, "environment"),
        ({"purposes": ()}, "purposes"),
        ({"purposes": ("data", "data")}, "purposes"),
        ({"purposes": ("Data",)}, "purposes"),
        ({"service_grants": {"audit": ("logs",)}}, "service_grants"),
        ({"service_grants": {"logs": ("ec2",)}}, "service_grants"),
        ({"service_grants": {"logs": ("logs", "logs")}}, "service_grants"),
        ({"admin_principal_arns": ("arn:aws:iam::123456789012:role/*",)}, "admin_principal_arns"),
        ({"key_users": {"data": ("someone",)}}, "key_users"),
        ({"key_users": {"audit": ()}}, "key_users"),
        ({"via_services": ("ebs",)}, "via_services"),
        ({"account_via_services": {"data": ("ebs",)}}, "account_via_services"),
        ({"account_via_services": {"audit": ("s3",)}}, "account_via_services"),
        (
            {
                "admin_principal_arns": (
                    "arn:aws:iam::333333333333:role/a",
                    "arn:aws:iam::123456789012:role/b",
                )
            },
            "admin_principal_arns",
        ),
        (
            {"admin_principal_arns": ("arn:aws:iam::333333333333:role/a",), "account_id": "123456789012"},
            "admin_principal_arns",
        ),
        ({"purposes": ("data", "signing")}, "purposes"),
        ({"signer_role_names": ("sr-dev-*-training",)}, "signer_role_names"),
        ({"signer_role_names": ("arn:aws:iam::123456789012:role/x",)}, "signer_role_names"),
        ({"signer_role_names": ("x",), "signer_role_path": "strongroom/dev"}, "signer_role_path"),
    ],
)
def test_bad_args_are_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}"):
        KeyRingArgs(**{"environment": "dev", **changes})


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ((), "datasets: at least one dataset is required (for example models, data)"),
        (("models", "models"), "datasets: ['models', 'models'] has duplicates"),
        (("Models",), "datasets: 'Models' must be 1-31 lower case letters, digits or dashes"),
        ((None,), "datasets: None must be 1-31 lower case letters, digits or dashes"),
    ],
)
def test_name_lists_are_refused_with_the_field_and_the_offending_value(
    names: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        check_names("datasets", names, "dataset", example="models, data")
    assert str(raised.value) == message


def test_valid_name_lists_come_back_as_lists() -> None:
    names = check_names("purposes", ("data", "models-2"), "key purpose", example="data")
    assert names == ["data", "models-2"]


def test_a_cross_account_key_administrator_is_refused_naming_the_setting() -> None:
    admin = "arn:aws:iam::333333333333:role/strongroom-breakglass"
    expected = r"strongroom:identity\.adminPrincipals, .* in Pulumi\.dev\.yaml.*333333333333.*123456789012"
    with pytest.raises(ValueError, match=expected):
        KeyRingArgs(environment="dev", admin_principal_arns=[admin], account_id="123456789012")
    # The same check runs on the looked-up account when account_id is not given (inside the policy apply).
    with pytest.raises(ValueError, match=expected):
        _check_in_account([admin], "123456789012", "dev")
    _check_in_account(["arn:aws:iam::123456789012:role/strongroom-breakglass"], "123456789012", "dev")


def test_keys_are_used_only_through_the_services_owning_their_data(ring: Recorder) -> None:
    via = {}
    for key in keys(ring):
        policy = json.loads(key.inputs["policy"])
        (use,) = [s for s in policy["Statement"] if s["Sid"] == "AccountUsesThroughServices"]
        via[key.name.removeprefix("keys-")] = use["Condition"]["StringEquals"]["kms:ViaService"]
        assert not [s for s in policy["Statement"] if s["Action"] == "kms:*"]
    assert via["backup"] == ["s3.eu-west-2.amazonaws.com"]
    assert "sagemaker.eu-west-2.amazonaws.com" in via["data"]
    assert "sagemaker.eu-west-2.amazonaws.com" not in via["logs"]


SIGNERS = ("sr-dev-roles-training-*", "sr-dev-roles-deployer-*")
SIGNER_ARNS = [f"arn:aws:iam::123456789012:role/strongroom/dev/{n}" for n in SIGNERS]


@pytest.fixture
def signing_ring(pulumi_mocks: Recorder) -> Recorder:
    pulumi_mocks.run(
        lambda: KeyRing(
            "keys",
            KeyRingArgs(environment="dev", signer_role_names=SIGNERS, signer_role_path="/strongroom/dev/"),
        )
    )
    return pulumi_mocks


def _signing(rec: Recorder) -> Any:
    (key,) = [k for k in rec.of_type("aws:kms/key:Key") if k.name == "keys-signing"]
    return key


def test_no_signer_roles_no_signing_key(ring: Recorder) -> None:
    assert "keys-signing" not in {k.name for k in ring.of_type("aws:kms/key:Key")}


def test_the_signing_key_is_asymmetric_sign_verify_without_rotation(signing_ring: Recorder) -> None:
    key = _signing(signing_ring)
    assert key.inputs["keyUsage"] == "SIGN_VERIFY"
    assert key.inputs["customerMasterKeySpec"] == "ECC_NIST_P256"
    assert key.inputs["enableKeyRotation"] is False  # AWS KMS cannot rotate asymmetric keys
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False
    aliases = {a.inputs["name"] for a in signing_ring.of_type("aws:kms/alias:Alias")}
    assert aliases == {f"alias/strongroom-dev-{p}" for p in (*DEFAULT_PURPOSES, "signing")}


def test_only_the_signer_roles_may_sign_every_principal_of_the_account_verifies(
    signing_ring: Recorder,
) -> None:
    by_sid = {s["Sid"]: s for s in json.loads(_signing(signing_ring).inputs["policy"])["Statement"]}
    assert set(by_sid) == {"AccountAdministersInAccount", "AccountVerifies", "SignersSign", "NoOtherSigners"}
    root = {"AWS": "arn:aws:iam::123456789012:root"}
    in_account = {"kms:CallerAccount": "123456789012"}
    assert by_sid["AccountVerifies"]["Principal"] == root
    assert by_sid["AccountVerifies"]["Action"] == ["kms:DescribeKey", "kms:GetPublicKey", "kms:Verify"]
    assert by_sid["AccountVerifies"]["Condition"] == {"StringEquals": in_account}
    assert by_sid["SignersSign"]["Action"] == ["kms:Sign"]
    assert by_sid["SignersSign"]["Condition"] == {
        "StringEquals": in_account,
        "ArnLike": {"aws:PrincipalArn": sorted(SIGNER_ARNS)},
    }
    deny = by_sid["NoOtherSigners"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", {"AWS": "*"}, ["kms:Sign"])
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": sorted(SIGNER_ARNS)}}
    # No encryption use at all: a SIGN_VERIFY key can't encrypt, and no statement pretends it can.
    actions = {a for s in by_sid.values() for a in s["Action"]}
    assert not actions & set(kmsdoc.USER_ACTIONS) - {"kms:DescribeKey"}
    assert "kms:CreateGrant" not in actions


def test_the_signing_key_is_parented_to_the_component(signing_ring: Recorder) -> None:
    (component,) = signing_ring.of_type("strongroom:index:KeyRing")
    assert _signing(signing_ring).parent == component.urn


@pytest.mark.parametrize(
    ("signers", "message"),
    [
        ((), "signer_arns: at least one"),
        (
            ("arn:aws:iam::999999999999:role/x",),
            "signer_arns: 'arn:aws:iam::999999999999:role/x' is not a role",
        ),
        (("arn:aws:iam::123456789012:role/*/x",), "signer_arns: 'arn:aws:iam::123456789012:role/\\*/x'"),
        (("arn:aws:iam::123456789012:user/x",), "signer_arns: 'arn:aws:iam::123456789012:user/x'"),
    ],
)
def test_signing_key_policy_refuses_signers_outside_the_account_or_with_inner_wildcards(
    signers: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        kmsdoc.signing_key_policy(
            account_id="123456789012", partition="aws", region="eu-west-2", signer_arns=signers
        )
