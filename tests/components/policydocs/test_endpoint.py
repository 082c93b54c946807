"""components.policydocs.endpoint: the endpoint catalogue and endpoint policy documents."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.components.policydocs.endpoint import (
    DEFAULT_INTERFACE_ENDPOINTS,
    ECR_PULL_ACTIONS,
    INTERFACE_ENDPOINTS,
    OPTIONAL_INTERFACE_ENDPOINTS,
    aws_owned_s3_read_arns,
    bucket_prefix_arn,
    interface_endpoint_policy,
    interface_service_name,
    s3_gateway_endpoint_policy,
    s3_gateway_service_name,
)
from strongroom.policies import iamdb

ACCOUNT = "123456789012"
REGION = "eu-west-2"


def statements(text: str) -> list[dict[str, Any]]:
    document = json.loads(text)
    assert document["Version"] == "2012-10-17"
    result: list[dict[str, Any]] = document["Statement"]
    return result


def test_catalogue_is_the_sagemaker_without_internet_set() -> None:
    assert set(DEFAULT_INTERFACE_ENDPOINTS) == {
        "sagemaker.api",
        "sagemaker.runtime",
        "sts",
        "logs",
        "monitoring",
        "kms",
        "ecr.api",
        "ecr.dkr",
        "ssm",
    }
    assert set(OPTIONAL_INTERFACE_ENDPOINTS) == {
        "notebook",
        "codeartifact.api",
        "codeartifact.repositories",
        "servicecatalog",
        "secretsmanager",
    }
    assert len(set(INTERFACE_ENDPOINTS)) == len(INTERFACE_ENDPOINTS) == 14


@pytest.mark.parametrize(
    ("endpoint", "service"),
    [
        ("sagemaker.api", "com.amazonaws.eu-west-2.sagemaker.api"),
        ("ecr.dkr", "com.amazonaws.eu-west-2.ecr.dkr"),
        ("codeartifact.repositories", "com.amazonaws.eu-west-2.codeartifact.repositories"),
        ("notebook", "aws.sagemaker.eu-west-2.notebook"),
    ],
)
def test_service_names(endpoint: str, service: str) -> None:
    assert interface_service_name(endpoint, REGION) == service


def test_unknown_endpoint_or_bad_region_is_refused() -> None:
    with pytest.raises(ValueError, match=r"interface endpoint 'ec2' is unknown; accepted: sagemaker\.api"):
        interface_service_name("ec2", REGION)
    with pytest.raises(ValueError, match="not an AWS region name"):
        interface_service_name("sts", "London")
    assert s3_gateway_service_name("us-gov-west-1") == "com.amazonaws.us-gov-west-1.s3"


def test_interface_policy_admits_only_principals_of_the_account_on_its_resources() -> None:
    (statement,) = statements(interface_endpoint_policy(ACCOUNT))
    assert statement["Effect"] == "Allow"
    assert statement["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}
    }


@pytest.mark.parametrize("endpoint", [e for e in INTERFACE_ENDPOINTS if e != "notebook"])
def test_every_service_endpoint_confines_the_resource_account(endpoint: str) -> None:
    (statement,) = statements(interface_endpoint_policy(ACCOUNT, endpoint, REGION))
    assert statement["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}
    }
    assert statement["Action"] == "*" and statement["Resource"] == "*"


def test_notebook_endpoint_keeps_the_principal_condition_only() -> None:
    (statement,) = statements(interface_endpoint_policy(ACCOUNT, "notebook", REGION))
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}


def test_ecr_pulls_from_named_aws_image_registries_only() -> None:
    image_account = "763104351884"
    own, pulls = statements(interface_endpoint_policy(ACCOUNT, "ecr.dkr", REGION, "aws", [image_account]))
    assert own["Condition"]["StringEquals"]["aws:ResourceAccount"] == ACCOUNT
    assert pulls["Action"] == list(ECR_PULL_ACTIONS) and all(iamdb.known(a) for a in ECR_PULL_ACTIONS)
    assert pulls["Resource"] == [f"arn:aws:ecr:{REGION}:{image_account}:repository/*"]
    assert pulls["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": [image_account]}
    }
    with pytest.raises(ValueError, match=r"only to the ecr\.api and ecr\.dkr"):
        interface_endpoint_policy(ACCOUNT, "sts", REGION, "aws", [image_account])
    with pytest.raises(ValueError, match="not a 12-digit"):
        interface_endpoint_policy(ACCOUNT, "ecr.api", REGION, "aws", ["*"])


def test_interface_policy_refuses_a_bad_account() -> None:
    with pytest.raises(ValueError, match="'12345' is not a 12-digit AWS account id"):
        interface_endpoint_policy("12345")


def test_s3_policy_scopes_environment_buckets_and_objects_to_the_account() -> None:
    arn = bucket_prefix_arn("strongroom-dev")
    own, aws_owned = statements(s3_gateway_endpoint_policy(ACCOUNT, REGION, [arn, "arn:aws:s3:::bank-x"]))
    assert own["Resource"] == [
        "arn:aws:s3:::strongroom-dev-*",
        "arn:aws:s3:::strongroom-dev-*/*",
        "arn:aws:s3:::bank-x",
        "arn:aws:s3:::bank-x/*",
    ]
    # Principals of the account, and buckets of the account: a bucket named strongroom-dev-x in another
    # account is out of reach even though its name matches the pattern.
    assert own["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}
    }
    assert aws_owned["Action"] == "s3:GetObject"
    assert "Condition" not in aws_owned
    assert aws_owned["Resource"] == aws_owned_s3_read_arns(REGION)
    assert aws_owned["Resource"] == ["arn:aws:s3:::prod-eu-west-2-starport-layer-bucket/*"]


def test_s3_policy_never_grants_every_bucket() -> None:
    for statement in statements(s3_gateway_endpoint_policy(ACCOUNT, REGION, ["arn:aws:s3:::a-*"])):
        resources = statement["Resource"]
        assert "*" not in resources and "arn:aws:s3:::*" not in resources, statement


def test_s3_policy_uses_the_partition() -> None:
    own, aws_owned = statements(
        s3_gateway_endpoint_policy(
            ACCOUNT, "us-gov-west-1", [bucket_prefix_arn("bank", "aws-us-gov")], "aws-us-gov"
        )
    )
    assert own["Resource"][0] == "arn:aws-us-gov:s3:::bank-*"
    assert aws_owned["Resource"] == ["arn:aws-us-gov:s3:::prod-us-gov-west-1-starport-layer-bucket/*"]


@pytest.mark.parametrize(
    ("arns", "fragment"),
    [
        ([], "bucket_arns is empty"),
        (["arn:aws:s3:::*"], "not a bucket ARN"),
        (["arn:aws:s3:::-*"], "not a bucket ARN"),
        (["arn:aws:s3:::bucket/key"], "not a bucket ARN"),
        (["arn:aws-cn:s3:::bucket"], "not a bucket ARN"),
        (["bucket"], "not a bucket ARN"),
    ],
)
def test_s3_policy_refuses_bad_bucket_arns(arns: list[str], fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        s3_gateway_endpoint_policy(ACCOUNT, REGION, arns)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("prefix", ["", "ab", "Bank", "bank_", "-bank", "bank-", "x" * 43])
def test_bucket_prefix_must_be_a_valid_bucket_name_start(prefix: str) -> None:
    with pytest.raises(ValueError, match="bucket name prefix"):
        bucket_prefix_arn(prefix)


def test_bad_partition_is_refused() -> None:
    with pytest.raises(ValueError, match="partition 'aws-iso' is not one of"):
        aws_owned_s3_read_arns(REGION, "aws-iso")
