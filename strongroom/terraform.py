"""Terraform JSON export of an offline plan, for scanners that read Terraform (checkov).

:func:`export_plan` turns a :class:`~strongroom.engine.plan.Plan` (or its JSON dict) into a
``main.tf.json`` document::

    {"provider": {"aws": [{"region": "eu-west-2"}]},
     "resource": {"aws_s3_bucket": {"dev_data": {...}}, ...}}

* types come from :mod:`strongroom.tfmap` (pulumi-aws's own token table); a custom resource whose type
  has no mapping (another package, or a token newer than the table) is listed in
  :attr:`TerraformExport.unmapped` and counted in :meth:`TerraformExport.warnings`, never dropped
  silently; component resources, providers and the root stack are not cloud resources and are left out;
* properties are renamed to Terraform's (the metadata's renames, then snake_case and singular repeated
  blocks), map keys kept; assets and archives become their path (omitted when they have none);
* a value not known at preview (the engine's UNKNOWN sentinel) is never written: when it flows from an
  output of one resource the property depends on, it becomes a reference to that output (the output of
  the same name, or the one the property's name ends with: ``roleArn`` -> ``arn``); otherwise the
  attribute is omitted and counted in :attr:`TerraformExport.unknown_omitted`;
* a string input equal to an identity output (``id``, ``arn``, ``name``, ``*_arn``, ``*_id``...) of a
  resource the property depends on (``propertyDependencies``, else ``dependencies``) becomes a reference
  ``${aws_kms_key.dev_data_key.arn}``, so checkov's graph checks join a bucket to its versioning,
  encryption and public access block; JSON policy documents stay strings;
* Terraform names are valid identifiers derived from the Pulumi names, unique across the whole file
  (checkov reports some results as ``resource.<name>`` without the type, so a name alone must identify
  the resource).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strongroom.check import UNKNOWN
from strongroom.tfmap import MAP_PROPERTIES, property_renames, singular, snake_case, tf_property_name, tf_type

MAIN_FILE = "main.tf.json"
PROVIDER_PREFIX = "pulumi:providers:"
AWS_PROVIDER = "pulumi:providers:aws"

#: How Pulumi marks a secret value in the engine's JSON.
_SECRET_SIG = "4dabf18193072939515e22adb298388d"
#: Signatures of an asset and an archive (pulumi/runtime/rpc.py), kept in wire form by the engine.
_ASSET_SIGS = frozenset({"c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7"})
_IDENTITY_ATTRS = frozenset({"id", "arn", "name", "bucket", "key_id"})
_IDENTITY_SUFFIXES = ("_arn", "_id", "_name")
_INVALID = re.compile(r"[^A-Za-z0-9_]")
REFERENCE = re.compile(r"\$\{([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\}")


@dataclass
class TerraformExport:
    """The Terraform JSON document of one plan, and the way back from Terraform names to URNs."""

    stack: str
    document: dict[str, Any]
    #: ``aws_s3_bucket.dev_data`` -> Pulumi URN
    addresses: dict[str, str] = field(default_factory=dict)
    #: custom resources whose type has no Terraform mapping: (URN, type)
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    #: attributes left out because their value is unknown at preview and no reference stands for it:
    #: (URN, Pulumi property path)
    unknown_omitted: list[tuple[str, str]] = field(default_factory=list)

    @property
    def resource_count(self) -> int:
        return len(self.addresses)

    def urn_for(self, address: str) -> str | None:
        """The URN behind a checkov resource address: ``<type>.<name>`` or ``resource.<name>``."""
        if address in self.addresses:
            return self.addresses[address]
        _, _, name = address.rpartition(".")
        matches = [urn for addr, urn in self.addresses.items() if addr.rpartition(".")[2] == name]
        return matches[0] if len(matches) == 1 else None

    def address_of(self, urn: str) -> str:
        """The Terraform address of an exported resource (``aws_s3_bucket.dev_data``)."""
        return next(addr for addr, u in self.addresses.items() if u == urn)

    def warnings(self) -> list[str]:
        """What checkov does not see: one line counting the resources of unmapped types (each type with
        its resources' names), one counting the attributes omitted because their value is unknown."""
        lines: list[str] = []
        if self.unmapped:
            by_type: dict[str, list[str]] = {}
            for urn, type_ in self.unmapped:
                by_type.setdefault(type_, []).append(_name_of(urn))
            listed = "; ".join(
                f"{type_} ({len(names)}: {_some(names, 5)})" for type_, names in sorted(by_type.items())
            )
            lines.append(
                f"stack {self.stack}: {len(self.unmapped)} resource(s) of {len(by_type)} type(s) not "
                f"exported to Terraform (no Terraform type in pulumi-aws's token table; checkov did not "
                f"see them): {listed}"
            )
        if self.unknown_omitted:
            listed = _some([f"{_name_of(urn)}.{path}" for urn, path in self.unknown_omitted], 20)
            lines.append(
                f"stack {self.stack}: {len(self.unknown_omitted)} attribute(s) unknown at preview and not "
                f"exported to Terraform (checkov did not see their values): {listed}"
            )
        return lines

    def to_json(self) -> str:
        return json.dumps(self.document, indent=2, sort_keys=False) + "\n"

    def write(self, out_dir: Path) -> Path:
        """Write ``main.tf.json`` into ``out_dir`` (created if missing); returns the file's path."""
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / MAIN_FILE
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def tf_name(pulumi_name: str) -> str:
    """A Terraform identifier for a Pulumi name: letters, digits and underscores, not starting with a
    digit (``dev-data.bucket`` -> ``dev_data_bucket``)."""
    name = _INVALID.sub("_", pulumi_name) or "resource"
    return name if re.match(r"[A-Za-z_]", name) else f"r_{name}"


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}_{n}"
    used.add(candidate)
    return candidate


def _name_of(urn: str) -> str:
    return urn.rpartition("::")[2]


def _some(items: list[str], limit: int) -> str:
    """``a, b, c`` - at most ``limit`` items, then ``and N more``."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


class _Omit:
    """An attribute value the export leaves out."""


_OMIT = _Omit()


def _unsecret(value: Any) -> Any:
    if isinstance(value, dict) and _SECRET_SIG in value and "value" in value:
        return value["value"]
    return value


def _is_identity_attr(snake: str) -> bool:
    return snake in _IDENTITY_ATTRS or snake.endswith(_IDENTITY_SUFFIXES)


def _attr_rank(attr: str) -> tuple[int, str]:
    order = {"id": 0, "arn": 1}
    return (order.get(attr, 2), attr)


class _Exporter:
    def __init__(self, plan: Mapping[str, Any]) -> None:
        self.stack = str(plan.get("stack", ""))
        self.resources: list[dict[str, Any]] = list(plan.get("resources") or [])
        self.used_names: set[str] = set()
        self.address_of: dict[str, str] = {}  # urn -> tf address
        self.providers: dict[str, str | None] = {}  # provider urn -> alias (None = default)
        # value -> [(urn, attr)] in registration order
        self.identities: dict[str, list[tuple[str, str]]] = {}
        # urn -> attributes whose output is unknown at preview
        self.unknown_outputs: dict[str, list[str]] = {}
        self.omitted: list[tuple[str, str]] = []
        self.current_urn = ""
        self.region = next(
            (
                str(inv["result"].get("region") or inv["result"].get("name"))
                for inv in plan.get("invokes") or []
                if str(inv.get("token", "")).endswith("getRegion") and isinstance(inv.get("result"), dict)
            ),
            "",
        )

    def run(self) -> TerraformExport:
        result = TerraformExport(stack=self.stack, document={})
        provider_blocks = self._providers()
        mapped: list[tuple[dict[str, Any], str]] = []
        for res in self.resources:
            type_ = str(res.get("type", ""))
            if not res.get("custom") or type_.startswith(PROVIDER_PREFIX):
                continue
            tf = tf_type(type_)
            if tf is None:
                result.unmapped.append((str(res["urn"]), type_))
                continue
            name = _unique(tf_name(str(res.get("name", "resource"))), self.used_names)
            address = f"{tf}.{name}"
            self.address_of[str(res["urn"])] = address
            result.addresses[address] = str(res["urn"])
            self._index(res, address)
            mapped.append((res, address))

        blocks: dict[str, dict[str, Any]] = {}
        for res, address in mapped:
            tf, name = address.split(".", 1)
            blocks.setdefault(tf, {})[name] = self._body(res)
        document: dict[str, Any] = {"provider": {"aws": provider_blocks}}
        document["resource"] = blocks
        result.document = document
        result.unknown_omitted = self.omitted
        return result

    def _providers(self) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        for res in self.resources:
            if res.get("type") != AWS_PROVIDER:
                continue
            urn = str(res["urn"])
            inputs = res.get("inputs") or {}
            block: dict[str, Any] = {}
            region = _unsecret(inputs.get("region"))
            if isinstance(region, str) and region and region != UNKNOWN:
                block["region"] = region
            is_default = str(res.get("name", "")).startswith("default")
            alias = None if is_default else _unique(tf_name(str(res.get("name", "aws"))), self.used_names)
            if alias is not None:
                block["alias"] = alias
            self.providers[urn] = alias
            blocks.append(block)
        if not blocks or all("alias" in b for b in blocks):
            default: dict[str, Any] = {}
            if self.region:
                default["region"] = self.region
            blocks.insert(0, default)
        return blocks

    def _index(self, res: Mapping[str, Any], address: str) -> None:
        urn = str(res["urn"])
        pairs: list[tuple[str, Any]] = [("id", res.get("id"))]
        pairs += [(snake_case(k), _unsecret(v)) for k, v in (res.get("outputs") or {}).items()]
        for attr, value in pairs:
            if value == UNKNOWN:
                self.unknown_outputs.setdefault(urn, []).append(attr)
            elif isinstance(value, str) and value and _is_identity_attr(attr):
                entries = self.identities.setdefault(value, [])
                if (urn, attr) not in entries:
                    entries.append((urn, attr))

    def _body(self, res: Mapping[str, Any]) -> dict[str, Any]:
        inputs: Mapping[str, Any] = res.get("inputs") or {}
        prop_deps: Mapping[str, list[str]] | None = res.get("propertyDependencies")
        deps: list[str] = list(res.get("dependencies") or [])
        renames = property_renames(str(res.get("type", "")))
        self.current_urn = str(res["urn"])
        body: dict[str, Any] = {}
        for key, raw in inputs.items():
            if key.startswith("__"):
                continue
            value = _unsecret(raw)
            if value is None:
                continue
            candidates = list(prop_deps[key]) if prop_deps and key in prop_deps else deps
            exported = self._value(key, value, candidates, key, renames)
            if exported is not _OMIT:
                body[tf_property_name(key, value, renames.get(key))] = exported
        provider = res.get("provider")
        if isinstance(provider, str) and provider:
            alias = self.providers.get(provider.rsplit("::", 1)[0])
            if alias:
                body["provider"] = f"aws.{alias}"
        return body

    def _value(
        self, key: str, value: Any, candidates: list[str], path: str, renames: Mapping[str, str]
    ) -> Any:
        """The Terraform value of property ``key`` (at Pulumi path ``path``), or :data:`_OMIT`."""
        value = _unsecret(value)
        if isinstance(value, dict):
            if value.get(_SECRET_SIG) in _ASSET_SIGS:
                return value.get("path") or _OMIT
            if key in MAP_PROPERTIES:
                items = [(k, k, v) for k, v in value.items() if v is not None]
            else:
                items = [
                    (k, tf_property_name(k, v, renames.get(f"{path}.{k}")), v)
                    for k, v in value.items()
                    if v is not None and not k.startswith("__")
                ]
            out = {name: self._value(k, v, candidates, f"{path}.{k}", renames) for k, name, v in items}
            return {name: v for name, v in out.items() if v is not _OMIT}
        if isinstance(value, list):
            items = [item for item in value if item is not None]
            unknowns = [item for item in items if item == UNKNOWN]
            in_order = self._unknown_references(key, candidates, len(unknowns))
            exported: list[Any] = []
            for item in items:
                if item == UNKNOWN and in_order:
                    exported.append(in_order.pop(0))
                    continue
                element = self._value(key, item, candidates, path, renames)
                if element is not _OMIT:
                    exported.append(element)
            return exported
        if isinstance(value, str):
            if UNKNOWN in value:
                reference = self._unknown_reference(key, candidates) if value == UNKNOWN else None
                if reference is None:
                    self.omitted.append((self.current_urn, path))
                    return _OMIT
                return reference
            return self._reference(value, candidates) or value
        return value

    def _unknown_attr(self, key: str, urn: str) -> str | None:
        """The unknown output of ``urn`` an unknown property ``key`` takes: the output of the same name
        (or its singular), else the one the property's name ends with, else its only unknown output, else
        its id (or arn): a property naming another resource (``securityGroups``) holds its id."""
        attrs = self.unknown_outputs.get(urn, [])
        snake = snake_case(key)
        for name in (snake, singular(snake)):
            if name in attrs:
                return name
        endings = [a for a in attrs if snake.endswith(f"_{a}") or singular(snake).endswith(f"_{a}")]
        if endings:
            return max(endings, key=len)
        if len(attrs) == 1:
            return attrs[0]
        identities = sorted((a for a in attrs if a in ("id", "arn")), key=_attr_rank)
        return identities[0] if identities else None

    def _exported(self, candidates: list[str]) -> list[str]:
        return list(dict.fromkeys(u for u in candidates if u in self.address_of))

    def _unknown_reference(self, key: str, candidates: list[str]) -> str | None:
        """A reference for an unknown value of ``key`` when it depends on exactly one exported resource."""
        exported = self._exported(candidates)
        if len(exported) != 1:
            return None
        attr = self._unknown_attr(key, exported[0])
        return None if attr is None else f"${{{self.address_of[exported[0]]}.{attr}}}"

    def _unknown_references(self, key: str, candidates: list[str], count: int) -> list[str]:
        """References for ``count`` (> 1) unknown elements of a list that depends on exactly ``count``
        exported resources, one each in dependency order (``securityGroupIds=[a.id, b.id]``)."""
        exported = self._exported(candidates)
        if count < 2 or len(exported) != count:
            return []
        attrs = [self._unknown_attr(key, urn) for urn in exported]
        if any(a is None for a in attrs):
            return []
        return [f"${{{self.address_of[u]}.{a}}}" for u, a in zip(exported, attrs, strict=True)]

    def _reference(self, value: str, candidates: list[str]) -> str | None:
        """``${type.name.attr}`` for a value equal to an identity output of a candidate; for a value that
        extends one with ``:`` or ``/`` (a log group ARN with ``:*``, an object ARN ``/*``), the reference
        followed by the rest."""
        whole = self._match(value, candidates)
        if whole is not None:
            return whole
        for cut in sorted((i for i, c in enumerate(value) if c in ":/"), reverse=True):
            head = self._match(value[:cut], candidates)
            if head is not None:
                return head + value[cut:]
        return None

    def _match(self, value: str, candidates: list[str]) -> str | None:
        found = [
            (urn, attr)
            for urn, attr in self.identities.get(value, [])
            if urn in candidates and urn in self.address_of
        ]
        if not found:
            return None
        first_urn = found[0][0]
        attr = min((a for u, a in found if u == first_urn), key=_attr_rank)
        return f"${{{self.address_of[first_urn]}.{attr}}}"


def export_plan(plan: Any) -> TerraformExport:
    """The Terraform JSON export of a plan (a ``Plan`` or the dict of its JSON form)."""
    data = plan.to_dict() if hasattr(plan, "to_dict") else plan
    if not isinstance(data, Mapping):
        raise TypeError(f"export_plan needs a Plan or its JSON dict, not {type(plan).__name__}")
    return _Exporter(data).run()


def export_stack(project_dir: Path, stack: str, *, account: str = "123456789012") -> TerraformExport:
    """Run the program offline (:func:`strongroom.engine.run_plan`) and export the plan."""
    from strongroom.engine import run_plan

    return export_plan(run_plan(project_dir, stack, account=account))


def references(document: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Every ``${type.name.attr}`` reference in a Terraform JSON document."""
    return [m.groups() for m in REFERENCE.finditer(json.dumps(document))]  # type: ignore[misc]


def unresolved_references(document: Mapping[str, Any]) -> list[str]:
    """References naming a resource the document does not define (empty when the export is whole)."""
    resources: Mapping[str, Mapping[str, Any]] = document.get("resource") or {}
    return [
        f"{tf}.{name}.{attr}" for tf, name, attr in references(document) if name not in resources.get(tf, {})
    ]
