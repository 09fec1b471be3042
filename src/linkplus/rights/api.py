"""The owner's data rights: ``/account/erasure`` (preview, request, cancel)."""

from __future__ import annotations

from fastapi import APIRouter, status

from linkplus.auth.deps import CurrentOwner
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.rights import erasure
from linkplus.rights.schemas import ErasureIn, ErasurePreviewOut, ErasureRequestOut

router = APIRouter(tags=["rights"])

# --- erasure ---------------------------------------------------------------------------------


@router.get("/account/erasure")
async def erasure_preview(
    owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> ErasurePreviewOut:
    """What erasing the account would erase, what is kept and by which rule, and the request in
    its grace period when there is one."""
    return await erasure.preview(session, runtime, owner)


@router.post(
    "/account/erasure",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(403, 409),
)
async def request_erasure(
    data: ErasureIn, owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> ErasureRequestOut:
    """Erase the account after the grace period (the password again); it can be cancelled
    until then."""
    return await erasure.request_erasure(session, runtime, owner, data)


@router.delete("/account/erasure", responses=problem_responses(404, 409))
async def cancel_erasure(
    owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> ErasureRequestOut:
    """Cancel the erasure while its grace period runs."""
    return await erasure.cancel_erasure(session, runtime, owner)
