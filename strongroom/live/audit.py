"""``strongroom audit``: the deployed environment judged by the same controls as the offline check.

1. The offline plan of the same stack, planned as the audited account (so its ARNs name that account):
   what should exist.
2. The readers (:mod:`strongroom.live.readers`) find the environment by its tag and read it, read-only,
   into the resource model the pack's predicates read. Types whose API the endpoint does not implement
   (:class:`~strongroom.live.readers.Unread`: moto's gaps) are noted and treated as types no reader reads.
3. Every control of :data:`policies.catalog.LIVE_CATALOG` judges the live index: the catalog's controls
   marked ``live`` (the same predicates as preview) and the live-only ones (drift from the plan, key
   state). The context is the check's: the stack, its perimeter and regions from the stack config.
4. One :class:`strongroom.report.Report` with source ``live`` and resources named by ARN or ID, in the
   check's formats and exit codes. A read the caller may not make, or that stays throttled, leaves its
   area unevaluated (exit 3 unless a mandatory violation decides) with the action named.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strongroom.errors import UsageError
from strongroom.live.aws import Aws, LiveError
from strongroom.live.readers import ACCOUNT_WIDE, Scope, Unread, read_all, read_types
from strongroom.policies.model import Control, Finding, evaluate, evaluate_resource
from strongroom.policies.props import Index, Resource
from strongroom.report import Report, Rule, Violation

if TYPE_CHECKING:
    from strongroom.engine.plan import Plan

SOURCE = "live"


@dataclass(frozen=True)
class Planned:
    """What the audit compares the account with: the stack's plan (stack view), config and regions."""

    stack: str
    resources: tuple[Resource, ...]
    config: Mapping[str, Any]
    region: str
    regions: tuple[str, ...]
    artifact: str


def planned_stack(project_dir: Path, stack: str, account: str, *, use_cache: bool = True) -> Planned:
    """The offline plan of ``stack`` as ``account`` (through the plan cache unless ``use_cache`` is off),
    as the stack policies see it."""
    from strongroom.engine import load_project, run_plan

    project = load_project(Path(project_dir))
    plan = None
    cache = None
    key = ""
    if use_cache:
        from strongroom.plancache import PlanCache, SourceDigest

        cache = PlanCache()
        key = SourceDigest.of(project).key(stack, account)
        hit = cache.get(key, stack)
        plan = hit[0] if hit is not None else None
    if plan is None:
        plan = run_plan(project.directory, stack, account=account)
        if cache is not None:
            cache.put(key, plan)
    return planned_of(plan, project_dir)


def planned_of(plan: Plan, project_dir: Path) -> Planned:
    """What the audit compares with, from a plan of the project in ``project_dir``: the plan's stack view,
    the stack config and the regions it deploys to (``aws:region`` and the backup replica region)."""
    from strongroom.check import repo_relative
    from strongroom.engine import load_project, load_stack_config
    from strongroom.inprocess import stack_view

    project = load_project(Path(project_dir))
    values = dict(load_stack_config(project, plan.stack).values)
    region = str(values.get("aws:region") or "")
    backup = values.get("strongroom:backup")
    if isinstance(backup, str):
        try:
            backup = json.loads(backup)
        except ValueError:
            backup = None
    replica = backup.get("replicaRegion") if isinstance(backup, dict) else None
    return Planned(
        stack=plan.stack,
        resources=tuple(stack_view(plan)),
        config=values,
        region=region,
        regions=tuple(r for r in (region, replica) if isinstance(r, str) and r),
        artifact=repo_relative(project.stack_file(plan.stack)),
    )


def _rules(controls: Sequence[Control], stack: str) -> dict[str, Rule]:
    return {
        c.id: Rule(
            id=c.id,
            title=c.title,
            severity=c.severity,
            enforcement=c.enforcement_for(stack),
            description=c.rationale,
            remediation=c.remediation,
            tags=c.tags,
            frameworks=dict(c.frameworks),
        )
        for c in controls
    }


def _violation(control: Control, finding: Finding, stack: str) -> Violation:
    return Violation(
        control=control.id,
        title=control.title,
        severity=control.severity,
        enforcement=control.enforcement_for(stack),
        resource_urn=finding.urn,
        resource_type=finding.resource_type,
        resource_name=finding.resource_name,
        message=finding.message,
        source=SOURCE,
    )


def judge(
    live: Sequence[Resource],
    planned: Planned,
    account: str,
    controls: Sequence[Control],
    types: frozenset[str] | None = None,
) -> Report:
    """The live resources judged by ``controls``, against the plan, in one report (pure: no AWS).
    ``types``: the types the audit reads (default: every reader's), the only ones drift is judged on."""
    from strongroom.policies.config import context

    base = context(None, planned.stack, stack_config=planned.config)
    types = read_types() if types is None else types
    ctx = dataclasses.replace(
        base,
        trusted_accounts=base.trusted_accounts | {account},
        planned=tuple(r for r in planned.resources if r.type in types),
        read_types=types,
    )
    index = Index(live, ctx)
    violations: list[Violation] = []
    unjudged: list[str] = []
    for control in controls:
        if control.id == "SR-GOV-010":  # judged on each planned resource the audit could have found
            findings = [f for p in ctx.planned for f in evaluate_resource(control, p, index)]
        else:
            findings = evaluate(control, index)
        for finding in findings:
            if finding.unknown:
                unjudged.append(f"{control.id} {finding.resource_name}: {finding.message}")
            else:
                violations.append(_violation(control, finding, planned.stack))
    failed = {v.control for v in violations}
    report = Report(
        stack=planned.stack,
        resources=len(live),
        controls=len(controls),
        violations=violations,
        passed_controls=sorted(c.id for c in controls if c.id not in failed),
        sources={SOURCE: "boto3"},
        rules=_rules(controls, planned.stack),
        artifact=planned.artifact,
    )
    report.notes.extend(f"could not judge: {u}" for u in unjudged)
    return report


def _present(aws: Aws, stack: str) -> bool:
    """Whether the region holds anything tagged for the environment (``tag:GetResources``: one call; a
    caller that may not make it is not stopped here, the readers say what they could not read)."""
    from strongroom.components.tags import ENVIRONMENT_TAG

    try:
        found = aws.pages(
            "resourcegroupstaggingapi",
            "get_resources",
            "ResourceTagMappingList",
            TagFilters=[{"Key": ENVIRONMENT_TAG, "Values": [stack]}],
        )
    except LiveError:
        return True
    return any(f":{aws.region}:" in str(r.get("ResourceARN", "")) for r in found)


def require_environment(aws: Aws, stack: str, configured_region: str | None) -> None:
    """Raise :class:`UsageError` when the region of ``aws`` holds nothing tagged
    ``strongroom:environment=<stack>`` (the wrong region or account; one ``tag:GetResources`` read).
    ``strongroom audit`` asks before it plans the stack, so the mistake is named at once;
    :func:`audit` asks too, unless told its caller did."""
    if not _present(aws, stack):
        caller = aws.caller()
        raise UsageError(
            f"--region {aws.region}: no resource tagged strongroom:environment={stack} in account "
            f"{caller['Account']} ({caller['Arn']}); accepted: the region and account the stack deploys to "
            f"(its config says aws:region={configured_region or 'unset'})"
        )


def audit(
    aws: Aws,
    planned: Planned,
    controls: Sequence[Control] | None = None,
    *,
    environment_checked: bool = False,
) -> Report:
    """Read the environment of ``planned.stack`` in the account of ``aws`` and judge it
    (``environment_checked``: the caller has already asked :func:`require_environment`)."""
    from strongroom.components.environment import iam_path
    from strongroom.policies.catalog import LIVE_CATALOG

    caller = aws.caller()
    account = caller["Account"]
    before = len(aws.calls)
    if not environment_checked:
        require_environment(aws, planned.stack, planned.region)
    scope = Scope(
        stack=planned.stack,
        account=account,
        partition=aws.partition,
        region=aws.region,
        regions=planned.regions if aws.region in planned.regions else (aws.region,),
        iam_path=iam_path(planned.stack),
    )
    live: list[Resource] = []
    unevaluated: list[str] = []
    unread: set[str] = set()
    unimplemented: list[Unread] = []  # types the endpoint cannot answer for (moto's gaps): as if unread
    declared = {r.type for r in planned.resources}
    elsewhere: set[str] = set()
    for area, types, resources in read_all(aws, scope):
        if area in ACCOUNT_WIDE and not declared & set(types):
            elsewhere.update(types)  # another stack's (or nobody's): neither judged nor compared here
            continue
        try:
            items = list(resources)  # an area is judged whole or not at all
        except LiveError as exc:
            unevaluated.append(f"{area}: {exc.message}")
            unread.update(types)
            continue
        live.extend(r for r in items if isinstance(r, Resource))
        unimplemented.extend(u for u in items if isinstance(u, Unread))
    chosen = LIVE_CATALOG if controls is None else controls
    judged = [c for c in chosen if not unread & set(c.resource_types)]
    unevaluated.extend(f"{c.id}: not judged, its resources were not read" for c in chosen if c not in judged)
    not_read = {t for u in unimplemented for t in u.types}
    report = judge(live, planned, account, judged, read_types() - unread - not_read - elsewhere)
    report.unevaluated.extend(unevaluated)
    report.notes.extend(f"not read: {u.reason} ({', '.join(u.types)})" for u in unimplemented)
    report.notes.insert(
        0,
        f"live audit of account {account} as {caller['Arn']}, regions {', '.join(scope.regions)}: "
        f"{len(live)} resources read with {len(aws.calls) - before} API calls",
    )
    return report
