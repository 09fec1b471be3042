"""Removing a car erases that account's personal data about the car (seed 000), through the same
per-domain erasure functions the account's erasure uses. It runs inside the removal's own
transaction (a reaction to ``VehicleRemovedFromAccount``), so the car leaves the garage and its
data goes in one commit. What the account's tenure covers: ``garage.tenure``.

The services' activations are left to the connected services' own reaction, which stops them
(and tells what it stopped) after the commit; like the subscriptions, they are the record of the
contract and go with the account's erasure."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.charging import data_erasure as charging
from linkplus.garage import data_erasure as garage
from linkplus.garage.events import VehicleRemovedFromAccount
from linkplus.kit.spans import Span
from linkplus.maintenance import data_erasure as maintenance
from linkplus.notifications import data_erasure as notifications
from linkplus.privacy import data_erasure as privacy
from linkplus.remote import data_erasure as remote
from linkplus.runtime import Runtime
from linkplus.support import data_erasure as support
from linkplus.trips import data_erasure as trips
from linkplus.vehicle_link import data_erasure as vehicle_link


async def erase_car_data(
    session: AsyncSession, runtime: Runtime, event: VehicleRemovedFromAccount
) -> None:
    account_id, vin = event.account_id, event.vin
    spans = [Span(start, end) for start, end in event.tenure]
    await trips.erase_car_data(session, account_id=account_id, vin=vin)
    await remote.erase_car_data(session, account_id=account_id, vin=vin)
    await charging.erase_car_data(session, account_id=account_id, vin=vin)
    await vehicle_link.erase_car_data(session, vin=vin, spans=spans)
    await privacy.erase_car_data(session, account_id=account_id, vin=vin)
    await notifications.erase_car_data(session, account_id=account_id, vin=vin)
    await maintenance.erase_car_data(session, account_id=account_id, vin=vin, spans=spans)
    await support.erase_car_data(session, account_id=account_id, vin=vin)
    await garage.erase_car_data(session, account_id=account_id, vin=vin)
