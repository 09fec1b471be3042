"""The owner's garage: adding and removing cars, the primary account, and the dealer's side of it.

Rules (decided in issue 3; the odometer tolerance and block rules live in ``garage.ownership``):

* Adding a car needs proof of physical access: the QR code on the car's screen, or the odometer
  reading. At most ``MAX_VEHICLES`` cars per account.
* The first account that adds a car with proof becomes its primary account when it has none;
  later accounts are secondary until they claim the primary role with fresh proof. The previous
  primary is told at once (inbox and e-mail) and loses access with the same commit.
* Removing a car deletes the link and ends a primary role; it cannot be undone. Other domains
  revoke what they attached to the car when ``VehicleRemovedFromAccount`` arrives.

One departure from "services flush, never commit": a wrong odometer reading must be counted
although the request then fails, and the request scope rolls back on any error.
``_commit_then_refuse`` commits the counter before raising. It is used only there, after nothing
but the wrong reading's trace has been written in the request: the account's check row, the car's
guard row and its wrong-reading row, their audit entries and the primary account's notice.

Callers import the package (``from linkplus.garage import service as garage``); the modules
inside split it by use case and share their helpers through ``_common``.
"""

from linkplus.garage.service._common import MAX_VEHICLES
from linkplus.garage.service.access import CallerVehicle, caller_vehicle, primary_account_at
from linkplus.garage.service.owner import (
    add_vehicle,
    claim_primary,
    garage_vins,
    list_vehicles,
    odometer,
    primary_account_id,
    primary_account_ids,
    remove_vehicle,
    vehicle_summary,
)
from linkplus.garage.service.staff import (
    record_identity_check,
    staff_find_vehicle,
    staff_remove_vehicle,
    unblock_ownership_check,
    unblock_vehicle,
    vehicle_subject,
)

__all__ = [
    "MAX_VEHICLES",
    "CallerVehicle",
    "add_vehicle",
    "caller_vehicle",
    "claim_primary",
    "garage_vins",
    "list_vehicles",
    "odometer",
    "primary_account_at",
    "primary_account_id",
    "primary_account_ids",
    "record_identity_check",
    "remove_vehicle",
    "staff_find_vehicle",
    "staff_remove_vehicle",
    "unblock_ownership_check",
    "unblock_vehicle",
    "vehicle_subject",
    "vehicle_summary",
]
