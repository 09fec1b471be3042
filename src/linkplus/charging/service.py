"""The owner's side of home charging: adding a charger with the code on its label, the cars it
charges, starting and stopping sessions, the history with its CSV, weekly windows.

Commands to a charger are stored here and sent by whichever process holds its WebSocket
(``charging.central``); the service never talks to a charger itself."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.charging import activation, metering, repository
from linkplus.charging import windows as window_rules
from linkplus.charging.errors import (
    ActivationRefused,
    CarNotChargeable,
    CarNotLinked,
    ChargerAlreadyOnboarded,
    ChargerNotFound,
    ChargerOffline,
    CommandNotFound,
    SessionAlreadyRunning,
    SessionNotFound,
    SessionNotRunning,
    WindowNotFound,
)
from linkplus.charging.schemas import (
    ChargerAddIn,
    ChargerChangeIn,
    ChargerOut,
    CommandOut,
    MeterValueOut,
    MoneyOut,
    SessionDetailOut,
    SessionOut,
    TimeOfDay,
    Weekday,
    WindowIn,
    WindowOut,
)
from linkplus.garage import service as garage
from linkplus.kit.secrets import new_token, same, token_hash
from linkplus.models.accounts import Account
from linkplus.models.charging import (
    Charger,
    ChargerCommand,
    ChargerVehicle,
    ChargingSession,
    ChargingWindow,
    CommandState,
    SessionState,
)
from linkplus.vehicles.catalogue import Powertrain

PLUG_IN = frozenset({Powertrain.phev, Powertrain.bev})
HISTORY_LIMIT = 500


# --- the manufacturer's side ---------------------------------------------------------------------


async def register_charger(
    session: AsyncSession, *, identity: str, activation_code: str, now: datetime
) -> Charger:
    """A charger leaves the factory: its identity and the code on its label (kept as a hash)."""
    charger = Charger(
        identity=identity,
        activation_code_hash=token_hash(activation.normalise_code(activation_code)),
        registered_at=now,
        price_per_kwh_e4=0,
        currency="EUR",
        max_power_w=11_000,
        connected=False,
        next_transaction=1,
    )
    await repository.add(session, charger)
    return charger


def new_activation_code() -> str:
    """Sixteen characters in four groups, without the letters people misread (0/O, 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


# --- the owner's chargers ----------------------------------------------------------------------


async def caller_charger(
    session: AsyncSession, account: Account, identity: str, *, for_update: bool = False
) -> Charger:
    """The charger ``identity`` if it is in ``account``, else 404 (the same for one that does
    not exist and one in someone else's account)."""
    charger = await repository.account_charger(session, account.id, identity, for_update=for_update)
    if charger is None:
        raise ChargerNotFound()
    return charger


async def _check_cars(session: AsyncSession, account: Account, vins: list[str]) -> list[str]:
    checked: list[str] = []
    for vin in vins:
        car = await garage.caller_vehicle(session, account, vin)  # 404 unless it is the caller's
        if car.model.powertrain not in PLUG_IN:
            raise CarNotChargeable(car.vehicle.vin)
        if car.vehicle.vin not in checked:
            checked.append(car.vehicle.vin)
    return checked


async def _link(session: AsyncSession, charger: Charger, vins: list[str], now: datetime) -> None:
    await repository.unlink_all(session, charger.id)
    for vin in vins:
        await repository.add(session, ChargerVehicle(charger_id=charger.id, vin=vin, linked_at=now))


async def add_charger(
    session: AsyncSession, account: Account, data: ChargerAddIn, *, now: datetime
) -> tuple[Charger, str]:
    """Onboard a charger into ``account`` with the code on its label; returns it with the
    password the charger must present (shown to the owner once, kept only as a hash)."""
    charger = await repository.charger_by_identity(session, data.identity, for_update=True)
    code = activation.normalise_code(data.activation_code)
    if charger is None or not same(charger.activation_code_hash, token_hash(code)):
        raise ActivationRefused()
    if charger.account_id is not None:
        raise ChargerAlreadyOnboarded()
    vins = await _check_cars(session, account, data.vins)
    password = new_token(18)  # 24 characters: inside OCPP's 16 to 40 for a Basic-auth password
    charger.account_id = account.id
    charger.name = data.name
    charger.onboarded_at = now
    charger.password_hash = token_hash(password)
    charger.id_tag = secrets.token_hex(10).upper()  # OCPP 1.6 idTag: CiString20
    charger.price_per_kwh_e4 = metering.parse_price(data.price_per_kwh)
    charger.max_power_w = data.max_power_w
    await _link(session, charger, vins, now)
    await session.flush()
    return charger, password


async def new_password(session: AsyncSession, charger: Charger) -> str:
    """A new Basic-auth password; the old one stops working at the charger's next connection."""
    password = new_token(18)
    charger.password_hash = token_hash(password)
    await session.flush()
    return password


async def change_charger(
    session: AsyncSession,
    account: Account,
    charger: Charger,
    data: ChargerChangeIn,
    *,
    now: datetime,
) -> Charger:
    if "name" in data.model_fields_set:
        charger.name = data.name
    if data.price_per_kwh is not None:
        charger.price_per_kwh_e4 = metering.parse_price(data.price_per_kwh)
    if data.vins is not None:
        await _link(session, charger, await _check_cars(session, account, data.vins), now)
    await session.flush()
    return charger


async def remove_charger(session: AsyncSession, charger: Charger) -> None:
    """Out of the account: no password, no cars, no windows' effect; the sessions stay with
    the account that charged them. The code on the label onboards it again."""
    charger.account_id = None
    charger.password_hash = None
    charger.id_tag = None
    charger.name = None
    charger.onboarded_at = None
    await repository.unlink_all(session, charger.id)
    for row in await repository.windows(session, charger.id):
        await repository.delete_window(session, row)
    await session.flush()


async def charger_out(session: AsyncSession, charger: Charger) -> ChargerOut:
    return ChargerOut(
        identity=charger.identity,
        name=charger.name,
        vins=await repository.linked_vins(session, charger.id),
        onboarded_at=charger.onboarded_at,
        connected=charger.connected,
        protocol=charger.protocol,
        vendor=charger.vendor,
        model=charger.model,
        serial_number=charger.serial_number,
        firmware_version=charger.firmware_version,
        connector_status=charger.connector_status,
        status_at=charger.status_at,
        booted_at=charger.booted_at,
        last_heartbeat_at=charger.last_heartbeat_at,
        price_per_kwh=metering.price_text(charger.price_per_kwh_e4),
        currency=charger.currency,
        max_power_w=charger.max_power_w,
    )


async def list_chargers(session: AsyncSession, account: Account) -> list[ChargerOut]:
    return [
        await charger_out(session, charger)
        for charger in await repository.account_chargers(session, account.id)
    ]


# --- sessions ----------------------------------------------------------------------------------


def command_out(command: ChargerCommand) -> CommandOut:
    return CommandOut(
        id=command.id,
        action=command.action,
        state=command.state,
        requested_at=command.requested_at,
        answered_at=command.answered_at,
        answer=command.answer,
    )


async def start_session(
    session: AsyncSession, account: Account, charger: Charger, *, vin: str | None, now: datetime
) -> ChargerCommand:
    """Ask the charger to start charging (RemoteStartTransaction / RequestStartTransaction)
    with the account's token, which the charger then presents and the platform accepts."""
    linked = await repository.linked_vins(session, charger.id)
    if vin is not None and vin.upper() not in linked:
        raise CarNotLinked()
    if not charger.connected:
        raise ChargerOffline()
    if await repository.active_session(session, charger.id) is not None:
        raise SessionAlreadyRunning()
    car = vin.upper() if vin is not None else (linked[0] if len(linked) == 1 else None)
    command = ChargerCommand(
        charger_id=charger.id,
        account_id=account.id,
        action="start",
        arguments={"vin": car, "remote_start_id": secrets.randbelow(2**31 - 1) + 1},
        state=CommandState.pending.value,
        requested_at=now,
    )
    await repository.add(session, command)
    return command


async def stop_session(
    session: AsyncSession,
    account: Account,
    charger: Charger,
    session_id: uuid.UUID,
    *,
    now: datetime,
) -> ChargerCommand:
    found = await repository.charger_session(session, charger.id, session_id)
    if found is None or found.account_id != account.id:
        raise SessionNotFound()
    if found.state != SessionState.active.value:
        raise SessionNotRunning()
    if not charger.connected:
        raise ChargerOffline()
    command = ChargerCommand(
        charger_id=charger.id,
        account_id=account.id,
        action="stop",
        arguments={"transaction_id": found.transaction_id},
        state=CommandState.pending.value,
        requested_at=now,
    )
    await repository.add(session, command)
    return command


async def get_command(
    session: AsyncSession, charger: Charger, command_id: uuid.UUID
) -> ChargerCommand:
    found = await repository.command(session, charger.id, command_id)
    if found is None:
        raise CommandNotFound()
    return found


def session_out(row: ChargingSession) -> SessionOut:
    return SessionOut(
        id=row.id,
        vin=row.vin,
        state=row.state,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        stop_reason=row.stop_reason,
        energy_wh=row.energy_wh,
        price_per_kwh=metering.price_text(row.price_per_kwh_e4),
        cost=MoneyOut(minor=row.cost_minor, currency=row.currency),
    )


async def session_history(
    session: AsyncSession, account: Account, charger: Charger
) -> list[SessionOut]:
    rows = await repository.charger_sessions(
        session, charger.id, account_id=account.id, limit=HISTORY_LIMIT
    )
    return [session_out(row) for row in rows]


async def session_detail(
    session: AsyncSession, account: Account, charger: Charger, session_id: uuid.UUID
) -> SessionDetailOut:
    found = await repository.charger_session(session, charger.id, session_id)
    if found is None or found.account_id != account.id:
        raise SessionNotFound()
    readings = await repository.meter_values(session, found.id)
    return SessionDetailOut(
        **session_out(found).model_dump(),
        meter_values=[
            MeterValueOut(measured_at=r.measured_at, energy_wh=r.energy_wh, power_w=r.power_w)
            for r in readings
        ],
    )


CSV_COLUMNS = (
    "session_id",
    "vin",
    "state",
    "started_at",
    "stopped_at",
    "energy_kwh",
    "price_per_kwh",
    "cost",
    "currency",
    "stop_reason",
)


def _csv_cell(value: object) -> str:
    """Text as a spreadsheet will not run it as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def history_csv(session: AsyncSession, account: Account, charger: Charger) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in await session_history(session, account, charger):
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    row.id,
                    row.vin,
                    row.state,
                    row.started_at.isoformat(),
                    row.stopped_at.isoformat() if row.stopped_at else "",
                    f"{row.energy_wh / 1000:.3f}",
                    row.price_per_kwh,
                    metering.money_text(row.cost.minor, row.cost.currency),
                    row.cost.currency,
                    row.stop_reason,
                )
            ]
        )
    return out.getvalue()


# --- weekly windows ----------------------------------------------------------------------------


def window_out(row: ChargingWindow) -> WindowOut:
    start = window_rules.hour_minute(row.start_minute)
    end = None if row.end_minute is None else window_rules.hour_minute(row.end_minute)
    return WindowOut(
        id=row.number,
        enabled=row.enabled,
        start_time=TimeOfDay(hour=start[0], minute=start[1]),
        end_time=None if end is None else TimeOfDay(hour=end[0], minute=end[1]),
        days_of_the_week=[Weekday(day) for day in window_rules.days_of(row.days)],
    )


async def list_windows(session: AsyncSession, charger: Charger) -> list[WindowOut]:
    return [window_out(row) for row in await repository.windows(session, charger.id)]


MAX_WINDOWS = 10


async def put_window(
    session: AsyncSession, charger: Charger, number: int, data: WindowIn, *, now: datetime
) -> tuple[WindowOut, bool]:
    """Create or replace window ``number``; True when it was created."""
    row = await repository.window(session, charger.id, number)
    created = row is None
    if row is None:
        row = ChargingWindow(charger_id=charger.id, number=number, updated_at=now)
        session.add(row)
    row.enabled = data.enabled
    row.start_minute = window_rules.minute_of(data.start_time.hour, data.start_time.minute)
    row.end_minute = (
        None
        if data.end_time is None
        else window_rules.minute_of(data.end_time.hour, data.end_time.minute)
    )
    row.days = window_rules.days_mask(data.days_of_the_week)
    row.updated_at = now
    await session.flush()
    return window_out(row), created


async def delete_window(session: AsyncSession, charger: Charger, number: int) -> None:
    row = await repository.window(session, charger.id, number)
    if row is None:
        raise WindowNotFound()
    await repository.delete_window(session, row)


COMMAND_WINDOW = timedelta(minutes=10)  # a start's car is looked up this far back (OCPP 1.6)


async def expire_commands(session: AsyncSession, *, now: datetime, after_seconds: int) -> int:
    """Starts and stops no process sent in time (the charger was not connected anywhere) end
    as expired, so the owner's app stops waiting for them."""
    return await repository.expire_commands(
        session, requested_before=now - timedelta(seconds=after_seconds), at=now
    )


async def plug_in_cars(session: AsyncSession, account: Account) -> list[tuple[str, str]]:
    """The account's cars that can charge at home: (VIN, model name)."""
    found: list[tuple[str, str]] = []
    for vin in await garage.garage_vins(session, account.id):
        car = await garage.caller_vehicle(session, account, vin)
        if car.model.powertrain in PLUG_IN:
            found.append((vin, car.model.name))
    return found


async def read_label(identity: str, activation_code: str, qr: str) -> tuple[str, str]:
    """The identity and code the owner typed, or those in the QR code's text when given."""
    scanned = activation.read_qr(qr) if qr else None
    if qr and scanned is None:
        raise ActivationRefused()
    return scanned if scanned is not None else (identity, activation_code)
