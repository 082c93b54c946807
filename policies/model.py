"""The shape of a control, and how one is evaluated over resources. Pure: no pulumi imports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from strongroom.policies.perimeter import CannotJudge
from strongroom.policies.props import ANY_TYPE, Index, Resource, UnknownValue, is_prod_stack

Severity = Literal["critical", "high", "medium", "low"]
Enforcement = Literal["mandatory", "advisory"]
Scope = Literal["resource", "stack"]

#: Framework keys a control may map to (`frameworks` dict keys).
FRAMEWORKS: tuple[str, ...] = ("NIST-800-53-r5", "AWS-FSBP", "CIS-AWS-3.0", "DORA", "EU-AI-ACT")

Predicate = Callable[[Resource, Index], Iterable[str]]
"""Yields one message per way `subject` breaks the control (nothing when compliant). Stack-level
predicates look its companions up in the index. Raises `UnknownValue` when a needed value is unknown."""

Applies = Callable[[Resource, Index], bool]


def _always(_subject: Resource, _index: Index) -> bool:
    return True


@dataclass(frozen=True)
class Control:
    """One control, declared once; the pack, the checkov mapping, the docs and the tests read it.

    `checkov_ids`: checkov checks whose failure on a resource always means this control fails there
    (the same control, or a narrower case of it). `framework_note` says why a control has no CIS or
    FSBP counterpart, when it has none.
    """

    id: str
    title: str
    severity: Severity
    enforcement: Enforcement
    resource_types: tuple[str, ...]
    rationale: str
    frameworks: Mapping[str, tuple[str, ...]]
    remediation: str
    predicate: Predicate
    scope: Scope = "resource"
    enforced_in: frozenset[str] = frozenset({"preview"})
    checkov_ids: tuple[str, ...] = ()
    applies: Applies = _always
    applicability: str = ""
    framework_note: str = ""
    tags: tuple[str, ...] = field(default=())
    prod_enforcement: Enforcement | None = None
    """The enforcement in prod stacks, when stricter than `enforcement` elsewhere."""

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def area(self) -> str:
        """The area code of the ID: NET, ENC, STO, IAM, AUD or WS."""
        return self.id.split("-")[1]

    def enforcement_for(self, stack: str | None) -> Enforcement:
        """The enforcement that applies in `stack` (prod stacks may be stricter)."""
        if self.prod_enforcement is not None and is_prod_stack(stack):
            return self.prod_enforcement
        return self.enforcement

    @property
    def policy_name(self) -> str:
        """The policy's name in the CrossGuard pack (the ID in lower case)."""
        return self.id.lower()


@dataclass(frozen=True)
class Finding:
    """A violation of `control` by the resource `urn`, or (`unknown`) a check preview could not run."""

    control: str
    urn: str
    resource_name: str
    resource_type: str
    message: str
    unknown: bool = False


def judges_type(control: Control, type_: str) -> bool:
    """Whether `control` judges resources of the (canonical) type `type_`."""
    return ANY_TYPE in control.resource_types or type_ in control.resource_types


def evaluate_resource(control: Control, subject: Resource, index: Index) -> list[Finding]:
    """Judge one resource. [] when compliant or when the control does not apply to it."""
    if not judges_type(control, subject.type):
        return []
    try:
        if not control.applies(subject, index):
            return []
        messages = list(control.predicate(subject, index))
    except (UnknownValue, CannotJudge) as exc:
        return [Finding(control.id, subject.urn, subject.name, subject.type, str(exc), unknown=True)]
    return [Finding(control.id, subject.urn, subject.name, subject.type, m) for m in messages]


def evaluate(control: Control, resources: Iterable[Resource] | Index) -> list[Finding]:
    """Judge every resource of a stack (each resource the control applies to). Over an Index the result
    is kept with the index, so SR-GOV-004, which reads every other control's findings, does not judge the
    stack a second time."""
    if not isinstance(resources, Index):
        return _evaluate(control, Index(resources))
    index = resources
    judged: tuple[Control, list[Finding]] = index.memo(
        f"model.evaluate:{control.id}:{id(control)}", lambda: (control, _evaluate(control, index))
    )
    if judged[0] is not control:  # another control object under the same id and address: judge afresh
        return _evaluate(control, index)
    return list(judged[1])


def _evaluate(control: Control, index: Index) -> list[Finding]:
    findings: list[Finding] = []
    for subject in index.of_type(*control.resource_types):
        findings.extend(evaluate_resource(control, subject, index))
    return findings


def applicable(control: Control, subject: Resource, index: Index) -> bool:
    """Whether `control` judges `subject` at all (the NOT_APPLICABLE case otherwise)."""
    return judges_type(control, subject.type) and control.applies(subject, index)
