"""A small recording Pulumi mock for the KeyRing, SecureBucket and BackupVault tests.

It records every registered resource (type, name, camelCase inputs as the engine sees them, parent,
provider, protect, retainOnDelete) and answers with realistic AWS ids and ARNs and the caller-identity,
region and partition look-ups. To be replaced by the shared recording fixture of `tests/conftest.py`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

ACCOUNT = "123456789012"
REGION = "eu-west-2"


@dataclass
class Recorded:
    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    parent: str
    provider: str
    protect: bool = False
    retain_on_delete: bool = False
    outputs: dict[str, Any] = field(default_factory=dict)


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.by_name: dict[str, Recorded] = {}
        self.provider_regions: dict[str, str] = {}
        self._options: dict[str, tuple[str, str, str, bool, bool]] = {}

    def region_of(self, provider: str | None) -> str:
        """The region of the provider a resource or invoke uses (a reference is `<urn>::<id>`)."""
        if not provider:
            return REGION
        return self.provider_regions.get(provider.rsplit("::", 1)[0].rsplit("::", 1)[-1], REGION)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        region = self.region_of(args.provider)
        name = args.name
        outputs = dict(inputs)
        if args.typ == "pulumi:providers:aws":
            resource_id = _digest(name, 8)
        elif args.typ == "aws:s3/bucket:Bucket":
            resource_id = inputs.get("bucket") or f"{name}-{_digest(name, 7)}"
            outputs.update(bucket=resource_id, arn=f"arn:aws:s3:::{resource_id}", region=region)
        elif args.typ == "aws:kms/key:Key":
            resource_id = str(uuid.UUID(_digest(name, 32)))
            outputs.update(keyId=resource_id, arn=f"arn:aws:kms:{region}:{ACCOUNT}:key/{resource_id}")
        elif args.typ == "aws:kms/alias:Alias":
            resource_id = inputs["name"]
            outputs.update(arn=f"arn:aws:kms:{region}:{ACCOUNT}:{inputs['name']}")
        elif args.typ == "aws:iam/role:Role":
            resource_id = inputs.get("name") or f"{name}-{_digest(name, 7)}"
            outputs.update(name=resource_id, arn=f"arn:aws:iam::{ACCOUNT}:role/{resource_id}")
        else:
            resource_id = f"{name}-{_digest(name, 8)}"
        urn, parent, provider, protect, retain = self._options[name]
        self.by_name[name] = Recorded(
            urn=urn,
            type=args.typ,
            name=name,
            inputs=inputs,
            parent=parent,
            provider=provider,
            protect=protect,
            retain_on_delete=retain,
            outputs=outputs,
        )
        if args.typ == "pulumi:providers:aws":
            self.provider_regions[name] = inputs.get("region", REGION)
        return resource_id, outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        region = self.region_of(args.provider)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:role/deployer",
                "userId": "AROAEXAMPLE",
                "id": ACCOUNT,
            }, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region, "description": region}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "id": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            }, []
        raise AssertionError(f"unexpected invoke {args.token}")


class RecordingMonitor(MockMonitor):
    """Keeps the resource options that `Mocks.new_resource` does not see."""

    mocks: RecordingMocks

    def RegisterResource(self, request: Any) -> Any:
        self.mocks._options[request.name] = (
            self.make_urn(request.parent, request.type, request.name),
            request.parent,
            request.provider,
            bool(request.protect),
            bool(request.retainOnDelete),
        )
        return super().RegisterResource(request)


def record(build: Callable[[], Any]) -> RecordingMocks:
    """Run `build` (which creates resources) under the mocks; return what was registered."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(
        mocks, project="strongroom", stack="dev", preview=False, monitor=RecordingMonitor(mocks)
    )
    pulumi.runtime.test(build)()
    return mocks
