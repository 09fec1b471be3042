"""The owner's API of "who saw my data": GET /api/v1/privacy/access-records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from linkplus.auth.deps import CurrentOwner
from linkplus.deps import SessionDep
from linkplus.kit.parsing import INT64_MAX, StrictInt
from linkplus.rights import access
from linkplus.rights.access_schemas import AccessRecordPage

router = APIRouter(prefix="/privacy", tags=["privacy"])
RecordNumber = Annotated[int, StrictInt(1, INT64_MAX)]


@router.get("/access-records")
async def access_records(
    owner: CurrentOwner,
    session: SessionDep,
    before: Annotated[
        RecordNumber | None, Query(description="next_before of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=access.PAGE_MAX)] = access.PAGE_DEFAULT,
) -> AccessRecordPage:
    """Each time staff saw your personal data: when, their role and organisation, why and
    what, newest first. Staff names stay private."""
    return await access.access_records(session, account_id=owner.id, before=before, limit=limit)
