"""Pure VPC endpoint catalogue and endpoint policy documents (no Pulumi import).

The interface endpoints a SageMaker environment without internet access needs, their AWS service names,
and the JSON policies attached to the endpoints: every statement is limited to principals of this
environment's account, and the S3 gateway endpoint reaches only this environment's buckets plus the
AWS-owned buckets the services themselves read from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "sagemaker.api",
    "sagemaker.runtime",
    "sts",
    "logs",
    "monitoring",
    "kms",
    "ecr.api",
    "ecr.dkr",
    "ssm",
)
"""Interface endpoints SageMaker needs when the VPC has no route to the internet."""

OPTIONAL_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "notebook",
    "codeartifact.api",
    "codeartifact.repositories",
    "servicecatalog",
    "secretsmanager",
)
"""Interface endpoints a stack may add: notebook/Studio UI, package installs through CodeArtifact, ..."""

INTERFACE_ENDPOINTS: tuple[str, ...] = DEFAULT_INTERFACE_ENDPOINTS + OPTIONAL_INTERFACE_ENDPOINTS
"""The closed list of interface endpoint names accepted in configuration."""

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

VERSION = "2012-10-17"


def _check_region(region: str) -> None:
    if not _REGION.match(region):
        raise ValueError(f"region {region!r} is not an AWS region name such as 'eu-west-2'")


def _check_account(account_id: str) -> None:
    if not _ACCOUNT.match(account_id):
        raise ValueError(f"account id {account_id!r} is not a 12-digit AWS account id")


def _check_partition(partition: str) -> None:
    if partition not in _PARTITIONS:
        raise ValueError(f"partition {partition!r} is not one of {', '.join(_PARTITIONS)}")


def interface_service_name(endpoint: str, region: str) -> str:
    """The AWS PrivateLink service name of an interface endpoint, e.g. ``com.amazonaws.eu-west-2.sts``.

    ``notebook`` is the SageMaker notebook/Studio endpoint, whose service name has its own form
    (``aws.sagemaker.<region>.notebook``).
    """
    if endpoint not in INTERFACE_ENDPOINTS:
        accepted = ", ".join(INTERFACE_ENDPOINTS)
        raise ValueError(f"interface endpoint {endpoint!r} is unknown; accepted: {accepted}")
    _check_region(region)
    if endpoint == "notebook":
        return f"aws.sagemaker.{region}.notebook"
    return f"com.amazonaws.{region}.{endpoint}"


def s3_gateway_service_name(region: str) -> str:
    """The service name of the S3 gateway endpoint (and of the S3 managed prefix list)."""
    _check_region(region)
    return f"com.amazonaws.{region}.s3"


def aws_owned_s3_read_arns(region: str, partition: str = "aws") -> list[str]:
    """Object ARNs of AWS-owned buckets that in-VPC workloads must read through the S3 gateway endpoint.

    ECR stores image layers in ``prod-<region>-starport-layer-bucket``; without it no SageMaker container
    image (AWS's or ours) can be pulled through the ecr.dkr endpoint.
    """
    _check_region(region)
    _check_partition(partition)
    return [f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*"]


BLOCK_ALL_DOMAINS: tuple[str, ...] = ("*",)
"""The domain list of the DNS Firewall's last rule: every domain (DNS Firewall's `*` matches any name)."""


def allowed_dns_domains(region: str) -> list[str]:
    """The domains the VPC may resolve through Route 53 Resolver DNS Firewall: the AWS service domains of
    ``region`` and nothing else.

    - ``<region>.amazonaws.com`` and ``*.<region>.amazonaws.com``: every regional service endpoint the
      environment uses (``sts.<region>...``, ``api.sagemaker.<region>...``, ``<acct>.dkr.ecr.<region>...``,
      ``<bucket>.s3.<region>...``, S3's CNAME ``s3-r-w.<region>...``). The interface endpoints' private
      hosted zones answer these same names; DNS Firewall filters a query before the private hosted zone
      answers it, so they must be on the list.
    - ``*.<region>.vpce.amazonaws.com``: the endpoint-specific names of the interface endpoints.
    - ``*.<region>.sagemaker.aws``: Studio (``<domain>.studio.<region>.sagemaker.aws``) and notebook
      instance (``<name>.notebook.<region>.sagemaker.aws``) URLs.
    - the VPC's own host names (``*.<region>.compute.internal``; ``*.ec2.internal`` in us-east-1).

    A DNS Firewall wildcard ``*.example.com`` matches subdomains at any depth but not ``example.com``
    itself, hence both forms where the apex is queried. Global names (``sts.amazonaws.com``,
    ``s3.amazonaws.com``) are not listed: nothing in the VPC can reach them anyway.
    """
    _check_region(region)
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    internal = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return [
        f"{region}.{suffix}",
        f"*.{region}.{suffix}",
        f"*.{region}.vpce.{suffix}",
        f"*.{region}.sagemaker.aws",
        internal,
        f"*.{internal}",
    ]


def bucket_prefix_arn(prefix: str, partition: str = "aws") -> str:
    """The bucket ARN pattern ``arn:aws:s3:::<prefix>-*`` for an environment's bucket name prefix."""
    _check_partition(partition)
    if not re.match(r"^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$", prefix):
        raise ValueError(
            f"bucket name prefix {prefix!r} is not valid; expected 3-42 characters of a-z, 0-9, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    return f"arn:{partition}:s3:::{prefix}-*"


def _account_condition(account_id: str) -> dict[str, Any]:
    return {"StringEquals": {"aws:PrincipalAccount": account_id}}


RESOURCE_ACCOUNT_EXEMPT_ENDPOINTS: tuple[str, ...] = ("notebook",)
"""Interface endpoints whose policy cannot confine the resource's account: the SageMaker notebook/Studio
UI endpoint carries browser sessions opened with a presigned URL, not IAM calls on resources."""

ECR_PULL_ACTIONS: tuple[str, ...] = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
"""The read-only ECR actions an image pull makes (manifest and layers)."""


def interface_endpoint_policy(
    account_id: str,
    endpoint: str | None = None,
    region: str | None = None,
    partition: str = "aws",
    aws_image_accounts: Sequence[str] = (),
) -> str:
    """Endpoint policy for an interface endpoint: any action, by principals of ``account_id``
    (``aws:PrincipalAccount``) on resources of ``account_id`` (``aws:ResourceAccount``).

    The endpoint then can be used neither with credentials from another account nor to reach another
    account's resources (a role, key, secret, log group, model or repository of the attacker's), the two
    classic exfiltration paths. As in AWS's data perimeter examples, actions without a resource
    (List*, sts:GetCallerIdentity, ecr:GetAuthorizationToken) carry the caller's account as
    ``aws:ResourceAccount``.

    Where the key cannot be used, the exceptions are explicit and narrow:

    - ``notebook`` (:data:`RESOURCE_ACCOUNT_EXEMPT_ENDPOINTS`): principal account only; the Studio and
      notebook UI is reached with a presigned URL, not with IAM calls on resources.
    - AWS-owned SSM public parameters and documents (``arn:aws:ssm:<region>::parameter/aws/*``, ARNs with
      no account) are not reachable through the ``ssm`` endpoint: nothing in the environment reads them,
      and IAM linters (parliament) cannot read an ARN without an account. A team that needs them adds a
      read-only statement on those ARNs, which SR-NET-012 accepts.
    - ``ecr.api`` / ``ecr.dkr``: image pulls (:data:`ECR_PULL_ACTIONS`, read-only) from the registries of
      ``aws_image_accounts``, SageMaker's AWS-owned pre-built image registries of the region (their
      account differs per region; none by default, so such images are pulled only by SageMaker itself,
      outside the VPC, or copied into the account's own ECR).

    ``endpoint`` None: the generic policy (both conditions, no exception).
    """
    _check_account(account_id)
    if endpoint is not None and endpoint not in INTERFACE_ENDPOINTS:
        raise ValueError(
            f"interface endpoint {endpoint!r} is unknown; accepted: {', '.join(INTERFACE_ENDPOINTS)}"
        )
    for account in aws_image_accounts:
        _check_account(account)
    if aws_image_accounts and endpoint not in ("ecr.api", "ecr.dkr"):
        raise ValueError("aws_image_accounts applies only to the ecr.api and ecr.dkr endpoints")
    if endpoint in ("ecr.api", "ecr.dkr"):
        if region is None:
            raise ValueError(f"region is required for the {endpoint} endpoint policy")
        _check_region(region)
        _check_partition(partition)
    confined = {"aws:PrincipalAccount": account_id}
    if endpoint not in RESOURCE_ACCOUNT_EXEMPT_ENDPOINTS:
        confined["aws:ResourceAccount"] = account_id
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowOnlyPrincipalsOfThisAccount"
            if endpoint in RESOURCE_ACCOUNT_EXEMPT_ENDPOINTS
            else "AllowPrincipalsOfThisAccountOnItsResources",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": confined},
        }
    ]
    if endpoint in ("ecr.api", "ecr.dkr") and aws_image_accounts and region is not None:
        accounts = sorted(set(aws_image_accounts))
        statements.append(
            {
                "Sid": "AllowImagePullsFromAwsImageRegistries",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": list(ECR_PULL_ACTIONS),
                "Resource": [f"arn:{partition}:ecr:{region}:{a}:repository/*" for a in accounts],
                "Condition": {
                    "StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": accounts}
                },
            }
        )
    return json.dumps({"Version": VERSION, "Statement": statements}, sort_keys=True)


def s3_gateway_endpoint_policy(
    account_id: str,
    region: str,
    bucket_arns: Sequence[str],
    partition: str = "aws",
) -> str:
    """Endpoint policy for the S3 gateway endpoint.

    ``bucket_arns`` are this environment's buckets: exact ARNs (``arn:aws:s3:::name``) or a name pattern
    (``arn:aws:s3:::prefix-*``, see :func:`bucket_prefix_arn`). Principals of ``account_id`` may use them
    and their objects, and only while the bucket belongs to ``account_id`` too (``aws:ResourceAccount``):
    bucket names are global, so anyone can create ``<prefix>-anything`` in their own account, and without
    the condition the name pattern would let data leave for that bucket. Objects of the AWS-owned buckets
    of :func:`aws_owned_s3_read_arns` may be read (GetObject only) without the account conditions: ECR
    hands out layer URLs pre-signed by its own account, so ``aws:PrincipalAccount`` there is AWS's, never
    ours (as AWS's ECR guide prescribes).
    Every other bucket, in any account, is unreachable from the VPC.
    """
    _check_account(account_id)
    _check_region(region)
    _check_partition(partition)
    if not bucket_arns:
        raise ValueError("bucket_arns is empty; the S3 endpoint policy needs at least one bucket ARN")
    prefix = f"arn:{partition}:s3:::"
    resources: list[str] = []
    for arn in bucket_arns:
        name = arn[len(prefix) :] if arn.startswith(prefix) else ""
        if not name or "/" in name or name in {"*", "-*"}:
            raise ValueError(
                f"bucket ARN {arn!r} is not a bucket ARN or name pattern such as '{prefix}my-bucket' "
                f"or '{prefix}my-prefix-*'"
            )
        resources.extend([arn, f"{arn}/*"])
    document = {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "AllowEnvironmentBucketsForThisAccount",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {
                    "StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}
                },
            },
            {
                "Sid": "AllowAwsOwnedServiceBucketsReadOnly",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": aws_owned_s3_read_arns(region, partition),
            },
        ],
    }
    return json.dumps(document, sort_keys=True)
