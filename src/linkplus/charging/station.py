"""What a charger tells the platform, as use cases: who it is (Basic auth), its boot, heartbeats
and status, whose token it may accept, and its transactions with their meter values.

The OCPP glue (``charging.central``) calls these for both protocol versions, one transaction per
message; times are the platform's clock when the message arrived."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.charging import metering, repository
from linkplus.charging.service import COMMAND_WINDOW
from linkplus.kit.secrets import same, token_hash
from linkplus.models.charging import (
    Charger,
    ChargerCommand,
    ChargingMeterValue,
    ChargingSession,
    CommandState,
    SessionState,
)


async def authenticate(session: AsyncSession, identity: str, password: str) -> Charger | None:
    """The onboarded charger with this identity and password (security profile 1), else None:
    an unknown identity, one not in any account and a wrong password all fail alike."""
    charger = await repository.charger_by_identity(session, identity)
    if charger is None or charger.password_hash is None:
        return None
    if not same(charger.password_hash, token_hash(password)):
        return None
    return charger


async def connected(session: AsyncSession, identity: str, *, protocol: str, now: datetime) -> None:
    await repository.set_connected(session, identity, connected=True, at=now, protocol=protocol)


async def disconnected(session: AsyncSession, identity: str, *, now: datetime) -> None:
    await repository.set_connected(session, identity, connected=False, at=now, protocol=None)


async def _charger(session: AsyncSession, identity: str) -> Charger:
    charger = await repository.charger_by_identity(session, identity, for_update=True)
    if charger is None:  # removed while connected: the connection is closed on its next message
        raise LookupError(identity)
    return charger


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:50]


async def boot(
    session: AsyncSession,
    identity: str,
    *,
    vendor: str,
    model: str,
    serial_number: str | None,
    firmware_version: str | None,
    now: datetime,
) -> None:
    charger = await _charger(session, identity)
    charger.vendor = _clip(vendor)
    charger.model = _clip(model)
    charger.serial_number = _clip(serial_number)
    charger.firmware_version = _clip(firmware_version)
    charger.booted_at = now
    charger.last_heartbeat_at = now
    await session.flush()


async def heartbeat(session: AsyncSession, identity: str, *, now: datetime) -> None:
    charger = await _charger(session, identity)
    charger.last_heartbeat_at = now
    await session.flush()


async def status(session: AsyncSession, identity: str, *, state: str, now: datetime) -> None:
    charger = await _charger(session, identity)
    charger.connector_status = state[:20]
    charger.status_at = now
    charger.last_heartbeat_at = now
    await session.flush()


async def may_charge(session: AsyncSession, identity: str, id_tag: str) -> bool:
    """Authorisation: the account's own token at its own charger (case-insensitive, as OCPP
    compares idTags)."""
    charger = await _charger(session, identity)
    return charger.id_tag is not None and charger.id_tag.upper() == id_tag.upper()


@dataclass(frozen=True)
class Started:
    accepted: bool
    transaction_id: str


async def start_transaction(
    session: AsyncSession,
    identity: str,
    *,
    id_tag: str,
    transaction_id: str | None,
    remote_start_id: int | None,
    meter_start_wh: int | None,
    now: datetime,
) -> Started:
    """A transaction began at the charger. OCPP 1.6 has the central system number it
    (``transaction_id`` None: the charger's next number); 2.0.1 brings its own. A token that is
    not the account's is refused (the charger then stops at once), and nothing is recorded."""
    charger = await _charger(session, identity)
    if transaction_id is None:
        transaction_id = str(charger.next_transaction)
        charger.next_transaction += 1
    if charger.account_id is None or not await may_charge(session, identity, id_tag):
        await session.flush()
        return Started(accepted=False, transaction_id=transaction_id)
    existing = await repository.session_by_transaction(session, charger.id, transaction_id)
    if existing is not None:  # the charger repeated itself (no answer reached it)
        return Started(accepted=True, transaction_id=transaction_id)
    vin = await _car_of_start(session, charger, remote_start_id, now)
    row = ChargingSession(
        charger_id=charger.id,
        account_id=charger.account_id,
        vin=vin,
        transaction_id=transaction_id,
        id_tag=id_tag,
        state=SessionState.active.value,
        started_at=now,
        meter_start_wh=meter_start_wh,
        meter_last_wh=meter_start_wh,
        energy_wh=0,
        price_per_kwh_e4=charger.price_per_kwh_e4,
        currency=charger.currency,
        cost_minor=0,
    )
    await repository.add(session, row)
    return Started(accepted=True, transaction_id=transaction_id)


async def _car_of_start(
    session: AsyncSession, charger: Charger, remote_start_id: int | None, now: datetime
) -> str | None:
    """The car the owner named when starting from the app; or the charger's only car."""
    command = await repository.latest_start_command(session, charger.id, since=now - COMMAND_WINDOW)
    if command is not None and (
        remote_start_id is None or command.arguments.get("remote_start_id") == remote_start_id
    ):
        vin = command.arguments.get("vin")
        if isinstance(vin, str):
            return vin
    linked = await repository.linked_vins(session, charger.id)
    return linked[0] if len(linked) == 1 else None


def _account(row: ChargingSession, reading: metering.Reading) -> None:
    if reading.energy_wh is None:
        return
    if row.meter_start_wh is None:
        row.meter_start_wh = reading.energy_wh
    row.meter_last_wh = max(reading.energy_wh, row.meter_last_wh or reading.energy_wh)
    row.energy_wh = metering.energy_between(row.meter_start_wh, row.meter_last_wh)
    row.cost_minor = metering.cost_of(row.energy_wh, row.price_per_kwh_e4, row.currency).minor


async def meter_values(
    session: AsyncSession,
    identity: str,
    *,
    transaction_id: str | None,
    readings: list[metering.Reading],
    now: datetime,
) -> None:
    """Meter values of a transaction: stored, and the session's energy and cost brought up to
    date. Values outside a transaction (or of one we refused) are not kept."""
    if transaction_id is None:
        return
    charger = await _charger(session, identity)
    row = await repository.session_by_transaction(session, charger.id, transaction_id)
    if row is None:
        return
    for reading in readings:
        if reading.energy_wh is None and reading.power_w is None:
            continue
        await repository.add(
            session,
            ChargingMeterValue(
                session_id=row.id,
                measured_at=now,
                energy_wh=reading.energy_wh,
                power_w=reading.power_w,
            ),
        )
        _account(row, reading)
    await session.flush()


async def stop_transaction(
    session: AsyncSession,
    identity: str,
    *,
    transaction_id: str,
    meter_stop_wh: int | None,
    reason: str | None,
    now: datetime,
) -> None:
    charger = await _charger(session, identity)
    row = await repository.session_by_transaction(session, charger.id, transaction_id)
    if row is None or row.state == SessionState.finished.value:
        return
    if meter_stop_wh is not None:
        _account(row, metering.Reading(energy_wh=meter_stop_wh, power_w=None))
    row.state = SessionState.finished.value
    row.stopped_at = now
    row.stop_reason = (reason or "Local")[:32]
    await session.flush()


# --- commands ----------------------------------------------------------------------------------


async def commands_to_send(
    session: AsyncSession, identities: set[str], *, now: datetime, expire_before: datetime
) -> list[tuple[uuid.UUID, str, str, dict[str, object], str | None]]:
    """Expire what waited too long; take the pending commands of these chargers, marked sent in
    this transaction so another process does not send them too. (id, identity, action,
    arguments, the charger's token)."""
    await repository.expire_commands(session, requested_before=expire_before, at=now)
    taken: list[tuple[uuid.UUID, str, str, dict[str, object], str | None]] = []
    for command, identity in await repository.pending_commands(session, identities):
        locked = await repository.command_for_update(session, command.id)
        if locked is None or locked.state != CommandState.pending.value:
            continue
        locked.state = CommandState.sent.value
        charger = await repository.charger_by_identity(session, identity)
        taken.append(
            (
                locked.id,
                identity,
                locked.action,
                dict(locked.arguments),
                None if charger is None else charger.id_tag,
            )
        )
    await session.flush()
    return taken


async def command_answered(
    session: AsyncSession, command_id: uuid.UUID, *, state: CommandState, answer: str, now: datetime
) -> ChargerCommand | None:
    command = await repository.command_for_update(session, command_id)
    if command is None:
        return None
    command.state = state.value
    command.answer = answer[:200]
    command.answered_at = now
    await session.flush()
    return command


async def all_disconnected(session: AsyncSession, identities: set[str]) -> None:
    await repository.mark_all_disconnected(session, identities)
