"""Strongroom's own pack evaluated in process: the catalog over a Plan, without the Analyzer protocol.

Over gRPC (:mod:`strongroom.check`), ``pulumi_policy`` turns every resource into a dict once per policy
and every stack policy rebuilds its index: most of a check's time. Here each resource is converted once
and each stack is indexed once, with the semantics the pack (``policies/pack.py``) has under the Pulumi
CLI, so the diagnostics are the same, one for one (``tests/strongroom/test_inprocess.py`` runs both):

* resource policies judge each resource alone (``Index([subject])``) on its *inputs* as ``Analyze``
  sends them, with no parent or dependencies (``ResourceValidationArgs`` has none) and the provider's
  type; stack policies judge every resource's *outputs* (``stack_properties``) as ``AnalyzeStack`` sends
  them, with parent, dependencies and property dependencies limited to resources of the plan;
* properties go through what the wire does to them: numbers become doubles, secrets are unwrapped,
  assets and archives become their fields, unknown sentinels ``UNKNOWN`` (``policies.props.normalize``);
* types are resolved to canonical tokens; a control judges a resource when ``judges_type`` says so;
* the context comes from each policy's config (``perimeter_policy_config``) over the stack config,
  stack name included; one index serves every stack control with the same context;
* enforcement is the catalog's for the stack (prod may be stricter), then ``--policy-config``'s; a
  disabled control is skipped, ``remediate`` reports as mandatory;
* findings a control could not evaluate are left to SR-GOV-004, as ``policies.pack._report`` does, and
  messages carry the policy description as prefix, as ``pulumi_policy`` sends them (``build_report``
  strips it).

A control that raises is a :class:`~strongroom.check.PolicyPackError` naming the control and the
resource, as the pack's failure over gRPC would be.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from strongroom.check import (
    SIG_KEY,
    AnalyzerInfo,
    Diagnostic,
    PolicyInfo,
    PolicyPackError,
    _provider_of,
    configured_info,
    default_pack_dir,
    stack_properties,
    validate_pack_dir,
)
from strongroom.engine.plan import STACK_TYPE, Plan, PlanResource
from strongroom.errors import UsageError
from strongroom.policies.catalog import CATALOG, Control, Finding, evaluate, evaluate_resource
from strongroom.policies.config import PERIMETER_SCHEMA, context
from strongroom.policies.model import judges_type
from strongroom.policies.pack import PACK_NAME, control_url, describe, lowered_enforcement, refusal
from strongroom.policies.props import Context, Index, Resource, normalize
from strongroom.policies.tokens import canonical
from strongroom.process import collector_paused

#: The version ``pulumi_policy`` reports for every Python pack (the CLI takes the real one from
#: PulumiPolicy.yaml).
PACK_VERSION = "0.0.1"
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_ALLOWED_TYPES_POLICY = "sr-gov-001"


def is_own_pack(pack_dir: Path | None) -> bool:
    """Whether ``pack_dir`` is Strongroom's own pack (None, or the path of its ``policies/``)."""
    if pack_dir is None:
        return True
    return validate_pack_dir(pack_dir) == default_pack_dir()


# -- the wire form, as the pack reads it ------------------------------------------------------------------


def _wire(value: Any, path: str) -> Any:
    """What ``to_struct`` + ``MessageToDict`` + ``deserialize_properties`` make of a Plan value, before
    ``normalize``: numbers as floats, secrets unwrapped, assets and archives as their fields."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        if math.isinf(number) or math.isnan(number):
            raise PolicyPackError(f"property {path} is {value!r}, which the analyzer protocol cannot carry")
        return number
    if type(value) is dict or isinstance(value, Mapping):
        sig = value.get(SIG_KEY)
        if sig is None:
            return {str(k): _wire(v, f"{path}.{k}") for k, v in value.items()}
        if sig == _SECRET_SIG:
            if "value" not in value:
                raise PolicyPackError(f"property {path} is a secret without a value")
            return _wire(value["value"], path)
        if sig == _ASSET_SIG:
            for key in ("path", "text", "uri"):
                if key in value:
                    return {key: _wire(value[key], f"{path}.{key}")}
            raise PolicyPackError(f"property {path} is an asset without path, text or uri")
        if sig == _ARCHIVE_SIG:
            if "assets" in value:
                assets = value["assets"]
                return {"assets": {str(k): _wire(v, f"{path}.assets.{k}") for k, v in assets.items()}}
            for key in ("path", "uri"):
                if key in value:
                    return {key: _wire(value[key], f"{path}.{key}")}
            raise PolicyPackError(f"property {path} is an archive without assets, path or uri")
        raise PolicyPackError(f"property {path} has the unrecognised signature {sig!r}")
    if isinstance(value, list | tuple):
        return [_wire(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise TypeError(
        f"property {path} has a value of type {type(value).__name__}; the analyzer protocol accepts "
        "null, booleans, numbers, strings, lists and maps (secrets as secret(...), unknowns as UNKNOWN)"
    )


def plain_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The props a policy of the pack sees for ``properties`` in a Plan's wire form."""
    return {str(k): normalize(_wire(v, str(k))) for k, v in properties.items()}


# -- what GetAnalyzerInfo answers ----------------------------------------------------------------------


def pack_info(stack: str | None, controls: Sequence[Control] = CATALOG) -> AnalyzerInfo:
    """The :class:`AnalyzerInfo` the pack answers for ``stack`` (its ``PULUMI_STACK``), sorted by name."""
    schema = {"properties": dict(PERIMETER_SCHEMA)}
    policies = []
    for control in controls:
        properties = dict(schema["properties"])
        if control.policy_name == _ALLOWED_TYPES_POLICY:
            from strongroom.policies.config import ALLOWED_TYPES_SCHEMA

            properties["allowedTypes"] = ALLOWED_TYPES_SCHEMA
        policies.append(
            PolicyInfo(
                name=control.policy_name,
                description=describe(control),
                enforcement=control.enforcement_for(stack),
                kind=control.scope,
                severity=control.severity,
                display_name=control.title,
                remediation=control.remediation,
                url=control_url(control),
                tags=(control.area.lower(), *control.tags),
                config_schema={"properties": properties},
            )
        )
    return AnalyzerInfo(
        name=PACK_NAME, version=PACK_VERSION, policies=tuple(sorted(policies, key=lambda p: p.name))
    )


# -- the evaluation -------------------------------------------------------------------------------------


class InProcessPack:
    """Strongroom's catalog with the interface of :class:`strongroom.check.PolicyPackProcess` (``info``,
    ``configure``, ``analyze_plan``; a context manager), evaluated in this process."""

    def __init__(
        self,
        *,
        project: str,
        stack: str,
        config: Mapping[str, str] | None = None,
        controls: Sequence[Control] = CATALOG,
    ) -> None:
        self.project = project
        self.stack = stack
        # The pack reads the stack config from PULUMI_CONFIG, JSON: the same round trip here.
        self.stack_config: dict[str, Any] = json.loads(json.dumps(dict(config or {})))
        self.controls = tuple(controls)
        self.info: AnalyzerInfo | None = pack_info(stack, self.controls)
        self._policy_config: dict[str, dict[str, Any]] = {}
        self._levels: dict[str, str] = {}

    def __enter__(self) -> InProcessPack:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def configure(self, policy_config: Mapping[str, Mapping[str, Any]]) -> None:
        """Policy config as ``PolicyPackProcess.configure`` sends it: levels and properties per policy;
        it replaces what an earlier call set, as ``Configure`` does."""
        assert self.info is not None
        levels = {p.name: p.enforcement for p in self.info.policies}
        configured = configured_info(self.info, policy_config)
        wanted = {name: str(cfg.get("enforcementLevel", levels[name])) for name, cfg in policy_config.items()}
        lowered = lowered_enforcement(wanted, self.stack, self.controls)
        if lowered:  # the pack's Configure refuses it (policies/pack.py, guard_configure)
            raise UsageError(refusal(lowered))
        self.info = configured
        self._levels = wanted
        self._policy_config = {
            name: _wire({k: v for k, v in cfg.items() if k != "enforcementLevel"}, name)
            for name, cfg in policy_config.items()
        }

    def _enforcement(self, control: Control) -> str:
        level = self._levels.get(control.policy_name) or control.enforcement_for(self.stack)
        return "mandatory" if level == "remediate" else level

    def _context(self, control: Control) -> Context:
        config = self._policy_config.get(control.policy_name) or None
        return context(config, self.stack, stack_config=self.stack_config)

    def analyze_plan(self, plan: Plan) -> list[Diagnostic]:
        """The diagnostics ``Analyze`` of every resource, then ``AnalyzeStack``, would answer. The cyclic
        collector is paused meanwhile (:func:`strongroom.process.collector_paused`): the views of every
        resource are long-lived, and its passes over them were about 7% of a large stack's check."""
        with collector_paused():
            return self._analyze_plan(plan)

    def _analyze_plan(self, plan: Plan) -> list[Diagnostic]:
        enabled = [(c, self._enforcement(c)) for c in self.controls]
        enabled = [(c, level) for c, level in enabled if level != "disabled"]
        contexts: dict[str, tuple[Context, str]] = {}  # per control: its context and the context's key
        made: dict[str, Context] = {}  # one context per distinct policy config (most controls have none)
        for control, _ in enabled:
            config = self._policy_config.get(control.policy_name) or None
            key = json.dumps(config, sort_keys=True)
            if key not in made:
                made[key] = self._context(control)
            contexts[control.id] = (made[key], key)
        by_urn = {r.urn: r for r in plan.resources}
        root = next((r.urn for r in plan.resources if r.type == STACK_TYPE), "")
        resource_controls = [(c, level) for c, level in enabled if c.scope != "stack"]
        stack_controls = [(c, level) for c, level in enabled if c.scope == "stack"]
        judging: dict[str, list[tuple[Control, str]]] = {}  # per type: the resource controls that judge it

        diagnostics: list[Diagnostic] = []
        for planned in plan.resources:
            subject = _analyzed(planned, by_urn)
            indexes: dict[str, Index] = {}
            if subject.type not in judging:
                judging[subject.type] = [(c, v) for c, v in resource_controls if judges_type(c, subject.type)]
            for control, level in judging[subject.type]:
                ctx, key = contexts[control.id]
                if key not in indexes:
                    indexes[key] = Index([subject], ctx)
                try:
                    findings = evaluate_resource(control, subject, indexes[key])
                except Exception as exc:
                    raise _failed(control, f"Analyze of {planned.urn}", exc) from exc
                diagnostics += _diagnostics(control, level, findings, lambda _: planned.urn)  # noqa: B023

        if stack_controls:
            resources = [_stack_resource(r, by_urn) for r in plan.resources]
            stack_indexes: dict[str, Index] = {}
            for control, level in stack_controls:
                ctx, key = contexts[control.id]
                if key not in stack_indexes:
                    stack_indexes[key] = Index(resources, ctx)
                try:
                    findings = evaluate(control, stack_indexes[key])
                except Exception as exc:
                    raise _failed(control, f"AnalyzeStack of {len(resources)} resources", exc) from exc
                diagnostics += _diagnostics(
                    control, level, findings, lambda urn: urn if urn in by_urn else root
                )
        return diagnostics


def _failed(control: Control, stage: str, exc: Exception) -> PolicyPackError:
    """A control that raised: the check fails, as the pack's error over gRPC fails it."""
    return PolicyPackError(
        f"policy {control.policy_name} of pack {PACK_NAME} (evaluated in process) failed in {stage}: "
        f"{type(exc).__name__}: {exc}"
    )


def _diagnostics(
    control: Control, level: str, findings: list[Finding], urn_of: Callable[[str], str]
) -> list[Diagnostic]:
    """``policies.pack._report`` then ``pulumi_policy``'s report_violation: unknown findings are left to
    SR-GOV-004, the message is the policy description, a newline and the finding's message."""
    if not findings:
        return []
    description = describe(control)
    return [
        Diagnostic(
            policy_name=control.policy_name,
            policy_pack_name=PACK_NAME,
            description=description,
            message=f"{description}\n{f.message}" if f.message else description,
            enforcement=level,
            urn=urn_of(f.urn),
            severity=control.severity,
        )
        for f in findings
        if not f.unknown
    ]


def _provider_type(planned: PlanResource, by_urn: Mapping[str, PlanResource]) -> str | None:
    provider = _provider_of(planned, by_urn)
    return provider.type if provider is not None else None


def _analyzed(planned: PlanResource, by_urn: Mapping[str, PlanResource]) -> Resource:
    """The resource a resource policy sees in ``Analyze``: its inputs, no parent, no dependencies."""
    type_ = canonical(planned.type)
    return Resource(
        type=type_,
        urn=planned.urn,
        name=planned.name,
        props=plain_properties(planned.inputs),
        token=planned.type if planned.type != type_ else "",
        provider_type=_provider_type(planned, by_urn),
        ignore_changes=tuple(planned.ignore_changes),
    )


def stack_view(plan: Plan) -> list[Resource]:
    """Every resource of ``plan`` as a stack policy sees it in ``AnalyzeStack`` (the live audit compares
    the deployed environment with this view)."""
    by_urn = {r.urn: r for r in plan.resources}
    return [_stack_resource(r, by_urn) for r in plan.resources]


def _stack_resource(planned: PlanResource, by_urn: Mapping[str, PlanResource]) -> Resource:
    """The resource a stack policy sees in ``AnalyzeStack``: its outputs, and the parent, dependencies
    and property dependencies that are resources of the plan."""
    type_ = canonical(planned.type)
    return Resource(
        type=type_,
        urn=planned.urn,
        name=planned.name,
        props=plain_properties(stack_properties(planned)),
        property_dependencies={
            key: tuple(u for u in urns if u in by_urn)
            for key, urns in planned.property_dependencies.items()
            if urns
        },
        dependencies=tuple(u for u in planned.dependencies if u in by_urn),
        parent=planned.parent if planned.parent and planned.parent in by_urn else None,
        token=planned.type if planned.type != type_ else "",
        provider_type=_provider_type(planned, by_urn),
        ignore_changes=tuple(planned.ignore_changes),
    )
