"""The digital key: the owner's view of a car's keys (primary account only: another account's VIN
is 404, a secondary account 403), invitations, and each account's own keys (a key or invitation
that is not the caller's is 404)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from linkplus.auth.deps import CurrentOwner
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage.deps import PrimaryVehicle
from linkplus.keys import service
from linkplus.keys.schemas import (
    AcceptIn,
    CarKeysOut,
    InviteCreatedOut,
    InviteForMeOut,
    InviteIn,
    InviteOut,
    KeyOut,
    OwnerKeyIn,
)

router = APIRouter(tags=["digital key"], responses=problem_responses(404, 409, 422))


@router.get("/vehicles/{vin}/keys")
async def car_keys(car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep) -> CarKeysOut:
    """The car's keys and invitations, with each revocation pending or confirmed by the car."""
    return await service.car_keys(session, runtime, car)


@router.post("/vehicles/{vin}/keys/owner", status_code=status.HTTP_201_CREATED)
async def owner_key(
    body: OwnerKeyIn, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> KeyOut:
    """The primary account's own phone key: send the phone's public key, get its certificate."""
    return await service.issue_owner_key(session, runtime, car, body)


@router.post("/vehicles/{vin}/keys/invites", status_code=status.HTTP_201_CREATED)
async def invite(
    body: InviteIn, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> InviteCreatedOut:
    """Invite a driver by e-mail; the share code in the answer is shown once, to pass on by
    another channel."""
    return await service.invite_by_owner(session, runtime, car, body)


@router.delete("/vehicles/{vin}/keys/invites/{invite_id}")
async def cancel_invite(
    invite_id: uuid.UUID, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> InviteOut:
    return await service.cancel_invite(session, runtime, car, invite_id)


@router.post("/vehicles/{vin}/keys/{key_id}/revoke")
async def revoke(
    key_id: uuid.UUID, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> KeyOut:
    """Revoke a key and what was shared from it; ``revocation`` stays ``pending`` until the car
    acknowledges the signed command."""
    out, revocation_id = await service.revoke_by_owner(session, runtime, car, key_id)
    if revocation_id is not None:
        await runtime.db.commit(session)
        await service.send_now(runtime, revocation_id=revocation_id)
    return out


@router.get("/keys")
async def my_keys(account: CurrentOwner, session: SessionDep) -> list[KeyOut]:
    """The caller's own keys, each active one with its certificate."""
    return await service.my_keys(session, account)


@router.get("/keys/invites/{invite_id}")
async def my_invite(
    invite_id: uuid.UUID, account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> InviteForMeOut:
    """An invitation sent to the caller's e-mail address."""
    return await service.invite_for_me(session, runtime, account, invite_id)


@router.post("/keys/invites/{invite_id}/accept", status_code=status.HTTP_201_CREATED)
async def accept(
    invite_id: uuid.UUID,
    body: AcceptIn,
    account: CurrentOwner,
    session: SessionDep,
    runtime: RuntimeDep,
) -> KeyOut:
    """Accept with the share code and the phone's public key; the answer has the certificate."""
    return await service.accept(session, runtime, account, invite_id, body)


@router.post("/keys/{key_id}/invites", status_code=status.HTTP_201_CREATED)
async def reshare(
    key_id: uuid.UUID,
    body: InviteIn,
    account: CurrentOwner,
    session: SessionDep,
    runtime: RuntimeDep,
) -> InviteCreatedOut:
    """A full driver shares on; revoking their key revokes what they shared."""
    return await service.reshare(session, runtime, account, key_id, body)


@router.post("/keys/{key_id}/remove")
async def remove(
    key_id: uuid.UUID, account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> KeyOut:
    """The holder removes their own key (and what they shared from it)."""
    out, revocation_id = await service.remove_own(session, runtime, account, key_id)
    if revocation_id is not None:
        await runtime.db.commit(session)
        await service.send_now(runtime, revocation_id=revocation_id)
    return out
