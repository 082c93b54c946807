"""policies.iamsim: each evaluation rule with a case that holds and one that breaks it, then the dev plan's
real roles, buckets and keys: who may write where, sign, delete versions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from strongroom.policies.iamsim import (
    ContextValue,
    Decision,
    IamSimError,
    Request,
    arn_like,
    decide,
    implied,
    s3_resource,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "strongroom"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "strongroom" / "live"))

from iam_support import PlanPolicies
from live_support import stack_plan

ACCT = "123456789012"
ROLE = f"arn:aws:iam::{ACCT}:role/strongroom/dev/worker-abc"
OTHER = f"arn:aws:iam::{ACCT}:role/strongroom/dev/other-def"
BUCKET = "data-bucket"
KEY = f"arn:aws:kms:eu-west-2:{ACCT}:key/1111"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def req(action: str, resource: str = s3_resource(BUCKET, "a/b"), /, **context: ContextValue) -> Request:
    return Request(ROLE, action, resource, context)


def judge(
    request: Request,
    *identity: dict[str, Any],
    boundary: dict[str, Any] | None = None,
    resource_policy: dict[str, Any] | None = None,
    kind: Any = "s3",
) -> Decision:
    return decide(
        request, identity=identity, boundary=boundary, resource_policy=resource_policy, resource_kind=kind
    )


# --- actions, resources -------------------------------------------------------------------------------


def test_an_allow_grants_and_no_statement_is_an_implicit_deny() -> None:
    assert judge(req("s3:GetObject"), doc(allow("s3:GetObject", Sid="Read"))).matched == ["identity:Read"]
    assert not judge(req("s3:PutObject"), doc(allow("s3:GetObject"))).allowed


def test_actions_match_case_insensitively_with_wildcards() -> None:
    assert judge(req("s3:getobject"), doc(allow("S3:Get*"))).allowed
    assert judge(req("s3:GetObject"), doc(allow("s3:GetObjec?"))).allowed
    assert not judge(req("s3:GetObjectVersion"), doc(allow("s3:GetObjec?"))).allowed


def test_resources_match_case_sensitively_with_wildcards() -> None:
    assert judge(req("s3:GetObject"), doc(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/a/*"))).allowed
    assert not judge(req("s3:GetObject"), doc(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/A/*"))).allowed
    assert not judge(req("s3:GetObject"), doc(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}"))).allowed


def test_not_action_and_not_resource() -> None:
    everything_but_delete = {"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "*"}
    assert judge(req("s3:GetObject"), doc(everything_but_delete)).allowed
    assert not judge(req("s3:DeleteObject"), doc(everything_but_delete)).allowed
    outside = {"Effect": "Deny", "Action": "s3:*", "NotResource": f"arn:aws:s3:::{BUCKET}/a/*", "Sid": "Only"}
    assert judge(req("s3:GetObject"), doc(allow("s3:*"), outside)).allowed
    other = req("s3:GetObject", s3_resource(BUCKET, "z"))
    assert judge(other, doc(allow("s3:*"), outside)).matched == ["identity:Only"]


def test_an_explicit_deny_wins_over_any_allow_and_is_named() -> None:
    decision = judge(req("s3:GetObject"), doc(allow("s3:*"), deny("s3:GetObject", Sid="NoReads")))
    assert not decision.allowed and decision.matched == ["identity:NoReads"]
    assert "NoReads" in decision.reason
    bucket_deny = doc(deny("s3:*", Principal="*", Sid="BucketSays"))
    assert judge(req("s3:GetObject"), doc(allow("s3:*")), resource_policy=bucket_deny).matched == [
        "resource:BucketSays"
    ]


def test_the_boundary_caps_the_identity_policies() -> None:
    assert judge(req("s3:GetObject"), doc(allow("s3:*")), boundary=doc(allow("s3:Get*"))).allowed
    decision = judge(req("s3:PutObject"), doc(allow("s3:*")), boundary=doc(allow("s3:Get*")))
    assert not decision.allowed and "boundary" in decision.reason
    assert not judge(req("s3:GetObject"), boundary=doc(allow("s3:*"))).allowed  # a boundary grants nothing


def test_a_bucket_policy_allow_alone_is_not_enough_for_s3() -> None:
    grant = doc(allow("s3:GetObject", Principal={"AWS": ROLE}))
    assert not judge(req("s3:GetObject"), resource_policy=grant).allowed
    assert judge(req("s3:GetObject"), doc(allow("s3:GetObject")), resource_policy=grant).allowed


def test_sts_get_caller_identity_is_always_allowed() -> None:
    assert judge(Request(ROLE, "sts:GetCallerIdentity", "*"), doc(deny("*"))).allowed


# --- principals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "names_it"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": ROLE}, True),
        ({"AWS": [OTHER, ROLE]}, True),
        ({"AWS": ACCT}, True),
        ({"AWS": f"arn:aws:iam::{ACCT}:root"}, True),
        ({"AWS": OTHER}, False),
        ({"AWS": "arn:aws:iam::999999999999:root"}, False),
        ({"AWS": f"arn:aws:iam::{ACCT}:role/worker-abc"}, False),  # the same name without the role's path
        ({"Service": "s3.amazonaws.com"}, False),
    ],
)
def test_principals_of_a_resource_policy(principal: Any, names_it: bool) -> None:
    bucket = doc(deny("s3:GetObject", Principal=principal))
    assert judge(req("s3:GetObject"), doc(allow("s3:*")), resource_policy=bucket).allowed is not names_it


def test_not_principal_applies_to_everyone_else() -> None:
    bucket = doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*", "NotPrincipal": {"AWS": [OTHER]}})
    assert not judge(req("s3:GetObject"), doc(allow("s3:*")), resource_policy=bucket).allowed
    bucket["Statement"][0]["NotPrincipal"] = {"AWS": [ROLE]}
    assert judge(req("s3:GetObject"), doc(allow("s3:*")), resource_policy=bucket).allowed


# --- KMS key policies -----------------------------------------------------------------------------------


def kreq(action: str = "kms:Decrypt") -> Request:
    return req(action, KEY)


def test_a_key_policy_naming_the_role_suffices_but_the_boundary_still_caps() -> None:
    key = doc(allow("kms:Decrypt", Principal={"AWS": ROLE}, Sid="Role"))
    assert judge(kreq(), resource_policy=key, kind="kms").matched == ["resource:Role"]
    assert not judge(kreq(), resource_policy=key, boundary=doc(allow("s3:*")), kind="kms").allowed


def test_a_key_policy_granting_the_account_delegates_to_iam() -> None:
    for account in (f"arn:aws:iam::{ACCT}:root", ACCT):
        key = doc(allow("kms:*", Principal={"AWS": account}, Sid="EnableIam"))
        assert not judge(kreq(), resource_policy=key, kind="kms").allowed
        assert judge(kreq(), doc(allow("kms:Decrypt", KEY)), resource_policy=key, kind="kms").allowed


def test_without_the_root_statement_iam_policies_grant_nothing_on_a_key() -> None:
    key = doc(allow("kms:*", Principal={"AWS": OTHER}))
    decision = judge(
        kreq(), doc(allow("kms:*")), boundary=doc(allow("kms:*")), resource_policy=key, kind="kms"
    )
    assert not decision.allowed and "key policy does not allow" in decision.reason
    assert not judge(kreq(), doc(allow("kms:*")), kind="kms").allowed  # no key policy at all


def test_kms_caller_account_and_principal_arn_are_in_every_request() -> None:
    key = doc(
        allow(
            "kms:Sign",
            Principal={"AWS": f"arn:aws:iam::{ACCT}:root"},
            Condition={
                "StringEquals": {"kms:CallerAccount": ACCT},
                "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/strongroom/dev/worker-*"},
            },
        )
    )
    assert judge(kreq("kms:Sign"), doc(allow("kms:Sign")), resource_policy=key, kind="kms").allowed
    other = Request(OTHER, "kms:Sign", KEY)
    assert not judge(other, doc(allow("kms:Sign")), resource_policy=key, kind="kms").allowed


# --- conditions -----------------------------------------------------------------------------------------


def cond(condition: dict[str, Any], **context: ContextValue) -> bool:
    return judge(req("s3:GetObject", **context), doc(allow("s3:GetObject", Condition=condition))).allowed


def test_string_operators() -> None:
    assert cond({"StringEquals": {"s3:prefix": ["x", "a/"]}}, **{"s3:prefix": "a/"})
    assert not cond({"StringEquals": {"s3:prefix": "A/"}}, **{"s3:prefix": "a/"})
    assert cond({"StringEqualsIgnoreCase": {"s3:prefix": "A/"}}, **{"s3:prefix": "a/"})
    assert cond({"StringNotEquals": {"s3:prefix": ["x", "y"]}}, **{"s3:prefix": "a/"})
    assert not cond({"StringNotEquals": {"s3:prefix": ["x", "a/"]}}, **{"s3:prefix": "a/"})
    assert cond({"StringLike": {"s3:prefix": "cand*/?"}}, **{"s3:prefix": "candidates/x"})
    assert not cond({"StringLike": {"s3:prefix": "cand*/?"}}, **{"s3:prefix": "candidates/xy"})
    assert not cond({"StringNotLike": {"s3:prefix": "cand*"}}, **{"s3:prefix": "candidates/x"})


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("arn:aws:iam::123456789012:role/a/b", "arn:aws:iam::123456789012:role/*", True),
        ("arn:aws:iam::123456789012:role/signer", "arn:aws:iam::123456789012:role/sign?r", True),
        ("arn:aws:iam::123456789012:role/signer", "arn:aws:iam::123456789012:role/sign?", False),
        ("arn:aws:iam::123456789012:role/x", "arn:aws:iam::*:role/x", True),
        # a wildcard of the first five parts stays within its part: "*" cannot stand for "iam::1234"
        ("arn:aws:iam::123456789012:role/x", "arn:aws:*:role/x", False),
        ("arn:aws:iam::123456789012:role/x", "arn:*:*:*:*:role/x", True),
        ("arn:aws:iam::123456789012:role/x", "arn:?:iam::123456789012:role/x", False),
        # the sixth part is the rest of the ARN, colons and all
        ("arn:aws:logs:eu-west-2:123456789012:log-group:g:*", "arn:aws:logs:eu-west-2:123456789012:*", True),
        ("arn:aws:s3:::bkt", "arn:aws:s3", False),  # a pattern of fewer than six parts matches nothing
        ("arn:aws:s3", "arn:aws:s3:::*", False),  # and so does a value of fewer than six
        ("anything", "*", True),
    ],
)
def test_arn_like_compares_the_six_parts_each_with_its_wildcards(
    value: str, pattern: str, expected: bool
) -> None:
    assert arn_like(value, pattern) is expected


def test_arn_bool_numeric_ip_operators() -> None:
    assert cond({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::b*"}}, **{"aws:SourceArn": "arn:aws:s3:::bkt"})
    assert cond({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::bkt"}}, **{"aws:SourceArn": "arn:aws:s3:::bkt"})
    assert not cond({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/strongroom/*"}})
    assert cond({"ArnNotEquals": {"aws:PrincipalArn": OTHER}})
    assert cond({"ArnLike": {"aws:SourceArn": "*"}}, **{"aws:SourceArn": "arn:aws:s3:::bkt"})
    assert not cond(
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::c*"}}, **{"aws:SourceArn": "arn:aws:s3:::bkt"}
    )
    assert cond({"Bool": {"aws:SecureTransport": "true"}}, **{"aws:SecureTransport": True})
    assert not cond({"Bool": {"aws:SecureTransport": "true"}}, **{"aws:SecureTransport": False})
    assert cond({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, **{"s3:TlsVersion": "1.1"})
    assert not cond({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, **{"s3:TlsVersion": "1.3"})
    assert cond({"NumericGreaterThanEquals": {"s3:max-keys": "10"}}, **{"s3:max-keys": 10})
    assert cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, **{"aws:SourceIp": "10.1.2.3"})
    assert not cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, **{"aws:SourceIp": "192.168.0.1"})
    assert cond({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, **{"aws:SourceIp": "192.168.0.1"})


def test_keys_are_anded_and_values_ored() -> None:
    both = {"StringEquals": {"k1": ["a", "b"], "k2": "c"}}
    assert cond(both, k1="b", k2="c")
    assert not cond(both, k1="b", k2="d")
    assert not cond({"StringEquals": {"k1": "a"}, "Bool": {"k2": "true"}}, k1="a", k2=False)


def test_an_absent_key_fails_positive_operators_and_satisfies_negated_ones() -> None:
    assert not cond({"StringEquals": {"aws:SourceVpce": "vpce-1"}})
    assert not cond({"Bool": {"aws:SecureTransport": "false"}})
    assert cond({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})
    assert cond({"StringNotLike": {"aws:SourceVpce": "vpce-*"}})
    # so a bucket's "deny outside the endpoint" applies to a request that names no endpoint
    bucket = doc(deny("s3:*", Principal="*", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}))
    assert not judge(req("s3:GetObject"), doc(allow("s3:*")), resource_policy=bucket).allowed
    assert judge(
        req("s3:GetObject", **{"aws:SourceVpce": "vpce-1"}), doc(allow("s3:*")), resource_policy=bucket
    ).allowed


def test_if_exists_matches_an_absent_key_only() -> None:
    assert cond({"StringEqualsIfExists": {"k": "a"}})
    assert cond({"StringEqualsIfExists": {"k": "a"}}, k="a")
    assert not cond({"StringEqualsIfExists": {"k": "a"}}, k="b")


def test_null() -> None:
    assert cond({"Null": {"k": "true"}})
    assert not cond({"Null": {"k": "true"}}, k="x")
    assert cond({"Null": {"k": "false"}}, k="x")
    assert not cond({"Null": {"k": "false"}})


def test_for_any_value_and_for_all_values() -> None:
    any_ = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "cost"]}}
    assert cond(any_, **{"aws:TagKeys": ["name", "team"]})
    assert not cond(any_, **{"aws:TagKeys": ["name"]})
    assert not cond(any_)  # absent: false
    all_ = {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]}}
    assert cond(all_, **{"aws:TagKeys": ["team", "cost"]})
    assert not cond(all_, **{"aws:TagKeys": ["team", "name"]})
    assert cond(all_)  # absent: true
    assert cond(all_, **{"aws:TagKeys": []})  # empty: true


def test_policy_variables_resolve_from_the_context() -> None:
    mine = doc(allow("s3:GetObject", "arn:aws:s3:::data-bucket/${aws:PrincipalTag/team}/*"))
    assert judge(req("s3:GetObject", **{"aws:PrincipalTag/team": "a"}), mine).allowed
    assert not judge(req("s3:GetObject", **{"aws:PrincipalTag/team": "z"}), mine).allowed
    assert not judge(req("s3:GetObject"), mine).allowed  # unresolved: matches nothing
    assert cond(
        {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
        **{"s3:prefix": "home/ann/x", "aws:username": "ann"},
    )
    assert not cond(
        {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
        **{"s3:prefix": "home/bob/x", "aws:username": "ann"},
    )


def test_an_unimplemented_operator_raises_never_passes() -> None:
    with pytest.raises(IamSimError, match="DateGreaterThan"):
        cond({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})
    with pytest.raises(IamSimError, match="BinaryEquals"):
        judge(
            req("s3:GetObject"),
            doc(allow("s3:*")),
            resource_policy=doc(deny("s3:*", Principal="*", Condition={"BinaryEquals": {"k": "QQ=="}})),
        )


# --- the requests of boto3 calls -------------------------------------------------------------------------


def actions_of(operation: str, params: dict[str, Any], service: str = "s3") -> list[tuple[str, str]]:
    requests = implied(
        service,
        operation,
        params,
        principal_arn=ROLE,
        context={},
        key_arn_of_bucket={BUCKET: KEY, "src": KEY},
    )
    return [(r.action, r.resource) for r in requests]


def test_implied_requests_of_s3_calls() -> None:
    obj = s3_resource(BUCKET, "k")
    assert actions_of("put_object", {"Bucket": BUCKET, "Key": "k"}) == [
        ("s3:PutObject", obj),
        ("kms:GenerateDataKey", KEY),
    ]
    assert actions_of("GetObject", {"Bucket": BUCKET, "Key": "k"}) == [
        ("s3:GetObject", obj),
        ("kms:Decrypt", KEY),
    ]
    assert actions_of("head_object", {"Bucket": BUCKET, "Key": "k", "VersionId": "v"}) == [
        ("s3:GetObjectVersion", obj),
        ("kms:Decrypt", KEY),
    ]
    assert actions_of("copy_object", {"Bucket": BUCKET, "Key": "k", "CopySource": "src/s?versionId=1"}) == [
        ("s3:PutObject", obj),
        ("s3:GetObjectVersion", "arn:aws:s3:::src/s"),
        ("kms:Decrypt", KEY),
        ("kms:GenerateDataKey", KEY),
    ]
    assert actions_of("upload_part", {"Bucket": BUCKET, "Key": "k", "UploadId": "u", "PartNumber": 1})[0] == (
        "s3:PutObject",
        obj,
    )
    assert actions_of("abort_multipart_upload", {"Bucket": BUCKET, "Key": "k", "UploadId": "u"}) == [
        ("s3:AbortMultipartUpload", obj)
    ]
    assert actions_of("delete_object", {"Bucket": BUCKET, "Key": "k", "VersionId": "v"}) == [
        ("s3:DeleteObjectVersion", obj)
    ]
    assert actions_of("get_object_attributes", {"Bucket": BUCKET, "Key": "k", "VersionId": "v"}) == [
        ("s3:GetObjectVersionAttributes", obj)
    ]
    assert actions_of("list_object_versions", {"Bucket": BUCKET, "Prefix": "p/"}) == [
        ("s3:ListBucketVersions", s3_resource(BUCKET))
    ]
    assert actions_of(
        "delete_object", {"Bucket": BUCKET, "Key": "k", "VersionId": "v", "BypassGovernanceRetention": True}
    ) == [
        ("s3:DeleteObjectVersion", obj),
        ("s3:BypassGovernanceRetention", obj),
    ]
    deletes = {"Objects": [{"Key": "k"}, {"Key": "j", "VersionId": "v"}]}
    assert actions_of("delete_objects", {"Bucket": BUCKET, "Delete": deletes}) == [
        ("s3:DeleteObject", obj),
        ("s3:DeleteObjectVersion", s3_resource(BUCKET, "j")),
    ]
    assert actions_of("sign", {"KeyId": KEY}, "kms") == [("kms:Sign", KEY)]
    assert actions_of("get_caller_identity", {}, "sts") == [("sts:GetCallerIdentity", "*")]


def test_implied_context_of_s3_calls() -> None:
    (listing,) = implied(
        "s3",
        "list_objects_v2",
        {"Bucket": BUCKET, "Prefix": "p/"},
        principal_arn=ROLE,
        context={"c": "1"},
        key_arn_of_bucket={},
    )
    assert listing.context == {"c": "1", "s3:prefix": "p/"}
    put, generate = implied(
        "s3",
        "put_object",
        {"Bucket": BUCKET, "Key": "k", "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY},
        principal_arn=ROLE,
        context={"aws:SourceVpce": "vpce-1"},
        key_arn_of_bucket={},
    )
    assert put.context["s3:x-amz-server-side-encryption"] == "aws:kms"
    assert put.context["s3:x-amz-server-side-encryption-aws-kms-key-id"] == KEY
    assert generate.context == {"kms:ViaService": "s3.eu-west-2.amazonaws.com"}  # S3 calls KMS, not the VPC


def test_calls_it_cannot_map_raise() -> None:
    with pytest.raises(IamSimError, match="ec2"):
        implied("ec2", "describe_vpcs", {}, principal_arn=ROLE, context={}, key_arn_of_bucket={})
    with pytest.raises(IamSimError, match="not a key ARN"):
        implied("kms", "sign", {"KeyId": "alias/x"}, principal_arn=ROLE, context={}, key_arn_of_bucket={})


# --- the dev plan's roles -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dev() -> PlanPolicies:
    return PlanPolicies(stack_plan("dev"))


def verdicts(dev: PlanPolicies, duty: str, service: str, op: str, params: dict[str, Any]) -> list[Decision]:
    return [d for _, d in dev.check_call(duty, service, op, params, context=dev.s3_context())]


def models_put(dev: PlanPolicies, key: str) -> dict[str, Any]:
    return {
        "Bucket": dev.bucket("sr-dev-models-bucket"),
        "Key": key,
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": dev.key("keys-models"),
    }


def test_training_may_write_candidates_and_sign(dev: PlanPolicies) -> None:
    decisions = verdicts(dev, "training", "s3", "put_object", models_put(dev, "candidates/x"))
    assert len(decisions) == 2 and all(d.allowed for d in decisions), decisions
    (sign,) = verdicts(dev, "training", "kms", "sign", {"KeyId": dev.key("keys-signing")})
    assert sign.allowed, sign


def test_the_bucket_policy_requires_the_endpoint_tls_and_the_models_key(dev: PlanPolicies) -> None:
    role = dev.role("training")
    params = models_put(dev, "candidates/x")
    for context, sid in (
        ({**dev.s3_context(), "aws:SourceVpce": "vpce-other"}, "DenyOutsideVpcEndpoint"),
        ({**dev.s3_context(), "aws:SecureTransport": False}, "DenyInsecureTransport"),
        ({**dev.s3_context(), "s3:TlsVersion": "1.1"}, "DenyOutdatedTls"),
    ):
        put = implied(
            "s3", "put_object", params, principal_arn=role.arn, context=context, key_arn_of_bucket={}
        )[0]
        assert f"resource:{sid}" in dev.decide(role, put).matched
    wrong_key = {**params, "SSEKMSKeyId": dev.key("keys-data")}
    put = implied(
        "s3", "put_object", wrong_key, principal_arn=role.arn, context=dev.s3_context(), key_arn_of_bucket={}
    )[0]
    assert dev.decide(role, put).matched == ["resource:DenyWrongKmsKey"]


def test_training_may_not_write_production(dev: PlanPolicies) -> None:
    put, _ = verdicts(dev, "training", "s3", "put_object", models_put(dev, "production/credit-pd/x"))
    assert not put.allowed


def test_the_model_approver_may_promote_but_not_sign(dev: PlanPolicies) -> None:
    decisions = verdicts(dev, "model-approver", "s3", "put_object", models_put(dev, "production/credit-pd/x"))
    assert all(d.allowed for d in decisions), decisions
    (sign,) = verdicts(dev, "model-approver", "kms", "sign", {"KeyId": dev.key("keys-signing")})
    assert not sign.allowed and sign.matched == ["resource:NoOtherSigners"]


@pytest.mark.parametrize(
    "duty", ["training", "model-approver", "deployer", "data-scientist", "studio-execution", "auditor"]
)
@pytest.mark.parametrize(
    "bucket", ["sr-dev-models-bucket", "sr-dev-data-credit-risk-bucket", "sr-dev-audit-bucket"]
)
def test_no_role_may_delete_an_object_version(dev: PlanPolicies, duty: str, bucket: str) -> None:
    params = {"Bucket": dev.bucket(bucket), "Key": "production/credit-pd/x", "VersionId": "v1"}
    (delete,) = verdicts(dev, duty, "s3", "delete_object", params)
    assert not delete.allowed, delete


@pytest.mark.parametrize("bucket", ["sr-dev-data-credit-risk-bucket", "sr-dev-data-payments-bucket"])
def test_the_auditor_may_not_read_data(dev: PlanPolicies, bucket: str) -> None:
    get = verdicts(dev, "auditor", "s3", "get_object", {"Bucket": dev.bucket(bucket), "Key": "curated/x"})
    assert not get[0].allowed, get


def test_training_lists_only_under_its_prefix(dev: PlanPolicies) -> None:
    models = dev.bucket("sr-dev-models-bucket")
    (listing,) = verdicts(
        dev, "training", "s3", "list_objects_v2", {"Bucket": models, "Prefix": "candidates/m/"}
    )
    assert listing.allowed, listing
    (everything,) = verdicts(dev, "training", "s3", "list_objects_v2", {"Bucket": models})
    assert not everything.allowed  # no Prefix: s3:prefix absent, StringLike does not match


def test_a_policy_variable_default_applies_when_the_key_is_absent() -> None:
    team = doc(allow("s3:GetObject", "arn:aws:s3:::data-bucket/${aws:PrincipalTag/team, 'a'}/*"))
    assert judge(req("s3:GetObject"), team).allowed
    assert not judge(req("s3:GetObject", **{"aws:PrincipalTag/team": "z"}), team).allowed


def test_calls_recorded_against_the_materialised_plan_are_judged_with_real_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How a vault command's test uses it: make the calls through an Aws on the plan materialised in moto
    (moto does not enforce IAM), then judge ``aws.calls`` for the command's role with moto's real names."""
    from live_support import moto_context, new_aws

    from strongroom.live.materialise import materialise

    # moto judges object requests by the bucket policy without its conditions: moto_context applies
    # strongroom.live.motofix, which makes that answer neutral; the judging is policies.iamsim's job here.
    plan = stack_plan("dev")
    with moto_context(monkeypatch):
        env = materialise(plan, new_aws())
        aws = new_aws()
        policies = PlanPolicies(plan, real=env.real)
        models, key = policies.bucket("sr-dev-models-bucket"), policies.key("keys-models")
        put: dict[str, Any] = {
            "Bucket": models,
            "Key": "candidates/m/a",
            "Body": b"x",
            "ChecksumAlgorithm": "SHA256",
        }
        aws.call("s3", "put_object", **put, ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
        aws.call("s3", "head_object", Bucket=models, Key="candidates/m/a", ChecksumMode="ENABLED")
        aws.call("kms", "describe_key", KeyId="alias/strongroom-dev-signing")
        aws.call("sts", "get_caller_identity")
        assert aws.calls[0].params["Key"] == "candidates/m/a" and "Body" not in aws.calls[0].params
        judged = policies.judge_calls("training", aws.calls, context=policies.s3_context())
        assert [r.action for _, r, _ in judged] == [
            "s3:PutObject",
            "kms:GenerateDataKey",
            "s3:GetObject",
            "kms:Decrypt",
            "kms:DescribeKey",
            "sts:GetCallerIdentity",
        ]
        assert [f"{r.action}: {d.reason}" for _, r, d in judged if not d.allowed] == []
        aws.call("s3", "put_object", Bucket=models, Key="production/m/a", Body=b"x")
        (_, denied, decision), _ = policies.judge_calls(
            "training", aws.calls[-1:], context=policies.s3_context()
        )
        assert denied.action == "s3:PutObject" and not decision.allowed
