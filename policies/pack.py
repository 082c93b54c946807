"""CrossGuard adapter: the catalog as a list of pulumi_policy policies. Importing starts no server.

Resource-scope controls become `ResourceValidationPolicy`s, stack-scope controls `StackValidationPolicy`s.
Each policy is named after its control ID in lower case (`sr-net-001`) and carries the catalog's
enforcement level, severity, description, remediation steps, URL, tags and one compliance framework
(pulumi-policy 1.21 allows one per policy: NIST SP 800-53 r5, with every mapping listed in the description).

Values unknown during preview: the SDK's proxy raises on access to an unknown value, which would stop a
stack policy for every resource. The adapter reads the raw values behind the proxy instead and judges
every resource it can. What a control could not judge (an unknown value, a perimeter not configured) is
reported once, by SR-GOV-004 "Every control could evaluate" (advisory, mandatory in prod stacks), never
passed silently.

Resource types are resolved to their canonical token first (`policies.types`), so a deprecated alias
meets the controls of its canonical type. The perimeter, the stack's regions and the types a team
allowed come from the policy config or, without one, from the stack config (`policies.config`).

A policy config may raise a control's enforcement level, never lower a mandatory one: pulumi_policy takes
the `enforcementLevel` of each policy's config as is (`--policy-pack-config`, `pulumi policy enable
--config`, an ESC environment's `policyConfig`), so the pack's `Configure` refuses a config that makes a
control advisory or disabled where the catalog makes it mandatory for the stack (`guard_configure`).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from strongroom.policies.catalog import CATALOG, Control, Finding, evaluate, evaluate_resource
from strongroom.policies.config import config_schema, context
from strongroom.policies.model import judges_type
from strongroom.policies.props import Index, Resource, normalize
from strongroom.policies.tokens import canonical

PACK_NAME = "strongroom"
NIST_URL = "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final"
FSBP_URL = "https://docs.aws.amazon.com/securityhub/latest/userguide/{service}-controls.html#{anchor}"


def control_url(control: Control) -> str:
    """The AWS Security Hub page of the control's first FSBP mapping, else the NIST SP 800-53 r5 page."""
    fsbp = control.frameworks.get("AWS-FSBP", ())
    if not fsbp:
        return NIST_URL
    service, number = fsbp[0].split(".")
    return FSBP_URL.format(service=service.lower(), anchor=f"{service.lower()}-{number}")


def raw(value: Any) -> Any:
    """The plain value behind pulumi_policy's unknown-checking proxies, without triggering their checks."""
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Mapping):
        try:
            target = value["__target"]
        except (KeyError, TypeError):
            target = value
        return {k: raw(v) for k, v in dict.items(target)} if isinstance(target, dict) else dict(target)
    if isinstance(value, Sequence):
        try:
            target = value["__target"]  # type: ignore[call-overload]
        except (KeyError, TypeError, IndexError):
            target = value
        return [raw(v) for v in list.__iter__(target)] if isinstance(target, list) else list(target)
    return value


def _stack() -> str | None:
    return os.environ.get("PULUMI_STACK") or None


def to_resource(resource: Any) -> Resource:
    """A catalog `Resource` from a `ResourceValidationArgs` or a `PolicyResource`: the type resolved to
    its canonical token, the provider's type (None for a component) and the `ignore_changes` option."""
    deps = getattr(resource, "property_dependencies", None) or {}
    token = resource.resource_type
    type_ = canonical(token)
    provider = getattr(resource, "provider", None)
    opts = getattr(resource, "opts", None)
    return Resource(
        type=type_,
        urn=resource.urn,
        name=resource.name,
        props=normalize(raw(resource.props)),
        property_dependencies={k: tuple(getattr(d, "urn", d) for d in v) for k, v in deps.items()},
        dependencies=tuple(getattr(d, "urn", d) for d in getattr(resource, "dependencies", None) or ()),
        parent=getattr(getattr(resource, "parent", None), "urn", None),
        token=token if token != type_ else "",
        provider_type=getattr(provider, "resource_type", None) if provider is not None else None,
        ignore_changes=tuple(getattr(opts, "ignore_changes", None) or ()),
    )


def _report(findings: Iterable[Finding], report: ReportViolation, *, with_urn: bool) -> None:
    """Report violations. A finding a control could not evaluate is reported by SR-GOV-004, which runs
    every control over the stack, so it is not reported twice here."""
    for finding in findings:
        if finding.unknown:
            continue
        report(finding.message, finding.urn if with_urn else None)


def resource_validator(control: Control) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not judges_type(control, canonical(args.resource_type)):
            return
        subject = to_resource(args)
        index = Index([subject], context(args.get_config()))
        _report(evaluate_resource(control, subject, index), report, with_urn=False)

    return validate


def stack_validator(control: Control) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        _report(evaluate(control, _stack_index(args)), report, with_urn=True)

    return validate


_REQUEST = threading.local()
"""The indexes of the ``AnalyzeStack`` request the current thread serves (see :func:`_stack_index`)."""


@contextmanager
def _one_request() -> Iterator[None]:
    """The indexes built while one ``AnalyzeStack`` request is served, dropped when it is answered."""
    outer = getattr(_REQUEST, "indexes", None)
    _REQUEST.indexes = {}
    try:
        yield
    finally:
        _REQUEST.indexes = outer


def _stack_index(args: StackValidationArgs) -> Index:
    """The stack's Index for a stack policy. pulumi_policy hands every stack policy of one ``AnalyzeStack``
    the same request's resources, so within a request (:func:`_one_request`, entered by the servicer
    ``guard_configure`` installs) the policies with the same config share one Index: the resources are
    converted once, not once per policy, and SR-GOV-004 reads the other controls' findings from it, as the
    in-process check does, instead of judging the stack again. Outside a request, a fresh Index."""
    config = args.get_config()
    indexes: dict[str, Index] | None = getattr(_REQUEST, "indexes", None)
    if indexes is None:
        return Index((to_resource(r) for r in args.resources), context(config))
    key = json.dumps(config, sort_keys=True, default=repr)
    if key not in indexes:
        indexes[key] = Index((to_resource(r) for r in args.resources), context(config))
    return indexes[key]


def describe(control: Control) -> str:
    """The policy description: title, what it applies to, rationale and every framework mapping."""
    mappings = "; ".join(f"{name} {', '.join(ids)}" for name, ids in control.frameworks.items())
    applies = f" Applies to {control.applicability}." if control.applicability else ""
    return f"{control.id}: {control.title}.{applies} {control.rationale} Frameworks: {mappings}."


def _framework(control: Control) -> PolicyComplianceFramework:
    ids = control.frameworks.get("NIST-800-53-r5", ())
    return PolicyComplianceFramework(
        name="NIST SP 800-53", version="5", reference=", ".join(ids), specification=describe(control)
    )


def build_policy(control: Control) -> Policy:
    common: dict[str, Any] = {
        "name": control.policy_name,
        "description": describe(control),
        "enforcement_level": EnforcementLevel(control.enforcement_for(_stack())),
        "config_schema": config_schema(control),
        "display_name": control.title,
        "severity": Severity(control.severity),
        "framework": _framework(control),
        "tags": [control.area.lower(), *control.tags],
        "remediation_steps": control.remediation,
        "url": control_url(control),
    }
    if control.scope == "stack":
        return StackValidationPolicy(validate=stack_validator(control), **common)
    return ResourceValidationPolicy(validate=resource_validator(control), **common)


KEEPS_MANDATORY = frozenset({"mandatory", "remediate"})
"""Levels that keep a mandatory control mandatory: pulumi_policy reports a violation of a policy configured
`remediate` that has no remediation (none of Strongroom's has one) as mandatory."""


def lowered_enforcement(
    levels: Mapping[str, str], stack: str | None, controls: Iterable[Control] = CATALOG
) -> list[str]:
    """One line per control that is mandatory for ``stack`` and that ``levels`` (policy name -> the level a
    policy config sets) would make advisory or disabled."""
    by_policy = {c.policy_name: c for c in controls}
    lowered = []
    for name, level in sorted(levels.items()):
        control = by_policy.get(name)
        if control is None or control.enforcement_for(stack) != "mandatory" or level in KEEPS_MANDATORY:
            continue
        where = f"in stack {stack}" if stack else "here"
        lowered.append(f"{name}.enforcementLevel = {level!r}: {control.id} is mandatory {where}")
    return lowered


REFUSAL_NAMED = 10
"""How many lowered controls a refusal over gRPC names: the message travels in the status's metadata, and
past gRPC's 8 KiB soft limit the client gets RESOURCE_EXHAUSTED instead of the refusal (one config making
every control advisory lowers about 120)."""


def refusal(lowered: Sequence[str], limit: int | None = None) -> str:
    """The message of a refused policy config (the CLI prints it and stops the preview or update); with
    ``limit``, the first ``limit`` lowered controls and how many more."""
    named = list(lowered if limit is None else lowered[:limit])
    if len(named) < len(lowered):
        named.append(f"and {len(lowered) - len(named)} more")
    return (
        "Strongroom refuses a policy config that lowers a mandatory control: "
        + "; ".join(named)
        + ". Accepted for a mandatory control: mandatory (or remediate); an advisory control may be raised "
        "or disabled. A mandatory control changes only in the catalog (policies/controls), reviewed, "
        "released and published as a new pack version."
    )


def guard_configure() -> None:
    """Make the Analyzer that ``PolicyPack(...)`` serves refuse (INVALID_ARGUMENT) a ``Configure`` whose
    levels lower a mandatory control. pulumi_policy builds its servicer inside ``PolicyPack``; the class it
    builds is replaced by a subclass that checks first (pulumi-policy is pinned to 1.21.x, whose servicer
    this relies on; tests/policies/test_published_pack.py drives the refusal over gRPC). The subclass also
    marks each ``AnalyzeStack`` request, so its stack policies share one Index (:func:`_stack_index`), and
    converts the resources of an ``Analyze`` or ``AnalyzeStack`` once for all its policies (:func:`analyze`,
    :func:`analyze_stack`)."""
    import grpc
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import policy as sdk

    base: Any = sdk._PolicyAnalyzerServicer
    if getattr(base, "strongroom_guard", False):
        return
    names = {
        analyzer_pb2.ADVISORY: "advisory",
        analyzer_pb2.MANDATORY: "mandatory",
        analyzer_pb2.DISABLED: "disabled",
        analyzer_pb2.REMEDIATE: "remediate",
    }

    class GuardedServicer(base):  # type: ignore[misc, valid-type]
        strongroom_guard = True

        def Analyze(self, request: Any, context: grpc.ServicerContext) -> Any:
            return analyze(self, request)

        def AnalyzeStack(self, request: Any, context: grpc.ServicerContext) -> Any:
            with _one_request():
                return analyze_stack(self, request)

        def Configure(self, request: Any, context: grpc.ServicerContext) -> Any:
            levels = {k: names.get(v.enforcementLevel, "advisory") for k, v in request.policyConfig.items()}
            lowered = lowered_enforcement(levels, _stack())
            if lowered:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, refusal(lowered, REFUSAL_NAMED))
            return super().Configure(request, context)

    sdk._PolicyAnalyzerServicer = GuardedServicer  # type: ignore[misc]


def analyze(servicer: Any, request: Any) -> Any:
    """pulumi_policy 1.21's ``_PolicyAnalyzerServicer.Analyze``, with the resource converted once for every
    resource policy instead of once per resource policy.

    pulumi_policy turns the request's properties into a dict, deserialises them, wraps them in an
    unknown-checking proxy and reads the resource's options and provider inside its loop over the
    policies: 38 times per resource for Strongroom's pack. Strongroom's policies read them only. The
    rest is pulumi_policy's code, in its order (see :func:`analyze_stack`; ``tests/policies/test_pack.py``
    compares the responses with pulumi_policy's own, byte for byte)."""
    from pulumi_policy import policy as sdk

    servicer._configure_runtime_settings()
    response = sdk.proto.AnalyzeResponse()
    converted: tuple[Any, Any, Any] | None = None
    for policy, enforcement_level in _enabled(servicer, sdk.ResourceValidationPolicy):
        if not policy.has_validation():
            response.not_applicable.append(
                sdk.proto.PolicyNotApplicable(
                    policy_name=policy.name, reason="Policy does not implement validate"
                )
            )
            continue
        report_violation = _reporter(servicer, response, policy, enforcement_level)
        if converted is None:
            deserialized = sdk.deserialize_properties(sdk.json_format.MessageToDict(request.properties))
            converted = (
                sdk.unknown_checking_proxy(deserialized),
                servicer._get_resource_options(request),
                servicer._get_provider_resource(request),
            )
        props, opts, provider = converted
        args = sdk.ResourceValidationArgs(
            request.type,
            props,
            request.urn,
            request.name,
            opts,
            provider,
            servicer._get_policy_config(policy.name),
            servicer._PolicyAnalyzerServicer__stack_tags,
        )
        _validate(servicer, response, policy, args, report_violation)
    return response


def analyze_stack(servicer: Any, request: Any) -> Any:
    """pulumi_policy 1.21's ``_PolicyAnalyzerServicer.AnalyzeStack``, with the request's resources converted
    once for every stack policy instead of once per stack policy.

    pulumi_policy turns every resource of the request into a ``PolicyResource`` (its protobuf properties
    to a dict, deserialised and wrapped in an unknown-checking proxy, its options, provider, parent and
    dependencies) inside the loop over the stack policies, so a request of 350 resources was converted 13
    times, about nine tenths of an ``AnalyzeStack``; Strongroom's stack policies read them only (and share
    one Index per config, :func:`_stack_index`). Everything else is pulumi_policy's code, in its order: the
    same enforcement levels, violations, ``UnknownValueError`` diagnostic and not-applicable answers
    (``tests/policies/test_pack.py`` compares the responses with pulumi_policy's own method's, byte for
    byte). The resources are converted on the first enabled stack policy, so a request that runs none
    converts nothing. The servicer ``guard_configure`` installs serves both; pulumi-policy is pinned to
    1.21.x, whose private members these read."""
    from pulumi_policy import policy as sdk

    servicer._configure_runtime_settings()
    response = sdk.proto.AnalyzeResponse()
    resources: list[Any] | None = None
    for policy, enforcement_level in _enabled(servicer, sdk.StackValidationPolicy):
        report_violation = _reporter(servicer, response, policy, enforcement_level)
        if resources is None:
            resources = _stack_resources(servicer, request)
        args = sdk.StackValidationArgs(
            resources, servicer._get_policy_config(policy.name), servicer._PolicyAnalyzerServicer__stack_tags
        )
        _validate(servicer, response, policy, args, report_violation)
    return response


def _enabled(servicer: Any, kind: type) -> Iterator[tuple[Any, Any]]:
    """The servicer's policies of ``kind`` that are not disabled, with their enforcement level, in order."""
    from pulumi_policy import policy as sdk

    for policy in servicer._PolicyAnalyzerServicer__policies:
        enforcement_level = servicer._get_enforcement_level(policy)
        if enforcement_level != sdk.EnforcementLevel.DISABLED and isinstance(policy, kind):
            yield policy, enforcement_level


def _reporter(servicer: Any, response: Any, policy: Any, enforcement_level: Any) -> Any:
    """pulumi_policy's report_violation for one policy: a remediate level reports as mandatory."""
    from pulumi_policy import policy as sdk

    if enforcement_level == sdk.EnforcementLevel.REMEDIATE:
        enforcement_level = sdk.EnforcementLevel.MANDATORY
    return servicer._create_report_violation(
        response, policy.name, policy.description, enforcement_level, policy.severity
    )


def _validate(servicer: Any, response: Any, policy: Any, args: Any, report_violation: Any) -> None:
    """One policy's validation as pulumi_policy 1.21 runs it: an awaitable result run on a new event loop,
    a value unknown during preview an advisory diagnostic, a not-applicable policy noted as such."""
    from pulumi_policy import policy as sdk

    pack_name = servicer._PolicyAnalyzerServicer__policy_pack_name
    pack_version = servicer._PolicyAnalyzerServicer__policy_pack_version
    try:
        result = policy.validate(args, report_violation)
        if sdk.isawaitable(result):
            loop = sdk.asyncio.new_event_loop()
            task: Any = sdk.asyncio.Task(result, loop=loop)  # type: ignore[arg-type]
            loop.run_until_complete(task)
            loop.close()
    except sdk.UnknownValueError as e:
        response.diagnostics.append(
            sdk.proto.AnalyzeDiagnostic(
                policyName=policy.name,
                policyPackName=pack_name,
                policyPackVersion=pack_version,
                message=(
                    f"can't run policy '{policy.name}' from policy pack "
                    f"'{pack_name}@v{pack_version}' during preview: {e.message}"
                ),
                urn="",
                description=policy.description,
                enforcementLevel=servicer._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
            )
        )
    except sdk._NotApplicableError as e:
        response.not_applicable.append(
            sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
        )


def _stack_resources(servicer: Any, request: Any) -> list[Any]:
    """The request's resources as pulumi_policy 1.21 hands them to a stack policy: ``PolicyResource``s
    with their parents, dependencies and property dependencies linked to one another by URN."""
    from pulumi_policy import policy as sdk

    intermediates = []
    for r in request.resources:
        deserialized = sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties))
        props = sdk.unknown_checking_proxy(deserialized)
        opts = servicer._get_resource_options(r)
        provider = servicer._get_provider_resource(r)
        resource = sdk.PolicyResource(r.type, props, r.urn, r.name, opts, provider, None, [], {})
        property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
        intermediates.append(
            servicer.IntermediateStackResource(
                resource, r.parent, list(r.dependencies), property_dependencies
            )
        )
    urns_to_resources = {i.resource.urn: i.resource for i in intermediates}
    for i in intermediates:
        if i.parent is not None and i.parent in urns_to_resources:
            i.resource.parent = urns_to_resources[i.parent]
        for d in i.dependencies:
            if d in urns_to_resources:
                i.resource.dependencies.append(urns_to_resources[d])
        for k, v in i.property_dependencies.items():
            i.resource.property_dependencies[k] = [urns_to_resources[d] for d in v if d in urns_to_resources]
    return [i.resource for i in intermediates]


def build_policies(controls: Iterable[Control] = CATALOG) -> list[Policy]:
    """One CrossGuard policy per control, in catalog order."""
    return [build_policy(control) for control in controls]
