"""The CrossGuard adapter: every control becomes a policy with its metadata, and validates through the
SDK's own argument types, proxies and unknown sentinels (the real gRPC path is tested in
tests/strongroom/test_check.py)."""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from strongroom.policies.catalog import CATALOG
from strongroom.policies.pack import build_policies, control_url, raw
from strongroom.policies.props import UNKNOWN, normalize

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
POLICIES = {p.name: p for p in build_policies()}


def opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], None, [], None)  # type: ignore[arg-type]


def resource_args(type_: str, name: str, props: dict[str, Any]) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        type_, unknown_checking_proxy(props), f"urn:{type_}::{name}", name, opts(), None
    )


def stack_resource(type_: str, name: str, props: dict[str, Any]) -> PolicyResource:
    return PolicyResource(
        type_, unknown_checking_proxy(props), f"urn:{type_}::{name}", name, opts(), None, None, [], {}
    )


def run(policy: Any, args: Any) -> list[tuple[str, str | None]]:
    seen: list[tuple[str, str | None]] = []
    policy.validate(args, lambda message, urn=None: seen.append((message, urn)))
    return seen


def test_one_policy_per_control_named_by_lower_case_id() -> None:
    assert list(POLICIES) == [c.id.lower() for c in CATALOG]


def test_policy_kind_and_metadata_come_from_the_catalog() -> None:
    for control in CATALOG:
        policy = POLICIES[control.policy_name]
        kind = StackValidationPolicy if control.scope == "stack" else ResourceValidationPolicy
        assert isinstance(policy, kind)
        assert policy.enforcement_level == EnforcementLevel(control.enforcement_for(None))
        assert policy.severity is not None and policy.severity.value == control.severity
        assert policy.remediation_steps == control.remediation
        assert policy.display_name == control.title
        assert policy.description.startswith(f"{control.id}: {control.title}.")
        assert policy.framework is not None and policy.framework.name == "NIST SP 800-53"
        assert policy.framework.reference == ", ".join(control.frameworks["NIST-800-53-r5"])
        assert policy.tags is not None and control.area.lower() in policy.tags
        assert policy.url == control_url(control)


def test_url_points_at_the_fsbp_control_page() -> None:
    assert POLICIES["sr-sto-001"].url == (
        "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-14"
    )


def test_resource_policy_reports_through_the_sdk_args() -> None:
    args = resource_args("aws:sagemaker/notebookInstance:NotebookInstance", "nb", {"rootAccess": "Enabled"})
    assert run(POLICIES["sr-ws-003"], args) == [
        ("notebook instance 'nb' has rootAccess 'Enabled' (default Enabled)", None)
    ]


def test_resource_policy_ignores_other_types() -> None:
    assert run(POLICIES["sr-ws-003"], resource_args(BUCKET, "b", {})) == []


def test_a_value_unknown_at_preview_is_reported_by_sr_gov_004_not_passed() -> None:
    notebook_type = "aws:sagemaker/notebookInstance:NotebookInstance"
    props = {"rootAccess": UNKNOWN_STRING_VALUE}
    assert run(POLICIES["sr-ws-003"], resource_args(notebook_type, "nb", props)) == []
    notebook = stack_resource(notebook_type, "nb", props)
    seen = [m for m in run(POLICIES["sr-gov-004"], StackValidationArgs([notebook])) if "SR-WS-003" in m[0]]
    assert seen == [
        ("SR-WS-003 could not evaluate 'nb': rootAccess of 'nb' can't be known during preview", notebook.urn)
    ]


def test_sr_gov_004_is_advisory_outside_prod_and_mandatory_in_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    for stack, level in (("dev", "advisory"), ("prod", "mandatory"), ("prod-eu", "mandatory")):
        monkeypatch.setenv("PULUMI_STACK", stack)
        policy = {p.name: p for p in build_policies()}["sr-gov-004"]
        assert policy.enforcement_level == EnforcementLevel(level)


def test_a_deprecated_alias_meets_the_controls_of_its_canonical_type() -> None:
    bucket = stack_resource("aws:s3/bucketV2:BucketV2", "legacy", {"bucket": "legacy-1"})
    seen = run(POLICIES["sr-sto-001"], StackValidationArgs([bucket]))
    assert seen == [("bucket 'legacy' has no BucketVersioning, so versioning is off", bucket.urn)]
    alias_versioning = stack_resource(
        "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "legacy-versioning",
        {"bucket": "legacy-1", "versioningConfiguration": {"status": "Suspended"}},
    )
    seen = run(POLICIES["sr-sto-001"], StackValidationArgs([bucket, alias_versioning]))
    assert seen == [("bucket 'legacy' versioning status is Suspended, not Enabled", bucket.urn)]


def test_ignore_changes_reaches_the_pack_through_the_resource_options() -> None:
    options = PolicyResourceOptions(False, ["policy"], None, [], None, [], None)  # type: ignore[arg-type]
    args = ResourceValidationArgs(
        "aws:s3/bucketPolicy:BucketPolicy", {"policy": "{}"}, "urn:p", "p", options, None
    )
    assert run(POLICIES["sr-gov-002"], args) == [
        (
            "'p' sets ignore_changes on policy: a later change there would never be deployed or judged "
            "(only tags and tagsAll may be ignored)",
            None,
        )
    ]


def test_every_policy_takes_the_perimeter_and_sr_gov_001_the_allowed_types() -> None:
    for name, policy in POLICIES.items():
        assert policy.config_schema is not None
        assert {"trustedAccounts", "organizationId", "regions"} <= set(policy.config_schema.properties)
        assert ("allowedTypes" in policy.config_schema.properties) == (name == "sr-gov-001")


def test_stack_policy_joins_by_property_dependency_when_the_bucket_name_is_unknown() -> None:
    bucket = stack_resource(BUCKET, "data", {"bucket": UNKNOWN_STRING_VALUE})
    versioning = stack_resource(
        VERSIONING,
        "data-versioning",
        {"bucket": UNKNOWN_STRING_VALUE, "versioningConfiguration": {"status": "Enabled"}},
    )
    versioning.property_dependencies["bucket"] = [bucket]
    other = stack_resource(BUCKET, "logs", {"bucket": "logs-1"})
    seen = run(POLICIES["sr-sto-001"], StackValidationArgs([bucket, versioning, other]))
    assert seen == [("bucket 'logs' has no BucketVersioning, so versioning is off", other.urn)]


def test_stack_policy_reports_what_it_can_and_sr_gov_004_what_it_cannot_know() -> None:
    known = stack_resource(BUCKET, "data", {"bucket": "data-1"})
    undecided = stack_resource(VERSIONING, "v", {"bucket": UNKNOWN_STRING_VALUE})
    assert run(POLICIES["sr-sto-001"], StackValidationArgs([known, undecided])) == []
    assert run(POLICIES["sr-gov-004"], StackValidationArgs([known, undecided])) == [
        ("SR-STO-001 could not evaluate 'data': bucket of 'v' can't be known during preview", known.urn)
    ]


def test_raw_unwraps_sdk_proxies_and_normalize_maps_sentinels_and_secrets() -> None:
    proxied = unknown_checking_proxy({"a": [{"b": UNKNOWN_STRING_VALUE}], "c": "x"})
    plain = normalize(raw(proxied))
    assert plain["a"][0]["b"] is UNKNOWN and plain["c"] == "x"
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s3cr3t"}
    assert normalize({"policy": secret}) == {"policy": "s3cr3t"}


def test_pack_main_builds_the_policy_pack_with_every_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, Any] = {}

    def fake_pack(**kwargs: Any) -> None:
        built.update(kwargs)

    monkeypatch.setattr("pulumi_policy.PolicyPack", fake_pack)
    runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="__main__")
    assert built["name"] == "strongroom"
    assert built["enforcement_level"] == EnforcementLevel.MANDATORY
    assert [p.name for p in built["policies"]] == list(POLICIES)


def test_pulumi_policy_yaml_runs_the_pack_in_its_own_virtualenv() -> None:
    """Published, the CLI creates `venv` in the pack from requirements.txt; from a checkout, `make
    policy-venv` creates it (tests/policies/test_published_pack.py installs and runs the published form)."""
    spec = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert spec["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    makefile = (PACK_DIR.parent / "Makefile").read_text()
    assert "UV_PROJECT_ENVIRONMENT=policies/venv $(UV) sync --frozen --no-dev" in makefile


def test_props_sentinels_are_the_sdk_sentinels() -> None:
    from pulumi_policy import proxy

    from strongroom.policies.props import UNKNOWN_SENTINELS

    assert {
        v for k, v in vars(proxy).items() if k.startswith("UNKNOWN_") and k.endswith("_VALUE")
    } == UNKNOWN_SENTINELS


def test_the_stack_policies_of_one_request_share_one_index_per_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from strongroom.policies import pack

    converted: list[str] = []
    real = pack.to_resource
    monkeypatch.setattr(pack, "to_resource", lambda r: converted.append(r.urn) or real(r))
    bucket = stack_resource(BUCKET, "data", {"bucket": "data-1"})
    args = [StackValidationArgs([bucket]) for _ in range(3)]  # pulumi_policy builds args per policy
    names = ["sr-sto-001", "sr-gov-004", "sr-sto-040"]
    with pack._one_request():
        shared = [run(POLICIES[n], a) for n, a in zip(names, args, strict=True)]
        assert converted == [bucket.urn], "one conversion for every policy of the request"
        run(POLICIES["sr-sto-001"], StackValidationArgs([bucket], {"allowedTypes": ["x"]}))
        assert converted == [bucket.urn] * 2, "another config, another index"
    alone = [run(POLICIES[n], a) for n, a in zip(names, args, strict=True)]
    assert converted == [bucket.urn] * 5, "outside a request, an index per policy"
    assert shared == alone and shared[0] == [
        ("bucket 'data' has no BucketVersioning, so versioning is off", bucket.urn)
    ]
    with pack._one_request():
        run(POLICIES["sr-sto-001"], args[0])
    assert converted == [bucket.urn] * 6, "a new request converts again (its resources may differ)"


def test_the_served_analyzer_marks_each_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_policy import policy as sdk

    from strongroom.policies import pack

    monkeypatch.setattr(sdk, "_PolicyAnalyzerServicer", sdk._PolicyAnalyzerServicer)  # restored afterwards
    seen: list[object] = []

    class Base:
        pass

    def analyze_stack(servicer: Any, request: Any) -> str:
        seen.append(pack._REQUEST.indexes)
        return "answer"

    monkeypatch.setattr(sdk, "_PolicyAnalyzerServicer", Base)
    monkeypatch.setattr(pack, "analyze_stack", analyze_stack)
    pack.guard_configure()
    servicer = sdk._PolicyAnalyzerServicer()
    assert servicer.AnalyzeStack(None, None) == "answer"
    assert servicer.AnalyzeStack(None, None) == "answer"
    assert seen == [{}, {}] and seen[0] is not seen[1]
    assert getattr(pack._REQUEST, "indexes", None) is None


def _policies_with_every_answer(
    kind: Any, read_unknown: Callable[[Any], object], describe: Callable[[Any], str]
) -> list[Any]:
    """Policies of ``kind`` giving each answer pulumi_policy handles apart from a violation: one reads a
    value unknown at preview (``read_unknown(args)``, None when the resource has none), one is not
    applicable, one validates asynchronously (reporting ``describe(args)`` and the stack's tags)."""

    def reads_unknown(args: Any, report: Any) -> None:
        value = read_unknown(args)
        if value is not None:
            report(str(value))

    def not_applicable(args: Any, report: Any) -> None:
        args.not_applicable("nothing to judge")

    async def later(args: Any, report: Any) -> None:
        report(f"{describe(args)} tags {sorted(args.stack_tags.items())}")

    return [
        kind(name="reads-an-unknown", description="d", validate=reads_unknown),
        kind(name="not-applicable", description="d", validate=not_applicable),
        kind(name="async", description="d", validate=later),
    ]


def test_analyze_stack_answers_as_pulumi_policy_converting_the_resources_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The servicer's ``AnalyzeStack`` (:func:`pack.analyze_stack`) gives pulumi_policy's own response,
    byte for byte, on the insecure fixture's plan with every kind of answer a stack policy can give
    (violations of Strongroom's controls, an unknown value read through the proxy, not applicable, an
    async validation, the stack's tags, a disabled control, a remediate level), and converts each
    resource once where pulumi_policy converts it once per stack policy."""
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import policy as sdk

    from strongroom.check import _provider_of, analyzer_resource
    from strongroom.engine import run_plan
    from strongroom.policies import pack

    original = sdk._PolicyAnalyzerServicer
    while getattr(original, "strongroom_guard", False):  # pulumi_policy's own class under the guard
        original = original.__mro__[1]
    plan = run_plan(Path(__file__).parents[1] / "fixtures" / "insecure_project", "ci")
    by_urn = {r.urn: r for r in plan.resources}
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[analyzer_resource(r, _provider_of(r, by_urn)) for r in plan.resources]
    )
    unknown = request.resources.add(type="test:index:Unknown", urn="urn:pulumi:ci::p::test:index:Unknown::u")
    unknown.properties.update({"value": UNKNOWN_STRING_VALUE})

    extra = _policies_with_every_answer(
        StackValidationPolicy,
        lambda args: [r.props["value"] for r in args.resources if r.resource_type == "test:index:Unknown"],
        lambda args: f"{len(args.resources)} resources",
    )
    servicer = original("strongroom", "0.0.1", [*build_policies(), *extra], EnforcementLevel.MANDATORY)
    configure = analyzer_pb2.ConfigureAnalyzerRequest()
    configure.policyConfig["sr-sto-040"].enforcementLevel = analyzer_pb2.DISABLED
    configure.policyConfig["sr-aud-004"].enforcementLevel = analyzer_pb2.REMEDIATE
    configure.policyConfig["sr-aud-004"].properties.CopyFrom(struct_pb2.Struct())
    servicer.Configure(configure, None)
    servicer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(tags={"team": "ml"}), None)

    converted: list[object] = []
    deserialize = sdk.deserialize_properties
    monkeypatch.setattr(sdk, "deserialize_properties", lambda *a: converted.append(a) or deserialize(*a))
    theirs = original.AnalyzeStack(servicer, request, None)
    per_policy = len(converted)
    converted.clear()
    with pack._one_request():
        ours = pack.analyze_stack(servicer, request)
    assert ours.SerializeToString(deterministic=True) == theirs.SerializeToString(deterministic=True)
    enabled = [
        p
        for p in [*build_policies(), *extra]
        if isinstance(p, StackValidationPolicy)
        and servicer._get_enforcement_level(p) != EnforcementLevel.DISABLED
    ]
    # a resource's properties and its provider's: once per request here, once per stack policy there
    assert len(enabled) > 10 and per_policy == len(enabled) * len(converted) > len(enabled) * len(
        plan.resources
    )
    messages = {d.policyName: d.message for d in ours.diagnostics}
    assert "during preview" in messages["reads-an-unknown"]
    assert "resources tags [('team', 'ml')]" in messages["async"]
    assert [n.policy_name for n in ours.not_applicable] == ["not-applicable"]
    assert "sr-sto-040" not in messages and any(d.policyName.startswith("sr-") for d in ours.diagnostics)
    assert {d.enforcementLevel for d in ours.diagnostics if d.policyName == "sr-aud-004"} <= {
        analyzer_pb2.MANDATORY
    }


def test_analyze_answers_as_pulumi_policy_converting_the_resource_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The servicer's ``Analyze`` (:func:`pack.analyze`) gives pulumi_policy's own response, byte for byte,
    for every resource of the insecure fixture and one with an unknown value, under Strongroom's resource
    policies and policies that read an unknown, are not applicable, are async or only remediate; each
    request's resource is converted once, where pulumi_policy converts it once per resource policy."""
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import policy as sdk

    from strongroom.check import _provider_of, analyze_request
    from strongroom.engine import run_plan
    from strongroom.policies import pack

    original = sdk._PolicyAnalyzerServicer
    while getattr(original, "strongroom_guard", False):
        original = original.__mro__[1]
    plan = run_plan(Path(__file__).parents[1] / "fixtures" / "insecure_project", "ci")
    by_urn = {r.urn: r for r in plan.resources}
    requests = [analyze_request(r, _provider_of(r, by_urn)) for r in plan.resources]
    unknown = analyzer_pb2.AnalyzeRequest(
        type=BUCKET, urn="urn:pulumi:ci::p::aws:s3/bucket:Bucket::u", name="u"
    )
    unknown.properties.update({"bucket": UNKNOWN_STRING_VALUE})
    requests.append(unknown)

    extra = _policies_with_every_answer(
        ResourceValidationPolicy,
        lambda args: args.props["bucket"] if args.urn == unknown.urn else None,
        lambda args: str(args.name),
    )
    extra.append(
        ResourceValidationPolicy(name="remediates-only", description="d", remediate=lambda args: None)
    )
    servicer = original("strongroom", "0.0.1", [*build_policies(), *extra], EnforcementLevel.MANDATORY)
    configure = analyzer_pb2.ConfigureAnalyzerRequest()
    configure.policyConfig["sr-sto-002"].enforcementLevel = analyzer_pb2.DISABLED
    configure.policyConfig["sr-net-001"].enforcementLevel = analyzer_pb2.REMEDIATE
    servicer.Configure(configure, None)
    servicer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(tags={"team": "ml"}), None)

    converted: list[object] = []
    deserialize = sdk.deserialize_properties
    monkeypatch.setattr(sdk, "deserialize_properties", lambda *a: converted.append(a) or deserialize(*a))
    answered = 0
    for request in requests:
        theirs = original.Analyze(servicer, request, None)
        per_policy = len(converted)
        converted.clear()
        ours = pack.analyze(servicer, request)
        assert ours.SerializeToString(deterministic=True) == theirs.SerializeToString(deterministic=True)
        assert per_policy > len(converted) > 0 and per_policy % len(converted) == 0, request.urn
        converted.clear()
        answered += sum(d.policyName.startswith("sr-") for d in ours.diagnostics)
    names = [d.policyName for d in ours.diagnostics]
    assert "during preview" in ours.diagnostics[names.index("reads-an-unknown")].message
    assert [n.policy_name for n in ours.not_applicable] == ["not-applicable", "remediates-only"]
    assert answered > 5, "Strongroom's controls find the insecure fixture's weaknesses"
