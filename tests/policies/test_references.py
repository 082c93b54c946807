"""policies.references: which KMS key or bucket a property names, and whether the plan creates it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from controls_support import TRUSTED_ACCOUNTS, doc, res

from strongroom.policies.perimeter import CannotJudge
from strongroom.policies.props import UNKNOWN, Context, Index, Resource, UnknownValue
from strongroom.policies.references import (
    ALIAS,
    BUCKET,
    KEY,
    REPLICA_KEY,
    aws_managed_key,
    bucket_name,
    bucket_of_plan,
    depends_on,
    foreign_account,
    key_findings,
    key_of_plan,
    key_problem,
    location_findings,
    policy_exposure,
)

IN = "123456789012"
OUT = "999999999999"
KEY_ARN = f"arn:aws:kms:eu-west-2:{IN}:key/1111-2222"
OTHER_IN_KEY = f"arn:aws:kms:eu-west-2:{IN}:key/not-in-plan"
OUT_KEY = f"arn:aws:kms:eu-west-2:{OUT}:key/3333-4444"
PERIMETER = Context(stack="dev", trusted_accounts=TRUSTED_ACCOUNTS)

key = res(KEY, "key", arn=KEY_ARN, keyId="1111-2222")
preview_key = res(KEY, "pkey", arn=UNKNOWN)
replica = res(REPLICA_KEY, "replica", arn=f"arn:aws:kms:eu-west-1:{IN}:key/mrk-1")


def alias_of(resource: str, name: str, target: Any, *deps: Resource) -> Resource:
    """An alias (its `name` property clashes with `res`'s parameter)."""
    plain = res(ALIAS, resource, deps={"targetKeyId": list(deps)} if deps else None, targetKeyId=target)
    return replace(plain, props={**plain.props, "name": name})


alias = alias_of("alias", "alias/data", UNKNOWN, preview_key)
alias_by_value = alias_of("alias2", "alias/logs", "1111-2222")
foreign_alias = alias_of("foreign", "alias/theirs", OTHER_IN_KEY)
bucket = res(BUCKET, "data", bucket="team-data", arn="arn:aws:s3:::team-data")
unnamed_bucket = res(BUCKET, "scratch")
PLAN = [key, preview_key, replica, alias, alias_by_value, foreign_alias, bucket, unnamed_bucket]


def index(*resources: Resource, context: Context = PERIMETER) -> Index:
    return Index(resources or PLAN, context)


def owner(prop: str, value: Any, *deps: Resource) -> Resource:
    return res(
        "aws:lambda/function:Function", "fn", deps={prop: list(deps)} if deps else None, **{prop: value}
    )


# -- keys ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["alias/aws/s3", "aws/s3", f"arn:aws:kms:eu-west-2:{IN}:alias/aws/rds"],
)
def test_aws_managed_keys_are_recognised_by_alias(value: str) -> None:
    assert aws_managed_key(value)


@pytest.mark.parametrize("value", ["alias/data", KEY_ARN, None, UNKNOWN])
def test_customer_keys_are_not_aws_managed(value: Any) -> None:
    assert not aws_managed_key(value)


@pytest.mark.parametrize(
    "value",
    [KEY_ARN, "1111-2222", replica.props["arn"], "alias/data", "alias/logs"],
    ids=["key-arn", "key-id", "replica-arn", "alias-by-dependency", "alias-by-value"],
)
def test_a_known_value_naming_a_key_of_the_plan_or_its_alias_is_of_the_plan(value: str) -> None:
    assert key_of_plan(owner("kmsKeyArn", value), "kmsKeyArn", value, index())


@pytest.mark.parametrize("value", [OTHER_IN_KEY, "alias/theirs", "alias/unknown", 42])
def test_a_known_value_naming_no_key_of_the_plan_is_not(value: Any) -> None:
    assert not key_of_plan(owner("kmsKeyArn", value), "kmsKeyArn", value, index())


def test_a_known_value_is_judged_by_value_even_when_it_depends_on_a_plan_key() -> None:
    evasion = owner("kmsKeyArn", OTHER_IN_KEY, preview_key)  # preview_key.arn.apply(lambda _: other)
    assert not key_of_plan(evasion, "kmsKeyArn", OTHER_IN_KEY, index())


@pytest.mark.parametrize("source", [preview_key, replica, alias], ids=["key", "replica", "alias-of-plan-key"])
def test_an_unknown_value_depending_on_a_plan_key_or_its_alias_is_of_the_plan(source: Resource) -> None:
    subject = owner("encryptionConfig", {"kmsKeyArn": UNKNOWN}, source)
    assert key_of_plan(subject, "encryptionConfig.kmsKeyArn", UNKNOWN, index())


@pytest.mark.parametrize(
    "deps", [(), (foreign_alias,), (bucket,)], ids=["none", "alias-of-other-key", "bucket"]
)
def test_an_unknown_value_depending_on_no_plan_key_cannot_be_judged(deps: tuple[Resource, ...]) -> None:
    with pytest.raises(UnknownValue, match="kmsKeyArn of 'fn'"):
        key_of_plan(owner("kmsKeyArn", UNKNOWN, *deps), "kmsKeyArn", UNKNOWN, index())


def test_foreign_account_names_accounts_outside_the_perimeter_only_when_one_is_configured() -> None:
    assert foreign_account(index(), OUT_KEY) == OUT
    assert foreign_account(index(), "arn:aws:kms:eu-west-2:*:key/x") == "*"
    assert foreign_account(index(), KEY_ARN) is None
    assert foreign_account(index(), "alias/data") is None
    assert foreign_account(index(context=Context()), OUT_KEY) is None


def _problem(value: Any, *, stack_only: bool = True, context: Context = PERIMETER) -> str | None:
    return key_problem(
        owner("kmsKeyId", value), "kmsKeyId", value, index(context=context), stack_only=stack_only
    )


def test_key_problem_accepts_keys_of_the_plan() -> None:
    assert _problem(KEY_ARN) is None
    assert _problem("alias/data", stack_only=False) is None


def test_key_problem_names_aws_managed_foreign_and_unplanned_keys() -> None:
    assert (
        _problem("alias/aws/s3")
        == "uses the AWS managed key alias/aws/s3 in kmsKeyId, not a customer managed key"
    )
    assert (
        _problem(OUT_KEY) == f"uses the KMS key {OUT_KEY} in kmsKeyId, of account {OUT} outside the perimeter"
    )
    assert _problem(OTHER_IN_KEY) == (
        f"names {OTHER_IN_KEY} in kmsKeyId, which is no KMS key of this stack (a customer managed key is "
        "required)"
    )


def test_key_problem_accepts_a_key_arn_of_the_perimeter_unless_stack_only() -> None:
    assert _problem(OTHER_IN_KEY, stack_only=False) is None
    assert _problem("alias/theirs", stack_only=False) == (
        "names alias/theirs in kmsKeyId, which is no KMS key of this stack nor a key ARN (a customer managed "
        "key is required)"
    )


def test_key_problem_cannot_judge_a_central_key_without_a_perimeter() -> None:
    with pytest.raises(CannotJudge):
        _problem(OTHER_IN_KEY, stack_only=False, context=Context())


def test_key_problem_shows_the_property_as_asked() -> None:
    subject = owner("rules", [{"kmsMasterKeyId": "aws/s3"}])
    problem = key_problem(subject, "rules.0.kmsMasterKeyId", "aws/s3", index(), shown="kmsMasterKeyId")
    assert problem == "uses the AWS managed key aws/s3 in kmsMasterKeyId, not a customer managed key"


@pytest.mark.parametrize("value", [None, ""])
def test_key_findings_reports_an_unset_key_only_when_required(value: Any) -> None:
    subject = owner("kmsKeyArn", value)
    assert list(key_findings(subject, index(), "kmsKeyArn", "Lambda function")) == [
        "Lambda function 'fn' does not set kmsKeyArn"
    ]
    assert list(key_findings(subject, index(), "kmsKeyArn", "Lambda function", required=False)) == []


def test_key_findings_prefixes_the_problem_with_the_resource() -> None:
    subject = owner("kmsKeyArn", OTHER_IN_KEY, preview_key)
    assert list(key_findings(subject, index(), "kmsKeyArn", "Lambda function")) == [
        f"Lambda function 'fn' names {OTHER_IN_KEY} in kmsKeyArn, which is no KMS key of this stack (a "
        "customer managed key is required)"
    ]


# -- buckets ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("s3://team-data/capture/x", "team-data"),
        ("s3://team-data", "team-data"),
        ("arn:aws:s3:::team-data", "team-data"),
        ("arn:aws:s3:::team-data/prefix/*", "team-data"),
        ("arn:aws-cn:s3:::team-data", "team-data"),
        ("team-data", None),
        ("https://team-data.s3.amazonaws.com/x", None),
        (f"arn:aws:sns:eu-west-2:{IN}:t", None),
        (UNKNOWN, None),
    ],
)
def test_bucket_name_reads_uris_and_arns(value: Any, name: str | None) -> None:
    assert bucket_name(value) == name


@pytest.mark.parametrize(
    "value", ["team-data", "arn:aws:s3:::team-data", "arn:aws:s3:::team-data/x", "s3://team-data/y"]
)
def test_a_known_value_naming_a_bucket_of_the_plan_is_of_the_plan(value: str) -> None:
    assert bucket_of_plan(owner("bucket", value), "bucket", value, index())


@pytest.mark.parametrize("value", ["exfil", "arn:aws:s3:::exfil", "s3://exfil/x", "scratch", 7])
def test_a_known_value_naming_no_bucket_of_the_plan_is_not(value: Any) -> None:
    assert not bucket_of_plan(owner("bucket", value), "bucket", value, index())


def test_a_known_bucket_is_judged_by_value_even_when_it_depends_on_an_unnamed_plan_bucket() -> None:
    evasion = owner("bucket", "s3://exfil/x", unnamed_bucket)
    assert not bucket_of_plan(evasion, "bucket", "s3://exfil/x", index())


def test_an_unknown_bucket_counts_only_with_a_dependency_on_a_plan_bucket() -> None:
    assert bucket_of_plan(owner("bucket", UNKNOWN, unnamed_bucket), "bucket", UNKNOWN, index())
    with pytest.raises(UnknownValue, match="bucket of 'fn'"):
        bucket_of_plan(owner("bucket", UNKNOWN, key), "bucket", UNKNOWN, index())


def test_depends_on_lists_the_plan_resources_of_the_types_asked() -> None:
    subject = owner("config", {"a": UNKNOWN}, key, bucket)
    assert depends_on(subject, index(), "config.a", (BUCKET,)) == [bucket]
    assert depends_on(subject, index(), "other", (BUCKET,)) == []


def _locations(value: Any, *deps: Resource) -> list[str]:
    subject = owner("outputPath", value, *deps)
    return list(location_findings(subject, index(), "outputPath", "job"))


def test_location_findings() -> None:
    assert _locations("s3://team-data/out") == []
    assert _locations(None) == []
    assert _locations(UNKNOWN, bucket) == []
    assert _locations("s3://exfil/out", unnamed_bucket) == [
        "job 'fn' writes to s3://exfil (outputPath), which is no bucket of this stack"
    ]
    assert _locations("team-data") == ["job 'fn' outputPath 'team-data' is not an s3:// location"]
    with pytest.raises(UnknownValue):
        _locations(UNKNOWN)


# -- resource policies -------------------------------------------------------------------------------------


def test_policy_exposure_names_each_statement_that_reaches_outside() -> None:
    policy = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{IN}:root"},
            "Action": "s3:*",
            "Resource": "*",
        },
        {"Sid": "Them", "Effect": "Allow", "Principal": {"AWS": OUT}, "Action": "s3:*", "Resource": "*"},
    )
    subject = res("aws:ecr/repositoryPolicy:RepositoryPolicy", "rp", policy=policy)
    assert list(policy_exposure(subject, index(), "policy", "ECR repository policy")) == [
        f"ECR repository policy 'rp' statement 1 (Them) allows principal '{OUT}' of account {OUT}, outside "
        "the perimeter"
    ]


def test_policy_exposure_reports_a_document_that_is_not_a_policy_and_skips_an_absent_one() -> None:
    broken = res("aws:ecr/repositoryPolicy:RepositoryPolicy", "rp", policy="{")
    assert list(policy_exposure(broken, index(), "policy", "ECR repository policy")) == [
        "ECR repository policy 'rp' policy is not valid JSON (Expecting property name enclosed in double "
        "quotes at character 1)"
    ]
    absent = res("aws:ecr/repositoryPolicy:RepositoryPolicy", "rp")
    assert list(policy_exposure(absent, index(), "policy", "ECR repository policy")) == []
