"""StackReferences offline: the outputs of another stack, from that stack's own offline plan.

A program reads another stack's outputs with ``pulumi.StackReference("<org>/<project>/<stack>")``. The SDK
reads it as the custom resource ``pulumi:pulumi:StackReference`` (id and input ``name``: the reference),
and the engine answers with ``outputs`` (the referenced stack's exports) and ``secretOutputNames``.

Offline there is no backend to ask, so the referencing stack's config file says where each referenced
project lives, under the key ``strongroom:stackReferences`` (read by ``strongroom plan``/``check`` only; a
program never reads it, and the Pulumi CLI passes it on untouched)::

    config:
      strongroom:stackReferences:
        acme/strongroom/dev: ../..     # the project directory (holding Pulumi.yaml), relative to this one

The referenced project is planned offline first, for the stack named last in the reference, and its root
stack's outputs answer the reference. The project named in the reference must be the one in that
directory's ``Pulumi.yaml``; the organization is not checked (offline there is none). An entry that
cannot be planned is a usage error naming the stack file, the reference and the fix. A reference the
program makes that has no entry is answered with unknown outputs, as a preview of a stack that does not
exist yet would be, and the plan carries a warning naming the reference and the key to set.

Secretness is not carried over: the referenced plan records its exports as plain values, so
``secretOutputNames`` is empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from strongroom.engine.monitor import STACK_REFERENCE_TYPE, STACK_REFERENCES_KEY
from strongroom.engine.plan import STACK_TYPE, Plan
from strongroom.engine.project import Project, StackConfig, load_project, validate_stack_name
from strongroom.errors import ProgramFailed, UsageError

CONFIG_KEY = STACK_REFERENCES_KEY
__all__ = ["CONFIG_KEY", "STACK_REFERENCE_TYPE", "resolve_stack_references", "stack_reference_targets"]


@dataclass(frozen=True)
class StackReferenceTarget:
    """One entry of ``strongroom:stackReferences``: the reference and the project and stack it plans."""

    reference: str
    project: Project
    stack: str


def stack_reference_targets(project: Project, stack: str, config: StackConfig) -> list[StackReferenceTarget]:
    """The entries of ``strongroom:stackReferences`` in ``stack``'s config, each checked: the reference is
    ``<org>/<project>/<stack>`` (or ``<project>/<stack>``), the directory holds a Pulumi project of that
    name, and it has a config file for that stack. Raises :class:`UsageError` naming the stack file, the
    reference and what is accepted."""
    raw = config.values.get(CONFIG_KEY)
    if raw is None:
        return []
    source = project.display(project.stack_file(stack))
    try:
        mapping: Any = json.loads(raw)
    except json.JSONDecodeError:
        mapping = raw
    if not isinstance(mapping, dict):
        raise UsageError(
            f"{source}: {CONFIG_KEY} = {mapping!r}; accepted: a map of stack reference "
            "('<org>/<project>/<stack>') to the referenced project's directory, e.g. "
            "{acme/strongroom/dev: ../strongroom}."
        )
    targets = []
    for reference, directory in mapping.items():
        where = f"{source}: {CONFIG_KEY}.{reference}"
        parts = str(reference).split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise UsageError(
                f"{where}: the reference {reference!r} is not a stack name; accepted: "
                "'<org>/<project>/<stack>' exactly as the program passes it to pulumi.StackReference."
            )
        if not isinstance(directory, str) or not directory:
            raise UsageError(
                f"{where} = {directory!r}; accepted: the referenced project's directory (holding its "
                f"Pulumi.yaml), absolute or relative to {project.directory}."
            )
        path = (project.directory / directory).resolve()
        if not (path / "Pulumi.yaml").is_file() and not (path / "Pulumi.yml").is_file():
            raise UsageError(
                f"{where} = {directory!r}: {path} holds no Pulumi.yaml, so the outputs of {reference!r} "
                "cannot be planned offline. Fix: point the entry at the directory of the referenced "
                f"project, or remove it to plan with the outputs of {reference!r} unknown."
            )
        referenced = load_project(path)
        project_name, ref_stack = parts[-2], parts[-1]
        if referenced.name != project_name:
            raise UsageError(
                f"{where} = {directory!r}: {path} is project {referenced.name!r}, but {reference!r} names "
                f"project {project_name!r}. Fix: point the entry at project {project_name!r}'s directory."
            )
        try:
            validate_stack_name(ref_stack)
        except UsageError as exc:
            raise UsageError(f"{where}: {exc}") from None
        if not referenced.stack_file(ref_stack).is_file():
            stacks = ", ".join(referenced.stacks()) or "none"
            raise UsageError(
                f"{where} = {directory!r}: project {referenced.name!r} has no config file for stack "
                f"{ref_stack!r} ({referenced.stack_file(ref_stack)}); its stacks: {stacks}. Fix: reference "
                "one of them, or create that stack's config file."
            )
        targets.append(StackReferenceTarget(reference=str(reference), project=referenced, stack=ref_stack))
    return targets


def stack_outputs(plan: Plan) -> dict[str, Any]:
    """The root stack's outputs (the program's exports) in ``plan``."""
    for resource in plan:
        if resource.type == STACK_TYPE:
            return dict(resource.outputs or {})
    return {}


def resolve_stack_references(
    project: Project,
    stack: str,
    config: StackConfig,
    *,
    account: str,
    timeout: float,
    referencing: tuple[str, ...] = (),
) -> dict[str, dict[str, Any]]:
    """Plan every stack ``strongroom:stackReferences`` maps and return reference -> its stack outputs.
    A cycle of references, or a referenced stack with a usage error, is a usage error naming the
    reference; a referenced program that fails is :class:`ProgramFailed` (not evaluated), naming it too."""
    from strongroom.engine.runner import run_plan

    here = f"{project.name}/{stack}"
    source = project.display(project.stack_file(stack))
    outputs: dict[str, dict[str, Any]] = {}
    for target in stack_reference_targets(project, stack, config):
        there = f"{target.project.name}/{target.stack}"
        if there in (*referencing, here):
            chain = " -> ".join((*referencing, here, there))
            raise UsageError(
                f"{source}: {CONFIG_KEY}.{target.reference}: the stack references form a cycle ({chain}); "
                "a stack cannot depend on its own outputs. Fix: remove one of the entries."
            )
        try:
            plan = run_plan(
                target.project.directory,
                target.stack,
                account=account,
                timeout=timeout,
                _referencing=(*referencing, here),
            )
        except (UsageError, ProgramFailed) as exc:
            prefix = f"{source}: {CONFIG_KEY}.{target.reference}: the referenced stack could not be planned"
            raise type(exc)(f"{prefix} offline: {exc}") from None
        outputs[target.reference] = stack_outputs(plan)
    return outputs
