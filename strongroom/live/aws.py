"""boto3 for the live audit: one session, clients with bounded retries, every call recorded.

Every AWS call of the audit goes through :meth:`Aws.call` or :meth:`Aws.pages`, so that

* each call is recorded with the IAM action that authorises it (:attr:`Aws.calls`): a test proves the set
  is a subset of the auditor role's grants;
* errors become something a person can act on: no credentials (exit 2), access denied on one action
  (named, with the caller), throttling after the retries (named), a missing configuration read as absent;
* reads run in parallel with bounded concurrency (:meth:`Aws.map`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
import botocore.config
import botocore.exceptions

from strongroom.errors import UsageError

T = TypeVar("T")
R = TypeVar("R")

#: IAM service prefixes that differ from the botocore signing name.
_IAM_PREFIX = {"tagging": "tag", "monitoring": "cloudwatch"}

#: S3 operations whose IAM action is not ``s3:<Operation>`` (AWS's "Actions, resources and condition
#: keys for Amazon S3"; the subset test checks each name against the IAM action database).
_S3_ACTIONS = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListObjectsV2": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "GetObjectAttributes": "s3:GetObjectAttributes",
    # object writes and multipart uploads (policies.iamsim.implied adds the version and KMS requests)
    "CopyObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "ListParts": "s3:ListMultipartUploadParts",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "DeleteObjects": "s3:DeleteObject",
    "ListObjects": "s3:ListBucket",
}

#: Parameters not kept in :attr:`Call.params`: payloads (an artifact's bytes) authorise nothing.
_UNRECORDED = frozenset({"Body", "Message", "Plaintext", "CiphertextBlob", "Signature"})

#: Error codes that mean "the caller may not": reported with the action and the caller.
ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthFailure"}
)
#: Error codes that mean "slow down": retried by botocore, then reported.
THROTTLED = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown"}
)


def iam_action(signing_name: str, operation: str) -> str:
    """The IAM action that authorises ``operation`` (botocore's PascalCase name) of a service."""
    prefix = _IAM_PREFIX.get(signing_name, signing_name)
    if prefix == "s3" and operation in _S3_ACTIONS:
        return _S3_ACTIONS[operation]
    return f"{prefix}:{operation}"


@dataclass(frozen=True)
class Call:
    """One AWS API call: the service, the operation, its IAM action, the region and its parameters (what
    it was made on: bucket, key, version, key ID; payloads left out)."""

    service: str
    operation: str
    action: str
    region: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """The call's parameters (for :func:`policies.iamsim.implied`: the resources and condition keys)."""


class LiveError(Exception):
    """A read that failed in a way the audit reports (access denied, throttled): part of the environment
    could not be judged. ``action`` names the IAM action, ``message`` says what to do."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(message)
        self.action = action
        self.message = message


@dataclass
class Aws:
    """The AWS account the audit reads: a boto3 session for one region (``--region``, ``--profile``,
    ``--endpoint-url``), clients per (service, region), every call recorded in :attr:`calls`."""

    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 8
    concurrency: int = 8
    calls: list[Call] = field(default_factory=list)
    _session: Any = None
    _clients: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _caller: dict[str, str] | None = None
    _memo: dict[Hashable, Any] = field(default_factory=dict)
    role_hint: str = (
        "run the audit as the stack's auditor role (output auditor_role_arn), whose policy grants it"
    )
    """What to do when a call is denied: which of the stack's roles to run as."""

    def __post_init__(self) -> None:
        if not self.endpoint_url:  # as boto3 reads it, so the readers know they talk to an emulator
            self.endpoint_url = os.environ.get("AWS_ENDPOINT_URL") or None
        try:
            self._session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
        except botocore.exceptions.ProfileNotFound as exc:
            raise UsageError(
                f"--profile {self.profile!r}: no such profile in the AWS config files ({exc}); accepted: a "
                "profile named in ~/.aws/config or ~/.aws/credentials"
            ) from None

    def client(self, service: str, region: str | None = None, *, retry: bool = True) -> Any:
        """The client for ``service`` in ``region`` (default: the audit's region), made once. It retries
        with backoff (:attr:`max_attempts`); with ``retry=False``, another client that sends each request
        once."""
        key: tuple[str, ...] = (service, region or self.region)
        # total_max_attempts counts the first request (botocore's max_attempts would add one to it)
        retries: Any = {"mode": "standard", "total_max_attempts": self.max_attempts}
        if not retry:
            key, retries = (*key, "once"), {"mode": "standard", "total_max_attempts": 1}
        with self._lock:
            if key not in self._clients:
                config = botocore.config.Config(
                    retries=retries,
                    max_pool_connections=max(10, self.concurrency),
                    user_agent_extra="strongroom-audit",
                )
                self._clients[key] = self._session.client(
                    service, region_name=key[1], endpoint_url=self.endpoint_url, config=config
                )
            return self._clients[key]

    def _record(self, client: Any, operation: str, params: Mapping[str, Any]) -> str:
        model = client.meta.service_model
        name = model.operation_model(_pascal(client, operation)).name
        action = iam_action(model.signing_name, name)
        kept = {k: v for k, v in params.items() if k not in _UNRECORDED}
        with self._lock:
            self.calls.append(Call(model.service_name, name, action, client.meta.region_name, kept))
        return action

    def call(
        self,
        service: str,
        operation: str,
        *,
        missing: Sequence[str] = (),
        region: str | None = None,
        **params: Any,
    ) -> dict[str, Any] | None:
        """``client.<operation>(**params)``, recorded. None when the error code is one of ``missing`` (the
        configuration does not exist: no bucket policy, no public access block, ...).

        A server error (5xx) among ``missing`` is an emulator's way of saying it lacks the operation (only
        an ``--endpoint-url``'s answer is read so): that call is made once, not retried with backoff (the
        retries of a standard client waited 4 to 9 s of every audit of the sandbox for its answer)."""
        probe = any(code.startswith("5") for code in missing)
        client = self.client(service, region, retry=not probe)
        action = self._record(client, operation, params)
        try:
            result: dict[str, Any] = getattr(client, operation)(**params)
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in missing:
                return None
            raise self._translate(action, code, exc) from None
        except botocore.exceptions.NoCredentialsError:
            raise no_credentials(self.profile) from None
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as exc:
            raise _unreachable(exc, action, self.endpoint_url, client.meta.region_name) from None
        return result

    def pages(
        self, service: str, operation: str, key: str, *, region: str | None = None, **params: Any
    ) -> list[Any]:
        """Every item under ``key`` of every page of a paginated ``operation``, recorded once per page."""
        client = self.client(service, region)
        if not client.can_paginate(operation):
            result = self.call(service, operation, region=region, **params) or {}
            return list(result.get(key, []))
        action = self._record(client, operation, params)
        items: list[Any] = []
        try:
            for number, page in enumerate(client.get_paginator(operation).paginate(**params)):
                if number:
                    self._record(client, operation, params)
                items.extend(page.get(key, []))
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            raise self._translate(action, code, exc) from None
        except botocore.exceptions.NoCredentialsError:
            raise no_credentials(self.profile) from None
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as exc:
            raise _unreachable(exc, action, self.endpoint_url, client.meta.region_name) from None
        return items

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``fn`` over ``items`` on at most :attr:`concurrency` threads, results in order."""
        listed = list(items)
        if len(listed) <= 1 or self.concurrency <= 1:
            yield from map(fn, listed)
            return
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(listed))) as pool:
            yield from pool.map(fn, listed)

    def memo(self, key: Hashable, compute: Callable[[], R]) -> R:
        """``compute()`` once per ``key`` for this account session: account-wide discovery (every bucket's
        tags) that the audit of each stack of ``--all-stacks`` would otherwise read again."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            return self._memo.setdefault(key, value)  # type: ignore[no-any-return]

    def caller(self) -> dict[str, str]:
        """``sts:GetCallerIdentity``: Account, Arn, UserId (asked once)."""
        if self._caller is None:
            result = self.call("sts", "get_caller_identity") or {}
            self._caller = {k: str(result.get(k, "")) for k in ("Account", "Arn", "UserId")}
        return self._caller

    @property
    def partition(self) -> str:
        return self._session.get_partition_for_region(self.region) or "aws"

    def _translate(self, action: str, code: str, exc: botocore.exceptions.ClientError) -> Exception:
        text = str(exc.response.get("Error", {}).get("Message", "")) or code
        if code in ACCESS_DENIED:
            who = self._caller["Arn"] if self._caller else "the caller"
            return LiveError(
                action,
                f"access denied: {who} may not call {action} ({text}); {self.role_hint}",
            )
        if code in THROTTLED:
            return LiveError(
                action,
                f"throttled: {action} was still refused after {self.max_attempts} attempts with backoff "
                f"({code}); run the audit again later or with a lower --concurrency",
            )
        return LiveError(action, f"{action} failed: {code}: {text}")


class Unreachable(UsageError):
    """The endpoint of a region could not be reached (no route, no DNS, a timeout): from inside a VPC
    without internet, a region whose S3 the VPC has no endpoint for. A usage error (exit 2) unless the
    caller can go on without that region (the vault's replica reads)."""


def _unreachable(exc: Exception, action: str, endpoint_url: str | None, region: str) -> Unreachable:
    where = getattr(exc, "kwargs", {}).get("endpoint_url", endpoint_url)
    return Unreachable(
        f"cannot reach AWS at {where!r} for {action} (region {region}); accepted: --endpoint-url of a "
        "running endpoint (for example `strongroom sandbox`), or no --endpoint-url to reach AWS itself, from "
        "a host with a route to that region's endpoint"
    )


def no_credentials(profile: str | None) -> UsageError:
    where = f"profile {profile!r}" if profile else "the environment, ~/.aws or an instance role"
    return UsageError(
        f"no AWS credentials found in {where}; accepted: --profile NAME, AWS_PROFILE, or AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY of a principal that may assume the stack's auditor role"
    )


def _pascal(client: Any, operation: str) -> str:
    """botocore's operation name for a client method name (``get_bucket_policy`` -> ``GetBucketPolicy``)."""
    mapping: dict[str, str] = client.meta.method_to_api_mapping
    return mapping.get(operation, operation)
