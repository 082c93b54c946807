"""The IAM action database read from parliament's iam_definition.json."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from strongroom.policies import iamdb


def test_expand_matches_real_actions_case_insensitively() -> None:
    assert iamdb.expand("S3:getobject") == {"s3:GetObject"}
    assert iamdb.expand("iam:Pass*") == {"iam:PassRole"}
    assert iamdb.expand("sts:Assume?ole") == {"sts:AssumeRole"}
    assert "iam:PutRolePolicy" in iamdb.expand("iam:*Role*")


def test_expand_of_star_is_every_action() -> None:
    assert len(iamdb.expand("*")) == len(iamdb.actions()) > 15000
    assert iamdb.expand("s3:*") == iamdb.service_actions("s3")
    assert iamdb.expand("*:GetObject") >= {"s3:GetObject"}


@pytest.mark.parametrize("pattern", ["s3:GetObjects", "s4:GetObject", "iam:Passrole*x", "", "s3"])
def test_an_unknown_action_matches_nothing(pattern: str) -> None:
    assert iamdb.expand(pattern) == frozenset()


def test_not_action_is_everything_else() -> None:
    others = iamdb.not_action(["iam:*"])
    assert "s3:GetObject" in others and "iam:PassRole" not in others
    assert len(others) == len(iamdb.actions()) - len(iamdb.service_actions("iam"))


def test_star_only_follows_resource_level_permissions() -> None:
    assert iamdb.star_only("sagemaker:ListDomains")
    assert iamdb.star_only("sts:GetCallerIdentity")
    assert not iamdb.star_only("sagemaker:ListTags"), "ListTags is scoped to a resource"
    assert not iamdb.star_only("s3:GetObject")
    assert not iamdb.star_only("s3:NoSuchAction"), "nothing unknown is let onto '*'"
    assert "object" in iamdb.resource_types("s3:GetObject")
    assert iamdb.resource_types("ecr:GetAuthorizationToken") == frozenset()


def test_access_level() -> None:
    assert iamdb.access_level("iam:PutRolePolicy") == iamdb.PERMISSIONS_MANAGEMENT
    assert iamdb.access_level("s3:GetObject") == "Read"
    assert iamdb.access_level("s3:ListBucket") == "List"
    assert iamdb.access_level("s3:PutObjectTagging") == "Tagging"
    with pytest.raises(KeyError, match="not an action"):
        iamdb.access_level("s3:Nope")


def test_every_escalation_action_exists_and_has_a_reason() -> None:
    for action, reason in iamdb.ESCALATION_ACTIONS.items():
        assert iamdb.expand(action) == {action}, action
        assert reason, action
        assert iamdb.escalation(action.upper())


def test_loads_without_importing_parliament_and_quickly() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); from policies import iamdb; iamdb.expand('*'); "
        "print(time.perf_counter() - t); assert 'parliament' not in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert float(out.stdout) < 2.0


def test_a_question_about_one_service_builds_only_that_service() -> None:
    code = (
        "from policies import iamdb; iamdb.expand('kms:*'); iamdb.known('s3:GetObject'); "
        "iamdb.star_only('s3:ListAllMyBuckets'); iamdb.services(); "
        "print(iamdb._service_actions.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert int(out.stdout) == 2


def test_built_service_by_service_the_database_is_the_whole_file() -> None:
    with iamdb.database_path().open(encoding="utf-8") as handle:
        services = json.load(handle)
    whole: dict[str, tuple[str, str, frozenset[str], frozenset[str]]] = {}
    for service in services:
        for privilege in service["privileges"]:
            name = f"{service['prefix']}:{privilege['privilege']}"
            types = {
                str(r["resource_type"]).rstrip("*") for r in privilege["resource_types"] if r["resource_type"]
            }
            keys = {k for r in privilege["resource_types"] for k in r["condition_keys"]}
            if name.lower() in whole:
                types |= whole[name.lower()][2]
                keys |= whole[name.lower()][3]
            whole[name.lower()] = (name, privilege["access_level"], frozenset(types), frozenset(keys))
    built = {
        key: (a.name, a.access_level, a.resource_types, a.condition_keys)
        for key, a in iamdb.actions().items()
    }
    assert built == whole
    assert iamdb.services() == {str(s["prefix"]).lower() for s in services}


def test_services_are_parsed_from_their_place_in_the_file_as_the_whole_file_parses_them() -> None:
    raw = iamdb._services_raw()
    assert isinstance(raw, iamdb._ServicesByPrefix), (
        "the installed file's layout is located, not parsed whole"
    )
    with iamdb.database_path().open(encoding="utf-8") as handle:
        whole = iamdb._grouped(json.load(handle))
    assert list(raw) == list(whole)
    assert all(raw[prefix] == whole[prefix] for prefix in whole)
    assert "s3" in raw and "no-such-service" not in raw


def test_a_file_laid_out_otherwise_is_parsed_whole() -> None:
    services = [{"conditions": [], "prefix": "Svc", "privileges": []}, {"prefix": "svc", "privileges": [1]}]
    indented = json.dumps(services, indent=2)
    located = iamdb._locate_services(indented)
    assert located is not None and list(located) == ["svc"] and len(located["svc"]) == 2
    assert iamdb._locate_services(json.dumps(services)) is None  # compact: no layout to rely on
    nameless = json.dumps([*services, {"privileges": []}], indent=2)
    assert iamdb._locate_services(nameless) is None
    nested = json.dumps([{"prefix": "a", "x": {"prefix": "b"}}], indent=2)
    assert iamdb._locate_services(nested) == {"a": (4,)}
