"""Every policy document the shipped stacks produce, linted as deployed.

The helpers' own tests (tests/components/policydocs/test_iam.py) lint each document built from sample
inputs; this test lints what the real program registers for dev, staging and prod: trust and identity
policies of every role, managed policies, bucket policies, key policies, endpoint policies and topic
policies, with parliament (its community auditors on) and, for identity policies, Strongroom's own lint.

A parliament finding in a hard category must be zero unless it is listed in ``ACCEPTED`` with the reason;
privilege escalation is allowed only in the CI deployer's documents.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import parliament
import pytest
from plan_support import repository_plan

from strongroom.components.policydocs import iam
from strongroom.engine import Plan, PlanResource

pytestmark = pytest.mark.xdist_group("policy-documents")  # one worker plans and lints each stack once

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod")

parliament.override_config(os.path.join(parliament.__path__[0], "community_auditors", "config_override.yaml"))


def _indexed_expand_action(definition: list[dict[str, Any]]) -> Callable[..., list[dict[str, str]]]:
    """parliament's ``expand_action`` (0.0.x), with the services of an action's prefix found in a dict
    instead of a scan of all 400 of them (lowering the prefix again for each): the same answers, the same
    exceptions, in the same order (``test_the_indexed_expand_action_answers_as_parliaments``)."""
    by_prefix: dict[str, list[dict[str, Any]]] = {}
    by_name: dict[int, dict[str, list[dict[str, Any]]]] = {}  # id(service) -> lower-case name -> privileges
    for service in definition:
        by_prefix.setdefault(service["prefix"], []).append(service)
        names = by_name[id(service)] = {}
        for privilege in service["privileges"]:
            names.setdefault(privilege["privilege"].lower(), []).append(privilege)

    def expand_action(action: str, raise_exceptions: bool = True) -> list[dict[str, str]]:
        if action == "*":
            action = "*:*"
        parts = action.split(":")
        if len(parts) != 2:
            raise ValueError("Action should be in form service:action")
        prefix, unexpanded_action = parts
        wanted = unexpanded_action.lower()
        actions: list[dict[str, str]] = []
        service_match = None
        for service in definition if prefix == "*" else by_prefix.get(prefix.lower(), []):
            service_match = service
            if len(service["privileges"]) == 0 and prefix != "*" and wanted == "*":
                return []  # a service without privileges: its only action is *
            if _GLOB.isdisjoint(wanted):  # no wildcard: fnmatchcase is string equality
                matched = by_name[id(service)].get(wanted, [])
            else:
                matched = [
                    p for p in service["privileges"] if fnmatch.fnmatchcase(p["privilege"].lower(), wanted)
                ]
            for privilege in matched:
                actions.append({"service": service_match["prefix"], "action": privilege["privilege"]})
        if not service_match and raise_exceptions:
            raise parliament.UnknownPrefixException(f"Unknown prefix {prefix}")
        if len(actions) == 0 and raise_exceptions:
            raise parliament.UnknownActionException(f"Unknown action {prefix}:{unexpanded_action}")
        return actions

    return expand_action


_GLOB = frozenset("*?[")  # the characters fnmatch gives a meaning

#: parliament's own expand_action, before this module replaces it
PARLIAMENTS_EXPAND_ACTION: Callable[..., Any] = getattr(
    parliament.expand_action, "__wrapped__", parliament.expand_action
)


def _remember_parliaments_lookups() -> None:
    """parliament's ``expand_action`` keeps its last 10,240 answers, and the stacks' documents ask it for
    about 20,000 different ones (its community auditors expand every sensitive action against every
    allowed one), so in that cyclic order the cache never hits; ``get_privilege_info`` scans the whole IAM
    database at every call. Both answer from their arguments and the database alone, so for this module
    they keep every answer: the same objects, the same findings, a fraction of the time (the dev stack's
    documents took 11 s). ``expand_action`` also finds an action's services by prefix
    (:func:`_indexed_expand_action`) instead of scanning the database for each of those 20,000 answers."""
    from parliament import policy, statement
    from parliament.community_auditors import sensitive_access

    if not hasattr(parliament.expand_action, "__wrapped__"):
        return  # not the lru_cache-wrapped function this was written against: leave parliament as it is
    expand = lru_cache(maxsize=None)(_indexed_expand_action(parliament.iam_definition))
    for module in (parliament, statement, policy, sensitive_access):
        if hasattr(module, "expand_action"):
            module.expand_action = expand
    statement.get_privilege_info = lru_cache(maxsize=None)(statement.get_privilege_info)


_remember_parliaments_lookups()

#: parliament's own Policy methods, before this module makes each policy remember its answers
PARLIAMENTS_POLICY_METHODS: dict[str, Callable[..., list[Any]]] = {}


def _remember_each_policys_answers() -> None:
    """A parliament ``Policy`` answers ``get_allowed_actions`` and ``get_allowed_resources`` from its
    statements alone (neither adds a finding), and four community auditors and the resource-policy check
    ask the same policy the same questions again: each answer is kept on the policy and handed out as a
    new list, as parliament hands out a new list each time. A test compares the findings with those of
    parliament's own methods (``test_each_policy_remembering_its_answers_finds_the_same``)."""
    from parliament import policy

    if PARLIAMENTS_POLICY_METHODS:
        return
    for name in ("get_allowed_actions", "get_allowed_resources"):
        original = getattr(policy.Policy, name)
        PARLIAMENTS_POLICY_METHODS[name] = original

        def remembered(self: Any, *args: Any, _name: str = name, _original: Any = original) -> list[Any]:
            answers = self.__dict__.setdefault("_strongroom_answers", {})
            key = (_name, *args)
            if key not in answers:
                answers[key] = _original(self, *args)
            return list(answers[key])

        setattr(policy.Policy, name, remembered)


_remember_each_policys_answers()

DOCUMENT_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:kms/key:Key": ("policy",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
}
IDENTITY_TYPES = {"aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"}

HARD = {
    "UNKNOWN_ACTION",
    "UNKNOWN_PREFIX",
    "UNKNOWN_PRINCIPAL",
    "UNKNOWN_FEDERATION_SOURCE",
    "UNKNOWN_OPERATOR",
    "UNKNOWN_CONDITION_FOR_ACTION",
    "RESOURCE_MISMATCH",
    "MISMATCHED_TYPE",
    "MALFORMED",
    "INVALID_ARN",
    "EXCEPTION",
    "PRIVILEGE_ESCALATION",
}

# (resource name without the "sr-<stack>-" prefix, parliament issue) -> why it is not a defect.
ACCEPTED: dict[tuple[str, str], str] = {
    ("roles-deployer", "UNKNOWN_CONDITION_FOR_ACTION"): (
        "token.actions.githubusercontent.com:aud/sub are the GitHub OIDC provider's keys, which parliament's "
        "IAM database does not list; they are what pins the deployer to one repository and environment"
    ),
    ("roles-deployer", "UNKNOWN_FEDERATION_SOURCE"): (
        "the GitHub Actions OIDC provider (token.actions.githubusercontent.com) is not in parliament's list"
    ),
    ("keys-logs", "UNKNOWN_CONDITION_FOR_ACTION"): (
        "AWS's documented CloudWatch Logs key policy scopes kms:Describe* with "
        "kms:EncryptionContext:aws:logs:arn"
    ),
    ("keys-logs", "MISMATCHED_TYPE"): (
        "ArnLike on kms:EncryptionContext:aws:logs:arn with a log-group ARN pattern, as AWS documents it; "
        "parliament types the context key as String"
    ),
    ("network-vpce-s3", "RESOURCE_MISMATCH"): (
        "a gateway endpoint policy is a ceiling intersected with identity policies: s3:* on this "
        "environment's buckets only is the endpoint's allow-list, and parliament reads s3:* as identity "
        "grants"
    ),
}

# (parliament issue, text in its detail) -> why it is not a defect, wherever it appears.
ACCEPTED_DETAILS: dict[tuple[str, str], str] = {
    ("MISMATCHED_TYPE", "s3:TlsVersion"): (
        "parliament's Numeric type admits integers only; s3:TlsVersion is compared with 1.2, as AWS documents"
    ),
    ("UNKNOWN_CONDITION_FOR_ACTION", "s3:TlsVersion"): (
        "S3 evaluates s3:TlsVersion on every request; parliament lists it for a subset of S3 actions only"
    ),
    ("RESOURCE_MISMATCH", "s3:GetObjectAttributes"): (
        "AWS's service authorization reference gives s3:GetObjectAttributes the resource type object (what "
        "the recovery role and the boundary name); parliament's database requires an access point as well"
    ),
}


def accepted(role: str, finding: Any) -> bool:
    detail = str(finding.detail)
    return (role, finding.issue) in ACCEPTED or any(
        issue == finding.issue and text in detail for issue, text in ACCEPTED_DETAILS
    )


@cache
def plan_of(stack: str) -> Plan:
    return repository_plan(stack)


def documents(plan: Plan) -> Iterator[tuple[PlanResource, str, dict[str, Any]]]:
    for resource in plan.resources:
        for key in DOCUMENT_INPUTS.get(resource.type, ()):
            value = resource.inputs.get(key)
            if value:
                yield resource, key, json.loads(value) if isinstance(value, str) else value


def role_of(resource: PlanResource, stack: str) -> str:
    return resource.name.removeprefix(f"sr-{stack}-")


def findings(resource: PlanResource, document: dict[str, Any]) -> list[Any]:
    """parliament reads identity policies; a resource policy gets its own resource as the Resource."""
    document = json.loads(json.dumps(document))
    for statement in document["Statement"]:
        statement.setdefault("Resource", resource.outputs.get("arn", "*"))
    return _analyse(json.dumps(document, sort_keys=True))


@cache
def _analyse(text: str) -> list[Any]:
    """Identical documents (every interface endpoint has the same policy; ``"*"`` is slow to expand) are
    analysed once."""
    policy = parliament.analyze_policy_string(text, include_community_auditors=True)
    return [parliament.enhance_finding(f) for f in policy.findings]


@pytest.mark.parametrize("stack", STACKS)
def test_every_policy_document_of_the_stack_has_no_unexplained_linter_finding(stack: str) -> None:
    plan = plan_of(stack)
    seen = 0
    unexplained: list[str] = []
    for resource, key, document in documents(plan):
        seen += 1
        for finding in findings(resource, document):
            if finding.issue not in HARD:
                continue
            if finding.issue == "PRIVILEGE_ESCALATION" and resource.type == "aws:ec2/vpcEndpoint:VpcEndpoint":
                continue  # an interface endpoint policy grants nothing; it only narrows who may use it
            if not accepted(role_of(resource, stack), finding):
                unexplained.append(f"{resource.urn} {key}: {finding.issue} {str(finding.detail)[:300]}")
    assert seen >= 30, f"only {seen} policy documents found in {stack}"
    assert not unexplained, "\n".join(unexplained)


@pytest.mark.parametrize("stack", STACKS)
def test_every_identity_policy_of_the_stack_passes_strongroom_lint(stack: str) -> None:
    plan = plan_of(stack)
    linted = 0
    for resource, _key, document in documents(plan):
        if resource.type in IDENTITY_TYPES:
            iam.lint(document)
            linted += 1
    assert linted >= 10, f"only {linted} identity policies found in {stack}"


def test_accepted_findings_are_all_still_produced() -> None:
    """An exception that no longer matches a finding is stale and must be removed."""
    produced = {
        (role_of(resource, stack), finding.issue)
        for stack in STACKS
        for resource, _key, document in documents(plan_of(stack))
        for finding in findings(resource, document)
    }
    assert set(ACCEPTED) <= produced, sorted(set(ACCEPTED) - produced)


def test_the_linter_catches_a_wildcard_grant_slipped_into_a_stack_document() -> None:
    plan = plan_of("dev")
    resource, _key, document = next(
        item for item in documents(plan) if item[0].type == "aws:iam/rolePolicy:RolePolicy"
    )
    broken = json.loads(json.dumps(document))
    broken["Statement"].append({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    assert "PRIVILEGE_ESCALATION" in {f.issue for f in findings(resource, broken)}
    with pytest.raises(ValueError):
        iam.lint(broken)


def test_the_indexed_expand_action_answers_as_parliaments() -> None:
    """Every prefix of parliament's database with a wildcard, a prefix glob and an exact action, the
    whole-database forms, a prefix in upper case, an unknown prefix and action, and a malformed action:
    the same answers or the same exception, with and without ``raise_exceptions``."""
    indexed = _indexed_expand_action(parliament.iam_definition)
    actions = [
        "*",
        "*:*",
        "*:Get*",
        "S3:GetObject",
        "s3:*OBJECT*",
        "s3:GetObjec?",
        "s3:Get[O]bject",
        "s3:getobject",
    ]
    actions += ["nope:Get*", "s3:NoSuchAction", "a:b:c"]
    for service in parliament.iam_definition:
        privileges = [p["privilege"] for p in service["privileges"]]
        actions += [f"{service['prefix']}:*", f"{service['prefix']}:Get*"]
        actions += [f"{service['prefix']}:{privileges[0]}"] if privileges else []

    def answer(fn: Callable[..., Any], action: str, raise_exceptions: bool) -> object:
        try:
            return fn(action, raise_exceptions)
        except Exception as exc:  # the exception is part of the answer
            return (type(exc), str(exc))

    assert len(actions) > 1000
    for action in actions:
        for raise_exceptions in (True, False):
            ours = answer(indexed, action, raise_exceptions)
            assert ours == answer(PARLIAMENTS_EXPAND_ACTION, action, raise_exceptions), (
                action,
                raise_exceptions,
            )


def test_each_policy_remembering_its_answers_finds_the_same() -> None:
    """The twelve largest documents of the dev stack (by statements), analysed with each policy's
    remembered answers and with parliament's own methods: the same findings, one by one."""
    from parliament import policy

    texts = sorted(
        {json.dumps(document, sort_keys=True) for _, _, document in documents(plan_of("dev"))},
        key=lambda text: (-len(json.loads(text).get("Statement", [])), text),
    )[:12]

    def analysed(text: str) -> list[tuple[str, str, str]]:
        found = parliament.analyze_policy_string(text, include_community_auditors=True).findings
        return [(f.issue, str(f.detail), str(f.location)) for f in found]

    remembered = [analysed(text) for text in texts]
    saved = {name: getattr(policy.Policy, name) for name in PARLIAMENTS_POLICY_METHODS}
    try:
        for name, original in PARLIAMENTS_POLICY_METHODS.items():
            setattr(policy.Policy, name, original)
        assert [analysed(text) for text in texts] == remembered
    finally:
        for name, method in saved.items():
            setattr(policy.Policy, name, method)
    assert sum(map(len, remembered)) > 20
