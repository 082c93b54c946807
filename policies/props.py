"""Pure helpers for reading resource properties as the Pulumi engine sends them to a policy pack.

Properties use the engine's camelCase keys. Values that cannot be known during `pulumi preview` arrive as
the engine's sentinel strings; secrets arrive wrapped in the engine's secret signature. `normalize` turns
both into plain Python values (`UNKNOWN` for unknowns, the plain value for secrets), so predicates never
see protocol details. Nothing here imports `pulumi` or `pulumi_policy`.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The engine's sentinels for values unknown during preview (pulumi/sdk resource/properties.go; the same
# strings as pulumi_policy.proxy, checked by tests/policies/test_props.py).
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
ANY_TYPE = "*"
"""In `Control.resource_types`: the control judges every resource, whatever its type."""
SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


class _Unknown:
    """The single value standing for "not known until the resource is created"."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; test `is UNKNOWN` first")


UNKNOWN: Any = _Unknown()


class UnknownValue(Exception):
    """Raised by a predicate that needs a value the engine cannot know during preview."""

    def __init__(self, resource: str, path: str) -> None:
        super().__init__(f"{path} of {resource} can't be known during preview")
        self.resource = resource
        self.path = path


_PLAIN_SCALARS = frozenset({int, float, bool, type(None)})


def normalize(value: Any) -> Any:
    """Plain dicts, lists and scalars; unknown sentinels become `UNKNOWN`, secrets their plain value."""
    # Exact built-in types first: most values of a plan are numbers, booleans, None, dicts and lists,
    # which the generic branches below would reach only after abstract-class checks.
    cls = type(value)
    if cls in _PLAIN_SCALARS:
        return value
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if cls is dict or isinstance(value, Mapping):
        if value.get(SPECIAL_SIG_KEY) == SECRET_SIG:
            return normalize(value.get("value"))
        return {str(k): normalize(v) for k, v in value.items()}
    if cls is list or (isinstance(value, Sequence | set | frozenset) and not isinstance(value, bytes)):
        return [normalize(v) for v in value]
    if type(value).__module__ == "pulumi.asset":
        # pulumi_policy hands assets and archives over as pulumi.FileArchive, RemoteAsset, ... objects:
        # their fields as the wire form has them (path, text, uri, or assets for an AssetArchive).
        return {
            key: normalize(getattr(value, key))
            for key in ("path", "text", "uri", "assets")
            if getattr(value, key, None) is not None
        }
    return value


@dataclass(frozen=True)
class Resource:
    """One resource as a policy sees it: type token, URN, name and camelCase props (normalized)."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dependencies: tuple[str, ...] = ()
    parent: str | None = None
    token: str = ""
    """The type token as the program wrote it (an alias such as `aws:s3/bucketV2:BucketV2`); `type` is
    its canonical token. Empty when the two are the same."""
    provider_type: str | None = None
    """The type of the resource's provider (`pulumi:providers:aws`); None for component resources."""
    ignore_changes: tuple[str, ...] = ()
    """The `ignore_changes` resource option: properties Pulumi will not update on later deployments."""

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted path (`rule.defaultRetention.days`, `rules.0.status`), or `default`."""
        return get(self.props, path, default)

    def known(self, path: str, default: Any = None) -> Any:
        """Like `get`, but raise `UnknownValue` when the value (or a parent of it) is unknown."""
        value = get(self.props, path, default)
        if value is UNKNOWN:
            raise UnknownValue(self.label, path)
        return value

    @property
    def written_type(self) -> str:
        """The type token as the program wrote it."""
        return self.token or self.type

    @property
    def label(self) -> str:
        """How messages name the resource: `aws:s3/bucket:Bucket 'data'` is too long; the name suffices."""
        return f"'{self.name}'"


def get(props: Any, path: str, default: Any = None) -> Any:
    """Follow a dotted path through dicts and lists; `UNKNOWN` if a step is unknown."""
    current = props
    for step in path.split("."):
        if current is UNKNOWN:
            return UNKNOWN
        if type(current) is dict:  # what normalize() makes: no abstract-class check (a policy asks millions)
            current = current.get(step)
            if current is None:
                return default
        elif isinstance(current, Mapping):
            if step not in current or current[step] is None:
                return default
            current = current[step]
        elif isinstance(current, list) and step.isdigit():
            index = int(step)
            if index >= len(current) or current[index] is None:
                return default
            current = current[index]
        else:
            return default
    return current


def as_list(value: Any) -> list[Any]:
    """A list for a list, [] for None, [value] otherwise (IAM's single-or-list fields)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def is_true(value: Any) -> bool:
    """True for True and the string "true" (some pulumi-aws fields are strings)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    """True for False and the string "false"."""
    return value is False or (isinstance(value, str) and value.lower() == "false")


def is_world_cidr(cidr: Any) -> bool:
    """True for any IPv4 or IPv6 CIDR with prefix length 0 (0.0.0.0/0, ::/0, ::0/0)."""
    if not isinstance(cidr, str) or cidr is UNKNOWN:
        return False
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


class PolicyDocumentError(ValueError):
    """A policy document that is neither a JSON object nor a mapping."""


def policy_document(value: Any) -> dict[str, Any]:
    """Parse an IAM/KMS/S3/endpoint policy given as a JSON string or as a mapping."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        return _parsed_document(value)
    raise PolicyDocumentError("is not a JSON object")


@functools.lru_cache(maxsize=16_384)
def _parsed_document(text: str) -> dict[str, Any]:
    """The document a JSON text holds, parsed once per distinct text: a role's policies are read by a
    dozen controls, on the resource and on the stack view, and a check of many plans (mutations of one
    stack) meets the same texts again. Controls only read documents; a test evaluates every stack and
    fixture and requires every cached document to equal a fresh parse of its text. Fifty environments
    hold a few thousand distinct texts, well within the cache."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyDocumentError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from exc
    if isinstance(parsed, dict):
        return parsed
    raise PolicyDocumentError("is not a JSON object")


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statements of a policy document (a single statement object counts as one)."""
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]  # type: ignore[misc]


def principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal value of a statement, whatever its kind ("*", AWS, Service, Federated)."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, Mapping):
        found: list[str] = []
        for value in principal.values():
            found.extend(str(v) for v in as_list(value))
        return found
    return [str(p) for p in as_list(principal)]


def is_world_principal(statement: Mapping[str, Any]) -> bool:
    """True when the statement's principal is everyone: "*" or {"AWS": "*"}."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return "*" in [str(v) for v in as_list(principal.get("AWS"))]
    return False


def tags(resource: Resource) -> Mapping[str, Any]:
    """The resource's own tags (provider default tags are not resource inputs)."""
    value = resource.get("tags", {})
    return value if isinstance(value, Mapping) else {}


def is_prod_stack(stack: str | None) -> bool:
    """True for ``prod`` and ``prod-<anything>``: the stacks where the prod rules apply. An unknown stack
    (None) is judged as prod, the stricter reading. The settings (``components.settings``, which never
    import the pack) use the same rule; ``tests/test_prod_is_defined_once.py`` keeps the two in step."""
    return stack is None or stack == "prod" or stack.startswith("prod-")


@dataclass(frozen=True)
class Context:
    """What a predicate may know besides the resources.

    `stack`: the stack name, if known. `trusted_accounts` and `organization_id`: the perimeter (the
    accounts and AWS Organization whose principals, grantees and destinations are inside the bank);
    empty and None when not configured, in which case any account a control meets cannot be judged.
    `allowed_types`: resource types a team allowed through the pack's policy config (type ->
    justification), in addition to the catalog's reviewed list. `regions`: the regions the stack may
    deploy to (empty when not known).
    """

    stack: str | None = None
    trusted_accounts: frozenset[str] = frozenset()
    organization_id: str | None = None
    allowed_types: Mapping[str, str] = field(default_factory=dict)
    regions: frozenset[str] = frozenset()
    planned: tuple[Resource, ...] = ()
    """The live audit only: the offline plan's resources (stack view) the live ones are compared with."""
    read_types: frozenset[str] = frozenset()
    """The live audit only: the types it reads, so the only ones it can find missing or undeclared."""

    @property
    def prod(self) -> bool:
        return is_prod_stack(self.stack)

    @property
    def perimeter_configured(self) -> bool:
        return bool(self.trusted_accounts) or self.organization_id is not None


class Index:
    """The resources of one stack, indexed for joins by reference."""

    def __init__(self, resources: Iterable[Resource], context: Context | None = None) -> None:
        self.resources: tuple[Resource, ...] = tuple(resources)
        self.context = context or Context()
        self._by_type: dict[str, list[Resource]] = {}
        self._memo: dict[str, Any] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.type, []).append(resource)

    def of_type(self, *types: str) -> Iterator[Resource]:
        """Resources of the given types, in that order; `*` stands for every resource."""
        if ANY_TYPE in types:
            yield from self.resources
            return
        for type_ in types:
            yield from self._by_type.get(type_, ())

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value computed once per index (for stack-wide judgements shared by every subject)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def with_urns(self, urns: Iterable[str], *types: str) -> list[Resource]:
        """The resources of `types` whose URN is one of `urns`, in `of_type` order: what
        `[r for r in index.of_type(*types) if r.urn in set(urns)]` finds, by a lookup in a table built once
        per index instead of a scan (stack controls ask it for every subject). A new list each call."""
        wanted = set(urns)
        if not wanted:
            return []

        def build() -> dict[str, tuple[tuple[int, Resource], ...]]:
            table: dict[str, list[tuple[int, Resource]]] = {}
            for order, resource in enumerate(self.of_type(*types)):
                table.setdefault(resource.urn, []).append((order, resource))
            return {urn: tuple(found) for urn, found in table.items()}

        table: dict[str, tuple[tuple[int, Resource], ...]] = self.memo(f"index:with-urns:{types!r}", build)
        found = [item for urn in wanted for item in table.get(urn, ())]
        return [resource for _, resource in sorted(found, key=lambda item: item[0])]

    def matching(self, types: str | Sequence[str], props: Sequence[str], value: str) -> list[Resource]:
        """The resources of `types`, in `of_type` order, one of whose `props` is the string `value`: what
        `[r for r in index.of_type(*types) if any(r.get(p) == value for p in props)]` finds, by a lookup in
        a table built once per index instead of a scan. A new list each call."""
        wanted = (types,) if isinstance(types, str) else tuple(types)
        keys = tuple(props)

        def build() -> dict[str, tuple[Resource, ...]]:
            table: dict[str, list[Resource]] = {}
            for resource in self.of_type(*wanted):
                # each resource once per value, however many of `props` hold it
                for found in dict.fromkeys(v for v in (resource.get(p) for p in keys) if isinstance(v, str)):
                    table.setdefault(found, []).append(resource)
            return {found: tuple(resources) for found, resources in table.items()}

        table: dict[str, tuple[Resource, ...]] = self.memo(f"index:matching:{wanted!r}:{keys!r}", build)
        return list(table.get(value, ()))

    def referencing(
        self,
        subject: Resource,
        types: str | Sequence[str],
        prop: str,
        subject_values: Sequence[str] = ("id",),
    ) -> list[Resource]:
        """Resources of `types` whose `prop` refers to `subject`.

        A known value is judged by what it names: the companion's `prop` equals one of the subject's
        `subject_values`. Only while the value is unknown (during preview, before the subject exists)
        does the engine's property dependency decide (`prop` was computed from the subject's outputs):
        a value computed from one bucket but naming another (`a.id.apply(lambda _: "b")`) belongs to
        the bucket it names. A candidate whose `prop` is unknown and that has no dependency data cannot
        be placed: `UnknownValue` is raised rather than a guess.
        """
        wanted = (types,) if isinstance(types, str) else tuple(types)
        values = {v for v in (subject.get(p) for p in subject_values) if isinstance(v, str) and v}
        values.discard(UNKNOWN)
        by_value, by_dependency, undecided = self._references(wanted, prop)
        found = [c for v in values for c in by_value.get(v, ())] + list(by_dependency.get(subject.urn, ()))
        matched = [candidate for _, candidate in sorted(found, key=lambda item: item[0])]
        if not matched and undecided:
            raise UnknownValue(undecided[0].label, prop)
        return matched

    def _references(
        self, wanted: tuple[str, ...], prop: str
    ) -> tuple[dict[str, list[tuple[int, Resource]]], dict[str, list[tuple[int, Resource]]], list[Resource]]:
        """The candidates of `wanted` by the known value of `prop`, by the URNs their unknown `prop`
        depends on, and those whose `prop` is unknown without dependency data; built once per index, so
        `referencing` costs a lookup instead of a scan (stack controls ask it for every subject)."""

        def build() -> Any:
            by_value: dict[str, list[tuple[int, Resource]]] = {}
            by_dependency: dict[str, list[tuple[int, Resource]]] = {}
            undecided: list[Resource] = []
            for order, candidate in enumerate(self.of_type(*wanted)):
                value = candidate.get(prop)
                if value is UNKNOWN:
                    deps = candidate.property_dependencies.get(prop)
                    if deps:
                        for urn in dict.fromkeys(deps):
                            by_dependency.setdefault(urn, []).append((order, candidate))
                    else:
                        undecided.append(candidate)
                elif isinstance(value, str):
                    by_value.setdefault(value, []).append((order, candidate))
            return by_value, by_dependency, undecided

        result: Any = self.memo(f"references:{wanted!r}:{prop}", build)
        return result  # type: ignore[no-any-return]
