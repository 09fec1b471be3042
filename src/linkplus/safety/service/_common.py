"""What the safety service modules share: the case timeline (each entry also in the audit log
when a person acted) and the staff roles of each kind of case."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.models.safety import CaseKind, CaseState, SafetyCase
from linkplus.safety import repository
from linkplus.safety.errors import CaseNotFound

EMERGENCY_KINDS = (CaseKind.sos.value, CaseKind.collision.value)
THEFT_KINDS = (CaseKind.theft.value,)

ROLE_KINDS: dict[str, tuple[str, ...]] = {
    StaffRole.emergency_agent.value: EMERGENCY_KINDS,
    StaffRole.svt_agent.value: THEFT_KINDS,
    StaffRole.supervisor.value: EMERGENCY_KINDS + THEFT_KINDS,
    StaffRole.admin.value: EMERGENCY_KINDS + THEFT_KINDS,
}


def holds(case: SafetyCase, staff: StaffAccount) -> bool:
    """``staff`` works this case: it is open and they took it (need to know)."""
    return case.taken_by == staff.id and case.state != CaseState.closed.value


def case_is_reason(case: SafetyCase, staff: StaffAccount) -> bool:
    """The agent works this case: it is open and theirs, or still waiting in their queue. Then
    the case is the reason for seeing its trail; a case another agent holds (a supervisor's
    review) or a closed one needs a reason given."""
    return case.state != CaseState.closed.value and case.taken_by in (None, staff.id)


def case_subject(case_id: uuid.UUID) -> str:
    """What the console remembers a reason for when it shows a case's trail."""
    return f"case:{case_id}"


def kinds_for(staff: StaffAccount) -> tuple[str, ...]:
    """The kinds of case ``staff`` works on (none for dealers and customer-centre agents)."""
    return ROLE_KINDS.get(staff.role, ())


async def note(
    session: AsyncSession,
    case: SafetyCase,
    *,
    at: datetime,
    actor_type: str,
    actor_id: str | None,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """One line of the case's timeline; what a person did is also audited."""
    await repository.add_entry(
        session,
        case_id=case.id,
        at=at,
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        detail=detail,
    )
    if actor_type in ("staff", "owner", "police"):
        await audit.record(
            session,
            now=at,
            actor_type=actor_type,
            actor_id=actor_id,
            action=f"safety.{action}",
            subject_type="safety_case",
            subject_id=str(case.id),
            details={"vin": case.vin, **(detail or {})},
        )


async def staff_case(
    session: AsyncSession, staff: StaffAccount, case_id: uuid.UUID, *, for_update: bool = False
) -> SafetyCase:
    """The case if ``staff``'s role works on its kind, else the same 404 as a missing one."""
    case = await repository.get_case(session, case_id, for_update=for_update)
    if case is None or case.kind not in kinds_for(staff):
        raise CaseNotFound()
    return case
