"""Shared by the vault tests of promote, rollback and snapshot.

moto 5.2 evaluates a bucket policy on every object request (``FakeBucket.get_permission``) without the
request's context and with only ``StringEquals`` implemented: every other condition operator is taken as
matching, so each conditional Deny of the stack's bucket policies (``DenyInsecureTransport``,
``DenyOutsideVpcEndpoint``, ...) denies every GetObject and PutObject. In AWS those statements do not
match a TLS request through the stack's S3 VPC endpoint, which is where the vault commands run. The tests
therefore let moto skip bucket policies on object requests (:func:`inside_the_vpc`); the role test
evaluates the bucket policies with that request context instead.
"""

from __future__ import annotations

from typing import Any

import pytest


def inside_the_vpc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Object requests are not judged by moto's partial bucket-policy evaluation (see the module doc)."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def neutral(self: Any, action: str, resource: str) -> Any:
        return PermissionResult.NEUTRAL

    monkeypatch.setattr(FakeBucket, "get_permission", neutral)
