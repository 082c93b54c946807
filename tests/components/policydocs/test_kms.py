"""KMS key policy JSON: every statement exact, no wildcard principal, bad input refused by field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.components.policydocs.kms import (
    ADMIN_ACTIONS,
    SERVICE_GRANTS,
    USER_ACTIONS,
    key_policy,
    key_policy_json,
)
from strongroom.policies import iamdb

ACCOUNT = "123456789012"
BASE: dict[str, Any] = {"account_id": ACCOUNT, "partition": "aws", "region": "eu-west-2"}


def statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in policy["Statement"] if s["Sid"] == sid]
    assert len(found) == 1, f"statement {sid} missing or repeated in {policy}"
    return found[0]


def test_root_administers_in_account_only_so_iam_policies_apply_and_the_key_cannot_be_locked_out() -> None:
    root = statement(key_policy(**BASE), "AccountAdministersInAccount")
    assert root["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert root["Effect"] == "Allow" and root["Action"] == list(ADMIN_ACTIONS)
    assert "kms:PutKeyPolicy" in root["Action"]
    assert root["Condition"] == {"StringEquals": {"kms:CallerAccount": ACCOUNT}}


def test_no_root_statement_grants_kms_star_or_use_without_via_service() -> None:
    policy = key_policy(**BASE, account_via_services=("s3", "sagemaker"))
    roots = [s for s in policy["Statement"] if s["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}]
    assert len(roots) == 3
    for s in roots:
        assert s["Action"] != "kms:*" and s["Condition"]["StringEquals"]["kms:CallerAccount"] == ACCOUNT
    use = statement(policy, "AccountUsesThroughServices")
    assert use["Action"] == list(USER_ACTIONS)
    assert use["Condition"]["StringEquals"]["kms:ViaService"] == [
        "s3.eu-west-2.amazonaws.com",
        "sagemaker.eu-west-2.amazonaws.com",
    ]


def test_grants_only_for_aws_resources_through_the_owning_services() -> None:
    policy = key_policy(**BASE, admin_arns=(f"arn:aws:iam::{ACCOUNT}:role/admin",))
    grant = statement(policy, "AccountGrantsForAwsResources")
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {
        "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": ["s3.eu-west-2.amazonaws.com"]},
        "Bool": {"kms:GrantIsForAWSResource": "true"},
    }
    others = [s for s in policy["Statement"] if s["Sid"] != "AccountGrantsForAwsResources"]
    for s in others:
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        assert "kms:CreateGrant" not in iamdb.expand_all(actions), s["Sid"]


def test_admin_and_use_actions_are_known_to_the_iam_database() -> None:
    for action in (*ADMIN_ACTIONS, *USER_ACTIONS, "kms:CreateGrant"):
        assert iamdb.known(action), action
    for action in ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"):
        assert "kms:GrantIsForAWSResource" in iamdb.condition_keys(action)


def test_a_cross_account_administrator_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^admin_arns: .*333333333333.* not the key's account 123456789012"):
        key_policy(**BASE, admin_arns=("arn:aws:iam::333333333333:role/breakglass",))
    with pytest.raises(ValueError, match=r"^user_arns: .*333333333333"):
        key_policy(**BASE, user_arns=("arn:aws:iam::333333333333:role/ml",))


@pytest.mark.parametrize("service", SERVICE_GRANTS)
def test_no_statement_has_a_wildcard_principal(service: str) -> None:
    policy = key_policy(
        **BASE,
        services=(service,),
        admin_arns=(f"arn:aws:iam::{ACCOUNT}:role/admin",),
        user_arns=(f"arn:aws:iam::{ACCOUNT}:role/ml",),
    )
    for s in policy["Statement"]:
        assert s["Principal"] not in ("*", {"AWS": "*"}), s
        assert "*" not in json.dumps(s["Principal"]), s


@pytest.mark.parametrize("service", SERVICE_GRANTS)
def test_every_service_grant_has_a_condition_tied_to_this_account(service: str) -> None:
    policy = key_policy(**BASE, services=(service,))
    grants = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    assert grants, f"no statement for {service}"
    for s in grants:
        assert ACCOUNT in json.dumps(s["Condition"]), s


def test_cloudwatch_logs_is_limited_to_this_accounts_log_groups_in_this_region() -> None:
    s = statement(key_policy(**BASE, services=("logs",)), "AllowCloudWatchLogs")
    assert s["Principal"] == {"Service": "logs.eu-west-2.amazonaws.com"}
    assert s["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:*"}
    }


def test_cloudtrail_may_only_encrypt_for_trails_of_this_account() -> None:
    s = statement(key_policy(**BASE, services=("cloudtrail",)), "AllowCloudTrailEncrypt")
    assert s["Action"] == "kms:GenerateDataKey*"
    assert s["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"},
    }


def test_s3_log_delivery_may_generate_data_keys_for_this_account_only() -> None:
    s = statement(key_policy(**BASE, services=("s3-logging",)), "AllowS3ServerAccessLogDelivery")
    assert s["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert "kms:GenerateDataKey" in s["Action"]
    assert s["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_named_users_use_the_key_only_through_the_listed_services_in_this_account() -> None:
    user = f"arn:aws:iam::{ACCOUNT}:role/ml"
    s = statement(
        key_policy(**BASE, user_arns=(user,), via_services=("s3", "sagemaker")), "KeyUsersThroughServices"
    )
    assert s["Principal"] == {"AWS": [user]}
    assert s["Condition"] == {
        "StringEquals": {
            "kms:CallerAccount": ACCOUNT,
            "kms:ViaService": ["s3.eu-west-2.amazonaws.com", "sagemaker.eu-west-2.amazonaws.com"],
        }
    }


def test_named_admins_administer_in_account_but_cannot_use_or_grant() -> None:
    s = statement(key_policy(**BASE, admin_arns=(f"arn:aws:iam::{ACCOUNT}:role/admin",)), "KeyAdministrators")
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:*", "kms:CreateGrant"} & set(
        s["Action"]
    )
    assert not [a for a in s["Action"] if "*" in a]
    assert s["Condition"] == {"StringEquals": {"kms:CallerAccount": ACCOUNT}}


def test_json_is_stable() -> None:
    assert key_policy_json(**BASE, services=("logs",)) == key_policy_json(**BASE, services=("logs",))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"account_id": "12345"}, "account_id"),
        ({"partition": "aws-moon"}, "partition"),
        ({"region": "europe"}, "region"),
        ({"services": ("ec2",)}, "services"),
        ({"services": ("logs", "logs")}, "services"),
        ({"via_services": ("ebs",)}, "via_services"),
        ({"account_via_services": ("ebs",)}, "account_via_services"),
        ({"account_via_services": ()}, "account_via_services"),
        ({"admin_arns": ("arn:aws:iam::123456789012:role/*",)}, "principal"),
    ],
)
def test_bad_input_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        key_policy(**{**BASE, **changes})
