"""The Plan: every resource a Pulumi program registered under the offline engine.

The JSON shape (``Plan.to_dict``) is a contract other parts of Strongroom consume::

    {"project": str, "stack": str,
     "resources": [{"urn", "type", "name", "parent", "inputs", "dependencies", "propertyDependencies",
                    "outputs", "id", "custom", "provider", "protect", "retainOnDelete", "ignoreChanges",
                    "hooks", "remote"}],
     "invokes": [{"token", "args", "result", "provider", "answered", "kind"}],
     "warnings": [str]}

``inputs`` and ``outputs`` use the engine's camelCase property names. The list includes the root stack
(``pulumi:pulumi:Stack``), component resources (``custom`` false) and explicit providers
(``pulumi:providers:<pkg>``), in registration order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class PlanResource:
    """One RegisterResource (or ReadResource) call, as the engine saw it."""

    urn: str
    type: str
    name: str
    parent: str | None = None
    custom: bool = False
    provider: str | None = None
    id: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)
    """Resource hooks bound to the resource (``before_create:<name>``, ...): code run at deploy time."""
    remote: bool = False
    """A component of another language (``remote=True``: awsx, eks, ...), built by its plugin: offline its
    children are never registered, so nothing inside it is judged."""

    @property
    def is_component(self) -> bool:
        """A component resource (not custom, not a provider, not the root stack)."""
        return not self.custom and self.type != STACK_TYPE and not self.type.startswith("pulumi:providers:")

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "inputs": self.inputs,
            "dependencies": list(self.dependencies),
            "propertyDependencies": {k: list(v) for k, v in self.property_dependencies.items()},
            "outputs": self.outputs,
            "id": self.id,
            "custom": self.custom,
            "provider": self.provider,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "ignoreChanges": list(self.ignore_changes),
            "hooks": list(self.hooks),
            "remote": self.remote,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanResource:
        return cls(
            urn=data["urn"],
            type=data["type"],
            name=data["name"],
            parent=data.get("parent"),
            custom=bool(data.get("custom", False)),
            provider=data.get("provider"),
            id=data.get("id"),
            inputs=dict(data.get("inputs") or {}),
            outputs=dict(data.get("outputs") or {}),
            dependencies=list(data.get("dependencies") or []),
            property_dependencies={k: list(v) for k, v in (data.get("propertyDependencies") or {}).items()},
            protect=bool(data.get("protect", False)),
            retain_on_delete=bool(data.get("retainOnDelete", False)),
            ignore_changes=list(data.get("ignoreChanges") or []),
            hooks=list(data.get("hooks") or []),
            remote=bool(data.get("remote", False)),
        )


@dataclass
class PlanInvoke:
    """One provider function call (for example ``aws.get_region()``) and the mock result it got."""

    token: str
    args: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    provider: str | None = None
    answered: bool = True
    """False when the engine had no offline answer (every field of the result is unknown)."""
    kind: str = ""
    """``computed`` (a pure function, computed as the provider does), ``faked`` (a lookup of the real
    account answered with a plausible fake) or ``unknown`` (no offline answer); derived from ``answered``
    when not given."""

    def __post_init__(self) -> None:
        if not self.kind:
            self.kind = "computed" if self.answered else "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "args": self.args,
            "result": self.result,
            "provider": self.provider,
            "answered": self.answered,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanInvoke:
        return cls(
            token=data["token"],
            args=dict(data.get("args") or {}),
            result=dict(data.get("result") or {}),
            provider=data.get("provider"),
            answered=bool(data.get("answered", True)),
            kind=str(data.get("kind") or ""),
        )


@dataclass
class Plan:
    """The resources one stack of a Pulumi program registers, recorded offline."""

    project: str
    stack: str
    resources: list[PlanResource] = field(default_factory=list)
    invokes: list[PlanInvoke] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    preview_checks: list[str] = field(default_factory=list)
    """Where the program asked whether it runs as a preview (``pulumi.runtime.is_dry_run()``), as
    ``file:line``: what ``pulumi up`` deploys may then differ from what was checked."""

    def __iter__(self) -> Iterator[PlanResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def get(self, urn: str) -> PlanResource:
        """The resource with this URN; KeyError naming the URN if there is none."""
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(f"no resource with URN {urn} in the plan of stack {self.stack}")

    def of_type(self, type_: str) -> list[PlanResource]:
        """Resources of one type token, for example ``aws:s3/bucket:Bucket``."""
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> PlanResource:
        """The single resource with this logical name; KeyError if none or several."""
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r} in the plan of stack {self.stack}")
        return found[0]

    def children(self, parent_urn: str) -> list[PlanResource]:
        """Direct children of a resource."""
        return [r for r in self.resources if r.parent == parent_urn]

    @property
    def custom_resources(self) -> list[PlanResource]:
        """Resources a provider manages (excludes providers, components and the root stack)."""
        return [r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_dict() for r in self.resources],
            "invokes": [i.to_dict() for i in self.invokes],
            "warnings": list(self.warnings),
            "previewChecks": list(self.preview_checks),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            project=data["project"],
            stack=data["stack"],
            resources=[PlanResource.from_dict(r) for r in data.get("resources") or []],
            invokes=[PlanInvoke.from_dict(i) for i in data.get("invokes") or []],
            warnings=list(data.get("warnings") or []),
            preview_checks=list(data.get("previewChecks") or []),
        )

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    def write_json(self, path: Path) -> None:
        """Write the plan as JSON to ``path`` (parent directories must exist)."""
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def read_json(cls, path: Path) -> Plan:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
