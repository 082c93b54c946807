"""The keys reader: customer managed KMS keys of the environment and their aliases, read from moto, in the
plan's shape and judged by the catalog's controls as the plan's keys are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from live_support import moto_client
from moto import mock_aws
from storage_keys_shapes import ACCOUNT, deny, planned, shape_problems

from strongroom.components.policydocs.iam import AUDITOR_STAR_ACTIONS
from strongroom.components.policydocs.kms import key_policy_json
from strongroom.live.aws import Aws, LiveError
from strongroom.live.readers import Scope, keys
from strongroom.policies.catalog import get as control
from strongroom.policies.model import evaluate
from strongroom.policies.props import Context, Index, Resource

REGION = "eu-west-2"
REPLICA_REGION = "eu-west-1"
ENV = [{"TagKey": "strongroom:environment", "TagValue": "dev"}]
#: The auditor role's key reads (components.policydocs.iam.auditor_policy, ReadKeyConfiguration).
KEY_READS = {"kms:GetKeyRotationStatus", "kms:GetKeyPolicy", "kms:DescribeKey", "kms:ListResourceTags"}
CONTROLS = ("SR-ENC-001", "SR-ENC-002", "SR-ENC-003", "SR-ENC-011", "SR-ENC-040")


def _new_key(
    kms: Any, region: str, *, tags: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    key: dict[str, Any] = kms.create_key(
        Policy=key_policy_json(account_id=ACCOUNT, partition="aws", region=region),
        Description="Strongroom dev key",
        KeyUsage="ENCRYPT_DECRYPT",  # AWS returns it for every key; moto 5.2 only when it was given
        Tags=ENV if tags is None else tags,
        **extra,
    )["KeyMetadata"]
    return key


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The stack's data key (tagged, rotating, aliased), its backup replica key in the replica region, and
    keys that are not the environment's (untagged, another stack's)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        kms = moto_client("kms", REGION)
        kms_west = moto_client("kms", REPLICA_REGION)
        data = _new_key(kms, REGION)
        kms.enable_key_rotation(KeyId=data["KeyId"])
        kms.create_alias(AliasName="alias/strongroom-dev-data", TargetKeyId=data["KeyId"])
        replica = _new_key(kms_west, REPLICA_REGION)
        kms_west.enable_key_rotation(KeyId=replica["KeyId"])
        kms_west.create_alias(AliasName="alias/strongroom-dev-backup-replica", TargetKeyId=replica["KeyId"])
        other = _new_key(kms, REGION, tags=[])
        kms.create_alias(AliasName="alias/someone-else", TargetKeyId=other["KeyId"])
        prod = _new_key(kms, REGION, tags=[{"TagKey": "strongroom:environment", "TagValue": "prod"}])
        kms.create_alias(AliasName="alias/strongroom-prod-data", TargetKeyId=prod["KeyId"])
        yield {
            "kms": kms,
            "kms_west": kms_west,
            "data": data,
            "replica": replica,
            "other": other,
            "prod": prod,
        }


def _read(aws: Aws | None = None) -> tuple[list[Resource], Aws]:
    aws = aws or Aws(region=REGION)
    scope = Scope(
        stack="dev", account=ACCOUNT, partition="aws", region=REGION, regions=(REGION, REPLICA_REGION)
    )
    return list(keys.read(aws, scope)), aws


def _index(resources: list[Resource]) -> Index:
    return Index(resources, Context(stack="dev", trusted_accounts=frozenset({ACCOUNT})))


def _findings(control_id: str) -> list[str]:
    resources, _ = _read()
    return [f.message for f in evaluate(control(control_id), _index(resources))]


def _by_id(resources: list[Resource]) -> dict[str, Resource]:
    return {r.props.get("keyId", r.props["id"]): r for r in resources if r.type != keys.ALIAS}


def test_reads_the_environments_keys_and_aliases_in_every_region(account: dict[str, Any]) -> None:
    resources, _ = _read()
    found = _by_id(resources)
    assert set(found) == {account["data"]["KeyId"], account["replica"]["KeyId"]}
    assert found[account["replica"]["KeyId"]].props["arn"].startswith(f"arn:aws:kms:{REPLICA_REGION}:")
    aliases = {r.props["name"]: r.props for r in resources if r.type == keys.ALIAS}
    assert set(aliases) == {"alias/strongroom-dev-data", "alias/strongroom-dev-backup-replica"}
    assert aliases["alias/strongroom-dev-data"]["targetKeyId"] == account["data"]["KeyId"]
    assert aliases["alias/strongroom-dev-data"]["targetKeyArn"] == account["data"]["Arn"]


def test_key_props(account: dict[str, Any]) -> None:
    resources, _ = _read()
    key = _by_id(resources)[account["data"]["KeyId"]]
    assert key.type == keys.KEY
    assert key.urn == account["data"]["Arn"]
    props = dict(key.props)
    assert json.loads(props.pop("policy")) == json.loads(
        key_policy_json(account_id=ACCOUNT, partition="aws", region=REGION)
    )
    assert props == {
        "arn": account["data"]["Arn"],
        "id": account["data"]["KeyId"],
        "keyId": account["data"]["KeyId"],
        "description": "Strongroom dev key",
        "keyUsage": "ENCRYPT_DECRYPT",
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "multiRegion": False,
        "isEnabled": True,
        "enableKeyRotation": True,
        "keyState": "Enabled",
        "tags": {"strongroom:environment": "dev"},
        "tagsAll": {"strongroom:environment": "dev"},
    }


def test_props_have_the_plans_shape(account: dict[str, Any]) -> None:
    resources, _ = _read()
    plan = planned("dev")
    key = next(r for r in resources if r.type == keys.KEY)
    alias = next(r for r in resources if r.type == keys.ALIAS)
    # deletionWindowInDays: AWS does not return it (the reader's docstring); bypassPolicyLockoutSafetyCheck
    # is a flag of the PutKeyPolicy call, not key state.
    assert (
        shape_problems(
            key,
            plan[keys.KEY][0],
            live_only=("keyState",),
            not_read=("bypassPolicyLockoutSafetyCheck", "deletionWindowInDays"),
        )
        == []
    )
    assert shape_problems(alias, plan[keys.ALIAS][0]) == []


def test_compliant_keys_pass_every_key_control(account: dict[str, Any]) -> None:
    resources, _ = _read()
    index = _index(resources)
    assert {c: [f.message for f in evaluate(control(c), index)] for c in CONTROLS} == {
        c: [] for c in CONTROLS
    }


def test_every_call_is_an_auditor_read(account: dict[str, Any]) -> None:
    _, aws = _read()
    assert {c.action for c in aws.calls} - KEY_READS - set(AUDITOR_STAR_ACTIONS) == set()
    assert {c.region for c in aws.calls} == {REGION, REPLICA_REGION}


def test_a_key_whose_tag_was_removed_is_found_by_the_stacks_alias(account: dict[str, Any]) -> None:
    account["kms"].untag_resource(KeyId=account["data"]["KeyId"], TagKeys=["strongroom:environment"])
    resources, _ = _read()
    key = _by_id(resources)[account["data"]["KeyId"]]
    assert key.props["tags"] == {}


def test_a_stack_alias_repointed_to_another_key_brings_that_key_in(account: dict[str, Any]) -> None:
    account["kms"].update_alias(AliasName="alias/strongroom-dev-data", TargetKeyId=account["other"]["KeyId"])
    resources, _ = _read()
    assert account["other"]["KeyId"] in _by_id(resources)
    alias = next(
        r for r in resources if r.type == keys.ALIAS and r.props["name"] == "alias/strongroom-dev-data"
    )
    assert alias.props["targetKeyId"] == account["other"]["KeyId"]


def test_keys_whose_tags_the_caller_may_not_read_are_passed_over(account: dict[str, Any]) -> None:
    aws = Aws(region=REGION)
    deny(aws.client("kms", REGION), "ListResourceTags", account["other"]["KeyId"], "AccessDeniedException")
    resources, _ = _read(aws)
    assert set(_by_id(resources)) == {account["data"]["KeyId"], account["replica"]["KeyId"]}


def test_a_stack_key_the_caller_may_not_read_fails_the_area(account: dict[str, Any]) -> None:
    aws = Aws(region=REGION)
    deny(aws.client("kms", REGION), "GetKeyPolicy", account["data"]["KeyId"], "AccessDeniedException")
    with pytest.raises(LiveError) as raised:
        _read(aws)
    assert raised.value.action == "kms:GetKeyPolicy"


def test_a_key_of_a_stack_whose_aliases_share_the_prefix_is_not_read(account: dict[str, Any]) -> None:
    # alias/strongroom-dev-2-data has the prefix of stack dev's aliases; its key is tagged for dev-2.
    other = _new_key(account["kms"], REGION, tags=[{"TagKey": "strongroom:environment", "TagValue": "dev-2"}])
    account["kms"].create_alias(AliasName="alias/strongroom-dev-2-data", TargetKeyId=other["KeyId"])
    resources, _ = _read()
    assert other["KeyId"] not in _by_id(resources)
    assert "alias/strongroom-dev-2-data" not in {r.props["name"] for r in resources if r.type == keys.ALIAS}


# -- tampers ---------------------------------------------------------------------------------------------


def test_rotation_disabled(account: dict[str, Any]) -> None:
    account["kms"].disable_key_rotation(KeyId=account["data"]["KeyId"])
    assert _findings("SR-ENC-001") == [
        f"KMS key '{account['data']['KeyId']}' does not set enableKeyRotation=true (default false)"
    ]


def test_key_policy_with_a_wildcard_principal(account: dict[str, Any]) -> None:
    policy = json.loads(key_policy_json(account_id=ACCOUNT, partition="aws", region=REGION))
    policy["Statement"].append(
        {
            "Sid": "Open",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    account["kms"].put_key_policy(
        KeyId=account["data"]["KeyId"], PolicyName="default", Policy=json.dumps(policy)
    )
    found = _findings("SR-ENC-002")
    assert len(found) == 1 and account["data"]["KeyId"] in found[0]


def test_key_pending_deletion_and_disabled_keys_show_their_state(account: dict[str, Any]) -> None:
    account["kms"].schedule_key_deletion(KeyId=account["data"]["KeyId"], PendingWindowInDays=7)
    account["kms_west"].disable_key(KeyId=account["replica"]["KeyId"])
    found = _by_id(_read()[0])
    pending = found[account["data"]["KeyId"]].props
    assert pending["keyState"] == "PendingDeletion" and pending["isEnabled"] is False
    assert pending["deletionDate"][:4].isdigit()
    disabled = found[account["replica"]["KeyId"]].props
    assert (
        disabled["keyState"] == "Disabled"
        and disabled["isEnabled"] is False
        and "deletionDate" not in disabled
    )


def test_imported_key_material(account: dict[str, Any]) -> None:
    external = _new_key(account["kms"], REGION, Origin="EXTERNAL")
    resources, _ = _read()
    key = _by_id(resources)[external["KeyId"]]
    assert key.type == keys.EXTERNAL_KEY and "enableKeyRotation" not in key.props
    found = [f.message for f in evaluate(control("SR-ENC-011"), _index(resources))]
    assert len(found) == 1 and "imported key material" in found[0]


def test_multi_region_replica_key(account: dict[str, Any]) -> None:
    primary = _new_key(account["kms"], REGION, MultiRegion=True)
    copy = account["kms"].replicate_key(KeyId=primary["KeyId"], ReplicaRegion=REPLICA_REGION, Tags=ENV)
    # moto 5.2 drops ReplicateKey's Tags; AWS tags the replica with them.
    account["kms_west"].tag_resource(KeyId=copy["ReplicaKeyMetadata"]["KeyId"], Tags=ENV)
    by_arn = {r.urn: r for r in _read()[0]}
    assert by_arn[primary["Arn"]].type == keys.KEY and by_arn[primary["Arn"]].props["multiRegion"] is True
    replica = by_arn[copy["ReplicaKeyMetadata"]["Arn"]]
    assert replica.type == keys.REPLICA_KEY and replica.props["primaryKeyArn"] == primary["Arn"]
    assert "multiRegion" not in replica.props and replica.props["keyRotationEnabled"] is False
    # Primary and replica share the key ID; their names say which region's copy each is.
    assert {by_arn[primary["Arn"]].name, replica.name} == {
        f"{primary['KeyId']} ({REGION})",
        f"{primary['KeyId']} ({REPLICA_REGION})",
    }
