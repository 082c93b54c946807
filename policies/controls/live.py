"""Controls only the live audit can judge: drift from the plan, and the state of what is deployed.

They are not in the CrossGuard pack (a preview has no deployed state to compare with); the catalog keeps
them in ``LIVE_ONLY`` so the audit, the report and ``strongroom controls`` read one declaration. The
comparison itself is :mod:`policies.drift`, pure like every predicate.
"""

from __future__ import annotations

from collections.abc import Iterator

from strongroom.policies.drift import Drift, changes, pair
from strongroom.policies.model import Control
from strongroom.policies.props import ANY_TYPE, Index, Resource

_LIVE = frozenset({"live"})
_NOTE = "Drift from the declared configuration is judged against the stack's own plan."


def drift_of(index: Index) -> Drift:
    """The pairing of the plan (``index.context.planned``) with the live index, computed once."""
    result: Drift = index.memo(
        "live.drift", lambda: pair(index.context.planned, index, index.context.read_types)
    )
    return result


def _missing(subject: Resource, index: Index) -> Iterator[str]:
    if any(subject is m for m in drift_of(index).missing):
        yield (
            f"{subject.label} ({subject.type}) is declared by the stack but was not found in the account: "
            "deleted, or never deployed"
        )


def _undeclared(subject: Resource, index: Index) -> Iterator[str]:
    if any(subject is u for u in drift_of(index).undeclared):
        yield (
            f"{subject.label} ({subject.type}) is part of the environment but the stack does not declare it: "
            "created or attached outside Pulumi"
        )


def _changed(subject: Resource, index: Index) -> Iterator[str]:
    drift = drift_of(index)
    planned = drift.partner(subject)
    if planned is not None:
        yield from changes(planned, subject, drift.substitution)


_KEY_USABLE = ("Enabled",)


def _key_state(subject: Resource, _index: Index) -> Iterator[str]:
    state = subject.get("keyState")
    if state is None:
        return
    if state not in _KEY_USABLE:
        yield (
            f"KMS key {subject.label} is {state}: data encrypted under it cannot be read"
            + (" and is lost when the deletion completes" if state == "PendingDeletion" else "")
        )


LIVE_ONLY: tuple[Control, ...] = (
    Control(
        id="SR-GOV-010",
        title="Every resource the stack declares exists in the account",
        severity="high",
        enforcement="mandatory",
        resource_types=(ANY_TYPE,),
        scope="stack",
        enforced_in=_LIVE,
        rationale=(
            "A control that was deleted protects nothing: a deleted flow log, endpoint, trail or backup "
            "configuration is a hole the plan still promises to fill."
        ),
        frameworks={"NIST-800-53-r5": ("CM-2", "CM-3", "CM-6", "SI-7"), "AWS-FSBP": ("Config.1",)},
        remediation=(
            "Run `pulumi up` for the stack to recreate it, after finding out who deleted it (CloudTrail)."
        ),
        predicate=_missing,
        framework_note=_NOTE,
        tags=("drift",),
    ),
    Control(
        id="SR-GOV-011",
        title="Nothing is part of the environment that the stack does not declare",
        severity="high",
        enforcement="mandatory",
        resource_types=(ANY_TYPE,),
        scope="stack",
        enforced_in=_LIVE,
        rationale=(
            "What was created or attached by hand (an internet gateway, a route, a policy on a stack role) "
            "escapes review and the policy gate; it is how a perimeter is opened after deployment."
        ),
        frameworks={"NIST-800-53-r5": ("CM-2", "CM-3", "CM-7", "CM-8"), "AWS-FSBP": ("Config.1",)},
        remediation=(
            "Remove it, or declare it in the program so it passes the gate; then find out who added it."
        ),
        predicate=_undeclared,
        framework_note=_NOTE,
        tags=("drift",),
    ),
    Control(
        id="SR-GOV-012",
        title="Deployed settings are the settings the stack declares",
        severity="high",
        enforcement="mandatory",
        resource_types=(ANY_TYPE,),
        scope="stack",
        enforced_in=_LIVE,
        rationale=(
            "A setting changed in the console (a policy widened, versioning suspended, a key swapped) "
            "differs from what was reviewed, even when it still passes a control."
        ),
        frameworks={"NIST-800-53-r5": ("CM-2", "CM-3", "CM-6", "SI-7"), "AWS-FSBP": ("Config.1",)},
        remediation=(
            "Run `pulumi up` to restore the declared settings (`pulumi refresh` shows the change first)."
        ),
        predicate=_changed,
        framework_note=_NOTE,
        tags=("drift",),
    ),
    Control(
        id="SR-ENC-041",
        title="KMS keys are enabled and not pending deletion",
        severity="critical",
        enforcement="mandatory",
        resource_types=("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"),
        scope="resource",
        enforced_in=_LIVE,
        rationale=(
            "A disabled key makes every object, log and volume under it unreadable; a key pending deletion "
            "destroys them for good when the window ends: ransom by key."
        ),
        frameworks={"NIST-800-53-r5": ("SC-12", "SC-28", "CP-9"), "AWS-FSBP": ("KMS.3",)},
        remediation=(
            "`aws kms cancel-key-deletion` then `aws kms enable-key` for the key; find who scheduled it in "
            "CloudTrail (ScheduleKeyDeletion, DisableKey) and remove that permission."
        ),
        predicate=_key_state,
        tags=("encryption", "resilience"),
    ),
)
