"""Digital keys: the owner's phone key, invitations with share codes, keys for invited drivers,
revocation (with what was shared from a key) as a signed command the car acknowledges, and the
keys withdrawn at once when the car changes hands.

Rules (docs/keys.md): the owner key is the primary account's only, while the digital-key service
is active; a car has at most ``MAX_KEYS_PER_CAR`` active keys and open invitations; nothing is
issued while stolen-vehicle tracking runs (keys are shown suspended, and the car refuses them).
Every key event is audited and told to the car's primary account.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

import structlog
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.config import Settings
from linkplus.connected_services import service as connected_services
from linkplus.garage import service as garage
from linkplus.garage.service.access import CallerVehicle
from linkplus.jobs import cancel as cancel_job
from linkplus.jobs import enqueue
from linkplus.keys import certificates, repository
from linkplus.keys.certificates import BadPublicKey, Certificate, Limits
from linkplus.keys.errors import (
    BadLimits,
    CannotShare,
    InviteClosed,
    InviteNotFound,
    KeyNotFound,
    KeyRevoked,
    KeysSuspended,
    OwnerKeyExists,
    ServiceNotActive,
    TooManyKeys,
    WrongShareCode,
)
from linkplus.keys.errors import BadPublicKey as NotAPublicKey
from linkplus.keys.rules import (
    INVITE_LIFETIME,
    KEY_REVOKE,
    MAX_KEYS_PER_CAR,
    MAX_SHARED_VALIDITY,
    OWNER_KEY_VALIDITY,
    RESEND_AFTER,
    REVOCATION_LIFETIME,
    SERVICE,
    SHARE_CODE_ALPHABET,
    SHARE_CODE_LENGTH,
    SHARE_CODE_TRIES,
)
from linkplus.keys.schemas import (
    AcceptIn,
    CarKeysOut,
    HandoverOut,
    InviteCreatedOut,
    InviteForMeOut,
    InviteIn,
    InviteOut,
    KeyOut,
    LimitsOut,
    OwnerKeyIn,
    SendRevocationJob,
)
from linkplus.kit.secrets import same, token_hash
from linkplus.models.accounts import Account
from linkplus.models.keys import (
    DigitalKey,
    InviteState,
    KeyInvite,
    KeyRevocation,
    KeyRole,
    KeyState,
)
from linkplus.models.notifications import Category
from linkplus.notifications import service as notifications
from linkplus.notifications.links import CarPage, car_page
from linkplus.remote import service as remote
from linkplus.remote import signing
from linkplus.runtime import Runtime
from linkplus.seams.commands import PublishFailed
from linkplus.vehicles import service as vehicles

log = structlog.get_logger("linkplus.keys")

# --- the key authority -------------------------------------------------------------------------


def authority(settings: Settings, vin: str) -> ec.EllipticCurvePrivateKey:
    """The car's key authority (derived like its command key: ``certificates``)."""
    return certificates.authority_key(signing.master_secret(settings), vin)


def authority_public_text(settings: Settings, vin: str) -> str:
    """The authority's public key as the car is provisioned with it."""
    return certificates.encode_public(authority(settings, vin).public_key())


# --- reading -------------------------------------------------------------------------------------


def _clock(minute: int | None) -> str | None:
    return None if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


def limits_out(limits: dict[str, object]) -> LimitsOut:
    found = Limits.from_json(dict(limits))
    return LimitsOut(
        days=list(found.days) if found.days is not None else None,
        hours_from=_clock(found.hours[0]) if found.hours else None,
        hours_to=_clock(found.hours[1]) if found.hours else None,
        time_zone=found.tz,
        max_speed_kmh=found.max_speed_kmh,
    )


def key_out(
    key: DigitalKey,
    *,
    suspended: bool,
    revocation: KeyRevocation | None,
    holder: str | None = None,
    with_certificate: bool = False,
) -> KeyOut:
    state: str = key.state
    if state == KeyState.active.value and suspended:
        state = "suspended"
    confirmed = revocation.confirmed_at if revocation is not None else None
    return KeyOut(
        id=key.id,
        vin=key.vin,
        role=key.role,
        state=state,
        name=key.name,
        holder=holder,
        parent_id=key.parent_id,
        not_before=key.not_before,
        not_after=key.not_after,
        limits=limits_out(key.limits),
        created_at=key.created_at,
        revoked_at=key.revoked_at,
        revoked_by=key.revoked_by,
        revocation=(
            None
            if key.state != KeyState.revoked.value
            else ("confirmed" if confirmed is not None else "pending")
        ),
        confirmed_at=confirmed,
        certificate=key.certificate if with_certificate else None,
    )


def invite_out(invite: KeyInvite) -> InviteOut:
    return InviteOut(
        id=invite.id,
        vin=invite.vin,
        email=invite.email,
        role=invite.role,
        state=invite.state,
        limits=limits_out(invite.limits),
        not_before=invite.not_before,
        not_after=invite.not_after,
        created_at=invite.created_at,
        expires_at=invite.expires_at,
    )


async def suspended(session: AsyncSession, vin: str) -> bool:
    """Keys are suspended while stolen-vehicle tracking has remote control off."""
    return await remote.stolen_vehicle_tracking_active(session, vin=vin)


async def car_keys(session: AsyncSession, runtime: Runtime, caller: CallerVehicle) -> CarKeysOut:
    """The owner's view of the car's keys: those made in the caller's time as primary account
    (the previous owner's keys are not shown, only that they were revoked), and invitations."""
    vin = caller.vehicle.vin
    keys = [
        k
        for k in await repository.keys_of_car(session, vin)
        if caller.tenure.covers(k.created_at) and k.revoked_by != "ownership"
    ]
    invites = [
        i
        for i in await repository.invites_of_car(session, vin)
        if caller.tenure.covers(i.created_at)
    ]
    is_suspended = await suspended(session, vin)
    found = await repository.revocations(
        session, [k.revocation_id for k in keys if k.revocation_id]
    )
    emails = await repository.emails_of(session, [k.account_id for k in keys if k.account_id])
    return CarKeysOut(
        vin=vin,
        cap=MAX_KEYS_PER_CAR,
        service_active=await connected_services.is_active(
            session, runtime, vin=vin, service=SERVICE
        ),
        suspended=is_suspended,
        keys=[
            key_out(
                k,
                suspended=is_suspended,
                revocation=found.get(k.revocation_id) if k.revocation_id else None,
                holder=emails.get(k.account_id) if k.account_id else None,
            )
            for k in keys
        ],
        invites=[invite_out(i) for i in invites],
        handover=[
            HandoverOut(
                keys=len(r.key_ids), requested_at=r.requested_at, confirmed_at=r.confirmed_at
            )
            for r in await repository.revocations_of_car(session, vin, reason="ownership")
            if caller.tenure.covers(r.requested_at)
        ],
    )


async def my_keys(session: AsyncSession, account: Account) -> list[KeyOut]:
    """The keys the account holds, with their certificates (what its phone presents)."""
    keys = await repository.keys_of_account(session, account.id)
    found = await repository.revocations(
        session, [k.revocation_id for k in keys if k.revocation_id]
    )
    out = []
    for key in keys:
        out.append(
            key_out(
                key,
                suspended=await suspended(session, key.vin),
                revocation=found.get(key.revocation_id) if key.revocation_id else None,
                with_certificate=key.state == KeyState.active.value,
            )
        )
    return out


async def my_key(session: AsyncSession, account: Account, key_id: uuid.UUID) -> DigitalKey:
    key = await repository.get_key(session, key_id)
    if key is None or key.account_id != account.id:
        raise KeyNotFound()
    return key


# --- issuing -------------------------------------------------------------------------------------


def _public_key(text: str) -> str:
    try:
        certificates.decode_public(text)
    except BadPublicKey as exc:
        raise NotAPublicKey() from exc
    return text


async def _require_can_issue(session: AsyncSession, runtime: Runtime, vin: str) -> None:
    if not await connected_services.is_active(session, runtime, vin=vin, service=SERVICE):
        raise ServiceNotActive()
    if await suspended(session, vin):
        raise KeysSuspended()
    if await repository.count_open(session, vin, now=runtime.clock.now()) >= MAX_KEYS_PER_CAR:
        raise TooManyKeys(MAX_KEYS_PER_CAR)


def _new_key(
    runtime: Runtime,
    *,
    vin: str,
    account_id: uuid.UUID,
    role: KeyRole,
    name: str,
    public_key: str,
    not_before: datetime,
    not_after: datetime,
    limits: Limits,
    parent_id: uuid.UUID | None,
    invite_id: uuid.UUID | None,
) -> DigitalKey:
    key_id = uuid.uuid4()
    certificate = certificates.issue(
        authority(runtime.settings, vin),
        Certificate(
            key_id=key_id,
            vin=vin,
            role=role.value,
            public_key=public_key,
            not_before=certificates.unix(not_before),
            not_after=certificates.unix(not_after),
            limits=limits,
            parent=parent_id,
        ),
    )
    return DigitalKey(
        id=key_id,
        vin=vin,
        account_id=account_id,
        parent_id=parent_id,
        invite_id=invite_id,
        role=role.value,
        state=KeyState.active.value,
        name=name.strip(),
        public_key=public_key,
        certificate=certificate,
        not_before=not_before,
        not_after=not_after,
        limits=limits.as_json(),
        created_at=runtime.clock.now(),
    )


async def issue_owner_key(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, body: OwnerKeyIn
) -> KeyOut:
    """The primary account's own phone key (one per car, while the service is active)."""
    vin = caller.vehicle.vin
    public_key = _public_key(body.public_key)
    active = await repository.active_keys_of_car(session, vin, for_update=True)
    if any(k.role == KeyRole.owner.value for k in active):
        raise OwnerKeyExists()
    await _require_can_issue(session, runtime, vin)
    now = runtime.clock.now()
    key = _new_key(
        runtime,
        vin=vin,
        account_id=caller.account.id,
        role=KeyRole.owner,
        name=body.name,
        public_key=public_key,
        not_before=now,
        not_after=now + OWNER_KEY_VALIDITY,
        limits=Limits(tz=caller.account.time_zone),
        parent_id=None,
        invite_id=None,
    )
    await repository.add(session, key)
    await _event(
        session,
        runtime,
        vin=vin,
        action="issued",
        actor=("owner", caller.account.id),
        details={"key_id": str(key.id), "role": key.role},
        title="Owner key made",
        body=f"Your phone key “{key.name}” opens your car now.",
    )
    return key_out(key, suspended=False, revocation=None, with_certificate=True)


def _minute(text: str | None) -> int | None:
    if text is None:
        return None
    clock = time.fromisoformat(text)
    return clock.hour * 60 + clock.minute


@dataclass(frozen=True)
class _Terms:
    role: KeyRole
    limits: Limits
    not_before: datetime
    not_after: datetime


def terms_of(body: InviteIn, *, now: datetime, zone: str, parent: DigitalKey | None) -> _Terms:
    """The role, limits and validity an invitation asks for, checked (``BadLimits``)."""
    role = KeyRole(body.role)
    limited = (body.days, body.hours_from, body.hours_to, body.max_speed_kmh)
    if role is KeyRole.full and any(value is not None for value in limited):
        raise BadLimits(
            "A full driver has no days, hours or speed limit. Choose a limited driver for those."
        )
    if (body.hours_from is None) != (body.hours_to is None):
        raise BadLimits("Give both hours (from and to), or neither.")
    start, end = _minute(body.hours_from), _minute(body.hours_to)
    if start is not None and start == end:
        raise BadLimits("The hours must not start and end at the same time.")
    not_before = body.valid_from or now
    not_after = body.valid_until or not_before + MAX_SHARED_VALIDITY
    if parent is not None:
        not_before = max(not_before, parent.not_before)
        not_after = min(not_after, parent.not_after)
    if not_after <= not_before or not_after <= now:
        raise BadLimits("The key must end after it starts, and in the future.")
    if not_after - not_before > MAX_SHARED_VALIDITY:
        raise BadLimits("A shared key lasts at most a year. Choose an earlier end.")
    limits = Limits(
        days=tuple(sorted(set(body.days))) if body.days is not None else None,
        hours=(start, end) if start is not None and end is not None else None,
        tz=body.time_zone or zone,
        max_speed_kmh=body.max_speed_kmh,
    )
    return _Terms(role, limits, not_before, not_after)


def new_share_code() -> str:
    return "".join(secrets.choice(SHARE_CODE_ALPHABET) for _ in range(SHARE_CODE_LENGTH))


def _code_hash(invite_id: uuid.UUID, code: str) -> str:
    return token_hash(f"{invite_id}:{code}")


def _normalise_code(text: str) -> str:
    return text.replace("-", "").replace(" ", "").upper()


async def _invite(
    session: AsyncSession,
    runtime: Runtime,
    *,
    inviter: Account,
    vin: str,
    parent: DigitalKey | None,
    body: InviteIn,
) -> InviteCreatedOut:
    now = runtime.clock.now()
    terms = terms_of(body, now=now, zone=inviter.time_zone, parent=parent)
    await _require_can_issue(session, runtime, vin)
    code = new_share_code()
    invite = KeyInvite(
        id=uuid.uuid4(),
        vin=vin,
        inviter_id=inviter.id,
        parent_id=parent.id if parent is not None else None,
        email=body.email,
        role=terms.role.value,
        limits=terms.limits.as_json(),
        not_before=terms.not_before,
        not_after=terms.not_after,
        state=InviteState.open.value,
        tries=0,
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
    )
    invite.code_hash = _code_hash(invite.id, code)
    await repository.add(session, invite)
    vehicle = await vehicles.get_vehicle(session, vin)
    model = vehicles.model_of(vehicle).name if vehicle is not None else "car"
    link = f"{runtime.settings.public_url.rstrip('/')}/keys/invites/{invite.id}"
    await notifications.queue_email(
        session,
        now=now,
        to=invite.email,
        subject=f"{inviter.first_name} shares a {model} with you",
        text=(
            f"Hello,\n\n{inviter.first_name} invites you to drive their {model} with your phone "
            f"as its key.\n\nOpen {link} signed in with this e-mail address, and enter the share "
            f"code {inviter.first_name} gives you in person or by phone (it is not in this "
            f"e-mail).\n\nThe invitation is open until {invite.expires_at:%Y-%m-%d %H:%M} UTC."
        ),
        account_id=None,
        category=Category.account,
    )
    await _event(
        session,
        runtime,
        vin=vin,
        action="invited",
        actor=("owner" if parent is None else "driver", inviter.id),
        details={
            "invite_id": str(invite.id),
            "role": invite.role,
            "parent_id": str(parent.id) if parent else None,
        },
        title="Driver invited",
        body=f"{invite.email} is invited to drive your car ({_role_words(invite.role)}).",
    )
    return InviteCreatedOut(**invite_out(invite).model_dump(), share_code=code)


async def invite_by_owner(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, body: InviteIn
) -> InviteCreatedOut:
    return await _invite(
        session, runtime, inviter=caller.account, vin=caller.vehicle.vin, parent=None, body=body
    )


async def reshare(
    session: AsyncSession, runtime: Runtime, account: Account, key_id: uuid.UUID, body: InviteIn
) -> InviteCreatedOut:
    """A full driver (or the owner's phone key) shares on; the new key hangs on this one."""
    key = await my_key(session, account, key_id)
    if key.state != KeyState.active.value:
        raise KeyRevoked()
    if key.role == KeyRole.limited.value:
        raise CannotShare()
    return await _invite(session, runtime, inviter=account, vin=key.vin, parent=key, body=body)


async def invite_for_me(
    session: AsyncSession, runtime: Runtime, account: Account, invite_id: uuid.UUID
) -> InviteForMeOut:
    invite = await _invite_for(session, account, invite_id)
    vehicle = await vehicles.get_vehicle(session, invite.vin)
    return InviteForMeOut(
        id=invite.id,
        model=vehicles.model_of(vehicle).name if vehicle is not None else "",
        role=invite.role,
        limits=limits_out(invite.limits),
        not_before=invite.not_before,
        not_after=invite.not_after,
        expires_at=invite.expires_at,
        state=_invite_state(invite, runtime.clock.now()),
    )


def _invite_state(invite: KeyInvite, now: datetime) -> str:
    if invite.state == InviteState.open.value and invite.expires_at <= now:
        return "expired"
    return invite.state


async def _invite_for(
    session: AsyncSession, account: Account, invite_id: uuid.UUID, *, for_update: bool = False
) -> KeyInvite:
    """An invitation addressed to this account's e-mail; any other is 404."""
    invite = await repository.get_invite(session, invite_id, for_update=for_update)
    if invite is None or invite.email.casefold() != account.email.casefold():
        raise InviteNotFound()
    return invite


async def accept(
    session: AsyncSession, runtime: Runtime, account: Account, invite_id: uuid.UUID, body: AcceptIn
) -> KeyOut:
    """The invitee accepts with the share code; the key is theirs, certificate included. A
    wrong code counts even though the request fails (committed before the refusal)."""
    invite = await _invite_for(session, account, invite_id, for_update=True)
    now = runtime.clock.now()
    state = _invite_state(invite, now)
    if state == "expired":
        raise InviteClosed("The invitation has expired.")
    if state != InviteState.open.value:
        raise InviteClosed("The invitation was used, cancelled or locked.")
    if not same(invite.code_hash, _code_hash(invite.id, _normalise_code(body.share_code))):
        invite.tries += 1
        if invite.tries >= SHARE_CODE_TRIES:
            invite.state = InviteState.locked.value
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(account.id),
            action="keys.wrong_share_code",
            subject_type="vehicle",
            subject_id=invite.vin,
            details={"invite_id": str(invite.id), "tries": invite.tries},
        )
        await runtime.db.commit(session)  # the wrong try counts although the request fails
        raise WrongShareCode(max(0, SHARE_CODE_TRIES - invite.tries))
    public_key = _public_key(body.public_key)
    parent = None
    if invite.parent_id is not None:
        parent = await repository.get_key(session, invite.parent_id)
        if parent is None or parent.state != KeyState.active.value:
            raise InviteClosed("The key it was shared from has been revoked.")
    if not await connected_services.is_active(session, runtime, vin=invite.vin, service=SERVICE):
        raise ServiceNotActive()
    if await suspended(session, invite.vin):
        raise KeysSuspended()
    key = _new_key(
        runtime,
        vin=invite.vin,
        account_id=account.id,
        role=KeyRole(invite.role),
        name=body.name,
        public_key=public_key,
        not_before=invite.not_before,
        not_after=invite.not_after,
        limits=Limits.from_json(invite.limits),
        parent_id=invite.parent_id,
        invite_id=invite.id,
    )
    await repository.add(session, key)
    invite.state = InviteState.accepted.value
    invite.accepted_at = now
    invite.accepted_by = account.id
    await _event(
        session,
        runtime,
        vin=invite.vin,
        action="accepted",
        actor=("driver", account.id),
        details={"key_id": str(key.id), "invite_id": str(invite.id), "role": key.role},
        title="Invitation accepted",
        body=f"{invite.email} accepted your invitation: their phone is a key to your car now.",
    )
    return key_out(key, suspended=False, revocation=None, with_certificate=True)


async def cancel_invite(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, invite_id: uuid.UUID
) -> InviteOut:
    invite = await repository.get_invite(session, invite_id, for_update=True)
    if invite is None or invite.vin != caller.vehicle.vin:
        raise InviteNotFound()
    if invite.state == InviteState.open.value:
        invite.state = InviteState.cancelled.value
        await _event(
            session,
            runtime,
            vin=invite.vin,
            action="invite_cancelled",
            actor=("owner", caller.account.id),
            details={"invite_id": str(invite.id)},
            title="Invitation cancelled",
            body=f"The invitation for {invite.email} is cancelled.",
        )
    return invite_out(invite)


# --- revoking ------------------------------------------------------------------------------------


async def revoke_by_owner(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, key_id: uuid.UUID
) -> tuple[KeyOut, uuid.UUID | None]:
    """The owner revokes any key of the car made in their time (and what was shared from it)."""
    key = await repository.get_key(session, key_id, for_update=True)
    if key is None or key.vin != caller.vehicle.vin or not caller.tenure.covers(key.created_at):
        raise KeyNotFound()
    revocation = None
    if key.state == KeyState.active.value:
        revocation = await revoke(
            session,
            runtime,
            vin=key.vin,
            roots=[key],
            reason="owner",
            actor=("owner", caller.account.id),
        )
    return await _after(session, key), revocation.id if revocation else None


async def remove_own(
    session: AsyncSession, runtime: Runtime, account: Account, key_id: uuid.UUID
) -> tuple[KeyOut, uuid.UUID | None]:
    """An invited driver removes their own key (and what they shared from it)."""
    key = await my_key(session, account, key_id)
    revocation = None
    if key.state == KeyState.active.value:
        revocation = await revoke(
            session,
            runtime,
            vin=key.vin,
            roots=[key],
            reason="holder",
            actor=("driver", account.id),
        )
    return await _after(session, key), revocation.id if revocation else None


async def _after(session: AsyncSession, key: DigitalKey) -> KeyOut:
    found = await repository.revocations(session, [key.revocation_id] if key.revocation_id else [])
    return key_out(
        key,
        suspended=await suspended(session, key.vin),
        revocation=found.get(key.revocation_id) if key.revocation_id else None,
    )


async def revoke(
    session: AsyncSession,
    runtime: Runtime,
    *,
    vin: str,
    roots: Sequence[DigitalKey],
    reason: str,
    actor: tuple[str, uuid.UUID | None],
) -> KeyRevocation | None:
    """Revoke ``roots`` and every key shared from them, in one signed command to the car (sent
    by a job, or at once by ``send_now`` after the caller commits); open invitations hanging on
    them are cancelled. None when nothing was active."""
    now = runtime.clock.now()
    found: dict[uuid.UUID, DigitalKey] = {
        k.id: k for k in roots if k.state == KeyState.active.value
    }
    frontier = list(found)
    while frontier:
        children = [c for c in await repository.children_of(session, frontier) if c.id not in found]
        found.update({c.id: c for c in children})
        frontier = [c.id for c in children]
    if not found:
        return None
    revocation = KeyRevocation(
        id=uuid.uuid4(),
        vin=vin,
        command_id=uuid.uuid4(),
        key_ids=sorted(str(key_id) for key_id in found),
        reason=reason,
        requested_at=now,
        attempts=0,
    )
    await repository.add(session, revocation)
    for key in found.values():
        key.state = KeyState.revoked.value
        key.revoked_at = now
        key.revoked_by = reason if key in roots else "cascade"
        key.revocation_id = revocation.id
    for invite in await repository.invites_of_car(session, vin):
        if invite.state == InviteState.open.value and invite.parent_id in found:
            invite.state = InviteState.cancelled.value
    await session.flush()
    await enqueue(
        session,
        SendRevocationJob(revocation_id=revocation.id),
        now=now,
        dedupe_key=_send_key(revocation.id, 0),
    )
    await _event(
        session,
        runtime,
        vin=vin,
        action="revoked",
        actor=actor,
        details={
            "revocation_id": str(revocation.id),
            "key_ids": revocation.key_ids,
            "reason": reason,
        },
        title="Key revoked" if len(found) == 1 else f"{len(found)} keys revoked",
        body=_revoked_words(reason, len(found)),
    )
    return revocation


def _revoked_words(reason: str, count: int) -> str:
    what = "The key" if count == 1 else f"{count} keys"
    if reason == "ownership":
        return (
            f"{what} of the car's previous owner and their drivers are revoked. The car "
            "confirms it when it is next online."
        )
    return f"{what} no longer open your car once the car has confirmed it."


def _send_key(revocation_id: uuid.UUID, attempt: int) -> str:
    return f"keys.send_revocation:{revocation_id}:{attempt}"


async def send_revocation(
    session: AsyncSession, runtime: Runtime, *, revocation_id: uuid.UUID
) -> KeyRevocation | None:
    """Sign and publish a revocation's ``key_revoke`` command, unless the car confirmed it or it
    went out less than ``RESEND_AFTER`` ago (then it is on its way). Sent again under a new
    command id when older. Raises ``remote.NoBroker``, ``PublishFailed``, ``TimeoutError``."""
    row = await repository.get_revocation(session, revocation_id, for_update=True)
    if row is None or row.confirmed_at is not None:
        return row
    now = runtime.clock.now()
    if row.sent_at is not None:
        if now < row.sent_at + RESEND_AFTER:
            return row
        row.command_id = uuid.uuid4()  # the first command is about to expire unanswered
        row.sent_at = None
        await session.flush()
    command_id, attempt = row.command_id, row.attempts
    await remote.send_system_command(
        session,
        runtime,
        vin=row.vin,
        wire_name=KEY_REVOKE,
        params={"key_ids": list(row.key_ids)},
        lifetime=REVOCATION_LIFETIME,
        command_id=command_id,
    )
    row = await repository.get_revocation(session, revocation_id, for_update=True)
    assert row is not None
    row.sent_at = now
    row.attempts = attempt + 1
    await enqueue(
        session,
        SendRevocationJob(revocation_id=row.id),
        now=now,
        run_at=now + RESEND_AFTER,
        dedupe_key=_send_key(row.id, row.attempts),
    )
    log.info("key_revocation_sent", vin=row.vin, revocation_id=str(row.id), keys=len(row.key_ids))
    return row


async def send_now(runtime: Runtime, *, revocation_id: uuid.UUID) -> None:
    """Publish a just-committed revocation from the request's process; the job does it when this
    process has no broker or the broker is away."""
    try:
        async with runtime.db.transaction() as session:
            row = await send_revocation(session, runtime, revocation_id=revocation_id)
            if row is not None and row.sent_at is not None:
                await cancel_job(session, _send_key(revocation_id, 0), now=runtime.clock.now())
    except (remote.NoBroker, PublishFailed, TimeoutError) as exc:
        log.warning("key_revocation_deferred", revocation_id=str(revocation_id), error=str(exc))


async def on_answers(
    session: AsyncSession, runtime: Runtime, answers: Sequence[remote.CarAnswer]
) -> None:
    """A gateway batch's answers (in arrival order), the revocations among their commands read
    in one statement. The car's answer to a ``key_revoke``: ``succeeded`` confirms the
    revocation. A refusal leaves it pending: the send job sends it again under a new command id
    ``RESEND_AFTER`` after the last send (before that command expires), which also covers a car
    that was away too long and refuses a stale copy as ``expired``."""
    rows = await repository.revocations_by_commands(
        session, [answer.command_id for answer in answers]
    )
    for answer in answers:
        row = rows.get(answer.command_id)
        if row is not None:
            await _apply_answer(
                session, runtime, row, vin=answer.vin, status=answer.status, reason=answer.reason
            )


async def _apply_answer(
    session: AsyncSession,
    runtime: Runtime,
    row: KeyRevocation | None,
    *,
    vin: str,
    status: str,
    reason: str | None,
) -> bool:
    if row is None or row.vin != vin or row.confirmed_at is not None:
        return False
    if status == "succeeded":
        row.confirmed_at = runtime.clock.now()
        await _event(
            session,
            runtime,
            vin=vin,
            action="revocation_confirmed",
            actor=("vehicle", None),
            details={"revocation_id": str(row.id), "key_ids": row.key_ids},
            title="The car confirmed the revocation",
            body="Your car has withdrawn the revoked keys: they no longer open it.",
        )
    elif status in ("rejected", "failed") and reason != signing.VerifyOutcome.replayed.value:
        log.warning("key_revocation_refused", vin=vin, reason=reason, revocation_id=str(row.id))
    return True


async def revoke_for_new_owner(
    session: AsyncSession, runtime: Runtime, *, vin: str, previous_account_id: uuid.UUID | None
) -> KeyRevocation | None:
    """The car changed hands (sale, removal, primary claimed): every key of the car, the previous
    owner's and their drivers', is revoked at once; open invitations are cancelled."""
    active = await repository.active_keys_of_car(session, vin, for_update=True)
    await repository.close_open_invites(session, vin)
    return await revoke(
        session,
        runtime,
        vin=vin,
        roots=active,
        reason="ownership",
        actor=("system", previous_account_id),
    )


# --- events --------------------------------------------------------------------------------------


def _role_words(role: str) -> str:
    return {"owner": "owner", "full": "full driver", "limited": "limited driver"}.get(role, role)


async def _event(
    session: AsyncSession,
    runtime: Runtime,
    *,
    vin: str,
    action: str,
    actor: tuple[str, uuid.UUID | None],
    details: dict[str, object],
    title: str,
    body: str,
) -> None:
    """Audit a key event and tell the car's primary account."""
    now = runtime.clock.now()
    actor_type, actor_id = actor
    await audit.record(
        session,
        now=now,
        actor_type=actor_type if actor_type in ("owner", "system", "vehicle") else "owner",
        actor_id=str(actor_id) if actor_id is not None else vin,
        action=f"keys.{action}",
        subject_type="vehicle",
        subject_id=vin,
        details={"as": actor_type, **details},
    )
    primary = await garage.primary_account_id(session, vin)
    if primary is None:
        return
    await notifications.notify(
        session,
        now=now,
        account_id=primary,
        category=Category.vehicle_alerts,
        kind=f"keys.{action}",
        title=title,
        body=body,
        link=car_page(runtime.settings.public_url, vin, CarPage.keys),
    )
